/* test_store.c - the cache on real SQLite files: migration, refusal of newer
 * caches, idempotent upserts where the newer updated_at wins, child rows replaced
 * rather than accumulated, and the metric scan's window filter. */
#include "sitrep/sitrep.h"
#include "sitrep/store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store_support.h"

static void
store__migrates_a_new_file_to_the_schema_version(void **state)
{
	struct store *store = fresh("migrate");

	(void)state;
	assert_true(store_schema_version() >= 1);
	store_close(&store);
	assert_null(store);
	assert_int_equal(query_int("PRAGMA user_version"), store_schema_version());
	assert_int_equal(
		query_int("SELECT count(*) FROM sqlite_master WHERE name = 'metric_samples'"), 1);
	/* reopening an up-to-date cache changes nothing */
	assert_int_equal(store_open(&store, cache_path, 0), SUCCESS);
	store_close(&store);
}

/* Processes that open one new cache at the same moment (a daemon starting beside a
 * report) all succeed: only one migrates, the others see it done. */
static void
store__concurrent_first_opens(void **state)
{
	pid_t kids[6];
	int ok = 0;

	(void)state;
	for (int round = 0; round < 5; round++) {
		snprintf(cache_path, sizeof(cache_path), "%s/race%d.db", dir, round);
		for (size_t i = 0; i < ARRAY_SIZE(kids); i++) {
			kids[i] = fork();
			if (kids[i] == 0) {
				struct store *store;
				enum status_code code = store_open(&store, cache_path, 0);

				store_close(&store);
				_exit(code == SUCCESS ? 0 : 1);
			}
		}
		for (size_t i = 0; i < ARRAY_SIZE(kids); i++) {
			int status;

			waitpid(kids[i], &status, 0);
			ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
		}
	}
	assert_int_equal(ok, 5 * (int)ARRAY_SIZE(kids));
}

static void
store__refuses_a_newer_cache(void **state)
{
	struct store *store = fresh("newer");
	sqlite3 *db;

	(void)state;
	store_close(&store);
	assert_int_equal(sqlite3_open(cache_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(&store, cache_path, 0), ERROR_CUSTOM_MESSAGE);
	assert_null(store);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "newer than this sitrep"));
	assert_int_equal(query_int("PRAGMA user_version"), 999);
}

static struct store_incident
incident(const char *id, int64_t updated_at, const char *title)
{
	static const char *services[] = { "checkout", "payments" };
	struct store_incident in = {
		.source = "opsgenie",
		.source_id = id,
		.services = services,
		.n_services = 2,
		.title = title,
		.impact = MX_IMPACT_OUTAGE,
		.impact_start = 1000,
		.detected_at = 1100,
		.acknowledged_at = TIME_NONE,
		.contained_at = TIME_NONE,
		.resolved_at = 5000,
		.closed_at = TIME_NONE,
		.updated_at = updated_at,
	};
	return in;
}

static void
store__upsert_is_idempotent_and_newer_wins(void **state)
{
	static const struct mx_reopen reopen = { 2000, 3000 };
	struct store *store = fresh("upsert");
	struct store_incident in = incident("A1", 100, "first");

	(void)state;
	in.reopens = &reopen;
	in.n_reopens = 1;
	assert_int_equal(store_upsert_incident(store, &in), SUCCESS);
	assert_int_equal(store_upsert_incident(store, &in), SUCCESS);
	in = incident("A1", 50, "older");
	assert_int_equal(store_upsert_incident(store, &in), SUCCESS);
	store_close(&store);
	assert_int_equal(query_int("SELECT count(*) FROM incidents"), 1);
	assert_int_equal(query_int("SELECT count(*) FROM incidents WHERE title = 'first'"), 1);
	assert_int_equal(query_int("SELECT count(*) FROM incident_reopens"), 1);
	assert_int_equal(query_int("SELECT count(*) FROM incident_services"), 1);

	store = fresh("upsert");
	in = incident("A1", 200, "newer");
	assert_int_equal(store_upsert_incident(store, &in), SUCCESS);
	store_close(&store);
	assert_int_equal(query_int("SELECT count(*) FROM incidents WHERE title = 'newer'"), 1);
	/* the newer record has no reopens: the old child rows are gone, not kept */
	assert_int_equal(query_int("SELECT count(*) FROM incident_reopens"), 0);
	assert_int_equal(query_int("SELECT count(*) FROM services"), 2);
}

struct scan_seen {
	size_t rows, primary;
};

static void
count_rows(void *ctx, const struct mx_incident *mx)
{
	struct scan_seen *seen = ctx;

	seen->rows++;
	seen->primary += mx->primary;
}

static void
store__scan_emits_one_row_per_service_and_filters_the_window(void **state)
{
	struct store *store = fresh("scan");
	struct store_incident in = incident("S1", 1, "x");
	size_t index[8];
	struct scan_seen seen = { 0 };
	size_t i;

	(void)state;
	assert_int_equal(store_upsert_incident(store, &in), SUCCESS);
	for (i = 0; i < ARRAY_SIZE(index); i++)
		index[i] = i;
	/* resolved at 5000: matters for [4000, 6000), not for [6000, 9000) or [0, 900) */
	assert_int_equal(
		store_scan_metric_incidents(store, 4000, 6000, index, 8, count_rows, &seen),
		SUCCESS);
	assert_int_equal(seen.rows, 2);
	assert_int_equal(seen.primary, 1);
	seen = (struct scan_seen){ 0 };
	assert_int_equal(
		store_scan_metric_incidents(store, 6000, 9000, index, 8, count_rows, &seen),
		SUCCESS);
	assert_int_equal(seen.rows, 0);
	assert_int_equal(store_scan_metric_incidents(store, 0, 900, index, 8, count_rows, &seen),
			 SUCCESS);
	assert_int_equal(seen.rows, 0);
	/* a service without an index is skipped, and the other one becomes primary */
	index[1] = SIZE_MAX;
	assert_int_equal(store_scan_metric_incidents(store, 0, 9000, index, 8, count_rows, &seen),
			 SUCCESS);
	assert_int_equal(seen.rows, 1);
	assert_int_equal(seen.primary, 1);
	store_close(&store);
}

static void
keep_row(void *ctx, const struct mx_incident *mx)
{
	*(struct mx_incident *)ctx = *mx;
}

/* The packed metric row gives back every field the engine reads, including deltas
 * too wide for its compact form (an impact start 90 years before detection). */
static void
store__metric_row_round_trips(void **state)
{
	static const struct mx_pause pause = { 2000000000, 2000003600 };
	static const char *services[] = { "db" };
	struct store *store = fresh("mxrow");
	struct store_incident in = {
		.source = "zabbix",
		.source_id = "W1",
		.services = services,
		.n_services = 1,
		.impact = MX_IMPACT_DEGRADED,
		.impact_start = 0,
		.detected_at = 2840140800,
		.acknowledged_at = 2840140800 - 60,
		.contained_at = TIME_NONE,
		.resolved_at = 2840140800 + 7200,
		.closed_at = TIME_NONE,
		.updated_at = 1,
		.sla = { .present = true,
			 .schedule = MX_SCHEDULE_BUSINESS_HOURS,
			 .target_seconds = 480 * 60,
			 .start_time = 2840140800,
			 .stop_time = TIME_NONE,
			 .pauses = &pause,
			 .n_pauses = 1 },
	};
	struct mx_incident got = { 0 };
	size_t index[8];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(index); i++)
		index[i] = 0;
	assert_int_equal(store_upsert_incident(store, &in), SUCCESS);
	assert_int_equal(store_scan_metric_incidents(store, 0, INT64_MAX, index, 8, keep_row, &got),
			 SUCCESS);
	assert_int_equal(got.impact, MX_IMPACT_DEGRADED);
	assert_true(got.impact_start == 0);
	assert_true(got.detected_at == 2840140800);
	assert_true(got.acknowledged_at == 2840140800 - 60);
	assert_true(got.contained_at == TIME_NONE);
	assert_true(got.resolved_at == 2840140800 + 7200);
	assert_true(got.sla.present);
	assert_int_equal(got.sla.schedule, MX_SCHEDULE_BUSINESS_HOURS);
	assert_true(got.sla.target_seconds == 480 * 60);
	assert_true(got.sla.start_time == 2840140800);
	assert_true(got.sla.stop_time == TIME_NONE);
	assert_int_equal(got.sla.n_pauses, 1); /* read from their table for the callback */
	store_close(&store);
}

/* What sync writes: events on known incidents only, samples replacing on the same
 * ts, alerts that stopped being listed resolved, and the sync state of a stream. */
static void
store__sync_writes(void **state)
{
	static const char *services[] = { "api" };
	struct store *store = fresh("sync");
	struct store_incident a = incident("A", 100, "a"), b = incident("B", 100, "b");
	struct store_sync_state st;
	const char *seen[] = { "A" };

	(void)state;
	a.services = b.services = services;
	a.n_services = b.n_services = 1;
	a.source = b.source = "am";
	a.resolved_at = b.resolved_at = TIME_NONE;
	assert_int_equal(store_upsert_incident(store, &a), SUCCESS);
	assert_int_equal(store_upsert_incident(store, &b), SUCCESS);
	assert_int_equal(store_add_event(store, "am", "A", 1100, "trigger", NULL, "fired", "e1"),
			 SUCCESS);
	assert_int_equal(store_add_event(store, "am", "A", 1100, "trigger", NULL, "fired", "e1"),
			 SUCCESS);
	assert_int_equal(store_add_event(store, "am", "nope", 1100, "trigger", NULL, NULL, NULL),
			 SUCCESS);
	assert_int_equal(store_add_sample(store, "prom", "api.cpu", "instance=a", "api", 60, 1.5),
			 SUCCESS);
	assert_int_equal(store_add_sample(store, "prom", "api.cpu", "instance=a", "api", 60, 2.5),
			 SUCCESS);
	assert_int_equal(store_add_sample(store, "prom", "api.cpu", "instance=a", "api", 120, 3.5),
			 SUCCESS);
	assert_int_equal(store_resolve_missing(store, "am", seen, 1, 5000), SUCCESS);
	assert_int_equal(store_sync_cursor_set(store, "am", "alerts", "c1", "\"e\"", NULL),
			 SUCCESS);
	assert_int_equal(store_sync_round_end(store, "am", "alerts", 6000, NULL, 3, 1), SUCCESS);
	assert_int_equal(store_sync_round_end(store, "am", "alerts", 7000, "HTTP 500", 0, 0),
			 SUCCESS);
	assert_int_equal(store_sync_state_get(store, "am", "alerts", &st), SUCCESS);
	assert_string_equal(st.cursor, "c1");
	assert_string_equal(st.etag, "\"e\"");
	assert_true(st.last_success == 6000 && st.last_attempt == 7000);
	assert_string_equal(st.last_error, "HTTP 500");
	store_sync_state_release(&st);
	store_close(&store);
	assert_int_equal(query_int("SELECT count(*) FROM incident_events"), 1);
	assert_int_equal(query_int("SELECT count(*) FROM metric_samples"), 2);
	assert_int_equal(
		query_int("SELECT CAST(value AS INTEGER) FROM metric_samples WHERE ts = 60"), 2);
	assert_int_equal(query_int("SELECT count(*) FROM incidents WHERE resolved_at IS NULL"), 1);
	assert_int_equal(query_int("SELECT resolved_at FROM incidents WHERE source_id = 'B'"),
			 5000);
	/* the metric row follows the resolution */
	assert_int_equal(query_int("SELECT count(*) FROM incident_metrics WHERE last_at IS NULL"),
			 1);
}

/* Points of one series in one call: whole statements of many rows and the rows left
 * over, a later point at the same ts replacing the earlier one also within one
 * statement, and the series shared with single samples. */
static void
store__samples_many_rows(void **state)
{
	struct store *store = fresh("samples");
	struct store_point points[200];

	(void)state;
	for (int i = 0; i < 200; i++)
		points[i] = (struct store_point){ 60 * (i % 150), (double)i };
	assert_int_equal(store_begin(store), SUCCESS);
	assert_int_equal(store_add_samples(store, "prom", "api.rpm", NULL, "api", points, 200),
			 SUCCESS);
	assert_int_equal(store_add_samples(store, "prom", "api.rpm", "", "api", points, 0),
			 SUCCESS);
	assert_int_equal(store_add_sample(store, "prom", "api.rpm", "", "api", 60 * 150, -1),
			 SUCCESS);
	assert_int_equal(store_commit(store), SUCCESS);
	store_close(&store);
	assert_int_equal(query_int("SELECT count(*) FROM metric_series"), 1);
	assert_int_equal(query_int("SELECT count(*) FROM metric_samples"), 151);
	/* ts 0..49 were written twice (i and i + 150): the second wins */
	assert_int_equal(query_int("SELECT sum(value) FROM metric_samples WHERE ts < 60 * 50"),
			 (150 + 199) * 50 / 2);
	assert_int_equal(query_int("SELECT CAST(value AS INTEGER) FROM metric_samples "
				   "WHERE ts = 60 * 149"),
			 149);
	assert_int_equal(query_int("SELECT CAST(value AS INTEGER) FROM metric_samples "
				   "WHERE ts = 60 * 150"),
			 -1);
}

/* Runs sql on the last cache with plain SQLite. */
static void
exec_sql(const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(cache_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* The upsert gives the row it wrote (0: the stored record is newer), events go on
 * that row without a lookup, and a record read again unchanged leaves its raw and
 * metric rows unwritten (triggers count every write). */
static void
store__upsert_id_events_and_unchanged_rows(void **state)
{
	struct store *store = fresh("upsert-id");
	struct store_incident in = incident("R1", 100, "r");
	int64_t id, again;

	(void)state;
	store_close(&store);
	exec_sql("CREATE TABLE writes(what TEXT);"
		 "CREATE TRIGGER raw_ins AFTER INSERT ON incident_raw "
		 "BEGIN INSERT INTO writes VALUES ('raw'); END;"
		 "CREATE TRIGGER raw_upd AFTER UPDATE ON incident_raw "
		 "BEGIN INSERT INTO writes VALUES ('raw'); END;"
		 "CREATE TRIGGER mx_ins AFTER INSERT ON incident_metrics "
		 "BEGIN INSERT INTO writes VALUES ('mx'); END;"
		 "CREATE TRIGGER mx_upd AFTER UPDATE ON incident_metrics "
		 "BEGIN INSERT INTO writes VALUES ('mx'); END;");
	store = fresh("upsert-id");
	in.raw_json = "{\"id\":\"R1\"}";
	assert_int_equal(store_upsert_incident_id(store, &in, &id), SUCCESS);
	assert_true(id > 0);
	assert_int_equal(store_add_event_to(store, id, 1100, "trigger", "bot", NULL, NULL),
			 SUCCESS);
	/* Read again, newer but the same: its id again, nothing else written. */
	in.updated_at = 200;
	assert_int_equal(store_upsert_incident_id(store, &in, &again), SUCCESS);
	assert_true(again == id);
	/* Older: nothing written, no id. */
	in.updated_at = 150;
	assert_int_equal(store_upsert_incident_id(store, &in, &again), SUCCESS);
	assert_true(again == 0);
	store_close(&store);
	assert_int_equal(query_int("SELECT count(*) FROM writes WHERE what = 'raw'"), 1);
	assert_int_equal(query_int("SELECT count(*) FROM writes WHERE what = 'mx'"), 1);
	assert_int_equal(query_int("SELECT count(*) FROM incident_events WHERE incident_id = "
				   "(SELECT id FROM incidents WHERE source_id = 'R1') AND "
				   "actor = 'bot'"),
			 1);
	assert_int_equal(query_int("SELECT updated_at FROM incidents"), 200);

	/* Changed raw JSON and resolution: both rows are written again. */
	store = fresh("upsert-id");
	in = incident("R1", 300, "r");
	in.raw_json = "{\"id\":\"R1\",\"status\":\"closed\"}";
	in.resolved_at = 6000;
	assert_int_equal(store_upsert_incident_id(store, &in, &again), SUCCESS);
	assert_true(again == id);
	store_close(&store);
	assert_int_equal(query_int("SELECT count(*) FROM writes WHERE what = 'raw'"), 2);
	assert_int_equal(query_int("SELECT count(*) FROM writes WHERE what = 'mx'"), 2);
	assert_int_equal(query_int("SELECT count(*) FROM incident_raw WHERE json LIKE "
				   "'%closed%'"),
			 1);
	assert_int_equal(query_int("SELECT last_at FROM incident_metrics"), 6000);
}

static void
store__settings_round_trip(void **state)
{
	struct store *store = fresh("settings");
	char *value;

	(void)state;
	assert_int_equal(store_get_setting(store, "missing", &value), SUCCESS);
	assert_null(value);
	assert_int_equal(store_set_setting(store, "k", "v1"), SUCCESS);
	assert_int_equal(store_set_setting(store, "k", "v2"), SUCCESS);
	assert_int_equal(store_get_setting(store, "k", &value), SUCCESS);
	assert_string_equal(value, "v2");
	free(value);
	store_close(&store);
}

/* Presence rows in the locks table: a console's row replaced as a whole, only its
 * own (a prefix that looks like a pattern matches literally), read back by prefix
 * and age; a real lock beside them is left alone. */
static void
store__presence_rows_by_prefix(void **state)
{
	struct store *store = fresh("presence");
	char lock_name[] = "rollback:cart.production", a_name[] = "viewer:h1:10:deploys:cart";
	char b_name[] = "viewer:h1:11:overview:", a2_name[] = "viewer:h1:10:rollback:cart";
	char alice[] = "alice", bob[] = "bob", h1[] = "h1", client[] = "10.0.0.7";
	struct store_lock lock = { lock_name, alice, h1, 10, 100 };
	struct store_lock a = { a_name, alice, client, 10, 100 };
	struct store_lock b = { b_name, bob, h1, 11, 90 };
	struct store_lock a2 = { a2_name, alice, client, 10, 105 };
	struct store_lock held, *rows;
	size_t n;
	bool taken;

	(void)state;
	assert_int_equal(store_lock_take(store, &lock, NULL, NULL, &taken, &held), SUCCESS);
	assert_true(taken);
	assert_int_equal(store_lock_replace(store, "viewer:h1:10:", &a), SUCCESS);
	assert_int_equal(store_lock_replace(store, "viewer:h1:11:", &b), SUCCESS);
	assert_int_equal(store_lock_replace(store, "viewer:h1:1_:", NULL), SUCCESS);
	assert_int_equal(store_lock_replace(store, "viewer:h1:10:", &a2), SUCCESS);
	assert_int_equal(store_locks_named(store, "viewer:", 0, &rows, &n), SUCCESS);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].name, "viewer:h1:10:rollback:cart");
	assert_string_equal(rows[0].host, "10.0.0.7");
	assert_int_equal(rows[0].since, 105);
	assert_string_equal(rows[1].holder, "bob");
	store_locks_free(rows, n);
	assert_int_equal(store_locks_named(store, "viewer:", 100, &rows, &n), SUCCESS);
	assert_int_equal(n, 1); /* bob's is older */
	store_locks_free(rows, n);
	assert_int_equal(store_lock_replace(store, "viewer:h1:10:", NULL), SUCCESS);
	assert_int_equal(store_locks_named(store, "viewer:h1:10:", 0, &rows, &n), SUCCESS);
	assert_int_equal(n, 0);
	store_locks_free(rows, n);
	assert_int_equal(store_locks_named(store, "rollback:", 0, &rows, &n), SUCCESS);
	assert_int_equal(n, 1);
	store_locks_free(rows, n);
	store_close(&store);
}

static void
store__default_path_lookup(void **state)
{
	char *p;

	(void)state;
	p = store_default_path("/x/explicit.db");
	assert_string_equal(p, "/x/explicit.db");
	free(p);
	setenv("SITREP_DB", "/x/env.db", 1);
	p = store_default_path(NULL);
	assert_string_equal(p, "/x/env.db");
	free(p);
	unsetenv("SITREP_DB");
	setenv("XDG_STATE_HOME", "/x/state", 1);
	p = store_default_path(NULL);
	assert_string_equal(p, "/x/state/sitrep/sitrep.db");
	free(p);
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/x/home", 1);
	p = store_default_path(NULL);
	assert_string_equal(p, "/x/home/.local/state/sitrep/sitrep.db");
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(store__migrates_a_new_file_to_the_schema_version),
		cmocka_unit_test(store__refuses_a_newer_cache),
		cmocka_unit_test(store__concurrent_first_opens),
		cmocka_unit_test(store__upsert_is_idempotent_and_newer_wins),
		cmocka_unit_test(store__scan_emits_one_row_per_service_and_filters_the_window),
		cmocka_unit_test(store__metric_row_round_trips),
		cmocka_unit_test(store__sync_writes),
		cmocka_unit_test(store__samples_many_rows),
		cmocka_unit_test(store__upsert_id_events_and_unchanged_rows),
		cmocka_unit_test(store__settings_round_trip),
		cmocka_unit_test(store__default_path_lookup),
		cmocka_unit_test(store__presence_rows_by_prefix),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
