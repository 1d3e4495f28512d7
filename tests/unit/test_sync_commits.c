/* test_sync_commits.c - deployments completed from a real git repository built here
 * with libgit2: the commits a deployment shipped are those after the sha of the one
 * it replaced (or the last before it on its environment), newest first, with their
 * commit times; commit times the upstream left out are filled in; a sha the clone
 * does not have, or a service with no repo, leaves the deployment as it was. */
#include "sitrep/sitrep.h"
#include "sitrep/config.h"
#include "sitrep/source.h"
#include "sitrep/sync.h"

#include <git2.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "store_support.h"

static char shas[5][GIT_OID_HEXSZ + 1];

/* c0 <- c1 <- c2 <- c3 <- c4 on main, committed at 1000, 2000, ... 5000. */
static void
build_repo(const char *repo_path)
{
	git_repository *repo;
	git_commit *parent = NULL;

	assert_true(git_libgit2_init() > 0);
	assert_int_equal(git_repository_init(&repo, repo_path, false), 0);
	for (int i = 0; i < 5; i++) {
		git_treebuilder *tb;
		git_signature *sig;
		git_oid blob, tree_id, commit_id;
		git_tree *tree;
		char content[32], message[32];

		snprintf(content, sizeof(content), "version %d\n", i);
		snprintf(message, sizeof(message), "change %d", i);
		assert_int_equal(git_blob_create_from_buffer(&blob, repo, content, strlen(content)),
				 0);
		assert_int_equal(git_treebuilder_new(&tb, repo, NULL), 0);
		assert_int_equal(
			git_treebuilder_insert(NULL, tb, "VERSION", &blob, GIT_FILEMODE_BLOB), 0);
		assert_int_equal(git_treebuilder_write(&tree_id, tb), 0);
		git_treebuilder_free(tb);
		assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
		assert_int_equal(git_signature_new(&sig, "Dana", "dana@example.com",
						   (git_time_t)(1000 * (i + 1)), 0),
				 0);
		assert_int_equal(git_commit_create_v(&commit_id, repo, "HEAD", sig, sig, NULL,
						     message, tree, parent ? 1 : 0, parent),
				 0);
		git_oid_tostr(shas[i], sizeof(shas[i]), &commit_id);
		git_signature_free(sig);
		git_tree_free(tree);
		git_commit_free(parent);
		assert_int_equal(git_commit_lookup(&parent, repo, &commit_id), 0);
	}
	git_commit_free(parent);
	git_repository_free(repo);
	git_libgit2_shutdown();
}

static struct store_deployment
deployment(const char *id, const char *sha, int64_t started)
{
	struct store_deployment d = {
		.source = "argocd",
		.source_id = id,
		.service = "checkout",
		.environment = "production",
		.status = "success",
		.sha = sha,
		.started_at = started,
		.finished_at = started + 60,
		.updated_at = started + 60,
		.canary_weight = NAN,
		.bake_until = TIME_NONE,
	};
	return d;
}

static void
sync_commits__shipped_commits_and_their_times_come_from_the_clone(void **state)
{
	char name[] = "checkout";
	struct config_service svc = { .name = name };
	struct config cfg = { .services = &svc, .n_services = 1 };
	struct store *store = fresh("commits");
	struct store_deployment first = deployment("app:1", shas[1], 2500);
	struct source_page page;
	struct store_deployment *d;
	char *repo_path = xasprintf("%s/checkout", dir);
	struct dora_commit named[2] = { { shas[3], TIME_NONE }, { "not-a-sha", TIME_NONE } };

	(void)state;
	build_repo(repo_path);
	svc.repo = repo_path;
	assert_int_equal(store_upsert_deployment(store, &first), SUCCESS);

	source_page_init(&page);
	/* Replaces app:1 (at c1): shipped c4, c3, c2. */
	d = source_page_deployment(&page);
	*d = deployment("app:2", shas[4], 5500);
	d->replaces = "app:1";
	/* No replaces: the last deployment started before it on production is app:1. */
	d = source_page_deployment(&page);
	*d = deployment("app:3", shas[2], 3500);
	/* Named commits without times: the clone knows one of them. */
	d = source_page_deployment(&page);
	*d = deployment("app:4", shas[3], 4500);
	d->commits = named;
	d->n_commits = 2;
	/* A sha the clone has never seen. */
	d = source_page_deployment(&page);
	*d = deployment("app:5", "0123456789abcdef0123456789abcdef01234567", 6500);
	/* Another service: no repo configured. */
	d = source_page_deployment(&page);
	*d = deployment("app:6", shas[4], 6600);
	d->service = "search";

	sync_fill_commits(store, &cfg, &page);

	d = &page.deployments[0];
	assert_int_equal(d->n_commits, 3);
	assert_string_equal(d->commits[0].sha, shas[4]);
	assert_int_equal(d->commits[0].committed_at, 5000);
	assert_string_equal(d->commits[1].sha, shas[3]);
	assert_string_equal(d->commits[2].sha, shas[2]);
	assert_int_equal(d->commits[2].committed_at, 3000);

	d = &page.deployments[1];
	assert_int_equal(d->n_commits, 1);
	assert_string_equal(d->commits[0].sha, shas[2]);

	d = &page.deployments[2];
	assert_int_equal(d->n_commits, 2);
	assert_int_equal(d->commits[0].committed_at, 4000);
	assert_int_equal(d->commits[1].committed_at, TIME_NONE);
	assert_int_equal(named[0].committed_at, TIME_NONE); /* the upstream's array untouched */

	assert_int_equal(page.deployments[3].n_commits, 0);
	assert_int_equal(page.deployments[4].n_commits, 0);

	/* Written, the shipped commits are what DORA reads. */
	for (size_t i = 0; i < page.n_deployments; i++)
		assert_int_equal(store_upsert_deployment(store, &page.deployments[i]), SUCCESS);
	source_page_release(&page);
	store_close(&store);
	assert_int_equal(query_int("SELECT count(*) FROM deployment_commits c JOIN deployments d "
				   "ON d.id = c.deployment_id WHERE d.source_id = 'app:2'"),
			 3);
	free(repo_path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sync_commits__shipped_commits_and_their_times_come_from_the_clone),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
