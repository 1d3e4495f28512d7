/* presence.c - who else is looking at a service, for the rollback dialog.
 *
 * Each console that may write the cache keeps one row in the locks table (the
 * table the rollback lock lives in, shared by every process of the cache) named
 * "viewer:HOSTNAME:PID:VIEW:SERVICE", holder the user, host where the person is
 * (the SSH client's address, else this host's name), since the last refresh. A
 * thread of its own with its own connection writes it when the view or the
 * selected service changes and every few seconds, so a slow write (a sync holding
 * the cache) never stops the loop. A row not refreshed for PRESENCE_TTL seconds, or
 * whose process on this host is gone, is somebody who left. A --read-only console
 * writes nothing, so it is not seen. */
#include "tui.h"
#include "sitrep/rollback.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#define PRESENCE_REFRESH 3 /* seconds */
#define PRESENCE_TTL 15	   /* seconds without a refresh: gone */
#define PRESENCE_PREFIX "viewer:"

struct presence {
	pthread_t thread;
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	bool stop, changed;
	char *db_path;
	struct rollback_actor actor;
	char prefix[320]; /* "viewer:HOSTNAME:PID:" */
	char name[640];	  /* prefix, view and service: what the row says now */
};

static void
presence_write(struct store *store, struct presence *p, char *name)
{
	struct store_lock row = { name, p->actor.user, p->actor.host, p->actor.pid, time_now() };

	/* Presence is a courtesy: a cache too busy this once is tried again later. */
	store_lock_replace(store, p->prefix, &row);
}

static void *
presence_main(void *arg)
{
	struct presence *p = arg;
	struct store *store = NULL;
	char name[sizeof(p->name)];

	if (store_open(&store, p->db_path, 0) != SUCCESS)
		return NULL;
	pthread_mutex_lock(&p->mutex);
	while (!p->stop) {
		struct timespec until;

		string_copy(name, p->name);
		p->changed = false;
		pthread_mutex_unlock(&p->mutex);
		presence_write(store, p, name);
		pthread_mutex_lock(&p->mutex);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += PRESENCE_REFRESH;
		while (!p->stop && !p->changed &&
		       pthread_cond_timedwait(&p->cond, &p->mutex, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&p->mutex);
	store_lock_replace(store, p->prefix, NULL);
	store_close(&store);
	return NULL;
}

void
presence_start(struct tui *tui)
{
	struct presence *p;

	if (tui->opts->read_only)
		return;
	p = xcalloc(1, sizeof(*p));
	rollback_actor_init(&p->actor, &tui->cfg);
	snprintf(p->prefix, sizeof(p->prefix), PRESENCE_PREFIX "%s:%lld:", p->actor.hostname,
		 (long long)p->actor.pid);
	snprintf(p->name, sizeof(p->name), "%s:", p->prefix);
	p->db_path = xstrdup(store_path(tui->store));
	pthread_mutex_init(&p->mutex, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (pthread_create(&p->thread, NULL, presence_main, p) != 0) {
		pthread_mutex_destroy(&p->mutex);
		pthread_cond_destroy(&p->cond);
		free(p->db_path);
		free(p);
		return;
	}
	tui->presence = p;
}

void
presence_update(struct tui *tui, const char *view, const char *service)
{
	struct presence *p = tui->presence;
	char name[sizeof(p->name)];

	if (!p)
		return;
	snprintf(name, sizeof(name), "%s%s:%s", p->prefix, view ? view : "",
		 service ? service : "");
	pthread_mutex_lock(&p->mutex);
	if (!streq(name, p->name)) {
		string_copy(p->name, name);
		p->changed = true;
		pthread_cond_signal(&p->cond);
	}
	pthread_mutex_unlock(&p->mutex);
}

void
presence_stop(struct tui *tui)
{
	struct presence *p = tui->presence;

	if (!p)
		return;
	pthread_mutex_lock(&p->mutex);
	p->stop = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->mutex);
	pthread_join(p->thread, NULL);
	pthread_mutex_destroy(&p->mutex);
	pthread_cond_destroy(&p->cond);
	free(p->db_path);
	free(p);
	tui->presence = NULL;
}

/* A row's name, "viewer:HOSTNAME:PID:VIEW:SERVICE", into its parts (pointing into
 * name, which is cut). The service is last: it may hold a colon. */
static bool
parse_name(char *name, const char **hostname, long long *pid, const char **view,
	   const char **service)
{
	char *p = name + strlen(PRESENCE_PREFIX), *end;

	*hostname = p;
	if (!(p = strchr(p, ':')))
		return false;
	*p++ = '\0';
	errno = 0;
	*pid = strtoll(p, &end, 10);
	if (errno || end == p || *end != ':')
		return false;
	*view = end + 1;
	if (!(p = strchr(end + 1, ':')))
		return false;
	*p = '\0';
	*service = p + 1;
	return true;
}

void
presence_others(struct tui *tui, const char *service, char ***lines, size_t *n)
{
	struct rollback_actor me;
	struct store_lock *rows = NULL;
	size_t n_rows = 0;

	rollback_actor_init(&me, &tui->cfg);
	if (store_locks_named(tui->store, PRESENCE_PREFIX, time_now() - PRESENCE_TTL, &rows,
			      &n_rows) != SUCCESS)
		return;
	for (size_t i = 0; i < n_rows; i++) {
		const char *hostname, *view, *what;
		long long pid;

		if (!parse_name(rows[i].name, &hostname, &pid, &view, &what) ||
		    !streq(what, service))
			continue;
		if (streq(hostname, me.hostname) &&
		    (pid == me.pid ||
		     (pid > 0 && pid <= INT32_MAX && kill((pid_t)pid, 0) != 0 && errno == ESRCH)))
			continue; /* this console, or one that died without a word */
		*lines = xrealloc(*lines, (*n + 1) * sizeof(**lines));
		(*lines)[(*n)++] =
			xasprintf("%s (%s) in %s", rows[i].holder, rows[i].host,
				  streq(view, "rollback") ? "the rollback dialog" : view);
	}
	store_locks_free(rows, n_rows);
}
