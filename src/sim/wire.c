/* wire.c - the exact text forms the simulated upstreams write and read: Go's time
 * and float formats, Prometheus's time and duration parameters, Alertmanager's
 * label fingerprint, and the hash every "random" choice of the simulator comes from.
 *
 * Pure functions only: no state, no clock, no locale. A client that parses a real
 * server's output must be able to parse these byte for byte, so where Go and C
 * differ (trailing zeros, exponent digits, HTML escaping) Go wins. */
#include "sitrep/sitrep.h"
#include "sim.h"

#include <math.h>

uint64_t
fnv64_add(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

/* splitmix64's finaliser over an FNV hash of the text: FNV alone mixes the low
 * bits poorly, and noise knots next to each other must look unrelated. */
uint64_t
sim_hash(uint64_t seed, const char *text, uint64_t n)
{
	uint64_t z = fnv64_add(FNV64_OFFSET, text, strlen(text));

	z ^= seed * UINT64_C(0x9e3779b97f4a7c15) + n * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

void
wire_hex_id(uint64_t seed, const char *text, char *out, size_t digits)
{
	char part[17];

	for (size_t i = 0; i < digits && i < 64; i += 16) {
		size_t n = digits - i < 16 ? digits - i : 16;

		snprintf(part, sizeof(part), "%016llx",
			 (unsigned long long)sim_hash(seed, text, i / 16));
		memcpy(out + i, part, n);
	}
	out[digits < 64 ? digits : 64] = '\0';
}

int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* timestamp_format() writes "YYYY-MM-DDTHH:MM:SSZ"; the forms below replace the Z. */
static size_t
format_seconds(int64_t sec, char *buf, size_t size)
{
	size_t len;

	timestamp_format(sec, buf, size);
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == 'Z')
		buf[--len] = '\0';
	return len;
}

void
wire_time_ms(int64_t ms, char *buf, size_t size)
{
	int64_t sec = floor_div(ms, 1000);
	size_t len = format_seconds(sec, buf, size);

	snprintf(buf + len, size - len, ".%03dZ", (int)(ms - sec * 1000));
}

void
wire_time_nano(int64_t sec, uint32_t ns, int offset_minutes, char *buf, size_t size)
{
	char frac[16] = "";
	size_t len = format_seconds(sec + offset_minutes * 60, buf, size);
	int off = offset_minutes < 0 ? -offset_minutes : offset_minutes;

	if (ns > 0) {
		size_t n;

		snprintf(frac, sizeof(frac), ".%09u", (unsigned int)(ns % 1000000000u));
		n = strlen(frac);
		while (n > 1 && frac[n - 1] == '0')
			frac[--n] = '\0';
	}
	if (offset_minutes == 0)
		snprintf(buf + len, size - len, "%sZ", frac);
	else
		snprintf(buf + len, size - len, "%s%c%02d:%02d", frac,
			 offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
}

static bool
special_float(double v, char *buf, size_t size)
{
	if (isnan(v))
		snprintf(buf, size, "NaN");
	else if (isinf(v))
		snprintf(buf, size, "%s", v > 0 ? "+Inf" : "-Inf");
	else
		return false;
	return true;
}

/* Go's -1 precision means "the fewest digits that read back as the same double". */
void
wire_float_e(double v, char *buf, size_t size)
{
	if (special_float(v, buf, size))
		return;
	for (int prec = 0; prec <= 17; prec++) {
		snprintf(buf, size, "%.*e", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

void
wire_float_f(double v, char *buf, size_t size)
{
	if (special_float(v, buf, size))
		return;
	v = round(v * 1000.0) / 1000.0;
	if (v == 0.0)
		v = 0.0; /* no "-0" */
	/* Below 2^53 / 1000, v is the double nearest to m / 1000 for an integer m, so
	 * m's digits without the fraction's trailing zeros are the shortest of the
	 * loop's forms: written directly, as a metric page holds millions. */
	if (fabs(v) < 1e12) {
		long long m = llround(fabs(v) * 1000.0);
		char frac[8];
		int digits = 3;

		snprintf(frac, sizeof(frac), "%03d", (int)(m % 1000));
		while (digits > 0 && frac[digits - 1] == '0')
			frac[--digits] = '\0';
		snprintf(buf, size, "%s%lld%s%s", v < 0 ? "-" : "", m / 1000, digits ? "." : "",
			 frac);
		return;
	}
	for (int prec = 0; prec <= 3; prec++) {
		snprintf(buf, size, "%.*f", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

json_t *
wire_unix_time(int64_t ms)
{
	if (ms % 1000 == 0)
		return json_integer(ms / 1000);
	return json_real((double)ms / 1000.0);
}

static bool
parse_double(const char *text, double *out)
{
	char *end;
	double v;

	if (!text || !*text)
		return false;
	v = strtod(text, &end);
	if (*end != '\0' || !isfinite(v))
		return false;
	*out = v;
	return true;
}

bool
wire_parse_time(const char *text, int64_t *ms)
{
	double v;
	int64_t sec;

	if (parse_double(text, &v)) {
		if (v < -1e13 || v > 1e13)
			return false;
		*ms = (int64_t)llround(v * 1000.0);
		return true;
	}
	/* timestamp_parse() drops fractions; Prometheus keeps milliseconds. */
	if (!timestamp_parse(text, &sec))
		return false;
	*ms = sec * 1000;
	{
		const char *dot = strchr(text, '.');
		int64_t frac = 0, scale = 100;

		for (const char *p = dot ? dot + 1 : NULL; p && *p >= '0' && *p <= '9'; p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
		*ms += sec < 0 ? -frac : frac;
	}
	return true;
}

/* Prometheus durations: units y w d h m s ms, each at most once, largest first. */
bool
wire_parse_duration(const char *text, int64_t *ms)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {
		{ "y", INT64_C(365) * 86400000 },
		{ "w", INT64_C(7) * 86400000 },
		{ "d", 86400000 },
		{ "h", 3600000 },
		{ "ms", 1 },
		{ "m", 60000 },
		{ "s", 1000 },
	};
	const char *p = text;
	int64_t total = 0;
	double v;
	size_t last = 0;
	bool any = false;

	if (parse_double(text, &v)) {
		if (v < 0 || v > 1e12)
			return false;
		*ms = (int64_t)llround(v * 1000.0);
		return true;
	}
	if (!text || !*text)
		return false;
	while (*p) {
		int64_t n = 0;
		size_t i;

		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9') {
			if (n > INT64_C(1000000000))
				return false;
			n = n * 10 + (*p++ - '0');
		}
		for (i = 0; i < ARRAY_SIZE(units); i++)
			if (strncmp(p, units[i].unit, strlen(units[i].unit)) == 0)
				break;
		/* "ms" is listed before "m" so that it wins; order checks use the
		 * unit's size instead of its position. */
		if (i == ARRAY_SIZE(units) || (any && units[i].ms >= units[last].ms))
			return false;
		p += strlen(units[i].unit);
		total += n * units[i].ms;
		last = i;
		any = true;
	}
	*ms = total;
	return true;
}

bool
wire_parse_signed_duration(const char *text, int64_t *ms)
{
	bool negative = false;
	int64_t v;

	if (text && (*text == '-' || *text == '+'))
		negative = *text++ == '-';
	if (!wire_parse_duration(text, &v))
		return false;
	*ms = negative ? -v : v;
	return true;
}

char *
wire_dump(const json_t *v, bool go_escape, size_t *len)
{
	char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(13));
	struct buf b;

	if (!text)
		die("cannot serialise a response");
	if (!go_escape) {
		*len = strlen(text);
		return text;
	}
	/* Outside strings JSON never holds <, >, & or U+2028/9, so a byte scan is
	 * exact. Go also writes \b and \f as \u0008 and \u000c, and hex in lower
	 * case ("\u001b" where jansson writes "\u001B"). */
	buf_init(&b, 0);
	for (const char *p = text; *p; p++) {
		if (*p == '\\' && (p[1] == 'b' || p[1] == 'f')) {
			buf_addstr(&b, p[1] == 'b' ? "\\u0008" : "\\u000c");
			p++;
		} else if (*p == '\\' && p[1] == 'u') {
			/* jansson always writes four hex digits after \u. */
			buf_add(&b, p, 2);
			p += 2;
			for (int i = 0; i < 4 && *p; i++, p++)
				buf_addch(&b, (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p));
			p--;
		} else if (*p == '\\' && p[1]) {
			buf_add(&b, p, 2);
			p++;
		} else if (*p == '<') {
			buf_addstr(&b, "\\u003c");
		} else if (*p == '>') {
			buf_addstr(&b, "\\u003e");
		} else if (*p == '&') {
			buf_addstr(&b, "\\u0026");
		} else if ((unsigned char)p[0] == 0xe2 && (unsigned char)p[1] == 0x80 &&
			   ((unsigned char)p[2] == 0xa8 || (unsigned char)p[2] == 0xa9)) {
			buf_addstr(&b, (unsigned char)p[2] == 0xa8 ? "\\u2028" : "\\u2029");
			p += 2;
		} else {
			buf_addch(&b, *p);
		}
	}
	free(text);
	*len = b.len;
	return buf_detach(&b);
}

static int
compare_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

uint64_t
labels_fingerprint(json_t *labels)
{
	const char **names;
	const char *key;
	json_t *value;
	size_t n = json_object_size(labels), i = 0;
	uint64_t h = FNV64_OFFSET;
	const unsigned char sep = 0xff;

	if (n == 0)
		return h;
	names = xcalloc(n, sizeof(*names));
	json_object_foreach(labels, key, value)
	{
		names[i++] = key;
	}
	qsort(names, n, sizeof(*names), compare_str);
	for (i = 0; i < n; i++) {
		const char *v = json_string_value(json_object_get(labels, names[i]));

		h = fnv64_add(h, names[i], strlen(names[i]));
		h = fnv64_add(h, &sep, 1);
		h = fnv64_add(h, v ? v : "", v ? strlen(v) : 0);
		h = fnv64_add(h, &sep, 1);
	}
	free(names);
	return h;
}

void
wire_urlencode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
			buf_addch(b, (char)*p);
		} else {
			buf_addch(b, '%');
			buf_addch(b, hex[*p >> 4]);
			buf_addch(b, hex[*p & 15]);
		}
	}
}

char *
sim_uuid(uint64_t seed, const char *what, uint64_t n)
{
	uint64_t a = sim_hash(seed, what, n), b = sim_hash(seed, what, n + 0x5bd1e995);

	/* Version 4, variant 1 bits, as github.com/google/uuid writes them. */
	return xasprintf("%08x-%04x-4%03x-%04x-%012llx", (unsigned int)(a >> 32),
			 (unsigned int)(a >> 16) & 0xffff, (unsigned int)a & 0xfff,
			 (unsigned int)(0x8000 | ((b >> 48) & 0x3fff)),
			 (unsigned long long)(b & 0xffffffffffffULL));
}
