/* SSE2 lane kernel: one hash per 128-bit vector, MAX_SETS hashes interleaved (romix-lanes.h). */
#include "powhash.h"

#if defined(PH_X86_KERNELS) && defined(__SSE2__)
#include <emmintrin.h>

typedef __m128i vec;
#define LANES 1
#ifndef MAX_SETS
#define MAX_SETS 4
#endif
#define ISA_NAME sse2
#define V_ADD(a, b) _mm_add_epi32(a, b)
#define V_XOR(a, b) _mm_xor_si128(a, b)
#define V_ROTL(v, n) _mm_or_si128(_mm_slli_epi32(v, n), _mm_srli_epi32(v, 32 - (n)))
#define V_SHUF(v, imm) _mm_shuffle_epi32(v, imm)
#define V_LOADU(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define V_STOREU(p, v) _mm_storeu_si128((__m128i *)(void *)(p), v)
#define V_SPLIT_STORE(p, off, v) _mm_store_si128((__m128i *)(void *)((p)[0] + (off)), v)
#define V_JOIN_LOAD(p, off) _mm_load_si128((const __m128i *)(const void *)((p)[0] + (off)))
#define V_WORD0(v, out) ((out)[0] = (uint32_t)_mm_cvtsi128_si32(v))

#include "romix-lanes.h"
#endif
