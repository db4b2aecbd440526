/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's basic types for the userspace builds (mosctl, unit tests, fuzzers,
 * benchmarks) of the code shared with the module.
 */
#ifndef MOSIX_USER_H
#define MOSIX_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#endif /* MOSIX_USER_H */
