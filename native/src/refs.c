/*
 * Third-party reference implementations, exported only so the benchmark and the tests can
 * compare against them: sphlib's SHA-256 (sph_sha2.c) and the Tarsnap-derived scrypt of the
 * multi-hashing package (scryptn.c + crypto/sha256.c, BSD 2-clause, Colin Percival / ArtForz).
 * Both are compiled straight from node_modules/multi-hashing/src. Not used on the share path.
 */
#include "powhash.h"
#include "sph_sha2.h"

void scrypt_N_R_1_256(const char *input, char *output, uint32_t N, uint32_t R, uint32_t len);

void ph_ref_sha256d_sph(const uint8_t *in, uint32_t len, uint8_t *out) {
  sph_sha256_context c;
  uint8_t once[32];
  sph_sha256_init(&c);
  sph_sha256(&c, in, len);
  sph_sha256_close(&c, once);
  sph_sha256_init(&c);
  sph_sha256(&c, once, 32);
  sph_sha256_close(&c, out);
}

int32_t ph_ref_scrypt_mh(const uint8_t *in, uint32_t len, uint8_t *out, uint32_t N) {
  if (N < 2 || (N & (N - 1)) != 0 || N > (1u << PH_MAX_LOG2_N)) return PH_EINVAL;
  scrypt_N_R_1_256((const char *)in, (char *)out, N, 1, len);
  return PH_OK;
}
