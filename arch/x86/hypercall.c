#include "arch/x86/hypercall.h"

/*
 * A hypercall whose number is only known at run time (tests probing
 * numbers Xen does not implement). The stub address is computed, so this
 * is an indirect call; everything else uses the typed wrappers.
 */
unsigned long hypercall_count;

long hypercall_raw(unsigned int nr, unsigned long a1, unsigned long a2)
{
	long res;

	hypercall_count++;
	if (nr >= sizeof(hypercall_page) / 32)
		return -1;
	asm volatile ("call *%[stub]"
		      : "=a" (res), "+D" (a1), "+S" (a2)
		      : [stub] "r" (hypercall_page + nr * 32)
		      : "rdx", "r8", "r10", "memory");
	return res;
}
