/* sentry.c - Sentry issues as incidents: one incident per issue, one stream per
 * configured project ("issues:SLUG", GET /api/0/projects/ORG/SLUG/issues/), or one
 * stream for the whole organization ("issues", GET /api/0/organizations/ORG/issues/)
 * when the config names no project. The project endpoint is deprecated in favour
 * of the organization one but still served; it takes the slug the config names,
 * where the organization endpoint wants numeric project ids.
 *
 * Incremental sync. Sentry has no "changed since" filter, so pages are asked
 * newest lastSeen first (sort=date, query= for every status) and paging stops at
 * the first page holding an issue older than the stream's watermark: the newest
 * lastSeen of the last complete round (or, before the first one, 14 days back).
 * Pages follow the Link header's rel="next" while it says results="true".
 *
 * The watermark moves only when a round reaches its last page. Moving it with
 * each page would skip, after a failure or a stop in the middle of a round, the
 * issues the unread pages held. The round's newest lastSeen, seen on its first
 * page, reaches the last one in the fragment of the next page's URL
 * ("#sitrep-newest=..."), which HTTP clients never send: the engine hands a page
 * nothing else of the pages before it.
 *
 * Resolution. lastSeen does not move when an issue is resolved, so a resolution
 * shows only on pages fetched anyway: the last page of a round, which in a quiet
 * round is the project's 100 most recently seen issues. resolved_at is, in order:
 * the time of the last resolve activity when the payload carries `activity` (the
 * issue-details shape; lists do not, and statusDetails says what resolves an issue,
 * not when); else the time remembered for it in the cursor; else, for an issue the
 * previous round saw open, this round's poll time (the resolution happened since);
 * else lastSeen: an issue met already resolved (the first sync, or resolved between
 * two rounds after new events) stopped erring then, and a resolved issue regresses
 * on its next event, so the resolution came after it. The poll time would date
 * every old resolution to the day sitrep was set up. The cursor remembers the open
 * ids and resolution times of the round's last page, where an unchanged issue is
 * seen again, so a poll time stays put from round to round (after a round of
 * several pages, the issues of its earlier pages are met anew: lastSeen again).
 *
 * Events: "trigger" at firstSeen, and "regressed" for substatus regressed (see
 * regression_time). Sentry has no acknowledgement (an assignment is not one) and
 * no containment; an ignored (archived) issue is muted, not over, and stays open.
 * It must not do I/O or change untrusted text in records (the display sanitizes);
 * error messages, which quote the server, are sanitized. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include "sitrep/config.h"
#include "sitrep/json.h"
#include "sitrep/timestamp.h"

#define TYPE "sentry"
#define PAGE_LIMIT "100"
/* How far back the first round goes. */
#define BACKFILL_SECONDS (14 * 86400)
/* The query of both endpoints: every status (the default is is:unresolved, which
 * never shows a resolution), newest lastSeen first, the inbox for regressions. */
#define LIST_QUERY "?query=&statsPeriod=14d&sort=date&limit=" PAGE_LIMIT "&expand=inbox"
#define FRAGMENT "#sitrep-newest="
#define US_PER_S INT64_C(1000000)
/* Sentry's GroupInboxReason.REGRESSION. */
#define INBOX_REGRESSION 2

/* ---- instants with microseconds ---- */

/* lastSeen carries microseconds ("2025-03-03T09:59:59.123456Z", or none at all):
 * issues seen within one second must still order, or paging would stop early. */
static bool
parse_instant(const char *text, int64_t *us)
{
	int64_t sec, frac = 0;
	int digits = 0;

	if (!timestamp_parse(text, &sec))
		return false;
	if (strlen(text) > 20 && strchr("Tt ", text[10]) && text[19] == '.') {
		for (const char *p = text + 20; *p >= '0' && *p <= '9'; p++)
			if (digits < 6) {
				frac = frac * 10 + (*p - '0');
				digits++;
			}
		while (digits++ < 6)
			frac *= 10;
	}
	*us = sec * US_PER_S + frac;
	return true;
}

static int64_t
seconds_of(int64_t us)
{
	return us >= 0 ? us / US_PER_S : -((-us + US_PER_S - 1) / US_PER_S);
}

/* "2025-03-03T09:59:59.123456Z": the cursor's and the fragment's one form. */
static void
format_instant(int64_t us, char *buf, size_t size)
{
	char text[TIMESTAMP_TEXT_SIZE];
	int64_t sec = seconds_of(us);

	timestamp_format(sec, text, sizeof(text));
	snprintf(buf, size, "%.19s.%06lldZ", text, (long long)(us - sec * US_PER_S));
}

/* ---- plan ---- */

static const char *
default_service(const struct source_ctx *ctx)
{
	if (!ctx->config)
		return NULL;
	return ctx->config->service ? ctx->config->service
				    : config_source_get(ctx->config, "service");
}

static void
add_stream(const struct source_ctx *ctx, const char *base, const char *org, const char *project,
	   struct source_request **out, size_t *n)
{
	char *org_e = http_escape(org), *project_e = http_escape(project), *path, *stream;
	struct source_request *req;

	if (project) {
		path = xasprintf("/api/0/projects/%s/%s/issues/" LIST_QUERY, org_e, project_e);
		stream = xasprintf("issues:%s", project);
	} else {
		path = xasprintf("/api/0/organizations/%s/issues/" LIST_QUERY "&project=-1", org_e);
		stream = xstrdup("issues");
	}
	req = source_request_add(out, n, stream, "GET", source_url(base, path));
	source_request_bearer(req, ctx->secret);
	free(stream);
	free(path);
	free(org_e);
	free(project_e);
}

static enum status_code
sentry_plan(const struct source_ctx *ctx, struct source_request **out, size_t *n)
{
	const char *base = ctx->config ? config_source_get(ctx->config, "url") : NULL;
	const char *org = ctx->config ? config_source_get(ctx->config, "org") : NULL;
	size_t i, projects = 0;

	if (!base || !*base)
		return error(TYPE " %s: no url configured", ctx->name);
	if (!org || !*org)
		return error(TYPE " %s: no org configured", ctx->name);
	for (i = 0; i < ctx->config->n_values; i++) {
		const struct config_value *v = &ctx->config->values[i];

		if (!streq(v->key, "project"))
			continue;
		if (!v->value || !*v->value)
			return error(TYPE " %s: an empty project (line %d)", ctx->name, v->line);
		add_stream(ctx, base, org, v->value, out, n);
		projects++;
	}
	if (projects == 0)
		add_stream(ctx, base, org, NULL, out, n);
	return SUCCESS;
}

/* ---- the cursor ---- */

/* {"lastSeen": "...", "open": [ids], "resolved": {id: epoch}}; a bare timestamp is a
 * watermark alone. Anything else starts afresh: a re-read costs a round, a wrong
 * watermark would lose issues. */
struct cursor_state {
	json_t *root;	   /* new, or NULL */
	int64_t watermark; /* microseconds, or TIME_NONE */
	const json_t *open;
	const json_t *resolved;
};

static void
cursor_load(const struct source_ctx *ctx, const char *stream, struct cursor_state *st)
{
	const char *text = ctx->cursor ? ctx->cursor(ctx->engine, stream) : NULL;
	const char *mark = NULL;

	memset(st, 0, sizeof(*st));
	st->watermark = TIME_NONE;
	if (!text)
		return;
	if (*text != '{') {
		mark = text;
	} else if ((st->root = json_loads(text, 0, NULL)) && json_is_object(st->root)) {
		mark = json_string_value(json_object_get(st->root, "lastSeen"));
		st->open = json_object_get(st->root, "open");
		st->resolved = json_object_get(st->root, "resolved");
	}
	if (mark && !parse_instant(mark, &st->watermark))
		st->watermark = TIME_NONE;
}

static bool
cursor_open(const struct cursor_state *st, const char *id)
{
	size_t i;

	for (i = 0; json_is_array(st->open) && i < json_array_size(st->open); i++)
		if (streq(json_string_value(json_array_get(st->open, i)), id))
			return true;
	return false;
}

static int64_t
cursor_resolved(const struct cursor_state *st, const char *id)
{
	const json_t *v = json_is_object(st->resolved) ? json_object_get(st->resolved, id) : NULL;

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : TIME_NONE;
}

/* ---- one page ---- */

struct parse_state {
	const struct source_ctx *ctx;
	const char *stream;
	const char *project; /* the stream's project; NULL for the organization's */
	struct source_page *page;
	struct cursor_state prev;
	int64_t floor;	/* microseconds: issues seen before it are known */
	bool stop;	/* this page reached the floor: it is the last */
	int64_t newest; /* microseconds, the round's newest lastSeen so far */
	json_t *open;	/* this page's open ids and resolutions, for the cursor */
	json_t *resolved;
	size_t index; /* of the issue being read, for messages */
};

/* "sentry issues:checkout: issue 3: lastSeen is a number, not a string". */
static enum status_code
field_error(const struct parse_state *ps, const char *field, const char *what, const char *value)
{
	char *text;

	if (!value)
		return error(TYPE " %s: issue %zu: %s %s", ps->stream, ps->index, field, what);
	text = source_error_text(value, strlen(value));
	error(TYPE " %s: issue %zu: %s \"%s\" %s", ps->stream, ps->index, field, text, what);
	free(text);
	return ERROR_CUSTOM_MESSAGE;
}

static enum status_code
wrong_type(const struct parse_state *ps, const char *field, const json_t *v, const char *want)
{
	char what[64];

	snprintf(what, sizeof(what), "is %s, not %s", json_type_name(v), want);
	return field_error(ps, field, what, NULL);
}

/* A string member; absent or null gives NULL unless required. */
static enum status_code
get_string(const struct parse_state *ps, const json_t *obj, const char *key, const char *field,
	   bool required, const char **out)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return required ? field_error(ps, field, "is missing", NULL) : SUCCESS;
	if (!json_is_string(v))
		return wrong_type(ps, field, v, "a string");
	*out = json_string_value(v);
	return SUCCESS;
}

static enum status_code
get_instant(const struct parse_state *ps, const json_t *obj, const char *key, const char *field,
	    int64_t *us)
{
	const char *text;
	enum status_code code;

	if ((code = get_string(ps, obj, key, field, true, &text)) != SUCCESS)
		return code;
	if (!parse_instant(text, us))
		return field_error(ps, field, "is not a timestamp", text);
	return SUCCESS;
}

static bool
is_resolve_activity(const char *type)
{
	static const char *const types[] = {
		"set_resolved",		  "set_resolved_in_release",
		"set_resolved_in_commit", "set_resolved_in_pull_request",
		"set_resolved_by_age",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++)
		if (streq(type, types[i]))
			return true;
	return false;
}

/* The last resolution and the last regression in the issue's activity, when it
 * has any (the issue-details payload); TIME_NONE otherwise. */
static enum status_code
read_activity(const struct parse_state *ps, const json_t *issue, int64_t *resolved,
	      int64_t *regressed)
{
	const json_t *activity = json_object_get(issue, "activity"), *a;
	char field[64];
	size_t i;

	*resolved = *regressed = TIME_NONE;
	if (!activity || json_is_null(activity))
		return SUCCESS;
	if (!json_is_array(activity))
		return wrong_type(ps, "activity", activity, "an array");
	json_array_foreach(activity, i, a)
	{
		const char *type;
		enum status_code code;
		int64_t at;

		snprintf(field, sizeof(field), "activity[%zu]", i);
		if (!json_is_object(a))
			return wrong_type(ps, field, a, "an object");
		snprintf(field, sizeof(field), "activity[%zu].type", i);
		if ((code = get_string(ps, a, "type", field, true, &type)) != SUCCESS)
			return code;
		if (!is_resolve_activity(type) && !streq(type, "set_regression"))
			continue;
		snprintf(field, sizeof(field), "activity[%zu].dateCreated", i);
		if ((code = get_instant(ps, a, "dateCreated", field, &at)) != SUCCESS)
			return code;
		at = seconds_of(at);
		if (streq(type, "set_regression"))
			*regressed = *regressed == TIME_NONE || at > *regressed ? at : *regressed;
		else
			*resolved = *resolved == TIME_NONE || at > *resolved ? at : *resolved;
	}
	return SUCCESS;
}

/* When an issue regressed: its set_regression activity, else the date it entered
 * the inbox for the regression (expand=inbox). Neither: TIME_NONE, and no event,
 * since any other time would move from round to round and repeat it. */
static enum status_code
regression_time(const struct parse_state *ps, const json_t *issue, int64_t from_activity,
		int64_t *at)
{
	const json_t *inbox = json_object_get(issue, "inbox"), *reason;
	enum status_code code;
	int64_t us;

	*at = from_activity;
	if (*at != TIME_NONE || !inbox || json_is_null(inbox))
		return SUCCESS;
	if (!json_is_object(inbox))
		return wrong_type(ps, "inbox", inbox, "an object");
	reason = json_object_get(inbox, "reason");
	if (reason && !json_is_integer(reason))
		return wrong_type(ps, "inbox.reason", reason, "an integer");
	if (json_integer_value(reason) != INBOX_REGRESSION)
		return SUCCESS;
	if ((code = get_instant(ps, inbox, "date_added", "inbox.date_added", &us)) != SUCCESS)
		return code;
	*at = seconds_of(us);
	return SUCCESS;
}

static const char *
severity_of(const char *level)
{
	static const struct {
		const char *level, *priority;
	} map[] = {
		{ "fatal", "P1" }, { "error", "P2" }, { "warning", "P3" },
		{ "info", "P4" },  { "debug", "P4" },
	};
	size_t i;

	for (i = 0; level && i < ARRAY_SIZE(map); i++)
		if (streq(level, map[i].level))
			return map[i].priority;
	return NULL; /* a level Sentry adds later: no priority rather than a guess */
}

/* See the top of the file for the order. */
static int64_t
resolution_time(struct parse_state *ps, const char *id, int64_t from_activity, int64_t last_seen)
{
	int64_t at = from_activity;

	if (at == TIME_NONE)
		at = cursor_resolved(&ps->prev, id);
	if (at == TIME_NONE)
		at = cursor_open(&ps->prev, id) ? ps->ctx->now : last_seen;
	json_object_set_new(ps->resolved, id, json_integer((json_int_t)at));
	return at;
}

/* The service: the config's, else the stream's project, else the issue's. */
static enum status_code
service_of(const struct parse_state *ps, const json_t *issue, const char **service)
{
	const json_t *project = json_object_get(issue, "project");
	enum status_code code;

	*service = default_service(ps->ctx);
	if (*service && **service)
		return SUCCESS;
	*service = ps->project;
	if (*service)
		return SUCCESS;
	if (!json_is_object(project))
		return project ? wrong_type(ps, "project", project, "an object")
			       : field_error(ps, "project", "is missing", NULL);
	if ((code = get_string(ps, project, "slug", "project.slug", true, service)) != SUCCESS)
		return code;
	return **service ? SUCCESS : field_error(ps, "project.slug", "is empty", NULL);
}

/* The issue's own fields, checked. */
struct issue_fields {
	const char *id, *title, *level, *status, *substatus, *permalink, *service;
	int64_t first_seen, last_seen; /* microseconds */
};

static enum status_code
read_fields(const struct parse_state *ps, const json_t *issue, struct issue_fields *f)
{
	enum status_code code;

	if ((code = get_string(ps, issue, "id", "id", true, &f->id)) != SUCCESS)
		return code;
	if (!*f->id)
		return field_error(ps, "id", "is empty", NULL);
	if ((code = get_string(ps, issue, "title", "title", true, &f->title)) != SUCCESS ||
	    (code = get_string(ps, issue, "level", "level", false, &f->level)) != SUCCESS ||
	    (code = get_string(ps, issue, "status", "status", true, &f->status)) != SUCCESS ||
	    (code = get_string(ps, issue, "substatus", "substatus", false, &f->substatus)) !=
		    SUCCESS ||
	    (code = get_string(ps, issue, "permalink", "permalink", false, &f->permalink)) !=
		    SUCCESS ||
	    (code = get_instant(ps, issue, "firstSeen", "firstSeen", &f->first_seen)) != SUCCESS ||
	    (code = get_instant(ps, issue, "lastSeen", "lastSeen", &f->last_seen)) != SUCCESS)
		return code;
	return service_of(ps, issue, &f->service);
}

/* permalink leads to the issue; only an absolute http(s) one is any use. */
static const char *
usable_url(const char *url)
{
	if (url && (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0))
		return url;
	return NULL;
}

static void
add_event(struct source_page *page, const char *id, int64_t at, const char *kind)
{
	struct source_event *ev = source_page_event(page);

	ev->incident_id = id;
	ev->at = at;
	ev->kind = kind;
}

static enum status_code
parse_issue(struct parse_state *ps, const json_t *issue)
{
	struct source_page *page = ps->page;
	struct issue_fields f;
	struct store_incident *inc;
	const char **services;
	int64_t resolved_act, regressed_act, regressed = TIME_NONE;
	enum status_code code;
	char *raw;

	if (!json_is_object(issue))
		return error(TYPE " %s: issue %zu is %s, not an object", ps->stream, ps->index,
			     json_type_name(issue));
	if ((code = read_fields(ps, issue, &f)) != SUCCESS ||
	    (code = read_activity(ps, issue, &resolved_act, &regressed_act)) != SUCCESS)
		return code;
	if (streq(f.substatus, "regressed") &&
	    (code = regression_time(ps, issue, regressed_act, &regressed)) != SUCCESS)
		return code;

	inc = source_page_incident(page);
	inc->source = source_page_strdup(page, ps->ctx->name);
	inc->source_id = source_page_strdup(page, f.id);
	services = source_page_alloc(page, sizeof(*services));
	services[0] = source_page_strdup(page, f.service);
	inc->services = services;
	inc->n_services = 1;
	inc->title = source_page_strdup(page, f.title);
	inc->severity = severity_of(f.level);
	inc->impact = MX_IMPACT_DEGRADED;
	inc->impact_start = seconds_of(f.first_seen);
	/* The issue alert's firing time is not on the issue: Sentry makes the issue
	 * at its first event, so that is when it was detected. */
	inc->detected_at = inc->impact_start;
	inc->updated_at = seconds_of(f.last_seen);
	inc->url = source_page_strdup(page, usable_url(f.permalink));
	raw = json_dumps(issue, JSON_COMPACT | JSON_PRESERVE_ORDER);
	inc->raw_json = source_page_strdup(page, raw);
	free(raw);
	if (streq(f.status, "resolved"))
		inc->resolved_at =
			resolution_time(ps, inc->source_id, resolved_act, inc->updated_at);
	else /* unresolved, ignored (muted, not over), or a state Sentry adds */
		json_array_append_new(ps->open, json_string(f.id));

	add_event(page, inc->source_id, inc->impact_start, "trigger");
	if (regressed != TIME_NONE)
		add_event(page, inc->source_id, regressed, "regressed");

	if (f.last_seen < ps->floor)
		ps->stop = true;
	if (ps->newest == TIME_NONE || f.last_seen > ps->newest)
		ps->newest = f.last_seen;
	return SUCCESS;
}

/* The newest lastSeen of the pages before this one, from the URL's fragment. */
static int64_t
carried_newest(const char *url)
{
	const char *p = url ? strstr(url, FRAGMENT) : NULL;
	int64_t us;

	return p && parse_instant(p + strlen(FRAGMENT), &us) ? us : TIME_NONE;
}

/* The next page, carrying the round's newest lastSeen; the request's headers
 * (the token) go with it. */
static void
add_next(struct parse_state *ps, const struct source_request *req, const char *link)
{
	struct source_request *next = xcalloc(1, sizeof(*next));
	char newest[48];
	size_t i;

	format_instant(ps->newest, newest, sizeof(newest));
	next->stream = xstrdup(req->stream);
	next->method = xstrdup("GET");
	next->url = xasprintf("%.*s" FRAGMENT "%s", (int)strcspn(link, "#"), link, newest);
	for (i = 0; i < req->n_headers; i++)
		source_request_header(next, req->headers[i].name, req->headers[i].value);
	ps->page->next = next;
}

/* The last page of the round: the watermark moves to the round's newest lastSeen,
 * and this page's open ids and resolutions are remembered. */
static void
set_cursor(struct parse_state *ps)
{
	int64_t mark = ps->prev.watermark;
	json_t *root;
	char text[48];

	if (ps->newest != TIME_NONE && (mark == TIME_NONE || ps->newest > mark))
		mark = ps->newest;
	if (mark == TIME_NONE)
		return; /* nothing seen, ever: the cursor stays as it is */
	format_instant(mark, text, sizeof(text));
	root = json_object();
	json_object_set_new(root, "lastSeen", json_string(text));
	json_object_set(root, "open", ps->open);
	json_object_set(root, "resolved", ps->resolved);
	ps->page->cursor = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
}

static enum status_code
parse_issues(struct parse_state *ps, const struct source_request *req, const json_t *issues,
	     const struct http_response *resp)
{
	enum status_code code = SUCCESS;
	const json_t *issue;
	char *link;

	cursor_load(ps->ctx, ps->stream, &ps->prev);
	ps->floor = ps->prev.watermark != TIME_NONE ? ps->prev.watermark
						    : (ps->ctx->now - BACKFILL_SECONDS) * US_PER_S;
	ps->newest = carried_newest(req->url);
	ps->open = json_array();
	ps->resolved = json_object();
	json_array_foreach(issues, ps->index, issue)
	{
		if ((code = parse_issue(ps, issue)) != SUCCESS)
			break;
	}
	if (code == SUCCESS) {
		link = ps->stop ? NULL : http_link_next(resp);
		if (link)
			add_next(ps, req, link);
		else
			set_cursor(ps);
		free(link);
	}
	json_decref(ps->open);
	json_decref(ps->resolved);
	json_decref(ps->prev.root);
	return code;
}

/* ---- errors ---- */

static const char *
status_hint(long status)
{
	switch (status) {
	case 401:
		return " (check the token)";
	case 403:
		return " (the token needs the event:read and project:read scopes)";
	case 404:
		return " (check org and project)";
	default:
		return "";
	}
}

/* X-Sentry-Rate-Limit-Reset is an absolute epoch second, not a delay. */
static void
reset_note(const struct http_response *resp, char *buf, size_t size)
{
	const char *reset = http_header_get(resp, "X-Sentry-Rate-Limit-Reset");
	char when[TIMESTAMP_TEXT_SIZE];
	int64_t at;

	buf[0] = '\0';
	if (resp->status == 429 && reset && timestamp_parse(reset, &at)) {
		timestamp_format(at, when, sizeof(when));
		snprintf(buf, size, "; the rate limit resets at %s", when);
	}
}

/* Sentry's errors are Django REST framework's {"detail": "..."} (401, 403, 404,
 * 429; a 500 adds an errorId); a proxy in front may send anything. */
static enum status_code
http_error(const char *stream, const struct http_response *resp)
{
	json_t *root = json_loadb(resp->body, resp->body_len, 0, NULL);
	const json_t *detail = json_object_get(root, "detail");
	const char *msg = json_string_value(detail);
	enum status_code code;
	char note[96], *text;
	size_t len;

	if (!msg && json_is_object(detail))
		msg = json_string_value(json_object_get(detail, "message"));
	reset_note(resp, note, sizeof(note));
	if (!msg && !note[0]) {
		json_decref(root);
		return source_check_response(TYPE, stream, resp);
	}
	text = msg ? source_error_text(msg, strlen(msg))
		   : source_error_text(resp->body, resp->body_len);
	/* A plain-text body ends in a newline, which sanitizing made a space. */
	for (len = strlen(text); len > 0 && text[len - 1] == ' '; len--)
		text[len - 1] = '\0';
	code = error(TYPE " %s: HTTP %ld: %s%s%s", stream, resp->status,
		     *text ? text : "(empty body)", status_hint(resp->status), note);
	free(text);
	json_decref(root);
	return code;
}

static enum status_code
sentry_parse(const struct source_ctx *ctx, const struct source_request *req,
	     const struct http_response *resp, struct source_page *page)
{
	struct parse_state ps = { .ctx = ctx, .stream = req->stream, .page = page };
	enum status_code code;
	json_t *root = NULL;

	if (resp->status != 200 && resp->status != 0 && resp->body && !resp->too_big)
		return http_error(req->stream, resp);
	if (strncmp(req->stream, "issues:", 7) == 0 && req->stream[7])
		ps.project = req->stream + 7;
	else if (!streq(req->stream, "issues"))
		return error(TYPE " %s: not a stream of this source", req->stream);
	if ((code = source_check_response(TYPE, req->stream, resp)) != SUCCESS ||
	    (code = source_parse_json(TYPE, req->stream, resp, &root)) != SUCCESS)
		return code;
	if (!json_is_array(root))
		code = error(TYPE " %s: the response is %s, not a JSON array of issues",
			     req->stream, json_type_name(root));
	else
		code = parse_issues(&ps, req, root, resp);
	json_decref(root);
	return code;
}

const struct source_ops source_sentry_ops = {
	.type = TYPE,
	.plan = sentry_plan,
	.parse = sentry_parse,
};
