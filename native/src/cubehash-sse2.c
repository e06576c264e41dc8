/*
 * CubeHash16/32-512 (the X11 stage; Bernstein's CubeHash specification, round 2 parameters
 * r = 16, b = 32, h = 512) on SSE2, the x86-64 baseline, so no run-time dispatch is needed.
 *
 * The state is 32 words x[0..31]. Words 0..15 ("A") and 16..31 ("B") are each kept in four
 * vectors of four words: A[k] = x[4k .. 4k+3], B[k] = x[16+4k .. 16+4k+3]. One round:
 *   B += A; A <<<= 7;  swap A words i, i+8  (A0<->A2, A1<->A3); A ^= B; swap B words i, i+2 (in-vector);
 *   B += A; A <<<= 11; swap A words i, i+4  (A0<->A1, A2<->A3); A ^= B; swap B words i, i+1 (in-vector).
 * The initial state (after the 10r set-up rounds) is computed once when the library loads.
 */
#include <string.h>

#include "powhash.h"

#if defined(__SSE2__) && !defined(__TINYC__)
#include <emmintrin.h>

#define CH_ROUNDS 16
#define CH_BLOCK 32

typedef struct {
  __m128i a[4], b[4];
} ch_state;

static ch_state ch_iv;

#define CH_ROTL(v, n) _mm_or_si128(_mm_slli_epi32(v, n), _mm_srli_epi32(v, 32 - (n)))

static inline __attribute__((always_inline)) void ch_rounds(ch_state *s, int rounds) {
  __m128i a0 = s->a[0], a1 = s->a[1], a2 = s->a[2], a3 = s->a[3];
  __m128i b0 = s->b[0], b1 = s->b[1], b2 = s->b[2], b3 = s->b[3];
  for (int r = 0; r < rounds; r++) {
    __m128i t;
    b0 = _mm_add_epi32(b0, a0); b1 = _mm_add_epi32(b1, a1);
    b2 = _mm_add_epi32(b2, a2); b3 = _mm_add_epi32(b3, a3);
    a0 = CH_ROTL(a0, 7); a1 = CH_ROTL(a1, 7); a2 = CH_ROTL(a2, 7); a3 = CH_ROTL(a3, 7);
    t = a0; a0 = a2; a2 = t;
    t = a1; a1 = a3; a3 = t;
    a0 = _mm_xor_si128(a0, b0); a1 = _mm_xor_si128(a1, b1);
    a2 = _mm_xor_si128(a2, b2); a3 = _mm_xor_si128(a3, b3);
    b0 = _mm_shuffle_epi32(b0, 0x4e); b1 = _mm_shuffle_epi32(b1, 0x4e);
    b2 = _mm_shuffle_epi32(b2, 0x4e); b3 = _mm_shuffle_epi32(b3, 0x4e);
    b0 = _mm_add_epi32(b0, a0); b1 = _mm_add_epi32(b1, a1);
    b2 = _mm_add_epi32(b2, a2); b3 = _mm_add_epi32(b3, a3);
    a0 = CH_ROTL(a0, 11); a1 = CH_ROTL(a1, 11); a2 = CH_ROTL(a2, 11); a3 = CH_ROTL(a3, 11);
    t = a0; a0 = a1; a1 = t;
    t = a2; a2 = a3; a3 = t;
    a0 = _mm_xor_si128(a0, b0); a1 = _mm_xor_si128(a1, b1);
    a2 = _mm_xor_si128(a2, b2); a3 = _mm_xor_si128(a3, b3);
    b0 = _mm_shuffle_epi32(b0, 0xb1); b1 = _mm_shuffle_epi32(b1, 0xb1);
    b2 = _mm_shuffle_epi32(b2, 0xb1); b3 = _mm_shuffle_epi32(b3, 0xb1);
  }
  s->a[0] = a0; s->a[1] = a1; s->a[2] = a2; s->a[3] = a3;
  s->b[0] = b0; s->b[1] = b1; s->b[2] = b2; s->b[3] = b3;
}

/* Absorb one 32-byte block (little-endian words into x[0..7]) and run r rounds. */
static inline __attribute__((always_inline)) void ch_block(ch_state *s, const uint8_t *block) {
  s->a[0] = _mm_xor_si128(s->a[0], _mm_loadu_si128((const __m128i *)(const void *)block));
  s->a[1] = _mm_xor_si128(s->a[1], _mm_loadu_si128((const __m128i *)(const void *)(block + 16)));
  ch_rounds(s, CH_ROUNDS);
}

__attribute__((constructor)) static void ch_init_iv(void) {
  uint32_t x[32] __attribute__((aligned(16))) = {0};
  x[0] = 512 / 8; /* h/8 */
  x[1] = CH_BLOCK;
  x[2] = CH_ROUNDS;
  for (int k = 0; k < 4; k++) {
    ch_iv.a[k] = _mm_load_si128((const __m128i *)(const void *)&x[4 * k]);
    ch_iv.b[k] = _mm_load_si128((const __m128i *)(const void *)&x[16 + 4 * k]);
  }
  ch_rounds(&ch_iv, 10 * CH_ROUNDS);
}

/* CubeHash16/32-512 of `len` bytes into out[0..64]. */
PH_HIDDEN void ph_cubehash512_sse2(const uint8_t *in, size_t len, uint8_t out[64]) {
  ch_state s = ch_iv;
  uint8_t last[CH_BLOCK];
  for (; len >= CH_BLOCK; in += CH_BLOCK, len -= CH_BLOCK) ch_block(&s, in);
  memset(last, 0, sizeof last);
  memcpy(last, in, len);
  last[len] = 0x80; /* padding: a single 1 bit, then zeros to the block boundary */
  ch_block(&s, last);
  s.b[3] = _mm_xor_si128(s.b[3], _mm_set_epi32(1, 0, 0, 0)); /* x[31] ^= 1 */
  ch_rounds(&s, 10 * CH_ROUNDS);
  for (int k = 0; k < 4; k++) _mm_storeu_si128((__m128i *)(void *)(out + 16 * k), s.a[k]);
}
#endif
