/** @module Aux work as the core last fetched it (getauxblock/createauxblock), for the monitor and other cores. */
import { z } from "zod";
import { hex, jsonCodec, name, u32 } from "./json-codec.ts";

export const AUX_WORK_VERSION = 1;

const auxWork = z.object({
  v: z.literal(AUX_WORK_VERSION),
  aux: name,
  currency: name,
  chainId: u32,
  /** Aux block hash, display hex. */
  hash: hex(32),
  /** Target, big-endian hex (the node's `_target` reversed). */
  target: hex(32),
  bits: hex(4).nullable(),
  height: z.number().int().min(0),
  fetchedAt: z.number().nonnegative(),
});

export type AuxWorkV1 = z.output<typeof auxWork>;
export const auxWorkCodec = jsonCodec("aux work", AUX_WORK_VERSION, auxWork);
