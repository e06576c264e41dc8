/**
 * @module Spools the current process layout will not replay. A lone edge spools in `.spool/<edge>`,
 * worker i in `.spool/<edge>/<i>`; after `workers` changes, records left in the other layout's
 * spools would sit there unsent, so the edge names them at start (the fix: run the old layout
 * until Redis has them, or point that layout at them again).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const FILES = ["shares.spool", "candidates.spool"];

function pending(dir: string): string[] {
  return FILES.map((f) => join(dir, f)).filter((p) => existsSync(p) && statSync(p).size > 0);
}

/** Non-empty spool files under `edgeDir` that no process of a `workers`-process edge (1: lone) replays. */
export function strandedSpools(edgeDir: string, workers: number): string[] {
  if (!existsSync(edgeDir)) return [];
  const out = workers > 1 ? pending(edgeDir) : [];
  for (const entry of readdirSync(edgeDir).sort()) {
    if (!/^\d+$/.test(entry)) continue;
    if (workers > 1 && Number(entry) < workers) continue;
    out.push(...pending(join(edgeDir, entry)));
  }
  return out;
}
