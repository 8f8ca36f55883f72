/*
 * units.c: parsing and formatting of sizes and durations as they appear in
 * profiles and on the command line.
 *
 * Sizes: a number (decimals allowed) and an optional unit. B is bytes; K, M,
 * G, T and KiB, MiB, GiB, TiB are binary (powers of 1024, as qemu-img and
 * Colima read them); KB, MB, GB, TB are decimal (powers of 1000). Units are
 * case-insensitive except that a lone "b" is not accepted for bits.
 * Durations: a number and one of ms, s, m, h.
 */

#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend.h"

struct unit {
	const char *name;
	double factor;
};

static const struct unit size_units[] = {
    {"", 1},
    {"B", 1},
    {"K", 1024.0},
    {"KiB", 1024.0},
    {"KB", 1000.0},
    {"M", 1048576.0},
    {"MiB", 1048576.0},
    {"MB", 1e6},
    {"G", 1073741824.0},
    {"GiB", 1073741824.0},
    {"GB", 1e9},
    {"T", 1099511627776.0},
    {"TiB", 1099511627776.0},
    {"TB", 1e12},
};

static const struct unit duration_units[] = {
    {"ms", 1},
    {"s", 1000},
    {"m", 60000},
    {"h", 3600000},
};

/*
 * Split "1.5GiB" into a number and a unit; -1 if there is no number. Only
 * plain decimals: strtod alone would also take "0x10", "1e3" or "inf".
 */
static int
split_number(const char *s, double *value, const char **unit)
{
	const char *p;
	char *end, *num;
	int digits = 0;

	while (isspace((unsigned char)*s))
		s++;
	for (p = s; isdigit((unsigned char)*p); p++)
		digits++;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++)
			digits++;
	}
	if (digits == 0)
		return -1;
	num = xstrndup(s, (size_t)(p - s));
	errno = 0;
	*value = strtod(num, &end);
	if (errno != 0 || *end != '\0' || !isfinite(*value) || *value < 0) {
		free(num);
		return -1;
	}
	free(num);
	while (isspace((unsigned char)*p))
		p++;
	*unit = p;
	return 0;
}

static int
match_unit(const struct unit *units, size_t n, const char *u, size_t len,
           double *factor)
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
	const char *unit;
	double v, factor;
	size_t len;

	if (split_number(s, &v, &unit) != 0) {
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
	v *= factor;
	if (v >= 9.2e18) { /* llround returns a long long */
		util_set_cause(cause, "'%s' is too large", s);
		return -1;
	}
	*out = (uint64_t)llround(v);
	return 0;
}

int
units_parse_duration(const char *s, uint64_t *out, char **cause)
{
	const char *unit;
	double v, factor;
	size_t len;

	if (split_number(s, &v, &unit) != 0) {
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
	v *= factor;
	if (v >= 9.2e18) {
		util_set_cause(cause, "'%s' is too long", s);
		return -1;
	}
	*out = (uint64_t)llround(v);
	return 0;
}

/* "512MiB", "1.5GiB", "60GiB": binary units, at most one decimal. */
char *
units_format_size(uint64_t bytes)
{
	static const char *names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)bytes;
	size_t i = 0;

	while (v >= 1024.0 && i < nitems(names) - 1) {
		v /= 1024.0;
		i++;
	}
	if (i == 0)
		return xasprintf("%lluB", (unsigned long long)bytes);
	if (fabs(v - round(v)) < 0.05 || v >= 100)
		return xasprintf("%.0f%s", v, names[i]);
	return xasprintf("%.1f%s", v, names[i]);
}

/* "500ms", "2s", "1.5s", "5m". */
char *
units_format_duration(uint64_t ms)
{
	if (ms < 1000)
		return xasprintf("%llums", (unsigned long long)ms);
	if (ms % 3600000 == 0)
		return xasprintf("%lluh", (unsigned long long)(ms / 3600000));
	if (ms % 60000 == 0)
		return xasprintf("%llum", (unsigned long long)(ms / 60000));
	if (ms % 1000 == 0)
		return xasprintf("%llus", (unsigned long long)(ms / 1000));
	return xasprintf("%.1fs", (double)ms / 1000.0);
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
