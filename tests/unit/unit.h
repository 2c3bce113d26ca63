/* Shared by the CUnit test files: suite registration and run options. */
#ifndef TESTS_UNIT_UNIT_H
#define TESTS_UNIT_UNIT_H

#include <stddef.h>
#include <CUnit/CUnit.h>

/* Each test file registers one suite; 0 on success. */
int suite_printf(void);
int suite_string(void);
int suite_bytering(void);
int suite_elfnote(void);
int suite_elfnote_bad(void);
int suite_pvbuild(void);

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
