/**
 * @module `bun run setup:test` (also the first step of `bun run test`): makes sure every system
 * component the tests start is installed (scripts/test/components.ts). Missing ones are installed
 * with apt-get when running as root on Debian/Ubuntu; otherwise it stops, printing one line per
 * missing component and the exact command that installs it. Then it builds the native hash
 * library, which `npm install` could not build if the C compiler was missing at the time.
 *
 *   bun scripts/test/setup.ts [--check]     --check: report only, install and build nothing
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SYSTEM_COMPONENTS, findCCompiler, installCommand, type SystemComponent } from "./components.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface SetupOptions {
  readonly components?: readonly SystemComponent[];
  /** Whether we may install: running as root. */
  readonly root?: boolean;
  /** Whether this is Debian/Ubuntu with apt-get. */
  readonly apt?: boolean;
  /** Only report; install and build nothing. */
  readonly check?: boolean;
  /** Runs a command with inherited output; resolves to its exit code. */
  readonly run?: (argv: readonly string[], env?: Record<string, string>) => Promise<number>;
  readonly say?: (line: string) => void;
  /** Build the native hash library afterwards (default true). */
  readonly buildNative?: boolean;
}

/** Debian or a derivative (Ubuntu …) with apt-get on PATH. */
export function isDebianLike(): boolean {
  if (!Bun.which("apt-get")) return false;
  if (existsSync("/etc/debian_version")) return true;
  try {
    return /^ID(_LIKE)?=.*\b(debian|ubuntu)\b/m.test(readFileSync("/etc/os-release", "utf8"));
  } catch {
    return false;
  }
}

async function runInherit(argv: readonly string[], env?: Record<string, string>): Promise<number> {
  const proc = Bun.spawn([...argv], { stdout: "inherit", stderr: "inherit", stdin: "ignore", env: { ...process.env, ...env } });
  return await proc.exited;
}

/** One line per missing component with its install command, then one command for all of them. */
export function missingReport(missing: readonly SystemComponent[], root: boolean, apt: boolean): string[] {
  const on = apt ? "" : " (on Debian/Ubuntu)";
  const lines = [`test setup: ${missing.length} system component${missing.length === 1 ? "" : "s"} the tests start ${missing.length === 1 ? "is" : "are"} missing:`];
  for (const c of missing) lines.push(`  missing ${c.name}, for ${c.usedBy}; install${on}: ${installCommand(c.packages, root)}`);
  if (missing.length > 1) lines.push(`install them all${on}: ${installCommand(missing.flatMap((c) => c.packages), root)}`);
  lines.push("then run the tests again.");
  return lines;
}

/** Checks, installs what it can, builds the native library; false means: do not run the tests. */
export async function setupTests(options: SetupOptions = {}): Promise<boolean> {
  const components = options.components ?? SYSTEM_COMPONENTS;
  const root = options.root ?? process.getuid?.() === 0;
  const apt = options.apt ?? isDebianLike();
  const run = options.run ?? runInherit;
  const say = options.say ?? ((l: string) => console.error(l));

  let missing = components.filter((c) => !c.present());
  if (missing.length > 0 && root && apt && !options.check) {
    const packages = [...new Set(missing.flatMap((c) => c.packages))];
    say(`test setup: installing ${packages.join(" ")} with apt-get (missing: ${missing.map((c) => c.name).join(", ")})`);
    const env = { DEBIAN_FRONTEND: "noninteractive" };
    const updated = await run(["apt-get", "update", "-qq"], env);
    if (updated !== 0) say(`test setup: apt-get update exited with ${updated}; trying the install anyway`);
    const installed = await run(["apt-get", "install", "-y", "-q", ...packages], env);
    if (installed !== 0) say(`test setup: apt-get install exited with ${installed}`);
    missing = components.filter((c) => !c.present());
  }
  if (missing.length > 0) {
    for (const line of missingReport(missing, root, apt)) say(line);
    return false;
  }
  if (options.check || options.buildNative === false) return true;
  return await buildNative(say);
}

/** native/build.sh is a no-op when the library is up to date; run it in case the compiler came later. */
async function buildNative(say: (line: string) => void): Promise<boolean> {
  if (!findCCompiler()) return true; // reported above as missing; unreachable in practice
  const proc = Bun.spawn(["sh", `${ROOT}native/build.sh`], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0 || !/is up to date/.test(out)) for (const line of `${out}${err}`.trim().split("\n")) say(line);
  if (code !== 0) say("test setup: the native hash library did not build (see above); fix it, then run: bun run build:native");
  return code === 0;
}

if (import.meta.main) {
  const check = process.argv.includes("--check");
  const ok = await setupTests({ check });
  if (ok && check) console.error(`test setup: all ${SYSTEM_COMPONENTS.length} system components the tests start are present`);
  process.exit(ok ? 0 : 1);
}
