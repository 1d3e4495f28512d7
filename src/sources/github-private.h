/* github-private.h - what the files of the GitHub source share: github.c (requests,
 * the cursor and its pass, errors), github_runs.c (workflow runs and their jobs),
 * github_deployments.c (deployments and their statuses), github_branches.c
 * (branches and their protection) and github_checks.c (check runs of a commit). See the top of
 * github.c for the design. Nothing outside src/sources/github*.c includes it. */
#ifndef SITREP_SOURCES_GITHUB_PRIVATE_H
#define SITREP_SOURCES_GITHUB_PRIVATE_H

#include <jansson.h>

#define GH_TYPE "github"
/* The largest page GitHub serves. */
#define GH_PER_PAGE "100"
/* How far back the first pass of a stream goes. */
#define GH_BACKFILL_SECONDS (14 * 86400)
/* Room for a 64-bit id in decimal. */
#define GH_ID_SIZE 24

enum gh_stream {
	GH_RUNS,
	GH_DEPLOYMENTS,
	GH_BRANCHES,
};

/* What one parse call works with. */
struct gh_parse {
	const struct source_ctx *ctx;
	const struct source_request *req;
	const char *stream;  /* "runs:acme/shop" */
	const char *repo;    /* "acme/shop", in stream */
	const char *service; /* the config's service, else the repo's name */
	const char *base;    /* the configured url */
	enum gh_stream kind;
	struct source_page *page;
	json_t *cursor; /* the stream's cursor, always an object (owned) */
	json_t *pass;	/* the pass under way, in cursor (borrowed) */
	bool stop;	/* this list page reached the mark: it is the list's last */
	char where[96]; /* what is being read, for messages: "workflow_runs[3]" */
};

/* ---- github.c: reading upstream JSON, with errors naming stream and field ---- */

/* "github runs:acme/shop: workflow_runs[3]: conclusion <what>", quoting value
 * (sanitized) when not NULL. Returns ERROR_CUSTOM_MESSAGE. */
enum status_code gh_field_error(const struct gh_parse *g, const char *field, const char *what,
				const char *value);
/* A member of obj: absent or null gives NULL (TIME_NONE, -1) unless required; any
 * other type is an error naming the field. Strings are borrowed from obj. */
enum status_code gh_get_string(const struct gh_parse *g, const json_t *obj, const char *key,
			       bool required, const char **out);
enum status_code gh_get_instant(const struct gh_parse *g, const json_t *obj, const char *key,
				bool required, int64_t *out);
enum status_code gh_get_count(const struct gh_parse *g, const json_t *obj, const char *key,
			      bool required, int64_t *out);
/* A required positive integer id, also as decimal text (GitHub's ids pass 2^32;
 * jansson reads them as 64-bit integers, never through a double). */
enum status_code gh_get_id(const struct gh_parse *g, const json_t *obj, const char *key,
			   char text[GH_ID_SIZE], int64_t *id);
/* The login of a user object member (actor, creator), or NULL. */
enum status_code gh_get_login(const struct gh_parse *g, const json_t *obj, const char *key,
			      const char **out);
/* The array member key of a list response object ({"total_count": N, key: [...]}). */
enum status_code gh_list_member(const struct gh_parse *g, const json_t *root, const char *key,
				const json_t **out);

/* Accept, X-GitHub-Api-Version and the token's Authorization. */
void gh_add_headers(const struct source_ctx *ctx, struct source_request *req);
/* A request of stream for url (steals url), with GitHub's headers. */
struct source_request *gh_new_request(const struct source_ctx *ctx, const char *stream, char *url);
/* An upstream error response as an error naming the stream (GitHub's message,
 * a hint for 401/403/404, when a rate limit resets). */
enum status_code gh_http_error(const struct gh_parse *g, const struct http_response *resp);

/* ---- github.c: the cursor and its pass ---- */

/* An id of the cursor ("6804432015") as a number; -1 when it is none. */
int64_t gh_id_value(const char *text);
/* An instant kept in the cursor (epoch seconds), or TIME_NONE when absent. */
int64_t gh_json_time(const json_t *obj, const char *key);
/* Sets key to t, or removes it for TIME_NONE. */
void gh_json_set_time(json_t *obj, const char *key, int64_t t);
/* The oldest instant a first pass reads. */
int64_t gh_floor(const struct gh_parse *g);

/* The pass's list of items to read the details of (jobs, statuses), in order. */
json_t *gh_todo(const struct gh_parse *g);
/* The todo item the page at hand belongs to: the first, which must have id. */
enum status_code gh_todo_current(const struct gh_parse *g, const char *id, const char *what,
				 json_t **item);
void gh_todo_pop(const struct gh_parse *g);
/* The pass's object member key (open, unseen, live), created if need be. */
json_t *gh_pass_object(const struct gh_parse *g, const char *key);
/* Moves the pass's mark (the newest id) and, for runs, since (the newest update). */
void gh_pass_saw(const struct gh_parse *g, const char *id, int64_t updated);
/* Whether a listed item is older than what the last complete pass read (or, in a
 * first pass, than the backfill): the list pages stop there. */
bool gh_before_mark(const struct gh_parse *g, int64_t id, int64_t created);

/* ---- github_runs.c ---- */

/* The normalized status of a run, a job or a check run from GitHub's status and
 * conclusion. */
const char *gh_run_status(const char *status, const char *conclusion);

enum status_code gh_runs_list(struct gh_parse *g, const json_t *root);
/* The list is read: open runs it did not show are read one by one. */
void gh_runs_list_done(struct gh_parse *g);
enum status_code gh_runs_run(struct gh_parse *g, const char *id, const json_t *root);
enum status_code gh_runs_jobs(struct gh_parse *g, const char *id, const json_t *root,
			      const char *next);
/* What the pass reads next of a runs stream (new), or NULL when it is complete. */
char *gh_runs_step(const char *base, const char *repo, const json_t *pass);
char *gh_runs_list_url(const char *base, const char *repo);

/* ---- github_deployments.c ---- */

enum status_code gh_deployments_list(struct gh_parse *g, const json_t *root);
enum status_code gh_deployments_statuses(struct gh_parse *g, const char *id, const json_t *root);
/* A new pass starts by reading the statuses of the deployments still running. */
void gh_deployments_pass_init(const json_t *cursor, json_t *pass);
char *gh_deployments_step(const char *base, const char *repo, const json_t *pass);
char *gh_deployments_list_url(const char *base, const char *repo);

/* ---- github_branches.c: the branches stream ---- */

void gh_branches_plan(const struct source_ctx *ctx, const char *base, const char *repo,
		      struct source_request **out, size_t *n);
/* Any response of the stream (g->repo, base, stream set). */
enum status_code gh_branches_parse(struct gh_parse *g, const struct http_response *resp);

/* ---- github_checks.c: check runs of a commit ---- */

char *gh_checks_url(const char *base, const char *repo, const char *sha);
/* A page of GET .../commits/SHA/check-runs: one check run record each. */
enum status_code gh_checks_page(struct gh_parse *g, const json_t *root);
/* The rollback (src/sources/github_rollback.c): the ops' act and acted. */
enum status_code github_rollback_act(const struct source_ctx *ctx,
				     const struct source_action *action,
				     struct source_request **out);
enum status_code github_rollback_acted(const struct source_ctx *ctx,
				       const struct source_action *action,
				       const struct source_request *req,
				       const struct http_response *resp,
				       struct source_request **next, const char **done);

#endif
