/* opsgenie_act.c - acknowledging an Opsgenie alert (Alert API v2).
 *
 * POST /v2/alerts/{id}/acknowledge?identifierType=id with {"user", "source",
 * "note"} and the GenieKey. Opsgenie's writes are asynchronous: the answer is 202
 * {"result": "Request will be processed", "requestId": ...}, which says nothing of
 * the outcome; an alert that does not exist is a 202 as well. So the outcome is
 * asked for at GET /v2/alerts/requests/{requestId}: 404 with X-Opsgenie-Errortype
 * RequestNotProcessed while Opsgenie has not got to it ("not yet", not "missing":
 * monitoring-ticketing.md 9), then 200 {"data": {"isSuccess", "status", "alertId",
 * ...}}. The key needs create and update access, which read-only keys lack.
 *
 * It must not do I/O; error messages, which quote the server, are sanitized. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include "sitrep/config.h"
#include "sitrep/json.h"
#include "opsgenie-private.h"

#define ACK_STREAM "action:ack"
#define REQUESTS_PATH ALERTS_PATH "/requests/"
/* Opsgenie's limits on the fields (alert.yaml AcknowledgeAlertPayload). */
#define MAX_USER 100
#define MAX_NOTE 25000

static struct source_request *
og_request(const struct source_ctx *ctx, const char *method, char *url)
{
	struct source_request *req = xcalloc(1, sizeof(*req));

	req->stream = xstrdup(ACK_STREAM);
	req->method = xstrdup(method);
	req->url = url;
	og_auth(req, ctx->secret);
	return req;
}

/* The alert's id for an error message (new). */
static char *
shown_id(const struct source_action *action)
{
	return source_error_text(action->id, strlen(action->id));
}

enum status_code
og_act(const struct source_ctx *ctx, const struct source_action *action,
       struct source_request **out)
{
	const char *base = config_source_get(ctx->config, "url");
	json_t *body;
	char *id, *path;

	*out = NULL;
	if (!streq(action->kind, "ack"))
		return error(TYPE " %s: Opsgenie has no action \"%s\" here (it can acknowledge)",
			     ctx->name, action->kind);
	if (!base || !*base)
		return error(TYPE " %s: no url configured", ctx->name);
	if (!ctx->secret || !*ctx->secret)
		return error(TYPE " %s: no token configured (an API key with create and update "
				  "access)",
			     ctx->name);
	if (!action->id || !*action->id)
		return error(TYPE " %s: no alert id to acknowledge", ctx->name);
	id = http_escape(action->id);
	path = xasprintf(ALERTS_PATH "/%s/acknowledge?identifierType=id", id);
	*out = og_request(ctx, "POST", source_url(base, path));
	free(path);
	free(id);
	body = json_object();
	json_object_set_new(body, "user",
			    json_stringn(action->who, strnlen(action->who, MAX_USER)));
	json_object_set_new(body, "source", json_string("sitrep"));
	if (action->note && *action->note)
		json_object_set_new(body, "note",
				    json_stringn(action->note, strnlen(action->note, MAX_NOTE)));
	(*out)->body = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	source_request_header(*out, "Content-Type", "application/json");
	return SUCCESS;
}

/* The answer to the acknowledge itself: 202 and the request's id to follow. */
static enum status_code
accepted(const struct source_ctx *ctx, const struct source_action *action,
	 const struct http_response *resp, struct source_request **next)
{
	const char *base = config_source_get(ctx->config, "url");
	char *id = shown_id(action), *what = xasprintf("acknowledge %s", id);
	const char *rid;
	json_t *root = NULL;
	enum status_code code = SUCCESS;

	if (resp->status == 0) {
		code = error(TYPE " %s: %s%s", what, resp->error,
			     resp->unsent ? ""
					  : " (not sent again: it may have reached Opsgenie; the "
					    "next sync shows whether it did)");
	} else if (resp->status != 202 && resp->status != 200) {
		code = og_http_error(what, resp, true);
	} else if (!(root = json_loadb(resp->body ? resp->body : "", resp->body_len, 0, NULL)) ||
		   !json_is_object(root)) {
		code = error(TYPE " %s: HTTP %ld with a body that is not a JSON object", what,
			     resp->status);
	} else if (!(rid = json_string_value(json_object_get(root, "requestId"))) || !*rid) {
		code = error(TYPE " %s: HTTP %ld without a requestId", what, resp->status);
	} else {
		char *escaped = http_escape(rid), *path = xasprintf(REQUESTS_PATH "%s", escaped);

		*next = og_request(ctx, "GET", source_url(base, path));
		free(path);
		free(escaped);
	}
	json_decref(root);
	free(what);
	free(id);
	return code;
}

/* The answer to GET /v2/alerts/requests/{requestId}. */
static enum status_code
outcome(const struct source_ctx *ctx, const struct source_action *action,
	const struct source_request *req, const struct http_response *resp,
	struct source_request **next, const char **done)
{
	const char *etype = http_header_get(resp, "X-Opsgenie-Errortype");
	char *id = shown_id(action), *what = xasprintf("acknowledge %s", id);
	const json_t *data, *ok;
	const char *status;
	json_t *root = NULL;
	enum status_code code = SUCCESS;

	if (resp->status == 404 && etype && streq(etype, "RequestNotProcessed")) {
		*next = og_request(ctx, "GET", xstrdup(req->url)); /* not yet: ask again */
	} else if (resp->status != 200) {
		code = resp->status ? og_http_error(what, resp, false)
				    : error(TYPE " %s: its outcome: %s", what, resp->error);
	} else if (!(root = json_loadb(resp->body ? resp->body : "", resp->body_len, 0, NULL)) ||
		   !json_is_object(data = json_object_get(root, "data")) ||
		   !json_is_boolean(ok = json_object_get(data, "isSuccess"))) {
		code = error(TYPE " %s: its outcome is not {\"data\": {\"isSuccess\": ...}}", what);
	} else if (!json_is_true(ok)) {
		char *text;

		status = json_string_value(json_object_get(data, "status"));
		text = source_error_text(status ? status : "", status ? strlen(status) : 0);
		code = error(TYPE " %s: Opsgenie did not: %s", what, *text ? text : "(no status)");
		free(text);
	} else {
		*done = "acknowledged";
	}
	json_decref(root);
	free(what);
	free(id);
	return code;
}

enum status_code
og_acted(const struct source_ctx *ctx, const struct source_action *action,
	 const struct source_request *req, const struct http_response *resp,
	 struct source_request **next, const char **done)
{
	*next = NULL;
	*done = NULL;
	if (streq(req->method, "POST"))
		return accepted(ctx, action, resp, next);
	return outcome(ctx, action, req, resp, next, done);
}
