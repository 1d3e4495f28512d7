/* test_action.c - the requests of upstream actions and the answers to them, as
 * ops->act and ops->acted see them: Opsgenie's acknowledge (URL, method, GenieKey,
 * JSON body), its 202 leading to the request's outcome, "not processed yet", the
 * refusals; Zabbix's event.acknowledge (action bits, message, auth in the body),
 * its result and error envelope; upstreams without an acknowledge named as such,
 * with no request; and which failures of a write may be sent again. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#include "source_support.h"

#include "sitrep/action.h"
#include "sitrep/config.h"
#include "support.h"

#define OG_BASE "https://api.eu.opsgenie.com"
#define ZBX_URL "https://zabbix.example.com/api_jsonrpc.php"

static const struct source_action ack_alice = {
	.kind = "ack", .id = "70413a06-38d6-4c85-92b8-5ebc900d42e2", .who = "alice", .note = "on it"
};

static struct source_ctx
ctx_for(const struct test_source *t, const char *secret, const char *session)
{
	return (struct source_ctx){ .name = t->src.name,
				    .config = &t->src,
				    .secret = secret,
				    .session = session,
				    .now = 1740996000 };
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
request_free(struct source_request *req)
{
	if (req) {
		source_request_release(req);
		free(req);
	}
}

static void
opsgenie_request(void **state)
{
	struct test_source t;
	struct source_ctx ctx;
	struct source_request *req = NULL;

	(void)state;
	test_source_init(&t, "og", "opsgenie", OG_BASE "/", NULL);
	ctx = ctx_for(&t, "key-123", NULL);
	assert_int_equal(source_opsgenie_ops.act(&ctx, &ack_alice, &req), SUCCESS);
	assert_string_equal(req->method, "POST");
	assert_string_equal(req->url, OG_BASE "/v2/alerts/70413a06-38d6-4c85-92b8-5ebc900d42e2"
					      "/acknowledge?identifierType=id");
	assert_string_equal(header(req, "Authorization"), "GenieKey key-123");
	assert_string_equal(header(req, "Content-Type"), "application/json");
	assert_string_equal(req->body,
			    "{\"user\":\"alice\",\"source\":\"sitrep\",\"note\":\"on it\"}");
	request_free(req);

	/* An id is a path segment: escaped, never a way to another path. */
	req = NULL;
	assert_int_equal(
		source_opsgenie_ops.act(
			&ctx,
			&(struct source_action){ .kind = "ack", .id = "a/../b?x", .who = "bob" },
			&req),
		SUCCESS);
	assert_string_equal(req->url,
			    OG_BASE "/v2/alerts/a%2F..%2Fb%3Fx/acknowledge?identifierType=id");
	assert_string_equal(req->body, "{\"user\":\"bob\",\"source\":\"sitrep\"}");
	request_free(req);

	req = NULL;
	assert_int_equal(
		source_opsgenie_ops.act(
			&ctx,
			&(struct source_action){ .kind = "rollback", .id = "x", .who = "bob" },
			&req),
		ERROR_CUSTOM_MESSAGE);
	assert_null(req);
	ctx.secret = NULL;
	assert_int_equal(source_opsgenie_ops.act(&ctx, &ack_alice, &req), ERROR_CUSTOM_MESSAGE);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "no token configured"));
	assert_null(req);
	source_release(&t);
}

/* acted on one answer: its code, follow-up and done text. */
static enum status_code
og_answer(const struct source_ctx *ctx, const struct source_request *req, long status,
	  const char *body, const char *header_name, const char *header_value,
	  struct source_request **next, const char **done)
{
	struct http_response resp;
	struct http_header h[1];
	enum status_code code;

	response_text(&resp, status, body);
	if (header_name) {
		h[0] = (struct http_header){ xstrdup(header_name), xstrdup(header_value) };
		resp.headers = xmalloc(sizeof(h));
		memcpy(resp.headers, h, sizeof(h));
		resp.n_headers = 1;
	}
	code = source_opsgenie_ops.acted(ctx, &ack_alice, req, &resp, next, done);
	http_response_release(&resp);
	return code;
}

static void
opsgenie_answers(void **state)
{
	struct test_source t;
	struct source_ctx ctx;
	struct source_request *req = NULL, *next = NULL, *again = NULL;
	const char *done = NULL;

	(void)state;
	test_source_init(&t, "og", "opsgenie", OG_BASE, NULL);
	ctx = ctx_for(&t, "key-123", NULL);
	assert_int_equal(source_opsgenie_ops.act(&ctx, &ack_alice, &req), SUCCESS);

	/* 202: accepted, not done; the outcome is asked for with the key. */
	assert_int_equal(og_answer(&ctx, req, 202,
				   "{\"result\":\"Request will be processed\",\"took\":0.302,"
				   "\"requestId\":\"43a29c5c-3dbf-4fa4-9c26-f4f71023e120\"}",
				   NULL, NULL, &next, &done),
			 SUCCESS);
	assert_null(done);
	assert_non_null(next);
	assert_string_equal(next->method, "GET");
	assert_string_equal(next->url,
			    OG_BASE "/v2/alerts/requests/43a29c5c-3dbf-4fa4-9c26-f4f71023e120");
	assert_string_equal(header(next, "Authorization"), "GenieKey key-123");

	/* Not processed yet: ask again, the same. */
	assert_int_equal(og_answer(&ctx, next, 404,
				   "{\"message\":\"Request not processed yet\",\"took\":0.001}",
				   "X-Opsgenie-Errortype", "RequestNotProcessed", &again, &done),
			 SUCCESS);
	assert_non_null(again);
	assert_string_equal(again->url, next->url);
	request_free(again);

	/* Done. */
	assert_int_equal(og_answer(&ctx, next, 200,
				   "{\"data\":{\"success\":true,\"action\":\"Acknowledge\","
				   "\"processedAt\":\"2025-03-03T10:00:00.18Z\",\"isSuccess\":true,"
				   "\"status\":\"Acknowledged successfully\",\"alertId\":\"x\"},"
				   "\"took\":0.02,\"requestId\":\"r\"}",
				   NULL, NULL, &again, &done),
			 SUCCESS);
	assert_null(again);
	assert_string_equal(done, "acknowledged");

	/* Processed, and refused. */
	assert_int_equal(og_answer(&ctx, next, 200,
				   "{\"data\":{\"success\":false,\"isSuccess\":false,"
				   "\"status\":\"Alert does not exist\"}}",
				   NULL, NULL, &again, &done),
			 ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "opsgenie acknowledge 70413a06-38d6-4c85-92b8-5ebc900d42e2: Opsgenie "
			    "did not: Alert does not exist");
	assert_int_equal(og_answer(&ctx, next, 200, "{\"data\":{}}", NULL, NULL, &again, &done),
			 ERROR_CUSTOM_MESSAGE);
	request_free(next);

	/* The acknowledge refused: Opsgenie's message, the meaning, the requestId. */
	assert_int_equal(og_answer(&ctx, req, 403,
				   "{\"message\":\"You are not authorized for this operation\","
				   "\"took\":0.0,\"requestId\":\"rid-1\"}",
				   NULL, NULL, &next, &done),
			 ERROR_CUSTOM_MESSAGE);
	assert_null(next);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "opsgenie acknowledge 70413a06-38d6-4c85-92b8-5ebc900d42e2: HTTP 403: "
			    "You are not authorized for this operation (the API key may not change "
			    "alerts: it needs create and update access) [requestId rid-1]");
	assert_int_equal(og_answer(&ctx, req, 202, "{\"result\":\"ok\"}", NULL, NULL, &next, &done),
			 ERROR_CUSTOM_MESSAGE);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "without a requestId"));
	assert_int_equal(og_answer(&ctx, req, 202, "<html>", NULL, NULL, &next, &done),
			 ERROR_CUSTOM_MESSAGE);
	assert_null(next);
	request_free(req);
	source_release(&t);
}

static void
zabbix_request_and_answers(void **state)
{
	struct test_source t;
	struct source_ctx ctx;
	struct source_request *req = NULL, *next = NULL;
	struct http_response resp;
	const char *done = NULL;
	const struct source_action ack = { .kind = "ack", .id = "1006", .who = "alice" };

	(void)state;
	test_source_init(&t, "zbx", "zabbix", ZBX_URL, NULL);
	ctx = ctx_for(&t, "pass", "0424bd59b807674191e7d77572075f33");
	assert_int_equal(source_zabbix_ops.act(&ctx, &ack, &req), SUCCESS);
	assert_string_equal(req->method, "POST");
	assert_string_equal(req->url, ZBX_URL);
	assert_string_equal(header(req, "Content-Type"), "application/json-rpc");
	assert_null(header(req, "Authorization"));
	assert_string_equal(req->body,
			    "{\"jsonrpc\":\"2.0\",\"method\":\"event.acknowledge\",\"params\":"
			    "{\"eventids\":[\"1006\"],\"action\":6,\"message\":\"Acknowledged by "
			    "alice via sitrep\"},\"auth\":\"0424bd59b807674191e7d77572075f33\","
			    "\"id\":1}");

	response_text(&resp, 200,
		      "{\"jsonrpc\":\"2.0\",\"result\":{\"eventids\":[1006]},\"id\":1}");
	assert_int_equal(source_zabbix_ops.acted(&ctx, &ack, req, &resp, &next, &done), SUCCESS);
	assert_string_equal(done, "acknowledged");
	assert_null(next);
	http_response_release(&resp);

	response_text(&resp, 200,
		      "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32500,\"message\":\"Application "
		      "error.\",\"data\":\"No permissions to referred object or it does not "
		      "exist!\"},\"id\":1}");
	assert_int_equal(source_zabbix_ops.acted(&ctx, &ack, req, &resp, &next, &done),
			 ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "zabbix acknowledge 1006: Zabbix error -32500 Application error.: No "
			    "permissions to referred object or it does not exist!");
	http_response_release(&resp);

	response_text(&resp, 200,
		      "{\"jsonrpc\":\"2.0\",\"result\":{\"eventids\":[\"7\"]},\"id\":1}");
	assert_int_equal(source_zabbix_ops.acted(&ctx, &ack, req, &resp, &next, &done),
			 ERROR_CUSTOM_MESSAGE);
	http_response_release(&resp);

	/* A timeout after the request left: said so, and the session never shown. */
	memset(&resp, 0, sizeof(resp));
	snprintf(resp.error, sizeof(resp.error), "Timeout was reached");
	assert_int_equal(source_zabbix_ops.acted(&ctx, &ack, req, &resp, &next, &done),
			 ERROR_CUSTOM_MESSAGE);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "not sent again"));
	assert_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "0424bd59"));
	request_free(req);

	req = NULL;
	assert_int_equal(
		source_zabbix_ops.act(
			&ctx,
			&(struct source_action){ .kind = "ack", .id = "12; drop", .who = "a" },
			&req),
		ERROR_CUSTOM_MESSAGE);
	assert_null(req);
	source_release(&t);
}

static void
unsupported(void **state)
{
	static const char *const types[] = { "alertmanager", "prometheus", "grafana", "sentry",
					     "jenkins",	     "argocd",	   "github" };
	struct test_source t;
	char why[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		test_source_init(&t, "x", types[i], "https://example.com", NULL);
		assert_false(action_supported(&t.src, "ack", why, sizeof(why)));
		assert_non_null(strstr(why, "has no acknowledge"));
		source_release(&t);
	}
	test_source_init(&t, "og", "opsgenie", OG_BASE, NULL);
	assert_true(action_supported(&t.src, "ack", why, sizeof(why)));
	source_release(&t);
	test_source_init(&t, "argo", "argocd", "https://argocd.example.com", NULL);
	assert_true(action_supported(&t.src, "rollback", why, sizeof(why)));
	source_release(&t);
}

static void
write_retries(void **state)
{
	struct http_response r = { 0 };

	(void)state;
	r.status = 0;
	snprintf(r.error, sizeof(r.error), "Couldn't connect to server");
	r.transient = r.unsent = true;
	assert_true(http_retryable_write(&r));
	r.unsent = false; /* a timeout, a reset: the write may have happened */
	assert_false(http_retryable_write(&r));
	assert_true(http_retryable(&r));
	memset(&r, 0, sizeof(r));
	r.status = 503;
	assert_false(http_retryable_write(&r));
	r.status = 429;
	assert_true(http_retryable_write(&r));
}

/* A refused connection is known not to have reached anyone. */
static void
refused_is_unsent(void **state)
{
	struct http_client *http = http_client_new(NULL);
	struct http_request req = {
		.method = "POST", .url = "http://127.0.0.1:1/", .body = "{}", .body_len = 2
	};
	struct http_response resp = { 0 };

	(void)state;
	http_perform(http, &req, &resp, 1);
	assert_int_equal(resp.status, 0);
	assert_true(resp.unsent);
	assert_true(http_retryable_write(&resp));
	http_response_release(&resp);
	http_client_free(&http);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(opsgenie_request),
		cmocka_unit_test(opsgenie_answers),
		cmocka_unit_test(zabbix_request_and_answers),
		cmocka_unit_test(unsupported),
		cmocka_unit_test(write_retries),
		cmocka_unit_test(refused_is_unsent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
