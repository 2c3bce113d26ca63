/*
 * The PV MMU, from the guest's side: our own page tables are live, ranges
 * map/protect/unmap through batched hypercalls, and every operation Xen
 * forbids is refused with exactly Xen's error.
 */
#include <xen/errno.h>

#include "arch/x86/extable.h"
#include "arch/x86/hypercall.h"
#include "arch/x86/regs.h"
#include "kernel/ktest.h"
#include "kernel/tests/probe.h"
#include "kernel/tests/ptframe.h"
#include "mm/frames.h"
#include "mm/kmalloc.h"
#include "mm/mm.h"
#include "mm/mmu.h"
#include "mm/p2m.h"
#include "mm/pagetable.h"
#include "mm/vmap.h"
#include "xen/start_info.h"

#define MANY_PAGES	10000
/* USER, GLOBAL and Xen's software bit 52 (_PAGE_GUEST_KERNEL): Xen sets them itself. */
#define PTE_XEN_ADJUSTED	((1ul << 2) | (1ul << 8) | (1ul << 52))

KTEST(mm, own_tables_live)
{
	/* The builder's L4 was unpinned, and is now ordinary writable memory. */
	KT_ASSERT_EQ(mm_boot.builder_unpin_rc, 0, "unpinning the builder's L4");
	KT_ASSERT(mm_boot.builder_l4_pte & _PAGE_RW, "builder's L4 frame not remapped writable");
	KT_ASSERT(mm_boot.reclaimed >= mm_boot.builder_pt_frames,
		  "reclaimed %lu boot frames, the builder had %lu page-table frames",
		  mm_boot.reclaimed, mm_boot.builder_pt_frames);
	/* Our L4 is pinned: pinning it again is refused. */
	KT_ASSERT_EQ(mmuext(MMUEXT_PIN_L4_TABLE, mm_boot.l4_mfn), -XEN_EINVAL,
		     "pinning our live L4 twice");
}

KTEST(mm, frames_alloc_free)
{
	unsigned long before = frames_free(), pfns[64];

	for (int i = 0; i < 64; i++) {
		pfns[i] = frame_alloc();
		KT_ASSERT(pfns[i] != FRAME_NONE, "allocation %d failed", i);
		KT_ASSERT(!frame_is_free(pfns[i]), "pfn %#lx still marked free", pfns[i]);
		for (int j = 0; j < i; j++)
			KT_ASSERT(pfns[i] != pfns[j], "pfn %#lx handed out twice", pfns[i]);
	}
	KT_ASSERT_EQ(frames_free(), before - 64, "free count after 64 allocations");
	for (int i = 0; i < 64; i++)
		frame_free(pfns[i]);
	KT_ASSERT_EQ(frames_free(), before, "free count after freeing");
}

/* One round of allocations of every kind, checked and freed. */
static void kmalloc_round(void)
{
	static const size_t sizes[] = { 1, 15, 16, 17, 100, 1000, 2032, 2033, 4096, 20000 };
	void *p[ARRAY_SIZE(sizes)];

	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		p[i] = kmalloc(sizes[i]);
		KT_ASSERT(p[i] != NULL, "kmalloc(%zu) failed", sizes[i]);
		KT_ASSERT(((unsigned long)p[i] & 15) == 0, "kmalloc(%zu) = %p unaligned",
			  sizes[i], p[i]);
		memset(p[i], (int)i + 1, sizes[i]);
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++)
		for (size_t j = 0; j < sizes[i]; j++)
			KT_ASSERT(((unsigned char *)p[i])[j] == i + 1,
				  "block %u byte %zu overwritten", i, j);
	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++)
		kfree(p[i]);
}

/*
 * Blocks of a frame or more go back to the frame allocator at once; a
 * size class keeps the frames it was carved from. So the first round may
 * keep a frame per size class it had to refill, exactly those; a second
 * round is served from them and keeps nothing.
 */
KTEST(mm, kmalloc_sizes)
{
	unsigned long before = frames_free(), classes = kmalloc_class_frames, kept;

	kmalloc_round();
	if (ktest_failed())
		return;
	kept = kmalloc_class_frames - classes;
	KT_ASSERT_EQ(frames_free(), before - kept, "free frames after a round (class frames kept)");
	KT_ASSERT(kept <= 5, "%lu class frames for 5 size classes", kept);
	before = frames_free();
	kmalloc_round();
	if (ktest_failed())
		return;
	KT_ASSERT_EQ(kmalloc_class_frames - classes, kept, "class frames taken by a second round");
	KT_ASSERT_EQ(frames_free(), before, "free frames after a second round");
}

KTEST(mm, map_protect_unmap_many)
{
	unsigned long va = vmap_alloc(MANY_PAGES), *pfns;
	unsigned long hc;
	struct pt_batch b = { 0 };

	KT_ASSERT(va, "no virtual range for %d pages", MANY_PAGES);
	pfns = kmalloc(MANY_PAGES * sizeof(*pfns));
	KT_ASSERT(pfns, "no memory for the pfn list");
	if (frames_free() < MANY_PAGES + 64) {
		ktest_skip("only %lu free frames, need %d", frames_free(), MANY_PAGES);
		kfree(pfns);
		return;
	}
	for (int i = 0; i < MANY_PAGES; i++)
		pfns[i] = frame_alloc();

	hc = hypercall_count;
	for (int i = 0; i < MANY_PAGES; i++)
		KT_ASSERT(pt_set(&b, va + i * PAGE_SIZE, frame_pte(pfns[i], PTE_KERNEL_RW)) == 0,
			  "pt_set %d", i);
	pt_commit(&b);
	hc = hypercall_count - hc;
	KT_ASSERT(hc <= 2 * (MANY_PAGES / 1000), "mapping took %lu hypercalls", hc);

	for (int i = 0; i < MANY_PAGES; i++)
		*(volatile uint64_t *)(va + i * PAGE_SIZE + 8) = pfns[i] ^ 0x5a5a;
	for (int i = 0; i < MANY_PAGES; i++) {
		/* Read back through the direct map: same frame, other address. */
		uint64_t v = *(volatile uint64_t *)((char *)pfn_to_virt(pfns[i]) + 8);

		KT_ASSERT(v == (pfns[i] ^ 0x5a5a), "page %d reads %#lx", i, v);
	}

	KT_ASSERT(protect_range(va, MANY_PAGES, 0, _PAGE_RW) == 0, "protect");
	extable_last_cr2 = 0;
	KT_ASSERT_EQ(probe_write(va + 4321 * PAGE_SIZE + 5, 1),
		     EXINFO(X86_EXC_PF, PFEC_PRESENT | PFEC_WRITE), "write to a protected page");
	KT_ASSERT_EQ(extable_last_cr2, va + 4321 * PAGE_SIZE + 5, "CR2");
	KT_ASSERT_EQ(probe_read(va + 9999 * PAGE_SIZE), 0, "read of a protected page");

	KT_ASSERT(unmap_range(va, MANY_PAGES) == 0, "unmap");
	KT_ASSERT_EQ(probe_read(va + 17 * PAGE_SIZE), EXINFO(X86_EXC_PF, 0),
		     "read of an unmapped page");
	for (int i = 0; i < MANY_PAGES; i++)
		frame_free(pfns[i]);
	kfree(pfns);
	vmap_free(va, MANY_PAGES);
}

/*
 * Xen refuses a reference it cannot take (the frame is typed otherwise, or
 * belongs to someone else) with -EBUSY: get_page_from_l1e's failure path.
 */
KTEST(mm, pinned_table_not_writable)
{
	unsigned long pfn = table_frame(), va = vmap_alloc(1);
	uint64_t *slot = vmap_slot(va);

	KT_ASSERT(pfn != FRAME_NONE && va && slot, "setup");
	KT_ASSERT_EQ(mmuext(MMUEXT_PIN_L1_TABLE, pfn_to_mfn(pfn)), 0, "pin L1");
	KT_ASSERT_EQ(mmu_update_one(virt_to_maddr(slot), frame_pte(pfn, PTE_KERNEL_RW)),
		     -XEN_EBUSY, "writable mapping of a pinned L1");
	/* Read-only is fine: the guest may read its page tables. */
	KT_ASSERT_EQ(mmu_update_one(virt_to_maddr(slot), frame_pte(pfn, PTE_KERNEL_RO)),
		     0, "read-only mapping of a pinned L1");
	KT_ASSERT_EQ(mmu_update_one(virt_to_maddr(slot), 0), 0, "unmap");
	KT_ASSERT_EQ(mmuext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(pfn)), 0, "unpin");
	release_table_frame(pfn);
	vmap_free(va, 1);
}

KTEST(mm, pin_table_with_bad_entry)
{
	unsigned long pfn = frame_alloc();

	KT_ASSERT(pfn != FRAME_NONE, "setup");
	/* Written while still ordinary memory, checked when pinned. */
	memset(pfn_to_virt(pfn), 0, PAGE_SIZE);
	((uint64_t *)pfn_to_virt(pfn))[7] =
		((uint64_t)foreign_mfn() << PAGE_SHIFT) | PTE_KERNEL_RW;
	{
		struct pt_batch b = { 0 };

		pt_set(&b, (unsigned long)pfn_to_virt(pfn), frame_pte(pfn, PTE_KERNEL_RO));
		pt_commit(&b);
	}
	KT_ASSERT_EQ(mmuext(MMUEXT_PIN_L1_TABLE, pfn_to_mfn(pfn)), -XEN_EBUSY,
		     "pin an L1 mapping a foreign frame");
	/* Refused, not changed: our entry is still there. */
	KT_ASSERT_EQ(((volatile uint64_t *)pfn_to_virt(pfn))[7] >> PAGE_SHIFT,
		     foreign_mfn(), "the bad entry");
	release_table_frame(pfn);
}

KTEST(mm, map_foreign_frame)
{
	unsigned long va = vmap_alloc(1);
	uint64_t *slot = vmap_slot(va);

	KT_ASSERT(va && slot, "setup");
	KT_ASSERT_EQ(mmu_update_one(virt_to_maddr(slot),
				    ((uint64_t)foreign_mfn() << PAGE_SHIFT) | PTE_KERNEL_RW),
		     -XEN_EBUSY, "mapping a frame we do not own");
	KT_ASSERT_EQ(*slot, 0, "the slot must stay empty");
	vmap_free(va, 1);
}

KTEST(mm, unpin_twice)
{
	unsigned long pfn = table_frame();

	KT_ASSERT(pfn != FRAME_NONE, "setup");
	KT_ASSERT_EQ(mmuext(MMUEXT_PIN_L1_TABLE, pfn_to_mfn(pfn)), 0, "pin");
	KT_ASSERT_EQ(mmuext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(pfn)), 0, "first unpin");
	KT_ASSERT_EQ(mmuext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(pfn)), -XEN_EINVAL,
		     "second unpin");
	release_table_frame(pfn);
}

KTEST(mm, superpage_in_l2_refused)
{
	unsigned long va = vmap_alloc(1);
	struct pt_batch b = { 0 };
	uint64_t *l2;

	KT_ASSERT(va && vmap_slot(va), "setup");
	/* The L2 that holds va's L1: its last slot is free in our layout. */
	pt_walk(&b, kernel_l4, va, false);
	l2 = b.table[2];
	KT_ASSERT(l2 && l2[511] == 0, "setup: L2 slot 511 in use");
	KT_ASSERT_EQ(mmu_update_one(virt_to_maddr(&l2[511]),
				    ((uint64_t)pfn_to_mfn(0) << PAGE_SHIFT) |
				    PTE_KERNEL_RW | _PAGE_PSE),
		     -XEN_EINVAL, "a 2 MiB superpage entry");
	vmap_free(va, 1);
}

KTEST(mm, xen_l4_slots_reserved)
{
	/* Slot 256 is the start of Xen's area (HYPERVISOR_VIRT_START). */
	unsigned int slot = pt_index(HYPERVISOR_VIRT_START, 4);

	KT_ASSERT_EQ(mmu_update_one(virt_to_maddr(&kernel_l4[slot]), 0), -XEN_EINVAL,
		     "writing a Xen-reserved L4 slot");
	KT_ASSERT(kernel_l4[slot] & _PAGE_PRESENT, "Xen's slot %u not present", slot);
}

KTEST(mm, batch_stops_at_first_error)
{
	unsigned long va = vmap_alloc(2), pfn = frame_alloc();
	uint64_t *slot = vmap_slot(va), *slot2 = vmap_slot(va + PAGE_SIZE);
	unsigned int done = ~0u;
	mmu_update_t req[3];
	long rc;

	KT_ASSERT(va && slot && slot2 && pfn != FRAME_NONE, "setup");
	req[0] = (mmu_update_t){ virt_to_maddr(slot), frame_pte(pfn, PTE_KERNEL_RW) };
	req[1] = (mmu_update_t){ virt_to_maddr(&kernel_l4[256]), 0 };
	req[2] = (mmu_update_t){ virt_to_maddr(slot2), frame_pte(pfn, PTE_KERNEL_RW) };
	rc = hypercall_mmu_update(req, 3, &done, DOMID_SELF);
	KT_ASSERT_EQ(rc, -XEN_EINVAL, "batch with a bad second entry");
	KT_ASSERT_EQ(done, 1, "done count");
	KT_ASSERT(*slot & _PAGE_PRESENT, "first update not applied");
	KT_ASSERT_EQ(*slot2, 0, "third update applied after the failure");
	unmap_range(va, 2);
	frame_free(pfn);
	vmap_free(va, 2);
}

KTEST(mm, update_va_mapping_needs_l1)
{
	/* Nothing below VIRT_BASE has page tables: no L1 to update. */
	KT_ASSERT_EQ(hypercall_update_va_mapping(0x40000000ul,
						 frame_pte(0, PTE_KERNEL_RO), 0),
		     -XEN_EINVAL, "update_va_mapping without an L1");
}

KTEST(mm, new_baseptr_needs_l4)
{
	unsigned long pfn = frame_alloc();

	KT_ASSERT(pfn != FRAME_NONE, "setup");
	/* A frame mapped writable cannot become an L4. */
	KT_ASSERT_EQ(mmuext(MMUEXT_NEW_BASEPTR, pfn_to_mfn(pfn)), -XEN_EINVAL,
		     "NEW_BASEPTR on a writable data frame");
	frame_free(pfn);
}

/*
 * A translation the CPU has just used must not outlive the change that
 * removes it: touch the page (so it is in the TLB), downgrade the entry,
 * touch it again. Each path that changes entries: our batched mmu_update
 * with its flush, and update_va_mapping's own UVMF_INVLPG.
 */
KTEST(mm, tlb_sees_every_change)
{
	unsigned long va = vmap_alloc(1), pfn = frame_alloc();
	struct pt_batch b = { 0 };

	KT_ASSERT(va && pfn != FRAME_NONE, "setup");
	pt_set(&b, va, frame_pte(pfn, PTE_KERNEL_RW));
	pt_commit(&b);

	KT_ASSERT_EQ(probe_write(va, 1), 0, "first write");
	KT_ASSERT(protect_range(va, 1, 0, _PAGE_RW) == 0, "protect");
	KT_ASSERT_EQ(probe_write(va, 2), EXINFO(X86_EXC_PF, PFEC_PRESENT | PFEC_WRITE),
		     "write right after mmu_update made the page read-only");

	KT_ASSERT_EQ(hypercall_update_va_mapping(va, frame_pte(pfn, PTE_KERNEL_RW),
						 UVMF_INVLPG | UVMF_LOCAL), 0, "writable again");
	KT_ASSERT_EQ(probe_write(va, 3), 0, "write once writable");
	KT_ASSERT_EQ(hypercall_update_va_mapping(va, frame_pte(pfn, PTE_KERNEL_RO),
						 UVMF_INVLPG | UVMF_LOCAL), 0, "read-only again");
	KT_ASSERT_EQ(probe_write(va, 4), EXINFO(X86_EXC_PF, PFEC_PRESENT | PFEC_WRITE),
		     "write right after update_va_mapping with UVMF_INVLPG");

	KT_ASSERT_EQ(probe_read(va), 0, "read");
	KT_ASSERT(unmap_range(va, 1) == 0, "unmap");
	KT_ASSERT_EQ(probe_read(va), EXINFO(X86_EXC_PF, 0), "read right after unmap");
	KT_ASSERT_EQ(*(volatile uint8_t *)pfn_to_virt(pfn), 3, "the frame kept the last write");
	frame_free(pfn);
	vmap_free(va, 1);
}

/*
 * Xen's writable page tables: a kernel write to one of its own L1 tables,
 * mapped read-only, is emulated as a checked update of the entry (Xen's
 * ptwr, through its x86 emulator). Linux writes PTEs with MOV, XCHG, LOCK
 * CMPXCHG, LOCK BTR/BTS and LOCK AND/OR; each must land, with the
 * registers and flags the instruction leaves. A write the page-type system
 * refuses keeps its #PF.
 */
static long vm_assist_ptwr(unsigned int cmd)
{
	return hypercall_raw(__HYPERVISOR_vm_assist, cmd, VMASST_TYPE_writable_pagetables);
}

/* The forms, on the pinned L1 e mapped read-only; data's entries rw, ro. */
static void ptwr_forms(volatile uint64_t *e, uint64_t rw, uint64_t ro)
{
	/* Bits Xen adds to a 64-bit PV kernel's entry (adjust_guest_l1e). */
	const uint64_t adj = PTE_XEN_ADJUSTED;
	uint64_t v, ex = 0;
	uint8_t zf, cf;

	e[1] = rw;						/* MOV */
	KT_ASSERT_EQ(e[1] & ~adj, rw, "MOV");
	v = rw;
	asm volatile ("xchg %0, %1" : "+r" (v), "+m" (e[2]) :: "memory");
	KT_ASSERT(v == 0 && (e[2] & ~adj) == rw, "XCHG: got %#lx, entry %#lx", v, e[2]);
	v = 0;
	asm volatile ("lock cmpxchg %3, %1; sete %2"
		      : "+a" (v), "+m" (e[3]), "=q" (zf) : "r" (ro) : "memory", "cc");
	KT_ASSERT(zf && (e[3] & ~adj) == ro, "CMPXCHG hit: ZF %u entry %#lx", zf, e[3]);
	v = 5;
	asm volatile ("lock cmpxchg %3, %1; sete %2"
		      : "+a" (v), "+m" (e[3]), "=q" (zf) : "r" (rw) : "memory", "cc");
	KT_ASSERT(!zf && (v & ~adj) == ro && (e[3] & ~adj) == ro,
		  "CMPXCHG miss: ZF %u RAX %#lx entry %#lx", zf, v, e[3]);
	asm volatile ("lock btrq $1, %0; setc %1" : "+m" (e[1]), "=q" (cf) :: "memory", "cc");
	KT_ASSERT(cf && (e[1] & ~adj) == (rw & ~2ul), "LOCK BTR: CF %u entry %#lx", cf, e[1]);
	asm volatile ("lock btsq %2, %0; setc %1" : "+m" (e[1]), "=q" (cf) : "r" (1ul) : "memory", "cc");
	KT_ASSERT(!cf && (e[1] & ~adj) == rw, "LOCK BTS: CF %u entry %#lx", cf, e[1]);
	asm volatile ("lock andb %1, %0" : "+m" (*(volatile uint8_t *)&e[2]) : "i" (~2) : "memory", "cc");
	KT_ASSERT_EQ(e[2] & ~adj, rw & ~2ul, "LOCK AND (byte)");
	asm volatile ("lock orb %1, %0" : "+m" (*(volatile uint8_t *)&e[2]) : "i" (2) : "memory", "cc");
	KT_ASSERT_EQ(e[2] & ~adj, rw, "LOCK OR (byte)");

	/* A foreign frame: refused, the entry unchanged, the #PF ours. */
	v = ((uint64_t)foreign_mfn() << PAGE_SHIFT) | PTE_KERNEL_RW;
	asm volatile ("1: xchg %1, %2; 2:" _ASM_EXTABLE(1b, 2b)
		      : "+a" (ex), "+r" (v), "+m" (e[4]) :: "memory");
	KT_ASSERT_FAULT(ex, X86_EXC_PF, PFEC_PRESENT | PFEC_WRITE);
	KT_ASSERT_EQ(extable_last_cr2, (uint64_t)&e[4], "CR2");
	KT_ASSERT_EQ(e[4], 0, "the refused entry");
	for (unsigned int i = 1; i < 4; i++)
		e[i] = 0;
}

/*
 * Xen's writable page tables, once the kernel asks for them with
 * VMASST_TYPE_writable_pagetables (Linux does at start of day): a kernel
 * write to one of its own L1 tables, mapped read-only, is emulated as a
 * checked update of the entry (Xen's ptwr, through its x86 emulator).
 * Linux writes PTEs with MOV, XCHG, LOCK CMPXCHG, LOCK BTR/BTS and LOCK
 * AND/OR; each must land, with the registers and flags the instruction
 * leaves. A write the page-type system refuses keeps its #PF, and without
 * the assist every such write is a domU's #PF (Xen's initial domain has
 * them emulated anyway).
 */
KTEST(mm, ptwr_write_forms)
{
	unsigned long l1 = table_frame(), data = frame_alloc();
	volatile uint64_t *e = pfn_to_virt(l1);
	uint64_t rw, ro, ex = 0;
	long on;

	KT_ASSERT(l1 != FRAME_NONE && data != FRAME_NONE, "setup");
	rw = frame_pte(data, PTE_KERNEL_RW);
	ro = frame_pte(data, PTE_KERNEL_RO);
	KT_ASSERT_EQ(mmuext(MMUEXT_PIN_L1_TABLE, pfn_to_mfn(l1)), 0, "pin L1");
	/* Xen's initial domain has such writes emulated with or without it (xen-dom0). */
	if (!is_initial_domain()) {
		KT_ASSERT_EQ(vm_assist_ptwr(VMASST_CMD_disable), 0, "VMASST_CMD_disable");
		asm volatile ("1: movq %1, %2; 2:" _ASM_EXTABLE(1b, 2b)
			      : "+a" (ex) : "r" (rw), "m" (e[1]) : "memory");
		KT_ASSERT_FAULT(ex, X86_EXC_PF, PFEC_PRESENT | PFEC_WRITE);
		KT_ASSERT_EQ(e[1], 0, "the entry, written without the assist");
	}
	on = vm_assist_ptwr(VMASST_CMD_enable);
	if (!on)
		ptwr_forms(e, rw, ro);
	vm_assist_ptwr(VMASST_CMD_disable);
	KT_ASSERT_EQ(on, 0, "VMASST_TYPE_writable_pagetables");
	if (ktest_failed())
		return;
	KT_ASSERT_EQ(mmuext(MMUEXT_UNPIN_TABLE, pfn_to_mfn(l1)), 0, "unpin");
	release_table_frame(l1);
	frame_free(data);
}
