/* promql.c - just enough "PromQL" for the simulator: recognise which metric a query
 * asks for and for which services, then evaluate it over the scenario's series.
 *
 * This is deliberately not a parser. A query is understood by the metric name it
 * mentions (a sitrep:* recording rule, or one of the instrumentation names of the
 * usual recipes), one `service` matcher, whether it aggregates the services away
 * (sum(...) without `by (service)`), and a literal `* N` for per-second counters.
 * Brackets must balance and quotes must close, or the answer is Prometheus's parse
 * error; an unknown bare metric name gives an empty vector, as Prometheus does;
 * anything else unknown is a bad_data error, so a mistyped query in a test config
 * fails loudly instead of charting zeros. */
#include "sitrep/sitrep.h"
#include "sim.h"

#include <math.h>

/* The recording rules the simulator publishes in /rules, and the recipes of
 * docs (monitoring-ticketing.md 5.3) that map onto the same series. Order matters:
 * the first match wins, so the 5xx form of http_requests_total comes first. */
static const struct recogniser {
	const char *name;
	bool errors_only; /* the query must select 5xx codes */
	enum metric_kind metric;
	double per_second; /* 60: the series is per minute, the name per second */
} recognisers[] = {
	{ "sitrep:rpm", false, METRIC_RPM, 1 },
	{ "sitrep:errors_per_minute", false, METRIC_ERRORS, 1 },
	{ "sitrep:latency_avg_seconds", false, METRIC_LATENCY, 1 },
	{ "sitrep:latency_max_seconds", false, METRIC_LATENCY_MAX, 1 },
	{ "sitrep:latency_p99_seconds", false, METRIC_LATENCY_MAX, 1 },
	{ "sitrep:cpu_percent", false, METRIC_CPU, 1 },
	{ "sitrep:memory_percent", false, METRIC_MEMORY, 1 },
	{ "sitrep:availability", false, METRIC_AVAILABILITY, 1 },
	{ "sitrep:api_consumers", false, METRIC_CONSUMERS, 1 },
	{ "up", false, METRIC_UP, 1 },
	{ "http_requests_total", true, METRIC_ERRORS, 60 },
	{ "http_requests_total", false, METRIC_RPM, 60 },
	{ "http_request_duration_seconds_bucket", false, METRIC_LATENCY_MAX, 1 },
	{ "http_request_duration_seconds_sum", false, METRIC_LATENCY, 1 },
	{ "node_cpu_seconds_total", false, METRIC_CPU, 1 },
	{ "process_cpu_seconds_total", false, METRIC_CPU, 1 },
	{ "node_memory_MemAvailable_bytes", false, METRIC_MEMORY, 1 },
	{ "process_resident_memory_bytes", false, METRIC_MEMORY, 1 },
};

static const char *const recording_names[METRIC_COUNT] = {
	[METRIC_RPM] = "sitrep:rpm",
	[METRIC_ERRORS] = "sitrep:errors_per_minute",
	[METRIC_LATENCY] = "sitrep:latency_avg_seconds",
	[METRIC_LATENCY_MAX] = "sitrep:latency_max_seconds",
	[METRIC_CPU] = "sitrep:cpu_percent",
	[METRIC_MEMORY] = "sitrep:memory_percent",
	[METRIC_UP] = "up",
	[METRIC_AVAILABILITY] = "sitrep:availability",
	[METRIC_CONSUMERS] = "sitrep:api_consumers",
};

const char *
promql_metric_name(enum metric_kind m)
{
	return recording_names[m];
}

static bool
ident_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

/* Calls fn for every identifier outside string literals; stops when it returns
 * true and returns where that identifier starts. */
static const char *
find_ident(const char *q, bool (*fn)(const char *s, size_t len, const void *arg), const void *arg)
{
	const char *p = q;

	while (*p) {
		if (*p == '"' || *p == '\'' || *p == '`') {
			char quote = *p++;

			while (*p && *p != quote)
				p += (*p == '\\' && p[1]) ? 2 : 1;
			if (*p)
				p++;
		} else if (ident_char(*p, true) && (p == q || !ident_char(p[-1], false))) {
			const char *start = p;

			while (ident_char(*p, false))
				p++;
			if (fn(start, (size_t)(p - start), arg))
				return start;
		} else {
			p++;
		}
	}
	return NULL;
}

static bool
ident_is(const char *s, size_t len, const void *arg)
{
	const char *word = arg;

	return strlen(word) == len && strncmp(s, word, len) == 0;
}

static bool
ident_is_aggregator(const char *s, size_t len, const void *arg)
{
	static const char *const ops[] = { "sum", "avg", "max", "min", "count", "topk" };
	const char *after = s + len;

	(void)arg;
	while (*after == ' ')
		after++;
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (ident_is(s, len, ops[i]))
			return *after == '(' || strncmp(after, "by", 2) == 0 ||
			       strncmp(after, "without", 7) == 0;
	return false;
}

/* Brackets balance and quotes close: the one syntax check, with Prometheus's
 * wording for the common mistakes. */
static bool
check_syntax(const char *q, char *err, size_t err_size)
{
	char stack[64];
	size_t depth = 0;

	for (const char *p = q; *p; p++) {
		int col = (int)(p - q) + 1;

		if (*p == '"' || *p == '\'' || *p == '`') {
			char quote = *p;

			for (p++; *p && *p != quote; p += (*p == '\\' && p[1]) ? 2 : 1)
				;
			if (!*p) {
				snprintf(err, err_size,
					 "1:%d: parse error: unterminated quoted string", col);
				return false;
			}
		} else if (*p == '(' || *p == '{' || *p == '[') {
			if (depth == sizeof(stack)) {
				snprintf(err, err_size, "1:%d: parse error: nesting too deep", col);
				return false;
			}
			stack[depth++] = *p == '(' ? ')' : *p == '{' ? '}' : ']';
		} else if (*p == ')' || *p == '}' || *p == ']') {
			if (depth == 0 || stack[--depth] != *p) {
				snprintf(err, err_size, "1:%d: parse error: unexpected \"%c\"", col,
					 *p);
				return false;
			}
		}
	}
	if (depth > 0) {
		snprintf(err, err_size, "1:%d: parse error: unclosed left %s", (int)strlen(q) + 1,
			 stack[depth - 1] == ')'   ? "parenthesis"
			 : stack[depth - 1] == '}' ? "brace"
						   : "bracket");
		return false;
	}
	return true;
}

static bool
selects_5xx(const char *q)
{
	return strstr(q, "5..") || strstr(q, "5xx") || strstr(q, "=~\"5") || strstr(q, "=\"5");
}

/* The literal N of "... * N" or "N * ...", or 1. */
static double
literal_factor(const char *q)
{
	for (const char *p = strchr(q, '*'); p; p = strchr(p + 1, '*')) {
		const char *a = p + 1;
		char *end;
		double v;

		while (*a == ' ')
			a++;
		v = strtod(a, &end);
		if (end != a && isfinite(v))
			return v;
		for (a = p; a > q && a[-1] == ' '; a--)
			;
		while (a > q && ((a[-1] >= '0' && a[-1] <= '9') || a[-1] == '.'))
			a--;
		v = strtod(a, &end);
		if (end != a && end <= p && isfinite(v))
			return v;
	}
	return 1.0;
}

/* "service" followed by a matcher operator, not the one of "by (service)". */
static bool
ident_is_service_matcher(const char *s, size_t len, const void *arg)
{
	const char *after = s + len;

	(void)arg;
	while (*after == ' ')
		after++;
	return ident_is(s, len, "service") && (*after == '=' || *after == '!');
}

static bool
parse_service_matcher(struct promql *q, const char *text, char *err, size_t err_size)
{
	const char *s = find_ident(text, ident_is_service_matcher, NULL), *end;

	if (!s)
		return true;
	end = s + strlen("service");
	while (*end && *end != '"' && *end != '\'' && *end != ',' && *end != '}')
		end++;
	if (*end == '"' || *end == '\'') {
		char quote = *end++;

		while (*end && *end != quote)
			end += (*end == '\\' && end[1]) ? 2 : 1;
		if (*end)
			end++;
	}
	if (!matcher_parse(&q->service, s, (size_t)(end - s), err, err_size))
		return false;
	q->has_matcher = true;
	return true;
}

/* "name" or "name{...}" and nothing else. */
static size_t
bare_selector(const char *q)
{
	size_t n = 0;

	while (ident_char(q[n], n == 0))
		n++;
	if (n == 0)
		return 0;
	if (q[n] == '{') {
		const char *close = strrchr(q, '}');

		if (!close || close[1] != '\0')
			return 0;
		return n;
	}
	return q[n] == '\0' ? n : 0;
}

bool
promql_parse(struct promql *q, const char *text, char *err, size_t err_size)
{
	char *trimmed;
	size_t len, bare;
	const struct recogniser *r = NULL;
	char *end;

	memset(q, 0, sizeof(*q));
	q->factor = 1.0;
	text += strspn(text ? text : "", " \t\n");
	len = strlen(text);
	while (len > 0 && strchr(" \t\n", text[len - 1]))
		len--;
	if (len == 0) {
		snprintf(err, err_size, "1:1: parse error: no expression found in input");
		return false;
	}
	trimmed = xstrndup(text, len);
	if (!check_syntax(trimmed, err, err_size))
		goto fail;
	q->scalar_value = strtod(trimmed, &end);
	if (*end == '\0' && end != trimmed) {
		q->scalar = true;
		free(trimmed);
		return true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(recognisers) && !r; i++)
		if (find_ident(trimmed, ident_is, recognisers[i].name) &&
		    (!recognisers[i].errors_only || selects_5xx(trimmed)))
			r = &recognisers[i];
	bare = bare_selector(trimmed);
	if (!r && !bare) {
		snprintf(err, err_size,
			 "sitrep-sim does not understand this query; it knows the sitrep:* "
			 "recording rules, up, http_requests_total, "
			 "http_request_duration_seconds_{sum,bucket} and the CPU and memory "
			 "recipes");
		goto fail;
	}
	if (!parse_service_matcher(q, trimmed, err, err_size))
		goto fail;
	q->known = r != NULL;
	if (r) {
		q->metric = r->metric;
		q->factor = r->per_second > 1 ? literal_factor(trimmed) / r->per_second : 1.0;
	}
	if (bare)
		q->bare_name = xstrndup(trimmed, bare);
	q->raw_labels = bare && strncmp(trimmed, "sitrep:", 7) != 0;
	q->collapse = find_ident(trimmed, ident_is_aggregator, NULL) && !strstr(trimmed, "by (") &&
		      !strstr(trimmed, "by(");
	if (q->collapse) {
		const char *agg = find_ident(trimmed, ident_is_aggregator, NULL);

		q->agg = strncmp(agg, "avg", 3) == 0   ? PROMQL_AVG
			 : strncmp(agg, "max", 3) == 0 ? PROMQL_MAX
			 : strncmp(agg, "min", 3) == 0 ? PROMQL_MIN
						       : PROMQL_SUM;
		/* sum(a)/sum(b) recipes of ratios and gauges average the services. */
		if (q->agg == PROMQL_SUM && q->metric != METRIC_RPM && q->metric != METRIC_ERRORS &&
		    q->metric != METRIC_CONSUMERS)
			q->agg = PROMQL_AVG;
	}
	free(trimmed);
	return true;
fail:
	free(trimmed);
	promql_release(q);
	return false;
}

void
promql_release(struct promql *q)
{
	if (q->has_matcher)
		matcher_release(&q->service);
	free(q->bare_name);
	memset(q, 0, sizeof(*q));
}

static bool
selects(const struct promql *q, const struct world *w, size_t s)
{
	return !q->has_matcher || matcher_matches(&q->service, w->services[s].name);
}

/* The labels Prometheus would keep: a bare selector keeps __name__ (and a raw
 * metric its instance and job); any function or aggregation drops the name; an
 * aggregation without "by (service)" drops everything. */
static json_t *
labels_json(const struct promql *q, const struct world *w, size_t s)
{
	json_t *labels = json_object();
	const char *name = w->services[s].name;

	if (q->collapse)
		return labels;
	if (q->bare_name)
		json_object_set_new(labels, "__name__", json_string(q->bare_name));
	if (q->raw_labels) {
		char *instance = xasprintf("%s:8080", name);

		json_object_set_new(labels, "instance", json_string(instance));
		json_object_set_new(labels, "job", json_string(name));
		free(instance);
	}
	json_object_set_new(labels, "service", json_string(name));
	return labels;
}

static double
value_at(const struct promql *q, const struct world *w, size_t s, int64_t t_ms)
{
	return series_value(w, s, q->metric, (double)t_ms / 1000.0) * q->factor;
}

/* One value per selected service, or one for all of them when collapsed; false
 * when nothing is selected. */
static bool
collapsed_value(const struct promql *q, const struct world *w, int64_t t_ms, double *out)
{
	double acc = 0.0;
	size_t n = 0;

	for (size_t s = 0; s < w->n_services; s++) {
		double v;

		if (!selects(q, w, s))
			continue;
		v = value_at(q, w, s, t_ms);
		if (n == 0 || q->agg == PROMQL_SUM || q->agg == PROMQL_AVG)
			acc = n == 0 ? v : acc + v;
		else
			acc = q->agg == PROMQL_MAX ? fmax(acc, v) : fmin(acc, v);
		n++;
	}
	if (n == 0)
		return false;
	*out = q->agg == PROMQL_AVG ? acc / (double)n : acc;
	return true;
}

static json_t *
sample(int64_t t_ms, double v)
{
	char text[64];
	json_t *pair = json_array();

	wire_float_f(v, text, sizeof(text));
	json_array_append_new(pair, wire_unix_time(t_ms));
	json_array_append_new(pair, json_string(text));
	return pair;
}

static json_t *
series(json_t *labels, const char *key, json_t *data)
{
	json_t *o = json_object();

	json_object_set_new(o, "metric", labels);
	json_object_set_new(o, key, data);
	return o;
}

json_t *
promql_vector(const struct promql *q, const struct world *w, int64_t eval_ms, int64_t stamp_ms)
{
	json_t *result = json_array();
	double v;

	if (!q->known)
		return result;
	if (q->collapse) {
		if (collapsed_value(q, w, eval_ms, &v))
			json_array_append_new(result,
					      series(json_object(), "value", sample(stamp_ms, v)));
		return result;
	}
	for (size_t s = 0; s < w->n_services; s++)
		if (selects(q, w, s))
			json_array_append_new(result,
					      series(labels_json(q, w, s), "value",
						     sample(stamp_ms, value_at(q, w, s, eval_ms))));
	return result;
}

json_t *
promql_matrix(const struct promql *q, const struct world *w, int64_t start, int64_t end,
	      int64_t step, int64_t last)
{
	json_t *result = json_array();

	if (q->scalar || q->collapse) {
		json_t *values = json_array();
		double v;

		for (int64_t t = start; t <= end && t <= last; t += step) {
			if (q->scalar)
				json_array_append_new(values, sample(t, q->scalar_value));
			else if (q->known && collapsed_value(q, w, t, &v))
				json_array_append_new(values, sample(t, v));
		}
		if (json_array_size(values) > 0)
			json_array_append_new(result, series(json_object(), "values", values));
		else
			json_decref(values);
		return result;
	}
	for (size_t s = 0; q->known && s < w->n_services; s++) {
		json_t *values;

		if (!selects(q, w, s) || start > last)
			continue;
		values = json_array();
		for (int64_t t = start; t <= end && t <= last; t += step)
			json_array_append_new(values, sample(t, value_at(q, w, s, t)));
		json_array_append_new(result, series(labels_json(q, w, s), "values", values));
	}
	return result;
}
