/* test_source_opsgenie.c - the Opsgenie source: the docs' list example and a real
 * alert object (tests/fixtures/opsgenie) and payloads of the same shape parsed into
 * exact incidents and events, with milestones computed in milliseconds before they
 * are cut to seconds; pages and the cursor; the request a round plans; and a table
 * of bad responses, each with the error it must give. Nothing here opens a socket:
 * responses are handed to ops->parse as the engine would. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#include "source_support.h"

#include "sitrep/config.h"
#include "support.h"

/* 2025-03-03T10:00:00Z: the round's clock; the parser does not depend on it. */
#define NOW 1740996000

#define BASE "https://api.opsgenie.com"
#define FIRST_URL \
	BASE "/v2/alerts?query=updatedAt%3E%3D0&offset=0&limit=100&sort=updatedAt&order=asc"
#define DOCS_ID "70413a06-38d6-4c85-92b8-5ebc900d42e2"

/*
 * Fixtures and helpers
 */

/* A [source "og"] section as config_load would leave it. */
static void
source_init(struct test_source *t, const char *url, const char *service)
{
	test_source_init(t, "og", "opsgenie", url, service);
}

/* The engine's stored cursor of the one stream. */
static const char *
cursor_of(void *engine, const char *stream)
{
	return streq(stream, "alerts") ? engine : NULL;
}

static struct source_ctx
ctx_for(const struct test_source *t, const char *cursor)
{
	struct source_ctx ctx = { 0 };

	ctx.name = "og";
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
	return test_ops("opsgenie");
}

/* Parses resp as the answer to url (which carries the page's offset and limit). */
static enum status_code
parse_url(const struct source_ctx *ctx, const char *stream, const char *url,
	  const struct http_response *resp, struct source_page *page)
{
	return test_parse_get("opsgenie", ctx, stream, url, NULL, NULL, resp, page);
}

/* Parses body (a 200) with no cursor, service default "fallback". */
static enum status_code
parse_body(const char *body, struct source_page *page)
{
	struct test_source t;
	struct http_response resp;
	struct source_ctx ctx;
	enum status_code code;

	source_init(&t, BASE, "fallback");
	ctx = ctx_for(&t, NULL);
	response_text(&resp, 200, body);
	code = parse_url(&ctx, "alerts", FIRST_URL, &resp, page);
	response_release(&resp);
	source_release(&t);
	return code;
}

/* {"data": [ALERTS], "took": 0.1, "requestId": "r"}; ALERTS is a JSON text. */
static char *
envelope(const char *alerts)
{
	return xasprintf("{\"data\":[%s],\"took\":0.1,\"requestId\":\"r\"}", alerts);
}

static void
assert_event(const struct source_event *ev, const char *id, const char *kind, int64_t at,
	     const char *actor)
{
	assert_string_equal(ev->incident_id, id);
	assert_string_equal(ev->kind, kind);
	assert_int_equal(ev->at, at);
	if (actor)
		assert_string_equal(ev->actor, actor);
	else
		assert_null(ev->actor);
}

/*
 * Alerts
 */

/* The docs' example: a closed alert with a report (and "acknowledged": false, which
 * must not hide its ack), and an open one without a report. */
static void
source_opsgenie__docs_list_example(void **state)
{
	char *body = fixture_text("opsgenie/list-alerts-docs-example.json", NULL);
	const struct store_incident *inc;
	struct source_page page;

	(void)state;
	assert_int_equal(parse_body(body, &page), SUCCESS);
	assert_false(page.snapshot);
	assert_int_equal(page.n_incidents, 2);
	assert_int_equal(page.n_samples, 0);

	inc = &page.incidents[0];
	assert_string_equal(inc->source, "og");
	assert_string_equal(inc->source_id, DOCS_ID);
	/* Tags OverwriteQuietHours and Critical name no service: the configured one. */
	assert_int_equal(inc->n_services, 1);
	assert_string_equal(inc->services[0], "fallback");
	assert_string_equal(inc->title, "Our servers are in danger");
	assert_string_equal(inc->severity, "P4");
	assert_int_equal(inc->impact, MX_IMPACT_DEGRADED);
	assert_int_equal(inc->impact_start, TIME_NONE);
	/* createdAt 20:32:52.353 */
	assert_int_equal(inc->detected_at, ts("2017-03-21T20:32:52Z"));
	/* + 15702 ms = 20:33:08.055, not 20:33:07 (52 s + 15 s) */
	assert_int_equal(inc->acknowledged_at, ts("2017-03-21T20:33:08Z"));
	assert_int_equal(inc->contained_at, TIME_NONE);
	/* + 60503 ms = 20:33:52.856 */
	assert_int_equal(inc->resolved_at, ts("2017-03-21T20:33:52Z"));
	assert_int_equal(inc->closed_at, ts("2017-03-21T20:33:52Z"));
	assert_int_equal(inc->updated_at, ts("2017-04-03T20:32:57Z"));
	assert_null(inc->url);
	assert_non_null(strstr(inc->raw_json, "\"tinyId\":\"1791\""));

	inc = &page.incidents[1];
	assert_string_equal(inc->title, "Sample Message");
	assert_string_equal(inc->severity, "P5");
	assert_int_equal(inc->detected_at, ts("2017-03-21T20:32:52Z"));
	assert_int_equal(inc->acknowledged_at, TIME_NONE);
	assert_int_equal(inc->resolved_at, TIME_NONE);
	assert_int_equal(inc->closed_at, TIME_NONE);

	assert_int_equal(page.n_events, 4);
	assert_event(&page.events[0], DOCS_ID, "trigger", ts("2017-03-21T20:32:52Z"), NULL);
	assert_event(&page.events[1], DOCS_ID, "ack", ts("2017-03-21T20:33:08Z"),
		     "agent_smith@opsgenie.com");
	assert_event(&page.events[2], DOCS_ID, "resolve", ts("2017-03-21T20:33:52Z"),
		     "neo@opsgenie.com");
	assert_event(&page.events[3], DOCS_ID, "trigger", ts("2017-03-21T20:32:52Z"), NULL);

	/* The newest updatedAt, to the millisecond. */
	assert_string_equal(page.cursor, "1491251577301");
	/* Two alerts asked a hundred: the last page, whatever paging.next says. */
	assert_null(page.next);
	source_page_release(&page);
	free(body);
}

/* A list item from a real account: never acked nor closed, so no report at all. */
static void
source_opsgenie__alert_without_report_is_open_and_unacked(void **state)
{
	char *item = fixture_text("opsgenie/alert-object-unacked-no-report.json", NULL);
	char *body = envelope(item);
	const struct store_incident *inc;
	struct source_page page;

	(void)state;
	assert_int_equal(parse_body(body, &page), SUCCESS);
	assert_int_equal(page.n_incidents, 1);
	inc = &page.incidents[0];
	assert_string_equal(inc->source_id, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeee0061-1724857097467");
	assert_string_equal(inc->title, "Example alert");
	assert_string_equal(inc->severity, "P3");
	assert_int_equal(inc->impact, MX_IMPACT_DEGRADED);
	assert_int_equal(inc->detected_at, ts("2024-08-28T14:58:17Z"));
	assert_int_equal(inc->acknowledged_at, TIME_NONE);
	assert_int_equal(inc->resolved_at, TIME_NONE);
	assert_int_equal(inc->updated_at, ts("2024-08-28T14:58:59Z"));
	assert_int_equal(page.n_events, 1);
	assert_string_equal(page.events[0].kind, "trigger");
	assert_string_equal(page.cursor, "1724857139285");
	source_page_release(&page);
	free(body);
	free(item);
}

/* Milestones are createdAt plus elapsed milliseconds, rounded down once at the end,
 * whatever the number of fraction digits (none, two, nine) or the zone. */
static void
source_opsgenie__milestones_add_milliseconds_before_rounding(void **state)
{
	static const struct {
		const char *created;
		long long ack, close;
		const char *detected, *acked, *resolved;
	} cases[] = {
		/* .999 + 1 ms crosses the second: 08:00:01, not 08:00:00 */
		{ "2025-03-03T08:00:00.999Z", 1, 59001, "2025-03-03T08:00:00Z",
		  "2025-03-03T08:00:01Z", "2025-03-03T08:01:00Z" },
		/* ".17" is 170 ms */
		{ "2025-03-03T08:00:10.17Z", 830, 829, "2025-03-03T08:00:10Z",
		  "2025-03-03T08:00:11Z", "2025-03-03T08:00:10Z" },
		/* no fraction: 999 ms stay in the same second */
		{ "2025-03-03T08:00:00Z", 999, 3600000, "2025-03-03T08:00:00Z",
		  "2025-03-03T08:00:00Z", "2025-03-03T09:00:00Z" },
		/* nine digits: only the first three count */
		{ "2025-03-03T08:00:00.123456789Z", 877, 876, "2025-03-03T08:00:00Z",
		  "2025-03-03T08:00:01Z", "2025-03-03T08:00:00Z" },
		/* an offset: 10:00:00.500+02:00 is 08:00:00.500Z */
		{ "2025-03-03T10:00:00.500+02:00", 500, 499, "2025-03-03T08:00:00Z",
		  "2025-03-03T08:00:01Z", "2025-03-03T08:00:00Z" },
		/* acked and closed at once */
		{ "2025-03-03T08:00:00.000Z", 0, 0, "2025-03-03T08:00:00Z", "2025-03-03T08:00:00Z",
		  "2025-03-03T08:00:00Z" },
	};
	struct source_page page;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *alert =
			xasprintf("{\"id\":\"a%zu\",\"message\":\"m\",\"status\":\"closed\","
				  "\"createdAt\":\"%s\",\"updatedAt\":\"2025-03-04T00:00:00Z\","
				  "\"report\":{\"ackTime\":%lld,\"closeTime\":%lld}}",
				  i, cases[i].created, cases[i].ack, cases[i].close);
		char *body = envelope(alert);

		assert_int_equal(parse_body(body, &page), SUCCESS);
		assert_int_equal(page.incidents[0].detected_at, ts(cases[i].detected));
		assert_int_equal(page.incidents[0].acknowledged_at, ts(cases[i].acked));
		assert_int_equal(page.incidents[0].resolved_at, ts(cases[i].resolved));
		assert_int_equal(page.events[1].at, ts(cases[i].acked));
		assert_int_equal(page.events[2].at, ts(cases[i].resolved));
		/* No actors in the report: the events name none. */
		assert_null(page.events[1].actor);
		source_page_release(&page);
		free(body);
		free(alert);
	}
}

/* The status decides whether an alert is resolved: a closed one lacking closeTime
 * closed at its last update at the latest; an open one's closeTime is ignored. A
 * report with only a close (auto-closed, never acked) gives no ack. */
static void
source_opsgenie__status_decides_resolution(void **state)
{
	static const char alerts[] =
		"{\"id\":\"a\",\"status\":\"closed\",\"createdAt\":\"2025-03-03T08:00:00Z\","
		"\"updatedAt\":\"2025-03-03T08:30:00.250Z\"},"
		"{\"id\":\"b\",\"status\":\"open\",\"createdAt\":\"2025-03-03T08:00:00Z\","
		"\"updatedAt\":\"2025-03-03T08:30:00Z\",\"report\":{\"closeTime\":60000}},"
		"{\"id\":\"c\",\"status\":\"closed\",\"createdAt\":\"2025-03-03T08:00:00Z\","
		"\"report\":{\"closeTime\":60000,\"closedBy\":\"Prometheus\"}}";
	char *body = envelope(alerts);
	struct source_page page;

	(void)state;
	assert_int_equal(parse_body(body, &page), SUCCESS);
	assert_int_equal(page.n_incidents, 3);
	assert_int_equal(page.incidents[0].resolved_at, ts("2025-03-03T08:30:00Z"));
	/* No message: the id is the title. */
	assert_string_equal(page.incidents[0].title, "a");
	assert_null(page.incidents[0].severity);
	assert_int_equal(page.incidents[1].resolved_at, TIME_NONE);
	assert_int_equal(page.incidents[1].acknowledged_at, TIME_NONE);
	assert_int_equal(page.incidents[2].acknowledged_at, TIME_NONE);
	assert_int_equal(page.incidents[2].resolved_at, ts("2025-03-03T08:01:00Z"));
	/* No updatedAt: as new as its creation. */
	assert_int_equal(page.incidents[2].updated_at, ts("2025-03-03T08:00:00Z"));
	assert_int_equal(page.n_events, 5);
	assert_event(&page.events[1], "a", "resolve", ts("2025-03-03T08:30:00Z"), NULL);
	assert_event(&page.events[2], "b", "trigger", ts("2025-03-03T08:00:00Z"), NULL);
	assert_event(&page.events[4], "c", "resolve", ts("2025-03-03T08:01:00Z"), "Prometheus");
	assert_string_equal(page.cursor, "1740990600250");
	source_page_release(&page);
	free(body);
}

/* service: the first "service:X" tag, else entity, else the configured service. */
static void
source_opsgenie__service_from_tag_entity_or_config(void **state)
{
	static const char alerts[] =
		"{\"id\":\"a\",\"status\":\"open\",\"createdAt\":\"2025-03-03T08:00:00Z\","
		"\"tags\":[\"env:prod\",\"service:payments\",\"service:search\"],"
		"\"entity\":\"checkout\"},"
		"{\"id\":\"b\",\"status\":\"open\",\"createdAt\":\"2025-03-03T08:00:00Z\","
		"\"tags\":[\"service:\"],\"entity\":\"checkout\"},"
		"{\"id\":\"c\",\"status\":\"open\",\"createdAt\":\"2025-03-03T08:00:00Z\","
		"\"tags\":null,\"entity\":\"\"},"
		"{\"id\":\"d\",\"status\":\"open\",\"createdAt\":\"2025-03-03T08:00:00Z\"}";
	char *body = envelope(alerts);
	struct source_page page;

	(void)state;
	assert_int_equal(parse_body(body, &page), SUCCESS);
	assert_string_equal(page.incidents[0].services[0], "payments");
	assert_string_equal(page.incidents[1].services[0], "checkout");
	assert_string_equal(page.incidents[2].services[0], "fallback");
	assert_string_equal(page.incidents[3].services[0], "fallback");
	source_page_release(&page);
	free(body);
}

/* Priorities stay as they are; P1 and P2 are outages, the rest degradations; what
 * is not P1..P5 is no severity. */
static void
source_opsgenie__priority_is_severity_and_impact(void **state)
{
	static const struct {
		const char *priority;
		const char *severity;
		enum mx_impact impact;
	} cases[] = {
		{ "\"P1\"", "P1", MX_IMPACT_OUTAGE },	{ "\"P2\"", "P2", MX_IMPACT_OUTAGE },
		{ "\"P3\"", "P3", MX_IMPACT_DEGRADED }, { "\"P4\"", "P4", MX_IMPACT_DEGRADED },
		{ "\"P5\"", "P5", MX_IMPACT_DEGRADED }, { "\"p1\"", NULL, MX_IMPACT_DEGRADED },
		{ "\"P9\"", NULL, MX_IMPACT_DEGRADED }, { "null", NULL, MX_IMPACT_DEGRADED },
	};
	struct source_page page;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *alert = xasprintf("{\"id\":\"a\",\"status\":\"open\",\"priority\":%s,"
					"\"createdAt\":\"2025-03-03T08:00:00Z\"}",
					cases[i].priority);
		char *body = envelope(alert);

		assert_int_equal(parse_body(body, &page), SUCCESS);
		if (cases[i].severity)
			assert_string_equal(page.incidents[0].severity, cases[i].severity);
		else
			assert_null(page.incidents[0].severity);
		assert_int_equal(page.incidents[0].impact, cases[i].impact);
		source_page_release(&page);
		free(body);
		free(alert);
	}
}

/* Records keep upstream text as it came: sanitizing is the display's job. */
static void
source_opsgenie__untrusted_title_is_kept_unchanged(void **state)
{
	static const char alert[] =
		"{\"id\":\"a\",\"status\":\"open\",\"createdAt\":\"2025-03-03T08:00:00Z\","
		"\"message\":\"backlog \\u001b]0;owned\\u0007growing\"}";
	char *body = envelope(alert);
	struct source_page page;

	(void)state;
	assert_int_equal(parse_body(body, &page), SUCCESS);
	assert_string_equal(page.incidents[0].title, "backlog \x1b]0;owned\x07growing");
	source_page_release(&page);
	free(body);
}

/*
 * Pages and the cursor
 */

/* A full page follows paging.next, put on the configured url with the key. */
static void
source_opsgenie__full_page_follows_paging_next(void **state)
{
	static const char *const bases[][2] = {
		{ BASE, BASE "/v2/alerts?query=status%3Aopen&offset=20&limit=10&sort=createdAt"
			     "&order=desc" },
		/* Behind a proxy the next page goes to the proxy, never api.opsgenie.com. */
		{ "https://proxy.example.com/opsgenie/",
		  "https://proxy.example.com/opsgenie/v2/alerts?query=status%3Aopen&offset=20&"
		  "limit=10&sort=createdAt&order=desc" },
	};
	char *body = fixture_text("opsgenie/list-alerts-docs-example.json", NULL);
	struct http_response resp;
	struct source_page page;
	struct test_source t;
	struct source_ctx ctx;

	(void)state;
	response_text(&resp, 200, body);
	for (size_t i = 0; i < ARRAY_SIZE(bases); i++) {
		source_init(&t, bases[i][0], NULL);
		ctx = ctx_for(&t, NULL);
		/* Two alerts are a full page of two. */
		assert_int_equal(parse_url(&ctx, "alerts",
					   BASE "/v2/alerts?query=x&offset=0&limit=2", &resp,
					   &page),
				 SUCCESS);
		assert_non_null(page.next);
		assert_string_equal(page.next->stream, "alerts");
		assert_string_equal(page.next->method, "GET");
		assert_string_equal(page.next->url, bases[i][1]);
		assert_int_equal(page.next->n_headers, 1);
		assert_string_equal(page.next->headers[0].name, "Authorization");
		assert_string_equal(page.next->headers[0].value, "GenieKey t0ken");
		assert_null(page.next->body);
		/* Every page moves the cursor to its newest alert. */
		assert_string_equal(page.cursor, "1491251577301");
		source_page_release(&page);
		source_release(&t);
	}
	response_release(&resp);
	free(body);
}

/* No paging.next in the body: the X-Paging-Next header, as the API also sends it;
 * neither: the last page. An empty page ends the stream and keeps the cursor. */
static void
source_opsgenie__paging_header_and_last_pages(void **state)
{
	static const char alert[] =
		"{\"id\":\"a\",\"status\":\"open\",\"createdAt\":\"2025-03-03T08:00:00Z\"}";
	static const char *const url = BASE "/v2/alerts?query=x&offset=1&limit=1";
	char *body = envelope(alert);
	struct http_response resp;
	struct source_page page;
	struct test_source t;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, BASE, NULL);
	ctx = ctx_for(&t, "1740988800000");
	response_text(&resp, 200, body);
	response_header(&resp, "X-Paging-Next",
			"https://api.opsgenie.com/v2/alerts?query=x&offset=2&limit=1");
	assert_int_equal(parse_url(&ctx, "alerts", url, &resp, &page), SUCCESS);
	assert_non_null(page.next);
	assert_string_equal(page.next->url, BASE "/v2/alerts?query=x&offset=2&limit=1");
	/* updatedAt equal to the cursor: the cursor stays. */
	assert_null(page.cursor);
	source_page_release(&page);
	response_release(&resp);

	response_text(&resp, 200, body);
	assert_int_equal(parse_url(&ctx, "alerts", url, &resp, &page), SUCCESS);
	assert_null(page.next);
	source_page_release(&page);
	response_release(&resp);

	response_text(&resp, 200,
		      "{\"data\":[],\"paging\":{\"next\":\"" BASE
		      "/v2/alerts?offset=3&limit=1\"},\"took\":0,\"requestId\":\"r\"}");
	assert_int_equal(parse_url(&ctx, "alerts", url, &resp, &page), SUCCESS);
	assert_null(page.next);
	assert_null(page.cursor);
	assert_int_equal(page.n_incidents, 0);
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
	free(body);
}

/* The cursor never goes back, even when a server ignores the query. */
static void
source_opsgenie__cursor_only_moves_forward(void **state)
{
	char *body = fixture_text("opsgenie/list-alerts-docs-example.json", NULL);
	struct http_response resp;
	struct source_page page;
	struct test_source t;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, BASE, NULL);
	response_text(&resp, 200, body);
	ctx = ctx_for(&t, "1800000000000");
	assert_int_equal(parse_url(&ctx, "alerts", FIRST_URL, &resp, &page), SUCCESS);
	assert_null(page.cursor);
	assert_int_equal(page.n_incidents, 2);
	source_page_release(&page);
	/* A cursor that is not ours counts as none. */
	ctx = ctx_for(&t, "{}");
	assert_int_equal(parse_url(&ctx, "alerts", FIRST_URL, &resp, &page), SUCCESS);
	assert_string_equal(page.cursor, "1491251577301");
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
	free(body);
}

/* The cursor stays five minutes behind the round's clock, so the next round reads
 * again what offset paging may have skipped or the search index shown late. */
static void
source_opsgenie__cursor_lags_the_clock(void **state)
{
	/* 09:59:00.5, a minute before NOW */
	static const char alert[] =
		"{\"id\":\"a\",\"status\":\"open\",\"createdAt\":\"2025-03-03T09:59:00.5Z\"}";
	char *body = envelope(alert);
	struct http_response resp;
	struct source_page page;
	struct test_source t;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, BASE, NULL);
	response_text(&resp, 200, body);
	ctx = ctx_for(&t, "1740988800000");
	assert_int_equal(parse_url(&ctx, "alerts", FIRST_URL, &resp, &page), SUCCESS);
	/* 09:55:00.000 */
	assert_string_equal(page.cursor, "1740995700000");
	assert_int_equal(page.incidents[0].updated_at, ts("2025-03-03T09:59:00Z"));
	source_page_release(&page);
	/* Already there (or beyond, from a clock that ran ahead): it stays. */
	ctx = ctx_for(&t, "1740995800000");
	assert_int_equal(parse_url(&ctx, "alerts", FIRST_URL, &resp, &page), SUCCESS);
	assert_null(page.cursor);
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
	free(body);
}

/*
 * Plan
 */

static void
source_opsgenie__plan_asks_for_updates_since_the_cursor(void **state)
{
	static const struct {
		const char *base, *cursor, *url;
	} cases[] = {
		{ BASE, NULL, FIRST_URL },
		{ "https://api.eu.opsgenie.com/", "1491251577301",
		  "https://api.eu.opsgenie.com/v2/alerts?query=updatedAt%3E%3D1491251577301&"
		  "offset=0&limit=100&sort=updatedAt&order=asc" },
		{ "http://127.0.0.1:8080/opsgenie", "1740988800000",
		  "http://127.0.0.1:8080/opsgenie/v2/alerts?query=updatedAt%3E%3D1740988800000&"
		  "offset=0&limit=100&sort=updatedAt&order=asc" },
		/* A damaged cursor: everything again rather than nothing. */
		{ BASE, "17409888x", FIRST_URL },
		{ BASE, "", FIRST_URL },
	};
	struct source_request *reqs;
	struct test_source t;
	struct source_ctx ctx;
	size_t n;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		reqs = NULL;
		n = 0;
		source_init(&t, cases[i].base, NULL);
		ctx = ctx_for(&t, cases[i].cursor);
		assert_int_equal(ops()->plan(&ctx, &reqs, &n), SUCCESS);
		assert_int_equal(n, 1);
		assert_string_equal(reqs[0].stream, "alerts");
		assert_string_equal(reqs[0].method, "GET");
		assert_string_equal(reqs[0].url, cases[i].url);
		assert_null(reqs[0].body);
		assert_int_equal(reqs[0].n_headers, 1);
		assert_string_equal(reqs[0].headers[0].name, "Authorization");
		assert_string_equal(reqs[0].headers[0].value, "GenieKey t0ken");
		source_requests_free(reqs, n);
		source_release(&t);
	}
}

static void
source_opsgenie__plan_needs_url_and_token(void **state)
{
	struct source_request *reqs = NULL;
	struct test_source t;
	struct source_ctx ctx;
	size_t n = 0;

	(void)state;
	source_init(&t, NULL, NULL);
	ctx = ctx_for(&t, NULL);
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), ERROR_CUSTOM_MESSAGE);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "opsgenie og: no url"));
	assert_int_equal(n, 0);
	source_release(&t);

	source_init(&t, BASE, NULL);
	ctx = ctx_for(&t, NULL);
	ctx.secret = NULL;
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), ERROR_CUSTOM_MESSAGE);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "opsgenie og: no token"));
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
	struct source_request req = { 0 };
	enum status_code code;
	const char *msg, *p;

	source_init(&t, BASE, NULL);
	ctx = ctx_for(&t, NULL);
	response_text(&resp, c->status, c->body);
	if (c->status == 429)
		response_header(&resp, "X-RateLimit-Reason", "ACCOUNT");
	req.stream = xstrdup("alerts");
	req.method = xstrdup("GET");
	/* A page of one: paging.next is read. */
	req.url = xstrdup(BASE "/v2/alerts?query=x&offset=5&limit=1");
	source_page_init(&page);
	code = ops()->parse(&ctx, &req, &resp, &page);
	msg = status_message(code);
	if (code == SUCCESS || !strstr(msg, c->expect))
		fail_msg("%s: got \"%s\", want an error with \"%s\"", c->why, msg, c->expect);
	for (p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fail_msg("%s: control character in \"%s\"", c->why, msg);
	/* The key never shows in an error. */
	if (strstr(msg, "t0ken"))
		fail_msg("%s: the token in \"%s\"", c->why, msg);
	source_request_release(&req);
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

#define ALERT_HEAD "{\"data\":[{\"id\":\"a\",\"status\":\"open\","
#define GOOD_CREATED "\"createdAt\":\"2025-03-03T08:00:00Z\""
#define ALERT_TAIL "}],\"took\":0.1,\"requestId\":\"r\"}"

static void
source_opsgenie__bad_responses_name_the_problem(void **state)
{
	static const struct bad_case cases[] = {
		{ "401, Opsgenie's envelope", 401,
		  "{\"message\":\"Could not authenticate\",\"took\":0.002,"
		  "\"requestId\":\"3ed4-77\"}",
		  "opsgenie alerts: HTTP 401: Could not authenticate (the API key was refused: "
		  "check the token, and that url is the key's region (api.opsgenie.com or "
		  "api.eu.opsgenie.com)) [requestId 3ed4-77]" },
		{ "403", 403, "{\"message\":\"You are not authorized\",\"took\":0.0}",
		  "opsgenie alerts: HTTP 403: You are not authorized (the API key may not read "
		  "alerts: it needs read access)" },
		{ "429 with its reason header", 429,
		  "{\"message\":\"Request rate limit exceeded\",\"took\":0.0,\"requestId\":\"q\"}",
		  "opsgenie alerts: HTTP 429: Request rate limit exceeded (rate limited by "
		  "Opsgenie: ACCOUNT) [requestId q]" },
		{ "422, a query the API refuses", 422,
		  "{\"message\":\"Invalid query\",\"took\":0.0,\"requestId\":\"v\"}",
		  "opsgenie alerts: HTTP 422: Invalid query [requestId v]" },
		{ "502 from a proxy, escape sequence stripped", 502,
		  "<html>Bad Gateway\x1b[31m</html>",
		  "opsgenie alerts: HTTP 502: <html>Bad Gateway</html> (an Opsgenie server "
		  "error)" },
		{ "503 with no body", 503, "",
		  "opsgenie alerts: HTTP 503: (empty body) (an Opsgenie server error)" },
		{ "a message with control bytes", 400,
		  "{\"message\":\"bad\\u001b]0;x\\u0007 thing\",\"requestId\":\"\\u009b5mz\"}",
		  "opsgenie alerts: HTTP 400: bad thing [requestId z]" },
		{ "no response", 0, NULL, "opsgenie alerts: no response" },
		{ "not JSON", 200, "<html>oops</html>",
		  "opsgenie alerts: the response is not JSON (line 1, column 1" },
		{ "truncated JSON", 200, ALERT_HEAD GOOD_CREATED, "the response is not JSON" },
		{ "empty body", 200, "", "opsgenie alerts: empty response body" },
		{ "a list, not the envelope", 200, "[]",
		  "opsgenie alerts: the response is not a JSON object" },
		{ "no data", 200, "{\"took\":0.1}",
		  "opsgenie alerts: the response has no data array of alerts" },
		{ "data an object", 200, "{\"data\":{\"count\":7}}",
		  "opsgenie alerts: the response has no data array of alerts" },
		{ "an alert that is a number", 200, "{\"data\":[5]}",
		  "opsgenie alerts: alert 0 is not an object" },
		{ "no id", 200, "{\"data\":[{\"status\":\"open\"," GOOD_CREATED "}]}",
		  "alert 0: id is missing or not a string" },
		{ "id a number", 200,
		  "{\"data\":[{\"id\":7,\"status\":\"open\"," GOOD_CREATED "}]}",
		  "alert 0: id is missing or not a string" },
		{ "message a number", 200, ALERT_HEAD GOOD_CREATED ",\"message\":5" ALERT_TAIL,
		  "alert 0: message is not a string" },
		{ "no createdAt", 200, ALERT_HEAD "\"message\":\"m\"" ALERT_TAIL,
		  "alert 0: createdAt is missing or not a string" },
		{ "createdAt in epoch ms", 200, ALERT_HEAD "\"createdAt\":1740988800000" ALERT_TAIL,
		  "alert 0: createdAt is missing or not a string" },
		{ "createdAt not a timestamp (quoted, sanitized)", 200,
		  ALERT_HEAD "\"createdAt\":\"soon\\u009b5m\"" ALERT_TAIL,
		  "alert 0: createdAt \"soon\" is not a timestamp" },
		{ "updatedAt a number", 200, ALERT_HEAD GOOD_CREATED ",\"updatedAt\":5" ALERT_TAIL,
		  "alert 0: updatedAt is missing or not a string" },
		{ "no status", 200, "{\"data\":[{\"id\":\"a\"," GOOD_CREATED "}]}",
		  "alert 0: status is missing or not a string" },
		{ "status unknown", 200,
		  "{\"data\":[{\"id\":\"a\",\"status\":\"resolved\"," GOOD_CREATED "}]}",
		  "alert 0: status \"resolved\" is neither open nor closed" },
		{ "priority a number", 200, ALERT_HEAD GOOD_CREATED ",\"priority\":1" ALERT_TAIL,
		  "alert 0: priority is not a string" },
		{ "tags a string", 200,
		  ALERT_HEAD GOOD_CREATED ",\"tags\":\"service:a\"" ALERT_TAIL,
		  "alert 0: tags is not an array" },
		{ "a tag that is a number", 200,
		  ALERT_HEAD GOOD_CREATED ",\"tags\":[\"x\",3]" ALERT_TAIL,
		  "alert 0: tags holds a non-string" },
		{ "entity an object", 200, ALERT_HEAD GOOD_CREATED ",\"entity\":{}" ALERT_TAIL,
		  "alert 0: entity is not a string" },
		{ "report a list", 200, ALERT_HEAD GOOD_CREATED ",\"report\":[]" ALERT_TAIL,
		  "alert 0: report is not an object" },
		{ "ackTime a string", 200,
		  ALERT_HEAD GOOD_CREATED ",\"report\":{\"ackTime\":\"15702\"}" ALERT_TAIL,
		  "alert 0: report.ackTime is not an integer (elapsed milliseconds)" },
		{ "ackTime in seconds with a fraction", 200,
		  ALERT_HEAD GOOD_CREATED ",\"report\":{\"ackTime\":15.7}" ALERT_TAIL,
		  "alert 0: report.ackTime is not an integer" },
		{ "closeTime negative", 200,
		  ALERT_HEAD GOOD_CREATED ",\"report\":{\"closeTime\":-1}" ALERT_TAIL,
		  "alert 0: report.closeTime is out of range" },
		{ "closeTime past a century", 200,
		  ALERT_HEAD GOOD_CREATED
		  ",\"report\":{\"closeTime\":9223372036854775807}" ALERT_TAIL,
		  "alert 0: report.closeTime is out of range" },
		{ "acknowledgedBy a boolean", 200,
		  ALERT_HEAD GOOD_CREATED
		  ",\"report\":{\"ackTime\":1,\"acknowledgedBy\":true}" ALERT_TAIL,
		  "alert 0: report.acknowledgedBy is not a string" },
		{ "closedBy a number", 200,
		  ALERT_HEAD GOOD_CREATED ",\"report\":{\"closedBy\":1}" ALERT_TAIL,
		  "alert 0: report.closedBy is not a string" },
		{ "the second alert is bad", 200,
		  "{\"data\":[{\"id\":\"a\",\"status\":\"open\"," GOOD_CREATED "},{\"id\":\"\"}]}",
		  "alert 1: id is missing or not a string" },
		{ "paging a string", 200, ALERT_HEAD GOOD_CREATED "}],\"paging\":\"next\"}",
		  "opsgenie alerts: paging is not an object" },
		{ "paging.next a number", 200,
		  ALERT_HEAD GOOD_CREATED "}],\"paging\":{\"next\":6}}",
		  "opsgenie alerts: paging.next is not a string" },
		{ "paging.next elsewhere", 200,
		  ALERT_HEAD GOOD_CREATED "}],\"paging\":{\"next\":\"https://evil.example/steal?"
					  "offset=6\"}}",
		  "opsgenie alerts: paging.next \"https://evil.example/steal?offset=6\" is not a "
		  "/v2/alerts URL" },
		{ "paging.next without a query", 200,
		  ALERT_HEAD GOOD_CREATED "}],\"paging\":{\"next\":\"" BASE "/v2/alerts\"}}",
		  "is not a /v2/alerts URL" },
		{ "paging.next going back", 200,
		  ALERT_HEAD GOOD_CREATED "}],\"paging\":{\"next\":\"" BASE
					  "/v2/alerts?offset=0&limit=1\"}}",
		  "opsgenie alerts: paging.next goes back from offset 5 to 0" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_bad(&cases[i]);
}

/*
 * Raw JSON, and pages left to jansson
 */

/* An alert's raw JSON is its bytes in the response, not a re-serialisation: escapes,
 * number spellings and member order stay as the server wrote them. */
static void
source_opsgenie__raw_json_is_the_alert_bytes(void **state)
{
	static const char *const alerts[] = {
		"{\"id\":\"a\",\"status\":\"closed\",\"message\":\"caf\\u00e9 \\/ \\\"q\\\"\","
		"\"createdAt\":\"2025-03-03T08:00:00Z\",\"count\":1.50,\"weight\":1E2,"
		"\"tags\":[\"service:pay\",\"x y\"],\"details\":{},\"extra\":[],"
		"\"report\":{\"closeTime\":60000,\"closedBy\":\"b\\u00f6b\"}}",
		"{\"status\":\"open\",\"createdAt\":\"2025-03-03T08:00:00Z\",\"id\":\"b\","
		"\"empty\":\"\",\"n\":-0,\"t\":true,\"f\":false,\"z\":null}",
	};
	char *joined = xasprintf("%s,%s", alerts[0], alerts[1]);
	char *body = envelope(joined);
	struct source_page page;

	(void)state;
	assert_int_equal(parse_body(body, &page), SUCCESS);
	assert_int_equal(page.n_incidents, 2);
	assert_string_equal(page.incidents[0].raw_json, alerts[0]);
	assert_string_equal(page.incidents[1].raw_json, alerts[1]);
	/* The fields read from it are decoded. */
	assert_string_equal(page.incidents[0].title, "caf\xc3\xa9 / \"q\"");
	assert_string_equal(page.incidents[0].services[0], "pay");
	assert_event(&page.events[1], "a", "resolve", ts("2025-03-03T08:01:00Z"),
		     "b\xc3\xb6"
		     "b");
	source_page_release(&page);
	free(body);
	free(joined);
}

/* A pretty-printed page: the raw JSON is the alert's bytes without the whitespace
 * between tokens; whitespace inside strings stays. */
static void
source_opsgenie__raw_json_of_a_spaced_page_drops_whitespace(void **state)
{
	static const char body[] =
		"{ \"data\" : [\n  { \"id\" : \"a b\" ,\t\"status\": \"open\",\r\n"
		"    \"message\": \"say \\\" hi \\\\\" , \"tags\" : [ \"service: x\" , \"y\" ] ,\n"
		"    \"report\" : { } , \"list\" : [ ] ,\n"
		"    \"createdAt\" : \"2025-03-03T08:00:00Z\" }\n ],\n \"took\" : 0.1 }\n";
	struct source_page page;

	(void)state;
	assert_int_equal(parse_body(body, &page), SUCCESS);
	assert_int_equal(page.n_incidents, 1);
	assert_string_equal(page.incidents[0].raw_json,
			    "{\"id\":\"a b\",\"status\":\"open\",\"message\":\"say \\\" hi \\\\\","
			    "\"tags\":[\"service: x\",\"y\"],\"report\":{},\"list\":[],"
			    "\"createdAt\":\"2025-03-03T08:00:00Z\"}");
	assert_string_equal(page.incidents[0].title, "say \" hi \\");
	assert_string_equal(page.incidents[0].services[0], " x");
	source_page_release(&page);
}

/* Pages the tokenizer does not take read as jansson reads them: a repeated member
 * (the last one counts), a string holding \u0000 (cut there), an escaped key; and a
 * number jansson refuses anywhere fails the page. */
static void
source_opsgenie__unusual_pages_read_as_jansson_reads_them(void **state)
{
	static const char repeated[] =
		"{\"id\":\"a\",\"status\":\"open\",\"message\":\"first\","
		"\"createdAt\":\"2025-03-03T08:00:00Z\",\"message\":\"second\"}";
	static const char nul[] =
		"{\"id\":\"a\",\"status\":\"open\",\"message\":\"cut\\u0000here\","
		"\"priority\":\"P1\\u0000x\",\"createdAt\":\"2025-03-03T08:00:00Z\"}";
	static const char escaped_key[] =
		"{\"\\u0069d\":\"k\",\"status\":\"open\",\"createdAt\":\"2025-03-03T08:00:00Z\"}";
	static const struct bad_case refused[] = {
		{ "an integer beyond 64 bits", 200,
		  ALERT_HEAD GOOD_CREATED ",\"count\":99999999999999999999" ALERT_TAIL,
		  "opsgenie alerts: the response is not JSON (line 1, column " },
		{ "a real that overflows", 200, "{\"data\":[],\"took\":1e999}",
		  "opsgenie alerts: the response is not JSON (line 1, column " },
	};
	struct source_page page;
	char *body;

	(void)state;
	body = envelope(repeated);
	assert_int_equal(parse_body(body, &page), SUCCESS);
	assert_string_equal(page.incidents[0].title, "second");
	source_page_release(&page);
	free(body);

	body = envelope(nul);
	assert_int_equal(parse_body(body, &page), SUCCESS);
	assert_string_equal(page.incidents[0].title, "cut");
	assert_string_equal(page.incidents[0].severity, "P1");
	assert_int_equal(page.incidents[0].impact, MX_IMPACT_OUTAGE);
	source_page_release(&page);
	free(body);

	body = envelope(escaped_key);
	assert_int_equal(parse_body(body, &page), SUCCESS);
	assert_string_equal(page.incidents[0].source_id, "k");
	source_page_release(&page);
	free(body);

	for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
		check_bad(&refused[i]);
}

static void
source_opsgenie__unknown_stream_is_an_error(void **state)
{
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, BASE, NULL);
	ctx = ctx_for(&t, NULL);
	response_text(&resp, 200, "{\"data\":[]}");
	assert_int_equal(parse_url(&ctx, "incidents", FIRST_URL, &resp, &page),
			 ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "opsgenie incidents: not a stream of this source");
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(source_opsgenie__docs_list_example),
		cmocka_unit_test(source_opsgenie__alert_without_report_is_open_and_unacked),
		cmocka_unit_test(source_opsgenie__milestones_add_milliseconds_before_rounding),
		cmocka_unit_test(source_opsgenie__status_decides_resolution),
		cmocka_unit_test(source_opsgenie__service_from_tag_entity_or_config),
		cmocka_unit_test(source_opsgenie__priority_is_severity_and_impact),
		cmocka_unit_test(source_opsgenie__untrusted_title_is_kept_unchanged),
		cmocka_unit_test(source_opsgenie__raw_json_is_the_alert_bytes),
		cmocka_unit_test(source_opsgenie__raw_json_of_a_spaced_page_drops_whitespace),
		cmocka_unit_test(source_opsgenie__unusual_pages_read_as_jansson_reads_them),
		cmocka_unit_test(source_opsgenie__full_page_follows_paging_next),
		cmocka_unit_test(source_opsgenie__paging_header_and_last_pages),
		cmocka_unit_test(source_opsgenie__cursor_only_moves_forward),
		cmocka_unit_test(source_opsgenie__cursor_lags_the_clock),
		cmocka_unit_test(source_opsgenie__plan_asks_for_updates_since_the_cursor),
		cmocka_unit_test(source_opsgenie__plan_needs_url_and_token),
		cmocka_unit_test(source_opsgenie__bad_responses_name_the_problem),
		cmocka_unit_test(source_opsgenie__unknown_stream_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
