/**
 * @module A coinserver's ZMQ `hashblock` publisher (`-zmqpubhashblock`) as push-block signals.
 *
 * Bitcoin Core and its derivatives publish three frames per block: the topic `hashblock`, the
 * 32-byte block hash (display order, as RPC shows it) and a 4-byte little-endian sequence number
 * counting that publisher's messages. A message of any other shape is logged (rate-limited) and
 * ignored. A jump in the sequence (messages lost, e.g. the publisher's high-water mark) is logged;
 * a sequence back at 0 means the node restarted. Losing messages loses nothing here: each signal
 * only triggers a tip check, which compares hashes.
 */
import type { Logger } from "../../shared/log.ts";
import { RateLimitedLog } from "../notify/rate-limited-log.ts";
import { ZmtpSubscriber } from "./zmtp-sub.ts";

export interface HashblockOptions {
  /** Coin key and coinserver name, for log lines. */
  readonly label: string;
  readonly server: string;
  readonly endpoint: string;
  readonly log: Logger;
  onBlock(hashHex: string, sequence: number): void;
  onState(up: boolean, detail: string): void;
}

export interface HashblockStatus {
  readonly server: string;
  readonly endpoint: string;
  readonly up: boolean;
  readonly messages: number;
  readonly gaps: number;
  readonly reconnects: number;
  readonly lastSequence: number | null;
}

const TOPIC = "hashblock";

export class HashblockSubscriber {
  private readonly sub: ZmtpSubscriber;
  private readonly bad: RateLimitedLog;
  private lastSeq: number | null = null;
  private messages = 0;
  private gaps = 0;
  private reconnects = 0;
  private wasUp = false;

  constructor(private readonly o: HashblockOptions) {
    this.bad = new RateLimitedLog(o.log, 5, 60_000);
    this.sub = new ZmtpSubscriber({
      endpoint: o.endpoint,
      topics: [TOPIC],
      maxFrame: 4096,
      onMessage: (frames) => this.onMessage(frames),
      onState: (up, detail) => {
        if (up && this.wasUp) this.reconnects++;
        if (up) this.wasUp = true;
        o.onState(up, `${o.server} ${detail}`);
      },
    });
  }

  start(): void {
    this.sub.start();
  }

  stop(): void {
    this.sub.stop();
  }

  status(): HashblockStatus {
    return { server: this.o.server, endpoint: this.o.endpoint, up: this.sub.connected, messages: this.messages, gaps: this.gaps, reconnects: this.reconnects, lastSequence: this.lastSeq };
  }

  private onMessage(frames: Buffer[]): void {
    const [topic, hash, seq] = frames;
    if (frames.length !== 3 || topic?.toString("latin1") !== TOPIC || hash?.length !== 32 || seq?.length !== 4) {
      const shape = frames.map((f, i) => (i === 0 ? JSON.stringify(f.subarray(0, 32).toString("latin1")) : `${f.length} bytes`)).join(", ");
      this.bad.warn(`${this.o.label}: ignoring a malformed ZMQ message from ${this.o.server} (expected "hashblock", 32-byte hash, 4-byte sequence; got ${frames.length} frames: ${shape})`);
      return;
    }
    const sequence = seq.readUInt32LE(0);
    const last = this.lastSeq;
    if (last !== null && sequence !== ((last + 1) >>> 0)) {
      if (sequence === 0) this.o.log.notice(`${this.o.label}: ZMQ sequence from ${this.o.server} restarted at 0 (the node restarted)`);
      else {
        this.gaps++;
        this.o.log.warn(`${this.o.label}: ZMQ hashblock sequence gap from ${this.o.server}: expected ${(last + 1) >>> 0}, got ${sequence} (${((sequence - last - 1) >>> 0)} messages lost); checking the tip`);
      }
    }
    this.lastSeq = sequence;
    this.messages++;
    this.o.onBlock(hash.toString("hex"), sequence);
  }
}
