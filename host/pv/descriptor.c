/*
 * Descriptor tables: the GDT the vcpu runs with is Xen's layout (guest
 * frames in pages 0-13 via set_gdt, Xen's reserved selectors in page 14),
 * at Xen's per-domain address (Xen: pv/descriptor-tables.c).
 */
#include "host/pv/pv.h"

/* A descriptor's hidden state in our access-rights layout (host/vcpu.h). */
static void unpack_descriptor(uint64_t d, uint16_t sel, struct vseg *out)
{
	out->sel = sel;
	out->attr = (uint32_t)((d >> 40) & 0xf0ff);
	out->limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
	if (d & (1UL << 55))
		out->limit = (out->limit << 12) | 0xfff;
	out->base = ((d >> 16) & 0xffffff) | ((d >> 56) << 24);
}

/*
 * Find the descriptor a selector names, as the CPU would: in the guest's
 * GDT frames (pages 0-13, set_gdt; pages beyond those read as Xen's zero
 * page) or in Xen's reserved page 14. LDT selectors name nothing here
 * (parahost maps no LDT). With set_accessed, the CPU's Accessed bit is set
 * in the descriptor, as loading a segment register does.
 */
static bool descriptor(uint16_t sel, uint64_t *out, bool set_accessed)
{
	unsigned int off = sel & ~7U, page = off / PAGE_SIZE, slot = (off % PAGE_SIZE) / 8;
	uint64_t *table, mfn;

	if ((sel & 4) || off + 7 > LAST_RESERVED_GDT_BYTE)
		return false;
	if (page == FIRST_RESERVED_GDT_PAGE) {
		*out = ((const uint64_t *)xen_frame_host(dom.gdt_frame_mfn))[slot];
		return true;	/* Xen's entries are all Accessed already */
	}
	mfn = dom.gdt_frames[page];
	if (!mfn) {
		*out = 0;
		return true;
	}
	table = gframe_get(&dom, mfn, GF_SEGDESC);
	BUG_ON(!table);		/* dom.gdt_frames holds the frame typed */
	*out = table[slot];
	if (set_accessed && (*out & (1UL << 47)) && (*out & (1UL << 44)))
		*out = table[slot] |= 1UL << 40;
	gframe_put(&dom, mfn, GF_SEGDESC);
	return true;
}

/* Read the descriptor a selector names (GDT only); false if absent. */
bool read_segment_descriptor(uint16_t sel, struct vseg *out)
{
	uint64_t d;

	if (!descriptor(sel, &d, false) || !(d & (1UL << 47)))
		return false;			/* beyond the table, or not present */
	unpack_descriptor(d, sel, out);
	return true;
}

/*
 * For loading a segment register: the descriptor, present or not. False
 * only if the selector names nothing (beyond the GDT, or the LDT).
 */
bool load_segment_descriptor(uint16_t sel, struct vseg *out)
{
	uint64_t d;

	if (!descriptor(sel, &d, false))
		return false;
	unpack_descriptor(d, sel, out);
	return true;
}

/* The load succeeded: the CPU sets the descriptor's Accessed bit, in memory too. */
void segment_loaded(struct vseg *seg)
{
	uint64_t d;

	descriptor(seg->sel, &d, true);
	seg->attr |= 1;
}

#define SEG_P		(1U << 15)	/* in the high dword */
#define SEG_S		(1U << 12)
#define SEG_DPL		(3U << 13)
#define SEG_TYPE	(0xfU << 8)

/* A call gate's target must be the kernel's code or a guest selector below Xen's. */
static bool gate_selector_okay(uint16_t sel)
{
	if ((sel & ~3) == (FLAT_KERNEL_CS & ~3))
		return true;
	if (sel & 4)
		return true;				/* LDT: checked when used */
	return (sel >> 3) != 0 && (sel >> 3) < (FIRST_RESERVED_GDT_BYTE >> 3);
}

/*
 * Xen's check_descriptor for a 64-bit PV guest: not-present is fine, code
 * and data are fine with their DPL raised to 3 (the kernel's ring), call
 * gates are fixed up (DPL 0 so that using one faults and is emulated),
 * type 0 is the harmless second half of a gate, anything else (TSS, LDT,
 * interrupt and trap gates) is refused. *d is fixed up in place.
 */
bool check_descriptor(uint64_t *d)
{
	uint32_t a = (uint32_t)*d, b = (uint32_t)(*d >> 32), dpl;
	uint16_t cs;

	if (!(b & SEG_P))
		return true;
	dpl = (b >> 13) & 3;
	if (dpl < 3)
		dpl = 3;
	b = (b & ~SEG_DPL) | (dpl << 13);
	if (b & SEG_S)
		goto good;
	if ((b & SEG_TYPE) == 0)
		return true;
	if ((b & SEG_TYPE) != 0xc00)
		return false;
	cs = (uint16_t)(a >> 16);
	if (!gate_selector_okay(cs))
		return false;
	b &= ~SEG_DPL;
	cs = (uint16_t)((cs & ~3) | dpl);
	a = (a & 0xffff) | ((uint32_t)cs << 16);
	if (b & 0xff)
		return false;
good:
	*d = ((uint64_t)b << 32) | a;
	return true;
}

/* Xen's pv_set_gdt: every frame typed as a descriptor page (checked), or nothing. */
long do_set_gdt(uint64_t frame_list, unsigned int entries)
{
	unsigned long frames[FIRST_RESERVED_GDT_PAGE];
	unsigned int nr = (entries + 511) / 512;
	unsigned int i;

	if (entries > FIRST_RESERVED_GDT_PAGE * 512)
		return -EINVAL;
	if (copy_from_guest(frames, frame_list, nr * sizeof(unsigned long)))
		return -EFAULT;
	for (i = 0; i < nr; i++)
		if (!mfn_is_ram(frames[i]) ||
		    mm_get_page_and_type(&dom.mm, frames[i], MM_T_SEGDESC))
			break;
	if (i < nr) {
		while (i--)
			mm_put_page_and_type(&dom.mm, frames[i]);
		return -EINVAL;
	}
	/* Drop the old GDT, install the new one. */
	for (i = 0; i < FIRST_RESERVED_GDT_PAGE; i++) {
		uint64_t mfn = i < nr ? frames[i] : dom.zero_mfn;

		if (dom.gdt_frames[i])
			mm_put_page_and_type(&dom.mm, dom.gdt_frames[i]);
		dom.gdt_frames[i] = i < nr ? frames[i] : 0;
		/*
		 * Supervisor read-write, as Xen maps GDT frames: the CPU sets
		 * Accessed and busy bits; the guest itself cannot map the frame
		 * writable while it is a descriptor page.
		 */
		dom.perdomain_l1[i] = (mfn << PAGE_SHIFT) | PTE_P | PTE_A | PTE_NX |
				      (i < nr ? PTE_W | PTE_D : 0);
	}
	dom.gdt_ents = entries;
	vcpu_hw->flush_tlb(dom.v);
	return 0;
}

long do_update_descriptor(uint64_t maddr, uint64_t desc)
{
	uint64_t mfn = maddr >> PAGE_SHIFT;
	const struct mm_page *pg = mm_page(&dom.mm, mfn);
	enum gframe_use use;
	uint64_t *page;

	if ((maddr & 7) || !mfn_is_ram(mfn) || !pg || !check_descriptor(&desc))
		return -EINVAL;
	/* A page of a live GDT stays one; any other page must be writable. */
	use = pg->type == MM_T_SEGDESC && pg->type_count ? GF_SEGDESC : GF_WRITABLE;
	page = gframe_get(&dom, mfn, use);
	if (!page)
		return -EINVAL;
	page[(maddr & (PAGE_SIZE - 1)) / 8] = desc;
	gframe_put(&dom, mfn, use);
	return 0;
}
