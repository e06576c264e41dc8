import { describe, expect, test } from "bun:test";
import { STRATUM_ERROR_TEXT } from "./errors.ts";
import { allowedVersionMask, sweepPeriodMs } from "./port-settings.ts";
import { errorReply, idJson, okReply, setDifficultyLine, setExtranonceLine, subscribeReply } from "./replies.ts";
import { parseSubmit } from "./submit.ts";

describe("reply formats (spec §2.2, exact bytes)", () => {
  test("success, error, subscribe, set_difficulty, set_extranonce", () => {
    expect(okReply("4")).toBe('{"error":null,"id":4,"result":true}\n');
    expect(errorReply("1", 21)).toBe('{"error":[21,"Job not found (=stale)",null],"id":1,"result":null}\n');
    expect(subscribeReply("1", "5193fc01", 4)).toBe('{"id": 1, "result": [[["mining.set_difficulty", "5193fc01"], ["mining.notify", "5193fc01"]], "5193fc01", 4], "error": null}\n');
    expect(setDifficultyLine(128)).toBe('{"params":[128],"id":null,"method":"mining.set_difficulty"}\n');
    expect(setDifficultyLine(0.001)).toBe('{"params":[0.001],"id":null,"method":"mining.set_difficulty"}\n');
    expect(setExtranonceLine("0a0b0c0d", 4)).toBe('{"params":["0a0b0c0d",4],"id":null,"method":"mining.set_extranonce"}\n');
  });
  test("the error table is PowerPool's", () => {
    expect(STRATUM_ERROR_TEXT).toEqual({ 20: "Other/Unknown", 21: "Job not found (=stale)", 22: "Duplicate share", 23: "Low difficulty share", 24: "Unauthorized worker", 25: "Not subscribed" });
  });
  test("ids: absent → 1, null stays null, others echo", () => {
    expect([idJson(undefined), idJson(null), idJson(7), idJson("x"), idJson({ a: 1 }), idJson(Number.NaN)]).toEqual(["1", "null", "7", '"x"', '{"a":1}', "null"]);
  });
});

describe("parseSubmit", () => {
  test("5 params, or 6 with version bits; lengths and hex checked", () => {
    expect(parseSubmit(["w", "a1", "0000000A", "5c3a8f10", "b2957c02"], 8)).toEqual({ jobId: "a1", extranonce2: "0000000A", ntime: "5c3a8f10", nonce: "b2957c02", versionBits: undefined });
    expect(parseSubmit(["w", "a1", "00000000", "5c3a8f10", "b2957c02", "00002000"], 8)?.versionBits).toBe("00002000");
    expect(parseSubmit(["w", "a1", "00000000", "5c3a8f10", "b2957c02", null], 8)?.versionBits).toBeUndefined();
    for (const bad of [["w", "a1", "0000000", "5c3a8f10", "b2957c02"], ["w", "", "00000000", "5c3a8f10", "b2957c02"], ["w", "a1", "00000000", "5c3a8f1\u0010", "b2957c02"], ["w", "a1", "00000000", "5c3a8f10"]]) {
      expect(parseSubmit(bad, 8)).toBeUndefined();
    }
  });
});

describe("port settings and meter", () => {
  test("a switching port offers only the bits all its coins allow", () => {
    const coin = (version_mask: number) => ({ version_mask }) as Parameters<typeof allowedVersionMask>[0][number];
    expect(allowedVersionMask([coin(0x1fffe000), coin(0x0000e000)])).toBe(0x0000e000);
    expect(allowedVersionMask([])).toBe(0);
  });
  test("the timer period is a quarter of the shortest period, 25 ms to 1 s", () => {
    const base = { push_job_interval: 30, idle_worker_threshold: 300, idle_worker_disconnect_threshold: 3600, limits: { blocked_write_timeout: 60 }, vardiff: { enabled: false, interval: 30 } };
    expect(sweepPeriodMs(base as Parameters<typeof sweepPeriodMs>[0])).toBe(1000);
    expect(sweepPeriodMs({ ...base, push_job_interval: 0.2 } as Parameters<typeof sweepPeriodMs>[0])).toBe(50);
  });
});
