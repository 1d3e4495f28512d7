/* metrics.h - the metric engine: MTTD/MTTA/MTTC/MTTR, downtime, availability,
 * failures, MTBF, MDT, SLA compliance (mttx.c); DORA (dora.c); SLO error budget,
 * burn rates and multiwindow alerts (slo.c).
 *
 * ../shared/metrics/SPEC.md is the specification. These are pure functions over
 * structs: no SQL, no I/O, no clock. The store streams rows into them. Times are
 * int64 epoch seconds (TIME_NONE when unknown); every result is in minutes as a
 * double, NaN where the value is undefined (n = 0, no failures, no SLA outcomes). */
#ifndef SITREP_METRICS_H
#define SITREP_METRICS_H

#include "sitrep/timestamp.h"

/* A half-open window [start, end). */
struct mx_window {
	int64_t start;
	int64_t end;
};

static inline bool
mx_window_contains(const struct mx_window *w, int64_t t)
{
	return t != TIME_NONE && t >= w->start && t < w->end;
}

enum mx_impact {
	MX_IMPACT_OUTAGE,
	MX_IMPACT_DEGRADED,
	MX_IMPACT_PLANNED,
};

enum mx_schedule {
	MX_SCHEDULE_24X7,
	MX_SCHEDULE_BUSINESS_HOURS,
};

/* The business-hours calendar used by business_hours SLAs (import settings).
 * Functions taking one accept NULL for the default: Mon-Fri 09:00-17:00 UTC. */
struct mx_business_hours {
	unsigned weekdays;	 /* bit d set: weekday d is a working day, 0 = Sunday */
	int start_minute;	 /* minutes after local midnight the working day starts */
	int end_minute;		 /* ... and ends (end > start; 0..1440) */
	int utc_offset_minutes;	 /* local time = UTC + offset */
	const int64_t *holidays; /* borrowed: local days as days since 1970-01-01, ascending */
	size_t n_holidays;
};

struct mx_reopen {
	int64_t resolved_at;
	int64_t reopened_at;
};

struct mx_pause {
	int64_t start;
	int64_t end;
};

struct mx_sla {
	bool present;
	enum mx_schedule schedule;
	int64_t target_seconds;
	int64_t start_time;	       /* TIME_NONE: no SLA (same as !present) */
	int64_t stop_time;	       /* TIME_NONE: still running */
	const struct mx_pause *pauses; /* borrowed, ascending; end TIME_NONE: still paused */
	size_t n_pauses;
};

/* One incident as it is stored (raw milestones, before the spec's normalisation,
 * which the engine applies itself). An incident on k services is passed k times,
 * once per service, with primary set on exactly one of them: it then counts once in
 * the pooled ("all") samples and once in each service's. */
struct mx_incident {
	size_t service; /* index into the caller's service table */
	bool primary;
	enum mx_impact impact;
	int64_t impact_start; /* TIME_NONE: imputed from detected_at */
	int64_t detected_at;  /* required: mttx_add() ignores a row without it */
	int64_t acknowledged_at;
	int64_t contained_at;
	int64_t resolved_at;		 /* TIME_NONE: open; the FINAL resolution when reopened */
	const struct mx_reopen *reopens; /* borrowed, sorted by time */
	size_t n_reopens;
	struct mx_sla sla;
};

/* Spec §3 normalisation of one incident, exposed for the UI's data-quality flags. */
enum mx_quality_flags {
	MX_IMPACT_IMPUTED = 1 << 0,  /* impact_start was missing */
	MX_DETECTED_MOVED = 1 << 1,  /* detected_at := acknowledged_at (ack came first) */
	MX_IMPACT_MOVED = 1 << 2,    /* impact_start := detected_at */
	MX_CONTAINED_MOVED = 1 << 3, /* contained_at := resolved_at */
};
unsigned mx_normalize(struct mx_incident *incident);

/* n, mean, median and p90 (PERCENTILE_CONT) of duration samples, in minutes. */
#define MX_STAT_FEW 4

struct mx_stat {
	size_t n;
	double mean;
	double median;
	double p90;
	/* When n <= MX_STAT_FEW, the samples themselves in minutes, ascending: a p90 of
	 * two to four samples is mostly interpolation, so reports show them (spec §6). */
	double few[MX_STAT_FEW];
};

/* Sorts values (seconds) in place and summarises them in minutes. */
void mx_stat_compute(struct mx_stat *stat, int64_t *values, size_t n);

/* A growable list of duration samples, in seconds, as the accumulators keep them:
 * 4 bytes each (floored at 0, capped at UINT32_MAX, about 136 years), so that a
 * million incidents cost a few MB. Zero-initialise; release with mx_samples_release. */
struct mx_samples {
	uint32_t *v;
	size_t n;
	size_t alloc;
};

/* Grows samples by at least one slot (the slow path of mx_samples_add). */
void mx_samples_grow(struct mx_samples *samples);

/* Inline: it runs four times per incident of a report. */
static inline void
mx_samples_add(struct mx_samples *samples, int64_t seconds)
{
	if (seconds < 0)
		seconds = 0; /* spec §3.2: negative durations are floored at 0 */
	if (seconds > (int64_t)UINT32_MAX)
		seconds = UINT32_MAX;
	if (samples->n == samples->alloc)
		mx_samples_grow(samples);
	samples->v[samples->n++] = (uint32_t)seconds;
}
/* Sorts n elements of size bytes by the uint32 key at the start of each (radix). */
void mx_sort_by_key(void *v, size_t n, size_t size);
void mx_samples_sort(struct mx_samples *samples);
void mx_samples_release(struct mx_samples *samples);
/* Summarises the union of n_lists SORTED lists without merging them (the pooled
 * "all" figures of spec E7): same result as mx_stat_compute over the concatenation. */
void mx_stat_lists(struct mx_stat *stat, const struct mx_samples *const *lists, size_t n_lists);

struct mttx_params {
	struct mx_window window;
	size_t n_services;
	int64_t reopen_merge_seconds; /* reopens within this of resolution stay one incident */
	const struct mx_business_hours *business_hours; /* borrowed; NULL: Mon-Fri 09-17 UTC */
	/* Extra windows whose downtime is reported per service (SLO burn lookbacks).
	 * Open incidents are down until each window's end. Borrowed. */
	const struct mx_window *downtime_windows;
	size_t n_downtime_windows;
};
/* mttx_new() copies params, not what it points to: business_hours (and its holidays)
 * and downtime_windows must stay valid until mttx_finish(). The window and the
 * downtime windows together must lie within 136 years (periods are stored as 32-bit
 * offsets); mttx_new() dies otherwise. */

/* Results for one service, or for all services pooled (spec E7). */
struct mttx_figures {
	struct mx_stat ttd, tta, ttc, ttr;
	size_t ttd_excluded_imputed; /* detected in W, impact_start imputed */
	size_t unacknowledged;	     /* detected in W, never acknowledged */
	size_t open_at_window_end;   /* detected before W's end, not resolved by it */
	int64_t oldest_open_seconds; /* age at W's end of the oldest of those, or 0 */
	double downtime;	     /* minutes; "all": service-minutes (sum) */
	double availability;	     /* fraction 0..1; NaN when |W| = 0 or no services */
	size_t failures;
	double mtbf, mdt; /* minutes; NaN when failures == 0 */
	size_t sla_met, sla_breached;
	double sla_compliance;	  /* fraction; NaN when met + breached == 0 */
	int64_t *window_downtime; /* seconds, one per params.downtime_windows (NULL
					  * when none); "all": sum over services */
};

struct mttx_result {
	size_t n_services;
	struct mttx_figures *services; /* n_services of them, by service index */
	struct mttx_figures all;
};

/* Streaming accumulator: rows may arrive in any order; memory grows with the number
 * of samples (a few bytes each), never with whole rows. */
struct mttx;

struct mttx *mttx_new(const struct mttx_params *params);
/* Copies what it needs from incident; nothing is kept borrowed. */
void mttx_add(struct mttx *mttx, const struct mx_incident *incident);
/* Adds what from has accumulated to into (same params): accumulators fed with
 * disjoint parts of the rows, e.g. by two threads, merge into the whole. */
void mttx_merge(struct mttx *into, const struct mttx *from);
/* Computes the figures into result (filled; free with mttx_result_release). */
void mttx_finish(struct mttx *mttx, struct mttx_result *result);
void mttx_free(struct mttx **mttx);
void mttx_result_release(struct mttx_result *result);

/* SLA elapsed clock (spec §4.6): schedule time between from and to, minus paused
 * schedule time, in seconds. hours is used only by business-hours SLAs. */
int64_t mx_sla_elapsed(const struct mx_sla *sla, const struct mx_business_hours *hours,
		       int64_t from, int64_t to);
/* Schedule seconds in [from, to) of a business-hours calendar. */
int64_t mx_business_seconds(const struct mx_business_hours *hours, int64_t from, int64_t to);

enum mx_sla_state {
	MX_SLA_RUNNING,	 /* not stopped and not breached by horizon (or no SLA) */
	MX_SLA_MET,	 /* *when = stop_time */
	MX_SLA_BREACHED, /* *when = the instant the clock went past the target
				      * (a business clock that reaches it at 17:00 Friday
				      * goes past it at 09:00 Monday) */
};
/* The outcome of an SLA and the instant it became known (spec §4.6). A running SLA
 * is evaluated up to horizon (the window end): breached if its clock reached the
 * target before then, assuming no further pauses. */
enum mx_sla_state mx_sla_outcome(const struct mx_sla *sla, const struct mx_business_hours *hours,
				 int64_t horizon, int64_t *when);

/* ---- DORA (spec §4.8, §4.9) ---- */

enum dora_kind {
	DORA_NORMAL,
	DORA_HOTFIX,
	DORA_ROLLBACK,
};

struct dora_commit {
	const char *sha; /* borrowed */
	int64_t committed_at;
};

struct dora_deployment {
	size_t service;
	bool production; /* environment is production */
	bool success;	 /* status success: it reached the environment */
	enum dora_kind kind;
	int64_t finished_at;
	long fixes;			   /* index of the deployment this one repairs, or -1 */
	long rolled_back_by;		   /* index of the rollback deployment, or -1 */
	const struct dora_commit *commits; /* borrowed */
	size_t n_commits;
};

/* An incident that names the deployment that caused it (outage or degraded; the
 * caller leaves planned incidents out, spec E12). */
struct dora_incident {
	size_t deployment;    /* index into the deployments array */
	int64_t impact_start; /* normalised (mx_normalize) */
	int64_t resolved_at;  /* TIME_NONE: still open */
};

struct dora_figures {
	size_t deployments; /* counted: successful production deployments in W */
	double per_day, per_week;
	struct mx_stat lead_time;
	size_t failed;
	double cfr;	    /* failed / deployments; NaN when none */
	size_t rework;	    /* counted rollback and hotfix deployments */
	double rework_rate; /* rework / deployments; NaN when none */
	struct mx_stat fdrt;
};

struct dora_result {
	size_t n_services;
	struct dora_figures *services;
	struct dora_figures all;
};

void dora_compute(const struct mx_window *window, size_t n_services,
		  const struct dora_deployment *deployments, size_t n_deployments,
		  const struct dora_incident *incidents, size_t n_incidents,
		  struct dora_result *result);
void dora_result_release(struct dora_result *result);

/* ---- SLO error budget and burn rate (spec §4.10) ---- */

/* The lookbacks burn rates are reported for, in this order, then the whole period. */
#define SLO_LOOKBACKS(_)  \
	_(5m, 5 * 60)     \
	_(30m, 30 * 60)   \
	_(1h, 3600)       \
	_(2h, 2 * 3600)   \
	_(6h, 6 * 3600)   \
	_(24h, 24 * 3600) \
	_(3d, 3 * 86400)

enum slo_lookback {
#define SLO_LOOKBACK_ENUM(name, seconds) SLO_LB_##name,
	SLO_LOOKBACKS(SLO_LOOKBACK_ENUM)
#undef SLO_LOOKBACK_ENUM
	SLO_LB_PERIOD,
	SLO_LB_COUNT
};

/* Name ("5m", ...; the period as "30d" when a whole number of days, else "36h",
 * else minutes) written into buf and returned; and the length of lookback lb. */
const char *slo_lookback_name(enum slo_lookback lb, int64_t period_seconds, char *buf, size_t size);
int64_t slo_lookback_seconds(enum slo_lookback lb, int64_t period_seconds);

struct slo_figures {
	double objective; /* e.g. 0.999 */
	int64_t period_seconds;
	double budget_minutes;
	double budget_consumed; /* fraction of the budget used in the period */
	double budget_remaining_minutes;
	double burn[SLO_LB_COUNT];
	bool page, ticket; /* multiwindow, multi-burn-rate alerts */
};

/* bad_seconds[i]: downtime in [at - lookback i, at) (mttx downtime_windows). An
 * objective outside (0, 1) has no budget: budget_minutes 0, the other figures NaN,
 * no alerts. */
void slo_evaluate(double objective, int64_t period_seconds, const int64_t bad_seconds[SLO_LB_COUNT],
		  struct slo_figures *out);
/* The error budget left over the period, in percent of the budget (negative when
 * overspent): the console's overview column. NAN when there is no budget. */
double slo_budget_left_percent(const struct slo_figures *f);

#endif
