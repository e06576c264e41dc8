import { expect, test } from "bun:test";
import { Glob } from "bun";
import { contractNames } from "./names.ts";

test("every name carries the prefix and names are distinct", () => {
  const n = contractNames("pp:");
  const all = [n.shareStream, n.candidateStream, n.agentStream, n.jobStream("LTC"), n.latestJob("LTC"), n.auxWork("DOGE"), n.edgeStatus("eu1"), n.edgeClients("eu1"), n.edgeIdLease(7), n.edgeIdByName("eu1"), n.edgeIdWant("eu1"), n.edgeIdGrant("eu1"), n.reporterOutbox("legacy"), n.reporterDrainLease("legacy"), n.edgeBans("eu1"), n.banLiftStream];
  for (const name of all) expect(name.startsWith("pp:")).toBe(true);
  expect(new Set(all).size).toBe(all.length);
  expect(n.edgeStatus("eu1")).toMatch(new RegExp(`^${n.edgeStatusPattern.replace("*", ".*")}$`));
  expect(n.edgeBans("eu1")).toMatch(new RegExp(`^${n.edgeBansPattern.replace("*", ".*")}$`));
  // The monitor's SCAN for heartbeats must not pick up ban records, nor the other way round.
  expect(n.edgeBans("eu1")).not.toMatch(new RegExp(`^${n.edgeStatusPattern.replace("*", ".*")}$`));
  expect(n.edgeStatus("eu1")).not.toMatch(new RegExp(`^${n.edgeBansPattern.replace("*", ".*")}$`));
  // The monitor SCANs the status pattern: a client list must not look like a status record.
  expect(n.edgeClients("eu1")).not.toMatch(new RegExp(`^${n.edgeStatusPattern.replace("*", ".*")}$`));
  // The core's edge id allocator finds leases, requests and grants in one SCAN, and nothing else.
  const idKeys = new RegExp(`^${n.edgeIdKeysPattern.replace("*", ".*")}$`);
  for (const k of [n.edgeIdLease(7), n.edgeIdWant("eu1/2"), n.edgeIdGrant("eu1")]) expect(k).toMatch(idKeys);
  for (const k of all.filter((k) => ![n.edgeIdLease(7), n.edgeIdWant("eu1"), n.edgeIdGrant("eu1")].includes(k))) expect(k).not.toMatch(idKeys);
});

test("consumer groups are distinct; reporter groups share their prefix and never collide with the core's", () => {
  const n = contractNames("pp:");
  const groups = [n.accountingGroup, n.blockGroup, n.agentGroup, n.reporterGroup("legacy"), n.reporterGroup("other")];
  expect(new Set(groups).size).toBe(groups.length);
  expect(n.reporterGroup("legacy").startsWith(n.reporterGroupPrefix)).toBe(true);
  for (const g of [n.accountingGroup, n.blockGroup, n.agentGroup]) expect(g.startsWith(n.reporterGroupPrefix)).toBe(false);
});

test("no code outside shared/contract spells a stream name in a stream command", async () => {
  // Stream commands must take their key from contractNames(), never from a literal. A literal
  // subcommand (xgroup("CREATE", …), xinfo("GROUPS", …)) is fine; so is a key in call("XADD", key).
  const literalStreamCall = /\.x(add|read|readgroup|range|revrange|trim|ack|autoclaim|claim|pending|group|len|info)(Buffer)?\(\s*["'`](?![A-Z]+["'`])/;
  const literalInCall = /\.call(Buffer)?\(\s*["'`][Xx][A-Za-z]+["'`]\s*,\s*["'`](?![A-Z]+["'`])/;
  const offenders: string[] = [];
  for (const dir of ["edge", "core", "shared"]) {
    for await (const file of new Glob(`${dir}/**/*.ts`).scan({ cwd: `${import.meta.dir}/../..` })) {
      if (file.startsWith("shared/contract/")) continue;
      const text = await Bun.file(`${import.meta.dir}/../../${file}`).text();
      if (literalStreamCall.test(text) || literalInCall.test(text)) offenders.push(file);
    }
  }
  expect(offenders).toEqual([]);
});
