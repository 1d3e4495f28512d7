/* test_sla.c - the SLA clock (spec §4.6, E8, E10): business-hours schedule time
 * over weekends, holidays and UTC offsets, pauses in schedule time, and the instant
 * an SLA's outcome became known. */
#include "sitrep/sitrep.h"
#include "sitrep/metrics.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#include "support.h"

#define MIN 60
#define HOUR 3600
#define DAY 86400

static const struct mx_business_hours mon_fri_9_17 = {
	.weekdays = 0x3e,
	.start_minute = 9 * 60,
	.end_minute = 17 * 60,
};

static struct mx_sla
sla(enum mx_schedule schedule, int target_minutes, const char *start, const char *stop)
{
	return (struct mx_sla){ .present = true,
				.schedule = schedule,
				.target_seconds = target_minutes * MIN,
				.start_time = ts(start),
				.stop_time = ts(stop) };
}

/* INC-09: Friday 16:00 to Monday 10:00 is 120 business minutes, 3960 calendar. */
static void
sla__business_hours_over_weekend(void **state)
{
	int64_t from = ts("2025-03-14T16:00:00Z"), to = ts("2025-03-17T10:00:00Z");
	struct mx_sla s = sla(MX_SCHEDULE_BUSINESS_HOURS, 480, "2025-03-14T16:00:00Z",
			      "2025-03-17T10:00:00Z");
	int64_t when = 0;

	(void)state;
	assert_int_equal(mx_business_seconds(&mon_fri_9_17, from, to), 120 * MIN);
	assert_int_equal(mx_business_seconds(NULL, from, to), 120 * MIN);
	assert_int_equal(mx_business_seconds(NULL, to, from), 0);
	assert_int_equal(mx_sla_elapsed(&s, NULL, from, to), 120 * MIN);
	assert_int_equal(mx_sla_outcome(&s, NULL, TIME_NONE, &when), MX_SLA_MET);
	assert_int_equal(when, to);
	s.schedule = MX_SCHEDULE_24X7;
	assert_int_equal(mx_sla_elapsed(&s, NULL, from, to), 3960 * MIN);
}

/* A holiday on a working day takes its hours off; one on a Saturday changes nothing. */
static void
sla__business_hours_skip_holiday(void **state)
{
	int64_t holidays[] = { ts("2025-03-15") / DAY, ts("2025-03-17") / DAY,
			       ts("2025-03-17") / DAY };
	struct mx_business_hours h = mon_fri_9_17;
	int64_t from = ts("2025-03-14T16:00:00Z"), to = ts("2025-03-18T10:00:00Z");

	(void)state;
	assert_int_equal(mx_business_seconds(&h, from, to), (60 + 480 + 60) * MIN);
	h.holidays = holidays;
	h.n_holidays = ARRAY_SIZE(holidays);
	assert_int_equal(mx_business_seconds(&h, from, to), 120 * MIN);
	assert_int_equal(
		mx_business_seconds(&h, ts("2025-03-17T08:00:00Z"), ts("2025-03-17T18:00:00Z")), 0);
}

/* Local time = UTC + offset: 09-17 at UTC+02:00 is 07-15 UTC. */
static void
sla__business_hours_utc_offset(void **state)
{
	struct mx_business_hours h = mon_fri_9_17;

	(void)state;
	h.utc_offset_minutes = 120;
	assert_int_equal(
		mx_business_seconds(&h, ts("2025-03-17T06:00:00Z"), ts("2025-03-17T08:00:00Z")),
		HOUR);
	assert_int_equal(
		mx_business_seconds(&h, ts("2025-03-14T14:00:00Z"), ts("2025-03-17T07:30:00Z")),
		90 * MIN);
	/* At UTC-05:00 the working day is 14:00-22:00 UTC. */
	h.utc_offset_minutes = -300;
	assert_int_equal(
		mx_business_seconds(&h, ts("2025-03-17T13:00:00Z"), ts("2025-03-17T15:00:00Z")),
		HOUR);
}

/* Whole year and before 1970: the calendar arithmetic is exact, not per-day drift. */
static void
sla__business_hours_long_and_early_intervals(void **state)
{
	(void)state;
	/* 2025 has 261 weekdays. */
	assert_int_equal(
		mx_business_seconds(NULL, ts("2025-01-01T00:00:00Z"), ts("2026-01-01T00:00:00Z")),
		261 * 8 * HOUR);
	/* 1969-12-26 was a Friday. */
	assert_int_equal(
		mx_business_seconds(NULL, ts("1969-12-26T16:00:00Z"), ts("1969-12-29T10:00:00Z")),
		120 * MIN);
}

/* INC-08: 570 minutes minus a 120-minute pause = 450, met (E10). */
static void
sla__pause_subtracted(void **state)
{
	struct mx_pause pause = { ts("2025-03-15T13:00:00Z"), ts("2025-03-15T15:00:00Z") };
	struct mx_sla s =
		sla(MX_SCHEDULE_24X7, 480, "2025-03-15T08:30:00Z", "2025-03-15T18:00:00Z");
	int64_t when = 0;

	(void)state;
	assert_int_equal(mx_sla_outcome(&s, NULL, TIME_NONE, &when), MX_SLA_BREACHED);
	assert_int_equal(when, ts("2025-03-15T16:30:00Z"));
	s.pauses = &pause;
	s.n_pauses = 1;
	assert_int_equal(mx_sla_elapsed(&s, NULL, s.start_time, s.stop_time), 450 * MIN);
	assert_int_equal(mx_sla_outcome(&s, NULL, TIME_NONE, &when), MX_SLA_MET);
	assert_int_equal(when, s.stop_time);
	/* A pause still running stops the clock until "to". */
	pause.end = TIME_NONE;
	assert_int_equal(mx_sla_elapsed(&s, NULL, s.start_time, s.stop_time), 270 * MIN);
}

/* Pauses count in the SLA's schedule: over a weekend they take nothing off. */
static void
sla__pause_in_business_time(void **state)
{
	struct mx_pause pauses[] = {
		{ ts("2025-03-15T10:00:00Z"), ts("2025-03-16T20:00:00Z") },
		{ ts("2025-03-17T09:00:00Z"), ts("2025-03-17T09:30:00Z") },
		{ ts("2025-03-17T09:15:00Z"), ts("2025-03-17T09:45:00Z") }, /* overlaps */
	};
	struct mx_sla s = sla(MX_SCHEDULE_BUSINESS_HOURS, 480, "2025-03-14T16:00:00Z",
			      "2025-03-17T10:00:00Z");

	(void)state;
	s.pauses = pauses;
	s.n_pauses = ARRAY_SIZE(pauses);
	assert_int_equal(mx_sla_elapsed(&s, &mon_fri_9_17, s.start_time, s.stop_time),
			 (120 - 45) * MIN);
}

/* INC-11 breaches at 05:04; INC-12, still running, at 23:33 (§4.6). */
static void
sla__breach_instant(void **state)
{
	struct mx_sla s =
		sla(MX_SCHEDULE_24X7, 120, "2025-03-24T03:04:00Z", "2025-03-24T05:30:00Z");
	int64_t when = 0;

	(void)state;
	assert_int_equal(mx_sla_outcome(&s, NULL, TIME_NONE, &when), MX_SLA_BREACHED);
	assert_int_equal(when, ts("2025-03-24T05:04:00Z"));
	s = sla(MX_SCHEDULE_24X7, 120, "2025-03-30T21:33:00Z", NULL);
	assert_int_equal(mx_sla_outcome(&s, NULL, ts("2025-03-31T00:00:00Z"), &when),
			 MX_SLA_BREACHED);
	assert_int_equal(when, ts("2025-03-30T23:33:00Z"));
	assert_int_equal(mx_sla_outcome(&s, NULL, ts("2025-03-30T23:33:00Z"), &when),
			 MX_SLA_RUNNING);
	s.present = false;
	assert_int_equal(mx_sla_outcome(&s, NULL, ts("2025-04-30T00:00:00Z"), &when),
			 MX_SLA_RUNNING);
}

/* A business clock that reaches its target at Friday 17:00 exceeds it only when
 * it runs again, Monday 09:00; a pause shifts the breach by its length (E10). */
static void
sla__breach_waits_for_schedule(void **state)
{
	struct mx_sla s = sla(MX_SCHEDULE_BUSINESS_HOURS, 180, "2025-03-14T14:00:00Z",
			      "2025-03-18T10:00:00Z");
	struct mx_pause pause = { ts("2025-03-17T10:00:00Z"), ts("2025-03-17T11:00:00Z") };
	int64_t when = 0;

	(void)state;
	assert_int_equal(mx_sla_outcome(&s, NULL, TIME_NONE, &when), MX_SLA_BREACHED);
	assert_int_equal(when, ts("2025-03-17T09:00:00Z"));
	s.target_seconds = 480 * MIN;
	assert_int_equal(mx_sla_outcome(&s, NULL, TIME_NONE, &when), MX_SLA_BREACHED);
	assert_int_equal(when, ts("2025-03-17T14:00:00Z"));
	s.pauses = &pause;
	s.n_pauses = 1;
	assert_int_equal(mx_sla_outcome(&s, NULL, TIME_NONE, &when), MX_SLA_BREACHED);
	assert_int_equal(when, ts("2025-03-17T15:00:00Z"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sla__business_hours_over_weekend),
		cmocka_unit_test(sla__business_hours_skip_holiday),
		cmocka_unit_test(sla__business_hours_utc_offset),
		cmocka_unit_test(sla__business_hours_long_and_early_intervals),
		cmocka_unit_test(sla__pause_subtracted),
		cmocka_unit_test(sla__pause_in_business_time),
		cmocka_unit_test(sla__breach_instant),
		cmocka_unit_test(sla__breach_waits_for_schedule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
