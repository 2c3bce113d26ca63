/*
 * Which known QEMU 7.2 TCG bugs apply to this run (kernel/qemu_bugs.h).
 *
 * Two facts decide it, both asked of the hypervisor the same way on every
 * platform:
 *  - the CPU is QEMU's TCG: its brand string (CPUID 0x80000002-4, through
 *    Xen's forced-emulation prefix, so we see the hypervisor's CPUID policy,
 *    which passes the brand through) starts "QEMU TCG CPU", as QEMU names
 *    its "max" CPU model under TCG (the model the harnesses use). Under KVM
 *    it is the host's brand, in Bochs an Intel one: no bug applies there;
 *  - which hypervisor runs us: parahost answers every version query as Xen
 *    4.17 would, but keeps its name in XENVER_compile_info's compile_by
 *    ("parahost"; Debian's Xen says "pkg-xen-devel"). A bug that only
 *    misleads Xen (because Xen trusts what the CPU reports where parahost
 *    decodes the instruction itself) does not apply under parahost on the
 *    same QEMU. Should parahost ever stop saying so, parahost-svm would skip
 *    tests that tests/test-all.py does not allow it to skip: make test
 *    fails, it does not go quiet.
 * The kind of CPU is never guessed from a test's own result: that would
 * skip exactly the failures the test is there to catch.
 */
#include <xen/xen.h>
#include <xen/version.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "kernel/qemu_bugs.h"

#define MISLEADS_XEN		1u
#define MISLEADS_PARAHOST	2u

static const struct {
	const char *id, *what;
	unsigned int misleads;
} bugs[QEMU_BUG_COUNT] = {
	[QEMU_BUG_INT_N_ERRCODE] = {
		"int-n-errcode",
		"int $N via a DPL 0 gate: #GP error code N*16+2, not N*8+2, "
		"so Xen picks the wrong trap slot (fixed in QEMU 8.0)",
		MISLEADS_XEN,		/* parahost reads the CD nn itself */
	},
	/* These two are the CPU's own answers to the guest: whoever hosts it. */
	[QEMU_BUG_MOVSS_SHADOW] = {
		"movss-shadow",
		"a #DB held back by MOV SS arrives at once, not after the next "
		"instruction",
		MISLEADS_XEN | MISLEADS_PARAHOST,
	},
	[QEMU_BUG_NONCANONICAL_SS] = {
		"noncanonical-ss",
		"a stack access at a non-canonical address raises #GP(0), not #SS(0)",
		MISLEADS_XEN | MISLEADS_PARAHOST,
	},
	[QEMU_BUG_SKINIT_UD] = {
		"skinit-ud",
		"SKINIT is not implemented: #UD before the CPL check's #GP(0)",
		MISLEADS_XEN | MISLEADS_PARAHOST,
	},
	[QEMU_BUG_RF_FAULT_FRAME] = {
		"rf-fault-frame",
		"a fault's exception frame has RFLAGS.RF clear, where the SDM "
		"sets it for every fault but an instruction breakpoint",
		MISLEADS_XEN,		/* Xen passes the CPU's frame on; parahost builds its own */
	},
	[QEMU_BUG_WRFSBASE_NONCANONICAL] = {
		"wrfsbase-noncanonical",
		"WRFSBASE/WRGSBASE of a non-canonical value does not raise #GP(0)",
		MISLEADS_XEN | MISLEADS_PARAHOST,	/* the CPU runs it, under either */
	},
};

static bool known, parahost;
static unsigned int here;	/* MISLEADS_* of this run; 0 off QEMU TCG */

static void xen_cpuid(uint32_t leaf, uint32_t r[4])
{
	asm volatile (XEN_CPUID
		      : "=a" (r[0]), "=b" (r[1]), "=c" (r[2]), "=d" (r[3])
		      : "0" (leaf), "2" (0));
}

static void detect(void)
{
	char brand[49] = "";
	struct xen_compile_info ci;
	uint32_t r[4];
	bool tcg;

	xen_cpuid(0x80000000, r);
	if (r[0] >= 0x80000004) {
		for (unsigned int i = 0; i < 3; i++) {
			xen_cpuid(0x80000002 + i, r);
			memcpy(brand + 16 * i, r, 16);
		}
	}
	brand[48] = '\0';
	memset(&ci, 0, sizeof(ci));
	hypercall_xen_version(XENVER_compile_info, &ci);
	ci.compile_by[sizeof(ci.compile_by) - 1] = '\0';

	tcg = !strncmp(brand, "QEMU TCG CPU", 12);
	parahost = !strcmp(ci.compile_by, "parahost");
	if (tcg)
		here = parahost ? MISLEADS_PARAHOST : MISLEADS_XEN;
	known = true;
	kprintf("qemu-bugs: CPU \"%s\", hypervisor built by \"%s\": %s\n",
		brand, ci.compile_by, !tcg ? "not QEMU TCG, none apply" :
		here == MISLEADS_XEN ? "Xen on QEMU TCG" : "parahost on QEMU TCG");
}

static bool applies(enum qemu_bug bug)
{
	if (!known)
		detect();
	return bug < QEMU_BUG_COUNT && (bugs[bug].misleads & here);
}

bool qemu_bug_skip(enum qemu_bug bug)
{
	if (!applies(bug))
		return false;
	ktest_skip("QEMU 7.2 TCG: %s: %s", bugs[bug].id, bugs[bug].what);
	return true;
}

bool qemu_bug_unchecked(enum qemu_bug bug)
{
	if (!applies(bug))
		return false;
	kprintf("# QEMU 7.2 TCG: %s: %s (not checked)\n", bugs[bug].id, bugs[bug].what);
	return true;
}

bool hypervisor_is_parahost(void)
{
	if (!known)
		detect();
	return parahost;
}
