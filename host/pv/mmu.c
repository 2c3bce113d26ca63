/*
 * parahost's side of the PV MMU (host/pv/mm.h, Xen's page-type system):
 * the frame table over our guest-physical "machine" frames, the host
 * operations it needs (frames, Xen's L4 slots, TLB flushes, the M2P), and
 * the hypercall dispatchers that copy arguments between the guest and it
 * with Xen's partial-completion rules.
 */
#include "host/boot/boot.h"
#include "host/pv/pv.h"

/* The page-type system maps only frames it holds references on. */
static void *op_frame(void *ctx, xen_pfn_t mfn)
{
	(void)ctx;
	return gframe__held(&dom, mfn);
}

static enum mm_foreign op_foreign(void *ctx, xen_pfn_t mfn)
{
	(void)ctx;
	/*
	 * Below the top of "machine" RAM (what the M2P covers), a frame that is
	 * not ours is someone else's RAM, as on Xen (Xen's frames, other
	 * domains'): -EBUSY. Above it there is no RAM: I/O space, -EPERM.
	 */
	return mfn < dom.max_mfn ? MM_FOREIGN_RAM : MM_FOREIGN_IO;
}

static void op_xen_l4(void *ctx, uint64_t *l4, xen_pfn_t l4_mfn, enum mm_l4_event ev)
{
	(void)ctx;
	(void)l4_mfn;
	if (ev == MM_L4_VALIDATED || ev == MM_L4_KERNEL_BASE)
		install_xen_l4_slots(l4);
}

static int op_tlb(void *ctx, struct mm_vcpu *v, enum mm_tlb_op op, uint64_t va, uint64_t mask)
{
	unsigned long bitmap;

	(void)ctx;
	(void)v;
	(void)va;
	switch (op) {
	case MM_TLB_FLUSH_MULTI:
	case MM_TLB_INVLPG_MULTI:
	case MM_TLB_MASK_ONLY:
		if (copy_from_guest(&bitmap, mask, sizeof(bitmap)))
			return 1;
		if (op == MM_TLB_MASK_ONLY)
			return 0;
		break;
	case MM_TLB_NEW_BASE:
		update_cr3();
		return 0;
	case MM_TLB_NEW_LDT:
	case MM_TLB_WBINVD:
	case MM_TLB_WBINVD_GLOBAL:
		return 0;
	default:
		break;
	}
	vcpu_hw->flush_tlb(dom.v);
	return 0;
}

static void op_set_m2p(void *ctx, xen_pfn_t mfn, uint64_t pfn)
{
	(void)ctx;
	m2p_set(mfn, pfn);
}

/*
 * Xen's validate_segdesc_page: check_descriptor on each of the 512
 * descriptors, which also fixes them up in place (DPL raised to 3, call
 * gates rewritten), as Xen does.
 */
static bool op_segdesc_ok(void *ctx, uint64_t *descs)
{
	(void)ctx;
	for (unsigned int i = 0; i < 512; i++)
		if (!check_descriptor(&descs[i]))
			return false;
	return true;
}

/* Between batch elements: Xen's hypercall_preempt_check. */
static bool op_preempt(void *ctx)
{
	(void)ctx;
	return hypercall_preempt_check();
}

/* The other domain there is: parahost plays domain 0 for a domU. */
static bool op_domain_exists(void *ctx, domid_t id)
{
	(void)ctx;
	return !dom.is_dom0 && id == 0;
}

static const struct mm_host_ops host_ops = {
	.frame = op_frame,
	.foreign = op_foreign,
	.xen_l4 = op_xen_l4,
	.tlb = op_tlb,
	.set_m2p = op_set_m2p,
	.segdesc_ok = op_segdesc_ok,
	.preempt = op_preempt,
	.domain_exists = op_domain_exists,
};

/* The frame table covers guest RAM and, after a gap, Xen's frames. */
void pv_mm_init(void)
{
	uint64_t nr = dom.xen_mfn_base + MAX_XEN_FRAMES - GUEST_MFN_BASE;
	uint64_t pa = frames_alloc((nr * sizeof(struct mm_page) + PAGE_SIZE - 1) / PAGE_SIZE);

	if (!pa)
		fatal(EXIT_BAD_INPUT, "too little RAM for the guest's page-type table");
	memset(&dom.mm, 0, sizeof(dom.mm));
	dom.mm.pages = phys_to_virt(pa);
	dom.mm.mfn_base = GUEST_MFN_BASE;
	dom.mm.nr_frames = nr;
	dom.mm.ops = &host_ops;
	dom.mm.ctx = NULL;
	dom.mm.domid = dom.domid;
	dom.mm.privileged = dom.is_dom0;	/* the initial domain is the control domain */
	mm_domain_init(&dom.mm);
	for (unsigned long i = 0; i < dom.nr_pages; i++)
		if (mm_assign(&dom.mm, GUEST_MFN_BASE + i))
			panic("mm_assign %#lx", GUEST_MFN_BASE + i);
	memset(&dom.mmv, 0, sizeof(dom.mmv));
}

/* After the builder: what libxc does (pin the L4, make it the kernel base). */
void pv_mm_boot(uint64_t l4_mfn)
{
	int rc;

	/* shared_info: a host page Xen shares read-write with the domain. */
	rc = mm_assign_special(&dom.mm, dom.shared_info_mfn);
	if (rc)
		panic("shared_info frame: mm_assign_special %d", rc);
	rc = mm_boot(&dom.mm, &dom.mmv, l4_mfn);
	if (rc)
		fatal(EXIT_BAD_INPUT, "the start-of-day page tables do not validate (error %d)", rc);
}

void update_cr3(void)
{
	uint64_t t = dom.kernel_mode ? dom.mmv.guest_table : dom.mmv.guest_table_user;

	dom.st->cr3 = t << PAGE_SHIFT;
	vcpu_hw->flush_tlb(dom.v);
}

long pv_new_guest_table(uint64_t l4_mfn)
{
	struct mmuext_op op = { .cmd = MMUEXT_NEW_BASEPTR };
	unsigned int done;

	op.arg1.mfn = l4_mfn;
	return mm_mmuext_op(&dom.mm, &dom.mmv, &op, 1, &done, DOMID_SELF);
}

#define BATCH	32
#define PREEMPTED_BIT	0x80000000u

/* One batch of already-copied elements, through the page-type system. */
static int update_batch(const void *elems, unsigned int n, unsigned int *done,
			unsigned int foreigndom)
{
	return mm_mmu_update(&dom.mm, &dom.mmv, elems, n, done, foreigndom);
}

static int mmuext_batch(const void *elems, unsigned int n, unsigned int *done,
			unsigned int foreigndom)
{
	return mm_mmuext_op(&dom.mm, &dom.mmv, elems, n, done, foreigndom);
}

/*
 * Xen's batch protocol, for mmu_update and mmuext_op alike: copy elements
 * in BATCH at a time, stop at the first error (an unreadable element is
 * -EFAULT), and add the number done to *pdone, which is read back first on
 * a continuation. Preempted (the MMU's -ERESTART), the hypercall continues
 * with the rest of the array and the count's top bit set, as Xen's does.
 */
static long run_batches(unsigned int nr, uint64_t uelems, size_t size, unsigned int count,
			uint64_t pdone, unsigned int foreigndom,
			int (*batch)(const void *, unsigned int, unsigned int *, unsigned int))
{
	union {
		mmu_update_t update[BATCH];
		struct mmuext_op ext[BATCH];
	} buf;
	char *elems = (char *)&buf;
	unsigned int total = 0, done_before = 0;
	long rc = 0;

	/*
	 * Xen's own continuation after a preempted page-table release
	 * (old_guest_table) carries the final result in foreigndom; a guest
	 * may make the same call and gets that argument back.
	 */
	if (count == PREEMPTED_BIT && !uelems)
		return (int)foreigndom;
	if (count & PREEMPTED_BIT) {
		count &= ~PREEMPTED_BIT;
		if (pdone)
			copy_from_guest(&done_before, pdone, sizeof(done_before));
	}
	if (!guest_va_ok(uelems, (size_t)count * size))
		return -EFAULT;
	/* At least one call, even for count 0: foreigndom is checked before the loop. */
	do {
		unsigned int n = count - total < BATCH ? count - total : BATCH;
		unsigned int readable = 0, done = 0;

		while (readable < n &&
		       !copy_from_guest(elems + readable * size,
					uelems + (total + readable) * size, size))
			readable++;
		rc = batch(elems, readable, &done, foreigndom);
		if (done == MM_DONE_NONE)
			return rc;	/* refused before Xen looks at pdone */
		total += done;
		if (rc)
			break;
		if (readable < n) {
			rc = -EFAULT;
			break;
		}
	} while (total < count);
	if (pdone) {
		unsigned int v = done_before + total;

		copy_to_guest(pdone, &v, sizeof(v));
	}
	if (rc == -MM_ERESTART)
		rc = hypercall_create_continuation(nr, 4, uelems + (uint64_t)total * size,
						   (uint64_t)((count - total) | PREEMPTED_BIT),
						   pdone, (uint64_t)foreigndom);
	return rc;
}

long do_mmu_update(uint64_t ureqs, unsigned int count, uint64_t pdone, unsigned int foreigndom)
{
	return run_batches(__HYPERVISOR_mmu_update, ureqs, sizeof(mmu_update_t), count, pdone,
			   foreigndom, update_batch);
}

long do_mmuext_op(uint64_t uops, unsigned int count, uint64_t pdone, unsigned int foreigndom)
{
	return run_batches(__HYPERVISOR_mmuext_op, uops, sizeof(struct mmuext_op), count, pdone,
			   foreigndom, mmuext_batch);
}

long do_update_va_mapping(uint64_t va, uint64_t val, uint64_t flags)
{
	return mm_update_va_mapping(&dom.mm, &dom.mmv, va, val, flags);
}

/* The M2P chunk frame for mfn, through Xen's own slot-256 tables. */
static uint64_t *m2p_entry(uint64_t mfn)
{
	uint64_t va = MACH2PHYS_VIRT_START + mfn * 8;
	uint64_t *t = xen_frame_host(dom.xen_l3_m2p_mfn);

	if (mfn >= dom.max_mfn || !t)
		return NULL;
	for (int level = 3; level >= 1 && t; level--) {
		uint64_t e = t[(va >> (12 + 9 * (level - 1))) & 511];

		if (!(e & PTE_P))
			return NULL;
		t = xen_frame_host((e & PTE_ADDR) >> PAGE_SHIFT);
	}
	return t ? &t[(va >> 3) & 511] : NULL;
}

bool m2p_set(uint64_t mfn, uint64_t pfn)
{
	uint64_t *e = m2p_entry(mfn);

	if (!e || !mfn_is_ram(mfn))
		return false;	/* the shared all-invalid frame is never written */
	*e = pfn;
	return true;
}
