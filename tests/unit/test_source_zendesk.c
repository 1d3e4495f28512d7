/* test_source_zendesk.c - the Zendesk source: pages of the cursor-based incremental
 * ticket export (tests/fixtures/zendesk, payloads of the recorded shape) parsed into
 * exact tickets (milestones from metric events and metric sets, reopens, SLA
 * instances and the metric engine's SLA, service, severity, links, a deleted
 * ticket), the cursor and the next page; the request a round plans (URL, sideloads,
 * Basic and OAuth auth); and a table of bad responses, each with the error it must
 * give. Nothing here opens a socket: responses are handed to ops->parse as the
 * engine would. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#include "source_support.h"

#include "sitrep/config.h"
#include "support.h"

/* 2025-03-03T10:00:00Z: the round's clock (a Monday). */
#define NOW 1740996000

#define BASE "https://acme.zendesk.com"
#define EXPORT BASE "/api/v2/incremental/tickets/cursor.json"
#define SIDELOADS "&per_page=500&include=metric_sets,slas,metric_events,users"
#define AFTER "MTc0MDk4OTEwMC4wfHw0ODA1fA=="
#define AFTER_URL EXPORT "?cursor=MTc0MDk4OTEwMC4wfHw0ODA1fA%3D%3D" SIDELOADS
/* base64("agent@acme.example/token:t0ken") */
#define BASIC "Basic YWdlbnRAYWNtZS5leGFtcGxlL3Rva2VuOnQwa2Vu"
#define ALERT_FIELD "360012345671"
#define SERVICE_FIELD "360012345672"

/*
 * Fixtures and helpers
 */

/* [source "zd"]: the fields and correlate set when fields is true. */
static void
source_init(struct test_source *t, const char *url, bool fields)
{
	test_source_init(t, "zd", "zendesk", url, "fallback");
	add_value(t, "email", "agent@acme.example");
	if (fields) {
		add_value(t, "service-field", SERVICE_FIELD);
		add_value(t, "alert-field", ALERT_FIELD);
		add_value(t, "correlate", "am");
	}
}

static const char *
cursor_of(void *engine, const char *stream)
{
	return streq(stream, "tickets") ? engine : NULL;
}

static struct source_ctx
ctx_for(const struct test_source *t, const char *cursor)
{
	struct source_ctx ctx = { 0 };

	ctx.name = "zd";
	ctx.config = &t->src;
	ctx.secret = "t0ken";
	ctx.now = NOW;
	ctx.cursor = cursor_of;
	ctx.engine = (void *)(uintptr_t)cursor;
	return ctx;
}

static const struct source_ops *
ops(void)
{
	return test_ops("zendesk");
}

static enum status_code
parse_resp(const struct source_ctx *ctx, const struct http_response *resp, struct source_page *page)
{
	return test_parse_get("zendesk", ctx, "tickets", EXPORT "?start_time=1738404000" SIDELOADS,
			      NULL, NULL, resp, page);
}

/* Parses a response that must be good, saying why when it is not. */
static enum status_code
parse_good(const struct source_ctx *ctx, const struct http_response *resp, struct source_page *page)
{
	enum status_code code = parse_resp(ctx, resp, page);

	if (code != SUCCESS)
		print_error("%s\n", status_message(code));
	return code;
}

/* Parses fixture name (a 200) with the field config. */
static void
parse_fixture(const char *name, struct source_page *page)
{
	struct test_source t;
	struct http_response resp;
	struct source_ctx ctx;

	source_init(&t, BASE, true);
	ctx = ctx_for(&t, NULL);
	response_file(&resp, 200, name);
	assert_int_equal(parse_good(&ctx, &resp, page), SUCCESS);
	response_release(&resp);
	source_release(&t);
}

/* Parses body (a 200) with the field config. */
static enum status_code
parse_body(const char *body, struct source_page *page)
{
	struct test_source t;
	struct http_response resp;
	struct source_ctx ctx;
	enum status_code code;

	source_init(&t, BASE, true);
	ctx = ctx_for(&t, NULL);
	response_text(&resp, 200, body);
	code = parse_good(&ctx, &resp, page);
	response_release(&resp);
	source_release(&t);
	return code;
}

static const struct store_incident *
ticket(const struct source_page *page, const char *id)
{
	for (size_t i = 0; i < page->n_incidents; i++)
		if (streq(page->incidents[i].source_id, id))
			return &page->incidents[i];
	fail_msg("no ticket %s", id);
	return NULL;
}

static void
assert_sla(const struct store_sla *s, const char *name, const char *kind, int64_t target,
	   enum mx_schedule schedule, const char *start, const char *due, const char *stop,
	   int64_t paused, const char *stage, bool breached)
{
	assert_string_equal(s->name, name);
	if (kind)
		assert_string_equal(s->kind, kind);
	else
		assert_null(s->kind);
	assert_int_equal(s->target, target);
	assert_int_equal(s->schedule, schedule);
	assert_int_equal(s->start_at, ts(start));
	assert_int_equal(s->due_at, ts(due));
	assert_int_equal(s->stop_at, ts(stop));
	assert_int_equal(s->paused, paused);
	assert_string_equal(s->stage, stage);
	if (s->breached != breached)
		fail_msg("SLA %s: breached %d, want %d", name, s->breached, breached);
}

/* The event of incident id of kind at at, with actor (NULL: none). */
static void
assert_event(const struct source_page *page, const char *id, const char *kind, const char *at,
	     const char *actor)
{
	for (size_t i = 0; i < page->n_events; i++) {
		const struct source_event *e = &page->events[i];

		if (!streq(e->incident_id, id) || !streq(e->kind, kind) || e->at != ts(at))
			continue;
		if (actor)
			assert_string_equal(e->actor, actor);
		else
			assert_null(e->actor);
		return;
	}
	fail_msg("no %s event of %s at %s", kind, id, at);
}

/*
 * A page of the export
 */

/* Urgent, reopened once and solved again, naming its alert. */
static void
source_zendesk__reopened_ticket_with_its_slas(void **state)
{
	struct source_page page;
	const struct store_incident *in;

	(void)state;
	parse_fixture("zendesk/export-cursor-page.json", &page);
	assert_int_equal(page.n_incidents, 4);
	in = ticket(&page, "4802");
	assert_true(in->ticket);
	assert_string_equal(in->source, "zd");
	assert_string_equal(in->title, "Card payments declined since 11:20");
	assert_string_equal(in->severity, "P1");
	assert_int_equal(in->impact, MX_IMPACT_OUTAGE);
	assert_int_equal(in->n_services, 1);
	/* the service field is empty: the tag service_payments names it */
	assert_string_equal(in->services[0], "payments");
	assert_string_equal(in->state, "solved");
	assert_string_equal(in->assignee, "noor");
	assert_string_equal(in->parent_source, "am");
	assert_string_equal(in->parent_id, "fp:4f1c2a9e0b7d3c55:1740655200");
	assert_string_equal(in->link, "field");
	assert_false(in->link_by_overlap);
	assert_string_equal(in->url, BASE "/agent/tickets/4802");
	assert_int_equal(in->impact_start, TIME_NONE);
	assert_int_equal(in->detected_at, ts("2025-02-27T11:26:00Z"));
	/* the fulfil event of reply_time, listed after a (deleted) breach */
	assert_int_equal(in->acknowledged_at, ts("2025-02-27T11:40:00Z"));
	assert_int_equal(in->contained_at, TIME_NONE);
	/* solved_at: the last solve */
	assert_int_equal(in->resolved_at, ts("2025-02-27T15:45:00Z"));
	assert_int_equal(in->closed_at, TIME_NONE);
	assert_int_equal(in->n_reopens, 1);
	assert_int_equal(in->reopens[0].resolved_at, ts("2025-02-27T13:58:00Z"));
	assert_int_equal(in->reopens[0].reopened_at, ts("2025-02-27T15:00:00Z"));
	/* generated_timestamp 1740671100 = updated_at */
	assert_int_equal(in->updated_at, ts("2025-02-27T15:45:00Z"));
	assert_non_null(strstr(in->raw_json, "\"id\":4802"));

	assert_int_equal(in->n_slas, 3);
	/* breach_at of the sideload is the due time; the breach event was deleted */
	assert_sla(&in->slas[0], "Incident tickets: first_reply_time", "response", 1800,
		   MX_SCHEDULE_24X7, "2025-02-27T11:26:00Z", "2025-02-27T11:56:00Z",
		   "2025-02-27T11:40:00Z", 0, "completed", false);
	/* the first period's clock is not the one the sideload shows */
	assert_sla(&in->slas[1], "Incident tickets: requester_wait_time", "resolution", 14400,
		   MX_SCHEDULE_24X7, "2025-02-27T11:26:00Z", NULL, "2025-02-27T13:58:00Z", 0,
		   "completed", false);
	assert_sla(&in->slas[2], "Incident tickets: requester_wait_time #2", "resolution", 14400,
		   MX_SCHEDULE_24X7, "2025-02-27T15:00:00Z", "2025-02-27T19:00:00Z",
		   "2025-02-27T15:45:00Z", 0, "completed", false);
	/* the metric engine reads the first resolution clock */
	assert_string_equal(in->sla_policy, "Incident tickets: requester_wait_time");
	assert_true(in->sla.present);
	assert_int_equal(in->sla.target_seconds, 14400);
	assert_int_equal(in->sla.schedule, MX_SCHEDULE_24X7);
	assert_int_equal(in->sla.start_time, ts("2025-02-27T11:26:00Z"));
	assert_int_equal(in->sla.stop_time, ts("2025-02-27T13:58:00Z"));
	assert_int_equal(in->sla.n_pauses, 0);

	assert_event(&page, "4802", "trigger", "2025-02-27T11:26:00Z", "ops@fashionhub.example");
	assert_event(&page, "4802", "ack", "2025-02-27T11:40:00Z", "noor");
	assert_event(&page, "4802", "resolve", "2025-02-27T13:58:00Z", "noor");
	assert_event(&page, "4802", "reopen", "2025-02-27T15:00:00Z", "ops@fashionhub.example");
	assert_event(&page, "4802", "resolve", "2025-02-27T15:45:00Z", "noor");
	source_page_release(&page);
}

/* Normal priority, business-hours targets, waiting for the customer since Friday. */
static void
source_zendesk__pending_ticket_pauses_its_wait(void **state)
{
	struct source_page page;
	const struct store_incident *in;
	/* pending from Friday 19:00 to the round's clock, Monday 10:00 */
	int64_t paused = NOW - ts("2025-02-28T19:00:00Z");

	(void)state;
	parse_fixture("zendesk/export-cursor-page.json", &page);
	in = ticket(&page, "4803");
	assert_string_equal(in->services[0], "search"); /* the service field */
	assert_string_equal(in->severity, "P3");
	assert_int_equal(in->impact, MX_IMPACT_DEGRADED);
	assert_string_equal(in->state, "pending");
	assert_string_equal(in->assignee, "ines");
	assert_null(in->parent_id);
	assert_true(in->link_by_overlap);
	assert_int_equal(in->detected_at, ts("2025-02-28T18:30:00Z"));
	assert_int_equal(in->acknowledged_at, ts("2025-02-28T18:55:00Z"));
	assert_int_equal(in->resolved_at, TIME_NONE);
	assert_int_equal(in->n_reopens, 0);
	assert_int_equal(in->n_slas, 2);
	assert_sla(&in->slas[0], "Incident tickets: first_reply_time", "response", 14400,
		   MX_SCHEDULE_BUSINESS_HOURS, "2025-02-28T18:30:00Z", "2025-03-03T13:00:00Z",
		   "2025-02-28T18:55:00Z", 0, "completed", false);
	assert_sla(&in->slas[1], "Incident tickets: requester_wait_time", "resolution", 57600,
		   MX_SCHEDULE_BUSINESS_HOURS, "2025-02-28T18:30:00Z", NULL, NULL, paused, "paused",
		   false);
	assert_true(in->sla.present);
	assert_int_equal(in->sla.schedule, MX_SCHEDULE_BUSINESS_HOURS);
	assert_int_equal(in->sla.stop_time, TIME_NONE);
	assert_int_equal(in->sla.n_pauses, 1);
	assert_int_equal(in->sla.pauses[0].start, ts("2025-02-28T19:00:00Z"));
	assert_int_equal(in->sla.pauses[0].end, TIME_NONE);
	source_page_release(&page);
}

/* High priority, no reply an hour after the target: the first reply SLA breached. */
static void
source_zendesk__unanswered_ticket_breaches_first_reply(void **state)
{
	struct source_page page;
	const struct store_incident *in;

	(void)state;
	parse_fixture("zendesk/export-cursor-page.json", &page);
	in = ticket(&page, "4805");
	assert_string_equal(in->severity, "P2");
	assert_int_equal(in->impact, MX_IMPACT_DEGRADED);
	/* neither field nor tag: the source's service */
	assert_string_equal(in->services[0], "fallback");
	assert_string_equal(in->state, "new");
	assert_null(in->assignee);
	assert_true(in->link_by_overlap);
	assert_int_equal(in->acknowledged_at, TIME_NONE);
	assert_int_equal(in->n_slas, 2);
	assert_sla(&in->slas[0], "Incident tickets: first_reply_time", "response", 3600,
		   MX_SCHEDULE_24X7, "2025-03-03T08:05:00Z", "2025-03-03T09:05:00Z", NULL, 0,
		   "in_progress", true);
	assert_sla(&in->slas[1], "Incident tickets: requester_wait_time", "resolution", 28800,
		   MX_SCHEDULE_24X7, "2025-03-03T08:05:00Z", "2025-03-03T16:05:00Z", NULL, 0,
		   "in_progress", false);
	/* no requester in the users sideload: the user id */
	assert_event(&page, "4805", "trigger", "2025-03-03T08:05:00Z", "362000000005");
	source_page_release(&page);
}

/* A deleted ticket is closed at its deletion, not left open. */
static void
source_zendesk__deleted_ticket_is_closed(void **state)
{
	struct source_page page;
	const struct store_incident *in;

	(void)state;
	parse_fixture("zendesk/export-cursor-page.json", &page);
	in = ticket(&page, "4790");
	assert_string_equal(in->state, "deleted");
	assert_string_equal(in->severity, "P4");
	assert_int_equal(in->detected_at, ts("2025-02-20T10:00:00Z"));
	assert_int_equal(in->resolved_at, ts("2025-03-01T12:00:00Z"));
	assert_int_equal(in->closed_at, ts("2025-03-01T12:00:00Z"));
	assert_int_equal(in->n_slas, 0);
	assert_false(in->sla.present);
	source_page_release(&page);
}

/* The page moves the cursor and asks for the next with the same sideloads and auth. */
static void
source_zendesk__page_follows_after_cursor(void **state)
{
	struct source_page page;

	(void)state;
	parse_fixture("zendesk/export-cursor-page.json", &page);
	assert_string_equal(page.cursor, AFTER);
	assert_non_null(page.next);
	assert_string_equal(page.next->stream, "tickets");
	assert_string_equal(page.next->method, "GET");
	/* built on the configured url, not after_url */
	assert_string_equal(page.next->url, AFTER_URL);
	assert_int_equal(page.next->n_headers, 1);
	assert_string_equal(page.next->headers[0].name, "Authorization");
	assert_string_equal(page.next->headers[0].value, BASIC);
	source_page_release(&page);

	/* The end of the stream: the cursor stays for the next round, no next page. */
	parse_fixture("zendesk/export-end-of-stream.json", &page);
	assert_int_equal(page.n_incidents, 0);
	assert_string_equal(page.cursor, AFTER);
	assert_null(page.next);
	source_page_release(&page);
}

/* Without metric events: the metric set's minutes and the slas sideload alone. */
static void
source_zendesk__sideload_alone_without_events(void **state)
{
	struct source_page page;
	const struct store_incident *in;

	(void)state;
	parse_fixture("zendesk/export-slas-without-events.json", &page);
	assert_null(page.next);
	in = ticket(&page, "4802");
	/* created_at + reply_time_in_minutes.calendar (14) */
	assert_int_equal(in->acknowledged_at, ts("2025-02-27T11:40:00Z"));
	assert_int_equal(in->resolved_at, ts("2025-02-27T15:45:00Z"));
	/* metric_set.reopens is 1, but without events there is no instant to give */
	assert_int_equal(in->n_reopens, 0);
	assert_int_equal(in->n_slas, 2);
	assert_sla(&in->slas[0], "first_reply_time", "response", TIME_NONE, MX_SCHEDULE_24X7,
		   "2025-02-27T11:26:00Z", "2025-02-27T11:56:00Z", "2025-02-27T11:40:00Z",
		   TIME_NONE, "completed", false);
	assert_sla(&in->slas[1], "requester_wait_time", "resolution", TIME_NONE, MX_SCHEDULE_24X7,
		   NULL, "2025-02-27T19:00:00Z", "2025-02-27T15:45:00Z", TIME_NONE, "completed",
		   false);
	assert_false(in->sla.present);
	in = ticket(&page, "4805");
	assert_sla(&in->slas[0], "first_reply_time", "response", TIME_NONE, MX_SCHEDULE_24X7,
		   "2025-03-03T08:05:00Z", "2025-03-03T09:05:00Z", NULL, TIME_NONE, "in_progress",
		   true);
	source_page_release(&page);
}

#define TICKET(fields)                                                                     \
	"{\"tickets\":[{\"id\":77,\"created_at\":\"2025-03-01T10:00:00Z\",\"updated_at\":" \
	"\"2025-03-02T10:00:00Z\"," fields "}],\"end_of_stream\":true,\"after_cursor\":\"c\""
#define METRICS(id, fields) ",\"metric_sets\":[{\"ticket_id\":" #id "," fields "}]}"

/* Closed: closed at status_updated_at; a reopened ticket that is open is not resolved. */
static void
source_zendesk__status_decides_resolution(void **state)
{
	struct source_page page;
	const struct store_incident *in;

	(void)state;
	assert_int_equal(parse_body(TICKET("\"status\":\"closed\",\"priority\":null") METRICS(
					    77, "\"reply_time_in_minutes\":{\"calendar\":"
						"20,\"business\":0},\"solved_at\":\"2025-03-"
						"01T12:00:00Z\",\"status_updated_at\":\"2025-"
						"03-05T12:00:00Z\",\"updated_at\":\"2025-03-"
						"05T12:00:00Z\""),
				    &page),
			 SUCCESS);
	in = &page.incidents[0];
	assert_null(in->severity);
	assert_string_equal(in->title, "Zendesk ticket #77");
	assert_int_equal(in->acknowledged_at, ts("2025-03-01T10:20:00Z"));
	assert_int_equal(in->resolved_at, ts("2025-03-01T12:00:00Z"));
	assert_int_equal(in->closed_at, ts("2025-03-05T12:00:00Z"));
	/* the metric record's updated_at is newer than the ticket's */
	assert_int_equal(in->updated_at, ts("2025-03-05T12:00:00Z"));
	assert_int_equal(in->n_slas, 0);
	assert_string_equal(page.cursor, "c");
	source_page_release(&page);

	/* A metric_set inside the ticket (as search sideloads it) counts too. */
	assert_int_equal(parse_body(TICKET("\"status\":\"open\",\"metric_set\":{\"reopens\":1,"
					   "\"solved_at\":\"2025-03-01T12:00:00Z\","
					   "\"reply_time_in_minutes\":{\"calendar\":5}}") "}",
				    &page),
			 SUCCESS);
	in = &page.incidents[0];
	assert_int_equal(in->acknowledged_at, ts("2025-03-01T10:05:00Z"));
	assert_int_equal(in->resolved_at, TIME_NONE);
	assert_int_equal(in->closed_at, TIME_NONE);
	source_page_release(&page);
}

/* Accounts that keep one clock through a reopen: the gap counts as paused. */
static void
source_zendesk__one_clock_through_a_reopen(void **state)
{
	static const char body[] =
		TICKET("\"status\":\"solved\",\"metric_events\":{\"requester_wait_time\":["
		       "{\"type\":\"activate\",\"time\":\"2025-03-03T10:00:00Z\"},"
		       "{\"type\":\"apply_sla\",\"time\":\"2025-03-03T10:00:00Z\",\"sla\":"
		       "{\"target\":120,\"business_hours\":false,\"policy\":{\"title\":\"Gold\"}}},"
		       "{\"type\":\"pause\",\"time\":\"2025-03-03T10:30:00Z\"},"
		       "{\"type\":\"activate\",\"time\":\"2025-03-03T11:00:00Z\"},"
		       "{\"type\":\"fulfill\",\"time\":\"2025-03-03T11:30:00Z\"},"
		       "{\"type\":\"activate\",\"time\":\"2025-03-03T12:00:00Z\"},"
		       "{\"type\":\"fulfill\",\"time\":\"2025-03-03T12:45:00Z\"}]}") "}";
	struct source_page page;
	const struct store_incident *in;

	(void)state;
	assert_int_equal(parse_body(body, &page), SUCCESS);
	in = &page.incidents[0];
	/* without resolution_time, requester_wait_time tells the solves */
	assert_int_equal(in->n_reopens, 1);
	assert_int_equal(in->reopens[0].resolved_at, ts("2025-03-03T11:30:00Z"));
	assert_int_equal(in->reopens[0].reopened_at, ts("2025-03-03T12:00:00Z"));
	assert_int_equal(in->n_slas, 1);
	/* 165 minutes, 60 of them paused: 105 of 120, met */
	assert_sla(&in->slas[0], "Gold: requester_wait_time", "resolution", 7200, MX_SCHEDULE_24X7,
		   "2025-03-03T10:00:00Z", NULL, "2025-03-03T12:45:00Z", 3600, "completed", false);
	assert_int_equal(in->sla.n_pauses, 2);
	assert_int_equal(in->sla.pauses[1].start, ts("2025-03-03T11:30:00Z"));
	assert_int_equal(in->sla.pauses[1].end, ts("2025-03-03T12:00:00Z"));
	source_page_release(&page);
}

/* A tag service:NAME or service_NAME names the service; text is kept as it came. */
static void
source_zendesk__service_tags_and_untrusted_text(void **state)
{
	struct source_page page;
	const struct store_incident *in;

	(void)state;
	assert_int_equal(parse_body(TICKET("\"status\":\"open\",\"subject\":\"Late\\u001b[2J "
					   "orders\",\"tags\":[\"vip\",\"service:checkout\"],"
					   "\"custom_fields\":[{\"id\":" ALERT_FIELD
					   ",\"value\":4711}]") "}",
				    &page),
			 SUCCESS);
	in = &page.incidents[0];
	assert_string_equal(in->services[0], "checkout");
	assert_string_equal(in->title, "Late\x1b[2J orders");
	/* a numeric field value is the incident id as text */
	assert_string_equal(in->parent_id, "4711");
	source_page_release(&page);
}

/*
 * The plan
 */

static void
source_zendesk__plan_asks_from_the_cursor(void **state)
{
	static const struct {
		const char *base, *cursor, *url;
	} cases[] = {
		/* the first round: 30 days back */
		{ BASE, NULL, EXPORT "?start_time=1738404000" SIDELOADS },
		{ BASE "/", "", EXPORT "?start_time=1738404000" SIDELOADS },
		{ BASE, AFTER, AFTER_URL },
		{ "http://127.0.0.1:8080/zendesk", "a+b/c",
		  "http://127.0.0.1:8080/zendesk/api/v2/incremental/tickets/cursor.json?"
		  "cursor=a%2Bb%2Fc" SIDELOADS },
	};
	struct source_request *reqs;
	struct test_source t;
	struct source_ctx ctx;
	size_t n;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		reqs = NULL;
		n = 0;
		source_init(&t, cases[i].base, false);
		ctx = ctx_for(&t, cases[i].cursor);
		assert_int_equal(ops()->plan(&ctx, &reqs, &n), SUCCESS);
		assert_int_equal(n, 1);
		assert_string_equal(reqs[0].stream, "tickets");
		assert_string_equal(reqs[0].method, "GET");
		assert_string_equal(reqs[0].url, cases[i].url);
		assert_null(reqs[0].body);
		assert_int_equal(reqs[0].n_headers, 1);
		assert_string_equal(reqs[0].headers[0].name, "Authorization");
		assert_string_equal(reqs[0].headers[0].value, BASIC);
		source_requests_free(reqs, n);
		source_release(&t);
	}
}

static void
source_zendesk__plan_auth_schemes(void **state)
{
	struct source_request *reqs = NULL;
	struct test_source t;
	struct source_ctx ctx;
	size_t n = 0;

	(void)state;
	/* an email written with its /token suffix gets no second one */
	test_source_init(&t, "zd", "zendesk", BASE, NULL);
	add_value(&t, "email", "agent@acme.example/token");
	ctx = ctx_for(&t, NULL);
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), SUCCESS);
	assert_string_equal(reqs[0].headers[0].value, BASIC);
	source_requests_free(reqs, n);
	source_release(&t);

	/* an OAuth access token is a bearer token, and needs no email */
	reqs = NULL;
	n = 0;
	test_source_init(&t, "zd", "zendesk", BASE, NULL);
	add_value(&t, "auth", "oauth");
	ctx = ctx_for(&t, NULL);
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), SUCCESS);
	assert_string_equal(reqs[0].headers[0].value, "Bearer t0ken");
	source_requests_free(reqs, n);
	source_release(&t);
}

static void
source_zendesk__plan_needs_url_token_and_email(void **state)
{
	struct source_request *reqs = NULL;
	struct test_source t;
	struct source_ctx ctx;
	size_t n = 0;

	(void)state;
	source_init(&t, NULL, false);
	ctx = ctx_for(&t, NULL);
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), ERROR_CUSTOM_MESSAGE);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "zendesk zd: no url"));
	source_release(&t);

	source_init(&t, BASE, false);
	ctx = ctx_for(&t, NULL);
	ctx.secret = NULL;
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), ERROR_CUSTOM_MESSAGE);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "zendesk zd: no token"));
	source_release(&t);

	test_source_init(&t, "zd", "zendesk", BASE, NULL);
	ctx = ctx_for(&t, NULL);
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), ERROR_CUSTOM_MESSAGE);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "zendesk zd: no email"));
	assert_int_equal(n, 0);
	assert_null(reqs);
	source_release(&t);
}

/*
 * Bad responses
 */

struct bad_case {
	const char *why;
	long status;
	const char *body;
	const char *expect;
};

static void
check_bad(const struct bad_case *c)
{
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;
	enum status_code code;
	const char *msg, *p;

	source_init(&t, BASE, true);
	ctx = ctx_for(&t, NULL);
	if (c->body && strncmp(c->body, "file:", 5) == 0)
		response_file(&resp, c->status, c->body + 5);
	else
		response_text(&resp, c->status, c->body);
	if (c->status == 429)
		response_header(&resp, "Retry-After", "60");
	if (c->status == 0)
		snprintf(resp.error, sizeof(resp.error), "Connection refused");
	code = parse_resp(&ctx, &resp, &page);
	msg = status_message(code);
	if (code == SUCCESS || !strstr(msg, c->expect))
		fail_msg("%s: got \"%s\", want an error with \"%s\"", c->why, msg, c->expect);
	for (p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fail_msg("%s: control character in \"%s\"", c->why, msg);
	if (strstr(msg, "t0ken") || strstr(msg, "YWdlbnRAYWNtZS5leGFtcGxl"))
		fail_msg("%s: the credentials in \"%s\"", c->why, msg);
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

#define T_HEAD                                                                               \
	"{\"end_of_stream\":true,\"tickets\":[{\"id\":5,\"status\":\"open\",\"created_at\":" \
	"\"2025-03-01T10:00:00Z\",\"updated_at\":\"2025-03-01T10:00:00Z\""
#define T_TAIL "}]}"
#define EVENTS(x) ",\"metric_events\":{\"reply_time\":[" x "]}"

static void
source_zendesk__bad_responses_name_the_problem(void **state)
{
	static const struct bad_case cases[] = {
		{ "401", 401, "{\"error\":\"Couldn't authenticate you\"}",
		  "zendesk tickets: HTTP 401: Couldn't authenticate you (the credentials were "
		  "refused: check email and token" },
		{ "403 with an error object", 403,
		  "{\"error\":{\"title\":\"Forbidden\",\"message\":\"You do not have access to "
		  "this page\"}}",
		  "zendesk tickets: HTTP 403: Forbidden: You do not have access to this page (the "
		  "user may not export tickets: the incremental export needs an admin)" },
		{ "404", 404, "{\"error\":\"RecordNotFound\",\"description\":\"Not found\"}",
		  "HTTP 404: RecordNotFound: Not found (no Zendesk API at this url" },
		{ "429 in plain text", 429, "Too Many Requests\n",
		  "zendesk tickets: HTTP 429: Too Many Requests (rate limited: the ticket export "
		  "allows 10 requests a minute; the next round goes on from the cursor; "
		  "Retry-After 60)" },
		{ "400, a refused cursor", 400, "file:zendesk/error-400-invalid-cursor.json",
		  "HTTP 400: InvalidPaginationParameter: cursor is invalid (the export refused "
		  "its cursor or start time)" },
		{ "503 from a proxy, escape sequence stripped", 503,
		  "<html>Unavailable\x1b[31m</html>",
		  "HTTP 503: <html>Unavailable</html> (a Zendesk server error)" },
		{ "no response", 0, NULL, "zendesk tickets: no response: Connection refused" },
		{ "not JSON", 200, "<html>oops</html>",
		  "zendesk tickets: the response is not JSON" },
		{ "empty body", 200, "", "zendesk tickets: empty response body" },
		{ "a list", 200, "[]", "zendesk tickets: the response is not a JSON object" },
		{ "no tickets", 200, "{\"end_of_stream\":true}",
		  "zendesk tickets: the response has no tickets array" },
		{ "no end_of_stream", 200, "{\"tickets\":[]}",
		  "zendesk tickets: end_of_stream is missing or not a boolean" },
		{ "end_of_stream a string", 200, "{\"tickets\":[],\"end_of_stream\":\"false\"}",
		  "end_of_stream is missing or not a boolean" },
		{ "more, but no cursor", 200, "{\"tickets\":[],\"end_of_stream\":false}",
		  "end_of_stream is false, but there is no after_cursor to go on from" },
		{ "after_cursor a number", 200,
		  "{\"tickets\":[],\"end_of_stream\":false,\"after_cursor\":5}",
		  "after_cursor is not a string" },
		{ "users an object", 200, "{\"tickets\":[],\"end_of_stream\":true,\"users\":{}}",
		  "zendesk tickets: users is not an array" },
		{ "a metric set without ticket_id", 200,
		  "{\"tickets\":[],\"end_of_stream\":true,\"metric_sets\":[{\"id\":1}]}",
		  "zendesk tickets: metric_sets 0: ticket_id is missing or not a number" },
		{ "a ticket that is a number", 200, "{\"tickets\":[5],\"end_of_stream\":true}",
		  "zendesk tickets: ticket 0: the ticket is not an object" },
		{ "id a string", 200,
		  "{\"tickets\":[{\"id\":\"5\",\"status\":\"open\"}],\"end_of_stream\":true}",
		  "zendesk tickets: ticket 0: id is missing or not a positive number" },
		{ "status unknown (quoted, sanitized)", 200,
		  "{\"tickets\":[{\"id\":5,\"status\":\"gone\\u009b5m\"}],\"end_of_stream\":true}",
		  "ticket 0 (#5): status \"gone\" is none of new, open, pending, hold, solved, "
		  "closed, deleted" },
		{ "no created_at", 200,
		  "{\"tickets\":[{\"id\":5,\"status\":\"open\",\"updated_at\":\"2025-03-01T10:00:"
		  "00Z\"}],\"end_of_stream\":true}",
		  "ticket 0 (#5): created_at is missing" },
		{ "updated_at in epoch seconds", 200,
		  "{\"tickets\":[{\"id\":5,\"status\":\"open\",\"updated_at\":1740823200}],"
		  "\"end_of_stream\":true}",
		  "ticket 0 (#5): updated_at is not a string" },
		{ "created_at not a timestamp", 200,
		  "{\"tickets\":[{\"id\":5,\"status\":\"open\",\"updated_at\":\"2025-03-01T10:00:"
		  "00Z\",\"created_at\":\"yesterday\"}],\"end_of_stream\":true}",
		  "ticket 0 (#5): created_at \"yesterday\" is not a timestamp" },
		{ "subject a number", 200, T_HEAD ",\"subject\":5" T_TAIL,
		  "ticket 0 (#5): subject is not a string" },
		{ "priority a boolean", 200, T_HEAD ",\"priority\":true" T_TAIL,
		  "ticket 0 (#5): priority is not a string" },
		{ "assignee_id a string", 200, T_HEAD ",\"assignee_id\":\"361\"" T_TAIL,
		  "ticket 0 (#5): assignee_id is not a number" },
		{ "generated_timestamp a string", 200,
		  T_HEAD ",\"generated_timestamp\":\"1\"" T_TAIL,
		  "ticket 0 (#5): generated_timestamp is not a number" },
		{ "tags a string", 200, T_HEAD ",\"tags\":\"a b\"" T_TAIL,
		  "ticket 0 (#5): tags is not an array" },
		{ "a tag that is a number", 200, T_HEAD ",\"tags\":[1]" T_TAIL,
		  "ticket 0 (#5): tags holds a non-string" },
		{ "custom_fields an object", 200, T_HEAD ",\"custom_fields\":{}" T_TAIL,
		  "ticket 0 (#5): custom_fields is not an array" },
		{ "a field without an id", 200, T_HEAD ",\"custom_fields\":[{\"value\":1}]" T_TAIL,
		  "ticket 0 (#5): custom_fields holds a field without a numeric id" },
		{ "reply minutes a string", 200,
		  "{\"end_of_stream\":true,\"metric_sets\":[{\"ticket_id\":5,\"reply_time_in_"
		  "minutes\":{\"calendar\":\"14\"}}],\"tickets\":[{\"id\":5,\"status\":\"open\","
		  "\"created_at\":\"2025-03-01T10:00:00Z\",\"updated_at\":\"2025-03-01T10:00:00Z\""
		  "}]}",
		  "ticket 0 (#5): metric_set.reply_time_in_minutes is not a number of minutes" },
		{ "solved_at a number", 200,
		  "{\"end_of_stream\":true,\"metric_sets\":[{\"ticket_id\":5,\"solved_at\":5}],"
		  "\"tickets\":[{\"id\":5,\"status\":\"solved\",\"created_at\":\"2025-03-01T10:00:"
		  "00Z\",\"updated_at\":\"2025-03-01T10:00:00Z\"}]}",
		  "ticket 0 (#5): metric_set.solved_at is not a string" },
		{ "slas a list", 200, T_HEAD ",\"slas\":[]" T_TAIL,
		  "ticket 0 (#5): slas is not an object" },
		{ "a policy metric without metric", 200,
		  T_HEAD ",\"slas\":{\"policy_metrics\":[{\"stage\":\"active\"}]}" T_TAIL,
		  "ticket 0 (#5): slas.policy_metrics holds an entry without metric" },
		{ "breach_at not a timestamp", 200,
		  T_HEAD ",\"slas\":{\"policy_metrics\":[{\"metric\":\"first_reply_time\","
			 "\"breach_at\":\"later\"}]}" T_TAIL,
		  "ticket 0 (#5): slas.policy_metrics breach_at \"later\" is not a timestamp" },
		{ "metric_events a string", 200, T_HEAD ",\"metric_events\":\"x\"" T_TAIL,
		  "ticket 0 (#5): metric_events is neither an object nor an array" },
		{ "an event without time", 200,
		  T_HEAD EVENTS("{\"type\":\"activate\",\"instance_id\":1}") T_TAIL,
		  "ticket 0 (#5): metric_events time is missing" },
		{ "an event without type", 200,
		  T_HEAD EVENTS("{\"time\":\"2025-03-01T10:00:00Z\"}") T_TAIL,
		  "ticket 0 (#5): metric_events holds an event without a type" },
		{ "instance_id a string", 200,
		  T_HEAD EVENTS("{\"type\":\"activate\",\"instance_id\":\"1\",\"time\":\"2025-03-"
				"01T10:00:00Z\"}") T_TAIL,
		  "ticket 0 (#5): metric_events holds an instance_id that is not a number" },
		{ "apply_sla without sla", 200,
		  T_HEAD EVENTS("{\"type\":\"apply_sla\",\"time\":\"2025-03-01T10:00:00Z\"}")
			  T_TAIL,
		  "ticket 0 (#5): metric_events apply_sla has no sla object" },
		{ "an SLA target in hours text", 200,
		  T_HEAD EVENTS("{\"type\":\"apply_sla\",\"time\":\"2025-03-01T10:00:00Z\","
				"\"sla\":{\"target\":\"1h\"}}") T_TAIL,
		  "ticket 0 (#5): metric_events sla.target is not a number of minutes" },
		{ "deleted a string", 200,
		  T_HEAD EVENTS("{\"type\":\"breach\",\"time\":\"2025-03-01T10:00:00Z\","
				"\"deleted\":\"false\"}") T_TAIL,
		  "ticket 0 (#5): metric_events deleted is not a boolean" },
		{ "the second ticket is bad", 200, T_HEAD "},{\"id\":6}]}",
		  "ticket 1 (#6): status is missing or not a string" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_bad(&cases[i]);
}

static void
source_zendesk__unknown_stream_is_an_error(void **state)
{
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;
	struct source_request req = { 0 };

	(void)state;
	source_init(&t, BASE, false);
	ctx = ctx_for(&t, NULL);
	response_text(&resp, 200, "{\"tickets\":[],\"end_of_stream\":true}");
	req.stream = xstrdup("users");
	req.method = xstrdup("GET");
	req.url = xstrdup(EXPORT);
	source_page_init(&page);
	assert_int_equal(ops()->parse(&ctx, &req, &resp, &page), ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "zendesk users: not a stream of this source");
	source_request_release(&req);
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(source_zendesk__reopened_ticket_with_its_slas),
		cmocka_unit_test(source_zendesk__pending_ticket_pauses_its_wait),
		cmocka_unit_test(source_zendesk__unanswered_ticket_breaches_first_reply),
		cmocka_unit_test(source_zendesk__deleted_ticket_is_closed),
		cmocka_unit_test(source_zendesk__page_follows_after_cursor),
		cmocka_unit_test(source_zendesk__sideload_alone_without_events),
		cmocka_unit_test(source_zendesk__status_decides_resolution),
		cmocka_unit_test(source_zendesk__one_clock_through_a_reopen),
		cmocka_unit_test(source_zendesk__service_tags_and_untrusted_text),
		cmocka_unit_test(source_zendesk__plan_asks_from_the_cursor),
		cmocka_unit_test(source_zendesk__plan_auth_schemes),
		cmocka_unit_test(source_zendesk__plan_needs_url_token_and_email),
		cmocka_unit_test(source_zendesk__bad_responses_name_the_problem),
		cmocka_unit_test(source_zendesk__unknown_stream_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
