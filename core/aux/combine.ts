/**
 * @module A parent coin's aux input for each job (spec §6.2): the current work of its `merged`
 * chains in one aux tree, the commitment push for the coinbase and the targets edges check.
 * The tree is a pure function of the chains' (chain id, hash) pairs, so the core can rebuild it
 * from a job's `aux` list at submit time (auxpow.ts `placeInJob`) without storing it.
 */
import type { AuxTargetV1 } from "../../shared/contract/index.ts";
import type { Logger } from "../../shared/log.ts";
import type { AuxWork } from "../jobs/build-job.ts";
import { auxCommitment, buildAuxTree, EMPTY_AUX_COMMITMENT } from "./tree.ts";
import type { AuxWorkPoller, AuxWorkState } from "./work.ts";

export function auxTargetOf(w: AuxWorkState): AuxTargetV1 {
  return { currency: w.currency, chainId: w.chainId, hash: w.hash, target: w.target.toString(16).padStart(64, "0"), height: w.height, algo: w.algo };
}

/**
 * The provider a parent's JobManager calls per job. Chains without work yet are left out; two
 * chains with one chain id cannot share a tree (their slots always collide), so the later one in
 * config order is left out with an error (spec §15 item 20: PowerPool crashed job generation).
 */
export function auxProvider(pollers: readonly AuxWorkPoller[], log: Logger): () => AuxWork {
  const warned = new Set<string>();
  return () => {
    const works: AuxWorkState[] = [];
    for (const p of pollers) {
      const w = p.current();
      if (!w) continue;
      const clash = works.find((x) => x.chainId === w.chainId);
      if (clash) {
        const k = `${clash.aux}/${w.aux}`;
        if (!warned.has(k)) log.error(`aux chains ${clash.aux} and ${w.aux} both have chain id ${w.chainId}: ${w.aux} is not merge-mined`);
        warned.add(k);
        continue;
      }
      works.push(w);
    }
    // Spec §6.2: with merging configured but no work yet, still a commitment (root 0, size 1).
    if (works.length === 0) return { extraScriptSig: EMPTY_AUX_COMMITMENT, targets: [] };
    const tree = buildAuxTree(works.map((w) => ({ chainId: w.chainId, hash: w.hash })));
    return { extraScriptSig: auxCommitment(tree), targets: works.map(auxTargetOf) };
  };
}
