/**
 * @module A real libzmq PUB socket for tests: Debian's python3-zmq run with /usr/bin/python3 (the
 * pyenv python3 on PATH has no zmq), publishing multipart messages the way Bitcoin Core's
 * zmqpubhashblock does: "hashblock", the 32-byte hash, a 4-byte little-endian sequence.
 *
 * Commands go over the child's stdin, one per line, each acknowledged on stdout:
 *   block <hash hex> [seq]   one hashblock message (seq defaults to the next of the publisher's own)
 *   raw <hex> <hex> …        any multipart message (malformed ones for tests)
 *   flood <n>                n hashblock messages with random hashes, as fast as libzmq takes them
 * The process can be SIGKILLed and started again on the same port (its sequence starts at 0 again).
 */
import { killNow, killOnExit } from "./children.ts";
import { freePort } from "./redis.ts";

export const SYSTEM_PYTHON = "/usr/bin/python3";

const SCRIPT = `
import os, sys, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.PUB)
s.setsockopt(zmq.LINGER, 0)
s.bind(sys.argv[1])
seq = 0
def pub(h, n):
    s.send_multipart([b"hashblock", h, n.to_bytes(4, "little")])
print("ready", flush=True)
for line in sys.stdin:
    p = line.split()
    if not p:
        continue
    if p[0] == "block":
        n = int(p[2]) if len(p) > 2 else seq
        pub(bytes.fromhex(p[1]), n)
        seq = n + 1
    elif p[0] == "raw":
        s.send_multipart([bytes.fromhex(x) for x in p[1:]])
    elif p[0] == "flood":
        for _ in range(int(p[1])):
            pub(os.urandom(32), seq)
            seq += 1
    print("ok", flush=True)
`;

export interface ZmqPublisher {
  readonly endpoint: string;
  /** Sends one command line and waits for its acknowledgement. */
  send(line: string): Promise<void>;
  block(hashHex: string, seq?: number): Promise<void>;
  readonly running: boolean;
  kill(): Promise<void>;
  start(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function startZmqPublisher(port = freePort()): Promise<ZmqPublisher> {
  const endpoint = `tcp://127.0.0.1:${port}`;
  let proc: Bun.Subprocess<"pipe", "pipe", "pipe"> | undefined;
  let lines: AsyncIterator<string> | undefined;

  async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of stream) {
      buf += dec.decode(chunk);
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        yield buf.slice(0, i);
        buf = buf.slice(i + 1);
      }
    }
  }

  const expectLine = async (want: string) => {
    const r = await lines!.next();
    if (r.done || r.value !== want) throw new Error(`zmq publisher: expected "${want}", got ${r.done ? "EOF" : JSON.stringify(r.value)}; stderr: ${proc ? await new Response(proc.stderr).text().catch(() => "") : ""}`);
  };

  const pub: ZmqPublisher = {
    endpoint,
    async send(line) {
      if (!proc) throw new Error("zmq publisher is not running");
      proc.stdin.write(`${line}\n`);
      await proc.stdin.flush();
      await expectLine("ok");
    },
    block: (hashHex, seq) => pub.send(`block ${hashHex}${seq === undefined ? "" : ` ${seq}`}`),
    get running() {
      return proc !== undefined && proc.exitCode === null;
    },
    async kill() {
      const p = proc;
      proc = undefined;
      await killNow(p);
    },
    async start() {
      if (proc) return;
      proc = Bun.spawn([SYSTEM_PYTHON, "-c", SCRIPT, endpoint], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
      killOnExit(proc);
      lines = readLines(proc.stdout)[Symbol.asyncIterator]();
      await expectLine("ready");
    },
    [Symbol.asyncDispose]() {
      return pub.kill();
    },
  };
  await pub.start();
  return pub;
}
