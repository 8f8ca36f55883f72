/*
 * units.c: parsing and formatting of sizes and durations as they appear in
 * profiles and on the command line.
 *
 * Sizes: a number (decimals allowed) and an optional unit. B is bytes; K, M,
 * G, T and KiB, MiB, GiB, TiB are binary (powers of 1024, as qemu-img and
 * Colima read them); KB, MB, GB, TB are decimal (powers of 1000). A number
 * without a unit is GiB, as Colima's `--memory 4` and `memory: 4` are:
 * every size berth parses is a VM's memory or disk, where 4 bytes is never
 * what was meant. Units are case-insensitive except that a lone "b" is not
 * accepted for bits.
 * Durations: a number and one of ms, s, m, h.
 */

#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/util.h"

/*
 * Values end up in long long fields (and libvirt's), so that is the
 * limit.
 */
#define UNITS_MAX ((uint64_t)INT64_MAX)

struct unit {
	const char *name;
	uint64_t factor;
};

static const struct unit size_units[] = {
    {"", 1073741824ULL},
    {"B", 1},
    {"K", 1024ULL},
    {"KiB", 1024ULL},
    {"KB", 1000ULL},
    {"M", 1048576ULL},
    {"MiB", 1048576ULL},
    {"MB", 1000000ULL},
    {"G", 1073741824ULL},
    {"GiB", 1073741824ULL},
    {"GB", 1000000000ULL},
    {"T", 1099511627776ULL},
    {"TiB", 1099511627776ULL},
    {"TB", 1000000000000ULL},
};

static const struct unit duration_units[] = {
    {"ms", 1},
    {"s", 1000},
    {"m", 60000},
    {"h", 3600000},
};

/* A number as written: its integer and fraction digits. */
struct number {
	const char *whole;
	size_t nwhole;
	const char *frac;
	size_t nfrac;
};

/*
 * Split "1.5GiB" into a number and a unit; -1 if there is no number. Only
 * plain decimals with a '.', whatever the locale says: strtod would also
 * take "0x10", "1e3" or "inf", and wants a ',' under de_DE.
 */
static int
split_number(const char *s, struct number *n, const char **unit)
{
	const char *p;

	while (isspace((unsigned char)*s))
		s++;
	memset(n, 0, sizeof *n);
	n->whole = s;
	for (p = s; isdigit((unsigned char)*p); p++)
		n->nwhole++;
	if (*p == '.') {
		n->frac = ++p;
		for (; isdigit((unsigned char)*p); p++)
			n->nfrac++;
	}
	if (n->nwhole + n->nfrac == 0)
		return -1;
	while (isspace((unsigned char)*p))
		p++;
	*unit = p;
	return 0;
}

/*
 * The number times `factor`, rounded half up, in integers (exact for any
 * number of digits). -1 if above UNITS_MAX.
 */
static int
scale_number(const struct number *n, uint64_t factor, uint64_t *out)
{
	uint64_t v = 0, q = 0, d;
	size_t i;

	for (i = 0; i < n->nwhole; i++) {
		d = (uint64_t)(n->whole[i] - '0');
		if (v > (UNITS_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (factor != 0 && v > UNITS_MAX / factor)
		return -1;
	v *= factor;
	/*
	 * floor(0.d1d2..dn * 2 * factor), from the last digit back: flooring
	 * each step gives the same result as flooring once at the end.
	 */
	for (i = n->nfrac; i-- > 0;)
		q = ((uint64_t)(n->frac[i] - '0') * 2 * factor + q) / 10;
	q = (q + 1) / 2;
	if (v > UNITS_MAX - q)
		return -1;
	*out = v + q;
	return 0;
}

static int
match_unit(const struct unit *units, size_t n, const char *u, size_t len,
           uint64_t *factor)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strlen(units[i].name) == len &&
		    strncasecmp(units[i].name, u, len) == 0) {
			*factor = units[i].factor;
			return 0;
		}
	}
	return -1;
}

int
units_parse_size(const char *s, uint64_t *out, char **cause)
{
	struct number num;
	const char *unit;
	uint64_t factor;
	size_t len;

	if (split_number(s, &num, &unit) != 0) {
		util_set_cause(
		    cause,
		    "'%s' is not a size (use a number and a unit such as "
		    "512MiB, 8GiB or 1.5G)",
		    s);
		return -1;
	}
	len = strlen(unit);
	while (len > 0 && isspace((unsigned char)unit[len - 1]))
		len--;
	if ((len == 1 && *unit == 'b') ||
	    match_unit(size_units, nitems(size_units), unit, len, &factor) !=
	        0) {
		util_set_cause(
		    cause,
		    "'%s' has an unknown size unit (use B, KiB, MiB, GiB, TiB, "
		    "K, M, G, T, KB, MB, GB or TB)",
		    s);
		return -1;
	}
	if (scale_number(&num, factor, out) != 0) {
		util_set_cause(cause, "'%s' is too large", s);
		return -1;
	}
	return 0;
}

int
units_parse_duration(const char *s, uint64_t *out, char **cause)
{
	struct number num;
	const char *unit;
	uint64_t factor;
	size_t len;

	if (split_number(s, &num, &unit) != 0) {
		util_set_cause(
		    cause,
		    "'%s' is not a duration (use a number and a unit such as "
		    "500ms, 2s or 1m)",
		    s);
		return -1;
	}
	len = strlen(unit);
	while (len > 0 && isspace((unsigned char)unit[len - 1]))
		len--;
	if (len == 0) {
		util_set_cause(
		    cause, "'%s' needs a unit (ms, s, m or h), for example %ss",
		    s, s);
		return -1;
	}
	if (match_unit(duration_units, nitems(duration_units), unit, len,
	               &factor) != 0) {
		util_set_cause(
		    cause,
		    "'%s' has an unknown duration unit (use ms, s, m or h)", s);
		return -1;
	}
	if (scale_number(&num, factor, out) != 0) {
		util_set_cause(cause, "'%s' is too long", s);
		return -1;
	}
	return 0;
}

/*
 * "512MiB", "1.5GiB", "60GiB": binary units, at most one decimal, always
 * a '.' (printf's %f would write the locale's decimal point, and a
 * profile saved under de_DE would then say "1,5GiB").
 */
char *
units_format_size(uint64_t bytes)
{
	static const char *names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	uint64_t div = 1, whole, rem, tenths;
	size_t i = 0;

	while (bytes / div >= 1024 && i < nitems(names) - 1) {
		div *= 1024;
		i++;
	}
	if (i == 0)
		return xasprintf("%lluB", (unsigned long long)bytes);
	whole = bytes / div;
	rem = bytes % div;
	if (whole >= 100)
		return xasprintf(
		    "%llu%s", (unsigned long long)(whole + (rem >= div - rem)),
		    names[i]);
	tenths = whole * 10 + (rem * 10 + div / 2) / div;
	if (tenths % 10 == 0)
		return xasprintf("%llu%s", (unsigned long long)(tenths / 10),
		                 names[i]);
	return xasprintf("%llu.%llu%s", (unsigned long long)(tenths / 10),
	                 (unsigned long long)(tenths % 10), names[i]);
}

/* "500ms", "2s", "1.5s", "5m" (a '.' whatever the locale). */
char *
units_format_duration(uint64_t ms)
{
	uint64_t tenths;

	if (ms < 1000)
		return xasprintf("%llums", (unsigned long long)ms);
	if (ms % 3600000 == 0)
		return xasprintf("%lluh", (unsigned long long)(ms / 3600000));
	if (ms % 60000 == 0)
		return xasprintf("%llum", (unsigned long long)(ms / 60000));
	if (ms % 1000 == 0)
		return xasprintf("%llus", (unsigned long long)(ms / 1000));
	tenths = (ms + 50) / 100;
	return xasprintf("%llu.%llus", (unsigned long long)(tenths / 10),
	                 (unsigned long long)(tenths % 10));
}

/* The units of the exact formats, largest first. */
static const struct unit size_steps[] = {
    {"TiB", 1ULL << 40},
    {"GiB", 1ULL << 30},
    {"MiB", 1ULL << 20},
    {"KiB", 1ULL << 10},
    {"B", 1},
};
static const struct unit duration_steps[] = {
    {"h", 3600000},
    {"m", 60000},
    {"s", 1000},
    {"ms", 1},
};

/*
 * A value in the largest unit that holds it exactly, so that what is
 * shown or saved reads back the same ("1537MiB", where the display
 * format says "1.5GiB").
 */
static char *
format_exact(uint64_t v, const struct unit *steps, size_t n)
{
	size_t i;

	if (v == 0)
		return xstrdup("0");
	for (i = 0; i < n - 1; i++) {
		if (v % steps[i].factor == 0)
			break;
	}
	return xasprintf("%llu%s", (unsigned long long)(v / steps[i].factor),
	                 steps[i].name);
}

/* A size as a profile spells it, exactly ("1536MiB"); the caller frees. */
char *
units_format_size_exact(uint64_t bytes)
{
	return format_exact(bytes, size_steps, nitems(size_steps));
}

/* A duration as a profile spells it, exactly ("1500ms"). */
char *
units_format_duration_exact(uint64_t ms)
{
	return format_exact(ms, duration_steps, nitems(duration_steps));
}

/* "3d 4h", "2h 5m", "4m 10s", "12s". */
char *
units_format_uptime(uint64_t s)
{
	if (s >= 86400)
		return xasprintf("%llud %lluh", (unsigned long long)(s / 86400),
		                 (unsigned long long)(s % 86400 / 3600));
	if (s >= 3600)
		return xasprintf("%lluh %llum", (unsigned long long)(s / 3600),
		                 (unsigned long long)(s % 3600 / 60));
	if (s >= 60)
		return xasprintf("%llum %llus", (unsigned long long)(s / 60),
		                 (unsigned long long)(s % 60));
	return xasprintf("%llus", (unsigned long long)s);
}

/* Parse n digits at p into *v; -1 if any is not a digit. */
static int
logtime_digits(const char *p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		*v = *v * 10 + (p[i] - '0');
	}
	return 0;
}

/*
 * An RFC 3339 time ("2024-05-01T10:00:00Z", "...:00.5+02:00") or a date
 * ("2024-05-01", midnight UTC) into Unix seconds and nanoseconds. 0 or -1.
 */
int
units_parse_time(const char *s, long long *sec, long *nsec)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, se = 0, oh, om, sign;
	long ns = 0, scale = 100000000;
	const char *p = s;
	time_t t;

	memset(&tm, 0, sizeof tm);
	if (logtime_digits(p, 4, &y) != 0 || p[4] != '-' ||
	    logtime_digits(p + 5, 2, &mo) != 0 || p[7] != '-' ||
	    logtime_digits(p + 8, 2, &d) != 0)
		return -1;
	p += 10;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		if (logtime_digits(p + 1, 2, &h) != 0 || p[3] != ':' ||
		    logtime_digits(p + 4, 2, &mi) != 0 || p[6] != ':' ||
		    logtime_digits(p + 7, 2, &se) != 0)
			return -1;
		p += 9;
		if (*p == '.') {
			if (p[1] < '0' || p[1] > '9')
				return -1;
			for (p++; *p >= '0' && *p <= '9'; p++) {
				ns += (*p - '0') * scale;
				scale /= 10;
			}
		}
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-') {
			sign = *p == '-' ? -1 : 1;
			if (logtime_digits(p + 1, 2, &oh) != 0 || p[3] != ':' ||
			    logtime_digits(p + 4, 2, &om) != 0 || oh > 23 ||
			    om > 59)
				return -1;
			mi -= sign * om;
			h -= sign * oh;
			p += 6;
		} else
			return -1;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 47 ||
	    se > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	if ((t = timegm(&tm)) == (time_t)-1 && y != 1969)
		return -1;
	*sec = (long long)t;
	*nsec = ns;
	return 0;
}

/*
 * A duration as Docker's CLI takes it: one or more parts that
 * units_parse_duration reads ("1h30m" is "1h" and "30m"). 0 or -1.
 */
static int
units_time_span(const char *s, uint64_t *ms)
{
	char part[32];
	const char *p = s, *q;
	uint64_t v;

	*ms = 0;
	if (strpbrk(s, " \t\n") != NULL)
		return -1; /* one word, as docker's --since */
	while (*p != '\0') {
		for (q = p; (*q >= '0' && *q <= '9') || *q == '.'; q++)
			;
		while (*q != '\0' && !(*q >= '0' && *q <= '9') && *q != '.')
			q++;
		if ((size_t)(q - p) >= sizeof part)
			return -1;
		memcpy(part, p, (size_t)(q - p));
		part[q - p] = '\0';
		if (units_parse_duration(part, &v, NULL) != 0 ||
		    v > UINT64_MAX - *ms)
			return -1;
		*ms += v;
		p = q;
	}
	return 0;
}

/*
 * A --since/--until value as the API's since= and until= take it (Unix
 * seconds, a fraction after the dot): a duration back from now ("10m",
 * "2h", "1h30m"), an RFC 3339 time or date, or Unix seconds.
 * Returns NULL and *cause for anything else. The caller frees the result.
 */
char *
units_time_arg(const char *s, time_t now, char **cause)
{
	long long sec;
	long nsec;
	uint64_t ms;

	if (s == NULL || *s == '\0') {
		util_set_cause(cause, "an empty time (give 10m, 2h or "
		                      "2024-05-01T10:00:00Z)");
		return NULL;
	}
	if (units_parse_time(s, &sec, &nsec) == 0)
		return xasprintf("%lld.%09ld", sec, nsec);
	if (strspn(s, "0123456789") == strlen(s) && strlen(s) <= 12)
		return xasprintf("%s", s);
	if (units_time_span(s, &ms) != 0 || ms == 0 ||
	    ms / 1000 > (uint64_t)now) {
		util_set_cause(cause,
		               "bad time '%s' (give a duration such as 10m or "
		               "2h, an RFC 3339 time such as "
		               "2024-05-01T10:00:00Z, or Unix seconds)",
		               s);
		return NULL;
	}
	/* seconds and nine digits of nanoseconds, as the daemon reads them */
	return xasprintf(
	    "%lld.%09ld",
	    (long long)now - (long long)(ms / 1000) - (ms % 1000 != 0),
	    ms % 1000 != 0 ? (long)(1000 - ms % 1000) * 1000000L : 0L);
}
