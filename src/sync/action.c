/* action.c - one upstream action (acknowledge an incident; later, roll back a
 * deployment) against one source, then a sync round of that source.
 *
 * The source builds the request (ops->act) and reads the answer (ops->acted); this
 * file does the rest through the sync engine's session and HTTP path, so an action
 * has the round's auth, login, TLS and timeouts. Unlike a round's reads, the action
 * is a write that is not idempotent: it is sent again only when it cannot have
 * reached the upstream (a refused connection, a 429), never after a timeout or a
 * 5xx that may have come after the write took effect. An upstream whose writes are
 * asynchronous (Opsgenie answers 202 and processes later) gives a follow-up request
 * for the outcome, an idempotent GET, asked a few times while it says "not yet".
 *
 * After a success the source's streams are synced at once, so the cache (and the
 * console, which watches its data_version) shows the ack time the upstream
 * recorded, not one sitrep made up. */
#include "sitrep/sitrep.h"
#include "sitrep/action.h"
#include "sync-private.h"

#include <time.h>

/* How often the outcome of an asynchronous write is asked for, and how long
 * apart: Opsgenie processes a request within a second or two. */
#define MAX_FOLLOWUPS 8
#define FOLLOWUP_WAIT_MS 250

/* What upstreams without an acknowledge offer instead. */
static const struct {
	const char *type, *why;
} no_ack[] = {
	{ "alertmanager", "Alertmanager has no acknowledge (a silence mutes an alert; it "
			  "does not acknowledge it)" },
	{ "prometheus", "Prometheus has no acknowledge (an alert lasts while its rule fires)" },
	{ "grafana", "Grafana alerting has no acknowledge (that is Grafana OnCall, another "
		     "product)" },
	{ "sentry", "Sentry has no acknowledge (an issue is resolved, ignored or assigned)" },
	{ "argocd", "Argo CD has no acknowledge (it deploys; its actions are rollbacks)" },
	{ "github", "GitHub has no acknowledge here (its actions are rollbacks)" },
	{ "gitlab", "GitLab has no acknowledge here (its actions are rollbacks)" },
};

static const char *
verb_of(const char *kind)
{
	return streq(kind, "ack") ? "acknowledge" : streq(kind, "rollback") ? "roll back" : kind;
}

/* Reads may be sent again; a write (POST, PATCH, PUT, DELETE) only when it cannot
 * have reached the upstream. */
static bool
is_read(const struct source_request *req)
{
	return streq(req->method, "GET") || streq(req->method, "HEAD");
}

bool
action_supported(const struct config_source *src, const char *kind, char *why, size_t size)
{
	const struct source_ops *ops = source_ops_find(src->type ? src->type : "");

	if (!ops) {
		snprintf(why, size, "%s: no source type \"%s\"", src->name,
			 src->type ? src->type : "");
		return false;
	}
	for (size_t i = 0; i < ARRAY_SIZE(no_ack); i++) {
		if (streq(kind, "ack") && streq(src->type, no_ack[i].type)) {
			snprintf(why, size, "%s: %s", src->name, no_ack[i].why);
			return false;
		}
	}
	if (ops->act && ops->acted)
		return true;
	snprintf(why, size, "%s: %s has no %s", src->name, src->type, verb_of(kind));
	return false;
}

const char *
action_user(const struct config *cfg)
{
	const char *user = cfg && cfg->user && *cfg->user ? cfg->user : getenv("USER");

	return user && *user ? user : "sitrep";
}

struct run {
	const struct source_action *action;
	const struct sync_options *opts;
	struct action_report *report;
};

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void
request_free(struct source_request *req)
{
	if (req) {
		source_request_release(req);
		free(req);
	}
}

/* The action and its follow-ups, in the session sync_session_run opened. */
static void
perform(const struct source_ctx *ctx, void *arg)
{
	struct run *r = arg;
	const struct source_ops *ops = source_ops_find(ctx->config->type);
	struct action_report *rep = r->report;
	struct source_request *req = NULL, *next = NULL;
	const char *done = NULL;
	unsigned n, max;
	long wait;

	if (ops->act(ctx, r->action, &req) != SUCCESS) {
		rep->failed = true;
		snprintf(rep->message, sizeof(rep->message), "%s",
			 status_message(ERROR_CUSTOM_MESSAGE));
		return;
	}
	/* A rollback is followed for as long as it may take, a second apart. */
	max = r->action->follow_seconds > 0 ? (unsigned)r->action->follow_seconds : MAX_FOLLOWUPS;
	wait = r->action->follow_seconds > 0 ? 1000 : FOLLOWUP_WAIT_MS;
	for (n = 0; req && n <= max; n++) {
		struct http_response resp = { 0 };
		enum status_code code;

		if (n > 0) {
			if (r->opts->stop && *r->opts->stop)
				break;
			sleep_ms(wait);
		}
		/* A rollback may read first (is auto-sync on?) and write later. */
		sync_session_fetch(ctx, req, is_read(req), &resp);
		rep->timed_out = resp.status == 0 && strstr(resp.error, "Timeout") != NULL;
		code = ops->acted(ctx, r->action, req, &resp, &next, &done);
		http_response_release(&resp);
		request_free(req);
		req = next;
		next = NULL;
		if (code != SUCCESS) {
			rep->failed = true;
			snprintf(rep->message, sizeof(rep->message), "%s",
				 status_message(ERROR_CUSTOM_MESSAGE));
			request_free(req);
			return;
		}
	}
	if (req) {
		request_free(req);
		rep->failed = true;
		rep->timed_out = true;
		snprintf(rep->message, sizeof(rep->message),
			 "%s: the upstream accepted the %s of %.200s but had not done it after "
			 "%u checks: the next sync shows whether it did",
			 ctx->name, verb_of(r->action->kind), r->action->id, n - 1);
		return;
	}
	snprintf(rep->message, sizeof(rep->message), "%s %.200s in %s", done ? done : "done",
		 r->action->id, ctx->name);
}

enum status_code
action_run(struct store *store, const struct config *cfg, const struct config_source *src,
	   const struct source_action *action, const struct sync_options *opts,
	   struct action_report *report)
{
	static const struct sync_options defaults = { 0 };
	struct http_options hopts = { 0 };
	struct sync_report session;
	struct http_client *http;
	struct run run = { action, opts ? opts : &defaults, report };
	enum status_code code = SUCCESS;

	memset(report, 0, sizeof(*report));
	if (!action_supported(src, action->kind, report->message, sizeof(report->message))) {
		report->failed = true;
		return SUCCESS;
	}
	/* The source's own timeout: a person waits for the answer. */
	hopts.timeout_ms = src->timeout > 0 ? (long)src->timeout * 1000 : 0;
	http = http_client_new(&hopts);
	if (!sync_session_run(http, cfg, src, run.opts, &session, perform, &run)) {
		report->failed = true;
		snprintf(report->message, sizeof(report->message), "%.100s: %.400s", src->name,
			 session.error);
	}
	if (!report->failed && store) {
		code = sync_round(store, http, cfg, src, run.opts, &report->sync);
		report->synced = code == SUCCESS;
	}
	http_client_free(&http);
	return code;
}
