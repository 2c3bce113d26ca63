/* Shared by the CUnit test files: suite registration and run options. */
#ifndef TESTS_UNIT_UNIT_H
#define TESTS_UNIT_UNIT_H

#include <stddef.h>
#include <CUnit/CUnit.h>

/*
 * Each test file has a function that adds its suite (unit_add_suite) and
 * tests (ADD_TEST), returning 0 on success, and declares it with
 * UNIT_SUITE(fn): it is then run at startup, in link order, without
 * main.c having to know the file. Add new files to UNIT_TESTS (unit.mk)
 * or, from another fragment, to UNIT_EXTRA_SRCS.
 */
void unit_register_suite(const char *name, int (*fn)(void));
#define UNIT_SUITE(fn)							\
	int fn(void);							\
	static void __attribute__((constructor)) fn##_register(void)	\
	{								\
		unit_register_suite(#fn, fn);				\
	}

/* A suite whose tests fail if a sanitizer reports during them. */
CU_pSuite unit_add_suite(const char *name);

/* Path of the real guest image (--paraos); it may not exist. */
extern const char *unit_paraos_path;

/*
 * Tests that cannot run are not registered (so never counted as passed):
 * unit_skip() prints a loud SKIP line and counts them for the results.
 */
void unit_skip(const char *test, const char *why);

/* Read a whole file into malloc'd memory; NULL if it cannot. */
void *unit_read_file(const char *path, size_t *len);

/* Register a test or return -1 from the calling suite function. */
#define ADD_TEST(s, fn) \
	do { if (!CU_add_test((s), #fn, (fn))) return -1; } while (0)

#endif
