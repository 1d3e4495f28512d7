/* tui.c - the console's loop. One thread owns the screen: it waits in poll() on the
 * terminal and wake-up pipes with a timeout of at most a second, drains the keys,
 * and redraws. Once a second it asks the cache for its data_version: when a sync
 * (the worker thread here, or a `sitrep sync --daemon` beside it) has committed,
 * the views reload and the screen is drawn again; otherwise only the clock moves.
 * Idle means blocked in poll(), not spinning.
 *
 * The sync worker is a second thread with its own cache connection, running the
 * daemon's schedule; it never touches curses. With --read-only, or when a daemon
 * already holds the cache's sync lock, the console only reads.
 * An upstream action (`a`) runs on a short-lived thread of its own (act.c), and so
 * does a rollback confirmed in R's dialog, which takes the keys while it is open
 * and wakes the loop through a pipe when its output comes (rollback_dialog.c).
 *
 * The terminal is restored on every way out: a normal quit, SIGTERM/SIGINT/SIGHUP
 * (a flag the loop sees within a poll), and die() (its callback ends curses). */
#include "tui.h"
#include "sitrep/console_store.h"
#include "sitrep/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <unistd.h>

#define MIN_LINES 10
#define MIN_COLS 40

static volatile sig_atomic_t signalled;
static bool curses_active;

static void
on_signal(int sig)
{
	signalled = sig;
}

static void
end_curses(void)
{
	if (curses_active) {
		endwin();
		curses_active = false;
	}
}

/* ---- the sync worker ---- */

struct worker {
	pthread_t thread;
	bool running;
	const struct config *cfg;
	char *db_path;
	volatile sig_atomic_t stop;
	struct sync_wake wake;	    /* r, and :source NAME sync */
	sig_atomic_t *source_flags; /* wake.source, one per source */
	int rc;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct store *store = NULL;
	FILE *log = sync_log_open();

	if (store_open(&store, w->db_path, 0) == SUCCESS)
		/* the auto-rollbacks belong to `sitrep sync`, not to a console */
		w->rc = sync_daemon(store, w->cfg, NULL, 0, &w->stop, &w->wake, log, NULL, false);
	store_close(&store);
	if (log)
		fclose(log);
	return NULL;
}

static void
worker_start(struct worker *w, const struct config *cfg, const char *db_path)
{
	w->cfg = cfg;
	w->db_path = xstrdup(db_path);
	w->source_flags = xcalloc(cfg->n_sources + 1, sizeof(*w->source_flags));
	w->wake.source = w->source_flags;
	w->running = cfg->n_sources > 0 && pthread_create(&w->thread, NULL, worker_main, w) == 0;
}

static void
worker_stop(struct worker *w)
{
	if (w->running) {
		w->stop = 1;
		pthread_join(w->thread, NULL);
		w->running = false;
	}
	free(w->db_path);
	free(w->source_flags);
}

/* ---- messages ---- */

void
tui_message(struct tui *tui, bool is_error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tui->message, sizeof(tui->message), fmt, ap);
	va_end(ap);
	tui->message_is_error = is_error;
}

bool
tui_confirm(struct tui *tui, const char *question)
{
	WINDOW *win = newwin(1, COLS, LINES - 1, 0);
	int key;

	werase(win);
	draw_fill(win, 0, 0, role_attr(COLOR_DEFAULT));
	draw_text(win, 0, 0, COLS, role_attr(COLOR_PROMPT), question);
	wrefresh(win);
	key = tui_read_key(win, true);
	delwin(win);
	tui->redraw_all = true;
	return key == 'y' || key == 'Y';
}

/* ---- input ---- */

int
tui_read_key(WINDOW *win, bool wait)
{
	wint_t ch;
	int rc;

	nodelay(win, !wait);
	for (;;) {
		if (signalled && wait)
			return -2;
		rc = wget_wch(win, &ch);
		if (rc == KEY_CODE_YES)
			return KEYCODE((int)ch);
		if (rc == OK)
			return (int)ch;
		if (!wait || signalled)
			return signalled ? -2 : -1;
	}
}

/* ---- sources ---- */

static void
sources_free(struct tui *tui)
{
	for (size_t i = 0; i < tui->n_sources; i++) {
		free(tui->sources[i].name);
		free(tui->sources[i].type);
		free(tui->sources[i].last_error);
	}
	free(tui->sources);
	tui->sources = NULL;
	tui->n_sources = 0;
}

/* Every configured source's health from its sync state, for the status bar. */
static void
sources_load(struct tui *tui)
{
	struct store_sync_state *states = NULL;
	size_t n_states = 0;

	sources_free(tui);
	if (store_sync_states(tui->store, &states, &n_states) != SUCCESS)
		return;
	tui->sources = xcalloc(tui->cfg.n_sources + 1, sizeof(*tui->sources));
	for (size_t i = 0; i < tui->cfg.n_sources; i++) {
		const struct config_source *src = &tui->cfg.sources[i];
		struct source_health *h = &tui->sources[tui->n_sources++];
		size_t j = 0, n = 0;
		const char *last_error;

		while (j < n_states && !streq(states[j].source, src->name))
			j++;
		while (j + n < n_states && streq(states[j + n].source, src->name))
			n++;
		h->name = xstrdup(src->name);
		h->type = xstrdup(src->type ? src->type : "");
		h->health = (int)sync_health_of(states + j, n, src->interval, tui->now,
						&h->last_success, &last_error);
		h->last_error = last_error ? xstrdup(last_error) : NULL;
	}
	store_sync_states_free(states, n_states);
}

/* ---- the rollback alarm ---- */

/* Reads the failing bakes; rings the bell for each one not rung for before
 * ([ui] bell = false: never). */
static void
alarms_load(struct tui *tui)
{
	struct rollback_alarm *alarms = NULL;
	size_t n = 0;

	tui->alarms_at = tui->now;
	if (rollback_alarms(tui->store, &tui->cfg, tui->now, &alarms, &n) != SUCCESS)
		return; /* the last alarms stay up: a busy cache is no all-clear */
	rollback_alarms_free(tui->alarms, tui->n_alarms);
	tui->alarms = alarms;
	tui->n_alarms = n;
	for (size_t i = 0; i < n; i++) {
		char *key = xasprintf("%s %s", alarms[i].name, alarms[i].deploy.source_id);
		bool rung = false;

		for (size_t j = 0; j < tui->n_rung && !rung; j++)
			rung = streq(tui->rung[j], key);
		if (rung) {
			free(key);
			continue;
		}
		tui->rung = xrealloc(tui->rung, (tui->n_rung + 1) * sizeof(*tui->rung));
		tui->rung[tui->n_rung++] = key;
		if (tui->cfg.bell)
			beep();
	}
}

static void
alarms_free(struct tui *tui)
{
	rollback_alarms_free(tui->alarms, tui->n_alarms);
	for (size_t i = 0; i < tui->n_rung; i++)
		free(tui->rung[i]);
	free(tui->rung);
}

/* ---- requests ---- */

static void
show_top(struct tui *tui, int n)
{
	if (n >= 1 && n <= 7 && tui->views[n]) {
		/* leaving a detail view for a top view closes the details */
		while (tui->current && tui->current->parent) {
			struct view *v = tui->current;

			tui->current = v->parent;
			view_free(v);
		}
		view_show(tui, tui->views[n]);
	}
}

static void
go_back(struct tui *tui)
{
	struct view *v = tui->current;

	if (v == tui->help) {
		tui->current = v->parent ? v->parent : tui->views[1];
		v->parent = NULL;
	} else if (v && v->parent) {
		tui->current = v->parent;
		view_free(v);
		/* The cache changed while the detail was open (an ack, a sync). */
		if (!tui->current->loaded)
			view_reload(tui, tui->current);
	} else {
		tui->quit = true;
	}
}

static void
source_errors(struct tui *tui)
{
	char **lines = xcalloc(tui->n_sources + 2, sizeof(*lines));
	size_t n = 0;

	for (size_t i = 0; i < tui->n_sources; i++) {
		const struct source_health *s = &tui->sources[i];
		char age[16] = "never";

		if (s->last_success != TIME_NONE)
			format_age(s->last_success, tui->now, age, sizeof(age));
		lines[n++] =
			xasprintf("%-16s %-12s %-8s last success %s ago%s%s", s->name, s->type,
				  sync_health_name((enum sync_health)s->health), age,
				  s->last_error ? "; " : "", s->last_error ? s->last_error : "");
	}
	if (!n)
		lines[n++] = xstrdup("No [source] in the config.");
	text_view_open(tui, tui->current, "Sources", lines, n);
}

static void
dispatch(struct tui *tui, enum request req)
{
	struct view *v = tui->current;

	if (v && v->ops->request)
		req = v->ops->request(v, tui, req);
	switch (req) {
	case REQ_NONE:
		break;
	case REQ_VIEW_OVERVIEW:
	case REQ_VIEW_PIPELINES:
	case REQ_VIEW_BRANCHES:
	case REQ_VIEW_METRICS:
	case REQ_VIEW_INCIDENTS:
	case REQ_VIEW_DEPLOYS:
	case REQ_VIEW_TICKETS:
		show_top(tui, (int)(req - REQ_VIEW_OVERVIEW) + 1);
		break;
	case REQ_VIEW_HELP:
		if (tui->current != tui->help) {
			tui->help->parent = tui->current;
			view_reload(tui, tui->help);
			tui->current = tui->help;
		}
		break;
	case REQ_BACK:
		go_back(tui);
		break;
	case REQ_QUIT:
		tui->quit = true;
		break;
	case REQ_TOGGLE_CLOCK:
		tui->local_clock = !tui->local_clock;
		break;
	case REQ_REDRAW:
		tui->redraw_all = true;
		break;
	case REQ_SOURCE_ERRORS:
		source_errors(tui);
		break;
	case REQ_PROMPT:
		palette_run(tui);
		break;
	case REQ_ROLLBACK: {
		const char *env = NULL,
			   *service = v && v->ops->service ? v->ops->service(v, &env) : NULL;

		if (service)
			rollback_dialog_open(tui, service, env);
		else
			tui_message(tui, false, "rollback: no service on this line");
		break;
	}
	case REQ_SYNC_NOW:
		if (tui->wake) {
			tui->wake->all = 1;
			tui_message(tui, false, "syncing every source now");
		} else {
			tui_message(tui, false, "%s",
				    tui->opts->read_only
					    ? "read-only: a sync daemon syncs this cache"
					    : "no sources to sync");
		}
		break;
	default:
		tui_message(tui, false, "%s: not here", request_name(req));
		break;
	}
}

void
tui_request(struct tui *tui, enum request req)
{
	dispatch(tui, req);
}

/* ---- drawing ---- */

struct screen {
	WINDOW *tabs, *banner, *body, *status; /* banner: NULL without an alarm */
};

static void
screen_layout(struct screen *s, struct tui *tui)
{
	if (s->tabs)
		delwin(s->tabs);
	if (s->body)
		delwin(s->body);
	if (s->status)
		delwin(s->status);
	if (s->banner)
		delwin(s->banner);
	getmaxyx(stdscr, tui->lines, tui->cols);
	s->tabs = newwin(1, tui->cols, 0, 0);
	/* the alarm's banner takes the line under the tabs in every view */
	s->banner = tui->n_alarms && tui->lines > 3 ? newwin(1, tui->cols, 1, 0) : NULL;
	s->body = newwin(tui->lines > 3 && s->banner ? tui->lines - 3
			 : tui->lines > 2	     ? tui->lines - 2
						     : 1,
			 tui->cols, s->banner ? 2 : 1, 0);
	s->status = newwin(1, tui->cols, tui->lines - 1, 0);
	keypad(s->body, TRUE);
}

static void
screen_draw(struct screen *s, struct tui *tui)
{
	if (tui->redraw_all) {
		clearok(curscr, TRUE);
		tui->redraw_all = false;
	}
	/* A theme's own background fills the body, not only the cells with text (and
	 * :theme may have changed it). */
	wbkgdset(s->body, ' ' | role_attr(COLOR_DEFAULT));
	wbkgdset(stdscr, ' ' | role_attr(COLOR_DEFAULT));
	mouse_areas_clear();
	if (tui->lines < MIN_LINES || tui->cols < MIN_COLS) {
		char text[96];

		werase(stdscr);
		snprintf(text, sizeof(text), "sitrep needs %dx%d", MIN_COLS, MIN_LINES);
		draw_text(stdscr, tui->lines / 2 - 1, 0, tui->cols, A_BOLD, text);
		snprintf(text, sizeof(text), "this is %dx%d", tui->cols, tui->lines);
		draw_text(stdscr, tui->lines / 2, 0, tui->cols, A_NORMAL, text);
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	if (!tui->n_alarms != !s->banner) {
		screen_layout(s, tui);
		touchwin(stdscr);
		wnoutrefresh(stdscr);
	}
	frame_draw_tabs(tui, s->tabs);
	if (s->banner)
		draw_alarm_banner(tui, s->banner);
	if (tui->current && tui->current->ops->draw)
		tui->current->ops->draw(tui->current, tui, s->body);
	frame_draw_status(tui, s->status);
	wnoutrefresh(s->tabs);
	if (s->banner)
		wnoutrefresh(s->banner);
	wnoutrefresh(s->body);
	wnoutrefresh(s->status);
	rollback_dialog_draw(tui);
	doupdate();
}

/* ---- set-up ---- */

static void
init_curses(void)
{
	struct sigaction sa;

	initscr();
	curses_active = true;
	die_set_callback(end_curses);
	raw();
	noecho();
	nonl();
	curs_set(0);
	keypad(stdscr, TRUE);
	set_escdelay(25);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void
create_views(struct tui *tui)
{
	static const struct view_ops *const tops[8] = {
		NULL,	      &overview_ops,  &pipelines_ops, &branches_ops,
		&metrics_ops, &incidents_ops, &deploys_ops,   &tickets_ops,
	};

	for (int i = 1; i <= 7; i++)
		tui->views[i] = view_new(tops[i], NULL);
	tui->help = view_new(&help_ops, NULL);
}

static int
first_view(const char *name)
{
	for (int i = 1; name && i <= 7; i++) {
		static const char *const names[] = { NULL,	 "overview", "pipelines",
						     "branches", "metrics",  "incidents",
						     "deploys",	 "tickets" };

		if (streq(name, names[i]))
			return i;
	}
	return 1;
}

/* The keys of --keys ("5 j Enter"), each dispatched as if typed. */
static void
run_keys(struct tui *tui, const char *keys)
{
	char *copy = xstrdup(keys), *save = NULL, *word;

	for (word = strtok_r(copy, " ", &save); word && !tui->quit;
	     word = strtok_r(NULL, " ", &save)) {
		int key = key_parse(word);

		if (key >= 0 && tui->rollback)
			rollback_dialog_key(tui, key);
		else if (key >= 0)
			dispatch(tui,
				 keys_request(tui->current ? tui->current->ops->name : NULL, key));
	}
	free(copy);
}

/* Tells the other consoles which view and service this one shows (the dialog says
 * its own while it is open). */
static void
look_at(struct tui *tui)
{
	const char *env = NULL, *service = NULL;
	struct view *v = tui->current;

	if (tui->rollback)
		return;
	if (v && v->ops->service)
		service = v->ops->service(v, &env);
	presence_update(tui, v ? v->ops->name : NULL, service);
}

int
tui_run(const struct tui_options *opts)
{
	struct tui tui = { .opts = opts, .wakeup = { -1, -1 } };
	struct worker worker = { 0 };
	struct screen screen = { 0 };
	char *config_path = config_default_path(opts->config_path);
	char *db_path = store_default_path(opts->db_path);
	enum status_code code;
	int64_t version = 0;
	unsigned iterations = 0;
	int rc = EXIT_SUCCESS;

	code = config_load(&tui.cfg, config_path, opts->config_path != NULL);
	free(config_path);
	if (code != SUCCESS) {
		fprintf(stderr, "sitrep: %s\n", status_message(code));
		free(db_path);
		return 1;
	}
	if ((code = store_open(&tui.store, db_path, opts->read_only ? STORE_READONLY : 0)) !=
	    SUCCESS) {
		fprintf(stderr, "sitrep: %s\n", status_message(code));
		config_release(&tui.cfg);
		free(db_path);
		return 1;
	}
	store_prepare_console(tui.store);
	for (size_t i = 0; i < tui.cfg.n_problems; i++) {
		tui.problems = xrealloc(tui.problems, (tui.n_problems + 1) * sizeof(*tui.problems));
		tui.problems[tui.n_problems++] = xstrdup(tui.cfg.problems[i]);
	}
	if (!opts->read_only)
		worker_start(&worker, &tui.cfg, db_path);
	if (worker.running)
		tui.wake = &worker.wake;
	presence_start(&tui);
	if (pipe(tui.wakeup) != 0)
		tui.wakeup[0] = tui.wakeup[1] = -1; /* threads' results then wait a second */
	for (int i = 0; i < 2; i++) {
		if (tui.wakeup[i] >= 0) {
			fcntl(tui.wakeup[i], F_SETFD, FD_CLOEXEC);
			fcntl(tui.wakeup[i], F_SETFL, O_NONBLOCK);
		}
	}

	init_curses();
	colors_init(tui.cfg.theme, &tui.problems, &tui.n_problems);
	keys_init(&tui.cfg, &tui.problems, &tui.n_problems);
	mouse_init(&tui.cfg);
	tui.now = time_now();
	store_data_version(tui.store, &version);
	sources_load(&tui);
	alarms_load(&tui);
	create_views(&tui);
	view_show(&tui, tui.views[first_view(opts->view)]);
	if (tui.n_problems)
		tui_message(&tui, true, "%s%s", tui.problems[0],
			    tui.n_problems > 1 ? " (and more: see sitrep doctor)" : "");
	screen_layout(&screen, &tui);
	if (opts->keys)
		run_keys(&tui, opts->keys);

	while (!tui.quit && !signalled) {
		struct pollfd pfd[3] = { { .fd = STDIN_FILENO, .events = POLLIN },
					 { .fd = tui.wakeup[0], .events = POLLIN },
					 { .fd = rollback_dialog_fd(&tui), .events = POLLIN } };
		int64_t v;
		int key, rc_poll;
		bool drawn = true;

		look_at(&tui);
		screen_draw(&screen, &tui);
		if (opts->max_iterations && ++iterations >= opts->max_iterations)
			break;
		/* Wake at the next second: the clock, the sources' ages, new data; at once
		 * when the view has work left and no key is waiting. */
		rc_poll = poll(pfd, pfd[2].fd >= 0 ? 3 : 2,
			       tui.current && tui.current->idle_pending ? 0 : 1000);
		if (rc_poll < 0 && errno != EINTR)
			break;
		if (rc_poll > 0 && (pfd[1].revents & POLLIN)) {
			char drain[64];

			while (read(tui.wakeup[0], drain, sizeof(drain)) > 0)
				;
		}
		if (rc_poll == 0 && tui.current && tui.current->idle_pending) {
			tui.current->idle_pending = false;
			tui.current->ops->idle(tui.current, &tui);
			continue;
		}
		tui.now = time_now();
		while ((key = tui_read_key(screen.body, false)) >= 0 && !tui.quit) {
			tui.message[0] = '\0';
			if (key == KEYCODE(KEY_RESIZE)) {
				screen_layout(&screen, &tui);
				tui.redraw_all = true;
				drawn = false;
				continue;
			}
			if (tui.rollback) {
				rollback_dialog_key(&tui, key);
			} else if (key == KEYCODE(KEY_MOUSE)) {
				/* a click is on what the screen shows: first what keys changed */
				if (!drawn)
					screen_draw(&screen, &tui);
				mouse_event(&tui);
			} else {
				dispatch(&tui,
					 keys_request(tui.current ? tui.current->ops->name : NULL,
						      key));
			}
			drawn = false;
		}
		act_poll(&tui);
		rollback_dialog_poll(&tui);
		if (store_data_version(tui.store, &v) == SUCCESS && v != version) {
			version = v;
			sources_load(&tui);
			alarms_load(&tui);
			for (int i = 1; i <= 7; i++)
				tui.views[i]->loaded = false;
			if (tui.current)
				view_reload(&tui, tui.current);
		} else {
			sources_load(&tui); /* ages and staleness move with the clock */
			/* a bake goes bad (or ends) with the clock too */
			if (tui.now - tui.alarms_at >= 10)
				alarms_load(&tui);
			if (tui.current && tui.current->ops->tick)
				tui.current->ops->tick(tui.current, &tui);
		}
	}

	end_curses();
	act_finish(&tui);
	rollback_dialog_finish(&tui);
	presence_stop(&tui);
	worker_stop(&worker);
	if (signalled)
		rc = 128 + signalled;
	/* Detail views still open sit above a top view: close them first. */
	if (tui.current == tui.help)
		tui.current = tui.help->parent;
	while (tui.current && tui.current->parent) {
		struct view *v = tui.current;

		tui.current = v->parent;
		view_free(v);
	}
	for (int i = 1; i <= 7; i++)
		view_free(tui.views[i]);
	view_free(tui.help);
	keys_release();
	palette_release();
	sources_free(&tui);
	alarms_free(&tui);
	for (size_t i = 0; i < tui.n_problems; i++)
		free(tui.problems[i]);
	free(tui.problems);
	/* After the views: their threads, joined there, may still write to it. */
	for (int i = 0; i < 2; i++)
		if (tui.wakeup[i] >= 0)
			close(tui.wakeup[i]);
	store_close(&tui.store);
	config_release(&tui.cfg);
	free(db_path);
	return rc;
}
