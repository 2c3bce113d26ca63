/*
 * The domain: its memory (guest RAM behind a non-identity P2M, Xen's own
 * frames behind it), Xen's reserved L4 slots (the read-only M2P in slot
 * 256, the per-domain GDT in slot 260), the start-of-day state of vcpu 0
 * as Xen sets it, and the run loop.
 */
#include "host/boot/boot.h"
#include "host/pv/pv.h"
#include "host/pv/start.h"
#include "lib/elfnote.h"

struct domain dom;

#define DEFAULT_GUEST_MEM	(64UL << 20)	/* boot/paraos.cfg: memory = 64 */
#define MIN_GUEST_MEM		(4UL << 20)

/* Xen's reserved GDT entries (selectors 0xe000 + 8 * index), all Accessed. */
static const uint64_t xen_gdt[] = {
	[1] = 0x00af9b000000ffff,	/* 0xe008 ring 0 code, 64-bit */
	[2] = 0x00cf93000000ffff,	/* 0xe010 ring 0 data */
	[4] = 0x00cffb000000ffff,	/* 0xe023 ring 3 code, compatibility */
	[5] = 0x00cff3000000ffff,	/* 0xe02b ring 3 data */
	[6] = 0x00affb000000ffff,	/* 0xe033 ring 3 code, 64-bit */
	[7] = 0x00cf9b000000ffff,	/* 0xe038 ring 0 code, compatibility */
	[12] = 0x0000910000000000,	/* 0xe060 per-CPU entry (limit = cpu 0) */
};

/*
 * A frame only "Xen" owns: read-only for the guest unless writable. Frames
 * that hold page tables the CPU walks for the guest are writable in the
 * nested tables even so: QEMU's TCG walks guest page tables with write
 * probes (for A/D updates) and faults on read-only nested mappings. The
 * guest itself can never map them writable (the PV MMU refuses), and we
 * pre-set Accessed (and Dirty) so a real CPU never writes them.
 */
static uint64_t xen_frame_alloc_pt(bool writable, bool table, void **host);

uint64_t xen_frame_alloc(bool writable, void **host)
{
	return xen_frame_alloc_pt(writable, false, host);
}

static uint64_t xen_frame_alloc_pt(bool writable, bool table, void **host)
{
	uint64_t hpa, mfn;
	unsigned int i = dom.nr_xen_frames;

	if (i >= MAX_XEN_FRAMES)
		panic("out of Xen frames");
	hpa = frame_alloc();
	if (!hpa)
		fatal(EXIT_BAD_INPUT, "too little RAM for the guest's hypervisor structures");
	mfn = dom.xen_mfn_base + i;
	dom.xen_hpa[i] = hpa;
	dom.xen_writable[i] = writable;
	dom.nr_xen_frames++;
	if (!vcpu_hw->map(dom.v, mfn << PAGE_SHIFT, hpa,
			  VMAP_R | (writable || table ? VMAP_W : 0)))
		panic("nested page tables: out of memory");
	if (host)
		*host = phys_to_virt(hpa);
	return mfn;
}

void *xen_frame_host(uint64_t mfn)
{
	if (mfn < dom.xen_mfn_base || mfn >= dom.xen_mfn_base + dom.nr_xen_frames)
		return NULL;
	return phys_to_virt(dom.xen_hpa[mfn - dom.xen_mfn_base]);
}

/* Map va -> mfn in a Xen-owned 4-level subtree rooted at an L3 frame. */
static void xen_map(uint64_t l3_mfn, uint64_t va, uint64_t mfn, uint64_t flags)
{
	uint64_t *t = xen_frame_host(l3_mfn);

	for (int level = 3; level > 1; level--) {
		unsigned int idx = (va >> (12 + 9 * (level - 1))) & 511;

		if (!(t[idx] & PTE_P)) {
			/* Tables: present, accessed, and U/RW as loose as any leaf below. */
			uint64_t child = xen_frame_alloc_pt(false, true, NULL);

			t[idx] = (child << PAGE_SHIFT) | PTE_P | PTE_A | PTE_W | PTE_U;
		}
		t = xen_frame_host((t[idx] & PTE_ADDR) >> PAGE_SHIFT);
	}
	t[(va >> 12) & 511] = (mfn << PAGE_SHIFT) | flags | PTE_P | PTE_A | PTE_D;
}

static void build_m2p(void)
{
	uint64_t invalid_mfn, *invalid;
	uint64_t chunks;
	void *l3;

	dom.max_mfn = dom.xen_mfn_base + MAX_XEN_FRAMES;
	chunks = (dom.max_mfn + 511) / 512;
	dom.xen_l3_m2p_mfn = xen_frame_alloc_pt(false, true, &l3);

	invalid_mfn = xen_frame_alloc(false, (void **)&invalid);
	for (int i = 0; i < 512; i++)
		invalid[i] = INVALID_M2P_ENTRY;

	for (uint64_t k = 0; k < chunks; k++) {
		uint64_t first = k * 512, last = first + 511;
		uint64_t mfn = invalid_mfn;

		if (last >= GUEST_MFN_BASE && first < GUEST_MFN_BASE + dom.nr_frames) {
			uint64_t *m;

			mfn = xen_frame_alloc(false, (void **)&m);
			for (int i = 0; i < 512; i++)
				m[i] = INVALID_M2P_ENTRY;
			for (uint64_t f = first; f <= last; f++)
				if (mfn_is_ram(f))
					m[f - first] = m2p_lookup(f);
		}
		/* Read-only, user-readable (the guest kernel runs at CPL 3), no execute. */
		xen_map(dom.xen_l3_m2p_mfn, MACH2PHYS_VIRT_START + k * PAGE_SIZE, mfn,
			PTE_U | PTE_NX);
	}
}

static void build_perdomain(void)
{
	uint64_t *gdt, *tss;

	dom.xen_l3_perdomain_mfn = xen_frame_alloc_pt(false, true, NULL);
	dom.zero_mfn = xen_frame_alloc(false, NULL);
	dom.gdt_frame_mfn = xen_frame_alloc(false, (void **)&gdt);
	dom.tss_mfn = xen_frame_alloc(false, (void **)&tss);

	for (unsigned int i = 0; i < ARRAY_SIZE(xen_gdt); i++)
		gdt[i] = xen_gdt[i];
	/* 0xe040: our TSS, busy 64-bit, limit 0x67 (TR must name a valid one). */
	gdt[8] = 0x67 | ((TSS_VIRT_START & 0xffffff) << 16) | (0x8bUL << 40) |
		 (((TSS_VIRT_START >> 24) & 0xff) << 56);
	gdt[9] = TSS_VIRT_START >> 32;
	/* No I/O bitmap (offset past the limit): port I/O at CPL 3 faults. */
	((uint16_t *)tss)[0x66 / 2] = 0xffff;

	/* Guest GDT pages start as Xen's zero page; page 14 holds Xen's entries. */
	for (unsigned int i = 0; i < FIRST_RESERVED_GDT_PAGE; i++)
		xen_map(dom.xen_l3_perdomain_mfn, GDT_VIRT_START + i * PAGE_SIZE,
			dom.zero_mfn, PTE_NX);
	xen_map(dom.xen_l3_perdomain_mfn, GDT_VIRT_START + FIRST_RESERVED_GDT_BYTE,
		dom.gdt_frame_mfn, PTE_NX);
	xen_map(dom.xen_l3_perdomain_mfn, TSS_VIRT_START, dom.tss_mfn, PTE_NX);
	{
		/* Remember the L1 that maps the GDT, for set_gdt. */
		uint64_t *l3 = xen_frame_host(dom.xen_l3_perdomain_mfn);
		uint64_t *l2 = xen_frame_host((l3[(GDT_VIRT_START >> 30) & 511] & PTE_ADDR) >> 12);

		dom.perdomain_l1 = xen_frame_host((l2[(GDT_VIRT_START >> 21) & 511] & PTE_ADDR) >> 12);
	}
}

/* Xen's text/data slot (261): only the IDT page lives there for us. */
static void build_xen_text(void)
{
	uint64_t *idt, mfn;

	dom.xen_l3_text_mfn = xen_frame_alloc_pt(false, true, NULL);
	mfn = xen_frame_alloc(false, (void **)&idt);
	for (unsigned int v = 0; v < 256; v++) {
		uint64_t handler = XEN_TEXT_HANDLERS + v * 32;
		bool present = !(v == 3 || v == 4 || v == 0x80);

		/*
		 * 64-bit interrupt gate to Xen's code selector: DPL 0, or for
		 * 3, 4, 0x80 DPL 3 (as Xen) but not present, so INT n passes
		 * the DPL check and exits with #NP instead of entering ring 0.
		 */
		idt[2 * v] = (handler & 0xffff) | (0xe008UL << 16) |
			     ((present ? 0x8eUL : 0x6eUL) << 40) |
			     (((handler >> 16) & 0xffff) << 48);
		idt[2 * v + 1] = handler >> 32;
	}
	xen_map(dom.xen_l3_text_mfn, IDT_VIRT_START, mfn, PTE_NX);
}

/* Every guest L4 carries Xen's slots, as Xen's init_xen_l4_slots() does. */
void install_xen_l4_slots(uint64_t *l4)
{
	for (unsigned int s = FIRST_XEN_SLOT; s <= LAST_XEN_SLOT; s++)
		l4[s] = 0;
	l4[L4_SLOT(MACH2PHYS_VIRT_START)] =
		(dom.xen_l3_m2p_mfn << PAGE_SHIFT) | PTE_P | PTE_U | PTE_A;
	l4[L4_SLOT(PERDOMAIN_VIRT_START)] =
		(dom.xen_l3_perdomain_mfn << PAGE_SHIFT) | PTE_P | PTE_W | PTE_A;
	l4[L4_SLOT(IDT_VIRT_START)] =
		(dom.xen_l3_text_mfn << PAGE_SHIFT) | PTE_P | PTE_W | PTE_A;
}

/* The hypercall page, as Xen's pv_ring3_init_hypercall_page() writes it. */
void fill_hypercall_page(uint8_t *p)
{
	memset(p, 0xcc, PAGE_SIZE);
	for (unsigned int i = 0; i < PAGE_SIZE / 32; i++, p += 32) {
		if (i == __HYPERVISOR_iret) {
			p[0] = 0x51;			/* push %rcx */
			p[1] = 0x41; p[2] = 0x53;	/* push %r11 */
			p[3] = 0x50;			/* push %rax */
			p[4] = 0xb8;			/* mov $__HYPERVISOR_iret, %eax */
			memcpy(p + 5, &i, 4);
			p[9] = 0x0f; p[10] = 0x05;	/* syscall */
			continue;
		}
		p[0] = 0x51;				/* push %rcx */
		p[1] = 0x41; p[2] = 0x53;		/* push %r11 */
		p[3] = 0xb8;				/* mov $i, %eax */
		memcpy(p + 4, &i, 4);
		p[8] = 0x0f; p[9] = 0x05;		/* syscall */
		p[10] = 0x41; p[11] = 0x5b;		/* pop %r11 */
		p[12] = 0x59;				/* pop %rcx */
		p[13] = 0xc3;				/* ret */
	}
}

static void init_shared_info(void)
{
	struct shared_info *s;

	dom.shared_info_mfn = xen_frame_alloc(true, (void **)&s);
	dom.shared_info = s;
	dom.vcpu_info = &s->vcpu_info[0];
	/* Event upcalls masked until the guest is ready for them. */
	s->vcpu_info[0].evtchn_upcall_mask = 1;
	/* arch.max_pfn stays 0: the guest publishes it (Linux does), not Xen. */
}

static void set_seg(struct vseg *sg, uint16_t sel, uint32_t attr, uint32_t limit, uint64_t base)
{
	sg->sel = sel;
	sg->attr = attr;
	sg->limit = limit;
	sg->base = base;
}

/* vcpu 0 as Xen starts a 64-bit PV kernel. */
static void init_vcpu_state(const struct pv_start *ps)
{
	struct vcpu_state *s = dom.st;

	memset(s->gpr, 0, sizeof(s->gpr));
	s->rip = ps->entry;
	s->gpr[GPR_RSP] = ps->stack;
	s->gpr[GPR_RSI] = ps->start_info_va;
	s->rflags = X86_EFLAGS_MBS | X86_EFLAGS_IF;
	/* Xen's CR0 (with AM), and TS: Xen's FPU is lazy, the first use traps. */
	s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG | CR0_TS;
	s->cr3 = ps->l4_mfn << PAGE_SHIFT;
	s->cr4 = CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT |
		 (read_cr4() & CR4_OSXSAVE);	/* Xen's own XSAVE setting shows through */
	/* Long mode with NX; SCE clear so that SYSCALL #UDs into parahost. */
	s->efer = EFER_LME | EFER_LMA | EFER_NXE;
	/* FLAT_KERNEL_CS: 64-bit code, DPL 3. FLAT_KERNEL_SS: data, DPL 3. */
	set_seg(&s->seg[SEG_CS], FLAT_KERNEL_CS, 0xa0fb, 0xffffffff, 0);
	set_seg(&s->seg[SEG_SS], FLAT_KERNEL_SS, 0xc0f3, 0xffffffff, 0);
	/* FLAT_KERNEL_DS is the null selector in 64-bit PV. */
	set_seg(&s->seg[SEG_DS], 0, SEG_ATTR_UNUSABLE, 0, 0);
	set_seg(&s->seg[SEG_ES], 0, SEG_ATTR_UNUSABLE, 0, 0);
	set_seg(&s->seg[SEG_FS], 0, SEG_ATTR_UNUSABLE, 0, 0);
	set_seg(&s->seg[SEG_GS], 0, SEG_ATTR_UNUSABLE, 0, 0);
	set_seg(&s->seg[SEG_LDTR], 0, SEG_ATTR_UNUSABLE, 0, 0);
	set_seg(&s->seg[SEG_TR], XEN_TSS_SELECTOR, 0x8b, 0x67, TSS_VIRT_START);
	s->gdtr.base = GDT_VIRT_START;
	s->gdtr.limit = LAST_RESERVED_GDT_BYTE;
	/*
	 * An IDT like Xen's (as SIDT shows it): every exception exits before
	 * delivery; INT n meets a DPL 0 gate and #GPs with (n << 3) | 2, as
	 * under Xen; vectors 3, 4 and 0x80 (DPL 3 gates in Xen) are not present
	 * here, so INT $3/$4/$0x80 exit as #NP and are delivered as Xen would.
	 */
	s->idtr.base = IDT_VIRT_START;
	s->idtr.limit = 0xfff;
	s->kernel_gs_base = 0;
	s->dr7 = 0x400;

	dom.kernel_mode = true;
	dom.kernel_ss = FLAT_KERNEL_SS;
	/* PV guests by default have a 100Hz ticker (Xen's pv_vcpu_initialise). */
	dom.periodic_period = 10000000;
	dom.periodic_next = system_time_ns() + dom.periodic_period;
}

static unsigned long guest_pages(void)
{
	uint64_t bytes = host_opts.guest_mem ? host_opts.guest_mem : DEFAULT_GUEST_MEM;
	uint64_t pages = bytes >> PAGE_SHIFT;
	/*
	 * RAM and the balloon's room, plus the nested tables, M2P, frame
	 * bookkeeping and the grant maptrack (1024 frames at most): a
	 * generous margin.
	 */
	uint64_t need = pages + BALLOON_FRAMES + pages / 256 + 4096 + 1024;

	if (bytes < MIN_GUEST_MEM)
		fatal(EXIT_BAD_INPUT, "guest_mem=%lu KiB is too small (minimum %lu KiB)",
		      (unsigned long)(bytes >> 10), MIN_GUEST_MEM >> 10);
	if (frames_free() < need)
		fatal(EXIT_BAD_INPUT, "too little RAM: the guest needs %lu MiB plus overhead, %lu MiB free",
		      (unsigned long)(bytes >> 20), (unsigned long)(frames_free() >> 8));
	return (unsigned long)pages;
}

static void *host_array(size_t bytes)
{
	uint64_t pa = frames_alloc((bytes + PAGE_SIZE - 1) / PAGE_SIZE);

	if (!pa)
		fatal(EXIT_BAD_INPUT, "too little RAM for the guest's bookkeeping");
	return phys_to_virt(pa);
}

/*
 * Guest RAM: the initial allocation, then the balloon's room (frames the
 * domain may populate up to its maximum reservation), all mapped in the
 * nested tables; a frame is the guest's only while the page-type system
 * says it owns it.
 */
static void build_memory(void)
{
	unsigned long n = dom.nr_pages, nf = n + BALLOON_FRAMES;
	uint64_t block;

	dom.nr_frames = nf;
	dom.p2m = host_array(n * sizeof(xen_pfn_t));
	dom.ram_hpa = host_array(nf * sizeof(uint64_t));

	/* One block if we can (fast), frame by frame if memory is fragmented. */
	block = frames_alloc(nf);
	for (unsigned long i = 0; i < nf; i++) {
		uint64_t hpa = block ? block + i * PAGE_SIZE : frame_alloc();

		if (!hpa)
			fatal(EXIT_BAD_INPUT, "too little RAM for %lu guest pages", nf);
		dom.ram_hpa[i] = hpa;
		if (i >= n)	/* never the guest's yet: nothing of anyone's in it */
			memset(phys_to_virt(hpa), 0, PAGE_SIZE);
		if (!vcpu_hw->map(dom.v, (GUEST_MFN_BASE + i) << PAGE_SHIFT, hpa, VMAP_RWX))
			panic("nested page tables: out of memory");
	}
	/* Deliberately not the identity, and not even monotonic: reversed. */
	for (unsigned long pfn = 0; pfn < n; pfn++)
		dom.p2m[pfn] = GUEST_MFN_BASE + (n - 1 - pfn);
	dom.xen_mfn_base = GUEST_MFN_BASE + nf + XEN_MFN_GAP;
}

void pv_run(const struct boot_module *m, const struct boot_module *initrd)
{
	const void *image = phys_to_virt(m->start);
	size_t len = (size_t)(m->end - m->start);
	struct xen_image img;
	struct pv_start ps;
	const char *why = NULL;
	uint64_t mfn, exit_rip;

	if (xen_image_parse(image, len, &img, &why) < 0)
		fatal(EXIT_BAD_INPUT, "guest image rejected: %s", why ? why : "unknown reason");

	memset(&dom, 0, sizeof(dom));
	dom.is_dom0 = host_opts.dom0;
	dom.domid = dom.is_dom0 ? 0 : 1;
	dom.nr_pages = guest_pages();
	dom.v = vcpu_hw->create();
	if (!dom.v)
		fatal(EXIT_BAD_INPUT, "too little RAM for the virtual CPU");
	dom.st = vcpu_state(dom.v);

	build_memory();
	pv_mm_init();
	init_shared_info();
	build_m2p();
	build_perdomain();
	build_xen_text();
	evtchn_init();
	time_init();
	if (!dom.is_dom0) {
		/* As libxl: the guest's ends offered to domain 0, whose daemons bind them. */
		dom.store_port = evtchn_alloc_unbound_for(0);
		dom.console_port = evtchn_alloc_unbound_for(0);
	}

	if (pv_start_build(image, len, &img, m->string, initrd, &ps, &why) < 0)
		fatal(EXIT_BAD_INPUT, "cannot build the domain: %s", why ? why : "unknown reason");
	dom.start_info_va = ps.start_info_va;
	dom.console_mfn = ps.console_mfn;
	dom.store_mfn = ps.store_mfn;

	init_vcpu_state(&ps);
	pv_mm_boot(ps.l4_mfn);

	if (ps.hypercall_page_va) {
		uint8_t *page;

		if (guest_walk(ps.hypercall_page_va, 0, &mfn, NULL) ||
		    !(page = gframe_get(&dom, mfn, GF_WRITABLE)))
			fatal(EXIT_BAD_INPUT, "hypercall page %#lx is not a writable page of the guest",
			      (unsigned long)ps.hypercall_page_va);
		fill_hypercall_page(page);
		gframe_put(&dom, mfn, GF_WRITABLE);
		dom.hypercall_page_va = ps.hypercall_page_va;
	}
	if (!dom.is_dom0) {
		console_backend_init();
		xenstore_init();
		blkback_init();
	}

	printk("d%u: %lu pages (%lu MiB), entry %#lx, start_info %#lx, L4 mfn %#lx",
	       dom.domid, dom.nr_pages, dom.nr_pages >> 8, (unsigned long)ps.entry,
	       (unsigned long)ps.start_info_va, (unsigned long)ps.l4_mfn);

	if (host_opts.audit)
		pv_audit_init();
	printk("host timer: %s", host_timer_init());
	serial_input_start();
	exit_rip = dom.st->rip;
	for (;;) {
		struct vexit e;

		deliver_pending_events();
		update_vcpu_time(false);
		/* The guest runs until its next deadline at most: no periodic tick. */
		time_arm_host_timer(0);
		pv_check_entry(exit_rip);
		if (unlikely(host_opts.audit))
			pv_audit();
		if (host_opts.verbose && dom.nr_exits < 50)
			printk("entry %lu: rip %#lx", dom.nr_exits, (unsigned long)dom.st->rip);
		vcpu_hw->run(dom.v, &e);
		exit_rip = dom.st->rip;
		dom.nr_exits++;
		if (host_opts.verbose && dom.nr_exits < 50)
			printk("exit %lu: kind %d raw %#lx info %#lx %#lx rip %#lx", dom.nr_exits, e.kind,
			       (unsigned long)e.raw, (unsigned long)e.raw_info1,
			       (unsigned long)e.raw_info2, (unsigned long)dom.st->rip);
		if (unlikely(host_opts.audit))
			pv_audit_note_exit(&e);
		stats_note_exit(&e, exit_rip);
		handle_exit(&e);
		if (!dom.is_dom0) {
			console_backend_poll();
			blkback_poll();		/* before the store's poll: its nodes' events go out now */
			xenstore_poll();
		}
		pv_poll_input();
		time_check_timers();
		stats_tick();
	}
}

void pv_poll_input(void)
{
	char buf[64];
	size_t n;

	while ((n = serial_read(buf, sizeof(buf))) > 0) {
		if (dom.is_dom0)
			console_io_input(buf, n);
		else
			console_backend_input(buf, n);
	}
}
