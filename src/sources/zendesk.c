/* zendesk.c - Zendesk Support tickets as a source: every ticket is an incident
 * (a ticket, linked to the alert it is about), with its SLA instances.
 *
 * Stream "tickets": the cursor-based incremental ticket export,
 * GET /api/v2/incremental/tickets/cursor.json?start_time=T (the first round: 30
 * days back) and from then on ?cursor=C, each with per_page and
 * include=metric_sets,slas,metric_events,users. The export takes the Tickets
 * sideloads but last_audits; metric_sets arrive as a top-level list by ticket_id
 * (a ticket's own metric_set is read too), users as a top-level list, slas
 * ({policy_metrics: [{metric, stage, breach_at, ...}]}) and metric_events ({METRIC:
 * [events]}) inside each ticket: so one request a page brings everything, and no
 * ticket needs a request of its own (GET /api/v2/tickets/ID/metrics and ?include=
 * slas would cost one each, against the export's own limit of 10 requests a minute).
 * The cursor is the page's after_cursor: each page moves it, so a round killed half
 * way resumes from its last committed page. Pages follow after_cursor (on the
 * configured url, so the credentials only go where the config says) while
 * end_of_stream is false; at the end the cursor stays, and the next round asks it
 * for what changed since. Zendesk leaves out the last minute's changes, which the
 * next round brings. A ticket updated between two pages comes twice; the cache's
 * upserts absorb it.
 *
 * Auth: an API token, "Authorization: Basic base64(EMAIL/token:TOKEN)" (the literal
 * "/token" suffix is added unless the email already ends with it), or with auth =
 * oauth an OAuth access token as a bearer token. 429 answers carry Retry-After
 * (the engine waits when it is short); errors are {"error": "...", "description":
 * "..."} or {"error": {"title", "message"}}, and a 429's body may be plain text.
 *
 * The mapping of a ticket is in zendesk_tickets.c, its metric events in
 * zendesk_events.c. Nothing here does I/O or changes untrusted text in records;
 * error messages, which quote the server, are sanitized. */
#include "sitrep/sitrep.h"
#include "zendesk-private.h"

#include "sitrep/config.h"
#include "sitrep/timestamp.h"

#define EXPORT_PATH "/api/v2/incremental/tickets/cursor.json"
#define INCLUDE "metric_sets,slas,metric_events,users"
/* With four sideloads a page of 500 tickets is a few MB: few requests against the
 * 10 a minute, and well within the body limit and timeout. */
#define PER_PAGE 500
#define FIRST_SYNC_DAYS 30

/* ---- plan ---- */

static char *
export_url(const char *base, const char *key, const char *value)
{
	char *escaped = http_escape(value), *path, *url;

	path = xasprintf(EXPORT_PATH "?%s=%s&per_page=%d&include=" INCLUDE, key, escaped, PER_PAGE);
	url = source_url(base, path);
	free(path);
	free(escaped);
	return url;
}

static bool
oauth(const struct source_ctx *ctx)
{
	const char *auth = config_source_get(ctx->config, "auth");

	return auth && streq(auth, "oauth");
}

/* The credentials, wiped from memory once in the header. */
static void
add_auth(const struct source_ctx *ctx, struct source_request *req)
{
	const char *email = config_source_get(ctx->config, "email");
	size_t elen = email ? strlen(email) : 0;
	bool suffixed = elen > 6 && streq(email + elen - 6, "/token");
	char *user;

	if (oauth(ctx)) {
		source_request_bearer(req, ctx->secret);
		return;
	}
	user = xasprintf("%s%s", email ? email : "", suffixed ? "" : "/token");
	source_request_basic(req, user, ctx->secret ? ctx->secret : "");
	free(user);
}

static enum status_code
zendesk_plan(const struct source_ctx *ctx, struct source_request **out, size_t *n)
{
	const char *base = config_source_get(ctx->config, "url");
	const char *email = config_source_get(ctx->config, "email");
	const char *cursor = ctx->cursor ? ctx->cursor(ctx->engine, ZD_STREAM) : NULL;
	struct source_request *req;
	char *url, since[32];

	if (!base || !*base)
		return error(ZD_TYPE " %s: no url configured (https://SUBDOMAIN.zendesk.com)",
			     ctx->name);
	if (!ctx->secret || !*ctx->secret)
		return error(ZD_TYPE " %s: no token configured (an API token, or with auth = "
				     "oauth an OAuth access token)",
			     ctx->name);
	if (!oauth(ctx) && (!email || !*email))
		return error(ZD_TYPE " %s: no email configured (the API token's user)", ctx->name);
	if (cursor && *cursor) {
		url = export_url(base, "cursor", cursor);
	} else {
		snprintf(since, sizeof(since), "%lld",
			 (long long)(ctx->now - FIRST_SYNC_DAYS * 86400LL));
		url = export_url(base, "start_time", since);
	}
	req = source_request_add(out, n, ZD_STREAM, "GET", url);
	add_auth(ctx, req);
	return SUCCESS;
}

/* ---- responses ---- */

static const char *
status_hint(long status)
{
	if (status == 401)
		return "the credentials were refused: check email and token (an active API "
		       "token of that user), or the OAuth token with auth = oauth";
	if (status == 403)
		return "the user may not export tickets: the incremental export needs an "
		       "admin";
	if (status == 404)
		return "no Zendesk API at this url: it should be https://SUBDOMAIN.zendesk.com";
	if (status == 429)
		return "rate limited: the ticket export allows 10 requests a minute; the "
		       "next round goes on from the cursor";
	if (status == 400 || status == 422)
		return "the export refused its cursor or start time";
	if (status >= 500)
		return "a Zendesk server error";
	return NULL;
}

/* {"error": "Title", "description": "..."} or {"error": {"title", "message"}}; other
 * bodies (a 429's plain text, a proxy's page) are quoted. */
static enum status_code
http_error(const struct http_response *resp)
{
	json_t *root = json_loadb(resp->body ? resp->body : "", resp->body_len, 0, NULL);
	const json_t *err = json_object_get(root, "error");
	const char *title = json_string_value(err), *desc;
	const char *hint = status_hint(resp->status);
	const char *retry = http_header_get(resp, "Retry-After");
	char *text;
	struct buf b;

	desc = json_string_value(json_object_get(root, "description"));
	if (json_is_object(err)) {
		title = json_string_value(json_object_get(err, "title"));
		desc = json_string_value(json_object_get(err, "message"));
	}
	buf_init(&b, 0);
	if (title) {
		text = source_error_text(title, strlen(title));
		buf_addstr(&b, text);
		free(text);
		if (desc && *desc) {
			text = source_error_text(desc, strlen(desc));
			buf_printf(&b, ": %s", text);
			free(text);
		}
	} else {
		text = source_error_text(resp->body ? resp->body : "",
					 resp->body ? resp->body_len : 0);
		for (size_t n = strlen(text); n > 0 && text[n - 1] == ' '; n--)
			text[n - 1] = '\0';
		buf_addstr(&b, *text ? text : "(empty body)");
		free(text);
	}
	if (hint) {
		buf_printf(&b, " (%s", hint);
		if (resp->status == 429 && retry) {
			text = source_error_text(retry, strlen(retry));
			buf_printf(&b, "; Retry-After %s", text);
			free(text);
		}
		buf_addch(&b, ')');
	}
	error(ZD_TYPE " " ZD_STREAM ": HTTP %ld: %s", resp->status, b.data);
	buf_release(&b);
	json_decref(root);
	return ERROR_CUSTOM_MESSAGE;
}

/* A top-level sideload list as an object by id (new). */
static enum status_code
index_sideload(const json_t *root, const char *key, const char *id_key, json_t **out)
{
	const json_t *list = json_object_get(root, key), *item;
	size_t k;

	*out = json_object();
	if (!list || json_is_null(list))
		return SUCCESS;
	if (!json_is_array(list))
		return error(ZD_TYPE " " ZD_STREAM ": %s is not an array", key);
	json_array_foreach((json_t *)(uintptr_t)list, k, item)
	{
		const json_t *id = json_object_get(item, id_key);
		char text[32];

		if (!json_is_object(item) || !json_is_integer(id))
			return error(ZD_TYPE " " ZD_STREAM
					     ": %s %zu: %s is missing or not a number",
				     key, k, id_key);
		snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(id));
		json_object_set(*out, text, (json_t *)(uintptr_t)item);
	}
	return SUCCESS;
}

static enum status_code
next_page(const struct source_ctx *ctx, const char *after, struct source_page *page)
{
	const char *base = config_source_get(ctx->config, "url");
	struct source_request *r = xcalloc(1, sizeof(*r));

	r->stream = xstrdup(ZD_STREAM);
	r->method = xstrdup("GET");
	r->url = export_url(base, "cursor", after);
	add_auth(ctx, r);
	page->next = r;
	return SUCCESS;
}

static enum status_code
parse_export(const struct source_ctx *ctx, const json_t *root, struct source_page *page)
{
	const json_t *tickets = json_object_get(root, "tickets"), *ticket;
	const json_t *eos = json_object_get(root, "end_of_stream");
	const json_t *after_v = json_object_get(root, "after_cursor");
	const char *after = json_string_value(after_v);
	struct zd_sideloads side = { 0 };
	json_t *sets = NULL, *users = NULL;
	enum status_code code;
	size_t i;

	if (!json_is_array(tickets))
		return error(ZD_TYPE " " ZD_STREAM ": the response has no tickets array");
	if (!json_is_boolean(eos))
		return error(ZD_TYPE " " ZD_STREAM ": end_of_stream is missing or not a boolean");
	if (after_v && !json_is_null(after_v) && !json_is_string(after_v))
		return error(ZD_TYPE " " ZD_STREAM ": after_cursor is not a string");
	if ((code = index_sideload(root, "metric_sets", "ticket_id", &sets)) != SUCCESS ||
	    (code = index_sideload(root, "users", "id", &users)) != SUCCESS)
		goto out;
	side.metric_sets = sets;
	side.users = users;
	json_array_foreach((json_t *)(uintptr_t)tickets, i, ticket)
	{
		if ((code = zd_ticket(ctx, i, ticket, &side, page)) != SUCCESS)
			goto out;
	}
	if (after && *after)
		page->cursor = xstrdup(after);
	if (json_is_false(eos)) {
		if (!after || !*after)
			code = error(ZD_TYPE " " ZD_STREAM ": end_of_stream is false, but there is "
					     "no after_cursor to go on from");
		else
			code = next_page(ctx, after, page);
	}
out:
	json_decref(sets);
	json_decref(users);
	return code;
}

static enum status_code
zendesk_parse(const struct source_ctx *ctx, const struct source_request *req,
	      const struct http_response *resp, struct source_page *page)
{
	enum status_code code;
	json_t *root = NULL;

	if (!streq(req->stream, ZD_STREAM))
		return error(ZD_TYPE " %s: not a stream of this source", req->stream);
	if (resp->status != 200 && resp->status != 0 && !resp->too_big)
		return http_error(resp);
	if ((code = source_check_response(ZD_TYPE, ZD_STREAM, resp)) != SUCCESS ||
	    (code = source_parse_json(ZD_TYPE, ZD_STREAM, resp, &root)) != SUCCESS)
		return code;
	if (!json_is_object(root))
		code = error(ZD_TYPE " " ZD_STREAM ": the response is not a JSON object");
	else
		code = parse_export(ctx, root, page);
	json_decref(root);
	return code;
}

const struct source_ops source_zendesk_ops = {
	.type = ZD_TYPE,
	.plan = zendesk_plan,
	.parse = zendesk_parse,
};
