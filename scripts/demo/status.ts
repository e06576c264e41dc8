/**
 * @module The demo's live progress: one line — shares, blocks, hashrate, height, miners — redrawn
 * every second on a terminal, and printed every few seconds when stdout is a file or a CI log
 * (no carriage returns to garble it). Log lines are printed above it.
 */
import type { RunningCore } from "../../core/app.ts";
import type { RunningEdge } from "../../edge/app.ts";
import type { BcoinNode } from "./bcoin.ts";

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
    let acc = 0;
    let rej = 0;
    let miners = 0;
    // The edges' own figure (from the first share, over the last minute): the one their heartbeat
    // carries to the dashboard, so the terminal and the dashboard agree.
    let hashrate = 0;
    for (const edge of this.o.edges) {
      for (const port of edge.stratum.status.ports()) {
        acc += port.shares.acc;
        rej += port.shares.dup + port.shares.low + port.shares.stale + port.shares.invalid;
        miners += port.authed;
        hashrate += port.hashrate;
      }
    }
    this.height = await this.o.node.rpc("getblockcount").then((h) => Number(h), () => this.height);
    return { acceptedShares: acc, rejectedShares: rej, blocksFound: this.blocksFound, blocksAccepted: this.blocksAccepted, hashrate, height: this.height, miners };
  }
}
