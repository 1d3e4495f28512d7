/* json_scan.c - finds the boundaries of JSON values without building them, so that
 * large documents can be walked one array element at a time. It recognises strings
 * (with escapes), nesting and commas; the values it returns are parsed and validated
 * by jansson, so this file does not need to be a full validator. */
#include "sitrep/sitrep.h"
#include "sitrep/json.h"
#include "sitrep/timestamp.h"

void
json_scan_init(struct json_scan *scan, const char *text, size_t len)
{
	scan->start = text;
	scan->p = text;
	scan->end = text + len;
	scan->error[0] = '\0';
	scan->first = false;
}

void
json_scan_position(const struct json_scan *scan, const char *at, int *line, int *column)
{
	const char *p;

	*line = 1;
	*column = 1;
	for (p = scan->start; p < at && p < scan->end; p++) {
		if (*p == '\n') {
			(*line)++;
			*column = 1;
		} else {
			(*column)++;
		}
	}
}

static bool
fail(struct json_scan *scan, const char *what)
{
	int line, column;

	json_scan_position(scan, scan->p, &line, &column);
	if (scan->p >= scan->end)
		snprintf(scan->error, sizeof(scan->error),
			 "line %d: unexpected end of input (truncated?) %s", line, what);
	else
		snprintf(scan->error, sizeof(scan->error), "line %d column %d: %s", line, column,
			 what);
	return false;
}

static void
skip_ws(struct json_scan *scan)
{
	while (scan->p < scan->end &&
	       (*scan->p == ' ' || *scan->p == '\t' || *scan->p == '\n' || *scan->p == '\r'))
		scan->p++;
}

static bool
skip_string(struct json_scan *scan)
{
	scan->p++; /* the opening quote */
	while (scan->p < scan->end) {
		char c = *scan->p++;

		if (c == '"')
			return true;
		if (c == '\\') {
			if (scan->p >= scan->end)
				break;
			scan->p++;
		}
	}
	return fail(scan, "in a string");
}

/* Skips one value of any kind; nesting is tracked with a counter, not recursion, so
 * hostile depth cannot overflow the stack (jansson limits depth when it parses). A
 * scalar ends at a separator, a closer or the end of input. */
static bool
skip_value(struct json_scan *scan)
{
	long depth = 0;

	skip_ws(scan);
	if (scan->p >= scan->end)
		return fail(scan, "where a value was expected");
	for (;;) {
		char c;

		if (scan->p >= scan->end)
			return depth == 0 ? true : fail(scan, "inside an object or array");
		c = *scan->p;
		if (c == '"') {
			if (!skip_string(scan))
				return false;
			if (depth == 0)
				return true;
			continue;
		}
		if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return true;
			if (--depth == 0) {
				scan->p++;
				return true;
			}
		} else if (depth == 0 &&
			   (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
			return true;
		}
		scan->p++;
	}
}

bool
json_scan_value(struct json_scan *scan, const char **value, size_t *len)
{
	const char *start;

	skip_ws(scan);
	start = scan->p;
	if (!skip_value(scan))
		return false;
	*value = start;
	*len = (size_t)(scan->p - start);
	return true;
}

bool
json_scan_object_begin(struct json_scan *scan)
{
	skip_ws(scan);
	if (scan->p >= scan->end || *scan->p != '{')
		return fail(scan, "expected a JSON object");
	scan->p++;
	scan->first = true;
	return true;
}

/* Moves past the separator before the next member or element; at the closer returns
 * false with no error. The first item of a container has no separator. */
static bool
next_item(struct json_scan *scan, char closer)
{
	bool first = scan->first;

	scan->first = false;
	skip_ws(scan);
	if (scan->p >= scan->end)
		return fail(scan, "where ',' or a closing bracket was expected");
	if (*scan->p == closer) {
		scan->p++;
		return false;
	}
	if (!first) {
		if (*scan->p != ',')
			return fail(scan, "expected ','");
		scan->p++;
		skip_ws(scan);
		if (scan->p < scan->end && *scan->p == closer)
			return fail(scan, "trailing comma");
	}
	return true;
}

bool
json_scan_member(struct json_scan *scan, char **key)
{
	const char *k;
	size_t klen;
	json_t *decoded;
	char msg[200];

	if (!next_item(scan, '}'))
		return false;
	if (scan->p >= scan->end || *scan->p != '"')
		return fail(scan, "expected a member name");
	if (!json_scan_value(scan, &k, &klen))
		return false;
	decoded = json_parse(k, klen, msg, sizeof(msg));
	if (!decoded || !json_is_string(decoded)) {
		json_decref(decoded);
		return fail(scan, "bad member name");
	}
	*key = xstrdup(json_string_value(decoded));
	json_decref(decoded);
	skip_ws(scan);
	if (scan->p >= scan->end || *scan->p != ':') {
		free(*key);
		*key = NULL;
		return fail(scan, "expected ':'");
	}
	scan->p++;
	skip_ws(scan);
	return true;
}

bool
json_scan_array_begin(struct json_scan *scan)
{
	skip_ws(scan);
	if (scan->p >= scan->end || *scan->p != '[')
		return fail(scan, "expected an array");
	scan->p++;
	scan->first = true;
	return true;
}

bool
json_scan_element(struct json_scan *scan, const char **value, size_t *len)
{
	if (!next_item(scan, ']'))
		return false;
	return json_scan_value(scan, value, len);
}

bool
json_scan_element_start(struct json_scan *scan)
{
	if (!next_item(scan, ']'))
		return false;
	skip_ws(scan);
	return true;
}

bool
json_scan_end(struct json_scan *scan)
{
	skip_ws(scan);
	if (scan->p != scan->end)
		return fail(scan, "unexpected text after the JSON document");
	return true;
}

json_t *
json_parse(const char *text, size_t len, char *msg, size_t msg_size)
{
	json_error_t err;
	json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);

	if (!v && msg)
		snprintf(msg, msg_size, "%s", err.text);
	return v;
}

json_t *
json_time(int64_t t)
{
	char text[TIMESTAMP_TEXT_SIZE];

	if (t == TIME_NONE)
		return json_null();
	timestamp_format(t, text, sizeof(text));
	return json_string(text);
}

enum status_code
json_write(FILE *out, const json_t *v)
{
	if (json_dumpf(v, out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) != 0)
		return error("cannot write JSON output");
	return SUCCESS;
}

const char *
json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}
