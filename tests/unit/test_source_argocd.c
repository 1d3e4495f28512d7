/* test_source_argocd.c - the Argo CD source: application lists and applications
 * shaped like Argo CD's (the swagger definitions' fields and types, written here
 * with our own values) parsed into exact deployments: history entries, the
 * operation not yet in the history, rollbacks, environments and services, versions
 * from image overrides; the Argo Rollouts state read through the resource endpoint
 * (a paused canary, the Apache-2.0 spec fixture of argo-rollouts, aborted, degraded,
 * promoted, unobserved, traffic-routed and blue-green rollouts); the chain of
 * requests a round makes and the quiet round after it; the requests a round plans;
 * and a table of bad responses, each with the error it must give. Nothing here
 * opens a socket: responses are handed to ops->parse as the engine would. */
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

#define NOW_TEXT "2025-03-03T10:00:00Z"
#define BASE "https://argocd.example.com"
#define LIST_URL BASE "/api/v1/applications"
#define CHECKOUT_URL BASE "/api/v1/applications/checkout-prod"
#define ROLLOUT_URL                                                                         \
	BASE "/api/v1/applications/checkout-prod/resource?namespace=checkout&resourceName=" \
	     "checkout&group=argoproj.io&version=v1alpha1&kind=Rollout"
#define SHA_A "3f9c2e1b7d4a6c8e0f1a2b3c4d5e6f708192a3b4"
#define SHA_B "8e41d07c5b2a9f3e6d1c0b7a4f2e8d5c3b1a9087"
#define SHA_D "d4a1f9e27c3b5d8e0a6f4c2b1e9d7a5c3f0b8e62"
#define SHA_E "5b7e0c9a3d1f2e4b6a8c0d9e7f5a3b1c4d2e6f80"
#define SHA_L "1d2c3b4a59687f6e5d4c3b2a1908f7e6d5c4b3a2"

/*
 * Config, context and requests
 */

static void
source_init(struct test_source *t, const char *url)
{
	test_source_init(t, "argocd", "argocd", url, NULL);
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

	ctx.name = "argocd";
	ctx.config = &t->src;
	ctx.secret = "t0ken";
	ctx.now = ts(NOW_TEXT);
	ctx.cursor = cursor_of;
	ctx.engine = (void *)(uintptr_t)cursor;
	return ctx;
}

static const struct source_ops *
ops(void)
{
	return test_ops("argocd");
}

/* Parses resp as a page of stream fetched from url, the cursor as stored. */
static enum status_code
parse_with(const char *stream, const char *url, const char *cursor,
	   const struct http_response *resp, struct source_page *page)
{
	struct test_source t;
	struct source_ctx ctx;
	enum status_code code;

	source_init(&t, BASE "/");
	ctx = ctx_for(&t, cursor);
	code = test_parse_get("argocd", &ctx, stream, url, "Authorization", "Bearer t0ken", resp,
			      page);
	source_release(&t);
	return code;
}

static enum status_code
parse_text(const char *stream, const char *url, const char *cursor, const char *body,
	   struct source_page *page)
{
	struct http_response resp;
	enum status_code code;

	response_text(&resp, 200, body);
	code = parse_with(stream, url, cursor, &resp, page);
	response_release(&resp);
	return code;
}

static enum status_code
parse_file(const char *stream, const char *url, const char *cursor, const char *name,
	   struct source_page *page)
{
	struct http_response resp;
	enum status_code code;

	response_file(&resp, 200, name);
	code = parse_with(stream, url, cursor, &resp, page);
	response_release(&resp);
	return code;
}

static const struct store_deployment *
find(const struct source_page *page, const char *id)
{
	for (size_t i = 0; i < page->n_deployments; i++)
		if (streq(page->deployments[i].source_id, id))
			return &page->deployments[i];
	fail_msg("no deployment %s among %zu", id, page->n_deployments);
	return NULL;
}

static bool
has(const struct source_page *page, const char *id)
{
	for (size_t i = 0; i < page->n_deployments; i++)
		if (streq(page->deployments[i].source_id, id))
			return true;
	return false;
}

/* One deployment, field by field; version, sha, fixes, rolled_back_by, replaces and
 * pattern may be NULL. */
struct want {
	const char *id, *service, *environment, *status;
	enum dora_kind kind;
	const char *version, *sha;
	const char *started, *finished;
	const char *fixes, *rolled_back_by, *replaces;
	const char *target;
};

static void
check(const struct source_page *page, const struct want *w)
{
	const struct store_deployment *d = find(page, w->id);
	char url[128];

	assert_string_equal(d->source, "argocd");
	assert_string_equal(d->service, w->service);
	assert_string_equal(d->environment, w->environment);
	assert_string_equal(d->status, w->status);
	assert_int_equal(d->kind, w->kind);
	if (w->version)
		assert_string_equal(d->version, w->version);
	else
		assert_null(d->version);
	if (w->sha)
		assert_string_equal(d->sha, w->sha);
	else
		assert_null(d->sha);
	assert_int_equal(d->started_at, ts(w->started));
	assert_int_equal(d->finished_at, ts(w->finished));
	if (w->fixes)
		assert_string_equal(d->fixes, w->fixes);
	else
		assert_null(d->fixes);
	if (w->rolled_back_by)
		assert_string_equal(d->rolled_back_by, w->rolled_back_by);
	else
		assert_null(d->rolled_back_by);
	if (w->replaces)
		assert_string_equal(d->replaces, w->replaces);
	else
		assert_null(d->replaces);
	assert_string_equal(d->target, w->target);
	snprintf(url, sizeof(url), BASE "/applications/%s", w->target);
	assert_string_equal(d->url, url);
	assert_null(d->pipeline);
	assert_int_equal(d->n_commits, 0);
	assert_int_equal(d->updated_at, ts(NOW_TEXT));
}

static size_t
todo_count(const char *cursor)
{
	json_t *root = json_loads(cursor, 0, NULL);
	size_t n;

	assert_non_null(root);
	n = json_array_size(json_object_get(root, "todo"));
	json_decref(root);
	return n;
}

/*
 * Plan
 */

static void
plan_for(struct test_source *t, const char *secret, struct source_request **reqs, size_t *n,
	 enum status_code want)
{
	struct source_ctx ctx = ctx_for(t, NULL);

	ctx.secret = secret;
	*reqs = NULL;
	*n = 0;
	assert_int_equal(ops()->plan(&ctx, reqs, n), want);
}

static void
argocd__plan_every_application(void **state)
{
	struct test_source t;
	struct source_request *reqs;
	size_t n;

	(void)state;
	source_init(&t, BASE "/");
	plan_for(&t, "t0ken", &reqs, &n, SUCCESS);
	assert_int_equal(n, 1);
	assert_string_equal(reqs[0].stream, "applications");
	assert_string_equal(reqs[0].method, "GET");
	assert_string_equal(reqs[0].url, LIST_URL);
	assert_null(reqs[0].body);
	assert_int_equal(reqs[0].n_headers, 1);
	assert_string_equal(reqs[0].headers[0].name, "Authorization");
	assert_string_equal(reqs[0].headers[0].value, "Bearer t0ken");
	source_requests_free(reqs, n);
	source_release(&t);
}

static void
argocd__plan_configured_applications(void **state)
{
	struct test_source t;
	struct source_request *reqs;
	size_t n;

	(void)state;
	source_init(&t, BASE);
	add_value(&t, "app", "checkout-prod");
	add_value(&t, "app", "odd name");
	add_value(&t, "app", "checkout-prod"); /* once is enough */
	plan_for(&t, "t0ken", &reqs, &n, SUCCESS);
	assert_int_equal(n, 2);
	assert_string_equal(reqs[0].stream, "app:checkout-prod");
	assert_string_equal(reqs[0].url, CHECKOUT_URL);
	assert_string_equal(reqs[0].headers[0].value, "Bearer t0ken");
	assert_string_equal(reqs[1].stream, "app:odd name");
	assert_string_equal(reqs[1].url, BASE "/api/v1/applications/odd%20name");
	source_requests_free(reqs, n);
	source_release(&t);
}

static void
argocd__plan_refuses_incomplete_config(void **state)
{
	struct test_source t;
	struct source_request *reqs;
	size_t n;

	(void)state;
	source_init(&t, NULL);
	plan_for(&t, "t0ken", &reqs, &n, ERROR_CUSTOM_MESSAGE);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "no url configured"));
	source_requests_free(reqs, n);
	source_release(&t);

	source_init(&t, BASE);
	plan_for(&t, NULL, &reqs, &n, ERROR_CUSTOM_MESSAGE);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "no token configured"));
	source_requests_free(reqs, n);
	source_release(&t);

	source_init(&t, BASE);
	add_value(&t, "app", "");
	plan_for(&t, "t0ken", &reqs, &n, ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "argocd argocd: an empty app (line 4)");
	source_requests_free(reqs, n);
	source_release(&t);
}

/*
 * The list
 */

static void
argocd__list_history_operations_and_rollbacks(void **state)
{
	static const struct want wants[] = {
		{ "checkout-prod:8", "checkout", "production", "success", DORA_NORMAL, "v1.41.0",
		  SHA_A, "2025-02-27T14:00:00Z", "2025-02-27T14:00:38Z", NULL, NULL,
		  "checkout-prod:7", "checkout-prod" },
		{ "checkout-prod:9", "checkout", "production", "success", DORA_NORMAL, "v1.42.0",
		  SHA_B, "2025-02-28T10:00:00Z", "2025-02-28T10:00:41Z", NULL, NULL,
		  "checkout-prod:8", "checkout-prod" },
		/* Rolled back by 11, which restored 9's revision and image. */
		{ "checkout-prod:10", "checkout", "production", "success", DORA_NORMAL, "v1.42.1",
		  "c07be5f1a92d4e3b8c6a1f0e9d7b5a3c2e4f6d81", "2025-03-01T16:30:00Z",
		  "2025-03-01T16:30:35Z", NULL, "checkout-prod:11", "checkout-prod:9",
		  "checkout-prod" },
		{ "checkout-prod:11", "checkout", "production", "success", DORA_ROLLBACK, "v1.42.0",
		  SHA_B, "2025-03-01T17:05:00Z", "2025-03-01T17:05:29Z", "checkout-prod:10", NULL,
		  "checkout-prod:10", "checkout-prod" },
		/* The newest, before its Rollout is read. */
		{ "checkout-prod:12", "checkout", "production", "success", DORA_NORMAL, "v1.43.0",
		  SHA_D, "2025-03-03T09:20:00Z", "2025-03-03T09:20:41Z", NULL, NULL,
		  "checkout-prod:11", "checkout-prod" },
		/* No history yet: the running operation is entry 0; the environment is the
		 * destination cluster's name. */
		{ "ledger:0", "ledger", "production", "running", DORA_NORMAL, SHA_L, SHA_L,
		  "2025-03-03T09:58:00Z", NULL, NULL, NULL, NULL, "ledger" },
		/* Labels environment=prod and service; a helm chart's version is its
		 * revision, the image tag its parameter. */
		{ "payments:3", "payments-api", "production", "success", DORA_NORMAL, "2.4.0", NULL,
		  "2025-03-02T11:00:00Z", "2025-03-02T11:00:21Z", NULL, NULL, "payments:2",
		  "payments" },
		/* Progressing since it started: still rolling out. */
		{ "payments:4", "payments-api", "production", "running", DORA_NORMAL, "2.4.1", NULL,
		  "2025-03-03T09:45:00Z", NULL, NULL, NULL, "payments:3", "payments" },
		{ "search-staging:0", "search", "staging", "success", DORA_NORMAL,
		  "0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3",
		  "0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3", "2025-03-02T15:10:00Z",
		  "2025-03-02T15:10:16Z", NULL, NULL, NULL, "search-staging" },
		/* The failed sync after entry 1: entry 2 to be. */
		{ "search-staging:2", "search", "staging", "failed", DORA_NORMAL, SHA_E, SHA_E,
		  "2025-03-03T08:00:00Z", "2025-03-03T08:01:12Z", NULL, NULL, "search-staging:1",
		  "search-staging" },
	};
	struct source_page page;

	(void)state;
	assert_int_equal(
		parse_file("applications", LIST_URL, NULL, "argocd/applications-list.json", &page),
		SUCCESS);
	/* 5 + 1 + 2 + 3; the never synced "tools" has none. */
	assert_int_equal(page.n_deployments, 11);
	assert_int_equal(source_page_records(&page), 11);
	for (size_t i = 0; i < ARRAY_SIZE(wants); i++)
		check(&page, &wants[i]);
	assert_true(has(&page, "search-staging:1"));
	/* A Deployment's own rollout for payments and search-staging; checkout-prod's
	 * Rollout is not read yet, ledger manages nothing yet. */
	for (size_t i = 0; i < page.n_deployments; i++) {
		const struct store_deployment *d = &page.deployments[i];
		bool rolling = strncmp(d->source_id, "payments:", 9) == 0 ||
			       strncmp(d->source_id, "search-staging:", 15) == 0;

		if (rolling)
			assert_string_equal(d->pattern, "rolling");
		else
			assert_null(d->pattern);
		assert_true(isnan(d->canary_weight));
		assert_int_equal(d->bake_until, TIME_NONE);
	}

	/* The paused canary of checkout-prod is read next, with the same token. */
	assert_non_null(page.next);
	assert_string_equal(page.next->stream, "applications");
	assert_string_equal(page.next->method, "GET");
	assert_string_equal(page.next->url, ROLLOUT_URL);
	assert_int_equal(page.next->n_headers, 1);
	assert_string_equal(page.next->headers[0].value, "Bearer t0ken");
	assert_non_null(page.cursor);
	assert_int_equal(todo_count(page.cursor), 1);
	/* Paths only: the configured url may carry a password. */
	assert_null(strstr(page.cursor, "https://argocd.example.com/api"));
	source_page_release(&page);
}

static void
argocd__empty_list(void **state)
{
	struct source_page page;

	(void)state;
	assert_int_equal(parse_text("applications", LIST_URL, NULL,
				    "{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":null}",
				    &page),
			 SUCCESS);
	assert_int_equal(page.n_deployments, 0);
	assert_null(page.next);
	assert_string_equal(page.cursor, "{\"apps\":{},\"todo\":[]}");
	source_page_release(&page);
}

/*
 * Rollouts
 */

/* The list, then checkout-prod's Rollout answered with body: the page of the
 * Rollout, and the cursor after it (new). */
static char *
round_with_rollout(const char *body, struct source_page *page)
{
	struct source_page first;
	char *cursor;

	assert_int_equal(
		parse_file("applications", LIST_URL, NULL, "argocd/applications-list.json", &first),
		SUCCESS);
	assert_string_equal(first.next->url, ROLLOUT_URL);
	cursor = xstrdup(first.cursor);
	source_page_release(&first);
	assert_int_equal(parse_text("applications", ROLLOUT_URL, cursor, body, page), SUCCESS);
	free(cursor);
	return page->cursor ? xstrdup(page->cursor) : NULL;
}

/* {"manifest": "<the Rollout as JSON text>"}, as GET .../resource answers (new). */
static char *
resource_body(const char *rollout)
{
	json_t *obj = json_loads(rollout, 0, NULL), *root;
	char *manifest, *body;

	assert_non_null(obj);
	manifest = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	root = json_pack("{s:s}", "manifest", manifest);
	body = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	json_decref(obj);
	free(manifest);
	return body;
}

static const struct store_deployment *
current_of(const struct source_page *page)
{
	assert_int_equal(page->n_deployments, 1);
	return find(page, "checkout-prod:12");
}

static void
argocd__rollout_paused_canary(void **state)
{
	static const struct want want = {
		"checkout-prod:12",
		"checkout",
		"production",
		"running",
		DORA_NORMAL,
		"v1.43.0",
		SHA_D,
		"2025-03-03T09:20:00Z",
		NULL,
		NULL,
		NULL,
		"checkout-prod:11",
		"checkout-prod",
	};
	struct source_page page;
	const struct store_deployment *d;
	char *body = fixture_text("argocd/resource-rollout-canary-paused.json", NULL), *cursor;

	(void)state;
	cursor = round_with_rollout(body, &page);
	d = current_of(&page);
	check(&page, &want);
	assert_string_equal(d->pattern, "canary");
	/* Step 3 is the 30 minute pause after setWeight 25, paused since 09:40. */
	assert_true(d->canary_weight == 25);
	assert_int_equal(d->bake_until, ts("2025-03-03T10:10:00Z"));
	assert_null(page.next);
	assert_int_equal(todo_count(cursor), 0);
	source_page_release(&page);

	/* The next round: nothing changed, so nothing is written, but a canary under
	 * way is read again. */
	assert_int_equal(parse_file("applications", LIST_URL, cursor,
				    "argocd/applications-list.json", &page),
			 SUCCESS);
	assert_int_equal(page.n_deployments, 0);
	assert_non_null(page.next);
	assert_string_equal(page.next->url, ROLLOUT_URL);
	source_page_release(&page);
	free(cursor);
	free(body);
}

/* argo-rollouts' own lint test data (Apache-2.0): a canary spec without status, as
 * a Rollout looks before its controller first sees it. */
static void
argocd__rollout_spec_fixture_without_status(void **state)
{
	struct source_page page;
	const struct store_deployment *d;
	char *spec = fixture_text("argo-rollouts/rollout-canary-setweight-steps.json", NULL);
	char *body = resource_body(spec), *cursor;

	(void)state;
	cursor = round_with_rollout(body, &page);
	d = current_of(&page);
	assert_string_equal(d->status, "running");
	assert_string_equal(d->pattern, "canary");
	assert_true(d->canary_weight == 0);
	assert_int_equal(d->bake_until, TIME_NONE);
	assert_int_equal(d->finished_at, TIME_NONE);
	source_page_release(&page);
	free(cursor);
	free(body);
	free(spec);
}

#define STEPS                                                                                  \
	"\"steps\":[{\"setWeight\":10},{\"pause\":{\"duration\":\"10m\"}},{\"setWeight\":25}," \
	"{\"pause\":{\"duration\":1800}},{\"setWeight\":50},{\"pause\":{}},{\"setWeight\":100}]"
#define CANARY_SPEC(gen)                                                                          \
	"{\"apiVersion\":\"argoproj.io/v1alpha1\",\"kind\":\"Rollout\",\"metadata\":{\"name\":"   \
	"\"checkout\",\"namespace\":\"checkout\",\"generation\":" gen "},\"spec\":{\"replicas\":" \
	"8,\"strategy\":{\"canary\":{\"canaryService\":\"checkout-canary\"," STEPS "}}},"

/* What one Rollout becomes on the current deployment. */
struct rollout_case {
	const char *rollout;
	const char *status, *pattern;
	double weight; /* NAN: none */
	const char *bake_until, *finished;
};

static void
argocd__rollout_states(void **state)
{
	static const struct rollout_case cases[] = {
		/* Aborted at step 2: traffic back on stable. */
		{ CANARY_SPEC(
			  "23") "\"status\":{\"abort\":true,\"abortedAt\":\"2025-03-03T09:50:00Z\","
				"\"canary\":{\"weights\":{\"canary\":{\"weight\":0,"
				"\"podTemplateHash\":"
				"\"6d8f9c7b54\"},\"stable\":{\"weight\":100}}},"
				"\"currentStepIndex\":2,"
				"\"observedGeneration\":\"23\",\"phase\":\"Degraded\",\"message\":"
				"\"RolloutAborted: Rollout aborted update to revision 14\"}}",
		  "rolled_back", "canary", 0, NULL, "2025-03-03T09:50:00Z" },
		/* Past its progress deadline, not aborted. */
		{ CANARY_SPEC(
			  "23") "\"status\":{\"currentStepIndex\":0,\"observedGeneration\":\"23\","
				"\"phase\":\"Degraded\",\"conditions\":[{\"type\":\"Progressing\","
				"\"status\":\"False\",\"reason\":\"ProgressDeadlineExceeded\","
				"\"lastTransitionTime\":\"2025-03-03T09:31:00Z\"}]}}",
		  "failed", "canary", 10, NULL, "2025-03-03T09:31:00Z" },
		/* Degraded without a failed Progressing condition: the sync's end. */
		{ CANARY_SPEC("23") "\"status\":{\"currentStepIndex\":0,\"observedGeneration\":"
				    "\"23\",\"phase\":\"Degraded\"}}",
		  "failed", "canary", 10, NULL, "2025-03-03T09:20:41Z" },
		/* Completed at 09:58: the deployment finished then, not at the sync. */
		{ CANARY_SPEC("23") "\"status\":{\"currentStepIndex\":7,\"observedGeneration\":"
				    "\"23\",\"phase\":\"Healthy\",\"conditions\":[{\"type\":"
				    "\"Completed\",\"status\":\"True\",\"reason\":"
				    "\"RolloutCompleted\",\"lastTransitionTime\":"
				    "\"2025-03-03T09:58:00Z\"},{\"type\":\"Healthy\",\"status\":"
				    "\"True\",\"lastTransitionTime\":\"2025-03-03T09:58:00Z\"}]}}",
		  "success", "canary", 100, NULL, "2025-03-03T09:58:00Z" },
		/* Every step done: the new version is the stable one. */
		{ CANARY_SPEC("23") "\"status\":{\"currentStepIndex\":7,\"observedGeneration\":"
				    "\"23\","
				    "\"phase\":\"Healthy\",\"canary\":{\"weights\":{\"canary\":{"
				    "\"weight\":0},"
				    "\"stable\":{\"weight\":100}}}}}",
		  "success", "canary", 100, NULL, "2025-03-03T09:20:41Z" },
		/* Healthy, but about the spec before this one. */
		{ CANARY_SPEC("24") "\"status\":{\"currentStepIndex\":7,\"observedGeneration\":"
				    "\"23\","
				    "\"phase\":\"Healthy\"}}",
		  "running", "canary", 100, NULL, NULL },
		/* A traffic router's weight wins over the step's. */
		{ CANARY_SPEC("23") "\"status\":{\"currentStepIndex\":2,\"observedGeneration\":"
				    "\"23\","
				    "\"phase\":\"Progressing\",\"canary\":{\"weights\":{\"canary\":"
				    "{\"weight\":30},\"stable\":{\"weight\":70}}}}}",
		  "running", "canary", 30, NULL, NULL },
		/* The first pause: "10m" from 09:41:30. */
		{ CANARY_SPEC(
			  "23") "\"status\":{\"currentStepIndex\":1,\"observedGeneration\":\"23\","
				"\"phase\":\"Paused\",\"pauseConditions\":[{\"reason\":"
				"\"CanaryPauseStep\",\"startTime\":\"2025-03-03T09:41:30Z\"}]}}",
		  "running", "canary", 10, "2025-03-03T09:51:30Z", NULL },
		/* A pause without duration waits for a promotion: no bake end. */
		{ CANARY_SPEC(
			  "23") "\"status\":{\"currentStepIndex\":5,\"observedGeneration\":\"23\","
				"\"phase\":\"Paused\",\"pauseConditions\":[{\"reason\":"
				"\"CanaryPauseStep\",\"startTime\":\"2025-03-03T09:41:30Z\"}]}}",
		  "running", "canary", 50, NULL, NULL },
		/* Blue-green waiting for its automatic promotion. */
		{ "{\"kind\":\"Rollout\",\"metadata\":{\"name\":\"checkout\",\"generation\":5},"
		  "\"spec\":{\"strategy\":{\"blueGreen\":{\"activeService\":\"checkout\","
		  "\"previewService\":\"checkout-preview\",\"autoPromotionSeconds\":600}}},"
		  "\"status\":{\"observedGeneration\":\"5\",\"phase\":\"Paused\","
		  "\"pauseConditions\":"
		  "[{\"reason\":\"BlueGreenPause\",\"startTime\":\"2025-03-03T09:30:00Z\"}],"
		  "\"blueGreen\":{\"activeSelector\":\"5f7c8b6d49\",\"previewSelector\":"
		  "\"6d8f9c7b54\"}}}",
		  "running", "blue-green", NAN, "2025-03-03T09:40:00Z", NULL },
		/* ... and with automatic promotion off. */
		{ "{\"kind\":\"Rollout\",\"spec\":{\"strategy\":{\"blueGreen\":{\"activeService\":"
		  "\"checkout\",\"autoPromotionEnabled\":false,\"autoPromotionSeconds\":600}}},"
		  "\"status\":{\"phase\":\"Paused\",\"pauseConditions\":[{\"reason\":"
		  "\"BlueGreenPause\","
		  "\"startTime\":\"2025-03-03T09:30:00Z\"}]}}",
		  "running", "blue-green", NAN, NULL, NULL },
		/* Neither strategy: a rolling update. */
		{ "{\"kind\":\"Rollout\",\"spec\":{\"strategy\":{}},\"status\":{\"phase\":"
		  "\"Healthy\"}}",
		  "success", "rolling", NAN, NULL, "2025-03-03T09:20:41Z" },
		/* A controller that writes no phase: the steps say it is under way. */
		{ CANARY_SPEC("23") "\"status\":{\"currentStepIndex\":4}}", "running", "canary", 50,
		  NULL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct rollout_case *c = &cases[i];
		struct source_page page;
		const struct store_deployment *d;
		char *body = resource_body(c->rollout), *cursor;

		print_message("case %zu\n", i);
		cursor = round_with_rollout(body, &page);
		d = current_of(&page);
		assert_string_equal(d->status, c->status);
		assert_string_equal(d->pattern, c->pattern);
		if (isnan(c->weight))
			assert_true(isnan(d->canary_weight));
		else
			assert_true(d->canary_weight == c->weight);
		assert_int_equal(d->bake_until, ts(c->bake_until));
		assert_int_equal(d->finished_at, ts(c->finished));
		source_page_release(&page);
		free(cursor);
		free(body);
	}
}

/* Pause durations as Argo Rollouts reads them (Go's time.ParseDuration, or digits
 * meaning seconds), from a pause that started at 09:40. */
static void
argocd__rollout_pause_durations(void **state)
{
	static const struct {
		const char *duration;
		const char *until;
	} cases[] = {
		{ "\"90\"", "2025-03-03T09:41:30Z" },
		{ "\"1h30m\"", "2025-03-03T11:10:00Z" },
		{ "\"1.5h\"", "2025-03-03T11:10:00Z" },
		{ "\"2m30.9s\"", "2025-03-03T09:42:30Z" },
		{ "\"45000ms\"", "2025-03-03T09:40:45Z" },
		{ "600", "2025-03-03T09:50:00Z" },
		{ "\"0s\"", NULL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct source_page page;
		char *rollout = xasprintf(
			"{\"kind\":\"Rollout\",\"spec\":{\"strategy\":{\"canary\":{\"steps\":["
			"{\"setWeight\":20},{\"pause\":{\"duration\":%s}}]}}},\"status\":{"
			"\"currentStepIndex\":1,\"phase\":\"Paused\",\"pauseConditions\":[{"
			"\"reason\":"
			"\"CanaryPauseStep\",\"startTime\":\"2025-03-03T09:40:00Z\"}]}}",
			cases[i].duration);
		char *body = resource_body(rollout), *cursor;

		print_message("%s\n", cases[i].duration);
		cursor = round_with_rollout(body, &page);
		assert_int_equal(current_of(&page)->bake_until, ts(cases[i].until));
		assert_true(current_of(&page)->canary_weight == 20);
		source_page_release(&page);
		free(cursor);
		free(body);
		free(rollout);
	}
}

/* A promoted canary is not read again while nothing changes: the round is the
 * application's request alone and writes nothing. */
static void
argocd__quiet_round(void **state)
{
	struct source_page page;
	char *body = resource_body(CANARY_SPEC("23") "\"status\":{\"currentStepIndex\":7,"
						     "\"observedGeneration\":\"23\",\"phase\":"
						     "\"Healthy\"}}");
	char *cursor;

	(void)state;
	assert_int_equal(parse_file("app:checkout-prod", CHECKOUT_URL, NULL,
				    "argocd/application-checkout-prod.json", &page),
			 SUCCESS);
	assert_int_equal(page.n_deployments, 5);
	assert_string_equal(page.next->url, ROLLOUT_URL);
	cursor = xstrdup(page.cursor);
	source_page_release(&page);
	assert_int_equal(parse_text("app:checkout-prod", ROLLOUT_URL, cursor, body, &page),
			 SUCCESS);
	assert_string_equal(current_of(&page)->status, "success");
	free(cursor);
	cursor = xstrdup(page.cursor);
	source_page_release(&page);

	assert_int_equal(parse_file("app:checkout-prod", CHECKOUT_URL, cursor,
				    "argocd/application-checkout-prod.json", &page),
			 SUCCESS);
	assert_int_equal(page.n_deployments, 0);
	assert_null(page.next);
	assert_int_equal(todo_count(page.cursor), 0);
	source_page_release(&page);
	free(cursor);
	free(body);
}

/* checkout-prod's application with a new sync appended to its history (new). */
static char *
checkout_after_next_sync(void)
{
	char *text = fixture_text("argocd/application-checkout-prod.json", NULL), *out;
	json_t *app = json_loads(text, 0, NULL);

	assert_non_null(app);
	json_array_append_new(json_object_get(json_object_get(app, "status"), "history"),
			      json_pack("{s:i, s:s, s:{s:s, s:{s:[s]}}, s:s, s:s}", "id", 13,
					"revision", "e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3",
					"source", "repoURL", "https://github.com/acme/deploy.git",
					"kustomize", "images", "ghcr.io/acme/checkout:v1.43.1",
					"deployStartedAt", "2025-03-03T10:40:00Z", "deployedAt",
					"2025-03-03T10:40:30Z"));
	out = json_dumps(app, JSON_COMPACT);
	json_decref(app);
	free(text);
	return out;
}

/* How the Rollouts left a deployment is kept once the next sync replaces it: the
 * history says nothing of it. */
static void
argocd__replaced_deployment_keeps_its_rollout(void **state)
{
	static const struct {
		const char *status_json;
		bool rewritten; /* false: the row stays as the Rollout's page wrote it */
		const char *status, *finished;
		double weight;
	} cases[] = {
		/* Aborted: rolled back it stays. */
		{ "{\"abort\":true,\"abortedAt\":\"2025-03-03T09:50:00Z\",\"currentStepIndex\":2,"
		  "\"observedGeneration\":\"23\",\"phase\":\"Degraded\"}",
		  false, "rolled_back", "2025-03-03T09:50:00Z", 0 },
		/* Last seen paused at 25%: replaced before it was seen done, so deployed. */
		{ "{\"currentStepIndex\":3,\"observedGeneration\":\"23\",\"phase\":\"Paused\","
		  "\"pauseConditions\":[{\"reason\":\"CanaryPauseStep\",\"startTime\":"
		  "\"2025-03-03T09:40:00Z\"}]}",
		  true, "success", "2025-03-03T09:20:41Z", 25 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct source_page page;
		char *rollout = xasprintf(CANARY_SPEC("23") "\"status\":%s}", cases[i].status_json);
		char *body = resource_body(rollout), *next = checkout_after_next_sync(), *cursor;
		const struct store_deployment *d;

		print_message("case %zu\n", i);
		assert_int_equal(parse_file("app:checkout-prod", CHECKOUT_URL, NULL,
					    "argocd/application-checkout-prod.json", &page),
				 SUCCESS);
		cursor = xstrdup(page.cursor);
		source_page_release(&page);
		assert_int_equal(parse_text("app:checkout-prod", ROLLOUT_URL, cursor, body, &page),
				 SUCCESS);
		free(cursor);
		cursor = xstrdup(page.cursor);
		d = current_of(&page);
		if (!cases[i].rewritten) {
			assert_string_equal(d->status, cases[i].status);
			assert_int_equal(d->finished_at, ts(cases[i].finished));
		}
		source_page_release(&page);

		assert_int_equal(parse_text("app:checkout-prod", CHECKOUT_URL, cursor, next, &page),
				 SUCCESS);
		/* 13 is new; 8-11 did not change, nor did 12 unless it was under way. */
		assert_int_equal(page.n_deployments, cases[i].rewritten ? 2 : 1);
		d = find(&page, "checkout-prod:13");
		assert_string_equal(d->version, "v1.43.1");
		assert_string_equal(d->replaces, "checkout-prod:12");
		assert_string_equal(page.next->url, ROLLOUT_URL);
		if (cases[i].rewritten) {
			d = find(&page, "checkout-prod:12");
			assert_string_equal(d->status, cases[i].status);
			assert_string_equal(d->pattern, "canary");
			assert_true(d->canary_weight == cases[i].weight);
			assert_int_equal(d->bake_until, TIME_NONE);
			assert_int_equal(d->finished_at, ts(cases[i].finished));
		}
		source_page_release(&page);
		free(cursor);
		free(next);
		free(body);
		free(rollout);
	}
}

/*
 * Environments, services, versions
 */

/* One application of the list, with what the rules make of it. */
struct place_case {
	const char *name, *labels, *destination;
	const char *config_service;
	const char *environment, *service;
};

static void
argocd__environment_and_service(void **state)
{
	static const struct place_case cases[] = {
		{ "checkout-prod", NULL, "{\"namespace\":\"checkout\"}", NULL, "production",
		  "checkout" },
		{ "checkout-stg", NULL, "{\"namespace\":\"checkout\"}", NULL, "staging",
		  "checkout" },
		{ "checkout", NULL, "{\"namespace\":\"checkout-staging\"}", NULL, "staging",
		  "checkout" },
		{ "checkout", NULL, "{\"name\":\"dev-eu\",\"namespace\":\"shop\"}", NULL, "shop",
		  "checkout" },
		{ "checkout", NULL, "{\"name\":\"eu-dev\",\"namespace\":\"shop\"}", NULL,
		  "development", "checkout" },
		{ "checkout", NULL, "{\"server\":\"https://kubernetes.default.svc\"}", NULL,
		  "default", "checkout" },
		{ "web-prod", "{\"env\":\"qa\",\"app.kubernetes.io/name\":\"storefront\"}",
		  "{\"namespace\":\"web\"}", NULL, "qa", "storefront" },
		{ "web-prod", "{\"environment\":\"Live\",\"app\":\"web\"}", "{}", NULL,
		  "production", "web" },
		{ "web-prod", "{\"environment\":\"eu-west\",\"service\":\"web-api\"}", "{}", NULL,
		  "eu-west", "web-api" },
		{ "web-prod", "{\"service\":\"web-api\"}", "{}", "frontend", "production",
		  "web-api" },
		{ "web-prod", "{\"team\":\"web\"}", "{}", "frontend", "production", "frontend" },
		{ "prod", NULL, "{}", NULL, "production", "prod" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct place_case *c = &cases[i];
		struct test_source t;
		struct source_request req = { 0 };
		struct http_response resp;
		struct source_ctx ctx;
		struct source_page page;
		char *body = xasprintf(
			"{\"items\":[{\"metadata\":{\"name\":\"%s\"%s%s},\"spec\":{\"destination\":"
			"%s},\"status\":{\"history\":[{\"id\":0,\"revision\":\"" SHA_A "\","
			"\"deployedAt\":\"2025-03-03T09:00:00Z\"}]}}]}",
			c->name, c->labels ? ",\"labels\":" : "", c->labels ? c->labels : "",
			c->destination);

		print_message("case %zu\n", i);
		source_init(&t, BASE);
		if (c->config_service) {
			add_value(&t, "service", c->config_service);
			t.src.service = xstrdup(c->config_service);
		}
		ctx = ctx_for(&t, NULL);
		req.stream = xstrdup("applications");
		req.url = xstrdup(LIST_URL);
		response_text(&resp, 200, body);
		source_page_init(&page);
		assert_int_equal(ops()->parse(&ctx, &req, &resp, &page), SUCCESS);
		assert_int_equal(page.n_deployments, 1);
		assert_string_equal(page.deployments[0].environment, c->environment);
		assert_string_equal(page.deployments[0].service, c->service);
		assert_string_equal(page.deployments[0].target, c->name);
		/* deployStartedAt is missing before Argo CD 2.1: the start is deployedAt. */
		assert_int_equal(page.deployments[0].started_at, ts("2025-03-03T09:00:00Z"));
		source_page_release(&page);
		response_release(&resp);
		source_request_release(&req);
		source_release(&t);
		free(body);
	}
}

/* The version and sha of one history entry, from its revision(s) and source(s). */
struct version_case {
	const char *entry; /* the members after "id" */
	const char *version, *sha;
};

static void
argocd__versions(void **state)
{
	static const struct version_case cases[] = {
		{ "\"revision\":\"" SHA_A "\"", SHA_A, SHA_A },
		{ "\"revision\":\"v2.3.0\"", "v2.3.0", NULL },
		{ "\"revision\":\"" SHA_A "\",\"source\":{\"kustomize\":{\"images\":["
		  "\"registry.local:5000/acme/app:v2.1\"]}}",
		  "v2.1", SHA_A },
		{ "\"revision\":\"" SHA_A "\",\"source\":{\"kustomize\":{\"images\":["
		  "\"app=registry.local:5000/acme/app:v2.2@sha256:0d1e\"]}}",
		  "v2.2", SHA_A },
		/* A digest alone sets no tag; neither does a port. */
		{ "\"revision\":\"" SHA_A "\",\"source\":{\"kustomize\":{\"images\":["
		  "\"app@sha256:0d1e\",\"registry.local:5000/acme/app\"]}}",
		  SHA_A, SHA_A },
		{ "\"revision\":\"4.0.1\",\"source\":{\"chart\":\"web\",\"helm\":{\"parameters\":["
		  "{\"name\":\"replicaCount\",\"value\":\"3\"},{\"name\":\"global.image.tag\","
		  "\"value\":\"r88\"}]}}",
		  "r88", NULL },
		/* Several sources: every revision, the first commit, the first tag. */
		{ "\"revisions\":[\"1.2.0\",\"" SHA_B "\"],\"sources\":[{\"chart\":\"web\"},"
		  "{\"repoURL\":\"https://github.com/acme/values.git\",\"ref\":\"values\"}]",
		  "1.2.0," SHA_B, SHA_B },
		{ "\"revisions\":[\"1.2.0\",\"" SHA_B
		  "\"],\"sources\":[{\"chart\":\"web\",\"helm\":"
		  "{\"parameters\":[{\"name\":\"image.tag\",\"value\":\"7.7\"}]}},{\"ref\":\"v\"}]",
		  "7.7", SHA_B },
		{ "\"source\":{\"repoURL\":\"https://github.com/acme/deploy.git\"}", NULL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct source_page page;
		char *body =
			xasprintf("{\"items\":[{\"metadata\":{\"name\":\"web-prod\"},\"status\":"
				  "{\"history\":[{\"id\":3,%s,\"deployedAt\":"
				  "\"2025-03-03T09:00:00Z\"}]}}]}",
				  cases[i].entry);

		print_message("case %zu\n", i);
		assert_int_equal(parse_text("applications", LIST_URL, NULL, body, &page), SUCCESS);
		assert_int_equal(page.n_deployments, 1);
		if (cases[i].version)
			assert_string_equal(page.deployments[0].version, cases[i].version);
		else
			assert_null(page.deployments[0].version);
		if (cases[i].sha)
			assert_string_equal(page.deployments[0].sha, cases[i].sha);
		else
			assert_null(page.deployments[0].sha);
		source_page_release(&page);
		free(body);
	}
}

/* An image set back on an unchanged commit is a rollback too; the same revision
 * synced again is not. */
static void
argocd__rollback_of_an_image(void **state)
{
#define ENTRY(id, tag, at)                                                                  \
	"{\"id\":" id ",\"revision\":\"" SHA_A "\",\"source\":{\"kustomize\":{\"images\":[" \
	"\"ghcr.io/acme/web:" tag "\"]}},\"deployedAt\":\"" at "\"}"
	static const char body[] =
		"{\"items\":[{\"metadata\":{\"name\":\"web-prod\"},\"status\":{"
		"\"history\":[" ENTRY("0", "v1", "2025-03-03T08:00:00Z") "," ENTRY(
			"1", "v2", "2025-03-03T08:10:00Z") "," ENTRY("2", "v2",
								     "2025-03-03T08:20:"
								     "00Z") "," ENTRY("3", "v1",
										      "202"
										      "5-"
										      "03-"
										      "03T"
										      "08:"
										      "30:"
										      "00"
										      "Z") "]}}]}";
#undef ENTRY
	struct source_page page;

	(void)state;
	assert_int_equal(parse_text("applications", LIST_URL, NULL, body, &page), SUCCESS);
	assert_int_equal(page.n_deployments, 4);
	assert_int_equal(find(&page, "web-prod:2")->kind, DORA_NORMAL);
	assert_null(find(&page, "web-prod:1")->rolled_back_by);
	assert_int_equal(find(&page, "web-prod:3")->kind, DORA_ROLLBACK);
	assert_string_equal(find(&page, "web-prod:3")->fixes, "web-prod:2");
	assert_string_equal(find(&page, "web-prod:2")->rolled_back_by, "web-prod:3");
	assert_string_equal(find(&page, "web-prod:3")->version, "v1");
	source_page_release(&page);
}

/* A rollback still running is marked on itself only: it may yet fail. */
static void
argocd__running_rollback(void **state)
{
	static const char body[] =
		"{\"items\":[{\"metadata\":{\"name\":\"web-prod\"},\"status\":{\"history\":["
		"{\"id\":5,\"revision\":\"" SHA_A "\",\"deployedAt\":\"2025-03-03T08:00:00Z\"},"
		"{\"id\":6,\"revision\":\"" SHA_B "\",\"deployedAt\":\"2025-03-03T09:00:00Z\"}],"
		"\"operationState\":{\"operation\":{\"sync\":{\"revision\":\"" SHA_A "\"}},"
		"\"phase\":\"Running\",\"startedAt\":\"2025-03-03T09:59:00Z\"}}}]}";
	struct source_page page;

	(void)state;
	assert_int_equal(parse_text("applications", LIST_URL, NULL, body, &page), SUCCESS);
	assert_int_equal(page.n_deployments, 3);
	assert_string_equal(find(&page, "web-prod:7")->status, "running");
	assert_int_equal(find(&page, "web-prod:7")->kind, DORA_ROLLBACK);
	assert_string_equal(find(&page, "web-prod:7")->fixes, "web-prod:6");
	assert_string_equal(find(&page, "web-prod:7")->replaces, "web-prod:6");
	assert_null(find(&page, "web-prod:6")->rolled_back_by);
	source_page_release(&page);
}

/*
 * Bad input
 */

struct bad_case {
	const char *stream, *url, *body;
	long status;
	const char *error;
};

static void
argocd__bad_responses(void **state)
{
	static const struct bad_case cases[] = {
		{ "applications", LIST_URL,
		  "{\"error\":\"invalid session: token has invalid claims: token is expired\","
		  "\"code\":16,\"message\":\"invalid session: token has invalid claims: token is "
		  "expired\"}",
		  401,
		  "argocd applications: HTTP 401: invalid session: token has invalid claims: token "
		  "is expired (check the token: expired or revoked tokens are refused)" },
		{ "app:checkout-prod", CHECKOUT_URL,
		  "{\"error\":\"permission denied\",\"code\":7,\"message\":\"permission denied\"}",
		  403,
		  "argocd app:checkout-prod: HTTP 403: permission denied (the token's account "
		  "needs "
		  "the applications get permission; Argo CD also answers 403 for an application "
		  "that does not exist)" },
		{ "applications", LIST_URL, "upstream connect error or disconnect/reset\n", 503,
		  "argocd applications: HTTP 503: upstream connect error or disconnect/reset" },
		{ "applications", LIST_URL, "<html>", 200,
		  "argocd applications: the response is not JSON (line 1, column 1: '[' or '{' "
		  "expected near '<')" },
		{ "applications", LIST_URL, "[]", 200,
		  "argocd applications: the response is an array, not an application list" },
		{ "applications", LIST_URL, "{\"items\":\"none\"}", 200,
		  "argocd applications: items is a string, not an array" },
		{ "applications", LIST_URL, "{\"items\":[{\"metadata\":{}}]}", 200,
		  "argocd applications: application 0: metadata.name is missing" },
		{ "applications", LIST_URL,
		  "{\"items\":[{\"metadata\":{\"name\":\"web\"},\"status\":{\"history\":[{\"id\":"
		  "\"1\","
		  "\"deployedAt\":\"2025-03-03T09:00:00Z\"}]}}]}",
		  200,
		  "argocd applications: application 0 (web): status.history[0].id is a string, not "
		  "an integer" },
		{ "applications", LIST_URL,
		  "{\"items\":[{\"metadata\":{\"name\":\"web\"},\"status\":{\"history\":[{\"id\":1,"
		  "\"deployedAt\":\"yesterday\"}]}}]}",
		  200,
		  "argocd applications: application 0 (web): status.history[0].deployedAt "
		  "\"yesterday\" is not a timestamp" },
		{ "applications", LIST_URL,
		  "{\"items\":[{\"metadata\":{\"name\":\"web\"},\"status\":{\"history\":[{\"id\":1}"
		  "]}}]}",
		  200,
		  "argocd applications: application 0 (web): status.history[0].deployedAt is "
		  "missing" },
		{ "applications", LIST_URL,
		  "{\"items\":[{\"metadata\":{\"name\":\"web\"},\"status\":{\"operationState\":{"
		  "\"startedAt\":\"2025-03-03T09:00:00Z\"}}}]}",
		  200,
		  "argocd applications: application 0 (web): status.operationState.phase is "
		  "missing" },
		{ "applications", LIST_URL,
		  "{\"items\":[{\"metadata\":{\"name\":\"web\"},\"status\":{\"health\":\"Healthy\"}"
		  "}]}",
		  200,
		  "argocd applications: application 0 (web): status.health is a string, not an "
		  "object" },
		{ "applications", LIST_URL,
		  "{\"items\":[{\"metadata\":{\"name\":\"web\",\"labels\":[\"env=prod\"]}}]}", 200,
		  "argocd applications: application 0 (web): metadata.labels is an array, not an "
		  "object" },
		{ "applications", LIST_URL,
		  "{\"items\":[{\"metadata\":{\"name\":\"web\"},\"status\":{\"resources\":[{"
		  "\"group\":"
		  "\"argoproj.io\",\"kind\":\"Rollout\",\"namespace\":\"web\"}]}}]}",
		  200,
		  "argocd applications: application 0 (web): status.resources[0].name is missing" },
		{ "app:checkout-prod", CHECKOUT_URL, "{\"metadata\":{\"name\":\"search-staging\"}}",
		  200, "argocd app:checkout-prod: the response is another application" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct bad_case *c = &cases[i];
		struct http_response resp;
		struct source_page page;

		response_text(&resp, c->status, c->body);
		assert_int_equal(parse_with(c->stream, c->url, NULL, &resp, &page),
				 ERROR_CUSTOM_MESSAGE);
		assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE), c->error);
		assert_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "t0ken"));
		assert_int_equal(page.n_deployments, 0);
		assert_null(page.cursor);
		source_page_release(&page);
		response_release(&resp);
	}
}

static void
argocd__bad_rollouts(void **state)
{
#define WHAT "argocd applications: rollout checkout/checkout of checkout-prod: "
	static const struct bad_case cases[] = {
		{ NULL, NULL,
		  "{\"error\":\"rollouts.argoproj.io \\\"checkout\\\" not found\",\"code\":5,"
		  "\"message\":\"rollouts.argoproj.io \\\"checkout\\\" not found\"}",
		  404,
		  WHAT
		  "HTTP 404: rollouts.argoproj.io \"checkout\" not found (no such application or "
		  "resource)" },
		{ NULL, NULL, "{\"manifest\":\"{kind: Rollout}\"}", 200,
		  WHAT "the manifest is not JSON (line 1, column 5)" },
		{ NULL, NULL, "{\"manifest\":42}", 200, WHAT "manifest is a number, not a string" },
		{ NULL, NULL, "{}", 200, WHAT "the response has no manifest" },
		{ NULL, NULL, "{\"manifest\":\"{\\\"kind\\\":\\\"Deployment\\\"}\"}", 200,
		  WHAT "the manifest is a \"Deployment\", not a Rollout" },
		{ NULL, NULL,
		  "{\"manifest\":\"{\\\"kind\\\":\\\"Rollout\\\",\\\"status\\\":{"
		  "\\\"currentStepIndex\\\":\\\"2\\\"}}\"}",
		  200, WHAT "status.currentStepIndex is a string, not an integer" },
		{ NULL, NULL,
		  "{\"manifest\":\"{\\\"kind\\\":\\\"Rollout\\\",\\\"spec\\\":{\\\"strategy\\\":{"
		  "\\\"canary\\\":{\\\"steps\\\":[{\\\"pause\\\":{\\\"duration\\\":\\\"soon\\\"}}]}"
		  "}},"
		  "\\\"status\\\":{\\\"currentStepIndex\\\":0,\\\"pauseConditions\\\":[{"
		  "\\\"reason\\\":\\\"CanaryPauseStep\\\",\\\"startTime\\\":"
		  "\\\"2025-03-03T09:40:00Z\\\"}]}}\"}",
		  200,
		  WHAT "spec.strategy.canary.steps[0].pause.duration \"soon\" is not a duration" },
		{ NULL, NULL,
		  "{\"manifest\":\"{\\\"kind\\\":\\\"Rollout\\\",\\\"spec\\\":{\\\"strategy\\\":{"
		  "\\\"canary\\\":{\\\"steps\\\":[{\\\"setWeight\\\":140}]}}}}\"}",
		  200, WHAT "spec.strategy.canary.steps[0].setWeight is not a percentage" },
	};
#undef WHAT
	struct source_page first;
	char *cursor;

	(void)state;
	assert_int_equal(
		parse_file("applications", LIST_URL, NULL, "argocd/applications-list.json", &first),
		SUCCESS);
	cursor = xstrdup(first.cursor);
	source_page_release(&first);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct bad_case *c = &cases[i];
		struct http_response resp;
		struct source_page page;

		print_message("case %zu\n", i);
		response_text(&resp, c->status, c->body);
		assert_int_equal(parse_with("applications", ROLLOUT_URL, cursor, &resp, &page),
				 ERROR_CUSTOM_MESSAGE);
		assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE), c->error);
		assert_int_equal(page.n_deployments, 0);
		assert_null(page.cursor);
		assert_null(page.next);
		source_page_release(&page);
		response_release(&resp);
	}
	free(cursor);
}

/* A password in the configured url goes neither into the records' links nor into
 * the cursor. */
static void
argocd__url_password_not_kept(void **state)
{
	struct test_source t;
	struct source_request req = { 0 };
	struct http_response resp;
	struct source_ctx ctx;
	struct source_page page;

	(void)state;
	source_init(&t, "https://sitrep:pa55word@argocd.example.com/");
	ctx = ctx_for(&t, NULL);
	req.stream = xstrdup("applications");
	req.url = xstrdup("https://sitrep:pa55word@argocd.example.com/api/v1/applications");
	response_file(&resp, 200, "argocd/applications-list.json");
	source_page_init(&page);
	assert_int_equal(ops()->parse(&ctx, &req, &resp, &page), SUCCESS);
	assert_string_equal(find(&page, "checkout-prod:12")->url,
			    "https://argocd.example.com/applications/checkout-prod");
	assert_null(strstr(page.cursor, "pa55word"));
	assert_string_equal(page.next->url,
			    "https://sitrep:pa55word@argocd.example.com/api/v1/"
			    "applications/checkout-prod/resource?namespace=checkout&"
			    "resourceName=checkout&group=argoproj.io&version=v1alpha1&"
			    "kind=Rollout");
	source_page_release(&page);
	response_release(&resp);
	source_request_release(&req);
	source_release(&t);
}

/* A cursor that is not ours costs a round that writes everything again. */
static void
argocd__foreign_cursor(void **state)
{
	struct source_page page;

	(void)state;
	assert_int_equal(parse_file("applications", LIST_URL, "2025-03-01T00:00:00Z",
				    "argocd/applications-list.json", &page),
			 SUCCESS);
	assert_int_equal(page.n_deployments, 11);
	source_page_release(&page);
	assert_int_equal(parse_file("applications", LIST_URL, "{\"apps\":[1],\"todo\":7}",
				    "argocd/applications-list.json", &page),
			 SUCCESS);
	assert_int_equal(page.n_deployments, 11);
	source_page_release(&page);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(argocd__plan_every_application),
		cmocka_unit_test(argocd__plan_configured_applications),
		cmocka_unit_test(argocd__plan_refuses_incomplete_config),
		cmocka_unit_test(argocd__list_history_operations_and_rollbacks),
		cmocka_unit_test(argocd__empty_list),
		cmocka_unit_test(argocd__rollout_paused_canary),
		cmocka_unit_test(argocd__rollout_spec_fixture_without_status),
		cmocka_unit_test(argocd__rollout_states),
		cmocka_unit_test(argocd__rollout_pause_durations),
		cmocka_unit_test(argocd__quiet_round),
		cmocka_unit_test(argocd__replaced_deployment_keeps_its_rollout),
		cmocka_unit_test(argocd__environment_and_service),
		cmocka_unit_test(argocd__versions),
		cmocka_unit_test(argocd__rollback_of_an_image),
		cmocka_unit_test(argocd__running_rollback),
		cmocka_unit_test(argocd__bad_responses),
		cmocka_unit_test(argocd__bad_rollouts),
		cmocka_unit_test(argocd__url_password_not_kept),
		cmocka_unit_test(argocd__foreign_cursor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
