/* Minimal <stdint.h> for the TinyCC fallback build only, LP64 targets (x86-64, aarch64). */
#ifndef PH_TCC_STDINT_H
#define PH_TCC_STDINT_H
typedef signed char int8_t;
typedef unsigned char uint8_t;
typedef short int16_t;
typedef unsigned short uint16_t;
typedef int int32_t;
typedef unsigned int uint32_t;
typedef long int64_t;
typedef unsigned long uint64_t;
typedef long intptr_t;
typedef unsigned long uintptr_t;
typedef unsigned int uint_fast32_t;
typedef int int_fast32_t;
typedef unsigned long uint_fast64_t;
typedef long int_fast64_t;
#define UINT8_MAX 0xff
#define UINT32_MAX 0xffffffffU
#define INT32_MAX 0x7fffffff
#define UINT64_MAX 0xffffffffffffffffUL
#define SIZE_MAX UINT64_MAX
#endif
