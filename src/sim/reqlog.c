/* reqlog.c - what clients asked for, per route: a count, and how the last request
 * looked (method, parameters, If-None-Match, the Authorization scheme), so a test
 * can check that a client revalidates with its ETag or sends its token.
 *
 * The Authorization value itself is never kept: only its scheme and whether it
 * matched the required token. The table is bounded: past ROUTES_MAX distinct paths
 * (a client walking random URLs) the rest share one "(other)" entry. */
#include "sitrep/sitrep.h"
#include "sim.h"

#define ROUTES_MAX 256

static void
entry_release(struct reqlog_entry *e)
{
	free(e->route);
	free(e->method);
	free(e->if_none_match);
	free(e->auth_scheme);
	json_decref(e->args);
}

void
reqlog_clear(struct reqlog *log)
{
	for (size_t i = 0; i < log->n; i++)
		entry_release(&log->items[i]);
	log->n = 0;
	log->total = 0;
}

void
reqlog_release(struct reqlog *log)
{
	reqlog_clear(log);
	free(log->items);
	memset(log, 0, sizeof(*log));
}

static struct reqlog_entry *
find(struct reqlog *log, const char *path)
{
	for (size_t i = 0; i < log->n; i++)
		if (streq(log->items[i].route, path))
			return &log->items[i];
	if (log->n >= ROUTES_MAX)
		return find(log, "(other)");
	log->items = xgrow(log->items, &log->alloc, log->n + 1, sizeof(*log->items));
	memset(&log->items[log->n], 0, sizeof(*log->items));
	log->items[log->n].route = xstrdup(log->n == ROUTES_MAX - 1 ? "(other)" : path);
	return &log->items[log->n++];
}

static char *
dup_or_null(const char *s, size_t len)
{
	return s ? xstrndup(s, len) : NULL;
}

void
reqlog_record(struct reqlog *log, const char *method, const char *path, const char *if_none_match,
	      const char *authorization, int token_ok, json_t *args)
{
	struct reqlog_entry *e = find(log, path);
	size_t scheme_len = authorization ? strcspn(authorization, " ") : 0;

	log->total++;
	e->count++;
	free(e->method);
	free(e->if_none_match);
	free(e->auth_scheme);
	json_decref(e->args);
	e->method = xstrdup(method);
	e->if_none_match = dup_or_null(if_none_match, if_none_match ? strlen(if_none_match) : 0);
	e->auth_scheme = dup_or_null(authorization, scheme_len);
	e->token_ok = token_ok;
	e->args = args;
}

static json_t *
string_or_null(const char *s)
{
	json_t *v = s ? json_string(s) : NULL;

	/* Header bytes need not be UTF-8; jansson refuses those. */
	return v ? v : json_null();
}

json_t *
reqlog_json(const struct reqlog *log)
{
	json_t *root = json_object(), *routes = json_object();

	json_object_set_new(root, "total", json_integer((json_int_t)log->total));
	for (size_t i = 0; i < log->n; i++) {
		const struct reqlog_entry *e = &log->items[i];
		json_t *o = json_object();

		json_object_set_new(o, "count", json_integer((json_int_t)e->count));
		json_object_set_new(o, "method", string_or_null(e->method));
		json_object_set_new(o, "if_none_match", string_or_null(e->if_none_match));
		json_object_set_new(o, "authorization", string_or_null(e->auth_scheme));
		json_object_set_new(o, "token_ok",
				    e->token_ok < 0 ? json_null() : json_boolean(e->token_ok));
		json_object_set_new(o, "args", e->args ? json_incref(e->args) : json_object());
		json_object_set_new(routes, e->route, o);
	}
	json_object_set_new(root, "routes", routes);
	return root;
}
