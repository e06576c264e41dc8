import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BUILD_SH = new URL("../../native/build.sh", import.meta.url).pathname;

test("native/build.sh without a C compiler exits 0 and says how to get one", () => {
  // A PATH holding only the tools the script needs, none of them a compiler.
  const bin = mkdtempSync(join(tmpdir(), "powhash-nocc-"));
  try {
    for (const tool of ["sh", "dirname", "uname", "printf", "cat", "find", "head", "mkdir", "rm", "wc", "tr", "date", "getconf"]) {
      const path = Bun.which(tool);
      if (path) symlinkSync(path, join(bin, tool));
    }
    const run = Bun.spawnSync([join(bin, "sh"), BUILD_SH], { env: { PATH: bin, CC: "" } });
    const out = run.stdout.toString();
    expect(run.exitCode).toBe(0);
    expect(out).toContain("no C compiler found");
    expect(out).toContain("apt-get install -y gcc");
    expect(out).toContain("TinyCC");
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});
