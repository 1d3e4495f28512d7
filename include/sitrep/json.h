/* json.h - JSON helpers over jansson: a streaming scanner that walks a top-level
 * object and its arrays element by element without building the whole document (a
 * million-incident import file is hundreds of MB; its DOM would be gigabytes), and
 * small typed getters. The scanner only finds value boundaries; every value handed
 * out is parsed and validated by jansson. */
#ifndef SITREP_JSON_H
#define SITREP_JSON_H

#include <jansson.h>

struct json_scan {
	const char *start; /* borrowed text */
	const char *p;
	const char *end;
	bool first;	 /* no separator before the next item */
	char error[256]; /* set when a function returns false on bad input */
};

void json_scan_init(struct json_scan *scan, const char *text, size_t len);

/* Enters the top-level object: true if the text starts with '{'. */
bool json_scan_object_begin(struct json_scan *scan);
/* Next member of the current object: *key is new (decoded), the value starts at
 * scan->p. Returns false at the closing brace (error[0] == 0) or on bad input. */
bool json_scan_member(struct json_scan *scan, char **key);
/* Skips or returns the value at scan->p: [*value, *value + *len). */
bool json_scan_value(struct json_scan *scan, const char **value, size_t *len);
/* When the value at scan->p is an array, enters it. */
bool json_scan_array_begin(struct json_scan *scan);
/* Next element of the current array, as text; false at ']' or on bad input. */
bool json_scan_element(struct json_scan *scan, const char **value, size_t *len);
/* Moves to the start of the next element of the current array (past its ',') and
 * returns true, or returns false at ']' (or on bad input, with error set). The caller
 * then consumes the element itself and advances scan->p past it. */
bool json_scan_element_start(struct json_scan *scan);
/* After the top-level object: only whitespace may follow. */
bool json_scan_end(struct json_scan *scan);
/* 1-based line and column of a position, for messages. */
void json_scan_position(const struct json_scan *scan, const char *at, int *line, int *column);

/* Parses text with jansson (new reference, or NULL with msg set to a short reason). */
json_t *json_parse(const char *text, size_t len, char *msg, size_t msg_size);

/* An instant as "YYYY-MM-DDTHH:MM:SSZ", or null for TIME_NONE (new reference). */
json_t *json_time(int64_t t);

/* Writes v compactly, keys in insertion order, no newline: the caller frames it. */
enum status_code json_write(FILE *out, const json_t *v);

/* What v is, for messages: "an object", "an array", "a string", "a number", "a
 * boolean" or "null". */
const char *json_type_name(const json_t *v);

#endif
