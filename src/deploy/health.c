/* health.c - a deployment's health during its bake against the baseline before it:
 * the rule is in include/sitrep/health.h. The judging is a pure function over two
 * arrays of samples (health_judge); health_check feeds it from the cache, one range
 * read of the (series_id, ts) key per window and metric. */
#include "sitrep/sitrep.h"
#include "sitrep/health.h"

#include <math.h>

const char *
health_verdict_name(enum health_verdict v)
{
	static const char *const names[] = { "unknown", "healthy", "degrading", "failing" };

	return (size_t)v < ARRAY_SIZE(names) ? names[v] : "unknown";
}

/* The name after "SERVICE.": "checkout.latency_p99" -> "latency_p99". */
static const char *
short_name(const char *series)
{
	const char *dot = strchr(series, '.');

	return dot ? dot + 1 : series;
}

enum health_kind
health_kind_of(const char *series)
{
	const char *name = short_name(series);

	if (strstr(name, "error") || strstr(name, "5xx"))
		return HEALTH_ERRORS;
	if (strstr(name, "latency") || strstr(name, "p95") || strstr(name, "p99") ||
	    strstr(name, "duration"))
		return HEALTH_LATENCY;
	return HEALTH_OTHER;
}

void
health_rules_for(const struct config *cfg, const char *service, const char *environment,
		 struct health_rules *rules)
{
	char *name = xasprintf("%s.%s", service, environment);
	const struct config_deploy *own = config_find_deploy(cfg, name);
	const struct config_deploy *all = cfg ? &cfg->deploy_defaults : NULL;

	free(name);
	/* The section's own value, else [deploy]'s, else the built-in default. */
#define PICK(field, fallback) \
	(own && own->field > 0 ? own->field : all && all->field > 0 ? all->field : (fallback))
	rules->errors = PICK(health_errors, HEALTH_ERRORS_DEFAULT);
	rules->latency = PICK(health_latency, HEALTH_LATENCY_DEFAULT);
	rules->sustain = PICK(health_sustain, HEALTH_SUSTAIN_DEFAULT);
	rules->baseline = PICK(health_baseline, 0);
#undef PICK
	if (own && own->n_health_metrics) {
		rules->metrics = own->health_metrics;
		rules->n_metrics = own->n_health_metrics;
	} else if (all && all->n_health_metrics) {
		rules->metrics = all->health_metrics;
		rules->n_metrics = all->n_health_metrics;
	} else {
		rules->metrics = NULL;
		rules->n_metrics = 0;
	}
}

/* ---- judging ---- */

static double
mean(const struct store_point *p, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += p[i].value;
	return n ? sum / (double)n : NAN;
}

/* A value of kind for the reason: "58.9", "250ms", "1.25s". */
static void
format_value(enum health_kind kind, double v, char *buf, size_t size)
{
	if (kind == HEALTH_LATENCY && v < 1.0)
		snprintf(buf, size, "%.0fms", v * 1000.0);
	else if (kind == HEALTH_LATENCY)
		snprintf(buf, size, "%.2fs", v);
	else
		snprintf(buf, size, "%.1f", v);
}

/* "4m", "3m30s", "45s". */
static void
format_span(int64_t s, char *buf, size_t size)
{
	if (s >= 60 && s % 60)
		snprintf(buf, size, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else if (s >= 60)
		snprintf(buf, size, "%lldm", (long long)(s / 60));
	else
		snprintf(buf, size, "%llds", (long long)s);
}

void
health_judge(enum health_kind kind, double threshold, int64_t sustain,
	     const struct store_point *baseline, size_t n_baseline, const struct store_point *bake,
	     size_t n_bake, struct health_metric *out)
{
	char now_text[32], base_text[32], held_text[32], label[64];
	double limit, halfway;
	size_t first, run;
	int64_t last;

	/* "errors" of "checkout.errors{code=5xx}": the labels are in out->series */
	snprintf(label, sizeof(label), "%.*s",
		 out->series ? (int)strcspn(short_name(out->series), "{") : 6,
		 out->series ? short_name(out->series) : "metric");
	out->kind = kind;
	out->threshold = threshold;
	out->baseline = mean(baseline, n_baseline);
	out->now = out->ratio = NAN;
	out->held = 0;
	out->verdict = HEALTH_UNKNOWN;
	if (!n_baseline || !n_bake) {
		snprintf(out->reason, sizeof(out->reason), "%s: no %s samples", label,
			 n_baseline ? "bake" : "baseline");
		return;
	}
	if (kind == HEALTH_ERRORS && out->baseline < HEALTH_ERRORS_FLOOR)
		out->baseline = HEALTH_ERRORS_FLOOR;
	if (!(out->baseline > 0)) {
		snprintf(out->reason, sizeof(out->reason), "%s: a baseline of 0", label);
		return;
	}
	last = bake[n_bake - 1].ts;
	/* now: the last sustain window of the bake */
	for (first = n_bake; first > 0 && bake[first - 1].ts >= last - sustain; first--)
		;
	out->now = mean(bake + first, n_bake - first);
	out->ratio = out->now / out->baseline;
	limit = threshold * out->baseline;
	/* the trailing run of samples above the limit, and how long it has held */
	for (run = n_bake; run > 0 && bake[run - 1].value > limit; run--)
		;
	if (run < n_bake)
		out->held = last - bake[run].ts;
	halfway = 1.0 + (threshold - 1.0) / 2.0;
	if (run < n_bake && out->held >= sustain)
		out->verdict = HEALTH_FAILING;
	else if (run < n_bake || out->ratio > halfway)
		out->verdict = HEALTH_DEGRADING;
	else
		out->verdict = HEALTH_HEALTHY;
	format_value(kind, out->now, now_text, sizeof(now_text));
	format_value(kind, out->baseline, base_text, sizeof(base_text));
	format_span(out->held, held_text, sizeof(held_text));
	snprintf(out->reason, sizeof(out->reason), "%.40s%s %.12s vs %.12s baseline (x%.2f)%s%.12s",
		 label, streq(label, "errors") ? "/min" : "", now_text, base_text, out->ratio,
		 out->held > 0 ? " for " : "", out->held > 0 ? held_text : "");
}

/* ---- from the cache ---- */

/* Whether series of kind is one of the rules' metrics. */
static bool
chosen(const struct health_rules *rules, const char *series, enum health_kind kind)
{
	if (!rules->n_metrics)
		return kind != HEALTH_OTHER;
	for (size_t i = 0; i < rules->n_metrics; i++) {
		const char *m = rules->metrics[i];

		if ((streq(m, "errors") && kind == HEALTH_ERRORS) ||
		    (streq(m, "latency") && kind == HEALTH_LATENCY) || streq(m, series) ||
		    streq(m, short_name(series)))
			return true;
	}
	return false;
}

bool
health_baking(const struct store_deploy_row *d, int64_t now)
{
	static const char *const ended[] = { "failed",	"failure",  "error",	 "rolled_back",
					     "aborted", "canceled", "cancelled", "inactive" };

	if (d->started_at == TIME_NONE)
		return false;
	for (size_t i = 0; d->status && i < ARRAY_SIZE(ended); i++)
		if (strcasecmp(d->status, ended[i]) == 0)
			return false;
	return d->finished_at == TIME_NONE || (d->bake_until != TIME_NONE && d->bake_until > now);
}

static int
worse_first(const void *a, const void *b)
{
	const struct health_metric *x = a, *y = b;

	if (x->verdict != y->verdict)
		return x->verdict > y->verdict ? -1 : 1;
	if (x->held != y->held)
		return x->held > y->held ? -1 : 1;
	return strcmp(x->series, y->series);
}

static enum status_code
judge_series(struct store *store, const struct store_series_row *s,
	     const struct health_rules *rules, const struct health_report *report,
	     struct health_metric *out)
{
	struct store_point *base = NULL, *bake = NULL;
	size_t n_base = 0, n_bake = 0;
	enum health_kind kind = health_kind_of(s->name);
	enum status_code code;

	memset(out, 0, sizeof(*out));
	out->series = s->labels && *s->labels ? xasprintf("%s{%s}", s->name, s->labels)
					      : xstrdup(s->name);
	code = store_series_samples(store, s->id, report->baseline_from, report->baseline_to - 1,
				    &base, &n_base);
	if (code == SUCCESS)
		code = store_series_samples(store, s->id, report->from, report->to, &bake, &n_bake);
	if (code == SUCCESS)
		health_judge(kind, kind == HEALTH_ERRORS ? rules->errors : rules->latency,
			     rules->sustain, base, n_base, bake, n_bake, out);
	free(base);
	free(bake);
	return code;
}

enum status_code
health_check(struct store *store, const struct config *cfg, const struct store_deploy_row *d,
	     int64_t now, struct health_report *report)
{
	struct store_series_row *series = NULL;
	struct health_rules rules;
	enum status_code code;
	size_t n_series = 0;

	memset(report, 0, sizeof(*report));
	report->verdict = HEALTH_UNKNOWN;
	if (d->started_at == TIME_NONE || d->started_at > now) {
		snprintf(report->reason, sizeof(report->reason), "not started");
		return SUCCESS;
	}
	health_rules_for(cfg, d->service, d->environment, &rules);
	report->baking = health_baking(d, now);
	report->from = d->started_at;
	report->to = report->baking		   ? now
		     : d->bake_until != TIME_NONE  ? d->bake_until
		     : d->finished_at != TIME_NONE ? d->finished_at
						   : now;
	if (report->to > now)
		report->to = now;
	report->baseline_to = d->started_at;
	report->baseline_from =
		d->started_at - (rules.baseline > 0 ? rules.baseline
						    : (report->to - report->from > rules.sustain
							       ? report->to - report->from
							       : rules.sustain));
	if ((code = store_service_series(store, d->service, &series, &n_series)) != SUCCESS)
		return code;
	report->metrics = xcalloc(n_series + 1, sizeof(*report->metrics));
	for (size_t i = 0; i < n_series && code == SUCCESS; i++) {
		if (!chosen(&rules, series[i].name, health_kind_of(series[i].name)))
			continue;
		code = judge_series(store, &series[i], &rules, report,
				    &report->metrics[report->n_metrics++]);
	}
	store_series_rows_free(series, n_series);
	if (code != SUCCESS) {
		health_report_release(report);
		return code;
	}
	qsort(report->metrics, report->n_metrics, sizeof(*report->metrics), worse_first);
	if (report->n_metrics) {
		report->verdict = report->metrics[0].verdict;
		snprintf(report->reason, sizeof(report->reason), "%s", report->metrics[0].reason);
	} else {
		snprintf(report->reason, sizeof(report->reason), "no health metric of %s",
			 d->service);
	}
	return SUCCESS;
}

void
health_report_release(struct health_report *report)
{
	for (size_t i = 0; i < report->n_metrics; i++)
		free(report->metrics[i].series);
	free(report->metrics);
	memset(report, 0, sizeof(*report));
}
