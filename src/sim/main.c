/* main.c - sitrep-sim's command line and lifetime: parse the options, load the
 * scenario, start the server on 127.0.0.1, publish the port, wait for SIGTERM or
 * SIGINT, and tear everything down so that valgrind finds nothing left.
 *
 * Signals are blocked before any thread starts and taken with sigwait() here, so
 * no handler ever runs inside libmicrohttpd or a request. Exit codes: 0 after a
 * clean stop, 1 on failure, 2 on a usage error. */
#include "sitrep/sitrep.h"
#include "sim.h"

#include <math.h>
#include <signal.h>
#include <unistd.h>

#define DEFAULT_START "2025-03-03T08:00:00Z"

struct options {
	long port;
	const char *port_file;
	uint64_t seed;
	int64_t start_ms;
	double speed;
	const char *scenario;
	const char *require_token;
	bool verbose;
};

static void
usage(FILE *out)
{
	fputs("usage: sitrep-sim [--port N] [--port-file FILE] [--seed N] [--start T] [--speed X]\n"
	      "                  [--scenario FILE] [--require-token T] [--verbose]\n"
	      "\n"
	      "A simulated ops world over HTTP on 127.0.0.1, for sitrep's tests and demo.\n"
	      "  --port N           port to listen on; 0 (default) picks a free one\n"
	      "  --port-file FILE   write the bound port to FILE once listening\n"
	      "  --seed N           seed of the deterministic noise (default 1)\n"
	      "  --start T          simulated start instant, or \"now\" (default " DEFAULT_START
	      ")\n"
	      "  --speed X          simulated seconds per real second (default 1; 0 = frozen)\n"
	      "  --scenario FILE    scenario JSON (default: the built-in week)\n"
	      "  --require-token T  answer 401 unless \"Authorization: Bearer T\" is sent\n"
	      "                     (Jenkins, ServiceNow: Basic auth with T as the password)\n"
	      "  --verbose          one line per request on stderr\n"
	      "\n"
	      "Dialects: /prometheus/, /alertmanager/, /sentry/, /opsgenie/, /grafana/, /zabbix/,\n"
	      "/servicenow/, /jenkins/, /zendesk/ (Basic EMAIL/token:T); control: /_sim/\n",
	      out);
}

/* "--name value" or "--name=value"; advances *i past what it consumed. */
static const char *
option_value(int argc, char **argv, int *i, const char *name)
{
	size_t len = strlen(name);
	const char *arg = argv[*i];

	if (strncmp(arg, name, len) != 0)
		return NULL;
	if (arg[len] == '=')
		return arg + len + 1;
	if (arg[len] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		fprintf(stderr, "sitrep-sim: %s needs a value\n", name);
		exit(2);
	}
	return argv[++*i];
}

static bool
parse_ulong(const char *text, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!text || *text < '0' || *text > '9')
		return false;
	v = strtoull(text, &end, 10);
	if (*end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

static enum status_code
parse_options(int argc, char **argv, struct options *o)
{
	int64_t start;
	unsigned long long n;

	timestamp_parse(DEFAULT_START, &start);
	*o = (struct options){ .port = 0, .seed = 1, .start_ms = start * 1000, .speed = 1.0 };
	for (int i = 1; i < argc; i++) {
		const char *v;
		char *end;

		if (streq(argv[i], "--help") || streq(argv[i], "-h")) {
			usage(stdout);
			exit(0);
		} else if (streq(argv[i], "--verbose")) {
			o->verbose = true;
		} else if ((v = option_value(argc, argv, &i, "--port"))) {
			if (!parse_ulong(v, 65535, &n))
				return error("--port: expected 0 to 65535, not \"%s\"", v);
			o->port = (long)n;
		} else if ((v = option_value(argc, argv, &i, "--port-file"))) {
			o->port_file = v;
		} else if ((v = option_value(argc, argv, &i, "--seed"))) {
			if (!parse_ulong(v, UINT64_MAX, &n))
				return error("--seed: expected a non-negative integer, not \"%s\"",
					     v);
			o->seed = n;
		} else if ((v = option_value(argc, argv, &i, "--start"))) {
			if (streq(v, "now"))
				o->start_ms = time_now() * 1000;
			else if (!wire_parse_time(v, &o->start_ms))
				return error("--start: cannot read \"%s\" as an instant", v);
		} else if ((v = option_value(argc, argv, &i, "--speed"))) {
			o->speed = strtod(v, &end);
			if (*v == '\0' || *end != '\0' || !isfinite(o->speed) || o->speed < 0 ||
			    o->speed > 1e6)
				return error(
					"--speed: expected a number from 0 to 1000000, not \"%s\"",
					v);
		} else if ((v = option_value(argc, argv, &i, "--scenario"))) {
			o->scenario = v;
		} else if ((v = option_value(argc, argv, &i, "--require-token"))) {
			if (!*v)
				return error("--require-token: the token must not be empty");
			o->require_token = v;
		} else {
			return error("unknown option \"%s\"", argv[i]);
		}
	}
	return SUCCESS;
}

/* Written to a temporary name and renamed, so a test polling for the file never
 * reads it half-written. */
static enum status_code
write_port_file(const char *path, unsigned int port)
{
	char *tmp = xasprintf("%s.tmp%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	enum status_code rc = SUCCESS;

	if (!f || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
		rc = error("cannot write the port file %s", path);
		if (f)
			remove(tmp);
	}
	free(tmp);
	return rc;
}

static enum status_code
load_scenario_faults(struct sim *sim)
{
	json_t *spec;
	size_t i;
	char err[200];

	json_array_foreach(sim->world.faults, i, spec)
	{
		if (!fault_add(&sim->faults, spec, NULL, err, sizeof(err)))
			return error("scenario: faults[%zu]: %s", i, err);
	}
	return SUCCESS;
}

static void
sim_release(struct sim *sim)
{
	fault_list_release(&sim->faults);
	reqlog_release(&sim->log);
	am_store_release(&sim->am);
	opsgenie_release(sim);
	zabbix_state_release(sim);
	sim_acks_release(sim);
	sim_made_release(sim);
	world_release(&sim->world);
	pthread_mutex_destroy(&sim->lock);
}

static int
run(const struct options *o, struct sim *sim, const sigset_t *stop)
{
	int sig;

	if (load_scenario_faults(sim) || server_start(sim, (uint16_t)o->port)) {
		fprintf(stderr, "sitrep-sim: %s\n", status_message(ERROR_CUSTOM_MESSAGE));
		return 1;
	}
	if (o->port_file && write_port_file(o->port_file, sim->port)) {
		fprintf(stderr, "sitrep-sim: %s\n", status_message(ERROR_CUSTOM_MESSAGE));
		server_stop(sim);
		return 1;
	}
	if (o->verbose)
		fprintf(stderr, "sitrep-sim: listening on http://127.0.0.1:%u/\n",
			(unsigned int)sim->port);
	while (sigwait(stop, &sig) != 0)
		;
	server_stop(sim);
	if (o->port_file)
		remove(o->port_file);
	return 0;
}

int
main(int argc, char **argv)
{
	struct options o;
	struct sim sim;
	sigset_t stop;
	int rc;

	if (parse_options(argc, argv, &o)) {
		fprintf(stderr, "sitrep-sim: %s\n", status_message(ERROR_CUSTOM_MESSAGE));
		usage(stderr);
		return 2;
	}
	/* Before any thread exists, so that every thread inherits the mask. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&sim, 0, sizeof(sim));
	pthread_mutex_init(&sim.lock, NULL);
	atomic_init(&sim.stopping, false);
	rc = (int)world_load(&sim.world, o.scenario, floor_div(o.start_ms, 1000), o.seed);
	if (rc) {
		fprintf(stderr, "sitrep-sim: %s\n", status_message((enum status_code)rc));
		pthread_mutex_destroy(&sim.lock);
		return 1;
	}
	sim_clock_init(&sim.clock, o.start_ms, o.speed);
	sim.require_token = o.require_token ? o.require_token : sim.world.require_token;
	sim.verbose = o.verbose;
	rc = run(&o, &sim, &stop);
	sim_release(&sim);
	return rc;
}
