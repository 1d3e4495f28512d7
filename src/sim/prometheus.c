/* prometheus.c - the Prometheus HTTP API dialect (/api/v1/..., as 2.42 answers it):
 * instant and range queries over the scenario's series, the alerts and rules of
 * the scenario's incidents at the simulated now, targets and build info.
 *
 * Shapes follow the live captures in fixtures/live/prometheus-*.json: the
 * {"status","data"} envelope, sample values as strings, output times as unix
 * seconds, activeAt and lastEvaluation in RFC 3339 with nanoseconds in the server's
 * zone (+02:00 here, to make clients normalise), Go's HTML-safe escaping. Rule
 * evaluation is quantised to a 15 s interval so that answers (and the /rules ETag)
 * hold still between evaluations. Runs under sim->lock. */
#include "sitrep/sitrep.h"
#include "sim.h"

#define EVAL_MS 15000
#define LOOKBACK_MS 300000
#define ZONE_MINUTES 120
#define MAX_POINTS 11000

static void
envelope(struct sim_response *resp, json_t *data)
{
	json_t *o = json_object();

	json_object_set_new(o, "status", json_string("success"));
	json_object_set_new(o, "data", data);
	response_json(resp, 200, o);
	resp->go_escape = true;
}

static void
prom_error(struct sim_response *resp, unsigned int status, const char *type, const char *message)
{
	json_t *o = json_object();

	json_object_set_new(o, "status", json_string("error"));
	json_object_set_new(o, "errorType", json_string(type));
	json_object_set_new(o, "error", json_string(message));
	response_json(resp, status, o);
	resp->go_escape = true;
}

static void
bad_param(struct sim_response *resp, const char *param, const char *what, const char *text)
{
	char msg[600];

	if (what)
		snprintf(msg, sizeof(msg),
			 "invalid parameter \"%s\": cannot parse \"%.200s\" to a valid %s", param,
			 text ? text : "", what);
	else
		snprintf(msg, sizeof(msg), "invalid parameter \"%s\": %s", param, text);
	prom_error(resp, 400, "bad_data", msg);
}

void
prometheus_fault_body(struct sim_response *resp, unsigned int status)
{
	static const struct {
		unsigned int status;
		const char *type;
	} types[] = {
		{ 400, "bad_data" },  { 404, "not_found" }, { 406, "not_acceptable" },
		{ 422, "execution" }, { 499, "canceled" },  { 503, "timeout" },
	};
	const char *type = "internal";

	/* A proxy in front answers these, without Prometheus's envelope. */
	if (status == 502 || status == 504 || status < 400) {
		response_gateway(resp, status);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (types[i].status == status)
			type = types[i].type;
	prom_error(resp, status, type, "sitrep-sim: injected fault");
}

/* Seconds and nanoseconds of an instant in ms plus a sub-millisecond phase. */
static void
format_nano(int64_t ms, uint32_t extra_ns, char *buf, size_t size)
{
	int64_t sec = floor_div(ms, 1000);

	wire_time_nano(sec, (uint32_t)(ms - sec * 1000) * 1000000u + extra_ns % 1000000u,
		       ZONE_MINUTES, buf, size);
}

/* The latest evaluation of a rule group at or before now: evaluations happen every
 * EVAL_MS at a phase of the group's own. */
static int64_t
last_evaluation(const struct sim *sim, const char *group, int64_t now)
{
	int64_t phase = (int64_t)(sim_hash(sim->world.seed, group, 1) % EVAL_MS);

	return floor_div(now - phase, EVAL_MS) * EVAL_MS + phase;
}

static json_t *
evaluation_time(const struct sim *sim, const char *name)
{
	return json_real((double)(200000 + sim_hash(sim->world.seed, name, 2) % 800000) / 1e9);
}

/* An instant query at `time` (default: the simulated now). As Prometheus, a
 * sample is found up to the 5 minute lookback after the last one, and the answer is
 * stamped with the query time, not the sample's. */
static void
query(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	int64_t now = sim_clock_now(&sim->clock), t = now;
	const char *time_text = params_get(&req->params, "time");
	json_t *data, *result;
	struct promql q;
	char err[400];

	if (time_text && !wire_parse_time(time_text, &t)) {
		bad_param(resp, "time", "timestamp", time_text);
		return;
	}
	if (!promql_parse(&q, params_get(&req->params, "query"), err, sizeof(err))) {
		bad_param(resp, "query", NULL, err);
		return;
	}
	if (q.scalar) {
		result = json_array();
		wire_float_f(q.scalar_value, err, sizeof(err));
		json_array_append_new(result, wire_unix_time(t));
		json_array_append_new(result, json_string(err));
	} else if (t > now + LOOKBACK_MS) {
		/* The future has no samples, except within the lookback of the last. */
		result = json_array();
	} else {
		result = promql_vector(&q, &sim->world, t > now ? now : t, t);
	}
	data = json_object();
	json_object_set_new(data, "resultType", json_string(q.scalar ? "scalar" : "vector"));
	json_object_set_new(data, "result", result);
	envelope(resp, data);
	promql_release(&q);
}

static void
query_range(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	const char *start_text = params_get(&req->params, "start");
	const char *end_text = params_get(&req->params, "end");
	const char *step_text = params_get(&req->params, "step");
	int64_t start, end, step;
	json_t *data;
	struct promql q;
	char err[400];

	if (!wire_parse_time(start_text, &start)) {
		bad_param(resp, "start", "timestamp", start_text);
		return;
	}
	if (!wire_parse_time(end_text, &end)) {
		bad_param(resp, "end", "timestamp", end_text);
		return;
	}
	if (end < start) {
		bad_param(resp, "end", NULL, "end timestamp must not be before start time");
		return;
	}
	if (!wire_parse_duration(step_text, &step)) {
		bad_param(resp, "step", "duration", step_text);
		return;
	}
	if (step <= 0) {
		bad_param(resp, "step", NULL,
			  "zero or negative query resolution step widths are not accepted. "
			  "Try a positive integer");
		return;
	}
	/* The same integer division as Prometheus's api.go. */
	if ((end - start) / step > MAX_POINTS) {
		prom_error(resp, 400, "bad_data",
			   "exceeded maximum resolution of 11,000 points per timeseries. Try "
			   "decreasing the query resolution (?step=XX)");
		return;
	}
	if (!promql_parse(&q, params_get(&req->params, "query"), err, sizeof(err))) {
		bad_param(resp, "query", NULL, err);
		return;
	}
	data = json_object();
	json_object_set_new(data, "resultType", json_string("matrix"));
	json_object_set_new(
		data, "result",
		promql_matrix(&q, &sim->world, start, end, step, sim_clock_now(&sim->clock)));
	envelope(resp, data);
	promql_release(&q);
}

/* What the rule's expression (incident_expr) evaluates to: the 5xx share for an
 * error-rate alert, the symptom's own metric otherwise. */
static double
alert_value(const struct world *w, const struct incident *in, double t)
{
	double rpm;

	if (in->symptom != SYMPTOM_ERRORS)
		return series_value(w, in->service, symptom_metric(in->symptom), t);
	rpm = series_value(w, in->service, METRIC_RPM, t);
	return rpm > 0 ? series_value(w, in->service, METRIC_ERRORS, t) / rpm : 0.0;
}

/* One entry of /alerts, and of a rule's "alerts". */
static json_t *
alert_json(const struct sim *sim, const struct incident *in, enum alert_state st, int64_t now)
{
	json_t *o = json_object();
	char text[WIRE_TIME_SIZE];
	int64_t eval = last_evaluation(sim, sim->world.services[in->service].name, now);

	json_object_set_new(o, "labels", incident_labels(&sim->world, in));
	json_object_set_new(o, "annotations", incident_annotations(in));
	json_object_set_new(o, "state", json_string(st == ALERT_FIRING ? "firing" : "pending"));
	wire_time_nano(in->impact, in->phase_ns, ZONE_MINUTES, text, sizeof(text));
	json_object_set_new(o, "activeAt", json_string(text));
	wire_float_e(alert_value(&sim->world, in, (double)eval / 1000.0), text, sizeof(text));
	json_object_set_new(o, "value", json_string(text));
	return o;
}

static void
alerts(struct sim *sim, struct sim_response *resp)
{
	int64_t now = sim_clock_now(&sim->clock);
	json_t *list = json_array(), *data = json_object();

	for (size_t i = 0; i < sim->world.n_incidents; i++) {
		const struct incident *in = &sim->world.incidents[i];
		enum alert_state st = incident_state(in, now);

		if (st != ALERT_INACTIVE)
			json_array_append_new(list, alert_json(sim, in, st, now));
	}
	json_object_set_new(data, "alerts", list);
	envelope(resp, data);
}

static const char *
recording_query(enum metric_kind m)
{
	switch (m) {
	case METRIC_RPM:
		return "sum by (service) (rate(http_requests_total[5m])) * 60";
	case METRIC_ERRORS:
		return "sum by (service) (rate(http_requests_total{code=~\"5..\"}[5m])) * 60";
	case METRIC_LATENCY:
		return "sum by (service) (rate(http_request_duration_seconds_sum[5m])) / sum by "
		       "(service) (rate(http_request_duration_seconds_count[5m]))";
	case METRIC_LATENCY_MAX:
		return "histogram_quantile(0.99, sum by (le, service) "
		       "(rate(http_request_duration_seconds_bucket[5m])))";
	case METRIC_CPU:
		return "100 * sum by (service) (rate(container_cpu_usage_seconds_total[5m])) / sum "
		       "by (service) (kube_pod_container_resource_limits{resource=\"cpu\"})";
	case METRIC_MEMORY:
		return "100 * sum by (service) (container_memory_working_set_bytes) / sum by "
		       "(service) (kube_pod_container_resource_limits{resource=\"memory\"})";
	case METRIC_AVAILABILITY:
		return "1 - sitrep:errors_per_minute / sitrep:rpm";
	case METRIC_CONSUMERS:
		return "count by (service) (count by (service, consumer) "
		       "(increase(http_requests_total[1h]) > 0))";
	default:
		return NULL;
	}
}

static json_t *
group_json(const struct sim *sim, const char *name, const char *file, json_t *rules, int64_t now)
{
	json_t *g = json_object();
	char text[WIRE_TIME_SIZE];

	json_object_set_new(g, "name", json_string(name));
	json_object_set_new(g, "file", json_string(file));
	json_object_set_new(g, "rules", rules);
	json_object_set_new(g, "interval", json_integer(EVAL_MS / 1000));
	json_object_set_new(g, "limit", json_integer(0));
	json_object_set_new(g, "evaluationTime", evaluation_time(sim, name));
	format_nano(last_evaluation(sim, name, now), (uint32_t)sim_hash(sim->world.seed, name, 3),
		    text, sizeof(text));
	json_object_set_new(g, "lastEvaluation", json_string(text));
	return g;
}

static void
rule_tail(const struct sim *sim, json_t *rule, const char *group, const char *name, int64_t now,
	  const char *type)
{
	char text[WIRE_TIME_SIZE];

	json_object_set_new(rule, "health", json_string("ok"));
	json_object_set_new(rule, "evaluationTime", evaluation_time(sim, name));
	format_nano(last_evaluation(sim, group, now), (uint32_t)sim_hash(sim->world.seed, name, 3),
		    text, sizeof(text));
	json_object_set_new(rule, "lastEvaluation", json_string(text));
	json_object_set_new(rule, "type", json_string(type));
}

/* The recording rules behind the sitrep:* names promql.c answers, with the
 * queries a real deployment would record them with. */
static json_t *
recording_group(const struct sim *sim, int64_t now)
{
	static const char name[] = "sitrep.recording";
	json_t *rules = json_array();

	for (int m = 0; m < METRIC_COUNT; m++) {
		json_t *rule;

		if (!recording_query((enum metric_kind)m))
			continue;
		rule = json_object();
		json_object_set_new(rule, "name",
				    json_string(promql_metric_name((enum metric_kind)m)));
		json_object_set_new(rule, "query",
				    json_string(recording_query((enum metric_kind)m)));
		rule_tail(sim, rule, name, promql_metric_name((enum metric_kind)m), now,
			  "recording");
		json_array_append_new(rules, rule);
	}
	return group_json(sim, name, "/etc/prometheus/rules/recording.yml", rules, now);
}

/* One alerting rule per alert name: its incidents are the times it fired. The rule
 * shows the latest incident that has started (or the first, before any has). */
static json_t *
alerting_rule(const struct sim *sim, size_t first, const char *group, int64_t now,
	      bool exclude_alerts)
{
	const struct world *w = &sim->world;
	const struct incident *rep = &w->incidents[first];
	enum alert_state state = ALERT_INACTIVE;
	json_t *rule = json_object(), *list = json_array(), *labels = json_object();
	char *q;

	for (size_t i = first; i < w->n_incidents; i++) {
		const struct incident *in = &w->incidents[i];
		enum alert_state st;

		if (!streq(in->alertname, rep->alertname) ||
		    in->service != w->incidents[first].service)
			continue;
		if (in->impact * 1000 <= now)
			rep = in;
		st = incident_state(in, now);
		if (st > state)
			state = st;
		if (st != ALERT_INACTIVE)
			json_array_append_new(list, alert_json(sim, in, st, now));
	}
	json_object_set_new(rule, "state",
			    json_string(state == ALERT_FIRING	 ? "firing"
					: state == ALERT_PENDING ? "pending"
								 : "inactive"));
	json_object_set_new(rule, "name", json_string(rep->alertname));
	q = incident_expr(w, rep);
	json_object_set_new(rule, "query", json_string(q));
	free(q);
	json_object_set_new(rule, "duration", json_integer(rep->fire - rep->impact));
	json_object_set_new(rule, "keepFiringFor", json_integer(0));
	json_object_set_new(labels, "severity", json_string(severity_name(rep->severity)));
	json_object_set_new(rule, "labels", labels);
	json_object_set_new(rule, "annotations", incident_annotations(rep));
	if (exclude_alerts)
		json_decref(list);
	else
		json_object_set_new(rule, "alerts", list);
	rule_tail(sim, rule, group, rep->alertname, now, "alerting");
	return rule;
}

static json_t *
service_group(const struct sim *sim, size_t s, int64_t now, bool exclude_alerts)
{
	const struct world *w = &sim->world;
	char *name = xasprintf("%s.alerts", w->services[s].name);
	char *file = xasprintf("/etc/prometheus/rules/%s.yml", w->services[s].name);
	json_t *rules = json_array(), *g;

	for (size_t i = 0; i < w->n_incidents; i++) {
		bool seen = false;

		if (w->incidents[i].service != s)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = w->incidents[j].service == s &&
			       streq(w->incidents[j].alertname, w->incidents[i].alertname);
		if (!seen)
			json_array_append_new(rules,
					      alerting_rule(sim, i, name, now, exclude_alerts));
	}
	g = group_json(sim, name, file, rules, now);
	free(name);
	free(file);
	return g;
}

static char *
group_token(const json_t *group)
{
	const char *file = json_string_value(json_object_get(group, "file"));
	const char *name = json_string_value(json_object_get(group, "name"));
	uint64_t h = fnv64_add(FNV64_OFFSET, file, strlen(file));

	h = fnv64_add(h, ";", 1);
	h = fnv64_add(h, name, strlen(name));
	return xasprintf("%016llx", (unsigned long long)h);
}

/* group_limit and group_next_token page over groups, as Prometheus 2.52+ does.
 * The stuck_cursor fault hands back the token it was given: a client that follows
 * tokens without noticing the repeat loops forever. */
static bool
paginate(const struct sim_request *req, json_t *data, json_t *groups, struct sim_response *resp)
{
	const char *limit_text = params_get(&req->params, "group_limit");
	const char *token = params_get(&req->params, "group_next_token");
	size_t start = 0, limit, n = json_array_size(groups);
	json_t *page;
	char *end;

	if (!limit_text) {
		json_object_set_new(data, "groups", json_incref(groups));
		return true;
	}
	limit = strtoul(limit_text, &end, 10);
	if (*limit_text == '\0' || *end != '\0' || limit == 0 || limit > 1000000) {
		bad_param(resp, "group_limit", NULL, "group_limit needs to be greater than 0");
		return false;
	}
	if (token) {
		for (start = 0; start < n; start++) {
			char *t = group_token(json_array_get(groups, start));
			bool match = streq(t, token);

			free(t);
			if (match)
				break;
		}
		if (start == n) {
			bad_param(resp, "group_next_token", NULL,
				  "the group_next_token does not match any rule group");
			return false;
		}
	}
	page = json_array();
	for (size_t i = start; i < n && i < start + limit; i++)
		json_array_append(page, json_array_get(groups, i));
	json_object_set_new(data, "groups", page);
	if (token && req->stuck_cursor) {
		json_object_set_new(data, "groupNextToken", json_string(token));
	} else if (start + limit < n) {
		char *next = group_token(json_array_get(groups, start + limit));

		json_object_set_new(data, "groupNextToken", json_string(next));
		free(next);
	}
	return true;
}

static bool
keep_rule(const json_t *rule, const char *type)
{
	const char *t = json_string_value(json_object_get(rule, "type"));

	return !type || (streq(type, "alert") && streq(t, "alerting")) ||
	       (streq(type, "record") && streq(t, "recording"));
}

static void
rules(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	int64_t now = sim_clock_now(&sim->clock);
	const char *type = params_get(&req->params, "type");
	bool ok = true, exclude = params_bool(&req->params, "exclude_alerts", false, &ok);
	json_t *all = json_array(), *groups = json_array(), *data = json_object(), *g;
	size_t i;

	if (type && !streq(type, "alert") && !streq(type, "record")) {
		bad_param(resp, "type", NULL, "not supported value, expected alert or record");
		goto out;
	}
	if (!ok) {
		bad_param(resp, "exclude_alerts", NULL, "not a boolean");
		goto out;
	}
	json_array_append_new(all, recording_group(sim, now));
	for (size_t s = 0; s < sim->world.n_services; s++)
		json_array_append_new(all, service_group(sim, s, now, exclude));
	json_array_foreach(all, i, g)
	{
		json_t *kept = json_array(), *rule;
		size_t j;

		json_array_foreach(json_object_get(g, "rules"), j, rule)
		{
			if (keep_rule(rule, type))
				json_array_append(kept, rule);
		}
		json_object_set_new(g, "rules", kept);
		if (json_array_size(kept) > 0)
			json_array_append(groups, g);
	}
	if (paginate(req, data, groups, resp)) {
		envelope(resp, data);
		data = NULL;
		resp->etag = true;
	}
out:
	json_decref(data);
	json_decref(groups);
	json_decref(all);
}

/* One scrape target per service, down while an outage incident holds: the same
 * truth the up series tells. */
static void
targets(struct sim *sim, struct sim_response *resp)
{
	int64_t now = sim_clock_now(&sim->clock);
	json_t *active = json_array(), *data = json_object();

	for (size_t s = 0; s < sim->world.n_services; s++) {
		const char *name = sim->world.services[s].name;
		bool up = series_value(&sim->world, s, METRIC_UP, (double)now / 1000.0) > 0.5;
		json_t *t = json_object(), *labels = json_object();
		char *addr = xasprintf("%s:8080", name),
		     *url = xasprintf("http://%s/metrics", addr);
		char text[WIRE_TIME_SIZE];

		json_object_set_new(labels, "instance", json_string(addr));
		json_object_set_new(labels, "job", json_string(name));
		json_object_set_new(labels, "service", json_string(name));
		json_object_set_new(t, "discoveredLabels", json_deep_copy(labels));
		json_object_set_new(t, "labels", labels);
		json_object_set_new(t, "scrapePool", json_string(name));
		json_object_set_new(t, "scrapeUrl", json_string(url));
		json_object_set_new(t, "globalUrl", json_string(url));
		if (up) {
			json_object_set_new(t, "lastError", json_string(""));
		} else {
			char *err = xasprintf("Get \"%s\": dial tcp: connection refused", url);

			json_object_set_new(t, "lastError", json_string(err));
			free(err);
		}
		format_nano(last_evaluation(sim, name, now), 0, text, sizeof(text));
		json_object_set_new(t, "lastScrape", json_string(text));
		json_object_set_new(t, "lastScrapeDuration", evaluation_time(sim, url));
		json_object_set_new(t, "health", json_string(up ? "up" : "down"));
		json_object_set_new(t, "scrapeInterval", json_string("15s"));
		json_object_set_new(t, "scrapeTimeout", json_string("10s"));
		json_array_append_new(active, t);
		free(addr);
		free(url);
	}
	json_object_set_new(data, "activeTargets", active);
	json_object_set_new(data, "droppedTargets", json_array());
	envelope(resp, data);
}

static void
buildinfo(struct sim_response *resp)
{
	json_t *data = json_object();

	json_object_set_new(data, "version", json_string("2.42.0"));
	json_object_set_new(data, "revision", json_string("sitrep-sim"));
	json_object_set_new(data, "branch", json_string("HEAD"));
	json_object_set_new(data, "buildUser", json_string("sitrep-sim"));
	json_object_set_new(data, "buildDate", json_string("20250303-08:00:00"));
	json_object_set_new(data, "goVersion", json_string("go1.19.8"));
	envelope(resp, data);
}

static bool
known_route(const char *r)
{
	static const char *const routes[] = { "/api/v1/query",	 "/api/v1/query_range",
					      "/api/v1/alerts",	 "/api/v1/rules",
					      "/api/v1/targets", "/api/v1/status/buildinfo" };

	for (size_t i = 0; i < ARRAY_SIZE(routes); i++)
		if (streq(r, routes[i]))
			return true;
	return false;
}

void
prometheus_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp)
{
	const char *r = req->route;
	bool get = streq(req->method, "GET") || streq(req->method, "HEAD");
	bool post = streq(req->method, "POST");

	if (streq(r, "/api/v1/query") && (get || post))
		query(sim, req, resp);
	else if (streq(r, "/api/v1/query_range") && (get || post))
		query_range(sim, req, resp);
	else if (streq(r, "/api/v1/alerts") && get)
		alerts(sim, resp);
	else if (streq(r, "/api/v1/rules") && get)
		rules(sim, req, resp);
	else if (streq(r, "/api/v1/targets") && get)
		targets(sim, resp);
	else if (streq(r, "/api/v1/status/buildinfo") && get)
		buildinfo(resp);
	else if ((streq(r, "/-/ready") || streq(r, "/-/healthy")) && get)
		response_text(resp, 200, "Prometheus Server is Ready.\n");
	else if (known_route(r))
		response_text(resp, 405, "Method Not Allowed\n");
	else
		response_text(resp, 404, "404 page not found\n");
}
