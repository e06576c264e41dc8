import { expect, test } from "bun:test";
import { fanOutRatio, type FanOutFigures } from "./edge-report.ts";

const fan = (connections: number, last: number, lastBest: number): FanOutFigures => ({ connections, rounds: 5, last, lastBest, lastMax: last * 1.2, first: 1, edgeStart: 1.5, edgeLoop: last - 2, edgeCpu: last - 3, missing: 0 });

test("the fan-out ratio compares the edge and the bare server at the same client count", () => {
  const floor = { fanout: fan(10_000, 50, 40) } as NonNullable<Parameters<typeof fanOutRatio>[0]["floor"]>;
  const r = fanOutRatio({ fanout: [fan(1_000, 9, 7), fan(10_000, 55, 48)], floor });
  expect(r && { median: r.median, best: r.best, loopCpu: r.loopCpu, at: r.edge.connections }).toEqual({ median: 1.1, best: 1.2, loopCpu: 52 / 47, at: 10_000 });
  expect(fanOutRatio({ fanout: [fan(1_000, 9, 7)], floor })).toBeUndefined();
  expect(fanOutRatio({ fanout: [fan(10_000, 55, 48)], floor: undefined })).toBeUndefined();
});
