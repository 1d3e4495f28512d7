/* fault.c - the failures the simulator injects on request: which request suffers
 * which fault (a list of rules matched in order, each with an optional count), and
 * the body transformations that break a good response in realistic ways.
 *
 * This module only decides and transforms; server.c applies the result (sleeping,
 * closing the connection, streaming the huge body). The control routes under
 * /_sim/ can never be faulted, so a test can always clear what it set. */
#include "sitrep/sitrep.h"
#include "sim.h"

#include <math.h>

#define FAULT_MAX 256
#define FAULT_MAX_DELAY_MS 120000

static const char *const kind_names[] = {
	"status",     "delay",	      "truncate", "malformed", "wrong_types",
	"rate_limit", "stuck_cursor", "huge",	  "reset",
};

void
fault_list_clear(struct fault_list *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->items[i].route);
		free(f->items[i].method);
	}
	f->n = 0;
}

void
fault_list_release(struct fault_list *f)
{
	fault_list_clear(f);
	free(f->items);
	memset(f, 0, sizeof(*f));
}

static bool
get_uint(const json_t *spec, const char *key, unsigned int fallback, unsigned int max,
	 unsigned int *out, char *err, size_t err_size)
{
	json_t *v = json_object_get(spec, key);

	*out = fallback;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max) {
		snprintf(err, err_size, "\"%s\" must be an integer from 0 to %u", key, max);
		return false;
	}
	*out = (unsigned int)json_integer_value(v);
	return true;
}

static bool
valid_route(const char *route)
{
	return streq(route, "*") || (route[0] == '/' && strncmp(route, "/_sim/", 6) != 0);
}

bool
fault_add(struct fault_list *f, const json_t *spec, json_t **added, char *err, size_t err_size)
{
	const char *route = json_string_value(json_object_get(spec, "route"));
	const char *kind = json_string_value(json_object_get(spec, "kind"));
	const char *method = json_string_value(json_object_get(spec, "method"));
	json_t *count = json_object_get(spec, "count");
	struct fault nf = { .remaining = -1 };
	size_t k;

	if (!json_is_object(spec)) {
		snprintf(err, err_size, "a fault is a JSON object");
		return false;
	}
	if (!route || !valid_route(route)) {
		snprintf(err, err_size,
			 "\"route\" must be a path (not under /_sim/), "
			 "a path ending in *, or *");
		return false;
	}
	for (k = 0; kind && k < ARRAY_SIZE(kind_names); k++)
		if (streq(kind, kind_names[k]))
			break;
	if (!kind || k == ARRAY_SIZE(kind_names)) {
		snprintf(err, err_size,
			 "\"kind\" must be one of status, delay, truncate, "
			 "malformed, wrong_types, rate_limit, stuck_cursor, huge, reset");
		return false;
	}
	nf.kind = (enum fault_kind)k;
	if (!get_uint(spec, "status", nf.kind == FAULT_RATE_LIMIT ? 429 : 500, 599, &nf.status, err,
		      err_size) ||
	    !get_uint(spec, "delay_ms", nf.kind == FAULT_DELAY ? 2000 : 0, FAULT_MAX_DELAY_MS,
		      &nf.delay_ms, err, err_size) ||
	    !get_uint(spec, "retry_after", 7, 86400, &nf.retry_after, err, err_size))
		return false;
	if (nf.status < 100) {
		snprintf(err, err_size, "\"status\" must be an HTTP status from 100 to 599");
		return false;
	}
	if (count && !json_is_null(count)) {
		if (!json_is_integer(count) || json_integer_value(count) < 1) {
			snprintf(err, err_size, "\"count\" must be a positive integer");
			return false;
		}
		nf.remaining = (long)json_integer_value(count);
	}
	/* Spent faults stay listed (with their hits) until room is needed. */
	for (size_t i = f->n; f->n >= FAULT_MAX && i-- > 0;)
		if (f->items[i].remaining == 0)
			fault_remove(f, f->items[i].id);
	if (f->n >= FAULT_MAX) {
		snprintf(err, err_size, "too many faults (%d); DELETE /_sim/fault first",
			 FAULT_MAX);
		return false;
	}
	nf.id = ++f->next_id;
	nf.route = xstrdup(route);
	nf.method = method ? xstrdup(method) : NULL;
	f->items = xgrow(f->items, &f->alloc, f->n + 1, sizeof(*f->items));
	f->items[f->n++] = nf;
	if (added) {
		json_t *all = fault_list_json(f);

		*added = json_incref(json_array_get(all, json_array_size(all) - 1));
		json_decref(all);
	}
	return true;
}

bool
fault_remove(struct fault_list *f, unsigned long id)
{
	for (size_t i = 0; i < f->n; i++) {
		if (f->items[i].id != id)
			continue;
		free(f->items[i].route);
		free(f->items[i].method);
		memmove(&f->items[i], &f->items[i + 1], (f->n - i - 1) * sizeof(*f->items));
		f->n--;
		return true;
	}
	return false;
}

static bool
route_matches(const char *route, const char *path)
{
	size_t len = strlen(route);

	if (strncmp(path, "/_sim/", 6) == 0)
		return false;
	if (len > 0 && route[len - 1] == '*')
		return strncmp(path, route, len - 1) == 0;
	/* A JSON-RPC call is "PATH#METHOD": a rule for PATH covers all its calls. */
	if (!strchr(route, '#') && strncmp(path, route, len) == 0 && path[len] == '#')
		return true;
	return streq(route, path);
}

struct fault_hit
fault_take(struct fault_list *f, const char *method, const char *path)
{
	struct fault_hit hit = { .hit = false };

	for (size_t i = 0; i < f->n; i++) {
		struct fault *ft = &f->items[i];

		if (ft->remaining == 0 || !route_matches(ft->route, path) ||
		    (ft->method && !streq(ft->method, method)))
			continue;
		if (ft->remaining > 0)
			ft->remaining--;
		ft->hits++;
		hit.hit = true;
		hit.kind = ft->kind;
		hit.status = ft->status;
		hit.delay_ms = ft->delay_ms;
		hit.retry_after = ft->retry_after;
		break;
	}
	return hit;
}

json_t *
fault_list_json(const struct fault_list *f)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < f->n; i++) {
		const struct fault *ft = &f->items[i];
		json_t *o = json_object();

		json_object_set_new(o, "id", json_integer((json_int_t)ft->id));
		json_object_set_new(o, "route", json_string(ft->route));
		json_object_set_new(o, "method",
				    ft->method ? json_string(ft->method) : json_null());
		json_object_set_new(o, "kind", json_string(kind_names[ft->kind]));
		json_object_set_new(o, "status", json_integer(ft->status));
		json_object_set_new(o, "delay_ms", json_integer(ft->delay_ms));
		json_object_set_new(o, "retry_after", json_integer(ft->retry_after));
		json_object_set_new(o, "remaining",
				    ft->remaining < 0 ? json_null() : json_integer(ft->remaining));
		json_object_set_new(o, "hits", json_integer((json_int_t)ft->hits));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *
string_to_wrong_type(json_t *v)
{
	const char *s = json_string_value(v);
	char *end;
	double d;
	int64_t t;

	if (*s) {
		d = strtod(s, &end);
		if (*end == '\0' && isfinite(d)) {
			json_decref(v);
			return d == floor(d) && fabs(d) < 9e15 ? json_integer((json_int_t)d)
							       : json_real(d);
		}
	}
	/* "2025-03-03T08:00:00Z" -> 1740988800: a number where RFC 3339 belongs. */
	if (strchr(s, 'T') && strchr(s, '-') && timestamp_parse(s, &t)) {
		json_decref(v);
		return json_integer(t);
	}
	return v;
}

json_t *
fault_wrong_types(json_t *v)
{
	char text[40];
	const char *key;
	json_t *value;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach(v, key, value)
		{
			json_object_set_new(v, key, fault_wrong_types(json_incref(value)));
		}
		return v;
	case JSON_ARRAY:
		if (json_array_size(v) == 0) {
			json_decref(v);
			return json_null();
		}
		for (size_t i = 0; i < json_array_size(v); i++)
			json_array_set_new(v, i,
					   fault_wrong_types(json_incref(json_array_get(v, i))));
		return v;
	case JSON_STRING:
		return string_to_wrong_type(v);
	case JSON_INTEGER:
		snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		/* The shortest %g that reads back: "1741011310.739", not an exponent. */
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(text, sizeof(text), "%.*g", prec, json_real_value(v));
			if (strtod(text, NULL) == json_real_value(v))
				break;
		}
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		snprintf(text, sizeof(text), "%s", json_is_true(v) ? "true" : "false");
		break;
	case JSON_NULL:
		json_decref(v);
		return json_integer(0);
	}
	json_decref(v);
	return json_string(text);
}

void
fault_truncate(struct buf *body)
{
	if (body->len < 2)
		return;
	body->len /= 2;
	body->data[body->len] = '\0';
}

void
fault_malform(struct buf *body)
{
	size_t mid = body->len / 2;
	struct buf out;

	buf_init(&out, 0);
	buf_add(&out, body->data ? body->data : "", mid);
	buf_addstr(&out, "\x01\xff}{");
	buf_add(&out, body->data ? body->data + mid : "", body->len - mid);
	buf_release(body);
	*body = out;
}

/* A valid JSON document of exactly FAULT_HUGE_SIZE bytes, generated on the fly:
 * the point is to exhaust a client that does not cap bodies, not the simulator. */
static const char huge_head[] =
	"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]},\"padding\":\"";
static const char huge_tail[] = "\"}";

size_t
fault_huge_fill(uint64_t pos, char *buf, size_t max)
{
	uint64_t head = sizeof(huge_head) - 1, tail = sizeof(huge_tail) - 1;
	size_t n = 0;

	while (n < max && pos < FAULT_HUGE_SIZE) {
		if (pos < head)
			buf[n] = huge_head[pos];
		else if (pos >= FAULT_HUGE_SIZE - tail)
			buf[n] = huge_tail[pos - (FAULT_HUGE_SIZE - tail)];
		else
			buf[n] = 'x';
		n++;
		pos++;
	}
	return n;
}
