/**
 * The byte-level mining.submit recogniser against JSON.parse: whatever it accepts must mean, to
 * JSON.parse and idJson, exactly what it extracted (method, params, the id's reply text); what it
 * refuses goes to the JSON path, so refusing is always safe and accepting must never be wrong.
 */
import { describe, expect, test } from "bun:test";
import { idJson } from "./replies.ts";
import { idText, internAscii, parseSubmitLine, SubmitLine } from "./submit-line.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const PARAMS5 = `"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa.rig1", "1a2b3c", "0000000a", "5c3a8f10", "b2957c02"`;

function parse(text: string): SubmitLine | undefined {
  const bytes = enc.encode(text);
  const out = new SubmitLine();
  return parseSubmitLine(bytes, 0, bytes.length, out) ? out : undefined;
}

/** What the JSON path makes of a line the recogniser accepted: must be the same submit. */
function agreesWithJson(text: string): void {
  const bytes = enc.encode(text);
  const out = new SubmitLine();
  if (!parseSubmitLine(bytes, 0, bytes.length, out)) return;
  const req = JSON.parse(text.trim()) as { id?: unknown; method: unknown; params: unknown[] };
  const s = (a: number, b: number) => dec.decode(bytes.subarray(a, b));
  expect(req.method).toBe("mining.submit");
  expect(idText(bytes, out)).toBe(idJson(req.id));
  const params = [req.params[1], req.params[2], req.params[3], req.params[4], req.params[5]];
  expect(params).toEqual([s(out.jobStart, out.jobEnd), s(out.en2Start, out.en2End), s(out.ntimeStart, out.ntimeEnd), s(out.nonceStart, out.nonceEnd), out.vbStart < 0 ? undefined : s(out.vbStart, out.vbEnd)]);
  expect(req.params.every((p) => typeof p === "string")).toBe(true);
  expect(req.params.length === 5 || req.params.length === 6).toBe(true);
}

describe("parseSubmitLine accepts the plain shapes miners send", () => {
  const accepted = [
    `{"id":4,"method":"mining.submit","params":[${PARAMS5}]}`,
    `{"params": [${PARAMS5}], "id": 4, "method": "mining.submit"}`, // cgminer's order and spacing
    `{"method":"mining.submit","params":[${PARAMS5},"00002000"],"id":"a-b c"}`,
    `{"id":null,"method":"mining.submit","params":[${PARAMS5}]}`,
    `{"method":"mining.submit","params":[${PARAMS5}]}`, // no id: the reply says 1
    `\t { "id" :\t-17 , "method" : "mining.submit" , "params" : [ ${PARAMS5} ] } \r`,
    `{"id":123456789012345,"method":"mining.submit","params":[${PARAMS5}]}`,
    `{"id":0,"method":"mining.submit","params":["", "x", "", "", ""]}`, // shapes only: values are submit.ts's
  ];
  for (const line of accepted) {
    test(line.slice(0, 70), () => {
      expect(parse(line)).toBeDefined();
      agreesWithJson(line);
    });
  }

  test("offsets: id text, params 1..5", () => {
    const line = `{"id":"q","method":"mining.submit","params":["w","j1","0000000a","5c3a8f10","b2957c02","00002000"]}`;
    const bytes = enc.encode(line);
    const out = parse(line)!;
    expect(idText(bytes, out)).toBe(`"q"`);
    const s = (a: number, b: number) => line.slice(a, b);
    expect([s(out.jobStart, out.jobEnd), s(out.en2Start, out.en2End), s(out.ntimeStart, out.ntimeEnd), s(out.nonceStart, out.nonceEnd), s(out.vbStart, out.vbEnd)]).toEqual([
      "j1",
      "0000000a",
      "5c3a8f10",
      "b2957c02",
      "00002000",
    ]);
    expect(idText(enc.encode(`{"method":"mining.submit","params":[${PARAMS5}]}`), parse(`{"method":"mining.submit","params":[${PARAMS5}]}`)!)).toBe("1");
  });
});

describe("parseSubmitLine leaves everything else to JSON.parse", () => {
  const refused: [string, string][] = [
    ["an escape in a param", `{"id":1,"method":"mining.submit","params":["w\\u0031","j","0000000a","5c3a8f10","b2957c02"]}`],
    ["non-ASCII", `{"id":1,"method":"mining.submit","params":["wé","j","0000000a","5c3a8f10","b2957c02"]}`],
    ["another method", `{"id":1,"method":"mining.subscribe","params":[${PARAMS5}]}`],
    ["the method in another case", `{"id":1,"method":"Mining.Submit","params":[${PARAMS5}]}`],
    ["a duplicate key", `{"id":1,"id":2,"method":"mining.submit","params":[${PARAMS5}]}`],
    ["another key", `{"id":1,"jsonrpc":"2.0","method":"mining.submit","params":[${PARAMS5}]}`],
    ["no params", `{"id":1,"method":"mining.submit"}`],
    ["params null", `{"id":1,"method":"mining.submit","params":null}`],
    ["four params", `{"id":1,"method":"mining.submit","params":["w","j","0000000a","5c3a8f10"]}`],
    ["seven params", `{"id":1,"method":"mining.submit","params":[${PARAMS5},"00002000","x"]}`],
    ["a number param", `{"id":1,"method":"mining.submit","params":["w",12,"0000000a","5c3a8f10","b2957c02"]}`],
    ["null version bits", `{"id":1,"method":"mining.submit","params":[${PARAMS5},null]}`],
    ["a fractional id", `{"id":1.5,"method":"mining.submit","params":[${PARAMS5}]}`],
    ["an exponent id", `{"id":1e3,"method":"mining.submit","params":[${PARAMS5}]}`],
    ["a leading zero", `{"id":01,"method":"mining.submit","params":[${PARAMS5}]}`],
    ["-0 (echoes as 0)", `{"id":-0,"method":"mining.submit","params":[${PARAMS5}]}`],
    ["16 digits", `{"id":1234567890123456,"method":"mining.submit","params":[${PARAMS5}]}`],
    ["an object id", `{"id":{},"method":"mining.submit","params":[${PARAMS5}]}`],
    ["true id", `{"id":true,"method":"mining.submit","params":[${PARAMS5}]}`],
    ["a newline between tokens", `{"id":1,\n"method":"mining.submit","params":[${PARAMS5}]}`],
    ["a non-breaking space", `{"id":1,\u00a0"method":"mining.submit","params":[${PARAMS5}]}`],
    ["trailing garbage", `{"id":1,"method":"mining.submit","params":[${PARAMS5}]}x`],
    ["two objects", `{"id":1,"method":"mining.submit","params":[${PARAMS5}]}{}`],
    ["a trailing comma", `{"id":1,"method":"mining.submit","params":[${PARAMS5}],}`],
    ["a trailing comma in params", `{"id":1,"method":"mining.submit","params":[${PARAMS5},]}`],
    ["an array", `[{"id":1,"method":"mining.submit","params":[${PARAMS5}]}]`],
    ["truncated", `{"id":1,"method":"mining.submit","params":[${PARAMS5}]`],
    ["empty", ``],
  ];
  for (const [name, line] of refused) {
    test(name, () => {
      expect(parse(line)).toBeUndefined();
    });
  }

  test("never reads past the line's end (the buffer may hold the next line's bytes there)", () => {
    const line = `{"id":1,"method":"mining.submit","params":[${PARAMS5}]`;
    const bytes = enc.encode(`${line}}\n`);
    expect(parseSubmitLine(bytes, 0, line.length, new SubmitLine())).toBe(false);
    expect(parseSubmitLine(bytes, 0, line.length + 1, new SubmitLine())).toBe(true);
  });
});

describe("fuzz: mutations of submit lines", () => {
  test("whatever is accepted means the same to JSON.parse", () => {
    let x = 12345;
    const next = () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x >>> 0;
    };
    const alphabet = `{}[]",: \t\r0123456789-.eE+abcdefmnulrtsi\\\u00e9`;
    const seeds = [`{"id":4,"method":"mining.submit","params":[${PARAMS5}]}`, `{"params": [${PARAMS5}, "00002000"], "id": "x", "method": "mining.submit"}`];
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      let t = seeds[i % seeds.length]!;
      for (let m = 1 + (next() % 3); m > 0; m--) {
        const at = next() % (t.length + 1);
        const c = alphabet[next() % alphabet.length]!;
        const op = next() % 3;
        t = op === 0 ? t.slice(0, at) + c + t.slice(at) : op === 1 ? t.slice(0, at) + t.slice(at + 1) : t.slice(0, at) + c + t.slice(at + 1);
      }
      if (parse(t)) {
        accepted++;
        agreesWithJson(t);
      }
    }
    expect(accepted).toBeGreaterThan(100); // the fuzz reaches accepted variants, not only refusals
  });
});

describe("internAscii", () => {
  test("gives the bytes' text whether cached, replaced or new", () => {
    const a = enc.encode(`xx1a2b3cyy`);
    const first = internAscii(a, 2, 8);
    expect(first).toBe("1a2b3c");
    expect(internAscii(enc.encode("1a2b3c"), 0, 6)).toBe(first);
    expect(internAscii(enc.encode("1a2b3d"), 0, 6)).toBe("1a2b3d");
    expect(internAscii(enc.encode("1a2b3c.5"), 0, 8)).toBe("1a2b3c.5");
  });
});
