/* test_source_alertmanager.c - the Alertmanager source: real responses of an
 * Alertmanager 0.25 server (tests/fixtures/live) parsed into exact incidents and
 * events, silences remembered from round to round through the cursor, the request a
 * round plans, and a table of bad responses, each with the error it must give.
 * Nothing here opens a socket: responses are handed to ops->parse as the engine
 * would. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#include "source_support.h"

#include "sitrep/config.h"
#include "support.h"

/* 2026-11-28T06:30:00Z: just after the live captures were made. */
#define NOW 1795847400

/* 2026-11-28 is day 20785 after 1970-01-01 (20785 * 86400 = 1795824000). */
#define T_06_29_45 1795847385 /* 1795824000 + 6 * 3600 + 29 * 60 + 45 */
#define T_06_29_57 1795847397 /* ... + 57 s; .737 and .023 are truncated */

#define SILENCE "5fe969df-a83d-46fc-8bf0-70a82a8fbfec"

/*
 * Fixtures
 */

/* A [source "am"] section as config_load would leave it. */
static void
source_init(struct test_source *t, const char *url, const char *service)
{
	test_source_init(t, "am", "alertmanager", url, service);
}

/* The engine's stored cursor of the one stream. */
static const char *
cursor_of(void *engine, const char *stream)
{
	return streq(stream, "alerts") ? engine : NULL;
}

static struct source_ctx
ctx_for(const struct test_source *t, const char *cursor, int64_t now)
{
	struct source_ctx ctx = { 0 };

	ctx.name = "am";
	ctx.config = &t->src;
	ctx.now = now;
	ctx.cursor = cursor_of;
	ctx.engine = (void *)(uintptr_t)cursor;
	return ctx;
}

static const struct source_ops *
ops(void)
{
	return test_ops("alertmanager");
}

static enum status_code
parse(const struct source_ctx *ctx, const char *stream, const struct http_response *resp,
      struct source_page *page)
{
	return test_parse_get("alertmanager", ctx, stream,
			      "http://127.0.0.1:9093/api/v2/alerts?silenced=true&inhibited=true",
			      NULL, NULL, resp, page);
}

static enum status_code
parse_text(const char *body, struct source_page *page)
{
	struct test_source t;
	struct http_response resp;
	struct source_ctx ctx;
	enum status_code code;

	source_init(&t, "http://127.0.0.1:9093", NULL);
	ctx = ctx_for(&t, NULL, NOW);
	response_text(&resp, 200, body);
	code = parse(&ctx, "alerts", &resp, page);
	if (code != SUCCESS)
		print_error("%s\n", status_message(code));
	response_release(&resp);
	source_release(&t);
	return code;
}

static void
assert_incident(const struct store_incident *inc, const char *id, const char *service,
		const char *title, const char *severity, enum mx_impact impact, int64_t starts,
		int64_t updated, const char *url)
{
	assert_string_equal(inc->source, "am");
	assert_string_equal(inc->source_id, id);
	assert_int_equal(inc->n_services, 1);
	assert_string_equal(inc->services[0], service);
	assert_string_equal(inc->title, title);
	assert_string_equal(inc->severity, severity);
	assert_int_equal(inc->impact, impact);
	assert_int_equal(inc->impact_start, starts);
	assert_int_equal(inc->detected_at, starts);
	assert_int_equal(inc->acknowledged_at, TIME_NONE);
	assert_int_equal(inc->contained_at, TIME_NONE);
	assert_int_equal(inc->resolved_at, TIME_NONE);
	assert_int_equal(inc->closed_at, TIME_NONE);
	assert_int_equal(inc->updated_at, updated);
	if (url)
		assert_string_equal(inc->url, url);
	else
		assert_null(inc->url);
	assert_non_null(inc->raw_json);
}

/*
 * Alerts
 */

static void
source_alertmanager__live_alerts_are_open_incidents(void **state)
{
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;
	size_t i;

	(void)state;
	source_init(&t, "http://127.0.0.1:19093", NULL);
	ctx = ctx_for(&t, NULL, NOW);
	response_file(&resp, 200, "live/alertmanager-alerts.json");
	assert_int_equal(parse(&ctx, "alerts", &resp, &page), SUCCESS);

	assert_true(page.snapshot);
	assert_int_equal(page.observed_at, NOW);
	assert_null(page.next);
	assert_int_equal(page.n_samples, 0);
	assert_int_equal(page.n_incidents, 3);
	/* severity critical, job node; endsAt (a validity deadline) is not a resolve. */
	assert_incident(&page.incidents[0], "fp:2c4297c6bd911066:1795847397", "node",
			"Disk almost full on db01", "P1", MX_IMPACT_OUTAGE, T_06_29_57, T_06_29_57,
			"http://127.0.0.1/graph?g0.expr=disk");
	/* No job, no service: "unknown"; no generatorURL. */
	assert_incident(&page.incidents[1], "fp:3d94b4d5a1b2c346:1795847397", "unknown",
			"Backup is late", "P3", MX_IMPACT_DEGRADED, T_06_29_57, T_06_29_57, NULL);
	/* Sent by Prometheus: startsAt is when it fired (activeAt 06:29:45.02). */
	assert_incident(&page.incidents[2], "fp:92feb472bb75bce8:1795847385", "unknown",
			"Always-firing test alert", "P3", MX_IMPACT_DEGRADED, T_06_29_45,
			T_06_29_57, "http://vm:19090/graph?g0.expr=vector%281%29&g0.tab=1");

	/* One trigger per alert, nothing silenced. */
	assert_int_equal(page.n_events, 3);
	for (i = 0; i < 3; i++) {
		assert_string_equal(page.events[i].kind, "trigger");
		assert_string_equal(page.events[i].incident_id, page.incidents[i].source_id);
		assert_int_equal(page.events[i].at, page.incidents[i].detected_at);
		assert_null(page.events[i].event_id);
	}
	assert_string_equal(page.cursor, "{}");
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

static void
source_alertmanager__default_service_applies_without_labels(void **state)
{
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, "http://127.0.0.1:19093", "backups");
	ctx = ctx_for(&t, NULL, NOW);
	response_file(&resp, 200, "live/alertmanager-alerts.json");
	assert_int_equal(parse(&ctx, "alerts", &resp, &page), SUCCESS);
	assert_string_equal(page.incidents[0].services[0], "node");
	assert_string_equal(page.incidents[1].services[0], "backups");
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

/* A silenced alert gets a "silence" event named by the silence. Its time is when
 * sitrep first saw it silenced, remembered in the cursor: the alert's updatedAt
 * moves at every re-send and would add an event per round. */
static void
source_alertmanager__silence_is_one_event_across_rounds(void **state)
{
	static const char key[] = "fp:2c4297c6bd911066:1795847397 " SILENCE;
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;
	char *cursor;

	(void)state;
	source_init(&t, "http://127.0.0.1:19093", NULL);
	ctx = ctx_for(&t, NULL, NOW);
	response_file(&resp, 200, "live/alertmanager-alerts-after-silence.json");
	assert_int_equal(parse(&ctx, "alerts", &resp, &page), SUCCESS);
	assert_int_equal(page.n_incidents, 3);
	assert_int_equal(page.n_events, 4);
	assert_string_equal(page.events[0].kind, "trigger");
	assert_string_equal(page.events[1].kind, "silence");
	assert_string_equal(page.events[1].incident_id, "fp:2c4297c6bd911066:1795847397");
	assert_string_equal(page.events[1].event_id, SILENCE);
	assert_int_equal(page.events[1].at, NOW);
	/* The incident itself is unchanged: silenced is neither acked nor resolved. */
	assert_int_equal(page.incidents[0].acknowledged_at, TIME_NONE);
	assert_int_equal(page.incidents[0].resolved_at, TIME_NONE);
	cursor = xasprintf("{\"%s\":%d}", key, NOW);
	assert_string_equal(page.cursor, cursor);
	source_page_release(&page);

	/* Ten minutes later, the same silence: the same event. */
	ctx = ctx_for(&t, cursor, NOW + 600);
	assert_int_equal(parse(&ctx, "alerts", &resp, &page), SUCCESS);
	assert_int_equal(page.n_events, 4);
	assert_int_equal(page.events[1].at, NOW);
	assert_string_equal(page.cursor, cursor);
	source_page_release(&page);
	response_release(&resp);

	/* The silence expired: the pair is forgotten. */
	response_file(&resp, 200, "live/alertmanager-alerts.json");
	ctx = ctx_for(&t, cursor, NOW + 1200);
	assert_int_equal(parse(&ctx, "alerts", &resp, &page), SUCCESS);
	assert_int_equal(page.n_events, 3);
	assert_string_equal(page.cursor, "{}");
	source_page_release(&page);
	response_release(&resp);

	/* A cursor that is not ours (or was damaged) starts afresh. */
	response_file(&resp, 200, "live/alertmanager-alerts-after-silence.json");
	ctx = ctx_for(&t, "1795847397", NOW + 1800);
	assert_int_equal(parse(&ctx, "alerts", &resp, &page), SUCCESS);
	assert_int_equal(page.events[1].at, NOW + 1800);
	source_page_release(&page);
	response_release(&resp);
	free(cursor);
	source_release(&t);
}

/* The fingerprint is a hash of the labels, so an alert that fires again after it
 * resolved has the same one: startsAt makes it a new incident. */
static void
source_alertmanager__refire_after_resolution_is_a_new_incident(void **state)
{
	static const char body[] =
		"[{\"labels\":{\"alertname\":\"A\"},\"fingerprint\":\"0123456789abcdef\","
		"\"startsAt\":\"2026-11-28T06:00:00.000Z\",\"updatedAt\":\"2026-11-28T06:01:00Z\"},"
		"{\"labels\":{\"alertname\":\"A\"},\"fingerprint\":\"0123456789abcdef\","
		"\"startsAt\":\"2026-11-28T08:00:00+02:00\",\"updatedAt\":\"2026-11-28T06:01:00Z\"}"
		","
		"{\"labels\":{\"alertname\":\"A\"},\"fingerprint\":\"0123456789abcdef\","
		"\"startsAt\":\"2026-11-28T07:00:00.000Z\",\"updatedAt\":\"2026-11-28T07:01:00Z\"}"
		"]";
	struct source_page page;

	(void)state;
	assert_int_equal(parse_text(body, &page), SUCCESS);
	assert_int_equal(page.n_incidents, 3);
	/* 08:00+02:00 is 06:00Z: the same instant, the same incident. */
	assert_string_equal(page.incidents[0].source_id, page.incidents[1].source_id);
	assert_string_not_equal(page.incidents[0].source_id, page.incidents[2].source_id);
	assert_int_equal(page.incidents[2].detected_at, ts("2026-11-28T07:00:00Z"));
	assert_int_equal(page.incidents[2].updated_at, ts("2026-11-28T07:01:00Z"));
	/* No annotations, no severity. */
	assert_string_equal(page.incidents[0].title, "A");
	assert_null(page.incidents[0].severity);
	source_page_release(&page);
}

/* Amazon Managed Prometheus lists relative generatorURLs; without updatedAt the
 * record is as new as this round. */
static void
source_alertmanager__relative_url_and_missing_updated_at(void **state)
{
	static const char body[] =
		"[{\"annotations\":{},\"fingerprint\":\"114212a24ca97549\","
		"\"startsAt\":\"2021-09-16T13:20:35.966Z\",\"status\":{\"state\":\"active\","
		"\"silencedBy\":[],\"inhibitedBy\":[]},\"generatorURL\":\"/graph?g0.expr=x\","
		"\"labels\":{\"alertname\":\"metric:alerting_rule\",\"service\":\"edge\","
		"\"severity\":\"ERROR\"}}]";
	struct source_page page;

	(void)state;
	assert_int_equal(parse_text(body, &page), SUCCESS);
	assert_int_equal(page.n_incidents, 1);
	assert_null(page.incidents[0].url);
	assert_int_equal(page.incidents[0].updated_at, NOW);
	assert_string_equal(page.incidents[0].services[0], "edge");
	assert_string_equal(page.incidents[0].severity, "P2");
	assert_string_equal(page.incidents[0].title, "metric:alerting_rule");
	assert_string_equal(page.incidents[0].source_id, "fp:114212a24ca97549:1631798435");
	source_page_release(&page);
}

/* Records keep upstream text as it came: sanitizing is the display's job. */
static void
source_alertmanager__untrusted_title_is_kept_unchanged(void **state)
{
	static const char body[] =
		"[{\"labels\":{\"alertname\":\"A\"},\"fingerprint\":\"f\","
		"\"annotations\":{\"description\":\"\\u001b[2J\\u001b]8;;http://evil\\u0007x\"},"
		"\"startsAt\":\"2026-11-28T06:00:00Z\"}]";
	struct source_page page;

	(void)state;
	assert_int_equal(parse_text(body, &page), SUCCESS);
	assert_string_equal(page.incidents[0].title, "\x1b[2J\x1b]8;;http://evil\x07x");
	source_page_release(&page);
}

/* No alert listed: an empty snapshot, which resolves every open incident. */
static void
source_alertmanager__empty_list_is_an_empty_snapshot(void **state)
{
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, "http://127.0.0.1:19093", NULL);
	ctx = ctx_for(&t, NULL, NOW);
	response_file(&resp, 200, "live/alertmanager-alerts-filtered.json");
	assert_int_equal(parse(&ctx, "alerts", &resp, &page), SUCCESS);
	assert_true(page.snapshot);
	assert_int_equal(page.n_incidents, 0);
	assert_int_equal(page.n_events, 0);
	assert_int_equal(page.observed_at, NOW);
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

/*
 * Plan
 */

static void
source_alertmanager__plan_asks_for_every_alert(void **state)
{
	static const char *const cases[][2] = {
		{ "http://127.0.0.1:9093",
		  "http://127.0.0.1:9093/api/v2/alerts?silenced=true&inhibited=true" },
		{ "https://mimir.example.com/alertmanager/",
		  "https://mimir.example.com/alertmanager/api/v2/"
		  "alerts?silenced=true&inhibited=true" },
	};
	struct source_request *reqs = NULL;
	struct test_source t;
	struct source_ctx ctx;
	size_t i, n;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		n = 0;
		reqs = NULL;
		source_init(&t, cases[i][0], NULL);
		ctx = ctx_for(&t, NULL, NOW);
		assert_int_equal(ops()->plan(&ctx, &reqs, &n), SUCCESS);
		assert_int_equal(n, 1);
		assert_string_equal(reqs[0].stream, "alerts");
		assert_string_equal(reqs[0].method, "GET");
		assert_string_equal(reqs[0].url, cases[i][1]);
		assert_null(reqs[0].body);
		assert_int_equal(reqs[0].n_headers, 0);
		source_requests_free(reqs, n);
		source_release(&t);
	}

	/* A secret (from a proxy's token) goes in a bearer header. */
	n = 0;
	reqs = NULL;
	source_init(&t, "http://127.0.0.1:9093", NULL);
	ctx = ctx_for(&t, NULL, NOW);
	ctx.secret = "t0ken";
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), SUCCESS);
	assert_int_equal(reqs[0].n_headers, 1);
	assert_string_equal(reqs[0].headers[0].name, "Authorization");
	assert_string_equal(reqs[0].headers[0].value, "Bearer t0ken");
	source_requests_free(reqs, n);
	source_release(&t);

	n = 0;
	reqs = NULL;
	source_init(&t, NULL, NULL);
	ctx = ctx_for(&t, NULL, NOW);
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), ERROR_CUSTOM_MESSAGE);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "alertmanager am: no url"));
	assert_int_equal(n, 0);
	source_release(&t);
}

/*
 * Bad responses
 */

struct bad_case {
	const char *why;
	long status;
	const char *body;
	const char *file;
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

	source_init(&t, "http://127.0.0.1:9093", NULL);
	ctx = ctx_for(&t, NULL, NOW);
	if (c->file)
		response_file(&resp, c->status, c->file);
	else
		response_text(&resp, c->status, c->body);
	code = parse(&ctx, "alerts", &resp, &page);
	msg = status_message(code);
	if (code == SUCCESS || !strstr(msg, c->expect))
		fail_msg("%s: got \"%s\", want an error with \"%s\"", c->why, msg, c->expect);
	for (p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fail_msg("%s: control character in \"%s\"", c->why, msg);
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

static void
source_alertmanager__bad_responses_name_the_problem(void **state)
{
	static const struct bad_case cases[] = {
		{ "go-swagger error (live, 422)", 422, NULL,
		  "live/alertmanager-post-alerts-bad.json",
		  "alertmanager alerts: HTTP 422: 0.labels in body is required" },
		{ "plain-text 400 (escape sequence stripped)", 400,
		  "bad matcher format: \x1b[31m{foo=~}\n", NULL,
		  "alertmanager alerts: HTTP 400: bad matcher format: {foo=~}" },
		{ "500 with an HTML body", 500,
		  "<html><body><h1>500</h1>\x1b]0;x\x07</body></html>", NULL,
		  "alertmanager alerts: HTTP 500: <html><body><h1>500</h1></body></html>" },
		{ "503 with no body", 503, "", NULL,
		  "alertmanager alerts: HTTP 503: (empty body)" },
		{ "no response", 0, NULL, NULL, "alertmanager alerts: no response" },
		{ "not JSON", 200, "<html>oops</html>", NULL,
		  "alertmanager alerts: the response is not JSON (line 1, column 1" },
		{ "truncated JSON", 200, "[{\"labels\":{\"alertname\":\"A\"},\"fingerp", NULL,
		  "the response is not JSON" },
		{ "empty body", 200, "", NULL, "alertmanager alerts: empty response body" },
		{ "an object, not a list", 200, "{\"alerts\":[]}", NULL,
		  "alertmanager alerts: the response is not a JSON array of alerts" },
		{ "an alert that is a number", 200, "[5]", NULL, "alert 0 is not an object" },
		{ "labels not an object", 200,
		  "[{\"labels\":\"x\",\"fingerprint\":\"f\",\"startsAt\":\"2026-11-28T06:00:00Z\"}"
		  "]",
		  NULL, "alert 0: labels is missing or not an object" },
		{ "annotations a list", 200,
		  "[{\"labels\":{},\"annotations\":[],\"fingerprint\":\"f\","
		  "\"startsAt\":\"2026-11-28T06:00:00Z\"}]",
		  NULL, "alert 0: annotations is not an object" },
		{ "no fingerprint", 200, "[{\"labels\":{},\"startsAt\":\"2026-11-28T06:00:00Z\"}]",
		  NULL, "alert 0: fingerprint is missing or not a string" },
		{ "fingerprint a number", 200,
		  "[{\"labels\":{},\"fingerprint\":5,\"startsAt\":\"2026-11-28T06:00:00Z\"}]", NULL,
		  "alert 0: fingerprint is missing or not a string" },
		{ "no startsAt", 200, "[{\"labels\":{},\"fingerprint\":\"f\"}]", NULL,
		  "alert 0: startsAt is missing or not a string" },
		{ "startsAt not a timestamp (quoted, sanitized)", 200,
		  "[{\"labels\":{},\"fingerprint\":\"f\",\"startsAt\":\"soon\\u009b5m\"}]", NULL,
		  "alert 0: startsAt \"soon\" is not a timestamp" },
		{ "updatedAt a number", 200,
		  "[{\"labels\":{},\"fingerprint\":\"f\",\"startsAt\":\"2026-11-28T06:00:00Z\","
		  "\"updatedAt\":5}]",
		  NULL, "alert 0: updatedAt is not a string" },
		{ "updatedAt not a timestamp", 200,
		  "[{\"labels\":{},\"fingerprint\":\"f\",\"startsAt\":\"2026-11-28T06:00:00Z\","
		  "\"updatedAt\":\"now\"}]",
		  NULL, "alert 0: updatedAt \"now\" is not a timestamp" },
		{ "status a string", 200,
		  "[{\"labels\":{},\"fingerprint\":\"f\",\"startsAt\":\"2026-11-28T06:00:00Z\","
		  "\"status\":\"active\"}]",
		  NULL, "alert 0: status is not an object" },
		{ "silencedBy not a list", 200,
		  "[{\"labels\":{},\"fingerprint\":\"f\",\"startsAt\":\"2026-11-28T06:00:00Z\","
		  "\"status\":{\"silencedBy\":\"x\"}}]",
		  NULL, "alert 0: status.silencedBy is not an array" },
		{ "a silence id that is a number", 200,
		  "[{\"labels\":{},\"fingerprint\":\"f\",\"startsAt\":\"2026-11-28T06:00:00Z\"},"
		  "{\"labels\":{},\"fingerprint\":\"g\",\"startsAt\":\"2026-11-28T06:00:00Z\","
		  "\"status\":{\"silencedBy\":[7]}}]",
		  NULL, "alert 1: status.silencedBy holds a non-string" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		check_bad(&cases[i]);
}

static void
source_alertmanager__unknown_stream_is_an_error(void **state)
{
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, "http://127.0.0.1:9093", NULL);
	ctx = ctx_for(&t, NULL, NOW);
	response_file(&resp, 200, "live/alertmanager-alerts.json");
	assert_int_equal(parse(&ctx, "silences", &resp, &page), ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "alertmanager silences: not a stream of this source");
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(source_alertmanager__live_alerts_are_open_incidents),
		cmocka_unit_test(source_alertmanager__default_service_applies_without_labels),
		cmocka_unit_test(source_alertmanager__silence_is_one_event_across_rounds),
		cmocka_unit_test(source_alertmanager__refire_after_resolution_is_a_new_incident),
		cmocka_unit_test(source_alertmanager__relative_url_and_missing_updated_at),
		cmocka_unit_test(source_alertmanager__untrusted_title_is_kept_unchanged),
		cmocka_unit_test(source_alertmanager__empty_list_is_an_empty_snapshot),
		cmocka_unit_test(source_alertmanager__plan_asks_for_every_alert),
		cmocka_unit_test(source_alertmanager__bad_responses_name_the_problem),
		cmocka_unit_test(source_alertmanager__unknown_stream_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
