/**
 * @module Whose extranonce1 a record carries (issue 20): every extranonce1 an edge hands out starts
 * with the edge id the core granted it (core/edge-ids/). A record whose prefix is an id the core
 * granted another identity — and never this one — is work from another edge's extranonce space:
 * the audit fails it. Anything the core cannot tell (a new leader before its first grant pass, an
 * id a v1-era edge leased itself, an extranonce1 of a size the ids do not cover) is "unknown" and
 * passes: the check only ever convicts on the core's own grants.
 */
import { edgeIdOfExtranonce1 } from "../edge-ids/prefix.ts";
import { edgeIdSpace } from "../edge-ids/allocator.ts";

/** "ok": the prefix is this identity's; `{foreign}`: it is granted to that other identity. */
export type ExtranonceOwnership = "ok" | "unknown" | { readonly foreign: string };

/** The auditor's hook: `edge` is the identity the gate checked (the stream's edge). */
export type ExtranonceOwner = (edge: string, extranonce1: Uint8Array) => ExtranonceOwnership;

/** What the check reads of the allocator (EdgeIdAllocator fits as is). */
export interface EdgeIdGrants {
  /** The largest id: the space the configured extranonce1 size gives. */
  readonly maxId: number;
  grantedId(edge: string): number | undefined;
  wasGranted(edge: string, id: number): boolean;
  selfLeasedId(edge: string): number | undefined;
  grantHolderOf(id: number): string | undefined;
}

export function extranonceOwnerFrom(ids: EdgeIdGrants): ExtranonceOwner {
  return (edge, en1) => {
    // Another size than the pool's (the sampled audit fails that against the job) or outside the scheme.
    if (en1.length < 4 || en1.length > 8 || edgeIdSpace(en1.length) - 1 !== ids.maxId) return "unknown";
    const id = edgeIdOfExtranonce1(en1);
    if (ids.grantedId(edge) === id || ids.wasGranted(edge, id) || ids.selfLeasedId(edge) === id) return "ok";
    const holder = ids.grantHolderOf(id);
    return holder !== undefined && holder !== edge ? { foreign: holder } : "unknown";
  };
}
