/**
 * @module Job ids unique across core restarts (JobV1 contract): a boot-time prefix and a counter.
 *
 *   id = 12 hex digits of the boot time in ms ‖ 8 hex digits of the counter   (20 lowercase hex)
 *
 * A restarted core boots at a later millisecond, so its ids never repeat the previous run's even
 * though edges may still hold those jobs (and shares for them). Should the clock have gone back
 * (NTP step, a new machine), `continueAfter` moves the prefix past the last id seen in Redis.
 */

const PREFIX_DIGITS = 12;
const COUNTER_DIGITS = 8;
const COUNTER_LIMIT = 0x1_0000_0000;
const ID = /^[0-9a-f]{20}$/;

export class JobIdAllocator {
  private prefix: number;
  private counter = 0;

  constructor(bootMs: number = Date.now()) {
    if (!Number.isSafeInteger(bootMs) || bootMs < 0 || bootMs >= 16 ** PREFIX_DIGITS)
      throw new RangeError(`JobIdAllocator: expected a boot time in ms since the epoch, got ${bootMs}`);
    this.prefix = bootMs;
  }

  next(): string {
    // 2^32 jobs in one run would take centuries; if it ever happens, a fresh prefix keeps ids unique.
    if (this.counter === COUNTER_LIMIT) {
      this.prefix = Math.max(this.prefix + 1, Date.now());
      this.counter = 0;
    }
    return this.prefix.toString(16).padStart(PREFIX_DIGITS, "0") + (this.counter++).toString(16).padStart(COUNTER_DIGITS, "0");
  }

  /** Ensures every later id sorts after `lastId` (an id of an earlier run); ids of another shape are ignored. */
  continueAfter(lastId: string): void {
    if (!ID.test(lastId)) return;
    const previous = Number.parseInt(lastId.slice(0, PREFIX_DIGITS), 16);
    if (previous >= this.prefix) {
      this.prefix = previous + 1;
      this.counter = 0;
    }
  }
}
