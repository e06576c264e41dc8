import { describe, expect, test } from "bun:test";
import { captureLog } from "../../test/helpers/log-capture.ts";
import { JobCache } from "./job-cache.ts";
import { spec16Job } from "../../shared/contract/testing.ts";

const newCache = (over: Partial<ConstructorParameters<typeof JobCache>[0]> = {}) => new JobCache({ log: captureLog().log, idStart: 0x100, ...over });

describe("JobCache", () => {
  test("edge ids are short hex from a counter; latest follows every job", () => {
    const c = newCache();
    const a = c.add(spec16Job({ type: 0 }))!;
    const b = c.add(spec16Job({ type: 2 }))!;
    expect([a.id, b.id]).toEqual(["101", "102"]);
    expect(c.latest("LTC")).toBe(b);
    expect(c.latest("DOGE")).toBeUndefined();
  });

  test("a flush makes every earlier job stale; push and refresh join the active set; ids never seen are unknown", () => {
    const c = newCache();
    const a = c.add(spec16Job({ type: 0 }))!;
    const b = c.add(spec16Job({ type: 1 }))!;
    const r = c.add(spec16Job({ type: 2 }))!;
    for (const j of [a, b, r]) expect(c.find("LTC", j.id)).toEqual({ job: j, stale: false });
    const f = c.add(spec16Job({ type: 0 }))!;
    for (const j of [a, b, r]) expect(c.find("LTC", j.id)).toEqual({ job: j, stale: true });
    expect(c.find("LTC", f.id)).toEqual({ job: f, stale: false });
    expect(c.find("LTC", "ffffff")).toBe("unknown");
    expect(c.find("DOGE", f.id)).toBe("unknown");
  });

  test("a re-push suffix after the hex id is ignored", () => {
    const c = newCache();
    const a = c.add(spec16Job())!;
    expect(c.find("LTC", `${a.id}.7`)).toEqual({ job: a, stale: false });
    expect(c.find("LTC", `${a.id}-x`)).toEqual({ job: a, stale: false });
  });

  test("history is bounded: jobs older than it are unknown, and a full active set ages its oldest out", () => {
    const c = newCache({ historyJobs: 4, maxActiveJobs: 3 });
    const jobs = [0, 1, 2, 3, 4].map((i) => c.add(spec16Job({ type: i === 0 ? 0 : 2 }))!);
    expect(c.find("LTC", jobs[0]!.id)).toBe("unknown");
    expect(c.find("LTC", jobs[1]!.id)).toMatchObject({ stale: true });
    for (const j of jobs.slice(2)) expect(c.find("LTC", j.id)).toMatchObject({ stale: false });
  });

  test("a job delivered twice (same core id) is added once", () => {
    const c = newCache();
    const job = spec16Job();
    expect(c.add(job)).toBeDefined();
    expect(c.add({ ...job })).toBeUndefined();
  });

  test("subscribers get every job in order; ready() waits for the first; unsubscribe stops delivery", async () => {
    const c = newCache();
    const seen: string[] = [];
    const off = c.subscribe("LTC", (j) => seen.push(`${j.job.type}:${j.id}`));
    const first = c.ready("LTC");
    c.add(spec16Job({ type: 0 }));
    expect((await first).id).toBe("101");
    c.add(spec16Job({ type: 2 }));
    off();
    c.add(spec16Job({ type: 1 }));
    expect(seen).toEqual(["0:101", "2:102"]);
    expect((await c.ready("LTC")).id).toBe("103");
  });

  test("newestOfCoin spans jobmanagers", () => {
    const c = newCache();
    c.add(spec16Job({ jobmanager: "LTC" }));
    const s = c.add(spec16Job({ jobmanager: "switch" }))!;
    expect(c.newestOfCoin("LTC")).toBe(s);
  });

  test("the notify line is PowerPool's compact mining.notify, built once per job", () => {
    const c = newCache();
    const j = c.add(spec16Job())!;
    const text = new TextDecoder().decode(j.notifyLine(true));
    expect(text).toBe(
      '{"params":["101","334455668f9011224b5c6d7e0718293ac3d4e5f60007a1b20000000000000000",' +
        '"02000000010000000000000000000000000000000000000000000000000000000000000000ffffffff0c0340420f",' +
        '"000000000100f90295000000001976a9148eca456fb9f8ebd231921cf82131b8e0521c354988ac00000000",' +
        '["2354d25f811c11c40e636e528ea75a191a4d6ae623e2d2e7233b0c7dfa4eb983","a7ea0d713a0cd4e39c0049716c4e5bebf7e2c637d1c8f81556328690e761bc1c"],' +
        '"20000000","1a0ffff0","5c3a8f10",true],"id":null,"method":"mining.notify"}\n',
    );
    expect(JSON.parse(text).params[8]).toBe(true);
    expect(JSON.parse(new TextDecoder().decode(j.notifyLine(false))).params[8]).toBe(false);
    expect(j.notifyLine(true)).toBe(j.notifyLine(true));
    expect(JSON.parse(new TextDecoder().decode(j.notifyLineWithId("101.2", false))).params.slice(0, 2)).toEqual(["101.2", "334455668f9011224b5c6d7e0718293ac3d4e5f60007a1b20000000000000000"]);
    // A re-push line is the shared line with only the id changed, byte for byte (also for ids of another length).
    for (const clean of [true, false]) {
      const shared = new TextDecoder().decode(j.notifyLine(clean));
      for (const id of ["101.2", "7", "101.3e8f", "é1"]) expect(new TextDecoder().decode(j.notifyLineWithId(id, clean))).toBe(shared.replace(`["${j.id}"`, `["${id}"`));
    }
  });

  test("a job whose bytes cannot be parsed is skipped and logged", () => {
    const { log, lines } = captureLog();
    const c = new JobCache({ log });
    expect(c.add(spec16Job({ diff1: "00".repeat(32) }))).toBeUndefined();
    expect(lines.join("\n")).toMatch(/skipped: .*diff1 > 0/);
  });
});
