/* console.c - the console's reads: pages of incidents by keyset, the overview's row
 * per service, and the cache's data_version. Everything here is a read on indexes:
 * a page is one seek and a short range scan, so the console stays fast on a cache
 * of a million incidents. */
#include "sitrep/sitrep.h"
#include "sitrep/console_store.h"
#include "store-private.h"

#include <math.h>

const char *const overview_metric_names[OVERVIEW_METRICS] = {
	[OVERVIEW_RPM] = "rpm",
	[OVERVIEW_LATENCY] = "latency",
	[OVERVIEW_LATENCY_MAX] = "latency_max",
	[OVERVIEW_ERRORS] = "errors",
	[OVERVIEW_CPU] = "cpu",
	[OVERVIEW_MEMORY] = "memory",
};

enum status_code
store_data_version(struct store *store, int64_t *version)
{
	sqlite3_stmt *stmt = store_stmt(store, STMT_DATA_VERSION, "PRAGMA data_version");
	int rc;

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	rc = sqlite3_step(stmt);
	*version = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW ? SUCCESS : store_error(store, "reading the data version");
}

/* ---- incidents ---- */

/* The sort key of each order: an SQL expression over i (incidents) and s (its first
 * service), then the newest first within it (for the detection order itself, the
 * same key again: a constant would read as a column number); the id breaks the last
 * ties, so every row has one place and a page can start right after any row. */
static const char *const order_keys[] = {
	[STORE_BY_DETECTED] = "i.detected_at, -i.detected_at",
	[STORE_BY_SEVERITY] = "coalesce(i.severity, 'P9'), -i.detected_at",
	[STORE_BY_SERVICE] = "s.name, -i.detected_at",
	[STORE_BY_SOURCE] = "i.source, -i.detected_at",
};
static const char *const order_desc[] = {
	[STORE_BY_DETECTED] = "i.detected_at DESC, -i.detected_at DESC",
	[STORE_BY_SEVERITY] = "coalesce(i.severity, 'P9') DESC, -i.detected_at DESC",
	[STORE_BY_SERVICE] = "s.name DESC, -i.detected_at DESC",
	[STORE_BY_SOURCE] = "i.source DESC, -i.detected_at DESC",
};

#define ROW_COLUMNS                                                                            \
	"i.id, i.source, i.source_id, s.name, i.title, i.severity, i.state, i.url, i.impact, " \
	"i.ticket, i.impact_start, i.detected_at, i.acknowledged_at, i.contained_at, "         \
	"i.resolved_at, i.closed_at, i.caused_by, i.parent_source, i.parent_id, i.sla_count, "

static void
read_row(sqlite3_stmt *stmt, struct store_incident_row *r)
{
	r->id = sqlite3_column_int64(stmt, 0);
	r->source = store_column_strdup(stmt, 1);
	r->source_id = store_column_strdup(stmt, 2);
	r->service = store_column_strdup(stmt, 3);
	r->title = store_column_strdup(stmt, 4);
	r->severity = store_column_strdup(stmt, 5);
	r->state = store_column_strdup(stmt, 6);
	r->url = store_column_strdup(stmt, 7);
	r->impact = sqlite3_column_int(stmt, 8);
	r->ticket = sqlite3_column_int(stmt, 9) != 0;
	r->impact_start = store_column_time(stmt, 10);
	r->detected_at = store_column_time(stmt, 11);
	r->acknowledged_at = store_column_time(stmt, 12);
	r->contained_at = store_column_time(stmt, 13);
	r->resolved_at = store_column_time(stmt, 14);
	r->closed_at = store_column_time(stmt, 15);
	r->caused_by = store_column_strdup(stmt, 16);
	r->parent_source = store_column_strdup(stmt, 17);
	r->parent_id = store_column_strdup(stmt, 18);
	r->sla_due_at = r->sla_target = TIME_NONE;
}

/* The SLA of ticket r that matters now: the running one due first, else the one that
 * stopped last; and whether any of them breached. */
static enum status_code
read_sla(struct store *store, struct store_incident_row *r)
{
	sqlite3_stmt *stmt = store_stmt(
		store, STMT_CONSOLE_SLA,
		"SELECT name, due_at, target, breached, stage, "
		"stop_at IS NULL AND coalesce(stage, '') NOT IN ('completed', 'cancelled') "
		"AS running, (SELECT max(breached) FROM incident_slas WHERE incident_id = ?1) "
		"FROM incident_slas WHERE incident_id = ?1 "
		"ORDER BY running DESC, CASE WHEN running THEN due_at IS NULL END, "
		"CASE WHEN running THEN due_at END, stop_at DESC LIMIT 1");
	int rc;

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	sqlite3_bind_int64(stmt, 1, r->id);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		r->has_sla = true;
		r->sla_name = store_column_strdup(stmt, 0);
		r->sla_due_at = store_column_time(stmt, 1);
		r->sla_target = store_column_time(stmt, 2);
		r->sla_breached = sqlite3_column_int(stmt, 3) != 0;
		r->sla_paused = streq(store_column_text(stmt, 4), "paused");
		r->sla_running = sqlite3_column_int(stmt, 5) != 0;
		r->any_breached = sqlite3_column_int(stmt, 6) != 0;
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SUCCESS : store_error(store, "reading SLAs");
}

/* A row, with its SLA when it has any. */
static enum status_code
read_full_row(struct store *store, sqlite3_stmt *stmt, struct store_incident_row *r)
{
	memset(r, 0, sizeof(*r));
	read_row(stmt, r);
	return sqlite3_column_int(stmt, 19) > 0 ? read_sla(store, r) : SUCCESS;
}

void
store_incident_row_release(struct store_incident_row *r)
{
	free(r->source);
	free(r->source_id);
	free(r->service);
	free(r->title);
	free(r->severity);
	free(r->state);
	free(r->url);
	free(r->caused_by);
	free(r->parent_source);
	free(r->parent_id);
	free(r->sla_name);
	memset(r, 0, sizeof(*r));
}

void
store_incident_rows_free(struct store_incident_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_incident_row_release(&rows[i]);
	free(rows);
}

/* Binds the anchor's sort key as ?1 and ?5 (and its id as ?2). */
static void
bind_anchor(sqlite3_stmt *stmt, enum store_incident_order order, const struct store_incident_row *a)
{
	switch (order) {
	case STORE_BY_DETECTED:
		sqlite3_bind_int64(stmt, 1, a->detected_at);
		sqlite3_bind_int64(stmt, 5, -a->detected_at);
		break;
	case STORE_BY_SEVERITY:
		store_bind_text(stmt, 1, a->severity ? a->severity : "P9");
		sqlite3_bind_int64(stmt, 5, -a->detected_at);
		break;
	case STORE_BY_SERVICE:
		store_bind_text(stmt, 1, a->service);
		sqlite3_bind_int64(stmt, 5, -a->detected_at);
		break;
	case STORE_BY_SOURCE:
		store_bind_text(stmt, 1, a->source);
		sqlite3_bind_int64(stmt, 5, -a->detected_at);
		break;
	}
	sqlite3_bind_int64(stmt, 2, a->id);
}

enum status_code
store_incident_rows(struct store *store, const struct store_incident_query *q,
		    struct store_incident_row *out, size_t *n)
{
	const char *key = order_keys[q->order];
	/* A backward page reads the other way and is turned round afterwards. */
	bool desc = q->descending != q->backward;
	char *pattern = q->filter && *q->filter ? store_like_pattern(q->filter) : NULL;
	sqlite3_stmt *stmt;
	struct buf sql;
	enum status_code code = SUCCESS;
	int rc = SQLITE_DONE;

	*n = 0;
	buf_init(&sql, 0);
	buf_addstr(&sql, "SELECT " ROW_COLUMNS "0 FROM incidents i "
			 "JOIN services s ON s.id = i.service_id WHERE 1");
	if (q->anchor)
		buf_printf(&sql, " AND (%s, i.id) %s (?1, ?5, ?2)", key, desc ? "<" : ">");
	if (pattern)
		buf_addstr(&sql, " AND (i.title LIKE ?3 ESCAPE '\\' OR s.name LIKE ?3 ESCAPE '\\' "
				 "OR i.source LIKE ?3 ESCAPE '\\' OR i.source_id LIKE ?3 ESCAPE "
				 "'\\')");
	if (q->open_only)
		buf_addstr(&sql, " AND i.resolved_at IS NULL AND i.closed_at IS NULL");
	if (q->tickets_only)
		buf_addstr(&sql, " AND i.ticket = 1");
	buf_printf(&sql, " ORDER BY %s, i.id %s LIMIT ?4", desc ? order_desc[q->order] : key,
		   desc ? "DESC" : "ASC");
	if (sqlite3_prepare_v2(store->db, sql.data, -1, &stmt, NULL) != SQLITE_OK) {
		code = store_error(store, "listing incidents");
		goto out;
	}
	/* Unused parameters (no anchor, no filter) stay NULL. */
	if (q->anchor)
		bind_anchor(stmt, q->order, q->anchor);
	if (pattern)
		store_bind_text(stmt, 3, pattern);
	sqlite3_bind_int64(stmt, 4, (int64_t)q->limit);
	while (code == SUCCESS && *n < q->limit && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
		code = read_full_row(store, stmt, &out[(*n)++]);
	if (code == SUCCESS && *n < q->limit && rc != SQLITE_DONE)
		code = store_error(store, "listing incidents");
	sqlite3_finalize(stmt);
	if (q->backward) {
		for (size_t i = 0; i < *n / 2; i++) {
			struct store_incident_row t = out[i];

			out[i] = out[*n - 1 - i];
			out[*n - 1 - i] = t;
		}
	}
out:
	free(pattern);
	buf_release(&sql);
	return code;
}

enum status_code
store_incident_family(struct store *store, const struct store_incident_row *r,
		      struct store_incident_row **rows, size_t *n)
{
	sqlite3_stmt *stmt = store_stmt(
		store, STMT_CONSOLE_FAMILY,
		"SELECT " ROW_COLUMNS "0 FROM incidents i JOIN services s ON s.id = i.service_id "
		"WHERE (i.source = ?1 AND i.source_id = ?2) "
		"OR (i.parent_source = ?1 AND i.parent_id = ?2) ORDER BY i.detected_at, i.id");
	enum status_code code = SUCCESS;
	size_t alloc = 0;
	int rc = SQLITE_DONE;

	*rows = NULL;
	*n = 0;
	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	/* The root: the parent r names, else r itself. */
	store_bind_text(stmt, 1, r->parent_id ? r->parent_source : r->source);
	store_bind_text(stmt, 2, r->parent_id ? r->parent_id : r->source_id);
	/* A family is a handful of records; a runaway one is cut at 64. */
	while (code == SUCCESS && *n < 64 && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*rows = xgrow(*rows, &alloc, *n + 1, sizeof(**rows));
		memset(&(*rows)[*n], 0, sizeof(**rows));
		read_row(stmt, &(*rows)[(*n)++]);
	}
	if (code == SUCCESS && rc != SQLITE_ROW && rc != SQLITE_DONE)
		code = store_error(store, "reading an incident's family");
	sqlite3_reset(stmt);
	if (code != SUCCESS) {
		store_incident_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
	}
	return code;
}

enum status_code
store_incident_raw(struct store *store, const char *source, const char *source_id, char **json)
{
	sqlite3_stmt *stmt = store_stmt(store, STMT_CONSOLE_RAW,
					"SELECT r.json FROM incidents i "
					"JOIN incident_raw r ON r.incident_id = i.id "
					"WHERE i.source = ? AND i.source_id = ?");
	int rc;

	*json = NULL;
	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	store_bind_text(stmt, 1, source);
	store_bind_text(stmt, 2, source_id);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		*json = store_column_strdup(stmt, 0);
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
		       ? SUCCESS
		       : store_error(store, "reading an incident's upstream record");
}

/* ---- the overview ---- */

static enum status_code
read_production(struct store *store, int64_t service_id, struct store_service_row *r)
{
	sqlite3_stmt *stmt = store_stmt(
		store, STMT_OVERVIEW_PRODUCTION,
		"SELECT version, status, pattern, canary_weight, coalesce(finished_at, started_at) "
		"FROM deployments WHERE service_id = ? AND environment IN ('production', 'prod') "
		"ORDER BY started_at DESC, id DESC LIMIT 1");
	int rc;

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	sqlite3_bind_int64(stmt, 1, service_id);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		r->prod_version = store_column_strdup(stmt, 0);
		r->prod_status = store_column_strdup(stmt, 1);
		r->prod_pattern = store_column_strdup(stmt, 2);
		if (sqlite3_column_type(stmt, 3) != SQLITE_NULL)
			r->canary_weight = sqlite3_column_double(stmt, 3);
		r->prod_at = store_column_time(stmt, 4);
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SUCCESS
						     : store_error(store, "reading deployments");
}

static enum status_code
read_pipeline(struct store *store, int64_t service_id, struct store_service_row *r)
{
	sqlite3_stmt *stmt =
		store_stmt(store, STMT_OVERVIEW_PIPELINE,
			   "SELECT status, coalesce(finished_at, started_at, queued_at) "
			   "FROM pipelines WHERE service_id = ? "
			   "ORDER BY coalesce(started_at, queued_at) DESC, id DESC LIMIT 1");
	int rc;

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	sqlite3_bind_int64(stmt, 1, service_id);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		r->pipeline_status = store_column_strdup(stmt, 0);
		r->pipeline_at = store_column_time(stmt, 1);
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SUCCESS
						     : store_error(store, "reading pipelines");
}

static enum status_code
read_open_incidents(struct store *store, int64_t service_id, struct store_service_row *r)
{
	sqlite3_stmt *stmt = store_stmt(
		store, STMT_OVERVIEW_OPEN,
		"SELECT coalesce(severity, ''), count(*) FROM incidents WHERE service_id = ? "
		"AND resolved_at IS NULL AND closed_at IS NULL GROUP BY 1");
	int rc;

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	sqlite3_bind_int64(stmt, 1, service_id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *sev = store_column_text(stmt, 0);
		size_t slot = streq(sev, "P1")	 ? 0
			      : streq(sev, "P2") ? 1
			      : streq(sev, "P3") ? 2
						 : 3;

		r->open_by_severity[slot] += (size_t)sqlite3_column_int64(stmt, 1);
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? SUCCESS : store_error(store, "counting open incidents");
}

/* The latest sample of one series at or before now (a backward seek on the key). */
static enum status_code
latest_sample(struct store *store, int64_t series, int64_t now, int64_t *ts, double *value)
{
	sqlite3_stmt *stmt = store_stmt(store, STMT_OVERVIEW_METRIC,
					"SELECT ts, value FROM metric_samples WHERE series_id = ? "
					"AND ts <= ? ORDER BY ts DESC LIMIT 1");
	int rc;

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	sqlite3_bind_int64(stmt, 1, series);
	sqlite3_bind_int64(stmt, 2, now);
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW && sqlite3_column_int64(stmt, 0) > *ts) {
		*ts = sqlite3_column_int64(stmt, 0);
		*value = sqlite3_column_double(stmt, 1);
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SUCCESS
						     : store_error(store, "reading metrics");
}

/* The averages of the hour's two-minute buckets of one series into spark. */
static enum status_code
spark_buckets(struct store *store, int64_t series, int64_t now, double *spark)
{
	sqlite3_stmt *stmt = store_stmt(store, STMT_OVERVIEW_SPARK,
					"SELECT (ts - ?2) / 120, avg(value) FROM metric_samples "
					"WHERE series_id = ?1 AND ts >= ?2 AND ts < ?3 GROUP BY 1");
	int64_t from = now - OVERVIEW_SPARK * 120;
	int rc;

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	sqlite3_bind_int64(stmt, 1, series);
	sqlite3_bind_int64(stmt, 2, from);
	sqlite3_bind_int64(stmt, 3, now);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		int64_t b = sqlite3_column_int64(stmt, 0);

		if (b >= 0 && b < OVERVIEW_SPARK)
			spark[b] = sqlite3_column_double(stmt, 1);
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? SUCCESS : store_error(store, "reading metrics");
}

/* The latest value of SERVICE.NAME, and for the sparkline metrics the hour's
 * buckets. A name with several labelled series shows the newest of them. */
static enum status_code
read_metric(struct store *store, const char *service, size_t m, int64_t now,
	    struct store_service_row *r)
{
	static const int spark_of[OVERVIEW_METRICS] = { 0, 1, -1, 2, -1, -1 };
	char *name = xasprintf("%s.%s", service, overview_metric_names[m]);
	sqlite3_stmt *stmt = store_stmt(store, STMT_OVERVIEW_SERIES,
					"SELECT id FROM metric_series WHERE name = ?");
	enum status_code code = SUCCESS;
	int64_t ids[8];
	size_t n = 0;
	int rc;

	if (!stmt) {
		free(name);
		return ERROR_CUSTOM_MESSAGE;
	}
	store_bind_text(stmt, 1, name);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW && n < ARRAY_SIZE(ids))
		ids[n++] = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	free(name);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_error(store, "reading metrics");
	for (size_t i = 0; i < n && code == SUCCESS; i++) {
		code = latest_sample(store, ids[i], now, &r->metric_at[m], &r->metric[m]);
		if (code == SUCCESS && spark_of[m] >= 0 && i == 0)
			code = spark_buckets(store, ids[i], now, r->spark[spark_of[m]]);
	}
	return code;
}

static void
init_row(struct store_service_row *r)
{
	memset(r, 0, sizeof(*r));
	r->canary_weight = NAN;
	r->prod_at = r->pipeline_at = TIME_NONE;
	for (size_t m = 0; m < OVERVIEW_METRICS; m++) {
		r->metric[m] = NAN;
		r->metric_at[m] = TIME_NONE;
	}
	for (size_t s = 0; s < 3; s++)
		for (size_t i = 0; i < OVERVIEW_SPARK; i++)
			r->spark[s][i] = NAN;
}

enum status_code
store_service_rows(struct store *store, int64_t now, struct store_service_row **rows, size_t *n)
{
	struct store_service *services;
	size_t n_services;
	enum status_code code;

	*rows = NULL;
	*n = 0;
	if ((code = store_list_services(store, &services, &n_services)) != SUCCESS)
		return code;
	*rows = xcalloc(n_services + 1, sizeof(**rows));
	for (size_t i = 0; i < n_services && code == SUCCESS; i++) {
		struct store_service_row *r = &(*rows)[i];
		int64_t id;

		init_row(r);
		r->name = xstrdup(services[i].name);
		(*n)++;
		code = store_service_id(store, services[i].name, false, &id);
		if (code == SUCCESS)
			code = read_production(store, id, r);
		if (code == SUCCESS)
			code = read_pipeline(store, id, r);
		if (code == SUCCESS)
			code = read_open_incidents(store, id, r);
		for (size_t m = 0; m < OVERVIEW_METRICS && code == SUCCESS; m++)
			code = read_metric(store, services[i].name, m, now, r);
	}
	store_services_free(services, n_services);
	if (code != SUCCESS) {
		store_service_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
	}
	return code;
}

void
store_service_rows_free(struct store_service_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].name);
		free(rows[i].prod_version);
		free(rows[i].prod_status);
		free(rows[i].prod_pattern);
		free(rows[i].pipeline_status);
	}
	free(rows);
}
