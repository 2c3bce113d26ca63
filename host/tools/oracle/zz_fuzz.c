/*
 * Hypercall fuzzing: random hypercall numbers and arguments from the guest
 * kernel; parahost must never panic (the guest may well hurt itself).
 * Build with -DFUZZ_SEED=... for other sequences.
 */
#ifndef FUZZ_SEED
#define FUZZ_SEED 0x9e3779b97f4a7c15ull
#endif
#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "xen/start_info.h"

static uint64_t rng = FUZZ_SEED;
static uint64_t rnd(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }
static uint8_t scratch[3 * 4096] __attribute__((aligned(4096)));

static uint64_t arg(void)
{
	switch (rnd() % 12) {
	case 0: return 0;
	case 1: return rnd() % 16;
	case 2: return (uint64_t)-1;
	case 3: return (uint64_t)(scratch + (rnd() % sizeof(scratch)));
	case 4: return (uint64_t)scratch;
	case 5: return 0xffff800000000000ull + (rnd() % 0x100000);
	case 6: return 0xffff820000000000ull + (rnd() % 0x10000);
	case 7: return 0x1000;
	case 8: return 0x8000000000000000ull;
	case 9: return rnd();
	case 10: return 0xffffffff80000000ull + (rnd() % 0x40000);
	default: return rnd() & 0xffffffff;
	}
}

static long hc5(unsigned long nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
	long r;
	register uint64_t r10 asm("r10") = d;
	register uint64_t r8 asm("r8") = e;
	asm volatile("syscall" : "=a"(r), "+D"(a), "+S"(b), "+d"(c), "+r"(r10), "+r"(r8)
		     : "a"(nr) : "rcx", "r11", "memory");
	return r;
}

KTEST(zzz, fuzz_hypercalls)
{
	unsigned long n = 0;
	for (unsigned int i = 0; i < 20000; i++) {
		unsigned long nr = rnd() % 64;
		for (unsigned int j = 0; j < sizeof(scratch) / 8; j++)
			((uint64_t *)scratch)[j] = (rnd() % 4) ? rnd() : 0;
		/* Keep the run going: no iret, no shutdown/block/poll, no new trap table or callbacks,
		 * no stack_switch, no set_segment_base, no update_va_mapping/mmu ops on our own mappings
		 * are excluded: those may legitimately kill us, which is fine but ends the run early. */
		if (nr == __HYPERVISOR_iret || nr == __HYPERVISOR_set_trap_table || nr == __HYPERVISOR_set_callbacks ||
		    nr == __HYPERVISOR_sched_op || nr == __HYPERVISOR_sched_op_compat || nr == __HYPERVISOR_stack_switch ||
		    nr == __HYPERVISOR_set_segment_base || nr == __HYPERVISOR_callback_op || nr == __HYPERVISOR_set_timer_op ||
		    nr == __HYPERVISOR_vcpu_op || nr == __HYPERVISOR_multicall || nr == __HYPERVISOR_fpu_taskswitch || nr == __HYPERVISOR_console_io)
			continue;
		uint64_t a = arg(), b = arg(), c = arg(), d = arg(), e = arg();
		/* Do not unmap or remap our own kernel: only the scratch buffer area in mmu ops is fair game. */
		if (nr == __HYPERVISOR_update_va_mapping || nr == __HYPERVISOR_mmu_update || nr == __HYPERVISOR_mmuext_op)
			continue;
		if (nr == __HYPERVISOR_mmu_update || nr == __HYPERVISOR_mmuext_op || nr == __HYPERVISOR_set_gdt ||
		    nr == __HYPERVISOR_update_descriptor || nr == __HYPERVISOR_physdev_op || nr == __HYPERVISOR_vm_assist ||
		    nr == __HYPERVISOR_event_channel_op || nr == __HYPERVISOR_nmi_op || nr == __HYPERVISOR_grant_table_op ||
		    nr == __HYPERVISOR_set_debugreg)
			if (rnd() % 2) continue;
		hc5(nr, a, b, c, d, e);
		n++;
	}
	kprintf("fuzz: %lu hypercalls survived\n", n);
	shared_info->vcpu_info[0].evtchn_upcall_mask = 1;
}
