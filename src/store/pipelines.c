/* pipelines.c - CI/CD runs with their stages: idempotent upsert (the newer
 * updated_at wins, the stages of a newer record replace the old ones) and the
 * filtered listing the pipeline view and `sitrep export pipelines` read. */
#include "sitrep/sitrep.h"
#include "sitrep/store.h"
#include "store-private.h"
#include "sitrep/console_store.h"

#include <math.h>

static const struct store_upsert pipeline_upsert = {
	.insert = STMT_PIPELINE_INSERT,
	.insert_sql =
		"INSERT INTO pipelines(source, source_id, service_id, project, name, number, ref, "
		"sha, event, actor, status, queued_at, started_at, finished_at, url, updated_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) "
		"ON CONFLICT(source, source_id) DO NOTHING",
	.update = STMT_PIPELINE_UPDATE,
	.update_sql = "UPDATE pipelines SET service_id = ?3, project = ?4, name = ?5, "
		      "number = ?6, ref = ?7, sha = ?8, event = ?9, actor = ?10, status = ?11, "
		      "queued_at = ?12, started_at = ?13, finished_at = ?14, url = ?15, "
		      "updated_at = ?16 "
		      "WHERE source = ?1 AND source_id = ?2 AND ?16 >= updated_at",
	.lookup = STMT_PIPELINE_ID,
	.lookup_sql = "SELECT id FROM pipelines WHERE source = ?1 AND source_id = ?2",
	.doing = "saving a pipeline",
};

static void
bind_pipeline(sqlite3_stmt *stmt, const void *record, int64_t service_id)
{
	const struct store_pipeline *p = record;

	store_bind_text(stmt, 1, p->source);
	store_bind_text(stmt, 2, p->source_id);
	if (sqlite3_bind_parameter_count(stmt) < 16)
		return; /* the lookup */
	if (service_id > 0)
		sqlite3_bind_int64(stmt, 3, service_id);
	store_bind_text(stmt, 4, p->project);
	store_bind_text(stmt, 5, p->name);
	store_bind_time(stmt, 6, p->number);
	store_bind_text(stmt, 7, p->ref);
	store_bind_text(stmt, 8, p->sha);
	store_bind_text(stmt, 9, p->event);
	store_bind_text(stmt, 10, p->actor);
	store_bind_text(stmt, 11, p->status);
	store_bind_time(stmt, 12, p->queued_at);
	store_bind_time(stmt, 13, p->started_at);
	store_bind_time(stmt, 14, p->finished_at);
	store_bind_text(stmt, 15, p->url);
	sqlite3_bind_int64(stmt, 16, p->updated_at);
}

static enum status_code
write_stages(struct store *store, int64_t id, const struct store_pipeline *p, bool fresh)
{
	sqlite3_stmt *stmt;

	if (!fresh) {
		if (!(stmt = store_stmt(store, STMT_PIPELINE_STAGES_CLEAR,
					"DELETE FROM pipeline_stages WHERE pipeline_id = ?")))
			return ERROR_CUSTOM_MESSAGE;
		sqlite3_bind_int64(stmt, 1, id);
		if (store_step_done(store, stmt, "replacing a pipeline's stages") != SUCCESS)
			return ERROR_CUSTOM_MESSAGE;
	}
	for (size_t i = 0; i < p->n_stages; i++) {
		const struct store_stage *st = &p->stages[i];

		if (!(stmt = store_stmt(store, STMT_PIPELINE_STAGE_ADD,
					"INSERT INTO pipeline_stages(pipeline_id, position, name, "
					"kind, status, started_at, finished_at, coverage, url) "
					"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")))
			return ERROR_CUSTOM_MESSAGE;
		sqlite3_bind_int64(stmt, 1, id);
		sqlite3_bind_int64(stmt, 2, (int64_t)i);
		store_bind_text(stmt, 3, st->name);
		store_bind_text(stmt, 4, st->kind);
		store_bind_text(stmt, 5, st->status);
		store_bind_time(stmt, 6, st->started_at);
		store_bind_time(stmt, 7, st->finished_at);
		if (!isnan(st->coverage))
			sqlite3_bind_double(stmt, 8, st->coverage);
		store_bind_text(stmt, 9, st->url);
		if (store_step_done(store, stmt, "saving a pipeline's stages") != SUCCESS)
			return ERROR_CUSTOM_MESSAGE;
	}
	return SUCCESS;
}

enum status_code
store_upsert_pipeline(struct store *store, const struct store_pipeline *p)
{
	int64_t service_id = 0, id;
	bool fresh;

	if (!p->source || !p->source_id || !p->project || !p->status)
		return error("a pipeline needs a source, an id, a project and a status");
	if (p->service && store_service_id(store, p->service, true, &service_id) != SUCCESS)
		return ERROR_CUSTOM_MESSAGE;
	if (store_upsert_row(store, &pipeline_upsert, bind_pipeline, p, service_id, &id, &fresh) !=
	    SUCCESS)
		return ERROR_CUSTOM_MESSAGE;
	return id ? write_stages(store, id, p, fresh) : SUCCESS;
}

/* ?1 source, ?2 service or project, ?3 started since: NULL selects all. */
static const char each_sql[] =
	"SELECT p.id, p.source, p.source_id, p.project, s.name, p.name, p.number, p.ref, p.sha, "
	"p.event, p.actor, p.status, p.queued_at, p.started_at, p.finished_at, p.url, "
	"p.updated_at FROM pipelines p LEFT JOIN services s ON s.id = p.service_id "
	"WHERE (?1 IS NULL OR p.source = ?1) AND (?2 IS NULL OR s.name = ?2 OR p.project = ?2) "
	"AND (?3 IS NULL OR p.started_at >= ?3 OR p.started_at IS NULL) ORDER BY p.id";

/* The stages of pipeline id into *stages (grown as needed); their text is copied
 * into *names, freed by the caller. */
static enum status_code
read_stages(struct store *store, int64_t id, struct store_stage **stages, size_t *alloc, size_t *n,
	    char ***names, size_t *n_names)
{
	sqlite3_stmt *stmt = store_stmt(store, STMT_PIPELINE_STAGES,
					"SELECT name, kind, status, started_at, finished_at, "
					"coverage, url FROM pipeline_stages WHERE pipeline_id = ? "
					"ORDER BY position");
	int rc;

	*n = 0;
	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	sqlite3_bind_int64(stmt, 1, id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_stage *st;
		const int cols[] = { 0, 1, 2, 6 };
		char *text[4];

		for (size_t i = 0; i < ARRAY_SIZE(cols); i++) {
			const char *t = store_column_text(stmt, cols[i]);

			text[i] = t ? xstrdup(t) : NULL;
		}
		*names = xrealloc(*names, (*n_names + 4) * sizeof(**names));
		memcpy(*names + *n_names, text, sizeof(text));
		*n_names += 4;
		*stages = xgrow(*stages, alloc, *n + 1, sizeof(**stages));
		st = &(*stages)[(*n)++];
		st->name = text[0];
		st->kind = text[1];
		st->status = text[2];
		st->url = text[3];
		st->started_at = store_column_time(stmt, 3);
		st->finished_at = store_column_time(stmt, 4);
		st->coverage = sqlite3_column_type(stmt, 5) == SQLITE_NULL
				       ? NAN
				       : sqlite3_column_double(stmt, 5);
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? SUCCESS : store_error(store, "reading a pipeline's stages");
}

static void
free_names(char **names, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free(names[i]);
	*n = 0;
}

static const char get_sql[] =
	"SELECT p.id, p.source, p.source_id, p.project, s.name, p.name, p.number, p.ref, p.sha, "
	"p.event, p.actor, p.status, p.queued_at, p.started_at, p.finished_at, p.url, "
	"p.updated_at FROM pipelines p LEFT JOIN services s ON s.id = p.service_id "
	"WHERE p.source = ?1 AND p.source_id = ?2";

/* The pipelines of a prepared each_sql or get_sql into cb, with their stages; the
 * statement is finalized. */
static enum status_code
each_row(struct store *store, sqlite3_stmt *stmt, store_pipeline_cb cb, void *ctx)
{
	struct store_stage *stages = NULL;
	char **names = NULL;
	size_t alloc = 0, n = 0, n_names = 0;
	enum status_code code = SUCCESS;
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_pipeline rec = {
			.source = store_column_text(stmt, 1),
			.source_id = store_column_text(stmt, 2),
			.project = store_column_text(stmt, 3),
			.service = store_column_text(stmt, 4),
			.name = store_column_text(stmt, 5),
			.number = store_column_time(stmt, 6),
			.ref = store_column_text(stmt, 7),
			.sha = store_column_text(stmt, 8),
			.event = store_column_text(stmt, 9),
			.actor = store_column_text(stmt, 10),
			.status = store_column_text(stmt, 11),
			.queued_at = store_column_time(stmt, 12),
			.started_at = store_column_time(stmt, 13),
			.finished_at = store_column_time(stmt, 14),
			.url = store_column_text(stmt, 15),
			.updated_at = sqlite3_column_int64(stmt, 16),
		};

		free_names(names, &n_names);
		if ((code = read_stages(store, sqlite3_column_int64(stmt, 0), &stages, &alloc, &n,
					&names, &n_names)) != SUCCESS)
			break;
		rec.stages = stages;
		rec.n_stages = n;
		if ((code = cb(ctx, &rec)) != SUCCESS)
			break;
	}
	if (code == SUCCESS && rc != SQLITE_DONE)
		code = store_error(store, "listing pipelines");
	sqlite3_finalize(stmt);
	free_names(names, &n_names);
	free(names);
	free(stages);
	return code;
}

enum status_code
store_each_pipeline(struct store *store, const struct store_filter *filter, store_pipeline_cb cb,
		    void *ctx)
{
	sqlite3_stmt *stmt;

	if (sqlite3_prepare_v2(store->db, each_sql, -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "listing pipelines");
	if (filter) {
		store_bind_text(stmt, 1, filter->source);
		store_bind_text(stmt, 2, filter->service);
		store_bind_time(stmt, 3, filter->since);
	}
	return each_row(store, stmt, cb, ctx);
}

enum status_code
store_pipeline_get(struct store *store, const char *source, const char *source_id,
		   store_pipeline_cb cb, void *ctx)
{
	sqlite3_stmt *stmt;

	if (sqlite3_prepare_v2(store->db, get_sql, -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "reading a pipeline");
	store_bind_text(stmt, 1, source);
	store_bind_text(stmt, 2, source_id);
	return each_row(store, stmt, cb, ctx);
}
