/* source.h - one adapter per upstream behind one small ops table (tig's view_ops).
 *
 * A source plans the requests of a sync round and turns each response into
 * normalized records plus the stream's next cursor. It never touches SQLite, the
 * network or the screen: the sync engine does the HTTP, commits each page's records
 * with its cursor in one transaction, and keeps the sync state. So every source is
 * testable on saved payloads alone. */
#ifndef SITREP_SOURCE_H
#define SITREP_SOURCE_H

#include "sitrep/http.h"
#include "sitrep/store.h"

struct config_source;
struct json_t;
struct config_metric;

/* An event on an incident's timeline. */
struct source_event {
	const char *incident_id; /* the incident's source_id */
	int64_t at;
	const char *kind;     /* trigger, ack, note, silence, resolve, reopen, ... */
	const char *actor;    /* or NULL */
	const char *text;     /* or NULL; untrusted */
	const char *event_id; /* the upstream's id for it, or NULL */
};

/* One sample of a metric series. */
struct source_sample {
	const char *series;  /* the config's metric name, "checkout.rpm" */
	const char *labels;  /* canonical "k=v,k=v" sorted by key, or "" */
	const char *service; /* or NULL */
	int64_t ts;
	double value;
};

/* One request a source wants made. Strings are owned by the request. A request
 * that carries an If-None-Match header of the source's own (validators the source
 * keeps in its cursor, one per detail) has its 304 handed to parse like any other
 * response; the engine's own conditional first page ends the stream on a 304. */
struct source_request {
	char *stream;		       /* its sync-state stream: "alerts", "metric:checkout.rpm" */
	char *method;		       /* "GET" or "POST" */
	char *url;		       /* absolute */
	char *body;		       /* or NULL */
	struct http_header headers[4]; /* auth, content type; names and values owned */
	size_t n_headers;
};

/* What one response yields. Records point into memory the page owns (its arrays and
 * source_page_alloc blocks); all of it is freed by source_page_release. */
struct source_page {
	struct store_incident *incidents;
	size_t n_incidents;
	struct source_event *events;
	size_t n_events;
	struct source_sample *samples;
	size_t n_samples;
	struct store_pipeline *pipelines;
	size_t n_pipelines;
	struct store_deployment *deployments;
	size_t n_deployments;
	struct store_branch *branches;
	size_t n_branches;
	struct store_check_run *check_runs;
	size_t n_check_runs;
	/* The incidents are every incident of the stream open upstream right now: the
	 * engine resolves, at observed_at, the stream's stored open incidents that are
	 * not among them (Alertmanager and Prometheus drop resolved alerts). */
	bool snapshot;
	int64_t observed_at;
	/* With prune_repo set, the branches of (the source, prune_repo) upstream are
	 * exactly prune_names: the engine deletes the stored ones not among them (a
	 * branch deleted upstream, a protection rule removed). */
	const char *prune_repo;
	const char **prune_names;
	size_t n_prune_names;
	/* Whether this response's validators (ETag, Last-Modified) stand for the stream:
	 * the engine stores them, once the round has read the stream to its end, for the
	 * stream's next first request. 0: those of the round's first page do; 1: this
	 * page's do (GitHub's list page, read after detail pages resumed from a cursor);
	 * -1: this page's never do (a detail page). */
	int validators;
	char *cursor;		     /* the stream's cursor after this page; NULL: unchanged */
	struct source_request *next; /* the following page, fetched in the same round */
	void **allocs;		     /* blocks the records point into */
	size_t n_allocs, allocs_alloc;
	size_t incidents_alloc, events_alloc, samples_alloc, pipelines_alloc, deployments_alloc;
	size_t branches_alloc, check_runs_alloc;
};

/* What the engine gives a source. */
struct source_ctx {
	const char *name; /* the [source "NAME"] */
	const struct config_source *config;
	const char *secret;  /* the resolved token/password, or NULL; never logged */
	const char *session; /* the round's session token (ops->login), or NULL; never
			      * logged */
	const struct config_metric *metrics; /* every [metric] section (a source uses those
					      * whose source is ctx->name); borrowed */
	size_t n_metrics;
	const struct config_rule *stage_rules; /* [stages]; borrowed */
	size_t n_stage_rules;
	int64_t now;
	/* The stored cursor of a stream, or NULL (borrowed). */
	const char *(*cursor)(void *engine, const char *stream);
	void *engine;
};

/* An action on one upstream record, asked for by a person (src/sync/action.c):
 * acknowledge an incident; later, roll back a deployment. */
struct source_action {
	const char *kind; /* "ack", "rollback" */
	const char *id;	  /* the record's source_id (rollback: the deployment to go back to) */
	const char *who;  /* the person it is done for ([sitrep] user, else $USER) */
	const char *note; /* or NULL */
	/* rollback (src/deploy/): the executor's argument (the Argo CD application,
	 * OWNER/REPO, the GitLab project), and what the target deployment holds */
	const char *target;
	const char *service, *environment, *version, *sha;
	const char *job;	     /* GitLab: the deployment job to retry (deployments.target) */
	bool allow_disable_autosync; /* Argo CD: turn auto-sync off first */
	int64_t follow_seconds;	     /* how long an asynchronous write is followed; 0: a
				      * few checks (action.c) */
};

struct source_ops {
	const char *type; /* the config's type = ... */
	/* Adds the requests that start a round to *out (source_request_add). */
	enum status_code (*plan)(const struct source_ctx *ctx, struct source_request **out,
				 size_t *n);
	/* Parses one response of one of its requests. Errors name the request's stream
	 * and what was wrong with the payload; the engine keeps the previous data. */
	enum status_code (*parse)(const struct source_ctx *ctx, const struct source_request *req,
				  const struct http_response *resp, struct source_page *page);
	/* Optional, for upstreams that log in with a user and password (Zabbix
	 * user.login): sets *out to the request that opens a session for the round, or
	 * to NULL when none is needed (an API token is configured). */
	enum status_code (*login)(const struct source_ctx *ctx, struct source_request **out);
	/* Takes the session token out of the login response into *token (new). Errors
	 * say why the login failed, never with the password. */
	enum status_code (*session)(const struct source_ctx *ctx, const struct http_response *resp,
				    char **token);
	/* Optional: sets *out to the request that closes the session after the round
	 * (so a daemon does not pile up sessions upstream), or to NULL. */
	enum status_code (*logout)(const struct source_ctx *ctx, struct source_request **out);
	/* Optional, for upstreams with actions: sets *out to the request that performs
	 * action (stream "action:KIND"), or returns an error naming the action when the
	 * upstream has no such action or the id cannot be one of its records. */
	enum status_code (*act)(const struct source_ctx *ctx, const struct source_action *action,
				struct source_request **out);
	/* Checks the answer to req: act's request, or a follow-up. SUCCESS with *next
	 * NULL: done, *done set to a short static text ("acknowledged"). SUCCESS with
	 * *next: the action is accepted but not known to be done (an asynchronous
	 * write); next is an idempotent request for its outcome, answered again to
	 * acted (and may be sent again while its answer says "not yet"). An error says
	 * what the upstream refused, its text sanitized. */
	enum status_code (*acted)(const struct source_ctx *ctx, const struct source_action *action,
				  const struct source_request *req,
				  const struct http_response *resp, struct source_request **next,
				  const char **done);
};

/* The ops of a type, or NULL. */
const struct source_ops *source_ops_find(const char *type);

/* Each type's ops, defined in its src/sources/ file: source_ops_find's table. */
extern const struct source_ops source_prometheus_ops;
extern const struct source_ops source_alertmanager_ops;
extern const struct source_ops source_sentry_ops;
extern const struct source_ops source_opsgenie_ops;
extern const struct source_ops source_grafana_ops;
extern const struct source_ops source_zabbix_ops;
extern const struct source_ops source_jenkins_ops;
extern const struct source_ops source_servicenow_ops;
extern const struct source_ops source_zendesk_ops;
extern const struct source_ops source_gitlab_ops;
extern const struct source_ops source_argocd_ops;
extern const struct source_ops source_github_ops;

/* Helpers for sources. */
struct source_request *source_request_add(struct source_request **reqs, size_t *n,
					  const char *stream, const char *method, char *url);
void source_request_header(struct source_request *req, const char *name, const char *value);
void source_request_release(struct source_request *req);
void source_requests_free(struct source_request *reqs, size_t n);

void source_page_init(struct source_page *page);
void source_page_release(struct source_page *page);
/* Zeroed memory, or a copy of s (NULL stays NULL), owned by the page. */
void *source_page_alloc(struct source_page *page, size_t size);
const char *source_page_strdup(struct source_page *page, const char *s);
const char *source_page_strndup(struct source_page *page, const char *s, size_t len);
struct store_incident *source_page_incident(struct source_page *page);
struct source_event *source_page_event(struct source_page *page);
struct source_sample *source_page_sample(struct source_page *page);
/* A new pipeline, deployment, or array of n stages, every instant TIME_NONE,
 * numbers unknown (number TIME_NONE, coverage and canary weight NAN). */
struct store_pipeline *source_page_pipeline(struct source_page *page);
struct store_stage *source_page_stages(struct source_page *page, size_t n);
struct store_deployment *source_page_deployment(struct source_page *page);
/* A new branch (rules unknown: -1, NULL) or check run (instants TIME_NONE). */
struct store_branch *source_page_branch(struct source_page *page);
struct store_check_run *source_page_check_run(struct source_page *page);
/* The number of records a page holds, of every kind. */
size_t source_page_records(const struct source_page *page);

/* ---- helpers shared by the sources ---- */

/* base (a configured url, trailing slashes ignored) followed by path. New. */
char *source_url(const char *base, const char *path);
/* Adds "Authorization: Bearer SECRET" when secret is set and not empty. */
void source_request_bearer(struct source_request *req, const char *secret);
/* Authorization: Basic base64(user:secret); nothing when either is NULL. */
void source_request_basic(struct source_request *req, const char *user, const char *secret);
/* The config's service for records that name none (borrowed), or NULL. */
const char *source_default_service(const struct source_ctx *ctx);
/* Untrusted upstream text fit for an error message: the first bytes of s sanitized
 * (text_sanitize) and cut to at most 160 columns. New. */
char *source_error_text(const char *s, size_t len);
/* The generic failures of a response, as an error naming type and stream: no
 * response (transport error), a body over the size limit, a status other than 200
 * (with the start of the body), an empty body. SUCCESS when none applies. A source
 * with an error envelope of its own checks for it first. */
enum status_code source_check_response(const char *type, const char *stream,
				       const struct http_response *resp);
/* The answer to a write (an action's request): SUCCESS when its status is ok, else an error naming type, the source, what was asked and why
 * (the body's "message", else its start), sanitized. */
enum status_code source_check_write(const char *type, const char *name, const char *what,
				    const struct http_response *resp, long ok);
/* Parses a response body with jansson into *out (new reference), or returns an
 * error naming type and stream and what was wrong, untrusted text sanitized. */
enum status_code source_parse_json(const char *type, const char *stream,
				   const struct http_response *resp, struct json_t **out);

/* The kind of a pipeline stage or job from its upstream name: the first [stages]
 * rule whose pattern matches, else the usual names (lint, unit tests, docker
 * build, publish, integration/e2e/UI tests, release, deploy), else NULL. */
const char *source_stage_kind(const struct source_ctx *ctx, const char *name);

/* Metric streams ("metric:NAME", one per [metric] section). */

/* The window of a metric stream whose cursor is the decimal epoch second of its
 * last sample (or NULL): from the cursor, or backfill seconds before now (an hour
 * when backfill <= 0), aligned down to step (so every round evaluates the same
 * instants, and a chart's buckets do not shift; the last sample is asked for
 * again, as it may have been computed from data still arriving), to now. With
 * max_points, the start is clamped so that the window holds at most that many
 * points (the newest matter more). A step <= 0 counts as 60. */
void source_metric_window(const char *cursor, int64_t now, int64_t step, int64_t backfill,
			  size_t max_points, int64_t *start, int64_t *end);
/* The service of metric NAME ("checkout.rpm": the part before the first dot),
 * else the config's default service; in page memory, or NULL. */
const char *source_metric_service(struct source_page *page, const struct source_ctx *ctx,
				  const char *name);

/* Alerts labelled the Prometheus way (Prometheus, Alertmanager, Grafana alerting).
 * labels and annotations are jansson objects (borrowed; either may be NULL). */

/* The label set's fingerprint exactly as Prometheus and Alertmanager compute it
 * (FNV-1a 64 over the sorted names and values, 0xff after each), so that both
 * sources name one alert alike; Alertmanager prints it as %016x. Values that are
 * not strings count as "". */
uint64_t source_labels_fingerprint(const struct json_t *labels);
/* "k=v,k=v" sorted by name, with ',' and '\' in values escaped by '\'; "" when
 * there are none. In page memory; NULL when a value is not a string. */
const char *source_labels_canonical(struct source_page *page, const struct json_t *labels);
/* P1..P5 for a severity label (critical P1; high, error P2; warning P3; info P4;
 * p1..p5 upper-cased; any case), NULL otherwise. Static text. */
const char *source_severity(const char *label);
/* Sets services (the service label, else job, else default_service, else
 * "unknown"), title (annotation summary, else description, else the alertname
 * label, else fallback_title), severity and impact (outage for P1, else degraded).
 * Untrusted text is stored as it is: sanitizing is the display's job. */
void source_alert_describe(struct source_page *page, struct store_incident *incident,
			   const struct json_t *labels, const struct json_t *annotations,
			   const char *default_service, const char *fallback_title);

/* Alertmanager API v2 alerts (gettableAlert), as Alertmanager and Grafana's alerting
 * serve them: src/sources/alertmanager.c. */

/* When each muted pair was first seen: keys "INCIDENT SILENCE-ID" (and, with
 * inhibitions, "INCIDENT inhibit:FINGERPRINT"), values epoch seconds. The caller
 * keeps both objects in its cursor. */
struct source_am_muted {
	const struct json_t *old; /* the previous round's pairs (borrowed), or NULL */
	struct json_t *seen;	  /* this round's pairs, added to (borrowed) */
	bool inhibitions;	  /* status.inhibitedBy gives "inhibit" events too */
};

/* Alert number i of stream as an open incident "fp:FINGERPRINT:STARTS_AT" (described
 * by source_alert_describe; detected and impact start at startsAt; updatedAt, else
 * now; generatorURL when absolute), with a "trigger" event at startsAt and one
 * "silence" event per silence muting it (and "inhibit" per inhibiting alert), each at
 * the time its pair was first seen. *out is the page's incident, valid until the
 * page's next one. Errors name type, stream, i and the field. */
enum status_code source_am_alert(const struct source_ctx *ctx, const char *type, const char *stream,
				 size_t i, const struct json_t *alert,
				 struct source_am_muted *muted, struct source_page *page,
				 struct store_incident **out);

#endif
