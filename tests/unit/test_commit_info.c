/* test_commit_info.c - a commit in detail (src/git/commit_info.c) on a repository
 * built here with libgit2: the files each commit changed against its first parent
 * with the lines added and deleted (a root commit, a change, a deletion, a binary
 * file, a rename), the message sanitized with its newlines kept, which commits
 * contain which, the remote, and the forge web pages derived from remote and
 * pipeline URLs. (tests/tui/branches.sh compares the same against git show.) */
#include "sitrep/sitrep.h"
#include "sitrep/commit_info.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
	char dir[64];
	char hex[3][41]; /* root, change, rename */
};

static void
write_file(const char *dir, const char *name, const char *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* Commits the index (after adding add[] and removing del[]) on HEAD. */
static void
commit(git_repository *repo, const char *const *add, const char *const *del, const char *msg,
       int64_t when, char hex[41])
{
	git_index *index;
	git_oid tree_id, id, parent_id;
	git_tree *tree;
	git_commit *parent = NULL;
	git_signature *sig;

	assert_int_equal(git_repository_index(&index, repo), 0);
	for (; add && *add; add++)
		assert_int_equal(git_index_add_bypath(index, *add), 0);
	for (; del && *del; del++)
		assert_int_equal(git_index_remove_bypath(index, *del), 0);
	assert_int_equal(git_index_write(index), 0);
	assert_int_equal(git_index_write_tree(&tree_id, index), 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
	assert_int_equal(git_signature_new(&sig, "Dana \x1b[31mRed", "dana@example.com", when, 60),
			 0);
	if (git_reference_name_to_id(&parent_id, repo, "HEAD") == 0)
		assert_int_equal(git_commit_lookup(&parent, repo, &parent_id), 0);
	assert_int_equal(git_commit_create_v(&id, repo, "HEAD", sig, sig, NULL, msg, tree,
					     parent ? 1 : 0, parent),
			 0);
	git_oid_tostr(hex, 41, &id);
	git_commit_free(parent);
	git_signature_free(sig);
	git_tree_free(tree);
	git_index_free(index);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	git_repository *repo;
	git_config *cfg;
	static const char bin[] = "PNG\0\1\2\3";
	const char *const root_files[] = { "a.txt", "b.txt", "moved.txt", NULL };
	const char *const change_add[] = { "a.txt", "logo.png", NULL };
	const char *const change_del[] = { "b.txt", NULL };
	const char *const rename_add[] = { "docs/moved.txt", NULL };
	const char *const rename_del[] = { "moved.txt", NULL };
	char docs[80];

	git_libgit2_init();
	snprintf(f->dir, sizeof(f->dir), "/tmp/sitrep-commit-info-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(git_repository_init(&repo, f->dir, false), 0);
	write_file(f->dir, "a.txt", "one\ntwo\nthree\n", 14);
	write_file(f->dir, "b.txt", "gone\nsoon\n", 10);
	write_file(f->dir, "moved.txt", "a\nb\nc\nd\ne\nf\ng\nh\n", 16);
	commit(repo, root_files, NULL, "Initial commit\n", 1740900000, f->hex[0]);
	/* one line changed, one added: +2 -1 */
	write_file(f->dir, "a.txt", "one\nTWO\nthree\nfour\n", 19);
	write_file(f->dir, "logo.png", bin, sizeof(bin));
	commit(repo, change_add, change_del,
	       "Change a, add a logo\n\nWhy: the \x1b]0;title\x07logo was missing.\nSecond line.\n",
	       1740900600, f->hex[1]);
	snprintf(docs, sizeof(docs), "%s/docs", f->dir);
	assert_int_equal(mkdir(docs, 0700), 0);
	write_file(f->dir, "docs/moved.txt", "a\nb\nc\nd\ne\nf\ng\nh\n", 16);
	commit(repo, rename_add, rename_del, "Move the notes\n", 1740901200, f->hex[2]);
	/* as git remote add writes it (git_remote_create's regular expressions leak) */
	assert_int_equal(git_repository_config(&cfg, repo), 0);
	assert_int_equal(
		git_config_set_string(cfg, "remote.origin.url", "git@github.com:acme/checkout.git"),
		0);
	git_config_free(cfg);
	git_repository_free(repo);
	*state = f;
	return 0;
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	git_libgit2_shutdown();
	return 0;
}

static const struct commit_file *
file(const struct commit_info *info, const char *path)
{
	for (size_t i = 0; i < info->n_files; i++)
		if (streq(info->files[i].path, path))
			return &info->files[i];
	fail_msg("no file %s among the %zu changed", path, info->n_files);
	return NULL;
}

static void
commit_info__root_commit_against_nothing(void **state)
{
	struct fixture *f = *state;
	struct commit_info info;
	char *remote;

	assert_int_equal(commit_info_read(&info, f->dir, f->hex[0]), SUCCESS);
	assert_string_equal(info.hex, f->hex[0]);
	assert_int_equal(info.n_parents, 0);
	assert_int_equal(info.n_files, 3);
	assert_int_equal(file(&info, "a.txt")->added, 3);
	assert_int_equal(file(&info, "b.txt")->added, 2);
	assert_int_equal(file(&info, "moved.txt")->added, 8);
	assert_int_equal(info.added, 13);
	assert_int_equal(info.deleted, 0);
	assert_string_equal(info.message, "Initial commit\n");
	assert_int_equal(info.author_time, 1740900000);
	assert_int_equal(info.author_offset, 60);
	/* the escape sequence in the name is gone */
	assert_string_equal(info.author, "Dana Red <dana@example.com>");
	assert_string_equal(info.remote_url, "git@github.com:acme/checkout.git");
	commit_info_release(&info);
	remote = repo_remote_url(f->dir);
	assert_string_equal(remote, "git@github.com:acme/checkout.git");
	free(remote);
}

static void
commit_info__change_delete_binary(void **state)
{
	struct fixture *f = *state;
	struct commit_info info;
	const struct commit_file *a, *logo, *b;

	/* a prefix names the commit too */
	char prefix[13];

	snprintf(prefix, sizeof(prefix), "%.12s", f->hex[1]);
	assert_int_equal(commit_info_read(&info, f->dir, prefix), SUCCESS);
	assert_string_equal(info.hex, f->hex[1]);
	assert_int_equal(info.n_parents, 1);
	assert_string_equal(info.parents[0], f->hex[0]);
	assert_int_equal(info.n_files, 3);
	a = file(&info, "a.txt");
	assert_int_equal(a->added, 2);
	assert_int_equal(a->deleted, 1);
	assert_false(a->binary);
	b = file(&info, "b.txt");
	assert_int_equal(b->added, 0);
	assert_int_equal(b->deleted, 2);
	logo = file(&info, "logo.png");
	assert_true(logo->binary);
	assert_int_equal(logo->added + logo->deleted, 0);
	assert_int_equal(info.added, 2);
	assert_int_equal(info.deleted, 3);
	/* the OSC sequence removed, the newlines kept */
	assert_string_equal(info.message,
			    "Change a, add a logo\n\nWhy: the logo was missing.\nSecond line.\n");
	commit_info_release(&info);
}

static void
commit_info__rename(void **state)
{
	struct fixture *f = *state;
	struct commit_info info;

	assert_int_equal(commit_info_read(&info, f->dir, f->hex[2]), SUCCESS);
	assert_int_equal(info.n_files, 1);
	assert_string_equal(info.files[0].path, "moved.txt => docs/moved.txt");
	assert_int_equal(info.files[0].added + info.files[0].deleted, 0);
	commit_info_release(&info);
}

static void
commit_info__unknown_commit_and_repository(void **state)
{
	struct fixture *f = *state;
	struct commit_info info;

	assert_int_equal(
		commit_info_read(&info, f->dir, "0123456789abcdef0123456789abcdef01234567"),
		ERROR_CUSTOM_MESSAGE);
	assert_null(info.message);
	assert_int_equal(commit_info_read(&info, f->dir, "zz"), ERROR_CUSTOM_MESSAGE);
	assert_int_equal(commit_info_read(&info, "/nonexistent/sitrep", f->hex[0]),
			 ERROR_CUSTOM_MESSAGE);
}

/* Without origin: the first remote the config names; without any: none. */
static void
commit_info__remote_without_origin(void **state)
{
	struct fixture *f = *state;
	git_repository *repo;
	git_config *cfg;
	char dir[96], *url;

	snprintf(dir, sizeof(dir), "%s/other", f->dir);
	assert_int_equal(git_repository_init(&repo, dir, false), 0);
	url = repo_remote_url(dir);
	assert_null(url);
	assert_int_equal(git_repository_config(&cfg, repo), 0);
	assert_int_equal(git_config_set_string(cfg, "remote.upstream.url",
					       "https://gitlab.com/group/other.git"),
			 0);
	git_config_free(cfg);
	git_repository_free(repo);
	url = repo_remote_url(dir);
	assert_string_equal(url, "https://gitlab.com/group/other.git");
	free(url);
	assert_null(repo_remote_url("/nonexistent/sitrep"));
}

static void
commit_info__contained_in(void **state)
{
	struct fixture *f = *state;
	const char *tips[] = { f->hex[2], f->hex[0], "deadbeefdeadbeef", NULL, f->hex[1] };
	bool in[5];

	assert_int_equal(commit_contained_in(f->dir, f->hex[1], tips, 5, in), SUCCESS);
	assert_true(in[0]);  /* a descendant */
	assert_false(in[1]); /* its parent */
	assert_false(in[2]); /* not in the repository */
	assert_false(in[3]);
	assert_true(in[4]); /* itself */
}

static void
commit_info__web_url_from_remotes(void **state)
{
	static const struct {
		const char *remote, *url;
	} cases[] = {
		{ "git@github.com:acme/checkout.git", "https://github.com/acme/checkout/commit/" },
		{ "https://github.com/acme/checkout", "https://github.com/acme/checkout/commit/" },
		{ "https://dana:s3cret@gitlab.example.com/group/sub/search.git/",
		  "https://gitlab.example.com/group/sub/search/-/commit/" },
		{ "ssh://git@gitlab.com:2222/group/search.git",
		  "https://gitlab.com/group/search/-/commit/" },
		{ "/srv/git/checkout.git", NULL },
		{ "../checkout", NULL },
		{ "git@github.com:acme/evil name.git", NULL },
		{ "https://github.com/acme/x\"y", NULL },
	};
	const char *hex = "0123456789abcdef0123456789abcdef01234567";
	char *got_path;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = commit_web_url(cases[i].remote, hex);

		if (!cases[i].url) {
			assert_null(got);
			continue;
		}
		assert_non_null(got);
		assert_true(strncmp(got, cases[i].url, strlen(cases[i].url)) == 0);
		assert_string_equal(got + strlen(cases[i].url), hex);
		assert_null(strstr(got, "s3cret"));
		free(got);
	}
	assert_null(commit_web_url("git@github.com:acme/x.git", "not-hex"));
	got_path = repo_forge_path("https://dana:s3cret@gitlab.example.com/group/sub/search.git");
	assert_string_equal(got_path, "group/sub/search");
	free(got_path);
	assert_null(repo_forge_path("/srv/git/checkout.git"));
	assert_null(commit_web_url(NULL, hex));
}

static void
commit_info__web_url_from_pipelines(void **state)
{
	const char *hex = "0123456789abcdef0123456789abcdef01234567";
	char *got;

	(void)state;
	got = commit_web_url_from_pipeline("https://github.com/acme/checkout/actions/runs/42", hex);
	assert_string_equal(got, "https://github.com/acme/checkout/commit/"
				 "0123456789abcdef0123456789abcdef01234567");
	free(got);
	got = commit_web_url_from_pipeline("https://gitlab.com/group/search/-/pipelines/7", hex);
	assert_string_equal(got, "https://gitlab.com/group/search/-/commit/"
				 "0123456789abcdef0123456789abcdef01234567");
	free(got);
	assert_null(commit_web_url_from_pipeline("https://ci.example.com/job/checkout/12/", hex));
	assert_null(commit_web_url_from_pipeline(NULL, hex));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(commit_info__root_commit_against_nothing),
		cmocka_unit_test(commit_info__change_delete_binary),
		cmocka_unit_test(commit_info__rename),
		cmocka_unit_test(commit_info__unknown_commit_and_repository),
		cmocka_unit_test(commit_info__remote_without_origin),
		cmocka_unit_test(commit_info__contained_in),
		cmocka_unit_test(commit_info__web_url_from_remotes),
		cmocka_unit_test(commit_info__web_url_from_pipelines),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
