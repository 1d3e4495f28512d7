/* slo.c - error budget, burn rates and multiwindow multi-burn-rate alerts of spec
 * §4.10 for a time-based SLI, from downtime the caller measured (mttx downtime
 * windows). Pure arithmetic. Alert thresholds must stay derived from the budget
 * fractions and the period, never hard-coded to 14.4/6/3/1: those hold for 30 days
 * only (28 days gives 13.44/5.6/2.8/0.933). */
#include "sitrep/sitrep.h"
#include "sitrep/metrics.h"

#include <inttypes.h>
#include <math.h>

static const struct {
	const char *name;
	int64_t seconds;
} lookbacks[] = {
#define SLO_LOOKBACK_ENTRY(name, seconds) { #name, seconds },
	SLO_LOOKBACKS(SLO_LOOKBACK_ENTRY)
#undef SLO_LOOKBACK_ENTRY
};

/* The two alert pairs of the Workbook's table 5-8 that share a budget fraction:
 * long window, its 1/12 short window, and the fraction of budget the long window
 * may consume before the alert fires. */
struct alert_rule {
	enum slo_lookback long_window;
	enum slo_lookback short_window;
	double budget_fraction;
};

static const struct alert_rule page_rules[] = {
	{ SLO_LB_1h, SLO_LB_5m, 0.02 },
	{ SLO_LB_6h, SLO_LB_30m, 0.05 },
};

static const struct alert_rule ticket_rules[] = {
	{ SLO_LB_24h, SLO_LB_2h, 0.10 },
	{ SLO_LB_3d, SLO_LB_6h, 0.10 },
};

int64_t
slo_lookback_seconds(enum slo_lookback lb, int64_t period_seconds)
{
	if ((size_t)lb < ARRAY_SIZE(lookbacks))
		return lookbacks[lb].seconds;
	return period_seconds;
}

const char *
slo_lookback_name(enum slo_lookback lb, int64_t period_seconds, char *buf, size_t size)
{
	if ((size_t)lb < ARRAY_SIZE(lookbacks))
		snprintf(buf, size, "%s", lookbacks[lb].name);
	else if (period_seconds % 86400 == 0)
		snprintf(buf, size, "%" PRId64 "d", period_seconds / 86400);
	else if (period_seconds % 3600 == 0)
		snprintf(buf, size, "%" PRId64 "h", period_seconds / 3600);
	else
		snprintf(buf, size, "%" PRId64 "m", period_seconds / 60);
	return buf;
}

/* Workbook: burn = budget_fraction · period / long_window (30 d, 1 h, 2 %: 14.4). */
static bool
rule_fires(const struct alert_rule *rule, const struct slo_figures *f)
{
	double threshold = rule->budget_fraction * (double)f->period_seconds /
			   (double)slo_lookback_seconds(rule->long_window, f->period_seconds);

	return f->burn[rule->long_window] > threshold && f->burn[rule->short_window] > threshold;
}

static bool
any_fires(const struct alert_rule *rules, size_t n, const struct slo_figures *f)
{
	for (size_t i = 0; i < n; i++)
		if (rule_fires(&rules[i], f))
			return true;
	return false;
}

/* An objective outside (0, 1) has no error budget to burn: everything is NaN. */
static void
no_budget(struct slo_figures *out)
{
	out->budget_consumed = NAN;
	out->budget_remaining_minutes = NAN;
	for (int i = 0; i < SLO_LB_COUNT; i++)
		out->burn[i] = NAN;
}

void
slo_evaluate(double objective, int64_t period_seconds, const int64_t bad_seconds[SLO_LB_COUNT],
	     struct slo_figures *out)
{
	double allowed = 1.0 - objective; /* the error ratio the SLO allows */
	double bad_minutes = (double)bad_seconds[SLO_LB_PERIOD] / 60.0;

	memset(out, 0, sizeof(*out));
	out->objective = objective;
	out->period_seconds = period_seconds;
	if (!(objective > 0.0 && objective < 1.0) || period_seconds <= 0) {
		no_budget(out);
		return;
	}
	out->budget_minutes = allowed * (double)period_seconds / 60.0;
	out->budget_consumed = bad_minutes / out->budget_minutes;
	out->budget_remaining_minutes = out->budget_minutes - bad_minutes;
	for (int i = 0; i < SLO_LB_COUNT; i++) {
		int64_t len = slo_lookback_seconds((enum slo_lookback)i, period_seconds);

		out->burn[i] = (double)bad_seconds[i] / (double)len / allowed;
	}
	out->page = any_fires(page_rules, ARRAY_SIZE(page_rules), out);
	out->ticket = any_fires(ticket_rules, ARRAY_SIZE(ticket_rules), out);
}

double
slo_budget_left_percent(const struct slo_figures *f)
{
	if (!(f->budget_minutes > 0))
		return NAN;
	return f->budget_remaining_minutes / f->budget_minutes * 100;
}
