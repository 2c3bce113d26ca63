/* The console path, end to end. */
#include <xen/errno.h>
#include <xen/xen.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "xen/console.h"
#include "xen/start_info.h"
#include "xen/time.h"

KTEST(console, round_trip)
{
	static const char probe[] = "console: round-trip probe\n";

	if (!console_uses_ring()) {
		/* The initial domain: console_io must accept the bytes. */
		long rc = hypercall_console_io(CONSOLEIO_write, sizeof(probe) - 1, probe);

		KT_ASSERT_EQ(rc, 0, "CONSOLEIO_write");
		return;
	}
	/*
	 * A domU: the backend must consume what we publish. We write a line,
	 * then wait until its consumer index has caught up with our producer.
	 */
	console_write(probe, sizeof(probe) - 1);
	uint32_t target = console_produced();

	KT_ASSERT(console_flush(), "backend consumed %u of %u bytes",
		  console_consumed(), target);
	KT_ASSERT((int32_t)(console_consumed() - target) >= 0,
		  "consumer %u behind producer %u", console_consumed(), target);
}

/*
 * console_io beyond writing: a domU may do nothing with it in a release
 * build (XSM_PRIV); dom0 reads the (empty) console input and gets -ENOSYS
 * for a command that does not exist.
 */
KTEST(console, console_io_privileged)
{
	char buf[16];
	long rd = hypercall_console_io(CONSOLEIO_read, sizeof(buf), buf);
	long bad = hypercall_console_io(9, 0, buf);

	if (is_initial_domain()) {
		KT_ASSERT_EQ(rd, 0, "CONSOLEIO_read for dom0 (nothing typed)");
		KT_ASSERT_EQ(bad, -XEN_ENOSYS, "console_io command 9 for dom0");
	} else {
		KT_ASSERT_EQ(rd, -XEN_EPERM, "CONSOLEIO_read for a domU");
		KT_ASSERT_EQ(bad, -XEN_EPERM, "console_io command 9 for a domU");
	}
}

/*
 * Console input, end to end: we ask for a line, the harness types it
 * (tests/runvm.py --type-on, the xen-domu dom0 writes it to our console's
 * pty), it reaches us through the ring's in side (a domU) or console_io
 * (the initial domain), and the reader that blocked for it gets it whole.
 * The reader waits with no deadline, so the vCPU blocks with no timer at
 * all until the event; a watchdog ends the domain if nothing is ever
 * typed. The harness types what the prompt quotes, so a person at
 * `make run` can do the same.
 */
#define TYPED_LINE	"hello from the console"

KTEST(console, reads_a_typed_line)
{
	struct sched_watchdog wd = { .id = 0, .timeout = 120 };
	char line[64];
	long id = hypercall_sched_op(SCHEDOP_watchdog, &wd), n;

	KT_ASSERT(id > 0, "SCHEDOP_watchdog = %ld", id);
	kprintf("console: please type \"%s\" and Enter\n", TYPED_LINE);
	n = console_read_line(line, sizeof(line), 0);
	wd = (struct sched_watchdog){ .id = (uint32_t)id, .timeout = 0 };
	hypercall_sched_op(SCHEDOP_watchdog, &wd);
	kprintf("console: read \"%s\"\n", line);
	KT_ASSERT(n >= 0, "no line");
	KT_ASSERT(!strcmp(line, TYPED_LINE), "read \"%s\", expected \"%s\"", line, TYPED_LINE);
}
