/* How ParaOS stops: poweroff when all went well, crash otherwise. */
#include "arch/x86/regs.h"
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

/* The registers at the call to panic(): what a reader of the dump needs. */
static void snapshot(struct cpu_regs *r)
{
	asm volatile ("lea 0(%%rip), %0" : "=r" (r->rip));
	asm volatile ("mov %%rsp, %0" : "=r" (r->rsp));
	asm volatile ("mov %%rbp, %0" : "=r" (r->rbp));
	asm volatile ("mov %%rbx, %0" : "=r" (r->rbx));
	asm volatile ("mov %%r12, %0; mov %%r13, %1; mov %%r14, %2; mov %%r15, %3"
		      : "=r" (r->r12), "=r" (r->r13), "=r" (r->r14), "=r" (r->r15));
	asm volatile ("mov %%cs, %0; mov %%ss, %1" : "=r" (r->cs), "=r" (r->ss));
	asm volatile ("pushf; pop %0" : "=r" (r->rflags));
}

void panic(const char *fmt, ...)
{
	struct cpu_regs regs = { 0 };
	va_list ap;

	snapshot(&regs);

	kprintf("\nPANIC: ");
	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	dump_regs(&regs);
	backtrace();
	crash();
}
