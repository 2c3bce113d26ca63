/*
 * Known places where QEMU 7.2's TCG makes a hypervisor give a PV guest a
 * wrong answer (docs/xen-harness.md, "Tests that QEMU's TCG cannot judge").
 * A test whose expectation such a bug breaks starts with
 *
 *     if (qemu_bug_skip(QEMU_BUG_INT_N_ERRCODE))
 *             return;
 *
 * and is then skipped, loudly, only where the bug applies: on a QEMU TCG
 * CPU *and* under a hypervisor the bug misleads. The skip line reads
 * "# SKIP QEMU 7.2 TCG: <id>: <what goes wrong>"; tests/test-all.py accepts
 * it only on the platforms it lists for <id>, and only if xen-bochs (real
 * Xen on Bochs, an Intel CPU model) ran the test and passed it.
 */
#ifndef KERNEL_QEMU_BUGS_H
#define KERNEL_QEMU_BUGS_H

#include <stdbool.h>

enum qemu_bug {
	QEMU_BUG_INT_N_ERRCODE,		/* int $N through a DPL 0 gate: wrong #GP error code */
	QEMU_BUG_MOVSS_SHADOW,		/* a #DB held back by MOV SS comes at once */
	QEMU_BUG_NONCANONICAL_SS,	/* a non-canonical stack access: #GP, not #SS */
	QEMU_BUG_SKINIT_UD,		/* SKINIT at CPL > 0: #UD, not #GP(0) */
	QEMU_BUG_RF_FAULT_FRAME,	/* a fault's frame has RF clear */
	QEMU_BUG_WRFSBASE_NONCANONICAL,	/* WRFSBASE of a non-canonical value: no #GP */
	QEMU_BUG_COUNT
};

/* True, with the test marked skipped for the bug's reason, if it applies here. */
bool qemu_bug_skip(enum qemu_bug bug);

/*
 * True if the bug applies here, for a test that can still judge all but
 * one detail: it leaves that detail unchecked and says so on the console
 * ("# QEMU 7.2 TCG: <id>: <what> (not checked)"). Not a skip: the rest of
 * the test still passes or fails.
 */
bool qemu_bug_unchecked(enum qemu_bug bug);

/* parahost, not Xen: it names itself in XENVER_compile_info's compile_by. */
bool hypervisor_is_parahost(void);

#endif
