/* lib/string.c: each function, edges first (overlap, truncation, signs). */
#include <stdint.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "lib/string.h"
#include "tests/unit/unit.h"

static void test_memcpy_memset(void)
{
	unsigned char a[16], b[16];

	for (int i = 0; i < 16; i++)
		a[i] = (unsigned char)i;
	memset(b, 0xee, sizeof(b));
	CU_ASSERT_PTR_EQUAL(memcpy(b + 1, a, 10), b + 1);
	CU_ASSERT_EQUAL(b[0], 0xee);
	CU_ASSERT_EQUAL(b[11], 0xee);
	CU_ASSERT_EQUAL(memcmp(b + 1, a, 10), 0);
	CU_ASSERT_PTR_EQUAL(memcpy(b, a, 0), b);	/* n = 0: nothing */
	CU_ASSERT_EQUAL(b[0], 0xee);

	CU_ASSERT_PTR_EQUAL(memset(b, 0x1ff, 4), b);	/* int -> byte */
	CU_ASSERT(b[0] == 0xff && b[3] == 0xff && b[4] == 3);
}

static void test_memmove_overlap(void)
{
	char buf[32];

	/* Forward overlap: dst after src. */
	strlcpy(buf, "0123456789", sizeof(buf));
	CU_ASSERT_PTR_EQUAL(memmove(buf + 2, buf, 8), buf + 2);
	CU_ASSERT_NSTRING_EQUAL(buf, "0101234567", 10);
	/* Backward overlap: dst before src. */
	strlcpy(buf, "0123456789", sizeof(buf));
	memmove(buf, buf + 3, 7);
	CU_ASSERT_NSTRING_EQUAL(buf, "3456789789", 10);
	/* Same pointer and zero length are no-ops. */
	strlcpy(buf, "abc", sizeof(buf));
	memmove(buf, buf, 3);
	memmove(buf + 1, buf, 0);
	CU_ASSERT_STRING_EQUAL(buf, "abc");
	/* Overlap by one byte, both ways. */
	strlcpy(buf, "abcdef", sizeof(buf));
	memmove(buf + 1, buf, 5);
	CU_ASSERT_STRING_EQUAL(buf, "aabcde");
	memmove(buf, buf + 1, 5);
	CU_ASSERT_STRING_EQUAL(buf, "abcdee");
}

static void test_memcmp(void)
{
	CU_ASSERT_EQUAL(memcmp("abc", "abc", 3), 0);
	CU_ASSERT(memcmp("abc", "abd", 3) < 0);
	CU_ASSERT(memcmp("abd", "abc", 3) > 0);
	CU_ASSERT_EQUAL(memcmp("abc", "xyz", 0), 0);
	/* Bytes compare as unsigned char. */
	CU_ASSERT(memcmp("\x80", "\x01", 1) > 0);
	/* memcmp does not stop at NUL. */
	CU_ASSERT(memcmp("a\0b", "a\0c", 3) < 0);
}

static void test_strlen_strnlen(void)
{
	CU_ASSERT_EQUAL(strlen(""), 0);
	CU_ASSERT_EQUAL(strlen("hello"), 5);
	CU_ASSERT_EQUAL(strnlen("hello", 3), 3);
	CU_ASSERT_EQUAL(strnlen("hello", 10), 5);
	CU_ASSERT_EQUAL(strnlen("hello", 0), 0);
	/* strnlen must not read past max (no NUL inside the array). */
	static const char no_nul[4] = { 'a', 'b', 'c', 'd' };
	CU_ASSERT_EQUAL(strnlen(no_nul, sizeof(no_nul)), 4);
}

static void test_strcmp_strncmp(void)
{
	CU_ASSERT_EQUAL(strcmp("", ""), 0);
	CU_ASSERT_EQUAL(strcmp("abc", "abc"), 0);
	CU_ASSERT(strcmp("abc", "abd") < 0);
	CU_ASSERT(strcmp("abc", "ab") > 0);
	CU_ASSERT(strcmp("ab", "abc") < 0);
	CU_ASSERT(strcmp("\xff", "a") > 0);		/* unsigned */

	CU_ASSERT_EQUAL(strncmp("abcdef", "abcxyz", 3), 0);
	CU_ASSERT(strncmp("abcdef", "abcxyz", 4) < 0);
	CU_ASSERT_EQUAL(strncmp("abc", "xyz", 0), 0);
	CU_ASSERT_EQUAL(strncmp("abc", "abc", 100), 0);	/* stops at NUL */
	CU_ASSERT(strncmp("ab", "abc", 3) < 0);
	CU_ASSERT(strncmp("\x80", "\x7f", 1) > 0);
	CU_ASSERT_EQUAL(strncmp("xen-3.0-x86_64", "xen-3.0", 7), 0);
}

static void test_strchr(void)
{
	const char *s = "hello";

	CU_ASSERT_PTR_EQUAL(strchr(s, 'l'), s + 2);
	CU_ASSERT_PTR_EQUAL(strchr(s, 'h'), s);
	CU_ASSERT_PTR_NULL(strchr(s, 'z'));
	CU_ASSERT_PTR_EQUAL(strchr(s, '\0'), s + 5);	/* the terminator */
	/* c is converted to char: 0xe9 and -23 find the same byte. */
	const char *cafe = "caf\xe9!";
	CU_ASSERT_PTR_EQUAL(strchr(cafe, 0xe9), cafe + 3);
	CU_ASSERT_PTR_EQUAL(strchr(cafe, -23), cafe + 3);
}

static void test_strstr(void)
{
	const char *s = "QEMU TCG CPU";

	CU_ASSERT_PTR_EQUAL(strstr(s, "QEMU"), s);
	CU_ASSERT_PTR_EQUAL(strstr(s, "TCG"), s + 5);
	CU_ASSERT_PTR_EQUAL(strstr(s, "CPU"), s + 9);
	CU_ASSERT_PTR_NULL(strstr(s, "CPUs"));		/* runs past the end */
	CU_ASSERT_PTR_NULL(strstr(s, "qemu"));		/* case matters */
	CU_ASSERT_PTR_EQUAL(strstr(s, ""), s);		/* the empty needle */
	const char *empty = "", *aab = "aab";

	CU_ASSERT_PTR_EQUAL(strstr(empty, ""), empty);
	CU_ASSERT_PTR_NULL(strstr(empty, "a"));
	CU_ASSERT_PTR_EQUAL(strstr(aab, "ab"), aab + 1);	/* after a false start */
}

static void test_strlcpy(void)
{
	char b[8];

	memset(b, 'z', sizeof(b));
	CU_ASSERT_EQUAL(strlcpy(b, "hello", sizeof(b)), 5);
	CU_ASSERT_STRING_EQUAL(b, "hello");
	CU_ASSERT_EQUAL(b[6], 'z');			/* no padding */

	/* Truncation: at most size-1 bytes, always terminated, returns
	 * the full source length so callers can detect it. */
	CU_ASSERT_EQUAL(strlcpy(b, "truncated!", sizeof(b)), 10);
	CU_ASSERT_STRING_EQUAL(b, "truncat");
	CU_ASSERT_EQUAL(strlcpy(b, "12345678", sizeof(b)), 8);
	CU_ASSERT_STRING_EQUAL(b, "1234567");
	CU_ASSERT_EQUAL(strlcpy(b, "1234567", sizeof(b)), 7);	/* exact fit */
	CU_ASSERT_STRING_EQUAL(b, "1234567");

	CU_ASSERT_EQUAL(strlcpy(b, "abc", 1), 3);
	CU_ASSERT_STRING_EQUAL(b, "");
	b[0] = 'q';
	CU_ASSERT_EQUAL(strlcpy(b, "abc", 0), 3);	/* size 0: no write */
	CU_ASSERT_EQUAL(b[0], 'q');
	CU_ASSERT_EQUAL(strlcpy(b, "", sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(b, "");
}

UNIT_SUITE(suite_string)

int suite_string(void)
{
	CU_pSuite s = unit_add_suite("string");

	if (!s)
		return -1;
	ADD_TEST(s, test_memcpy_memset);
	ADD_TEST(s, test_memmove_overlap);
	ADD_TEST(s, test_memcmp);
	ADD_TEST(s, test_strlen_strnlen);
	ADD_TEST(s, test_strcmp_strncmp);
	ADD_TEST(s, test_strchr);
	ADD_TEST(s, test_strstr);
	ADD_TEST(s, test_strlcpy);
	return 0;
}
