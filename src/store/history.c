/* history.c - what arrived, read back in order: incident events by incident then
 * time, and metric samples by series then time (the order of the sample table's
 * key, so a listing is one sequential read). Rows stream into the callback; nothing
 * is collected. */
#include "sitrep/sitrep.h"
#include "sitrep/store.h"
#include "store-private.h"

/* ?1 source, ?2 service, ?3 since: NULL selects all. */
static const char events_sql[] =
	"SELECT i.source, i.source_id, s.name, e.at, e.kind, e.actor, e.text, "
	"e.source_event_id FROM incident_events e JOIN incidents i ON i.id = e.incident_id "
	"JOIN services s ON s.id = i.service_id "
	"WHERE (?1 IS NULL OR i.source = ?1) "
	"AND (?2 IS NULL OR s.name = ?2 OR i.id IN (SELECT x.incident_id "
	"FROM incident_services x JOIN services xs ON xs.id = x.service_id WHERE xs.name = ?2)) "
	"AND (?3 IS NULL OR e.at >= ?3) ORDER BY e.incident_id, e.at, e.id";

/* One incident's events: a seek on the incident, then its events in time. */
static const char incident_events_sql[] =
	"SELECT i.source, i.source_id, s.name, e.at, e.kind, e.actor, e.text, "
	"e.source_event_id FROM incidents i JOIN incident_events e ON e.incident_id = i.id "
	"JOIN services s ON s.id = i.service_id "
	"WHERE i.source = ?1 AND i.source_id = ?2 ORDER BY e.at, e.id";

/* ?1 source, ?2 service, ?3 since, ?4 metric. */
static const char samples_sql[] =
	"SELECT m.source, m.name, m.labels, s.name, x.ts, x.value FROM metric_series m "
	"LEFT JOIN services s ON s.id = m.service_id "
	"JOIN metric_samples x ON x.series_id = m.id "
	"WHERE (?1 IS NULL OR m.source = ?1) AND (?2 IS NULL OR s.name = ?2) "
	"AND (?3 IS NULL OR x.ts >= ?3) AND (?4 IS NULL OR m.name = ?4) "
	"ORDER BY m.id, x.ts";

static enum status_code
prepare_filtered(struct store *store, const char *sql, const struct store_filter *filter,
		 const char *what, sqlite3_stmt **stmt)
{
	if (sqlite3_prepare_v2(store->db, sql, -1, stmt, NULL) != SQLITE_OK)
		return store_error(store, what);
	if (filter) {
		store_bind_text(*stmt, 1, filter->source);
		store_bind_text(*stmt, 2, filter->service);
		store_bind_time(*stmt, 3, filter->since);
		if (sqlite3_bind_parameter_count(*stmt) >= 4)
			store_bind_text(*stmt, 4, filter->metric);
	}
	return SUCCESS;
}

static enum status_code
finish(struct store *store, sqlite3_stmt *stmt, int rc, enum status_code code, const char *what)
{
	if (code == SUCCESS && rc != SQLITE_DONE)
		code = store_error(store, what);
	sqlite3_finalize(stmt);
	return code;
}

static enum status_code
each_event_of(struct store *store, sqlite3_stmt *stmt, store_event_cb cb, void *ctx)
{
	static const char what[] = "listing incident events";
	enum status_code code = SUCCESS;
	int rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_event ev = {
			.source = store_column_text(stmt, 0),
			.incident_id = store_column_text(stmt, 1),
			.service = store_column_text(stmt, 2),
			.at = sqlite3_column_int64(stmt, 3),
			.kind = store_column_text(stmt, 4),
			.actor = store_column_text(stmt, 5),
			.text = store_column_text(stmt, 6),
			.event_id = store_column_text(stmt, 7),
		};

		if ((code = cb(ctx, &ev)) != SUCCESS)
			break;
	}
	return finish(store, stmt, rc, code, what);
}

enum status_code
store_each_event(struct store *store, const struct store_filter *filter, store_event_cb cb,
		 void *ctx)
{
	enum status_code code;
	sqlite3_stmt *stmt;

	if ((code = prepare_filtered(store, events_sql, filter, "listing incident events",
				     &stmt)) != SUCCESS)
		return code;
	return each_event_of(store, stmt, cb, ctx);
}

enum status_code
store_incident_events(struct store *store, const char *source, const char *source_id,
		      store_event_cb cb, void *ctx)
{
	sqlite3_stmt *stmt;

	if (sqlite3_prepare_v2(store->db, incident_events_sql, -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "listing an incident's events");
	store_bind_text(stmt, 1, source);
	store_bind_text(stmt, 2, source_id);
	return each_event_of(store, stmt, cb, ctx);
}

enum status_code
store_each_sample(struct store *store, const struct store_filter *filter, store_sample_cb cb,
		  void *ctx)
{
	static const char what[] = "listing metric samples";
	enum status_code code;
	sqlite3_stmt *stmt;
	int rc;

	if ((code = prepare_filtered(store, samples_sql, filter, what, &stmt)) != SUCCESS)
		return code;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_sample s = {
			.source = store_column_text(stmt, 0),
			.series = store_column_text(stmt, 1),
			.labels = store_column_text(stmt, 2),
			.service = store_column_text(stmt, 3),
			.ts = sqlite3_column_int64(stmt, 4),
			.value = sqlite3_column_double(stmt, 5),
		};

		if ((code = cb(ctx, &s)) != SUCCESS)
			break;
	}
	return finish(store, stmt, rc, code, what);
}
