/* source_support.h - what the source adapters' unit tests share: fixtures, fake HTTP
 * responses, and a [source] config section as config_load would leave it. Include
 * after <cmocka.h>. */
#ifndef SITREP_TEST_SOURCE_SUPPORT_H
#define SITREP_TEST_SOURCE_SUPPORT_H

#include "sitrep/config.h"
#include "sitrep/http.h"
#include "sitrep/source.h"

static inline char *
fixture_path(const char *name)
{
	const char *srcdir = getenv("SITREP_SRCDIR");

	return xasprintf("%s%stests/fixtures/%s", srcdir ? srcdir : "", srcdir ? "/" : "", name);
}

/* The fixture's bytes, NUL-terminated (new). */
static inline char *
fixture_text(const char *name, size_t *len)
{
	char *path = fixture_path(name);
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	struct buf b;
	size_t n;

	if (!f)
		fail_msg("cannot open fixture %s", path);
	buf_init(&b, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	free(path);
	if (len)
		*len = b.len;
	return buf_detach(&b);
}

static inline void
response_with(struct http_response *resp, long status, const char *body, size_t len)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = status;
	if (body) {
		resp->body = xmalloc(len + 1);
		memcpy(resp->body, body, len);
		resp->body[len] = '\0';
		resp->body_len = len;
	}
}

static inline void
response_text(struct http_response *resp, long status, const char *body)
{
	response_with(resp, status, body, body ? strlen(body) : 0);
}

static inline void
response_file(struct http_response *resp, long status, const char *name)
{
	size_t len;
	char *text = fixture_text(name, &len);

	response_with(resp, status, text, len);
	free(text);
}

static inline void
response_header(struct http_response *resp, const char *name, const char *value)
{
	resp->headers = xrealloc(resp->headers, (resp->n_headers + 1) * sizeof(*resp->headers));
	resp->headers[resp->n_headers].name = xstrdup(name);
	resp->headers[resp->n_headers].value = xstrdup(value);
	resp->n_headers++;
}

static inline void
response_release(struct http_response *resp)
{
	for (size_t i = 0; i < resp->n_headers; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	free(resp->headers);
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

struct test_source {
	struct config_source src;
	struct config_value values[8];
};

static inline void
add_value(struct test_source *t, const char *key, const char *value)
{
	struct config_value *v = &t->values[t->src.n_values++];

	assert_true(t->src.n_values <= ARRAY_SIZE(t->values));
	v->key = xstrdup(key);
	v->value = xstrdup(value);
	v->line = (int)t->src.n_values + 1; /* line 1 is the [source] header */
}

/* [source "name"] type = type, interval 60 s; url and service when not NULL. */
static inline void
test_source_init(struct test_source *t, const char *name, const char *type, const char *url,
		 const char *service)
{
	memset(t, 0, sizeof(*t));
	t->src.name = xstrdup(name);
	t->src.type = xstrdup(type);
	t->src.interval = 60;
	t->src.timeout = 30;
	t->src.values = t->values;
	add_value(t, "type", type);
	if (url)
		add_value(t, "url", url);
	if (service) {
		add_value(t, "service", service);
		t->src.service = xstrdup(service);
	}
}

static inline void
source_release(struct test_source *t)
{
	for (size_t i = 0; i < t->src.n_values; i++) {
		free(t->values[i].key);
		free(t->values[i].value);
	}
	free(t->src.name);
	free(t->src.type);
	free(t->src.service);
}

/* The adapter of the type; the test fails when there is none. */
static inline const struct source_ops *
test_ops(const char *type)
{
	const struct source_ops *o = source_ops_find(type);

	assert_non_null(o);
	return o;
}

/* Runs the adapter of the type on resp as the answer to a GET of url for the stream,
 * with the header name: value when name is not NULL, into a fresh page; a failure's
 * message is printed, for the test log. */
static inline enum status_code
test_parse_get(const char *type, const struct source_ctx *ctx, const char *stream, const char *url,
	       const char *name, const char *value, const struct http_response *resp,
	       struct source_page *page)
{
	struct source_request req = { 0 };
	enum status_code code;

	req.stream = xstrdup(stream);
	req.method = xstrdup("GET");
	req.url = xstrdup(url);
	if (name)
		source_request_header(&req, name, value);
	source_page_init(page);
	code = test_ops(type)->parse(ctx, &req, resp, page);
	if (code != SUCCESS)
		print_message("%s: %s\n", stream, status_message(code));
	source_request_release(&req);
	return code;
}

#endif
