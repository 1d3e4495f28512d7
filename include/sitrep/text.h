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

/* Display width of valid UTF-8 text; invalid bytes count 1 (they are drawn as U+FFFD). */
size_t text_width(const char *s, size_t len);

/* Returns new, NUL-terminated, safe text: C0 and C1 controls and DEL removed (tab
 * becomes a space, newlines a space unless keep_newlines), whole escape sequences
 * (CSI, OSC, DCS, SOS, PM, APC, and two-byte ESC x) removed, invalid UTF-8 replaced by
 * U+FFFD, bidirectional overrides and isolates removed. */
char *text_sanitize(const char *s, size_t len, bool keep_newlines);

/* Copies at most max_width columns of s into buf (size bytes), cutting at a character
 * boundary; appends "~" (or "…" when utf8) when cut. Returns the width written. */
size_t text_truncate(const char *s, size_t max_width, bool utf8, char *buf, size_t size);

#endif
