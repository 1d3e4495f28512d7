/* mxrow.c - the metric row: the fields of an incident that the metric engine reads,
 * packed into one small BLOB (incidents.mx) when the incident is written.
 *
 * Why: a metric report reads every incident of its window, and fetching fifteen
 * columns through the sqlite3_column_*() API costs more than the engine itself. One
 * BLOB of ~25 bytes is one call. The columns stay the record of truth (export, the
 * console); the BLOB is derived from them on every upsert, like an index.
 *
 * Layout, little-endian, fixed width so that decoding is a few loads (this runs a
 * million times a report):
 *   flags                      u16, enum mxrow_flags
 *   service id                 u32, the incident's first service
 *   detected_at                i64
 *   impact_start, acknowledged_at, contained_at, resolved_at
 *                              deltas from detected_at, each only if its flag is set
 *   SLA target seconds, start delta, stop delta (if its flag)
 *                              only with MXROW_SLA
 * Deltas and the target are i32 (68 years), or i64 for the rare row that needs it
 * (MXROW_WIDE). Child rows (reopens, extra services, SLA pauses) are only flagged:
 * the scan reads them from their tables when the flag is set. */
#include "sitrep/sitrep.h"
#include "sitrep/store.h"
#include "store-private.h"

#define MXROW_HEAD 14 /* flags, service id, detected_at */

enum mxrow_flags {
	MXROW_IMPACT_MASK = 3, /* enum mx_impact */
	MXROW_IMPACT_START = 1 << 2,
	MXROW_ACKNOWLEDGED = 1 << 3,
	MXROW_CONTAINED = 1 << 4,
	MXROW_RESOLVED = 1 << 5,
	MXROW_SLA = 1 << 6,
	MXROW_SLA_BUSINESS = 1 << 7,
	MXROW_SLA_STOP = 1 << 8,
	MXROW_REOPENS = 1 << 9,
	MXROW_EXTRA_SERVICES = 1 << 10,
	MXROW_PAUSES = 1 << 11,
	MXROW_WIDE = 1 << 12,
};

static size_t
put_le(uint8_t *p, uint64_t v, size_t bytes)
{
	for (size_t i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return bytes;
}

static bool
fits_i32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

/* The values after detected_at, in layout order, and how many are present. */
static size_t
row_values(const struct store_incident *in, unsigned flags, int64_t v[7])
{
	const int64_t d = in->detected_at;
	size_t n = 0;

	if (flags & MXROW_IMPACT_START)
		v[n++] = in->impact_start - d;
	if (flags & MXROW_ACKNOWLEDGED)
		v[n++] = in->acknowledged_at - d;
	if (flags & MXROW_CONTAINED)
		v[n++] = in->contained_at - d;
	if (flags & MXROW_RESOLVED)
		v[n++] = in->resolved_at - d;
	if (flags & MXROW_SLA) {
		v[n++] = in->sla.target_seconds;
		v[n++] = in->sla.start_time - d;
		if (flags & MXROW_SLA_STOP)
			v[n++] = in->sla.stop_time - d;
	}
	return n;
}

static unsigned
row_flags(const struct store_incident *in)
{
	unsigned flags = (unsigned)in->impact & MXROW_IMPACT_MASK;

	flags |= in->impact_start != TIME_NONE ? MXROW_IMPACT_START : 0;
	flags |= in->acknowledged_at != TIME_NONE ? MXROW_ACKNOWLEDGED : 0;
	flags |= in->contained_at != TIME_NONE ? MXROW_CONTAINED : 0;
	flags |= in->resolved_at != TIME_NONE ? MXROW_RESOLVED : 0;
	flags |= in->n_reopens ? MXROW_REOPENS : 0;
	flags |= in->n_services > 1 ? MXROW_EXTRA_SERVICES : 0;
	if (in->sla.present && in->sla.start_time != TIME_NONE) {
		flags |= MXROW_SLA;
		flags |= in->sla.schedule == MX_SCHEDULE_BUSINESS_HOURS ? MXROW_SLA_BUSINESS : 0;
		flags |= in->sla.stop_time != TIME_NONE ? MXROW_SLA_STOP : 0;
		flags |= in->sla.n_pauses ? MXROW_PAUSES : 0;
	}
	return flags;
}

size_t
mxrow_encode(const struct store_incident *in, int64_t service_id, uint8_t out[MXROW_MAX])
{
	unsigned flags = row_flags(in);
	int64_t v[7];
	size_t n_values = row_values(in, flags, v), n, i, width;

	for (i = 0; i < n_values; i++)
		if (!fits_i32(v[i]))
			flags |= MXROW_WIDE;
	width = flags & MXROW_WIDE ? 8 : 4;
	n = put_le(out, flags, 2);
	n += put_le(out + n, (uint64_t)service_id, 4);
	n += put_le(out + n, (uint64_t)in->detected_at, 8);
	for (i = 0; i < n_values; i++)
		n += put_le(out + n, (uint64_t)v[i], width);
	return n;
}

/* Constant-width little-endian loads: the compiler makes each a single load. */
static inline int64_t
load_i32(const uint8_t *p)
{
	return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			 (uint32_t)p[3] << 24);
}

static inline int64_t
load_i64(const uint8_t *p)
{
	uint64_t v = 0;

	for (size_t i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return (int64_t)v;
}

/* The next value, a delta from base (a plain value with base 0). */
static inline int64_t
next_value(const uint8_t **p, bool wide, int64_t base)
{
	int64_t v = wide ? load_i64(*p) : load_i32(*p);

	*p += wide ? 8 : 4;
	return base + v;
}

static inline int64_t
optional_value(const uint8_t **p, unsigned flags, unsigned flag, bool wide, int64_t base)
{
	return flags & flag ? next_value(p, wide, base) : TIME_NONE;
}

static size_t
row_length(unsigned flags)
{
	size_t values = !!(flags & MXROW_IMPACT_START) + !!(flags & MXROW_ACKNOWLEDGED) +
			!!(flags & MXROW_CONTAINED) + !!(flags & MXROW_RESOLVED) +
			(flags & MXROW_SLA ? 2 + !!(flags & MXROW_SLA_STOP) : 0);

	return MXROW_HEAD + values * (flags & MXROW_WIDE ? 8 : 4);
}

/* Runs for every row of every report: every field of *mx is assigned here, so there
 * is no memset of the whole struct. */
bool
mxrow_decode(const void *blob, size_t len, struct mx_incident *mx, struct mxrow_counts *counts)
{
	const uint8_t *p = blob;
	unsigned flags;
	bool wide;
	int64_t d;

	if (!p || len < MXROW_HEAD)
		return false;
	flags = (unsigned)p[0] | (unsigned)p[1] << 8;
	if (len != row_length(flags))
		return false;
	wide = flags & MXROW_WIDE;
	d = load_i64(p + 6);
	p += MXROW_HEAD;
	mx->service = 0;
	mx->primary = false;
	mx->impact = (enum mx_impact)(flags & MXROW_IMPACT_MASK);
	mx->detected_at = d;
	mx->impact_start = optional_value(&p, flags, MXROW_IMPACT_START, wide, d);
	mx->acknowledged_at = optional_value(&p, flags, MXROW_ACKNOWLEDGED, wide, d);
	mx->contained_at = optional_value(&p, flags, MXROW_CONTAINED, wide, d);
	mx->resolved_at = optional_value(&p, flags, MXROW_RESOLVED, wide, d);
	mx->reopens = NULL;
	mx->n_reopens = 0;
	mx->sla.present = flags & MXROW_SLA;
	mx->sla.schedule =
		flags & MXROW_SLA_BUSINESS ? MX_SCHEDULE_BUSINESS_HOURS : MX_SCHEDULE_24X7;
	mx->sla.target_seconds = mx->sla.present ? next_value(&p, wide, 0) : 0;
	mx->sla.start_time = mx->sla.present ? next_value(&p, wide, d) : TIME_NONE;
	mx->sla.stop_time = optional_value(&p, flags, MXROW_SLA_STOP, wide, d);
	mx->sla.pauses = NULL;
	mx->sla.n_pauses = 0;
	counts->reopens = flags & MXROW_REOPENS;
	counts->extra_services = flags & MXROW_EXTRA_SERVICES;
	counts->pauses = flags & MXROW_PAUSES;
	return true;
}

bool
mxrow_peek(const void *blob, size_t len, int64_t *service_id, bool *extra_services)
{
	const uint8_t *p = blob;

	if (!p || len < MXROW_HEAD)
		return false;
	*service_id = (uint32_t)load_i32(p + 2);
	*extra_services = ((unsigned)p[0] | (unsigned)p[1] << 8) & MXROW_EXTRA_SERVICES;
	return true;
}

/* The span of time in which the incident can matter to a report window: from its
 * earliest milestone to its latest one, or open-ended while it (or its SLA clock)
 * runs. Reports select on these two columns alone. */
void
mxrow_bounds(const struct store_incident *in, int64_t *first, int64_t *last)
{
	const int64_t ends[] = { in->resolved_at, in->acknowledged_at, in->contained_at,
				 in->sla.present ? in->sla.stop_time : TIME_NONE };
	size_t i;

	*first = in->detected_at;
	if (in->impact_start != TIME_NONE && in->impact_start < *first)
		*first = in->impact_start;
	if (in->acknowledged_at != TIME_NONE && in->acknowledged_at < *first)
		*first = in->acknowledged_at;
	if (in->resolved_at == TIME_NONE || (in->sla.present && in->sla.stop_time == TIME_NONE)) {
		*last = TIME_NONE;
		return;
	}
	*last = in->resolved_at;
	for (i = 0; i < ARRAY_SIZE(ends); i++)
		if (ends[i] != TIME_NONE && ends[i] > *last)
			*last = ends[i];
	for (i = 0; i < in->n_reopens; i++)
		if (in->reopens[i].reopened_at > *last)
			*last = in->reopens[i].reopened_at;
}
