/*
 * lib/printf.c: fixed expectations for every conversion, flag, width and
 * precision form and length modifier, vsnprintf's truncation and return
 * value, and a differential run against glibc over the combinations C
 * defines (flags that C leaves undefined for a conversion are skipped).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "lib/printf.h"
#include "tests/unit/oracle.h"
#include "tests/unit/unit.h"

/* No format attribute: lets tests pass formats gcc would warn about. */
static int fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, size, f, ap);
	va_end(ap);
	return n;
}

#define EXPECT(want, ...) do {						\
	char b_[256];							\
	int n_ = snprintf(b_, sizeof(b_), __VA_ARGS__);			\
	CU_ASSERT_STRING_EQUAL(b_, want);				\
	CU_ASSERT_EQUAL(n_, (int)strlen(want));				\
	if (strcmp(b_, want))						\
		printf("\n  %s: got \"%s\", want \"%s\"", #__VA_ARGS__,	\
		       b_, want);					\
} while (0)

static void test_integers(void)
{
	EXPECT("0", "%d", 0);
	EXPECT("-1", "%i", -1);
	EXPECT("-2147483648", "%d", INT32_MIN);
	EXPECT("2147483647", "%d", INT32_MAX);
	EXPECT("4294967295", "%u", UINT32_MAX);
	EXPECT("-9223372036854775808", "%lld", (long long)INT64_MIN);
	EXPECT("-9223372036854775808", "%ld", (long)INT64_MIN);
	EXPECT("-9223372036854775808", "%jd", (intmax_t)INT64_MIN);
	EXPECT("9223372036854775807", "%lli", (long long)INT64_MAX);
	EXPECT("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
	EXPECT("ffffffffffffffff", "%lx", (unsigned long)UINT64_MAX);
	EXPECT("DEADBEEF", "%X", 0xdeadbeefu);
	EXPECT("deadbeef", "%x", 0xdeadbeefu);
	EXPECT("1777777777777777777777", "%llo", (unsigned long long)UINT64_MAX);
	EXPECT("17", "%o", 15u);
}

static void test_length_modifiers(void)
{
	EXPECT("44", "%hhd", 300);		/* (signed char)300 */
	EXPECT("-128", "%hhd", 128);
	EXPECT("255", "%hhu", -1);
	EXPECT("4464", "%hd", 70000);
	EXPECT("-1", "%hd", 65535);
	EXPECT("65535", "%hu", -1);
	EXPECT("ffff", "%hx", 0xfffff);
	EXPECT("18446744073709551615", "%zu", SIZE_MAX);
	EXPECT("-5", "%zd", (ptrdiff_t)-5);
	EXPECT("-7", "%td", (ptrdiff_t)-7);
	EXPECT("ff", "%tx", (ptrdiff_t)255);
	EXPECT("9223372036854775807", "%jd", (intmax_t)INT64_MAX);
	EXPECT("18446744073709551615", "%ju", (uintmax_t)UINT64_MAX);
}

static void test_flags_width_precision(void)
{
	char b[32];

	EXPECT("   42", "%5d", 42);
	EXPECT("42   |", "%-5d|", 42);
	EXPECT("00042", "%05d", 42);
	EXPECT("-0042", "%05d", -42);
	EXPECT("+42", "%+d", 42);
	EXPECT(" 42", "% d", 42);
	CU_ASSERT_EQUAL(fmt(b, sizeof(b), "%+ d", 42), 3);	/* '+' wins over ' ' */
	CU_ASSERT_STRING_EQUAL(b, "+42");
	CU_ASSERT_EQUAL(fmt(b, sizeof(b), "%-05d", 42), 5);	/* '-' wins over '0' */
	CU_ASSERT_STRING_EQUAL(b, "42   ");
	EXPECT("  042", "%5.3d", 42);
	CU_ASSERT_EQUAL(fmt(b, sizeof(b), "%05.3d", 42), 5);	/* '0' ignored with precision */
	CU_ASSERT_STRING_EQUAL(b, "  042");
	EXPECT("", "%.0d", 0);
	EXPECT("     ", "%5.0d", 0);
	EXPECT("0x1f", "%#x", 31);
	EXPECT("0X1F", "%#X", 31);
	EXPECT("0", "%#x", 0);
	EXPECT("0x0001f", "%#07x", 31);
	EXPECT("017", "%#o", 15);
	EXPECT("0", "%#o", 0);
	EXPECT("0", "%#.0o", 0);		/* '#' forces the 0 */
	EXPECT("0012", "%#.4o", 10);
	EXPECT("   42", "%*d", 5, 42);
	EXPECT("42   |", "%*d|", -5, 42);	/* negative width: '-' */
	EXPECT("00042", "%.*d", 5, 42);
	EXPECT("42", "%.*d", -3, 42);		/* negative precision: none */
	EXPECT("   00042", "%*.*d", 8, 5, 42);
	EXPECT("-0000000000000000042", "%.19lld", -42LL);
}

static void test_strings_chars(void)
{
	EXPECT("hello", "%s", "hello");
	EXPECT("  hello", "%7s", "hello");
	EXPECT("hello  |", "%-7s|", "hello");
	EXPECT("hel", "%.3s", "hello");
	EXPECT("   he", "%5.2s", "hello");
	EXPECT("he", "%.*s", 2, "hello");
	char b[16];

	CU_ASSERT_EQUAL(fmt(b, sizeof(b), "%s", (char *)NULL), 6);
	CU_ASSERT_STRING_EQUAL(b, "(null)");
	EXPECT("x", "%c", 'x');
	EXPECT("    x", "%5c", 'x');
	EXPECT("x    |", "%-5c|", 'x');
	EXPECT("%", "%%");
	EXPECT("a%b", "a%%b");
	EXPECT("100%", "%d%%", 100);
}

static void test_pointer(void)
{
	/* Ours: always 0x and 16 digits, so addresses line up in logs. */
	EXPECT("0x0000000000000000", "%p", (void *)0);
	EXPECT("0xffffffff80001000", "%p", (void *)0xffffffff80001000ul);
}

static void test_nul_char(void)
{
	char b[8];

	memset(b, 'z', sizeof(b));
	CU_ASSERT_EQUAL(snprintf(b, sizeof(b), "a%cb", 0), 3);
	CU_ASSERT(b[0] == 'a' && b[1] == '\0' && b[2] == 'b' && b[3] == '\0');
}

static void test_odd_formats(void)
{
	char b[32];

	/* A lone '%' at the end is printed, not read past. */
	CU_ASSERT_EQUAL(fmt(b, sizeof(b), "abc%"), 4);
	CU_ASSERT_STRING_EQUAL(b, "abc%");
	/* An unknown conversion is shown and consumes no argument. */
	CU_ASSERT_EQUAL(fmt(b, sizeof(b), "%q%d", 5), 3);
	CU_ASSERT_STRING_EQUAL(b, "%q5");
	/* Absurd widths are clamped, never overflow. */
	CU_ASSERT_EQUAL(fmt(b, sizeof(b), "%999999d", 1), 999999);
	CU_ASSERT_EQUAL(strlen(b), sizeof(b) - 1);
	CU_ASSERT(fmt(b, sizeof(b), "%99999999999999999999d", 1) > 0);
}

static void test_truncation(void)
{
	char b[16];

	memset(b, 'z', sizeof(b));
	CU_ASSERT_EQUAL(snprintf(b, 5, "hello world"), 11);
	CU_ASSERT_STRING_EQUAL(b, "hell");
	CU_ASSERT_EQUAL(b[5], 'z');			/* nothing past size */

	CU_ASSERT_EQUAL(snprintf(b, 1, "hello"), 5);
	CU_ASSERT_EQUAL(b[0], '\0');

	memset(b, 'z', sizeof(b));
	CU_ASSERT_EQUAL(snprintf(b, 0, "hello"), 5);	/* size 0: no write */
	CU_ASSERT_EQUAL(b[0], 'z');
	CU_ASSERT_EQUAL(snprintf(NULL, 0, "%d", 123456), 6);

	CU_ASSERT_EQUAL(snprintf(b, 6, "hello"), 5);	/* exact fit */
	CU_ASSERT_STRING_EQUAL(b, "hello");
	CU_ASSERT_EQUAL(snprintf(b, 5, "hello"), 5);	/* one short */
	CU_ASSERT_STRING_EQUAL(b, "hell");

	CU_ASSERT_EQUAL(snprintf(b, 4, "%d", -12345), 6);
	CU_ASSERT_STRING_EQUAL(b, "-12");
	CU_ASSERT_EQUAL(snprintf(b, sizeof(b), "%s", ""), 0);
	CU_ASSERT_STRING_EQUAL(b, "");
}

/* vformat counts what it emits, through any emit function. */
static void count_emit(void *ctx, char c)
{
	(void)c;
	(*(int *)ctx)++;
}

static int vformat_count(int *seen, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vformat(count_emit, seen, f, ap);
	va_end(ap);
	return n;
}

static void test_vformat(void)
{
	int seen = 0;

	CU_ASSERT_EQUAL(vformat_count(&seen, "%s=%5d%c", "ab", 7, 0), 9);
	CU_ASSERT_EQUAL(seen, 9);
}

/* ---- differential run against glibc ---------------------------------- */

static const int64_t values[] = {
	0, 1, -1, 42, -42, 127, 128, 255, 65535, -32768, 2147483647,
	-2147483648LL, 4294967295LL, INT64_MAX, INT64_MIN,
};

/* Format one value with both formatters, given the length modifier. */
static void both(const char *f, const char *len, bool is_signed, int64_t v,
		 char *ours, char *theirs, size_t size, int *n1, int *n2)
{
#define BOTH(T) do {							\
		*n1 = fmt(ours, size, f, (T)v);				\
		*n2 = libc_snprintf(theirs, size, f, (T)v);		\
	} while (0)
#define BOTH_STAR(T) do {						\
		*n1 = fmt(ours, size, f, 9, 4, (T)v);			\
		*n2 = libc_snprintf(theirs, size, f, 9, 4, (T)v);	\
	} while (0)
	bool star = strchr(f, '*') != NULL;	/* then it is "%*.*" */

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat"
	if (!strcmp(len, "l") || !strcmp(len, "ll") || !strcmp(len, "j")) {
		if (star) BOTH_STAR(long long); else BOTH(long long);
	} else if (!strcmp(len, "z") || !strcmp(len, "t")) {
		if (star) BOTH_STAR(ptrdiff_t); else BOTH(ptrdiff_t);
	} else if (is_signed) {
		if (star) BOTH_STAR(int); else BOTH(int);
	} else {
		if (star) BOTH_STAR(unsigned int); else BOTH(unsigned int);
	}
#pragma GCC diagnostic pop
#undef BOTH
#undef BOTH_STAR
}

static void test_against_glibc(void)
{
	static const char *const lens[] = { "", "hh", "h", "l", "ll", "z", "t", "j" };
	static const char *const widths[] = { "", "1", "7", "22" };
	static const char *const precs[] = { "", ".0", ".3", ".25" };
	static const char convs[] = "diuxXo";
	unsigned int checked = 0, mismatches = 0;

	for (const char *c = convs; *c; c++)
	for (unsigned int flags = 0; flags < 32; flags++)
	for (size_t w = 0; w < 5; w++)		/* 4 = "*.*" */
	for (size_t p = 0; p < (w == 4 ? 1 : 4); p++)
	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
		bool is_signed = *c == 'd' || *c == 'i';
		char f[40], ours[64], theirs[64];
		int k = 0;

		/* C defines '#' for o, x and X only. ('+' and ' ' are
		 * defined for all: they affect signed conversions only.) */
		if ((flags & 16) && !strchr("oxX", *c))
			continue;
		f[k++] = '%';
		if (flags & 1) f[k++] = '-';
		if (flags & 2) f[k++] = '0';
		if (flags & 4) f[k++] = '+';
		if (flags & 8) f[k++] = ' ';
		if (flags & 16) f[k++] = '#';
		snprintf(f + k, sizeof(f) - k, "%s%s%s%c",
			 w == 4 ? "*.*" : widths[w], w == 4 ? "" : precs[p],
			 lens[l], *c);

		for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
			int n1, n2;

			/* Small buffer too: truncation must agree. */
			for (size_t size = 5; size <= sizeof(ours); size += 59) {
				both(f, lens[l], is_signed, values[v], ours,
				     theirs, size, &n1, &n2);
				checked++;
				if (n1 == n2 && !strcmp(ours, theirs))
					continue;
				if (mismatches++ < 10)
					printf("\n  \"%s\" %lld (size %zu): ours \"%s\" (%d), glibc \"%s\" (%d)",
					       f, (long long)values[v], size,
					       ours, n1, theirs, n2);
			}
		}
	}
	if (mismatches)
		printf("\n  %u of %u formats differ from glibc\n", mismatches, checked);
	CU_ASSERT_EQUAL(mismatches, 0);
	CU_ASSERT(checked > 10000);
}

static void test_strings_against_glibc(void)
{
	static const char *const strs[] = { "", "a", "hello", "a longer string" };
	static const char *const specs[] = {
		"%s", "%3s", "%-3s|", "%.2s", "%10.4s", "%-10.0s|", "%.20s",
		"%*s", "%-*s|", "%.*s",
	};
	unsigned int mismatches = 0;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	for (size_t s = 0; s < sizeof(strs) / sizeof(strs[0]); s++)
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		char ours[64], theirs[64];
		int n1, n2;

		if (strchr(specs[i], '*')) {
			n1 = fmt(ours, sizeof(ours), specs[i], 6, strs[s]);
			n2 = libc_snprintf(theirs, sizeof(theirs), specs[i], 6, strs[s]);
		} else {
			n1 = fmt(ours, sizeof(ours), specs[i], strs[s]);
			n2 = libc_snprintf(theirs, sizeof(theirs), specs[i], strs[s]);
		}
		if (n1 != n2 || strcmp(ours, theirs)) {
			mismatches++;
			printf("\n  \"%s\" \"%s\": ours \"%s\", glibc \"%s\"",
			       specs[i], strs[s], ours, theirs);
		}
	}
#pragma GCC diagnostic pop
	CU_ASSERT_EQUAL(mismatches, 0);
}

UNIT_SUITE(suite_printf)

int suite_printf(void)
{
	CU_pSuite s = unit_add_suite("printf");

	if (!s)
		return -1;
	ADD_TEST(s, test_integers);
	ADD_TEST(s, test_length_modifiers);
	ADD_TEST(s, test_flags_width_precision);
	ADD_TEST(s, test_strings_chars);
	ADD_TEST(s, test_pointer);
	ADD_TEST(s, test_nul_char);
	ADD_TEST(s, test_odd_formats);
	ADD_TEST(s, test_truncation);
	ADD_TEST(s, test_vformat);
	ADD_TEST(s, test_against_glibc);
	ADD_TEST(s, test_strings_against_glibc);
	return 0;
}
