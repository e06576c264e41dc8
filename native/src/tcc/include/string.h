/* Minimal <string.h> for the TinyCC fallback build only; the symbols come from the C library
 * already loaded into the Bun process. */
#ifndef PH_TCC_STRING_H
#define PH_TCC_STRING_H
#include <stddef.h>
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
#endif
