/**
 * @module The demo's live progress: one line — shares, blocks, hashrate, height, miners — redrawn
 * every second on a terminal, and printed every few seconds when stdout is a file or a CI log
 * (no carriage returns to garble it). Log lines are printed above it.
 */
import type { RunningCore } from "../../core/app.ts";
import type { RunningEdge } from "../../edge/app.ts";
import type { BcoinNode } from "./bcoin.ts";

/** Hashrate is averaged over this window of accepted difficulty. */
const WINDOW_MS = 30_000;

export interface StatusSnapshot {
  readonly acceptedShares: number;
  readonly rejectedShares: number;
  readonly blocksFound: number;
  readonly blocksAccepted: number;
  readonly hashrate: number;
  readonly height: number;
  readonly miners: number;
}

export function formatHashrate(h: number): string {
  const units = ["H/s", "kH/s", "MH/s", "GH/s", "TH/s", "PH/s"];
  let i = 0;
  while (h >= 1000 && i < units.length - 1) {
    h /= 1000;
    i++;
  }
  return `${h.toFixed(h >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatStatus(s: StatusSnapshot, elapsedMs: number): string {
  const t = Math.floor(elapsedMs / 1000);
  const clock = `${String(Math.floor(t / 60)).padStart(2, "0")}:${String(t % 60).padStart(2, "0")}`;
  return `[${clock}] height ${s.height} | shares ${s.acceptedShares} accepted, ${s.rejectedShares} rejected | blocks ${s.blocksFound} found, ${s.blocksAccepted} accepted | hashrate ${formatHashrate(s.hashrate)} | miners ${s.miners}`;
}

export class DemoStatus {
  private blocksFound = 0;
  private blocksAccepted = 0;
  private height = 0;
  private readonly seen = new Map<string, number>();
  private readonly window: { t: number; d: number }[] = [];
  private readonly startedAt = Date.now();
  private timer: ReturnType<typeof setInterval> | undefined;
  private line = "";
  private readonly tty: boolean;

  constructor(private readonly o: { core: RunningCore; edges: readonly RunningEdge[]; node: BcoinNode; write?: (text: string) => void; tty?: boolean }) {
    this.tty = o.tty ?? process.stdout.isTTY === true;
    o.core.onBlock((r) => {
      this.blocksFound++;
      if (r.accepted) this.blocksAccepted++;
    });
  }

  private write(text: string): void {
    (this.o.write ?? ((t: string) => process.stdout.write(t)))(text);
  }

  start(): void {
    let ticks = 0;
    this.timer = setInterval(() => {
      void this.sample().then((snap) => {
        this.line = formatStatus(snap, Date.now() - this.startedAt);
        // Not a terminal: a plain line every 5 s rather than a redraw every second.
        if (this.tty) this.write(`\r\x1b[K${this.line}`);
        else if (++ticks % 5 === 0) this.write(`${this.line}\n`);
      });
    }, 1000);
  }

  /** Prints a line (a log line, a notice) above the status line. */
  print(text: string): void {
    if (this.tty && this.line) this.write(`\r\x1b[K${text}\n${this.line}`);
    else this.write(`${text}\n`);
  }

  /** Stops redrawing and leaves the last status on its own line. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const last = formatStatus(await this.sample(), Date.now() - this.startedAt);
    this.write(this.tty ? `\r\x1b[K${last}\n` : `${last}\n`);
  }

  async sample(): Promise<StatusSnapshot> {
    const now = Date.now();
    let acc = 0;
    let rej = 0;
    let miners = 0;
    let fresh = 0;
    for (const edge of this.o.edges) {
      for (const port of edge.stratum.status.ports()) {
        acc += port.shares.acc;
        rej += port.shares.dup + port.shares.low + port.shares.stale + port.shares.invalid;
        miners += port.authed;
        for (const c of port.clientList ?? []) {
          // Per connection, so a miner that leaves does not make the sum go backwards.
          const key = `${edge.name}/${port.key}/${c.extranonce1}`;
          fresh += Math.max(0, c.acceptedDifficulty - (this.seen.get(key) ?? 0));
          this.seen.set(key, c.acceptedDifficulty);
        }
      }
    }
    this.window.push({ t: now, d: fresh });
    while (this.window.length > 1 && this.window[0]!.t < now - WINDOW_MS) this.window.shift();
    const span = Math.max(1000, now - Math.max(this.startedAt, now - WINDOW_MS));
    const hashrate = (this.window.reduce((n, w) => n + w.d, 0) * 2 ** 32) / (span / 1000);
    this.height = await this.o.node.rpc("getblockcount").then((h) => Number(h), () => this.height);
    return { acceptedShares: acc, rejectedShares: rej, blocksFound: this.blocksFound, blocksAccepted: this.blocksAccepted, hashrate, height: this.height, miners };
  }
}
