/* history.h - the commits of a local repository in display order, for the branch
 * graph (src/git/walk.c, src/git/refs.c): every commit before its parents, in the
 * order `git log --graph` shows them (a line of history at a time). */
#ifndef SITREP_HISTORY_H
#define SITREP_HISTORY_H

#include "sitrep/sitrep.h"
#include "sitrep/graph.h"

struct history;

struct history_opts {
	const char *repo; /* a directory in the work tree or the git directory; NULL: "." */
	/* Every branch, tag and remote branch instead of HEAD only. Pull and merge
	 * request refs (refs/pull/, refs/merge-requests/) stay out: thousands of them
	 * on a forge's mirror would bury the branches. */
	bool all;
	bool no_commit_graph; /* read every commit's object even if a commit-graph exists */
};

struct history_commit {
	struct graph_id id;
	const struct graph_id *parents; /* as the commit lists them; none at a root or
					   at the edge of a shallow clone */
	size_t n_parents;
	int64_t time;	  /* committer time, seconds */
	char *summary;	  /* first line of the message, sanitized */
	char *author;	  /* sanitized */
	const char *refs; /* "HEAD -> main, tag: v1.0", or NULL */
};

/* Opens the repository and walks what it needs. An empty repository is not an
 * error: it has no commits. */
enum status_code history_open(struct history **out, const struct history_opts *opts);
/* The next commit into *c (valid until the next call), false after the last, or
 * when a commit could not be read: history_status() says which. */
bool history_next(struct history *h, struct history_commit *c);
/* SUCCESS, or why the walk stopped early (the message is set). */
enum status_code history_status(const struct history *h);
void history_close(struct history **h);

/* A digest of the repository's refs (names and the commits they point at): it
 * changes when a commit, branch or tag is added, moved or deleted. */
enum status_code history_refs_digest(const char *repo, uint64_t *digest);

/* The commit id as 40 hex digits (buf of 41 bytes at least). */
void history_hex(const struct graph_id *id, char *buf);

#endif
