/*
 * scrypt with r = 1, p = 1 and a 32-byte output (RFC 7914), as Litecoin (N = 1024) and the
 * scrypt-N coins (N from the block time) use it: password = salt = the block header.
 *
 *   B  = PBKDF2-HMAC-SHA256(header, header, c = 1, 128 bytes)
 *   B  = ROMix_N(B)          (the memory-hard part: N Salsa20/8 BlockMix rounds, twice)
 *   PoW = PBKDF2-HMAC-SHA256(header, B, c = 1, 32 bytes)
 *
 * ROMix runs either here (portable C, one hash at a time) or in a lane kernel that interleaves
 * several independent hashes in SIMD registers (romix-lanes.h, instantiated per ISA). A batch
 * call runs the PBKDF2 steps per hash in scalar code and ROMix in groups as wide as the kernel.
 */
#include <stdlib.h>
#include <string.h>

#include "powhash.h"

#if defined(__linux__) && defined(__GNUC__) && !defined(__TINYC__)
#include <sys/mman.h>
#endif

/* Per-thread scratchpad ceiling: bounds how many lanes run at once for large N. */
#define SCRATCH_CAP_BYTES ((size_t)64 << 20)

static uint32_t load_le32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void store_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

/* ------------------------------------------------------------ portable ROMix */

#define ROTL32(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

/* b = Salsa20/8(b ^ x), the BlockMix step for one 64-byte half. */
static void salsa8_xor(uint32_t b[16], const uint32_t x[16]) {
  uint32_t s[16];
  for (int i = 0; i < 16; i++) s[i] = b[i] ^= x[i];
  for (int i = 0; i < 8; i += 2) {
    /* columns */
    s[4] ^= ROTL32(s[0] + s[12], 7);   s[8] ^= ROTL32(s[4] + s[0], 9);
    s[12] ^= ROTL32(s[8] + s[4], 13);  s[0] ^= ROTL32(s[12] + s[8], 18);
    s[9] ^= ROTL32(s[5] + s[1], 7);    s[13] ^= ROTL32(s[9] + s[5], 9);
    s[1] ^= ROTL32(s[13] + s[9], 13);  s[5] ^= ROTL32(s[1] + s[13], 18);
    s[14] ^= ROTL32(s[10] + s[6], 7);  s[2] ^= ROTL32(s[14] + s[10], 9);
    s[6] ^= ROTL32(s[2] + s[14], 13);  s[10] ^= ROTL32(s[6] + s[2], 18);
    s[3] ^= ROTL32(s[15] + s[11], 7);  s[7] ^= ROTL32(s[3] + s[15], 9);
    s[11] ^= ROTL32(s[7] + s[3], 13);  s[15] ^= ROTL32(s[11] + s[7], 18);
    /* rows */
    s[1] ^= ROTL32(s[0] + s[3], 7);    s[2] ^= ROTL32(s[1] + s[0], 9);
    s[3] ^= ROTL32(s[2] + s[1], 13);   s[0] ^= ROTL32(s[3] + s[2], 18);
    s[6] ^= ROTL32(s[5] + s[4], 7);    s[7] ^= ROTL32(s[6] + s[5], 9);
    s[4] ^= ROTL32(s[7] + s[6], 13);   s[5] ^= ROTL32(s[4] + s[7], 18);
    s[11] ^= ROTL32(s[10] + s[9], 7);  s[8] ^= ROTL32(s[11] + s[10], 9);
    s[9] ^= ROTL32(s[8] + s[11], 13);  s[10] ^= ROTL32(s[9] + s[8], 18);
    s[12] ^= ROTL32(s[15] + s[14], 7); s[13] ^= ROTL32(s[12] + s[15], 9);
    s[14] ^= ROTL32(s[13] + s[12], 13); s[15] ^= ROTL32(s[14] + s[13], 18);
  }
  for (int i = 0; i < 16; i++) b[i] += s[i];
}

static void romix_portable_one(uint32_t x[32], uint32_t *v, uint32_t N) {
  for (uint32_t i = 0; i < N; i++) {
    memcpy(v + (size_t)i * 32, x, 128);
    salsa8_xor(x, x + 16);
    salsa8_xor(x + 16, x);
  }
  for (uint32_t i = 0; i < N; i++) {
    const uint32_t *vj = v + (size_t)(x[16] & (N - 1)) * 32; /* Integerify: low word of the last half */
    for (int k = 0; k < 32; k++) x[k] ^= vj[k];
    salsa8_xor(x, x + 16);
    salsa8_xor(x + 16, x);
  }
}

static void romix_portable(uint32_t *blocks, uint8_t *V, uint32_t N, unsigned sets) {
  for (unsigned s = 0; s < sets; s++) romix_portable_one(blocks + 32 * s, (uint32_t *)(void *)V, N);
}

/* ------------------------------------------------------------ kernel table */

typedef struct {
  ph_romix_fn fn;
  unsigned lanes;    /* hashes per vector */
  unsigned max_sets; /* vectors interleaved for instruction-level parallelism */
  unsigned feature;  /* PH_F_* bit the CPU must have; 0 = always */
} kernel_info;

static kernel_info kernel_make(ph_romix_fn fn, unsigned lanes, unsigned max_sets, unsigned feature) {
  kernel_info i;
  i.fn = fn;
  i.lanes = lanes;
  i.max_sets = max_sets;
  i.feature = feature;
  return i;
}

static kernel_info kernel_get(unsigned k) {
  kernel_info none = {0, 0, 0, 0};
  switch (k) {
  case PH_K_SCALAR: return kernel_make(romix_portable, 1, 1, 0);
#ifdef PH_X86_KERNELS
  case PH_K_SSE2: return kernel_make(ph_romix_sse2, 1, ph_romix_sse2_max_sets, PH_F_SSE2);
  case PH_K_AVX2: return kernel_make(ph_romix_avx2, 2, ph_romix_avx2_max_sets, PH_F_AVX2);
  case PH_K_AVX512: return kernel_make(ph_romix_avx512, 4, ph_romix_avx512_max_sets, PH_F_AVX512);
#endif
  default: return none;
  }
}

static unsigned kernel_resolve(unsigned k) {
  if (!ph_features_ready) ph_init(0xffffffffu);
  if (k == PH_K_AUTO) {
    for (unsigned c = PH_K_COUNT - 1; c > PH_K_SCALAR; c--) {
      kernel_info i = kernel_get(c);
      if (i.fn && (ph_features_active & i.feature) == i.feature) return c;
    }
    return PH_K_SCALAR;
  }
  kernel_info i = kernel_get(k);
  if (!i.fn || (ph_features_active & i.feature) != i.feature) return 0;
  return k;
}

/* Hashes per ROMix group for a kernel: lanes x sets. Negative if unavailable. */
int32_t ph_scrypt_kernel_lanes(uint32_t kernel) {
  unsigned k = kernel_resolve(kernel);
  if (!k) return PH_EKERNEL;
  kernel_info i = kernel_get(k);
  return (int32_t)(i.lanes * i.max_sets);
}

/* ------------------------------------------------------------ scratchpad */

static PH_TLS uint8_t *scratch_mem;
static PH_TLS size_t scratch_size;

static uint8_t *scratch_get(size_t bytes) {
  if (scratch_size >= bytes) return scratch_mem;
  free(scratch_mem);
  scratch_mem = 0;
  scratch_size = 0;
  void *p = 0;
  /* 2 MiB alignment lets transparent huge pages back big scratchpads (random reads in loop 2). */
  size_t align = bytes >= ((size_t)2 << 20) ? ((size_t)2 << 20) : 64;
  if (posix_memalign(&p, align, bytes) != 0) return 0;
#if defined(MADV_HUGEPAGE)
  if (align > 64) madvise(p, bytes, MADV_HUGEPAGE);
#endif
  scratch_mem = (uint8_t *)p;
  scratch_size = bytes;
  return scratch_mem;
}

void ph_release_scratch(void) {
  free(scratch_mem);
  scratch_mem = 0;
  scratch_size = 0;
}

/* ------------------------------------------------------------ entry points */

static int valid_n(uint32_t N) {
  return N >= 2 && (N & (N - 1)) == 0 && N <= (1u << PH_MAX_LOG2_N);
}

/* scrypt(in[h*len .. +len], N, r=1, p=1) -> out[h*32 .. +32] for h < count, through `kernel`. */
int32_t ph_scrypt_batch(const uint8_t *in, uint32_t len, uint32_t count, uint8_t *out, uint32_t N, uint32_t kernel) {
  if (!valid_n(N)) return PH_EINVAL;
  unsigned k = kernel_resolve(kernel);
  if (!k) return PH_EKERNEL;
  const kernel_info ki = kernel_get(k);
  const size_t v_bytes = (size_t)N * 128;

  unsigned max_sets = ki.max_sets;
  while (max_sets > 1 && v_bytes * ki.lanes * max_sets > SCRATCH_CAP_BYTES) max_sets--;
  const unsigned group = ki.lanes * max_sets;

  /* layout: [V regions: group * v_bytes][blocks: group * 128][hmac keys: group] */
  const size_t keys_off = group * v_bytes + (size_t)group * 128;
  uint8_t *mem = scratch_get(keys_off + sizeof(ph_hmac_key) * group + 64);
  if (!mem) return PH_ENOMEM;
  uint32_t *blocks = (uint32_t *)(void *)(mem + group * v_bytes);
  ph_hmac_key *keys = (ph_hmac_key *)(void *)(mem + keys_off);

  for (uint32_t done = 0; done < count;) {
    const unsigned n = count - done < group ? count - done : group;
    const unsigned sets = (n + ki.lanes - 1) / ki.lanes;
    uint8_t bbytes[128];
    for (unsigned h = 0; h < n; h++) {
      const uint8_t *p = in + (size_t)(done + h) * len;
      ph_hmac_key_init(&keys[h], p, len);
      ph_pbkdf2_sha256_c1(&keys[h], p, len, bbytes, 128);
      for (int w = 0; w < 32; w++) blocks[h * 32 + w] = load_le32(bbytes + 4 * w);
    }
    /* a partly filled last set repeats the last hash; those results are discarded */
    for (unsigned h = n; h < sets * ki.lanes; h++) memcpy(blocks + h * 32, blocks + (n - 1) * 32, 128);
    ki.fn(blocks, mem, N, sets);
    for (unsigned h = 0; h < n; h++) {
      for (int w = 0; w < 32; w++) store_le32(bbytes + 4 * w, blocks[h * 32 + w]);
      ph_pbkdf2_sha256_c1(&keys[h], bbytes, 128, out + (size_t)(done + h) * 32, 32);
    }
    done += n;
  }
  return PH_OK;
}

int32_t ph_scrypt(const uint8_t *in, uint32_t len, uint8_t *out, uint32_t N) {
  return ph_scrypt_batch(in, len, 1, out, N, PH_K_AUTO);
}
