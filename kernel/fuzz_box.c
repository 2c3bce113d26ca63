/*
 * The fuzzer's sandbox: what random hypercalls may break.
 *
 *   scratch frames   unmapped from the direct map, so any of them can become
 *                    a page table, a descriptor page or a mapped frame
 *                    (plus the xenstore ring: a fuzzing kernel never starts
 *                    its xenstore client)
 *   clones           L4s whose kernel slots are copies of ours: the only
 *                    frames NEW_BASEPTR may switch to
 *   L4 slot 272      of our own L4, where scratch tables may be linked
 *   the buffer       two pages for hypercall arguments, then a hole
 *   ro, window       a read-only page of zeros; a VA for writing frames
 *   alias            512 KiB that all map one frame: arrays Xen reads far
 *   low stack        one no-execute page below 4 GiB, for iret frames
 *
 * fz_box_reset() brings every frame back to a plain page as far as the
 * hypervisor lets it, and says how many are still typed.
 */
#include <xen/xen.h>
#include <xen/nmi.h>
#include <xen/grant_table.h>

#include "arch/x86/extable.h"
#include "arch/x86/hypercall.h"
#include "arch/x86/regs.h"
#include "kernel/fuzz.h"
#include "kernel/kernel.h"
#include "lib/barrier.h"
#include "mm/frames.h"
#include "mm/layout.h"
#include "mm/mm.h"
#include "mm/p2m.h"
#include "mm/pagetable.h"
#include "mm/vmap.h"
#include "xen/start_info.h"

struct fz_box fz;

static uint8_t kstack[16384] __attribute__((aligned(16)));

extern char fz_event_entry[], fz_failsafe_entry[], fz_syscall_entry[], fz_nmi_entry[];
extern const struct trap_info fz_trap_table[];

#define setup_call(expr)	({ fz_stats.setup_calls++; (expr); })

static unsigned long new_frame(void)
{
	unsigned long pfn = frame_alloc();

	if (pfn == FRAME_NONE)
		panic("fuzz: out of frames for the sandbox");
	memset(pfn_to_virt(pfn), 0, PAGE_SIZE);
	return pfn;
}

/* pages of VA, the first `mapped` of them mapped to fresh writable frames. */
static unsigned long new_area(unsigned long pages, unsigned long mapped, uint64_t flags,
			      xen_pfn_t *first_mfn)
{
	unsigned long va = vmap_alloc(pages);
	struct pt_batch b = { 0 };

	if (!va)
		panic("fuzz: no virtual range for the sandbox");
	for (unsigned long i = 0; i < mapped; i++) {
		xen_pfn_t mfn = pfn_to_mfn(new_frame());

		if (i == 0 && first_mfn)
			*first_mfn = mfn;
		if (pt_set(&b, va + i * PAGE_SIZE, (mfn << PAGE_SHIFT) | flags))
			panic("fuzz: cannot map the sandbox");
	}
	pt_commit(&b);
	return va;
}

/* Take a frame out of the direct map: with no mapping it can become anything. */
static void unmap_frame(unsigned long pfn)
{
	struct pt_batch b = { 0 };

	pt_set(&b, (unsigned long)pfn_to_virt(pfn), 0);
	pt_commit(&b);
}

static long uvm(unsigned long va, uint64_t pte)
{
	return setup_call(hypercall_update_va_mapping(va, pte, UVMF_INVLPG | UVMF_LOCAL));
}

static xen_pfn_t table_mfn(const uint64_t *t, unsigned int index)
{
	return pte_mfn(t[index]);
}

static void find_domid(void)
{
	struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = DOMID_SELF };
	struct evtchn_status st = { .dom = DOMID_SELF };
	struct evtchn_close c;

	fz.domid = DOMID_INVALID;
	if (setup_call(hypercall_event_channel_op(EVTCHNOP_alloc_unbound, &a)))
		return;
	st.port = a.port;
	if (!setup_call(hypercall_event_channel_op(EVTCHNOP_status, &st)) &&
	    st.status == EVTCHNSTAT_unbound)
		fz.domid = st.u.unbound.dom;
	c.port = a.port;
	setup_call(hypercall_event_channel_op(EVTCHNOP_close, &c));
}

static void add_special(xen_pfn_t mfn)
{
	if (mfn && fz.nr_special < FZ_MAX_SPECIAL)
		fz.special[fz.nr_special++] = mfn;
}

void fz_install_entry_points(void)
{
	struct xennmi_callback nmi = { .handler_address = (unsigned long)fz_nmi_entry };

	if (setup_call(hypercall_set_trap_table(fz_trap_table)) ||
	    setup_call(hypercall_set_callbacks((unsigned long)fz_event_entry,
					       (unsigned long)fz_failsafe_entry,
					       (unsigned long)fz_syscall_entry)) ||
	    setup_call(_hypercall2(__HYPERVISOR_nmi_op, XENNMI_register_callback, &nmi)) ||
	    setup_call(_hypercall2(__HYPERVISOR_stack_switch, FLAT_KERNEL_SS, fz.kstack_top)))
		panic("fuzz: cannot install the fuzzer's entry points");
}

void fz_box_init(void)
{
	struct xen_machphys_mapping mp;
	struct gnttab_setup_table gs = { .dom = DOMID_SELF, .nr_frames = 1 };
	xen_pfn_t grant_frame = 0;
	struct pt_batch b = { 0 };
	uint64_t *l3, *l2;

	fz.kstack_top = (unsigned long)kstack + sizeof(kstack);
	fz.m2p_max = setup_call(hypercall_memory_op(XENMEM_machphys_mapping, &mp)) ?
		MACH2PHYS_NR_ENTRIES : mp.max_mfn;
	find_domid();
	if (!is_initial_domain())
		fz.console_port = start_info.console.domU.evtchn;
	{
		struct evtchn_bind_ipi ipi = { .vcpu = 0 };

		if (!setup_call(hypercall_event_channel_op(EVTCHNOP_bind_ipi, &ipi)))
			fz.ipi_port = ipi.port;
	}

	/* Argument memory: 2 pages then a hole; a read-only page then a hole. */
	fz.buf = new_area(3, 2, PTE_KERNEL_RW, NULL);
	fz.buf_end = fz.buf + 2 * PAGE_SIZE;
	fz.ro = new_area(2, 1, PTE_KERNEL_RO, &fz.own);
	{
		uint64_t *e = pt_walk(&b, kernel_l4, fz.ro, false);

		fz.own_l1e_maddr = virt_to_maddr(e);
		fz.own_l1e = *e;
	}
	/* The window: a VA whose L1 exists, mapped only while a frame is written. */
	fz.window = new_area(1, 1, PTE_KERNEL_RO, NULL);
	unmap_range(fz.window, 1);
	/* The alias region: one frame over and over, a hole after it. */
	fz.alias = vmap_alloc(FZ_ALIAS_PAGES + 1);
	if (!fz.alias)
		panic("fuzz: no virtual range for the alias region");
	fz.alias_end = fz.alias + FZ_ALIAS_BYTES;
	fz.alias_mfn = pfn_to_mfn(new_frame());
	for (unsigned long i = 0; i < FZ_ALIAS_PAGES; i++)
		pt_set(&b, fz.alias + i * PAGE_SIZE, (fz.alias_mfn << PAGE_SHIFT) | PTE_KERNEL_RW);
	pt_commit(&b);

	/* A stack for kernel-mode iret frames, valid in compatibility mode too. */
	fz.low_stack = FZ_LOW_STACK;
	if (pt_set(&b, fz.low_stack, (pfn_to_mfn(new_frame()) << PAGE_SHIFT) |
		   PTE_KERNEL_RW | _PAGE_NX))
		panic("fuzz: cannot map the low stack");
	pt_commit(&b);

	/* Our own tables (the kernel image's walk), and the slots we live in. */
	fz.own_pt[0] = mm_boot.l4_mfn;
	fz.own_pt[1] = table_mfn(kernel_l4, pt_index(VIRT_BASE, 4));
	l3 = mfn_to_virt(fz.own_pt[1]);
	fz.own_pt[2] = table_mfn(l3, pt_index(VIRT_BASE, 3));
	l2 = mfn_to_virt(fz.own_pt[2]);
	fz.own_pt[3] = table_mfn(l2, pt_index(VIRT_BASE, 2));
	for (unsigned int s = 0; s < 512; s++)
		if ((s < 256 || s > 271) && s != FZ_SB_SLOT && (kernel_l4[s] & _PAGE_PRESENT))
			fz.kernel_slots[s / 64] |= 1ull << (s % 64);
	if (kernel_l4[FZ_SB_SLOT] & _PAGE_PRESENT)
		panic("fuzz: L4 slot %u is in use", FZ_SB_SLOT);

	/* Clones: our kernel slots, nothing else, while still plain memory. */
	for (unsigned int i = 0; i < FZ_NR_CLONE; i++) {
		unsigned long pfn = new_frame();
		uint64_t *c = pfn_to_virt(pfn);

		for (unsigned int s = 0; s < 512; s++)
			if (fz.kernel_slots[s / 64] & (1ull << (s % 64)))
				c[s] = kernel_l4[s];
		fz.clone[i] = pfn_to_mfn(pfn);
		unmap_frame(pfn);
	}
	for (unsigned int i = 0; i < FZ_NR_SCRATCH; i++) {
		unsigned long pfn = new_frame();

		fz.scratch[fz.nr_scratch++] = pfn_to_mfn(pfn);
		unmap_frame(pfn);
	}
	/* The xenstore ring: xenstored has it mapped on Xen, so it cannot become a table there. */
	if (!is_initial_domain() && start_info.store_mfn) {
		unsigned long pfn = mfn_to_pfn(start_info.store_mfn);

		if (pfn < start_info.nr_pages && pfn_to_mfn(pfn) == start_info.store_mfn) {
			unmap_frame(pfn);
			fz.scratch[fz.nr_scratch++] = start_info.store_mfn;
		}
	}

	add_special(start_info.shared_info >> PAGE_SHIFT);
	if (!is_initial_domain())
		add_special(start_info.console.domU.mfn);
	set_xen_guest_handle(gs.frame_list, &grant_frame);
	if (!setup_call(_hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_setup_table, &gs, 1)) &&
	    gs.status == GNTST_okay)
		add_special(grant_frame);

	/* The span of our frames: extents Xen frees must stay outside it. */
	fz.own_lo = ~0ull;
	for (unsigned long pfn = 0; pfn < start_info.nr_pages && pfn < MAX_GUEST_FRAMES; pfn++) {
		xen_pfn_t m = pfn_to_mfn(pfn);

		fz.own_lo = m < fz.own_lo ? m : fz.own_lo;
		fz.own_hi = m > fz.own_hi ? m : fz.own_hi;
	}
	for (unsigned int i = 0; i < fz.nr_special; i++) {
		fz.own_lo = fz.special[i] < fz.own_lo ? fz.special[i] : fz.own_lo;
		fz.own_hi = fz.special[i] > fz.own_hi ? fz.special[i] : fz.own_hi;
	}

	fz_install_entry_points();
	fz.user_base_ok = false;
}

bool fz_mfn_is_ours(xen_pfn_t mfn)
{
	uint64_t exinfo = 0, pfn = ~0ull;

	for (unsigned int i = 0; i < fz.nr_scratch; i++)
		if (fz.scratch[i] == mfn)
			return true;
	for (unsigned int i = 0; i < FZ_NR_CLONE; i++)
		if (fz.clone[i] == mfn)
			return true;
	for (unsigned int i = 0; i < fz.nr_special; i++)
		if (fz.special[i] == mfn)
			return true;
	if (mfn >= fz.m2p_max)
		return false;
	/* The M2P may have holes: read it under an exception-table fixup. */
	asm volatile ("1: mov (%[p]), %[v]; 2:\n" _ASM_EXTABLE(1b, 2b)
		      : "+a" (exinfo), [v] "+r" (pfn)
		      : [p] "r" (&machine_to_phys_mapping[mfn]) : "memory");
	if (exinfo)
		return false;
	return pfn < start_info.nr_pages && pfn < MAX_GUEST_FRAMES && pfn_to_mfn(pfn) == mfn;
}

bool fz_va_is_ours(uint64_t va)
{
	unsigned int slot = (va >> 39) & 511;

	if ((uint64_t)((int64_t)(va << 16) >> 16) != va)
		return false;			/* non-canonical: nobody's */
	return fz.kernel_slots[slot / 64] & (1ull << (slot % 64));
}

/*
 * New contents for a scratch frame, written through the window, which
 * works only while the frame can be a writable page (no table, no GDT).
 */
void fz_box_fill(void)
{
	xen_pfn_t mfn = fz.scratch[fz_below(fz.nr_scratch)];
	uint64_t *p = (uint64_t *)fz.window;
	unsigned int kind = (unsigned int)fz_below(6), level = 1 + (unsigned int)fz_below(4);

	if (uvm(fz.window, (mfn << PAGE_SHIFT) | PTE_KERNEL_RW))
		return;
	for (unsigned int i = 0; i < 512; i++) {
		switch (kind) {
		case 0: p[i] = 0; break;
		case 1: p[i] = fz_chance(60) ? 0 : fz_pte(level); break;
		case 2: p[i] = (i < 4 || i == 511) ? fz_pte(level) : 0; break;
		case 3: p[i] = fz_chance(50) ? 0 : fz_desc(); break;
		case 4: p[i] = fz_rnd(); break;
		default:
			/* A tree Xen would accept: entries to scratch frames, kernel flags. */
			p[i] = (i < 3 || i == 511) ?
				((fz.scratch[fz_below(fz.nr_scratch)] << PAGE_SHIFT) | PTE_TABLE) : 0;
			if (level == 1)
				p[i] &= ~(uint64_t)_PAGE_RW;
			break;
		}
	}
	uvm(fz.window, 0);
}

/*
 * Everything back to a plain frame: our own L4 as base, no user base, no
 * GDT or LDT pages, slot 272 empty, no pins. Then count the sandbox
 * frames that cannot be mapped writable: still typed (after a failed
 * validation Xen may keep a type reference for good).
 */
unsigned int fz_box_reset(bool report)
{
	static struct mmuext_op ops[FZ_NR_SCRATCH + FZ_NR_CLONE + 8];
	static multicall_entry_t mc[2 * (FZ_NR_SCRATCH + FZ_NR_CLONE) + 16];
	static mmu_update_t clear_slot;
	static struct vcpu_set_periodic_timer period = { .period_ns = 10000000 };
	unsigned int n = 0, k = 0, bad = 0;
	xen_pfn_t frames[FZ_NR_SCRATCH + 1 + FZ_NR_CLONE];
	unsigned int nr_frames = 0;

	for (unsigned int i = 0; i < fz.nr_scratch; i++)
		frames[nr_frames++] = fz.scratch[i];
	for (unsigned int i = 0; i < FZ_NR_CLONE; i++)
		frames[nr_frames++] = fz.clone[i];

	ops[k] = (struct mmuext_op){ .cmd = MMUEXT_NEW_BASEPTR, .arg1.mfn = fz.own_pt[0] };
	ops[k + 1] = (struct mmuext_op){ .cmd = MMUEXT_NEW_USER_BASEPTR, .arg1.mfn = 0 };
	ops[k + 2] = (struct mmuext_op){ .cmd = MMUEXT_SET_LDT };
	for (unsigned int i = 0; i < 3; i++, k++)
		mc[n++] = (multicall_entry_t){ .op = __HYPERVISOR_mmuext_op,
			.args = { (unsigned long)&ops[k], 1, 0, DOMID_SELF } };
	mc[n++] = (multicall_entry_t){ .op = __HYPERVISOR_set_gdt, .args = { 0, 0 } };
	/* Xen's default 100 Hz tick again: a 1 ms one makes every later call slower. */
	mc[n++] = (multicall_entry_t){ .op = __HYPERVISOR_vcpu_op,
		.args = { VCPUOP_set_periodic_timer, 0, (unsigned long)&period } };
	clear_slot.ptr = (fz.own_pt[0] << PAGE_SHIFT) + FZ_SB_SLOT * 8;
	clear_slot.val = 0;
	mc[n++] = (multicall_entry_t){ .op = __HYPERVISOR_mmu_update,
		.args = { (unsigned long)&clear_slot, 1, 0, DOMID_SELF } };
	for (unsigned int i = 0; i < nr_frames + 3; i++, k++) {
		ops[k] = (struct mmuext_op){ .cmd = MMUEXT_UNPIN_TABLE,
			.arg1.mfn = i < nr_frames ? frames[i] : fz.own_pt[1 + i - nr_frames] };
		mc[n++] = (multicall_entry_t){ .op = __HYPERVISOR_mmuext_op,
			.args = { (unsigned long)&ops[k], 1, 0, DOMID_SELF } };
	}
	if (setup_call(hypercall_multicall(mc, n)))
		panic("fuzz: sandbox reset multicall failed");
	for (unsigned int i = 0; i < 6; i++)
		if (mc[i].result)
			panic("fuzz: sandbox reset step %u failed: %ld", i, (long)mc[i].result);
	fz.user_base_ok = false;
	fz_stats.resets++;
	/*
	 * Xen may defer the end of an unpin's devalidation (old_guest_table)
	 * to the next mmu_update or mmuext_op it sees: give it one.
	 */
	{
		struct mmuext_op flush = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };

		if (setup_call(hypercall_mmuext_op(&flush, 1, NULL, DOMID_SELF)))
			panic("fuzz: TLB flush after the sandbox reset failed");
	}

	n = 0;
	for (unsigned int i = 0; i < nr_frames; i++) {
		mc[n++] = (multicall_entry_t){ .op = __HYPERVISOR_update_va_mapping,
			.args = { fz.window, (frames[i] << PAGE_SHIFT) | PTE_KERNEL_RW,
				  UVMF_INVLPG | UVMF_LOCAL } };
		mc[n++] = (multicall_entry_t){ .op = __HYPERVISOR_update_va_mapping,
			.args = { fz.window, 0, UVMF_INVLPG | UVMF_LOCAL } };
	}
	if (setup_call(hypercall_multicall(mc, n)))
		panic("fuzz: sandbox reclaim multicall failed");
	for (unsigned int i = 0; i < nr_frames; i++)
		if (mc[2 * i].result) {
			bad++;
			if (report)
				kprintf("fuzz: frame %#lx is still in use after the reset: %ld\n",
					(unsigned long)frames[i], (long)mc[2 * i].result);
		}
	return bad;
}

/*
 * A pending, unmasked event: a block or poll returns at once. False if
 * there is none to be had (every port in use): then nothing may block.
 */
bool fz_make_ipi_pending(void)
{
	struct evtchn_status st = { .dom = DOMID_SELF, .port = fz.ipi_port };
	struct evtchn_unmask unmask;
	struct evtchn_send send;

	if (!fz.ipi_port || setup_call(hypercall_event_channel_op(EVTCHNOP_status, &st)) ||
	    st.status != EVTCHNSTAT_ipi) {
		struct evtchn_bind_ipi ipi = { .vcpu = 0 };

		fz.ipi_port = 0;
		if (setup_call(hypercall_event_channel_op(EVTCHNOP_bind_ipi, &ipi)))
			return false;
		fz.ipi_port = ipi.port;
	}
	/* The hypercall, not a bit: the fuzzer may have moved us to either ABI. */
	unmask.port = fz.ipi_port;
	send.port = fz.ipi_port;
	return setup_call(hypercall_event_channel_op(EVTCHNOP_unmask, &unmask)) == 0 &&
	       setup_call(hypercall_event_channel_op(EVTCHNOP_send, &send)) == 0 &&
	       READ_ONCE(shared_info->vcpu_info[0].evtchn_upcall_pending);
}

/* Xen system time from vcpu_time_info (the version protocol). */
uint64_t fz_now(void)
{
	const struct vcpu_time_info *t = &shared_info->vcpu_info[0].time;
	uint32_t v, lo, hi;
	uint64_t st, d;

	do {
		v = READ_ONCE(t->version);
		rmb();
		asm volatile ("rdtsc" : "=a" (lo), "=d" (hi));
		d = (((uint64_t)hi << 32) | lo) - t->tsc_timestamp;
		d = t->tsc_shift < 0 ? d >> -t->tsc_shift : d << t->tsc_shift;
		st = t->system_time + (uint64_t)(((unsigned __int128)d * t->tsc_to_system_mul) >> 32);
		rmb();
	} while ((v & 1) || v != READ_ONCE(t->version));
	return st;
}
