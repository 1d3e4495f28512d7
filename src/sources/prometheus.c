/* prometheus.c - the Prometheus HTTP API (/api/v1) as a source: firing alerts become
 * incidents, and each [metric] whose source is this one becomes a time series read
 * with query_range.
 *
 * Streams:
 *   alerts          GET /api/v1/alerts. The list holds only pending and firing
 *                   alerts, so a page is a snapshot: the engine resolves the open
 *                   incidents of this source that are no longer listed.
 *   metric:NAME     POST /api/v1/query_range from the stream's cursor (the last
 *                   sample's time) to now; the next cursor is the newest sample.
 *
 * It must not do I/O, keep state between calls, or change untrusted text in records
 * (the display sanitizes); error messages, which quote the server, are sanitized. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <math.h>

#include "sitrep/config.h"
#include "sitrep/json.h"
#include "sitrep/json_tok.h"
#include "sitrep/timestamp.h"

#define TYPE "prometheus"
#define METRIC_PREFIX "metric:"

/* The last instant timestamp_format can write (9999-12-31T23:59:59Z). */
#define MAX_EPOCH 253402300799LL
#define DEFAULT_STEP 60

/* ---- plan ---- */

/* application/x-www-form-urlencoded: everything but the unreserved characters as
 * %XX, which Go's url.ParseQuery decodes as the server expects. New. */
static char *
form_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b;

	buf_init(&b, 0);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			buf_addch(&b, (char)c);
		} else {
			buf_addch(&b, '%');
			buf_addch(&b, hex[c >> 4]);
			buf_addch(&b, hex[c & 15]);
		}
	}
	return buf_detach(&b);
}

static void
plan_metric(const struct source_ctx *ctx, const struct config_metric *metric, const char *base,
	    struct source_request **out, size_t *n)
{
	int64_t step =
		ctx->config && ctx->config->interval > 0 ? ctx->config->interval : DEFAULT_STEP;
	char *stream = xasprintf(METRIC_PREFIX "%s", metric->name);
	const char *cursor = ctx->cursor ? ctx->cursor(ctx->engine, stream) : NULL;
	struct source_request *req;
	int64_t start, end;
	char *query;

	source_metric_window(cursor, ctx->now, step, &start, &end);
	query = form_escape(metric->query);
	req = source_request_add(out, n, stream, "POST", source_url(base, "/api/v1/query_range"));
	req->body = xasprintf("query=%s&start=%lld&end=%lld&step=%lld", query, (long long)start,
			      (long long)end, (long long)step);
	source_request_header(req, "Content-Type", "application/x-www-form-urlencoded");
	source_request_bearer(req, ctx->secret);
	free(query);
	free(stream);
}

static enum status_code
prometheus_plan(const struct source_ctx *ctx, struct source_request **out, size_t *n)
{
	const char *base = config_source_get(ctx->config, "url");
	struct source_request *req;
	size_t i;

	/* Fail before adding anything: the caller frees nothing on failure. */
	if (!base || !*base)
		return error(TYPE " %s: no url configured", ctx->name);
	req = source_request_add(out, n, "alerts", "GET", source_url(base, "/api/v1/alerts"));
	source_request_bearer(req, ctx->secret);
	for (i = 0; i < ctx->n_metrics; i++) {
		const struct config_metric *m = &ctx->metrics[i];

		if (streq(m->source, ctx->name) && m->name && m->query && *m->query)
			plan_metric(ctx, m, base, out, n);
	}
	return SUCCESS;
}

/* ---- parse ---- */

/* The error of an envelope {"status":"error","errorType":...,"error":...}. */
static enum status_code
envelope_error(const char *stream, const json_t *root, long status)
{
	const char *type = json_string_value(json_object_get(root, "errorType"));
	const char *msg = json_string_value(json_object_get(root, "error"));
	char *t = source_error_text(type ? type : "unknown", type ? strlen(type) : 7);
	char *m = source_error_text(msg ? msg : "no message", msg ? strlen(msg) : 10);
	enum status_code code;

	if (status != 200)
		code = error(TYPE " %s: %s: %s (HTTP %ld)", stream, t, m, status);
	else
		code = error(TYPE " %s: %s: %s", stream, t, m);
	free(t);
	free(m);
	return code;
}

/* Prometheus answers its own errors (400 bad_data, 422 execution, 503 timeout) with
 * the JSON envelope; a proxy's 502 has none. The envelope's message is the one worth
 * showing. */
static bool
is_error_envelope(const json_t *root)
{
	return json_is_object(root) &&
	       streq(json_string_value(json_object_get(root, "status")), "error");
}

static enum status_code
parse_alert(const struct source_ctx *ctx, size_t i, json_t *alert, struct source_page *page)
{
	const json_t *labels = json_object_get(alert, "labels");
	const json_t *annotations = json_object_get(alert, "annotations");
	const char *state = json_string_value(json_object_get(alert, "state"));
	const char *active = json_string_value(json_object_get(alert, "activeAt"));
	struct store_incident *inc;
	struct source_event *ev;
	const char *id, *key;
	json_t *value;
	int64_t active_at;
	char *raw, *text;

	if (!json_is_object(labels))
		return error(TYPE " alerts: alert %zu: labels is missing or not an object", i);
	json_object_foreach((json_t *)(uintptr_t)labels, key, value)
	{
		if (!json_is_string(value)) {
			text = source_error_text(key, strlen(key));
			error(TYPE " alerts: alert %zu: label %s is not a string", i, text);
			free(text);
			return ERROR_CUSTOM_MESSAGE;
		}
	}
	if (annotations && !json_is_object(annotations))
		return error(TYPE " alerts: alert %zu: annotations is not an object", i);
	if (!state)
		return error(TYPE " alerts: alert %zu: state is missing or not a string", i);
	/* A pending alert has not fired yet and may never: not an incident. */
	if (!streq(state, "firing"))
		return SUCCESS;
	if (!active)
		return error(TYPE " alerts: alert %zu: activeAt is missing or not a string", i);
	if (!timestamp_parse(active, &active_at)) {
		text = source_error_text(active, strlen(active));
		error(TYPE " alerts: alert %zu: activeAt \"%s\" is not a timestamp", i, text);
		free(text);
		return ERROR_CUSTOM_MESSAGE;
	}

	/* activeAt is part of the id: the same labels firing again after a gap are a
	 * new incident, not a reopening of the old one. */
	text = xasprintf("alert:%016llx:%lld",
			 (unsigned long long)source_labels_fingerprint(labels),
			 (long long)active_at);
	id = source_page_strdup(page, text);
	free(text);

	inc = source_page_incident(page);
	inc->source = source_page_strdup(page, ctx->name);
	inc->source_id = id;
	source_alert_describe(page, inc, labels, annotations, source_default_service(ctx), id);
	/* Prometheus publishes no FiredAt: the rule's activeAt is both the start of the
	 * condition and the earliest moment it could have been detected. */
	inc->impact_start = active_at;
	inc->detected_at = active_at;
	inc->updated_at = ctx->now;
	raw = json_dumps(alert, JSON_COMPACT | JSON_PRESERVE_ORDER);
	inc->raw_json = source_page_strdup(page, raw);
	free(raw);

	ev = source_page_event(page);
	ev->incident_id = id;
	ev->at = active_at;
	ev->kind = "trigger";
	return SUCCESS;
}

static enum status_code
parse_alerts(const struct source_ctx *ctx, const json_t *data, struct source_page *page)
{
	const json_t *alerts = json_object_get(data, "alerts");
	enum status_code code;
	json_t *alert;
	size_t i;

	if (!json_is_array(alerts))
		return error(TYPE " alerts: data.alerts is missing or not an array");
	page->snapshot = true;
	page->observed_at = ctx->now;
	json_array_foreach(alerts, i, alert)
	{
		if (!json_is_object(alert))
			return error(TYPE " alerts: alert %zu is not an object", i);
		if ((code = parse_alert(ctx, i, alert, page)) != SUCCESS)
			return code;
	}
	return SUCCESS;
}

/* A sample value: Prometheus writes floats as strings so that NaN and infinities
 * survive JSON. *skip is set for those: a chart has no point to draw there. Numbers
 * go through the JSON tokenizer, which is strict and independent of the locale. */
static bool
parse_value(struct jtok_parser *p, const char *s, size_t len, double *out, bool *skip)
{
	*skip = streq(s, "NaN") || streq(s, "+Inf") || streq(s, "-Inf") || streq(s, "Inf");
	if (*skip)
		return true;
	return jtok_parse(p, s, len) && p->n == 1 && p->toks[0].type == JTOK_NUMBER &&
	       jtok_double(p, s, 0, out);
}

static enum status_code
point_error(const char *stream, size_t series, size_t point, const char *what)
{
	return error(TYPE " %s: series %zu, point %zu: %s", stream, series, point, what);
}

static enum status_code
parse_series(const char *stream, size_t i, const json_t *series, const char *name,
	     const char *service, struct jtok_parser *p, struct source_page *page, int64_t *last)
{
	const json_t *metric = json_object_get(series, "metric");
	const json_t *values = json_object_get(series, "values");
	const char *labels;
	json_t *point;
	size_t j;

	if (!json_is_object(metric))
		return error(TYPE " %s: series %zu: metric is missing or not an object", stream, i);
	if (!(labels = source_labels_canonical(page, metric)))
		return error(TYPE " %s: series %zu: a label value is not a string", stream, i);
	/* A native histogram series carries "histograms" instead: no float to chart. */
	if (!values && json_object_get(series, "histograms"))
		return SUCCESS;
	if (!json_is_array(values))
		return error(TYPE " %s: series %zu: values is missing or not an array", stream, i);
	json_array_foreach(values, j, point)
	{
		const json_t *t = json_array_get(point, 0), *v = json_array_get(point, 1);
		struct source_sample *s;
		double when, value;
		bool skip;

		if (!json_is_array(point) || json_array_size(point) != 2)
			return point_error(stream, i, j, "not a [time, value] pair");
		if (!json_is_number(t))
			return point_error(stream, i, j, "the time is not a number");
		when = json_number_value(t);
		if (!isfinite(when) || when < 0 || when > (double)MAX_EPOCH)
			return point_error(stream, i, j, "the time is out of range");
		if (!json_is_string(v))
			return point_error(stream, i, j, "the value is not a string");
		if (!parse_value(p, json_string_value(v), json_string_length(v), &value, &skip)) {
			char *text = source_error_text(json_string_value(v), json_string_length(v));

			error(TYPE " %s: series %zu, point %zu: the value \"%s\" is not a number",
			      stream, i, j, text);
			free(text);
			return ERROR_CUSTOM_MESSAGE;
		}
		/* Truncated to the second, as the cache stores time. */
		if ((int64_t)floor(when) > *last)
			*last = (int64_t)floor(when);
		if (skip)
			continue;
		s = source_page_sample(page);
		s->series = name;
		s->labels = labels;
		s->service = service;
		s->ts = (int64_t)floor(when);
		s->value = value;
	}
	return SUCCESS;
}

static enum status_code
parse_matrix(const struct source_ctx *ctx, const char *stream, const json_t *data,
	     struct source_page *page)
{
	const char *type = json_string_value(json_object_get(data, "resultType"));
	const json_t *result = json_object_get(data, "result");
	const char *name = stream + strlen(METRIC_PREFIX);
	const char *series_name, *service;
	enum status_code code = SUCCESS;
	struct jtok_parser p;
	int64_t last = TIME_NONE;
	json_t *series;
	size_t i;

	if (!type)
		return error(TYPE " %s: data.resultType is missing or not a string", stream);
	if (!streq(type, "matrix")) {
		char *text = source_error_text(type, strlen(type));

		error(TYPE " %s: data.resultType is \"%s\", expected \"matrix\"", stream, text);
		free(text);
		return ERROR_CUSTOM_MESSAGE;
	}
	if (!json_is_array(result))
		return error(TYPE " %s: data.result is missing or not an array", stream);
	page->observed_at = ctx->now;
	series_name = source_page_strdup(page, name);
	service = source_metric_service(page, ctx, name);
	jtok_init(&p);
	json_array_foreach(result, i, series)
	{
		if (!json_is_object(series)) {
			code = error(TYPE " %s: series %zu is not an object", stream, i);
			break;
		}
		code = parse_series(stream, i, series, series_name, service, &p, page, &last);
		if (code != SUCCESS)
			break;
	}
	jtok_release(&p);
	if (code == SUCCESS && last != TIME_NONE)
		page->cursor = xasprintf("%lld", (long long)last);
	return code;
}

static enum status_code
prometheus_parse(const struct source_ctx *ctx, const struct source_request *req,
		 const struct http_response *resp, struct source_page *page)
{
	const char *stream = req->stream;
	enum status_code code;
	const char *status;
	json_t *root = NULL;

	if (resp->status != 200 && resp->status != 0 && resp->body && resp->body_len &&
	    !resp->too_big) {
		root = json_loadb(resp->body, resp->body_len, 0, NULL);
		if (is_error_envelope(root))
			code = envelope_error(stream, root, resp->status);
		else
			code = source_check_response(TYPE, stream, resp);
		json_decref(root);
		return code;
	}
	if ((code = source_check_response(TYPE, stream, resp)) != SUCCESS ||
	    (code = source_parse_json(TYPE, stream, resp, &root)) != SUCCESS)
		return code;
	if (!json_is_object(root)) {
		code = error(TYPE " %s: the response is not a JSON object", stream);
		goto out;
	}
	status = json_string_value(json_object_get(root, "status"));
	if (streq(status, "error")) {
		code = envelope_error(stream, root, resp->status);
	} else if (!streq(status, "success")) {
		code = error(TYPE " %s: the envelope's status is missing or not \"success\"",
			     stream);
	} else if (!json_is_object(json_object_get(root, "data"))) {
		code = error(TYPE " %s: data is missing or not an object", stream);
	} else if (streq(stream, "alerts")) {
		code = parse_alerts(ctx, json_object_get(root, "data"), page);
	} else if (strncmp(stream, METRIC_PREFIX, strlen(METRIC_PREFIX)) == 0) {
		code = parse_matrix(ctx, stream, json_object_get(root, "data"), page);
	} else {
		code = error(TYPE " %s: not a stream of this source", stream);
	}
out:
	json_decref(root);
	return code;
}

const struct source_ops source_prometheus_ops = {
	.type = TYPE,
	.plan = prometheus_plan,
	.parse = prometheus_parse,
};
