/* util.c - allocation that dies instead of returning NULL, and struct buf.
 * Status codes are for recoverable failures; running out of memory is not one. */
#include "sitrep/sitrep.h"

#include <stdarg.h>

static void (*die_callback)(void);

void
die_set_callback(void (*callback)(void))
{
	die_callback = callback;
}

void
die(const char *fmt, ...)
{
	va_list ap;

	if (die_callback)
		die_callback();
	fputs("sitrep: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void *
xmalloc(size_t size)
{
	void *p;

	if (size == 0)
		die("xmalloc: zero size");
	p = malloc(size);
	if (!p)
		die("out of memory (%zu bytes)", size);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p;

	if (nmemb == 0 || size == 0)
		die("xcalloc: zero size");
	p = calloc(nmemb, size);
	if (!p)
		die("out of memory (%zu x %zu bytes)", nmemb, size);
	return p;
}

void *
xrealloc(void *ptr, size_t size)
{
	void *p;

	if (size == 0)
		die("xrealloc: zero size");
	p = realloc(ptr, size);
	if (!p)
		die("out of memory (%zu bytes)", size);
	return p;
}

void *
xgrow(void *ptr, size_t *alloc, size_t need, size_t size)
{
	size_t n;

	if (need <= *alloc)
		return ptr;
	n = *alloc < 8 ? 8 : *alloc + *alloc / 2;
	if (n < need)
		n = need;
	if (n > SIZE_MAX / size)
		die("array too large (%zu elements)", n);
	*alloc = n;
	return xrealloc(ptr, n * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b, 0);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return buf_detach(&b);
}

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
}

void
buf_release(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

bool
buf_add(struct buf *b, const void *data, size_t len)
{
	if (b->max && (len > b->max || b->len > b->max - len))
		return false;
	b->data = xgrow(b->data, &b->alloc, b->len + len + 1, 1);
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return true;
}

bool
buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

bool
buf_addch(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

bool
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return false;
	if (b->max && ((size_t)n > b->max || b->len > b->max - (size_t)n))
		return false;
	b->data = xgrow(b->data, &b->alloc, b->len + (size_t)n + 1, 1);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return true;
}

bool
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	bool ok;

	va_start(ap, fmt);
	ok = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return ok;
}

char *
buf_detach(struct buf *b)
{
	char *data = b->data ? b->data : xstrdup("");

	buf_init(b, b->max);
	return data;
}

size_t
string_ncopy_do(char *dst, size_t dstlen, const char *src)
{
	size_t n = strlen(src);

	if (dstlen == 0)
		return n;
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return n;
}

void
double_format(double v, char *text, size_t size)
{
	for (int precision = 15; precision < 17; precision++) {
		snprintf(text, size, "%.*g", precision, v);
		if (strtod(text, NULL) == v)
			return;
	}
	snprintf(text, size, "%.17g", v);
}
