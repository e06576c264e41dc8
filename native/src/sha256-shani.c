/*
 * SHA-256 block function on the x86 SHA extensions. Compiled with -msse4.1 -msha and only
 * called after ph_init() saw the SHA, SSSE3 and SSE4.1 CPUID bits (see cpu.c).
 *
 * The SHA256RNDS2 instruction keeps the working variables as two vectors, {A,B,E,F} and
 * {C,D,G,H} (highest dword first), and takes two message+constant words per call.
 */
#include "powhash.h"

#if defined(PH_X86_KERNELS) && defined(__SHA__) && defined(__SSE4_1__)
#include <immintrin.h>

/* Four rounds with message words `m` (already expanded), constants ph_sha256_k[4g .. 4g+3]. */
#define QROUNDS(g, m)                                                         \
  do {                                                                        \
    __m128i wk = _mm_add_epi32((m), _mm_load_si128((const __m128i *)&ph_sha256_k[4 * (g)])); \
    cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);                             \
    abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0e));    \
  } while (0)

/* Next four schedule words from the previous sixteen (w0 oldest .. w3 newest). */
#define SCHED(w0, w1, w2, w3) \
  _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32((w0), (w1)), _mm_alignr_epi8((w3), (w2), 4)), (w3))

void ph_sha256_compress_shani(uint32_t state[8], const uint8_t *blocks, size_t nblocks) {
  const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  __m128i dcba = _mm_loadu_si128((const __m128i *)&state[0]);
  __m128i hgfe = _mm_loadu_si128((const __m128i *)&state[4]);
  __m128i badc = _mm_shuffle_epi32(dcba, 0xb1);
  __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1b);
  __m128i abef = _mm_alignr_epi8(badc, efgh, 8);
  __m128i cdgh = _mm_blend_epi16(efgh, badc, 0xf0);

  while (nblocks--) {
    const __m128i abef0 = abef, cdgh0 = cdgh;
    __m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blocks + 0)), bswap);
    __m128i w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blocks + 16)), bswap);
    __m128i w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blocks + 32)), bswap);
    __m128i w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blocks + 48)), bswap);
    QROUNDS(0, w0);
    QROUNDS(1, w1);
    QROUNDS(2, w2);
    QROUNDS(3, w3);
    for (int g = 4; g < 16; g += 4) {
      w0 = SCHED(w0, w1, w2, w3);
      QROUNDS(g + 0, w0);
      w1 = SCHED(w1, w2, w3, w0);
      QROUNDS(g + 1, w1);
      w2 = SCHED(w2, w3, w0, w1);
      QROUNDS(g + 2, w2);
      w3 = SCHED(w3, w0, w1, w2);
      QROUNDS(g + 3, w3);
    }
    abef = _mm_add_epi32(abef, abef0);
    cdgh = _mm_add_epi32(cdgh, cdgh0);
    blocks += 64;
  }

  /* back to {A..D}, {E..H} */
  __m128i feba = _mm_shuffle_epi32(abef, 0x1b);
  __m128i dchg = _mm_shuffle_epi32(cdgh, 0xb1);
  _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xf0));
  _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));
}

#else
/* Never called: ph_init() only selects it when the kernel was compiled in. */
void ph_sha256_compress_shani(uint32_t state[8], const uint8_t *blocks, size_t nblocks) {
  ph_sha256_compress_portable(state, blocks, nblocks);
}
#endif
