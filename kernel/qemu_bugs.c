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
 *  - which hypervisor runs us: parahost says so in XENVER_extraversion
 *    ("4.17.0-parahost"). A bug that only misleads Xen (because Xen trusts
 *    what the CPU reports where parahost decodes the instruction itself)
 *    does not apply under parahost on the same QEMU.
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
};

static bool known;
static unsigned int here;	/* MISLEADS_* of this run; 0 off QEMU TCG */

static void xen_cpuid(uint32_t leaf, uint32_t r[4])
{
	asm volatile (XEN_CPUID
		      : "=a" (r[0]), "=b" (r[1]), "=c" (r[2]), "=d" (r[3])
		      : "0" (leaf), "2" (0));
}

static bool contains(const char *s, const char *word)
{
	size_t n = strlen(word);

	for (; *s; s++)
		if (!strncmp(s, word, n))
			return true;
	return false;
}

static void detect(void)
{
	char brand[49] = "";
	xen_extraversion_t extra = "";
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
	hypercall_xen_version(XENVER_extraversion, extra);
	extra[sizeof(extra) - 1] = '\0';

	tcg = !strncmp(brand, "QEMU TCG CPU", 12);
	if (tcg)
		here = contains(extra, "parahost") ? MISLEADS_PARAHOST : MISLEADS_XEN;
	known = true;
	kprintf("qemu-bugs: CPU \"%s\", hypervisor extraversion \"%s\": %s\n",
		brand, extra, !tcg ? "not QEMU TCG, none apply" :
		here == MISLEADS_XEN ? "Xen on QEMU TCG" : "parahost on QEMU TCG");
}

bool qemu_bug_skip(enum qemu_bug bug)
{
	if (!known)
		detect();
	if (bug >= QEMU_BUG_COUNT || !(bugs[bug].misleads & here))
		return false;
	ktest_skip("QEMU 7.2 TCG: %s: %s", bugs[bug].id, bugs[bug].what);
	return true;
}
