/* import.c - reads the import format (sitrep-import/1) into the cache.
 *
 * The file is mapped and walked one record at a time (json_scan), so memory does not
 * grow with its size, and each record is tokenized in place (json_tok): no tree, no
 * allocation per record, which is what makes a million-record import cost about what
 * SQLite's own bulk load does. Every record is validated; the first problem stops
 * writing but not checking, so one run names every bad record. All writes happen in
 * one transaction that is rolled back unless the whole file was valid. This file
 * speaks to the cache only through store_*() calls. */
#include "sitrep/sitrep.h"
#include "sitrep/import.h"
#include "sitrep/json.h"
#include "sitrep/json_tok.h"
#include "sitrep/text.h"

#include <errno.h>
#include <math.h>
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
	bool writing;		     /* false after the first problem */
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
	struct store_sla *slas;
	size_t slas_alloc;
	/* the current record: its text, tokens, and its decoded strings */
	struct jtok_parser tok;
	const char *text;
	struct buf scratch;
	char *arena; /* NUL-terminated strings, stable for the record */
	size_t arena_len, arena_alloc;
};

/* ---- tokens of the current record ---- */

static const struct jtok *
tok_at(const struct importer *im, size_t t)
{
	return &im->tok.toks[t];
}

/* The value of key in object obj, 0 when absent; a JSON null counts as absent. */
static size_t
member(const struct importer *im, size_t obj, const char *key)
{
	size_t v = jtok_get(&im->tok, im->text, obj, key);

	return v && tok_at(im, v)->type != JTOK_NULL ? v : 0;
}

/* For members and elements (0 is "absent" there); a record itself is token 0, see
 * root_is(). */
static bool
is_type(const struct importer *im, size_t t, enum jtok_type type)
{
	return t && tok_at(im, t)->type == type;
}

static bool
root_is(const struct importer *im, enum jtok_type type)
{
	return tok_at(im, 0)->type == type;
}

/* Room for every string of a record of len bytes: decoding never lengthens a string,
 * and each needs one NUL. Reserved before the record, so pointers stay valid. */
static void
arena_reset(struct importer *im, size_t len)
{
	size_t need = len + im->tok.n + 1;

	if (need > im->arena_alloc) {
		free(im->arena);
		im->arena_alloc = need;
		im->arena = xmalloc(need);
	}
	im->arena_len = 0;
}

/* String token t decoded, NUL-terminated, valid until the next record; NULL when
 * it is not a string or holds a NUL character (it could not be a C string). */
static const char *
tok_cstr(struct importer *im, size_t t)
{
	char *out;

	if (tok_at(im, t)->type != JTOK_STRING ||
	    !jtok_string(&im->tok, im->text, t, &im->scratch) ||
	    memchr(im->scratch.data, '\0', im->scratch.len) ||
	    im->arena_len + im->scratch.len + 1 > im->arena_alloc)
		return NULL;
	out = im->arena + im->arena_len;
	memcpy(out, im->scratch.data, im->scratch.len + 1);
	im->arena_len += im->scratch.len + 1;
	return out;
}

static void PRINTF_LIKE(3, 4) problem(struct importer *im, const char *path, const char *fmt, ...)
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
	buf_printf(&b, "%s%s", path, fmt[0] == '.' || fmt[0] == '[' || fmt[0] == ':' ? "" : ": ");
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	r->problems = xrealloc(r->problems, (r->kept_problems + 1) * sizeof(*r->problems));
	r->problems[r->kept_problems++] = buf_detach(&b);
}

/* A short, terminal-safe rendering of a bad value for a message: its text as it
 * stands in the file, quotes included. */
static char *
quote_value(const struct importer *im, size_t t)
{
	const struct jtok *k = tok_at(im, t);
	size_t start = k->type == JTOK_STRING ? k->start - 1 : k->start;
	size_t end = k->type == JTOK_STRING ? k->end + 1 : k->end;
	char *safe = text_sanitize(im->text + start, end - start, false), *cut;

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
bad_value(struct importer *im, const char *path, const char *key, size_t v, const char *what)
{
	char *q = quote_value(im, v);

	problem(im, path, ".%s: %s: %s", key, what, q);
	free(q);
	return false;
}

static bool
get_string(struct importer *im, size_t obj, const char *key, const char *path, bool required,
	   const char **out)
{
	size_t v = member(im, obj, key);

	*out = NULL;
	if (!v) {
		if (required)
			problem(im, path, ".%s: missing", key);
		return !required;
	}
	if (is_type(im, v, JTOK_STRING) && tok_at(im, v)->end > tok_at(im, v)->start &&
	    (*out = tok_cstr(im, v)))
		return true;
	return bad_value(im, path, key, v, "not a non-empty string");
}

static bool
get_time(struct importer *im, size_t obj, const char *key, const char *path, bool required,
	 int64_t *out)
{
	size_t v = member(im, obj, key);
	const struct jtok *t;

	*out = TIME_NONE;
	if (!v) {
		if (required)
			problem(im, path, ".%s: missing", key);
		return !required;
	}
	t = tok_at(im, v);
	/* Strings in ISO-8601; integers as epoch seconds or milliseconds, as the
	 * upstreams give them. Timestamps never need unescaping. */
	if (((t->type == JTOK_STRING && !t->escaped) || (t->type == JTOK_NUMBER && t->integer)) &&
	    timestamp_parse_n(im->text + t->start, t->end - t->start, out))
		return true;
	return bad_value(im, path, key, v, "not a timestamp");
}

static bool
get_number(struct importer *im, size_t obj, const char *key, const char *path, double min,
	   double max, double *out)
{
	size_t v = member(im, obj, key);
	double d;
	char what[64];

	if (!v)
		return true;
	if (jtok_double(&im->tok, im->text, v, &d) && d >= min && d <= max) {
		*out = d;
		return true;
	}
	snprintf(what, sizeof(what), "not a number from %g to %g", min, max);
	return bad_value(im, path, key, v, what);
}

static bool
get_bool(struct importer *im, size_t obj, const char *key, const char *path, bool *out)
{
	size_t v = member(im, obj, key);

	if (!v)
		return true;
	if (is_type(im, v, JTOK_TRUE) || is_type(im, v, JTOK_FALSE)) {
		*out = is_type(im, v, JTOK_TRUE);
		return true;
	}
	return bad_value(im, path, key, v, "not true or false");
}

/* Minutes as whole seconds; absent keeps *out. */
static bool
get_minutes(struct importer *im, size_t obj, const char *key, const char *path, int64_t *out)
{
	double minutes = -1;

	if (!get_number(im, obj, key, path, 0, 1e9, &minutes))
		return false;
	if (minutes >= 0)
		*out = (int64_t)(minutes * 60 + 0.5);
	return true;
}

/* Maps a string value to the index of its name in names; absent keeps *out. */
static bool
get_enum(struct importer *im, size_t obj, const char *key, const char *path,
	 const char *const *names, size_t n, int *out)
{
	size_t v = member(im, obj, key), i;
	struct buf allowed;
	const char *s;
	char *q;

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
	q = quote_value(im, v);
	buf_init(&allowed, 0);
	for (i = 0; i < n; i++)
		if (names[i])
			buf_printf(&allowed, "%s%s", allowed.len ? ", " : "", names[i]);
	problem(im, path, ".%s: %s is not one of %s", key, q, allowed.data);
	buf_release(&allowed);
	free(q);
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
check_weekdays(struct importer *im, size_t bh, const char *path)
{
	size_t days = member(im, bh, "weekdays"), e, i = 0, d;

	if (days && !is_type(im, days, JTOK_ARRAY)) {
		problem(im, path, ".weekdays: not an array");
		return;
	}
	for (e = days ? jtok_first(&im->tok, days) : 0; e; e = jtok_next(&im->tok, e), i++) {
		for (d = 0; d < ARRAY_SIZE(weekday_names); d++)
			if (jtok_streq(&im->tok, im->text, e, weekday_names[d]))
				break;
		if (d == ARRAY_SIZE(weekday_names))
			problem(im, path,
				".weekdays[%zu]: not one of Sun, Mon, Tue, Wed, Thu, Fri, Sat", i);
	}
}

static void
check_holidays(struct importer *im, size_t bh, const char *path)
{
	size_t days = member(im, bh, "holidays"), e, i = 0;
	int64_t t;

	if (days && !is_type(im, days, JTOK_ARRAY)) {
		problem(im, path, ".holidays: not an array");
		return;
	}
	for (e = days ? jtok_first(&im->tok, days) : 0; e; e = jtok_next(&im->tok, e), i++) {
		const struct jtok *k = tok_at(im, e);

		if (k->type != JTOK_STRING || k->end - k->start != 10 ||
		    !timestamp_parse_n(im->text + k->start, 10, &t))
			problem(im, path, ".holidays[%zu]: not a YYYY-MM-DD date", i);
	}
}

static void
check_business_hours(struct importer *im, size_t bh)
{
	const char *path = "settings.business_hours";
	const char *tz = NULL, *start = NULL, *end = NULL;

	if (!is_type(im, bh, JTOK_OBJECT)) {
		problem(im, path, ": not an object");
		return;
	}
	get_string(im, bh, "timezone", path, false, &tz);
	if (tz && !streq(tz, "UTC") && !streq(tz, "Z") &&
	    !((tz[0] == '+' || tz[0] == '-') && valid_clock(tz + 1)))
		problem(im, path,
			".timezone: \"%s\" is not supported: use UTC or a fixed offset such as "
			"+01:00",
			tz);
	if (get_string(im, bh, "start", path, false, &start) && start && !valid_clock(start))
		problem(im, path, ".start: not a HH:MM time");
	if (get_string(im, bh, "end", path, false, &end) && end && !valid_clock(end))
		problem(im, path, ".end: not a HH:MM time");
	if (start && end && strcmp(start, end) >= 0)
		problem(im, path, ".end: must be after start");
	check_weekdays(im, bh, path);
	check_holidays(im, bh, path);
}

static void
import_settings(struct importer *im, size_t settings)
{
	double hours = 24;
	size_t bh;

	if (!root_is(im, JTOK_OBJECT)) {
		problem(im, "settings", "not an object");
		return;
	}
	if (get_number(im, settings, "reopen_merge_window_hours", "settings", 0, 24 * 365,
		       &hours) &&
	    im->writing) {
		char text[32];

		snprintf(text, sizeof(text), "%.17g", hours);
		store_failed(im, store_set_setting(im->store, "reopen_merge_window_hours", text));
	}
	if (!(bh = member(im, settings, "business_hours")))
		return;
	check_business_hours(im, bh);
	if (im->writing) {
		/* Valid JSON already (the tokenizer checked it): kept as written. */
		char *text = xstrndup(im->text + tok_at(im, bh)->start,
				      tok_at(im, bh)->end - tok_at(im, bh)->start);

		store_failed(im, store_set_setting(im->store, "business_hours", text));
		free(text);
	}
}

/* "0.999", 0.999 and "99.9%" all mean the same objective. */
static bool
parse_slo(struct importer *im, size_t v, double *out)
{
	const char *text;
	char *end;
	double d;

	if (is_type(im, v, JTOK_NUMBER)) {
		if (!jtok_double(&im->tok, im->text, v, &d))
			return false;
	} else if ((text = tok_cstr(im, v))) {
		errno = 0;
		d = strtod(text, &end);
		if (errno || end == text)
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
import_service(struct importer *im, size_t v, size_t index)
{
	struct store_service s = { 0 };
	char path[64];
	double days = 0, tier = 0;
	const char *name;
	size_t slo;

	path_of(path, sizeof(path), "services", index, NULL);
	if (root_is(im, JTOK_STRING) && (name = tok_cstr(im, v)) && *name) {
		s.name = (char *)(uintptr_t)name;
	} else if (root_is(im, JTOK_OBJECT)) {
		if (!get_string(im, v, "name", path, true, &name))
			return;
		s.name = (char *)(uintptr_t)name;
		slo = member(im, v, "slo");
		if (slo && !parse_slo(im, slo, &s.slo))
			bad_value(im, path, "slo", slo,
				  "not an objective between 0 and 1 such as \"0.999\"");
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
read_services(struct importer *im, size_t rec, const char *path, struct store_incident *in)
{
	size_t v = member(im, rec, "service"), e, i = 0;
	const char *name;

	in->n_services = 0;
	if (is_type(im, v, JTOK_STRING) && (name = tok_cstr(im, v)) && *name) {
		im->services = xgrow(im->services, &im->services_alloc, 1, sizeof(*im->services));
		im->services[in->n_services++] = name;
	} else if (is_type(im, v, JTOK_ARRAY) && tok_at(im, v)->size > 0) {
		im->services = xgrow(im->services, &im->services_alloc, tok_at(im, v)->size,
				     sizeof(*im->services));
		for (e = jtok_first(&im->tok, v); e; e = jtok_next(&im->tok, e), i++) {
			if (!(name = tok_cstr(im, e)) || !*name) {
				problem(im, path, ".service[%zu]: not a service name", i);
				return false;
			}
			im->services[in->n_services++] = name;
		}
	} else {
		problem(im, path, ".service: %s",
			v ? "not a name or a non-empty array of names" : "missing");
		return false;
	}
	in->services = im->services;
	return true;
}

static bool
read_reopens(struct importer *im, size_t rec, const char *path, struct store_incident *in)
{
	size_t v = member(im, rec, "reopens"), e, i = 0;
	char sub[256];
	bool ok = true;

	in->n_reopens = 0;
	if (!v)
		return true;
	if (!is_type(im, v, JTOK_ARRAY)) {
		problem(im, path, ".reopens: not an array");
		return false;
	}
	im->reopens = xgrow(im->reopens, &im->reopens_alloc, tok_at(im, v)->size + 1,
			    sizeof(*im->reopens));
	for (e = jtok_first(&im->tok, v); e; e = jtok_next(&im->tok, e), i++) {
		struct mx_reopen *r = &im->reopens[in->n_reopens];
		bool good = true;

		snprintf(sub, sizeof(sub), "%s.reopens[%zu]", path, i);
		if (!is_type(im, e, JTOK_OBJECT)) {
			problem(im, sub, ": not an object");
			ok = false;
			continue;
		}
		good &= get_time(im, e, "resolved_at", sub, true, &r->resolved_at);
		good &= get_time(im, e, "reopened_at", sub, true, &r->reopened_at);
		if (good && r->reopened_at < r->resolved_at) {
			problem(im, sub, ".reopened_at: before resolved_at");
			good = false;
		}
		ok &= good;
		in->n_reopens++;
	}
	in->reopens = im->reopens;
	return ok;
}

/* One [start, end] pair of timestamps. */
static bool
read_pause(struct importer *im, size_t pair, struct mx_pause *p)
{
	size_t a = jtok_at(&im->tok, pair, 0), b = jtok_at(&im->tok, pair, 1);

	return is_type(im, pair, JTOK_ARRAY) && tok_at(im, pair)->size == 2 &&
	       is_type(im, a, JTOK_STRING) && is_type(im, b, JTOK_STRING) &&
	       timestamp_parse_n(im->text + tok_at(im, a)->start,
				 tok_at(im, a)->end - tok_at(im, a)->start, &p->start) &&
	       timestamp_parse_n(im->text + tok_at(im, b)->start,
				 tok_at(im, b)->end - tok_at(im, b)->start, &p->end) &&
	       p->end >= p->start;
}

static bool
read_pauses(struct importer *im, size_t sla, const char *path, struct mx_sla *out)
{
	size_t v = member(im, sla, "pauses"), e, i = 0;
	bool ok = true;

	out->n_pauses = 0;
	if (!v)
		return true;
	if (!is_type(im, v, JTOK_ARRAY)) {
		problem(im, path, ".pauses: not an array");
		return false;
	}
	im->pauses =
		xgrow(im->pauses, &im->pauses_alloc, tok_at(im, v)->size + 1, sizeof(*im->pauses));
	for (e = jtok_first(&im->tok, v); e; e = jtok_next(&im->tok, e), i++) {
		if (!read_pause(im, e, &im->pauses[out->n_pauses])) {
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
read_sla(struct importer *im, size_t rec, const char *path, struct store_incident *in)
{
	size_t sla = member(im, rec, "sla");
	char sub[256];
	double target = 0;
	int schedule = MX_SCHEDULE_24X7;
	bool ok = true;

	memset(&in->sla, 0, sizeof(in->sla));
	in->sla_policy = NULL;
	if (!sla)
		return true;
	snprintf(sub, sizeof(sub), "%s.sla", path);
	if (!is_type(im, sla, JTOK_OBJECT)) {
		problem(im, sub, ": not an object");
		return false;
	}
	ok &= get_string(im, sla, "policy", sub, false, &in->sla_policy);
	if (!member(im, sla, "target_minutes")) {
		problem(im, sub, ".target_minutes: missing");
		ok = false;
	}
	ok &= get_number(im, sla, "target_minutes", sub, 0.001, 1e9, &target);
	ok &= get_enum(im, sla, "schedule", sub, schedule_names, ARRAY_SIZE(schedule_names),
		       &schedule);
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

/* "parent": {"source": ..., "id": ..., "link": ...}: the incident this one is part of. */
static bool
read_parent(struct importer *im, size_t rec, const char *path, struct store_incident *in)
{
	size_t v = member(im, rec, "parent");
	char sub[256];
	bool ok = true;

	in->parent_source = in->parent_id = in->link = NULL;
	if (!v)
		return true;
	snprintf(sub, sizeof(sub), "%s.parent", path);
	if (!is_type(im, v, JTOK_OBJECT)) {
		problem(im, sub, ": not an object");
		return false;
	}
	ok &= get_string(im, v, "source", sub, false, &in->parent_source);
	ok &= get_string(im, v, "id", sub, true, &in->parent_id);
	ok &= get_string(im, v, "link", sub, false, &in->link);
	return ok;
}

static bool
read_slas(struct importer *im, size_t rec, const char *path, struct store_incident *in)
{
	size_t v = member(im, rec, "slas"), e, i = 0;
	char sub[256];
	bool ok = true;

	in->n_slas = 0;
	in->slas = NULL;
	if (!v)
		return true;
	if (!is_type(im, v, JTOK_ARRAY)) {
		problem(im, path, ".slas: not an array");
		return false;
	}
	im->slas = xgrow(im->slas, &im->slas_alloc, tok_at(im, v)->size + 1, sizeof(*im->slas));
	for (e = jtok_first(&im->tok, v); e; e = jtok_next(&im->tok, e), i++) {
		struct store_sla *sla = &im->slas[in->n_slas];
		int schedule = MX_SCHEDULE_24X7;

		snprintf(sub, sizeof(sub), "%s.slas[%zu]", path, i);
		if (!is_type(im, e, JTOK_OBJECT)) {
			problem(im, sub, ": not an object");
			ok = false;
			continue;
		}
		memset(sla, 0, sizeof(*sla));
		sla->target = sla->paused = TIME_NONE;
		ok &= get_string(im, e, "name", sub, true, &sla->name);
		ok &= get_string(im, e, "kind", sub, false, &sla->kind);
		ok &= get_minutes(im, e, "target_minutes", sub, &sla->target);
		ok &= get_enum(im, e, "schedule", sub, schedule_names, ARRAY_SIZE(schedule_names),
			       &schedule);
		sla->schedule = (enum mx_schedule)schedule;
		ok &= get_time(im, e, "start_at", sub, false, &sla->start_at);
		ok &= get_time(im, e, "due_at", sub, false, &sla->due_at);
		ok &= get_time(im, e, "stop_at", sub, false, &sla->stop_at);
		ok &= get_minutes(im, e, "paused_minutes", sub, &sla->paused);
		ok &= get_string(im, e, "stage", sub, false, &sla->stage);
		ok &= get_bool(im, e, "breached", sub, &sla->breached);
		in->n_slas++;
	}
	in->slas = in->n_slas ? im->slas : NULL;
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
read_incident(struct importer *im, size_t rec, const char *path, struct store_incident *in)
{
	int impact = MX_IMPACT_OUTAGE, severity = -1;
	bool ok = true;

	memset(in, 0, sizeof(*in));
	ok &= get_string(im, rec, "id", path, true, &in->source_id);
	ok &= get_string(im, rec, "source", path, true, &in->source);
	ok &= read_services(im, rec, path, in);
	ok &= get_string(im, rec, "title", path, false, &in->title);
	ok &= get_enum(im, rec, "severity", path, severity_names, ARRAY_SIZE(severity_names),
		       &severity);
	in->severity = severity >= 0 ? severity_names[severity] : NULL;
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
	ok &= get_bool(im, rec, "ticket", path, &in->ticket);
	ok &= get_string(im, rec, "state", path, false, &in->state);
	ok &= get_string(im, rec, "assignee", path, false, &in->assignee);
	ok &= read_parent(im, rec, path, in);
	ok &= read_slas(im, rec, path, in);
	ok &= get_time(im, rec, "updated_at", path, false, &in->updated_at);
	if (in->updated_at == TIME_NONE)
		in->updated_at = latest_milestone(in);
	return ok;
}

static void
import_incident(struct importer *im, size_t rec, size_t index)
{
	struct store_incident in;
	char path[64];

	path_of(path, sizeof(path), "incidents", index, NULL);
	if (!root_is(im, JTOK_OBJECT)) {
		problem(im, path, "not an object");
		return;
	}
	if (read_incident(im, rec, path, &in) && im->writing)
		store_failed(im, store_upsert_incident(im->store, &in));
	im->report->incidents++;
}

/* ---- deployments ---- */

static const char *const kind_names[] = { "normal", "hotfix", "rollback" };
static const char *const pattern_names[] = { "recreate", "rolling", "blue-green",
					     "canary",	 "ab",	    "shadow" };

static bool
read_commits(struct importer *im, size_t rec, const char *path, struct store_deployment *d)
{
	size_t v = member(im, rec, "commits"), e, i = 0;
	char sub[256];
	bool ok = true;

	d->n_commits = 0;
	if (!v)
		return true;
	if (!is_type(im, v, JTOK_ARRAY)) {
		problem(im, path, ".commits: not an array");
		return false;
	}
	im->commits = xgrow(im->commits, &im->commits_alloc, tok_at(im, v)->size + 1,
			    sizeof(*im->commits));
	for (e = jtok_first(&im->tok, v); e; e = jtok_next(&im->tok, e), i++) {
		struct dora_commit *c = &im->commits[d->n_commits];

		snprintf(sub, sizeof(sub), "%s.commits[%zu]", path, i);
		if (!is_type(im, e, JTOK_OBJECT)) {
			problem(im, sub, ": not an object");
			ok = false;
			continue;
		}
		ok &= get_string(im, e, "sha", sub, true, &c->sha);
		ok &= get_time(im, e, "committed_at", sub, false, &c->committed_at);
		d->n_commits++;
	}
	d->commits = im->commits;
	return ok;
}

static bool
read_deployment(struct importer *im, size_t rec, const char *path, struct store_deployment *d)
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
	ok &= get_enum(im, rec, "pattern", path, pattern_names, ARRAY_SIZE(pattern_names),
		       &pattern);
	d->pattern = pattern >= 0 ? pattern_names[pattern] : NULL;
	ok &= get_time(im, rec, "started_at", path, false, &d->started_at);
	ok &= get_time(im, rec, "finished_at", path, false, &d->finished_at);
	ok &= get_string(im, rec, "fixes", path, false, &d->fixes);
	ok &= get_string(im, rec, "rolled_back_by", path, false, &d->rolled_back_by);
	ok &= read_commits(im, rec, path, d);
	d->canary_weight = NAN;
	ok &= get_number(im, rec, "canary_weight", path, 0, 100, &d->canary_weight);
	ok &= get_time(im, rec, "bake_until", path, false, &d->bake_until);
	ok &= get_string(im, rec, "replaces", path, false, &d->replaces);
	ok &= get_string(im, rec, "pipeline", path, false, &d->pipeline);
	ok &= get_string(im, rec, "target", path, false, &d->target);
	ok &= get_string(im, rec, "url", path, false, &d->url);
	ok &= get_time(im, rec, "updated_at", path, false, &d->updated_at);
	if (d->updated_at == TIME_NONE)
		d->updated_at = d->finished_at != TIME_NONE  ? d->finished_at
				: d->started_at != TIME_NONE ? d->started_at
							     : 0;
	return ok;
}

static void
import_deployment(struct importer *im, size_t rec, size_t index)
{
	struct store_deployment d;
	char path[64];

	path_of(path, sizeof(path), "deployments", index, NULL);
	if (!root_is(im, JTOK_OBJECT)) {
		problem(im, path, "not an object");
		return;
	}
	if (read_deployment(im, rec, path, &d) && im->writing)
		store_failed(im, store_upsert_deployment(im->store, &d));
	im->report->deployments++;
}

/* ---- the document ---- */

typedef void (*record_fn)(struct importer *im, size_t rec, size_t index);

/* Tokenizes one value of the document as the current record; false (with a problem
 * named after path) when it is not valid JSON. */
static bool
load_record(struct importer *im, const struct json_scan *scan, const char *text, size_t len,
	    const char *path)
{
	int line, column;

	if (!jtok_parse(&im->tok, text, len)) {
		json_scan_position(scan, text + im->tok.error_offset, &line, &column);
		problem(im, path, ": line %d: invalid JSON: %s", line, im->tok.error);
		return false;
	}
	im->text = text;
	arena_reset(im, len);
	return true;
}

/* Walks an array member element by element, tokenizing each in place: one pass over
 * the bytes of a valid record. An invalid one is reported, then skipped by scanning
 * for its end. */
static bool
import_array(struct importer *im, struct json_scan *scan, const char *name, record_fn fn)
{
	const char *text;
	size_t len, used, index = 0;
	char path[64];
	int line, column;

	if (!json_scan_array_begin(scan)) {
		problem(im, name, "not an array");
		return false;
	}
	while (json_scan_element_start(scan)) {
		text = scan->p;
		if (jtok_parse_prefix(&im->tok, text, (size_t)(scan->end - text), &used)) {
			scan->p += used;
			im->text = text;
			arena_reset(im, used);
			fn(im, 0, index++);
			continue;
		}
		json_scan_position(scan, text + im->tok.error_offset, &line, &column);
		path_of(path, sizeof(path), name, index++, NULL);
		problem(im, path, ": line %d: invalid JSON: %s", line, im->tok.error);
		if (!json_scan_value(scan, &text, &len))
			break;
	}
	return scan->error[0] == '\0';
}

static bool
import_member(struct importer *im, struct json_scan *scan, const char *key, bool *seen_format)
{
	const char *text;
	size_t len;

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
	if (!load_record(im, scan, text, len, key))
		return true;
	if (streq(key, "settings")) {
		import_settings(im, 0);
	} else {
		*seen_format = true;
		if (!jtok_streq(&im->tok, im->text, 0, IMPORT_FORMAT)) {
			char *q = quote_value(im, 0);

			problem(im, "format", ": %s is not \"" IMPORT_FORMAT "\"", q);
			free(q);
		}
	}
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
		problem(im, "format",
			": missing: the file must say \"format\": \"" IMPORT_FORMAT "\"");
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
				return error("standard input: larger than %zu bytes",
					     MAX_STDIN_BYTES);
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
	*text = mmap(NULL, *len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
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
	jtok_init(&im.tok);
	im.tok.max_depth = 16; /* records are shallow; deeper is hostile or broken */
	buf_init(&im.scratch, 0);
	store_prepare_bulk(store);
	if ((code = store_begin(store)) == SUCCESS) {
		import_document(&im, text, len);
		if (report->n_problems == 0)
			code = store_commit(store);
		else
			code = error("%s: %zu problem%s; nothing was imported", path,
				     report->n_problems, report->n_problems == 1 ? "" : "s");
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
	free(im.slas);
	free(im.arena);
	buf_release(&im.scratch);
	jtok_release(&im.tok);
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
