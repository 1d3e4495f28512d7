/* sync.h - the sync engine: runs a round of each configured source (plan, fetch
 * with retries and backoff, parse, commit each page with its cursor in one
 * transaction) and keeps the sync state the console shows as ok / stale / failing. */
#ifndef SITREP_SYNC_H
#define SITREP_SYNC_H

#include "sitrep/config.h"
#include "sitrep/http.h"
#include "sitrep/store.h"

#include <signal.h>

struct sync_options {
	unsigned max_attempts;	 /* per request, default 4 */
	int64_t base_backoff_ms; /* default 500 */
	int64_t max_wait_ms;	 /* longest wait before a retry (Retry-After too), 30 s */
	unsigned max_pages;	 /* per stream and round, default 100000 */
	uint64_t seed;		 /* backoff jitter */
	/* Set (by a signal handler) to stop: the round ends after the page being
	 * committed, and waits before retries are cut short. May be NULL. */
	const volatile sig_atomic_t *stop;
};

/* How one source's round went: one line of `sitrep sync --once`. */
struct sync_report {
	char source[128];
	int64_t records;
	int64_t pages;
	double seconds;
	bool failed;
	char error[512]; /* the first stream's failure; never a secret */
};

/* Runs one round of src. A failure is reported in report (and in the sync state),
 * never returned: only a failure of the cache itself returns an error. */
enum status_code sync_round(struct store *store, struct http_client *http, const struct config *cfg,
			    const struct config_source *src, const struct sync_options *opts,
			    struct sync_report *report);

/* `sitrep doctor`'s check of src, which writes nothing: the credentials resolve,
 * the login (if any) succeeds, and the first request of every stream the source
 * plans is answered, authorized and parsed. report->pages counts the streams that
 * answered, report->records what they held; report->error says what failed. */
enum status_code sync_probe(struct store *store, struct http_client *http, const struct config *cfg,
			    const struct config_source *src, const struct sync_options *opts,
			    struct sync_report *report);

struct source_page;

/* Completes the page's deployments from their services' local clones ([service]
 * repo): the commits each shipped, with their times, when the upstream did not
 * give them (src/sync/commits.c). */
void sync_fill_commits(struct store *store, const struct config *cfg, struct source_page *page);

enum sync_health {
	SYNC_OK,
	SYNC_STALE,   /* no success for three intervals */
	SYNC_FAILING, /* the last round failed */
	SYNC_NEVER,   /* never synced */
};

const char *sync_health_name(enum sync_health health);
/* The health of a source from its streams' states at now. */
enum sync_health sync_health_of(const struct store_sync_state *states, size_t n, int64_t interval,
				int64_t now, int64_t *last_success, const char **last_error);

/* $XDG_STATE_HOME/sitrep/sync.log (or ~/.local/state/...), opened for appending:
 * the log of rounds, never a terminal the console may own. NULL with an error. */
FILE *sync_log_open(void);

/* What a console asks of the daemon running beside it: a round of every source now
 * (all), or of single ones (source[i] for cfg->sources[i]; NULL when the caller
 * never asks for one). The daemon clears each flag when it has made the round due. */
struct sync_wake {
	volatile sig_atomic_t all;
	volatile sig_atomic_t *source;
};

/* `sitrep sync --daemon`: each source on its own interval (slowed down while it
 * fails), until *stop; one daemon per cache (a lock beside it). wake (when not NULL)
 * makes sources due at once. Rounds are logged to log, one line each. With alarm,
 * each round is followed by the rollback alarm's auto-rollbacks (rollback.h).
 * Returns the exit code. */
int sync_daemon(struct store *store, const struct config *cfg, char **names, size_t n_names,
		const volatile sig_atomic_t *stop, struct sync_wake *wake, FILE *log, FILE *trace,
		bool alarm);

#endif
