/* act.c - the console's upstream actions: `a` acknowledges the selected incident
 * through its source (src/sync/action.c), after a y/n in the status bar.
 *
 * The action runs on a short-lived thread of its own, with its own HTTP client
 * and, to sync the source afterwards, its own cache connection: the console's
 * connection only reads, and the loop keeps drawing while the upstream answers
 * (a slow one may take its whole timeout). It does not wait behind the sync
 * worker's round either, and works the same when a `sitrep sync --daemon` owns
 * the syncing. With --read-only the cache is not written: the upstream is asked,
 * and the daemon's next round brings the ack into the cache. One action at a
 * time; the loop picks up its outcome (act_poll) within a second. */
#include "tui.h"
#include "sitrep/action.h"

#include <pthread.h>
#include <stdatomic.h>

struct act_job {
	pthread_t thread;
	atomic_bool done;
	const struct config *cfg;	 /* the console's, read-only meanwhile */
	const struct config_source *src; /* in cfg */
	char *db_path;			 /* NULL: do not write the cache */
	char *id;
	struct source_action action;
	struct action_report report;
	enum status_code code;
};

static void *
act_main(void *arg)
{
	struct act_job *j = arg;
	struct store *store = NULL;

	if (j->db_path && (j->code = store_open(&store, j->db_path, 0)) != SUCCESS) {
		j->report.failed = true;
		snprintf(j->report.message, sizeof(j->report.message), "%s",
			 status_message(j->code));
	} else {
		j->code = action_run(store, j->cfg, j->src, &j->action, NULL, &j->report);
	}
	store_close(&store);
	atomic_store(&j->done, true);
	return NULL;
}

static void
job_free(struct act_job *j)
{
	free(j->db_path);
	free(j->id);
	free(j);
}

void
act_ack(struct tui *tui, const char *source, const char *id)
{
	const struct config_source *src = config_find_source(&tui->cfg, source);
	char why[512], question[320];
	struct act_job *j;

	if (tui->act) {
		tui_message(tui, true, "an action is under way: wait for its outcome");
		return;
	}
	if (!src) {
		tui_message(tui, true,
			    "%s: not a [source] of the config: nothing to acknowledge "
			    "it through",
			    source);
		return;
	}
	if (!action_supported(src, "ack", why, sizeof(why))) {
		tui_message(tui, true, "%s", why);
		return;
	}
	snprintf(question, sizeof(question), "Acknowledge %.120s in %.120s? y/n", id, source);
	if (!tui_confirm(tui, question)) {
		tui_message(tui, false, "not acknowledged");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->cfg = &tui->cfg;
	j->src = src;
	j->db_path = tui->opts->read_only ? NULL : xstrdup(store_path(tui->store));
	j->id = xstrdup(id);
	j->action =
		(struct source_action){ .kind = "ack", .id = j->id, .who = action_user(&tui->cfg) };
	if (pthread_create(&j->thread, NULL, act_main, j) != 0) {
		tui_message(tui, true, "could not start the acknowledge");
		job_free(j);
		return;
	}
	tui->act = j;
	tui_message(tui, false, "acknowledging %.120s in %.120s...", id, source);
}

void
act_poll(struct tui *tui)
{
	struct act_job *j = tui->act;

	if (!j || !atomic_load(&j->done))
		return;
	pthread_join(j->thread, NULL);
	tui->act = NULL;
	if (j->code != SUCCESS && !j->report.failed)
		tui_message(tui, true, "%s", status_message(j->code));
	else if (j->report.failed)
		tui_message(tui, true, "%s", j->report.message);
	else if (!j->db_path)
		tui_message(tui, false, "%s (read-only: the sync daemon's next round shows it)",
			    j->report.message);
	else if (j->report.sync.failed)
		tui_message(tui, false, "%s (the sync after it failed: the next one shows it)",
			    j->report.message);
	else
		tui_message(tui, false, "%s", j->report.message);
	job_free(j);
}

void
act_finish(struct tui *tui)
{
	if (tui->act) {
		pthread_join(tui->act->thread, NULL);
		job_free(tui->act);
		tui->act = NULL;
	}
}
