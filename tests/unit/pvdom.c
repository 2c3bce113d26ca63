/* The fake machine and the guest's view of a built domain (pvdom.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <CUnit/CUnit.h>

#include "tests/unit/pvdom.h"

#define PTE_P		0x001ull
#define PTE_RW		0x002ull
#define PTE_US		0x004ull
#define PTE_A		0x020ull
#define PTE_D		0x040ull
#define PTE_ADDR	0x000ffffffffff000ull

void *dom_frame(void *ctx, xen_pfn_t mfn)
{
	struct dom *d = ctx;

	if (mfn < BASE_MFN || mfn - BASE_MFN >= d->nr_frames)
		return NULL;
	return d->mem + (mfn - BASE_MFN) * PG;
}

uint64_t pfn_of_mfn(const struct dom *d, uint64_t mfn)
{
	return d->p.nr_pages - 1 - (mfn - BASE_MFN - 8);
}

void dom_init(struct dom *d, unsigned char *image, size_t len,
	      uint64_t nr_pages, bool dom0)
{
	memset(d, 0, sizeof(*d));
	d->image = image;
	d->image_len = len;
	d->nr_frames = nr_pages + 16;
	d->mem = mmap(NULL, d->nr_frames * PG, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CU_ASSERT_FATAL(d->mem != MAP_FAILED);
	d->p2m = malloc(nr_pages * sizeof(*d->p2m));
	for (uint64_t pfn = 0; pfn < nr_pages; pfn++)
		d->p2m[pfn] = BASE_MFN + 8 + (nr_pages - 1 - pfn);
	for (size_t i = 0; i < sizeof(d->module); i++)
		d->module[i] = (unsigned char)(i * 31 + 3);
	d->p = (struct pv_build_params){
		.image = image, .image_len = len, .nr_pages = nr_pages,
		.p2m = d->p2m, .frame = dom_frame, .ctx = d,
		.shared_info_maddr = SHINFO_MADDR,
		.console_evtchn = 2, .store_evtchn = 1,
		.cmdline = CMDLINE, .dom0 = dom0,
	};
}

void dom_free(struct dom *d)
{
	munmap(d->mem, d->nr_frames * PG);
	free(d->p2m);
	free(d->image);
}

void dom_init_gen(struct dom *d, const struct gen_opts *o,
		  uint64_t nr_pages, bool dom0)
{
	size_t len;
	unsigned char *img = gen_build(o, &len, NULL);

	dom_init(d, img, len, nr_pages, dom0);
}

int dom_build(struct dom *d)
{
	struct pv_build_result pre;
	int err = pv_layout(&d->p, &pre, &d->why);

	if (err)
		return err;
	for (uint64_t pfn = 0; pfn < pre.nr_region_pages; pfn++)
		memset(dom_frame(d, d->p2m[pfn]), 0xa5, PG);
	for (uint64_t i = 0; pre.p2m_apart && i < pre.nr_p2m_frames; i++)
		memset(dom_frame(d, d->p2m[pre.p2m_pfn + i]), 0xa5, PG);
	err = pv_build(&d->p, &d->r, &d->why);
	if (err)
		printf("\n  pv_build: %s", d->why);
	return err;
}

/* ---- the guest's view ------------------------------------------------- */

static uint64_t *table_of(struct dom *d, uint64_t entry)
{
	return dom_frame(d, (entry & PTE_ADDR) >> 12);
}

/* Translate va through the page tables (NULL if unmapped). */
unsigned char *translate(struct dom *d, uint64_t va)
{
	uint64_t *t = dom_frame(d, d->r.cr3 >> 12), e = 0;

	for (int level = 4; level >= 1 && t; level--) {
		e = t[(va >> (12 + 9 * (level - 1))) & 511];
		if (!(e & PTE_P))
			return NULL;
		t = level > 1 ? table_of(d, e) : NULL;
	}
	return (unsigned char *)dom_frame(d, (e & PTE_ADDR) >> 12) + (va & (PG - 1));
}

static uint64_t sign_extend(uint64_t va)
{
	return (va & (1ull << 47)) ? va | 0xffff000000000000ull : va;
}

/*
 * Walk every entry like an MMU. Checks: each mapping is in the region and
 * maps p2m[(va - v_start) >> 12], or (INIT_P2M) in the p2m mapping and maps
 * its pages read-write; the region's tables are exactly its page-table
 * pages, mapped read-only; everything else is read-write; all levels user.
 */
static void check_page_tables(struct dom *d)
{
	const struct pv_build_result *r = &d->r;
	uint64_t leaves = 0, tables = 1, bad = 0, p2m_leaves = 0, p2m_tables = 0;
	uint64_t *l4 = dom_frame(d, r->cr3 >> 12);

	if (r->p2m_apart)
		p2m_tables = r->p2m_count[1] + r->p2m_count[2] + r->p2m_count[3];
	CU_ASSERT_PTR_NOT_NULL_FATAL(l4);
	CU_ASSERT_EQUAL(pfn_of_mfn(d, r->cr3 >> 12), r->pt_pfn);
	for (int i4 = 0; i4 < 512; i4++) {
		uint64_t e4 = l4[i4], *l3;

		if (!e4)
			continue;
		/* Xen's slots stay empty for the host. */
		CU_ASSERT(i4 < 256 || i4 > 271);
		CU_ASSERT_EQUAL(e4 & 0xfff, PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
		CU_ASSERT_PTR_NOT_NULL_FATAL(l3 = table_of(d, e4));
		tables++;
		for (int i3 = 0; i3 < 512; i3++) {
			uint64_t e3 = l3[i3], *l2;

			if (!e3)
				continue;
			CU_ASSERT_EQUAL(e3 & 0xfff, PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
			CU_ASSERT_PTR_NOT_NULL_FATAL(l2 = table_of(d, e3));
			tables++;
			for (int i2 = 0; i2 < 512; i2++) {
				uint64_t e2 = l2[i2], *l1;

				if (!e2)
					continue;
				CU_ASSERT_EQUAL(e2 & 0xfff, PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
				CU_ASSERT_PTR_NOT_NULL_FATAL(l1 = table_of(d, e2));
				tables++;
				for (int i1 = 0; i1 < 512; i1++) {
					uint64_t e1 = l1[i1], va, pfn, mfn;
					bool is_pt;

					if (!e1)
						continue;
					leaves++;
					va = sign_extend((uint64_t)i4 << 39 | (uint64_t)i3 << 30 |
							 (uint64_t)i2 << 21 | (uint64_t)i1 << 12);
					mfn = (e1 & PTE_ADDR) >> 12;
					if (r->p2m_apart && va - r->p2m_va < r->p2m_pages * PG) {
						pfn = r->p2m_pfn + ((va - r->p2m_va) >> 12);
						p2m_leaves++;
						if (mfn != d->p2m[pfn] || (e1 & 0xfff) !=
						    (PTE_P | PTE_US | PTE_A | PTE_RW) || (e1 >> 52))
							bad++;
						continue;
					}
					if (va < r->v_start || va >= r->v_end) {
						bad++;
						continue;
					}
					pfn = (va - r->v_start) >> 12;
					is_pt = pfn >= r->pt_pfn &&
						pfn < r->pt_pfn + r->nr_pt_frames;
					if (mfn != d->p2m[pfn] ||
					    (e1 & 0xfff) != (PTE_P | PTE_US | PTE_A |
							     (is_pt ? 0 : PTE_RW)) ||
					    (e1 >> 52))
						bad++;
				}
			}
		}
	}
	leaves -= p2m_leaves;
	tables -= p2m_tables;
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(p2m_leaves, r->p2m_apart ? r->p2m_pages : 0);
	CU_ASSERT_EQUAL(leaves, r->nr_region_pages);
	CU_ASSERT_EQUAL(tables, r->nr_pt_frames);
	CU_ASSERT_EQUAL(tables, 1 + r->nr_l3 + r->nr_l2 + r->nr_l1);
	if (bad || leaves != r->nr_region_pages || tables != r->nr_pt_frames)
		printf("\n  %llu bad leaves, %llu leaves (want %llu), %llu tables (want %llu)",
		       (unsigned long long)bad, (unsigned long long)leaves,
		       (unsigned long long)r->nr_region_pages,
		       (unsigned long long)tables,
		       (unsigned long long)r->nr_pt_frames);
}

/* Xen's two table orders: libxc level by level, dom0 L1-first. */
static void check_table_order(struct dom *d)
{
	const struct pv_build_result *r = &d->r;
	uint64_t *l4 = dom_frame(d, r->cr3 >> 12), va = r->v_start;
	uint64_t e4 = l4[(va >> 39) & 511];
	uint64_t e3 = table_of(d, e4)[(va >> 30) & 511];
	uint64_t e2 = table_of(d, e3)[(va >> 21) & 511];
	uint64_t l3 = pfn_of_mfn(d, e4 >> 12), l2 = pfn_of_mfn(d, (e3 & PTE_ADDR) >> 12);
	uint64_t l1 = pfn_of_mfn(d, (e2 & PTE_ADDR) >> 12);

	if (d->p.dom0) {
		CU_ASSERT_EQUAL(l1, r->pt_pfn + 1);
		CU_ASSERT_EQUAL(l2, r->pt_pfn + 2);
		CU_ASSERT_EQUAL(l3, r->pt_pfn + 3);
	} else {
		CU_ASSERT_EQUAL(l3, r->pt_pfn + 1);
		CU_ASSERT_EQUAL(l2, r->pt_pfn + 1 + r->nr_l3);
		CU_ASSERT_EQUAL(l1, r->pt_pfn + 1 + r->nr_l3 + r->nr_l2);
	}
}

bool zero_range(struct dom *d, uint64_t va, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++) {
		unsigned char *b = translate(d, va + i);

		if (!b || *b)
			return false;
	}
	return true;
}

bool range_equals(struct dom *d, uint64_t va, const unsigned char *want,
		  uint64_t len)
{
	for (uint64_t i = 0; i < len; i++) {
		unsigned char *b = translate(d, va + i);

		if (!b || *b != want[i])
			return false;
	}
	return true;
}

/* The layout rules of public xen.h "Start-of-day memory layout". */
static void check_layout(struct dom *d)
{
	const struct pv_build_result *r = &d->r;
	uint64_t stack_end = r->stack_va + PG;

	CU_ASSERT_EQUAL(r->v_end % (4ull << 20), 0);
	CU_ASSERT_EQUAL(r->v_end - r->v_start, r->nr_region_pages * PG);
	CU_ASSERT(r->v_end - stack_end >= 512 * 1024);
	CU_ASSERT(r->nr_region_pages <= d->p.nr_pages);
	CU_ASSERT(r->kernel_va >= r->v_start);
	CU_ASSERT_EQUAL(r->p2m_pages, (d->p.nr_pages * 8 + PG - 1) / PG);
	if (r->p2m_apart) {
		/* libxc's p2m segment: after the region and an unmapped module. */
		CU_ASSERT_EQUAL(r->p2m_va, r->img.init_p2m);
		CU_ASSERT(r->p2m_pfn >= r->nr_region_pages);
		if (r->si_flags & SIF_MOD_START_PFN)
			CU_ASSERT_EQUAL(r->p2m_pfn, r->module_pfn + r->module_pages);
		CU_ASSERT_EQUAL(r->first_p2m_pfn, r->p2m_pfn);
		CU_ASSERT_EQUAL(r->nr_p2m_frames, r->p2m_pages + r->p2m_count[1] +
				r->p2m_count[2] + r->p2m_count[3]);
		CU_ASSERT(zero_range(d, r->p2m_va + d->p.nr_pages * 8,
				     r->p2m_pages * PG - d->p.nr_pages * 8));
	} else {
		CU_ASSERT(r->p2m_va >= r->kernel_end);
		if (r->module_va)
			CU_ASSERT(r->module_va >= r->kernel_end &&
				  r->p2m_va >= r->module_va + d->p.module_len);
		CU_ASSERT(r->start_info_va >= r->p2m_va + d->p.nr_pages * 8);
	}
	if (d->p.dom0) {
		CU_ASSERT_EQUAL(r->pt_va, r->start_info_va + PG);
	} else {
		CU_ASSERT_EQUAL(r->store_va, r->start_info_va + PG);
		CU_ASSERT_EQUAL(r->console_va, r->store_va + PG);
		CU_ASSERT_EQUAL(r->pt_va, r->console_va + PG);
	}
	CU_ASSERT_EQUAL(r->stack_va, r->pt_va + r->nr_pt_frames * PG);
	CU_ASSERT_EQUAL(r->p2m_va % PG, 0);
	CU_ASSERT_EQUAL(r->start_info_va % PG, 0);
	CU_ASSERT_EQUAL(r->pt_va, r->v_start + r->pt_pfn * PG);
}

static void check_start_info(struct dom *d)
{
	const struct pv_build_result *r = &d->r;
	const start_info_t *si = (const start_info_t *)translate(d, r->entry_rsi);

	CU_ASSERT_PTR_NOT_NULL_FATAL(si);
	CU_ASSERT_STRING_EQUAL(si->magic, "xen-3.0-x86_64");
	CU_ASSERT_EQUAL(si->nr_pages, d->p.nr_pages);
	CU_ASSERT_EQUAL(si->shared_info, SHINFO_MADDR);
	CU_ASSERT_EQUAL(si->pt_base, r->pt_va);
	CU_ASSERT_EQUAL(si->nr_pt_frames, r->nr_pt_frames);
	CU_ASSERT_EQUAL(si->mfn_list, r->p2m_va);
	CU_ASSERT_EQUAL(si->mod_start, r->mod_start);
	CU_ASSERT_EQUAL(si->mod_len, r->mod_len);
	CU_ASSERT_STRING_EQUAL((const char *)si->cmd_line, CMDLINE);
	CU_ASSERT_EQUAL(si->first_p2m_pfn, r->first_p2m_pfn);
	CU_ASSERT_EQUAL(si->nr_p2m_frames, r->nr_p2m_frames);
	if (d->p.dom0) {
		CU_ASSERT_EQUAL(si->flags & (SIF_PRIVILEGED | SIF_INITDOMAIN),
				SIF_PRIVILEGED | SIF_INITDOMAIN);
		CU_ASSERT_EQUAL(si->store_mfn, 0);
		CU_ASSERT_EQUAL(si->console.dom0.info_off, 0);
	} else {
		CU_ASSERT_EQUAL(si->flags & ~SIF_MOD_START_PFN, 0);
		CU_ASSERT_EQUAL(si->store_mfn, d->p2m[r->store_pfn]);
		CU_ASSERT_EQUAL(si->store_evtchn, 1);
		CU_ASSERT_EQUAL(si->console.domU.mfn, d->p2m[r->console_pfn]);
		CU_ASSERT_EQUAL(si->console.domU.evtchn, 2);
		CU_ASSERT_EQUAL(r->store_mfn, si->store_mfn);
		CU_ASSERT_EQUAL(r->console_mfn, si->console.domU.mfn);
		/* The rings start zeroed. */
		CU_ASSERT(zero_range(d, r->store_va, PG));
		CU_ASSERT(zero_range(d, r->console_va, PG));
	}
	CU_ASSERT(zero_range(d, r->start_info_va + sizeof(*si), PG - sizeof(*si)));

	/* mfn_list, read through the guest's mapping, is the p2m. */
	for (uint64_t pfn = 0; pfn < d->p.nr_pages; pfn += 1 + pfn / 7) {
		const xen_pfn_t *e = (const xen_pfn_t *)translate(d, si->mfn_list + pfn * 8);

		CU_ASSERT_FATAL(e != NULL);
		if (*e != d->p2m[pfn]) {
			CU_FAIL("mfn_list differs from the p2m");
			break;
		}
	}
}

static void check_registers(struct dom *d)
{
	const struct pv_build_result *r = &d->r;

	CU_ASSERT_EQUAL(r->entry_rip, r->img.virt_entry);
	CU_ASSERT_EQUAL(r->entry_rsp, r->stack_va + PG);
	CU_ASSERT_EQUAL(r->entry_rsi, r->start_info_va);
	CU_ASSERT_EQUAL(r->entry_rflags, 0x200);
	CU_ASSERT_EQUAL(r->l4_mfn, d->p2m[r->pt_pfn]);
	CU_ASSERT_EQUAL(r->cr3, (uint64_t)d->p2m[r->pt_pfn] << 12);
	CU_ASSERT(zero_range(d, r->stack_va, PG));
	if (r->img.hypercall_page != XEN_IMAGE_UNSET) {
		CU_ASSERT_EQUAL(r->hypercall_va, r->img.hypercall_page);
		CU_ASSERT_EQUAL(r->hypercall_mfn, d->p2m[r->hypercall_pfn]);
		CU_ASSERT_PTR_EQUAL(translate(d, r->hypercall_va),
				    dom_frame(d, r->hypercall_mfn));
	}
}

/* Kernel bytes as in the file, bss zero; below the kernel and padding zero. */
static void check_contents(struct dom *d)
{
	const struct pv_build_result *r = &d->r;

	for (unsigned int i = 0; i < r->img.nr_segments; i++) {
		const struct elf_segment *s = &r->img.seg[i];
		uint64_t va = s->paddr + r->img.virt_offset;

		CU_ASSERT(range_equals(d, va, d->image + s->offset, s->filesz));
		CU_ASSERT(zero_range(d, va + s->filesz, s->memsz - s->filesz));
	}
	CU_ASSERT(zero_range(d, r->v_start, r->kernel_va - r->v_start));
	CU_ASSERT(zero_range(d, r->stack_va + PG, r->v_end - r->stack_va - PG));
}

/* Everything a successful build must satisfy. */
void check_domain(struct dom *d)
{
	check_page_tables(d);
	check_table_order(d);
	check_layout(d);
	check_start_info(d);
	check_registers(d);
	check_contents(d);
}
