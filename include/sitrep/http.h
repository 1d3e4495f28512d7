/* http.h - the HTTP client every source goes through: libcurl's multi interface,
 * so many requests run at once on one thread and the console's loop can wait on
 * them; connection reuse, HTTP/2 where offered, gzip, TLS verification always on,
 * proxies from the environment as curl does. Bodies are capped, so a runaway
 * upstream cannot exhaust memory. Nothing here knows any upstream's dialect. */
#ifndef SITREP_HTTP_H
#define SITREP_HTTP_H

struct http_header {
	char *name;
	char *value;
};

struct http_request {
	const char *method; /* "GET" (default when NULL), "POST", ... */
	const char *url;
	const struct http_header *headers; /* borrowed */
	size_t n_headers;
	const char *body; /* borrowed, may be NULL */
	size_t body_len;
	/* Names of headers whose values are secrets (Authorization, Proxy-Authorization
	 * and Cookie always are): traces print them as "<redacted>", errors never
	 * contain them, and a redirect to another origin (scheme, host, port) is made
	 * without them. */
	const char *const *secret_headers;
	size_t n_secret_headers;
	const char *etag;	   /* sent as If-None-Match when set */
	const char *last_modified; /* sent as If-Modified-Since when set */
};

/* Filled by http_perform; status is 0 exactly when error is set, so a nonzero status
 * always means a whole final response. Redirects (301, 302, 303, 307, 308) are
 * followed up to 3 times, never to another scheme: following one more, or one that
 * changes the scheme, is an error. */
struct http_response {
	long status; /* 0 when no whole response arrived */
	char *body;  /* NUL-terminated; NULL when none; new */
	size_t body_len;
	struct http_header *headers; /* response headers of the final response, in order */
	size_t n_headers;
	double seconds;	 /* total time */
	char error[256]; /* transport error (timeout, refused, TLS, too big) or "" */
	/* The body passed max_body and was cut off: body holds its first max_body bytes. */
	bool too_big;
	/* error is one a retry may cure (timeout, refused, reset, DNS), unlike a bad URL
	 * or certificate. */
	bool transient;
	/* error happened before the request left: the name did not resolve, or the
	 * connection was refused. A retry cannot repeat a write the upstream saw. */
	bool unsent;
	/* Where the final response came from, after redirects; NULL when none; new. */
	char *url;
};

struct http_options {
	long connect_timeout_ms; /* default 10 s */
	long timeout_ms;	 /* whole transfer, default 30 s */
	size_t max_body;	 /* default 64 MB */
	const char *ca_bundle;	 /* NULL: the system's */
	const char *user_agent;	 /* default "sitrep/VERSION" */
	/* When set, one line per request and response, secrets redacted; borrowed. */
	FILE *trace;
};

struct http_client;

/* A client with its own connection cache; not shared between threads. opts may be
 * NULL (all defaults); its strings are copied. */
struct http_client *http_client_new(const struct http_options *opts);
void http_client_free(struct http_client **client);

/* Runs n requests concurrently (curl multi) and fills responses[i] for each; returns
 * when all are done. Transport failures are reported per response (status 0, error
 * set), never as a return code. responses[i] are overwritten: release them first.
 * requests (and what they borrow) must stay valid until it returns. */
void http_perform(struct http_client *client, const struct http_request *requests,
		  struct http_response *responses, size_t n);
void http_response_release(struct http_response *response);

/* The value of a response header (case-insensitive name), or NULL. Borrowed. */
const char *http_header_get(const struct http_response *response, const char *name);

/* Retry-After: seconds or an HTTP date (IMF-fixdate, or RFC 7231's two obsolete
 * forms), as seconds from now; a date in the past gives 0; -1 when absent or bad. */
int64_t http_retry_after(const struct http_response *response, int64_t now);

/* The epoch second a spent rate limit resets at, when the response says the limit is
 * spent (X-RateLimit-Remaining: 0) and when it resets (X-RateLimit-Reset, epoch
 * seconds: GitHub's primary limit); -1 otherwise. */
int64_t http_rate_limit_reset(const struct http_response *response);

/* The URL of rel="next" in the Link headers (RFC 8288), new, or NULL. A relative
 * reference is resolved against response->url. A next link marked results="false"
 * (Sentry's way of saying there is no next page) gives NULL. */
char *http_link_next(const struct http_response *response);

/* Whether a response is worth retrying: transport errors (timeouts, refused, reset:
 * response->transient), 408, 429, 5xx except 501, and a 403 that says when to come
 * back (Retry-After, or a spent rate limit with its reset: GitHub answers 403 to
 * both); not other 4xx, not a body that was too big. */
bool http_retryable(const struct http_response *response);

/* Whether a request that writes (a POST that is not idempotent: an acknowledge)
 * may be sent again: only when it cannot have reached the upstream (unsent) or the
 * upstream refused it unprocessed (429). A timeout, a reset or a 5xx may come after
 * the write took effect, and a retry could make it twice. */
bool http_retryable_write(const struct http_response *response);

/* Backoff before attempt number attempt (1-based): exponential from base_ms, capped
 * at max_ms, with full jitter drawn from *seed (deterministic in tests): uniform in
 * [0, min(max_ms, base_ms * 2^(attempt-1))]. A NULL seed gives that upper bound. */
int64_t http_backoff_ms(unsigned attempt, int64_t base_ms, int64_t max_ms, uint64_t *seed);

/* Percent-encodes s for a URL query (new): all but RFC 3986's unreserved characters
 * (letters, digits, - . _ ~). NULL gives NULL. */
char *http_escape(const char *s);

#endif
