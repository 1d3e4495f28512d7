/* git-private.h - what the files of src/git share. */
#ifndef SITREP_GIT_PRIVATE_H
#define SITREP_GIT_PRIVATE_H

#include "sitrep/sitrep.h"
#include "sitrep/graph.h"

#include <git2.h>

/* refs.c: the names that point at each commit, as `git log --decorate` shows them. */
struct git_ref_names {
	struct graph_id id;
	char *text;   /* "HEAD -> main, tag: v1.0" */
	size_t order; /* as read: HEAD first */
};

struct git_refs {
	struct git_ref_names *names; /* sorted by id */
	size_t n;
};

/* Reads the refs and the commits to start from: HEAD, and with all every ref but
 * pull and merge requests. A HEAD with no commit yet (an empty repository) gives no
 * tip. *tips is new. */
enum status_code git_refs_read(struct git_refs *refs, git_repository *repo, bool all,
			       struct graph_id **tips, size_t *n_tips);
/* The names of the commit id, or NULL. */
const char *git_refs_of(const struct git_refs *refs, const struct graph_id *id);
void git_refs_release(struct git_refs *refs);

#endif
