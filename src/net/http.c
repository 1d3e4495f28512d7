/* http.c - the HTTP client (see http.h) over libcurl's multi interface: one CURLM per
 * client, whose connection cache outlives each http_perform, and a small pool of easy
 * handles that keep their TLS session caches between calls.
 *
 * It must never put a secret where someone may read it: header values named secret
 * (and Authorization, Proxy-Authorization, Cookie) never reach the trace or an error
 * message, credential-looking URL query values and userinfo are redacted in traces, and
 * redirects are followed here rather than by curl so that secret headers are dropped
 * when a redirect leaves the request's origin. TLS verification is never turned off.
 * It must not let an upstream exhaust memory: bodies and headers have hard maximums.
 * Nothing here knows any upstream's dialect. */
#include "sitrep/sitrep.h"
#include "sitrep/http.h"
#include "sitrep/timestamp.h"

#include <curl/curl.h>
#include <strings.h>
#include <time.h>

#ifndef SITREP_VERSION
#define SITREP_VERSION "0.1.0"
#endif

#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_MAX_BODY ((size_t)64 << 20)
#define MAX_REDIRECTS 3
/* curl caps one header line at 100 KB but not their number before 8.x: this caps the
 * sum, so a hostile upstream cannot grow the header array without bound. */
#define MAX_HEADER_BYTES (256 * 1024)
/* Easy handles kept between calls; more are freed, their connections stay cached. */
#define MAX_IDLE_HANDLES 32
/* The longest wait in curl_multi_poll; curl shortens it to its own next timeout. */
#define POLL_MS 1000
/* Secret values shorter than this are not searched for in error messages: masking
 * every "a" would destroy the message and protect nothing. */
#define MIN_SCRUB_LEN 4

struct http_client {
	CURLM *multi;
	CURL *idle[MAX_IDLE_HANDLES];
	size_t n_idle;
	long connect_timeout_ms;
	long timeout_ms;
	size_t max_body;
	char *ca_bundle;
	char *user_agent;
	FILE *trace;
};

/* One request of an http_perform, across its redirects ("hops"). */
struct transfer {
	struct http_client *client;
	const struct http_request *req;
	struct http_response *resp;
	CURL *easy; /* from the first hop's start until finish() */
	struct curl_slist *headers;
	struct buf body;
	size_t headers_alloc;
	size_t header_bytes;
	char *url;	    /* this hop's URL; new */
	const char *method; /* this hop's method */
	bool send_body;	    /* false once a 303 (or a 301/302 after POST) turned it into GET */
	bool send_secrets;  /* this hop goes to the origin of req->url */
	bool headers_too_big;
	unsigned hops;
	int64_t deadline_ms;
	double seconds;
	char errbuf[CURL_ERROR_SIZE];
};

static const char *const always_secret[] = { "Authorization", "Proxy-Authorization", "Cookie" };

/* ---- small helpers ---- */

static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool
is_token(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!is_tchar((unsigned char)*s))
			return false;
	return true;
}

/* Whether needle occurs in hay[0..len) ignoring ASCII case. */
static bool
contains_ci(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; n <= len && i <= len - n; i++)
		if (strncasecmp(hay + i, needle, n) == 0)
			return true;
	return false;
}

static bool
is_secret_header(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(always_secret); i++)
		if (strcasecmp(name, always_secret[i]) == 0)
			return true;
	for (size_t i = 0; i < req->n_secret_headers; i++)
		if (req->secret_headers[i] && strcasecmp(name, req->secret_headers[i]) == 0)
			return true;
	return false;
}

/* Query parameters whose values are credentials, by the words their names use. */
static bool
is_secret_param(const char *name, size_t len)
{
	static const char *const words[] = { "token", "key",	   "password",	 "passwd", "secret",
					     "auth",  "signature", "credential", "session" };

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (contains_ci(name, len, words[i]))
			return true;
	return false;
}

/* Appends url with its secrets replaced by <redacted>: the userinfo, and the values of
 * query and fragment parameters whose names look like credentials (an OAuth implicit
 * flow puts access_token in the fragment). */
static void
redact_url(struct buf *b, const char *url)
{
	const char *p = url;
	const char *scheme_end = strstr(url, "://");

	if (scheme_end) {
		const char *auth = scheme_end + 3;
		size_t len = strcspn(auth, "/?#");
		const char *at = NULL;

		for (size_t i = 0; i < len; i++)
			if (auth[i] == '@')
				at = auth + i;
		if (at) {
			buf_add(b, url, (size_t)(auth - url));
			buf_addstr(b, "<redacted>@");
			p = at + 1;
		}
	}
	buf_add(b, p, strcspn(p, "?#"));
	p += strcspn(p, "?#");
	while (*p) {
		size_t len;
		const char *eq;

		buf_addch(b, *p++); /* ? # & ; */
		len = strcspn(p, "&;#");
		eq = memchr(p, '=', len);
		if (eq && is_secret_param(p, (size_t)(eq - p))) {
			buf_add(b, p, (size_t)(eq + 1 - p));
			buf_addstr(b, "<redacted>");
		} else {
			buf_add(b, p, len);
		}
		p += len;
	}
}

/* ---- trace ---- */

static void trace_line(FILE *f, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* One line, with control characters shown as '?' so that a URL or header value
 * cannot forge trace lines. */
static void
trace_line(FILE *f, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b, 0);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < b.len; i++)
		if ((unsigned char)b.data[i] < 0x20 || b.data[i] == 0x7f)
			b.data[i] = '?';
	fprintf(f, "%s\n", b.data ? b.data : "");
	fflush(f);
	buf_release(&b);
}

static void
trace_request(const struct transfer *t)
{
	struct buf b;
	const char *sep = " (";

	if (!t->client->trace)
		return;
	buf_init(&b, 0);
	redact_url(&b, t->url ? t->url : "");
	for (const struct curl_slist *h = t->headers; h; h = h->next) {
		size_t name_len = strcspn(h->data, ":;");
		char *name = xstrndup(h->data, name_len);

		/* "Expect:" only removes a header curl would add: nothing is sent. */
		if (h->data[name_len] != ':' || h->data[name_len + 1]) {
			if (is_secret_header(t->req, name))
				buf_printf(&b, "%s%s: <redacted>", sep, name);
			else
				buf_printf(&b, "%s%s", sep, h->data);
			sep = "; ";
		}
		free(name);
	}
	if (*sep == ';')
		buf_addch(&b, ')');
	trace_line(t->client->trace, "→ %s %s", t->method, b.data);
	buf_release(&b);
}

static void
trace_response(const struct transfer *t, long status, size_t bytes, double seconds,
	       const char *error)
{
	struct buf b;

	if (!t->client->trace)
		return;
	buf_init(&b, 0);
	redact_url(&b, t->url ? t->url : "");
	trace_line(t->client->trace, "← %ld %zu B %.3f s %s%s%s", status, bytes, seconds, b.data,
		   error && *error ? ": " : "", error ? error : "");
	buf_release(&b);
}

/* ---- errors ---- */

/* Replaces each occurrence of secret in text (a NUL-terminated array of size bytes)
 * with <redacted>. */
static void
scrub(char *text, size_t size, const char *secret)
{
	size_t n = strlen(secret);
	struct buf b;
	const char *p = text, *hit;

	if (n < MIN_SCRUB_LEN || !strstr(text, secret))
		return;
	buf_init(&b, 0);
	while ((hit = strstr(p, secret))) {
		buf_add(&b, p, (size_t)(hit - p));
		buf_addstr(&b, "<redacted>");
		p = hit + n;
	}
	buf_addstr(&b, p);
	string_ncopy_do(text, size, b.data);
	buf_release(&b);
}

/* No secret header value, nor the credential after its scheme ("Bearer X"), may
 * appear in an error: a server can echo them into curl's messages. */
static void
scrub_secrets(const struct transfer *t, char *text, size_t size)
{
	const struct http_request *req = t->req;

	for (size_t i = 0; i < req->n_headers; i++) {
		const struct http_header *h = &req->headers[i];
		const char *space;

		if (!h->name || !h->value || !is_secret_header(req, h->name))
			continue;
		scrub(text, size, h->value);
		if ((space = strrchr(h->value, ' ')))
			scrub(text, size, space + 1);
	}
}

static void fail(struct transfer *t, bool transient, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Marks the response failed: status 0 and an error; the caller keeps or drops the
 * body and headers. */
static void
fail(struct transfer *t, bool transient, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->resp->error, sizeof(t->resp->error), fmt, ap);
	va_end(ap);
	scrub_secrets(t, t->resp->error, sizeof(t->resp->error));
	t->resp->status = 0;
	t->resp->transient = transient;
}

/* Failures that may go away by themselves: the network, the server's load, DNS. A bad
 * URL, a certificate that does not verify or a protocol error will not. */
static bool
curl_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	default:
		return false;
	}
}

/* "<what curl says>: <its detail> (<the system's error>)". curl 7.88 words a refused
 * connection "Couldn't connect to server" twice and leaves out the errno that says
 * why, so the repeat is cut and the errno added. */
static void
describe_curl_error(struct transfer *t, CURLcode rc)
{
	const char *what = curl_easy_strerror(rc);
	char *detail = t->errbuf;
	size_t len = strlen(detail), what_len = strlen(what);
	long os_errno = 0;
	char os[128] = "";

	if (len > what_len + 2 && strcmp(detail + len - what_len, what) == 0 &&
	    memcmp(detail + len - what_len - 2, ": ", 2) == 0)
		detail[len - what_len - 2] = '\0';
	if (streq(detail, what))
		detail[0] = '\0';
	if (curl_easy_getinfo(t->easy, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK && os_errno &&
	    (strerror_r((int)os_errno, os, sizeof(os)) != 0 || strstr(detail, os)))
		os[0] = '\0';
	fail(t, curl_transient(rc), "%s%s%s%s%s%s", what, *detail ? ": " : "", detail,
	     *os ? " (" : "", os, *os ? ")" : "");
	t->resp->unsent = rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_COULDNT_RESOLVE_HOST ||
			  rc == CURLE_COULDNT_CONNECT;
}

/* ---- response headers and body ---- */

static void
headers_clear(struct http_response *resp)
{
	for (size_t i = 0; i < resp->n_headers; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	resp->n_headers = 0;
}

static size_t
on_header(char *data, size_t size, size_t nitems, void *userdata)
{
	struct transfer *t = userdata;
	struct http_response *resp = t->resp;
	size_t len = size * nitems;
	const char *colon;

	/* A new status line: a 1xx or a proxy's CONNECT reply came first. */
	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		headers_clear(resp);
		t->header_bytes = 0;
		return len;
	}
	t->header_bytes += len;
	if (t->header_bytes > MAX_HEADER_BYTES) {
		t->headers_too_big = true;
		return 0; /* aborts the transfer */
	}
	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (!len)
		return size * nitems;
	if (is_ows(data[0])) {
		/* obs-fold: a continuation of the previous header's value */
		struct http_header *last =
			resp->n_headers ? &resp->headers[resp->n_headers - 1] : NULL;
		size_t skip = 0;

		while (skip < len && is_ows(data[skip]))
			skip++;
		if (last) {
			char *joined =
				xasprintf("%s %.*s", last->value, (int)(len - skip), data + skip);

			free(last->value);
			last->value = joined;
		}
		return size * nitems;
	}
	colon = memchr(data, ':', len);
	if (!colon || colon == data)
		return size * nitems;
	{
		const char *v = colon + 1, *end = data + len;
		struct http_header *h;

		while (v < end && is_ows(*v))
			v++;
		while (end > v && is_ows(end[-1]))
			end--;
		resp->headers = xgrow(resp->headers, &t->headers_alloc, resp->n_headers + 1,
				      sizeof(*resp->headers));
		h = &resp->headers[resp->n_headers++];
		h->name = xstrndup(data, (size_t)(colon - data));
		h->value = xstrndup(v, (size_t)(end - v));
	}
	return size * nitems;
}

/* Keeps what fits under max_body; a short return makes curl stop with a write error,
 * which finish() reports as too_big. The limit applies after decompression, so a
 * small gzip bomb is stopped too. */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	size_t len = size * nmemb;
	size_t room = t->client->max_body - t->body.len;

	if (len > room) {
		buf_add(&t->body, data, room);
		t->resp->too_big = true;
		return 0;
	}
	buf_add(&t->body, data, len);
	return len;
}

/* ---- request setup ---- */

static void
headers_free(struct transfer *t)
{
	/* Our copies of secret values are wiped; curl's own are out of reach. */
	for (struct curl_slist *h = t->headers; h; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(t->headers);
	t->headers = NULL;
}

static bool
add_header(struct transfer *t, const char *name, const char *value)
{
	char *line;
	struct curl_slist *list;

	if (!is_token(name)) {
		fail(t, false, "bad request header name \"%.40s\"", name ? name : "(null)");
		return false;
	}
	if (strpbrk(value, "\r\n")) {
		/* A line break would let the value inject headers or a whole request. */
		fail(t, false, "request header %.40s has a line break in its value", name);
		return false;
	}
	if (!t->send_secrets && is_secret_header(t->req, name))
		return true;
	/* "Name;" is curl's way of sending a header with an empty value. */
	line = *value ? xasprintf("%s: %s", name, value) : xasprintf("%s;", name);
	list = curl_slist_append(t->headers, line);
	explicit_bzero(line, strlen(line));
	free(line);
	if (!list)
		die("out of memory");
	t->headers = list;
	return true;
}

static bool
build_headers(struct transfer *t)
{
	const struct http_request *req = t->req;

	for (size_t i = 0; i < req->n_headers; i++)
		if (!add_header(t, req->headers[i].name,
				req->headers[i].value ? req->headers[i].value : ""))
			return false;
	if (req->etag && !add_header(t, "If-None-Match", req->etag))
		return false;
	if (req->last_modified && !add_header(t, "If-Modified-Since", req->last_modified))
		return false;
	/* curl would wait up to a second for "100 Continue" before sending a body. */
	if (t->send_body && req->body) {
		struct curl_slist *list = curl_slist_append(t->headers, "Expect:");

		if (!list)
			die("out of memory");
		t->headers = list;
	}
	return true;
}

static CURLcode
set_method(struct transfer *t)
{
	static const char empty[] = "";
	CURL *e = t->easy;
	const char *body = t->send_body ? t->req->body : NULL;
	CURLcode rc = CURLE_OK;

	if (streq(t->method, "HEAD"))
		return curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	if (streq(t->method, "GET") && !body)
		return curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	if (body || streq(t->method, "POST")) {
		rc = curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : empty);
		if (rc == CURLE_OK)
			rc = curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
					      (curl_off_t)(body ? t->req->body_len : 0));
	}
	if (rc == CURLE_OK && !streq(t->method, "POST"))
		rc = curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, t->method);
	return rc;
}

/* Every option of one hop, from a freshly reset handle. */
static CURLcode
set_options(struct transfer *t, long timeout_ms)
{
	struct http_client *c = t->client;
	CURL *e = t->easy;
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                       \
	do {                                                \
		if (rc == CURLE_OK)                         \
			rc = curl_easy_setopt(e, opt, val); \
	} while (0)
	SET(CURLOPT_URL, t->url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_PRIVATE, t);
	SET(CURLOPT_ERRORBUFFER, t->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	/* Redirects are followed in transfer_done(), which drops secrets off-origin. */
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS,
	    c->connect_timeout_ms < timeout_ms ? c->connect_timeout_ms : timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, timeout_ms);
	SET(CURLOPT_USERAGENT, c->user_agent);
	SET(CURLOPT_HTTPHEADER, t->headers);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, t);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, t);
	if (c->ca_bundle)
		SET(CURLOPT_CAINFO, c->ca_bundle);
	/* Over TLS, wait for the first connection to a host to say whether it speaks
	 * HTTP/2 and can carry the others, rather than open one connection each. */
	if (strncasecmp(t->url, "https:", 6) == 0)
		SET(CURLOPT_PIPEWAIT, 1L);
#undef SET
	if (rc == CURLE_OK)
		rc = set_method(t);
	return rc;
}

static CURL *
take_handle(struct http_client *c)
{
	CURL *e;

	if (c->n_idle)
		return c->idle[--c->n_idle];
	if (!(e = curl_easy_init()))
		die("out of memory");
	return e;
}

static void
return_handle(struct http_client *c, CURL *e)
{
	/* Drops its pointers into the transfer (error buffer, header list), which is
	 * about to be freed. */
	curl_easy_reset(e);
	if (c->n_idle < MAX_IDLE_HANDLES)
		c->idle[c->n_idle++] = e;
	else
		curl_easy_cleanup(e);
}

/* Starts the current hop. Returns false when it failed before reaching the network
 * (the response is then complete). */
static bool
hop_start(struct transfer *t)
{
	int64_t left = t->deadline_ms - monotonic_ms();
	CURLcode rc;

	if (left <= 0) {
		fail(t, true, "%s: more than %ld ms with redirects",
		     curl_easy_strerror(CURLE_OPERATION_TIMEDOUT), t->client->timeout_ms);
		return false;
	}
	if (!is_token(t->method)) {
		fail(t, false, "bad request method \"%.40s\"", t->method);
		return false;
	}
	if (!build_headers(t))
		return false;
	if (!t->easy)
		t->easy = take_handle(t->client);
	/* Keeps its TLS session and DNS caches; options start again from nothing. */
	curl_easy_reset(t->easy);
	t->errbuf[0] = '\0';
	if ((rc = set_options(t, (long)left)) != CURLE_OK) {
		fail(t, false, "%s", curl_easy_strerror(rc));
		return false;
	}
	trace_request(t);
	if (curl_multi_add_handle(t->client->multi, t->easy) != CURLM_OK) {
		fail(t, false, "could not start the request");
		return false;
	}
	return true;
}

/* ---- completion ---- */

/* Whether a and b have the same scheme, host and port: the origin a request's
 * secrets were meant for. A URL that does not parse has no origin. */
static bool
same_origin(const char *a, const char *b)
{
	static const CURLUPart parts[] = { CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT };
	CURLU *ua = curl_url(), *ub = curl_url();
	bool same;

	if (!ua || !ub)
		die("out of memory");
	same = curl_url_set(ua, CURLUPART_URL, a, 0) == CURLUE_OK &&
	       curl_url_set(ub, CURLUPART_URL, b, 0) == CURLUE_OK;
	for (size_t i = 0; same && i < ARRAY_SIZE(parts); i++) {
		char *pa = NULL, *pb = NULL;

		same = curl_url_get(ua, parts[i], &pa, CURLU_DEFAULT_PORT) == CURLUE_OK &&
		       curl_url_get(ub, parts[i], &pb, CURLU_DEFAULT_PORT) == CURLUE_OK &&
		       strcasecmp(pa, pb) == 0;
		curl_free(pa);
		curl_free(pb);
	}
	curl_url_cleanup(ua);
	curl_url_cleanup(ub);
	return same;
}

static bool
same_scheme(const char *a, const char *b)
{
	size_t n = strcspn(a, ":");

	return a[n] == ':' && strncasecmp(a, b, n + 1) == 0;
}

/* Takes the handle out of the multi; the transfer keeps it for a next hop. */
static void
hop_end(struct transfer *t)
{
	curl_off_t us = 0;

	if (curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &us) == CURLE_OK)
		t->seconds += (double)us / 1e6;
	curl_multi_remove_handle(t->client->multi, t->easy);
	headers_free(t);
}

/* Sets up the hop to location. Returns false when the redirect is refused (the
 * response then says why). */
static bool
redirect(struct transfer *t, long status, const char *location)
{
	if (t->hops >= MAX_REDIRECTS) {
		fail(t, false, "more than %d redirects", MAX_REDIRECTS);
		return false;
	}
	if (!same_scheme(t->req->url, location)) {
		fail(t, false, "redirect to another scheme refused (%.*s)",
		     (int)strcspn(location, ":/"), location);
		return false;
	}
	/* 303 means "GET this instead"; browsers and curl do the same for a POST
	 * answered by 301 or 302. 307 and 308 repeat the request as it was. */
	if ((status == 303 && !streq(t->method, "HEAD")) ||
	    ((status == 301 || status == 302) && streq(t->method, "POST"))) {
		t->method = "GET";
		t->send_body = false;
	}
	t->send_secrets = same_origin(t->req->url, location);
	free(t->url);
	t->url = xstrdup(location);
	t->hops++;
	buf_reset(&t->body);
	headers_clear(t->resp);
	return true;
}

/* Fills the response of a finished transfer and gives back its handle. */
static void
finish(struct transfer *t, CURLcode rc, long status)
{
	struct http_response *resp = t->resp;
	char *url = NULL;
	bool keep = true;

	if (t->easy && curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url)
		resp->url = xstrdup(url);
	if (resp->error[0]) {
		keep = false; /* refused before or between hops */
	} else if (resp->too_big) {
		fail(t, false, "response body larger than %zu bytes", t->client->max_body);
	} else if (t->headers_too_big) {
		fail(t, false, "response headers larger than %d bytes", MAX_HEADER_BYTES);
		keep = false;
	} else if (rc != CURLE_OK) {
		describe_curl_error(t, rc);
		keep = false;
	} else {
		resp->status = status;
	}
	if (!keep) {
		buf_reset(&t->body);
		headers_clear(resp);
	}
	if (!resp->n_headers) {
		free(resp->headers);
		resp->headers = NULL;
	}
	resp->body_len = t->body.len;
	resp->body = t->body.len ? buf_detach(&t->body) : NULL;
	buf_release(&t->body);
	resp->seconds = t->seconds;
	trace_response(t, resp->status, resp->body_len, resp->seconds, resp->error);
	if (t->easy)
		return_handle(t->client, t->easy);
	t->easy = NULL;
	headers_free(t);
	free(t->url);
	t->url = NULL;
}

/* A hop ended with rc. Returns true when the transfer goes on to a redirect. */
static bool
transfer_done(struct transfer *t, CURLcode rc)
{
	long status = 0;
	char *location = NULL;

	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	hop_end(t);
	if (rc == CURLE_OK &&
	    (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) &&
	    curl_easy_getinfo(t->easy, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location) {
		char *next = xstrdup(location); /* curl's copy dies with the reset */
		bool go;

		trace_response(t, status, t->body.len, t->seconds, NULL);
		go = redirect(t, status, next) && hop_start(t);
		free(next);
		if (go)
			return true;
		finish(t, rc, status);
		return false;
	}
	finish(t, rc, status);
	return false;
}

static void
transfer_init(struct transfer *t, struct http_client *c, const struct http_request *req,
	      struct http_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	memset(t, 0, sizeof(*t));
	t->client = c;
	t->req = req;
	t->resp = resp;
	buf_init(&t->body, 0);
	t->method = req->method ? req->method : "GET";
	t->send_body = true;
	t->send_secrets = true;
	t->deadline_ms = monotonic_ms() + c->timeout_ms;
}

/* Takes every finished hop off the multi; returns how many transfers are done. */
static size_t
collect(struct http_client *c)
{
	CURLMsg *msg;
	int left;
	size_t done = 0;

	while ((msg = curl_multi_info_read(c->multi, &left))) {
		CURL *e = msg->easy_handle;
		CURLcode rc = msg->data.result;
		char *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		/* msg dies with the handle's removal: e and rc were copied out first. */
		curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
		if (priv && !transfer_done((struct transfer *)(void *)priv, rc))
			done++;
	}
	return done;
}

/* ---- public API ---- */

struct http_client *
http_client_new(const struct http_options *opts)
{
	static const struct http_options defaults = { 0 };
	struct http_client *c = xcalloc(1, sizeof(*c));

	if (!opts)
		opts = &defaults;
	/* Reference counted, and thread-safe since 7.84. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		die("libcurl could not be initialised");
	if (!(c->multi = curl_multi_init()))
		die("out of memory");
	c->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms
							     : DEFAULT_CONNECT_TIMEOUT_MS;
	c->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	c->max_body = opts->max_body ? opts->max_body : DEFAULT_MAX_BODY;
	c->ca_bundle = opts->ca_bundle ? xstrdup(opts->ca_bundle) : NULL;
	c->user_agent = xstrdup(opts->user_agent ? opts->user_agent : "sitrep/" SITREP_VERSION);
	c->trace = opts->trace;
	return c;
}

void
http_client_free(struct http_client **client)
{
	struct http_client *c;

	if (!client || !(c = *client))
		return;
	while (c->n_idle)
		curl_easy_cleanup(c->idle[--c->n_idle]);
	curl_multi_cleanup(c->multi);
	curl_global_cleanup();
	free(c->ca_bundle);
	free(c->user_agent);
	free(c);
	*client = NULL;
}

void
http_perform(struct http_client *client, const struct http_request *requests,
	     struct http_response *responses, size_t n)
{
	struct transfer *ts;
	size_t active = 0;
	CURLMcode mc = CURLM_OK;

	if (!responses || n == 0)
		return;
	if (!client || !requests) {
		for (size_t i = 0; i < n; i++) {
			memset(&responses[i], 0, sizeof(responses[i]));
			snprintf(responses[i].error, sizeof(responses[i].error), "no %s",
				 client ? "request" : "HTTP client");
		}
		return;
	}
	ts = xcalloc(n, sizeof(*ts));
	for (size_t i = 0; i < n; i++) {
		transfer_init(&ts[i], client, &requests[i], &responses[i]);
		if (!requests[i].url) {
			fail(&ts[i], false, "no URL");
			finish(&ts[i], CURLE_OK, 0);
		} else {
			ts[i].url = xstrdup(requests[i].url);
			if (hop_start(&ts[i]))
				active++;
			else
				finish(&ts[i], CURLE_OK, 0);
		}
	}
	while (active > 0) {
		int running;

		if ((mc = curl_multi_perform(client->multi, &running)) != CURLM_OK)
			break;
		active -= collect(client);
		if (active > 0 &&
		    (mc = curl_multi_poll(client->multi, NULL, 0, POLL_MS, NULL)) != CURLM_OK)
			break;
	}
	/* Only when the multi itself failed (out of memory): end what is left. */
	for (size_t i = 0; mc != CURLM_OK && i < n; i++) {
		if (!ts[i].easy)
			continue;
		hop_end(&ts[i]);
		fail(&ts[i], false, "%s", curl_multi_strerror(mc));
		finish(&ts[i], CURLE_OK, 0);
	}
	free(ts);
}

void
http_response_release(struct http_response *response)
{
	if (!response)
		return;
	headers_clear(response);
	free(response->headers);
	free(response->body);
	free(response->url);
	memset(response, 0, sizeof(*response));
}

const char *
http_header_get(const struct http_response *response, const char *name)
{
	if (!response || !name)
		return NULL;
	for (size_t i = 0; i < response->n_headers; i++)
		if (strcasecmp(response->headers[i].name, name) == 0)
			return response->headers[i].value;
	return NULL;
}

/* ---- Retry-After ---- */

static bool
take_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool
take_char(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

static bool
take_word(const char **p, const char *word)
{
	size_t n = strlen(word);

	if (strncasecmp(*p, word, n) != 0)
		return false;
	*p += n;
	return true;
}

/* A month name, as 1-12; 0 when none. */
static int
take_month(const char **p)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

	for (int i = 0; i < 12; i++)
		if (take_word(p, months[i]))
			return i + 1;
	return 0;
}

/* A day name, long ("Sunday", RFC 850) or short ("Sun"). */
static bool
take_day_name(const char **p, bool *is_long)
{
	static const char *const days[] = { "Monday", "Tuesday",  "Wednesday", "Thursday",
					    "Friday", "Saturday", "Sunday" };

	for (int i = 0; i < 7; i++) {
		if (take_word(p, days[i])) {
			*is_long = true;
			return true;
		}
	}
	for (int i = 0; i < 7; i++) {
		char three[4];

		snprintf(three, sizeof(three), "%.3s", days[i]);
		if (take_word(p, three)) {
			*is_long = false;
			return true;
		}
	}
	return false;
}

static bool
take_time(const char **p, int *h, int *m, int *s)
{
	return take_digits(p, 2, h) && take_char(p, ':') && take_digits(p, 2, m) &&
	       take_char(p, ':') && take_digits(p, 2, s);
}

/* RFC 850 years have two digits: RFC 7231 reads one more than 50 years ahead of now
 * as the most recent past year ending in them. */
static int
full_year(int yy, int64_t now)
{
	char text[TIMESTAMP_TEXT_SIZE];
	int this_year, year;

	timestamp_format(now, text, sizeof(text));
	this_year = text[0] == '-' ? 1970 : (int)strtol(text, NULL, 10);
	year = this_year - this_year % 100 + yy;
	if (year > this_year + 50)
		year -= 100;
	return year;
}

/* An HTTP-date in any of RFC 7231's three forms:
 *   Sun, 06 Nov 1994 08:49:37 GMT    (IMF-fixdate)
 *   Sunday, 06-Nov-94 08:49:37 GMT   (RFC 850)
 *   Sun Nov  6 08:49:37 1994         (asctime)
 * Fields are checked by timestamp_parse(), which does the calendar without the
 * libc's TZ-dependent mktime. The day name is not checked against the date. */
static bool
parse_http_date(const char *p, int64_t now, int64_t *out)
{
	int day, month, year, h, m, s;
	bool long_day;
	char iso[32];

	if (!take_day_name(&p, &long_day))
		return false;
	if (take_char(&p, ',')) {
		if (!take_char(&p, ' ') || !take_digits(&p, 2, &day))
			return false;
		if (!long_day) {
			if (!take_char(&p, ' ') || !(month = take_month(&p)) ||
			    !take_char(&p, ' ') || !take_digits(&p, 4, &year))
				return false;
		} else {
			if (!take_char(&p, '-') || !(month = take_month(&p)) ||
			    !take_char(&p, '-') || !take_digits(&p, 2, &year))
				return false;
			year = full_year(year, now);
		}
		if (!take_char(&p, ' ') || !take_time(&p, &h, &m, &s) || !take_word(&p, " GMT"))
			return false;
	} else {
		if (long_day || !take_char(&p, ' ') || !(month = take_month(&p)) ||
		    !take_char(&p, ' '))
			return false;
		/* asctime pads a one-digit day with a space: "Nov  6" */
		if (!(take_char(&p, ' ') ? take_digits(&p, 1, &day) : take_digits(&p, 2, &day)))
			return false;
		if (!take_char(&p, ' ') || !take_time(&p, &h, &m, &s) || !take_char(&p, ' ') ||
		    !take_digits(&p, 4, &year))
			return false;
	}
	while (is_ows(*p))
		p++;
	if (*p)
		return false;
	snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02dZ", year, month, day, h, m, s);
	return timestamp_parse(iso, out);
}

int64_t
http_retry_after(const struct http_response *response, int64_t now)
{
	const char *p = http_header_get(response, "Retry-After");
	int64_t t;

	if (!p)
		return -1;
	while (is_ows(*p))
		p++;
	if (*p >= '0' && *p <= '9') {
		int64_t secs = 0;

		for (; *p >= '0' && *p <= '9'; p++) {
			if (secs > (INT64_MAX - 9) / 10)
				return -1;
			secs = secs * 10 + (*p - '0');
		}
		while (is_ows(*p))
			p++;
		return *p ? -1 : secs;
	}
	if (!parse_http_date(p, now, &t))
		return -1;
	return t > now ? t - now : 0;
}

/* An unsigned decimal header value (optional whitespace around), or -1. */
static int64_t
header_number(const struct http_response *response, const char *name)
{
	const char *p = http_header_get(response, name);
	int64_t n = 0;
	bool digits = false;

	if (!p)
		return -1;
	while (is_ows(*p))
		p++;
	for (; *p >= '0' && *p <= '9'; p++, digits = true) {
		if (n > (INT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (*p - '0');
	}
	while (is_ows(*p))
		p++;
	return digits && !*p ? n : -1;
}

int64_t
http_rate_limit_reset(const struct http_response *response)
{
	if (!response || header_number(response, "X-RateLimit-Remaining") != 0)
		return -1;
	return header_number(response, "X-RateLimit-Reset");
}

/* ---- Link ---- */

/* A link-param value: a token or a quoted-string (backslash escapes undone). */
static void
take_param_value(const char **pp, struct buf *out)
{
	const char *p = *pp;

	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			buf_addch(out, *p);
		}
		if (*p == '"')
			p++;
	} else {
		size_t n = strcspn(p, ";, \t");

		buf_add(out, p, n);
		p += n;
	}
	*pp = p;
}

/* Whether the space-separated relation types in rels include "next". */
static bool
rel_has_next(const char *rels)
{
	const char *p = rels;

	while (*p) {
		size_t n;

		while (is_ows(*p))
			p++;
		n = strcspn(p, " \t");
		if (n == 4 && strncasecmp(p, "next", 4) == 0)
			return true;
		p += n;
	}
	return false;
}

/* The target of a link, absolute: relative ones are resolved against base. */
static char *
resolve(const char *target, size_t len, const char *base)
{
	char *ref = xstrndup(target, len);
	char *url = NULL, *out = NULL;
	CURLU *u;

	if (!(u = curl_url()))
		die("out of memory");
	if (curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK) {
		out = ref; /* already absolute: kept byte for byte */
		ref = NULL;
	} else if (base && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
		   curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK &&
		   curl_url_get(u, CURLUPART_URL, &url, 0) == CURLUE_OK) {
		out = xstrdup(url);
	}
	curl_free(url);
	curl_url_cleanup(u);
	free(ref);
	return out;
}

/* Looks for rel="next" in one Link header value. Returns true when this value settles
 * the answer (*out is then the URL or NULL). */
static bool
link_next_in(const char *p, const char *base, char **out)
{
	struct buf name, value, rel;
	bool found = false;

	buf_init(&name, 0);
	buf_init(&value, 0);
	buf_init(&rel, 0);
	while (*p && !found) {
		const char *target, *end;
		bool has_rel = false, no_results = false;

		while (is_ows(*p) || *p == ',')
			p++;
		if (*p != '<')
			break; /* not RFC 8288: give up on this header */
		target = p + 1;
		if (!(end = strchr(target, '>')))
			break;
		p = end + 1;
		for (;;) {
			while (is_ows(*p))
				p++;
			if (*p != ';')
				break;
			p++;
			while (is_ows(*p))
				p++;
			buf_reset(&name);
			buf_reset(&value);
			buf_add(&name, p, strcspn(p, "=;, \t"));
			p += name.len;
			while (is_ows(*p))
				p++;
			if (*p == '=') {
				p++;
				while (is_ows(*p))
					p++;
				take_param_value(&p, &value);
			}
			if (!name.len)
				continue;
			/* Only the first rel counts (RFC 8288 3.3). */
			if (!has_rel && strcasecmp(name.data, "rel") == 0) {
				has_rel = true;
				buf_reset(&rel);
				buf_addstr(&rel, value.data ? value.data : "");
			} else if (strcasecmp(name.data, "results") == 0) {
				no_results = value.data && strcasecmp(value.data, "false") == 0;
			}
		}
		/* Skip whatever this parser did not understand up to the next link. */
		while (*p && *p != ',') {
			if (*p == '"') {
				buf_reset(&value);
				take_param_value(&p, &value);
			} else {
				p++;
			}
		}
		if (has_rel && rel.data && rel_has_next(rel.data)) {
			found = true;
			*out = no_results ? NULL : resolve(target, (size_t)(end - target), base);
		}
	}
	buf_release(&name);
	buf_release(&value);
	buf_release(&rel);
	return found;
}

char *
http_link_next(const struct http_response *response)
{
	char *url = NULL;

	if (!response)
		return NULL;
	for (size_t i = 0; i < response->n_headers; i++)
		if (strcasecmp(response->headers[i].name, "Link") == 0 &&
		    link_next_in(response->headers[i].value, response->url, &url))
			return url;
	return NULL;
}

/* ---- retries ---- */

bool
http_retryable(const struct http_response *response)
{
	long s;

	if (!response)
		return false;
	if (response->status == 0)
		return response->error[0] && response->transient && !response->too_big;
	s = response->status;
	if (s == 403)
		return http_header_get(response, "Retry-After") ||
		       http_rate_limit_reset(response) >= 0;
	return s == 408 || s == 429 || (s >= 500 && s <= 599 && s != 501);
}

bool
http_retryable_write(const struct http_response *response)
{
	if (!response)
		return false;
	if (response->status == 0)
		return response->error[0] && response->unsent;
	return response->status == 429;
}

/* Vigna's splitmix64: tiny, full period, good enough to spread retries. */
static uint64_t
splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

int64_t
http_backoff_ms(unsigned attempt, int64_t base_ms, int64_t max_ms, uint64_t *seed)
{
	int64_t cap = base_ms;

	if (base_ms <= 0 || max_ms <= 0)
		return 0;
	for (unsigned i = 1; i < attempt && cap < max_ms; i++)
		cap = cap > max_ms / 2 ? max_ms : cap * 2;
	if (cap > max_ms)
		cap = max_ms;
	if (!seed)
		return cap;
	/* Full jitter (uniform in [0, cap]) spreads clients that failed together. The
	 * modulo's bias is below cap / 2^64: nothing next to network timing. */
	return (int64_t)(splitmix64(seed) % ((uint64_t)cap + 1));
}

char *
http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b;

	if (!s)
		return NULL;
	buf_init(&b, 0);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			buf_addch(&b, (char)*p);
		} else {
			buf_addch(&b, '%');
			buf_addch(&b, hex[*p >> 4]);
			buf_addch(&b, hex[*p & 15]);
		}
	}
	return buf_detach(&b);
}
