/* test_text.c - unit tests for text.c.
 *
 * The sanitizer tables are attacks as they arrive in ticket titles and comments; the
 * random test checks the sanitizer's promise (no control, no invalid UTF-8 in the
 * output) on inputs nobody thought of. Widths are those of the Unicode tables, not of
 * the host's wcwidth(). */
#include "sitrep/sitrep.h"
#include "sitrep/text.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

/* String literals with their length, so that NULs inside them count. */
#define S(lit) lit, sizeof(lit) - 1

#define FFFD "\xef\xbf\xbd"

struct decode_case {
	const char *text;
	size_t len;
	size_t expected_len; /* 0: invalid */
	uint32_t expected_cp;
	const char *why;
};

static const struct decode_case decode_cases[] = {
	{ S("A"), 1, 0x41, "ASCII" },
	{ S("\0"), 1, 0, "NUL is a character" },
	{ S("\xc2\x80"), 2, 0x80, "smallest two-byte" },
	{ S("\xc3\xa9"), 2, 0xe9, "e acute" },
	{ S("\xdf\xbf"), 2, 0x7ff, "largest two-byte" },
	{ S("\xe0\xa0\x80"), 3, 0x800, "smallest three-byte" },
	{ S("\xe4\xb8\xad"), 3, 0x4e2d, "CJK" },
	{ S("\xed\x9f\xbf"), 3, 0xd7ff, "just below the surrogates" },
	{ S("\xee\x80\x80"), 3, 0xe000, "just above the surrogates" },
	{ S("\xef\xbf\xbd"), 3, 0xfffd, "replacement character" },
	{ S("\xf0\x90\x80\x80"), 4, 0x10000, "smallest four-byte" },
	{ S("\xf0\x9f\x98\x80"), 4, 0x1f600, "emoji" },
	{ S("\xf4\x8f\xbf\xbf"), 4, 0x10ffff, "largest code point" },
	{ S("\xc3\xa9zz"), 2, 0xe9, "stops after one character" },
	{ S("\xc0\xaf"), 0, 0, "overlong '/'" },
	{ S("\xc1\xbf"), 0, 0, "overlong two-byte" },
	{ S("\xe0\x80\xaf"), 0, 0, "overlong three-byte '/'" },
	{ S("\xe0\x9f\xbf"), 0, 0, "overlong three-byte U+07FF" },
	{ S("\xf0\x80\x80\xaf"), 0, 0, "overlong four-byte '/'" },
	{ S("\xf0\x8f\xbf\xbf"), 0, 0, "overlong four-byte U+FFFF" },
	{ S("\xed\xa0\x80"), 0, 0, "surrogate U+D800" },
	{ S("\xed\xbf\xbf"), 0, 0, "surrogate U+DFFF" },
	{ S("\xf4\x90\x80\x80"), 0, 0, "U+110000" },
	{ S("\xf5\x80\x80\x80"), 0, 0, "F5 never leads" },
	{ S("\xff"), 0, 0, "FF never appears" },
	{ S("\x80"), 0, 0, "lone continuation byte" },
	{ S("\xbf"), 0, 0, "lone continuation byte" },
	{ S("\xc3"), 0, 0, "truncated two-byte" },
	{ S("\xe4\xb8"), 0, 0, "truncated three-byte" },
	{ S("\xf0\x9f\x98"), 0, 0, "truncated four-byte" },
	{ "\xe4\xb8\xad", 2, 0, 0, "truncated by len, not by NUL" },
	{ S("\xc3\x28"), 0, 0, "continuation byte missing" },
	{ S("\xe4\x28\xad"), 0, 0, "continuation byte missing" },
	{ "", 0, 0, 0, "nothing to decode" },
};

static void
text__utf8_decode_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(decode_cases); i++) {
		const struct decode_case *c = &decode_cases[i];
		uint32_t cp = 0xdeadbeef;
		size_t n = utf8_decode(c->text, c->len, &cp);

		if (n != c->expected_len)
			fail_msg("%s: length %zu, want %zu", c->why, n, c->expected_len);
		if (n && cp != c->expected_cp)
			fail_msg("%s: U+%04X, want U+%04X", c->why, (unsigned int)cp,
				 (unsigned int)c->expected_cp);
		if (!n && cp != 0xdeadbeef)
			fail_msg("%s: wrote the code point of an invalid sequence", c->why);
	}
}

static void
text__utf8_decode_every_code_point(void **state)
{
	uint32_t cp, got;
	char buf[4];
	size_t n;

	(void)state;
	for (cp = 0; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		if (cp < 0x80) {
			buf[0] = (char)cp;
			n = 1;
		} else if (cp < 0x800) {
			buf[0] = (char)(0xc0 | cp >> 6);
			buf[1] = (char)(0x80 | (cp & 0x3f));
			n = 2;
		} else if (cp < 0x10000) {
			buf[0] = (char)(0xe0 | cp >> 12);
			buf[1] = (char)(0x80 | (cp >> 6 & 0x3f));
			buf[2] = (char)(0x80 | (cp & 0x3f));
			n = 3;
		} else {
			buf[0] = (char)(0xf0 | cp >> 18);
			buf[1] = (char)(0x80 | (cp >> 12 & 0x3f));
			buf[2] = (char)(0x80 | (cp >> 6 & 0x3f));
			buf[3] = (char)(0x80 | (cp & 0x3f));
			n = 4;
		}
		if (utf8_decode(buf, n, &got) != n || got != cp)
			fail_msg("U+%04X does not decode", (unsigned int)cp);
		/* Every proper prefix is truncated. */
		if (n > 1 && utf8_decode(buf, n - 1, &got) != 0)
			fail_msg("U+%04X: prefix decodes", (unsigned int)cp);
	}
}

struct width_case {
	uint32_t cp;
	int width;
	const char *why;
};

static const struct width_case width_cases[] = {
	{ 'A', 1, "ASCII" },
	{ ' ', 1, "space" },
	{ 0x00, 0, "NUL" },
	{ 0x1b, 0, "ESC" },
	{ 0x7f, 0, "DEL" },
	{ 0x9b, 0, "C1 CSI" },
	{ 0xe9, 1, "e acute" },
	{ 0xad, 1, "soft hyphen is drawn" },
	{ 0x0301, 0, "combining acute (Mn)" },
	{ 0x036f, 0, "end of combining diacriticals" },
	{ 0x0370, 1, "Greek after the diacriticals" },
	{ 0x20dd, 0, "combining enclosing circle (Me)" },
	{ 0x0488, 0, "Cyrillic combining hundred thousands (Me)" },
	{ 0x05d0, 1, "Hebrew alef" },
	{ 0x05b4, 0, "Hebrew point hiriq" },
	{ 0x0915, 1, "Devanagari ka" },
	{ 0x094d, 0, "Devanagari virama" },
	{ 0x0e31, 0, "Thai mai han-akat" },
	{ 0x1160, 0, "Hangul jungseong filler" },
	{ 0x200b, 0, "zero width space" },
	{ 0x200d, 0, "zero width joiner" },
	{ 0x2060, 0, "word joiner" },
	{ 0xfeff, 0, "zero width no-break space" },
	{ 0xfe0f, 0, "variation selector 16" },
	{ 0xe0101, 0, "variation selector 18" },
	{ 0x1100, 2, "Hangul choseong kiyeok" },
	{ 0x3000, 2, "ideographic space" },
	{ 0x302a, 0, "ideographic tone mark: combining beats wide" },
	{ 0x3042, 2, "hiragana a" },
	{ 0x4e2d, 2, "CJK unified ideograph" },
	{ 0x9fff, 2, "end of CJK unified ideographs" },
	{ 0xac00, 2, "Hangul syllable" },
	{ 0xd7a3, 2, "last Hangul syllable" },
	{ 0xff21, 2, "fullwidth A" },
	{ 0xff61, 1, "halfwidth ideographic full stop" },
	{ 0x20000, 2, "CJK extension B" },
	{ 0x231a, 2, "watch (emoji presentation)" },
	{ 0x2705, 2, "check mark button" },
	{ 0x1f600, 2, "grinning face" },
	{ 0x1f680, 2, "rocket" },
	{ 0x1f9ff, 2, "nazar amulet" },
	{ 0x2764, 1, "heavy heart: text presentation by default" },
	{ 0x2026, 1, "ellipsis" },
	{ 0x1f1e6, 1, "regional indicator: neutral width" },
	{ 0xd800, 1, "surrogate, drawn as U+FFFD" },
	{ 0x110000, 1, "past Unicode, drawn as U+FFFD" },
};

static void
text__codepoint_width_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(width_cases); i++) {
		int w = codepoint_width(width_cases[i].cp);

		if (w != width_cases[i].width)
			fail_msg("U+%04X (%s): width %d, want %d", (unsigned int)width_cases[i].cp,
				 width_cases[i].why, w, width_cases[i].width);
	}
}

struct text_width_case {
	const char *text;
	size_t len;
	size_t width;
	const char *why;
};

static const struct text_width_case text_width_cases[] = {
	{ S(""), 0, "empty" },
	{ S("hello"), 5, "ASCII" },
	{ S("\xe4\xb8\xad\xe6\x96\x87"), 4, "two CJK characters" },
	{ S("e\xcc\x81"), 1, "e and a combining acute" },
	{ S("\xf0\x9f\x98\x80x"), 3, "emoji and a letter" },
	{ S("\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd"), 4, "emoji and a skin tone modifier" },
	{ S("a\xff"
	    "b"),
	  3, "an invalid byte counts one" },
	{ S("\xe4\xb8"), 1, "a truncated sequence counts one" },
	{ S("\xc0\xaf"), 2, "overlong: two invalid subparts" },
	{ S("a\x1b\x7f"), 1, "controls count nothing" },
	{ "abc", 2, 2, "only len bytes" },
};

static void
text__width_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(text_width_cases); i++) {
		const struct text_width_case *c = &text_width_cases[i];
		size_t w = text_width(c->text, c->len);

		if (w != c->width)
			fail_msg("%s: width %zu, want %zu", c->why, w, c->width);
	}
}

struct sanitize_case {
	const char *text;
	size_t len;
	bool keep_newlines;
	const char *expected;
	const char *why;
};

static const struct sanitize_case sanitize_cases[] = {
	{ S("Disk full on db-01"), false, "Disk full on db-01", "plain text" },
	{ S(""), false, "", "empty" },
	/* Escape sequences introduced by ESC. */
	{ S("\x1b]0;pwned\x07Title"), false, "Title", "OSC 0 window title, BEL" },
	{ S("\x1b]0;pwned\x1b\\Title"), false, "Title", "OSC 0 window title, ST" },
	{ S("\x1b]2;pwned\xc2\x9cTitle"), false, "Title", "OSC 2, C1 ST" },
	{ S("\x1b]52;c;cm0gLXJmIH4K\x07ok"), false, "ok", "OSC 52 clipboard write" },
	{ S("\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\"), false, "link", "OSC 8 hyperlink" },
	{ S("\x1b[31mred\x1b[0m"), false, "red", "SGR colour" },
	{ S("a\x1b[1;31;4mb"), false, "ab", "SGR with parameters" },
	{ S("\x1b[2J\x1b[H"), false, "", "clear screen, cursor home" },
	{ S("\x1b[?1049h"), false, "", "private parameter: alternate screen" },
	{ S("a\x1b[ qb"), false, "ab", "CSI with an intermediate byte" },
	{ S("\x1bP$q\"p\x1b\\ok"), false, "ok", "DCS DECRQSS" },
	{ S("\x1bPq#0;2;0;0;0#0~~\x1b\\ok"), false, "ok", "DCS sixel" },
	{ S("\x1bPabc\x07"
	    "def"),
	  false, "", "BEL does not end DCS" },
	{ S("\x1bXhidden\x1b\\v"), false, "v", "SOS" },
	{ S("\x1b^hidden\x1b\\v"), false, "v", "PM" },
	{ S("\x1b_Gi=1;AAAA\x1b\\v"), false, "v", "APC kitty graphics" },
	{ S("a\x1b"
	    "cb"),
	  false, "ab", "two-byte ESC c (full reset)" },
	{ S("a\x1b"
	    "7b\x1b"
	    "8"),
	  false, "ab", "save and restore cursor" },
	{ S("a\x1b(Bb"), false, "ab", "charset designation with intermediate" },
	{ S("a\x1b\\b"), false, "ab", "stray ST" },
	{ S("a\x1b\x1b[2Jb"), false, "ab", "ESC ESC [" },
	{ S("\x1b]0;t\x1b[31mX"), false, "X", "OSC cut short by a CSI" },
	{ S("\x1b[31\x1b]0;pwned\x07X"), false, "X", "CSI cut short by an OSC" },
	{ S("ok\x1b]0;pwned"), false, "ok", "unterminated OSC swallows the rest" },
	{ S("ok\x1b]52;c;cm0gLXJm"), false, "ok", "unterminated OSC 52" },
	{ S("ok\x1bPq#0;2"), false, "ok", "unterminated DCS" },
	{ S("ok\x1b[31"), false, "ok", "unterminated CSI" },
	{ S("ok\x1b"), false, "ok", "lone ESC at the end" },
	/* The same introduced by UTF-8 encoded C1 controls. */
	{ S("a\xc2\x9b"
	    "2Jb"),
	  false, "ab", "C1 CSI clear screen" },
	{ S("a\xc2\x9b"
	    "31mb"),
	  false, "ab", "C1 CSI colour" },
	{ S("a\xc2\x9d"
	    "0;pwned\x07"
	    "b"),
	  false, "ab", "C1 OSC, BEL" },
	{ S("a\xc2\x9d"
	    "52;c;eA==\xc2\x9c"
	    "b"),
	  false, "ab", "C1 OSC 52, C1 ST" },
	{ S("a\xc2\x90q#0\x1b\\b"), false, "ab", "C1 DCS" },
	{ S("a\xc2\x9fhidden\xc2\x9c"
	    "b"),
	  false, "ab", "C1 APC" },
	{ S("a\xc2\x98hidden\xc2\x9c"
	    "b"),
	  false, "ab", "C1 SOS" },
	{ S("a\xc2\x9ehidden\xc2\x9c"
	    "b"),
	  false, "ab", "C1 PM" },
	{ S("a\xc2\x9d"
	    "0;pwned"),
	  false, "a", "unterminated C1 OSC" },
	{ S("a\xc2\x85"
	    "b\xc2\x8d"
	    "c\xc2\x9c"
	    "d"),
	  false, "abcd", "other C1 controls" },
	/* Raw C1 bytes are invalid UTF-8: replaced, never passed through. */
	{ S("a\x9b"
	    "2Jb"),
	  false, "a" FFFD "2Jb", "raw 8-bit CSI" },
	{ S("a\x9d"
	    "b"),
	  false, "a" FFFD "b", "raw 8-bit OSC" },
	{ S("a\x85"
	    "b"),
	  false, "a" FFFD "b", "raw 8-bit NEL" },
	/* C0 controls and DEL. */
	{ S("a\0b\x01"
	    "c\x07"
	    "d\x08"
	    "e\x7f"
	    "f"),
	  false, "abcdef", "C0 and DEL" },
	{ S("a\x0b"
	    "b\x0c"
	    "c\x18"
	    "d\x1a"
	    "e"),
	  false, "abcde", "VT, FF, CAN, SUB" },
	{ S("a\tb"), false, "a b", "tab" },
	{ S("a\nb"), false, "a b", "newline folded" },
	{ S("a\nb"), true, "a\nb", "newline kept" },
	{ S("a\r\nb"), false, "a b", "CR LF folded" },
	{ S("a\r\nb"), true, "a\nb", "CR LF kept as LF" },
	{ S("a\rb"), true, "a\nb", "lone CR is a line break" },
	{ S("a\xe2\x80\xa8"
	    "b"),
	  true, "a\nb", "line separator" },
	{ S("a\xe2\x80\xa9"
	    "b"),
	  false, "a b", "paragraph separator" },
	/* Invalid UTF-8. */
	{ S("\xc0\xaf"), false, FFFD FFFD, "overlong '/'" },
	{ S("\xe0\x80\xaf"), false, FFFD FFFD FFFD, "overlong three-byte '/'" },
	{ S("\xed\xa0\x80"), false, FFFD FFFD FFFD, "surrogate" },
	{ S("\xe4\xb8"), false, FFFD, "truncated: one maximal subpart" },
	{ S("\xf0\x9f\x98"
	    "x"),
	  false, FFFD "x", "truncated emoji" },
	{ S("\xf4\x90\x80\x80"), false, FFFD FFFD FFFD FFFD, "past U+10FFFF" },
	{ S("a\xff"
	    "b"),
	  false, "a" FFFD "b", "FF" },
	/* Bidirectional overrides and isolates. */
	{ S("a\xe2\x80\xae"
	    "b"),
	  false, "ab", "RLO" },
	{ S("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad"
	    "x"),
	  false, "x", "LRE, RLE, PDF, LRO" },
	{ S("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8"
	    "x\xe2\x81\xa9"),
	  false, "x", "LRI, RLI, FSI, PDI" },
	/* What must survive. */
	{ S("\xe4\xb8\xad\xe6\x96\x87 e\xcc\x81 \xf0\x9f\x98\x80"), false,
	  "\xe4\xb8\xad\xe6\x96\x87 e\xcc\x81 \xf0\x9f\x98\x80", "CJK, combining, emoji" },
	{ S("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x92\xbb"), false,
	  "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x92\xbb", "ZWJ emoji sequence" },
	{ S("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"), false, "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d",
	  "right-to-left letters" },
	{ S(FFFD), false, FFFD, "a real U+FFFD" },
	{ S("50% [done] ~$HOME"), false, "50% [done] ~$HOME", "printable ASCII" },
};

static void
text__sanitize_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(sanitize_cases); i++) {
		const struct sanitize_case *c = &sanitize_cases[i];
		char *out = text_sanitize(c->text, c->len, c->keep_newlines);

		if (!streq(out, c->expected))
			fail_msg("%s: got \"%s\"", c->why, out);
		free(out);
	}
}

static void
text__sanitize_null_is_empty(void **state)
{
	char *out = text_sanitize(NULL, 0, false);

	(void)state;
	assert_string_equal(out, "");
	free(out);
}

/* What text_sanitize() promises, checked on its output: valid UTF-8, no C0 but an
 * optional newline, no DEL, no C1, no bidi control. */
static void
assert_safe(const char *s, bool keep_newlines)
{
	size_t len = strlen(s), i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);

		if (n == 0)
			fail_msg("invalid UTF-8 at byte %zu", i);
		if (cp < 0x20 && !(cp == '\n' && keep_newlines))
			fail_msg("C0 control 0x%02X at byte %zu", (unsigned int)cp, i);
		if (cp >= 0x7f && cp <= 0x9f)
			fail_msg("control U+%04X at byte %zu", (unsigned int)cp, i);
		if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
			fail_msg("bidi control U+%04X at byte %zu", (unsigned int)cp, i);
		i += n;
	}
}

/* Random inputs from an alphabet rich in introducers, terminators and the lead and
 * continuation bytes around the C1 range. A fixed seed keeps failures reproducible. */
static void
text__sanitize_output_is_always_safe(void **state)
{
	static const unsigned char alphabet[] = {
		0x1b, 0x1b, '[',  ']',	'P',  'X',  '^',  '_',	'\\', 0x07, '0',  ';',	'm',
		'a',  ' ',  '\n', '\r', '\t', 0x00, 0x7f, 0x80, 0x85, 0x9b, 0x9c, 0x9d, 0xbf,
		0xc0, 0xc2, 0xc2, 0xe2, 0x80, 0xae, 0xed, 0xa0, 0xf0, 0xf4, 0x90, 0xff,
	};
	uint32_t seed = 0x5171e9u;
	unsigned char in[48];
	size_t round, i;

	(void)state;
	for (round = 0; round < 50000; round++) {
		size_t len;
		char *out;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 16) % sizeof(in);
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = alphabet[(seed >> 16) % sizeof(alphabet)];
		}
		out = text_sanitize((const char *)in, len, round & 1);
		assert_safe(out, round & 1);
		free(out);
	}
}

/* Whatever the input, sanitizing twice changes nothing: the output holds nothing the
 * sanitizer would act on. */
static void
text__sanitize_is_idempotent(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(sanitize_cases); i++) {
		const struct sanitize_case *c = &sanitize_cases[i];
		char *once = text_sanitize(c->text, c->len, c->keep_newlines);
		char *twice = text_sanitize(once, strlen(once), c->keep_newlines);

		assert_safe(once, c->keep_newlines);
		if (!streq(once, twice))
			fail_msg("%s: not idempotent", c->why);
		free(once);
		free(twice);
	}
}

struct truncate_case {
	const char *text;
	size_t max_width;
	bool utf8;
	size_t size;
	const char *expected;
	size_t width;
	const char *why;
};

static const struct truncate_case truncate_cases[] = {
	{ "hello", 10, true, 64, "hello", 5, "fits" },
	{ "hello", 5, true, 64, "hello", 5, "fits exactly" },
	{ "hello world", 5, true, 64, "hell\xe2\x80\xa6", 5, "cut, ellipsis" },
	{ "hello world", 5, false, 64, "hell~", 5, "cut, tilde" },
	{ "hello", 1, true, 64, "\xe2\x80\xa6", 1, "only the mark fits" },
	{ "hello", 0, true, 64, "", 0, "no columns" },
	{ "", 5, true, 64, "", 0, "empty" },
	{ "\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97", 6, true, 64,
	  "\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97", 6, "CJK fits" },
	{ "\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97", 5, true, 64,
	  "\xe4\xb8\xad\xe6\x96\x87\xe2\x80\xa6", 5, "CJK cut at a character" },
	{ "\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97", 4, true, 64, "\xe4\xb8\xad\xe2\x80\xa6", 3,
	  "a wide character never straddles the edge" },
	{ "\xe4\xb8\xad\xe6\x96\x87", 4, false, 64, "??", 2, "ASCII terminal" },
	{ "e\xcc\x81x", 2, true, 64, "e\xcc\x81x", 2, "combining mark is free" },
	{ "e\xcc\x81xy", 2, true, 64, "e\xcc\x81\xe2\x80\xa6", 2,
	  "combining mark stays with its base" },
	{ "e\xcc\x81", 5, false, 64, "e", 1, "ASCII terminal drops combining marks" },
	{ "\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 3, true, 64, "\xf0\x9f\x98\x80\xe2\x80\xa6", 3,
	  "emoji cut" },
	{ "a\xff"
	  "b",
	  10, true, 64, "a" FFFD "b", 3, "invalid byte drawn as U+FFFD" },
	{ "a\xff"
	  "b",
	  10, false, 64, "a?b", 3, "invalid byte drawn as '?'" },
	{ "a\tb\x1b"
	  "c\x7f"
	  "d\nE",
	  10, true, 64, "a bcd E", 7, "controls never copied" },
	{ "hello", 10, false, 4, "he~", 3, "cut by the buffer size" },
	{ "hello", 10, true, 4, "\xe2\x80\xa6", 1, "buffer leaves room for the mark only" },
	{ "hello", 10, true, 3, "he", 2, "no room for the mark" },
	{ "\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97", 10, true, 7, "\xe4\xb8\xad\xe2\x80\xa6", 3,
	  "buffer cuts at a character boundary" },
	{ "\xe4\xb8\xad", 10, true, 3, "", 0, "no room for half a character" },
	{ "hello", 10, true, 1, "", 0, "room for the NUL only" },
};

static void
text__truncate_table(void **state)
{
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(truncate_cases); i++) {
		const struct truncate_case *c = &truncate_cases[i];
		size_t w;

		memset(buf, 'x', sizeof(buf));
		w = text_truncate(c->text, c->max_width, c->utf8, buf, c->size);
		if (!streq(buf, c->expected))
			fail_msg("%s: got \"%s\"", c->why, buf);
		if (w != c->width)
			fail_msg("%s: width %zu, want %zu", c->why, w, c->width);
		/* The width reported is the width drawn. */
		if (text_width(buf, strlen(buf)) != w)
			fail_msg("%s: reported width differs from text_width", c->why);
		/* Nothing past the buffer the caller gave. */
		if (c->size < sizeof(buf) && buf[c->size] != 'x')
			fail_msg("%s: wrote past size", c->why);
	}
}

static void
text__truncate_null_and_empty_buffer(void **state)
{
	char buf[4] = "xyz";

	(void)state;
	assert_int_equal(text_truncate(NULL, 10, true, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	buf[0] = 'q';
	assert_int_equal(text_truncate("hello", 10, true, buf, 0), 0);
	assert_int_equal(buf[0], 'q');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text__utf8_decode_table),
		cmocka_unit_test(text__utf8_decode_every_code_point),
		cmocka_unit_test(text__codepoint_width_table),
		cmocka_unit_test(text__width_table),
		cmocka_unit_test(text__sanitize_table),
		cmocka_unit_test(text__sanitize_null_is_empty),
		cmocka_unit_test(text__sanitize_output_is_always_safe),
		cmocka_unit_test(text__sanitize_is_idempotent),
		cmocka_unit_test(text__truncate_table),
		cmocka_unit_test(text__truncate_null_and_empty_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
