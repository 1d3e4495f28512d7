/* util.h - allocation that cannot fail (tmux/htop xmalloc), die(), and a growable
 * byte buffer with a hard maximum (curl's dynbuf, git's strbuf invariants). */
#ifndef SITREP_UTIL_H
#define SITREP_UTIL_H

#include <stdarg.h>

/* Prints "sitrep: <message>" to stderr and exits 1. Only for programming errors and
 * allocation failure; runs the die callback first (the console sets it to endwin). */
NORETURN void die(const char *fmt, ...) PRINTF_LIKE(1, 2);
void die_set_callback(void (*callback)(void));

/* These never return NULL: they die() on failure. Size 0 is a programming error. */
void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grows *ptr to hold at least need elements of size, by half again each time. */
void *xgrow(void *ptr, size_t *alloc, size_t need, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* A NUL-terminated byte buffer that refuses to grow past max (0: no maximum).
 * Every buffer holding network or file data sets a maximum. */
struct buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t max;
};

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);
/* Return false (and append nothing) when the maximum would be exceeded. */
bool buf_add(struct buf *b, const void *data, size_t len);
bool buf_addstr(struct buf *b, const char *s);
bool buf_addch(struct buf *b, char c);
bool buf_printf(struct buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
bool buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Returns the data (new, caller frees) and leaves b empty. Never NULL. */
char *buf_detach(struct buf *b);

/* Copies src into a fixed array, truncating; always NUL-terminates (tig string_copy). */
#define string_copy(dst, src) string_ncopy_do(dst, sizeof(dst), src)
size_t string_ncopy_do(char *dst, size_t dstlen, const char *src);

/* The shortest %g text of v that reads back as v ("880.639", not
 * "880.63900000000001"); "nan", "inf" and "-inf" as printf writes them. */
#define DOUBLE_TEXT_SIZE 32
void double_format(double v, char *text, size_t size);

#endif
