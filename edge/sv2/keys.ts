/**
 * @module The SV2 key files, as `bun run sv2-keys` writes them and the edge reads them.
 *
 * - authority file (stays with the operator, never on an edge): the pool's authority secret and
 *   its public key in URL form.
 * - edge key file (one per edge, named by `stratum.<port>.sv2.key_file`): the edge's static Noise
 *   secret, the authority public key, and the certificate the authority signed over the edge's
 *   static key. An edge holds no authority secret: a stolen edge key can be cut off by letting its
 *   certificate expire (or by signing new edges only), without changing the pool's URL.
 *
 * Files are JSON, hex for bytes, unix seconds for times; they are checked whole when loaded.
 */
import { readFileSync } from "node:fs";
import { schnorr } from "@noble/curves/secp256k1.js";
import { z } from "zod";
import { bytesToHex, hexToBytes } from "../../shared/bitcoin/index.ts";
import { certificateProblem, decodeAuthorityKey, encodeAuthorityKey, encodeSignatureNoiseMessage, signCertificate, type SignatureNoiseMessage } from "./certificate.ts";
import { ellswiftDecode, ellswiftFromSecret, ellswiftKeygen } from "./ellswift.ts";

const hex32 = z.string().regex(/^[0-9a-f]{64}$/, "64 lower-case hex digits");
const seconds = z.number().int().min(0).max(0xffffffff);

const authorityFile = z.strictObject({
  authority_secret_key: hex32,
  authority_public_key: z.string().min(1),
});

const edgeKeyFile = z.strictObject({
  authority_public_key: z.string().min(1),
  secret_key: hex32,
  certificate: z.strictObject({
    version: z.number().int().min(0).max(0xffff),
    valid_from: seconds,
    not_valid_after: seconds,
    signature: z.string().regex(/^[0-9a-f]{128}$/, "128 lower-case hex digits"),
  }),
});

export interface AuthorityKey {
  readonly secret: Uint8Array;
  /** x-only, 32 bytes. */
  readonly publicKey: Uint8Array;
  /** §4.7 base58check form. */
  readonly encoded: string;
}

/** What an edge needs to answer handshakes. */
export interface EdgeKeys {
  /** The edge's static Noise secret. */
  readonly secret: Uint8Array;
  /** Its ElligatorSwift encoding (fixed per start: any valid encoding of the key is as good). */
  readonly ellswift: Uint8Array;
  readonly certificate: SignatureNoiseMessage;
  /** SIGNATURE_NOISE_MESSAGE bytes, sent in every handshake. */
  readonly signatureNoiseMessage: Uint8Array;
  readonly authorityPublicKey: Uint8Array;
  /** For the `stratum2+tcp://host:port/<key>` URL. */
  readonly authorityEncoded: string;
}

export function newAuthorityKey(): AuthorityKey {
  const secret = schnorr.utils.randomSecretKey();
  const publicKey = schnorr.getPublicKey(secret);
  return { secret, publicKey, encoded: encodeAuthorityKey(publicKey) };
}

export function authorityFileText(a: AuthorityKey): string {
  return `${JSON.stringify({ authority_secret_key: bytesToHex(a.secret), authority_public_key: a.encoded }, null, 2)}\n`;
}

export function parseAuthorityFile(text: string, where: string): AuthorityKey {
  const f = parseJson(authorityFile, text, where);
  const secret = hexToBytes(f.authority_secret_key);
  const publicKey = schnorr.getPublicKey(secret);
  const encoded = encodeAuthorityKey(publicKey);
  if (encoded !== f.authority_public_key) throw new Error(`${where}: authority_public_key does not match authority_secret_key`);
  return { secret, publicKey, encoded };
}

export function edgeKeyFileText(authority: AuthorityKey, secret: Uint8Array, cert: SignatureNoiseMessage): string {
  const body = {
    authority_public_key: authority.encoded,
    secret_key: bytesToHex(secret),
    certificate: { version: cert.version, valid_from: cert.validFrom, not_valid_after: cert.notValidAfter, signature: bytesToHex(cert.signature) },
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** An edge key file's text: `secret` (a fresh static key when omitted) certified by `authority` for [validFrom, notValidAfter]. */
export function certifyEdgeKey(authority: AuthorityKey, validFrom: number, notValidAfter: number, secret: Uint8Array = ellswiftKeygen().secret): string {
  const cert = signCertificate(authority.secret, ellswiftDecode(ellswiftFromSecret(secret)), validFrom, notValidAfter);
  return edgeKeyFileText(authority, secret, cert);
}

/** Parses and checks an edge key file: the certificate must verify for this secret's key under the authority key, and be valid at `nowSeconds`. */
export function parseEdgeKeyFile(text: string, where: string, nowSeconds: number): EdgeKeys {
  const f = parseJson(edgeKeyFile, text, where);
  let authorityPublicKey: Uint8Array;
  try {
    authorityPublicKey = decodeAuthorityKey(f.authority_public_key);
  } catch (e) {
    throw new Error(`${where}: authority_public_key: ${(e as Error).message}`);
  }
  const secret = hexToBytes(f.secret_key);
  let ellswift: Uint8Array;
  try {
    ellswift = ellswiftFromSecret(secret);
  } catch (e) {
    throw new Error(`${where}: secret_key: ${(e as Error).message}`);
  }
  const c = f.certificate;
  const certificate: SignatureNoiseMessage = { version: c.version, validFrom: c.valid_from, notValidAfter: c.not_valid_after, signature: hexToBytes(c.signature) };
  const problem = certificateProblem(certificate, ellswift, authorityPublicKey, nowSeconds);
  if (problem) throw new Error(`${where}: certificate: ${problem}`);
  return { secret, ellswift, certificate, signatureNoiseMessage: encodeSignatureNoiseMessage(certificate), authorityPublicKey, authorityEncoded: f.authority_public_key };
}

export function loadEdgeKeys(file: string, nowSeconds: number): EdgeKeys {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`${file}: cannot read the SV2 edge key file (make one with \`bun run sv2-keys certify\`): ${(e as Error).message}`);
  }
  return parseEdgeKeyFile(text, file, nowSeconds);
}

function parseJson<T extends z.ZodType>(schema: T, text: string, where: string): z.output<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: not JSON: ${(e as Error).message}`);
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw new Error(`${where}: ${r.error.issues.map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`).join("; ")}`);
  return r.data;
}
