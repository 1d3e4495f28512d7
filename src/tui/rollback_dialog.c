/* rollback_dialog.c - R: a dialog over the view that shows exactly what a rollback
 * will do (the engine's plan, src/deploy/plan.c, as `sitrep rollback --dry-run`
 * prints it: current and target version and sha, the executor and its exact
 * command or API call, the commits it removes, whether an automated sync would
 * undo it) and who else is looking at the service (presence.c), then asks.
 *
 * Cancel is the default button: Enter closes unless Confirm was chosen (Tab), and
 * Esc always does. Production wants the service's name typed before Confirm can
 * be chosen; a --read-only console shows the plan and cannot confirm. Confirmed,
 * the rollback runs on a thread of its own with its own cache connection (the
 * engine's lock, audit rows and timeline events, as for `sitrep rollback`), the
 * executor's output streams into the dialog through a pipe that wakes the loop,
 * and the outcome stays until a key closes it. The loop keeps running meanwhile:
 * the clock, the cache's changes, the other views' data. A cancel is audited as
 * the CLI's is (requested, then cancelled), also on a thread of its own, so a
 * cache a sync is writing never holds the screen. */
#include "tui.h"
#include "sitrep/rollback.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#define OUTPUT_MAX 5000 /* lines of output kept: the newest */
#define FOOTER 3	/* lines under the scrolled text: hint, field, buttons */
#define INDENT 12	/* where the plan's values start: "call        " */

enum dialog_state {
	DIALOG_ASK,
	DIALOG_RUNNING,
	DIALOG_DONE
};

struct dialog_line {
	char *text;
	enum color_role role;
};

struct rollback_dialog {
	struct rollback_plan plan;
	struct dialog_line *lines; /* the plan and who is looking */
	size_t n_lines;
	size_t n_plan_lines; /* the plan's; who is looking follows */
	int64_t viewers_at;  /* when who is looking was read (monotonic seconds) */
	enum dialog_state state;
	bool read_only;
	bool confirm_focused;
	char typed[128];
	size_t top;  /* first line shown */
	bool follow; /* the last lines stay in sight as output comes */
	int height;  /* lines of text shown at the last draw */
	/* the rollback's thread */
	pthread_t thread;
	pthread_mutex_t mutex; /* output, n_output */
	char **output;
	size_t n_output;
	atomic_bool done;
	int wake[2];
	char *db_path;
	const struct config *cfg;
	enum status_code code;
	char error[512];
	struct rollback_report report;
	char outcome[640];
	enum color_role outcome_role;
};

static void
add_line(struct rollback_dialog *d, enum color_role role, const char *text)
{
	d->lines = xrealloc(d->lines, (d->n_lines + 1) * sizeof(*d->lines));
	d->lines[d->n_lines++] = (struct dialog_line){ xstrdup(text), role };
}

/* The dialog's width on a terminal of cols columns. */
static int
dialog_width(int cols)
{
	return cols - 4 < 120 ? cols - 4 : 120;
}

/* line in pieces of at most width bytes (cut between UTF-8 characters), the
 * pieces after the first under the plan's values: the exact call is read whole. */
static void
add_wrapped(struct rollback_dialog *d, enum color_role role, const char *line, int width)
{
	size_t len = strlen(line), room = width > INDENT + 10 ? (size_t)width : len + 1;
	bool first = true;

	while (first || len) {
		size_t indent = first ? 0 : INDENT, cut = len;
		char *piece;

		if (indent + cut > room) {
			cut = room - indent;
			while (cut > 1 && ((unsigned char)line[cut] & 0xC0) == 0x80)
				cut--;
		}
		piece = xasprintf("%*s%.*s", (int)indent, "", (int)cut, line);
		add_line(d, role, piece);
		free(piece);
		line += cut;
		len -= cut;
		first = false;
	}
}

/* The plan as the command line prints it, a line each. */
static void
add_plan(struct rollback_dialog *d, int width)
{
	char *text = NULL, *line, *save = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	if (!out)
		return;
	rollback_plan_print(&d->plan, out);
	fclose(out);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		add_wrapped(d,
			    d->plan.autosync && !strncmp(line, "auto-sync", 9) ? COLOR_WARNING
									       : COLOR_DEFAULT,
			    line, width);
	free(text);
}

/* Seconds of a clock that only moves forward: the fixed clock of the tests
 * (SITREP_TIME_NOW) must not stop the dialog from looking again. */
static int64_t
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* Who else is looking, after the plan (again each second: they come and go). */
static void
add_viewers(struct rollback_dialog *d, struct tui *tui)
{
	char **others = NULL, *line;
	size_t n = 0;

	while (d->n_lines > d->n_plan_lines)
		free(d->lines[--d->n_lines].text);
	d->viewers_at = seconds();
	presence_others(tui, d->plan.service, &others, &n);
	add_line(d, COLOR_DEFAULT, "");
	if (!n) {
		line = xasprintf("No other console is looking at %s.", d->plan.service);
		add_line(d, COLOR_MUTED, line);
		free(line);
	}
	for (size_t i = 0; i < n; i++) {
		line = xasprintf("Also looking at %s: %s", d->plan.service, others[i]);
		add_line(d, COLOR_WARNING, line);
		free(line);
		free(others[i]);
	}
	free(others);
}

static void
dialog_free(struct rollback_dialog *d)
{
	for (size_t i = 0; i < d->n_lines; i++)
		free(d->lines[i].text);
	free(d->lines);
	for (size_t i = 0; i < d->n_output; i++)
		free(d->output[i]);
	free(d->output);
	rollback_plan_release(&d->plan);
	rollback_report_release(&d->report);
	free(d->db_path);
	free(d);
}

void
rollback_dialog_open(struct tui *tui, const char *service, const char *environment)
{
	struct rollback_dialog *d;
	enum status_code code;

	if (tui->rollback)
		return;
	d = xcalloc(1, sizeof(*d));
	d->wake[0] = d->wake[1] = -1;
	code = rollback_plan_build(tui->store, &tui->cfg, service, environment, NULL, &d->plan);
	if (code != SUCCESS) {
		tui_message(tui, true, "rollback: %s", status_message(code));
		dialog_free(d);
		return;
	}
	d->read_only = tui->opts->read_only;
	add_plan(d, dialog_width(tui->cols) - 4);
	d->n_plan_lines = d->n_lines;
	add_viewers(d, tui);
	tui->rollback = d;
	presence_update(tui, "rollback", d->plan.service);
}

static bool
confirm_enabled(const struct rollback_dialog *d)
{
	return !d->read_only && (!d->plan.production || streq(d->typed, d->plan.service));
}

/* ---- the rollback's thread ---- */

static void
wake(struct rollback_dialog *d)
{
	ssize_t rc = write(d->wake[1], "", 1);

	(void)rc; /* a full pipe already wakes the loop */
}

static void
on_output(void *ctx, const char *line)
{
	struct rollback_dialog *d = ctx;

	pthread_mutex_lock(&d->mutex);
	if (d->n_output == OUTPUT_MAX) {
		free(d->output[0]);
		memmove(d->output, d->output + 1, (d->n_output - 1) * sizeof(*d->output));
		d->n_output--;
	}
	d->output = xrealloc(d->output, (d->n_output + 1) * sizeof(*d->output));
	d->output[d->n_output++] = xstrdup(line);
	pthread_mutex_unlock(&d->mutex);
	wake(d);
}

/* As `sitrep rollback` does: requested, confirmed, then the engine (lock,
 * executor, its outcome's audit row, the timelines). */
static void *
job_main(void *arg)
{
	struct rollback_dialog *d = arg;
	struct rollback_actor actor;
	struct store *store = NULL;
	char *summary = rollback_summary(&d->plan);

	rollback_actor_init(&actor, d->cfg);
	if ((d->code = store_open(&store, d->db_path, 0)) == SUCCESS)
		d->code = rollback_audit(store, &d->plan, &actor, time_now(), "requested", summary);
	if (d->code == SUCCESS)
		d->code = rollback_audit(store, &d->plan, &actor, time_now(), "confirmed",
					 d->plan.production
						 ? "the service's name typed in the console"
						 : "confirmed in the console");
	if (d->code == SUCCESS)
		d->code = rollback_run(store, d->cfg, &d->plan, &actor, on_output, d, &d->report);
	if (d->code != SUCCESS)
		string_copy(d->error, status_message(d->code));
	free(summary);
	store_close(&store);
	atomic_store(&d->done, true);
	wake(d);
	return NULL;
}

static bool
pipe_open(int fds[2])
{
	if (pipe(fds) != 0)
		return false;
	for (int i = 0; i < 2; i++) {
		/* the executor's child must not inherit it; neither end ever blocks */
		fcntl(fds[i], F_SETFD, FD_CLOEXEC);
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
	}
	return true;
}

static void
pipe_close(int fds[2])
{
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	fds[0] = fds[1] = -1;
}

static void
set_outcome(struct rollback_dialog *d, enum color_role role, const char *label, const char *text)
{
	snprintf(d->outcome, sizeof(d->outcome), "%s: %s", label, text);
	d->outcome_role = role;
}

static void
start(struct tui *tui, struct rollback_dialog *d)
{
	d->db_path = xstrdup(store_path(tui->store));
	d->cfg = &tui->cfg;
	d->state = DIALOG_DONE;
	if (!pipe_open(d->wake)) {
		set_outcome(d, COLOR_BAD, "Not rolled back", "could not start the rollback");
		return;
	}
	pthread_mutex_init(&d->mutex, NULL);
	if (pthread_create(&d->thread, NULL, job_main, d) != 0) {
		pthread_mutex_destroy(&d->mutex);
		pipe_close(d->wake);
		set_outcome(d, COLOR_BAD, "Not rolled back", "could not start the rollback");
		return;
	}
	d->state = DIALOG_RUNNING;
	d->follow = true;
}

int
rollback_dialog_fd(const struct tui *tui)
{
	return tui->rollback && tui->rollback->state == DIALOG_RUNNING ? tui->rollback->wake[0]
								       : -1;
}

/* The thread is done: join it and say how it went. */
static void
finish(struct rollback_dialog *d)
{
	static const char *const labels[] = { "Succeeded", "Failed", "Timed out" };

	pthread_join(d->thread, NULL);
	pthread_mutex_destroy(&d->mutex);
	pipe_close(d->wake);
	d->state = DIALOG_DONE;
	if (d->code != SUCCESS)
		set_outcome(d, COLOR_BAD, "Not rolled back", d->error);
	else
		set_outcome(d, d->report.outcome == ROLLBACK_SUCCEEDED ? COLOR_GOOD : COLOR_BAD,
			    labels[d->report.outcome], d->report.message);
}

void
rollback_dialog_poll(struct tui *tui)
{
	struct rollback_dialog *d = tui->rollback;
	char drain[256];

	if (d && d->state == DIALOG_ASK && d->viewers_at != seconds())
		add_viewers(d, tui);
	if (!d || d->state != DIALOG_RUNNING)
		return;
	while (read(d->wake[0], drain, sizeof(drain)) > 0)
		;
	if (atomic_load(&d->done))
		finish(d);
}

/* ---- a cancel's audit rows ---- */

struct cancel_audit {
	pthread_t thread;
	char *db_path;
	char *name;    /* the plan's SERVICE.ENV */
	char *summary; /* rollback_summary */
	struct rollback_actor actor;
};

static void *
cancel_main(void *arg)
{
	struct cancel_audit *c = arg;
	struct rollback_plan plan = { .name = c->name };
	struct store *store = NULL;
	int64_t now = time_now();

	/* Nothing to tell anyone when it fails: the console is closing the dialog. */
	if (store_open(&store, c->db_path, 0) == SUCCESS &&
	    rollback_audit(store, &plan, &c->actor, now, "requested", c->summary) == SUCCESS)
		rollback_audit(store, &plan, &c->actor, now, "cancelled",
			       "cancelled in the console");
	store_close(&store);
	return NULL;
}

/* Waits for the last cancel's rows to be written (before another, and on quit). */
static void
cancel_wait(struct tui *tui)
{
	struct cancel_audit *c = tui->cancel_audit;

	if (!c)
		return;
	pthread_join(c->thread, NULL);
	free(c->db_path);
	free(c->name);
	free(c->summary);
	free(c);
	tui->cancel_audit = NULL;
}

static void
cancel_audit(struct tui *tui, const struct rollback_dialog *d)
{
	struct cancel_audit *c;

	if (d->read_only)
		return; /* it never writes the cache */
	cancel_wait(tui);
	c = xcalloc(1, sizeof(*c));
	c->db_path = xstrdup(store_path(tui->store));
	c->name = xstrdup(d->plan.name);
	c->summary = rollback_summary(&d->plan);
	rollback_actor_init(&c->actor, &tui->cfg);
	tui->cancel_audit = c;
	if (pthread_create(&c->thread, NULL, cancel_main, c) != 0) {
		cancel_main(c); /* no thread to be had: here, then */
		free(c->db_path);
		free(c->name);
		free(c->summary);
		free(c);
		tui->cancel_audit = NULL;
	}
}

void
rollback_dialog_finish(struct tui *tui)
{
	struct rollback_dialog *d = tui->rollback;

	if (d) {
		if (d->state == DIALOG_RUNNING)
			finish(d);
		dialog_free(d);
		tui->rollback = NULL;
	}
	cancel_wait(tui);
}

/* ---- keys ---- */

static void
close_dialog(struct tui *tui, const char *message, bool is_error)
{
	tui_message(tui, is_error, "%s", message);
	dialog_free(tui->rollback);
	tui->rollback = NULL;
	tui->redraw_all = true;
}

/* Up, Down, PgUp, PgDn, Home, End move the text; true when key was one of them. */
static bool
scroll_key(struct rollback_dialog *d, int key, size_t n)
{
	size_t page = d->height > 1 ? (size_t)d->height - 1 : 1;
	size_t last = n > (size_t)d->height ? n - (size_t)d->height : 0;

	if (key == KEYCODE(KEY_UP) || key == 'k')
		d->top = d->top ? d->top - 1 : 0;
	else if (key == KEYCODE(KEY_DOWN) || key == 'j')
		d->top++;
	else if (key == KEYCODE(KEY_PPAGE))
		d->top = d->top > page ? d->top - page : 0;
	else if (key == KEYCODE(KEY_NPAGE))
		d->top += page;
	else if (key == KEYCODE(KEY_HOME))
		d->top = 0;
	else if (key == KEYCODE(KEY_END))
		d->top = last;
	else
		return false;
	if (d->top > last)
		d->top = last;
	d->follow = d->top == last;
	return true;
}

static size_t
text_lines(struct rollback_dialog *d)
{
	size_t n;

	if (d->state != DIALOG_RUNNING) /* no thread, or one joined */
		return d->n_lines + (d->state == DIALOG_DONE) + d->n_output;
	pthread_mutex_lock(&d->mutex);
	n = d->n_lines + 1 + d->n_output;
	pthread_mutex_unlock(&d->mutex);
	return n;
}

static void
typed_key(struct rollback_dialog *d, int key)
{
	size_t len = strlen(d->typed);

	if (key == KEYCODE(KEY_BACKSPACE) || key == 127 || key == 8) {
		while (len && ((unsigned char)d->typed[len - 1] & 0xC0) == 0x80)
			len--; /* a whole UTF-8 character */
		if (len)
			d->typed[len - 1] = '\0';
	} else if (key >= ' ' && key < 0x110000 && key != 127) {
		char utf8[5];

		key_utf8(key, utf8);
		if (len + strlen(utf8) < sizeof(d->typed))
			memcpy(d->typed + len, utf8, strlen(utf8) + 1);
	}
	if (!confirm_enabled(d))
		d->confirm_focused = false;
}

void
rollback_dialog_key(struct tui *tui, int key)
{
	struct rollback_dialog *d = tui->rollback;
	bool enter = key == '\r' || key == '\n' || key == KEYCODE(KEY_ENTER);
	char message[700];
	bool typing;

	if (!d)
		return;
	/* while the name is typed, j and k are letters of it */
	typing = d->state == DIALOG_ASK && d->plan.production && !d->read_only && key >= ' ' &&
		 key < 0x110000;
	if (!typing && scroll_key(d, key, text_lines(d)))
		return;
	switch (d->state) {
	case DIALOG_ASK:
		if (key == 27 || key == 3 || key == 7 || (enter && !d->confirm_focused)) {
			snprintf(message, sizeof(message), "%s: not rolled back", d->plan.name);
			cancel_audit(tui, d);
			close_dialog(tui, message, false);
		} else if (enter) {
			start(tui, d);
		} else if (key == '\t' || key == KEYCODE(KEY_BTAB) || key == KEYCODE(KEY_LEFT) ||
			   key == KEYCODE(KEY_RIGHT)) {
			d->confirm_focused = !d->confirm_focused && confirm_enabled(d);
		} else if (d->plan.production && !d->read_only) {
			typed_key(d, key);
		}
		break;
	case DIALOG_RUNNING:
		break; /* the rollback cannot be called off halfway: its outcome comes */
	case DIALOG_DONE:
		string_copy(message, d->outcome);
		close_dialog(tui, message, d->outcome_role != COLOR_GOOD);
		break;
	}
}

/* ---- drawing ---- */

static void
draw_buttons(struct rollback_dialog *d, WINDOW *win, int y, int width)
{
	bool enabled = confirm_enabled(d);
	attr_t cancel = role_attr(d->confirm_focused ? COLOR_DEFAULT : COLOR_CURSOR);
	attr_t confirm = role_attr(!enabled		? COLOR_MUTED
				   : d->confirm_focused ? COLOR_CURSOR
							: COLOR_DEFAULT);
	int x = 2;

	/* the marks show the choice on a terminal without colors, and to the tests */
	x += draw_text(win, y, x, width - x, cancel,
		       d->confirm_focused ? "[ Cancel ]" : "[>Cancel<]");
	x += 3;
	draw_text(win, y, x, width - x, confirm,
		  d->confirm_focused ? "[>Confirm<]" : "[ Confirm ]");
}

static void
draw_footer(struct rollback_dialog *d, WINDOW *win, int y, int width)
{
	char text[320];

	switch (d->state) {
	case DIALOG_ASK:
		if (d->read_only) {
			snprintf(text, sizeof(text),
				 "Read-only console (--read-only): it cannot roll back; "
				 "`sitrep rollback %s` can.",
				 d->plan.service);
			draw_text(win, y, 2, width - 4, role_attr(COLOR_WARNING), text);
		} else if (d->plan.production) {
			snprintf(
				text, sizeof(text),
				"%s is production: type the service's name (%s) to enable Confirm.",
				d->plan.name, d->plan.service);
			draw_text(win, y, 2, width - 4, role_attr(COLOR_PRODUCTION), text);
			snprintf(text, sizeof(text), "Name: %s_", d->typed);
			draw_text(win, y + 1, 2, width - 4, role_attr(COLOR_PROMPT), text);
		} else {
			draw_text(win, y, 2, width - 4, role_attr(COLOR_MUTED),
				  "Tab chooses Confirm, Enter presses, Esc cancels.");
		}
		draw_buttons(d, win, y + 2, width - 2);
		break;
	case DIALOG_RUNNING:
		draw_text(win, y, 2, width - 4, role_attr(COLOR_RUNNING),
			  "Rolling back... the outcome shows here; it cannot be stopped halfway.");
		break;
	case DIALOG_DONE:
		draw_text(win, y, 2, width - 4, role_attr(d->outcome_role), d->outcome);
		draw_text(win, y + 2, 2, width - 4, role_attr(COLOR_MUTED),
			  "Any key closes (Up and Down scroll the output).");
		break;
	}
}

void
rollback_dialog_draw(struct tui *tui)
{
	struct rollback_dialog *d = tui->rollback;
	int width = dialog_width(tui->cols);
	int height = tui->lines - 2;
	size_t n;
	char title[200];
	WINDOW *win;

	if (!d || width < 20 || height < FOOTER + 4)
		return;
	win = newwin(height, width, 1, (tui->cols - width) / 2);
	if (!win)
		return;
	wbkgdset(win, ' ' | role_attr(COLOR_DEFAULT));
	werase(win);
	box(win, 0, 0);
	snprintf(title, sizeof(title), " Roll back %s in %s ", d->plan.service,
		 d->plan.environment);
	draw_text(win, 0, 2, width - 4,
		  role_attr(d->plan.production ? COLOR_PRODUCTION : COLOR_HEADER), title);
	d->height = height - 2 - FOOTER - 1;
	n = text_lines(d);
	if (d->follow || d->top + (size_t)d->height > n)
		d->top = n > (size_t)d->height ? n - (size_t)d->height : 0;
	if (d->state == DIALOG_RUNNING)
		pthread_mutex_lock(&d->mutex);
	for (int row = 0; row < d->height && d->top + (size_t)row < n; row++) {
		size_t i = d->top + (size_t)row;

		if (i < d->n_lines)
			draw_text(win, 1 + row, 2, width - 4, role_attr(d->lines[i].role),
				  d->lines[i].text);
		else if (i == d->n_lines)
			draw_text(win, 1 + row, 2, width - 4, role_attr(COLOR_HEADER), "Output:");
		else
			draw_text(win, 1 + row, 4, width - 6, role_attr(COLOR_DEFAULT),
				  d->output[i - d->n_lines - 1]);
	}
	if (d->state == DIALOG_RUNNING)
		pthread_mutex_unlock(&d->mutex);
	draw_footer(d, win, height - 1 - FOOTER, width);
	wnoutrefresh(win);
	delwin(win);
}
