/*
 * One share in one call (ph_share_run), for the edge's share path: extranonce1 ‖ extranonce2 into
 * the coinbase, sha256d(coinbase), the merkle fold over the job's branch, the 80-byte header and,
 * for sha256d coins, the PoW hash compared with the share, network and aux targets. In JS the same
 * steps were ~28 Bun.SHA256 calls a share; here they are ~40 compressions and one FFI crossing,
 * and the blocks of coinb1 that precede the extranonce slot are hashed once per job (a midstate
 * kept in the job buffer).
 *
 * Both buffers are built by shared/pow/share-kernel.ts; the layouts below must match it. All
 * integers are little-endian u32. The job buffer is written here only at the extranonce slot and
 * the midstate fields; nothing is allocated and nothing is kept between calls.
 *
 * Job buffer:
 *   0 magic "PHSJ"     4 total bytes       8 coinbase offset   12 coinbase bytes
 *  16 slot offset (in the coinbase)        20 extranonce1 bytes 24 extranonce2 bytes
 *  28 branch offset   32 branch count     36 aux offset       40 aux count
 *  44 nBits           48 midstate blocks  52 midstate ready   56..88 midstate (8 words)
 *  88..120 prevhash (header order)        120..152 network target (LE 256-bit)
 *  then aux targets (32 each), branch hashes (32 each), the coinbase.
 * Io buffer (PH_SHARE_IO_BYTES):
 *   0..32 share target (LE)   32 version   36 ntime   40 nonce   44 mode (1 = hash and compare)
 *  48..80 extranonce1 ‖ extranonce2       80..160 header (out)   160..192 PoW hash (out)
 * 192 flags (out; also returned)
 *
 * Flags: PH_SHARE_PASSES (hash < share target, strict as for shares), PH_SHARE_NETWORK (hash ≤
 * network target, Core's CheckProofOfWork), PH_SHARE_AUX (hash ≤ at least one aux target; the
 * caller finds which, a block is rare). Negative return: PH_EINVAL for a malformed buffer.
 */
#include <string.h>

#include "powhash.h"

#define SJ_MAGIC 0x4a534850u /* "PHSJ" */
#define SJ_TOTAL 4
#define SJ_CB_OFF 8
#define SJ_CB_LEN 12
#define SJ_SLOT 16
#define SJ_EN1 20
#define SJ_EN2 24
#define SJ_BRANCH_OFF 28
#define SJ_BRANCH_N 32
#define SJ_AUX_OFF 36
#define SJ_AUX_N 40
#define SJ_BITS 44
#define SJ_MID_BLOCKS 48
#define SJ_MID_READY 52
#define SJ_MID 56
#define SJ_PREVHASH 88
#define SJ_NETWORK 120
#define SJ_FIXED 152

#define IO_TARGET 0
#define IO_VERSION 32
#define IO_NTIME 36
#define IO_NONCE 40
#define IO_MODE 44
#define IO_SLOT 48
#define IO_SLOT_MAX 32
#define IO_HEADER 80
#define IO_HASH 160
#define IO_FLAGS 192
#define PH_SHARE_IO_BYTES 256

#define PH_SHARE_PASSES 1
#define PH_SHARE_NETWORK 2
#define PH_SHARE_AUX 4

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static void digest_out(const uint32_t s[8], uint8_t out[32]) {
  for (int i = 0; i < 8; i++) put_be32(out + 4 * i, s[i]);
}

/* The second SHA-256 of sha256d: one block, the 32-byte digest and its fixed padding (256 bits). */
static void sha256_of_digest(const uint32_t first[8], uint8_t out[32]) {
  uint8_t block[64];
  uint32_t s[8];
  digest_out(first, block);
  memset(block + 32, 0, 32);
  block[32] = 0x80;
  block[62] = 0x01; /* 256 bits, big-endian */
  memcpy(s, ph_sha256_iv, sizeof s);
  ph_sha256_compress(s, block, 1);
  digest_out(s, out);
}

/* Pads and hashes the last `tail` (< 64) bytes of a `total`-byte message into state `s`. */
static void sha256_finish(uint32_t s[8], const uint8_t *tail, size_t n, uint64_t total) {
  uint8_t block[128];
  const uint64_t bits = total * 8;
  memcpy(block, tail, n);
  block[n] = 0x80;
  const size_t blocks = n + 9 <= 64 ? 1 : 2;
  const size_t end = blocks * 64;
  memset(block + n + 1, 0, end - n - 1);
  put_be32(block + end - 8, (uint32_t)(bits >> 32));
  put_be32(block + end - 4, (uint32_t)bits);
  ph_sha256_compress(s, block, blocks);
}

/* sha256d of a whole message from state `s` after `done` bytes already compressed. */
static void sha256d_from(uint32_t s[8], const uint8_t *rest, size_t n, uint64_t total, uint8_t out[32]) {
#ifdef PH_X86_KERNELS
  if (ph_features_active & PH_F_SHANI) {
    ph_sha256d_mid_shani(s, rest, n, total, out);
    return;
  }
#endif
  const size_t full = n / 64;
  if (full) ph_sha256_compress(s, rest, full);
  sha256_finish(s, rest + full * 64, n % 64, total);
  sha256_of_digest(s, out);
}

/* Merkle step: out = sha256d(left ‖ right); out may alias left. */
static void merkle_pair(const uint8_t left[32], const uint8_t right[32], uint8_t out[32]) {
  uint8_t block[64];
  uint32_t s[8];
  memcpy(block, left, 32);
  memcpy(block + 32, right, 32);
  memcpy(s, ph_sha256_iv, sizeof s);
  sha256d_from(s, block, 64, 64, out);
}

/* -1, 0, 1 as a < b, a = b, a > b, both little-endian 256-bit integers. */
static int cmp_le256(const uint8_t *a, const uint8_t *b) {
  for (int i = 31; i >= 0; i--) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

/* Checks every offset and count against the buffer before anything is read through them. */
static int job_ok(const uint8_t *job, uint32_t len) {
  if (len < SJ_FIXED || get32(job) != SJ_MAGIC || get32(job + SJ_TOTAL) != len) return 0;
  const uint64_t cb_off = get32(job + SJ_CB_OFF), cb_len = get32(job + SJ_CB_LEN);
  const uint64_t slot = get32(job + SJ_SLOT), en = (uint64_t)get32(job + SJ_EN1) + get32(job + SJ_EN2);
  const uint64_t br_off = get32(job + SJ_BRANCH_OFF), br_n = get32(job + SJ_BRANCH_N);
  const uint64_t aux_off = get32(job + SJ_AUX_OFF), aux_n = get32(job + SJ_AUX_N);
  return cb_off + cb_len <= len && slot + en <= cb_len && en <= IO_SLOT_MAX && br_off + 32 * br_n <= len &&
         aux_off + 32 * aux_n <= len && cb_off >= SJ_FIXED && br_off >= SJ_FIXED && aux_off >= SJ_FIXED;
}

int32_t ph_share_run(uint8_t *job, uint32_t job_len, uint8_t *io, uint32_t io_len) {
  if (io_len < PH_SHARE_IO_BYTES || !job_ok(job, job_len)) return PH_EINVAL;
  uint8_t *cb = job + get32(job + SJ_CB_OFF);
  const uint32_t cb_len = get32(job + SJ_CB_LEN), slot = get32(job + SJ_SLOT);
  const uint32_t en = get32(job + SJ_EN1) + get32(job + SJ_EN2);
  memcpy(cb + slot, io + IO_SLOT, en);

  /* The coinbase blocks before the slot are the same for every share of the job: hash them once. */
  uint32_t s[8];
  if (get32(job + SJ_MID_READY) != 1) {
    const uint32_t blocks = slot / 64;
    memcpy(s, ph_sha256_iv, sizeof s);
    if (blocks) ph_sha256_compress(s, cb, blocks);
    for (int i = 0; i < 8; i++) put32(job + SJ_MID + 4 * i, s[i]);
    put32(job + SJ_MID_BLOCKS, blocks);
    put32(job + SJ_MID_READY, 1);
  }
  const uint32_t done = 64 * get32(job + SJ_MID_BLOCKS);
  for (int i = 0; i < 8; i++) s[i] = get32(job + SJ_MID + 4 * i);

  uint8_t root[32];
  sha256d_from(s, cb + done, cb_len - done, cb_len, root);
  const uint8_t *branch = job + get32(job + SJ_BRANCH_OFF);
  const uint32_t levels = get32(job + SJ_BRANCH_N);
#ifdef PH_X86_KERNELS
  if (ph_features_active & PH_F_SHANI) {
    ph_merkle_fold_shani(root, branch, levels);
  } else
#endif
  {
    for (uint32_t i = 0; i < levels; i++) merkle_pair(root, branch + 32 * i, root);
  }

  uint8_t *h = io + IO_HEADER;
  memcpy(h, io + IO_VERSION, 4);
  memcpy(h + 4, job + SJ_PREVHASH, 32);
  memcpy(h + 36, root, 32);
  memcpy(h + 68, io + IO_NTIME, 4);
  memcpy(h + 72, job + SJ_BITS, 4);
  memcpy(h + 76, io + IO_NONCE, 4);

  int32_t flags = 0;
  if (get32(io + IO_MODE) == 1) {
    uint8_t *hash = io + IO_HASH;
    memcpy(s, ph_sha256_iv, sizeof s);
    sha256d_from(s, h, 80, 80, hash);
    if (cmp_le256(hash, io + IO_TARGET) < 0) flags |= PH_SHARE_PASSES;
    if (cmp_le256(hash, job + SJ_NETWORK) <= 0) flags |= PH_SHARE_NETWORK;
    const uint8_t *aux = job + get32(job + SJ_AUX_OFF);
    for (uint32_t i = 0, n = get32(job + SJ_AUX_N); i < n; i++) {
      if (cmp_le256(hash, aux + 32 * i) <= 0) {
        flags |= PH_SHARE_AUX;
        break;
      }
    }
  }
  put32(io + IO_FLAGS, (uint32_t)flags);
  return flags;
}
