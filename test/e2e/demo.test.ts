/**
 * `bun run demo` as a user runs it (issue 8 §1): a child process from the repository root, with a
 * private Redis (tests never use the machine's) and its own TMPDIR. An "external miner" connects
 * with the printed URL and login and gets a share accepted and shown on the dashboard; the status
 * line reports accepted blocks; SIGINT stops everything: exit 0, no bcoin or redis-server left,
 * no temporary files left.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TestMiner } from "../helpers/miner.ts";

const ROOT = join(import.meta.dir, "../..");
const tmp = mkdtempSync(join(tmpdir(), "pp-demo-test-"));
// A safety net only: the test sends SIGINT long before.
const demo = Bun.spawn([process.execPath, "run", "demo", "--private-redis", "--duration", "45"], {
  cwd: ROOT,
  env: { ...process.env, TMPDIR: tmp, POWERPOOL_DEMO_PRIVATE_REDIS: "1" },
  stdout: "pipe",
  stderr: "pipe",
});
let out = "";
let err = "";
void (async () => {
  for await (const chunk of demo.stdout) out += new TextDecoder().decode(chunk);
})();
void (async () => {
  for await (const chunk of demo.stderr) err += new TextDecoder().decode(chunk);
})();

afterAll(() => {
  if (demo.exitCode === null) demo.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

async function waitFor<T>(what: string, get: () => T | undefined | Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (demo.exitCode !== null) throw new Error(`the demo exited (${demo.exitCode}) while waiting for ${what}:\n${out}\n${err}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output so far:\n${out}\n${err}`);
    await Bun.sleep(100);
  }
}

const match = (re: RegExp) => () => re.exec(out) ?? undefined;

/** Processes still running whose command line contains `needle`. */
async function processesWith(needle: string): Promise<string[]> {
  const ps = Bun.spawnSync(["ps", "-eo", "pid,args"]);
  return new TextDecoder().decode(ps.stdout).split("\n").filter((l) => l.includes(needle) && !l.includes("ps -eo"));
}

test("bun run demo: an external miner with the printed login, blocks accepted, Ctrl-C leaves nothing behind", async () => {
  const url = await waitFor("the stratum URL", match(/Stratum URL:\s+stratum\+tcp:\/\/127\.0\.0\.1:(\d+)/));
  const login = await waitFor("the miner login", match(/Miner login:\s+username (\S+)\s+password (\S+)/));
  const dashboard = (await waitFor("the dashboard URL", match(/Dashboard:\s+(http:\S+)/)))[1]!;
  const bcoinPort = (await waitFor("bcoin's RPC port", match(/RPC http:\/\/127\.0\.0\.1:(\d+)\//)))[1]!;
  const redisPort = (await waitFor("the private Redis", match(/private redis-server on 127\.0\.0\.1:(\d+)/)))[1]!;
  expect(out).toContain(`minerd -a sha256d -o stratum+tcp://127.0.0.1:${url[1]} -u ${login[1]} -p x`);
  expect(login[2]).toBe("x");
  expect(await processesWith(`--http-port=${bcoinPort}`)).toHaveLength(1);
  expect(await processesWith(`127.0.0.1:${redisPort}`)).toHaveLength(1);

  // The external miner: exactly what the banner says, cpuminer's order.
  const miner = await TestMiner.connect(Number(url[1]));
  const hs = await miner.cpuMinerHandshake(login[1]!, login[2]);
  expect(hs.authorize.result).toBe(true);
  let accepted = false;
  // The built-in miner finds a block about every second; a flush in between makes a share stale.
  for (let i = 0; i < 8 && !accepted; i++) {
    const job = miner.lastJob!;
    const reply = await miner.submit(miner.mineShare(job), { user: login[1] });
    accepted = reply.result === true;
    if (!accepted) expect((reply.error as unknown[])[0]).toBe(21);
  }
  expect(accepted).toBe(true);
  const [address, worker] = login[1]!.split(".");
  // The dashboard lists the visitor's worker (from the edge's heartbeat).
  const seen = await waitFor("the visitor on the dashboard", async () => {
    const d = (await (await fetch(`${dashboard}data`)).json()) as { workers: { address: string; worker: string; acceptedDifficulty: number }[] };
    return d.workers.find((w) => w.address === address && w.worker === worker && w.acceptedDifficulty > 0);
  });
  expect(seen.acceptedDifficulty).toBeGreaterThan(0);
  expect((await fetch(dashboard)).status).toBe(200);

  // stratum+ssl on the same port, trusting the self-signed certificate the banner names.
  const ssl = await waitFor("the stratum+ssl URL", match(/Stratum TLS:\s+stratum\+ssl:\/\/127\.0\.0\.1:(\d+)\s+\(same port; self-signed (\S+);/));
  expect(ssl[1]).toBe(url[1]);
  const tlsMiner = await TestMiner.connect(Number(ssl[1]), "127.0.0.1", { ca: await Bun.file(ssl[2]!).text() });
  expect((await tlsMiner.cpuMinerHandshake(`${address}.tls`)).authorize.result).toBe(true);
  tlsMiner.close();

  // Not a TTY: plain status lines every few seconds.
  const status = await waitFor("a status line with accepted blocks", () => [...out.matchAll(/blocks (\d+) found, (\d+) accepted/g)].find((m) => Number(m[2]) > 0));
  expect(Number(status[1])).toBeGreaterThanOrEqual(Number(status[2]));
  expect(out).not.toContain("\r");
  miner.close();

  demo.kill("SIGINT");
  expect(await demo.exited).toBe(0);
  expect(out).toContain("Demo stopped");
  expect(await processesWith(`--http-port=${bcoinPort}`)).toEqual([]);
  expect(await processesWith(`127.0.0.1:${redisPort}`)).toEqual([]);
  expect(await processesWith("scripts/demo/main.ts")).toEqual([]);
  expect(readdirSync(tmp)).toEqual([]);
  // Nothing on stderr but `bun run`'s echo of the script it runs.
  expect(err.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("$ bun scripts/demo/main.ts"))).toEqual([]);
}, 60_000);
