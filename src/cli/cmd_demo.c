/* cmd_demo.c - `sitrep demo`: the console on a simulated world, with no network and
 * no configuration, through the real code path end to end. It starts sitrep-sim
 * (beside this binary, else $SITREP_SIM, else on PATH) on a free loopback port with
 * its bundled week, builds a small git repository per service from the world's
 * commits (libgit2), writes a config and a cache in a temporary directory, runs a
 * first sync round of every source so the first frame has data, and opens the
 * console, whose sync worker keeps syncing from the simulator.
 *
 * The world starts DEMO_LEAD into the week's --start, so its live story plays out
 * in the first minutes: the checkout 1.44.0-rc.1 canary goes bad, pages, is
 * acknowledged, gets a ServiceNow ticket, and is rolled back (data/sim/README.md).
 *
 * Everything is undone on every way out: a quit, SIGINT, SIGTERM or SIGHUP (the
 * console turns them into a quit), a failure at any step, and die() (an atexit
 * handler). The simulator is in its own process group, so a signal from the
 * terminal reaches sitrep only, and it is asked to stop when sitrep dies
 * (PR_SET_PDEATHSIG), so it never outlives the demo. */
#include "sitrep/sitrep.h"
#include "cli-private.h"
#include "sitrep/config.h"
#include "sitrep/http.h"
#include "sitrep/sync.h"
#include "sitrep/timestamp.h"
#include "sitrep/tui.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <git2.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How far into the week the demo's world starts: the hotfix of 1.43.1 is going out
 * and the canary of 1.44.0-rc.1 is two minutes away. */
#define DEMO_LEAD (9 * 60)
#define PORT_WAIT_MS 5000

static const char *const demo_services[] = { "checkout", "search", "payments" };

/* The demo's state, global so that the atexit handler can undo it. */
static struct demo {
	char *dir;     /* the temporary directory, or NULL */
	pid_t sim_pid; /* 0: not running */
} demo;

static volatile sig_atomic_t demo_signalled;

static void
on_demo_signal(int sig)
{
	demo_signalled = sig;
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

static void
stop_sim(void)
{
	if (demo.sim_pid <= 0)
		return;
	kill(demo.sim_pid, SIGTERM);
	/* It stops within milliseconds; do not hang on a wedged one. */
	for (int i = 0; i < 200; i++) {
		struct timespec ts = { 0, 10 * 1000000L };

		if (waitpid(demo.sim_pid, NULL, WNOHANG) != 0)
			break;
		if (i == 199) {
			kill(demo.sim_pid, SIGKILL);
			waitpid(demo.sim_pid, NULL, 0);
		}
		nanosleep(&ts, NULL);
	}
	demo.sim_pid = 0;
}

static void
demo_cleanup(void)
{
	stop_sim();
	if (demo.dir) {
		nftw(demo.dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		free(demo.dir);
		demo.dir = NULL;
	}
}

/* ---- finding and starting the simulator ---- */

static bool
executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* sitrep-sim beside this binary, else $SITREP_SIM, else the first on PATH; new,
 * or NULL. */
static char *
find_sim(void)
{
	char self[4096];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *env = getenv("SITREP_SIM"), *path = getenv("PATH");
	char *candidate;

	if (len > 0) {
		char *slash;

		self[len] = '\0';
		if ((slash = strrchr(self, '/'))) {
			*slash = '\0';
			candidate = xasprintf("%s/sitrep-sim", self);
			if (executable(candidate))
				return candidate;
			free(candidate);
		}
	}
	if (env && *env && executable(env))
		return xstrdup(env);
	for (const char *p = path ? path : ""; *p;) {
		size_t n = strcspn(p, ":");

		candidate = xasprintf("%.*s/sitrep-sim", (int)n, n ? p : ".");
		if (executable(candidate))
			return candidate;
		free(candidate);
		p += n + (p[n] == ':');
	}
	return NULL;
}

static enum status_code
start_sim(const char *sim, int64_t start)
{
	char *port_file = xasprintf("%s/port", demo.dir), *log = xasprintf("%s/sim.log", demo.dir);
	char start_text[32];
	pid_t parent = getpid();
	struct tm tm;
	time_t t = (time_t)start;
	pid_t pid;

	gmtime_r(&t, &tm);
	strftime(start_text, sizeof(start_text), "%Y-%m-%dT%H:%M:%SZ", &tm);
	pid = fork();
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY), out = open(log, O_WRONLY | O_CREAT, 0600);

		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
			_exit(1);
		execl(sim, sim, "--port", "0", "--port-file", port_file, "--start", start_text,
		      "--speed", "1", (char *)NULL);
		_exit(127);
	}
	free(port_file);
	free(log);
	if (pid < 0)
		return error("cannot start %s: %s", sim, strerror(errno));
	demo.sim_pid = pid;
	return SUCCESS;
}

/* The port sitrep-sim published, once it listens. */
static enum status_code
wait_for_port(long *port)
{
	char *path = xasprintf("%s/port", demo.dir);
	enum status_code code = error("sitrep-sim did not start (see its log above)");

	for (int waited = 0; waited < PORT_WAIT_MS && !demo_signalled; waited += 20) {
		struct timespec ts = { 0, 20 * 1000000L };
		FILE *f = fopen(path, "r");

		if (f) {
			int ok = fscanf(f, "%ld", port) == 1;

			fclose(f);
			if (ok && *port > 0) {
				code = SUCCESS;
				break;
			}
		}
		if (waitpid(demo.sim_pid, NULL, WNOHANG) == demo.sim_pid) {
			demo.sim_pid = 0;
			break;
		}
		nanosleep(&ts, NULL);
	}
	free(path);
	return code;
}

/* ---- talking to the simulator ---- */

/* One request to the simulator's control API; the response body is new. */
static enum status_code
sim_call(struct http_client *http, const char *base, const char *method, const char *route,
	 const char *body, char **out)
{
	static char name[] = "Content-Type", value[] = "application/json";
	const struct http_header json = { name, value };
	char *url = xasprintf("%s%s", base, route);
	struct http_request req = { .method = method, .url = url };
	struct http_response resp;
	enum status_code code = SUCCESS;

	if (body) {
		req.headers = &json;
		req.n_headers = 1;
		req.body = body;
		req.body_len = strlen(body);
	}
	memset(&resp, 0, sizeof(resp));
	http_perform(http, &req, &resp, 1);
	if (resp.status != 200)
		code = error("sitrep-sim: %s %s: %s", method, route,
			     resp.status ? "unexpected status" : resp.error);
	else if (out)
		*out = xstrdup(resp.body ? resp.body : "");
	http_response_release(&resp);
	free(url);
	return code;
}

/* ---- the demo repositories ---- */

struct built_commit {
	const char *sha; /* the scenario's, borrowed */
	git_oid oid;	 /* the commit made here */
};

static int
git_fail(const char *doing)
{
	const git_error *e = git_error_last();

	error("demo repository: %s: %s", doing, e && e->message ? e->message : "libgit2 error");
	return -1;
}

/* One commit as the scenario gives it: its author, time, message and parents; its
 * tree holds one file with the message (the history is what the demo shows). The
 * sha is git's own: a commit's sha depends on its content. */
static int
build_commit(git_repository *repo, json_t *c, const struct built_commit *done, size_t n_done,
	     git_oid *oid)
{
	const char *message = json_string_value(json_object_get(c, "message"));
	const char *author = json_string_value(json_object_get(c, "author"));
	const char *email = json_string_value(json_object_get(c, "email"));
	json_t *parents = json_object_get(c, "parents"), *p;
	const git_commit *parent_commits[4];
	git_commit *owned[4] = { NULL };
	git_signature *sig = NULL;
	git_treebuilder *tb = NULL;
	git_tree *tree = NULL;
	git_oid blob, tree_oid;
	size_t n_parents = 0, i;
	int64_t at = 0;
	int rc = -1;

	if (!message || !author)
		return git_fail("a commit without message or author");
	timestamp_parse(json_string_value(json_object_get(c, "committed_at")), &at);
	json_array_foreach(parents, i, p)
	{
		for (size_t k = 0; k < n_done && n_parents < ARRAY_SIZE(owned); k++) {
			if (streq(done[k].sha, json_string_value(p) ? json_string_value(p) : "")) {
				if (git_commit_lookup(&owned[n_parents], repo, &done[k].oid) != 0)
					goto out;
				parent_commits[n_parents] = owned[n_parents];
				n_parents++;
				break;
			}
		}
	}
	if (git_blob_create_from_buffer(&blob, repo, message, strlen(message)) != 0 ||
	    git_treebuilder_new(&tb, repo, NULL) != 0 ||
	    git_treebuilder_insert(NULL, tb, "CHANGES", &blob, GIT_FILEMODE_BLOB) != 0 ||
	    git_treebuilder_write(&tree_oid, tb) != 0 ||
	    git_tree_lookup(&tree, repo, &tree_oid) != 0 ||
	    git_signature_new(&sig, author, email ? email : "demo@acme.example", (git_time_t)at,
			      0) != 0 ||
	    git_commit_create(oid, repo, NULL, sig, sig, NULL, message, tree, n_parents,
			      parent_commits) != 0) {
		git_fail("writing a commit");
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < ARRAY_SIZE(owned); i++)
		git_commit_free(owned[i]);
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	return rc;
}

/* A repository at path with the commits of repo_name made by now, each branch at
 * its newest, HEAD on the default branch. */
static int
build_repo(const char *path, json_t *scenario, json_t *repository, int64_t now)
{
	const char *name = json_string_value(json_object_get(repository, "repo"));
	const char *main_branch = json_string_value(json_object_get(repository, "default_branch"));
	json_t *commits = json_object_get(scenario, "commits"), *c;
	struct built_commit *done = xcalloc(json_array_size(commits) + 1, sizeof(*done));
	git_repository *repo = NULL;
	size_t n_done = 0, i;
	int rc = -1;

	if (!name || git_repository_init(&repo, path, 0) != 0) {
		git_fail("creating it");
		goto out;
	}
	json_array_foreach(commits, i, c)
	{
		const char *sha = json_string_value(json_object_get(c, "sha"));
		const char *branch = json_string_value(json_object_get(c, "branch"));
		git_reference *ref = NULL;
		int64_t at = 0;
		char *refname;

		if (!sha || !branch || !streq(json_string_value(json_object_get(c, "repo")), name))
			continue;
		if (!timestamp_parse(json_string_value(json_object_get(c, "committed_at")), &at) ||
		    at > now)
			continue;
		if (build_commit(repo, c, done, n_done, &done[n_done].oid) != 0)
			goto out;
		done[n_done++].sha = sha;
		/* Commits come parents first: the last one on a branch is its head. */
		refname = xasprintf("refs/heads/%s", branch);
		if (git_reference_create(&ref, repo, refname, &done[n_done - 1].oid, 1,
					 "sitrep demo") != 0) {
			free(refname);
			git_fail("setting a branch");
			goto out;
		}
		git_reference_free(ref);
		free(refname);
	}
	if (main_branch) {
		char *head = xasprintf("refs/heads/%s", main_branch);

		git_repository_set_head(repo, head);
		free(head);
	}
	rc = 0;
out:
	git_repository_free(repo);
	free(done);
	return rc;
}

/* DIR/repos/SERVICE for every repository of the scenario; a repository that cannot
 * be built is left out of the config, with a warning. */
static void
build_repos(json_t *scenario, int64_t now, struct buf *config)
{
	json_t *repos = json_object_get(scenario, "repositories"), *r;
	char *top = xasprintf("%s/repos", demo.dir);
	size_t i;

	mkdir(top, 0700);
	git_libgit2_init();
	json_array_foreach(repos, i, r)
	{
		const char *service = json_string_value(json_object_get(r, "service"));
		char *path;

		if (!service || strchr(service, '/') || service[0] == '.')
			continue;
		path = xasprintf("%s/%s", top, service);
		if (build_repo(path, scenario, r, now) == 0)
			buf_printf(config, "[service \"%s\"]\n\trepo = %s\n", service, path);
		else
			cli_error("demo: %s", status_message(ERROR_CUSTOM_MESSAGE));
		free(path);
	}
	git_libgit2_shutdown();
	free(top);
}

/* ---- the config ---- */

/* The sources of the demo's world and the overview's metrics of each service. The
 * simulator asks for no credentials (no --require-token): "demo" only fills the
 * token the sources require. */
static void
write_sources(struct buf *b, const char *base)
{
	static const struct {
		const char *name, *query;
	} metrics[] = {
		{ "rpm", "rpm" },
		{ "errors", "errors_per_minute" },
		{ "latency", "latency_avg_seconds" },
		{ "latency_max", "latency_max_seconds" },
		{ "cpu", "cpu_percent" },
		{ "memory", "memory_percent" },
		{ "availability", "availability" },
		{ "consumers", "api_consumers" },
	};

	buf_printf(b,
		   "[source \"prometheus\"]\n\ttype = prometheus\n\turl = %s/prometheus\n"
		   "\tinterval = 15s\n\tbackfill = 6h\n"
		   "[source \"alertmanager\"]\n\ttype = alertmanager\n\turl = %s/alertmanager\n"
		   "\tinterval = 15s\n"
		   "[source \"opsgenie\"]\n\ttype = opsgenie\n\turl = %s/opsgenie\n"
		   "\ttoken = demo\n\tinterval = 30s\n"
		   "[source \"sentry\"]\n\ttype = sentry\n\turl = %s/sentry\n\torg = acme\n"
		   "\ttoken = demo\n",
		   base, base, base, base);
	for (size_t i = 0; i < ARRAY_SIZE(demo_services); i++)
		buf_printf(b, "\tproject = %s\n", demo_services[i]);
	buf_printf(b,
		   "\tinterval = 30s\n"
		   "[source \"servicenow\"]\n\ttype = servicenow\n\turl = %s/servicenow\n"
		   "\ttoken = demo\n\tcorrelate = opsgenie\n\tinterval = 30s\n"
		   "[source \"zendesk\"]\n\ttype = zendesk\n\turl = %s/zendesk\n"
		   "\temail = demo@example.com\n\ttoken = demo\n\tinterval = 60s\n"
		   "[source \"argocd\"]\n\ttype = argocd\n\turl = %s/argocd\n"
		   "\ttoken = demo\n\tinterval = 15s\n"
		   "[source \"github\"]\n\ttype = github\n\turl = %s/github\n"
		   "\ttoken = demo\n\tinterval = 30s\n",
		   base, base, base, base);
	for (size_t i = 0; i < ARRAY_SIZE(demo_services); i++)
		buf_printf(b, "\trepo = acme/%s\n", demo_services[i]);
	for (size_t i = 0; i < ARRAY_SIZE(demo_services); i++)
		for (size_t m = 0; m < ARRAY_SIZE(metrics); m++)
			buf_printf(b,
				   "[metric \"%s.%s\"]\n\tsource = prometheus\n"
				   "\tquery = sitrep:%s{service=\\\"%s\\\"}\n",
				   demo_services[i], metrics[m].name, metrics[m].query,
				   demo_services[i]);
}

static enum status_code
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	size_t len = strlen(text);
	bool ok = fd >= 0 && write(fd, text, len) == (ssize_t)len;

	if (fd >= 0)
		ok = close(fd) == 0 && ok;
	return ok ? SUCCESS : error("cannot write %s: %s", path, strerror(errno));
}

/* ---- the first round ---- */

/* One round of every source, so the console opens on a full board. */
static enum status_code
first_sync(const char *config_path, const char *db_path)
{
	struct config cfg;
	struct store *store = NULL;
	struct http_client *http;
	struct sync_options opts = { .stop = &demo_signalled };
	enum status_code code;

	if ((code = config_load(&cfg, config_path, true)) != SUCCESS)
		return code;
	for (size_t i = 0; i < cfg.n_problems; i++)
		cli_error("demo: %s", cfg.problems[i]);
	if ((code = store_open(&store, db_path, 0)) != SUCCESS) {
		config_release(&cfg);
		return code;
	}
	http = http_client_new(NULL);
	for (size_t i = 0; i < cfg.n_sources && code == SUCCESS && !demo_signalled; i++) {
		struct sync_report report;

		code = sync_round(store, http, &cfg, &cfg.sources[i], &opts, &report);
		if (code == SUCCESS && report.failed)
			cli_error("demo: %s: %s", report.source, report.error);
	}
	http_client_free(&http);
	store_close(&store);
	config_release(&cfg);
	return code;
}

/* ---- the command ---- */

static enum status_code
set_up(struct http_client *http, int64_t now, char **config_path, char **db_path)
{
	char *sim = find_sim(), *base, *scenario_text = NULL, *clock;
	json_t *scenario;
	enum status_code code;
	struct buf config;
	long port = 0;

	if (!sim)
		return error("sitrep-sim is neither beside sitrep, nor $SITREP_SIM, nor on PATH "
			     "(make builds it)");
	code = start_sim(sim, now - DEMO_LEAD);
	free(sim);
	if (code != SUCCESS || (code = wait_for_port(&port)) != SUCCESS)
		return code;
	base = xasprintf("http://127.0.0.1:%ld", port);
	/* The world's clock jumps DEMO_LEAD ahead: it reads now when the demo opens. */
	clock = xasprintf("{\"set\": %lld}", (long long)now);
	code = sim_call(http, base, "POST", "/_sim/clock", clock, NULL);
	free(clock);
	if (code == SUCCESS)
		code = sim_call(http, base, "GET", "/_sim/scenario", NULL, &scenario_text);
	if (code != SUCCESS) {
		free(base);
		return code;
	}
	scenario = json_loads(scenario_text, 0, NULL);
	free(scenario_text);
	buf_init(&config, 0);
	write_sources(&config, base);
	if (scenario)
		build_repos(scenario, now, &config);
	json_decref(scenario);
	*config_path = xasprintf("%s/config", demo.dir);
	*db_path = xasprintf("%s/demo.db", demo.dir);
	code = write_file(*config_path, config.data);
	buf_release(&config);
	if (code == SUCCESS) {
		fprintf(stderr,
			"sitrep demo: the simulated world at %s (sitrep-sim pid %ld, its log and "
			"the demo's files in %s); q quits\n",
			base, (long)demo.sim_pid, demo.dir);
		code = first_sync(*config_path, *db_path);
	}
	free(base);
	return code;
}

int
cmd_demo(int argc, char **argv, const struct global_opts *gopts)
{
	const char *tmp = getenv("TMPDIR");
	struct tui_options o = { 0 };
	struct http_client *http;
	char *config_path = NULL, *db_path = NULL, *state;
	struct sigaction sa;
	enum status_code code;
	int rc = EXIT_FAILURE_;

	(void)gopts; /* the demo brings its own config and cache */
	for (int i = 1; i < argc; i++) {
		if (streq(argv[i], "--help")) {
			printf("usage: sitrep demo [--keys KEYS] [--max-iterations N]\n");
			return EXIT_OK;
		} else if (streq(argv[i], "--keys") && i + 1 < argc) {
			o.keys = argv[++i];
		} else if (streq(argv[i], "--max-iterations") && i + 1 < argc) {
			o.max_iterations = (unsigned)strtoul(argv[++i], NULL, 10);
		} else {
			cli_error("demo: unexpected argument: %s (usage: sitrep demo)", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		cli_error("demo: the console needs a terminal");
		return EXIT_USAGE;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_demo_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	demo.dir = xasprintf("%s/sitrep-demo.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(demo.dir)) {
		cli_error("demo: cannot create %s: %s", demo.dir, strerror(errno));
		free(demo.dir);
		demo.dir = NULL;
		return EXIT_FAILURE_;
	}
	atexit(demo_cleanup);
	/* The sync log goes with the rest of the demo's files. */
	state = xasprintf("%s/state", demo.dir);
	setenv("XDG_STATE_HOME", state, 1);
	free(state);

	http = http_client_new(NULL);
	code = set_up(http, time_now(), &config_path, &db_path);
	http_client_free(&http);
	if (code != SUCCESS) {
		char *log = xasprintf("%s/sim.log", demo.dir);
		FILE *f = fopen(log, "r");
		char line[512];

		cli_error("demo: %s", status_message(code));
		while (f && fgets(line, sizeof(line), f))
			fprintf(stderr, "  sitrep-sim: %s", line);
		if (f)
			fclose(f);
		free(log);
	} else if (demo_signalled) {
		rc = 128 + demo_signalled;
	} else {
		o.config_path = config_path;
		o.db_path = db_path;
		rc = tui_run(&o);
	}
	free(config_path);
	free(db_path);
	demo_cleanup();
	return rc;
}
