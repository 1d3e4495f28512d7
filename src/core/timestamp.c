/* timestamp.c - parsing and formatting of instants and durations.
 *
 * Every upstream speaks a slightly different time dialect; this is the only place
 * that knows them. Conversion is pure arithmetic on the civil calendar: nothing here
 * may consult TZ, the C locale, mktime() or timegm(), because a sync worker and a
 * screen dump must agree on an instant whatever the host's zone. Parsing is strict
 * (a value we half understood is worse than TIME_NONE) and never writes *out on
 * failure. */
#include "sitrep/sitrep.h"
#include "sitrep/timestamp.h"

#include <inttypes.h>
#include <time.h>

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: every instant we accept can be
 * written back in the four-digit-year form timestamp_format() promises. */
#define TIMESTAMP_MIN INT64_C(-62167219200)
#define TIMESTAMP_MAX INT64_C(253402300799)

#define SECS_PER_DAY INT64_C(86400)

/* Howard Hinnant's days_from_civil (proleptic Gregorian): days since 1970-01-01.
 * Shifting the year to start in March puts the leap day last, so day-of-year is a
 * linear formula and no month table is needed. */
static int64_t
days_from_civil(int64_t y, unsigned int m, unsigned int d)
{
	int64_t era;
	unsigned int yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned int)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool
is_leap_year(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned int
days_in_month(int64_t y, unsigned int m)
{
	static const unsigned char days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap_year(y) ? 29 : days[m - 1];
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A cursor over text that need not be NUL-terminated. */
struct scan {
	const char *p;
	const char *end;
};

static bool
scan_at_end(const struct scan *sc)
{
	return sc->p == sc->end;
}

static bool
scan_char(struct scan *sc, char c)
{
	if (sc->p < sc->end && *sc->p == c) {
		sc->p++;
		return true;
	}
	return false;
}

/* Exactly n digits: fixed-width fields must not accept "2025-3-1". */
static bool
scan_digits(struct scan *sc, size_t n, unsigned int *value)
{
	unsigned int v = 0;
	size_t i;

	if ((size_t)(sc->end - sc->p) < n)
		return false;
	for (i = 0; i < n; i++) {
		if (!is_digit(sc->p[i]))
			return false;
		v = v * 10 + (unsigned int)(sc->p[i] - '0');
	}
	sc->p += n;
	*value = v;
	return true;
}

/* Seconds east of UTC for "Z", "+hh:mm" or "+hhmm"; absent zone means UTC. */
static bool
scan_zone(struct scan *sc, int64_t *offset)
{
	unsigned int hh, mm;
	int sign;

	*offset = 0;
	if (scan_at_end(sc))
		return true;
	if (scan_char(sc, 'Z') || scan_char(sc, 'z'))
		return true;
	if (scan_char(sc, '+'))
		sign = 1;
	else if (scan_char(sc, '-'))
		sign = -1;
	else
		return false;
	if (!scan_digits(sc, 2, &hh))
		return false;
	scan_char(sc, ':');
	if (!scan_digits(sc, 2, &mm))
		return false;
	if (hh > 23 || mm > 59)
		return false;
	*offset = sign * (int64_t)(hh * 3600 + mm * 60);
	return true;
}

static bool
parse_epoch(const char *text, size_t len, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		int digit = text[i] - '0';

		if (!is_digit(text[i]) || v > (INT64_MAX - digit) / 10)
			return false;
		v = v * 10 + digit;
	}
	if (len >= 12)
		v /= 1000;
	if (v > TIMESTAMP_MAX)
		return false;
	*out = v;
	return true;
}

static bool
parse_iso(const char *text, size_t len, int64_t *out)
{
	struct scan sc = { text, text + len };
	unsigned int year, month, day, hour = 0, minute = 0, second = 0;
	int64_t offset = 0, t;

	if (!scan_digits(&sc, 4, &year) || !scan_char(&sc, '-') || !scan_digits(&sc, 2, &month) ||
	    !scan_char(&sc, '-') || !scan_digits(&sc, 2, &day))
		return false;
	if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))
		return false;

	if (!scan_at_end(&sc)) {
		if (!scan_char(&sc, 'T') && !scan_char(&sc, 't') && !scan_char(&sc, ' '))
			return false;
		if (!scan_digits(&sc, 2, &hour) || !scan_char(&sc, ':') ||
		    !scan_digits(&sc, 2, &minute) || !scan_char(&sc, ':') ||
		    !scan_digits(&sc, 2, &second))
			return false;
		if (hour > 23 || minute > 59 || second > 60)
			return false;
		/* A leap second stays inside its minute: Unix time cannot name it, and
		 * rolling over to the next minute could move an event past midnight. */
		if (second == 60)
			second = 59;
		if (scan_char(&sc, '.')) {
			if (sc.p == sc.end || !is_digit(*sc.p))
				return false;
			while (sc.p < sc.end && is_digit(*sc.p))
				sc.p++;
		}
		if (!scan_zone(&sc, &offset))
			return false;
	}
	if (!scan_at_end(&sc))
		return false;

	t = days_from_civil(year, month, day) * SECS_PER_DAY +
	    (int64_t)(hour * 3600 + minute * 60 + second) - offset;
	if (t < TIMESTAMP_MIN || t > TIMESTAMP_MAX)
		return false;
	*out = t;
	return true;
}

bool
timestamp_parse_n(const char *text, size_t len, int64_t *out)
{
	size_t i;

	if (!text || len == 0)
		return false;
	for (i = 0; i < len && is_digit(text[i]); i++)
		;
	if (i == len)
		return parse_epoch(text, len, out);
	return parse_iso(text, len, out);
}

bool
timestamp_parse(const char *text, int64_t *out)
{
	return text && timestamp_parse_n(text, strlen(text), out);
}

void
timestamp_format(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!buf || size == 0)
		return;
	if (t == TIME_NONE || t < TIMESTAMP_MIN || t > TIMESTAMP_MAX || (int64_t)tt != t ||
	    !gmtime_r(&tt, &tm)) {
		snprintf(buf, size, "-");
		return;
	}
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int64_t
duration_unit(char c)
{
	switch (c) {
	case 's':
		return 1;
	case 'm':
		return 60;
	case 'h':
		return 3600;
	case 'd':
		return 86400;
	case 'w':
		return 604800;
	default:
		return 0;
	}
}

bool
duration_parse(const char *text, int64_t *seconds)
{
	const char *p = text;
	int64_t total = 0, last_unit = INT64_MAX;
	bool any = false;

	if (!text || !*text)
		return false;
	while (*p) {
		int64_t n = 0, unit;

		if (any && *p == ' ')
			while (*p == ' ')
				p++;
		if (!is_digit(*p))
			return false;
		for (; is_digit(*p); p++) {
			int digit = *p - '0';

			if (n > (INT64_MAX - digit) / 10)
				return false;
			n = n * 10 + digit;
		}
		if (!*p && !any) {
			/* Only a lone number is seconds: "1h30" is more likely a typo. */
			unit = 1;
		} else {
			unit = duration_unit(*p);
			/* Units must decrease so that "30m1h" or "1h1h" is a typo, not 90m. */
			if (!unit || unit >= last_unit)
				return false;
			p++;
		}
		if (n > INT64_MAX / unit || n * unit > INT64_MAX - total)
			return false;
		total += n * unit;
		last_unit = unit;
		any = true;
	}
	*seconds = total;
	return true;
}

void
duration_format(int64_t seconds, char *buf, size_t size)
{
	static const struct {
		uint64_t secs;
		char name;
		bool pad;
	} units[] = {
		/* No weeks: "10d 5h" reads at a glance, "1w 3d" needs arithmetic. */
		{ 86400, 'd', false },
		{ 3600, 'h', false },
		{ 60, 'm', true },
		{ 1, 's', true },
	};
	const char *sign = seconds < 0 ? "-" : "";
	/* Negating in unsigned arithmetic keeps INT64_MIN defined. */
	uint64_t v = seconds < 0 ? 0 - (uint64_t)seconds : (uint64_t)seconds;
	uint64_t major, minor;
	size_t i;

	if (!buf || size == 0)
		return;
	for (i = 0; i + 1 < ARRAY_SIZE(units) && v < units[i].secs; i++)
		;
	major = v / units[i].secs;
	if (i + 1 == ARRAY_SIZE(units)) {
		snprintf(buf, size, "%s%" PRIu64 "s", sign, major);
		return;
	}
	/* The smaller unit is truncated, never rounded up: "59m 59s" must not read
	 * as an hour. */
	minor = v % units[i].secs / units[i + 1].secs;
	if (minor == 0)
		snprintf(buf, size, "%s%" PRIu64 "%c", sign, major, units[i].name);
	else
		snprintf(buf, size,
			 units[i + 1].pad ? "%s%" PRIu64 "%c %02" PRIu64 "%c"
					  : "%s%" PRIu64 "%c %" PRIu64 "%c",
			 sign, major, units[i].name, minor, units[i + 1].name);
}

int64_t
time_now(void)
{
	const char *fake = getenv("SITREP_TIME_NOW");
	int64_t t;

	if (fake && timestamp_parse(fake, &t))
		return t;
	return (int64_t)time(NULL);
}
