/* options.c - the options shared by the analytics commands (mttx, dora, slo): the
 * half-open report window, the evaluation instant, services and output format; and
 * the engine inputs every one of them needs from the cache. */
#include "sitrep/sitrep.h"
#include "cli-private.h"
#include "sitrep/config.h"
#include "sitrep/json.h"
#include "sitrep/text.h"

#include <getopt.h>
#include <stdarg.h>

void
cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("sitrep: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define REPORT_USAGE                                                 \
	"[--since 30d | --from T --to T] [--at T] [--service S]... " \
	"[--format table|json|csv]"

/* One line on stderr: what was wrong, and where to read more. */
static int
usage(const char *command, const char *why, const char *arg)
{
	cli_error("%s: %s%s%s (usage: sitrep %s " REPORT_USAGE ")", command, why, arg ? ": " : "",
		  arg ? arg : "", command);
	return EXIT_USAGE;
}

static int
parse_format(const char *command, const char *arg, enum report_format *format)
{
	if (streq(arg, "table"))
		*format = REPORT_TABLE;
	else if (streq(arg, "json"))
		*format = REPORT_JSON;
	else if (streq(arg, "csv"))
		*format = REPORT_CSV;
	else
		return usage(command, "unknown format", arg);
	return EXIT_OK;
}

int
report_opts_parse(int argc, char **argv, const char *command, struct report_opts *opts)
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "since", required_argument, NULL, 's' },
		{ "at", required_argument, NULL, 'a' },
		{ "service", required_argument, NULL, 'S' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int64_t since = 30 * 86400, from = TIME_NONE, to = TIME_NONE, at = TIME_NONE;
	int c;

	memset(opts, 0, sizeof(*opts));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!timestamp_parse(optarg, &from))
				return usage(command, "not a timestamp", optarg);
			break;
		case 't':
			if (!timestamp_parse(optarg, &to))
				return usage(command, "not a timestamp", optarg);
			break;
		case 's':
			if (!duration_parse(optarg, &since) || since <= 0)
				return usage(command, "not a duration", optarg);
			break;
		case 'a':
			if (!timestamp_parse(optarg, &at))
				return usage(command, "not a timestamp", optarg);
			break;
		case 'S':
			opts->services = xrealloc(opts->services,
						  (opts->n_services + 1) * sizeof(*opts->services));
			opts->services[opts->n_services++] = optarg;
			break;
		case 'F':
			if (parse_format(command, optarg, &opts->format) != EXIT_OK)
				return EXIT_USAGE;
			break;
		case 'h':
			printf("usage: sitrep %s " REPORT_USAGE "\n", command);
			return EXIT_HELP;
		default:
			return usage(command, "unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage(command, "unexpected argument", argv[optind]);
	if ((from == TIME_NONE) != (to == TIME_NONE))
		return usage(command, "--from and --to go together", NULL);
	if (from == TIME_NONE) {
		to = time_now();
		from = to - since;
	}
	if (from >= to)
		return usage(command, "--from must be before --to", NULL);
	opts->window.start = from;
	opts->window.end = to;
	opts->at = at == TIME_NONE ? to : at;
	return EXIT_OK;
}

void
report_opts_release(struct report_opts *opts)
{
	free(opts->services);
	opts->services = NULL;
}

int
report_session_open(struct report_session *s, int argc, char **argv, const char *command,
		    const struct global_opts *gopts)
{
	enum status_code code;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = report_opts_parse(argc, argv, command, &s->opts)) != EXIT_OK)
		return rc == EXIT_HELP ? EXIT_OK : rc;
	if ((code = cli_open_store(gopts, &s->store)) != SUCCESS ||
	    (code = service_set_load(s->store, s->opts.services, s->opts.n_services, &s->set)) !=
		    SUCCESS ||
	    (code = service_set_configure(&s->set, gopts)) != SUCCESS)
		return report_fail(code);
	return EXIT_OK;
}

void
report_session_close(struct report_session *s)
{
	service_set_release(&s->set);
	store_close(&s->store);
	report_opts_release(&s->opts);
}

int
report_fail(enum status_code code)
{
	cli_error("%s", status_message(code));
	return EXIT_FAILURE_;
}

enum status_code
cli_open_store(const struct global_opts *opts, struct store **store)
{
	char *path = store_default_path(opts->db_path);
	enum status_code code = store_open(store, path, 0);

	free(path);
	return code;
}

/* ---- services ---- */

static struct store_service *
find_service(struct service_set *set, const char *name)
{
	size_t i;

	for (i = 0; i < set->n_all; i++)
		if (streq(set->all[i].name, name))
			return &set->all[i];
	return NULL;
}

enum status_code
service_set_load(struct store *store, const char *const *names, size_t n_names,
		 struct service_set *set)
{
	enum status_code code;
	int64_t max_id = 0;
	size_t i;

	memset(set, 0, sizeof(*set));
	if ((code = store_list_services(store, &set->all, &set->n_all)) != SUCCESS)
		return code;
	/* Names came from upstreams and import files, and every report prints them. */
	for (i = 0; i < set->n_all; i++) {
		char *safe = text_sanitize(set->all[i].name, strlen(set->all[i].name), false);

		free(set->all[i].name);
		set->all[i].name = safe;
	}
	for (i = 0; i < set->n_all; i++)
		if (set->all[i].id > max_id)
			max_id = set->all[i].id;
	set->n_index = (size_t)max_id + 1;
	set->index_by_id = xmalloc(set->n_index * sizeof(*set->index_by_id));
	for (i = 0; i < set->n_index; i++)
		set->index_by_id[i] = SIZE_MAX;
	set->selected = xcalloc(set->n_all + 1, sizeof(*set->selected));
	if (n_names == 0) {
		for (i = 0; i < set->n_all; i++)
			set->selected[set->n_selected++] = &set->all[i];
	}
	for (i = 0; i < n_names; i++) {
		struct store_service *s = find_service(set, names[i]);

		if (!s) {
			service_set_release(set);
			return error("no service named \"%s\" in the cache", names[i]);
		}
		if (set->index_by_id[s->id] == SIZE_MAX)
			set->selected[set->n_selected++] = s;
		set->index_by_id[s->id] = 0;
	}
	for (i = 0; i < set->n_selected; i++)
		set->index_by_id[set->selected[i]->id] = i;
	return SUCCESS;
}

enum status_code
service_set_configure(struct service_set *set, const struct global_opts *opts)
{
	char *path = config_default_path(opts->config_path);
	struct config cfg;
	enum status_code code = config_load(&cfg, path, opts->config_path != NULL);
	size_t i;

	free(path);
	if (code != SUCCESS)
		return code;
	for (i = 0; i < cfg.n_problems; i++)
		cli_error("%s", cfg.problems[i]);
	service_set_apply_config(set, &cfg);
	config_release(&cfg);
	return SUCCESS;
}

void
service_set_apply_config(struct service_set *set, const struct config *cfg)
{
	for (size_t i = 0; i < set->n_all; i++) {
		const struct config_service *c = config_find_service(cfg, set->all[i].name);

		if (c && c->slo > 0)
			set->all[i].slo = c->slo;
		if (c && c->tier > 0)
			set->all[i].tier = c->tier;
	}
}

void
service_set_release(struct service_set *set)
{
	store_services_free(set->all, set->n_all);
	free(set->selected);
	free(set->index_by_id);
	memset(set, 0, sizeof(*set));
}

/* ---- engine settings ---- */

static int
clock_minutes(const char *s, int fallback)
{
	if (!s || strlen(s) != 5)
		return fallback;
	return (int)strtol(s, NULL, 10) * 60 + (int)strtol(s + 3, NULL, 10);
}

static void
parse_business_hours(const char *text, struct engine_settings *st)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	json_t *bh = json_parse(text, strlen(text), NULL, 0), *v;
	const char *tz;
	size_t i, d;

	if (!json_is_object(bh)) {
		json_decref(bh);
		return;
	}
	if (json_is_array(json_object_get(bh, "weekdays"))) {
		st->hours.weekdays = 0;
		json_array_foreach(json_object_get(bh, "weekdays"), i,
				   v) for (d = 0; d < ARRAY_SIZE(days);
					   d++) if (json_is_string(v) &&
						    streq(json_string_value(v), days[d]))
			st->hours.weekdays |= 1u << d;
	}
	st->hours.start_minute =
		clock_minutes(json_string_value(json_object_get(bh, "start")), 9 * 60);
	st->hours.end_minute =
		clock_minutes(json_string_value(json_object_get(bh, "end")), 17 * 60);
	tz = json_string_value(json_object_get(bh, "timezone"));
	if (tz && (tz[0] == '+' || tz[0] == '-'))
		st->hours.utc_offset_minutes = (tz[0] == '-' ? -1 : 1) * clock_minutes(tz + 1, 0);
	v = json_object_get(bh, "holidays");
	st->holidays = xcalloc(json_array_size(v) + 1, sizeof(*st->holidays));
	for (i = 0; i < json_array_size(v); i++) {
		int64_t t;

		if (timestamp_parse(json_string_value(json_array_get(v, i)), &t))
			st->holidays[st->hours.n_holidays++] = t / 86400;
	}
	st->hours.holidays = st->holidays;
	json_decref(bh);
}

enum status_code
engine_settings_load(struct store *store, struct engine_settings *st)
{
	char *reopen = NULL, *hours = NULL;
	enum status_code code;

	memset(st, 0, sizeof(*st));
	st->hours.weekdays = 0x3e; /* Mon-Fri */
	st->hours.start_minute = 9 * 60;
	st->hours.end_minute = 17 * 60;
	st->reopen_merge_seconds = 24 * 3600;
	if ((code = store_get_setting(store, "reopen_merge_window_hours", &reopen)) != SUCCESS ||
	    (code = store_get_setting(store, "business_hours", &hours)) != SUCCESS)
		goto out;
	if (reopen)
		st->reopen_merge_seconds = (int64_t)(strtod(reopen, NULL) * 3600 + 0.5);
	if (hours)
		parse_business_hours(hours, st);
out:
	free(reopen);
	free(hours);
	return code;
}

void
engine_settings_release(struct engine_settings *st)
{
	free(st->holidays);
	st->holidays = NULL;
}
