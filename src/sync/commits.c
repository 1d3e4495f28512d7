/* commits.c - what DORA's lead time needs and most deploy APIs do not say: the
 * commits a deployment shipped and when each was made. They come from the
 * service's local clone ([service] repo = PATH) through libgit2: the commits
 * reachable from the deployment's sha and not from the sha of the deployment it
 * followed, newest first, and the commit time of any commit the upstream named
 * without one. A repository that is missing, or lacks the sha (a clone not
 * fetched lately), leaves the deployment as the upstream gave it. */
#include "sitrep/sitrep.h"
#include "sitrep/config.h"
#include "sitrep/gitlib.h"
#include "sitrep/source.h"
#include "sitrep/sync.h"

#include <git2.h>

/* A first deployment, or one after a force-push, can reach the whole history:
 * lead time only needs the recent commits. */
#define MAX_SHIPPED 1000

struct repo_cache {
	char *path;
	git_repository *repo; /* NULL: could not be opened */
};

struct commit_filler {
	struct store *store;
	const struct config *cfg;
	struct repo_cache *repos;
	size_t n_repos;
	bool git_ready; /* libgit2 initialised here, to shut down after */
};

static git_repository *
repo_of(struct commit_filler *f, const char *service)
{
	const struct config_service *svc = service ? config_find_service(f->cfg, service) : NULL;
	struct repo_cache *c;

	if (!svc || !svc->repo)
		return NULL;
	for (size_t i = 0; i < f->n_repos; i++)
		if (streq(f->repos[i].path, svc->repo))
			return f->repos[i].repo;
	if (!f->git_ready)
		f->git_ready = gitlib_init();
	f->repos = xrealloc(f->repos, (f->n_repos + 1) * sizeof(*f->repos));
	c = &f->repos[f->n_repos++];
	c->path = xstrdup(svc->repo);
	if (git_repository_open_ext(&c->repo, svc->repo, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		c->repo = NULL;
	return c->repo;
}

static bool
commit_time(git_repository *repo, const char *sha, int64_t *t)
{
	git_commit *commit;
	git_oid oid;

	if (!sha || git_oid_fromstrp(&oid, sha) < 0 || git_commit_lookup(&commit, repo, &oid) < 0)
		return false;
	*t = (int64_t)git_commit_time(commit);
	git_commit_free(commit);
	return true;
}

/* The commits d shipped, newest first, in page memory. */
static void
walk_shipped(struct commit_filler *f, git_repository *repo, struct source_page *page,
	     struct store_deployment *d)
{
	struct dora_commit *commits = NULL;
	git_revwalk *walk = NULL;
	git_oid oid, hide;
	char *previous = NULL;
	size_t n = 0;

	if (git_oid_fromstrp(&oid, d->sha) < 0 || git_revwalk_new(&walk, repo) < 0)
		return;
	git_revwalk_sorting(walk, GIT_SORT_TIME);
	if (git_revwalk_push(walk, &oid) < 0)
		goto out;
	if (store_previous_deployment_sha(f->store, d, &previous) == SUCCESS && previous &&
	    git_oid_fromstrp(&hide, previous) == 0)
		git_revwalk_hide(walk, &hide); /* a sha unknown here hides nothing */
	commits = source_page_alloc(page, MAX_SHIPPED * sizeof(*commits));
	while (n < MAX_SHIPPED && git_revwalk_next(&oid, walk) == 0) {
		char text[GIT_OID_HEXSZ + 1];
		git_commit *commit;

		if (git_commit_lookup(&commit, repo, &oid) < 0)
			break;
		git_oid_tostr(text, sizeof(text), &oid);
		commits[n].sha = source_page_strdup(page, text);
		commits[n].committed_at = (int64_t)git_commit_time(commit);
		git_commit_free(commit);
		n++;
	}
	if (n) {
		d->commits = commits;
		d->n_commits = n;
	}
out:
	free(previous);
	git_revwalk_free(walk);
}

/* Commit times for the commits the upstream named without one, in page memory. */
static void
fill_times(git_repository *repo, struct source_page *page, struct store_deployment *d)
{
	struct dora_commit *commits = NULL;

	for (size_t i = 0; i < d->n_commits; i++) {
		int64_t t;

		if (d->commits[i].committed_at != TIME_NONE ||
		    !commit_time(repo, d->commits[i].sha, &t))
			continue;
		if (!commits) {
			commits = source_page_alloc(page, d->n_commits * sizeof(*commits));
			memcpy(commits, d->commits, d->n_commits * sizeof(*commits));
		}
		commits[i].committed_at = t;
	}
	if (commits)
		d->commits = commits;
}

void
sync_fill_commits(struct store *store, const struct config *cfg, struct source_page *page)
{
	struct commit_filler f = { .store = store, .cfg = cfg };

	for (size_t i = 0; i < page->n_deployments; i++) {
		struct store_deployment *d = &page->deployments[i];
		git_repository *repo = repo_of(&f, d->service);

		if (!repo)
			continue;
		if (d->n_commits == 0 && d->sha)
			walk_shipped(&f, repo, page, d);
		else
			fill_times(repo, page, d);
	}
	for (size_t i = 0; i < f.n_repos; i++) {
		free(f.repos[i].path);
		git_repository_free(f.repos[i].repo);
	}
	free(f.repos);
	if (f.git_ready)
		gitlib_shutdown();
}
