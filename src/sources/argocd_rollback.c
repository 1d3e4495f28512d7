/* argocd_rollback.c - rolling an Argo CD application back to a history entry
 * (cicd-rollback.md 4.4).
 *
 *   1. GET /api/v1/applications/APP: Argo CD refuses a rollback while auto-sync is
 *      on ("rollback cannot be initiated when auto-sync is enabled"), and an
 *      auto-sync would roll forward again at once. With allow_disable_autosync,
 *      PATCH the application first ({"patch": "{\"spec\":{\"syncPolicy\":
 *      {\"automated\":null}}}", "patchType": "merge"}); else refuse before any
 *      write. An operation already running is refused too.
 *   2. POST /api/v1/applications/APP/rollback {"name", "id", "prune": false,
 *      "dryRun": false}: id is the history id of the target (the deployment's
 *      source_id is "APP:ID", argocd.c), never the git sha.
 *   3. The answer is the application with the operation set, before anything
 *      happened: GET the application (stream action:rollback:wait) until
 *      status.operationState.phase is Succeeded, or Failed / Error.
 *
 * It must not do I/O; error messages, which quote the server, are sanitized. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <inttypes.h>

#include "sitrep/config.h"
#include "sitrep/json.h"

#include "argocd.h"

#define TYPE "argocd"
#define APPS_PATH "/api/v1/applications"
#define STREAM "action:rollback"
#define WAIT_STREAM "action:rollback:wait"

static struct source_request *
request(const struct source_ctx *ctx, const char *stream, const char *method, const char *app,
	const char *tail)
{
	struct source_request *req = xcalloc(1, sizeof(*req));
	char *escaped = http_escape(app), *path = xasprintf(APPS_PATH "/%s%s", escaped, tail);

	req->stream = xstrdup(stream);
	req->method = xstrdup(method);
	req->url = source_url(config_source_get(ctx->config, "url"), path);
	source_request_bearer(req, ctx->secret);
	if (!streq(method, "GET"))
		source_request_header(req, "Content-Type", "application/json");
	free(path);
	free(escaped);
	return req;
}

/* The history id in "APP:ID", or -1. */
static int64_t
history_id(const char *source_id)
{
	const char *colon = source_id ? strrchr(source_id, ':') : NULL;
	char *end;
	long long id;

	if (!colon || !colon[1])
		return -1;
	id = strtoll(colon + 1, &end, 10);
	return *end || id < 0 ? -1 : (int64_t)id;
}

enum status_code
argocd_rollback_act(const struct source_ctx *ctx, const struct source_action *action,
		    struct source_request **out)
{
	const char *base = config_source_get(ctx->config, "url");

	*out = NULL;
	if (!streq(action->kind, "rollback"))
		return error(TYPE " %s: Argo CD has no action \"%s\" here (it can roll back)",
			     ctx->name, action->kind);
	if (!base || !*base)
		return error(TYPE " %s: no url configured", ctx->name);
	if (!ctx->secret || !*ctx->secret)
		return error(TYPE " %s: no token configured (an account's API token with sync "
				  "rights on the application)",
			     ctx->name);
	if (!action->target || !*action->target)
		return error(TYPE " %s: no application to roll back", ctx->name);
	if (history_id(action->id) < 0)
		return error(TYPE " %s: %.100s is not a history entry of an application "
				  "(APP:ID)",
			     ctx->name, action->id ? action->id : "");
	*out = request(ctx, STREAM, "GET", action->target, "");
	return SUCCESS;
}

/* The application in resp into *app (new reference). */
static enum status_code
read_app(const struct source_ctx *ctx, const struct source_action *action,
	 const struct http_response *resp, json_t **app)
{
	enum status_code code;
	char *what = xasprintf("reading application %.100s", action->target);

	*app = NULL;
	if ((code = source_check_write(TYPE, ctx->name, what, resp, 200)) == SUCCESS)
		code = source_parse_json(TYPE, STREAM, resp, app);
	if (code == SUCCESS && !json_is_object(*app)) {
		code = error(TYPE " %s: %s: the answer is not an object", ctx->name, what);
		json_decref(*app);
		*app = NULL;
	}
	free(what);
	return code;
}

static const char *
phase_of(const json_t *app)
{
	const json_t *v = json_object_get(
		json_object_get(json_object_get(app, "status"), "operationState"), "phase");

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* spec.syncPolicy.automated present and not "enabled": false. */
static bool
auto_sync(const json_t *app)
{
	const json_t *automated = json_object_get(
		json_object_get(json_object_get(app, "spec"), "syncPolicy"), "automated");

	return json_is_object(automated) && !json_is_false(json_object_get(automated, "enabled"));
}

static struct source_request *
rollback_request(const struct source_ctx *ctx, const struct source_action *action)
{
	struct source_request *req = request(ctx, STREAM, "POST", action->target, "/rollback");
	json_t *body = json_pack("{s:s, s:I, s:b, s:b}", "name", action->target, "id",
				 (json_int_t)history_id(action->id), "prune", 0, "dryRun", 0);

	req->body = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	return req;
}

static struct source_request *
autosync_off_request(const struct source_ctx *ctx, const struct source_action *action)
{
	struct source_request *req = request(ctx, STREAM, "PATCH", action->target, "");
	json_t *body =
		json_pack("{s:s, s:s, s:s}", "name", action->target, "patch",
			  "{\"spec\":{\"syncPolicy\":{\"automated\":null}}}", "patchType", "merge");

	req->body = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	return req;
}

/* Step 1: the application before any write. */
static enum status_code
checked(const struct source_ctx *ctx, const struct source_action *action, const json_t *app,
	struct source_request **next)
{
	const char *phase = phase_of(app);

	if (phase && (streq(phase, "Running") || streq(phase, "Terminating")))
		return error(TYPE " %s: %.100s: another operation is already in progress "
				  "(nothing was changed)",
			     ctx->name, action->target);
	if (auto_sync(app) && !action->allow_disable_autosync)
		return error(TYPE " %s: %.100s has auto-sync on: Argo CD refuses a rollback "
				  "then, and a sync would undo it (nothing was changed; "
				  "[deploy] allow-disable-autosync = true turns it off first)",
			     ctx->name, action->target);
	*next = auto_sync(app) ? autosync_off_request(ctx, action) : rollback_request(ctx, action);
	return SUCCESS;
}

/* Step 3: the operation's outcome. */
static enum status_code
waited(const struct source_ctx *ctx, const struct source_action *action, const json_t *app,
       const struct source_request *req, struct source_request **next, const char **done)
{
	const char *phase = phase_of(app);
	const json_t *msg = json_object_get(
		json_object_get(json_object_get(app, "status"), "operationState"), "message");
	enum status_code code;
	char *text;

	if (phase && streq(phase, "Succeeded")) {
		*done = "rolled back to";
		return SUCCESS;
	}
	if (phase && (streq(phase, "Failed") || streq(phase, "Error"))) {
		text = json_is_string(msg) ? source_error_text(json_string_value(msg),
							       strlen(json_string_value(msg)))
					   : xstrdup("");
		code = error(TYPE " %s: the rollback of %.100s %s: %s", ctx->name, action->target,
			     streq(phase, "Failed") ? "failed" : "ended in an error", text);
		free(text);
		return code;
	}
	*next = request(ctx, WAIT_STREAM, "GET", action->target, ""); /* not yet */
	(void)req;
	return SUCCESS;
}

enum status_code
argocd_rollback_acted(const struct source_ctx *ctx, const struct source_action *action,
		      const struct source_request *req, const struct http_response *resp,
		      struct source_request **next, const char **done)
{
	enum status_code code = SUCCESS;
	json_t *app = NULL;

	*next = NULL;
	if (streq(req->method, "PATCH")) {
		code = source_check_write(TYPE, ctx->name, "turning auto-sync off", resp, 200);
		if (code == SUCCESS)
			*next = rollback_request(ctx, action);
		return code;
	}
	if (streq(req->method, "POST")) {
		char *what = xasprintf("rollback of %.100s to history id %" PRId64, action->target,
				       history_id(action->id));

		code = source_check_write(TYPE, ctx->name, what, resp, 200);
		free(what);
		if (code == SUCCESS)
			*next = request(ctx, WAIT_STREAM, "GET", action->target, "");
		return code;
	}
	if ((code = read_app(ctx, action, resp, &app)) != SUCCESS)
		return code;
	if (streq(req->stream, WAIT_STREAM))
		code = waited(ctx, action, app, req, next, done);
	else
		code = checked(ctx, action, app, next);
	json_decref(app);
	return code;
}
