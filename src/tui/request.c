/* request.c - the table of every action (REQ_INFO in tui.h): the one place that
 * names them, for key bindings, the help screen, the palette and the man page. */
#include "tui.h"

static const struct {
	const char *name, *keys, *help;
} requests[REQ_COUNT] = {
#define REQ_ROW(id, name, keys, help) [REQ_##id] = { name, keys, help },
	REQ_INFO(REQ_GROUP_SKIP, REQ_ROW)
#undef REQ_ROW
};

const struct request_row request_rows[] = {
#define REQ_GROUP_ROW(title) { title, REQ_NONE },
#define REQ_ROW(id, name, keys, help) { NULL, REQ_##id },
	REQ_INFO(REQ_GROUP_ROW, REQ_ROW)
#undef REQ_ROW
#undef REQ_GROUP_ROW
};
const size_t request_n_rows = ARRAY_SIZE(request_rows);

const char *
request_name(enum request req)
{
	return req > REQ_NONE && req < REQ_COUNT ? requests[req].name : "none";
}

const char *
request_help(enum request req)
{
	return req > REQ_NONE && req < REQ_COUNT ? requests[req].help : "";
}

const char *
request_default_keys(enum request req)
{
	return req > REQ_NONE && req < REQ_COUNT ? requests[req].keys : "";
}

enum request
request_by_name(const char *name)
{
	for (int req = REQ_NONE + 1; req < REQ_COUNT; req++)
		if (name && streq(requests[req].name, name))
			return (enum request)req;
	return REQ_NONE;
}
