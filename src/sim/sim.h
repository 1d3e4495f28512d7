/* sim.h - the modules of sitrep-sim and what they share. Nothing outside src/sim/
 * includes this: the simulator is a separate program that only links libsitrep for
 * its helpers (buffers, timestamps, JSON parsing).
 *
 * Threads: libmicrohttpd runs one thread per connection. Every module below except
 * the pure helpers (wire, params, matcher) keeps state inside struct sim, and every
 * handler runs with sim->lock held; nothing may sleep or block while holding it. */
#ifndef SITREP_SIM_SIM_H
#define SITREP_SIM_SIM_H

#include <jansson.h>
#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>

#include "sitrep/timestamp.h"

/* ---- wire.c: the text forms upstreams put on the wire ------------------------ */

/* Large enough for every timestamp form below. */
#define WIRE_TIME_SIZE 48

#define FNV64_OFFSET UINT64_C(0xcbf29ce484222325)
uint64_t fnv64_add(uint64_t h, const void *data, size_t len);
/* A well-mixed 64-bit value for (seed, text, n): the only source of "randomness". */
uint64_t sim_hash(uint64_t seed, const char *text, uint64_t n);

/* floor(a / b) for b > 0, also for negative a. */
int64_t floor_div(int64_t a, int64_t b);

/* "2025-03-03T08:00:00.000Z" (Alertmanager: always milliseconds, UTC). */
void wire_time_ms(int64_t ms, char *buf, size_t size);
/* Go's RFC3339Nano with a fixed zone: "2025-03-03T10:00:00.0209486+02:00" (trailing
 * zeros of the fraction dropped, no fraction when ns is 0), as Prometheus shows
 * activeAt in the server's local zone. */
void wire_time_nano(int64_t sec, uint32_t ns, int offset_minutes, char *buf, size_t size);
/* Go strconv.FormatFloat(v, 'e', -1, 64): "1e+00", "4.25e+01", "NaN", "+Inf". */
void wire_float_e(double v, char *buf, size_t size);
/* Go strconv.FormatFloat(v, 'f', -1, 64) of v rounded to 3 decimals: "1234.5", "0". */
void wire_float_f(double v, char *buf, size_t size);
/* Prometheus output time: integer seconds when whole, else seconds.millis (new). */
json_t *wire_unix_time(int64_t ms);
/* Prometheus input time: unix seconds (decimals allowed) or RFC 3339. */
bool wire_parse_time(const char *text, int64_t *ms);
/* Prometheus duration ("15s", "1m30s", "250ms", "2d") or float seconds. */
bool wire_parse_duration(const char *text, int64_t *ms);
/* A signed duration for the control API: "1h", "-90s", "1d12h". */
bool wire_parse_signed_duration(const char *text, int64_t *ms);
/* Compact JSON text of v (new, *len set). go_escape writes <, > and & as \u003c,
 * \u003e and \u0026, as Go's encoding/json does. */
char *wire_dump(const json_t *v, bool go_escape, size_t *len);
/* Alertmanager's fingerprint of a label set: FNV-1a 64 over the names in sorted
 * order, each name and value followed by a 0xff byte (prometheus/common model). */
uint64_t labels_fingerprint(json_t *labels);
/* Appends the percent-encoding of s (RFC 3986 unreserved characters kept). */
void wire_urlencode(struct buf *b, const char *s);

/* ---- params.c: query string and form parameters ------------------------------ */

struct param {
	char *key;
	char *value;
};

struct params {
	struct param *items;
	size_t n;
	size_t alloc;
};

void params_release(struct params *p);
/* Copies key and value (value NULL becomes ""). */
void params_add(struct params *p, const char *key, const char *value);
/* Decodes application/x-www-form-urlencoded text ('+' is a space, %XX a byte). */
void params_add_form(struct params *p, const char *text, size_t len);
/* Borrowed value of the first parameter named key, or NULL. */
const char *params_get(const struct params *p, const char *key);
/* {"key": "value", ...}; a repeated key becomes an array of its values (new). */
json_t *params_json(const struct params *p);
/* Reads a boolean parameter as Go's strconv.ParseBool; *ok false on bad text. */
bool params_bool(const struct params *p, const char *key, bool fallback, bool *ok);

/* ---- matcher.c: label matchers (name="v", name!="v", name=~"re", name!~"re") ---- */

enum matcher_op {
	MATCH_EQ,
	MATCH_NE,
	MATCH_RE,
	MATCH_NRE,
};

struct matcher {
	char *name;
	char *value;
	enum matcher_op op;
	bool compiled;
	regex_t re; /* anchored, as Prometheus anchors its regular expressions */
};

/* Parses one matcher from [text, text + len); surrounding braces and spaces are
 * allowed, the value may be quoted. On failure writes a reason into err. */
bool matcher_parse(struct matcher *m, const char *text, size_t len, char *err, size_t err_size);
/* Builds a matcher from parts (value unquoted), as Alertmanager silences carry them. */
bool matcher_init(struct matcher *m, const char *name, const char *value, bool is_regex,
		  bool is_equal);
void matcher_release(struct matcher *m);
/* A missing label matches as the empty string, as in Prometheus. */
bool matcher_matches(const struct matcher *m, const char *value);
bool matcher_matches_labels(const struct matcher *m, const json_t *labels);

/* ---- clock.c: the simulated clock ------------------------------------------------ */

struct sim_clock {
	int64_t start_ms;     /* --start, for reports */
	int64_t base_ms;      /* simulated instant at base_mono_ns */
	int64_t base_mono_ns; /* CLOCK_MONOTONIC when base_ms was set */
	double speed;	      /* simulated seconds per real second; 0 = frozen */
};

void sim_clock_init(struct sim_clock *c, int64_t start_ms, double speed);
int64_t sim_clock_now(const struct sim_clock *c);
void sim_clock_set(struct sim_clock *c, int64_t ms);
void sim_clock_set_speed(struct sim_clock *c, double speed);
json_t *sim_clock_json(const struct sim_clock *c);

/* ---- world.c, series.c, scenario.c: the deterministic scenario ----------------- */

enum metric_kind {
	METRIC_RPM,	     /* requests per minute */
	METRIC_ERRORS,	     /* 5xx responses per minute */
	METRIC_LATENCY,	     /* average latency, seconds */
	METRIC_LATENCY_MAX,  /* p99 ("max") latency, seconds */
	METRIC_CPU,	     /* percent of the service's CPU limit */
	METRIC_MEMORY,	     /* percent of the service's memory limit */
	METRIC_UP,	     /* 1 or 0 */
	METRIC_AVAILABILITY, /* ratio of good requests, 0..1 */
	METRIC_CONSUMERS,    /* unique API consumers over the last hour */
	METRIC_COUNT,
};

enum severity {
	SEVERITY_INFO,
	SEVERITY_WARNING,
	SEVERITY_CRITICAL,
};

enum symptom {
	SYMPTOM_ERRORS,
	SYMPTOM_LATENCY,
	SYMPTOM_CPU,
	SYMPTOM_MEMORY,
	SYMPTOM_OUTAGE,
};

struct service {
	char *name;
	double rpm;
	double latency_ms;
	double error_ratio;
	double cpu;
	double memory;
	double consumers;
};

/* Instants are seconds; TIME_NONE when the milestone never happens. */
struct incident {
	char *id;
	char *alertname;
	char *title; /* untrusted on purpose: may hold escape sequences */
	char *description;
	char *acked_by;
	size_t service;
	enum severity severity;
	enum symptom symptom;
	int64_t impact; /* Prometheus activeAt: the alert goes pending */
	int64_t fire;	/* the alert fires: Alertmanager startsAt */
	int64_t ack;
	int64_t resolve;
	bool silence_on_ack; /* the on-call silenced it in Alertmanager at ack */
	uint32_t phase_ns;   /* evaluation phase: the sub-second part of its instants */
};

enum alert_state {
	ALERT_INACTIVE,
	ALERT_PENDING,
	ALERT_FIRING,
};

struct world {
	uint64_t seed;
	int64_t origin; /* seconds: relative scenario times count from here (--start) */
	char *name;
	char *require_token; /* from the scenario; NULL when none */
	struct service *services;
	size_t n_services;
	struct incident *incidents;
	size_t n_incidents;
	json_t *faults; /* the scenario's "faults" array, or NULL */
};

/* Loads the scenario at path, or the built-in one when path is NULL. */
enum status_code world_load(struct world *w, const char *path, int64_t origin, uint64_t seed);
void world_release(struct world *w);
/* Index of the service called name, or -1. */
long world_service(const struct world *w, const char *name);
enum alert_state incident_state(const struct incident *in, int64_t now_ms);
const char *severity_name(enum severity s);
const char *symptom_name(enum symptom s);
/* The labels and annotations both Prometheus and Alertmanager show (new). */
json_t *incident_labels(const struct world *w, const struct incident *in);
json_t *incident_annotations(const struct incident *in);
/* The alerting rule's expression, for /rules and generatorURL (new). */
char *incident_expr(const struct world *w, const struct incident *in);
/* The scenario with absolute instants: ground truth for end-to-end tests (new). */
json_t *world_json(const struct world *w);

/* The value of metric m of service s at t (seconds): smooth, deterministic in the
 * seed, with bumps while an incident of that service lasts. */
double series_value(const struct world *w, size_t s, enum metric_kind m, double t);
/* The metric a symptom shows best (the value an alert reports). */
enum metric_kind symptom_metric(enum symptom s);

/* The built-in scenario as JSON text (new); data/sim/week.json holds the same. */
char *scenario_builtin_text(void);

/* ---- promql.c: which series a query asks for (not a PromQL parser) ----------- */

enum promql_agg {
	PROMQL_SUM,
	PROMQL_AVG,
	PROMQL_MAX,
	PROMQL_MIN,
};

struct promql {
	bool scalar; /* a number literal */
	double scalar_value;
	bool known; /* a metric the world has; false: an unknown name, empty result */
	enum metric_kind metric;
	double factor;	 /* per-second counters: the literal "* 60" of the query / 60 */
	char *bare_name; /* the name of a bare selector, kept as __name__ */
	bool raw_labels; /* a bare instrumentation metric: instance and job labels too */
	bool collapse;	 /* aggregated without "by (service)": one series, no labels */
	enum promql_agg agg;
	bool has_matcher;
	struct matcher service;
};

/* false with Prometheus's wording (without the "invalid parameter" prefix) in err. */
bool promql_parse(struct promql *q, const char *text, char *err, size_t err_size);
void promql_release(struct promql *q);
/* The "result" array of an instant query evaluated at eval_ms, its samples stamped
 * stamp_ms (the query time, which may lie within the lookback after eval_ms) (new). */
json_t *promql_vector(const struct promql *q, const struct world *w, int64_t eval_ms,
		      int64_t stamp_ms);
/* The "result" array of a range query; points after last_ms do not exist yet. */
json_t *promql_matrix(const struct promql *q, const struct world *w, int64_t start_ms,
		      int64_t end_ms, int64_t step_ms, int64_t last_ms);
/* The recording rule that publishes m ("sitrep:rpm"; "up" for METRIC_UP). */
const char *promql_metric_name(enum metric_kind m);

/* ---- fault.c: injected failures ---------------------------------------------- */

enum fault_kind {
	FAULT_STATUS,
	FAULT_DELAY,
	FAULT_TRUNCATE,
	FAULT_MALFORMED,
	FAULT_WRONG_TYPES,
	FAULT_RATE_LIMIT,
	FAULT_STUCK_CURSOR,
	FAULT_HUGE,
	FAULT_RESET,
};

struct fault {
	unsigned long id;
	char *route;  /* exact path, "PREFIX*", or "*" for every dialect route */
	char *method; /* NULL: any */
	enum fault_kind kind;
	unsigned int status;
	unsigned int delay_ms;
	unsigned int retry_after;
	long remaining; /* requests left; -1 forever */
	unsigned long hits;
};

/* What one request is to suffer, copied out from under the lock. */
struct fault_hit {
	bool hit;
	enum fault_kind kind;
	unsigned int status;
	unsigned int delay_ms;
	unsigned int retry_after;
};

struct fault_list {
	struct fault *items;
	size_t n;
	size_t alloc;
	unsigned long next_id;
};

#define FAULT_HUGE_SIZE (UINT64_C(100) * 1024 * 1024)

void fault_list_release(struct fault_list *f);
void fault_list_clear(struct fault_list *f);
/* Adds the fault described by spec; on error writes a reason into err. *added is a
 * new description of the stored fault. */
bool fault_add(struct fault_list *f, const json_t *spec, json_t **added, char *err,
	       size_t err_size);
bool fault_remove(struct fault_list *f, unsigned long id);
/* The first fault matching the request, its count consumed. */
struct fault_hit fault_take(struct fault_list *f, const char *method, const char *path);
json_t *fault_list_json(const struct fault_list *f);
/* Steals v and returns the same data with the types JSON clients trip on: numbers
 * as strings, numeric strings as numbers, timestamps as epoch numbers, booleans as
 * strings, empty arrays as null (a Go nil slice). */
json_t *fault_wrong_types(json_t *v);
/* Cuts the body in half: a well-framed response whose JSON is cut off. */
void fault_truncate(struct buf *body);
/* Breaks the JSON in the middle: a control byte, invalid UTF-8 and stray braces. */
void fault_malform(struct buf *body);
/* Bytes [pos, pos + max) of the generated 100 MB JSON body; returns how many. */
size_t fault_huge_fill(uint64_t pos, char *buf, size_t max);

/* ---- reqlog.c: what clients asked, for tests of conditional requests --------- */

struct reqlog_entry {
	char *route;
	unsigned long count;
	char *method;
	char *if_none_match; /* NULL when absent */
	char *auth_scheme;   /* "Bearer", "Basic"...; NULL when absent (never the secret) */
	int token_ok;	     /* -1: no token required, else 0/1 */
	json_t *args;
};

struct reqlog {
	struct reqlog_entry *items;
	size_t n;
	size_t alloc;
	unsigned long total;
};

void reqlog_release(struct reqlog *log);
void reqlog_clear(struct reqlog *log);
/* Steals args. */
void reqlog_record(struct reqlog *log, const char *method, const char *path,
		   const char *if_none_match, const char *authorization, int token_ok,
		   json_t *args);
json_t *reqlog_json(const struct reqlog *log);

/* ---- server.c: requests, responses, routing ---------------------------------- */

struct sim_request {
	const char *method;
	const char *path;     /* the whole URL path */
	const char *route;    /* the path below the dialect's prefix: "/api/v1/query" */
	struct params params; /* query string and form body */
	const char *body;
	size_t body_len;
	const char *content_type; /* the request's, or NULL */
	bool stuck_cursor;	  /* fault: pagination must not advance */
};

#define SIM_MAX_HEADERS 6

struct sim_response {
	unsigned int status;
	json_t *json;	 /* the body when set (owned) */
	struct buf text; /* else this raw body */
	const char *content_type;
	bool etag;	/* add an ETag and honour If-None-Match */
	bool go_escape; /* write JSON as Go's encoding/json does */
	size_t n_headers;
	char *headers[SIM_MAX_HEADERS][2]; /* owned name and value */
};

void response_json(struct sim_response *r, unsigned int status, json_t *body);
void response_text(struct sim_response *r, unsigned int status, const char *text);
void response_header(struct sim_response *r, const char *name, const char *value);

/* ---- alertmanager.c state ---------------------------------------------------- */

struct am_alert {
	json_t *labels;
	json_t *annotations;
	char *generator_url;
	int64_t starts_ms;
	int64_t ends_ms;
	int64_t updated_ms;
	uint64_t fingerprint;
};

struct am_silence {
	char *id;
	struct matcher *matchers;
	size_t n_matchers;
	json_t *matchers_json;
	char *created_by;
	char *comment;
	int64_t starts_ms;
	int64_t ends_ms;
	int64_t updated_ms;
};

struct am_store {
	struct am_alert *alerts; /* posted through POST /api/v2/alerts */
	size_t n_alerts;
	size_t alloc_alerts;
	struct am_silence *silences; /* posted through POST /api/v2/silences */
	size_t n_silences;
	size_t alloc_silences;
	unsigned long next_silence;
};

void am_store_release(struct am_store *am);

/* ---- the simulator ------------------------------------------------------------ */

struct zx_sessions;

struct sim {
	pthread_mutex_t lock; /* guards every field up to the options */
	struct sim_clock clock;
	struct world world;
	struct fault_list faults;
	struct reqlog log;
	struct am_store am;
	struct zx_sessions *zabbix; /* Zabbix sessions (user.login), or NULL */
	/* options, read-only once the server runs */
	const char *require_token; /* borrowed from the command line or the world */
	bool verbose;
	uint16_t port;
	atomic_bool stopping; /* set before the server stops: delays end early */
	struct MHD_Daemon *daemon;
};

enum status_code server_start(struct sim *sim, uint16_t port);
void server_stop(struct sim *sim);

void control_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp);
void prometheus_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp);
/* The body Prometheus (or the proxy before it) sends with an injected status. */
void prometheus_fault_body(struct sim_response *resp, unsigned int status);
void alertmanager_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp);
void alertmanager_fault_body(struct sim_response *resp, unsigned int status);
void sentry_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp);
void sentry_fault_body(struct sim_response *resp, unsigned int status);
void opsgenie_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp);
void opsgenie_fault_body(struct sim_response *resp, unsigned int status);
/* Zabbix is one JSON-RPC route: its calls are logged and faulted as
 * "PATH#METHOD", and its auth is in the body, checked by the dialect. */
void zabbix_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp);
void zabbix_fault_body(struct sim_response *resp, unsigned int status);
/* A call's method, params (new copy, password hidden) and whether its auth is
 * good (-1: a call without auth). */
void zabbix_peek(struct sim *sim, const char *body, size_t len, char *method, size_t size,
		 json_t **params, int *token_ok);
void zabbix_state_release(struct sim *sim);

/* ---- zabbix.c and zabbix_items.c: what the dialect's two files share ---------- */

#define ZX_HOST_BASE 10101

/* The parameters a call was given, read the lenient way PHP reads them. */
struct zx_call {
	const char *method;
	json_t *params; /* borrowed; an object (or an array for user.logout) */
	json_t *id;
	json_t *error; /* set when a parameter was unreadable: the call's answer */
};

/* Ids and integers as strings, as Zabbix writes every number (new). */
json_t *zx_id_json(uint64_t id);
json_t *zx_int_json(int64_t v);
/* An integer parameter (a number or a string of digits); false when absent, or
 * unreadable (c->error set). */
bool zx_get_number(struct zx_call *c, const char *key, int64_t *out);
/* An id or a list of ids (new array), NULL when absent or unreadable. */
uint64_t *zx_get_ids(struct zx_call *c, const char *key, size_t *n);
bool zx_ids_have(const uint64_t *ids, size_t n, uint64_t id);
/* output: "extend", or the list of fields to keep (keep_always: NULL-ended). */
void zx_apply_output(json_t *obj, const json_t *output, const char *const *keep_always);
/* Host s as selectHosts asks for it (new). */
json_t *zx_host_json(const struct world *w, size_t s, const json_t *select);
/* The results of item.get, history.get, trend.get (new), or NULL with c->error. */
json_t *zabbix_item_get(struct sim *sim, struct zx_call *c);
json_t *zabbix_history_get(struct sim *sim, struct zx_call *c, bool stuck);
json_t *zabbix_trend_get(struct sim *sim, struct zx_call *c);

#endif
