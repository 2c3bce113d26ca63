/*
 * Descriptor tables: the GDT the vcpu runs with is Xen's layout (guest
 * frames in pages 0-13 via set_gdt, Xen's reserved selectors in page 14),
 * at Xen's per-domain address (Xen: pv/descriptor-tables.c).
 */
#include "host/pv/pv.h"

/* Read the descriptor a selector names, as the CPU would (GDT only). */
bool read_segment_descriptor(uint16_t sel, struct vseg *out)
{
	uint64_t d, off = sel & ~7U;

	if (sel & 4)
		return false;			/* no LDTs */
	if (off + 7 > LAST_RESERVED_GDT_BYTE)
		return false;
	if (copy_from_guest_nocheck(&d, GDT_VIRT_START + off, 8))
		return false;
	if (!(d & (1UL << 47)))
		return false;			/* not present */
	out->sel = sel;
	out->attr = (uint32_t)((d >> 40) & 0xf0ff);
	out->limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
	if (d & (1UL << 55))
		out->limit = (out->limit << 12) | 0xfff;
	out->base = ((d >> 16) & 0xffffff) | ((d >> 56) << 24);
	return true;
}

/* check_descriptor: what a 64-bit PV guest may put in its GDT. */
bool check_descriptor(uint64_t d)
{
	unsigned int dpl = (d >> 45) & 3;
	unsigned int type = (d >> 40) & 0x1f;	/* S + type */

	if (!(d & (1UL << 47)))
		return true;			/* not present: anything goes */
	if (!(type & 0x10))
		return false;			/* system descriptors (gates, TSS, LDT) */
	if (dpl != 3)
		return false;			/* the kernel runs at ring 3 */
	if ((type & 0x18) == 0x18 && (type & 0x04))
		return false;			/* conforming code */
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
		/* Supervisor read-only: the CPU reads it, the guest cannot write it. */
		dom.perdomain_l1[i] = (mfn << PAGE_SHIFT) | PTE_P | PTE_A | PTE_NX;
	}
	dom.gdt_ents = entries;
	vcpu_hw->flush_tlb(dom.v);
	return 0;
}

long do_update_descriptor(uint64_t maddr, uint64_t desc)
{
	uint64_t mfn = maddr >> PAGE_SHIFT;
	const struct mm_page *pg = mm_page(&dom.mm, mfn);
	enum mm_type t;

	if ((maddr & 7) || !mfn_is_ram(mfn) || !pg || !check_descriptor(desc))
		return -EINVAL;
	/* A page of a live GDT stays one; any other page must be writable. */
	t = pg->type == MM_T_SEGDESC && pg->type_count ? MM_T_SEGDESC : MM_T_WRITABLE;
	if (mm_get_page_and_type(&dom.mm, mfn, t))
		return -EINVAL;
	((uint64_t *)mfn_to_host(mfn))[(maddr & (PAGE_SIZE - 1)) / 8] = desc;
	mm_put_page_and_type(&dom.mm, mfn);
	return 0;
}
