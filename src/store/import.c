/* import.c - reads the import format (sitrep-import/1) into the cache.
 *
 * The file is mapped and walked one record at a time (json_scan), so memory does not
 * grow with its size. Every record is validated; the first problem stops writing but
 * not checking, so one run names every bad record. All writes happen in one
 * transaction that is rolled back unless the whole file was valid. This file speaks
 * to the cache only through store_*() calls. */
#include "sitrep/sitrep.h"
#include "sitrep/import.h"
#include "sitrep/json.h"
#include "sitrep/text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Problems past this many are counted, not kept: a broken generator can produce
 * millions, and nobody reads past the first screen. */
#define MAX_KEPT_PROBLEMS 100
#define MAX_STDIN_BYTES ((size_t)4 << 30)

struct importer {
	struct store *store;
	struct import_report *report;
	bool writing;                /* false after the first problem */
	enum status_code store_code; /* a failure of the cache itself */
	/* scratch arrays reused from record to record */
	const char **services;
	size_t services_alloc;
	struct mx_reopen *reopens;
	size_t reopens_alloc;
	struct mx_pause *pauses;
	size_t pauses_alloc;
	struct dora_commit *commits;
	size_t commits_alloc;
};

static void PRINTF_LIKE(3, 4)
problem(struct importer *im, const char *path, const char *fmt, ...)
{
	struct import_report *r = im->report;
	struct buf b;
	va_list ap;

	im->writing = false;
	r->n_problems++;
	if (r->kept_problems >= MAX_KEPT_PROBLEMS)
		return;
	/* "incidents[2]" + ".detected_at: ..." or + ": not an object" */
	buf_init(&b, 0);
	buf_printf(&b, "%s%s", path, fmt[0] == '.' || fmt[0] == '[' ? "" : ": ");
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	r->problems = xrealloc(r->problems, (r->kept_problems + 1) * sizeof(*r->problems));
	r->problems[r->kept_problems++] = buf_detach(&b);
}

/* A short, terminal-safe rendering of a bad value for a message. */
static char *
quote_value(const json_t *v)
{
	char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	char *safe, *cut;

	if (!text)
		return xstrdup("?");
	safe = text_sanitize(text, strlen(text), false);
	free(text);
	if (strlen(safe) > 60) {
		cut = xasprintf("%.57s...", safe);
		free(safe);
		return cut;
	}
	return safe;
}

static void
store_failed(struct importer *im, enum status_code code)
{
	if (code != SUCCESS && im->store_code == SUCCESS) {
		im->store_code = code;
		problem(im, "cache", "%s", status_message(code));
	}
}

/* ---- typed getters: each records a problem and returns false on a bad value ---- */

static bool
get_string(struct importer *im, json_t *obj, const char *key, const char *path, bool required,
	   const char **out)
{
	json_t *v = json_object_get(obj, key);
	char *q;

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			problem(im, path, ".%s: missing", key);
		return !required;
	}
	if (json_is_string(v) && json_string_length(v) > 0) {
		*out = json_string_value(v);
		return true;
	}
	q = quote_value(v);
	problem(im, path, ".%s: not a non-empty string: %s", key, q);
	free(q);
	return false;
}

static bool
get_time(struct importer *im, json_t *obj, const char *key, const char *path, bool required,
	 int64_t *out)
{
	json_t *v = json_object_get(obj, key);
	char *q;

	*out = TIME_NONE;
	if (!v || json_is_null(v)) {
		if (required)
			problem(im, path, ".%s: missing", key);
		return !required;
	}
	if (json_is_string(v) && timestamp_parse(json_string_value(v), out))
		return true;
	if (json_is_integer(v)) {
		/* epoch seconds or milliseconds, as the upstreams give them */
		char digits[32];

		snprintf(digits, sizeof(digits), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		if (timestamp_parse(digits, out))
			return true;
	}
	q = quote_value(v);
	problem(im, path, ".%s: not a timestamp: %s", key, q);
	free(q);
	return false;
}

static bool
get_number(struct importer *im, json_t *obj, const char *key, const char *path, double min,
	   double max, double *out)
{
	json_t *v = json_object_get(obj, key);
	char *q;

	if (!v || json_is_null(v))
		return true;
	if (json_is_number(v) && json_number_value(v) >= min && json_number_value(v) <= max) {
		*out = json_number_value(v);
		return true;
	}
	q = quote_value(v);
	problem(im, path, ".%s: not a number from %g to %g: %s", key, min, max, q);
	free(q);
	return false;
}

/* Maps a string value to the index of its name in names; absent keeps *out. */
static bool
get_enum(struct importer *im, json_t *obj, const char *key, const char *path,
	 const char *const *names, size_t n, int *out)
{
	const char *s;
	size_t i;

	if (!get_string(im, obj, key, path, false, &s))
		return false;
	if (!s)
		return true;
	for (i = 0; i < n; i++) {
		if (names[i] && streq(s, names[i])) {
			*out = (int)i;
			return true;
		}
	}
	{
		char *q = quote_value(json_object_get(obj, key));
		struct buf allowed;

		buf_init(&allowed, 0);
		for (i = 0; i < n; i++)
			if (names[i])
				buf_printf(&allowed, "%s%s", allowed.len ? ", " : "", names[i]);
		problem(im, path, ".%s: %s is not one of %s", key, q, allowed.data);
		buf_release(&allowed);
		free(q);
	}
	return false;
}

static void
path_of(char *buf, size_t size, const char *array, size_t index, const char *sub)
{
	if (sub)
		snprintf(buf, size, "%s[%zu].%s", array, index, sub);
	else
		snprintf(buf, size, "%s[%zu]", array, index);
}

/* ---- settings and services ---- */

static const char *const weekday_names[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

static bool
valid_clock(const char *s)
{
	return s && strlen(s) == 5 && s[2] == ':' && s[0] >= '0' && s[0] <= '2' && s[1] >= '0' &&
	       s[1] <= '9' && s[3] >= '0' && s[3] <= '5' && s[4] >= '0' && s[4] <= '9' &&
	       ((s[0] - '0') * 10 + (s[1] - '0')) <= 24;
}

static void
check_business_hours(struct importer *im, json_t *bh)
{
	const char *path = "settings.business_hours";
	const char *tz = NULL, *start = NULL, *end = NULL;
	json_t *days = json_object_get(bh, "weekdays"), *v;
	size_t i;

	if (!json_is_object(bh)) {
		problem(im, path, "not an object");
		return;
	}
	get_string(im, bh, "timezone", path, false, &tz);
	if (tz && !streq(tz, "UTC") && !streq(tz, "Z") &&
	    !((tz[0] == '+' || tz[0] == '-') && valid_clock(tz + 1)))
		problem(im, path, ".timezone: \"%s\" is not supported: use UTC or a fixed offset such as +01:00",
			tz);
	if (get_string(im, bh, "start", path, false, &start) && start && !valid_clock(start))
		problem(im, path, ".start: not a HH:MM time");
	if (get_string(im, bh, "end", path, false, &end) && end && !valid_clock(end))
		problem(im, path, ".end: not a HH:MM time");
	if (start && end && strcmp(start, end) >= 0)
		problem(im, path, ".end: must be after start");
	if (days && !json_is_array(days))
		problem(im, path, ".weekdays: not an array");
	json_array_foreach(days, i, v) {
		size_t d;

		for (d = 0; d < ARRAY_SIZE(weekday_names); d++)
			if (json_is_string(v) && streq(json_string_value(v), weekday_names[d]))
				break;
		if (d == ARRAY_SIZE(weekday_names))
			problem(im, path, ".weekdays[%zu]: not one of Sun, Mon, Tue, Wed, Thu, Fri, Sat", i);
	}
	v = json_object_get(bh, "holidays");
	if (v && !json_is_array(v))
		problem(im, path, ".holidays: not an array");
	json_array_foreach(v, i, days) {
		int64_t t;

		if (!json_is_string(days) || strlen(json_string_value(days)) != 10 ||
		    !timestamp_parse(json_string_value(days), &t))
			problem(im, path, ".holidays[%zu]: not a YYYY-MM-DD date", i);
	}
}

static void
import_settings(struct importer *im, json_t *settings)
{
	double hours = 24;
	json_t *bh;

	if (!json_is_object(settings)) {
		problem(im, "settings", "not an object");
		return;
	}
	if (get_number(im, settings, "reopen_merge_window_hours", "settings", 0, 24 * 365, &hours) &&
	    im->writing) {
		char text[32];

		snprintf(text, sizeof(text), "%.17g", hours);
		store_failed(im, store_set_setting(im->store, "reopen_merge_window_hours", text));
	}
	bh = json_object_get(settings, "business_hours");
	if (!bh || json_is_null(bh))
		return;
	check_business_hours(im, bh);
	if (im->writing) {
		char *text = json_dumps(bh, JSON_COMPACT | JSON_PRESERVE_ORDER);

		store_failed(im, store_set_setting(im->store, "business_hours", text));
		free(text);
	}
}

/* "0.999", 0.999 and "99.9%" all mean the same objective. */
static bool
parse_slo(json_t *v, double *out)
{
	char *end;
	double d;

	if (json_is_number(v)) {
		d = json_number_value(v);
	} else if (json_is_string(v)) {
		errno = 0;
		d = strtod(json_string_value(v), &end);
		if (errno || end == json_string_value(v))
			return false;
		if (*end == '%') {
			d /= 100;
			end++;
		}
		if (*end)
			return false;
	} else {
		return false;
	}
	if (!(d > 0 && d < 1))
		return false;
	*out = d;
	return true;
}

static void
import_service(struct importer *im, json_t *v, size_t index)
{
	struct store_service s = { 0 };
	char path[64];
	double days = 0, tier = 0;
	json_t *slo;

	path_of(path, sizeof(path), "services", index, NULL);
	if (json_is_string(v)) {
		s.name = (char *)(uintptr_t)json_string_value(v);
	} else if (json_is_object(v)) {
		const char *name;

		if (!get_string(im, v, "name", path, true, &name))
			return;
		s.name = (char *)(uintptr_t)name;
		slo = json_object_get(v, "slo");
		if (slo && !json_is_null(slo) && !parse_slo(slo, &s.slo)) {
			char *q = quote_value(slo);

			problem(im, path, ".slo: not an objective between 0 and 1 such as \"0.999\": %s", q);
			free(q);
		}
		get_number(im, v, "slo_period_days", path, 1, 366, &days);
		get_number(im, v, "tier", path, 0, 9, &tier);
		s.slo_period_days = (int)days;
		s.tier = (int)tier;
	} else {
		problem(im, path, "not a name or an object");
		return;
	}
	if (im->writing)
		store_failed(im, store_upsert_service(im->store, &s));
	im->report->services++;
}

/* ---- incidents ---- */

static const char *const impact_names[] = { "outage", "degraded", "planned" };
static const char *const schedule_names[] = { "24x7", "business_hours" };
static const char *const severity_names[] = { "P1", "P2", "P3", "P4", "P5" };

static bool
read_services(struct importer *im, json_t *rec, const char *path, struct store_incident *in)
{
	json_t *v = json_object_get(rec, "service"), *item;
	size_t i;

	in->n_services = 0;
	if (json_is_string(v) && json_string_length(v)) {
		im->services = xgrow(im->services, &im->services_alloc, 1, sizeof(*im->services));
		im->services[0] = json_string_value(v);
		in->n_services = 1;
	} else if (json_is_array(v) && json_array_size(v) > 0) {
		im->services = xgrow(im->services, &im->services_alloc, json_array_size(v),
				     sizeof(*im->services));
		json_array_foreach(v, i, item) {
			if (!json_is_string(item) || !json_string_length(item)) {
				problem(im, path, ".service[%zu]: not a service name", i);
				return false;
			}
			im->services[in->n_services++] = json_string_value(item);
		}
	} else {
		problem(im, path, ".service: %s", v ? "not a name or a non-empty array of names" : "missing");
		return false;
	}
	in->services = im->services;
	return true;
}

static bool
read_reopens(struct importer *im, json_t *rec, const char *path, struct store_incident *in)
{
	json_t *v = json_object_get(rec, "reopens"), *item;
	char sub[256];
	bool ok = true;
	size_t i;

	in->n_reopens = 0;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_array(v)) {
		problem(im, path, ".reopens: not an array");
		return false;
	}
	im->reopens = xgrow(im->reopens, &im->reopens_alloc, json_array_size(v) + 1, sizeof(*im->reopens));
	json_array_foreach(v, i, item) {
		struct mx_reopen *r = &im->reopens[in->n_reopens];

		snprintf(sub, sizeof(sub), "%s.reopens[%zu]", path, i);
		if (!json_is_object(item)) {
			problem(im, sub, "not an object");
			ok = false;
			continue;
		}
		ok &= get_time(im, item, "resolved_at", sub, true, &r->resolved_at);
		ok &= get_time(im, item, "reopened_at", sub, true, &r->reopened_at);
		if (ok && r->reopened_at < r->resolved_at) {
			problem(im, sub, ".reopened_at: before resolved_at");
			ok = false;
		}
		in->n_reopens++;
	}
	in->reopens = im->reopens;
	return ok;
}

static bool
read_pauses(struct importer *im, json_t *sla, const char *path, struct mx_sla *out)
{
	json_t *v = json_object_get(sla, "pauses"), *pair;
	bool ok = true;
	size_t i;

	out->n_pauses = 0;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_array(v)) {
		problem(im, path, ".pauses: not an array");
		return false;
	}
	im->pauses = xgrow(im->pauses, &im->pauses_alloc, json_array_size(v) + 1, sizeof(*im->pauses));
	json_array_foreach(v, i, pair) {
		struct mx_pause *p = &im->pauses[out->n_pauses];
		json_t *a = json_array_get(pair, 0), *b = json_array_get(pair, 1);

		if (!json_is_array(pair) || json_array_size(pair) != 2 || !json_is_string(a) ||
		    !json_is_string(b) || !timestamp_parse(json_string_value(a), &p->start) ||
		    !timestamp_parse(json_string_value(b), &p->end) || p->end < p->start) {
			problem(im, path, ".pauses[%zu]: not a [start, end] pair of timestamps", i);
			ok = false;
			continue;
		}
		out->n_pauses++;
	}
	out->pauses = im->pauses;
	return ok;
}

static bool
read_sla(struct importer *im, json_t *rec, const char *path, struct store_incident *in)
{
	json_t *sla = json_object_get(rec, "sla");
	char sub[256];
	double target = 0;
	int schedule = MX_SCHEDULE_24X7;
	bool ok = true;

	memset(&in->sla, 0, sizeof(in->sla));
	in->sla_policy = NULL;
	if (!sla || json_is_null(sla))
		return true;
	snprintf(sub, sizeof(sub), "%s.sla", path);
	if (!json_is_object(sla)) {
		problem(im, sub, "not an object");
		return false;
	}
	ok &= get_string(im, sla, "policy", sub, false, &in->sla_policy);
	if (!json_object_get(sla, "target_minutes")) {
		problem(im, sub, ".target_minutes: missing");
		ok = false;
	}
	ok &= get_number(im, sla, "target_minutes", sub, 0.001, 1e9, &target);
	ok &= get_enum(im, sla, "schedule", sub, schedule_names, ARRAY_SIZE(schedule_names), &schedule);
	ok &= get_time(im, sla, "start_time", sub, false, &in->sla.start_time);
	ok &= get_time(im, sla, "stop_time", sub, false, &in->sla.stop_time);
	ok &= read_pauses(im, sla, sub, &in->sla);
	if (in->sla.start_time == TIME_NONE)
		in->sla.start_time = in->detected_at;
	in->sla.present = true;
	in->sla.target_seconds = (int64_t)(target * 60 + 0.5);
	in->sla.schedule = (enum mx_schedule)schedule;
	return ok;
}

/* The latest milestone: the default updated_at of a record that has none, so that a
 * later export of a more advanced incident wins over an older one. */
static int64_t
latest_milestone(const struct store_incident *in)
{
	const int64_t t[] = { in->impact_start, in->detected_at, in->acknowledged_at,
			      in->contained_at, in->resolved_at, in->closed_at };
	int64_t latest = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++)
		if (t[i] != TIME_NONE && t[i] > latest)
			latest = t[i];
	return latest;
}

static bool
read_incident(struct importer *im, json_t *rec, const char *path, struct store_incident *in)
{
	int impact = MX_IMPACT_OUTAGE, severity = 0;
	bool ok = true;

	memset(in, 0, sizeof(*in));
	ok &= get_string(im, rec, "id", path, true, &in->source_id);
	ok &= get_string(im, rec, "source", path, true, &in->source);
	ok &= read_services(im, rec, path, in);
	ok &= get_string(im, rec, "title", path, false, &in->title);
	ok &= get_enum(im, rec, "severity", path, severity_names, ARRAY_SIZE(severity_names), &severity);
	in->severity = json_is_string(json_object_get(rec, "severity")) ? severity_names[severity] : NULL;
	ok &= get_enum(im, rec, "impact", path, impact_names, ARRAY_SIZE(impact_names), &impact);
	in->impact = (enum mx_impact)impact;
	ok &= get_time(im, rec, "impact_start", path, false, &in->impact_start);
	ok &= get_time(im, rec, "detected_at", path, true, &in->detected_at);
	ok &= get_time(im, rec, "acknowledged_at", path, false, &in->acknowledged_at);
	ok &= get_time(im, rec, "contained_at", path, false, &in->contained_at);
	ok &= get_time(im, rec, "resolved_at", path, false, &in->resolved_at);
	ok &= get_time(im, rec, "closed_at", path, false, &in->closed_at);
	ok &= read_reopens(im, rec, path, in);
	ok &= get_string(im, rec, "caused_by_deployment", path, false, &in->caused_by);
	ok &= get_string(im, rec, "url", path, false, &in->url);
	ok &= read_sla(im, rec, path, in);
	ok &= get_time(im, rec, "updated_at", path, false, &in->updated_at);
	if (in->updated_at == TIME_NONE)
		in->updated_at = latest_milestone(in);
	return ok;
}

static void
import_incident(struct importer *im, json_t *rec, size_t index)
{
	struct store_incident in;
	char path[64];

	path_of(path, sizeof(path), "incidents", index, NULL);
	if (!json_is_object(rec)) {
		problem(im, path, "not an object");
		return;
	}
	if (read_incident(im, rec, path, &in) && im->writing)
		store_failed(im, store_upsert_incident(im->store, &in));
	im->report->incidents++;
}

/* ---- deployments ---- */

static const char *const kind_names[] = { "normal", "hotfix", "rollback" };
static const char *const pattern_names[] = { "recreate", "rolling", "blue-green", "canary", "ab", "shadow" };

static bool
read_commits(struct importer *im, json_t *rec, const char *path, struct store_deployment *d)
{
	json_t *v = json_object_get(rec, "commits"), *item;
	char sub[256];
	bool ok = true;
	size_t i;

	d->n_commits = 0;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_array(v)) {
		problem(im, path, ".commits: not an array");
		return false;
	}
	im->commits = xgrow(im->commits, &im->commits_alloc, json_array_size(v) + 1, sizeof(*im->commits));
	json_array_foreach(v, i, item) {
		struct dora_commit *c = &im->commits[d->n_commits];

		snprintf(sub, sizeof(sub), "%s.commits[%zu]", path, i);
		if (!json_is_object(item)) {
			problem(im, sub, "not an object");
			ok = false;
			continue;
		}
		ok &= get_string(im, item, "sha", sub, true, &c->sha);
		ok &= get_time(im, item, "committed_at", sub, false, &c->committed_at);
		d->n_commits++;
	}
	d->commits = im->commits;
	return ok;
}

static bool
read_deployment(struct importer *im, json_t *rec, const char *path, struct store_deployment *d)
{
	int kind = DORA_NORMAL, pattern = -1;
	bool ok = true;

	memset(d, 0, sizeof(*d));
	ok &= get_string(im, rec, "id", path, true, &d->source_id);
	ok &= get_string(im, rec, "source", path, true, &d->source);
	ok &= get_string(im, rec, "service", path, true, &d->service);
	ok &= get_string(im, rec, "environment", path, true, &d->environment);
	ok &= get_string(im, rec, "status", path, true, &d->status);
	ok &= get_enum(im, rec, "kind", path, kind_names, ARRAY_SIZE(kind_names), &kind);
	d->kind = (enum dora_kind)kind;
	ok &= get_string(im, rec, "version", path, false, &d->version);
	ok &= get_string(im, rec, "sha", path, false, &d->sha);
	ok &= get_enum(im, rec, "pattern", path, pattern_names, ARRAY_SIZE(pattern_names), &pattern);
	d->pattern = pattern >= 0 ? pattern_names[pattern] : NULL;
	ok &= get_time(im, rec, "started_at", path, false, &d->started_at);
	ok &= get_time(im, rec, "finished_at", path, false, &d->finished_at);
	ok &= get_string(im, rec, "fixes", path, false, &d->fixes);
	ok &= get_string(im, rec, "rolled_back_by", path, false, &d->rolled_back_by);
	ok &= read_commits(im, rec, path, d);
	ok &= get_time(im, rec, "updated_at", path, false, &d->updated_at);
	if (d->updated_at == TIME_NONE)
		d->updated_at = d->finished_at != TIME_NONE ? d->finished_at :
				d->started_at != TIME_NONE ? d->started_at : 0;
	return ok;
}

static void
import_deployment(struct importer *im, json_t *rec, size_t index)
{
	struct store_deployment d;
	char path[64];

	path_of(path, sizeof(path), "deployments", index, NULL);
	if (!json_is_object(rec)) {
		problem(im, path, "not an object");
		return;
	}
	if (read_deployment(im, rec, path, &d) && im->writing)
		store_failed(im, store_upsert_deployment(im->store, &d));
	im->report->deployments++;
}

/* ---- the document ---- */

typedef void (*record_fn)(struct importer *im, json_t *rec, size_t index);

/* Walks an array member element by element, parsing each on its own. */
static bool
import_array(struct importer *im, struct json_scan *scan, const char *name, record_fn fn)
{
	const char *text;
	size_t len, index = 0;
	char msg[200], path[64];

	if (!json_scan_array_begin(scan)) {
		problem(im, name, "not an array");
		return false;
	}
	while (json_scan_element(scan, &text, &len)) {
		json_t *rec = json_parse(text, len, msg, sizeof(msg));

		if (!rec) {
			int line, column;

			json_scan_position(scan, text, &line, &column);
			path_of(path, sizeof(path), name, index, NULL);
			problem(im, path, "line %d: invalid JSON: %s", line, msg);
		} else {
			fn(im, rec, index);
			json_decref(rec);
		}
		index++;
	}
	return scan->error[0] == '\0';
}

static bool
import_member(struct importer *im, struct json_scan *scan, const char *key, bool *seen_format)
{
	const char *text;
	size_t len;
	char msg[200];
	json_t *v;

	if (streq(key, "incidents"))
		return import_array(im, scan, "incidents", import_incident);
	if (streq(key, "deployments"))
		return import_array(im, scan, "deployments", import_deployment);
	if (streq(key, "services"))
		return import_array(im, scan, "services", import_service);
	if (!json_scan_value(scan, &text, &len))
		return false;
	if (!streq(key, "format") && !streq(key, "settings"))
		return true; /* unknown keys are ignored, as the format says */
	if (!(v = json_parse(text, len, msg, sizeof(msg)))) {
		problem(im, key, "invalid JSON: %s", msg);
		return true;
	}
	if (streq(key, "settings")) {
		import_settings(im, v);
	} else {
		*seen_format = true;
		if (!json_is_string(v) || !streq(json_string_value(v), IMPORT_FORMAT)) {
			char *q = quote_value(v);

			problem(im, "format", "%s is not \"" IMPORT_FORMAT "\"", q);
			free(q);
		}
	}
	json_decref(v);
	return true;
}

static void
import_document(struct importer *im, const char *text, size_t len)
{
	struct json_scan scan;
	bool seen_format = false;
	char *key;

	json_scan_init(&scan, text, len);
	if (!json_scan_object_begin(&scan)) {
		problem(im, "(file)", "%s", scan.error);
		return;
	}
	while (json_scan_member(&scan, &key)) {
		bool ok = import_member(im, &scan, key, &seen_format);

		free(key);
		if (!ok)
			break;
	}
	if (scan.error[0] || !json_scan_end(&scan))
		problem(im, "(file)", "%s", scan.error);
	else if (!seen_format)
		problem(im, "format", "missing: the file must say \"format\": \"" IMPORT_FORMAT "\"");
}

/* Maps path (or reads standard input for "-"); *unmap says how to free. */
static enum status_code
load_text(const char *path, char **text, size_t *len, bool *mapped)
{
	struct stat st;
	int fd;

	*mapped = false;
	if (streq(path, "-")) {
		struct buf b;
		char chunk[65536];
		size_t n;

		buf_init(&b, MAX_STDIN_BYTES);
		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
			if (!buf_add(&b, chunk, n)) {
				buf_release(&b);
				return error("standard input: larger than %zu bytes", MAX_STDIN_BYTES);
			}
		*len = b.len;
		*text = buf_detach(&b);
		return SUCCESS;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return error("%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return error("%s: not a regular file", path);
	}
	*len = (size_t)st.st_size;
	if (*len == 0) {
		close(fd);
		*text = xstrdup("");
		return SUCCESS;
	}
	*text = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (*text == MAP_FAILED)
		return error("%s: %s", path, strerror(errno));
	madvise(*text, *len, MADV_SEQUENTIAL);
	*mapped = true;
	return SUCCESS;
}

enum status_code
import_file(struct store *store, const char *path, struct import_report *report)
{
	struct importer im = { .store = store, .report = report, .writing = true };
	enum status_code code;
	char *text;
	size_t len;
	bool mapped;

	memset(report, 0, sizeof(*report));
	if ((code = load_text(path, &text, &len, &mapped)) != SUCCESS)
		return code;
	store_prepare_bulk(store);
	if ((code = store_begin(store)) == SUCCESS) {
		import_document(&im, text, len);
		if (report->n_problems == 0)
			code = store_commit(store);
		else
			code = error("%s: %zu problem%s; nothing was imported", path, report->n_problems,
				     report->n_problems == 1 ? "" : "s");
		if (code != SUCCESS)
			store_rollback(store);
	}
	if (mapped)
		munmap(text, len);
	else
		free(text);
	free(im.services);
	free(im.reopens);
	free(im.pauses);
	free(im.commits);
	return code;
}

void
import_report_release(struct import_report *report)
{
	size_t i;

	for (i = 0; i < report->kept_problems; i++)
		free(report->problems[i]);
	free(report->problems);
	memset(report, 0, sizeof(*report));
}
