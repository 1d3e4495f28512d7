/* sla.c - the SLA clock of spec §4.6: business-hours schedule time, pauses
 * subtracted in schedule time (E10), and the outcome of an SLA instance with the
 * instant it became known. Only SLAs use a schedule; every other metric is 24×7
 * (E8), so nothing else may call into this file for durations. Pure arithmetic:
 * O(holidays) per call whatever the length of the interval, no allocation. */
#include "sitrep/sitrep.h"
#include "sitrep/metrics.h"

#define DAY_SECONDS INT64_C(86400)
/* Instants are clamped to about ±140 million years so that "open" (INT64_MAX) and
 * the offset arithmetic below cannot overflow. */
#define INSTANT_LIMIT (INT64_C(1) << 52)

/* The import format's default (IMPORT.md): Mon-Fri 09:00-17:00 UTC. */
static const struct mx_business_hours default_hours = {
	.weekdays = 0x3e,
	.start_minute = 9 * 60,
	.end_minute = 17 * 60,
};

static int64_t
clamp_i64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* 1970-01-01 was a Thursday; weekday 0 is Sunday as in struct mx_business_hours. */
static bool
weekday_works(const struct mx_business_hours *h, int64_t day)
{
	int64_t weekday = day + 4 - floor_div(day + 4, 7) * 7;

	return (h->weekdays >> weekday) & 1u;
}

static bool
is_holiday(const struct mx_business_hours *h, int64_t day)
{
	size_t lo = 0, hi = h->n_holidays;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->holidays[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h->n_holidays && h->holidays[lo] == day;
}

static int64_t
open_second(const struct mx_business_hours *h)
{
	return clamp_i64(h->start_minute, 0, 1440) * 60;
}

static int64_t
close_second(const struct mx_business_hours *h)
{
	return clamp_i64(h->end_minute, 0, 1440) * 60;
}

static int64_t
day_seconds(const struct mx_business_hours *h)
{
	int64_t len = close_second(h) - open_second(h);

	return len > 0 ? len : 0;
}

/* Holidays on working weekdays before day; a duplicate entry is counted once. */
static int64_t
holidays_before(const struct mx_business_hours *h, int64_t day)
{
	int64_t n = 0;

	for (size_t i = 0; i < h->n_holidays && h->holidays[i] < day; i++)
		if ((i == 0 || h->holidays[i] != h->holidays[i - 1]) &&
		    weekday_works(h, h->holidays[i]))
			n++;
	return n;
}

/* Schedule seconds from an arbitrary origin to t, so that any interval is the
 * difference of two calls: whole weeks, the days of the last partial week, minus
 * holidays, plus the part of day t already worked. */
static int64_t
cumulative(const struct mx_business_hours *h, int64_t t)
{
	int64_t local =
		clamp_i64(t, -INSTANT_LIMIT, INSTANT_LIMIT) + (int64_t)h->utc_offset_minutes * 60;
	int64_t day = floor_div(local, DAY_SECONDS);
	int64_t week_start = floor_div(day, 7) * 7;
	/* Day week_start + i is weekday (i + 4) % 7 (week_start is a multiple of 7 and
	 * day 0 a Thursday): rotate the weekday mask so that bit i is that day, and the
	 * working days of the partial week are a popcount, not a loop. */
	unsigned week = h->weekdays & 0x7f;
	unsigned by_offset = ((week >> 4) | (week << 3)) & 0x7f;
	unsigned before = by_offset & ((1u << (day - week_start)) - 1);
	int64_t total, into_day;

	total = week_start / 7 * __builtin_popcount(week) * day_seconds(h);
	total += __builtin_popcount(before) * day_seconds(h);
	total -= holidays_before(h, day) * day_seconds(h);
	if (weekday_works(h, day) && !is_holiday(h, day)) {
		into_day = local - day * DAY_SECONDS;
		total += clamp_i64(into_day, open_second(h), close_second(h)) - open_second(h);
	}
	return total;
}

int64_t
mx_business_seconds(const struct mx_business_hours *hours, int64_t from, int64_t to)
{
	if (!hours)
		hours = &default_hours;
	if (to <= from)
		return 0;
	return cumulative(hours, to) - cumulative(hours, from);
}

static int64_t
schedule_seconds(const struct mx_sla *sla, const struct mx_business_hours *hours, int64_t from,
		 int64_t to)
{
	from = clamp_i64(from, -INSTANT_LIMIT, INSTANT_LIMIT);
	to = clamp_i64(to, -INSTANT_LIMIT, INSTANT_LIMIT);
	if (to <= from)
		return 0;
	if (sla->schedule == MX_SCHEDULE_BUSINESS_HOURS)
		return mx_business_seconds(hours, from, to);
	return to - from;
}

int64_t
mx_sla_elapsed(const struct mx_sla *sla, const struct mx_business_hours *hours, int64_t from,
	       int64_t to)
{
	int64_t elapsed = schedule_seconds(sla, hours, from, to);
	int64_t cursor = from;

	/* E10: pauses are contractual and measured in the SLA's own schedule, so a
	 * pause over a weekend takes nothing off a business-hours clock. The cursor
	 * keeps a pause that overlaps the previous one from being subtracted twice. */
	for (size_t i = 0; i < sla->n_pauses; i++) {
		const struct mx_pause *p = &sla->pauses[i];
		int64_t start = p->start > cursor ? p->start : cursor;
		int64_t end = p->end == TIME_NONE ? INT64_MAX : p->end;

		if (end > to)
			end = to;
		if (p->start == TIME_NONE || end <= start)
			continue;
		elapsed -= schedule_seconds(sla, hours, start, end);
		cursor = end;
	}
	return elapsed > 0 ? elapsed : 0;
}

/* The breach instant: the clock exceeds the target right after the least t with
 * elapsed(t) ≥ target + 1 second, minus that second. Defined this way a
 * business-hours clock that reaches its target at 17:00 on Friday breaches at
 * 09:00 on Monday, when it starts running again. elapsed(hi) > target holds. */
static int64_t
breach_instant(const struct mx_sla *sla, const struct mx_business_hours *hours, int64_t target,
	       int64_t hi)
{
	int64_t lo = sla->start_time;
	/* Without pauses elapsed(t) is cumulative(t) - cumulative(start): compute the
	 * second term once instead of at every step of the search. */
	bool plain = sla->n_pauses == 0 && sla->schedule == MX_SCHEDULE_BUSINESS_HOURS;
	const struct mx_business_hours *h = hours ? hours : &default_hours;
	int64_t base = plain ? cumulative(h, clamp_i64(lo, -INSTANT_LIMIT, INSTANT_LIMIT)) : 0;

	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		int64_t elapsed = plain ? cumulative(h, mid) - base
					: mx_sla_elapsed(sla, hours, sla->start_time, mid);

		if (elapsed > target)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo - 1;
}

enum mx_sla_state
mx_sla_outcome(const struct mx_sla *sla, const struct mx_business_hours *hours, int64_t horizon,
	       int64_t *when)
{
	int64_t target = sla->target_seconds > 0 ? sla->target_seconds : 0;
	int64_t end = sla->stop_time != TIME_NONE ? sla->stop_time : horizon;

	if (!sla->present || sla->start_time == TIME_NONE || end == TIME_NONE)
		return MX_SLA_RUNNING;
	if (mx_sla_elapsed(sla, hours, sla->start_time, end) <= target) {
		if (sla->stop_time == TIME_NONE)
			return MX_SLA_RUNNING;
		*when = sla->stop_time;
		return MX_SLA_MET;
	}
	if (sla->schedule == MX_SCHEDULE_24X7 && sla->n_pauses == 0)
		*when = sla->start_time + target; /* the clock is the calendar: no search */
	else
		*when = breach_instant(sla, hours, target,
				       clamp_i64(end, sla->start_time, INSTANT_LIMIT));
	return MX_SLA_BREACHED;
}
