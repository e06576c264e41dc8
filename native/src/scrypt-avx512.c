/* AVX-512F lane kernel: four hashes per 512-bit vector, MAX_SETS vectors interleaved
 * (romix-lanes.h); VPROLD does each rotation in one instruction. Compiled with -mavx512f;
 * called only when cpu.c reported PH_F_AVX512. */
#include "powhash.h"

#if defined(PH_X86_KERNELS) && defined(__AVX512F__)
#include <immintrin.h>

typedef __m512i vec;
#define LANES 4
#ifndef MAX_SETS
#define MAX_SETS 3
#endif
#define ISA_NAME avx512
#define V_ADD(a, b) _mm512_add_epi32(a, b)
#define V_XOR(a, b) _mm512_xor_si512(a, b)
#define V_ROTL(v, n) _mm512_rol_epi32(v, n)
#define V_SHUF(v, imm) _mm512_shuffle_epi32(v, (_MM_PERM_ENUM)(imm))
#define V_LOADU(p) _mm512_loadu_si512((const void *)(p))
#define V_STOREU(p, v) _mm512_storeu_si512((void *)(p), v)
#define XMM_AT(p, k, off) ((__m128i *)(void *)((p)[k] + (off)))
#define V_SPLIT_STORE(p, off, v)                                          \
  do {                                                                    \
    _mm_store_si128(XMM_AT(p, 0, off), _mm512_castsi512_si128(v));        \
    _mm_store_si128(XMM_AT(p, 1, off), _mm512_extracti32x4_epi32(v, 1));  \
    _mm_store_si128(XMM_AT(p, 2, off), _mm512_extracti32x4_epi32(v, 2));  \
    _mm_store_si128(XMM_AT(p, 3, off), _mm512_extracti32x4_epi32(v, 3));  \
  } while (0)
#define V_JOIN_LOAD(p, off)                                                                    \
  _mm512_inserti32x4(                                                                          \
      _mm512_inserti32x4(                                                                      \
          _mm512_inserti32x4(_mm512_castsi128_si512(_mm_load_si128(XMM_AT(p, 0, off))),        \
                             _mm_load_si128(XMM_AT(p, 1, off)), 1),                            \
          _mm_load_si128(XMM_AT(p, 2, off)), 2),                                               \
      _mm_load_si128(XMM_AT(p, 3, off)), 3)
#define V_WORD0(v, out)                                                                  \
  do {                                                                                   \
    (out)[0] = (uint32_t)_mm_cvtsi128_si32(_mm512_castsi512_si128(v));                   \
    (out)[1] = (uint32_t)_mm_cvtsi128_si32(_mm512_extracti32x4_epi32(v, 1));             \
    (out)[2] = (uint32_t)_mm_cvtsi128_si32(_mm512_extracti32x4_epi32(v, 2));             \
    (out)[3] = (uint32_t)_mm_cvtsi128_si32(_mm512_extracti32x4_epi32(v, 3));             \
  } while (0)

#include "romix-lanes.h"
#endif
