import { describe, expect, test } from "bun:test";
import { PyFloat, pyFloatRepr, pyJsonDumps, pyNumber, pyStr } from "./py-format.ts";

// Expected strings produced by CPython 3 `repr(float)` for the same values.
const REPR_VECTORS: [number, string][] = [
  [512, "512.0"], [512.5, "512.5"], [0.1, "0.1"], [1 / 3, "0.3333333333333333"], [1e16, "1e+16"],
  [1e15, "1000000000000000.0"], [123456789012345678, "1.2345678901234568e+17"], [0.0001, "0.0001"],
  [0.00001, "1e-05"], [1.5e-7, "1.5e-07"], [2.5e-10, "2.5e-10"], [1431234567.12, "1431234567.12"],
  [1700000120.25, "1700000120.25"], [-0, "-0.0"], [-2.5, "-2.5"], [1e22, "1e+22"],
  [1.7976931348623157e308, "1.7976931348623157e+308"], [5e-324, "5e-324"], [100, "100.0"], [98304, "98304.0"],
]; // prettier-ignore

describe("pyFloatRepr matches CPython repr()", () => {
  for (const [value, expected] of REPR_VECTORS) test(`${expected}`, () => expect(pyFloatRepr(value)).toBe(expected));
});

test("pyNumber: integral values as ints, the rest as Python floats, bigints verbatim", () => {
  expect(pyNumber(128)).toBe("128");
  expect(pyNumber(512.5)).toBe("512.5");
  expect(pyNumber(0.00001)).toBe("1e-05");
  expect(pyNumber(2_500_000_000n)).toBe("2500000000");
});

test("pyStr: None, booleans and text as Python's str()", () => {
  expect(pyStr(null)).toBe("None");
  expect(pyStr(true)).toBe("True");
  expect(pyStr("LTC")).toBe("LTC");
});

test("pyJsonDumps matches json.dumps (separators, ensure_ascii, float time)", () => {
  // CPython: json.dumps({'a': 1, 'b': [1.5, 'xé', None, True], 'time': 12.0})
  expect(pyJsonDumps({ a: 1, b: [1.5, "x\u00e9", null, true], time: new PyFloat(12) })).toBe('{"a": 1, "b": [1.5, "x\\u00e9", null, true], "time": 12.0}');
});
