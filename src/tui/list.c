/* list.c - the list widget: columns, a selection, sort, filter, and keyset paging.
 *
 * A list never holds its whole table: it keeps a window of at most LIST_KEEP rows
 * that the view fetches from the store a page at a time, after the last row held or
 * before the first (keyset paging: the store seeks to a row's sort key, never
 * counts OFFSET rows). Moving past either end of the window fetches the next page
 * and lets go of the far one, so a list of a million incidents costs the memory of
 * a few hundred rows and the time of one indexed seek per page. */
#include "tui.h"

#define LIST_PAGE 128
#define LIST_KEEP (4 * LIST_PAGE)

static void *
row_at(const struct list *list, size_t i)
{
	return list->rows + i * list->ops->row_size;
}

const void *
list_selected(const struct list *list)
{
	return list->n_rows ? row_at(list, list->selected) : NULL;
}

void
list_init(struct list *list, const struct list_ops *ops, const struct list_column *columns,
	  size_t n_columns)
{
	memset(list, 0, sizeof(*list));
	list->ops = ops;
	list->columns = columns;
	list->n_columns = n_columns;
	list->sort_column = -1;
	list->height = 20;
}

static void
free_rows(struct list *list, size_t from, size_t to)
{
	for (size_t i = from; i < to && list->ops->free_row; i++)
		list->ops->free_row(row_at(list, i));
}

void
list_release(struct list *list)
{
	free_rows(list, 0, list->n_rows);
	free(list->rows);
	list->rows = NULL;
	list->n_rows = list->selected = list->top = 0;
}

static void
clear_rows(struct list *list)
{
	free_rows(list, 0, list->n_rows);
	list->n_rows = list->selected = list->top = 0;
	list->more_before = list->more_after = false;
}

/* One page after the last row held (or from the first), appended; the window lets
 * go of its first page when it grows past LIST_KEEP. */
static enum status_code
fetch_forward(struct list *list, struct view *view, struct tui *tui)
{
	size_t size = list->ops->row_size, got = 0;
	const void *anchor = list->n_rows ? row_at(list, list->n_rows - 1) : NULL;
	char *page = xcalloc(LIST_PAGE, size);
	enum status_code code;

	code = list->ops->fetch(view, tui, list, anchor, false, LIST_PAGE, page, &got);
	if (code == SUCCESS && !got)
		list->more_after = false;
	if (code == SUCCESS && got) {
		list->rows = xrealloc(list->rows, (list->n_rows + got) * size);
		memcpy(row_at(list, list->n_rows), page, got * size);
		list->n_rows += got;
		list->more_after = got == LIST_PAGE;
		if (list->n_rows > LIST_KEEP && list->selected >= LIST_PAGE &&
		    list->top >= LIST_PAGE) {
			free_rows(list, 0, LIST_PAGE);
			memmove(list->rows, row_at(list, LIST_PAGE),
				(list->n_rows - LIST_PAGE) * size);
			list->n_rows -= LIST_PAGE;
			list->selected -= LIST_PAGE;
			list->top -= LIST_PAGE;
			list->more_before = true;
		}
	}
	free(page);
	return code;
}

/* One page before the first row held (or up to the last), prepended. */
static enum status_code
fetch_backward(struct list *list, struct view *view, struct tui *tui)
{
	size_t size = list->ops->row_size, got = 0;
	const void *anchor = list->n_rows ? row_at(list, 0) : NULL;
	char *page = xcalloc(LIST_PAGE, size);
	enum status_code code;

	code = list->ops->fetch(view, tui, list, anchor, true, LIST_PAGE, page, &got);
	if (code == SUCCESS && !got)
		list->more_before = false;
	if (code == SUCCESS && got) {
		list->rows = xrealloc(list->rows, (list->n_rows + got) * size);
		memmove(row_at(list, got), list->rows, list->n_rows * size);
		memcpy(list->rows, page, got * size);
		list->n_rows += got;
		list->selected += got;
		list->top += got;
		list->more_before = got == LIST_PAGE;
		if (list->n_rows > LIST_KEEP && list->selected + LIST_PAGE < list->n_rows &&
		    list->top + (size_t)list->height + LIST_PAGE < list->n_rows) {
			free_rows(list, list->n_rows - LIST_PAGE, list->n_rows);
			list->n_rows -= LIST_PAGE;
			list->more_after = true;
		}
	}
	free(page);
	return code;
}

enum status_code
list_reload(struct list *list, struct view *view, struct tui *tui)
{
	size_t selected = list->selected + 0, top = list->top;
	enum status_code code;

	clear_rows(list);
	code = fetch_forward(list, view, tui);
	while (code == SUCCESS && list->more_after && selected >= list->n_rows &&
	       list->n_rows < LIST_KEEP)
		code = fetch_forward(list, view, tui);
	if (list->n_rows) {
		list->selected = selected < list->n_rows ? selected : list->n_rows - 1;
		list->top = top <= list->selected ? top : list->selected;
	}
	return code;
}

/* Moves the selection by delta rows, fetching pages as it nears an end. */
static void
move_by(struct list *list, struct view *view, struct tui *tui, long delta)
{
	long target = (long)list->selected + delta;

	while (target >= (long)list->n_rows - 1 && list->more_after) {
		size_t before = list->selected;

		if (fetch_forward(list, view, tui) != SUCCESS)
			break;
		target -= (long)before - (long)list->selected; /* the window may have shifted */
	}
	while (target < 0 && list->more_before) {
		size_t before = list->selected;

		if (fetch_backward(list, view, tui) != SUCCESS)
			break;
		target += (long)list->selected - (long)before;
	}
	if (target < 0)
		target = 0;
	if (list->n_rows == 0)
		target = 0;
	else if (target >= (long)list->n_rows)
		target = (long)list->n_rows - 1;
	list->selected = (size_t)target;
}

void
list_scroll(struct list *list, struct view *view, struct tui *tui, long delta)
{
	size_t offset = list->selected >= list->top ? list->selected - list->top : 0;
	size_t height = (size_t)list->height;

	move_by(list, view, tui, delta);
	/* the selection keeps its line on the screen, unless the list ends first */
	list->top = list->selected >= offset ? list->selected - offset : 0;
	if (!list->more_after && list->top + height > list->n_rows)
		list->top = list->n_rows > height ? list->n_rows - height : 0;
}

static void
scroll_to_selection(struct list *list, int height)
{
	if (height < 1)
		height = 1;
	if (list->selected < list->top)
		list->top = list->selected;
	else if (list->selected >= list->top + (size_t)height)
		list->top = list->selected - (size_t)height + 1;
}

/* Widths of the columns in width screen columns: fixed ones as given (dropped
 * from the right when they do not fit), the flexible one takes the rest. */
static void
layout(const struct list *list, int width, int *widths)
{
	int fixed = 0, flexible = -1;

	for (size_t c = 0; c < list->n_columns; c++) {
		widths[c] = list->columns[c].width;
		if (!widths[c])
			flexible = (int)c;
		fixed += widths[c] + 1;
	}
	for (size_t c = list->n_columns; c-- > 0 && fixed > width - (flexible >= 0 ? 12 : 0);) {
		if ((int)c == flexible)
			continue;
		fixed -= widths[c] + 1;
		widths[c] = -1; /* hidden */
	}
	if (flexible >= 0)
		widths[flexible] = width - fixed - 1 > 0 ? width - fixed - 1 : 0;
}

void
list_draw(struct list *list, struct view *view, struct tui *tui, WINDOW *win)
{
	int height = getmaxy(win) - 1, width = getmaxx(win);
	int widths[32];
	char cell[512];

	werase(win);
	list->height = height > 0 ? height : 1;
	scroll_to_selection(list, list->height);
	layout(list, width, widths);
	/* The header, with the sort column marked. */
	draw_fill(win, 0, 0, role_attr(COLOR_HEADER));
	for (size_t c = 0, x = 0; c < list->n_columns && c < ARRAY_SIZE(widths); c++) {
		const char *mark = "";

		if (widths[c] < 0)
			continue;
		if ((int)c == list->sort_column)
			mark = draw_utf8() ? (list->descending ? "\u25bc" : "\u25b2")
					   : (list->descending ? "v" : "^");
		snprintf(cell, sizeof(cell), "%s%s", list->columns[c].title, mark);
		if (list->columns[c].right)
			draw_text_right(win, 0, (int)x, widths[c], role_attr(COLOR_HEADER), cell);
		else
			draw_text(win, 0, (int)x, widths[c], role_attr(COLOR_HEADER), cell);
		x += (size_t)widths[c] + 1;
	}
	if (!list->n_rows) {
		draw_text(win, 2, 2, width - 4, role_attr(COLOR_MUTED),
			  list->filter[0]   ? "Nothing matches the filter (/ to change it)."
			  : list->open_only ? "Nothing open (o shows everything)."
					    : "Nothing here yet.");
		return;
	}
	mouse_area_add(MOUSE_LIST, win, 1, 0, list->height, width, list, list->top);
	for (int y = 0; y < list->height && list->top + (size_t)y < list->n_rows; y++) {
		size_t i = list->top + (size_t)y;
		const void *row = row_at(list, i);
		bool selected = i == list->selected;
		enum color_role row_role =
			list->ops->row_role ? list->ops->row_role(view, row) : COLOR_DEFAULT;
		int x = 0;

		if (selected)
			draw_fill(win, y + 1, 0, role_attr(COLOR_CURSOR));
		for (size_t c = 0; c < list->n_columns && c < ARRAY_SIZE(widths); c++) {
			enum color_role role;
			attr_t attr;

			if (widths[c] < 0)
				continue;
			cell[0] = '\0';
			role = list->ops->cell(view, tui, row, c, cell, sizeof(cell));
			attr = role_attr(selected		 ? COLOR_CURSOR
					 : role != COLOR_DEFAULT ? role
								 : row_role);
			if (list->columns[c].right)
				draw_text_right(win, y + 1, x, widths[c], attr, cell);
			else
				draw_text(win, y + 1, x, widths[c], attr, cell);
			x += widths[c] + 1;
		}
	}
}

/* The next sortable column after the current one, -1 (natural order) after the last. */
static int
next_sort_column(const struct list *list)
{
	for (size_t c = (size_t)(list->sort_column + 1); c < list->n_columns; c++)
		if (list->columns[c].sortable)
			return (int)c;
	return -1;
}

enum request
list_request(struct list *list, struct view *view, struct tui *tui, enum request req)
{
	char text[sizeof(list->filter)];

	switch (req) {
	case REQ_MOVE_UP:
	case REQ_FIND_PREV:
		move_by(list, view, tui, -1);
		break;
	case REQ_MOVE_DOWN:
	case REQ_FIND_NEXT:
		move_by(list, view, tui, 1);
		break;
	case REQ_MOVE_PAGE_UP:
		move_by(list, view, tui, -(long)list->height);
		break;
	case REQ_MOVE_PAGE_DOWN:
		move_by(list, view, tui, list->height);
		break;
	case REQ_MOVE_FIRST:
		if (list->more_before) {
			clear_rows(list);
			fetch_forward(list, view, tui);
		}
		list->selected = list->top = 0;
		break;
	case REQ_MOVE_LAST:
		if (list->more_after) {
			clear_rows(list);
			fetch_backward(list, view, tui);
			list->more_after = false;
		}
		list->selected = list->n_rows ? list->n_rows - 1 : 0;
		break;
	case REQ_SORT:
		list->sort_column = next_sort_column(list);
		list->selected = list->top = 0;
		view_reload(tui, view);
		break;
	case REQ_SORT_REVERSE:
		list->descending = !list->descending;
		list->selected = list->top = 0;
		view_reload(tui, view);
		break;
	case REQ_TOGGLE_OPEN:
		list->open_only = !list->open_only;
		list->selected = list->top = 0;
		view_reload(tui, view);
		break;
	case REQ_FILTER:
		string_copy(text, list->filter);
		if (!tui_prompt(tui, "/", text, sizeof(text)))
			break;
		string_copy(list->filter, text);
		list->selected = list->top = 0;
		view_reload(tui, view);
		break;
	default:
		return req;
	}
	return REQ_NONE;
}

bool
lines_scroll(size_t *top, size_t height, size_t n, enum request req)
{
	size_t page = height > 1 ? height - 1 : 1;

	switch (req) {
	case REQ_MOVE_UP:
		if (*top)
			(*top)--;
		return true;
	case REQ_MOVE_DOWN:
		if (*top + height < n)
			(*top)++;
		return true;
	case REQ_MOVE_PAGE_UP:
		*top = *top > page ? *top - page : 0;
		return true;
	case REQ_MOVE_PAGE_DOWN:
		*top += page;
		return true;
	case REQ_MOVE_FIRST:
		*top = 0;
		return true;
	case REQ_MOVE_LAST:
		*top = n;
		return true;
	default:
		return false;
	}
}
