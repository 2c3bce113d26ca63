/*
 * Start of day. Xen enters at _start in 64-bit mode, CPL 3, with event
 * upcalls masked, RSI = start_info and RSP = a bootstrap stack inside the
 * builder's region (which we will reclaim later). So the first thing is our
 * own stack.
 */
#include <xen/xen.h>

	.section .text.head, "ax"
	.globl _start
_start:
	/* The TSC first of all: boot time is measured from here (xen/time.h). */
	rdtsc
	mov	%eax, boot_entry_tsc(%rip)
	mov	%edx, boot_entry_tsc+4(%rip)
	cld
	mov	%rsp, boot_entry_rsp(%rip)	/* its page is reclaimed later */
	lea	boot_stack_top(%rip), %rsp
	xor	%ebp, %ebp		/* terminates stack traces */
	mov	%rsi, %rdi
	call	start_kernel
	ud2				/* start_kernel never returns */

/*
 * Xen (or parahost) writes the hypercall stubs here, 32 bytes each.
 * Until then it is int3s, so a call before the page is filled traps.
 */
	.section .text.hypercall_page, "ax"
	.balign 4096
	.globl hypercall_page
hypercall_page:
	.fill 4096, 1, 0xcc

	.data
	.balign 8
	.globl boot_entry_rsp
boot_entry_rsp:
	.quad 0

	.bss
	.balign 4096
boot_stack:
	.skip 16384
	.globl boot_stack_top
boot_stack_top:
