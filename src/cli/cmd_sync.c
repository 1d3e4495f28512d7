/* cmd_sync.c - `sitrep sync --once` (one round of every configured source, or of
 * those named, one line each) and `sitrep status` (each source's health from its
 * sync state: ok, stale, failing or never; with --format line, one short line for a
 * tmux status bar: the worst open incident, failing sources, a rollout alarm). */
#include "sitrep/sitrep.h"
#include "cli-private.h"
#include "sitrep/config.h"
#include "sitrep/json.h"
#include "sitrep/rollback.h"
#include "sitrep/sync.h"
#include "sitrep/text.h"

#include <errno.h>
#include <math.h>
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>

#define SYNC_USAGE "sitrep sync --once|--daemon [--source NAME]... [--verbose]"

static volatile sig_atomic_t stop_requested;

static void
on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* SIGTERM and SIGINT end the daemon after the page it is committing. */
static void
catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

#define STATUS_USAGE "sitrep status [--format text|line|json]"

static enum status_code
load_config(const struct global_opts *gopts, struct config *cfg)
{
	char *path = config_default_path(gopts->config_path);
	enum status_code code = config_load(cfg, path, gopts->config_path != NULL);

	free(path);
	if (code != SUCCESS)
		return code;
	for (size_t i = 0; i < cfg->n_problems; i++)
		cli_error("%s", cfg->problems[i]);
	return SUCCESS;
}

static bool
selected(const char *name, char **names, size_t n)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (streq(names[i], name))
			return true;
	return false;
}

static void
print_report(const struct sync_report *r)
{
	char *safe;

	if (!r->failed) {
		printf("%-16s ok      %8lld records %5lld pages %8.3f s\n", r->source,
		       (long long)r->records, (long long)r->pages, r->seconds);
		return;
	}
	safe = text_sanitize(r->error, strlen(r->error), false);
	cli_error("sync: %s: failed after %lld records, %lld pages, %.3f s: %s", r->source,
		  (long long)r->records, (long long)r->pages, r->seconds, safe);
	free(safe);
}

static int
sync_sources(struct store *store, const struct config *cfg, char **names, size_t n_names,
	     FILE *trace)
{
	struct http_options hopts = { .trace = trace };
	struct http_client *http = http_client_new(&hopts);
	struct sync_options sopts = { 0 };
	int rc = EXIT_OK;
	size_t done = 0;
	bool cache_failed = false;

	for (size_t i = 0; i < cfg->n_sources; i++) {
		struct sync_report report;
		enum status_code code;

		if (!selected(cfg->sources[i].name, names, n_names))
			continue;
		done++;
		code = sync_round(store, http, cfg, &cfg->sources[i], &sopts, &report);
		if (code != SUCCESS) {
			rc = report_fail(code);
			cache_failed = true;
			break;
		}
		print_report(&report);
		if (report.failed)
			rc = EXIT_FAILURE_;
	}
	http_client_free(&http);
	/* The round may have turned a bake bad: the auto-rollbacks (rollback.h). */
	if (done && !cache_failed) {
		enum status_code code = rollback_alarm_act(store, cfg, time_now(), stdout);

		if (code != SUCCESS)
			rc = report_fail(code);
	}
	if (rc == EXIT_OK && done < (n_names ? n_names : 1)) {
		cli_error("sync: %s", n_names ? "no such [source] in the config"
					      : "the config has no [source] sections");
		rc = EXIT_FAILURE_;
	}
	return rc;
}

int
cmd_sync(int argc, char **argv, const struct global_opts *gopts)
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, 'o' },	    { "daemon", no_argument, NULL, 'd' },
		{ "source", required_argument, NULL, 's' }, { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },	    { NULL, 0, NULL, 0 },
	};
	char **names = xcalloc((size_t)argc + 1, sizeof(*names));
	size_t n_names = 0;
	bool verbose = false, daemon = false;
	struct config cfg;
	struct store *store = NULL;
	enum status_code code;
	int c, rc = EXIT_USAGE;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'o') {
			continue;
		} else if (c == 's') {
			names[n_names++] = optarg;
		} else if (c == 'v') {
			verbose = true;
		} else if (c == 'h') {
			printf("usage: " SYNC_USAGE "\n");
			rc = EXIT_OK;
			goto out_args;
		} else if (c == 'd') {
			daemon = true;
		} else {
			cli_error("sync: unknown option: %s (usage: " SYNC_USAGE ")",
				  argv[optind - 1]);
			goto out_args;
		}
	}
	if ((code = load_config(gopts, &cfg)) != SUCCESS) {
		rc = report_fail(code);
		goto out_args;
	}
	if ((code = cli_open_store(gopts, &store)) != SUCCESS) {
		rc = report_fail(code);
	} else if (daemon) {
		FILE *log = sync_log_open();

		if (!log)
			cli_error("sync: %s", status_message(ERROR_CUSTOM_MESSAGE));
		catch_stop_signals();
		rc = sync_daemon(store, &cfg, names, n_names, &stop_requested, NULL, log,
				 verbose ? log : NULL, true);
		if (rc != EXIT_OK)
			cli_error("sync: %s", status_message(ERROR_CUSTOM_MESSAGE));
		if (log)
			fclose(log);
	} else {
		rc = sync_sources(store, &cfg, names, n_names, verbose ? stderr : NULL);
	}
	store_close(&store);
	config_release(&cfg);
out_args:
	free(names);
	return rc;
}

/* ---- status ---- */

struct source_status {
	const struct config_source *src;
	struct store_sync_state *states; /* borrowed from the whole list */
	size_t n_states;
	enum sync_health health;
	int64_t last_success;
	const char *last_error;
};

static json_t *
source_json(const struct source_status *s)
{
	json_t *o = json_object(), *streams = json_array();

	json_object_set_new(o, "name", json_string(s->src->name));
	json_object_set_new(o, "type", json_string(s->src->type ? s->src->type : ""));
	json_object_set_new(o, "state", json_string(sync_health_name(s->health)));
	json_object_set_new(o, "last_success", json_time(s->last_success));
	json_object_set_new(o, "last_error",
			    s->last_error ? json_string(s->last_error) : json_null());
	for (size_t i = 0; i < s->n_states; i++) {
		const struct store_sync_state *st = &s->states[i];

		json_array_append_new(
			streams,
			json_pack("{s:s,s:o,s:o,s:o,s:I,s:I}", "stream", st->stream, "last_attempt",
				  json_time(st->last_attempt), "last_success",
				  json_time(st->last_success), "last_error",
				  st->last_error ? json_string(st->last_error) : json_null(),
				  "records", (json_int_t)st->records, "pages",
				  (json_int_t)st->pages));
	}
	json_object_set_new(o, "streams", streams);
	return o;
}

#define LINE_WIDTH 160
static void add_safe(struct buf *b, const char *s, size_t width);

/* "ALARM checkout.production 1.44.0-rc.1 canary 10%: errors/min ... for 3m". */
static void
add_health_alarm(struct buf *b, const struct rollback_alarm *a)
{
	char text[512];

	rollback_alarm_describe(a, text, sizeof(text));
	buf_addstr(b, "ALARM ");
	add_safe(b, text, LINE_WIDTH);
}

/* `--format text`: every source's health, on one line, then a line per rollback
 * alarm. */
static void
status_sources(const struct source_status *all, size_t n, int64_t now,
	       const struct rollback_alarm *alarms, size_t n_alarms)
{
	for (size_t i = 0; i < n; i++) {
		char age[32] = "";

		if (all[i].last_success != TIME_NONE)
			duration_format(now - all[i].last_success, age, sizeof(age));
		printf("%s%s %s%s%s", i ? " · " : "", all[i].src->name,
		       sync_health_name(all[i].health), *age ? " " : "", age);
	}
	printf("\n");
	for (size_t i = 0; i < n_alarms; i++) {
		struct buf b;

		buf_init(&b, 0);
		add_health_alarm(&b, &alarms[i]);
		printf("%s\n", b.data);
		buf_release(&b);
	}
}

/* ---- the tmux line ---- */

#define LINE_TITLE_WIDTH 40

/* Untrusted text into b, sanitized and cut to width columns. */
static void
add_safe(struct buf *b, const char *s, size_t width)
{
	char *safe = text_sanitize(s ? s : "", s ? strlen(s) : 0, false);
	char cut[512];

	text_truncate(safe, width, text_locale_utf8(), cut, sizeof(cut));
	buf_addstr(b, cut);
	free(safe);
}

static void
add_incident(struct buf *b, const struct store_open_incident *in, int64_t now)
{
	char age[32];

	duration_format(now > in->detected_at ? now - in->detected_at : 0, age, sizeof(age));
	add_safe(b, in->severity ? in->severity : "P?", 8);
	buf_addch(b, ' ');
	add_safe(b, in->service, 24);
	buf_printf(b, " %s: ", age);
	add_safe(b, in->title ? in->title : in->source_id, LINE_TITLE_WIDTH);
}

/* "failing: a, b" for the sources in health h, or nothing. */
static void
add_sources(struct buf *b, const struct source_status *all, size_t n, enum sync_health h)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (all[i].health != h)
			continue;
		buf_addstr(b, k++ ? ", " : " | ");
		if (k == 1)
			buf_printf(b, "%s: ", sync_health_name(h));
		add_safe(b, all[i].src->name, 24);
	}
}

static void
add_alarm(struct buf *b, const struct store_rollout_alarm *a)
{
	buf_addstr(b, " | ALARM ");
	add_safe(b, a->service, 24);
	buf_addch(b, ' ');
	add_safe(b, a->version ? a->version : "?", 24);
	if (a->canary_weight >= 0)
		buf_printf(b, " canary %.0f%%", a->canary_weight);
	else if (a->pattern) {
		buf_addch(b, ' ');
		add_safe(b, a->pattern, 16);
	}
}

/* `--format line`: one short line for a tmux status bar, fast enough for every few
 * seconds: a rollback alarm first (a bake gone bad), the worst open incident and its
 * age, the failing and stale sources, and, without a rollback alarm, a rollout that
 * an open incident puts in doubt. Plain text, no control characters, at most
 * LINE_WIDTH columns. */
static int
status_line(struct store *store, const struct source_status *all, size_t n, int64_t now,
	    const struct rollback_alarm *alarms, size_t n_alarms)
{
	struct store_open_incident worst;
	struct store_rollout_alarm alarm;
	bool found_worst, found_alarm;
	enum status_code code;
	struct buf b;
	char line[LINE_WIDTH * 4 + 1];

	if ((code = store_worst_open_incident(store, &worst, &found_worst)) != SUCCESS)
		return report_fail(code);
	if ((code = store_rollout_alarm(store, now, &alarm, &found_alarm)) != SUCCESS) {
		store_open_incident_release(&worst);
		return report_fail(code);
	}
	buf_init(&b, 0);
	if (n_alarms) {
		add_health_alarm(&b, &alarms[0]);
		buf_addstr(&b, " | ");
	}
	if (found_worst)
		add_incident(&b, &worst, now);
	else
		buf_addstr(&b, "no open incidents");
	add_sources(&b, all, n, SYNC_FAILING);
	add_sources(&b, all, n, SYNC_STALE);
	if (found_alarm && !n_alarms)
		add_alarm(&b, &alarm);
	/* Each part is safe already; the whole is cut once more to the bar's width. */
	text_truncate(b.data, LINE_WIDTH, text_locale_utf8(), line, sizeof(line));
	printf("%s\n", line);
	buf_release(&b);
	store_open_incident_release(&worst);
	store_rollout_alarm_release(&alarm);
	return EXIT_OK;
}

static json_t *
worst_json(const struct store_open_incident *in)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "service", json_string(in->service),
			 "severity", in->severity ? json_string(in->severity) : json_null(),
			 "title", in->title ? json_string(in->title) : json_null(), "source",
			 json_string(in->source), "source_id", json_string(in->source_id),
			 "detected_at", json_time(in->detected_at));
}

static json_t *
alarm_json(const struct store_rollout_alarm *a)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "service", json_string(a->service),
			 "version", a->version ? json_string(a->version) : json_null(), "pattern",
			 a->pattern ? json_string(a->pattern) : json_null(), "status",
			 json_string(a->status ? a->status : ""), "canary_weight",
			 a->canary_weight >= 0 ? json_real(a->canary_weight) : json_null(),
			 "started_at", json_time(a->started_at), "incident_at",
			 json_time(a->incident_at));
}

static json_t *
json_real_or_null(double v)
{
	return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static json_t *
health_alarm_json(const struct rollback_alarm *a)
{
	json_t *o = json_object(), *metrics = json_array();

	json_object_set_new(o, "service", json_string(a->deploy.service));
	json_object_set_new(o, "environment", json_string(a->deploy.environment));
	json_object_set_new(o, "version",
			    a->deploy.version ? json_string(a->deploy.version) : json_null());
	json_object_set_new(o, "deployment", json_string(a->deploy.source_id));
	json_object_set_new(o, "started_at", json_time(a->deploy.started_at));
	json_object_set_new(o, "verdict", json_string(health_verdict_name(a->health.verdict)));
	json_object_set_new(o, "reason", json_string(a->health.reason));
	json_object_set_new(o, "auto_rollback", a->acted ? json_string(a->acted) : json_null());
	for (size_t i = 0; i < a->health.n_metrics; i++) {
		const struct health_metric *m = &a->health.metrics[i];

		json_array_append_new(metrics, json_pack("{s:s,s:s,s:o,s:o,s:o,s:I,s:s}", "series",
							 m->series, "verdict",
							 health_verdict_name(m->verdict),
							 "baseline", json_real_or_null(m->baseline),
							 "now", json_real_or_null(m->now), "ratio",
							 json_real_or_null(m->ratio), "held",
							 (json_int_t)m->held, "reason", m->reason));
	}
	json_object_set_new(o, "metrics", metrics);
	return o;
}

/* `--format json`: the sources with their streams, the worst open incident, the
 * rollout alarm (null when there is none), the rollback alarms (failing bakes) and
 * every bake under way with its health. */
static int
status_json(struct store *store, const struct config *cfg, const struct source_status *all,
	    size_t n, int64_t now, const struct rollback_alarm *alarms, size_t n_alarms)
{
	struct rollback_alarm *bakes;
	size_t n_bakes;
	json_t *o = json_object(), *list = json_array();
	struct store_open_incident worst;
	struct store_rollout_alarm alarm;
	bool found_worst = false, found_alarm = false;
	enum status_code code;
	int rc;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, source_json(&all[i]));
	json_object_set_new(o, "at", json_time(now));
	json_object_set_new(o, "sources", list);
	if ((code = store_worst_open_incident(store, &worst, &found_worst)) != SUCCESS ||
	    (code = store_rollout_alarm(store, now, &alarm, &found_alarm)) != SUCCESS) {
		json_decref(o);
		store_open_incident_release(&worst);
		return report_fail(code);
	}
	json_object_set_new(o, "worst_open_incident",
			    found_worst ? worst_json(&worst) : json_null());
	json_object_set_new(o, "alarm", found_alarm ? alarm_json(&alarm) : json_null());
	list = json_array();
	for (size_t i = 0; i < n_alarms; i++)
		json_array_append_new(list, health_alarm_json(&alarms[i]));
	json_object_set_new(o, "rollback_alarms", list);
	list = json_array();
	if ((code = rollback_bakes(store, cfg, now, &bakes, &n_bakes)) != SUCCESS) {
		json_decref(list);
		json_decref(o);
		store_open_incident_release(&worst);
		store_rollout_alarm_release(&alarm);
		return report_fail(code);
	}
	for (size_t i = 0; i < n_bakes; i++)
		json_array_append_new(list, health_alarm_json(&bakes[i]));
	rollback_alarms_free(bakes, n_bakes);
	json_object_set_new(o, "bakes", list);
	rc = report_write(o, REPORT_JSON);
	json_decref(o);
	store_open_incident_release(&worst);
	store_rollout_alarm_release(&alarm);
	return rc;
}

int
cmd_status(int argc, char **argv, const struct global_opts *gopts)
{
	struct config cfg;
	struct store *store = NULL;
	struct store_sync_state *states = NULL;
	struct source_status *all = NULL;
	struct rollback_alarm *alarms = NULL;
	size_t n_states = 0, n_alarms = 0;
	const char *format = "text";
	int64_t now = time_now();
	enum status_code code;
	int rc = EXIT_OK;

	for (int i = 1; i < argc; i++) {
		if (streq(argv[i], "--format") && i + 1 < argc &&
		    (streq(argv[i + 1], "json") || streq(argv[i + 1], "line") ||
		     streq(argv[i + 1], "text"))) {
			format = argv[++i];
		} else if (streq(argv[i], "--help")) {
			printf("usage: " STATUS_USAGE "\n");
			return EXIT_OK;
		} else {
			cli_error("status: unexpected argument: %s (usage: " STATUS_USAGE ")",
				  argv[i]);
			return EXIT_USAGE;
		}
	}
	if ((code = load_config(gopts, &cfg)) != SUCCESS)
		return report_fail(code);
	if ((code = cli_open_store(gopts, &store)) != SUCCESS ||
	    (code = store_sync_states(store, &states, &n_states)) != SUCCESS) {
		rc = report_fail(code);
		goto out;
	}
	all = xcalloc(cfg.n_sources + 1, sizeof(*all));
	for (size_t i = 0; i < cfg.n_sources; i++) {
		struct source_status *s = &all[i];
		size_t j = 0;

		s->src = &cfg.sources[i];
		while (j < n_states && !streq(states[j].source, s->src->name))
			j++;
		s->states = states + j;
		while (j + s->n_states < n_states &&
		       streq(states[j + s->n_states].source, s->src->name))
			s->n_states++;
		s->health = sync_health_of(s->states, s->n_states, s->src->interval, now,
					   &s->last_success, &s->last_error);
	}
	if ((code = rollback_alarms(store, &cfg, now, &alarms, &n_alarms)) != SUCCESS) {
		rc = report_fail(code);
		goto out;
	}
	if (streq(format, "json"))
		rc = status_json(store, &cfg, all, cfg.n_sources, now, alarms, n_alarms);
	else if (streq(format, "line"))
		rc = status_line(store, all, cfg.n_sources, now, alarms, n_alarms);
	else
		status_sources(all, cfg.n_sources, now, alarms, n_alarms);
	rollback_alarms_free(alarms, n_alarms);
out:
	free(all);
	store_sync_states_free(states, n_states);
	store_close(&store);
	config_release(&cfg);
	return rc;
}
