/* deployments.c - deployment rows with their commits: idempotent upsert, iteration
 * for export, and loading the DORA engine's input with links resolved to indexes. */
#include "sitrep/sitrep.h"
#include "sitrep/store.h"
#include "store-private.h"

#include <math.h>

static const struct store_upsert deployment_upsert = {
	.insert = STMT_DEPLOYMENT_INSERT,
	.insert_sql =
		"INSERT INTO deployments(source, source_id, service_id, environment, status, "
		"kind, version, sha, pattern, started_at, finished_at, fixes, rolled_back_by, "
		"updated_at, canary_weight, bake_until, replaces, pipeline, target, url) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
		"?17, ?18, ?19, ?20) ON CONFLICT(source, source_id) DO NOTHING",
	.update = STMT_DEPLOYMENT_UPDATE,
	.update_sql = "UPDATE deployments SET service_id = ?3, environment = ?4, status = ?5, "
		      "kind = ?6, version = ?7, sha = ?8, pattern = ?9, started_at = ?10, "
		      "finished_at = ?11, fixes = ?12, rolled_back_by = ?13, updated_at = ?14, "
		      "canary_weight = ?15, bake_until = ?16, replaces = ?17, pipeline = ?18, "
		      "target = ?19, url = ?20 "
		      "WHERE source = ?1 AND source_id = ?2 AND ?14 >= updated_at",
	.lookup = STMT_DEPLOYMENT_ID,
	.lookup_sql = "SELECT id FROM deployments WHERE source = ?1 AND source_id = ?2",
	.doing = "saving a deployment",
};

static void
bind_deployment(sqlite3_stmt *stmt, const void *record, int64_t service_id)
{
	const struct store_deployment *in = record;

	store_bind_text(stmt, 1, in->source);
	store_bind_text(stmt, 2, in->source_id);
	if (sqlite3_bind_parameter_count(stmt) < 20)
		return; /* the lookup */
	sqlite3_bind_int64(stmt, 3, service_id);
	store_bind_text(stmt, 4, in->environment);
	store_bind_text(stmt, 5, in->status);
	sqlite3_bind_int(stmt, 6, (int)in->kind);
	store_bind_text(stmt, 7, in->version);
	store_bind_text(stmt, 8, in->sha);
	store_bind_text(stmt, 9, in->pattern);
	store_bind_time(stmt, 10, in->started_at);
	store_bind_time(stmt, 11, in->finished_at);
	store_bind_text(stmt, 12, in->fixes);
	store_bind_text(stmt, 13, in->rolled_back_by);
	sqlite3_bind_int64(stmt, 14, in->updated_at);
	if (!isnan(in->canary_weight))
		sqlite3_bind_double(stmt, 15, in->canary_weight);
	store_bind_time(stmt, 16, in->bake_until);
	store_bind_text(stmt, 17, in->replaces);
	store_bind_text(stmt, 18, in->pipeline);
	store_bind_text(stmt, 19, in->target);
	store_bind_text(stmt, 20, in->url);
}

static enum status_code
write_commits(struct store *store, int64_t id, const struct store_deployment *in, bool fresh)
{
	sqlite3_stmt *stmt;
	size_t i;

	if (!fresh) {
		if (!(stmt = store_stmt(store, STMT_DEPLOYMENT_COMMITS_CLEAR,
					"DELETE FROM deployment_commits WHERE deployment_id = ?")))
			return ERROR_CUSTOM_MESSAGE;
		sqlite3_bind_int64(stmt, 1, id);
		if (store_step_done(store, stmt, "replacing a deployment's commits") != SUCCESS)
			return ERROR_CUSTOM_MESSAGE;
	}
	for (i = 0; i < in->n_commits; i++) {
		if (!(stmt = store_stmt(store, STMT_DEPLOYMENT_COMMIT_ADD,
					"INSERT INTO deployment_commits(deployment_id, position, "
					"sha, committed_at) "
					"VALUES (?, ?, ?, ?)")))
			return ERROR_CUSTOM_MESSAGE;
		sqlite3_bind_int64(stmt, 1, id);
		sqlite3_bind_int64(stmt, 2, (int64_t)i);
		store_bind_text(stmt, 3, in->commits[i].sha);
		store_bind_time(stmt, 4, in->commits[i].committed_at);
		if (store_step_done(store, stmt, "saving a deployment's commits") != SUCCESS)
			return ERROR_CUSTOM_MESSAGE;
	}
	return SUCCESS;
}

enum status_code
store_upsert_deployment(struct store *store, const struct store_deployment *in)
{
	int64_t service_id, id;
	bool fresh;

	if (store_service_id(store, in->service, true, &service_id) != SUCCESS ||
	    store_upsert_row(store, &deployment_upsert, bind_deployment, in, service_id, &id,
			     &fresh) != SUCCESS)
		return ERROR_CUSTOM_MESSAGE;
	return id ? write_commits(store, id, in, fresh) : SUCCESS;
}

static const char each_sql[] =
	"SELECT d.id, d.source, d.source_id, s.name, d.environment, d.status, d.kind, "
	"d.version, d.sha, d.pattern, d.started_at, d.finished_at, d.fixes, d.rolled_back_by, "
	"d.updated_at, d.canary_weight, d.bake_until, d.replaces, d.pipeline, d.target, d.url "
	"FROM deployments d JOIN services s ON s.id = d.service_id "
	"WHERE (?1 IS NULL OR d.source = ?1) AND (?2 IS NULL OR s.name = ?2) "
	"AND (?3 IS NULL OR d.started_at >= ?3) ORDER BY d.id";

enum status_code
store_read_commits(struct store *store, int64_t id, struct dora_commit **commits, size_t *alloc,
		   size_t *n)
{
	sqlite3_stmt *stmt = store_stmt(
		store, STMT_DEPLOYMENT_COMMITS,
		"SELECT sha, committed_at FROM deployment_commits WHERE deployment_id = ? "
		"ORDER BY position");
	int rc;

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	sqlite3_bind_int64(stmt, 1, id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*commits = xgrow(*commits, alloc, *n + 1, sizeof(**commits));
		(*commits)[*n].sha = xstrdup(store_column_text(stmt, 0));
		(*commits)[*n].committed_at = store_column_time(stmt, 1);
		(*n)++;
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? SUCCESS : store_error(store, "reading commits");
}

static void
free_commit_shas(struct dora_commit *commits, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free((char *)(uintptr_t)commits[i].sha);
}

enum status_code
store_each_deployment(struct store *store, const struct store_filter *filter,
		      store_deployment_cb cb, void *ctx)
{
	struct dora_commit *commits = NULL;
	size_t alloc = 0, n = 0;
	enum status_code code = SUCCESS;
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(store->db, each_sql, -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "listing deployments");
	if (filter) {
		store_bind_text(stmt, 1, filter->source);
		store_bind_text(stmt, 2, filter->service);
		store_bind_time(stmt, 3, filter->since);
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_deployment rec = {
			.source = store_column_text(stmt, 1),
			.source_id = store_column_text(stmt, 2),
			.service = store_column_text(stmt, 3),
			.environment = store_column_text(stmt, 4),
			.status = store_column_text(stmt, 5),
			.kind = (enum dora_kind)sqlite3_column_int(stmt, 6),
			.version = store_column_text(stmt, 7),
			.sha = store_column_text(stmt, 8),
			.pattern = store_column_text(stmt, 9),
			.started_at = store_column_time(stmt, 10),
			.finished_at = store_column_time(stmt, 11),
			.fixes = store_column_text(stmt, 12),
			.rolled_back_by = store_column_text(stmt, 13),
			.updated_at = sqlite3_column_int64(stmt, 14),
			.canary_weight = sqlite3_column_type(stmt, 15) == SQLITE_NULL
						 ? NAN
						 : sqlite3_column_double(stmt, 15),
			.bake_until = store_column_time(stmt, 16),
			.replaces = store_column_text(stmt, 17),
			.pipeline = store_column_text(stmt, 18),
			.target = store_column_text(stmt, 19),
			.url = store_column_text(stmt, 20),
		};

		free_commit_shas(commits, n);
		n = 0;
		if ((code = store_read_commits(store, sqlite3_column_int64(stmt, 0), &commits,
					       &alloc, &n)) != SUCCESS)
			break;
		rec.commits = commits;
		rec.n_commits = n;
		if ((code = cb(ctx, &rec)) != SUCCESS)
			break;
	}
	if (code == SUCCESS && rc != SQLITE_DONE)
		code = store_error(store, "listing deployments");
	sqlite3_finalize(stmt);
	free_commit_shas(commits, n);
	free(commits);
	return code;
}

enum status_code
store_previous_deployment_sha(struct store *store, const struct store_deployment *d, char **sha)
{
	sqlite3_stmt *stmt = store_stmt(
		store, STMT_DEPLOYMENT_PREVIOUS,
		"SELECT d.sha FROM deployments d JOIN services s ON s.id = d.service_id "
		"WHERE d.source = ?1 AND d.source_id = ?2 AND d.sha IS NOT NULL "
		"AND d.status NOT IN ('failed', 'rolled_back') "
		"UNION ALL SELECT * FROM (SELECT d.sha FROM deployments d "
		"JOIN services s ON s.id = d.service_id WHERE s.name = ?3 AND d.environment = ?4 "
		"AND d.sha IS NOT NULL AND d.started_at < ?5 AND d.source_id != ?6 "
		"AND d.status NOT IN ('failed', 'rolled_back') "
		"ORDER BY d.started_at DESC LIMIT 1) LIMIT 1");
	int rc;

	*sha = NULL;
	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	store_bind_text(stmt, 1, d->source);
	store_bind_text(stmt, 2, d->replaces);
	store_bind_text(stmt, 3, d->service);
	store_bind_text(stmt, 4, d->environment);
	store_bind_time(stmt, 5, d->started_at);
	store_bind_text(stmt, 6, d->source_id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*sha = xstrdup(store_column_text(stmt, 0));
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
		       ? SUCCESS
		       : store_error(store, "finding the previous deployment");
}
