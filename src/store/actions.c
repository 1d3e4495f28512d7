/* actions.c - the audit log (table actions) and named locks (table locks).
 *
 * Both are written by what a person does (a rollback), never by a sync, so a sync
 * neither deletes nor rewrites them. The statements run rarely: they are prepared
 * per call, not cached. */
#include "sitrep/sitrep.h"
#include "sitrep/store.h"
#include "store-private.h"

static enum status_code
prepare(struct store *store, const char *sql, const char *doing, sqlite3_stmt **stmt)
{
	if (sqlite3_prepare_v2(store->db, sql, -1, stmt, NULL) != SQLITE_OK)
		return store_error(store, doing);
	return SUCCESS;
}

/* Runs stmt (finalized here) to its end. */
static enum status_code
run_once(struct store *store, sqlite3_stmt *stmt, const char *doing)
{
	int rc = sqlite3_step(stmt);

	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_error(store, doing);
	return SUCCESS;
}

enum status_code
store_add_action(struct store *store, const struct store_action *a)
{
	static const char doing[] = "writing the audit log";
	sqlite3_stmt *stmt;
	enum status_code code;

	code = prepare(store,
		       "INSERT INTO actions(at, actor, kind, target, detail, result, host) "
		       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		       doing, &stmt);
	if (code != SUCCESS)
		return code;
	sqlite3_bind_int64(stmt, 1, a->at);
	store_bind_text(stmt, 2, a->actor);
	store_bind_text(stmt, 3, a->kind);
	store_bind_text(stmt, 4, a->target);
	store_bind_text(stmt, 5, a->detail);
	store_bind_text(stmt, 6, a->result);
	store_bind_text(stmt, 7, a->host);
	return run_once(store, stmt, doing);
}

enum status_code
store_each_action(struct store *store, const struct store_filter *filter, store_action_cb cb,
		  void *ctx)
{
	enum status_code code = SUCCESS;
	sqlite3_stmt *stmt;
	int rc;

	code = prepare(store,
		       "SELECT at, actor, kind, target, detail, result, host FROM actions "
		       "WHERE ?1 IS NULL OR at >= ?1 ORDER BY at, id",
		       "reading the audit log", &stmt);
	if (code != SUCCESS)
		return code;
	store_bind_time(stmt, 1, filter ? filter->since : TIME_NONE);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_action a = {
			.at = sqlite3_column_int64(stmt, 0),
			.actor = store_column_text(stmt, 1),
			.kind = store_column_text(stmt, 2),
			.target = store_column_text(stmt, 3),
			.detail = store_column_text(stmt, 4),
			.result = store_column_text(stmt, 5),
			.host = store_column_text(stmt, 6),
		};

		if ((code = cb(ctx, &a)) != SUCCESS)
			break;
	}
	if (code == SUCCESS && rc != SQLITE_DONE)
		code = store_error(store, "reading the audit log");
	sqlite3_finalize(stmt);
	return code;
}

enum status_code
store_action_outcome(struct store *store, const char *actor, const char *kind, const char *target,
		     const char *detail_prefix, char **result)
{
	sqlite3_stmt *stmt;
	enum status_code code;
	int rc;

	*result = NULL;
	/* the newest row of actor on target from the first one with the prefix on */
	code = prepare(store,
		       "SELECT result FROM actions WHERE actor = ?1 AND kind = ?2 AND target = ?3 "
		       "AND id >= (SELECT min(id) FROM actions WHERE actor = ?1 AND kind = ?2 "
		       "AND target = ?3 AND substr(detail, 1, length(?4)) = ?4) "
		       "ORDER BY id DESC LIMIT 1",
		       "reading the audit log", &stmt);
	if (code != SUCCESS)
		return code;
	store_bind_text(stmt, 1, actor);
	store_bind_text(stmt, 2, kind);
	store_bind_text(stmt, 3, target);
	store_bind_text(stmt, 4, detail_prefix);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*result = store_column_strdup(stmt, 0);
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SUCCESS
						     : store_error(store, "reading the audit log");
}

void
store_lock_release(struct store_lock *lock)
{
	free(lock->name);
	free(lock->holder);
	free(lock->host);
	memset(lock, 0, sizeof(*lock));
}

/* The holder of name into *held, or *found false. */
static enum status_code
lock_read(struct store *store, const char *name, struct store_lock *held, bool *found)
{
	sqlite3_stmt *stmt;
	enum status_code code;
	int rc;

	*found = false;
	code = prepare(store, "SELECT holder, host, pid, since FROM locks WHERE name = ?1",
		       "reading a lock", &stmt);
	if (code != SUCCESS)
		return code;
	store_bind_text(stmt, 1, name);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*found = true;
		held->name = xstrdup(name);
		held->holder = store_column_strdup(stmt, 0);
		held->host = store_column_strdup(stmt, 1);
		held->pid = sqlite3_column_int64(stmt, 2);
		held->since = sqlite3_column_int64(stmt, 3);
	} else if (rc != SQLITE_DONE) {
		code = store_error(store, "reading a lock");
	}
	sqlite3_finalize(stmt);
	return code;
}

static enum status_code
lock_delete(struct store *store, const struct store_lock *l)
{
	sqlite3_stmt *stmt;
	enum status_code code;

	code = prepare(store, "DELETE FROM locks WHERE name = ?1 AND host = ?2 AND pid = ?3",
		       "dropping a lock", &stmt);
	if (code != SUCCESS)
		return code;
	store_bind_text(stmt, 1, l->name);
	store_bind_text(stmt, 2, l->host);
	sqlite3_bind_int64(stmt, 3, l->pid);
	return run_once(store, stmt, "dropping a lock");
}

/* Inserts want unless the name is taken; *taken says whether it was inserted. */
static enum status_code
lock_insert(struct store *store, const struct store_lock *want, bool *taken)
{
	sqlite3_stmt *stmt;
	enum status_code code;

	code = prepare(store,
		       "INSERT INTO locks(name, holder, host, pid, since) "
		       "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(name) DO NOTHING",
		       "taking a lock", &stmt);
	if (code != SUCCESS)
		return code;
	store_bind_text(stmt, 1, want->name);
	store_bind_text(stmt, 2, want->holder);
	store_bind_text(stmt, 3, want->host);
	sqlite3_bind_int64(stmt, 4, want->pid);
	sqlite3_bind_int64(stmt, 5, want->since);
	code = run_once(store, stmt, "taking a lock");
	*taken = code == SUCCESS && sqlite3_changes(store->db) == 1;
	return code;
}

enum status_code
store_lock_take(struct store *store, const struct store_lock *want,
		bool (*stale)(const struct store_lock *held, void *ctx), void *ctx, bool *taken,
		struct store_lock *held)
{
	enum status_code code;
	bool found = false;

	*taken = false;
	memset(held, 0, sizeof(*held));
	/* BEGIN IMMEDIATE: the check and the takeover are one step for every process. */
	if ((code = store_begin(store)) != SUCCESS)
		return code;
	if ((code = lock_insert(store, want, taken)) != SUCCESS || *taken)
		goto out;
	if ((code = lock_read(store, want->name, held, &found)) != SUCCESS || !found)
		goto out;
	if (streq(held->host, want->host) && stale && stale(held, ctx)) {
		if ((code = lock_delete(store, held)) != SUCCESS ||
		    (code = lock_insert(store, want, taken)) != SUCCESS)
			goto out;
		store_lock_release(held);
	}
out:
	if (code != SUCCESS) {
		store_rollback(store);
		store_lock_release(held);
		*taken = false;
		return code;
	}
	return store_commit(store);
}

enum status_code
store_lock_drop(struct store *store, const struct store_lock *mine)
{
	return lock_delete(store, mine);
}

/* The rows starting with prefix: substr, not LIKE or GLOB, so that no character of
 * the prefix is a pattern. */
#define NAMED "substr(name, 1, length(?1)) = ?1"

enum status_code
store_lock_replace(struct store *store, const char *prefix, const struct store_lock *lock)
{
	sqlite3_stmt *stmt;
	enum status_code code;
	bool taken;

	if ((code = store_begin(store)) != SUCCESS)
		return code;
	code = prepare(store, "DELETE FROM locks WHERE " NAMED, "replacing a presence", &stmt);
	if (code == SUCCESS) {
		store_bind_text(stmt, 1, prefix);
		code = run_once(store, stmt, "replacing a presence");
	}
	if (code == SUCCESS && lock)
		code = lock_insert(store, lock, &taken);
	if (code != SUCCESS) {
		store_rollback(store);
		return code;
	}
	return store_commit(store);
}

enum status_code
store_locks_named(struct store *store, const char *prefix, int64_t since, struct store_lock **rows,
		  size_t *n)
{
	sqlite3_stmt *stmt;
	enum status_code code;
	size_t alloc = 0;
	int rc;

	*rows = NULL;
	*n = 0;
	code = prepare(store,
		       "SELECT name, holder, host, pid, since FROM locks WHERE " NAMED
		       " AND since >= ?2 ORDER BY name",
		       "reading the presence", &stmt);
	if (code != SUCCESS)
		return code;
	store_bind_text(stmt, 1, prefix);
	sqlite3_bind_int64(stmt, 2, since);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_lock *l;

		*rows = xgrow(*rows, &alloc, *n + 1, sizeof(**rows));
		l = &(*rows)[(*n)++];
		l->name = store_column_strdup(stmt, 0);
		l->holder = store_column_strdup(stmt, 1);
		l->host = store_column_strdup(stmt, 2);
		l->pid = sqlite3_column_int64(stmt, 3);
		l->since = sqlite3_column_int64(stmt, 4);
	}
	if (rc != SQLITE_DONE)
		code = store_error(store, "reading the presence");
	sqlite3_finalize(stmt);
	return code;
}

void
store_locks_free(struct store_lock *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_lock_release(&rows[i]);
	free(rows);
}

enum status_code
store_add_event_caused_by(struct store *store, const char *source_id, int64_t at, const char *kind,
			  const char *actor, const char *text, const char *event_id, size_t *n)
{
	enum status_code code;
	sqlite3_stmt *stmt;
	int64_t *ids = NULL;
	size_t count = 0, alloc = 0, i;
	int rc;

	*n = 0;
	code = prepare(store, "SELECT id FROM incidents WHERE caused_by = ?1 ORDER BY id",
		       "finding the incidents a deployment caused", &stmt);
	if (code != SUCCESS)
		return code;
	store_bind_text(stmt, 1, source_id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		ids = xgrow(ids, &alloc, count + 1, sizeof(*ids));
		ids[count++] = sqlite3_column_int64(stmt, 0);
	}
	if (rc != SQLITE_DONE)
		code = store_error(store, "finding the incidents a deployment caused");
	sqlite3_finalize(stmt);
	for (i = 0; code == SUCCESS && i < count; i++)
		code = store_add_event_to(store, ids[i], at, kind, actor, text, event_id);
	if (code == SUCCESS)
		*n = count;
	free(ids);
	return code;
}
