/* branches.c - the branches of each repository with their protection rules, and the
 * check runs reported on commits: idempotent upserts (the newer updated_at wins) and
 * the listings `sitrep export branches|checks` and the branch graph read.
 *
 * One upsert statement each: these tables hold a few rows per repository, written a
 * page at a time, so the insert-then-update split of the bulk tables buys nothing. */
#include "sitrep/sitrep.h"
#include "sitrep/store.h"
#include "store-private.h"

static const char branch_sql[] =
	"INSERT INTO branches(source, repo, name, head_sha, protected, required_checks, "
	"required_approvals, force_push, enforce_admins, code_owner_approval, push_access, "
	"merge_access, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
	"ON CONFLICT(source, repo, name) DO UPDATE SET head_sha = excluded.head_sha, "
	"protected = excluded.protected, required_checks = excluded.required_checks, "
	"required_approvals = excluded.required_approvals, force_push = excluded.force_push, "
	"enforce_admins = excluded.enforce_admins, "
	"code_owner_approval = excluded.code_owner_approval, push_access = excluded.push_access, "
	"merge_access = excluded.merge_access, updated_at = excluded.updated_at "
	"WHERE excluded.updated_at >= branches.updated_at";

static const char check_sql[] =
	"INSERT INTO check_runs(source, repo, sha, name, source_id, status, started_at, "
	"finished_at, url, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
	"ON CONFLICT(source, repo, sha, name) DO UPDATE SET source_id = excluded.source_id, "
	"status = excluded.status, started_at = excluded.started_at, "
	"finished_at = excluded.finished_at, url = excluded.url, updated_at = excluded.updated_at "
	"WHERE excluded.updated_at >= check_runs.updated_at";

/* -1 (unknown) binds NULL. */
static void
bind_known(sqlite3_stmt *stmt, int col, int64_t v)
{
	if (v < 0)
		sqlite3_bind_null(stmt, col);
	else
		sqlite3_bind_int64(stmt, col, v);
}

static int64_t
column_known(sqlite3_stmt *stmt, int col)
{
	return sqlite3_column_type(stmt, col) == SQLITE_NULL ? -1 : sqlite3_column_int64(stmt, col);
}

enum status_code
store_upsert_branch(struct store *store, const struct store_branch *b)
{
	sqlite3_stmt *stmt;

	if (!b->source || !b->repo || !b->name || !*b->name)
		return error("a branch needs a source, a repository and a name");
	if (!(stmt = store_stmt(store, STMT_BRANCH_UPSERT, branch_sql)))
		return ERROR_CUSTOM_MESSAGE;
	store_bind_text(stmt, 1, b->source);
	store_bind_text(stmt, 2, b->repo);
	store_bind_text(stmt, 3, b->name);
	store_bind_text(stmt, 4, b->head_sha);
	sqlite3_bind_int(stmt, 5, b->protected);
	store_bind_text(stmt, 6, b->required_checks);
	bind_known(stmt, 7, b->required_approvals);
	bind_known(stmt, 8, b->force_push);
	bind_known(stmt, 9, b->enforce_admins);
	bind_known(stmt, 10, b->code_owner_approval);
	store_bind_text(stmt, 11, b->push_access);
	store_bind_text(stmt, 12, b->merge_access);
	sqlite3_bind_int64(stmt, 13, b->updated_at);
	return store_step_done(store, stmt, "saving a branch");
}

enum status_code
store_upsert_check_run(struct store *store, const struct store_check_run *c)
{
	sqlite3_stmt *stmt;

	if (!c->source || !c->repo || !c->sha || !c->name || !c->status)
		return error("a check run needs a source, a repository, a sha, a name and a "
			     "status");
	if (!(stmt = store_stmt(store, STMT_CHECK_RUN_UPSERT, check_sql)))
		return ERROR_CUSTOM_MESSAGE;
	store_bind_text(stmt, 1, c->source);
	store_bind_text(stmt, 2, c->repo);
	store_bind_text(stmt, 3, c->sha);
	store_bind_text(stmt, 4, c->name);
	store_bind_text(stmt, 5, c->source_id);
	store_bind_text(stmt, 6, c->status);
	store_bind_time(stmt, 7, c->started_at);
	store_bind_time(stmt, 8, c->finished_at);
	store_bind_text(stmt, 9, c->url);
	sqlite3_bind_int64(stmt, 10, c->updated_at);
	return store_step_done(store, stmt, "saving a check run");
}

static bool
kept(const char *name, const char *const *keep, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (streq(keep[i], name))
			return true;
	return false;
}

enum status_code
store_prune_branches(struct store *store, const char *source, const char *repo,
		     const char *const *keep, size_t n_keep)
{
	sqlite3_stmt *stmt =
		store_stmt(store, STMT_BRANCH_NAMES,
			   "SELECT id, name FROM branches WHERE source = ? AND repo = ?");
	int64_t *gone = NULL;
	size_t n = 0, alloc = 0;
	enum status_code code = SUCCESS;
	int rc;

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	store_bind_text(stmt, 1, source);
	store_bind_text(stmt, 2, repo);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (kept(store_column_text(stmt, 1), keep, n_keep))
			continue;
		gone = xgrow(gone, &alloc, n + 1, sizeof(*gone));
		gone[n++] = sqlite3_column_int64(stmt, 0);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		code = store_error(store, "reading a repository's branches");
	for (size_t i = 0; code == SUCCESS && i < n; i++) {
		if (!(stmt = store_stmt(store, STMT_BRANCH_DELETE,
					"DELETE FROM branches WHERE id = ?")))
			code = ERROR_CUSTOM_MESSAGE;
		else {
			sqlite3_bind_int64(stmt, 1, gone[i]);
			code = store_step_done(store, stmt, "deleting a branch");
		}
	}
	free(gone);
	return code;
}

/* A listing's statement with ?1 source and ?2 repo bound from filter (NULL: all). */
static sqlite3_stmt *
listing(struct store *store, const char *sql, const struct store_filter *filter)
{
	sqlite3_stmt *stmt;

	if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		store_error(store, "listing branches and checks");
		return NULL;
	}
	if (filter) {
		store_bind_text(stmt, 1, filter->source);
		store_bind_text(stmt, 2, filter->service);
	}
	return stmt;
}

static enum status_code
finish(struct store *store, sqlite3_stmt *stmt, int rc, enum status_code code)
{
	if (code == SUCCESS && rc != SQLITE_DONE)
		code = store_error(store, "listing branches and checks");
	sqlite3_finalize(stmt);
	return code;
}

enum status_code
store_each_branch(struct store *store, const struct store_filter *filter, store_branch_cb cb,
		  void *ctx)
{
	sqlite3_stmt *stmt =
		listing(store,
			"SELECT source, repo, name, head_sha, protected, required_checks, "
			"required_approvals, force_push, enforce_admins, code_owner_approval, "
			"push_access, merge_access, updated_at FROM branches "
			"WHERE (?1 IS NULL OR source = ?1) AND (?2 IS NULL OR repo = ?2) "
			"ORDER BY source, repo, name",
			filter);
	enum status_code code = SUCCESS;
	int rc;

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	while (code == SUCCESS && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_branch b = {
			.source = store_column_text(stmt, 0),
			.repo = store_column_text(stmt, 1),
			.name = store_column_text(stmt, 2),
			.head_sha = store_column_text(stmt, 3),
			.protected = sqlite3_column_int(stmt, 4) != 0,
			.required_checks = store_column_text(stmt, 5),
			.required_approvals = column_known(stmt, 6),
			.force_push = (int)column_known(stmt, 7),
			.enforce_admins = (int)column_known(stmt, 8),
			.code_owner_approval = (int)column_known(stmt, 9),
			.push_access = store_column_text(stmt, 10),
			.merge_access = store_column_text(stmt, 11),
			.updated_at = sqlite3_column_int64(stmt, 12),
		};

		code = cb(ctx, &b);
		rc = SQLITE_DONE;
	}
	return finish(store, stmt, rc, code);
}

enum status_code
store_each_check_run(struct store *store, const struct store_filter *filter, store_check_run_cb cb,
		     void *ctx)
{
	sqlite3_stmt *stmt = listing(
		store,
		"SELECT source, repo, sha, name, source_id, status, started_at, finished_at, url, "
		"updated_at FROM check_runs "
		"WHERE (?1 IS NULL OR source = ?1) AND (?2 IS NULL OR repo = ?2) "
		"ORDER BY source, repo, sha, name",
		filter);
	enum status_code code = SUCCESS;
	int rc;

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	while (code == SUCCESS && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_check_run c = {
			.source = store_column_text(stmt, 0),
			.repo = store_column_text(stmt, 1),
			.sha = store_column_text(stmt, 2),
			.name = store_column_text(stmt, 3),
			.source_id = store_column_text(stmt, 4),
			.status = store_column_text(stmt, 5),
			.started_at = store_column_time(stmt, 6),
			.finished_at = store_column_time(stmt, 7),
			.url = store_column_text(stmt, 8),
			.updated_at = sqlite3_column_int64(stmt, 9),
		};

		code = cb(ctx, &c);
		rc = SQLITE_DONE;
	}
	return finish(store, stmt, rc, code);
}
