/**
 * @module How an edge run as several worker processes names its parts. Each worker is a full edge
 * to Redis under `<edge>/<index>`: its own edge-id lease (so extranonce1 prefixes stay unique pool
 * wide), its own status record (the monitor lists and sums them) and its own spool directory
 * `.spool/<edge>/<index>` (two processes never append to one spool). The supervisor tells a child
 * its index through one environment variable.
 */

/** Set by the supervisor on each child: the worker's index, 0-based. */
export const WORKER_ENV = "POWERPOOL_EDGE_WORKER";

/** The name a worker uses towards Redis (lease, status record, share records). */
export function workerName(edge: string, index: number): string {
  return `${edge}/${index}`;
}

/** `edges.<name>.workers` resolved: 0 means one per core (at least 1). */
export function workerCount(configured: number, cores: number): number {
  if (!Number.isInteger(configured) || configured < 0) throw new RangeError(`workerCount: expected a whole number >= 0, got ${configured}`);
  return configured === 0 ? Math.max(1, Math.floor(cores)) : configured;
}

/** The worker index from the environment; undefined when this process is not a worker. Throws on a bad value. */
export function workerIndexFromEnv(env: Readonly<Record<string, string | undefined>>, count: number): number | undefined {
  const raw = env[WORKER_ENV];
  if (raw === undefined || raw === "") return undefined;
  const index = Number(raw);
  if (!/^\d+$/.test(raw) || index >= count) throw new RangeError(`${WORKER_ENV}: expected a worker index 0..${count - 1}, got ${JSON.stringify(raw)}`);
  return index;
}
