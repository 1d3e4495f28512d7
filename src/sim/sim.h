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

/* A version 4 UUID made of sim_hash(seed, what, n) (new). */
char *sim_uuid(uint64_t seed, const char *what, uint64_t n);
/* digits lower-case hex digits (at most 64) for (seed, text), NUL-terminated in out:
 * commit shas (40), ServiceNow sys_ids (32). */
void wire_hex_id(uint64_t seed, const char *text, char *out, size_t digits);

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

/* How a deployment replaces the running version (Argo Rollouts strategies, and
 * Kubernetes' own for rolling and recreate). */
enum deploy_pattern {
	PATTERN_ROLLING,
	PATTERN_BLUE_GREEN,
	PATTERN_CANARY,
	PATTERN_RECREATE,
};

struct service {
	char *name;
	double rpm;
	double latency_ms;
	double error_ratio;
	double cpu;
	double memory;
	double consumers;
	char *repo;		     /* "acme/checkout" */
	char *default_branch;	     /* "main" */
	char *team;		     /* the assignment group of its tickets: "Checkout SRE" */
	enum deploy_pattern pattern; /* of its deployments, unless one says otherwise */
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
	long caused_by;	     /* the production deployment that caused it (index), or -1 */
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
	struct series_index *index; /* series.c: each service's incidents by impact */
	json_t *faults;		    /* the scenario's "faults" array, or NULL */
	/* repo.c, delivery.c */
	struct commit *commits;
	size_t n_commits;
	uint64_t *reach; /* n_commits rows of reach_words: bit j of row i = j is an ancestor */
	size_t reach_words;
	struct branch *branches;
	size_t n_branches;
	struct pipeline *pipelines;
	size_t n_pipelines;
	struct deployment *deployments;
	size_t n_deployments;
	/* tickets.c */
	struct ticket *tickets;
	size_t n_tickets;
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
/* Builds and frees w->index, which series_value reads (world_load, world_release). */
void series_index_build(struct world *w);
void series_index_free(struct world *w);
/* The metric a symptom shows best (the value an alert reports). */
enum metric_kind symptom_metric(enum symptom s);

/* The built-in scenario as JSON text (new): data/sim/week.json, compiled in. */
char *scenario_builtin_text(void);
/* The id of an incident, or -1. */
long world_incident(const struct world *w, const char *id);

/* Helpers of the scenario loaders (world.c, delivery.c, tickets.c). Each fails with
 * an error() naming where ("scenario: pipelines[3]") and the key. */
int scn_name_index(const char *const *names, size_t n, const char *name);
/* Every key of obj must be one of allowed. */
enum status_code scn_check_keys(json_t *obj, const char *const *allowed, size_t n,
				const char *where);
enum status_code scn_number(json_t *obj, const char *key, double fallback, double *out,
			    const char *where);
/* *out is new, NULL when the key is absent or null and not required. */
enum status_code scn_string(json_t *obj, const char *key, bool required, char **out,
			    const char *where);
/* "+1h30m" and "-6d" count from origin; anything else is an absolute instant.
 * TIME_NONE when absent or null. */
enum status_code scn_instant(json_t *obj, const char *key, int64_t origin, int64_t *out,
			     const char *where);
/* A duration such as "10m" or "1h30m", in seconds; fallback when absent. */
enum status_code scn_duration(json_t *obj, const char *key, int64_t fallback, int64_t *out,
			      const char *where);
enum status_code scn_enum(json_t *obj, const char *key, const char *const *names, size_t n,
			  int fallback, int *out, const char *where);
/* The array at key (borrowed), NULL when absent. */
enum status_code scn_array(json_t *obj, const char *key, json_t **out, const char *where);

/* ---- repo.c, delivery.c: repositories, CI pipelines, deployments -----------------
 *
 * Every instant is in seconds (TIME_NONE: never). Lists keep the scenario's order;
 * references between entities are indices into the world's arrays. Accessors that
 * take now_ms give what an upstream shows at that simulated instant. */

struct commit {
	char *id;     /* the scenario's handle: "co-3" */
	char sha[41]; /* 40 hex digits: git's for the commit the demo makes of it */
	size_t service;
	char *branch;  /* "main", "feature/receipt-pdf", "release/2.14" */
	char *author;  /* a login; the e-mail is <author>@<repo owner>.example */
	char *message; /* a merge's is generated: "Merge pull request #481 from ..." */
	int64_t time;  /* author and committer time */
	long parent;   /* first parent (index), -1 for the service's root commit */
	long merged;   /* a merge's second parent: the tip of the merged branch; else -1 */
};

/* A branch of a service's repository, derived from the commits and pipelines that
 * name it. */
struct branch {
	char *name;
	size_t service;
	long base;	  /* the commit it was cut from; -1 for the default branch */
	unsigned long pr; /* its pull request number (feature branches), else 0 */
	long merged_by;	  /* the merge commit that brought it into the default branch, or -1 */
	int64_t created;  /* its first commit, cut or pipeline */
};

/* The CI steps in the order an engineer knows them. */
enum stage_kind {
	STAGE_LINT,
	STAGE_UNIT,	   /* unit tests, with a coverage figure */
	STAGE_BUILD,	   /* container image */
	STAGE_ALPHA,	   /* publish the image with an alpha tag */
	STAGE_INTEGRATION, /* integration and UI tests against the alpha image */
	STAGE_PUBLISH,	   /* publish the image with the version tag */
	STAGE_RELEASE,	   /* cut the release branch */
	STAGE_STAGING,	   /* deploy to staging */
	STAGE_PRODUCTION,  /* deploy to production */
	STAGE_KIND_COUNT,
};

/* What a pipeline or stage shows: the first three only while it lasts. */
enum run_status {
	RUN_PENDING, /* queued, or waiting for the stage before it */
	RUN_WAITING, /* held at a manual gate: approval or input */
	RUN_RUNNING,
	RUN_SUCCESS,
	RUN_FAILED,
	RUN_CANCELED,
	RUN_SKIPPED, /* never ran: skipped on purpose or after a failure */
};

struct stage {
	enum stage_kind kind;
	enum run_status outcome; /* final; RUN_WAITING: a gate never approved, RUN_PENDING:
				  * behind such a gate */
	int64_t ready;		 /* it could start: the stage before it ended */
	int64_t start;		 /* TIME_NONE when it never runs */
	int64_t finish;
	int64_t approved; /* a manual gate: the approval; the stage waits from ready */
	char *approver;	  /* NULL unless approved */
	double coverage;  /* unit tests: percent of lines covered; NAN elsewhere */
	long deployment;  /* the deployment a deploy stage makes, or -1 */
};

struct pipeline {
	char *id;	      /* the scenario's handle */
	uint64_t run_id;      /* a large number, unique in the world (GitHub run id) */
	unsigned long number; /* counts the service's pipelines in queue order */
	size_t service;
	size_t commit; /* the sha it builds */
	size_t branch; /* its ref */
	char *name;    /* workflow or job name: "ci", "deploy", "release" */
	char *event;   /* "push", "pull_request", "workflow_dispatch", "schedule" */
	char *actor;
	char *version; /* the semver tag it publishes, or NULL */
	int64_t queued;
	int64_t start;
	int64_t finish;		 /* TIME_NONE while waiting forever at a gate */
	enum run_status outcome; /* final */
	struct stage *stages;
	size_t n_stages;
};

enum deploy_env {
	ENV_STAGING,
	ENV_PRODUCTION,
};

enum deploy_kind {
	DEPLOY_NORMAL,
	DEPLOY_HOTFIX,
	DEPLOY_ROLLBACK,
};

enum deploy_status {
	DEPLOY_PENDING, /* not started yet */
	DEPLOY_RUNNING,
	DEPLOY_SUCCESS,
	DEPLOY_FAILED,
	DEPLOY_CANCELED,
	DEPLOY_ROLLED_BACK, /* a canary aborted part way: traffic went back to stable */
};

/* One step of a canary (Argo Rollouts spec.strategy.canary.steps). */
struct canary_step {
	int weight;    /* setWeight percent, or -1 for a pause */
	int64_t pause; /* a pause's duration in seconds */
	int64_t start; /* TIME_NONE when the rollout never got there */
	int64_t finish;
};

struct deployment {
	char *id;	   /* the scenario's handle: "DEP-104" */
	uint64_t num;	   /* a large number, unique in the world (GitHub deployment id) */
	unsigned long seq; /* 1, 2, ... per service and environment in start order (Argo
			       * CD history id, rollout revision) */
	size_t service;
	enum deploy_env env;
	long pipeline; /* the pipeline whose stage ran it; -1 for an Argo CD rollback */
	size_t commit; /* what it deploys */
	char *version; /* semver tag */
	char *actor;
	char *via; /* "pipeline" or "argocd" */
	enum deploy_pattern pattern;
	enum deploy_kind kind;
	enum deploy_status outcome; /* final: success, failed, canceled or rolled back */
	int64_t start;
	int64_t finish;
	struct canary_step *steps; /* canary only */
	size_t n_steps;
	long abort_step;     /* the canary step during which it aborted, or -1 */
	int64_t aborted;     /* the abort, or TIME_NONE */
	long fixes;	     /* a hotfix: the deployment it repairs, else -1 */
	long fixed_by;	     /* the hotfix that repaired this one, or -1 */
	long rolls_back;     /* a rollback: the deployment it undoes, else -1 */
	long restores;	     /* a rollback: the deployment whose version it brings back */
	long rolled_back_by; /* the rollback that undid this one, or -1 */
	long previous;	     /* the last success to the same place before it started, or -1 */
	size_t *commits;     /* shipped: reachable from it, not from previous (none for a
			       * rollback), oldest first */
	size_t n_commits;
	size_t *caused; /* the incidents it caused */
	size_t n_caused;
};

/* Where a canary is at an instant. */
struct canary_state {
	long step;   /* the step under way; -1 before the first, n_steps once done */
	int weight;  /* percent of traffic on the new version */
	bool paused; /* in a pause step */
	int64_t pause_start, pause_end;
	bool aborted;
	bool done; /* promoted, or aborted and scaled down */
};

const char *stage_kind_key(enum stage_kind k);		/* "unit" (the scenario's word) */
const char *stage_kind_name(enum stage_kind k);		/* "unit-tests" (a job name) */
const char *stage_kind_group(enum stage_kind k);	/* "test" (a GitLab stage) */
const char *run_status_name(enum run_status s);		/* "pending", "waiting", "running", ... */
const char *deploy_env_name(enum deploy_env e);		/* "staging", "production" */
const char *deploy_pattern_name(enum deploy_pattern p); /* "rolling", "blue-green", ... */
const char *deploy_kind_name(enum deploy_kind k);	/* "normal", "hotfix", "rollback" */
const char *deploy_status_name(enum deploy_status s);	/* "success", "rolled_back", ... */

/* Lookups by the scenario's handle (a branch: by service and name): an index, or -1. */
long world_commit(const struct world *w, const char *id);
long world_branch(const struct world *w, size_t service, const char *name);
long world_pipeline(const struct world *w, const char *id);
long world_deployment(const struct world *w, const char *id);

/* Whether commit ancestor is reachable from commit from (itself included). */
bool commit_reaches(const struct world *w, size_t from, size_t ancestor);
/* The newest commit on branch b at now (its base when it has none yet), or -1 when
 * the branch does not exist yet. */
long branch_head(const struct world *w, size_t b, int64_t now_ms);
/* Neither the default branch nor release/...: a pull request's. */
bool branch_is_feature(const struct world *w, const struct branch *b);

/* A pipeline exists from its queueing; its status and its stages' at now. */
bool pipeline_exists(const struct pipeline *p, int64_t now_ms);
enum run_status pipeline_status(const struct pipeline *p, int64_t now_ms);
enum run_status stage_status(const struct stage *s, int64_t now_ms);
/* A deployment exists from its start. */
bool deployment_exists(const struct deployment *d, int64_t now_ms);
enum deploy_status deployment_status(const struct deployment *d, int64_t now_ms);
/* Fills state for a canary (false for other patterns). */
bool deployment_canary(const struct deployment *d, int64_t now_ms, struct canary_state *state);
/* What runs in service s's environment at now: the newest deployment that succeeded
 * by then (a rollback included), or -1. */
long world_live_deployment(const struct world *w, size_t s, enum deploy_env e, int64_t now_ms);
/* The newest deployment started by now, whatever its state, or -1. */
long world_latest_deployment(const struct world *w, size_t s, enum deploy_env e, int64_t now_ms);

/* Loads "commits" and derives the branches (delivery_load calls it). */
enum status_code repo_load(struct world *w, json_t *root);
/* The index of service's branch name, added (created at t) when new, or moved
 * earlier to t. */
size_t repo_branch(struct world *w, size_t service, const char *name, int64_t t);
void repo_release(struct world *w);
/* Adds "repositories" and "commits" to the ground truth root. */
void repo_json(const struct world *w, json_t *root);

/* Loads "commits", "pipelines" and "deployments" of root into w (world.c calls it
 * after the services and incidents). */
enum status_code delivery_load(struct world *w, json_t *root);
void delivery_release(struct world *w);
/* Adds "repositories", "commits", "pipelines" and "deployments" with absolute
 * instants to the ground truth root. */
void delivery_json(const struct world *w, json_t *root);

/* ---- tickets.c: ServiceNow incidents and Zendesk tickets ---------------------- */

enum ticket_system {
	TICKET_SERVICENOW,
	TICKET_ZENDESK,
};

/* Both systems' life cycles on one scale. ServiceNow: New (1), In Progress (2), On
 * Hold (3), Resolved (6), Closed (7); Zendesk: new, open, pending, solved, closed. */
enum ticket_state {
	TICKET_NEW,
	TICKET_OPEN,
	TICKET_PENDING, /* awaiting the caller or requester: SLA clocks that pause stop */
	TICKET_SOLVED,
	TICKET_CLOSED,
};

enum sla_metric {
	SLA_RESPONSE,	    /* ServiceNow: opened to In Progress */
	SLA_RESOLUTION,	    /* ServiceNow: opened (or reopened) to Resolved, paused On Hold */
	SLA_FIRST_REPLY,    /* Zendesk first_reply_time: created to the first public reply */
	SLA_REQUESTER_WAIT, /* Zendesk requester_wait_time: to solved, paused while pending */
};

struct sla_definition {
	const char *name; /* "P1 resolution (2 hours)" */
	enum ticket_system system;
	enum sla_metric metric;
	int priority;	/* 1..4 */
	int64_t target; /* seconds of its schedule */
	bool business;	/* Mon-Fri 09:00-17:00 UTC; else 24x7 */
};

struct span {
	int64_t start;
	int64_t end;
};

struct sla_instance {
	const struct sla_definition *def; /* borrowed from a static table */
	char sys_id[33];
	int64_t start;
	int64_t stop;	     /* TIME_NONE: still running when the scenario ends */
	struct span *pauses; /* within [start, stop) */
	size_t n_pauses;
	int64_t breach; /* when its clock passes the target; TIME_NONE if it stops first */
};

enum sla_stage {
	SLA_NOT_STARTED,
	SLA_IN_PROGRESS,
	SLA_PAUSED,
	SLA_COMPLETED,
};

/* An SLA instance at an instant (ServiceNow task_sla columns). */
struct sla_state {
	enum sla_stage stage;
	bool breached;		  /* has_breached */
	int64_t elapsed;	  /* 24x7 seconds from start, pauses excluded (duration) */
	int64_t business_elapsed; /* the same in business time (business_duration) */
	int64_t paused;		  /* calendar seconds paused so far (pause_duration) */
	int64_t planned_end;	  /* the breach instant if nothing else pauses it */
	double percentage;	  /* of the target, in the SLA's own schedule */
	int64_t left;		  /* target minus elapsed in its schedule; negative once past */
};

struct ticket_change {
	int64_t at;
	enum ticket_state state;
};

struct ticket_note {
	int64_t at;
	char *author;
	char *text;
	bool public; /* Zendesk: a public comment; ServiceNow notes are work notes */
};

struct ticket {
	char *id; /* "INC0010231", or the Zendesk ticket number as text */
	enum ticket_system system;
	uint64_t number; /* Zendesk ticket id; ServiceNow: the digits of the number */
	char sys_id[33]; /* ServiceNow sys_id, from the seed */
	size_t service;
	long incident;	 /* the incident it is about, or -1 (a customer report) */
	bool correlated; /* it names the incident (correlation_id, custom field): else
			    * only the service and the time tie it to the incident */
	char *title;	 /* short_description, subject */
	char *description;
	char *requester; /* caller, requester */
	char *group;	 /* assignment group */
	char *assignee;
	int priority; /* 1 (critical, urgent) .. 4 (low) */
	int64_t opened;
	int64_t responded; /* In Progress; Zendesk: the first public agent reply */
	int64_t *resolved; /* each resolution; n_reopens + 1 of them, or none while open */
	size_t n_resolved;
	int64_t *reopened; /* each reopening, after resolved[i] */
	size_t n_reopens;
	int64_t closed;
	struct span *holds; /* On Hold, Zendesk pending: awaiting the customer */
	size_t n_holds;
	struct ticket_change *changes; /* every state change, in time order */
	size_t n_changes;
	struct ticket_note *notes; /* in time order */
	size_t n_notes;
	struct sla_instance *slas;
	size_t n_slas;
};

/* Zendesk ticket metrics at an instant, in seconds (TIME_NONE: null). */
struct ticket_metrics {
	int64_t reply, reply_business; /* reply_time: created to the first public reply */
	int64_t first_resolution, first_resolution_business;
	int64_t full_resolution, full_resolution_business; /* to the latest solve */
	int64_t on_hold, agent_wait, requester_wait;	   /* calendar; Zendesk pending is
							* agent_wait */
	unsigned int reopens, replies;
	int64_t solved_at; /* the latest solve while solved or closed */
};

const char *ticket_system_name(enum ticket_system s); /* "servicenow", "zendesk" */
const char *ticket_state_name(enum ticket_system s, enum ticket_state st); /* "On Hold" */
int servicenow_state_code(enum ticket_state st);			   /* 1, 2, 3, 6, 7 */
const char *zendesk_priority_name(int priority);			   /* "urgent" .. "low" */
const char *sla_metric_name(enum sla_metric m); /* "response", "first_reply_time", ... */
/* The SLA definitions of a system, in a static table. */
const struct sla_definition *sla_definitions(enum ticket_system s, size_t *n);
/* Seconds of [from, to) within Mon-Fri 09:00-17:00 UTC. */
int64_t business_seconds(int64_t from, int64_t to);

long world_ticket(const struct world *w, enum ticket_system s, const char *id);
bool ticket_exists(const struct ticket *t, int64_t now_ms);
enum ticket_state ticket_state_at(const struct ticket *t, int64_t now_ms);
/* sys_updated_on / updated_at: its last change or note by now; and how many. */
int64_t ticket_updated_at(const struct ticket *t, int64_t now_ms);
unsigned int ticket_mod_count(const struct ticket *t, int64_t now_ms);
/* How many of its notes exist at now (they come first in t->notes). */
size_t ticket_notes_at(const struct ticket *t, int64_t now_ms);
unsigned int ticket_reopens_at(const struct ticket *t, int64_t now_ms);
/* The SLA instances that exist at now come first in t->slas: how many. */
size_t ticket_slas_at(const struct ticket *t, int64_t now_ms);
void sla_state_at(const struct sla_instance *s, int64_t now_ms, struct sla_state *state);
void ticket_metrics_at(const struct ticket *t, int64_t now_ms, struct ticket_metrics *m);

/* Loads "tickets" of root (after delivery_load). */
enum status_code tickets_load(struct world *w, json_t *root);
void tickets_release(struct world *w);
/* Adds "tickets" and "sla_definitions" with absolute instants to the ground truth. */
void tickets_json(const struct world *w, json_t *root);

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

#define SIM_MAX_HEADERS 16

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
/* The plain page a proxy or gateway in front of the upstream answers with, such as
 * "502 Bad Gateway": no JSON envelope of the upstream's. */
void response_gateway(struct sim_response *r, unsigned int status);
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

/* ---- acks.c: acknowledges made through the dialects' APIs ------------------- */

struct sim_ack {
	char *dialect; /* "opsgenie", "zabbix" */
	char *target;  /* the alert's or event's id */
	int64_t at_ms; /* the simulated instant it was made */
	char *user;
	char *note;	    /* or NULL */
	int action;	    /* Zabbix: the action bits */
	bool ok;	    /* Opsgenie: whether it was done, or refused with status */
	const char *status; /* Opsgenie: the request's status text (static) */
	char request[40];   /* Opsgenie: its requestId */
	unsigned polls;	    /* Opsgenie: how often its outcome was asked for */
};

struct sim;
struct sim_ack *sim_ack_add(struct sim *sim, const char *dialect, const char *target, int64_t at_ms,
			    const char *user, const char *note);
/* The dialect's acknowledges in the order they were made: the one after after
 * (NULL: the first), or NULL. */
const struct sim_ack *sim_ack_next(const struct sim *sim, const char *dialect,
				   const struct sim_ack *after);
/* A dialect's acknowledge by its request id, or NULL. */
struct sim_ack *sim_ack_request(struct sim *sim, const char *dialect, const char *request);
void sim_acks_release(struct sim *sim);

/* ---- the simulator ------------------------------------------------------------ */

struct zx_sessions;
struct sim_acks;

struct sim {
	pthread_mutex_t lock; /* guards every field up to the options */
	struct sim_clock clock;
	struct world world;
	struct fault_list faults;
	struct reqlog log;
	struct am_store am;
	struct opsgenie_cache *opsgenie; /* opsgenie.c: the alerts at one instant */
	struct zx_sessions *zabbix;	 /* Zabbix sessions (user.login), or NULL */
	struct sim_acks *acks;		 /* acks.c: acknowledges made by clients, or NULL */
	struct sim_made *made;		 /* rollbacks.c: deployments made by clients, or NULL */
	/* options, read-only once the server runs */
	const char *require_token; /* borrowed from the command line or the world */
	bool verbose;
	uint16_t port;
	atomic_bool stopping; /* set before the server stops: delays end early */
	struct MHD_Daemon *daemon;
};

enum status_code server_start(struct sim *sim, uint16_t port);
void server_stop(struct sim *sim);

/* rollbacks.c: deployments clients make (an Argo CD rollback, a GitHub deployment).
 * The deployment live at service and env at now (seconds), or -1. */
long sim_live_deployment(const struct world *w, size_t service, enum deploy_env env, int64_t now);
/* A rollback to deployment restores, made via a dialect at now: its index. */
long sim_rollback_add(struct sim *sim, size_t restores, const char *via, const char *actor,
		      int64_t now);
/* Whether a client turned off the auto-sync of Argo CD application app. */
bool sim_autosync_off(const struct sim *sim, const char *app);
void sim_autosync_disable(struct sim *sim, const char *app);
/* Forgets them all (a reset, the end). */
void sim_made_release(struct sim *sim);

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
void opsgenie_release(struct sim *sim);
/* The id of the Opsgenie alert of incident i (a UUID), as the dialect serves it. */
void opsgenie_alert_id(const struct world *w, size_t i, char *buf, size_t size);
void grafana_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp);
/* Grafana's error body ({"message", "traceID"}), or a proxy's for 502-504. */
void grafana_fault_body(struct sim_response *resp, unsigned int status);
void zendesk_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp);
/* Zendesk's error bodies ({"error", "description"}; plain text for 429). */
void zendesk_fault_body(struct sim_response *resp, unsigned int status);
/* Whether authorization is Zendesk's Basic "EMAIL/token:TOKEN" or a bearer token,
 * with token. */
int zendesk_token_ok(const char *authorization, const char *token);
/* Jenkins: multibranch Pipeline projects, Basic auth with an API token. */
void jenkins_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp);
/* Jetty's HTML error page; 401 and 403 as Jenkins words them. */
void jenkins_fault_body(struct sim_response *resp, unsigned int status);
/* Whether "Basic base64(user:token)" carries token as the password. */
bool jenkins_token_ok(const char *authorization, const char *token);
/* Zabbix is one JSON-RPC route: its calls are logged and faulted as
 * "PATH#METHOD", and its auth is in the body, checked by the dialect. */
/* GitLab takes its token as PRIVATE-TOKEN or Authorization: Bearer (server.c). */
void gitlab_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp);
void gitlab_fault_body(struct sim_response *resp, unsigned int status);
void zabbix_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp);
void zabbix_fault_body(struct sim_response *resp, unsigned int status);
/* A call's method, params (new copy, password hidden) and whether its auth is
 * good (-1: a call without auth). */
void zabbix_peek(struct sim *sim, const char *body, size_t len, char *method, size_t size,
		 json_t **params, int *token_ok);
void zabbix_state_release(struct sim *sim);
void servicenow_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp);
/* The instance's error body ({"error": {"message", "detail"}, "status": "failure"});
 * a 429's with X-RateLimit-Limit, -Reset and -Rule. */
void servicenow_fault_body(struct sim_response *resp, unsigned int status);
/* Basic with token as the password (any user), or Bearer token. */
bool servicenow_auth_ok(const char *authorization, const char *token);
/* Argo CD applications and the Argo Rollouts objects they manage (argocd.c). */
void argocd_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp);
/* grpc-gateway's {"error", "code", "message"}, or the ingress's text for 429, 502-504. */
void argocd_fault_body(struct sim_response *resp, unsigned int status);
/* GitHub's REST dialect: Actions runs and jobs, deployments and their statuses. */
void github_handle(struct sim *sim, const struct sim_request *req, struct sim_response *resp);
/* GitHub's error body ({"message", "documentation_url", "status"}); a 403 is the
 * spent primary rate limit, with its headers. Runs under sim->lock. */
void github_fault_body(const struct sim *sim, struct sim_response *resp, unsigned int status);

/* ---- protection.c: branch protection and check runs, as the forges show them -- */

/* The rules a GitHub repository protects branch b with: its default branch and its
 * release branches are protected, feature branches are not. */
struct branch_rules {
	bool protected;
	enum stage_kind checks[3]; /* required status checks, by job name */
	size_t n_checks;
	int approvals;
	bool enforce_admins, force_push, code_owners;
};
void branch_rules(const struct world *w, size_t b, struct branch_rules *r);

/* GitLab's protected branch rules of service s: its default branch and the
 * wildcard "release/" + "*". Access levels: 0 no one, 30 developer, 40 maintainer. */
struct gitlab_rule {
	const char *name; /* borrowed from the world, or static */
	uint64_t id;
	int push_level, merge_level;
	bool force_push, code_owners;
};
size_t gitlab_rules(const struct world *w, size_t s, struct gitlab_rule out[2]);

/* A check run on a commit: the job (stage) of a pipeline that built it. */
struct check_ref {
	size_t pipeline, stage;
};
/* The check runs on commit c at now, as filter=latest lists them: for each job name,
 * the job of the newest pipeline of c that has it (a job exists once it could start),
 * in the pipeline's job order. At most max; returns how many. */
size_t commit_checks(const struct world *w, size_t c, int64_t now_ms, struct check_ref *out,
		     size_t max);
/* Ground truth at now: {"at", "github": [branch with rules and head], "gitlab":
 * [protected branch rule], "check_runs": [check run of each head]} (new). */
json_t *branches_now_json(const struct world *w, int64_t now_ms);

/* ---- github.c and github_branches.c: what the dialect's files share ------------- */

/* Routes of GET /repos/{owner}/{repo}/branches..., /commits/{ref}/check-runs; false
 * when rest is none of them. */
bool github_branches_route(struct sim *sim, const struct sim_request *req, size_t s,
			   const char *rest, struct sim_response *resp);
/* Job i of pipeline p at now, as GET .../actions/runs/ID/jobs lists it (new). */
json_t *github_job_json(const struct sim *sim, const struct pipeline *p, size_t i, int64_t now_ms);
/* per_page (default 30, at most 100) and page (from 1). */
void github_paging(const struct sim_request *req, size_t *per_page, size_t *page);
/* Link: next/last/prev/first for page of total items (tail: the route after the
 * repository), in the /repositories/ID form. */
void github_add_links(const struct sim *sim, const struct sim_request *req, size_t s,
		      const char *tail, size_t page, size_t per_page, size_t total,
		      struct sim_response *resp);
void github_error_body(struct sim_response *resp, unsigned int status, const char *message,
		       const char *docs);
/* "http://127.0.0.1:PORT/github" followed by fmt (new). */
char *github_api_url(const struct sim *sim, const char *fmt, ...) PRINTF_LIKE(2, 3);

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
