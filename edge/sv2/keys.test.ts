/** The key files `bun run sv2-keys` writes and the edge loads: checked whole, certificates verified. */
import { expect, test } from "bun:test";
import { ellswiftDecode, ellswiftKeygen } from "./ellswift.ts";
import { signCertificate } from "./certificate.ts";
import { authorityFileText, edgeKeyFileText, newAuthorityKey, parseAuthorityFile, parseEdgeKeyFile } from "./keys.ts";

test("an edge key file made from an authority loads, and its certificate is checked", () => {
  const a = newAuthorityKey();
  expect(parseAuthorityFile(authorityFileText(a), "a.json").encoded).toBe(a.encoded);
  const e = ellswiftKeygen();
  const cert = signCertificate(a.secret, ellswiftDecode(e.ellswift), 100, 200);
  const text = edgeKeyFileText(a, e.secret, cert);
  const k = parseEdgeKeyFile(text, "e.json", 150);
  expect(k.authorityEncoded).toBe(a.encoded);
  expect(k.signatureNoiseMessage.length).toBe(74);
  expect(() => parseEdgeKeyFile(text, "e.json", 201)).toThrow(/expired/);
  // Another edge's secret under this certificate: the signature no longer covers the key.
  const other = edgeKeyFileText(a, ellswiftKeygen().secret, cert);
  expect(() => parseEdgeKeyFile(other, "e.json", 150)).toThrow(/does not verify/);
  // Another authority's key in the file.
  const swapped = text.replace(a.encoded, newAuthorityKey().encoded);
  expect(() => parseEdgeKeyFile(swapped, "e.json", 150)).toThrow(/does not verify/);
  expect(() => parseEdgeKeyFile("{}", "e.json", 150)).toThrow(/e.json/);
  expect(() => parseAuthorityFile(authorityFileText(a).replace(a.encoded, newAuthorityKey().encoded), "a.json")).toThrow(/does not match/);
});
