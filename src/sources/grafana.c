/* grafana.c - Grafana as a source: the alert instances of its alerting as incidents,
 * its annotations as events on their timelines, and each [metric] whose source is
 * this one as a series read through /api/ds/query.
 *
 * Streams, in the order a round runs them (a later stream reads the cursors the
 * earlier ones have just committed):
 *   rules        GET /api/ruler/grafana/api/v1/rules. No records: the cursor keeps
 *                each Grafana-managed rule's uid, numeric id and pending period
 *                ("for") for the two streams below.
 *   alerts       GET /api/alertmanager/grafana/api/v2/alerts, Grafana's embedded
 *                Alertmanager, read alike (source_am_alert). It never lists a
 *                resolved instance, so a page is a snapshot: the engine resolves at
 *                the poll the incidents no longer listed; a listed instance whose
 *                endsAt has passed (clocks apart) is resolved at endsAt. Detected at
 *                startsAt; impact starts at startsAt minus the rule's pending period
 *                when the rules stream knows it, else it is unknown (metrics SPEC 2).
 *                Silences and inhibitions are events. The cursor keeps the muted
 *                pairs and, for a week, each incident's rule, dashboard panel and
 *                span: how annotations find their incident.
 *   annotations  GET /api/annotations?from&to&limit (epoch ms), newest first. One
 *                tied to an incident's rule (alertId, the rule's numeric id) or to
 *                its rule's dashboard panel, within the incident's span, becomes an
 *                event: "state" for an alert state change, else "annotation" (and
 *                "annotation-end" at a region's end), the annotation id its event
 *                id. Pages narrow `to`; the cursor, the newest time seen (ms),
 *                moves at the last page of a round (carried in the next page's URL
 *                fragment, which is never sent), and each round re-reads a few
 *                minutes before it for annotations written late.
 *   metric:NAME  POST /api/ds/query of `query = DATASOURCE-UID: EXPRESSION` over
 *                source_metric_window; each numeric field of the data frames is a
 *                series, labelled by the field's labels; nulls are skipped. The
 *                cursor is the newest sample's second.
 *
 * An annotation of a rule with several instances firing at once goes to each of
 * them: it names the rule, not the instance.
 *
 * It must not do I/O or change untrusted text in records (the display sanitizes);
 * error messages, which quote the server, are sanitized. The token is only ever
 * put in a request header. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <math.h>

#include "sitrep/config.h"
#include "sitrep/json.h"
#include "sitrep/timestamp.h"

#define TYPE "grafana"
#define METRIC_PREFIX "metric:"
#define REF_ID "A"

#define RULES_PATH "/api/ruler/grafana/api/v1/rules"
#define ALERTS_PATH "/api/alertmanager/grafana/api/v2/alerts?silenced=true&inhibited=true"
#define DS_QUERY_PATH "/api/ds/query"
/* Points a series a metric query asks for at most: the newest matter more. */
#define GRAFANA_MAX_POINTS 11000

/* The label and annotations Grafana puts on an alert of one of its rules. */
#define RULE_UID_LABEL "__alert_rule_uid__"
#define DASHBOARD_ANNOTATION "__dashboardUid__"
#define PANEL_ANNOTATION "__panelId__"

/* Annotations: the page size (the API's default), how far the first round looks
 * back, and how much of the last round each round reads again. */
#define ANNOTATION_LIMIT 100
#define ANNOTATION_BACKFILL (7 * 86400)
#define ANNOTATION_OVERLAP 300
#define FRAGMENT "#sitrep-newest="
/* A rule's Pending annotation is written at an evaluation, a little before the
 * impact start computed from startsAt. */
#define SPAN_SLACK 60
/* Incidents remembered for annotations: for how long after they end, how many. */
#define KNOWN_SECONDS (7 * 86400)
#define MAX_KNOWN 5000
#define MAX_RULES 20000

#define DEFAULT_STEP 60
#define MAX_DATA_POINTS 11000
#define MAX_EPOCH 253402300799LL
#define MAX_EPOCH_MS (MAX_EPOCH * 1000 + 999)

/* ---- small helpers ---- */

static int64_t
ms_to_seconds(int64_t ms)
{
	return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

/* A decimal integer that is all of text, within [0, max]. */
static bool
parse_decimal(const char *text, int64_t max, int64_t *out)
{
	int64_t v = 0;
	const char *p;

	if (!text || !*text)
		return false;
	for (p = text; *p; p++) {
		if (*p < '0' || *p > '9' || v > (max - (*p - '0')) / 10)
			return false;
		v = v * 10 + (*p - '0');
	}
	*out = v;
	return true;
}

/* The stored cursor of a stream as a JSON object (new reference); anything else,
 * or none, is an empty object: the stream starts afresh. */
static json_t *
cursor_object(const struct source_ctx *ctx, const char *stream)
{
	const char *text = ctx->cursor ? ctx->cursor(ctx->engine, stream) : NULL;
	json_t *root = text && *text == '{' ? json_loads(text, 0, NULL) : NULL;

	if (!json_is_object(root)) {
		json_decref(root);
		root = json_object();
	}
	return root;
}

/* ---- plan ---- */

/* Splits "DATASOURCE-UID: EXPRESSION" into *uid and *expr (new). A Grafana uid is
 * letters, digits, '-' and '_'; the colon must be followed by a space, so that a
 * bare PromQL recording rule ("job:rpm:sum") is not read as a uid. */
static bool
grafana_split_query(const char *query, char **uid, char **expr)
{
	const char *colon = query ? strchr(query, ':') : NULL;
	const char *p, *start = query, *end;

	*uid = *expr = NULL;
	if (!colon || (colon[1] != ' ' && colon[1] != '\t'))
		return false;
	while (*start == ' ' || *start == '\t')
		start++;
	for (end = colon; end > start && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	if (end == start)
		return false;
	for (p = start; p < end; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	for (p = colon + 1; *p == ' ' || *p == '\t'; p++)
		;
	if (!*p)
		return false;
	*uid = xstrndup(start, (size_t)(end - start));
	*expr = xstrdup(p);
	return true;
}

/* The epoch milliseconds the annotations stream reads from this round. */
static int64_t
annotations_from(const struct source_ctx *ctx)
{
	const char *cursor = ctx->cursor ? ctx->cursor(ctx->engine, "annotations") : NULL;
	int64_t ms, floor_ms = (ctx->now - ANNOTATION_BACKFILL) * 1000;

	if (!parse_decimal(cursor, MAX_EPOCH_MS, &ms))
		return floor_ms;
	ms -= ANNOTATION_OVERLAP * 1000;
	return ms < floor_ms ? floor_ms : ms;
}

/* newest: the round's newest annotation time so far, carried in the fragment, or
 * TIME_NONE. New. */
static char *
annotations_url(const char *base, int64_t from, int64_t to, int64_t newest)
{
	char *path, *url;

	if (newest != TIME_NONE)
		path = xasprintf("/api/annotations?from=%lld&to=%lld&limit=%d" FRAGMENT "%lld",
				 (long long)from, (long long)to, ANNOTATION_LIMIT,
				 (long long)newest);
	else
		path = xasprintf("/api/annotations?from=%lld&to=%lld&limit=%d", (long long)from,
				 (long long)to, ANNOTATION_LIMIT);
	url = source_url(base, path);
	free(path);
	return url;
}

static int64_t
metric_step(const struct source_ctx *ctx)
{
	return ctx->config && ctx->config->interval > 0 ? ctx->config->interval : DEFAULT_STEP;
}

/* The body of /api/ds/query for one metric (new). */
static char *
ds_query_body(const char *uid, const char *expr, int64_t start, int64_t end, int64_t step)
{
	json_t *root = json_object(), *queries = json_array(), *q = json_object();
	json_t *ds = json_object();
	char text[32];
	char *body;

	json_object_set_new(q, "refId", json_string(REF_ID));
	json_object_set_new(ds, "uid", json_string(uid));
	json_object_set_new(q, "datasource", ds);
	json_object_set_new(q, "expr", json_string(expr));
	json_object_set_new(q, "range", json_true());
	json_object_set_new(q, "instant", json_false());
	json_object_set_new(q, "intervalMs", json_integer((json_int_t)(step * 1000)));
	json_object_set_new(q, "maxDataPoints", json_integer(MAX_DATA_POINTS));
	json_array_append_new(queries, q);
	json_object_set_new(root, "queries", queries);
	/* Epoch milliseconds, as strings (the API also takes "now-1h"). */
	snprintf(text, sizeof(text), "%lld", (long long)start * 1000);
	json_object_set_new(root, "from", json_string(text));
	snprintf(text, sizeof(text), "%lld", (long long)end * 1000);
	json_object_set_new(root, "to", json_string(text));
	body = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!body)
		die("grafana: cannot serialise a query body");
	return body;
}

static void
plan_metric(const struct source_ctx *ctx, const struct config_metric *m, const char *base,
	    struct source_request **out, size_t *n)
{
	char *stream = xasprintf(METRIC_PREFIX "%s", m->name), *uid, *expr;
	const char *cursor = ctx->cursor ? ctx->cursor(ctx->engine, stream) : NULL;
	struct source_request *req;
	int64_t start, end;

	grafana_split_query(m->query, &uid, &expr); /* checked by the caller */
	source_metric_window(cursor, ctx->now, metric_step(ctx), 0, GRAFANA_MAX_POINTS, &start,
			     &end);
	req = source_request_add(out, n, stream, "POST", source_url(base, DS_QUERY_PATH));
	req->body = ds_query_body(uid, expr, start, end, metric_step(ctx));
	source_request_header(req, "Content-Type", "application/json");
	source_request_bearer(req, ctx->secret);
	free(uid);
	free(expr);
	free(stream);
}

static bool
is_mine(const struct source_ctx *ctx, const struct config_metric *m)
{
	return streq(m->source, ctx->name) && m->name;
}

static enum status_code
grafana_plan(const struct source_ctx *ctx, struct source_request **out, size_t *n)
{
	const char *base = ctx->config ? config_source_get(ctx->config, "url") : NULL;
	struct source_request *req;
	char *uid, *expr;
	size_t i;

	/* Fail before adding anything: the caller frees nothing on failure. */
	if (!base || !*base)
		return error(TYPE " %s: no url configured", ctx->name);
	for (i = 0; i < ctx->n_metrics; i++) {
		const struct config_metric *m = &ctx->metrics[i];

		if (!is_mine(ctx, m))
			continue;
		if (!grafana_split_query(m->query, &uid, &expr))
			return error(TYPE " %s: metric \"%s\": the query must be "
					  "\"DATASOURCE-UID: EXPRESSION\"",
				     ctx->name, m->name);
		free(uid);
		free(expr);
	}
	req = source_request_add(out, n, "rules", "GET", source_url(base, RULES_PATH));
	source_request_bearer(req, ctx->secret);
	req = source_request_add(out, n, "alerts", "GET", source_url(base, ALERTS_PATH));
	source_request_bearer(req, ctx->secret);
	req = source_request_add(
		out, n, "annotations", "GET",
		annotations_url(base, annotations_from(ctx), ctx->now * 1000, TIME_NONE));
	source_request_bearer(req, ctx->secret);
	for (i = 0; i < ctx->n_metrics; i++)
		if (is_mine(ctx, &ctx->metrics[i]))
			plan_metric(ctx, &ctx->metrics[i], base, out, n);
	return SUCCESS;
}

/* ---- rules ---- */

/* A Prometheus duration as Grafana writes a rule's `for` ("5m", "1m30s", "0s"), in
 * seconds; false for what duration_parse does not read ("1y", "500ms"). */
static bool
pending_seconds(const json_t *v, int64_t *out)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (int64_t)json_integer_value(v);
		return true;
	}
	return json_is_string(v) && duration_parse(json_string_value(v), out);
}

/* "grafana rules: folder "Infra", group 2, rule 0: ..." (g or r SIZE_MAX: the
 * folder or group itself). */
static enum status_code
rule_error(const char *folder, size_t g, size_t r, const char *what)
{
	char *text = source_error_text(folder, strlen(folder));
	enum status_code code;

	if (g == SIZE_MAX)
		code = error(TYPE " rules: folder \"%s\" %s", text, what);
	else if (r == SIZE_MAX)
		code = error(TYPE " rules: folder \"%s\", group %zu: %s", text, g, what);
	else
		code = error(TYPE " rules: folder \"%s\", group %zu, rule %zu: %s", text, g, r,
			     what);
	free(text);
	return code;
}

/* Adds {uid: [id, for-or-null]} of one rule to map. */
static enum status_code
parse_rule(const char *folder, size_t g, size_t r, const json_t *rule, json_t *map)
{
	const json_t *ga = json_object_get(rule, "grafana_alert"), *id, *uid;
	json_t *entry;
	int64_t pending;

	if (!json_is_object(rule))
		return rule_error(folder, g, r, "is not an object");
	if (!json_is_object(ga))
		return rule_error(folder, g, r, "grafana_alert is missing or not an object");
	id = json_object_get(ga, "id");
	uid = json_object_get(ga, "uid");
	if (!json_is_string(uid) || !*json_string_value(uid))
		return rule_error(folder, g, r, "grafana_alert.uid is missing or not a string");
	if (id && !json_is_integer(id))
		return rule_error(folder, g, r, "grafana_alert.id is not an integer");
	if (json_object_size(map) >= MAX_RULES)
		return SUCCESS;
	entry = json_array();
	json_array_append_new(entry, json_integer(id ? json_integer_value(id) : 0));
	json_array_append_new(entry, pending_seconds(json_object_get(rule, "for"), &pending)
					     ? json_integer((json_int_t)pending)
					     : json_null());
	json_object_set_new(map, json_string_value(uid), entry);
	return SUCCESS;
}

/* {"FOLDER": [{"name", "interval", "rules": [{"for", "grafana_alert": {...}}]}]} */
static enum status_code
parse_rules(const json_t *root, struct source_page *page)
{
	json_t *map = json_object(), *groups, *group, *rules, *rule;
	enum status_code code = SUCCESS;
	const char *folder;
	size_t g, r;

	if (!json_is_object(root)) {
		json_decref(map);
		return error(TYPE " rules: the response is %s, not an object of folders",
			     json_type_name(root));
	}
	json_object_foreach((json_t *)(uintptr_t)root, folder, groups)
	{
		if (!json_is_array(groups)) {
			code = rule_error(folder, SIZE_MAX, 0, "is not an array of groups");
			goto out;
		}
		json_array_foreach(groups, g, group)
		{
			rules = json_object_get(group, "rules");
			if (!json_is_array(rules)) {
				code = rule_error(folder, g, SIZE_MAX,
						  "rules is missing or not an array");
				goto out;
			}
			json_array_foreach(rules, r, rule)
			{
				if ((code = parse_rule(folder, g, r, rule, map)) != SUCCESS)
					goto out;
			}
		}
	}
	page->cursor = json_dumps(map, JSON_COMPACT | JSON_SORT_KEYS);
out:
	json_decref(map);
	return code;
}

/* ---- alerts ---- */

/* A string member of an object, or NULL. */
static const char *
string_of(const json_t *obj, const char *key)
{
	return json_string_value(json_is_object(obj) ? json_object_get(obj, key) : NULL);
}

/* What the annotations stream needs of an incident, for the cursor. */
static json_t *
known_entry(const json_t *alert, const char *rule, int64_t from, int64_t to)
{
	const json_t *annotations = json_object_get(alert, "annotations");
	const char *dash = string_of(annotations, DASHBOARD_ANNOTATION);
	const char *panel = string_of(annotations, PANEL_ANNOTATION);
	json_t *e = json_object();
	int64_t panel_id;

	if (rule && *rule)
		json_object_set_new(e, "rule", json_string(rule));
	if (dash && *dash && parse_decimal(panel, INT32_MAX, &panel_id) && panel_id > 0) {
		json_object_set_new(e, "dash", json_string(dash));
		json_object_set_new(e, "panel", json_integer((json_int_t)panel_id));
	}
	json_object_set_new(e, "from", json_integer((json_int_t)from));
	if (to != TIME_NONE)
		json_object_set_new(e, "to", json_integer((json_int_t)to));
	return e;
}

/* The pending period of a rule from the rules stream's cursor, or -1. */
static int64_t
rule_pending(const json_t *rules, const char *uid)
{
	const json_t *p = uid ? json_array_get(json_object_get(rules, uid), 1) : NULL;

	return json_is_integer(p) && json_integer_value(p) >= 0 ? (int64_t)json_integer_value(p)
								: -1;
}

/* What Grafana adds to the Alertmanager reading: the impact start from the rule's
 * pending period, a resolution at an endsAt already past, and the incident's entry
 * for annotations. */
static enum status_code
grafana_alert(const struct source_ctx *ctx, size_t i, const json_t *alert, const json_t *rules,
	      struct source_am_muted *muted, json_t *known, struct source_page *page)
{
	const char *rule = string_of(json_object_get(alert, "labels"), RULE_UID_LABEL);
	const char *ends = string_of(alert, "endsAt");
	struct store_incident *inc;
	struct source_event *ev;
	enum status_code code;
	int64_t pending, ends_at;

	code = source_am_alert(ctx, TYPE, "alerts", i, alert, muted, page, &inc);
	if (code != SUCCESS)
		return code;
	pending = rule_pending(rules, rule);
	inc->impact_start = pending >= 0 ? inc->detected_at - pending : TIME_NONE;
	if (ends && timestamp_parse(ends, &ends_at) && ends_at <= ctx->now &&
	    ends_at >= inc->detected_at) {
		inc->resolved_at = ends_at;
		if (inc->updated_at < ends_at)
			inc->updated_at = ends_at;
	}
	json_object_set_new(
		known, inc->source_id,
		known_entry(alert, rule,
			    inc->impact_start != TIME_NONE ? inc->impact_start : inc->detected_at,
			    inc->resolved_at));
	if (inc->resolved_at != TIME_NONE) {
		/* Events have their own array: inc does not move. */
		ev = source_page_event(page);
		ev->incident_id = inc->source_id;
		ev->at = inc->resolved_at;
		ev->kind = "resolve";
	}
	return SUCCESS;
}

/* Carries over the incidents of earlier rounds: one no longer listed ended at this
 * poll (as the engine resolves it); those that ended a week ago are forgotten. */
static void
carry_known(const struct source_ctx *ctx, const json_t *old, json_t *known)
{
	const char *id;
	json_t *e;

	json_object_foreach((json_t *)(uintptr_t)old, id, e)
	{
		const json_t *to = json_object_get(e, "to");
		json_t *copy;

		if (!json_is_object(e) || json_object_get(known, id) ||
		    json_object_size(known) >= MAX_KNOWN)
			continue;
		if (json_is_integer(to) && json_integer_value(to) < ctx->now - KNOWN_SECONDS)
			continue;
		copy = json_deep_copy(e);
		if (!json_is_integer(to))
			json_object_set_new(copy, "to", json_integer((json_int_t)ctx->now));
		json_object_set_new(known, id, copy);
	}
}

static enum status_code
parse_alerts(const struct source_ctx *ctx, const json_t *alerts, struct source_page *page)
{
	json_t *prev = cursor_object(ctx, "alerts"), *rules = cursor_object(ctx, "rules");
	json_t *seen = json_object(), *known = json_object(), *root, *alert;
	struct source_am_muted muted = { .old = json_object_get(prev, "muted"),
					 .seen = seen,
					 .inhibitions = true };
	enum status_code code = SUCCESS;
	size_t i;

	page->snapshot = true;
	page->observed_at = ctx->now;
	json_array_foreach(alerts, i, alert)
	{
		if ((code = grafana_alert(ctx, i, alert, rules, &muted, known, page)) != SUCCESS)
			break;
	}
	if (code == SUCCESS) {
		carry_known(ctx, json_object_get(prev, "known"), known);
		root = json_object();
		json_object_set(root, "known", known);
		json_object_set(root, "muted", seen);
		page->cursor = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(root);
	}
	json_decref(known);
	json_decref(seen);
	json_decref(rules);
	json_decref(prev);
	return code;
}

/* ---- annotations ---- */

/* One annotation's checked fields; times in ms. */
struct annotation {
	int64_t id, time, time_end, alert_id, panel_id;
	const char *dashboard, *new_state, *prev_state, *text, *actor;
	const json_t *tags;
};

struct annotation_state {
	const struct source_ctx *ctx;
	struct source_page *page;
	const json_t *known;	/* incident id -> {rule, dash, panel, from, to} */
	json_t *rule_of_id;	/* "ID" -> rule uid, from the rules stream */
	size_t index;		/* of the annotation being read, for messages */
	int64_t newest, oldest; /* ms; TIME_NONE before the first */
};

static enum status_code
annotation_error(const struct annotation_state *st, const char *field, const json_t *v,
		 const char *want)
{
	if (!v)
		return error(TYPE " annotations: annotation %zu: %s is missing", st->index, field);
	return error(TYPE " annotations: annotation %zu: %s is %s, not %s", st->index, field,
		     json_type_name(v), want);
}

/* An integer member; absent or null gives fallback unless required. */
static enum status_code
get_integer(const struct annotation_state *st, const json_t *obj, const char *key, bool required,
	    int64_t fallback, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);

	*out = fallback;
	if (!v || json_is_null(v))
		return required ? annotation_error(st, key, NULL, NULL) : SUCCESS;
	if (!json_is_integer(v))
		return annotation_error(st, key, v, "an integer");
	*out = (int64_t)json_integer_value(v);
	return SUCCESS;
}

/* A string member; absent or null gives NULL. */
static enum status_code
get_string(const struct annotation_state *st, const json_t *obj, const char *key, const char **out)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return SUCCESS;
	if (!json_is_string(v))
		return annotation_error(st, key, v, "a string");
	*out = json_string_value(v);
	return SUCCESS;
}

static enum status_code
read_annotation(const struct annotation_state *st, const json_t *obj, struct annotation *a)
{
	const char *login, *user;
	enum status_code code;
	size_t i;

	memset(a, 0, sizeof(*a));
	if (!json_is_object(obj))
		return error(TYPE " annotations: annotation %zu is %s, not an object", st->index,
			     json_type_name(obj));
	if ((code = get_integer(st, obj, "id", true, 0, &a->id)) != SUCCESS ||
	    (code = get_integer(st, obj, "time", true, 0, &a->time)) != SUCCESS ||
	    (code = get_integer(st, obj, "timeEnd", false, 0, &a->time_end)) != SUCCESS ||
	    (code = get_integer(st, obj, "alertId", false, 0, &a->alert_id)) != SUCCESS ||
	    (code = get_integer(st, obj, "panelId", false, 0, &a->panel_id)) != SUCCESS ||
	    (code = get_string(st, obj, "dashboardUID", &a->dashboard)) != SUCCESS ||
	    (code = get_string(st, obj, "newState", &a->new_state)) != SUCCESS ||
	    (code = get_string(st, obj, "prevState", &a->prev_state)) != SUCCESS ||
	    (code = get_string(st, obj, "text", &a->text)) != SUCCESS ||
	    (code = get_string(st, obj, "login", &login)) != SUCCESS ||
	    (code = get_string(st, obj, "userName", &user)) != SUCCESS)
		return code;
	if (a->time < 0 || a->time > MAX_EPOCH_MS)
		return error(TYPE " annotations: annotation %zu: time %lld is out of range",
			     st->index, (long long)a->time);
	if (a->time_end < a->time || a->time_end > MAX_EPOCH_MS)
		a->time_end = a->time; /* 0 or absent: a point */
	a->actor = login && *login ? login : user && *user ? user : NULL;
	a->tags = json_object_get(obj, "tags");
	if (a->tags && !json_is_null(a->tags) && !json_is_array(a->tags))
		return annotation_error(st, "tags", a->tags, "an array");
	for (i = 0; i < json_array_size(a->tags); i++)
		if (!json_is_string(json_array_get(a->tags, i)))
			return annotation_error(st, "tags[]", json_array_get(a->tags, i),
						"a string");
	return SUCCESS;
}

/* Whether the annotation belongs to the incident e: its rule's or its rule's
 * panel's, within the incident's span. */
static bool
belongs(const struct annotation_state *st, const struct annotation *a, const json_t *e)
{
	const char *rule = string_of(e, "rule"), *dash = string_of(e, "dash");
	const json_t *to = json_object_get(e, "to");
	int64_t from = (int64_t)json_integer_value(json_object_get(e, "from")) - SPAN_SLACK;
	bool tied = false;
	char key[24];

	if (a->alert_id > 0 && rule) {
		snprintf(key, sizeof(key), "%lld", (long long)a->alert_id);
		tied = streq(json_string_value(json_object_get(st->rule_of_id, key)), rule);
	}
	if (!tied && a->dashboard && *a->dashboard && a->panel_id > 0 && dash)
		tied = streq(a->dashboard, dash) &&
		       json_integer_value(json_object_get(e, "panel")) == a->panel_id;
	if (!tied || ms_to_seconds(a->time_end) < from)
		return false;
	return !json_is_integer(to) || ms_to_seconds(a->time) <= json_integer_value(to);
}

/* "PREV -> NEW: TEXT" for a state change; "TEXT [tag, tag]" otherwise (page memory,
 * or NULL for neither). */
static const char *
event_text(struct source_page *page, const struct annotation *a, bool state)
{
	const char *text;
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	if (state)
		buf_printf(&b, "%s -> %s", a->prev_state && *a->prev_state ? a->prev_state : "?",
			   a->new_state);
	if (a->text && *a->text)
		buf_printf(&b, "%s%s", b.len ? ": " : "", a->text);
	for (i = 0; i < json_array_size(a->tags); i++)
		buf_printf(&b, "%s%s%s", i == 0 ? (b.len ? " [" : "[") : ", ",
			   json_string_value(json_array_get(a->tags, i)),
			   i + 1 == json_array_size(a->tags) ? "]" : "");
	text = b.len ? source_page_strndup(page, b.data, b.len) : NULL;
	buf_release(&b);
	return text;
}

static void
add_event(struct source_page *page, const char *incident, int64_t at, const char *kind,
	  const struct annotation *a, const char *id, const char *text)
{
	struct source_event *ev = source_page_event(page);

	ev->incident_id = incident;
	ev->at = at;
	ev->kind = kind;
	ev->actor = source_page_strdup(page, a->actor);
	ev->text = text;
	ev->event_id = id;
}

static void
annotation_events(struct annotation_state *st, const struct annotation *a)
{
	bool state = a->new_state && *a->new_state;
	const char *id = NULL, *text = NULL, *key, *incident;
	json_t *e;
	char buf[24];

	json_object_foreach((json_t *)(uintptr_t)st->known, key, e)
	{
		if (!json_is_object(e) || !belongs(st, a, e))
			continue;
		if (!id) {
			snprintf(buf, sizeof(buf), "%lld", (long long)a->id);
			id = source_page_strdup(st->page, buf);
			text = event_text(st->page, a, state);
		}
		/* The key belongs to the cursor's object, freed before the page. */
		incident = source_page_strdup(st->page, key);
		add_event(st->page, incident, ms_to_seconds(a->time),
			  state ? "state" : "annotation", a, id, text);
		if (!state && a->time_end > a->time)
			add_event(st->page, incident, ms_to_seconds(a->time_end), "annotation-end",
				  a, id, text);
	}
}

/* "ID" -> rule uid, from the rules stream's {uid: [id, for]} (new). */
static json_t *
rules_by_id(const struct source_ctx *ctx)
{
	json_t *rules = cursor_object(ctx, "rules"), *index = json_object(), *entry;
	const char *uid;
	char key[24];

	json_object_foreach(rules, uid, entry)
	{
		const json_t *id = json_array_get(entry, 0);

		if (!json_is_integer(id) || json_integer_value(id) <= 0)
			continue;
		snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(id));
		json_object_set_new(index, key, json_string(uid));
	}
	json_decref(rules);
	return index;
}

/* The newest time of the pages before this one, from the URL's fragment. */
static int64_t
carried_newest(const char *url)
{
	const char *p = url ? strstr(url, FRAGMENT) : NULL;
	int64_t ms;

	return p && parse_decimal(p + strlen(FRAGMENT), MAX_EPOCH_MS, &ms) ? ms : TIME_NONE;
}

/* The `to` of a request of this stream. */
static int64_t
url_to(const char *url)
{
	const char *p = url ? strstr(url, "&to=") : NULL;
	char digits[24];
	int64_t ms;
	size_t len;

	if (!p)
		return TIME_NONE;
	p += 4;
	len = strspn(p, "0123456789");
	if (len == 0 || len >= sizeof(digits))
		return TIME_NONE;
	memcpy(digits, p, len);
	digits[len] = '\0';
	return parse_decimal(digits, MAX_EPOCH_MS, &ms) ? ms : TIME_NONE;
}

/* The page after a full one: the same window, `to` narrowed to the oldest time seen
 * (annotations at that very millisecond are read again, which costs nothing: events
 * are unique). When a whole page shares one millisecond, the rest of it is skipped
 * rather than read forever. The token goes with it. */
static void
add_next(const struct annotation_state *st, const struct source_request *req)
{
	const char *base = config_source_get(st->ctx->config, "url");
	struct source_request *next = xcalloc(1, sizeof(*next));
	int64_t to = st->oldest, prev_to = url_to(req->url);
	size_t i;

	if (prev_to != TIME_NONE && to >= prev_to)
		to = prev_to - 1;
	next->stream = xstrdup(req->stream);
	next->method = xstrdup("GET");
	next->url = annotations_url(base, annotations_from(st->ctx), to, st->newest);
	for (i = 0; i < req->n_headers; i++)
		source_request_header(next, req->headers[i].name, req->headers[i].value);
	st->page->next = next;
}

static enum status_code
parse_annotations(const struct source_ctx *ctx, const struct source_request *req,
		  const json_t *list, struct source_page *page)
{
	json_t *alerts = cursor_object(ctx, "alerts");
	struct annotation_state st = {
		.ctx = ctx,
		.page = page,
		.known = json_object_get(alerts, "known"),
		.rule_of_id = rules_by_id(ctx),
		.newest = carried_newest(req->url),
		.oldest = TIME_NONE,
	};
	const char *prev = ctx->cursor ? ctx->cursor(ctx->engine, "annotations") : NULL;
	enum status_code code = SUCCESS;
	int64_t mark, prev_mark, to = url_to(req->url);
	struct annotation a;
	const json_t *obj;

	json_array_foreach(list, st.index, obj)
	{
		if ((code = read_annotation(&st, obj, &a)) != SUCCESS)
			break;
		/* Paging narrows `to`: a server that ignores it would be read forever. */
		if (to != TIME_NONE && a.time > to) {
			code = error(TYPE " annotations: annotation %zu at %lld ms is after the "
					  "window's end (%lld): the server ignores `to`",
				     st.index, (long long)a.time, (long long)to);
			break;
		}
		if (st.newest == TIME_NONE || a.time > st.newest)
			st.newest = a.time;
		if (st.oldest == TIME_NONE || a.time < st.oldest)
			st.oldest = a.time;
		annotation_events(&st, &a);
	}
	if (code == SUCCESS && json_array_size(list) >= ANNOTATION_LIMIT) {
		add_next(&st, req);
	} else if (code == SUCCESS) {
		/* The cursor never moves back: a quiet round keeps it. */
		mark = st.newest;
		if (parse_decimal(prev, MAX_EPOCH_MS, &prev_mark) && prev_mark > mark)
			mark = prev_mark;
		if (mark != TIME_NONE)
			page->cursor = xasprintf("%lld", (long long)mark);
	}
	json_decref(st.rule_of_id);
	json_decref(alerts);
	return code;
}

/* ---- metrics: data frames ---- */

struct frame_state {
	const char *stream;
	const char *series, *service; /* page memory */
	struct source_page *page;
	size_t frame;
	int64_t last; /* seconds, TIME_NONE before the first */
};

static enum status_code frame_error(const struct frame_state *fs, const char *fmt, ...)
	PRINTF_LIKE(2, 3);

static enum status_code
frame_error(const struct frame_state *fs, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return error(TYPE " %s: frame %zu: %s", fs->stream, fs->frame, what);
}

/* A time cell: epoch ms as an integer (or a number); null skips the row. */
static enum status_code
time_cell(const struct frame_state *fs, const json_t *v, size_t row, int64_t *sec, bool *skip)
{
	double ms;

	*skip = json_is_null(v);
	if (*skip)
		return SUCCESS;
	if (!json_is_number(v))
		return frame_error(fs, "row %zu: the time is %s, not a number", row,
				   json_type_name(v));
	/* Integers stay exact: a double holds epoch ms exactly too, but why convert. */
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 || json_integer_value(v) > MAX_EPOCH_MS)
			return frame_error(fs, "row %zu: the time is out of range", row);
		*sec = ms_to_seconds((int64_t)json_integer_value(v));
		return SUCCESS;
	}
	ms = json_number_value(v);
	if (!isfinite(ms) || ms < 0 || ms > (double)MAX_EPOCH_MS)
		return frame_error(fs, "row %zu: the time is out of range", row);
	*sec = (int64_t)floor(ms / 1000.0);
	return SUCCESS;
}

/* One numeric field: a series with the field's labels. NaN and infinities are null
 * in the values (their places are listed in data.entities): skipped. */
static enum status_code
parse_field(struct frame_state *fs, size_t f, const json_t *field, const json_t *times,
	    const json_t *values)
{
	const json_t *labels_v = json_object_get(field, "labels");
	const char *labels = "";
	size_t row;

	if (labels_v && !json_is_null(labels_v)) {
		if (!json_is_object(labels_v))
			return frame_error(fs, "field %zu: labels is %s, not an object", f,
					   json_type_name(labels_v));
		if (!(labels = source_labels_canonical(fs->page, labels_v)))
			return frame_error(fs, "field %zu: a label value is not a string", f);
	}
	if (!json_is_array(values))
		return frame_error(fs, "field %zu: its values are %s, not an array", f,
				   json_type_name(values));
	if (json_array_size(values) != json_array_size(times))
		return frame_error(fs, "field %zu has %zu values for %zu times", f,
				   json_array_size(values), json_array_size(times));
	for (row = 0; row < json_array_size(values); row++) {
		const json_t *v = json_array_get(values, row);
		struct source_sample *s;
		enum status_code code;
		int64_t sec = 0;
		bool skip;

		if ((code = time_cell(fs, json_array_get(times, row), row, &sec, &skip)) != SUCCESS)
			return code;
		if (skip)
			continue;
		if (fs->last == TIME_NONE || sec > fs->last)
			fs->last = sec;
		if (json_is_null(v))
			continue;
		if (!json_is_number(v))
			return frame_error(fs, "field %zu, row %zu: the value is %s, not a number",
					   f, row, json_type_name(v));
		s = source_page_sample(fs->page);
		s->series = fs->series;
		s->labels = labels;
		s->service = fs->service;
		s->ts = sec;
		s->value = json_number_value(v);
	}
	return SUCCESS;
}

/* {"schema": {"fields": [...]}, "data": {"values": [[...], ...]}}: columnar, one
 * array of values per field. */
static enum status_code
parse_frame(struct frame_state *fs, const json_t *frame)
{
	const json_t *schema = json_object_get(frame, "schema"),
		     *data = json_object_get(frame, "data");
	const json_t *fields = json_object_get(schema, "fields"), *values, *field;
	enum status_code code;
	size_t f, time_field = SIZE_MAX;

	if (!json_is_object(frame))
		return frame_error(fs, "is %s, not an object", json_type_name(frame));
	if (!json_is_object(schema) || !json_is_array(fields))
		return frame_error(fs, "schema.fields is missing or not an array");
	if (!data || json_is_null(data))
		return SUCCESS; /* a schema without rows */
	values = json_object_get(data, "values");
	if (!json_is_object(data) || !json_is_array(values))
		return frame_error(fs, "data.values is missing or not an array");
	if (json_array_size(values) != json_array_size(fields))
		return frame_error(fs, "%zu columns of values for %zu fields",
				   json_array_size(values), json_array_size(fields));
	json_array_foreach(fields, f, field)
	{
		if (!json_is_object(field))
			return frame_error(fs, "field %zu is %s, not an object", f,
					   json_type_name(field));
		if (time_field == SIZE_MAX && streq(string_of(field, "type"), "time"))
			time_field = f;
	}
	if (time_field == SIZE_MAX)
		return frame_error(fs, "no field of type \"time\"");
	if (!json_is_array(json_array_get(values, time_field)))
		return frame_error(fs, "field %zu: its values are not an array", time_field);
	json_array_foreach(fields, f, field)
	{
		if (!streq(string_of(field, "type"), "number"))
			continue;
		code = parse_field(fs, f, field, json_array_get(values, time_field),
				   json_array_get(values, f));
		if (code != SUCCESS)
			return code;
	}
	return SUCCESS;
}

/* A query's own failure: {"results": {"A": {"error": "...", "status": 400}}}, or
 * NULL when the body holds none. */
static const char *
result_error(const json_t *root, long *status)
{
	const json_t *res = json_object_get(json_object_get(root, "results"), REF_ID);
	const json_t *err = json_object_get(res, "error"), *st = json_object_get(res, "status");

	*status = json_is_integer(st) ? (long)json_integer_value(st) : 0;
	if (json_is_string(err) && *json_string_value(err))
		return json_string_value(err);
	return NULL;
}

static enum status_code
query_error(const char *stream, const char *msg, long status)
{
	char *text = source_error_text(msg, strlen(msg));
	enum status_code code;

	if (status)
		code = error(TYPE " %s: the query failed: %s (status %ld)", stream, text, status);
	else
		code = error(TYPE " %s: the query failed: %s", stream, text);
	free(text);
	return code;
}

static enum status_code
parse_frames(const struct source_ctx *ctx, const char *stream, const json_t *root,
	     struct source_page *page)
{
	const char *name = stream + strlen(METRIC_PREFIX), *msg;
	const json_t *results = json_object_get(root, "results"), *res, *frames, *frame;
	struct frame_state fs = { .stream = stream, .page = page, .last = TIME_NONE };
	enum status_code code;
	long status;

	if (!json_is_object(root))
		return error(TYPE " %s: the response is %s, not an object", stream,
			     json_type_name(root));
	if (!json_is_object(results))
		return error(TYPE " %s: results is missing or not an object", stream);
	res = json_object_get(results, REF_ID);
	if (!json_is_object(res))
		return error(TYPE " %s: results." REF_ID " is missing or not an object", stream);
	if ((msg = result_error(root, &status)))
		return query_error(stream, msg, status);
	if (status && status != 200)
		return error(TYPE " %s: results." REF_ID ".status is %ld", stream, status);
	frames = json_object_get(res, "frames");
	if (frames && !json_is_null(frames) && !json_is_array(frames))
		return error(TYPE " %s: results." REF_ID ".frames is %s, not an array", stream,
			     json_type_name(frames));
	page->observed_at = ctx->now;
	fs.series = source_page_strdup(page, name);
	fs.service = source_metric_service(page, ctx, name);
	json_array_foreach(frames, fs.frame, frame)
	{
		if ((code = parse_frame(&fs, frame)) != SUCCESS)
			return code;
	}
	if (fs.last != TIME_NONE)
		page->cursor = xasprintf("%lld", (long long)fs.last);
	return SUCCESS;
}

/* ---- errors and dispatch ---- */

static const char *
status_hint(long status)
{
	switch (status) {
	case 401:
		return " (check the token)";
	case 403:
		return " (the token's service account lacks a permission this needs)";
	case 404:
		return " (check the url; alerting needs Grafana 9 or later)";
	default:
		return "";
	}
}

/* Grafana answers errors with {"message": "...", "traceID": "..."} (newer ones add
 * messageId and statusCode), and a failed query with the results of /api/ds/query;
 * a proxy in front may send anything. */
static enum status_code
http_error(const char *stream, const struct http_response *resp)
{
	json_t *root = json_loadb(resp->body, resp->body_len, 0, NULL);
	const char *msg = string_of(root, "message");
	enum status_code code;
	long status;
	char *text;

	if (!msg && (msg = result_error(root, &status))) {
		code = query_error(stream, msg, status ? status : resp->status);
	} else if (!msg) {
		code = source_check_response(TYPE, stream, resp);
	} else {
		text = source_error_text(msg, strlen(msg));
		code = error(TYPE " %s: HTTP %ld: %s%s", stream, resp->status,
			     *text ? text : "(empty message)", status_hint(resp->status));
		free(text);
	}
	json_decref(root);
	return code;
}

static enum status_code
grafana_parse(const struct source_ctx *ctx, const struct source_request *req,
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
	if (streq(stream, "rules")) {
		code = parse_rules(root, page);
	} else if (streq(stream, "alerts")) {
		code = json_is_array(root)
			       ? parse_alerts(ctx, root, page)
			       : error(TYPE " alerts: the response is %s, not an array of alerts",
				       json_type_name(root));
	} else if (streq(stream, "annotations")) {
		code = json_is_array(root)
			       ? parse_annotations(ctx, req, root, page)
			       : error(TYPE " annotations: the response is %s, not an array",
				       json_type_name(root));
	} else if (strncmp(stream, METRIC_PREFIX, strlen(METRIC_PREFIX)) == 0 &&
		   stream[strlen(METRIC_PREFIX)]) {
		code = parse_frames(ctx, stream, root, page);
	} else {
		code = error(TYPE " %s: not a stream of this source", stream);
	}
	json_decref(root);
	return code;
}

const struct source_ops source_grafana_ops = {
	.type = TYPE,
	.plan = grafana_plan,
	.parse = grafana_parse,
};
