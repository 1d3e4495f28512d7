/* test_dora.c - DORA figures against the reference dataset of ../shared/metrics
 * (every df/lead_time/cfr/rework_rate/fdrt value of reference-expected.md §14) and
 * the deployment edge cases of spec E13. Timestamps are parsed by a local helper so
 * that this test needs nothing outside src/metrics and src/core/{status,util}.c. */
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

enum {
	CHECKOUT,
	SEARCH,
	N_SERVICES
};
static const char *const service_names[N_SERVICES] = { "checkout", "search" };

static struct mx_window
march(void)
{
	return (struct mx_window){ ts("2025-03-01T00:00:00Z"), ts("2025-03-31T00:00:00Z") };
}

/* ---- the reference dataset (reference.json) ---- */

struct ref_commit {
	const char *sha;
	const char *committed;
};

struct ref_deployment {
	const char *id;
	size_t service;
	bool production;
	bool success;
	enum dora_kind kind;
	const char *finished;
	long fixes, rolled_back_by; /* indices into ref_deployments */
	struct ref_commit commits[2];
};

static const struct ref_deployment ref_deployments[] = {
	{ "D-12",
	  CHECKOUT,
	  true,
	  true,
	  DORA_NORMAL,
	  "2025-02-27T10:00:00Z",
	  -1,
	  -1,
	  { { "c0", "2025-02-26T16:00:00Z" } } },
	{ "D-01",
	  CHECKOUT,
	  true,
	  true,
	  DORA_NORMAL,
	  "2025-03-02T10:00:00Z",
	  -1,
	  -1,
	  { { "c1", "2025-03-01T15:00:00Z" }, { "c2", "2025-03-02T08:00:00Z" } } },
	{ "D-02",
	  CHECKOUT,
	  true,
	  false,
	  DORA_NORMAL,
	  "2025-03-04T11:00:00Z",
	  -1,
	  -1,
	  { { "c3", "2025-03-04T09:00:00Z" } } },
	{ "D-03",
	  CHECKOUT,
	  true,
	  true,
	  DORA_NORMAL,
	  "2025-03-05T13:55:00Z",
	  -1,
	  -1,
	  { { "c3", "2025-03-04T09:00:00Z" }, { "c4", "2025-03-05T11:00:00Z" } } },
	{ "D-04",
	  CHECKOUT,
	  true,
	  true,
	  DORA_HOTFIX,
	  "2025-03-05T16:00:00Z",
	  3,
	  -1,
	  { { "c5", "2025-03-05T15:00:00Z" } } },
	{ "D-05",
	  SEARCH,
	  true,
	  true,
	  DORA_NORMAL,
	  "2025-03-10T08:30:00Z",
	  -1,
	  -1,
	  { { "c6", "2025-03-07T14:00:00Z" } } },
	{ "D-06",
	  SEARCH,
	  true,
	  true,
	  DORA_NORMAL,
	  "2025-03-18T12:00:00Z",
	  -1,
	  7,
	  { { "c7", "2025-03-18T10:00:00Z" } } },
	{ "D-07",
	  SEARCH,
	  true,
	  true,
	  DORA_ROLLBACK,
	  "2025-03-18T12:30:00Z",
	  6,
	  -1,
	  { { NULL, NULL } } },
	{ "D-08",
	  CHECKOUT,
	  true,
	  true,
	  DORA_NORMAL,
	  "2025-03-20T16:00:00Z",
	  -1,
	  9,
	  { { "c8", "2025-03-20T13:00:00Z" } } },
	{ "D-09",
	  CHECKOUT,
	  true,
	  true,
	  DORA_ROLLBACK,
	  "2025-03-20T16:20:00Z",
	  8,
	  -1,
	  { { NULL, NULL } } },
	{ "D-10",
	  SEARCH,
	  true,
	  false,
	  DORA_NORMAL,
	  "2025-03-25T09:00:00Z",
	  -1,
	  -1,
	  { { "c9", "2025-03-25T08:00:00Z" } } },
	{ "D-11",
	  SEARCH,
	  true,
	  true,
	  DORA_NORMAL,
	  "2025-03-26T15:00:00Z",
	  -1,
	  -1,
	  { { "c9", "2025-03-25T08:00:00Z" }, { "c10", "2025-03-26T14:00:00Z" } } },
};

#define N_DEPLOYMENTS ARRAY_SIZE(ref_deployments)

/* The incidents that name a causing deployment, with the milestones that
 * normalisation reads. */
struct ref_cause {
	const char *id;
	size_t deployment;
	const char *impact_start, *detected, *acknowledged, *resolved;
};

static const struct ref_cause ref_causes[] = {
	{ "INC-01", 0, "2025-02-28T23:00:00Z", "2025-02-28T23:10:00Z", "2025-02-28T23:15:00Z",
	  "2025-03-01T01:00:00Z" },
	{ "INC-03", 3, "2025-03-05T14:00:00Z", "2025-03-05T14:02:00Z", "2025-03-05T14:07:00Z",
	  "2025-03-05T15:10:00Z" },
	{ "INC-04", 3, "2025-03-05T14:30:00Z", "2025-03-05T14:35:00Z", "2025-03-05T14:45:00Z",
	  "2025-03-05T15:40:00Z" },
	{ "INC-06", 5, "2025-03-10T09:00:00Z", "2025-03-10T09:20:00Z", "2025-03-10T09:50:00Z",
	  "2025-03-10T12:00:00Z" },
	{ "INC-10", 8, "2025-03-20T16:02:00Z", "2025-03-20T16:04:00Z", "2025-03-20T16:06:00Z",
	  "2025-03-20T16:30:00Z" },
};

#define N_CAUSES ARRAY_SIZE(ref_causes)

struct ref_data {
	struct dora_deployment deployments[N_DEPLOYMENTS];
	struct dora_commit commits[N_DEPLOYMENTS][2];
	struct dora_incident incidents[N_CAUSES];
};

static void
ref_deployment(struct ref_data *data, size_t i)
{
	const struct ref_deployment *r = &ref_deployments[i];
	struct dora_deployment *d = &data->deployments[i];

	*d = (struct dora_deployment){
		.service = r->service,
		.production = r->production,
		.success = r->success,
		.kind = r->kind,
		.finished_at = ts(r->finished),
		.fixes = r->fixes,
		.rolled_back_by = r->rolled_back_by,
		.commits = data->commits[i],
	};
	for (size_t j = 0; j < 2 && r->commits[j].sha; j++) {
		data->commits[i][j] =
			(struct dora_commit){ r->commits[j].sha, ts(r->commits[j].committed) };
		d->n_commits++;
	}
}

static void
ref_cause(struct ref_data *data, size_t i)
{
	const struct ref_cause *r = &ref_causes[i];
	struct mx_incident inc = {
		.impact_start = ts(r->impact_start),
		.detected_at = ts(r->detected),
		.acknowledged_at = ts(r->acknowledged),
		.contained_at = TIME_NONE,
		.resolved_at = ts(r->resolved),
	};

	mx_normalize(&inc);
	data->incidents[i] =
		(struct dora_incident){ r->deployment, inc.impact_start, inc.resolved_at };
}

static void
ref_data_init(struct ref_data *data)
{
	for (size_t i = 0; i < N_DEPLOYMENTS; i++)
		ref_deployment(data, i);
	for (size_t i = 0; i < N_CAUSES; i++)
		ref_cause(data, i);
}

/* ---- checking reference-expected.md §14 ---- */

static const char expected_values[] = "df.count.checkout = 5\n"
				      "df.count.search = 4\n"
				      "df.count.all = 9\n"
				      "df.per_day.checkout = 1/6\n"
				      "df.per_day.search = 2/15\n"
				      "df.per_day.all = 3/10\n"
				      "df.per_week.checkout = 7/6\n"
				      "df.per_week.search = 14/15\n"
				      "df.per_week.all = 21/10\n"
				      "lead_time.checkout.n = 6\n"
				      "lead_time.checkout.mean = 1705/3\n"
				      "lead_time.checkout.median = 355/2\n"
				      "lead_time.checkout.p90 = 2875/2\n"
				      "lead_time.search.n = 4\n"
				      "lead_time.search.mean = 3015/2\n"
				      "lead_time.search.median = 990\n"
				      "lead_time.search.p90 = 3351\n"
				      "lead_time.all.n = 10\n"
				      "lead_time.all.mean = 944\n"
				      "lead_time.all.median = 355/2\n"
				      "lead_time.all.p90 = 2073\n"
				      "cfr.failed.checkout = 2\n"
				      "cfr.failed.search = 2\n"
				      "cfr.failed.all = 4\n"
				      "cfr.checkout = 2/5\n"
				      "cfr.search = 1/2\n"
				      "cfr.all = 4/9\n"
				      "rework_rate.checkout = 2/5\n"
				      "rework_rate.search = 1/4\n"
				      "rework_rate.all = 1/3\n"
				      "fdrt.checkout.n = 3\n"
				      "fdrt.checkout.mean = 248/3\n"
				      "fdrt.checkout.median = 100\n"
				      "fdrt.checkout.p90 = 116\n"
				      "fdrt.search.n = 2\n"
				      "fdrt.search.mean = 105\n"
				      "fdrt.search.median = 105\n"
				      "fdrt.search.p90 = 165\n"
				      "fdrt.all.n = 5\n"
				      "fdrt.all.mean = 458/5\n"
				      "fdrt.all.median = 100\n"
				      "fdrt.all.p90 = 156\n";

static const struct dora_figures *
figures_of(const struct dora_result *res, const char *service)
{
	if (streq(service, "all"))
		return &res->all;
	for (size_t i = 0; i < N_SERVICES; i++)
		if (streq(service, service_names[i]))
			return &res->services[i];
	fail_msg("unknown service %s", service);
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
df_value(const struct dora_figures *f, const char *field)
{
	if (streq(field, "count"))
		return (double)f->deployments;
	if (streq(field, "per_day"))
		return f->per_day;
	if (streq(field, "per_week"))
		return f->per_week;
	fail_msg("unknown df figure %s", field);
	return NAN;
}

static double
lookup(const struct dora_result *res, const char *key)
{
	char p[3][48];
	size_t n = split_key(key, p);

	if (n == 2 && streq(p[0], "cfr"))
		return figures_of(res, p[1])->cfr;
	if (n == 2 && streq(p[0], "rework_rate"))
		return figures_of(res, p[1])->rework_rate;
	assert_int_equal(n, 3);
	if (streq(p[0], "df"))
		return df_value(figures_of(res, p[2]), p[1]);
	if (streq(p[0], "cfr") && streq(p[1], "failed"))
		return (double)figures_of(res, p[2])->failed;
	if (streq(p[0], "lead_time"))
		return stat_field(&figures_of(res, p[1])->lead_time, p[2]);
	if (streq(p[0], "fdrt"))
		return stat_field(&figures_of(res, p[1])->fdrt, p[2]);
	fail_msg("unknown key %s", key);
	return NAN;
}

static double
lookup_any(const void *ctx, const char *key)
{
	return lookup(ctx, key);
}

static void
dora__reference_expected_values(void **state)
{
	struct mx_window w = march();
	struct ref_data data;
	struct dora_result res;

	(void)state;
	ref_data_init(&data);
	dora_compute(&w, N_SERVICES, data.deployments, N_DEPLOYMENTS, data.incidents, N_CAUSES,
		     &res);
	assert_int_equal(check_expected_values(expected_values, lookup_any, &res), 42);
	assert_int_equal(res.all.rework, 3);
	dora_result_release(&res);
	assert_null(res.services);
}

/* Order of the incidents does not matter; deployments are referenced by index. */
static void
dora__incident_order_irrelevant(void **state)
{
	struct mx_window w = march();
	struct ref_data data;
	struct dora_incident reversed[N_CAUSES];
	struct dora_result res;

	(void)state;
	ref_data_init(&data);
	for (size_t i = 0; i < N_CAUSES; i++)
		reversed[i] = data.incidents[N_CAUSES - 1 - i];
	dora_compute(&w, N_SERVICES, data.deployments, N_DEPLOYMENTS, reversed, N_CAUSES, &res);
	assert_int_equal(check_expected_values(expected_values, lookup_any, &res), 42);
	dora_result_release(&res);
}

/* ---- edge cases (E13) ---- */

static struct dora_deployment
deploy(size_t service, const char *finished, const struct dora_commit *commits, size_t n)
{
	return (struct dora_deployment){
		.service = service,
		.production = true,
		.success = true,
		.kind = DORA_NORMAL,
		.finished_at = ts(finished),
		.fixes = -1,
		.rolled_back_by = -1,
		.commits = commits,
		.n_commits = n,
	};
}

static void
dora__empty_input(void **state)
{
	struct mx_window w = march();
	struct dora_result res;

	(void)state;
	dora_compute(&w, 2, NULL, 0, NULL, 0, &res);
	assert_int_equal(res.all.deployments, 0);
	assert_true(res.all.per_day == 0.0 && res.all.per_week == 0.0);
	assert_true(isnan(res.all.cfr) && isnan(res.all.rework_rate));
	assert_int_equal(res.services[1].lead_time.n, 0);
	assert_true(isnan(res.services[1].lead_time.median) && isnan(res.all.fdrt.mean));
	dora_result_release(&res);
}

/* Failed pipelines are not deployments, not even as rollbacks; non-production
 * deployments do not count either. */
static void
dora__failed_pipeline_is_not_a_deployment(void **state)
{
	struct mx_window w = march();
	struct dora_deployment d[3] = {
		deploy(0, "2025-03-02T10:00:00Z", NULL, 0),
		deploy(0, "2025-03-02T11:00:00Z", NULL, 0),
		deploy(0, "2025-03-02T12:00:00Z", NULL, 0),
	};
	struct dora_result res;

	(void)state;
	d[1].kind = DORA_ROLLBACK;
	d[1].fixes = 0;
	d[1].success = false;
	d[2].production = false;
	dora_compute(&w, 1, d, 3, NULL, 0, &res);
	assert_int_equal(res.all.deployments, 1);
	assert_int_equal(res.all.failed, 0);
	assert_int_equal(res.all.rework, 0);
	assert_int_equal(res.all.fdrt.n, 0);
	dora_result_release(&res);
}

/* Lead time is taken at the commit's first successful production deployment, even
 * when that was before the window; ≤ 0 is dropped; a commit deployed to two
 * services counts once per service and once pooled. */
static void
dora__lead_time_first_deployment(void **state)
{
	struct mx_window w = march();
	const struct dora_commit early[] = { { "a", ts("2025-02-26T10:00:00Z") } };
	const struct dora_commit later[] = {
		{ "a", ts("2025-02-26T10:00:00Z") },
		{ "b", ts("2025-03-05T10:00:00Z") },
		{ "c", ts("2025-03-05T11:00:00Z") }, /* committed after the deploy: dropped */
	};
	const struct dora_commit other[] = { { "b", ts("2025-03-05T10:00:00Z") } };
	struct dora_deployment d[] = {
		deploy(0, "2025-02-27T10:00:00Z", early, 1),
		deploy(0, "2025-03-05T10:30:00Z", later, 3),
		deploy(1, "2025-03-06T10:00:00Z", other, 1),
	};
	struct dora_result res;

	(void)state;
	dora_compute(&w, 2, d, ARRAY_SIZE(d), NULL, 0, &res);
	assert_int_equal(res.services[0].lead_time.n, 1);
	assert_true(res.services[0].lead_time.mean == 30.0);
	assert_int_equal(res.services[1].lead_time.n, 1);
	assert_true(res.services[1].lead_time.mean == 24 * 60.0);
	assert_int_equal(res.all.lead_time.n, 1);
	assert_true(res.all.lead_time.mean == 30.0);
	dora_result_release(&res);
}

/* CFR counts deployments, not incidents (fourkeys #213); FDRT waits until every
 * incident of the deployment is resolved. */
static void
dora__cfr_counts_deployments_fdrt_waits_for_open(void **state)
{
	struct mx_window w = march();
	struct dora_deployment d[] = {
		deploy(0, "2025-03-02T10:00:00Z", NULL, 0),
		deploy(0, "2025-03-03T10:00:00Z", NULL, 0),
	};
	struct dora_incident inc[] = {
		{ 0, ts("2025-03-02T11:00:00Z"), ts("2025-03-02T12:00:00Z") },
		{ 0, ts("2025-03-02T11:30:00Z"), ts("2025-03-02T13:00:00Z") },
		{ 0, ts("2025-03-02T11:40:00Z"), ts("2025-03-02T11:50:00Z") },
		{ 1, ts("2025-03-03T11:00:00Z"), ts("2025-03-03T12:00:00Z") },
		{ 1, ts("2025-03-03T11:00:00Z"), TIME_NONE },
	};
	struct dora_result res;

	(void)state;
	dora_compute(&w, 1, d, ARRAY_SIZE(d), inc, ARRAY_SIZE(inc), &res);
	assert_int_equal(res.all.failed, 2);
	assert_true(res.all.cfr == 1.0);
	assert_int_equal(res.all.fdrt.n, 1);
	assert_true(res.all.fdrt.mean == 120.0);
	dora_result_release(&res);
}

/* A hotfix without an incident: failed, recovered when the hotfix finished; the
 * recovery sample belongs to the window of recovery, not of the deployment. */
static void
dora__hotfix_recovery_in_window_of_recovery(void **state)
{
	struct mx_window w = march();
	struct dora_deployment d[] = {
		deploy(0, "2025-02-28T23:00:00Z", NULL, 0),
		deploy(0, "2025-03-01T00:30:00Z", NULL, 0),
	};
	struct dora_result res;

	(void)state;
	d[1].kind = DORA_HOTFIX;
	d[1].fixes = 0;
	dora_compute(&w, 1, d, ARRAY_SIZE(d), NULL, 0, &res);
	assert_int_equal(res.all.deployments, 1);
	assert_int_equal(res.all.failed, 0); /* the failed one is February's */
	assert_int_equal(res.all.rework, 1);
	assert_int_equal(res.all.fdrt.n, 1);
	assert_true(res.all.fdrt.mean == 90.0);
	dora_result_release(&res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dora__reference_expected_values),
		cmocka_unit_test(dora__incident_order_irrelevant),
		cmocka_unit_test(dora__empty_input),
		cmocka_unit_test(dora__failed_pipeline_is_not_a_deployment),
		cmocka_unit_test(dora__lead_time_first_deployment),
		cmocka_unit_test(dora__cfr_counts_deployments_fdrt_waits_for_open),
		cmocka_unit_test(dora__hotfix_recovery_in_window_of_recovery),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
