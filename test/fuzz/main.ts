/**
 * `bun run fuzz`: the hostile-input suite's large run (issue 19 §4), loopback only, bounded in
 * time, stopping by itself. Prints what each part covered and its figures; exits 1 when any part
 * found a problem (a fast/JSON path difference, an accounting change beyond the valid records, an
 * honest miner whose credit differs from its accepted shares, an edge that did not come back to
 * its baseline).
 *
 * usage: bun run fuzz [--seconds 60] [--seed N] [--lines 50000] [--entries 5000]
 */
import { parseArgs } from "node:util";
import { startRedis } from "../helpers/redis.ts";
import { runNetworkFuzz } from "./network.ts";
import { Rng } from "./rng.ts";
import { runStreamFuzz } from "./stream.ts";
import { runSubmitDiff } from "./submit-diff.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    seed: { type: "string" },
    lines: { type: "string", default: "50000" },
    entries: { type: "string", default: "5000" },
  },
});
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const seconds = Math.min(600, Math.max(1, Number(values.seconds)));
console.log(`hostile-input suite, seed ${seed} (repeat with --seed ${seed})`);
let failed = false;
const report = (part: string, problems: readonly string[], figures: object, ms: number) => {
  console.log(`\n${part}: ${problems.length === 0 ? "ok" : "FAILED"} in ${(ms / 1000).toFixed(1)} s`);
  console.log(JSON.stringify(figures, null, 2));
  for (const p of problems) console.log(`  problem: ${p}`);
  if (problems.length > 0) failed = true;
};

let t = performance.now();
const diff = runSubmitDiff(new Rng(seed), Number(values.lines));
report("fast submit path vs JSON path", diff.mismatches, diff, performance.now() - t);

t = performance.now();
const redis = await startRedis();
try {
  const stream = await runStreamFuzz(new Rng(seed + 1), redis.url, Number(values.entries));
  report("core stream entries", stream.problems, stream, performance.now() - t);
} finally {
  await redis.stop();
}

t = performance.now();
const net = await runNetworkFuzz(new Rng(seed + 2), { seconds, honestMiners: 8, concurrency: 48, sources: 1000 });
report("live edge under hostile clients", net.problems, net, performance.now() - t);

process.exit(failed ? 1 : 0);
