/* rollback.h - the rollback engine (src/deploy/): the plan (what is running in a
 * service's environment, what to go back to, which commits that removes, how),
 * the executors ([deploy "SERVICE.ENV"] rollback = exec:, argocd:, github:,
 * gitlab:), the per service and environment lock across processes, and the audit
 * rows of every step. Used by `sitrep rollback` and, later, the console's R dialog
 * and the rollback alarm. */
#ifndef SITREP_ROLLBACK_H
#define SITREP_ROLLBACK_H

#include "sitrep/config.h"
#include "sitrep/store.h"
#include "sitrep/health.h"

#define ROLLBACK_DEFAULT_TIMEOUT 300 /* seconds */

enum rollback_executor {
	ROLLBACK_EXEC,	 /* exec:COMMAND and kubectl:ARGS (kubectl ARGS) */
	ROLLBACK_ARGOCD, /* argocd:APP */
	ROLLBACK_GITHUB, /* github:OWNER/REPO */
	ROLLBACK_GITLAB, /* gitlab:PROJECT */
};

/* A deployment as the plan shows it (strings new). */
struct rollback_deployment {
	char *source, *source_id, *version, *sha, *status, *target;
	int64_t started_at, finished_at;
};

/* A commit the rollback takes out of the environment. */
struct rollback_commit {
	char *sha;
	char *summary; /* from the service's clone, or NULL; untrusted */
};

struct rollback_plan {
	char *service, *environment;
	char *name; /* "checkout.production": the lock's and the audit's target */
	bool production;
	struct rollback_deployment current, target;
	char **current_ids;		 /* source_id of every source's record of current */
	struct rollback_commit *removed; /* newest first */
	size_t n_removed;
	bool removed_more; /* more than were listed */
	enum rollback_executor executor;
	char *argument; /* the spec after "KIND:" (the command, the app, ...) */
	char **argv;	/* ROLLBACK_EXEC: the command, placeholders substituted */
	size_t argc;
	const struct config_source *source; /* the API executors' [source] (borrowed) */
	const char *repo; /* the service's clone ([service] repo), or NULL (borrowed) */
	char *call;	  /* what will be done, one line ("POST https://..."), no secret */
	char *autosync;	  /* why an automated sync may undo it, or NULL */
	int64_t timeout;  /* seconds */
	bool allow_disable_autosync;
};

/* Builds the plan for service in environment (NULL: production) back to the
 * previous successful deployment, or to the newest successful one of version
 * to_version. Errors say what is missing (no [deploy] section, no deployment,
 * nothing to go back to, no source for the executor). Reads only the cache and
 * the service's clone. */
enum status_code rollback_plan_build(struct store *store, const struct config *cfg,
				     const char *service, const char *environment,
				     const char *to_version, struct rollback_plan *plan);
void rollback_plan_release(struct rollback_plan *plan);
/* The plan for a person, several lines; untrusted text sanitized. */
void rollback_plan_print(const struct rollback_plan *plan, FILE *out);

/* Splits template into words (blanks separate them; '...' and "..." keep blanks,
 * a backslash takes the next character), then replaces {service} {env} {version}
 * {sha} {revision} inside each word: a value never becomes more than one argument
 * and no shell ever reads it. *argv (n words, NULL-terminated) is new. Errors name
 * an unknown placeholder, an unclosed quote or an empty command. */
struct rollback_vars {
	const char *service, *env, *version, *sha, *revision;
};
enum status_code rollback_template_expand(const char *template, const struct rollback_vars *vars,
					  char ***argv, size_t *n);
void rollback_argv_free(char **argv);

/* Output of an executor as it arrives (a line at most, without its newline), for
 * the console to stream; ctx is the caller's. */
typedef void (*rollback_output_fn)(void *ctx, const char *line);

enum rollback_outcome {
	ROLLBACK_SUCCEEDED,
	ROLLBACK_FAILED,
	ROLLBACK_TIMED_OUT,
};

/* Runs argv (argv[0] looked up in PATH, no shell) with stdin from /dev/null and
 * stdout and stderr captured together, killing it (its process group) after
 * timeout seconds. *excerpt (new) is the output's last lines, credentials
 * redacted; *why (new) says how it ended ("exit 3", "killed after 5s"). */
enum rollback_outcome rollback_exec_run(char *const *argv, int64_t timeout, rollback_output_fn fn,
					void *ctx, char **excerpt, char **why);

/* Replaces what follows token=, password=, secret=, Bearer, Authorization: and the
 * like by "[redacted]", in place. */
void rollback_redact(char *text);

/* Who acts, for the audit and the lock. */
struct rollback_actor {
	char user[128];
	char host[256];	    /* the SSH client's address, else this host's name */
	char hostname[256]; /* this host's name: where the lock's pid lives */
	int64_t pid;
};
void rollback_actor_init(struct rollback_actor *actor, const struct config *cfg);

/* The lock of plan->name for actor: *taken, or *held says who has it (release
 * with store_lock_release). A holder on this host whose process is gone is taken
 * over. */
enum status_code rollback_lock_take(struct store *store, const struct rollback_plan *plan,
				    const struct rollback_actor *actor, int64_t now, bool *taken,
				    struct store_lock *held);
enum status_code rollback_lock_drop(struct store *store, const struct rollback_plan *plan,
				    const struct rollback_actor *actor);

/* "to 1.4.2 (abc123def456) from 1.5.0 (0123456789ab): CALL", for the audit (new). */
char *rollback_summary(const struct rollback_plan *plan);

/* An audit row: kind rollback, target plan->name, result, detail (redacted). */
enum status_code rollback_audit(struct store *store, const struct rollback_plan *plan,
				const struct rollback_actor *actor, int64_t at, const char *result,
				const char *detail);

struct rollback_report {
	enum rollback_outcome outcome;
	char message[512]; /* one line: what happened; never a secret */
	char *excerpt;	   /* output excerpt (exec), or NULL; new */
	bool synced;	   /* the source was synced after (API executors) */
};

/* Carries out plan for actor: the lock (refused: an error naming the holder and
 * since when, audited "refused"), the executor, the audit row of its outcome, a
 * rollback event on the timeline of every incident the current deployment caused,
 * and, for an API executor, a sync of its source. The caller audited "requested"
 * and "confirmed". Only a failure of the cache or a refused lock is an error. */
enum status_code rollback_run(struct store *store, const struct config *cfg,
			      const struct rollback_plan *plan, const struct rollback_actor *actor,
			      rollback_output_fn fn, void *ctx, struct rollback_report *report);
void rollback_report_release(struct rollback_report *report);

/* ---- the rollback alarm (alarm.c) ---- */

#define ROLLBACK_ALARM_USER "sitrep-alarm"

/* A baking deployment whose health is failing (health.h). */
struct rollback_alarm {
	char *name; /* "checkout.production" */
	struct store_deploy_row deploy;
	struct health_report health;
	char *acted; /* how the alarm's auto-rollback of it stands (the last audit
		      * result: "succeeded", "failed", ...), or NULL: not acted on */
};

/* Every baking deployment (the newest of its service and environment) whose
 * verdict at now is failing, newest first. */
enum status_code rollback_alarms(struct store *store, const struct config *cfg, int64_t now,
				 struct rollback_alarm **alarms, size_t *n);
/* Every baking deployment with its health, whatever the verdict (`sitrep status`). */
enum status_code rollback_bakes(struct store *store, const struct config *cfg, int64_t now,
				struct rollback_alarm **bakes, size_t *n);
void rollback_alarms_free(struct rollback_alarm *alarms, size_t n);
/* "checkout.production 1.44.0-rc.1 canary 10%: errors/min 121.5 vs 58.7 baseline
 * (x2.07) for 3m30s", and once the alarm acted " (auto-rollback succeeded)", for a
 * banner or a status line (untrusted text not yet sanitized). */
void rollback_alarm_describe(const struct rollback_alarm *alarm, char *buf, size_t size);

/* The sync's part of the alarm: for each alarm whose [deploy "SERVICE.ENV"] has
 * auto-rollback = true, the rollback through rollback_run as ROLLBACK_ALARM_USER,
 * audited like a person's (requested, confirmed, then the outcome), once per
 * deployment: an audit row of the alarm for it, from this process or an earlier
 * one, means it was done. What happened is written to log (may be NULL), one
 * line each. */
enum status_code rollback_alarm_act(struct store *store, const struct config *cfg, int64_t now,
				    FILE *log);

#endif
