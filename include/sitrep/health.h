/* health.h - a deployment's health during its bake (src/deploy/health.c): each
 * health metric of its service over the bake compared with the baseline window
 * before the deploy, and a verdict, healthy / degrading / failing, with the reason
 * ("errors/min 121.4 vs 58.9 baseline (x2.06) for 4m"). The rollback alarm
 * (src/deploy/alarm.c) fires on failing.
 *
 * The rule, per metric, with T its threshold (health-errors, default x2, for
 * error metrics; health-latency, default x1.5, for latency and any other metric
 * named by health-metric) and S the sustain time (health-sustain, default 2m):
 *   baseline  the mean of its samples in [start - B, start), B = health-baseline,
 *             else as long as the bake so far; errors count at least 1/min there,
 *             so that 0 before and 1 after is not "x infinity";
 *   now       the mean of the samples of the last S of the bake;
 *   failing   every sample of the last S (at least two, S apart at the ends) is
 *             above T x baseline: the condition held for S, not one spike;
 *   degrading not failing, but the last sample is above T x baseline (not yet
 *             sustained), or now is above the half-way ratio 1 + (T - 1) / 2;
 *   healthy   otherwise; unknown without a baseline sample or a bake sample.
 * The deployment's verdict is its worst metric's. */
#ifndef SITREP_HEALTH_H
#define SITREP_HEALTH_H

#include "sitrep/config.h"
#include "sitrep/console_store.h"

#define HEALTH_ERRORS_DEFAULT 2.0
#define HEALTH_LATENCY_DEFAULT 1.5
#define HEALTH_SUSTAIN_DEFAULT 120 /* seconds */
#define HEALTH_ERRORS_FLOOR 1.0	   /* errors a minute a baseline counts at least */

enum health_verdict {
	HEALTH_UNKNOWN, /* no metric, or no samples to judge by */
	HEALTH_HEALTHY,
	HEALTH_DEGRADING,
	HEALTH_FAILING,
};

const char *health_verdict_name(enum health_verdict v); /* "healthy", ... */

enum health_kind {
	HEALTH_ERRORS,
	HEALTH_LATENCY,
	HEALTH_OTHER, /* named by health-metric; judged with the latency threshold */
};

/* The kind of a series by its name after "SERVICE.": "errors", "5xx" -> errors;
 * "latency", "p95", "p99", "duration" -> latency; else other. */
enum health_kind health_kind_of(const char *series);

/* The thresholds of SERVICE.ENV: its [deploy] section, else [deploy], else the
 * defaults. metrics are borrowed from cfg (NULL: every errors and latency series). */
struct health_rules {
	double errors, latency;
	int64_t sustain, baseline; /* seconds; baseline 0: as long as the bake */
	char *const *metrics;
	size_t n_metrics;
};
void health_rules_for(const struct config *cfg, const char *service, const char *environment,
		      struct health_rules *rules);

struct health_metric {
	char *series; /* "checkout.errors" (labels appended in braces) */
	enum health_kind kind;
	double baseline, now, ratio, threshold; /* NAN where unknown */
	int64_t held;				/* seconds above threshold up to the last sample */
	enum health_verdict verdict;
	char reason[160];
};

struct health_report {
	enum health_verdict verdict;
	bool baking;			    /* the bake is under way at now */
	int64_t from, to;		    /* the bake judged: [from, to] */
	int64_t baseline_from, baseline_to; /* [baseline_from, baseline_to) */
	struct health_metric *metrics;	    /* worst first */
	size_t n_metrics;
	char reason[200]; /* the worst metric's reason, or why there is no verdict */
};

/* One metric's verdict from its samples (oldest first): the baseline window's and
 * the bake's. Pure: the rule above. */
void health_judge(enum health_kind kind, double threshold, int64_t sustain,
		  const struct store_point *baseline, size_t n_baseline,
		  const struct store_point *bake, size_t n_bake, struct health_metric *out);

/* The health of deployment d at now, from the cache: its bake is [started_at,
 * now] while baking (unfinished, or before bake_until), else [started_at, bake
 * end] (bake_until, else finished_at): the last verdict. */
enum status_code health_check(struct store *store, const struct config *cfg,
			      const struct store_deploy_row *d, int64_t now,
			      struct health_report *report);
void health_report_release(struct health_report *report);

/* Whether d is baking at now (the alarm's candidates, the same rule as
 * store_baking_deploys). */
bool health_baking(const struct store_deploy_row *d, int64_t now);

#endif
