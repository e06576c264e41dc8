/*
 * SHA-256 (FIPS 180-4) with the two pieces scrypt needs around ROMix: HMAC-SHA256 keys with the
 * pad blocks pre-absorbed, and PBKDF2-HMAC-SHA256 with one iteration (RFC 7914 §5 uses c = 1).
 * The block function is the portable one below or, when ph_init() found the SHA extensions,
 * ph_sha256_compress_shani() (sha256-shani.c).
 */
#include <string.h>

#include "powhash.h"

const uint32_t ph_sha256_k[64] __attribute__((aligned(16))) = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

const uint32_t ph_sha256_iv[8] = {
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define BSIG0(x) (ROR32(x, 2) ^ ROR32(x, 13) ^ ROR32(x, 22))
#define BSIG1(x) (ROR32(x, 6) ^ ROR32(x, 11) ^ ROR32(x, 25))
#define SSIG0(x) (ROR32(x, 7) ^ ROR32(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (ROR32(x, 17) ^ ROR32(x, 19) ^ ((x) >> 10))
#define CH(x, y, z) (((x) & ((y) ^ (z))) ^ (z))
#define MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))

static uint32_t load_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void store_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* One round; the eight working variables rotate through the macro arguments instead of being
 * shifted, so a group of eight rounds leaves them back in place. */
#define ROUND(a, b, c, d, e, f, g, h, i)                          \
  do {                                                           \
    uint32_t t1 = (h) + BSIG1(e) + CH(e, f, g) + ph_sha256_k[i] + w[(i) & 15]; \
    uint32_t t2 = BSIG0(a) + MAJ(a, b, c);                         \
    (d) += t1;                                                   \
    (h) = t1 + t2;                                               \
  } while (0)

#define EXPAND(i) \
  (w[(i) & 15] += SSIG1(w[((i) - 2) & 15]) + w[((i) - 7) & 15] + SSIG0(w[((i) - 15) & 15]))

void ph_sha256_compress_portable(uint32_t state[8], const uint8_t *blocks, size_t nblocks) {
  while (nblocks--) {
    uint32_t w[16];
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int i = 0; i < 16; i++) w[i] = load_be32(blocks + 4 * i);
    for (int i = 0; i < 64; i += 8) {
      if (i >= 16) {
        for (int k = i; k < i + 8; k++) EXPAND(k);
      }
      ROUND(a, b, c, d, e, f, g, h, i + 0);
      ROUND(h, a, b, c, d, e, f, g, i + 1);
      ROUND(g, h, a, b, c, d, e, f, i + 2);
      ROUND(f, g, h, a, b, c, d, e, i + 3);
      ROUND(e, f, g, h, a, b, c, d, i + 4);
      ROUND(d, e, f, g, h, a, b, c, i + 5);
      ROUND(c, d, e, f, g, h, a, b, i + 6);
      ROUND(b, c, d, e, f, g, h, a, i + 7);
    }
    state[0] += a; state[1] += b; state[2] += c; state[3] += d;
    state[4] += e; state[5] += f; state[6] += g; state[7] += h;
    blocks += 64;
  }
}

void ph_sha256_compress(uint32_t state[8], const uint8_t *blocks, size_t nblocks) {
#ifdef PH_X86_KERNELS
  if (ph_features_active & PH_F_SHANI) {
    ph_sha256_compress_shani(state, blocks, nblocks);
    return;
  }
#endif
  ph_sha256_compress_portable(state, blocks, nblocks);
}

void ph_sha256_init(ph_sha256_ctx *ctx) {
  memcpy(ctx->h, ph_sha256_iv, sizeof ph_sha256_iv);
  ctx->fill = 0;
  ctx->total = 0;
}

void ph_sha256_update(ph_sha256_ctx *ctx, const uint8_t *data, size_t len) {
  ctx->total += len;
  if (ctx->fill) {
    size_t take = 64 - ctx->fill;
    if (take > len) take = len;
    memcpy(ctx->buf + ctx->fill, data, take);
    ctx->fill += (uint32_t)take;
    data += take;
    len -= take;
    if (ctx->fill < 64) return;
    ph_sha256_compress(ctx->h, ctx->buf, 1);
    ctx->fill = 0;
  }
  if (len >= 64) {
    ph_sha256_compress(ctx->h, data, len / 64);
    data += len & ~(size_t)63;
    len &= 63;
  }
  if (len) {
    memcpy(ctx->buf, data, len);
    ctx->fill = (uint32_t)len;
  }
}

void ph_sha256_final(ph_sha256_ctx *ctx, uint8_t out[32]) {
  uint64_t bits = ctx->total * 8;
  uint8_t *b = ctx->buf;
  b[ctx->fill++] = 0x80;
  if (ctx->fill > 56) {
    memset(b + ctx->fill, 0, 64 - ctx->fill);
    ph_sha256_compress(ctx->h, b, 1);
    ctx->fill = 0;
  }
  memset(b + ctx->fill, 0, 56 - ctx->fill);
  store_be32(b + 56, (uint32_t)(bits >> 32));
  store_be32(b + 60, (uint32_t)bits);
  ph_sha256_compress(ctx->h, b, 1);
  for (int i = 0; i < 8; i++) store_be32(out + 4 * i, ctx->h[i]);
}

void ph_hmac_key_init(ph_hmac_key *key, const uint8_t *k, size_t klen) {
  uint8_t pad[64], hashed[32];
  if (klen > 64) { /* RFC 2104: longer keys are hashed first (an 80-byte header is) */
    ph_sha256_ctx t;
    ph_sha256_init(&t);
    ph_sha256_update(&t, k, klen);
    ph_sha256_final(&t, hashed);
    k = hashed;
    klen = 32;
  }
  memset(pad, 0x36, 64);
  for (size_t i = 0; i < klen; i++) pad[i] ^= k[i];
  ph_sha256_init(&key->inner);
  ph_sha256_update(&key->inner, pad, 64);
  for (int i = 0; i < 64; i++) pad[i] ^= 0x36 ^ 0x5c;
  ph_sha256_init(&key->outer);
  ph_sha256_update(&key->outer, pad, 64);
}

void ph_pbkdf2_sha256_c1(const ph_hmac_key *key, const uint8_t *salt, size_t slen, uint8_t *out, size_t olen) {
  ph_sha256_ctx salted = key->inner; /* the salt prefix is shared by every output block */
  ph_sha256_update(&salted, salt, slen);
  for (uint32_t i = 1; olen > 0; i++) {
    uint8_t counter[4], u[32];
    ph_sha256_ctx in = salted, outer = key->outer;
    store_be32(counter, i);
    ph_sha256_update(&in, counter, 4);
    ph_sha256_final(&in, u);
    ph_sha256_update(&outer, u, 32);
    ph_sha256_final(&outer, u);
    size_t take = olen < 32 ? olen : 32;
    memcpy(out, u, take);
    out += take;
    olen -= take;
  }
}

/* Double SHA-256 of an arbitrary message (Bitcoin's block and transaction hash). */
void ph_sha256d(const uint8_t *in, uint32_t len, uint8_t *out) {
  ph_sha256_ctx c;
  uint8_t once[32];
  ph_sha256_init(&c);
  ph_sha256_update(&c, in, len);
  ph_sha256_final(&c, once);
  ph_sha256_init(&c);
  ph_sha256_update(&c, once, 32);
  ph_sha256_final(&c, out);
}
