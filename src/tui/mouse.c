/* mouse.c - clicks and the wheel. Drawing leaves areas behind (a tab, a source in the
 * status bar, the rows of a list), and a click acts on the area under it: a tab
 * switches to its view, a list row is selected (a click on the selected row opens it,
 * so a double-click does too), a source says how it is doing and its last error. The
 * wheel moves a list's page and selection three rows a notch (other views: their
 * selection or text). [ui] mouse = false leaves the mouse to the terminal, to
 * select text with.
 *
 * Presses are acted on without waiting for a release (mouseinterval 0): ncurses
 * then never holds a click back to see whether a second one follows. */
#include "tui.h"
#include "sitrep/sync.h"

#define WHEEL_ROWS 3
#define MAX_AREAS 32

struct mouse_area {
	enum mouse_area_kind kind;
	int y, x, height, width; /* on the screen */
	struct list *list;
	size_t index;
};

static struct mouse_area areas[MAX_AREAS];
static size_t n_areas;

void
mouse_init(const struct config *cfg)
{
	if (!cfg->mouse)
		return;
	mouseinterval(0);
	mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED |
			  BUTTON5_PRESSED,
		  NULL);
}

void
mouse_areas_clear(void)
{
	n_areas = 0;
}

void
mouse_area_add(enum mouse_area_kind kind, WINDOW *win, int y, int x, int height, int width,
	       struct list *list, size_t index)
{
	int top, left;

	if (n_areas == MAX_AREAS || height < 1 || width < 1)
		return;
	getbegyx(win, top, left);
	areas[n_areas++] =
		(struct mouse_area){ kind, top + y, left + x, height, width, list, index };
}

static const struct mouse_area *
area_at(int y, int x)
{
	for (size_t i = 0; i < n_areas; i++) {
		const struct mouse_area *a = &areas[i];

		if (y >= a->y && y < a->y + a->height && x >= a->x && x < a->x + a->width)
			return a;
	}
	return NULL;
}

/* A source's chip: its health, its last success and its last error. */
static void
show_source(struct tui *tui, size_t i)
{
	const struct source_health *s;
	char age[16], when[48];

	if (i >= tui->n_sources)
		return;
	s = &tui->sources[i];
	if (s->last_success == TIME_NONE) {
		string_copy(when, "never synced");
	} else {
		format_age(s->last_success, tui->now, age, sizeof(age));
		snprintf(when, sizeof(when), "last success %s ago", age);
	}
	tui_message(tui, s->health == SYNC_FAILING, "%s: %s, %s; %s", s->name,
		    sync_health_name((enum sync_health)s->health), when,
		    s->last_error ? s->last_error : "no error");
}

static void
click_row(struct tui *tui, const struct mouse_area *a, int y, bool twice)
{
	struct list *list = a->list;
	size_t row = a->index + (size_t)(y - a->y);

	if (row >= list->n_rows)
		return;
	if (row == list->selected || twice) {
		list->selected = row;
		tui_request(tui, REQ_ENTER);
		return;
	}
	list->selected = row;
}

/* The list on the screen, if any: the wheel scrolls it wherever the pointer is. */
static const struct mouse_area *
list_area(void)
{
	for (size_t i = 0; i < n_areas; i++)
		if (areas[i].kind == MOUSE_LIST)
			return &areas[i];
	return NULL;
}

static void
wheel(struct tui *tui, int notches)
{
	const struct mouse_area *a = list_area();

	if (a) {
		list_scroll(a->list, tui->current, tui, (long)notches * WHEEL_ROWS);
		return;
	}
	for (int i = 0; i < WHEEL_ROWS * abs(notches); i++)
		tui_request(tui, notches < 0 ? REQ_MOVE_UP : REQ_MOVE_DOWN);
}

void
mouse_event(struct tui *tui)
{
	MEVENT ev;
	const struct mouse_area *a;

	if (getmouse(&ev) != OK)
		return;
	if (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) {
		wheel(tui, ev.bstate & BUTTON4_PRESSED ? -1 : 1);
		return;
	}
	a = area_at(ev.y, ev.x);
	if (!(ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED)) || !a)
		return;
	switch (a->kind) {
	case MOUSE_TAB:
		tui_request(tui, (enum request)(REQ_VIEW_OVERVIEW + (int)a->index - 1));
		break;
	case MOUSE_SOURCE:
		show_source(tui, a->index);
		break;
	case MOUSE_LIST:
		click_row(tui, a, ev.y, (ev.bstate & BUTTON1_DOUBLE_CLICKED) != 0);
		break;
	}
}
