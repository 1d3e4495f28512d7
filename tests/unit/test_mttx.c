/* test_mttx.c - the MTTx accumulator against the reference dataset of
 * ../shared/metrics: every value of reference-expected.md §14 except DORA's (which
 * test_dora.c checks), SLO budgets and burns included because mttx measures their
 * downtime; then the edge cases of spec §5. Timestamps are parsed by a local helper
 * so that this test needs nothing outside src/metrics and src/core/{status,util}.c. */
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
#define PERIOD_30D (30 * DAY)

enum {
	CHECKOUT,
	SEARCH,
	N_SERVICES
};
static const char *const service_names[N_SERVICES] = { "checkout", "search" };

/* ---- time ---- */

/* ---- the reference dataset (reference.json, incidents) ---- */

struct ref_incident {
	const char *id;
	size_t service;
	enum mx_impact impact;
	const char *impact_start, *detected, *acknowledged;
	const char *contained, *resolved;
	const char *reopen_resolved, *reopened; /* at most one reopen in the dataset */
	int sla_target_minutes;
	enum mx_schedule schedule;
	const char *sla_start, *sla_stop;
	const char *pause_start, *pause_end;
};

static const struct ref_incident reference[] = {
	{ "INC-01", CHECKOUT, MX_IMPACT_OUTAGE, "2025-02-28T23:00:00Z", "2025-02-28T23:10:00Z",
	  "2025-02-28T23:15:00Z", "2025-03-01T00:30:00Z", "2025-03-01T01:00:00Z", NULL, NULL, 120,
	  MX_SCHEDULE_24X7, "2025-02-28T23:10:00Z", "2025-03-01T01:00:00Z", NULL, NULL },
	{ "INC-02", CHECKOUT, MX_IMPACT_OUTAGE, "2025-03-03T10:00:00Z", "2025-03-03T10:05:00Z",
	  "2025-03-03T10:03:00Z", "2025-03-03T10:40:00Z", "2025-03-03T11:00:00Z", NULL, NULL, 480,
	  MX_SCHEDULE_24X7, "2025-03-03T10:05:00Z", "2025-03-03T11:00:00Z", NULL, NULL },
	{ "INC-03", CHECKOUT, MX_IMPACT_OUTAGE, "2025-03-05T14:00:00Z", "2025-03-05T14:02:00Z",
	  "2025-03-05T14:07:00Z", "2025-03-05T14:50:00Z", "2025-03-05T15:10:00Z", NULL, NULL, 120,
	  MX_SCHEDULE_24X7, "2025-03-05T14:02:00Z", "2025-03-05T15:10:00Z", NULL, NULL },
	{ "INC-04", CHECKOUT, MX_IMPACT_OUTAGE, "2025-03-05T14:30:00Z", "2025-03-05T14:35:00Z",
	  "2025-03-05T14:45:00Z", "2025-03-05T15:20:00Z", "2025-03-05T15:40:00Z", NULL, NULL, 480,
	  MX_SCHEDULE_24X7, "2025-03-05T14:35:00Z", "2025-03-05T15:40:00Z", NULL, NULL },
	{ "INC-05", SEARCH, MX_IMPACT_OUTAGE, NULL, "2025-03-08T02:00:00Z", NULL, NULL,
	  "2025-03-08T02:25:00Z", NULL, NULL, 1440, MX_SCHEDULE_24X7, "2025-03-08T02:00:00Z",
	  "2025-03-08T02:25:00Z", NULL, NULL },
	{ "INC-06", SEARCH, MX_IMPACT_DEGRADED, "2025-03-10T09:00:00Z", "2025-03-10T09:20:00Z",
	  "2025-03-10T09:50:00Z", "2025-03-10T11:00:00Z", "2025-03-10T12:00:00Z", NULL, NULL, 1440,
	  MX_SCHEDULE_24X7, "2025-03-10T09:20:00Z", "2025-03-10T12:00:00Z", NULL, NULL },
	{ "INC-07", SEARCH, MX_IMPACT_OUTAGE, "2025-03-12T20:00:00Z", "2025-03-12T20:05:00Z",
	  "2025-03-12T20:15:00Z", "2025-03-12T20:45:00Z", "2025-03-13T00:30:00Z",
	  "2025-03-12T21:00:00Z", "2025-03-12T23:00:00Z", 480, MX_SCHEDULE_24X7,
	  "2025-03-12T20:05:00Z", "2025-03-13T00:30:00Z", NULL, NULL },
	{ "INC-08", CHECKOUT, MX_IMPACT_OUTAGE, "2025-03-15T08:00:00Z", "2025-03-15T08:30:00Z",
	  "2025-03-15T08:40:00Z", "2025-03-15T12:00:00Z", "2025-03-15T18:00:00Z", NULL, NULL, 480,
	  MX_SCHEDULE_24X7, "2025-03-15T08:30:00Z", "2025-03-15T18:00:00Z", "2025-03-15T13:00:00Z",
	  "2025-03-15T15:00:00Z" },
	{ "INC-09", SEARCH, MX_IMPACT_DEGRADED, "2025-03-14T15:30:00Z", "2025-03-14T16:00:00Z",
	  "2025-03-14T16:20:00Z", "2025-03-17T09:30:00Z", "2025-03-17T10:00:00Z", NULL, NULL, 480,
	  MX_SCHEDULE_BUSINESS_HOURS, "2025-03-14T16:00:00Z", "2025-03-17T10:00:00Z", NULL, NULL },
	{ "INC-10", CHECKOUT, MX_IMPACT_OUTAGE, "2025-03-20T16:02:00Z", "2025-03-20T16:04:00Z",
	  "2025-03-20T16:06:00Z", "2025-03-20T16:20:00Z", "2025-03-20T16:30:00Z", NULL, NULL, 480,
	  MX_SCHEDULE_24X7, "2025-03-20T16:04:00Z", "2025-03-20T16:30:00Z", NULL, NULL },
	{ "INC-11", SEARCH, MX_IMPACT_OUTAGE, "2025-03-24T03:00:00Z", "2025-03-24T03:04:00Z",
	  "2025-03-24T03:20:00Z", "2025-03-24T03:50:00Z", "2025-03-24T05:30:00Z", NULL, NULL, 120,
	  MX_SCHEDULE_24X7, "2025-03-24T03:04:00Z", "2025-03-24T05:30:00Z", NULL, NULL },
	{ "INC-12", SEARCH, MX_IMPACT_OUTAGE, "2025-03-30T21:30:00Z", "2025-03-30T21:33:00Z",
	  "2025-03-30T21:38:00Z", NULL, NULL, NULL, NULL, 120, MX_SCHEDULE_24X7,
	  "2025-03-30T21:33:00Z", NULL, NULL, NULL },
};

#define N_REF ARRAY_SIZE(reference)

/* Storage for the rows' borrowed arrays. */
struct ref_rows {
	struct mx_incident rows[N_REF];
	struct mx_reopen reopens[N_REF];
	struct mx_pause pauses[N_REF];
};

static void
ref_row(struct ref_rows *store, size_t i)
{
	const struct ref_incident *r = &reference[i];
	struct mx_incident *inc = &store->rows[i];

	*inc = (struct mx_incident){
		.service = r->service,
		.primary = true,
		.impact = r->impact,
		.impact_start = ts(r->impact_start),
		.detected_at = ts(r->detected),
		.acknowledged_at = ts(r->acknowledged),
		.contained_at = ts(r->contained),
		.resolved_at = ts(r->resolved),
	};
	if (r->reopened) {
		store->reopens[i] = (struct mx_reopen){ ts(r->reopen_resolved), ts(r->reopened) };
		inc->reopens = &store->reopens[i];
		inc->n_reopens = 1;
	}
	inc->sla = (struct mx_sla){ .present = true,
				    .schedule = r->schedule,
				    .target_seconds = r->sla_target_minutes * MIN,
				    .start_time = ts(r->sla_start),
				    .stop_time = ts(r->sla_stop) };
	if (r->pause_start) {
		store->pauses[i] = (struct mx_pause){ ts(r->pause_start), ts(r->pause_end) };
		inc->sla.pauses = &store->pauses[i];
		inc->sla.n_pauses = 1;
	}
}

static void
ref_rows_init(struct ref_rows *store)
{
	for (size_t i = 0; i < N_REF; i++)
		ref_row(store, i);
}

/* ---- running the accumulator ---- */

static struct mx_window
march(void)
{
	return (struct mx_window){ ts("2025-03-01T00:00:00Z"), ts("2025-03-31T00:00:00Z") };
}

/* The SLO lookbacks at the end of March, then the 30-day period (spec §4.10). */
static void
burn_windows(struct mx_window windows[SLO_LB_COUNT])
{
	int64_t at = march().end;

	for (int i = 0; i < SLO_LB_COUNT; i++) {
		int64_t len = slo_lookback_seconds((enum slo_lookback)i, PERIOD_30D);

		windows[i] = (struct mx_window){ at - len, at };
	}
}

static struct mttx_params
params_for(struct mx_window window, size_t n_services)
{
	return (struct mttx_params){
		.window = window,
		.n_services = n_services,
		.reopen_merge_seconds = 24 * HOUR,
	};
}

static void
run(const struct mttx_params *p, const struct mx_incident *rows, size_t n, struct mttx_result *res)
{
	struct mttx *m = mttx_new(p);

	for (size_t i = 0; i < n; i++)
		mttx_add(m, &rows[i]);
	mttx_finish(m, res);
	mttx_free(&m);
	assert_null(m);
}

static void
run_reference(const struct mx_incident *rows, struct mttx_result *res)
{
	static const struct mx_business_hours hours = {
		.weekdays = 0x3e, /* reference.json settings: Mon-Fri 09:00-17:00 UTC */
		.start_minute = 9 * 60,
		.end_minute = 17 * 60,
	};
	struct mx_window windows[SLO_LB_COUNT];
	struct mttx_params p = params_for(march(), N_SERVICES);

	burn_windows(windows);
	p.business_hours = &hours;
	p.downtime_windows = windows;
	p.n_downtime_windows = SLO_LB_COUNT;
	run(&p, rows, N_REF, res);
}

/* ---- checking reference-expected.md §14 ---- */

static const char expected_values[] = "window.minutes = 43200\n"
				      "mttd.checkout.n = 5\n"
				      "mttd.checkout.mean = 42/5\n"
				      "mttd.checkout.median = 3\n"
				      "mttd.checkout.p90 = 20\n"
				      "mttd.search.n = 5\n"
				      "mttd.search.mean = 62/5\n"
				      "mttd.search.median = 5\n"
				      "mttd.search.p90 = 26\n"
				      "mttd.all.n = 10\n"
				      "mttd.all.mean = 52/5\n"
				      "mttd.all.median = 9/2\n"
				      "mttd.all.p90 = 30\n"
				      "mtta.checkout.n = 5\n"
				      "mtta.checkout.mean = 27/5\n"
				      "mtta.checkout.median = 5\n"
				      "mtta.checkout.p90 = 10\n"
				      "mtta.search.n = 5\n"
				      "mtta.search.mean = 81/5\n"
				      "mtta.search.median = 16\n"
				      "mtta.search.p90 = 26\n"
				      "mtta.all.n = 10\n"
				      "mtta.all.mean = 54/5\n"
				      "mtta.all.median = 10\n"
				      "mtta.all.p90 = 21\n"
				      "unacknowledged_in_window.all = 1\n"
				      "mttc.checkout.n = 6\n"
				      "mttc.checkout.mean = 218/3\n"
				      "mttc.checkout.median = 93/2\n"
				      "mttc.checkout.p90 = 145\n"
				      "mttc.search.n = 4\n"
				      "mttc.search.mean = 1029\n"
				      "mttc.search.median = 73\n"
				      "mttc.search.p90 = 2781\n"
				      "mttc.all.n = 10\n"
				      "mttc.all.mean = 2276/5\n"
				      "mttc.all.median = 47\n"
				      "mttc.all.p90 = 582\n"
				      "mttr.checkout.n = 6\n"
				      "mttr.checkout.mean = 158\n"
				      "mttr.checkout.median = 70\n"
				      "mttr.checkout.p90 = 360\n"
				      "mttr.search.n = 5\n"
				      "mttr.search.mean = 923\n"
				      "mttr.search.median = 180\n"
				      "mttr.search.p90 = 2502\n"
				      "mttr.all.n = 11\n"
				      "mttr.all.mean = 5563/11\n"
				      "mttr.all.median = 120\n"
				      "mttr.all.p90 = 600\n"
				      "open_at_window_end.all = 1\n"
				      "downtime.checkout = 408\n"
				      "downtime.search = 360\n"
				      "downtime.all = 768\n"
				      "availability.checkout = 1783/1800\n"
				      "availability.search = 119/120\n"
				      "availability.all = 223/225\n"
				      "failures.checkout = 4\n"
				      "failures.search = 4\n"
				      "failures.all = 8\n"
				      "mtbf.checkout = 10698\n"
				      "mtbf.search = 10710\n"
				      "mtbf.all = 10704\n"
				      "mdt.checkout = 102\n"
				      "mdt.search = 90\n"
				      "mdt.all = 96\n"
				      "sla.met.checkout = 6\n"
				      "sla.breached.checkout = 0\n"
				      "sla.compliance.checkout = 1\n"
				      "sla.met.search = 4\n"
				      "sla.breached.search = 2\n"
				      "sla.compliance.search = 2/3\n"
				      "sla.met.all = 10\n"
				      "sla.breached.all = 2\n"
				      "sla.compliance.all = 5/6\n"
				      "slo.budget_minutes.checkout = 216/5\n"
				      "slo.budget_consumed.checkout = 85/9\n"
				      "slo.budget_remaining_minutes.checkout = -1824/5\n"
				      "slo.budget_minutes.search = 432\n"
				      "slo.budget_consumed.search = 5/6\n"
				      "slo.budget_remaining_minutes.search = 72\n"
				      "burn.5m.checkout = 0\n"
				      "burn.30m.checkout = 0\n"
				      "burn.1h.checkout = 0\n"
				      "burn.2h.checkout = 0\n"
				      "burn.6h.checkout = 0\n"
				      "burn.24h.checkout = 0\n"
				      "burn.3d.checkout = 0\n"
				      "burn.30d.checkout = 85/9\n"
				      "burn.5m.search = 100\n"
				      "burn.30m.search = 100\n"
				      "burn.1h.search = 100\n"
				      "burn.2h.search = 100\n"
				      "burn.6h.search = 125/3\n"
				      "burn.24h.search = 125/12\n"
				      "burn.3d.search = 125/36\n"
				      "burn.30d.search = 5/6\n"
				      "alert.page.checkout = 0\n"
				      "alert.ticket.checkout = 0\n"
				      "alert.page.search = 1\n"
				      "alert.ticket.search = 1\n";

struct computed {
	struct mttx_result mttx;
	struct slo_figures slo[N_SERVICES];
};

static const struct mttx_figures *
figures_of(const struct computed *c, const char *service)
{
	if (streq(service, "all"))
		return &c->mttx.all;
	for (size_t i = 0; i < N_SERVICES; i++)
		if (streq(service, service_names[i]))
			return &c->mttx.services[i];
	fail_msg("unknown service %s", service);
	return NULL;
}

static const struct slo_figures *
slo_of(const struct computed *c, const char *service)
{
	for (size_t i = 0; i < N_SERVICES; i++)
		if (streq(service, service_names[i]))
			return &c->slo[i];
	fail_msg("no SLO for %s", service);
	return NULL;
}

static double
stat_field(const struct mx_stat *s, const char *field)
{
	if (streq(field, "n"))
		return (double)s->n;
	if (streq(field, "mean"))
		return s->mean;
	if (streq(field, "median"))
		return s->median;
	if (streq(field, "p90"))
		return s->p90;
	fail_msg("unknown statistic %s", field);
	return NAN;
}

static const struct mx_stat *
mttx_stat(const struct mttx_figures *f, const char *metric)
{
	if (streq(metric, "mttd"))
		return &f->ttd;
	if (streq(metric, "mtta"))
		return &f->tta;
	if (streq(metric, "mttc"))
		return &f->ttc;
	if (streq(metric, "mttr"))
		return &f->ttr;
	return NULL;
}

/* "downtime.checkout", "unacknowledged_in_window.all", ... */
static double
figure_value(const struct mttx_figures *f, const char *name)
{
	if (streq(name, "downtime"))
		return f->downtime;
	if (streq(name, "availability"))
		return f->availability;
	if (streq(name, "mtbf"))
		return f->mtbf;
	if (streq(name, "mdt"))
		return f->mdt;
	if (streq(name, "failures"))
		return (double)f->failures;
	if (streq(name, "unacknowledged_in_window"))
		return (double)f->unacknowledged;
	if (streq(name, "open_at_window_end"))
		return (double)f->open_at_window_end;
	fail_msg("unknown figure %s", name);
	return NAN;
}

static double
sla_value(const struct mttx_figures *f, const char *field)
{
	if (streq(field, "met"))
		return (double)f->sla_met;
	if (streq(field, "breached"))
		return (double)f->sla_breached;
	if (streq(field, "compliance"))
		return f->sla_compliance;
	fail_msg("unknown SLA figure %s", field);
	return NAN;
}

static double
slo_value(const struct slo_figures *s, const char *kind, const char *field)
{
	char name[16];

	if (streq(kind, "slo") && streq(field, "budget_minutes"))
		return s->budget_minutes;
	if (streq(kind, "slo") && streq(field, "budget_consumed"))
		return s->budget_consumed;
	if (streq(kind, "slo") && streq(field, "budget_remaining_minutes"))
		return s->budget_remaining_minutes;
	if (streq(kind, "alert") && streq(field, "page"))
		return s->page;
	if (streq(kind, "alert") && streq(field, "ticket"))
		return s->ticket;
	/* Burn names go through slo_lookback_name(), so "30d" is checked too. */
	for (int i = 0; streq(kind, "burn") && i < SLO_LB_COUNT; i++)
		if (streq(field, slo_lookback_name((enum slo_lookback)i, s->period_seconds, name,
						   sizeof(name))))
			return s->burn[i];
	fail_msg("unknown SLO figure %s.%s", kind, field);
	return NAN;
}

/* Splits "a.b.c" into at most 3 parts of at most 47 characters; returns how many. */
static size_t
split_key(const char *key, char parts[3][48])
{
	size_t n = 0;

	for (;;) {
		const char *dot = strchr(key, '.');
		size_t len = dot ? (size_t)(dot - key) : strlen(key);

		assert_true(n < 3 && len < 48);
		memcpy(parts[n], key, len);
		parts[n++][len] = '\0';
		if (!dot)
			return n;
		key = dot + 1;
	}
}

static double
lookup(const struct computed *c, const char *key)
{
	char p[3][48];
	size_t n = split_key(key, p);

	if (n == 2 && streq(p[0], "window"))
		return (double)(march().end - march().start) / MIN;
	if (n == 2)
		return figure_value(figures_of(c, p[1]), p[0]);
	assert_int_equal(n, 3);
	if (mttx_stat(&c->mttx.all, p[0]))
		return stat_field(mttx_stat(figures_of(c, p[1]), p[0]), p[2]);
	if (streq(p[0], "sla"))
		return sla_value(figures_of(c, p[2]), p[1]);
	return slo_value(slo_of(c, p[2]), p[0], p[1]);
}

static double
lookup_any(const void *ctx, const char *key)
{
	return lookup(ctx, key);
}

static void
compute_reference(const struct mx_incident *rows, struct computed *c)
{
	static const double objective[N_SERVICES] = { 0.999, 0.99 };

	run_reference(rows, &c->mttx);
	for (size_t i = 0; i < N_SERVICES; i++)
		slo_evaluate(objective[i], PERIOD_30D, c->mttx.services[i].window_downtime,
			     &c->slo[i]);
}

static void
mttx__reference_expected_values(void **state)
{
	struct ref_rows store;
	struct computed c;

	(void)state;
	ref_rows_init(&store);
	compute_reference(store.rows, &c);
	assert_int_equal(check_expected_values(expected_values, lookup_any, &c), 101);
	/* Beside the expected block: §6 exclusion counts and INC-12's age (E1). */
	assert_int_equal(c.mttx.all.ttd_excluded_imputed, 1);
	assert_int_equal(c.mttx.services[SEARCH].oldest_open_seconds, 150 * MIN);
	assert_int_equal(c.mttx.services[CHECKOUT].oldest_open_seconds, 0);
	assert_int_equal(c.mttx.all.window_downtime[SLO_LB_PERIOD], 768 * MIN);
	mttx_result_release(&c.mttx);
}

/* ---- order independence ---- */

static bool
same_double(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

static void
assert_same_stat(const struct mx_stat *a, const struct mx_stat *b)
{
	assert_int_equal(a->n, b->n);
	assert_true(same_double(a->mean, b->mean));
	assert_true(same_double(a->median, b->median));
	assert_true(same_double(a->p90, b->p90));
}

static void
assert_same_figures(const struct mttx_figures *a, const struct mttx_figures *b, size_t n_dw)
{
	assert_same_stat(&a->ttd, &b->ttd);
	assert_same_stat(&a->tta, &b->tta);
	assert_same_stat(&a->ttc, &b->ttc);
	assert_same_stat(&a->ttr, &b->ttr);
	assert_int_equal(a->ttd_excluded_imputed, b->ttd_excluded_imputed);
	assert_int_equal(a->unacknowledged, b->unacknowledged);
	assert_int_equal(a->open_at_window_end, b->open_at_window_end);
	assert_int_equal(a->oldest_open_seconds, b->oldest_open_seconds);
	assert_true(same_double(a->downtime, b->downtime));
	assert_true(same_double(a->availability, b->availability));
	assert_int_equal(a->failures, b->failures);
	assert_true(same_double(a->mtbf, b->mtbf));
	assert_true(same_double(a->mdt, b->mdt));
	assert_int_equal(a->sla_met, b->sla_met);
	assert_int_equal(a->sla_breached, b->sla_breached);
	assert_true(same_double(a->sla_compliance, b->sla_compliance));
	for (size_t i = 0; i < n_dw; i++)
		assert_int_equal(a->window_downtime[i], b->window_downtime[i]);
}

static void
assert_same_result(const struct mttx_result *a, const struct mttx_result *b, size_t n_dw)
{
	assert_int_equal(a->n_services, b->n_services);
	for (size_t i = 0; i < a->n_services; i++)
		assert_same_figures(&a->services[i], &b->services[i], n_dw);
	assert_same_figures(&a->all, &b->all, n_dw);
}

static uint64_t
lcg(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005u + 1442695040888963407u;
	return *seed >> 33;
}

static void
shuffle(struct mx_incident *rows, size_t n, uint64_t *seed)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = lcg(seed) % i;
		struct mx_incident t = rows[i - 1];

		rows[i - 1] = rows[j];
		rows[j] = t;
	}
}

static void
mttx__out_of_order_rows_identical(void **state)
{
	struct ref_rows store;
	struct mx_incident rows[N_REF];
	struct mttx_result first, again;
	uint64_t seed = 42;

	(void)state;
	ref_rows_init(&store);
	run_reference(store.rows, &first);
	for (int round = 0; round < 20; round++) {
		memcpy(rows, store.rows, sizeof(rows));
		shuffle(rows, N_REF, &seed);
		run_reference(rows, &again);
		assert_same_result(&first, &again, SLO_LB_COUNT);
		mttx_result_release(&again);
	}
	mttx_result_release(&first);
}

static int64_t
random_below(uint64_t *seed, int64_t bound)
{
	return (int64_t)(lcg(seed) % (uint64_t)bound);
}

/* Overlapping rows of every impact, with and without milestones, merged and late
 * reopens, secondary rows, SLAs of both schedules. */
static void
synthetic_row(struct mx_incident *inc, struct mx_reopen *reopen, uint64_t *seed)
{
	int64_t start = march().start - 5 * DAY + random_below(seed, 40 * DAY);
	bool acked = random_below(seed, 6), contained = random_below(seed, 3);
	/* An open outage absorbs every later one into its episode: keep them late. */
	bool resolved = start < march().end - 3 * DAY || random_below(seed, 3);

	*inc = (struct mx_incident){
		.service = (size_t)random_below(seed, 4),
		.primary = random_below(seed, 5) != 0,
		.impact = (enum mx_impact)random_below(seed, 3),
		.impact_start = random_below(seed, 7) ? start : TIME_NONE,
		.detected_at = start + random_below(seed, HOUR),
		.acknowledged_at = acked ? start + random_below(seed, 2 * HOUR) : TIME_NONE,
		.contained_at = contained ? start + random_below(seed, 5 * HOUR) : TIME_NONE,
		.resolved_at = resolved ? start + 5 * HOUR + random_below(seed, DAY) : TIME_NONE,
	};
	if (resolved && random_below(seed, 4) == 0) {
		reopen->resolved_at = inc->resolved_at;
		reopen->reopened_at = inc->resolved_at + random_below(seed, 2 * DAY);
		inc->resolved_at = reopen->reopened_at + HOUR;
		inc->reopens = reopen;
		inc->n_reopens = 1;
	}
	inc->sla = (struct mx_sla){ .present = true,
				    .schedule = (enum mx_schedule)random_below(seed, 2),
				    .target_seconds = 4 * HOUR,
				    .start_time = inc->detected_at,
				    .stop_time = inc->resolved_at };
}

static void
mttx__out_of_order_synthetic_identical(void **state)
{
	enum {
		N = 3000
	};
	struct mx_incident *rows = xcalloc(N, sizeof(*rows));
	struct mx_reopen *reopens = xcalloc(N, sizeof(*reopens));
	struct mx_window windows[SLO_LB_COUNT];
	struct mttx_params p = params_for(march(), 4);
	struct mttx_result first, again;
	uint64_t seed = 7;

	(void)state;
	burn_windows(windows);
	p.downtime_windows = windows;
	p.n_downtime_windows = SLO_LB_COUNT;
	for (size_t i = 0; i < N; i++)
		synthetic_row(&rows[i], &reopens[i], &seed);
	run(&p, rows, N, &first);
	assert_true(first.all.failures > 0 && first.all.ttr.n > 0 && first.all.sla_breached > 0);
	for (int round = 0; round < 3; round++) {
		shuffle(rows, N, &seed);
		run(&p, rows, N, &again);
		assert_same_result(&first, &again, SLO_LB_COUNT);
		mttx_result_release(&again);
	}
	mttx_result_release(&first);
	free(rows);
	free(reopens);
}

/* ---- edge cases (spec §5) ---- */

static struct mx_incident
outage(const char *impact_start, const char *contained, const char *resolved)
{
	return (struct mx_incident){
		.service = 0,
		.primary = true,
		.impact = MX_IMPACT_OUTAGE,
		.impact_start = ts(impact_start),
		.detected_at = ts(impact_start),
		.acknowledged_at = ts(impact_start),
		.contained_at = ts(contained),
		.resolved_at = ts(resolved),
	};
}

static void
run_one_service(const struct mx_incident *rows, size_t n, struct mttx_result *res)
{
	struct mttx_params p = params_for(march(), 1);

	run(&p, rows, n, res);
}

static void
mttx__empty_input(void **state)
{
	struct mttx_params p = params_for(march(), 2);
	struct mttx_result res;

	(void)state;
	run(&p, NULL, 0, &res);
	for (size_t i = 0; i <= res.n_services; i++) {
		const struct mttx_figures *f = i < res.n_services ? &res.services[i] : &res.all;

		assert_int_equal(f->ttd.n, 0);
		assert_true(isnan(f->ttd.mean) && isnan(f->tta.median) && isnan(f->ttc.p90));
		assert_true(isnan(f->ttr.mean));
		assert_true(f->downtime == 0.0 && f->availability == 1.0);
		assert_int_equal(f->failures, 0);
		assert_true(isnan(f->mtbf) && isnan(f->mdt) && isnan(f->sla_compliance));
		assert_int_equal(f->open_at_window_end, 0);
		assert_null(f->window_downtime);
	}
	mttx_result_release(&res);
}

static void
mttx__no_services(void **state)
{
	struct mttx_params p = params_for(march(), 0);
	struct mttx_result res;

	(void)state;
	run(&p, NULL, 0, &res);
	assert_null(res.services);
	assert_true(isnan(res.all.availability) && isnan(res.all.ttr.mean));
	mttx_result_release(&res);
}

/* E3: a reopen more than 24 h after resolution is a new failure with its own TTR
 * (and no TTD/TTA of its own); within 24 h it stays one failure and the up gap is
 * not downtime. */
static void
mttx__reopen_after_24h_is_new_failure(void **state)
{
	struct mx_incident inc =
		outage("2025-03-02T10:00:00Z", "2025-03-02T10:30:00Z", "2025-03-04T12:00:00Z");
	struct mx_reopen late = { ts("2025-03-02T11:00:00Z"), ts("2025-03-04T10:00:00Z") };
	struct mx_reopen early = { ts("2025-03-02T11:00:00Z"), ts("2025-03-03T10:00:00Z") };
	struct mttx_result res;

	(void)state;
	inc.reopens = &late;
	inc.n_reopens = 1;
	run_one_service(&inc, 1, &res);
	assert_int_equal(res.all.failures, 2);
	assert_true(res.all.downtime == 30.0 + 120.0);
	assert_int_equal(res.all.ttr.n, 2);
	assert_true(res.all.ttr.median == (60.0 + 120.0) / 2);
	assert_int_equal(res.all.ttd.n, 1);
	assert_int_equal(res.all.tta.n, 1);
	assert_int_equal(res.all.ttc.n, 1);
	assert_int_equal(res.all.unacknowledged, 0);
	mttx_result_release(&res);

	inc.reopens = &early;
	inc.resolved_at = ts("2025-03-03T12:00:00Z");
	run_one_service(&inc, 1, &res);
	assert_int_equal(res.all.failures, 1);
	assert_true(res.all.downtime == 30.0 + 120.0);
	assert_int_equal(res.all.ttr.n, 1);
	assert_true(res.all.ttr.mean == 26 * 60.0);
	mttx_result_release(&res);
}

/* A late reopen still open at W's end: down until the end, open, no TTR. */
static void
mttx__late_reopen_still_open(void **state)
{
	struct mx_incident inc = outage("2025-03-29T10:00:00Z", NULL, NULL);
	struct mx_reopen late = { ts("2025-03-29T11:00:00Z"), ts("2025-03-30T23:00:00Z") };
	struct mttx_result res;

	(void)state;
	inc.reopens = &late;
	inc.n_reopens = 1;
	run_one_service(&inc, 1, &res);
	assert_int_equal(res.all.failures, 2);
	assert_true(res.all.downtime == 60.0 + 60.0);
	assert_int_equal(res.all.ttr.n, 1);
	assert_int_equal(res.all.open_at_window_end, 1);
	assert_int_equal(res.all.oldest_open_seconds, HOUR);
	mttx_result_release(&res);
}

/* E4: downtime is the union of overlapping outages, and they are one failure. */
static void
mttx__overlapping_outages_union(void **state)
{
	struct mx_incident rows[] = {
		outage("2025-03-05T14:00:00Z", "2025-03-05T14:50:00Z", "2025-03-05T15:10:00Z"),
		outage("2025-03-05T14:30:00Z", "2025-03-05T15:20:00Z", "2025-03-05T15:40:00Z"),
		outage("2025-03-05T14:40:00Z", "2025-03-05T14:45:00Z", "2025-03-05T14:46:00Z"),
		/* touching the union: the service never came back up, same failure */
		outage("2025-03-05T15:20:00Z", "2025-03-05T15:30:00Z", "2025-03-05T15:30:00Z"),
		outage("2025-03-06T10:00:00Z", "2025-03-06T10:10:00Z", "2025-03-06T10:10:00Z"),
	};
	struct mttx_result res;

	(void)state;
	run_one_service(rows, ARRAY_SIZE(rows), &res);
	assert_true(res.all.downtime == 90.0 + 10.0);
	assert_int_equal(res.all.failures, 2);
	assert_int_equal(res.all.ttr.n, 5);
	assert_true(res.all.mdt == 50.0);
	assert_true(res.all.mtbf == (30.0 * 24 * 60 - 100.0) / 2);
	mttx_result_release(&res);
}

/* E12: planned maintenance counts for nothing; degraded is not downtime. */
static void
mttx__planned_impact_ignored(void **state)
{
	struct mx_incident rows[] = {
		outage("2025-03-05T14:00:00Z", "2025-03-05T14:50:00Z", "2025-03-05T15:10:00Z"),
		outage("2025-03-06T14:00:00Z", "2025-03-06T14:50:00Z", NULL),
		outage("2025-03-07T14:00:00Z", "2025-03-07T14:50:00Z", "2025-03-07T15:10:00Z"),
	};
	struct mttx_result res;

	(void)state;
	rows[0].impact = MX_IMPACT_PLANNED;
	rows[1].impact = MX_IMPACT_PLANNED;
	rows[1].sla = (struct mx_sla){ .present = true,
				       .target_seconds = 60,
				       .start_time = rows[1].detected_at,
				       .stop_time = TIME_NONE };
	rows[2].impact = MX_IMPACT_DEGRADED;
	run_one_service(rows, ARRAY_SIZE(rows), &res);
	assert_true(res.all.downtime == 0.0 && res.all.availability == 1.0);
	assert_int_equal(res.all.failures, 0);
	assert_int_equal(res.all.ttr.n, 1);
	assert_int_equal(res.all.open_at_window_end, 0);
	assert_int_equal(res.all.sla_breached, 0);
	mttx_result_release(&res);
}

/* E1: open incidents are down until each window's end. */
static void
mttx__open_incident_down_until_each_window_end(void **state)
{
	struct mx_incident inc = outage("2025-03-30T22:00:00Z", NULL, NULL);
	struct mx_window windows[] = {
		{ ts("2025-03-30T23:00:00Z"), ts("2025-03-31T00:00:00Z") },
		{ ts("2025-03-30T00:00:00Z"), ts("2025-03-30T23:30:00Z") },
		{ ts("2025-04-01T00:00:00Z"), ts("2025-04-01T01:00:00Z") },
		{ ts("2025-03-01T00:00:00Z"), ts("2025-03-30T00:00:00Z") },
	};
	struct mttx_params p = params_for(march(), 1);
	struct mttx_result res;

	(void)state;
	p.downtime_windows = windows;
	p.n_downtime_windows = ARRAY_SIZE(windows);
	run(&p, &inc, 1, &res);
	assert_true(res.all.downtime == 120.0);
	assert_int_equal(res.services[0].window_downtime[0], HOUR);
	assert_int_equal(res.services[0].window_downtime[1], 90 * MIN);
	assert_int_equal(res.services[0].window_downtime[2], HOUR);
	assert_int_equal(res.services[0].window_downtime[3], 0);
	assert_int_equal(res.all.open_at_window_end, 1);
	assert_int_equal(res.all.oldest_open_seconds, 2 * HOUR);
	mttx_result_release(&res);
}

/* E7: an incident on two services counts once pooled and once per service; its
 * downtime counts in both services' minutes. */
static void
mttx__multi_service_incident_pooled_once(void **state)
{
	struct mx_incident rows[2] = {
		outage("2025-03-05T14:00:00Z", "2025-03-05T14:30:00Z", "2025-03-05T15:00:00Z"),
	};
	struct mttx_params p = params_for(march(), 2);
	struct mttx_result res;

	(void)state;
	rows[1] = rows[0];
	rows[1].service = 1;
	rows[1].primary = false;
	run(&p, rows, 2, &res);
	assert_int_equal(res.services[0].ttr.n, 1);
	assert_int_equal(res.services[1].ttr.n, 1);
	assert_int_equal(res.all.ttr.n, 1);
	assert_int_equal(res.all.failures, 2);
	assert_true(res.all.downtime == 60.0);
	assert_true(res.all.availability == 1.0 - 60.0 / (2 * 30 * 24 * 60.0));
	mttx_result_release(&res);
}

/* §4.6: a breach counts in the window its clock crossed the target, whether the
 * SLA stopped later or is still running; a met SLA counts when it stopped. */
static void
mttx__sla_breach_counted_at_crossing(void **state)
{
	struct mx_incident rows[] = {
		outage("2025-03-30T20:00:00Z", NULL, "2025-04-01T10:00:00Z"),
		outage("2025-03-30T23:30:00Z", NULL, NULL),
		outage("2025-02-28T20:00:00Z", NULL, "2025-03-01T10:00:00Z"),
		outage("2025-03-30T20:00:00Z", NULL, "2025-04-01T10:00:00Z"),
	};
	struct mttx_result res;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		rows[i].sla = (struct mx_sla){ .present = true,
					       .target_seconds = 2 * HOUR,
					       .start_time = rows[i].detected_at,
					       .stop_time = rows[i].resolved_at };
	rows[3].sla.target_seconds = 3 * DAY; /* met, but in April */
	run_one_service(rows, ARRAY_SIZE(rows), &res);
	assert_int_equal(res.all.sla_breached, 1); /* the first only: crossed at 22:00 */
	assert_int_equal(res.all.sla_met, 0);
	assert_true(res.all.sla_compliance == 0.0);
	mttx_result_release(&res);
}

/* §3.2 and §2: ack before detection moves detection; containment after resolution
 * is clipped; a missing impact start is imputed and kept out of MTTD only. */
static void
mttx__normalisation_applied(void **state)
{
	struct mx_incident inc =
		outage("2025-03-05T14:00:00Z", "2025-03-05T16:00:00Z", "2025-03-05T15:00:00Z");
	struct mx_incident raw;
	struct mttx_result res;

	(void)state;
	inc.impact_start = TIME_NONE;
	inc.detected_at = ts("2025-03-05T14:10:00Z");
	raw = inc;
	assert_int_equal(mx_normalize(&raw),
			 MX_DETECTED_MOVED | MX_IMPACT_IMPUTED | MX_CONTAINED_MOVED);
	assert_int_equal(raw.impact_start, ts("2025-03-05T14:00:00Z"));
	run_one_service(&inc, 1, &res);
	assert_int_equal(res.all.ttd.n, 0);
	assert_int_equal(res.all.ttd_excluded_imputed, 1);
	assert_true(res.all.tta.mean == 0.0);
	assert_true(res.all.ttc.mean == 60.0);
	assert_true(res.all.downtime == 60.0);
	mttx_result_release(&res);
}

/* E5: a duration still negative after normalisation is floored at 0. */
static void
mttx__negative_durations_floored(void **state)
{
	struct mx_incident inc =
		outage("2025-03-05T14:00:00Z", "2025-03-05T13:00:00Z", "2025-03-05T15:00:00Z");
	struct mttx_result res;

	(void)state;
	inc.detected_at = ts("2025-03-05T14:30:00Z");
	inc.acknowledged_at = TIME_NONE;
	run_one_service(&inc, 1, &res);
	assert_true(res.all.ttc.mean == 0.0);
	assert_true(res.all.downtime == 0.0);
	assert_int_equal(res.all.failures, 1);
	mttx_result_release(&res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mttx__reference_expected_values),
		cmocka_unit_test(mttx__out_of_order_rows_identical),
		cmocka_unit_test(mttx__out_of_order_synthetic_identical),
		cmocka_unit_test(mttx__empty_input),
		cmocka_unit_test(mttx__no_services),
		cmocka_unit_test(mttx__reopen_after_24h_is_new_failure),
		cmocka_unit_test(mttx__late_reopen_still_open),
		cmocka_unit_test(mttx__overlapping_outages_union),
		cmocka_unit_test(mttx__planned_impact_ignored),
		cmocka_unit_test(mttx__open_incident_down_until_each_window_end),
		cmocka_unit_test(mttx__multi_service_incident_pooled_once),
		cmocka_unit_test(mttx__sla_breach_counted_at_crossing),
		cmocka_unit_test(mttx__normalisation_applied),
		cmocka_unit_test(mttx__negative_durations_floored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
