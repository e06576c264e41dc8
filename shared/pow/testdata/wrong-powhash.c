/*
 * A deliberately WRONG libpowhash for the self-test tests (self-test.test.ts builds it into a
 * temporary directory). It exports the same ABI as native/src/powhash.h, but:
 *  - scrypt is multi-hashing's scryptn.c compiled by the test with gcc -O3 and strict aliasing,
 *    the real miscompile of shared/spec/hashing.md §6 (every output wrong);
 *  - x11 is a stub that returns a plausible-looking but wrong 32 bytes.
 * Never built by native/build.sh.
 */
#include <stdint.h>
#include <string.h>

void scrypt_N_R_1_256(const char *input, char *output, uint32_t N, uint32_t R, uint32_t len);

uint32_t ph_abi_version(void) { return 4; }
uint32_t ph_init(uint32_t mask) { (void)mask; return 0; }
uint32_t ph_cpu_features(void) { return 0; }
int32_t ph_scrypt_kernel_lanes(uint32_t kernel) { (void)kernel; return 1; }
void ph_release_scratch(void) {}

int32_t ph_scrypt_batch(const uint8_t *in, uint32_t len, uint32_t count, uint8_t *out, uint32_t N, uint32_t kernel) {
  (void)kernel;
  for (uint32_t i = 0; i < count; i++) scrypt_N_R_1_256((const char *)in + (size_t)i * len, (char *)out + (size_t)i * 32, N, 1, len);
  return 0;
}

void ph_x11(const uint8_t *in, uint32_t len, uint8_t *out) {
  for (int i = 0; i < 32; i++) out[i] = (uint8_t)(in[i % len] * 31u + (uint8_t)i);
}

void ph_sha256d(const uint8_t *in, uint32_t len, uint8_t *out) { ph_x11(in, len, out); }

/* Not checked by the self-test; present so the loader finds every symbol. */
int32_t ph_share_run(uint8_t *job, uint32_t job_len, uint8_t *io, uint32_t io_len) {
  (void)job; (void)job_len; (void)io; (void)io_len;
  return -1;
}
