/* config.c - loads the configuration file into struct config.
 *
 * libgit2 reads the git-config syntax: it alone decides what is well formed, and its
 * syntax errors (with file and line) end loading. This module only gives meaning to
 * the entries libgit2 returns, checks them against the tables below, and collects every
 * semantic problem as "FILE:LINE: message" without stopping. It must not parse the
 * syntax itself, must not open network connections or resolve secrets (secret.c does
 * that when a secret is used), and must never put the value of a token, a password or
 * a URL into a problem: those may hold credentials. */
#include "sitrep/sitrep.h"
#include "sitrep/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "sitrep/timestamp.h"

/* Larger files are refused: a config is a few kilobytes. */
#define CONFIG_MAX_SIZE (1024 * 1024)

#define DEFAULT_INTERVAL 60
#define DEFAULT_TIMEOUT 30

#define SOURCE_TYPE_NAMES                                                           \
	"prometheus, alertmanager, zabbix, grafana, sentry, opsgenie, servicenow, " \
	"zendesk, github, gitlab, jenkins, argocd"

#define SECRET_HINT "or use env:VAR / cmd:COMMAND / file:PATH"

/*
 * Tables
 */

enum key_flags {
	KEY_REQUIRED = 1 << 0,
	KEY_REPEATABLE = 1 << 1,
	KEY_SECRET = 1 << 2,
};

struct key_spec {
	const char *name;
	unsigned flags;
};

/* How a source authenticates; checked once every key of the section is known. */
enum source_auth {
	AUTH_NONE,	     /* no credentials */
	AUTH_TOKEN_OPTIONAL, /* token if the server wants one */
	AUTH_TOKEN,	     /* token required */
	AUTH_TOKEN_OR_USER,  /* token, or user + password */
	AUTH_EMAIL_TOKEN,    /* email + token */
	AUTH_USER_TOKEN,     /* optional, but user and token go together */
};

struct source_type {
	const char *name;
	enum source_auth auth;
	const char *default_url; /* NULL: url is required */
	struct key_spec keys[8]; /* besides type, interval, timeout and service */
};

static const struct key_spec common_source_keys[] = {
	{ "type", KEY_REQUIRED },
	{ "interval", 0 },
	{ "timeout", 0 },
	{ "service", 0 },
};

static const struct source_type source_types[] = {
	{ "prometheus",
	  AUTH_TOKEN_OPTIONAL,
	  NULL,
	  { { "url", KEY_REQUIRED }, { "token", KEY_SECRET }, { "backfill", 0 } } },
	{ "alertmanager", AUTH_NONE, NULL, { { "url", KEY_REQUIRED } } },
	{ "zabbix",
	  AUTH_TOKEN_OR_USER,
	  NULL,
	  { { "url", KEY_REQUIRED },
	    { "token", KEY_SECRET },
	    { "user", 0 },
	    { "password", KEY_SECRET } } },
	{ "grafana", AUTH_TOKEN, NULL, { { "url", KEY_REQUIRED }, { "token", KEY_SECRET } } },
	{ "sentry",
	  AUTH_TOKEN,
	  NULL,
	  { { "url", KEY_REQUIRED },
	    { "org", KEY_REQUIRED },
	    { "project", KEY_REPEATABLE },
	    { "token", KEY_SECRET } } },
	{ "opsgenie", AUTH_TOKEN, NULL, { { "url", KEY_REQUIRED }, { "token", KEY_SECRET } } },
	{ "servicenow",
	  AUTH_TOKEN_OR_USER,
	  NULL,
	  { { "url", KEY_REQUIRED },
	    { "user", 0 },
	    { "password", KEY_SECRET },
	    { "token", KEY_SECRET },
	    { "correlate", 0 } } },
	{ "zendesk",
	  AUTH_EMAIL_TOKEN,
	  NULL,
	  { { "url", KEY_REQUIRED },
	    { "email", 0 },
	    { "token", KEY_SECRET },
	    { "auth", 0 },
	    { "service-field", 0 },
	    { "alert-field", 0 },
	    { "correlate", 0 } } },
	{ "github",
	  AUTH_TOKEN_OPTIONAL,
	  "https://api.github.com",
	  { { "url", 0 }, { "repo", KEY_REQUIRED | KEY_REPEATABLE }, { "token", KEY_SECRET } } },
	{ "gitlab",
	  AUTH_TOKEN_OPTIONAL,
	  NULL,
	  { { "url", KEY_REQUIRED },
	    { "project", KEY_REQUIRED | KEY_REPEATABLE },
	    { "token", KEY_SECRET },
	    { "backfill", 0 } } },
	{ "jenkins",
	  AUTH_USER_TOKEN,
	  NULL,
	  { { "url", KEY_REQUIRED },
	    { "job", KEY_REPEATABLE },
	    { "user", 0 },
	    { "token", KEY_SECRET } } },
	{ "argocd",
	  AUTH_TOKEN,
	  NULL,
	  { { "url", KEY_REQUIRED }, { "app", KEY_REPEATABLE }, { "token", KEY_SECRET } } },
};

/* Rollback executors a [deploy] section may name (src/deploy/). */
static const char *const rollback_kinds[] = { "exec:", "argocd:", "github:", "gitlab:",
					      "kubectl:" };

/*
 * The locator.
 *
 * libgit2's entries carry no line number, so on its own a semantic problem could not
 * say FILE:LINE. The locator scans the file's text only to find where an entry that
 * libgit2 has already parsed was written: it recognises section headers and the key
 * name at the start of a line, skips comments, quoted text and backslash continuations
 * so that they are not mistaken for keys, and counts repeats of a key. It is not a
 * parser: it produces no values, judges nothing, and when it cannot find an entry
 * (libgit2 accepts something it does not expect) the problem falls back to the
 * section's line, then to the file alone.
 */

struct locator {
	const char *text;
	size_t len;
};

static const char *
skip_blanks(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'))
		s++;
	return s;
}

/* Walks a value to the end of its line; true when it continues on the next line. */
static bool
value_continues(const char *s, const char *end, bool *quoted)
{
	for (; s < end; s++) {
		if (*s == '\\') {
			if (s + 1 == end || (s + 2 == end && s[1] == '\r'))
				return true;
			s++;
		} else if (*s == '"') {
			*quoted = !*quoted;
		} else if (!*quoted && (*s == ';' || *s == '#')) {
			return false;
		}
	}
	return false;
}

/* Does the quoted subsection at s (after the opening quote) equal want? */
static bool
quoted_equals(const char **sp, const char *end, const char *want)
{
	const char *s = *sp;
	bool same = want != NULL;

	while (s < end && *s != '"') {
		if (*s == '\\' && s + 1 < end)
			s++;
		if (same && *want == *s)
			want++;
		else
			same = false;
		s++;
	}
	*sp = s;
	return same && *want == '\0';
}

/* Reads the header at s ('['); sets *match when it names section/subsection.
 * Returns where the rest of the line starts. */
static const char *
header_matches(const char *s, const char *end, const char *section, const char *sub, bool *match)
{
	const char *name = ++s, *dot;
	size_t len;

	while (s < end && (isalnum((unsigned char)*s) || *s == '-' || *s == '.'))
		s++;
	len = (size_t)(s - name);
	dot = memchr(name, '.', len);
	if (!section) {
		*match = false;
	} else if (dot) {
		/* [section.subsection]: libgit2 lower-cases the subsection */
		size_t sublen = len - (size_t)(dot - name) - 1;

		*match = (size_t)(dot - name) == strlen(section) &&
			 strncasecmp(name, section, (size_t)(dot - name)) == 0 && sub &&
			 sublen == strlen(sub) && strncasecmp(dot + 1, sub, sublen) == 0;
	} else {
		*match = len == strlen(section) && strncasecmp(name, section, len) == 0;
		s = skip_blanks(s, end);
		if (s < end && *s == '"') {
			s++;
			*match = quoted_equals(&s, end, sub) && *match;
		} else if (sub) {
			*match = false;
		}
	}
	while (s < end && *s != ']')
		s++;
	return s < end ? s + 1 : s;
}

/* The line (1-based) of the nth (0-based) key of [section "sub"] (of the lines before
 * any header when section is NULL), or of the section's first header when key is NULL;
 * 0 when not found. */
static int
locate(const struct locator *loc, const char *section, const char *sub, const char *key,
       unsigned nth)
{
	const char *p = loc->text, *end = loc->text + loc->len;
	bool match = section == NULL, continued = false, quoted = false;
	int line = 0;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *s;

		if (!eol)
			eol = end;
		line++;
		s = skip_blanks(p, eol);
		p = eol + 1;
		if (continued) {
			continued = value_continues(s, eol, &quoted);
			continue;
		}
		if (s < eol && *s == '[') {
			s = header_matches(s, eol, section, sub, &match);
			if (match && !key)
				return line;
			s = skip_blanks(s, eol);
		}
		if (s < eol && isalpha((unsigned char)*s)) {
			const char *k = s;

			while (s < eol && (isalnum((unsigned char)*s) || *s == '-'))
				s++;
			if (match && key && (size_t)(s - k) == strlen(key) &&
			    strncasecmp(k, key, (size_t)(s - k)) == 0 && nth-- == 0)
				return line;
			quoted = false;
			continued = value_continues(s, eol, &quoted);
		}
	}
	return 0;
}

/*
 * Loading
 */

struct loader {
	struct config *cfg;
	struct locator loc;
	char **seen; /* every entry name so far, to count repeated keys */
	size_t n_seen;
	char **reported; /* sections already complained about as a whole */
	size_t n_reported;
	int *lines; /* the line of each of cfg->problems, to sort them */
};

/* One entry of libgit2, split at the first and last dot of its name. */
struct entry {
	const char *section; /* lower-case */
	const char *sub;     /* the section's name, or NULL */
	const char *key;     /* lower-case */
	const char *value;   /* NULL for a key written without '=' */
	unsigned nth;	     /* earlier entries with the same name */
	int line;	     /* 0: not found */
};

static void
problem_v(struct loader *ld, int line, const char *prefix, const char *fmt, va_list ap)
{
	struct config *cfg = ld->cfg;
	struct buf b;

	buf_init(&b, 0);
	if (line > 0)
		buf_printf(&b, "%s:%d: %s", cfg->path, line, prefix);
	else
		buf_printf(&b, "%s: %s", cfg->path, prefix);
	buf_vprintf(&b, fmt, ap);
	cfg->problems = xrealloc(cfg->problems, (cfg->n_problems + 1) * sizeof(*cfg->problems));
	ld->lines = xrealloc(ld->lines, (cfg->n_problems + 1) * sizeof(*ld->lines));
	ld->lines[cfg->n_problems] = line;
	cfg->problems[cfg->n_problems++] = buf_detach(&b);
}

/* Problems found at the end (missing keys, unknown sources) join the others in file
 * order; a stable insertion sort keeps the order of problems on the same line. */
static void
sort_problems(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	size_t i, j;

	for (i = 1; i < cfg->n_problems; i++) {
		char *text = cfg->problems[i];
		int line = ld->lines[i];

		for (j = i; j > 0 && ld->lines[j - 1] > line; j--) {
			cfg->problems[j] = cfg->problems[j - 1];
			ld->lines[j] = ld->lines[j - 1];
		}
		cfg->problems[j] = text;
		ld->lines[j] = line;
	}
}

static void PRINTF_LIKE(3, 4) problem(struct loader *ld, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	problem_v(ld, line, "", fmt, ap);
	va_end(ap);
}

/* A problem about one entry, prefixed with its section: `service "checkout" `. */
static void PRINTF_LIKE(3, 4)
	entry_problem(struct loader *ld, const struct entry *e, const char *fmt, ...)
{
	char *prefix;
	va_list ap;

	if (e->sub)
		prefix = xasprintf("%s \"%s\" ", e->section, e->sub);
	else
		prefix = xasprintf("[%s] ", e->section);
	va_start(ap, fmt);
	problem_v(ld, e->line, prefix, fmt, ap);
	va_end(ap);
	free(prefix);
}

/* True the first time it is called for this section and name. */
static bool
first_report(struct loader *ld, const struct entry *e)
{
	char *id = xasprintf("%s\n%s", e->section, e->sub ? e->sub : "");
	size_t i;

	for (i = 0; i < ld->n_reported; i++) {
		if (streq(ld->reported[i], id)) {
			free(id);
			return false;
		}
	}
	ld->reported = xrealloc(ld->reported, (ld->n_reported + 1) * sizeof(*ld->reported));
	ld->reported[ld->n_reported++] = id;
	return true;
}

static unsigned
count_seen(struct loader *ld, const char *name)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < ld->n_seen; i++)
		n += streq(ld->seen[i], name);
	ld->seen = xrealloc(ld->seen, (ld->n_seen + 1) * sizeof(*ld->seen));
	ld->seen[ld->n_seen++] = xstrdup(name);
	return n;
}

static int
section_line(const struct loader *ld, const char *section, const char *sub)
{
	return locate(&ld->loc, section, sub, NULL, 0);
}

/*
 * Values
 */

static bool
needs_value(struct loader *ld, const struct entry *e)
{
	if (e->value && *e->value)
		return false;
	entry_problem(ld, e, "%s needs a value", e->key);
	return true;
}

/* Repeats of a key that is not repeatable: the first one counts. */
static bool
is_repeat(struct loader *ld, const struct entry *e)
{
	if (e->nth == 0)
		return false;
	entry_problem(ld, e, "%s is set more than once (first on line %d)", e->key,
		      locate(&ld->loc, e->section, e->sub, e->key, 0));
	return true;
}

static bool
parse_duration_value(struct loader *ld, const struct entry *e, int64_t *out)
{
	int64_t seconds;

	if (needs_value(ld, e))
		return false;
	if (!duration_parse(e->value, &seconds)) {
		entry_problem(ld, e, "%s \"%.40s\" is not a duration (e.g. 90s, 5m, 1h30m, 2d)",
			      e->key, e->value);
		return false;
	}
	if (seconds <= 0) {
		entry_problem(ld, e, "%s must be longer than 0s", e->key);
		return false;
	}
	*out = seconds;
	return true;
}

static bool
parse_whole(const char *text, long min, long max, long *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*text))
		return false;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* An SLO as a fraction ("0.999") or a percentage ("99.9", "99.9%"). */
static bool
parse_slo(const char *text, double *out)
{
	size_t len = strlen(text), i, dots = 0;
	bool percent = false;
	char *end;
	double v;

	if (len && text[len - 1] == '%') {
		percent = true;
		len--;
	}
	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		if (text[i] == '.')
			dots++;
		else if (!isdigit((unsigned char)text[i]))
			return false;
	}
	if (dots > 1 || (dots == 1 && len == 1))
		return false;
	v = strtod(text, &end);
	if (percent || v > 1)
		v /= 100;
	if (!(v > 0 && v < 1))
		return false;
	*out = v;
	return true;
}

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Index of the named service or source; n_services / n_sources when there is none. */
static size_t
find_service(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->n_services; i++)
		if (streq(cfg->services[i].name, name))
			break;
	return i;
}

static size_t
find_source(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->n_sources; i++)
		if (streq(cfg->sources[i].name, name))
			break;
	return i;
}

/*
 * Sections
 */

/* A boolean key into *out; a bare "key" means true, as in git. False (and *out
 * untouched) when the value is not a boolean. */
static bool
parse_bool(struct loader *ld, const struct entry *e, bool *out)
{
	int flag;

	if (git_config_parse_bool(&flag, e->value) == 0) {
		*out = flag != 0;
		return true;
	}
	entry_problem(ld, e, "%s \"%.40s\" is not a boolean (true or false)", e->key, e->value);
	return false;
}

static void
load_sitrep(struct loader *ld, const struct entry *e)
{
	if (!streq(e->key, "theme") && !streq(e->key, "user")) {
		entry_problem(ld, e, "has no key \"%s\" (keys: theme, user)", e->key);
		return;
	}
	if (is_repeat(ld, e) || needs_value(ld, e))
		return;
	if (streq(e->key, "user"))
		ld->cfg->user = xstrdup(e->value);
	else
		ld->cfg->theme = xstrdup(e->value);
}

/* [ui]: how the console behaves at the terminal. */
static void
load_ui(struct loader *ld, const struct entry *e)
{
	if (!streq(e->key, "mouse") && !streq(e->key, "bell")) {
		entry_problem(ld, e, "has no key \"%s\" (keys: mouse, bell)", e->key);
		return;
	}
	if (!is_repeat(ld, e))
		parse_bool(ld, e, streq(e->key, "bell") ? &ld->cfg->bell : &ld->cfg->mouse);
}

static struct config_service *
get_service(struct config *cfg, const char *name)
{
	size_t i = find_service(cfg, name);
	struct config_service *svc;

	if (i < cfg->n_services)
		return &cfg->services[i];
	cfg->services = xrealloc(cfg->services, (cfg->n_services + 1) * sizeof(*cfg->services));
	svc = &cfg->services[cfg->n_services++];
	memset(svc, 0, sizeof(*svc));
	svc->name = xstrdup(name);
	return svc;
}

/* "~/src/x" is $HOME/src/x, as a shell would read it. New. */
static char *
expand_home(const char *path)
{
	const char *home = getenv("HOME");

	if (path[0] == '~' && (path[1] == '/' || path[1] == '\0') && home && *home)
		return xasprintf("%s%s", home, path + 1);
	return xstrdup(path);
}

static void
load_service(struct loader *ld, const struct entry *e)
{
	struct config_service *svc = get_service(ld->cfg, e->sub);
	long tier;

	if (!streq(e->key, "tier") && !streq(e->key, "slo") && !streq(e->key, "ack-target") &&
	    !streq(e->key, "resolve-target") && !streq(e->key, "repo")) {
		entry_problem(ld, e,
			      "has no key \"%s\" (keys: tier, slo, ack-target, "
			      "resolve-target, repo)",
			      e->key);
		return;
	}
	if (is_repeat(ld, e) || needs_value(ld, e))
		return;
	if (streq(e->key, "repo")) {
		svc->repo = expand_home(e->value);
	} else if (streq(e->key, "tier")) {
		if (parse_whole(e->value, 1, 100, &tier))
			svc->tier = (int)tier;
		else
			entry_problem(ld, e, "tier \"%.40s\" is not a whole number from 1 to 100",
				      e->value);
	} else if (streq(e->key, "slo")) {
		if (!parse_slo(e->value, &svc->slo))
			entry_problem(ld, e,
				      "slo \"%.40s\" is not between 0 and 1 (a fraction such "
				      "as 0.999 or a percentage such as 99.9)",
				      e->value);
	} else if (streq(e->key, "ack-target")) {
		parse_duration_value(ld, e, &svc->ack_target);
	} else {
		parse_duration_value(ld, e, &svc->resolve_target);
	}
}

/* "a.b": a dot with text on both sides. */
static bool
is_dotted_name(const char *name)
{
	const char *dot = strchr(name, '.');

	return dot && dot != name && dot[1] != '\0';
}

static struct config_source *
get_source(struct loader *ld, const struct entry *e)
{
	struct config *cfg = ld->cfg;
	size_t i = find_source(cfg, e->sub);
	struct config_source *src;

	if (i < cfg->n_sources)
		return &cfg->sources[i];
	cfg->sources = xrealloc(cfg->sources, (cfg->n_sources + 1) * sizeof(*cfg->sources));
	src = &cfg->sources[cfg->n_sources++];
	memset(src, 0, sizeof(*src));
	src->name = xstrdup(e->sub);
	src->interval = DEFAULT_INTERVAL;
	src->timeout = DEFAULT_TIMEOUT;
	src->line = section_line(ld, "source", e->sub);
	return src;
}

static void
add_source_value(struct config_source *src, const char *key, const char *value, int line)
{
	struct config_value *v;

	src->values = xrealloc(src->values, (src->n_values + 1) * sizeof(*src->values));
	v = &src->values[src->n_values++];
	v->key = xstrdup(key);
	v->value = xstrdup(value ? value : "");
	v->line = line;
}

/* Sources are checked once the whole file is read, when their type is known. */
static void
load_source(struct loader *ld, const struct entry *e)
{
	add_source_value(get_source(ld, e), e->key, e->value, e->line);
}

static struct config_metric *
get_metric(struct loader *ld, const struct entry *e)
{
	struct config *cfg = ld->cfg;
	struct config_metric *m;
	size_t i;

	for (i = 0; i < cfg->n_metrics; i++)
		if (streq(cfg->metrics[i].name, e->sub))
			return &cfg->metrics[i];
	cfg->metrics = xrealloc(cfg->metrics, (cfg->n_metrics + 1) * sizeof(*cfg->metrics));
	m = &cfg->metrics[cfg->n_metrics++];
	memset(m, 0, sizeof(*m));
	m->name = xstrdup(e->sub);
	if (!is_dotted_name(e->sub))
		problem(ld, section_line(ld, "metric", e->sub),
			"metric \"%s\" must be named SERVICE.METRIC, e.g. [metric "
			"\"checkout.rpm\"]",
			e->sub);
	return m;
}

static void
load_metric(struct loader *ld, const struct entry *e)
{
	struct config_metric *m = get_metric(ld, e);
	char **field = streq(e->key, "source")	? &m->source
		       : streq(e->key, "query") ? &m->query
						: NULL;

	if (!field) {
		entry_problem(ld, e, "has no key \"%s\" (keys: source, query)", e->key);
		return;
	}
	if (is_repeat(ld, e) || needs_value(ld, e))
		return;
	*field = xstrdup(e->value);
}

static struct config_deploy *
get_deploy(struct loader *ld, const struct entry *e)
{
	struct config *cfg = ld->cfg;
	struct config_deploy *d;
	size_t i;

	if (!e->sub)
		return &cfg->deploy_defaults;
	for (i = 0; i < cfg->n_deploys; i++)
		if (streq(cfg->deploys[i].name, e->sub))
			return &cfg->deploys[i];
	cfg->deploys = xrealloc(cfg->deploys, (cfg->n_deploys + 1) * sizeof(*cfg->deploys));
	d = &cfg->deploys[cfg->n_deploys++];
	memset(d, 0, sizeof(*d));
	d->allow_disable_autosync = -1;
	d->name = xstrdup(e->sub);
	if (!is_dotted_name(e->sub))
		problem(ld, section_line(ld, "deploy", e->sub),
			"deploy \"%s\" must be named SERVICE.ENVIRONMENT, e.g. "
			"[deploy \"checkout.production\"]",
			e->sub);
	return d;
}

static bool
is_rollback_spec(const char *value)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rollback_kinds); i++)
		if (has_prefix(value, rollback_kinds[i]) &&
		    value[strlen(rollback_kinds[i])] != '\0')
			return true;
	return false;
}

/* "x2", "2x" or "2": a ratio to the baseline, more than 1. */
static void
parse_ratio_value(struct loader *ld, const struct entry *e, double *out)
{
	const char *v = e->value;
	char *end;
	double ratio;

	if (needs_value(ld, e))
		return;
	if (*v == 'x' || *v == 'X')
		v++;
	ratio = strtod(v, &end);
	if (end != v && (*end == 'x' || *end == 'X'))
		end++;
	if (end == v || *end || !(ratio > 1.0) || ratio > 1000.0) {
		entry_problem(ld, e, "%s \"%.40s\" is not a ratio above 1 (e.g. x2, x1.5)", e->key,
			      e->value);
		return;
	}
	*out = ratio;
}

/* The health-* keys of a [deploy] section (src/deploy/health.c); false when key is
 * not one of them. */
static bool
load_deploy_health(struct loader *ld, const struct entry *e, struct config_deploy *d)
{
	if (streq(e->key, "health-metric")) {
		if (needs_value(ld, e))
			return true;
		d->health_metrics = xrealloc(d->health_metrics, (d->n_health_metrics + 1) *
									sizeof(*d->health_metrics));
		d->health_metrics[d->n_health_metrics++] = xstrdup(e->value);
		return true;
	}
	if (!streq(e->key, "health-errors") && !streq(e->key, "health-latency") &&
	    !streq(e->key, "health-sustain") && !streq(e->key, "health-baseline"))
		return false;
	if (is_repeat(ld, e))
		return true;
	if (streq(e->key, "health-errors"))
		parse_ratio_value(ld, e, &d->health_errors);
	else if (streq(e->key, "health-latency"))
		parse_ratio_value(ld, e, &d->health_latency);
	else if (streq(e->key, "health-sustain"))
		parse_duration_value(ld, e, &d->health_sustain);
	else
		parse_duration_value(ld, e, &d->health_baseline);
	return true;
}

static void
load_deploy(struct loader *ld, const struct entry *e)
{
	struct config_deploy *d = get_deploy(ld, e);
	bool allow;

	if (load_deploy_health(ld, e, d))
		return;

	if (streq(e->key, "timeout") || streq(e->key, "allow-disable-autosync")) {
		if (is_repeat(ld, e))
			return;
		if (streq(e->key, "timeout") && !needs_value(ld, e))
			parse_duration_value(ld, e, &d->timeout);
		else if (streq(e->key, "allow-disable-autosync") && parse_bool(ld, e, &allow))
			d->allow_disable_autosync = allow;
		return;
	}
	if (!e->sub || (!streq(e->key, "rollback") && !streq(e->key, "auto-rollback"))) {
		entry_problem(ld, e, "has no key \"%s\" (keys: %s)", e->key,
			      e->sub ? "rollback, auto-rollback, timeout, allow-disable-autosync, "
				       "health-errors, health-latency, health-sustain, "
				       "health-baseline, health-metric"
				     : "timeout, allow-disable-autosync, health-errors, "
				       "health-latency, health-sustain, health-baseline, "
				       "health-metric");
		return;
	}
	if (is_repeat(ld, e))
		return;
	if (streq(e->key, "auto-rollback")) {
		parse_bool(ld, e, &d->auto_rollback);
		return;
	}
	if (needs_value(ld, e))
		return;
	/* the command may carry credentials: never quoted in a problem */
	if (is_rollback_spec(e->value))
		d->rollback = xstrdup(e->value);
	else
		entry_problem(ld, e,
			      "rollback must start with exec:, argocd:, github:, gitlab: or "
			      "kubectl: (e.g. argocd:checkout-prod)");
}

const char *const config_stage_kinds[] = { "lint",	  "test",    "build", "publish",
					   "integration", "release", "deploy" };
const size_t config_n_stage_kinds = ARRAY_SIZE(config_stage_kinds);

/* KIND = PATTERN into rules, KIND one of kinds. */
static void
add_rule(struct loader *ld, const struct entry *e, const char *const *kinds, size_t n_kinds,
	 struct config_rule **rules, size_t *n_rules)
{
	struct config_rule *r;
	size_t i;

	for (i = 0; i < n_kinds; i++)
		if (streq(e->key, kinds[i]))
			break;
	if (i == n_kinds) {
		char list[256] = "";

		for (size_t k = 0; k < n_kinds; k++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 k ? ", " : "", kinds[k]);
		entry_problem(ld, e, "has no kind \"%s\" (kinds: %s)", e->key, list);
		return;
	}
	if (needs_value(ld, e))
		return;
	*rules = xrealloc(*rules, (*n_rules + 1) * sizeof(**rules));
	r = &(*rules)[(*n_rules)++];
	r->kind = xstrdup(kinds[i]);
	r->pattern = xstrdup(e->value);
}

static void
load_stages(struct loader *ld, const struct entry *e)
{
	add_rule(ld, e, config_stage_kinds, config_n_stage_kinds, &ld->cfg->stage_rules,
		 &ld->cfg->n_stage_rules);
}

const char *const config_branch_roles[] = { "trunk",  "develop",     "release",
					    "hotfix", "environment", "feature" };
const size_t config_n_branch_roles = ARRAY_SIZE(config_branch_roles);

static void
load_branches(struct loader *ld, const struct entry *e)
{
	if (streq(e->key, "stale"))
		parse_duration_value(ld, e, &ld->cfg->branch_stale);
	else
		add_rule(ld, e, config_branch_roles, config_n_branch_roles, &ld->cfg->branch_rules,
			 &ld->cfg->n_branch_rules);
}

/* The console checks the request names and keys: it knows them, the config does not. */
static void
load_bind(struct loader *ld, const struct entry *e)
{
	struct config *cfg = ld->cfg;
	struct config_bind *b;

	if (needs_value(ld, e))
		return;
	cfg->binds = xrealloc(cfg->binds, (cfg->n_binds + 1) * sizeof(*cfg->binds));
	b = &cfg->binds[cfg->n_binds++];
	b->view = xstrdup(e->sub);
	b->request = xstrdup(e->key);
	b->keys = xstrdup(e->value);
	b->line = locate(&ld->loc, e->section, e->sub, e->key, e->nth);
}

static void
load_entry(struct loader *ld, const struct entry *e)
{
	static const struct {
		const char *name;
		int named; /* 0: takes no name, 1: needs one, 2: either */
		void (*load)(struct loader *, const struct entry *);
	} sections[] = {
		{ "sitrep", false, load_sitrep }, { "service", true, load_service },
		{ "source", true, load_source },  { "metric", true, load_metric },
		{ "deploy", 2, load_deploy },	  { "stages", false, load_stages },
		{ "bind", true, load_bind },	  { "branches", false, load_branches },
		{ "bind", true, load_bind },	  { "ui", false, load_ui },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sections); i++) {
		if (!streq(e->section, sections[i].name))
			continue;
		if (sections[i].named == 1 && !e->sub) {
			if (first_report(ld, e))
				problem(ld, section_line(ld, e->section, NULL),
					"[%s] needs a name: [%s \"NAME\"]", e->section, e->section);
		} else if (!sections[i].named && e->sub) {
			if (first_report(ld, e))
				problem(ld, section_line(ld, e->section, e->sub),
					"[%s] takes no name", e->section);
		} else {
			sections[i].load(ld, e);
		}
		return;
	}
	if (!first_report(ld, e))
		return;
	if (streq(e->section, "include") || streq(e->section, "includeif"))
		problem(ld, section_line(ld, e->section, e->sub),
			"[%s] is not supported: keep everything in this file (secrets can come "
			"from env:, cmd: or file:)",
			e->section);
	else
		problem(ld, section_line(ld, e->section, e->sub),
			"unknown section \"%s\" (sections: sitrep, service, source, metric, "
			"deploy, stages, bind, ui)",
			e->section);
}

/* Splits a libgit2 name at its first and last dots: the subsection may hold dots. */
static void
load_git_entry(struct loader *ld, const git_config_entry *ge)
{
	char *name = xstrdup(ge->name);
	char *first = strchr(name, '.'), *last = strrchr(name, '.');
	struct entry e = { 0 };

	e.nth = count_seen(ld, ge->name);
	if (!first) {
		/* libgit2 accepts keys before the first header */
		problem(ld, locate(&ld->loc, NULL, NULL, name, e.nth), "%s is outside any section",
			name);
		free(name);
		return;
	}
	*first = '\0';
	*last = '\0';
	e.section = name;
	e.sub = first != last ? first + 1 : NULL;
	e.key = last + 1;
	e.value = ge->value;
	e.line = locate(&ld->loc, e.section, e.sub, e.key, e.nth);
	if (!e.line)
		e.line = section_line(ld, e.section, e.sub);
	load_entry(ld, &e);
	free(name);
}

/*
 * Checks once the file is read
 */

static const struct key_spec *
find_key(const struct source_type *type, const char *key)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(common_source_keys); i++)
		if (streq(common_source_keys[i].name, key))
			return &common_source_keys[i];
	for (i = 0; type && i < ARRAY_SIZE(type->keys) && type->keys[i].name; i++)
		if (streq(type->keys[i].name, key))
			return &type->keys[i];
	return NULL;
}

static const struct source_type *
find_type(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(source_types); i++)
		if (streq(source_types[i].name, name))
			return &source_types[i];
	return NULL;
}

static bool
is_secret_key(const char *key)
{
	return streq(key, "token") || streq(key, "password");
}

static const struct config_value *
first_value(const struct config_source *src, const char *key)
{
	size_t i;

	for (i = 0; i < src->n_values; i++)
		if (streq(src->values[i].key, key))
			return &src->values[i];
	return NULL;
}

/* A secret spec: env:, cmd: and file: are checked for form; anything else is the
 * secret itself, refused (as ssh refuses keys) when others can read the file. */
static void
check_secret(struct loader *ld, const struct config_source *src, const struct config_value *v)
{
	const char *s = v->value, *p;

	if (has_prefix(s, "env:")) {
		for (p = s + 4; *p && (isalnum((unsigned char)*p) || *p == '_'); p++)
			;
		if (p == s + 4 || *p || isdigit((unsigned char)s[4]))
			problem(ld, v->line,
				"source \"%s\" %s env: needs a variable name "
				"(env:NAME)",
				src->name, v->key);
	} else if (has_prefix(s, "cmd:")) {
		for (p = s + 4; *p == ' ' || *p == '\t'; p++)
			;
		if (!*p)
			problem(ld, v->line, "source \"%s\" %s cmd: needs a command", src->name,
				v->key);
	} else if (has_prefix(s, "file:")) {
		if (!s[5])
			problem(ld, v->line, "source \"%s\" %s file: needs a path", src->name,
				v->key);
	} else if (!ld->cfg->private_file) {
		problem(ld, v->line,
			"source \"%s\" %s is a literal secret in a file others can "
			"read: chmod 600 %s, " SECRET_HINT,
			src->name, v->key, ld->cfg->path);
	}
}

/* A URL is never quoted in a problem: it may carry user:password@. */
static void
check_url(struct loader *ld, const struct config_source *src, const struct config_value *v)
{
	const char *host, *at, *colon;
	size_t end;

	if (strncasecmp(v->value, "http://", 7) && strncasecmp(v->value, "https://", 8)) {
		problem(ld, v->line, "source \"%s\" url must start with http:// or https://",
			src->name);
		return;
	}
	host = strstr(v->value, "://") + 3;
	end = strcspn(host, "/?#");
	at = memchr(host, '@', end);
	colon = at ? memchr(host, ':', (size_t)(at - host)) : NULL;
	if (colon && !ld->cfg->private_file)
		problem(ld, v->line,
			"source \"%s\" url holds a password in a file others can "
			"read: chmod 600 %s, or move it to password = env:VAR / cmd:COMMAND / "
			"file:PATH",
			src->name, ld->cfg->path);
}

static void
check_source_value(struct loader *ld, struct config_source *src, const struct config_value *v)
{
	struct entry e = { .section = "source",
			   .sub = src->name,
			   .key = v->key,
			   .value = v->value,
			   .line = v->line };

	if (streq(v->key, "interval")) {
		parse_duration_value(ld, &e, &src->interval);
	} else if (streq(v->key, "timeout")) {
		parse_duration_value(ld, &e, &src->timeout);
	} else if (streq(v->key, "service")) {
		src->service = xstrdup(v->value);
	} else if (streq(v->key, "type")) {
		src->type = xstrdup(v->value);
	} else if (streq(v->key, "url")) {
		check_url(ld, src, v);
	} else if (streq(v->key, "repo")) {
		const char *slash = strchr(v->value, '/');

		if (!slash || slash == v->value || !slash[1] || strchr(slash + 1, '/'))
			problem(ld, v->line, "source \"%s\" repo \"%.80s\" is not OWNER/NAME",
				src->name, v->value);
	} else if (streq(v->key, "auth")) {
		if (!streq(v->value, "token") && !streq(v->value, "oauth"))
			problem(ld, v->line,
				"source \"%s\" auth \"%.40s\" is neither token (an API token, "
				"with email) nor oauth (an OAuth access token)",
				src->name, v->value);
	} else if (streq(v->key, "service-field") || streq(v->key, "alert-field")) {
		if (!*v->value || strspn(v->value, "0123456789") != strlen(v->value) ||
		    strlen(v->value) > 18)
			problem(ld, v->line,
				"source \"%s\" %s \"%.40s\" is not a ticket field id (a number)",
				src->name, v->key, v->value);
	}
}

/* Zendesk: auth = oauth sends the token as an OAuth bearer token. */
static bool
is_oauth(const struct config_source *src)
{
	const struct config_value *v = first_value(src, "auth");

	return v && streq(v->value, "oauth");
}

static void
check_auth(struct loader *ld, const struct config_source *src, const struct source_type *type)
{
	bool token = first_value(src, "token") != NULL, user = first_value(src, "user") != NULL;
	bool password = first_value(src, "password") != NULL;
	bool email = first_value(src, "email") != NULL;
	const char *name = src->name;
	int line = src->line;

	if (password && !user && find_key(type, "password"))
		problem(ld, line, "source \"%s\" (%s) has a password but no user", name,
			type->name);
	switch (type->auth) {
	case AUTH_NONE:
	case AUTH_TOKEN_OPTIONAL:
		break;
	case AUTH_TOKEN:
		if (!token)
			problem(ld, line, "source \"%s\" (%s) needs token", name, type->name);
		break;
	case AUTH_TOKEN_OR_USER:
		if (user && !password)
			problem(ld, line, "source \"%s\" (%s) has a user but no password", name,
				type->name);
		else if (!token && !user)
			problem(ld, line, "source \"%s\" (%s) needs token, or user and password",
				name, type->name);
		break;
	case AUTH_EMAIL_TOKEN:
		/* An OAuth access token is a bearer token: it names its user itself. */
		if (!email && !is_oauth(src))
			problem(ld, line, "source \"%s\" (%s) needs email", name, type->name);
		if (!token)
			problem(ld, line, "source \"%s\" (%s) needs token", name, type->name);
		break;
	case AUTH_USER_TOKEN:
		if (user && !token)
			problem(ld, line, "source \"%s\" (%s) has a user but no token", name,
				type->name);
		else if (token && !user)
			problem(ld, line, "source \"%s\" (%s) has a token but no user", name,
				type->name);
		break;
	}
}

static void
check_required(struct loader *ld, struct config_source *src, const struct source_type *type)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(type->keys) && type->keys[i].name; i++) {
		const char *key = type->keys[i].name;

		if ((type->keys[i].flags & KEY_REQUIRED) && !first_value(src, key))
			problem(ld, src->line, "source \"%s\" (%s) needs %s", src->name, type->name,
				key);
	}
	if (type->default_url && !first_value(src, "url"))
		add_source_value(src, "url", type->default_url, 0);
	check_auth(ld, src, type);
	/* A ticket field naming an alert means nothing without the source it is of; a
	 * Zendesk correlate needs the field that holds the alert (ServiceNow has its
	 * own, correlation_id). */
	if (first_value(src, "alert-field") && !first_value(src, "correlate"))
		problem(ld, src->line,
			"source \"%s\" (%s) has alert-field but no correlate (the source whose "
			"incidents the field names)",
			src->name, type->name);
	else if (first_value(src, "correlate") && !first_value(src, "alert-field") &&
		 streq(type->name, "zendesk"))
		problem(ld, src->line,
			"source \"%s\" (%s) has correlate but no alert-field (the ticket field "
			"that names the incident)",
			src->name, type->name);
}

static bool
is_repeated_value(const struct config_source *src, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (streq(src->values[j].key, src->values[i].key))
			return true;
	return false;
}

static void
check_source(struct loader *ld, struct config_source *src)
{
	const struct config_value *tv = first_value(src, "type");
	const struct source_type *type = tv ? find_type(tv->value) : NULL;
	size_t i, n = src->n_values;

	if (!tv)
		problem(ld, src->line, "source \"%s\" needs type (" SOURCE_TYPE_NAMES ")",
			src->name);
	else if (!type)
		problem(ld, tv->line,
			"source \"%s\" type \"%.40s\" is unknown (" SOURCE_TYPE_NAMES ")",
			src->name, tv->value);
	for (i = 0; i < n; i++) {
		const struct config_value *v = &src->values[i];
		const struct key_spec *spec = find_key(type, v->key);

		/* a literal secret is refused even under an unknown key or type */
		if (is_secret_key(v->key) && *v->value)
			check_secret(ld, src, v);
		if (!spec) {
			if (type)
				problem(ld, v->line, "source \"%s\" (%s) has no key \"%s\"",
					src->name, type->name, v->key);
			continue;
		}
		if (!(spec->flags & KEY_REPEATABLE) && is_repeated_value(src, i)) {
			problem(ld, v->line,
				"source \"%s\" %s is set more than once (first on line "
				"%d)",
				src->name, v->key, first_value(src, v->key)->line);
			continue;
		}
		if (!*v->value) {
			problem(ld, v->line, "source \"%s\" %s needs a value", src->name, v->key);
			continue;
		}
		check_source_value(ld, src, v);
	}
	if (type)
		check_required(ld, src, type);
}

static void
check_metrics(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	size_t i;

	for (i = 0; i < cfg->n_metrics; i++) {
		const struct config_metric *m = &cfg->metrics[i];
		int line = section_line(ld, "metric", m->name);

		if (!m->source)
			problem(ld, line, "metric \"%s\" needs source", m->name);
		else if (!config_find_source(cfg, m->source))
			problem(ld, locate(&ld->loc, "metric", m->name, "source", 0),
				"metric \"%s\" source \"%s\" is not a [source] of this file",
				m->name, m->source);
		if (!m->query)
			problem(ld, line, "metric \"%s\" needs query", m->name);
	}
}

static bool
deploy_has_health(const struct config_deploy *d)
{
	return d->health_errors > 0 || d->health_latency > 0 || d->health_sustain > 0 ||
	       d->health_baseline > 0 || d->n_health_metrics > 0;
}

static void
check_deploys(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	size_t i;

	for (i = 0; i < cfg->n_deploys; i++) {
		const struct config_deploy *d = &cfg->deploys[i];

		/* a section that only tunes the health check rolls nothing back */
		if (!d->rollback && (d->auto_rollback || !deploy_has_health(d)) &&
		    !locate(&ld->loc, "deploy", d->name, "rollback", 0))
			problem(ld, section_line(ld, "deploy", d->name),
				"deploy \"%s\" needs rollback (exec:COMMAND, argocd:APP, "
				"github:OWNER/REPO, gitlab:PROJECT or kubectl:ARGS)",
				d->name);
	}
}

static void
check_all(struct loader *ld)
{
	size_t i;

	for (i = 0; i < ld->cfg->n_sources; i++)
		check_source(ld, &ld->cfg->sources[i]);
	check_metrics(ld);
	check_deploys(ld);
	sort_problems(ld);
}

/*
 * The file
 */

static enum status_code
git_failure(const char *what)
{
	const git_error *err = git_error_last();

	return error("%s: %s", what, err && err->message ? err->message : "unknown libgit2 error");
}

/* libgit2 parses; every entry it returns is handed to load_git_entry in file order.
 * Entries from [include]d files are skipped (the include itself is a problem). */
/* sitrep uses libgit2 for local files only (this config, themes, the services'
 * clones), never for its HTTPS transport. A libgit2 built with mbedTLS, as Debian's
 * is, parses the whole system CA bundle in every git_libgit2_init() for that
 * transport: about 5 ms and 3 MB at the start of every command, most of what
 * `sitrep status --format line` and the console's first frame cost. Defined in the
 * executable, this function takes the place of libmbedx509's for libgit2's call
 * (ELF symbol interposition), so libgit2 loads no certificate: an HTTPS remote would
 * fail verification, never skip it. With a libgit2 built on another TLS library
 * nothing calls it. */
int mbedtls_x509_crt_parse_file(void *chain, const char *path);

int
mbedtls_x509_crt_parse_file(void *chain, const char *path)
{
	(void)chain;
	(void)path;
	return -1; /* MBEDTLS_ERR_X509_FILE_IO_ERROR's kind: nothing loaded */
}

static enum status_code
read_entries(struct loader *ld)
{
	git_config *gcfg = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *entry;
	enum status_code code = SUCCESS;
	int rc;

	if (git_libgit2_init() < 0)
		return git_failure("libgit2");
	if (git_config_new(&gcfg) < 0) {
		code = git_failure("libgit2");
		goto out;
	}
	if (git_config_add_file_ondisk(gcfg, ld->cfg->path, GIT_CONFIG_LEVEL_APP, NULL, 0) < 0) {
		/* "failed to parse config file: ... (in FILE:LINE)" */
		code = git_failure("config");
		goto out;
	}
	if (git_config_iterator_new(&it, gcfg) < 0) {
		code = git_failure("config");
		goto out;
	}
	while ((rc = git_config_next(&entry, it)) == 0)
		if (entry->include_depth == 0)
			load_git_entry(ld, entry);
	if (rc != GIT_ITEROVER)
		code = git_failure("config");
out:
	git_config_iterator_free(it);
	git_config_free(gcfg);
	git_libgit2_shutdown();
	return code;
}

/* Reads the file's text (for the locator) and whether others can read it. */
static enum status_code
read_text(const char *path, struct buf *text, bool *private_file, bool *missing)
{
	enum status_code code = SUCCESS;
	struct stat st;
	char chunk[4096];
	ssize_t n;
	int fd;

	*missing = false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*missing = errno == ENOENT;
		return error("%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		code = error("%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		code = error("%s: not a regular file", path);
		goto out;
	}
	*private_file = (st.st_mode & 077) == 0;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			code = error("%s: %s", path, strerror(errno));
			goto out;
		}
		if (!buf_add(text, chunk, (size_t)n)) {
			code = error("%s: larger than %d bytes", path, CONFIG_MAX_SIZE);
			goto out;
		}
	}
out:
	close(fd);
	return code;
}

enum status_code
config_load(struct config *cfg, const char *path, bool explicit_path)
{
	struct loader ld = { .cfg = cfg };
	enum status_code code;
	struct buf text;
	bool missing;
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->deploy_defaults.allow_disable_autosync = -1;
	cfg->branch_stale = 30 * 86400;
	cfg->mouse = true;
	cfg->bell = true;
	if (!path)
		return SUCCESS;
	buf_init(&text, CONFIG_MAX_SIZE);
	code = read_text(path, &text, &cfg->private_file, &missing);
	if (code != SUCCESS) {
		if (missing && !explicit_path)
			code = SUCCESS;
		cfg->private_file = false;
		goto out;
	}
	cfg->path = xstrdup(path);
	ld.loc.text = text.data ? text.data : "";
	ld.loc.len = text.len;
	code = read_entries(&ld);
	if (code == SUCCESS)
		check_all(&ld);
out:
	if (code != SUCCESS)
		config_release(cfg);
	for (i = 0; i < ld.n_seen; i++)
		free(ld.seen[i]);
	free(ld.seen);
	for (i = 0; i < ld.n_reported; i++)
		free(ld.reported[i]);
	free(ld.reported);
	free(ld.lines);
	buf_release(&text);
	return code;
}

static void
deploy_health_release(struct config_deploy *d)
{
	for (size_t i = 0; i < d->n_health_metrics; i++)
		free(d->health_metrics[i]);
	free(d->health_metrics);
}

void
config_release(struct config *cfg)
{
	size_t i, j;

	if (!cfg)
		return;
	for (i = 0; i < cfg->n_services; i++) {
		free(cfg->services[i].name);
		free(cfg->services[i].repo);
	}
	for (i = 0; i < cfg->n_sources; i++) {
		struct config_source *src = &cfg->sources[i];

		for (j = 0; j < src->n_values; j++) {
			free(src->values[j].key);
			free(src->values[j].value);
		}
		free(src->values);
		free(src->name);
		free(src->type);
		free(src->service);
	}
	for (i = 0; i < cfg->n_metrics; i++) {
		free(cfg->metrics[i].name);
		free(cfg->metrics[i].source);
		free(cfg->metrics[i].query);
	}
	for (i = 0; i < cfg->n_deploys; i++) {
		free(cfg->deploys[i].name);
		free(cfg->deploys[i].rollback);
		deploy_health_release(&cfg->deploys[i]);
	}
	deploy_health_release(&cfg->deploy_defaults);
	for (i = 0; i < cfg->n_problems; i++)
		free(cfg->problems[i]);
	free(cfg->services);
	free(cfg->sources);
	free(cfg->metrics);
	for (i = 0; i < cfg->n_stage_rules; i++) {
		free(cfg->stage_rules[i].kind);
		free(cfg->stage_rules[i].pattern);
	}
	free(cfg->stage_rules);
	for (i = 0; i < cfg->n_branch_rules; i++) {
		free(cfg->branch_rules[i].kind);
		free(cfg->branch_rules[i].pattern);
	}
	free(cfg->branch_rules);
	for (i = 0; i < cfg->n_binds; i++) {
		free(cfg->binds[i].view);
		free(cfg->binds[i].request);
		free(cfg->binds[i].keys);
	}
	free(cfg->binds);
	free(cfg->deploys);
	free(cfg->problems);
	free(cfg->theme);
	free(cfg->user);
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}

/*
 * Lookups
 */

static const char *
nonempty_env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

char *
config_default_path(const char *explicit_path)
{
	const char *v;
	struct passwd *pw;

	if (explicit_path && *explicit_path)
		return xstrdup(explicit_path);
	if ((v = nonempty_env("SITREP_CONFIG")))
		return xstrdup(v);
	/* the XDG spec says relative values are to be ignored */
	if ((v = nonempty_env("XDG_CONFIG_HOME")) && v[0] == '/')
		return xasprintf("%s/sitrep/config", v);
	if ((v = nonempty_env("HOME")))
		return xasprintf("%s/.config/sitrep/config", v);
	pw = getpwuid(getuid());
	if (pw && pw->pw_dir && *pw->pw_dir)
		return xasprintf("%s/.config/sitrep/config", pw->pw_dir);
	return xstrdup(".config/sitrep/config");
}

const char *
config_source_get(const struct config_source *src, const char *key)
{
	const struct config_value *v = src ? first_value(src, key) : NULL;

	return v ? v->value : NULL;
}

const struct config_service *
config_find_service(const struct config *cfg, const char *name)
{
	size_t i;

	if (!cfg)
		return NULL;
	i = find_service(cfg, name);
	return i < cfg->n_services ? &cfg->services[i] : NULL;
}

const struct config_source *
config_find_source(const struct config *cfg, const char *name)
{
	size_t i;

	if (!cfg)
		return NULL;
	i = find_source(cfg, name);
	return i < cfg->n_sources ? &cfg->sources[i] : NULL;
}

const struct config_deploy *
config_find_deploy(const struct config *cfg, const char *name)
{
	for (size_t i = 0; cfg && name && i < cfg->n_deploys; i++)
		if (streq(cfg->deploys[i].name, name))
			return &cfg->deploys[i];
	return NULL;
}
