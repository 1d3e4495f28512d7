/* gitlab_rollback.c - a rollback on GitLab: the environment page's Rollback button
 * through the API, a retry of the deployment job of the target deployment
 * (cicd-rollback.md 2.6), which makes a new deployment of the old sha.
 *
 * POST /projects/:id/jobs/:job_id/retry answers 201 with the new job. The job is
 * the target deployment's deployable (deployments.target, gitlab_deployments.c); a
 * deployment made through the API has none and cannot be rolled back this way.
 * GitLab refuses with 403 (no permission on a protected environment), 404, or 422
 * (the job was retried since, is archived, or "prevent outdated deployment jobs"
 * is on). Written once: a 5xx or a timeout may have started the job.
 *
 * It must not do I/O; error messages, which quote the server, are sanitized. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include "sitrep/config.h"
#include "gitlab-private.h"

#define STREAM "action:rollback"

enum status_code
gitlab_rollback_act(const struct source_ctx *ctx, const struct source_action *action,
		    struct source_request **out)
{
	struct source_request *req;
	char *project, *url;

	*out = NULL;
	if (!streq(action->kind, "rollback"))
		return error("gitlab %s: GitLab has no action \"%s\" here (it can roll back "
			     "by retrying a deployment job)",
			     ctx->name, action->kind);
	if (!action->target || !*action->target)
		return error("gitlab %s: no project to roll back in", ctx->name);
	if (!action->job || !*action->job ||
	    strspn(action->job, "0123456789") != strlen(action->job))
		return error("gitlab %s: deployment %.60s has no job to retry (a deployment "
			     "made through the API cannot be rolled back by GitLab)",
			     ctx->name, action->id ? action->id : "");
	project = gl_project_url(ctx, action->target);
	url = xasprintf("%s/jobs/%s/retry", project, action->job);
	req = gl_request(ctx, STREAM, url);
	free(req->method);
	req->method = xstrdup("POST");
	free(project);
	*out = req;
	return SUCCESS;
}

enum status_code
gitlab_rollback_acted(const struct source_ctx *ctx, const struct source_action *action,
		      const struct source_request *req, const struct http_response *resp,
		      struct source_request **next, const char **done)
{
	enum status_code code;
	char *what = xasprintf("retry of job %.30s", action->job);

	(void)req;
	*next = NULL;
	code = source_check_write("gitlab", ctx->name, what, resp, 201);
	free(what);
	if (code == SUCCESS)
		*done = "retried the deployment job of";
	return code;
}
