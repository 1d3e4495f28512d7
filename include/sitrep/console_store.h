/* console_store.h - what the console reads from the cache: pages of incidents in any
 * order (keyset paging: a page starts at the sort key of a row, never at an
 * OFFSET), the overview's one row per service, and whether anything changed. The
 * SQL lives in src/store/console.c, like all SQL. */
#ifndef SITREP_CONSOLE_STORE_H
#define SITREP_CONSOLE_STORE_H

#include "sitrep/store.h"

/* The cache's data_version: it changes when another connection (a sync worker or
 * daemon) commits, so the console reloads only when there is something new. */
enum status_code store_data_version(struct store *store, int64_t *version);

/* ---- incidents ---- */

struct store_incident_row {
	int64_t id;
	char *source, *source_id, *service, *title, *severity, *state, *url;
	int impact; /* enum mx_impact */
	bool ticket;
	int64_t impact_start, detected_at, acknowledged_at, contained_at, resolved_at, closed_at;
	char *caused_by;		 /* a deployment's source_id, or NULL */
	char *parent_source, *parent_id; /* the incident this one is part of, or NULL */
	/* A ticket's SLA that matters now: the running one due first, else the one
	 * that stopped last (incident_slas). */
	bool has_sla;
	bool sla_running, sla_paused;
	bool sla_breached; /* that SLA breached */
	bool any_breached; /* any SLA of the ticket breached */
	int64_t sla_due_at, sla_target;
	char *sla_name;
};

enum store_incident_order {
	STORE_BY_DETECTED,
	STORE_BY_SEVERITY, /* P1 first; unknown severities last */
	STORE_BY_SERVICE,
	STORE_BY_SOURCE,
};

struct store_incident_query {
	enum store_incident_order order;
	bool descending;
	const char *filter; /* a text in the title, service, source or id; NULL: all */
	bool open_only;	    /* not resolved nor closed */
	bool tickets_only;
	/* The page starts after anchor (before it when backward); NULL: at the first
	 * row (the last when backward). Rows always come in display order. */
	const struct store_incident_row *anchor;
	bool backward;
	size_t limit;
};

/* Up to q->limit rows into out (n set); release each with store_incident_row_release. */
enum status_code store_incident_rows(struct store *store, const struct store_incident_query *q,
				     struct store_incident_row *out, size_t *n);
void store_incident_row_release(struct store_incident_row *row);

/* The family of r: the incident at its root (r itself, or the one r names as its
 * parent) and every record naming that root as parent (tickets linked to an alert,
 * merged duplicates), by detection time. New rows; free with
 * store_incident_rows_free. */
enum status_code store_incident_family(struct store *store, const struct store_incident_row *r,
				       struct store_incident_row **rows, size_t *n);
void store_incident_rows_free(struct store_incident_row *rows, size_t n);
/* The upstream record of incident (source, source_id) as it arrived into *json
 * (new; NULL when none was kept). Untrusted text. */
enum status_code store_incident_raw(struct store *store, const char *source, const char *source_id,
				    char **json);

/* ---- the overview ---- */

/* The overview's metric columns: the series named SERVICE.NAME ([metric
 * "checkout.rpm"]). */
enum overview_metric {
	OVERVIEW_RPM,
	OVERVIEW_LATENCY,     /* average, seconds */
	OVERVIEW_LATENCY_MAX, /* seconds */
	OVERVIEW_ERRORS,      /* per minute */
	OVERVIEW_CPU,	      /* percent */
	OVERVIEW_MEMORY,      /* percent */
	OVERVIEW_METRICS
};

#define OVERVIEW_SPARK 30 /* points in each sparkline: two-minute buckets of an hour */

struct store_service_row {
	char *name;
	/* In production: the last deployment that started, and its rollout. */
	char *prod_version, *prod_status, *prod_pattern;
	double canary_weight; /* NAN: none */
	int64_t prod_at;
	char *pipeline_status; /* the service's last pipeline, or NULL */
	int64_t pipeline_at;
	size_t open_by_severity[4];	 /* P1, P2, P3, other */
	double metric[OVERVIEW_METRICS]; /* the latest value, NAN: none */
	int64_t metric_at[OVERVIEW_METRICS];
	double spark[3][OVERVIEW_SPARK]; /* rpm, latency, errors over the last hour; NAN gaps */
};

extern const char *const overview_metric_names[OVERVIEW_METRICS]; /* "rpm", "latency", ... */

/* One row per service, by name, at now. */
enum status_code store_service_rows(struct store *store, int64_t now,
				    struct store_service_row **rows, size_t *n);
void store_service_rows_free(struct store_service_row *rows, size_t n);

/* ---- pipelines, branches, deploys, series ---- */

struct store_pipeline_row {
	int64_t id;
	char *source, *source_id, *project, *name, *ref, *sha, *event, *actor, *status, *url;
	int64_t number, queued_at, started_at, finished_at;
	/* One letter per stage, in order: s success, f failed, r running, q queued,
	 * c canceled, k skipped, w waiting; and the first stage that failed. */
	char *strip;
	char *failing;
};

struct store_page_query {
	const char *filter; /* a text in the row's names; NULL: all */
	bool open_only;	    /* pipelines: not finished; deploys: not done */
	const void *anchor; /* the row to start after (before when backward), or NULL */
	bool backward;
	size_t limit;
};

/* Pipelines newest first (by start, else queue time). */
enum status_code store_pipeline_rows(struct store *store, const struct store_page_query *q,
				     struct store_pipeline_row *out, size_t *n);
void store_pipeline_row_release(struct store_pipeline_row *row);
/* One pipeline with its stages, into cb (the record borrowed for the call). */
enum status_code store_pipeline_get(struct store *store, const char *source, const char *source_id,
				    store_pipeline_cb cb, void *ctx);

/* The status of the last pipeline that ran on the commit sha (40 hex digits; a
 * pipeline naming it by a shorter prefix counts) into *status (new), or NULL. */
enum status_code store_sha_status(struct store *store, const char *sha, char **status);
/* The pipelines that ran on the commit sha (the same prefix rule), newest first, at
 * most limit; free with store_pipeline_rows_free. */
enum status_code store_sha_pipelines(struct store *store, const char *sha, size_t limit,
				     struct store_pipeline_row **rows, size_t *n);
void store_pipeline_rows_free(struct store_pipeline_row *rows, size_t n);

struct store_deploy_row {
	char *service, *environment, *version, *pattern, *status, *source_id, *target, *sha;
	char *previous; /* the version it replaced (or its short sha), or NULL */
	double canary_weight;
	int64_t started_at, finished_at, bake_until;
	int64_t count; /* deployments of this service and environment */
	int kind;      /* enum dora_kind: normal, hotfix, rollback */
};

/* The last deployment of every service and environment: services by name,
 * production first. */
enum status_code store_deploy_rows(struct store *store, struct store_deploy_row **rows, size_t *n);
void store_deploy_rows_free(struct store_deploy_row *rows, size_t n);
/* What one row holds (a row moved out of a list is released alone). */
void store_deploy_row_release(struct store_deploy_row *row);
/* The newest deployment of each service and environment that is baking at now
 * (started, not ended badly, unfinished or before its bake_until), newest first. */
enum status_code store_baking_deploys(struct store *store, int64_t now,
				      struct store_deploy_row **rows, size_t *n);
/* The deployments of service on environment, newest first, at most limit. */
enum status_code store_deploy_history(struct store *store, const char *service,
				      const char *environment, size_t limit,
				      struct store_deploy_row **rows, size_t *n);

/* The deployments of service started (else finished) in [from, to), oldest first,
 * at most limit; of production only when production_only. The deployment whose
 * source_id is also (NULL: none) is among them wherever it is: the one that caused
 * an incident. */
enum status_code store_deploys_between(struct store *store, const char *service,
				       bool production_only, int64_t from, int64_t to,
				       const char *also, size_t limit,
				       struct store_deploy_row **rows, size_t *n);

/* The deployments that shipped the commit sha: those whose sha it is and those that
 * list it among the commits they shipped; newest first, at most limit. (Those whose
 * commit merely contains it are for git to tell: commit_contained_in.) */
enum status_code store_sha_deploys(struct store *store, const char *sha, size_t limit,
				   struct store_deploy_row **rows, size_t *n);

#define SERIES_POINTS 64

struct store_series_row {
	int64_t id;
	char *name, *service, *labels, *source, *unit;
	double last, min, avg, max; /* over the window; NAN: no sample */
	int64_t last_at;
	double points[SERIES_POINTS]; /* the window in equal buckets, averaged; NAN gaps */
};

/* Every metric series with its window [now - window, now) summarised: by name. */
enum status_code store_series_rows(struct store *store, int64_t now, int64_t window,
				   struct store_series_row **rows, size_t *n);
void store_series_rows_free(struct store_series_row *rows, size_t n);

/* ---- charts ---- */

/* The series of service (by name; NULL: those of no service), by name then labels; id, name, service, labels,
 * source and unit set, the summary left NAN. Free with store_series_rows_free. */
enum status_code store_service_series(struct store *store, const char *service,
				      struct store_series_row **rows, size_t *n);

struct store_chart_stats {
	double last;	      /* the last sample at or before now; NAN: none */
	int64_t last_at;      /* TIME_NONE: none */
	double avg, min, max; /* over the span; NAN: no sample in it */
	int64_t samples;
};

/* Every sample of series_id in [from, to], oldest first, into *points (new). */
enum status_code store_series_samples(struct store *store, int64_t series_id, int64_t from,
				      int64_t to, struct store_point **points, size_t *n);

/* One range read of series over n buckets of step seconds from start, grouped by
 * bucket in SQL: each bucket's average (its largest sample when plot_max) into
 * values[n], NAN where a bucket has no sample; the span's average, least and
 * largest, and the last sample at or before now, into stats. */
enum status_code store_chart_read(struct store *store, int64_t series_id, int64_t start,
				  int64_t step, size_t n, bool plot_max, int64_t now,
				  double *values, struct store_chart_stats *stats);

#endif
