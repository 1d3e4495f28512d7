/* opsgenie.c - the Opsgenie Alert API v2 as a source: every alert is an incident,
 * from its creation to its close.
 *
 * Stream "alerts": GET /v2/alerts?query=updatedAt>=CURSOR&offset=N&limit=100
 * &sort=updatedAt&order=asc. The cursor is the largest updatedAt seen, in epoch
 * milliseconds as text, and every page moves it to the newest alert of that page,
 * so a round killed half-way resumes from its last committed page. The bound is
 * inclusive: alerts updated in the cursor's own millisecond come back once more,
 * which the cache's upserts absorb. Pages follow body paging.next (or X-Paging-Next)
 * while a page is full; its query is put on the configured url, so the API key only
 * ever goes to the host the config names, also behind a proxy.
 *
 * Two limits of the API shape this. Offset paging over a set that changes while it
 * is read can skip an alert (one updated meanwhile moves to the end, and the rest
 * shift down a place), and a search index shows a fresh update a little late; so
 * the cursor is held back to CURSOR_LAG before the round's clock, and the next
 * round reads those minutes again. And updatedAt is not among the search fields
 * Opsgenie documents (createdAt, lastOccurredAt, ...): a server that refused it
 * would answer 422, reported as such; one that ignored it would make each round a
 * full one, still correct since the order is by updatedAt.
 *
 * Milestones (metrics SPEC 2): detected is createdAt; acknowledged and resolved are
 * createdAt plus report.ackTime and report.closeTime, which are elapsed
 * MILLISECONDS, added before rounding down to the second. `report` is absent until
 * an alert is acked or closed, and the `acknowledged` flag is false again once an
 * alert closes, so the flag is never read.
 *
 * It must not do I/O or change untrusted text in records (the display sanitizes);
 * error messages, which quote the server, are sanitized. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include "sitrep/config.h"
#include "sitrep/json.h"
#include "sitrep/timestamp.h"

#define TYPE "opsgenie"
#define STREAM "alerts"
#define ALERTS_PATH "/v2/alerts"
/* The largest page the API serves. */
#define PAGE_LIMIT 100
/* What Opsgenie assumes when a URL names no limit. */
#define DEFAULT_LIMIT 20
/* How far behind the round's clock the cursor stays (see above). */
#define CURSOR_LAG_MS (5 * 60 * 1000)
/* A longer elapsed time than a century is a broken value, and would overflow. */
#define MAX_ELAPSED_MS (100LL * 366 * 86400 * 1000)

/* ---- plan ---- */

/* The first page of a round: alerts updated since since_ms, oldest first (new). */
static char *
alerts_url(const char *base, int64_t since_ms)
{
	char *query = xasprintf("updatedAt>=%lld", (long long)since_ms);
	char *escaped = http_escape(query), *path, *url;

	path = xasprintf(ALERTS_PATH "?query=%s&offset=0&limit=%d&sort=updatedAt&order=asc",
			 escaped, PAGE_LIMIT);
	url = source_url(base, path);
	free(path);
	free(escaped);
	free(query);
	return url;
}

/* The stored cursor as epoch ms; 0 (everything) when there is none or it is not
 * one of ours, so a damaged cursor costs a full sync rather than lost alerts. */
static int64_t
cursor_ms(const char *cursor)
{
	int64_t ms = 0;
	const char *p;

	if (!cursor || !*cursor || strlen(cursor) > 18)
		return 0;
	for (p = cursor; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		ms = ms * 10 + (*p - '0');
	}
	return ms;
}

static void
add_auth(struct source_request *req, const char *secret)
{
	char *value = xasprintf("GenieKey %s", secret);

	source_request_header(req, "Authorization", value);
	memset(value, 0, strlen(value));
	free(value);
}

static enum status_code
opsgenie_plan(const struct source_ctx *ctx, struct source_request **out, size_t *n)
{
	const char *base = config_source_get(ctx->config, "url");
	const char *cursor = ctx->cursor ? ctx->cursor(ctx->engine, STREAM) : NULL;
	struct source_request *req;

	if (!base || !*base)
		return error(TYPE " %s: no url configured (https://api.opsgenie.com or "
				  "https://api.eu.opsgenie.com)",
			     ctx->name);
	/* Every call needs the key; without one the API answers 401 to each. */
	if (!ctx->secret || !*ctx->secret)
		return error(TYPE " %s: no token configured (an API key with read access)",
			     ctx->name);
	req = source_request_add(out, n, STREAM, "GET", alerts_url(base, cursor_ms(cursor)));
	add_auth(req, ctx->secret);
	return SUCCESS;
}

/* ---- alerts ---- */

static const char *
default_service(const struct source_ctx *ctx)
{
	const char *s;

	if (!ctx->config)
		return "unknown";
	s = ctx->config->service ? ctx->config->service : config_source_get(ctx->config, "service");
	return s && *s ? s : "unknown";
}

static enum status_code
field_error(size_t i, const char *field, const char *what, const char *value)
{
	char *text;

	if (!value)
		return error(TYPE " " STREAM ": alert %zu: %s %s", i, field, what);
	text = source_error_text(value, strlen(value));
	error(TYPE " " STREAM ": alert %zu: %s \"%s\" %s", i, field, text, what);
	free(text);
	return ERROR_CUSTOM_MESSAGE;
}

/* An ISO-8601 instant to epoch ms. Opsgenie writes a varying number of fraction
 * digits ("...:10.17Z"); timestamp_parse gives the second, the first three digits
 * of the fraction the milliseconds (added, so also right before 1970). */
static bool
parse_ms(const char *text, int64_t *ms)
{
	const char *p = text ? strpbrk(text, "Tt ") : NULL;
	int64_t sec, frac = 0;
	int digits = 0;

	if (!timestamp_parse(text, &sec))
		return false;
	p = p ? strchr(p, '.') : NULL;
	for (p = p ? p + 1 : NULL; p && *p >= '0' && *p <= '9' && digits < 3; p++, digits++)
		frac = frac * 10 + (*p - '0');
	for (; digits < 3; digits++)
		frac *= 10;
	*ms = sec * 1000 + frac;
	return true;
}

/* floor(ms / 1000): the store keeps seconds. */
static int64_t
ms_to_sec(int64_t ms)
{
	return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

/* A string member that must be a string when present: *out NULL when absent. */
static enum status_code
optional_string(size_t i, const json_t *obj, const char *key, const char *field, const char **out)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return SUCCESS;
	if (!json_is_string(v))
		return field_error(i, field, "is not a string", NULL);
	*out = json_string_value(v);
	return SUCCESS;
}

static enum status_code
required_time(size_t i, const json_t *alert, const char *key, int64_t *ms)
{
	const char *text = json_string_value(json_object_get(alert, key));

	if (!text)
		return field_error(i, key, "is missing or not a string", NULL);
	if (!parse_ms(text, ms))
		return field_error(i, key, "is not a timestamp", text);
	return SUCCESS;
}

/* report.ackTime / closeTime: elapsed ms since createdAt, or TIME_NONE. */
static enum status_code
elapsed(size_t i, const json_t *report, const char *key, int64_t *out)
{
	const json_t *v = json_object_get(report, key);
	char field[32];

	*out = TIME_NONE;
	if (!v || json_is_null(v))
		return SUCCESS;
	snprintf(field, sizeof(field), "report.%s", key);
	if (!json_is_integer(v))
		return field_error(i, field, "is not an integer (elapsed milliseconds)", NULL);
	if (json_integer_value(v) < 0 || json_integer_value(v) > MAX_ELAPSED_MS)
		return field_error(i, field, "is out of range", NULL);
	*out = (int64_t)json_integer_value(v);
	return SUCCESS;
}

/* The service a tag "service:X" names, else entity, else the configured one. */
static enum status_code
alert_service(const struct source_ctx *ctx, size_t i, const json_t *alert, const char **out)
{
	const json_t *tags = json_object_get(alert, "tags"), *tag;
	const char *entity;
	enum status_code code;
	size_t j;

	*out = NULL;
	/* null is an empty list as some serializers write it. */
	if (tags && !json_is_null(tags) && !json_is_array(tags))
		return field_error(i, "tags", "is not an array", NULL);
	json_array_foreach((json_t *)(uintptr_t)tags, j, tag)
	{
		const char *s = json_string_value(tag);

		if (!s)
			return field_error(i, "tags", "holds a non-string", NULL);
		if (!*out && strncmp(s, "service:", 8) == 0 && s[8])
			*out = s + 8;
	}
	if ((code = optional_string(i, alert, "entity", "entity", &entity)) != SUCCESS)
		return code;
	if (!*out)
		*out = entity && *entity ? entity : default_service(ctx);
	return SUCCESS;
}

/* What one alert says, checked, before anything goes into the page. */
struct alert {
	const char *id, *message, *status, *priority, *service;
	const char *acked_by, *closed_by;
	int64_t created_ms, updated_ms, ack_ms, close_ms; /* TIME_NONE: never */
};

static enum status_code
read_report(size_t i, const json_t *alert, struct alert *a)
{
	const json_t *report = json_object_get(alert, "report");
	int64_t ack, close;
	enum status_code code;

	a->ack_ms = a->close_ms = TIME_NONE;
	if (!report || json_is_null(report))
		return SUCCESS;
	if (!json_is_object(report))
		return field_error(i, "report", "is not an object", NULL);
	if ((code = elapsed(i, report, "ackTime", &ack)) != SUCCESS ||
	    (code = elapsed(i, report, "closeTime", &close)) != SUCCESS ||
	    (code = optional_string(i, report, "acknowledgedBy", "report.acknowledgedBy",
				    &a->acked_by)) != SUCCESS ||
	    (code = optional_string(i, report, "closedBy", "report.closedBy", &a->closed_by)) !=
		    SUCCESS)
		return code;
	a->ack_ms = ack == TIME_NONE ? TIME_NONE : a->created_ms + ack;
	a->close_ms = close == TIME_NONE ? TIME_NONE : a->created_ms + close;
	return SUCCESS;
}

static enum status_code
read_alert(const struct source_ctx *ctx, size_t i, const json_t *alert, struct alert *a)
{
	enum status_code code;

	memset(a, 0, sizeof(*a));
	a->id = json_string_value(json_object_get(alert, "id"));
	if (!a->id || !*a->id)
		return field_error(i, "id", "is missing or not a string", NULL);
	if ((code = optional_string(i, alert, "message", "message", &a->message)) != SUCCESS ||
	    (code = optional_string(i, alert, "priority", "priority", &a->priority)) != SUCCESS ||
	    (code = required_time(i, alert, "createdAt", &a->created_ms)) != SUCCESS)
		return code;
	a->status = json_string_value(json_object_get(alert, "status"));
	if (!a->status)
		return field_error(i, "status", "is missing or not a string", NULL);
	if (!streq(a->status, "open") && !streq(a->status, "closed"))
		return field_error(i, "status", "is neither open nor closed", a->status);
	/* Without updatedAt the alert is as new as its creation. */
	a->updated_ms = a->created_ms;
	if (json_object_get(alert, "updatedAt") &&
	    (code = required_time(i, alert, "updatedAt", &a->updated_ms)) != SUCCESS)
		return code;
	if ((code = read_report(i, alert, a)) != SUCCESS ||
	    (code = alert_service(ctx, i, alert, &a->service)) != SUCCESS)
		return code;
	/* A closed alert whose report lacks closeTime closed at its last update at
	 * the latest: better an approximate resolve than an incident open forever. */
	if (streq(a->status, "closed") && a->close_ms == TIME_NONE)
		a->close_ms = a->updated_ms;
	/* Alerts never reopen (a new one is created), so an open alert's closeTime
	 * would be a contradiction: the status wins. */
	if (streq(a->status, "open"))
		a->close_ms = TIME_NONE;
	return SUCCESS;
}

static void
add_event(struct source_page *page, const char *id, int64_t ms, const char *kind, const char *actor)
{
	struct source_event *ev = source_page_event(page);

	ev->incident_id = id;
	ev->at = ms_to_sec(ms);
	ev->kind = kind;
	ev->actor = actor && *actor ? source_page_strdup(page, actor) : NULL;
}

static const char *
severity_of(const char *priority)
{
	static const char *const p[] = { "P1", "P2", "P3", "P4", "P5" };

	for (size_t i = 0; priority && i < ARRAY_SIZE(p); i++)
		if (streq(priority, p[i]))
			return p[i];
	return NULL;
}

static enum status_code
parse_alert(const struct source_ctx *ctx, size_t i, const json_t *alert, struct source_page *page,
	    int64_t *max_updated)
{
	const char **services;
	struct store_incident *inc;
	struct alert a;
	enum status_code code;
	const char *id;
	char *raw;

	if ((code = read_alert(ctx, i, alert, &a)) != SUCCESS)
		return code;
	id = source_page_strdup(page, a.id);
	inc = source_page_incident(page);
	inc->source = source_page_strdup(page, ctx->name);
	inc->source_id = id;
	services = source_page_alloc(page, sizeof(*services));
	services[0] = source_page_strdup(page, a.service);
	inc->services = services;
	inc->n_services = 1;
	inc->title = source_page_strdup(page, a.message && *a.message ? a.message : a.id);
	inc->severity = severity_of(a.priority);
	inc->impact = inc->severity && (streq(inc->severity, "P1") || streq(inc->severity, "P2"))
			      ? MX_IMPACT_OUTAGE
			      : MX_IMPACT_DEGRADED;
	/* Opsgenie knows when it was told, not when users were first hurt: impact
	 * start is left to the metrics' imputation. */
	inc->detected_at = ms_to_sec(a.created_ms);
	if (a.ack_ms != TIME_NONE)
		inc->acknowledged_at = ms_to_sec(a.ack_ms);
	/* An alert has no state between resolved and closed. */
	if (a.close_ms != TIME_NONE)
		inc->resolved_at = inc->closed_at = ms_to_sec(a.close_ms);
	inc->updated_at = ms_to_sec(a.updated_ms);
	raw = json_dumps(alert, JSON_COMPACT | JSON_PRESERVE_ORDER);
	inc->raw_json = source_page_strdup(page, raw);
	free(raw);

	add_event(page, id, a.created_ms, "trigger", NULL);
	if (a.ack_ms != TIME_NONE)
		add_event(page, id, a.ack_ms, "ack", a.acked_by);
	if (a.close_ms != TIME_NONE)
		add_event(page, id, a.close_ms, "resolve", a.closed_by);
	if (a.updated_ms > *max_updated)
		*max_updated = a.updated_ms;
	return SUCCESS;
}

/* ---- paging ---- */

/* The integer value of a query parameter of url, or fallback. */
static long
query_long(const char *url, const char *key, long fallback)
{
	const char *p = url ? strchr(url, '?') : NULL;
	size_t klen = strlen(key);

	while (p && *p) {
		p++;
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			char *end;
			long v = strtol(p + klen + 1, &end, 10);

			return end != p + klen + 1 && (*end == '&' || *end == '\0') ? v : fallback;
		}
		p = strchr(p, '&');
	}
	return fallback;
}

/* The page after this one: paging.next, with its query put on the configured url.
 * None when the page was not full (the last one) or the server names none. */
static enum status_code
next_request(const struct source_ctx *ctx, const struct source_request *req,
	     const struct http_response *resp, const json_t *root, size_t n_alerts,
	     struct source_page *page)
{
	const json_t *paging = json_object_get(root, "paging");
	const json_t *next_v = json_object_get(paging, "next");
	const char *base = config_source_get(ctx->config, "url");
	const char *next, *query;
	struct source_request *r;
	char *text, *path;
	size_t plen;

	if (paging && !json_is_null(paging) && !json_is_object(paging))
		return error(TYPE " " STREAM ": paging is not an object");
	if (next_v && !json_is_null(next_v) && !json_is_string(next_v))
		return error(TYPE " " STREAM ": paging.next is not a string");
	next = json_string_value(next_v);
	if (!next)
		next = http_header_get(resp, "X-Paging-Next");
	if (!next || !*next || (long)n_alerts < query_long(req->url, "limit", DEFAULT_LIMIT))
		return SUCCESS;
	query = strchr(next, '?');
	plen = query ? (size_t)(query - next) : strlen(next);
	if (!query || plen < strlen(ALERTS_PATH) ||
	    strncmp(next + plen - strlen(ALERTS_PATH), ALERTS_PATH, strlen(ALERTS_PATH)) != 0) {
		text = source_error_text(next, strlen(next));
		error(TYPE " " STREAM ": paging.next \"%s\" is not a " ALERTS_PATH " URL", text);
		free(text);
		return ERROR_CUSTOM_MESSAGE;
	}
	/* An offset going back would page in circles; the same URL again is the
	 * engine's to catch. */
	if (query_long(next, "offset", 0) < query_long(req->url, "offset", 0))
		return error(TYPE " " STREAM ": paging.next goes back from offset %ld to %ld",
			     query_long(req->url, "offset", 0), query_long(next, "offset", 0));
	path = xasprintf(ALERTS_PATH "%s", query);
	r = xcalloc(1, sizeof(*r));
	r->stream = xstrdup(STREAM);
	r->method = xstrdup("GET");
	r->url = source_url(base, path);
	free(path);
	if (ctx->secret && *ctx->secret)
		add_auth(r, ctx->secret);
	page->next = r;
	return SUCCESS;
}

/* ---- responses ---- */

static const char *
status_hint(long status)
{
	if (status == 401)
		return "the API key was refused: check the token, and that url is the key's "
		       "region (api.opsgenie.com or api.eu.opsgenie.com)";
	if (status == 403)
		return "the API key may not read alerts: it needs read access";
	if (status == 429)
		return "rate limited by Opsgenie";
	if (status >= 500)
		return "an Opsgenie server error";
	return NULL;
}

/* Opsgenie's errors are {"message": "...", "took": 0.0, "requestId": "..."}; the
 * message and the request id (what its support asks for) are worth showing, with
 * what the status means for the user. Other bodies (a proxy's page) are quoted. */
static enum status_code
http_error(const struct http_response *resp)
{
	json_t *root = json_loadb(resp->body, resp->body_len, 0, NULL);
	const char *msg = json_string_value(json_object_get(root, "message"));
	const char *rid = json_string_value(json_object_get(root, "requestId"));
	const char *reason = http_header_get(resp, "X-RateLimit-Reason");
	const char *hint = status_hint(resp->status);
	char *text;
	struct buf b;

	buf_init(&b, 0);
	text = msg ? source_error_text(msg, strlen(msg))
		   : source_error_text(resp->body, resp->body_len);
	/* A text body's final newline arrives as a space. */
	for (size_t n = strlen(text); n > 0 && text[n - 1] == ' '; n--)
		text[n - 1] = '\0';
	buf_addstr(&b, *text ? text : "(empty body)");
	free(text);
	if (hint) {
		buf_printf(&b, " (%s", hint);
		if (reason) {
			text = source_error_text(reason, strlen(reason));
			buf_printf(&b, ": %s", text);
			free(text);
		}
		buf_addch(&b, ')');
	}
	if (rid) {
		text = source_error_text(rid, strlen(rid));
		if (*text)
			buf_printf(&b, " [requestId %s]", text);
		free(text);
	}
	error(TYPE " " STREAM ": HTTP %ld: %s", resp->status, b.data);
	buf_release(&b);
	json_decref(root);
	return ERROR_CUSTOM_MESSAGE;
}

static enum status_code
parse_alerts(const struct source_ctx *ctx, const struct source_request *req,
	     const struct http_response *resp, const json_t *root, struct source_page *page)
{
	const json_t *data = json_object_get(root, "data"), *alert;
	const char *old = ctx->cursor ? ctx->cursor(ctx->engine, STREAM) : NULL;
	int64_t max_updated = cursor_ms(old), start = max_updated;
	enum status_code code;
	size_t i;

	if (!json_is_array(data))
		return error(TYPE " " STREAM ": the response has no data array of alerts");
	json_array_foreach((json_t *)(uintptr_t)data, i, alert)
	{
		if (!json_is_object(alert))
			return error(TYPE " " STREAM ": alert %zu is not an object", i);
		if ((code = parse_alert(ctx, i, alert, page, &max_updated)) != SUCCESS)
			return code;
	}
	if (ctx->now > 0 && max_updated > ctx->now * 1000 - CURSOR_LAG_MS)
		max_updated = ctx->now * 1000 - CURSOR_LAG_MS;
	/* Only forward: a server that ignored the query must not move it back. */
	if (json_array_size(data) > 0 && (max_updated > start || !old))
		page->cursor = xasprintf("%lld", (long long)max_updated);
	return next_request(ctx, req, resp, root, json_array_size(data), page);
}

static enum status_code
opsgenie_parse(const struct source_ctx *ctx, const struct source_request *req,
	       const struct http_response *resp, struct source_page *page)
{
	enum status_code code;
	json_t *root = NULL;

	if (!streq(req->stream, STREAM))
		return error(TYPE " %s: not a stream of this source", req->stream);
	if (resp->status != 200 && resp->status != 0 && !resp->too_big)
		return http_error(resp);
	if ((code = source_check_response(TYPE, STREAM, resp)) != SUCCESS ||
	    (code = source_parse_json(TYPE, STREAM, resp, &root)) != SUCCESS)
		return code;
	if (!json_is_object(root))
		code = error(TYPE " " STREAM ": the response is not a JSON object");
	else
		code = parse_alerts(ctx, req, resp, root, page);
	json_decref(root);
	return code;
}

const struct source_ops source_opsgenie_ops = {
	.type = TYPE,
	.plan = opsgenie_plan,
	.parse = opsgenie_parse,
};
