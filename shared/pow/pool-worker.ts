/**
 * @module One worker of the hash pool: owns its own load of the native library, self-tests it
 * at start, then answers batches. scrypt jobs of equal N and input length go through the lane
 * kernels together; x11 and sha256d jobs are hashed one by one.
 */
import { createFastestSha256dHasher, createScryptBatcher, createX11Hasher, type Hasher, type ScryptBatcher } from "./hashers.ts";
import { loadPowNative } from "./native.ts";
import {
  JOB_SCRYPT,
  JOB_X11,
  type BatchMessage,
  type FromWorker,
  type InitMessage,
  type ToWorker,
} from "./pool-protocol.ts";
import { runSelfTest } from "./self-test.ts";

declare const self: Worker;

interface Engines {
  readonly scrypt: ScryptBatcher;
  readonly x11: Hasher;
  readonly sha256d: Hasher;
}

let engines: Engines | undefined;

function send(message: FromWorker, transfer: Bun.Transferable[] = []): void {
  self.postMessage(message, transfer);
}

function init(message: InitMessage): void {
  try {
    const native = loadPowNative({ ...message.load, warn: () => {} }); // the main thread warns once
    const report = runSelfTest(message.algorithms, native);
    if (!report.ok) {
      send({ type: "init-failed", message: `worker self-test failed (${native.description})`, failures: report.failures });
      return;
    }
    const scrypt = createScryptBatcher(native);
    engines = { scrypt, x11: createX11Hasher(native), sha256d: createFastestSha256dHasher(native) };
    send({ type: "ready", implementation: scrypt.implementation, laneGroup: scrypt.laneGroup, checks: report.checks.length });
  } catch (error) {
    send({ type: "init-failed", message: error instanceof Error ? error.message : String(error), failures: [] });
  }
}

function runBatch(e: Engines, m: BatchMessage): Uint8Array<ArrayBuffer> {
  const count = m.kinds.length;
  const out = new Uint8Array(32 * count);
  const offsets = new Uint32Array(count);
  const groups = new Map<string, number[]>();
  for (let i = 0, off = 0; i < count; off += m.lengths[i]!, i++) {
    offsets[i] = off;
    const kind = m.kinds[i]!;
    const input = m.data.subarray(off, off + m.lengths[i]!);
    if (kind === JOB_SCRYPT) {
      const key = `${m.ns[i]}:${m.lengths[i]}`;
      const group = groups.get(key);
      if (group) group.push(i);
      else groups.set(key, [i]);
    } else {
      (kind === JOB_X11 ? e.x11 : e.sha256d).hashInto(input, out.subarray(32 * i, 32 * i + 32));
    }
  }
  for (const jobs of groups.values()) {
    const first = jobs[0]!;
    const len = m.lengths[first]!;
    const input = new Uint8Array(len * jobs.length);
    jobs.forEach((j, k) => input.set(m.data.subarray(offsets[j]!, offsets[j]! + len), k * len));
    const hashes = new Uint8Array(32 * jobs.length);
    e.scrypt.hashBatchInto(input, len, jobs.length, hashes, m.ns[first]!);
    jobs.forEach((j, k) => out.set(hashes.subarray(32 * k, 32 * k + 32), 32 * j));
  }
  return out;
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === "init") {
    init(message);
    return;
  }
  if (!engines) {
    send({ type: "batch-failed", id: message.id, message: "worker not initialised" });
    return;
  }
  try {
    const out = runBatch(engines, message);
    send({ type: "done", id: message.id, out }, [out.buffer]);
  } catch (error) {
    send({ type: "batch-failed", id: message.id, message: error instanceof Error ? error.message : String(error) });
  }
};
