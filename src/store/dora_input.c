/* dora_input.c - loads what the DORA engine needs: every deployment of the selected
 * services with its commits (a commit's first deployment may precede the window, so
 * the window cannot filter here), fixes/rolled_back_by links resolved to array
 * indexes, and the incidents that name a causing deployment. */
#include "sitrep/sitrep.h"
#include "sitrep/store.h"
#include "store-private.h"

#include <strings.h>

struct id_entry {
	const char *source_id;
	long index;
};

static int
id_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct id_entry *)a)->source_id,
		      ((const struct id_entry *)b)->source_id);
}

static long
find_index(const struct id_entry *ids, size_t n, const char *source_id)
{
	struct id_entry key = { source_id, -1 };
	const struct id_entry *hit;

	if (!source_id || n == 0)
		return -1;
	hit = bsearch(&key, ids, n, sizeof(*ids), id_entry_cmp);
	return hit ? hit->index : -1;
}

static bool
is_production(const char *env)
{
	return env && (strcasecmp(env, "production") == 0 || strcasecmp(env, "prod") == 0);
}

static bool
is_success(const char *status)
{
	return status &&
	       (strcasecmp(status, "success") == 0 || strcasecmp(status, "succeeded") == 0 ||
		strcasecmp(status, "successful") == 0);
}

/* Per-deployment text kept while links are resolved. */
struct loaded {
	char *source_id, *fixes, *rolled_back_by;
	size_t first_commit;
};

static enum status_code
load_commits(struct store *store, struct store_dora_input *in, struct loaded *rows,
	     const int64_t *db_ids)
{
	size_t alloc = 0, i;

	for (i = 0; i < in->n_deployments; i++) {
		rows[i].first_commit = in->n_commits;
		if (store_read_commits(store, db_ids[i], &in->commits, &alloc, &in->n_commits) !=
		    SUCCESS)
			return ERROR_CUSTOM_MESSAGE;
		in->deployments[i].n_commits = in->n_commits - rows[i].first_commit;
	}
	/* Pointers only now: the array moved while it grew. */
	for (i = 0; i < in->n_deployments; i++)
		in->deployments[i].commits =
			in->n_commits ? in->commits + rows[i].first_commit : NULL;
	return SUCCESS;
}

static enum status_code
load_deployments(struct store *store, const size_t *service_index, size_t n_index,
		 struct store_dora_input *in, struct loaded **rows_out, int64_t **ids_out)
{
	sqlite3_stmt *stmt;
	struct loaded *rows = NULL;
	int64_t *ids = NULL;
	size_t alloc = 0, rows_alloc = 0, ids_alloc = 0;
	int rc;

	if (sqlite3_prepare_v2(store->db,
			       "SELECT id, service_id, environment, status, kind, finished_at, "
			       "source_id, fixes, "
			       "rolled_back_by FROM deployments ORDER BY id",
			       -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "reading deployments");
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		int64_t service_id = sqlite3_column_int64(stmt, 1);
		struct dora_deployment *d;
		size_t n = in->n_deployments;

		if (service_id < 0 || (uint64_t)service_id >= n_index ||
		    service_index[service_id] == SIZE_MAX)
			continue;
		in->deployments = xgrow(in->deployments, &alloc, n + 1, sizeof(*in->deployments));
		rows = xgrow(rows, &rows_alloc, n + 1, sizeof(*rows));
		ids = xgrow(ids, &ids_alloc, n + 1, sizeof(*ids));
		d = &in->deployments[n];
		memset(d, 0, sizeof(*d));
		ids[n] = sqlite3_column_int64(stmt, 0);
		d->service = service_index[service_id];
		d->production = is_production(store_column_text(stmt, 2));
		d->success = is_success(store_column_text(stmt, 3));
		d->kind = (enum dora_kind)sqlite3_column_int(stmt, 4);
		d->finished_at = store_column_time(stmt, 5);
		rows[n].source_id = xstrdup(store_column_text(stmt, 6));
		rows[n].fixes =
			store_column_text(stmt, 7) ? xstrdup(store_column_text(stmt, 7)) : NULL;
		rows[n].rolled_back_by =
			store_column_text(stmt, 8) ? xstrdup(store_column_text(stmt, 8)) : NULL;
		in->n_deployments++;
	}
	sqlite3_finalize(stmt);
	*rows_out = rows;
	*ids_out = ids;
	return rc == SQLITE_DONE ? SUCCESS : store_error(store, "reading deployments");
}

static enum status_code
load_incidents(struct store *store, struct store_dora_input *in, const struct id_entry *ids,
	       size_t n_ids)
{
	sqlite3_stmt *stmt;
	size_t alloc = 0;
	int rc;

	if (sqlite3_prepare_v2(
		    store->db,
		    "SELECT caused_by, impact_start, detected_at, acknowledged_at, contained_at, "
		    "resolved_at FROM incidents WHERE caused_by IS NOT NULL AND impact != 2 /* "
		    "planned */",
		    -1, &stmt, NULL) != SQLITE_OK)
		return store_error(store, "reading incidents");
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		long index = find_index(ids, n_ids, store_column_text(stmt, 0));
		struct mx_incident mx = { 0 };

		if (index < 0)
			continue;
		mx.impact_start = store_column_time(stmt, 1);
		mx.detected_at = store_column_time(stmt, 2);
		mx.acknowledged_at = store_column_time(stmt, 3);
		mx.contained_at = store_column_time(stmt, 4);
		mx.resolved_at = store_column_time(stmt, 5);
		mx_normalize(&mx);
		in->incidents =
			xgrow(in->incidents, &alloc, in->n_incidents + 1, sizeof(*in->incidents));
		in->incidents[in->n_incidents].deployment = (size_t)index;
		in->incidents[in->n_incidents].impact_start = mx.impact_start;
		in->incidents[in->n_incidents].resolved_at = mx.resolved_at;
		in->n_incidents++;
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? SUCCESS : store_error(store, "reading incidents");
}

enum status_code
store_load_dora(struct store *store, const size_t *service_index, size_t n_index,
		struct store_dora_input *in)
{
	struct loaded *rows = NULL;
	struct id_entry *ids = NULL;
	int64_t *db_ids = NULL;
	enum status_code code;
	size_t i;

	memset(in, 0, sizeof(*in));
	code = load_deployments(store, service_index, n_index, in, &rows, &db_ids);
	if (code != SUCCESS)
		goto out;
	if ((code = load_commits(store, in, rows, db_ids)) != SUCCESS)
		goto out;
	ids = xcalloc(in->n_deployments + 1, sizeof(*ids));
	for (i = 0; i < in->n_deployments; i++)
		ids[i] = (struct id_entry){ rows[i].source_id, (long)i };
	qsort(ids, in->n_deployments, sizeof(*ids), id_entry_cmp);
	for (i = 0; i < in->n_deployments; i++) {
		in->deployments[i].fixes = find_index(ids, in->n_deployments, rows[i].fixes);
		in->deployments[i].rolled_back_by =
			find_index(ids, in->n_deployments, rows[i].rolled_back_by);
	}
	code = load_incidents(store, in, ids, in->n_deployments);
out:
	for (i = 0; rows && i < in->n_deployments; i++) {
		free(rows[i].source_id);
		free(rows[i].fixes);
		free(rows[i].rolled_back_by);
	}
	free(rows);
	free(ids);
	free(db_ids);
	if (code != SUCCESS)
		store_dora_input_release(in);
	return code;
}

void
store_dora_input_release(struct store_dora_input *in)
{
	size_t i;

	for (i = 0; i < in->n_commits; i++)
		free((char *)(uintptr_t)in->commits[i].sha);
	free(in->commits);
	free(in->deployments);
	free(in->incidents);
	memset(in, 0, sizeof(*in));
}
