/* git-private.h - what the files of src/git share. */
#ifndef SITREP_GIT_PRIVATE_H
#define SITREP_GIT_PRIVATE_H

#include "sitrep/sitrep.h"
#include "sitrep/graph.h"

#include <git2.h>
#include <string.h>

/* A big-endian 32-bit number, as git's files store them. */
static inline uint32_t
git_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The index of oid in a sorted table of n 20-byte ids under a 256-entry fanout (a
 * pack index's, a commit-graph's); false if it is not there. */
static inline bool
git_oid_search(const unsigned char *fanout, const unsigned char *oids, uint32_t n,
	       const unsigned char *oid, uint32_t *index)
{
	uint32_t lo = oid[0] ? git_be32(fanout + (oid[0] - 1) * 4) : 0;
	uint32_t hi = git_be32(fanout + oid[0] * 4);

	while (lo < hi && hi <= n) {
		uint32_t mid = lo + (hi - lo) / 2;
		const unsigned char *at = oids + (size_t)mid * GRAPH_ID_SIZE;
		/* Ids of one fanout bucket share their first byte: the next four tell
		 * them apart almost always. */
		uint32_t a = git_be32(at + 1), b = git_be32(oid + 1);
		int d = a != b ? (a < b ? -1 : 1) : memcmp(at, oid, GRAPH_ID_SIZE);

		if (!d) {
			*index = mid;
			return true;
		}
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

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
/* How many commits it holds: positions are below. */
uint32_t commit_graph_count(const struct commit_graph *g);
/* The position of the commit oid (20 bytes), false if the graph lacks it. */
bool commit_graph_find(const struct commit_graph *g, const unsigned char *oid, uint32_t *pos);
bool commit_graph_oid(const struct commit_graph *g, uint32_t pos, unsigned char *oid);
/* The commit at pos; false when the file does not hold it whole (more parents
 * than COMMIT_GRAPH_MAX_PARENTS, a position out of range): read the object. */
bool commit_graph_commit(const struct commit_graph *g, uint32_t pos, struct commit_graph_entry *e);

/* packs.c: the start of a commit straight from the packs. */
struct packs;

struct object_text {
	char *data; /* NUL-terminated */
	size_t len, alloc;
};

enum packs_result {
	PACKS_READ,	 /* out holds the object's start, at least what enough() wanted */
	PACKS_ELSEWHERE, /* not a whole commit in a pack: read it through libgit2 */
	PACKS_CORRUPT,
};

/* The packs of an objects directory (none is not an error). */
struct packs *packs_open(const char *objects_dir);
void packs_close(struct packs *ps);
/* Inflates the commit oid (20 bytes) until enough(out) or its end. */
enum packs_result packs_read(struct packs *ps, const unsigned char *oid, struct object_text *out,
			     bool (*enough)(const char *data, size_t len));

/* commit_text.c: a commit object's text, as libgit2 reads it. */
struct commit_fields {
	struct graph_id *parents;
	size_t n_parents, alloc_parents;
	int64_t time;	    /* committer time */
	struct buf author;  /* the author's name, with full */
	struct buf summary; /* with full */
};

/* Whether data holds the committer line (or the whole header). */
bool commit_text_has_header(const char *data, size_t len);
/* Whether data holds the message's first paragraph. */
bool commit_text_has_summary(const char *data, size_t len);
/* Parents and time; with full the author and summary too. False: a text this
 * parser does not follow (libgit2 reads it, or says what is wrong). */
bool commit_text_parse(struct commit_fields *f, const char *data, size_t len, bool full);
void commit_fields_release(struct commit_fields *f);

/* commit_read.c: a commit's fields from the packs, else through libgit2. */
struct commit_reader {
	git_repository *repo;
	struct packs *packs;
	struct object_text text;
	struct commit_fields f; /* the commit last read */
};

void commit_reader_init(struct commit_reader *r, git_repository *repo);
void commit_reader_release(struct commit_reader *r);
/* Reads commit id into r->f (with full, its author and summary too); SUCCESS, or an
 * error naming the commit. */
enum status_code commit_reader_read(struct commit_reader *r, const struct graph_id *id, bool full);

#endif
