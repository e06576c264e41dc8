/**
 * @module The dashboard page: one self-contained HTML document (inline CSS and script) that polls
 * `data` (relative, so it works under a proxy's mount prefix) every few seconds. The script runs
 * under a per-response nonce and a Content-Security-Policy that allows nothing else: no remote
 * scripts, styles, fonts or images, and requests to this origin only.
 */
import { CLIENT_AUDIT } from "./client-audit.ts";
import { CLIENT_BASE } from "./client-base.ts";
import { CLIENT_CHART } from "./client-chart.ts";
import { CLIENT_PANELS } from "./client-panels.ts";
import { CLIENT_QUARANTINE } from "./client-quarantine.ts";
import { DASHBOARD_CSS } from "./style.ts";

export function dashboardCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    // The chart sets inline style attributes (legend swatches, tooltip position).
    "style-src 'unsafe-inline'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function dashboardPage(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PowerPool · dashboard</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='4' fill='%2358a6ff'/%3E%3C/svg%3E">
<style>${DASHBOARD_CSS}</style>
</head>
<body>
<header>
  <div class="brand"><span class="logo"></span><h1>PowerPool</h1><span class="sub" id="version"></span></div>
  <div class="status"><span class="dot" id="conn-dot"></span><span id="conn-text">connecting…</span></div>
</header>
<div class="qbanner" id="quarantine" role="alert"></div>
<div class="banner" id="banner"></div>
<section class="grid stats" id="stats"></section>
<section class="grid main">
  <div class="card chart-card"><h2>Hashrate, last hour</h2><div id="chart"></div><div class="legend" id="legend"></div></div>
  <div class="card"><h2>Coins</h2><div id="coins"></div></div>
</section>
<section class="card full">
  <h2>Edges</h2>
  <div class="table-wrap"><table><thead><tr><th>Edge</th><th>Ports</th><th class="num">Uptime</th><th class="num">Heartbeat</th><th class="num">Spool</th><th class="num">Authed / conns</th><th class="num">Hashrate</th><th class="num">Shares acc / rej</th></tr></thead><tbody id="edges"></tbody></table></div>
</section>
<section class="card full">
  <h2>Share audit</h2>
  <div class="table-wrap"><table><thead><tr><th>Edge</th><th>Contract</th><th class="num">Audited</th><th class="num">Failed</th><th class="num">Unverifiable</th><th class="num">Duplicates</th><th class="num">Unaudited v1</th><th class="num">p</th><th>Warnings</th></tr></thead><tbody id="audit"></tbody></table></div>
  <p class="muted scope" id="audit-scope"></p>
</section>
<section class="grid two">
  <div class="card"><h2>Recent blocks</h2>
    <div class="table-wrap"><table><thead><tr><th>Time</th><th>Coin</th><th class="num">Height</th><th>Hash</th><th>Found by</th><th>Outcome</th><th class="num">Latency</th></tr></thead><tbody id="blocks"></tbody></table></div>
  </div>
  <div class="card"><h2>Workers</h2>
    <div class="table-wrap"><table><thead><tr><th>Worker</th><th>Edge / port</th><th class="num">Diff</th><th class="num">Accepted</th><th class="num">Hashrate</th><th class="num">Last share</th><th>State</th></tr></thead><tbody id="workers"></tbody></table></div>
  </div>
</section>
<p class="muted" id="foot" style="margin-top:14px;font-size:12.5px"></p>
<script nonce="${nonce}">
"use strict";
(function () {
${CLIENT_BASE}
${CLIENT_CHART}
${CLIENT_PANELS}
${CLIENT_QUARANTINE}
${CLIENT_AUDIT}
setInterval(tickClocks, 1000);
window.addEventListener("resize", function () { if (latest) drawChart(latest.history); });
poll();
})();
</script>
</body>
</html>
`;
}
