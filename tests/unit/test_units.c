/*
 * test_units.c: sizes and durations as profiles and the command line spell
 * them (units.c), parsing and formatting, including the errors.
 */

#include "config.h"

#include <locale.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

#define KIB 1024ULL
#define MIB (1024ULL * KIB)
#define GIB (1024ULL * MIB)
#define TIB (1024ULL * GIB)

static uint64_t
size_ok(const char *s)
{
	uint64_t v = 0;
	char *cause = NULL;

	if (units_parse_size(s, &v, &cause) != 0)
		fail_msg("'%s' rejected: %s", s, cause);
	assert_null(cause);
	return v;
}

/* Parse a size that must fail; returns the cause (caller frees). */
static char *
size_bad(const char *s)
{
	uint64_t v = 12345;
	char *cause = NULL;

	if (units_parse_size(s, &v, &cause) == 0)
		fail_msg("'%s' accepted as %llu", s, (unsigned long long)v);
	assert_non_null(cause);
	assert_int_equal(v, 12345); /* untouched on error */
	return cause;
}

static uint64_t
duration_ok(const char *s)
{
	uint64_t v = 0;
	char *cause = NULL;

	if (units_parse_duration(s, &v, &cause) != 0)
		fail_msg("'%s' rejected: %s", s, cause);
	return v;
}

static char *
duration_bad(const char *s)
{
	uint64_t v = 777;
	char *cause = NULL;

	if (units_parse_duration(s, &v, &cause) == 0)
		fail_msg("'%s' accepted as %llu", s, (unsigned long long)v);
	assert_non_null(cause);
	assert_int_equal(v, 777);
	return cause;
}

static void
test_size_binary(void **state)
{
	(void)state;
	assert_int_equal(size_ok("512MiB"), 512 * MIB);
	assert_int_equal(size_ok("8GiB"), 8 * GIB);
	assert_int_equal(size_ok("1.5G"), 3 * GIB / 2);
	assert_int_equal(size_ok("2T"), 2 * TIB);
	assert_int_equal(size_ok("1TiB"), TIB);
	assert_int_equal(size_ok("4K"), 4 * KIB);
	assert_int_equal(size_ok("4KiB"), 4 * KIB);
	assert_int_equal(size_ok("0.5MiB"), 512 * KIB);
	/* Units are case-insensitive. */
	assert_int_equal(size_ok("8gib"), 8 * GIB);
	assert_int_equal(size_ok("3m"), 3 * MIB);
}

static void
test_size_decimal_and_bytes(void **state)
{
	(void)state;
	assert_int_equal(size_ok("1GB"), 1000000000ULL);
	assert_int_equal(size_ok("2MB"), 2000000ULL);
	assert_int_equal(size_ok("3KB"), 3000ULL);
	assert_int_equal(size_ok("1TB"), 1000000000000ULL);
	assert_int_equal(size_ok("100B"), 100);
	assert_int_equal(size_ok("0"), 0);
	assert_int_equal(size_ok(" 2GiB "), 2 * GIB);
	assert_int_equal(size_ok("2 GiB"), 2 * GIB);
	assert_int_equal(size_ok(".5K"), 512);
}

/* A bare number is GiB, as in Colima (`--memory 4`, `memory: 4`). */
static void
test_size_bare_is_gib(void **state)
{
	(void)state;
	assert_int_equal(size_ok("4"), 4 * GIB);
	assert_int_equal(size_ok("100"), 100 * GIB);
	assert_int_equal(size_ok(" 60 "), 60 * GIB);
	assert_int_equal(size_ok("1.5"), 3 * GIB / 2);
	assert_int_equal(size_ok(".5"), 512 * MIB);
	assert_int_equal(size_ok("0"), 0);
	/* Bytes are still there when asked for. */
	assert_int_equal(size_ok("4B"), 4);
	/* 2^33 GiB is 2^63 bytes: one past the limit. */
	assert_int_equal(size_ok("8589934591"), 8589934591ULL * GIB);
	free(size_bad("8589934592"));
}

static void
test_size_errors(void **state)
{
	char *c;

	(void)state;
	c = size_bad("lots");
	assert_string_equal(c, "'lots' is not a size (use a number and a unit "
	                       "such as 512MiB, 8GiB or 1.5G)");
	free(c);
	c = size_bad("8 parsecs");
	assert_non_null(strstr(c, "unknown size unit"));
	free(c);
	free(size_bad(""));
	free(size_bad("-1G"));
	free(size_bad("GiB"));
	free(size_bad("."));
	free(size_bad("1.5.3G"));
	/* strtod alone would take these. */
	free(size_bad("0x10"));
	free(size_bad("1e3"));
	free(size_bad("inf"));
	free(size_bad("nan"));
	/* A lone lower-case b would be bits. */
	free(size_bad("8b"));
	/* Too large for 64 bits, and at the edge of a long long. */
	c = size_bad("99999999TiB");
	assert_non_null(strstr(c, "too large"));
	free(c);
	free(size_bad("16EB"));
	free(size_bad("9999999999999999999"));
}

static void
test_duration(void **state)
{
	(void)state;
	assert_int_equal(duration_ok("500ms"), 500);
	assert_int_equal(duration_ok("2s"), 2000);
	assert_int_equal(duration_ok("1.5s"), 1500);
	assert_int_equal(duration_ok("1m"), 60000);
	assert_int_equal(duration_ok("2h"), 7200000);
	assert_int_equal(duration_ok("0.25s"), 250);
	assert_int_equal(duration_ok("0ms"), 0);
	assert_int_equal(duration_ok("100MS"), 100);
}

static void
test_duration_errors(void **state)
{
	char *c;

	(void)state;
	c = duration_bad("2");
	assert_string_equal(c, "'2' needs a unit (ms, s, m or h), for "
	                       "example 2s");
	free(c);
	c = duration_bad("3 days");
	assert_string_equal(
	    c, "'3 days' has an unknown duration unit (use ms, s, m or h)");
	free(c);
	c = duration_bad("soon");
	assert_non_null(strstr(c, "is not a duration"));
	free(c);
	free(duration_bad(""));
	free(duration_bad("-5s"));
	free(duration_bad("1e3ms"));
	c = duration_bad("9999999999999999h");
	assert_non_null(strstr(c, "too long"));
	free(c);
}

static void
check_fmt(char *got, const char *want)
{
	assert_string_equal(got, want);
	free(got);
}

static void
test_format_size(void **state)
{
	(void)state;
	check_fmt(units_format_size(0), "0B");
	check_fmt(units_format_size(1023), "1023B");
	check_fmt(units_format_size(512 * MIB), "512MiB");
	check_fmt(units_format_size(3 * GIB / 2), "1.5GiB");
	check_fmt(units_format_size(60 * GIB), "60GiB");
	check_fmt(units_format_size(2 * TIB), "2TiB");
}

static void
test_format_duration(void **state)
{
	(void)state;
	check_fmt(units_format_duration(500), "500ms");
	check_fmt(units_format_duration(2000), "2s");
	check_fmt(units_format_duration(1500), "1.5s");
	check_fmt(units_format_duration(300000), "5m");
	check_fmt(units_format_duration(7200000), "2h");
	check_fmt(units_format_uptime(12), "12s");
	check_fmt(units_format_uptime(250), "4m 10s");
	check_fmt(units_format_uptime(7500), "2h 5m");
	check_fmt(units_format_uptime(3 * 86400 + 4 * 3600), "3d 4h");
}

/* What format prints, parse reads back (within display rounding). */
static void
test_roundtrip(void **state)
{
	static const uint64_t sizes[] = {1,       1000,     KIB,    512 * MIB,
	                                 2 * GIB, 20 * GIB, 3 * TIB};
	static const uint64_t durs[] = {1, 100, 999, 1000, 60000, 3600000};
	size_t i;
	char *s;

	(void)state;
	for (i = 0; i < nitems(sizes); i++) {
		s = units_format_size(sizes[i]);
		assert_int_equal(size_ok(s), sizes[i]);
		free(s);
	}
	for (i = 0; i < nitems(durs); i++) {
		s = units_format_duration(durs[i]);
		assert_int_equal(duration_ok(s), durs[i]);
		free(s);
	}
}

/* Parsing is exact: integers, not a double's 53 bits. */
static void
test_exact(void **state)
{
	uint64_t v = 0;
	char *cause = NULL;

	(void)state;
	assert_int_equal(size_ok("0.1GiB"), 107374182ULL); /* .4 rounds down */
	assert_int_equal(size_ok("0.0005K"), 1);           /* 0.512 */
	assert_int_equal(size_ok("0.0004K"), 0);           /* 0.4096 */
	assert_int_equal(size_ok("1.00000000000000000000001K"), 1024);
	assert_int_equal(size_ok("1.9999999999999999999999K"), 2048);
	assert_int_equal(size_ok("9223372036854775807B"),
	                 9223372036854775807ULL);
	assert_int_equal(units_parse_size("9223372036854775808B", &v, &cause),
	                 -1);
	assert_non_null(strstr(cause, "too large"));
	free(cause);
	assert_int_equal(size_ok("1.B"), 1);
	assert_int_equal(size_ok("1."), GIB);
	assert_int_equal(duration_ok("0.0015s"), 2); /* 1.5 ms rounds up */
	check_fmt(units_format_size(1537 * MIB), "1.5GiB");
	check_fmt(units_format_size(99 * GIB + 1000 * MIB), "100GiB");
	check_fmt(units_format_size(UINT64_MAX), "16384PiB");
	check_fmt(units_format_duration(1234), "1.2s");
	check_fmt(units_format_duration(1999), "2.0s");
}

/* The exact formats read back to the same value. */
static void
test_format_exact(void **state)
{
	static const uint64_t sizes[] = {
	    0, 1, 1000, 1537 * MIB, 1000000000, 3 * TIB, 3 * GIB / 2};
	size_t i;
	char *s;

	(void)state;
	check_fmt(units_format_size_exact(1537 * MIB), "1537MiB");
	check_fmt(units_format_size_exact(3 * GIB / 2), "1536MiB");
	check_fmt(units_format_size_exact(2 * GIB), "2GiB");
	check_fmt(units_format_size_exact(1000000000), "1000000000B");
	check_fmt(units_format_size_exact(0), "0");
	check_fmt(units_format_duration_exact(1500), "1500ms");
	check_fmt(units_format_duration_exact(120000), "2m");
	for (i = 0; i < nitems(sizes); i++) {
		s = units_format_size_exact(sizes[i]);
		assert_int_equal(size_ok(s), sizes[i]);
		free(s);
	}
}

/*
 * Numbers do not follow the locale: main() runs under setlocale(LC_ALL,
 * ""), and tests/integration/locale.sh runs this program under a comma
 * locale with BERTH_TEST_COMMA set (the check that it really is one).
 */
static void
test_locale(void **state)
{
	(void)state;
	if (getenv("BERTH_TEST_COMMA") != NULL)
		assert_string_equal(localeconv()->decimal_point, ",");
	assert_int_equal(size_ok("1.5GiB"), 3 * GIB / 2);
	assert_int_equal(duration_ok("0.25s"), 250);
	check_fmt(units_format_size(3 * GIB / 2), "1.5GiB");
	check_fmt(units_format_duration(1500), "1.5s");
	free(size_bad("1,5GiB"));
}

/* RFC 3339 times and dates: offsets, fractions, errors. */
static void
test_parse_time(void **state)
{
	long long sec;
	long nsec;

	(void)state;
	assert_int_equal(units_parse_time("2024-05-01T10:00:00Z", &sec, &nsec),
	                 0);
	assert_true(sec == 1714557600LL);
	assert_int_equal(nsec, 0);
	/* the daemon's nanoseconds, and a fraction trimmed of its zeros */
	assert_int_equal(
	    units_parse_time("2024-05-01T10:00:00.123456789Z", &sec, &nsec), 0);
	assert_int_equal(nsec, 123456789);
	assert_int_equal(
	    units_parse_time("2024-05-01T10:00:00.5Z", &sec, &nsec), 0);
	assert_int_equal(nsec, 500000000);
	/* an offset: 12:00 at +02:00 is 10:00 UTC */
	assert_int_equal(
	    units_parse_time("2024-05-01T12:00:00+02:00", &sec, &nsec), 0);
	assert_true(sec == 1714557600LL);
	assert_int_equal(
	    units_parse_time("2024-05-01T08:30:00-01:30", &sec, &nsec), 0);
	assert_true(sec == 1714557600LL);
	assert_int_equal(units_parse_time("2024-05-01", &sec, &nsec), 0);
	assert_true(sec == 1714521600LL);
	assert_int_equal(units_parse_time("2024-05-01T10:00:00", &sec, &nsec),
	                 -1); /* no zone: which one? */
	assert_int_equal(units_parse_time("2024-13-01", &sec, &nsec), -1);
	assert_int_equal(units_parse_time("2024-05-01T10:00Z", &sec, &nsec),
	                 -1);
	assert_int_equal(units_parse_time("2024-05-01T10:00:00.Z", &sec, &nsec),
	                 -1);
	assert_int_equal(units_parse_time("yesterday", &sec, &nsec), -1);
	assert_int_equal(units_parse_time("", &sec, &nsec), -1);
}

/* --since/--until values as the daemon takes them. */
static void
test_time_arg(void **state)
{
	char *a, *cause = NULL;

	(void)state;
	a = units_time_arg("10m", 1714557600, &cause);
	assert_string_equal(a, "1714557000.000000000");
	free(a);
	a = units_time_arg("2h", 1714557600, &cause);
	assert_string_equal(a, "1714550400.000000000");
	free(a);
	a = units_time_arg("1h30m", 1714557600, &cause);
	assert_string_equal(a, "1714552200.000000000");
	free(a);
	a = units_time_arg("1500ms", 1714557600, &cause);
	assert_string_equal(a, "1714557598.500000000");
	free(a);
	a = units_time_arg("2024-05-01T10:00:00.25Z", 0, &cause);
	assert_string_equal(a, "1714557600.250000000");
	free(a);
	a = units_time_arg("1714557600", 0, &cause);
	assert_string_equal(a, "1714557600");
	free(a);
	assert_null(units_time_arg("soon", 1714557600, &cause));
	assert_non_null(strstr(cause, "bad time 'soon'"));
	free(cause);
	cause = NULL;
	/* a bare number is Unix seconds, as docker logs --since takes it */
	a = units_time_arg("10", 1714557600, &cause);
	assert_string_equal(a, "10");
	free(a);
	assert_null(units_time_arg("", 1714557600, &cause));
	free(cause);
	cause = NULL;
	assert_null(units_time_arg("-5m", 1714557600, &cause));
	free(cause);
	cause = NULL;
	assert_null(units_time_arg("1h30", 1714557600, &cause));
	free(cause);
	cause = NULL;
	assert_null(units_time_arg("1h 30m", 1714557600, &cause));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_size_binary),
	    cmocka_unit_test(test_size_decimal_and_bytes),
	    cmocka_unit_test(test_size_bare_is_gib),
	    cmocka_unit_test(test_size_errors),
	    cmocka_unit_test(test_duration),
	    cmocka_unit_test(test_duration_errors),
	    cmocka_unit_test(test_format_size),
	    cmocka_unit_test(test_format_duration),
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_exact),
	    cmocka_unit_test(test_format_exact),
	    cmocka_unit_test(test_locale),
	    cmocka_unit_test(test_parse_time),
	    cmocka_unit_test(test_time_arg),
	};

	setlocale(LC_ALL, "");

	return cmocka_run_group_tests(tests, NULL, NULL);
}
