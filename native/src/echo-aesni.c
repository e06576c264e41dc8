/*
 * ECHO-512 (the last X11 stage; Benadjila et al., "SHA-3 Proposal: ECHO", 2010) on AES-NI.
 * Compiled with -maes; called only when cpu.c reported PH_F_AES, and only for the 64-byte
 * input X11 gives it, which fits one 1024-bit message block with its padding:
 *
 *   state     16 128-bit words w[4*col + row]: w[0..7] = chaining value (initially the output
 *             length, 512, in each word), w[8..15] = message block M0..M7
 *   block     message (64 bytes) | 0x80 | zeros | output bits (16-bit LE) | message bits (128-bit LE)
 *   round x10 BIG.SubWords: two AES rounds per word, keys (counter, 0), counter + 1 per word,
 *             starting at the number of message bits (512); BIG.ShiftRows: row r rotates left by r
 *             words; BIG.MixColumns: AES MixColumns at each byte position of a column's 4 words
 *   final     V_i ^= M_i ^ w_i ^ w_{i+8}; the hash is V0..V3
 */
#include <string.h>

#include "powhash.h"

#if defined(PH_X86_KERNELS) && defined(__AES__)
#include <wmmintrin.h>

/* 2x in GF(2^8) on every byte: shift left, reduce by 0x1b where the top bit was set. */
static inline __m128i gf_double(__m128i v) {
  const __m128i high = _mm_cmplt_epi8(v, _mm_setzero_si128());
  return _mm_xor_si128(_mm_add_epi8(v, v), _mm_and_si128(high, _mm_set1_epi8(0x1b)));
}

static inline void mix_column(__m128i *a, __m128i *b, __m128i *c, __m128i *d) {
  const __m128i ab = _mm_xor_si128(*a, *b), bc = _mm_xor_si128(*b, *c), cd = _mm_xor_si128(*c, *d);
  const __m128i ab2 = gf_double(ab), bc2 = gf_double(bc), cd2 = gf_double(cd);
  const __m128i na = _mm_xor_si128(_mm_xor_si128(ab2, bc), *d);             /* 2a+3b+c+d */
  const __m128i nb = _mm_xor_si128(_mm_xor_si128(bc2, *a), cd);             /* a+2b+3c+d */
  const __m128i nc = _mm_xor_si128(_mm_xor_si128(cd2, ab), *d);             /* a+b+2c+3d */
  const __m128i nd = _mm_xor_si128(_mm_xor_si128(_mm_xor_si128(ab2, bc2), _mm_xor_si128(cd2, ab)), *c); /* 3a+b+c+2d */
  *a = na;
  *b = nb;
  *c = nc;
  *d = nd;
}

PH_HIDDEN void ph_echo512_aesni_64(const uint8_t in[64], uint8_t out[64]) {
  const __m128i iv = _mm_set_epi32(0, 0, 0, 512);
  __m128i w[16], m[8];
  for (int i = 0; i < 4; i++) m[i] = _mm_loadu_si128((const __m128i *)(const void *)(in + 16 * i));
  m[4] = _mm_set_epi32(0, 0, 0, 0x80);
  m[5] = _mm_setzero_si128();
  m[6] = _mm_set_epi32(0x02000000, 0, 0, 0); /* bytes 110..111: 512 output bits, LE */
  m[7] = _mm_set_epi32(0, 0, 0, 512);        /* bytes 112..127: 512 message bits, LE */
  for (int i = 0; i < 8; i++) {
    w[i] = iv;
    w[8 + i] = m[i];
  }
  /* The counter stays far below 2^64 here (512 + 160), so its high half never changes. */
  __m128i key = _mm_set_epi32(0, 0, 0, 512);
  const __m128i one = _mm_set_epi32(0, 0, 0, 1), zero = _mm_setzero_si128();
  for (int r = 0; r < 10; r++) {
    for (int i = 0; i < 16; i++) {
      w[i] = _mm_aesenc_si128(_mm_aesenc_si128(w[i], key), zero);
      key = _mm_add_epi64(key, one);
    }
    __m128i t;
    t = w[1]; w[1] = w[5]; w[5] = w[9]; w[9] = w[13]; w[13] = t;        /* row 1: left by 1 */
    t = w[2]; w[2] = w[10]; w[10] = t; t = w[6]; w[6] = w[14]; w[14] = t; /* row 2: left by 2 */
    t = w[15]; w[15] = w[11]; w[11] = w[7]; w[7] = w[3]; w[3] = t;       /* row 3: left by 3 */
    for (int c = 0; c < 16; c += 4) mix_column(&w[c], &w[c + 1], &w[c + 2], &w[c + 3]);
  }
  for (int i = 0; i < 4; i++) {
    const __m128i v = _mm_xor_si128(_mm_xor_si128(iv, m[i]), _mm_xor_si128(w[i], w[i + 8]));
    _mm_storeu_si128((__m128i *)(void *)(out + 16 * i), v);
  }
}
#endif
