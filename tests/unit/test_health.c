/* test_health.c - a deployment's health during its bake (src/deploy/health.c) and
 * the rollback alarm (src/deploy/alarm.c): the rule on arrays of samples (a spike
 * is degrading, the same condition held for the sustain time is failing, a dip
 * inside it breaks it, the half-way ratio, the errors floor, no baseline), then on
 * a real cache (the windows, the metrics chosen by kind and by name, the
 * thresholds of [deploy "SERVICE.ENV"] over [deploy] over the defaults, the last
 * verdict after the bake), the health-* keys' problems, and the auto-rollback:
 * only where configured, as sitrep-alarm, audited, once per deployment. */
#include "sitrep/sitrep.h"

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#include <math.h>
#include <sys/stat.h>

#include "store_support.h"
#include "support.h"

#include "sitrep/config.h"
#include "sitrep/health.h"
#include "sitrep/rollback.h"

/* ---- the rule ---- */

#define T0 1740989460 /* 2025-03-03T08:11:00Z, the deploy */

/* n samples 30 s apart from t, valued v[i] */
static size_t
points(struct store_point *p, int64_t t, const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		p[i].ts = t + (int64_t)i * 30;
		p[i].value = v[i];
	}
	return n;
}

static void
judge(enum health_kind kind, const double *base, size_t nb, const double *bake, size_t nk,
      struct health_metric *m)
{
	struct store_point b[32], k[32];

	memset(m, 0, sizeof(*m));
	m->series =
		(char *)(uintptr_t)(kind == HEALTH_ERRORS ? "checkout.errors" : "checkout.latency");
	points(b, T0 - 30 * (int64_t)nb, base, nb);
	points(k, T0, bake, nk);
	health_judge(kind, kind == HEALTH_ERRORS ? 2.0 : 1.5, 120, b, nb, k, nk, m);
}

static void
rule(void **state)
{
	static const double base[] = { 10, 10, 10, 10, 10, 10 };
	struct health_metric m;

	(void)state;
	/* one spike at the end: over x2, not sustained */
	judge(HEALTH_ERRORS, base, 6, (const double[]){ 10, 11, 10, 9, 10, 35 }, 6, &m);
	assert_int_equal(m.verdict, HEALTH_DEGRADING);
	assert_int_equal(m.held, 0);
	assert_string_equal(m.reason, "errors/min 15.0 vs 10.0 baseline (x1.50)");

	/* every sample of the last 2 minutes above 20: failing */
	judge(HEALTH_ERRORS, base, 6, (const double[]){ 10, 10, 25, 30, 30, 30, 30 }, 7, &m);
	assert_int_equal(m.verdict, HEALTH_FAILING);
	assert_int_equal(m.held, 120);
	assert_true(fabs(m.ratio - 2.9) < 1e-9);
	assert_string_equal(m.reason, "errors/min 29.0 vs 10.0 baseline (x2.90) for 2m");

	/* 90 s of it: not yet */
	judge(HEALTH_ERRORS, base, 6, (const double[]){ 10, 10, 10, 30, 30, 30, 30 }, 7, &m);
	assert_int_equal(m.verdict, HEALTH_DEGRADING);
	assert_int_equal(m.held, 90);

	/* a dip under the limit inside the 2 minutes breaks it */
	judge(HEALTH_ERRORS, base, 6, (const double[]){ 30, 30, 30, 19, 30, 30, 30 }, 7, &m);
	assert_int_equal(m.verdict, HEALTH_DEGRADING);
	assert_int_equal(m.held, 60);

	/* never over x2 but above the half-way x1.5: degrading, no "for" */
	judge(HEALTH_ERRORS, base, 6, (const double[]){ 16, 16, 17, 16, 16, 16 }, 6, &m);
	assert_int_equal(m.verdict, HEALTH_DEGRADING);
	assert_string_equal(m.reason, "errors/min 16.2 vs 10.0 baseline (x1.62)");

	/* a little more than before is healthy */
	judge(HEALTH_ERRORS, base, 6, (const double[]){ 11, 12, 11, 12, 11, 12 }, 6, &m);
	assert_int_equal(m.verdict, HEALTH_HEALTHY);

	/* 0 errors a minute before: counted as 1, so 1 or 2 now is not "x infinity" */
	judge(HEALTH_ERRORS, (const double[]){ 0, 0, 0 }, 3, (const double[]){ 1, 1, 2, 1, 1, 1 },
	      6, &m);
	assert_int_equal(m.verdict, HEALTH_HEALTHY);
	assert_true(fabs(m.baseline - 1.0) < 1e-9);

	/* latency in ms and s, threshold x1.5 */
	judge(HEALTH_LATENCY, (const double[]){ 0.25, 0.25 }, 2,
	      (const double[]){ 0.2, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75 }, 7, &m);
	assert_int_equal(m.verdict, HEALTH_FAILING);
	assert_string_equal(m.reason, "latency 750ms vs 250ms baseline (x3.00) for 2m30s");

	/* nothing to compare with */
	judge(HEALTH_ERRORS, base, 0, (const double[]){ 30 }, 1, &m);
	assert_int_equal(m.verdict, HEALTH_UNKNOWN);
	assert_string_equal(m.reason, "errors: no baseline samples");
	judge(HEALTH_ERRORS, base, 6, base, 0, &m);
	assert_int_equal(m.verdict, HEALTH_UNKNOWN);
	assert_string_equal(m.reason, "errors: no bake samples");

	assert_int_equal(health_kind_of("checkout.errors"), HEALTH_ERRORS);
	assert_int_equal(health_kind_of("checkout.http_5xx"), HEALTH_ERRORS);
	assert_int_equal(health_kind_of("checkout.latency_max"), HEALTH_LATENCY);
	assert_int_equal(health_kind_of("eu.checkout.p99"), HEALTH_LATENCY);
	assert_int_equal(health_kind_of("checkout.cpu"), HEALTH_OTHER);
}

/* ---- from the cache ---- */

static struct config cfg;

static void
load_config(const char *text, const char *problem)
{
	char *path = xasprintf("%s/config", dir);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, 0600);
	config_release(&cfg);
	assert_int_equal(config_load(&cfg, path, true), SUCCESS);
	if (problem) {
		size_t i = 0;

		while (i < cfg.n_problems && !strstr(cfg.problems[i], problem))
			i++;
		if (i == cfg.n_problems)
			fail_msg("no problem \"%s\" (first: %s)", problem,
				 cfg.n_problems ? cfg.problems[0] : "none");
	} else if (cfg.n_problems) {
		fail_msg("config: %s", cfg.problems[0]);
	}
	free(path);
}

/* A series of 30 s samples over [from, to): before the deploy `before`, from it on
 * `after`, and from `bad` on `worse`. */
static void
series(struct store *store, const char *name, double before, double after, int64_t bad,
       double worse)
{
	struct store_point p[80];
	size_t n = 0;

	for (int64_t t = T0 - 600; t <= T0 + 600; t += 30, n++) {
		p[n].ts = t;
		p[n].value = t < T0 ? before : t < bad ? after : worse;
	}
	assert_int_equal(store_add_samples(store, "prom", name, "", "checkout", p, n), SUCCESS);
}

static void
deployment(struct store *store, const char *id, const char *status, int64_t finished,
	   int64_t bake_until)
{
	struct store_deployment d = {
		.source = "argo",
		.source_id = id,
		.service = "checkout",
		.environment = "production",
		.status = status,
		.version = streq(id, "d1") ? "1.0.0" : "1.1.0",
		.sha = streq(id, "d1") ? "1111111111111111111111111111111111111111"
				       : "2222222222222222222222222222222222222222",
		.pattern = "canary",
		.started_at = streq(id, "d1") ? T0 - 86400 : T0,
		.finished_at = finished,
		.updated_at = T0 + 1000,
		.canary_weight = streq(id, "d1") ? NAN : 10,
		.bake_until = bake_until,
	};

	assert_int_equal(store_upsert_deployment(store, &d), SUCCESS);
}

/* The row store_deploy_rows would give of d2 while it bakes (strings borrowed). */
#define S(text) ((char *)(uintptr_t)(text))
static const struct store_deploy_row row_baking = {
	.service = S("checkout"),
	.environment = S("production"),
	.version = S("1.1.0"),
	.status = S("running"),
	.source_id = S("d2"),
	.started_at = T0,
	.finished_at = TIME_NONE,
	.bake_until = TIME_NONE,
	.canary_weight = 10,
};

static void
from_cache(void **state)
{
	struct store *store = fresh("health");
	struct health_report r;
	struct store_deploy_row after = row_baking;

	(void)state;
	/* errors double from 08:14; latency stays; cpu triples (not a health metric
	 * unless named) */
	series(store, "checkout.errors", 5, 5, T0 + 180, 12);
	series(store, "checkout.latency", 0.2, 0.21, T0 + 600, 0.21);
	series(store, "checkout.cpu", 20, 60, T0, 60);
	load_config("", NULL);

	/* at 08:17: errors over x2 since 08:14 */
	assert_int_equal(health_check(store, &cfg, &row_baking, T0 + 360, &r), SUCCESS);
	assert_true(r.baking);
	assert_int_equal(r.from, T0);
	assert_int_equal(r.to, T0 + 360);
	assert_int_equal(r.baseline_from, T0 - 360); /* as long as the bake so far */
	assert_int_equal(r.baseline_to, T0);
	assert_int_equal(r.verdict, HEALTH_FAILING);
	assert_int_equal(r.n_metrics, 2);
	assert_string_equal(r.metrics[0].series, "checkout.errors");
	assert_string_equal(r.metrics[1].series, "checkout.latency");
	assert_int_equal(r.metrics[1].verdict, HEALTH_HEALTHY);
	assert_string_equal(r.reason, "errors/min 12.0 vs 5.0 baseline (x2.40) for 3m");
	health_report_release(&r);

	/* at 08:15 it has held 60 s: degrading */
	assert_int_equal(health_check(store, &cfg, &row_baking, T0 + 240, &r), SUCCESS);
	assert_int_equal(r.verdict, HEALTH_DEGRADING);
	health_report_release(&r);

	/* x3 for this service and environment: under it; [deploy]'s sustain is ignored
	 * where the section has its own */
	load_config("[deploy]\n\thealth-sustain = 10m\n[deploy \"checkout.production\"]\n"
		    "\thealth-errors = x3\n\thealth-sustain = 1m\n\thealth-baseline = 5m\n",
		    NULL);
	assert_int_equal(health_check(store, &cfg, &row_baking, T0 + 360, &r), SUCCESS);
	assert_int_equal(r.baseline_from, T0 - 300);
	assert_int_equal(r.verdict, HEALTH_DEGRADING); /* x2.4 > half-way x2 */
	health_report_release(&r);

	/* the metrics by name: cpu only, judged with the latency threshold */
	load_config("[deploy \"checkout.production\"]\n\thealth-metric = cpu\n", NULL);
	assert_int_equal(health_check(store, &cfg, &row_baking, T0 + 360, &r), SUCCESS);
	assert_int_equal(r.n_metrics, 1);
	assert_string_equal(r.metrics[0].series, "checkout.cpu");
	assert_int_equal(r.verdict, HEALTH_FAILING);
	assert_string_equal(r.reason, "cpu 60.0 vs 20.0 baseline (x3.00) for 6m");
	health_report_release(&r);

	/* by kind */
	load_config("[deploy]\n\thealth-metric = latency\n", NULL);
	assert_int_equal(health_check(store, &cfg, &row_baking, T0 + 360, &r), SUCCESS);
	assert_int_equal(r.n_metrics, 1);
	assert_int_equal(r.verdict, HEALTH_HEALTHY);
	health_report_release(&r);

	/* after the bake (ended 08:13): the last verdict, over the bake only */
	load_config("", NULL);
	after.status = S("success");
	after.finished_at = T0 + 60;
	after.bake_until = T0 + 150;
	assert_false(health_baking(&after, T0 + 360));
	assert_int_equal(health_check(store, &cfg, &after, T0 + 360, &r), SUCCESS);
	assert_false(r.baking);
	assert_int_equal(r.to, T0 + 150);
	assert_int_equal(r.verdict, HEALTH_HEALTHY);
	health_report_release(&r);
	store_close(&store);
}

static void
config_keys(void **state)
{
	(void)state;
	load_config("[deploy \"checkout.production\"]\n\thealth-errors = x0.5\n", "not a ratio");
	load_config("[deploy \"checkout.production\"]\n\thealth-latency = fast\n", "not a ratio");
	load_config("[deploy \"checkout.production\"]\n\thealth-sustain = soon\n",
		    "not a duration");
	/* a section that only tunes the health check needs no rollback... */
	load_config("[deploy \"checkout.staging\"]\n\thealth-errors = 3x\n", NULL);
	assert_true(fabs(cfg.deploys[0].health_errors - 3.0) < 1e-9);
	/* ...one that rolls back automatically does */
	load_config("[deploy \"checkout.staging\"]\n\thealth-errors = 3\n\tauto-rollback = true\n",
		    "needs rollback");
	load_config("[ui]\n\tbell = false\n", NULL);
	assert_false(cfg.bell);
	load_config("", NULL);
	assert_true(cfg.bell);
}

/* ---- the alarm ---- */

static void
auto_rollback(void **state)
{
	struct store *store = fresh("alarm");
	struct rollback_alarm *alarms;
	char text[256];
	size_t n;

	(void)state;
	series(store, "checkout.errors", 5, 5, T0 + 180, 12);
	deployment(store, "d1", "success", T0 - 86000, TIME_NONE);
	deployment(store, "d2", "running", TIME_NONE, TIME_NONE);

	/* no auto-rollback: an alarm, nothing done */
	load_config("[deploy \"checkout.production\"]\n\trollback = exec:true\n", NULL);
	assert_int_equal(rollback_alarms(store, &cfg, T0 + 360, &alarms, &n), SUCCESS);
	assert_int_equal(n, 1);
	assert_string_equal(alarms[0].name, "checkout.production");
	assert_string_equal(alarms[0].deploy.source_id, "d2");
	assert_null(alarms[0].acted);
	rollback_alarms_free(alarms, n);
	assert_int_equal(rollback_alarm_act(store, &cfg, T0 + 360, NULL), SUCCESS);
	assert_int_equal(query_int("SELECT count(*) FROM actions"), 0);

	/* before it failed: nothing either */
	load_config("[deploy \"checkout.production\"]\n\trollback = exec:true\n"
		    "\tauto-rollback = true\n",
		    NULL);
	assert_int_equal(rollback_alarm_act(store, &cfg, T0 + 240, NULL), SUCCESS);
	assert_int_equal(query_int("SELECT count(*) FROM actions"), 0);

	/* failing: requested, confirmed, succeeded, by sitrep-alarm */
	assert_int_equal(rollback_alarm_act(store, &cfg, T0 + 360, NULL), SUCCESS);
	assert_int_equal(query_int("SELECT count(*) FROM actions WHERE actor = 'sitrep-alarm' "
				   "AND kind = 'rollback' AND target = 'checkout.production'"),
			 3);
	assert_int_equal(query_int("SELECT count(*) FROM actions WHERE result = 'succeeded' "
				   "AND detail LIKE 'to 1.0.0 (111111111111) from 1.1.0%'"),
			 1);
	assert_int_equal(query_int("SELECT count(*) FROM actions WHERE result = 'requested' AND "
				   "detail LIKE 'rollback alarm on d2 (1.1.0): errors/min 12.0 %'"),
			 1);
	assert_int_equal(query_int("SELECT count(*) FROM locks"), 0);
	assert_int_equal(rollback_alarms(store, &cfg, T0 + 360, &alarms, &n), SUCCESS);
	assert_int_equal(n, 1);
	assert_string_equal(alarms[0].acted, "succeeded");
	rollback_alarm_describe(&alarms[0], text, sizeof(text));
	assert_string_equal(text, "checkout.production 1.1.0 canary 10%: errors/min 12.0 vs 5.0 "
				  "baseline (x2.40) for 3m (auto-rollback succeeded)");
	rollback_alarms_free(alarms, n);

	/* the next round, a minute later, still failing: not again */
	assert_int_equal(rollback_alarm_act(store, &cfg, T0 + 420, NULL), SUCCESS);
	assert_int_equal(query_int("SELECT count(*) FROM actions"), 3);
	store_close(&store);
	config_release(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rule),
		cmocka_unit_test(from_cache),
		cmocka_unit_test(config_keys),
		cmocka_unit_test(auto_rollback),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
