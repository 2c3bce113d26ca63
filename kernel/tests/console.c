/* The console path, end to end. */
#include <xen/errno.h>
#include <xen/xen.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "xen/console.h"
#include "xen/start_info.h"

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
