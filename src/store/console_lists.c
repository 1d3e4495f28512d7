/* console_lists.c - the console's other lists: pipelines by keyset pages (with each
 * run's stages as a strip of letters), the branches that ran CI, the last
 * deployment of every service and environment and those around an incident, every
 * metric series summarised over a window, and a chart's samples: one range read of
 * the (series_id, ts) key grouped into the chart's buckets by the database, not
 * in C, so a chart of a week costs as many rows as it has columns. */
#include "sitrep/sitrep.h"
#include "sitrep/console_store.h"
#include "store-private.h"

#include <math.h>

/* ---- pipelines ---- */

static char
status_letter(const char *status)
{
	static const struct {
		const char *status;
		char letter;
	} letters[] = {
		{ "success", 's' },  { "failed", 'f' },	 { "running", 'r' }, { "queued", 'q' },
		{ "canceled", 'c' }, { "skipped", 'k' }, { "waiting", 'w' },
	};

	for (size_t i = 0; status && i < ARRAY_SIZE(letters); i++)
		if (streq(status, letters[i].status))
			return letters[i].letter;
	return '?';
}

/* The strip of stage letters of pipeline id and its first failed stage. */
static enum status_code
read_strip(struct store *store, int64_t id, struct store_pipeline_row *r)
{
	sqlite3_stmt *stmt = store_stmt(store, STMT_CONSOLE_STRIP,
					"SELECT status, name FROM pipeline_stages "
					"WHERE pipeline_id = ? ORDER BY position");
	struct buf b;
	int rc;

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	buf_init(&b, 0);
	sqlite3_bind_int64(stmt, 1, id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		char letter = status_letter(store_column_text(stmt, 0));

		buf_addch(&b, letter);
		if (letter == 'f' && !r->failing)
			r->failing = store_column_strdup(stmt, 1);
	}
	sqlite3_reset(stmt);
	r->strip = buf_detach(&b);
	return rc == SQLITE_DONE ? SUCCESS : store_error(store, "reading stages");
}

void
store_pipeline_row_release(struct store_pipeline_row *r)
{
	free(r->source);
	free(r->source_id);
	free(r->project);
	free(r->name);
	free(r->ref);
	free(r->sha);
	free(r->event);
	free(r->actor);
	free(r->status);
	free(r->url);
	free(r->strip);
	free(r->failing);
	memset(r, 0, sizeof(*r));
}

#define PIPELINE_KEY "coalesce(p.started_at, p.queued_at, 0)"
#define PIPELINE_COLUMNS                                                                   \
	"p.id, p.source, p.source_id, p.project, p.name, p.ref, p.sha, p.event, p.actor, " \
	"p.status, p.url, p.number, p.queued_at, p.started_at, p.finished_at"

/* A row of PIPELINE_COLUMNS into *r, with its stages' strip. */
static enum status_code
read_pipeline(struct store *store, sqlite3_stmt *stmt, struct store_pipeline_row *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(stmt, 0);
	r->source = store_column_strdup(stmt, 1);
	r->source_id = store_column_strdup(stmt, 2);
	r->project = store_column_strdup(stmt, 3);
	r->name = store_column_strdup(stmt, 4);
	r->ref = store_column_strdup(stmt, 5);
	r->sha = store_column_strdup(stmt, 6);
	r->event = store_column_strdup(stmt, 7);
	r->actor = store_column_strdup(stmt, 8);
	r->status = store_column_strdup(stmt, 9);
	r->url = store_column_strdup(stmt, 10);
	r->number = store_column_time(stmt, 11);
	r->queued_at = store_column_time(stmt, 12);
	r->started_at = store_column_time(stmt, 13);
	r->finished_at = store_column_time(stmt, 14);
	return read_strip(store, r->id, r);
}

enum status_code
store_pipeline_rows(struct store *store, const struct store_page_query *q,
		    struct store_pipeline_row *out, size_t *n)
{
	const struct store_pipeline_row *anchor = q->anchor;
	char *pattern = q->filter && *q->filter ? store_like_pattern(q->filter) : NULL;
	enum status_code code = SUCCESS;
	sqlite3_stmt *stmt;
	struct buf sql;
	int rc = SQLITE_DONE;

	*n = 0;
	buf_init(&sql, 0);
	buf_addstr(&sql, "SELECT " PIPELINE_COLUMNS " FROM pipelines p WHERE 1");
	/* Newest first; a backward page reads oldest first and is turned round. */
	if (anchor)
		buf_printf(&sql, " AND (" PIPELINE_KEY ", p.id) %s (?1, ?2)",
			   q->backward ? ">" : "<");
	if (pattern)
		buf_addstr(&sql, " AND (p.project LIKE ?3 ESCAPE '\\' OR p.ref LIKE ?3 ESCAPE '\\' "
				 "OR p.name LIKE ?3 ESCAPE '\\' OR p.sha LIKE ?3 ESCAPE '\\' "
				 "OR p.actor LIKE ?3 ESCAPE '\\' OR p.status LIKE ?3 ESCAPE '\\')");
	if (q->open_only)
		buf_addstr(&sql, " AND p.finished_at IS NULL");
	buf_printf(&sql, " ORDER BY " PIPELINE_KEY " %s, p.id %s LIMIT ?4",
		   q->backward ? "ASC" : "DESC", q->backward ? "ASC" : "DESC");
	if (sqlite3_prepare_v2(store->db, sql.data, -1, &stmt, NULL) != SQLITE_OK) {
		code = store_error(store, "listing pipelines");
		goto out;
	}
	if (anchor) {
		int64_t key = anchor->started_at != TIME_NONE  ? anchor->started_at
			      : anchor->queued_at != TIME_NONE ? anchor->queued_at
							       : 0;

		sqlite3_bind_int64(stmt, 1, key);
		sqlite3_bind_int64(stmt, 2, anchor->id);
	}
	if (pattern)
		store_bind_text(stmt, 3, pattern);
	sqlite3_bind_int64(stmt, 4, (int64_t)q->limit);
	while (code == SUCCESS && *n < q->limit && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		code = read_pipeline(store, stmt, &out[(*n)++]);
	}
	if (code == SUCCESS && *n < q->limit && rc != SQLITE_DONE)
		code = store_error(store, "listing pipelines");
	sqlite3_finalize(stmt);
	if (q->backward) {
		for (size_t i = 0; i < *n / 2; i++) {
			struct store_pipeline_row t = out[i];

			out[i] = out[*n - 1 - i];
			out[*n - 1 - i] = t;
		}
	}
out:
	free(pattern);
	buf_release(&sql);
	return code;
}

/* ---- branches ---- */

/* An upstream may name a commit by a prefix of 7 or more digits, the graph by all 40:
 * such a prefix sorts between the first 7 and the whole, a range of the index on
 * pipelines(sha) (and a plain comparison elsewhere). */
#define SHA_MATCH(col, sha)                                                            \
	col " BETWEEN substr(" sha ", 1, 7) AND " sha " AND length(" col ") >= 7 AND " \
	    "substr(" sha ", 1, length(" col ")) = " col

enum status_code
store_sha_status(struct store *store, const char *sha, char **status)
{
	sqlite3_stmt *stmt = store_stmt(store, STMT_SHA_STATUS,
					"SELECT status FROM pipelines p WHERE " SHA_MATCH(
						"p.sha", "?1") " ORDER BY " PIPELINE_KEY
							       " DESC, p.id DESC LIMIT 1");
	int rc;

	*status = NULL;
	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	store_bind_text(stmt, 1, sha);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*status = store_column_strdup(stmt, 0);
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
		       ? SUCCESS
		       : store_error(store, "reading a commit's CI status");
}

enum status_code
store_sha_pipelines(struct store *store, const char *sha, size_t limit,
		    struct store_pipeline_row **rows, size_t *n)
{
	static const char sql[] = "SELECT " PIPELINE_COLUMNS " FROM pipelines p WHERE " SHA_MATCH(
		"p.sha", "?1") " ORDER BY " PIPELINE_KEY " DESC, p.id DESC LIMIT ?2";
	enum status_code code = SUCCESS;
	sqlite3_stmt *stmt;
	size_t alloc = 0;
	int rc = SQLITE_DONE;

	*rows = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "listing a commit's pipelines");
	store_bind_text(stmt, 1, sha);
	sqlite3_bind_int64(stmt, 2, (int64_t)limit);
	while (code == SUCCESS && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*rows = xgrow(*rows, &alloc, *n + 1, sizeof(**rows));
		code = read_pipeline(store, stmt, &(*rows)[(*n)++]);
	}
	if (code == SUCCESS && rc != SQLITE_DONE)
		code = store_error(store, "listing a commit's pipelines");
	sqlite3_finalize(stmt);
	return code;
}

void
store_pipeline_rows_free(struct store_pipeline_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_pipeline_row_release(&rows[i]);
	free(rows);
}

/* ---- deploys ---- */

/* The previous version is the one the deployment replaced when its source says so,
 * else the last one before it in its environment that did not fail (a version, or
 * the short sha of a source that has none). */
#define DEPLOY_COLUMNS                                                                          \
	"s.name, d.environment, d.version, d.pattern, d.status, d.source_id, d.target, d.sha, " \
	"d.canary_weight, d.started_at, d.finished_at, d.bake_until, d.kind, "                  \
	"coalesce((SELECT coalesce(p.version, substr(p.sha, 1, 12)) FROM deployments p "        \
	"WHERE p.source = d.source AND p.source_id = d.replaces), "                             \
	"(SELECT coalesce(p.version, substr(p.sha, 1, 12)) FROM deployments p "                 \
	"WHERE p.service_id = d.service_id AND p.environment = d.environment "                  \
	"AND p.started_at < d.started_at AND lower(coalesce(p.status, '')) NOT IN ('failed', "  \
	"'failure', 'error', 'rolled_back', 'aborted', 'canceled', 'cancelled', 'inactive') "   \
	"ORDER BY p.started_at DESC LIMIT 1))"

static void
read_deploy(sqlite3_stmt *stmt, struct store_deploy_row *r)
{
	r->service = store_column_strdup(stmt, 0);
	r->environment = store_column_strdup(stmt, 1);
	r->version = store_column_strdup(stmt, 2);
	r->pattern = store_column_strdup(stmt, 3);
	r->status = store_column_strdup(stmt, 4);
	r->source_id = store_column_strdup(stmt, 5);
	r->target = store_column_strdup(stmt, 6);
	r->sha = store_column_strdup(stmt, 7);
	r->canary_weight =
		sqlite3_column_type(stmt, 8) == SQLITE_NULL ? NAN : sqlite3_column_double(stmt, 8);
	r->started_at = store_column_time(stmt, 9);
	r->finished_at = store_column_time(stmt, 10);
	r->bake_until = store_column_time(stmt, 11);
	r->kind = sqlite3_column_int(stmt, 12);
	r->previous = store_column_strdup(stmt, 13);
}

static enum status_code
deploy_query(struct store *store, sqlite3_stmt *stmt, bool counted, struct store_deploy_row **rows,
	     size_t *n)
{
	size_t alloc = 0;
	int rc;

	*rows = NULL;
	*n = 0;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_deploy_row *r;

		*rows = xgrow(*rows, &alloc, *n + 1, sizeof(**rows));
		r = &(*rows)[(*n)++];
		memset(r, 0, sizeof(*r));
		read_deploy(stmt, r);
		r->count = counted ? sqlite3_column_int64(stmt, 14) : 0;
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? SUCCESS : store_error(store, "listing deployments");
}

enum status_code
store_deploy_rows(struct store *store, struct store_deploy_row **rows, size_t *n)
{
	static const char sql[] =
		"SELECT " DEPLOY_COLUMNS ", c FROM (SELECT d.*, count(*) OVER w AS c, "
		"row_number() OVER (PARTITION BY d.service_id, d.environment ORDER BY "
		"coalesce(d.started_at, d.finished_at) DESC, d.id DESC) AS k FROM deployments d "
		"WINDOW w AS (PARTITION BY d.service_id, d.environment)) d "
		"JOIN services s ON s.id = d.service_id WHERE k = 1 "
		"ORDER BY s.name, d.environment NOT IN ('production', 'prod'), d.environment";
	sqlite3_stmt *stmt;

	if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "listing deployments");
	return deploy_query(store, stmt, true, rows, n);
}

/* The newest deployment of each service and environment when it is baking: started,
 * not ended badly, and still rolling out (no finish) or inside its bake period. The
 * rollback alarm's candidates; a scan of the few deployments not finished or baking,
 * each checked against the deployments_service index for a newer one. */
enum status_code
store_baking_deploys(struct store *store, int64_t now, struct store_deploy_row **rows, size_t *n)
{
	static const char sql[] =
		"SELECT " DEPLOY_COLUMNS " FROM deployments d "
		"JOIN services s ON s.id = d.service_id "
		"WHERE d.started_at IS NOT NULL AND (d.finished_at IS NULL OR d.bake_until > ?1) "
		"AND lower(d.status) NOT IN ('failed', 'failure', 'error', 'rolled_back', "
		"'aborted', 'canceled', 'cancelled', 'inactive') "
		"AND NOT EXISTS (SELECT 1 FROM deployments n WHERE n.service_id = d.service_id "
		"AND n.environment = d.environment AND n.started_at > d.started_at) "
		"ORDER BY d.started_at DESC, d.id DESC";
	sqlite3_stmt *stmt;

	if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "listing baking deployments");
	sqlite3_bind_int64(stmt, 1, now);
	return deploy_query(store, stmt, false, rows, n);
}

enum status_code
store_deploy_history(struct store *store, const char *service, const char *environment,
		     size_t limit, struct store_deploy_row **rows, size_t *n)
{
	static const char sql[] = "SELECT " DEPLOY_COLUMNS " FROM deployments d "
				  "JOIN services s ON s.id = d.service_id "
				  "WHERE s.name = ? AND d.environment = ? "
				  "ORDER BY coalesce(d.started_at, d.finished_at) DESC, d.id DESC "
				  "LIMIT ?";
	sqlite3_stmt *stmt;

	if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "listing deployments");
	store_bind_text(stmt, 1, service);
	store_bind_text(stmt, 2, environment);
	sqlite3_bind_int64(stmt, 3, (int64_t)limit);
	return deploy_query(store, stmt, false, rows, n);
}

enum status_code
store_deploys_between(struct store *store, const char *service, bool production_only, int64_t from,
		      int64_t to, const char *also, size_t limit, struct store_deploy_row **rows,
		      size_t *n)
{
	static const char sql[] =
		"SELECT " DEPLOY_COLUMNS " FROM deployments d "
		"JOIN services s ON s.id = d.service_id WHERE s.name = ?1 "
		"AND ((coalesce(d.started_at, d.finished_at) >= ?2 "
		"AND coalesce(d.started_at, d.finished_at) < ?3 "
		"AND (?4 = 0 OR d.environment IN ('production', 'prod'))) OR d.source_id = ?5) "
		"ORDER BY coalesce(d.started_at, d.finished_at), d.id LIMIT ?6";
	sqlite3_stmt *stmt;

	if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "listing deployments");
	store_bind_text(stmt, 1, service);
	sqlite3_bind_int64(stmt, 2, from);
	sqlite3_bind_int64(stmt, 3, to);
	sqlite3_bind_int(stmt, 4, production_only);
	store_bind_text(stmt, 5, also);
	sqlite3_bind_int64(stmt, 6, (int64_t)limit);
	return deploy_query(store, stmt, false, rows, n);
}

enum status_code
store_sha_deploys(struct store *store, const char *sha, size_t limit,
		  struct store_deploy_row **rows, size_t *n)
{
	static const char sql[] =
		"SELECT " DEPLOY_COLUMNS " FROM deployments d "
		"JOIN services s ON s.id = d.service_id WHERE (" SHA_MATCH(
			"d.sha",
			"?1") ") "
			      "OR d.id IN (SELECT c.deployment_id FROM deployment_commits c "
			      "WHERE " SHA_MATCH("c.sha",
						 "?1") ") "
						       "ORDER BY coalesce(d.started_at, "
						       "d.finished_at) DESC, d.id DESC LIMIT ?2";
	sqlite3_stmt *stmt;

	if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "listing a commit's deployments");
	store_bind_text(stmt, 1, sha);
	sqlite3_bind_int64(stmt, 2, (int64_t)limit);
	return deploy_query(store, stmt, false, rows, n);
}

void
store_deploy_row_release(struct store_deploy_row *r)
{
	free(r->service);
	free(r->environment);
	free(r->version);
	free(r->pattern);
	free(r->status);
	free(r->source_id);
	free(r->target);
	free(r->sha);
	free(r->previous);
}

void
store_deploy_rows_free(struct store_deploy_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_deploy_row_release(&rows[i]);
	free(rows);
}

/* ---- series ---- */

/* The window's buckets of one series: SERIES_POINTS averages, computed by SQLite
 * on the (series, ts) key range, and min/avg/max over the window. */
static enum status_code
summarise(struct store *store, int64_t id, int64_t from, int64_t now, struct store_series_row *r)
{
	sqlite3_stmt *stmt = store_stmt(
		store, STMT_CONSOLE_BUCKETS,
		"SELECT (ts - ?2) * ?4 / (?3 - ?2), avg(value), min(value), max(value), count(*) "
		"FROM metric_samples WHERE series_id = ?1 AND ts >= ?2 AND ts < ?3 GROUP BY 1");
	double sum = 0;
	int64_t count = 0;
	int rc;

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, from);
	sqlite3_bind_int64(stmt, 3, now);
	sqlite3_bind_int64(stmt, 4, SERIES_POINTS);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		int64_t b = sqlite3_column_int64(stmt, 0);
		double avg = sqlite3_column_double(stmt, 1), lo = sqlite3_column_double(stmt, 2);
		double hi = sqlite3_column_double(stmt, 3);
		int64_t k = sqlite3_column_int64(stmt, 4);

		if (b >= 0 && b < SERIES_POINTS)
			r->points[b] = avg;
		r->min = isnan(r->min) || lo < r->min ? lo : r->min;
		r->max = isnan(r->max) || hi > r->max ? hi : r->max;
		sum += avg * (double)k;
		count += k;
	}
	sqlite3_reset(stmt);
	if (count)
		r->avg = sum / (double)count;
	if (rc != SQLITE_DONE)
		return store_error(store, "reading metric samples");
	stmt = store_stmt(store, STMT_CONSOLE_LAST,
			  "SELECT ts, value FROM metric_samples WHERE series_id = ? AND ts <= ? "
			  "ORDER BY ts DESC LIMIT 1");
	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, now);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		r->last_at = sqlite3_column_int64(stmt, 0);
		r->last = sqlite3_column_double(stmt, 1);
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SUCCESS
						     : store_error(store, "reading metric samples");
}

enum status_code
store_series_rows(struct store *store, int64_t now, int64_t window, struct store_series_row **rows,
		  size_t *n)
{
	static const char sql[] =
		"SELECT m.id, m.name, s.name, m.labels, m.source, m.unit "
		"FROM metric_series m LEFT JOIN services s ON s.id = m.service_id "
		"ORDER BY m.name, m.labels";
	enum status_code code = SUCCESS;
	sqlite3_stmt *stmt;
	size_t alloc = 0;
	int64_t *ids = NULL;
	int rc;

	*rows = NULL;
	*n = 0;
	if (window < 60)
		window = 60;
	if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "listing metric series");
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_series_row *r;

		*rows = xgrow(*rows, &alloc, *n + 1, sizeof(**rows));
		ids = xrealloc(ids, (*n + 1) * sizeof(*ids));
		ids[*n] = sqlite3_column_int64(stmt, 0);
		r = &(*rows)[(*n)++];
		memset(r, 0, sizeof(*r));
		r->name = store_column_strdup(stmt, 1);
		r->service = store_column_strdup(stmt, 2);
		r->labels = store_column_strdup(stmt, 3);
		r->source = store_column_strdup(stmt, 4);
		r->unit = store_column_strdup(stmt, 5);
		r->id = ids[*n - 1];
		r->last = r->min = r->avg = r->max = NAN;
		r->last_at = TIME_NONE;
		for (size_t i = 0; i < SERIES_POINTS; i++)
			r->points[i] = NAN;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE)
		code = store_error(store, "listing metric series");
	/* Summarised after the listing: the statements above are finalized first. */
	for (size_t i = 0; i < *n && code == SUCCESS; i++)
		code = summarise(store, ids[i], now - window, now, &(*rows)[i]);
	free(ids);
	if (code != SUCCESS) {
		store_series_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
	}
	return code;
}

void
store_series_rows_free(struct store_series_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].name);
		free(rows[i].service);
		free(rows[i].labels);
		free(rows[i].source);
		free(rows[i].unit);
	}
	free(rows);
}

/* ---- charts ---- */

enum status_code
store_service_series(struct store *store, const char *service, struct store_series_row **rows,
		     size_t *n)
{
	static const char sql[] =
		"SELECT m.id, m.name, s.name, m.labels, m.source, m.unit "
		"FROM metric_series m LEFT JOIN services s ON s.id = m.service_id "
		"WHERE s.name = ?1 OR (?1 IS NULL AND m.service_id IS NULL) "
		"ORDER BY m.name, m.labels";
	sqlite3_stmt *stmt;
	size_t alloc = 0;
	int rc;

	*rows = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "listing metric series");
	store_bind_text(stmt, 1, service);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_series_row *r;

		*rows = xgrow(*rows, &alloc, *n + 1, sizeof(**rows));
		r = &(*rows)[(*n)++];
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(stmt, 0);
		r->name = store_column_strdup(stmt, 1);
		r->service = store_column_strdup(stmt, 2);
		r->labels = store_column_strdup(stmt, 3);
		r->source = store_column_strdup(stmt, 4);
		r->unit = store_column_strdup(stmt, 5);
		r->last = r->min = r->avg = r->max = NAN;
		r->last_at = TIME_NONE;
		for (size_t i = 0; i < SERIES_POINTS; i++)
			r->points[i] = NAN;
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? SUCCESS : store_error(store, "listing metric series");
}

/* Every sample of series_id in [from, to], oldest first: one range read of the
 * (series_id, ts) key. */
enum status_code
store_series_samples(struct store *store, int64_t series_id, int64_t from, int64_t to,
		     struct store_point **points, size_t *n)
{
	static const char sql[] = "SELECT ts, value FROM metric_samples "
				  "WHERE series_id = ?1 AND ts >= ?2 AND ts <= ?3 ORDER BY ts";
	sqlite3_stmt *stmt;
	size_t alloc = 0;
	int rc;

	*points = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "reading metric samples");
	sqlite3_bind_int64(stmt, 1, series_id);
	sqlite3_bind_int64(stmt, 2, from);
	sqlite3_bind_int64(stmt, 3, to);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*points = xgrow(*points, &alloc, *n + 1, sizeof(**points));
		(*points)[*n].ts = sqlite3_column_int64(stmt, 0);
		(*points)[(*n)++].value = sqlite3_column_double(stmt, 1);
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? SUCCESS : store_error(store, "reading metric samples");
}

/* A chart is one range read of the (series_id, ts) key, bucketed by the database:
 * the rows that come back are one per bucket that has samples, never one per sample. */
enum status_code
store_chart_read(struct store *store, int64_t series_id, int64_t start, int64_t step, size_t n,
		 bool plot_max, int64_t now, double *values, struct store_chart_stats *stats)
{
	sqlite3_stmt *stmt = store_stmt(
		store, STMT_CONSOLE_CHART,
		"SELECT (ts - ?2) / ?3 AS bucket, avg(value), max(value), min(value), count(*) "
		"FROM metric_samples WHERE series_id = ?1 AND ts >= ?2 AND ts < ?4 "
		"GROUP BY bucket ORDER BY bucket");
	double sum = 0;
	int rc;

	for (size_t i = 0; i < n; i++)
		values[i] = NAN;
	stats->last = stats->avg = stats->min = stats->max = NAN;
	stats->last_at = TIME_NONE;
	stats->samples = 0;
	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	if (step < 1)
		step = 1;
	sqlite3_bind_int64(stmt, 1, series_id);
	sqlite3_bind_int64(stmt, 2, start);
	sqlite3_bind_int64(stmt, 3, step);
	sqlite3_bind_int64(stmt, 4, start + (int64_t)n * step);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		int64_t b = sqlite3_column_int64(stmt, 0), k = sqlite3_column_int64(stmt, 4);
		double avg = sqlite3_column_double(stmt, 1), hi = sqlite3_column_double(stmt, 2);
		double lo = sqlite3_column_double(stmt, 3);

		if (b >= 0 && (size_t)b < n)
			values[b] = plot_max ? hi : avg;
		stats->min = isnan(stats->min) || lo < stats->min ? lo : stats->min;
		stats->max = isnan(stats->max) || hi > stats->max ? hi : stats->max;
		sum += avg * (double)k;
		stats->samples += k;
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_error(store, "reading metric samples");
	if (stats->samples)
		stats->avg = sum / (double)stats->samples;
	stmt = store_stmt(store, STMT_CONSOLE_LAST,
			  "SELECT ts, value FROM metric_samples WHERE series_id = ? AND ts <= ? "
			  "ORDER BY ts DESC LIMIT 1");
	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	sqlite3_bind_int64(stmt, 1, series_id);
	sqlite3_bind_int64(stmt, 2, now);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		stats->last_at = sqlite3_column_int64(stmt, 0);
		stats->last = sqlite3_column_double(stmt, 1);
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SUCCESS
						     : store_error(store, "reading metric samples");
}
