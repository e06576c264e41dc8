/**
 * @module Per-minute sums: the port's accepted difficulty per wall-clock minute, for the hashrate
 * PowerPool showed (spec §3.3: hashes_per_share × accepted difficulty in the last completed minute / 60).
 */

const MINUTE_MS = 60_000;

export class MinuteMeter {
  private minute = -1;
  private current = 0;
  private previous = 0;

  add(value: number, now: number): void {
    this.roll(now);
    this.current += value;
  }

  /** The sum over the last completed minute. */
  lastMinute(now: number): number {
    this.roll(now);
    return this.previous;
  }

  private roll(now: number): void {
    const minute = Math.floor(now / MINUTE_MS);
    if (minute === this.minute) return;
    this.previous = minute === this.minute + 1 ? this.current : 0;
    this.current = 0;
    this.minute = minute;
  }
}
