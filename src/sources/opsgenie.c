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
#include "sitrep/json_tok.h"
#include "sitrep/timestamp.h"
#include "opsgenie-private.h"

#define STREAM "alerts"
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

void
og_auth(struct source_request *req, const char *secret)
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
	og_auth(req, ctx->secret);
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

/* The status decides the resolution (after the report was read). */
static void
settle_close(struct alert *a)
{
	/* A closed alert whose report lacks closeTime closed at its last update at
	 * the latest: better an approximate resolve than an incident open forever. */
	if (streq(a->status, "closed") && a->close_ms == TIME_NONE)
		a->close_ms = a->updated_ms;
	/* Alerts never reopen (a new one is created), so an open alert's closeTime
	 * would be a contradiction: the status wins. */
	if (streq(a->status, "open"))
		a->close_ms = TIME_NONE;
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
	settle_close(a);
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

/* Puts a checked alert into the page: its incident, raw JSON (raw_len bytes of raw)
 * and timeline. source is the source's name in page memory, shared by the page. */
static void
add_alert(const struct alert *a, const char *source, const char *raw, size_t raw_len,
	  struct source_page *page, int64_t *max_updated)
{
	const char **services;
	struct store_incident *inc;
	const char *id;

	id = source_page_strdup(page, a->id);
	inc = source_page_incident(page);
	inc->source = source;
	inc->source_id = id;
	services = source_page_alloc(page, sizeof(*services));
	services[0] = source_page_strdup(page, a->service);
	inc->services = services;
	inc->n_services = 1;
	inc->title = a->message && *a->message ? source_page_strdup(page, a->message) : id;
	inc->severity = severity_of(a->priority);
	inc->impact = inc->severity && (streq(inc->severity, "P1") || streq(inc->severity, "P2"))
			      ? MX_IMPACT_OUTAGE
			      : MX_IMPACT_DEGRADED;
	/* Opsgenie knows when it was told, not when users were first hurt: impact
	 * start is left to the metrics' imputation. */
	inc->detected_at = ms_to_sec(a->created_ms);
	if (a->ack_ms != TIME_NONE)
		inc->acknowledged_at = ms_to_sec(a->ack_ms);
	/* An alert has no state between resolved and closed. */
	if (a->close_ms != TIME_NONE)
		inc->resolved_at = inc->closed_at = ms_to_sec(a->close_ms);
	inc->updated_at = ms_to_sec(a->updated_ms);
	inc->raw_json = source_page_strndup(page, raw, raw_len);

	add_event(page, id, a->created_ms, "trigger", NULL);
	if (a->ack_ms != TIME_NONE)
		add_event(page, id, a->ack_ms, "ack", a->acked_by);
	if (a->close_ms != TIME_NONE)
		add_event(page, id, a->close_ms, "resolve", a->closed_by);
	if (a->updated_ms > *max_updated)
		*max_updated = a->updated_ms;
}

/* An alert of a page read by jansson; its raw JSON is jansson's compact text. */
static enum status_code
parse_alert(const struct source_ctx *ctx, size_t i, const json_t *alert, const char *source,
	    struct source_page *page, int64_t *max_updated)
{
	struct alert a;
	enum status_code code;
	char *raw;

	if ((code = read_alert(ctx, i, alert, &a)) != SUCCESS)
		return code;
	raw = json_dumps(alert, JSON_COMPACT | JSON_PRESERVE_ORDER);
	add_alert(&a, source, raw, strlen(raw), page, max_updated);
	free(raw);
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

/* The page after this one: next (paging.next, or NULL for none) or else the
 * X-Paging-Next header, with its query put on the configured url. None when the page
 * was not full (the last one) or the server names none. */
static enum status_code
next_request(const struct source_ctx *ctx, const struct source_request *req,
	     const struct http_response *resp, const char *next, size_t n_alerts,
	     struct source_page *page)
{
	const char *base = config_source_get(ctx->config, "url");
	const char *query;
	struct source_request *r;
	char *text, *path;
	size_t plen;

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
		og_auth(r, ctx->secret);
	page->next = r;
	return SUCCESS;
}

/* ---- responses ---- */

static const char *
status_hint(long status, bool write)
{
	if (status == 401)
		return "the API key was refused: check the token, and that url is the key's "
		       "region (api.opsgenie.com or api.eu.opsgenie.com)";
	if (status == 403 && write)
		return "the API key may not change alerts: it needs create and update access";
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
enum status_code
og_http_error(const char *what, const struct http_response *resp, bool write)
{
	json_t *root = json_loadb(resp->body, resp->body_len, 0, NULL);
	const char *msg = json_string_value(json_object_get(root, "message"));
	const char *rid = json_string_value(json_object_get(root, "requestId"));
	const char *reason = http_header_get(resp, "X-RateLimit-Reason");
	const char *hint = status_hint(resp->status, write);
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
	error(TYPE " %s: HTTP %ld: %s", what, resp->status, b.data);
	buf_release(&b);
	json_decref(root);
	return ERROR_CUSTOM_MESSAGE;
}

/* Where a page's alerts move the cursor from: the stored one, as epoch ms. */
struct page_cursor {
	const char *old; /* the stored cursor, or NULL */
	int64_t start, max_updated;
};

static void
page_cursor_init(const struct source_ctx *ctx, struct page_cursor *c)
{
	c->old = ctx->cursor ? ctx->cursor(ctx->engine, STREAM) : NULL;
	c->start = c->max_updated = cursor_ms(c->old);
}

/* After the n_alerts alerts of a page: its cursor, and the next page (next is the
 * text of paging.next, or NULL). */
static enum status_code
end_page(const struct source_ctx *ctx, const struct source_request *req,
	 const struct http_response *resp, struct page_cursor *c, const char *next, size_t n_alerts,
	 struct source_page *page)
{
	if (ctx->now > 0 && c->max_updated > ctx->now * 1000 - CURSOR_LAG_MS)
		c->max_updated = ctx->now * 1000 - CURSOR_LAG_MS;
	/* Only forward: a server that ignored the query must not move it back. */
	if (n_alerts > 0 && (c->max_updated > c->start || !c->old))
		page->cursor = xasprintf("%lld", (long long)c->max_updated);
	return next_request(ctx, req, resp, next, n_alerts, page);
}

/* paging.next of a page read by jansson, or NULL. */
static enum status_code
paging_next(const json_t *root, const char **next)
{
	const json_t *paging = json_object_get(root, "paging");
	const json_t *next_v = json_object_get(paging, "next");

	*next = NULL;
	if (paging && !json_is_null(paging) && !json_is_object(paging))
		return error(TYPE " " STREAM ": paging is not an object");
	if (next_v && !json_is_null(next_v) && !json_is_string(next_v))
		return error(TYPE " " STREAM ": paging.next is not a string");
	*next = json_string_value(next_v);
	return SUCCESS;
}

static enum status_code
parse_alerts(const struct source_ctx *ctx, const struct source_request *req,
	     const struct http_response *resp, const json_t *root, struct source_page *page)
{
	const json_t *data = json_object_get(root, "data"), *alert;
	const char *source = source_page_strdup(page, ctx->name), *next;
	struct page_cursor c;
	enum status_code code;
	size_t i;

	page_cursor_init(ctx, &c);
	if (!json_is_array(data))
		return error(TYPE " " STREAM ": the response has no data array of alerts");
	json_array_foreach((json_t *)(uintptr_t)data, i, alert)
	{
		if (!json_is_object(alert))
			return error(TYPE " " STREAM ": alert %zu is not an object", i);
		if ((code = parse_alert(ctx, i, alert, source, page, &c.max_updated)) != SUCCESS)
			return code;
	}
	if ((code = paging_next(root, &next)) != SUCCESS)
		return code;
	return end_page(ctx, req, resp, &c, next, json_array_size(data), page);
}

/* ---- the fast path: the tokenizer, no tree ---- */

/* A page of a hundred alerts is a jansson tree of thousands of nodes, and building,
 * serialising (for each alert's raw JSON) and freeing them cost more than storing
 * the alerts. A page is read with the tokenizer instead (json_tok.h), and an
 * alert's raw JSON is its bytes in the response. Whatever the fast path does not
 * expect (any error, an escaped key, a string holding a NUL, a number jansson
 * refuses) it leaves to the jansson path above, which words every error: so both
 * read a page alike, and only the raw JSON's spelling differs. */

enum fast_buf {
	FB_ID,
	FB_MESSAGE,
	FB_PRIORITY,
	FB_STATUS,
	FB_SCRATCH, /* timestamps and tags, read and done with at once */
	FB_SERVICE,
	FB_ENTITY,
	FB_ACKED_BY,
	FB_CLOSED_BY,
	FB_RAW,
	FB_COUNT
};

struct fast {
	const struct source_ctx *ctx;
	struct jtok_parser p;
	const char *text;
	/* No whitespace between the page's tokens, so that an alert's raw JSON is a
	 * plain copy of its bytes (Opsgenie answers compact JSON). */
	bool compact;
	/* The alert being read: its decoded strings and raw JSON, in buffers reused
	 * from alert to alert. */
	struct buf b[FB_COUNT];
};

static bool
is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static bool
has_space(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (is_space(s[i]))
			return true;
	return false;
}

/* Where the bytes of token t begin (a string's opening quote) and end (past its
 * closing quote; just past a container's opening bracket, for its children follow). */
static size_t
tok_lead(const struct jtok *t)
{
	return t->type == JTOK_STRING ? t->start - 1 : t->start;
}

static size_t
tok_tail(const struct jtok *t)
{
	if (t->type == JTOK_OBJECT || t->type == JTOK_ARRAY)
		return t->start + 1;
	return t->type == JTOK_STRING ? t->end + 1 : t->end;
}

/* One pass over the tokens. False when a number is one jansson refuses (an integer
 * beyond 64 bits, a real that overflows): the whole page then fails as the jansson
 * path fails it. Sets f->compact. */
static bool
fast_scan(struct fast *f)
{
	const struct jtok *toks = f->p.toks;
	size_t pos = toks[0].start;
	int64_t integer;
	double real;

	f->compact = true;
	for (size_t i = 0; i < f->p.n; i++) {
		const struct jtok *t = &toks[i];

		if (t->type == JTOK_NUMBER && !(t->integer ? jtok_int64(&f->p, f->text, i, &integer)
							   : jtok_double(&f->p, f->text, i, &real)))
			return false;
		if (f->compact && has_space(f->text + pos, tok_lead(t) - pos))
			f->compact = false;
		pos = tok_tail(t);
	}
	if (has_space(f->text + pos, toks[0].end - pos))
		f->compact = false;
	return true;
}

/* Object token obj's bytes without the whitespace between tokens, into f->raw: the
 * same bytes as the response's for a compact page. */
static void
fast_raw(struct fast *f, size_t obj)
{
	const struct jtok *t = &f->p.toks[obj];
	const char *s = f->text + t->start;
	size_t len = t->end - t->start;
	bool in_string = false;

	buf_reset(&f->b[FB_RAW]);
	if (f->compact) {
		buf_add(&f->b[FB_RAW], s, len);
		return;
	}
	/* The text was validated: an escape always has its next byte. */
	for (size_t i = 0; i < len; i++) {
		if (in_string) {
			size_t run = s[i] == '\\' ? 2 : 1;

			buf_add(&f->b[FB_RAW], s + i, run);
			in_string = s[i] != '"';
			i += run - 1;
		} else if (!is_space(s[i])) {
			buf_add(&f->b[FB_RAW], s + i, 1);
			in_string = s[i] == '"';
		}
	}
}

/* String token tok decoded into b as a C string; NULL when tok is not a string or
 * decodes to text holding a NUL (jansson's C string would end there: left to the
 * jansson path). */
static const char *
fast_string(struct fast *f, size_t tok, struct buf *b)
{
	if (!jtok_string(&f->p, f->text, tok, b))
		return NULL;
	if (f->p.toks[tok].escaped && strlen(b->data) != b->len)
		return NULL;
	return b->data;
}

/* An optional string member: true with *out NULL when absent or null. */
static bool
fast_optional(struct fast *f, size_t tok, struct buf *b, const char **out)
{
	*out = NULL;
	if (!tok || f->p.toks[tok].type == JTOK_NULL)
		return true;
	return (*out = fast_string(f, tok, b)) != NULL;
}

static bool
fast_time(struct fast *f, size_t tok, int64_t *ms)
{
	const char *text = tok ? fast_string(f, tok, &f->b[FB_SCRATCH]) : NULL;

	return text && parse_ms(text, ms);
}

/* report.ackTime / closeTime (see elapsed()). */
static bool
fast_elapsed(struct fast *f, size_t report, const char *key, int64_t *out)
{
	size_t tok = jtok_get(&f->p, f->text, report, key);
	int64_t v;

	*out = TIME_NONE;
	if (!tok || f->p.toks[tok].type == JTOK_NULL)
		return true;
	if (!jtok_int64(&f->p, f->text, tok, &v) || v < 0 || v > MAX_ELAPSED_MS)
		return false;
	*out = v;
	return true;
}

static bool
fast_report(struct fast *f, size_t report, struct alert *a)
{
	int64_t ack, close;

	a->ack_ms = a->close_ms = TIME_NONE;
	if (!report || f->p.toks[report].type == JTOK_NULL)
		return true;
	if (f->p.toks[report].type != JTOK_OBJECT || !fast_elapsed(f, report, "ackTime", &ack) ||
	    !fast_elapsed(f, report, "closeTime", &close) ||
	    !fast_optional(f, jtok_get(&f->p, f->text, report, "acknowledgedBy"),
			   &f->b[FB_ACKED_BY], &a->acked_by) ||
	    !fast_optional(f, jtok_get(&f->p, f->text, report, "closedBy"), &f->b[FB_CLOSED_BY],
			   &a->closed_by))
		return false;
	a->ack_ms = ack == TIME_NONE ? TIME_NONE : a->created_ms + ack;
	a->close_ms = close == TIME_NONE ? TIME_NONE : a->created_ms + close;
	return true;
}

/* See alert_service(). */
static bool
fast_service(struct fast *f, size_t tags, size_t entity_tok, struct alert *a)
{
	const char *entity;

	a->service = NULL;
	if (tags && f->p.toks[tags].type != JTOK_NULL) {
		if (f->p.toks[tags].type != JTOK_ARRAY)
			return false;
		for (size_t t = jtok_first(&f->p, tags); t; t = jtok_next(&f->p, t)) {
			const char *s = fast_string(f, t, &f->b[FB_SCRATCH]);

			if (!s)
				return false;
			if (!a->service && strncmp(s, "service:", 8) == 0 && s[8]) {
				buf_reset(&f->b[FB_SERVICE]);
				buf_addstr(&f->b[FB_SERVICE], s + 8);
				a->service = f->b[FB_SERVICE].data;
			}
		}
	}
	if (!fast_optional(f, entity_tok, &f->b[FB_ENTITY], &entity))
		return false;
	if (!a->service)
		a->service = entity && *entity ? entity : default_service(f->ctx);
	return true;
}

/* The members of an alert the source reads, as token indexes (0: absent). */
struct fast_members {
	size_t id, message, priority, created, status, updated, report, tags, entity;
};

static bool
fast_members(const struct fast *f, size_t obj, struct fast_members *m)
{
	memset(m, 0, sizeof(*m));
	for (size_t k = jtok_first(&f->p, obj); k; k = jtok_next(&f->p, k)) {
		const struct jtok *t = &f->p.toks[k];
		const char *key = f->text + t->start;
		size_t len = t->end - t->start;

		if (t->escaped)
			return false;
#define KEY_IS(name) (len == sizeof(name) - 1 && memcmp(key, name, len) == 0)
		if (KEY_IS("id"))
			m->id = k + 1;
		else if (KEY_IS("message"))
			m->message = k + 1;
		else if (KEY_IS("priority"))
			m->priority = k + 1;
		else if (KEY_IS("createdAt"))
			m->created = k + 1;
		else if (KEY_IS("status"))
			m->status = k + 1;
		else if (KEY_IS("updatedAt"))
			m->updated = k + 1;
		else if (KEY_IS("report"))
			m->report = k + 1;
		else if (KEY_IS("tags"))
			m->tags = k + 1;
		else if (KEY_IS("entity"))
			m->entity = k + 1;
#undef KEY_IS
	}
	return true;
}

/* What read_alert() reads, or false. */
static bool
fast_alert(struct fast *f, size_t obj, struct alert *a)
{
	struct fast_members m;

	memset(a, 0, sizeof(*a));
	if (f->p.toks[obj].type != JTOK_OBJECT || !fast_members(f, obj, &m))
		return false;
	if (!m.id || !(a->id = fast_string(f, m.id, &f->b[FB_ID])) || !*a->id ||
	    !fast_optional(f, m.message, &f->b[FB_MESSAGE], &a->message) ||
	    !fast_optional(f, m.priority, &f->b[FB_PRIORITY], &a->priority) ||
	    !fast_time(f, m.created, &a->created_ms))
		return false;
	if (!m.status || !(a->status = fast_string(f, m.status, &f->b[FB_STATUS])) ||
	    (!streq(a->status, "open") && !streq(a->status, "closed")))
		return false;
	a->updated_ms = a->created_ms;
	if (m.updated && !fast_time(f, m.updated, &a->updated_ms))
		return false;
	if (!fast_report(f, m.report, a) || !fast_service(f, m.tags, m.entity, a))
		return false;
	settle_close(a);
	return true;
}

/* paging.next, or false. */
static bool
fast_next(struct fast *f, struct buf *b, const char **next)
{
	size_t paging = jtok_get(&f->p, f->text, 0, "paging"), tok;

	*next = NULL;
	if (!paging || f->p.toks[paging].type == JTOK_NULL)
		return true;
	if (f->p.toks[paging].type != JTOK_OBJECT)
		return false;
	tok = jtok_get(&f->p, f->text, paging, "next");
	return fast_optional(f, tok, b, next);
}

static bool
fast_page(struct fast *f, const struct source_request *req, const struct http_response *resp,
	  struct source_page *page, enum status_code *code)
{
	const char *source, *next;
	struct page_cursor c;
	struct alert a;
	struct buf next_buf;
	size_t data, n = 0;
	bool ok = false;

	if (!jtok_parse(&f->p, f->text, resp->body_len) || f->p.toks[0].type != JTOK_OBJECT ||
	    !fast_scan(f))
		return false;
	data = jtok_get(&f->p, f->text, 0, "data");
	if (!data || f->p.toks[data].type != JTOK_ARRAY)
		return false;
	page_cursor_init(f->ctx, &c);
	source = source_page_strdup(page, f->ctx->name);
	for (size_t e = jtok_first(&f->p, data); e; e = jtok_next(&f->p, e), n++) {
		if (!fast_alert(f, e, &a))
			return false;
		fast_raw(f, e);
		add_alert(&a, source, f->b[FB_RAW].data, f->b[FB_RAW].len, page, &c.max_updated);
	}
	buf_init(&next_buf, 0);
	if (fast_next(f, &next_buf, &next)) {
		*code = end_page(f->ctx, req, resp, &c, next, n, page);
		ok = true;
	}
	buf_release(&next_buf);
	return ok;
}

/* Reads a 200's page with the tokenizer: true with *code its result, or false with
 * the page as it was, for the jansson path. */
static bool
fast_parse(const struct source_ctx *ctx, const struct source_request *req,
	   const struct http_response *resp, struct source_page *page, enum status_code *code)
{
	struct fast f = { .ctx = ctx, .text = resp->body };
	bool ok;

	jtok_init(&f.p);
	for (size_t i = 0; i < FB_COUNT; i++)
		buf_init(&f.b[i], 0);
	ok = fast_page(&f, req, resp, page, code);
	for (size_t i = 0; i < FB_COUNT; i++)
		buf_release(&f.b[i]);
	jtok_release(&f.p);
	if (!ok) {
		/* Back to nothing read: the jansson path starts afresh. */
		source_page_release(page);
		source_page_init(page);
	}
	return ok;
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
		return og_http_error(STREAM, resp, false);
	if ((code = source_check_response(TYPE, STREAM, resp)) != SUCCESS)
		return code;
	if (fast_parse(ctx, req, resp, page, &code))
		return code;
	if ((code = source_parse_json(TYPE, STREAM, resp, &root)) != SUCCESS)
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
	.act = og_act,
	.acted = og_acted,
};
