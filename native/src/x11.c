/*
 * X11 (Dash): eleven SHA-3 candidates chained at 512 bits, the output being the first 32 bytes
 * of the last one. Our own driver over the sphlib primitives compiled from the multi-hashing
 * package (node_modules/multi-hashing/src/sha3, MIT-style licence by Projet RNRT SAPHIR), except
 * CubeHash, which on x86-64 gcc/clang builds is our SSE2 version (cubehash-sse2.c, ~6x faster
 * than sph's scalar one), and ECHO, which uses our AES-NI version (echo-aesni.c) when the CPU
 * has AES-NI. The TinyCC build and other architectures keep sph's.
 */
#include <string.h>

#include "powhash.h"
#include "sph_blake.h"
#include "sph_bmw.h"
#include "sph_cubehash.h"
#include "sph_echo.h"
#include "sph_groestl.h"
#include "sph_jh.h"
#include "sph_keccak.h"
#include "sph_luffa.h"
#include "sph_shavite.h"
#include "sph_simd.h"
#include "sph_skein.h"

/* One context buffer big enough for whichever stage is running. */
typedef union {
  sph_blake512_context blake;
  sph_bmw512_context bmw;
  sph_groestl512_context groestl;
  sph_skein512_context skein;
  sph_jh512_context jh;
  sph_keccak512_context keccak;
  sph_luffa512_context luffa;
  sph_cubehash512_context cubehash;
  sph_shavite512_context shavite;
  sph_simd512_context simd;
  sph_echo512_context echo;
} x11_ctx;

typedef struct {
  void (*init)(void *cc);
  void (*absorb)(void *cc, const void *data, size_t len);
  void (*close)(void *cc, void *dst);
  void (*oneshot)(const uint8_t *in, size_t len, uint8_t out[64]); /* replaces the three above */
} x11_stage;

#if defined(__SSE2__) && !defined(__TINYC__)
PH_HIDDEN void ph_cubehash512_sse2(const uint8_t *in, size_t len, uint8_t out[64]);
#define CUBEHASH_STAGE {0, 0, 0, ph_cubehash512_sse2}
#else
#define CUBEHASH_STAGE {sph_cubehash512_init, sph_cubehash512, sph_cubehash512_close, 0}
#endif

#ifdef PH_X86_KERNELS
/* ECHO on AES-NI when the CPU has it (echo-aesni.c handles X11's 64-byte input only). */
static void echo512_dispatch(const uint8_t *in, size_t len, uint8_t out[64]) {
  if (len == 64 && (ph_features_active & PH_F_AES)) {
    ph_echo512_aesni_64(in, out);
    return;
  }
  sph_echo512_context cc;
  sph_echo512_init(&cc);
  sph_echo512(&cc, in, len);
  sph_echo512_close(&cc, out);
}
#define ECHO_STAGE {0, 0, 0, echo512_dispatch}
#else
#define ECHO_STAGE {sph_echo512_init, sph_echo512, sph_echo512_close, 0}
#endif

/* The chain order is part of the algorithm's definition. */
static const x11_stage X11_CHAIN[11] = {
  {sph_blake512_init, sph_blake512, sph_blake512_close, 0},
  {sph_bmw512_init, sph_bmw512, sph_bmw512_close, 0},
  {sph_groestl512_init, sph_groestl512, sph_groestl512_close, 0},
  {sph_skein512_init, sph_skein512, sph_skein512_close, 0},
  {sph_jh512_init, sph_jh512, sph_jh512_close, 0},
  {sph_keccak512_init, sph_keccak512, sph_keccak512_close, 0},
  {sph_luffa512_init, sph_luffa512, sph_luffa512_close, 0},
  CUBEHASH_STAGE,
  {sph_shavite512_init, sph_shavite512, sph_shavite512_close, 0},
  {sph_simd512_init, sph_simd512, sph_simd512_close, 0},
  ECHO_STAGE,
};

void ph_x11(const uint8_t *in, uint32_t len, uint8_t *out) {
  x11_ctx ctx;
  uint64_t digest[8]; /* 512-bit intermediate, 8-byte aligned for the sph closers */
  const void *data = in;
  size_t n = len;
  for (int i = 0; i < 11; i++) {
    const x11_stage *st = &X11_CHAIN[i];
    if (st->oneshot) {
      st->oneshot((const uint8_t *)data, n, (uint8_t *)digest); /* reads its input before writing */
    } else {
      st->init(&ctx);
      st->absorb(&ctx, data, n);
      st->close(&ctx, digest);
    }
    data = digest;
    n = sizeof digest;
  }
  memcpy(out, digest, 32);
}
