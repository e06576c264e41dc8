import { describe, expect, test } from "bun:test";
import { InFlightLimiter } from "./limiter.ts";

describe("InFlightLimiter", () => {
  test("at most `max` slots; urgent waiters before ordinary ones; an aborted waiter leaves the queue", async () => {
    const l = new InFlightLimiter(2);
    const r1 = await l.acquire();
    const r2 = await l.acquire();
    expect(l.inFlight).toBe(2);
    const order: string[] = [];
    const normal = l.acquire().then((r) => (order.push("normal"), r));
    const abort = new AbortController();
    const gone = l.acquire(false, abort.signal).catch(() => "aborted");
    const urgent = l.acquire(true).then((r) => (order.push("urgent"), r));
    expect(l.waiting).toBe(3);
    abort.abort();
    expect(await gone).toBe("aborted");
    expect(l.waiting).toBe(2);
    r1();
    r1(); // a second release of the same slot is ignored
    (await urgent)();
    r2();
    (await normal)();
    expect(order).toEqual(["urgent", "normal"]);
    expect(l.inFlight).toBe(0);
    expect(() => new InFlightLimiter(0)).toThrow(RangeError);
  });
});
