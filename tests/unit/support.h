/* support.h - helpers the unit tests share. Include after <cmocka.h>. */
#ifndef SITREP_TEST_SUPPORT_H
#define SITREP_TEST_SUPPORT_H

#include "sitrep/timestamp.h"

/* "2025-03-01T10:00:00Z" (any timestamp_parse() form) -> epoch seconds; NULL ->
 * TIME_NONE. A bad literal is a bug in the test. */
static inline int64_t
ts(const char *text)
{
	int64_t t;

	if (!text)
		return TIME_NONE;
	if (!timestamp_parse(text, &t))
		fail_msg("bad test timestamp %s", text);
	return t;
}

#endif
