/**
 * @module `/metrics`: the pool for Prometheus. Per edge and port: connections, shares by result,
 * hashrate, spool and heartbeat age; per coin: jobs, job age, network, block submissions and their
 * latency, coinserver health, push-block signals; per profit switcher: profitability, the coin
 * mined and the switches; quarantined edges and their held entries; the gate's entries and the
 * share audit per edge and algorithm (this core's counters: they count on the leader, and start
 * from zero on a core that takes over); the core's stream backlog (its Redis lag) and its counters. Edge counters restart at zero with the edge, which Prometheus treats as a reset.
 */
import { BAN_KINDS } from "../../shared/contract/index.ts";
import type { AuditCounts } from "../audit/auditor.ts";
import { auditPicture } from "./audit.ts";
import { PromWriter, type Sample } from "./prom.ts";
import { currencyOfJobmanager, portSpanMs, type View } from "./view.ts";

const s = (labels: Record<string, string>, value: number): Sample => ({ labels, value });
const RESULTS = ["acc", "dup", "low", "stale", "invalid"] as const;

export function buildMetrics(view: View): string {
  const w = new PromWriter();
  const edges = view.redisView.edges;
  const ports = edges.flatMap((e) => e.ports.map((p) => ({ e, p, l: { edge: e.edge, port: p.key } })));

  w.gauge("powerpool_info", "The core process; labels name its procname and version.", [s({ procname: view.config.procname, version: view.version.version }, 1)]);
  w.gauge("powerpool_uptime_seconds", "Seconds since the core started.", [s({}, (view.at - view.startedAt) / 1000)]);
  w.gauge("powerpool_monitor_redis_ok", "1 when the monitor's last read of the edge heartbeats from Redis worked.", [s({}, view.redisView.error === null ? 1 : 0)]);
  w.gauge("powerpool_monitor_undecodable_heartbeats", "Edge heartbeats in Redis the monitor could not decode.", [s({}, view.redisView.undecodable)]);

  const cores = view.redisView.cores;
  if (cores) {
    w.gauge("powerpool_core_leader_epoch", "Epoch of the leader lease (grows by one at every takeover); absent while no core holds it.", cores.leader ? [s({ core: cores.leader.id }, cores.leader.epoch)] : []);
    w.gauge("powerpool_core_up", "Cores with a live status key, by role (active, starting, standby, stopping; lost: claims to lead without the lease, i.e. dead or deposed).", cores.cores.map((c) => s({ core: c.id, host: c.host, role: c.role }, 1)));
    w.gauge("powerpool_core_standbys", "Cores standing by to take over.", [s({}, cores.cores.filter((c) => c.role === "standby").length)]);
  }
  w.gauge("powerpool_edge_up", "Edges with a live heartbeat (their status key has not expired).", edges.map((e) => s({ edge: e.edge, public_host: e.publicHost ?? "" }, 1)));
  w.gauge("powerpool_edge_heartbeat_age_seconds", "Seconds since the edge wrote its heartbeat (its clock against the core's).", edges.map((e) => s({ edge: e.edge }, Math.max(0, (view.at - e.time) / 1000))));
  w.gauge("powerpool_edge_spooled_records", "Share records waiting in the edge's local spool because Redis was unreachable.", edges.map((e) => s({ edge: e.edge }, e.spooled)));
  w.gauge("powerpool_edge_start_time_seconds", "When the edge process started (epoch seconds).", edges.map((e) => s({ edge: e.edge }, e.startedAt / 1000)));

  w.gauge("powerpool_stratum_connections", "Stratum connections per edge and port.", ports.map(({ p, l }) => s(l, p.clients)));
  w.gauge("powerpool_stratum_connections_authed", "Authorised stratum connections per edge and port.", ports.map(({ p, l }) => s(l, p.authed)));
  w.gauge("powerpool_stratum_connections_idle", "Idle stratum connections per edge and port.", ports.map(({ p, l }) => s(l, p.idle)));
  w.counter("powerpool_stratum_resets_before_setup_total", "Connections reset by the peer before the edge set them up (a port scan, a load balancer's check, a flood), since the edge started.", ports.map(({ p, l }) => s(l, p.resetBeforeSetup ?? 0)));
  w.gauge("powerpool_agent_connections", "PPAgent connections per edge and port.", ports.map(({ p, l }) => s(l, p.agentClients)));
  w.gauge("powerpool_sv2_channels", "Open Stratum V2 channels per edge and port (included in the authed count).", ports.map(({ p, l }) => s(l, p.sv2Clients ?? 0)));
  w.counter("powerpool_shares_total", "Shares judged by the edge since it started, by result.", ports.flatMap(({ p, l }) => RESULTS.map((r) => s({ ...l, result: r }, p.shares[r]))));
  w.gauge(
    "powerpool_hashrate_hashes_per_second",
    "Hashrate per edge and port from accepted difficulty over the last minute, or since the port's first miner (powerpool_hashrate_measured_seconds).",
    ports.map(({ p, l }) => s({ ...l, currency: currencyOfJobmanager(view, p.jobmanager) }, p.hashrate)),
  );
  w.gauge("powerpool_hashrate_measured_seconds", "The time powerpool_hashrate_hashes_per_second covers: 60 once a port has had miners for a minute, 0 before any.", ports.map(({ p, l }) => s(l, portSpanMs(p) / 1000)));
  const stats = view.core.accounting.status();
  w.gauge(
    "powerpool_accounted_hashrate_hashes_per_second",
    "Hashrate per currency from the shares the core accounted over the last minute (or since the core started, when shorter).",
    Object.entries(stats.stats.hashrates.coins).map(([currency, h]) => s({ currency }, h.hps)),
  );

  banMetrics(w, view);
  quarantineMetrics(w, view);
  auditMetrics(w, view);
  coinMetrics(w, view);
  switcherMetrics(w, view);

  const ingest = stats.ingest;
  const streams = [ingest.shares, ingest.agent];
  w.gauge("powerpool_redis_stream_pending", "Stream entries delivered to the core and not yet acknowledged.", streams.map((st) => s({ stream: st.stream }, st.backlog?.pending ?? 0)));
  w.gauge("powerpool_redis_stream_lag", "Stream entries the core has not read yet (Redis 7+; -1 when unknown).", streams.map((st) => s({ stream: st.stream }, st.backlog?.lag ?? -1)));
  w.counter("powerpool_ingest_entries_total", "Stream entries the core's ingest handled since start.", streams.map((st) => s({ stream: st.stream }, st.entries)));
  w.counter("powerpool_counter_total", "PowerPool's named counters (spec §10.1) since the core started.", stats.stats.counters.map((e) => s({ owner: e.owner, counter: e.name }, e.total)));

  const notify = view.core.notify?.counters();
  if (notify) {
    const rejected = Object.entries(notify.rejected).map(([reason, n]) => s({ result: "rejected", reason }, n));
    w.counter("powerpool_push_datagrams_total", "Push-block datagrams received, by result.", [s({ result: "accepted", reason: "" }, notify.accepted), ...rejected]);
  }
  return w.text();
}

/** Written only when the core runs switchers, so a pool without them sees no empty families. */
function switcherMetrics(w: PromWriter, view: View): void {
  const all = [...(view.core.switchers ?? [])].map(([key, sw]) => ({ key, st: sw.status() }));
  if (all.length === 0) return;
  const each = (f: (key: string, currency: string, st: (typeof all)[number]["st"]) => Sample | null) =>
    all.flatMap(({ key, st }) => Object.keys(st.profit_data).flatMap((currency) => f(key, currency, st) ?? []));
  w.gauge(
    "powerpool_switcher_profitability",
    "Profitability per switcher and coin (coinbasevalue × score / network difficulty × ratio × 1e6); coins without a job are left out.",
    each((key, currency, st) => (st.profit_data[currency] == null ? null : s({ switcher: key, currency }, st.profit_data[currency] ?? 0))),
  );
  w.gauge("powerpool_switcher_current", "1 for the coin the switcher's ports mine.", each((key, currency, st) => s({ switcher: key, currency }, st.current_network === currency ? 1 : 0)));
  w.counter("powerpool_switcher_switches_total", "Coin switches since the core started.", all.map(({ key, st }) => s({ switcher: key }, st.switches)));
}

function coinMetrics(w: PromWriter, view: View): void {
  const coins = [...view.core.coins.values()].map((rt) => ({ rt, key: rt.key, currency: view.config.coins[rt.key]?.currency ?? rt.key }));
  const jobs = coins.map((c) => ({ ...c, st: c.rt.jobs.status(), seen: view.tracker.jobsOf(c.key) }));
  const tips = coins.map((c) => ({ ...c, tip: c.rt.watcher.status() }));
  const servers = coins.flatMap((c) => c.rt.pool.status().servers.map((sv) => ({ sv, l: { coin: c.key, server: sv.name } })));
  const lbl = (c: { key: string; currency: string }) => ({ coin: c.key, currency: c.currency });

  w.counter(
    "powerpool_jobs_total",
    "Jobs the core generated per coin and type since the monitor started watching.",
    jobs.flatMap((c) => (["flush", "push", "refresh"] as const).map((t) => s({ ...lbl(c), type: t }, c.seen?.byType[t] ?? 0))),
  );
  w.gauge("powerpool_job_age_seconds", "Seconds since the coin's last job.", jobs.filter((c) => c.seen?.last).map((c) => s(lbl(c), Math.max(0, (view.at - (c.seen?.last?.at ?? 0)) / 1000))));
  w.gauge("powerpool_stored_jobs", "Jobs the core keeps for rebuilding found blocks.", jobs.map((c) => s(lbl(c), c.st.storedJobs)));
  w.gauge("powerpool_network_height", "Height of the chain tip the current template builds on.", jobs.filter((c) => c.st.height !== null).map((c) => s(lbl(c), c.st.height ?? 0)));
  w.gauge("powerpool_network_difficulty", "Network difficulty of the current template.", jobs.filter((c) => c.st.difficulty !== null).map((c) => s(lbl(c), c.st.difficulty ?? 0)));
  w.counter(
    "powerpool_block_submissions_total",
    "Found blocks submitted to the coinservers, by outcome.",
    coins.flatMap((c) => {
      const b = view.tracker.blockStats(c.key);
      return [s({ ...lbl(c), outcome: "accepted" }, b.accepts), s({ ...lbl(c), outcome: "rejected" }, b.rejects)];
    }),
  );
  w.histogram(
    "powerpool_block_share_to_submit_seconds",
    "From the block's share reaching the edge to the first submitblock.",
    coins.map((c) => ({ labels: lbl(c), histogram: view.tracker.latencyOf(c.key).shareToSubmit })),
  );
  w.histogram("powerpool_block_submit_seconds", "From the first submitblock to every coinserver's answer.", coins.map((c) => ({ labels: lbl(c), histogram: view.tracker.latencyOf(c.key).submit })));
  w.gauge("powerpool_coinserver_up", "1 when the coinserver passed its last health check.", servers.map(({ sv, l }) => s(l, sv.state === "live" ? 1 : 0)));
  w.gauge("powerpool_coinserver_current", "1 for the coinserver templates come from.", servers.map(({ sv, l }) => s(l, sv.current ? 1 : 0)));
  w.gauge("powerpool_coinserver_rtt_seconds", "Round trip of the coinserver's last health check.", servers.filter(({ sv }) => sv.lastRttMs !== null).map(({ sv, l }) => s(l, (sv.lastRttMs ?? 0) / 1000)));
  w.gauge("powerpool_coinserver_rpc_in_flight", "RPC calls in flight to the coinserver (bounded below its rpcworkqueue).", servers.map(({ sv, l }) => s(l, sv.inFlight ?? 0)));
  w.counter("powerpool_coinserver_busy_total", "\"Work queue depth exceeded\" answers (backed off and retried, never counted as down).", servers.map(({ sv, l }) => s(l, sv.busyAnswers ?? 0)));
  w.gauge(
    "powerpool_block_method",
    "1 for how the coin notices new blocks now (zmq, longpoll, datagram, poll); poll while a ZMQ subscription or long poll is down.",
    tips.flatMap((c) => (["zmq", "longpoll", "datagram", "poll"] as const).map((m) => s({ ...lbl(c), method: m }, c.tip.method === m ? 1 : 0))),
  );
  const sig = coins.map((c) => ({ ...c, st: c.rt.signals?.status() }));
  const zmq = sig.flatMap((c) => (c.st?.zmq ?? []).map((z) => ({ z, l: { coin: c.key, server: z.server } })));
  w.gauge("powerpool_zmq_up", "1 while the coinserver's ZMQ hashblock subscription is up.", zmq.map(({ z, l }) => s(l, z.up ? 1 : 0)));
  w.counter("powerpool_zmq_messages_total", "hashblock messages received.", zmq.map(({ z, l }) => s(l, z.messages)));
  w.counter("powerpool_zmq_sequence_gaps_total", "Jumps in the hashblock sequence (messages lost).", zmq.map(({ z, l }) => s(l, z.gaps)));
  w.counter("powerpool_zmq_reconnects_total", "ZMQ subscriptions re-established after a loss.", zmq.map(({ z, l }) => s(l, z.reconnects)));
  const lp = sig.filter((c) => c.st?.longpoll);
  w.counter("powerpool_longpoll_returns_total", "Long-poll getblocktemplate requests the node answered (new block or template).", lp.map((c) => s(lbl(c), c.st?.longpoll?.returns ?? 0)));
  w.counter("powerpool_longpoll_errors_total", "Long-poll requests that failed (renewed with back-off).", lp.map((c) => s(lbl(c), c.st?.longpoll?.errors ?? 0)));
  w.gauge("powerpool_push_signal_last_timestamp_seconds", "When the coin's last push-block signal arrived (epoch seconds).", tips.filter((c) => c.tip.lastSignal !== null).map((c) => s(lbl(c), (c.tip.lastSignal ?? 0) / 1000)));
  w.counter("powerpool_push_signals_total", "Push-block signals per coin since start.", tips.map((c) => s(lbl(c), c.tip.signals)));
}

/** Issue 20 §3–§4: the gate's totals and streams, each edge's contract version, the audit per edge and algorithm. */
function auditMetrics(w: PromWriter, view: View): void {
  const pic = auditPicture(view);
  w.gauge(
    "powerpool_edge_contract_version",
    "The contract each live edge says it writes: 2 its own streams with share proofs (audited), 1 the shared streams (not audited); 0 when it did not say (an edge before v2).",
    view.redisView.edges.map((e) => s({ edge: e.edge }, e.contract ?? 0)),
  );
  const gate = pic.gate;
  if (gate) {
    const t = gate.totals;
    w.counter("powerpool_gate_entries_passed_total", "Edge stream entries the gate passed on to the accounting (identity checked, shares audited) since this core started.", [s({}, t.passed)]);
    w.counter("powerpool_gate_identity_mismatches_total", "Entries whose payload named another edge than the stream Redis binds to its writer (dead-lettered, never credited).", [s({}, t.identityMismatches)]);
    w.counter("powerpool_gate_quarantines_total", "Edges this core's gate quarantined since it started.", [s({}, t.quarantines)]);
    w.counter("powerpool_gate_entries_dead_lettered_total", "Entries the gate dead-lettered (unreadable, identity mismatch, refused v1, discarded by the operator).", [s({}, t.deadLettered)]);
    w.gauge("powerpool_gate_streams", "Edge streams the gate reads now, by kind (the v1 shared streams included).", (["shares", "agent"] as const).map((kind) => s({ kind }, gate.streams.filter((st) => st.kind === kind).length)));
    w.counter(
      "powerpool_gate_stream_entries_total",
      "Entries the gate read from each stream since this core started (edge: the stream's edge, empty for a v1 shared stream).",
      gate.streams.map((st) => s({ stream: st.stream, kind: st.kind, edge: st.edge ?? "" }, st.entries)),
    );
  }
  if (!pic.auditing) return;
  const rows = pic.edges.flatMap((e) => Object.entries(e.algos).map(([algo, c]) => ({ l: { edge: e.edge, algo }, c })));
  const counter = (name: string, help: string, k: keyof AuditCounts) => w.counter(name, help, rows.map(({ l, c }) => s(l, c[k])));
  counter("powerpool_audit_shares_accepted_total", "Accepted shares of v2 batches the audit saw, per edge and algorithm.", "accepted");
  counter("powerpool_audit_shares_audited_total", "Shares re-hashed against the job the core issued and found good.", "audited");
  counter("powerpool_audit_failed_total", "Audits failed (a batch whose check failed; each quarantines its edge).", "failed");
  counter("powerpool_audit_shares_unverifiable_total", "Sampled shares whose job the archive no longer holds (or this core cannot hash): passed unchecked.", "unverifiable");
  counter("powerpool_audit_shares_duplicates_total", "Accepted shares refused as exact duplicates of shares already passed (not credited, no quarantine).", "duplicates");
  counter("powerpool_audit_shares_unaudited_v1_total", "Accepted shares of v1 batches: no proof, never audited.", "unaudited");
  const rates = pic.edges.flatMap((e) => Object.entries(e.rates).map(([algo, r]) => ({ l: { edge: e.edge, algo }, r })));
  w.gauge("powerpool_audit_probability", "The chance each accepted share of the edge and algorithm is re-hashed now.", rates.map(({ l, r }) => s(l, r.p)));
  w.gauge("powerpool_audit_accepted_per_hour", "The edge's accepted shares an hour by the core's clock (over about ten minutes), which sets the probability.", rates.map(({ l, r }) => s(l, r.perHour)));
  const audited = pic.edges.filter((e) => e.counts.accepted + e.counts.unaudited > 0 || e.unverifiableRecent > 0);
  w.gauge("powerpool_audit_unverifiable_recent", "Unverifiable audits of the edge within the watch window (ten minutes by default).", audited.map((e) => s({ edge: e.edge }, e.unverifiableRecent)));
  w.gauge("powerpool_audit_unverifiable_alert", "1 while the edge has had too many unverifiable audits lately (logged once as a WARN).", audited.map((e) => s({ edge: e.edge }, e.unverifiableAlert ? 1 : 0)));
}

/** Issue 20 §3: quarantined edges (alert on powerpool_edges_quarantined > 0) and the share entries the gate holds for each. */
function quarantineMetrics(w: PromWriter, view: View): void {
  const qs = view.redisView.quarantines ?? [];
  w.gauge("powerpool_edges_quarantined", "Edges the gate quarantined (a check of their records failed): nothing from them is credited until the operator releases or discards their held entries.", [s({}, qs.length)]);
  w.gauge("powerpool_edge_quarantined", "1 for each quarantined edge.", qs.map((q) => s({ edge: q.edge }, 1)));
  w.gauge("powerpool_edge_quarantined_since_seconds", "When the edge was quarantined (epoch seconds).", qs.map((q) => s({ edge: q.edge }, q.since / 1000)));
  w.gauge(
    "powerpool_edge_quarantine_held_entries",
    "Share entries of a quarantined edge that the gate holds (delivered and unacknowledged, plus unread); left out when Redis cannot tell.",
    qs.flatMap((q) => (q.held?.total == null ? [] : [s({ edge: q.edge }, q.held.total)])),
  );
  w.gauge("powerpool_edge_quarantine_action_pending", "1 while the operator's release or discard waits for the leader's gate.", qs.map((q) => s({ edge: q.edge, action: q.action ?? "none" }, q.action === null ? 0 : 1)));
}

/** Issue 14: bans per edge with their reason (kind), abusive connections closed, lifts. */
function banMetrics(w: PromWriter, view: View): void {
  const edges = view.redisView.bans ?? [];
  const kinds = BAN_KINDS;
  w.gauge("powerpool_edge_bans_active", "Addresses an edge has banned now.", edges.map((e) => s({ edge: e.edge }, e.total)));
  w.gauge(
    "powerpool_edge_ban_expiry_seconds",
    "Each active ban (kind: what it was for) and when it ends (epoch seconds).",
    edges.flatMap((e) => e.bans.map((b) => s({ edge: e.edge, ip: b.ip, kind: b.kind, port: b.port }, b.until / 1000))),
  );
  w.counter("powerpool_edge_bans_total", "Addresses banned since the edge started, by kind.", edges.flatMap((e) => kinds.map((k) => s({ edge: e.edge, kind: k }, e.banned[k]))));
  w.counter(
    "powerpool_edge_abusive_connections_closed_total",
    "Connections closed for abuse since the edge started (banned or not), by kind.",
    edges.flatMap((e) => kinds.map((k) => s({ edge: e.edge, kind: k }, e.closed[k]))),
  );
  w.counter("powerpool_edge_ban_lifts_total", "Bans the operator lifted on the edge since it started.", edges.map((e) => s({ edge: e.edge }, e.lifted)));
}
