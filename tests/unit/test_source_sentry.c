/* test_source_sentry.c - the Sentry source: issue lists shaped like Sentry's (the
 * fields and types of the API schema's examples, written here with our own values)
 * parsed into exact incidents and events; Link-header pagination and the round's
 * newest lastSeen carried to its last page; the stop at the watermark; resolution
 * times from activity, the cursor, the poll and lastSeen; the requests a round
 * plans; and a table of bad responses, each with the error it must give. Nothing
 * here opens a socket: responses are handed to ops->parse as the engine would. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#include "source_support.h"

#include "sitrep/config.h"
#include "sitrep/json.h"
#include "support.h"

#define NOW_TEXT "2025-03-03T10:00:00Z"
#define BASE "https://sentry.io/api/0/projects/acme/checkout/issues/"
#define FIRST_URL BASE "?query=&statsPeriod=14d&sort=date&limit=100&expand=inbox"
#define LINK_NEXT                                                                             \
	"<" BASE "?query=&statsPeriod=14d&sort=date&limit=100&expand=inbox&cursor=0:0:1>; "   \
	"rel=\"previous\"; results=\"false\"; cursor=\"0:0:1\", "                             \
	"<" BASE "?query=&statsPeriod=14d&sort=date&limit=100&expand=inbox&cursor=0:100:0>; " \
	"rel=\"next\"; results=\"true\"; cursor=\"0:100:0\""
#define LINK_LAST                                                                             \
	"<" BASE "?query=&statsPeriod=14d&sort=date&limit=100&expand=inbox&cursor=0:100:1>; " \
	"rel=\"previous\"; results=\"true\"; cursor=\"0:100:1\", "                            \
	"<" BASE "?query=&statsPeriod=14d&sort=date&limit=100&expand=inbox&cursor=0:200:0>; " \
	"rel=\"next\"; results=\"false\"; cursor=\"0:200:0\""

/* One page as GET /api/0/projects/{org}/{project}/issues/ lists it (newest lastSeen
 * first): an unresolved error, a resolved fatal, an ignored warning. count is a
 * string, userCount a number, stats epoch seconds, timestamps with and without
 * microseconds. */
static const char page_text[] =
	"[{\"annotations\":[],\"assignedTo\":{\"type\":\"user\",\"id\":\"7\",\"name\":\"Dana\","
	"\"email\":\"dana@example.com\"},\"count\":\"41\",\"culprit\":\"cart.views in "
	"checkout\",\"firstSeen\":\"2025-03-03T09:35:00.250000Z\",\"hasSeen\":false,"
	"\"id\":\"5101\",\"inbox\":{\"reason\":0,\"reason_details\":null,\"date_added\":"
	"\"2025-03-03T09:35:00.250000Z\"},\"isBookmarked\":false,\"isPublic\":false,"
	"\"isSubscribed\":true,\"lastSeen\":\"2025-03-03T09:58:12.123456Z\",\"level\":\"error\","
	"\"logger\":null,\"metadata\":{\"type\":\"TimeoutError\",\"value\":\"upstream\"},"
	"\"numComments\":0,\"permalink\":\"https://acme.sentry.io/issues/5101/\","
	"\"project\":{\"id\":\"3\",\"name\":\"Checkout\",\"slug\":\"checkout\",\"platform\":"
	"\"python\"},\"shareId\":null,\"shortId\":\"CHECKOUT-2K\",\"stats\":{\"24h\":"
	"[[1740992400,3],[1740996000,38]]},\"status\":\"unresolved\",\"substatus\":\"new\","
	"\"statusDetails\":{},\"title\":\"TimeoutError: upstream timed out\",\"type\":\"error\","
	"\"userCount\":12,\"isUnhandled\":true,\"issueCategory\":\"error\",\"issueType\":"
	"\"error\"},"
	"{\"count\":\"2\",\"firstSeen\":\"2025-03-02T22:00:00Z\",\"id\":\"5099\",\"inbox\":null,"
	"\"lastSeen\":\"2025-03-02T22:10:00Z\",\"level\":\"fatal\",\"permalink\":"
	"\"https://acme.sentry.io/issues/5099/\",\"project\":{\"id\":\"3\",\"slug\":"
	"\"checkout\"},\"status\":\"resolved\",\"substatus\":null,\"statusDetails\":"
	"{\"inNextRelease\":true},\"title\":\"SegfaultError: worker died\",\"userCount\":1},"
	"{\"count\":\"900\",\"firstSeen\":\"2025-02-20T08:00:00Z\",\"id\":\"4950\","
	"\"lastSeen\":\"2025-03-02T12:00:00Z\",\"level\":\"warning\",\"permalink\":null,"
	"\"project\":{\"id\":\"3\",\"slug\":\"checkout\"},\"status\":\"ignored\",\"substatus\":"
	"\"archived_until_escalating\",\"statusDetails\":{},\"title\":\"Deprecated call\","
	"\"userCount\":0}]";

/*
 * Responses, config and context
 */

/* A [source "sentry"] section as config_load would leave it. */
static void
source_init(struct test_source *t, const char *url, const char *org)
{
	test_source_init(t, "sentry", "sentry", url, NULL);
	if (org)
		add_value(t, "org", org);
}

static void
source_service(struct test_source *t, const char *service)
{
	add_value(t, "service", service);
	t->src.service = xstrdup(service);
}

/* The engine's stored cursor: the same for every stream. */
static const char *
cursor_of(void *engine, const char *stream)
{
	(void)stream;
	return engine;
}

static struct source_ctx
ctx_for(const struct test_source *t, const char *cursor)
{
	struct source_ctx ctx = { 0 };

	ctx.name = "sentry";
	ctx.config = &t->src;
	ctx.now = ts(NOW_TEXT);
	ctx.cursor = cursor_of;
	ctx.engine = (void *)(uintptr_t)cursor;
	return ctx;
}

static const struct source_ops *
ops(void)
{
	return test_ops("sentry");
}

/* Parses resp as a page of stream fetched from url (with a bearer token). */
static enum status_code
parse_url(const struct source_ctx *ctx, const char *stream, const char *url,
	  const struct http_response *resp, struct source_page *page)
{
	return test_parse_get("sentry", ctx, stream, url, "Authorization", "Bearer t0ken", resp,
			      page);
}

/* Parses body as the first page of "issues:checkout", no Link header. */
static enum status_code
parse_body(const char *body, const char *cursor, struct source_page *page)
{
	struct test_source t;
	struct http_response resp;
	struct source_ctx ctx;
	enum status_code code;

	source_init(&t, "https://sentry.io", "acme");
	ctx = ctx_for(&t, cursor);
	response_text(&resp, 200, body);
	code = parse_url(&ctx, "issues:checkout", FIRST_URL, &resp, page);
	response_release(&resp);
	source_release(&t);
	return code;
}

/* One issue of the list's shape, as text (new). */
static char *
issue(const char *id, const char *status, const char *substatus, const char *first,
      const char *last, const char *extra)
{
	return xasprintf("{\"id\":\"%s\",\"title\":\"T%s\",\"level\":\"error\",\"status\":\"%s\","
			 "\"substatus\":%s%s%s,\"firstSeen\":\"%s\",\"lastSeen\":\"%s\","
			 "\"permalink\":\"https://acme.sentry.io/issues/%s/\"%s}",
			 id, id, status, substatus ? "\"" : "", substatus ? substatus : "null",
			 substatus ? "\"" : "", first, last, id, extra ? extra : "");
}

static const struct source_event *
event_of(const struct source_page *page, const char *id, const char *kind)
{
	size_t i;

	for (i = 0; i < page->n_events; i++)
		if (streq(page->events[i].incident_id, id) && streq(page->events[i].kind, kind))
			return &page->events[i];
	return NULL;
}

/*
 * Issues
 */

static void
source_sentry__issue_list_becomes_incidents(void **state)
{
	const struct store_incident *inc;
	struct source_page page;

	(void)state;
	assert_int_equal(parse_body(page_text, NULL, &page), SUCCESS);
	assert_int_equal(page.n_incidents, 3);
	assert_int_equal(page.n_samples, 0);
	assert_false(page.snapshot);
	assert_null(page.next);

	inc = &page.incidents[0];
	assert_string_equal(inc->source, "sentry");
	assert_string_equal(inc->source_id, "5101");
	assert_int_equal(inc->n_services, 1);
	assert_string_equal(inc->services[0], "checkout");
	assert_string_equal(inc->title, "TimeoutError: upstream timed out");
	assert_string_equal(inc->severity, "P2");
	assert_int_equal(inc->impact, MX_IMPACT_DEGRADED);
	assert_int_equal(inc->impact_start, ts("2025-03-03T09:35:00Z"));
	assert_int_equal(inc->detected_at, ts("2025-03-03T09:35:00Z"));
	/* No ack in Sentry: the assignment to Dana is not one. */
	assert_int_equal(inc->acknowledged_at, TIME_NONE);
	assert_int_equal(inc->contained_at, TIME_NONE);
	assert_int_equal(inc->resolved_at, TIME_NONE);
	assert_int_equal(inc->closed_at, TIME_NONE);
	assert_int_equal(inc->updated_at, ts("2025-03-03T09:58:12Z"));
	assert_string_equal(inc->url, "https://acme.sentry.io/issues/5101/");
	assert_non_null(strstr(inc->raw_json, "\"shortId\":\"CHECKOUT-2K\""));

	/* Met already resolved (no cursor): it stopped erring at lastSeen. */
	inc = &page.incidents[1];
	assert_string_equal(inc->source_id, "5099");
	assert_string_equal(inc->severity, "P1");
	assert_int_equal(inc->impact, MX_IMPACT_DEGRADED);
	assert_int_equal(inc->resolved_at, ts("2025-03-02T22:10:00Z"));

	/* Ignored is muted, not over. */
	inc = &page.incidents[2];
	assert_string_equal(inc->severity, "P3");
	assert_int_equal(inc->resolved_at, TIME_NONE);
	assert_null(inc->url);

	assert_int_equal(page.n_events, 3);
	assert_int_equal(event_of(&page, "5101", "trigger")->at, ts("2025-03-03T09:35:00Z"));
	assert_null(event_of(&page, "5101", "trigger")->event_id);
	assert_int_equal(event_of(&page, "4950", "trigger")->at, ts("2025-02-20T08:00:00Z"));

	/* The last page of the round: the newest lastSeen, to the microsecond, and
	 * what the next round needs to date resolutions. */
	assert_string_equal(page.cursor, "{\"lastSeen\":\"2025-03-03T09:58:12.123456Z\","
					 "\"open\":[\"5101\",\"4950\"],"
					 "\"resolved\":{\"5099\":1740953400}}");
	source_page_release(&page);
}

static void
source_sentry__levels_map_to_priorities(void **state)
{
	static const char *const cases[][2] = {
		{ "\"fatal\"", "P1" }, { "\"error\"", "P2" }, { "\"warning\"", "P3" },
		{ "\"info\"", "P4" },  { "\"debug\"", "P4" }, { "\"sample\"", NULL },
		{ "\"FATAL\"", NULL }, { "null", NULL },
	};
	struct source_page page;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *body = xasprintf("[{\"id\":\"1\",\"title\":\"t\",\"level\":%s,\"status\":"
				       "\"unresolved\",\"firstSeen\":\"2025-03-03T09:00:00Z\","
				       "\"lastSeen\":\"2025-03-03T09:00:00Z\"}]",
				       cases[i][0]);

		assert_int_equal(parse_body(body, NULL, &page), SUCCESS);
		if (cases[i][1])
			assert_string_equal(page.incidents[0].severity, cases[i][1]);
		else
			assert_null(page.incidents[0].severity);
		assert_int_equal(page.incidents[0].impact, MX_IMPACT_DEGRADED);
		source_page_release(&page);
		free(body);
	}
}

/* Records keep upstream text as it came: sanitizing is the display's job. */
static void
source_sentry__untrusted_title_is_kept_unchanged(void **state)
{
	static const char body[] =
		"[{\"id\":\"1\",\"title\":\"KeyError: \\u001b]0;owned\\u0007\\u001b[2Jx\","
		"\"status\":\"unresolved\",\"firstSeen\":\"2025-03-03T09:00:00Z\","
		"\"lastSeen\":\"2025-03-03T09:00:00Z\",\"permalink\":\"javascript:alert(1)\"}]";
	struct source_page page;

	(void)state;
	assert_int_equal(parse_body(body, NULL, &page), SUCCESS);
	assert_string_equal(page.incidents[0].title, "KeyError: \x1b]0;owned\x07\x1b[2Jx");
	assert_null(page.incidents[0].url);
	source_page_release(&page);
}

static void
source_sentry__service_from_config_or_issue_project(void **state)
{
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;

	(void)state;
	/* The organization's stream names no project: each issue's own. */
	source_init(&t, "https://sentry.io", "acme");
	ctx = ctx_for(&t, NULL);
	response_text(
		&resp, 200,
		"[{\"id\":\"1\",\"title\":\"t\",\"status\":\"unresolved\","
		"\"firstSeen\":\"2025-03-03T09:00:00Z\",\"lastSeen\":\"2025-03-03T09:00:00Z\","
		"\"project\":{\"id\":\"4\",\"slug\":\"search\"}}]");
	assert_int_equal(parse_url(&ctx, "issues", FIRST_URL, &resp, &page), SUCCESS);
	assert_string_equal(page.incidents[0].services[0], "search");
	source_page_release(&page);

	/* A configured service wins over both. */
	source_service(&t, "shop");
	assert_int_equal(parse_url(&ctx, "issues", FIRST_URL, &resp, &page), SUCCESS);
	assert_string_equal(page.incidents[0].services[0], "shop");
	source_page_release(&page);
	assert_int_equal(parse_url(&ctx, "issues:checkout", FIRST_URL, &resp, &page), SUCCESS);
	assert_string_equal(page.incidents[0].services[0], "shop");
	source_page_release(&page);
	response_release(&resp);
	source_release(&t);
}

/*
 * Pagination and the cursor
 */

/* Page 1 says results="true": the next page is its link, with the round's newest
 * lastSeen in the fragment, and the same token; the watermark waits for the last
 * page, which says results="false". */
static void
source_sentry__link_pages_carry_the_newest_to_the_last(void **state)
{
	char *a = issue("30", "unresolved", "ongoing", "2025-03-01T00:00:00Z",
			"2025-03-03T09:59:00.000001Z", NULL);
	char *b = issue("29", "unresolved", "ongoing", "2025-03-01T00:00:00Z",
			"2025-03-03T09:00:00Z", NULL);
	char *body1 = xasprintf("[%s]", a), *body2 = xasprintf("[%s]", b), *url2;
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, "https://sentry.io", "acme");
	ctx = ctx_for(&t, NULL);
	response_text(&resp, 200, body1);
	response_header(&resp, "Link", LINK_NEXT);
	assert_int_equal(parse_url(&ctx, "issues:checkout", FIRST_URL, &resp, &page), SUCCESS);
	assert_null(page.cursor);
	assert_non_null(page.next);
	assert_string_equal(page.next->stream, "issues:checkout");
	assert_string_equal(page.next->method, "GET");
	assert_string_equal(page.next->url,
			    BASE "?query=&statsPeriod=14d&sort=date&limit=100&expand=inbox"
				 "&cursor=0:100:0#sitrep-newest=2025-03-03T09:59:00.000001Z");
	assert_int_equal(page.next->n_headers, 1);
	assert_string_equal(page.next->headers[0].name, "Authorization");
	assert_string_equal(page.next->headers[0].value, "Bearer t0ken");
	url2 = xstrdup(page.next->url);
	source_page_release(&page);
	response_release(&resp);

	response_text(&resp, 200, body2);
	response_header(&resp, "Link", LINK_LAST);
	assert_int_equal(parse_url(&ctx, "issues:checkout", url2, &resp, &page), SUCCESS);
	assert_null(page.next);
	assert_int_equal(page.n_incidents, 1);
	assert_string_equal(page.cursor, "{\"lastSeen\":\"2025-03-03T09:59:00.000001Z\","
					 "\"open\":[\"29\"],\"resolved\":{}}");
	source_page_release(&page);
	response_release(&resp);

	/* A response without a next link ends the round too. */
	response_text(&resp, 200, "[]");
	response_header(&resp, "Link",
			"<" BASE "?cursor=0:0:1>; rel=\"previous\"; "
			"results=\"false\"; cursor=\"0:0:1\"");
	assert_int_equal(parse_url(&ctx, "issues:checkout", url2, &resp, &page), SUCCESS);
	assert_null(page.next);
	assert_string_equal(page.cursor, "{\"lastSeen\":\"2025-03-03T09:59:00.000001Z\","
					 "\"open\":[],\"resolved\":{}}");
	source_page_release(&page);
	response_release(&resp);
	free(url2);
	free(a);
	free(b);
	free(body1);
	free(body2);
	source_release(&t);
}

/* With a watermark, paging stops at the first page holding an older issue even
 * though Sentry offers more; that page is still read whole (its older issues may
 * have been resolved since), and the watermark moves to the newest. */
static void
source_sentry__paging_stops_at_the_watermark(void **state)
{
	static const char cursor[] = "{\"lastSeen\":\"2025-03-03T09:30:00.500000Z\","
				     "\"open\":[],\"resolved\":{}}";
	char *a = issue("3", "unresolved", "ongoing", "2025-03-01T00:00:00Z",
			"2025-03-03T09:45:00Z", NULL);
	char *b = issue("2", "unresolved", "ongoing", "2025-03-01T00:00:00Z",
			"2025-03-03T09:30:00.600000Z", NULL);
	char *c = issue("1", "unresolved", "ongoing", "2025-03-01T00:00:00Z",
			"2025-03-03T09:30:00.400000Z", NULL);
	char *newer = xasprintf("[%s,%s]", a, b), *older = xasprintf("[%s,%s,%s]", a, b, c);
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;

	(void)state;
	source_init(&t, "https://sentry.io", "acme");
	ctx = ctx_for(&t, cursor);
	/* 09:30:00.6 is newer than the watermark by 0.1 s: go on. */
	response_text(&resp, 200, newer);
	response_header(&resp, "Link", LINK_NEXT);
	assert_int_equal(parse_url(&ctx, "issues:checkout", FIRST_URL, &resp, &page), SUCCESS);
	assert_non_null(page.next);
	assert_null(page.cursor);
	source_page_release(&page);
	response_release(&resp);

	/* 09:30:00.4 is older: stop here. */
	response_text(&resp, 200, older);
	response_header(&resp, "Link", LINK_NEXT);
	assert_int_equal(parse_url(&ctx, "issues:checkout", FIRST_URL, &resp, &page), SUCCESS);
	assert_null(page.next);
	assert_int_equal(page.n_incidents, 3);
	assert_string_equal(page.cursor, "{\"lastSeen\":\"2025-03-03T09:45:00.000000Z\","
					 "\"open\":[\"3\",\"2\",\"1\"],\"resolved\":{}}");
	source_page_release(&page);
	response_release(&resp);

	/* Nothing new at all: the watermark stays. */
	response_text(&resp, 200, "[]");
	assert_int_equal(parse_url(&ctx, "issues:checkout", FIRST_URL, &resp, &page), SUCCESS);
	assert_string_equal(page.cursor, "{\"lastSeen\":\"2025-03-03T09:30:00.500000Z\","
					 "\"open\":[],\"resolved\":{}}");
	source_page_release(&page);
	response_release(&resp);
	free(a);
	free(b);
	free(c);
	free(newer);
	free(older);
	source_release(&t);
}

/* Before the first watermark, the first round goes back 14 days; a bare timestamp
 * is a watermark too, and a cursor that is neither starts afresh. */
static void
source_sentry__first_round_goes_back_fourteen_days(void **state)
{
	static const char *const cursors[] = { NULL, "{\"open\":5}", "garbage", "{not json" };
	char *a = issue("2", "unresolved", "ongoing", "2025-02-10T00:00:00Z",
			"2025-02-17T10:00:01Z", NULL);
	char *b = issue("1", "unresolved", "ongoing", "2025-02-10T00:00:00Z",
			"2025-02-17T09:59:59Z", NULL);
	char *first = xasprintf("[%s]", a), *both = xasprintf("[%s,%s]", a, b);
	struct test_source t;
	struct http_response resp;
	struct source_page page;
	struct source_ctx ctx;
	size_t i;

	(void)state;
	source_init(&t, "https://sentry.io", "acme");
	for (i = 0; i < ARRAY_SIZE(cursors); i++) {
		ctx = ctx_for(&t, cursors[i]);
		response_text(&resp, 200, first);
		response_header(&resp, "Link", LINK_NEXT);
		assert_int_equal(parse_url(&ctx, "issues:checkout", FIRST_URL, &resp, &page),
				 SUCCESS);
		assert_non_null(page.next);
		source_page_release(&page);
		response_release(&resp);
		response_text(&resp, 200, both);
		response_header(&resp, "Link", LINK_NEXT);
		assert_int_equal(parse_url(&ctx, "issues:checkout", FIRST_URL, &resp, &page),
				 SUCCESS);
		assert_null(page.next);
		source_page_release(&page);
		response_release(&resp);
	}

	ctx = ctx_for(&t, "2025-03-03T09:00:00Z");
	response_text(&resp, 200, first);
	response_header(&resp, "Link", LINK_NEXT);
	assert_int_equal(parse_url(&ctx, "issues:checkout", FIRST_URL, &resp, &page), SUCCESS);
	assert_null(page.next);
	assert_string_equal(page.cursor, "{\"lastSeen\":\"2025-03-03T09:00:00.000000Z\","
					 "\"open\":[\"2\"],\"resolved\":{}}");
	source_page_release(&page);
	response_release(&resp);
	free(a);
	free(b);
	free(first);
	free(both);
	source_release(&t);
}

/*
 * Resolution and regression
 */

/* resolved_at: the resolve activity; else the time the cursor remembers; else the
 * poll time for an issue the last round saw open; else lastSeen. */
static void
source_sentry__resolution_time_rules(void **state)
{
	static const char activity[] =
		",\"activity\":[{\"id\":\"1\",\"type\":\"first_seen\",\"data\":{},"
		"\"dateCreated\":\"2025-03-01T00:00:00Z\",\"user\":null},"
		"{\"id\":\"2\",\"type\":\"set_resolved_in_release\",\"data\":{},"
		"\"dateCreated\":\"2025-03-02T10:00:00Z\",\"user\":null},"
		"{\"id\":\"3\",\"type\":\"set_regression\",\"data\":{},"
		"\"dateCreated\":\"2025-03-02T11:00:00Z\",\"user\":null},"
		"{\"id\":\"4\",\"type\":\"set_resolved\",\"data\":{},"
		"\"dateCreated\":\"2025-03-02T12:30:00.9Z\",\"user\":{\"id\":\"7\"}},"
		"{\"id\":\"5\",\"type\":\"assigned\",\"data\":{},"
		"\"dateCreated\":\"2025-03-02T13:00:00Z\",\"user\":null}]";
	static const char cursor[] =
		"{\"lastSeen\":\"2025-03-03T09:00:00.000000Z\",\"open\":[\"12\",\"13\"],"
		"\"resolved\":{\"11\":1740900000,\"13\":1740800000}}";
	char *a = issue("10", "resolved", NULL, "2025-03-01T00:00:00Z", "2025-03-02T12:00:00Z",
			activity);
	char *b =
		issue("11", "resolved", NULL, "2025-03-01T00:00:00Z", "2025-03-02T12:00:00Z", NULL);
	char *c =
		issue("12", "resolved", NULL, "2025-03-01T00:00:00Z", "2025-03-02T12:00:00Z", NULL);
	char *d =
		issue("13", "resolved", NULL, "2025-03-01T00:00:00Z", "2025-03-02T12:00:00Z", NULL);
	char *e =
		issue("14", "resolved", NULL, "2025-03-01T00:00:00Z", "2025-03-02T12:00:00Z", NULL);
	char *body = xasprintf("[%s,%s,%s,%s,%s]", a, b, c, d, e);
	char *remembered;
	struct source_page page;

	(void)state;
	assert_int_equal(parse_body(body, cursor, &page), SUCCESS);
	assert_int_equal(page.incidents[0].resolved_at, ts("2025-03-02T12:30:00Z"));
	assert_int_equal(page.incidents[1].resolved_at, 1740900000);
	assert_int_equal(page.incidents[2].resolved_at, ts(NOW_TEXT));
	/* A remembered time wins over "open last round" (a damaged cursor). */
	assert_int_equal(page.incidents[3].resolved_at, 1740800000);
	assert_int_equal(page.incidents[4].resolved_at, ts("2025-03-02T12:00:00Z"));
	/* The activity's set_regression is not this issue's substatus: no event. */
	assert_null(event_of(&page, "10", "regressed"));
	remembered = xstrdup(page.cursor);
	source_page_release(&page);

	/* A round later, the poll time of the first sight stays. */
	assert_int_equal(parse_body(body, remembered, &page), SUCCESS);
	assert_int_equal(page.incidents[2].resolved_at, ts(NOW_TEXT));
	assert_string_equal(page.cursor, remembered);
	source_page_release(&page);
	free(remembered);
	free(a);
	free(b);
	free(c);
	free(d);
	free(e);
	free(body);
}

/* A regressed issue is open again, with a "regressed" event at its set_regression
 * activity, else at the inbox entry the regression made; with neither, no event
 * (any other time would move from round to round). */
static void
source_sentry__regression_is_an_event(void **state)
{
	char *a = issue("20", "unresolved", "regressed", "2025-02-25T00:00:00Z",
			"2025-03-03T09:00:00Z",
			",\"inbox\":{\"reason\":2,\"reason_details\":null,"
			"\"date_added\":\"2025-03-03T08:15:00.000100Z\"}");
	char *b = issue("21", "unresolved", "regressed", "2025-02-25T00:00:00Z",
			"2025-03-03T09:00:00Z",
			",\"activity\":[{\"type\":\"set_regression\",\"dateCreated\":"
			"\"2025-03-03T07:00:00Z\"},{\"type\":\"set_regression\",\"dateCreated\":"
			"\"2025-03-01T07:00:00Z\"}],\"inbox\":{\"reason\":2,\"date_added\":"
			"\"2025-03-03T08:15:00Z\"}");
	char *c = issue("22", "unresolved", "regressed", "2025-02-25T00:00:00Z",
			"2025-03-03T09:00:00Z", ",\"inbox\":null");
	char *d = issue("23", "unresolved", "regressed", "2025-02-25T00:00:00Z",
			"2025-03-03T09:00:00Z",
			",\"inbox\":{\"reason\":3,\"date_added\":\"2025-03-03T08:00:00Z\"}");
	char *e =
		issue("24", "unresolved", "ongoing", "2025-02-25T00:00:00Z", "2025-03-03T09:00:00Z",
		      ",\"inbox\":{\"reason\":2,\"date_added\":\"2025-03-03T08:00:00Z\"}");
	char *body = xasprintf("[%s,%s,%s,%s,%s]", a, b, c, d, e);
	struct source_page page;

	(void)state;
	assert_int_equal(parse_body(body, NULL, &page), SUCCESS);
	assert_int_equal(page.incidents[0].resolved_at, TIME_NONE);
	assert_int_equal(event_of(&page, "20", "regressed")->at, ts("2025-03-03T08:15:00Z"));
	assert_int_equal(event_of(&page, "21", "regressed")->at, ts("2025-03-03T07:00:00Z"));
	assert_null(event_of(&page, "22", "regressed"));
	assert_null(event_of(&page, "23", "regressed"));
	assert_null(event_of(&page, "24", "regressed"));
	assert_int_equal(page.n_events, 7);
	source_page_release(&page);
	free(a);
	free(b);
	free(c);
	free(d);
	free(e);
	free(body);
}

/*
 * Plan
 */

static void
source_sentry__plan_one_stream_per_project(void **state)
{
	struct source_request *reqs = NULL;
	struct test_source t;
	struct source_ctx ctx;
	size_t n = 0;

	(void)state;
	source_init(&t, "https://de.sentry.io/", "acme");
	add_value(&t, "project", "checkout");
	add_value(&t, "project", "web app");
	ctx = ctx_for(&t, NULL);
	ctx.secret = "sntrys_t0ken";
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), SUCCESS);
	assert_int_equal(n, 2);
	assert_string_equal(reqs[0].stream, "issues:checkout");
	assert_string_equal(reqs[0].method, "GET");
	assert_string_equal(reqs[0].url, "https://de.sentry.io/api/0/projects/acme/checkout/"
					 "issues/?query=&statsPeriod=14d&sort=date&limit=100"
					 "&expand=inbox");
	assert_null(reqs[0].body);
	assert_int_equal(reqs[0].n_headers, 1);
	assert_string_equal(reqs[0].headers[0].name, "Authorization");
	assert_string_equal(reqs[0].headers[0].value, "Bearer sntrys_t0ken");
	assert_string_equal(reqs[1].stream, "issues:web app");
	assert_string_equal(reqs[1].url, "https://de.sentry.io/api/0/projects/acme/web%20app/"
					 "issues/?query=&statsPeriod=14d&sort=date&limit=100"
					 "&expand=inbox");
	source_requests_free(reqs, n);
	source_release(&t);

	/* No project: the organization's issues, every project, one stream. */
	n = 0;
	reqs = NULL;
	source_init(&t, "http://127.0.0.1:8080/sentry", "acme");
	ctx = ctx_for(&t, NULL);
	assert_int_equal(ops()->plan(&ctx, &reqs, &n), SUCCESS);
	assert_int_equal(n, 1);
	assert_string_equal(reqs[0].stream, "issues");
	assert_string_equal(reqs[0].url, "http://127.0.0.1:8080/sentry/api/0/organizations/acme/"
					 "issues/?query=&statsPeriod=14d&sort=date&limit=100"
					 "&expand=inbox&project=-1");
	assert_int_equal(reqs[0].n_headers, 0);
	source_requests_free(reqs, n);
	source_release(&t);
}

static void
source_sentry__plan_needs_url_and_org(void **state)
{
	static const struct {
		const char *url, *org, *project, *expect;
	} cases[] = {
		{ NULL, "acme", NULL, "sentry sentry: no url configured" },
		{ "", "acme", NULL, "sentry sentry: no url configured" },
		{ "https://sentry.io", NULL, NULL, "sentry sentry: no org configured" },
		{ "https://sentry.io", "acme", "", "sentry sentry: an empty project (line 5)" },
	};
	struct source_request *reqs;
	struct test_source t;
	struct source_ctx ctx;
	size_t i, n;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		n = 0;
		reqs = NULL;
		source_init(&t, cases[i].url, cases[i].org);
		if (cases[i].project)
			add_value(&t, "project", cases[i].project);
		ctx = ctx_for(&t, NULL);
		assert_int_equal(ops()->plan(&ctx, &reqs, &n), ERROR_CUSTOM_MESSAGE);
		assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE), cases[i].expect);
		source_requests_free(reqs, n);
		source_release(&t);
	}
}

/*
 * Bad responses
 */

struct bad_case {
	const char *why;
	long status;
	const char *body;
	const char *header, *value; /* one response header, or NULL */
	const char *stream;	    /* NULL: issues:checkout */
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

	source_init(&t, "https://sentry.io", "acme");
	ctx = ctx_for(&t, NULL);
	response_text(&resp, c->status, c->body);
	if (c->status == 0)
		string_copy(resp.error, "Failed to connect to sentry.io port 443");
	if (c->header)
		response_header(&resp, c->header, c->value);
	source_page_init(&page);
	{
		struct source_request req = { 0 };

		req.stream = xstrdup(c->stream ? c->stream : "issues:checkout");
		req.method = xstrdup("GET");
		req.url = xstrdup(FIRST_URL);
		code = ops()->parse(&ctx, &req, &resp, &page);
		source_request_release(&req);
	}
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

#define GOOD_TIMES "\"firstSeen\":\"2025-03-03T09:00:00Z\",\"lastSeen\":\"2025-03-03T09:00:00Z\""
#define ISSUE_HEAD "{\"id\":\"1\",\"title\":\"t\",\"status\":\"unresolved\","
#define GOOD_HEAD "[" ISSUE_HEAD

static void
source_sentry__bad_responses_name_the_problem(void **state)
{
	static const struct bad_case cases[] = {
		{ "401 with Sentry's detail", 401, "{\"detail\":\"Invalid token\"}", NULL, NULL,
		  NULL, "sentry issues:checkout: HTTP 401: Invalid token (check the token)" },
		{ "403: a scope missing", 403,
		  "{\"detail\":\"You do not have permission to perform this action.\"}", NULL, NULL,
		  NULL,
		  "HTTP 403: You do not have permission to perform this action. (the token needs "
		  "the event:read and project:read scopes)" },
		{ "404: a wrong slug", 404,
		  "{\"detail\":\"The requested resource does not exist\"}", NULL, NULL, NULL,
		  "HTTP 404: The requested resource does not exist (check org and project)" },
		{ "429 with the reset epoch", 429,
		  "{\"detail\":\"You are attempting to use this endpoint too frequently. Limit is "
		  "40 requests in 1 seconds\"}",
		  "X-Sentry-Rate-Limit-Reset", "1741039201", NULL,
		  "HTTP 429: You are attempting to use this endpoint too frequently. Limit is 40 "
		  "requests in 1 seconds; the rate limit resets at 2025-03-03T22:00:01Z" },
		{ "429 from a proxy, with the reset epoch", 429, "Too Many Requests\n",
		  "x-sentry-rate-limit-reset", "1741039201", NULL,
		  "sentry issues:checkout: HTTP 429: Too Many Requests; the rate limit resets at "
		  "2025-03-03T22:00:01Z" },
		{ "429 without a reset", 429, "{\"detail\":\"slow down\"}", NULL, NULL, NULL,
		  "HTTP 429: slow down" },
		{ "detail as an object", 400,
		  "{\"detail\":{\"code\":\"invalid\",\"message\":\"Invalid cursor\"}}", NULL, NULL,
		  NULL, "sentry issues:checkout: HTTP 400: Invalid cursor" },
		{ "500 with an error id", 500,
		  "{\"detail\":\"Internal Error\",\"errorId\":\"4f1a\"}", NULL, NULL, NULL,
		  "sentry issues:checkout: HTTP 500: Internal Error" },
		{ "502 HTML from the load balancer (escapes stripped)", 502,
		  "<html><body>502 Bad Gateway\x1b]0;x\x07</body></html>", NULL, NULL, NULL,
		  "sentry issues:checkout: HTTP 502: <html><body>502 Bad Gateway</body></html>" },
		{ "detail with escape sequences", 401, "{\"detail\":\"bad\\u001b[2J token\"}", NULL,
		  NULL, NULL, "HTTP 401: bad token" },
		{ "503 with no body", 503, "", NULL, NULL, NULL,
		  "sentry issues:checkout: HTTP 503: (empty body)" },
		{ "no response", 0, NULL, NULL, NULL, NULL,
		  "sentry issues:checkout: no response: Failed to connect" },
		{ "not JSON", 200, "<html>login</html>", NULL, NULL, NULL,
		  "sentry issues:checkout: the response is not JSON (line 1, column 1" },
		{ "truncated JSON", 200, GOOD_HEAD "\"firstSe", NULL, NULL, NULL,
		  "the response is not JSON" },
		{ "empty body", 200, "", NULL, NULL, NULL,
		  "sentry issues:checkout: empty response body" },
		{ "an object, not a list", 200, "{\"detail\":\"x\"}", NULL, NULL, NULL,
		  "sentry issues:checkout: the response is an object, not a JSON array of issues" },
		{ "an issue that is a number", 200, "[5]", NULL, NULL, NULL,
		  "sentry issues:checkout: issue 0 is a number, not an object" },
		{ "no id", 200, "[{\"title\":\"t\",\"status\":\"unresolved\"," GOOD_TIMES "}]",
		  NULL, NULL, NULL, "issue 0: id is missing" },
		{ "id a number", 200,
		  "[{\"id\":1,\"title\":\"t\",\"status\":\"unresolved\"," GOOD_TIMES "}]", NULL,
		  NULL, NULL, "sentry issues:checkout: issue 0: id is a number, not a string" },
		{ "empty id", 200,
		  "[{\"id\":\"\",\"title\":\"t\",\"status\":\"unresolved\"," GOOD_TIMES "}]", NULL,
		  NULL, NULL, "issue 0: id is empty" },
		{ "no title", 200, "[{\"id\":\"1\",\"status\":\"unresolved\"," GOOD_TIMES "}]",
		  NULL, NULL, NULL, "issue 0: title is missing" },
		{ "level a number", 200, GOOD_HEAD "\"level\":40," GOOD_TIMES "}]", NULL, NULL,
		  NULL, "issue 0: level is a number, not a string" },
		{ "status missing", 200, "[{\"id\":\"1\",\"title\":\"t\"," GOOD_TIMES "}]", NULL,
		  NULL, NULL, "issue 0: status is missing" },
		{ "status a boolean", 200,
		  "[{\"id\":\"1\",\"title\":\"t\",\"status\":true," GOOD_TIMES "}]", NULL, NULL,
		  NULL, "issue 0: status is a boolean, not a string" },
		{ "substatus an array", 200, GOOD_HEAD "\"substatus\":[]," GOOD_TIMES "}]", NULL,
		  NULL, NULL, "issue 0: substatus is an array, not a string" },
		{ "firstSeen an epoch number", 200,
		  GOOD_HEAD "\"firstSeen\":1741000000,\"lastSeen\":\"2025-03-03T09:00:00Z\"}]",
		  NULL, NULL, NULL, "issue 0: firstSeen is a number, not a string" },
		{ "no lastSeen", 200, GOOD_HEAD "\"firstSeen\":\"2025-03-03T09:00:00Z\"}]", NULL,
		  NULL, NULL, "issue 0: lastSeen is missing" },
		{ "lastSeen not a timestamp (quoted, sanitized)", 200,
		  GOOD_HEAD "\"firstSeen\":\"2025-03-03T09:00:00Z\","
			    "\"lastSeen\":\"yesterday\\u009b5m\"}]",
		  NULL, NULL, NULL, "issue 0: lastSeen \"yesterday\" is not a timestamp" },
		{ "the second issue is bad", 200,
		  GOOD_HEAD GOOD_TIMES "}," ISSUE_HEAD "\"permalink\":7," GOOD_TIMES "}]", NULL,
		  NULL, NULL, "issue 1: permalink is a number, not a string" },
		{ "activity an object", 200, GOOD_HEAD "\"activity\":{}," GOOD_TIMES "}]", NULL,
		  NULL, NULL, "issue 0: activity is an object, not an array" },
		{ "an activity without a type", 200,
		  GOOD_HEAD "\"activity\":[{\"dateCreated\":\"2025-03-03T09:00:00Z\"}]," GOOD_TIMES
			    "}]",
		  NULL, NULL, NULL, "issue 0: activity[0].type is missing" },
		{ "a resolve activity with a bad date", 200,
		  GOOD_HEAD "\"activity\":[{\"type\":\"note\"},{\"type\":\"set_resolved\","
			    "\"dateCreated\":5}]," GOOD_TIMES "}]",
		  NULL, NULL, NULL, "issue 0: activity[1].dateCreated is a number, not a string" },
		{ "inbox a string on a regression", 200,
		  "[{\"id\":\"1\",\"title\":\"t\",\"status\":\"unresolved\",\"substatus\":"
		  "\"regressed\",\"inbox\":\"x\"," GOOD_TIMES "}]",
		  NULL, NULL, NULL, "issue 0: inbox is a string, not an object" },
		{ "inbox.reason a string", 200,
		  "[{\"id\":\"1\",\"title\":\"t\",\"status\":\"unresolved\",\"substatus\":"
		  "\"regressed\",\"inbox\":{\"reason\":\"2\"}," GOOD_TIMES "}]",
		  NULL, NULL, NULL, "issue 0: inbox.reason is a string, not an integer" },
		{ "inbox.date_added missing", 200,
		  "[{\"id\":\"1\",\"title\":\"t\",\"status\":\"unresolved\",\"substatus\":"
		  "\"regressed\",\"inbox\":{\"reason\":2}," GOOD_TIMES "}]",
		  NULL, NULL, NULL, "issue 0: inbox.date_added is missing" },
		{ "the organization's stream: no project", 200, GOOD_HEAD GOOD_TIMES "}]", NULL,
		  NULL, "issues", "sentry issues: issue 0: project is missing" },
		{ "the organization's stream: slug a number", 200,
		  GOOD_HEAD "\"project\":{\"slug\":3}," GOOD_TIMES "}]", NULL, NULL, "issues",
		  "sentry issues: issue 0: project.slug is a number, not a string" },
		{ "not a stream of this source", 200, "[]", NULL, NULL, "alerts",
		  "sentry alerts: not a stream of this source" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		check_bad(&cases[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(source_sentry__issue_list_becomes_incidents),
		cmocka_unit_test(source_sentry__levels_map_to_priorities),
		cmocka_unit_test(source_sentry__untrusted_title_is_kept_unchanged),
		cmocka_unit_test(source_sentry__service_from_config_or_issue_project),
		cmocka_unit_test(source_sentry__link_pages_carry_the_newest_to_the_last),
		cmocka_unit_test(source_sentry__paging_stops_at_the_watermark),
		cmocka_unit_test(source_sentry__first_round_goes_back_fourteen_days),
		cmocka_unit_test(source_sentry__resolution_time_rules),
		cmocka_unit_test(source_sentry__regression_is_an_event),
		cmocka_unit_test(source_sentry__plan_one_stream_per_project),
		cmocka_unit_test(source_sentry__plan_needs_url_and_org),
		cmocka_unit_test(source_sentry__bad_responses_name_the_problem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
