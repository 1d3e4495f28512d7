/* db.c - opening the cache: path lookup, pragmas, the schema migration by
 * PRAGMA user_version, transactions, settings and the prepared-statement cache.
 *
 * A database whose user_version is newer than this binary's schema is refused before
 * anything is written to it: an older sitrep must never damage a newer cache. */
#include "sitrep/sitrep.h"
#include "sitrep/store.h"
#include "store-private.h"

#include <errno.h>
#include <sys/stat.h>
#include <time.h>

extern const char store_schema_sql[];

#define VERSION_MARKER "\n-- version "

char *
store_default_path(const char *explicit_path)
{
	const char *env = getenv("SITREP_DB");
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");

	if (explicit_path && *explicit_path)
		return xstrdup(explicit_path);
	if (env && *env)
		return xstrdup(env);
	if (state && *state)
		return xasprintf("%s/sitrep/sitrep.db", state);
	return xasprintf("%s/.local/state/sitrep/sitrep.db", home && *home ? home : ".");
}

/* The highest "-- version N" marker in the compiled-in schema. */
int
store_schema_version(void)
{
	const char *p = store_schema_sql;
	int version = 0;

	while ((p = strstr(p, VERSION_MARKER))) {
		p += strlen(VERSION_MARKER);
		version = (int)strtol(p, NULL, 10);
	}
	return version;
}

/* Creates the directories above path (mkdir -p of its dirname), mode 0700: the cache
 * holds incident text that is not for other users of a shared bastion. */
static enum status_code
make_parent_dirs(const char *path)
{
	char *dir = xstrdup(path);
	enum status_code code = SUCCESS;
	char *p;

	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			code = error("cannot create %s: %s", dir, strerror(errno));
			break;
		}
		*p = '/';
	}
	free(dir);
	return code;
}

const char *
store_path(const struct store *store)
{
	return store->path;
}

enum status_code
store_error(struct store *store, const char *doing)
{
	return error("%s: %s: %s", store->path, doing, sqlite3_errmsg(store->db));
}

sqlite3_stmt *
store_stmt(struct store *store, enum store_stmt id, const char *sql)
{
	sqlite3_stmt *stmt = store->stmts[id];

	if (stmt) {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
		return stmt;
	}
	if (sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) !=
	    SQLITE_OK) {
		store_error(store, "preparing a statement");
		return NULL;
	}
	store->stmts[id] = stmt;
	return stmt;
}

void
store_bind_text(sqlite3_stmt *stmt, int col, const char *text)
{
	/* Static: every caller steps the statement while its strings are alive, and a
	 * copy of every text of a million-record import is measurable. */
	if (text)
		sqlite3_bind_text(stmt, col, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(stmt, col);
}

void
store_bind_time(sqlite3_stmt *stmt, int col, int64_t t)
{
	if (t == TIME_NONE)
		sqlite3_bind_null(stmt, col);
	else
		sqlite3_bind_int64(stmt, col, t);
}

char *
store_column_strdup(sqlite3_stmt *stmt, int col)
{
	const char *t = store_column_text(stmt, col);

	return t ? xstrdup(t) : NULL;
}

char *
store_like_pattern(const char *text)
{
	struct buf b;

	buf_init(&b, 0);
	buf_addch(&b, '%');
	for (const char *p = text; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			buf_addch(&b, '\\');
		buf_addch(&b, *p);
	}
	buf_addch(&b, '%');
	return buf_detach(&b);
}

int64_t
store_column_time(sqlite3_stmt *stmt, int col)
{
	if (sqlite3_column_type(stmt, col) == SQLITE_NULL)
		return TIME_NONE;
	return sqlite3_column_int64(stmt, col);
}

const char *
store_column_text(sqlite3_stmt *stmt, int col)
{
	return (const char *)sqlite3_column_text(stmt, col);
}

enum status_code
store_step_done(struct store *store, sqlite3_stmt *stmt, const char *doing)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_error(store, doing);
	return SUCCESS;
}

enum status_code
store_upsert_row(struct store *store, const struct store_upsert *u, store_bind_fn bind,
		 const void *record, int64_t service_id, int64_t *id, bool *fresh)
{
	sqlite3_stmt *stmt;
	int rc;

	*id = 0;
	*fresh = false;
	if (!(stmt = store_stmt(store, u->insert, u->insert_sql)))
		return ERROR_CUSTOM_MESSAGE;
	bind(stmt, record, service_id);
	if (store_step_done(store, stmt, u->doing) != SUCCESS)
		return ERROR_CUSTOM_MESSAGE;
	if (sqlite3_changes(store->db) == 1) {
		*id = sqlite3_last_insert_rowid(store->db);
		*fresh = true;
		return SUCCESS;
	}
	if (!(stmt = store_stmt(store, u->update, u->update_sql)))
		return ERROR_CUSTOM_MESSAGE;
	bind(stmt, record, service_id);
	if (store_step_done(store, stmt, u->doing) != SUCCESS)
		return ERROR_CUSTOM_MESSAGE;
	if (sqlite3_changes(store->db) == 0)
		return SUCCESS; /* the stored row is newer */
	if (!(stmt = store_stmt(store, u->lookup, u->lookup_sql)))
		return ERROR_CUSTOM_MESSAGE;
	bind(stmt, record, service_id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW ? SUCCESS : store_error(store, u->doing);
}

static enum status_code
exec(struct store *store, const char *sql, const char *doing)
{
	char *msg = NULL;
	enum status_code code = SUCCESS;

	if (sqlite3_exec(store->db, sql, NULL, NULL, &msg) != SQLITE_OK)
		code = error("%s: %s: %s", store->path, doing,
			     msg ? msg : sqlite3_errmsg(store->db));
	sqlite3_free(msg);
	return code;
}

static int
read_user_version(struct store *store)
{
	sqlite3_stmt *stmt;
	int version = -1;

	if (sqlite3_prepare_v2(store->db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return version;
}

/* Runs the schema steps after from, each up to its own version, in one transaction:
 * a migration either completes or leaves the cache as it was. */
static enum status_code
migrate(struct store *store, int from, int to)
{
	const char *p = store_schema_sql;
	enum status_code code;
	char pragma[64];

	code = exec(store, "BEGIN IMMEDIATE", "starting the migration");
	if (code != SUCCESS)
		return code;
	/* Another process (a sync daemon starting beside a report) may have migrated
	 * between our first look and our write lock: look again under the lock. */
	from = read_user_version(store);
	if (from >= to)
		return exec(store, "COMMIT", "finishing the migration");
	for (; (p = strstr(p, VERSION_MARKER)); p++) {
		int version = (int)strtol(p + strlen(VERSION_MARKER), NULL, 10);
		const char *end = strstr(p + 1, VERSION_MARKER);
		char *step;

		if (version <= from)
			continue;
		step = end ? xstrndup(p, (size_t)(end - p)) : xstrdup(p);
		code = exec(store, step, "migrating the schema");
		free(step);
		if (code != SUCCESS)
			goto fail;
	}
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", to);
	code = exec(store, pragma, "recording the schema version");
	if (code != SUCCESS)
		goto fail;
	return exec(store, "COMMIT", "finishing the migration");
fail:
	exec(store, "ROLLBACK", "rolling back the migration");
	return code;
}

static bool
journal_is_wal(struct store *store)
{
	sqlite3_stmt *stmt;
	bool wal = false;

	if (sqlite3_prepare_v2(store->db, "PRAGMA journal_mode", -1, &stmt, NULL) != SQLITE_OK)
		return false;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		wal = streq(store_column_text(stmt, 0), "wal");
	sqlite3_finalize(stmt);
	return wal;
}

/* Switching to WAL needs the database to itself, and SQLite does not wait for that
 * (no busy handler): two processes opening a new cache at once retry for as long as
 * the busy timeout, and stop as soon as either has switched it. */
static enum status_code
enable_wal(struct store *store)
{
	enum status_code code = SUCCESS;

	for (int attempt = 0; attempt < 50 && !journal_is_wal(store); attempt++) {
		struct timespec ts = { 0, 100 * 1000000L };

		code = exec(store, "PRAGMA journal_mode = WAL", "enabling write-ahead logging");
		if (code == SUCCESS)
			return SUCCESS;
		nanosleep(&ts, NULL);
	}
	return journal_is_wal(store) ? SUCCESS : code;
}

static enum status_code
configure(struct store *store, bool readonly)
{
	enum status_code code;
	int version, want = store_schema_version();

	sqlite3_busy_timeout(store->db, 5000);
	code = exec(store, "PRAGMA foreign_keys = ON", "enabling foreign keys");
	if (code != SUCCESS)
		return code;
	version = read_user_version(store);
	if (version < 0)
		return store_error(store, "reading the schema version");
	if (version > want)
		return error("%s: the cache has schema version %d, newer than this sitrep "
			     "knows (%d); upgrade sitrep or use another --db",
			     store->path, version, want);
	/* Setting the journal mode takes an exclusive lock even when it is already WAL,
	 * which fails while a sync daemon writes: set it only on a new cache. */
	if (!readonly && (code = enable_wal(store)) != SUCCESS)
		return code;
	if (!readonly &&
	    (code = exec(store, "PRAGMA synchronous = NORMAL", "setting the sync mode")) != SUCCESS)
		return code;
	if (version < want) {
		if (readonly)
			return error("%s: the cache has schema version %d; run a sync or import "
				     "to upgrade it to %d",
				     store->path, version, want);
		return migrate(store, version, want);
	}
	return SUCCESS;
}

enum status_code
store_open(struct store **out, const char *path, unsigned flags)
{
	struct store *store = xcalloc(1, sizeof(*store));
	bool readonly = flags & STORE_READONLY;
	int open_flags =
		readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	enum status_code code;

	store->families = -1;

	store->path = xstrdup(path);
	*out = NULL;
	if (!readonly && (code = make_parent_dirs(path)) != SUCCESS)
		goto fail;
	if (sqlite3_open_v2(path, &store->db, open_flags | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		code = error("cannot open the cache %s: %s", path,
			     store->db ? sqlite3_errmsg(store->db) : "out of memory");
		goto fail;
	}
	code = configure(store, readonly);
	if (code == SUCCESS)
		code = store_register_scan(store);
	if (code != SUCCESS)
		goto fail;
	*out = store;
	return SUCCESS;
fail:
	store_close(&store);
	return code;
}

void
store_close(struct store **storep)
{
	struct store *store = *storep;
	size_t i;

	if (!store)
		return;
	for (i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(store->stmts[i]);
	store_service_cache_clear(&store->services);
	store_sync_memo_clear(store);
	sqlite3_close(store->db);
	free(store->path);
	free(store);
	*storep = NULL;
}

enum status_code
store_check(struct store *store, char **problem, int64_t *incidents)
{
	sqlite3_stmt *stmt;
	struct buf b;
	int rc;

	*problem = NULL;
	*incidents = 0;
	if (sqlite3_prepare_v2(store->db, "PRAGMA integrity_check(8)", -1, &stmt, NULL) !=
	    SQLITE_OK)
		return store_error(store, "checking the cache");
	buf_init(&b, 0);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *line = store_column_text(stmt, 0);

		if (line && !streq(line, "ok"))
			buf_printf(&b, "%s%s", b.len ? "; " : "", line);
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		buf_release(&b);
		return store_error(store, "checking the cache");
	}
	if (b.len)
		*problem = buf_detach(&b);
	buf_release(&b);
	if (sqlite3_prepare_v2(store->db, "SELECT count(*) FROM incidents", -1, &stmt, NULL) !=
	    SQLITE_OK)
		return store_error(store, "counting incidents");
	if (sqlite3_step(stmt) == SQLITE_ROW)
		*incidents = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return SUCCESS;
}

enum status_code
store_begin(struct store *store)
{
	sqlite3_stmt *stmt = store_stmt(store, STMT_BEGIN, "BEGIN IMMEDIATE");

	/* Another connection may have deleted what the memos name since our last
	 * transaction: they hold only within one. */
	store_sync_memo_clear(store);
	return stmt ? store_step_done(store, stmt, "starting a transaction") : ERROR_CUSTOM_MESSAGE;
}

enum status_code
store_commit(struct store *store)
{
	sqlite3_stmt *stmt = store_stmt(store, STMT_COMMIT, "COMMIT");

	return stmt ? store_step_done(store, stmt, "committing") : ERROR_CUSTOM_MESSAGE;
}

void
store_rollback(struct store *store)
{
	sqlite3_stmt *stmt;

	/* Services, series and incidents created in the transaction are gone, and so
	 * must their ids be. */
	store_service_cache_clear(&store->services);
	store_sync_memo_clear(store);
	if (sqlite3_get_autocommit(store->db))
		return;
	stmt = store_stmt(store, STMT_ROLLBACK, "ROLLBACK");
	if (stmt)
		store_step_done(store, stmt, "rolling back");
}

void
store_prepare_bulk(struct store *store)
{
	/* 64 MB of page cache for this connection: a bulk upsert touches the unique
	 * index at random, and evicting its pages is what makes large imports slow. */
	exec(store, "PRAGMA cache_size = -65536", "sizing the page cache");
}

/* WAL pages between two checkpoints of a sync connection (4 KiB each: 64 MB). */
#define SYNC_CHECKPOINT_PAGES 16384

void
store_prepare_sync(struct store *store)
{
	char sql[96];

	/* 32 MB of page cache: the hot part of the indexes a sync's upserts probe at
	 * random (about 17 MB for 100,000 incidents). 64 MB, as an import has, was no
	 * faster and kept 35 MB more resident. */
	exec(store, "PRAGMA cache_size = -32768", "sizing the page cache");
	/* A sync commits each page with its cursor, a few hundred kB of WAL a page
	 * (the upserts land at random in the (source, source_id) index). At SQLite's
	 * default of 1,000 WAL pages that is a checkpoint, with two fsyncs, every few
	 * pages, and a first sync spent half its time waiting for the disk. A commit
	 * does not wait for the disk (synchronous = NORMAL): a kill -9 loses nothing
	 * either way, and a power loss before the round's checkpoint takes the pages
	 * and their cursors back together, so the next round fetches them again. */
	snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint = %d", SYNC_CHECKPOINT_PAGES);
	exec(store, sql, "setting the checkpoint interval");
	/* The WAL file is reused after a checkpoint; one grown past this while a reader
	 * held back the checkpoint is cut back to it. */
	snprintf(sql, sizeof(sql), "PRAGMA journal_size_limit = %d", SYNC_CHECKPOINT_PAGES * 4096);
	exec(store, sql, "limiting the write-ahead log");
}

void
store_checkpoint(struct store *store)
{
	/* PASSIVE: never waits for the console's readers; what they still hold is
	 * copied by the next checkpoint. */
	exec(store, "PRAGMA wal_checkpoint(PASSIVE)", "checkpointing the write-ahead log");
}

void
store_library_init(void)
{
	/* SQLite's allocation statistics take a global mutex on every malloc and free,
	 * a few percent of a sync; sitrep never reads them. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

void
store_prepare_console(struct store *store)
{
	/* The console's reads are index seeks and short ranges, and a reload finds the
	 * file in the OS's page cache: 512 KiB instead of SQLite's default 2 MB, which
	 * the overview filled and which was an eighth of the console's memory. */
	exec(store, "PRAGMA cache_size = -512", "sizing the page cache");
}

enum status_code
store_set_setting(struct store *store, const char *key, const char *value)
{
	sqlite3_stmt *stmt = store_stmt(store, STMT_SET_SETTING,
					"INSERT INTO settings(key, value) VALUES (?, ?) "
					"ON CONFLICT(key) DO UPDATE SET value = excluded.value");

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	store_bind_text(stmt, 1, key);
	store_bind_text(stmt, 2, value);
	return store_step_done(store, stmt, "saving a setting");
}

enum status_code
store_get_setting(struct store *store, const char *key, char **value)
{
	sqlite3_stmt *stmt =
		store_stmt(store, STMT_GET_SETTING, "SELECT value FROM settings WHERE key = ?");
	int rc;

	*value = NULL;
	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	store_bind_text(stmt, 1, key);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*value = xstrdup(store_column_text(stmt, 0));
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_error(store, "reading a setting");
	return SUCCESS;
}
