/* source.c - what every source shares: the table of source types, the requests a
 * source plans, the pages its parser fills, and the helpers for responses and for
 * alerts labelled the Prometheus way.
 *
 * A page owns everything its records point to (its arrays and every block handed out
 * by source_page_alloc), so a parser never frees anything on an error path: the
 * engine releases the page either way. Nothing here does I/O, touches the cache or
 * draws; untrusted text is kept as it came, except in error messages, which may be
 * printed and are therefore sanitized here. */
#include "sitrep/sitrep.h"
#include "sitrep/config.h"
#include "sitrep/source.h"

#include <ctype.h>
#include <math.h>

#include "sitrep/json.h"
#include "sitrep/text.h"
#include "sitrep/timestamp.h"

/* A metric window of more points per series is refused by Prometheus with a 400. */
/* Where a metric stream with no cursor starts: an hour of history for the charts. */
#define METRIC_BACKFILL 3600
#define METRIC_DEFAULT_STEP 60
/* The last instant timestamp_format can write (9999-12-31T23:59:59Z). */
#define MAX_EPOCH 253402300799LL

/* How much of an untrusted body an error message quotes. */
#define ERROR_TEXT_BYTES 1024
#define ERROR_TEXT_COLUMNS 160

/* ---- the source types ---- */

/* One line a type, so that adding one touches one line. */
/* clang-format off */
static const struct source_ops *const source_types[] = {
	&source_prometheus_ops, &source_alertmanager_ops, &source_sentry_ops, &source_opsgenie_ops,
	&source_grafana_ops, &source_zabbix_ops, &source_servicenow_ops, &source_zendesk_ops,
	&source_jenkins_ops, &source_gitlab_ops, &source_argocd_ops, &source_github_ops,
};
/* clang-format on */

const struct source_ops *
source_ops_find(const char *type)
{
	size_t i;

	for (i = 0; type && i < ARRAY_SIZE(source_types); i++)
		if (streq(source_types[i]->type, type))
			return source_types[i];
	return NULL;
}

/* ---- requests ---- */

/* The array grows one element at a time: a round plans a handful of requests, and
 * the signature has no room for a capacity. */
struct source_request *
source_request_add(struct source_request **reqs, size_t *n, const char *stream, const char *method,
		   char *url)
{
	struct source_request *req;

	*reqs = xrealloc(*reqs, (*n + 1) * sizeof(**reqs));
	req = &(*reqs)[(*n)++];
	memset(req, 0, sizeof(*req));
	req->stream = xstrdup(stream);
	req->method = xstrdup(method ? method : "GET");
	req->url = url;
	return req;
}

void
source_request_header(struct source_request *req, const char *name, const char *value)
{
	/* A source that needs more headers than the array holds is a programming
	 * error, not a condition of the data. */
	if (req->n_headers >= ARRAY_SIZE(req->headers))
		die("source_request_header: more than %zu headers for %s", ARRAY_SIZE(req->headers),
		    req->stream);
	req->headers[req->n_headers].name = xstrdup(name);
	req->headers[req->n_headers].value = xstrdup(value);
	req->n_headers++;
}

void
source_request_release(struct source_request *req)
{
	size_t i;

	if (!req)
		return;
	free(req->stream);
	free(req->method);
	free(req->url);
	/* Bodies (a JSON-RPC login, an auth field) and header values (Authorization) may
	 * hold secrets: wipe before freeing. */
	secret_free(&req->body);
	for (i = 0; i < req->n_headers; i++) {
		free(req->headers[i].name);
		secret_free(&req->headers[i].value);
	}
	memset(req, 0, sizeof(*req));
}

void
source_requests_free(struct source_request *reqs, size_t n)
{
	size_t i;

	for (i = 0; reqs && i < n; i++)
		source_request_release(&reqs[i]);
	free(reqs);
}

/* ---- pages ---- */

void
source_page_init(struct source_page *page)
{
	memset(page, 0, sizeof(*page));
	page->observed_at = TIME_NONE;
}

/* Frees everything the page owns, including a next request the engine did not take
 * (it takes one by setting page->next to NULL). */
void
source_page_release(struct source_page *page)
{
	size_t i;

	if (!page)
		return;
	for (i = 0; i < page->n_allocs; i++)
		free(page->allocs[i]);
	free(page->allocs);
	free(page->incidents);
	free(page->events);
	free(page->samples);
	free(page->pipelines);
	free(page->deployments);
	free(page->branches);
	free(page->check_runs);
	free(page->cursor);
	if (page->next) {
		source_request_release(page->next);
		free(page->next);
	}
	source_page_init(page);
}

void *
source_page_alloc(struct source_page *page, size_t size)
{
	void *p = xcalloc(1, size ? size : 1);

	page->allocs =
		xgrow(page->allocs, &page->allocs_alloc, page->n_allocs + 1, sizeof(*page->allocs));
	page->allocs[page->n_allocs++] = p;
	return p;
}

const char *
source_page_strdup(struct source_page *page, const char *s)
{
	return s ? source_page_strndup(page, s, strlen(s)) : NULL;
}

const char *
source_page_strndup(struct source_page *page, const char *s, size_t len)
{
	char *copy;

	if (!s)
		return NULL;
	if (len == SIZE_MAX)
		die("source_page_strndup: length overflow");
	copy = source_page_alloc(page, len + 1);
	memcpy(copy, s, len);
	return copy;
}

/* The record functions return a zeroed slot at the end of their array. The pointer
 * is valid until the next call for the same kind of record, which may move the
 * array; what records point to lives in page blocks and never moves. */

struct store_pipeline *
source_page_pipeline(struct source_page *page)
{
	struct store_pipeline *p;

	page->pipelines = xgrow(page->pipelines, &page->pipelines_alloc, page->n_pipelines + 1,
				sizeof(*page->pipelines));
	p = &page->pipelines[page->n_pipelines++];
	memset(p, 0, sizeof(*p));
	p->number = TIME_NONE;
	p->queued_at = p->started_at = p->finished_at = TIME_NONE;
	p->updated_at = TIME_NONE;
	return p;
}

struct store_stage *
source_page_stages(struct source_page *page, size_t n)
{
	struct store_stage *stages = source_page_alloc(page, (n ? n : 1) * sizeof(*stages));

	for (size_t i = 0; i < n; i++) {
		stages[i].started_at = stages[i].finished_at = TIME_NONE;
		stages[i].coverage = NAN;
	}
	return stages;
}

struct store_deployment *
source_page_deployment(struct source_page *page)
{
	struct store_deployment *d;

	page->deployments = xgrow(page->deployments, &page->deployments_alloc,
				  page->n_deployments + 1, sizeof(*page->deployments));
	d = &page->deployments[page->n_deployments++];
	memset(d, 0, sizeof(*d));
	d->started_at = d->finished_at = d->bake_until = TIME_NONE;
	d->updated_at = TIME_NONE;
	d->canary_weight = NAN;
	return d;
}

struct store_branch *
source_page_branch(struct source_page *page)
{
	struct store_branch *b;

	page->branches = xgrow(page->branches, &page->branches_alloc, page->n_branches + 1,
			       sizeof(*page->branches));
	b = &page->branches[page->n_branches++];
	memset(b, 0, sizeof(*b));
	b->required_approvals = -1;
	b->force_push = b->enforce_admins = b->code_owner_approval = -1;
	b->updated_at = TIME_NONE;
	return b;
}

struct store_check_run *
source_page_check_run(struct source_page *page)
{
	struct store_check_run *c;

	page->check_runs = xgrow(page->check_runs, &page->check_runs_alloc, page->n_check_runs + 1,
				 sizeof(*page->check_runs));
	c = &page->check_runs[page->n_check_runs++];
	memset(c, 0, sizeof(*c));
	c->started_at = c->finished_at = c->updated_at = TIME_NONE;
	return c;
}

size_t
source_page_records(const struct source_page *page)
{
	return page->n_incidents + page->n_events + page->n_samples + page->n_pipelines +
	       page->n_deployments + page->n_branches + page->n_check_runs;
}

struct store_incident *
source_page_incident(struct source_page *page)
{
	struct store_incident *inc;

	page->incidents = xgrow(page->incidents, &page->incidents_alloc, page->n_incidents + 1,
				sizeof(*page->incidents));
	inc = &page->incidents[page->n_incidents++];
	memset(inc, 0, sizeof(*inc));
	/* Every milestone starts unknown; 0 would be a real instant (1970). */
	inc->impact = MX_IMPACT_DEGRADED;
	inc->impact_start = TIME_NONE;
	inc->detected_at = TIME_NONE;
	inc->acknowledged_at = TIME_NONE;
	inc->contained_at = TIME_NONE;
	inc->resolved_at = TIME_NONE;
	inc->closed_at = TIME_NONE;
	inc->updated_at = TIME_NONE;
	inc->sla.start_time = TIME_NONE;
	inc->sla.stop_time = TIME_NONE;
	return inc;
}

struct source_event *
source_page_event(struct source_page *page)
{
	struct source_event *ev;

	page->events =
		xgrow(page->events, &page->events_alloc, page->n_events + 1, sizeof(*page->events));
	ev = &page->events[page->n_events++];
	memset(ev, 0, sizeof(*ev));
	ev->at = TIME_NONE;
	return ev;
}

struct source_sample *
source_page_sample(struct source_page *page)
{
	struct source_sample *s;

	page->samples = xgrow(page->samples, &page->samples_alloc, page->n_samples + 1,
			      sizeof(*page->samples));
	s = &page->samples[page->n_samples++];
	memset(s, 0, sizeof(*s));
	s->ts = TIME_NONE;
	return s;
}

/* ---- responses ---- */

char *
source_url(const char *base, const char *path)
{
	size_t len = base ? strlen(base) : 0;

	while (len > 0 && base[len - 1] == '/')
		len--;
	return xasprintf("%.*s%s", (int)len, base ? base : "", path ? path : "");
}

/* RFC 4648 base64 of len bytes (new). */
static char *
base64_encode(const char *data, size_t len)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)data;
	char *out = xmalloc(4 * ((len + 2) / 3) + 1), *o = out;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		*o++ = digits[(v >> 18) & 63];
		*o++ = digits[(v >> 12) & 63];
		*o++ = i + 1 < len ? digits[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? digits[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

void
source_request_basic(struct source_request *req, const char *user, const char *secret)
{
	char *pair, *encoded, *value;

	if (!user || !secret)
		return;
	pair = xasprintf("%s:%s", user, secret);
	encoded = base64_encode(pair, strlen(pair));
	value = xasprintf("Basic %s", encoded);
	source_request_header(req, "Authorization", value);
	/* The header holds its own copy; wipe these. */
	secret_free(&pair);
	secret_free(&encoded);
	secret_free(&value);
}

void
source_request_bearer(struct source_request *req, const char *secret)
{
	char *value;

	if (!secret || !*secret)
		return;
	value = xasprintf("Bearer %s", secret);
	source_request_header(req, "Authorization", value);
	/* The header holds its own copy; wipe this one. */
	memset(value, 0, strlen(value));
	free(value);
}

const char *
source_default_service(const struct source_ctx *ctx)
{
	if (!ctx->config)
		return NULL;
	return ctx->config->service ? ctx->config->service
				    : config_source_get(ctx->config, "service");
}

char *
source_error_text(const char *s, size_t len)
{
	char buf[ERROR_TEXT_COLUMNS * 4 + 8], *clean;

	if (!s)
		return xstrdup("");
	/* Only the start is worth quoting, and sanitizing a 64 MB body to quote 160
	 * columns of it would cost three times its size. */
	clean = text_sanitize(s, len < ERROR_TEXT_BYTES ? len : ERROR_TEXT_BYTES, false);
	text_truncate(clean, ERROR_TEXT_COLUMNS, true, buf, sizeof(buf));
	free(clean);
	return xstrdup(buf);
}

enum status_code
source_check_response(const char *type, const char *stream, const struct http_response *resp)
{
	enum status_code code;
	char *text;

	if (resp->status == 0) {
		text = source_error_text(resp->error, strlen(resp->error));
		code = error("%s %s: no response: %s", type, stream,
			     *text ? text : "unknown error");
		free(text);
		return code;
	}
	if (resp->too_big)
		return error("%s %s: the response is larger than the size limit", type, stream);
	if (resp->status != 200) {
		text = source_error_text(resp->body, resp->body ? resp->body_len : 0);
		code = error("%s %s: HTTP %ld: %s", type, stream, resp->status,
			     *text ? text : "(empty body)");
		free(text);
		return code;
	}
	if (!resp->body || resp->body_len == 0)
		return error("%s %s: empty response body (HTTP 200)", type, stream);
	return SUCCESS;
}

enum status_code
source_parse_json(const char *type, const char *stream, const struct http_response *resp,
		  json_t **out)
{
	json_error_t err;
	enum status_code code;
	char *text;

	*out = NULL;
	if (!resp->body || resp->body_len == 0)
		return error("%s %s: empty response body", type, stream);
	/* JSON_ALLOW_NUL: one title with a \u0000 in it must not stop the whole
	 * source; jansson's C strings then simply end there. */
	*out = json_loadb(resp->body, resp->body_len, JSON_ALLOW_NUL, &err);
	if (*out)
		return SUCCESS;
	/* jansson quotes the offending input ("near '<html>'"): untrusted. */
	text = source_error_text(err.text, strlen(err.text));
	code = error("%s %s: the response is not JSON (line %d, column %d: %s)", type, stream,
		     err.line, err.column, text);
	free(text);
	return code;
}

/* ---- metric streams ---- */

static int64_t
floor_to(int64_t t, int64_t step)
{
	int64_t q = t / step;

	if (t % step != 0 && t < 0)
		q--;
	return q * step;
}

/* A cursor is the decimal epoch second of the last sample. */
static bool
parse_metric_cursor(const char *cursor, int64_t *out)
{
	int64_t v = 0;
	const char *p;

	if (!cursor || !*cursor)
		return false;
	for (p = cursor; *p; p++) {
		if (*p < '0' || *p > '9' || v > (MAX_EPOCH - (*p - '0')) / 10)
			return false;
		v = v * 10 + (*p - '0');
	}
	*out = v;
	return true;
}

void
source_metric_window(const char *cursor, int64_t now, int64_t step, int64_t backfill,
		     size_t max_points, int64_t *start, int64_t *end)
{
	int64_t from;

	if (step <= 0)
		step = METRIC_DEFAULT_STEP;
	if (!parse_metric_cursor(cursor, &from))
		from = now - (backfill > 0 ? backfill : METRIC_BACKFILL);
	*end = now;
	*start = floor_to(from > now ? now : from, step);
	if (max_points && (uint64_t)((*end - *start) / step + 1) > max_points)
		*start = floor_to(*end, step) - (int64_t)(max_points - 1) * step;
}

const char *
source_metric_service(struct source_page *page, const struct source_ctx *ctx, const char *name)
{
	const char *dot = name ? strchr(name, '.') : NULL;

	/* [metric "checkout.rpm"]: the service is the part before the first dot. */
	if (dot)
		return source_page_strndup(page, name, (size_t)(dot - name));
	return source_page_strdup(page, source_default_service(ctx));
}

/* ---- alerts labelled the Prometheus way ---- */

static int
cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names of an object's members, sorted bytewise as Go's sort.Strings does
 * (new array of borrowed names; NULL when there are none). */
static const char **
sorted_keys(const json_t *obj, size_t *n)
{
	const char **keys = NULL;
	const char *key;
	json_t *value;
	size_t i = 0;

	*n = json_is_object(obj) ? json_object_size(obj) : 0;
	if (*n == 0)
		return NULL;
	keys = xcalloc(*n, sizeof(*keys));
	json_object_foreach((json_t *)(uintptr_t)obj, key, value)
	{
		(void)value;
		if (i < *n)
			keys[i++] = key;
	}
	*n = i;
	qsort(keys, *n, sizeof(*keys), cmp_key);
	return keys;
}

#define FNV64_OFFSET 14695981039346656037ULL
#define FNV64_PRIME 1099511628211ULL
#define LABEL_SEPARATOR 0xff

static uint64_t
fnv_add(uint64_t h, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= FNV64_PRIME;
	}
	return h;
}

static uint64_t
fnv_add_byte(uint64_t h, unsigned char b)
{
	h ^= b;
	return h * FNV64_PRIME;
}

uint64_t
source_labels_fingerprint(const json_t *labels)
{
	uint64_t h = FNV64_OFFSET;
	const char **keys;
	size_t i, n;

	keys = sorted_keys(labels, &n);
	for (i = 0; i < n; i++) {
		const json_t *v = json_object_get(labels, keys[i]);
		const char *value = json_is_string(v) ? json_string_value(v) : "";
		size_t vlen = json_is_string(v) ? json_string_length(v) : 0;

		h = fnv_add(h, keys[i], strlen(keys[i]));
		h = fnv_add_byte(h, LABEL_SEPARATOR);
		h = fnv_add(h, value, vlen);
		h = fnv_add_byte(h, LABEL_SEPARATOR);
	}
	free(keys);
	return h;
}

const char *
source_labels_canonical(struct source_page *page, const json_t *labels)
{
	const char **keys;
	const char *out = NULL;
	struct buf b;
	size_t i, n;

	buf_init(&b, 0);
	keys = sorted_keys(labels, &n);
	for (i = 0; i < n; i++) {
		const json_t *v = json_object_get(labels, keys[i]);
		const char *p;

		if (!json_is_string(v))
			goto out;
		if (i > 0)
			buf_addch(&b, ',');
		buf_addstr(&b, keys[i]);
		buf_addch(&b, '=');
		/* Label names cannot hold ',' or '=' (Prometheus: [a-zA-Z_][a-zA-Z0-9_]*),
		 * values can: escaping keeps "a=x,b=y" one reading only. */
		for (p = json_string_value(v); *p; p++) {
			if (*p == ',' || *p == '\\')
				buf_addch(&b, '\\');
			buf_addch(&b, *p);
		}
	}
	out = source_page_strndup(page, b.data ? b.data : "", b.len);
out:
	free(keys);
	buf_release(&b);
	return out;
}

static bool
strcaseeq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
	return *a == *b;
}

const char *
source_severity(const char *label)
{
	static const struct {
		const char *label, *priority;
	} map[] = {
		{ "critical", "P1" }, { "high", "P2" }, { "error", "P2" }, { "warning", "P3" },
		{ "info", "P4" },     { "p1", "P1" },	{ "p2", "P2" },	   { "p3", "P3" },
		{ "p4", "P4" },	      { "p5", "P5" },
	};
	size_t i;

	for (i = 0; label && i < ARRAY_SIZE(map); i++)
		if (strcaseeq(label, map[i].label))
			return map[i].priority;
	return NULL;
}

/* A non-empty string member of obj, or NULL. */
static const char *
string_member(const json_t *obj, const char *key)
{
	const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;

	return s && *s ? s : NULL;
}

void
source_alert_describe(struct source_page *page, struct store_incident *incident,
		      const json_t *labels, const json_t *annotations, const char *default_service,
		      const char *fallback_title)
{
	const char **services = source_page_alloc(page, sizeof(*services));
	const char *service = string_member(labels, "service");
	const char *title = string_member(annotations, "summary");

	if (!service)
		service = string_member(labels, "job");
	if (!service)
		service = default_service && *default_service ? default_service : "unknown";
	services[0] = source_page_strdup(page, service);
	incident->services = services;
	incident->n_services = 1;

	if (!title)
		title = string_member(annotations, "description");
	if (!title)
		title = string_member(labels, "alertname");
	if (!title)
		title = fallback_title;
	incident->title = source_page_strdup(page, title);

	incident->severity = source_severity(string_member(labels, "severity"));
	incident->impact = streq(incident->severity, "P1") ? MX_IMPACT_OUTAGE : MX_IMPACT_DEGRADED;
}

/* ---- stages ---- */

const char *
source_stage_kind(const struct source_ctx *ctx, const char *name)
{
	/* In this order: "publish image" is publishing, "ui-tests" integration, "build
	 * and test" a build. */
	static const struct config_rule_default usual[] = {
		{ "deploy",
		  { "*deploy*", "*rollout*", "*promote*", "*canary*", "staging", "production",
		    "prod" } },
		{ "release", { "*release*", "tag", "tag *", "* tag", "*tagging*" } },
		{ "publish", { "*publish*", "*push*", "*upload*", "*alpha*", "*artifact*" } },
		{ "integration",
		  { "*integration*", "*e2e*", "*end-to-end*", "*ui*test*", "*behav*",
		    "*acceptance*", "*smoke*", "*cypress*", "*selenium*", "*playwright*", "*bdd*",
		    "*functional*" } },
		{ "build", { "*build*", "*docker*", "*image*", "*compile*", "*package*" } },
		{ "test", { "*unit*", "*test*", "*spec*", "*coverage*", "*pytest*", "*jest*" } },
		{ "lint", { "*lint*", "*fmt*", "*format*", "*style*", "*vet*", "*static*" } },
	};

	return config_rule_kind(ctx ? ctx->stage_rules : NULL, ctx ? ctx->n_stage_rules : 0, usual,
				ARRAY_SIZE(usual), name);
}

enum status_code
source_check_write(const char *type, const char *name, const char *what,
		   const struct http_response *resp, long ok)
{
	enum status_code code;
	const char *said = NULL;
	json_t *root = NULL;
	char *text;

	if (resp->status == ok)
		return SUCCESS;
	if (resp->status == 0) {
		text = source_error_text(resp->error, strlen(resp->error));
		code = error("%s %s: %s: no response: %s (not sent again: it may have reached "
			     "the upstream; the next sync shows whether it did)",
			     type, name, what, *text ? text : "unknown error");
		free(text);
		return code;
	}
	/* GitHub, GitLab and Argo CD all say why in "message". */
	if (resp->body && resp->body_len)
		root = json_loadb(resp->body, resp->body_len, 0, NULL);
	if (json_is_object(root) && json_is_string(json_object_get(root, "message")))
		said = json_string_value(json_object_get(root, "message"));
	text = said ? source_error_text(said, strlen(said))
		    : source_error_text(resp->body, resp->body ? resp->body_len : 0);
	code = error("%s %s: %s: HTTP %ld: %s", type, name, what, resp->status,
		     *text ? text : "(empty body)");
	free(text);
	json_decref(root);
	return code;
}
