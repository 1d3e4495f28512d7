/* walk.c - the commits of a repository in display order for the branch graph:
 * every commit before its parents, in the order `git log --graph` shows them (its
 * topological order): the newest tip first, then down its line of history as far
 * as the commits have no other child left to show, a merge's last parent's line
 * first, so the lines of history are not intermixed and the graph stays narrow.
 *
 * The walk is lazy where the repository lets it be. A commit can be shown once all
 * its children have been; its children are among the commits read so far only if
 * every commit that could be one has been read. With a commit-graph file
 * (commit_graph.c) every commit has a topological level above its parents', so
 * reading commits from the highest level down, a commit is safe to show once none
 * above its level is left unread: the first screen of a history of hundreds of
 * thousands of commits needs a few hundred. Commits the file lacks (newer than it)
 * have no level and are all read first; without the file that is every commit.
 *
 * Commits the file lacks are read from the packs (commit_read.c: only the start of
 * each object is inflated), their parents taken by the walk itself: the edge of a
 * shallow clone (.git/shallow) is a commit whose parents are not there, which
 * libgit2 1.5's revision walk takes for a corrupt repository, while a parent
 * missing anywhere else is one, and says so. Per commit only its time, level,
 * parents and where its id is are kept; the message and author are read when the
 * commit is shown. */
#include "sitrep/sitrep.h"
#include "sitrep/gitlib.h"
#include "sitrep/history.h"
#include "sitrep/text.h"
#include "git-private.h"

#include <git2.h>
#include <string.h>

#define NO_LEVEL UINT64_MAX /* not in the commit-graph: read before any level */
#define NO_POS UINT32_MAX

/* 40 bytes a commit: a walk of a million holds them all. A commit the commit-graph
 * holds is known by its position there (its id is the file's), any other by its id
 * in history.ids. */
struct node {
	int64_t time;
	uint64_t level;			  /* its generation in the commit-graph, or NO_LEVEL */
	uint32_t pos;			  /* in the commit-graph, or NO_POS */
	uint32_t id;			  /* in history.ids, when pos is NO_POS */
	uint32_t first_parent, n_parents; /* in history.parents, once read */
	uint32_t waiting : 30, read : 1, shown : 1; /* children read and not yet shown */
};

struct history;

/* A binary heap of node indexes; before(h, a, b): a comes out first. */
struct heap {
	size_t *items;
	size_t n, alloc;
	bool (*before)(const struct history *h, size_t a, size_t b);
};

struct history {
	git_repository *repo;
	struct commit_graph *cg; /* or NULL */
	struct node *nodes;
	size_t n_nodes, alloc_nodes;
	uint32_t *parents; /* node indexes */
	size_t n_parents, alloc_parents;
	struct graph_id *ids; /* of the commits the commit-graph lacks */
	size_t n_ids, alloc_ids;
	uint32_t *slots; /* their nodes: open addressing, node index + 1, 0 empty */
	size_t n_slots, n_hashed;
	uint32_t *at_pos; /* the node of each commit-graph position + 1, 0 none */
	struct graph_id *shallow;
	size_t n_shallow;
	struct heap unread; /* found, not read: the highest level first */
	struct {	    /* no child waiting: the last pushed first, as git's */
		size_t *items;
		size_t n, alloc;
	} ready;
	struct graph_id *current_parents;
	size_t alloc_current;
	struct history_commit current;
	struct git_refs refs;
	struct commit_reader reader;
	enum status_code failed; /* a commit that could not be read */
	bool git_ready;
};

static size_t
id_hash(const struct graph_id *id)
{
	size_t h;

	memcpy(&h, id->bytes, sizeof(h)); /* the bytes of a SHA-1 are already random */
	return h;
}

static void
node_id(const struct history *h, size_t n, struct graph_id *id)
{
	if (h->nodes[n].pos == NO_POS)
		*id = h->ids[h->nodes[n].id];
	else
		commit_graph_oid(h->cg, h->nodes[n].pos, id->bytes);
}

static bool
find_node(const struct history *h, const struct graph_id *id, size_t *slot)
{
	size_t mask = h->n_slots - 1;

	for (size_t i = id_hash(id) & mask;; i = (i + 1) & mask) {
		*slot = i;
		if (!h->slots[i])
			return false;
		if (!memcmp(h->ids[h->nodes[h->slots[i] - 1].id].bytes, id->bytes, GRAPH_ID_SIZE))
			return true;
	}
}

static void
grow_slots(struct history *h)
{
	size_t old = h->n_slots, slot;
	uint32_t *slots = h->slots;

	h->n_slots = old ? old * 2 : 1024;
	h->slots = xcalloc(h->n_slots, sizeof(*h->slots));
	for (size_t i = 0; i < old; i++)
		if (slots[i]) {
			find_node(h, &h->ids[h->nodes[slots[i] - 1].id], &slot);
			h->slots[slot] = slots[i];
		}
	free(slots);
}

static size_t
new_node(struct history *h)
{
	if (h->n_nodes >= UINT32_MAX - 1)
		die("more than 4 billion commits");
	h->nodes = xgrow(h->nodes, &h->alloc_nodes, h->n_nodes + 1, sizeof(*h->nodes));
	memset(&h->nodes[h->n_nodes], 0, sizeof(*h->nodes));
	h->nodes[h->n_nodes].level = NO_LEVEL;
	h->nodes[h->n_nodes].pos = NO_POS;
	return h->n_nodes++;
}

/* The node of a commit the commit-graph lacks, added (unread: n_parents 0, time 0)
 * if new; *fresh says which. */
static size_t
node_of(struct history *h, const struct graph_id *id, bool *fresh)
{
	size_t slot, n;

	if (2 * (h->n_hashed + 1) > h->n_slots)
		grow_slots(h);
	if (find_node(h, id, &slot)) {
		*fresh = false;
		return h->slots[slot] - 1;
	}
	n = new_node(h);
	h->ids = xgrow(h->ids, &h->alloc_ids, h->n_ids + 1, sizeof(*h->ids));
	h->ids[h->n_ids] = *id;
	h->nodes[n].id = (uint32_t)h->n_ids++;
	h->slots[slot] = (uint32_t)n + 1;
	h->n_hashed++;
	*fresh = true;
	return n;
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

/* ---- heaps ---- */

static void
heap_push(const struct history *h, struct heap *q, size_t n)
{
	size_t i;

	q->items = xgrow(q->items, &q->alloc, q->n + 1, sizeof(*q->items));
	for (i = q->n++; i > 0 && q->before(h, n, q->items[(i - 1) / 2]); i = (i - 1) / 2)
		q->items[i] = q->items[(i - 1) / 2];
	q->items[i] = n;
}

static size_t
heap_pop(const struct history *h, struct heap *q)
{
	size_t top = q->items[0], last = q->items[--q->n], i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= q->n)
			break;
		if (c + 1 < q->n && q->before(h, q->items[c + 1], q->items[c]))
			c++;
		if (!q->before(h, q->items[c], last))
			break;
		q->items[i] = q->items[c];
		i = c;
	}
	if (q->n)
		q->items[i] = last;
	return top;
}

static bool
newer(const struct history *h, size_t a, size_t b)
{
	const struct node *na = &h->nodes[a], *nb = &h->nodes[b];
	struct graph_id ia, ib;

	/* Equal times (a rebase, a series applied at once) by id: the order must not
	 * depend on which commits the walk happened to read first. */
	if (na->time != nb->time)
		return na->time > nb->time;
	node_id(h, a, &ia);
	node_id(h, b, &ib);
	return memcmp(ia.bytes, ib.bytes, GRAPH_ID_SIZE) < 0;
}

static bool
higher(const struct history *h, size_t a, size_t b)
{
	const struct node *na = &h->nodes[a], *nb = &h->nodes[b];

	return na->level != nb->level ? na->level > nb->level : newer(h, a, b);
}

/* ---- reading commits ---- */

/* The node at commit-graph position pos, found: its level and time from the file
 * (none when its entry is not whole: its object is read then). */
static size_t
found_at(struct history *h, uint32_t pos)
{
	struct commit_graph_entry e;
	size_t n;

	if (h->at_pos[pos])
		return h->at_pos[pos] - 1;
	n = new_node(h);
	h->at_pos[pos] = (uint32_t)n + 1;
	h->nodes[n].pos = pos;
	if (commit_graph_commit(h->cg, pos, &e)) {
		h->nodes[n].level = e.level;
		h->nodes[n].time = e.time;
	}
	heap_push(h, &h->unread, n);
	return n;
}

/* The node of id, found. */
static size_t
found(struct history *h, const struct graph_id *id)
{
	bool fresh;
	uint32_t pos;
	size_t n;

	if (h->cg && commit_graph_find(h->cg, id->bytes, &pos))
		return found_at(h, pos);
	n = node_of(h, id, &fresh);
	if (fresh)
		heap_push(h, &h->unread, n);
	return n;
}

static void
add_parent(struct history *h, size_t child, size_t p)
{
	h->parents = xgrow(h->parents, &h->alloc_parents, h->n_parents + 1, sizeof(*h->parents));
	h->parents[h->n_parents++] = (uint32_t)p;
	h->nodes[child].n_parents++;
	h->nodes[p].waiting++;
}

/* Its parents from the commit-graph; false if it does not hold them whole. */
static bool
read_from_graph(struct history *h, size_t n)
{
	struct commit_graph_entry e;

	if (h->nodes[n].pos == NO_POS || !commit_graph_commit(h->cg, h->nodes[n].pos, &e))
		return false;
	for (size_t k = 0; k < e.n_parents; k++)
		add_parent(h, n, found_at(h, e.parents[k]));
	return true;
}

static enum status_code
read_from_object(struct history *h, size_t n)
{
	struct graph_id id;
	enum status_code code;
	size_t np;

	node_id(h, n, &id);
	if ((code = commit_reader_read(&h->reader, &id, false)) != SUCCESS)
		return code;
	h->nodes[n].time = h->reader.f.time;
	np = is_shallow(h, &id) ? 0 : h->reader.f.n_parents;
	for (size_t k = 0; k < np; k++)
		add_parent(h, n, found(h, &h->reader.f.parents[k]));
	return SUCCESS;
}

/* Reads commit n's parents (each found, and waiting for n). */
static enum status_code
read_commit(struct history *h, size_t n)
{
	size_t mark = h->n_parents;

	if (h->nodes[n].read)
		return SUCCESS;
	h->nodes[n].read = true;
	h->nodes[n].first_parent = h->n_parents;
	if (read_from_graph(h, n))
		return SUCCESS;
	/* A graph entry cut short: its parents come from the object instead. */
	for (size_t k = mark; k < h->n_parents; k++)
		h->nodes[h->parents[k]].waiting--;
	h->n_parents = mark;
	h->nodes[n].n_parents = 0;
	return read_from_object(h, n);
}

/* Whether commit n may be shown: nothing unread could be a child of it. A child's
 * level is above its parent's; commits without a level could be anything's. */
static bool
settled(const struct history *h, size_t n)
{
	const struct node *top;

	if (!h->unread.n)
		return true;
	top = &h->nodes[h->unread.items[0]];
	return top->level != NO_LEVEL && top->level <= h->nodes[n].level;
}

/* The next commit to show, or SIZE_MAX after the last (or on a failure). */
static size_t
next_commit(struct history *h)
{
	for (;;) {
		size_t n;

		if (h->ready.n) {
			n = h->ready.items[h->ready.n - 1];
			if (h->nodes[n].waiting || h->nodes[n].shown) {
				h->ready.n--; /* a child was found since */
				continue;
			}
			if (settled(h, n)) {
				h->ready.n--;
				if ((h->failed = read_commit(h, n)) != SUCCESS)
					return SIZE_MAX;
				return n;
			}
		} else if (!h->unread.n) {
			return SIZE_MAX;
		}
		n = heap_pop(h, &h->unread);
		if ((h->failed = read_commit(h, n)) != SUCCESS)
			return SIZE_MAX;
	}
}

static void
push_ready(struct history *h, size_t n)
{
	h->ready.items =
		xgrow(h->ready.items, &h->ready.alloc, h->ready.n + 1, sizeof(*h->ready.items));
	h->ready.items[h->ready.n++] = n;
}

/* The tips no other tip leads to, the newest on top of the ready stack. */
static void
push_tips(struct history *h, const struct graph_id *tips, size_t n_tips)
{
	struct heap by_time = { .before = newer };
	size_t *order = xcalloc(n_tips + 1, sizeof(*order)), n = 0;

	for (size_t i = 0; i < n_tips; i++) {
		size_t t = found(h, &tips[i]);

		if (!h->nodes[t].waiting)
			heap_push(h, &by_time, t);
	}
	while (by_time.n) {
		size_t t = heap_pop(h, &by_time);

		if (!n || order[n - 1] != t) /* a commit several refs name */
			order[n++] = t;
	}
	while (n)
		push_ready(h, order[--n]);
	free(order);
	free(by_time.items);
}

enum status_code
history_open(struct history **out, const struct history_opts *opts)
{
	struct history *h = xcalloc(1, sizeof(*h));
	struct graph_id *tips = NULL;
	size_t n_tips = 0;
	enum status_code code;

	*out = NULL;
	h->git_ready = gitlib_init();
	h->unread.before = higher;
	if (git_repository_open_ext(&h->repo, opts->repo ? opts->repo : ".", 0, NULL) < 0) {
		code = git_fail(opts->repo ? opts->repo : "the current directory");
		history_close(&h);
		return code;
	}
	read_shallow(h);
	commit_reader_init(&h->reader, h->repo);
	/* A shallow clone's file would name parents the clone does not have. */
	if (!h->n_shallow && !opts->no_commit_graph) {
		char *objects = xasprintf("%s/objects", git_repository_commondir(h->repo));

		h->cg = commit_graph_open(objects);
		free(objects);
		if (h->cg) /* untouched pages cost nothing until the walk gets there */
			h->at_pos = xcalloc(commit_graph_count(h->cg) + 1, sizeof(*h->at_pos));
	}
	if ((code = git_refs_read(&h->refs, h->repo, opts->all, &tips, &n_tips)) != SUCCESS) {
		history_close(&h);
		return code;
	}
	/* Every tip read first: tips go out newest first, and a commit the
	 * commit-graph lacks has its time only once read. */
	for (size_t i = 0; i < n_tips && code == SUCCESS; i++)
		code = read_commit(h, found(h, &tips[i]));
	if (code == SUCCESS)
		push_tips(h, tips, n_tips);
	if (code != SUCCESS) {
		free(tips);
		history_close(&h);
		return code;
	}
	free(tips);
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

bool
history_next(struct history *h, struct history_commit *c)
{
	const struct node *node;
	const struct commit_fields *f = &h->reader.f;
	size_t n;

	release_current(h);
	if (h->failed || (n = next_commit(h)) == SIZE_MAX)
		return false;
	h->nodes[n].shown = true;
	node = &h->nodes[n];
	h->current_parents = xgrow(h->current_parents, &h->alloc_current, node->n_parents + 1,
				   sizeof(*h->current_parents));
	for (size_t k = 0; k < node->n_parents; k++) {
		size_t p = h->parents[node->first_parent + k];

		node_id(h, p, &h->current_parents[k]);
		if (--h->nodes[p].waiting == 0)
			push_ready(h, p);
	}
	h->current = (struct history_commit){
		.parents = h->current_parents,
		.n_parents = node->n_parents,
		.time = node->time,
	};
	node_id(h, n, &h->current.id);
	h->current.refs = git_refs_of(&h->refs, &h->current.id);
	/* Its parents may have come from the commit-graph: the object is read here. */
	if ((h->failed = commit_reader_read(&h->reader, &h->current.id, true)) != SUCCESS)
		return false;
	h->current.summary =
		text_sanitize(f->summary.data ? f->summary.data : "", f->summary.len, false);
	h->current.author =
		text_sanitize(f->author.data ? f->author.data : "", f->author.len, false);
	*c = h->current;
	return true;
}

enum status_code
history_status(const struct history *h)
{
	return h->failed;
}

void
history_close(struct history **hp)
{
	struct history *h = *hp;

	if (!h)
		return;
	release_current(h);
	git_refs_release(&h->refs);
	if (h->repo)
		commit_reader_release(&h->reader);
	git_repository_free(h->repo);
	free(h->nodes);
	free(h->parents);
	free(h->slots);
	free(h->ids);
	free(h->at_pos);
	free(h->shallow);
	free(h->ready.items);
	free(h->unread.items);
	free(h->current_parents);
	commit_graph_close(h->cg);
	if (h->git_ready)
		gitlib_shutdown();
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
