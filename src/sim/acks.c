/* acks.c - what clients acknowledged: the one part of the simulated world that
 * requests change. The dialects derive everything else from the immutable world
 * and the clock; an acknowledge made through the API (Opsgenie's POST
 * /v2/alerts/{id}/acknowledge, Zabbix's event.acknowledge) is kept here with the
 * simulated instant it was made at, and the dialects lay it over the world's own
 * acks, so later listings and syncs see it. A reset forgets them. Runs under
 * sim->lock. */
#include "sitrep/sitrep.h"
#include "sim.h"

struct sim_acks {
	struct sim_ack *items;
	size_t n, alloc;
};

struct sim_ack *
sim_ack_add(struct sim *sim, const char *dialect, const char *target, int64_t at_ms,
	    const char *user, const char *note)
{
	struct sim_acks *l = sim->acks ? sim->acks : (sim->acks = xcalloc(1, sizeof(*l)));
	struct sim_ack *a;

	l->items = xgrow(l->items, &l->alloc, l->n + 1, sizeof(*l->items));
	a = &l->items[l->n++];
	memset(a, 0, sizeof(*a));
	a->dialect = xstrdup(dialect);
	a->target = xstrdup(target);
	a->at_ms = at_ms;
	a->user = xstrdup(user ? user : "");
	a->note = note ? xstrdup(note) : NULL;
	a->ok = true;
	return a;
}

const struct sim_ack *
sim_ack_next(const struct sim *sim, const char *dialect, const struct sim_ack *after)
{
	const struct sim_acks *l = sim->acks;
	size_t i = 0;

	if (!l)
		return NULL;
	if (after)
		i = (size_t)(after - l->items) + 1;
	for (; i < l->n; i++)
		if (streq(l->items[i].dialect, dialect))
			return &l->items[i];
	return NULL;
}

struct sim_ack *
sim_ack_request(struct sim *sim, const char *dialect, const char *request)
{
	struct sim_acks *l = sim->acks;

	for (size_t i = 0; l && i < l->n; i++)
		if (streq(l->items[i].dialect, dialect) && streq(l->items[i].request, request))
			return &l->items[i];
	return NULL;
}

void
sim_acks_release(struct sim *sim)
{
	struct sim_acks *l = sim->acks;

	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].dialect);
		free(l->items[i].target);
		free(l->items[i].user);
		free(l->items[i].note);
	}
	free(l->items);
	free(l);
	sim->acks = NULL;
}
