/** The UDP listener over a real loopback socket, fed by Bun and by contrib/blocknotify. */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { buildNotifyTargets } from "./actions.ts";
import { DatagramHandler } from "./handler.ts";
import { startConfiguredNotifyListener, startNotifyListener } from "./index.ts";

const SCRIPT = join(import.meta.dir, "../../contrib/blocknotify");

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

async function sender() {
  return Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
}

function setup(secret?: string) {
  const hits = { LTC: 0, DOGE: 0 };
  const cap = captureLog("notify");
  const targets = buildNotifyTargets({ LTC: { notify: () => hits.LTC++ } }, { DOGE: { notify: () => hits.DOGE++ } });
  return { hits, ...cap, handler: new DatagramHandler({ targets, secret, log: cap.log }) };
}

describe("notify listener", () => {
  test("binds loopback and accepts PowerPool's canonical datagrams", async () => {
    const { hits, handler } = setup();
    using l = await startNotifyListener({ host: "127.0.0.1", port: 0, handler });
    expect(l.host).toBe("127.0.0.1");
    const s = await sender();
    s.send("LTC getblocktemplate signal=1 __spawn=1\n", l.port, "127.0.0.1");
    s.send("DOGE _check_new_jobs signal=1 _single_exec=True __spawn=1", l.port, "127.0.0.1");
    await until(() => hits.LTC === 1 && hits.DOGE === 1, "both refreshes");
    expect(l.counters().accepted).toBe(2);
    s.close();
  });

  test("a flood of junk is dropped and counted; the listener keeps working", async () => {
    const { hits, handler, count } = setup("0123456789abcdef");
    using l = await startNotifyListener({ host: "127.0.0.1", port: 0, handler });
    const s = await sender();
    const junk = [
      "LTC getblocktemplate signal=1", // no secret
      "LTC getblocktemplate signal=1 secret=nope", // wrong secret
      "\xff\xfe binary",
      "x".repeat(2000),
      "one-word",
      "LTC stop secret=0123456789abcdef",
      "BTC getblocktemplate secret=0123456789abcdef",
    ];
    let sent = 0;
    for (let i = 0; i < 100; i++) {
      // UDP send does not queue: a full socket buffer drops the datagram, so pace the flood a little.
      for (const j of junk) sent += s.send(j, l.port, "127.0.0.1") ? 1 : 0;
      if (i % 10 === 9) await Bun.sleep(1);
    }
    await until(() => Object.values(l.counters().rejected).reduce((a, b) => a + b, 0) >= sent * 0.5, "most of the flood");
    // UDP may lose a datagram under load: resend the valid one until it is seen.
    for (let i = 0; hits.LTC === 0 && i < 50; i++) {
      s.send("LTC getblocktemplate signal=1 secret=0123456789abcdef", l.port, "127.0.0.1");
      await Bun.sleep(20);
    }
    expect(hits.LTC).toBeGreaterThanOrEqual(1);
    const c = l.counters();
    const rejected = Object.values(c.rejected).reduce((a, b) => a + b, 0);
    expect(c.accepted).toBe(hits.LTC);
    expect(rejected).toBeGreaterThan(0);
    expect(rejected).toBeLessThanOrEqual(700); // UDP may drop some under load; none may be accepted
    expect(count(/dropped datagram/)).toBeLessThanOrEqual(10);
    s.close();
  });

  test("contrib/blocknotify sends a datagram the core accepts, with the secret from an argument or the environment", async () => {
    const { hits, handler } = setup("0123456789abcdef");
    using l = await startNotifyListener({ host: "127.0.0.1", port: 0, handler });
    const run = (args: string[], env: Record<string, string> = {}) => Bun.spawnSync(["sh", SCRIPT, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stderr: "pipe" });
    expect(run(["LTC", "127.0.0.1", String(l.port), "0123456789abcdef"]).exitCode).toBe(0);
    expect(run(["--aux", "DOGE"], { PP_NOTIFY_PORT: String(l.port), PP_NOTIFY_SECRET: "0123456789abcdef" }).exitCode).toBe(0);
    expect(run(["LTC", "127.0.0.1", String(l.port)]).exitCode).toBe(0); // no secret: sent, but dropped
    await until(() => hits.LTC === 1 && hits.DOGE === 1 && l.counters().rejected.missing_secret === 1, "script datagrams");
    const bad = run(["L;TC", "127.0.0.1", String(l.port)]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString()).toContain("usage: blocknotify [--aux] COMPONENT [HOST [PORT [SECRET]]]");
    expect(run([]).exitCode).toBe(2);
  });

  test("startConfiguredNotifyListener follows pool.datagram: off by default, offset port, secret", async () => {
    const { log } = captureLog();
    const off = { pool: { datagram: { enabled: false, host: "127.0.0.1", port: 6855 } }, datagramPort: 6855 } as const;
    expect(await startConfiguredNotifyListener(off as never, {}, {}, log)).toBeNull();
    let hit = 0;
    const on = { pool: { datagram: { enabled: true, host: "127.0.0.1", port: 0, secret: "0123456789abcdef" } }, datagramPort: 0 };
    using l = (await startConfiguredNotifyListener(on as never, { LTC: { notify: () => hit++ } }, {}, log))!;
    const s = await sender();
    s.send("LTC getblocktemplate signal=1", l.port, "127.0.0.1");
    s.send("LTC getblocktemplate signal=1 secret=0123456789abcdef", l.port, "127.0.0.1");
    await until(() => hit === 1 && l.counters().rejected.missing_secret === 1, "one accepted, one rejected");
    s.close();
  });
});
