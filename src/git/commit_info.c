/* commit_info.c - one commit in detail for the console: message, author, the files it
 * changed against its first parent with their line counts (what `git show --numstat`
 * prints, renames found as git finds them by default), whether deployed commits
 * contain it, and its web page on the forge the repository's remote names.
 *
 * Everything read from the repository is text anyone with push access chose: it is
 * sanitized here, before any caller sees it. Nothing here touches the screen. */
#include "sitrep/sitrep.h"
#include "sitrep/commit_info.h"
#include "sitrep/gitlib.h"
#include "sitrep/text.h"

#include <git2.h>
#include <string.h>

static char *
sanitized(const char *s)
{
	return text_sanitize(s ? s : "", s ? strlen(s) : 0, false);
}

static enum status_code
git_failure(const char *what)
{
	const git_error *e = git_error_last();

	return error("%s: %s", what, e && e->message ? e->message : "unknown libgit2 error");
}

static enum status_code
open_repo(git_repository **repo, const char *path)
{
	if (git_repository_open_ext(repo, path ? path : ".", 0, NULL) < 0)
		return git_failure(path ? path : "the current directory");
	return SUCCESS;
}

/* The commit named by hex (a prefix of 4 or more digits works too). */
static int
lookup(git_commit **out, git_repository *repo, const char *hex)
{
	size_t len = strlen(hex);
	git_oid oid;

	if (len < GIT_OID_MINPREFIXLEN || len > GIT_OID_HEXSZ || git_oid_fromstrn(&oid, hex, len))
		return -1;
	return git_commit_lookup_prefix(out, repo, &oid, len);
}

static char *
signature(const git_signature *sig)
{
	char *raw, *out;

	if (!sig)
		return xstrdup("");
	raw = xasprintf("%s <%s>", sig->name ? sig->name : "", sig->email ? sig->email : "");
	out = sanitized(raw);
	free(raw);
	return out;
}

static void
add_file(struct commit_info *info, size_t *alloc, const git_diff_delta *d, size_t added,
	 size_t deleted)
{
	struct commit_file *f;
	char *raw;

	info->added += added;
	info->deleted += deleted;
	if (info->n_files >= COMMIT_INFO_MAX_FILES) {
		info->files_left_out++;
		return;
	}
	info->files = xgrow(info->files, alloc, info->n_files + 1, sizeof(*info->files));
	f = &info->files[info->n_files++];
	if (d->status == GIT_DELTA_RENAMED && !streq(d->old_file.path, d->new_file.path))
		raw = xasprintf("%s => %s", d->old_file.path, d->new_file.path);
	else
		raw = xstrdup(d->new_file.path ? d->new_file.path : d->old_file.path);
	f->path = sanitized(raw);
	free(raw);
	f->added = added;
	f->deleted = deleted;
	f->binary = (d->flags & GIT_DIFF_FLAG_BINARY) != 0;
}

/* The files of the commit against its first parent, with line counts. */
static enum status_code
read_files(struct commit_info *info, git_repository *repo, git_commit *commit)
{
	git_commit *parent = NULL;
	git_tree *old_tree = NULL, *new_tree = NULL;
	git_diff *diff = NULL;
	git_diff_find_options find;
	enum status_code code = SUCCESS;
	size_t alloc = 0;

	/* renames as git show finds them by default (50% similar) */
	git_diff_find_options_init(&find, GIT_DIFF_FIND_OPTIONS_VERSION);
	find.flags = GIT_DIFF_FIND_RENAMES;
	if ((git_commit_parentcount(commit) > 0 && (git_commit_parent(&parent, commit, 0) < 0 ||
						    git_commit_tree(&old_tree, parent) < 0)) ||
	    git_commit_tree(&new_tree, commit) < 0 ||
	    git_diff_tree_to_tree(&diff, repo, old_tree, new_tree, NULL) < 0 ||
	    git_diff_find_similar(diff, &find) < 0) {
		code = git_failure(info->hex);
		goto out;
	}
	for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
		git_patch *patch = NULL;
		size_t added = 0, deleted = 0;

		if (git_patch_from_diff(&patch, diff, i) < 0) {
			code = git_failure(info->hex);
			goto out;
		}
		if (patch)
			git_patch_line_stats(NULL, &added, &deleted, patch);
		add_file(info, &alloc, git_diff_get_delta(diff, i), added, deleted);
		git_patch_free(patch);
	}
out:
	git_diff_free(diff);
	git_tree_free(old_tree);
	git_tree_free(new_tree);
	git_commit_free(parent);
	return code;
}

/* origin's URL, else the first remote's, or NULL. Read from the config, not through
 * git_remote_lookup and git_remote_list: their regular expressions leak in libgit2
 * 1.5 (as branches.c notes). */
static char *
remote_url(git_repository *repo)
{
	git_config *cfg = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *entry;
	char *url = NULL;

	if (git_repository_config_snapshot(&cfg, repo) < 0)
		return NULL;
	if (git_config_get_entry(&entry, cfg, "remote.origin.url") == 0) {
		url = sanitized(entry->value);
		git_config_entry_free(entry);
	} else if (git_config_iterator_new(&it, cfg) == 0) {
		git_config_entry *e;
		size_t len;

		while (!url && git_config_next(&e, it) == 0) {
			len = strlen(e->name);
			if (!strncmp(e->name, "remote.", 7) && len > 11 &&
			    streq(e->name + len - 4, ".url"))
				url = sanitized(e->value);
		}
		git_config_iterator_free(it);
	}
	git_config_free(cfg);
	return url;
}

static void
read_header(struct commit_info *info, git_commit *commit)
{
	const git_signature *author = git_commit_author(commit);
	const char *message = git_commit_message(commit);

	git_oid_tostr(info->hex, sizeof(info->hex), git_commit_id(commit));
	info->author = signature(author);
	info->author_time = author ? author->when.time : 0;
	info->author_offset = author ? author->when.offset : 0;
	info->committer = signature(git_commit_committer(commit));
	info->commit_time = git_commit_time(commit);
	info->message = text_sanitize(message ? message : "", message ? strlen(message) : 0, true);
	info->n_parents = git_commit_parentcount(commit);
	info->parents = xcalloc(info->n_parents + 1, sizeof(*info->parents));
	for (size_t i = 0; i < info->n_parents; i++)
		git_oid_tostr(info->parents[i], sizeof(info->parents[i]),
			      git_commit_parent_id(commit, (unsigned)i));
}

enum status_code
commit_info_read(struct commit_info *out, const char *path, const char *hex)
{
	git_repository *repo = NULL;
	git_commit *commit = NULL;
	enum status_code code;
	bool ready = gitlib_init();

	memset(out, 0, sizeof(*out));
	if ((code = open_repo(&repo, path)) != SUCCESS)
		goto out;
	if (lookup(&commit, repo, hex) < 0) {
		code = error("%.40s: no such commit in %s", hex, path ? path : ".");
		goto out;
	}
	read_header(out, commit);
	code = read_files(out, repo, commit);
	out->remote_url = remote_url(repo);
out:
	if (code != SUCCESS)
		commit_info_release(out);
	git_commit_free(commit);
	git_repository_free(repo);
	if (ready)
		gitlib_shutdown();
	return code;
}

void
commit_info_release(struct commit_info *info)
{
	free(info->author);
	free(info->committer);
	free(info->message);
	free(info->parents);
	for (size_t i = 0; i < info->n_files; i++)
		free(info->files[i].path);
	free(info->files);
	free(info->remote_url);
	memset(info, 0, sizeof(*info));
}

enum status_code
commit_contained_in(const char *path, const char *hex, const char *const *tips, size_t n,
		    bool *contains)
{
	git_repository *repo = NULL;
	git_commit *commit = NULL;
	enum status_code code;
	bool ready = gitlib_init();

	memset(contains, 0, n * sizeof(*contains));
	if ((code = open_repo(&repo, path)) != SUCCESS)
		goto out;
	if (lookup(&commit, repo, hex) < 0) {
		code = error("%.40s: no such commit in %s", hex, path ? path : ".");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		git_commit *tip = NULL;

		if (!tips[i] || strlen(tips[i]) < 7 || lookup(&tip, repo, tips[i]) < 0)
			continue;
		contains[i] = git_oid_equal(git_commit_id(tip), git_commit_id(commit)) ||
			      git_graph_descendant_of(repo, git_commit_id(tip),
						      git_commit_id(commit)) == 1;
		git_commit_free(tip);
	}
out:
	git_commit_free(commit);
	git_repository_free(repo);
	if (ready)
		gitlib_shutdown();
	return code;
}

/* ---- web pages ---- */

/* Characters a forge's host and path may hold: a URL that needs anything else is not
 * handed to a browser (nor shown as one). */
static bool
url_safe(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
		    !strchr("-._~/:%+", c))
			return false;
	}
	return len > 0;
}

static bool
hex_ok(const char *hex)
{
	size_t len = strlen(hex);

	return len >= 7 && len <= 40 && strspn(hex, "0123456789abcdef") == len;
}

/* A forge's host and repository path in a URL. */
struct forge {
	const char *host, *path;
	size_t host_len, path_len;
};

/* Trims the path of a forge ("/acme/x.git/" -> "acme/x") and checks both parts. */
static bool
forge_clean(struct forge *f)
{
	while (f->path_len && f->path[0] == '/')
		f->path++, f->path_len--;
	while (f->path_len && f->path[f->path_len - 1] == '/')
		f->path_len--;
	if (f->path_len > 4 && !strncmp(f->path + f->path_len - 4, ".git", 4))
		f->path_len -= 4;
	return url_safe(f->host, f->host_len) && url_safe(f->path, f->path_len) &&
	       !memchr(f->host, '/', f->host_len) && memchr(f->path, '/', f->path_len);
}

/* The forge of a remote URL: https://, http://, ssh://, git:// or scp-like
 * [user@]host:path; false for a local path. */
static bool
forge_of_remote(const char *remote, struct forge *f)
{
	const char *end, *at;

	if (!remote)
		return false;
	if (!strncmp(remote, "https://", 8) || !strncmp(remote, "http://", 7) ||
	    !strncmp(remote, "ssh://", 6) || !strncmp(remote, "git://", 6)) {
		bool ssh = remote[0] == 's' || remote[0] == 'g';

		f->host = strstr(remote, "://") + 3;
		end = f->host + strcspn(f->host, "/");
		/* user[:password]@ never leaves this file */
		at = memchr(f->host, '@', (size_t)(end - f->host));
		if (at)
			f->host = at + 1;
		f->path = end;
		/* an ssh port is no web port */
		if (ssh && memchr(f->host, ':', (size_t)(end - f->host)))
			end = memchr(f->host, ':', (size_t)(end - f->host));
	} else {
		/* scp-like: no slash before the colon */
		end = strchr(remote, ':');
		if (!end || memchr(remote, '/', (size_t)(end - remote)))
			return false;
		at = memchr(remote, '@', (size_t)(end - remote));
		f->host = at ? at + 1 : remote;
		f->path = end + 1;
	}
	f->host_len = (size_t)(end - f->host);
	f->path_len = strlen(f->path);
	return forge_clean(f);
}

/* https://HOST/PATH/commit/HEX, GitLab's with "/-/". */
static char *
forge_url(const struct forge *f, const char *hex)
{
	char *host;
	bool gitlab;

	if (!hex_ok(hex))
		return NULL;
	host = xasprintf("%.*s", (int)f->host_len, f->host);
	gitlab = strstr(host, "gitlab") != NULL;
	free(host);
	return xasprintf("https://%.*s/%.*s/%scommit/%s", (int)f->host_len, f->host,
			 (int)f->path_len, f->path, gitlab ? "-/" : "", hex);
}

char *
commit_web_url(const char *remote, const char *hex)
{
	struct forge f;

	return hex && forge_of_remote(remote, &f) ? forge_url(&f, hex) : NULL;
}

char *
repo_forge_path(const char *remote)
{
	struct forge f;

	return forge_of_remote(remote, &f) ? xasprintf("%.*s", (int)f.path_len, f.path) : NULL;
}

char *
repo_remote_url(const char *path)
{
	git_repository *repo = NULL;
	char *url = NULL;
	bool ready = gitlib_init();

	if (git_repository_open_ext(&repo, path ? path : ".", 0, NULL) == 0)
		url = remote_url(repo);
	git_repository_free(repo);
	if (ready)
		gitlib_shutdown();
	return url;
}

char *
commit_web_url_from_pipeline(const char *url, const char *hex)
{
	struct forge f;
	const char *cut;

	if (!url || !hex || (strncmp(url, "https://", 8) && strncmp(url, "http://", 7)))
		return NULL;
	f.host = strstr(url, "://") + 3;
	f.host_len = strcspn(f.host, "/");
	f.path = f.host + f.host_len;
	cut = strstr(f.path, "/actions/runs/");
	if (!cut)
		cut = strstr(f.path, "/-/pipelines/");
	if (!cut)
		cut = strstr(f.path, "/-/jobs/");
	if (!cut)
		return NULL;
	f.path_len = (size_t)(cut - f.path);
	/* a host with credentials is refused by url_safe ('@') */
	return forge_clean(&f) ? forge_url(&f, hex) : NULL;
}
