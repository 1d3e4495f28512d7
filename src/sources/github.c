/* github.c - GitHub Actions workflow runs as pipelines (their jobs the stages) and
 * GitHub Deployments as deployments, for each configured repository: the streams
 * "runs:OWNER/NAME" and "deployments:OWNER/NAME". This file holds the requests,
 * the cursor and its pass, and the errors; github_runs.c and github_deployments.c
 * read the payloads. A third stream, "branches:OWNER/NAME" (branches, their
 * protection and the check runs of their heads), has a pass of its own: see
 * github_branches.c.
 *
 * Requests carry Accept: application/vnd.github+json, X-GitHub-Api-Version:
 * 2022-11-28, and Authorization: Bearer TOKEN when a token is configured (public
 * repositories are readable without one, at 60 requests an hour). Lists are read
 * newest first, 100 a page, following the Link header's rel="next" as given (GitHub
 * switches to /repositories/ID/... paths there).
 *
 * Passes. A stream is read in passes: the list down to what the last complete pass
 * saw (its mark, the newest id; a first pass goes back 14 days), and the details of
 * what is new or changed there: a run's jobs (GET .../actions/runs/ID/jobs), a
 * deployment's statuses (GET .../deployments/ID/statuses). Details are further
 * pages of the same stream (page->next), not streams of their own: the engine plans
 * every stream's first request before it makes any, and which details to read is
 * known only once the list is. A record is written whole by its detail page, never
 * from the list: the store replaces a pipeline's stages with every write, and a run
 * written without them would lose the ones it had.
 *
 * The pass lives in the cursor, committed with every page: the items still to read
 * (todo, each holding the fields its record needs), the next list page, and what the
 * pass has seen (mark, open items). The cursor is thus the round's to-do list: a
 * round that stops half-way (an error, a kill, a spent rate limit) leaves the pass
 * in it, and the next round's plan resumes it at the request where it stopped. Only
 * the last page of a pass replaces the marks of the last complete one, so what a
 * broken pass would have read is read by the pass that resumes it.
 *
 * Conditional requests. The engine sends a stream's stored ETag with the stream's
 * first request, and GitHub answers 304, which costs no rate limit, when the list's
 * first page is unchanged: nothing new, no listed run changed. The list's first page
 * says its validators stand for the stream, detail pages that theirs never do
 * (source_page.validators), and the engine stores them only once the round has read
 * the stream to its end, so the stored ETag is the list's first page's however many
 * detail pages came before or after it. A round
 * resuming a pass starts with the pass's next request, not with the list, so a pass
 * that broke off is never cut short by a 304 of the page it started from.
 *
 * Runs change after they are listed: a run is read again (jobs, pipeline rewritten)
 * when its updated_at is newer than the newest the last complete pass saw (since),
 * or differs from what it was when a pass last saw it open (open: id -> updated_at).
 * Open runs that the pages read no longer show (a long wait for approval in a busy
 * repository) are read one by one (GET .../actions/runs/ID) at the end of the pass,
 * that is in a round whose list changed (after a 304 they wait for the next change).
 * A re-run keeps its id and its place in the list: it is seen if it is on the pages
 * a pass reads. Deployments are immutable, but the list may not show that one got a
 * new status, so a pass starts with the statuses of the deployments still running
 * at the end of the last one; while some run, the list is not the round's first
 * request and forgoes the 304. See github_runs.c and github_deployments.c. A detail
 * answered 404 is dropped as deleted only once the repository itself reads fine
 * (see detail_missing).
 *
 * Rate limits. A spent primary limit (403 or 429 with X-RateLimit-Remaining: 0 and
 * X-RateLimit-Reset, an epoch second) and a secondary one (403 or 429 with
 * Retry-After) are retried by the engine when the wait is short (http_retryable and
 * http_rate_limit_reset); otherwise the round fails with an error saying when the
 * limit resets, and the next round resumes the pass.
 *
 * It must not do I/O or change untrusted text in records (the display sanitizes);
 * error messages, which quote the server, are sanitized. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include "sitrep/config.h"
#include "sitrep/json.h"
#include "sitrep/timestamp.h"

#include "github-private.h"

#define API_VERSION "2022-11-28"
/* Names, in the fragment of the repository's URL, the item whose 404 it checks. */
#define GONE_FRAGMENT "#sitrep-gone="
#define MEDIA_TYPE "application/vnd.github+json"

/* ---- reading upstream JSON ---- */

enum status_code
gh_field_error(const struct gh_parse *g, const char *field, const char *what, const char *value)
{
	char *text;

	if (!value)
		return error(GH_TYPE " %s: %s: %s %s", g->stream, g->where, field, what);
	text = source_error_text(value, strlen(value));
	error(GH_TYPE " %s: %s: %s \"%s\" %s", g->stream, g->where, field, text, what);
	free(text);
	return ERROR_CUSTOM_MESSAGE;
}

static enum status_code
wrong_type(const struct gh_parse *g, const char *field, const json_t *v, const char *want)
{
	char what[64];

	snprintf(what, sizeof(what), "is %s, not %s", json_type_name(v), want);
	return gh_field_error(g, field, what, NULL);
}

enum status_code
gh_get_string(const struct gh_parse *g, const json_t *obj, const char *key, bool required,
	      const char **out)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return required ? gh_field_error(g, key, "is missing", NULL) : SUCCESS;
	if (!json_is_string(v))
		return wrong_type(g, key, v, "a string");
	*out = json_string_value(v);
	return SUCCESS;
}

enum status_code
gh_get_instant(const struct gh_parse *g, const json_t *obj, const char *key, bool required,
	       int64_t *out)
{
	const char *text;
	enum status_code code;

	*out = TIME_NONE;
	if ((code = gh_get_string(g, obj, key, required, &text)) != SUCCESS || !text)
		return code;
	if (!timestamp_parse(text, out))
		return gh_field_error(g, key, "is not a timestamp", text);
	return SUCCESS;
}

enum status_code
gh_get_count(const struct gh_parse *g, const json_t *obj, const char *key, bool required,
	     int64_t *out)
{
	const json_t *v = json_object_get(obj, key);

	*out = -1;
	if (!v || json_is_null(v))
		return required ? gh_field_error(g, key, "is missing", NULL) : SUCCESS;
	if (!json_is_integer(v))
		return wrong_type(g, key, v, "an integer");
	if (json_integer_value(v) < 0)
		return gh_field_error(g, key, "is negative", NULL);
	*out = (int64_t)json_integer_value(v);
	return SUCCESS;
}

enum status_code
gh_get_id(const struct gh_parse *g, const json_t *obj, const char *key, char text[GH_ID_SIZE],
	  int64_t *id)
{
	enum status_code code;

	if ((code = gh_get_count(g, obj, key, true, id)) != SUCCESS)
		return code;
	if (*id == 0)
		return gh_field_error(g, key, "is 0", NULL);
	snprintf(text, GH_ID_SIZE, "%lld", (long long)*id);
	return SUCCESS;
}

enum status_code
gh_get_login(const struct gh_parse *g, const json_t *obj, const char *key, const char **out)
{
	const json_t *user = json_object_get(obj, key), *login;
	char field[64];

	*out = NULL;
	if (!user || json_is_null(user))
		return SUCCESS;
	if (!json_is_object(user))
		return wrong_type(g, key, user, "an object");
	login = json_object_get(user, "login");
	snprintf(field, sizeof(field), "%s.login", key);
	if (login && !json_is_null(login) && !json_is_string(login))
		return wrong_type(g, field, login, "a string");
	*out = json_string_value(login);
	return SUCCESS;
}

enum status_code
gh_list_member(const struct gh_parse *g, const json_t *root, const char *key, const json_t **out)
{
	*out = json_is_object(root) ? json_object_get(root, key) : NULL;
	if (!json_is_object(root))
		return error(GH_TYPE " %s: the response is %s, not an object with %s", g->stream,
			     json_type_name(root), key);
	if (!*out)
		return error(GH_TYPE " %s: the response has no %s", g->stream, key);
	if (!json_is_array(*out))
		return error(GH_TYPE " %s: %s is %s, not an array", g->stream, key,
			     json_type_name(*out));
	return SUCCESS;
}

/* ---- requests ---- */

void
gh_add_headers(const struct source_ctx *ctx, struct source_request *req)
{
	source_request_header(req, "Accept", MEDIA_TYPE);
	source_request_header(req, "X-GitHub-Api-Version", API_VERSION);
	source_request_bearer(req, ctx->secret);
}

struct source_request *
gh_new_request(const struct source_ctx *ctx, const char *stream, char *url)
{
	struct source_request *req = xcalloc(1, sizeof(*req));

	req->stream = xstrdup(stream);
	req->method = xstrdup("GET");
	req->url = url;
	gh_add_headers(ctx, req);
	return req;
}

static const char *
base_url(const struct source_ctx *ctx)
{
	return ctx->config ? config_source_get(ctx->config, "url") : NULL;
}

static const char *
config_service(const struct source_ctx *ctx)
{
	if (!ctx->config)
		return NULL;
	return ctx->config->service ? ctx->config->service
				    : config_source_get(ctx->config, "service");
}

static bool
repo_char(char c, bool owner)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || (!owner && (c == '.' || c == '_'));
}

/* OWNER/NAME as GitHub allows them: letters, digits and '-' in the owner, also '.'
 * and '_' in the name; so they go into a URL path as they are. */
static bool
valid_repo(const char *repo)
{
	const char *slash = repo ? strchr(repo, '/') : NULL, *p;

	if (!slash || slash == repo || !slash[1] || streq(slash + 1, ".") || streq(slash + 1, ".."))
		return false;
	for (p = repo; p < slash; p++)
		if (!repo_char(*p, true))
			return false;
	for (p = slash + 1; *p; p++)
		if (!repo_char(*p, false))
			return false;
	return true;
}

/* ---- the cursor and its pass ---- */

int64_t
gh_id_value(const char *text)
{
	int64_t n = 0;
	const char *p;

	if (!text || !*text || strlen(text) > 18)
		return -1;
	for (p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		n = n * 10 + (*p - '0');
	}
	return n;
}

int64_t
gh_json_time(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : TIME_NONE;
}

void
gh_json_set_time(json_t *obj, const char *key, int64_t t)
{
	if (t == TIME_NONE)
		json_object_del(obj, key);
	else
		json_object_set_new(obj, key, json_integer((json_int_t)t));
}

int64_t
gh_floor(const struct gh_parse *g)
{
	return g->ctx->now - GH_BACKFILL_SECONDS;
}

/* A pass read back from the cursor must have the shape this file writes: anything
 * else (a cursor edited by hand, or of another version) is dropped, and a new pass
 * starts: a pass read again costs requests, a wrong one could lose records. */
static bool
valid_pass(const json_t *pass)
{
	const json_t *todo = json_object_get(pass, "todo"), *item;
	const json_t *next = json_object_get(pass, "next");
	size_t i;

	if (!json_is_object(pass) || !json_is_array(todo) || (next && !json_is_string(next)))
		return false;
	json_array_foreach(todo, i, item)
	{
		if (!json_is_object(item) ||
		    gh_id_value(json_string_value(json_object_get(item, "id"))) <= 0)
			return false;
	}
	return true;
}

/* {"mark", "since", "open", "live"} of the last complete pass, and "pass" while one
 * is under way. An absent or unreadable cursor is an empty object (a first pass). */
static json_t *
cursor_load(const struct source_ctx *ctx, const char *stream)
{
	const char *text = ctx->cursor ? ctx->cursor(ctx->engine, stream) : NULL;
	json_t *root = text ? json_loads(text, 0, NULL) : NULL;

	if (!json_is_object(root)) {
		json_decref(root);
		return json_object();
	}
	if (json_object_get(root, "pass") && !valid_pass(json_object_get(root, "pass")))
		json_object_del(root, "pass");
	return root;
}

/* Starts a pass: the marks carried over, nothing read yet. */
static json_t *
pass_new(json_t *cursor, enum gh_stream kind)
{
	json_t *pass = json_object(), *v;

	if ((v = json_object_get(cursor, "mark")))
		json_object_set(pass, "mark", v);
	if ((v = json_object_get(cursor, "since")))
		json_object_set(pass, "since", v);
	json_object_set_new(pass, "todo", json_array());
	json_object_set_new(pass, "listed", json_false());
	if (kind == GH_RUNS) {
		v = json_object_get(cursor, "open");
		json_object_set_new(pass, "unseen",
				    json_is_object(v) ? json_deep_copy(v) : json_object());
	} else {
		gh_deployments_pass_init(cursor, pass);
	}
	json_object_set_new(cursor, "pass", pass);
	return pass;
}

/* The pass under way, or a new one. */
static json_t *
pass_open(json_t *cursor, enum gh_stream kind)
{
	json_t *pass = json_object_get(cursor, "pass");

	return pass ? pass : pass_new(cursor, kind);
}

json_t *
gh_todo(const struct gh_parse *g)
{
	return json_object_get(g->pass, "todo");
}

enum status_code
gh_todo_current(const struct gh_parse *g, const char *id, const char *what, json_t **item)
{
	*item = json_array_get(gh_todo(g), 0);
	if (!*item || !streq(json_string_value(json_object_get(*item, "id")), id))
		return error(GH_TYPE " %s: %s %s: not what this pass reads next", g->stream, what,
			     id);
	return SUCCESS;
}

void
gh_todo_pop(const struct gh_parse *g)
{
	json_array_remove(gh_todo(g), 0);
}

json_t *
gh_pass_object(const struct gh_parse *g, const char *key)
{
	json_t *obj = json_object_get(g->pass, key);

	if (!json_is_object(obj)) {
		obj = json_object();
		json_object_set_new(g->pass, key, obj);
	}
	return obj;
}

void
gh_pass_saw(const struct gh_parse *g, const char *id, int64_t updated)
{
	int64_t since = gh_json_time(g->pass, "since");

	if (gh_id_value(id) > gh_id_value(json_string_value(json_object_get(g->pass, "mark"))))
		json_object_set_new(g->pass, "mark", json_string(id));
	if (g->kind == GH_RUNS && updated != TIME_NONE && (since == TIME_NONE || updated > since))
		gh_json_set_time(g->pass, "since", updated);
}

bool
gh_before_mark(const struct gh_parse *g, int64_t id, int64_t created)
{
	int64_t mark = gh_id_value(json_string_value(json_object_get(g->cursor, "mark")));

	return mark > 0 ? id <= mark : created < gh_floor(g);
}

/* What the pass reads next (new), or NULL when it is complete. */
static char *
step_url(const char *base, const char *repo, enum gh_stream kind, const json_t *pass)
{
	return kind == GH_RUNS ? gh_runs_step(base, repo, pass)
			       : gh_deployments_step(base, repo, pass);
}

static char *
list_url(const char *base, const char *repo, enum gh_stream kind)
{
	return kind == GH_RUNS ? gh_runs_list_url(base, repo) : gh_deployments_list_url(base, repo);
}

/* The pass is complete: its marks become the cursor's. */
static void
pass_finish(json_t *cursor)
{
	json_t *pass = json_object_get(cursor, "pass");
	static const char *const keys[] = { "mark", "since", "open", "live" };

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		json_t *v = json_object_get(pass, keys[i]);

		if (v)
			json_object_set(cursor, keys[i], v);
		else
			json_object_del(cursor, keys[i]);
	}
	json_object_del(cursor, "pass");
}

/* ---- plan ---- */

static const char *const stream_prefix[] = { "runs:", "deployments:", "branches:" };

static void
plan_stream(const struct source_ctx *ctx, const char *base, const char *repo, enum gh_stream kind,
	    struct source_request **out, size_t *n)
{
	char *stream = xasprintf("%s%s", stream_prefix[kind], repo);
	json_t *cursor = cursor_load(ctx, stream);
	char *url = step_url(base, repo, kind, pass_open(cursor, kind));
	struct source_request *req;

	req = source_request_add(out, n, stream, "GET", url ? url : list_url(base, repo, kind));
	gh_add_headers(ctx, req);
	json_decref(cursor);
	free(stream);
}

static enum status_code
github_plan(const struct source_ctx *ctx, struct source_request **out, size_t *n)
{
	const char *base = base_url(ctx);
	size_t i, repos = 0;

	if (!base || !*base)
		return error(GH_TYPE " %s: no url configured", ctx->name);
	for (i = 0; i < ctx->config->n_values; i++) {
		const struct config_value *v = &ctx->config->values[i];
		char *text;

		if (!streq(v->key, "repo"))
			continue;
		if (!valid_repo(v->value)) {
			text = source_error_text(v->value, v->value ? strlen(v->value) : 0);
			error(GH_TYPE " %s: repo \"%s\" is not OWNER/NAME (line %d)", ctx->name,
			      text, v->line);
			free(text);
			return ERROR_CUSTOM_MESSAGE;
		}
		plan_stream(ctx, base, v->value, GH_RUNS, out, n);
		plan_stream(ctx, base, v->value, GH_DEPLOYMENTS, out, n);
		gh_branches_plan(ctx, base, v->value, out, n);
		repos++;
	}
	if (repos == 0)
		return error(GH_TYPE " %s: no repo configured", ctx->name);
	return SUCCESS;
}

/* ---- what a request is ---- */

enum page_kind {
	PAGE_OTHER,
	PAGE_RUNS,	  /* .../actions/runs */
	PAGE_RUN,	  /* .../actions/runs/ID */
	PAGE_JOBS,	  /* .../actions/runs/ID/jobs */
	PAGE_DEPLOYMENTS, /* .../deployments */
	PAGE_STATUSES,	  /* .../deployments/ID/statuses */
	PAGE_REPOSITORY,  /* /repos/OWNER/NAME#sitrep-gone=ID, after a detail's 404 */
};

/* Whether path (of len bytes) ends in "/<digits><tail>", taking the digits. */
static bool
ends_with_id(const char *path, size_t len, const char *prefix, const char *tail,
	     char id[GH_ID_SIZE])
{
	size_t tl = strlen(tail), pl = strlen(prefix), end, start;

	if (len < tl || memcmp(path + len - tl, tail, tl) != 0)
		return false;
	end = len - tl;
	for (start = end; start > 0 && path[start - 1] >= '0' && path[start - 1] <= '9';)
		start--;
	if (start == end || end - start >= GH_ID_SIZE || start < pl ||
	    memcmp(path + start - pl, prefix, pl) != 0)
		return false;
	memcpy(id, path + start, end - start);
	id[end - start] = '\0';
	return true;
}

static bool
ends_with(const char *path, size_t len, const char *tail)
{
	size_t tl = strlen(tail);

	return len >= tl && memcmp(path + len - tl, tail, tl) == 0;
}

/* By the URL's path alone: Link URLs may name the repository by number. */
static enum page_kind
page_kind(const char *url, char id[GH_ID_SIZE])
{
	const char *p = strstr(url, "://"), *path;
	size_t len;

	path = p ? strchr(p + 3, '/') : url;
	if (!path)
		return PAGE_OTHER;
	len = strcspn(path, "?#");
	id[0] = '\0';
	if (strstr(path, GONE_FRAGMENT))
		return PAGE_REPOSITORY;
	if (ends_with(path, len, "/actions/runs"))
		return PAGE_RUNS;
	if (ends_with_id(path, len, "/actions/runs/", "/jobs", id))
		return PAGE_JOBS;
	if (ends_with_id(path, len, "/actions/runs/", "", id))
		return PAGE_RUN;
	if (ends_with(path, len, "/deployments"))
		return PAGE_DEPLOYMENTS;
	if (ends_with_id(path, len, "/deployments/", "/statuses", id))
		return PAGE_STATUSES;
	return PAGE_OTHER;
}

/* ---- errors ---- */

static const char *
status_hint(long status, bool limited)
{
	if (limited)
		return "";
	switch (status) {
	case 401:
		return " (check the token)";
	case 403:
		return " (the token needs read access to Actions and Deployments)";
	case 404:
		return " (check the repo, and that the token may read it: GitHub answers 404 "
		       "for a private repo it does not show)";
	default:
		return "";
	}
}

/* When a rate limit lets us back in, as a note for the error. Both limits answer
 * 403 or 429: the primary one with X-RateLimit-Remaining: 0 and the reset as an
 * epoch second, the secondary one with Retry-After, or neither ("wait at least a
 * minute", GitHub's rule then). */
static bool
limit_note(const struct source_ctx *ctx, const struct http_response *resp, const char *message,
	   char *buf, size_t size)
{
	char when[TIMESTAMP_TEXT_SIZE];
	int64_t reset = http_rate_limit_reset(resp), wait = http_retry_after(resp, ctx->now);

	buf[0] = '\0';
	if (resp->status != 403 && resp->status != 429)
		return false;
	if (wait >= 0) {
		timestamp_format(ctx->now + wait, when, sizeof(when));
		snprintf(buf, size, "; rate limited: retry after %s", when);
	} else if (reset >= 0) {
		timestamp_format(reset, when, sizeof(when));
		snprintf(buf, size, "; the rate limit resets at %s", when);
	} else if (resp->status == 429 || (message && strstr(message, "rate limit"))) {
		snprintf(buf, size, "; rate limited: retry in a minute or more");
	}
	return buf[0] != '\0';
}

/* GitHub's errors are {"message": "...", "documentation_url": "..."}; a proxy in
 * front may send anything. */
enum status_code
gh_http_error(const struct gh_parse *g, const struct http_response *resp)
{
	json_t *root = json_loadb(resp->body ? resp->body : "", resp->body_len, 0, NULL);
	const char *msg = json_string_value(json_object_get(root, "message"));
	enum status_code code;
	bool limited;
	char note[96], *text;
	size_t len;

	limited = limit_note(g->ctx, resp, msg, note, sizeof(note));
	text = msg ? source_error_text(msg, strlen(msg))
		   : source_error_text(resp->body, resp->body ? resp->body_len : 0);
	/* A plain-text body ends in a newline, which sanitizing made a space. */
	for (len = strlen(text); len > 0 && text[len - 1] == ' '; len--)
		text[len - 1] = '\0';
	code = error(GH_TYPE " %s: HTTP %ld: %s%s%s", g->stream, resp->status,
		     *text ? text : "(empty body)", status_hint(resp->status, limited), note);
	free(text);
	json_decref(root);
	return code;
}

/* ---- parse ---- */

/* The page after this one, and the cursor: the pass as it now stands, or, when it is
 * complete, its marks. */
static void
continue_pass(struct gh_parse *g)
{
	char *url = step_url(g->base, g->repo, g->kind, g->pass);

	if (url)
		g->page->next = gh_new_request(g->ctx, g->stream, url);
	else
		pass_finish(g->cursor);
	g->page->cursor = json_dumps(g->cursor, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

/* A list page: the first one starts a pass, unless the pass began with the
 * statuses of running deployments and now reads its list. */
static enum status_code
parse_list(struct gh_parse *g, const json_t *root, const struct http_response *resp)
{
	char *first = list_url(g->base, g->repo, g->kind), *next;
	enum status_code code;

	if (streq(g->req->url, first)) {
		g->page->validators = 1; /* what a 304 of the list answers for */
		if (json_is_true(json_object_get(g->pass, "listed")))
			g->pass = pass_new(g->cursor, g->kind);
	} else {
		g->page->validators = -1;
	}
	free(first);
	json_object_set_new(g->pass, "listed", json_true());
	code = g->kind == GH_RUNS ? gh_runs_list(g, root) : gh_deployments_list(g, root);
	if (code != SUCCESS)
		return code;
	next = g->stop ? NULL : http_link_next(resp);
	/* The engine stops a next page equal to the page before, but here detail pages
	 * come between: a list that names itself as its next page would loop. */
	if (next && streq(next, g->req->url)) {
		free(next);
		return error(GH_TYPE " %s: the pagination cursor did not advance: the list's "
				     "next page is the page itself",
			     g->stream);
	}
	if (next) {
		json_object_set_new(g->pass, "next", json_string(next));
		free(next);
	} else {
		json_object_del(g->pass, "next");
		if (g->kind == GH_RUNS)
			gh_runs_list_done(g);
	}
	return SUCCESS;
}

/* A detail answered 404 (or 410): the run or deployment was deleted since it was
 * listed, or the repository is no longer readable, which GitHub answers 404 for as
 * well. The repository itself tells them apart: the next request reads it, naming
 * the item in the URL's fragment (which is never sent), and only a 200 drops the
 * item. Meanwhile the cursor stays as it is, so a failure leaves the item to read. */
static bool
detail_missing(struct gh_parse *g, enum page_kind kind, const char *id,
	       const struct http_response *resp)
{
	const json_t *item = json_array_get(gh_todo(g), 0);
	char *path;

	if ((resp->status != 404 && resp->status != 410) ||
	    (kind != PAGE_RUN && kind != PAGE_JOBS && kind != PAGE_STATUSES) ||
	    !streq(json_string_value(json_object_get(item, "id")), id))
		return false;
	path = xasprintf("/repos/%s" GONE_FRAGMENT "%s", g->repo, id);
	g->page->next = gh_new_request(g->ctx, g->stream, source_url(g->base, path));
	free(path);
	return true;
}

/* The repository read after a detail's 404: readable, so the item is gone. */
static enum status_code
parse_repository(struct gh_parse *g, const struct http_response *resp)
{
	const char *p = strstr(g->req->url, GONE_FRAGMENT);
	const json_t *item = json_array_get(gh_todo(g), 0);
	enum status_code code;
	json_t *root = NULL;

	if (resp->status != 200 && resp->status != 0 && resp->body && !resp->too_big)
		return gh_http_error(g, resp);
	if ((code = source_check_response(GH_TYPE, g->stream, resp)) != SUCCESS ||
	    (code = source_parse_json(GH_TYPE, g->stream, resp, &root)) != SUCCESS)
		return code;
	json_decref(root);
	if (p && streq(json_string_value(json_object_get(item, "id")), p + strlen(GONE_FRAGMENT)))
		gh_todo_pop(g);
	return SUCCESS;
}

static enum status_code
parse_payload(struct gh_parse *g, enum page_kind kind, const char *id,
	      const struct http_response *resp)
{
	enum status_code code;
	json_t *root = NULL;
	char *next;

	if ((code = source_check_response(GH_TYPE, g->stream, resp)) != SUCCESS ||
	    (code = source_parse_json(GH_TYPE, g->stream, resp, &root)) != SUCCESS)
		return code;
	switch (kind) {
	case PAGE_RUNS:
	case PAGE_DEPLOYMENTS:
		code = parse_list(g, root, resp);
		break;
	case PAGE_RUN:
		code = gh_runs_run(g, id, root);
		break;
	case PAGE_JOBS:
		next = http_link_next(resp);
		code = gh_runs_jobs(g, id, root, next);
		free(next);
		break;
	case PAGE_STATUSES:
		code = gh_deployments_statuses(g, id, root);
		break;
	default:
		code = error(GH_TYPE " %s: not a request of this source", g->stream);
	}
	json_decref(root);
	return code;
}

/* Which of the source's streams req belongs to, and its repository. */
static enum status_code
stream_of(struct gh_parse *g, enum page_kind kind)
{
	bool runs = kind == PAGE_RUNS || kind == PAGE_RUN || kind == PAGE_JOBS;
	bool any = kind == PAGE_OTHER || kind == PAGE_REPOSITORY;

	for (size_t k = 0; k < ARRAY_SIZE(stream_prefix); k++) {
		size_t len = strlen(stream_prefix[k]);

		if (strncmp(g->stream, stream_prefix[k], len) != 0 || !valid_repo(g->stream + len))
			continue;
		g->kind = (enum gh_stream)k;
		g->repo = g->stream + len;
		if (!any && runs != (g->kind == GH_RUNS))
			return error(GH_TYPE " %s: not a request of this stream", g->stream);
		return SUCCESS;
	}
	return error(GH_TYPE " %s: not a stream of this source", g->stream);
}

static enum status_code
github_parse(const struct source_ctx *ctx, const struct source_request *req,
	     const struct http_response *resp, struct source_page *page)
{
	struct gh_parse g = { .ctx = ctx, .req = req, .stream = req->stream, .page = page };
	char id[GH_ID_SIZE];
	enum page_kind kind = page_kind(req->url, id);
	enum status_code code;
	const char *slash;

	if ((code = stream_of(&g, kind)) != SUCCESS)
		return code;
	g.base = base_url(ctx);
	g.service = config_service(ctx);
	if (!g.service || !*g.service)
		g.service = (slash = strchr(g.repo, '/')) ? slash + 1 : g.repo;
	if (!g.base || !*g.base)
		return error(GH_TYPE " %s: no url configured", ctx->name);
	if (g.kind == GH_BRANCHES)
		return gh_branches_parse(&g, resp);
	g.cursor = cursor_load(ctx, req->stream);
	g.pass = pass_open(g.cursor, g.kind);
	/* Only the list's first page is what the stored ETag stands for. */
	page->validators = -1;
	if (detail_missing(&g, kind, id, resp)) {
		json_decref(g.cursor);
		return SUCCESS;
	}
	if (kind == PAGE_REPOSITORY)
		code = parse_repository(&g, resp);
	else if (resp->status != 200 && resp->status != 0 && resp->body && !resp->too_big)
		code = gh_http_error(&g, resp);
	else
		code = parse_payload(&g, kind, id, resp);
	if (code == SUCCESS)
		continue_pass(&g);
	json_decref(g.cursor);
	return code;
}

const struct source_ops source_github_ops = {
	.type = GH_TYPE,
	.plan = github_plan,
	.parse = github_parse,
	.act = github_rollback_act,
	.acted = github_rollback_acted,
};
