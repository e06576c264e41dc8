/**
 * @module Time as a dependency: the coinserver pool, the tip watcher and the datagram listener take
 * a Clock so tests can drive timers by hand and `stop()` can cancel everything it scheduled.
 */

/** Cancels a scheduled callback; calling it twice is harmless. */
export type Cancel = () => void;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  after(ms: number, fn: () => void): Cancel;
}

export const realClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};
