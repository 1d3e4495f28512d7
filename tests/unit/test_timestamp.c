/* test_timestamp.c - unit tests for timestamp.c.
 *
 * Expected epoch values were computed independently (Python's calendar.timegm), not
 * by the code under test; the sweep test cross-checks the parser against the libc's
 * gmtime_r over the whole supported range. Tests must not depend on the host's TZ. */
#include "sitrep/sitrep.h"
#include "sitrep/timestamp.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <time.h>
#include <cmocka.h>

/* Leaves *out alone on failure: every bad input must prove it did not write. */
#define SENTINEL INT64_C(0x5a5a5a5a5a5a)

struct good_time {
	const char *text;
	int64_t expected;
};

static const struct good_time good_times[] = {
	{ "2025-03-01T00:00:00Z", 1740787200 },
	{ "2025-03-01T10:00:00Z", 1740823200 },
	{ "2025-03-01t10:00:00z", 1740823200 },
	{ "2025-03-01T10:00:00", 1740823200 },
	{ "2025-03-01 10:00:00", 1740823200 },
	{ "2025-03-01 10:00:00Z", 1740823200 },
	{ "2025-03-01T10:00:00+00:00", 1740823200 },
	{ "2025-03-01T10:00:00-0000", 1740823200 },
	{ "2025-03-01", 1740787200 },
	/* Fractions are truncated, however many digits. */
	{ "2025-03-01T10:00:00.123456Z", 1740823200 },
	{ "2025-03-01T10:00:00.9Z", 1740823200 },
	{ "2025-03-01T10:00:00.999999999999999999999Z", 1740823200 },
	{ "2025-03-01T10:00:00.5-0530", 1740843000 },
	{ "2025-03-01T10:00:00+02:00", 1740816000 },
	{ "2025-03-01T10:00:00+0200", 1740816000 },
	{ "2025-03-01T10:00:00-05:30", 1740843000 },
	{ "2025-03-01T10:00:00+14:00", 1740772800 },
	/* Offsets that move the instant across midnight, a month and a year. */
	{ "2025-03-01T01:00:00+02:00", 1740783600 },
	{ "2025-02-28T23:30:00-01:00", 1740789000 },
	{ "2024-12-31T23:00:00-02:00", 1735693200 },
	/* Leap days: every fourth year, and 2000 because it divides by 400. */
	{ "2024-02-29T12:00:00Z", 1709208000 },
	{ "2000-02-29", 951782400 },
	{ "1900-03-01", INT64_C(-2203891200) },
	/* A leap second reads as the second before it. */
	{ "2016-12-31T23:59:60Z", 1483228799 },
	{ "1970-01-01T00:00:00Z", 0 },
	{ "1969-12-31T23:59:59Z", -1 },
	{ "0000-01-01T00:00:00Z", INT64_C(-62167219200) },
	{ "9999-12-31T23:59:59Z", INT64_C(253402300799) },
	/* Epoch seconds up to 11 digits, milliseconds from 12. */
	{ "0", 0 },
	{ "1740823200", 1740823200 },
	{ "99999999999", INT64_C(99999999999) },
	{ "100000000000", 100000000 },
	{ "1740823200123", 1740823200 },
	{ "1740823200999", 1740823200 },
	{ "0001740823200", 1740823 },
};

static const char *const bad_times[] = {
	"",				/* empty */
	"yesterday",			/* words */
	"2025-02-29",			/* 2025 is not a leap year */
	"1900-02-29",			/* centuries are not leap years unless / 400 */
	"2025-13-01",			/* month 13 */
	"2025-00-10",			/* month 0 */
	"2025-04-31",			/* April has 30 days */
	"2025-03-00",			/* day 0 */
	"2025-03-32",			/* day 32 */
	"2025-03-01T25:00:00Z",		/* hour 25 */
	"2025-03-01T24:00:00Z",		/* ISO's end-of-day 24:00 is not accepted */
	"2025-03-01T10:60:00Z",		/* minute 60 */
	"2025-03-01T10:00:61Z",		/* second 61 is never valid */
	"2025-03-01T10:00Z",		/* seconds are required */
	"2025-03-01T10:00:00Zjunk",	/* trailing junk after the zone */
	"2025-03-01T10:00:00ZZ",	/* two zones */
	"2025-03-01T10:00:00Z+02:00",	/* two zones */
	"2025-03-01T10:00:00 ",		/* trailing space */
	" 2025-03-01",			/* leading space */
	"2025-03-01 ",			/* date and a bare separator */
	"2025-03-01T",			/* separator without a time */
	"2025-03-01X10:00:00Z",		/* unknown separator */
	"2025-3-1",			/* fields are fixed width */
	"25-03-01",			/* two-digit year */
	"10000-01-01",			/* five-digit year */
	"2025/03/01",			/* wrong date separator */
	"2025-03-01T10:00:00.",		/* decimal point without digits */
	"2025-03-01T10:00:00.Z",	/* decimal point without digits */
	"2025-03-01T10:00:00,5Z",	/* comma fractions are not used upstream */
	"2025-03-01T10:00:00+02",	/* offset without minutes */
	"2025-03-01T10:00:00+2:00",	/* offset hour not two digits */
	"2025-03-01T10:00:00+24:00",	/* offset hour 24 */
	"2025-03-01T10:00:00+02:60",	/* offset minute 60 */
	"2025-03-01T10:00:00+02:00:00", /* offset with seconds */
	"2025-03-01T-1:00:00Z",		/* sign inside a field */
	"-2025-03-01",			/* sign before the year */
	"-1740823200",			/* negative epoch */
	"+1740823200",			/* sign on an epoch */
	"1740823200.5",			/* fractional epoch */
	"1740823200 ",			/* trailing space after an epoch */
	"1740823200s",			/* unit after an epoch */
	"0x67c2e4a0",			/* hexadecimal */
	"99999999999999999999",		/* overflows int64 */
	"9223372036854775807",		/* milliseconds past year 9999 */
	"0000-01-01T00:00:00+00:01",	/* before year 0000 */
	"9999-12-31T23:59:59-00:01",	/* after year 9999 */
	"\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x95", /* fullwidth digits */
};

static void
timestamp__parse_accepts_good_inputs(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(good_times); i++) {
		const struct good_time *c = &good_times[i];
		int64_t t = SENTINEL;

		if (!timestamp_parse(c->text, &t))
			fail_msg("rejected \"%s\"", c->text);
		if (t != c->expected)
			fail_msg("\"%s\": got %" PRId64 ", want %" PRId64, c->text, t, c->expected);
	}
}

static void
timestamp__parse_rejects_bad_inputs(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad_times); i++) {
		int64_t t = SENTINEL;

		if (timestamp_parse(bad_times[i], &t))
			fail_msg("accepted \"%s\" as %" PRId64, bad_times[i], t);
		assert_int_equal(t, SENTINEL);
	}
	assert_false(timestamp_parse(NULL, &(int64_t){ 0 }));
}

static void
timestamp__parse_n_stops_at_len(void **state)
{
	static const char text[] = "2025-03-01T00:00:00Zgarbage";
	static const char nul[] = "2025-03-01\0";
	int64_t t = SENTINEL;

	(void)state;
	assert_true(timestamp_parse_n(text, 20, &t));
	assert_int_equal(t, 1740787200);
	/* A length that cuts a field in half must not read on. */
	t = SENTINEL;
	assert_false(timestamp_parse_n(text, 18, &t));
	assert_int_equal(t, SENTINEL);
	assert_true(timestamp_parse_n("1740823200123", 10, &t));
	assert_int_equal(t, 1740823200);
	/* An embedded NUL is not the end of the text. */
	t = SENTINEL;
	assert_false(timestamp_parse_n(nul, sizeof(nul) - 1, &t));
	assert_false(timestamp_parse_n(text, 0, &t));
	assert_false(timestamp_parse_n(NULL, 5, &t));
	assert_int_equal(t, SENTINEL);
}

static void
timestamp__format_writes_utc_iso(void **state)
{
	static const struct good_time cases[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2025-03-01T00:00:00Z", 1740787200 },
		{ "2024-02-29T12:00:00Z", 1709208000 },
		{ "1969-12-31T23:59:59Z", -1 },
		{ "0000-01-01T00:00:00Z", INT64_C(-62167219200) },
		{ "9999-12-31T23:59:59Z", INT64_C(253402300799) },
		{ "-", TIME_NONE },
		{ "-", INT64_C(253402300800) },
		{ "-", INT64_C(-62167219201) },
		{ "-", INT64_MAX },
	};
	char buf[TIMESTAMP_TEXT_SIZE];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(buf, 'x', sizeof(buf));
		timestamp_format(cases[i].expected, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
	}
	/* Exactly TIMESTAMP_TEXT_SIZE is enough; less truncates but terminates. */
	timestamp_format(1740787200, buf, 5);
	assert_string_equal(buf, "2025");
}

static void
timestamp__format_ignores_tz(void **state)
{
	char buf[TIMESTAMP_TEXT_SIZE];
	int64_t t = SENTINEL;

	(void)state;
	/* A POSIX TZ string, so the test does not need tzdata installed. */
	assert_int_equal(setenv("TZ", "IST-5:30", 1), 0);
	tzset();
	timestamp_format(1740787200, buf, sizeof(buf));
	assert_string_equal(buf, "2025-03-01T00:00:00Z");
	assert_true(timestamp_parse("2025-03-01 00:00:00", &t));
	assert_int_equal(t, 1740787200);
	unsetenv("TZ");
	tzset();
}

static void
timestamp__format_round_trips_good_inputs(void **state)
{
	char buf[TIMESTAMP_TEXT_SIZE];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(good_times); i++) {
		int64_t t = SENTINEL;

		timestamp_format(good_times[i].expected, buf, sizeof(buf));
		assert_true(timestamp_parse(buf, &t));
		assert_int_equal(t, good_times[i].expected);
	}
}

/* days_from_civil against the libc's calendar, over the whole supported range, at a
 * stride that lands on every month, day of month and time of day in turn. */
static void
timestamp__parse_agrees_with_gmtime_r(void **state)
{
	const int64_t stride = INT64_C(86400) * 37 + 3607;
	int64_t t, parsed;
	char buf[64];
	struct tm tm;
	time_t tt;
	size_t n = 0;

	(void)state;
	for (t = INT64_C(-62167219200); t <= INT64_C(253402300799); t += stride, n++) {
		tt = (time_t)t;
		assert_non_null(gmtime_r(&tt, &tm));
		snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		if (!timestamp_parse(buf, &parsed) || parsed != t)
			fail_msg("%s: want %" PRId64, buf, t);
	}
	assert_true(n > 90000);
}

struct good_duration {
	const char *text;
	int64_t expected;
};

static const struct good_duration good_durations[] = {
	{ "0", 0 },
	{ "0s", 0 },
	{ "90", 90 },
	{ "90s", 90 },
	{ "5m", 300 },
	{ "007m", 420 },
	{ "4h", 14400 },
	{ "30d", 2592000 },
	{ "2w", 1209600 },
	{ "1h30m", 5400 },
	{ "1h90m", 9000 },
	{ "1d 12h", 129600 },
	{ "1d  12h", 129600 },
	{ "1w2d3h4m5s", 788645 },
	{ "1w 2d 3h 4m 5s", 788645 },
	{ "9223372036854775807", INT64_MAX },
	{ "9223372036854775807s", INT64_MAX },
	{ "15250284452471w", INT64_C(9223372036854460800) },
};

static const char *const bad_durations[] = {
	"",			   /* empty */
	" ",			   /* only a space */
	"-5m",			   /* negative */
	"1h-5m",		   /* sign inside a compound */
	"+5m",			   /* explicit sign */
	"5x",			   /* unknown unit */
	"1y",			   /* years are not a fixed length */
	"5M",			   /* months? minutes? refuse to guess */
	"m",			   /* unit without a number */
	"5mm",			   /* unit twice */
	"1h30",			   /* bare number after a unit: minutes or seconds? */
	"1h 30",		   /* the same with a space */
	"30m1h",		   /* units out of order */
	"1h1h",			   /* repeated unit */
	" 5m",			   /* leading space */
	"5m ",			   /* trailing space */
	"5 m",			   /* space between number and unit */
	"1.5h",			   /* fractions */
	"5m\n",			   /* trailing newline */
	"9223372036854775808",	   /* number overflows */
	"15250284452472w",	   /* unit multiplication overflows */
	"15250284452471w 999999h", /* sum overflows */
};

static void
duration__parse_accepts_good_inputs(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(good_durations); i++) {
		const struct good_duration *c = &good_durations[i];
		int64_t d = SENTINEL;

		if (!duration_parse(c->text, &d))
			fail_msg("rejected \"%s\"", c->text);
		if (d != c->expected)
			fail_msg("\"%s\": got %" PRId64 ", want %" PRId64, c->text, d, c->expected);
	}
}

static void
duration__parse_rejects_bad_inputs(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad_durations); i++) {
		int64_t d = SENTINEL;

		if (duration_parse(bad_durations[i], &d))
			fail_msg("accepted \"%s\" as %" PRId64, bad_durations[i], d);
		assert_int_equal(d, SENTINEL);
	}
	assert_false(duration_parse(NULL, &(int64_t){ 0 }));
}

static void
duration__format_shows_two_units(void **state)
{
	static const struct good_duration cases[] = {
		{ "0s", 0 },
		{ "1s", 1 },
		{ "45s", 45 },
		{ "59s", 59 },
		{ "1m", 60 },
		{ "5m", 300 },
		{ "5m 05s", 305 },
		{ "5m 30s", 330 },
		{ "59m 59s", 3599 },
		{ "1h", 3600 },
		{ "1h 05m", 3900 },
		{ "1h 05m", 3959 }, /* seconds truncated, not rounded */
		{ "23h 59m", 86399 },
		{ "1d", 86400 },
		{ "3d 2h", 266400 },
		{ "6d 23h", 604799 },
		{ "7d", 604800 },
		{ "17d", 1468800 },
		{ "7d 10h", 642600 },
		{ "-45s", -45 },
		{ "-1h 05m", -3900 },
		{ "106751991167300d 15h", INT64_MAX },
		{ "-106751991167300d 15h", INT64_MIN },
	};
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		duration_format(cases[i].expected, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
	}
	duration_format(3900, buf, 3);
	assert_string_equal(buf, "1h");
}

static void
duration__format_parses_back(void **state)
{
	static const int64_t values[] = { 0, 45, 300, 3600, 86400, 604800, 1209600 };
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(values); i++) {
		int64_t d = SENTINEL;

		duration_format(values[i], buf, sizeof(buf));
		assert_true(duration_parse(buf, &d));
		assert_int_equal(d, values[i]);
	}
}

static void
time_now__honours_sitrep_time_now(void **state)
{
	int64_t before, now, after;

	(void)state;
	assert_int_equal(setenv("SITREP_TIME_NOW", "2025-03-01T00:00:00Z", 1), 0);
	assert_int_equal(time_now(), 1740787200);
	assert_int_equal(setenv("SITREP_TIME_NOW", "1740823200123", 1), 0);
	assert_int_equal(time_now(), 1740823200);

	/* An invalid or absent override falls back to the clock. */
	assert_int_equal(setenv("SITREP_TIME_NOW", "yesterday", 1), 0);
	before = (int64_t)time(NULL);
	now = time_now();
	after = (int64_t)time(NULL);
	assert_true(before <= now && now <= after);

	assert_int_equal(unsetenv("SITREP_TIME_NOW"), 0);
	before = (int64_t)time(NULL);
	now = time_now();
	after = (int64_t)time(NULL);
	assert_true(before <= now && now <= after);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(timestamp__parse_accepts_good_inputs),
		cmocka_unit_test(timestamp__parse_rejects_bad_inputs),
		cmocka_unit_test(timestamp__parse_n_stops_at_len),
		cmocka_unit_test(timestamp__format_writes_utc_iso),
		cmocka_unit_test(timestamp__format_ignores_tz),
		cmocka_unit_test(timestamp__format_round_trips_good_inputs),
		cmocka_unit_test(timestamp__parse_agrees_with_gmtime_r),
		cmocka_unit_test(duration__parse_accepts_good_inputs),
		cmocka_unit_test(duration__parse_rejects_bad_inputs),
		cmocka_unit_test(duration__format_shows_two_units),
		cmocka_unit_test(duration__format_parses_back),
		cmocka_unit_test(time_now__honours_sitrep_time_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
