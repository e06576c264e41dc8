/* Minimal <limits.h> for the TinyCC fallback build only, LP64 targets. */
#ifndef PH_TCC_LIMITS_H
#define PH_TCC_LIMITS_H
#define CHAR_BIT 8
#define UCHAR_MAX 0xff
#define INT_MAX 0x7fffffff
#define UINT_MAX 0xffffffffU
#define LONG_MAX 0x7fffffffffffffffL
#define ULONG_MAX 0xffffffffffffffffUL
#define ULLONG_MAX 0xffffffffffffffffULL
#endif
