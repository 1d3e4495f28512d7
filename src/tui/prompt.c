/* prompt.c - a line read in the status bar: the filter's "/" and the palette's ":".
 * The keys are readline's where they exist: Left and Right move, Home and End (C-a,
 * C-e) go to either end, Backspace and Del delete, C-u deletes to the start, C-w the
 * word before the cursor; Esc (C-c, C-g) cancels and Enter takes the line. With a
 * completer, Tab completes the word before the cursor (as far as the candidates
 * agree, and lists them when they disagree); with a history, Up and Down step
 * through the lines entered before, Down past the newest returning to the line being
 * typed. The text is UTF-8; the cursor moves by characters. */
#include "tui.h"

struct line {
	char *buf;
	size_t size, len, cursor; /* bytes */
};

static bool
is_continuation(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

static size_t
char_before(const struct line *l, size_t at)
{
	while (at > 0 && is_continuation(l->buf[--at]))
		;
	return at;
}

static size_t
char_after(const struct line *l, size_t at)
{
	if (at < l->len)
		at++;
	while (at < l->len && is_continuation(l->buf[at]))
		at++;
	return at;
}

/* Deletes the bytes [from, to). */
static void
line_delete(struct line *l, size_t from, size_t to)
{
	memmove(l->buf + from, l->buf + to, l->len - to + 1);
	l->len -= to - from;
	l->cursor = from;
}

static void
line_insert(struct line *l, const char *text)
{
	size_t n = strlen(text);

	if (l->len + n + 1 > l->size)
		return;
	memmove(l->buf + l->cursor + n, l->buf + l->cursor, l->len - l->cursor + 1);
	memcpy(l->buf + l->cursor, text, n);
	l->len += n;
	l->cursor += n;
}

static void
line_set(struct line *l, const char *text)
{
	snprintf(l->buf, l->size, "%s", text);
	l->len = l->cursor = strlen(l->buf);
}

/* C-w: the spaces before the cursor, then the word before them. */
static void
line_delete_word(struct line *l)
{
	size_t at = l->cursor;

	while (at > 0 && l->buf[at - 1] == ' ')
		at--;
	while (at > 0 && l->buf[at - 1] != ' ')
		at--;
	line_delete(l, at, l->cursor);
}

/* Columns from from to to, a character each (what the prompt shows is sanitized
 * text of a command line: wide characters are rare enough to be off by one). */
static int
columns(const char *s, size_t from, size_t to)
{
	int n = 0;

	for (size_t i = from; i < to; i++)
		n += !is_continuation(s[i]);
	return n;
}

/* ---- completion ---- */

static void
free_words(char **words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(words[i]);
	free(words);
}

/* Tab: the word before the cursor, completed as far as the candidates that start
 * with it agree; a space after it when only one does. Those that disagree go into
 * shown (space-separated), for the prompt to list. */
static void
complete_word(struct tui *tui, struct line *l, prompt_complete_fn *complete, char *shown,
	      size_t shown_size)
{
	char *before = xstrndup(l->buf, l->cursor);
	const char *word = strrchr(before, ' ') ? strrchr(before, ' ') + 1 : before;
	size_t word_len = strlen(word), common = 0, n_words = 0, n_match = 0, used = 0;
	char **words = NULL;
	const char *first = NULL;

	complete(tui, before, &words, &n_words);
	shown[0] = '\0';
	for (size_t i = 0; i < n_words; i++) {
		size_t k = 0;

		if (strncmp(words[i], word, word_len) != 0)
			continue;
		/* the same word twice (a request and a command of one name) counts once */
		if (first && streq(first, words[i]))
			continue;
		if (!first) {
			first = words[i];
			common = strlen(first);
		}
		while (k < common && first[k] == words[i][k])
			k++;
		common = k;
		n_match++;
		if (used + strlen(words[i]) + 2 < shown_size)
			used += (size_t)snprintf(shown + used, shown_size - used, "%s%s",
						 used ? " " : "", words[i]);
	}
	if (first && common > word_len) {
		char *rest = xstrndup(first + word_len, common - word_len);

		line_insert(l, rest);
		free(rest);
	}
	if (n_match == 1) {
		line_insert(l, " ");
		shown[0] = '\0';
	} else if (first && common > word_len) {
		shown[0] = '\0'; /* it moved on: the next Tab lists what is left */
	} else if (!n_match) {
		snprintf(shown, shown_size, "(no completion)");
	}
	free_words(words, n_words);
	free(before);
}

/* ---- history ---- */

void
prompt_history_add(struct prompt_history *h, const char *line)
{
	if (!*line || (h->n && streq(h->lines[h->n - 1], line)))
		return;
	h->lines = xrealloc(h->lines, (h->n + 1) * sizeof(*h->lines));
	h->lines[h->n++] = xstrdup(line);
}

void
prompt_history_release(struct prompt_history *h)
{
	free_words(h->lines, h->n);
	h->lines = NULL;
	h->n = 0;
}

/* Up (step -1) and Down (+1): *at is the history's index shown, h->n the line being
 * typed, kept in typed while the history shows. */
static void
history_step(struct prompt_history *h, struct line *l, size_t *at, int step, char **typed)
{
	if (!h || (step < 0 && *at == 0) || (step > 0 && *at >= h->n))
		return;
	if (*at == h->n) {
		free(*typed);
		*typed = xstrdup(l->buf);
	}
	*at = step < 0 ? *at - 1 : *at + 1;
	line_set(l, *at == h->n ? *typed : h->lines[*at]);
}

/* ---- the prompt ---- */

static void
prompt_draw(WINDOW *win, const char *prompt, const struct line *l, const char *shown)
{
	int width = getmaxx(win), prompt_cols = columns(prompt, 0, strlen(prompt));
	int room = width - prompt_cols - 1, x;
	size_t start = 0;

	/* Scrolled sideways so that the cursor stays on the screen. */
	while (room > 0 && columns(l->buf, start, l->cursor) >= room)
		start = char_after(l, start);
	werase(win);
	draw_fill(win, 0, 0, role_attr(COLOR_DEFAULT));
	draw_text(win, 0, 0, width, role_attr(COLOR_PROMPT), prompt);
	x = prompt_cols +
	    draw_text(win, 0, prompt_cols, room, role_attr(COLOR_DEFAULT), l->buf + start);
	if (shown[0] && x + 3 < width)
		draw_text(win, 0, x + 2, width - x - 2, role_attr(COLOR_MUTED), shown);
	x = prompt_cols + columns(l->buf, start, l->cursor);
	wmove(win, 0, x < width ? x : width - 1);
	wrefresh(win);
}

/* One key of the line; false when the prompt ends (*ok: with the line). */
static bool
prompt_key(struct tui *tui, struct line *l, int key, prompt_complete_fn *complete, char *shown,
	   size_t shown_size, bool *ok)
{
	shown[0] = '\0';
	if (key == '\r' || key == '\n' || key == KEYCODE(KEY_ENTER)) {
		*ok = true;
		return false;
	}
	if (key == 27 || key == 3 || key == 7 || key == -2)
		return false; /* Esc, C-c, C-g; -2: a signal asked to leave */
	if (key == KEYCODE(KEY_LEFT))
		l->cursor = char_before(l, l->cursor);
	else if (key == KEYCODE(KEY_RIGHT))
		l->cursor = char_after(l, l->cursor);
	else if (key == KEYCODE(KEY_HOME) || key == 1)
		l->cursor = 0;
	else if (key == KEYCODE(KEY_END) || key == 5)
		l->cursor = l->len;
	else if (key == KEYCODE(KEY_BACKSPACE) || key == 127 || key == 8)
		line_delete(l, char_before(l, l->cursor), l->cursor);
	else if (key == KEYCODE(KEY_DC) || key == 4)
		line_delete(l, l->cursor, char_after(l, l->cursor));
	else if (key == 21)
		line_delete(l, 0, l->cursor);
	else if (key == 23)
		line_delete_word(l);
	else if (key == '\t' && complete)
		complete_word(tui, l, complete, shown, shown_size);
	else if (key >= 32 && key < 0x110000) {
		char utf8[5];

		key_utf8(key, utf8);
		line_insert(l, utf8);
	}
	return true;
}

bool
prompt_read(struct tui *tui, const char *prompt, char *buf, size_t size,
	    prompt_complete_fn *complete, struct prompt_history *history)
{
	WINDOW *win = newwin(1, COLS, LINES - 1, 0);
	struct line l = { buf, size, 0, 0 };
	size_t at = history ? history->n : 0;
	char shown[512] = "", *typed = NULL;
	bool ok = false;
	int key;

	l.len = l.cursor = strlen(buf);
	keypad(win, TRUE);
	curs_set(1);
	do {
		prompt_draw(win, prompt, &l, shown);
		key = tui_read_key(win, true);
		if (key == KEYCODE(KEY_UP) || key == KEYCODE(KEY_DOWN)) {
			history_step(history, &l, &at, key == KEYCODE(KEY_UP) ? -1 : 1, &typed);
			continue;
		}
	} while (prompt_key(tui, &l, key, complete, shown, sizeof(shown), &ok));
	free(typed);
	curs_set(0);
	delwin(win);
	tui->redraw_all = true;
	return ok;
}

bool
tui_prompt(struct tui *tui, const char *prompt, char *buf, size_t size)
{
	if (tui->request_arg) {
		snprintf(buf, size, "%s", tui->request_arg);
		tui->request_arg = NULL;
		return true;
	}
	return prompt_read(tui, prompt, buf, size, NULL, NULL);
}
