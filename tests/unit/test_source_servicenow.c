/* test_source_servicenow.c - the ServiceNow source: the requests a round plans (URLs,
 * encoded queries, Basic and bearer auth), the chain of requests a page of
 * incidents goes through (incidents, task_sla, sys_audit, sys_journal_field) with
 * the sync state carrying its rows from step to step as the engine would commit
 * it, the exact records and events it ends in, the task_sla stream, the keyset
 * cursor, and a table of bad responses with the error each must give. Payloads:
 * the Table API docs examples (tests/fixtures/servicenow, byte for byte) and rows
 * of the same shape written for these tests (*-sitrep.json). No socket is opened. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#include "source_support.h"

#include "sitrep/config.h"
#include "sitrep/json.h"
#include "support.h"

/* 2025-03-05T12:00:00Z: the round's clock; the first round reads 90 days back. */
#define NOW 1741176000
#define BASE "https://acme.service-now.com"
#define INC_A "9d385017c611228701d22104cc95c371" /* INC0010001, closed, P1 */
#define INC_B "a83820b58f723300e7e16c7827bdeed2" /* INC0010002, in progress, P3 */
#define DOCS_ID "a9e30c7dc61122760116894de7bcc7bd"
#define OG_ALERT "70413a06-38d6-4c85-92b8-5ebc900d42e2"
#define ORDER "^ORDERBYsys_updated_on^ORDERBYsys_id"
#define INCIDENT_FIELDS                                                                \
	"sys_id,number,sys_updated_on,sys_created_on,opened_at,resolved_at,closed_at," \
	"state,priority,short_description,assigned_to,assigned_to.name,"               \
	"business_service,business_service.name,cmdb_ci,cmdb_ci.name,correlation_id,"  \
	"reopen_count,reopened_time"
#define SLA_FIELDS                                                                  \
	"sys_id,task,sys_updated_on,sla,sla.name,sla.target,sla.duration,schedule," \
	"start_time,end_time,planned_end_time,pause_duration,pause_time,stage,has_breached"
#define LINK_NEXT(table)                                                         \
	"<" BASE "/api/now/table/" table "?sysparm_offset=100&sysparm_limit=100" \
	"&sysparm_query=x>;rel=\"next\",<" BASE "/api/now/table/" table          \
	"?sysparm_offset=0&sysparm_limit=100&sysparm_query=x>;rel=\"first\""

/*
 * The harness: a source, its ctx, and the engine's part (the stored cursors, the
 * chain's next request).
 */

enum {
	INCIDENTS,
	SLAS
};

struct harness {
	struct test_source t;
	struct source_ctx ctx;
	char *cursor[2];	     /* as committed */
	struct source_request *reqs; /* the plan */
	size_t n_reqs;
	struct source_request *req; /* the one to parse next (owned) */
	struct source_page page;
	bool page_live;
};

static int
stream_index(const char *stream)
{
	return streq(stream, "task_sla") ? SLAS : INCIDENTS;
}

static const char *
cursor_of(void *engine, const char *stream)
{
	struct harness *h = engine;

	return h->cursor[stream_index(stream)];
}

static void
set_cursor(struct harness *h, int stream, const char *text)
{
	free(h->cursor[stream]);
	h->cursor[stream] = text ? xstrdup(text) : NULL;
}

/* [source "sn"]: user sitrep and a password, or a token; correlate when set. */
static void
h_init(struct harness *h, const char *secret, bool token, const char *correlate)
{
	memset(h, 0, sizeof(*h));
	test_source_init(&h->t, "sn", "servicenow", BASE, "fallback");
	if (token) {
		add_value(&h->t, "token", "env:SN_TOKEN");
	} else {
		add_value(&h->t, "user", "sitrep");
		add_value(&h->t, "password", "env:SN_PASSWORD");
	}
	if (correlate)
		add_value(&h->t, "correlate", correlate);
	h->ctx.name = "sn";
	h->ctx.config = &h->t.src;
	h->ctx.secret = secret;
	h->ctx.now = NOW;
	h->ctx.cursor = cursor_of;
	h->ctx.engine = h;
}

static void
h_release_page(struct harness *h)
{
	if (h->page_live)
		source_page_release(&h->page);
	h->page_live = false;
}

static void
h_release_req(struct harness *h)
{
	if (h->req) {
		source_request_release(h->req);
		free(h->req);
		h->req = NULL;
	}
}

static void
h_release(struct harness *h)
{
	h_release_page(h);
	h_release_req(h);
	source_requests_free(h->reqs, h->n_reqs);
	set_cursor(h, INCIDENTS, NULL);
	set_cursor(h, SLAS, NULL);
	source_release(&h->t);
}

static const struct source_ops *
ops(void)
{
	return test_ops("servicenow");
}

/* Plans a round and takes its request of stream as the one to parse. */
static void
h_plan(struct harness *h, int stream)
{
	source_requests_free(h->reqs, h->n_reqs);
	h->reqs = NULL;
	h->n_reqs = 0;
	assert_int_equal(ops()->plan(&h->ctx, &h->reqs, &h->n_reqs), SUCCESS);
	assert_int_equal(h->n_reqs, 2);
	h_release_req(h);
	h->req = xcalloc(1, sizeof(*h->req));
	h->req->stream = xstrdup(h->reqs[stream].stream);
	h->req->method = xstrdup("GET");
	h->req->url = xstrdup(h->reqs[stream].url);
	for (size_t i = 0; i < h->reqs[stream].n_headers; i++)
		source_request_header(h->req, h->reqs[stream].headers[i].name,
				      h->reqs[stream].headers[i].value);
}

/* Parses resp as the answer to the current request; on success commits the page's
 * cursor as the engine would. The page stays for inspection until h_next. */
static enum status_code
h_step(struct harness *h, const struct http_response *resp)
{
	enum status_code code;

	h_release_page(h);
	source_page_init(&h->page);
	h->page_live = true;
	code = ops()->parse(&h->ctx, h->req, resp, &h->page);
	if (code != SUCCESS)
		print_error("%s\n", status_message(code));
	else if (h->page.cursor)
		set_cursor(h, stream_index(h->req->stream), h->page.cursor);
	return code;
}

static enum status_code
h_step_file(struct harness *h, const char *fixture, const char *link)
{
	struct http_response resp;
	enum status_code code;

	response_file(&resp, 200, fixture);
	if (link)
		response_header(&resp, "Link", link);
	code = h_step(h, &resp);
	response_release(&resp);
	return code;
}

static enum status_code
h_step_text(struct harness *h, long status, const char *body)
{
	struct http_response resp;
	enum status_code code;

	response_text(&resp, status, body);
	code = h_step(h, &resp);
	response_release(&resp);
	return code;
}

/* Takes the page's next request as the current one; false when there is none. */
static bool
h_next(struct harness *h)
{
	h_release_req(h);
	h->req = h->page.next;
	h->page.next = NULL;
	h_release_page(h);
	return h->req != NULL;
}

/* The decoded value of a query parameter of url (new), or NULL. */
static char *
param(const char *url, const char *name)
{
	const char *p = strchr(url, '?');
	size_t nlen = strlen(name);

	while (p && *p) {
		p++;
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			size_t len = strcspn(p + nlen + 1, "&#");
			char *out = xmalloc(len + 1), *o = out;

			for (const char *s = p + nlen + 1; s < p + nlen + 1 + len; s++) {
				unsigned v;

				if (*s == '%' && sscanf(s + 1, "%2x", &v) == 1) {
					*o++ = (char)v;
					s += 2;
				} else {
					*o++ = *s;
				}
			}
			*o = '\0';
			return out;
		}
		p = strchr(p, '&');
	}
	return NULL;
}

static void
assert_param(const char *url, const char *name, const char *want)
{
	char *got = param(url, name);

	if (!got)
		fail_msg("no %s in %s", name, url);
	if (!streq(got, want))
		print_error("%s: got  %s\n%*s  want %s\n", name, got, (int)strlen(name), "", want);
	assert_string_equal(got, want);
	free(got);
}

/* The request's table path and fragment: "task_sla#sitrep-step=slas". */
static void
assert_target(const struct source_request *req, const char *table, const char *fragment)
{
	char *want = xasprintf(BASE "/api/now/table/%s?", table);
	const char *hash = strchr(req->url, '#');

	assert_true(strncmp(req->url, want, strlen(want)) == 0);
	if (fragment)
		assert_string_equal(hash, fragment);
	else
		assert_null(hash);
	free(want);
}

static const char *
header(const struct source_request *req, const char *name)
{
	for (size_t i = 0; i < req->n_headers; i++)
		if (streq(req->headers[i].name, name))
			return req->headers[i].value;
	return NULL;
}

static void
assert_event(const struct source_event *ev, const char *id, const char *kind, const char *at,
	     const char *actor, const char *text, const char *event_id)
{
	assert_string_equal(ev->incident_id, id);
	assert_string_equal(ev->kind, kind);
	assert_int_equal(ev->at, ts(at));
	if (actor)
		assert_string_equal(ev->actor, actor);
	else
		assert_null(ev->actor);
	if (text)
		assert_string_equal(ev->text, text);
	else
		assert_null(ev->text);
	if (event_id)
		assert_string_equal(ev->event_id, event_id);
	else
		assert_null(ev->event_id);
}

static void
assert_sla(const struct store_sla *s, const char *name, const char *kind, int64_t target,
	   enum mx_schedule schedule, const char *start, const char *due, const char *stop,
	   int64_t paused, const char *stage)
{
	assert_string_equal(s->name, name);
	assert_string_equal(s->kind, kind);
	assert_int_equal(s->target, target);
	assert_int_equal(s->schedule, schedule);
	assert_int_equal(s->start_at, ts(start));
	assert_int_equal(s->due_at, ts(due));
	assert_int_equal(s->stop_at, ts(stop));
	assert_int_equal(s->paused, paused);
	assert_string_equal(s->stage, stage);
	assert_false(s->breached);
}

/*
 * Plans
 */

static void
source_servicenow__registered(void **state)
{
	(void)state;
	assert_string_equal(ops()->type, "servicenow");
	assert_null(ops()->login);
}

/* The first round: both streams from 90 days back, raw values, Basic auth. */
static void
source_servicenow__plan_first_round(void **state)
{
	static const char first[] =
		BASE "/api/now/table/incident?sysparm_query=sys_updated_on%3E%3D2024-12-05%2012%3A"
		     "00%3A00%5EORDERBYsys_updated_on%5EORDERBYsys_id&sysparm_fields=sys_id%2C"
		     "number%2Csys_updated_on%2C";
	struct harness h;

	(void)state;
	h_init(&h, "pa55", false, NULL);
	h_plan(&h, INCIDENTS);
	assert_string_equal(h.reqs[0].stream, "incident");
	assert_string_equal(h.reqs[0].method, "GET");
	/* The encoding, once in full: ^ = > space : are escaped in the query. */
	assert_true(strncmp(h.reqs[0].url, first, strlen(first)) == 0);
	assert_param(h.reqs[0].url, "sysparm_fields", INCIDENT_FIELDS);
	assert_param(h.reqs[0].url, "sysparm_limit", "100");
	assert_param(h.reqs[0].url, "sysparm_display_value", "false");
	assert_param(h.reqs[0].url, "sysparm_exclude_reference_link", "true");
	assert_null(strchr(h.reqs[0].url, '#'));
	assert_int_equal(h.reqs[0].n_headers, 2);
	assert_string_equal(header(&h.reqs[0], "Authorization"), "Basic c2l0cmVwOnBhNTU=");
	assert_string_equal(header(&h.reqs[0], "Accept"), "application/json");

	assert_string_equal(h.reqs[1].stream, "task_sla");
	assert_target(&h.reqs[1], "task_sla", NULL);
	assert_param(h.reqs[1].url, "sysparm_query",
		     "task.sys_class_name=incident^sys_updated_on>=2024-12-05 12:00:00" ORDER);
	assert_param(h.reqs[1].url, "sysparm_fields",
		     "sys_id,sys_updated_on,task,task.sys_updated_on");
	assert_param(h.reqs[1].url, "sysparm_limit", "100");
	assert_string_equal(header(&h.reqs[1], "Authorization"), "Basic c2l0cmVwOnBhNTU=");
	h_release(&h);
}

/* Basic's base64 with each padding; a token goes as a bearer token. */
static void
source_servicenow__plan_auth(void **state)
{
	static const struct {
		const char *secret, *want;
		bool token;
	} cases[] = {
		{ "pa55", "Basic c2l0cmVwOnBhNTU=", false },
		{ "pa55w", "Basic c2l0cmVwOnBhNTV3", false },
		{ "pa55wo", "Basic c2l0cmVwOnBhNTV3bw==", false },
		{ "t0ken", "Bearer t0ken", true },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct harness h;

		h_init(&h, cases[i].secret, cases[i].token, NULL);
		h_plan(&h, INCIDENTS);
		assert_string_equal(header(&h.reqs[0], "Authorization"), cases[i].want);
		assert_string_equal(header(&h.reqs[1], "Authorization"), cases[i].want);
		h_release(&h);
	}
}

/* A stored key: the keyset after it; a chain cut short changes nothing; a cursor
 * that is not ours starts from the backfill. */
static void
source_servicenow__plan_keyset(void **state)
{
	static const struct {
		const char *cursor, *query;
	} cases[] = {
		{ "{\"updated\":\"2025-03-04 12:00:00\",\"sys_id\":\"" INC_A "\"}",
		  "sys_updated_on>=2025-03-04 12:00:00^sys_updated_on>2025-03-04 12:00:00"
		  "^ORsys_id>" INC_A ORDER },
		{ "{\"updated\":\"2025-03-04 12:00:00\",\"sys_id\":\"" INC_A "\",\"pending\":"
		  "{\"upto\":{\"updated\":\"2025-03-05 01:00:00\",\"sys_id\":\"" INC_B "\"},"
		  "\"ids\":[]}}",
		  "sys_updated_on>=2025-03-04 12:00:00^sys_updated_on>2025-03-04 12:00:00"
		  "^ORsys_id>" INC_A ORDER },
		{ "garbage", "sys_updated_on>=2024-12-05 12:00:00" ORDER },
		{ "{\"updated\":\"yesterday\",\"sys_id\":\"" INC_A "\"}",
		  "sys_updated_on>=2024-12-05 12:00:00" ORDER },
		/* a sys_id that would change the query */
		{ "{\"updated\":\"2025-03-04 12:00:00\",\"sys_id\":\"x^ORactive=true\"}",
		  "sys_updated_on>=2024-12-05 12:00:00" ORDER },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct harness h;

		h_init(&h, "t0ken", true, NULL);
		set_cursor(&h, INCIDENTS, cases[i].cursor);
		set_cursor(&h, SLAS, cases[i].cursor);
		h_plan(&h, INCIDENTS);
		assert_param(h.reqs[0].url, "sysparm_query", cases[i].query);
		h_release(&h);
	}
}

static void
source_servicenow__plan_errors(void **state)
{
	struct source_request *reqs = NULL;
	struct harness h;
	size_t n = 0;

	(void)state;
	h_init(&h, "pa55", false, NULL);
	free(h.t.values[1].value); /* url */
	h.t.values[1].value = xstrdup("");
	assert_int_equal(ops()->plan(&h.ctx, &reqs, &n), ERROR_CUSTOM_MESSAGE);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "no url configured"));
	source_requests_free(reqs, n);
	h_release(&h);

	reqs = NULL;
	n = 0;
	h_init(&h, NULL, false, NULL);
	assert_int_equal(ops()->plan(&h.ctx, &reqs, &n), ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "servicenow sn: no token, or user and password, configured");
	source_requests_free(reqs, n);
	h_release(&h);
}

/*
 * The incident stream's chain
 */

/* B (in progress, no Response SLA, business-hours resolution SLA) and A (P1,
 * closed, reopened once, paused On Hold, correlated to an Opsgenie alert) through
 * the four steps, with every field of the result. */
static void
source_servicenow__incident_chain(void **state)
{
	const struct store_incident *a, *b;
	const struct source_event *ev;
	struct harness h;

	(void)state;
	h_init(&h, "pa55", false, "og");
	h_plan(&h, INCIDENTS);

	/* 1. the page: nothing written yet; its rows wait in the cursor */
	assert_int_equal(
		h_step_file(&h, "servicenow/incident-list-sitrep.json", LINK_NEXT("incident")),
		SUCCESS);
	assert_int_equal(source_page_records(&h.page), 0);
	assert_non_null(strstr(h.cursor[INCIDENTS],
			       "\"upto\":{\"updated\":\"2025-03-04 12:00:00\",\"sys_id\":\"" INC_A
			       "\"},\"more\":true,\"ids\":[\"" INC_B "\",\"" INC_A "\"]"));
	/* no key yet: the first chain has not ended */
	assert_true(strncmp(h.cursor[INCIDENTS], "{\"pending\":", 11) == 0);
	assert_true(h_next(&h));
	assert_string_equal(h.req->stream, "incident");
	assert_target(h.req, "task_sla", "#sitrep-step=slas");
	assert_param(h.req->url, "sysparm_query", "taskIN" INC_B "," INC_A "^ORDERBYsys_id");
	assert_param(h.req->url, "sysparm_fields", SLA_FIELDS);
	assert_param(h.req->url, "sysparm_limit", "1000");
	assert_string_equal(header(h.req, "Authorization"), "Basic c2l0cmVwOnBhNTU=");

	/* 2. their SLAs */
	assert_int_equal(h_step_file(&h, "servicenow/task-sla-rows-sitrep.json", NULL), SUCCESS);
	assert_int_equal(source_page_records(&h.page), 0);
	assert_true(h_next(&h));
	assert_target(h.req, "sys_audit", "#sitrep-step=audit");
	assert_param(h.req->url, "sysparm_query",
		     "tablename=incident^fieldname=state^documentkeyIN" INC_B "," INC_A
		     "^ORDERBYsys_created_on^ORDERBYsys_id");
	assert_param(h.req->url, "sysparm_fields",
		     "sys_id,documentkey,oldvalue,newvalue,user,sys_created_on,record_checkpoint");

	/* 3. their history: the records */
	assert_int_equal(h_step_file(&h, "servicenow/audit-state-rows-sitrep.json", NULL), SUCCESS);
	assert_int_equal(h.page.n_incidents, 2);
	b = &h.page.incidents[0];
	assert_string_equal(b->source, "sn");
	assert_string_equal(b->source_id, INC_B);
	assert_int_equal(b->n_services, 1);
	assert_string_equal(b->services[0], "search-cluster"); /* cmdb_ci.name */
	assert_string_equal(b->title, "Search results missing new products");
	assert_string_equal(b->severity, "P3");
	assert_int_equal(b->impact, MX_IMPACT_DEGRADED);
	assert_int_equal(b->impact_start, TIME_NONE);
	assert_int_equal(b->detected_at, ts("2025-03-03 11:00:00"));
	assert_int_equal(b->acknowledged_at, ts("2025-03-03 11:20:00")); /* In Progress */
	assert_int_equal(b->contained_at, TIME_NONE);
	assert_int_equal(b->resolved_at, TIME_NONE);
	assert_int_equal(b->closed_at, TIME_NONE);
	assert_int_equal(b->n_reopens, 0);
	assert_true(b->ticket);
	assert_string_equal(b->state, "In Progress");
	assert_string_equal(b->assignee, "6816f79cc0a8016401c5a33be04be441"); /* no name */
	assert_null(b->parent_id);
	assert_true(b->link_by_overlap);
	assert_int_equal(b->updated_at, ts("2025-03-03 11:20:00"));
	assert_int_equal(b->n_slas, 1);
	assert_sla(&b->slas[0], "P3 resolution (24 business hours)", "resolution", 86400,
		   MX_SCHEDULE_BUSINESS_HOURS, "2025-03-03 11:00:00", "2025-03-06 11:00:00", NULL,
		   TIME_NONE, "in_progress");
	assert_string_equal(b->sla_policy, "P3 resolution (24 business hours)");
	assert_true(b->sla.present);
	assert_int_equal(b->sla.schedule, MX_SCHEDULE_BUSINESS_HOURS);
	assert_int_equal(b->sla.target_seconds, 86400);
	assert_int_equal(b->sla.start_time, ts("2025-03-03 11:00:00"));
	assert_int_equal(b->sla.stop_time, TIME_NONE);
	assert_int_equal(b->sla.n_pauses, 0);

	a = &h.page.incidents[1];
	assert_string_equal(a->source_id, INC_A);
	assert_string_equal(a->services[0], "checkout"); /* business_service.name */
	assert_string_equal(a->title, "Checkout returns 502 for card payments");
	assert_string_equal(a->severity, "P1");
	assert_int_equal(a->impact, MX_IMPACT_OUTAGE);
	assert_int_equal(a->impact_start, TIME_NONE);
	assert_int_equal(a->detected_at, ts("2025-03-03 09:00:00"));	 /* opened, not created */
	assert_int_equal(a->acknowledged_at, ts("2025-03-03 09:10:00")); /* Response SLA end */
	assert_int_equal(a->resolved_at, ts("2025-03-03 12:00:00"));
	assert_int_equal(a->closed_at, ts("2025-03-04 12:00:00"));
	assert_int_equal(a->n_reopens, 1);
	assert_int_equal(a->reopens[0].resolved_at, ts("2025-03-03 10:00:00"));
	assert_int_equal(a->reopens[0].reopened_at, ts("2025-03-03 10:30:00"));
	assert_string_equal(a->state, "Closed");
	assert_string_equal(a->assignee, "Sam Sorokin");
	assert_string_equal(a->parent_source, "og");
	assert_string_equal(a->parent_id, OG_ALERT);
	assert_string_equal(a->link, "correlation");
	assert_false(a->link_by_overlap);
	assert_string_equal(a->url, BASE "/nav_to.do?uri=%2Fincident.do%3Fsys_id%3D" INC_A);
	assert_non_null(strstr(a->raw_json, "\"number\":\"INC0010001\""));
	/* the last SLA row changed after the incident */
	assert_int_equal(a->updated_at, ts("2025-03-04 12:00:30"));
	assert_int_equal(a->n_slas, 4);
	assert_sla(&a->slas[0], "P1 response (15 minutes)", "response", 900, MX_SCHEDULE_24X7,
		   "2025-03-03 09:00:00", "2025-03-03 09:15:00", "2025-03-03 09:10:00", 0,
		   "completed");
	assert_sla(&a->slas[1], "P1 resolution (4 hours)", "resolution", 14400, MX_SCHEDULE_24X7,
		   "2025-03-03 09:00:00", "2025-03-03 13:20:00", "2025-03-03 10:00:00", 1200,
		   "completed");
	assert_sla(&a->slas[2], "P2 resolution (8 hours)", "resolution", 28800, MX_SCHEDULE_24X7,
		   "2025-03-03 09:00:00", "2025-03-03 17:00:00", "2025-03-03 09:05:00", TIME_NONE,
		   "cancelled");
	assert_sla(&a->slas[3], "P1 resolution (4 hours) (2)", "resolution", 14400,
		   MX_SCHEDULE_24X7, "2025-03-03 10:30:00", "2025-03-03 14:30:00",
		   "2025-03-03 12:00:00", 0, "completed");
	/* the metrics judge the first resolution SLA, paused while On Hold */
	assert_string_equal(a->sla_policy, "P1 resolution (4 hours)");
	assert_true(a->sla.present);
	assert_int_equal(a->sla.schedule, MX_SCHEDULE_24X7);
	assert_int_equal(a->sla.target_seconds, 14400);
	assert_int_equal(a->sla.start_time, ts("2025-03-03 09:00:00"));
	assert_int_equal(a->sla.stop_time, ts("2025-03-03 10:00:00"));
	assert_int_equal(a->sla.n_pauses, 1);
	assert_int_equal(a->sla.pauses[0].start, ts("2025-03-03 09:30:00"));
	assert_int_equal(a->sla.pauses[0].end, ts("2025-03-03 09:50:00"));

	assert_int_equal(h.page.n_events, 15);
	ev = h.page.events;
	assert_event(&ev[0], INC_B, "state", "2025-03-03 11:20:00", "beth", "New -> In Progress",
		     "0a1b2c3d4e5f60718293a4b5c6d7e808");
	assert_event(&ev[1], INC_B, "trigger", "2025-03-03 11:00:00", NULL, NULL, NULL);
	assert_event(&ev[2], INC_B, "ack", "2025-03-03 11:20:00", "beth", "In Progress", NULL);
	assert_event(&ev[3], INC_A, "state", "2025-03-03 09:10:00", "sam", "New -> In Progress",
		     "0a1b2c3d4e5f60718293a4b5c6d7e801");
	assert_event(&ev[4], INC_A, "state", "2025-03-03 09:30:00", "sam", "In Progress -> On Hold",
		     "0a1b2c3d4e5f60718293a4b5c6d7e802");
	assert_event(&ev[5], INC_A, "state", "2025-03-03 09:50:00", "sam", "On Hold -> In Progress",
		     "0a1b2c3d4e5f60718293a4b5c6d7e803");
	assert_event(&ev[6], INC_A, "state", "2025-03-03 10:00:00", "sam",
		     "In Progress -> Resolved", "0a1b2c3d4e5f60718293a4b5c6d7e804");
	assert_event(&ev[7], INC_A, "state", "2025-03-03 10:30:00", "noor",
		     "Resolved -> In Progress", "0a1b2c3d4e5f60718293a4b5c6d7e805");
	assert_event(&ev[8], INC_A, "state", "2025-03-03 12:00:00", "sam",
		     "In Progress -> Resolved", "0a1b2c3d4e5f60718293a4b5c6d7e806");
	assert_event(&ev[9], INC_A, "state", "2025-03-04 12:00:00", "system", "Resolved -> Closed",
		     "0a1b2c3d4e5f60718293a4b5c6d7e807");
	assert_event(&ev[10], INC_A, "trigger", "2025-03-03 09:00:00", NULL, NULL, NULL);
	assert_event(&ev[11], INC_A, "ack", "2025-03-03 09:10:00", NULL, "P1 response (15 minutes)",
		     NULL);
	assert_event(&ev[12], INC_A, "reopen", "2025-03-03 10:30:00", NULL, NULL, NULL);
	assert_event(&ev[13], INC_A, "resolve", "2025-03-03 12:00:00", NULL, NULL, NULL);
	assert_event(&ev[14], INC_A, "close", "2025-03-04 12:00:00", NULL, "Closed", NULL);
	/* the rows are dropped from the cursor; the key has not moved yet */
	assert_null(strstr(h.cursor[INCIDENTS], "\"incidents\""));
	assert_non_null(strstr(h.cursor[INCIDENTS], "\"more\":true"));
	assert_true(h_next(&h));
	assert_target(h.req, "sys_journal_field", "#sitrep-step=notes");
	assert_param(h.req->url, "sysparm_query",
		     "name=incident^element=work_notes^element_idIN" INC_B "," INC_A
		     "^ORDERBYsys_created_on^ORDERBYsys_id");

	/* 4. their work notes; the chain ends and the key moves */
	assert_int_equal(h_step_file(&h, "servicenow/journal-work-notes-sitrep.json", NULL),
			 SUCCESS);
	assert_int_equal(h.page.n_incidents, 0);
	assert_int_equal(h.page.n_events, 2);
	assert_event(&h.page.events[0], INC_A, "note", "2025-03-03 09:15:00", "sam",
		     "Card provider times out; failing over to the secondary acquirer",
		     "e1f2a3b4c5d6e7f80912a3b4c5d6e701");
	assert_event(&h.page.events[1], INC_B, "note", "2025-03-03 11:25:00", "beth",
		     "Reindex running on search-7", "e1f2a3b4c5d6e7f80912a3b4c5d6e702");
	assert_string_equal(h.cursor[INCIDENTS],
			    "{\"updated\":\"2025-03-04 12:00:00\",\"sys_id\":\"" INC_A "\"}");
	/* the list had more: the next page is the keyset after the new key */
	assert_true(h_next(&h));
	assert_target(h.req, "incident", NULL);
	assert_param(h.req->url, "sysparm_query",
		     "sys_updated_on>=2025-03-04 12:00:00^sys_updated_on>2025-03-04 12:00:00"
		     "^ORsys_id>" INC_A ORDER);
	assert_string_equal(header(h.req, "Authorization"), "Basic c2l0cmVwOnBhNTU=");

	/* the keyset's answer is empty: the stream ends where it is */
	assert_int_equal(h_step_text(&h, 200, "{\"result\":[]}"), SUCCESS);
	assert_null(h.page.cursor);
	assert_false(h_next(&h));
	h_release(&h);
}

/* The docs' record: references with their links, no SLA; without read access to
 * sys_audit or sys_journal_field (403) the record still comes, and the chain ends. */
static void
source_servicenow__docs_record_without_history(void **state)
{
	char *record =
		fixture_text("servicenow/table-get-incident-by-sysid-docs-example.json", NULL);
	json_t *doc = json_loads(record, 0, NULL);
	json_t *wrapped = json_pack("{s:[O]}", "result", json_object_get(doc, "result"));
	char *list = json_dumps(wrapped, JSON_COMPACT);
	const struct store_incident *inc;
	struct harness h;

	(void)state;
	h_init(&h, "pa55", false, "og");
	h_plan(&h, INCIDENTS);
	assert_int_equal(h_step_text(&h, 200, list), SUCCESS);
	assert_true(h_next(&h));
	assert_int_equal(h_step_text(&h, 200, "{\"result\":[]}"), SUCCESS);
	assert_true(h_next(&h));
	assert_int_equal(
		h_step_text(&h, 403,
			    "{\"error\":{\"message\":\"User Not Authorized\",\"detail\":\"ACL\"},"
			    "\"status\":\"failure\"}"),
		SUCCESS);
	assert_int_equal(h.page.n_incidents, 1);
	inc = &h.page.incidents[0];
	assert_string_equal(inc->source_id, DOCS_ID);
	assert_string_equal(inc->title, "Can't access SFA software");
	assert_string_equal(inc->services[0], "fallback"); /* cmdb_ci names no name */
	assert_string_equal(inc->state, "New");
	assert_string_equal(inc->severity, "P3");
	assert_int_equal(inc->impact, MX_IMPACT_DEGRADED);
	/* opened_at, a day after sys_created_on in this record */
	assert_int_equal(inc->detected_at, ts("2015-11-02 22:04:15"));
	assert_int_equal(inc->acknowledged_at, TIME_NONE);
	assert_int_equal(inc->resolved_at, TIME_NONE);
	assert_int_equal(inc->closed_at, TIME_NONE);
	assert_int_equal(inc->updated_at, ts("2015-11-01 22:37:27"));
	assert_null(inc->assignee);
	assert_null(inc->parent_id); /* correlation_id is empty */
	assert_true(inc->link_by_overlap);
	assert_int_equal(inc->n_slas, 0);
	assert_false(inc->sla.present);
	assert_null(inc->sla_policy);
	assert_int_equal(h.page.n_events, 1);
	assert_event(&h.page.events[0], DOCS_ID, "trigger", "2015-11-02 22:04:15", NULL, NULL,
		     NULL);
	assert_true(h_next(&h));
	assert_target(h.req, "sys_journal_field", "#sitrep-step=notes");
	assert_int_equal(h_step_text(&h, 403, "{\"error\":{\"message\":\"User Not Authorized\"}}"),
			 SUCCESS);
	assert_int_equal(source_page_records(&h.page), 0);
	assert_string_equal(h.cursor[INCIDENTS],
			    "{\"updated\":\"2015-11-01 22:37:27\",\"sys_id\":\"" DOCS_ID "\"}");
	assert_false(h_next(&h)); /* no Link: the list had no more */
	h_release(&h);
	free(list);
	json_decref(wrapped);
	json_decref(doc);
	free(record);
}

/* The docs' list answer (a problem: the same task fields): a state the base system
 * does not define is kept as it is, and closed_at ends it. */
static void
source_servicenow__docs_list_unknown_state(void **state)
{
	const struct store_incident *inc;
	struct harness h;

	(void)state;
	h_init(&h, "pa55", false, NULL);
	h_plan(&h, INCIDENTS);
	assert_int_equal(
		h_step_file(&h, "servicenow/table-get-problem-list-limit1-docs-example.json", NULL),
		SUCCESS);
	assert_true(h_next(&h));
	assert_param(h.req->url, "sysparm_query",
		     "taskIN04ce72c9c0a8016600b5b7f75ac67b5b^ORDERBYsys_id");
	assert_int_equal(h_step_text(&h, 200, "{\"result\":[]}"), SUCCESS);
	assert_true(h_next(&h));
	assert_int_equal(h_step_text(&h, 200, "{\"result\":[]}"), SUCCESS);
	assert_int_equal(h.page.n_incidents, 1);
	inc = &h.page.incidents[0];
	assert_string_equal(inc->source_id, "04ce72c9c0a8016600b5b7f75ac67b5b");
	assert_string_equal(inc->title, "Switch occasionally drops connections");
	assert_string_equal(inc->state, "4");
	assert_string_equal(inc->severity, "P4");
	assert_int_equal(inc->detected_at, ts("2016-01-19 04:49:47"));
	assert_int_equal(inc->resolved_at, ts("2016-01-19 04:52:04"));
	assert_int_equal(inc->closed_at, ts("2016-01-19 04:52:04"));
	assert_int_equal(h.page.n_events, 3); /* trigger, resolve, close */
	assert_event(&h.page.events[2], "04ce72c9c0a8016600b5b7f75ac67b5b", "close",
		     "2016-01-19 04:52:04", NULL, "4", NULL);
	h_release(&h);
}

/* One incident row, one SLA row and their answers through the chain, without any
 * history: the records of the audit step (the page is kept for the caller). */
static void
chain_one(struct harness *h, const char *incident, const char *sla)
{
	char *list = xasprintf("{\"result\":[%s]}", incident);
	char *slas = xasprintf("{\"result\":[%s]}", sla ? sla : "");

	h_plan(h, INCIDENTS);
	assert_int_equal(h_step_text(h, 200, list), SUCCESS);
	assert_true(h_next(h));
	assert_int_equal(h_step_text(h, 200, slas), SUCCESS);
	assert_true(h_next(h));
	assert_int_equal(h_step_text(h, 200, "{\"result\":[]}"), SUCCESS);
	assert_int_equal(h->page.n_incidents, 1);
	free(list);
	free(slas);
}

#define ROW_C                                                                           \
	"{\"sys_id\":\"c1\",\"number\":\"INC0010003\",\"sys_updated_on\":\"2025-03-03 " \
	"14:00:00\",\"opened_at\":\"2025-03-03 08:00:00\",\"state\":\"%s\","            \
	"\"resolved_at\":\"%s\",\"closed_at\":\"\",\"priority\":\"2\","                 \
	"\"short_description\":\"Late webhooks\",\"reopen_count\":\"%s\","              \
	"\"reopened_time\":\"%s\"}"
#define SLA_C                                                                              \
	"{\"sys_id\":\"s1\",\"task\":\"c1\",\"sys_updated_on\":\"2025-03-03 13:00:00\","   \
	"\"sla.name\":\"P2 resolution\",\"sla.target\":\"Resolution\",\"sla.duration\":\"" \
	"%s\",\"start_time\":\"2025-03-03 08:00:00\",\"end_time\":\"%s\","                 \
	"\"planned_end_time\":\"2025-03-03 16:30:00\",\"pause_duration\":\"%s\","          \
	"\"pause_time\":\"%s\",\"stage\":\"%s\",\"has_breached\":\"true\"}"

/* Without history: a stopped SLA's pause_duration is one pause at its start; a
 * paused one is paused since pause_time; without sla.duration, a 24x7 target is
 * planned end - start - pauses. A resolved incident without resolved_at ended at
 * its last update; a reopen leaves an event only. */
static void
source_servicenow__sla_without_history(void **state)
{
	const struct store_incident *inc;
	struct harness h;
	char *row, *sla;

	(void)state;
	h_init(&h, "pa55", false, NULL);
	row = xasprintf(ROW_C, "6", "", "1", "2025-03-03 10:00:00");
	sla = xasprintf(SLA_C, "", "2025-03-03 12:00:00", "1970-01-01 00:30:00", "", "completed");
	chain_one(&h, row, sla);
	inc = &h.page.incidents[0];
	assert_int_equal(inc->resolved_at, ts("2025-03-03 14:00:00"));
	assert_int_equal(inc->n_reopens, 0);
	assert_int_equal(inc->acknowledged_at, TIME_NONE);
	assert_string_equal(inc->slas[0].kind, "resolution"); /* lower-cased */
	assert_true(inc->slas[0].breached);
	assert_int_equal(inc->slas[0].target, TIME_NONE);
	assert_true(inc->sla.present);
	assert_int_equal(inc->sla.target_seconds, 8 * 3600); /* 16:30 - 08:00 - 0:30 */
	assert_int_equal(inc->sla.stop_time, ts("2025-03-03 12:00:00"));
	assert_int_equal(inc->sla.n_pauses, 1);
	assert_int_equal(inc->sla.pauses[0].start, ts("2025-03-03 08:00:00"));
	assert_int_equal(inc->sla.pauses[0].end, ts("2025-03-03 08:30:00"));
	assert_int_equal(h.page.n_events, 3);
	assert_event(&h.page.events[1], "c1", "reopen", "2025-03-03 10:00:00", NULL, NULL, NULL);
	free(row);
	free(sla);
	h_release(&h);

	h_init(&h, "pa55", false, NULL);
	row = xasprintf(ROW_C, "3", "2025-03-03 09:00:00", "0", "");
	sla = xasprintf(SLA_C, "1970-01-01 08:00:00", "", "", "2025-03-03 11:00:00", "paused");
	chain_one(&h, row, sla);
	inc = &h.page.incidents[0];
	assert_string_equal(inc->state, "On Hold");
	assert_int_equal(inc->resolved_at, TIME_NONE); /* open, whatever resolved_at says */
	assert_int_equal(inc->sla.target_seconds, 8 * 3600);
	assert_int_equal(inc->sla.stop_time, TIME_NONE);
	assert_int_equal(inc->sla.n_pauses, 1);
	assert_int_equal(inc->sla.pauses[0].start, ts("2025-03-03 11:00:00"));
	assert_int_equal(inc->sla.pauses[0].end, TIME_NONE);
	free(row);
	free(sla);
	h_release(&h);
}

/* The SLA step pages like any list: its rows add up in the cursor. */
static void
source_servicenow__sla_step_pages(void **state)
{
	struct harness h;

	(void)state;
	h_init(&h, "pa55", false, NULL);
	h_plan(&h, INCIDENTS);
	assert_int_equal(h_step_file(&h, "servicenow/incident-list-sitrep.json", NULL), SUCCESS);
	assert_true(h_next(&h));
	assert_int_equal(
		h_step_file(&h, "servicenow/task-sla-rows-sitrep.json", LINK_NEXT("task_sla")),
		SUCCESS);
	assert_non_null(strstr(h.cursor[INCIDENTS], "\"more\":false"));
	assert_non_null(strstr(h.cursor[INCIDENTS], "4e619d404d6f6040d419be4e0f7efe04"));
	assert_true(h_next(&h));
	assert_string_equal(h.req->url, BASE "/api/now/table/task_sla?sysparm_offset=100"
					     "&sysparm_limit=100&sysparm_query=x#sitrep-step=slas");
	assert_int_equal(h_step_text(&h, 200, "{\"result\":[]}"), SUCCESS);
	assert_true(h_next(&h));
	assert_target(h.req, "sys_audit", "#sitrep-step=audit");
	assert_int_equal(h_step_text(&h, 200, "{\"result\":[]}"), SUCCESS);
	assert_int_equal(h.page.n_incidents, 2);
	assert_int_equal(h.page.incidents[1].n_slas, 4);
	/* without history: the In Progress of B is unknown */
	assert_int_equal(h.page.incidents[0].acknowledged_at, TIME_NONE);
	assert_int_equal(h.page.incidents[1].n_reopens, 0);
	h_release(&h);
}

/*
 * The task_sla stream
 */

/* Rows newer than their incident send it through a chain (once, though two rows
 * name it); a row older than its incident is the incident stream's. */
static void
source_servicenow__task_sla_stream(void **state)
{
	struct harness h;

	(void)state;
	h_init(&h, "pa55", false, NULL);
	set_cursor(&h, SLAS, "{\"updated\":\"2025-03-05 10:00:00\",\"sys_id\":\"" INC_A "\"}");
	h_plan(&h, SLAS);
	assert_param(h.req->url, "sysparm_query",
		     "task.sys_class_name=incident^sys_updated_on>=2025-03-05 10:00:00"
		     "^sys_updated_on>2025-03-05 10:00:00^ORsys_id>" INC_A ORDER);
	assert_int_equal(h_step_file(&h, "servicenow/task-sla-changes-sitrep.json", NULL), SUCCESS);
	assert_int_equal(source_page_records(&h.page), 0);
	assert_non_null(strstr(h.cursor[SLAS], "\"ids\":[\"" INC_B "\"]"));
	assert_true(h_next(&h));
	assert_string_equal(h.req->stream, "task_sla");
	assert_target(h.req, "incident", "#sitrep-step=incidents");
	assert_param(h.req->url, "sysparm_query", "sys_idIN" INC_B);
	assert_param(h.req->url, "sysparm_fields", INCIDENT_FIELDS);

	/* an instance that returns more than it was asked for: A is dropped */
	assert_int_equal(h_step_file(&h, "servicenow/incident-list-sitrep.json", NULL), SUCCESS);
	assert_true(h_next(&h));
	assert_target(h.req, "task_sla", "#sitrep-step=slas");
	assert_param(h.req->url, "sysparm_query", "taskIN" INC_B "^ORDERBYsys_id");
	assert_int_equal(h_step_file(&h, "servicenow/task-sla-rows-sitrep.json", NULL), SUCCESS);
	assert_true(h_next(&h));
	assert_param(h.req->url, "sysparm_query",
		     "tablename=incident^fieldname=state^documentkeyIN" INC_B
		     "^ORDERBYsys_created_on^ORDERBYsys_id");
	assert_int_equal(h_step_file(&h, "servicenow/audit-state-rows-sitrep.json", NULL), SUCCESS);
	assert_int_equal(h.page.n_incidents, 1);
	assert_string_equal(h.page.incidents[0].source_id, INC_B);
	assert_int_equal(h.page.incidents[0].n_slas, 1);
	assert_int_equal(h.page.incidents[0].acknowledged_at, ts("2025-03-03 11:20:00"));
	/* no notes step for this stream: the key moves to the last row listed */
	assert_string_equal(h.cursor[SLAS], "{\"updated\":\"2025-03-05 11:00:01\",\"sys_id\":"
					    "\"6083bf626f818260f63bd06021901006\"}");
	assert_false(h_next(&h));
	h_release(&h);
}

/* An instance that drops the sys_idIN condition answers with other incidents. */
static void
source_servicenow__task_sla_chain_query_ignored(void **state)
{
	struct harness h;

	(void)state;
	h_init(&h, "pa55", false, NULL);
	h_plan(&h, SLAS);
	assert_int_equal(h_step_file(&h, "servicenow/task-sla-changes-sitrep.json", NULL), SUCCESS);
	assert_true(h_next(&h));
	assert_int_equal(
		h_step_file(&h, "servicenow/table-get-problem-list-limit1-docs-example.json", NULL),
		ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "servicenow task_sla: the incidents step got none of the 1 incidents "
			    "it asked for: the instance ignored the query; stopped");
	/* none came back at all: those rows are done */
	assert_int_equal(h_step_text(&h, 200, "{\"result\":[]}"), SUCCESS);
	assert_string_equal(h.cursor[SLAS], "{\"updated\":\"2025-03-05 11:00:01\",\"sys_id\":"
					    "\"6083bf626f818260f63bd06021901006\"}");
	assert_false(h_next(&h));
	h_release(&h);
}

static void
source_servicenow__task_sla_rows_all_covered(void **state)
{
	struct harness h;

	(void)state;
	h_init(&h, "pa55", false, NULL);
	h_plan(&h, SLAS);
	assert_int_equal(
		h_step_text(&h, 200,
			    "{\"result\":[{\"sys_id\":\"3d508c3f3c5e5030c308ad3dfe6ded03\","
			    "\"sys_updated_on\":\"2025-03-05 11:00:00\",\"task\":\"" INC_A "\","
			    "\"task.sys_updated_on\":\"2025-03-05 11:00:00\"}]}"),
		SUCCESS);
	assert_int_equal(source_page_records(&h.page), 0);
	assert_string_equal(h.cursor[SLAS], "{\"updated\":\"2025-03-05 11:00:00\",\"sys_id\":"
					    "\"3d508c3f3c5e5030c308ad3dfe6ded03\"}");
	assert_false(h_next(&h));
	h_release(&h);
}

/*
 * Paging and the cursor
 */

/* An empty page with a next link (rows hidden by ACLs): the link is followed on
 * the configured host; without one the stream ends; a chain cut short is dropped. */
static void
source_servicenow__empty_pages(void **state)
{
	struct http_response resp;
	struct harness h;

	(void)state;
	h_init(&h, "pa55", false, NULL);
	h_plan(&h, INCIDENTS);
	response_text(&resp, 200, "{\"result\":[]}");
	response_header(&resp, "Link",
			"<https://proxy.example.com/api/now/table/incident?sysparm_offset=100"
			"&sysparm_limit=100>;rel=\"next\"");
	assert_int_equal(h_step(&h, &resp), SUCCESS);
	response_release(&resp);
	assert_null(h.page.cursor);
	assert_true(h_next(&h));
	assert_string_equal(h.req->url,
			    BASE "/api/now/table/incident?sysparm_offset=100&sysparm_limit=100");
	assert_non_null(header(h.req, "Authorization"));
	h_release(&h);

	h_init(&h, "pa55", false, NULL);
	set_cursor(&h, INCIDENTS,
		   "{\"updated\":\"2025-03-04 12:00:00\",\"sys_id\":\"" INC_A "\",\"pending\":"
		   "{\"upto\":{\"updated\":\"2025-03-05 01:00:00\",\"sys_id\":\"" INC_B "\"},"
		   "\"ids\":[]}}");
	h_plan(&h, INCIDENTS);
	assert_int_equal(h_step_text(&h, 200, "{\"result\":[]}"), SUCCESS);
	assert_string_equal(h.cursor[INCIDENTS],
			    "{\"updated\":\"2025-03-04 12:00:00\",\"sys_id\":\"" INC_A "\"}");
	assert_false(h_next(&h));
	h_release(&h);
}

/* A row at or before the key: the instance ignored the query (as it does with a
 * condition it cannot parse); going on would page in circles. */
static void
source_servicenow__query_ignored(void **state)
{
	struct harness h;

	(void)state;
	h_init(&h, "pa55", false, NULL);
	set_cursor(&h, INCIDENTS, "{\"updated\":\"2025-03-04 12:00:00\",\"sys_id\":\"" INC_A "\"}");
	h_plan(&h, INCIDENTS);
	assert_int_equal(h_step_file(&h, "servicenow/incident-list-sitrep.json", NULL),
			 ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "servicenow incident: incident row 0 (INC0010002) is not after the "
			    "cursor (2025-03-04 12:00:00, " INC_A
			    "): the instance ignored the query; stopped");
	h_release(&h);
}

/*
 * Bad responses
 */

#define ROW_OK(extra)                                                                            \
	"{\"result\":[{\"sys_id\":\"" INC_A "\",\"number\":\"INC0010009\","                      \
	"\"sys_updated_on\":\"2025-03-03 10:00:00\",\"opened_at\":\"2025-03-03 09:00:00\"" extra \
	"}]}"

/* The first step's answers, each with the error it must give. */
static void
source_servicenow__bad_list_answers(void **state)
{
	static const struct {
		long status;
		const char *body, *error;
	} cases[] = {
		{ 401,
		  "{\"error\":{\"message\":\"User Not Authenticated\",\"detail\":\"Required to "
		  "provide Auth information\"},\"status\":\"failure\"}",
		  "servicenow incident: HTTP 401: User Not Authenticated: Required to provide "
		  "Auth information (check user and password, or the token)" },
		{ 403,
		  "{\"error\":{\"message\":\"User Not Authorized\",\"detail\":null},\"status\":"
		  "\"failure\"}",
		  "servicenow incident: HTTP 403: User Not Authorized (the user needs read access "
		  "to the table: role itil, or an ACL)" },
		{ 401, "Unauthorized\n",
		  "servicenow incident: HTTP 401: Unauthorized (check user and password, or the "
		  "token)" },
		{ 500, "<html><body>Internal error</body></html>",
		  "servicenow incident: HTTP 500: <html><body>Internal error</body></html>" },
		{ 200, "<html>login</html>",
		  "servicenow incident: the response is not JSON (line 1, column 1: '[' or '{' "
		  "expected near '<')" },
		{ 200, "{\"result\":{\"sys_id\":\"x\"}}",
		  "servicenow incident: the incident response has no result array" },
		{ 200, "{\"error\":{\"message\":\"Invalid table\"},\"status\":\"failure\"}",
		  "servicenow incident: HTTP 200: Invalid table" },
		{ 200, "{\"result\":[\"INC0010001\"]}",
		  "servicenow incident: incident row 0 is a string, not an object" },
		{ 200, ROW_OK(",\"state\":2"),
		  "servicenow incident: incident row 0 (INC0010009): state is a number, not a "
		  "string" },
		{ 200, ROW_OK(",\"closed_at\":\"03/03/2025 10:00\""),
		  "servicenow incident: incident row 0 (INC0010009): closed_at \"03/03/2025 "
		  "10:00\" is not a date-time (yyyy-MM-dd HH:mm:ss)" },
		{ 200, ROW_OK(",\"reopen_count\":\"two\""),
		  "servicenow incident: incident row 0 (INC0010009): reopen_count \"two\" is not "
		  "a count" },
		{ 200, ROW_OK(",\"sys_updated_on\":\"\""),
		  "servicenow incident: incident row 0 (INC0010009): sys_updated_on is missing" },
		{ 200, ROW_OK(",\"opened_at\":\"\""),
		  "servicenow incident: incident row 0 (INC0010009): opened_at and "
		  "sys_created_on are both empty" },
		{ 200,
		  "{\"result\":[{\"sys_id\":\"a^ORactive=true\",\"sys_updated_on\":\"2025-03-03 "
		  "10:00:00\",\"opened_at\":\"2025-03-03 09:00:00\"}]}",
		  "servicenow incident: incident row 0: sys_id \"a^ORactive=true\" cannot go into "
		  "a query" },
		{ 200, "{\"result\":[{\"number\":\"INC0010009\"}]}",
		  "servicenow incident: incident row 0: sys_id is missing" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct harness h;

		h_init(&h, "pa55", false, NULL);
		h_plan(&h, INCIDENTS);
		assert_int_equal(h_step_text(&h, cases[i].status, cases[i].body),
				 ERROR_CUSTOM_MESSAGE);
		if (!streq(status_message(ERROR_CUSTOM_MESSAGE), cases[i].error))
			print_error("case %zu\n", i);
		assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE), cases[i].error);
		assert_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "pa55"));
		assert_null(h.page.cursor);
		assert_null(h.page.next);
		h_release(&h);
	}
}

/* The docs' 429: its message, Retry-After and the hourly window's end. */
static void
source_servicenow__rate_limited(void **state)
{
	struct http_response resp;
	struct harness h;

	(void)state;
	h_init(&h, "pa55", false, NULL);
	h_plan(&h, INCIDENTS);
	response_file(&resp, 429, "servicenow/error-429-rate-limit-exceeded-docs-example.json");
	response_header(&resp, "Retry-After", "120");
	response_header(&resp, "X-RateLimit-Limit", "100");
	response_header(&resp, "X-RateLimit-Reset", "1741179600");
	assert_int_equal(h_step(&h, &resp), ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "servicenow incident: HTTP 429: Rate limit exceeded: Rate limit of "
			    "100 requests per hour for Table API exceeded; retry after 120s; the "
			    "limit resets at 2025-03-05T13:00:00Z");
	response_release(&resp);
	h_release(&h);
}

/* Later steps: bad rows name their table; a step whose rows are gone from the
 * sync state says so; a Link to another table is refused. */
static void
source_servicenow__bad_step_answers(void **state)
{
	static const struct {
		const char *body, *link, *error;
	} cases[] = {
		{ "{\"result\":[{\"sys_id\":\"s9\",\"task\":\"" INC_A "\",\"sys_updated_on\":"
		  "\"2025-03-03 10:00:00\",\"sla.duration\":\"4h\"}]}",
		  NULL,
		  "servicenow incident: task_sla row 0 (s9): sla.duration \"4h\" is not a "
		  "duration (1970-01-01 HH:mm:ss)" },
		{ "{\"result\":[{\"sys_id\":\"s9\",\"sys_updated_on\":\"2025-03-03 10:00:00\"}]}",
		  NULL, "servicenow incident: task_sla row 0 (s9): task is missing" },
		{ "{\"result\":[{\"sys_id\":\"s9\",\"task\":\"" INC_A "\",\"sys_updated_on\":"
		  "\"2025-03-03 10:00:00\",\"has_breached\":\"yes\"}]}",
		  NULL,
		  "servicenow incident: task_sla row 0 (s9): has_breached \"yes\" is neither true "
		  "nor false" },
		{ "{\"result\":[]}",
		  "<" BASE "/api/now/table/sys_user?sysparm_offset=1000>;rel=\"next\"",
		  "servicenow incident: the Link header's next page \"" BASE
		  "/api/now/table/sys_user?sysparm_offset=1000\" is not a page of task_sla" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct http_response resp;
		struct harness h;

		h_init(&h, "pa55", false, NULL);
		h_plan(&h, INCIDENTS);
		assert_int_equal(h_step_file(&h, "servicenow/incident-list-sitrep.json", NULL),
				 SUCCESS);
		assert_true(h_next(&h));
		response_text(&resp, 200, cases[i].body);
		if (cases[i].link)
			response_header(&resp, "Link", cases[i].link);
		assert_int_equal(h_step(&h, &resp), ERROR_CUSTOM_MESSAGE);
		response_release(&resp);
		assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE), cases[i].error);
		h_release(&h);
	}
}

static void
source_servicenow__step_without_its_rows(void **state)
{
	struct harness h;

	(void)state;
	h_init(&h, "pa55", false, NULL);
	h_plan(&h, INCIDENTS);
	assert_int_equal(h_step_file(&h, "servicenow/incident-list-sitrep.json", NULL), SUCCESS);
	assert_true(h_next(&h));
	set_cursor(&h, INCIDENTS, NULL); /* another process reset the sync state */
	assert_int_equal(h_step_file(&h, "servicenow/task-sla-rows-sitrep.json", NULL),
			 ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "servicenow incident: the slas step found no rows of the steps before "
			    "it in the sync state (a cursor changed meanwhile?)");
	h_release(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(source_servicenow__registered),
		cmocka_unit_test(source_servicenow__plan_first_round),
		cmocka_unit_test(source_servicenow__plan_auth),
		cmocka_unit_test(source_servicenow__plan_keyset),
		cmocka_unit_test(source_servicenow__plan_errors),
		cmocka_unit_test(source_servicenow__incident_chain),
		cmocka_unit_test(source_servicenow__docs_record_without_history),
		cmocka_unit_test(source_servicenow__docs_list_unknown_state),
		cmocka_unit_test(source_servicenow__sla_without_history),
		cmocka_unit_test(source_servicenow__sla_step_pages),
		cmocka_unit_test(source_servicenow__task_sla_stream),
		cmocka_unit_test(source_servicenow__task_sla_chain_query_ignored),
		cmocka_unit_test(source_servicenow__task_sla_rows_all_covered),
		cmocka_unit_test(source_servicenow__empty_pages),
		cmocka_unit_test(source_servicenow__query_ignored),
		cmocka_unit_test(source_servicenow__bad_list_answers),
		cmocka_unit_test(source_servicenow__rate_limited),
		cmocka_unit_test(source_servicenow__bad_step_answers),
		cmocka_unit_test(source_servicenow__step_without_its_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
