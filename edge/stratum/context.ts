/**
 * @module What every session of one port shares: the port's settings, the data-path seams
 * (edge/ports.ts) and the port's counters. Implemented by `StratumPort`; sessions and method
 * handlers see only this interface.
 */
import type { DifficultyRange } from "../../shared/config/difficulty.ts";
import type { ResolvedStratum } from "../../shared/config/load.ts";
import type { Logger } from "../../shared/log.ts";
import type { Extranonce1Allocator, JobFeed, ShareChecker } from "../ports.ts";
import type { VardiffSettings } from "../vardiff/state.ts";
import type { Session } from "./session.ts";
import type { UsernameRules } from "./username.ts";

/** Time as a dependency, so tests can move it by hand. */
export interface Clock {
  /** ms since the epoch. */
  now(): number;
}

export const realClock: Clock = { now: () => Date.now() };

/** The port's TCP side as the stratum layer sees it (edge/listener's StratumListener; wired by edge/server.ts). */
export interface PortListener {
  readonly port: number;
  readonly hostname: string;
  /** Listener-level counts the port's status reports. */
  readonly counters?: { readonly resetBeforeSetup: number };
  /** Drops clients blocked on writes too long. */
  sweep(now: number): void;
  stop(closeActive: boolean): void;
}

/** PowerPool's stratum counters (spec §10.1) plus the rewrite's share outcomes; totals since start. */
export interface PortCounters {
  not_subbed_err: number;
  not_authed_err: number;
  unk_err: number;
  stratum_connects: number;
  stratum_disconnects: number;
  acc: number;
  dup: number;
  low: number;
  stale: number;
  /** Malformed submits (error 20) and checker verdicts of "invalid". */
  invalid: number;
  /** Accepted difficulty since start. */
  acceptedDifficulty: number;
  vardiffChanges: number;
  keepalivePushes: number;
}

export interface PortContext {
  /** The stratum port's config key. */
  readonly key: string;
  readonly cfg: ResolvedStratum;
  readonly jobmanager: string;
  /** extranonce2 bytes advertised in the subscribe reply. */
  readonly extranonce2Size: number;
  /** Version bits miners may roll on this port's coin(s) (BIP310). */
  readonly allowedVersionMask: number;
  readonly usernameRules: UsernameRules;
  readonly vardiff: VardiffSettings;
  /** Every difficulty this port's sessions get is within it (shared/config/difficulty.ts). */
  readonly difficultyRange: DifficultyRange;
  readonly feed: JobFeed;
  readonly checker: ShareChecker;
  readonly allocator: Extranonce1Allocator;
  readonly log: Logger;
  readonly counters: PortCounters;
  readonly clock: Clock;
  /** Uniform in [0, 1): the keepalive seed. */
  readonly random: () => number;
  /** Asynchronous share checks not settled yet (a draining edge waits for them before its final flush). */
  checksInFlight: number;
  /** A session completed authorize. */
  onAuthorized(s: Session): void;
  /** A session's idle flag changed. */
  onIdleChanged(s: Session, idle: boolean): void;
  /** Accepted difficulty, for the port's hashrate. */
  onAccepted(difficulty: number, now: number): void;
  /** A session is gone. */
  onClosed(s: Session, reason: string): void;
}
