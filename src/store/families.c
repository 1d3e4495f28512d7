/* families.c - records that are one incident: a ticket and the alert it names, or a
 * duplicate merged upstream. A child names its parent by (source, source id) and
 * the metrics count the family once (SPEC §3.1): its metric row holds the earliest
 * impact start, detection, acknowledgement and containment of its members and the
 * latest resolution (open while any member is open), and the members' own rows go.
 *
 * The family's row belongs to its owner: the parent, unless only a child carries
 * an SLA (a ticket under an alert), because the scan reads the owner's SLA pauses,
 * reopens and extra services by its id. A child whose parent has not arrived yet
 * counts alone until the parent is written.
 *
 * A ticket without an explicit link may ask to be linked by overlap: to the
 * monitoring incident of the same service that was open within OVERLAP_SLACK of
 * the moment the ticket was opened, the nearest one if several were. */
#include "sitrep/sitrep.h"
#include "sitrep/store.h"
#include "store-private.h"

#define OVERLAP_SLACK (30 * 60)

static int64_t
earliest(int64_t a, int64_t b)
{
	if (a == TIME_NONE)
		return b;
	if (b == TIME_NONE)
		return a;
	return a < b ? a : b;
}

/* Whether any incident names a parent; remembered per connection. */
static enum status_code
any_families(struct store *store, bool *any)
{
	sqlite3_stmt *stmt;

	if (store->families < 0) {
		if (sqlite3_prepare_v2(store->db,
				       "SELECT EXISTS (SELECT 1 FROM incidents "
				       "WHERE parent_id IS NOT NULL)",
				       -1, &stmt, NULL) != SQLITE_OK)
			return store_error(store, "looking for incident families");
		store->families = sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_int(stmt, 0);
		sqlite3_finalize(stmt);
	}
	*any = store->families > 0;
	return SUCCESS;
}

/* The monitoring incident a ticket overlaps, into *source and *source_id (new), or
 * nothing. */
static enum status_code
find_overlap(struct store *store, int64_t id, int64_t service_id, const struct store_incident *in,
	     char **source, char **source_id)
{
	sqlite3_stmt *stmt = store_stmt(
		store, STMT_FAMILY_OVERLAP,
		"SELECT source, source_id FROM incidents WHERE service_id = ?1 AND ticket = 0 "
		"AND id != ?2 AND parent_id IS NULL AND detected_at <= ?3 + ?4 "
		"AND (resolved_at IS NULL OR resolved_at >= ?3 - ?4) "
		"ORDER BY abs(detected_at - ?3), id LIMIT 1");
	int rc;

	*source = *source_id = NULL;
	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	sqlite3_bind_int64(stmt, 1, service_id);
	sqlite3_bind_int64(stmt, 2, id);
	sqlite3_bind_int64(stmt, 3, in->detected_at);
	sqlite3_bind_int64(stmt, 4, OVERLAP_SLACK);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*source = xstrdup(store_column_text(stmt, 0));
		*source_id = xstrdup(store_column_text(stmt, 1));
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SUCCESS
						     : store_error(store, "linking a ticket");
}

static enum status_code
set_parent(struct store *store, int64_t id, const char *source, const char *source_id)
{
	sqlite3_stmt *stmt = store_stmt(store, STMT_FAMILY_SET_PARENT,
					"UPDATE incidents SET parent_source = ?2, parent_id = ?3, "
					"link = 'overlap' WHERE id = ?1");

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	sqlite3_bind_int64(stmt, 1, id);
	store_bind_text(stmt, 2, source);
	store_bind_text(stmt, 3, source_id);
	return store_step_done(store, stmt, "linking a ticket");
}

/* The row of (source, source_id): its id and its own parent (new strings). */
static enum status_code
lookup(struct store *store, const char *source, const char *source_id, int64_t *id,
       char **parent_source, char **parent_id)
{
	sqlite3_stmt *stmt = store_stmt(store, STMT_FAMILY_PARENT,
					"SELECT id, parent_source, parent_id FROM incidents "
					"WHERE source = ? AND source_id = ?");
	int rc;

	*id = 0;
	*parent_source = *parent_id = NULL;
	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	store_bind_text(stmt, 1, source);
	store_bind_text(stmt, 2, source_id);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(stmt, 0);
		if (sqlite3_column_type(stmt, 2) != SQLITE_NULL) {
			*parent_source = xstrdup(store_column_text(stmt, 1));
			*parent_id = xstrdup(store_column_text(stmt, 2));
		}
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
		       ? SUCCESS
		       : store_error(store, "reading an incident family");
}

struct family {
	int64_t root_service;
	int64_t impact_start, detected_at, acknowledged_at, contained_at, resolved_at;
	bool open;
	int64_t owner;
	char *owner_source, *owner_id;
	int64_t *members;
	size_t n_members;
};

/* Reads the members of the family rooted at root (the root first) and merges
 * their milestones. */
static enum status_code
read_members(struct store *store, int64_t root, const char *source, const char *source_id,
	     struct family *f)
{
	sqlite3_stmt *stmt = store_stmt(
		store, STMT_FAMILY_MEMBERS,
		"SELECT id, source, source_id, service_id, impact_start, detected_at, "
		"acknowledged_at, contained_at, resolved_at, sla_target IS NOT NULL FROM incidents "
		"WHERE id = ?1 OR (parent_source = ?2 AND parent_id = ?3) ORDER BY id != ?1, id");
	bool owner_has_sla = false;
	int rc;

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	sqlite3_bind_int64(stmt, 1, root);
	store_bind_text(stmt, 2, source);
	store_bind_text(stmt, 3, source_id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(stmt, 0);
		int64_t resolved = store_column_time(stmt, 8);
		bool has_sla = sqlite3_column_int(stmt, 9) != 0;

		f->members = xrealloc(f->members, (f->n_members + 1) * sizeof(*f->members));
		f->members[f->n_members] = id;
		if (f->n_members++ == 0) {
			f->root_service = sqlite3_column_int64(stmt, 3);
			f->impact_start = f->detected_at = f->acknowledged_at = TIME_NONE;
			f->contained_at = f->resolved_at = TIME_NONE;
		}
		if (!f->owner || (has_sla && !owner_has_sla)) {
			f->owner = id;
			owner_has_sla = has_sla;
			free(f->owner_source);
			free(f->owner_id);
			f->owner_source = xstrdup(store_column_text(stmt, 1));
			f->owner_id = xstrdup(store_column_text(stmt, 2));
		}
		f->impact_start = earliest(f->impact_start, store_column_time(stmt, 4));
		f->detected_at = earliest(f->detected_at, store_column_time(stmt, 5));
		f->acknowledged_at = earliest(f->acknowledged_at, store_column_time(stmt, 6));
		f->contained_at = earliest(f->contained_at, store_column_time(stmt, 7));
		if (resolved == TIME_NONE)
			f->open = true;
		else if (f->resolved_at == TIME_NONE || resolved > f->resolved_at)
			f->resolved_at = resolved;
	}
	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? SUCCESS : store_error(store, "reading an incident family");
}

struct owner_write {
	struct store *store;
	const struct family *f;
};

/* Writes the family's row from the owner's stored record and the merged milestones. */
static enum status_code
write_owner(void *ctx, const struct store_incident *owner)
{
	const struct owner_write *w = ctx;
	const struct family *f = w->f;
	struct store_incident merged = *owner;

	merged.impact_start = f->impact_start;
	merged.detected_at = f->detected_at;
	merged.acknowledged_at = f->acknowledged_at;
	merged.contained_at = f->contained_at;
	merged.resolved_at = f->open ? TIME_NONE : f->resolved_at;
	return store_write_metric_row(w->store, f->owner, f->root_service, &merged);
}

/* Drops the metric rows of every member but the owner. */
static enum status_code
drop_member_rows(struct store *store, const struct family *f)
{
	for (size_t i = 0; i < f->n_members; i++) {
		sqlite3_stmt *stmt;

		if (f->members[i] == f->owner)
			continue;
		if (!(stmt = store_stmt(store, STMT_FAMILY_UNMETRIC,
					"DELETE FROM incident_metrics WHERE incident_id = ?")))
			return ERROR_CUSTOM_MESSAGE;
		sqlite3_bind_int64(stmt, 1, f->members[i]);
		if (store_step_done(store, stmt, "folding an incident family") != SUCCESS)
			return ERROR_CUSTOM_MESSAGE;
	}
	return SUCCESS;
}

static enum status_code
fold_root(struct store *store, int64_t root, const char *source, const char *source_id)
{
	struct family f = { 0 };
	struct owner_write w = { store, &f };
	enum status_code code;

	code = read_members(store, root, source, source_id, &f);
	if (code == SUCCESS && f.n_members > 1)
		code = store_incident_get(store, f.owner_source, f.owner_id, write_owner, &w);
	if (code == SUCCESS && f.n_members > 1)
		code = drop_member_rows(store, &f);
	free(f.members);
	free(f.owner_source);
	free(f.owner_id);
	return code;
}

static enum status_code
has_children(struct store *store, const struct store_incident *in, bool *yes)
{
	sqlite3_stmt *stmt = store_stmt(store, STMT_FAMILY_HAS_CHILDREN,
					"SELECT 1 FROM incidents WHERE parent_source = ? AND "
					"parent_id = ? LIMIT 1");
	int rc;

	if (!stmt)
		return ERROR_CUSTOM_MESSAGE;
	store_bind_text(stmt, 1, in->source);
	store_bind_text(stmt, 2, in->source_id);
	rc = sqlite3_step(stmt);
	*yes = rc == SQLITE_ROW;
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE
		       ? SUCCESS
		       : store_error(store, "reading an incident family");
}

enum status_code
store_fold_family(struct store *store, int64_t id, int64_t service_id,
		  const struct store_incident *in)
{
	char *psrc = NULL, *pid = NULL, *rsrc = NULL, *rid = NULL;
	enum status_code code = SUCCESS;
	int64_t root = 0;
	bool any = false, children = false;

	if (in->parent_id) {
		psrc = xstrdup(in->parent_source ? in->parent_source : in->source);
		pid = xstrdup(in->parent_id);
	} else if (in->link_by_overlap && in->detected_at != TIME_NONE) {
		if ((code = find_overlap(store, id, service_id, in, &psrc, &pid)) == SUCCESS && pid)
			code = set_parent(store, id, psrc, pid);
	}
	if (code != SUCCESS)
		goto out;
	if (pid) {
		store->families = 1;
		/* Fold into the parent's family, if the parent has arrived. Families are
		 * one level deep: a parent that is itself a child still heads its own. */
		if ((code = lookup(store, psrc, pid, &root, &rsrc, &rid)) == SUCCESS && root)
			code = fold_root(store, root, psrc, pid);
		goto out;
	}
	/* A root: fold its children, if it has any. */
	if ((code = any_families(store, &any)) != SUCCESS || !any)
		goto out;
	if ((code = has_children(store, in, &children)) == SUCCESS && children)
		code = fold_root(store, id, in->source, in->source_id);
out:
	free(psrc);
	free(pid);
	free(rsrc);
	free(rid);
	return code;
}
