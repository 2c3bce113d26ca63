/*
 * A small PV domain in malloc'd "machine memory" for the host-side tests of
 * host/pv/mm*.c: shared by tests/unit/test_mm.c and the fuzz target.
 *
 * Machine frames ENV_BASE .. ENV_BASE + ENV_FRAMES - 1 make the frame table.
 * The domain owns frames 0 .. ENV_OWNED - 1 of it (frame i = mfn
 * ENV_BASE + i); the rest is another domain's RAM. Outside the table the
 * host classifies mfns as below (env_foreign). env_boot builds what a domain
 * builder would: one L4 -> L3 -> L2 -> L1 chain mapping VA 0.. and boots it.
 */
#ifndef TESTS_FUZZ_MM_ENV_H
#define TESTS_FUZZ_MM_ENV_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/pv/mm.h"

#define ENV_BASE	0x1000ull
#define ENV_FRAMES	64
#define ENV_OWNED	48

/* Frames of the initial layout. */
#define F_L4		0
#define F_L3		1
#define F_L2		2
#define F_L1		3
#define F_SHINFO	4	/* shared_info: special, writable for good */
#define F_DATA		8	/* 8 data frames mapped RW at VA 0..0x7fff */
#define F_FREE		16	/* 16..ENV_OWNED-1: owned, unused */
#define F_OTHER		ENV_OWNED	/* not owned: another domain's RAM */

/* Foreign mfns (outside the frame table). */
#define MFN_IO		0x100ull	/* MMIO the domain may not map */
#define MFN_RO		0x200ull	/* host frame mappable read-only */
#define MFN_IO_OK	0x300ull	/* MMIO the domain may map */
#define MFN_RAM		0x5000ull	/* RAM beyond the frame table */

#define PTE_KERN	(MM_PTE_P | MM_PTE_RW | MM_PTE_A | MM_PTE_D)
#define PTE_RO		(MM_PTE_P | MM_PTE_A)

struct env {
	struct mm_domain d;
	struct mm_host_ops ops;
	struct mm_vcpu v[2];
	struct mm_page pages[ENV_FRAMES];
	uint64_t (*mem)[MM_ENTRIES];
	uint64_t m2p[ENV_FRAMES];
	uint32_t scratch[4 * ENV_FRAMES];

	/* What the callbacks saw. */
	unsigned int nr_tlb, nr_flush_all, nr_new_base, nr_xen_l4;
	enum mm_tlb_op last_op;
	uint64_t last_va, last_mask;
	bool mask_fault;		/* vcpumask reads fail */
	int preempt_after;		/* preempt() true after this many calls; <0 never */
	int preempt_calls;
};

static inline xen_pfn_t mfn_of(unsigned int frame)
{
	return ENV_BASE + frame;
}

static inline uint64_t pte(xen_pfn_t mfn, uint64_t flags)
{
	return (mfn << 12) | flags;
}

static inline uint64_t fpte(unsigned int frame, uint64_t flags)
{
	return pte(mfn_of(frame), flags);
}

static void *env_frame(void *ctx, xen_pfn_t mfn)
{
	struct env *e = ctx;

	if (mfn < ENV_BASE || mfn >= ENV_BASE + ENV_FRAMES)
		abort();	/* mm must only map frames it owns */
	if (!mm_owns(&e->d, mfn))
		abort();
	return e->mem[mfn - ENV_BASE];
}

static enum mm_foreign env_foreign(void *ctx, xen_pfn_t mfn)
{
	(void)ctx;
	if (mfn >= MFN_IO && mfn < MFN_IO + 16)
		return MM_FOREIGN_IO;
	if (mfn >= MFN_RO && mfn < MFN_RO + 16)
		return MM_FOREIGN_RO;
	if (mfn >= MFN_IO_OK && mfn < MFN_IO_OK + 16)
		return MM_FOREIGN_IO_OK;
	if (mfn >= 0x10000000ull)
		return MM_FOREIGN_IO;	/* beyond "RAM": not mfn_valid */
	return MM_FOREIGN_RAM;
}

/* The host's slots: a recognisable, unchecked pattern. */
static void env_xen_l4(void *ctx, uint64_t *l4, xen_pfn_t mfn,
		       enum mm_l4_event ev)
{
	struct env *e = ctx;

	e->nr_xen_l4++;
	if (ev == MM_L4_VALIDATED)
		for (unsigned int i = MM_XEN_SLOT_FIRST; i <= MM_XEN_SLOT_LAST; i++)
			l4[i] = pte(0xfff00 + i, MM_PTE_P | MM_PTE_RW) ^ (mfn << 40);
}

static int env_tlb(void *ctx, struct mm_vcpu *v, enum mm_tlb_op op,
		   uint64_t va, uint64_t mask)
{
	struct env *e = ctx;

	(void)v;
	e->nr_tlb++;
	e->last_op = op;
	e->last_va = va;
	e->last_mask = mask;
	if (op == MM_TLB_FLUSH_ALL)
		e->nr_flush_all++;
	if (op == MM_TLB_NEW_BASE)
		e->nr_new_base++;
	if (op == MM_TLB_FLUSH_MULTI || op == MM_TLB_INVLPG_MULTI ||
	    op == MM_TLB_MASK_ONLY)
		return e->mask_fault ? -1 : 0;
	return 0;
}

static void env_set_m2p(void *ctx, xen_pfn_t mfn, uint64_t pfn)
{
	struct env *e = ctx;

	e->m2p[mfn - ENV_BASE] = pfn;
}

static bool env_preempt(void *ctx)
{
	struct env *e = ctx;

	if (e->preempt_after < 0)
		return false;
	return ++e->preempt_calls > e->preempt_after;
}

/* A fresh domain: frames owned, shared_info special, nothing validated. */
static inline void env_init(struct env *e, uint64_t (*mem)[MM_ENTRIES])
{
	memset(e, 0, sizeof(*e));
	e->mem = mem;
	memset(mem, 0, (size_t)ENV_FRAMES * 4096);
	e->ops = (struct mm_host_ops){
		.frame = env_frame, .foreign = env_foreign,
		.xen_l4 = env_xen_l4, .tlb = env_tlb,
		.set_m2p = env_set_m2p, .preempt = env_preempt,
	};
	e->preempt_after = -1;
	e->d.pages = e->pages;
	e->d.mfn_base = ENV_BASE;
	e->d.nr_frames = ENV_FRAMES;
	e->d.ops = &e->ops;
	e->d.ctx = e;
	e->d.domid = 1;
	e->v[0].id = 0;
	e->v[1].id = 1;
	mm_domain_init(&e->d);
	for (unsigned int i = 0; i < ENV_OWNED; i++)
		if (i != F_SHINFO && mm_assign(&e->d, mfn_of(i)))
			abort();
	if (mm_assign_special(&e->d, mfn_of(F_SHINFO)))
		abort();
}

/* The builder's tables, then pin + base as the toolstack does. */
static inline int env_boot(struct env *e)
{
	e->mem[F_L4][0] = fpte(F_L3, PTE_KERN | MM_PTE_US);
	e->mem[F_L3][0] = fpte(F_L2, PTE_KERN | MM_PTE_US);
	e->mem[F_L2][0] = fpte(F_L1, PTE_KERN | MM_PTE_US);
	for (unsigned int i = 0; i < 8; i++)
		e->mem[F_L1][i] = fpte(F_DATA + i, PTE_KERN);
	/* The tables themselves, read-only, as a guest maps them. */
	e->mem[F_L1][8] = fpte(F_L4, PTE_RO);
	e->mem[F_L1][9] = fpte(F_L3, PTE_RO);
	e->mem[F_L1][10] = fpte(F_L2, PTE_RO);
	e->mem[F_L1][11] = fpte(F_L1, PTE_RO);
	e->mem[F_L1][12] = fpte(F_SHINFO, PTE_KERN);
	return mm_boot(&e->d, &e->v[0], mfn_of(F_L4));
}

/* 0 if the audit passes; else prints why. */
static inline int env_audit(struct env *e)
{
	const char *why = NULL;
	xen_pfn_t bad = 0;
	int rc = mm_audit(&e->d, e->v, 2, e->scratch, &why, &bad);

	if (rc)
		fprintf(stderr, "mm_audit: %s (mfn %#llx)\n", why,
			(unsigned long long)bad);
	return rc;
}

/* One mmu_update request; returns the hypercall's result. */
static inline int env_update(struct env *e, xen_pfn_t table_mfn,
			     unsigned int slot, uint64_t val)
{
	mmu_update_t req = { .ptr = (table_mfn << 12) | (slot * 8ull) |
				    MMU_NORMAL_PT_UPDATE, .val = val };
	unsigned int done = 99;
	int rc = mm_mmu_update(&e->d, &e->v[0], &req, 1, &done, DOMID_SELF);

	if (done != (rc ? 0u : 1u))
		abort();
	return rc;
}

static inline int env_ext(struct env *e, unsigned int cmd, uint64_t arg1)
{
	struct mmuext_op op = { .cmd = cmd };
	unsigned int done = 99;
	int rc;

	op.arg1.mfn = arg1;
	rc = mm_mmuext_op(&e->d, &e->v[0], &op, 1, &done, DOMID_SELF);
	if (done != (rc ? 0u : 1u))
		abort();
	return rc;
}

#endif
