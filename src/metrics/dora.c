/* dora.c - DORA figures of spec §4.8-4.9: deployment frequency, lead time for
 * changes, change failure rate, deployment rework rate and failed-deployment
 * recovery time, per service and pooled (E7). Pure: arrays in, figures out. A failed
 * pipeline is not a deployment (E13) for any purpose here, not even as the rollback
 * or hotfix of another one. It must not count incidents where deployments are meant
 * (CFR counts distinct deployments, fourkeys #213). */
#include "sitrep/sitrep.h"
#include "sitrep/metrics.h"

#include <math.h>

#define DAY_SECONDS 86400.0

/* What the incidents and repairs say about one deployment. */
struct verdict {
	bool incident;	       /* caused at least one incident */
	bool open;	       /* ... one of which is still open */
	bool repaired;	       /* rolled back, or fixed by a hotfix or rollback */
	int64_t first_impact;  /* earliest impact_start of its incidents */
	int64_t last_resolved; /* latest resolved_at of its incidents */
	int64_t first_repair;  /* earliest finish of a repairing deployment */
};

struct samples {
	int64_t *v;
	size_t n;
	size_t alloc;
};

/* One (commit, deployment) pair, for lead time. */
struct change {
	const char *sha;
	size_t service;
	int64_t finished;
	int64_t committed;
};

static bool
is_deployment(const struct dora_deployment *d)
{
	return d->success && d->production && d->finished_at != TIME_NONE;
}

static void
samples_add(struct samples *s, int64_t seconds)
{
	s->v = xgrow(s->v, &s->alloc, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = seconds;
}

static void
mark_repair(struct verdict *v, const struct dora_deployment *deps, size_t n, long target,
	    int64_t finished)
{
	if (target < 0 || (size_t)target >= n || !is_deployment(&deps[target]))
		return;
	v[target].repaired = true;
	if (finished < v[target].first_repair)
		v[target].first_repair = finished;
}

/* §4.9: rolled back (rolled_back_by, or a rollback that fixes it) or hotfixed. */
static void
judge_repairs(struct verdict *v, const struct dora_deployment *deps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct dora_deployment *d = &deps[i];

		if (d->rolled_back_by >= 0 && (size_t)d->rolled_back_by < n &&
		    is_deployment(&deps[d->rolled_back_by]))
			mark_repair(v, deps, n, (long)i, deps[d->rolled_back_by].finished_at);
		if (is_deployment(d) && d->kind != DORA_NORMAL)
			mark_repair(v, deps, n, d->fixes, d->finished_at);
	}
}

static void
judge_incidents(struct verdict *v, const struct dora_deployment *deps, size_t n,
		const struct dora_incident *incs, size_t n_incs)
{
	for (size_t i = 0; i < n_incs; i++) {
		const struct dora_incident *inc = &incs[i];
		struct verdict *t;

		if (inc->deployment >= n || !is_deployment(&deps[inc->deployment]))
			continue;
		t = &v[inc->deployment];
		t->incident = true;
		if (inc->resolved_at == TIME_NONE)
			t->open = true;
		else if (inc->resolved_at > t->last_resolved)
			t->last_resolved = inc->resolved_at;
		if (inc->impact_start != TIME_NONE && inc->impact_start < t->first_impact)
			t->first_impact = inc->impact_start;
	}
}

static struct verdict *
judge(const struct dora_deployment *deps, size_t n, const struct dora_incident *incs, size_t n_incs)
{
	struct verdict *v = xcalloc(n, sizeof(*v));

	for (size_t i = 0; i < n; i++) {
		v[i].first_impact = INT64_MAX;
		v[i].last_resolved = INT64_MIN;
		v[i].first_repair = INT64_MAX;
	}
	judge_incidents(v, deps, n, incs, n_incs);
	judge_repairs(v, deps, n);
	return v;
}

static bool
is_failed(const struct dora_deployment *d, const struct verdict *v)
{
	return is_deployment(d) && (v->incident || v->repaired);
}

/* §4.9 FDRT: from the impact start of its incidents (or its own finish when it was
 * repaired without one) to the last resolution (or the first repair); no sample
 * while an incident is open. Returns false when there is no sample. */
static bool
recovery(const struct dora_deployment *d, const struct verdict *v, int64_t *start,
	 int64_t *recovered)
{
	if (v->incident) {
		if (v->open || v->last_resolved == INT64_MIN)
			return false;
		*start = v->first_impact != INT64_MAX ? v->first_impact : d->finished_at;
		*recovered = v->last_resolved;
		return true;
	}
	*start = d->finished_at;
	*recovered = v->first_repair;
	return v->first_repair != INT64_MAX;
}

static void
count_deployment(struct dora_figures *f, const struct dora_deployment *d, bool failed)
{
	f->deployments++;
	f->failed += failed;
	f->rework += d->kind != DORA_NORMAL;
}

static void
count_all(const struct mx_window *w, const struct dora_deployment *deps, size_t n,
	  const struct verdict *v, struct dora_result *res, struct samples *fdrt)
{
	int64_t start, recovered;

	for (size_t i = 0; i < n; i++) {
		const struct dora_deployment *d = &deps[i];
		bool failed = is_failed(d, &v[i]);

		if (d->service >= res->n_services)
			die("dora_compute: service %zu of %zu", d->service, res->n_services);
		if (is_deployment(d) && mx_window_contains(w, d->finished_at)) {
			count_deployment(&res->services[d->service], d, failed);
			count_deployment(&res->all, d, failed);
		}
		/* The sample goes to the window of recovery, whatever the deploy's window;
		 * a negative one (bad data) is floored at 0 like every duration (§3.2). */
		if (failed && recovery(d, &v[i], &start, &recovered) &&
		    mx_window_contains(w, recovered)) {
			int64_t seconds = recovered > start ? recovered - start : 0;

			samples_add(&fdrt[d->service], seconds);
			samples_add(&fdrt[res->n_services], seconds);
		}
	}
}

static int
cmp_change(const void *a, const void *b)
{
	const struct change *x = a, *y = b;
	int c = strcmp(x->sha, y->sha);

	if (c)
		return c;
	if (x->service != y->service)
		return (x->service > y->service) - (x->service < y->service);
	return (x->finished > y->finished) - (x->finished < y->finished);
}

/* Rollbacks ship no new commits (§4.9), so they are not scanned. */
static struct change *
collect_changes(const struct dora_deployment *deps, size_t n, size_t *n_changes)
{
	struct change *c = NULL;
	size_t alloc = 0;

	*n_changes = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_deployment(&deps[i]) || deps[i].kind == DORA_ROLLBACK)
			continue;
		for (size_t j = 0; j < deps[i].n_commits; j++) {
			const struct dora_commit *commit = &deps[i].commits[j];

			if (!commit->sha || commit->committed_at == TIME_NONE)
				continue;
			c = xgrow(c, &alloc, *n_changes + 1, sizeof(*c));
			c[(*n_changes)++] =
				(struct change){ commit->sha, deps[i].service, deps[i].finished_at,
						 commit->committed_at };
		}
	}
	return c;
}

/* One sample per commit at its first successful production deployment, in that
 * deployment's window; ≤ 0 dropped (fourkeys ignores automated pushes). */
static void
lead_sample(const struct mx_window *w, const struct change *c, struct samples *s)
{
	int64_t lead = c->finished - c->committed;

	if (mx_window_contains(w, c->finished) && lead > 0)
		samples_add(s, lead);
}

/* Per service: the first deployment of the commit to that service; pooled: its
 * first deployment anywhere (a commit shipped to k services counts once pooled). */
static void
lead_times(const struct mx_window *w, struct change *c, size_t n, struct samples *lead,
	   size_t n_services)
{
	const struct change *first = NULL;

	if (n)
		qsort(c, n, sizeof(*c), cmp_change);
	for (size_t i = 0; i < n; i++) {
		bool new_sha = i == 0 || strcmp(c[i].sha, c[i - 1].sha) != 0;

		if (new_sha || c[i].service != c[i - 1].service)
			lead_sample(w, &c[i], &lead[c[i].service]);
		if (new_sha || c[i].finished < first->finished)
			first = &c[i];
		if (i + 1 == n || strcmp(c[i + 1].sha, c[i].sha) != 0)
			lead_sample(w, first, &lead[n_services]);
	}
}

static double
per_window(size_t count, const struct mx_window *w)
{
	double days = (double)(w->end - w->start) / DAY_SECONDS;

	return days > 0 ? (double)count / days : NAN;
}

static double
fraction(size_t num, size_t den)
{
	return den ? (double)num / (double)den : NAN;
}

static void
finish_figures(struct dora_figures *f, const struct mx_window *w, struct samples *lead,
	       struct samples *fdrt)
{
	f->per_day = per_window(f->deployments, w);
	f->per_week = f->per_day * 7.0;
	f->cfr = fraction(f->failed, f->deployments);
	f->rework_rate = fraction(f->rework, f->deployments);
	mx_stat_compute(&f->lead_time, lead->v, lead->n);
	mx_stat_compute(&f->fdrt, fdrt->v, fdrt->n);
	free(lead->v);
	free(fdrt->v);
}

void
dora_compute(const struct mx_window *window, size_t n_services,
	     const struct dora_deployment *deployments, size_t n_deployments,
	     const struct dora_incident *incidents, size_t n_incidents, struct dora_result *result)
{
	/* Index n_services holds the pooled samples. */
	struct samples *lead = xcalloc(n_services + 1, sizeof(*lead));
	struct samples *fdrt = xcalloc(n_services + 1, sizeof(*fdrt));
	struct verdict *verdicts = NULL;
	struct change *changes;
	size_t n_changes;

	memset(result, 0, sizeof(*result));
	result->n_services = n_services;
	if (n_services)
		result->services = xcalloc(n_services, sizeof(*result->services));
	if (n_deployments) {
		verdicts = judge(deployments, n_deployments, incidents, n_incidents);
		count_all(window, deployments, n_deployments, verdicts, result, fdrt);
	}
	changes = collect_changes(deployments, n_deployments, &n_changes);
	lead_times(window, changes, n_changes, lead, n_services);
	for (size_t i = 0; i < n_services; i++)
		finish_figures(&result->services[i], window, &lead[i], &fdrt[i]);
	finish_figures(&result->all, window, &lead[n_services], &fdrt[n_services]);
	free(changes);
	free(verdicts);
	free(lead);
	free(fdrt);
}

void
dora_result_release(struct dora_result *result)
{
	free(result->services);
	memset(result, 0, sizeof(*result));
}
