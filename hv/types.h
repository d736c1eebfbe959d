/* Fixed-width types for code that builds both freestanding (UEFI) and on the host. */
#ifndef EXITVISOR_TYPES_H
#define EXITVISOR_TYPES_H
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(n) (1ull << (n))
#define PAGE_SIZE 4096ull
#endif
