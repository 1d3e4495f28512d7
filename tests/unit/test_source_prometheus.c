/* test_source_prometheus.c - the Prometheus source and the helpers every source
 * shares (source.c): real responses of a Prometheus 2.42 server (tests/fixtures/live)
 * and of the API docs parsed into exact records, the requests a round plans (URLs,
 * bodies, headers, the aligned query_range window and its pages), and a table of bad
 * responses, each with the error it must give. Nothing here opens a socket: the
 * responses are handed to ops->parse as the engine would. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#include "source_support.h"

#include "sitrep/config.h"
#include "sitrep/json.h"
#include "support.h"

/* 2026-11-28T06:30:00Z: just after the live captures were made. */
#define NOW 1795847400

/*
 * Fixtures
 */

/* A response as the HTTP client would return it (body NUL-terminated, owned). */
/* A [source "prom"] section as config_load would leave it. */
static void
source_init(struct test_source *t, const char *url, const char *service, int64_t interval)
{
	test_source_init(t, "prom", "prometheus", url, service);
	t->src.interval = interval;
}

/* The engine's stored cursors: pairs of stream and cursor. */
struct cursors {
	const char *pairs[8][2];
};

static const char *
cursor_of(void *engine, const char *stream)
{
	struct cursors *c = engine;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(c->pairs) && c->pairs[i][0]; i++)
		if (streq(c->pairs[i][0], stream))
			return c->pairs[i][1];
	return NULL;
}

static struct source_ctx
ctx_for(const struct test_source *t)
{
	struct source_ctx ctx = { 0 };

	ctx.name = "prom";
	ctx.config = &t->src;
	ctx.now = NOW;
	return ctx;
}

static const struct source_ops *
ops(void)
{
	return test_ops("prometheus");
}

/* A request for stream as plan() would have made it. */
static void
request_for(struct source_request *req, const char *stream)
{
	memset(req, 0, sizeof(*req));
	req->stream = xstrdup(stream);
	req->method = xstrdup("GET");
	req->url = xstrdup("http://127.0.0.1:9090/api/v1/alerts");
}

/* Parses resp as a response of stream; the page is the caller's to release. */
static enum status_code
parse(const struct source_ctx *ctx, const char *stream, const struct http_response *resp,
      struct source_page *page)
{
	struct source_request req;
	enum status_code code;

	request_for(&req, stream);
	source_page_init(page);
	code = ops()->parse(ctx, &req, resp, page);
	source_request_release(&req);
	return code;
}

static enum status_code
parse_text(const char *stream, const char *body, struct source_page *page)
{
	struct test_source t;
	struct http_response resp;
	struct source_ctx ctx;
	enum status_code code;

	source_init(&t, "http://127.0.0.1:9090", NULL, 60);
	ctx = ctx_for(&t);
	response_text(&resp, 200, body);
	code = parse(&ctx, stream, &resp, page);
	if (code != SUCCESS)
		print_error("%s\n", status_message(code));
	response_release(&resp);
	source_release(&t);
	return code;
}

/*
 * Alerts
 */

static void
source_prometheus__live_firing_alert_is_an_open_incident(void **state)
{
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;
	const struct store_incident *inc;

	(void)state;
	source_init(&t, "http://127.0.0.1:19090", "platform", 60);
	ctx = ctx_for(&t);
	response_file(&resp, 200, "live/prometheus-alerts.json");
	assert_int_equal(parse(&ctx, "alerts", &resp, &page), SUCCESS);

	assert_true(page.snapshot);
	assert_int_equal(page.observed_at, NOW);
	assert_null(page.cursor);
	assert_null(page.next);
	assert_int_equal(page.n_samples, 0);
	assert_int_equal(page.n_incidents, 1);
	inc = &page.incidents[0];
	assert_string_equal(inc->source, "prom");
	/* activeAt 2026-11-28T06:29:45.020948663Z: 20785 days after 1970-01-01 is
	 * 2026-11-28, 20785 * 86400 + 6 * 3600 + 29 * 60 + 45 = 1795847385 (the
	 * nanoseconds are truncated). */
	assert_string_equal(inc->source_id, "alert:92feb472bb75bce8:1795847385");
	assert_int_equal(inc->n_services, 1);
	/* No service or job label: the source's default service. */
	assert_string_equal(inc->services[0], "platform");
	assert_string_equal(inc->title, "Always-firing test alert");
	assert_string_equal(inc->severity, "P3");
	assert_int_equal(inc->impact, MX_IMPACT_DEGRADED);
	assert_int_equal(inc->impact_start, 1795847385);
	assert_int_equal(inc->detected_at, 1795847385);
	assert_int_equal(inc->acknowledged_at, TIME_NONE);
	assert_int_equal(inc->contained_at, TIME_NONE);
	assert_int_equal(inc->resolved_at, TIME_NONE);
	assert_int_equal(inc->closed_at, TIME_NONE);
	assert_int_equal(inc->updated_at, NOW);
	assert_false(inc->sla.present);
	assert_non_null(strstr(inc->raw_json, "\"activeAt\":\"2026-11-28T06:29:45.020948663Z\""));

	assert_int_equal(page.n_events, 1);
	assert_string_equal(page.events[0].incident_id, inc->source_id);
	assert_string_equal(page.events[0].kind, "trigger");
	assert_int_equal(page.events[0].at, 1795847385);
	assert_null(page.events[0].event_id);

	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

/* The id's hash is the one Alertmanager lists as the fingerprint of the same alert
 * (live/alertmanager-alerts.json: SitrepTestAlwaysFiring is 92feb472bb75bce8), so
 * one alert seen through both is recognisably one. */
static void
source_prometheus__alert_hash_is_the_alertmanager_fingerprint(void **state)
{
	static const struct {
		const char *labels;
		uint64_t fingerprint;
	} cases[] = {
		{ "{\"alertname\":\"SitrepTestAlwaysFiring\",\"severity\":\"warning\"}",
		  0x92feb472bb75bce8ULL },
		{ "{\"severity\":\"critical\",\"job\":\"node\",\"instance\":\"db01:9100\","
		  "\"alertname\":\"SitrepDiskFull\"}",
		  0x2c4297c6bd911066ULL },
		{ "{\"alertname\":\"SitrepBackupLate\",\"instance\":\"db01:9100\","
		  "\"severity\":\"warning\"}",
		  0x3d94b4d5a1b2c346ULL },
		/* An empty set hashes to the FNV offset basis, as in Go. */
		{ "{}", 14695981039346656037ULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *labels = json_loads(cases[i].labels, 0, NULL);

		assert_non_null(labels);
		assert_true(source_labels_fingerprint(labels) == cases[i].fingerprint);
		json_decref(labels);
	}
}

/* The docs' example: nanoseconds and a +02:00 offset, no annotations, no job. */
static void
source_prometheus__docs_alert_offset_is_normalised_to_utc(void **state)
{
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;
	const struct store_incident *inc;

	(void)state;
	source_init(&t, "http://127.0.0.1:9090", NULL, 60);
	ctx = ctx_for(&t);
	response_file(&resp, 200, "prometheus/alerts-docs-example.json");
	assert_int_equal(parse(&ctx, "alerts", &resp, &page), SUCCESS);
	assert_int_equal(page.n_incidents, 1);
	inc = &page.incidents[0];
	/* 2018-07-04T20:27:12.60602144+02:00 is 18:27:12Z: 17716 days, so
	 * 17716 * 86400 + 18 * 3600 + 27 * 60 + 12 = 1530728832. */
	assert_int_equal(inc->impact_start, 1530728832);
	assert_int_equal(inc->detected_at, 1530728832);
	assert_string_equal(inc->services[0], "unknown");
	assert_string_equal(inc->title, "my-alert");
	assert_null(inc->severity);
	assert_int_equal(inc->impact, MX_IMPACT_DEGRADED);
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

/* /api/v1/rules as a real Prometheus 2.42 answers it: the firing rule's alert is
 * the same incident as /alerts gives, the inactive rule adds nothing, and a rule
 * with no pending period fires the moment it is active. */
static void
source_prometheus__live_rules_give_the_same_incident(void **state)
{
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, "http://127.0.0.1:19090", "platform", 60);
	ctx = ctx_for(&t);
	response_file(&resp, 200, "live/prometheus-rules.json");
	assert_int_equal(parse(&ctx, "alerts", &resp, &page), SUCCESS);
	assert_true(page.snapshot);
	assert_int_equal(page.n_incidents, 1);
	assert_string_equal(page.incidents[0].source_id, "alert:92feb472bb75bce8:1795847385");
	assert_string_equal(page.incidents[0].title, "Always-firing test alert");
	assert_int_equal(page.incidents[0].impact_start, 1795847385);
	assert_int_equal(page.incidents[0].detected_at, 1795847385);
	assert_int_equal(page.n_events, 1);
	assert_int_equal(page.events[0].at, 1795847385);
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

/* A rule's pending period (`for: 5m`, duration 300) separates the start of the
 * condition (activeAt) from the moment the alert fired, which is when it was
 * detected; recording rules and pending alerts are not incidents. */
static void
source_prometheus__pending_period_delays_detection(void **state)
{
	static const char body[] =
		"{\"status\":\"success\",\"data\":{\"groups\":["
		"{\"name\":\"rec\",\"rules\":[{\"name\":\"sitrep:rpm\",\"query\":\"x\","
		"\"type\":\"recording\",\"health\":\"ok\"}]},"
		"{\"name\":\"checkout.alerts\",\"rules\":["
		"{\"name\":\"Slow\",\"type\":\"alerting\",\"duration\":300,\"alerts\":["
		"{\"labels\":{\"alertname\":\"Slow\",\"service\":\"checkout\"},"
		"\"state\":\"firing\",\"activeAt\":\"2026-11-28T06:00:00.5Z\"},"
		"{\"labels\":{\"alertname\":\"Slow\",\"service\":\"search\"},"
		"\"state\":\"pending\",\"activeAt\":\"2026-11-28T06:09:00Z\"}]},"
		"{\"name\":\"Down\",\"type\":\"alerting\",\"duration\":0,\"alerts\":["
		"{\"labels\":{\"alertname\":\"Down\",\"service\":\"checkout\"},"
		"\"state\":\"firing\",\"activeAt\":\"2026-11-28T06:01:00Z\"}]},"
		"{\"name\":\"Quiet\",\"type\":\"alerting\",\"duration\":60}]}]}}";
	struct source_page page;

	(void)state;
	assert_int_equal(parse_text("alerts", body, &page), SUCCESS);
	assert_int_equal(page.n_incidents, 2);
	assert_string_equal(page.incidents[0].title, "Slow");
	assert_int_equal(page.incidents[0].impact_start, ts("2026-11-28T06:00:00Z"));
	assert_int_equal(page.incidents[0].detected_at, ts("2026-11-28T06:05:00Z"));
	assert_string_equal(page.incidents[1].title, "Down");
	assert_int_equal(page.incidents[1].impact_start, ts("2026-11-28T06:01:00Z"));
	assert_int_equal(page.incidents[1].detected_at, ts("2026-11-28T06:01:00Z"));
	/* The timeline's trigger is the firing. */
	assert_int_equal(page.n_events, 2);
	assert_int_equal(page.events[0].at, ts("2026-11-28T06:05:00Z"));
	source_page_release(&page);
}

/* Pending alerts are skipped; service, title and severity fall back in order. */
static void
source_prometheus__labels_choose_service_title_and_severity(void **state)
{
	static const char body[] =
		"{\"status\":\"success\",\"data\":{\"alerts\":["
		"{\"labels\":{\"alertname\":\"A\",\"severity\":\"critical\",\"service\":"
		"\"checkout\","
		"\"job\":\"api\"},\"annotations\":{\"summary\":\"S\",\"description\":\"D\"},"
		"\"state\":\"firing\",\"activeAt\":\"2026-11-28T06:00:00Z\",\"value\":\"1e+00\"},"
		"{\"labels\":{\"alertname\":\"B\",\"severity\":\"High\",\"job\":\"api\"},"
		"\"annotations\":{\"description\":\"D\"},"
		"\"state\":\"firing\",\"activeAt\":\"2026-11-28T06:00:00Z\"},"
		"{\"labels\":{\"alertname\":\"C\",\"severity\":\"error\"},\"annotations\":{},"
		"\"state\":\"firing\",\"activeAt\":\"2026-11-28T06:00:00Z\"},"
		"{\"labels\":{\"alertname\":\"D\",\"severity\":\"page\"},"
		"\"state\":\"pending\",\"activeAt\":\"2026-11-28T06:00:00Z\"},"
		"{\"labels\":{\"alertname\":\"E\",\"severity\":\"info\"},"
		"\"state\":\"firing\",\"activeAt\":\"2026-11-28T06:00:00Z\"},"
		"{\"labels\":{\"alertname\":\"F\",\"severity\":\"p5\"},"
		"\"state\":\"firing\",\"activeAt\":\"2026-11-28T06:00:00Z\"},"
		"{\"labels\":{\"alertname\":\"G\",\"severity\":\"page\"},"
		"\"state\":\"firing\",\"activeAt\":\"2026-11-28T06:00:00+00:00\"}"
		"]}}";
	static const struct {
		const char *service, *title, *severity;
		enum mx_impact impact;
	} want[] = {
		{ "checkout", "S", "P1", MX_IMPACT_OUTAGE },
		{ "api", "D", "P2", MX_IMPACT_DEGRADED },
		{ "unknown", "C", "P2", MX_IMPACT_DEGRADED },
		{ "unknown", "E", "P4", MX_IMPACT_DEGRADED },
		{ "unknown", "F", "P5", MX_IMPACT_DEGRADED },
		{ "unknown", "G", NULL, MX_IMPACT_DEGRADED },
	};
	struct source_page page;
	size_t i;

	(void)state;
	assert_int_equal(parse_text("alerts", body, &page), SUCCESS);
	assert_int_equal(page.n_incidents, ARRAY_SIZE(want));
	assert_int_equal(page.n_events, ARRAY_SIZE(want));
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		const struct store_incident *inc = &page.incidents[i];

		assert_string_equal(inc->services[0], want[i].service);
		assert_string_equal(inc->title, want[i].title);
		if (want[i].severity)
			assert_string_equal(inc->severity, want[i].severity);
		else
			assert_null(inc->severity);
		assert_int_equal(inc->impact, want[i].impact);
		assert_int_equal(inc->detected_at, ts("2026-11-28T06:00:00Z"));
	}
	source_page_release(&page);
}

/* The same labels active since another moment are another incident (a re-fire
 * after a gap), and the order of the labels does not matter. */
static void
source_prometheus__refire_after_a_gap_is_a_new_incident(void **state)
{
	static const char body[] =
		"{\"status\":\"success\",\"data\":{\"alerts\":["
		"{\"labels\":{\"alertname\":\"A\",\"job\":\"api\"},\"state\":\"firing\","
		"\"activeAt\":\"2026-11-28T06:00:00Z\"},"
		"{\"labels\":{\"job\":\"api\",\"alertname\":\"A\"},\"state\":\"firing\","
		"\"activeAt\":\"2026-11-28T06:00:00.999Z\"},"
		"{\"labels\":{\"alertname\":\"A\",\"job\":\"api\"},\"state\":\"firing\","
		"\"activeAt\":\"2026-11-28T07:00:00Z\"}]}}";
	struct source_page page;

	(void)state;
	assert_int_equal(parse_text("alerts", body, &page), SUCCESS);
	assert_int_equal(page.n_incidents, 3);
	assert_string_equal(page.incidents[0].source_id, page.incidents[1].source_id);
	assert_string_not_equal(page.incidents[0].source_id, page.incidents[2].source_id);
	source_page_release(&page);
}

/* Records keep upstream text as it came: sanitizing is the display's job. A NUL in
 * a string ends it rather than failing the whole response. */
static void
source_prometheus__untrusted_title_is_kept_unchanged(void **state)
{
	static const char body[] =
		"{\"status\":\"success\",\"data\":{\"alerts\":["
		"{\"labels\":{\"alertname\":\"A\",\"job\":\"a\\u0000b\"},"
		"\"annotations\":{\"summary\":\"\\u001b]0;owned\\u0007\\u001b[31mred\\u009b2J\"},"
		"\"state\":\"firing\",\"activeAt\":\"2026-11-28T06:00:00Z\"}]}}";
	struct source_page page;

	(void)state;
	assert_int_equal(parse_text("alerts", body, &page), SUCCESS);
	assert_int_equal(page.n_incidents, 1);
	assert_string_equal(page.incidents[0].title, "\x1b]0;owned\x07\x1b[31mred\xc2\x9b"
						     "2J");
	assert_string_equal(page.incidents[0].services[0], "a");
	source_page_release(&page);
}

static void
source_prometheus__empty_alert_list_is_an_empty_snapshot(void **state)
{
	struct source_page page;

	(void)state;
	assert_int_equal(
		parse_text("alerts", "{\"status\":\"success\",\"data\":{\"alerts\":[]}}", &page),
		SUCCESS);
	/* Still a snapshot: every open incident of the source is now resolved. */
	assert_true(page.snapshot);
	assert_int_equal(page.n_incidents, 0);
	assert_int_equal(page.observed_at, NOW);
	source_page_release(&page);
}

/*
 * Metrics
 */

static void
source_prometheus__live_range_query_becomes_samples(void **state)
{
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;
	static const int64_t times[] = { 1795847393, 1795847395, 1795847397 };
	size_t i;

	(void)state;
	source_init(&t, "http://127.0.0.1:19090", NULL, 2);
	ctx = ctx_for(&t);
	response_file(&resp, 200, "live/prometheus-query-range.json");
	assert_int_equal(parse(&ctx, "metric:checkout.cpu", &resp, &page), SUCCESS);
	assert_false(page.snapshot);
	assert_int_equal(page.n_incidents, 0);
	assert_int_equal(page.n_samples, 3);
	for (i = 0; i < 3; i++) {
		const struct source_sample *s = &page.samples[i];

		assert_string_equal(s->series, "checkout.cpu");
		assert_string_equal(s->labels, "instance=127.0.0.1:19100");
		assert_string_equal(s->service, "checkout");
		assert_int_equal(s->ts, times[i]);
		assert_true(s->value == 100.0);
	}
	assert_string_equal(page.cursor, "1795847397");
	assert_int_equal(page.observed_at, NOW);
	source_page_release(&page);
	response_release(&resp);

	response_file(&resp, 200, "live/prometheus-query-range-post.json");
	assert_int_equal(parse(&ctx, "metric:db.memory", &resp, &page), SUCCESS);
	assert_int_equal(page.n_samples, 3);
	assert_string_equal(page.samples[0].labels,
			    "__name__=node_memory_MemAvailable_bytes,instance=127.0.0.1:19100,"
			    "job=node");
	assert_string_equal(page.samples[0].service, "db");
	assert_int_equal(page.samples[0].ts, 1795847391);
	assert_true(page.samples[0].value == 24246345728.0);
	assert_int_equal(page.samples[2].ts, 1795847397);
	assert_true(page.samples[2].value == 24151023616.0);
	assert_string_equal(page.cursor, "1795847397");
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

/* Fractional timestamps (the docs' example) are truncated to the second. */
static void
source_prometheus__docs_matrix_has_every_series(void **state)
{
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, "http://localhost:9090", NULL, 15);
	ctx = ctx_for(&t);
	response_file(&resp, 200, "prometheus/query-range-matrix-up-docs-example.json");
	assert_int_equal(parse(&ctx, "metric:fleet.up", &resp, &page), SUCCESS);
	assert_int_equal(page.n_samples, 6);
	assert_string_equal(page.samples[0].labels,
			    "__name__=up,instance=localhost:9090,job=prometheus");
	assert_int_equal(page.samples[0].ts, 1435781430);
	assert_string_equal(page.samples[5].labels, "__name__=up,instance=localhost:9091,job=node");
	assert_int_equal(page.samples[5].ts, 1435781460);
	assert_true(page.samples[3].value == 0.0);
	assert_true(page.samples[5].value == 1.0);
	assert_string_equal(page.cursor, "1435781460");
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

/* NaN and infinities have no point on a chart: skipped, without an error; the
 * cursor still moves past them. */
static void
source_prometheus__nan_and_inf_samples_are_skipped(void **state)
{
	static const char body[] =
		"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
		"{\"metric\":{\"service\":\"a,b\\\\c\",\"code\":\"500\"},\"values\":["
		"[1795847100,\"NaN\"],[1795847160,\"+Inf\"],[1795847220,\"1.5\"],"
		"[1795847280,\"-Inf\"],[1795847340,\"-2.5e-3\"],[1795847360.5,\"NaN\"]]}]}}";
	struct source_page page;

	(void)state;
	assert_int_equal(parse_text("metric:checkout.errors", body, &page), SUCCESS);
	assert_int_equal(page.n_samples, 2);
	assert_int_equal(page.samples[0].ts, 1795847220);
	assert_true(page.samples[0].value == 1.5);
	assert_int_equal(page.samples[1].ts, 1795847340);
	assert_true(page.samples[1].value == -0.0025);
	/* Sorted by name; ',' and '\' in values escaped. */
	assert_string_equal(page.samples[0].labels, "code=500,service=a\\,b\\\\c");
	assert_string_equal(page.cursor, "1795847360");
	source_page_release(&page);
}

/* No series: no samples, and the cursor stays where it was (NULL). */
static void
source_prometheus__empty_matrix_leaves_the_cursor(void **state)
{
	struct source_page page;

	(void)state;
	assert_int_equal(parse_text("metric:checkout.rpm",
				    "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
				    "\"result\":[]}}",
				    &page),
			 SUCCESS);
	assert_int_equal(page.n_samples, 0);
	assert_null(page.cursor);
	source_page_release(&page);
}

/* A metric without a dot in its name has the source's service. */
static void
source_prometheus__metric_without_dot_has_default_service(void **state)
{
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, "http://127.0.0.1:19090", "platform", 60);
	ctx = ctx_for(&t);
	response_file(&resp, 200, "live/prometheus-query-range.json");
	assert_int_equal(parse(&ctx, "metric:cpu", &resp, &page), SUCCESS);
	assert_string_equal(page.samples[0].service, "platform");
	assert_string_equal(page.samples[0].series, "cpu");
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

/*
 * Plan
 */

static void
source_prometheus__plan_requests_alerts_and_each_metric(void **state)
{
	static char m_rpm[] = "checkout.rpm", m_err[] = "checkout.errors", m_other[] = "db.qps";
	static char s_prom[] = "prom", s_other[] = "other-prom";
	static char q_rpm[] = "sum(rate(http_requests_total{service=\"checkout\"}[1m])) * 60";
	static char q_err[] = "sum(rate(errors_total[5m]))", q_other[] = "up";
	struct config_metric metrics[] = {
		{ m_rpm, s_prom, q_rpm },
		{ m_other, s_other, q_other },
		{ m_err, s_prom, q_err },
	};
	struct cursors cursors = { { { "metric:checkout.rpm", "1795847000" } } };
	struct source_request *reqs = NULL;
	struct test_source t;
	struct source_ctx ctx;
	size_t n = 0;

	(void)state;
	source_init(&t, "http://127.0.0.1:9090", NULL, 15);
	ctx = ctx_for(&t);
	ctx.metrics = metrics;
	ctx.n_metrics = ARRAY_SIZE(metrics);
	ctx.cursor = cursor_of;
	ctx.engine = &cursors;
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), SUCCESS);
	assert_int_equal(n, 3);

	assert_string_equal(reqs[0].stream, "alerts");
	assert_string_equal(reqs[0].method, "GET");
	assert_string_equal(reqs[0].url, "http://127.0.0.1:9090/api/v1/rules?type=alert");
	assert_null(reqs[0].body);
	assert_int_equal(reqs[0].n_headers, 0);

	/* From the cursor 1795847000 aligned down to the 15 s step: 1795846995. */
	assert_string_equal(reqs[1].stream, "metric:checkout.rpm");
	assert_string_equal(reqs[1].method, "POST");
	assert_string_equal(reqs[1].url, "http://127.0.0.1:9090/api/v1/query_range");
	assert_string_equal(reqs[1].body,
			    "query=sum%28rate%28http_requests_total%7Bservice%3D%22checkout%22%7D"
			    "%5B1m%5D%29%29%20%2A%2060&start=1795846995&end=1795847400&step=15");
	assert_int_equal(reqs[1].n_headers, 1);
	assert_string_equal(reqs[1].headers[0].name, "Content-Type");
	assert_string_equal(reqs[1].headers[0].value, "application/x-www-form-urlencoded");

	/* No cursor: the last hour, NOW - 3600 = 1795843800 (already on the step). */
	assert_string_equal(reqs[2].stream, "metric:checkout.errors");
	assert_string_equal(reqs[2].body, "query=sum%28rate%28errors_total%5B5m%5D%29%29"
					  "&start=1795843800&end=1795847400&step=15");
	source_requests_free(reqs, n);
	source_release(&t);
}

static void
source_prometheus__plan_sends_the_token_and_keeps_the_path_prefix(void **state)
{
	static char name[] = "api.latency", src[] = "prom", query[] = "x";
	struct config_metric metric = { name, src, query };
	struct source_request *reqs = NULL;
	struct test_source t;
	struct source_ctx ctx;
	size_t n = 0;

	(void)state;
	source_init(&t, "https://mon.example.com/prometheus/", NULL, 60);
	ctx = ctx_for(&t);
	ctx.secret = "s3cr3t";
	ctx.metrics = &metric;
	ctx.n_metrics = 1;
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), SUCCESS);
	assert_int_equal(n, 2);
	assert_string_equal(reqs[0].url,
			    "https://mon.example.com/prometheus/api/v1/rules?type=alert");
	assert_int_equal(reqs[0].n_headers, 1);
	assert_string_equal(reqs[0].headers[0].name, "Authorization");
	assert_string_equal(reqs[0].headers[0].value, "Bearer s3cr3t");
	assert_string_equal(reqs[1].url, "https://mon.example.com/prometheus/api/v1/query_range");
	assert_int_equal(reqs[1].n_headers, 2);
	assert_string_equal(reqs[1].headers[1].name, "Authorization");
	assert_string_equal(reqs[1].headers[1].value, "Bearer s3cr3t");
	/* NOW - 3600 = 1795843800, aligned down to 60 s: 1795843800 - 1795843800 % 60. */
	assert_string_equal(reqs[1].body, "query=x&start=1795843800&end=1795847400&step=60");
	source_requests_free(reqs, n);
	source_release(&t);
}

/* The window for a cursor, read back from the planned body. */
static void
plan_window(const char *cursor, int64_t interval, int64_t *start, int64_t *end, int64_t *step)
{
	static char name[] = "a.b", src[] = "prom", query[] = "up";
	struct config_metric metric = { name, src, query };
	struct cursors cursors = { { { "metric:a.b", cursor } } };
	struct source_request *reqs = NULL;
	struct test_source t;
	struct source_ctx ctx;
	long long s, e, st;
	size_t n = 0;

	source_init(&t, "http://127.0.0.1:9090", NULL, interval);
	ctx = ctx_for(&t);
	ctx.metrics = &metric;
	ctx.n_metrics = 1;
	ctx.cursor = cursor_of;
	ctx.engine = &cursors;
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), SUCCESS);
	assert_int_equal(n, 2);
	assert_int_equal(
		sscanf(reqs[1].body, "query=up&start=%lld&end=%lld&step=%lld", &s, &e, &st), 3);
	*start = s;
	*end = e;
	*step = st;
	source_requests_free(reqs, n);
	source_release(&t);
}

/* Parses an empty matrix as the answer to a query_range of body: the next page's
 * body, or NULL at the end of the window (new). */
static char *
next_body(const char *body)
{
	struct test_source t;
	struct http_response resp;
	struct source_request req;
	struct source_page page;
	struct source_ctx ctx;
	char *next = NULL;

	source_init(&t, "http://127.0.0.1:9090", NULL, 60);
	ctx = ctx_for(&t);
	request_for(&req, "metric:a.b");
	req.body = xstrdup(body);
	response_text(
		&resp, 200,
		"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}");
	source_page_init(&page);
	assert_int_equal(ops()->parse(&ctx, &req, &resp, &page), SUCCESS);
	if (page.next) {
		assert_string_equal(page.next->stream, "metric:a.b");
		assert_string_equal(page.next->method, "POST");
		assert_string_equal(page.next->url, "http://127.0.0.1:9090/api/v1/query_range");
		next = xstrdup(page.next->body);
	}
	source_page_release(&page);
	source_request_release(&req);
	response_release(&resp);
	source_release(&t);
	return next;
}

/* More than 11000 points per series is a 400 from Prometheus: a long window (sitrep
 * was off for weeks, or a backfill) is read in pages of 1440 points, oldest first,
 * each page asking for the points after the last. */
static void
source_prometheus__long_window_is_read_in_pages(void **state)
{
	int64_t start, end, step;
	char *body;

	(void)state;
	/* 30 days back at 60 s is 43201 points: 31 pages. */
	plan_window("1793255400", 60, &start, &end, &step);
	assert_int_equal(step, 60);
	assert_int_equal(start, 1793255400);
	assert_int_equal(end, 1793255400 + 1439 * 60);
	body = next_body("query=up&start=1793255400&end=1793341740&step=60");
	assert_string_equal(body, "query=up&start=1793341800&end=1793428140&step=60");
	free(body);
	body = next_body("query=up&start=1795700000&end=1795786340&step=60");
	/* The last page ends now, whatever its length. */
	assert_string_equal(body, "query=up&start=1795786400&end=1795847400&step=60");
	free(body);
	body = next_body("query=up&start=1795786400&end=1795847400&step=60");
	assert_null(body);

	/* Exactly 1440 points is one page. */
	plan_window("1795761060", 60, &start, &end, &step);
	assert_int_equal(start, 1795761060);
	assert_int_equal(end, NOW);
	/* One more is two. */
	plan_window("1795761000", 60, &start, &end, &step);
	assert_int_equal(start, 1795761000);
	assert_int_equal(end, 1795761000 + 1439 * 60);

	/* At a 7 s step NOW is not on the grid: the start still is, and a page still
	 * holds 1440 points. */
	plan_window("1000000000", 7, &start, &end, &step);
	assert_int_equal(start % 7, 0);
	assert_int_equal((end - start) / step + 1, 1440);
	/* A body that is not a window of ours (a test's, or damaged) ends the stream. */
	assert_null(next_body("q=1"));
}

/* A cursor that is not an epoch second falls back to the last hour; one in the
 * future (a clock that moved back) starts at now. */
static void
source_prometheus__bad_or_future_cursor_is_survived(void **state)
{
	int64_t start, end, step;

	(void)state;
	plan_window("yesterday", 60, &start, &end, &step);
	assert_int_equal(start, NOW - 3600);
	plan_window("-5", 60, &start, &end, &step);
	assert_int_equal(start, NOW - 3600);
	plan_window("99999999999999999999999", 60, &start, &end, &step);
	assert_int_equal(start, NOW - 3600);
	plan_window("1895847400", 60, &start, &end, &step);
	assert_int_equal(start, NOW);
	assert_int_equal(end, NOW);
	/* An interval of 0 (never from config_load) is the default step. */
	plan_window(NULL, 0, &start, &end, &step);
	assert_int_equal(step, 60);
}

static void
source_prometheus__plan_without_url_fails_cleanly(void **state)
{
	struct source_request *reqs = NULL;
	struct test_source t;
	struct source_ctx ctx;
	size_t n = 0;

	(void)state;
	source_init(&t, NULL, NULL, 60);
	ctx = ctx_for(&t);
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), ERROR_CUSTOM_MESSAGE);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "no url"));
	assert_int_equal(n, 0);
	assert_null(reqs);
	source_release(&t);
}

/*
 * Bad responses
 */

struct bad_case {
	const char *why;
	const char *stream;
	long status;
	const char *body; /* or a fixture with file set */
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

	source_init(&t, "http://127.0.0.1:9090", NULL, 60);
	ctx = ctx_for(&t);
	if (c->file)
		response_file(&resp, c->status, c->file);
	else
		response_text(&resp, c->status, c->body);
	code = parse(&ctx, c->stream, &resp, &page);
	msg = status_message(code);
	if (code == SUCCESS || !strstr(msg, c->expect))
		fail_msg("%s: got \"%s\", want an error with \"%s\"", c->why, msg, c->expect);
	/* Error messages are printed: no control character may reach them. */
	for (p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fail_msg("%s: control character in \"%s\"", c->why, msg);
	if (strstr(msg, "\xc2\x9b"))
		fail_msg("%s: C1 CSI in \"%s\"", c->why, msg);
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

static void
source_prometheus__bad_responses_name_the_problem(void **state)
{
	static const struct bad_case cases[] = {
		{ "HTML instead of JSON", "alerts", 200, "<html>\x1b[31mhi</html>", NULL,
		  "prometheus alerts: the response is not JSON (line 1, column 1: " },
		{ "truncated JSON", "alerts", 200, "{\"status\":\"success\",\"data\":{\"alerts\":[",
		  NULL, "the response is not JSON" },
		{ "empty body", "alerts", 200, "", NULL, "prometheus alerts: empty response body" },
		{ "500 with an HTML body (escape sequence stripped)", "metric:a.b", 500,
		  "<html><body>\x1b[2J\xc2\x9b"
		  "31mInternal Server Error</body></html>",
		  NULL,
		  "prometheus metric:a.b: HTTP 500: <html><body>Internal Server "
		  "Error</body></html>" },
		{ "502 from a proxy with no body", "alerts", 502, "", NULL,
		  "prometheus alerts: HTTP 502: (empty body)" },
		{ "a long error body is cut", "alerts", 503,
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxx"
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		  "xxxx"
		  "TAIL",
		  NULL, "xxx\xe2\x80\xa6" },
		{ "live bad_data error (HTTP 400)", "metric:a.b", 400, NULL,
		  "live/prometheus-query-error.json",
		  "prometheus metric:a.b: bad_data: invalid parameter \"query\": 1:9: parse error: "
		  "missing unit character in duration (HTTP 400)" },
		{ "TSDB not ready (HTTP 500, API golden file)", "alerts", 500, NULL,
		  "prometheus/error-tsdb-not-ready-openapi-golden-example.json",
		  "prometheus alerts: internal: TSDB not ready (HTTP 500)" },
		{ "error envelope with status 200", "metric:a.b", 200,
		  "{\"status\":\"error\",\"errorType\":\"execution\",\"error\":\"boom\\u001b[2J!"
		  "\"}",
		  NULL, "prometheus metric:a.b: execution: boom!" },
		{ "error envelope without its fields", "alerts", 422, "{\"status\":\"error\"}",
		  NULL, "prometheus alerts: unknown: no message (HTTP 422)" },
		{ "no response at all", "alerts", 0, NULL, NULL, "prometheus alerts: no response" },
		{ "not an object", "alerts", 200, "[1,2]", NULL,
		  "prometheus alerts: the response is not a JSON object" },
		{ "no status", "alerts", 200, "{\"data\":{}}", NULL,
		  "status is missing or not \"success\"" },
		{ "data not an object", "alerts", 200, "{\"status\":\"success\",\"data\":[]}", NULL,
		  "prometheus alerts: data is missing or not an object" },
		{ "alerts not an array", "alerts", 200,
		  "{\"status\":\"success\",\"data\":{\"alerts\":{}}}", NULL,
		  "prometheus alerts: data.groups is missing or not an array" },
		{ "rules not an array", "alerts", 200,
		  "{\"status\":\"success\",\"data\":{\"groups\":[{\"rules\":7}]}}", NULL,
		  "prometheus alerts: group 0: rules is missing or not an array" },
		{ "a duration that is text", "alerts", 200,
		  "{\"status\":\"success\",\"data\":{\"groups\":[{\"rules\":[{\"type\":"
		  "\"alerting\",\"duration\":\"5m\",\"alerts\":[]}]}]}}",
		  NULL, "group 0: rule 0: duration is not a number of seconds" },
		{ "a rule's alerts that are an object", "alerts", 200,
		  "{\"status\":\"success\",\"data\":{\"groups\":[{\"rules\":[{\"type\":"
		  "\"alerting\",\"duration\":0,\"alerts\":{}}]}]}}",
		  NULL, "group 0: rule 0: alerts is not an array" },
		{ "an alert that is a string", "alerts", 200,
		  "{\"status\":\"success\",\"data\":{\"alerts\":[\"x\"]}}", NULL,
		  "alert 0 is not an object" },
		{ "labels not an object", "alerts", 200,
		  "{\"status\":\"success\",\"data\":{\"alerts\":[{\"labels\":[],\"state\":"
		  "\"firing\"}]}}",
		  NULL, "alert 0: labels is missing or not an object" },
		{ "a label value that is a number", "alerts", 200,
		  "{\"status\":\"success\",\"data\":{\"alerts\":[{\"labels\":{\"severity\":5},"
		  "\"state\":\"firing\",\"activeAt\":\"2026-11-28T06:00:00Z\"}]}}",
		  NULL, "alert 0: label severity is not a string" },
		{ "state missing", "alerts", 200,
		  "{\"status\":\"success\",\"data\":{\"alerts\":[{\"labels\":{}}]}}", NULL,
		  "alert 0: state is missing or not a string" },
		{ "activeAt not a timestamp (quoted, sanitized)", "alerts", 200,
		  "{\"status\":\"success\",\"data\":{\"alerts\":[{\"labels\":{},\"state\":"
		  "\"firing\","
		  "\"activeAt\":\"yesterday\\u001b[5m\"}]}}",
		  NULL, "alert 0: activeAt \"yesterday\" is not a timestamp" },
		{ "activeAt a number", "alerts", 200,
		  "{\"status\":\"success\",\"data\":{\"alerts\":[{\"labels\":{},\"state\":"
		  "\"firing\","
		  "\"activeAt\":1795847385}]}}",
		  NULL, "alert 0: activeAt is missing or not a string" },
		{ "\"value\": 5 instead of a string", "metric:a.b", 200,
		  "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
		  "{\"metric\":{},\"values\":[[1795847391,\"1\"],[1795847394,5]]}]}}",
		  NULL, "prometheus metric:a.b: series 0, point 1: the value is not a string" },
		{ "a value that is not a number", "metric:a.b", 200,
		  "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
		  "{\"metric\":{},\"values\":[[1795847391,\"12,5\"]]}]}}",
		  NULL, "series 0, point 0: the value \"12,5\" is not a number" },
		{ "a time that is a string", "metric:a.b", 200,
		  "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
		  "{\"metric\":{},\"values\":[[\"1795847391\",\"1\"]]}]}}",
		  NULL, "series 0, point 0: the time is not a number" },
		{ "a time in milliseconds", "metric:a.b", 200,
		  "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
		  "{\"metric\":{},\"values\":[[1795847391000,\"1\"]]}]}}",
		  NULL, "series 0, point 0: the time is out of range" },
		{ "a point of three", "metric:a.b", 200,
		  "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
		  "{\"metric\":{},\"values\":[[1,\"1\",2]]}]}}",
		  NULL, "series 0, point 0: not a [time, value] pair" },
		{ "values not an array", "metric:a.b", 200,
		  "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
		  "{\"metric\":{},\"values\":{}}]}}",
		  NULL, "series 0: values is missing or not an array" },
		{ "metric not an object", "metric:a.b", 200,
		  "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
		  "{\"values\":[]}]}}",
		  NULL, "series 0: metric is missing or not an object" },
		{ "a label of a series that is not a string", "metric:a.b", 200,
		  "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
		  "{\"metric\":{\"a\":null},\"values\":[]}]}}",
		  NULL, "series 0: a label value is not a string" },
		{ "a vector where a matrix belongs (live)", "metric:a.b", 200, NULL,
		  "live/prometheus-query-empty.json",
		  "data.resultType is \"vector\", expected \"matrix\"" },
		{ "result not an array", "metric:a.b", 200,
		  "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":{}}}",
		  NULL, "data.result is missing or not an array" },
		{ "a stream it does not have", "silences", 200,
		  "{\"status\":\"success\",\"data\":{}}", NULL,
		  "prometheus silences: not a stream of this source" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		check_bad(&cases[i]);
}

/* A transport failure and a body over the limit have their own words. */
static void
source_prometheus__transport_failures_are_reported(void **state)
{
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, "http://127.0.0.1:9090", NULL, 60);
	ctx = ctx_for(&t);
	response_text(&resp, 0, NULL);
	string_copy(resp.error, "Connection refused\x1b[0m");
	assert_int_equal(parse(&ctx, "alerts", &resp, &page), ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "prometheus alerts: no response: Connection refused");
	source_page_release(&page);
	response_release(&resp);

	response_text(&resp, 200, "{\"status\":\"succ");
	resp.too_big = true;
	assert_int_equal(parse(&ctx, "alerts", &resp, &page), ERROR_CUSTOM_MESSAGE);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "larger than the size limit"));
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

/*
 * The shared helpers (source.c)
 */

static void
source_prometheus__ops_table_finds_each_type(void **state)
{
	(void)state;
	assert_ptr_equal(source_ops_find("prometheus"), &source_prometheus_ops);
	assert_ptr_equal(source_ops_find("alertmanager"), &source_alertmanager_ops);
	assert_null(source_ops_find("Prometheus"));
	assert_null(source_ops_find(""));
	assert_null(source_ops_find(NULL));
}

/* Records grow in arrays the page owns; strings live in page blocks that do not
 * move; every milestone starts unknown. ASan and valgrind check the freeing. */
static void
source_prometheus__page_owns_what_its_records_point_to(void **state)
{
	struct source_page page;
	struct store_incident *inc;
	const char *first = NULL;
	size_t i;

	(void)state;
	source_page_init(&page);
	assert_int_equal(page.observed_at, TIME_NONE);
	assert_null(source_page_strdup(&page, NULL));
	assert_null(source_page_strndup(&page, NULL, 3));
	assert_string_equal(source_page_strndup(&page, "abcdef", 3), "abc");
	assert_string_equal(source_page_strdup(&page, ""), "");
	for (i = 0; i < 1000; i++) {
		char id[32];

		snprintf(id, sizeof(id), "id-%zu", i);
		inc = source_page_incident(&page);
		inc->source_id = source_page_strdup(&page, id);
		if (i == 0)
			first = inc->source_id;
		source_page_event(&page)->incident_id = inc->source_id;
		source_page_sample(&page)->ts = (int64_t)i;
	}
	assert_int_equal(page.n_incidents, 1000);
	assert_int_equal(page.n_events, 1000);
	assert_int_equal(page.n_samples, 1000);
	assert_ptr_equal(page.incidents[0].source_id, first);
	assert_string_equal(page.incidents[999].source_id, "id-999");
	assert_int_equal(page.incidents[500].detected_at, TIME_NONE);
	assert_int_equal(page.incidents[500].resolved_at, TIME_NONE);
	assert_int_equal(page.incidents[500].updated_at, TIME_NONE);
	assert_int_equal(page.events[7].at, TIME_NONE);
	assert_int_equal(page.samples[7].ts, 7);
	assert_non_null(source_page_alloc(&page, 0));
	page.cursor = xstrdup("42");
	page.next = xcalloc(1, sizeof(*page.next));
	page.next->url = xstrdup("http://x/next");
	source_page_release(&page);
	assert_int_equal(page.n_incidents, 0);
	assert_null(page.incidents);
	/* Releasing twice is harmless. */
	source_page_release(&page);
}

static void
source_prometheus__requests_own_their_strings(void **state)
{
	struct source_request *reqs = NULL, *req;
	size_t n = 0;

	(void)state;
	req = source_request_add(&reqs, &n, "alerts", "GET", xstrdup("http://a/1"));
	source_request_header(req, "Authorization", "Bearer x");
	req = source_request_add(&reqs, &n, "metric:a.b", NULL, xstrdup("http://a/2"));
	req->body = xstrdup("q=1");
	source_request_header(req, "Content-Type", "text/plain");
	source_request_header(req, "Accept", "application/json");
	assert_int_equal(n, 2);
	assert_string_equal(reqs[0].stream, "alerts");
	assert_string_equal(reqs[0].headers[0].value, "Bearer x");
	assert_string_equal(reqs[1].method, "GET"); /* NULL means GET */
	assert_int_equal(reqs[1].n_headers, 2);
	source_requests_free(reqs, n);
	source_requests_free(NULL, 0);
	source_request_release(NULL);
}

static void
source_prometheus__url_join_ignores_trailing_slashes(void **state)
{
	static const char *const cases[][3] = {
		{ "http://h:9090", "/api/v1/alerts", "http://h:9090/api/v1/alerts" },
		{ "http://h:9090/", "/api/v1/alerts", "http://h:9090/api/v1/alerts" },
		{ "http://h/prom//", "/api/v1/alerts", "http://h/prom/api/v1/alerts" },
		{ "", "/x", "/x" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *url = source_url(cases[i][0], cases[i][1]);

		assert_string_equal(url, cases[i][2]);
		free(url);
	}
}

static void
source_prometheus__severity_labels_map_to_priorities(void **state)
{
	static const char *const cases[][2] = {
		{ "critical", "P1" }, { "CRITICAL", "P1" }, { "high", "P2" }, { "error", "P2" },
		{ "warning", "P3" },  { "Warning", "P3" },  { "info", "P4" }, { "P1", "P1" },
		{ "p3", "P3" },	      { "P5", "P5" },	    { "page", NULL }, { "P6", NULL },
		{ "", NULL },	      { "crit", NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *got = source_severity(cases[i][0]);

		if (cases[i][1])
			assert_string_equal(got, cases[i][1]);
		else
			assert_null(got);
	}
	assert_null(source_severity(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(source_prometheus__live_firing_alert_is_an_open_incident),
		cmocka_unit_test(source_prometheus__alert_hash_is_the_alertmanager_fingerprint),
		cmocka_unit_test(source_prometheus__docs_alert_offset_is_normalised_to_utc),
		cmocka_unit_test(source_prometheus__live_rules_give_the_same_incident),
		cmocka_unit_test(source_prometheus__pending_period_delays_detection),
		cmocka_unit_test(source_prometheus__labels_choose_service_title_and_severity),
		cmocka_unit_test(source_prometheus__refire_after_a_gap_is_a_new_incident),
		cmocka_unit_test(source_prometheus__untrusted_title_is_kept_unchanged),
		cmocka_unit_test(source_prometheus__empty_alert_list_is_an_empty_snapshot),
		cmocka_unit_test(source_prometheus__live_range_query_becomes_samples),
		cmocka_unit_test(source_prometheus__docs_matrix_has_every_series),
		cmocka_unit_test(source_prometheus__nan_and_inf_samples_are_skipped),
		cmocka_unit_test(source_prometheus__empty_matrix_leaves_the_cursor),
		cmocka_unit_test(source_prometheus__metric_without_dot_has_default_service),
		cmocka_unit_test(source_prometheus__plan_requests_alerts_and_each_metric),
		cmocka_unit_test(source_prometheus__plan_sends_the_token_and_keeps_the_path_prefix),
		cmocka_unit_test(source_prometheus__long_window_is_read_in_pages),
		cmocka_unit_test(source_prometheus__bad_or_future_cursor_is_survived),
		cmocka_unit_test(source_prometheus__plan_without_url_fails_cleanly),
		cmocka_unit_test(source_prometheus__bad_responses_name_the_problem),
		cmocka_unit_test(source_prometheus__transport_failures_are_reported),
		cmocka_unit_test(source_prometheus__ops_table_finds_each_type),
		cmocka_unit_test(source_prometheus__page_owns_what_its_records_point_to),
		cmocka_unit_test(source_prometheus__requests_own_their_strings),
		cmocka_unit_test(source_prometheus__url_join_ignores_trailing_slashes),
		cmocka_unit_test(source_prometheus__severity_labels_map_to_priorities),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
