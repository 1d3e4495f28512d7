/* gen.c - deterministic benchmark data for sitrep.
 *
 *   gen N OUT_DIR
 *
 * writes OUT_DIR/import.json (the import format, sitrep-import/1: settings, 50
 * services, N incidents, N/10 deployments) and OUT_DIR/incidents.csv, the same N
 * incidents as the rows sitrep stores in its `incidents` table (epoch seconds, empty
 * for NULL), so that a plain `sqlite3 .import` can serve as the baseline.
 *
 * Plain C11 and libc only (no libm: the log-normal shapes use an Irwin-Hall normal
 * and a local exp()); the PRNG is splitmix64 with a fixed seed, so the output depends
 * on N alone and is byte-identical from run to run and machine to machine.
 *
 * CSV columns: id, then the columns of `incidents` in schema order (source, source_id,
 * service_id, ..., updated_at). id is the rowid sitrep itself assigns (1..N in file
 * order); it is there because sqlite3 3.40's .import cannot name columns, and a row
 * one column short is padded with a warning per row. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define T_START 1735689600LL /* 2025-01-01T00:00:00Z */
#define T_END 1767225600LL   /* 2026-01-01T00:00:00Z */
#define NONE INT64_MIN	     /* an absent timestamp */
#define N_SERVICES 50
#define MINUTE 60.0
#define HOUR 3600.0
#define DAY 86400.0

/* ---- randomness ---- */

static uint64_t rng_state = 0x5172e9b3c0ffee11ULL;

static uint64_t
rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in [0, 1) */
static double
unif(void)
{
	return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0);
}

/* uniform integer in [0, n) */
static int
pick(int n)
{
	return (int)(unif() * n);
}

static int
chance(double p)
{
	return unif() < p;
}

/* standard normal, approximately: Irwin-Hall with 12 terms (|z| <= 6) */
static double
normal(void)
{
	double s = 0;
	int i;

	for (i = 0; i < 12; i++)
		s += unif();
	return s - 6.0;
}

/* e^x without libm: halve into [-0.5, 0.5], Taylor series, square back */
static double
xexp(double x)
{
	double term = 1, sum = 1;
	int k = 0, i;

	while (x > 0.5 || x < -0.5) {
		x /= 2;
		k++;
	}
	for (i = 1; i < 16; i++) {
		term *= x / i;
		sum += term;
	}
	while (k-- > 0)
		sum *= sum;
	return sum;
}

/* log-normal-ish duration in seconds: median * e^(sigma z), at least min_s */
static int64_t
duration(double median, double sigma, double min_s)
{
	double d = median * xexp(sigma * normal());

	if (d < min_s)
		d = min_s;
	return (int64_t)d;
}

/* ---- output ---- */

/* ISO-8601 UTC; days-from-civil inverse (H. Hinnant), no time zone involved */
static const char *
iso(int64_t t, char *buf)
{
	int64_t days = t / 86400, secs = t % 86400, z, era, doe, yoe, y, doy, mp, d, m;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	snprintf(buf, 24, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, (int)m, (int)d,
		 (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
	return buf;
}

/* ,"key":"2025-..." unless t is absent (absent = unknown in the format) */
static void
j_time(FILE *f, const char *key, int64_t t)
{
	char buf[24];

	if (t != NONE)
		fprintf(f, ",\"%s\":\"%s\"", key, iso(t, buf));
}

/* CSV: an integer field, empty for NULL */
static void
c_int(FILE *f, int64_t v)
{
	if (v != NONE)
		fprintf(f, "%lld", (long long)v);
	fputc(',', f);
}

/* CSV: a text field, empty for NULL, quoted when it needs to be */
static void
c_str(FILE *f, const char *s, int last)
{
	if (s) {
		if (strpbrk(s, ",\"\n\r")) {
			fputc('"', f);
			for (; *s; s++) {
				if (*s == '"')
					fputc('"', f);
				fputc(*s, f);
			}
			fputc('"', f);
		} else {
			fputs(s, f);
		}
	}
	fputc(last ? '\n' : ',', f);
}

static void
hex(char *out, int n)
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < n; i++)
		out[i] = digits[rnd() & 15];
	out[n] = '\0';
}

/* ---- the world ---- */

static const char *const service_names[N_SERVICES] = {
	"checkout",	 "search",
	"payments",	 "auth",
	"cart",		 "catalog",
	"inventory",	 "shipping",
	"orders",	 "accounts",
	"notifications", "email",
	"sms-gateway",	 "recommendations",
	"pricing",	 "promotions",
	"reviews",	 "media",
	"cdn-edge",	 "api-gateway",
	"graphql",	 "mobile-bff",
	"web-frontend",	 "admin",
	"reporting",	 "billing",
	"invoicing",	 "tax",
	"fraud",	 "risk",
	"ledger",	 "wallet",
	"loyalty",	 "subscriptions",
	"feature-flags", "config",
	"identity",	 "sso",
	"audit",	 "export",
	"import",	 "scheduler",
	"queue",	 "stream-ingest",
	"warehouse",	 "etl",
	"ml-serving",	 "geo",
	"maps",		 "status-page",
};
static const char *const slo_values[] = { "0.999", "0.9995", "0.99", "0.995", "0.9999" };

struct source {
	const char *name, *url; /* url: printf pattern with the id, or NULL */
	double weight;
};

static const struct source incident_sources[] = {
	{ "pagerduty", "https://acme.pagerduty.com/incidents/%s", 0.35 },
	{ "opsgenie", "https://acme.app.opsgenie.com/alert/detail/%s", 0.20 },
	{ "zabbix", NULL, 0.15 },
	{ "sentry", "https://sentry.acme.io/issues/%s/", 0.10 },
	{ "grafana", "https://grafana.acme.io/alerting/%s", 0.10 },
	{ "servicenow", "https://acme.service-now.com/incident.do?id=%s", 0.10 },
};

static const char *const symptoms[] = {
	"elevated 5xx rate",
	"p99 latency above threshold",
	"queue backlog growing",
	"disk usage above 90%",
	"pod crash loop",
	"database replication lag",
	"error budget burn rate high",
	"upstream dependency timeouts",
	"memory leak suspected",
	"TLS handshake failures",
	"health check flapping",
	"connection pool exhausted",
};
static const char *const planned_symptoms[] = {
	"planned maintenance",
	"database failover drill",
	"cluster upgrade window",
};
static const char *const severities[] = { "P1", "P2", "P3", "P4", "P5" };
static const char *const impacts[] = { "outage", "degraded", "planned" };
/* resolution SLA per severity, minutes */
static const int sla_minutes[] = { 120, 480, 1440, 4320, 10080 };
static const char *const sla_text[] = { "2h", "8h", "24h", "3d", "7d" };

/* a service index, skewed: a few services have most of the incidents */
static int
pick_service(void)
{
	double u = unif();

	return (int)(N_SERVICES * u * u);
}

static const struct source *
pick_source(void)
{
	double u = unif(), acc = 0;
	size_t i;

	for (i = 0; i < sizeof(incident_sources) / sizeof(incident_sources[0]); i++) {
		acc += incident_sources[i].weight;
		if (u < acc)
			return &incident_sources[i];
	}
	return &incident_sources[0];
}

static int
pick_severity(int impact)
{
	double u = unif();

	if (impact == 2)
		return u < 0.7 ? 3 : 4;
	return u < 0.05 ? 0 : u < 0.20 ? 1 : u < 0.55 ? 2 : u < 0.85 ? 3 : 4;
}

static void
write_header(FILE *f)
{
	int i;

	fputs("{\n\"format\": \"sitrep-import/1\",\n", f);
	fputs("\"settings\": {\"reopen_merge_window_hours\": 24, \"business_hours\": "
	      "{\"timezone\": \"UTC\", \"weekdays\": [\"Mon\", \"Tue\", \"Wed\", \"Thu\", "
	      "\"Fri\"], "
	      "\"start\": \"09:00\", \"end\": \"17:00\", \"holidays\": [\"2025-01-01\", "
	      "\"2025-05-01\", \"2025-12-25\", \"2025-12-26\"]}},\n",
	      f);
	fputs("\"services\": [\n", f);
	for (i = 0; i < N_SERVICES; i++)
		fprintf(f,
			"{\"name\":\"%s\",\"slo\":\"%s\",\"slo_period_days\":%d,\"tier\":%d}%s\n",
			service_names[i], slo_values[i % 5], i % 3 ? 28 : 30, 1 + i % 3,
			i + 1 < N_SERVICES ? "," : "");
	fputs("],\n", f);
}

static void
write_csv_header(FILE *f)
{
	fputs("id,source,source_id,service_id,title,severity,impact,impact_start,detected_at,"
	      "acknowledged_at,contained_at,resolved_at,closed_at,reopen_count,extra_services,"
	      "caused_by,url,sla_policy,sla_target,sla_schedule,sla_start,sla_stop,"
	      "sla_pause_count,updated_at\n",
	      f);
}

static int64_t
later(int64_t a, int64_t b)
{
	if (a == NONE)
		return b;
	if (b == NONE)
		return a;
	return a > b ? a : b;
}

static void
write_incident(FILE *j, FILE *c, long i, long n, long n_deploy)
{
	const struct source *src = pick_source();
	int service = pick_service(), impact, sev, schedule = 0, n_reopen = 0, n_pause = 0, k;
	int has_sla, write_sla_start = 0;
	int64_t slot = (T_END - T_START) / n, detected, impact_start = NONE, ack = NONE,
		contained = NONE, resolved = NONE, closed = NONE, updated, base;
	int64_t reopen[2][2], pause[2][2], sla_start = NONE, sla_stop = NONE;
	char id[32], url[128], title[96], policy[64], cause[32], buf[24];
	double u;

	snprintf(id, sizeof(id), "INC-%07ld", i + 1);
	u = unif();
	impact = u < 0.70 ? 0 : u < 0.95 ? 1 : 2;
	sev = pick_severity(impact);
	if (impact == 2)
		snprintf(title, sizeof(title), "%s: %s", service_names[service],
			 planned_symptoms[pick(3)]);
	else
		snprintf(title, sizeof(title), "%s: %s", service_names[service],
			 symptoms[pick((int)(sizeof(symptoms) / sizeof(symptoms[0])))]);

	/* chronological, jittered within its slot: one year ending 2025-12-31 */
	detected = T_START + i * slot + (int64_t)(unif() * (double)(slot > 1 ? slot : 1));
	if (detected >= T_END)
		detected = T_END - 1;

	if (impact == 2)
		impact_start = detected;
	else if (chance(0.85))
		impact_start = detected - duration(4 * MINUTE, 1.0, 0);
	if (chance(0.90)) {
		if (chance(0.005)) /* clock skew: acknowledged before detected */
			ack = detected - 60 - pick(180);
		else
			ack = detected + duration(5 * MINUTE, 1.1, 10);
	}
	if (chance(0.99)) {
		base = ack != NONE && ack > detected ? ack : detected;
		if (chance(0.70)) {
			contained = base + duration(25 * MINUTE, 1.2, 30);
			base = contained;
		}
		resolved = base + duration(40 * MINUTE, 1.5, 60);
		if (chance(0.80))
			closed = resolved + duration(12 * HOUR, 1.0, 60);
		if (chance(0.005)) { /* resolved too early, reopened, resolved again */
			int64_t span = resolved - detected;

			n_reopen = span > 1200 && chance(0.2) ? 2 : 1;
			for (k = 0; k < n_reopen; k++) {
				reopen[k][0] = detected + span * (2 * k + 1) / 5;
				reopen[k][1] = detected + span * (2 * k + 2) / 5;
			}
		}
	} else if (ack != NONE && chance(0.5)) {
		contained = (ack > detected ? ack : detected) + duration(25 * MINUTE, 1.2, 30);
	}

	has_sla = chance(0.90);
	if (has_sla) {
		schedule = chance(0.15);
		snprintf(policy, sizeof(policy), "%s resolution %s (%s)", severities[sev],
			 sla_text[sev], schedule ? "business hours" : "24x7");
		write_sla_start = chance(0.9);
		sla_start = detected;
		sla_stop = resolved;
		if (resolved != NONE && chance(0.02)) {
			int64_t span = resolved - detected;

			n_pause = span >= 600 && chance(0.3) ? 2 : 1;
			for (k = 0; k < n_pause; k++) {
				pause[k][0] = detected + span * (3 * k + 1) / 7;
				pause[k][1] = detected + span * (3 * k + 2) / 7;
			}
		}
	}
	cause[0] = '\0';
	if (n_deploy > 0 && impact != 2 && chance(0.10)) {
		long d = (long)((double)i / (double)n * (double)n_deploy) - 1 - pick(5);

		if (d >= 0)
			snprintf(cause, sizeof(cause), "D-%07ld", d + 1);
	}
	url[0] = '\0';
	if (src->url && chance(0.6))
		snprintf(url, sizeof(url), src->url, id);

	updated = later(later(later(impact_start, detected), later(ack, contained)),
			later(resolved, closed));

	/* JSON: one line, absent keys for unknown values */
	fprintf(j,
		"{\"id\":\"%s\",\"source\":\"%s\",\"service\":\"%s\",\"title\":\"%s\","
		"\"severity\":\"%s\",\"impact\":\"%s\"",
		id, src->name, service_names[service], title, severities[sev], impacts[impact]);
	j_time(j, "impact_start", impact_start);
	j_time(j, "detected_at", detected);
	j_time(j, "acknowledged_at", ack);
	j_time(j, "contained_at", contained);
	j_time(j, "resolved_at", resolved);
	j_time(j, "closed_at", closed);
	if (n_reopen) {
		fputs(",\"reopens\":[", j);
		for (k = 0; k < n_reopen; k++) {
			fprintf(j, "%s{\"resolved_at\":\"%s\"", k ? "," : "",
				iso(reopen[k][0], buf));
			fprintf(j, ",\"reopened_at\":\"%s\"}", iso(reopen[k][1], buf));
		}
		fputc(']', j);
	}
	if (cause[0])
		fprintf(j, ",\"caused_by_deployment\":\"%s\"", cause);
	if (has_sla) {
		fprintf(j, ",\"sla\":{\"policy\":\"%s\",\"target_minutes\":%d,\"schedule\":\"%s\"",
			policy, sla_minutes[sev], schedule ? "business_hours" : "24x7");
		if (write_sla_start)
			j_time(j, "start_time", sla_start);
		j_time(j, "stop_time", sla_stop);
		if (n_pause) {
			fputs(",\"pauses\":[", j);
			for (k = 0; k < n_pause; k++) {
				fprintf(j, "%s[\"%s\"", k ? "," : "", iso(pause[k][0], buf));
				fprintf(j, ",\"%s\"]", iso(pause[k][1], buf));
			}
			fputc(']', j);
		}
		fputc('}', j);
	}
	if (url[0])
		fprintf(j, ",\"url\":\"%s\"", url);
	fprintf(j, "}%s\n", i + 1 < n ? "," : "");

	/* CSV: the row sitrep stores */
	fprintf(c, "%ld,", i + 1);
	c_str(c, src->name, 0);
	c_str(c, id, 0);
	c_int(c, service + 1);
	c_str(c, title, 0);
	c_str(c, severities[sev], 0);
	c_int(c, impact);
	c_int(c, impact_start);
	c_int(c, detected);
	c_int(c, ack);
	c_int(c, contained);
	c_int(c, resolved);
	c_int(c, closed);
	c_int(c, n_reopen);
	c_int(c, 0); /* extra_services: every incident names one service */
	c_str(c, cause[0] ? cause : NULL, 0);
	c_str(c, url[0] ? url : NULL, 0);
	c_str(c, has_sla ? policy : NULL, 0);
	c_int(c, has_sla ? sla_minutes[sev] * 60LL : NONE);
	c_int(c, has_sla ? schedule : NONE);
	c_int(c, has_sla ? sla_start : NONE);
	c_int(c, has_sla ? sla_stop : NONE);
	c_int(c, n_pause);
	fprintf(c, "%lld\n", (long long)updated);
}

static void
write_deployment(FILE *j, long i, long n_deploy)
{
	static const char *const envs[] = { "production", "staging" };
	static const char *const patterns[] = { "rolling", "canary", "blue-green", "recreate" };
	int service = pick_service(), n_commits, k, kind;
	int64_t slot = (T_END - T_START) / n_deploy, finished, started, t;
	const char *status;
	char sha[41], buf[24];
	double u;

	finished = T_START + i * slot + (int64_t)(unif() * (double)(slot > 1 ? slot : 1));
	started = finished - duration(8 * MINUTE, 0.7, 30);
	u = unif();
	status = u < 0.92 ? "success" : u < 0.97 ? "failure" : "failed";
	u = unif();
	kind = u < 0.90 ? 0 : u < 0.97 ? 1 : 2;
	hex(sha, 40);
	fprintf(j,
		"{\"id\":\"D-%07ld\",\"source\":\"%s\",\"service\":\"%s\",\"environment\":\"%s\","
		"\"status\":\"%s\",\"kind\":\"%s\",\"version\":\"v%d.%d.%ld\",\"sha\":\"%s\"",
		i + 1, service % 3 ? "github" : "gitlab", service_names[service],
		envs[chance(0.05)], status,
		kind == 0   ? "normal"
		: kind == 1 ? "hotfix"
			    : "rollback",
		1 + service % 4, (int)(i / 1000 % 50), i % 1000, sha);
	if (chance(0.7))
		fprintf(j, ",\"pattern\":\"%s\"", patterns[pick(4)]);
	j_time(j, "started_at", started);
	j_time(j, "finished_at", finished);
	if (kind != 0 && i > 0)
		fprintf(j, ",\"fixes\":\"D-%07ld\"", i);
	fputs(",\"commits\":[", j);
	n_commits = kind == 2 ? 0 : 1 + pick(3);
	for (k = 0; k < n_commits; k++) {
		hex(sha, 40);
		t = started - duration(6 * HOUR, 1.2, 60);
		fprintf(j, "%s{\"sha\":\"%s\",\"committed_at\":\"%s\"}", k ? "," : "", sha,
			iso(t, buf));
	}
	fprintf(j, "]}%s\n", i + 1 < n_deploy ? "," : "");
}

static FILE *
open_out(const char *dir, const char *name, char *path, size_t size)
{
	FILE *f;

	snprintf(path, size, "%s/%s", dir, name);
	if (!(f = fopen(path, "w"))) {
		fprintf(stderr, "gen: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

static void
close_out(FILE *f, const char *path)
{
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "gen: %s: write error\n", path);
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	char jpath[4096], cpath[4096], *end;
	FILE *j, *c;
	long n, n_deploy, i;

	if (argc != 3) {
		fprintf(stderr, "usage: gen N OUT_DIR\n");
		return 2;
	}
	errno = 0;
	n = strtol(argv[1], &end, 10);
	if (errno || *end || n < 1 || n > 100000000L) {
		fprintf(stderr, "gen: N must be an integer from 1 to 100000000\n");
		return 2;
	}
	if (mkdir(argv[2], 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "gen: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	n_deploy = n / 10;
	j = open_out(argv[2], "import.json", jpath, sizeof(jpath));
	c = open_out(argv[2], "incidents.csv", cpath, sizeof(cpath));
	write_header(j);
	write_csv_header(c);
	fputs("\"incidents\": [\n", j);
	for (i = 0; i < n; i++)
		write_incident(j, c, i, n, n_deploy);
	fputs("],\n\"deployments\": [\n", j);
	for (i = 0; i < n_deploy; i++)
		write_deployment(j, i, n_deploy);
	fputs("]\n}\n", j);
	close_out(j, jpath);
	close_out(c, cpath);
	return 0;
}
