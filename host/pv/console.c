/*
 * HYPERVISOR_console_io (Xen: drivers/char/console.c). A domU's writes go
 * to Xen's log with a "(dN) " prefix (shown with guest_loglvl=all); the
 * initial domain writes straight to the console. Reading is for the
 * initial domain only.
 */
#include "host/pv/pv.h"

#include <xen/io/console.h>

long do_console_io(int cmd, unsigned long count, uint64_t buf)
{
	static bool line_start = true;
	char chunk[128];

	switch (cmd) {
	case CONSOLEIO_write:
		while (count) {
			unsigned long n = count < sizeof(chunk) ? count : sizeof(chunk);

			if (copy_from_guest(chunk, buf, n))
				return -EFAULT;
			for (unsigned long i = 0; i < n; i++) {
				if (!dom.is_dom0 && line_start) {
					char pfx[8];
					int l = snprintf(pfx, sizeof(pfx), "(d%u) ", dom.domid);

					console_guest_write(pfx, (size_t)l);
				}
				console_guest_write(&chunk[i], 1);
				line_start = chunk[i] == '\n';
			}
			buf += n;
			count -= n;
		}
		return 0;
	case CONSOLEIO_read:
		if (!dom.is_dom0)
			return -EPERM;
		return 0;	/* no serial input */
	default:
		/* Xen's XSM check comes first: anything but write is privileged. */
		return dom.is_dom0 ? -ENOSYS : -EPERM;
	}
}
