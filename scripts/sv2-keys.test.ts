/** `bun run sv2-keys`: authority, certify (fresh and --renew), show; refuses to overwrite; exit codes. */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAuthorityFile, parseEdgeKeyFile } from "../edge/sv2/keys.ts";

const SCRIPT = new URL("./sv2-keys.ts", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "pp-sv2-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]) {
  const proc = Bun.spawnSync([process.execPath, SCRIPT, ...args], { cwd: dir });
  return { code: proc.exitCode, out: proc.stdout.toString(), err: proc.stderr.toString() };
}

test("authority, certify, renew and show make files the edge accepts", () => {
  const a = run("authority", "--out", "auth.json");
  expect(a.code).toBe(0);
  const authority = parseAuthorityFile(readFileSync(join(dir, "auth.json"), "utf8"), "auth.json");
  expect(a.out).toContain(authority.encoded);
  expect(statSync(join(dir, "auth.json")).mode & 0o777).toBe(0o600);

  expect(run("certify", "--authority", "auth.json", "--out", "edge.json", "--days", "30").code).toBe(0);
  const now = Math.floor(Date.now() / 1000);
  const edge = parseEdgeKeyFile(readFileSync(join(dir, "edge.json"), "utf8"), "edge.json", now);
  expect(edge.authorityEncoded).toBe(authority.encoded);
  expect(edge.certificate.notValidAfter - now).toBeGreaterThan(29 * 86400);

  expect(run("certify", "--authority", "auth.json", "--renew", "edge.json", "--out", "edge2.json").code).toBe(0);
  const renewed = parseEdgeKeyFile(readFileSync(join(dir, "edge2.json"), "utf8"), "edge2.json", now);
  expect(Buffer.from(renewed.secret).toString("hex")).toBe(Buffer.from(edge.secret).toString("hex"));

  const show = run("show", "edge.json");
  expect(show.code).toBe(0);
  expect(show.out).toContain(`authority public key: ${authority.encoded}`);
}, 60_000);

test("refuses to overwrite a key file, and usage mistakes exit 2", () => {
  expect(run("authority", "--out", "twice.json").code).toBe(0);
  const again = run("authority", "--out", "twice.json");
  expect(again.code).toBe(2);
  expect(again.err).toContain("refusing to overwrite");
  expect(run("certify", "--out", "x.json").code).toBe(2);
  expect(run("certify", "--authority", "twice.json", "--out", "y.json", "--days", "0").code).toBe(2);
  expect(run("frobnicate").code).toBe(2);
}, 60_000);
