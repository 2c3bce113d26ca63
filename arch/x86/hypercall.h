/*
 * Typed hypercall wrappers. The 64-bit PV convention: call the 32-byte stub
 * for hypercall N in the hypercall page, arguments in RDI, RSI, RDX, R10,
 * R8; result in RAX. The stubs preserve RCX/R11 around SYSCALL, but Xen may
 * clobber argument registers, hence the "+" constraints.
 */
#ifndef ARCH_X86_HYPERCALL_H
#define ARCH_X86_HYPERCALL_H

#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/sched.h>
#include <xen/event_channel.h>
#include <xen/version.h>
#include <xen/memory.h>
#include <xen/vcpu.h>
#include <xen/physdev.h>
#include <xen/grant_table.h>

extern char hypercall_page[4096];

/* Every hypercall made through these wrappers; for benchmarks. */
extern unsigned long hypercall_count;

#define HYPERCALL_STUB	"call hypercall_page + %c[stub]"
#define STUB(nr)	[stub] "i" ((nr) * 32)

#define _hypercall0(nr)							\
({									\
	long _res;							\
	hypercall_count++;						\
	asm volatile (HYPERCALL_STUB				\
		      : "=a" (_res) : STUB(nr) : "memory");			\
	_res;								\
})

#define _hypercall1(nr, a1)						\
({									\
	long _res, _a1 = (long)(a1);					\
	hypercall_count++;						\
	asm volatile (HYPERCALL_STUB				\
		      : "=a" (_res), "+D" (_a1) : STUB(nr) : "memory");		\
	_res;								\
})

#define _hypercall2(nr, a1, a2)						\
({									\
	long _res, _a1 = (long)(a1), _a2 = (long)(a2);			\
	hypercall_count++;						\
	asm volatile (HYPERCALL_STUB				\
		      : "=a" (_res), "+D" (_a1), "+S" (_a2)		\
		      : STUB(nr) : "memory");					\
	_res;								\
})

#define _hypercall3(nr, a1, a2, a3)					\
({									\
	long _res, _a1 = (long)(a1), _a2 = (long)(a2),			\
		_a3 = (long)(a3);					\
	hypercall_count++;						\
	asm volatile (HYPERCALL_STUB				\
		      : "=a" (_res), "+D" (_a1), "+S" (_a2), "+d" (_a3)	\
		      : STUB(nr) : "memory");					\
	_res;								\
})

#define _hypercall4(nr, a1, a2, a3, a4)					\
({									\
	long _res, _a1 = (long)(a1), _a2 = (long)(a2),			\
		_a3 = (long)(a3);					\
	register long _a4 asm("r10") = (long)(a4);			\
	hypercall_count++;						\
	asm volatile (HYPERCALL_STUB				\
		      : "=a" (_res), "+D" (_a1), "+S" (_a2), "+d" (_a3),\
			"+r" (_a4)					\
		      : STUB(nr) : "memory");					\
	_res;								\
})

static inline long hypercall_set_trap_table(const struct trap_info *table)
{
	return _hypercall1(__HYPERVISOR_set_trap_table, table);
}

static inline long hypercall_mmu_update(mmu_update_t *req, unsigned int count,
					unsigned int *done, domid_t dom)
{
	return _hypercall4(__HYPERVISOR_mmu_update, req, count, done, dom);
}

static inline long hypercall_set_callbacks(unsigned long event,
					   unsigned long failsafe,
					   unsigned long syscall)
{
	return _hypercall3(__HYPERVISOR_set_callbacks, event, failsafe, syscall);
}

static inline long hypercall_memory_op(unsigned int cmd, void *arg)
{
	return _hypercall2(__HYPERVISOR_memory_op, cmd, arg);
}

static inline long hypercall_multicall(multicall_entry_t *calls,
					unsigned int count)
{
	return _hypercall2(__HYPERVISOR_multicall, calls, count);
}

static inline long hypercall_update_va_mapping(unsigned long va, uint64_t pte,
					       unsigned long flags)
{
	return _hypercall3(__HYPERVISOR_update_va_mapping, va, pte, flags);
}

static inline long hypercall_xen_version(int cmd, void *arg)
{
	return _hypercall2(__HYPERVISOR_xen_version, cmd, arg);
}

static inline long hypercall_console_io(int cmd, unsigned int count,
					const char *buf)
{
	return _hypercall3(__HYPERVISOR_console_io, cmd, count, buf);
}

static inline long hypercall_vcpu_op(int cmd, unsigned int vcpu, void *arg)
{
	return _hypercall3(__HYPERVISOR_vcpu_op, cmd, vcpu, arg);
}

static inline long hypercall_mmuext_op(struct mmuext_op *op, unsigned int count,
				       unsigned int *done, domid_t dom)
{
	return _hypercall4(__HYPERVISOR_mmuext_op, op, count, done, dom);
}

static inline long hypercall_sched_op(int cmd, void *arg)
{
	return _hypercall2(__HYPERVISOR_sched_op, cmd, arg);
}

static inline long hypercall_event_channel_op(int cmd, void *arg)
{
	return _hypercall2(__HYPERVISOR_event_channel_op, cmd, arg);
}

static inline long hypercall_set_gdt(const xen_pfn_t *frames, unsigned int entries)
{
	return _hypercall2(__HYPERVISOR_set_gdt, frames, entries);
}

static inline long hypercall_update_descriptor(uint64_t maddr, uint64_t desc)
{
	return _hypercall2(__HYPERVISOR_update_descriptor, maddr, desc);
}

static inline long hypercall_stack_switch(unsigned long ss, unsigned long sp)
{
	return _hypercall2(__HYPERVISOR_stack_switch, ss, sp);
}

static inline long hypercall_set_debugreg(unsigned int reg, unsigned long value)
{
	return _hypercall2(__HYPERVISOR_set_debugreg, reg, value);
}

/* The register's value, or -ENODEV for a register that does not exist. */
static inline long hypercall_get_debugreg(unsigned int reg)
{
	return _hypercall1(__HYPERVISOR_get_debugreg, reg);
}

/* Absolute system time in ns; 0 stops the timer. */
static inline long hypercall_set_timer_op(uint64_t deadline)
{
	return _hypercall1(__HYPERVISOR_set_timer_op, deadline);
}

static inline long hypercall_set_segment_base(unsigned int which,
					      unsigned long base)
{
	return _hypercall2(__HYPERVISOR_set_segment_base, which, base);
}

static inline long hypercall_physdev_op(int cmd, void *arg)
{
	return _hypercall2(__HYPERVISOR_physdev_op, cmd, arg);
}

static inline long hypercall_grant_table_op(unsigned int cmd, void *ops,
					    unsigned int count)
{
	return _hypercall3(__HYPERVISOR_grant_table_op, cmd, ops, count);
}

/* Any hypercall by number, for tests that probe unimplemented ones. */
long hypercall_raw(unsigned int nr, unsigned long a1, unsigned long a2);

#endif
