/* How ParaOS stops: poweroff when all went well, crash otherwise. */
#include "kernel/kernel.h"
#include "xen/console.h"
#include "xen/sched.h"

void poweroff(void)
{
	console_flush();
	xen_shutdown(SHUTDOWN_poweroff);
}

void crash(void)
{
	console_flush();
	xen_shutdown(SHUTDOWN_crash);
}

static void backtrace(void)
{
	const uint64_t *fp = __builtin_frame_address(0);

	kprintf("Call trace:\n");
	/* Frames live on our stack in the kernel half; stop at anything else. */
	for (int depth = 0; fp && depth < 16; depth++) {
		if ((uint64_t)fp < 0xffffffff80000000ull || ((uint64_t)fp & 7))
			break;
		kprintf("  [<%016lx>]\n", fp[1]);
		fp = (const uint64_t *)fp[0];
	}
}

void panic(const char *fmt, ...)
{
	va_list ap;

	kprintf("\nPANIC: ");
	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	backtrace();
	crash();
}
