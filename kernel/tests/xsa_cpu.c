/*
 * XSAs about CPU state a PV kernel reaches through hypercalls and emulated
 * instructions: FPU, debug registers, XCR0, segment bases, MSRs, version
 * strings, int $0x80. Each test asserts what Xen 4.17 with every fix
 * answers (docs/xsa.md says what the guest could do before the fix).
 */
#include <xen/errno.h>
#include <xen/version.h>

#include "arch/x86/extable.h"
#include "arch/x86/hypercall.h"
#include "arch/x86/regs.h"
#include "kernel/ktest.h"
#include "kernel/tests/probe.h"
#include "xen/start_info.h"

#define NON_CANONICAL	0x8000000000000000ul

static uint64_t probe_xsetbv(uint32_t index, uint64_t val)
{
	uint64_t exinfo = 0;

	asm volatile ("mov %[lo], %%eax; 1: xsetbv; 2:\n" _ASM_EXTABLE(1b, 2b)
		      : "+a" (exinfo)
		      : "c" (index), [lo] "r" ((uint32_t)val), "d" ((uint32_t)(val >> 32))
		      : "memory");
	return exinfo & EXINFO_VALID ? exinfo : 0;
}

static uint64_t probe_xgetbv(uint64_t *val)
{
	uint64_t exinfo = 0;
	uint32_t hi = 0;

	asm volatile ("1: xgetbv; 2:\n" _ASM_EXTABLE(1b, 2b)
		      : "+a" (exinfo), "+d" (hi) : "c" (0) : "memory");
	if (exinfo & EXINFO_VALID)
		return exinfo;
	*val = ((uint64_t)hi << 32) | (uint32_t)exinfo;
	return 0;
}

/* The guest-visible CR4 (Xen emulates the read for the kernel). */
static uint64_t read_cr4(uint64_t *exinfo)
{
	uint64_t cr4 = 0;

	*exinfo = 0;
	asm volatile ("1: mov %%cr4, %[cr4]; 2:\n" _ASM_EXTABLE(1b, 2b)
		      : "+a" (*exinfo), [cr4] "+r" (cr4));
	return cr4;
}

/*
 * XSA-165: the first FPU use of a vCPU used to see the registers of
 * whoever ran before. Xen now starts every vCPU from the architectural
 * reset state. This must be the suite's first FPU use, hence first here
 * (the kernel is built without SSE and never touches the FPU itself).
 */
KTEST(xsa, xsa_165_fpu_initial_state)
{
	static uint8_t area[512] __attribute__((aligned(16)));
	uint16_t fcw, fsw;
	uint32_t mxcsr;

	asm volatile ("fxsave %0" : "=m" (area));
	memcpy(&fcw, &area[0], 2);
	memcpy(&fsw, &area[2], 2);
	memcpy(&mxcsr, &area[24], 4);
	KT_ASSERT_EQ(fcw, 0x37f, "FCW at first use");
	KT_ASSERT_EQ(fsw, 0, "FSW at first use");
	KT_ASSERT_EQ(area[4], 0, "abridged FTW at first use (all empty)");
	KT_ASSERT_EQ(mxcsr, 0x1f80, "MXCSR at first use");
	/* FOP, FIP, FDP, then ST0-7 and XMM0-15: all zero. */
	for (unsigned int i = 6; i < 24; i++)
		KT_ASSERT(area[i] == 0, "x87 pointer byte %u is %#x", i, area[i]);
	for (unsigned int i = 32; i < 416; i++)
		KT_ASSERT(area[i] == 0, "register byte %u (%s%u) is %#x", i,
			  i < 160 ? "ST" : "XMM", i < 160 ? (i - 32) / 16 : (i - 160) / 16,
			  area[i]);
}

/*
 * XSA-12: the upper half of DR7 went into the real register. Xen checks
 * every debug register write: reserved bits -EINVAL, a valid but
 * forbidden bit (GD) -EPERM, and a refused write changes nothing.
 */
KTEST(xsa, xsa_012_debugreg_reserved_bits)
{
	long dr7 = hypercall_get_debugreg(7), dr6 = hypercall_get_debugreg(6);

	KT_ASSERT(dr7 >= 0 && dr6 >= 0, "get_debugreg: dr7 %ld dr6 %ld", dr7, dr6);
	KT_ASSERT_EQ(hypercall_set_debugreg(7, 1ul << 32), -XEN_EINVAL, "DR7 bit 32");
	KT_ASSERT_EQ(hypercall_set_debugreg(7, ~0ul << 32), -XEN_EINVAL, "DR7 bits 32-63");
	KT_ASSERT_EQ(hypercall_set_debugreg(6, 1ul << 40), -XEN_EINVAL, "DR6 bit 40");
	KT_ASSERT_EQ(hypercall_set_debugreg(7, 1ul << 13), -XEN_EPERM, "DR7.GD");
	KT_ASSERT_EQ(hypercall_get_debugreg(7), dr7, "DR7 after the refused writes");
	KT_ASSERT_EQ(hypercall_get_debugreg(6), dr6, "DR6 after the refused write");
}

/*
 * XSA-444 (CVE-2023-34328): breakpoints were allowed on Xen's per-domain
 * area (the XLAT area next to the live GDT). Any address inside Xen's range
 * is -EPERM now; the guest's own halves of the address space are fine.
 */
KTEST(xsa, xsa_444_breakpoint_in_xen_area)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) gdtr;
	unsigned long xlat;
	long dr0 = hypercall_get_debugreg(0);

	asm volatile ("sgdt %0" : "=m" (gdtr));
	/* As XTF's PoC: 2 GiB into the 512 GiB slot that holds the GDT. */
	xlat = (gdtr.base & ~((1ul << 39) - 1)) + 0x80000000ul;
	KT_ASSERT(gdtr.base >= HYPERVISOR_VIRT_START && gdtr.base < HYPERVISOR_VIRT_END,
		  "GDT base %#lx is not in Xen's range", gdtr.base);
	KT_ASSERT_EQ(hypercall_set_debugreg(0, xlat), -XEN_EPERM, "DR0 on the XLAT area");
	KT_ASSERT_EQ(hypercall_set_debugreg(0, gdtr.base), -XEN_EPERM, "DR0 on the GDT");
	KT_ASSERT_EQ(hypercall_set_debugreg(0, HYPERVISOR_VIRT_START), -XEN_EPERM,
		     "DR0 at HYPERVISOR_VIRT_START");
	KT_ASSERT_EQ(hypercall_set_debugreg(3, NON_CANONICAL), -XEN_EPERM,
		     "DR3 non-canonical");
	KT_ASSERT_EQ(hypercall_get_debugreg(0), dr0, "DR0 after the refused writes");
	KT_ASSERT_EQ(hypercall_set_debugreg(0, HYPERVISOR_VIRT_END), 0,
		     "DR0 at the start of the guest kernel's range");
	KT_ASSERT_EQ(hypercall_set_debugreg(0, 0x00007ffffffff000ul), 0,
		     "DR0 at the top of the lower half");
	KT_ASSERT_EQ(hypercall_set_debugreg(0, dr0), 0, "DR0 restored");
}

/*
 * XSA-54: XSETBV with an XCR0 the CPU refuses faulted inside Xen. Xen
 * checks the value and hands the guest its #GP(0); with the guest's
 * CR4.OSXSAVE clear the instruction is #UD, as on hardware.
 */
KTEST(xsa, xsa_054_xsetbv_invalid)
{
	uint64_t exinfo, cr4 = read_cr4(&exinfo);
	uint64_t xcr0 = 0, xgetbv_fault = probe_xgetbv(&xcr0);

	KT_ASSERT_EQ(exinfo, 0, "reading CR4");
	if (!(cr4 & (1ul << 18))) {
		/* Writing back what is there, in case a hypervisor accepts it. */
		KT_ASSERT_FAULT(probe_xsetbv(0, xgetbv_fault ? 1 : xcr0), X86_EXC_UD, 0);
		return;
	}
	KT_ASSERT_EQ(xgetbv_fault, 0, "XGETBV with CR4.OSXSAVE set");
	KT_ASSERT(xcr0 & 1, "XCR0 %#lx without x87", xcr0);
	KT_ASSERT_FAULT(probe_xsetbv(0, 0), X86_EXC_GP, 0);		/* no x87 */
	KT_ASSERT_FAULT(probe_xsetbv(0, xcr0 & ~2ul), X86_EXC_GP, 0);	/* AVX w/o SSE */
	KT_ASSERT_FAULT(probe_xsetbv(0, xcr0 | (1ul << 62)), X86_EXC_GP, 0);
	KT_ASSERT_FAULT(probe_xsetbv(1, xcr0), X86_EXC_GP, 0);		/* no XCR1 write */
	{
		uint64_t now = 0;

		KT_ASSERT_EQ(probe_xgetbv(&now), 0, "XGETBV");
		KT_ASSERT_EQ(now, xcr0, "XCR0 after the refused writes");
	}
	KT_ASSERT_EQ(probe_xsetbv(0, xcr0), 0, "writing XCR0's own value back");
}

/*
 * XSA-193: segment base writes lacked canonical checks, so Xen could load
 * a non-canonical base (and #GP on its own return path). Now the
 * hypercall says -EINVAL and the emulated WRMSR gives the guest #GP(0).
 */
KTEST(xsa, xsa_193_segment_base_canonical)
{
	static const uint32_t msrs[] = { 0xc0000100, 0xc0000101, 0xc0000102 };
	uint64_t before[3];

	for (unsigned int i = 0; i < 3; i++)
		KT_ASSERT_EQ(probe_rdmsr(msrs[i], &before[i]), 0, "reading a base MSR");
	KT_ASSERT_EQ(hypercall_set_segment_base(SEGBASE_FS, NON_CANONICAL), -XEN_EINVAL,
		     "set_segment_base(FS, non-canonical)");
	KT_ASSERT_EQ(hypercall_set_segment_base(SEGBASE_GS_USER, NON_CANONICAL),
		     -XEN_EINVAL, "set_segment_base(GS_USER, non-canonical)");
	KT_ASSERT_EQ(hypercall_set_segment_base(SEGBASE_GS_KERNEL, 0x0000800000000000ul),
		     -XEN_EINVAL, "set_segment_base(GS_KERNEL, 2^47)");
	for (unsigned int i = 0; i < 3; i++) {
		uint64_t after;

		KT_ASSERT_FAULT(probe_wrmsr(msrs[i], NON_CANONICAL), X86_EXC_GP, 0);
		KT_ASSERT_EQ(probe_rdmsr(msrs[i], &after), 0, "reading it back");
		KT_ASSERT_EQ(after, before[i], "base after the refused write");
	}
}

/*
 * XSA-122: XENVER_* string subops copied Xen's uninitialised stack along
 * with the string. Xen now fills the whole fixed-size type, zero after the
 * string's end, and writes nothing beyond it.
 */
static void check_padded(int cmd, unsigned int size, const char *what)
{
	static char buf[2048];
	size_t len;

	memset(buf, 0xa5, sizeof(buf));
	KT_ASSERT_EQ(hypercall_xen_version(cmd, buf), 0, what);
	len = strnlen(buf, size);
	KT_ASSERT(len < size, "%s: no NUL within its %u bytes", what, size);
	for (unsigned int i = len; i < size; i++)
		KT_ASSERT(buf[i] == 0, "%s: byte %u after the string is %#x", what, i,
			  (unsigned char)buf[i]);
	for (unsigned int i = size; i < sizeof(buf); i++)
		KT_ASSERT((unsigned char)buf[i] == 0xa5, "%s: byte %u beyond the type written",
			  what, i);
}

KTEST(xsa, xsa_122_version_strings_padded)
{
	check_padded(XENVER_extraversion, sizeof(xen_extraversion_t), "extraversion");
	if (ktest_failed())
		return;
	check_padded(XENVER_capabilities, sizeof(xen_capabilities_info_t), "capabilities");
	if (ktest_failed())
		return;
	check_padded(XENVER_changeset, sizeof(xen_changeset_info_t), "changeset");
	if (ktest_failed())
		return;
	{
		static struct xen_compile_info ci;

		memset(&ci, 0xa5, sizeof(ci));
		KT_ASSERT_EQ(hypercall_xen_version(XENVER_compile_info, &ci), 0, "compile_info");
		for (unsigned int f = 0; f < 4; f++) {
			const char *s = f == 0 ? ci.compiler : f == 1 ? ci.compile_by :
				f == 2 ? ci.compile_domain : ci.compile_date;
			size_t n = f == 0 ? sizeof(ci.compiler) : f == 1 ? sizeof(ci.compile_by) :
				f == 2 ? sizeof(ci.compile_domain) : sizeof(ci.compile_date);
			size_t len = strnlen(s, n);

			KT_ASSERT(len < n, "compile_info field %u: no NUL", f);
			for (size_t i = len; i < n; i++)
				KT_ASSERT(s[i] == 0, "compile_info field %u byte %zu is %#x",
					  f, i, (unsigned char)s[i]);
		}
	}
}

/*
 * XSA-259: `int $0x80` with no handler registered made Xen (with XPTI)
 * write through a bad pointer. Xen now reflects it as the #GP an IDT
 * gate with too high a DPL would give: error code (0x80 << 3) | 2.
 */
KTEST(xsa, xsa_259_int80_without_handler)
{
	uint64_t exinfo = 0;

	asm volatile ("1: int $0x80; 2:\n" _ASM_EXTABLE(1b, 2b) : "+a" (exinfo) :: "memory");
	KT_ASSERT_FAULT(exinfo, X86_EXC_GP, (0x80 << 3) | 2);
}

/*
 * XSA-293: a PV kernel could leave FS/GS bases through FSGSBASE that Xen
 * did not context switch. Xen keeps CR4.FSGSBASE off for a guest that did
 * not turn it on: the instructions are #UD.
 */
KTEST(xsa, xsa_293_fsgsbase_off)
{
	uint64_t exinfo = 0;

	asm volatile ("1: rdfsbase %%rdx; 2:\n" _ASM_EXTABLE(1b, 2b)
		      : "+a" (exinfo) :: "rdx", "memory");
	KT_ASSERT_FAULT(exinfo, X86_EXC_UD, 0);
	exinfo = 0;
	asm volatile ("1: wrgsbase %%rdx; 2:\n" _ASM_EXTABLE(1b, 2b)
		      : "+a" (exinfo) : "d" (0ul) : "memory");
	KT_ASSERT_FAULT(exinfo, X86_EXC_UD, 0);
}

/*
 * XSA-333: reading MSR_MISC_ENABLE on AMD hardware (where the MSR does
 * not exist) took an unhandled #GP in Xen. Xen now reads it safely: where
 * the CPU has no such MSR the guest gets #GP(0), else the value with the
 * features Xen hides from PV guests adjusted.
 */
KTEST(xsa, xsa_333_misc_enable)
{
	uint64_t val = 0, exinfo = probe_rdmsr(0x1a0, &val);
	const uint64_t forced = (1ul << 11) | (1ul << 12) | (1ul << 23);	/* BTS, PEBS unavailable; xTPR off */
	const uint64_t hidden = (1ul << 7) | (1ul << 18);		/* perfmon, MONITOR */

	if (exinfo) {
		KT_ASSERT_FAULT(exinfo, X86_EXC_GP, 0);
		return;
	}
	KT_ASSERT_EQ(val & forced, forced, "bits Xen always sets in MISC_ENABLE");
	KT_ASSERT_EQ(val & hidden, 0, "bits Xen always clears in MISC_ENABLE");
}

/*
 * XSA-351 (Platypus): the RAPL energy counters were readable and leaked
 * power use. Xen 4.17 has no entry for them: #GP(0).
 */
KTEST(xsa, xsa_351_rapl_msrs_refused)
{
	static const uint32_t msrs[] = {
		0x606, 0x611, 0x619, 0x639, 0x641,		/* Intel */
		0xc0010299, 0xc001029a, 0xc001029b,		/* AMD */
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(msrs); i++) {
		uint64_t val;
		uint64_t exinfo = probe_rdmsr(msrs[i], &val);

		KT_ASSERT(exinfo == EXINFO(X86_EXC_GP, 0),
			  "RDMSR %#x: expected #GP(0), got %s", msrs[i],
			  exinfo ? exception_name(EXINFO_VEC(exinfo)) : "a value");
	}
}

/*
 * XSA-87: PHYSDEVOP_prepare_msix/release_msix were open to any guest.
 * Xen now asks XSM for the privileged check: -EPERM for a domU. The
 * initial domain passes the check, and then gets -ENODEV for a device
 * that does not exist (segment 0xffff).
 */
KTEST(xsa, xsa_087_msix_ops_privileged)
{
	struct physdev_pci_device dev = { .seg = 0xffff, .bus = 0xff, .devfn = 0xff };
	long expect = is_initial_domain() ? -XEN_ENODEV : -XEN_EPERM;

	KT_ASSERT_EQ(hypercall_physdev_op(PHYSDEVOP_prepare_msix, &dev), expect,
		     "PHYSDEVOP_prepare_msix");
	KT_ASSERT_EQ(hypercall_physdev_op(PHYSDEVOP_release_msix, &dev), expect,
		     "PHYSDEVOP_release_msix");
}
