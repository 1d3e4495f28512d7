/* tui.h - the console's modules and what they share. Nothing outside src/tui/
 * includes this; the rest of sitrep sees include/sitrep/tui.h only.
 *
 * Shape (STYLE.md 11.3-11.9): one single-threaded loop (loop.c) around poll() on the
 * terminal and a wake-up pipe; views behind one ops table (view.c) that only load
 * their data (load) and paint it (draw), most of them through one list widget
 * (list.c); every action is a request from one table (request.c) that also gives
 * the key bindings and the help screen; colors are semantic roles (color.c). */
#ifndef SITREP_TUI_PRIVATE_H
#define SITREP_TUI_PRIVATE_H

#include "sitrep/sitrep.h"
#include "sitrep/config.h"
#include "sitrep/store.h"
#include "sitrep/tui.h"
#include "sitrep/console_store.h"
#include "sitrep/rollback.h"

#include <curses.h>
#include <signal.h>

/* ---- request.c: every action, its name, default keys and help ----------------- */

/* GROUP(title) starts a help section; REQ(ID, name, keys, help). The name is what
 * [bind "VIEW"] and the palette use; keys are the defaults, space-separated, each
 * bound in every view, or in one view only as "VIEW:KEY" (o toggles open records
 * in lists, but opens a commit's web page in the branch graph). */
#define REQ_INFO(GROUP, REQ)                                                                 \
	GROUP("Views")                                                                       \
	REQ(VIEW_OVERVIEW, "view-overview", "1", "Overview: every service at a glance")      \
	REQ(VIEW_PIPELINES, "view-pipelines", "2", "Pipelines: CI/CD runs and stages")       \
	REQ(VIEW_BRANCHES, "view-branches", "3", "Branches and their CI status")             \
	REQ(VIEW_METRICS, "view-metrics", "4", "Metrics: charts per service")                \
	REQ(VIEW_INCIDENTS, "view-incidents", "5", "Incidents and their timelines")          \
	REQ(VIEW_DEPLOYS, "view-deploys", "6", "Deploys: service by environment")            \
	REQ(VIEW_TICKETS, "view-tickets", "7", "Tickets with their SLA")                     \
	REQ(VIEW_HELP, "help", "? F1", "This help")                                          \
	GROUP("Moving")                                                                      \
	REQ(MOVE_UP, "move-up", "k Up", "Previous line")                                     \
	REQ(MOVE_DOWN, "move-down", "j Down", "Next line")                                   \
	REQ(MOVE_PAGE_UP, "move-page-up", "PgUp C-b", "Previous page")                       \
	REQ(MOVE_PAGE_DOWN, "move-page-down", "PgDn C-f Space", "Next page")                 \
	REQ(MOVE_FIRST, "move-first", "g Home", "First line")                                \
	REQ(MOVE_LAST, "move-last", "G End", "Last line")                                    \
	GROUP("Finding")                                                                     \
	REQ(FILTER, "filter", "/", "Show only the lines that contain a text")                \
	REQ(FIND_NEXT, "find-next", "n", "Next line of the filtered list")                   \
	REQ(FIND_PREV, "find-prev", "N", "Previous line of the filtered list")               \
	REQ(SORT, "sort", "s", "Sort by the next column")                                    \
	REQ(SORT_REVERSE, "sort-reverse", "S", "Reverse the sort order")                     \
	REQ(TOGGLE_OPEN, "toggle-open", "o", "Open records only, or all of them")            \
	GROUP("Acting")                                                                      \
	REQ(ENTER, "enter", "Enter", "Open the selected line")                               \
	REQ(RAW, "raw", "J", "The upstream's record as it arrived (JSON)")                   \
	REQ(BACK, "back", "q Esc", "Back; quit from a top view")                             \
	REQ(QUIT, "quit", "Q", "Quit")                                                       \
	REQ(PROMPT, "prompt", ":", "Command palette")                                        \
	REQ(SYNC_NOW, "sync-now", "r", "Sync every source now")                              \
	REQ(ACK, "acknowledge", "a", "Acknowledge the incident upstream")                    \
	REQ(ROLLBACK, "rollback", "R", "Roll back the line's service: plan, confirm")        \
	REQ(WINDOW, "window", "w", "Next time window (metrics: 15m to 7d; MTTx: 7d to 90d)") \
	REQ(TOGGLE_PANEL, "toggle-panel", "p", "Incidents: the MTTx panel of the service")   \
	REQ(TOGGLE_CLOCK, "toggle-clock", "T", "Clock in UTC or local time")                 \
	REQ(NEXT_REPO, "next-repo", "]", "Branches: the next repository")                    \
	REQ(PREV_REPO, "prev-repo", "[", "Branches: the previous repository")                \
	REQ(OPEN_URL, "open-url", "branches:o text:o",                                       \
	    "Branches: the commit's web page in $BROWSER, else shown")                       \
	REQ(SOURCE_ERRORS, "source-errors", "E", "Each source's last error")                 \
	REQ(REDRAW, "redraw", "C-l", "Redraw the screen")

enum request {
	REQ_NONE,
#define REQ_GROUP_SKIP(title)
#define REQ_ENUM(id, name, keys, help) REQ_##id,
	REQ_INFO(REQ_GROUP_SKIP, REQ_ENUM)
#undef REQ_ENUM
	REQ_COUNT
};

const char *request_name(enum request req);
const char *request_help(enum request req);
const char *request_default_keys(enum request req);
/* Every request in help order, with a row carrying the title before each group. */
struct request_row {
	const char *group; /* a section title, with req REQ_NONE; or NULL */
	enum request req;
};
extern const struct request_row request_rows[];
extern const size_t request_n_rows;
/* By name ("move-down"), or REQ_NONE. */
enum request request_by_name(const char *name);

/* ---- keys.c: key names, keymaps per view with a generic fallback ------------ */

/* A key: a Unicode character (control keys as 1..31), or KEYCODE(ncurses KEY_*). */
#define KEYCODE(k) (0x1000000 | (k))
#define KEY_NAME_SIZE 24

/* "j", "C-f", "Enter", "Esc", "Space", "Tab", "PgUp", "PgDn", "Home", "End", "Up",
 * "Down", "Left", "Right", "Backspace", "Del", "Ins", "F1".."F12", or one UTF-8
 * character; -1 when it names no key. */
int key_parse(const char *name);
void key_describe(int key, char *buf, size_t size);
/* A character key (below 0x110000) as UTF-8, NUL-terminated. */
void key_utf8(int key, char utf8[5]);
/* Loads the default bindings of every request, then [bind "VIEW"] from cfg. Each
 * bad binding becomes a problem ("FILE:LINE: ..."), appended to *problems. */
void keys_init(const struct config *cfg, char ***problems, size_t *n_problems);
void keys_release(void);
/* What key does in view (a view's own binding, else the generic one). */
enum request keys_request(const char *view, int key);
/* The keys bound to req in view, "j Down", for the help screen. */
void keys_of(const char *view, enum request req, char *buf, size_t size);

/* ---- color.c: semantic roles and themes ----------------------------------------- */

/* ROLE(ID, name, fg, bg, attrs, mono): the default theme, and the attributes used
 * without colors (NO_COLOR, a monochrome terminal). Colors are curses numbers, -1
 * the terminal's own. */
#define COLOR_ROLES(ROLE)                                                                  \
	ROLE(DEFAULT, "default", -1, -1, A_NORMAL, A_NORMAL)                               \
	ROLE(TITLE, "title", COLOR_WHITE, COLOR_BLUE, A_NORMAL, A_REVERSE)                 \
	ROLE(TAB_ACTIVE, "tab-active", COLOR_BLACK, COLOR_CYAN, A_BOLD, A_BOLD)            \
	ROLE(HEADER, "header", COLOR_CYAN, -1, A_BOLD, A_BOLD | A_UNDERLINE)               \
	ROLE(CURSOR, "cursor", COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE)               \
	ROLE(STATUS, "status", COLOR_WHITE, COLOR_BLACK, A_NORMAL, A_REVERSE)              \
	ROLE(SOURCE_OK, "source-ok", COLOR_GREEN, COLOR_BLACK, A_NORMAL, A_REVERSE)        \
	ROLE(SOURCE_STALE, "source-stale", COLOR_YELLOW, COLOR_BLACK, A_BOLD,              \
	     A_REVERSE | A_UNDERLINE)                                                      \
	ROLE(SOURCE_FAILING, "source-failing", COLOR_WHITE, COLOR_RED, A_BOLD, A_BOLD)     \
	ROLE(CRITICAL, "critical", COLOR_RED, -1, A_BOLD, A_BOLD | A_STANDOUT)             \
	ROLE(HIGH, "high", COLOR_RED, -1, A_NORMAL, A_BOLD)                                \
	ROLE(WARNING, "warning", COLOR_YELLOW, -1, A_NORMAL, A_UNDERLINE)                  \
	ROLE(INFO, "info", COLOR_CYAN, -1, A_NORMAL, A_NORMAL)                             \
	ROLE(GOOD, "good", COLOR_GREEN, -1, A_NORMAL, A_NORMAL)                            \
	ROLE(BAD, "bad", COLOR_RED, -1, A_BOLD, A_BOLD)                                    \
	ROLE(RUNNING, "running", COLOR_YELLOW, -1, A_NORMAL, A_UNDERLINE)                  \
	ROLE(MUTED, "muted", -1, -1, A_DIM, A_DIM)                                         \
	ROLE(PRODUCTION, "production", COLOR_MAGENTA, -1, A_BOLD, A_BOLD)                  \
	ROLE(CHART, "chart", COLOR_GREEN, -1, A_NORMAL, A_NORMAL)                          \
	ROLE(CHART_AXIS, "chart-axis", -1, -1, A_DIM, A_DIM)                               \
	ROLE(DEPLOY_MARKER, "deploy-marker", COLOR_MAGENTA, -1, A_BOLD, A_BOLD)            \
	ROLE(HELP_KEY, "help-key", COLOR_CYAN, -1, A_BOLD, A_BOLD)                         \
	ROLE(HELP_GROUP, "help-group", -1, -1, A_BOLD | A_UNDERLINE, A_BOLD | A_UNDERLINE) \
	ROLE(PROMPT, "prompt", -1, -1, A_BOLD, A_BOLD)                                     \
	ROLE(MESSAGE, "message", COLOR_YELLOW, COLOR_BLACK, A_NORMAL, A_REVERSE)           \
	ROLE(ERROR, "error", COLOR_WHITE, COLOR_RED, A_BOLD, A_BOLD | A_REVERSE)

enum color_role {
#define ROLE_ENUM(id, name, fg, bg, attrs, mono) COLOR_##id,
	COLOR_ROLES(ROLE_ENUM)
#undef ROLE_ENUM
	COLOR_ROLE_COUNT
};

/* Chooses colors or the mono column (no colors, NO_COLOR, theme "mono") and loads
 * the theme: $XDG_CONFIG_HOME/sitrep/themes/NAME.theme, else DATADIR's, else the
 * themes/ beside the binary. Problems with the theme are appended to *problems. */
void colors_init(const char *theme, char ***problems, size_t *n_problems);
/* Switches to theme while the console runs. False, with *problem (new), when there
 * is no such theme (the current one stays) or the theme file has a problem. */
bool colors_switch(const char *theme, char **problem);
/* The names of the themes there are ("default", ...), sorted, appended to *names. */
void colors_theme_names(char ***names, size_t *n);
attr_t role_attr(enum color_role role);
/* The role of a severity ("P1"..), for the incidents and the overview. */
enum color_role severity_role(const char *severity);

/* ---- draw.c: text into windows, never past a width, untrusted text sanitized ---- */

/* Draws s at (y, x) in at most width columns with attr, cut with "~" when it does
 * not fit; returns the columns used. s is untrusted: control and escape sequences,
 * bidi controls and invalid UTF-8 become visible placeholders (text_sanitize). */
int draw_text(WINDOW *win, int y, int x, int width, attr_t attr, const char *s);
/* The same, right-aligned in width. */
int draw_text_right(WINDOW *win, int y, int x, int width, attr_t attr, const char *s);
/* Fills the rest of the line from x with spaces in attr. */
void draw_fill(WINDOW *win, int y, int x, attr_t attr);
/* Whether the terminal shows UTF-8: else charts and marks fall back to ASCII. */
bool draw_utf8(void);
/* A sparkline of values (NAN: a gap) into width cells of buf (UTF-8 blocks, or
 * ASCII ".:-=#"). */
void draw_sparkline(const double *values, size_t n, int width, char *buf, size_t size);
/* "3m", "2h05m", "4d" ago from now, for list columns. */
void format_age(int64_t then, int64_t now, char *buf, size_t size);
/* A series as name{labels} (no braces without labels), without the __name__ label
 * that only repeats the name. */
void format_series(const char *name, const char *labels, char *buf, size_t size);
/* The role of a pipeline's (or stage's) normalized status. */
enum color_role pipeline_status_role(const char *status);
/* The rollback alarm's banner (tui->alarms[0], and how many more) across win's
 * one line, with the keys that lead to the deploys view and the rollback. */
struct tui;
void draw_alarm_banner(const struct tui *tui, WINDOW *win);
/* The glyphs charts use: ASCII without UTF-8, braille on a terminal at least
 * CHART_BRAILLE_COLS wide, eighth blocks on a narrower one (braille's thin dots
 * need the width to read as a line). */
#define CHART_BRAILLE_COLS 100
int draw_chart_glyphs(int terminal_cols); /* enum chart_glyphs */
/* A box-drawing character, or its ASCII stand-in without UTF-8: "─" or "-". */
const char *draw_glyph(const char *utf8, const char *ascii);

/* ---- the console's state --------------------------------------------------------- */

struct view;
struct list;
struct sync_wake;

struct source_health {
	char *name;
	char *type;
	int health; /* enum sync_health */
	int64_t last_success;
	char *last_error;
};

struct tui {
	const struct tui_options *opts;
	struct config cfg;
	struct store *store;
	char **problems; /* config and theme problems, shown once on start */
	size_t n_problems;
	int64_t now;	       /* the clock of this pass of the loop (SITREP_TIME_NOW in tests) */
	bool local_clock;      /* T: the status bar shows local time */
	int64_t data_version;  /* PRAGMA data_version when the views last loaded */
	struct view *views[8]; /* the top views, by their number (index 1..7) */
	struct view *current;
	struct view *help;
	struct source_health *sources;
	size_t n_sources;
	struct sync_wake *wake; /* the sync worker's: NULL without one (read-only) */
	/* A byte written to wakeup[1] (by a view's thread whose work is done) ends the
	 * loop's wait at once, instead of at the next second; -1 when there is none. */
	int wakeup[2];
	char message[256]; /* a line for the status bar until the next key */
	bool message_is_error;
	/* The argument the palette gives the request it runs (":filter TEXT", ":window
	 * 30d"): the prompt or window step that takes it sets it back to NULL. */
	const char *request_arg;
	bool quit;
	bool redraw_all;
	int lines, cols;
	struct act_job *act; /* act.c: the upstream action under way, or NULL */
	/* rollback_dialog.c: the R dialog, or NULL */
	struct rollback_dialog *rollback;
	struct cancel_audit *cancel_audit; /* the last cancel's rows being written */
	/* presence.c: this console's row for the others; NULL when --read-only */
	struct presence *presence;
	/* The rollback alarms (failing bakes) for the banner, and those the bell rang for
	 * ("checkout.production checkout-prod:5"), so that it rings once per alarm. */
	struct rollback_alarm *alarms;
	size_t n_alarms;
	char **rung;
	size_t n_rung;
	int64_t alarms_at; /* tui->now when the alarms were last read */
};

/* Sets the status bar's message (printf-like), shown until the next key. */
void tui_message(struct tui *tui, bool is_error, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* open_url.c: url (checked by its maker: no blanks nor quotes) in $BROWSER, run
 * without a shell and without waiting for it; without $BROWSER, shown in the status
 * bar. */
void tui_open_url(struct tui *tui, const char *url);
/* Runs req as if its key was pressed. */
void tui_request(struct tui *tui, enum request req);
/* The next key (KEYCODE() for function keys), or -1 when none is waiting (wait
 * false), or -2 when a signal asked to leave. */
int tui_read_key(WINDOW *win, bool wait);

/* ---- prompt.c: a line read in the status bar ------------------------------------- */

/* Reads a line at the bottom of the screen with prompt, buf holding its start;
 * false when cancelled. When the palette gave the request an argument
 * (tui->request_arg), that is the line, and nothing is read. */
bool tui_prompt(struct tui *tui, const char *prompt, char *buf, size_t size);
/* Asks question at the bottom of the screen; true when the answer is y. */
bool tui_confirm(struct tui *tui, const char *question);

/* ---- act.c: upstream actions (acknowledge), on a thread of their own ------------ */

/* Asks to confirm, then acknowledges incident id of source upstream; the outcome
 * comes to the status bar through act_poll. */
void act_ack(struct tui *tui, const char *source, const char *id);
/* Shows the outcome of the action under way once it is done (each pass of the
 * loop). */
void act_poll(struct tui *tui);
/* Waits for the action under way (on quitting). */
void act_finish(struct tui *tui);

/* ---- rollback_dialog.c: R, a rollback's plan, confirmation, output, outcome ---- */

/* Opens the dialog on the plan of service in environment (NULL: production), or
 * says in the status bar why there is none. While it is open it takes every key,
 * is drawn over the view, and the rollback, once confirmed, runs on a thread. */
void rollback_dialog_open(struct tui *tui, const char *service, const char *environment);
void rollback_dialog_key(struct tui *tui, int key);
/* Draws the dialog (when open) over what the screen shows, before doupdate. */
void rollback_dialog_draw(struct tui *tui);
/* The descriptor that becomes readable when the rollback's thread has news (its
 * output, its end), for the loop's poll; -1 when none runs. */
int rollback_dialog_fd(const struct tui *tui);
/* Takes the news in (each pass of the loop). */
void rollback_dialog_poll(struct tui *tui);
/* Waits for the rollback under way and closes the dialog (on quitting). */
void rollback_dialog_finish(struct tui *tui);

/* ---- presence.c: who else is looking, through rows of the locks table ---------- */

/* A console that may write the cache keeps a row saying who (user, SSH client or
 * host) looks at which view and service, refreshed by a thread of its own. */
void presence_start(struct tui *tui);
/* What this console shows now (each pass of the loop; cheap when unchanged). */
void presence_update(struct tui *tui, const char *view, const char *service);
void presence_stop(struct tui *tui);
/* The other consoles looking at service now, one line each ("bob (10.0.0.7) in
 * deploys"), new strings appended to *lines. */
void presence_others(struct tui *tui, const char *service, char ***lines, size_t *n);

/* The lines entered, oldest first, for Up and Down. */
struct prompt_history {
	char **lines;
	size_t n;
};
void prompt_history_add(struct prompt_history *history, const char *line);
void prompt_history_release(struct prompt_history *history);
/* Every word that may stand where the last word of line (the text before the
 * cursor) is being typed, new strings into *words; Tab keeps those it starts. */
typedef void prompt_complete_fn(struct tui *tui, const char *line, char ***words, size_t *n);
/* tui_prompt with Tab completion (complete may be NULL) and history (may be NULL). */
bool prompt_read(struct tui *tui, const char *prompt, char *buf, size_t size,
		 prompt_complete_fn *complete, struct prompt_history *history);

/* ---- palette.c: the : command line ----------------------------------------------- */

/* Reads a command after ":" and runs it: a request by name, a view by name, or one
 * of palette_commands. Mistakes become a message in the status bar. */
void palette_run(struct tui *tui);
/* Runs one command line (no ":"); false, with a message, when it is not one. */
bool palette_execute(struct tui *tui, const char *line);
void palette_release(void);
/* The palette's own commands, for the help screen. */
struct palette_command {
	const char *name, *args, *help; /* args: "NAME sync" */
	bool (*run)(struct tui *tui, const char *name, const char *arg);
	void (*complete)(struct tui *tui, size_t word, char ***words, size_t *n);
};
extern const struct palette_command palette_commands[];
extern const size_t palette_n_commands;
/* REQ_WINDOW in a view of n windows named name(i): *window moves to the next, or to
 * the one ":window NAME" asked for. False, with a message, when no window of the
 * view has that name (*window unchanged). */
bool window_step(struct tui *tui, size_t *window, size_t n, const char *(*name)(size_t i));

/* ---- mouse.c: clicks and the wheel ------------------------------------------------- */

/* Reports clicks and the wheel, unless [ui] mouse = false. */
void mouse_init(const struct config *cfg);
/* What the screen drawn last shows where: tabs, sources in the status bar, list
 * rows. The frame forgets them before drawing again. */
enum mouse_area_kind {
	MOUSE_TAB,
	MOUSE_SOURCE,
	MOUSE_LIST
};
void mouse_areas_clear(void);
/* An area of height lines and width columns at (y, x) of win; index is the tab's
 * view number, the source's index, or the list's row shown on the area's top line. */
void mouse_area_add(enum mouse_area_kind kind, WINDOW *win, int y, int x, int height, int width,
		    struct list *list, size_t index);
/* Acts on the KEY_MOUSE just read. */
void mouse_event(struct tui *tui);

/* ---- view.c: the ops table and the frame around views ---------------------------- */

struct view_ops {
	const char *name;  /* keymap name, [bind "NAME"] */
	const char *title; /* "Incidents" */
	size_t private_size;
	/* Reads what the view shows from the store: on open, and when the cache changed. */
	enum status_code (*load)(struct view *view, struct tui *tui);
	/* Paints the view into win (the body between the tab line and the status bar). */
	void (*draw)(struct view *view, struct tui *tui, WINDOW *win);
	/* Handles req; returns REQ_NONE when handled, else req for generic handling. */
	enum request (*request)(struct view *view, struct tui *tui, enum request req);
	void (*done)(struct view *view);
	/* Slower work a load leaves for later (NULL: none): run once the frame is on the
	 * screen and no key is waiting, so the first frame never waits for it. */
	void (*idle)(struct view *view, struct tui *tui);
	/* Cheap polling while the view is current (NULL: none): run on each pass of
	 * the loop, at least once a second, when the cache did not change. */
	void (*tick)(struct view *view, struct tui *tui);
	/* The service of the selected row, and its environment when the row has one
	 * (else NULL): what R rolls back and what other consoles see this one look
	 * at. NULL (or returning NULL): the view has no service there. */
	const char *(*service)(struct view *view, const char **environment);
};

struct view {
	const struct view_ops *ops;
	void *private;
	struct view *parent; /* where back (q) returns; NULL for a top view */
	bool loaded;
	bool idle_pending;  /* ops->idle is yet to run after the last load */
	char subtitle[128]; /* shown after the title: "checkout, 30 days" */
};

struct view *view_new(const struct view_ops *ops, struct view *parent);
void view_free(struct view *view);
/* Makes view current (loading it first if needed). */
void view_show(struct tui *tui, struct view *view);
/* Loads view again now (after a filter or sort change). */
void view_reload(struct tui *tui, struct view *view);

/* The top views (their files in src/tui/view_*.c). */
extern const struct view_ops overview_ops;
extern const struct view_ops pipelines_ops;
extern const struct view_ops branches_ops;
extern const struct view_ops metrics_ops;
extern const struct view_ops incidents_ops;
extern const struct view_ops deploys_ops;
extern const struct view_ops tickets_ops;
extern const struct view_ops help_ops;
extern const struct view_ops text_ops;	   /* a scrollable text: details, raw JSON */
extern const struct view_ops chart_ops;	   /* a service's charts */
extern const struct view_ops timeline_ops; /* an incident on one time axis */

/* The line above the views (tabs) and the one below them (status bar). */
void frame_draw_tabs(struct tui *tui, WINDOW *win);
void frame_draw_status(struct tui *tui, WINDOW *win);

/* The incidents view, showing the open incidents of service. */
void incidents_show_service(struct tui *tui, const char *service);

/* The chart page of service (NULL: the series that have none), above parent, with
 * the series series_id chosen, over chart_ranges[range]. */
void chart_view_open(struct tui *tui, struct view *parent, const char *service, int64_t series_id,
		     size_t range);
/* An incident's timeline, above parent; row is copied. */
void timeline_view_open(struct tui *tui, struct view *parent, const struct store_incident_row *row);
/* The upstream record of incident (source, source_id), pretty-printed, above parent. */
void raw_view_open(struct tui *tui, struct view *parent, const char *source, const char *source_id);
/* The clock's offset from UTC at t, in seconds: 0 unless T chose local time. */
int64_t tui_clock_offset(const struct tui *tui, int64_t t);

/* A text view of lines (new strings, stolen) under title, pushed above parent. */
void text_view_open(struct tui *tui, struct view *parent, const char *title, char **lines,
		    size_t n);
/* The page o opens from the text view (text_view_open's, now tui->current): url is
 * copied; NULL: none. */
void text_view_set_url(struct view *view, const char *url);

/* view_commit.c: the commit hex of the repository at repo in detail, above parent
 * (running: the last deployment of each service and environment, to tell which of
 * them contain it; remote: the repository's remote URL or NULL, for its web page). */
void commit_view_open(struct tui *tui, struct view *parent, const char *repo, const char *remote,
		      const char *hex, const struct store_deploy_row *running, size_t n_running);
/* The web page of commit hex from remote, else from a pipeline that ran on it; new,
 * or NULL. */
char *commit_page_url(struct tui *tui, const char *remote, const char *hex);

/* ---- list.c: the list widget most views are made of ------------------------------ */

struct list_column {
	const char *title;
	int width; /* columns; 0: takes what the others leave */
	bool right;
	bool sortable;
};

struct list;

struct list_ops {
	size_t row_size;
	/* Up to n rows into rows[] (each row_size bytes): those after anchor in the
	 * list's order (anchor NULL: from the first), or, when backward, those before it
	 * (anchor NULL: up to the last), still in display order. *got says how many. */
	enum status_code (*fetch)(struct view *view, struct tui *tui, const struct list *list,
				  const void *anchor, bool backward, size_t n, void *rows,
				  size_t *got);
	/* Releases what a row owns; NULL when the rows point into the view's data. */
	void (*free_row)(void *row);
	/* The text of column col of row into buf; returns its role. */
	enum color_role (*cell)(struct view *view, struct tui *tui, const void *row, size_t col,
				char *buf, size_t size);
	/* The role of the whole row when not selected (COLOR_DEFAULT: by cell). */
	enum color_role (*row_role)(struct view *view, const void *row);
};

struct list {
	const struct list_ops *ops;
	const struct list_column *columns;
	size_t n_columns;
	char *rows; /* n_rows rows of ops->row_size bytes: a window of the whole list */
	size_t n_rows;
	size_t selected; /* index into rows */
	size_t top;	 /* first row shown */
	bool more_before, more_after;
	int sort_column; /* -1: the view's natural order */
	bool descending;
	char filter[128];
	bool open_only;
	int height; /* rows shown at the last draw */
};

void list_init(struct list *list, const struct list_ops *ops, const struct list_column *columns,
	       size_t n_columns);
void list_release(struct list *list);
/* Loads the first rows again (after a change of sort, filter or data), keeping the
 * selection on the same row when it is still there. */
enum status_code list_reload(struct list *list, struct view *view, struct tui *tui);
void list_draw(struct list *list, struct view *view, struct tui *tui, WINDOW *win);
/* Moving, sorting and filtering; other requests are returned. */
enum request list_request(struct list *list, struct view *view, struct tui *tui, enum request req);
/* The selected row, or NULL when the list is empty. */
const void *list_selected(const struct list *list);
/* The wheel: the page and the selection move together by delta rows. */
void list_scroll(struct list *list, struct view *view, struct tui *tui, long delta);
/* Moves the first shown line of a text of n lines, height of them on screen, by a
 * movement request (the drawing clamps the end); false for any other request. */
bool lines_scroll(size_t *top, size_t height, size_t n, enum request req);

#endif
