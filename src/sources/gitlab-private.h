/* gitlab-private.h - what the GitLab source's files share (gitlab.c: requests,
 * paging, errors, fields and the watermark; gitlab_pipelines.c; gitlab_deployments.c;
 * gitlab_branches.c).
 * Nothing else includes it. */
#ifndef SITREP_GITLAB_PRIVATE_H
#define SITREP_GITLAB_PRIVATE_H

#include <jansson.h>

#define TYPE "gitlab"
#define PIPELINES "pipelines:"
#define DEPLOYMENTS "deployments:"
#define BRANCHES "branches:"
/* The largest page GitLab serves. */
#define PER_PAGE 100

/* ---- requests ---- */

/* BASE/api/v4/projects/PROJECT (new): the project URL-encoded, "group%2Fname" (a
 * configured url that already ends in /api/v4 is not given a second one). */
char *gl_project_url(const struct source_ctx *ctx, const char *project);
/* Adds the token: PRIVATE-TOKEN or Authorization: Bearer (see gitlab.c). */
void gl_auth(struct source_request *req, const char *secret);
/* A request of stream for page->next, with the token (new). */
struct source_request *gl_request(const struct source_ctx *ctx, const char *stream, char *url);
/* The first list request of a stream: WHAT ("pipelines", "deployments") updated at or
 * after since_ms, oldest update first, a full page (new URL). */
char *gl_list_url(const struct source_ctx *ctx, const char *project, const char *what,
		  int64_t since_ms);
/* The URL of the page after req's (new), or NULL on the last page: Link rel="next"
 * when it stays on the configured url's origin, else X-Next-Page put on req's URL. */
char *gl_next_page_url(const struct source_ctx *ctx, const struct source_request *req,
		       const struct http_response *resp);
/* The configured project of a stream ("pipelines:group/name" → "group/name"). */
const char *gl_stream_project(const char *stream);

/* ---- records ---- */

/* The project as records name it: the configured path, else (a numeric id) the path
 * in web_url, else the id. In page memory. */
const char *gl_project_name(struct source_page *page, const struct source_ctx *ctx,
			    const char *project, const char *web_url);
/* The config's service, else the project's last path segment; in page memory. */
const char *gl_service(struct source_page *page, const struct source_ctx *ctx, const char *project);
/* An absolute http(s) URL, or NULL. */
const char *gl_usable_url(const char *url);

/* ---- instants ---- */

/* GitLab writes milliseconds ("2016-08-11T11:32:35.169Z", or with an offset). */
bool gl_parse_ms(const char *text, int64_t *ms);
/* "2016-08-11T11:32:35.169Z"; buf holds at least GL_MS_TEXT_SIZE bytes. */
#define GL_MS_TEXT_SIZE 32
void gl_format_ms(int64_t ms, char *buf, size_t size);
int64_t gl_seconds(int64_t ms);

/* ---- fields ---- */

/* Where a field is, for errors: "gitlab STREAM: WHAT: FIELD ...", WHAT saying which
 * object ("pipeline 3" of a list, "pipeline 287" read alone, "job 2 of pipeline 287"). */
struct gl_where {
	const char *stream;
	char what[80];
};

enum status_code gl_field_error(const struct gl_where *w, const char *field, const char *what,
				const char *value);
enum status_code gl_wrong_type(const struct gl_where *w, const char *field, const json_t *v,
			       const char *want);
/* A string; absent or null gives NULL unless required. */
enum status_code gl_get_string(const struct gl_where *w, const json_t *obj, const char *key,
			       const char *field, bool required, const char **out);
/* A positive integer id (64 bits: GitLab's job ids are past 2^31). */
enum status_code gl_get_id(const struct gl_where *w, const json_t *obj, const char *key,
			   const char *field, json_int_t *out);
/* An instant in ms; absent or null gives TIME_NONE unless required. */
enum status_code gl_get_ms(const struct gl_where *w, const json_t *obj, const char *key,
			   const char *field, bool required, int64_t *ms);
/* An object; absent or null gives NULL. */
enum status_code gl_get_object(const struct gl_where *w, const json_t *obj, const char *key,
			       const char *field, const json_t **out);

/* ---- the watermark of a list stream ---- */

/* A list is read oldest update first from updated_after=MARK, which GitLab applies
 * as >=: what was updated at or after the mark comes back, and `seen` (id → the
 * updated_at it was read with) tells what is known. See gitlab.c. */
struct gl_mark {
	int64_t mark;	  /* ms, or TIME_NONE before the first item */
	json_t *seen;	  /* {"ID": ms} (new) */
	int64_t newest;	  /* the newest updated_at of the page, ms */
	bool progressed;  /* the page held an item not known before */
	int64_t lag_from; /* the round's clock, ms: the mark stays GL_MARK_LAG behind it */
};

/* The cursor's mark and seen ids (the cursor object is borrowed). */
void gl_mark_load(struct gl_mark *m, const json_t *cursor, int64_t now);
/* Whether the item was read before at this updated_at; remembers it otherwise. */
bool gl_mark_known(struct gl_mark *m, json_int_t id, int64_t updated_ms);
/* Moves the mark over the page and writes updated_after and seen into cursor. */
void gl_mark_store(struct gl_mark *m, json_t *cursor);
void gl_mark_release(struct gl_mark *m);
/* The list request after a page (new), or NULL when the list is read: more pages and
 * something new read, the list again from the moved mark; more pages but nothing new
 * (a block of updates at one instant), the next page as the server links it. */
char *gl_mark_next(const struct source_ctx *ctx, const struct gl_mark *m,
		   const struct source_request *req, const struct http_response *resp,
		   const char *what);

/* The stream's stored cursor as an object (new; empty when none or unreadable). */
json_t *gl_cursor_load(const struct source_ctx *ctx, const char *stream);
/* Puts cursor into page->cursor as compact JSON. */
void gl_cursor_store(struct source_page *page, const json_t *cursor);

/* ---- the streams ---- */

enum status_code gl_plan_pipelines(const struct source_ctx *ctx, const char *project,
				   struct source_request **out, size_t *n);
enum status_code gl_parse_pipelines(const struct source_ctx *ctx, const struct source_request *req,
				    const struct http_response *resp, struct source_page *page);
enum status_code gl_plan_deployments(const struct source_ctx *ctx, const char *project,
				     struct source_request **out, size_t *n);
enum status_code gl_parse_deployments(const struct source_ctx *ctx,
				      const struct source_request *req,
				      const struct http_response *resp, struct source_page *page);
/* gitlab_branches.c: protected branches, read whole every round. */
enum status_code gl_plan_branches(const struct source_ctx *ctx, const char *project,
				  struct source_request **out, size_t *n);
enum status_code gl_parse_branches(const struct source_ctx *ctx, const struct source_request *req,
				   const struct http_response *resp, struct source_page *page);
/* The body parsed as JSON (new), after GitLab's error answers are worded. */
enum status_code gl_response_json(const struct source_request *req,
				  const struct http_response *resp, json_t **root);
/* The backfill of the first round, seconds. */
enum status_code gl_backfill(const struct source_ctx *ctx, int64_t *seconds);

#define GL_MARK_LAG_MS (60 * 1000)

/* The rollback (src/sources/gitlab_rollback.c): the ops' act and acted. */
enum status_code gitlab_rollback_act(const struct source_ctx *ctx,
				     const struct source_action *action,
				     struct source_request **out);
enum status_code gitlab_rollback_acted(const struct source_ctx *ctx,
				       const struct source_action *action,
				       const struct source_request *req,
				       const struct http_response *resp,
				       struct source_request **next, const char **done);

#endif
