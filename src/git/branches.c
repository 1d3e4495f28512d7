/* branches.c - the branches of a repository, their roles in its branching strategy
 * and how far each is from the branch it is measured from.
 *
 * Roles come from names: the config's [branches] globs, then the names teams use
 * (main/master/trunk, develop, release-, hotfix- and env- prefixes, production,
 * staging). A remote branch whose remote is neither origin nor upstream is a fork's. The
 * strategy follows from the roles present: a develop branch is git-flow, else
 * environment branches are environment branching, else release branches release
 * branching, else trunk-based. Feature and release branches are measured from
 * develop under git-flow, everything else from the trunk. */
#include "sitrep/sitrep.h"
#include "sitrep/branches.h"
#include "sitrep/gitlib.h"
#include "sitrep/text.h"

#include <git2.h>
#include <string.h>

static const char *const role_order[] = { "trunk",	 "develop", "release", "hotfix",
					  "environment", "feature", "fork" };

const char *
branch_role(const struct config *cfg, const char *name)
{
	static const struct config_rule_default usual[] = {
		{ "trunk", { "main", "master", "trunk", "mainline" } },
		{ "develop", { "develop", "development", "dev" } },
		{ "release",
		  { "release/*", "release-*", "releases/*", "rel/*", "rel-*", "stable/*",
		    "*-stable" } },
		{ "hotfix", { "hotfix/*", "hotfix-*", "hotfixes/*", "hf/*" } },
		{ "environment",
		  { "production", "prod", "staging", "stage", "qa", "uat", "preprod", "env/*",
		    "environment/*", "environments/*", "deploy/*" } },
	};
	const char *role =
		config_rule_kind(cfg ? cfg->branch_rules : NULL, cfg ? cfg->n_branch_rules : 0,
				 usual, ARRAY_SIZE(usual), name);

	return role ? role : "feature";
}

static size_t
role_rank(const char *role)
{
	for (size_t i = 0; i < ARRAY_SIZE(role_order); i++)
		if (streq(role, role_order[i]))
			return i;
	return ARRAY_SIZE(role_order);
}

static int
cmp_branches(const void *a, const void *b)
{
	const struct branch_info *x = a, *y = b;
	size_t rx = role_rank(x->role), ry = role_rank(y->role);

	if (rx != ry)
		return rx < ry ? -1 : 1;
	if (x->remote != y->remote)
		return x->remote ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* Whether [remote "name"] exists in the repository's config. */
static bool
remote_exists(git_config *cfg, const char *name, size_t len)
{
	char *key = xasprintf("remote.%.*s.url", (int)len, name);
	git_config_entry *entry = NULL;
	bool found = cfg && git_config_get_entry(&entry, cfg, key) == 0;

	git_config_entry_free(entry);
	free(key);
	return found;
}

/* The branch's name without its remote ("origin/feature/x" -> "feature/x") and the
 * remote's name into remote (empty for a local branch). A remote's name may hold a
 * slash: the shortest prefix that names a configured remote is it. (Not through
 * git_branch_remote_name, whose regular expressions leak in libgit2 1.5.) */
static const char *
short_name(git_config *gitcfg, git_reference *ref, char *remote, size_t size)
{
	const char *name = git_reference_shorthand(ref), *slash;

	remote[0] = '\0';
	if (!git_reference_is_remote(ref))
		return name;
	for (slash = strchr(name, '/'); slash; slash = strchr(slash + 1, '/'))
		if (remote_exists(gitcfg, name, (size_t)(slash - name)))
			break;
	if (!slash)
		slash = strchr(name, '/');
	if (!slash)
		return name;
	snprintf(remote, size, "%.*s", (int)(slash - name), name);
	return slash + 1;
}

static bool
has_local(git_repository *repo, const char *name)
{
	git_reference *ref;

	if (git_branch_lookup(&ref, repo, name, GIT_BRANCH_LOCAL) < 0)
		return false;
	git_reference_free(ref);
	return true;
}

static void
add_branch(struct branch_list *l, size_t *alloc, git_repository *repo, git_config *gitcfg,
	   git_reference *ref, const struct config *cfg, int64_t now)
{
	char remote[128];
	const char *bare = short_name(gitcfg, ref, remote, sizeof(remote));
	const char *full = git_reference_shorthand(ref);
	struct branch_info *b;
	git_object *obj;
	git_commit *commit;

	if (git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC)
		return; /* origin/HEAD */
	if (remote[0] && has_local(repo, bare))
		return; /* the local branch stands for it */
	if (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) < 0)
		return;
	commit = (git_commit *)obj;
	l->items = xgrow(l->items, alloc, l->n + 1, sizeof(*l->items));
	b = &l->items[l->n++];
	memset(b, 0, sizeof(*b));
	b->name = text_sanitize(full, strlen(full), false);
	b->remote = remote[0] != '\0';
	b->role = b->remote && !streq(remote, "origin") && !streq(remote, "upstream")
			  ? "fork"
			  : branch_role(cfg, bare);
	b->head = git_branch_is_head(ref) == 1;
	memcpy(b->tip.bytes, git_commit_id(commit)->id, GRAPH_ID_SIZE);
	b->last_commit = git_commit_time(commit);
	b->stale = now - b->last_commit > cfg->branch_stale;
	git_object_free(obj);
}

/* The first branch of role, the one HEAD is on if it has that role. */
static const struct branch_info *
first_of(const struct branch_list *l, const char *role)
{
	const struct branch_info *first = NULL;

	for (size_t i = 0; i < l->n; i++)
		if (streq(l->items[i].role, role)) {
			if (l->items[i].head)
				return &l->items[i];
			if (!first)
				first = &l->items[i];
		}
	return first;
}

static void
measure(struct branch_list *l, git_repository *repo)
{
	const struct branch_info *trunk = first_of(l, "trunk"), *dev = first_of(l, "develop");

	l->trunk = trunk ? trunk->name : NULL;
	l->develop = dev ? dev->name : NULL;
	l->strategy = dev			   ? "git-flow"
		      : first_of(l, "environment") ? "environment branching"
		      : first_of(l, "release")	   ? "release branching"
						   : "trunk-based";
	for (size_t i = 0; i < l->n; i++) {
		struct branch_info *b = &l->items[i];
		const struct branch_info *base = trunk;
		git_oid tip, from;

		if (dev && (streq(b->role, "feature") || streq(b->role, "release")))
			base = dev;
		if (!base || base == b)
			continue;
		memcpy(tip.id, b->tip.bytes, GRAPH_ID_SIZE);
		memcpy(from.id, base->tip.bytes, GRAPH_ID_SIZE);
		if (git_graph_ahead_behind(&b->ahead, &b->behind, repo, &tip, &from) == 0)
			b->base = base->name;
	}
}

enum status_code
branches_read(struct branch_list *out, const char *path, const struct config *cfg, int64_t now)
{
	git_repository *repo = NULL;
	git_config *gitcfg = NULL;
	git_branch_iterator *it = NULL;
	git_reference *ref;
	git_branch_t type;
	enum status_code code = SUCCESS;
	size_t alloc = 0;
	bool ready = gitlib_init();

	memset(out, 0, sizeof(*out));
	if (git_repository_open_ext(&repo, path ? path : ".", 0, NULL) < 0) {
		const git_error *e = git_error_last();

		code = error("%s: %s", path ? path : "the current directory",
			     e && e->message ? e->message : "not a git repository");
		goto out;
	}
	git_repository_config_snapshot(&gitcfg, repo);
	if (git_branch_iterator_new(&it, repo, GIT_BRANCH_ALL) == 0) {
		while (git_branch_next(&ref, &type, it) == 0) {
			add_branch(out, &alloc, repo, gitcfg, ref, cfg, now);
			git_reference_free(ref);
		}
		git_branch_iterator_free(it);
	}
	git_config_free(gitcfg);
	/* Sorted before base names are taken: they point into the items. */
	if (out->n)
		qsort(out->items, out->n, sizeof(*out->items), cmp_branches);
	measure(out, repo);
out:
	git_repository_free(repo);
	if (ready)
		gitlib_shutdown();
	return code;
}

void
branches_release(struct branch_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].name);
	free(l->items);
	memset(l, 0, sizeof(*l));
}
