/*
 * The PV domain builder's second half: write what pv_layout (build.c)
 * planned into the guest's frames. Facts from libxc (xc_dom_build_image,
 * setup_pgtables_pv, start_info_x86_64) and Xen's dom0_construct_pv.
 */
#include "host/pv/build.h"
#include "host/pv/build_paging.h"
#include "lib/string.h"

#define PTE_PRESENT	0x001ull
#define PTE_RW		0x002ull
#define PTE_USER	0x004ull
#define PTE_ACCESSED	0x020ull
#define PTE_DIRTY	0x040ull

/*
 * What Xen puts in the bootstrap page tables of a 64-bit PV guest (the
 * kernel runs in ring 3, so every level has _PAGE_USER); leaves carry no
 * DIRTY bit, page-table pages lose RW.
 */
#define UPPER_PROT	(PTE_PRESENT | PTE_RW | PTE_ACCESSED | PTE_DIRTY | PTE_USER)
#define L1_PROT		(PTE_PRESENT | PTE_RW | PTE_ACCESSED | PTE_USER)

/* Copy len bytes (or zeros, if src is NULL) to pfn:off onwards. */
static bool put(const struct pv_build_params *p, uint64_t pfn, uint64_t off,
		const void *src, uint64_t len)
{
	const unsigned char *s = src;

	pfn += off >> PAGE_SHIFT;
	off &= PAGE_SIZE - 1;
	while (len) {
		uint64_t n = PAGE_SIZE - off < len ? PAGE_SIZE - off : len;
		unsigned char *dst;

		if (pfn >= p->nr_pages ||
		    !(dst = p->frame(p->ctx, p->p2m[pfn])))
			return false;
		if (s) {
			memcpy(dst + off, s, n);
			s += n;
		} else {
			memset(dst + off, 0, n);
		}
		len -= n;
		pfn++;
		off = 0;
	}
	return true;
}

/* Kernel segments go to paddr + virt_offset, as libelf loads them. */
static bool load_kernel(const struct pv_build_params *p,
			const struct pv_build_result *r)
{
	const unsigned char *image = p->image;

	for (unsigned int i = 0; i < r->img.nr_segments; i++) {
		const struct elf_segment *s = &r->img.seg[i];
		uint64_t off = s->paddr + r->img.virt_offset - r->v_start;

		if (!put(p, 0, off, image + s->offset, s->filesz) ||
		    !put(p, 0, off + s->filesz, NULL, s->memsz - s->filesz))
			return false;
	}
	return true;
}

static bool write_start_info(const struct pv_build_params *p,
			     const struct pv_build_result *r)
{
	start_info_t si;

	memset(&si, 0, sizeof(si));
	strlcpy(si.magic, "xen-3.0-x86_64", sizeof(si.magic));
	si.nr_pages = p->nr_pages;
	si.shared_info = p->shared_info_maddr;
	si.flags = r->si_flags;
	if (!p->dom0) {
		si.store_mfn = r->store_mfn;
		si.store_evtchn = p->store_evtchn;
		si.console.domU.mfn = r->console_mfn;
		si.console.domU.evtchn = p->console_evtchn;
	}
	/* dom0: no VGA console to describe, so console.dom0 stays 0. */
	si.pt_base = r->pt_va;
	si.nr_pt_frames = r->nr_pt_frames;
	si.mfn_list = r->p2m_va;
	si.mod_start = r->mod_start;
	si.mod_len = r->mod_len;
	if (p->cmdline)
		strlcpy((char *)si.cmd_line, p->cmdline, sizeof(si.cmd_line));
	si.first_p2m_pfn = r->first_p2m_pfn;
	si.nr_p2m_frames = r->nr_p2m_frames;
	return put(p, r->start_info_pfn, 0, &si, sizeof(si));
}

/*
 * The pfn of table i at a level (3, 2, 1; the L4 is pt_pfn). libxc lays
 * them out level by level; Xen's dom0 builder allocates an L1 whenever the
 * walk needs one, followed by the L2 and L3 that L1 opens.
 */
static uint64_t table_pfn(const struct pv_build_result *r, bool dom0,
			  int level, uint64_t i)
{
	uint64_t f1 = (r->v_start & VA_MASK) >> 21, j, l2s, l3s;

	if (!dom0) {
		if (level == 3)
			return r->pt_pfn + 1 + i;
		if (level == 2)
			return r->pt_pfn + 1 + r->nr_l3 + i;
		return r->pt_pfn + 1 + r->nr_l3 + r->nr_l2 + i;
	}
	/* The L1 index j at which this table is allocated. */
	if (level == 1 || i == 0)
		j = level == 1 ? i : 0;
	else
		j = (((f1 >> (9 * (level - 1))) + i) << (9 * (level - 1))) - f1;
	/* Tables of each level opened before L1 j. */
	l2s = j ? ((f1 + j - 1) >> 9) - (f1 >> 9) + 1 : 0;
	l3s = j ? ((f1 + j - 1) >> 18) - (f1 >> 18) + 1 : 0;
	return r->pt_pfn + 1 + j + l2s + l3s + (level - 1);
}

static uint64_t *table(const struct pv_build_params *p, uint64_t pfn)
{
	return pfn < p->nr_pages ? p->frame(p->ctx, p->p2m[pfn]) : NULL;
}

/*
 * The table at level 1-3 with absolute index abs (va >> TABLE_SHIFT): the
 * region's, or one of the p2m mapping's own (after the p2m pages: its
 * L3s, then L2s, then L1s); false if neither has it.
 */
static bool table_at(const struct pv_build_result *r, bool dom0, int level,
		     uint64_t abs, uint64_t *pfn)
{
	uint64_t first = (r->v_start & VA_MASK) >> TABLE_SHIFT(level);
	uint64_t n = level == 3 ? r->nr_l3 : level == 2 ? r->nr_l2 : r->nr_l1;

	if (abs - first < n) {
		*pfn = table_pfn(r, dom0, level, abs - first);
		return true;
	}
	if (r->p2m_apart && abs - r->p2m_first[level] < r->p2m_count[level]) {
		*pfn = r->p2m_pfn + r->p2m_pages + (abs - r->p2m_first[level]);
		for (int above = 3; above > level; above--)
			*pfn += r->p2m_count[above];
		return true;
	}
	return false;
}

/* Hang the n tables of a level (3, 2, 1) from index first on from their parents. */
static bool link_tables(const struct pv_build_params *p,
			const struct pv_build_result *r, int level,
			uint64_t first, uint64_t n)
{
	for (uint64_t abs = first; abs < first + n; abs++) {
		uint64_t parent = r->pt_pfn, child, *t;

		if (!table_at(r, p->dom0, level, abs, &child) || child >= p->nr_pages ||
		    (level < 3 && !table_at(r, p->dom0, level + 1, abs >> 9, &parent)) ||
		    !(t = table(p, parent)))
			return false;
		t[abs % PT_ENTRIES] = (p->p2m[child] << PAGE_SHIFT) | UPPER_PROT;
	}
	return true;
}

/* Map n pages from pfn on at va; the region's page-table pages read-only. */
static bool map_pages(const struct pv_build_params *p,
		      const struct pv_build_result *r, uint64_t va,
		      uint64_t pfn, uint64_t n)
{
	uint64_t *l1 = NULL, l1_abs = ~0ull, l1_pfn;

	for (va &= VA_MASK; n--; va += PAGE_SIZE, pfn++) {
		uint64_t prot = L1_PROT;

		if (va >> TABLE_SHIFT(1) != l1_abs) {
			l1_abs = va >> TABLE_SHIFT(1);
			if (!table_at(r, p->dom0, 1, l1_abs, &l1_pfn) || !(l1 = table(p, l1_pfn)))
				return false;
		}
		if (pfn >= r->pt_pfn && pfn - r->pt_pfn < r->nr_pt_frames)
			prot &= ~PTE_RW;
		l1[(va >> PAGE_SHIFT) % PT_ENTRIES] = (p->p2m[pfn] << PAGE_SHIFT) | prot;
	}
	return true;
}

/*
 * The region's tables and pages, then (INIT_P2M, libxc's second mapping)
 * the p2m's own tables, hung from the L4 or from the region's tables where
 * those cover the index, and the p2m pages, read-write.
 */
static bool write_page_tables(const struct pv_build_params *p,
			      const struct pv_build_result *r)
{
	for (int level = 3; level >= 1; level--) {
		uint64_t n = level == 3 ? r->nr_l3 : level == 2 ? r->nr_l2 : r->nr_l1;

		if (!link_tables(p, r, level, (r->v_start & VA_MASK) >> TABLE_SHIFT(level), n) ||
		    (r->p2m_apart &&
		     !link_tables(p, r, level, r->p2m_first[level], r->p2m_count[level])))
			return false;
	}
	return map_pages(p, r, r->v_start, 0, r->nr_region_pages) &&
	       (!r->p2m_apart || map_pages(p, r, r->p2m_va, r->p2m_pfn, r->p2m_pages));
}

int pv_build(const struct pv_build_params *p, struct pv_build_result *r,
	     const char **why)
{
	const char *reason = "cannot write guest memory";
	int err = pv_layout(p, r, why);

	if (err)
		return err;
	if (!p->p2m || !p->frame) {
		reason = "no p2m or frame callback";
		goto fail;
	}
	if (p->module_len && !p->module) {
		reason = "module length without a module";
		goto fail;
	}
	/* Every frame must be the guest's before we write a byte. */
	for (uint64_t pfn = 0; pfn < p->nr_pages; pfn++) {
		if (!p->frame(p->ctx, p->p2m[pfn])) {
			r->bad_pfn = pfn;
			reason = "p2m entry rejected by frame()";
			goto fail;
		}
	}

	r->store_mfn = p->dom0 ? 0 : p->p2m[r->store_pfn];
	r->console_mfn = p->dom0 ? 0 : p->p2m[r->console_pfn];
	if (r->hypercall_pfn != XEN_IMAGE_UNSET)
		r->hypercall_mfn = p->p2m[r->hypercall_pfn];
	r->l4_mfn = p->p2m[r->pt_pfn];
	r->cr3 = (uint64_t)r->l4_mfn << PAGE_SHIFT;

	/* Zero the region (store and console rings, tables, stack, bss), and the p2m apart. */
	if (!put(p, 0, 0, NULL, r->nr_region_pages << PAGE_SHIFT) ||
	    (r->p2m_apart && !put(p, r->p2m_pfn, 0, NULL, r->nr_p2m_frames << PAGE_SHIFT)) ||
	    !load_kernel(p, r) ||
	    (p->module_len &&
	     !put(p, r->module_pfn, 0, p->module, p->module_len)) ||
	    !put(p, r->p2m_pfn, 0, p->p2m, p->nr_pages * sizeof(xen_pfn_t)) ||
	    !write_start_info(p, r) ||
	    !write_page_tables(p, r))
		goto fail;
	return 0;
fail:
	if (why)
		*why = reason;
	return PV_BUILD_EFRAME;
}
