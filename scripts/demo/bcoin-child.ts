/**
 * @module Child-process entry for scripts/demo/bcoin.ts: runs bcoin's `bin/node` in this process
 * and exits as soon as its parent (the demo, or the test runner) is gone. `bun test` fires no
 * `exit` event and a SIGKILLed demo runs no handler, so the parent cannot reliably kill its
 * children on the way out; instead the child watches its stdin pipe (EOF when the parent dies)
 * and, as a backup, its parent pid.
 */
import { createRequire } from "node:module";
import { join } from "node:path";

const parent = process.ppid;
const quit = () => process.exit(0);
process.stdin.on("end", quit);
process.stdin.on("close", quit);
process.stdin.resume();
setInterval(() => {
  if (process.ppid !== parent) quit();
}, 500).unref();

// bin/node reads its flags from process.argv, which has the same shape here ([bun, script, …flags]).
createRequire(import.meta.url)(join(import.meta.dir, "../../node_modules/bcoin/bin/node"));
