/*
 * The in-guest test suite. A test is a function registered with KTEST();
 * the runner calls them in link order (grouped by file), prints one line
 * each, in TAP style:
 *
 *     ok 3 traps/page_fault_read
 *     not ok 4 traps/cli - expected #GP(0), got no fault
 *     ok 5 console/round_trip # SKIP reason
 *
 * and ends with "paraos: N passed, N failed[, N skipped]".
 */
#ifndef KERNEL_KTEST_H
#define KERNEL_KTEST_H

#include "kernel/kernel.h"

struct ktest {
	const char *group, *name;
	void (*fn)(void);
};

#define KTEST(group_, name_)						\
	static void ktest_##group_##_##name_(void);			\
	static const struct ktest ktest_desc_##group_##_##name_		\
	__attribute__((used, section(".ktests"), aligned(8))) = {	\
		#group_, #name_, ktest_##group_##_##name_		\
	};								\
	static void ktest_##group_##_##name_(void)

/* Mark the running test failed with a reason; the test should return. */
void ktest_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Mark the running test skipped (never counted as a pass). */
void ktest_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool ktest_failed(void);

#define KT_FAIL(...)	ktest_fail(__FILE__, __LINE__, __VA_ARGS__)

#define KT_ASSERT(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			KT_FAIL(__VA_ARGS__);				\
			return;						\
		}							\
	} while (0)

/* Compare two integers; on mismatch, say both values and return. */
#define KT_ASSERT_EQ(actual, expected, what)				\
	do {								\
		uint64_t a_ = (uint64_t)(actual), e_ = (uint64_t)(expected); \
		if (a_ != e_) {						\
			KT_FAIL("%s: got %#lx, expected %#lx", what, a_, e_); \
			return;						\
		}							\
	} while (0)

/* Runs every test; returns the number that failed. */
unsigned int ktest_run_all(void);

#endif
