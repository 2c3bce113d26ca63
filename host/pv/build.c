/*
 * The PV domain builder (see build.h for the layout and the contract).
 *
 * Facts from Xen, code ours: the domU layout follows libxc
 * (xc_dom_build_image, alloc_pgtables_pv/count_pgtables, start_info_x86_64,
 * vcpu_x86_64), the dom0 variant follows dom0_construct_pv. The two differ
 * in small ways that a guest can see (page-table order, the 4 MiB rounding,
 * first_p2m_pfn, the page-count check), and each is reproduced.
 */
#include "host/pv/build.h"
#include "lib/string.h"

#include <xen/elfnote.h>
#include <xen/features.h>
#include <xen/platform.h>

/* x86 paging, architectural (not Xen ABI). */
#define PAGE_SHIFT	12
#define PAGE_SIZE	(1ull << PAGE_SHIFT)
#define PTE_PRESENT	0x001ull
#define PTE_RW		0x002ull
#define PTE_USER	0x004ull
#define PTE_ACCESSED	0x020ull
#define PTE_DIRTY	0x040ull
#define PT_ENTRIES	512
#define VA_MASK		((1ull << 48) - 1)	/* 4-level paging: 48 bits */
#define LOW_HALF_END	(1ull << 47)		/* canonical: [0, 2^47) ... */
#define HIGH_HALF_START	(~0ull << 47)		/* ... and [-2^47, 2^64) */
#define RFLAGS_IF	0x200ull

/*
 * What Xen puts in the bootstrap page tables of a 64-bit PV guest (the
 * kernel runs in ring 3, so every level has _PAGE_USER); leaves carry no
 * DIRTY bit, page-table pages lose RW.
 */
#define UPPER_PROT	(PTE_PRESENT | PTE_RW | PTE_ACCESSED | PTE_DIRTY | PTE_USER)
#define L1_PROT		(PTE_PRESENT | PTE_RW | PTE_ACCESSED | PTE_USER)

/* Sizes: libxc pads >= 512 KiB after the stack, region ends 4 MiB-aligned. */
#define PADDING_PAGES	((512ull << 10) >> PAGE_SHIFT)
#define REGION_ALIGN	(4ull << 20)

/* More guest RAM than this would overflow our arithmetic: 2^36 pages. */
#define MAX_NR_PAGES	(1ull << 36)

static uint64_t pages_for(uint64_t bytes)
{
	return (bytes >> PAGE_SHIFT) + !!(bytes & (PAGE_SIZE - 1));
}

/* Page tables at level shift s needed for the masked range [lo, hi). */
static uint64_t tables_for(uint64_t lo, uint64_t hi, unsigned int s)
{
	return ((hi + (1ull << s) - 1) >> s) - (lo >> s);
}

/* L3 + L2 + L1 tables for the region (the L4 is the + 1). */
static uint64_t count_tables(struct pv_build_result *r, uint64_t v_end)
{
	uint64_t lo = r->v_start & VA_MASK;
	uint64_t hi = ((v_end - 1) & VA_MASK) + 1;

	r->nr_l3 = tables_for(lo, hi, 39);
	r->nr_l2 = tables_for(lo, hi, 30);
	r->nr_l1 = tables_for(lo, hi, 21);
	return 1 + r->nr_l3 + r->nr_l2 + r->nr_l1;
}

static uint64_t va_of(const struct pv_build_result *r, uint64_t pfn)
{
	return r->v_start + (pfn << PAGE_SHIFT);
}

/* ---- layout ----------------------------------------------------------- */

struct layout {
	const struct pv_build_params *p;
	struct pv_build_result *r;
	uint64_t pfn;			/* next free pfn (libxc: pfn_alloc_end) */
	const char *why;
};

static int fail(struct layout *l, int err, const char *why)
{
	l->why = why;
	return err;
}

/* libxc's xc_dom_chk_alloc_pages: every allocation must fit in nr_pages. */
static int take(struct layout *l, uint64_t pages, uint64_t *pfn)
{
	if (pages > l->p->nr_pages || l->pfn > l->p->nr_pages - pages)
		return fail(l, PV_BUILD_ENOMEM, "too few pages for the layout");
	if (pfn)
		*pfn = l->pfn;
	l->pfn += pages;
	return 0;
}

/* What Xen checks in the notes before it builds anything. */
static int check_image(struct layout *l)
{
	const struct pv_build_params *p = l->p;
	const struct xen_image *img = &l->r->img;

	if (img->bsd_symtab)
		return fail(l, PV_BUILD_EREFUSED, "BSD_SYMTAB not supported");
	if (p->dom0) {
		/* dom0_construct_pv */
		if (xen_image_has(img, XEN_ELFNOTE_SUPPORTED_FEATURES) &&
		    !(img->f_supported & (1u << XENFEAT_dom0)))
			return fail(l, PV_BUILD_EREFUSED,
				    "kernel does not support dom0");
		if (img->f_required & (1u << XENFEAT_supervisor_mode_kernel))
			return fail(l, PV_BUILD_EREFUSED,
				    "kernel requires supervisor mode");
	} else if (img->f_required & (1u << XENFEAT_dom0)) {
		/* xc_dom_parse_elf_kernel */
		return fail(l, PV_BUILD_EREFUSED, "kernel requires dom0");
	}
	if (img->f_required & p->unsupported_features)
		return fail(l, PV_BUILD_EREFUSED,
			    "kernel requires a feature the host lacks");
	return 0;
}

/* base + rel, or false when that passes 2^64 - 1. */
static bool add_va(uint64_t base, uint64_t rel, uint64_t *out)
{
	if (rel > ~base)
		return false;
	*out = base + rel;
	return true;
}

/* libxc alloc_pgtables_pv: grow the guess until tables + stack + pad fit. */
static int domu_page_tables(struct layout *l)
{
	struct pv_build_result *r = l->r;
	const uint64_t extra = 1 + PADDING_PAGES;	/* stack + padding */
	uint64_t pages = extra, nr_pt, end, last;

	for (;;) {
		/*
		 * The region's last byte: past the allocations, rounded up
		 * to 4 MiB with libxc's round_up ("| mask"), so an end that
		 * is already aligned still gets a further 4 MiB.
		 */
		if (l->pfn + pages > MAX_NR_PAGES)
			return fail(l, PV_BUILD_ENOMEM,
				    "too few pages for the layout");
		if (!add_va(r->v_start, (l->pfn + pages) << PAGE_SHIFT, &last) ||
		    (last | (REGION_ALIGN - 1)) == ~0ull)
			return fail(l, PV_BUILD_ELAYOUT, "bootstrap region wraps");
		last |= REGION_ALIGN - 1;
		end = last + 1 - r->v_start;
		nr_pt = count_tables(r, last + 1);
		/* count_pgtables: the region's last pfn must exist. */
		if ((end >> PAGE_SHIFT) > l->p->nr_pages)
			return fail(l, PV_BUILD_ENOMEM,
				    "too few pages for the bootstrap region");
		pages = nr_pt + extra;
		if (((l->pfn + pages) << PAGE_SHIFT) <= end)
			break;
	}
	r->nr_region_pages = end >> PAGE_SHIFT;
	r->nr_pt_frames = nr_pt;
	return take(l, nr_pt, &r->pt_pfn);
}

/* dom0_construct_pv: the simultaneous equations, by exhaustive search. */
static int dom0_page_tables(struct layout *l)
{
	struct pv_build_result *r = l->r;
	uint64_t nr_pt, stack_end, end;

	for (nr_pt = 2;; nr_pt++) {
		/* Absolute addresses here, as in Xen; 8 MiB of headroom
		 * is all the rounding below can add. */
		if (!add_va(r->v_start, (l->pfn + nr_pt + 1) << PAGE_SHIFT,
			    &stack_end) ||
		    !add_va(stack_end, 2 * REGION_ALIGN, &end))
			return fail(l, PV_BUILD_ELAYOUT, "bootstrap region wraps");
		end = (stack_end + REGION_ALIGN - 1) & ~(REGION_ALIGN - 1);
		if (end - stack_end < (PADDING_PAGES << PAGE_SHIFT))
			end += REGION_ALIGN;
		if (count_tables(r, end) <= nr_pt)
			break;
	}
	r->nr_region_pages = (end - r->v_start) >> PAGE_SHIFT;
	r->nr_pt_frames = nr_pt;
	r->pt_pfn = l->pfn;
	l->pfn += nr_pt;
	return 0;
}

/* The module: inside the region, or after it with SIF_MOD_START_PFN. */
static bool module_unmapped(const struct layout *l)
{
	return l->p->module_len && l->r->img.mod_start_pfn != 0;
}

static int layout_domu(struct layout *l)
{
	const struct pv_build_params *p = l->p;
	struct pv_build_result *r = l->r;
	int err;

	/* xc_dom_alloc_segment pads up to the kernel: it must be aligned. */
	if (r->kernel_va & (PAGE_SIZE - 1))
		return fail(l, PV_BUILD_ELAYOUT, "kernel start not page-aligned");
	l->pfn = (r->kernel_va - r->v_start) >> PAGE_SHIFT;
	r->kernel_pages = pages_for(r->kernel_end - r->kernel_va);
	if ((err = take(l, r->kernel_pages, &r->kernel_pfn)))
		return err;
	if (p->module_len && !module_unmapped(l)) {
		r->module_pages = pages_for(p->module_len);
		if ((err = take(l, r->module_pages, &r->module_pfn)))
			return err;
		r->module_va = va_of(r, r->module_pfn);
		/* libxc hands over the whole segment: a page multiple. */
		r->mod_start = r->module_va;
		r->mod_len = r->module_pages << PAGE_SHIFT;
	}
	r->p2m_pages = pages_for(p->nr_pages * sizeof(xen_pfn_t));
	if ((err = take(l, r->p2m_pages, &r->p2m_pfn)) ||
	    (err = take(l, 1, &r->start_info_pfn)) ||
	    (err = take(l, 1, &r->store_pfn)) ||
	    (err = take(l, 1, &r->console_pfn)) ||
	    (err = domu_page_tables(l)) ||
	    (err = take(l, 1, &r->stack_pfn)))
		return err;
	/* Pad to the region end; the unmapped module follows it. */
	l->pfn = r->nr_region_pages;
	if (module_unmapped(l)) {
		r->module_pages = pages_for(p->module_len);
		if ((err = take(l, r->module_pages, &r->module_pfn)))
			return err;
		r->si_flags |= SIF_MOD_START_PFN;
		r->mod_start = r->module_pfn;
		r->mod_len = r->module_pages << PAGE_SHIFT;
	}
	r->store_va = va_of(r, r->store_pfn);
	r->console_va = va_of(r, r->console_pfn);
	/* start_info first_p2m_pfn/nr_p2m_frames: only with INIT_P2M. */
	return 0;
}

static int layout_dom0(struct layout *l)
{
	const struct pv_build_params *p = l->p;
	struct pv_build_result *r = l->r;
	uint64_t mod_pages = pages_for(p->module_len), count, order;
	int err;

	/* Xen loads the kernel where it is, aligned or not. */
	r->kernel_pfn = (r->kernel_va - r->v_start) >> PAGE_SHIFT;
	l->pfn = pages_for(r->kernel_end - r->v_start);
	r->kernel_pages = l->pfn - r->kernel_pfn;
	if (!module_unmapped(l)) {
		r->module_pfn = l->pfn;
		r->module_pages = mod_pages;
		l->pfn += mod_pages;
	}
	r->p2m_pages = pages_for(p->nr_pages * sizeof(xen_pfn_t));
	r->p2m_pfn = l->pfn;
	l->pfn += r->p2m_pages;
	/* The start_info page also holds the dom0 console info. */
	_Static_assert(sizeof(start_info_t) + sizeof(dom0_vga_console_info_t)
		       <= PAGE_SIZE, "start_info page");
	r->start_info_pfn = l->pfn++;
	if ((err = dom0_page_tables(l)))
		return err;
	r->stack_pfn = l->pfn++;

	/*
	 * Xen allocates a power-of-two chunk for the region (less a mapped
	 * module, which keeps its own frames) and refuses a smaller domain.
	 */
	count = r->nr_region_pages - (module_unmapped(l) ? 0 : mod_pages);
	for (order = 0; (1ull << order) < count; order++)
		;
	if ((1ull << order) > p->nr_pages ||
	    mod_pages > p->nr_pages - (1ull << order))
		return fail(l, PV_BUILD_ENOMEM,
			    "too few pages for the bootstrap region");

	/* Xen's defaults: privileged, initial domain, Px states for dom0
	 * (xen_processor_pmbits = XEN_PROCESSOR_PM_PX unless cpufreq=). */
	r->si_flags = SIF_PRIVILEGED | SIF_INITDOMAIN |
		      ((XEN_PROCESSOR_PM_PX << 8) & SIF_PM_MASK);
	if (p->module_len) {
		r->mod_len = p->module_len;
		if (module_unmapped(l)) {
			/* After the chunk: pfn = Xen's tot_pages then. */
			r->module_pfn = 1ull << order;
			r->module_pages = mod_pages;
			r->mod_start = r->module_pfn;
			r->si_flags |= SIF_MOD_START_PFN;
		} else {
			r->module_va = va_of(r, r->module_pfn);
			r->mod_start = r->module_va;
		}
	}
	/* Xen sets these even without INIT_P2M: the frames it had then. */
	r->first_p2m_pfn = (1ull << order) + mod_pages;
	r->nr_p2m_frames = 0;
	return 0;
}

int pv_layout(const struct pv_build_params *p, struct pv_build_result *r,
	      const char **why)
{
	struct layout l = { .p = p, .r = r };
	struct xen_image *img = &r->img;
	int err;

	memset(r, 0, sizeof(*r));
	err = xen_image_parse(p->image, p->image_len, img, &l.why);
	if (err)
		goto out;
	if ((err = check_image(&l)))
		goto out;
	if (p->nr_pages == 0 || p->nr_pages > MAX_NR_PAGES ||
	    pages_for(p->module_len) > p->nr_pages) {
		err = fail(&l, PV_BUILD_ENOMEM, "too few pages for the layout");
		goto out;
	}

	r->v_start = img->virt_base == XEN_IMAGE_UNSET ? 0 : img->virt_base;
	r->kernel_va = img->virt_kstart;
	r->kernel_end = img->virt_kend;
	/* The whole region must be addressable before we compute in it. */
	if (r->v_start & (PAGE_SIZE - 1)) {
		err = fail(&l, PV_BUILD_ELAYOUT, "VIRT_BASE not page-aligned");
		goto out;
	}
	if (r->kernel_end - r->v_start > (MAX_NR_PAGES << PAGE_SHIFT)) {
		err = fail(&l, PV_BUILD_ENOMEM, "too few pages for the layout");
		goto out;
	}

	err = p->dom0 ? layout_dom0(&l) : layout_domu(&l);
	if (err)
		goto out;

	/* Inside one canonical half, and clear of Xen's reserved area. */
	if (r->nr_region_pages << PAGE_SHIFT > ~r->v_start) {
		err = fail(&l, PV_BUILD_ELAYOUT, "bootstrap region wraps");
		goto out;
	}
	r->v_end = va_of(r, r->nr_region_pages);
	if (!(r->v_end <= LOW_HALF_END || r->v_start >= HIGH_HALF_START)) {
		err = fail(&l, PV_BUILD_ELAYOUT,
			   "bootstrap region not canonical");
		goto out;
	}
	if (r->v_start < HYPERVISOR_VIRT_END && r->v_end > HYPERVISOR_VIRT_START) {
		err = fail(&l, PV_BUILD_ELAYOUT,
			   "image overlaps Xen's reserved area");
		goto out;
	}

	r->p2m_va = va_of(r, r->p2m_pfn);
	r->start_info_va = va_of(r, r->start_info_pfn);
	r->pt_va = va_of(r, r->pt_pfn);
	r->stack_va = va_of(r, r->stack_pfn);
	r->hypercall_va = r->hypercall_pfn = r->hypercall_mfn = XEN_IMAGE_UNSET;
	if (img->hypercall_page != XEN_IMAGE_UNSET) {
		/* The parser keeps it inside the kernel, so in the region. */
		r->hypercall_va = img->hypercall_page;
		r->hypercall_pfn = (r->hypercall_va - r->v_start) >> PAGE_SHIFT;
	}
	r->entry_rip = img->virt_entry;
	r->entry_rsp = r->stack_va + PAGE_SIZE;
	r->entry_rsi = r->start_info_va;
	r->entry_rflags = RFLAGS_IF;
out:
	if (err && why)
		*why = l.why;
	return err;
}

/* ---- writing guest memory ------------------------------------------------ */

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

/* Point each table of level-1 from its parent (level 4, 3 or 2). */
static bool link_level(const struct pv_build_params *p,
		       const struct pv_build_result *r, int level)
{
	unsigned int cs = 12 + 9 * (level - 1);	/* child table coverage */
	uint64_t first = (r->v_start & VA_MASK) >> cs, n;
	uint64_t pfirst = first >> 9;

	n = level == 4 ? r->nr_l3 : level == 3 ? r->nr_l2 : r->nr_l1;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t abs = first + i, parent = (abs >> 9) - pfirst;
		uint64_t *t = table(p, level == 4 ? r->pt_pfn :
				       table_pfn(r, p->dom0, level, parent));
		uint64_t child = table_pfn(r, p->dom0, level - 1, i);

		if (!t || child >= p->nr_pages)
			return false;
		t[abs % PT_ENTRIES] = (p->p2m[child] << PAGE_SHIFT) | UPPER_PROT;
	}
	return true;
}

static bool write_page_tables(const struct pv_build_params *p,
			      const struct pv_build_result *r)
{
	uint64_t f1 = (r->v_start & VA_MASK) >> 21;
	uint64_t *l1 = NULL, l1_index = ~0ull;

	if (!link_level(p, r, 4) || !link_level(p, r, 3) ||
	    !link_level(p, r, 2))
		return false;
	for (uint64_t pfn = 0; pfn < r->nr_region_pages; pfn++) {
		uint64_t va = (r->v_start & VA_MASK) + (pfn << PAGE_SHIFT);
		uint64_t prot = L1_PROT;

		if ((va >> 21) - f1 != l1_index) {
			l1_index = (va >> 21) - f1;
			l1 = table(p, table_pfn(r, p->dom0, 1, l1_index));
			if (!l1)
				return false;
		}
		/* Page-table pages are mapped read-only. */
		if (pfn >= r->pt_pfn && pfn - r->pt_pfn < r->nr_pt_frames)
			prot &= ~PTE_RW;
		l1[(va >> PAGE_SHIFT) % PT_ENTRIES] =
			(p->p2m[pfn] << PAGE_SHIFT) | prot;
	}
	return true;
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

	/* Zero the region (store and console rings, tables, stack, bss). */
	if (!put(p, 0, 0, NULL, r->nr_region_pages << PAGE_SHIFT) ||
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
