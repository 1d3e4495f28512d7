/* color.c - colors by semantic role (COLOR_ROLES in tui.h). A theme file says how a
 * role looks, in the config's syntax:
 *
 *	[color "source-failing"]
 *		fg = white
 *		bg = red
 *		attrs = bold
 *		mono = bold reverse
 *
 * Colors are default (the terminal's), black, red, green, yellow, blue, magenta,
 * cyan, white, their bright- forms, or color0..color255 (mapped down on terminals
 * with fewer colors, as tmux does). Without colors (no color support, NO_COLOR, or
 * the theme "mono") every role takes its mono attributes, so that a selection, a
 * failure or a critical incident still stands out. */
#include "tui.h"

#include <git2.h>
#include <dirent.h>
#include <strings.h>
#include <unistd.h>

#ifndef DATADIR
#define DATADIR "/usr/local/share/sitrep"
#endif

struct role_style {
	const char *name;
	short fg, bg;
	attr_t attrs, mono;
};

static const struct role_style default_styles[COLOR_ROLE_COUNT] = {
#define ROLE_ROW(id, name, fg, bg, attrs, mono) [COLOR_##id] = { name, fg, bg, attrs, mono },
	COLOR_ROLES(ROLE_ROW)
#undef ROLE_ROW
};
/* The theme in use: the default one with a theme file's entries applied. */
static struct role_style styles[COLOR_ROLE_COUNT];

static bool use_colors;

static const char *const color_names[] = { "black", "red",     "green", "yellow",
					   "blue",  "magenta", "cyan",	"white" };

static const struct {
	const char *name;
	attr_t attr;
} attr_names[] = {
	{ "normal", A_NORMAL },	      { "bold", A_BOLD },	{ "dim", A_DIM },
	{ "underline", A_UNDERLINE }, { "reverse", A_REVERSE }, { "standout", A_STANDOUT },
	{ "blink", A_BLINK },
};

/* A 256-color number on a terminal with fewer: the nearest of the first 8 or 16. */
static short
map_down(int c)
{
	int r, g, b, level, best = 0;
	long best_d = -1;
	static const int base[16][3] = {
		{ 0, 0, 0 },	   { 205, 0, 0 },   { 0, 205, 0 },   { 205, 205, 0 },
		{ 0, 0, 238 },	   { 205, 0, 205 }, { 0, 205, 205 }, { 229, 229, 229 },
		{ 127, 127, 127 }, { 255, 0, 0 },   { 0, 255, 0 },   { 255, 255, 0 },
		{ 92, 92, 255 },   { 255, 0, 255 }, { 0, 255, 255 }, { 255, 255, 255 },
	};

	if (c < COLORS)
		return (short)c;
	if (c < 16)
		return (short)(c - 8);
	if (c >= 232) {
		level = 8 + (c - 232) * 10;
		r = g = b = level;
	} else {
		c -= 16;
		r = (c / 36) ? (c / 36) * 40 + 55 : 0;
		g = ((c / 6) % 6) ? ((c / 6) % 6) * 40 + 55 : 0;
		b = (c % 6) ? (c % 6) * 40 + 55 : 0;
	}
	for (int i = 0; i < (COLORS >= 16 ? 16 : 8); i++) {
		long d = (long)(r - base[i][0]) * (r - base[i][0]) +
			 (long)(g - base[i][1]) * (g - base[i][1]) +
			 (long)(b - base[i][2]) * (b - base[i][2]);

		if (best_d < 0 || d < best_d) {
			best_d = d;
			best = i;
		}
	}
	return (short)best;
}

/* A color name or number, or false. */
static bool
parse_color(const char *s, short *out)
{
	char *end;
	long n;

	if (strcasecmp(s, "default") == 0) {
		*out = -1;
		return true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(color_names); i++) {
		if (strcasecmp(s, color_names[i]) == 0) {
			*out = (short)i;
			return true;
		}
		if (strncasecmp(s, "bright-", 7) == 0 && strcasecmp(s + 7, color_names[i]) == 0) {
			*out = (short)(8 + i);
			return true;
		}
	}
	if (strncasecmp(s, "color", 5) == 0) {
		n = strtol(s + 5, &end, 10);
		if (end != s + 5 && !*end && n >= 0 && n <= 255) {
			*out = (short)n;
			return true;
		}
	}
	return false;
}

static bool
parse_attrs(const char *s, attr_t *out)
{
	char *copy = xstrdup(s), *save = NULL, *word;
	attr_t attrs = A_NORMAL;
	bool ok = true;

	for (word = strtok_r(copy, " \t,", &save); word && ok;
	     word = strtok_r(NULL, " \t,", &save)) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(attr_names); i++)
			if (strcasecmp(word, attr_names[i].name) == 0)
				break;
		if (i == ARRAY_SIZE(attr_names))
			ok = false;
		else
			attrs |= attr_names[i].attr;
	}
	free(copy);
	if (ok)
		*out = attrs;
	return ok;
}

static void
add_problem(char ***problems, size_t *n, char *text)
{
	*problems = xrealloc(*problems, (*n + 1) * sizeof(**problems));
	(*problems)[(*n)++] = text;
}

/* Applies one "color.ROLE.KEY = value" of a theme file. */
static void
apply_entry(const char *path, const git_config_entry *e, char ***problems, size_t *n_problems)
{
	const char *name = e->name + strlen("color.");
	const char *dot = strrchr(name, '.');
	struct role_style *st = NULL;
	const char *key;

	if (!dot)
		goto bad;
	key = dot + 1;
	for (size_t i = 0; i < COLOR_ROLE_COUNT; i++)
		if (strlen(styles[i].name) == (size_t)(dot - name) &&
		    strncmp(styles[i].name, name, (size_t)(dot - name)) == 0)
			st = &styles[i];
	if (!st) {
		add_problem(problems, n_problems,
			    xasprintf("%s: no color role \"%.*s\"", path, (int)(dot - name), name));
		return;
	}
	if (streq(key, "fg") && parse_color(e->value, &st->fg))
		return;
	if (streq(key, "bg") && parse_color(e->value, &st->bg))
		return;
	if (streq(key, "attrs") && parse_attrs(e->value, &st->attrs))
		return;
	if (streq(key, "mono") && parse_attrs(e->value, &st->mono))
		return;
bad:
	add_problem(problems, n_problems,
		    xasprintf("%s: %s = %.40s: not a color (fg, bg) or attributes (attrs, mono)",
			      path, e->name, e->value ? e->value : ""));
}

/* The directories themes are found in, best first: the user's, the installed ones,
 * the one beside the binary (a build tree). New strings into dirs; returns how many. */
static size_t
theme_dirs(char *dirs[3])
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char exe[4096], *slash;
	ssize_t len;
	size_t n = 0;

	if (xdg && *xdg)
		dirs[n++] = xasprintf("%s/sitrep/themes", xdg);
	else if (home && *home)
		dirs[n++] = xasprintf("%s/.config/sitrep/themes", home);
	dirs[n++] = xasprintf("%s/themes", DATADIR);
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0) {
		exe[len] = '\0';
		if ((slash = strrchr(exe, '/'))) {
			*slash = '\0';
			/* the binary is build/sitrep or ./sitrep in a source tree */
			dirs[n] = xasprintf("%s/../themes", exe);
			if (access(dirs[n], R_OK) != 0) {
				free(dirs[n]);
				dirs[n] = xasprintf("%s/themes", exe);
			}
			n++;
		}
	}
	return n;
}

/* The theme file of name, or NULL; new. */
static char *
theme_path(const char *name)
{
	char *dirs[3], *found = NULL;
	size_t n = theme_dirs(dirs);

	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s.theme", dirs[i], name);

		if (!found && !strchr(name, '/') && access(path, R_OK) == 0)
			found = path;
		else
			free(path);
		free(dirs[i]);
	}
	return found;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
colors_theme_names(char ***names, size_t *n)
{
	char *dirs[3];
	size_t n_dirs = theme_dirs(dirs), first = *n;

	for (size_t i = 0; i < n_dirs; i++) {
		DIR *dir = opendir(dirs[i]);
		struct dirent *d;

		while (dir && (d = readdir(dir))) {
			size_t len = strlen(d->d_name), k = first;

			if (len <= 6 || d->d_name[0] == '.' ||
			    !streq(d->d_name + len - 6, ".theme"))
				continue;
			while (k < *n && strncmp((*names)[k], d->d_name, len - 6) != 0)
				k++;
			if (k < *n && strlen((*names)[k]) == len - 6)
				continue; /* the user's theme of the same name hides the others */
			*names = xrealloc(*names, (*n + 1) * sizeof(**names));
			(*names)[(*n)++] = xstrndup(d->d_name, len - 6);
		}
		if (dir)
			closedir(dir);
		free(dirs[i]);
	}
	qsort(*names + first, *n - first, sizeof(**names), compare_names);
}

static void
load_theme(const char *name, char ***problems, size_t *n_problems)
{
	git_config *cfg = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *e;
	char *path = theme_path(name);

	if (!path) {
		add_problem(
			problems, n_problems,
			xasprintf("theme \"%s\": no such theme (default, high-contrast, "
				  "solarized-dark, mono, or a file in ~/.config/sitrep/themes/)",
				  name));
		return;
	}
	git_libgit2_init();
	if (git_config_open_ondisk(&cfg, path) < 0 ||
	    git_config_iterator_glob_new(&it, cfg, "^color\\.") < 0) {
		const git_error *err = git_error_last();

		add_problem(problems, n_problems,
			    xasprintf("%s: %s", path,
				      err && err->message ? err->message : "unreadable"));
	} else {
		while (git_config_next(&e, it) == 0)
			apply_entry(path, e, problems, n_problems);
	}
	git_config_iterator_free(it);
	git_config_free(cfg);
	git_libgit2_shutdown();
	free(path);
}

/* The default styles with theme's applied, and the color pairs made from them. */
static void
apply_theme(const char *theme, char ***problems, size_t *n_problems)
{
	const char *no_color = getenv("NO_COLOR");
	bool mono = (theme && streq(theme, "mono")) || (no_color && *no_color) || !has_colors();

	memcpy(styles, default_styles, sizeof(styles));
	if (theme && !streq(theme, "default"))
		load_theme(theme, problems, n_problems);
	use_colors = !mono && start_color() == OK;
	if (!use_colors)
		return;
	use_default_colors();
	for (size_t i = 0; i < COLOR_ROLE_COUNT; i++) {
		short fg = styles[i].fg < 0 ? -1 : map_down(styles[i].fg);
		short bg = styles[i].bg < 0 ? -1 : map_down(styles[i].bg);

		init_pair((short)(i + 1), fg, bg);
	}
}

void
colors_init(const char *theme, char ***problems, size_t *n_problems)
{
	apply_theme(theme, problems, n_problems);
}

bool
colors_switch(const char *theme, char **problem)
{
	char **problems = NULL, *path = streq(theme, "default") ? NULL : theme_path(theme);
	size_t n = 0;

	*problem = NULL;
	if (!path && !streq(theme, "default")) {
		char **names = NULL, list[256] = "";
		size_t n_names = 0, used = 0;

		colors_theme_names(&names, &n_names);
		for (size_t i = 0; i < n_names; i++) {
			if (used + strlen(names[i]) + 3 < sizeof(list))
				used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
							 used ? ", " : "", names[i]);
			free(names[i]);
		}
		free(names);
		*problem = xasprintf("theme %.60s: no such theme (%s)", theme, list);
		return false;
	}
	free(path);
	apply_theme(theme, &problems, &n);
	for (size_t i = 0; i < n; i++) {
		if (i == 0)
			*problem = problems[i];
		else
			free(problems[i]);
	}
	free(problems);
	return n == 0;
}

attr_t
role_attr(enum color_role role)
{
	if (role >= COLOR_ROLE_COUNT)
		role = COLOR_DEFAULT;
	if (!use_colors)
		return styles[role].mono;
	return COLOR_PAIR((int)role + 1) | styles[role].attrs;
}

enum color_role
severity_role(const char *severity)
{
	if (!severity)
		return COLOR_DEFAULT;
	if (streq(severity, "P1"))
		return COLOR_CRITICAL;
	if (streq(severity, "P2"))
		return COLOR_HIGH;
	if (streq(severity, "P3"))
		return COLOR_WARNING;
	return COLOR_INFO;
}
