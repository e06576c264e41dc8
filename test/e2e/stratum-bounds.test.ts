/**
 * Issue 19 §1: every difficulty a miner can ask for is bounded, over real sockets (job feed, share
 * checker and extranonce1 allocator simulated). The port here: start 1e-6, manual floor 1e-7,
 * vardiff range [1e-7, 1]. Each entry point gets 0, negative, NaN-producing, 1e308, "Infinity"
 * strings and exponents out of range (JSON's 1e400 parses to Infinity, 1e-400 to 0).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { changeDifficulty } from "../../edge/stratum/push.ts";
import type { TestMiner } from "../helpers/miner.ts";
import { BTC_ADDRESS, EASY, startTestStratum, type TestStratum } from "../helpers/stratum-env.ts";

let env: TestStratum | undefined;
const miners: TestMiner[] = [];
afterEach(() => {
  for (const m of miners.splice(0)) m[Symbol.dispose]();
  env?.stop();
  env = undefined;
});

function start(stratum: Record<string, unknown> = {}): TestStratum {
  env = startTestStratum(stratum);
  env.feed.publish();
  return env;
}

async function subscribed(e: TestStratum): Promise<TestMiner> {
  const m = await e.connect();
  miners.push(m);
  await m.request("mining.subscribe", []);
  return m;
}

/** Sends a raw request line (so 1e400 reaches JSON.parse as written) and returns its reply. */
async function raw(m: TestMiner, line: string) {
  m.sendLine(line);
  return m.next((x) => x.id !== null && x.id !== undefined);
}

const sessionOf = (e: TestStratum, m: TestMiner) => [...e.port.sessions].find((s) => s.extranonce1Hex === m.extranonce1)!;

describe("password difficulties (d=, -d, --start-diff, --min-diff, --max-diff)", () => {
  test.each([
    ["d=1e308", "password -d: difficulty 1e+308 is above this port's maximum 1"],
    ["d=1e400", "password -d: difficulty must be a finite number, got Infinity"],
    ["d=Infinity", "password -d: difficulty must be a finite number, got Infinity"],
    ["d=nan", "password -d: difficulty must be a finite number, got NaN"],
    ["-d -5", "password -d: difficulty must be positive, got -5"],
    ["-d=-inf", "password -d: difficulty must be a finite number, got -Infinity"],
    ["--start-diff 2", "password --start-diff: difficulty 2 is above this port's maximum 1"],
    ["--min-diff 1e9", "password --min-diff: difficulty 1000000000 is above this port's maximum 1"],
    ["--max-diff -1", "password --max-diff: difficulty must be positive, got -1"],
  ])("%s: authorize refused with a clear error 20; the connection stays usable", async (password, text) => {
    const e = start();
    const m = await subscribed(e);
    const r = await m.request("mining.authorize", [`${BTC_ADDRESS}.w`, password]);
    expect(r.error).toEqual([20, text, null]);
    expect(r.result).toBeNull();
    expect(sessionOf(e, m).authorized).toBe(false);
    // A corrected password works on the same connection.
    expect((await m.request("mining.authorize", [`${BTC_ADDRESS}.w`, "d=0.5"])).result).toBe(true);
    expect((await m.nextMethod("mining.set_difficulty")).params).toEqual([0.5]);
  });

  test.each([
    ["d=0", EASY],
    ["d=1e-400", EASY],
    ["d=1e-320", 1e-7],
    ["d=1", 1],
    ["--max-diff 1e308", EASY],
    ["-d 1e-9", 1e-7],
  ])("%s is accepted, bounded to the port's range", async (password, difficulty) => {
    const e = start();
    const m = await subscribed(e);
    expect((await m.request("mining.authorize", [`${BTC_ADDRESS}.w`, password])).result).toBe(true);
    expect((await m.nextMethod("mining.set_difficulty")).params).toEqual([difficulty]);
  });
});

describe("mining.suggest_difficulty", () => {
  test("non-positive, non-finite and non-decimal values are error 20; huge and tiny ones are clamped", async () => {
    const e = start({ vardiff: { minimum_difficulty: 0.001, maximum_difficulty: 0.5 } });
    const m = await subscribed(e);
    for (const line of ["[0]", "[-1]", "[1e400]", "[-1e400]", '["Infinity"]', '["NaN"]', '["0x10"]', '[" 5"]', '["1e400"]', "[null]", "[[1]]", "[]"]) {
      const r = await raw(m, `{"id":9,"method":"mining.suggest_difficulty","params":${line}}`);
      expect([line, r.error]).toEqual([line, [20, "Other/Unknown", null]]);
    }
    expect(sessionOf(e, m).nextDiff).toBe(EASY);
    expect((await raw(m, '{"id":9,"method":"mining.suggest_difficulty","params":[1e308]}')).result).toBe(true);
    expect(sessionOf(e, m).nextDiff).toBe(0.5);
    expect((await raw(m, '{"id":9,"method":"mining.suggest_difficulty","params":["1e-320"]}')).result).toBe(true);
    expect(sessionOf(e, m).nextDiff).toBe(0.001);
    expect((await raw(m, '{"id":9,"method":"mining.suggest_difficulty","params":[1e-400]}')).error).toEqual([20, "Other/Unknown", null]);
  });
});

describe("mining.configure", () => {
  test("minimum-difficulty: non-positive and non-finite values are false; huge ones are clamped to the port's maximum", async () => {
    const e = start();
    const m = await subscribed(e);
    for (const v of ["0", "-1", "1e400", "-1e400", '"Infinity"', '"1e308"', "null", "1e-400"]) {
      const r = await raw(m, `{"id":3,"method":"mining.configure","params":[["minimum-difficulty"],{"minimum-difficulty.value":${v}}]}`);
      expect([v, r.result]).toEqual([v, { "minimum-difficulty": false }]);
    }
    expect(sessionOf(e, m).minimumDifficulty).toBeUndefined();
    const r = await raw(m, '{"id":3,"method":"mining.configure","params":[["minimum-difficulty"],{"minimum-difficulty.value":1e308}]}');
    expect(r.result).toEqual({ "minimum-difficulty": true });
    expect(sessionOf(e, m).minimumDifficulty).toBe(1);
    expect(sessionOf(e, m).nextDiff).toBe(1);
  });

  test("version-rolling masks out of range fall back to the allowed mask; absurd extension lists are cut", async () => {
    const e = start();
    const m = await subscribed(e);
    for (const mask of ["1e400", "-1", "4294967296", '"fffffffff"', '"-1"']) {
      const r = await raw(m, `{"id":3,"method":"mining.configure","params":[["version-rolling"],{"version-rolling.mask":${mask}}]}`);
      expect([mask, r.result]).toEqual([mask, { "version-rolling": true, "version-rolling.mask": "1fffe000" }]);
    }
    const many = JSON.stringify(Array.from({ length: 100 }, (_, i) => `x${i}`));
    const r = await raw(m, `{"id":3,"method":"mining.configure","params":[${many},{}]}`);
    expect(Object.keys(r.result as object)).toHaveLength(16);
  });
});

describe("vardiff and every other difficulty change", () => {
  test("changeDifficulty, the one path for vardiff/suggest/configure, never leaves the port's range", async () => {
    const e = start({ vardiff: { enabled: true, minimum_difficulty: 1e-6, maximum_difficulty: 0.25 } });
    const m = await subscribed(e);
    await m.request("mining.authorize", [BTC_ADDRESS, "x"]);
    const s = sessionOf(e, m);
    for (const [asked, got] of [
      [1e308, 0.25],
      [Infinity, 0.25],
      [NaN, 1e-7],
      [-1, 1e-7],
      [0, 1e-7],
      [0.125, 0.125],
    ] as const) {
      changeDifficulty(s, asked, e.clock.now());
      expect([asked, s.nextDiff]).toEqual([asked, got]);
    }
  });

  test("vardiff under an absurd share rate picks the port's top tier, no higher", async () => {
    const e = start({ vardiff: { enabled: true, interval: 1, minimum_difficulty: 1e-6, maximum_difficulty: 0.25 } });
    const m = await subscribed(e);
    await m.request("mining.authorize", [BTC_ADDRESS, "x"]);
    const s = sessionOf(e, m);
    e.clock.t += 1500;
    for (let i = 0; i < 1000; i++) s.vardiff.onAccepted(1e300, e.clock.now());
    e.advance(0);
    expect(s.nextDiff).toBe(0.25);
  });
});

describe("the four lines of issue 19", () => {
  test("d=1e308 gets a clear error; the two submits that follow are unauthorized and recorded nowhere", async () => {
    const e = start();
    const m = await e.connect();
    miners.push(m);
    m.sendLine('{"id":1,"method":"mining.subscribe","params":[]}');
    m.sendLine('{"id":2,"method":"mining.authorize","params":["x.w","d=1e308"]}');
    m.sendLine('{"id":3,"method":"mining.submit","params":["x.w","ffff","00000000","00000000","00000000"]}');
    m.sendLine('{"id":4,"method":"mining.submit","params":["x.w","ffff","00000000","00000000","00000000"]}');
    const replies = [await m.next((x) => x.id === 1), await m.next((x) => x.id === 2), await m.next((x) => x.id === 3), await m.next((x) => x.id === 4)];
    expect(replies.slice(1).map((r) => r.raw)).toEqual([
      `{"error":[20,"password -d: difficulty 1e+308 is above this port's maximum 1",null],"id":2,"result":null}`,
      `{"error":[24,"Unauthorized worker",null],"id":3,"result":null}`,
      `{"error":[24,"Unauthorized worker",null],"id":4,"result":null}`,
    ]);
    expect(e.checker.checked).toEqual([]);
  });
});
