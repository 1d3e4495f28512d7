/* sync.c - what the sync engine writes besides incidents: timeline events, metric
 * samples (series created on first use), the resolution of alerts an upstream
 * stopped listing, and the sync state of every (source, stream): cursor and
 * validators, last attempt, last success and last error.
 *
 * Events and samples come by the hundred thousand in a first sync, each naming its
 * incident or series by its natural key: the last one looked up is remembered for
 * the transaction (the memos), since they come incident by incident and series by
 * series. */
#include "sitrep/sitrep.h"
#include "sitrep/store.h"
#include "store-private.h"

/* ---- memos ---- */

void
store_sync_memo_clear(struct store *store)
{
	free(store->series.source);
	free(store->series.name);
	free(store->series.labels);
	free(store->incident.source);
	free(store->incident.source_id);
	memset(&store->series, 0, sizeof(store->series));
	memset(&store->incident, 0, sizeof(store->incident));
}

static bool
same(const char *memo, const char *s)
{
	return memo && streq(memo, s);
}

/* The id of incident (source, source_id), 0 when there is none. */
static enum status_code
incident_id(struct store *store, const char *source, const char *source_id, int64_t *id)
{
	struct incident_memo *m = &store->incident;
	sqlite3_stmt *stmt;
	int rc;

	if (same(m->source, source) && same(m->source_id, source_id)) {
		*id = m->id;
		return SUCCESS;
	}
	if (!(stmt = store_stmt(store, STMT_EVENT_INCIDENT,
				"SELECT id FROM incidents WHERE source = ?1 AND source_id = ?2")))
		return ERROR_CUSTOM_MESSAGE;
	store_bind_text(stmt, 1, source);
	store_bind_text(stmt, 2, source_id);
	rc = sqlite3_step(stmt);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_error(store, "looking up an incident");
	if (*id) {
		free(m->source);
		free(m->source_id);
		m->source = xstrdup(source);
		m->source_id = xstrdup(source_id);
		m->id = *id;
	}
	return SUCCESS;
}

enum status_code
store_add_event(struct store *store, const char *source, const char *incident, int64_t at,
		const char *kind, const char *actor, const char *text, const char *event_id)
{
	int64_t id;

	if (!source || !incident || incident_id(store, source, incident, &id) != SUCCESS)
		return source && incident ? ERROR_CUSTOM_MESSAGE : SUCCESS;
	if (!id)
		return SUCCESS; /* no such incident: nothing to hang the event on */
	return store_add_event_to(store, id, at, kind, actor, text, event_id);
}

enum status_code
store_add_event_to(struct store *store, int64_t id, int64_t at, const char *kind, const char *actor,
		   const char *text, const char *event_id)
{
	sqlite3_stmt *stmt;

	if (!(stmt = store_stmt(store, STMT_EVENT_ADD,
				"INSERT OR IGNORE INTO incident_events(incident_id, at, kind, "
				"actor, text, source_event_id) VALUES (?1, ?2, ?3, ?4, ?5, "
				"IFNULL(?6, ''))")))
		return ERROR_CUSTOM_MESSAGE;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, at);
	store_bind_text(stmt, 3, kind);
	store_bind_text(stmt, 4, actor);
	store_bind_text(stmt, 5, text);
	store_bind_text(stmt, 6, event_id);
	return store_step_done(store, stmt, "saving an incident event");
}

static enum status_code
series_id(struct store *store, const char *source, const char *name, const char *labels,
	  const char *service, int64_t *id)
{
	struct series_memo *m = &store->series;
	sqlite3_stmt *stmt = NULL;
	int64_t service_id = 0;
	int rc;

	if (!labels)
		labels = "";
	if (same(m->labels, labels) && same(m->name, name) && same(m->source, source)) {
		*id = m->id;
		return SUCCESS;
	}
	if (!(stmt = store_stmt(store, STMT_SERIES_ID,
				"SELECT id FROM metric_series WHERE source = ?1 AND "
				"name = ?2 AND labels = ?3")))
		return ERROR_CUSTOM_MESSAGE;
	store_bind_text(stmt, 1, source);
	store_bind_text(stmt, 2, name);
	store_bind_text(stmt, 3, labels);
	rc = sqlite3_step(stmt);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_error(store, "looking up a series");
	if (rc == SQLITE_DONE) {
		if (service && store_service_id(store, service, true, &service_id) != SUCCESS)
			return ERROR_CUSTOM_MESSAGE;
		if (!(stmt = store_stmt(store, STMT_SERIES_INSERT,
					"INSERT INTO metric_series(source, name, labels, "
					"service_id) VALUES (?1, ?2, ?3, NULLIF(?4, 0))")))
			return ERROR_CUSTOM_MESSAGE;
		store_bind_text(stmt, 1, source);
		store_bind_text(stmt, 2, name);
		store_bind_text(stmt, 3, labels);
		sqlite3_bind_int64(stmt, 4, service_id);
		if (store_step_done(store, stmt, "adding a series") != SUCCESS)
			return ERROR_CUSTOM_MESSAGE;
		*id = sqlite3_last_insert_rowid(store->db);
	}
	free(m->source);
	free(m->name);
	free(m->labels);
	m->source = xstrdup(source);
	m->name = xstrdup(name);
	m->labels = xstrdup(labels);
	m->id = *id;
	return SUCCESS;
}

/* Rows a multi-row INSERT writes: a statement's fixed cost (step, reset, the
 * transaction and foreign-key bookkeeping) is about what a row's insert costs, so a
 * backfill of millions of points spends half its time there one row at a time. */
#define SAMPLES_PER_STATEMENT 64

static const char *
samples_sql(void)
{
	static const char head[] = "INSERT OR REPLACE INTO metric_samples(series_id, ts, value) "
				   "VALUES ";
	static char sql[sizeof(head) + SAMPLES_PER_STATEMENT * 16];

	if (!sql[0]) {
		size_t len = strlen(head);

		memcpy(sql, head, len);
		for (int i = 0; i < SAMPLES_PER_STATEMENT; i++)
			len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s(?1, ?, ?)",
						i ? ", " : "");
	}
	return sql;
}

enum status_code
store_add_samples(struct store *store, const char *source, const char *name, const char *labels,
		  const char *service, const struct store_point *points, size_t n)
{
	sqlite3_stmt *stmt;
	int64_t id;
	size_t i = 0;

	if (series_id(store, source, name, labels, service, &id) != SUCCESS)
		return ERROR_CUSTOM_MESSAGE;
	for (; n - i >= SAMPLES_PER_STATEMENT; i += SAMPLES_PER_STATEMENT) {
		if (!(stmt = store_stmt(store, STMT_SAMPLE_ADD_MANY, samples_sql())))
			return ERROR_CUSTOM_MESSAGE;
		sqlite3_bind_int64(stmt, 1, id);
		for (int k = 0; k < SAMPLES_PER_STATEMENT; k++) {
			sqlite3_bind_int64(stmt, 2 + 2 * k, points[i + k].ts);
			sqlite3_bind_double(stmt, 3 + 2 * k, points[i + k].value);
		}
		if (store_step_done(store, stmt, "saving samples") != SUCCESS)
			return ERROR_CUSTOM_MESSAGE;
	}
	for (; i < n; i++) {
		if (!(stmt = store_stmt(store, STMT_SAMPLE_ADD,
					"INSERT OR REPLACE INTO metric_samples(series_id, ts, "
					"value) VALUES (?, ?, ?)")))
			return ERROR_CUSTOM_MESSAGE;
		sqlite3_bind_int64(stmt, 1, id);
		sqlite3_bind_int64(stmt, 2, points[i].ts);
		sqlite3_bind_double(stmt, 3, points[i].value);
		if (store_step_done(store, stmt, "saving a sample") != SUCCESS)
			return ERROR_CUSTOM_MESSAGE;
	}
	return SUCCESS;
}

enum status_code
store_add_sample(struct store *store, const char *source, const char *name, const char *labels,
		 const char *service, int64_t ts, double value)
{
	struct store_point point = { ts, value };

	return store_add_samples(store, source, name, labels, service, &point, 1);
}

/* ---- resolving what an upstream stopped listing ---- */

struct open_ids {
	char **ids;
	size_t n, alloc;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static enum status_code
open_incidents(struct store *store, const char *source, struct open_ids *out)
{
	sqlite3_stmt *stmt = store_stmt(store, STMT_OPEN_INCIDENTS,
					"SELECT source_id FROM incidents WHERE source = ? AND "
					"resolved_at IS NULL");
	int rc;

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	store_bind_text(stmt, 1, source);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		out->ids = xgrow(out->ids, &out->alloc, out->n + 1, sizeof(*out->ids));
		out->ids[out->n++] = xstrdup(store_column_text(stmt, 0));
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? SUCCESS : store_error(store, "listing open incidents");
}

struct resolve_ctx {
	struct store *store;
	int64_t at;
};

/* Rewrites the stored record resolved at ctx->at (never before its last update). */
static enum status_code
resolve_one(void *arg, const struct store_incident *in)
{
	struct resolve_ctx *ctx = arg;
	struct store_incident copy = *in;

	copy.resolved_at = ctx->at > in->updated_at ? ctx->at : in->updated_at;
	copy.updated_at = copy.resolved_at;
	copy.raw_json = NULL; /* unchanged */
	return store_upsert_incident(ctx->store, &copy);
}

enum status_code
store_resolve_missing(struct store *store, const char *source, const char *const *seen,
		      size_t n_seen, int64_t at)
{
	struct open_ids open = { 0 };
	struct resolve_ctx ctx = { store, at };
	const char **sorted = xcalloc(n_seen + 1, sizeof(*sorted));
	enum status_code code;
	size_t i;

	memcpy(sorted, seen, n_seen * sizeof(*seen));
	qsort(sorted, n_seen, sizeof(*sorted), cmp_str);
	code = open_incidents(store, source, &open);
	for (i = 0; code == SUCCESS && i < open.n; i++)
		if (!bsearch(&open.ids[i], sorted, n_seen, sizeof(*sorted), cmp_str))
			code = store_incident_get(store, source, open.ids[i], resolve_one, &ctx);
	for (i = 0; i < open.n; i++)
		free(open.ids[i]);
	free(open.ids);
	free(sorted);
	return code;
}

/* ---- sync state ---- */

static char *
dup_column(sqlite3_stmt *stmt, int col)
{
	const char *s = store_column_text(stmt, col);

	return s ? xstrdup(s) : NULL;
}

static void
read_state(sqlite3_stmt *stmt, struct store_sync_state *st)
{
	st->source = dup_column(stmt, 0);
	st->stream = dup_column(stmt, 1);
	st->cursor = dup_column(stmt, 2);
	st->etag = dup_column(stmt, 3);
	st->last_modified = dup_column(stmt, 4);
	st->last_attempt = store_column_time(stmt, 5);
	st->last_success = store_column_time(stmt, 6);
	st->last_error = dup_column(stmt, 7);
	st->records = sqlite3_column_int64(stmt, 8);
	st->pages = sqlite3_column_int64(stmt, 9);
}

#define STATE_COLUMNS                                                                           \
	"source, stream, cursor, etag, last_modified, last_attempt, last_success, last_error, " \
	"records, pages"

enum status_code
store_sync_state_get(struct store *store, const char *source, const char *stream,
		     struct store_sync_state *st)
{
	sqlite3_stmt *stmt = store_stmt(store, STMT_SYNC_GET,
					"SELECT " STATE_COLUMNS " FROM sync_state WHERE "
					"source = ?1 AND stream = ?2");
	int rc;

	memset(st, 0, sizeof(*st));
	st->last_attempt = st->last_success = TIME_NONE;
	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	store_bind_text(stmt, 1, source);
	store_bind_text(stmt, 2, stream);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		read_state(stmt, st);
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SUCCESS
						     : store_error(store, "reading sync state");
}

enum status_code
store_sync_cursor_set(struct store *store, const char *source, const char *stream,
		      const char *cursor, const char *etag, const char *last_modified)
{
	sqlite3_stmt *stmt =
		store_stmt(store, STMT_SYNC_CURSOR,
			   "INSERT INTO sync_state(source, stream, cursor, etag, last_modified) "
			   "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(source, stream) DO UPDATE SET "
			   "cursor = IFNULL(?3, cursor), etag = ?4, last_modified = ?5");

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	store_bind_text(stmt, 1, source);
	store_bind_text(stmt, 2, stream);
	store_bind_text(stmt, 3, cursor);
	store_bind_text(stmt, 4, etag);
	store_bind_text(stmt, 5, last_modified);
	return store_step_done(store, stmt, "saving a sync cursor");
}

enum status_code
store_sync_round_end(struct store *store, const char *source, const char *stream, int64_t at,
		     const char *error_text, int64_t records, int64_t pages)
{
	sqlite3_stmt *stmt = store_stmt(
		store, STMT_SYNC_ROUND,
		"INSERT INTO sync_state(source, stream, last_attempt, last_success, last_error, "
		"records, pages) VALUES (?1, ?2, ?3, CASE WHEN ?4 IS NULL THEN ?3 END, ?4, ?5, ?6) "
		"ON CONFLICT(source, stream) DO UPDATE SET last_attempt = ?3, "
		"last_success = CASE WHEN ?4 IS NULL THEN ?3 ELSE last_success END, "
		"last_error = ?4, records = ?5, pages = ?6");

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	store_bind_text(stmt, 1, source);
	store_bind_text(stmt, 2, stream);
	sqlite3_bind_int64(stmt, 3, at);
	store_bind_text(stmt, 4, error_text);
	sqlite3_bind_int64(stmt, 5, records);
	sqlite3_bind_int64(stmt, 6, pages);
	return store_step_done(store, stmt, "saving the sync state");
}

enum status_code
store_sync_forget_failures(struct store *store, const char *source, const char *const *planned,
			   size_t n_planned)
{
	sqlite3_stmt *stmt;
	char **gone = NULL;
	size_t n_gone = 0;
	enum status_code code = SUCCESS;
	int rc;

	if (sqlite3_prepare_v2(store->db,
			       "SELECT stream FROM sync_state WHERE source = ? AND "
			       "last_error IS NOT NULL",
			       -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "reading the sync state");
	store_bind_text(stmt, 1, source);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *stream = store_column_text(stmt, 0);
		bool kept = false;

		for (size_t i = 0; i < n_planned && !kept; i++)
			kept = streq(planned[i], stream);
		if (!kept) {
			gone = xrealloc(gone, (n_gone + 1) * sizeof(*gone));
			gone[n_gone++] = xstrdup(stream);
		}
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		code = store_error(store, "reading the sync state");
	for (size_t i = 0; i < n_gone; i++) {
		if (code == SUCCESS &&
		    sqlite3_prepare_v2(store->db,
				       "DELETE FROM sync_state WHERE source = ? AND stream = ?", -1,
				       &stmt, NULL) == SQLITE_OK) {
			store_bind_text(stmt, 1, source);
			store_bind_text(stmt, 2, gone[i]);
			if (sqlite3_step(stmt) != SQLITE_DONE)
				code = store_error(store, "forgetting an old failure");
			sqlite3_finalize(stmt);
		}
		free(gone[i]);
	}
	free(gone);
	return code;
}

enum status_code
store_sync_states(struct store *store, struct store_sync_state **out, size_t *n)
{
	struct store_sync_state *states = NULL;
	size_t alloc = 0;
	sqlite3_stmt *stmt;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(store->db,
			       "SELECT " STATE_COLUMNS " FROM sync_state ORDER BY source, stream",
			       -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "reading sync state");
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		states = xgrow(states, &alloc, *n + 1, sizeof(*states));
		read_state(stmt, &states[(*n)++]);
	}
	sqlite3_finalize(stmt);
	*out = states;
	if (rc != SQLITE_DONE) {
		store_sync_states_free(states, *n);
		*out = NULL;
		*n = 0;
		return store_error(store, "reading sync state");
	}
	return SUCCESS;
}

void
store_sync_state_release(struct store_sync_state *st)
{
	free(st->source);
	free(st->stream);
	free(st->cursor);
	free(st->etag);
	free(st->last_modified);
	free(st->last_error);
	memset(st, 0, sizeof(*st));
}

void
store_sync_states_free(struct store_sync_state *states, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_sync_state_release(&states[i]);
	free(states);
}
