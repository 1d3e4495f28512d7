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
 * The reading of one alert (source_am_alert) is shared with Grafana, whose
 * alerting serves the same API for its own rules.
 *
 * It must not do I/O or change untrusted text in records (the display sanitizes);
 * error messages, which quote the server, are sanitized. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include "sitrep/config.h"
#include "sitrep/json.h"
#include "sitrep/timestamp.h"

#define TYPE "alertmanager"

/* Muted pairs remembered in the cursor; a bound so that a runaway upstream
 * cannot grow the sync state without limit. */
#define MAX_MUTED_PAIRS 10000
/* The key prefix of an inhibition pair; silence ids are UUIDs, never this. */
#define INHIBIT_PREFIX "inhibit:"

static enum status_code
alertmanager_plan(const struct source_ctx *ctx, struct source_request **out, size_t *n)
{
	const char *base = config_source_get(ctx->config, "url");
	struct source_request *req;

	if (!base || !*base)
		return error(TYPE " %s: no url configured", ctx->name);
	/* Both are the default; saying so keeps the meaning if a version changes it. */
	req = source_request_add(out, n, "alerts", "GET",
				 source_url(base, "/api/v2/alerts?silenced=true&inhibited=true"));
	/* No token key exists for this type today; a proxy in front may want one. */
	source_request_bearer(req, ctx->secret);
	return SUCCESS;
}

/* The "when first seen muted" map of the previous round (new reference): an
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

/* What an alert is being read for: messages name the type, stream and index. */
struct am_alert_ctx {
	const struct source_ctx *ctx;
	const char *type, *stream;
	size_t i;
};

static enum status_code
field_error(const struct am_alert_ctx *a, const char *field, const char *what, const char *value)
{
	char *text;

	if (!value)
		return error("%s %s: alert %zu: %s %s", a->type, a->stream, a->i, field, what);
	text = source_error_text(value, strlen(value));
	error("%s %s: alert %zu: %s \"%s\" %s", a->type, a->stream, a->i, field, text, what);
	free(text);
	return ERROR_CUSTOM_MESSAGE;
}

/* One event of kind per string of status.<member>: the silences (or inhibiting
 * alerts) that mute the alert, each at the time the pair was first seen. */
static enum status_code
add_muted(const struct am_alert_ctx *a, const char *id, const json_t *status, const char *member,
	  const char *kind, const char *prefix, struct source_am_muted *muted,
	  struct source_page *page)
{
	const json_t *by = json_is_object(status) ? json_object_get(status, member) : NULL;
	char field[48];
	json_t *sid;
	size_t j;

	snprintf(field, sizeof(field), "status.%s", member);
	/* null is how Go writes an empty (nil) list. */
	if (by && !json_is_null(by) && !json_is_array(by))
		return field_error(a, field, "is not an array", NULL);
	json_array_foreach(by, j, sid)
	{
		const json_t *first;
		struct source_event *ev;
		int64_t at = a->ctx->now;
		char *key;

		if (!json_is_string(sid) || !*json_string_value(sid))
			return field_error(a, field, "holds a non-string", NULL);
		key = xasprintf("%s %s%s", id, prefix, json_string_value(sid));
		first = json_object_get(muted->old, key);
		if (json_is_integer(first))
			at = (int64_t)json_integer_value(first);
		if (json_object_size(muted->seen) < MAX_MUTED_PAIRS)
			json_object_set_new(muted->seen, key, json_integer((json_int_t)at));
		free(key);

		ev = source_page_event(page);
		ev->incident_id = id;
		ev->at = at;
		ev->kind = kind;
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

/* The checked fields of an alert. */
struct am_fields {
	const json_t *labels, *annotations, *status;
	const char *fp;
	int64_t starts_at, updated_at;
};

static enum status_code
read_fields(const struct am_alert_ctx *a, const json_t *alert, struct am_fields *f)
{
	const char *starts = json_string_value(json_object_get(alert, "startsAt"));
	const json_t *updated_v = json_object_get(alert, "updatedAt");
	const char *updated = json_string_value(updated_v);

	f->labels = json_object_get(alert, "labels");
	f->annotations = json_object_get(alert, "annotations");
	f->status = json_object_get(alert, "status");
	f->fp = json_string_value(json_object_get(alert, "fingerprint"));
	f->updated_at = a->ctx->now;
	if (!json_is_object(f->labels))
		return field_error(a, "labels", "is missing or not an object", NULL);
	if (f->annotations && !json_is_object(f->annotations))
		return field_error(a, "annotations", "is not an object", NULL);
	if (f->status && !json_is_object(f->status))
		return field_error(a, "status", "is not an object", NULL);
	if (!f->fp || !*f->fp)
		return field_error(a, "fingerprint", "is missing or not a string", NULL);
	if (!starts)
		return field_error(a, "startsAt", "is missing or not a string", NULL);
	if (!timestamp_parse(starts, &f->starts_at))
		return field_error(a, "startsAt", "is not a timestamp", starts);
	if (updated_v && !updated)
		return field_error(a, "updatedAt", "is not a string", NULL);
	if (updated && !timestamp_parse(updated, &f->updated_at))
		return field_error(a, "updatedAt", "is not a timestamp", updated);
	return SUCCESS;
}

enum status_code
source_am_alert(const struct source_ctx *ctx, const char *type, const char *stream, size_t i,
		const json_t *alert, struct source_am_muted *muted, struct source_page *page,
		struct store_incident **out)
{
	struct am_alert_ctx a = { .ctx = ctx, .type = type, .stream = stream, .i = i };
	struct store_incident *inc;
	struct source_event *ev;
	struct am_fields f;
	enum status_code code;
	const char *id;
	char *text;

	*out = NULL;
	if (!json_is_object(alert))
		return error("%s %s: alert %zu is not an object", type, stream, i);
	if ((code = read_fields(&a, alert, &f)) != SUCCESS)
		return code;

	/* The fingerprint is a hash of the labels: the same alert firing again after
	 * it resolved reuses it, and startsAt tells the two incidents apart. */
	text = xasprintf("fp:%s:%lld", f.fp, (long long)f.starts_at);
	id = source_page_strdup(page, text);
	free(text);

	inc = source_page_incident(page);
	inc->source = source_page_strdup(page, ctx->name);
	inc->source_id = id;
	source_alert_describe(page, inc, f.labels, f.annotations, source_default_service(ctx), id);
	/* startsAt is when Prometheus saw the alert fire (after the rule's `for`); the
	 * rule's pending period is not known here, so impact starts then too. */
	inc->impact_start = f.starts_at;
	inc->detected_at = f.starts_at;
	inc->updated_at = f.updated_at;
	inc->url = source_page_strdup(
		page, usable_url(json_string_value(json_object_get(alert, "generatorURL"))));
	text = json_dumps(alert, JSON_COMPACT | JSON_PRESERVE_ORDER);
	inc->raw_json = source_page_strdup(page, text);
	free(text);

	ev = source_page_event(page);
	ev->incident_id = id;
	ev->at = f.starts_at;
	ev->kind = "trigger";
	code = add_muted(&a, id, f.status, "silencedBy", "silence", "", muted, page);
	if (code == SUCCESS && muted->inhibitions)
		code = add_muted(&a, id, f.status, "inhibitedBy", "inhibit", INHIBIT_PREFIX, muted,
				 page);
	*out = inc; /* events live in their own array: inc has not moved */
	return code;
}

static enum status_code
parse_alerts(const struct source_ctx *ctx, const json_t *alerts, struct source_page *page)
{
	json_t *old = load_silence_state(ctx), *seen = json_object(), *alert;
	struct source_am_muted muted = { .old = old, .seen = seen };
	struct store_incident *inc;
	enum status_code code = SUCCESS;
	size_t i;

	page->snapshot = true;
	page->observed_at = ctx->now;
	json_array_foreach(alerts, i, alert)
	{
		if ((code = source_am_alert(ctx, TYPE, "alerts", i, alert, &muted, page, &inc)) !=
		    SUCCESS)
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
