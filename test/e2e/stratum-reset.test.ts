/**
 * Issue 19 §3: connections the peer resets right after connecting (Bun then has no remote
 * address for them) are counted, never logged as an ERROR, and cost nobody else anything. The
 * resets come from /usr/bin/python3 (SO_LINGER 0 + close right after a non-blocking connect: an
 * RST before the edge's open handler runs), as a port scanner or a load balancer's check does.
 */
import { afterEach, expect, test } from "bun:test";
import { BTC_ADDRESS, startTestStratum, type TestStratum } from "../helpers/stratum-env.ts";

let env: TestStratum | undefined;
afterEach(() => {
  env?.stop();
  env = undefined;
});

const RESETS = 300;
const RST_FLOOD = `
import socket, struct, sys
for i in range(int(sys.argv[2])):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.setblocking(False)
    try:
        s.connect(('127.0.0.1', int(sys.argv[1])))
    except BlockingIOError:
        pass
    s.close()
`;

test("connections reset before set-up: counted in the port status, no ERROR, honest miners unaffected", async () => {
  const e = (env = startTestStratum());
  e.feed.publish();
  const honest = await e.connect();
  await honest.cpuMinerHandshake(`${BTC_ADDRESS}.w`);
  const py = Bun.spawn(["/usr/bin/python3", "-c", RST_FLOOD, String(e.port.port), String(RESETS)], { stdout: "ignore", stderr: "pipe" });
  expect(await py.exited).toBe(0);
  const c = e.listener.counters;
  // Every attempt was either set up (and then closed) or counted as reset before set-up.
  for (let i = 0; i < 200 && c.connects - 1 + c.resetBeforeSetup < RESETS; i++) await Bun.sleep(25);
  expect(c.connects - 1 + c.resetBeforeSetup).toBe(RESETS);
  // Bun reports no address for nearly all of them (1955 of 2000 in a trial); some is enough here.
  expect(c.resetBeforeSetup).toBeGreaterThan(0);
  expect(e.logLines.filter((l) => l.includes("[ERROR]"))).toEqual([]);
  expect(e.port.status(e.clock.now(), false).resetBeforeSetup).toBe(c.resetBeforeSetup);
  // The honest miner kept its connection and still gets answers.
  expect((await honest.request("mining.suggest_difficulty", [0.5])).result).toBe(true);
  honest.close();
}, 30_000);
