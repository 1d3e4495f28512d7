/* repo.c - the services' repositories in the scenario: commits, their parents and
 * merges, and the branches they make (feature branches with pull request numbers,
 * release branches cut from the default one). Pipelines and deployments (delivery.c)
 * refer to commits by index; what a deployment shipped is a question of which
 * commits one reaches from another, answered by a reachability matrix built once.
 *
 * Scenario format ("commits" at the top level; instants as for incidents):
 *
 *   {"id": "co-3", "service": "checkout", "branch": "feature/x", "author": "ana",
 *    "message": "Batch tokenisation", "time": "-6d", "parent": "co-2", "merge": "co-2",
 *    "sha": "<40 hex digits>"}
 *
 *   branch defaults to the service's default branch. The first parent is the commit
 *   before it on its branch or, for a branch's first commit, the newest commit of the
 *   default branch by then; "parent" says otherwise (a release branch cut from an
 *   older commit). A merge names the tip it merges ("merge") and gets its message
 *   generated ("Merge pull request #481 from acme/feature/x", or "Merge branch
 *   'release/2.14'" for a branch without a pull request). Parents come earlier in
 *   the list. A service has one root, its first commit: the history before the
 *   scenario, taken as deployed everywhere. The sha is the one git gives the commit
 *   `sitrep demo` makes of it (see git_sha), unless "sha" pins it: the demo's
 *   repositories and the simulated pipelines and deployments name the same commits.
 *   Feature branches (neither the default one nor
 *   release/...) get pull request numbers in the order they were created, from a
 *   start that depends on the repository's name only. */
#include "sitrep/sitrep.h"
#include "sitrep/json.h"
#include "sim.h"

#include <git2.h>

/* ---- lookups --------------------------------------------------------------------- */

long
world_commit(const struct world *w, const char *id)
{
	for (size_t i = 0; i < w->n_commits; i++)
		if (streq(w->commits[i].id, id))
			return (long)i;
	return -1;
}

long
world_branch(const struct world *w, size_t service, const char *name)
{
	for (size_t i = 0; i < w->n_branches; i++)
		if (w->branches[i].service == service && streq(w->branches[i].name, name))
			return (long)i;
	return -1;
}

bool
commit_reaches(const struct world *w, size_t from, size_t ancestor)
{
	return (w->reach[from * w->reach_words + ancestor / 64] >> (ancestor % 64)) & 1;
}

/* ---- commits ----------------------------------------------------------------------- */

static bool
is_hex_sha(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!strchr("0123456789abcdef", s[n]))
			return false;
	return n == 40;
}

/* The newest commit of service s on branch before index limit at or before t. */
static long
newest_on(const struct world *w, size_t s, const char *branch, size_t limit, int64_t t)
{
	long best = -1;

	for (size_t j = 0; j < limit; j++) {
		const struct commit *c = &w->commits[j];

		if (c->service == s && streq(c->branch, branch) && c->time <= t &&
		    (best < 0 || c->time >= w->commits[best].time))
			best = (long)j;
	}
	return best;
}

/* A reference to an earlier commit of the same service, no later than c. */
static enum status_code
commit_ref(struct world *w, size_t i, json_t *obj, const char *key, long *out, const char *where)
{
	const char *text = json_string_value(json_object_get(obj, key));
	const struct commit *c = &w->commits[i];
	long j;

	*out = -1;
	if (!json_object_get(obj, key))
		return SUCCESS;
	if (!text)
		return error("%s: \"%s\" must be a commit id", where, key);
	j = world_commit(w, text);
	if (j < 0 || (size_t)j >= i)
		return error("%s: %s: \"%s\" is not an earlier commit", where, key, text);
	if (w->commits[j].service != c->service)
		return error("%s: %s: \"%s\" is a commit of %s", where, key, text,
			     w->services[w->commits[j].service].name);
	if (w->commits[j].time > c->time)
		return error("%s: %s: \"%s\" is later than the commit", where, key, text);
	*out = j;
	return SUCCESS;
}

static enum status_code
load_commit(struct world *w, size_t i, json_t *obj, const char *where)
{
	static const char *const keys[] = { "id",   "service", "branch", "author", "message",
					    "time", "parent",  "merge",	 "sha" };
	struct commit *c = &w->commits[i];
	char *service = NULL, *sha = NULL;
	enum status_code rc;
	long s;

	c->parent = c->merged = -1;
	if ((rc = scn_check_keys(obj, keys, ARRAY_SIZE(keys), where)) ||
	    (rc = scn_string(obj, "id", true, &c->id, where)) ||
	    (rc = scn_string(obj, "service", true, &service, where)) ||
	    (rc = scn_string(obj, "branch", false, &c->branch, where)) ||
	    (rc = scn_string(obj, "author", true, &c->author, where)) ||
	    (rc = scn_string(obj, "message", false, &c->message, where)) ||
	    (rc = scn_string(obj, "sha", false, &sha, where)) ||
	    (rc = scn_instant(obj, "time", w->origin, &c->time, where)))
		goto out;
	if (world_commit(w, c->id) != (long)i) {
		rc = error("%s: commit \"%s\" twice", where, c->id);
		goto out;
	}
	if ((s = world_service(w, service)) < 0) {
		rc = error("%s: unknown service \"%s\"", where, service);
		goto out;
	}
	c->service = (size_t)s;
	if (!c->branch)
		c->branch = xstrdup(w->services[s].default_branch);
	if (c->time == TIME_NONE) {
		rc = error("%s: \"time\" is required", where);
		goto out;
	}
	if ((rc = commit_ref(w, i, obj, "parent", &c->parent, where)) ||
	    (rc = commit_ref(w, i, obj, "merge", &c->merged, where)))
		goto out;
	if (!json_object_get(obj, "parent")) {
		c->parent = newest_on(w, c->service, c->branch, i, c->time);
		if (c->parent < 0)
			c->parent =
				newest_on(w, c->service, w->services[s].default_branch, i, c->time);
	}
	for (size_t j = 0; c->parent < 0 && j < i; j++) {
		if (w->commits[j].service == c->service) {
			rc = error("%s: no parent by then: only a service's first commit is a root",
				   where);
			goto out;
		}
	}
	if (c->parent < 0 && json_object_get(obj, "merge")) {
		rc = error("%s: a merge needs a first parent", where);
		goto out;
	}
	if (c->merged >= 0 && streq(w->commits[c->merged].branch, c->branch)) {
		rc = error("%s: merges \"%s\" of its own branch", where, w->commits[c->merged].id);
		goto out;
	}
	if (!c->message && c->merged < 0) {
		rc = error("%s: \"message\" is required", where);
		goto out;
	}
	if (sha && !is_hex_sha(sha)) {
		rc = error("%s: \"sha\" must be 40 lower-case hex digits", where);
		goto out;
	}
	if (sha)
		string_copy(c->sha, sha);
	else
		c->sha[0] = '\0'; /* git's, once the messages are all known (git_shas) */
out:
	free(service);
	free(sha);
	return rc;
}

/* Row i of the reachability matrix: i, and whatever its parents reach. */
static void
compute_reach(struct world *w)
{
	size_t words = (w->n_commits + 63) / 64;

	w->reach_words = words ? words : 1;
	w->reach = xcalloc(w->n_commits ? w->n_commits : 1, w->reach_words * sizeof(uint64_t));
	for (size_t i = 0; i < w->n_commits; i++) {
		uint64_t *row = &w->reach[i * w->reach_words];
		long parents[2] = { w->commits[i].parent, w->commits[i].merged };

		row[i / 64] |= UINT64_C(1) << (i % 64);
		for (size_t k = 0; k < 2; k++) {
			const uint64_t *p;

			if (parents[k] < 0)
				continue;
			p = &w->reach[(size_t)parents[k] * w->reach_words];
			for (size_t j = 0; j < w->reach_words; j++)
				row[j] |= p[j];
		}
	}
}

static enum status_code
load_commits(struct world *w, json_t *root)
{
	json_t *arr;
	char where[96];
	enum status_code rc;

	if ((rc = scn_array(root, "commits", &arr, "scenario")))
		return rc;
	if (arr && json_array_size(arr) > 0)
		w->commits = xcalloc(json_array_size(arr), sizeof(*w->commits));
	for (size_t i = 0; arr && i < json_array_size(arr); i++) {
		snprintf(where, sizeof(where), "scenario: commits[%zu]", i);
		w->n_commits++;
		if ((rc = load_commit(w, i, json_array_get(arr, i), where)))
			return rc;
	}
	compute_reach(w);
	return SUCCESS;
}

/* ---- branches ---------------------------------------------------------------------- */

bool
branch_is_feature(const struct world *w, const struct branch *b)
{
	return !streq(b->name, w->services[b->service].default_branch) &&
	       strncmp(b->name, "release/", 8) != 0;
}

size_t
repo_branch(struct world *w, size_t service, const char *name, int64_t t)
{
	long b = world_branch(w, service, name);
	struct branch *br;

	if (b >= 0) {
		br = &w->branches[b];
		if (t < br->created)
			br->created = t;
		return (size_t)b;
	}
	w->branches = xrealloc(w->branches, (w->n_branches + 1) * sizeof(*w->branches));
	br = &w->branches[w->n_branches];
	memset(br, 0, sizeof(*br));
	br->name = xstrdup(name);
	br->service = service;
	br->base = -1;
	br->merged_by = -1;
	br->created = t;
	return w->n_branches++;
}

/* Feature branches get pull request numbers in the order they were created, from a
 * per-repository start so that the repositories do not look alike. */
static void
number_pull_requests(struct world *w)
{
	for (size_t s = 0; s < w->n_services; s++) {
		unsigned long next =
			100 + (unsigned long)(sim_hash(0, w->services[s].repo, 0) % 400);

		for (;;) {
			long first = -1;

			for (size_t b = 0; b < w->n_branches; b++) {
				const struct branch *br = &w->branches[b];

				if (br->service == s && br->pr == 0 && branch_is_feature(w, br) &&
				    (first < 0 || br->created < w->branches[first].created))
					first = (long)b;
			}
			if (first < 0)
				break;
			w->branches[first].pr = next++;
		}
	}
}

/* The branches commits name: bases, pull requests, merges, merge messages. */
static void
derive_branches(struct world *w)
{
	for (size_t i = 0; i < w->n_commits; i++) {
		struct commit *c = &w->commits[i];
		size_t b = repo_branch(w, c->service, c->branch, c->time);
		struct branch *br = &w->branches[b];

		if (!streq(c->branch, w->services[c->service].default_branch) && br->base < 0 &&
		    c->parent >= 0 && !streq(w->commits[c->parent].branch, c->branch))
			br->base = c->parent;
	}
	number_pull_requests(w);
	for (size_t i = 0; i < w->n_commits; i++) {
		struct commit *c = &w->commits[i];
		const struct commit *tip;
		struct branch *br;
		char owner[64];

		if (c->merged < 0)
			continue;
		tip = &w->commits[c->merged];
		br = &w->branches[world_branch(w, tip->service, tip->branch)];
		if (streq(c->branch, w->services[c->service].default_branch))
			br->merged_by = (long)i;
		if (c->message)
			continue;
		snprintf(owner, sizeof(owner), "%.*s",
			 (int)strcspn(w->services[c->service].repo, "/"),
			 w->services[c->service].repo);
		if (br->pr)
			c->message = xasprintf("Merge pull request #%lu from %s/%s", br->pr, owner,
					       br->name);
		else
			c->message = xasprintf("Merge branch '%s'", br->name);
	}
}

long
branch_head(const struct world *w, size_t b, int64_t now_ms)
{
	const struct branch *br = &w->branches[b];
	int64_t now = floor_div(now_ms, 1000);
	long head;

	if (now < br->created)
		return -1;
	head = newest_on(w, br->service, br->name, w->n_commits, now);
	return head >= 0 ? head : br->base;
}

/* The e-mail of a commit's author: <author>@<the repository's owner>.example. */
static char *
author_email(const struct world *w, const struct commit *c)
{
	const char *repo = w->services[c->service].repo;

	return xasprintf("%s@%.*s.example", c->author, (int)strcspn(repo, "/"), repo);
}

/* The sha git gives the commit `sitrep demo` makes of c (cmd_demo.c, build_commit):
 * a tree of one file, CHANGES, holding the message; the author as author and
 * committer at its time in UTC; the message as it is. Git's object format:
 * gitformat-commit(5) and the tree and blob objects it names. */
static void
git_sha(const struct world *w, struct commit *c)
{
	git_oid blob, tree, commit;
	unsigned char entry[sizeof("100644 CHANGES") + GIT_OID_RAWSZ];
	char hex[GIT_OID_HEXSZ + 1], *email = author_email(w, c);
	struct buf text;

	git_odb_hash(&blob, c->message, strlen(c->message), GIT_OBJECT_BLOB);
	memcpy(entry, "100644 CHANGES", sizeof("100644 CHANGES"));
	memcpy(entry + sizeof("100644 CHANGES"), blob.id, GIT_OID_RAWSZ);
	git_odb_hash(&tree, entry, sizeof(entry), GIT_OBJECT_TREE);
	buf_init(&text, 0);
	buf_printf(&text, "tree %s\n", git_oid_tostr(hex, sizeof(hex), &tree));
	if (c->parent >= 0)
		buf_printf(&text, "parent %s\n", w->commits[c->parent].sha);
	if (c->merged >= 0)
		buf_printf(&text, "parent %s\n", w->commits[c->merged].sha);
	buf_printf(&text, "author %s <%s> %lld +0000\ncommitter %s <%s> %lld +0000\n\n%s",
		   c->author, email, (long long)c->time, c->author, email, (long long)c->time,
		   c->message);
	git_odb_hash(&commit, text.data, text.len, GIT_OBJECT_COMMIT);
	git_oid_tostr(c->sha, sizeof(c->sha), &commit);
	buf_release(&text);
	free(email);
}

static void
git_shas(struct world *w)
{
	git_libgit2_init();
	for (size_t i = 0; i < w->n_commits; i++) /* parents first: they come earlier */
		if (!w->commits[i].sha[0])
			git_sha(w, &w->commits[i]);
	git_libgit2_shutdown();
}

enum status_code
repo_load(struct world *w, json_t *root)
{
	enum status_code rc = load_commits(w, root);

	if (rc == SUCCESS) {
		derive_branches(w);
		git_shas(w);
	}
	return rc;
}

void
repo_release(struct world *w)
{
	for (size_t i = 0; i < w->n_commits; i++) {
		free(w->commits[i].id);
		free(w->commits[i].branch);
		free(w->commits[i].author);
		free(w->commits[i].message);
	}
	for (size_t i = 0; i < w->n_branches; i++)
		free(w->branches[i].name);
	free(w->commits);
	free(w->reach);
	free(w->branches);
	w->commits = NULL;
	w->reach = NULL;
	w->branches = NULL;
	w->n_commits = w->n_branches = 0;
}

/* ---- ground truth ------------------------------------------------------------------ */

static json_t *
sha_or_null(const struct world *w, long c)
{
	return c >= 0 ? json_string(w->commits[c].sha) : json_null();
}

static json_t *
repositories_json(const struct world *w)
{
	json_t *repos = json_array();

	for (size_t s = 0; s < w->n_services; s++) {
		json_t *r = json_object(), *branches = json_array();

		json_object_set_new(r, "service", json_string(w->services[s].name));
		json_object_set_new(r, "repo", json_string(w->services[s].repo));
		json_object_set_new(r, "default_branch",
				    json_string(w->services[s].default_branch));
		json_object_set_new(r, "team", json_string(w->services[s].team));
		json_object_set_new(r, "pattern",
				    json_string(deploy_pattern_name(w->services[s].pattern)));
		for (size_t b = 0; b < w->n_branches; b++) {
			const struct branch *br = &w->branches[b];
			json_t *o;

			if (br->service != s)
				continue;
			o = json_object();
			json_object_set_new(o, "name", json_string(br->name));
			json_object_set_new(o, "base", sha_or_null(w, br->base));
			json_object_set_new(
				o, "pr", br->pr ? json_integer((json_int_t)br->pr) : json_null());
			json_object_set_new(o, "merged_by", sha_or_null(w, br->merged_by));
			json_object_set_new(o, "created_at", json_time(br->created));
			json_array_append_new(branches, o);
		}
		json_object_set_new(r, "branches", branches);
		json_array_append_new(repos, r);
	}
	return repos;
}

static json_t *
commit_json(const struct world *w, const struct commit *c)
{
	json_t *o = json_object(), *parents = json_array();
	const char *repo = w->services[c->service].repo;
	char *email = author_email(w, c);

	json_object_set_new(o, "id", json_string(c->id));
	json_object_set_new(o, "service", json_string(w->services[c->service].name));
	json_object_set_new(o, "repo", json_string(repo));
	json_object_set_new(o, "sha", json_string(c->sha));
	json_object_set_new(o, "branch", json_string(c->branch));
	json_object_set_new(o, "author", json_string(c->author));
	json_object_set_new(o, "email", json_string(email));
	free(email);
	json_object_set_new(o, "message", json_string(c->message));
	json_object_set_new(o, "committed_at", json_time(c->time));
	if (c->parent >= 0)
		json_array_append_new(parents, json_string(w->commits[c->parent].sha));
	if (c->merged >= 0)
		json_array_append_new(parents, json_string(w->commits[c->merged].sha));
	json_object_set_new(o, "parents", parents);
	return o;
}

void
repo_json(const struct world *w, json_t *root)
{
	json_t *commits = json_array();

	json_object_set_new(root, "repositories", repositories_json(w));
	for (size_t i = 0; i < w->n_commits; i++)
		json_array_append_new(commits, commit_json(w, &w->commits[i]));
	json_object_set_new(root, "commits", commits);
}
