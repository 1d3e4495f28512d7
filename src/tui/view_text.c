/* view_text.c - two views made of lines of text: the help (every request of the
 * request table with the keys bound to it in the view it was opened from, so a
 * rebinding shows at once) and a plain scrollable text (details, the raw upstream
 * record, each source's last error). */
#include "tui.h"
#include "sitrep/json.h"
#include "sitrep/text.h"

#include <jansson.h>

struct text_view {
	char *title;
	char **lines; /* owned */
	size_t n_lines;
	size_t top;
	int height;
	/* help: rows of a key column, a help text, and a role */
	bool help;
	char *url; /* the page o opens (a commit's), or NULL */
};

static void
text_release(struct text_view *t)
{
	for (size_t i = 0; i < t->n_lines; i++)
		free(t->lines[i]);
	free(t->lines);
	free(t->title);
	free(t->url);
	t->lines = NULL;
	t->title = NULL;
	t->url = NULL;
	t->n_lines = t->top = 0;
}

static void
text_done(struct view *view)
{
	text_release(view->private);
}

static void
add_line(struct text_view *t, char *line)
{
	t->lines = xrealloc(t->lines, (t->n_lines + 1) * sizeof(*t->lines));
	t->lines[t->n_lines++] = line;
}

static void
text_draw(struct view *view, struct tui *tui, WINDOW *win)
{
	struct text_view *t = view->private;
	int width = getmaxx(win);

	(void)tui;
	werase(win);
	t->height = getmaxy(win);
	if (t->top + (size_t)t->height > t->n_lines)
		t->top = t->n_lines > (size_t)t->height ? t->n_lines - (size_t)t->height : 0;
	for (int y = 0; y < t->height && t->top + (size_t)y < t->n_lines; y++) {
		const char *line = t->lines[t->top + (size_t)y];

		if (t->help && line[0] == '\x01') {
			/* a group title */
			draw_text(win, y, 1, width - 1, role_attr(COLOR_HELP_GROUP), line + 1);
		} else if (t->help && line[0] == '\x02') {
			/* "keys\thelp" */
			const char *tab = strchr(line, '\t');
			char keys[64];

			snprintf(keys, sizeof(keys), "%.*s", (int)(tab ? tab - line - 1 : 0),
				 line + 1);
			draw_text_right(win, y, 0, 16, role_attr(COLOR_HELP_KEY), keys);
			if (tab)
				draw_text(win, y, 18, width - 18, role_attr(COLOR_DEFAULT),
					  tab + 1);
		} else {
			draw_text(win, y, 0, width, role_attr(COLOR_DEFAULT), line);
		}
	}
}

static enum request
text_request(struct view *view, struct tui *tui, enum request req)
{
	struct text_view *t = view->private;

	if (lines_scroll(&t->top, t->height > 0 ? (size_t)t->height : 0, t->n_lines, req))
		return REQ_NONE;
	if (req == REQ_OPEN_URL && t->url) {
		tui_open_url(tui, t->url);
		return REQ_NONE;
	}
	return req;
}

const struct view_ops text_ops = {
	.name = "text",
	.title = "Text",
	.private_size = sizeof(struct text_view),
	.draw = text_draw,
	.request = text_request,
	.done = text_done,
};

void
text_view_open(struct tui *tui, struct view *parent, const char *title, char **lines, size_t n)
{
	struct view *view = view_new(&text_ops, parent);
	struct text_view *t = view->private;

	t->title = xstrdup(title);
	t->lines = lines;
	t->n_lines = n;
	string_copy(view->subtitle, title);
	view->loaded = true;
	tui->current = view;
}

void
text_view_set_url(struct view *view, const char *url)
{
	struct text_view *t = view->private;

	free(t->url);
	t->url = url ? xstrdup(url) : NULL;
}

/* ---- help ---- */

static enum status_code
help_load(struct view *view, struct tui *tui)
{
	struct text_view *t = view->private;
	const struct view *from = view->parent;
	const char *name = from ? from->ops->name : NULL;

	text_release(t);
	t->help = true;
	add_line(t, xasprintf("sitrep: keys in %s (q returns; rebind with [bind \"%s\"] in the "
			      "config, see sitrep.conf(5))",
			      from ? from->ops->title : "every view", name ? name : "generic"));
	for (size_t i = 0; i < request_n_rows; i++) {
		const struct request_row *r = &request_rows[i];
		char keys[64];

		if (r->group) {
			add_line(t, xstrdup(""));
			add_line(t, xasprintf("\x01%s", r->group));
			continue;
		}
		keys_of(name, r->req, keys, sizeof(keys));
		if (!keys[0])
			continue; /* unbound here: nothing to press */
		add_line(t, xasprintf("\x02%s\t%s", keys, request_help(r->req)));
	}
	add_line(t, xstrdup(""));
	add_line(t, xstrdup("\x01"
			    "Command palette (:, Tab completes, Up and Down recall)"));
	add_line(t, xstrdup("\x02:NAME\tAny action above by its name (:sync-now), or a view "
			    "(:incidents)"));
	for (size_t i = 0; i < palette_n_commands; i++) {
		const struct palette_command *c = &palette_commands[i];

		add_line(t, xasprintf("\x02:%s\t%s%s%s", c->name, c->args, *c->args ? "  " : "",
				      c->help));
	}
	for (size_t i = 0; i < tui->n_problems; i++) {
		if (i == 0) {
			add_line(t, xstrdup(""));
			add_line(t, xstrdup("\x01Problems with the config or theme"));
		}
		add_line(t, xstrdup(tui->problems[i]));
	}
	return SUCCESS;
}

const struct view_ops help_ops = {
	.name = "help",
	.title = "Help",
	.private_size = sizeof(struct text_view),
	.load = help_load,
	.draw = text_draw,
	.request = text_request,
	.done = text_done,
};

/* ---- the upstream record ---- */

/* Lines of text (sanitized: an upstream's JSON may carry anything) into *lines. */
static void
split_lines(const char *text, char ***lines, size_t *n)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		*lines = xrealloc(*lines, (*n + 1) * sizeof(**lines));
		(*lines)[(*n)++] = text_sanitize(p, len, false);
		p += len + (nl ? 1 : 0);
	}
}

void
raw_view_open(struct tui *tui, struct view *parent, const char *source, const char *source_id)
{
	char *raw = NULL, *pretty = NULL, title[128];
	char **lines = NULL;
	size_t n = 0;
	enum status_code code = store_incident_raw(tui->store, source, source_id, &raw);
	json_t *doc;

	if (code != SUCCESS) {
		tui_message(tui, true, "%s", status_message(code));
		return;
	}
	if (!raw) {
		tui_message(tui, false, "%s %s: no upstream record kept (imported, not synced)",
			    source, source_id);
		return;
	}
	/* Pretty-printed when it parses; as it came otherwise. Either way each line is
	 * sanitized: json_dumps escapes controls inside strings, not bidi overrides. */
	doc = json_parse(raw, strlen(raw), NULL, 0);
	if (doc)
		pretty = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	split_lines(pretty ? pretty : raw, &lines, &n);
	free(pretty);
	json_decref(doc);
	free(raw);
	snprintf(title, sizeof(title), "%.40s %.60s: upstream record", source, source_id);
	text_view_open(tui, parent, title, lines, n);
}
