/* support.h - helpers the unit tests share. Include after <cmocka.h>. */
#ifndef SITREP_TEST_SUPPORT_H
#define SITREP_TEST_SUPPORT_H

#include "sitrep/timestamp.h"

#include <math.h>

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

/* Compares every "key = a" or "key = a/b" line of text (the reference block's
 * form) with lookup(ctx, key) to 1e-9, NaN matching NaN; returns how many lines were
 * checked and fails the test if any differed. */
static inline size_t
check_expected_values(const char *text, double (*lookup)(const void *ctx, const char *key),
		      const void *ctx)
{
	size_t checked = 0, wrong = 0;

	while (*text) {
		char key[64];
		double num, den = 1, got;

		if (sscanf(text, "%63s = %lf/%lf", key, &num, &den) < 2)
			fail_msg("bad expected line: %.40s", text);
		got = lookup(ctx, key);
		if (!((isnan(got) && isnan(num / den)) || fabs(got - num / den) <= 1e-9)) {
			print_error("%s: got %.12g, want %.12g\n", key, got, num / den);
			wrong++;
		}
		checked++;
		text = strchr(text, '\n') + 1;
	}
	assert_int_equal(wrong, 0);
	return checked;
}

#endif
