/**
 * @module statsd events in PowerPool's names (spec §10.2), one UDP datagram per event (a datagram
 * may hold several `\n`-separated metrics). Sending never blocks and never throws: UDP is
 * fire-and-forget, the socket is opened (and the host resolved) once at start-up, and errors —
 * including ICMP "port unreachable" reported back by the kernel, which arrive later and say
 * nothing about the next datagram — are counted and logged at most once a minute.
 */
import { lookup } from "node:dns/promises";
import type { Logger } from "../../shared/log.ts";

export interface StatsdSettings {
  readonly enabled: boolean;
  readonly host: string;
  readonly port: number;
}

export interface StatsdSink {
  readonly enabled: boolean;
  /** Each string is one datagram. */
  send(datagrams: readonly string[]): void;
  close(): void;
}

const ERROR_LOG_INTERVAL_MS = 60_000;

export const DISABLED_STATSD: StatsdSink = { enabled: false, send() {}, close() {} };

export async function openStatsd(settings: StatsdSettings, log: Logger): Promise<StatsdSink> {
  if (!settings.enabled) return DISABLED_STATSD;
  let address: string;
  try {
    address = (await lookup(settings.host)).address;
  } catch (e) {
    log.error(`statsd: cannot resolve ${settings.host}; events are off`, { error: e instanceof Error ? e.message : String(e) });
    return DISABLED_STATSD;
  }
  let errors = 0;
  let lastWarn = 0;
  const failed = (e: unknown) => {
    errors++;
    if (Date.now() - lastWarn < ERROR_LOG_INTERVAL_MS) return;
    lastWarn = Date.now();
    log.warn(`statsd: sending to ${address}:${settings.port} failed (${errors} errors so far); events are dropped meanwhile`, { error: e instanceof Error ? e.message : String(e) });
  };
  const socket = await Bun.udpSocket({ socket: { error: (_s, e) => failed(e) } });
  socket.unref();
  return {
    enabled: true,
    send(datagrams) {
      if (datagrams.length === 0 || socket.closed) return;
      try {
        const packets: (string | number)[] = [];
        for (const d of datagrams) packets.push(d, settings.port, address);
        socket.sendMany(packets);
      } catch (e) {
        failed(e);
      }
    },
    close() {
      socket.close();
    },
  };
}

/** PowerPool's share keys in statsd; `invalid` (no PowerPool type) follows the same pattern. */
export const SUBMIT_KEYS = ["acc_share", "reject_dup_share", "reject_low_share", "reject_stale_share", "reject_invalid_share"] as const;

/** Every submit: `<proc>.<key>:1|c`, `<proc>.<key>_n1:<diff>|c`, `<proc>.submit_time:<ms>|ms`. */
export function submitEvent(procname: string, key: (typeof SUBMIT_KEYS)[number], difficulty: number, submitMs: number): string {
  return `${procname}.${key}:1|c\n${procname}.${key}_n1:${difficulty}|c\n${procname}.submit_time:${Math.max(0, Math.round(submitMs))}|ms`;
}

/** A block accepted by a coinserver (main or aux): time from the share to the acceptance. */
export function blockSubmissionEvent(procname: string, currency: string, ms: number): string {
  return `${procname}.block_submission_${currency}:${Math.max(0, Math.round(ms))}|ms`;
}

export interface JobEvent {
  readonly currency: string;
  /** Pushed to miners (type 0 or 1). */
  readonly push: boolean;
  readonly flush: boolean;
  /** A new block template (new height): the gauges below are sent. */
  readonly newBlock: boolean;
  readonly difficulty?: number;
  /** Satoshis. */
  readonly subsidy?: number | bigint;
  /** ms from the template fetch to the job. */
  readonly generateMs?: number;
  /** Template height − 1 (the current tip). */
  readonly height?: number;
}

/** A generated job (spec §5.7): counters, and on a new block the network gauges; one datagram each, as PowerPool sent them. */
export function jobEvents(procname: string, j: JobEvent): string[] {
  const lines = [`${procname}.jobmanager.new_job:1|c`];
  if (j.push || j.flush) lines.push(`${procname}.jobmanager.work_push:1|c`);
  if (j.flush) lines.push(`${procname}.jobmanager.work_restart:1|c`);
  if (j.newBlock) {
    if (j.difficulty !== undefined) lines.push(`${procname}.${j.currency}.difficulty:${j.difficulty}|g`);
    if (j.subsidy !== undefined) lines.push(`${procname}.${j.currency}.subsidy:${j.subsidy}|g`);
    if (j.generateMs !== undefined) lines.push(`${procname}.${j.currency}.job_generate:${Math.max(0, Math.round(j.generateMs))}|g`);
    if (j.height !== undefined) lines.push(`${procname}.${j.currency}.height:${j.height}|g`);
  }
  return lines;
}

export function authEvent(procname: string): string {
  return `${procname}.auth:1|c`;
}

export function profitabilityEvent(procname: string, currency: string, value: number): string {
  return `${procname}.profitability.${currency}:${value}|g`;
}
