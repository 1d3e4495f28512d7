/* commit_read.c - one commit's fields for the branch graph: from the packs when the
 * commit is whole in one (packs.c, commit_text.c), through libgit2 otherwise (a
 * loose object, a delta, an alternate, a text the parser does not follow), which
 * also words what is wrong with a missing or corrupt object. */
#include "sitrep/sitrep.h"
#include "git-private.h"

#include <string.h>

void
commit_reader_init(struct commit_reader *r, git_repository *repo)
{
	char *objects = xasprintf("%s/objects", git_repository_commondir(repo));

	memset(r, 0, sizeof(*r));
	r->repo = repo;
	r->packs = packs_open(objects);
	free(objects);
}

void
commit_reader_release(struct commit_reader *r)
{
	packs_close(r->packs);
	free(r->text.data);
	commit_fields_release(&r->f);
	memset(r, 0, sizeof(*r));
}

static enum status_code
unreadable(const git_oid *oid)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), oid);
	return error("commit %s cannot be read (a missing or corrupt object: try git fsck): %s",
		     hex, git_error_last() ? git_error_last()->message : "");
}

static enum status_code
read_with_libgit2(struct commit_reader *r, const git_oid *oid, bool full)
{
	struct commit_fields *f = &r->f;
	git_commit *commit;
	unsigned np;

	if (git_commit_lookup(&commit, r->repo, oid) < 0)
		return unreadable(oid);
	f->time = git_commit_time(commit);
	np = git_commit_parentcount(commit);
	f->n_parents = 0;
	f->parents = xgrow(f->parents, &f->alloc_parents, np + 1, sizeof(*f->parents));
	for (unsigned k = 0; k < np; k++)
		memcpy(f->parents[f->n_parents++].bytes, git_commit_parent_id(commit, k)->id,
		       GRAPH_ID_SIZE);
	if (full) {
		const git_signature *a = git_commit_author(commit);
		const char *s = git_commit_summary(commit);

		buf_reset(&f->author);
		buf_addstr(&f->author, a && a->name ? a->name : "");
		buf_reset(&f->summary);
		buf_addstr(&f->summary, s ? s : "");
	}
	git_commit_free(commit);
	return SUCCESS;
}

enum status_code
commit_reader_read(struct commit_reader *r, const struct graph_id *id, bool full)
{
	git_oid oid;

	if (packs_read(r->packs, id->bytes, &r->text,
		       full ? commit_text_has_summary : commit_text_has_header) == PACKS_READ &&
	    commit_text_parse(&r->f, r->text.data, r->text.len, full))
		return SUCCESS;
	memcpy(oid.id, id->bytes, GRAPH_ID_SIZE);
	return read_with_libgit2(r, &oid, full);
}
