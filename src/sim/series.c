/* series.c - the metric behaviour of the simulated services: requests, errors,
 * latency, CPU, memory, availability and API consumers as smooth functions of time.
 *
 * A value is a pure function of (seed, service, metric, t): a daily and weekly load
 * curve, slow growth, value noise interpolated between hashed knots (so a chart is
 * smooth at any step and two runs agree to the bit), plus a bump while an incident
 * of the service lasts, shaped by its symptom and severity. No state, no clock: a
 * range query for last week costs the same as one for now, and must not allocate. */
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

double
series_value(const struct world *w, size_t s, enum metric_kind m, double t)
{
	const struct service *svc = &w->services[s];
	struct effects e = { .traffic = 1.0 };
	double l = load(w, t), rpm, latency;

	for (size_t i = 0; i < w->n_incidents; i++)
		if (w->incidents[i].service == s)
			add_incident(&e, &w->incidents[i], t);
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
