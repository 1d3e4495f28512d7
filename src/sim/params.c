/* params.c - request parameters as the upstreams read them: the query string and,
 * for POST forms, the body, in one ordered list where a key may repeat
 * (Alertmanager's filter=, Prometheus's match[]=).
 *
 * The list owns copies of everything; it never points into libmicrohttpd's
 * connection memory, which is gone once the request completes. */
#include "sitrep/sitrep.h"
#include "sim.h"

void
params_release(struct params *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->items[i].key);
		free(p->items[i].value);
	}
	free(p->items);
	memset(p, 0, sizeof(*p));
}

void
params_add(struct params *p, const char *key, const char *value)
{
	p->items = xgrow(p->items, &p->alloc, p->n + 1, sizeof(*p->items));
	p->items[p->n].key = xstrdup(key);
	p->items[p->n].value = xstrdup(value ? value : "");
	p->n++;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Go's url.QueryUnescape is strict about bad escapes; a simulator is lenient and
 * keeps them as written, since the point is to answer, not to validate. */
static char *
form_decode(const char *s, size_t len)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] == '+') {
			buf_addch(&b, ' ');
		} else if (s[i] == '%' && i + 2 < len && (hi = hex_value(s[i + 1])) >= 0 &&
			   (lo = hex_value(s[i + 2])) >= 0) {
			buf_addch(&b, (char)(hi * 16 + lo));
			i += 2;
		} else {
			buf_addch(&b, s[i]);
		}
	}
	return buf_detach(&b);
}

void
params_add_form(struct params *p, const char *text, size_t len)
{
	const char *end = text + len;

	while (text < end) {
		const char *amp = memchr(text, '&', (size_t)(end - text));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(text, '=', (size_t)(stop - text));
		char *key, *value;

		if (stop > text) {
			key = form_decode(text, (size_t)((eq ? eq : stop) - text));
			value = eq ? form_decode(eq + 1, (size_t)(stop - eq - 1)) : xstrdup("");
			params_add(p, key, value);
			free(key);
			free(value);
		}
		text = stop + (amp ? 1 : 0);
	}
}

const char *
params_get(const struct params *p, const char *key)
{
	for (size_t i = 0; i < p->n; i++)
		if (streq(p->items[i].key, key))
			return p->items[i].value;
	return NULL;
}

json_t *
params_json(const struct params *p)
{
	json_t *obj = json_object();

	for (size_t i = 0; i < p->n; i++) {
		json_t *old = json_object_get(obj, p->items[i].key);
		json_t *v = json_string(p->items[i].value);

		/* Values are request bytes; jansson refuses invalid UTF-8. */
		if (!v)
			v = json_string("\xef\xbf\xbd");
		if (!old) {
			json_object_set_new(obj, p->items[i].key, v);
		} else if (json_is_array(old)) {
			json_array_append_new(old, v);
		} else {
			json_t *arr = json_array();

			json_array_append(arr, old);
			json_array_append_new(arr, v);
			json_object_set_new(obj, p->items[i].key, arr);
		}
	}
	return obj;
}

bool
params_bool(const struct params *p, const char *key, bool fallback, bool *ok)
{
	static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
	static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False" };
	const char *v = params_get(p, key);

	if (!v)
		return fallback;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (streq(v, yes[i]))
			return true;
		if (streq(v, no[i]))
			return false;
	}
	*ok = false;
	return fallback;
}
