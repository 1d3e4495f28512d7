/* action.h - upstream actions: what a person does to an upstream record from sitrep
 * (acknowledge an incident; later, roll back a deployment), through the source's
 * ops (act, acted) and the sync engine's HTTP path, then a sync round of that source
 * so that the cache shows the result. Used by `sitrep ack` and the console's `a`. */
#ifndef SITREP_ACTION_H
#define SITREP_ACTION_H

#include "sitrep/config.h"
#include "sitrep/source.h"
#include "sitrep/store.h"
#include "sitrep/sync.h"

struct action_report {
	bool failed;
	char message[512]; /* what happened, or why not: one line, never a secret */
	bool timed_out;	   /* failed: no answer in time, or not done when the follow-ups ended */
	bool synced;	   /* a sync round of the source ran after the action */
	struct sync_report sync;
};

/* Whether sources of src's type can do kind; false with why set (a line naming
 * the upstream and what it offers instead) when they cannot. No request is made. */
bool action_supported(const struct config_source *src, const char *kind, char *why, size_t size);

/* The person actions are done for: [sitrep] user, else $USER, else "sitrep"
 * (borrowed). */
const char *action_user(const struct config *cfg);

/* Runs action against src: the request, no retry once it may have reached the
 * upstream, and the follow-ups of an asynchronous write. When it succeeded and
 * store is not NULL, a sync round of src follows, so the cache shows what
 * changed. Failures go into report (the upstream's state is unchanged as far as
 * sitrep knows); only a failure of the cache is returned. opts may be NULL. */
enum status_code action_run(struct store *store, const struct config *cfg,
			    const struct config_source *src, const struct source_action *action,
			    const struct sync_options *opts, struct action_report *report);

#endif
