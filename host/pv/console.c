/*
 * HYPERVISOR_console_io (Xen: drivers/char/console.c). Xen's default XSM
 * policy lets only the console domain (here the initial domain) use it at
 * all: a domU gets -EPERM for every command in a release build, which is
 * what Debian ships (a debug build would log a domU's writes). The
 * initial domain writes straight to the console; a long write continues
 * as Xen's guest_console_write does. Serial input goes to the initial
 * domain as Xen's does: into a 128-byte ring, with VIRQ_CONSOLE, read
 * back with CONSOLEIO_read.
 */
#include "host/pv/pv.h"

#include <xen/io/console.h>

#define SERIAL_RX_SIZE	128		/* Xen's */
static char serial_rx_ring[SERIAL_RX_SIZE];
static uint32_t serial_rx_cons, serial_rx_prod;

void console_io_input(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (serial_rx_prod - serial_rx_cons != SERIAL_RX_SIZE)
			serial_rx_ring[serial_rx_prod++ % SERIAL_RX_SIZE] = s[i];
	/* Always: so that a domain which missed one is never stuck (Xen's comment). */
	if (n)
		send_guest_virq(VIRQ_CONSOLE);
}

static long console_read(unsigned int count, uint64_t buf)
{
	long rc = 0;

	/* The result is a count or an error: they must not overlap. */
	if ((int)count < 0)
		return -E2BIG;
	while (serial_rx_cons != serial_rx_prod && rc < count) {
		uint32_t idx = serial_rx_cons % SERIAL_RX_SIZE;
		uint32_t len = serial_rx_prod - serial_rx_cons;

		if (idx + len > SERIAL_RX_SIZE)
			len = SERIAL_RX_SIZE - idx;
		if (rc + len > count)
			len = count - (uint32_t)rc;
		if (copy_to_guest(buf + (uint64_t)rc, &serial_rx_ring[idx], len))
			return -EFAULT;
		rc += len;
		serial_rx_cons += len;
	}
	return rc;
}

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
		return console_read(count, buf);
	default:
		return -ENOSYS;
	}
}
