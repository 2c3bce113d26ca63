/*
 * Generators for the memory hypercalls: mmu_update, mmuext_op,
 * update_va_mapping(_otherdomain), set_gdt, update_descriptor,
 * grant_table_op, memory_op, multicall. Writes go to scratch frames, our
 * L4's sandbox slot, clone L4s outside their kernel slots, or frames that
 * are not ours; our own tables see only writes of the value they hold.
 */
#include <stddef.h>
#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/memory.h>

#include "arch/x86/page.h"
#include "kernel/fuzz.h"
#include "kernel/kernel.h"
#include "xen/start_info.h"

static unsigned int table_index(void)
{
	return (unsigned int)(fz_chance(70) ? FZ_PICK(0, 1, 2, 3, 255, 256, 257, 271, 272, 510, 511)
				: fz_below(512));
}

static bool kernel_slot(unsigned int s)
{
	return fz.kernel_slots[s / 64] & (1ull << (s % 64));
}

/* One mmu_update request aimed at the sandbox. */
static mmu_update_t mmu_request(void)
{
	mmu_update_t r;
	unsigned int cmd = fz_chance(75) ? MMU_NORMAL_PT_UPDATE :
		(unsigned int)FZ_PICK(MMU_PT_UPDATE_PRESERVE_AD, MMU_MACHPHYS_UPDATE,
				      MMU_PT_UPDATE_NO_TRANSLATE, 4, 5, 6, 7);
	unsigned int s;

	r.val = fz_pte(1 + (unsigned int)fz_below(4));
	if (cmd == MMU_MACHPHYS_UPDATE) {
		/* The M2P entry of a frame: only scratch ones (ours would break us). */
		r.ptr = (fz_mfn(FZM_SCRATCH | FZM_CLONE | FZM_JUNK) << PAGE_SHIFT) | cmd;
		r.val = fz_chance(50) ? fz_below(start_info.nr_pages + 16) : fz_u64();
		return r;
	}
	switch (fz_below(10)) {
	case 0: case 1: case 2: case 3: case 4: case 5:
		r.ptr = (fz.scratch[fz_below(fz.nr_scratch)] << PAGE_SHIFT) + table_index() * 8;
		break;
	case 6:
		do
			s = table_index();
		while (kernel_slot(s));
		r.ptr = (fz.clone[fz_below(FZ_NR_CLONE)] << PAGE_SHIFT) + s * 8;
		break;
	case 7:
		/* Our L4: the sandbox slot, or one of Xen's (always refused). */
		s = fz_chance(70) ? FZ_SB_SLOT : 256 + (unsigned int)fz_below(16);
		r.ptr = (fz.own_pt[0] << PAGE_SHIFT) + s * 8;
		if (s == FZ_SB_SLOT && fz_chance(50))
			r.val = (fz.scratch[fz_below(fz.nr_scratch)] << PAGE_SHIFT) |
				_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED;
		break;
	case 8:
		/* Our own L1 entry, rewritten with the value it has. */
		r.ptr = fz.own_l1e_maddr;
		r.val = fz.own_l1e;
		if (cmd > MMU_PT_UPDATE_NO_TRANSLATE)
			cmd = MMU_NORMAL_PT_UPDATE;
		break;
	default:
		r.ptr = (fz_junk_mfn() << PAGE_SHIFT) + fz_below(PAGE_SIZE);
		break;
	}
	r.ptr = (r.ptr & ~7ull) | cmd;
	return r;
}

static uint64_t pdone(void)
{
	return fz_chance(30) ? 0 : fz_ptr(sizeof(unsigned int), FZP_ANY);
}

static domid_t foreigndom(void)
{
	return fz_chance(75) ? DOMID_SELF : fz_domid();
}

void fz_gen_mmu_update(struct fz_call *c, unsigned int flags)
{
	mmu_update_t req[16];
	uint32_t count = fz_count(8);
	unsigned int n = count < ARRAY_SIZE(req) ? count : ARRAY_SIZE(req);

	(void)flags;
	for (unsigned int i = 0; i < n; i++)
		req[i] = mmu_request();
	if (fz_chance(3)) {
		/* One request, over and over, far past what preemption allows. */
		size_t len;

		c->a[0] = fz_alias(&req[0], sizeof(req[0]), &len);
		count = (uint32_t)FZ_PICK(1024, 8192, FZ_ALIAS_BYTES / sizeof(req[0]),
					  FZ_ALIAS_BYTES / sizeof(req[0]) + 1);
		(void)len;
	} else {
		c->a[0] = fz_ptr((size_t)(count & 0x7fffffff) * sizeof(req[0]), FZP_ANY);
		fz_put(c->a[0], req, n * sizeof(req[0]));
	}
	c->a[1] = count;
	c->a[2] = pdone();
	c->a[3] = foreigndom();
}

/*
 * One extended op; FZ_BENIGN: nothing that moves our base pointers (an
 * iret to user mode without user page tables crashes the domain, as Xen).
 */
static struct mmuext_op mmuext_request(struct fz_call *c, unsigned int flags)
{
	struct mmuext_op op = { .cmd = (unsigned int)fz_below(22) };

	if (fz_chance(5))
		op.cmd = fz_u32();
	switch (op.cmd) {
	case MMUEXT_PIN_L1_TABLE: case MMUEXT_PIN_L2_TABLE:
	case MMUEXT_PIN_L3_TABLE: case MMUEXT_PIN_L4_TABLE:
	case MMUEXT_MARK_SUPER: case MMUEXT_UNMARK_SUPER:
		op.arg1.mfn = fz_mfn(FZM_ANY);
		break;
	case MMUEXT_UNPIN_TABLE:
		/* Not our L4: everything else may be unpinned (ours stay referenced). */
		op.arg1.mfn = fz_chance(10) ? fz.own_pt[1 + fz_below(3)] :
			fz_mfn(FZM_SCRATCH | FZM_CLONE | FZM_OWN | FZM_SPECIAL | FZM_JUNK);
		break;
	case MMUEXT_NEW_BASEPTR:
		if (flags & FZ_BENIGN) {
			op.cmd = MMUEXT_TLB_FLUSH_LOCAL;
			break;
		}
		/* Only L4s that map our kernel, or frames that cannot become one. */
		op.arg1.mfn = fz_chance(60) ? fz.clone[fz_below(FZ_NR_CLONE)] :
			fz_mfn(FZM_OWN_PT | FZM_OWN | FZM_SPECIAL | FZM_JUNK);
		c->restore |= FZR_BASE;
		break;
	case MMUEXT_NEW_USER_BASEPTR:
		if (flags & FZ_BENIGN) {
			op.cmd = MMUEXT_TLB_FLUSH_LOCAL;
			break;
		}
		op.arg1.mfn = fz_chance(10) ? 0 : fz_mfn(FZM_ANY);
		c->restore |= FZR_USER_BASE;
		break;
	case MMUEXT_INVLPG_LOCAL: case MMUEXT_INVLPG_ALL:
		op.arg1.linear_addr = fz_va(true);
		break;
	case MMUEXT_INVLPG_MULTI: case MMUEXT_TLB_FLUSH_MULTI:
		op.arg1.linear_addr = fz_va(true);
		set_xen_guest_handle(op.arg2.vcpumask,
				     (const void *)fz_in(&(uint64_t){ fz_u64() }, 8, FZP_ANY));
		break;
	case MMUEXT_SET_LDT:
		op.arg1.linear_addr = fz_va(true);
		op.arg2.nr_ents = (unsigned int)FZ_PICK(0, 1, 2, 511, 512, 8191, 8192, 8193,
							 0xffffffff);
		break;
	case MMUEXT_CLEAR_PAGE:
		op.arg1.mfn = fz_mfn(FZM_WRITE);
		break;
	case MMUEXT_COPY_PAGE:
		op.arg1.mfn = fz_mfn(FZM_WRITE);
		op.arg2.src_mfn = fz_mfn(FZM_ANY);
		break;
	default:
		op.arg1.mfn = fz_junk_mfn();
		op.arg2.src_mfn = fz_chance(50) ? fz_junk_mfn() : fz_u64();
		break;
	}
	return op;
}

void fz_gen_mmuext_op(struct fz_call *c, unsigned int flags)
{
	struct mmuext_op ops[8];
	uint32_t count = fz_count(4);
	unsigned int n = count < ARRAY_SIZE(ops) ? count : ARRAY_SIZE(ops);

	for (unsigned int i = 0; i < n; i++)
		ops[i] = mmuext_request(c, flags);
	c->a[0] = fz_ptr((size_t)(count & 0x7fffffff) * sizeof(ops[0]), FZP_ANY);
	fz_put(c->a[0], ops, n * sizeof(ops[0]));
	c->a[1] = count;
	c->a[2] = pdone();
	c->a[3] = foreigndom();
}

static uint64_t uvm_flags(void)
{
	uint64_t f = fz_below(4) | (fz_chance(30) ? UVMF_ALL : 0);

	if (fz_chance(20) && !(f & UVMF_ALL))
		f |= fz_in(&(uint64_t){ fz_u64() }, 8, FZP_ANY) & ~7ull;	/* vcpumask */
	return fz_chance(5) ? fz_u64() : f;
}

static void uvm_args(struct fz_call *c)
{
	if (fz_chance(10)) {
		/* Our own mapping of the read-only page, as it is. */
		c->a[0] = fz.ro;
		c->a[1] = fz.own_l1e;
	} else {
		c->a[0] = fz_va(false);
		c->a[1] = fz_pte(1);
	}
	c->a[2] = uvm_flags();
}

void fz_gen_update_va_mapping(struct fz_call *c, unsigned int flags)
{
	(void)flags;
	uvm_args(c);
}

void fz_gen_update_va_mapping_otherdomain(struct fz_call *c, unsigned int flags)
{
	(void)flags;
	uvm_args(c);
	c->a[3] = fz_domid();
}

/* Descriptor pages: scratch frames, or frames Xen must refuse. */
void fz_gen_set_gdt(struct fz_call *c, unsigned int flags)
{
	xen_pfn_t frames[16];
	uint32_t entries = fz_chance(70) ? (uint32_t)fz_below(3 * 512) :
		(uint32_t)FZ_PICK(0, 1, 511, 512, 513, 7167, 7168, 7169, 8192, 65536, 0xffffffff);
	size_t nf = (entries + 511ull) / 512;

	(void)flags;
	for (unsigned int i = 0; i < ARRAY_SIZE(frames); i++)
		frames[i] = fz_chance(85) ? fz_mfn(FZM_SCRATCH) :
			fz_mfn(FZM_OWN_PT | FZM_OWN | FZM_SPECIAL | FZM_JUNK);
	c->a[0] = fz_ptr(nf * 8, FZP_ANY);
	fz_put(c->a[0], frames, (nf < ARRAY_SIZE(frames) ? nf : ARRAY_SIZE(frames)) * 8);
	c->a[1] = entries;
}

void fz_gen_update_descriptor(struct fz_call *c, unsigned int flags)
{
	(void)flags;
	c->a[0] = (fz_mfn(FZM_WRITE) << PAGE_SHIFT) +
		(fz_chance(95) ? fz_below(512) * 8 : fz_below(PAGE_SIZE));
	c->a[1] = fz_desc();
}

/* ---- grant tables -------------------------------------------------------------- */

static uint16_t gnt_offset(void)
{
	return (uint16_t)(fz_chance(60) ? fz_below(PAGE_SIZE) :
			  FZ_PICK(0, 1, 8, 4088, 4095, 4096, 4097, 0x8000, 0xffff));
}

static void gnt_copy_ptr(struct gnttab_copy_ptr *p, bool dest, uint16_t flag, uint16_t *flags)
{
	if (fz_chance(10)) {
		*flags |= flag;
		p->u.ref = fz_u32();
	} else {
		p->u.gmfn = dest ? fz_mfn(FZM_WRITE) : fz_mfn(FZM_ANY);
	}
	p->domid = fz_chance(80) ? DOMID_SELF : fz_domid();
	p->offset = gnt_offset();
}

/* Fill one element of a grant op in buf; its size. */
static size_t gnt_element(unsigned int cmd, void *buf)
{
	memset(buf, 0, 64);
	switch (cmd) {
	case GNTTABOP_map_grant_ref: {
		struct gnttab_map_grant_ref *m = buf;

		m->flags = (uint32_t)fz_below(32);
		m->host_addr = (m->flags & GNTMAP_contains_pte) ?
			(fz_mfn(FZM_WRITE) << PAGE_SHIFT) + fz_below(512) * 8 : fz_va(false);
		m->ref = fz_u32();
		m->dom = fz_domid();
		return sizeof(*m);
	}
	case GNTTABOP_unmap_grant_ref: {
		struct gnttab_unmap_grant_ref *u = buf;

		u->host_addr = fz_va(false);
		u->dev_bus_addr = fz_u64();
		u->handle = fz_u32();
		return sizeof(*u);
	}
	case GNTTABOP_transfer: {
		struct gnttab_transfer *t = buf;

		t->mfn = fz_junk_mfn();		/* a frame of ours would be given away */
		t->domid = fz_domid();
		t->ref = fz_u32();
		return sizeof(*t);
	}
	case GNTTABOP_copy: {
		struct gnttab_copy *g = buf;

		gnt_copy_ptr(&g->source, false, GNTCOPY_source_gref, &g->flags);
		gnt_copy_ptr(&g->dest, true, GNTCOPY_dest_gref, &g->flags);
		g->len = (uint16_t)(fz_chance(60) ? fz_below(PAGE_SIZE + 1) :
				    FZ_PICK(0, 1, 8, 4095, 4096, 4097, 0xffff));
		if (fz_chance(5))
			g->flags |= (uint16_t)fz_rnd();
		return sizeof(*g);
	}
	case GNTTABOP_unmap_and_replace: {
		struct gnttab_unmap_and_replace *r = buf;

		r->host_addr = fz_va(false);
		r->new_addr = fz_chance(30) ? 0 : fz_va(false);
		r->handle = fz_u32();
		return sizeof(*r);
	}
	case GNTTABOP_swap_grant_ref: {
		struct gnttab_swap_grant_ref *s = buf;

		s->ref_a = fz_u32();
		s->ref_b = fz_u32();
		return sizeof(*s);
	}
	case GNTTABOP_cache_flush: {
		struct gnttab_cache_flush *f = buf;

		f->a.dev_bus_addr = fz_chance(50) ? fz_mfn(FZM_ANY) << PAGE_SHIFT : fz_u64();
		f->offset = gnt_offset();
		f->length = gnt_offset();
		f->op = fz_u32();
		return sizeof(*f);
	}
	default: {
		uint64_t *w = buf;

		for (unsigned int i = 0; i < 8; i++)
			w[i] = fz_u64();
		return 64;
	}
	}
}

void fz_gen_grant_table_op(struct fz_call *c, unsigned int flags)
{
	unsigned int cmd = fz_chance(95) ? (unsigned int)fz_below(14) : fz_u32();
	uint32_t count = fz_chance(60) ? 1 : fz_count(4);

	(void)flags;
	switch (cmd) {
	case GNTTABOP_setup_table: {
		struct gnttab_setup_table s = { .dom = fz_chance(70) ? DOMID_SELF : fz_domid(),
			.nr_frames = fz_chance(60) ? (uint32_t)fz_below(8) : fz_count(64) };

		set_xen_guest_handle(s.frame_list,
			(xen_pfn_t *)fz_ptr(fz_span(s.nr_frames, 8), FZP_ANY));
		c->a[1] = fz_in(&s, sizeof(s), FZP_ANY);
		break;
	}
	case GNTTABOP_get_status_frames: {
		struct gnttab_get_status_frames s = { .dom = fz_chance(70) ? DOMID_SELF : fz_domid(),
			.nr_frames = fz_chance(60) ? (uint32_t)fz_below(8) : fz_count(64) };

		set_xen_guest_handle(s.frame_list,
			(uint64_t *)fz_ptr(fz_span(s.nr_frames, 8), FZP_ANY));
		c->a[1] = fz_in(&s, sizeof(s), FZP_ANY);
		break;
	}
	case GNTTABOP_query_size: case GNTTABOP_dump_table: case GNTTABOP_get_version: {
		/* All three start with a domid where the guest names the domain. */
		struct gnttab_query_size q = { .dom = fz_chance(70) ? DOMID_SELF : fz_domid() };

		c->a[1] = fz_in(&q, sizeof(q), FZP_ANY);
		break;
	}
	case GNTTABOP_set_version: {
		struct gnttab_set_version v = { .version = fz_chance(80) ?
			(uint32_t)fz_below(4) : fz_u32() };

		c->a[1] = fz_in(&v, sizeof(v), FZP_ANY);
		break;
	}
	default: {
		uint8_t elems[4][64];
		size_t size = 0;
		unsigned int n = count < 4 ? count : 4;

		for (unsigned int i = 0; i < n; i++)
			size = gnt_element(cmd, elems[i]);
		if (!n)
			size = gnt_element(cmd, elems[0]);
		c->a[1] = fz_ptr(fz_span(count, size), FZP_ANY);
		for (unsigned int i = 0; i < n; i++)
			fz_put(c->a[1] + i * size, elems[i], size);
		break;
	}
	}
	c->a[0] = cmd;
	c->a[2] = count;
}

/* ---- memory_op ----------------------------------------------------------------- */

/* A list of frames none of whose 2^order-frame extents touch ours. */
static uint64_t far_extents(uint32_t nr, unsigned int order)
{
	uint64_t list[8];
	unsigned int n = nr < 8 ? nr : 8;

	for (unsigned int i = 0; i < n; i++) {
		uint64_t m;

		do
			m = fz_chance(50) ? fz_junk_mfn() : fz_rnd() & 0xfffffffffull;
		while (order < 64 && (m + (1ull << order) < m ||
				      (m + (1ull << order) > fz.own_lo && m <= fz.own_hi)));
		list[i] = m;
	}
	{
		uint64_t va = fz_ptr(fz_span(nr, 8), FZP_ANY);

		fz_put(va, list, n * 8);
		return va;
	}
}

static void reservation(struct xen_memory_reservation *r)
{
	r->nr_extents = fz_count(8);
	r->extent_order = fz_chance(70) ? 0 : (unsigned int)FZ_PICK(1, 2, 9, 10, 18, 31, 32, 63, 64);
	r->mem_flags = fz_chance(70) ? 0 : fz_u32();
	r->domid = fz_chance(70) ? DOMID_SELF : fz_domid();
	set_xen_guest_handle(r->extent_start,
			     (xen_pfn_t *)far_extents(r->nr_extents, r->extent_order));
}

void fz_gen_memory_op(struct fz_call *c, unsigned int flags)
{
	unsigned long cmd = fz_chance(90) ? fz_below(31) : fz_u32();
	union {
		struct xen_memory_reservation r;
		struct xen_memory_exchange x;
		struct xen_machphys_mfn_list ml;
		struct xen_add_to_physmap a;
		struct xen_remove_from_physmap rm;
		struct xen_memory_map mm;
		uint64_t raw[32];
	} u;
	size_t size = sizeof(u);

	(void)flags;
	memset(&u, 0, sizeof(u));
	switch (cmd & 0x3f) {
	case XENMEM_increase_reservation: case XENMEM_decrease_reservation:
	case XENMEM_populate_physmap: case 24:	/* XENMEM_claim_pages (tools only) */
		reservation(&u.r);
		size = sizeof(u.r);
		break;
	case XENMEM_exchange:
		reservation(&u.x.in);
		reservation(&u.x.out);
		u.x.nr_exchanged = fz_chance(80) ? 0 : fz_u64();
		size = sizeof(u.x);
		break;
	case XENMEM_machphys_mfn_list: case XENMEM_machphys_compat_mfn_list:
		u.ml.max_extents = fz_count(16);
		set_xen_guest_handle(u.ml.extent_start,
			(xen_pfn_t *)fz_ptr(fz_span(u.ml.max_extents, 8), FZP_ANY));
		size = sizeof(u.ml);
		break;
	case XENMEM_add_to_physmap:
		u.a.domid = fz_chance(70) ? DOMID_SELF : fz_domid();
		u.a.size = (uint16_t)fz_count(4);
		u.a.space = (unsigned int)fz_below(8);
		u.a.idx = fz_chance(50) ? fz_below(4) : fz_junk_mfn();
		u.a.gpfn = fz_junk_mfn();
		size = sizeof(u.a);
		break;
	case XENMEM_remove_from_physmap:
		u.rm.domid = fz_chance(70) ? DOMID_SELF : fz_domid();
		u.rm.gpfn = fz_junk_mfn();
		size = sizeof(u.rm);
		break;
	case XENMEM_memory_map: case XENMEM_machine_memory_map: case XENMEM_set_memory_map:
		u.mm.nr_entries = fz_count(8);
		set_xen_guest_handle(u.mm.buffer,
			(void *)fz_ptr(fz_span(u.mm.nr_entries, 20), FZP_ANY));
		size = sizeof(u.mm);
		break;
	case XENMEM_current_reservation: case XENMEM_maximum_reservation:
	case XENMEM_maximum_gpfn:
		u.raw[0] = fz_chance(70) ? DOMID_SELF : fz_domid();
		size = sizeof(domid_t);
		break;
	default:
		/*
		 * The rest are queries, privileged, or for HVM guests; frame
		 * numbers in them are never ours.
		 */
		for (unsigned int i = 0; i < 32; i++)
			u.raw[i] = fz_chance(30) ? fz_junk_mfn() : fz_word();
		if (fz_chance(70))
			u.raw[0] = (u.raw[0] & ~0xffffull) | DOMID_SELF;
		break;
	}
	if (fz_chance(10))
		cmd |= fz_u64() << 6;		/* the continuation's start extent */
	c->a[0] = cmd;
	c->a[1] = fz_chance(5) ? fz_ptr(size, FZP_FAULT | FZP_RO) : fz_in(&u, size, FZP_ANY);
}

/* ---- multicall ------------------------------------------------------------------- */

static struct { struct fz_call sub; uint64_t va; } subs[8];
static unsigned int nr_subs;

static void multicall_post(const struct fz_call *c, long rc)
{
	(void)c;
	(void)rc;
	for (unsigned int i = 0; i < nr_subs; i++) {
		uint64_t r = subs[i].va + offsetof(multicall_entry_t, result);

		if (subs[i].sub.post && r >= fz.buf && r + 8 <= fz.buf_end)
			subs[i].sub.post(&subs[i].sub, *(const long *)r);
	}
}

unsigned long fz_pick_op(void);

/* A multicall entry for op, generated as a nested call would be. */
void fz_mc_entry(multicall_entry_t *e, struct fz_call *sub, unsigned int flags)
{
	fz_gen *g = sub->op < 64 ? fz_generators[sub->op] : NULL;

	(g ? g : fz_gen_random)(sub, flags);
	e->op = sub->op;
	e->result = fz_u64();
	for (unsigned int k = 0; k < 6; k++)
		e->args[k] = sub->a[k];
}

void fz_gen_multicall(struct fz_call *c, unsigned int flags)
{
	multicall_entry_t list[8];
	uint32_t count = fz_count(6);
	unsigned int n = count < ARRAY_SIZE(list) ? count : ARRAY_SIZE(list);

	c->restore = FZR_ALL;
	if (!(flags & FZ_NESTED) && fz_chance(5)) {
		c->experiment = true;	/* with an iret inside: fuzz_iret.c */
		c->ctx = 1;
		return;
	}
	if (flags & FZ_NESTED) {
		/* Xen refuses a nested multicall: its list is zeros or faults. */
		c->a[1] = fz_count(4);
		c->a[0] = fz_ptr(fz_span(c->a[1], sizeof(list[0])), FZP_ANY);
		return;
	}
	nr_subs = 0;
	fz_multicall_blocked = false;
	for (unsigned int i = 0; i < n; i++) {
		struct fz_call *sub = &subs[nr_subs].sub;

		memset(sub, 0, sizeof(*sub));
		sub->op = fz_chance(95) ? fz_pick_op() : FZ_PICK(64, 100, 0xffff, ~0ull);
		if (sub->op == __HYPERVISOR_iret)
			sub->op = __HYPERVISOR_xen_version;
		fz_mc_entry(&list[i], sub, FZ_NESTED);
		nr_subs++;
	}
	if (fz_chance(3) && n) {
		/* The first entry again and again: Xen preempts long lists. */
		size_t len;

		list[0].op = fz_chance(50) ? __HYPERVISOR_xen_version : __HYPERVISOR_vm_assist;
		list[0].args[0] = list[0].op == __HYPERVISOR_vm_assist ? 9 : 0;
		list[0].args[1] = 0;
		nr_subs = 0;
		c->a[0] = fz_alias(&list[0], sizeof(list[0]), &len);
		c->a[1] = FZ_PICK(1024, 8192, FZ_ALIAS_BYTES / sizeof(list[0]),
				  FZ_ALIAS_BYTES / sizeof(list[0]) + 1);
		(void)len;
		return;
	}
	c->a[0] = fz_ptr(fz_span(count, sizeof(list[0])), FZP_ANY);
	for (unsigned int i = 0; i < n; i++) {
		subs[i].va = c->a[0] + i * sizeof(list[0]);
		fz_put(subs[i].va, &list[i], sizeof(list[0]));
	}
	c->a[1] = count;
	c->post = multicall_post;
}
