/*
 * Hypercall numbers: what Xen 4.17 answers a 64-bit PV domU (and dom0
 * where that differs) when called with every argument 0, for the numbers
 * where that changes nothing: unimplemented ones are -ENOSYS, the others
 * refuse the NULL argument. Also: a SYSCALL from the kernel outside the
 * hypercall page is a hypercall too, returning as SYSRET does.
 */
#include <xen/errno.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "kernel/tests/capture.h"
#include "mm/p2m.h"
#include "xen/start_info.h"

/* Through the page, every argument register 0. */
static long hc_zero(unsigned int nr)
{
	register long r10 asm("r10") = 0, r8 asm("r8") = 0;
	long rdi = 0, rsi = 0, rdx = 0, res;

	asm volatile ("call *%[stub]"
		      : "=a" (res), "+D" (rdi), "+S" (rsi), "+d" (rdx), "+r" (r10), "+r" (r8)
		      : [stub] "r" (hypercall_page + nr * 32) : "memory");
	return res;
}

#define DOMU_DOM0(domu, dom0)	(is_initial_domain() ? (dom0) : (domu))

/*
 * Not here: 31 (xenoprof_op) and 49 (paging_domctl_cont), which Xen
 * answers -EFAULT and parahost -ENOSYS so far; numbers whose zero
 * arguments do something (set_trap_table, the MMU ops, iret, ...), and
 * the toolstack's (platform_op, kexec_op, dm_op; sysctl and domctl below).
 */
KTEST(hypercall, refusals)
{
	static const struct { uint8_t nr; long domu, dom0; } want[] = {
		{ 11, -XEN_ENOSYS, -XEN_ENOSYS },	/* unused */
		{ __HYPERVISOR_grant_table_op, 0, 0 },	/* count 0 */
		{ __HYPERVISOR_xsm_op, -XEN_ENOSYS, -XEN_ENOSYS },	/* no XSM */
		{ __HYPERVISOR_nmi_op, -XEN_EFAULT, -XEN_EFAULT },
		{ __HYPERVISOR_callback_op, -XEN_EFAULT, -XEN_EFAULT },
		{ __HYPERVISOR_event_channel_op, -XEN_EFAULT, -XEN_EFAULT },
		{ __HYPERVISOR_physdev_op, -XEN_ENOSYS, -XEN_ENOSYS },	/* no sub-op 0 */
		{ __HYPERVISOR_hvm_op, -XEN_EFAULT, -XEN_EFAULT },
		{ __HYPERVISOR_tmem_op, -XEN_ENOSYS, -XEN_ENOSYS },
		{ __HYPERVISOR_argo_op, -XEN_ENOSYS, -XEN_ENOSYS },
		{ __HYPERVISOR_xenpmu_op, -XEN_EOPNOTSUPP, -XEN_EOPNOTSUPP },
		{ __HYPERVISOR_hypfs_op, -XEN_EPERM, 1 },	/* dom0: get_version */
		{ __HYPERVISOR_arch_0, -XEN_EPERM, -XEN_EFAULT },	/* machine check */
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(want); i++) {
		long rc = hc_zero(want[i].nr);

		KT_ASSERT(rc == DOMU_DOM0(want[i].domu, want[i].dom0), "hypercall %u: %ld, Xen %ld",
			  want[i].nr, rc, DOMU_DOM0(want[i].domu, want[i].dom0));
	}
}

KTEST(hypercall, unknown_subops)
{
	KT_ASSERT_EQ(hypercall_raw(__HYPERVISOR_physdev_op, 99, 0), -XEN_ENOSYS, "physdev_op 99");
}

KTEST(hypercall, unimplemented_numbers)
{
	/* 43-47 and 50-63 are free in 4.17; the page has 128 slots, Xen 64 calls. */
	for (unsigned int nr = 43; nr < PAGE_SIZE / 32; nr++) {
		long rc;

		if (nr == __HYPERVISOR_arch_0 || nr == __HYPERVISOR_arch_1)
			continue;
		rc = hc_zero(nr);
		KT_ASSERT(rc == -XEN_ENOSYS, "hypercall %u: %ld, Xen -ENOSYS", nr, rc);
	}
}

/* SYSCALL with RAX = nr from the kernel, flags known: result, RCX, R11. */
static long direct_syscall(unsigned long nr, uint64_t *rcx, uint64_t *r11, uint64_t *next)
{
	long res;

	asm volatile ("xor %%edi, %%edi; xor %%esi, %%esi; lea 1f(%%rip), %%rdx\n"
		      "mov %%rdx, %[next]; push $0x8d5; popf; syscall\n1:"
		      : "=a" (res), "=c" (*rcx), "=r" (*r11), [next] "=m" (*next)
		      : "a" (nr) : "rdi", "rsi", "rdx", "r8", "r10", "memory");
	asm volatile ("mov %%r11, %0" : "=r" (*r11));
	return res;
}

KTEST(hypercall, direct_syscall)
{
	uint64_t rcx, r11, next;
	long v = direct_syscall(__HYPERVISOR_xen_version, &rcx, &r11, &next);

	KT_ASSERT_EQ(v, 4 << 16 | 17, "xen_version by a direct SYSCALL");
	KT_ASSERT_EQ(rcx, next, "RCX: the instruction after the SYSCALL");
	KT_ASSERT_EQ(r11, PROBE_FLAGS | X86_EFLAGS_IF | X86_EFLAGS_MBS, "R11: RFLAGS as at the SYSCALL");
	KT_ASSERT_EQ(direct_syscall(1000, &rcx, &r11, &next), -XEN_ENOSYS, "hypercall 1000");
}

/*
 * The toolstack's sysctl and domctl, from a domU: Xen reads the argument
 * (-EFAULT), checks its interface version (-EACCES), and XSM refuses the
 * rest: -EPERM, a domctl on DOMID_SELF included. The versions are
 * libxen-dev's 4.17 ones (0x15 both).
 */
KTEST(hypercall, toolstack_ops_refused)
{
	static uint32_t op[1024] __attribute__((aligned(4096)));

	if (is_initial_domain()) {
		ktest_skip("initial domain: it is the toolstack, these are its calls");
		return;
	}
	KT_ASSERT_EQ(hypercall_raw(__HYPERVISOR_sysctl, 0, 0), -XEN_EFAULT, "sysctl(NULL)");
	KT_ASSERT_EQ(hypercall_raw(__HYPERVISOR_domctl, 0, 0), -XEN_EFAULT, "domctl(NULL)");
	op[0] = 1;		/* readconsole / createdomain */
	op[1] = 0x14;		/* an older interface */
	KT_ASSERT_EQ(hypercall_raw(__HYPERVISOR_sysctl, (unsigned long)op, 0), -XEN_EACCES,
		     "sysctl, old version");
	KT_ASSERT_EQ(hypercall_raw(__HYPERVISOR_domctl, (unsigned long)op, 0), -XEN_EACCES,
		     "domctl, old version");
	op[1] = 0x15;
	KT_ASSERT_EQ(hypercall_raw(__HYPERVISOR_sysctl, (unsigned long)op, 0), -XEN_EPERM, "sysctl");
	op[2] = DOMID_SELF;
	KT_ASSERT_EQ(hypercall_raw(__HYPERVISOR_domctl, (unsigned long)op, 0), -XEN_EPERM,
		     "domctl on DOMID_SELF");
	op[2] = 0;		/* domain 0, which exists */
	KT_ASSERT_EQ(hypercall_raw(__HYPERVISOR_domctl, (unsigned long)op, 0), -XEN_EPERM,
		     "domctl on domain 0");
}
