/* store-private.h - what the store's files share: the connection, its cache of
 * prepared statements, and the sqlite error translation. Not for other modules. */
#ifndef SITREP_STORE_PRIVATE_H
#define SITREP_STORE_PRIVATE_H

#include <sqlite3.h>

/* Every statement the store prepares, prepared once per connection on first use. */
enum store_stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_SET_SETTING,
	STMT_GET_SETTING,
	STMT_SERVICE_ID,
	STMT_SERVICE_INSERT,
	STMT_SERVICE_UPSERT,
	STMT_SERVICE_LIST,
	STMT_INCIDENT_INSERT,
	STMT_INCIDENT_UPDATE,
	STMT_INCIDENT_ID,
	STMT_INCIDENT_CHILDREN_CLEAR_SERVICES,
	STMT_INCIDENT_CHILDREN_CLEAR_REOPENS,
	STMT_INCIDENT_CHILDREN_CLEAR_PAUSES,
	STMT_INCIDENT_CHILDREN_CLEAR_SLAS,
	STMT_INCIDENT_SLA_ADD,
	STMT_INCIDENT_SLAS,
	STMT_FAMILY_HAS_CHILDREN,
	STMT_FAMILY_PARENT,
	STMT_FAMILY_MEMBERS,
	STMT_FAMILY_UNMETRIC,
	STMT_FAMILY_OVERLAP,
	STMT_FAMILY_SET_PARENT,
	STMT_PIPELINE_INSERT,
	STMT_PIPELINE_UPDATE,
	STMT_PIPELINE_ID,
	STMT_PIPELINE_STAGES_CLEAR,
	STMT_PIPELINE_STAGE_ADD,
	STMT_PIPELINE_STAGES,
	STMT_BRANCH_UPSERT,
	STMT_CHECK_RUN_UPSERT,
	STMT_BRANCH_NAMES,
	STMT_BRANCH_DELETE,
	STMT_DATA_VERSION,
	STMT_OVERVIEW_PRODUCTION,
	STMT_OVERVIEW_PIPELINE,
	STMT_OVERVIEW_OPEN,
	STMT_OVERVIEW_METRIC,
	STMT_OVERVIEW_SPARK,
	STMT_OVERVIEW_SERIES,
	STMT_CONSOLE_STRIP,
	STMT_CONSOLE_BUCKETS,
	STMT_CONSOLE_LAST,
	STMT_CONSOLE_SLA,
	STMT_CONSOLE_RAW,
	STMT_CONSOLE_CHART,
	STMT_CONSOLE_FAMILY,
	STMT_INCIDENT_SERVICE_ADD,
	STMT_INCIDENT_REOPEN_ADD,
	STMT_INCIDENT_PAUSE_ADD,
	STMT_INCIDENT_RAW_SET,
	STMT_INCIDENT_METRICS_SET,
	STMT_INCIDENT_EACH,
	STMT_INCIDENT_SERVICES,
	STMT_INCIDENT_REOPENS,
	STMT_INCIDENT_PAUSES,
	STMT_INCIDENT_SCAN,
	STMT_DEPLOYMENT_INSERT,
	STMT_DEPLOYMENT_UPDATE,
	STMT_DEPLOYMENT_ID,
	STMT_DEPLOYMENT_COMMITS_CLEAR,
	STMT_DEPLOYMENT_COMMIT_ADD,
	STMT_DEPLOYMENT_EACH,
	STMT_DEPLOYMENT_COMMITS,
	STMT_DEPLOYMENT_PREVIOUS,
	STMT_DORA_INCIDENTS,
	STMT_EVENT_ADD,
	STMT_EVENT_INCIDENT,
	STMT_SERIES_ID,
	STMT_SERIES_INSERT,
	STMT_SAMPLE_ADD,
	STMT_SAMPLE_ADD_MANY,
	STMT_OPEN_INCIDENTS,
	STMT_SYNC_GET,
	STMT_SYNC_CURSOR,
	STMT_SYNC_ROUND,
	STMT_SHA_STATUS,
	STMT_COUNT
};

struct metric_scan;

/* Service name -> id, so that a bulk import does not look the name up for every
 * record (services.c). Open addressing; cleared on rollback, when ids may vanish. */
struct service_cache {
	char **names;
	int64_t *ids;
	size_t n_slots; /* a power of two, or 0 */
	size_t n;
};

/* The series of the last sample stored (sync.c): the samples of a page come series
 * by series, so most need no lookup. Cleared when a transaction begins or rolls
 * back: the id holds only while the transaction that looked it up lasts. */
struct series_memo {
	char *source, *name, *labels; /* NULL: none */
	int64_t id;
};

/* The incident the last event was stored for (sync.c): an upstream's events come
 * incident by incident. Cleared like the series memo. */
struct incident_memo {
	char *source, *source_id; /* NULL: none */
	int64_t id;
};

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmts[STMT_COUNT];
	struct metric_scan *scan; /* the metric scan under way (incidents.c) */
	struct service_cache services;
	int families; /* -1 unknown, 0: no incident has a parent, 1: some do */
	struct series_memo series;
	struct incident_memo incident;
};

void store_service_cache_clear(struct service_cache *cache);
/* Forgets the series and incident memos (sync.c). */
void store_sync_memo_clear(struct store *store);

/* The stored record of incident (source, source_id) handed to cb, or SUCCESS without
 * calling it when there is none (incidents.c). */
enum status_code store_incident_get(struct store *store, const char *source, const char *source_id,
				    store_incident_cb cb, void *ctx);

/* Rewrites the derived metric row of incident id (incidents.c). */
enum status_code store_write_metric_row(struct store *store, int64_t id, int64_t service_id,
					const struct store_incident *in);
/* After incident id was written: links a ticket to the incident it overlaps when
 * asked, and keeps one metric row per family of incidents (families.c). */
enum status_code store_fold_family(struct store *store, int64_t id, int64_t service_id,
				   const struct store_incident *in);

/* Registers the SQL function the metric scan runs on (once per connection). */
enum status_code store_register_scan(struct store *store);

/* The cached statement id (reset and unbound), preparing sql the first time; NULL
 * after setting an error. */
sqlite3_stmt *store_stmt(struct store *store, enum store_stmt id, const char *sql);
/* Translates the connection's last error into a status, with what was being done. */
enum status_code store_error(struct store *store, const char *doing);

/* Binding helpers: NULL text and TIME_NONE bind SQL NULL. */
void store_bind_text(sqlite3_stmt *stmt, int col, const char *text);
/* A copy of a text column (new), or NULL for NULL. */
char *store_column_strdup(sqlite3_stmt *stmt, int col);
/* "%text%" for LIKE ... ESCAPE '\', with LIKE's wildcards in text escaped (new). */
char *store_like_pattern(const char *text);
void store_bind_time(sqlite3_stmt *stmt, int col, int64_t t);
/* Reading helpers: SQL NULL reads as NULL / TIME_NONE. */
int64_t store_column_time(sqlite3_stmt *stmt, int col);
const char *store_column_text(sqlite3_stmt *stmt, int col);

/* An upsert by natural key (source, source_id) as three plain statements sharing
 * one parameter numbering: insert (ON CONFLICT DO NOTHING), update (WHERE the stored
 * row is not newer) and lookup (the id). Not one upsert with RETURNING: SQLite builds
 * a temporary table per RETURNING row, and a bulk import is mostly fresh inserts. */
struct store_upsert {
	enum store_stmt insert, update, lookup;
	const char *insert_sql, *update_sql, *lookup_sql;
	const char *doing;
};

/* Binds a record's parameters to any of the three statements. */
typedef void (*store_bind_fn)(sqlite3_stmt *stmt, const void *record, int64_t service_id);

/* *id: the row written, 0 when the stored row is newer (nothing written); *fresh:
 * it was inserted, so it has no child rows to replace. */
enum status_code store_upsert_row(struct store *store, const struct store_upsert *u,
				  store_bind_fn bind, const void *record, int64_t service_id,
				  int64_t *id, bool *fresh);
/* Appends the commits of deployment id to *commits (sha strings new). */
enum status_code store_read_commits(struct store *store, int64_t id, struct dora_commit **commits,
				    size_t *alloc, size_t *n);

/* ---- the metric row (mxrow.c) ---- */

#define MXROW_MAX 70 /* flags, service, detected_at, seven 8-byte values */

/* Which child rows a metric row has (read from their tables when set). */
struct mxrow_counts {
	bool reopens, extra_services, pauses;
};

/* Packs what the engine reads of in; returns the length written to out. */
size_t mxrow_encode(const struct store_incident *in, int64_t service_id, uint8_t out[MXROW_MAX]);
/* Unpacks a metric row (service, primary, reopens and pauses are left to the caller);
 * false if the blob is damaged. */
bool mxrow_decode(const void *blob, size_t len, struct mx_incident *mx,
		  struct mxrow_counts *counts);
/* The first service of a metric row and whether it names more (no decoding). */
bool mxrow_peek(const void *blob, size_t len, int64_t *service_id, bool *extra_services);
/* first_at and last_at (TIME_NONE: still running) of an incident. */
void mxrow_bounds(const struct store_incident *in, int64_t *first, int64_t *last);

/* Runs a statement that returns no rows. */
enum status_code store_step_done(struct store *store, sqlite3_stmt *stmt, const char *doing);

#endif
