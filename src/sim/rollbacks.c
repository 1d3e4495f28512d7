/* rollbacks.c - the deployments clients make, the second part of the simulated
 * world that requests change (acks.c is the first). An Argo CD rollback (POST
 * /api/v1/applications/APP/rollback) or a GitHub deployment (POST
 * /repos/O/R/deployments) becomes a deployment of the world at the simulated now:
 * kind rollback, no pipeline, via "argocd" or "github", restoring the deployment
 * it names and rolling back the one live there, done within the second. The
 * dialects read it like the scenario's own: Argo CD appends a history entry (its
 * sync), GitHub lists the deployment with in_progress and success statuses, and
 * /_sim/scenario shows it. Also kept: the applications whose auto-sync a client
 * turned off (PATCH). A reset removes all of it. Runs under sim->lock. */
#include "sitrep/sitrep.h"
#include "sim.h"

struct sim_made {
	size_t base;  /* the world's deployments before the first one made */
	long *undone; /* per made one: the deployment it rolled back, or -1 */
	size_t n_undone, undone_alloc;
	char **autosync_off;
	size_t n_off, off_alloc;
};

static struct sim_made *
made_of(struct sim *sim)
{
	if (!sim->made) {
		sim->made = xcalloc(1, sizeof(*sim->made));
		sim->made->base = sim->world.n_deployments;
	}
	return sim->made;
}

/* The deployment live at service and env at now (its last success), or -1. */
long
sim_live_deployment(const struct world *w, size_t service, enum deploy_env env, int64_t now)
{
	long live = -1;

	for (size_t i = 0; i < w->n_deployments; i++) {
		const struct deployment *d = &w->deployments[i];

		if (d->service == service && d->env == env && d->outcome == DEPLOY_SUCCESS &&
		    d->finish <= now && (live < 0 || d->start >= w->deployments[live].start))
			live = (long)i;
	}
	return live;
}

long
sim_rollback_add(struct sim *sim, size_t restores, const char *via, const char *actor, int64_t now)
{
	struct sim_made *m = made_of(sim);
	struct world *w = &sim->world;
	const struct deployment *t = &w->deployments[restores];
	struct deployment *d;
	long live = sim_live_deployment(w, t->service, t->env, now);
	uint64_t num = 0;
	unsigned long seq = 0;
	size_t i;

	for (i = 0; i < w->n_deployments; i++) {
		if (w->deployments[i].num > num)
			num = w->deployments[i].num;
		if (w->deployments[i].service == t->service && w->deployments[i].env == t->env &&
		    w->deployments[i].seq > seq)
			seq = w->deployments[i].seq;
	}
	w->deployments = xrealloc(w->deployments, (w->n_deployments + 1) * sizeof(*w->deployments));
	t = &w->deployments[restores];
	d = &w->deployments[w->n_deployments];
	memset(d, 0, sizeof(*d));
	d->id = xasprintf("SIM-RB-%zu", w->n_deployments - m->base + 1);
	d->num = num + 1;
	d->seq = seq + 1;
	d->service = t->service;
	d->env = t->env;
	d->pipeline = d->fixes = d->fixed_by = d->rolled_back_by = d->abort_step = -1;
	d->commit = t->commit;
	d->version = xstrdup(t->version);
	d->actor = xstrdup(actor && *actor ? actor : "admin");
	d->via = xstrdup(via);
	d->pattern = PATTERN_ROLLING; /* an undo replaces the pods: no canary steps */
	d->kind = DEPLOY_ROLLBACK;
	d->outcome = DEPLOY_SUCCESS;
	d->start = d->finish = now;
	d->aborted = TIME_NONE;
	d->rolls_back = live;
	d->restores = (long)restores;
	d->previous = live;
	m->undone = xgrow(m->undone, &m->undone_alloc, m->n_undone + 1, sizeof(*m->undone));
	m->undone[m->n_undone++] = live;
	if (live >= 0 && w->deployments[live].rolled_back_by < 0)
		w->deployments[live].rolled_back_by = (long)w->n_deployments;
	return (long)w->n_deployments++;
}

bool
sim_autosync_off(const struct sim *sim, const char *app)
{
	for (size_t i = 0; sim->made && i < sim->made->n_off; i++)
		if (streq(sim->made->autosync_off[i], app))
			return true;
	return false;
}

void
sim_autosync_disable(struct sim *sim, const char *app)
{
	struct sim_made *m = made_of(sim);

	if (sim_autosync_off(sim, app))
		return;
	m->autosync_off =
		xgrow(m->autosync_off, &m->off_alloc, m->n_off + 1, sizeof(*m->autosync_off));
	m->autosync_off[m->n_off++] = xstrdup(app);
}

void
sim_made_release(struct sim *sim)
{
	struct sim_made *m = sim->made;
	struct world *w = &sim->world;

	if (!m)
		return;
	while (w->n_deployments > m->base) {
		struct deployment *d = &w->deployments[--w->n_deployments];
		long undone = m->undone[w->n_deployments - m->base];

		if (undone >= 0 && w->deployments[undone].rolled_back_by == (long)w->n_deployments)
			w->deployments[undone].rolled_back_by = -1;
		free(d->id);
		free(d->version);
		free(d->actor);
		free(d->via);
	}
	for (size_t i = 0; i < m->n_off; i++)
		free(m->autosync_off[i]);
	free(m->autosync_off);
	free(m->undone);
	free(m);
	sim->made = NULL;
}
