/* test_store_branches.c - schema version 4 on real SQLite files: a version 3 cache
 * migrates and keeps its rows; branches and check runs upsert idempotently (one
 * row however often written, the newer updated_at wins, unknown rules stay NULL)
 * and read back through the listings and `sitrep export branches|checks` in JSON
 * and CSV, exactly. */
#include "sitrep/sitrep.h"
#include "sitrep/store.h"
#include "sitrep/import.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "store_support.h"

#define SHA "78b9ff49d47daaa158eb373c4e2e040f739df8b9"

/* A cache written by a sitrep that knew versions 1 to 3 of data/schema.sql. */
static void
store_branches__version_3_cache_migrates(void **state)
{
	FILE *f = fopen("data/schema.sql", "r");
	char *schema = xcalloc(1, 1 << 20), *v4;
	struct store *store;
	sqlite3 *db;

	(void)state;
	assert_non_null(f);
	assert_true(fread(schema, 1, (1 << 20) - 1, f) > 0);
	fclose(f);
	assert_non_null(v4 = strstr(schema, "-- version 4"));
	*v4 = '\0';
	snprintf(cache_path, sizeof(cache_path), "%s/v3.db", dir);
	assert_int_equal(sqlite3_open(cache_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, schema, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(db,
			     "PRAGMA user_version = 3;"
			     "INSERT INTO services(id, name) VALUES (1, 'checkout');"
			     "INSERT INTO pipelines(source, source_id, project, status, "
			     "updated_at) VALUES ('gh', '7', 'acme/checkout', 'success', 1);",
			     NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(db);
	free(schema);

	assert_int_equal(store_open(&store, cache_path, 0), SUCCESS);
	store_close(&store);
	assert_true(store_schema_version() >= 4);
	assert_int_equal(query_int("PRAGMA user_version"), store_schema_version());
	assert_int_equal(query_int("SELECT count(*) FROM pipelines"), 1);
	assert_int_equal(query_int("SELECT count(*) FROM branches"), 0);
	assert_int_equal(query_int("SELECT count(*) FROM check_runs"), 0);
}

static struct store_branch
main_branch(int64_t updated)
{
	return (struct store_branch){
		.source = "gh",
		.repo = "acme/checkout",
		.name = "main",
		.head_sha = SHA,
		.protected = true,
		.required_checks = "lint, unit-tests",
		.required_approvals = 1,
		.force_push = 0,
		.enforce_admins = 1,
		.code_owner_approval = -1,
		.updated_at = updated,
	};
}

static struct store_check_run
lint_check(const char *id, const char *status, int64_t updated)
{
	return (struct store_check_run){
		.source = "gh",
		.repo = "acme/checkout",
		.sha = SHA,
		.name = "lint",
		.source_id = id,
		.status = status,
		.started_at = 1740990000,
		.finished_at = streq(status, "running") ? TIME_NONE : 1740990070,
		.url = "https://github.com/acme/checkout/runs/6",
		.updated_at = updated,
	};
}

static enum status_code
keep_branch(void *ctx, const struct store_branch *b)
{
	struct buf *out = ctx;

	buf_printf(out, "%s|%s|%s|%s|%d|%s|%lld|%d|%d|%d|%s|%s|%lld\n", b->source, b->repo, b->name,
		   b->head_sha ? b->head_sha : "-", b->protected,
		   b->required_checks ? b->required_checks : "-", (long long)b->required_approvals,
		   b->force_push, b->enforce_admins, b->code_owner_approval,
		   b->push_access ? b->push_access : "-", b->merge_access ? b->merge_access : "-",
		   (long long)b->updated_at);
	return SUCCESS;
}

static enum status_code
keep_check(void *ctx, const struct store_check_run *c)
{
	struct buf *out = ctx;

	buf_printf(out, "%s|%s|%s|%s|%s|%lld|%lld|%lld\n", c->repo, c->sha, c->name, c->source_id,
		   c->status, (long long)c->started_at, (long long)c->finished_at,
		   (long long)c->updated_at);
	return SUCCESS;
}

static void
store_branches__upserts_are_idempotent_and_newer_wins(void **state)
{
	struct store *store = fresh("upsert");
	struct store_branch b = main_branch(2000), gl = { 0 };
	struct store_check_run c;
	struct store_filter filter = { .source = "gl", .since = TIME_NONE };
	struct buf out;

	(void)state;
	assert_int_equal(store_upsert_branch(store, &b), SUCCESS);
	assert_int_equal(store_upsert_branch(store, &b), SUCCESS);
	b.required_approvals = 2;
	b.updated_at = 1000; /* older: ignored */
	assert_int_equal(store_upsert_branch(store, &b), SUCCESS);
	gl = (struct store_branch){ .source = "gl",
				    .repo = "acme/checkout",
				    .name = "release/*",
				    .protected = true,
				    .required_approvals = -1,
				    .force_push = 1,
				    .enforce_admins = -1,
				    .code_owner_approval = 0,
				    .push_access = "no one",
				    .merge_access = "maintainer",
				    .updated_at = 1500 };
	assert_int_equal(store_upsert_branch(store, &gl), SUCCESS);
	buf_init(&out, 0);
	assert_int_equal(store_each_branch(store, NULL, keep_branch, &out), SUCCESS);
	assert_string_equal(out.data,
			    "gh|acme/checkout|main|" SHA "|1|lint, unit-tests|1|0|1|-1|-|-|2000\n"
			    "gl|acme/checkout|release/*|-|1|-|-1|1|-1|0|no one|maintainer|1500\n");
	buf_reset(&out);
	assert_int_equal(store_each_branch(store, &filter, keep_branch, &out), SUCCESS);
	assert_non_null(strstr(out.data, "release/*"));
	assert_null(strstr(out.data, "|main|"));
	/* Newer: the head moves, the rules change. */
	b = main_branch(3000);
	b.head_sha = "0000000000000000000000000000000000000001";
	b.protected = false;
	b.required_checks = NULL;
	assert_int_equal(store_upsert_branch(store, &b), SUCCESS);
	assert_int_equal(query_int("SELECT count(*) FROM branches"), 2);
	assert_int_equal(query_int("SELECT count(*) FROM branches WHERE name = 'main' AND "
				   "protected = 0 AND required_checks IS NULL AND "
				   "code_owner_approval IS NULL AND head_sha LIKE '0%1'"),
			 1);

	/* A branch deleted upstream goes; another source's and repository's stay. */
	b = main_branch(3000);
	b.name = "feature/gone";
	assert_int_equal(store_upsert_branch(store, &b), SUCCESS);
	b.repo = "acme/search";
	assert_int_equal(store_upsert_branch(store, &b), SUCCESS);
	{
		const char *keep[] = { "main", "release/*" };

		assert_int_equal(store_prune_branches(store, "gh", "acme/checkout", keep, 2),
				 SUCCESS);
	}
	assert_int_equal(query_int("SELECT count(*) FROM branches"), 3);
	assert_int_equal(query_int("SELECT count(*) FROM branches WHERE name = 'feature/gone'"), 1);
	assert_int_equal(query_int("SELECT count(*) FROM branches WHERE repo = 'acme/search'"), 1);

	c = lint_check("6", "running", 1740990000);
	assert_int_equal(store_upsert_check_run(store, &c), SUCCESS);
	assert_int_equal(store_upsert_check_run(store, &c), SUCCESS);
	c = lint_check("6", "success", 1740990070);
	assert_int_equal(store_upsert_check_run(store, &c), SUCCESS);
	c = lint_check("5", "failed", 1740980000); /* an older run of the check */
	assert_int_equal(store_upsert_check_run(store, &c), SUCCESS);
	buf_reset(&out);
	assert_int_equal(store_each_check_run(store, NULL, keep_check, &out), SUCCESS);
	assert_string_equal(out.data, "acme/checkout|" SHA
				      "|lint|6|success|1740990000|1740990070|1740990070\n");
	c.status = NULL;
	assert_int_equal(store_upsert_check_run(store, &c), ERROR_CUSTOM_MESSAGE);
	b.name = "";
	assert_int_equal(store_upsert_branch(store, &b), ERROR_CUSTOM_MESSAGE);
	buf_release(&out);
	store_close(&store);
}

/* The export of what one store holds, as text (new). */
static char *
exported(struct store *store, enum export_kind kind, enum export_format format)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(export_records(store, f, kind, format, NULL), SUCCESS);
	fclose(f);
	return text;
}

static void
store_branches__export(void **state)
{
	struct store *store = fresh("export");
	struct store_branch b = main_branch(1740996000);
	struct store_check_run c = lint_check("6", "success", 1740990070);
	char *text;

	(void)state;
	assert_int_equal(store_upsert_branch(store, &b), SUCCESS);
	b = (struct store_branch){ .source = "gh",
				   .repo = "acme/checkout",
				   .name = "feature/x,y",
				   .head_sha = SHA,
				   .required_approvals = -1,
				   .force_push = -1,
				   .enforce_admins = -1,
				   .code_owner_approval = -1,
				   .updated_at = 1740996000 };
	assert_int_equal(store_upsert_branch(store, &b), SUCCESS);
	assert_int_equal(store_upsert_check_run(store, &c), SUCCESS);

	text = exported(store, EXPORT_BRANCHES, EXPORT_CSV);
	assert_string_equal(
		text, "source,repo,name,head_sha,protected,required_checks,required_approvals,"
		      "force_push,enforce_admins,code_owner_approval,push_access,merge_access,"
		      "updated_at\n"
		      "gh,acme/checkout,\"feature/x,y\"," SHA ",false,,,,,,,,2025-03-03T10:00:00Z\n"
		      "gh,acme/checkout,main," SHA ",true,\"lint, unit-tests\",1,false,true,,,,"
		      "2025-03-03T10:00:00Z\n");
	free(text);
	text = exported(store, EXPORT_BRANCHES, EXPORT_JSON);
	assert_string_equal(
		text, "{\"format\":\"sitrep-export/1\",\"branches\":[\n"
		      "{\"source\":\"gh\",\"repo\":\"acme/checkout\",\"name\":\"feature/x,y\","
		      "\"head_sha\":\"" SHA "\",\"protected\":false,\"required_checks\":null,"
		      "\"required_approvals\":null,\"force_push\":null,\"enforce_admins\":null,"
		      "\"code_owner_approval\":null,\"push_access\":null,\"merge_access\":null,"
		      "\"updated_at\":\"2025-03-03T10:00:00Z\"},\n"
		      "{\"source\":\"gh\",\"repo\":\"acme/checkout\",\"name\":\"main\","
		      "\"head_sha\":\"" SHA "\",\"protected\":true,\"required_checks\":\"lint, "
		      "unit-tests\",\"required_approvals\":1,\"force_push\":false,"
		      "\"enforce_admins\":true,\"code_owner_approval\":null,\"push_access\":null,"
		      "\"merge_access\":null,\"updated_at\":\"2025-03-03T10:00:00Z\"}\n]}\n");
	free(text);
	text = exported(store, EXPORT_CHECKS, EXPORT_CSV);
	assert_string_equal(text, "source,repo,sha,name,id,status,started_at,finished_at,url,"
				  "updated_at\n"
				  "gh,acme/checkout," SHA ",lint,6,success,2025-03-03T08:20:00Z,"
				  "2025-03-03T08:21:10Z,https://github.com/acme/checkout/runs/6,"
				  "2025-03-03T08:21:10Z\n");
	free(text);
	text = exported(store, EXPORT_CHECKS, EXPORT_JSON);
	assert_non_null(strstr(text, "\"checks\":[\n{\"source\":\"gh\""));
	assert_non_null(strstr(text, "\"status\":\"success\""));
	free(text);
	store_close(&store);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(store_branches__version_3_cache_migrates),
		cmocka_unit_test(store_branches__upserts_are_idempotent_and_newer_wins),
		cmocka_unit_test(store_branches__export),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
