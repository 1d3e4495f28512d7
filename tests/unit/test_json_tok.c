/* test_json_tok.c - the strict tokenizer of src/net/json_tok.c: a table of valid
 * documents (with the token layout spelled out for some), a table of invalid ones with
 * the reason each must give, every truncation of a record, the limits, decoding, the
 * walking helpers, and a differential test against jansson on seeded random documents.
 * Every text is parsed from a heap copy of exactly its length, without a NUL, so that
 * the sanitizers and valgrind catch any read past the end. */
#include "sitrep/sitrep.h"
#include "sitrep/json_tok.h"

#include <jansson.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

/* A document under test: the parser and the exact-length copy its tokens point into. */
struct doc {
	struct jtok_parser p;
	char *text;
	size_t len;
};

static void
doc_init(struct doc *d)
{
	jtok_init(&d->p);
	d->text = NULL;
	d->len = 0;
}

static bool
doc_parse(struct doc *d, const char *text, size_t len)
{
	free(d->text);
	d->text = xmalloc(len ? len : 1);
	memcpy(d->text, text, len);
	d->len = len;
	return jtok_parse(&d->p, len ? d->text : NULL, len);
}

static bool
parse_str(struct doc *d, const char *text)
{
	return doc_parse(d, text, strlen(text));
}

static void
doc_release(struct doc *d)
{
	jtok_release(&d->p);
	free(d->text);
	d->text = NULL;
}

/* A text for a failure message: bytes outside printable ASCII in \xNN form. */
static const char *
shown(const char *text, size_t len)
{
	static char out[1024];
	size_t i, w = 0;

	for (i = 0; i < len && w + 8 < sizeof(out); i++) {
		unsigned char c = (unsigned char)text[i];

		if (c >= 0x20 && c < 0x7f)
			out[w++] = (char)c;
		else
			w += (size_t)snprintf(out + w, sizeof(out) - w, "\\x%02x", c);
	}
	out[w] = '\0';
	return out;
}

/* ---- valid documents ---- */

/* The expected layout, one word per token: a type letter (O object, A array, S string,
 * K key, N number, T true, F false, Z null), the size for containers, ':' and skip. */
static void
check_shape(const struct doc *d, const char *shape)
{
	const char *s = shape;
	size_t i = 0;

	while (*s) {
		static const char letters[] = "OASNTFZ";
		const struct jtok *t;
		char letter = *s++, *end;
		unsigned long size = 0, skip;
		bool key = letter == 'K';

		if (i >= d->p.n)
			fail_msg("%s: more tokens expected than the %zu parsed",
				 shown(d->text, d->len), d->p.n);
		t = &d->p.toks[i];
		if (key)
			letter = 'S';
		if (letter == 'O' || letter == 'A')
			size = strtoul(s, &end, 10), s = end;
		assert_int_equal(*s++, ':');
		skip = strtoul(s, &end, 10);
		s = end;
		while (*s == ' ')
			s++;
		if ((size_t)t->type != (size_t)(strchr(letters, letter) - letters) ||
		    t->key != key || t->skip != skip ||
		    ((letter == 'O' || letter == 'A') && t->size != size))
			fail_msg("%s: token %zu is type %d key %d size %u skip %u, not %c%lu:%lu "
				 "of %s",
				 shown(d->text, d->len), i, (int)t->type, t->key, t->size, t->skip,
				 key ? 'K' : letter, size, skip, shape);
		i++;
	}
	assert_int_equal(i, d->p.n);
}

struct valid_case {
	const char *text;
	size_t len; /* 0: strlen(text) */
	size_t ntoks;
	const char *shape; /* NULL: only the count is checked */
};

static const struct valid_case valid_cases[] = {
	{ "0", 0, 1, "N:1" },
	{ " -0 ", 0, 1, "N:1" },
	{ "-0.0e+5", 0, 1, NULL },
	{ "1E-2", 0, 1, NULL },
	{ "123.456e78", 0, 1, NULL },
	/* RFC 8259 sets no limit on numbers: range is jtok_int64's business. */
	{ "123456789012345678901234567890", 0, 1, NULL },
	{ "true", 0, 1, "T:1" },
	{ "false", 0, 1, "F:1" },
	{ "\t\r\n null \n", 0, 1, "Z:1" },
	{ "\"\"", 0, 1, "S:1" },
	{ "[]", 0, 1, "A0:1" },
	{ "{}", 0, 1, "O0:1" },
	{ " [ ] ", 0, 1, "A0:1" },
	{ "{\n}", 0, 1, "O0:1" },
	{ "{\"a\":[1,2],\"b\":null}", 0, 7, "O2:7 K:2 A2:5 N:4 N:5 K:6 Z:7" },
	{ "[[],{},[[]]]", 0, 5, "A3:5 A0:2 O0:3 A1:5 A0:5" },
	{ "{\"a\":{\"b\":{\"c\":[true,false]}},\"d\":\"e\"}", 0, 11,
	  "O2:11 K:2 O1:9 K:4 O1:9 K:6 A2:9 T:8 F:9 K:10 S:11" },
	{ " { \"k\" : 1 , \"l\" : [ ] } ", 0, 5, "O2:5 K:2 N:3 K:4 A0:5" },
	{ "[1,\"a\",{\"b\":[null]},-2.5e-3]", 0, 8, "A4:8 N:2 S:3 O1:7 K:5 A1:7 Z:7 N:8" },
	/* every escape of the RFC, including a surrogate pair */
	{ "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00\"", 0, 1, "S:1" },
	/* NUL is a valid character when escaped */
	{ "\"a\\u0000b\"", 0, 1, NULL },
	/* UTF-8 at the edges of each well-formed range, and DEL (not a control char) */
	{ "\"\xc2\x80 \xdf\xbf \xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf "
	  "\xf0\x90\x80\x80 "
	  "\xf4\x8f\xbf\xbf \x7f\"",
	  0, 1, NULL },
	/* distinct keys: case, trailing space, empty */
	{ "{\"a\":1,\"A\":2,\"a \":3,\"\":4}", 0, 9, NULL },
	/* the same key in different objects is fine */
	{ "{\"a\":{\"a\":{\"a\":1}},\"b\":{\"a\":2}}", 0, 11, NULL },
	/* "ab" vs "abc" decoded: a prefix, not a duplicate */
	{ "{\"ab\":1,\"a\\u0062c\":2}", 0, 5, NULL },
	/* whitespace may surround a value given with an explicit length (no NUL needed) */
	{ "[1]  ", 5, 2, "A1:2 N:2" },
};

static void
json_tok__valid_documents_parse(void **state)
{
	struct doc d;
	size_t i;

	(void)state;
	doc_init(&d);
	for (i = 0; i < ARRAY_SIZE(valid_cases); i++) {
		const struct valid_case *c = &valid_cases[i];
		size_t len = c->len ? c->len : strlen(c->text);

		if (!doc_parse(&d, c->text, len))
			fail_msg("valid case %zu %s rejected: %s at %zu", i, shown(c->text, len),
				 d.p.error, d.p.error_offset);
		assert_string_equal(d.p.error, "");
		if (d.p.n != c->ntoks)
			fail_msg("valid case %zu %s: %zu tokens, not %zu", i, shown(c->text, len),
				 d.p.n, c->ntoks);
		if (c->shape)
			check_shape(&d, c->shape);
	}
	doc_release(&d);
}

/* ---- invalid documents ---- */

struct invalid_case {
	const char *text;
	size_t len;	    /* 0: strlen(text) */
	const char *expect; /* substring of p.error */
	long offset;	    /* expected p.error_offset, -1: not checked */
};

static const struct invalid_case invalid_cases[] = {
	/* nothing to parse */
	{ "", 0, "empty input", 0 },
	{ " \n\t ", 0, "empty input", 4 },
	/* trailing commas are a common hand-editing slip; the RFC has none */
	{ "[1,]", 0, "trailing comma before ']'", 2 },
	{ "{\"a\":1,}", 0, "trailing comma before '}'", 6 },
	{ "[1,2,\n]", 0, "trailing comma", 4 },
	/* leading zeros would be octal to some readers */
	{ "01", 0, "leading zeros", 0 },
	{ "-01", 0, "leading zeros", 1 },
	{ "[00]", 0, "leading zeros", 1 },
	/* incomplete numbers */
	{ "-", 0, "expected a digit after '-'", 1 },
	{ "-a", 0, "expected a digit after '-'", 1 },
	{ "1.", 0, "expected a digit after '.'", 2 },
	{ "1.e5", 0, "expected a digit after '.'", 2 },
	{ "1e", 0, "expected a digit in the exponent", 2 },
	{ "1e+", 0, "expected a digit in the exponent", 3 },
	{ "[1E-x]", 0, "expected a digit in the exponent", 4 },
	/* numbers must start with '-' or a digit */
	{ ".5", 0, "must start with '-' or a digit", 0 },
	{ "+1", 0, "must start with '-' or a digit", 0 },
	/* junk glued to a number */
	{ "1.5.3", 0, "invalid number", 3 },
	{ "[0x10]", 0, "invalid number", 2 },
	{ "12abc", 0, "invalid number", 2 },
	/* not JSON literals */
	{ "NaN", 0, "expected a value but found 'N'", 0 },
	{ "[Infinity]", 0, "expected a value but found 'I'", 1 },
	{ "True", 0, "expected a value but found 'T'", 0 },
	{ "tru", 0, "end of input (truncated?): expected 'true'", 3 },
	{ "trux", 0, "invalid literal: expected 'true'", 0 },
	{ "nul", 0, "expected 'null'", 3 },
	{ "[fals]", 0, "invalid literal: expected 'false'", 1 },
	/* bare control characters must be escaped */
	{ "\"a\x01z\"", 0, "unescaped control character 0x01", 2 },
	{ "\"tab\there\"", 0, "unescaped control character 0x09", 4 },
	{ "[\"line\nbreak\"]", 0, "unescaped control character 0x0a", 6 },
	{ "\"nul\0byte\"", 10, "unescaped control character 0x00", 4 },
	/* escapes: only the RFC's eight and \uXXXX */
	{ "\"\\x41\"", 0, "invalid escape in a string: '\\' followed by 'x'", 1 },
	{ "\"\\a\"", 0, "invalid escape", 1 },
	{ "\"\\U00e9\"", 0, "invalid escape", 1 },
	{ "\"\\u12\"", 0, "expected 4 hex digits", 1 },
	{ "\"\\u12G4\"", 0, "expected 4 hex digits", 1 },
	/* surrogates must come in high-low pairs */
	{ "\"\\ud800\"", 0, "unpaired high surrogate \\ud800", 1 },
	{ "\"\\uD800\\u0041\"", 0, "unpaired high surrogate \\ud800", 1 },
	{ "\"\\ud800\\ud800\"", 0, "unpaired high surrogate", 1 },
	{ "\"x\\udc00\"", 0, "unpaired low surrogate \\udc00", 2 },
	{ "\"\\ude00\\ud83d\"", 0, "unpaired low surrogate", 1 },
	/* ill-formed UTF-8 (Unicode table 3-7) */
	{ "\"\xc0\xaf\"", 0, "invalid UTF-8 in a string (overlong encoding, byte 0xc0)", 1 },
	{ "\"\xc1\xbf\"", 0, "overlong", 1 },
	{ "\"\xe0\x80\xaf\"", 0, "overlong encoding at byte 0xe0", 1 },
	{ "\"\xf0\x80\x80\xaf\"", 0, "overlong encoding at byte 0xf0", 1 },
	{ "\"\xed\xa0\x80\"", 0, "encoded surrogate", 1 },
	{ "\"\xf4\x90\x80\x80\"", 0, "above U+10FFFF", 1 },
	{ "\"\xf5\x80\x80\x80\"", 0, "invalid UTF-8", 1 },
	{ "\"\xff\"", 0, "invalid UTF-8", 1 },
	{ "\"a\x80\"", 0, "unexpected continuation byte 0x80", 2 },
	{ "\"\xc3\"", 0, "truncated sequence", 1 },
	{ "\"\xe2\x82\"", 0, "truncated sequence", 1 },
	{ "\"\xe2\x82x\"", 0, "truncated sequence", 1 },
	/* duplicate keys, also when equal only once decoded; offset is the second one */
	{ "{\"a\":1,\"a\":2}", 0, "duplicate key \"a\"", 7 },
	{ "{\"a\":1,\"b\":2,\"\\u0061\":3}", 0, "duplicate key \"\\u0061\"", 13 },
	{ "{\"\xc3\xa9\":1,\"\\u00e9\":2}", 0, "duplicate key \"\\u00e9\"", 8 },
	{ "[{\"x\":{\"y\":1,\"y\":2}}]", 0, "duplicate key \"y\"", 13 },
	{ "{\"\":1,\"\":2}", 0, "duplicate key \"\"", 6 },
	/* something after the value */
	{ "[1] x", 0, "expected the end of input after the JSON value but found 'x'", 4 },
	{ "1 2", 0, "expected the end of input", 2 },
	{ "{} {}", 0, "expected the end of input", 3 },
	{ "\"a\"\"b\"", 0, "expected the end of input", 3 },
	{ "1\0", 2, "expected the end of input after the JSON value but found byte 0x00", 1 },
	/* structure */
	{ "[1 2]", 0, "expected ',' or ']' after an array element but found '2'", 3 },
	{ "{\"a\" 1}", 0, "expected ':' after a key but found '1'", 5 },
	{ "{\"a\":1 \"b\":2}", 0, "expected ',' or '}' after an object member", 7 },
	{ "{1:2}", 0, "expected a string key but found '1'", 1 },
	{ "{\"a\":1,,\"b\":2}", 0, "expected a string key but found ','", 7 },
	{ "[1,,2]", 0, "expected a value but found ','", 3 },
	{ "[,1]", 0, "expected a value but found ','", 1 },
	{ "{\"a\":}", 0, "expected a value but found '}'", 5 },
	{ "[1}", 0, "expected ',' or ']'", 2 },
	{ "{\"a\":1]", 0, "expected ',' or '}'", 6 },
	{ "]", 0, "expected a value but found ']'", 0 },
	{ "{'a':1}", 0, "expected a string key but found '''", 1 },
	{ "'a'", 0, "double quotes", 0 },
	/* comments are not JSON */
	{ "/* c */ 1", 0, "comments are not allowed", 0 },
	{ "[1, // c\n2]", 0, "comments are not allowed", 4 },
	/* a byte order mark is not part of the grammar (RFC 8259 section 8.1) */
	{ "\xef\xbb\xbf{}", 0, "byte order mark", 0 },
	/* truncated (each kind of place; every prefix is tested below) */
	{ "[1,2", 0, "unexpected end of input (truncated?): expected ',' or ']'", 4 },
	{ "\"abc", 0, "unexpected end of input (truncated?): expected '\"' to close a string", 4 },
	{ "{\"a\"", 0, "expected ':' after a key", 4 },
	{ "{\"a\":", 0, "unexpected end of input (truncated?): expected a value", 5 },
	{ "\"\\u00", 0, "unexpected end of input (truncated?): expected 4 hex digits", 5 },
	{ "\"\\ud83d", 0, "unexpected end of input (truncated?): expected a low surrogate", 7 },
	{ "\"\xf0\x9f\x98", 0, "unexpected end of input (truncated?): inside a UTF-8 sequence", 4 },
	/* a non-ASCII byte outside a string */
	{ "\xc3\xa9", 0, "expected a value but found byte 0xc3", 0 },
};

static void
json_tok__invalid_documents_fail_with_a_reason(void **state)
{
	struct doc d;
	size_t i;

	(void)state;
	doc_init(&d);
	for (i = 0; i < ARRAY_SIZE(invalid_cases); i++) {
		const struct invalid_case *c = &invalid_cases[i];
		size_t len = c->len ? c->len : strlen(c->text);

		if (doc_parse(&d, c->text, len))
			fail_msg("invalid case %zu %s accepted", i, shown(c->text, len));
		if (!strstr(d.p.error, c->expect))
			fail_msg("invalid case %zu %s: error \"%s\" lacks \"%s\"", i,
				 shown(c->text, len), d.p.error, c->expect);
		if (c->offset >= 0 && d.p.error_offset != (size_t)c->offset)
			fail_msg("invalid case %zu %s (%s): offset %zu, not %ld", i,
				 shown(c->text, len), d.p.error, d.p.error_offset, c->offset);
		/* nothing half-built is left to walk */
		assert_int_equal(d.p.n, 0);
		assert_int_equal(jtok_first(&d.p, 0), 0);
	}
	doc_release(&d);
}

/* ---- a record as `sitrep import` sees it: every construct, about 600 bytes ---- */

static const char record[] =
	"{\"id\":\"INC-2041\",\"service\":\"checkout\",\"source\":\"pagerduty\",\"severity\":"
	"\"P1\","
	"\"impact\":\"outage\",\"impact_start\":\"2025-02-28T23:00:00Z\","
	"\"detected_at\":\"2025-02-28T23:10:00Z\",\"resolved_at\":null,\"reopens\":[],"
	"\"planned\":false,\"customer_visible\":true,\"minutes\":-12.5e1,\"count\":42,"
	"\"title\":\"Caf\\u00e9 \\\"checkout\\\" 5xx \\ud83d\\ude00 \\u2014 done\\n\","
	"\"owner\":\"\xc3\xa9"
	"quipe \xf0\x9f\x9a\x80\",\"caf\\u00e9\":\"key with an escape\","
	"\"sla\":{\"policy\":\"P1 resolution 2h (24x7)\",\"target_minutes\":120,"
	"\"pauses\":[{\"from\":\"2025-03-01T00:00:00Z\",\"to\":\"2025-03-01T00:10:00Z\"}]},"
	"\"labels\":[\"db\",\"eu-west-1\"], \"empty\" : { } }";

/* Files are cut short by full disks and killed writers: each cut must read as one. */
static void
json_tok__every_truncation_of_a_record_fails(void **state)
{
	struct doc d;
	size_t len = strlen(record), cut;

	(void)state;
	doc_init(&d);
	assert_true(doc_parse(&d, record, len));
	for (cut = 1; cut < len; cut++) {
		if (doc_parse(&d, record, cut))
			fail_msg("prefix of %zu bytes accepted: %s", cut, shown(record, cut));
		if (!strstr(d.p.error, "unexpected end of input (truncated?)") ||
		    d.p.error_offset != cut)
			fail_msg("prefix of %zu bytes: \"%s\" at %zu", cut, d.p.error,
				 d.p.error_offset);
	}
	assert_false(doc_parse(&d, record, 0));
	assert_string_equal(d.p.error, "empty input");
	doc_release(&d);
}

/* ---- limits ---- */

static char *
nested(const char *open, const char *inner, const char *close, unsigned depth)
{
	struct buf b;
	unsigned i;

	buf_init(&b, 0);
	for (i = 0; i < depth; i++)
		buf_addstr(&b, open);
	buf_addstr(&b, inner);
	for (i = 0; i < depth; i++)
		buf_addstr(&b, close);
	return buf_detach(&b);
}

static void
json_tok__depth_is_limited(void **state)
{
	struct doc d;
	char *text;

	(void)state;
	doc_init(&d);
	text = nested("[", "1", "]", 64);
	assert_true(doc_parse(&d, text, strlen(text)));
	assert_int_equal(d.p.n, 65);
	assert_int_equal(d.p.toks[0].skip, 65);
	free(text);

	/* hostile nesting stops at the limit, without recursion to overflow */
	text = nested("[", "1", "]", 65);
	assert_false(doc_parse(&d, text, strlen(text)));
	assert_string_equal(d.p.error, "nesting deeper than 64 levels");
	assert_int_equal(d.p.error_offset, 64);
	free(text);

	text = nested("{\"a\":", "{}", "}", 64);
	assert_false(doc_parse(&d, text, strlen(text)));
	assert_non_null(strstr(d.p.error, "nesting deeper than 64"));
	free(text);

	d.p.max_depth = 3;
	assert_true(parse_str(&d, "[{\"a\":[1]}]"));
	assert_false(parse_str(&d, "[{\"a\":[[]]}]"));
	assert_string_equal(d.p.error, "nesting deeper than 3 levels");
	assert_int_equal(d.p.error_offset, 7);
	/* depth is depth, not a count of containers */
	assert_true(parse_str(&d, "[[[1]],[[2]],[[3]]]"));

	d.p.max_depth = 100000;
	text = nested("[", "", "]", 50000);
	assert_true(doc_parse(&d, text, strlen(text)));
	assert_int_equal(d.p.n, 50000);
	assert_int_equal(d.p.toks[0].skip, 50000);
	assert_int_equal(d.p.toks[49999].skip, 50000);
	free(text);
	doc_release(&d);
}

static void
json_tok__token_count_is_limited(void **state)
{
	struct doc d;

	(void)state;
	doc_init(&d);
	d.p.max_tokens = 3;
	assert_true(parse_str(&d, "[1,2]"));
	assert_false(parse_str(&d, "[1,2,3]"));
	assert_string_equal(d.p.error, "more than 3 tokens");
	assert_int_equal(d.p.error_offset, 5);
	/* keys count */
	assert_false(parse_str(&d, "{\"a\":1,\"b\":2}"));
	d.p.max_tokens = 0;
	assert_true(parse_str(&d, "[1,2,3]"));
	doc_release(&d);
}

static void
json_tok__refuses_texts_of_4_gib(void **state)
{
#if SIZE_MAX > UINT32_MAX
	struct jtok_parser p;

	(void)state;
	jtok_init(&p);
	/* refused before a byte is read, so the short text is safe */
	assert_false(jtok_parse(&p, "1", (size_t)UINT32_MAX + 1));
	assert_string_equal(p.error, "input too large (4 GiB or more)");
	jtok_release(&p);
#else
	(void)state;
	skip();
#endif
}

/* Objects past the pairwise check are sorted; the reported key must still be the
 * first second occurrence in the text. */
static void
json_tok__duplicate_keys_in_large_objects(void **state)
{
	struct doc d;
	struct buf b;
	size_t n, k;

	(void)state;
	doc_init(&d);
	buf_init(&b, 0);
	for (n = 33; n <= 300; n += 267) {
		buf_reset(&b);
		buf_addch(&b, '{');
		for (k = 0; k < n; k++)
			buf_printf(&b, "%s\"k%zu\":%zu", k ? "," : "", k, k);
		buf_addch(&b, '}');
		assert_true(doc_parse(&d, b.data, b.len));
		assert_int_equal(d.p.toks[0].size, n);
		assert_int_equal(jtok_get(&d.p, d.text, 0, "k16"), 1 + 2 * 16 + 1);
	}
	/* 100 keys (sorted, not pairwise); 57 is "k41" escaped, 80 is "k3" again */
	buf_reset(&b);
	buf_addch(&b, '{');
	for (k = 0; k < 100; k++) {
		buf_addstr(&b, k ? "," : "");
		if (k == 57)
			buf_addstr(&b, "\"k\\u00341\"");
		else if (k == 80)
			buf_addstr(&b, "\"k3\"");
		else
			buf_printf(&b, "\"k%zu\"", k);
		buf_addstr(&b, ":[]");
	}
	buf_addch(&b, '}');
	assert_false(doc_parse(&d, b.data, b.len));
	assert_string_equal(d.p.error, "duplicate key \"k\\u00341\"");
	assert_int_equal((unsigned char)b.data[d.p.error_offset], '"');
	assert_int_equal(strncmp(b.data + d.p.error_offset, "\"k\\u00341\"", 10), 0);

	/* a long duplicate key is shortened in the message, on a character boundary */
	buf_reset(&b);
	buf_addstr(&b, "{\"x");
	for (k = 0; k < 30; k++)
		buf_addstr(&b, "\xc3\xa9");
	buf_addstr(&b, "\":1,\"x");
	for (k = 0; k < 30; k++)
		buf_addstr(&b, "\xc3\xa9");
	buf_addstr(&b, "\":2}");
	assert_false(doc_parse(&d, b.data, b.len));
	assert_int_equal(strlen(d.p.error), strlen("duplicate key \"\"...") + 47);
	assert_non_null(strstr(d.p.error, "\xc3\xa9...\""));
	buf_release(&b);
	doc_release(&d);
}

/* ---- decoding ---- */

struct decode_case {
	const char *json; /* a string token, quotes included */
	const char *decoded;
	size_t decoded_len; /* 0: strlen(decoded) */
	bool escaped;
};

static const struct decode_case decode_cases[] = {
	{ "\"plain text\"", "plain text", 0, false },
	{ "\"\"", "", 0, false },
	{ "\"caf\\u00e9\"", "caf\xc3\xa9", 0, true },
	{ "\"CAF\\u00C9\"", "CAF\xc3\x89", 0, true },
	{ "\"\\u20ac 5\"", "\xe2\x82\xac 5", 0, true },
	{ "\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 0, true },
	{ "\"x\\uDBFF\\uDFFFy\"", "x\xf4\x8f\xbf\xbfy", 0, true },
	{ "\"\\u0041\\u007f\\u0080\\u07ff\\u0800\\uffff\"",
	  "A\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", 0, true },
	{ "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 0, true },
	{ "\"a\\u0000b\"", "a\0b", 3, true },
	{ "\"raw \xc3\xa9 and \\u00e9\"", "raw \xc3\xa9 and \xc3\xa9", 0, true },
	{ "\"end\\n\"", "end\n", 0, true },
	{ "\"\\tstart\"", "\tstart", 0, true },
};

static void
json_tok__decodes_strings(void **state)
{
	struct doc d;
	struct buf out;
	size_t i;

	(void)state;
	doc_init(&d);
	buf_init(&out, 0);
	for (i = 0; i < ARRAY_SIZE(decode_cases); i++) {
		const struct decode_case *c = &decode_cases[i];
		size_t want = c->decoded_len ? c->decoded_len : strlen(c->decoded);

		assert_true(doc_parse(&d, c->json, strlen(c->json)));
		assert_int_equal(d.p.toks[0].escaped, c->escaped);
		assert_true(jtok_string(&d.p, d.text, 0, &out));
		if (out.len != want || memcmp(out.data, c->decoded, want) != 0)
			fail_msg("%s decoded to %s", c->json, shown(out.data, out.len));
		assert_int_equal(out.data[out.len], '\0');
		/* streq sees the same bytes; with an embedded NUL only the whole matches */
		if (!c->decoded_len)
			assert_true(jtok_streq(&d.p, d.text, 0, c->decoded));
		else
			assert_false(jtok_streq(&d.p, d.text, 0, "a"));
	}
	/* near misses */
	assert_true(parse_str(&d, "\"caf\\u00e9\""));
	assert_false(jtok_streq(&d.p, d.text, 0, "caf"));
	assert_false(jtok_streq(&d.p, d.text, 0, "caf\xc3\xa9s"));
	assert_false(jtok_streq(&d.p, d.text, 0, "cafe"));
	/* not a string */
	assert_true(parse_str(&d, "[\"a\",1]"));
	assert_false(jtok_string(&d.p, d.text, 0, &out));
	assert_false(jtok_string(&d.p, d.text, 2, &out));
	assert_false(jtok_string(&d.p, d.text, 3, &out));
	assert_false(jtok_streq(&d.p, d.text, 2, "1"));
	assert_int_equal(out.len, 0);
	buf_release(&out);

	/* a buffer's maximum is respected and leaves it empty */
	buf_init(&out, 4);
	assert_true(parse_str(&d, "[\"abcd\",\"abcde\",\"ab\\u00e9\",\"abc\\u00e9\"]"));
	assert_true(jtok_string(&d.p, d.text, 1, &out));
	assert_false(jtok_string(&d.p, d.text, 2, &out));
	assert_int_equal(out.len, 0);
	assert_true(jtok_string(&d.p, d.text, 3, &out));
	assert_false(jtok_string(&d.p, d.text, 4, &out));
	assert_int_equal(out.len, 0);
	buf_release(&out);
	doc_release(&d);
}

static void
json_tok__converts_numbers(void **state)
{
	static const struct {
		const char *json;
		bool ok;
		int64_t value;
	} ints[] = {
		{ "0", true, 0 },
		{ "-0", true, 0 },
		{ "42", true, 42 },
		{ "-17", true, -17 },
		{ "9223372036854775807", true, INT64_MAX },
		{ "-9223372036854775808", true, INT64_MIN },
		{ "9223372036854775808", false, 0 },
		{ "-9223372036854775809", false, 0 },
		{ "100000000000000000000", false, 0 },
		{ "1.0", false, 0 },
		{ "1e2", false, 0 },
		{ "\"1\"", false, 0 },
	};
	static const struct {
		const char *json;
		bool ok;
		double value;
	} reals[] = {
		{ "1.5", true, 1.5 },	{ "-2.5e3", true, -2500.0 }, { "42", true, 42.0 },
		{ "-0", true, -0.0 },	{ "1E-2", true, 0.01 },	     { "1e400", false, 0 },
		{ "-1e400", false, 0 }, { "1e-400", true, 0.0 },     { "true", false, 0 },
	};
	struct doc d;
	struct buf b;
	int64_t i64;
	double v;
	size_t i;

	(void)state;
	doc_init(&d);
	for (i = 0; i < ARRAY_SIZE(ints); i++) {
		assert_true(doc_parse(&d, ints[i].json, strlen(ints[i].json)));
		i64 = 12345;
		if (jtok_int64(&d.p, d.text, 0, &i64) != ints[i].ok)
			fail_msg("jtok_int64(%s) != %d", ints[i].json, ints[i].ok);
		assert_int_equal(i64, ints[i].ok ? ints[i].value : 12345);
	}
	for (i = 0; i < ARRAY_SIZE(reals); i++) {
		assert_true(doc_parse(&d, reals[i].json, strlen(reals[i].json)));
		v = 12345;
		if (jtok_double(&d.p, d.text, 0, &v) != reals[i].ok)
			fail_msg("jtok_double(%s) != %d", reals[i].json, reals[i].ok);
		assert_true(v == (reals[i].ok ? reals[i].value : 12345));
	}
	/* longer than jtok_double's stack copy */
	buf_init(&b, 0);
	buf_addstr(&b, "0.");
	for (i = 0; i < 300; i++)
		buf_addch(&b, '0');
	buf_addstr(&b, "15e301");
	assert_true(doc_parse(&d, b.data, b.len));
	assert_true(jtok_double(&d.p, d.text, 0, &v));
	assert_true(v == 1.5);
	buf_release(&b);
	doc_release(&d);
}

/* The console runs under the user's locale; strtod must still read '.'. */
static void
json_tok__numbers_ignore_the_locale(void **state)
{
	static const char *const locales[] = {
		"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE", "fr_FR", "ru_RU.UTF-8",
	};
	struct doc d;
	double v = 0;
	size_t i;
	bool set = false;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(locales) && !set; i++)
		set = setlocale(LC_NUMERIC, locales[i]) != NULL;
	if (!set || streq(localeconv()->decimal_point, ".")) {
		setlocale(LC_NUMERIC, "C");
		skip(); /* no locale with a decimal comma is installed */
	}
	doc_init(&d);
	assert_true(parse_str(&d, "-2.25e1"));
	assert_true(jtok_double(&d.p, d.text, 0, &v));
	setlocale(LC_NUMERIC, "C");
	assert_true(v == -22.5);
	doc_release(&d);
}

/* ---- walking ---- */

static void
json_tok__walks_a_nested_record(void **state)
{
	static const char *const keys[] = {
		"id",
		"service",
		"source",
		"severity",
		"impact",
		"impact_start",
		"detected_at",
		"resolved_at",
		"reopens",
		"planned",
		"customer_visible",
		"minutes",
		"count",
		"title",
		"owner",
		"caf\xc3\xa9",
		"sla",
		"labels",
		"empty",
	};
	struct doc d;
	struct buf s;
	size_t k, e, sla, pauses, labels, i;
	int64_t n;
	double v;

	(void)state;
	doc_init(&d);
	buf_init(&s, 0);
	assert_true(doc_parse(&d, record, strlen(record)));
	assert_int_equal(d.p.toks[0].type, JTOK_OBJECT);
	assert_int_equal(d.p.toks[0].size, ARRAY_SIZE(keys));
	assert_int_equal(d.p.toks[0].skip, d.p.n);

	/* keys in order, by first/next from a key and from a value */
	for (i = 0, k = jtok_first(&d.p, 0); k; k = jtok_next(&d.p, k), i++) {
		assert_true(i < ARRAY_SIZE(keys));
		assert_true(d.p.toks[k].key);
		assert_true(jtok_streq(&d.p, d.text, k, keys[i]));
		assert_int_equal(jtok_get(&d.p, d.text, 0, keys[i]), k + 1);
		assert_int_equal(jtok_next(&d.p, k + 1), jtok_next(&d.p, k));
	}
	assert_int_equal(i, ARRAY_SIZE(keys));

	assert_true(jtok_string(&d.p, d.text, jtok_get(&d.p, d.text, 0, "title"), &s));
	assert_string_equal(s.data,
			    "Caf\xc3\xa9 \"checkout\" 5xx \xf0\x9f\x98\x80 \xe2\x80\x94 done\n");
	assert_true(jtok_string(&d.p, d.text, jtok_get(&d.p, d.text, 0, "owner"), &s));
	assert_string_equal(s.data, "\xc3\xa9quipe \xf0\x9f\x9a\x80");
	k = jtok_get(&d.p, d.text, 0, "caf\xc3\xa9");
	assert_true(jtok_streq(&d.p, d.text, k, "key with an escape"));
	assert_int_equal(d.p.toks[jtok_get(&d.p, d.text, 0, "resolved_at")].type, JTOK_NULL);
	assert_int_equal(d.p.toks[jtok_get(&d.p, d.text, 0, "planned")].type, JTOK_FALSE);
	assert_int_equal(d.p.toks[jtok_get(&d.p, d.text, 0, "customer_visible")].type, JTOK_TRUE);
	assert_true(jtok_double(&d.p, d.text, jtok_get(&d.p, d.text, 0, "minutes"), &v));
	assert_true(v == -125.0);
	assert_false(jtok_int64(&d.p, d.text, jtok_get(&d.p, d.text, 0, "minutes"), &n));
	assert_true(jtok_int64(&d.p, d.text, jtok_get(&d.p, d.text, 0, "count"), &n));
	assert_int_equal(n, 42);

	/* absent, and asked of the wrong kind of token */
	assert_int_equal(jtok_get(&d.p, d.text, 0, "nope"), 0);
	assert_int_equal(jtok_get(&d.p, d.text, 0, "caf"), 0);
	assert_int_equal(jtok_get(&d.p, d.text, 0, "ID"), 0);
	assert_int_equal(jtok_get(&d.p, d.text, 1, "id"), 0);
	assert_int_equal(jtok_get(&d.p, d.text, d.p.n, "id"), 0);
	assert_int_equal(jtok_first(&d.p, jtok_get(&d.p, d.text, 0, "reopens")), 0);
	assert_int_equal(jtok_first(&d.p, jtok_get(&d.p, d.text, 0, "empty")), 0);
	assert_int_equal(jtok_first(&d.p, jtok_get(&d.p, d.text, 0, "count")), 0);
	assert_int_equal(jtok_next(&d.p, 0), 0);
	assert_int_equal(jtok_next(&d.p, d.p.n), 0);

	/* sla.pauses[0].to, by get and by at */
	sla = jtok_get(&d.p, d.text, 0, "sla");
	assert_int_equal(d.p.toks[sla].type, JTOK_OBJECT);
	assert_int_equal(d.p.toks[sla].size, 3);
	pauses = jtok_get(&d.p, d.text, sla, "pauses");
	assert_int_equal(d.p.toks[pauses].type, JTOK_ARRAY);
	assert_int_equal(d.p.toks[pauses].size, 1);
	e = jtok_at(&d.p, pauses, 0);
	assert_int_equal(e, jtok_first(&d.p, pauses));
	assert_true(
		jtok_streq(&d.p, d.text, jtok_get(&d.p, d.text, e, "to"), "2025-03-01T00:10:00Z"));
	assert_int_equal(jtok_next(&d.p, e), 0);
	assert_int_equal(jtok_at(&d.p, pauses, 1), 0);
	assert_int_equal(jtok_at(&d.p, sla, 0), 0);
	/* the last member of sla ends where the next key of the record begins */
	assert_int_equal(d.p.toks[sla].skip, jtok_next(&d.p, sla - 1));
	assert_int_equal(jtok_get(&d.p, d.text, 0, "labels"), d.p.toks[sla].skip + 1);
	assert_int_equal(d.text[d.p.toks[sla].start], '{');
	assert_int_equal(d.text[d.p.toks[sla].end - 1], '}');

	labels = jtok_get(&d.p, d.text, 0, "labels");
	e = jtok_first(&d.p, labels);
	assert_true(jtok_streq(&d.p, d.text, e, "db"));
	assert_int_equal(jtok_at(&d.p, labels, 0), e);
	e = jtok_next(&d.p, e);
	assert_true(jtok_streq(&d.p, d.text, e, "eu-west-1"));
	assert_int_equal(jtok_at(&d.p, labels, 1), e);
	assert_int_equal(jtok_next(&d.p, e), 0);
	assert_int_equal(jtok_at(&d.p, labels, 2), 0);
	assert_false(d.p.toks[e].key);
	buf_release(&s);
	doc_release(&d);
}

/* Steady state: parsing the same shape again allocates nothing. */
static void
json_tok__reuses_its_token_array(void **state)
{
	struct doc d;
	struct jtok *toks;
	size_t alloc, i;

	(void)state;
	doc_init(&d);
	assert_true(doc_parse(&d, record, strlen(record)));
	toks = d.p.toks;
	alloc = d.p.alloc;
	for (i = 0; i < 3; i++) {
		assert_true(jtok_parse(&d.p, d.text, d.len));
		assert_false(jtok_parse(&d.p, d.text, d.len - 1));
		assert_true(d.p.toks == toks && d.p.alloc == alloc);
	}
	assert_true(jtok_parse(&d.p, d.text, d.len));
	assert_string_equal(d.p.error, "");
	assert_int_equal(d.p.error_offset, 0);
	doc_release(&d);
}

/* ---- differential test against jansson ---- */

struct gen {
	uint64_t state;
	struct buf out;
};

static uint64_t
rnd(struct gen *g)
{
	/* xorshift64*: a fixed seed makes every failure reproducible */
	g->state ^= g->state >> 12;
	g->state ^= g->state << 25;
	g->state ^= g->state >> 27;
	return g->state * 2685821657736338717ULL;
}

static unsigned
pick(struct gen *g, unsigned n)
{
	return (unsigned)(rnd(g) >> 33) % n;
}

static void
gen_ws(struct gen *g)
{
	static const char *const ws[] = { " ", "\n", "\t", "\r\n  " };

	if (pick(g, 4) == 0)
		buf_addstr(&g->out, ws[pick(g, ARRAY_SIZE(ws))]);
}

static void
gen_utf8(struct gen *g, uint32_t u)
{
	char b[8];
	int n;

	if (u < 0x80)
		n = snprintf(b, sizeof(b), "%c", (int)u);
	else if (u < 0x800)
		n = snprintf(b, sizeof(b), "%c%c", (int)(0xc0 | u >> 6), (int)(0x80 | (u & 0x3f)));
	else if (u < 0x10000)
		n = snprintf(b, sizeof(b), "%c%c%c", (int)(0xe0 | u >> 12),
			     (int)(0x80 | (u >> 6 & 0x3f)), (int)(0x80 | (u & 0x3f)));
	else
		n = snprintf(b, sizeof(b), "%c%c%c%c", (int)(0xf0 | u >> 18),
			     (int)(0x80 | (u >> 12 & 0x3f)), (int)(0x80 | (u >> 6 & 0x3f)),
			     (int)(0x80 | (u & 0x3f)));
	buf_add(&g->out, b, (size_t)n);
}

static uint32_t
gen_bmp(struct gen *g)
{
	uint32_t u = 0x100 + pick(g, 0x10000 - 0x100 - 0x800);

	return u < 0xd800 ? u : u + 0x800; /* skip the surrogates */
}

static void
gen_string(struct gen *g)
{
	static const char *const escapes[] = {
		"\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t",
	};
	unsigned n = pick(g, 7), i;

	buf_addch(&g->out, '"');
	for (i = 0; i < n; i++) {
		switch (pick(g, 9)) {
		case 0:
		case 1:
		case 2:
			buf_addch(&g->out, (char)(0x20 + pick(g, 0x5f))); /* printable ASCII */
			if (g->out.data[g->out.len - 1] == '"' ||
			    g->out.data[g->out.len - 1] == '\\')
				g->out.data[g->out.len - 1] = 'q';
			break;
		case 3:
			buf_addstr(&g->out, escapes[pick(g, ARRAY_SIZE(escapes))]);
			break;
		case 4: /* never \u0000: jansson refuses it without JSON_ALLOW_NUL */
			buf_printf(&g->out, pick(g, 2) ? "\\u%04x" : "\\u%04X", 1 + pick(g, 0x7f));
			break;
		case 5:
			buf_printf(&g->out, pick(g, 2) ? "\\u%04x" : "\\u%04X", gen_bmp(g));
			break;
		case 6:
			buf_printf(&g->out, "\\u%04x\\u%04X", 0xd800 + pick(g, 0x400),
				   0xdc00 + pick(g, 0x400));
			break;
		case 7:
			gen_utf8(g, pick(g, 3) == 0 ? 0x80 + pick(g, 0x780) : gen_bmp(g));
			break;
		default:
			gen_utf8(g, 0x10000 + pick(g, 0x100000));
			break;
		}
	}
	buf_addch(&g->out, '"');
}

static void
gen_number(struct gen *g)
{
	if (pick(g, 3) == 0)
		buf_addch(&g->out, '-');
	if (pick(g, 4) == 0)
		buf_addch(&g->out, '0');
	else
		buf_printf(&g->out, "%u", 1 + pick(g, 99999));
	if (pick(g, 3) == 0)
		buf_printf(&g->out, ".%u", pick(g, 1000));
	if (pick(g, 4) == 0)
		buf_printf(&g->out, "%c%s%u", pick(g, 2) ? 'e' : 'E',
			   pick(g, 3) == 0 ? "-"
			   : pick(g, 2)	   ? "+"
					   : "",
			   pick(g, 100));
}

/* Keys from a small pool that spells some keys in two ways, so that duplicates (also
 * decoded-only ones) come up by themselves. */
static void
gen_key(struct gen *g)
{
	static const char *const pool[] = {
		"\"a\"",	"\"b\"",	"\"c\"", "\"\\u0061\"", /* "a" twice */
		"\"ab\"",	"\"a\\u0062\"",				/* "ab" twice */
		"\"\xc3\xa9\"", "\"\\u00e9\"",				/* U+00E9 twice */
	};

	if (pick(g, 2))
		buf_addstr(&g->out, pool[pick(g, ARRAY_SIZE(pool))]);
	else
		gen_string(g);
}

/* Key number i of a large object, each character raw or as \u00XX, so that equal keys
 * are often spelled differently: the sorted duplicate check must compare decoded. */
static void
gen_numbered_key(struct gen *g, unsigned i)
{
	char name[16];
	size_t k, n = (size_t)snprintf(name, sizeof(name), "k%u", i);

	buf_addch(&g->out, '"');
	for (k = 0; k < n; k++) {
		if (pick(g, 3) == 0)
			buf_printf(&g->out, "\\u%04x", (unsigned)name[k]);
		else
			buf_addch(&g->out, name[k]);
	}
	buf_addch(&g->out, '"');
}

static void gen_value(struct gen *g, unsigned depth);

/* A big object goes past the pairwise duplicate check: numbered keys, one in 60 a
 * repeat (so about half of these objects have a duplicate), and scalar values, for
 * the pool keys of nested objects are nearly always duplicates. */
static void
gen_object(struct gen *g, unsigned depth, bool big)
{
	unsigned n = big ? 20 + pick(g, 40) : pick(g, 5), i;

	buf_addch(&g->out, '{');
	for (i = 0; i < n; i++) {
		if (i)
			buf_addch(&g->out, ',');
		gen_ws(g);
		if (big)
			gen_numbered_key(g, pick(g, 60) == 0 ? pick(g, i + 1) : i);
		else
			gen_key(g);
		gen_ws(g);
		buf_addch(&g->out, ':');
		gen_value(g, big ? 4 : depth + 1);
	}
	gen_ws(g);
	buf_addch(&g->out, '}');
}

static void
gen_value(struct gen *g, unsigned depth)
{
	unsigned kind = pick(g, depth >= 4 ? 5 : 7), n, i;

	if (depth == 0 && pick(g, 5) == 0)
		kind = 7;
	gen_ws(g);
	switch (kind) {
	case 0:
		gen_string(g);
		break;
	case 1:
		gen_number(g);
		break;
	case 2:
		buf_addstr(&g->out, "true");
		break;
	case 3:
		buf_addstr(&g->out, pick(g, 2) ? "false" : "null");
		break;
	case 4:
		gen_number(g);
		break;
	case 5:
		n = pick(g, 5);
		buf_addch(&g->out, '[');
		for (i = 0; i < n; i++) {
			if (i)
				buf_addch(&g->out, ',');
			gen_value(g, depth + 1);
		}
		gen_ws(g);
		buf_addch(&g->out, ']');
		break;
	default:
		gen_object(g, depth, kind == 7);
		break;
	}
	gen_ws(g);
}

/* One byte deleted, inserted, replaced, or the text cut, with bytes that matter to a
 * JSON lexer, so that both parsers see many kinds of bad input. */
static void
gen_mutate(struct gen *g)
{
	static const char bytes[] = ",:[]{}\"\\01.eE-+xuatn/ \n"
				    "\x01\x1f\x7f\x80\xbf\xc0\xc2\xe0\xed\xf0\xf4\xf5\xff";
	size_t at = g->out.len ? pick(g, (unsigned)g->out.len) : 0;
	char c = bytes[pick(g, sizeof(bytes))]; /* includes the final NUL */

	switch (pick(g, 4)) {
	case 0:
		if (g->out.len) {
			memmove(g->out.data + at, g->out.data + at + 1, g->out.len - at - 1);
			g->out.len--;
		}
		break;
	case 1:
		buf_addch(&g->out, 0);
		memmove(g->out.data + at + 1, g->out.data + at, g->out.len - at - 1);
		g->out.data[at] = c;
		break;
	case 2:
		if (g->out.len)
			g->out.data[at] = c;
		break;
	default:
		g->out.len = at;
		break;
	}
}

/* The tokens from tok and jansson's value describe the same JSON. */
static bool
same_value(const struct doc *d, size_t tok, const json_t *v, struct buf *s)
{
	const struct jtok *t = &d->p.toks[tok];
	int64_t i;
	double r;
	size_t k, e, n;

	switch (t->type) {
	case JTOK_OBJECT:
		if (!json_is_object(v) || json_object_size(v) != t->size)
			return false;
		for (k = jtok_first(&d->p, tok), n = 0; k; k = jtok_next(&d->p, k), n++) {
			const json_t *member;

			if (!jtok_string(&d->p, d->text, k, s))
				return false;
			member = json_object_getn(v, s->data, s->len);
			if (!member || !same_value(d, k + 1, member, s))
				return false;
		}
		return n == t->size;
	case JTOK_ARRAY:
		if (!json_is_array(v) || json_array_size(v) != t->size)
			return false;
		for (e = jtok_first(&d->p, tok), n = 0; e; e = jtok_next(&d->p, e), n++)
			if (jtok_at(&d->p, tok, n) != e ||
			    !same_value(d, e, json_array_get(v, n), s))
				return false;
		return n == t->size;
	case JTOK_STRING:
		return json_is_string(v) && jtok_string(&d->p, d->text, tok, s) &&
		       s->len == json_string_length(v) &&
		       memcmp(s->data, json_string_value(v), s->len) == 0;
	case JTOK_NUMBER:
		if (t->integer)
			return json_is_integer(v) && jtok_int64(&d->p, d->text, tok, &i) &&
			       i == json_integer_value(v);
		return json_is_real(v) && jtok_double(&d->p, d->text, tok, &r) &&
		       r == json_real_value(v);
	case JTOK_TRUE:
		return json_is_true(v);
	case JTOK_FALSE:
		return json_is_false(v);
	case JTOK_NULL:
		return json_is_null(v);
	}
	return false;
}

/* Where jansson departs from RFC 8259 on purpose or by accident, a disagreement is
 * not a bug of jtok: jansson refuses numbers out of range and \u0000 (jtok leaves
 * both to its callers), and its lexer skips a raw NUL byte right after a number or
 * literal ("true\0" loads), which jtok rejects. */
static bool
known_difference(bool jtok_ok, const char *jtok_error, bool jansson_ok, const char *jansson_error)
{
	if (jtok_ok && !jansson_ok)
		return strstr(jansson_error, "too big") || strstr(jansson_error, "overflow") ||
		       strstr(jansson_error, "\\u0000") || strstr(jansson_error, "NUL byte");
	if (!jtok_ok && jansson_ok)
		return strstr(jtok_error, "found byte 0x00") != NULL;
	return false;
}

static void
json_tok__agrees_with_jansson_on_random_documents(void **state)
{
	struct gen g = { .state = 0x5eed1e55c0ffee01ULL };
	struct doc d;
	struct buf s;
	unsigned round, valid = 0, invalid = 0, known = 0;

	(void)state;
	doc_init(&d);
	buf_init(&g.out, 0);
	buf_init(&s, 0);
	for (round = 0; round < 2000; round++) {
		json_error_t jerr;
		json_t *v;
		bool ok;
		unsigned m;

		buf_reset(&g.out);
		gen_value(&g, 0);
		if (pick(&g, 2))
			for (m = 1 + pick(&g, 2); m > 0; m--)
				gen_mutate(&g);
		ok = doc_parse(&d, g.out.data, g.out.len);
		v = json_loadb(d.text, d.len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
		if (ok != (v != NULL) && known_difference(ok, d.p.error, v != NULL, jerr.text)) {
			known++;
			json_decref(v);
			continue;
		}
		if (ok != (v != NULL))
			fail_msg("round %u: jtok %s, jansson %s: %s", round,
				 ok ? "accepts" : d.p.error, v ? "accepts" : jerr.text,
				 shown(d.text, d.len));
		if (ok && !same_value(&d, 0, v, &s))
			fail_msg("round %u: jtok and jansson read differently: %s", round,
				 shown(d.text, d.len));
		json_decref(v);
		if (ok)
			valid++;
		else
			invalid++;
	}
	print_message("[          ] %u valid, %u invalid, %u known differences\n", valid, invalid,
		      known);
	/* both sides of the comparison were exercised */
	assert_true(valid > 500 && invalid > 500 && known < 40);
	buf_release(&s);
	buf_release(&g.out);
	doc_release(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_tok__valid_documents_parse),
		cmocka_unit_test(json_tok__invalid_documents_fail_with_a_reason),
		cmocka_unit_test(json_tok__every_truncation_of_a_record_fails),
		cmocka_unit_test(json_tok__depth_is_limited),
		cmocka_unit_test(json_tok__token_count_is_limited),
		cmocka_unit_test(json_tok__refuses_texts_of_4_gib),
		cmocka_unit_test(json_tok__duplicate_keys_in_large_objects),
		cmocka_unit_test(json_tok__decodes_strings),
		cmocka_unit_test(json_tok__converts_numbers),
		cmocka_unit_test(json_tok__numbers_ignore_the_locale),
		cmocka_unit_test(json_tok__walks_a_nested_record),
		cmocka_unit_test(json_tok__reuses_its_token_array),
		cmocka_unit_test(json_tok__agrees_with_jansson_on_random_documents),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
