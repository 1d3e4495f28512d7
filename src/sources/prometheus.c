/* prometheus.c - the Prometheus HTTP API (/api/v1) as a source: firing alerts become
 * incidents, and each [metric] whose source is this one becomes a time series read
 * with query_range.
 *
 * Streams:
 *   alerts          GET /api/v1/alerts. The list holds only pending and firing
 *                   alerts, so a page is a snapshot: the engine resolves the open
 *                   incidents of this source that are no longer listed.
 *   metric:NAME     POST /api/v1/query_range from the stream's cursor (the last
 *                   sample's time; before the first sample, `backfill` ago) to
 *                   now, in pages of at most PAGE_POINTS points a series
 *                   (Prometheus answers 11,000 at most), oldest first; each page's
 *                   cursor is its newest sample, so a round stopped half-way
 *                   resumes where its last committed page ended.
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

/* A query_range answer of more than 11,000 points a series is refused with a 400, so
 * a longer window is read in pages; of a day at a minute's step, fewer than the
 * limit: a page's memory stays small, and the upstream prepares the next page while
 * the engine commits this one (engine.c). */
#define PAGE_POINTS 1440
/* Where a metric stream with no cursor starts, unless the source's `backfill` says
 * otherwise: an hour of history for the charts. */
#define DEFAULT_BACKFILL 3600
#define DEFAULT_STEP 60

/* The last instant timestamp_format can write (9999-12-31T23:59:59Z). */
#define MAX_EPOCH 253402300799LL

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

/* The first page of [start, end]: at most PAGE_POINTS points a series. */
static int64_t
page_end(int64_t start, int64_t end, int64_t step)
{
	return (end - start) / step + 1 > PAGE_POINTS ? start + (int64_t)(PAGE_POINTS - 1) * step
						      : end;
}

/* A query_range request of stream for [start, end] (the query already escaped). */
static struct source_request *
range_request(const struct source_ctx *ctx, const char *stream, const char *base, const char *query,
	      int64_t start, int64_t end, int64_t step, struct source_request **out, size_t *n)
{
	struct source_request *req;
	char *url = source_url(base, "/api/v1/query_range");

	if (out) {
		req = source_request_add(out, n, stream, "POST", url);
	} else {
		req = xcalloc(1, sizeof(*req));
		req->stream = xstrdup(stream);
		req->method = xstrdup("POST");
		req->url = url;
	}
	req->body = xasprintf("query=%s&start=%lld&end=%lld&step=%lld", query, (long long)start,
			      (long long)end, (long long)step);
	source_request_header(req, "Content-Type", "application/x-www-form-urlencoded");
	source_request_bearer(req, ctx->secret);
	return req;
}

static int64_t
metric_step(const struct source_ctx *ctx)
{
	return ctx->config && ctx->config->interval > 0 ? ctx->config->interval : DEFAULT_STEP;
}

static void
plan_metric(const struct source_ctx *ctx, const struct config_metric *metric, const char *base,
	    int64_t backfill, struct source_request **out, size_t *n)
{
	int64_t step = metric_step(ctx);
	char *stream = xasprintf(METRIC_PREFIX "%s", metric->name);
	const char *cursor = ctx->cursor ? ctx->cursor(ctx->engine, stream) : NULL;
	int64_t start, end;
	char *query;

	source_metric_window(cursor, ctx->now, step, backfill, 0, &start, &end);
	query = form_escape(metric->query);
	range_request(ctx, stream, base, query, start, page_end(start, end, step), step, out, n);
	free(query);
	free(stream);
}

/* The source's backfill, a duration (default an hour). */
static enum status_code
backfill_of(const struct source_ctx *ctx, int64_t *seconds)
{
	const char *text = ctx->config ? config_source_get(ctx->config, "backfill") : NULL;

	*seconds = DEFAULT_BACKFILL;
	if (text && (!duration_parse(text, seconds) || *seconds <= 0)) {
		char *safe = source_error_text(text, strlen(text));

		error(TYPE " %s: backfill \"%s\" is not a positive duration", ctx->name, safe);
		free(safe);
		return ERROR_CUSTOM_MESSAGE;
	}
	return SUCCESS;
}

static enum status_code
prometheus_plan(const struct source_ctx *ctx, struct source_request **out, size_t *n)
{
	const char *base = config_source_get(ctx->config, "url");
	struct source_request *req;
	int64_t backfill;
	size_t i;

	/* Fail before adding anything: the caller frees nothing on failure. */
	if (!base || !*base)
		return error(TYPE " %s: no url configured", ctx->name);
	if (backfill_of(ctx, &backfill) != SUCCESS)
		return ERROR_CUSTOM_MESSAGE;
	/* The alerting rules rather than /alerts: the same alerts, plus each rule's
	 * pending period (duration), which says when an alert fired. */
	req = source_request_add(out, n, "alerts", "GET",
				 source_url(base, "/api/v1/rules?type=alert"));
	source_request_bearer(req, ctx->secret);
	for (i = 0; i < ctx->n_metrics; i++) {
		const struct config_metric *m = &ctx->metrics[i];

		if (streq(m->source, ctx->name) && m->name && m->query && *m->query)
			plan_metric(ctx, m, base, backfill, out, n);
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

/* One alert of /alerts or of a rule in /rules; pending is the rule's duration (its
 * `for`) in seconds, 0 when unknown. */
static enum status_code
parse_alert(const struct source_ctx *ctx, size_t i, json_t *alert, int64_t pending,
	    struct source_page *page)
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
	/* activeAt is when the condition began (the alert went pending); it fired, and
	 * so was detected, once it had held for the rule's pending period. */
	inc->impact_start = active_at;
	inc->detected_at = active_at + pending;
	inc->updated_at = ctx->now;
	raw = json_dumps(alert, JSON_COMPACT | JSON_PRESERVE_ORDER);
	inc->raw_json = source_page_strdup(page, raw);
	free(raw);

	ev = source_page_event(page);
	ev->incident_id = id;
	ev->at = inc->detected_at;
	ev->kind = "trigger";
	return SUCCESS;
}

static enum status_code
parse_alert_list(const struct source_ctx *ctx, const json_t *alerts, int64_t pending, size_t *i,
		 struct source_page *page)
{
	enum status_code code;
	json_t *alert;
	size_t j;

	json_array_foreach(alerts, j, alert)
	{
		if (!json_is_object(alert))
			return error(TYPE " alerts: alert %zu is not an object", *i);
		if ((code = parse_alert(ctx, *i, alert, pending, page)) != SUCCESS)
			return code;
		(*i)++;
	}
	return SUCCESS;
}

/* The alerting rules' alerts (data.groups[].rules[].alerts), each with its rule's
 * pending period; a recording rule has neither. */
static enum status_code
parse_rule_groups(const struct source_ctx *ctx, const json_t *groups, struct source_page *page)
{
	enum status_code code;
	json_t *group, *rule;
	size_t g, r, i = 0;

	json_array_foreach(groups, g, group)
	{
		const json_t *rules = json_object_get(group, "rules");

		if (!json_is_array(rules))
			return error(TYPE " alerts: group %zu: rules is missing or not an array",
				     g);
		json_array_foreach(rules, r, rule)
		{
			const json_t *alerts = json_object_get(rule, "alerts");
			const json_t *duration = json_object_get(rule, "duration");
			const char *type = json_string_value(json_object_get(rule, "type"));

			if (!json_is_object(rule))
				return error(TYPE " alerts: group %zu: rule %zu is not an object",
					     g, r);
			if (type && !streq(type, "alerting"))
				continue;
			if (duration &&
			    (!json_is_number(duration) || json_number_value(duration) < 0))
				return error(TYPE " alerts: group %zu: rule %zu: duration is not a "
						  "number of seconds",
					     g, r);
			if (alerts && !json_is_array(alerts))
				return error(TYPE " alerts: group %zu: rule %zu: alerts is not an "
						  "array",
					     g, r);
			code = parse_alert_list(ctx, alerts,
						duration ? (int64_t)json_number_value(duration) : 0,
						&i, page);
			if (code != SUCCESS)
				return code;
		}
	}
	return SUCCESS;
}

/* /api/v1/rules (data.groups) or, from an API that has only that, /api/v1/alerts
 * (data.alerts, without pending periods): every alert firing now. */
static enum status_code
parse_alerts(const struct source_ctx *ctx, const json_t *data, struct source_page *page)
{
	const json_t *groups = json_object_get(data, "groups");
	const json_t *alerts = json_object_get(data, "alerts");
	size_t i = 0;

	page->snapshot = true;
	page->observed_at = ctx->now;
	if (json_is_array(groups))
		return parse_rule_groups(ctx, groups, page);
	if (json_is_array(alerts))
		return parse_alert_list(ctx, alerts, 0, &i, page);
	return error(TYPE " alerts: data.groups is missing or not an array");
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
	const char *name = stream + strlen(METRIC_PREFIX), *dot = strchr(name, '.');
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
	/* [metric "checkout.rpm"]: the service is the part before the first dot. */
	service = dot ? source_page_strndup(page, name, (size_t)(dot - name))
		      : source_page_strdup(page, source_default_service(ctx));
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

/* ---- the fast path of a range answer: the tokenizer, no tree ---- */

/* A metric page holds hundreds of thousands of points, and a jansson tree of them
 * costs more in malloc and free than storing them. A well-formed answer is read
 * with the tokenizer instead (json_tok.h); anything it does not expect, it leaves
 * to the jansson path above, which words every error. */

struct fast_label {
	char *key, *value;
};

static int
cmp_label(const void *a, const void *b)
{
	return strcmp(((const struct fast_label *)a)->key, ((const struct fast_label *)b)->key);
}

/* A string token decoded into a new C string; NULL when it is not a string or holds
 * a NUL (jansson refuses those: the slow path words it). */
static char *
fast_string(const struct jtok_parser *p, const char *text, size_t tok)
{
	struct buf b;

	buf_init(&b, 0);
	if (tok == 0 || !jtok_string(p, text, tok, &b) || strlen(b.data ? b.data : "") != b.len) {
		buf_release(&b);
		return NULL;
	}
	return b.data ? buf_detach(&b) : xstrdup("");
}

/* source_labels_canonical of a metric object token, in page memory; NULL: not
 * for the fast path. */
static const char *
fast_labels(const struct jtok_parser *p, const char *text, size_t obj, struct source_page *page)
{
	struct fast_label *labels;
	const char *out = NULL;
	size_t n = p->toks[obj].size, i = 0, k;
	struct buf b;

	labels = xcalloc(n + 1, sizeof(*labels));
	for (k = jtok_first(p, obj); k; k = jtok_next(p, k), i++) {
		labels[i].key = fast_string(p, text, k);
		labels[i].value = fast_string(p, text, k + 1);
		if (!labels[i].key || !labels[i].value) {
			i++;
			goto out;
		}
	}
	qsort(labels, n, sizeof(*labels), cmp_label);
	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addch(&b, ',');
		buf_addstr(&b, labels[i].key);
		buf_addch(&b, '=');
		for (const char *c = labels[i].value; *c; c++) {
			if (*c == ',' || *c == '\\')
				buf_addch(&b, '\\');
			buf_addch(&b, *c);
		}
	}
	out = source_page_strndup(page, b.data ? b.data : "", b.len);
	buf_release(&b);
out:
	for (k = 0; k < n && k < i; k++) {
		free(labels[k].key);
		free(labels[k].value);
	}
	free(labels);
	return out;
}

/* The points of one series; false: not for the fast path. */
static bool
fast_points(const struct jtok_parser *p, const char *text, size_t values, const char *name,
	    const char *labels, const char *service, struct jtok_parser *vp,
	    struct source_page *page, int64_t *last)
{
	for (size_t pt = jtok_first(p, values); pt; pt = jtok_next(p, pt)) {
		const struct jtok *t, *v;
		const char *vs;
		size_t vlen;
		double when, value;
		bool skip;
		struct source_sample *smp;

		if (p->toks[pt].type != JTOK_ARRAY || p->toks[pt].size != 2)
			return false;
		t = &p->toks[pt + 1];
		v = &p->toks[t->skip];
		if (t->type != JTOK_NUMBER || v->type != JTOK_STRING || v->escaped ||
		    !jtok_double(p, text, pt + 1, &when) || !isfinite(when) || when < 0 ||
		    when > (double)MAX_EPOCH)
			return false;
		vs = text + v->start;
		vlen = v->end - v->start;
		skip = (vlen == 3 && memcmp(vs, "NaN", 3) == 0) ||
		       (vlen == 4 && memcmp(vs, "+Inf", 4) == 0) ||
		       (vlen == 4 && memcmp(vs, "-Inf", 4) == 0) ||
		       (vlen == 3 && memcmp(vs, "Inf", 3) == 0);
		if (!skip && !(jtok_parse(vp, vs, vlen) && vp->n == 1 &&
			       vp->toks[0].type == JTOK_NUMBER && jtok_double(vp, vs, 0, &value)))
			return false;
		if ((int64_t)floor(when) > *last)
			*last = (int64_t)floor(when);
		if (skip)
			continue;
		smp = source_page_sample(page);
		smp->series = name;
		smp->labels = labels;
		smp->service = service;
		smp->ts = (int64_t)floor(when);
		smp->value = value;
	}
	return true;
}

/* The whole answer; false leaves the page as it found it, for the jansson path. */
static bool
fast_matrix(const struct source_ctx *ctx, const char *stream, const struct http_response *resp,
	    struct source_page *page)
{
	const char *text = resp->body, *name = stream + strlen(METRIC_PREFIX);
	const char *dot = strchr(name, '.'), *series_name, *service;
	struct jtok_parser p, vp;
	size_t data, result, status, type, series;
	int64_t last = TIME_NONE;
	bool ok = false;

	if (resp->status != 200 || resp->too_big || !text || resp->body_len == 0)
		return false;
	jtok_init(&p);
	jtok_init(&vp);
	if (!jtok_parse(&p, text, resp->body_len) || p.toks[0].type != JTOK_OBJECT)
		goto out;
	status = jtok_get(&p, text, 0, "status");
	data = jtok_get(&p, text, 0, "data");
	if (!status || !jtok_streq(&p, text, status, "success") || !data ||
	    p.toks[data].type != JTOK_OBJECT)
		goto out;
	type = jtok_get(&p, text, data, "resultType");
	result = jtok_get(&p, text, data, "result");
	if (!type || !jtok_streq(&p, text, type, "matrix") || !result ||
	    p.toks[result].type != JTOK_ARRAY)
		goto out;
	page->observed_at = ctx->now;
	series_name = source_page_strdup(page, name);
	service = dot ? source_page_strndup(page, name, (size_t)(dot - name))
		      : source_page_strdup(page, source_default_service(ctx));
	for (series = jtok_first(&p, result); series; series = jtok_next(&p, series)) {
		size_t metric = jtok_get(&p, text, series, "metric");
		size_t values = jtok_get(&p, text, series, "values");
		const char *labels;

		if (p.toks[series].type != JTOK_OBJECT || !metric ||
		    p.toks[metric].type != JTOK_OBJECT || !values ||
		    p.toks[values].type != JTOK_ARRAY ||
		    !(labels = fast_labels(&p, text, metric, page)) ||
		    !fast_points(&p, text, values, series_name, labels, service, &vp, page, &last))
			goto out;
	}
	if (last != TIME_NONE)
		page->cursor = xasprintf("%lld", (long long)last);
	ok = true;
out:
	jtok_release(&p);
	jtok_release(&vp);
	if (!ok) {
		/* Back to nothing read: the jansson path starts afresh. */
		source_page_release(page);
		source_page_init(page);
	}
	return ok;
}

/* The value of name=INTEGER in a form body, or false. */
static bool
form_int(const char *body, const char *name, int64_t *out)
{
	size_t len = strlen(name);
	const char *p = body;
	char *end;
	long long v;

	while (p && *p) {
		if (strncmp(p, name, len) == 0 && p[len] == '=') {
			v = strtoll(p + len + 1, &end, 10);
			if (end == p + len + 1 || (*end && *end != '&'))
				return false;
			*out = v;
			return true;
		}
		p = strchr(p, '&');
		p = p ? p + 1 : NULL;
	}
	return false;
}

/* The page after a query_range request whose window ends before now: the same
 * query over the next points. */
static void
next_range(const struct source_ctx *ctx, const struct source_request *req, struct source_page *page)
{
	const char *base = config_source_get(ctx->config, "url");
	const char *query = req->body ? strstr(req->body, "query=") : NULL;
	int64_t end, step, start;
	char *escaped;

	if (!base || !query || query != req->body || !form_int(req->body, "end", &end) ||
	    !form_int(req->body, "step", &step) || step <= 0 || end >= ctx->now)
		return;
	escaped = xstrndup(query + 6, strcspn(query + 6, "&"));
	start = end + step;
	page->next = range_request(ctx, req->stream, base, escaped, start,
				   page_end(start, ctx->now, step), step, NULL, NULL);
	free(escaped);
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
	if (strncmp(stream, METRIC_PREFIX, strlen(METRIC_PREFIX)) == 0 &&
	    source_check_response(TYPE, stream, resp) == SUCCESS &&
	    fast_matrix(ctx, stream, resp, page)) {
		next_range(ctx, req, page);
		return SUCCESS;
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
		if (code == SUCCESS)
			next_range(ctx, req, page);
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
