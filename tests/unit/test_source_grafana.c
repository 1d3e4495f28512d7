/* test_source_grafana.c - the Grafana source: payloads in the shapes Grafana 11
 * serves (tests/fixtures/grafana, written for these tests after the documented
 * examples) and the live Alertmanager captures (Grafana's alerting serves the same
 * API), parsed into exact incidents, events and samples; the cursors that carry a
 * rule's pending period and an incident's span from stream to stream; the requests
 * a round plans (URLs, millisecond windows, the /api/ds/query body, the token); and
 * a table of bad responses, each with the error it must give. Nothing here opens a
 * socket: responses are handed to ops->parse as the engine would. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#include "source_support.h"

#include "sitrep/config.h"
#include "support.h"

/* 2026-11-28T06:30:00Z. */
#define NOW 1795847400
#define T(hms) ts("2026-11-28T" hms "Z")

#define RULE_A "ddz3xq7wcvv28a" /* HighCPU, id 12, for 5m */
#define RULE_B "fe1k2j3h4g5f6d" /* DiskFilling, id 13, for 0s */
#define RULES_CURSOR                                                                         \
	"{\"c3c3c3\":[14,90],\"d4d4\":[15,null],\"" RULE_A "\":[12,300],\"" RULE_B "\":[13," \
	"0]}"
#define ID_A "fp:b1f3a6c2d4e5f708:1795846800"
#define ID_B "fp:0c9d8e7f6a5b4c3d:1795847110"
#define ID_C "fp:77aa88bb99cc00dd:1795847280"
#define SILENCE "9b2f7c1e-3a4d-4e5f-8a6b-7c8d9e0f1a2b"

/*
 * Fixtures
 */

/* The stored cursors of the streams, as the engine would hand them out. */
struct cursors {
	const char *rules, *alerts, *annotations, *metric;
};

static const char *
cursor_of(void *engine, const char *stream)
{
	const struct cursors *c = engine;

	if (streq(stream, "rules"))
		return c->rules;
	if (streq(stream, "alerts"))
		return c->alerts;
	if (streq(stream, "annotations"))
		return c->annotations;
	if (strncmp(stream, "metric:", 7) == 0)
		return c->metric;
	return NULL;
}

static void
source_init(struct test_source *t, const char *service)
{
	test_source_init(t, "graf", "grafana", "https://grafana.example.com/", service);
}

static struct source_ctx
ctx_for(const struct test_source *t, const struct cursors *c, int64_t now)
{
	struct source_ctx ctx = { 0 };

	ctx.name = "graf";
	ctx.config = &t->src;
	ctx.now = now;
	ctx.cursor = cursor_of;
	ctx.engine = (void *)(uintptr_t)c;
	return ctx;
}

static const struct source_ops *
ops(void)
{
	const struct source_ops *o = source_ops_find("grafana");

	assert_non_null(o);
	assert_ptr_equal(o, &source_grafana_ops);
	return o;
}

static enum status_code
parse_url(const struct source_ctx *ctx, const char *stream, const char *url,
	  const struct http_response *resp, struct source_page *page)
{
	return test_parse_get("grafana", ctx, stream,
			      url ? url : "https://grafana.example.com/api/x", "Authorization",
			      "Bearer glsa_t0ken", resp, page);
}

static enum status_code
parse(const struct source_ctx *ctx, const char *stream, const struct http_response *resp,
      struct source_page *page)
{
	return parse_url(ctx, stream, NULL, resp, page);
}

/* Parses a fixture file for a stream; the parse must succeed. */
static void
parse_file(const struct source_ctx *ctx, const char *stream, const char *file,
	   struct source_page *page)
{
	struct http_response resp;
	enum status_code code;

	response_file(&resp, 200, file);
	code = parse(ctx, stream, &resp, page);
	if (code != SUCCESS)
		fail_msg("%s: %s", file, status_message(code));
	response_release(&resp);
}

static void
assert_event(const struct source_event *ev, const char *incident, int64_t at, const char *kind,
	     const char *actor, const char *text, const char *id)
{
	assert_string_equal(ev->incident_id, incident);
	assert_int_equal(ev->at, at);
	assert_string_equal(ev->kind, kind);
	if (actor)
		assert_string_equal(ev->actor, actor);
	else
		assert_null(ev->actor);
	if (text)
		assert_string_equal(ev->text, text);
	else
		assert_null(ev->text);
	if (id)
		assert_string_equal(ev->event_id, id);
	else
		assert_null(ev->event_id);
}

/* The alerts stream's cursor after reading alerts.json at NOW with the rules known
 * (new): what the annotations stream then reads. */
static char *
alerts_cursor(void)
{
	struct cursors c = { .rules = RULES_CURSOR };
	struct test_source t;
	struct source_page page;
	struct source_ctx ctx;
	char *cursor;

	source_init(&t, NULL);
	ctx = ctx_for(&t, &c, NOW);
	parse_file(&ctx, "alerts", "grafana/alerts.json", &page);
	cursor = xstrdup(page.cursor);
	source_page_release(&page);
	source_release(&t);
	return cursor;
}

/*
 * Alerts
 */

/* Each firing instance is an open incident as the alertmanager source reads it;
 * impact starts the rule's pending period before startsAt when the rules stream
 * knows the rule, and is unknown otherwise (SPEC 2: it is imputed, and the incident
 * stays out of MTTD). */
static void
source_grafana__alerts_are_incidents_with_the_pending_period(void **state)
{
	struct cursors c = { .rules = RULES_CURSOR };
	struct test_source t;
	struct source_page page;
	struct source_ctx ctx;
	const struct store_incident *a, *b, *d;

	(void)state;
	source_init(&t, "platform");
	ctx = ctx_for(&t, &c, NOW);
	parse_file(&ctx, "alerts", "grafana/alerts.json", &page);
	assert_true(page.snapshot);
	assert_int_equal(page.observed_at, NOW);
	assert_null(page.next);
	assert_int_equal(page.n_incidents, 3);
	assert_int_equal(page.n_samples, 0);

	a = &page.incidents[0];
	assert_string_equal(a->source, "graf");
	assert_string_equal(a->source_id, ID_A);
	assert_string_equal(a->services[0], "checkout");
	assert_string_equal(a->title, "CPU above 95% on web-3");
	assert_string_equal(a->severity, "P1");
	assert_int_equal(a->impact, MX_IMPACT_OUTAGE);
	assert_int_equal(a->detected_at, T("06:20:00"));
	assert_int_equal(a->impact_start, T("06:15:00")); /* for 5m */
	assert_int_equal(a->updated_at, T("06:29:00"));
	assert_int_equal(a->resolved_at, TIME_NONE); /* endsAt 06:33 is a deadline */
	assert_int_equal(a->acknowledged_at, TIME_NONE);
	assert_string_equal(a->url,
			    "https://grafana.example.com/alerting/grafana/" RULE_A "/view?orgId=1");
	assert_non_null(strstr(a->raw_json, "\"__alert_rule_uid__\":\"" RULE_A "\""));

	/* No service or job label: the config's service; startsAt .500 truncated; a
	 * pending period of 0s is known, and zero. */
	b = &page.incidents[1];
	assert_string_equal(b->source_id, ID_B);
	assert_string_equal(b->services[0], "platform");
	assert_string_equal(b->title, "Disk /var on db01 fills within 4 hours");
	assert_string_equal(b->severity, "P3");
	assert_int_equal(b->impact, MX_IMPACT_DEGRADED);
	assert_int_equal(b->detected_at, T("06:25:10"));
	assert_int_equal(b->impact_start, T("06:25:10"));

	/* A rule the rules stream does not know: impact unknown; job as service; an
	 * empty generatorURL is no link; null lists mute nothing. */
	d = &page.incidents[2];
	assert_string_equal(d->source_id, ID_C);
	assert_string_equal(d->services[0], "node");
	assert_string_equal(d->title, "DatasourceNoData");
	assert_string_equal(d->severity, "P4");
	assert_int_equal(d->detected_at, T("06:28:00"));
	assert_int_equal(d->impact_start, TIME_NONE);
	assert_null(d->url);

	assert_int_equal(page.n_events, 5);
	assert_event(&page.events[0], ID_A, T("06:20:00"), "trigger", NULL, NULL, NULL);
	assert_event(&page.events[1], ID_A, NOW, "silence", NULL, NULL, SILENCE);
	assert_event(&page.events[2], ID_B, T("06:25:10"), "trigger", NULL, NULL, NULL);
	assert_event(&page.events[3], ID_B, NOW, "inhibit", NULL, NULL, "b1f3a6c2d4e5f708");
	assert_event(&page.events[4], ID_C, T("06:28:00"), "trigger", NULL, NULL, NULL);

	/* What the annotations stream will need, and when each pair was muted first. */
	assert_string_equal(page.cursor,
			    "{\"known\":{"
			    "\"" ID_B "\":{\"dash\":\"aaa111\",\"from\":1795847110,\"panel\":7,"
			    "\"rule\":\"" RULE_B "\"},"
			    "\"" ID_C "\":{\"from\":1795847280,\"rule\":\"unknown0rule\"},"
			    "\"" ID_A "\":{\"dash\":\"aaa111\",\"from\":1795846500,\"panel\":4,"
			    "\"rule\":\"" RULE_A "\"}},"
			    "\"muted\":{\"" ID_B " inhibit:b1f3a6c2d4e5f708\":1795847400,"
			    "\"" ID_A " " SILENCE "\":1795847400}}");
	source_page_release(&page);
	source_release(&t);
}

/* Without the rules stream's cursor (it failed, or never ran), nothing is known of
 * pending periods; the muting times persist from round to round. */
static void
source_grafana__muted_pairs_keep_their_first_time(void **state)
{
	struct cursors c = { 0 };
	struct test_source t;
	struct source_page page;
	struct source_ctx ctx;
	char *cursor;

	(void)state;
	source_init(&t, NULL);
	ctx = ctx_for(&t, &c, NOW);
	parse_file(&ctx, "alerts", "grafana/alerts.json", &page);
	assert_int_equal(page.incidents[0].impact_start, TIME_NONE);
	assert_int_equal(page.incidents[1].impact_start, TIME_NONE);
	cursor = xstrdup(page.cursor);
	source_page_release(&page);

	/* Two minutes later (before the endsAt deadlines): the same events. */
	c.alerts = cursor;
	ctx = ctx_for(&t, &c, NOW + 120);
	parse_file(&ctx, "alerts", "grafana/alerts.json", &page);
	assert_int_equal(page.n_events, 5);
	assert_int_equal(page.events[1].at, NOW);
	assert_int_equal(page.events[3].at, NOW);
	assert_string_equal(page.cursor, cursor);
	source_page_release(&page);
	free(cursor);
	source_release(&t);
}

/* Grafana's embedded Alertmanager answers as Alertmanager does: the live captures
 * read the same (ids as the alertmanager source makes them), minus a rule. */
static void
source_grafana__live_alertmanager_payload_reads_alike(void **state)
{
	struct cursors c = { .rules = RULES_CURSOR };
	struct test_source t;
	struct source_page page;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, NULL);
	ctx = ctx_for(&t, &c, NOW);
	parse_file(&ctx, "alerts", "live/alertmanager-alerts-after-silence.json", &page);
	assert_int_equal(page.n_incidents, 3);
	assert_string_equal(page.incidents[0].source_id, "fp:2c4297c6bd911066:1795847397");
	assert_string_equal(page.incidents[0].title, "Disk almost full on db01");
	assert_string_equal(page.incidents[0].services[0], "node");
	assert_int_equal(page.incidents[0].impact_start, TIME_NONE);
	assert_int_equal(page.incidents[0].detected_at, 1795847397);
	assert_int_equal(page.n_events, 4);
	assert_string_equal(page.events[1].kind, "silence");
	assert_string_equal(page.events[1].event_id, "5fe969df-a83d-46fc-8bf0-70a82a8fbfec");
	source_page_release(&page);

	parse_file(&ctx, "alerts", "live/alertmanager-alerts-filtered.json", &page);
	assert_true(page.snapshot);
	assert_int_equal(page.n_incidents, 0);
	assert_string_equal(page.cursor, "{\"known\":{},\"muted\":{}}");
	source_page_release(&page);
	source_release(&t);
}

/* Grafana does not list a resolved instance; when one is listed with its endsAt
 * already past (our clock ahead of Grafana's), it is resolved at endsAt. */
static void
source_grafana__listed_alert_past_its_end_is_resolved(void **state)
{
	static const char body[] =
		"[{\"labels\":{\"alertname\":\"A\",\"__alert_rule_uid__\":\"" RULE_A "\"},"
		"\"fingerprint\":\"00000000000000aa\",\"startsAt\":\"2026-11-28T06:00:00Z\","
		"\"updatedAt\":\"2026-11-28T06:10:00Z\",\"endsAt\":\"2026-11-28T06:12:00.900Z\","
		"\"status\":{\"state\":\"active\",\"silencedBy\":[],\"inhibitedBy\":[]}}]";
	struct cursors c = { .rules = RULES_CURSOR };
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, NULL);
	ctx = ctx_for(&t, &c, NOW);
	response_text(&resp, 200, body);
	assert_int_equal(parse(&ctx, "alerts", &resp, &page), SUCCESS);
	assert_int_equal(page.incidents[0].resolved_at, T("06:12:00"));
	assert_int_equal(page.incidents[0].updated_at, T("06:12:00"));
	assert_int_equal(page.incidents[0].impact_start, T("05:55:00"));
	assert_int_equal(page.n_events, 2);
	assert_event(&page.events[1], "fp:00000000000000aa:1795845600", T("06:12:00"), "resolve",
		     NULL, NULL, NULL);
	assert_non_null(strstr(page.cursor, "\"to\":1795846320"));
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

/* An incident no longer listed ended at this poll, as the engine resolves it; the
 * cursor keeps it a week for late annotations, then forgets it. */
static void
source_grafana__vanished_incidents_are_kept_a_week(void **state)
{
	struct cursors c = {
		.alerts = "{\"known\":{"
			  "\"gone\":{\"rule\":\"r\",\"from\":1795840000},"
			  "\"ended\":{\"rule\":\"r\",\"from\":1795000000,\"to\":1795300000},"
			  "\"old\":{\"rule\":\"r\",\"from\":1795000000,\"to\":1795000001},"
			  "\"junk\":7},\"muted\":{}}",
	};
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, NULL);
	ctx = ctx_for(&t, &c, NOW);
	response_text(&resp, 200, "[]");
	assert_int_equal(parse(&ctx, "alerts", &resp, &page), SUCCESS);
	assert_string_equal(page.cursor,
			    "{\"known\":{"
			    "\"ended\":{\"from\":1795000000,\"rule\":\"r\",\"to\":1795300000},"
			    "\"gone\":{\"from\":1795840000,\"rule\":\"r\",\"to\":1795847400}},"
			    "\"muted\":{}}");
	source_page_release(&page);

	/* A cursor that is not ours starts afresh. */
	c.alerts = "1795847397";
	assert_int_equal(parse(&ctx, "alerts", &resp, &page), SUCCESS);
	assert_string_equal(page.cursor, "{\"known\":{},\"muted\":{}}");
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

/*
 * Rules
 */

/* The ruler API gives each rule's numeric id (annotations name it) and pending
 * period; nothing else is kept, and no record made. */
static void
source_grafana__rules_keep_ids_and_pending_periods(void **state)
{
	struct cursors c = { 0 };
	struct test_source t;
	struct source_page page;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, NULL);
	ctx = ctx_for(&t, &c, NOW);
	parse_file(&ctx, "rules", "grafana/ruler-rules.json", &page);
	assert_int_equal(page.n_incidents + page.n_events + page.n_samples, 0);
	assert_false(page.snapshot);
	/* "1y" is not read: unknown, not zero. */
	assert_string_equal(page.cursor, RULES_CURSOR);
	source_page_release(&page);
	source_release(&t);
}

/*
 * Annotations
 */

/* Annotations of an incident's rule (alertId) or of its rule's panel, within its
 * span, are events on its timeline; the rest concern no incident of this source. */
static void
source_grafana__annotations_become_timeline_events(void **state)
{
	char *alerts = alerts_cursor();
	struct cursors c = { .rules = RULES_CURSOR, .alerts = alerts };
	struct test_source t;
	struct source_page page;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, NULL);
	ctx = ctx_for(&t, &c, NOW);
	parse_file(&ctx, "annotations", "grafana/annotations.json", &page);
	assert_int_equal(page.n_incidents, 0);
	assert_false(page.snapshot);
	assert_null(page.next);
	assert_int_equal(page.n_events, 6);
	/* A region on the panel: its start and its end. */
	assert_event(&page.events[0], ID_A, T("06:25:00"), "annotation", "dana",
		     "Rolled back checkout 2.14.0 [deploy, rollback]", "5012");
	assert_event(&page.events[1], ID_A, T("06:28:00"), "annotation-end", "dana",
		     "Rolled back checkout 2.14.0 [deploy, rollback]", "5012");
	assert_event(&page.events[2], ID_A, T("06:20:00"), "state", NULL,
		     "Pending -> Alerting: HighCPU {alertname=HighCPU, instance=web-3, "
		     "service=checkout, severity=critical} - B=97.3",
		     "5011");
	/* A state with a reason; the ms are truncated. */
	assert_event(&page.events[3], ID_B, T("06:25:10"), "state", NULL,
		     "Normal -> Alerting (NoData)", "5010");
	/* userName when there is no login; tags alone. */
	assert_event(&page.events[4], ID_A, T("06:22:00"), "annotation", "lee", "[note]", "5009");
	/* 5008 (the organisation's), 5007 (another dashboard) and 5006 (the rule's
	 * earlier firing) belong to none; the Pending state at impact start does. */
	assert_event(&page.events[5], ID_A, T("06:15:00"), "state", NULL,
		     "Normal -> Pending: HighCPU {alertname=HighCPU, instance=web-3, "
		     "service=checkout, severity=critical} - B=96.1",
		     "5005");
	/* The newest time seen, in ms. */
	assert_string_equal(page.cursor, "1795847110500");
	source_page_release(&page);

	/* Without the alerts cursor nothing is known: no event, the cursor moves on. */
	c.alerts = NULL;
	parse_file(&ctx, "annotations", "grafana/annotations.json", &page);
	assert_int_equal(page.n_events, 0);
	assert_string_equal(page.cursor, "1795847110500");
	source_page_release(&page);

	/* The cursor never moves back; an empty page leaves it. */
	c.annotations = "1795847999000";
	parse_file(&ctx, "annotations", "grafana/annotations.json", &page);
	assert_string_equal(page.cursor, "1795847999000");
	source_page_release(&page);
	free(alerts);
	source_release(&t);
}

/* An incident that ended is no longer matched after its end. */
static void
source_grafana__annotations_after_an_incident_are_not_its(void **state)
{
	static const char body[] =
		"[{\"id\":9,\"alertId\":12,\"time\":1795847000000,\"newState\":\"Normal\","
		"\"prevState\":\"Alerting\"},"
		"{\"id\":8,\"alertId\":12,\"time\":1795846000000,\"newState\":\"Normal\","
		"\"prevState\":\"Alerting\"}]";
	struct cursors c = {
		.rules = RULES_CURSOR,
		.alerts = "{\"known\":{\"x\":{\"rule\":\"" RULE_A "\",\"from\":1795845000,"
			  "\"to\":1795846500}}}",
	};
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, NULL);
	ctx = ctx_for(&t, &c, NOW);
	response_text(&resp, 200, body);
	assert_int_equal(parse(&ctx, "annotations", &resp, &page), SUCCESS);
	assert_int_equal(page.n_events, 1);
	assert_event(&page.events[0], "x", 1795846000, "state", NULL, "Alerting -> Normal", "8");
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

/* A body of n point annotations, newest first from `newest` ms, step ms apart. */
static char *
annotation_page(size_t n, int64_t newest, int64_t step)
{
	struct buf b;

	buf_init(&b, 0);
	buf_addch(&b, '[');
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s{\"id\":%zu,\"time\":%lld,\"timeEnd\":%lld,\"text\":\"x\"}",
			   i ? "," : "", 100 + i, (long long)(newest - (int64_t)i * step),
			   (long long)(newest - (int64_t)i * step));
	buf_addch(&b, ']');
	return buf_detach(&b);
}

/* A full page asks for the next by narrowing `to` to its oldest time; the round's
 * newest time rides in the URL's fragment to the last page, which sets the cursor. */
static void
source_grafana__full_annotation_pages_are_followed(void **state)
{
	static const char first_url[] = "https://grafana.example.com/api/annotations?"
					"from=1795846800000&to=1795847400000&limit=100";
	struct cursors c = { .annotations = "1795847100000" };
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;
	char *body, *next;

	(void)state;
	source_init(&t, NULL);
	ctx = ctx_for(&t, &c, NOW);
	body = annotation_page(100, 1795847300000, 1000);
	response_text(&resp, 200, body);
	assert_int_equal(parse_url(&ctx, "annotations", first_url, &resp, &page), SUCCESS);
	assert_null(page.cursor); /* not before the last page */
	assert_non_null(page.next);
	assert_string_equal(page.next->stream, "annotations");
	assert_string_equal(page.next->method, "GET");
	assert_string_equal(page.next->url,
			    "https://grafana.example.com/api/annotations?from=1795846800000&"
			    "to=1795847201000&limit=100#sitrep-newest=1795847300000");
	assert_int_equal(page.next->n_headers, 1);
	assert_string_equal(page.next->headers[0].value, "Bearer glsa_t0ken");
	next = xstrdup(page.next->url);
	source_page_release(&page);
	response_release(&resp);
	free(body);

	/* The last page: the cursor is the round's newest, not this page's. */
	body = annotation_page(3, 1795847201000, 1000);
	response_text(&resp, 200, body);
	assert_int_equal(parse_url(&ctx, "annotations", next, &resp, &page), SUCCESS);
	assert_null(page.next);
	assert_string_equal(page.cursor, "1795847300000");
	source_page_release(&page);
	response_release(&resp);
	free(body);

	/* A whole page at one millisecond: the rest of it is skipped, not re-read
	 * forever. */
	body = annotation_page(100, 1795847201000, 0);
	response_text(&resp, 200, body);
	assert_int_equal(parse_url(&ctx, "annotations", next, &resp, &page), SUCCESS);
	assert_non_null(strstr(page.next->url, "&to=1795847200999&"));
	source_page_release(&page);
	response_release(&resp);
	free(body);

	/* A server that ignores `to` would page forever: refused. */
	body = annotation_page(100, 1795847300000, 1000);
	response_text(&resp, 200, body);
	assert_int_equal(parse_url(&ctx, "annotations", next, &resp, &page), ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "grafana annotations: annotation 0 at 1795847300000 ms is after the "
			    "window's end (1795847201000): the server ignores `to`");
	source_page_release(&page);
	response_release(&resp);
	free(body);
	free(next);
	source_release(&t);
}

/*
 * Metrics: /api/ds/query
 */

static char m1_name[] = "checkout.rpm", m2_name[] = "search.latency", m3_name[] = "fleet";
static char graf[] = "graf", other[] = "other";
static char m1_query[] = "prom-main: sum by (code, job) (rate(http_requests_total[5m])) * 60";
static char m2_query[] = "prom-main: x", m3_query[] = " prom_2 :\tup == 0 ";
static const struct config_metric metrics[] = {
	{ m1_name, graf, m1_query },
	{ m2_name, other, m2_query },
	{ m3_name, graf, m3_query },
};

/* One series per numeric field, labelled by the field's labels; times are epoch
 * ms (truncated to the second), and a null (NaN, listed in data.entities) is no
 * sample but still moves the cursor. */
static void
source_grafana__frames_become_samples(void **state)
{
	struct cursors c = { 0 };
	struct test_source t;
	struct source_page page;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, NULL);
	ctx = ctx_for(&t, &c, NOW);
	parse_file(&ctx, "metric:checkout.rpm", "grafana/ds-query-range-frames.json", &page);
	assert_int_equal(page.n_incidents + page.n_events, 0);
	assert_int_equal(page.n_samples, 4);
	for (size_t i = 0; i < page.n_samples; i++) {
		assert_string_equal(page.samples[i].series, "checkout.rpm");
		assert_string_equal(page.samples[i].service, "checkout");
	}
	assert_string_equal(page.samples[0].labels, "code=200,job=api");
	assert_int_equal(page.samples[0].ts, 1795847340);
	assert_true(page.samples[0].value == 1250.5);
	assert_string_equal(page.samples[1].labels, "code=200,job=api");
	assert_int_equal(page.samples[1].ts, 1795847400);
	assert_true(page.samples[1].value == 1302);
	/* ',' and '\' in a label value are escaped. */
	assert_string_equal(page.samples[2].labels, "code=500,job=api,route=/cart\\,/pay\\\\x");
	assert_int_equal(page.samples[2].ts, 1795847340);
	assert_true(page.samples[2].value == 0);
	assert_int_equal(page.samples[3].ts, 1795847370);
	assert_true(page.samples[3].value == 4.25);
	assert_string_equal(page.cursor, "1795847400");
	source_page_release(&page);
	source_release(&t);
}

/* The testdata shape: int64 values, no labels, a string field that is no series;
 * a metric without a dot has the config's service. */
static void
source_grafana__wide_frame_without_labels(void **state)
{
	struct cursors c = { 0 };
	struct test_source t;
	struct source_page page;
	struct source_ctx ctx;
	static const int64_t want[][2] = {
		{ 1795847040, 3 },  { 1795847100, 14 }, { 1795847220, 15 },
		{ 1795847280, 92 }, { 1795847340, 6 },
	};

	(void)state;
	source_init(&t, "platform");
	ctx = ctx_for(&t, &c, NOW);
	parse_file(&ctx, "metric:fleet", "grafana/ds-query-testdata-wide.json", &page);
	assert_int_equal(page.n_samples, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		assert_string_equal(page.samples[i].series, "fleet");
		assert_string_equal(page.samples[i].service, "platform");
		assert_string_equal(page.samples[i].labels, "");
		assert_int_equal(page.samples[i].ts, want[i][0]);
		assert_true(page.samples[i].value == (double)want[i][1]);
	}
	assert_string_equal(page.cursor, "1795847340");
	source_page_release(&page);
	source_release(&t);
}

/* No frames (no data in the window): no sample, the cursor stays. */
static void
source_grafana__no_frames_leave_the_cursor(void **state)
{
	static const char *const bodies[] = {
		"{\"results\":{\"A\":{\"status\":200,\"frames\":[]}}}",
		"{\"results\":{\"A\":{\"status\":200}}}",
		"{\"results\":{\"A\":{\"frames\":[{\"schema\":{\"fields\":[{\"name\":\"Time\","
		"\"type\":\"time\"},{\"name\":\"Value\",\"type\":\"number\"}]},"
		"\"data\":{\"values\":[[],[]]}}]}}}",
		"{\"results\":{\"A\":{\"frames\":[{\"schema\":{\"fields\":[]}}]}}}",
	};
	struct cursors c = { 0 };
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, NULL);
	ctx = ctx_for(&t, &c, NOW);
	for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
		response_text(&resp, 200, bodies[i]);
		assert_int_equal(parse(&ctx, "metric:checkout.rpm", &resp, &page), SUCCESS);
		assert_int_equal(page.n_samples, 0);
		assert_null(page.cursor);
		source_page_release(&page);
		response_release(&resp);
	}
	source_release(&t);
}

/* Epoch milliseconds are truncated to the second, never rounded: .999 is still
 * the second it belongs to (a real-valued time too). */
static void
source_grafana__milliseconds_are_truncated(void **state)
{
	static const char frames[] =
		"{\"results\":{\"A\":{\"frames\":[{\"schema\":{\"fields\":[{\"type\":\"time\"},"
		"{\"type\":\"number\"}]},\"data\":{\"values\":[[1795847398999,1795847399999.0,"
		"1795847400001],[1,2,3]]}}]}}}";
	static const char notes[] = "[{\"id\":1,\"time\":1795846799999,\"alertId\":12,"
				    "\"newState\":\"Alerting\",\"prevState\":\"Pending\"}]";
	struct cursors c = {
		.rules = RULES_CURSOR,
		.alerts = "{\"known\":{\"x\":{\"rule\":\"" RULE_A "\",\"from\":1795846800}}}",
	};
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, NULL);
	ctx = ctx_for(&t, &c, NOW);
	response_text(&resp, 200, frames);
	assert_int_equal(parse(&ctx, "metric:a.b", &resp, &page), SUCCESS);
	assert_int_equal(page.n_samples, 3);
	assert_int_equal(page.samples[0].ts, 1795847398);
	assert_int_equal(page.samples[1].ts, 1795847399);
	assert_int_equal(page.samples[2].ts, 1795847400);
	assert_string_equal(page.cursor, "1795847400");
	source_page_release(&page);
	response_release(&resp);

	/* A state change a millisecond before the span's second, within the slack. */
	response_text(&resp, 200, notes);
	assert_int_equal(parse(&ctx, "annotations", &resp, &page), SUCCESS);
	assert_int_equal(page.n_events, 1);
	assert_int_equal(page.events[0].at, 1795846799);
	assert_string_equal(page.cursor, "1795846799999");
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

/*
 * Plan
 */

static void
assert_bearer(const struct source_request *req)
{
	assert_string_equal(req->headers[req->n_headers - 1].name, "Authorization");
	assert_string_equal(req->headers[req->n_headers - 1].value, "Bearer glsa_t0ken");
}

/* A round asks rules, alerts and annotations, then each metric of this source,
 * with the token; a first round reads a week of annotations. */
static void
source_grafana__plan_asks_every_stream(void **state)
{
	struct source_request *reqs = NULL;
	struct cursors c = { 0 };
	struct test_source t;
	struct source_ctx ctx;
	size_t n = 0;

	(void)state;
	source_init(&t, NULL);
	ctx = ctx_for(&t, &c, NOW);
	ctx.secret = "glsa_t0ken";
	ctx.metrics = metrics;
	ctx.n_metrics = ARRAY_SIZE(metrics);
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), SUCCESS);
	assert_int_equal(n, 5);
	assert_string_equal(reqs[0].stream, "rules");
	assert_string_equal(reqs[0].method, "GET");
	assert_string_equal(reqs[0].url,
			    "https://grafana.example.com/api/ruler/grafana/api/v1/rules");
	assert_string_equal(reqs[1].stream, "alerts");
	assert_string_equal(reqs[1].url, "https://grafana.example.com/api/alertmanager/grafana/"
					 "api/v2/alerts?silenced=true&inhibited=true");
	assert_string_equal(reqs[2].stream, "annotations");
	assert_string_equal(reqs[2].url, "https://grafana.example.com/api/annotations?"
					 "from=1795242600000&to=1795847400000&limit=100");
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(reqs[i].n_headers, 1);
		assert_null(reqs[i].body);
		assert_bearer(&reqs[i]);
	}
	assert_string_equal(reqs[3].stream, "metric:checkout.rpm");
	assert_string_equal(reqs[3].method, "POST");
	assert_string_equal(reqs[3].url, "https://grafana.example.com/api/ds/query");
	/* An hour back (no cursor) aligned to the 60 s interval, in epoch ms. */
	assert_string_equal(reqs[3].body,
			    "{\"queries\":[{\"refId\":\"A\",\"datasource\":{\"uid\":\"prom-main\"},"
			    "\"expr\":\"sum by (code, job) (rate(http_requests_total[5m])) * 60\","
			    "\"range\":true,\"instant\":false,\"intervalMs\":60000,"
			    "\"maxDataPoints\":11000}],"
			    "\"from\":\"1795843800000\",\"to\":\"1795847400000\"}");
	assert_int_equal(reqs[3].n_headers, 2);
	assert_string_equal(reqs[3].headers[0].name, "Content-Type");
	assert_string_equal(reqs[3].headers[0].value, "application/json");
	assert_bearer(&reqs[3]);
	/* Spaces and tabs around the parts are no part of them. */
	assert_string_equal(reqs[4].stream, "metric:fleet");
	assert_non_null(strstr(reqs[4].body, "\"datasource\":{\"uid\":\"prom_2\"},"
					     "\"expr\":\"up == 0 \""));
	/* The token is in the header only. */
	for (size_t i = 0; i < n; i++) {
		assert_null(strstr(reqs[i].url, "t0ken"));
		assert_true(!reqs[i].body || !strstr(reqs[i].body, "t0ken"));
	}
	source_requests_free(reqs, n);
	source_release(&t);
}

/* The cursors move the windows: annotations re-read five minutes before theirs,
 * metrics start at the last sample (aligned), a damaged cursor starts afresh. */
static void
source_grafana__plan_windows_follow_the_cursors(void **state)
{
	struct source_request *reqs = NULL;
	struct cursors c = { .annotations = "1795847110500", .metric = "1795847370" };
	struct test_source t;
	struct source_ctx ctx;
	size_t n = 0;

	(void)state;
	source_init(&t, NULL);
	ctx = ctx_for(&t, &c, NOW);
	ctx.metrics = metrics;
	ctx.n_metrics = 1;
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), SUCCESS);
	assert_int_equal(n, 4);
	assert_string_equal(reqs[2].url, "https://grafana.example.com/api/annotations?"
					 "from=1795846810500&to=1795847400000&limit=100");
	assert_non_null(
		strstr(reqs[3].body, "\"from\":\"1795847340000\",\"to\":\"1795847400000\""));
	/* No secret: no header but the content type. */
	assert_int_equal(reqs[0].n_headers, 0);
	assert_int_equal(reqs[3].n_headers, 1);
	source_requests_free(reqs, n);

	/* A week is the most a round looks back; garbage is no cursor. */
	reqs = NULL;
	n = 0;
	c.annotations = "17958";
	c.metric = "soon";
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), SUCCESS);
	assert_string_equal(reqs[2].url, "https://grafana.example.com/api/annotations?"
					 "from=1795242600000&to=1795847400000&limit=100");
	assert_non_null(strstr(reqs[3].body, "\"from\":\"1795843800000\""));
	source_requests_free(reqs, n);
	source_release(&t);
}

/* A metric's query names its data source: a query without one is a config error
 * named at plan time, before any request. */
static void
source_grafana__plan_refuses_a_query_without_data_source(void **state)
{
	static const char *const bad[] = {
		"sitrep:rpm{service=\"checkout\"}", /* a recording rule, not a uid */
		"prom-main:up",			    /* no space after the colon */
		": up",
		"prom main: up",
		"prom-main:   ",
		"",
	};
	struct source_request *reqs = NULL;
	struct config_metric m = { m1_name, graf, NULL };
	struct cursors c = { 0 };
	struct test_source t;
	struct source_ctx ctx;
	size_t n = 0;

	(void)state;
	source_init(&t, NULL);
	ctx = ctx_for(&t, &c, NOW);
	ctx.metrics = &m;
	ctx.n_metrics = 1;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		m.query = (char *)(uintptr_t)bad[i];
		assert_int_equal(ops()->plan(&ctx, &reqs, &n), ERROR_CUSTOM_MESSAGE);
		assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
				    "grafana graf: metric \"checkout.rpm\": the query must be "
				    "\"DATASOURCE-UID: EXPRESSION\"");
		assert_int_equal(n, 0);
		assert_null(reqs);
	}
	source_release(&t);

	test_source_init(&t, "graf", "grafana", NULL, NULL);
	ctx = ctx_for(&t, &c, NOW);
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "grafana graf: no url configured");
	assert_int_equal(n, 0);
	source_release(&t);
}

/*
 * Bad responses
 */

struct bad_case {
	const char *why;
	const char *stream;
	long status;
	const char *body;
	const char *expect;
};

static void
check_bad(const struct bad_case *bc)
{
	struct cursors c = { .rules = RULES_CURSOR };
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;
	enum status_code code;
	const char *msg, *p;

	source_init(&t, NULL);
	ctx = ctx_for(&t, &c, NOW);
	response_text(&resp, bc->status, bc->body);
	code = parse(&ctx, bc->stream, &resp, &page);
	msg = status_message(code);
	if (code == SUCCESS || !strstr(msg, bc->expect))
		fail_msg("%s: got \"%s\", want an error with \"%s\"", bc->why, msg, bc->expect);
	for (p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fail_msg("%s: control character in \"%s\"", bc->why, msg);
	if (strstr(msg, "t0ken"))
		fail_msg("%s: the token in \"%s\"", bc->why, msg);
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

static void
source_grafana__bad_responses_name_the_problem(void **state)
{
	static const struct bad_case cases[] = {
		/* Grafana's own errors. */
		{ "401 with Grafana's error JSON", "alerts", 401,
		  "{\"message\":\"Invalid API key\",\"messageId\":\"api-key.invalid\","
		  "\"statusCode\":401,\"traceID\":\"\"}",
		  "grafana alerts: HTTP 401: Invalid API key (check the token)" },
		{ "403: a permission is missing", "rules", 403,
		  "{\"message\":\"You'll need additional permissions\",\"traceID\":\"\"}",
		  "grafana rules: HTTP 403: You'll need additional permissions (the token's "
		  "service "
		  "account lacks a permission this needs)" },
		{ "404", "rules", 404, "{\"message\":\"Not found\"}",
		  "grafana rules: HTTP 404: Not found (check the url" },
		{ "500 with a trace id; escapes stripped", "annotations", 500,
		  "{\"message\":\"Internal \\u001b[31mServer Error\",\"traceID\":\"4bf92f\"}",
		  "grafana annotations: HTTP 500: Internal Server Error" },
		{ "502 from a proxy, HTML", "alerts", 502, "<html>Bad Gateway</html>",
		  "grafana alerts: HTTP 502: <html>Bad Gateway</html>" },
		{ "429 in plain text", "alerts", 429, "Too Many Requests\n",
		  "grafana alerts: HTTP 429: Too Many Requests" },
		{ "503 with no body", "alerts", 503, "", "grafana alerts: HTTP 503: (empty body)" },
		{ "a failed query: 400 with its result", "metric:a.b", 400,
		  "{\"results\":{\"A\":{\"error\":\"1:10: parse error: unclosed left "
		  "bracket\",\"errorSource\":\"downstream\",\"status\":400}}}",
		  "grafana metric:a.b: the query failed: 1:10: parse error: unclosed left bracket "
		  "(status 400)" },
		{ "a failed query with HTTP 200", "metric:a.b", 200,
		  "{\"results\":{\"A\":{\"error\":\"data source not found\",\"status\":404}}}",
		  "grafana metric:a.b: the query failed: data source not found (status 404)" },
		{ "a result status that is not 200", "metric:a.b", 200,
		  "{\"results\":{\"A\":{\"status\":500,\"frames\":[]}}}",
		  "grafana metric:a.b: results.A.status is 500" },
		/* Not JSON, or not whole. */
		{ "HTML with 200", "alerts", 200, "<html>login</html>",
		  "grafana alerts: the response is not JSON (line 1, column 1" },
		{ "truncated", "annotations", 200, "[{\"id\":1,\"time\":17958",
		  "grafana annotations: the response is not JSON" },
		{ "empty 200", "rules", 200, "", "grafana rules: empty response body" },
		/* Wrong shapes and types. */
		{ "alerts: an object", "alerts", 200, "{\"alerts\":[]}",
		  "grafana alerts: the response is an object, not an array of alerts" },
		{ "alerts: startsAt as epoch", "alerts", 200,
		  "[{\"labels\":{},\"fingerprint\":\"f\",\"startsAt\":1795847397}]",
		  "grafana alerts: alert 0: startsAt is missing or not a string" },
		{ "alerts: a string alert", "alerts", 200, "[\"x\"]",
		  "grafana alerts: alert 0 is not an object" },
		{ "alerts: silencedBy a string", "alerts", 200,
		  "[{\"labels\":{},\"fingerprint\":\"f\",\"startsAt\":\"2026-11-28T06:00:00Z\","
		  "\"status\":{\"silencedBy\":\"x\"}}]",
		  "grafana alerts: alert 0: status.silencedBy is not an array" },
		{ "alerts: inhibitedBy holds a number", "alerts", 200,
		  "[{\"labels\":{},\"fingerprint\":\"f\",\"startsAt\":\"2026-11-28T06:00:00Z\","
		  "\"status\":{\"inhibitedBy\":[5]}}]",
		  "grafana alerts: alert 0: status.inhibitedBy holds a non-string" },
		{ "rules: an array", "rules", 200, "[]",
		  "grafana rules: the response is an array, not an object of folders" },
		{ "rules: a folder that is a string", "rules", 200, "{\"Infra\":\"x\"}",
		  "grafana rules: folder \"Infra\" is not an array of groups" },
		{ "rules: no grafana_alert (a data source's ruler)", "rules", 200,
		  "{\"ns\":[{\"name\":\"g\",\"rules\":[{\"alert\":\"A\",\"expr\":\"up\"}]}]}",
		  "grafana rules: folder \"ns\", group 0, rule 0: grafana_alert is missing" },
		{ "rules: the id as a string", "rules", 200,
		  "{\"f\":[{\"rules\":[{\"grafana_alert\":{\"id\":\"12\",\"uid\":\"u\"}}]}]}",
		  "rule 0: grafana_alert.id is not an integer" },
		{ "rules: no uid", "rules", 200,
		  "{\"f\":[{\"rules\":[{\"for\":\"1m\",\"grafana_alert\":{\"id\":1}}]}]}",
		  "rule 0: grafana_alert.uid is missing or not a string" },
		{ "rules: group without rules", "rules", 200, "{\"f\":[{\"name\":\"g\"}]}",
		  "grafana rules: folder \"f\", group 0: rules is missing or not an array" },
		{ "annotations: an object", "annotations", 200, "{}",
		  "grafana annotations: the response is an object, not an array" },
		{ "annotations: id as a string", "annotations", 200,
		  "[{\"id\":\"5\",\"time\":1795847100000}]",
		  "grafana annotations: annotation 0: id is a string, not an integer" },
		{ "annotations: no time", "annotations", 200, "[{\"id\":5}]",
		  "grafana annotations: annotation 0: time is missing" },
		{ "annotations: time in seconds as a float", "annotations", 200,
		  "[{\"id\":5,\"time\":1795847100.5}]",
		  "annotation 0: time is a number, not an integer" },
		{ "annotations: a negative time", "annotations", 200, "[{\"id\":5,\"time\":-1}]",
		  "annotation 0: time -1 is out of range" },
		{ "annotations: tags a string", "annotations", 200,
		  "[{\"id\":5,\"time\":1,\"tags\":\"a,b\"}]",
		  "annotation 0: tags is a string, not an array" },
		{ "annotations: a tag that is a number", "annotations", 200,
		  "[{\"id\":5,\"time\":1,\"tags\":[1]}]",
		  "annotation 0: tags[] is a number, not a string" },
		{ "annotations: text a boolean", "annotations", 200,
		  "[{\"id\":5,\"time\":1,\"text\":true}]",
		  "annotation 0: text is a boolean, not a string" },
		{ "annotations: a number among them", "annotations", 200,
		  "[{\"id\":5,\"time\":1},7]",
		  "grafana annotations: annotation 1 is a number, not an object" },
		{ "frames: no results", "metric:a.b", 200, "{\"A\":{}}",
		  "grafana metric:a.b: results is missing or not an object" },
		{ "frames: another refId", "metric:a.b", 200, "{\"results\":{\"B\":{}}}",
		  "grafana metric:a.b: results.A is missing or not an object" },
		{ "frames: an array", "metric:a.b", 200, "[]",
		  "grafana metric:a.b: the response is an array, not an object" },
		{ "frames: frames an object", "metric:a.b", 200,
		  "{\"results\":{\"A\":{\"frames\":{}}}}",
		  "grafana metric:a.b: results.A.frames is an object, not an array" },
		{ "frames: no schema", "metric:a.b", 200,
		  "{\"results\":{\"A\":{\"frames\":[{\"data\":{\"values\":[]}}]}}}",
		  "frame 0: schema.fields is missing or not an array" },
		{ "frames: no time field", "metric:a.b", 200,
		  "{\"results\":{\"A\":{\"frames\":[{\"schema\":{\"fields\":[{\"type\":\"number\"}]"
		  "},"
		  "\"data\":{\"values\":[[1]]}}]}}}",
		  "grafana metric:a.b: frame 0: no field of type \"time\"" },
		{ "frames: columns and fields differ", "metric:a.b", 200,
		  "{\"results\":{\"A\":{\"frames\":[{\"schema\":{\"fields\":[{\"type\":\"time\"},"
		  "{\"type\":\"number\"}]},\"data\":{\"values\":[[1]]}}]}}}",
		  "frame 0: 1 columns of values for 2 fields" },
		{ "frames: a column shorter than the times", "metric:a.b", 200,
		  "{\"results\":{\"A\":{\"frames\":[{\"schema\":{\"fields\":[{\"type\":\"time\"},"
		  "{\"type\":\"number\"}]},\"data\":{\"values\":[[1,2],[1]]}}]}}}",
		  "frame 0: field 1 has 1 values for 2 times" },
		{ "frames: a time as a string (wrong types)", "metric:a.b", 200,
		  "{\"results\":{\"A\":{\"frames\":[{\"schema\":{\"fields\":[{\"type\":\"time\"},"
		  "{\"type\":\"number\"}]},\"data\":{\"values\":[[\"1795847340000\"],[1]]}}]}}}",
		  "frame 0: row 0: the time is a string, not a number" },
		{ "frames: a value as a string", "metric:a.b", 200,
		  "{\"results\":{\"A\":{\"frames\":[{\"schema\":{\"fields\":[{\"type\":\"time\"},"
		  "{\"type\":\"number\"}]},\"data\":{\"values\":[[1795847340000],[\"1.5\"]]}}]}}}",
		  "frame 0: field 1, row 0: the value is a string, not a number" },
		{ "frames: a time beyond year 9999", "metric:a.b", 200,
		  "{\"results\":{\"A\":{\"frames\":[{\"schema\":{\"fields\":[{\"type\":\"time\"},"
		  "{\"type\":\"number\"}]},\"data\":{\"values\":[[999999999999999999],[1]]}}]}}}",
		  "frame 0: row 0: the time is out of range" },
		{ "frames: labels not strings", "metric:a.b", 200,
		  "{\"results\":{\"A\":{\"frames\":[{\"schema\":{\"fields\":[{\"type\":\"time\"},"
		  "{\"type\":\"number\",\"labels\":{\"a\":1}}]},\"data\":{\"values\":[[1],[1]]}}]}}"
		  "}",
		  "frame 0: field 1: a label value is not a string" },
		{ "frames: labels an array", "metric:a.b", 200,
		  "{\"results\":{\"A\":{\"frames\":[{\"schema\":{\"fields\":[{\"type\":\"time\"},"
		  "{\"type\":\"number\",\"labels\":[]}]},\"data\":{\"values\":[[1],[1]]}}]}}}",
		  "frame 0: field 1: labels is an array, not an object" },
		{ "frames: a frame that is null", "metric:a.b", 200,
		  "{\"results\":{\"A\":{\"frames\":[null]}}}", "frame 0: is null, not an object" },
		{ "a stream it does not have", "silences", 200, "[]",
		  "grafana silences: not a stream of this source" },
		{ "metric: without a name", "metric:", 200, "{}",
		  "grafana metric:: not a stream of this source" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_bad(&cases[i]);
}

/* A transport failure and a body over the limit have their own words. */
static void
source_grafana__transport_failures_are_reported(void **state)
{
	struct cursors c = { 0 };
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, NULL);
	ctx = ctx_for(&t, &c, NOW);
	response_text(&resp, 0, NULL);
	string_copy(resp.error, "Connection reset by peer");
	assert_int_equal(parse(&ctx, "alerts", &resp, &page), ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "grafana alerts: no response: Connection reset by peer");
	source_page_release(&page);
	response_release(&resp);

	response_text(&resp, 200, "[{\"id\":");
	resp.too_big = true;
	assert_int_equal(parse(&ctx, "annotations", &resp, &page), ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "grafana annotations: the response is larger than the size limit");
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(source_grafana__alerts_are_incidents_with_the_pending_period),
		cmocka_unit_test(source_grafana__muted_pairs_keep_their_first_time),
		cmocka_unit_test(source_grafana__live_alertmanager_payload_reads_alike),
		cmocka_unit_test(source_grafana__listed_alert_past_its_end_is_resolved),
		cmocka_unit_test(source_grafana__vanished_incidents_are_kept_a_week),
		cmocka_unit_test(source_grafana__rules_keep_ids_and_pending_periods),
		cmocka_unit_test(source_grafana__annotations_become_timeline_events),
		cmocka_unit_test(source_grafana__annotations_after_an_incident_are_not_its),
		cmocka_unit_test(source_grafana__full_annotation_pages_are_followed),
		cmocka_unit_test(source_grafana__frames_become_samples),
		cmocka_unit_test(source_grafana__wide_frame_without_labels),
		cmocka_unit_test(source_grafana__no_frames_leave_the_cursor),
		cmocka_unit_test(source_grafana__milliseconds_are_truncated),
		cmocka_unit_test(source_grafana__plan_asks_every_stream),
		cmocka_unit_test(source_grafana__plan_windows_follow_the_cursors),
		cmocka_unit_test(source_grafana__plan_refuses_a_query_without_data_source),
		cmocka_unit_test(source_grafana__bad_responses_name_the_problem),
		cmocka_unit_test(source_grafana__transport_failures_are_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
