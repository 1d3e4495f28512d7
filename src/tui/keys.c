/* keys.c - key names and keymaps. Every request's default keys come from the request
 * table; [bind "VIEW"] in the config adds or replaces bindings for one view, or for
 * all of them with [bind "generic"]. A view's own binding wins over the generic one
 * (tig's keymaps). */
#include "tui.h"

#include <ctype.h>
#include <strings.h>

struct binding {
	char *view; /* NULL: generic */
	int key;
	enum request req;
};

static struct binding *bindings;
static size_t n_bindings;

static const struct {
	const char *name;
	int key;
} named_keys[] = {
	{ "Enter", '\r' },
	{ "Esc", 27 },
	{ "Space", ' ' },
	{ "Tab", '\t' },
	{ "Backspace", KEYCODE(KEY_BACKSPACE) },
	{ "Del", KEYCODE(KEY_DC) },
	{ "Ins", KEYCODE(KEY_IC) },
	{ "Up", KEYCODE(KEY_UP) },
	{ "Down", KEYCODE(KEY_DOWN) },
	{ "Left", KEYCODE(KEY_LEFT) },
	{ "Right", KEYCODE(KEY_RIGHT) },
	{ "PgUp", KEYCODE(KEY_PPAGE) },
	{ "PgDn", KEYCODE(KEY_NPAGE) },
	{ "Home", KEYCODE(KEY_HOME) },
	{ "End", KEYCODE(KEY_END) },
};

/* The value of one UTF-8 character that is all of s, or -1. */
static int
utf8_char(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n, cp;

	if (p[0] < 0x80)
		return p[0] && !p[1] ? p[0] : -1;
	if ((p[0] & 0xe0) == 0xc0) {
		n = 1;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 2;
		cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 3;
		cp = p[0] & 0x07;
	} else {
		return -1;
	}
	for (int i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	return p[n + 1] ? -1 : cp;
}

int
key_parse(const char *name)
{
	int f;

	if (!name || !*name)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(named_keys); i++)
		if (strcasecmp(name, named_keys[i].name) == 0)
			return named_keys[i].key;
	if ((name[0] == 'C' || name[0] == 'c') && name[1] == '-' && name[2] && !name[3]) {
		int c = tolower((unsigned char)name[2]);

		return c >= 'a' && c <= 'z' ? c - 'a' + 1 : -1;
	}
	if ((name[0] == 'F' || name[0] == 'f') && isdigit((unsigned char)name[1])) {
		char *end;

		f = (int)strtol(name + 1, &end, 10);
		return !*end && f >= 1 && f <= 12 ? KEYCODE(KEY_F(f)) : -1;
	}
	return utf8_char(name);
}

void
key_utf8(int key, char utf8[5])
{
	memset(utf8, 0, 5);
	if (key < 0x80) {
		utf8[0] = (char)key;
	} else if (key < 0x800) {
		utf8[0] = (char)(0xc0 | (key >> 6));
		utf8[1] = (char)(0x80 | (key & 0x3f));
	} else if (key < 0x10000) {
		utf8[0] = (char)(0xe0 | (key >> 12));
		utf8[1] = (char)(0x80 | ((key >> 6) & 0x3f));
		utf8[2] = (char)(0x80 | (key & 0x3f));
	} else {
		utf8[0] = (char)(0xf0 | (key >> 18));
		utf8[1] = (char)(0x80 | ((key >> 12) & 0x3f));
		utf8[2] = (char)(0x80 | ((key >> 6) & 0x3f));
		utf8[3] = (char)(0x80 | (key & 0x3f));
	}
}

void
key_describe(int key, char *buf, size_t size)
{
	for (size_t i = 0; i < ARRAY_SIZE(named_keys); i++) {
		if (named_keys[i].key == key) {
			snprintf(buf, size, "%s", named_keys[i].name);
			return;
		}
	}
	if (key >= KEYCODE(KEY_F(1)) && key <= KEYCODE(KEY_F(12))) {
		snprintf(buf, size, "F%d", key - KEYCODE(KEY_F(0)));
	} else if (key >= 1 && key <= 26) {
		snprintf(buf, size, "C-%c", 'a' + key - 1);
	} else if (key > 0 && key < 0x110000) {
		char utf8[5];

		key_utf8(key, utf8);
		snprintf(buf, size, "%s", utf8);
	} else {
		snprintf(buf, size, "?");
	}
}

/* Binds key to req in view (NULL: generic), replacing what it did there. */
static void
bind(const char *view, int key, enum request req)
{
	for (size_t i = 0; i < n_bindings; i++) {
		struct binding *b = &bindings[i];

		if (b->key == key &&
		    ((!view && !b->view) || (view && b->view && streq(view, b->view)))) {
			b->req = req;
			return;
		}
	}
	bindings = xrealloc(bindings, (n_bindings + 1) * sizeof(*bindings));
	bindings[n_bindings].view = view ? xstrdup(view) : NULL;
	bindings[n_bindings].key = key;
	bindings[n_bindings].req = req;
	n_bindings++;
}

/* Binds every space-separated key of keys; the first bad name is returned in bad. */
static bool
bind_keys(const char *view, const char *keys, enum request req, char *bad, size_t size)
{
	char *copy = xstrdup(keys), *save = NULL, *word;
	bool ok = true;

	for (word = strtok_r(copy, " \t", &save); word; word = strtok_r(NULL, " \t", &save)) {
		const char *in = view;
		char *colon = strchr(word, ':');
		int key;

		/* A default of one view: "branches:o" (a lone ":" is a key). */
		if (!view && colon && colon > word && colon[1]) {
			*colon = '\0';
			in = word;
			word = colon + 1;
		}
		key = key_parse(word);

		if (key < 0) {
			if (ok)
				snprintf(bad, size, "%s", word);
			ok = false;
			continue;
		}
		bind(in, key, req);
	}
	free(copy);
	return ok;
}

static void
add_problem(char ***problems, size_t *n, char *text)
{
	*problems = xrealloc(*problems, (*n + 1) * sizeof(**problems));
	(*problems)[(*n)++] = text;
}

void
keys_init(const struct config *cfg, char ***problems, size_t *n_problems)
{
	char bad[64];

	keys_release();
	for (int req = REQ_NONE + 1; req < REQ_COUNT; req++)
		bind_keys(NULL, request_default_keys((enum request)req), (enum request)req, bad,
			  sizeof(bad));
	for (size_t i = 0; cfg && i < cfg->n_binds; i++) {
		const struct config_bind *b = &cfg->binds[i];
		enum request req = request_by_name(b->request);
		const char *view = streq(b->view, "generic") ? NULL : b->view;

		if (req == REQ_NONE) {
			add_problem(
				problems, n_problems,
				xasprintf("%s:%d: bind \"%s\": no action \"%s\" (see the help, ?)",
					  cfg->path ? cfg->path : "config", b->line, b->view,
					  b->request));
			continue;
		}
		if (!bind_keys(view, b->keys, req, bad, sizeof(bad)))
			add_problem(problems, n_problems,
				    xasprintf("%s:%d: bind \"%s\": \"%s\" is not a key name",
					      cfg->path ? cfg->path : "config", b->line, b->view,
					      bad));
	}
}

void
keys_release(void)
{
	for (size_t i = 0; i < n_bindings; i++)
		free(bindings[i].view);
	free(bindings);
	bindings = NULL;
	n_bindings = 0;
}

enum request
keys_request(const char *view, int key)
{
	enum request generic = REQ_NONE;

	for (size_t i = 0; i < n_bindings; i++) {
		if (bindings[i].key != key)
			continue;
		if (!bindings[i].view)
			generic = bindings[i].req;
		else if (view && streq(view, bindings[i].view))
			return bindings[i].req;
	}
	return generic;
}

void
keys_of(const char *view, enum request req, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n_bindings && used + 1 < size; i++) {
		const struct binding *b = &bindings[i];
		char name[KEY_NAME_SIZE];

		/* Without a view (the man page): every view's bindings, "o (branches)". */
		if (b->req != req || (b->view && view && !streq(view, b->view)))
			continue;
		/* A generic binding the view overrides does not do req here. */
		if (!b->view && keys_request(view, b->key) != req)
			continue;
		key_describe(b->key, name, sizeof(name));
		used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? " " : "", name);
		if (b->view && !view && used + 1 < size)
			used += (size_t)snprintf(buf + used, size - used, " (%s)", b->view);
	}
}
