/* mttx.c - the streaming accumulator behind the MTTx, downtime, availability,
 * failures, MTBF/MDT and SLA figures (spec §3, §4.1-4.7, §5). Rows arrive in any
 * order and in any number, so a row is reduced on arrival to what the figures need:
 * 4-byte duration samples of in-window milestones, 8-byte outage periods that touch
 * the windows, and counters. It must never keep a row or a borrowed pointer from one,
 * and its result must not depend on row order.
 *
 * Reopens (§3.3, E3): a row is walked as impact periods [impact_start, first impact
 * end), [reopened_at, next impact end) ... A reopen within reopen_merge_seconds of
 * the resolution before it stays in the same incident, and the up gap between the
 * two periods is kept as a "bridge": it joins the failure episode but is not
 * downtime. A later reopen starts a NEW incident at reopened_at, which gets: impact
 * start = detection = reopened_at, its own TTR (to the next resolution that is not
 * merged), downtime, failure and open count, a TTC only if contained_at falls inside
 * it, and no TTD/TTA (its impact start is derived and the row's acknowledgement
 * belongs to the first occurrence; it is not counted as unacknowledged either). The
 * row's SLA instance is counted once whatever the split. */
#include "sitrep/sitrep.h"
#include "sitrep/metrics.h"

#include <math.h>

enum metric {
	TTD,
	TTA,
	TTC,
	TTR,
	N_METRICS
};
enum counter {
	IMPUTED,
	UNACKED,
	OPEN,
	SLA_MET,
	SLA_BREACHED,
	N_COUNTERS
};

/* Seconds after mttx.base, 8 bytes instead of 16: see offset(). */
struct span {
	uint32_t start;
	uint32_t end;
};

struct spans {
	struct span *v;
	size_t n;
	size_t alloc;
};

struct counters {
	size_t n[N_COUNTERS];
	int64_t oldest_open_start; /* INT64_MAX: none open */
};

struct service {
	struct mx_samples primary[N_METRICS]; /* also in the pooled figures (E7) */
	struct mx_samples secondary[N_METRICS];
	struct spans periods; /* outage impact periods, downtime */
	struct spans bridges; /* merged-reopen up gaps: same episode, not downtime */
	struct counters counters;
};

struct mttx {
	struct mttx_params params;
	struct mx_window horizon; /* periods outside it cannot change any figure */
	int64_t base;		  /* the second before the horizon */
	struct service *services;
	struct counters all;
};

/* What one row (one service of one incident) adds to. */
struct row {
	const struct mttx *mttx;
	struct service *service;
	struct counters *all; /* NULL unless the row is primary */
	bool outage;
};

/* One incident after splitting the row at late reopens. */
struct segment {
	bool first;    /* the original occurrence: carries TTD, TTA */
	int64_t start; /* impact start */
	int64_t detected;
	int64_t contained; /* TIME_NONE unless it falls inside this segment */
	int64_t resolved;  /* TIME_NONE: open */
};

static int64_t
min_i64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t
max_i64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static void
counters_init(struct counters *c)
{
	memset(c, 0, sizeof(*c));
	c->oldest_open_start = INT64_MAX;
}

struct mttx *
mttx_new(const struct mttx_params *params)
{
	struct mttx *m = xcalloc(1, sizeof(*m));

	m->params = *params;
	m->horizon = params->window;
	for (size_t i = 0; i < params->n_downtime_windows; i++) {
		m->horizon.start = min_i64(m->horizon.start, params->downtime_windows[i].start);
		m->horizon.end = max_i64(m->horizon.end, params->downtime_windows[i].end);
	}
	if (m->horizon.end > m->horizon.start &&
	    (uint64_t)m->horizon.end - (uint64_t)m->horizon.start > UINT32_MAX - 2)
		die("mttx: windows spread over more than 136 years");
	m->base = m->horizon.start > INT64_MIN ? m->horizon.start - 1 : INT64_MIN;
	if (params->n_services)
		m->services = xcalloc(params->n_services, sizeof(*m->services));
	for (size_t i = 0; i < params->n_services; i++)
		counters_init(&m->services[i].counters);
	counters_init(&m->all);
	return m;
}

static void
count_one(struct counters *c, enum counter which, int64_t open_start)
{
	c->n[which]++;
	if (which == OPEN)
		c->oldest_open_start = min_i64(c->oldest_open_start, open_start);
}

static void
row_count(const struct row *r, enum counter which, int64_t open_start)
{
	count_one(&r->service->counters, which, open_start);
	if (r->all)
		count_one(r->all, which, open_start);
}

static void
row_sample(const struct row *r, enum metric metric, int64_t seconds)
{
	struct mx_samples *list = r->all ? r->service->primary : r->service->secondary;

	mx_samples_add(&list[metric], seconds);
}

/* An instant as an offset from base. Instants before the horizon become 0 and
 * after it (open: INT64_MAX) UINT32_MAX; neither changes a union or an episode
 * inside the horizon, whose length mttx_new() checked. */
static uint32_t
offset(const struct mttx *m, int64_t t)
{
	uint64_t off;

	if (t <= m->base)
		return 0;
	off = (uint64_t)t - (uint64_t)m->base;
	return off >= UINT32_MAX ? UINT32_MAX : (uint32_t)off;
}

/* A span ending where the next starts is connected (episodes use ≤): the service
 * never came back up in between. */
static void
spans_add(const struct row *r, struct spans *spans, int64_t start, int64_t end)
{
	const struct mttx *m = r->mttx;

	end = max_i64(start, end);
	if (!r->outage || end < m->horizon.start || start >= m->horizon.end)
		return;
	if (spans->n == spans->alloc)
		spans->v = xgrow(spans->v, &spans->alloc, spans->n + 1, sizeof(*spans->v));
	spans->v[spans->n].start = offset(m, start);
	spans->v[spans->n].end = offset(m, end);
	spans->n++;
}

/* TTD and TTA belong to the original occurrence only (§4.1, §4.2, §2). */
static void
first_milestones(const struct row *r, const struct mx_incident *inc, unsigned flags)
{
	const struct mx_window *w = &r->mttx->params.window;

	if (mx_window_contains(w, inc->detected_at)) {
		if (flags & MX_IMPACT_IMPUTED)
			row_count(r, IMPUTED, 0);
		else
			row_sample(r, TTD, inc->detected_at - inc->impact_start);
		if (inc->acknowledged_at == TIME_NONE)
			row_count(r, UNACKED, 0);
	}
	if (mx_window_contains(w, inc->acknowledged_at))
		row_sample(r, TTA, inc->acknowledged_at - inc->detected_at);
}

/* Each sample goes to the window of its end milestone (§4 attribution rule); an
 * incident open at W's end is counted beside MTTR instead (E1). */
static void
finish_segment(const struct row *r, const struct segment *seg)
{
	const struct mx_window *w = &r->mttx->params.window;

	if (mx_window_contains(w, seg->contained))
		row_sample(r, TTC, seg->contained - seg->detected);
	if (mx_window_contains(w, seg->resolved))
		row_sample(r, TTR, seg->resolved - seg->start);
	if (seg->detected < w->end && (seg->resolved == TIME_NONE || seg->resolved >= w->end))
		row_count(r, OPEN, seg->start);
}

/* Walking one row's impact periods; contained_at is claimed at most once by a
 * period (it ends the downtime) and once by a segment (it gives the TTC). */
struct walk {
	const struct row *row;
	struct segment seg;
	int64_t start; /* of the current period */
	bool first_period;
	int64_t period_contained;
	int64_t segment_contained;
};

/* The impact end of the period [start, resolved]: contained_at if it falls inside
 * the period (or before the first one: floored to a zero-length period), else the
 * period's resolution (§4.5: downtime ends at containment). */
static int64_t
period_end(struct walk *w, int64_t resolved)
{
	int64_t end = resolved == TIME_NONE ? INT64_MAX : resolved;
	int64_t c = w->period_contained;

	if (c != TIME_NONE && c <= end && (c >= w->start || w->first_period)) {
		w->period_contained = TIME_NONE;
		end = max_i64(c, w->start);
	}
	w->first_period = false;
	spans_add(w->row, &w->row->service->periods, w->start, end);
	return end;
}

/* contained_at gives the TTC of the incident whose [start, resolved] holds it. */
static void
close_segment(struct walk *w, int64_t resolved)
{
	struct segment *seg = &w->seg;
	int64_t c = w->segment_contained;

	seg->resolved = resolved;
	if (c != TIME_NONE && (c >= seg->start || seg->first) &&
	    (resolved == TIME_NONE || c <= resolved)) {
		seg->contained = c;
		w->segment_contained = TIME_NONE;
	}
	finish_segment(w->row, seg);
}

static void
walk_reopen(struct walk *w, const struct mx_reopen *reopen)
{
	int64_t resolved = max_i64(reopen->resolved_at, w->start);
	int64_t next = max_i64(reopen->reopened_at, resolved);
	int64_t end = period_end(w, resolved);

	if (next - resolved <= w->row->mttx->params.reopen_merge_seconds) {
		spans_add(w->row, &w->row->service->bridges, end, next);
	} else {
		close_segment(w, resolved);
		w->seg = (struct segment){ false, next, next, TIME_NONE, TIME_NONE };
	}
	w->start = next;
}

static void
walk_periods(const struct row *r, const struct mx_incident *inc)
{
	struct walk w = {
		.row = r,
		.seg = { true, inc->impact_start, inc->detected_at, TIME_NONE, TIME_NONE },
		.start = inc->impact_start,
		.first_period = true,
		.period_contained = inc->contained_at,
		.segment_contained = inc->contained_at,
	};
	int64_t resolved = inc->resolved_at;

	for (size_t i = 0; i < inc->n_reopens; i++)
		/* A half-recorded reopen says nothing usable. */
		if (inc->reopens[i].resolved_at != TIME_NONE &&
		    inc->reopens[i].reopened_at != TIME_NONE)
			walk_reopen(&w, &inc->reopens[i]);
	if (resolved != TIME_NONE)
		resolved = max_i64(resolved, w.start);
	period_end(&w, resolved);
	close_segment(&w, resolved);
}

/* §4.6: a met SLA counts when it stopped, a breached one when its clock crossed
 * the target (also while still running), each instance exactly once. */
static void
add_sla(const struct row *r, const struct mx_sla *sla)
{
	const struct mttx_params *p = &r->mttx->params;
	int64_t when = TIME_NONE;
	enum mx_sla_state state = mx_sla_outcome(sla, p->business_hours, p->window.end, &when);

	if (!mx_window_contains(&p->window, when))
		return;
	if (state == MX_SLA_MET)
		row_count(r, SLA_MET, 0);
	else if (state == MX_SLA_BREACHED)
		row_count(r, SLA_BREACHED, 0);
}

void
mttx_add(struct mttx *mttx, const struct mx_incident *incident)
{
	struct mx_incident inc = *incident;
	unsigned flags = mx_normalize(&inc);
	struct row r;

	if (inc.service >= mttx->params.n_services)
		die("mttx_add: service %zu of %zu", inc.service, mttx->params.n_services);
	/* E12: planned maintenance counts for nothing; §2: detection is required. */
	if (inc.impact == MX_IMPACT_PLANNED || inc.detected_at == TIME_NONE)
		return;
	r.mttx = mttx;
	r.service = &mttx->services[inc.service];
	r.all = inc.primary ? &mttx->all : NULL;
	r.outage = inc.impact == MX_IMPACT_OUTAGE;
	first_milestones(&r, &inc, flags);
	walk_periods(&r, &inc);
	add_sla(&r, &inc.sla);
}

static void
spans_append(struct spans *into, const struct spans *from)
{
	if (!from->n)
		return;
	into->v = xgrow(into->v, &into->alloc, into->n + from->n, sizeof(*into->v));
	memcpy(into->v + into->n, from->v, from->n * sizeof(*from->v));
	into->n += from->n;
}

static void
samples_append(struct mx_samples *into, const struct mx_samples *from)
{
	if (!from->n)
		return;
	into->v = xgrow(into->v, &into->alloc, into->n + from->n, sizeof(*into->v));
	memcpy(into->v + into->n, from->v, from->n * sizeof(*from->v));
	into->n += from->n;
}

static void
counters_add(struct counters *into, const struct counters *from)
{
	for (size_t i = 0; i < N_COUNTERS; i++)
		into->n[i] += from->n[i];
	into->oldest_open_start = min_i64(into->oldest_open_start, from->oldest_open_start);
}

/* Nothing an accumulator keeps depends on row order (samples are sorted and periods
 * unioned at finish), so two halves of a scan merge by concatenation. */
void
mttx_merge(struct mttx *into, const struct mttx *from)
{
	if (into->params.n_services != from->params.n_services || into->base != from->base)
		die("mttx_merge: accumulators of different reports");
	for (size_t i = 0; i < into->params.n_services; i++) {
		struct service *a = &into->services[i];
		const struct service *b = &from->services[i];

		for (size_t m = 0; m < N_METRICS; m++) {
			samples_append(&a->primary[m], &b->primary[m]);
			samples_append(&a->secondary[m], &b->secondary[m]);
		}
		spans_append(&a->periods, &b->periods);
		spans_append(&a->bridges, &b->bridges);
		counters_add(&a->counters, &b->counters);
	}
	counters_add(&into->all, &from->all);
}

/* Sorts and merges overlapping or touching periods in place: their union (§4.5). */
static void
spans_union(struct spans *s)
{
	size_t k = 0;

	mx_sort_by_key(s->v, s->n, sizeof(*s->v)); /* by start; equal starts merge alike */
	for (size_t i = 0; i < s->n; i++) {
		if (k && s->v[i].start <= s->v[k - 1].end)
			s->v[k - 1].end =
				s->v[i].end > s->v[k - 1].end ? s->v[i].end : s->v[k - 1].end;
		else
			s->v[k++] = s->v[i];
	}
	s->n = k;
}

static int64_t
union_in_window(const struct mttx *m, const struct spans *runs, const struct mx_window *w)
{
	int64_t total = 0, w_start = offset(m, w->start), w_end = offset(m, w->end);

	for (size_t i = 0; i < runs->n; i++) {
		int64_t start = max_i64(runs->v[i].start, w_start);
		int64_t end = min_i64(runs->v[i].end, w_end);

		if (end > start)
			total += end - start;
	}
	return total;
}

/* §4.7: failure episodes are the connected groups of runs and bridges; one counts
 * when it starts in W. Only a run can start a counted episode: a bridge always
 * follows the period it extends. */
static size_t
count_failures(const struct mttx *m, const struct spans *runs, const struct spans *bridges)
{
	int64_t reach = -1, w_start = offset(m, m->params.window.start);
	int64_t w_end = offset(m, m->params.window.end);
	size_t i = 0, j = 0, failures = 0;

	while (i < runs->n || j < bridges->n) {
		bool run =
			j == bridges->n || (i < runs->n && runs->v[i].start <= bridges->v[j].start);
		const struct span *s = run ? &runs->v[i++] : &bridges->v[j++];

		if (run && s->start > reach && s->start >= w_start && s->start < w_end)
			failures++;
		reach = max_i64(reach, s->end);
	}
	return failures;
}

static double
ratio(double num, double den)
{
	return den > 0 ? num / den : NAN;
}

static void
copy_counters(struct mttx_figures *f, const struct counters *c, const struct mx_window *w)
{
	f->ttd_excluded_imputed = c->n[IMPUTED];
	f->unacknowledged = c->n[UNACKED];
	f->open_at_window_end = c->n[OPEN];
	f->oldest_open_seconds = c->n[OPEN] ? w->end - c->oldest_open_start : 0;
	f->sla_met = c->n[SLA_MET];
	f->sla_breached = c->n[SLA_BREACHED];
	f->sla_compliance =
		ratio((double)c->n[SLA_MET], (double)(c->n[SLA_MET] + c->n[SLA_BREACHED]));
}

/* A = U/|W|, MTBF = U/N, MDT = D/N, so that A = MTBF/(MTBF+MDT) exactly (§4.7). */
static void
reliability(struct mttx_figures *f, int64_t down, int64_t up, double window_seconds)
{
	f->downtime = (double)down / 60.0;
	f->availability = ratio((double)up, window_seconds);
	f->mtbf = ratio((double)up / 60.0, (double)f->failures);
	f->mdt = ratio((double)down / 60.0, (double)f->failures);
}

static void
finish_stats(struct service *s, struct mttx_figures *f)
{
	struct mx_stat *stats[N_METRICS] = { &f->ttd, &f->tta, &f->ttc, &f->ttr };

	for (int m = 0; m < N_METRICS; m++) {
		const struct mx_samples *lists[2] = { &s->primary[m], &s->secondary[m] };

		mx_samples_sort(&s->primary[m]);
		mx_samples_sort(&s->secondary[m]);
		mx_stat_lists(stats[m], lists, 2);
	}
}

static int64_t
finish_service(const struct mttx *m, struct service *s, struct mttx_figures *f)
{
	const struct mttx_params *p = &m->params;
	int64_t w_len = p->window.end > p->window.start ? p->window.end - p->window.start : 0;
	int64_t down;

	finish_stats(s, f);
	copy_counters(f, &s->counters, &p->window);
	spans_union(&s->periods);
	if (s->bridges.n)
		mx_sort_by_key(s->bridges.v, s->bridges.n, sizeof(*s->bridges.v));
	f->failures = count_failures(m, &s->periods, &s->bridges);
	down = union_in_window(m, &s->periods, &p->window);
	reliability(f, down, w_len - down, (double)w_len);
	if (p->n_downtime_windows)
		f->window_downtime = xcalloc(p->n_downtime_windows, sizeof(int64_t));
	for (size_t i = 0; i < p->n_downtime_windows; i++)
		f->window_downtime[i] = union_in_window(m, &s->periods, &p->downtime_windows[i]);
	return down;
}

/* E7: pooled samples of primary rows, pooled service-minutes, ΣU/ΣN, ΣD/ΣN. */
static void
finish_all(const struct mttx *m, struct mttx_result *res, int64_t down)
{
	const struct mttx_params *p = &m->params;
	struct mttx_figures *f = &res->all;
	struct mx_stat *stats[N_METRICS] = { &f->ttd, &f->tta, &f->ttc, &f->ttr };
	const struct mx_samples **lists = NULL;
	int64_t w_len = p->window.end > p->window.start ? p->window.end - p->window.start : 0;
	int64_t total = w_len * (int64_t)p->n_services;

	if (p->n_services)
		lists = xcalloc(p->n_services, sizeof(*lists));
	for (int k = 0; k < N_METRICS; k++) {
		for (size_t i = 0; i < p->n_services; i++)
			lists[i] = &m->services[i].primary[k];
		mx_stat_lists(stats[k], lists, p->n_services);
	}
	free(lists);
	copy_counters(f, &m->all, &p->window);
	if (p->n_downtime_windows)
		f->window_downtime = xcalloc(p->n_downtime_windows, sizeof(int64_t));
	for (size_t i = 0; i < p->n_services; i++) {
		f->failures += res->services[i].failures;
		for (size_t j = 0; j < p->n_downtime_windows; j++)
			f->window_downtime[j] += res->services[i].window_downtime[j];
	}
	reliability(f, down, total - down, (double)total);
}

void
mttx_finish(struct mttx *mttx, struct mttx_result *result)
{
	int64_t down = 0;

	memset(result, 0, sizeof(*result));
	result->n_services = mttx->params.n_services;
	if (result->n_services)
		result->services = xcalloc(result->n_services, sizeof(*result->services));
	for (size_t i = 0; i < result->n_services; i++)
		down += finish_service(mttx, &mttx->services[i], &result->services[i]);
	finish_all(mttx, result, down);
}

static void
service_release(struct service *s)
{
	for (int m = 0; m < N_METRICS; m++) {
		mx_samples_release(&s->primary[m]);
		mx_samples_release(&s->secondary[m]);
	}
	free(s->periods.v);
	free(s->bridges.v);
}

void
mttx_free(struct mttx **mttx)
{
	if (!*mttx)
		return;
	for (size_t i = 0; i < (*mttx)->params.n_services; i++)
		service_release(&(*mttx)->services[i]);
	free((*mttx)->services);
	free(*mttx);
	*mttx = NULL;
}

void
mttx_result_release(struct mttx_result *result)
{
	for (size_t i = 0; i < result->n_services; i++)
		free(result->services[i].window_downtime);
	free(result->services);
	free(result->all.window_downtime);
	memset(result, 0, sizeof(*result));
}
