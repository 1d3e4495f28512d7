/* status.h - the one error type of sitrep (tig's enum status_code).
 *
 * Fallible functions return enum status_code. error() stores a formatted message in a
 * per-thread buffer and returns ERROR_CUSTOM_MESSAGE; status_message() is the only way
 * to turn a code into text. Library error codes (sqlite, curl, libgit2, jansson) are
 * translated into one of these at the module boundary and never leak further. */
#ifndef SITREP_STATUS_H
#define SITREP_STATUS_H

#define STATUS_CODE_INFO(_)                         \
	_(SUCCESS, "ok")                            \
	_(ERROR_CUSTOM_MESSAGE, "error")            \
	_(ERROR_OUT_OF_MEMORY, "out of memory")     \
	_(ERROR_USAGE, "usage error")               \
	_(ERROR_NOT_FOUND, "not found")             \
	_(ERROR_PARSE, "parse error")               \
	_(ERROR_IO, "input/output error")           \
	_(ERROR_DB, "database error")               \
	_(ERROR_CONFIG, "configuration error")      \
	_(ERROR_SECRET, "secret could not be read") \
	_(ERROR_TOO_BIG, "input too large")

enum status_code {
#define STATUS_CODE_ENUM(name, msg) name,
	STATUS_CODE_INFO(STATUS_CODE_ENUM)
#undef STATUS_CODE_ENUM
};

/* Formats a message for the current thread and returns ERROR_CUSTOM_MESSAGE. */
enum status_code error(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Borrowed text for code: the last error() message of this thread for
 * ERROR_CUSTOM_MESSAGE, the fixed text otherwise. */
const char *status_message(enum status_code code);

#endif
