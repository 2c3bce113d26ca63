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
#include "host/pv/build_paging.h"
#include "lib/string.h"

#include <xen/elfnote.h>
#include <xen/features.h>
#include <xen/platform.h>

#define LOW_HALF_END	(1ull << 47)		/* canonical: [0, 2^47) ... */
#define HIGH_HALF_START	(~0ull << 47)		/* ... and [-2^47, 2^64) */
#define RFLAGS_IF	0x200ull

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

/*
 * libxc honours INIT_P2M (p2m_base) when it is page-aligned and below
 * VIRT_BASE; otherwise the p2m list stays in the region.
 */
static bool p2m_apart(const struct pv_build_result *r)
{
	uint64_t base = r->img.init_p2m;

	return base != XEN_IMAGE_UNSET && base < r->v_start && !(base & (PAGE_SIZE - 1));
}

/*
 * libxc's alloc_p2m_list_x86_64 with p2m_base: the p2m at INIT_P2M, then
 * the tables that mapping needs beyond the region's (count_pgtables takes
 * away, level by level, the index range the region's tables already
 * cover). Its frames follow everything else.
 */
static int domu_p2m_apart(struct layout *l)
{
	struct pv_build_result *r = l->r;
	uint64_t from = r->img.init_p2m, size = r->p2m_pages << PAGE_SHIFT, to;
	uint64_t lo = r->v_start & VA_MASK, hi = (r->v_start & VA_MASK) +
		     (r->nr_region_pages << PAGE_SHIFT) - 1, tables = 0;

	if (!add_va(from, size - 1, &to) ||
	    !(to < LOW_HALF_END || from >= HIGH_HALF_START) ||
	    (from < HYPERVISOR_VIRT_END && to >= HYPERVISOR_VIRT_START))
		return fail(l, PV_BUILD_ELAYOUT, "INIT_P2M mapping not canonical or in Xen's area");
	if ((from & VA_MASK) <= hi && (to & VA_MASK) >= lo)
		return fail(l, PV_BUILD_ELAYOUT, "INIT_P2M overlaps the bootstrap region");
	/* count_pgtables: the mapping's last pfn must exist. */
	if (l->pfn + r->p2m_pages - 1 >= l->p->nr_pages)
		return fail(l, PV_BUILD_ENOMEM, "too few pages for the p2m mapping");
	for (int level = 3; level >= 1; level--) {
		unsigned int s = TABLE_SHIFT(level);
		uint64_t a = (from & VA_MASK) >> s, b = (to & VA_MASK) >> s;
		uint64_t ra = lo >> s, rb = hi >> s;

		if (a >= ra && b <= rb) {
			a = 1, b = 0;			/* all the region's */
		} else if (a < ra && b > rb) {
			return fail(l, PV_BUILD_ELAYOUT, "INIT_P2M mapping around the region");
		} else {
			if (a >= ra && a <= rb)
				a = rb + 1;
			if (b >= ra && b <= rb)
				b = ra - 1;
		}
		r->p2m_first[level] = a;
		r->p2m_count[level] = b >= a ? b - a + 1 : 0;
		tables += r->p2m_count[level];
	}
	r->p2m_va = from;
	r->nr_p2m_frames = r->p2m_pages + tables;
	if (take(l, r->nr_p2m_frames, &r->p2m_pfn))
		return PV_BUILD_ENOMEM;
	r->first_p2m_pfn = r->p2m_pfn;
	return 0;
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
	r->p2m_apart = p2m_apart(r);
	if ((!r->p2m_apart && (err = take(l, r->p2m_pages, &r->p2m_pfn))) ||
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
	if (r->p2m_apart && (err = domu_p2m_apart(l)))
		return err;
	r->store_va = va_of(r, r->store_pfn);
	r->console_va = va_of(r, r->console_pfn);
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

	if (!r->p2m_apart)
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
