/* refs.c - a repository's refs for the branch graph: the commits the walk starts
 * from and the names shown beside each commit ("HEAD -> main, tag: v1.0,
 * origin/main"). Names are sanitized: a branch name is text anyone with push access
 * chose. Pull and merge request refs are left out (a forge's mirror has thousands). */
#include "sitrep/sitrep.h"
#include "sitrep/gitlib.h"
#include "sitrep/history.h"
#include "sitrep/text.h"
#include "git-private.h"

#include <string.h>

struct collect {
	struct git_ref_names *names;
	size_t n, alloc;
	struct graph_id *tips;
	size_t n_tips, alloc_tips;
};

static bool
hidden(const char *name)
{
	return !strncmp(name, "refs/pull/", 10) || !strncmp(name, "refs/merge-requests/", 20);
}

static void
add_name(struct collect *c, const git_oid *oid, const char *text)
{
	c->names = xgrow(c->names, &c->alloc, c->n + 1, sizeof(*c->names));
	memcpy(c->names[c->n].id.bytes, oid->id, GRAPH_ID_SIZE);
	c->names[c->n].text = text_sanitize(text, strlen(text), false);
	c->names[c->n].order = c->n;
	c->n++;
}

static void
add_tip(struct collect *c, const git_oid *oid)
{
	c->tips = xgrow(c->tips, &c->alloc_tips, c->n_tips + 1, sizeof(*c->tips));
	memcpy(c->tips[c->n_tips++].bytes, oid->id, GRAPH_ID_SIZE);
}

/* The commit a ref leads to (through symbolic refs and annotated tags), if any. */
static bool
ref_commit(git_reference *ref, git_oid *oid)
{
	git_object *obj;

	if (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) < 0)
		return false;
	git_oid_cpy(oid, git_object_id(obj));
	git_object_free(obj);
	return true;
}

/* HEAD's branch ("refs/heads/main"), already shown as "HEAD -> main"; or NULL. */
static char *
head_branch(git_repository *repo)
{
	git_reference *head;
	char *name = NULL;

	if (git_reference_lookup(&head, repo, "HEAD") < 0)
		return NULL;
	if (git_reference_type(head) == GIT_REFERENCE_SYMBOLIC)
		name = xstrdup(git_reference_symbolic_target(head));
	git_reference_free(head);
	return name;
}

static void
read_head(struct collect *c, git_repository *repo)
{
	git_reference *head;
	git_oid oid;

	if (git_repository_head(&head, repo) < 0)
		return; /* unborn: no commit yet */
	if (ref_commit(head, &oid)) {
		char *text = git_repository_head_detached(repo)
				     ? xstrdup("HEAD")
				     : xasprintf("HEAD -> %s", git_reference_shorthand(head));

		add_name(c, &oid, text);
		add_tip(c, &oid);
		free(text);
	}
	git_reference_free(head);
}

static int
cmp_names(const void *a, const void *b)
{
	const struct git_ref_names *x = a, *y = b;
	int d = memcmp(x->id.bytes, y->id.bytes, GRAPH_ID_SIZE);

	return d ? d : (x->order < y->order ? -1 : x->order > y->order);
}

/* One text per commit: the names of one id joined, in the order read (HEAD
 * first). */
static void
merge_names(struct git_refs *refs, struct collect *c)
{
	size_t out = 0;

	for (size_t i = 0; i < c->n;) {
		size_t j = i + 1;
		struct buf b;

		buf_init(&b, 0);
		buf_addstr(&b, c->names[i].text);
		for (;
		     j < c->n && !memcmp(c->names[j].id.bytes, c->names[i].id.bytes, GRAPH_ID_SIZE);
		     j++) {
			buf_addstr(&b, ", ");
			buf_addstr(&b, c->names[j].text);
			free(c->names[j].text);
		}
		free(c->names[i].text);
		c->names[out].id = c->names[i].id;
		c->names[out].text = xstrdup(b.data ? b.data : "");
		buf_release(&b);
		out++;
		i = j;
	}
	refs->names = c->names;
	refs->n = out;
}

enum status_code
git_refs_read(struct git_refs *refs, git_repository *repo, bool all, struct graph_id **tips,
	      size_t *n_tips)
{
	struct collect c = { 0 };
	git_reference_iterator *it = NULL;
	git_reference *ref;

	char *head = head_branch(repo);

	memset(refs, 0, sizeof(*refs));
	read_head(&c, repo);
	if (git_reference_iterator_new(&it, repo) == 0) {
		while (git_reference_next(&ref, it) == 0) {
			const char *name = git_reference_name(ref);
			git_oid oid;

			if (!hidden(name) && ref_commit(ref, &oid)) {
				char *text =
					git_reference_is_tag(ref)
						? xasprintf("tag: %s", git_reference_shorthand(ref))
						: xstrdup(git_reference_shorthand(ref));

				if (!head || !streq(name, head))
					add_name(&c, &oid, text);
				free(text);
				if (all)
					add_tip(&c, &oid);
			}
			git_reference_free(ref);
		}
		git_reference_iterator_free(it);
	}
	free(head);
	/* By id, then as read: HEAD stays first among a commit's names. */
	if (c.n)
		qsort(c.names, c.n, sizeof(*c.names), cmp_names);
	merge_names(refs, &c);
	*tips = c.tips;
	*n_tips = c.n_tips;
	return SUCCESS;
}

const char *
git_refs_of(const struct git_refs *refs, const struct graph_id *id)
{
	size_t lo = 0, hi = refs->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = memcmp(refs->names[mid].id.bytes, id->bytes, GRAPH_ID_SIZE);

		if (!d)
			return refs->names[mid].text;
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void
git_refs_release(struct git_refs *refs)
{
	for (size_t i = 0; i < refs->n; i++)
		free(refs->names[i].text);
	free(refs->names);
	memset(refs, 0, sizeof(*refs));
}

enum status_code
history_refs_digest(const char *path, uint64_t *digest)
{
	git_repository *repo;
	git_reference_iterator *it;
	git_reference *ref;
	bool ready = gitlib_init();
	uint64_t h = 14695981039346656037u; /* FNV-1a */

	*digest = 0;
	if (git_repository_open_ext(&repo, path ? path : ".", 0, NULL) < 0) {
		if (ready)
			gitlib_shutdown();
		return error("%s: not a git repository", path ? path : ".");
	}
	if (git_reference_iterator_new(&it, repo) == 0) {
		while (git_reference_next(&ref, it) == 0) {
			const char *name = git_reference_name(ref);
			const git_oid *oid = git_reference_target(ref);

			for (const char *c = name; *c; c++)
				h = (h ^ (unsigned char)*c) * 1099511628211u;
			for (size_t i = 0; oid && i < GRAPH_ID_SIZE; i++)
				h = (h ^ oid->id[i]) * 1099511628211u;
			git_reference_free(ref);
		}
		git_reference_iterator_free(it);
	}
	/* HEAD: a checkout moves it without touching a ref. */
	if (git_reference_lookup(&ref, repo, "HEAD") == 0) {
		const char *target = git_reference_symbolic_target(ref);
		const git_oid *oid = git_reference_target(ref);

		for (const char *c = target ? target : ""; *c; c++)
			h = (h ^ (unsigned char)*c) * 1099511628211u;
		for (size_t i = 0; oid && i < GRAPH_ID_SIZE; i++)
			h = (h ^ oid->id[i]) * 1099511628211u;
		git_reference_free(ref);
	}
	git_repository_free(repo);
	if (ready)
		gitlib_shutdown();
	*digest = h;
	return SUCCESS;
}
