import { describe, expect, test } from "bun:test";
import type { SystemComponent } from "./components.ts";
import { setupTests } from "./setup.ts";

/** A component whose presence the test controls. */
function fake(name: string, packages: string[], state: { present: boolean }): SystemComponent {
  return { name, packages, usedBy: `the ${name} tests`, present: () => state.present };
}

function harness(options: { root: boolean; apt: boolean; installs?: boolean }) {
  const lines: string[] = [];
  const commands: string[] = [];
  const sentinel = { present: false };
  const zmq = { present: false };
  const redis = { present: true };
  const components = [fake("redis-server", ["redis-server"], redis), fake("redis-sentinel", ["redis-sentinel"], sentinel), fake("/usr/bin/python3 with the zmq module", ["python3-zmq"], zmq)];
  const run = async (argv: readonly string[], env?: Record<string, string>) => {
    commands.push(`${env?.DEBIAN_FRONTEND ? `DEBIAN_FRONTEND=${env.DEBIAN_FRONTEND} ` : ""}${argv.join(" ")}`);
    if (argv[1] === "install" && options.installs !== false) sentinel.present = zmq.present = true;
    return 0;
  };
  const go = () => setupTests({ components, root: options.root, apt: options.apt, run, say: (l) => lines.push(l), buildNative: false });
  return { lines, commands, go };
}

describe("bun run setup:test", () => {
  test("as root on Debian: apt-get update, then one install of what is missing, then the tests may run", async () => {
    const h = harness({ root: true, apt: true });
    expect(await h.go()).toBe(true);
    expect(h.commands).toEqual(["DEBIAN_FRONTEND=noninteractive apt-get update -qq", "DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-sentinel python3-zmq"]);
  });

  test("not root: installs nothing, stops with one line per missing component and the exact command", async () => {
    const h = harness({ root: false, apt: true });
    expect(await h.go()).toBe(false);
    expect(h.commands).toEqual([]);
    expect(h.lines).toEqual([
      "test setup: 2 system components the tests start are missing:",
      "  missing redis-sentinel, for the redis-sentinel tests; install: sudo apt-get update && sudo apt-get install -y redis-sentinel",
      "  missing /usr/bin/python3 with the zmq module, for the /usr/bin/python3 with the zmq module tests; install: sudo apt-get update && sudo apt-get install -y python3-zmq",
      "install them all: sudo apt-get update && sudo apt-get install -y redis-sentinel python3-zmq",
      "then run the tests again.",
    ]);
  });

  test("root, but apt-get did not provide it: stops and says what is still missing", async () => {
    const h = harness({ root: true, apt: true, installs: false });
    expect(await h.go()).toBe(false);
    expect(h.commands).toHaveLength(2);
    expect(h.lines.filter((l) => l.startsWith("  missing "))).toHaveLength(2);
    expect(h.lines).toContain("install them all: apt-get update && apt-get install -y redis-sentinel python3-zmq");
  });

  test("not Debian: names the Debian packages, installs nothing", async () => {
    const h = harness({ root: true, apt: false });
    expect(await h.go()).toBe(false);
    expect(h.commands).toEqual([]);
    expect(h.lines[1]).toBe("  missing redis-sentinel, for the redis-sentinel tests; install (on Debian/Ubuntu): apt-get update && apt-get install -y redis-sentinel");
  });

  test("on this machine every real component is found (the checks themselves work)", async () => {
    const lines: string[] = [];
    expect([await setupTests({ check: true, say: (l) => lines.push(l) }), lines]).toEqual([true, []]);
  });
});
