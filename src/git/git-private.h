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

/* commit_graph.c: git's commit-graph file, when the repository has one. */
#define COMMIT_GRAPH_MAX_PARENTS 128

struct commit_graph;

struct commit_graph_entry {
	uint32_t level;				    /* topological level: above every parent's */
	int64_t time;				    /* committer time */
	uint32_t parents[COMMIT_GRAPH_MAX_PARENTS]; /* graph positions */
	size_t n_parents;
};

/* The commit-graph of the objects directory, or NULL when there is none (or it is
 * not valid: then objects are read instead). */
struct commit_graph *commit_graph_open(const char *objects_dir);
void commit_graph_close(struct commit_graph *g);
/* The position of the commit oid (20 bytes), false if the graph lacks it. */
bool commit_graph_find(const struct commit_graph *g, const unsigned char *oid, uint32_t *pos);
bool commit_graph_oid(const struct commit_graph *g, uint32_t pos, unsigned char *oid);
/* The commit at pos; false when the file does not hold it whole (more parents
 * than COMMIT_GRAPH_MAX_PARENTS, a position out of range): read the object. */
bool commit_graph_commit(const struct commit_graph *g, uint32_t pos, struct commit_graph_entry *e);

#endif
