/* incidents.c - incident rows: idempotent upsert with their child rows (extra
 * services, reopens, SLA pauses, raw JSON), iteration for export, and the narrow
 * streaming scan that feeds the metric engine.
 *
 * The scan reads only the columns the engine needs and never holds more than one
 * incident: the engine, not the store, decides what to keep. */
#include "sitrep/sitrep.h"
#include "sitrep/store.h"
#include "store-private.h"

#define INCIDENT_COLUMNS                                                                         \
	"source, source_id, service_id, title, severity, impact, impact_start, detected_at, "    \
	"acknowledged_at, contained_at, resolved_at, closed_at, reopen_count, extra_services, "  \
	"caused_by, url, sla_policy, sla_target, sla_schedule, sla_start, sla_stop, "            \
	"sla_pause_count, updated_at, ticket, state, assignee, parent_source, parent_id, link, " \
	"sla_count"

static const struct store_upsert incident_upsert = {
	.insert = STMT_INCIDENT_INSERT,
	.insert_sql =
		"INSERT INTO incidents(" INCIDENT_COLUMNS ") "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
		"?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30) "
		"ON CONFLICT(source, source_id) DO NOTHING",
	.update = STMT_INCIDENT_UPDATE,
	.update_sql = "UPDATE incidents SET service_id = ?3, title = ?4, severity = ?5, "
		      "impact = ?6, impact_start = ?7, detected_at = ?8, acknowledged_at = ?9, "
		      "contained_at = ?10, resolved_at = ?11, closed_at = ?12, reopen_count = ?13, "
		      "extra_services = ?14, caused_by = ?15, url = ?16, sla_policy = ?17, "
		      "sla_target = ?18, sla_schedule = ?19, sla_start = ?20, sla_stop = ?21, "
		      "sla_pause_count = ?22, updated_at = ?23, ticket = ?24, state = ?25, "
		      "assignee = ?26, parent_source = ?27, parent_id = ?28, link = ?29, "
		      "sla_count = ?30 "
		      "WHERE source = ?1 AND source_id = ?2 AND ?23 >= updated_at",
	.lookup = STMT_INCIDENT_ID,
	.lookup_sql = "SELECT id FROM incidents WHERE source = ?1 AND source_id = ?2",
	.doing = "saving an incident",
};

static void
bind_incident(sqlite3_stmt *stmt, const void *record, int64_t service_id)
{
	const struct store_incident *in = record;
	const struct mx_sla *sla = &in->sla;

	/* The update and lookup statements use some of the parameters only. */
	if (sqlite3_bind_parameter_count(stmt) < 30) {
		store_bind_text(stmt, 1, in->source);
		store_bind_text(stmt, 2, in->source_id);
		return;
	}
	store_bind_text(stmt, 1, in->source);
	store_bind_text(stmt, 2, in->source_id);
	sqlite3_bind_int64(stmt, 3, service_id);
	store_bind_text(stmt, 4, in->title);
	store_bind_text(stmt, 5, in->severity);
	sqlite3_bind_int(stmt, 6, (int)in->impact);
	store_bind_time(stmt, 7, in->impact_start);
	store_bind_time(stmt, 8, in->detected_at);
	store_bind_time(stmt, 9, in->acknowledged_at);
	store_bind_time(stmt, 10, in->contained_at);
	store_bind_time(stmt, 11, in->resolved_at);
	store_bind_time(stmt, 12, in->closed_at);
	sqlite3_bind_int64(stmt, 13, (int64_t)in->n_reopens);
	sqlite3_bind_int64(stmt, 14, (int64_t)(in->n_services - 1));
	store_bind_text(stmt, 15, in->caused_by);
	store_bind_text(stmt, 16, in->url);
	if (sla->present) {
		store_bind_text(stmt, 17, in->sla_policy);
		sqlite3_bind_int64(stmt, 18, sla->target_seconds);
		sqlite3_bind_int(stmt, 19, (int)sla->schedule);
		store_bind_time(stmt, 20, sla->start_time);
		store_bind_time(stmt, 21, sla->stop_time);
	}
	sqlite3_bind_int64(stmt, 22, sla->present ? (int64_t)sla->n_pauses : 0);
	sqlite3_bind_int64(stmt, 23, in->updated_at);
	sqlite3_bind_int(stmt, 24, in->ticket);
	store_bind_text(stmt, 25, in->state);
	store_bind_text(stmt, 26, in->assignee);
	if (in->parent_id) {
		store_bind_text(stmt, 27, in->parent_source ? in->parent_source : in->source);
		store_bind_text(stmt, 28, in->parent_id);
		store_bind_text(stmt, 29, in->link);
	}
	sqlite3_bind_int64(stmt, 30, (int64_t)in->n_slas);
}

enum status_code
store_write_metric_row(struct store *store, int64_t id, int64_t service_id,
		       const struct store_incident *in)
{
	/* An incident read again unchanged (a sync reads the last minutes again) leaves
	 * its row, and the row's page, alone. */
	sqlite3_stmt *stmt = store_stmt(
		store, STMT_INCIDENT_METRICS_SET,
		"INSERT INTO incident_metrics(incident_id, service_id, first_at, last_at, mx) "
		"VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(incident_id) DO UPDATE SET "
		"service_id = ?2, first_at = ?3, last_at = ?4, mx = ?5 "
		"WHERE service_id IS NOT ?2 OR first_at IS NOT ?3 OR last_at IS NOT ?4 "
		"OR mx IS NOT ?5");
	uint8_t mx[MXROW_MAX];
	int64_t first, last;
	size_t n;

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	mxrow_bounds(in, &first, &last);
	n = mxrow_encode(in, service_id, mx);
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, service_id);
	sqlite3_bind_int64(stmt, 3, first);
	store_bind_time(stmt, 4, last);
	sqlite3_bind_blob(stmt, 5, mx, (int)n, SQLITE_STATIC);
	return store_step_done(store, stmt, "saving an incident's metric row");
}

/* Replaces the child rows of incident id with those of in (a fresh row has none to
 * clear: deletes are what make a bulk import slow). */
static enum status_code
write_children(struct store *store, int64_t id, const struct store_incident *in, bool fresh)
{
	static const struct {
		enum store_stmt stmt;
		const char *sql;
	} clear[] = {
		{ STMT_INCIDENT_CHILDREN_CLEAR_SERVICES,
		  "DELETE FROM incident_services WHERE incident_id = ?" },
		{ STMT_INCIDENT_CHILDREN_CLEAR_REOPENS,
		  "DELETE FROM incident_reopens WHERE incident_id = ?" },
		{ STMT_INCIDENT_CHILDREN_CLEAR_PAUSES,
		  "DELETE FROM sla_pauses WHERE incident_id = ?" },
		{ STMT_INCIDENT_CHILDREN_CLEAR_SLAS,
		  "DELETE FROM incident_slas WHERE incident_id = ?" },
	};
	sqlite3_stmt *stmt;
	size_t i;

	for (i = 0; !fresh && i < ARRAY_SIZE(clear); i++) {
		if (!(stmt = store_stmt(store, clear[i].stmt, clear[i].sql)))
			return ERROR_CUSTOM_MESSAGE;
		sqlite3_bind_int64(stmt, 1, id);
		if (store_step_done(store, stmt, "replacing incident details") != SUCCESS)
			return ERROR_CUSTOM_MESSAGE;
	}
	for (i = 1; i < in->n_services; i++) {
		int64_t service_id;

		if (store_service_id(store, in->services[i], true, &service_id) != SUCCESS)
			return ERROR_CUSTOM_MESSAGE;
		if (!(stmt = store_stmt(store, STMT_INCIDENT_SERVICE_ADD,
					"INSERT OR IGNORE INTO incident_services(incident_id, "
					"service_id) VALUES (?, ?)")))
			return ERROR_CUSTOM_MESSAGE;
		sqlite3_bind_int64(stmt, 1, id);
		sqlite3_bind_int64(stmt, 2, service_id);
		if (store_step_done(store, stmt, "saving an incident's services") != SUCCESS)
			return ERROR_CUSTOM_MESSAGE;
	}
	for (i = 0; i < in->n_reopens; i++) {
		if (!(stmt = store_stmt(store, STMT_INCIDENT_REOPEN_ADD,
					"INSERT OR REPLACE INTO incident_reopens(incident_id, "
					"resolved_at, reopened_at) "
					"VALUES (?, ?, ?)")))
			return ERROR_CUSTOM_MESSAGE;
		sqlite3_bind_int64(stmt, 1, id);
		sqlite3_bind_int64(stmt, 2, in->reopens[i].resolved_at);
		sqlite3_bind_int64(stmt, 3, in->reopens[i].reopened_at);
		if (store_step_done(store, stmt, "saving an incident's reopens") != SUCCESS)
			return ERROR_CUSTOM_MESSAGE;
	}
	for (i = 0; in->sla.present && i < in->sla.n_pauses; i++) {
		if (!(stmt = store_stmt(store, STMT_INCIDENT_PAUSE_ADD,
					"INSERT OR REPLACE INTO sla_pauses(incident_id, start, "
					"end) VALUES (?, ?, ?)")))
			return ERROR_CUSTOM_MESSAGE;
		sqlite3_bind_int64(stmt, 1, id);
		sqlite3_bind_int64(stmt, 2, in->sla.pauses[i].start);
		sqlite3_bind_int64(stmt, 3, in->sla.pauses[i].end);
		if (store_step_done(store, stmt, "saving SLA pauses") != SUCCESS)
			return ERROR_CUSTOM_MESSAGE;
	}
	for (i = 0; i < in->n_slas; i++) {
		const struct store_sla *sla = &in->slas[i];

		if (!(stmt = store_stmt(store, STMT_INCIDENT_SLA_ADD,
					"INSERT OR REPLACE INTO incident_slas(incident_id, name, "
					"kind, target, schedule, start_at, due_at, stop_at, "
					"paused, "
					"stage, breached) "
					"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")))
			return ERROR_CUSTOM_MESSAGE;
		sqlite3_bind_int64(stmt, 1, id);
		store_bind_text(stmt, 2, sla->name);
		store_bind_text(stmt, 3, sla->kind);
		store_bind_time(stmt, 4, sla->target);
		sqlite3_bind_int(stmt, 5, (int)sla->schedule);
		store_bind_time(stmt, 6, sla->start_at);
		store_bind_time(stmt, 7, sla->due_at);
		store_bind_time(stmt, 8, sla->stop_at);
		store_bind_time(stmt, 9, sla->paused);
		store_bind_text(stmt, 10, sla->stage);
		sqlite3_bind_int(stmt, 11, sla->breached);
		if (store_step_done(store, stmt, "saving SLA instances") != SUCCESS)
			return ERROR_CUSTOM_MESSAGE;
	}
	if (in->raw_json) {
		/* Unchanged, the row is not written again (see the metric row). */
		if (!(stmt = store_stmt(store, STMT_INCIDENT_RAW_SET,
					"INSERT INTO incident_raw(incident_id, json) VALUES (?1, "
					"?2) "
					"ON CONFLICT(incident_id) DO UPDATE SET json = ?2 "
					"WHERE json IS NOT ?2")))
			return ERROR_CUSTOM_MESSAGE;
		sqlite3_bind_int64(stmt, 1, id);
		store_bind_text(stmt, 2, in->raw_json);
		return store_step_done(store, stmt, "saving the upstream record");
	}
	return SUCCESS;
}

enum status_code
store_upsert_incident(struct store *store, const struct store_incident *in)
{
	int64_t id;

	return store_upsert_incident_id(store, in, &id);
}

enum status_code
store_upsert_incident_id(struct store *store, const struct store_incident *in, int64_t *id)
{
	int64_t service_id;
	bool fresh;

	*id = 0;
	if (in->n_services == 0)
		return error("incident %s/%s names no service", in->source, in->source_id);
	if (store_service_id(store, in->services[0], true, &service_id) != SUCCESS ||
	    store_upsert_row(store, &incident_upsert, bind_incident, in, service_id, id, &fresh) !=
		    SUCCESS)
		return ERROR_CUSTOM_MESSAGE;
	if (*id == 0)
		return SUCCESS; /* the stored record is newer, and so are its children */
	if (store_write_metric_row(store, *id, service_id, in) != SUCCESS ||
	    write_children(store, *id, in, fresh) != SUCCESS)
		return ERROR_CUSTOM_MESSAGE;
	return store_fold_family(store, *id, service_id, in);
}

/* ---- reading ---- */

/* Growable arrays for one incident's child rows, reused from row to row. */
struct incident_children {
	const char **services;
	size_t services_alloc;
	struct mx_reopen *reopens;
	size_t reopens_alloc;
	struct mx_pause *pauses;
	size_t pauses_alloc;
	struct store_sla *slas; /* text in the statement's row: valid until its next step */
	size_t slas_alloc;
	char **names; /* owned copies of service names */
	size_t n_names;
};

static void
children_release(struct incident_children *c)
{
	size_t i;

	for (i = 0; i < c->n_names; i++)
		free(c->names[i]);
	free(c->names);
	free(c->services);
	free(c->reopens);
	free(c->pauses);
	free(c->slas);
}

static enum status_code
read_reopens(struct store *store, int64_t id, struct incident_children *c, size_t *n)
{
	sqlite3_stmt *stmt = store_stmt(
		store, STMT_INCIDENT_REOPENS,
		"SELECT resolved_at, reopened_at FROM incident_reopens WHERE incident_id = ? "
		"ORDER BY resolved_at");
	int rc;

	*n = 0;
	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	sqlite3_bind_int64(stmt, 1, id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		c->reopens = xgrow(c->reopens, &c->reopens_alloc, *n + 1, sizeof(*c->reopens));
		c->reopens[*n].resolved_at = sqlite3_column_int64(stmt, 0);
		c->reopens[*n].reopened_at = sqlite3_column_int64(stmt, 1);
		(*n)++;
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? SUCCESS : store_error(store, "reading reopens");
}

static enum status_code
read_pauses(struct store *store, int64_t id, struct incident_children *c, size_t *n)
{
	sqlite3_stmt *stmt = store_stmt(
		store, STMT_INCIDENT_PAUSES,
		"SELECT start, end FROM sla_pauses WHERE incident_id = ? ORDER BY start");
	int rc;

	*n = 0;
	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	sqlite3_bind_int64(stmt, 1, id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		c->pauses = xgrow(c->pauses, &c->pauses_alloc, *n + 1, sizeof(*c->pauses));
		c->pauses[*n].start = sqlite3_column_int64(stmt, 0);
		c->pauses[*n].end = sqlite3_column_int64(stmt, 1);
		(*n)++;
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? SUCCESS : store_error(store, "reading SLA pauses");
}

/* The SLA instances of incident id. Their text is copied into c->names, which
 * lives as long as the record. */
static enum status_code
read_slas(struct store *store, int64_t id, struct incident_children *c, size_t *n)
{
	sqlite3_stmt *stmt = store_stmt(store, STMT_INCIDENT_SLAS,
					"SELECT name, kind, target, schedule, start_at, due_at, "
					"stop_at, paused, stage, breached FROM incident_slas "
					"WHERE incident_id = ? ORDER BY start_at, name");
	int rc;

	*n = 0;
	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	sqlite3_bind_int64(stmt, 1, id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_sla *sla;
		const char *text[3] = { store_column_text(stmt, 0), store_column_text(stmt, 1),
					store_column_text(stmt, 8) };

		c->slas = xgrow(c->slas, &c->slas_alloc, *n + 1, sizeof(*c->slas));
		c->names = xrealloc(c->names, (c->n_names + 3) * sizeof(*c->names));
		for (size_t i = 0; i < 3; i++)
			c->names[c->n_names + i] = text[i] ? xstrdup(text[i]) : NULL;
		sla = &c->slas[(*n)++];
		sla->name = c->names[c->n_names];
		sla->kind = c->names[c->n_names + 1];
		sla->stage = c->names[c->n_names + 2];
		c->n_names += 3;
		sla->target = store_column_time(stmt, 2);
		sla->schedule = (enum mx_schedule)sqlite3_column_int(stmt, 3);
		sla->start_at = store_column_time(stmt, 4);
		sla->due_at = store_column_time(stmt, 5);
		sla->stop_at = store_column_time(stmt, 6);
		sla->paused = store_column_time(stmt, 7);
		sla->breached = sqlite3_column_int(stmt, 9) != 0;
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? SUCCESS : store_error(store, "reading SLA instances");
}

/* Appends the extra services of incident id after the *n already there: their ids
 * to ids (up to max_ids), and their names to c when c is set. */
static enum status_code
read_extra_services(struct store *store, int64_t id, int64_t *ids, size_t max_ids,
		    struct incident_children *c, size_t *n)
{
	sqlite3_stmt *stmt = store_stmt(store, STMT_INCIDENT_SERVICES,
					"SELECT s.id, s.name FROM incident_services i JOIN "
					"services s ON s.id = i.service_id "
					"WHERE i.incident_id = ? ORDER BY s.name");
	int rc;

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	sqlite3_bind_int64(stmt, 1, id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (ids && *n < max_ids)
			ids[*n] = sqlite3_column_int64(stmt, 0);
		if (c) {
			c->services = xgrow(c->services, &c->services_alloc, *n + 1,
					    sizeof(*c->services));
			c->names = xrealloc(c->names, (c->n_names + 1) * sizeof(*c->names));
			c->names[c->n_names] = xstrdup(store_column_text(stmt, 1));
			c->services[*n] = c->names[c->n_names++];
		}
		(*n)++;
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? SUCCESS : store_error(store, "reading an incident's services");
}

#define RECORD_SELECT                                                                       \
	"SELECT i.id, i.source, i.source_id, s.name, i.title, i.severity, i.impact, "       \
	"i.impact_start, i.detected_at, i.acknowledged_at, i.contained_at, i.resolved_at, " \
	"i.closed_at, i.reopen_count, i.extra_services, i.caused_by, i.url, i.sla_policy, " \
	"i.sla_target, i.sla_schedule, i.sla_start, i.sla_stop, i.sla_pause_count, "        \
	"i.updated_at, r.json, i.ticket, i.state, i.assignee, i.parent_source, "            \
	"i.parent_id, i.link, i.sla_count "                                                 \
	"FROM incidents i JOIN services s ON s.id = i.service_id "                          \
	"LEFT JOIN incident_raw r ON r.incident_id = i.id "

/* ?3 source, ?4 service (first or extra), ?5 since: NULL selects all. */
static const char each_sql[] =
	RECORD_SELECT "WHERE (?3 IS NULL OR i.source = ?3) "
		      "AND (?4 IS NULL OR s.name = ?4 OR i.id IN (SELECT x.incident_id "
		      "FROM incident_services x JOIN services xs ON xs.id = x.service_id "
		      "WHERE xs.name = ?4)) "
		      "AND (?5 IS NULL OR i.resolved_at IS NULL OR i.resolved_at >= ?5 "
		      "OR i.detected_at >= ?5) AND (?6 = 0 OR i.ticket = 1) "
		      "ORDER BY i.id";
static const char get_sql[] = RECORD_SELECT "WHERE i.source = ?1 AND i.source_id = ?2";

static enum status_code
fill_record(struct store *store, sqlite3_stmt *stmt, struct store_incident *rec,
	    struct incident_children *c)
{
	int64_t id = sqlite3_column_int64(stmt, 0);
	size_t n = 1;

	for (size_t i = 0; i < c->n_names; i++)
		free(c->names[i]);
	c->n_names = 0;
	memset(rec, 0, sizeof(*rec));
	rec->source = store_column_text(stmt, 1);
	rec->source_id = store_column_text(stmt, 2);
	c->services = xgrow(c->services, &c->services_alloc, 1, sizeof(*c->services));
	c->services[0] = store_column_text(stmt, 3);
	if (sqlite3_column_int64(stmt, 14) > 0 &&
	    read_extra_services(store, id, NULL, 0, c, &n) != SUCCESS)
		return ERROR_CUSTOM_MESSAGE;
	rec->services = c->services;
	rec->n_services = n;
	rec->title = store_column_text(stmt, 4);
	rec->severity = store_column_text(stmt, 5);
	rec->impact = (enum mx_impact)sqlite3_column_int(stmt, 6);
	rec->impact_start = store_column_time(stmt, 7);
	rec->detected_at = store_column_time(stmt, 8);
	rec->acknowledged_at = store_column_time(stmt, 9);
	rec->contained_at = store_column_time(stmt, 10);
	rec->resolved_at = store_column_time(stmt, 11);
	rec->closed_at = store_column_time(stmt, 12);
	if (sqlite3_column_int64(stmt, 13) > 0 &&
	    read_reopens(store, id, c, &rec->n_reopens) != SUCCESS)
		return ERROR_CUSTOM_MESSAGE;
	rec->reopens = c->reopens;
	rec->caused_by = store_column_text(stmt, 15);
	rec->url = store_column_text(stmt, 16);
	rec->sla.present = sqlite3_column_type(stmt, 18) != SQLITE_NULL;
	rec->sla_policy = store_column_text(stmt, 17);
	rec->sla.target_seconds = sqlite3_column_int64(stmt, 18);
	rec->sla.schedule = (enum mx_schedule)sqlite3_column_int(stmt, 19);
	rec->sla.start_time = store_column_time(stmt, 20);
	rec->sla.stop_time = store_column_time(stmt, 21);
	if (sqlite3_column_int64(stmt, 22) > 0 &&
	    read_pauses(store, id, c, &rec->sla.n_pauses) != SUCCESS)
		return ERROR_CUSTOM_MESSAGE;
	rec->sla.pauses = c->pauses;
	rec->updated_at = sqlite3_column_int64(stmt, 23);
	rec->raw_json = store_column_text(stmt, 24);
	rec->ticket = sqlite3_column_int(stmt, 25) != 0;
	rec->state = store_column_text(stmt, 26);
	rec->assignee = store_column_text(stmt, 27);
	rec->parent_source = store_column_text(stmt, 28);
	rec->parent_id = store_column_text(stmt, 29);
	rec->link = store_column_text(stmt, 30);
	if (sqlite3_column_int64(stmt, 31) > 0 && read_slas(store, id, c, &rec->n_slas) != SUCCESS)
		return ERROR_CUSTOM_MESSAGE;
	rec->slas = rec->n_slas ? c->slas : NULL;
	return SUCCESS;
}

/* Runs a record query into cb: get_sql with source and source_id, or each_sql with
 * filter. */
static enum status_code
each_record(struct store *store, const char *sql, const char *source, const char *source_id,
	    const struct store_filter *filter, store_incident_cb cb, void *ctx)
{
	struct incident_children children = { 0 };
	struct store_incident rec;
	enum status_code code = SUCCESS;
	sqlite3_stmt *stmt;
	int rc;

	/* Not cached: fill_record() runs the child statements while this one is open. */
	if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "listing incidents");
	store_bind_text(stmt, 1, source);
	store_bind_text(stmt, 2, source_id);
	if (filter) {
		store_bind_text(stmt, 3, filter->source);
		store_bind_text(stmt, 4, filter->service);
		store_bind_time(stmt, 5, filter->since);
		sqlite3_bind_int(stmt, 6, filter->tickets);
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if ((code = fill_record(store, stmt, &rec, &children)) != SUCCESS)
			break;
		if ((code = cb(ctx, &rec)) != SUCCESS)
			break;
	}
	if (code == SUCCESS && rc != SQLITE_DONE)
		code = store_error(store, "listing incidents");
	sqlite3_finalize(stmt);
	children_release(&children);
	return code;
}

enum status_code
store_each_incident(struct store *store, const struct store_filter *filter, store_incident_cb cb,
		    void *ctx)
{
	static const struct store_filter all = { .since = TIME_NONE };

	return each_record(store, each_sql, NULL, NULL, filter ? filter : &all, cb, ctx);
}

enum status_code
store_incident_get(struct store *store, const char *source, const char *source_id,
		   store_incident_cb cb, void *ctx)
{
	return each_record(store, get_sql, source, source_id, NULL, cb, ctx);
}

/* ---- the metric scan ---- */

/* ---- the metric scan ----
 *
 * The engine is fed from inside SQLite: the scan is an aggregate query whose step
 * function (scan_step) decodes each row and hands it to the caller's callback, the way
 * AVG() consumes its rows. Stepping rows out to C and reading them back through the
 * column API costs more than the metric engine itself at a million rows. */

/* first_at and last_at bound when an incident can matter (see data/schema.sql). */
static const char scan_sql[] = "SELECT sitrep_scan_row(mx, incident_id) FROM incident_metrics "
			       "WHERE incident_id >= ?3 AND incident_id < ?4 "
			       "AND first_at < ?2 AND (last_at IS NULL OR last_at >= ?1)";

struct metric_scan {
	struct store *store;
	struct incident_children children;
	const size_t *service_index;
	size_t n_index;
	store_mx_cb cb;
	void *ctx;
	enum status_code code;
};

static size_t
index_of(const size_t *service_index, size_t n_index, int64_t service_id)
{
	if (service_id < 0 || (uint64_t)service_id >= n_index)
		return SIZE_MAX;
	return service_index[service_id];
}

/* Emits the row once per kept service; the first kept one is primary. */
static enum status_code
scan_emit(struct metric_scan *scan, int64_t id, int64_t service_id, struct mx_incident *mx,
	  const struct mxrow_counts *counts)
{
	struct incident_children *c = &scan->children;
	int64_t ids[64];
	size_t n = 1, i;
	bool primary = true;

	ids[0] = service_id;
	if (counts->extra_services &&
	    read_extra_services(scan->store, id, ids, ARRAY_SIZE(ids), NULL, &n) != SUCCESS)
		return ERROR_CUSTOM_MESSAGE;
	if (n > ARRAY_SIZE(ids))
		n = ARRAY_SIZE(ids);
	if (counts->reopens && read_reopens(scan->store, id, c, &mx->n_reopens) != SUCCESS)
		return ERROR_CUSTOM_MESSAGE;
	mx->reopens = c->reopens;
	if (counts->pauses && read_pauses(scan->store, id, c, &mx->sla.n_pauses) != SUCCESS)
		return ERROR_CUSTOM_MESSAGE;
	mx->sla.pauses = c->pauses;
	for (i = 0; i < n; i++) {
		size_t index = index_of(scan->service_index, scan->n_index, ids[i]);

		if (index == SIZE_MAX)
			continue;
		mx->service = index;
		mx->primary = primary;
		primary = false;
		scan->cb(scan->ctx, mx);
	}
	return SUCCESS;
}

static void
scan_step(sqlite3_context *context, int argc, sqlite3_value **argv)
{
	struct store *store = sqlite3_user_data(context);
	struct metric_scan *scan = store->scan;
	const unsigned char *blob = sqlite3_value_blob(argv[0]);
	size_t len = (size_t)sqlite3_value_bytes(argv[0]);
	int64_t id = sqlite3_value_int64(argv[1]), service_id;
	struct mxrow_counts counts;
	struct mx_incident mx;
	bool extra;

	(void)argc;
	if (!scan || scan->code != SUCCESS)
		return;
	if (mxrow_peek(blob, len, &service_id, &extra) && !extra &&
	    index_of(scan->service_index, scan->n_index, service_id) == SIZE_MAX)
		return; /* not a selected service, and no other: skip before decoding */
	if (!mxrow_decode(blob, len, &mx, &counts))
		scan->code = error("%s: incident %lld: damaged metric row; re-import or resync it",
				   store->path, (long long)id);
	else
		scan->code = scan_emit(scan, id, service_id, &mx, &counts);
	if (scan->code != SUCCESS)
		sqlite3_result_error(context, status_message(scan->code), -1);
}

static void
scan_final(sqlite3_context *context)
{
	sqlite3_result_null(context);
}

enum status_code
store_register_scan(struct store *store)
{
	if (sqlite3_create_function_v2(store->db, "sitrep_scan_row", 2,
				       SQLITE_UTF8 | SQLITE_DIRECTONLY, store, NULL, scan_step,
				       scan_final, NULL) != SQLITE_OK)
		return store_error(store, "registering the metric scan");
	return SUCCESS;
}

enum status_code
store_scan_metric_incidents(struct store *store, int64_t from, int64_t to,
			    const size_t *service_index, size_t n_index, store_mx_cb cb, void *ctx)
{
	return store_scan_metric_range(store, from, to, INT64_MIN, INT64_MAX, service_index,
				       n_index, cb, ctx);
}

enum status_code
store_incident_id_bounds(struct store *store, int64_t *lo, int64_t *hi, int64_t *count)
{
	sqlite3_stmt *stmt;
	int rc;

	*lo = *hi = *count = 0;
	/* A lone min() or max() of a rowid reads one end of the b-tree; both in one
	 * SELECT, or count(*), would walk all of it. The count is estimated from the
	 * two ends (ids are dense). */
	if (sqlite3_prepare_v2(store->db,
			       "SELECT (SELECT min(incident_id) FROM incident_metrics), "
			       "(SELECT max(incident_id) FROM incident_metrics)",
			       -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "counting incidents");
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*lo = sqlite3_column_int64(stmt, 0);
		*hi = sqlite3_column_int64(stmt, 1);
		*count = sqlite3_column_type(stmt, 0) == SQLITE_NULL ? 0 : *hi - *lo + 1;
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? SUCCESS : store_error(store, "counting incidents");
}

enum status_code
store_scan_metric_range(struct store *store, int64_t from, int64_t to, int64_t id_lo, int64_t id_hi,
			const size_t *service_index, size_t n_index, store_mx_cb cb, void *ctx)
{
	struct metric_scan scan = {
		.store = store,
		.service_index = service_index,
		.n_index = n_index,
		.cb = cb,
		.ctx = ctx,
		.code = SUCCESS,
	};
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(store->db, scan_sql, -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "reading incidents");
	sqlite3_bind_int64(stmt, 1, from);
	sqlite3_bind_int64(stmt, 2, to);
	sqlite3_bind_int64(stmt, 3, id_lo);
	sqlite3_bind_int64(stmt, 4, id_hi);
	store->scan = &scan;
	rc = sqlite3_step(stmt);
	store->scan = NULL;
	if (scan.code == SUCCESS && rc != SQLITE_ROW)
		scan.code = store_error(store, "reading incidents");
	sqlite3_finalize(stmt);
	children_release(&scan.children);
	return scan.code;
}
