/*
 * powhash: proof-of-work hashes for share validation, loaded by shared/pow through bun:ffi.
 *
 * Exported entry points are the ph_* functions declared at the end of this header (the version
 * script native/exports.map exports nothing else). Everything in the "internal" block is shared
 * between our own translation units only.
 *
 * Byte conventions: every hash writes 32 bytes in internal order (the order the hash function
 * produces them); the pool reads them as a little-endian 256-bit integer.
 */
#ifndef POWHASH_H
#define POWHASH_H

#include <stddef.h>
#include <stdint.h>

/* ABI version checked by the loader: bump whenever an exported signature changes. */
#define PH_ABI_VERSION 4u

/* CPU feature bits reported by ph_cpu_features() and accepted as a mask by ph_init(). */
#define PH_F_SSE2 0x01u   /* SSE2 salsa kernel (always present on x86-64) */
#define PH_F_AVX2 0x02u   /* AVX2 salsa kernel, OS saves ymm state */
#define PH_F_AVX512 0x04u /* AVX-512F salsa kernel, OS saves zmm state */
#define PH_F_SHANI 0x08u  /* SHA extensions (+SSSE3/SSE4.1) for the PBKDF2 steps and sha256d */
#define PH_F_AES 0x10u    /* AES-NI for X11's ECHO stage */

/* scrypt kernels selectable by ph_scrypt_batch(); PH_K_AUTO picks the widest available. */
#define PH_K_AUTO 0
#define PH_K_SCALAR 1
#define PH_K_SSE2 2
#define PH_K_AVX2 3
#define PH_K_AVX512 4
#define PH_K_COUNT 5

/* Error codes returned by the ph_scrypt* entry points (0 = success). */
#define PH_OK 0
#define PH_EINVAL -1    /* N not a power of two in [2, 2^PH_MAX_LOG2_N], or bad length */
#define PH_EKERNEL -2   /* the requested kernel is not compiled in or not supported by this CPU */
#define PH_ENOMEM -3    /* scratchpad allocation failed */

#define PH_MAX_LOG2_N 22u /* 512 MiB of scratchpad per hash: far beyond any real schedule */

/* ---------------------------------------------------------------- internal */

#if defined(__GNUC__) && !defined(__TINYC__)
#define PH_HIDDEN __attribute__((visibility("hidden")))
#define PH_INLINE static inline __attribute__((always_inline))
#define PH_TLS _Thread_local
#else
#define PH_HIDDEN
#define PH_INLINE static inline
/* TinyCC builds are compiled per worker by cc(), so each thread owns its own statics. */
#define PH_TLS
#endif

typedef struct {
  uint32_t h[8];
  uint8_t buf[64];
  uint32_t fill;   /* bytes waiting in buf */
  uint64_t total;  /* bytes absorbed so far */
} ph_sha256_ctx;

/* An HMAC-SHA256 key with the ipad/opad blocks already absorbed. */
typedef struct {
  ph_sha256_ctx inner;
  ph_sha256_ctx outer;
} ph_hmac_key;

typedef void (*ph_compress_fn)(uint32_t state[8], const uint8_t *blocks, size_t nblocks);

PH_HIDDEN extern unsigned ph_features_active;
PH_HIDDEN extern int ph_features_ready;
PH_HIDDEN unsigned ph_detect_features(void);
/* SHA-256 round constants (FIPS 180-4 §4.2.2), defined once in sha256.c; 16-byte aligned for SHA-NI loads. */
PH_HIDDEN extern const uint32_t ph_sha256_k[64];
/* The SHA-256 initial hash value (FIPS 180-4 §5.3.3), defined once in sha256.c. */
PH_HIDDEN extern const uint32_t ph_sha256_iv[8];
/* The block function in use: SHA extensions when ph_init() enabled them, else portable. */
PH_HIDDEN void ph_sha256_compress(uint32_t state[8], const uint8_t *blocks, size_t nblocks);
PH_HIDDEN void ph_sha256_compress_portable(uint32_t state[8], const uint8_t *blocks, size_t nblocks);
PH_HIDDEN void ph_sha256_compress_shani(uint32_t state[8], const uint8_t *blocks, size_t nblocks);
/* root = sha256d(root ‖ branch[i]) for i < n on the SHA extensions (sha256-shani.c; share path). */
PH_HIDDEN void ph_merkle_fold_shani(uint8_t root[32], const uint8_t *branch, size_t n);
/* sha256d of a message from a midstate: `rest` (n bytes) after the blocks in `mid`, `total` bytes in all. */
PH_HIDDEN void ph_sha256d_mid_shani(const uint32_t mid[8], const uint8_t *rest, size_t n, uint64_t total, uint8_t out[32]);
PH_HIDDEN void ph_echo512_aesni_64(const uint8_t in[64], uint8_t out[64]);
PH_HIDDEN void ph_sha256_init(ph_sha256_ctx *ctx);
PH_HIDDEN void ph_sha256_update(ph_sha256_ctx *ctx, const uint8_t *data, size_t len);
PH_HIDDEN void ph_sha256_final(ph_sha256_ctx *ctx, uint8_t out[32]);
PH_HIDDEN void ph_hmac_key_init(ph_hmac_key *key, const uint8_t *k, size_t klen);
PH_HIDDEN void ph_pbkdf2_sha256_c1(const ph_hmac_key *key, const uint8_t *salt, size_t slen, uint8_t *out, size_t olen);

/* Lane kernels: run ROMix (r = 1) on `sets * lanes-per-set` blocks of 32 little-endian words each,
 * in place, for 1 <= sets <= ph_romix_<isa>_max_sets. V must hold one N*128-byte region per
 * block, 64-byte aligned. The max_sets constants are data, so they can be read on any CPU. */
typedef void (*ph_romix_fn)(uint32_t *blocks, uint8_t *V, uint32_t N, unsigned sets);
PH_HIDDEN void ph_romix_sse2(uint32_t *blocks, uint8_t *V, uint32_t N, unsigned sets);
PH_HIDDEN void ph_romix_avx2(uint32_t *blocks, uint8_t *V, uint32_t N, unsigned sets);
PH_HIDDEN void ph_romix_avx512(uint32_t *blocks, uint8_t *V, uint32_t N, unsigned sets);
PH_HIDDEN extern const unsigned ph_romix_sse2_max_sets, ph_romix_avx2_max_sets, ph_romix_avx512_max_sets;

/* ---------------------------------------------------------------- exported */

#if defined(__GNUC__) && !defined(__TINYC__)
#define PH_API __attribute__((visibility("default")))
#else
#define PH_API
#endif

PH_API uint32_t ph_abi_version(void);
PH_API uint32_t ph_init(uint32_t feature_mask);
PH_API uint32_t ph_cpu_features(void);
PH_API int32_t ph_scrypt_kernel_lanes(uint32_t kernel);
PH_API void ph_x11(const uint8_t *in, uint32_t len, uint8_t *out);
PH_API int32_t ph_scrypt(const uint8_t *in, uint32_t len, uint8_t *out, uint32_t N);
PH_API int32_t ph_scrypt_batch(const uint8_t *in, uint32_t len, uint32_t count, uint8_t *out, uint32_t N, uint32_t kernel);
PH_API void ph_release_scratch(void);
PH_API void ph_sha256d(const uint8_t *in, uint32_t len, uint8_t *out);
/* One share, from extranonces to header, PoW hash and target flags (share.c; layouts there). */
PH_API int32_t ph_share_run(uint8_t *job, uint32_t job_len, uint8_t *io, uint32_t io_len);
/* Third-party references compiled from node_modules/multi-hashing (benchmark and cross-checks only). */
PH_API void ph_ref_sha256d_sph(const uint8_t *in, uint32_t len, uint8_t *out);
PH_API int32_t ph_ref_scrypt_mh(const uint8_t *in, uint32_t len, uint8_t *out, uint32_t N);

#endif
