/* commit_info.h - one commit of a local repository in detail, for the console's
 * commit view (src/git/commit_info.c): its whole message, author and date, the files
 * it changed against its first parent with lines added and deleted (as `git show
 * --numstat`), which of some commits contain it, and the web page of the commit on
 * the forge its remote names. */
#ifndef SITREP_COMMIT_INFO_H
#define SITREP_COMMIT_INFO_H

#include "sitrep/sitrep.h"

/* Files kept per commit: a commit touching more says how many were left out. */
#define COMMIT_INFO_MAX_FILES 1000

struct commit_file {
	char *path; /* sanitized; "old => new" for a rename */
	size_t added, deleted;
	bool binary; /* no line counts (numstat's "-") */
};

struct commit_info {
	char hex[41];
	char *author; /* "Name <email>", sanitized */
	int64_t author_time;
	int author_offset; /* minutes east of UTC, as the commit records it */
	char *committer;   /* sanitized */
	int64_t commit_time;
	char *message; /* the whole message, sanitized, newlines kept */
	char (*parents)[41];
	size_t n_parents;
	struct commit_file *files; /* in the diff's order (by path) */
	size_t n_files;
	size_t files_left_out; /* past COMMIT_INFO_MAX_FILES */
	size_t added, deleted; /* over every file */
	char *remote_url;      /* origin's url (else the first remote's), or NULL */
};

/* Reads the commit hex (40 hex digits, or a prefix of 4 or more) of the repository at
 * repo (NULL: the current directory) into *out, diffed against its first parent (a
 * root commit: against nothing). */
enum status_code commit_info_read(struct commit_info *out, const char *repo, const char *hex);
void commit_info_release(struct commit_info *info);

/* contains[i] set when tips[i] (hex, 7 to 40 digits) is hex or has it among its
 * ancestors; a tip the repository lacks contains nothing. */
enum status_code commit_contained_in(const char *repo, const char *hex, const char *const *tips,
				     size_t n, bool *contains);

/* The web page of commit hex on the forge of a remote URL ("git@github.com:acme/x.git",
 * "https://gitlab.example.com/group/x", "ssh://git@host/x.git"): GitLab's (a host
 * naming gitlab) ".../-/commit/HEX", else GitHub's ".../commit/HEX". New, or NULL
 * when the URL names no forge (a local path). Credentials in the URL are dropped. */
char *commit_web_url(const char *remote, const char *hex);
/* The same from the web page of a pipeline that ran on the commit: a GitHub Actions
 * run (".../actions/runs/N") or a GitLab pipeline (".../-/pipelines/N"). */
char *commit_web_url_from_pipeline(const char *pipeline_url, const char *hex);

/* The forge's path of the repository a remote URL names ("acme/checkout", a GitLab
 * "group/sub/project"), as the branches table keys it; new, or NULL. */
char *repo_forge_path(const char *remote);
/* The URL of the repository's origin remote (else its first remote), sanitized; new,
 * or NULL when it has none. */
char *repo_remote_url(const char *repo);

#endif
