/*
 * Guest memory as Xen sees it: machine frames (guest-physical frames of
 * the nested page tables) and guest virtual addresses translated through
 * the guest's own page tables, exactly as the CPU would walk them for a
 * supervisor access by Xen (CR0.WP set: writes need RW at every level).
 * Every guest pointer a hypercall receives goes through here; nothing in
 * parahost dereferences a guest address directly.
 */
#include "host/boot/boot.h"
#include "host/pv/gframe.h"
#include "host/pv/pv.h"

bool mfn_is_ram(uint64_t mfn)
{
	return mfn >= GUEST_MFN_BASE && mfn < GUEST_MFN_BASE + dom.nr_frames;
}

uint64_t m2p_lookup(uint64_t mfn)
{
	uint64_t pfn;

	if (!mfn_is_ram(mfn) || mfn >= GUEST_MFN_BASE + dom.nr_pages)
		return INVALID_M2P_ENTRY;	/* not RAM, or the balloon's room */
	/* The P2M is a bijection onto our RAM mfns; search the inverse. */
	pfn = dom.nr_pages - 1 - (mfn - GUEST_MFN_BASE);
	if (pfn < dom.nr_pages && dom.p2m[pfn] == mfn)
		return pfn;
	for (pfn = 0; pfn < dom.nr_pages; pfn++)
		if (dom.p2m[pfn] == mfn)
			return pfn;
	return INVALID_M2P_ENTRY;
}

static bool is_canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/* Xen's __addr_ok for 64-bit PV: below the hole's top half or above Xen. */
bool guest_va_ok(uint64_t va, size_t n)
{
	uint64_t end = va + n;

	if (n && end < va)
		return false;
	if (!is_canonical(va) || (n && !is_canonical(end - 1)))
		return false;
	/* Nothing inside Xen's reserved range [VIRT_START, VIRT_END). */
	if (end > HYPERVISOR_VIRT_START && va < HYPERVISOR_VIRT_END)
		return false;
	return true;
}

int guest_walk(uint64_t va, unsigned int flags, uint64_t *mfn_out, uint64_t **l1e_out)
{
	uint64_t mfn = dom.st->cr3 >> PAGE_SHIFT;
	uint32_t pfec = (flags & WALK_WRITE ? PFEC_WRITE : 0) |
			(flags & WALK_USER ? PFEC_USER : 0) |
			(flags & WALK_FETCH ? PFEC_INSN : 0);
	uint64_t *entry = NULL;
	int level;

	if (!is_canonical(va))
		return WALK_FAULT | PFEC_PRESENT;
	for (level = 4; level >= 1; level--) {
		/* Held typed by the base pointer above it, as for the CPU's walk. */
		uint64_t *table = gframe__held(&dom, mfn);
		unsigned int idx = (va >> (12 + 9 * (level - 1))) & 511;
		uint64_t e;

		if (!table)
			return (int)(WALK_FAULT | pfec | PFEC_RSVD);
		entry = &table[idx];
		e = *entry;
		if (!(e & PTE_P))
			return (int)(WALK_FAULT | pfec);
		if ((flags & WALK_WRITE) && !(e & PTE_W))
			return (int)(WALK_FAULT | pfec | PFEC_PRESENT);
		if ((flags & WALK_USER) && !(e & PTE_U))
			return (int)(WALK_FAULT | pfec | PFEC_PRESENT);
		if ((flags & WALK_FETCH) && (e & PTE_NX))
			return (int)(WALK_FAULT | pfec | PFEC_PRESENT);
		if (level == 4 && (e & PTE_PS))
			return (int)(WALK_FAULT | pfec | PFEC_PRESENT | PFEC_RSVD);
		/* The CPU sets Accessed on the way down (Xen's frames have it already). */
		if (!(e & PTE_A) && mfn_is_ram(mfn))
			*entry = e |= PTE_A;
		if ((level == 3 || level == 2) && (e & PTE_PS)) {
			uint64_t size = 1UL << (12 + 9 * (level - 1));
			uint64_t base = (e & PTE_ADDR) & ~(size - 1);

			if ((flags & WALK_WRITE) && !(e & PTE_D) && mfn_is_ram(mfn))
				*entry = e | PTE_D;
			mfn = (base + (va & (size - 1))) >> PAGE_SHIFT;
			entry = NULL;
			goto done;
		}
		if (level == 1 && (flags & WALK_WRITE) && !(e & PTE_D) && mfn_is_ram(mfn))
			*entry = e | PTE_D;
		mfn = (e & PTE_ADDR) >> PAGE_SHIFT;
	}
done:
	if (mfn_out)
		*mfn_out = mfn;
	if (l1e_out)
		*l1e_out = entry;
	return 0;
}

static int copy_guest(void *host, uint64_t va, size_t n, bool write)
{
	uint8_t *h = host;

	while (n) {
		size_t chunk = PAGE_SIZE - (va & (PAGE_SIZE - 1));
		uint64_t mfn;
		uint8_t *p;

		if (chunk > n)
			chunk = n;
		if (guest_walk(va, write ? WALK_WRITE : 0, &mfn, NULL))
			return -EFAULT;
		/*
		 * A mapping the guest's validated tables allow: a read-write one
		 * only exists for a frame of writable type (the PV MMU's rule), so
		 * this access is covered as the CPU's would be.
		 */
		p = gframe__held(&dom, mfn);
		if (!p)
			return -EFAULT;
		/* Xen's own frames are never writable through a guest address. */
		if (write && !mfn_is_ram(mfn) &&
		    !dom.xen_writable[mfn - dom.xen_mfn_base])
			return -EFAULT;
		p += va & (PAGE_SIZE - 1);
		if (write)
			memcpy(p, h, chunk);
		else
			memcpy(h, p, chunk);
		h += chunk;
		va += chunk;
		n -= chunk;
	}
	return 0;
}

int copy_from_guest(void *dst, uint64_t va, size_t n)
{
	if (!guest_va_ok(va, n))
		return -EFAULT;
	return copy_guest(dst, va, n, false);
}

int copy_to_guest(uint64_t va, const void *src, size_t n)
{
	if (!guest_va_ok(va, n))
		return -EFAULT;
	return copy_guest((void *)src, va, n, true);
}

int copy_from_guest_nocheck(void *dst, uint64_t va, size_t n)
{
	return copy_guest(dst, va, n, false);
}

int fetch_insn(uint64_t rip, uint8_t *buf, size_t n)
{
	size_t got = 0;

	/* Byte by byte: an instruction may end right before an unmapped page. */
	while (got < n) {
		if (copy_guest(buf + got, rip + got, 1, false))
			break;
		got++;
	}
	return (int)got;
}
