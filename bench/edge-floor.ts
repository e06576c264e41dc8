/**
 * @module The floor for `bun run bench:edge`: a bare Bun.listen server that speaks just enough
 * stratum for the load generator (a subscribe reply, `true` to everything else, one fixed notify)
 * and checks nothing. Measured with the same load generator and phases as the edge, it shows what
 * the runtime, the kernel's loopback and the harness cost on this machine, so the edge's own share
 * of each figure can be read off (RSS of a bare socket, reply latency, one write per client in a
 * fan-out: the edge's notify bytes for the job `notify` brings, built once before the timed loop as
 * the edge builds them). Same IPC protocol as bench/edge-server.ts, plus `notify` (there is no job
 * feed here).
 *
 * With `--reuse-port` several of these listen on one port (SO_REUSEPORT; the kernel spreads new
 * connections over them): the floor of spreading an edge's clients over worker processes.
 *
 *   bun bench/edge-floor.ts [--port <n>] [--reuse-port]
 */
import type { Socket } from "bun";
import { prepareJob } from "../edge/jobs/prepared-job.ts";
import type { FromEdge, ToEdge } from "./edge-protocol.ts";

const argv = process.argv.slice(2);
const PORT = argv.includes("--port") ? Number(argv[argv.indexOf("--port") + 1]) : 0;
/** bun-types 1.4.5 declares `reusePort` for Bun.connect only; Bun.listen takes it too (SO_REUSEPORT). */
const REUSE: object = argv.includes("--reuse-port") ? { reusePort: true } : {};
const send = (m: FromEdge) => process.send?.(m);
const wallNow = () => performance.timeOrigin + performance.now();
const encoder = new TextEncoder();
const OK = `{"error":null,"id":1,"result":true}\n`;
const SUBSCRIBE = `{"id": 1, "result": [[["mining.set_difficulty", "00000001"], ["mining.notify", "00000001"]], "00000001", 4], "error": null}\n`;
const notifyLine = (id: string, clean: boolean) =>
  `{"params":["${id}","${"00".repeat(32)}","01000000","ffffffff",[],"20000000","17034219","${Math.floor(Date.now() / 1000).toString(16)}",${clean}],"id":null,"method":"mining.notify"}\n`;
/**
 * Job ids numbered as the edge's JobCache numbers them (a counter from a random start below 2^24:
 * six hex digits but for a 1-in-16 start), so a notify is the edge's line byte for byte. With ids
 * counted from 1 every id was one character, which the load generator reads back as an interned
 * string for free, while the edge's six-character ids cost it an allocation per client.
 */
let job = 0x100000 + Math.floor(Math.random() * 0xf00000);
let current = notifyLine((job++).toString(16), false);

/** Per socket: 0 = before subscribe, 1 = before authorize, 2 = answering submits. */
const sockets = new Set<Socket<{ stage: number }>>();
const server = Bun.listen<{ stage: number }>({
  hostname: "127.0.0.1",
  port: PORT,
  ...REUSE,
  socket: {
    binaryType: "uint8array",
    open(s) {
      s.data = { stage: 0 };
      s.setNoDelay(true);
      sockets.add(s);
    },
    data(s, chunk) {
      let out = "";
      let at = 0;
      for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, at)) {
        at = nl + 1;
        // The handshake is the load generator's fixed subscribe-then-authorize.
        if (s.data.stage === 0) out += SUBSCRIBE;
        else if (s.data.stage === 1) out += `${OK}{"params":[1e-10],"id":null,"method":"mining.set_difficulty"}\n${current}`;
        else out += OK;
        if (s.data.stage < 2) s.data.stage++;
      }
      if (out) s.write(out);
    },
    close(s) {
      sockets.delete(s);
    },
  },
});

process.on("message", (m: ToEdge) => {
  if (m.type === "memory") {
    const u = process.memoryUsage();
    send({ type: "memory", rss: u.rss, heapUsed: u.heapUsed, heapTotal: u.heapTotal, external: u.external });
  } else if (m.type === "notify") {
    const id = (job++).toString(16);
    current = notifyLine(id, false);
    // One shared buffer written to every client, as the edge's broadcast does: with a job given, the
    // bytes the edge builds for it (edge/jobs/prepared-job.ts), so both write the same lines.
    const line = m.job ? prepareJob(m.job, id, Date.now(), 0).notifyLine(true) : encoder.encode(notifyLine(id, true));
    const startAt = wallNow();
    const cpu = process.cpuUsage();
    for (const s of sockets) s.write(line);
    const used = process.cpuUsage(cpu);
    send({ type: "fanout", port: "floor", jobId: id, startAt, endAt: wallNow(), cpuMs: (used.user + used.system) / 1000, clients: sockets.size });
  } else if (m.type === "stop") {
    server.stop(true);
    send({ type: "stopped" });
    process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));
send({ type: "ready", ports: { floor: server.port } });
