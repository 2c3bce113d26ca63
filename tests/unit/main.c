/*
 * The unit-test runner: every suite through CUnit's basic interface (so
 * its standard "Run Summary" appears), then one result line for
 * tests/test-all.py:
 *
 *   build/results/unit.txt:  unit PASSED FAILED SKIPPED STATUS [REASON]
 *
 * PASSED and FAILED count CUnit *tests* (a test fails if any of its
 * asserts does), not asserts. SKIPPED counts tests that could not run
 * (the real build/paraos is missing): they are never registered, so never
 * counted as passed, and each prints a SKIP line.
 *
 *   unit-tests [--results FILE] [--paraos FILE]
 *
 * Exits 0 only if every registered test passed (and, through
 * ASAN_OPTIONS, LeakSanitizer found no leak).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>

#include "tests/unit/unit.h"

const char *unit_paraos_path = "build/paraos";

/*
 * The sanitizers run in recover mode (halt_on_error=0) and call these
 * hooks on every report; the per-test teardown turns a report into a
 * failure of the test that caused it, so one bad read in one test does
 * not abort the whole run and hide every other result.
 */
static volatile unsigned int sanitizer_reports;
static unsigned int reports_before;

void __asan_on_error(void);
void __ubsan_on_report(void);

void __asan_on_error(void)
{
	sanitizer_reports++;
}

void __ubsan_on_report(void)
{
	sanitizer_reports++;
}

static void before_test(void)
{
	reports_before = sanitizer_reports;
}

static void after_test(void)
{
	if (sanitizer_reports != reports_before)
		CU_FAIL("a sanitizer reported an error in this test (see above)");
}

static struct {
	const char *name;
	int (*fn)(void);
} suites[32];
static unsigned int nr_suites;

void unit_register_suite(const char *name, int (*fn)(void))
{
	for (unsigned int i = 0; i < nr_suites; i++)
		if (suites[i].fn == fn)
			return;		/* registered both ways, see main() */
	if (nr_suites == sizeof(suites) / sizeof(suites[0])) {
		fprintf(stderr, "unit: too many suites (%s)\n", name);
		exit(1);
	}
	suites[nr_suites].name = name;
	suites[nr_suites++].fn = fn;
}

CU_pSuite unit_add_suite(const char *name)
{
	return CU_add_suite_with_setup_and_teardown(name, NULL, NULL,
						    before_test, after_test);
}
static unsigned int skipped;
static char skip_reason[160];

void unit_skip(const char *test, const char *why)
{
	printf("SKIP: %s: %s\n", test, why);
	fflush(stdout);
	if (!skipped++)
		snprintf(skip_reason, sizeof(skip_reason), "%s", why);
}

void *unit_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc(size)) &&
	    fread(buf, 1, size, f) == (size_t)size) {
		*len = size;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static int write_results(const char *path, unsigned int passed,
			 unsigned int failed, const char *status)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		return -1;
	}
	fprintf(f, "unit %u %u %u %s%s%s\n", passed, failed, skipped, status,
		skipped ? " " : "", skipped ? skip_reason : "");
	return fclose(f);
}

int main(int argc, char **argv)
{
	const char *results = NULL;
	unsigned int run, failed, passed;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--results") && i + 1 < argc)
			results = argv[++i];
		else if (!strcmp(argv[i], "--paraos") && i + 1 < argc)
			unit_paraos_path = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--results FILE] [--paraos FILE]\n",
				argv[0]);
			return 2;
		}
	}

	if (CU_initialize_registry() != CUE_SUCCESS) {
		fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
		return 1;
	}
	for (unsigned int i = 0; i < nr_suites; i++) {
		if (suites[i].fn()) {
			fprintf(stderr, "CUnit: %s: %s\n", suites[i].name,
				CU_get_error_msg());
			CU_cleanup_registry();
			return 1;
		}
	}

	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	run = CU_get_number_of_tests_run();
	failed = CU_get_number_of_tests_failed();
	passed = run - failed;
	CU_cleanup_registry();

	if (sanitizer_reports)
		printf("\n%u sanitizer report(s): see above\n",
		       sanitizer_reports);
	printf("\n[unit] %u passed, %u failed", passed, failed);
	if (skipped)
		printf(", %u skipped (%s)", skipped, skip_reason);
	printf("\n");
	if (results && write_results(results, passed, failed,
				     failed ? "fail" : "ok"))
		return 1;
	return failed ? 1 : 0;
}
