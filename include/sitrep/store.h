/* store.h - the SQLite cache, and the only module that speaks SQL.
 *
 * Callers see records and callbacks, never statements, so a second backend can be
 * added later without touching them. Schema: data/schema.sql, compiled in and migrated
 * by PRAGMA user_version; a database newer than the binary is refused, not touched.
 * Upserts are idempotent: the same upstream record twice is one row, and the one with
 * the newer updated_at wins (ties rewrite the same values). */
#ifndef SITREP_STORE_H
#define SITREP_STORE_H

#include "sitrep/metrics.h"

struct store;

enum store_flags {
	STORE_READONLY = 1 << 0, /* open only if it exists; never create or migrate */
};

/* The database path: explicit (--db), else $SITREP_DB, else
 * $XDG_STATE_HOME/sitrep/sitrep.db, else ~/.local/state/sitrep/sitrep.db. New. */
char *store_default_path(const char *explicit_path);

/* The schema version this binary migrates to. */
int store_schema_version(void);

/* Opens (creating the file and its directory, then migrating) the cache at path. */
enum status_code store_open(struct store **store, const char *path, unsigned flags);
/* `sitrep doctor`: SQLite's integrity check into *problem (new; NULL when the cache
 * is sound) and the number of incidents. */
enum status_code store_check(struct store *store, char **problem, int64_t *incidents);
void store_close(struct store **store);

enum status_code store_begin(struct store *store);
enum status_code store_commit(struct store *store);
void store_rollback(struct store *store);

/* Settings of the SQLite library for the whole process; call before any store is
 * opened (main does). */
void store_library_init(void);

/* Makes bulk loads fast (a bigger page cache for this connection only). */
void store_prepare_bulk(struct store *store);
/* The same for a sync connection (a 32 MB page cache), whose pages each commit on
 * their own: the write-ahead log is checkpointed every 64 MB instead of every 4 MB.
 * store_checkpoint at the end of a round copies it back and makes the round
 * durable. */
void store_prepare_sync(struct store *store);
void store_checkpoint(struct store *store);
/* Keeps the console's connection small (a smaller page cache for this connection). */
void store_prepare_console(struct store *store);

/* ---- settings and services ---- */

enum status_code store_set_setting(struct store *store, const char *key, const char *value);
/* *value is new, or NULL when the key is not set. */
enum status_code store_get_setting(struct store *store, const char *key, char **value);

struct store_service {
	int64_t id;
	char *name;
	int tier;   /* 0: not set */
	double slo; /* 0: no objective */
	int slo_period_days;
};

/* Inserts or updates by name; fields that are 0 leave the stored value as it is. */
enum status_code store_upsert_service(struct store *store, const struct store_service *service);
/* The id of the service called name, creating it when create is set. */
enum status_code store_service_id(struct store *store, const char *name, bool create, int64_t *id);
/* Every service, ordered by name (new array; free with store_services_free). */
enum status_code store_list_services(struct store *store, struct store_service **services,
				     size_t *n);
void store_services_free(struct store_service *services, size_t n);

/* ---- incidents ---- */

struct store_incident {
	const char *source;
	const char *source_id;
	const char *const *services; /* at least one */
	size_t n_services;
	const char *title;
	const char *severity;
	enum mx_impact impact;
	int64_t impact_start, detected_at, acknowledged_at, contained_at, resolved_at, closed_at;
	const struct mx_reopen *reopens;
	size_t n_reopens;
	const char *caused_by; /* a deployment's source_id, or NULL */
	const char *url;
	const char *sla_policy; /* NULL with sla.present false: no SLA */
	struct mx_sla sla;
	int64_t updated_at;
	const char *raw_json; /* the upstream record, or NULL */
	/* Tickets and families (schema version 2). */
	bool ticket;	      /* a ServiceNow or Zendesk record, not an alert */
	const char *state;    /* the upstream's state name ("In Progress"), or NULL */
	const char *assignee; /* or NULL */
	/* The incident this one is part of (a ticket naming its alert, a merged
	 * duplicate), or NULL; link says how it was found. */
	const char *parent_source, *parent_id, *link;
	/* Without a parent: look for one when writing (a monitoring incident of the
	 * same service open while the ticket was opened). Not stored. */
	bool link_by_overlap;
	const struct store_sla *slas; /* every SLA instance; NULL when none */
	size_t n_slas;
};

/* An SLA instance of a ticket (ServiceNow task_sla, a Zendesk policy metric). */
struct store_sla {
	const char *name; /* the definition: "P1 resolution (4h)" */
	const char *kind; /* response, resolution, ... or NULL */
	int64_t target;	  /* seconds, or TIME_NONE */
	enum mx_schedule schedule;
	int64_t start_at, due_at, stop_at; /* TIME_NONE when unknown / still running */
	int64_t paused;			   /* seconds, or TIME_NONE */
	const char *stage;		   /* in_progress, paused, completed, cancelled */
	bool breached;
};

enum status_code store_upsert_incident(struct store *store, const struct store_incident *incident);
/* The same, and *id the row written: 0 when the stored record is newer, so nothing
 * was written. The id holds for the transaction (store_add_event_to). */
enum status_code store_upsert_incident_id(struct store *store,
					  const struct store_incident *incident, int64_t *id);

/* What a listing selects (`sitrep export`); NULL and TIME_NONE select everything. */
struct store_filter {
	const char *source;
	const char *service; /* an incident naming it among its services */
	const char *metric;  /* a series name, for samples */
	/* Incidents open at some moment since; deployments started, events and samples
	 * at or after. */
	int64_t since;
	bool tickets; /* incidents that are tickets only */
};

/* Calls cb for every incident the filter (NULL: all) selects, ordered by id; the
 * record is borrowed for the call. */
typedef enum status_code (*store_incident_cb)(void *ctx, const struct store_incident *incident);
enum status_code store_each_incident(struct store *store, const struct store_filter *filter,
				     store_incident_cb cb, void *ctx);

/* Streams the incidents that can matter for metrics over [from, to) into cb as engine
 * rows, one per (incident, service) whose service has an index in service_index
 * (indexed by service id; SIZE_MAX: skip). The first kept service is primary. */
typedef void (*store_mx_cb)(void *ctx, const struct mx_incident *incident);
enum status_code store_scan_metric_incidents(struct store *store, int64_t from, int64_t to,
					     const size_t *service_index, size_t n_index,
					     store_mx_cb cb, void *ctx);
/* The same over the incidents whose ids are in [id_lo, id_hi): disjoint ranges split
 * a scan between threads, each with its own connection. */
enum status_code store_scan_metric_range(struct store *store, int64_t from, int64_t to,
					 int64_t id_lo, int64_t id_hi, const size_t *service_index,
					 size_t n_index, store_mx_cb cb, void *ctx);
/* The lowest and highest incident ids, and about how many incidents there are
 * (hi - lo + 1; 0: none). */
enum status_code store_incident_id_bounds(struct store *store, int64_t *lo, int64_t *hi,
					  int64_t *count);
/* The file the cache was opened from (borrowed). */
const char *store_path(const struct store *store);

/* ---- deployments ---- */

struct store_deployment {
	const char *source;
	const char *source_id;
	const char *service;
	const char *environment;
	const char *status;
	enum dora_kind kind;
	const char *version, *sha, *pattern;
	int64_t started_at, finished_at;
	const char *fixes;	    /* source_id of the deployment it repairs, or NULL */
	const char *rolled_back_by; /* source_id of its rollback, or NULL */
	const struct dora_commit *commits;
	size_t n_commits;
	int64_t updated_at;
	/* Schema version 2: the rollout and what undoing it needs. */
	double canary_weight; /* percent of traffic, NAN when not a canary */
	int64_t bake_until;   /* end of the current pause or bake, or TIME_NONE */
	const char *replaces; /* source_id of the deployment it replaced, or NULL */
	const char *pipeline; /* source_id of the pipeline that ran it, or NULL */
	const char *target;   /* what a rollback acts on (an Argo CD application), or NULL */
	const char *url;
};

enum status_code store_upsert_deployment(struct store *store,
					 const struct store_deployment *deployment);

typedef enum status_code (*store_deployment_cb)(void *ctx,
						const struct store_deployment *deployment);
enum status_code store_each_deployment(struct store *store, const struct store_filter *filter,
				       store_deployment_cb cb, void *ctx);

/* The DORA engine's input: every deployment of a service with an index (all of them,
 * since a commit's first deployment may precede the window), links resolved to array
 * indexes, and the incidents that name a causing deployment. */
struct store_dora_input {
	struct dora_deployment *deployments;
	size_t n_deployments;
	struct dora_incident *incidents;
	size_t n_incidents;
	struct dora_commit *commits; /* what deployments[].commits point into */
	size_t n_commits;
};
enum status_code store_load_dora(struct store *store, const size_t *service_index, size_t n_index,
				 struct store_dora_input *input);
void store_dora_input_release(struct store_dora_input *input);

/* ---- what sync brings: timeline events, metric samples, sync state ---- */

/* An event on the timeline of the incident (source, incident_id). Ignored (no error)
 * when that incident is not in the cache, or when the same event is already there. */
enum status_code store_add_event(struct store *store, const char *source, const char *incident_id,
				 int64_t at, const char *kind, const char *actor, const char *text,
				 const char *event_id);
/* The same for the incident whose row id is id, as store_upsert_incident_id gave it
 * in this transaction: no lookup by natural key. */
enum status_code store_add_event_to(struct store *store, int64_t id, int64_t at, const char *kind,
				    const char *actor, const char *text, const char *event_id);

/* A sample of series (source, name, labels); a second value at the same ts replaces
 * the first. The series is created on first use. */
enum status_code store_add_sample(struct store *store, const char *source, const char *name,
				  const char *labels, const char *service, int64_t ts,
				  double value);
/* The same for n points of one series, in order (a later point at the same ts
 * wins), through a statement that writes many rows at a time. */
struct store_point {
	int64_t ts;
	double value;
};
enum status_code store_add_samples(struct store *store, const char *source, const char *name,
				   const char *labels, const char *service,
				   const struct store_point *points, size_t n);

/* The sha of the deployment that d follows on its service and environment (the one
 * it replaces, else the latest one started before it; never one that failed or was
 * rolled back: what it would have shipped was not running, so d ships it) into *sha
 * (new), or NULL: the commits d shipped are those after it. */
enum status_code store_previous_deployment_sha(struct store *store,
					       const struct store_deployment *d, char **sha);

/* ---- pipelines ---- */

struct store_stage {
	const char *name;   /* the upstream's: "unit-tests" */
	const char *kind;   /* lint, test, build, publish, integration, release, deploy; or NULL */
	const char *status; /* queued, running, success, failed, canceled, skipped, waiting */
	int64_t started_at, finished_at;
	double coverage; /* percent, NAN when none */
	const char *url;
};

struct store_pipeline {
	const char *source;
	const char *source_id;
	const char *project; /* "acme/checkout" */
	const char *service; /* or NULL */
	const char *name;    /* workflow, pipeline or job, or NULL */
	int64_t number;	     /* run or build number, or TIME_NONE */
	const char *ref;     /* branch or tag */
	const char *sha;
	const char *event; /* push, pull_request, ... or NULL */
	const char *actor;
	const char *status; /* as stages */
	int64_t queued_at, started_at, finished_at;
	const char *url;
	const struct store_stage *stages; /* in order */
	size_t n_stages;
	int64_t updated_at;
};

/* Idempotent like incidents: the newer updated_at wins, stages are replaced. */
enum status_code store_upsert_pipeline(struct store *store, const struct store_pipeline *pipeline);
/* Every pipeline the filter selects (service or project, source, started since),
 * ordered by id; the record and its stages are borrowed for the call. */
typedef enum status_code (*store_pipeline_cb)(void *ctx, const struct store_pipeline *pipeline);
enum status_code store_each_pipeline(struct store *store, const struct store_filter *filter,
				     store_pipeline_cb cb, void *ctx);

/* ---- branches and check runs (schema version 4) ---- */

/* A branch of a repository and the rules that protect it. Rules the upstream does
 * not give stay unknown: -1 for the numbers and flags, NULL for the text. */
struct store_branch {
	const char *source;
	const char *repo; /* "acme/checkout", a GitLab project path */
	const char *name; /* a GitLab wildcard rule as given */
	const char *head_sha;
	bool protected;
	const char *required_checks;		/* status check names, ", " between them */
	int64_t required_approvals;		/* -1: unknown */
	int force_push, enforce_admins;		/* 1 yes, 0 no, -1 unknown */
	int code_owner_approval;		/* 1 yes, 0 no, -1 unknown */
	const char *push_access, *merge_access; /* GitLab: "maintainer", "no one", ... */
	int64_t updated_at;
};

/* A check reported on a commit (a GitHub check run): the latest one of its name. */
struct store_check_run {
	const char *source;
	const char *repo;
	const char *sha;
	const char *name;
	const char *source_id; /* or NULL */
	const char *status;    /* as pipelines */
	int64_t started_at, finished_at;
	const char *url;
	int64_t updated_at;
};

/* Idempotent by (source, repo, name) and (source, repo, sha, name); the newer
 * updated_at wins. */
enum status_code store_upsert_branch(struct store *store, const struct store_branch *branch);
enum status_code store_upsert_check_run(struct store *store, const struct store_check_run *check);
/* Deletes the branches of (source, repo) whose names are not among keep. */
enum status_code store_prune_branches(struct store *store, const char *source, const char *repo,
				      const char *const *keep, size_t n_keep);
/* Every branch (check run) the filter selects (source; service names the repo),
 * ordered by source, repo and name (and sha); borrowed for the call. */
typedef enum status_code (*store_branch_cb)(void *ctx, const struct store_branch *branch);
typedef enum status_code (*store_check_run_cb)(void *ctx, const struct store_check_run *check);
enum status_code store_each_branch(struct store *store, const struct store_filter *filter,
				   store_branch_cb cb, void *ctx);
enum status_code store_each_check_run(struct store *store, const struct store_filter *filter,
				      store_check_run_cb cb, void *ctx);

/* An incident event as read back: borrowed for the callback. */
struct store_event {
	const char *source;
	const char *incident_id; /* the incident's source_id */
	const char *service;	 /* the incident's first service */
	int64_t at;
	const char *kind;
	const char *actor;    /* or NULL */
	const char *text;     /* or NULL; untrusted */
	const char *event_id; /* the upstream's id, or "" */
};

/* A sample as read back: borrowed for the callback. */
struct store_sample {
	const char *source;
	const char *series;
	const char *labels;  /* "" when none */
	const char *service; /* or NULL */
	int64_t ts;
	double value;
};

/* Every event the filter selects, by incident then time; every sample, by series
 * then time. */
typedef enum status_code (*store_event_cb)(void *ctx, const struct store_event *event);
typedef enum status_code (*store_sample_cb)(void *ctx, const struct store_sample *sample);
enum status_code store_each_event(struct store *store, const struct store_filter *filter,
				  store_event_cb cb, void *ctx);
enum status_code store_each_sample(struct store *store, const struct store_filter *filter,
				   store_sample_cb cb, void *ctx);
/* The events of incident (source, source_id), in time. */
enum status_code store_incident_events(struct store *store, const char *source,
				       const char *source_id, store_event_cb cb, void *ctx);

/* Resolves, at at, the open incidents of source that are not among seen (sorted or
 * not): an upstream that lists only open alerts stopped listing them. */
enum status_code store_resolve_missing(struct store *store, const char *source,
				       const char *const *seen, size_t n_seen, int64_t at);

struct store_sync_state {
	char *source, *stream;
	char *cursor, *etag, *last_modified; /* or NULL */
	int64_t last_attempt, last_success;  /* TIME_NONE: never */
	char *last_error;		     /* NULL after a success */
	int64_t records, pages;		     /* of the last round */
};

/* The state of (source, stream); fields NULL/TIME_NONE when never synced. */
enum status_code store_sync_state_get(struct store *store, const char *source, const char *stream,
				      struct store_sync_state *state);
/* Saves the cursor (and validators) of a stream: called inside the page's
 * transaction, so the cursor moves exactly with the records it covers. */
enum status_code store_sync_cursor_set(struct store *store, const char *source, const char *stream,
				       const char *cursor, const char *etag,
				       const char *last_modified);
/* Records how a round of (source, stream) ended: error NULL for a success. */
enum status_code store_sync_round_end(struct store *store, const char *source, const char *stream,
				      int64_t at, const char *error, int64_t records,
				      int64_t pages);
/* Every stream's state, ordered by source and stream (new array). */
/* Forgets the failures of source's streams that are not among planned: a round
 * that ran its streams is the source's whole state, and a stream dropped from the
 * config, or a failure to start ("config", "login"), must not keep it failing. The
 * cursors of streams that are fine stay, whether planned or not. */
enum status_code store_sync_forget_failures(struct store *store, const char *source,
					    const char *const *planned, size_t n_planned);
enum status_code store_sync_states(struct store *store, struct store_sync_state **states,
				   size_t *n);
void store_sync_state_release(struct store_sync_state *state);
void store_sync_states_free(struct store_sync_state *states, size_t n);

/* ---- the status line ---- */

struct store_open_incident {
	char *service, *title, *severity, *source, *source_id;
	int64_t detected_at;
};

/* The worst open incident (neither resolved nor closed): the highest severity, P1
 * first and unknown severities last, then the oldest. *found false: none is open.
 * Release with store_open_incident_release. */
enum status_code store_worst_open_incident(struct store *store, struct store_open_incident *out,
					   bool *found);
void store_open_incident_release(struct store_open_incident *incident);

/* A production rollout in doubt, as the rollback alarm sees it: a service's newest
 * production deployment, still rolling out or baking at now (and not already failed
 * or rolled back), with an open incident of the service detected since it started.
 * The newest such rollout; *found false: none. */
struct store_rollout_alarm {
	char *service, *version, *pattern, *status;
	double canary_weight; /* percent; negative: not a canary */
	int64_t started_at;
	int64_t incident_at; /* the first open incident since the start */
};

enum status_code store_rollout_alarm(struct store *store, int64_t now,
				     struct store_rollout_alarm *out, bool *found);
void store_rollout_alarm_release(struct store_rollout_alarm *alarm);

/* ---- the audit log and locks (actions.c) ---- */

/* A row of the audit log: something sitrep did or refused for a person. Never
 * touched by a sync. */
struct store_action {
	int64_t at;
	const char *actor;  /* the user */
	const char *host;   /* the SSH client's address, else this host's name */
	const char *kind;   /* "rollback" */
	const char *target; /* "checkout.production" */
	const char *detail; /* what was asked and an output excerpt; never a secret */
	const char *result; /* requested, confirmed, cancelled, refused, succeeded, failed,
			     * timed-out */
};

enum status_code store_add_action(struct store *store, const struct store_action *action);
/* Every row at or after filter->since (TIME_NONE: all), oldest first. */
typedef enum status_code (*store_action_cb)(void *ctx, const struct store_action *action);
enum status_code store_each_action(struct store *store, const struct store_filter *filter,
				   store_action_cb cb, void *ctx);

/* Whether the audit log has a row of actor, kind and target whose detail starts
 * with detail_prefix, and how it stands: *result (new) is the result of the newest
 * row of actor, kind and target from the first such row on, or NULL when there is
 * none (the rollback alarm: did it already act on a deployment, and how did it go). */
enum status_code store_action_outcome(struct store *store, const char *actor, const char *kind,
				      const char *target, const char *detail_prefix, char **result);

/* A named lock held by a process: who, on which host, which pid, since when. */
struct store_lock {
	char *name, *holder, *host;
	int64_t pid, since;
};

/* Takes lock want->name for want unless another holds it. A holder on want->host
 * whose process is gone (stale(held, ctx) true) is replaced. *taken says which;
 * when refused, *held is the holder (strings new; store_lock_release frees). */
enum status_code store_lock_take(struct store *store, const struct store_lock *want,
				 bool (*stale)(const struct store_lock *held, void *ctx), void *ctx,
				 bool *taken, struct store_lock *held);
/* Drops lock name when host and pid still hold it. */
enum status_code store_lock_drop(struct store *store, const struct store_lock *mine);
void store_lock_release(struct store_lock *lock);
/* Rows of the locks table that are not locks but presence: replaces every row
 * whose name starts with prefix by lock (NULL: only deletes them), in one step. */
enum status_code store_lock_replace(struct store *store, const char *prefix,
				    const struct store_lock *lock);
/* The rows whose name starts with prefix and whose since is at or after since,
 * by name; *rows (n) new, store_locks_free frees. */
enum status_code store_locks_named(struct store *store, const char *prefix, int64_t since,
				   struct store_lock **rows, size_t *n);
void store_locks_free(struct store_lock *rows, size_t n);

/* Adds an event to the timeline of every incident the deployment source_id caused
 * (incidents.caused_by); *n how many. */
enum status_code store_add_event_caused_by(struct store *store, const char *source_id, int64_t at,
					   const char *kind, const char *actor, const char *text,
					   const char *event_id, size_t *n);

#endif
