/* test_rollback.c - the rollback engine (src/deploy/) and the rollback writes of
 * the CI/CD sources: the exec: template split then substituted without a shell
 * (a version such as "1.2; rm -rf /" stays one argument), the command's outcome
 * (success, exit code, timeout, output lines, credentials redacted), the plan from
 * a real cache (current, target, --to, the commits removed, the call, the
 * auto-sync warning, what is refused), the lock (refused while its holder lives,
 * taken over from a dead pid on this host, never from another host), the audit
 * rows and the incident timeline, and the requests of Argo CD, GitHub and GitLab
 * rollbacks with the answers to them. */
#include "sitrep/sitrep.h"
#include "sitrep/source.h"

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source_support.h"
#include "store_support.h"
#include "support.h"

#include "sitrep/config.h"
#include "sitrep/rollback.h"
#include "sitrep/timestamp.h"

/* ---- the template ---- */

static const struct rollback_vars vars = { "checkout", "production", "1.2; rm -rf /",
					   "6a6609a3d4ec545a3b555bebde072125c8b1de18", "7" };

static void
expands(const char *template, const char *const *want)
{
	char **argv;
	size_t n, i;

	if (rollback_template_expand(template, &vars, &argv, &n) != SUCCESS)
		fail_msg("%s: %s", template, status_message(ERROR_CUSTOM_MESSAGE));
	for (i = 0; want[i]; i++) {
		assert_true(i < n);
		assert_string_equal(argv[i], want[i]);
	}
	assert_int_equal(n, i);
	assert_null(argv[n]);
	rollback_argv_free(argv);
}

static void
template_without_shell(void **state)
{
	(void)state;
	/* the hostile version is one argument, its ; and spaces intact */
	expands("deploy-tool rollback {service} --to {version}",
		(const char *const[]){ "deploy-tool", "rollback", "checkout", "--to",
				       "1.2; rm -rf /", NULL });
	/* placeholders inside words, several in one */
	expands("kubectl -n {env} rollout undo deployment/{service} --to-revision={revision}",
		(const char *const[]){ "kubectl", "-n", "production", "rollout", "undo",
				       "deployment/checkout", "--to-revision=7", NULL });
	/* quotes keep blanks; a value in quotes is still one argument */
	expands("helm  rollback 'my release' \"{service} {version}\" a\\ b {sha}",
		(const char *const[]){ "helm", "rollback", "my release", "checkout 1.2; rm -rf /",
				       "a b", "6a6609a3d4ec545a3b555bebde072125c8b1de18", NULL });
	/* braces that are not a placeholder name stay */
	expands("jq {} {.a} '{x-y}'", (const char *const[]){ "jq", "{}", "{.a}", "{x-y}", NULL });
}

static void
template_errors(void **state)
{
	char **argv = NULL;
	size_t n = 9;

	(void)state;
	assert_int_equal(rollback_template_expand("x {servce}", &vars, &argv, &n),
			 ERROR_CUSTOM_MESSAGE);
	assert_non_null(
		strstr(status_message(ERROR_CUSTOM_MESSAGE), "unknown placeholder {servce}"));
	assert_null(argv);
	assert_int_equal(n, 0);
	assert_int_equal(rollback_template_expand("x 'open", &vars, &argv, &n),
			 ERROR_CUSTOM_MESSAGE);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "unclosed ' quote"));
	assert_int_equal(rollback_template_expand("   ", &vars, &argv, &n), ERROR_CUSTOM_MESSAGE);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "empty"));
}

/* ---- running a command ---- */

struct lines {
	char *text[8];
	size_t n;
};

static void
collect_line(void *ctx, const char *line)
{
	struct lines *l = ctx;

	if (l->n < ARRAY_SIZE(l->text))
		l->text[l->n++] = xstrdup(line);
}

static void
lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->text[i]);
}

static char **
command(const char *template)
{
	char **argv;
	size_t n;

	assert_int_equal(rollback_template_expand(template, &vars, &argv, &n), SUCCESS);
	return argv;
}

static void
exec_outcomes(void **state)
{
	char **argv;
	size_t n;
	char *excerpt, *why;
	struct lines l = { 0 };

	(void)state;
	/* printf gets the version as one argument: no shell split it at ; */
	assert_int_equal(
		rollback_template_expand("printf '[%s]\\n' {version} {service}", &vars, &argv, &n),
		SUCCESS);
	assert_int_equal(rollback_exec_run(argv, 5, collect_line, &l, &excerpt, &why),
			 ROLLBACK_SUCCEEDED);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.text[0], "[1.2; rm -rf /]");
	assert_string_equal(l.text[1], "[checkout]");
	assert_string_equal(excerpt, "[1.2; rm -rf /]\n[checkout]\n");
	assert_string_equal(why, "exit 0");
	rollback_argv_free(argv);
	lines_free(&l);
	free(excerpt);
	free(why);

	/* a failure says its exit code */
	memset(&l, 0, sizeof(l));
	argv = command("sh -c \"echo 'Authorization: Bearer s3cr3t-t0ken-value'; exit 3\"");
	assert_int_equal(rollback_exec_run(argv, 5, collect_line, &l, &excerpt, &why),
			 ROLLBACK_FAILED);
	rollback_argv_free(argv);
	assert_string_equal(why, "exit 3");
	assert_int_equal(l.n, 1);
	assert_null(strstr(l.text[0], "s3cr3t"));
	assert_null(strstr(excerpt, "s3cr3t"));
	assert_string_equal(excerpt, "Authorization: Bearer [redacted]\n");
	lines_free(&l);
	free(excerpt);
	free(why);

	/* a command that does not exist */
	argv = command("/nonexistent/sitrep-undo");
	assert_int_equal(rollback_exec_run(argv, 5, NULL, NULL, &excerpt, &why), ROLLBACK_FAILED);
	rollback_argv_free(argv);
	assert_string_equal(why, "exit 127");
	assert_non_null(strstr(excerpt, "cannot run /nonexistent/sitrep-undo"));
	free(excerpt);
	free(why);

	/* the timeout stops the command and what it started */
	argv = command("sh -c 'echo started; sleep 30 & sleep 30'");
	assert_int_equal(rollback_exec_run(argv, 1, NULL, NULL, &excerpt, &why),
			 ROLLBACK_TIMED_OUT);
	rollback_argv_free(argv);
	assert_string_equal(why, "stopped after 1s");
	assert_string_equal(excerpt, "started\n");
	free(excerpt);
	free(why);
}

static void
redaction(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "token=abc123456789xyz done", "token=[redacted] done" },
		{ "password: hunter2", "password: *******" },
		{ "curl -H 'PRIVATE-TOKEN: glpat-0123456789abcdef'",
		  "curl -H 'PRIVATE-TOKEN: [redacted]'" },
		{ "--token abcdefghijklmnop", "--token [redacted]" },
		/* words that only start like a key stay */
		{ "tokens left: 3, secretary", "tokens left: 3, secretary" },
		{ "rolled back 1.4.2", "rolled back 1.4.2" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *text = xstrdup(cases[i].in);

		rollback_redact(text);
		assert_string_equal(text, cases[i].out);
		free(text);
	}
}

/* ---- the plan, the lock, the audit ---- */

static struct config cfg;

static void
load_config(const char *text)
{
	char *path = xasprintf("%s/config", dir);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, 0600);
	if (config_load(&cfg, path, true) != SUCCESS || cfg.n_problems)
		fail_msg("config: %s",
			 cfg.n_problems ? cfg.problems[0] : status_message(ERROR_CUSTOM_MESSAGE));
	free(path);
}

static void
deploy(struct store *store, const char *source, const char *id, const char *env, const char *status,
       const char *version, const char *sha, const char *started, const char *const *commits)
{
	struct dora_commit c[4] = { 0 };
	struct store_deployment d = {
		.source = source,
		.source_id = id,
		.service = "checkout",
		.environment = env,
		.status = status,
		.version = version,
		.sha = sha,
		.started_at = ts(started),
		.finished_at = ts(started) + 300,
		.updated_at = ts(started) + 300,
		.canary_weight = NAN,
		.bake_until = TIME_NONE,
	};

	for (; commits && commits[d.n_commits]; d.n_commits++) {
		c[d.n_commits].sha = commits[d.n_commits];
		c[d.n_commits].committed_at = TIME_NONE;
	}
	d.commits = c;
	assert_int_equal(store_upsert_deployment(store, &d), SUCCESS);
}

#define SHA(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

/* checkout in production: 1.0 ok, 1.1 ok, 1.1 redeployed, 1.2 failed, 1.3 running;
 * staging elsewhere; one Argo CD application record. */
static struct store *
world(const char *name)
{
	struct store *store = fresh(name);

	deploy(store, "ci", "d1", "production", "success", "1.0.0", SHA("1"),
	       "2025-03-01T10:00:00Z", (const char *const[]){ "c1", NULL });
	deploy(store, "ci", "d2", "production", "success", "1.1.0", SHA("2"),
	       "2025-03-02T10:00:00Z", (const char *const[]){ "c2", NULL });
	deploy(store, "ci", "d3", "production", "success", "1.1.0", SHA("2"),
	       "2025-03-02T12:00:00Z", NULL);
	deploy(store, "ci", "d4", "production", "failed", "1.2.0", SHA("4"), "2025-03-03T10:00:00Z",
	       (const char *const[]){ "c4", NULL });
	deploy(store, "ci", "d5", "production", "running", "1.3.0", SHA("5"),
	       "2025-03-04T10:00:00Z", (const char *const[]){ "c5a", "c5b", NULL });
	deploy(store, "ci", "s1", "staging", "success", "1.3.0", SHA("5"), "2025-03-04T09:00:00Z",
	       NULL);
	deploy(store, "argo", "checkout-prod:3", "production", "success", "1.3.0", SHA("5"),
	       "2025-03-04T10:00:00Z", NULL);
	return store;
}

static void
plan_previous_and_to(void **state)
{
	struct store *store = world("plan");
	struct rollback_plan plan;

	(void)state;
	load_config("[source \"argo\"]\n\ttype = argocd\n\turl = https://argocd.example.com\n"
		    "\ttoken = t\n[deploy \"checkout.production\"]\n\trollback = exec:undo "
		    "{service} {version} {sha} {revision}\n\ttimeout = 90s\n[deploy]\n\ttimeout = "
		    "10m\n");
	assert_int_equal(rollback_plan_build(store, &cfg, "checkout", NULL, NULL, &plan), SUCCESS);
	assert_string_equal(plan.name, "checkout.production");
	assert_true(plan.production);
	/* the running 1.3.0 is current (the newest record: Argo CD's of the same rollout) */
	assert_string_equal(plan.current.version, "1.3.0");
	/* back past the failed 1.2.0 to the newest success of another version: d3 */
	assert_string_equal(plan.target.source_id, "d3");
	assert_string_equal(plan.target.version, "1.1.0");
	assert_int_equal(plan.executor, ROLLBACK_EXEC);
	assert_int_equal(plan.argc, 5);
	assert_string_equal(plan.argv[4], "d3");
	assert_string_equal(plan.call, "undo checkout 1.1.0 " SHA("2") " d3");
	assert_int_equal(plan.timeout, 90);
	/* an Argo CD application deploys there: its auto-sync may undo an exec: */
	assert_non_null(plan.autosync);
	assert_non_null(strstr(plan.autosync, "Argo CD application argo deploys checkout"));
	rollback_plan_release(&plan);

	/* --to: the newest success of that version; the commits since are removed */
	assert_int_equal(rollback_plan_build(store, &cfg, "checkout", "production", "1.0.0", &plan),
			 SUCCESS);
	assert_string_equal(plan.target.source_id, "d1");
	assert_int_equal(plan.n_removed, 3);
	/* only the deployments that reached production: not the failed d4's c4 */
	assert_string_equal(plan.removed[0].sha, "c5a");
	assert_string_equal(plan.removed[1].sha, "c5b");
	assert_string_equal(plan.removed[2].sha, "c2");
	rollback_plan_release(&plan);

	/* refused: a version that never succeeded there, a service with nothing before */
	assert_int_equal(rollback_plan_build(store, &cfg, "checkout", NULL, "1.2.0", &plan),
			 ERROR_CUSTOM_MESSAGE);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE),
			       "no successful deployment of 1.2.0 to production"));
	rollback_plan_release(&plan);
	assert_int_equal(rollback_plan_build(store, &cfg, "checkout", "staging", NULL, &plan),
			 ERROR_CUSTOM_MESSAGE);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE),
			       "no [deploy \"checkout.staging\"] with a rollback"));
	rollback_plan_release(&plan);
	config_release(&cfg);
	store_close(&store);
}

static void
plan_api_executors(void **state)
{
	struct store *store = world("api");
	struct rollback_plan plan;

	(void)state;
	load_config("[source \"argo\"]\n\ttype = argocd\n\turl = https://u:pw@argocd.example.com\n"
		    "\ttoken = t\n\tapp = checkout-prod\n"
		    "[source \"gh\"]\n\ttype = github\n\trepo = acme/checkout\n\ttoken = t\n"
		    "[deploy \"checkout.production\"]\n\trollback = argocd:checkout-prod\n"
		    "[deploy \"checkout.staging\"]\n\trollback = github:acme/checkout\n");
	/* only the application's own records count; it has nothing before 1.3.0 */
	assert_int_equal(rollback_plan_build(store, &cfg, "checkout", NULL, NULL, &plan),
			 ERROR_CUSTOM_MESSAGE);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "nothing to go back to"));
	rollback_plan_release(&plan);
	deploy(store, "argo", "checkout-prod:2", "production", "success", "1.1.0", SHA("2"),
	       "2025-03-02T10:00:00Z", NULL);
	assert_int_equal(rollback_plan_build(store, &cfg, "checkout", NULL, NULL, &plan), SUCCESS);
	assert_int_equal(plan.executor, ROLLBACK_ARGOCD);
	assert_string_equal(plan.source->name, "argo");
	/* the history id, never the sha; the password in the url is not shown */
	assert_string_equal(plan.call, "POST https://argocd.example.com/api/v1/applications/"
				       "checkout-prod/rollback {\"id\": 2} (source argo)");
	assert_non_null(strstr(plan.autosync, "allow-disable-autosync = false"));
	assert_false(plan.allow_disable_autosync);
	rollback_plan_release(&plan);
	config_release(&cfg);
	store_close(&store);
}

/* A write from another connection, as another process makes it. */
static void
sql_exec(const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(cache_path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static bool
row_exists(const char *sql)
{
	return query_int(sql) == 1;
}

static void
lock_takeover(void **state)
{
	struct store *store = world("lock");
	char name[] = "checkout.production";
	struct rollback_plan plan = { .name = name };
	struct rollback_actor me;
	struct store_lock held;
	char host[256], *sql;
	bool taken;

	(void)state;
	rollback_actor_init(&me, NULL);
	gethostname(host, sizeof(host) - 1);
	/* free: taken, and refused to another process while held */
	assert_int_equal(rollback_lock_take(store, &plan, &me, 100, &taken, &held), SUCCESS);
	assert_true(taken);
	struct rollback_actor other = me;
	string_copy(other.user, "carol");
	other.pid = 1; /* alive */
	assert_int_equal(rollback_lock_take(store, &plan, &other, 200, &taken, &held), SUCCESS);
	assert_false(taken);
	assert_string_equal(held.holder, me.user);
	assert_int_equal(held.since, 100);
	assert_int_equal(held.pid, me.pid);
	store_lock_release(&held);
	assert_int_equal(rollback_lock_drop(store, &plan, &me), SUCCESS);
	assert_int_equal(query_int("SELECT count(*) FROM locks"), 0);

	/* held by init (alive) on this host: refused */
	assert_int_equal(rollback_lock_take(store, &plan, &other, 300, &taken, &held), SUCCESS);
	assert_true(taken);
	assert_int_equal(rollback_lock_take(store, &plan, &me, 400, &taken, &held), SUCCESS);
	assert_false(taken);
	assert_string_equal(held.holder, "carol");
	store_lock_release(&held);
	assert_int_equal(rollback_lock_drop(store, &plan, &other), SUCCESS);

	/* a dead pid on this host: taken over */
	sql = xasprintf("INSERT INTO locks VALUES ('rollback:checkout.production', 'dave', "
			"'%s', 99999999, 5)",
			host);
	sql_exec(sql);
	free(sql);
	assert_int_equal(rollback_lock_take(store, &plan, &me, 500, &taken, &held), SUCCESS);
	assert_true(taken);
	assert_true(
		row_exists("SELECT count(*) FROM locks WHERE holder != 'dave' AND since = 500"));
	assert_int_equal(rollback_lock_drop(store, &plan, &me), SUCCESS);

	/* the same dead pid on another host: it may be alive there */
	sql_exec("INSERT INTO locks VALUES ('rollback:checkout.production', 'erin', 'elsewhere', "
		 "99999999, 6)");
	assert_int_equal(rollback_lock_take(store, &plan, &me, 600, &taken, &held), SUCCESS);
	assert_false(taken);
	assert_string_equal(held.host, "elsewhere");
	store_lock_release(&held);
	store_close(&store);
}

static void
audit_and_timeline(void **state)
{
	struct store *store = world("audit");
	struct rollback_plan plan;
	struct rollback_actor me;
	struct rollback_report report;
	struct store_incident in = { 0 };

	(void)state;
	setenv("SSH_CLIENT", "10.1.2.3 51022 22", 1);
	setenv("SITREP_TIME_NOW", "2025-03-05T10:00:00Z", 1);
	in.source = "og";
	in.source_id = "inc-1";
	in.services = (const char *const[]){ "checkout" };
	in.n_services = 1;
	in.detected_at = ts("2025-03-04T10:30:00Z");
	in.impact_start = in.acknowledged_at = in.contained_at = TIME_NONE;
	in.resolved_at = in.closed_at = TIME_NONE;
	in.caused_by = "d5";
	in.updated_at = in.detected_at;
	in.sla.start_time = in.sla.stop_time = TIME_NONE;
	assert_int_equal(store_upsert_incident(store, &in), SUCCESS);
	/* git-config: a ; outside double quotes starts a comment */
	load_config("[sitrep]\n\tuser = alice\n[deploy \"checkout.production\"]\n\trollback = "
		    "\"exec:sh -c 'echo password=topsecret123; exit 1'\"\n");
	rollback_actor_init(&me, &cfg);
	assert_string_equal(me.user, "alice");
	assert_string_equal(me.host, "10.1.2.3");
	if (rollback_plan_build(store, &cfg, "checkout", NULL, NULL, &plan) != SUCCESS)
		fail_msg("%s", status_message(ERROR_CUSTOM_MESSAGE));
	assert_string_equal(plan.current.sha, SHA("5"));
	assert_int_equal(rollback_run(store, &cfg, &plan, &me, NULL, NULL, &report), SUCCESS);
	assert_int_equal(report.outcome, ROLLBACK_FAILED);
	assert_string_equal(report.message, "checkout.production: failed: exit 1");
	assert_true(row_exists("SELECT count(*) FROM actions WHERE actor = 'alice' AND host = "
			       "'10.1.2.3' AND kind = 'rollback' AND target = "
			       "'checkout.production' AND result = 'failed' AND at = 1741168800 "
			       "AND detail LIKE '%exit 1%password=[redacted]%' AND detail NOT LIKE "
			       "'%topsecret%'"));
	/* on the timeline of the incident d5 caused (Argo CD's record of the same
	 * rollout may be the plan's current) */
	assert_true(row_exists("SELECT count(*) FROM incident_events WHERE kind = 'rollback' AND "
			       "actor = 'alice' AND text = 'rollback of checkout.production to "
			       "1.1.0 by alice: failed'"));
	/* the lock is free again */
	assert_int_equal(query_int("SELECT count(*) FROM locks"), 0);
	rollback_report_release(&report);
	rollback_plan_release(&plan);
	config_release(&cfg);
	unsetenv("SSH_CLIENT");
	unsetenv("SITREP_TIME_NOW");
	store_close(&store);
}

/* ---- the sources' rollback requests ---- */

static struct source_ctx
ctx_for(const struct test_source *t)
{
	return (struct source_ctx){ .name = t->src.name, .config = &t->src, .secret = "tok" };
}

static void
answer(struct http_response *resp, long status, const char *body)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = status;
	resp->body = xstrdup(body);
	resp->body_len = strlen(body);
}

static void
step(const struct source_ops *ops, const struct source_ctx *ctx, const struct source_action *a,
     struct source_request **req, long status, const char *body, enum status_code want)
{
	struct http_response resp;
	struct source_request *next = NULL;
	const char *done = NULL;

	answer(&resp, status, body);
	assert_int_equal(ops->acted(ctx, a, *req, &resp, &next, &done), want);
	free(resp.body);
	source_request_release(*req);
	free(*req);
	*req = next;
}

static void
argocd_rollback_requests(void **state)
{
	const struct source_ops *ops = source_ops_find("argocd");
	struct test_source t;
	struct source_ctx ctx;
	struct source_request *req = NULL;
	struct source_action a = { .kind = "rollback",
				   .id = "checkout-prod:2",
				   .who = "alice",
				   .target = "checkout-prod" };

	(void)state;
	test_source_init(&t, "argo", "argocd", "https://argocd.example.com", NULL);
	ctx = ctx_for(&t);
	assert_int_equal(ops->act(&ctx, &a, &req), SUCCESS);
	assert_string_equal(req->method, "GET");
	assert_string_equal(req->url,
			    "https://argocd.example.com/api/v1/applications/checkout-prod");
	/* auto-sync on and not allowed off: refused before any write */
	step(ops, &ctx, &a, &req, 200,
	     "{\"spec\":{\"syncPolicy\":{\"automated\":{\"prune\":true}}},\"status\":{}}",
	     ERROR_CUSTOM_MESSAGE);
	assert_null(req);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "has auto-sync on"));
	/* allowed: PATCH, then the rollback with the history id, then the outcome */
	a.allow_disable_autosync = true;
	assert_int_equal(ops->act(&ctx, &a, &req), SUCCESS);
	step(ops, &ctx, &a, &req, 200,
	     "{\"spec\":{\"syncPolicy\":{\"automated\":{}}},\"status\":{}}", SUCCESS);
	assert_string_equal(req->method, "PATCH");
	assert_string_equal(req->body, "{\"name\":\"checkout-prod\",\"patch\":\"{\\\"spec\\\":{"
				       "\\\"syncPolicy\\\":{\\\"automated\\\":null}}}\","
				       "\"patchType\":\"merge\"}");
	step(ops, &ctx, &a, &req, 200, "{}", SUCCESS);
	assert_string_equal(req->method, "POST");
	assert_string_equal(
		req->url, "https://argocd.example.com/api/v1/applications/checkout-prod/rollback");
	assert_string_equal(req->body, "{\"name\":\"checkout-prod\",\"id\":2,\"prune\":false,"
				       "\"dryRun\":false}");
	step(ops, &ctx, &a, &req, 200, "{}", SUCCESS);
	assert_string_equal(req->method, "GET");
	step(ops, &ctx, &a, &req, 200, "{\"status\":{\"operationState\":{\"phase\":\"Running\"}}}",
	     SUCCESS);
	assert_non_null(req); /* not yet: asked again */
	step(ops, &ctx, &a, &req, 200,
	     "{\"status\":{\"operationState\":{\"phase\":\"Failed\",\"message\":\"one or more "
	     "synchronization tasks completed unsuccessfully\"}}}",
	     ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "argocd argo: the rollback of checkout-prod failed: one or more "
			    "synchronization tasks completed unsuccessfully");
	/* Argo CD's refusal of the POST is quoted */
	a.allow_disable_autosync = false;
	assert_int_equal(ops->act(&ctx, &a, &req), SUCCESS);
	step(ops, &ctx, &a, &req, 200, "{\"status\":{}}", SUCCESS);
	step(ops, &ctx, &a, &req, 400,
	     "{\"error\":\"x\",\"code\":9,\"message\":\"another operation is already in "
	     "progress\"}",
	     ERROR_CUSTOM_MESSAGE);
	assert_string_equal(status_message(ERROR_CUSTOM_MESSAGE),
			    "argocd argo: rollback of checkout-prod to history id 2: HTTP 400: "
			    "another operation is already in progress");
	/* not a history entry */
	a.id = "checkout-prod";
	assert_int_equal(ops->act(&ctx, &a, &req), ERROR_CUSTOM_MESSAGE);
	assert_null(req);
	source_release(&t);
}

static void
github_gitlab_rollback_requests(void **state)
{
	const struct source_ops *gh = source_ops_find("github"), *gl = source_ops_find("gitlab");
	struct test_source t;
	struct source_ctx ctx;
	struct source_request *req = NULL;
	struct source_action a = { .kind = "rollback",
				   .id = "1600013699",
				   .who = "alice",
				   .target = "acme/checkout",
				   .service = "checkout",
				   .environment = "production",
				   .version = "1.42.0",
				   .sha = SHA("6") };

	(void)state;
	test_source_init(&t, "gh", "github", "https://api.github.com", NULL);
	ctx = ctx_for(&t);
	assert_int_equal(gh->act(&ctx, &a, &req), SUCCESS);
	assert_string_equal(req->method, "POST");
	assert_string_equal(req->url, "https://api.github.com/repos/acme/checkout/deployments");
	assert_string_equal(
		req->body,
		"{\"ref\":\"" SHA(
			"6") "\",\"environment\":\"production\",\"task\":"
			     "\"deploy\",\"auto_merge\":false,\"required_contexts\":[],"
			     "\"production_environment\":true,\"description\":\"Rollback of "
			     "checkout to 1.42.0 by alice\",\"payload\":{\"rollback\":true,"
			     "\"version\":\"1.42.0\",\"actor\":\"alice\"}}");
	step(gh, &ctx, &a, &req, 201, "{\"id\": 1}", SUCCESS);
	assert_null(req);
	assert_int_equal(gh->act(&ctx, &a, &req), SUCCESS);
	step(gh, &ctx, &a, &req, 422, "{\"message\":\"No ref found for: x\"}",
	     ERROR_CUSTOM_MESSAGE);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), "HTTP 422: No ref found"));
	source_release(&t);

	test_source_init(&t, "lab", "gitlab", "https://gitlab.example.com", NULL);
	ctx = ctx_for(&t);
	a.target = "acme/checkout";
	a.job = "8812";
	assert_int_equal(gl->act(&ctx, &a, &req), SUCCESS);
	assert_string_equal(req->method, "POST");
	assert_string_equal(req->url, "https://gitlab.example.com/api/v4/projects/acme%2Fcheckout/"
				      "jobs/8812/retry");
	step(gl, &ctx, &a, &req, 201, "{\"id\": 8813}", SUCCESS);
	/* a deployment made through the API has no job: nothing to retry */
	a.job = NULL;
	assert_int_equal(gl->act(&ctx, &a, &req), ERROR_CUSTOM_MESSAGE);
	assert_null(req);
	source_release(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(template_without_shell),
		cmocka_unit_test(template_errors),
		cmocka_unit_test(exec_outcomes),
		cmocka_unit_test(redaction),
		cmocka_unit_test(plan_previous_and_to),
		cmocka_unit_test(plan_api_executors),
		cmocka_unit_test(lock_takeover),
		cmocka_unit_test(audit_and_timeline),
		cmocka_unit_test(argocd_rollback_requests),
		cmocka_unit_test(github_gitlab_rollback_requests),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
