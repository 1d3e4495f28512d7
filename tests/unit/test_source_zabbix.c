/* test_source_zabbix.c - the Zabbix 6.0 source: real responses of a Zabbix 6.0.14
 * (tests/fixtures/live/zabbix-*.json) parsed into exact incidents, events and
 * samples; the pages of a round (new events, the refresh of open problems, the
 * recovery events it lacked) chained as the engine chains them; the requests a
 * round plans, byte for byte, with a token or a session; user.login, user.logout;
 * and a table of bad responses, each with the error it must give, none of them
 * quoting a secret. Nothing here opens a socket: responses are handed to
 * ops->parse as the engine would. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#include "source_support.h"

#include "sitrep/config.h"
#include "sitrep/json.h"
#include "support.h"

/* A little after the live captures (clock 1795847391..1795847400). */
#define NOW 1795847500
#define URL "https://zabbix.example.com/zabbix/api_jsonrpc.php"
#define FRONTEND "https://zabbix.example.com/zabbix/"
#define TOKEN "4d0e2c1b9a8f7e6d5c4b3a2918f7e6d54d0e2c1b9a8f7e6d5c4b3a2918f7e6d5"
#define SESSION "157f405b8f3ca3baf2b9803328a0c09c"
#define PASSWORD "pa\"ss\\word"
#define BACKFILL (30 * 86400)

/*
 * Config, context, requests and responses
 */

struct cursors {
	const char *problems;
	const char *metric;
};

static const char *
cursor_of(void *engine, const char *stream)
{
	const struct cursors *c = engine;

	return streq(stream, "problems") ? c->problems : c->metric;
}

/* [source "zbx"] type = zabbix, url, token (or user and password). */
static void
source_init(struct test_source *t, const char *service, bool token)
{
	test_source_init(t, "zbx", "zabbix", URL, service);
	if (token) {
		add_value(t, "token", "env:ZBX_TOKEN");
	} else {
		add_value(t, "user", "sitrep \"ro\"");
		add_value(t, "password", "env:ZBX_PASSWORD");
	}
}

static struct source_ctx
ctx_for(const struct test_source *t, struct cursors *c)
{
	struct source_ctx ctx = { 0 };

	ctx.name = "zbx";
	ctx.config = &t->src;
	ctx.secret = TOKEN;
	ctx.now = NOW;
	ctx.cursor = cursor_of;
	ctx.engine = c;
	return ctx;
}

static const struct source_ops *
ops(void)
{
	return test_ops("zabbix");
}

/* The requests of a round (new). */
static struct source_request *
plan(const struct source_ctx *ctx, size_t *n)
{
	struct source_request *reqs = NULL;

	*n = 0;
	assert_int_equal(ops()->plan(ctx, &reqs, n), SUCCESS);
	return reqs;
}

/* The params of a request (new). */
static json_t *
params_of(const struct source_request *req)
{
	json_t *root = json_loads(req->body, 0, NULL), *params;

	assert_non_null(root);
	params = json_incref(json_object_get(root, "params"));
	json_decref(root);
	return params;
}

static const char *
method_of(const struct source_request *req)
{
	static char method[32];
	json_t *root = json_loads(req->body, 0, NULL);

	assert_non_null(root);
	snprintf(method, sizeof(method), "%s", json_string_value(json_object_get(root, "method")));
	json_decref(root);
	return method;
}

/* The eventids a lookup asks for, as "a,b,c". */
static const char *
asked(const struct source_request *req)
{
	static char text[512];
	json_t *params = params_of(req), *v;
	size_t i, len = 0;

	text[0] = '\0';
	json_array_foreach(json_object_get(params, "eventids"), i, v)
	{
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s", i ? "," : "",
					json_string_value(v));
	}
	json_decref(params);
	return text;
}

/* Parses body (or the fixture file when body starts with "live/") as the answer
 * to req. */
static enum status_code
answer(const struct source_ctx *ctx, const struct source_request *req, const char *body,
       struct source_page *page)
{
	struct http_response resp;
	enum status_code code;

	if (strncmp(body, "live/", 5) == 0)
		response_file(&resp, 200, body);
	else
		response_text(&resp, 200, body);
	source_page_init(page);
	code = ops()->parse(ctx, req, &resp, page);
	if (code != SUCCESS)
		print_message("%s\n", status_message(code));
	response_release(&resp);
	return code;
}

/* A JSON-RPC answer holding result (new). */
static char *
ok(const char *result)
{
	return xasprintf("{\"jsonrpc\":\"2.0\",\"result\":%s,\"id\":1}", result);
}

/* Takes the page's next request (new; free with request_free). */
static struct source_request *
take_next(struct source_page *page)
{
	struct source_request *next = page->next;

	page->next = NULL;
	return next;
}

static void
request_free(struct source_request *req)
{
	source_request_release(req);
	free(req);
}

static const struct store_incident *
incident_of(const struct source_page *page, const char *id)
{
	for (size_t i = 0; i < page->n_incidents; i++)
		if (streq(page->incidents[i].source_id, id))
			return &page->incidents[i];
	fail_msg("no incident %s", id);
	return NULL;
}

static const struct source_event *
event_of(const struct source_page *page, const char *incident, const char *kind)
{
	for (size_t i = 0; i < page->n_events; i++)
		if (streq(page->events[i].incident_id, incident) &&
		    streq(page->events[i].kind, kind))
			return &page->events[i];
	return NULL;
}

/* The cursor's open problems as "id:recovery,..." in id order. */
static char *
open_of(const char *cursor)
{
	json_t *root = json_loads(cursor, 0, NULL), *v;
	const char *keys[16], *key;
	size_t n = 0, i, len = 0;
	char text[512];

	assert_non_null(root);
	json_object_foreach(json_object_get(root, "open"), key, v)
	{
		assert_true(n < ARRAY_SIZE(keys));
		keys[n++] = key;
	}
	for (i = 1; i < n; i++)
		for (size_t j = i; j > 0 && (strlen(keys[j]) < strlen(keys[j - 1]) ||
					     (strlen(keys[j]) == strlen(keys[j - 1]) &&
					      strcmp(keys[j], keys[j - 1]) < 0));
		     j--) {
			const char *t = keys[j];

			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	text[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(
			text + len, sizeof(text) - len, "%s%s:%s", i ? "," : "", keys[i],
			json_string_value(json_object_get(json_object_get(root, "open"), keys[i])));
	json_decref(root);
	return xstrdup(text);
}

static void
assert_cursor(const char *cursor, const char *eventid, const char *open)
{
	json_t *root = json_loads(cursor, 0, NULL);
	char *o = open_of(cursor);

	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "eventid")), eventid);
	assert_string_equal(o, open);
	free(o);
	json_decref(root);
}

/*
 * Problems
 */

/* The first round's first page: zabbix-event-get.json (event.get, newest first)
 * holds an OK event (6), a resolved disaster (5, recovered by 6), an open warning
 * (4) and an open, acknowledged high (3). The open ones are incidents at once; the
 * resolved one waits for the lookup that brings its recovery's clock. */
static void
source_zabbix__live_event_get_becomes_incidents(void **state)
{
	struct cursors c = { 0 };
	struct test_source t;
	struct source_ctx ctx;
	struct source_request *reqs, *next;
	struct source_page page;
	const struct store_incident *inc;
	const struct source_event *ev;
	size_t n;

	(void)state;
	source_init(&t, NULL, true);
	ctx = ctx_for(&t, &c);
	reqs = plan(&ctx, &n);
	assert_int_equal(answer(&ctx, &reqs[0], "live/zabbix-event-get.json", &page), SUCCESS);
	assert_int_equal(page.n_incidents, 2);
	assert_int_equal(page.n_samples, 0);
	assert_false(page.snapshot);

	inc = incident_of(&page, "4");
	assert_string_equal(inc->source, "zbx");
	assert_int_equal(inc->n_services, 1);
	assert_string_equal(inc->services[0], "sitrep-test-host"); /* no service tag */
	assert_string_equal(inc->title, "Disk almost full on Sitrep Test Host");
	assert_string_equal(inc->severity, "P4"); /* 2, warning */
	assert_int_equal(inc->impact, MX_IMPACT_DEGRADED);
	assert_int_equal(inc->impact_start, TIME_NONE); /* imputed, SPEC 2 */
	assert_int_equal(inc->detected_at, 1795847391);
	assert_int_equal(inc->acknowledged_at, TIME_NONE);
	assert_int_equal(inc->resolved_at, TIME_NONE);
	assert_int_equal(inc->closed_at, TIME_NONE);
	assert_int_equal(inc->updated_at, 1795847391);
	assert_string_equal(inc->url, FRONTEND "tr_events.php?triggerid=23134&eventid=4");
	assert_non_null(strstr(inc->raw_json, "\"eventid\":\"4\""));

	inc = incident_of(&page, "3");
	assert_string_equal(inc->title, "High CPU on Sitrep Test Host");
	assert_string_equal(inc->severity, "P2"); /* 4, high */
	assert_int_equal(inc->acknowledged_at, 1795847392);
	assert_int_equal(inc->updated_at, 1795847392);
	assert_string_equal(inc->url, FRONTEND "tr_events.php?triggerid=23133&eventid=3");

	assert_int_equal(page.n_events, 3);
	ev = event_of(&page, "3", "trigger");
	assert_int_equal(ev->at, 1795847391);
	assert_string_equal(ev->event_id, "3");
	assert_null(ev->actor);
	ev = event_of(&page, "3", "ack"); /* action 6: acknowledge + message */
	assert_int_equal(ev->at, 1795847392);
	assert_string_equal(ev->actor, "Admin");
	assert_string_equal(ev->text, "Investigating - sitrep test");
	assert_string_equal(ev->event_id, "1"); /* the acknowledgeid */
	assert_non_null(event_of(&page, "4", "trigger"));
	assert_null(event_of(&page, "5", "trigger"));

	/* The watermark is the newest event; 5 waits with its recovery's id. */
	assert_cursor(page.cursor, "6", "3:0,4:0,5:6");
	next = take_next(&page);
	assert_non_null(next);
	assert_string_equal(next->stream, "problems");
	assert_string_equal(next->url, URL);
	assert_string_equal(method_of(next), "event.get");
	assert_string_equal(asked(next), "3,4,5,6");
	request_free(next);
	source_page_release(&page);
	source_requests_free(reqs, n);
	source_release(&t);
}

/* The refresh: the open problems and the recoveries known for them, in one
 * event.get; 5 is resolved at its recovery's clock and leaves the cursor. */
static void
source_zabbix__refresh_resolves_at_the_recovery_clock(void **state)
{
	struct cursors c = { "{\"eventid\":\"6\",\"open\":{\"5\":\"6\",\"4\":\"0\",\"3\":\"0\"}}",
			     NULL };
	struct test_source t;
	struct source_ctx ctx;
	struct source_request *reqs, *next;
	struct source_page page;
	const struct store_incident *inc;
	const struct source_event *ev;
	char *empty = ok("[]");
	size_t n;

	(void)state;
	source_init(&t, NULL, true);
	ctx = ctx_for(&t, &c);
	reqs = plan(&ctx, &n);
	/* Nothing new: the refresh follows. */
	assert_int_equal(answer(&ctx, &reqs[0], empty, &page), SUCCESS);
	assert_int_equal(page.n_incidents, 0);
	assert_cursor(page.cursor, "6", "3:0,4:0,5:6");
	next = take_next(&page);
	assert_string_equal(asked(next), "3,4,5,6");
	source_page_release(&page);

	assert_int_equal(answer(&ctx, next, "live/zabbix-event-get.json", &page), SUCCESS);
	assert_int_equal(page.n_incidents, 3);
	inc = incident_of(&page, "5");
	assert_string_equal(inc->title, "Service down on Sitrep Test Host");
	assert_string_equal(inc->severity, "P1"); /* 5, disaster */
	assert_int_equal(inc->impact, MX_IMPACT_OUTAGE);
	assert_int_equal(inc->detected_at, 1795847391);
	assert_int_equal(inc->resolved_at, 1795847392); /* event 6's clock */
	assert_int_equal(inc->closed_at, 1795847392);
	assert_int_equal(inc->updated_at, 1795847392);
	ev = event_of(&page, "5", "resolve");
	assert_int_equal(ev->at, 1795847392);
	assert_string_equal(ev->event_id, "6");
	assert_null(ev->actor); /* recovered, not closed by hand */
	assert_int_equal(incident_of(&page, "3")->resolved_at, TIME_NONE);
	assert_cursor(page.cursor, "6", "3:0,4:0");
	assert_null(page.next); /* no open problem after 5 */
	source_page_release(&page);
	request_free(next);
	source_requests_free(reqs, n);
	source_release(&t);
	free(empty);
}

/* A problem seen open that resolved since: its recovery is fetched in the same
 * round, with the refresh's last id carrying its position on. */
static void
source_zabbix__a_new_recovery_is_fetched_in_the_round(void **state)
{
	struct cursors c = { "{\"eventid\":\"5\",\"open\":{\"3\":\"0\",\"4\":\"0\",\"5\":\"0\"}}",
			     NULL };
	struct test_source t;
	struct source_ctx ctx;
	struct source_request *reqs, *lookup, *recovery;
	struct source_page page;
	json_t *fixture, *without6;
	char *empty = ok("[]"), *text, *body;
	size_t n;

	(void)state;
	text = fixture_text("live/zabbix-event-get.json", NULL);
	fixture = json_loads(text, 0, NULL);
	without6 = json_deep_copy(fixture);
	json_array_remove(json_object_get(without6, "result"), 0); /* event 6 */
	body = json_dumps(without6, JSON_COMPACT | JSON_PRESERVE_ORDER);
	source_init(&t, NULL, true);
	ctx = ctx_for(&t, &c);
	reqs = plan(&ctx, &n);
	assert_int_equal(answer(&ctx, &reqs[0], empty, &page), SUCCESS);
	lookup = take_next(&page);
	assert_string_equal(asked(lookup), "3,4,5");
	source_page_release(&page);

	assert_int_equal(answer(&ctx, lookup, body, &page), SUCCESS);
	assert_int_equal(page.n_incidents, 2); /* 3 and 4, still open */
	assert_cursor(page.cursor, "5", "3:0,4:0,5:6");
	recovery = take_next(&page);
	assert_string_equal(asked(recovery), "5,6");
	source_page_release(&page);

	c.problems = "{\"eventid\":\"5\",\"open\":{\"3\":\"0\",\"4\":\"0\",\"5\":\"6\"}}";
	assert_int_equal(answer(&ctx, recovery, "live/zabbix-event-get.json", &page), SUCCESS);
	assert_int_equal(page.n_incidents, 1);
	assert_int_equal(incident_of(&page, "5")->resolved_at, 1795847392);
	assert_cursor(page.cursor, "5", "3:0,4:0");
	assert_null(page.next);
	source_page_release(&page);

	/* A recovery asked for and not served is tried next round, not in a loop. */
	assert_int_equal(answer(&ctx, recovery, body, &page), SUCCESS);
	assert_int_equal(page.n_incidents, 0);
	assert_cursor(page.cursor, "5", "3:0,4:0,5:6");
	assert_null(page.next);
	source_page_release(&page);

	request_free(lookup);
	request_free(recovery);
	source_requests_free(reqs, n);
	source_release(&t);
	json_decref(fixture);
	json_decref(without6);
	free(text);
	free(body);
	free(empty);
}

/* problem.get's objects (zabbix-problem-get.json, -all.json) carry the problem
 * fields of event.get's and read alike; they have no hosts (problem.get ignores
 * selectHosts), so the service is the config's. */
static void
source_zabbix__live_problem_get_reads_alike(void **state)
{
	struct cursors c = { 0 };
	struct test_source t;
	struct source_ctx ctx;
	struct source_request *reqs;
	struct source_page page;
	const struct store_incident *inc;
	size_t n;

	(void)state;
	source_init(&t, "shop", true);
	ctx = ctx_for(&t, &c);
	reqs = plan(&ctx, &n);
	assert_int_equal(answer(&ctx, &reqs[0], "live/zabbix-problem-get-all.json", &page),
			 SUCCESS);
	assert_int_equal(page.n_incidents, 2);
	inc = incident_of(&page, "3");
	assert_string_equal(inc->services[0], "shop");
	assert_string_equal(inc->severity, "P2");
	assert_int_equal(inc->acknowledged_at, 1795847392);
	inc = incident_of(&page, "4");
	assert_string_equal(inc->services[0], "shop");
	assert_string_equal(inc->severity, "P4");
	assert_cursor(page.cursor, "4", "3:0,4:0");
	source_page_release(&page);

	assert_int_equal(answer(&ctx, &reqs[0], "live/zabbix-problem-get.json", &page), SUCCESS);
	assert_int_equal(page.n_incidents, 2); /* 5 is resolved: it waits */
	assert_cursor(page.cursor, "5", "3:0,4:0,5:6");
	source_page_release(&page);
	source_requests_free(reqs, n);
	source_release(&t);
}

/* One problem event of the shape event.get gives, as text (new). */
static char *
event_text(const char *id, const char *clock, const char *severity, const char *r_eventid,
	   const char *userid, const char *acks, const char *tags, const char *hosts)
{
	return xasprintf("{\"eventid\":\"%s\",\"source\":\"0\",\"object\":\"0\",\"objectid\":"
			 "\"20017\",\"clock\":\"%s\",\"value\":\"1\",\"acknowledged\":\"0\","
			 "\"ns\":\"1\",\"name\":\"Problem %s\",\"severity\":\"%s\",\"r_eventid\":"
			 "\"%s\",\"c_eventid\":\"0\",\"correlationid\":\"0\",\"userid\":\"%s\","
			 "\"opdata\":\"\",\"hosts\":%s,\"acknowledges\":%s,\"suppressed\":\"0\","
			 "\"urls\":[],\"tags\":%s}",
			 id, clock, id, severity, r_eventid, userid, hosts ? hosts : "[]",
			 acks ? acks : "[]", tags ? tags : "[]");
}

#define HOST "[{\"hostid\":\"10101\",\"host\":\"checkout\",\"name\":\"Checkout\"}]"

/* Every acknowledge is an event, of the kind of its strongest action bit (close
 * 1, ack 2, unack 16, severity 8, message 4), with its acknowledgeid; the first
 * with the ack bit is acknowledged_at; a manual close names its user on the
 * resolve event. */
static void
source_zabbix__acknowledges_of_every_kind(void **state)
{
	struct cursors c = { "{\"eventid\":\"11\",\"open\":{\"10\":\"11\"}}", NULL };
	static const char acks[] =
		"[{\"acknowledgeid\":\"25\",\"userid\":\"4\",\"eventid\":\"10\",\"clock\":"
		"\"1740990400\",\"message\":\"false positive\",\"action\":\"5\",\"old_severity\":"
		"\"0\",\"new_severity\":\"0\",\"username\":\"lee\"},"
		"{\"acknowledgeid\":\"24\",\"userid\":\"3\",\"eventid\":\"10\",\"clock\":"
		"\"1740990300\",\"message\":\"\",\"action\":\"16\",\"old_severity\":\"0\","
		"\"new_severity\":\"0\",\"username\":\"dana\"},"
		"{\"acknowledgeid\":\"23\",\"userid\":\"3\",\"eventid\":\"10\",\"clock\":"
		"\"1740990200\",\"message\":\"customers see 502s\",\"action\":\"4\","
		"\"old_severity\":\"0\",\"new_severity\":\"0\",\"username\":\"dana\"},"
		"{\"acknowledgeid\":\"22\",\"userid\":\"3\",\"eventid\":\"10\",\"clock\":"
		"\"1740990100\",\"message\":\"worse\",\"action\":\"12\",\"old_severity\":\"2\","
		"\"new_severity\":\"4\",\"username\":\"dana\"},"
		"{\"acknowledgeid\":\"21\",\"userid\":\"3\",\"eventid\":\"10\",\"clock\":"
		"\"1740990000\",\"message\":\"on it\",\"action\":\"6\",\"old_severity\":\"0\","
		"\"new_severity\":\"0\",\"username\":\"dana\"}]";
	struct test_source t;
	struct source_ctx ctx;
	struct source_request *reqs, *lookup;
	struct source_page page;
	const struct store_incident *inc;
	const struct source_event *ev;
	char *empty = ok("[]"), *problem, *list, *body;
	size_t n;

	(void)state;
	problem = event_text("10", "1740989000", "4", "11", "4", acks, NULL, HOST);
	list = xasprintf("[%s,{\"eventid\":\"11\",\"source\":\"0\",\"object\":\"0\",\"objectid\":"
			 "\"20017\",\"clock\":\"1740990400\",\"value\":\"0\",\"name\":\"Problem "
			 "10\",\"severity\":\"0\",\"r_eventid\":\"0\",\"userid\":\"0\","
			 "\"hosts\":" HOST ",\"acknowledges\":[],\"tags\":[]}]",
			 problem);
	body = ok(list);
	source_init(&t, NULL, true);
	ctx = ctx_for(&t, &c);
	reqs = plan(&ctx, &n);
	assert_int_equal(answer(&ctx, &reqs[0], empty, &page), SUCCESS);
	lookup = take_next(&page);
	assert_string_equal(asked(lookup), "10,11");
	source_page_release(&page);

	assert_int_equal(answer(&ctx, lookup, body, &page), SUCCESS);
	inc = incident_of(&page, "10");
	assert_string_equal(inc->services[0], "checkout");
	assert_int_equal(inc->detected_at, 1740989000);
	assert_int_equal(inc->acknowledged_at, 1740990000);
	assert_int_equal(inc->resolved_at, 1740990400);
	assert_int_equal(inc->updated_at, 1740990400);
	assert_int_equal(page.n_events, 7);
	ev = event_of(&page, "10", "ack");
	assert_string_equal(ev->event_id, "21");
	assert_string_equal(ev->text, "on it");
	ev = event_of(&page, "10", "severity");
	assert_string_equal(ev->event_id, "22");
	assert_int_equal(ev->at, 1740990100);
	assert_string_equal(ev->text, "severity warning -> high: worse");
	ev = event_of(&page, "10", "note");
	assert_string_equal(ev->event_id, "23");
	assert_string_equal(ev->text, "customers see 502s");
	assert_string_equal(ev->actor, "dana");
	ev = event_of(&page, "10", "unack");
	assert_string_equal(ev->event_id, "24");
	assert_null(ev->text);
	ev = event_of(&page, "10", "close");
	assert_string_equal(ev->event_id, "25");
	assert_string_equal(ev->actor, "lee");
	ev = event_of(&page, "10", "resolve");
	assert_string_equal(ev->event_id, "11");
	assert_string_equal(ev->actor, "lee"); /* userid set: closed by hand */
	assert_cursor(page.cursor, "11", "");
	source_page_release(&page);
	request_free(lookup);
	source_requests_free(reqs, n);
	source_release(&t);
	free(problem);
	free(list);
	free(body);
	free(empty);
}

/* Severity 0..5 to P5, P5, P4, P3, P2, P1; only a disaster is an outage; a level
 * Zabbix does not have gets no priority. */
static void
source_zabbix__severities_map_to_priorities(void **state)
{
	static const struct {
		const char *severity, *priority;
		enum mx_impact impact;
	} cases[] = {
		{ "0", "P5", MX_IMPACT_DEGRADED }, { "1", "P5", MX_IMPACT_DEGRADED },
		{ "2", "P4", MX_IMPACT_DEGRADED }, { "3", "P3", MX_IMPACT_DEGRADED },
		{ "4", "P2", MX_IMPACT_DEGRADED }, { "5", "P1", MX_IMPACT_OUTAGE },
		{ "9", NULL, MX_IMPACT_DEGRADED },
	};
	struct cursors c = { 0 };
	struct test_source t;
	struct source_ctx ctx;
	struct source_request *reqs;
	struct source_page page;
	size_t i, n;

	(void)state;
	source_init(&t, NULL, true);
	ctx = ctx_for(&t, &c);
	reqs = plan(&ctx, &n);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *ev = event_text("7", "1740989000", cases[i].severity, "0", "0", NULL, NULL,
				      HOST);
		char *list = xasprintf("[%s]", ev), *body = ok(list);
		const struct store_incident *inc;

		assert_int_equal(answer(&ctx, &reqs[0], body, &page), SUCCESS);
		inc = incident_of(&page, "7");
		if (cases[i].priority)
			assert_string_equal(inc->severity, cases[i].priority);
		else
			assert_null(inc->severity);
		assert_int_equal(inc->impact, cases[i].impact);
		source_page_release(&page);
		free(ev);
		free(list);
		free(body);
	}
	source_requests_free(reqs, n);
	source_release(&t);
}

/* The service: a `service` tag (not an empty one), else the first host's name,
 * else the config's, else "unknown". Untrusted titles are kept as they came. */
static void
source_zabbix__service_from_tag_host_or_config(void **state)
{
	static const struct {
		const char *tags, *hosts, *config, *service;
	} cases[] = {
		{ "[{\"tag\":\"env\",\"value\":\"prod\"},{\"tag\":\"service\",\"value\":"
		  "\"payments\"}]",
		  HOST, "shop", "payments" },
		{ "[{\"tag\":\"service\",\"value\":\"\"}]", HOST, "shop", "checkout" },
		{ NULL, "[]", "shop", "shop" },
		{ NULL, "null", NULL, "unknown" },
	};
	struct cursors c = { 0 };
	struct test_source t;
	struct source_ctx ctx;
	struct source_request *reqs;
	struct source_page page;
	size_t i, n;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *ev = event_text("7", "1740989000", "3", "0", "0", NULL, cases[i].tags,
				      cases[i].hosts);
		char *list = xasprintf("[%s]", ev), *body = ok(list);

		source_init(&t, cases[i].config, true);
		ctx = ctx_for(&t, &c);
		reqs = plan(&ctx, &n);
		assert_int_equal(answer(&ctx, &reqs[0], body, &page), SUCCESS);
		assert_string_equal(incident_of(&page, "7")->services[0], cases[i].service);
		source_page_release(&page);
		source_requests_free(reqs, n);
		source_release(&t);
		free(ev);
		free(list);
		free(body);
	}

	/* An escape sequence in a trigger name reaches the record unchanged. */
	source_init(&t, NULL, true);
	ctx = ctx_for(&t, &c);
	reqs = plan(&ctx, &n);
	assert_int_equal(
		answer(&ctx, &reqs[0],
		       "{\"jsonrpc\":\"2.0\",\"result\":[{\"eventid\":\"8\",\"clock\":"
		       "\"1740989000\","
		       "\"value\":\"1\",\"name\":\"Disk \\u001b]0;owned\\u0007full\",\"severity\":"
		       "\"2\",\"r_eventid\":\"0\"}],\"id\":1}",
		       &page),
		SUCCESS);
	assert_string_equal(incident_of(&page, "8")->title, "Disk \033]0;owned\007full");
	assert_string_equal(incident_of(&page, "8")->services[0], "unknown");
	assert_null(incident_of(&page, "8")->url); /* no objectid */
	source_page_release(&page);
	source_requests_free(reqs, n);
	source_release(&t);
}

/* A full page is followed by the next (eventid_from after its last event); the
 * watermark stays before the last minute's events, which come again next round. */
static void
source_zabbix__full_pages_follow_and_the_watermark_settles(void **state)
{
	struct cursors c = { "{\"eventid\":\"100\",\"open\":{}}", NULL };
	struct test_source t;
	struct source_ctx ctx;
	struct source_request *reqs, *next;
	struct source_page page;
	struct buf b;
	json_t *params, *cursor;
	char *body;
	size_t i, n;

	(void)state;
	buf_init(&b, 0);
	buf_addch(&b, '[');
	for (i = 0; i < 100; i++) {
		char id[8], clock[16], *ev;

		snprintf(id, sizeof(id), "%zu", 101 + i);
		/* The last three within the minute before NOW. */
		snprintf(clock, sizeof(clock), "%d", i < 97 ? NOW - 3600 + (int)i : NOW - 30);
		ev = event_text(id, clock, "2", "0", "0", NULL, NULL, HOST);
		buf_printf(&b, "%s%s", i ? "," : "", ev);
		free(ev);
	}
	buf_addch(&b, ']');
	body = ok(b.data);
	source_init(&t, NULL, true);
	ctx = ctx_for(&t, &c);
	reqs = plan(&ctx, &n);
	params = params_of(&reqs[0]);
	assert_string_equal(json_string_value(json_object_get(params, "eventid_from")), "101");
	assert_null(json_object_get(params, "time_from"));
	json_decref(params);
	assert_int_equal(answer(&ctx, &reqs[0], body, &page), SUCCESS);
	assert_int_equal(page.n_incidents, 100);
	assert_int_equal(page.n_events, 100);
	cursor = json_loads(page.cursor, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(cursor, "eventid")), "197");
	assert_int_equal(json_object_size(json_object_get(cursor, "open")), 100);
	json_decref(cursor);
	next = take_next(&page);
	assert_non_null(next);
	params = params_of(next);
	assert_string_equal(json_string_value(json_object_get(params, "eventid_from")), "201");
	assert_int_equal(json_integer_value(json_object_get(params, "limit")), 100);
	assert_int_equal(json_integer_value(json_object_get(params, "value")), 1);
	json_decref(params);
	request_free(next);
	source_page_release(&page);
	source_requests_free(reqs, n);
	source_release(&t);
	buf_release(&b);
	free(body);
}

/*
 * Plan, login, logout
 */

static void
source_zabbix__plan_bodies_with_a_token(void **state)
{
	static char m_cpu[] = "checkout.cpu", m_page[] = "search.page", m_ping[] = "payments.ping";
	static char m_other[] = "other.cpu", m_empty[] = "empty.query";
	static char zbx[] = "zbx", prom[] = "prom";
	static char q_cpu[] = "checkout:system.cpu.util", q_ping[] = "30203", q_up[] = "up";
	static char q_page[] = "web.page.get[http://search:8080/health]", q_empty[] = "";
	struct config_metric metrics[] = {
		{ m_cpu, zbx, q_cpu },	 { m_page, zbx, q_page },   { m_ping, zbx, q_ping },
		{ m_other, prom, q_up }, { m_empty, zbx, q_empty },
	};
	struct cursors c = { 0 };
	struct test_source t;
	struct source_ctx ctx;
	struct source_request *reqs;
	char *want;
	size_t n;

	(void)state;
	source_init(&t, NULL, true);
	ctx = ctx_for(&t, &c);
	ctx.metrics = metrics;
	ctx.n_metrics = ARRAY_SIZE(metrics);
	reqs = plan(&ctx, &n);
	assert_int_equal(n, 4);
	assert_string_equal(reqs[0].stream, "problems");
	assert_string_equal(reqs[0].method, "POST");
	assert_string_equal(reqs[0].url, URL);
	assert_int_equal(reqs[0].n_headers, 1);
	assert_string_equal(reqs[0].headers[0].name, "Content-Type");
	assert_string_equal(reqs[0].headers[0].value, "application/json-rpc");
	want = xasprintf("{\"jsonrpc\":\"2.0\",\"method\":\"event.get\",\"params\":{\"output\":"
			 "\"extend\",\"source\":0,\"object\":0,\"selectHosts\":[\"hostid\","
			 "\"host\",\"name\"],\"selectTags\":\"extend\",\"select_acknowledges\":"
			 "\"extend\",\"sortfield\":[\"eventid\"],\"sortorder\":\"ASC\",\"value\":1,"
			 "\"time_from\":%d,\"limit\":100},\"auth\":\"" TOKEN "\",\"id\":1}",
			 NOW - BACKFILL);
	assert_string_equal(reqs[0].body, want);
	free(want);

	assert_string_equal(reqs[1].stream, "metric:checkout.cpu");
	assert_string_equal(
		reqs[1].body,
		"{\"jsonrpc\":\"2.0\",\"method\":\"item.get\",\"params\":{\"output\":"
		"[\"itemid\",\"hostid\",\"name\",\"key_\",\"value_type\",\"lastclock\"],"
		"\"selectHosts\":[\"host\"],\"templated\":false,\"webitems\":true,"
		"\"host\":\"checkout\",\"filter\":{\"key_\":\"system.cpu.util\"},"
		"\"sortfield\":\"itemid\",\"limit\":2},\"auth\":\"" TOKEN "\",\"id\":1}");
	/* The colon inside the key's brackets is not a host separator. */
	assert_string_equal(reqs[2].stream, "metric:search.page");
	assert_non_null(strstr(reqs[2].body, "\"filter\":{\"key_\":\"web.page.get[http://"
					     "search:8080/health]\"}"));
	assert_null(strstr(reqs[2].body, "\"host\":"));
	assert_string_equal(reqs[3].stream, "metric:payments.ping");
	assert_non_null(strstr(reqs[3].body, "\"itemids\":[\"30203\"]"));
	assert_null(strstr(reqs[3].body, "\"filter\""));
	source_requests_free(reqs, n);
	source_release(&t);
}

static void
source_zabbix__plan_with_a_session_and_its_errors(void **state)
{
	struct cursors c = { "{\"eventid\":\"41\",\"open\":{\"7\":\"0\"}}", NULL };
	struct source_request *reqs = NULL;
	struct test_source t;
	struct source_ctx ctx;
	size_t n = 0;

	(void)state;
	source_init(&t, NULL, false);
	ctx = ctx_for(&t, &c);
	ctx.secret = PASSWORD;
	ctx.session = SESSION;
	reqs = plan(&ctx, &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(reqs[0].body, ",\"auth\":\"" SESSION "\",\"id\":1}"));
	assert_non_null(strstr(reqs[0].body, "\"eventid_from\":\"42\""));
	assert_null(strstr(reqs[0].body, "word")); /* never the password */
	source_requests_free(reqs, n);

	/* user and password, but no session: nothing to send. */
	reqs = NULL;
	n = 0;
	ctx.session = NULL;
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "zabbix zbx: no token configured, and no session (user and password)");
	assert_int_equal(n, 0);
	source_release(&t);

	test_source_init(&t, "zbx", "zabbix", NULL, NULL);
	ctx = ctx_for(&t, &c);
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "zabbix zbx: no url configured (the frontend's api_jsonrpc.php)");
	assert_int_equal(n, 0);
	source_release(&t);
}

/* user.login with username and password (escaped, never through jansson), no
 * auth; the session out of zabbix-user-login.json; user.logout with it. With a
 * token, no login at all. */
static void
source_zabbix__login_session_logout(void **state)
{
	struct cursors c = { 0 };
	struct source_request *req = NULL;
	struct http_response resp;
	struct test_source t;
	struct source_ctx ctx;
	char *session = NULL;

	(void)state;
	source_init(&t, NULL, true);
	ctx = ctx_for(&t, &c);
	assert_int_equal(ops()->login(&ctx, &req), SUCCESS);
	assert_null(req);
	assert_int_equal(ops()->logout(&ctx, &req), SUCCESS);
	assert_null(req);
	source_release(&t);

	source_init(&t, NULL, false);
	ctx = ctx_for(&t, &c);
	ctx.secret = PASSWORD;
	assert_int_equal(ops()->login(&ctx, &req), SUCCESS);
	assert_non_null(req);
	assert_string_equal(req->method, "POST");
	assert_string_equal(req->url, URL);
	assert_string_equal(req->body, "{\"jsonrpc\":\"2.0\",\"method\":\"user.login\",\"params\":"
				       "{\"username\":\"sitrep \\\"ro\\\"\",\"password\":"
				       "\"pa\\\"ss\\\\word\"},\"id\":1}");
	assert_string_equal(req->headers[0].value, "application/json-rpc");
	request_free(req);

	response_file(&resp, 200, "live/zabbix-user-login.json");
	assert_int_equal(ops()->session(&ctx, &resp, &session), SUCCESS);
	assert_string_equal(session, SESSION);
	free(session);
	response_release(&resp);

	response_file(&resp, 200, "live/zabbix-user-login-error.json");
	assert_int_equal(ops()->session(&ctx, &resp, &session), ERROR_CUSTOM_MESSAGE);
	assert_null(session);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "zabbix login: Zabbix error -32602 Invalid params.: Incorrect user "
			    "name or password or account is temporarily blocked.");
	response_release(&resp);

	response_text(&resp, 200, "{\"jsonrpc\":\"2.0\",\"result\":[\"x\"],\"id\":1}");
	assert_int_equal(ops()->session(&ctx, &resp, &session), ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "zabbix login: the result is an array, not a session id");
	response_release(&resp);

	ctx.session = SESSION;
	assert_int_equal(ops()->logout(&ctx, &req), SUCCESS);
	assert_string_equal(req->body, "{\"jsonrpc\":\"2.0\",\"method\":\"user.logout\",\"params\":"
				       "[],\"auth\":\"" SESSION "\",\"id\":1}");
	request_free(req);
	source_release(&t);

	/* No user: a config error, not a request. */
	test_source_init(&t, "zbx", "zabbix", URL, NULL);
	add_value(&t, "password", "env:ZBX_PASSWORD");
	ctx = ctx_for(&t, &c);
	assert_int_equal(ops()->login(&ctx, &req), ERROR_CUSTOM_MESSAGE);
	assert_null(req);
	source_release(&t);
}

/*
 * Metrics
 */

static char load_name[] = "checkout.load", load_source[] = "zbx", load_query[] = "44523";
static struct config_metric cpu_metric[] = { { load_name, load_source, load_query } };

static struct source_ctx
metric_ctx(const struct test_source *t, struct cursors *c)
{
	struct source_ctx ctx = ctx_for(t, c);

	ctx.metrics = cpu_metric;
	ctx.n_metrics = ARRAY_SIZE(cpu_metric);
	return ctx;
}

/* The item's answer: one item of the given type and lastclock (new). */
static char *
item_answer(const char *value_type, const char *lastclock)
{
	char *item = xasprintf("[{\"itemid\":\"44523\",\"hostid\":\"10559\",\"name\":\"Load "
			       "average (1m)\",\"key_\":\"system.cpu.load[all,avg1]\","
			       "\"value_type\":\"%s\",\"lastclock\":\"%s\",\"hosts\":[{\"host\":"
			       "\"sitrep-test-host\"}]}]",
			       value_type, lastclock);
	char *body = ok(item);

	free(item);
	return body;
}

/* The first round: item.get, then a week of trends before the hour that began an
 * hour ago, then item.get again, then history from there. */
static void
source_zabbix__first_round_reads_trends_then_history(void **state)
{
	int64_t from = (NOW - 3600) / 3600 * 3600;
	struct cursors c = { 0 };
	struct test_source t;
	struct source_ctx ctx;
	struct source_request *reqs, *trend, *again, *history;
	struct source_page page;
	json_t *params;
	char *item = item_answer("0", "1795847400"), *cursor;
	size_t n;

	(void)state;
	source_init(&t, NULL, true);
	ctx = metric_ctx(&t, &c);
	reqs = plan(&ctx, &n);
	assert_int_equal(n, 2);
	assert_string_equal(reqs[1].stream, "metric:checkout.load");
	assert_int_equal(answer(&ctx, &reqs[1], item, &page), SUCCESS);
	assert_int_equal(page.n_samples, 0);
	assert_null(page.cursor);
	trend = take_next(&page);
	source_page_release(&page);
	assert_string_equal(method_of(trend), "trend.get");
	params = params_of(trend);
	assert_int_equal(json_integer_value(json_object_get(params, "time_from")),
			 from - 7 * 86400);
	assert_int_equal(json_integer_value(json_object_get(params, "time_till")), from - 1);
	assert_string_equal(
		json_string_value(json_array_get(json_object_get(params, "itemids"), 0)), "44523");
	json_decref(params);

	/* zabbix-trend-get.json: three hours, value_avg each. */
	assert_int_equal(answer(&ctx, trend, "live/zabbix-trend-get.json", &page), SUCCESS);
	assert_int_equal(page.n_samples, 3);
	assert_string_equal(page.samples[0].series, "checkout.load");
	assert_string_equal(page.samples[0].labels, "");
	assert_string_equal(page.samples[0].service, "checkout");
	assert_int_equal(page.samples[0].ts, 1795834800);
	assert_true(page.samples[0].value == 54.0);
	assert_int_equal(page.samples[1].ts, 1795838400);
	assert_true(page.samples[1].value == 63.5);
	assert_int_equal(page.samples[2].ts, 1795842000);
	assert_true(page.samples[2].value == 55.5);
	cursor = xasprintf("%lld", (long long)(from - 1));
	assert_string_equal(page.cursor, cursor);
	again = take_next(&page);
	source_page_release(&page);
	assert_string_equal(method_of(again), "item.get");

	c.metric = cursor;
	assert_int_equal(answer(&ctx, again, item, &page), SUCCESS);
	history = take_next(&page);
	source_page_release(&page);
	assert_string_equal(method_of(history), "history.get");
	params = params_of(history);
	assert_int_equal(json_integer_value(json_object_get(params, "history")), 0);
	assert_int_equal(json_integer_value(json_object_get(params, "time_from")), from - 1);
	assert_string_equal(json_string_value(json_object_get(params, "sortorder")), "ASC");
	assert_int_equal(json_integer_value(json_object_get(params, "limit")), 1000);
	json_decref(params);

	/* zabbix-history-get-float.json: five samples, newest first as captured. */
	assert_int_equal(answer(&ctx, history, "live/zabbix-history-get-float.json", &page),
			 SUCCESS);
	assert_int_equal(page.n_samples, 5);
	assert_int_equal(page.samples[0].ts, 1795847400);
	assert_true(page.samples[0].value == 3.882324);
	assert_int_equal(page.samples[2].ts, 1795847398);
	assert_true(page.samples[2].value == 3.871582);
	assert_int_equal(page.samples[4].ts, 1795847396);
	assert_string_equal(page.cursor, "1795847400");
	assert_null(page.next); /* not a full page */
	source_page_release(&page);

	request_free(trend);
	request_free(again);
	request_free(history);
	source_requests_free(reqs, n);
	source_release(&t);
	free(item);
	free(cursor);
}

/* Later rounds: no history call when lastclock is not past the cursor; else from
 * the cursor, with the item's own history type (3 for unsigned). */
static void
source_zabbix__history_only_when_there_is_news(void **state)
{
	struct cursors c = { 0, "1795847400" };
	struct test_source t;
	struct source_ctx ctx;
	struct source_request *reqs, *history;
	struct source_page page;
	json_t *params;
	char *same = item_answer("3", "1795847400"), *newer = item_answer("3", "1795847460");
	size_t n;

	(void)state;
	source_init(&t, NULL, true);
	ctx = metric_ctx(&t, &c);
	reqs = plan(&ctx, &n);
	assert_int_equal(answer(&ctx, &reqs[1], same, &page), SUCCESS);
	assert_null(page.next);
	assert_null(page.cursor);
	source_page_release(&page);

	assert_int_equal(answer(&ctx, &reqs[1], newer, &page), SUCCESS);
	history = take_next(&page);
	source_page_release(&page);
	params = params_of(history);
	assert_int_equal(json_integer_value(json_object_get(params, "history")), 3);
	assert_int_equal(json_integer_value(json_object_get(params, "time_from")), 1795847400);
	json_decref(params);

	/* zabbix-history-get-uint.json: unsigned values as strings. */
	assert_int_equal(answer(&ctx, history, "live/zabbix-history-get-uint.json", &page),
			 SUCCESS);
	assert_int_equal(page.n_samples, 5);
	assert_true(page.samples[0].value == 24251940864.0);
	assert_int_equal(page.samples[0].ts, 1795847400);
	assert_true(page.samples[4].value == 24151023616.0);
	assert_null(page.cursor); /* nothing newer than the cursor */
	source_page_release(&page);
	request_free(history);
	source_requests_free(reqs, n);
	source_release(&t);
	free(same);
	free(newer);
}

/* A full history page is followed from its last second on. */
static void
source_zabbix__full_history_pages_follow(void **state)
{
	struct cursors c = { 0, "1740000000" };
	struct test_source t;
	struct source_ctx ctx;
	struct source_request *reqs, *history, *next;
	struct source_page page;
	struct buf b;
	json_t *params;
	char *newer = item_answer("0", "1740100000"), *body;
	size_t i, n;

	(void)state;
	buf_init(&b, 0);
	buf_addch(&b, '[');
	for (i = 0; i < 1000; i++)
		buf_printf(&b,
			   "%s{\"itemid\":\"44523\",\"clock\":\"%zu\",\"value\":\"%zu.5\","
			   "\"ns\":\"0\"}",
			   i ? "," : "", 1740000000 + 60 * i, i);
	buf_addch(&b, ']');
	body = ok(b.data);
	source_init(&t, NULL, true);
	ctx = metric_ctx(&t, &c);
	reqs = plan(&ctx, &n);
	assert_int_equal(answer(&ctx, &reqs[1], newer, &page), SUCCESS);
	history = take_next(&page);
	source_page_release(&page);
	assert_int_equal(answer(&ctx, history, body, &page), SUCCESS);
	assert_int_equal(page.n_samples, 1000);
	assert_true(page.samples[999].value == 999.5);
	assert_string_equal(page.cursor, "1740059940");
	next = take_next(&page);
	params = params_of(next);
	assert_int_equal(json_integer_value(json_object_get(params, "time_from")), 1740059940);
	json_decref(params);
	request_free(next);
	source_page_release(&page);
	request_free(history);
	source_requests_free(reqs, n);
	source_release(&t);
	buf_release(&b);
	free(body);
	free(newer);
}

/*
 * Bad responses
 */

struct bad_case {
	const char *why;
	long status;
	const char *body; /* "live/...": a fixture */
	const char *stream;
	const char *method; /* of the request answered: event.get (NULL), item.get... */
	const char *expect;
};

static void
check_bad(const struct bad_case *c)
{
	struct cursors cur = { 0 };
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;
	struct source_request *reqs, req = { 0 };
	enum status_code code;
	const char *msg, *p;
	size_t n, i;

	source_init(&t, NULL, true);
	ctx = metric_ctx(&t, &cur);
	reqs = plan(&ctx, &n);
	if (c->body && strncmp(c->body, "live/", 5) == 0)
		response_file(&resp, c->status, c->body);
	else
		response_text(&resp, c->status, c->body);
	if (c->status == 0)
		string_copy(resp.error, "Failed to connect to zabbix.example.com port 443");
	if (c->status == -1) {
		resp.status = 200;
		resp.too_big = true;
	}
	source_page_init(&page);
	i = c->method ? 1 : 0; /* item.get, history.get, trend.get: the metric */
	req.stream = xstrdup(c->stream ? c->stream : reqs[i].stream);
	req.method = xstrdup("POST");
	req.url = xstrdup(URL);
	req.body = xstrdup(reqs[i].body);
	if (c->method && (streq(c->method, "history.get") || streq(c->method, "trend.get"))) {
		free(req.body);
		req.body = xasprintf("{\"jsonrpc\":\"2.0\",\"method\":\"%s\",\"params\":{"
				     "\"history\":0,\"itemids\":[\"44523\"],\"time_from\":1,"
				     "\"time_till\":2},\"auth\":\"" TOKEN "\",\"id\":1}",
				     c->method);
	}
	code = ops()->parse(&ctx, &req, &resp, &page);
	msg = status_message(code);
	if (code == SUCCESS || !strstr(msg, c->expect))
		fail_msg("%s: got \"%s\", want an error with \"%s\"", c->why, msg, c->expect);
	for (p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fail_msg("%s: control character in \"%s\"", c->why, msg);
	if (strstr(msg, TOKEN) || strstr(msg, SESSION))
		fail_msg("%s: a secret in \"%s\"", c->why, msg);
	source_request_release(&req);
	source_page_release(&page);
	response_release(&resp);
	source_requests_free(reqs, n);
	source_release(&t);
}

#define EV_HEAD "{\"jsonrpc\":\"2.0\",\"result\":[{\"eventid\":\"3\",\"value\":\"1\","
#define EV_TAIL ",\"name\":\"n\",\"severity\":\"2\",\"r_eventid\":\"0\"}],\"id\":1}"
#define GOOD_CLOCK "\"clock\":\"1795847391\""

static void
source_zabbix__bad_responses_name_the_problem(void **state)
{
	static const struct bad_case cases[] = {
		{ "live: not authorized", 200, "live/zabbix-not-authorized.json", NULL, NULL,
		  "zabbix problems: Zabbix error -32602 Invalid params.: Not authorized. (check "
		  "the token, or user and password)" },
		{ "live: apiinfo.version with auth", 200,
		  "live/zabbix-apiinfo-with-auth-error.json", NULL, NULL,
		  "Zabbix error -32602 Invalid params.: The \"apiinfo.version\" method must be "
		  "called without the \"auth\" parameter." },
		{ "session ended", 200,
		  "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32602,\"message\":\"Invalid params.\","
		  "\"data\":\"Session terminated, re-login, please.\"},\"id\":1}",
		  NULL, NULL, "Session terminated, re-login, please. (check the token" },
		{ "an error that is not an object", 200,
		  "{\"jsonrpc\":\"2.0\",\"error\":\"denied\",\"id\":1}", NULL, NULL,
		  "zabbix problems: the response's error is a string, not an object" },
		{ "truncated (live)", 200,
		  "{\"jsonrpc\":\"2.0\",\"result\":[{\"eventid\":\"6\",\"source\":\"0\",\"obj",
		  NULL, NULL, "zabbix problems: the response is not JSON" },
		{ "malformed", 200, "{\"jsonrpc\":\"2.0\",\x01\xff}{\"result\":[]}", NULL, NULL,
		  "the response is not JSON" },
		{ "an HTML page", 200, "<html><body>Zabbix</body></html>", NULL, NULL,
		  "the response is not JSON" },
		{ "no result", 200, "{\"jsonrpc\":\"2.0\",\"id\":1}", NULL, NULL,
		  "the response has neither result nor error" },
		{ "result an object", 200, "{\"jsonrpc\":\"2.0\",\"result\":{},\"id\":1}", NULL,
		  NULL, "the result is an object, not an array" },
		{ "not JSON-RPC 2.0", 200, "{\"result\":[],\"id\":1}", NULL, NULL,
		  "the response is not JSON-RPC 2.0 (jsonrpc is missing)" },
		{ "jsonrpc a number", 200, "{\"jsonrpc\":2,\"result\":[],\"id\":\"1\"}", NULL, NULL,
		  "the response is not JSON-RPC 2.0 (jsonrpc is a number)" },
		{ "another id", 200, "{\"jsonrpc\":\"2.0\",\"result\":[],\"id\":7}", NULL, NULL,
		  "the response's id is a number, not the request's 1" },
		{ "an array", 200, "[]", NULL, NULL,
		  "the response is an array, not a JSON-RPC object" },
		{ "an event not an object", 200, "{\"jsonrpc\":\"2.0\",\"result\":[7],\"id\":1}",
		  NULL, NULL, "zabbix problems: event 0 is a number, not an object" },
		{ "no eventid", 200,
		  "{\"jsonrpc\":\"2.0\",\"result\":[{\"clock\":\"1\"}],\"id\":1}", NULL, NULL,
		  "event 0: eventid is missing" },
		{ "eventid not digits", 200,
		  "{\"jsonrpc\":\"2.0\",\"result\":[{\"eventid\":\"x1\",\"clock\":\"1\"}],\"id\":"
		  "1}",
		  NULL, NULL, "event 0: eventid \"x1\" is not an id" },
		{ "clock an object", 200, EV_HEAD "\"clock\":{}" EV_TAIL, NULL, NULL,
		  "event 0: clock is an object, not a string of digits" },
		{ "clock a boolean", 200, EV_HEAD "\"clock\":true" EV_TAIL, NULL, NULL,
		  "event 0: clock is a boolean, not a string of digits" },
		{ "clock not a number", 200, EV_HEAD "\"clock\":\"yesterday\"" EV_TAIL, NULL, NULL,
		  "event 0: clock \"yesterday\" is not an integer" },
		{ "clock a fraction", 200, EV_HEAD "\"clock\":\"1795847391.5\"" EV_TAIL, NULL, NULL,
		  "event 0: clock \"1795847391.5\" is not an integer" },
		{ "clock negative", 200, EV_HEAD "\"clock\":\"-5\"" EV_TAIL, NULL, NULL,
		  "event 0: clock is out of range" },
		{ "no clock", 200, EV_HEAD "\"x\":0" EV_TAIL, NULL, NULL,
		  "event 0: clock is missing" },
		{ "name a number", 200,
		  EV_HEAD GOOD_CLOCK
		  ",\"name\":5,\"severity\":\"2\",\"r_eventid\":\"0\"}],\"id\":1}",
		  NULL, NULL, "event 0: name is a number, not a string" },
		{ "acknowledges an object", 200, EV_HEAD GOOD_CLOCK ",\"acknowledges\":{}" EV_TAIL,
		  NULL, NULL, "event 0: acknowledges is an object, not an array" },
		{ "an acknowledge's clock", 200,
		  EV_HEAD GOOD_CLOCK ",\"acknowledges\":[{\"acknowledgeid\":\"1\",\"clock\":[],"
				     "\"action\":\"2\"}]" EV_TAIL,
		  NULL, NULL,
		  "event 0: acknowledges[0].clock is an array, not a string of digits" },
		{ "an acknowledge without action", 200,
		  EV_HEAD GOOD_CLOCK
		  ",\"acknowledges\":[{\"acknowledgeid\":\"1\",\"clock\":\"5\"}]" EV_TAIL,
		  NULL, NULL, "event 0: acknowledges[0].action is missing" },
		{ "a tag's value", 200,
		  EV_HEAD GOOD_CLOCK ",\"tags\":[{\"tag\":\"service\",\"value\":1}]" EV_TAIL, NULL,
		  NULL, "event 0: tags[0].value is a number, not a string" },
		{ "a host not an object", 200, EV_HEAD GOOD_CLOCK ",\"hosts\":[\"web\"]" EV_TAIL,
		  NULL, NULL, "event 0: hosts[0] is a string, not an object" },
		{ "HTTP 500 from nginx", 500,
		  "<html>\r\n<head><title>500 Internal Server Error</title></head></html>\r\n",
		  NULL, NULL,
		  "zabbix problems: HTTP 500: <html> <head><title>500 Internal Server Error" },
		{ "HTTP 412, empty", 412, "", NULL, NULL,
		  "HTTP 412: (empty body) (the frontend refused the request's Content-Type)" },
		{ "HTTP 404", 404, "Not Found", NULL, NULL,
		  "HTTP 404: Not Found (check url: it names the frontend's api_jsonrpc.php)" },
		{ "no response", 0, NULL, NULL, NULL,
		  "zabbix problems: no response: Failed to connect to zabbix.example.com" },
		{ "too big", -1, "{", NULL, NULL,
		  "zabbix problems: the response is larger than the size limit" },
		{ "empty 200", 200, "", NULL, NULL, "zabbix problems: empty response body" },
		{ "a stream of another source", 200, "{\"jsonrpc\":\"2.0\",\"result\":[],\"id\":1}",
		  "alerts", NULL, "zabbix alerts: not a stream of this source" },
		{ "a metric that is not configured", 200,
		  "{\"jsonrpc\":\"2.0\",\"result\":[],\"id\":1}", "metric:gone.cpu", "item.get",
		  "zabbix metric:gone.cpu: no [metric] of this source has that name" },
		{ "no item", 200, "{\"jsonrpc\":\"2.0\",\"result\":[],\"id\":1}", NULL, "item.get",
		  "zabbix metric:checkout.load: no item matches \"44523\"" },
		{ "live: several items", 200, "live/zabbix-item-get.json", NULL, "item.get",
		  "\"44523\" matches more than one item" },
		{ "a text item", 200,
		  "{\"jsonrpc\":\"2.0\",\"result\":[{\"itemid\":\"44521\",\"value_type\":\"4\","
		  "\"lastclock\":\"1795847390\"}],\"id\":1}",
		  NULL, "item.get",
		  "item 44521 (\"44523\") holds text values (value_type 4): only numeric items" },
		{ "an item without value_type", 200,
		  "{\"jsonrpc\":\"2.0\",\"result\":[{\"itemid\":\"44521\"}],\"id\":1}", NULL,
		  "item.get", "item 0: value_type is missing" },
		{ "live: text history", 200, "live/zabbix-history-get-text.json", NULL,
		  "history.get", "row 0: value \"hello from sitrep\" is not a number" },
		{ "a value an object", 200,
		  "{\"jsonrpc\":\"2.0\",\"result\":[{\"clock\":\"5\",\"value\":{}}],\"id\":1}",
		  NULL, "history.get", "row 0: value is an object, not a number in a string" },
		{ "a trend without value_avg", 200,
		  "{\"jsonrpc\":\"2.0\",\"result\":[{\"clock\":\"5\",\"value_min\":\"1\"}],\"id\":"
		  "1}",
		  NULL, "trend.get", "row 0: value_avg is missing" },
		{ "a row's clock", 200,
		  "{\"jsonrpc\":\"2.0\",\"result\":[{\"clock\":\"9999999999999\",\"value\":\"1\"}],"
		  "\"id\":1}",
		  NULL, "history.get", "row 0: clock is out of range" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		check_bad(&cases[i]);
}

/* A proxy's page or an error quoting the request never shows the token, the
 * password or the session. */
static void
source_zabbix__errors_never_show_a_secret(void **state)
{
	struct cursors c = { 0 };
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;
	struct source_request *reqs;
	char *session = NULL;
	const char *msg;
	size_t n;

	(void)state;
	source_init(&t, NULL, true);
	ctx = ctx_for(&t, &c);
	reqs = plan(&ctx, &n);
	response_text(&resp, 400, "bad request: {\"auth\":\"" TOKEN "\"}");
	source_page_init(&page);
	assert_int_equal(ops()->parse(&ctx, &reqs[0], &resp, &page), ERROR_CUSTOM_MESSAGE);
	msg = status_message(ERROR_CUSTOM_MESSAGE);
	assert_non_null(strstr(msg, "HTTP 400: bad request: {\"auth\":\"***\"}"));
	assert_null(strstr(msg, TOKEN));
	source_page_release(&page);
	response_release(&resp);
	source_requests_free(reqs, n);
	source_release(&t);

	source_init(&t, NULL, false);
	ctx = ctx_for(&t, &c);
	ctx.secret = PASSWORD;
	response_text(&resp, 200,
		      "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32500,\"message\":"
		      "\"Application error.\",\"data\":\"password pa\\\"ss\\\\word refused\"},"
		      "\"id\":1}");
	assert_int_equal(ops()->session(&ctx, &resp, &session), ERROR_CUSTOM_MESSAGE);
	msg = status_message(ERROR_CUSTOM_MESSAGE);
	assert_string_equal(msg, "zabbix login: Zabbix error -32500 Application error.: "
				 "password *** refused");
	response_release(&resp);
	source_release(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(source_zabbix__live_event_get_becomes_incidents),
		cmocka_unit_test(source_zabbix__refresh_resolves_at_the_recovery_clock),
		cmocka_unit_test(source_zabbix__a_new_recovery_is_fetched_in_the_round),
		cmocka_unit_test(source_zabbix__live_problem_get_reads_alike),
		cmocka_unit_test(source_zabbix__acknowledges_of_every_kind),
		cmocka_unit_test(source_zabbix__severities_map_to_priorities),
		cmocka_unit_test(source_zabbix__service_from_tag_host_or_config),
		cmocka_unit_test(source_zabbix__full_pages_follow_and_the_watermark_settles),
		cmocka_unit_test(source_zabbix__plan_bodies_with_a_token),
		cmocka_unit_test(source_zabbix__plan_with_a_session_and_its_errors),
		cmocka_unit_test(source_zabbix__login_session_logout),
		cmocka_unit_test(source_zabbix__first_round_reads_trends_then_history),
		cmocka_unit_test(source_zabbix__history_only_when_there_is_news),
		cmocka_unit_test(source_zabbix__full_history_pages_follow),
		cmocka_unit_test(source_zabbix__bad_responses_name_the_problem),
		cmocka_unit_test(source_zabbix__errors_never_show_a_secret),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
