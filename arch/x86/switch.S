/*
 * Kernel thread switch: the callee-saved registers on the old stack, the
 * stack pointer into *save_rsp, then the same in reverse from next_rsp.
 * Everything else is the caller's to save (the C ABI). Switches happen
 * with upcalls masked; each thread restores its own mask afterwards.
 */
	.text
	.globl	context_switch
context_switch:				/* (uint64_t *save_rsp, uint64_t next_rsp) */
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, (%rdi)
	mov	%rsi, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret

/* A new thread's first "return" lands here: call thread_start, aligned. */
	.globl	thread_trampoline
thread_trampoline:
	xor	%ebp, %ebp		/* terminates stack traces */
	and	$-16, %rsp
	call	thread_start
	ud2
