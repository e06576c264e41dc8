import { expect, test } from "bun:test";
import * as api from "./index.ts";

test("index.ts exports every public name and nothing undefined", () => {
  const names = Object.keys(api).sort();
  for (const name of names) expect(api[name as keyof typeof api]).toBeDefined();
  expect(names).toContain("sha256dInto");
  expect(names).toContain("coinbaseMerkleRootInto");
  expect(names).toContain("writeHeaderInto");
  expect(names).toContain("hashBelowTarget");
  expect(names).not.toContain("ByteReader");
});
