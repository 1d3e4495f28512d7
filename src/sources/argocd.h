/* argocd.h - what the Argo CD source's two files share (src/sources/argocd.c, the
 * applications; argocd-rollout.c, the Argo Rollouts objects read through Argo CD).
 * Private to them. */
#ifndef SITREP_SOURCES_ARGOCD_H
#define SITREP_SOURCES_ARGOCD_H

#include <jansson.h>

/* Where one Argo Rollouts Rollout is, as a deployment shows it. */
struct argocd_rollout {
	const char *pattern; /* canary, blue-green, rolling (static text) */
	/* running, success, failed (Degraded), rolled_back (aborted: traffic went back
	 * to stable); static text. */
	const char *status;
	double weight;	    /* percent of traffic on the new version; NAN: unknown or not
			     * a canary */
	int64_t bake_until; /* end of the current timed pause, or TIME_NONE */
	/* When it ended, or TIME_NONE: abortedAt; for a healthy one the Completed
	 * condition's lastTransitionTime, for a degraded one the failed Progressing
	 * condition's. */
	int64_t ended;
};

/* Reads the live Rollout object (the decoded manifest Argo CD's resource endpoint
 * returns) into *out. Errors start with what ("argocd applications: rollout
 * prod/checkout of checkout-prod") and name the field. */
enum status_code argocd_rollout_read(const json_t *obj, const char *what,
				     struct argocd_rollout *out);

/* ---- JSON fields, for messages naming them ---- */

/* The member of obj at a dotted path ("status.health.status") into *out, NULL when a
 * step is absent or null. It and every object on the way must have the expected
 * type (JSON_TRUE: a boolean); errors read "WHAT: PREFIXPATH is a number, not a
 * string". */
enum status_code argocd_member(const char *what, const json_t *obj, const char *prefix,
			       const char *path, json_type type, const json_t **out);
/* The RFC 3339 instant at path into *at, TIME_NONE when absent. */
enum status_code argocd_instant(const char *what, const json_t *obj, const char *prefix,
				const char *path, int64_t *at);

/* Go's time.ParseDuration as Argo Rollouts reads a pause duration: "90s", "1h30m",
 * "1.5h", "300ms", a bare integer meaning seconds; truncated to whole seconds. */
bool argocd_go_duration(const char *text, int64_t *seconds);

/* The rollback (src/sources/argocd_rollback.c): the ops' act and acted. */
enum status_code argocd_rollback_act(const struct source_ctx *ctx,
				     const struct source_action *action,
				     struct source_request **out);
enum status_code argocd_rollback_acted(const struct source_ctx *ctx,
				       const struct source_action *action,
				       const struct source_request *req,
				       const struct http_response *resp,
				       struct source_request **next, const char **done);

#endif
