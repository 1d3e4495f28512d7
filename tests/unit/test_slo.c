/* test_slo.c - error budget, burn rates and multiwindow alerts (spec §4.10) from
 * bad-minute counts: the reference services at 2025-03-31T00:00Z (the same values
 * test_mttx.c reaches from the incidents), thresholds derived from the period, and
 * the lookback names. */
#include "sitrep/sitrep.h"
#include "sitrep/metrics.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#define MIN 60
#define HOUR 3600
#define DAY 86400

static bool
near(double got, double want)
{
	return fabs(got - want) <= 1e-9;
}

static void
slo__lookback_names_and_lengths(void **state)
{
	static const char *const names[] = { "5m", "30m", "1h", "2h", "6h", "24h", "3d" };
	static const int64_t lengths[] = {
		5 * MIN, 30 * MIN, HOUR, 2 * HOUR, 6 * HOUR, DAY, 3 * DAY
	};
	char buf[16];

	(void)state;
	for (int i = 0; i < SLO_LB_PERIOD; i++) {
		assert_string_equal(
			slo_lookback_name((enum slo_lookback)i, 30 * DAY, buf, sizeof(buf)),
			names[i]);
		assert_int_equal(slo_lookback_seconds((enum slo_lookback)i, 30 * DAY), lengths[i]);
	}
	assert_string_equal(slo_lookback_name(SLO_LB_PERIOD, 30 * DAY, buf, sizeof(buf)), "30d");
	assert_string_equal(slo_lookback_name(SLO_LB_PERIOD, 28 * DAY, buf, sizeof(buf)), "28d");
	assert_string_equal(slo_lookback_name(SLO_LB_PERIOD, 36 * HOUR, buf, sizeof(buf)), "36h");
	assert_string_equal(slo_lookback_name(SLO_LB_PERIOD, 90 * MIN, buf, sizeof(buf)), "90m");
	assert_int_equal(slo_lookback_seconds(SLO_LB_PERIOD, 28 * DAY), 28 * DAY);
}

/* reference-expected.md §12, search: SLO 99 %, INC-12 down since 21:30. */
static void
slo__reference_search_pages_and_tickets(void **state)
{
	const int64_t bad[SLO_LB_COUNT] = { 5 * MIN,   30 * MIN,  60 * MIN,  120 * MIN,
					    150 * MIN, 150 * MIN, 150 * MIN, 360 * MIN };
	const double burn[SLO_LB_COUNT] = { 100,       100,	   100,	       100,
					    125.0 / 3, 125.0 / 12, 125.0 / 36, 5.0 / 6 };
	struct slo_figures f;

	(void)state;
	slo_evaluate(0.99, 30 * DAY, bad, &f);
	assert_true(near(f.budget_minutes, 432));
	assert_true(near(f.budget_consumed, 5.0 / 6));
	assert_true(near(f.budget_remaining_minutes, 72));
	assert_true(near(slo_budget_left_percent(&f), 100.0 / 6));
	for (int i = 0; i < SLO_LB_COUNT; i++)
		assert_true(near(f.burn[i], burn[i]));
	assert_true(f.page && f.ticket);
	assert_true(f.objective == 0.99 && f.period_seconds == 30 * DAY);
}

/* checkout: budget long gone (944 %), but nothing burning now: no alert. */
static void
slo__reference_checkout_no_alert(void **state)
{
	const int64_t bad[SLO_LB_COUNT] = { [SLO_LB_PERIOD] = 408 * MIN };
	struct slo_figures f;

	(void)state;
	slo_evaluate(0.999, 30 * DAY, bad, &f);
	assert_true(near(f.budget_minutes, 43.2));
	assert_true(near(f.budget_consumed, 85.0 / 9));
	assert_true(near(f.budget_remaining_minutes, -364.8));
	assert_true(near(slo_budget_left_percent(&f), -7600.0 / 9));
	assert_true(near(f.burn[SLO_LB_PERIOD], 85.0 / 9));
	assert_true(f.burn[SLO_LB_1h] == 0.0);
	assert_false(f.page || f.ticket);
}

/* The fast-burn page threshold is 0.02 · period / 1 h: 14.4 for 30 days, 13.44 for
 * 28 days. A 1-hour burn of 13.47 pages for 28 days only. */
static void
slo__thresholds_derived_from_period(void **state)
{
	int64_t bad[SLO_LB_COUNT] = { [SLO_LB_5m] = 5 * MIN, [SLO_LB_1h] = 485 };
	struct slo_figures f;

	(void)state;
	slo_evaluate(0.99, 28 * DAY, bad, &f);
	assert_true(f.page);
	slo_evaluate(0.99, 30 * DAY, bad, &f);
	assert_false(f.page);
	bad[SLO_LB_1h] = 483; /* burn 13.42 < 13.44 */
	slo_evaluate(0.99, 28 * DAY, bad, &f);
	assert_false(f.page);
	/* both windows must exceed: the 5-minute window has recovered */
	bad[SLO_LB_1h] = HOUR;
	bad[SLO_LB_5m] = 0;
	slo_evaluate(0.99, 28 * DAY, bad, &f);
	assert_false(f.page);
}

/* A slow burn: 3 d and 6 h above 1 but 24 h / 2 h not above 3 — ticket, no page. */
static void
slo__slow_burn_tickets_only(void **state)
{
	const int64_t bad[SLO_LB_COUNT] = {
		[SLO_LB_6h] = 1 * MIN,
		[SLO_LB_24h] = 3 * MIN,
		[SLO_LB_3d] = 10 * MIN,
		[SLO_LB_PERIOD] = 10 * MIN,
	};
	struct slo_figures f;

	(void)state;
	slo_evaluate(0.999, 30 * DAY, bad, &f);
	assert_true(f.burn[SLO_LB_3d] > 1 && f.burn[SLO_LB_6h] > 1);
	assert_true(f.burn[SLO_LB_24h] < 3);
	assert_true(f.ticket);
	assert_false(f.page);
}

static void
slo__objective_without_budget(void **state)
{
	const int64_t bad[SLO_LB_COUNT] = { HOUR, HOUR, HOUR, HOUR, HOUR, HOUR, HOUR, HOUR };
	struct slo_figures f;

	(void)state;
	slo_evaluate(1.0, 30 * DAY, bad, &f);
	assert_true(f.budget_minutes == 0.0);
	assert_true(isnan(f.budget_consumed) && isnan(f.burn[SLO_LB_1h]));
	assert_true(isnan(slo_budget_left_percent(&f)));
	assert_false(f.page || f.ticket);
	slo_evaluate(0.999, 0, bad, &f);
	assert_true(isnan(f.burn[SLO_LB_PERIOD]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(slo__lookback_names_and_lengths),
		cmocka_unit_test(slo__reference_search_pages_and_tickets),
		cmocka_unit_test(slo__reference_checkout_no_alert),
		cmocka_unit_test(slo__thresholds_derived_from_period),
		cmocka_unit_test(slo__slow_burn_tickets_only),
		cmocka_unit_test(slo__objective_without_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
