/*
 * Exception tables, as in XTF: code that expects a fault names the faulting
 * instruction and where to resume. The trap handler then records the fault
 * and resumes there with RAX = exinfo, so a test can assert *which* fault
 * happened (vector and error code), not just "something faulted".
 */
#ifndef ARCH_X86_EXTABLE_H
#define ARCH_X86_EXTABLE_H

#include <stdint.h>
#include <stdbool.h>

struct cpu_regs;

struct extable_entry {
	uint64_t fault, fixup;
};

#define _ASM_EXTABLE(fault, fixup)				\
	".pushsection .ex_table, \"a\"\n"			\
	".balign 8\n"						\
	".quad " #fault ", " #fixup "\n"			\
	".popsection\n"

/* exinfo: bit 63 = a fault happened, bits 32-39 vector, 0-31 error code. */
#define EXINFO_VALID		(1ull << 63)
#define EXINFO(vec, ec)		(EXINFO_VALID | ((uint64_t)(vec) << 32) | (uint32_t)(ec))
#define EXINFO_VEC(e)		((unsigned int)(((e) >> 32) & 0xff))
#define EXINFO_EC(e)		((uint32_t)(e))

/* CR2 of the last page fault that went through the exception table. */
extern uint64_t extable_last_cr2;

/* Returns true if regs->rip had an entry: regs now resume at its fixup. */
bool extable_fixup(struct cpu_regs *regs, uint64_t cr2);

/*
 * For a test whose fault has no address of ours to name (a hostile iret
 * frame, say): called first for every exception; true means handled, and
 * regs (the frame Xen gave us) say where to resume.
 */
extern bool (*trap_hook)(struct cpu_regs *regs, uint64_t cr2);

#endif
