/* matcher.c - one label matcher, `name op "value"`, as PromQL selectors,
 * Alertmanager filters and silences write them.
 *
 * Regular expressions are POSIX extended ones anchored at both ends: Go's RE2
 * dialect differs in corners (no backreferences here either way, \d is RE2 only),
 * but the alternations and classes tests use ("checkout|search", "5..") mean the
 * same in both. This is not a PromQL parser and must not grow into one. */
#include "sitrep/sitrep.h"
#include "sim.h"

static bool
is_name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

static bool
compile(struct matcher *m, char *err, size_t err_size)
{
	char *anchored;
	int rc;

	if (m->op != MATCH_RE && m->op != MATCH_NRE)
		return true;
	anchored = xasprintf("^(%s)$", m->value);
	rc = regcomp(&m->re, anchored, REG_EXTENDED | REG_NOSUB);
	free(anchored);
	if (rc != 0) {
		if (err)
			snprintf(err, err_size, "invalid regular expression \"%s\"", m->value);
		return false;
	}
	m->compiled = true;
	return true;
}

/* A quoted value: "..." or '...' with backslash escapes, or a bare word. */
static char *
parse_value(const char **pp, const char *end)
{
	const char *p = *pp;
	struct buf b;

	buf_init(&b, 0);
	if (p < end && (*p == '"' || *p == '\'')) {
		char quote = *p++;

		while (p < end && *p != quote) {
			if (*p == '\\' && p + 1 < end)
				p++;
			buf_addch(&b, *p++);
		}
		if (p >= end) {
			buf_release(&b);
			return NULL;
		}
		p++;
	} else {
		while (p < end && *p != ',' && *p != '}' && *p != ' ')
			buf_addch(&b, *p++);
	}
	*pp = p;
	return buf_detach(&b);
}

static const char *
skip_spaces(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static bool
parse_op(const char **pp, const char *end, enum matcher_op *op)
{
	static const struct {
		const char *text;
		enum matcher_op op;
	} ops[] = {
		{ "!=", MATCH_NE }, { "=~", MATCH_RE }, { "!~", MATCH_NRE }, { "=", MATCH_EQ }
	};

	/* Two-character operators first, so that "=~" is not read as "=". */
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		size_t len = strlen(ops[i].text);

		if ((size_t)(end - *pp) >= len && strncmp(*pp, ops[i].text, len) == 0) {
			*op = ops[i].op;
			*pp += len;
			return true;
		}
	}
	return false;
}

bool
matcher_parse(struct matcher *m, const char *text, size_t len, char *err, size_t err_size)
{
	const char *p = text, *end = text + len, *name;

	memset(m, 0, sizeof(*m));
	p = skip_spaces(p, end);
	if (p < end && *p == '{')
		p = skip_spaces(p + 1, end);
	name = p;
	while (p < end && is_name_char(*p, p == name))
		p++;
	if (p == name)
		goto bad;
	m->name = xstrndup(name, (size_t)(p - name));
	p = skip_spaces(p, end);
	if (!parse_op(&p, end, &m->op))
		goto bad;
	p = skip_spaces(p, end);
	m->value = parse_value(&p, end);
	if (!m->value)
		goto bad;
	p = skip_spaces(p, end);
	if (p < end && *p == '}')
		p = skip_spaces(p + 1, end);
	if (p != end)
		goto bad;
	if (!compile(m, err, err_size)) {
		matcher_release(m);
		return false;
	}
	return true;
bad:
	if (err)
		snprintf(err, err_size, "bad matcher format: %.*s", (int)len, text);
	matcher_release(m);
	return false;
}

bool
matcher_init(struct matcher *m, const char *name, const char *value, bool is_regex, bool is_equal)
{
	memset(m, 0, sizeof(*m));
	m->name = xstrdup(name);
	m->value = xstrdup(value);
	m->op = is_regex ? (is_equal ? MATCH_RE : MATCH_NRE) : (is_equal ? MATCH_EQ : MATCH_NE);
	if (!compile(m, NULL, 0)) {
		matcher_release(m);
		return false;
	}
	return true;
}

void
matcher_release(struct matcher *m)
{
	free(m->name);
	free(m->value);
	if (m->compiled)
		regfree(&m->re);
	memset(m, 0, sizeof(*m));
}

bool
matcher_matches(const struct matcher *m, const char *value)
{
	if (!value)
		value = "";
	switch (m->op) {
	case MATCH_EQ:
		return streq(value, m->value);
	case MATCH_NE:
		return !streq(value, m->value);
	case MATCH_RE:
		return regexec(&m->re, value, 0, NULL, 0) == 0;
	case MATCH_NRE:
		return regexec(&m->re, value, 0, NULL, 0) != 0;
	}
	return false;
}

bool
matcher_matches_labels(const struct matcher *m, const json_t *labels)
{
	return matcher_matches(m, json_string_value(json_object_get(labels, m->name)));
}
