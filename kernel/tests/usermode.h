/*
 * Guest user mode for tests: enter it with HYPERVISOR_iret (or from inside
 * a multicall), and come back when the user code traps. While a test runs
 * user code, the trap-table entries for #BP, #UD, #GP and #PF point at
 * stubs that record the trap and return to the kernel where user mode was
 * entered; user_mode_end() puts the normal entries back.
 */
#ifndef KERNEL_TESTS_USERMODE_H
#define KERNEL_TESTS_USERMODE_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/xen.h>

/* How user mode ended: the trap Xen delivered to the kernel. */
struct user_exit {
	uint64_t vector, error_code, rip, cs, rax;
};
extern struct user_exit user_exit;

/* User page tables (our own L4), kernel stack for traps, trap entries.
 * 0, or the first hypercall error. */
long user_mode_begin(void);
void user_mode_end(void);

/* Run at rip in user mode (stack: a page of ours) until it traps. */
void user_run(unsigned long rip);

/* A multicall issued with the stack holding an iret frame to rip in user
 * mode, as XTF's XSA-213 PoC: if the calls contain an iret, it uses that
 * frame. Returns the multicall's own result if it returned to the kernel,
 * with *returned set; else user mode ran and trapped (user_exit). */
long user_multicall(multicall_entry_t *calls, unsigned int nr, unsigned long rip,
		    uint64_t rax, bool *returned);

#endif
