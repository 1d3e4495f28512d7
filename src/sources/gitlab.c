/* gitlab.c - GitLab CI (REST API v4) as a source: the plan, the requests with
 * their token, paging, GitLab's error answers, the fields' types, and the
 * watermark both streams share. Pipelines with their jobs are read in
 * gitlab_pipelines.c, deployments in gitlab_deployments.c (gitlab-private.h is
 * what the three share).
 *
 * Streams, per configured project (a "group/name" path, URL-encoded as
 * group%2Fname, or a numeric id): "pipelines:PROJECT", "deployments:PROJECT" and
 * "branches:PROJECT" (protected branch rules, gitlab_branches.c).
 *
 * Token. GitLab's personal, project and group access tokens begin with "glpat-"
 * (since GitLab 14.5); those go in a PRIVATE-TOKEN header, as GitLab's API docs
 * show. Anything else is taken for an OAuth 2.0 access token, which GitLab only
 * accepts as Authorization: Bearer; GitLab has accepted access tokens that way too
 * since 12.2, so an older access token without the prefix works as well.
 *
 * The watermark. A list is asked for with updated_after=MARK&order_by=updated_at
 * &sort=asc. GitLab applies updated_after as >= (UpdatedAtFilterable), and its
 * JSON shows milliseconds of a microsecond column, so the items updated at the
 * mark come back every round: the cursor keeps, beside the mark, the id of every
 * item read at or after it with the updated_at it had (`seen`), and an item is new
 * when its id is not there with that updated_at. The mark stays a minute behind
 * the round's clock (GL_MARK_LAG_MS), so a row whose transaction commits a moment
 * after a later one was read is not stepped over; `seen` keeps that minute from
 * being read twice.
 *
 * Paging. Offset pages over a list ordered by updated_at shift while it is read
 * (an item updated meanwhile moves to the end, and the next page starts one
 * item late), so after a page holding something new the list is asked for again
 * from the moved mark rather than at page + 1. Only a page with nothing new on it
 * (more updates at one instant than a page holds) is followed by the server's next
 * page: Link rel="next" when it stays on the configured url's scheme, host and
 * port (the token goes nowhere else), else X-Next-Page put on the request's own
 * URL. X-Total and X-Total-Pages are never read: GitLab leaves them out past
 * 10,000 rows.
 *
 * It must not do I/O or change untrusted text in records (the display sanitizes);
 * error messages, which quote the server, are sanitized. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <ctype.h>
#include <strings.h>

#include "sitrep/config.h"
#include "sitrep/json.h"
#include "sitrep/timestamp.h"
#include "gitlab-private.h"

#define API "/api/v4"
#define ACCESS_TOKEN_PREFIX "glpat-"
/* How far back the first round reads: two weeks of pipelines and deployments. */
#define DEFAULT_BACKFILL (14 * 86400)

/* ---- requests ---- */

void
gl_auth(struct source_request *req, const char *secret)
{
	if (!secret || !*secret)
		return;
	if (strncmp(secret, ACCESS_TOKEN_PREFIX, strlen(ACCESS_TOKEN_PREFIX)) == 0)
		source_request_header(req, "PRIVATE-TOKEN", secret);
	else
		source_request_bearer(req, secret);
}

struct source_request *
gl_request(const struct source_ctx *ctx, const char *stream, char *url)
{
	struct source_request *req = xcalloc(1, sizeof(*req));

	req->stream = xstrdup(stream);
	req->method = xstrdup("GET");
	req->url = url;
	gl_auth(req, ctx->secret);
	return req;
}

/* The configured url without trailing slashes nor a final /api/v4: its length. */
static size_t
base_len(const char *base)
{
	size_t len = strlen(base), api = strlen(API);

	while (len > 0 && base[len - 1] == '/')
		len--;
	if (len >= api && strncmp(base + len - api, API, api) == 0)
		len -= api;
	while (len > 0 && base[len - 1] == '/')
		len--;
	return len;
}

char *
gl_project_url(const struct source_ctx *ctx, const char *project)
{
	const char *base = config_source_get(ctx->config, "url");
	char *escaped = http_escape(project), *url;

	url = xasprintf("%.*s" API "/projects/%s", (int)base_len(base), base, escaped);
	free(escaped);
	return url;
}

char *
gl_list_url(const struct source_ctx *ctx, const char *project, const char *what, int64_t since_ms)
{
	char since[GL_MS_TEXT_SIZE], *escaped, *base, *url;

	gl_format_ms(since_ms, since, sizeof(since));
	escaped = http_escape(since);
	base = gl_project_url(ctx, project);
	url = xasprintf("%s/%s?updated_after=%s&order_by=updated_at&sort=asc&per_page=%d", base,
			what, escaped, PER_PAGE);
	free(base);
	free(escaped);
	return url;
}

const char *
gl_stream_project(const char *stream)
{
	const char *colon = stream ? strchr(stream, ':') : NULL;

	return colon && colon[1] ? colon + 1 : NULL;
}

/* The length of "scheme://host[:port]" at the start of url, or 0. */
static size_t
origin_len(const char *url)
{
	const char *p = strstr(url, "://");

	if (!p)
		return 0;
	p += 3;
	return (size_t)(p - url) + strcspn(p, "/?#");
}

static bool
same_origin(const char *a, const char *b)
{
	size_t la = origin_len(a), lb = origin_len(b);

	return la > 0 && la == lb && strncasecmp(a, b, la) == 0;
}

static bool
all_digits(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* url with its page parameter set to page (new). */
static char *
with_page(const char *url, const char *page)
{
	const char *q = strchr(url, '?'), *p;
	struct buf b;

	buf_init(&b, 0);
	if (!q) {
		buf_printf(&b, "%s?page=%s", url, page);
		return buf_detach(&b);
	}
	buf_add(&b, url, (size_t)(q - url));
	buf_addch(&b, '?');
	for (p = q + 1; *p;) {
		size_t len = strcspn(p, "&#");

		if (!(len >= 5 && strncmp(p, "page=", 5) == 0) && len > 0) {
			buf_add(&b, p, len);
			buf_addch(&b, '&');
		}
		p += len;
		if (*p != '&')
			break;
		p++;
	}
	buf_printf(&b, "page=%s", page);
	return buf_detach(&b);
}

char *
gl_next_page_url(const struct source_ctx *ctx, const struct source_request *req,
		 const struct http_response *resp)
{
	const char *base = config_source_get(ctx->config, "url");
	const char *next = http_header_get(resp, "X-Next-Page");
	char *link = http_link_next(resp);

	if (link && same_origin(link, base))
		return link;
	free(link);
	/* Blank on the last page. */
	while (next && *next == ' ')
		next++;
	return all_digits(next) ? with_page(req->url, next) : NULL;
}

/* ---- records ---- */

const char *
gl_usable_url(const char *url)
{
	if (url && (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0))
		return url;
	return NULL;
}

/* The project path in a GitLab web URL ("https://host/ROOT/group/name/-/jobs/6",
 * or ".../group/name/pipelines/47" before GitLab put /-/ in), or NULL. */
static const char *
path_in_url(struct source_page *page, const char *base, const char *web_url)
{
	size_t origin, root, len;
	const char *p, *end;

	if (!gl_usable_url(web_url) || !(origin = origin_len(web_url)))
		return NULL;
	p = web_url + origin;
	/* A GitLab under a relative URL root (https://host/gitlab) has it in both. */
	root = base_len(base) - origin_len(base);
	if (root > 0 && strncmp(p, base + origin_len(base), root) == 0)
		p += root;
	while (*p == '/')
		p++;
	if (!(end = strstr(p, "/-/")) && !(end = strstr(p, "/pipelines/")) &&
	    !(end = strstr(p, "/jobs/")))
		return NULL;
	len = (size_t)(end - p);
	return len ? source_page_strndup(page, p, len) : NULL;
}

const char *
gl_project_name(struct source_page *page, const struct source_ctx *ctx, const char *project,
		const char *web_url)
{
	const char *path;

	if (!all_digits(project))
		return source_page_strdup(page, project);
	path = path_in_url(page, config_source_get(ctx->config, "url"), web_url);
	return path ? path : source_page_strdup(page, project);
}

const char *
gl_service(struct source_page *page, const struct source_ctx *ctx, const char *project)
{
	const char *service = source_default_service(ctx), *slash;

	if (service && *service)
		return source_page_strdup(page, service);
	slash = strrchr(project, '/');
	return source_page_strdup(page, slash && slash[1] ? slash + 1 : project);
}

/* ---- instants ---- */

bool
gl_parse_ms(const char *text, int64_t *ms)
{
	int64_t sec, frac = 0;
	int digits = 0;

	if (!timestamp_parse(text, &sec))
		return false;
	if (strlen(text) > 20 && text[19] == '.')
		for (const char *p = text + 20; isdigit((unsigned char)*p) && digits < 3; p++) {
			frac = frac * 10 + (*p - '0');
			digits++;
		}
	while (digits++ < 3)
		frac *= 10;
	*ms = sec * 1000 + frac;
	return true;
}

int64_t
gl_seconds(int64_t ms)
{
	if (ms == TIME_NONE)
		return TIME_NONE;
	return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

void
gl_format_ms(int64_t ms, char *buf, size_t size)
{
	char text[TIMESTAMP_TEXT_SIZE];
	int64_t sec = gl_seconds(ms);

	timestamp_format(sec, text, sizeof(text));
	snprintf(buf, size, "%.19s.%03dZ", text, (int)(ms - sec * 1000));
}

/* ---- fields ---- */

enum status_code
gl_field_error(const struct gl_where *w, const char *field, const char *what, const char *value)
{
	char *text;

	if (!value)
		return error(TYPE " %s: %s: %s %s", w->stream, w->what, field, what);
	text = source_error_text(value, strlen(value));
	error(TYPE " %s: %s: %s \"%s\" %s", w->stream, w->what, field, text, what);
	free(text);
	return ERROR_CUSTOM_MESSAGE;
}

enum status_code
gl_wrong_type(const struct gl_where *w, const char *field, const json_t *v, const char *want)
{
	char what[64];

	snprintf(what, sizeof(what), "is %s, not %s", json_type_name(v), want);
	return gl_field_error(w, field, what, NULL);
}

enum status_code
gl_get_string(const struct gl_where *w, const json_t *obj, const char *key, const char *field,
	      bool required, const char **out)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return required ? gl_field_error(w, field, "is missing", NULL) : SUCCESS;
	if (!json_is_string(v))
		return gl_wrong_type(w, field, v, "a string");
	*out = json_string_value(v);
	return SUCCESS;
}

enum status_code
gl_get_id(const struct gl_where *w, const json_t *obj, const char *key, const char *field,
	  json_int_t *out)
{
	const json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return gl_field_error(w, field, "is missing", NULL);
	if (!json_is_integer(v))
		return gl_wrong_type(w, field, v, "an integer");
	if ((*out = json_integer_value(v)) <= 0)
		return gl_field_error(w, field, "is not a positive integer", NULL);
	return SUCCESS;
}

enum status_code
gl_get_ms(const struct gl_where *w, const json_t *obj, const char *key, const char *field,
	  bool required, int64_t *ms)
{
	const char *text;
	enum status_code code;

	*ms = TIME_NONE;
	if ((code = gl_get_string(w, obj, key, field, required, &text)) != SUCCESS || !text)
		return code;
	if (!gl_parse_ms(text, ms))
		return gl_field_error(w, field, "is not a timestamp", text);
	return SUCCESS;
}

enum status_code
gl_get_object(const struct gl_where *w, const json_t *obj, const char *key, const char *field,
	      const json_t **out)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return SUCCESS;
	if (!json_is_object(v))
		return gl_wrong_type(w, field, v, "an object");
	*out = v;
	return SUCCESS;
}

/* ---- the cursor and the watermark ---- */

json_t *
gl_cursor_load(const struct source_ctx *ctx, const char *stream)
{
	const char *text = ctx->cursor ? ctx->cursor(ctx->engine, stream) : NULL;
	json_t *root = text ? json_loads(text, 0, NULL) : NULL;

	/* Anything else starts afresh: a re-read costs a round, never data. */
	if (!json_is_object(root)) {
		json_decref(root);
		root = json_object();
	}
	return root;
}

void
gl_cursor_store(struct source_page *page, const json_t *cursor)
{
	free(page->cursor);
	page->cursor = json_dumps(cursor, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

void
gl_mark_load(struct gl_mark *m, const json_t *cursor, int64_t now)
{
	const json_t *seen = json_object_get(cursor, "seen");
	const char *mark = json_string_value(json_object_get(cursor, "updated_after"));

	memset(m, 0, sizeof(*m));
	m->mark = m->newest = TIME_NONE;
	if (mark && !gl_parse_ms(mark, &m->mark))
		m->mark = TIME_NONE;
	m->seen = json_is_object(seen) ? json_deep_copy(seen) : json_object();
	m->lag_from = now * 1000;
}

bool
gl_mark_known(struct gl_mark *m, json_int_t id, int64_t updated_ms)
{
	const json_t *v;
	char key[24];

	snprintf(key, sizeof(key), "%lld", (long long)id);
	if (m->newest == TIME_NONE || updated_ms > m->newest)
		m->newest = updated_ms;
	v = json_object_get(m->seen, key);
	if (json_is_integer(v) && json_integer_value(v) == updated_ms)
		return true;
	json_object_set_new(m->seen, key, json_integer(updated_ms));
	m->progressed = true;
	return false;
}

void
gl_mark_store(struct gl_mark *m, json_t *cursor)
{
	int64_t mark = m->newest, limit = m->lag_from - GL_MARK_LAG_MS;
	char text[GL_MS_TEXT_SIZE];
	const char *key;
	json_t *v, *kept;

	if (mark != TIME_NONE && m->lag_from > 0 && mark > limit)
		mark = limit;
	/* Only forward: a server that ignored updated_after must not move it back. */
	if (mark == TIME_NONE || (m->mark != TIME_NONE && mark < m->mark))
		mark = m->mark;
	m->mark = mark;
	if (mark == TIME_NONE)
		return; /* nothing read, ever: the cursor stays as it is */
	/* What was updated before the mark never comes back. */
	kept = json_object();
	json_object_foreach(m->seen, key, v)
	{
		if (json_is_integer(v) && json_integer_value(v) >= mark)
			json_object_set(kept, key, v);
	}
	json_decref(m->seen);
	m->seen = kept;
	gl_format_ms(mark, text, sizeof(text));
	json_object_set_new(cursor, "updated_after", json_string(text));
	json_object_set(cursor, "seen", m->seen);
}

void
gl_mark_release(struct gl_mark *m)
{
	json_decref(m->seen);
	m->seen = NULL;
}

char *
gl_mark_next(const struct source_ctx *ctx, const struct gl_mark *m,
	     const struct source_request *req, const struct http_response *resp, const char *what)
{
	char *next = gl_next_page_url(ctx, req, resp), *again;

	if (!next || !m->progressed || m->mark == TIME_NONE)
		return next;
	again = gl_list_url(ctx, gl_stream_project(req->stream), what, m->mark);
	/* The same first page again would hold nothing new: its next page then. */
	if (streq(again, req->url)) {
		free(again);
		return next;
	}
	free(next);
	return again;
}

/* ---- errors ---- */

static const char *
status_hint(long status)
{
	switch (status) {
	case 401:
		return " (check the token)";
	case 403:
		return " (the token needs the read_api scope)";
	case 404:
		return " (check url and project: GitLab answers 404 for a project the token "
		       "cannot see)";
	case 429:
		return " (rate limited by GitLab)";
	default:
		return status >= 500 ? " (a GitLab server error)" : "";
	}
}

/* RateLimit-Reset is an absolute epoch second. */
static void
reset_note(const struct http_response *resp, char *buf, size_t size)
{
	const char *reset = http_header_get(resp, "RateLimit-Reset");
	char when[TIMESTAMP_TEXT_SIZE];
	int64_t at;

	buf[0] = '\0';
	if (resp->status == 429 && all_digits(reset) && timestamp_parse(reset, &at)) {
		timestamp_format(at, when, sizeof(when));
		snprintf(buf, size, "; the rate limit resets at %s", when);
	}
}

/* GitLab's errors are {"message": "401 Unauthorized"}, a message that is an object
 * of field errors, or {"error": "..."} (a bad parameter); Rack::Attack's 429 and a
 * proxy's pages are text. */
static enum status_code
http_error(const struct source_request *req, const struct http_response *resp)
{
	json_t *root = json_loadb(resp->body, resp->body_len, 0, NULL);
	const json_t *msg = json_object_get(root, "message");
	char note[96], *dumped = NULL, *text;
	size_t len;

	if (!msg)
		msg = json_object_get(root, "error");
	if (json_is_string(msg))
		text = source_error_text(json_string_value(msg), json_string_length(msg));
	else if (msg && (dumped = json_dumps(msg, JSON_COMPACT)))
		text = source_error_text(dumped, strlen(dumped));
	else
		text = source_error_text(resp->body, resp->body_len);
	/* A text body ends in a newline, which sanitizing made a space. */
	for (len = strlen(text); len > 0 && text[len - 1] == ' '; len--)
		text[len - 1] = '\0';
	reset_note(resp, note, sizeof(note));
	error(TYPE " %s: HTTP %ld: %s%s%s", req->stream, resp->status,
	      *text ? text : "(empty body)", status_hint(resp->status), note);
	free(text);
	free(dumped);
	json_decref(root);
	return ERROR_CUSTOM_MESSAGE;
}

enum status_code
gl_response_json(const struct source_request *req, const struct http_response *resp, json_t **root)
{
	enum status_code code;

	*root = NULL;
	if (resp->status != 200 && resp->status != 0 && !resp->too_big)
		return http_error(req, resp);
	if ((code = source_check_response(TYPE, req->stream, resp)) != SUCCESS)
		return code;
	return source_parse_json(TYPE, req->stream, resp, root);
}

/* ---- plan and parse ---- */

enum status_code
gl_backfill(const struct source_ctx *ctx, int64_t *seconds)
{
	const char *text = config_source_get(ctx->config, "backfill");
	char *safe;

	*seconds = DEFAULT_BACKFILL;
	if (!text || (duration_parse(text, seconds) && *seconds > 0))
		return SUCCESS;
	safe = source_error_text(text, strlen(text));
	error(TYPE " %s: backfill \"%s\" is not a positive duration", ctx->name, safe);
	free(safe);
	return ERROR_CUSTOM_MESSAGE;
}

static enum status_code
gitlab_plan(const struct source_ctx *ctx, struct source_request **out, size_t *n)
{
	const char *base = ctx->config ? config_source_get(ctx->config, "url") : NULL;
	enum status_code code;
	size_t projects = 0;
	int64_t backfill;

	if (!base || !*base)
		return error(TYPE " %s: no url configured", ctx->name);
	if ((code = gl_backfill(ctx, &backfill)) != SUCCESS)
		return code;
	for (size_t i = 0; i < ctx->config->n_values; i++) {
		const struct config_value *v = &ctx->config->values[i];

		if (!streq(v->key, "project"))
			continue;
		if (!v->value || !*v->value)
			return error(TYPE " %s: an empty project (line %d)", ctx->name, v->line);
		if ((code = gl_plan_pipelines(ctx, v->value, out, n)) != SUCCESS ||
		    (code = gl_plan_deployments(ctx, v->value, out, n)) != SUCCESS ||
		    (code = gl_plan_branches(ctx, v->value, out, n)) != SUCCESS)
			return code;
		projects++;
	}
	if (projects == 0)
		return error(TYPE " %s: no project configured", ctx->name);
	return SUCCESS;
}

static enum status_code
gitlab_parse(const struct source_ctx *ctx, const struct source_request *req,
	     const struct http_response *resp, struct source_page *page)
{
	if (!gl_stream_project(req->stream))
		return error(TYPE " %s: not a stream of this source", req->stream);
	if (strncmp(req->stream, PIPELINES, strlen(PIPELINES)) == 0)
		return gl_parse_pipelines(ctx, req, resp, page);
	if (strncmp(req->stream, DEPLOYMENTS, strlen(DEPLOYMENTS)) == 0)
		return gl_parse_deployments(ctx, req, resp, page);
	if (strncmp(req->stream, BRANCHES, strlen(BRANCHES)) == 0)
		return gl_parse_branches(ctx, req, resp, page);
	return error(TYPE " %s: not a stream of this source", req->stream);
}

const struct source_ops source_gitlab_ops = {
	.type = TYPE,
	.plan = gitlab_plan,
	.parse = gitlab_parse,
	.act = gitlab_rollback_act,
	.acted = gitlab_rollback_acted,
};
