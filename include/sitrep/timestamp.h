/* timestamp.h - instants as int64 seconds since the Unix epoch (UTC, second
 * precision, as the metrics spec stores them), durations as int64 seconds.
 * TIME_NONE marks an unknown instant everywhere in sitrep. */
#ifndef SITREP_TIMESTAMP_H
#define SITREP_TIMESTAMP_H

#define TIME_NONE INT64_MIN

/* Longest text timestamp_format() writes, with its NUL: "2025-03-01T00:00:00Z". */
#define TIMESTAMP_TEXT_SIZE 21

/* Parses every instant format the upstreams use:
 *   2025-03-01T10:00:00Z, 2025-03-01T10:00:00.123456Z, 2025-03-01T10:00:00+02:00,
 *   2025-03-01T10:00:00.5-0530, 2025-03-01 10:00:00 (ServiceNow, UTC),
 *   2025-03-01 (midnight UTC), 1740823200 (epoch seconds), 1740823200123 (epoch ms).
 * Fractional seconds (any number of digits) are truncated. Numbers of 12 or more
 * digits are milliseconds. 'T' and 'Z' may be lower case, and a date and time without
 * a zone is UTC. Fields are fixed width and range-checked (Feb 29 only in leap years,
 * hour 0-23, offsets up to 23:59); second 60 is accepted as a leap second and read as
 * 59 so that it stays within its minute. Instants outside years 0000-9999 are
 * refused, so every parsed instant can be formatted. Returns false for anything else
 * (including NULL, empty text, whitespace and embedded NULs), leaving *out untouched. */
bool timestamp_parse(const char *text, int64_t *out);
/* Same for text that is not NUL-terminated. */
bool timestamp_parse_n(const char *text, size_t len, int64_t *out);

/* Writes "YYYY-MM-DDTHH:MM:SSZ" into buf (at least TIMESTAMP_TEXT_SIZE bytes), or "-"
 * for TIME_NONE and instants outside years 0000-9999. Never consults TZ. */
void timestamp_format(int64_t t, char *buf, size_t size);

/* Parses a duration: "90s", "5m", "4h", "30d", "2w", compounds such as "1h30m" or
 * "1d 12h", and a bare number meaning seconds. In a compound each unit appears once,
 * largest first, with optional spaces between parts. Returns false on anything else
 * ("1h30", "30m1h", " 5m", "5 m", "5M"), a negative value, or overflow, leaving
 * *seconds untouched. */
bool duration_parse(const char *text, int64_t *seconds);

/* Formats a duration for humans, two most significant units, days the largest:
 * "45s", "5m", "1h 05m", "3d 2h", "17d", "0s"; a zero second unit is left out ("1h",
 * not "1h 00m"), the smaller unit is truncated, negative values get a leading '-'. */
void duration_format(int64_t seconds, char *buf, size_t size);

/* The current time, or $SITREP_TIME_NOW (any timestamp_parse() format) when set and
 * valid, so tests and screen dumps are reproducible. */
int64_t time_now(void);

#endif
