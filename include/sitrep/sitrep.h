/* sitrep.h - included first by every .c file: feature macros, common includes and
 * the handful of macros every module uses. Nothing here allocates or defines data. */
#ifndef SITREP_SITREP_H
#define SITREP_SITREP_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(x) (sizeof(x) / sizeof((x)[0]))

#if defined(__GNUC__)
#define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#define NORETURN __attribute__((noreturn))
#define UNUSED __attribute__((unused))
#else
#define PRINTF_LIKE(fmt, args)
#define NORETURN
#define UNUSED
#endif

/* Unit tests reach static functions through this (curl's UNITTEST). */
#ifdef UNIT_TESTS
#define SITREP_STATIC
#else
#define SITREP_STATIC static
#endif

static inline bool
streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

#include "sitrep/status.h"
#include "sitrep/util.h"

#ifndef SITREP_ALLOW_BANNED
#include "sitrep/banned.h"
#endif

#endif
