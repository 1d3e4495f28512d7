/* status.c - the message table for enum status_code and the per-thread error text.
 * The buffer is thread-local because the sync worker reports errors of its own. */
#include "sitrep/sitrep.h"

#include <stdarg.h>

static _Thread_local char error_text[1024];

static const char *const status_texts[] = {
#define STATUS_CODE_TEXT(name, msg) msg,
	STATUS_CODE_INFO(STATUS_CODE_TEXT)
#undef STATUS_CODE_TEXT
};

enum status_code
error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(error_text, sizeof(error_text), fmt, ap);
	va_end(ap);
	return ERROR_CUSTOM_MESSAGE;
}

const char *
status_message(enum status_code code)
{
	if (code == ERROR_CUSTOM_MESSAGE)
		return error_text[0] ? error_text : status_texts[code];
	if ((size_t)code < ARRAY_SIZE(status_texts))
		return status_texts[code];
	return "unknown status";
}
