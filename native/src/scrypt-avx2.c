/* AVX2 lane kernel: two hashes per 256-bit vector, MAX_SETS vectors interleaved (romix-lanes.h).
 * Compiled with -mavx2; called only when cpu.c reported PH_F_AVX2. */
#include "powhash.h"

#if defined(PH_X86_KERNELS) && defined(__AVX2__)
#include <immintrin.h>

typedef __m256i vec;
#define LANES 2
#ifndef MAX_SETS
#define MAX_SETS 3
#endif
#define ISA_NAME avx2
#define V_ADD(a, b) _mm256_add_epi32(a, b)
#define V_XOR(a, b) _mm256_xor_si256(a, b)
#define V_ROTL(v, n) _mm256_or_si256(_mm256_slli_epi32(v, n), _mm256_srli_epi32(v, 32 - (n)))
#define V_SHUF(v, imm) _mm256_shuffle_epi32(v, imm)
#define V_LOADU(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define V_STOREU(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), v)
#define XMM_AT(p, k, off) ((__m128i *)(void *)((p)[k] + (off)))
#define V_SPLIT_STORE(p, off, v)                                         \
  do {                                                                   \
    _mm_store_si128(XMM_AT(p, 0, off), _mm256_castsi256_si128(v));       \
    _mm_store_si128(XMM_AT(p, 1, off), _mm256_extracti128_si256(v, 1));  \
  } while (0)
#define V_JOIN_LOAD(p, off) \
  _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_load_si128(XMM_AT(p, 0, off))), _mm_load_si128(XMM_AT(p, 1, off)), 1)
#define V_WORD0(v, out)                                                               \
  do {                                                                                \
    (out)[0] = (uint32_t)_mm_cvtsi128_si32(_mm256_castsi256_si128(v));                \
    (out)[1] = (uint32_t)_mm_cvtsi128_si32(_mm256_extracti128_si256(v, 1));           \
  } while (0)

#include "romix-lanes.h"
#endif
