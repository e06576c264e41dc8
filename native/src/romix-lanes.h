/*
 * ROMix (scrypt's memory-hard core, r = 1) over several independent hashes at once.
 * Included by scrypt-sse2.c, scrypt-avx2.c and scrypt-avx512.c, which define first:
 *
 *   vec, LANES         the vector type and how many hashes one vector carries (1, 2 or 4; each
 *                      hash owns one 128-bit lane of it)
 *   MAX_SETS           how many vectors' worth of hashes are interleaved (instruction-level
 *                      parallelism: the Salsa20 rounds of one set form a single dependency chain)
 *   ISA_NAME           suffix of the exported names, e.g. avx2 for ph_romix_avx2
 *   V_ADD V_XOR V_ROTL V_SHUF V_LOADU V_STOREU     element-wise 32-bit operations
 *   V_SPLIT_STORE(p, off, v)   store 128-bit lane k of v at p[k] + off, for every lane
 *   V_JOIN_LOAD(p, off)        build a vector whose lane k is loaded from p[k] + off
 *   V_WORD0(v, out)            out[k] = first 32-bit word of lane k
 *
 * Layout. Within a 128-bit lane a 64-byte Salsa20 block is held as four rows on its diagonals:
 *   A = (x0, x5, x10, x15)  B = (x4, x9, x14, x3)  C = (x8, x13, x2, x7)  D = (x12, x1, x6, x11)
 * so that the four column quarter-rounds are one vector operation each, and rotating B, C, D by
 * one, two and three words turns the rows into columns for the row round. BlockMix, the XOR
 * with V and the final additions are all element-wise, so the whole of ROMix stays in this
 * order; blocks are permuted only on entry and exit. Integerify reads x16, lane word 0 of the
 * second half's row A.
 *
 * Memory. Every hash has its own contiguous V region (N x 128 bytes), so the random reads of the
 * second loop touch two cache lines per hash. Lanes are split out on store and gathered on load.
 */

#define ROMIX_CAT_(a, b) a##_##b
#define ROMIX_CAT(a, b) ROMIX_CAT_(a, b)
#define ISA(name) ROMIX_CAT(name, ISA_NAME)
#define ROMIX_ROWS 8 /* two 64-byte halves x four rows */
#define FOR_SETS(s) _Pragma("GCC unroll 8") for (int s = 0; s < S; s++)

static const uint8_t ISA(diag)[16] = {0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11};

/* Salsa20/8 on half `h` (rows 4h .. 4h+3) of every set, feed-forward included. */
PH_INLINE void ISA(salsa8)(vec x[MAX_SETS][ROMIX_ROWS], const int h, const int S) {
  vec a[MAX_SETS], b[MAX_SETS], c[MAX_SETS], d[MAX_SETS];
  FOR_SETS(s) {
    a[s] = x[s][4 * h + 0];
    b[s] = x[s][4 * h + 1];
    c[s] = x[s][4 * h + 2];
    d[s] = x[s][4 * h + 3];
  }
  _Pragma("GCC unroll 4") for (int dr = 0; dr < 4; dr++) {
    /* column round */
    FOR_SETS(s) b[s] = V_XOR(b[s], V_ROTL(V_ADD(a[s], d[s]), 7));
    FOR_SETS(s) c[s] = V_XOR(c[s], V_ROTL(V_ADD(b[s], a[s]), 9));
    FOR_SETS(s) d[s] = V_XOR(d[s], V_ROTL(V_ADD(c[s], b[s]), 13));
    FOR_SETS(s) a[s] = V_XOR(a[s], V_ROTL(V_ADD(d[s], c[s]), 18));
    /* rows become columns: B now holds (x3,x4,x9,x14), C (x2,x7,x8,x13), D (x1,x6,x11,x12) */
    FOR_SETS(s) {
      b[s] = V_SHUF(b[s], 0x93);
      c[s] = V_SHUF(c[s], 0x4e);
      d[s] = V_SHUF(d[s], 0x39);
    }
    /* row round, same shape with the roles of B and D exchanged */
    FOR_SETS(s) d[s] = V_XOR(d[s], V_ROTL(V_ADD(a[s], b[s]), 7));
    FOR_SETS(s) c[s] = V_XOR(c[s], V_ROTL(V_ADD(d[s], a[s]), 9));
    FOR_SETS(s) b[s] = V_XOR(b[s], V_ROTL(V_ADD(c[s], d[s]), 13));
    FOR_SETS(s) a[s] = V_XOR(a[s], V_ROTL(V_ADD(b[s], c[s]), 18));
    FOR_SETS(s) {
      b[s] = V_SHUF(b[s], 0x39);
      c[s] = V_SHUF(c[s], 0x4e);
      d[s] = V_SHUF(d[s], 0x93);
    }
  }
  FOR_SETS(s) {
    x[s][4 * h + 0] = V_ADD(x[s][4 * h + 0], a[s]);
    x[s][4 * h + 1] = V_ADD(x[s][4 * h + 1], b[s]);
    x[s][4 * h + 2] = V_ADD(x[s][4 * h + 2], c[s]);
    x[s][4 * h + 3] = V_ADD(x[s][4 * h + 3], d[s]);
  }
}

/* BlockMix_salsa8 for r = 1: X0 = S(X0 ^ X1); X1 = S(X1 ^ X0). */
PH_INLINE void ISA(blockmix)(vec x[MAX_SETS][ROMIX_ROWS], const int S) {
  FOR_SETS(s) for (int q = 0; q < 4; q++) x[s][q] = V_XOR(x[s][q], x[s][q + 4]);
  ISA(salsa8)(x, 0, S);
  FOR_SETS(s) for (int q = 0; q < 4; q++) x[s][q + 4] = V_XOR(x[s][q + 4], x[s][q]);
  ISA(salsa8)(x, 1, S);
}

PH_INLINE void ISA(romix_sets)(uint32_t *blocks, uint8_t *V, const uint32_t N, const int S) {
  vec x[MAX_SETS][ROMIX_ROWS];
  uint8_t *base[MAX_SETS][LANES];
  uint8_t *p[MAX_SETS][LANES];
  uint32_t t[LANES * 4] __attribute__((aligned(64)));
  const size_t vbytes = (size_t)N * 128;
  const uint32_t mask = N - 1;

  FOR_SETS(s) {
    for (int k = 0; k < LANES; k++) base[s][k] = V + (size_t)(s * LANES + k) * vbytes;
    for (int q = 0; q < ROMIX_ROWS; q++) {
      for (int k = 0; k < LANES; k++)
        for (int w = 0; w < 4; w++)
          t[k * 4 + w] = blocks[(s * LANES + k) * 32 + (q >> 2) * 16 + ISA(diag)[(q & 3) * 4 + w]];
      x[s][q] = V_LOADU(t);
    }
  }

  for (uint32_t i = 0; i < N; i++) {
    FOR_SETS(s) {
      for (int k = 0; k < LANES; k++) p[s][k] = base[s][k] + (size_t)i * 128;
      for (int q = 0; q < ROMIX_ROWS; q++) V_SPLIT_STORE(p[s], q * 16, x[s][q]);
    }
    ISA(blockmix)(x, S);
  }

  for (uint32_t i = 0; i < N; i++) {
    FOR_SETS(s) {
      uint32_t j[LANES];
      V_WORD0(x[s][4], j);
      for (int k = 0; k < LANES; k++) p[s][k] = base[s][k] + (size_t)(j[k] & mask) * 128;
      for (int q = 0; q < ROMIX_ROWS; q++) x[s][q] = V_XOR(x[s][q], V_JOIN_LOAD(p[s], q * 16));
    }
    ISA(blockmix)(x, S);
  }

  FOR_SETS(s) {
    for (int q = 0; q < ROMIX_ROWS; q++) {
      V_STOREU(t, x[s][q]);
      for (int k = 0; k < LANES; k++)
        for (int w = 0; w < 4; w++)
          blocks[(s * LANES + k) * 32 + (q >> 2) * 16 + ISA(diag)[(q & 3) * 4 + w]] = t[k * 4 + w];
    }
  }
}

const unsigned ROMIX_CAT(ISA(ph_romix), max_sets) = MAX_SETS;

void ISA(ph_romix)(uint32_t *blocks, uint8_t *V, uint32_t N, unsigned sets) {
  switch (sets) {
  case 1: ISA(romix_sets)(blocks, V, N, 1); break;
#if MAX_SETS >= 2
  case 2: ISA(romix_sets)(blocks, V, N, 2); break;
#endif
#if MAX_SETS >= 3
  case 3: ISA(romix_sets)(blocks, V, N, 3); break;
#endif
#if MAX_SETS >= 4
  case 4: ISA(romix_sets)(blocks, V, N, 4); break;
#endif
  default: break;
  }
}
