/* status.c - what `sitrep status --format line` asks of the cache, every few
 * seconds from a tmux status bar: the worst open incident and a rollout that its
 * service's open incidents put in doubt. Both are seeks on small indexes (the
 * partial indexes of open incidents, the deployments by service), so the answer
 * takes the same time on a cache of a thousand incidents or of millions. */
#include "sitrep/sitrep.h"
#include "sitrep/store.h"
#include "store-private.h"

static char *
dup_text(sqlite3_stmt *stmt, int col)
{
	const char *t = store_column_text(stmt, col);

	return t ? xstrdup(t) : NULL;
}

/* ---- the worst open incident ---- */

/* Open: neither resolved nor closed, the predicate of the incidents_open indexes.
 * Known severities ("P1" < "P2" < ...) come before unknown ones: NULL sorts first
 * in SQLite, so the unknown are a second seek, taken only when no known one is
 * open. */
#define WORST_SQL(severity)                                                                \
	"SELECT s.name, i.title, i.severity, i.source, i.source_id, i.detected_at "        \
	"FROM incidents i JOIN services s ON s.id = i.service_id "                         \
	"WHERE i.resolved_at IS NULL AND i.closed_at IS NULL AND i.severity " severity " " \
	"ORDER BY i.severity, i.detected_at, i.id LIMIT 1"

static enum status_code
worst_with(struct store *store, const char *sql, struct store_open_incident *out, bool *found)
{
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "finding the worst open incident");
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		out->service = dup_text(stmt, 0);
		out->title = dup_text(stmt, 1);
		out->severity = dup_text(stmt, 2);
		out->source = dup_text(stmt, 3);
		out->source_id = dup_text(stmt, 4);
		out->detected_at = store_column_time(stmt, 5);
		*found = true;
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
		       ? SUCCESS
		       : store_error(store, "finding the worst open incident");
}

enum status_code
store_worst_open_incident(struct store *store, struct store_open_incident *out, bool *found)
{
	enum status_code code;

	memset(out, 0, sizeof(*out));
	*found = false;
	code = worst_with(store, WORST_SQL("IS NOT NULL"), out, found);
	if (code == SUCCESS && !*found)
		code = worst_with(store, WORST_SQL("IS NULL"), out, found);
	return code;
}

void
store_open_incident_release(struct store_open_incident *incident)
{
	free(incident->service);
	free(incident->title);
	free(incident->severity);
	free(incident->source);
	free(incident->source_id);
	memset(incident, 0, sizeof(*incident));
}

/* ---- the rollout alarm ---- */

/* For each service, its newest production deployment (one seek on
 * deployments_service), if it is still rolling out or baking and did not already
 * end badly, with the first open incident of the service detected since it started
 * (a seek on incidents_open_service). Newest rollout first. */
static const char alarm_sql[] =
	"SELECT s.name, d.version, d.pattern, d.status, d.canary_weight, d.started_at, "
	"(SELECT min(i.detected_at) FROM incidents i "
	" WHERE i.service_id = s.id AND i.resolved_at IS NULL AND i.closed_at IS NULL "
	" AND i.detected_at >= d.started_at) AS since "
	"FROM services s JOIN deployments d ON d.id = ("
	" SELECT id FROM deployments WHERE service_id = s.id AND environment = ?2 "
	" AND started_at IS NOT NULL ORDER BY started_at DESC, id DESC LIMIT 1) "
	"WHERE (d.finished_at IS NULL OR d.bake_until > ?1) "
	"AND lower(d.status) NOT IN ('failed', 'failure', 'error', 'rolled_back', 'aborted', "
	"'canceled', 'cancelled', 'inactive') "
	"AND since IS NOT NULL ORDER BY d.started_at DESC LIMIT 1";

enum status_code
store_rollout_alarm(struct store *store, int64_t now, struct store_rollout_alarm *out, bool *found)
{
	/* The environments the overview takes for production. */
	static const char *const production[] = { "production", "prod" };
	sqlite3_stmt *stmt;
	enum status_code code = SUCCESS;
	int rc = SQLITE_DONE;

	memset(out, 0, sizeof(*out));
	*found = false;
	if (sqlite3_prepare_v2(store->db, alarm_sql, -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "looking for a rollout alarm");
	for (size_t e = 0; e < ARRAY_SIZE(production); e++) {
		sqlite3_reset(stmt);
		sqlite3_bind_int64(stmt, 1, now);
		sqlite3_bind_text(stmt, 2, production[e], -1, SQLITE_STATIC);
		rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW && (!*found || store_column_time(stmt, 5) > out->started_at)) {
			store_rollout_alarm_release(out);
			out->service = dup_text(stmt, 0);
			out->version = dup_text(stmt, 1);
			out->pattern = dup_text(stmt, 2);
			out->status = dup_text(stmt, 3);
			out->canary_weight = sqlite3_column_type(stmt, 4) == SQLITE_NULL
						     ? -1
						     : sqlite3_column_double(stmt, 4);
			out->started_at = store_column_time(stmt, 5);
			out->incident_at = store_column_time(stmt, 6);
			*found = true;
		} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			code = store_error(store, "looking for a rollout alarm");
			break;
		}
	}
	sqlite3_finalize(stmt);
	return code;
}

void
store_rollout_alarm_release(struct store_rollout_alarm *alarm)
{
	free(alarm->service);
	free(alarm->version);
	free(alarm->pattern);
	free(alarm->status);
	memset(alarm, 0, sizeof(*alarm));
}
