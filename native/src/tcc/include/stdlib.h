/* Minimal <stdlib.h> for the TinyCC fallback build only; the symbols come from the C library
 * already loaded into the Bun process. */
#ifndef PH_TCC_STDLIB_H
#define PH_TCC_STDLIB_H
#include <stddef.h>
void *malloc(size_t n);
void free(void *p);
int posix_memalign(void **out, size_t alignment, size_t n);
#endif
