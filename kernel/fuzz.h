/*
 * The hostile hypercall fuzzer (docs/fuzz.md): with "fuzz=N seed=S" on the
 * command line the kernel makes N random hypercalls instead of running its
 * test suite. Every hypercall number 0..63 gets arguments that mix random
 * values with boundaries; the ones that could kill the guest or its own
 * mappings are aimed at a sandbox the fuzzer owns (scratch frames and
 * tables in one L4 slot, scratch GDT frames, a catcher for iret frames)
 * and whatever they may have changed is put back after each call.
 *
 * Files: fuzz.c (the run), fuzz_rand.c (values), fuzz_box.c (the sandbox),
 * fuzz_mm.c, fuzz_cpu.c, fuzz_misc.c (one generator per hypercall),
 * fuzz_iret.c and fuzz_entry.S (iret frames and the trap catcher).
 */
#ifndef KERNEL_FUZZ_H
#define KERNEL_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/event_channel.h>

struct cpu_regs;

/* ---- one generated hypercall ---------------------------------------------- */

/* What a call may have changed, to put back after it (fuzz.c). */
enum {
	FZR_TRAPS	= 1 << 0,	/* trap table (and the NMI callback in it) */
	FZR_CALLBACKS	= 1 << 1,	/* event, failsafe, syscall callbacks */
	FZR_NMI		= 1 << 2,
	FZR_STACK	= 1 << 3,	/* stack_switch */
	FZR_DR7		= 1 << 4,
	FZR_BASE	= 1 << 5,	/* we may run on a clone L4 */
	FZR_MASK	= 1 << 6,	/* the event upcall mask */
	FZR_USER_BASE	= 1 << 7,	/* the user base pointer is unknown */
	FZR_ALL		= 0xff,
};

/* Generator flags. */
#define FZ_NESTED	1u	/* inside a multicall: no random handler addresses */
#define FZ_BENIGN	2u	/* next to an iret: nothing that moves entry points */

struct fz_call {
	unsigned long op;
	uint64_t a[6];
	unsigned int restore;		/* FZR_* */
	bool experiment;		/* iret: run by fuzz_iret.c, not called */
	/* After the call, with its result (e.g. destroy a watchdog it made). */
	void (*post)(const struct fz_call *c, long rc);
	uint64_t ctx;
};

typedef void fz_gen(struct fz_call *c, unsigned int flags);

/* One per hypercall number; NULL: random arguments (fuzz.c). */
extern fz_gen *const fz_generators[64];
fz_gen fz_gen_random;

/* fuzz_mm.c */
fz_gen fz_gen_mmu_update, fz_gen_mmuext_op, fz_gen_update_va_mapping,
	fz_gen_update_va_mapping_otherdomain, fz_gen_set_gdt,
	fz_gen_update_descriptor, fz_gen_grant_table_op, fz_gen_memory_op,
	fz_gen_multicall;
/* fuzz_cpu.c */
fz_gen fz_gen_set_trap_table, fz_gen_stack_switch, fz_gen_set_callbacks,
	fz_gen_fpu_taskswitch, fz_gen_set_debugreg, fz_gen_get_debugreg,
	fz_gen_set_segment_base, fz_gen_callback_op, fz_gen_nmi_op,
	fz_gen_vcpu_op, fz_gen_sched_op, fz_gen_sched_op_compat,
	fz_gen_set_timer_op, fz_gen_vm_assist;
/* fuzz_misc.c */
fz_gen fz_gen_event_channel_op, fz_gen_event_channel_op_compat,
	fz_gen_physdev_op, fz_gen_physdev_op_compat, fz_gen_xen_version,
	fz_gen_console_io, fz_gen_privileged;
/* fuzz_iret.c */
fz_gen fz_gen_iret;

/* ---- values (fuzz_rand.c) -------------------------------------------------- */

void fz_seed(uint64_t seed);
uint64_t fz_rnd(void);
uint64_t fz_below(uint64_t n);		/* 0..n-1 */
bool fz_chance(unsigned int percent);
uint64_t fz_u64(void);			/* random, or one of the boundaries */
uint32_t fz_u32(void);
uint16_t fz_u16(void);
uint32_t fz_count(unsigned int small);	/* 0..small mostly, else huge ones */
uint64_t fz_pick(const uint64_t *v, size_t n);
uint64_t fz_word(void);			/* fz_u64, but never an address of ours */
#define FZ_PICK(...) ({ static const uint64_t v_[] = { __VA_ARGS__ }; \
			fz_pick(v_, sizeof(v_) / sizeof(v_[0])); })

/* Frame numbers, by what the hypervisor will do with them. */
enum {
	FZM_SCRATCH	= 1 << 0,	/* ours to turn into anything */
	FZM_CLONE	= 1 << 1,	/* L4 copies of our kernel slots */
	FZM_OWN_PT	= 1 << 2,	/* our live page tables */
	FZM_OWN		= 1 << 3,	/* a data frame of ours */
	FZM_SPECIAL	= 1 << 4,	/* shared_info, grant frames, console ring */
	FZM_JUNK	= 1 << 5,	/* boundaries and random: never ours */
};
/* What the hypervisor may write into, or free. */
#define FZM_WRITE	(FZM_SCRATCH | FZM_JUNK)
#define FZM_ANY		0x3f
xen_pfn_t fz_mfn(unsigned int kinds);
xen_pfn_t fz_junk_mfn(void);
uint64_t fz_pte(unsigned int level);	/* a value for an entry of that level */
uint64_t fz_va(bool kernel_ok);		/* sandbox, boundary, random (never ours unless asked) */
enum { FZH_EVENT, FZH_FAILSAFE, FZH_NMI, FZH_OTHER };
uint64_t fz_handler(unsigned int flags, unsigned int role);	/* an entry point */
domid_t fz_domid(void);			/* never a way to name ourselves destructively */
evtchn_port_t fz_port(bool destructive);
uint64_t fz_desc(void);			/* a segment descriptor */
uint16_t fz_selector(void);

/*
 * Guest memory the hypervisor reads or writes. fz_ptr(n, kinds) returns a
 * place for n bytes (n: the most the call can touch) that is either in
 * the scratch buffer, fully reserved and zeroed (zeros are harmless to
 * every hypercall), or a faulting or refused address; fz_put copies an
 * argument there, as far as it is mapped.
 */
enum {
	FZP_BUF		= 1 << 0,	/* in the scratch buffer, maybe misaligned or page-crossing */
	FZP_FAULT	= 1 << 1,	/* unmapped, non-canonical, Xen's range, NULL, ... */
	FZP_RO		= 1 << 2,	/* a read-only page of zeros */
};
#define FZP_ANY		(FZP_BUF | FZP_FAULT | FZP_RO)
void fz_buf_reset(void);
uint64_t fz_ptr(size_t n, unsigned int kinds);
size_t fz_span(uint64_t count, size_t size);	/* bytes count elements may touch */
void fz_put(uint64_t va, const void *src, size_t n);
/* A pointer to a copy of *obj (as fz_ptr + fz_put). */
uint64_t fz_in(const void *obj, size_t n, unsigned int kinds);
#define FZ_ALIAS_PAGES	128
#define FZ_ALIAS_BYTES	(FZ_ALIAS_PAGES * 4096ul)
/* The alias region filled with copies of one element; its length. */
uint64_t fz_alias(const void *elem, size_t size, size_t *len);

/* ---- the sandbox (fuzz_box.c) ---------------------------------------------- */

#define FZ_NR_SCRATCH	24
#define FZ_NR_CLONE	2
#define FZ_SB_SLOT	272			/* just above Xen's slots */
#define FZ_SB_BASE	0xffff880000000000ul
#define FZ_MAX_SPECIAL	8
#define FZ_LOW_STACK	0x7ff00000ul		/* NX: code there never runs */

struct fz_box {
	unsigned int nr_scratch;
	xen_pfn_t scratch[FZ_NR_SCRATCH + 1];	/* + the xenstore ring, unused here */
	xen_pfn_t clone[FZ_NR_CLONE];
	xen_pfn_t own_pt[4];			/* our L4, L3, L2, L1 of the kernel image */
	xen_pfn_t own;				/* a data frame, also mapped read-only at ro */
	unsigned int nr_special;
	xen_pfn_t special[FZ_MAX_SPECIAL];
	uint64_t own_l1e_maddr, own_l1e;	/* our L1 entry for ro, for no-op writes */
	uint64_t kernel_slots[8];		/* L4 slots our kernel lives in */
	unsigned long buf, buf_end;		/* 2 pages, then an unmapped page */
	unsigned long ro, window, alias, alias_end;
	xen_pfn_t alias_mfn;
	unsigned long kstack_top;		/* kernel_sp for user-mode exits */
	unsigned long low_stack;		/* a no-execute page below 4 GiB */
	uint64_t m2p_max;
	xen_pfn_t own_lo, own_hi;		/* the span of every frame we own */
	domid_t domid;
	evtchn_port_t console_port, ipi_port;
	bool user_base_ok;			/* user base is our own L4 */
	bool log_iret;				/* "fuzz_log_iret=1": a line per iret frame */
};
extern struct fz_box fz;

void fz_box_init(void);
bool fz_mfn_is_ours(xen_pfn_t mfn);
bool fz_va_is_ours(uint64_t va);
void fz_box_fill(void);			/* new contents for a scratch frame */
/* Everything back to plain frames; returns how many would not come back. */
unsigned int fz_box_reset(bool report);
extern bool fz_multicall_blocked;		/* one block per multicall */
bool fz_make_ipi_pending(void);		/* something that wakes a block or poll */
uint64_t fz_now(void);			/* Xen system time, ns */
void fz_install_entry_points(void);	/* trap table, callbacks, NMI, stack */

/* ---- the run, iret frames (fuzz.c, fuzz_iret.c, fuzz_entry.S) -------------- */

bool fuzz_requested(void);
void fuzz_run(void) __attribute__((noreturn));
long fz_hypercall(const struct fz_call *c, bool direct);
void fz_restore(unsigned int what);

unsigned long fz_pick_op(void);
void fz_mc_entry(multicall_entry_t *e, struct fz_call *sub, unsigned int flags);
void fz_iret_run(struct fz_call *c);
void fuzz_trap(struct cpu_regs *regs);

extern struct fz_stats {
	unsigned long setup_calls, iret_runs, iret_landed, iret_returned,
		iret_failsafe, failsafes, debug_traps, nmis, resets;
	unsigned long iret_vectors[32];
} fz_stats;

#endif
