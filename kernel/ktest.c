#include "kernel/ktest.h"
#include "kernel/cmdline.h"
#include "lib/printf.h"
#include "xen/evtchn.h"

extern const struct ktest __start_ktests[], __stop_ktests[];

enum result { PASS, FAIL, SKIP };

static enum result result;
static char reason[160];

void ktest_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (result == FAIL)	/* keep the first reason: it is the cause */
		return;
	result = FAIL;
	va_start(ap, fmt);
	n = vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(reason))
		snprintf(reason + n, sizeof(reason) - n, " (%s:%d)", file, line);
}

void ktest_skip(const char *fmt, ...)
{
	va_list ap;

	if (result == FAIL)
		return;
	result = SKIP;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
}

bool ktest_failed(void)
{
	return result == FAIL;
}

/* "ktest=PART": only the tests whose group/name contains PART (debugging). */
static bool selected(const struct ktest *t, const char *only)
{
	char name[96];

	if (!only[0])
		return true;
	snprintf(name, sizeof(name), "%s/%s", t->group, t->name);
	return strstr(name, only) != NULL;
}

unsigned int ktest_run_all(void)
{
	unsigned int n = 0, passed = 0, failed = 0, skipped = 0;
	char only[64] = "";

	if (cmdline_get("ktest", only, sizeof(only)))
		kprintf("ktest: only the tests matching \"%s\"\n", only);
	for (const struct ktest *t = __start_ktests; t < __stop_ktests; t++) {
		if (!selected(t, only))
			continue;
		result = PASS;
		reason[0] = '\0';
		/*
		 * Every test starts as Xen starts a vCPU, upcalls masked: the
		 * tests of the raw ABI expect it, and the others turn them on
		 * themselves, or block, which turns them on while blocked.
		 */
		upcalls_off();
		t->fn();
		/*
		 * Between tests the kernel takes whatever events are waiting,
		 * as it would between any two pieces of work: a FIFO event a
		 * test left queued would otherwise keep its port busy.
		 */
		upcalls_on();
		upcalls_off();
		n++;
		switch (result) {
		case PASS:
			passed++;
			kprintf("ok %u %s/%s\n", n, t->group, t->name);
			break;
		case SKIP:
			skipped++;
			kprintf("ok %u %s/%s # SKIP %s\n", n, t->group, t->name, reason);
			break;
		case FAIL:
			failed++;
			kprintf("not ok %u %s/%s - %s\n", n, t->group, t->name, reason);
			break;
		}
	}
	if (skipped)
		kprintf("paraos: %u passed, %u failed, %u skipped\n", passed, failed, skipped);
	else
		kprintf("paraos: %u passed, %u failed\n", passed, failed);
	return failed;
}
