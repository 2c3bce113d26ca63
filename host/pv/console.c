/*
 * HYPERVISOR_console_io (Xen: drivers/char/console.c). Xen's default XSM
 * policy lets only the console domain (here the initial domain) use it at
 * all: a domU gets -EPERM for every command in a release build, which is
 * what Debian ships (a debug build would log a domU's writes). The
 * initial domain writes straight to the console; a long write continues
 * as Xen's guest_console_write does.
 */
#include "host/pv/pv.h"

#include <xen/io/console.h>

long do_console_io(int cmd, unsigned int count, uint64_t buf)
{
	char chunk[127];		/* Xen's kbuf, less its NUL */
	unsigned int n = 0;

	if (!dom.is_dom0)
		return -EPERM;		/* xsm_console_io: XSM_PRIV for a domU */
	switch (cmd) {
	case CONSOLEIO_write:
		while (count) {
			if (n && hypercall_preempt_check())
				return hypercall_create_continuation(__HYPERVISOR_console_io, 3,
								     (uint64_t)CONSOLEIO_write,
								     (uint64_t)count, buf);
			n = count < sizeof(chunk) ? count : sizeof(chunk);
			if (copy_from_guest(chunk, buf, n))
				return -EFAULT;
			console_guest_write(chunk, n);
			buf += n;
			count -= n;
		}
		return 0;
	case CONSOLEIO_read:
		return 0;		/* no serial input */
	default:
		return -ENOSYS;
	}
}
