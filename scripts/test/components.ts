/**
 * @module The system components the tests start, each with how to tell it is there and the Debian
 * package that provides it. `bun run setup:test` (scripts/test/setup.ts) checks and installs them;
 * test/helpers/skips.ts names them when a test cannot run without one.
 *
 * A test that starts a new program adds it here, so a fresh machine gets it from the README's
 * test command alone.
 */
import { existsSync } from "node:fs";

export interface SystemComponent {
  /** What the tests run, as a person would look for it. */
  readonly name: string;
  /** Debian/Ubuntu packages that provide it. */
  readonly packages: readonly string[];
  /** Which tests need it, for the message when it is missing. */
  readonly usedBy: string;
  /** Whether it is present; cheap, synchronous. */
  present(): boolean;
}

/** The interpreter the Celery and ZMQ tests run: Debian's, not a pyenv one earlier on PATH. */
export const SYSTEM_PYTHON = "/usr/bin/python3";
export const CHROMIUM_PATH = "/usr/bin/chromium";
export const LITECOIND_PATH = "/usr/lib/litecoin/litecoind";

/** `name` on PATH or, for daemons Debian puts in sbin (not on a normal user's PATH), there. */
export function findProgram(name: string): string | null {
  const onPath = Bun.which(name);
  if (onPath) return onPath;
  for (const dir of ["/usr/sbin", "/sbin", "/usr/local/sbin"]) if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  return null;
}

/** The first C compiler native/build.sh would use ($CC, cc, gcc, clang), or null. */
export function findCCompiler(): string | null {
  for (const c of [process.env.CC, "cc", "gcc", "clang"]) if (c && Bun.which(c)) return c;
  return null;
}

const python = (module: string, pkg: string, usedBy: string): SystemComponent => ({
  name: `${SYSTEM_PYTHON} with the ${module} module`,
  packages: [pkg],
  usedBy,
  present: () => existsSync(SYSTEM_PYTHON) && Bun.spawnSync([SYSTEM_PYTHON, "-c", `import ${module}`], { stdout: "ignore", stderr: "ignore", env: { PATH: "/usr/bin:/bin" } }).exitCode === 0,
});

const program = (name: string, pkg: string, usedBy: string): SystemComponent => ({ name, packages: [pkg], usedBy, present: () => findProgram(name) !== null });

export const SYSTEM_COMPONENTS: readonly SystemComponent[] = [
  program("redis-server", "redis-server", "every test with Redis (a private server per test)"),
  program("redis-sentinel", "redis-sentinel", "the Sentinel failover tests"),
  program("haproxy", "haproxy", "the PROXY-protocol tests behind a real load balancer"),
  program("openssl", "openssl", "the TLS tests (test certificates)"),
  { name: LITECOIND_PATH, packages: ["litecoind"], usedBy: "the Litecoin Core regtest tests", present: () => existsSync(LITECOIND_PATH) },
  python("celery", "python3-celery", "the Celery reporter's end-to-end test"),
  python("redis", "python3-redis", "the Celery reporter's end-to-end test (Redis broker)"),
  python("zmq", "python3-zmq", "the ZMQ block-notification tests"),
  {
    name: "libsodium (libsodium.so.23)",
    packages: ["libsodium23"],
    usedBy: "the Stratum V2 tests (ChaCha20-Poly1305 through bun:ffi, as the edge uses it in production)",
    present: () => ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"].some((d) => existsSync(`${d}/libsodium.so.23`)),
  },
  { name: "a C compiler (cc)", packages: ["gcc"], usedBy: "the native hash library (npm install / bun run build:native)", present: () => findCCompiler() !== null },
  { name: CHROMIUM_PATH, packages: ["chromium"], usedBy: "the dashboard tests (headless Chromium)", present: () => existsSync(CHROMIUM_PATH) },
];

/** The one command a person runs to install `packages`, with sudo unless already root. */
export function installCommand(packages: readonly string[], root = process.getuid?.() === 0): string {
  const sudo = root ? "" : "sudo ";
  return `${sudo}apt-get update && ${sudo}apt-get install -y ${[...new Set(packages)].join(" ")}`;
}

/** The component by name, for test/helpers/skips.ts. */
export function systemComponent(name: string): SystemComponent {
  const c = SYSTEM_COMPONENTS.find((x) => x.name === name);
  if (!c) throw new Error(`no system component named ${JSON.stringify(name)}; add it to scripts/test/components.ts`);
  return c;
}
