/* json_tok.h - a strict (RFC 8259), allocation-free JSON tokenizer for hot paths such
 * as `sitrep import`, where building a jansson DOM per record costs more in malloc and
 * free than the rest of the import. The idea is jsmn's: one pass over the text fills a
 * flat array of tokens that point back into the text, and nothing is decoded until a
 * caller asks for it. Unlike jsmn it is a full validator, so a malformed record gets a
 * precise reason and byte offset instead of being half-accepted.
 *
 * Layout: tokens are in document order. A container is followed by its descendants;
 * an object's members are laid out as a key token (a STRING with key set) followed by
 * the value token(s). skip jumps over a whole value, so siblings are reached without
 * looking at descendants:
 *
 *	{"a":[1,2],"b":null}	0 OBJECT size 2 skip 7
 *				1 "a" (key)     skip 2
 *				2 ARRAY size 2  skip 5
 *				3 1             skip 4
 *				4 2             skip 5
 *				5 "b" (key)     skip 6
 *				6 NULL          skip 7
 *
 * Token 0 is the document's value; index 0 therefore doubles as "not found" in the
 * lookup functions, since it is never a member or element of anything. */
#ifndef SITREP_JSON_TOK_H
#define SITREP_JSON_TOK_H

enum jtok_type {
	JTOK_OBJECT,
	JTOK_ARRAY,
	JTOK_STRING,
	JTOK_NUMBER,
	JTOK_TRUE,
	JTOK_FALSE,
	JTOK_NULL,
};

struct jtok {
	enum jtok_type type;
	/* Byte offsets into the text, [start, end): the value's text; for strings the
	 * bytes between the quotes, still escaped; for containers from the bracket to
	 * the closing bracket inclusive. */
	uint32_t start, end;
	uint32_t size; /* object: number of members; array: number of elements */
	uint32_t skip; /* index of the first token after this value and its descendants */
	bool escaped;  /* string: contains a backslash escape (jtok_string must decode) */
	bool integer;  /* number: no fraction and no exponent */
	bool key;      /* string: an object member's key, not a value */
	bool last;     /* the last element of its array or value of its object (jtok_next) */
};

struct jtok_parser {
	/* Tokens of the last successful jtok_parse, toks[0, n). The array is kept
	 * across calls and only grows, so a parser reused for records of similar shape
	 * does not allocate in steady state. n is 0 after a failed parse. */
	struct jtok *toks;
	size_t n, alloc;
	size_t max_tokens;   /* 0: no limit; else a document needing more is an error */
	unsigned max_depth;  /* nesting limit, 0: 64; "[]" has depth 1 */
	char error[128];     /* why the last jtok_parse returned false, "" otherwise */
	size_t error_offset; /* byte offset of the problem (len for a truncated text) */
	/* Private: scratch for the duplicate-key check of large objects. */
	struct jtok_scratch *scratch;
	size_t scratch_alloc;
};

void jtok_init(struct jtok_parser *p);
/* Frees the arrays; p can be reused after another jtok_init. */
void jtok_release(struct jtok_parser *p);

/* Tokenizes exactly one JSON value in text[0, len): surrounding whitespace (space, tab,
 * CR, LF) is allowed, anything else after the value is an error. text need not be
 * NUL-terminated; nothing past len is read. Strict RFC 8259: no trailing commas, no
 * comments, no leading zeros, no NaN/Infinity, no bare control characters (< 0x20) in
 * strings, only the escapes of the RFC (\uXXXX with surrogates correctly paired), only
 * valid UTF-8 in strings (no overlongs, no encoded surrogates, nothing above U+10FFFF),
 * no byte order mark, and no two keys of one object equal after decoding ("duplicate
 * key \"x\""). Numbers of any size are accepted (RFC 8259 sets no limit); range is
 * checked by jtok_int64/jtok_double. "\u0000" is accepted: decoded strings are
 * counted, callers wanting C strings must check for embedded NULs.
 * Texts of 4 GiB or more are refused (offsets are 32-bit). On false, p->error and
 * p->error_offset say what and where, and p->n is 0. */
bool jtok_parse(struct jtok_parser *p, const char *text, size_t len);

/* The same for the JSON value at the start of text (after optional whitespace),
 * which may be followed by anything: *used is the offset just past the value. Lets a
 * caller walk a large document value by value without scanning each twice. */
bool jtok_parse_prefix(struct jtok_parser *p, const char *text, size_t len, size_t *used);

/* Index of the value token of key in object token obj, or 0 when absent or when obj
 * is not an object. Keys are compared after decoding. Linear in the object's members:
 * meant for records of tens of members, not for large maps. */
size_t jtok_get(const struct jtok_parser *p, const char *text, size_t obj, const char *key);
/* Index of the i-th (from 0) element of array token arr, 0 when out of range or when
 * arr is not an array. Linear in i (walks with skip). */
size_t jtok_at(const struct jtok_parser *p, size_t arr, size_t i);
/* Iteration, 0 at the end:
 *	for (e = jtok_first(p, arr); e; e = jtok_next(p, e))          elements
 *	for (k = jtok_first(p, obj); k; k = jtok_next(p, k))          keys, value at k + 1
 * jtok_first: the first element of an array or the first key of an object, 0 if the
 * container is empty or tok is not a container. jtok_next: the sibling after tok (an
 * element, a key or a member's value; for the last two, the next key). */
size_t jtok_first(const struct jtok_parser *p, size_t container);
size_t jtok_next(const struct jtok_parser *p, size_t tok);

/* The string token tok decoded (escapes resolved to UTF-8) into out, which is reset
 * first. False when tok is not a string or out's maximum would be exceeded. Unescaped
 * strings are copied as they are. */
bool jtok_string(const struct jtok_parser *p, const char *text, size_t tok, struct buf *out);
/* True when string token tok decodes to exactly s; false for other token types.
 * Compares without a copy. */
bool jtok_streq(const struct jtok_parser *p, const char *text, size_t tok, const char *s);
/* An integer number token (no fraction, no exponent) that fits in int64_t; false
 * otherwise, leaving *out alone. */
bool jtok_int64(const struct jtok_parser *p, const char *text, size_t tok, int64_t *out);
/* Any number token as a double (strtod, independent of LC_NUMERIC); false when tok is
 * not a number or its magnitude overflows a double. Underflow gives 0 or a subnormal. */
bool jtok_double(const struct jtok_parser *p, const char *text, size_t tok, double *out);

#endif
