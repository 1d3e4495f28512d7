/* daemon.c - `sitrep sync --daemon`: every source on its own interval, one round at
 * a time, until asked to stop. A source whose round failed waits twice as long each
 * time (up to ten intervals) instead of hammering an upstream that is down or
 * rate-limiting. A lock file beside the cache keeps a second daemon off it. After
 * each round, `sitrep sync --daemon` (not the console's worker) acts on the
 * rollback alarm: the auto-rollbacks of src/deploy/alarm.c. */
#include "sitrep/sitrep.h"
#include "sitrep/sync.h"
#include "sitrep/rollback.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#define MAX_SLOWDOWN 10

/* $XDG_STATE_HOME/sitrep/sync.log (or ~/.local/state/...), opened for appending:
 * the daemon's log, never a terminal the console may own. */
FILE *
sync_log_open(void)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *dir = state && *state
			    ? xasprintf("%s/sitrep", state)
			    : xasprintf("%s/.local/state/sitrep", home && *home ? home : ".");
	char *path = xasprintf("%s/sync.log", dir);
	FILE *log;

	for (char *p = dir + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0700);
			*p = '/';
		}
	}
	mkdir(dir, 0700);
	if (!(log = fopen(path, "a")))
		error("cannot open the log %s: %s", path, strerror(errno));
	free(dir);
	free(path);
	return log;
}

struct schedule {
	const struct config_source *src;
	int64_t due;	   /* monotonic ms */
	unsigned failures; /* in a row */
};

static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Takes the daemon lock of the cache at db_path: an open descriptor, or -1 with an
 * error saying which process holds it. */
static int
take_lock(const char *db_path)
{
	char *path = xasprintf("%s.sync-lock", db_path);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	char pid[32] = "";
	ssize_t n;

	if (fd < 0) {
		error("%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		n = read(fd, pid, sizeof(pid) - 1);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		error("another sync daemon runs on this cache (pid %s; lock %s)", *pid ? pid : "?",
		      path);
		close(fd);
		free(path);
		return -1;
	}
	if (ftruncate(fd, 0) == 0) {
		n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
		if (write(fd, pid, (size_t)n) != n)
			n = 0; /* the pid is only informative */
	}
	free(path);
	return fd;
}

static void
log_round(FILE *log, const struct sync_report *r)
{
	char at[TIMESTAMP_TEXT_SIZE];

	if (!log)
		return;
	timestamp_format(time_now(), at, sizeof(at));
	fprintf(log, "%s %s %s %lld records %lld pages %.3f s%s%s\n", at, r->source,
		r->failed ? "failed" : "ok", (long long)r->records, (long long)r->pages, r->seconds,
		r->failed ? ": " : "", r->failed ? r->error : "");
	fflush(log);
}

/* The next source due, and how long until it is. */
static struct schedule *
next_due(struct schedule *s, size_t n, int64_t *wait_ms)
{
	struct schedule *next = &s[0];

	for (size_t i = 1; i < n; i++)
		if (s[i].due < next->due)
			next = &s[i];
	*wait_ms = next->due - monotonic_ms();
	return next;
}

/* Whether the console asked for a round now (of every source, or of one). */
static bool
woken(const struct sync_wake *wake, size_t n_sources)
{
	if (!wake)
		return false;
	if (wake->all)
		return true;
	for (size_t i = 0; wake->source && i < n_sources; i++)
		if (wake->source[i])
			return true;
	return false;
}

static void
wait_until(int64_t ms, const volatile sig_atomic_t *stop, const struct sync_wake *wake,
	   size_t n_sources)
{
	while (ms > 0 && !*stop && !woken(wake, n_sources)) {
		int64_t slice = ms < 100 ? ms : 100;
		struct timespec ts = { 0, (long)slice * 1000000L };

		nanosleep(&ts, NULL);
		ms -= slice;
	}
}

/* Makes the sources the console asked for due now, and clears its flags. */
static void
make_due(struct sync_wake *wake, const struct config *cfg, struct schedule *sched, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = (size_t)(sched[i].src - cfg->sources);

		if (wake->all || (wake->source && wake->source[k]))
			sched[i].due = monotonic_ms();
	}
	/* every flag, also of a source this daemon does not sync: it would wake it forever */
	for (size_t k = 0; wake->source && k < cfg->n_sources; k++)
		wake->source[k] = 0;
	wake->all = 0;
}

static bool
wanted(const char *name, char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (streq(names[i], name))
			return true;
	return n == 0;
}

int
sync_daemon(struct store *store, const struct config *cfg, char **names, size_t n_names,
	    const volatile sig_atomic_t *stop, struct sync_wake *wake, FILE *log, FILE *trace,
	    bool alarm)
{
	struct http_options hopts = { .trace = trace };
	struct sync_options sopts = { .stop = stop };
	struct schedule *sched = xcalloc(cfg->n_sources + 1, sizeof(*sched));
	struct http_client *http;
	size_t n = 0;
	int lock, rc = 0;

	for (size_t i = 0; i < cfg->n_sources; i++)
		if (wanted(cfg->sources[i].name, names, n_names))
			sched[n++] = (struct schedule){ &cfg->sources[i], monotonic_ms(), 0 };
	if (n == 0) {
		free(sched);
		error("no [source] to sync in the config");
		return 1;
	}
	if ((lock = take_lock(store_path(store))) < 0) {
		free(sched);
		return 1;
	}
	http = http_client_new(&hopts);
	while (!*stop) {
		int64_t wait, interval;
		struct schedule *s = next_due(sched, n, &wait);
		struct sync_report report;

		wait_until(wait, stop, wake, cfg->n_sources);
		if (*stop)
			break;
		if (woken(wake, cfg->n_sources)) {
			/* Asked for a round now (the console's r, or :source NAME sync). */
			make_due(wake, cfg, sched, n);
			s = next_due(sched, n, &wait);
		}
		if (sync_round(store, http, cfg, s->src, &sopts, &report) != SUCCESS) {
			rc = 1; /* the cache itself failed: stop */
			break;
		}
		log_round(log, &report);
		/* New samples or deployments may have turned a bake bad. */
		if (alarm && rollback_alarm_act(store, cfg, time_now(), log) != SUCCESS) {
			rc = 1;
			break;
		}
		s->failures = report.failed ? s->failures + 1 : 0;
		interval = (s->src->interval > 0 ? s->src->interval : 60) * 1000;
		s->due = monotonic_ms() +
			 interval * (s->failures
					     ? (s->failures < 4 ? 1 << s->failures : MAX_SLOWDOWN)
					     : 1);
	}
	http_client_free(&http);
	close(lock);
	free(sched);
	return rc;
}
