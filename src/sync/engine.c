/* engine.c - one sync round of one source. The source plans requests and parses
 * responses; this file does everything with side effects: HTTP with retries,
 * exponential backoff with jitter and Retry-After, conditional requests, pagination
 * with a guard against a cursor that never advances, and one transaction per page
 * holding its records and the stream's new cursor, so a kill at any moment loses at
 * most the page in flight, which the next round fetches again. The request of a
 * stream's next page goes out while its page commits (see prefetch).
 *
 * A failure of one stream is recorded in its sync state and the round goes on with
 * the next; the data already in the cache is never removed by a failure. */
#include "sitrep/sitrep.h"
#include "sitrep/sync.h"
#include "sitrep/source.h"
#include "sync-private.h"

#include <pthread.h>
#include <strings.h>
#include <time.h>

struct engine {
	struct store *store;
	struct http_client *http;
	const struct config *cfg;
	const struct config_source *src;
	const struct source_ops *ops;
	struct sync_options opts;
	struct store_sync_state *states; /* loaded on demand: the cursors */
	size_t n_states;
};

static const char *
stored_cursor(void *arg, const char *stream)
{
	struct engine *e = arg;
	struct store_sync_state st;

	for (size_t i = 0; i < e->n_states; i++)
		if (streq(e->states[i].stream, stream))
			return e->states[i].cursor;
	if (store_sync_state_get(e->store, e->src->name, stream, &st) != SUCCESS)
		return NULL;
	e->states = xrealloc(e->states, (e->n_states + 1) * sizeof(*e->states));
	free(st.stream);
	st.stream = xstrdup(stream);
	e->states[e->n_states++] = st;
	return st.cursor;
}

/* Keeps the round's view of a stream's cursor equal to what was just committed, so
 * a source planning its next page reads the cursor as stored. */
static void
remember_cursor(struct engine *e, const char *stream, const char *cursor)
{
	if (!cursor)
		return;
	stored_cursor(e, stream);
	for (size_t i = 0; i < e->n_states; i++) {
		if (streq(e->states[i].stream, stream)) {
			free(e->states[i].cursor);
			e->states[i].cursor = xstrdup(cursor);
		}
	}
}

static const struct store_sync_state *
state_of(struct engine *e, const char *stream)
{
	stored_cursor(e, stream);
	for (size_t i = 0; i < e->n_states; i++)
		if (streq(e->states[i].stream, stream))
			return &e->states[i];
	return NULL;
}

static bool
stopping(const struct engine *e)
{
	return e->opts.stop && *e->opts.stop;
}

/* Sleeps in slices so that a stop request is seen within 100 ms. */
static void
sleep_ms(const struct engine *e, int64_t ms)
{
	while (ms > 0 && !stopping(e)) {
		int64_t slice = ms < 100 ? ms : 100;
		struct timespec ts = { 0, (long)slice * 1000000L };

		nanosleep(&ts, NULL);
		ms -= slice;
	}
}

/* Seconds the upstream asks us to wait: Retry-After, else the reset of a spent rate
 * limit (X-RateLimit-Reset, an epoch second); -1 when it says neither. */
static int64_t
retry_wait(const struct http_response *resp, int64_t now)
{
	int64_t wait = http_retry_after(resp, now), reset;

	if (wait >= 0 || (reset = http_rate_limit_reset(resp)) < 0)
		return wait;
	/* The reset second itself may still be in the spent window. */
	return reset >= now ? reset - now + 1 : 0;
}

/* Performs req until it succeeds, fails for good, or runs out of attempts; a
 * response is tried again only when retryable says it may be. */
static void
fetch_with(struct engine *e, const struct source_request *req, const struct store_sync_state *st,
	   bool first_page, bool (*retryable)(const struct http_response *),
	   struct http_response *resp)
{
	static const char *const secret_headers[] = { "Authorization", "X-Api-Key",
						      "PRIVATE-TOKEN" };
	struct http_request hr = {
		.method = req->method,
		.url = req->url,
		.headers = req->headers,
		.n_headers = req->n_headers,
		.body = req->body,
		.body_len = req->body ? strlen(req->body) : 0,
		.secret_headers = secret_headers,
		.n_secret_headers = ARRAY_SIZE(secret_headers),
		.etag = first_page && st ? st->etag : NULL,
		.last_modified = first_page && st ? st->last_modified : NULL,
	};

	for (unsigned attempt = 1;; attempt++) {
		int64_t wait;

		http_perform(e->http, &hr, resp, 1);
		if (!retryable(resp) || attempt >= e->opts.max_attempts)
			return;
		wait = retry_wait(resp, time_now());
		wait = wait >= 0 ? wait * 1000
				 : http_backoff_ms(attempt, e->opts.base_backoff_ms,
						   e->opts.max_wait_ms, &e->opts.seed);
		if (wait > e->opts.max_wait_ms)
			return; /* told to come back later than we wait: fail this round */
		sleep_ms(e, wait);
		if (stopping(e))
			return; /* the failed response stands: the stream reports it */
		http_response_release(resp);
	}
}

/* The requests of a sync round only read: any transient failure may be retried. */
static void
fetch(struct engine *e, const struct source_request *req, const struct store_sync_state *st,
      bool first_page, struct http_response *resp)
{
	fetch_with(e, req, st, first_page, http_retryable, resp);
}

/* The index of the page's incident (source, source_id), from hint on (an upstream's
 * events follow its incidents, so the one of the last event or the next one), or
 * n_incidents when the page does not hold it. */
static size_t
page_incident(const struct source_page *page, const char *source, const char *source_id,
	      size_t hint)
{
	for (size_t n = 0; source_id && n < page->n_incidents; n++) {
		size_t k = (hint + n) % page->n_incidents;
		const struct store_incident *in = &page->incidents[k];

		if (streq(in->source_id, source_id) && streq(in->source, source))
			return k;
	}
	return page->n_incidents;
}

/* Whether two samples are of one series: no labels is the same as "". */
static bool
same_series(const struct source_sample *a, const struct source_sample *b)
{
	return streq(a->series, b->series) &&
	       streq(a->labels ? a->labels : "", b->labels ? b->labels : "");
}

/* A page's samples, each run of one series in one call: sources list a series'
 * points together (Prometheus' matrix, Zabbix's history by item). */
static enum status_code
commit_samples(struct store *store, const char *name, const struct source_sample *samples, size_t n)
{
	struct store_point *points = xcalloc(n, sizeof(*points));
	enum status_code code = SUCCESS;
	size_t run = 0;

	for (size_t i = 0; code == SUCCESS && i < n; i++) {
		points[i] = (struct store_point){ samples[i].ts, samples[i].value };
		if (i + 1 < n && same_series(&samples[i + 1], &samples[run]))
			continue;
		code = store_add_samples(store, name, samples[run].series, samples[run].labels,
					 samples[run].service, points + run, i + 1 - run);
		run = i + 1;
	}
	free(points);
	return code;
}

/* Writes one page and the stream's cursor in one transaction. Events name their
 * incident by its natural key: one the page has just written goes by the row id
 * its upsert gave, with no lookup. The stream's stored validators (ETag,
 * Last-Modified) are cleared: see run_stream. */
static enum status_code
commit_page(struct engine *e, const struct source_request *req, const struct source_page *page)
{
	const char *name = e->src->name;
	const char **seen = NULL;
	enum status_code code;
	int64_t *ids;
	size_t i, k;

	if ((code = store_begin(e->store)) != SUCCESS)
		return code;
	ids = xcalloc(page->n_incidents + 1, sizeof(*ids));
	for (i = 0; code == SUCCESS && i < page->n_incidents; i++)
		code = store_upsert_incident_id(e->store, &page->incidents[i], &ids[i]);
	for (i = 0, k = 0; code == SUCCESS && i < page->n_events; i++) {
		const struct source_event *ev = &page->events[i];

		k = page_incident(page, name, ev->incident_id, k);
		if (k < page->n_incidents && ids[k])
			code = store_add_event_to(e->store, ids[k], ev->at, ev->kind, ev->actor,
						  ev->text, ev->event_id);
		else
			code = store_add_event(e->store, name, ev->incident_id, ev->at, ev->kind,
					       ev->actor, ev->text, ev->event_id);
	}
	free(ids);
	if (code == SUCCESS && page->n_samples)
		code = commit_samples(e->store, name, page->samples, page->n_samples);
	for (i = 0; code == SUCCESS && i < page->n_pipelines; i++)
		code = store_upsert_pipeline(e->store, &page->pipelines[i]);
	for (i = 0; code == SUCCESS && i < page->n_deployments; i++)
		code = store_upsert_deployment(e->store, &page->deployments[i]);
	for (i = 0; code == SUCCESS && i < page->n_branches; i++)
		code = store_upsert_branch(e->store, &page->branches[i]);
	for (i = 0; code == SUCCESS && i < page->n_check_runs; i++)
		code = store_upsert_check_run(e->store, &page->check_runs[i]);
	if (code == SUCCESS && page->prune_repo)
		code = store_prune_branches(e->store, name, page->prune_repo, page->prune_names,
					    page->n_prune_names);
	if (code == SUCCESS && page->snapshot) {
		seen = xcalloc(page->n_incidents + 1, sizeof(*seen));
		for (i = 0; i < page->n_incidents; i++)
			seen[i] = page->incidents[i].source_id;
		code = store_resolve_missing(e->store, name, seen, page->n_incidents,
					     page->observed_at);
		free(seen);
	}
	if (code == SUCCESS)
		code = store_sync_cursor_set(e->store, name, req->stream, page->cursor, NULL, NULL);
	if (code == SUCCESS)
		code = store_commit(e->store);
	if (code != SUCCESS)
		store_rollback(e->store);
	return code;
}

struct stream_result {
	int64_t records, pages;
	char error[512];
	/* The first page's validators, stored once the stream is read to its end. */
	bool validated;
	char *etag, *last_modified;
};

/* The page after req, unless it repeats req: an upstream whose cursor never moves
 * would otherwise be polled forever. NULL ends the stream. */
static struct source_request *
take_next(struct source_page *page, const struct source_request *req, struct stream_result *out)
{
	struct source_request *next = page->next;

	page->next = NULL;
	if (next && streq(next->url, req->url) &&
	    ((!next->body && !req->body) ||
	     (next->body && req->body && streq(next->body, req->body)))) {
		snprintf(out->error, sizeof(out->error),
			 "the pagination cursor did not advance: stopped after page %lld",
			 (long long)out->pages);
		source_request_release(next);
		free(next);
		return NULL;
	}
	return next;
}

/* ---- the next page, fetched while this one commits ---- */

/* A page's request is known once the page before it is parsed, before it is
 * committed: asked for then, on a thread of its own, the upstream prepares page k+1
 * while the cache writes page k, and a round takes the longer of the two rather
 * than their sum. The thread only fetches (the HTTP client is the engine's, and
 * nothing else uses it meanwhile); parsing and every write stay on the caller's
 * thread, so a page still commits with its cursor in one transaction. */
struct prefetch {
	struct engine *e;
	const struct source_request *req; /* borrowed; NULL: none under way */
	struct http_response resp;
	pthread_t thread;
	bool threaded; /* false: no thread could start, fetched on finishing */
};

static void *
prefetch_main(void *arg)
{
	struct prefetch *p = arg;

	fetch(p->e, p->req, NULL, false, &p->resp);
	return NULL;
}

static void
prefetch_start(struct prefetch *p, struct engine *e, const struct source_request *req)
{
	memset(p, 0, sizeof(*p));
	p->e = e;
	p->req = req;
	p->threaded = pthread_create(&p->thread, NULL, prefetch_main, p) == 0;
}

/* The response of the request under way (the caller's to release). */
static void
prefetch_finish(struct prefetch *p, struct http_response *resp)
{
	if (p->threaded)
		pthread_join(p->thread, NULL);
	else
		fetch(p->e, p->req, NULL, false, &p->resp);
	*resp = p->resp;
	memset(p, 0, sizeof(*p));
}

/* Waits for the request under way, if any, and drops its response. */
static void
prefetch_cancel(struct prefetch *p)
{
	struct http_response resp;

	if (!p->req)
		return;
	if (p->threaded) {
		pthread_join(p->thread, NULL);
		resp = p->resp;
		http_response_release(&resp);
	}
	memset(p, 0, sizeof(*p));
}

static bool
same_request(const struct source_request *a, const struct source_request *b)
{
	return streq(a->url, b->url) &&
	       ((!a->body && !b->body) || (a->body && b->body && streq(a->body, b->body)));
}

/* Whether the source made req conditional itself: its 304 says one detail is
 * unchanged, not the stream, and goes to the source (source.h). */
static bool
own_validators(const struct source_request *req)
{
	for (size_t i = 0; i < req->n_headers; i++)
		if (strcasecmp(req->headers[i].name, "If-None-Match") == 0)
			return true;
	return false;
}

/* One page: fetch (or take the prefetched response), parse, commit. false ends the
 * stream (done, or failed: see out->error). A failure of the cache is returned in
 * *code. */
static bool
run_page(struct engine *e, const struct source_ctx *ctx, const struct source_request *req,
	 bool first, struct prefetch *pf, struct stream_result *out, struct source_request **next,
	 enum status_code *code)
{
	const struct store_sync_state *st = state_of(e, req->stream);
	struct http_response resp = { 0 };
	struct source_page page;

	*next = NULL;
	if (pf->req == req)
		prefetch_finish(pf, &resp);
	else
		fetch(e, req, st, first, &resp);
	if (resp.status == 304 && !own_validators(req)) {
		http_response_release(&resp);
		return false; /* unchanged since the last round */
	}
	/* Every other response goes to the source, which knows its upstream's error
	 * bodies (source_check_response) and words the failure. */
	source_page_init(&page);
	if (e->ops->parse(ctx, req, &resp, &page) != SUCCESS) {
		snprintf(out->error, sizeof(out->error), "%s",
			 status_message(ERROR_CUSTOM_MESSAGE));
	} else {
		if (page.next && !same_request(page.next, req) && !stopping(e))
			prefetch_start(pf, e, page.next);
		if (page.n_deployments)
			sync_fill_commits(e->store, e->cfg, &page);
		if ((*code = commit_page(e, req, &page)) != SUCCESS)
			snprintf(out->error, sizeof(out->error), "%s", status_message(*code));
	}
	if (!out->error[0] && (page.validators > 0 || (page.validators == 0 && first))) {
		const char *etag = http_header_get(&resp, "ETag");
		const char *lm = http_header_get(&resp, "Last-Modified");

		out->validated = true;
		free(out->etag);
		free(out->last_modified);
		out->etag = etag ? xstrdup(etag) : NULL;
		out->last_modified = lm ? xstrdup(lm) : NULL;
	}
	if (!out->error[0]) {
		remember_cursor(e, req->stream, page.cursor);
		/* A page answered 304 (a source's own conditional request) downloaded
		 * nothing: the count says what a round fetched. */
		if (resp.status != 304)
			out->pages++;
		out->records += (int64_t)source_page_records(&page);
		*next = take_next(&page, req, out);
	}
	/* The request under way belongs to the page, unless it is the next one. */
	if (pf->req && pf->req != *next)
		prefetch_cancel(pf);
	source_page_release(&page);
	http_response_release(&resp);
	return *next != NULL;
}

/* Fetches and commits the pages of one stream, from first.
 *
 * The first page goes out with the validators of the last round's first page, and
 * a 304 ends the stream: nothing changed since. That holds only if that round read
 * the stream to its end, so the validators are cleared with the first commit and
 * stored again only then. A round cut short (an error, a stop, the page limit)
 * leaves none, and the next one reads its first page whole: a source resuming from
 * its cursor (GitLab's pipelines, whose first page may show nothing new while
 * pipelines listed earlier still wait for their jobs) is not told "unchanged". */
static enum status_code
run_stream(struct engine *e, const struct source_ctx *ctx, const struct source_request *first,
	   struct stream_result *out)
{
	const struct source_request *req = first;
	struct source_request *next = NULL, *owned = NULL;
	struct prefetch pf = { 0 };
	enum status_code code = SUCCESS;
	bool more = true;

	for (unsigned page_no = 0; more && !stopping(e); page_no++) {
		if (page_no >= e->opts.max_pages) {
			snprintf(out->error, sizeof(out->error),
				 "more than %u pages in one round: stopped", e->opts.max_pages);
			break;
		}
		more = run_page(e, ctx, req, page_no == 0, &pf, out, &next, &code);
		if (owned) {
			source_request_release(owned);
			free(owned);
		}
		req = owned = next;
	}
	prefetch_cancel(&pf); /* a stop, or the page limit, with one under way */
	if (owned) {
		source_request_release(owned);
		free(owned);
	}
	if (code == SUCCESS && !more && !out->error[0] && out->validated)
		code = store_sync_cursor_set(e->store, e->src->name, first->stream, NULL, out->etag,
					     out->last_modified);
	free(out->etag);
	free(out->last_modified);
	out->etag = out->last_modified = NULL;
	return code;
}

static void
defaults(struct sync_options *o)
{
	if (!o->max_attempts)
		o->max_attempts = 4;
	if (!o->base_backoff_ms)
		o->base_backoff_ms = 500;
	if (!o->max_wait_ms)
		o->max_wait_ms = 30000;
	/* A guard against an upstream whose pages never end, not a quota: a first
	 * sync of a large account (a hundred thousand alerts at 100 a page) must
	 * finish in one round. */
	if (!o->max_pages)
		o->max_pages = 100000;
	if (!o->seed)
		o->seed = (uint64_t)time_now();
}

/* The secret of a source (token, else password), resolved; NULL when it has none. */
static enum status_code
source_secret(const struct config *cfg, const struct config_source *src, char **secret)
{
	const char *spec = config_source_get(src, "token");
	char origin[256];

	*secret = NULL;
	if (!spec)
		spec = config_source_get(src, "password");
	if (!spec)
		return SUCCESS;
	snprintf(origin, sizeof(origin), "source \"%s\" secret", src->name);
	return secret_resolve(spec, origin, cfg->private_file, secret);
}

/* Opens the round's session when the source logs in (ops->login) into *token;
 * false, with report saying why, when the login failed. */
static bool
open_session(struct engine *e, const struct source_ctx *ctx, struct sync_report *report,
	     char **token)
{
	struct source_request *req = NULL;
	struct http_response resp = { 0 };

	*token = NULL;
	if (!e->ops->login)
		return true;
	if (e->ops->login(ctx, &req) == SUCCESS && !req)
		return true; /* a token is configured: no session */
	if (req) {
		fetch(e, req, NULL, false, &resp); /* no conditional headers */
		if (e->ops->session(ctx, &resp, token) != SUCCESS)
			secret_free(token);
	}
	if (!*token) {
		report->failed = true;
		snprintf(report->error, sizeof(report->error), "login: %.480s",
			 status_message(ERROR_CUSTOM_MESSAGE));
	}
	http_response_release(&resp);
	if (req) {
		source_request_release(req);
		free(req);
	}
	return *token != NULL;
}

/* Closes the round's session; a failure to close costs nothing but the session. */
static void
close_session(struct engine *e, const struct source_ctx *ctx)
{
	struct source_request *req = NULL;
	struct http_response resp = { 0 };

	if (!ctx->session || !e->ops->logout || e->ops->logout(ctx, &req) != SUCCESS || !req)
		return;
	fetch(e, req, NULL, false, &resp); /* no conditional headers */
	http_response_release(&resp);
	source_request_release(req);
	free(req);
}

/* Runs every stream the source plans; the report holds the first failure. */
static enum status_code
run_round(struct engine *e, const struct source_ctx *ctx, struct sync_report *report)
{
	struct source_request *reqs = NULL;
	enum status_code code = SUCCESS;
	size_t n = 0;

	if (e->ops->plan(ctx, &reqs, &n) != SUCCESS) {
		snprintf(report->error, sizeof(report->error), "%s",
			 status_message(ERROR_CUSTOM_MESSAGE));
		report->failed = true;
		/* A query the source cannot plan is a config problem: status shows it. */
		return store_sync_round_end(e->store, e->src->name, "config", ctx->now,
					    report->error, 0, 0);
	}
	for (size_t i = 0; code == SUCCESS && i < n && !stopping(e); i++) {
		struct stream_result out = { 0 };

		code = run_stream(e, ctx, &reqs[i], &out);
		report->records += out.records;
		report->pages += out.pages;
		if (out.error[0] && !report->failed) {
			report->failed = true;
			snprintf(report->error, sizeof(report->error), "%.80s: %.400s",
				 reqs[i].stream, out.error);
		}
		if (code == SUCCESS)
			code = store_sync_round_end(e->store, e->src->name, reqs[i].stream,
						    ctx->now, out.error[0] ? out.error : NULL,
						    out.records, out.pages);
	}
	if (code == SUCCESS && !stopping(e)) {
		const char **planned = xcalloc(n + 1, sizeof(*planned));

		for (size_t i = 0; i < n; i++)
			planned[i] = reqs[i].stream;
		planned[n] = ctx->session ? "login" : "";
		code = store_sync_forget_failures(e->store, e->src->name, planned, n + 1);
		free(planned);
	}
	source_requests_free(reqs, n);
	return code;
}

/* What a round and a probe share: the source's ops, secret and session. */
struct session {
	struct engine e;
	struct source_ctx ctx;
	char *secret, *token;
	const char *failed_stream; /* where a failure to start is recorded */
	struct timespec t0;
};

/* Finds the ops, resolves the secret and logs in. false, with report saying why,
 * when the source cannot start. */
static bool
session_begin(struct session *s, struct store *store, struct http_client *http,
	      const struct config *cfg, const struct config_source *src,
	      const struct sync_options *opts, struct sync_report *report)
{
	memset(s, 0, sizeof(*s));
	memset(report, 0, sizeof(*report));
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
	s->e = (struct engine){
		.store = store, .http = http, .cfg = cfg, .src = src, .opts = *opts
	};
	defaults(&s->e.opts);
	s->ctx = (struct source_ctx){ .name = src->name,
				      .config = src,
				      .cursor = stored_cursor,
				      .engine = &s->e,
				      .now = time_now(),
				      .metrics = cfg->metrics,
				      .n_metrics = cfg->n_metrics,
				      .stage_rules = cfg->stage_rules,
				      .n_stage_rules = cfg->n_stage_rules };
	string_copy(report->source, src->name);
	s->failed_stream = "config";
	if (!(s->e.ops = source_ops_find(src->type))) {
		report->failed = true;
		snprintf(report->error, sizeof(report->error), "no source type \"%s\"", src->type);
		return false;
	}
	if (source_secret(cfg, src, &s->secret) != SUCCESS) {
		report->failed = true;
		snprintf(report->error, sizeof(report->error), "%s",
			 status_message(ERROR_CUSTOM_MESSAGE));
		return false;
	}
	s->ctx.secret = s->secret;
	s->failed_stream = "login";
	if (!open_session(&s->e, &s->ctx, report, &s->token))
		return false;
	s->ctx.session = s->token;
	return true;
}

static void
session_end(struct session *s, struct sync_report *report)
{
	struct timespec t1;

	if (s->e.ops)
		close_session(&s->e, &s->ctx);
	secret_free(&s->secret);
	secret_free(&s->token);
	store_sync_states_free(s->e.states, s->e.n_states);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	report->seconds =
		(double)(t1.tv_sec - s->t0.tv_sec) + (double)(t1.tv_nsec - s->t0.tv_nsec) / 1e9;
}

enum status_code
sync_round(struct store *store, struct http_client *http, const struct config *cfg,
	   const struct config_source *src, const struct sync_options *opts,
	   struct sync_report *report)
{
	struct session s;
	enum status_code code;

	/* A first sync is a bulk load: a page cache that holds the indexes the upserts
	 * probe at random, and checkpoints far apart. */
	store_prepare_sync(store);
	if (session_begin(&s, store, http, cfg, src, opts, report)) {
		if (s.e.ops->login)
			code = store_sync_round_end(store, src->name, "login", s.ctx.now, NULL, 0,
						    0);
		else
			code = SUCCESS;
		if (code == SUCCESS)
			code = run_round(&s.e, &s.ctx, report);
	} else {
		/* Recorded like a stream's failure, so that status says failing. */
		const char *why = report->error;

		if (streq(s.failed_stream, "login"))
			why += strlen("login: ");
		code = store_sync_round_end(store, src->name, s.failed_stream, s.ctx.now, why, 0,
					    0);
	}
	session_end(&s, report);
	store_checkpoint(store);
	return code;
}

bool
sync_session_run(struct http_client *http, const struct config *cfg,
		 const struct config_source *src, const struct sync_options *opts,
		 struct sync_report *report, sync_session_fn fn, void *arg)
{
	struct session s;
	bool ok = session_begin(&s, NULL, http, cfg, src, opts, report);

	if (ok)
		fn(&s.ctx, arg);
	session_end(&s, report);
	return ok;
}

void
sync_session_fetch(const struct source_ctx *ctx, const struct source_request *req, bool idempotent,
		   struct http_response *resp)
{
	fetch_with(ctx->engine, req, NULL, false,
		   idempotent ? http_retryable : http_retryable_write, resp);
}

enum status_code
sync_probe(struct store *store, struct http_client *http, const struct config *cfg,
	   const struct config_source *src, const struct sync_options *opts,
	   struct sync_report *report)
{
	struct source_request *reqs = NULL;
	struct session s;
	size_t n = 0;

	if (!session_begin(&s, store, http, cfg, src, opts, report))
		goto out;
	if (s.e.ops->plan(&s.ctx, &reqs, &n) != SUCCESS) {
		report->failed = true;
		snprintf(report->error, sizeof(report->error), "%s",
			 status_message(ERROR_CUSTOM_MESSAGE));
		goto out;
	}
	for (size_t i = 0; i < n && !report->failed; i++) {
		struct http_response resp = { 0 };
		struct source_page page;

		fetch(&s.e, &reqs[i], NULL, false, &resp); /* a whole body, to parse it */
		source_page_init(&page);
		if (s.e.ops->parse(&s.ctx, &reqs[i], &resp, &page) != SUCCESS) {
			report->failed = true;
			snprintf(report->error, sizeof(report->error), "%.80s: %.400s",
				 reqs[i].stream, status_message(ERROR_CUSTOM_MESSAGE));
		} else {
			report->pages++;
			report->records += (int64_t)source_page_records(&page);
		}
		source_page_release(&page);
		http_response_release(&resp);
	}
out:
	source_requests_free(reqs, n);
	session_end(&s, report);
	return SUCCESS;
}

/* ---- health ---- */

const char *
sync_health_name(enum sync_health health)
{
	static const char *const names[] = { "ok", "stale", "failing", "never" };

	return names[health];
}

enum sync_health
sync_health_of(const struct store_sync_state *states, size_t n, int64_t interval, int64_t now,
	       int64_t *last_success, const char **last_error)
{
	enum sync_health health = SYNC_NEVER;

	*last_success = TIME_NONE;
	*last_error = NULL;
	for (size_t i = 0; i < n; i++) {
		if (states[i].last_error && !*last_error)
			*last_error = states[i].last_error;
		if (states[i].last_success != TIME_NONE &&
		    (*last_success == TIME_NONE || states[i].last_success < *last_success))
			*last_success = states[i].last_success; /* the stalest stream */
	}
	if (*last_error)
		health = SYNC_FAILING;
	else if (*last_success != TIME_NONE)
		health = now - *last_success > 3 * (interval > 0 ? interval : 60) ? SYNC_STALE
										  : SYNC_OK;
	return health;
}
