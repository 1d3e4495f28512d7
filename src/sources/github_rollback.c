/* github_rollback.c - a rollback on GitHub: a new deployment of the target's sha
 * to the environment (cicd-rollback.md 1.3 and 1.6, way 3), which the deployer
 * listening to deployment events carries out.
 *
 * POST /repos/OWNER/REPO/deployments {"ref": SHA, "environment", "task": "deploy",
 * "auto_merge": false (never merge the default branch into an old sha),
 * "required_contexts": [] (the old sha's statuses may be gone or red: this is an
 * emergency), "production_environment", "description", "payload": {"rollback":
 * true, "version", "actor"}} answers 201 with the deployment; 202 would mean GitHub
 * merged instead of deploying, 409 and 422 a conflict or a refused ref. The payload
 * and description make the github source see it as a rollback (kind rollback) on
 * the next sync. Written once: a 5xx or a timeout may have created it.
 *
 * It must not do I/O; error messages, which quote the server, are sanitized. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include "sitrep/config.h"
#include "sitrep/json.h"

#include "github-private.h"

#define STREAM "action:rollback"

enum status_code
github_rollback_act(const struct source_ctx *ctx, const struct source_action *action,
		    struct source_request **out)
{
	const char *base = config_source_get(ctx->config, "url");
	struct source_request *req;
	char *path, *description;
	json_t *body;
	bool production;

	*out = NULL;
	if (!streq(action->kind, "rollback"))
		return error(GH_TYPE " %s: GitHub has no action \"%s\" here (it can roll back "
				     "with a new deployment)",
			     ctx->name, action->kind);
	if (!base || !*base)
		return error(GH_TYPE " %s: no url configured", ctx->name);
	if (!action->target || !strchr(action->target, '/'))
		return error(GH_TYPE " %s: no repository (OWNER/REPO) to deploy in", ctx->name);
	if (!action->sha || !*action->sha || !action->environment || !*action->environment)
		return error(GH_TYPE " %s: the target deployment has no sha or environment",
			     ctx->name);
	production = streq(action->environment, "production") || streq(action->environment, "prod");
	path = xasprintf("/repos/%s/deployments", action->target);
	req = xcalloc(1, sizeof(*req));
	req->stream = xstrdup(STREAM);
	req->method = xstrdup("POST");
	req->url = source_url(base, path);
	source_request_header(req, "Accept", "application/vnd.github+json");
	source_request_header(req, "X-GitHub-Api-Version", "2022-11-28");
	source_request_bearer(req, ctx->secret);
	source_request_header(req, "Content-Type", "application/json");
	description = xasprintf("Rollback of %s to %s by %s",
				action->service ? action->service : action->target,
				action->version ? action->version : action->sha, action->who);
	body = json_pack("{s:s, s:s, s:s, s:b, s:[], s:b, s:s, s:{s:b, s:s?, s:s}}", "ref",
			 action->sha, "environment", action->environment, "task", "deploy",
			 "auto_merge", 0, "required_contexts", "production_environment", production,
			 "description", description, "payload", "rollback", 1, "version",
			 action->version, "actor", action->who);
	req->body = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	free(description);
	free(path);
	*out = req;
	return SUCCESS;
}

enum status_code
github_rollback_acted(const struct source_ctx *ctx, const struct source_action *action,
		      const struct source_request *req, const struct http_response *resp,
		      struct source_request **next, const char **done)
{
	enum status_code code;
	char *what = xasprintf("deployment of %.40s to %.60s", action->sha, action->environment);

	(void)req;
	*next = NULL;
	if (resp->status == 202)
		code = error(GH_TYPE " %s: %s: GitHub merged the default branch instead of "
				     "deploying (HTTP 202)",
			     ctx->name, what);
	else
		code = source_check_write(GH_TYPE, ctx->name, what, resp, 201);
	free(what);
	if (code == SUCCESS)
		*done = "deployed again";
	return code;
}
