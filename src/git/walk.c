/* walk.c - the commits of a repository in display order for the branch graph:
 * every commit before its parents, the newest ready commit first (Kahn's order over
 * committer time), which is the order `git log --graph` needs and what it means by
 * topological order.
 *
 * It reads commits through libgit2, but walks the parents itself: the edge of a
 * shallow clone (.git/shallow) is a commit whose parents are not there, which
 * libgit2 1.5's revision walk takes for a corrupt repository, while a parent missing
 * anywhere else is one, and says so. It keeps per commit only its id, time and
 * parents; the message and author are read again when the commit is shown. */
#include "sitrep/sitrep.h"
#include "sitrep/history.h"
#include "sitrep/text.h"
#include "git-private.h"

#include <git2.h>
#include <string.h>

struct node {
	struct graph_id id;
	int64_t time;
	size_t first_parent, n_parents; /* in history.parents */
	size_t waiting;			/* children not yet shown */
};

struct history {
	git_repository *repo;
	struct node *nodes;
	size_t n_nodes, alloc_nodes;
	size_t *parents; /* node indexes */
	size_t n_parents, alloc_parents;
	size_t *slots; /* open addressing: node index + 1, 0 empty */
	size_t n_slots;
	struct graph_id *shallow;
	size_t n_shallow;
	size_t *ready; /* a max-heap by time of nodes with no child waiting */
	size_t n_ready, alloc_ready;
	struct graph_id *current_parents;
	size_t alloc_current;
	struct history_commit current;
	struct git_refs refs;
	bool git_ready;
};

static size_t
id_hash(const struct graph_id *id)
{
	size_t h;

	memcpy(&h, id->bytes, sizeof(h)); /* the bytes of a SHA-1 are already random */
	return h;
}

static bool
find_node(const struct history *h, const struct graph_id *id, size_t *slot)
{
	size_t mask = h->n_slots - 1;

	for (size_t i = id_hash(id) & mask;; i = (i + 1) & mask) {
		*slot = i;
		if (!h->slots[i])
			return false;
		if (!memcmp(h->nodes[h->slots[i] - 1].id.bytes, id->bytes, GRAPH_ID_SIZE))
			return true;
	}
}

static void
grow_slots(struct history *h)
{
	size_t old = h->n_slots, *slots = h->slots, slot;

	h->n_slots = old ? old * 2 : 1024;
	h->slots = xcalloc(h->n_slots, sizeof(*h->slots));
	for (size_t i = 0; i < old; i++)
		if (slots[i]) {
			find_node(h, &h->nodes[slots[i] - 1].id, &slot);
			h->slots[slot] = slots[i];
		}
	free(slots);
}

/* The node of id, added (unread: n_parents 0, time 0) if new; *fresh says which. */
static size_t
node_of(struct history *h, const struct graph_id *id, bool *fresh)
{
	size_t slot;

	if (2 * (h->n_nodes + 1) > h->n_slots)
		grow_slots(h);
	if (find_node(h, id, &slot)) {
		*fresh = false;
		return h->slots[slot] - 1;
	}
	h->nodes = xgrow(h->nodes, &h->alloc_nodes, h->n_nodes + 1, sizeof(*h->nodes));
	memset(&h->nodes[h->n_nodes], 0, sizeof(*h->nodes));
	h->nodes[h->n_nodes].id = *id;
	h->slots[slot] = h->n_nodes + 1;
	*fresh = true;
	return h->n_nodes++;
}

static bool
is_shallow(const struct history *h, const struct graph_id *id)
{
	for (size_t i = 0; i < h->n_shallow; i++)
		if (!memcmp(h->shallow[i].bytes, id->bytes, GRAPH_ID_SIZE))
			return true;
	return false;
}

/* The commits at the edge of a shallow clone, from <gitdir>/shallow. */
static void
read_shallow(struct history *h)
{
	char *path = xasprintf("%s/shallow", git_repository_path(h->repo));
	FILE *f = fopen(path, "r");
	char line[128];
	size_t alloc = 0;

	free(path);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		git_oid oid;

		if (git_oid_fromstrn(&oid, line, 40) < 0)
			continue;
		h->shallow = xgrow(h->shallow, &alloc, h->n_shallow + 1, sizeof(*h->shallow));
		memcpy(h->shallow[h->n_shallow++].bytes, oid.id, GRAPH_ID_SIZE);
	}
	fclose(f);
}

static enum status_code
git_fail(const char *doing)
{
	const git_error *e = git_error_last();

	return error("%s: %s", doing, e && e->message ? e->message : "unknown error");
}

/* Reads every commit reachable from the tips: ids, times and parents. */
static enum status_code
read_commits(struct history *h, const struct graph_id *tips, size_t n_tips)
{
	size_t *todo = NULL, n_todo = 0, alloc_todo = 0;
	enum status_code code = SUCCESS;

	for (size_t i = 0; i < n_tips; i++) {
		bool fresh;
		size_t n = node_of(h, &tips[i], &fresh);

		if (fresh) {
			todo = xgrow(todo, &alloc_todo, n_todo + 1, sizeof(*todo));
			todo[n_todo++] = n;
		}
	}
	while (n_todo && code == SUCCESS) {
		size_t n = todo[--n_todo], np;
		git_commit *commit;
		git_oid oid;
		char hex[GIT_OID_HEXSZ + 1];

		memcpy(oid.id, h->nodes[n].id.bytes, GRAPH_ID_SIZE);
		if (git_commit_lookup(&commit, h->repo, &oid) < 0) {
			git_oid_tostr(hex, sizeof(hex), &oid);
			code = error("commit %s cannot be read (a missing or corrupt object: "
				     "try git fsck): %s",
				     hex, git_error_last() ? git_error_last()->message : "");
			break;
		}
		h->nodes[n].time = git_commit_time(commit);
		np = is_shallow(h, &h->nodes[n].id) ? 0 : git_commit_parentcount(commit);
		h->nodes[n].first_parent = h->n_parents;
		h->nodes[n].n_parents = np;
		for (size_t k = 0; k < np; k++) {
			struct graph_id pid;
			bool fresh;
			size_t p;

			memcpy(pid.bytes, git_commit_parent_id(commit, (unsigned)k)->id,
			       GRAPH_ID_SIZE);
			p = node_of(h, &pid, &fresh);
			h->parents = xgrow(h->parents, &h->alloc_parents, h->n_parents + 1,
					   sizeof(*h->parents));
			h->parents[h->n_parents++] = p;
			h->nodes[p].waiting++;
			if (fresh) {
				todo = xgrow(todo, &alloc_todo, n_todo + 1, sizeof(*todo));
				todo[n_todo++] = p;
			}
		}
		git_commit_free(commit);
	}
	free(todo);
	return code;
}

/* ---- the ready heap: newest first, then the first found ---- */

static bool
before(const struct history *h, size_t a, size_t b)
{
	const struct node *na = &h->nodes[a], *nb = &h->nodes[b];

	return na->time != nb->time ? na->time > nb->time : a < b;
}

static void
ready_push(struct history *h, size_t n)
{
	size_t i;

	h->ready = xgrow(h->ready, &h->alloc_ready, h->n_ready + 1, sizeof(*h->ready));
	for (i = h->n_ready++; i > 0 && before(h, n, h->ready[(i - 1) / 2]); i = (i - 1) / 2)
		h->ready[i] = h->ready[(i - 1) / 2];
	h->ready[i] = n;
}

static size_t
ready_pop(struct history *h)
{
	size_t top = h->ready[0], last = h->ready[--h->n_ready], i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n_ready)
			break;
		if (c + 1 < h->n_ready && before(h, h->ready[c + 1], h->ready[c]))
			c++;
		if (!before(h, h->ready[c], last))
			break;
		h->ready[i] = h->ready[c];
		i = c;
	}
	if (h->n_ready)
		h->ready[i] = last;
	return top;
}

enum status_code
history_open(struct history **out, const struct history_opts *opts)
{
	struct history *h = xcalloc(1, sizeof(*h));
	struct graph_id *tips = NULL;
	size_t n_tips = 0;
	enum status_code code;

	*out = NULL;
	h->git_ready = git_libgit2_init() > 0;
	if (git_repository_open_ext(&h->repo, opts->repo ? opts->repo : ".", 0, NULL) < 0) {
		code = git_fail(opts->repo ? opts->repo : "the current directory");
		history_close(&h);
		return code;
	}
	read_shallow(h);
	if ((code = git_refs_read(&h->refs, h->repo, opts->all, &tips, &n_tips)) == SUCCESS)
		code = read_commits(h, tips, n_tips);
	free(tips);
	if (code != SUCCESS) {
		history_close(&h);
		return code;
	}
	for (size_t i = 0; i < h->n_nodes; i++)
		if (!h->nodes[i].waiting)
			ready_push(h, i);
	*out = h;
	return SUCCESS;
}

static void
release_current(struct history *h)
{
	free(h->current.summary);
	free(h->current.author);
	h->current.summary = h->current.author = NULL;
}

/* The message's first line, sanitized. */
static char *
summary_of(git_commit *commit)
{
	const char *s = git_commit_summary(commit);

	return text_sanitize(s ? s : "", s ? strlen(s) : 0, false);
}

bool
history_next(struct history *h, struct history_commit *c)
{
	const struct node *node;
	git_commit *commit = NULL;
	git_oid oid;
	size_t n;

	release_current(h);
	if (!h->n_ready)
		return false;
	n = ready_pop(h);
	node = &h->nodes[n];
	h->current_parents = xgrow(h->current_parents, &h->alloc_current, node->n_parents + 1,
				   sizeof(*h->current_parents));
	for (size_t k = 0; k < node->n_parents; k++) {
		size_t p = h->parents[node->first_parent + k];

		h->current_parents[k] = h->nodes[p].id;
		if (--h->nodes[p].waiting == 0)
			ready_push(h, p);
	}
	memcpy(oid.id, node->id.bytes, GRAPH_ID_SIZE);
	h->current = (struct history_commit){
		.id = node->id,
		.parents = h->current_parents,
		.n_parents = node->n_parents,
		.time = node->time,
		.refs = git_refs_of(&h->refs, &node->id),
	};
	if (git_commit_lookup(&commit, h->repo, &oid) == 0) {
		const git_signature *a = git_commit_author(commit);

		h->current.summary = summary_of(commit);
		h->current.author = text_sanitize(a && a->name ? a->name : "",
						  a && a->name ? strlen(a->name) : 0, false);
		git_commit_free(commit);
	} else {
		h->current.summary = xstrdup("");
		h->current.author = xstrdup("");
	}
	*c = h->current;
	return true;
}

void
history_close(struct history **hp)
{
	struct history *h = *hp;

	if (!h)
		return;
	release_current(h);
	git_refs_release(&h->refs);
	git_repository_free(h->repo);
	free(h->nodes);
	free(h->parents);
	free(h->slots);
	free(h->shallow);
	free(h->ready);
	free(h->current_parents);
	if (h->git_ready)
		git_libgit2_shutdown();
	free(h);
	*hp = NULL;
}

void
history_hex(const struct graph_id *id, char *buf)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < GRAPH_ID_SIZE; i++) {
		buf[2 * i] = digits[id->bytes[i] >> 4];
		buf[2 * i + 1] = digits[id->bytes[i] & 15];
	}
	buf[2 * GRAPH_ID_SIZE] = '\0';
}
