/* test_store_families.c - schema version 2 on real SQLite files: a version 1 cache
 * migrates and keeps its rows; tickets fold into the incidents they name (in
 * either arrival order, or by overlap) so the metric scan counts each family once
 * with merged milestones; SLA instances, pipelines with stages and the rollout
 * fields of deployments round-trip, and newer records replace their children. */
#include "sitrep/sitrep.h"
#include "sitrep/store.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "store_support.h"

/* ---- migration ---- */

/* A cache written by a sitrep that knew only version 1 of data/schema.sql. */
static void
store_families__version_1_cache_migrates_and_keeps_its_rows(void **state)
{
	FILE *f = fopen("data/schema.sql", "r");
	char *schema = xcalloc(1, 1 << 20), *v2;
	struct store *store;
	sqlite3 *db;

	(void)state;
	assert_non_null(f);
	assert_true(fread(schema, 1, (1 << 20) - 1, f) > 0);
	fclose(f);
	assert_non_null(v2 = strstr(schema, "-- version 2"));
	*v2 = '\0';
	snprintf(cache_path, sizeof(cache_path), "%s/v1.db", dir);
	assert_int_equal(sqlite3_open(cache_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, schema, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(
			db,
			"PRAGMA user_version = 1;"
			"INSERT INTO services(id, name) VALUES (1, 'checkout');"
			"INSERT INTO incidents(source, source_id, service_id, detected_at, "
			"updated_at) VALUES ('og', 'A1', 1, 1000, 1000);"
			"INSERT INTO deployments(source, source_id, service_id, environment, "
			"status, updated_at) VALUES ('gh', 'D1', 1, 'production', 'success', 1);",
			NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(db);
	free(schema);

	assert_int_equal(store_open(&store, cache_path, 0), SUCCESS);
	store_close(&store);
	assert_int_equal(query_int("PRAGMA user_version"), store_schema_version());
	assert_true(store_schema_version() >= 2);
	assert_int_equal(query_int("SELECT count(*) FROM incidents WHERE ticket = 0 AND "
				   "parent_id IS NULL AND sla_count = 0"),
			 1);
	assert_int_equal(query_int("SELECT count(*) FROM deployments WHERE canary_weight IS NULL"),
			 1);
	assert_int_equal(query_int("SELECT count(*) FROM incident_slas"), 0);
	assert_int_equal(query_int("SELECT integrity_check = 'ok' FROM pragma_integrity_check"), 1);
}

/* ---- families ---- */

static const char *const checkout[] = { "checkout" };

static struct store_incident
alert(const char *id, int64_t detected, int64_t ack, int64_t resolved)
{
	struct store_incident in = {
		.source = "og",
		.source_id = id,
		.services = checkout,
		.n_services = 1,
		.impact = MX_IMPACT_OUTAGE,
		.impact_start = detected - 60,
		.detected_at = detected,
		.acknowledged_at = ack,
		.contained_at = TIME_NONE,
		.resolved_at = resolved,
		.closed_at = TIME_NONE,
		.updated_at = 1,
		.sla.start_time = TIME_NONE,
		.sla.stop_time = TIME_NONE,
	};
	return in;
}

/* A ServiceNow ticket with a resolution SLA, naming alert parent (or none). */
static struct store_incident
ticket(const char *id, const char *parent, int64_t detected, int64_t ack, int64_t resolved)
{
	struct store_incident in = alert(id, detected, ack, resolved);

	in.source = "snow";
	in.ticket = true;
	in.impact_start = TIME_NONE;
	in.state = "Resolved";
	in.parent_source = parent ? "og" : NULL;
	in.parent_id = parent;
	in.link = parent ? "correlation" : NULL;
	in.sla_policy = "P1 resolution";
	in.sla.present = true;
	in.sla.target_seconds = 4 * 3600;
	in.sla.start_time = detected;
	in.sla.stop_time = resolved;
	return in;
}

struct rows {
	size_t n;
	struct mx_incident last;
};

static void
keep(void *ctx, const struct mx_incident *mx)
{
	struct rows *r = ctx;

	r->n++;
	r->last = *mx;
}

static struct rows
scan(struct store *store)
{
	size_t index[4] = { 0, 1, 2, 3 };
	struct rows r = { 0 };

	assert_int_equal(store_scan_metric_incidents(store, 0, 100000, index, 4, keep, &r),
			 SUCCESS);
	return r;
}

static void
assert_family_folded(struct store *store)
{
	struct rows r = scan(store);

	/* One incident, not two: the earliest detection (the alert's) and
	 * acknowledgement (the ticket's), the latest resolution, the ticket's SLA. */
	assert_int_equal(r.n, 1);
	assert_int_equal(r.last.detected_at, 1000);
	assert_int_equal(r.last.impact_start, 940);
	assert_int_equal(r.last.acknowledged_at, 1200);
	assert_int_equal(r.last.resolved_at, 6000);
	assert_true(r.last.sla.present);
	assert_int_equal(r.last.sla.target_seconds, 4 * 3600);
}

static void
store_families__ticket_folds_into_its_alert_in_either_order(void **state)
{
	struct store_incident a = alert("A1", 1000, 1300, 5000);
	struct store_incident t = ticket("INC1", "A1", 1100, 1200, 6000);
	struct store *store = fresh("family-parent-first");

	(void)state;
	assert_int_equal(store_upsert_incident(store, &a), SUCCESS);
	assert_int_equal(store_upsert_incident(store, &t), SUCCESS);
	assert_family_folded(store);
	/* The alert written again (a later sync) keeps the family folded. */
	a.updated_at = 2;
	assert_int_equal(store_upsert_incident(store, &a), SUCCESS);
	assert_family_folded(store);
	store_close(&store);

	store = fresh("family-child-first");
	assert_int_equal(store_upsert_incident(store, &t), SUCCESS);
	/* Until its alert arrives, the ticket counts alone. */
	assert_int_equal(scan(store).n, 1);
	assert_int_equal(scan(store).last.detected_at, 1100);
	assert_int_equal(store_upsert_incident(store, &a), SUCCESS);
	assert_family_folded(store);
	store_close(&store);
	assert_int_equal(query_int("SELECT count(*) FROM incidents"), 2);
	assert_int_equal(query_int("SELECT count(*) FROM incident_metrics"), 1);
}

static void
store_families__an_open_member_keeps_the_family_open(void **state)
{
	struct store_incident a = alert("A1", 1000, 1300, 5000);
	struct store_incident t = ticket("INC1", "A1", 1100, TIME_NONE, TIME_NONE);
	struct store *store = fresh("family-open");
	struct rows r;

	(void)state;
	t.sla.stop_time = TIME_NONE;
	assert_int_equal(store_upsert_incident(store, &a), SUCCESS);
	assert_int_equal(store_upsert_incident(store, &t), SUCCESS);
	r = scan(store);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.last.resolved_at, TIME_NONE);
	assert_int_equal(r.last.acknowledged_at, 1300);
	store_close(&store);
}

static void
store_families__ticket_links_by_overlap_on_its_service_only(void **state)
{
	struct store_incident a = alert("A1", 10000, 10100, 12000);
	struct store_incident far = alert("A2", 50000, 50100, 51000);
	struct store_incident t = ticket("INC7", NULL, 10500, 10600, 13000);
	struct store_incident lone = ticket("INC8", NULL, 30000, 30100, 31000);
	struct store *store = fresh("overlap");
	struct rows r;

	(void)state;
	t.link_by_overlap = lone.link_by_overlap = true;
	assert_int_equal(store_upsert_incident(store, &a), SUCCESS);
	assert_int_equal(store_upsert_incident(store, &far), SUCCESS);
	assert_int_equal(store_upsert_incident(store, &t), SUCCESS);
	assert_int_equal(store_upsert_incident(store, &lone), SUCCESS);
	r = scan(store);
	/* A1+INC7 are one; A2 and INC8 (nothing open near it) count alone. */
	assert_int_equal(r.n, 3);
	store_close(&store);
	assert_int_equal(query_int("SELECT count(*) FROM incidents WHERE source_id = 'INC7' AND "
				   "parent_id = 'A1' AND link = 'overlap'"),
			 1);
	assert_int_equal(query_int("SELECT count(*) FROM incidents WHERE source_id = 'INC8' AND "
				   "parent_id IS NULL"),
			 1);
}

/* ---- SLA instances ---- */

struct got_slas {
	size_t n;
	char name[64], stage[32];
	int64_t target, due, paused;
	bool breached;
};

static enum status_code
read_slas(void *ctx, const struct store_incident *in)
{
	struct got_slas *g = ctx;

	g->n = in->n_slas;
	/* The resolution SLA when there is one, else the first. */
	for (size_t i = in->n_slas; i-- > 0;) {
		const struct store_sla *s = &in->slas[i];

		if (i != 0 && !(s->kind && streq(s->kind, "resolution")))
			continue;
		string_copy(g->name, s->name);
		string_copy(g->stage, s->stage ? s->stage : "");
		g->target = s->target;
		g->due = s->due_at;
		g->paused = s->paused;
		g->breached = s->breached;
		break;
	}
	return SUCCESS;
}

static void
store_families__sla_instances_round_trip_and_are_replaced(void **state)
{
	struct store_sla slas[2] = {
		{ "P1 response (15m)", "response", 900, MX_SCHEDULE_24X7, 1000, 1900, 1200,
		  TIME_NONE, "completed", false },
		{ "P1 resolution (4h)", "resolution", 14400, MX_SCHEDULE_BUSINESS_HOURS, 1000,
		  15400, TIME_NONE, 600, "in_progress", true },
	};
	struct store_incident t = ticket("INC2", NULL, 1000, 1200, TIME_NONE);
	struct store *store = fresh("slas");
	struct got_slas g = { 0 };

	(void)state;
	t.slas = slas;
	t.n_slas = 2;
	assert_int_equal(store_upsert_incident(store, &t), SUCCESS);
	assert_int_equal(store_each_incident(store, NULL, read_slas, &g), SUCCESS);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.name, "P1 resolution (4h)");
	assert_string_equal(g.stage, "in_progress");
	assert_int_equal(g.target, 14400);
	assert_int_equal(g.due, 15400);
	assert_int_equal(g.paused, 600);
	assert_true(g.breached);
	/* A newer record with one SLA replaces both. */
	t.updated_at = 5;
	t.n_slas = 1;
	assert_int_equal(store_upsert_incident(store, &t), SUCCESS);
	assert_int_equal(store_each_incident(store, NULL, read_slas, &g), SUCCESS);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.name, "P1 response (15m)");
	assert_int_equal(g.paused, TIME_NONE);
	store_close(&store);
}

/* ---- pipelines and deployments ---- */

struct got_pipeline {
	size_t n, stages;
	char status[16], last_stage[32], kind[16];
	double coverage0, coverage1;
	int64_t number;
};

static enum status_code
read_pipeline(void *ctx, const struct store_pipeline *p)
{
	struct got_pipeline *g = ctx;

	g->n++;
	g->stages = p->n_stages;
	g->number = p->number;
	string_copy(g->status, p->status);
	if (p->n_stages) {
		string_copy(g->last_stage, p->stages[p->n_stages - 1].name);
		string_copy(g->kind, p->stages[0].kind ? p->stages[0].kind : "");
		g->coverage0 = p->stages[0].coverage;
		g->coverage1 = p->n_stages > 1 ? p->stages[1].coverage : -1;
	}
	return SUCCESS;
}

static void
store_families__pipelines_keep_the_newest_stages(void **state)
{
	struct store_stage stages[3] = {
		{ "lint", "lint", "success", 100, 160, NAN, NULL },
		{ "unit-tests", "test", "success", 160, 400, 87.5, NULL },
		{ "docker build", "build", "running", 400, TIME_NONE, NAN, "https://ci/3" },
	};
	struct store_pipeline p = {
		.source = "gh",
		.source_id = "9007199254740993",
		.project = "acme/checkout",
		.service = "checkout",
		.name = "ci",
		.number = 42,
		.ref = "main",
		.sha = "0123456789abcdef0123456789abcdef01234567",
		.event = "push",
		.actor = "dana",
		.status = "running",
		.queued_at = 90,
		.started_at = 100,
		.finished_at = TIME_NONE,
		.stages = stages,
		.n_stages = 3,
		.updated_at = 400,
	};
	struct store_filter by_project = { .service = "acme/checkout", .since = TIME_NONE };
	struct store_filter other = { .service = "search", .since = TIME_NONE };
	struct store *store = fresh("pipelines");
	struct got_pipeline g = { 0 };

	(void)state;
	assert_int_equal(store_upsert_pipeline(store, &p), SUCCESS);
	assert_int_equal(store_each_pipeline(store, &by_project, read_pipeline, &g), SUCCESS);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.stages, 3);
	assert_int_equal(g.number, 42);
	assert_string_equal(g.last_stage, "docker build");
	assert_string_equal(g.kind, "lint");
	assert_true(isnan(g.coverage0));
	assert_true(g.coverage1 == 87.5);
	/* Finished: two stages only now (the build was folded into one); an older
	 * record arriving late changes nothing. */
	p.status = "failed";
	p.n_stages = 2;
	p.updated_at = 900;
	assert_int_equal(store_upsert_pipeline(store, &p), SUCCESS);
	p.status = "queued";
	p.updated_at = 10;
	assert_int_equal(store_upsert_pipeline(store, &p), SUCCESS);
	g = (struct got_pipeline){ 0 };
	assert_int_equal(store_each_pipeline(store, NULL, read_pipeline, &g), SUCCESS);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.stages, 2);
	assert_string_equal(g.status, "failed");
	g = (struct got_pipeline){ 0 };
	assert_int_equal(store_each_pipeline(store, &other, read_pipeline, &g), SUCCESS);
	assert_int_equal(g.n, 0);
	store_close(&store);
	assert_int_equal(query_int("SELECT count(*) FROM pipeline_stages"), 2);
}

struct got_deployment {
	double weight;
	int64_t bake;
	char replaces[32], target[32];
};

static enum status_code
read_deployment(void *ctx, const struct store_deployment *d)
{
	struct got_deployment *g = ctx;

	g->weight = d->canary_weight;
	g->bake = d->bake_until;
	string_copy(g->replaces, d->replaces ? d->replaces : "");
	string_copy(g->target, d->target ? d->target : "");
	return SUCCESS;
}

static void
store_families__deployment_rollout_fields_round_trip(void **state)
{
	struct store_deployment d = {
		.source = "argocd",
		.source_id = "checkout-prod:12",
		.service = "checkout",
		.environment = "production",
		.status = "running",
		.version = "v1.43.0",
		.pattern = "canary",
		.started_at = 1000,
		.finished_at = TIME_NONE,
		.updated_at = 1100,
		.canary_weight = 25,
		.bake_until = 1900,
		.replaces = "checkout-prod:11",
		.target = "checkout-prod",
	};
	struct store *store = fresh("deployments");
	struct got_deployment g = { 0 };

	(void)state;
	assert_int_equal(store_upsert_deployment(store, &d), SUCCESS);
	assert_int_equal(store_each_deployment(store, NULL, read_deployment, &g), SUCCESS);
	assert_true(g.weight == 25);
	assert_int_equal(g.bake, 1900);
	assert_string_equal(g.replaces, "checkout-prod:11");
	assert_string_equal(g.target, "checkout-prod");
	/* Promoted: no weight any more, no bake. */
	d.canary_weight = NAN;
	d.bake_until = TIME_NONE;
	d.updated_at = 2000;
	assert_int_equal(store_upsert_deployment(store, &d), SUCCESS);
	assert_int_equal(store_each_deployment(store, NULL, read_deployment, &g), SUCCESS);
	assert_true(isnan(g.weight));
	assert_int_equal(g.bake, TIME_NONE);
	store_close(&store);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(store_families__version_1_cache_migrates_and_keeps_its_rows),
		cmocka_unit_test(store_families__ticket_folds_into_its_alert_in_either_order),
		cmocka_unit_test(store_families__an_open_member_keeps_the_family_open),
		cmocka_unit_test(store_families__ticket_links_by_overlap_on_its_service_only),
		cmocka_unit_test(store_families__sla_instances_round_trip_and_are_replaced),
		cmocka_unit_test(store_families__pipelines_keep_the_newest_stages),
		cmocka_unit_test(store_families__deployment_rollout_fields_round_trip),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
