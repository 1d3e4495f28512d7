/* test_http.c - unit tests for http.c.
 *
 * A libmicrohttpd server runs inside the test process on 127.0.0.1, on a port the
 * kernel picks, with a thread per connection so that slow routes do not hold up the
 * others; a second one is "another origin" for the redirect tests. Nothing here talks
 * to any other address, and proxies from the environment are turned off for loopback.
 * The pure functions (Retry-After, Link, retry policy, backoff, escaping) are tested
 * from tables; expected values were worked out by hand or, for splitmix64, taken from
 * its reference output. */
#include "sitrep/sitrep.h"
#include "sitrep/http.h"
#include "sitrep/timestamp.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "support.h"

/* ---- the test server ---- */

struct server {
	struct MHD_Daemon *daemon;
	unsigned port;
	char base[64]; /* "http://127.0.0.1:PORT" */
};

static struct server main_srv, other_srv;
/* Set before the servers stop, so that sleeping routes end at once. */
static atomic_bool stopping;

/* {"compressed":true,"text":"hello hello hello hello hello hello hello"}, gzip -9n:
 * precompressed here so that the test needs no zlib. */
static const unsigned char gzipped[] = {
	0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xab, 0x56, 0x4a, 0xce, 0xcf,
	0x2d, 0x28, 0x4a, 0x2d, 0x2e, 0x4e, 0x4d, 0x51, 0xb2, 0x2a, 0x29, 0x2a, 0x4d, 0xd5, 0x51,
	0x2a, 0x49, 0xad, 0x28, 0x51, 0xb2, 0x52, 0xca, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0x20, 0x82,
	0x54, 0xaa, 0x05, 0x00, 0x72, 0x94, 0xde, 0xa6, 0x46, 0x00, 0x00, 0x00,
};
static const char gunzipped[] =
	"{\"compressed\":true,\"text\":\"hello hello hello hello hello hello hello\"}";

/* A request header from literals: struct http_header's strings are not const. */
#define H(name, value)                     \
	{                                  \
		(char[]){ name }, (char[]) \
		{                          \
			value              \
		}                          \
	}

#define LAST_MODIFIED "Wed, 21 Oct 2015 07:28:00 GMT"
#define HUGE_SIZE (64 * 1024)

static void
nap_ms(int ms)
{
	struct timespec ts = { 0, 10 * 1000000L };

	for (int i = 0; i < ms / 10 && !atomic_load(&stopping); i++)
		nanosleep(&ts, NULL);
}

/* Sends status with body and the NULL-terminated name/value pairs in headers. */
static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, const void *body, size_t len,
      const char *const *headers)
{
	char *copy = xmalloc(len + 1); /* MHD wants a non-const buffer */
	struct MHD_Response *r;
	enum MHD_Result ret;

	memcpy(copy, body, len);
	r = MHD_create_response_from_buffer(len, copy, MHD_RESPMEM_MUST_FREE);
	for (; headers && headers[0]; headers += 2)
		MHD_add_response_header(r, headers[0], headers[1]);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
reply_text(struct MHD_Connection *conn, unsigned status, const char *text,
	   const char *const *headers)
{
	return reply(conn, status, text, strlen(text), headers);
}

static const char *
request_header(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

static enum MHD_Result
add_header_line(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	buf_printf(cls, "%s: %s\n", key, value ? value : "");
	return MHD_YES;
}

/* What a route gets: the request as libmicrohttpd gave it. */
struct call {
	const struct server *srv;
	struct MHD_Connection *conn;
	const char *url;
	const char *method;
	const struct buf *upload;
};

typedef enum MHD_Result (*route_fn)(const struct call *c);

static enum MHD_Result
route_json(const struct call *c)
{
	const char *const h[] = { "Content-Type", "application/json", NULL };

	return reply_text(c->conn, 200, "{\"ok\":true}", h);
}

/* Gzip only to a client that offers it. */
static enum MHD_Result
route_gzip(const struct call *c)
{
	const char *ae = request_header(c->conn, "Accept-Encoding");
	const char *const h[] = { "Content-Encoding", "gzip", "Content-Type", "application/json",
				  NULL };

	if (!ae || !strstr(ae, "gzip"))
		return reply_text(c->conn, 406, "no gzip offered", NULL);
	return reply(c->conn, 200, gzipped, sizeof(gzipped), h);
}

static enum MHD_Result
route_etag(const struct call *c)
{
	const char *const h[] = { "ETag", "\"v1\"", NULL };

	if (streq(request_header(c->conn, "If-None-Match"), "\"v1\""))
		return reply(c->conn, 304, "", 0, h);
	return reply_text(c->conn, 200, "fresh", h);
}

static enum MHD_Result
route_modified(const struct call *c)
{
	const char *const h[] = { "Last-Modified", LAST_MODIFIED, NULL };

	if (streq(request_header(c->conn, "If-Modified-Since"), LAST_MODIFIED))
		return reply(c->conn, 304, "", 0, h);
	return reply_text(c->conn, 200, "fresh", h);
}

static enum MHD_Result
route_429(const struct call *c)
{
	const char *const h[] = { "Retry-After", "7", NULL };

	return reply_text(c->conn, 429, "slow down", h);
}

static enum MHD_Result
route_503(const struct call *c)
{
	const char *const h[] = { "Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT", NULL };

	return reply_text(c->conn, 503, "maintenance", h);
}

static enum MHD_Result
route_huge(const struct call *c)
{
	char *body = xmalloc(HUGE_SIZE);
	enum MHD_Result ret;

	memset(body, 'x', HUGE_SIZE);
	ret = reply(c->conn, 200, body, HUGE_SIZE, NULL);
	free(body);
	return ret;
}

/* About 300 KB of headers: more than the client accepts. */
static enum MHD_Result
route_many_headers(const struct call *c)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	char name[32], value[101];
	enum MHD_Result ret;

	memset(value, 'v', 100);
	value[100] = '\0';
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "X-Filler-%d", i);
		MHD_add_response_header(r, name, value);
	}
	ret = MHD_queue_response(c->conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
route_slow(const struct call *c)
{
	nap_ms(2000);
	return reply_text(c->conn, 200, "late", NULL);
}

static enum MHD_Result
route_nap(const struct call *c)
{
	nap_ms(300);
	return reply_text(c->conn, 200, "rested", NULL);
}

static enum MHD_Result
route_link(const struct call *c)
{
	const char *const h[] = { "Link",
				  "</page2?cursor=abc>; rel=\"next\", </page9>; rel=\"last\"",
				  NULL };

	return reply_text(c->conn, 200, "[]", h);
}

/* "METHOD /path", the client's port, every request header, a blank line, the body. */
static enum MHD_Result
route_echo(const struct call *c)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(c->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr_in *peer = (const struct sockaddr_in *)(void *)info->client_addr;
	struct buf b;
	enum MHD_Result ret;

	buf_init(&b, 0);
	buf_printf(&b, "%s %s\nport: %u\n", c->method, c->url, (unsigned)ntohs(peer->sin_port));
	MHD_get_connection_values(c->conn, MHD_HEADER_KIND, add_header_line, &b);
	buf_addch(&b, '\n');
	buf_add(&b, c->upload->data ? c->upload->data : "", c->upload->len);
	ret = reply(c->conn, 200, b.data, b.len, NULL);
	buf_release(&b);
	return ret;
}

static enum MHD_Result
redirect_to(const struct call *c, unsigned status, const char *location)
{
	const char *const h[] = { "Location", location, NULL };

	return reply_text(c->conn, status, "moved", h);
}

static enum MHD_Result
route_redirect(const struct call *c)
{
	return redirect_to(c, 302, "/echo");
}

static enum MHD_Result
route_see_other(const struct call *c)
{
	return redirect_to(c, 303, "/echo");
}

static enum MHD_Result
route_loop(const struct call *c)
{
	return redirect_to(c, 302, "/loop");
}

static enum MHD_Result
route_to_other(const struct call *c)
{
	char location[128];

	snprintf(location, sizeof(location), "%s/echo", other_srv.base);
	return redirect_to(c, 302, location);
}

static enum MHD_Result
route_to_https(const struct call *c)
{
	char location[128];

	snprintf(location, sizeof(location), "https://127.0.0.1:%u/echo", c->srv->port);
	return redirect_to(c, 302, location);
}

static const struct route {
	const char *path;
	route_fn fn;
} routes[] = {
	{ "/json", route_json },	 { "/gzip", route_gzip },
	{ "/etag", route_etag },	 { "/modified", route_modified },
	{ "/429", route_429 },		 { "/503", route_503 },
	{ "/huge", route_huge },	 { "/many-headers", route_many_headers },
	{ "/slow", route_slow },	 { "/nap", route_nap },
	{ "/link", route_link },	 { "/echo", route_echo },
	{ "/redirect", route_redirect }, { "/see-other", route_see_other },
	{ "/loop", route_loop },	 { "/to-other", route_to_other },
	{ "/to-https", route_to_https },
};

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
       const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct buf *upload = *con_cls;

	(void)version;
	if (!upload) {
		/* First call: headers only. The body, if any, comes in the next calls. */
		upload = xmalloc(sizeof(*upload));
		buf_init(upload, 1 << 20);
		*con_cls = upload;
		return MHD_YES;
	}
	if (*upload_data_size) {
		buf_add(upload, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
		if (streq(url, routes[i].path)) {
			const struct call c = { cls, conn, url, method, upload };

			return routes[i].fn(&c);
		}
	}
	return reply_text(conn, 404, "no such route", NULL);
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	  enum MHD_RequestTerminationCode toe)
{
	struct buf *upload = *con_cls;

	(void)cls, (void)conn, (void)toe;
	if (upload) {
		buf_release(upload);
		free(upload);
		*con_cls = NULL;
	}
}

static void
server_start(struct server *s)
{
	struct sockaddr_in addr;
	const union MHD_DaemonInfo *info;

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG,
		0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)(1 << 20), MHD_OPTION_END);
	assert_non_null(s->daemon);
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	s->port = info->port;
	snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%u", s->port);
}

static int
servers_up(void **state)
{
	(void)state;
	/* A proxy from the environment must not see loopback requests. */
	setenv("no_proxy", "127.0.0.1", 1);
	setenv("NO_PROXY", "127.0.0.1", 1);
	server_start(&main_srv);
	server_start(&other_srv);
	return 0;
}

static int
servers_down(void **state)
{
	(void)state;
	atomic_store(&stopping, true);
	MHD_stop_daemon(main_srv.daemon);
	MHD_stop_daemon(other_srv.daemon);
	return 0;
}

/* ---- helpers ---- */

static int64_t
elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - since->tv_sec) * 1000 +
	       (now.tv_nsec - since->tv_nsec) / 1000000;
}

static bool
contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; hay && *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

static char *
url_of(const char *path)
{
	return xasprintf("%s%s", main_srv.base, path);
}

static struct http_client *
client(long timeout_ms, size_t max_body, FILE *trace)
{
	struct http_options opts = { .timeout_ms = timeout_ms,
				     .max_body = max_body,
				     .trace = trace };

	return http_client_new(&opts);
}

/* One request with the given headers (may be NULL) to a path of the main server. */
static void
fetch(struct http_client *c, const char *method, const char *path,
      const struct http_header *headers, size_t n_headers, struct http_response *resp)
{
	char *url = url_of(path);
	struct http_request req = {
		.method = method, .url = url, .headers = headers, .n_headers = n_headers
	};

	http_perform(c, &req, resp, 1);
	free(url);
}

static void
get(struct http_client *c, const char *path, struct http_response *resp)
{
	fetch(c, NULL, path, NULL, 0, resp);
}

/* ---- against the server ---- */

static void
http__get_json(void **state)
{
	struct http_client *c = client(0, 0, NULL);
	struct http_response r;
	char *url = url_of("/json");

	(void)state;
	get(c, "/json", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.error, "");
	assert_string_equal(r.body, "{\"ok\":true}");
	assert_int_equal(r.body_len, strlen("{\"ok\":true}"));
	assert_string_equal(http_header_get(&r, "content-type"), "application/json");
	assert_null(http_header_get(&r, "X-Not-There"));
	assert_string_equal(r.url, url);
	assert_false(r.too_big);
	assert_true(r.seconds > 0 && r.seconds < 5);
	assert_false(http_retryable(&r));
	http_response_release(&r);
	assert_null(r.body);
	assert_int_equal(r.n_headers, 0);
	free(url);
	http_client_free(&c);
	assert_null(c);
}

static void
http__gzip_body_is_decoded(void **state)
{
	struct http_client *c = client(0, 0, NULL);
	struct http_response r;

	(void)state;
	get(c, "/gzip", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, gunzipped);
	assert_int_equal(r.body_len, strlen(gunzipped));
	http_response_release(&r);
	http_client_free(&c);
}

static void
http__etag_gives_304(void **state)
{
	struct http_client *c = client(0, 0, NULL);
	struct http_response r;
	char *url = url_of("/etag");
	struct http_request req = { .url = url, .etag = "\"v1\"" };

	(void)state;
	get(c, "/etag", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(http_header_get(&r, "ETag"), "\"v1\"");
	http_response_release(&r);

	http_perform(c, &req, &r, 1);
	assert_int_equal(r.status, 304);
	assert_null(r.body);
	assert_int_equal(r.body_len, 0);
	assert_false(http_retryable(&r));
	http_response_release(&r);
	free(url);
	http_client_free(&c);
}

static void
http__if_modified_since_gives_304(void **state)
{
	struct http_client *c = client(0, 0, NULL);
	struct http_response r;
	char *url = url_of("/modified");
	struct http_request req = { .url = url, .last_modified = LAST_MODIFIED };

	(void)state;
	http_perform(c, &req, &r, 1);
	assert_int_equal(r.status, 304);
	http_response_release(&r);
	free(url);
	http_client_free(&c);
}

static void
http__429_retry_after_seconds(void **state)
{
	struct http_client *c = client(0, 0, NULL);
	struct http_response r;

	(void)state;
	get(c, "/429", &r);
	assert_int_equal(r.status, 429);
	assert_string_equal(r.body, "slow down");
	assert_int_equal(http_retry_after(&r, time_now()), 7);
	assert_true(http_retryable(&r));
	http_response_release(&r);
	http_client_free(&c);
}

static void
http__503_retry_after_date(void **state)
{
	struct http_client *c = client(0, 0, NULL);
	struct http_response r;

	(void)state;
	get(c, "/503", &r);
	assert_int_equal(r.status, 503);
	assert_int_equal(http_retry_after(&r, ts("2015-10-21T07:26:00Z")), 120);
	assert_int_equal(http_retry_after(&r, ts("2025-01-01T00:00:00Z")), 0);
	assert_true(http_retryable(&r));
	http_response_release(&r);
	http_client_free(&c);
}

static void
http__body_over_max_is_too_big(void **state)
{
	struct http_client *c = client(0, 1024, NULL);
	struct http_response r;

	(void)state;
	get(c, "/huge", &r);
	assert_int_equal(r.status, 0);
	assert_true(r.too_big);
	assert_string_equal(r.error, "response body larger than 1024 bytes");
	assert_int_equal(r.body_len, 1024);
	assert_int_equal(r.body[0], 'x');
	assert_false(http_retryable(&r));
	http_response_release(&r);

	/* The same client still serves bodies under the limit. */
	get(c, "/json", &r);
	assert_int_equal(r.status, 200);
	assert_false(r.too_big);
	http_response_release(&r);
	http_client_free(&c);
}

static void
http__headers_over_max_are_refused(void **state)
{
	struct http_client *c = client(0, 0, NULL);
	struct http_response r;

	(void)state;
	get(c, "/many-headers", &r);
	assert_int_equal(r.status, 0);
	assert_true(strstr(r.error, "response headers larger than") != NULL);
	assert_int_equal(r.n_headers, 0);
	assert_false(http_retryable(&r));
	http_response_release(&r);
	http_client_free(&c);
}

static void
http__timeout_is_reported(void **state)
{
	struct http_client *c = client(300, 0, NULL);
	struct http_response r;
	struct timespec start;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &start);
	get(c, "/slow", &r);
	assert_true(elapsed_ms(&start) < 1500);
	assert_int_equal(r.status, 0);
	assert_true(contains_ci(r.error, "timeout") || contains_ci(r.error, "timed out"));
	assert_null(r.body);
	assert_true(r.transient);
	assert_true(http_retryable(&r));
	http_response_release(&r);
	http_client_free(&c);
}

/* A port that is bound but not listening refuses connections, and no one else can
 * take it while the socket is open. */
static int
closed_port(unsigned *port)
{
	struct sockaddr_in addr;
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
	*port = ntohs(addr.sin_port);
	return fd;
}

static void
http__refused_connection_is_reported(void **state)
{
	struct http_client *c = client(0, 0, NULL);
	struct http_response r;
	unsigned port;
	int fd = closed_port(&port);
	char *url = xasprintf("http://127.0.0.1:%u/json", port);
	struct http_request req = { .url = url };

	(void)state;
	http_perform(c, &req, &r, 1);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.error, "Connection refused"));
	assert_true(r.transient);
	assert_true(http_retryable(&r));
	http_response_release(&r);
	close(fd);
	free(url);
	http_client_free(&c);
}

static void
http__link_header_relative_next(void **state)
{
	struct http_client *c = client(0, 0, NULL);
	struct http_response r;
	char *next, *want = url_of("/page2?cursor=abc");

	(void)state;
	get(c, "/link", &r);
	assert_int_equal(r.status, 200);
	next = http_link_next(&r);
	assert_string_equal(next, want);
	free(next);
	free(want);
	http_response_release(&r);
	http_client_free(&c);
}

static void
http__sends_request_headers(void **state)
{
	const struct http_header headers[] = {
		H("Authorization", "Bearer abc"),
		H("Accept", "application/json"),
		H("X-Empty", ""),
	};
	struct http_client *c = client(0, 0, NULL);
	struct http_options opts = { .user_agent = "probe/1" };
	struct http_client *ua = http_client_new(&opts);
	struct http_response r;

	(void)state;
	fetch(c, NULL, "/echo", headers, ARRAY_SIZE(headers), &r);
	assert_int_equal(r.status, 200);
	assert_true(strncmp(r.body, "GET /echo\n", 10) == 0);
	assert_non_null(strstr(r.body, "\nAuthorization: Bearer abc\n"));
	assert_non_null(strstr(r.body, "\nAccept: application/json\n"));
	assert_non_null(strstr(r.body, "\nX-Empty: \n"));
	assert_non_null(strstr(r.body, "\nUser-Agent: sitrep/"));
	assert_non_null(strstr(r.body, "\nAccept-Encoding: "));
	http_response_release(&r);

	fetch(ua, NULL, "/echo", NULL, 0, &r);
	assert_non_null(strstr(r.body, "\nUser-Agent: probe/1\n"));
	http_response_release(&r);

	fetch(c, "HEAD", "/json", NULL, 0, &r);
	assert_int_equal(r.status, 200);
	assert_null(r.body);
	assert_string_equal(http_header_get(&r, "Content-Type"), "application/json");
	http_response_release(&r);
	http_client_free(&ua);
	http_client_free(&c);
}

static void
http__post_sends_body(void **state)
{
	const struct http_header headers[] = {
		H("Content-Type", "application/json"),
	};
	struct http_client *c = client(0, 0, NULL);
	char *url = url_of("/echo");
	struct http_request req = { .method = "POST",
				    .url = url,
				    .headers = headers,
				    .n_headers = ARRAY_SIZE(headers),
				    .body = "{\"a\":1}",
				    .body_len = 7 };
	struct http_response r;

	(void)state;
	http_perform(c, &req, &r, 1);
	assert_int_equal(r.status, 200);
	assert_true(strncmp(r.body, "POST /echo\n", 11) == 0);
	assert_non_null(strstr(r.body, "\nContent-Type: application/json\n"));
	assert_non_null(strstr(r.body, "\nContent-Length: 7\n"));
	assert_null(strstr(r.body, "Expect"));
	assert_non_null(strstr(r.body, "\n\n{\"a\":1}"));
	http_response_release(&r);

	req.method = "PUT";
	http_perform(c, &req, &r, 1);
	assert_true(strncmp(r.body, "PUT /echo\n", 10) == 0);
	assert_non_null(strstr(r.body, "\n\n{\"a\":1}"));
	http_response_release(&r);

	req.method = "DELETE";
	req.body = NULL;
	req.body_len = 0;
	http_perform(c, &req, &r, 1);
	assert_true(strncmp(r.body, "DELETE /echo\n", 13) == 0);
	http_response_release(&r);
	free(url);
	http_client_free(&c);
}

static void
http__requests_run_concurrently(void **state)
{
	struct http_client *c = client(0, 0, NULL);
	struct http_request reqs[8];
	struct http_response resps[8];
	char *url = url_of("/nap");
	struct timespec start;
	int64_t ms;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(reqs); i++)
		reqs[i] = (struct http_request){ .url = url };
	clock_gettime(CLOCK_MONOTONIC, &start);
	http_perform(c, reqs, resps, ARRAY_SIZE(reqs));
	ms = elapsed_ms(&start);
	/* One after another they would take 8 x 300 ms. */
	assert_true(ms >= 300);
	assert_true(ms < 1500);
	for (size_t i = 0; i < ARRAY_SIZE(resps); i++) {
		assert_int_equal(resps[i].status, 200);
		assert_string_equal(resps[i].body, "rested");
		http_response_release(&resps[i]);
	}
	free(url);
	http_client_free(&c);
}

static void
http__failures_are_per_response(void **state)
{
	struct http_client *c = client(0, 0, NULL);
	unsigned port;
	int fd = closed_port(&port);
	char *ok = url_of("/json"), *busy = url_of("/429");
	char *refused = xasprintf("http://127.0.0.1:%u/", port);
	struct http_request reqs[] = {
		{ .url = ok }, { .url = refused }, { .url = busy }, { .url = NULL }
	};
	struct http_response resps[ARRAY_SIZE(reqs)];

	(void)state;
	http_perform(c, reqs, resps, ARRAY_SIZE(reqs));
	assert_int_equal(resps[0].status, 200);
	assert_int_equal(resps[1].status, 0);
	assert_string_not_equal(resps[1].error, "");
	assert_int_equal(resps[2].status, 429);
	assert_int_equal(resps[3].status, 0);
	assert_string_equal(resps[3].error, "no URL");
	for (size_t i = 0; i < ARRAY_SIZE(resps); i++)
		http_response_release(&resps[i]);
	close(fd);
	free(ok);
	free(busy);
	free(refused);
	http_client_free(&c);
}

static unsigned
client_port(const char *echo_body)
{
	const char *p = strstr(echo_body, "\nport: ");

	assert_non_null(p);
	return (unsigned)strtoul(p + 7, NULL, 10);
}

static void
http__reuses_connections(void **state)
{
	struct http_client *c = client(0, 0, NULL);
	struct http_response r;
	unsigned first;

	(void)state;
	get(c, "/echo", &r);
	first = client_port(r.body);
	http_response_release(&r);
	get(c, "/echo", &r);
	assert_int_equal(client_port(r.body), first);
	http_response_release(&r);
	http_client_free(&c);
}

static char *
read_all(FILE *f)
{
	struct buf b;
	char chunk[4096];
	size_t n;

	buf_init(&b, 0);
	rewind(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	return buf_detach(&b);
}

static void
http__trace_redacts_secrets(void **state)
{
	static const char *const secret_names[] = { "X-Api-Key" };
	const struct http_header headers[] = {
		H("Authorization", "Bearer SEKRIT123"),
		H("X-Api-Key", "SEKRIT789"),
		H("X-Plain", "visible"),
	};
	FILE *trace = tmpfile();
	struct http_client *c;
	char *url = url_of("/echo?token=SEKRIT456&page=2");
	char *userinfo = xasprintf("http://me:SEKRIT000@127.0.0.1:%u/json", main_srv.port);
	struct http_request reqs[] = {
		{ .url = url,
		  .headers = headers,
		  .n_headers = ARRAY_SIZE(headers),
		  .secret_headers = secret_names,
		  .n_secret_headers = ARRAY_SIZE(secret_names) },
		{ .url = userinfo },
	};
	struct http_response resps[ARRAY_SIZE(reqs)];
	char *text;

	(void)state;
	assert_non_null(trace);
	c = client(0, 0, trace);
	http_perform(c, reqs, resps, ARRAY_SIZE(reqs));
	assert_int_equal(resps[0].status, 200);
	assert_int_equal(resps[1].status, 200);
	/* The secrets were sent... */
	assert_non_null(strstr(resps[0].body, "\nAuthorization: Bearer SEKRIT123\n"));
	assert_non_null(strstr(resps[0].body, "\nX-Api-Key: SEKRIT789\n"));
	/* ...and never written down. */
	text = read_all(trace);
	assert_null(strstr(text, "SEKRIT"));
	assert_non_null(strstr(text, "<redacted>"));
	assert_non_null(strstr(text, "→ GET "));
	assert_non_null(strstr(text, "← 200 "));
	assert_non_null(strstr(text, "token=<redacted>&page=2"));
	assert_non_null(strstr(text, "Authorization: <redacted>"));
	assert_non_null(strstr(text, "X-Plain: visible"));
	assert_non_null(strstr(text, "http://<redacted>@127.0.0.1"));
	free(text);
	for (size_t i = 0; i < ARRAY_SIZE(resps); i++)
		http_response_release(&resps[i]);
	http_client_free(&c);
	fclose(trace);
	free(url);
	free(userinfo);
}

static void
http__redirect_same_origin_keeps_headers(void **state)
{
	const struct http_header headers[] = {
		H("Authorization", "Bearer abc"),
	};
	struct http_client *c = client(0, 0, NULL);
	struct http_response r;
	char *want = url_of("/echo");

	(void)state;
	fetch(c, NULL, "/redirect", headers, ARRAY_SIZE(headers), &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.url, want);
	assert_non_null(strstr(r.body, "\nAuthorization: Bearer abc\n"));
	/* Only the final response's headers are kept. */
	assert_null(http_header_get(&r, "Location"));
	http_response_release(&r);
	free(want);
	http_client_free(&c);
}

static void
http__redirect_other_origin_drops_secrets(void **state)
{
	static const char *const secret_names[] = { "X-Api-Key" };
	const struct http_header headers[] = {
		H("Authorization", "Bearer abc"),
		H("X-Api-Key", "k"),
		H("X-Plain", "visible"),
	};
	struct http_client *c = client(0, 0, NULL);
	char *url = url_of("/to-other");
	struct http_request req = { .url = url,
				    .headers = headers,
				    .n_headers = ARRAY_SIZE(headers),
				    .secret_headers = secret_names,
				    .n_secret_headers = ARRAY_SIZE(secret_names) };
	struct http_response r;
	char *want = xasprintf("%s/echo", other_srv.base);

	(void)state;
	http_perform(c, &req, &r, 1);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.url, want);
	assert_null(strstr(r.body, "Authorization"));
	assert_null(strstr(r.body, "X-Api-Key"));
	assert_non_null(strstr(r.body, "\nX-Plain: visible\n"));
	http_response_release(&r);
	free(want);
	free(url);
	http_client_free(&c);
}

static void
http__redirect_303_turns_post_into_get(void **state)
{
	struct http_client *c = client(0, 0, NULL);
	char *url = url_of("/see-other");
	struct http_request req = { .method = "POST", .url = url, .body = "x=1", .body_len = 3 };
	struct http_response r;

	(void)state;
	http_perform(c, &req, &r, 1);
	assert_int_equal(r.status, 200);
	assert_true(strncmp(r.body, "GET /echo\n", 10) == 0);
	assert_null(strstr(r.body, "x=1"));
	http_response_release(&r);
	free(url);
	http_client_free(&c);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void
http__redirect_loop_stops(void **state)
{
	FILE *trace = tmpfile();
	struct http_client *c;
	struct http_response r;
	char *text;

	(void)state;
	assert_non_null(trace);
	c = client(0, 0, trace);
	get(c, "/loop", &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.error, "more than 3 redirects");
	assert_false(http_retryable(&r));
	/* The request and three redirects, each answered. */
	text = read_all(trace);
	assert_int_equal(count(text, "→ GET "), 4);
	assert_int_equal(count(text, "← 302 "), 4);
	assert_int_equal(count(text, "← 0 "), 1);
	free(text);
	http_response_release(&r);
	http_client_free(&c);
	fclose(trace);
}

static void
http__redirect_to_other_scheme_refused(void **state)
{
	struct http_client *c = client(0, 0, NULL);
	struct http_response r;

	(void)state;
	get(c, "/to-https", &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.error, "another scheme"));
	assert_false(http_retryable(&r));
	http_response_release(&r);
	http_client_free(&c);
}

static void
http__bad_requests_are_refused(void **state)
{
	const struct http_header injected[] = {
		H("X-Ok", "a\r\nX-Evil: 1"),
	};
	const struct http_header bad_name[] = {
		H("Bad Name", "v"),
	};
	struct http_client *c = client(0, 0, NULL);
	struct http_response r;
	struct http_request req = { .url = "file:///etc/passwd" };

	(void)state;
	fetch(c, NULL, "/echo", injected, ARRAY_SIZE(injected), &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.error, "line break"));
	assert_false(http_retryable(&r));
	http_response_release(&r);

	fetch(c, NULL, "/echo", bad_name, ARRAY_SIZE(bad_name), &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.error, "header name"));
	http_response_release(&r);

	fetch(c, "GET /x HTTP/1.1\r\n", "/echo", NULL, 0, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.error, "method"));
	http_response_release(&r);

	/* Only http and https: never a local file. */
	http_perform(c, &req, &r, 1);
	assert_int_equal(r.status, 0);
	assert_null(r.body);
	assert_false(http_retryable(&r));
	http_response_release(&r);
	http_client_free(&c);
}

static void
http__null_and_empty_inputs(void **state)
{
	struct http_client *c = http_client_new(NULL);
	struct http_client *none = NULL;
	struct http_response r;

	(void)state;
	http_client_free(NULL);
	http_client_free(&none);
	http_perform(c, NULL, NULL, 0);
	http_perform(NULL, NULL, &r, 1);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.error, "no HTTP client");
	http_response_release(NULL);
	memset(&r, 0, sizeof(r));
	http_response_release(&r);
	assert_null(http_header_get(NULL, "ETag"));
	assert_null(http_header_get(&r, NULL));
	assert_int_equal(http_retry_after(NULL, 0), -1);
	assert_null(http_link_next(NULL));
	assert_false(http_retryable(NULL));
	assert_false(http_retryable(&r)); /* never performed: no status, no error */
	assert_null(http_escape(NULL));
	http_client_free(&c);
}

/* ---- tables ---- */

static struct http_response
response_with(const char *name, const char *value)
{
	struct http_response r;

	memset(&r, 0, sizeof(r));
	if (value) {
		r.headers = xcalloc(1, sizeof(*r.headers));
		r.headers[0].name = xstrdup(name);
		r.headers[0].value = xstrdup(value);
		r.n_headers = 1;
	}
	return r;
}

struct retry_after_case {
	const char *value; /* NULL: no header */
	const char *now;
	int64_t expected;
};

static const struct retry_after_case retry_after_cases[] = {
	{ NULL, "2025-01-01T00:00:00Z", -1 },
	{ "7", "2025-01-01T00:00:00Z", 7 },
	{ "0", "2025-01-01T00:00:00Z", 0 },
	{ " 120 ", "2025-01-01T00:00:00Z", 120 },
	{ "86400", "2025-01-01T00:00:00Z", 86400 },
	{ "", "2025-01-01T00:00:00Z", -1 },
	{ "7.5", "2025-01-01T00:00:00Z", -1 },
	{ "-3", "2025-01-01T00:00:00Z", -1 },
	{ "+3", "2025-01-01T00:00:00Z", -1 },
	{ "7s", "2025-01-01T00:00:00Z", -1 },
	{ "soon", "2025-01-01T00:00:00Z", -1 },
	{ "99999999999999999999", "2025-01-01T00:00:00Z", -1 }, /* overflows int64 */
	/* IMF-fixdate, relative to now; a date already past means "now". */
	{ "Wed, 21 Oct 2015 07:28:00 GMT", "2015-10-21T07:26:00Z", 120 },
	{ "Wed, 21 Oct 2015 07:28:00 GMT", "2015-10-21T07:28:00Z", 0 },
	{ "Wed, 21 Oct 2015 07:28:00 GMT", "2015-10-21T08:00:00Z", 0 },
	{ "Thu, 29 Feb 2024 23:59:59 GMT", "2024-02-29T00:00:00Z", 86399 },
	{ "Sun, 31 Dec 2023 23:59:60 GMT", "2023-12-31T23:59:00Z", 59 }, /* leap second */
	/* The two obsolete forms RFC 7231 says recipients must still read. */
	{ "Wednesday, 21-Oct-15 07:28:00 GMT", "2015-10-21T07:26:00Z", 120 },
	{ "Wed Oct 21 07:28:00 2015", "2015-10-21T07:26:00Z", 120 },
	{ "Sun Nov  6 08:49:37 1994", "1994-11-06T08:49:00Z", 37 },
	/* Two-digit years: more than 50 years ahead means the last century. */
	{ "Friday, 01-Jan-27 00:00:00 GMT", "2025-01-01T00:00:00Z", 63072000 },
	{ "Monday, 01-Jan-80 00:00:00 GMT", "2025-01-01T00:00:00Z", 0 },
	/* Bad dates. */
	{ "Sat, 29 Feb 2025 07:28:00 GMT", "2025-01-01T00:00:00Z", -1 },
	{ "Wed, 31 Apr 2015 07:28:00 GMT", "2015-01-01T00:00:00Z", -1 },
	{ "Wed, 21 Oct 2015 24:00:00 GMT", "2015-01-01T00:00:00Z", -1 },
	{ "Wed, 21 Oct 2015 07:61:00 GMT", "2015-01-01T00:00:00Z", -1 },
	{ "Wed, 21 Oct 2015 07:28:00 UTC", "2015-01-01T00:00:00Z", -1 },
	{ "Wed, 21 Oct 2015 07:28:00", "2015-01-01T00:00:00Z", -1 },
	{ "Wed, 21 Oct 2015 07:28:00 GMT junk", "2015-01-01T00:00:00Z", -1 },
	{ "Wed, 21 Foo 2015 07:28:00 GMT", "2015-01-01T00:00:00Z", -1 },
	{ "Xyz, 21 Oct 2015 07:28:00 GMT", "2015-01-01T00:00:00Z", -1 },
	{ "Wed, 1 Oct 2015 07:28:00 GMT", "2015-01-01T00:00:00Z", -1 },
	{ "Wed,21 Oct 2015 07:28:00 GMT", "2015-01-01T00:00:00Z", -1 },
	{ "2015-10-21T07:28:00Z", "2015-01-01T00:00:00Z", -1 },
};

static void
http__retry_after_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(retry_after_cases); i++) {
		const struct retry_after_case *tc = &retry_after_cases[i];
		struct http_response r = response_with("retry-after", tc->value);
		int64_t got = http_retry_after(&r, ts(tc->now));

		if (got != tc->expected)
			fail_msg("Retry-After \"%s\" at %s: got %lld, want %lld",
				 tc->value ? tc->value : "(none)", tc->now, (long long)got,
				 (long long)tc->expected);
		http_response_release(&r);
	}
}

struct link_case {
	const char *link;   /* first Link header */
	const char *second; /* a second Link header, or NULL */
	const char *base;   /* response->url */
	const char *expected;
};

#define GH "https://api.github.com/repositories/1000/issues?per_page=3&page="
#define SENTRY "https://sentry.io/api/0/projects/o/p/issues/?&cursor="

static const struct link_case link_cases[] = {
	/* GitHub: four links, next in the middle. */
	{ "<" GH "1>; rel=\"prev\", <" GH "3>; rel=\"next\", <" GH "5>; rel=\"last\", <" GH
	  "1>; rel=\"first\"",
	  NULL, NULL, GH "3" },
	{ "<" GH "2>; rel=\"next\", <" GH "5>; rel=\"last\"", NULL, NULL, GH "2" },
	{ "<" GH "1>; rel=\"prev\", <" GH "1>; rel=\"first\"", NULL, NULL, NULL },
	/* Sentry: a next link always, results="false" on the last page. */
	{ "<" SENTRY "0:0:1>; rel=\"previous\"; results=\"false\"; cursor=\"0:0:1\", <" SENTRY
	  "0:100:0>; rel=\"next\"; results=\"true\"; cursor=\"0:100:0\"",
	  NULL, NULL, SENTRY "0:100:0" },
	{ "<" SENTRY "0:0:1>; rel=\"previous\"; results=\"true\"; cursor=\"0:0:1\", <" SENTRY
	  "0:100:0>; rel=\"next\"; results=\"false\"; cursor=\"0:100:0\"",
	  NULL, NULL, NULL },
	/* Relation lists, case, unquoted values, spacing. */
	{ "<https://x/2>; rel=\"next last\"", NULL, NULL, "https://x/2" },
	{ "<https://x/2>; rel=\"last next\"", NULL, NULL, "https://x/2" },
	{ "<https://x/2>; rel=next", NULL, NULL, "https://x/2" },
	{ "<https://x/2>;rel=next", NULL, NULL, "https://x/2" },
	{ "<https://x/2> ; REL = \"Next\"", NULL, NULL, "https://x/2" },
	{ "<https://x/2>; rel=\"nextpage\"", NULL, NULL, NULL },
	{ "<https://x/2>; rel=\"\"", NULL, NULL, NULL },
	{ "<https://x/2>", NULL, NULL, NULL },
	/* Quoted strings may hold commas, semicolons and escaped quotes. */
	{ "<https://x/1>; title=\"a, <b>; rel=next\"; rel=\"prev\", <https://x/2>; rel=\"next\"",
	  NULL, NULL, "https://x/2" },
	{ "<https://x/1>; title=\"say \\\"hi\\\", rel=next\", <https://x/2>; rel=next", NULL, NULL,
	  "https://x/2" },
	/* Only the first rel of a link counts. */
	{ "<https://x/1>; rel=\"prev\"; rel=\"next\"", NULL, NULL, NULL },
	/* Commas inside the URL do not split links. */
	{ "<https://x/?ids=1,2,3>; rel=\"next\"", NULL, NULL, "https://x/?ids=1,2,3" },
	/* Several Link headers. */
	{ "<https://x/1>; rel=\"prev\"", "<https://x/3>; rel=\"next\"", NULL, "https://x/3" },
	/* Relative references need the response's URL. */
	{ "</p2?c=1>; rel=\"next\"", NULL, "https://x/api/p1?c=0", "https://x/p2?c=1" },
	{ "<p2>; rel=\"next\"", NULL, "https://x/api/p1", "https://x/api/p2" },
	{ "</p2>; rel=\"next\"", NULL, NULL, NULL },
	/* Not RFC 8288. */
	{ "", NULL, NULL, NULL },
	{ "https://x/2; rel=\"next\"", NULL, NULL, NULL },
	{ "<https://x/2; rel=\"next\"", NULL, NULL, NULL },
};

static void
http__link_next_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(link_cases); i++) {
		const struct link_case *tc = &link_cases[i];
		struct http_response r = response_with("Link", tc->link);
		char *got;

		if (tc->second) {
			r.headers = xrealloc(r.headers, 3 * sizeof(*r.headers));
			r.headers[1].name = xstrdup("Content-Type");
			r.headers[1].value = xstrdup("application/json");
			r.headers[2].name = xstrdup("link");
			r.headers[2].value = xstrdup(tc->second);
			r.n_headers = 3;
		}
		r.url = tc->base ? xstrdup(tc->base) : NULL;
		got = http_link_next(&r);
		if (!(got == tc->expected ||
		      (got && tc->expected && strcmp(got, tc->expected) == 0)))
			fail_msg("Link %s: got %s, want %s", tc->link, got ? got : "NULL",
				 tc->expected ? tc->expected : "NULL");
		free(got);
		http_response_release(&r);
	}
}

struct retryable_case {
	long status;
	const char *error;
	bool transient, too_big;
	bool expected;
};

static const struct retryable_case retryable_cases[] = {
	{ 0, "Timeout was reached", true, false, true },
	{ 0, "Couldn't connect to server", true, false, true },
	{ 0, "SSL peer certificate or SSH remote key was not OK", false, false, false },
	{ 0, "response body larger than 1024 bytes", false, true, false },
	{ 0, "response body larger than 1024 bytes", true, true, false },
	{ 0, "", false, false, false },
	{ 200, "", false, false, false },
	{ 204, "", false, false, false },
	{ 304, "", false, false, false },
	{ 400, "", false, false, false },
	{ 401, "", false, false, false },
	{ 403, "", false, false, false },
	{ 404, "", false, false, false },
	{ 408, "", false, false, true },
	{ 409, "", false, false, false },
	{ 422, "", false, false, false },
	{ 429, "", false, false, true },
	{ 500, "", false, false, true },
	{ 501, "", false, false, false },
	{ 502, "", false, false, true },
	{ 503, "", false, false, true },
	{ 504, "", false, false, true },
	{ 599, "", false, false, true },
};

static void
http__retryable_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(retryable_cases); i++) {
		const struct retryable_case *tc = &retryable_cases[i];
		struct http_response r;

		memset(&r, 0, sizeof(r));
		r.status = tc->status;
		string_copy(r.error, tc->error);
		r.transient = tc->transient;
		r.too_big = tc->too_big;
		if (http_retryable(&r) != tc->expected)
			fail_msg("status %ld error \"%s\": want %s", tc->status, tc->error,
				 tc->expected ? "retryable" : "not retryable");
	}
}

/* GitHub's primary limit: 403 (or 429) with X-RateLimit-Remaining: 0 and the reset
 * as an epoch second; its secondary limit: 403 or 429 with Retry-After. */
struct rate_limit_case {
	long status;
	const char *remaining, *reset, *retry_after; /* NULL: no header */
	int64_t reset_at;
	bool retryable;
};

static const struct rate_limit_case rate_limit_cases[] = {
	{ 403, "0", "1699649568", NULL, 1699649568, true },
	{ 429, "0", "1699649568", NULL, 1699649568, true },
	{ 403, " 0 ", "1699649568 ", NULL, 1699649568, true },
	{ 403, NULL, NULL, "8", -1, true },
	{ 403, "54", "1699649568", "8", -1, true },
	/* Not spent, or no reset: a plain 403 (permissions) is not retried. */
	{ 403, "54", "1699649568", NULL, -1, false },
	{ 403, "0", NULL, NULL, -1, false },
	{ 403, NULL, "1699649568", NULL, -1, false },
	{ 403, "0", "soon", NULL, -1, false },
	{ 403, "0", "-5", NULL, -1, false },
	{ 403, "0", "99999999999999999999", NULL, -1, false },
	{ 403, "", "1699649568", NULL, -1, false },
	{ 403, NULL, NULL, NULL, -1, false },
	/* The headers on a success say nothing of retrying. */
	{ 200, "0", "1699649568", NULL, 1699649568, false },
};

static void
http__rate_limit_reset_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rate_limit_cases); i++) {
		const struct rate_limit_case *tc = &rate_limit_cases[i];
		const char *names[] = { "x-ratelimit-remaining", "X-RateLimit-Reset",
					"Retry-After" };
		const char *values[] = { tc->remaining, tc->reset, tc->retry_after };
		struct http_response r;

		memset(&r, 0, sizeof(r));
		r.status = tc->status;
		r.headers = xcalloc(ARRAY_SIZE(names), sizeof(*r.headers));
		for (size_t j = 0; j < ARRAY_SIZE(names); j++) {
			if (!values[j])
				continue;
			r.headers[r.n_headers].name = xstrdup(names[j]);
			r.headers[r.n_headers].value = xstrdup(values[j]);
			r.n_headers++;
		}
		if (http_rate_limit_reset(&r) != tc->reset_at)
			fail_msg("case %zu: reset %lld, want %lld", i,
				 (long long)http_rate_limit_reset(&r), (long long)tc->reset_at);
		if (http_retryable(&r) != tc->retryable)
			fail_msg("case %zu: want %s", i,
				 tc->retryable ? "retryable" : "not retryable");
		http_response_release(&r);
	}
	assert_int_equal(http_rate_limit_reset(NULL), -1);
}

static void
http__backoff_bounds_and_determinism(void **state)
{
	uint64_t a = 42, b = 42, seed = 0;
	int64_t lo = INT64_MAX, hi = 0, sum = 0;

	(void)state;
	/* Without a seed: the cap itself, doubling from base up to max. */
	assert_int_equal(http_backoff_ms(1, 100, 10000, NULL), 100);
	assert_int_equal(http_backoff_ms(2, 100, 10000, NULL), 200);
	assert_int_equal(http_backoff_ms(4, 100, 10000, NULL), 800);
	assert_int_equal(http_backoff_ms(7, 100, 10000, NULL), 6400);
	assert_int_equal(http_backoff_ms(8, 100, 10000, NULL), 10000);
	assert_int_equal(http_backoff_ms(UINT32_MAX, 100, 10000, NULL), 10000);
	assert_int_equal(http_backoff_ms(0, 100, 10000, NULL), 100);
	assert_int_equal(http_backoff_ms(3, 5000, 1000, NULL), 1000); /* max below base */
	assert_int_equal(http_backoff_ms(64, INT64_MAX / 2, INT64_MAX, NULL), INT64_MAX);
	assert_int_equal(http_backoff_ms(1, 0, 1000, &seed), 0);
	assert_int_equal(http_backoff_ms(1, -5, 1000, &seed), 0);
	assert_int_equal(http_backoff_ms(1, 100, 0, &seed), 0);

	/* splitmix64 from 0 gives 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, ...: the draws
	 * are those modulo cap + 1. */
	seed = 0;
	assert_int_equal(http_backoff_ms(1, 100, 10000, &seed), 67);
	assert_int_equal(http_backoff_ms(2, 100, 10000, &seed), 48);
	assert_int_equal(http_backoff_ms(3, 100, 10000, &seed), 223);

	for (unsigned attempt = 1; attempt <= 40; attempt++) {
		int64_t cap = http_backoff_ms(attempt, 100, 10000, NULL);
		int64_t x = http_backoff_ms(attempt, 100, 10000, &a);

		assert_true(x >= 0 && x <= cap);
		assert_int_equal(http_backoff_ms(attempt, 100, 10000, &b), x);
	}
	assert_true(a == b);
	b = 43;
	assert_true(http_backoff_ms(30, 100, 10000, &a) != http_backoff_ms(30, 100, 10000, &b) ||
		    http_backoff_ms(30, 100, 10000, &a) != http_backoff_ms(30, 100, 10000, &b));

	/* Full jitter spreads over the whole range, not near the cap. */
	for (int i = 0; i < 2000; i++) {
		int64_t x = http_backoff_ms(10, 1000, 1000, &a);

		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
		sum += x;
	}
	assert_true(lo < 50);
	assert_true(hi > 950);
	assert_true(sum / 2000 > 430 && sum / 2000 < 570);
}

struct escape_case {
	const char *in, *out;
};

static const struct escape_case escape_cases[] = {
	{ "", "" },
	{ "abcXYZ019-._~", "abcXYZ019-._~" },
	{ "a b", "a%20b" },
	{ "a+b&c=d/e?f#g", "a%2Bb%26c%3Dd%2Fe%3Ff%23g" },
	{ "100%", "100%25" },
	{ "*'()!$,;:@[]", "%2A%27%28%29%21%24%2C%3B%3A%40%5B%5D" },
	{ "status:open\n", "status%3Aopen%0A" },
	{ "\xc3\xa9t\xc3\xa9", "%C3%A9t%C3%A9" }, /* UTF-8, byte by byte */
	{ "\x7f\xff", "%7F%FF" },
};

static void
http__escape_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(escape_cases); i++) {
		char *got = http_escape(escape_cases[i].in);

		assert_string_equal(got, escape_cases[i].out);
		free(got);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(http__get_json),
		cmocka_unit_test(http__gzip_body_is_decoded),
		cmocka_unit_test(http__etag_gives_304),
		cmocka_unit_test(http__if_modified_since_gives_304),
		cmocka_unit_test(http__429_retry_after_seconds),
		cmocka_unit_test(http__503_retry_after_date),
		cmocka_unit_test(http__body_over_max_is_too_big),
		cmocka_unit_test(http__headers_over_max_are_refused),
		cmocka_unit_test(http__timeout_is_reported),
		cmocka_unit_test(http__refused_connection_is_reported),
		cmocka_unit_test(http__link_header_relative_next),
		cmocka_unit_test(http__sends_request_headers),
		cmocka_unit_test(http__post_sends_body),
		cmocka_unit_test(http__requests_run_concurrently),
		cmocka_unit_test(http__failures_are_per_response),
		cmocka_unit_test(http__reuses_connections),
		cmocka_unit_test(http__trace_redacts_secrets),
		cmocka_unit_test(http__redirect_same_origin_keeps_headers),
		cmocka_unit_test(http__redirect_other_origin_drops_secrets),
		cmocka_unit_test(http__redirect_303_turns_post_into_get),
		cmocka_unit_test(http__redirect_loop_stops),
		cmocka_unit_test(http__redirect_to_other_scheme_refused),
		cmocka_unit_test(http__bad_requests_are_refused),
		cmocka_unit_test(http__null_and_empty_inputs),
		cmocka_unit_test(http__retry_after_table),
		cmocka_unit_test(http__link_next_table),
		cmocka_unit_test(http__retryable_table),
		cmocka_unit_test(http__rate_limit_reset_table),
		cmocka_unit_test(http__backoff_bounds_and_determinism),
		cmocka_unit_test(http__escape_table),
	};

	return cmocka_run_group_tests(tests, servers_up, servers_down);
}
