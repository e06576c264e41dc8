/**
 * Stratum sessions over real sockets (edge/listener + edge/stratum) with the job feed, share
 * checker and extranonce1 allocator simulated. Numbers are spec §17 checklist items; a name says
 * when behaviour deliberately differs from PowerPool.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { BTC_ADDRESS, BTC_ADDRESS_2, EASY, startTestStratum, type TestStratum } from "../helpers/stratum-env.ts";
import type { TestMiner } from "../helpers/miner.ts";

let env: TestStratum | undefined;
const miners: TestMiner[] = [];
afterEach(() => {
  for (const m of miners.splice(0)) m[Symbol.dispose]();
  env?.stop();
  env = undefined;
});

function start(stratum: Record<string, unknown> = {}, coin: Record<string, unknown> = {}): TestStratum {
  env = startTestStratum(stratum, coin);
  return env;
}

async function connect(e: TestStratum): Promise<TestMiner> {
  const m = await e.connect();
  miners.push(m);
  return m;
}

const clientOf = (e: TestStratum) => [...e.port.sessions][0]!;

describe("CPU-miner flow (cpuminer 2.5.1 order and expectations, peers.md §6)", () => {
  test("1, 2, 10, 19, 21: subscribe reply first, then authorize → true, set_difficulty, notify (clean=false)", async () => {
    const e = start();
    e.feed.publish();
    const m = await connect(e);
    const h = await m.cpuMinerHandshake(`${BTC_ADDRESS}.cpu1`);
    const en1 = m.extranonce1;
    expect(en1).toMatch(/^[0-9a-f]{8}$/);
    expect(h.subscribe.raw).toBe(`{"id": 1, "result": [[["mining.set_difficulty", "${en1}"], ["mining.notify", "${en1}"]], "${en1}", 4], "error": null}`);
    expect(h.authorize.raw).toBe('{"error":null,"id":2,"result":true}');
    // The three lines right after the subscribe reply: the reply, set_difficulty, notify.
    expect(m.messages.slice(1, 4).map((x) => x.method ?? "reply")).toEqual(["reply", "mining.set_difficulty", "mining.notify"]);
    expect(h.afterAuthorize[0]!.raw).toBe(`{"params":[${EASY}],"id":null,"method":"mining.set_difficulty"}`);
    const notify = h.afterAuthorize[1]!;
    expect(notify.params).toHaveLength(9);
    const [jobId, prevhash, , , branch, version, nbits, ntime, clean] = notify.params as [string, string, string, string, string[], string, string, string, boolean];
    expect(typeof jobId).toBe("string");
    expect(prevhash).toMatch(/^[0-9a-f]{64}$/);
    expect(Array.isArray(branch)).toBe(true);
    for (const f of [version, nbits, ntime]) expect(f).toMatch(/^[0-9a-f]{8}$/);
    expect(clean).toBe(false);
    expect(notify.raw.startsWith('{"params":[')).toBe(true);
    expect(notify.raw.endsWith('],"id":null,"method":"mining.notify"}')).toBe(true);
  });

  test("nothing is sent before the subscribe reply, even when jobs arrive first", async () => {
    const e = start();
    const m = await connect(e);
    e.feed.publish();
    e.advance(60_000); // keepalive time: still nothing for an unsubscribed client
    const first = await m.request("mining.subscribe", ["cpuminer/2.5.1"], 1);
    expect(m.messages[0]).toBe(first);
  });

  test("authorize with no job yet: true and set_difficulty now, the first job by broadcast", async () => {
    const e = start();
    const m = await connect(e);
    await m.request("mining.subscribe", [], 1);
    await m.request("mining.authorize", [BTC_ADDRESS, "x"], 2);
    await m.nextMethod("mining.set_difficulty");
    const job = e.feed.publish({ type: 2 }); // even a refresh reaches a client without any job
    const notify = await m.nextMethod("mining.notify");
    expect(notify.params?.[0]).toBe(job.id);
  });

  test("resume: a reconnecting miner's session id gives its extranonce1 back", async () => {
    const e = start();
    const a = await connect(e);
    await a.request("mining.subscribe", ["cpuminer/2.5.1"], 1);
    const en1 = a.extranonce1;
    a.close();
    await a.waitClosed().catch(() => undefined);
    for (let i = 0; i < 50 && e.allocator.live.has(en1); i++) await Bun.sleep(10);
    const b = await connect(e);
    const r = await b.request("mining.subscribe", ["cpuminer/2.5.1", en1], 1);
    expect((r.result as unknown[])[1]).toBe(en1);
  });
});

describe("ASIC flow (configure + suggest_difficulty + version rolling)", () => {
  test("configure → subscribe → suggest → authorize; mask = coin's AND miner's; suggested difficulty applies", async () => {
    const e = start();
    e.feed.publish();
    const m = await connect(e);
    const h = await m.asicHandshake(`${BTC_ADDRESS}.bitaxe`, { mask: "ffffffff", suggest: 0.000002 });
    expect(h.configure.raw).toBe('{"error":null,"id":1,"result":{"version-rolling":true,"version-rolling.mask":"1fffe000","minimum-difficulty":true}}');
    expect(h.suggest?.raw).toBe('{"error":null,"id":3,"result":true}');
    expect(h.authorize.result).toBe(true);
    expect((await m.nextMethod("mining.set_difficulty")).params).toEqual([0.000002]);
    const job = await m.nextJob();
    expect(job.difficulty).toBe(0.000002);
    // A share with rolled version bits inside the mask is accepted; the checker saw the mask.
    const share = m.mineShare(job, { versionBits: 0x00002000 });
    expect((await m.submit(share)).result).toBe(true);
    expect(e.checker.checked.at(-1)?.ctx.versionMask).toBe(0x1fffe000);
    expect(e.checker.checked.at(-1)?.params.versionBits).toBe("00002000");
  });

  test("the negotiated mask is the intersection with the miner's mask", async () => {
    const e = start();
    const m = await connect(e);
    const r = await m.request("mining.configure", [["version-rolling"], { "version-rolling.mask": "00fff000" }]);
    expect(r.result).toEqual({ "version-rolling": true, "version-rolling.mask": "00ffe000" });
  });

  test("a Namecoin-style coin allowing only 0x0000e000 offers only those bits, or none", async () => {
    const e = start({}, { version_mask: 0x0000e000 });
    const m = await connect(e);
    const all = await m.request("mining.configure", [["version-rolling"], { "version-rolling.mask": "1fffe000" }]);
    expect(all.result).toEqual({ "version-rolling": true, "version-rolling.mask": "0000e000" });
    const none = await m.request("mining.configure", [["version-rolling"], { "version-rolling.mask": "1fff0000" }]);
    expect(none.result).toEqual({ "version-rolling": false });
    expect(clientOf(e).versionMask).toBe(0);
  });

  test("minimum-difficulty is a floor, clamped to the port's limits; unknown extensions are false", async () => {
    const e = start();
    e.feed.publish();
    const m = await connect(e);
    const r = await m.request("mining.configure", [["minimum-difficulty", "info", "__proto__"], { "minimum-difficulty.value": 0.002 }]);
    expect(r.result).toEqual({ "minimum-difficulty": true, info: false, ["__proto__"]: false });
    await m.request("mining.subscribe", [], 2);
    await m.request("mining.authorize", [BTC_ADDRESS, "x"], 3);
    expect((await m.nextMethod("mining.set_difficulty")).params).toEqual([0.002]);
  });
});

describe("suggest_difficulty (PowerPool answered error 20)", () => {
  test("before authorize: fractional, clamped to [minimum_difficulty, maximum_difficulty]", async () => {
    const e = start({ vardiff: { minimum_difficulty: 0.001, maximum_difficulty: 0.5 } });
    e.feed.publish();
    const low = await connect(e);
    await low.request("mining.subscribe", [], 1);
    expect((await low.request("mining.suggest_difficulty", [0.00001])).result).toBe(true);
    await low.request("mining.authorize", [BTC_ADDRESS, "x"]);
    expect((await low.nextMethod("mining.set_difficulty")).params).toEqual([0.001]);
    const high = await connect(e);
    await high.request("mining.subscribe", [], 1);
    await high.request("mining.suggest_difficulty", [1e6]);
    await high.request("mining.authorize", [BTC_ADDRESS, "x"]);
    expect((await high.nextMethod("mining.set_difficulty")).params).toEqual([0.5]);
  });

  test("after authorize: true, then set_difficulty and a re-push under a new job id carrying it", async () => {
    const e = start();
    const job = e.feed.publish();
    const m = await connect(e);
    await m.cpuMinerHandshake(BTC_ADDRESS);
    const first = m.lastJob!;
    expect((await m.request("mining.suggest_difficulty", [0.004])).result).toBe(true);
    expect((await m.nextMethod("mining.set_difficulty")).params).toEqual([0.004]);
    const again = await m.nextJob();
    expect(again.id).not.toBe(first.id);
    expect(again.id.startsWith(job.id)).toBe(true);
    expect(again.difficulty).toBe(0.004);
    expect(again.clean).toBe(false);
  });

  test("a value that is not a positive number is error 20", async () => {
    const e = start();
    const m = await connect(e);
    for (const bad of [0, -1, "abc", null]) {
      expect((await m.request("mining.suggest_difficulty", [bad])).error).toEqual([20, "Other/Unknown", null]);
    }
  });
});

describe("protocol basics (checklist 3, 5–9, 11, 13–17)", () => {
  test("3: extranonce1 is unique among live connections", async () => {
    const e = start();
    const ms = await Promise.all([connect(e), connect(e), connect(e)]);
    for (const m of ms) await m.request("mining.subscribe", []);
    expect(new Set(ms.map((m) => m.extranonce1)).size).toBe(3);
  });

  test("4 (E1 redesigned, spec §15 item 25): extranonce1 comes from the edge-wide allocator, not port × 10000", async () => {
    const e = start();
    const m = await connect(e);
    await m.request("mining.subscribe", []);
    expect(e.allocator.live.has(m.extranonce1)).toBe(true);
  });

  test("5: a second subscribe is error 20", async () => {
    const e = start();
    const m = await connect(e);
    await m.request("mining.subscribe", []);
    expect((await m.request("mining.subscribe", [], 7)).raw).toBe('{"error":[20,"Other/Unknown",null],"id":7,"result":null}');
  });

  test("6, 7: methods are case-insensitive; a request without id is answered with id 1; null stays null", async () => {
    const e = start();
    const m = await connect(e);
    m.sendLine('{"method":"MINING.SUBSCRIBE","params":[]}');
    const r = await m.next();
    expect(r.id).toBe(1);
    expect(Array.isArray(r.result)).toBe(true);
    m.sendLine('{"id":null,"method":"mining.extranonce.subscribe"}');
    expect((await m.next()).raw).toBe('{"error":null,"id":null,"result":true}');
    m.sendLine('{"id":"abc","method":"Mining.Extranonce.Subscribe","params":[]}');
    expect((await m.next()).raw).toBe('{"error":null,"id":"abc","result":true}');
  });

  test("8: authorize before subscribe → 25 and not_subbed_err", async () => {
    const e = start();
    const m = await connect(e);
    expect((await m.request("mining.authorize", [BTC_ADDRESS, "x"], 5)).raw).toBe('{"error":[25,"Not subscribed",null],"id":5,"result":null}');
    expect(e.port.counters.not_subbed_err).toBe(1);
  });

  test("9, 11: any username authorizes once; a second authorize → 24", async () => {
    const e = start();
    const m = await connect(e);
    await m.request("mining.subscribe", []);
    expect((await m.request("mining.authorize", ["garbage!!", null])).result).toBe(true);
    expect((await m.request("mining.authorize", [BTC_ADDRESS, "x"], 9)).raw).toBe('{"error":[24,"Unauthorized worker",null],"id":9,"result":null}');
    expect(e.port.counters.not_authed_err).toBe(1);
  });

  test("13 (differs: set_extranonce is sent when extranonce1 changes, never otherwise)", async () => {
    const e = start();
    e.feed.publish();
    const sub = await connect(e);
    await sub.request("mining.subscribe", []);
    expect((await sub.request("mining.extranonce.subscribe", [])).result).toBe(true);
    await sub.request("mining.authorize", [BTC_ADDRESS, "x"]);
    await sub.nextMethod("mining.notify");
    const plain = await connect(e);
    await plain.cpuMinerHandshake(BTC_ADDRESS);
    expect(sub.messages.some((x) => x.method === "mining.set_extranonce")).toBe(false);
    const before = sub.extranonce1;
    e.edge.renewExtranonce1();
    const set = await sub.nextMethod("mining.set_extranonce");
    expect(set.params?.[0]).not.toBe(before);
    expect(set.params?.[1]).toBe(4);
    const job = await sub.nextJob();
    expect(job.clean).toBe(true);
    expect((await sub.submit(sub.mineShare(job))).result).toBe(true);
    // A miner that cannot follow (cpuminer ignores set_extranonce) is disconnected to reconnect.
    await plain.waitClosed();
  });

  test("14, 15: get_transactions and unknown methods → error 20 (unk_err counts the unknown one)", async () => {
    const e = start();
    const m = await connect(e);
    expect((await m.request("mining.get_transactions", [])).error).toEqual([20, "Other/Unknown", null]);
    expect((await m.request("mining.multi_version", [1])).error).toEqual([20, "Other/Unknown", null]);
    expect(e.port.counters.unk_err).toBe(1);
  });

  test("16, 17: a non-JSON line → error 20 with id 1; JSON without method → error 20 with its id", async () => {
    const e = start();
    const m = await connect(e);
    m.sendLine("this is not json");
    expect((await m.next()).raw).toBe('{"error":[20,"Other/Unknown",null],"id":1,"result":null}');
    m.sendLine('{"id":42,"params":[]}');
    expect((await m.next()).raw).toBe('{"error":[20,"Other/Unknown",null],"id":42,"result":null}');
    m.sendLine("[1,2,3]"); // PowerPool crashed on a non-object (no reply)
    expect((await m.next()).id).toBe(1);
    expect(e.port.counters.unk_err).toBe(3);
  });

  test("18: EOF closes the connection, counts a disconnect and releases extranonce1", async () => {
    const e = start();
    const m = await connect(e);
    await m.request("mining.subscribe", []);
    m.close();
    for (let i = 0; i < 100 && e.port.counters.stratum_disconnects === 0; i++) await Bun.sleep(10);
    expect(e.port.counters.stratum_disconnects).toBe(1);
    expect(e.allocator.live.size).toBe(0);
    expect(e.port.sessions.size).toBe(0);
  });

  test("50 (fix of spec §15 item 11): vardiff off and no tiers — the port starts and serves a fixed difficulty", async () => {
    const e = start();
    expect(e.port.cfg.tiers).toEqual([]);
    e.feed.publish();
    const m = await connect(e);
    await m.cpuMinerHandshake(BTC_ADDRESS);
    e.advance(31_000);
    expect(clientOf(e).nextDiff).toBe(EASY);
  });

  test("a blank line is ignored (differs: PowerPool closed the connection on it)", async () => {
    const e = start();
    const m = await connect(e);
    m.sendRaw("\r\n  \n");
    expect((await m.request("mining.subscribe", [])).result).toBeDefined();
  });
});

describe("usernames and passwords on the wire (checklist 22–34)", () => {
  async function authorized(e: TestStratum, params: unknown[]) {
    const m = await connect(e);
    await m.request("mining.subscribe", []);
    expect((await m.request("mining.authorize", params)).result).toBe(true);
    const s = [...e.port.sessions].find((x) => x.extranonce1Hex === m.extranonce1)!;
    return { m, s };
  }

  test("22–26: address, worker, alias, donate", async () => {
    const e = start();
    expect((await authorized(e, [`${BTC_ADDRESS}.rig 1!`, "x"])).s.name).toBe(`${BTC_ADDRESS}.rig-1-`);
    expect((await authorized(e, ["My_Alias.x", "x"])).s.name).toBe(`${BTC_ADDRESS_2}.x`);
    expect((await authorized(e, ["testing", ""])).s.name).toBe("donate.");
  });

  test("29 (fix of spec §15 item 5): a lone username is credited to it, not to donate", async () => {
    const e = start();
    expect((await authorized(e, [`${BTC_ADDRESS}.solo`])).s.address).toBe(BTC_ADDRESS);
  });

  test("30, 31: -d sets a fixed difficulty (floored at minimum_manual_diff) and turns vardiff off", async () => {
    const e = start({ vardiff: { enabled: true }, minimum_manual_diff: 0.0001 });
    const a = await authorized(e, [BTC_ADDRESS, "-d 0.002"]);
    expect((await a.m.nextMethod("mining.set_difficulty")).params).toEqual([0.002]);
    expect(a.s.vardiff.enabled).toBe(false);
    const b = await authorized(e, [BTC_ADDRESS, "-d 0.00001"]);
    expect((await b.m.nextMethod("mining.set_difficulty")).params).toEqual([0.0001]);
  });

  test("32, 33: --start-diff keeps vardiff; --min/--max-diff restrict its tiers", async () => {
    const e = start({ vardiff: { enabled: true, tiers: [0.001, 0.002, 0.004, 0.008] } });
    const a = await authorized(e, [BTC_ADDRESS, "--start-diff 0.004 --max-diff 0.004 --min-diff 0.002"]);
    expect((await a.m.nextMethod("mining.set_difficulty")).params).toEqual([0.004]);
    expect(a.s.vardiff.enabled).toBe(true);
    expect(a.s.vardiff.personalTiers).toEqual([0.002, 0.004]);
  });

  test("34: unparsable passwords are ignored (start_difficulty applies); d=N differs from PowerPool and works", async () => {
    const e = start();
    const a = await authorized(e, [BTC_ADDRESS, "-d abc"]);
    expect((await a.m.nextMethod("mining.set_difficulty")).params).toEqual([EASY]);
    const b = await authorized(e, [BTC_ADDRESS, "d=0.003"]);
    expect((await b.m.nextMethod("mining.set_difficulty")).params).toEqual([0.003]);
    expect(b.s.vardiff.enabled).toBe(false);
  });
});
