/* test_console_store.c - unit tests for the console's chart and timeline reads
 * (src/store/console_lists.c, console.c) on a real cache: samples bucketed by the
 * database to exactly the chart's columns, averages or maxima per bucket, the span's
 * figures and the last sample; the deployments around an incident with its cause;
 * an incident's family; a ticket's SLA that matters now. */
#include "sitrep/sitrep.h"
#include "sitrep/console_store.h"
#include "sitrep/timestamp.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "store_support.h"

#define T0 1740992400 /* 2025-03-03T09:00:00Z */

static int64_t
series_id(struct store *store, const char *name)
{
	struct store_series_row *rows;
	size_t n;
	int64_t id = -1;

	assert_int_equal(store_service_series(store, "checkout", &rows, &n), SUCCESS);
	for (size_t i = 0; i < n; i++)
		if (streq(rows[i].name, name))
			id = rows[i].id;
	store_series_rows_free(rows, n);
	return id;
}

static void
console_store__chart_buckets_in_sql(void **state)
{
	struct store *store = fresh("chart");
	struct store_chart_stats st;
	double values[6];
	int64_t id;

	(void)state;
	/* A sample every 10 s for an hour: 1..360 */
	for (int i = 0; i < 360; i++)
		assert_int_equal(store_add_sample(store, "prom", "checkout.rpm", "", "checkout",
						  T0 + i * 10, i + 1),
				 SUCCESS);
	id = series_id(store, "checkout.rpm");
	assert_true(id > 0);
	/* Six buckets of ten minutes: 60 samples each. */
	assert_int_equal(store_chart_read(store, id, T0, 600, 6, false, T0 + 3600, values, &st),
			 SUCCESS);
	assert_true(values[0] == 30.5); /* the average of 1..60 */
	assert_true(values[5] == 330.5);
	assert_int_equal(st.samples, 360);
	assert_true(st.avg == 180.5 && st.min == 1 && st.max == 360);
	assert_true(st.last == 360 && st.last_at == T0 + 3590);
	/* The largest of each bucket instead, for max latency. */
	assert_int_equal(store_chart_read(store, id, T0, 600, 6, true, T0 + 3600, values, &st),
			 SUCCESS);
	assert_true(values[0] == 60 && values[5] == 360);
	/* A span partly before the samples: empty buckets are NAN; the last sample is
	 * the last one at or before now, wherever the span ends. */
	assert_int_equal(
		store_chart_read(store, id, T0 - 1200, 600, 4, false, T0 + 100, values, &st),
		SUCCESS);
	assert_true(isnan(values[0]) && isnan(values[1]));
	assert_true(values[2] == 30.5);
	assert_true(st.last == 11 && st.last_at == T0 + 100);
	/* Nothing in the span. */
	assert_int_equal(
		store_chart_read(store, id, T0 + 7200, 60, 6, false, T0 + 7200, values, &st),
		SUCCESS);
	assert_int_equal(st.samples, 0);
	assert_true(isnan(st.avg) && isnan(values[0]));
	assert_true(st.last == 360);
	store_close(&store);
}

static void
console_store__service_series_by_name(void **state)
{
	struct store *store = fresh("series");
	struct store_series_row *rows;
	size_t n;

	(void)state;
	assert_int_equal(store_add_sample(store, "prom", "checkout.rpm", "", "checkout", T0, 1),
			 SUCCESS);
	assert_int_equal(store_add_sample(store, "prom", "search.rpm", "", "search", T0, 1),
			 SUCCESS);
	assert_int_equal(store_add_sample(store, "prom", "node.load", "", NULL, T0, 1), SUCCESS);
	assert_int_equal(store_service_series(store, "checkout", &rows, &n), SUCCESS);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].name, "checkout.rpm");
	assert_string_equal(rows[0].service, "checkout");
	store_series_rows_free(rows, n);
	assert_int_equal(store_service_series(store, NULL, &rows, &n), SUCCESS);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].name, "node.load");
	store_series_rows_free(rows, n);
	store_close(&store);
}

static void
add_deploy(struct store *store, const char *id, const char *env, int64_t at, enum dora_kind kind)
{
	struct store_deployment d = {
		.source = "argocd",
		.source_id = id,
		.service = "checkout",
		.environment = env,
		.status = "success",
		.kind = kind,
		.version = id,
		.started_at = at,
		.finished_at = at + 60,
		.updated_at = at,
		.canary_weight = NAN,
		.bake_until = TIME_NONE,
	};

	assert_int_equal(store_upsert_deployment(store, &d), SUCCESS);
}

static void
console_store__deploys_between(void **state)
{
	struct store *store = fresh("deploys");
	struct store_deploy_row *rows;
	size_t n;

	(void)state;
	add_deploy(store, "d1", "production", T0 - 86400, DORA_NORMAL);
	add_deploy(store, "d2", "production", T0 + 600, DORA_NORMAL);
	add_deploy(store, "d3", "staging", T0 + 900, DORA_NORMAL);
	add_deploy(store, "d4", "production", T0 + 1200, DORA_ROLLBACK);
	assert_int_equal(
		store_deploys_between(store, "checkout", true, T0, T0 + 3600, NULL, 10, &rows, &n),
		SUCCESS);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].source_id, "d2");
	assert_string_equal(rows[1].source_id, "d4");
	assert_int_equal(rows[1].kind, DORA_ROLLBACK);
	store_deploy_rows_free(rows, n);
	/* Every environment, and the cause a day before, in time order. */
	assert_int_equal(
		store_deploys_between(store, "checkout", false, T0, T0 + 3600, "d1", 10, &rows, &n),
		SUCCESS);
	assert_int_equal(n, 4);
	assert_string_equal(rows[0].source_id, "d1");
	assert_string_equal(rows[2].source_id, "d3");
	store_deploy_rows_free(rows, n);
	store_close(&store);
}

static struct store_incident
incident(const char *source, const char *id, bool ticket, int64_t detected)
{
	static const char *const services[] = { "checkout" };
	struct store_incident in = {
		.source = source,
		.source_id = id,
		.services = services,
		.n_services = 1,
		.title = id,
		.severity = "P2",
		.impact_start = TIME_NONE,
		.detected_at = detected,
		.acknowledged_at = TIME_NONE,
		.contained_at = TIME_NONE,
		.resolved_at = TIME_NONE,
		.closed_at = TIME_NONE,
		.updated_at = detected,
		.ticket = ticket,
	};

	return in;
}

static void
console_store__family_and_slas(void **state)
{
	struct store *store = fresh("family");
	struct store_incident alert = incident("og", "A-1", false, T0);
	struct store_incident ticket = incident("snow", "T-1", true, T0 + 120);
	struct store_sla slas[] = {
		{ "response", "response", 1800, MX_SCHEDULE_24X7, T0, T0 + 1800, T0 + 600,
		  TIME_NONE, "completed", true },
		{ "resolution", "resolution", 14400, MX_SCHEDULE_24X7, T0, T0 + 14400, TIME_NONE,
		  TIME_NONE, "in_progress", false },
		{ "follow-up", NULL, 86400, MX_SCHEDULE_24X7, T0, T0 + 86400, TIME_NONE, TIME_NONE,
		  "in_progress", false },
	};
	struct store_incident_query q = { .tickets_only = true, .limit = 10 };
	struct store_incident_row row, *family;
	size_t n;

	(void)state;
	ticket.parent_source = "og";
	ticket.parent_id = "A-1";
	ticket.slas = slas;
	ticket.n_slas = ARRAY_SIZE(slas);
	alert.caused_by = "d2";
	assert_int_equal(store_upsert_incident(store, &alert), SUCCESS);
	assert_int_equal(store_upsert_incident(store, &ticket), SUCCESS);
	assert_int_equal(store_incident_rows(store, &q, &row, &n), SUCCESS);
	assert_int_equal(n, 1);
	/* The running SLA due first; and the response SLA's breach is remembered. */
	assert_true(row.has_sla && row.sla_running && !row.sla_breached && row.any_breached);
	assert_string_equal(row.sla_name, "resolution");
	assert_int_equal(row.sla_due_at, T0 + 14400);
	assert_int_equal(row.sla_target, 14400);
	assert_string_equal(row.parent_id, "A-1");
	/* The family from the ticket: the alert (its root) first, then the ticket. */
	assert_int_equal(store_incident_family(store, &row, &family, &n), SUCCESS);
	assert_int_equal(n, 2);
	assert_string_equal(family[0].source_id, "A-1");
	assert_string_equal(family[0].caused_by, "d2");
	assert_string_equal(family[1].source_id, "T-1");
	store_incident_rows_free(family, n);
	store_incident_row_release(&row);
	store_close(&store);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(console_store__chart_buckets_in_sql),
		cmocka_unit_test(console_store__service_series_by_name),
		cmocka_unit_test(console_store__deploys_between),
		cmocka_unit_test(console_store__family_and_slas),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
