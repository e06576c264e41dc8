/*
 * Runtime CPU dispatch. The shipped library is built for the baseline ISA; the wider kernels live
 * in files compiled with their own -m flags and are only called when the CPU (and the OS, for the
 * ymm/zmm register state) supports them. ph_init() may narrow the set, e.g. for benchmarks.
 */
#include "powhash.h"

unsigned ph_features_active = 0;  /* portable paths only until ph_init() runs */
int ph_features_ready = 0;

#if defined(PH_X86_KERNELS) && (defined(__x86_64__) || defined(__i386__))
#include <cpuid.h>

static uint64_t read_xcr0(void) {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((uint64_t)hi << 32) | lo;
}

unsigned ph_detect_features(void) {
  unsigned a, b, c, d, f = PH_F_SSE2;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const int ssse3 = (c & bit_SSSE3) != 0, sse41 = (c & bit_SSE4_1) != 0;
  const int avx = (c & bit_AVX) != 0, osxsave = (c & bit_OSXSAVE) != 0, aes = (c & bit_AES) != 0;
  if (aes) f |= PH_F_AES;
  const uint64_t xcr0 = osxsave ? read_xcr0() : 0;
  const int ymm_state = (xcr0 & 0x06) == 0x06;          /* XMM | YMM */
  const int zmm_state = (xcr0 & 0xe6) == 0xe6;          /* + opmask, ZMM_Hi256, Hi16_ZMM */
  if (__get_cpuid_max(0, 0) < 7) return f;
  __cpuid_count(7, 0, a, b, c, d);
  const int avx2 = (b & (1u << 5)) != 0, avx512f = (b & (1u << 16)) != 0, sha = (b & (1u << 29)) != 0;
  if (avx && avx2 && ymm_state) f |= PH_F_AVX2;
  if ((f & PH_F_AVX2) && avx512f && zmm_state) f |= PH_F_AVX512;
  if (sha && ssse3 && sse41) f |= PH_F_SHANI;
  return f;
}
#else
unsigned ph_detect_features(void) { return 0; }
#endif

uint32_t ph_cpu_features(void) { return ph_detect_features(); }

uint32_t ph_abi_version(void) { return PH_ABI_VERSION; }

/* Select the features to use (detected & mask) and return them. Call once per thread before
 * hashing; calling it again with another mask changes the choice for every thread. */
uint32_t ph_init(uint32_t feature_mask) {
  ph_features_active = ph_detect_features() & feature_mask;
  ph_features_ready = 1;
  return ph_features_active;
}
