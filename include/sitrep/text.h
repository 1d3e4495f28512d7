/* text.h - UTF-8 display width and the one sanitizer for untrusted text.
 *
 * Every string that came from an upstream (titles, comments, names, errors echoed
 * back by a server) goes through text_sanitize() before it is drawn or printed. */
#ifndef SITREP_TEXT_H
#define SITREP_TEXT_H

/* Decodes one UTF-8 sequence at s (len bytes available). Returns its length and sets
 * *cp, or returns 0 for an invalid, overlong, surrogate or truncated sequence. */
size_t utf8_decode(const char *s, size_t len, uint32_t *cp);

/* Terminal columns a code point takes: 0 (combining, zero-width), 1, or 2 (East
 * Asian wide, emoji). Control characters return 0 (they are never drawn). */
int codepoint_width(uint32_t cp);

/* Display width of UTF-8 text. Each maximal invalid subpart counts 1, as
 * text_sanitize() turns it into one U+FFFD; controls count 0. */
size_t text_width(const char *s, size_t len);

/* Returns new, NUL-terminated, safe text: C0 and C1 controls and DEL removed (tab
 * becomes a space; LF, CR LF, a lone CR, U+2028 and U+2029 become a space, or "\n"
 * when keep_newlines), whole escape sequences (CSI, OSC, DCS, SOS, PM, APC, and ESC x)
 * removed whether introduced by ESC or by a UTF-8 encoded C1 control (U+009B CSI,
 * U+009D OSC, ...), invalid UTF-8 replaced by one U+FFFD per maximal invalid subpart,
 * bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) removed. An
 * unterminated sequence swallows the rest of the input. s may hold NULs (removed).
 * The result never contains a byte below 0x20 other than '\n', nor DEL, nor invalid
 * UTF-8. */
char *text_sanitize(const char *s, size_t len, bool keep_newlines);

/* Copies at most max_width columns of s into buf (size bytes, always NUL-terminated),
 * cutting at a character boundary; when cut, the last column is "~" (or "…" when
 * utf8). Without utf8 every visible non-ASCII character is written as one '?', so
 * the result is ASCII. Controls are dropped (tab and newline become a space). Returns
 * the width written, mark included. */
size_t text_truncate(const char *s, size_t max_width, bool utf8, char *buf, size_t size);

/* Whether the locale's codeset (after setlocale) is UTF-8: else text is written as
 * ASCII. Asked once per process. */
bool text_locale_utf8(void);

#endif
