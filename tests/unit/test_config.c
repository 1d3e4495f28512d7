/* test_config.c - config_load and friends: the sample config is clean, every kind of
 * bad config yields its problem at the right FILE:LINE, libgit2's syntax errors keep
 * their file and line, and no secret ever reaches a message or stderr.
 * Configs are written into a fresh mkdtemp directory per test. */
#include "sitrep/sitrep.h"
#include "sitrep/config.h"
#include "sitrep/source.h"

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

/* Tests run from the top of the tree (make check); SITREP_SRCDIR overrides. */
#define SAMPLE_CONFIG "data/sitrep.conf.sample"

struct fixture {
	char dir[64];
	char *path; /* dir/config */
};

static int
setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));

	string_copy(fx->dir, "/tmp/sitrep-test-config-XXXXXX");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	fx->path = xasprintf("%s/config", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	struct dirent *de;
	DIR *d = opendir(fx->dir);

	while (d && (de = readdir(d))) {
		char *p;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		p = xasprintf("%s/%s", fx->dir, de->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(fx->dir);
	free(fx->path);
	free(fx);
	return 0;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* Writes text as the fixture's config and loads it; loading itself must succeed. */
static void
load_text(struct fixture *fx, const char *text, mode_t mode, struct config *cfg)
{
	enum status_code code;

	write_file(fx->path, text, mode);
	code = config_load(cfg, fx->path, true);
	if (code != SUCCESS)
		fail_msg("config_load: %s\n--- config ---\n%s", status_message(code), text);
}

static void
print_problems(const struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_problems; i++)
		print_error("  problem: %s\n", cfg->problems[i]);
}

/* Is there a problem "PATH:LINE: ..." that contains expect? */
static bool
has_problem(const struct config *cfg, int line, const char *expect)
{
	char *prefix = xasprintf("%s:%d: ", cfg->path, line);
	bool found = false;
	size_t i;

	for (i = 0; i < cfg->n_problems && !found; i++)
		found = strncmp(cfg->problems[i], prefix, strlen(prefix)) == 0 &&
			strstr(cfg->problems[i], expect) != NULL;
	free(prefix);
	return found;
}

static void
assert_no_problems(const struct config *cfg)
{
	if (cfg->n_problems) {
		print_problems(cfg);
		fail_msg("%zu unexpected problems", cfg->n_problems);
	}
}

/*
 * The sample
 */

static void
config__sample_loads_without_problems(void **state)
{
	const char *srcdir = getenv("SITREP_SRCDIR");
	char *path = srcdir ? xasprintf("%s/" SAMPLE_CONFIG, srcdir) : xstrdup(SAMPLE_CONFIG);
	const struct config_source *src;
	const struct config_metric *m = NULL;
	struct config cfg;
	size_t i;

	(void)state;
	assert_int_equal(config_load(&cfg, path, true), SUCCESS);
	assert_no_problems(&cfg);
	assert_string_equal(cfg.theme, "default");
	assert_true(cfg.mouse);
	assert_int_equal(cfg.n_sources, 12); /* one of every type */
	assert_int_equal(cfg.n_services, 2);
	assert_int_equal(cfg.n_deploys, 2);
	assert_true(cfg.n_metrics >= 2);
	src = config_find_source(&cfg, "prod-prom");
	assert_non_null(src);
	assert_string_equal(src->type, "prometheus");
	assert_int_equal(src->interval, 15);
	assert_int_equal(src->timeout, 10);
	for (i = 0; i < cfg.n_metrics; i++)
		if (streq(cfg.metrics[i].name, "checkout.rpm"))
			m = &cfg.metrics[i];
	assert_non_null(m);
	/* \" in the file is a literal quote in the query */
	assert_non_null(strstr(m->query, "{service=\"checkout\"}"));
	assert_true(config_find_service(&cfg, "checkout")->slo > 0.9989);
	assert_true(config_find_service(&cfg, "checkout")->slo < 0.9991);
	config_release(&cfg);
	free(path);
}

/*
 * Bad configs: each row is otherwise valid, so it must give exactly one problem,
 * on the line given, containing the text given.
 */

#define PROM "[source \"p\"]\n\ttype = prometheus\n\turl = http://127.0.0.1:9090\n"

static const struct bad_config {
	const char *text;
	int line;
	const char *expect;
} bad_configs[] = {
	/* a section sitrep does not know (a typo of "source", say) */
	{ "[sitrep]\n\ttheme = mono\n[colour]\n\tfoo = bar\n", 3, "unknown section \"colour\"" },
	/* [sitrep] has only the keys of its table */
	{ "[sitrep]\n\tthem = dark\n", 2, "[sitrep] has no key \"them\"" },
	/* libgit2 accepts a key before any header; sitrep has no such key */
	{ "# comment\ntheme = mono\n[sitrep]\n\ttheme = mono\n", 2,
	  "theme is outside any section" },
	/* [stages] keys are the stage kinds */
	{ "[stages]\n\ttest = pytest*\n\tunit = jest*\n", 3, "[stages] has no kind \"unit\"" },
	/* [branches] keys are the branch roles and stale */
	{ "[branches]\n\trelease = rel-*\n\tepic = epic/*\n", 3,
	  "[branches] has no kind \"epic\" (kinds: trunk, develop, release, hotfix, environment, "
	  "feature)" },
	{ "[branches]\n\tstale = soon\n", 2, "[branches] stale" },
	/* [sitrep] is a singleton: a name there is a mistake */
	{ "[sitrep \"x\"]\n\ttheme = mono\n", 1, "[sitrep] takes no name" },
	/* sources are named: a bare [source] cannot be told apart */
	{ "\n[source]\n\ttype = prometheus\n", 2, "[source] needs a name" },
	/* includes would read a file whose permissions nobody checked */
	{ "[include]\n\tpath = /dev/null\n", 1, "[include] is not supported" },
	/* a source without type cannot be synced */
	{ "[source \"p\"]\n\turl = http://x\n", 1, "source \"p\" needs type" },
	/* a type sitrep has no adapter for */
	{ "[source \"p\"]\n\ttype = nagios\n\turl = http://x\n", 2,
	  "source \"p\" type \"nagios\" is unknown" },
	/* org belongs to sentry, not prometheus */
	{ PROM "\torg = acme\n", 4, "source \"p\" (prometheus) has no key \"org\"" },
	/* every type except github has no default url */
	{ "[source \"a\"]\n\ttype = alertmanager\n", 1, "source \"a\" (alertmanager) needs url" },
	/* curl would refuse it: only HTTP(S) upstreams exist */
	{ "[source \"a\"]\n\ttype = alertmanager\n\turl = ftp://host\n", 3,
	  "url must start with http:// or https://" },
	/* a key without '=' is "true" in git, but url needs text */
	{ "[source \"a\"]\n\ttype = alertmanager\n\turl\n", 3, "url needs a value" },
	/* "5 minutes" is not a duration; 5m is */
	{ PROM "\tinterval = 5 minutes\n", 4, "interval \"5 minutes\" is not a duration" },
	/* a zero timeout would make every request fail */
	{ PROM "\ttimeout = 0\n", 4, "timeout must be longer than 0s" },
	/* url is not repeatable: which one was meant? */
	{ PROM "\turl = http://127.0.0.2:9090\n", 4,
	  "url is set more than once (first on line 3)" },
	/* sentry lists issues of an organisation */
	{ "[source \"s\"]\n\ttype = sentry\n\turl = https://sentry.io\n\ttoken = env:T\n", 1,
	  "source \"s\" (sentry) needs org" },
	/* sentry has no anonymous API */
	{ "[source \"s\"]\n\ttype = sentry\n\turl = https://sentry.io\n\torg = acme\n", 1,
	  "(sentry) needs token" },
	/* zabbix: token, or user + password */
	{ "[source \"z\"]\n\ttype = zabbix\n\turl = http://z/api_jsonrpc.php\n", 1,
	  "(zabbix) needs token, or user and password" },
	/* a user alone cannot log in */
	{ "[source \"z\"]\n\ttype = zabbix\n\turl = http://z/api_jsonrpc.php\n\tuser = u\n", 1,
	  "(zabbix) has a user but no password" },
	/* zendesk's API token is email/token */
	{ "[source \"z\"]\n\ttype = zendesk\n\turl = https://a.zendesk.com\n\ttoken = env:T\n", 1,
	  "(zendesk) needs email" },
#define ZD "[source \"z\"]\n\ttype = zendesk\n\turl = https://a.zendesk.com\n\ttoken = env:T\n"
	/* an OAuth access token is sent alone; auth names one of the two schemes */
	{ ZD "\temail = a@b.example\n\tauth = bearer\n", 6, "auth \"bearer\" is neither token" },
	/* ticket fields are named by their numeric id */
	{ ZD "\temail = a@b.example\n\tservice-field = Service\n", 6,
	  "service-field \"Service\" is not a ticket field id (a number)" },
	/* a field naming an alert needs the source that alert is of */
	{ ZD "\temail = a@b.example\n\talert-field = 360001\n", 1,
	  "has alert-field but no correlate" },
	{ ZD "\temail = a@b.example\n\tcorrelate = am\n", 1, "has correlate but no alert-field" },
	/* jenkins' API token goes with the user it belongs to */
	{ "[source \"j\"]\n\ttype = jenkins\n\turl = https://j\n\ttoken = env:T\n", 1,
	  "(jenkins) has a token but no user" },
	/* github wants at least one owner/name */
	{ "[source \"g\"]\n\ttype = github\n", 1, "(github) needs repo" },
	/* github repo is OWNER/NAME */
	{ "[source \"g\"]\n\ttype = github\n\trepo = checkout\n", 3,
	  "repo \"checkout\" is not OWNER/NAME" },
	/* env: without a name reads nothing */
	{ PROM "\ttoken = env:\n", 4, "token env: needs a variable name" },
	/* cmd: without a command runs nothing */
	{ PROM "\ttoken = cmd:  \n", 4, "token cmd: needs a command" },
	/* tier is a small whole number */
	{ "[service \"c\"]\n\ttier = high\n", 2, "tier \"high\" is not a whole number" },
	/* tier 0 means "not set" internally, so it cannot be written */
	{ "[service \"c\"]\n\ttier = 0\n", 2, "tier \"0\" is not a whole number from 1 to 100" },
	/* 100 percent is not an objective anyone meets */
	{ "[service \"c\"]\n\tslo = 100\n", 2, "slo \"100\" is not between 0 and 1" },
	/* 1 as a fraction is 100 percent too */
	{ "[service \"c\"]\n\tslo = 1\n", 2, "slo \"1\" is not between 0 and 1" },
	/* 0 leaves no error budget to burn */
	{ "[service \"c\"]\n\tslo = 0\n", 2, "slo \"0\" is not between 0 and 1" },
	/* not a number */
	{ "[service \"c\"]\n\tslo = three nines\n", 2, "slo \"three nines\"" },
	/* targets are durations */
	{ "[service \"c\"]\n\tack-target = soon\n", 2, "ack-target \"soon\" is not a duration" },
	/* resolve-target, not resolve-time */
	{ "[service \"c\"]\n\tresolve-time = 4h\n", 2,
	  "service \"c\" has no key \"resolve-time\"" },
	/* a service key twice: the first one counts */
	{ "[service \"c\"]\n\ttier = 1\n\ttier = 2\n", 3, "tier is set more than once" },
	/* metrics are named SERVICE.METRIC */
	{ PROM "[metric \"rpm\"]\n\tsource = p\n\tquery = up\n", 4,
	  "metric \"rpm\" must be named SERVICE.METRIC" },
	/* the source must exist; the name keeps its inner dots */
	{ "[metric \"checkout.latency.p99\"]\n\tsource = nope\n\tquery = up\n", 2,
	  "metric \"checkout.latency.p99\" source \"nope\" is not a [source]" },
	/* a metric without a query shows nothing */
	{ PROM "[metric \"checkout.rpm\"]\n\tsource = p\n", 4,
	  "metric \"checkout.rpm\" needs query" },
	/* deploys are named SERVICE.ENVIRONMENT */
	{ "[deploy \"checkout\"]\n\trollback = argocd:checkout\n", 1,
	  "deploy \"checkout\" must be named SERVICE.ENVIRONMENT" },
	/* rollback names its executor */
	{ "[deploy \"checkout.prod\"]\n\trollback = kubectl-undo checkout\n", 2,
	  "rollback must start with exec:, argocd:, github:, gitlab: or kubectl:" },
	/* a deploy without rollback has nothing for R to do */
	{ "[deploy \"checkout.prod\"]\n\tauto-rollback = false\n", 1,
	  "deploy \"checkout.prod\" needs rollback" },
	/* git booleans only */
	{ "[deploy \"checkout.prod\"]\n\trollback = exec:true\n\tauto-rollback = maybe\n", 3,
	  "auto-rollback \"maybe\" is not a boolean" },
	/* [ui] mouse is a git boolean too */
	{ "[ui]\n\tmouse = sometimes\n", 2, "[ui] mouse \"sometimes\" is not a boolean" },
	/* [ui] has mouse only */
	{ "[ui]\n\tmouse = true\n\tcursor = no\n", 3,
	  "[ui] has no key \"cursor\" (keys: mouse, bell)" },
	/* the locator counts continuation lines, and ignores keys inside comments */
	{ PROM "\t# timeout = 1x\n\t; timeout = 1y\n\tservice = very\\\n long\n\ttimeout = 9x\n", 8,
	  "timeout \"9x\" is not a duration" },
	/* ... and '#' inside quotes is not a comment */
	{ PROM "\tservice = \"a # b\"\n\ttimeout = 9x\n", 5, "timeout \"9x\" is not a duration" },
	/* section and key names are case-insensitive, the source name is not */
	{ "[Source \"P\"]\n\tTYPE = prometheus\n\tURL = http://x\n\tInterval = often\n", 4,
	  "source \"P\" interval \"often\"" },
	/* the old [section.name] form is read too */
	{ "[source.p]\n\ttype = prometheus\n\turl = http://x\n\tinterval = often\n", 4,
	  "source \"p\" interval \"often\"" },
	/* a section written twice: the repeat is found in the second block */
	{ PROM "[sitrep]\n\ttheme = mono\n[source \"p\"]\n\turl = http://y\n", 7,
	  "url is set more than once (first on line 3)" },
	/* a header followed by a key on the same line */
	{ "[source \"a\"] type = alertmanager\n\turl = http://x\n\ttimeout = -1\n", 3,
	  "timeout \"-1\" is not a duration" },
	/* subsection names may hold quotes and backslashes */
	{ "[source \"a\\\"b\"]\n\ttype = alertmanager\n\turl = http://x\n\tinterval = x\n", 4,
	  "source \"a\"b\" interval \"x\"" },
};

static void
config__bad_snippets_report_file_and_line(void **state)
{
	struct fixture *fx = *state;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_configs); i++) {
		const struct bad_config *bad = &bad_configs[i];
		struct config cfg;

		load_text(fx, bad->text, 0600, &cfg);
		if (!has_problem(&cfg, bad->line, bad->expect) || cfg.n_problems != 1) {
			print_problems(&cfg);
			fail_msg("row %zu: want one problem at line %d with \"%s\", got %zu\n"
				 "--- config ---\n%s",
				 i, bad->line, bad->expect, cfg.n_problems, bad->text);
		}
		config_release(&cfg);
	}
}

static void
config__problems_are_collected_and_loading_goes_on(void **state)
{
	struct fixture *fx = *state;
	struct config cfg;

	load_text(fx,
		  "[service \"c\"]\n"
		  "\ttier = x\n" /* 2 */
		  "\tslo = 99.5\n"
		  "[source \"p\"]\n"
		  "\ttype = prometheus\n"
		  "\turl = http://x\n"
		  "\tinterval = soon\n" /* 7 */
		  "[bogus]\n"		/* 8 */
		  "\ta = b\n"
		  "\tc = d\n",
		  0600, &cfg);
	assert_int_equal(cfg.n_problems, 3);
	assert_true(has_problem(&cfg, 2, "tier"));
	assert_true(has_problem(&cfg, 7, "interval"));
	assert_true(has_problem(&cfg, 8, "unknown section \"bogus\""));
	/* what was valid is loaded all the same */
	assert_true(config_find_service(&cfg, "c")->slo > 0.9949);
	assert_non_null(config_find_source(&cfg, "p"));
	assert_int_equal(config_find_source(&cfg, "p")->interval, 60);
	config_release(&cfg);
}

/*
 * Syntax errors come from libgit2 and end loading
 */

static void
config__syntax_error_names_file_and_line(void **state)
{
	static const struct {
		const char *text;
		const char *where; /* ":LINE" */
	} syntax[] = {
		/* unterminated section header */
		{ "[sitrep]\n\ttheme = a\n[source \"p\"\n\ttype = prometheus\n", ":3" },
		/* a space inside a key name */
		{ "[sitrep]\n\tthe me = a\n", ":2" },
	};
	struct fixture *fx = *state;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(syntax); i++) {
		char *where = xasprintf("%s%s", fx->path, syntax[i].where);
		struct config cfg;
		enum status_code code;

		write_file(fx->path, syntax[i].text, 0600);
		code = config_load(&cfg, fx->path, true);
		assert_int_not_equal(code, SUCCESS);
		if (!strstr(status_message(code), where))
			fail_msg("row %zu: \"%s\" does not name %s", i, status_message(code),
				 where);
		/* the config is left empty and releasable */
		assert_null(cfg.path);
		assert_int_equal(cfg.n_sources, 0);
		config_release(&cfg);
		free(where);
	}
}

/*
 * Names, repeats, defaults, lookups
 */

static void
config__names_keep_their_dots(void **state)
{
	struct fixture *fx = *state;
	struct config cfg;

	load_text(fx,
		  "[source \"prom.eu.west\"]\n"
		  "\ttype = prometheus\n"
		  "\turl = http://x\n"
		  "[metric \"checkout.rpm\"]\n"
		  "\tsource = prom.eu.west\n"
		  "\tquery = up\n"
		  "[metric \"checkout.latency.p99.5\"]\n"
		  "\tsource = prom.eu.west\n"
		  "\tquery = \"rate(x[5m]) # not a comment\"\n"
		  "[deploy \"checkout.eu.production\"]\n"
		  "\trollback = exec:true\n",
		  0600, &cfg);
	assert_no_problems(&cfg);
	assert_int_equal(cfg.n_metrics, 2);
	assert_string_equal(cfg.metrics[0].name, "checkout.rpm");
	assert_string_equal(cfg.metrics[0].source, "prom.eu.west");
	assert_string_equal(cfg.metrics[1].name, "checkout.latency.p99.5");
	assert_string_equal(cfg.metrics[1].query, "rate(x[5m]) # not a comment");
	assert_string_equal(cfg.deploys[0].name, "checkout.eu.production");
	assert_non_null(config_find_source(&cfg, "prom.eu.west"));
	assert_int_equal(config_find_source(&cfg, "prom.eu.west")->line, 1);
	config_release(&cfg);
}

static void
config__repeatable_keys_keep_every_value_in_order(void **state)
{
	struct fixture *fx = *state;
	const struct config_source *src;
	const char *projects[3];
	size_t i, n = 0;
	struct config cfg;

	load_text(fx,
		  "[source \"s\"]\n"
		  "\ttype = sentry\n"
		  "\turl = https://sentry.io\n"
		  "\torg = acme\n"
		  "\tproject = a\n"
		  "\ttoken = env:SENTRY_TOKEN\n"
		  "\tproject = b\n"
		  "\tproject = c\n",
		  0600, &cfg);
	assert_no_problems(&cfg);
	src = config_find_source(&cfg, "s");
	assert_non_null(src);
	for (i = 0; i < src->n_values; i++) {
		if (!streq(src->values[i].key, "project"))
			continue;
		assert_true(n < ARRAY_SIZE(projects));
		projects[n++] = src->values[i].value;
		assert_int_equal(src->values[i].line, i == 4 ? 5 : (int)i + 2);
	}
	assert_int_equal(n, 3);
	assert_string_equal(projects[0], "a");
	assert_string_equal(projects[1], "b");
	assert_string_equal(projects[2], "c");
	assert_string_equal(config_source_get(src, "project"), "a");
	config_release(&cfg);
}

/* [stages] rules come first, in file order; then the names engineers use. */
static void
config__stage_rules_name_the_kind_of_a_stage(void **state)
{
	static const struct {
		const char *name, *kind;
	} cases[] = {
		{ "pytest -k fast", "test" }, /* a rule */
		{ "Quality gate", "lint" },   /* a rule, any case */
		{ "checks", "integration" },  /* the second rule for the same name */
		{ "lint", "lint" },
		{ "unit-tests", "test" },
		{ "docker build", "build" },
		{ "Publish alpha", "publish" },
		{ "publish image", "publish" },
		{ "UI tests", "integration" },
		{ "e2e", "integration" },
		{ "Release branch", "release" },
		{ "deploy-production", "deploy" },
		{ "Canary 25%", "deploy" },
		{ "checkout", NULL },
		{ "Staging", "deploy" },
		{ "tag v1.2.0", "release" },
		{ "", NULL },
	};
	struct fixture *fx = *state;
	struct source_ctx ctx = { 0 };
	struct config cfg;

	load_text(fx,
		  "[stages]\n"
		  "\ttest = pytest*\n"
		  "\tlint = quality*\n"
		  "\tintegration = checks\n"
		  "\tbuild = checks\n",
		  0600, &cfg);
	assert_no_problems(&cfg);
	assert_int_equal(cfg.n_stage_rules, 4);
	ctx.stage_rules = cfg.stage_rules;
	ctx.n_stage_rules = cfg.n_stage_rules;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *got = source_stage_kind(&ctx, cases[i].name);

		if (cases[i].kind ? !got || !streq(got, cases[i].kind) : got != NULL)
			fail_msg("%s: got %s, want %s", cases[i].name, got ? got : "NULL",
				 cases[i].kind ? cases[i].kind : "NULL");
	}
	assert_null(source_stage_kind(&ctx, NULL));
	config_release(&cfg);
}

static void
config__defaults_and_lookups(void **state)
{
	struct fixture *fx = *state;
	const struct config_source *gh;
	struct config cfg;

	load_text(fx,
		  "[service \"checkout\"]\n"
		  "\ttier = 2\n"
		  "\tslo = 0.999\n"
		  "\tack-target = 5m\n"
		  "\tresolve-target = 1h30m\n"
		  "[source \"gh\"]\n"
		  "\ttype = github\n"
		  "\trepo = acme/checkout\n"
		  "\tservice = checkout\n"
		  "[deploy \"checkout.production\"]\n"
		  "\trollback = argocd:checkout-prod\n"
		  "\tauto-rollback\n",
		  0600, &cfg);
	assert_no_problems(&cfg);
	assert_null(cfg.theme);
	assert_true(cfg.mouse); /* the console's mouse is on unless [ui] says no */
	gh = config_find_source(&cfg, "gh");
	assert_non_null(gh);
	assert_int_equal(gh->interval, 60);
	assert_int_equal(gh->timeout, 30);
	assert_string_equal(gh->type, "github");
	assert_string_equal(gh->service, "checkout");
	assert_string_equal(config_source_get(gh, "url"), "https://api.github.com");
	assert_null(config_source_get(gh, "token"));
	assert_null(config_source_get(NULL, "url"));
	assert_null(config_find_source(&cfg, "GH"));
	assert_null(config_find_source(NULL, "gh"));
	assert_null(config_find_service(&cfg, "search"));
	assert_int_equal(config_find_service(&cfg, "checkout")->tier, 2);
	assert_int_equal(config_find_service(&cfg, "checkout")->ack_target, 300);
	assert_int_equal(config_find_service(&cfg, "checkout")->resolve_target, 5400);
	assert_true(cfg.deploys[0].auto_rollback);
	config_release(&cfg);
	/* release twice, and release of a zeroed config, are harmless */
	config_release(&cfg);
	config_release(NULL);
}

/* [deploy] holds defaults that a named section overrides; every executor kind. */
static void
config__deploy_defaults_and_executors(void **state)
{
	struct fixture *fx = *state;
	struct config cfg;

	load_text(fx,
		  "[deploy]\n"
		  "\ttimeout = 2m\n"
		  "\tallow-disable-autosync\n"
		  "[deploy \"checkout.production\"]\n"
		  "\trollback = github:acme/checkout\n"
		  "\tallow-disable-autosync = false\n"
		  "\ttimeout = 30s\n"
		  "[deploy \"checkout.staging\"]\n"
		  "\trollback = gitlab:acme/checkout\n",
		  0600, &cfg);
	assert_no_problems(&cfg);
	assert_int_equal(cfg.deploy_defaults.timeout, 120);
	assert_int_equal(cfg.deploy_defaults.allow_disable_autosync, 1);
	assert_int_equal(cfg.deploys[0].allow_disable_autosync, 0);
	assert_int_equal(cfg.deploys[0].timeout, 30);
	assert_int_equal(cfg.deploys[1].allow_disable_autosync, -1); /* the default's */
	assert_int_equal(cfg.deploys[1].timeout, 0);
	assert_string_equal(cfg.deploys[1].rollback, "gitlab:acme/checkout");
	config_release(&cfg);

	/* rollback belongs to a named section */
	load_text(fx, "[deploy]\n\trollback = exec:true\n", 0600, &cfg);
	assert_true(has_problem(&cfg, 2,
				"has no key \"rollback\" (keys: timeout, "
				"allow-disable-autosync, health-errors, health-latency, "
				"health-sustain, health-baseline, health-metric)"));
	config_release(&cfg);
}

/* An OAuth access token names its user: no email with auth = oauth. */
static void
config__zendesk_oauth_needs_no_email(void **state)
{
	struct fixture *fx = *state;
	struct config cfg;

	load_text(fx,
		  "[source \"z\"]\n\ttype = zendesk\n\turl = https://a.zendesk.com\n"
		  "\ttoken = env:T\n\tauth = oauth\n\tservice-field = 360012345672\n"
		  "\talert-field = 360012345671\n\tcorrelate = am\n",
		  0600, &cfg);
	if (cfg.n_problems)
		print_problems(&cfg);
	assert_int_equal(cfg.n_problems, 0);
	assert_string_equal(config_source_get(&cfg.sources[0], "alert-field"), "360012345671");
	config_release(&cfg);
}

/* [ui] mouse = false: the console leaves the mouse to the terminal. */
static void
config__ui_mouse_off(void **state)
{
	struct fixture *fx = *state;
	struct config cfg;

	load_text(fx, "[ui]\n\tmouse = false\n", 0600, &cfg);
	assert_no_problems(&cfg);
	assert_false(cfg.mouse);
	config_release(&cfg);
	load_text(fx, "[UI]\n\tMouse = off\n", 0600, &cfg);
	assert_no_problems(&cfg);
	assert_false(cfg.mouse);
	config_release(&cfg);
}

static void
config__missing_file(void **state)
{
	struct fixture *fx = *state;
	struct config cfg;

	/* at a default location: an empty config */
	assert_int_equal(config_load(&cfg, fx->path, false), SUCCESS);
	assert_null(cfg.path);
	assert_int_equal(cfg.n_sources + cfg.n_problems, 0);
	config_release(&cfg);
	/* asked for by name: an error that names it */
	assert_int_not_equal(config_load(&cfg, fx->path, true), SUCCESS);
	assert_non_null(strstr(status_message(ERROR_CUSTOM_MESSAGE), fx->path));
	config_release(&cfg);
	/* a directory is not a config */
	assert_int_not_equal(config_load(&cfg, fx->dir, false), SUCCESS);
	config_release(&cfg);
}

static void
set_env(const char *name, const char *value)
{
	if (value)
		setenv(name, value, 1);
	else
		unsetenv(name);
}

static void
config__default_path_lookup_order(void **state)
{
	static const char *const names[] = { "SITREP_CONFIG", "XDG_CONFIG_HOME", "HOME" };
	char *saved[ARRAY_SIZE(names)];
	char *p;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		saved[i] = getenv(names[i]) ? xstrdup(getenv(names[i])) : NULL;
	set_env("SITREP_CONFIG", "/etc/sitrep.conf");
	set_env("XDG_CONFIG_HOME", "/xdg");
	set_env("HOME", "/home/u");

	p = config_default_path("/explicit");
	assert_string_equal(p, "/explicit");
	free(p);
	p = config_default_path(NULL);
	assert_string_equal(p, "/etc/sitrep.conf");
	free(p);
	unsetenv("SITREP_CONFIG");
	p = config_default_path("");
	assert_string_equal(p, "/xdg/sitrep/config");
	free(p);
	set_env("XDG_CONFIG_HOME", "relative/ignored");
	p = config_default_path(NULL);
	assert_string_equal(p, "/home/u/.config/sitrep/config");
	free(p);
	unsetenv("XDG_CONFIG_HOME");
	p = config_default_path(NULL);
	assert_string_equal(p, "/home/u/.config/sitrep/config");
	free(p);

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		set_env(names[i], saved[i]);
		free(saved[i]);
	}
}

/*
 * Secrets
 */

static const char literal_config[] = "[source \"sentry\"]\n"
				     "\ttype = sentry\n"
				     "\turl = https://sentry.io\n"
				     "\torg = acme\n"
				     "\ttoken = sntrys_literal\n"; /* line 5 */

static void
config__literal_secret_refused_when_others_can_read(void **state)
{
	struct fixture *fx = *state;
	char *expect;
	struct config cfg;

	load_text(fx, literal_config, 0644, &cfg);
	assert_false(cfg.private_file);
	expect = xasprintf("source \"sentry\" token is a literal secret in a file others can "
			   "read: chmod 600 %s, or use env:VAR / cmd:COMMAND / file:PATH",
			   fx->path);
	if (!has_problem(&cfg, 5, expect) || cfg.n_problems != 1) {
		print_problems(&cfg);
		fail_msg("want: %s:5: %s", fx->path, expect);
	}
	free(expect);
	config_release(&cfg);

	/* group-readable only is still readable by others */
	load_text(fx, literal_config, 0640, &cfg);
	assert_int_equal(cfg.n_problems, 1);
	config_release(&cfg);

	/* chmod 600: the owner alone can read it, as ssh wants */
	load_text(fx, literal_config, 0600, &cfg);
	assert_true(cfg.private_file);
	assert_no_problems(&cfg);
	assert_string_equal(config_source_get(config_find_source(&cfg, "sentry"), "token"),
			    "sntrys_literal");
	config_release(&cfg);

	/* env:, cmd: and file: are fine in any file */
	load_text(fx,
		  "[source \"z\"]\n\ttype = zabbix\n\turl = http://z\n\tuser = u\n"
		  "\tpassword = cmd:pass show zabbix\n"
		  "[source \"g\"]\n\ttype = grafana\n\turl = http://g\n\ttoken = file:~/.g\n"
		  "[source \"o\"]\n\ttype = opsgenie\n\turl = http://o\n\ttoken = env:OG\n",
		  0644, &cfg);
	assert_no_problems(&cfg);
	config_release(&cfg);
}

/* A distinctive value: if it shows up anywhere, a secret leaked. */
#define CANARY "zq7-CANARY-9f3a1c-do-not-print"

static bool
contains_canary(const char *text)
{
	return text && strstr(text, CANARY) != NULL;
}

static void
assert_problems_clean(const struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_problems; i++)
		if (contains_canary(cfg->problems[i]))
			fail_msg("secret leaked into a problem: %s", cfg->problems[i]);
}

static void
assert_message_clean(enum status_code code)
{
	assert_int_not_equal(code, SUCCESS);
	if (contains_canary(status_message(code)))
		fail_msg("secret leaked into a status message: %s", status_message(code));
}

/* Every path that handles a secret, with the canary as the secret, while stderr goes
 * to a file that is searched afterwards. */
static void
exercise_secret_paths(struct fixture *fx)
{
	char *file_spec = xasprintf("file:%s/secret", fx->dir);
	char *out = NULL;
	struct config cfg;
	enum status_code code;

	/* config problems around literal secrets, secrets in URLs, misplaced secrets */
	write_file(fx->path,
		   "[source \"s\"]\n"
		   "\ttype = sentry\n"
		   "\turl = https://user:" CANARY "@sentry.io\n"
		   "\ttoken = " CANARY "\n"
		   "\ttoken = " CANARY "\n"
		   "\tpassword = " CANARY "\n"
		   "\ttokne = " CANARY "\n"
		   "[source \"t\"]\n"
		   "\ttype = nagios\n"
		   "\ttoken = " CANARY "\n"
		   "[source \"u\"]\n"
		   "\ttype = prometheus\n"
		   "\turl = ftp://" CANARY "\n"
		   "\tpassword = " CANARY "\n"
		   "[deploy \"c.prod\"]\n"
		   "\trollback = curl -H 'token: " CANARY "'\n",
		   0644);
	assert_int_equal(config_load(&cfg, fx->path, true), SUCCESS);
	assert_true(cfg.n_problems >= 8);
	assert_problems_clean(&cfg);
	config_release(&cfg);

	/* a syntax error on a line holding a secret */
	write_file(fx->path, "[source \"s\"]\n\ttoken = " CANARY "\n\tto ken = " CANARY "\n", 0644);
	assert_message_clean(config_load(&cfg, fx->path, true));
	config_release(&cfg);

	/* resolving: a literal in a readable file is refused */
	assert_message_clean(secret_resolve(CANARY, "source s token", false, &out));
	assert_null(out);
	/* a command that prints the secret and then fails */
	assert_message_clean(secret_resolve("cmd:printf '%s\\n' " CANARY "; exit 3",
					    "source s token", true, &out));
	assert_null(out);
	/* a command that complains with the secret on stderr */
	assert_message_clean(
		secret_resolve("cmd:echo " CANARY " >&2; exit 1", "source s token", true, &out));
	/* a command that is killed */
	assert_message_clean(
		secret_resolve("cmd:echo " CANARY "; kill -9 $$", "source s token", true, &out));
	/* a file path that does not exist (the path is named, the secret is not) */
	assert_message_clean(secret_resolve("file:/nonexistent/sitrep-secret", "t", true, &out));
	/* a file whose first line is empty, with the secret on the second */
	write_file(file_spec + 5, "\n" CANARY "\n", 0600);
	assert_message_clean(secret_resolve(file_spec, "source s token", true, &out));

	/* and the successful paths print nothing */
	setenv("SITREP_TEST_CANARY", CANARY, 1);
	code = secret_resolve("env:SITREP_TEST_CANARY", "source s token", false, &out);
	assert_int_equal(code, SUCCESS);
	assert_string_equal(out, CANARY);
	secret_free(&out);
	unsetenv("SITREP_TEST_CANARY");
	code = secret_resolve("cmd:printf '%s\\n' " CANARY, "source s token", false, &out);
	assert_int_equal(code, SUCCESS);
	assert_string_equal(out, CANARY);
	secret_free(&out);
	assert_null(out);
	free(file_spec);
}

static void
config__secrets_never_leak(void **state)
{
	struct fixture *fx = *state;
	char *log = xasprintf("%s/stderr", fx->dir);
	char text[65536];
	int saved, fd;
	ssize_t n;

	fflush(stderr);
	saved = dup(2);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
	/* proves the capture works: this marker must be found below */
	fputs("stderr-capture-marker\n", stderr);

	exercise_secret_paths(fx);

	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);

	fd = open(log, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	assert_true(n >= 0);
	text[n] = '\0';
	assert_non_null(strstr(text, "stderr-capture-marker"));
	if (contains_canary(text))
		fail_msg("secret leaked to stderr:\n%s", text);
	free(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(config__sample_loads_without_problems),
		T(config__bad_snippets_report_file_and_line),
		T(config__problems_are_collected_and_loading_goes_on),
		T(config__syntax_error_names_file_and_line),
		T(config__names_keep_their_dots),
		T(config__repeatable_keys_keep_every_value_in_order),
		T(config__stage_rules_name_the_kind_of_a_stage),
		T(config__defaults_and_lookups),
		T(config__deploy_defaults_and_executors),
		T(config__zendesk_oauth_needs_no_email),
		T(config__ui_mouse_off),
		T(config__missing_file),
		T(config__default_path_lookup_order),
		T(config__literal_secret_refused_when_others_can_read),
		T(config__secrets_never_leak),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
