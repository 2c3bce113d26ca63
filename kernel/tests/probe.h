/*
 * Shared by the test files: touch memory in a way that may fault, and say
 * which fault it was (exception tables, arch/x86/extable.h).
 */
#ifndef KERNEL_TESTS_PROBE_H
#define KERNEL_TESTS_PROBE_H

#include "arch/x86/extable.h"
#include "arch/x86/regs.h"
#include "kernel/ktest.h"

/* 0 if the access went through, else the exinfo of its fault. */
static inline uint64_t probe_read(unsigned long va)
{
	uint64_t exinfo = 0, value;

	asm volatile ("1: mov (%[va]), %[val]; 2:\n" _ASM_EXTABLE(1b, 2b)
		      : "+a" (exinfo), [val] "=r" (value) : [va] "r" (va) : "memory");
	return exinfo;
}

static inline uint64_t probe_write(unsigned long va, uint8_t value)
{
	uint64_t exinfo = 0;

	asm volatile ("1: movb %[v], (%[va]); 2:\n" _ASM_EXTABLE(1b, 2b)
		      : "+a" (exinfo) : [va] "r" (va), [v] "r" (value) : "memory");
	return exinfo;
}

/* exinfo of the RDMSR's fault, or 0 with *val the value read. */
static inline uint64_t probe_rdmsr(uint32_t msr, uint64_t *val)
{
	uint64_t exinfo = 0;
	uint32_t hi = 0;

	asm volatile ("1: rdmsr; 2:\n" _ASM_EXTABLE(1b, 2b)
		      : "+a" (exinfo), "+d" (hi) : "c" (msr) : "memory");
	if (exinfo & EXINFO_VALID)
		return exinfo;
	*val = ((uint64_t)hi << 32) | (uint32_t)exinfo;
	return 0;
}

static inline uint64_t probe_wrmsr(uint32_t msr, uint64_t val)
{
	uint64_t exinfo = 0;

	asm volatile ("mov %[lo], %%eax; 1: wrmsr; 2:\n" _ASM_EXTABLE(1b, 2b)
		      : "+a" (exinfo)
		      : "c" (msr), [lo] "r" ((uint32_t)val), "d" ((uint32_t)(val >> 32))
		      : "memory");
	/* No fault leaves RAX = the low half we loaded: not an exinfo. */
	return exinfo & EXINFO_VALID ? exinfo : 0;
}

/* Fail the test unless exinfo is exactly fault vec with error code ec. */
#define KT_ASSERT_FAULT(exinfo, vec, ec)				\
	do {								\
		uint64_t got_ = (exinfo);				\
		KT_ASSERT(got_ & EXINFO_VALID, "expected %s(%#x), got no fault", \
			  exception_name(vec), (unsigned int)(ec));	\
		KT_ASSERT(got_ == EXINFO(vec, ec),			\
			  "expected %s(%#x), got vector %u error code %#x", \
			  exception_name(vec), (unsigned int)(ec),	\
			  EXINFO_VEC(got_), EXINFO_EC(got_));		\
	} while (0)

#endif
