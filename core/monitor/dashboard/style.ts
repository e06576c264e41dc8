/** @module The dashboard's stylesheet, inlined into the page (the pool's network may be closed: no CDN, no web fonts). */

export const DASHBOARD_CSS = `
:root {
  --bg: #0d1117; --panel: #161b22; --panel2: #1c2230; --line: #262d3b; --text: #e6edf3; --muted: #8b949e;
  --accent: #58a6ff; --ok: #3fb950; --bad: #f85149; --warn: #d29922;
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--text); }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", sans-serif; padding: 20px 24px 32px; }
h1 { font-size: 20px; margin: 0; font-weight: 650; letter-spacing: .2px; }
h2 { font-size: 13px; margin: 0 0 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .8px; font-weight: 600; }
header { display: flex; align-items: center; justify-content: space-between; margin-bottom: 18px; }
header .sub { color: var(--muted); font-size: 13px; margin-left: 10px; }
.logo { display: inline-flex; width: 30px; height: 30px; border-radius: 8px; background: linear-gradient(135deg, #58a6ff, #3fb950); margin-right: 12px; vertical-align: middle; }
.brand { display: flex; align-items: center; }
.status { display: flex; align-items: center; gap: 8px; color: var(--muted); font-size: 13px; }
.dot { width: 9px; height: 9px; border-radius: 50%; display: inline-block; background: var(--muted); flex: none; }
.dot.ok { background: var(--ok); box-shadow: 0 0 0 3px rgba(63,185,80,.18); }
.dot.bad { background: var(--bad); box-shadow: 0 0 0 3px rgba(248,81,73,.18); }
.dot.warn { background: var(--warn); }
.grid { display: grid; gap: 16px; }
.stats { grid-template-columns: repeat(4, minmax(0, 1fr)); margin-bottom: 16px; }
.main { grid-template-columns: minmax(0, 2fr) minmax(0, 1fr); margin-bottom: 16px; }
.two { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 12px; padding: 16px 18px; min-width: 0; }
.full { margin-bottom: 16px; }
.stat .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .8px; }
.stat .value { font-size: 28px; font-weight: 650; margin-top: 4px; font-variant-numeric: tabular-nums; }
.stat .hint { color: var(--muted); font-size: 12.5px; margin-top: 2px; }
.num, td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); }
.mono { font-family: "DejaVu Sans Mono", ui-monospace, Menlo, monospace; font-size: 12.5px; }
table { width: 100%; border-collapse: collapse; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .6px; padding: 6px 7px; border-bottom: 1px solid var(--line); white-space: nowrap; }
td { padding: 7px 7px; border-bottom: 1px solid rgba(38,45,59,.6); vertical-align: middle; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 240px; }
.table-wrap { overflow-x: auto; }
tr:last-child td { border-bottom: none; }
tbody tr:hover td { background: var(--panel2); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 11.5px; font-weight: 600; border: 1px solid transparent; }
.badge.ok { color: var(--ok); background: rgba(63,185,80,.12); border-color: rgba(63,185,80,.35); }
.badge.bad { color: var(--bad); background: rgba(248,81,73,.12); border-color: rgba(248,81,73,.35); }
.badge.warn { color: var(--warn); background: rgba(210,153,34,.12); border-color: rgba(210,153,34,.35); }
.badge.muted { color: var(--muted); background: rgba(139,148,158,.1); border-color: rgba(139,148,158,.3); }
.empty { color: var(--muted); padding: 14px 4px; text-align: center; }
/* The chart grows with the coins column beside it (at least 270 px). */
.chart-card { display: flex; flex-direction: column; }
#chart { position: relative; flex: 1; min-height: 270px; }
#coins { max-height: 620px; overflow-y: auto; }
#chart svg text { fill: var(--muted); font-size: 11.5px; font-family: inherit; }
.legend { display: flex; flex-wrap: wrap; gap: 18px; margin-top: 8px; font-size: 13px; }
.legend .sw { display: inline-block; width: 12px; height: 3px; border-radius: 2px; margin-right: 7px; vertical-align: middle; }
.legend b { font-variant-numeric: tabular-nums; margin-left: 6px; }
.tip { position: absolute; pointer-events: none; background: #0b0f16; border: 1px solid var(--line); border-radius: 8px; padding: 6px 9px; font-size: 12px; display: none; white-space: nowrap; }
.coin { border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; background: var(--panel2); }
.coin + .coin { margin-top: 12px; }
.coin .title { display: flex; justify-content: space-between; align-items: baseline; margin-bottom: 8px; }
.coin .title b { font-size: 16px; }
.kv { display: grid; grid-template-columns: auto 1fr; gap: 4px 14px; font-size: 13px; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.servers { margin-top: 10px; border-top: 1px solid var(--line); padding-top: 8px; font-size: 13px; }
.servers div { display: flex; align-items: center; gap: 8px; padding: 2px 0; }
.servers .rtt { margin-left: auto; color: var(--muted); font-variant-numeric: tabular-nums; }
.banner { display: none; background: rgba(248,81,73,.12); border: 1px solid rgba(248,81,73,.4); color: #ffb4ae; border-radius: 10px; padding: 8px 14px; margin-bottom: 16px; }
/* Issue 20 §3: a quarantined edge. Loud on purpose: its miners' shares are not being credited. */
.qbanner { display: none; background: #5a1d1d; border: 2px solid var(--bad); color: #ffdcd7; border-radius: 12px; padding: 12px 16px; margin-bottom: 16px; }
.qtitle { font-size: 15px; font-weight: 700; color: #fff; margin-bottom: 6px; text-transform: uppercase; letter-spacing: .5px; }
.qitem { border-top: 1px solid rgba(248,81,73,.45); padding: 8px 0 4px; }
.qitem:first-of-type { border-top: none; }
.qedge { color: #fff; font-size: 15px; }
.qwhy { margin-top: 2px; white-space: pre-wrap; word-break: break-word; }
.qwhere { color: #ffb4ae; margin-top: 2px; word-break: break-all; }
.qact { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-top: 8px; }
.qbtn { font: inherit; font-weight: 600; border-radius: 8px; padding: 4px 12px; cursor: pointer; border: 1px solid rgba(255,255,255,.35); background: rgba(255,255,255,.08); color: #fff; }
.qbtn.release:hover { background: rgba(63,185,80,.3); }
.qbtn.discard:hover { background: rgba(248,81,73,.35); }
.qbtn.armed { background: var(--warn); color: #000; border-color: var(--warn); }
.qcurl { flex-basis: 100%; color: #ffb4ae; user-select: all; white-space: pre-wrap; word-break: break-all; }
.qmsg { margin-top: 6px; }
tr.quarantined td { background: rgba(248,81,73,.1); }
tr.quarantined td:first-child { box-shadow: inset 3px 0 0 var(--bad); }
.qmark { margin-left: 6px; }
.who b { font-weight: 600; }
.who .muted { margin-left: 6px; }
.warntext { color: var(--warn); font-size: 12.5px; }
td.notes { max-width: 420px; }
.scope { margin: 8px 0 0; font-size: 12.5px; }
@media (max-width: 1100px) { .stats { grid-template-columns: repeat(2, 1fr); } .main, .two { grid-template-columns: 1fr; } }
`;
