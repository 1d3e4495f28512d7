/* series.c - the metric behaviour of the simulated services: requests, errors,
 * latency, CPU, memory, availability and API consumers as smooth functions of time.
 *
 * A value is a pure function of (seed, service, metric, t): a daily and weekly load
 * curve, slow growth, value noise interpolated between hashed knots (so a chart is
 * smooth at any step and two runs agree to the bit), plus a bump while an incident
 * of the service lasts, shaped by its symptom and severity. No state, no clock: a
 * range query for last week costs the same as one for now, and must not allocate.
 * Which incidents touch an instant comes from an index built with the world, so a
 * value costs the same in a world of a hundred thousand incidents as in the week. */
#include "sitrep/sitrep.h"
#include "sim.h"

#include <math.h>

#define PI 3.14159265358979323846
#define WEEK_SECONDS 604800.0

/* How far an incident pushes its metrics, at full intensity. */
struct effects {
	double error_ratio; /* added to the share of failing requests */
	double latency;	    /* average latency grows by this factor */
	double latency_max;
	double cpu;	/* percentage points added */
	double memory;	/* percentage points added */
	double traffic; /* requests kept (clients back off from a dead service) */
	bool down;
};

static double
clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* A knot value in [-1, 1]. */
static double
knot(const struct world *w, size_t s, enum metric_kind m, int64_t k)
{
	uint64_t h = sim_hash(w->seed, w->services[s].name, (uint64_t)k * 16 + (uint64_t)m);

	return (double)(h >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0;
}

/* Value noise with smoothstep between knots `period` seconds apart: continuous,
 * with a continuous first derivative, in [-1, 1]. */
static double
noise(const struct world *w, size_t s, enum metric_kind m, double t, double period)
{
	double x = t / period, k = floor(x), f = x - k;
	double a = knot(w, s, m, (int64_t)k), b = knot(w, s, m, (int64_t)k + 1);

	return a + (b - a) * f * f * (3.0 - 2.0 * f);
}

/* Traffic relative to the service's baseline: a day peaking at 15:00 UTC, quieter
 * weekends, and 2% growth a week (the API usage growth chart). */
static double
load(const struct world *w, double t)
{
	double hour = fmod(t, 86400.0) / 3600.0;
	int64_t day = (int64_t)floor(t / 86400.0);
	int weekday = (int)(((day + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
	double diurnal = 0.62 + 0.38 * sin(2.0 * PI * (hour - 9.0) / 24.0);

	return diurnal * (weekday >= 5 ? 0.7 : 1.0) *
	       (1.0 + 0.02 * (t - (double)w->origin) / WEEK_SECONDS);
}

/* 0 before the impact, ramping to 1 over two minutes, decaying over minutes once
 * resolved: real metrics lag both the cause and the fix. */
static double
intensity(const struct incident *in, double t)
{
	double start = (double)in->impact, peak;

	if (t < start)
		return 0.0;
	if (in->resolve == TIME_NONE || t < (double)in->resolve)
		return fmin(1.0, (t - start) / 120.0);
	if (t - (double)in->resolve > 1800.0)
		return 0.0;
	peak = fmin(1.0, ((double)in->resolve - start) / 120.0);
	return peak * exp(-(t - (double)in->resolve) / 240.0);
}

static void
add_incident(struct effects *e, const struct incident *in, double t)
{
	static const double weight[] = { 0.25, 0.55, 1.0 };
	double k = intensity(in, t) * weight[in->severity];

	if (k <= 0.0)
		return;
	switch (in->symptom) {
	case SYMPTOM_ERRORS:
		e->error_ratio += 0.09 * k;
		e->latency += 0.4 * k;
		e->latency_max += 0.8 * k;
		break;
	case SYMPTOM_LATENCY:
		e->latency += 5.0 * k;
		e->latency_max += 9.0 * k;
		e->cpu += 8.0 * k;
		break;
	case SYMPTOM_CPU:
		e->cpu += 55.0 * k;
		e->latency += 1.2 * k;
		e->latency_max += 2.0 * k;
		break;
	case SYMPTOM_MEMORY:
		e->memory += 38.0 * k;
		e->latency += 0.3 * k;
		e->latency_max += 0.6 * k;
		break;
	case SYMPTOM_OUTAGE:
		e->traffic *= 1.0 - 0.9 * k;
		e->error_ratio += 0.85 * k;
		e->latency += 2.0 * k;
		e->latency_max += 20.0 * k;
		e->down = e->down || k > 0.5;
		break;
	}
}

static double
error_ratio(const struct world *w, size_t s, const struct effects *e, double t)
{
	double base = w->services[s].error_ratio * (1.0 + 0.5 * noise(w, s, METRIC_ERRORS, t, 900));

	return clamp(base + e->error_ratio, 0.0, 1.0);
}

/* ---- which incidents touch an instant ---- */

/* An incident moves its service's metrics from its impact until half an hour after
 * its resolution (intensity); one never resolved, for ever. */
#define EFFECT_TAIL 1800

/* Per service, its incidents in order of impact, and the running maximum of the
 * instants their effects end: walking back from the last incident that began by t,
 * none before the one whose running maximum is past t can still touch t. */
struct series_index {
	size_t *first;	  /* n_services + 1: where each service's incidents start */
	size_t *incident; /* indices into w->incidents */
	int64_t *impact;  /* parallel: the impact of each */
	int64_t *reach;	  /* parallel: the latest end of the effects up to here */
	const struct world *world;
};

static int64_t
effect_end(const struct incident *in)
{
	return in->resolve == TIME_NONE ? INT64_MAX : in->resolve + EFFECT_TAIL + 1;
}

static const struct world *sort_world;

static int
by_service_impact(const void *a, const void *b)
{
	const struct incident *x = &sort_world->incidents[*(const size_t *)a];
	const struct incident *y = &sort_world->incidents[*(const size_t *)b];

	if (x->service != y->service)
		return x->service < y->service ? -1 : 1;
	if (x->impact != y->impact)
		return x->impact < y->impact ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

void
series_index_build(struct world *w)
{
	struct series_index *ix = xcalloc(1, sizeof(*ix));
	size_t n = w->n_incidents;

	ix->first = xcalloc(w->n_services + 1, sizeof(*ix->first));
	ix->incident = xcalloc(n + 1, sizeof(*ix->incident));
	ix->impact = xcalloc(n + 1, sizeof(*ix->impact));
	ix->reach = xcalloc(n + 1, sizeof(*ix->reach));
	for (size_t i = 0; i < n; i++)
		ix->incident[i] = i;
	/* Loading is single-threaded: the server starts after the world exists. */
	sort_world = w;
	qsort(ix->incident, n, sizeof(*ix->incident), by_service_impact);
	sort_world = NULL;
	for (size_t i = 0, s = 0; s <= w->n_services; s++) {
		ix->first[s] = i;
		for (; s < w->n_services && i < n && w->incidents[ix->incident[i]].service == s;
		     i++) {
			const struct incident *in = &w->incidents[ix->incident[i]];
			int64_t end = effect_end(in);

			ix->impact[i] = in->impact;
			ix->reach[i] =
				i > ix->first[s] && ix->reach[i - 1] > end ? ix->reach[i - 1] : end;
		}
	}
	w->index = ix;
}

void
series_index_free(struct world *w)
{
	if (!w->index)
		return;
	free(w->index->first);
	free(w->index->incident);
	free(w->index->impact);
	free(w->index->reach);
	free(w->index);
	w->index = NULL;
}

static int
by_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* The effects of the incidents of service s at t, added in the world's order of
 * incidents (floating-point sums depend on the order). */
static void
add_incidents(const struct world *w, size_t s, double t, struct effects *e)
{
	const struct series_index *ix = w->index;
	size_t lo = ix->first[s], hi = ix->first[s + 1], found[64], n = 0, i;

	/* lo: past the last incident whose impact is not after t. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((double)ix->impact[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i-- > ix->first[s] && (double)ix->reach[i] > t;) {
		if ((double)effect_end(&w->incidents[ix->incident[i]]) <= t)
			continue;
		if (n == ARRAY_SIZE(found))
			break;
		found[n++] = ix->incident[i];
	}
	if (n == ARRAY_SIZE(found)) {
		/* More incidents at once than a service ever has: every one, in order. */
		for (i = 0; i < w->n_incidents; i++)
			if (w->incidents[i].service == s)
				add_incident(e, &w->incidents[i], t);
		return;
	}
	qsort(found, n, sizeof(*found), by_index);
	for (i = 0; i < n; i++)
		add_incident(e, &w->incidents[found[i]], t);
}

double
series_value(const struct world *w, size_t s, enum metric_kind m, double t)
{
	const struct service *svc = &w->services[s];
	struct effects e = { .traffic = 1.0 };
	double l = load(w, t), rpm, latency;

	add_incidents(w, s, t, &e);
	rpm = svc->rpm * l * (1.0 + 0.06 * noise(w, s, METRIC_RPM, t, 600)) * e.traffic;
	latency = svc->latency_ms / 1000.0 * (0.85 + 0.3 * l) *
		  (1.0 + 0.08 * noise(w, s, METRIC_LATENCY, t, 300));
	switch (m) {
	case METRIC_RPM:
		return rpm;
	case METRIC_ERRORS:
		return rpm * error_ratio(w, s, &e, t);
	case METRIC_LATENCY:
		return latency * (1.0 + e.latency);
	case METRIC_LATENCY_MAX:
		return latency * (3.2 + 0.6 * noise(w, s, METRIC_LATENCY_MAX, t, 300)) *
		       (1.0 + e.latency_max);
	case METRIC_CPU:
		return clamp(svc->cpu * (0.55 + 0.7 * l) * (1.0 + 0.07 * noise(w, s, m, t, 240)) +
				     e.cpu,
			     0.5, 99.5);
	case METRIC_MEMORY:
		/* A slow swell every three and a half days (caches filling,
		 * then a restart), out of phase between services so that the
		 * memory chart is not three copies of one line. */
		return clamp(svc->memory +
				     5.0 * sin(2.0 * PI * (t - (double)w->origin) / 302400.0 +
					       (double)s) +
				     1.5 * noise(w, s, m, t, 1800) + e.memory,
			     1.0, 99.0);
	case METRIC_UP:
		return e.down ? 0.0 : 1.0;
	case METRIC_AVAILABILITY:
		return e.down ? 0.0 : 1.0 - error_ratio(w, s, &e, t);
	case METRIC_CONSUMERS:
		return round(svc->consumers * (0.45 + 0.55 * l) *
			     (1.0 + 0.05 * noise(w, s, m, t, 3600)) * fmin(1.0, e.traffic + 0.2));
	case METRIC_COUNT:
		break;
	}
	return 0.0;
}

enum metric_kind
symptom_metric(enum symptom s)
{
	switch (s) {
	case SYMPTOM_ERRORS:
		return METRIC_ERRORS;
	case SYMPTOM_LATENCY:
		return METRIC_LATENCY_MAX;
	case SYMPTOM_CPU:
		return METRIC_CPU;
	case SYMPTOM_MEMORY:
		return METRIC_MEMORY;
	case SYMPTOM_OUTAGE:
		return METRIC_UP;
	}
	return METRIC_ERRORS;
}
