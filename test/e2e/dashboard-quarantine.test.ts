/**
 * Issue 20 §3 in headless Chromium: a quarantine key in a private Redis turns the dashboard's red
 * banner on (edge, reason, held entries, the two decisions), marks the edge's row, and the Release
 * button — two clicks — records the decision in the key for the gate; when the gate deletes the
 * key the banner goes. The monitor app is served on its own (fake core, real Redis read), which is
 * all the banner needs. Saves /tmp/dashboard-quarantine.png for review. Needs Debian's `chromium`.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { quarantineFields } from "../../core/gate/quarantine-store.ts";
import { createMonitorApp } from "../../core/monitor/app.ts";
import { quarantineDesk } from "../../core/monitor/quarantine.ts";
import { RedisViewReader } from "../../core/monitor/redis-view.ts";
import { edge, fixture, NOW, quietLog } from "../../core/monitor/testing.ts";
import { contractNames, edgeStatusCodec } from "../../shared/contract/index.ts";
import { CHROMIUM_PATH } from "../../scripts/test/components.ts";
import { launchChromium } from "../helpers/chromium.ts";
import { startRedis, type PrivateRedis } from "../helpers/redis.ts";
import { describeWith, systemRequirement } from "../helpers/skips.ts";
import { untilWith } from "../helpers/until.ts";

const PREFIX = "dq:";
const names = contractNames(PREFIX);
const REVIEW_SHOT = "/tmp/dashboard-quarantine.png";
const TIMEOUT_MS = 60_000;
const REASON = "share audit failed: the header hash is above the share target";
const lines: string[] = [];
const until = untilWith(() => lines.slice(-20).join("\n"), { everyMs: 100 });

describeWith(systemRequirement(CHROMIUM_PATH), "dashboard: a quarantined edge in headless Chromium", () => {
  let redis: PrivateRedis;
  let server: ReturnType<typeof Bun.serve> | undefined;
  let browser: Browser | undefined;
  let base = "";

  beforeAll(async () => {
    redis = await startRedis();
    const c = redis.client;
    for (const name of ["eu1", "us1"]) await c.set(names.edgeStatus(name), edgeStatusCodec.encode(edge({ edge: name, publicHost: `${name}.pool.example` })), "PX", 600_000);
    // eu1's share stream as the gate left it: the failed entry delivered and unacknowledged, 3 more unread.
    const stream = names.edgeStream("shares", "eu1");
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await c.xadd(stream, "*", "m", `batch${i}`)) ?? "");
    await c.xgroup("CREATE", stream, names.gateGroup, "0");
    await c.xreadgroup("GROUP", names.gateGroup, "gate-1", "COUNT", 1, "STREAMS", stream, ">");
    await c.hset(names.quarantine("eu1"), ...quarantineFields({ since: NOW - 300_000, reason: REASON, detail: "job 00aa0001 nonce 1234abcd", stream, entry: ids[0] ?? "" }));

    const fx = fixture();
    const log = quietLog(lines);
    const app = createMonitorApp({ ...fx.deps, log, redis: new RedisViewReader({ redis: c, prefix: PREFIX, auxKeys: [], log, maxAgeMs: 0 }), quarantines: quarantineDesk(c, names) });
    server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req, srv) => app.fetch(req, srv) });
    base = `http://127.0.0.1:${server.port}/`;
  }, TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.stop(true);
    await redis?.stop();
  }, TIMEOUT_MS);

  test("the banner shows the quarantine, the row is marked, Release records the decision, and the banner goes with the key", async () => {
    browser = await launchChromium();
    const page: Page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
    });
    await page.goto(`${base}dashboard/`);
    // On a timeout, say why: a render error shows in the page as a lost connection.
    await page.waitForSelector("body[data-ready='1']", { timeout: 15_000 }).catch(async (e: unknown) => {
      throw new Error(`${String(e)}\n${problems.join("\n")}\n${await page.innerText("body")}`);
    });

    expect(await page.isVisible("#quarantine")).toBe(true);
    const banner = await page.innerText("#quarantine");
    for (const visible of ["AN EDGE IS QUARANTINED", "eu1", REASON, "job 00aa0001 nonce 1234abcd", "4 held entries", "5 min ago", "Release: credit the held shares", "Discard: drop the held shares"]) {
      expect([visible, banner.includes(visible)]).toEqual([visible, true]);
    }
    expect(banner).toContain(`curl -X POST -H 'content-type: application/json' -d '{"edge":"eu1"}' ${base}quarantine/release`);
    // The banner sits above everything else on the page.
    const top = await page.evaluate("document.getElementById('quarantine').getBoundingClientRect().top < document.getElementById('stats').getBoundingClientRect().top");
    expect(top).toBe(true);
    const rows = await page.locator("#edges tr").allInnerTexts();
    expect(rows.find((r) => r.includes("eu1.pool.example"))).toContain("QUARANTINED");
    expect(rows.find((r) => r.includes("us1.pool.example"))).not.toContain("QUARANTINED");
    expect(await page.locator("#edges tr.quarantined").count()).toBe(1);

    const shot = await page.screenshot({ path: REVIEW_SHOT, fullPage: true });
    expect(shot.length).toBeGreaterThan(20_000);

    // One click arms the button and sends nothing; the second sends.
    const release = page.locator("#quarantine button[data-action='release']");
    await release.click();
    expect(await release.innerText()).toBe("Click again to release eu1");
    expect(await redis.client.hget(names.quarantine("eu1"), "action")).toBe("");
    await release.click();
    await until("the release in the quarantine key", async () => (await redis.client.hget(names.quarantine("eu1"), "action")) === "release" || undefined);
    // Locators, not waitForFunction(string): the page's CSP forbids the eval that needs.
    await page.locator("#quarantine").getByText("release requested").waitFor({ timeout: 15_000 });
    expect(await page.innerText("#quarantine")).toContain("Requested: the leader core's gate passes 4 held entries of edge eu1 on to accounting without audit");
    expect(await page.locator("#quarantine button").count()).toBe(0);

    // The gate carried it out and deleted the key: the banner goes at the next poll.
    await redis.client.del(names.quarantine("eu1"));
    await page.locator("#quarantine").waitFor({ state: "hidden", timeout: 15_000 });
    expect(await page.locator("#edges tr.quarantined").count()).toBe(0);
    expect(problems).toEqual([]);
  }, TIMEOUT_MS);
});
