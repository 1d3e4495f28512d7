/* palette.c - the ":" command line. A command is a request by its name in the request
 * table (":view-incidents", ":sync-now", ":help"), a top view by its name
 * (":incidents"), or one of the commands below (":theme NAME", ":source NAME sync",
 * ":window 30d", ":filter TEXT", ":q"). Requests that ask for something (the filter's
 * text, the next window) take it as an argument here instead, through
 * tui->request_arg. Tab completes names and arguments; Up and Down recall the
 * commands of this session. */
#include "tui.h"
#include "chart.h"
#include "sitrep/sync.h"

static struct prompt_history history;

void
palette_release(void)
{
	prompt_history_release(&history);
}

static void
add_word(char ***words, size_t *n, const char *word)
{
	*words = xrealloc(*words, (*n + 1) * sizeof(**words));
	(*words)[(*n)++] = xstrdup(word);
}

/* ---- running a request, with or without an argument ---- */

static bool
run_request(struct tui *tui, enum request req, const char *arg)
{
	tui->message[0] = '\0';
	tui->request_arg = arg && *arg ? arg : NULL;
	tui_request(tui, req);
	if (tui->request_arg && !tui->message[0])
		tui_message(tui, true, "%s %s: not in this view", request_name(req),
			    tui->request_arg);
	tui->request_arg = NULL;
	return !tui->message_is_error || !tui->message[0];
}

/* filter and window: the request of that name, given its argument. */
static bool
run_with_arg(struct tui *tui, const char *name, const char *arg)
{
	return run_request(tui, request_by_name(name), arg);
}

static bool
run_quit(struct tui *tui, const char *name, const char *arg)
{
	(void)name;
	(void)arg;
	tui->quit = true;
	return true;
}

static bool
run_theme(struct tui *tui, const char *name, const char *arg)
{
	char *problem = NULL;

	(void)name;
	if (!*arg) {
		tui_message(tui, true, "theme: which one? (Tab lists them)");
		return false;
	}
	if (!colors_switch(arg, &problem)) {
		tui_message(tui, true, "%s", problem);
		free(problem);
		return false;
	}
	tui->redraw_all = true;
	tui_message(tui, false, "theme %s", arg);
	return true;
}

/* The first word of s into word (at most size bytes); returns what follows it. */
static const char *
split_word(const char *s, char *word, size_t size)
{
	size_t n = 0;

	while (*s == ' ')
		s++;
	while (s[n] && s[n] != ' ')
		n++;
	snprintf(word, size, "%.*s", (int)n, s);
	s += n;
	while (*s == ' ')
		s++;
	return s;
}

static bool
run_source(struct tui *tui, const char *name, const char *arg)
{
	char source[128], verb[32];
	const char *rest = split_word(split_word(arg, source, sizeof(source)), verb, sizeof(verb));
	const struct config_source *src = source[0] ? config_find_source(&tui->cfg, source) : NULL;

	(void)name;
	if (!source[0] || !streq(verb, "sync") || *rest) {
		tui_message(tui, true, "usage: source NAME sync");
		return false;
	}
	if (!src) {
		tui_message(tui, true, "source %s: no such source in the config", source);
		return false;
	}
	if (!tui->wake) {
		tui_message(tui, true, "%s",
			    tui->opts->read_only ? "read-only: a sync daemon syncs this cache"
						 : "no sync worker here");
		return false;
	}
	tui->wake->source[src - tui->cfg.sources] = 1;
	tui_message(tui, false, "syncing %s now", src->name);
	return true;
}

/* ---- completion of arguments ---- */

static void
complete_themes(struct tui *tui, size_t word, char ***words, size_t *n)
{
	(void)tui;
	if (word == 1)
		colors_theme_names(words, n);
}

static void
complete_sources(struct tui *tui, size_t word, char ***words, size_t *n)
{
	for (size_t i = 0; word == 1 && i < tui->cfg.n_sources; i++)
		add_word(words, n, tui->cfg.sources[i].name);
	if (word == 2)
		add_word(words, n, "sync");
}

static void
complete_windows(struct tui *tui, size_t word, char ***words, size_t *n)
{
	/* the charts' windows, then the MTTx panel's longer ones */
	static const char *const mttx[] = { "30d", "90d" };

	(void)tui;
	for (size_t i = 0; word == 1 && i < CHART_RANGES; i++)
		add_word(words, n, chart_ranges[i].name);
	for (size_t i = 0; word == 1 && i < ARRAY_SIZE(mttx); i++)
		add_word(words, n, mttx[i]);
}

const struct palette_command palette_commands[] = {
	{ "theme", "NAME", "Switch to another colour theme (themes/*.theme)", run_theme,
	  complete_themes },
	{ "source", "NAME sync", "Sync one source now", run_source, complete_sources },
	{ "window", "NAME", "The time window: 15m 1h 6h 24h 7d (metrics), 7d 30d 90d (MTTx)",
	  run_with_arg, complete_windows },
	{ "filter", "TEXT", "Show only the lines that contain TEXT", run_with_arg, NULL },
	{ "q", "", "Quit", run_quit, NULL },
};
const size_t palette_n_commands = ARRAY_SIZE(palette_commands);

static const struct palette_command *
find_command(const char *name)
{
	for (size_t i = 0; i < palette_n_commands; i++)
		if (streq(palette_commands[i].name, name))
			return &palette_commands[i];
	return NULL;
}

/* The top view named name ("incidents"): its number, or 0. */
static int
find_view(const struct tui *tui, const char *name)
{
	for (int i = 1; i <= 7; i++)
		if (tui->views[i] && streq(tui->views[i]->ops->name, name))
			return i;
	return 0;
}

/* Every name the first word may be: the palette's commands, the top views, and
 * the requests (the request table itself: no second list). */
static void
complete_command(struct tui *tui, char ***words, size_t *n)
{
	for (size_t i = 0; i < palette_n_commands; i++)
		add_word(words, n, palette_commands[i].name);
	for (int i = 1; i <= 7; i++)
		if (tui->views[i])
			add_word(words, n, tui->views[i]->ops->name);
	for (int req = REQ_NONE + 1; req < REQ_COUNT; req++)
		if (!find_command(request_name((enum request)req)))
			add_word(words, n, request_name((enum request)req));
}

static void
palette_complete(struct tui *tui, const char *line, char ***words, size_t *n)
{
	const struct palette_command *cmd;
	char name[64];
	size_t word = 0;

	for (const char *p = line; *p; p++)
		if (*p == ' ' && p > line && p[-1] != ' ')
			word++;
	if (word == 0) {
		complete_command(tui, words, n);
		return;
	}
	split_word(line, name, sizeof(name));
	if ((cmd = find_command(name)) && cmd->complete)
		cmd->complete(tui, word, words, n);
}

/* ---- running a line ---- */

bool
palette_execute(struct tui *tui, const char *line)
{
	const struct palette_command *cmd;
	char name[64], *copy = xstrdup(line), *end;
	const char *arg;
	enum request req;
	int view;
	bool ok = false;

	/* Tab leaves a space after a completed word: not part of the argument. */
	for (end = copy + strlen(copy); end > copy && end[-1] == ' ';)
		*--end = '\0';
	arg = split_word(copy, name, sizeof(name));
	if (!name[0])
		ok = true;
	else if ((cmd = find_command(name)))
		ok = cmd->run(tui, name, arg);
	else if ((view = find_view(tui, name)) && !*arg)
		ok = run_request(tui, (enum request)(REQ_VIEW_OVERVIEW + view - 1), NULL);
	else if ((req = request_by_name(name)) != REQ_NONE && !*arg)
		ok = run_request(tui, req, NULL);
	else if (view || req != REQ_NONE)
		tui_message(tui, true, "%s takes no argument", name);
	else
		tui_message(tui, true, "unknown command: %s (Tab completes, ? lists them)", name);
	free(copy);
	return ok;
}

void
palette_run(struct tui *tui)
{
	char line[256] = "";

	if (!prompt_read(tui, ":", line, sizeof(line), palette_complete, &history))
		return;
	prompt_history_add(&history, line);
	palette_execute(tui, line);
}

/* ---- REQ_WINDOW in the views ---- */

bool
window_step(struct tui *tui, size_t *window, size_t n, const char *(*name)(size_t i))
{
	const char *want = tui->request_arg;
	char names[128] = "";
	size_t used = 0;

	if (!want) {
		*window = (*window + 1) % n;
		return true;
	}
	tui->request_arg = NULL;
	for (size_t i = 0; i < n; i++) {
		if (streq(name(i), want)) {
			*window = i;
			return true;
		}
		if (used + strlen(name(i)) + 2 < sizeof(names))
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s",
						 used ? " " : "", name(i));
	}
	tui_message(tui, true, "window %s: not one of this view's (%s)", want, names);
	return false;
}
