/* json_tok.c - a strict, allocation-free JSON tokenizer (see json_tok.h). One pass
 * over the text validates it against RFC 8259 and fills the parser's token array;
 * the accessors decode on demand. It must not allocate per document (the token array
 * and a scratch array are reused and only grow), must not recurse (depth is bounded by
 * max_depth and open containers are chained through their own tokens), and must never
 * read past len: texts come from files and are not NUL-terminated. */
#include "sitrep/sitrep.h"
#include "sitrep/json_tok.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>

#define DEFAULT_MAX_DEPTH 64
/* No open container: the parent link of the outermost one. Token indexes never reach
 * it, since every token consumes at least one byte of a text shorter than 4 GiB. */
#define NO_TOKEN UINT32_MAX
/* Objects up to this many members are checked for duplicate keys pair by pair, which
 * is the fastest way for records of tens of members; larger ones are sorted, which
 * bounds the cost of a hostile object with many keys to n log n comparisons. */
#define SMALL_OBJECT 32
/* How much of a duplicate key goes into the error message. */
#define KEY_IN_MESSAGE 48

static const char *const literals[] = {
	[JTOK_TRUE] = "true",
	[JTOK_FALSE] = "false",
	[JTOK_NULL] = "null",
};

void
jtok_init(struct jtok_parser *p)
{
	memset(p, 0, sizeof(*p));
}

void
jtok_release(struct jtok_parser *p)
{
	free(p->toks);
	free(p->scratch);
	memset(p, 0, sizeof(*p));
}

/* ---- errors ---- */

static bool fail(struct jtok_parser *p, size_t offset, const char *fmt, ...) PRINTF_LIKE(3, 4);

static bool
fail(struct jtok_parser *p, size_t offset, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
	p->error_offset = offset;
	p->n = 0; /* half-built tokens must not be walked */
	return false;
}

/* Every truncation reads the same way, so that callers (and the prefix test) can tell
 * "the file was cut short" from "the file is wrong". */
static bool
fail_eof(struct jtok_parser *p, size_t len, const char *expected)
{
	return fail(p, len, "unexpected end of input (truncated?): %s", expected);
}

/* A byte for a message: printable ASCII quoted, anything else in hex, because the
 * message may end up on a terminal. */
static const char *
describe(unsigned char c, char *buf, size_t size)
{
	if (c > 0x20 && c < 0x7f)
		snprintf(buf, size, "'%c'", c);
	else if (c == ' ')
		snprintf(buf, size, "a space");
	else
		snprintf(buf, size, "byte 0x%02x", c);
	return buf;
}

static bool
fail_found(struct jtok_parser *p, size_t offset, unsigned char c, const char *expected)
{
	char what[16];

	return fail(p, offset, "%s but found %s", expected, describe(c, what, sizeof(what)));
}

/* ---- lexing ---- */

static inline size_t
skip_ws(const unsigned char *s, size_t len, size_t i)
{
	/* compact records have no whitespace: one comparison rejects most bytes */
	while (i < len && s[i] <= ' ' &&
	       (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
		i++;
	return i;
}

static inline bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#define R16(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
/* Bytes a string scan must stop at: control characters, '"', '\\' and everything
 * non-ASCII (UTF-8 is validated byte by byte). The rest is copied through unchecked,
 * which is what makes the common case fast. */
static const unsigned char string_stop[256] = {
	R16(1), R16(1), 0,	0,	1,	0,	0,	0,	0,	0,
	0,	0,	0,	0,	0,	0,	0,	0, /* 0x20: '"' */
	R16(0), R16(0), 0,	0,	0,	0,	0,	0,	0,	0,
	0,	0,	0,	0,	1,	0,	0,	0, /* 0x50: '\\' */
	R16(0), R16(0), R16(1), R16(1), R16(1), R16(1), R16(1), R16(1), R16(1), R16(1),
};
#undef R16

/* Four hex digits at s[i]; -1 (error set) when invalid or cut short. */
static long
scan_hex4(struct jtok_parser *p, const unsigned char *s, size_t len, size_t i, size_t escape)
{
	long u = 0;
	size_t k;

	for (k = 0; k < 4; k++) {
		int h;

		if (i + k >= len) {
			fail_eof(p, len, "expected 4 hex digits after \\u");
			return -1;
		}
		h = hex_value(s[i + k]);
		if (h < 0) {
			fail(p, escape, "invalid \\u escape in a string: expected 4 hex digits");
			return -1;
		}
		u = u * 16 + h;
	}
	return u;
}

/* The escape at s[*pos] == '\\'. A \u escape of a high surrogate must be followed at
 * once by one of a low surrogate: a lone half cannot be turned into UTF-8. */
static bool
scan_escape(struct jtok_parser *p, const unsigned char *s, size_t len, size_t *pos)
{
	size_t i = *pos;
	long u, lo;
	char what[16];

	if (i + 1 >= len)
		return fail_eof(p, len, "expected an escape after '\\'");
	switch (s[i + 1]) {
	case '"':
	case '\\':
	case '/':
	case 'b':
	case 'f':
	case 'n':
	case 'r':
	case 't':
		*pos = i + 2;
		return true;
	case 'u':
		break;
	default:
		return fail(p, i, "invalid escape in a string: '\\' followed by %s",
			    describe(s[i + 1], what, sizeof(what)));
	}
	if ((u = scan_hex4(p, s, len, i + 2, i)) < 0)
		return false;
	if (u >= 0xdc00 && u <= 0xdfff)
		return fail(p, i, "unpaired low surrogate \\u%04lx in a string", u);
	if (u < 0xd800 || u > 0xdbff) {
		*pos = i + 6;
		return true;
	}
	if (i + 6 >= len || (s[i + 6] == '\\' && i + 7 >= len))
		return fail_eof(p, len, "expected a low surrogate \\uDC00-\\uDFFF");
	if (s[i + 6] != '\\' || s[i + 7] != 'u')
		return fail(p, i, "unpaired high surrogate \\u%04lx in a string", u);
	if ((lo = scan_hex4(p, s, len, i + 8, i + 6)) < 0)
		return false;
	if (lo < 0xdc00 || lo > 0xdfff)
		return fail(p, i,
			    "unpaired high surrogate \\u%04lx in a string (followed by \\u%04lx)",
			    u, lo);
	*pos = i + 12;
	return true;
}

/* One UTF-8 character at s[*pos] >= 0x80, checked against Unicode's table of
 * well-formed sequences (3-7): the second byte's range excludes overlongs (E0, F0),
 * encoded surrogates (ED) and code points above U+10FFFF (F4). */
static bool
scan_utf8(struct jtok_parser *p, const unsigned char *s, size_t len, size_t *pos)
{
	size_t i = *pos, k, need;
	unsigned char c = s[i], lo = 0x80, hi = 0xbf;
	const char *why = "truncated sequence";

	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
	} else if (c == 0xe0) {
		need = 2, lo = 0xa0, why = "overlong encoding";
	} else if (c == 0xed) {
		need = 2, hi = 0x9f, why = "encoded surrogate";
	} else if (c >= 0xe1 && c <= 0xef) {
		need = 2;
	} else if (c == 0xf0) {
		need = 3, lo = 0x90, why = "overlong encoding";
	} else if (c == 0xf4) {
		need = 3, hi = 0x8f, why = "code point above U+10FFFF";
	} else if (c >= 0xf1 && c <= 0xf3) {
		need = 3;
	} else {
		return fail(p, i, "invalid UTF-8 in a string (%s 0x%02x)",
			    c == 0xc0 || c == 0xc1 ? "overlong encoding, byte"
			    : c < 0xc0		   ? "unexpected continuation byte"
						   : "byte",
			    c);
	}
	for (k = 1; k <= need; k++) {
		if (i + k >= len)
			return fail_eof(p, len, "inside a UTF-8 sequence");
		if (s[i + k] < lo || s[i + k] > hi)
			return fail(p, i, "invalid UTF-8 in a string (%s at byte 0x%02x)",
				    k == 1 ? why : "truncated sequence", c);
		lo = 0x80;
		hi = 0xbf;
	}
	*pos = i + need + 1;
	return true;
}

/* The string whose opening quote is at s[*pos]; *pos ends past the closing quote. */
static bool
scan_string(struct jtok_parser *p, const unsigned char *s, size_t len, size_t *pos, bool *escaped)
{
	size_t i = *pos + 1;
	bool esc = false;

	for (;;) {
		while (i < len && !string_stop[s[i]])
			i++;
		if (i >= len)
			return fail_eof(p, len, "expected '\"' to close a string");
		if (s[i] == '"')
			break;
		if (s[i] == '\\') {
			if (!scan_escape(p, s, len, &i))
				return false;
			esc = true;
		} else if (s[i] < 0x20) {
			return fail(p, i, "unescaped control character 0x%02x in a string", s[i]);
		} else if (!scan_utf8(p, s, len, &i)) {
			return false;
		}
	}
	*escaped = esc;
	*pos = i + 1;
	return true;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at s[*pos]. A number must also end
 * cleanly: "1.5.3" or "12abc" are reported here rather than as a missing comma. */
static bool
scan_number(struct jtok_parser *p, const unsigned char *s, size_t len, size_t *pos, bool *integer)
{
	size_t i = *pos;
	bool whole = true;

	if (s[i] == '-' && ++i >= len)
		return fail_eof(p, len, "expected a digit after '-'");
	if (s[i] == '0') {
		if (++i < len && is_digit(s[i]))
			return fail(p, i - 1, "invalid number: leading zeros are not allowed");
	} else if (is_digit(s[i])) {
		while (i < len && is_digit(s[i]))
			i++;
	} else {
		return fail_found(p, i, s[i], "invalid number: expected a digit after '-'");
	}
	if (i < len && s[i] == '.') {
		whole = false;
		if (++i >= len)
			return fail_eof(p, len, "expected a digit after '.'");
		if (!is_digit(s[i]))
			return fail_found(p, i, s[i], "invalid number: expected a digit after '.'");
		while (i < len && is_digit(s[i]))
			i++;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		whole = false;
		if (++i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= len)
			return fail_eof(p, len, "expected a digit in the exponent");
		if (!is_digit(s[i]))
			return fail_found(p, i, s[i],
					  "invalid number: expected a digit in the exponent");
		while (i < len && is_digit(s[i]))
			i++;
	}
	if (i < len && (s[i] == '.' || s[i] == '+' || s[i] == '-' || is_digit(s[i]) ||
			(unsigned)((s[i] | 0x20) - 'a') < 26u)) {
		char what[16];

		return fail(p, i, "invalid number: %s after it",
			    describe(s[i], what, sizeof(what)));
	}
	*integer = whole;
	*pos = i;
	return true;
}

static bool
scan_literal(struct jtok_parser *p, const unsigned char *s, size_t len, size_t *pos,
	     const char *word)
{
	size_t i = *pos, wlen = strlen(word), avail = len - i;
	char expected[32];

	if (avail >= wlen && memcmp(s + i, word, wlen) == 0) {
		*pos = i + wlen;
		return true;
	}
	snprintf(expected, sizeof(expected), "expected '%s'", word);
	if (avail < wlen && memcmp(s + i, word, avail) == 0)
		return fail_eof(p, len, expected);
	return fail(p, i, "invalid literal: %s", expected);
}

/* A value cannot start with c: say why in the terms a person fixing the file needs. */
static bool
fail_value(struct jtok_parser *p, size_t i, unsigned char c)
{
	if (c == '.' || c == '+')
		return fail(p, i, "invalid number: it must start with '-' or a digit");
	if (c == '/')
		return fail(p, i, "comments are not allowed in JSON");
	if (c == '\'')
		return fail(p, i, "strings must be in double quotes");
	if (c == 0xef && i == 0)
		return fail(p, i, "byte order mark not allowed");
	return fail_found(p, i, c, "expected a value");
}

/* ---- tokens ---- */

static struct jtok *
new_token(struct jtok_parser *p, enum jtok_type type, size_t start)
{
	struct jtok *t;

	if (p->max_tokens && p->n >= p->max_tokens) {
		fail(p, start, "more than %zu tokens", p->max_tokens);
		return NULL;
	}
	if (p->n == p->alloc)
		p->toks = xgrow(p->toks, &p->alloc, p->n + 1, sizeof(*p->toks));
	t = &p->toks[p->n++];
	t->type = type;
	t->start = (uint32_t)start;
	t->end = (uint32_t)start;
	t->size = 0;
	t->skip = (uint32_t)p->n;
	t->escaped = false;
	t->integer = false;
	t->key = false;
	t->last = false;
	return t;
}

static inline bool
is_string(const struct jtok_parser *p, size_t tok)
{
	return tok < p->n && p->toks[tok].type == JTOK_STRING;
}

/* ---- decoding ---- */

static size_t
utf8_encode(uint32_t u, unsigned char *out)
{
	if (u < 0x80) {
		out[0] = (unsigned char)u;
		return 1;
	}
	if (u < 0x800) {
		out[0] = (unsigned char)(0xc0 | u >> 6);
		out[1] = (unsigned char)(0x80 | (u & 0x3f));
		return 2;
	}
	if (u < 0x10000) {
		out[0] = (unsigned char)(0xe0 | u >> 12);
		out[1] = (unsigned char)(0x80 | (u >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (u & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | u >> 18);
	out[1] = (unsigned char)(0x80 | (u >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (u >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (u & 0x3f));
	return 4;
}

static uint32_t
hex4(const unsigned char *s)
{
	return (uint32_t)(hex_value(s[0]) << 12 | hex_value(s[1]) << 8 | hex_value(s[2]) << 4 |
			  hex_value(s[3]));
}

/* The escape at s[0] == '\\', already validated by scan_escape: writes its UTF-8 to
 * out (at most 4 bytes), returns their number and sets *used to the bytes read. */
static size_t
decode_escape(const unsigned char *s, unsigned char *out, size_t *used)
{
	uint32_t u;

	*used = 2;
	switch (s[1]) {
	case 'b':
		out[0] = '\b';
		return 1;
	case 'f':
		out[0] = '\f';
		return 1;
	case 'n':
		out[0] = '\n';
		return 1;
	case 'r':
		out[0] = '\r';
		return 1;
	case 't':
		out[0] = '\t';
		return 1;
	case 'u':
		break;
	default: /* '"', '\\', '/' stand for themselves */
		out[0] = s[1];
		return 1;
	}
	u = hex4(s + 2);
	*used = 6;
	if (u >= 0xd800 && u <= 0xdbff) {
		u = 0x10000 + ((u - 0xd800) << 10) + (hex4(s + 8) - 0xdc00);
		*used = 12;
	}
	return utf8_encode(u, out);
}

/* Decoded bytes of a string token one at a time, for comparisons that must not copy. */
struct decoder {
	const unsigned char *p, *end;
	unsigned char pending[4];
	size_t npending, next;
};

static void
decoder_init(struct decoder *d, const char *text, const struct jtok *t)
{
	d->p = (const unsigned char *)text + t->start;
	d->end = (const unsigned char *)text + t->end;
	d->npending = 0;
	d->next = 0;
}

/* The next byte, or -1 at the end. */
static int
decoder_next(struct decoder *d)
{
	size_t used;

	if (d->next < d->npending)
		return d->pending[d->next++];
	if (d->p >= d->end)
		return -1;
	if (*d->p != '\\')
		return *d->p++;
	d->npending = decode_escape(d->p, d->pending, &used);
	d->p += used;
	d->next = 1;
	return d->pending[0];
}

/* Orders string tokens by their decoded bytes (shorter first on a common prefix). */
static int
key_cmp(const char *text, const struct jtok *toks, uint32_t a, uint32_t b)
{
	const struct jtok *ta = &toks[a], *tb = &toks[b];
	struct decoder da, db;
	int ca, cb;

	if (!ta->escaped && !tb->escaped) {
		size_t la = ta->end - ta->start, lb = tb->end - tb->start;
		int r = memcmp(text + ta->start, text + tb->start, la < lb ? la : lb);

		return r ? r : (la > lb) - (la < lb);
	}
	decoder_init(&da, text, ta);
	decoder_init(&db, text, tb);
	do {
		ca = decoder_next(&da);
		cb = decoder_next(&db);
	} while (ca == cb && ca >= 0);
	return (ca > cb) - (ca < cb);
}

/* Equal keys have equal fingerprints (decoded length and first and last two bytes),
 * so most pairs of keys are told apart by one integer comparison. */
static uint64_t
key_fingerprint(const char *text, const struct jtok *t)
{
	const unsigned char *s = (const unsigned char *)text + t->start;
	uint64_t length, head = 0, tail = 0;
	struct decoder d;
	int c;

	if (!t->escaped) {
		length = t->end - t->start;
		if (length >= 2) {
			head = (uint64_t)s[0] << 8 | s[1];
			tail = (uint64_t)s[length - 2] << 8 | s[length - 1];
		} else if (length == 1) {
			head = tail = s[0];
		}
	} else {
		decoder_init(&d, text, t);
		for (length = 0; (c = decoder_next(&d)) >= 0; length++) {
			if (length < 2)
				head = head << 8 | (uint64_t)c;
			tail = (tail << 8 | (uint64_t)c) & 0xffff;
		}
	}
	if (length > 0xffffff)
		length = 0xffffff;
	return length << 32 | head << 16 | tail;
}

struct jtok_scratch {
	uint64_t fingerprint;
	uint32_t key;
};

/* Orders keys by fingerprint, then by decoded bytes: a total order in which equal
 * keys are neighbours, and in which most comparisons are of two integers. */
static int
scratch_cmp(const char *text, const struct jtok *toks, const struct jtok_scratch *a,
	    const struct jtok_scratch *b)
{
	if (a->fingerprint != b->fingerprint)
		return a->fingerprint < b->fingerprint ? -1 : 1;
	return key_cmp(text, toks, a->key, b->key);
}

static void
sift_down(struct jtok_scratch *a, size_t root, size_t n, const char *text, const struct jtok *toks)
{
	for (;;) {
		size_t child = 2 * root + 1;
		struct jtok_scratch tmp;

		if (child >= n)
			return;
		if (child + 1 < n && scratch_cmp(text, toks, &a[child], &a[child + 1]) < 0)
			child++;
		if (scratch_cmp(text, toks, &a[root], &a[child]) >= 0)
			return;
		tmp = a[root];
		a[root] = a[child];
		a[child] = tmp;
		root = child;
	}
}

/* Heapsort: no recursion, no allocation, n log n comparisons whatever the keys. */
static void
sort_keys(struct jtok_scratch *a, size_t n, const char *text, const struct jtok *toks)
{
	size_t i;

	for (i = n / 2; i-- > 0;)
		sift_down(a, i, n, text, toks);
	for (i = n; i-- > 1;) {
		struct jtok_scratch tmp = a[0];

		a[0] = a[i];
		a[i] = tmp;
		sift_down(a, 0, i, text, toks);
	}
}

static bool
fail_duplicate(struct jtok_parser *p, const char *text, uint32_t key)
{
	const struct jtok *t = &p->toks[key];
	size_t shown = t->end - t->start;
	bool cut = shown > KEY_IN_MESSAGE;

	/* Raw (still escaped) text; cut on a UTF-8 character boundary. */
	if (cut) {
		shown = KEY_IN_MESSAGE;
		while (shown > 0 && ((unsigned char)text[t->start + shown] & 0xc0) == 0x80)
			shown--;
	}
	return fail(p, t->start - 1, "duplicate key \"%.*s%s\"", (int)shown, text + t->start,
		    cut ? "..." : "");
}

/* RFC 8259 only says names SHOULD be unique, but jansson and most consumers keep one
 * of two equal keys silently; an import must not guess which. Keys are compared
 * decoded ("a" and "\u0061" are the same key). The reported key is the second
 * occurrence that comes first in the text. */
static bool
check_duplicates(struct jtok_parser *p, const char *text, uint32_t obj)
{
	const struct jtok *toks = p->toks;
	size_t n = toks[obj].size, i, j;
	uint32_t k = obj + 1, found = NO_TOKEN;
	struct jtok_scratch *a;

	if (n <= SMALL_OBJECT) {
		uint32_t keys[SMALL_OBJECT];
		uint64_t fp[SMALL_OBJECT];

		for (i = 0; i < n; i++) {
			keys[i] = k;
			fp[i] = key_fingerprint(text, &toks[k]);
			k = toks[k + 1].skip;
		}
		for (j = 1; j < n; j++)
			for (i = 0; i < j; i++)
				if (fp[i] == fp[j] && key_cmp(text, toks, keys[i], keys[j]) == 0)
					return fail_duplicate(p, text, keys[j]);
		return true;
	}
	a = p->scratch = xgrow(p->scratch, &p->scratch_alloc, n, sizeof(*p->scratch));
	for (i = 0; i < n; i++) {
		a[i].fingerprint = key_fingerprint(text, &toks[k]);
		a[i].key = k;
		k = toks[k + 1].skip;
	}
	sort_keys(a, n, text, toks);
	for (i = 1; i < n; i++) {
		uint32_t later = a[i - 1].key > a[i].key ? a[i - 1].key : a[i].key;

		if (later < found && scratch_cmp(text, toks, &a[i - 1], &a[i]) == 0)
			found = later;
	}
	return found == NO_TOKEN ? true : fail_duplicate(p, text, found);
}

/* ---- the parser ---- */

/* An object key at s[*pos] (whitespace skipped), its ':' and the whitespace after it:
 * *pos ends at the member's value. */
static bool
scan_key(struct jtok_parser *p, const unsigned char *s, size_t len, size_t *pos, uint32_t obj)
{
	size_t i = *pos;
	bool escaped;
	struct jtok *t;

	if (s[i] != '"')
		return fail_found(p, i, s[i], "expected a string key");
	if (!scan_string(p, s, len, &i, &escaped))
		return false;
	if (!(t = new_token(p, JTOK_STRING, *pos + 1)))
		return false;
	t->end = (uint32_t)(i - 1);
	t->escaped = escaped;
	t->key = true;
	p->toks[obj].size++;
	i = skip_ws(s, len, i);
	if (i == len)
		return fail_eof(p, len, "expected ':' after a key");
	if (s[i] != ':')
		return fail_found(p, i, s[i], "expected ':' after a key");
	i = skip_ws(s, len, i + 1);
	if (i == len)
		return fail_eof(p, len, "expected a value");
	*pos = i;
	return true;
}

/*
 * One loop, two halves. The first reads the value starting at s[i]; a container pushes
 * itself as the innermost open one (cur) and loops for its first element or member.
 * The second runs after a complete value: it reads the ',' or closing bracket that
 * must follow, closing as many containers as there are brackets.
 *
 * While a container is open, two of its fields hold parse state, so that no stack is
 * needed: skip links to the enclosing open container and end holds the index of its
 * latest child value (to set that child's last flag). Closing sets both for real.
 */
static bool parse(struct jtok_parser *p, const char *text, size_t len, size_t *used);

bool
jtok_parse(struct jtok_parser *p, const char *text, size_t len)
{
	return parse(p, text, len, NULL);
}

bool
jtok_parse_prefix(struct jtok_parser *p, const char *text, size_t len, size_t *used)
{
	return parse(p, text, len, used);
}

/* The tokenizer; with used set it stops after the first value and reports how many
 * bytes it took (jtok_parse_prefix), else the value must be all of the text. */
static bool
parse(struct jtok_parser *p, const char *text, size_t len, size_t *used)
{
	const unsigned char *s = (const unsigned char *)text;
	unsigned max_depth = p->max_depth ? p->max_depth : DEFAULT_MAX_DEPTH;
	unsigned depth = 0;
	uint32_t cur = NO_TOKEN;
	size_t i;

	p->n = 0;
	p->error[0] = '\0';
	p->error_offset = 0;
	if (len > UINT32_MAX)
		return fail(p, 0, "input too large (4 GiB or more)");
	i = skip_ws(s, len, 0);
	if (i == len)
		return fail(p, i, "empty input");

	for (;;) {
		struct jtok *t;
		enum jtok_type type;
		bool flag = false;
		size_t start = i;
		unsigned char c = s[i];

		if (cur != NO_TOKEN) {
			t = &p->toks[cur];
			t->end = (uint32_t)p->n;
			if (t->type == JTOK_ARRAY)
				t->size++;
		}
		switch (c) {
		case '{':
		case '[':
			if (depth == max_depth)
				return fail(p, i, "nesting deeper than %u levels", max_depth);
			if (!(t = new_token(p, c == '{' ? JTOK_OBJECT : JTOK_ARRAY, i)))
				return false;
			t->skip = cur;
			cur = (uint32_t)(p->n - 1);
			depth++;
			i = skip_ws(s, len, i + 1);
			if (i == len)
				return fail_eof(p, len,
						c == '{' ? "expected a key or '}'"
							 : "expected a value or ']'");
			if (s[i] == c + 2) /* '{' + 2 == '}', '[' + 2 == ']': empty, closed below */
				break;
			if (c == '{' && !scan_key(p, s, len, &i, cur))
				return false;
			continue;
		case '"':
			if (!scan_string(p, s, len, &i, &flag))
				return false;
			if (!(t = new_token(p, JTOK_STRING, start + 1)))
				return false;
			t->end = (uint32_t)(i - 1);
			t->escaped = flag;
			break;
		case '-':
		case '0':
		case '1':
		case '2':
		case '3':
		case '4':
		case '5':
		case '6':
		case '7':
		case '8':
		case '9':
			if (!scan_number(p, s, len, &i, &flag))
				return false;
			if (!(t = new_token(p, JTOK_NUMBER, start)))
				return false;
			t->end = (uint32_t)i;
			t->integer = flag;
			break;
		case 't':
		case 'f':
		case 'n':
			type = c == 't' ? JTOK_TRUE : c == 'f' ? JTOK_FALSE : JTOK_NULL;
			if (!scan_literal(p, s, len, &i, literals[type]))
				return false;
			if (!(t = new_token(p, type, start)))
				return false;
			t->end = (uint32_t)i;
			break;
		default:
			return fail_value(p, i, c);
		}

		/* A value just ended at i. */
		for (;;) {
			bool array;

			if (cur == NO_TOKEN) {
				if (used) {
					*used = i;
					return true;
				}
				i = skip_ws(s, len, i);
				if (i != len)
					return fail_found(
						p, i, s[i],
						"expected the end of input after the JSON value");
				return true;
			}
			t = &p->toks[cur];
			array = t->type == JTOK_ARRAY;
			i = skip_ws(s, len, i);
			if (i == len)
				return fail_eof(p, len,
						array ? "expected ',' or ']'"
						      : "expected ',' or '}'");
			c = s[i];
			if (c == ',') {
				size_t comma = i;

				i = skip_ws(s, len, i + 1);
				if (i == len)
					return fail_eof(p, len,
							array ? "expected a value"
							      : "expected a key");
				if (s[i] == (array ? ']' : '}'))
					return fail(p, comma, "trailing comma before '%c'", s[i]);
				if (!array && !scan_key(p, s, len, &i, cur))
					return false;
				break;
			}
			if (c != (array ? ']' : '}'))
				return fail_found(
					p, i, c,
					array ? "expected ',' or ']' after an array element"
					      : "expected ',' or '}' after an object member");
			if (t->size)
				p->toks[t->end].last = true;
			if (!array && t->size > 1 && !check_duplicates(p, text, cur))
				return false;
			t = &p->toks[cur];
			cur = t->skip;
			t->skip = (uint32_t)p->n;
			t->end = (uint32_t)(i + 1);
			depth--;
			i++;
		}
	}
}

/* ---- access ---- */

/* string token tok == s[0, slen) after decoding */
static bool
string_equals(const struct jtok_parser *p, const char *text, size_t tok, const char *s, size_t slen)
{
	const struct jtok *t = &p->toks[tok];
	struct decoder d;
	size_t k;

	if (!t->escaped)
		return t->end - t->start == slen && memcmp(text + t->start, s, slen) == 0;
	decoder_init(&d, text, t);
	for (k = 0; k < slen; k++)
		if (decoder_next(&d) != (unsigned char)s[k])
			return false;
	return decoder_next(&d) < 0;
}

size_t
jtok_get(const struct jtok_parser *p, const char *text, size_t obj, const char *key)
{
	size_t klen = strlen(key), k, m;

	if (obj >= p->n || p->toks[obj].type != JTOK_OBJECT)
		return 0;
	for (k = obj + 1, m = 0; m < p->toks[obj].size; m++) {
		if (string_equals(p, text, k, key, klen))
			return k + 1;
		k = p->toks[k + 1].skip;
	}
	return 0;
}

size_t
jtok_at(const struct jtok_parser *p, size_t arr, size_t i)
{
	size_t e;

	if (arr >= p->n || p->toks[arr].type != JTOK_ARRAY || i >= p->toks[arr].size)
		return 0;
	for (e = arr + 1; i > 0; i--)
		e = p->toks[e].skip;
	return e;
}

size_t
jtok_first(const struct jtok_parser *p, size_t container)
{
	const struct jtok *t;

	if (container >= p->n)
		return 0;
	t = &p->toks[container];
	if ((t->type != JTOK_OBJECT && t->type != JTOK_ARRAY) || t->size == 0)
		return 0;
	return container + 1;
}

size_t
jtok_next(const struct jtok_parser *p, size_t tok)
{
	/* Token 0 has no siblings; it is never a child, so its last flag is unset. */
	if (tok == 0 || tok >= p->n)
		return 0;
	if (p->toks[tok].key)
		tok++;
	return p->toks[tok].last ? 0 : p->toks[tok].skip;
}

bool
jtok_string(const struct jtok_parser *p, const char *text, size_t tok, struct buf *out)
{
	const struct jtok *t;
	const unsigned char *s = (const unsigned char *)text, *bs;
	size_t run, end;
	bool ok = true;

	buf_reset(out);
	if (!is_string(p, tok))
		return false;
	t = &p->toks[tok];
	if (!t->escaped)
		return buf_add(out, text + t->start, t->end - t->start);
	/* Copy the runs between escapes in one piece each. */
	for (run = t->start, end = t->end; ok && (bs = memchr(s + run, '\\', end - run));) {
		unsigned char utf8[4];
		size_t used, n = decode_escape(bs, utf8, &used), at = (size_t)(bs - s);

		ok = buf_add(out, text + run, at - run) && buf_add(out, utf8, n);
		run = at + used;
	}
	if (ok && buf_add(out, text + run, end - run))
		return true;
	buf_reset(out);
	return false;
}

bool
jtok_streq(const struct jtok_parser *p, const char *text, size_t tok, const char *s)
{
	return is_string(p, tok) && string_equals(p, text, tok, s, strlen(s));
}

bool
jtok_int64(const struct jtok_parser *p, const char *text, size_t tok, int64_t *out)
{
	const struct jtok *t;
	size_t q;
	bool negative;
	int64_t v = 0;

	if (tok >= p->n || p->toks[tok].type != JTOK_NUMBER || !p->toks[tok].integer)
		return false;
	t = &p->toks[tok];
	q = t->start;
	negative = text[q] == '-';
	if (negative)
		q++;
	/* Accumulate towards the sign, so that INT64_MIN is reachable. */
	for (; q < t->end; q++) {
		int d = text[q] - '0';

		if (negative) {
			if (v < (INT64_MIN + d) / 10)
				return false;
			v = v * 10 - d;
		} else {
			if (v > (INT64_MAX - d) / 10)
				return false;
			v = v * 10 + d;
		}
	}
	*out = v;
	return true;
}

bool
jtok_double(const struct jtok_parser *p, const char *text, size_t tok, double *out)
{
	const struct jtok *t;
	const char *point;
	char local[128], *copy, *stop;
	size_t len, plen, need, k, w = 0;
	double v;
	bool ok;

	if (tok >= p->n || p->toks[tok].type != JTOK_NUMBER)
		return false;
	t = &p->toks[tok];
	len = t->end - t->start;
	/* strtod reads the decimal point of LC_NUMERIC, and the console runs under the
	 * user's locale (setlocale(LC_ALL, "")): write that point instead of '.'. */
	point = localeconv()->decimal_point;
	if (!point || !*point)
		point = ".";
	plen = strlen(point);
	need = len + plen + 1;
	copy = need <= sizeof(local) ? local : xmalloc(need);
	for (k = t->start; k < t->end; k++) {
		if (text[k] == '.') {
			memcpy(copy + w, point, plen);
			w += plen;
		} else {
			copy[w++] = text[k];
		}
	}
	copy[w] = '\0';
	errno = 0;
	v = strtod(copy, &stop);
	ok = stop == copy + w && !(errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL));
	if (copy != local)
		free(copy);
	if (ok)
		*out = v;
	return ok;
}
