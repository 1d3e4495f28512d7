/* store_support.h - what the tests on real cache files share: a scratch directory
 * made before the group and removed after it (setup, teardown), a cache opened in
 * it (fresh), and one integer read from the last cache with plain SQLite
 * (query_int). Include after <cmocka.h>. */
#ifndef SITREP_TEST_STORE_SUPPORT_H
#define SITREP_TEST_STORE_SUPPORT_H

#include "sitrep/store.h"

#include <sqlite3.h>

static char dir[] = "/tmp/sitrep-test-XXXXXX";
static char cache_path[256]; /* the cache fresh() opened last */

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf %s", dir);
	int rc = system(cmd);

	(void)state;
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static inline struct store *
fresh(const char *name)
{
	struct store *store;

	snprintf(cache_path, sizeof(cache_path), "%s/%s.db", dir, name);
	assert_int_equal(store_open(&store, cache_path, 0), SUCCESS);
	return store;
}

static inline int64_t
query_int(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *stmt;
	int64_t v = -1;

	assert_int_equal(sqlite3_open(cache_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return v;
}

#endif
