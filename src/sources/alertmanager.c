/* alertmanager.c - the Alertmanager API v2 as a source: every alert it lists
 * (active, silenced and inhibited alike) is an open incident.
 *
 * Stream "alerts": GET /api/v2/alerts. Alertmanager never lists a resolved alert
 * (endsAt in the past), so a page is a snapshot: the engine resolves the open
 * incidents of this source that are no longer listed. An alert's endsAt while it is
 * listed is a validity deadline, not a resolve time, and is ignored.
 *
 * Silences become "silence" events. The alert says which silences mute it, not
 * since when, and its updatedAt moves at every re-send from Prometheus; so the
 * stream's cursor remembers when each (incident, silence) pair was first seen, and
 * the event keeps that time from round to round instead of multiplying.
 *
 * It must not do I/O or change untrusted text in records (the display sanitizes);
 * error messages, which quote the server, are sanitized. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include "sitrep/config.h"
#include "sitrep/json.h"
#include "sitrep/timestamp.h"

#define TYPE "alertmanager"

/* Silenced pairs remembered in the cursor; a bound so that a runaway upstream
 * cannot grow the sync state without limit. */
#define MAX_SILENCE_PAIRS 10000

static enum status_code
alertmanager_plan(const struct source_ctx *ctx, struct source_request **out, size_t *n)
{
	const char *base = config_source_get(ctx->config, "url");
	struct source_request *req;
	char *value;

	if (!base || !*base)
		return error(TYPE " %s: no url configured", ctx->name);
	/* Both are the default; saying so keeps the meaning if a version changes it. */
	req = source_request_add(out, n, "alerts", "GET",
				 source_url(base, "/api/v2/alerts?silenced=true&inhibited=true"));
	/* No token key exists for this type today; a proxy in front may want one. */
	if (ctx->secret && *ctx->secret) {
		value = xasprintf("Bearer %s", ctx->secret);
		source_request_header(req, "Authorization", value);
		memset(value, 0, strlen(value));
		free(value);
	}
	return SUCCESS;
}

static const char *
default_service(const struct source_ctx *ctx)
{
	if (!ctx->config)
		return NULL;
	return ctx->config->service ? ctx->config->service
				    : config_source_get(ctx->config, "service");
}

/* The "when first seen silenced" map of the previous round (new reference): an
 * object of "INCIDENT SILENCE": epoch. A cursor that is not one starts afresh. */
static json_t *
load_silence_state(const struct source_ctx *ctx)
{
	const char *cursor = ctx->cursor ? ctx->cursor(ctx->engine, "alerts") : NULL;
	json_t *state = cursor ? json_loads(cursor, 0, NULL) : NULL;

	if (!json_is_object(state)) {
		json_decref(state);
		state = json_object();
	}
	return state;
}

static enum status_code
field_error(size_t i, const char *field, const char *what, const char *value)
{
	char *text;

	if (!value)
		return error(TYPE " alerts: alert %zu: %s %s", i, field, what);
	text = source_error_text(value, strlen(value));
	error(TYPE " alerts: alert %zu: %s \"%s\" %s", i, field, text, what);
	free(text);
	return ERROR_CUSTOM_MESSAGE;
}

/* One "silence" event per silence that mutes the alert. */
static enum status_code
add_silences(const struct source_ctx *ctx, size_t i, const char *id, const json_t *status,
	     const json_t *old, json_t *seen, struct source_page *page)
{
	const json_t *by = json_is_object(status) ? json_object_get(status, "silencedBy") : NULL;
	json_t *sid;
	size_t j;

	if (by && !json_is_array(by))
		return field_error(i, "status.silencedBy", "is not an array", NULL);
	json_array_foreach(by, j, sid)
	{
		const json_t *first;
		struct source_event *ev;
		int64_t at = ctx->now;
		char *key;

		if (!json_is_string(sid) || !*json_string_value(sid))
			return field_error(i, "status.silencedBy", "holds a non-string", NULL);
		key = xasprintf("%s %s", id, json_string_value(sid));
		first = json_object_get(old, key);
		if (json_is_integer(first))
			at = (int64_t)json_integer_value(first);
		if (json_object_size(seen) < MAX_SILENCE_PAIRS)
			json_object_set_new(seen, key, json_integer((json_int_t)at));
		free(key);

		ev = source_page_event(page);
		ev->incident_id = id;
		ev->at = at;
		ev->kind = "silence";
		ev->event_id = source_page_strdup(page, json_string_value(sid));
	}
	return SUCCESS;
}

/* generatorURL links back to the rule; only an absolute http(s) one is any use. */
static const char *
usable_url(const char *url)
{
	if (url && (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0))
		return url;
	return NULL;
}

static enum status_code
parse_alert(const struct source_ctx *ctx, size_t i, json_t *alert, const json_t *old, json_t *seen,
	    struct source_page *page)
{
	const json_t *labels = json_object_get(alert, "labels");
	const json_t *annotations = json_object_get(alert, "annotations");
	const json_t *status = json_object_get(alert, "status");
	const char *fp = json_string_value(json_object_get(alert, "fingerprint"));
	const char *starts = json_string_value(json_object_get(alert, "startsAt"));
	const json_t *updated_v = json_object_get(alert, "updatedAt");
	const char *updated = json_string_value(updated_v);
	struct store_incident *inc;
	struct source_event *ev;
	int64_t starts_at, updated_at = ctx->now;
	const char *id;
	char *text;

	if (!json_is_object(labels))
		return field_error(i, "labels", "is missing or not an object", NULL);
	if (annotations && !json_is_object(annotations))
		return field_error(i, "annotations", "is not an object", NULL);
	if (status && !json_is_object(status))
		return field_error(i, "status", "is not an object", NULL);
	if (!fp || !*fp)
		return field_error(i, "fingerprint", "is missing or not a string", NULL);
	if (!starts)
		return field_error(i, "startsAt", "is missing or not a string", NULL);
	if (!timestamp_parse(starts, &starts_at))
		return field_error(i, "startsAt", "is not a timestamp", starts);
	if (updated_v && !updated)
		return field_error(i, "updatedAt", "is not a string", NULL);
	if (updated && !timestamp_parse(updated, &updated_at))
		return field_error(i, "updatedAt", "is not a timestamp", updated);

	/* The fingerprint is a hash of the labels: the same alert firing again after
	 * it resolved reuses it, and startsAt tells the two incidents apart. */
	text = xasprintf("fp:%s:%lld", fp, (long long)starts_at);
	id = source_page_strdup(page, text);
	free(text);

	inc = source_page_incident(page);
	inc->source = source_page_strdup(page, ctx->name);
	inc->source_id = id;
	source_alert_describe(page, inc, labels, annotations, default_service(ctx), id);
	/* startsAt is when Prometheus saw the alert fire (after the rule's `for`); the
	 * rule's pending period is not known here, so impact starts then too. */
	inc->impact_start = starts_at;
	inc->detected_at = starts_at;
	inc->updated_at = updated_at;
	inc->url = source_page_strdup(
		page, usable_url(json_string_value(json_object_get(alert, "generatorURL"))));
	text = json_dumps(alert, JSON_COMPACT | JSON_PRESERVE_ORDER);
	inc->raw_json = source_page_strdup(page, text);
	free(text);

	ev = source_page_event(page);
	ev->incident_id = id;
	ev->at = starts_at;
	ev->kind = "trigger";
	return add_silences(ctx, i, id, status, old, seen, page);
}

static enum status_code
parse_alerts(const struct source_ctx *ctx, const json_t *alerts, struct source_page *page)
{
	json_t *old = load_silence_state(ctx), *seen = json_object(), *alert;
	enum status_code code = SUCCESS;
	size_t i;

	page->snapshot = true;
	page->observed_at = ctx->now;
	json_array_foreach(alerts, i, alert)
	{
		if (!json_is_object(alert)) {
			code = error(TYPE " alerts: alert %zu is not an object", i);
			break;
		}
		if ((code = parse_alert(ctx, i, alert, old, seen, page)) != SUCCESS)
			break;
	}
	if (code == SUCCESS)
		page->cursor = json_dumps(seen, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(seen);
	json_decref(old);
	return code;
}

/* Alertmanager's own errors are go-swagger's {"code":602,"message":"..."} or plain
 * text; the message is the part worth showing. */
static enum status_code
http_error(const char *stream, const struct http_response *resp)
{
	json_t *root = json_loadb(resp->body, resp->body_len, 0, NULL);
	const char *msg = json_string_value(json_object_get(root, "message"));
	enum status_code code;
	char *text;

	if (!msg) {
		json_decref(root);
		return source_check_response(TYPE, stream, resp);
	}
	text = source_error_text(msg, strlen(msg));
	code = error(TYPE " %s: HTTP %ld: %s", stream, resp->status, text);
	free(text);
	json_decref(root);
	return code;
}

static enum status_code
alertmanager_parse(const struct source_ctx *ctx, const struct source_request *req,
		   const struct http_response *resp, struct source_page *page)
{
	const char *stream = req->stream;
	enum status_code code;
	json_t *root = NULL;

	if (resp->status != 200 && resp->status != 0 && resp->body && resp->body_len &&
	    !resp->too_big)
		return http_error(stream, resp);
	if ((code = source_check_response(TYPE, stream, resp)) != SUCCESS ||
	    (code = source_parse_json(TYPE, stream, resp, &root)) != SUCCESS)
		return code;
	if (!streq(stream, "alerts"))
		code = error(TYPE " %s: not a stream of this source", stream);
	else if (!json_is_array(root))
		code = error(TYPE " alerts: the response is not a JSON array of alerts");
	else
		code = parse_alerts(ctx, root, page);
	json_decref(root);
	return code;
}

const struct source_ops source_alertmanager_ops = {
	.type = TYPE,
	.plan = alertmanager_plan,
	.parse = alertmanager_parse,
};
