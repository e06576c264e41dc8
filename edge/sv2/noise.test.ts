/**
 * The Noise NX handshake, certificates, the authority key's URL form (sv2-spec §4.7's test vector)
 * and the encrypted framing: split chunks, large payloads, bad tags, oversized frames, replays.
 */
import { describe, expect, test } from "bun:test";
import { schnorr } from "@noble/curves/secp256k1.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { certificateProblem, decodeAuthorityKey, decodeSignatureNoiseMessage, encodeAuthorityKey, encodeSignatureNoiseMessage, signCertificate } from "./certificate.ts";
import { Reader, Sv2DecodeError, Writer } from "./codec.ts";
import { ellswiftDecode, ellswiftKeygen } from "./ellswift.ts";
import { encryptFrame, FrameDecoder, FrameError, type Frame, MAX_PT_BLOCK, ciphertextLength } from "./frame.ts";
import { ACT1_SIZE, ACT2_SIZE, CipherState, initiate, NoiseError, respond } from "./noise.ts";

function pki(validFrom = 1000, notValidAfter = 2000) {
  const authority = schnorr.utils.randomSecretKey();
  const server = ellswiftKeygen();
  const cert = signCertificate(authority, ellswiftDecode(server.ellswift), validFrom, notValidAfter);
  return { authority, authorityPub: schnorr.getPublicKey(authority), server, cert, snm: encodeSignatureNoiseMessage(cert) };
}

function handshake() {
  const p = pki();
  const i = initiate();
  expect(i.act1.length).toBe(ACT1_SIZE);
  const r = respond(i.act1, p.server, p.snm);
  expect(r.act2.length).toBe(ACT2_SIZE);
  const f = i.finish(r.act2);
  return { p, client: f, server: r.keys };
}

describe("authority key URL form (§4.7)", () => {
  test("the spec's test vector", () => {
    const raw = Uint8Array.from([118, 99, 112, 0, 151, 156, 28, 17, 175, 12, 48, 11, 205, 140, 127, 228, 134, 16, 252, 233, 185, 193, 30, 61, 174, 227, 90, 224, 176, 138, 116, 85]);
    expect(encodeAuthorityKey(raw)).toBe("9bXiEd8boQVhq7WddEcERUL5tyyJVFYdU8th3HfbNXK3Yw6GRXh");
    expect(decodeAuthorityKey("9bXiEd8boQVhq7WddEcERUL5tyyJVFYdU8th3HfbNXK3Yw6GRXh")).toEqual(raw);
  });
  test("a wrong prefix or checksum is refused", () => {
    expect(() => decodeAuthorityKey("9bXiEd8boQVhq7WddEcERUL5tyyJVFYdU8th3HfbNXK3Yw6GRXi")).toThrow();
  });
});

describe("handshake", () => {
  test("both sides agree, the initiator learns the static key and a valid certificate", () => {
    const { p, client, server } = handshake();
    expect(bytesToHex(client.remoteStatic)).toBe(bytesToHex(p.server.ellswift));
    const cert = decodeSignatureNoiseMessage(client.signatureNoiseMessage);
    expect(certificateProblem(cert, client.remoteStatic, p.authorityPub, 1500)).toBeUndefined();
    const ct = client.keys.send.encryptWithAd(new Uint8Array(0), Uint8Array.of(1, 2, 3));
    expect([...server.recv.decryptWithAd(new Uint8Array(0), ct)]).toEqual([1, 2, 3]);
    const back = server.send.encryptWithAd(new Uint8Array(0), Uint8Array.of(9));
    expect([...client.keys.recv.decryptWithAd(new Uint8Array(0), back)]).toEqual([9]);
  });
  test("certificates: window, other authority, other server key, tampering", () => {
    const { p, client } = handshake();
    const cert = decodeSignatureNoiseMessage(client.signatureNoiseMessage);
    expect(certificateProblem(cert, client.remoteStatic, p.authorityPub, 999)).toContain("not valid before");
    expect(certificateProblem(cert, client.remoteStatic, p.authorityPub, 2001)).toContain("expired");
    const other = schnorr.getPublicKey(schnorr.utils.randomSecretKey());
    expect(certificateProblem(cert, client.remoteStatic, other, 1500)).toContain("does not verify");
    expect(certificateProblem(cert, ellswiftKeygen().ellswift, p.authorityPub, 1500)).toContain("does not verify");
    expect(certificateProblem({ ...cert, notValidAfter: 3000 }, client.remoteStatic, p.authorityPub, 1500)).toContain("does not verify");
  });
  test("a tampered act 2 fails the tag", () => {
    const p = pki();
    const i = initiate();
    const r = respond(i.act1, p.server, p.snm);
    r.act2[100]! ^= 1;
    expect(() => i.finish(r.act2)).toThrow(NoiseError);
  });
  test("a wrong-sized act is refused", () => {
    const p = pki();
    expect(() => respond(new Uint8Array(63), p.server, p.snm)).toThrow(NoiseError);
  });
});

describe("CipherState", () => {
  test("nonce is 4 zero bytes then a little-endian counter; a failed tag does not advance it", () => {
    const k = new Uint8Array(32).fill(7);
    const a = new CipherState(k);
    const b = new CipherState(k);
    const c0 = a.encryptWithAd(new Uint8Array(0), Uint8Array.of(1));
    const c1 = a.encryptWithAd(new Uint8Array(0), Uint8Array.of(1));
    expect(bytesToHex(c0)).not.toBe(bytesToHex(c1));
    const bad = c0.slice();
    bad[0]! ^= 1;
    expect(() => b.decryptWithAd(new Uint8Array(0), bad)).toThrow(NoiseError);
    expect(b.counter).toBe(0);
    expect([...b.decryptWithAd(new Uint8Array(0), c0)]).toEqual([1]);
    // A replay of the same ciphertext meets the next nonce and fails.
    expect(() => b.decryptWithAd(new Uint8Array(0), c0)).toThrow(NoiseError);
  });
});

describe("encrypted framing (§4.6)", () => {
  const collect = (dec: FrameDecoder, bytes: Uint8Array, step: number) => {
    const frames: Frame[] = [];
    for (let i = 0; i < bytes.length; i += step) dec.push(bytes.subarray(i, i + step), (f) => (frames.push({ ...f, payload: f.payload.slice() }), true));
    return frames;
  };
  test("frames split at any byte boundary decode the same", () => {
    const { client, server } = handshake();
    const a = encryptFrame(client.keys.send, 0, 0x10, Uint8Array.of(1, 2, 3, 4));
    const b = encryptFrame(client.keys.send, 0x8000, 0x1a, new Uint8Array(0));
    const c = encryptFrame(client.keys.send, 0x8000, 0x1b, new Uint8Array(40).fill(5));
    const all = new Uint8Array([...a, ...b, ...c]);
    const frames = collect(new FrameDecoder(server.recv), all, 1);
    expect(frames.map((f) => [f.msgType, f.channelMsg, f.payload.length])).toEqual([
      [0x10, false, 4],
      [0x1a, true, 0],
      [0x1b, true, 40],
    ]);
  });
  test("a payload over one Noise block is split into blocks and joined again", () => {
    const { client, server } = handshake();
    const big = new Uint8Array(MAX_PT_BLOCK + 100).map((_, i) => i & 0xff);
    const ct = encryptFrame(client.keys.send, 0, 0x1f, big);
    expect(ct.length).toBe(22 + ciphertextLength(big.length));
    const frames = collect(new FrameDecoder(server.recv, 1 << 20), ct, 7000);
    expect(frames[0]!.payload).toEqual(big);
  });
  test("a frame over the cap fails on its header, before its payload arrives", () => {
    const { client, server } = handshake();
    const ct = encryptFrame(client.keys.send, 0, 0x10, new Uint8Array(5000));
    const dec = new FrameDecoder(server.recv, 4096);
    expect(() => dec.push(ct.subarray(0, 22), () => true)).toThrow(FrameError);
    expect(() => dec.push(ct.subarray(22), () => true)).toThrow(FrameError);
  });
  test("a flipped bit in the header or payload fails the tag; a replayed frame fails too", () => {
    const { client, server } = handshake();
    const ct = encryptFrame(client.keys.send, 0, 0x10, Uint8Array.of(1, 2, 3));
    const bad = ct.slice();
    bad[ct.length - 1]! ^= 1;
    expect(() => new FrameDecoder(server.recv).push(bad, () => true)).toThrow(NoiseError);
    const h2 = handshake();
    const ok = encryptFrame(h2.client.keys.send, 0, 0x10, Uint8Array.of(1));
    const dec = new FrameDecoder(h2.server.recv);
    let n = 0;
    dec.push(ok, () => (n++, true));
    expect(n).toBe(1);
    expect(() => dec.push(ok, () => true)).toThrow(NoiseError);
  });
});

describe("codec", () => {
  test("round trip of every type", () => {
    const w = new Writer(4).u8(1).bool(true).u16(0xbeef).u24(0xabcdef).u32(0xdeadbeef).u64(2n ** 63n + 5n).f32(1.5).u256(new Uint8Array(32).fill(3)).b0_32(Uint8Array.of(1, 2)).b0_64k(new Uint8Array(300)).str0_255("héllo").optionU32(undefined).optionU32(7).seq0_255U256([new Uint8Array(32)]).seq0_64kU32([1, 2, 3]);
    const r = new Reader(w.finish());
    expect([r.u8(), r.bool(), r.u16(), r.u24(), r.u32(), r.u64(), r.f32()]).toEqual([1, true, 0xbeef, 0xabcdef, 0xdeadbeef, 2n ** 63n + 5n, 1.5]);
    expect(r.u256()[0]).toBe(3);
    expect([...r.b0_32()]).toEqual([1, 2]);
    expect(r.b0_64k().length).toBe(300);
    expect(r.str0_255()).toBe("héllo");
    expect([r.optionU32(), r.optionU32()]).toEqual([undefined, 7]);
    expect(r.seq0_255U256().length).toBe(1);
    expect(r.seq0_64kU32()).toEqual([1, 2, 3]);
    expect(r.remaining).toBe(0);
  });
  test("lengths are checked before anything is read or allocated", () => {
    expect(() => new Reader(Uint8Array.of(33, ...new Uint8Array(33))).b0_32()).toThrow(Sv2DecodeError);
    expect(() => new Reader(Uint8Array.of(5, 1, 2)).b0_255()).toThrow(Sv2DecodeError);
    expect(() => new Reader(Uint8Array.of(0xff, 0xff, 1)).b0_64k()).toThrow(Sv2DecodeError);
    expect(() => new Reader(Uint8Array.of(255)).seq0_255U256()).toThrow(Sv2DecodeError);
    expect(() => new Reader(Uint8Array.of(0xff, 0xff)).seq0_64kU32()).toThrow(Sv2DecodeError);
    expect(() => new Reader(Uint8Array.of(2, 0, 0, 0, 0)).optionU32()).toThrow(Sv2DecodeError);
    expect(() => new Reader(Uint8Array.of(1, 2, 3)).u32()).toThrow(Sv2DecodeError);
  });
});
