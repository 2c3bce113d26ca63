#include "arch/x86/extable.h"
#include "arch/x86/regs.h"

extern const struct extable_entry __start_ex_table[], __stop_ex_table[];

uint64_t extable_last_cr2;

bool extable_fixup(struct cpu_regs *regs, uint64_t cr2)
{
	for (const struct extable_entry *e = __start_ex_table; e < __stop_ex_table; e++) {
		if (e->fault != regs->rip)
			continue;
		regs->rax = EXINFO(regs->vector, regs->error_code);
		regs->rip = e->fixup;
		/* A single-stepping test stops stepping where it resumes. */
		if (regs->vector == X86_EXC_DB)
			regs->rflags &= ~X86_EFLAGS_TF;
		if (regs->vector == X86_EXC_PF)
			extable_last_cr2 = cr2;
		return true;
	}
	return false;
}
