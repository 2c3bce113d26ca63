/*
 * The "audit" option: before every VM entry (so after every hypercall and
 * every exit that may have changed page types), recount the page types
 * (mm_audit) and check what parahost itself promises about the state it
 * keeps for a hostile guest. A violation is a parahost bug, never the
 * guest's: one "(parahost) AUDIT: ..." line and exit status EXIT_AUDIT.
 * Without the option none of this runs (one test of a flag per entry).
 * The vcpu state itself is checked before every entry, audit or not
 * (entry_check.c): a state the guest could have made bad crashes the
 * domain there.
 */
#include "host/boot/boot.h"
#include "host/pv/evtchn.h"
#include "host/pv/pv.h"
#include "host/pv/grant.h"


static uint32_t *scratch;
static uint64_t xen_l4_expected[LAST_XEN_SLOT + 1];

/* Xen's frames that nothing may ever write once the domain is built. */
static uint64_t fixed_mfn[6], fixed_sum[6];
static unsigned int nr_fixed;

/* What the last exit was, for the violation line. */
static struct {
	enum vexit_kind kind;
	uint32_t vector;
	uint64_t rip, rax;
	unsigned long hypercalls;
} last;

static bool canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

static uint64_t frame_sum(uint64_t mfn)
{
	const uint64_t *p = xen_frame_host(mfn);
	uint64_t h = 0xcbf29ce484222325UL;

	for (unsigned int i = 0; p && i < 512; i++)
		h = (h ^ p[i]) * 0x100000001b3UL;
	return h;
}

void pv_audit_init(void)
{
	uint64_t n = dom.mm.nr_frames;
	uint64_t pa = frames_alloc((4 * n * sizeof(uint32_t) + PAGE_SIZE - 1) / PAGE_SIZE);
	uint64_t l4[512];

	if (!pa)
		fatal(EXIT_BAD_INPUT, "too little RAM for the audit's scratch counts");
	scratch = phys_to_virt(pa);
	install_xen_l4_slots(l4);
	for (unsigned int s = FIRST_XEN_SLOT; s <= LAST_XEN_SLOT; s++)
		xen_l4_expected[s] = l4[s];
	fixed_mfn[nr_fixed++] = dom.gdt_frame_mfn;
	fixed_mfn[nr_fixed++] = dom.tss_mfn;
	fixed_mfn[nr_fixed++] = dom.zero_mfn;
	fixed_mfn[nr_fixed++] = dom.xen_l3_m2p_mfn;
	fixed_mfn[nr_fixed++] = dom.xen_l3_perdomain_mfn;
	fixed_mfn[nr_fixed++] = dom.xen_l3_text_mfn;
	for (unsigned int i = 0; i < nr_fixed; i++)
		fixed_sum[i] = frame_sum(fixed_mfn[i]);
	printk("audit: page types and parahost's invariants checked before every VM entry");
}

/* The event-channel table and the VIRQ index agree (and the backends' ends, event_channel.c). */
static const char *check_evtchn(void)
{
	const struct evtchn *c0 = evtchn_from_port(0);

	if (!c0 || c0->state != ECS_RESERVED)
		return "event channel 0 is not reserved";
	if (dom.valid_evtchns % EVTCHNS_PER_BUCKET ||
	    dom.valid_evtchns > NR_EVTCHN_BUCKETS * EVTCHNS_PER_BUCKET)
		return "the valid ports are not whole buckets";
	for (evtchn_port_t p = 1; p < dom.valid_evtchns; p++) {
		const struct evtchn *c = evtchn_from_port(p), *r;

		if (!c || c->port != p)
			return "a valid port without its own channel";
		if (c->state > ECS_IPI)
			return "event channel in an unknown state";
		if (c->state == ECS_VIRQ &&
		    (c->virq >= NR_VIRQS || dom.virq_to_port[c->virq] != p))
			return "VIRQ port and VIRQ index disagree";
		/* A channel to ourselves is a pair: each end names the other. */
		if (c->state == ECS_INTERDOMAIN && c->remote_dom == dom.domid &&
		    (!(r = evtchn_from_port(c->remote_port)) || r->state != ECS_INTERDOMAIN ||
		     r->remote_dom != dom.domid || r->remote_port != p))
			return "an interdomain channel to ourselves whose other end is not its pair";
	}
	for (unsigned int v = 0; v < NR_VIRQS; v++) {
		evtchn_port_t p = dom.virq_to_port[v];
		const struct evtchn *c = p ? evtchn_from_port(p) : NULL;

		if (p && (!c || c->state != ECS_VIRQ || c->virq != v))
			return "VIRQ index names a port not bound to that VIRQ";
	}
	return evtchn_backend_check();
}

static const struct mm_page *page_of(uint64_t mfn)
{
	return mm_page(&dom.mm, mfn);
}

/*
 * Xen's own frames: the writable ones (shared_info, grant frames) are,
 * while the domain has them, its writable pages and never anything else
 * (it can give them back, and v1 leaves the status frames parahost's);
 * the others are not the domain's at all, and those that never change
 * have not changed.
 * Frames a backend reads and writes (console, xenstore rings) are never
 * page tables or descriptor pages.
 */
static const char *check_frames(uint64_t *bad)
{
	uint64_t rings[2] = { dom.console_mfn, dom.store_mfn };

	for (unsigned int i = 0; i < dom.nr_xen_frames; i++) {
		const struct mm_page *p = page_of(dom.xen_mfn_base + i);

		*bad = dom.xen_mfn_base + i;
		if (!p)
			return "a Xen frame is outside the frame table";
		if (dom.xen_writable[i]) {
			if (!(p->flags & MM_PG_OWNED)) {
				if (p->count || p->type_count)
					return "a shared Xen frame the domain gave back still has references";
			} else if (!(p->flags & MM_PG_SPECIAL) || p->type != MM_T_WRITABLE ||
				   !p->type_count)
				return "a shared Xen frame (shared_info, grant table) is not a writable page";
		} else if (p->flags & MM_PG_OWNED) {
			return "a Xen-private frame belongs to the guest";
		}
	}
	for (unsigned int i = 0; i < nr_fixed; i++)
		if (frame_sum(fixed_mfn[i]) != fixed_sum[i]) {
			*bad = fixed_mfn[i];
			return "a Xen frame that never changes has changed (GDT, TSS, zero page or a Xen L3)";
		}
	for (unsigned int i = 0; i < 2; i++) {
		const struct mm_page *p = rings[i] ? page_of(rings[i]) : NULL;

		*bad = rings[i];
		if (p && ((p->type >= MM_T_L1 && p->type <= MM_T_L4) || p->type == MM_T_SEGDESC) &&
		    p->type_count)
			return "a backend's ring frame is in use as a page table or descriptor page";
	}
	return NULL;
}

/* Xen's slots are the same in every validated L4, and nobody else's. */
static const char *check_l4s(uint64_t *bad)
{
	for (uint64_t i = 0; i < dom.mm.nr_frames; i++) {
		const struct mm_page *p = &dom.mm.pages[i];
		const uint64_t *l4;

		if (p->type != MM_T_L4 || !(p->flags & MM_PG_VALIDATED))
			continue;
		*bad = dom.mm.mfn_base + i;
		l4 = gframe__held(&dom, *bad);
		if (!l4)
			return "a validated L4 is not guest memory";
		for (unsigned int s = FIRST_XEN_SLOT; s <= LAST_XEN_SLOT; s++)
			if (l4[s] != xen_l4_expected[s])
				return "a validated L4 has a Xen slot that is not Xen's";
	}
	return NULL;
}

static const char *check_entry_points(void)
{
	for (unsigned int v = 0; v < 256; v++)
		if (!canonical(dom.traps[v].address))
			return "a trap table entry is not canonical";
	if (!canonical(dom.event_callback) || !canonical(dom.failsafe_callback) ||
	    !canonical(dom.syscall_callback))
		return "a callback address is not canonical";
	return NULL;
}

void pv_audit_note_exit(const struct vexit *e)
{
	last.kind = e->kind;
	last.vector = e->vector;
	last.rip = dom.st->rip;
	last.rax = GREG(RAX);
	last.hypercalls = dom.nr_hypercalls;
}

/*
 * The references parahost keeps on guest frames between hypercalls: the
 * backends' rings for as long as they are open, a registered vcpu_info
 * page, the GDT's frames, the FIFO event ABI's control block and event
 * arrays, device mappings of grants (a host mapping's references are its
 * L1 entry's, which mm_audit counts), blkback's ring pages and persistent
 * grants (up to 4 rings of 16 pages and 1056 grants).
 */
#define MAX_HELD	8192
static struct mm_held held[MAX_HELD];

static unsigned int held_refs(void)
{
	unsigned int n = 0;

	if (!dom.is_dom0) {
		held[n++] = (struct mm_held){ dom.console_mfn, MM_T_WRITABLE };
		held[n++] = (struct mm_held){ dom.store_mfn, MM_T_WRITABLE };
	}
	for (unsigned int i = 0; i < FIRST_RESERVED_GDT_PAGE; i++)
		if (dom.gdt_frames[i])
			held[n++] = (struct mm_held){ dom.gdt_frames[i], MM_T_SEGDESC };
	if (dom.vcpu_info_registered) {
		uint64_t pa = virt_to_phys(dom.vcpu_info) & ~(PAGE_SIZE - 1);

		for (unsigned long i = 0; i < dom.nr_frames; i++)
			if (dom.ram_hpa[i] == pa)
				held[n++] = (struct mm_held){ GUEST_MFN_BASE + i, MM_T_WRITABLE };
	}
	n += evtchn_fifo_held(held + n, MAX_HELD - n);
	n += blkback_held(held + n, MAX_HELD - n);
	return n + gnttab_device_refs(held + n, MAX_HELD - n);
}

void pv_audit(void)
{
	unsigned int nr_held = held_refs();
	const char *why;
	uint64_t bad = 0;

	/*
	 * The frame table's tail past the last Xen frame handed out is never
	 * anyone's (xen_frame_alloc is the only way there): leave it out, it
	 * is most of the table for a small guest.
	 */
	struct mm_domain used = dom.mm;

	used.nr_frames = dom.xen_mfn_base + dom.nr_xen_frames - dom.mm.mfn_base;
	if (mm_audit_held(&used, &dom.mmv, 1, held, nr_held, scratch, &why, &bad) == 0) {
		why = NULL;
		if (!dom.mmv.guest_table)
			why = "the vcpu has no kernel base pointer";
	}
	if (!why && nr_held >= MAX_HELD)
		why = "more host-held references than the audit can count";
	if (!why) why = check_evtchn();
	if (!why) why = check_frames(&bad);
	if (!why) why = check_l4s(&bad);
	if (!why) why = check_entry_points();
	if (!why)
		return;
	printk("AUDIT: %s (mfn %#lx) after exit %lu (kind %d vector %u at rip %#lx, rax was %#lx%s)",
	       why, (unsigned long)bad, dom.nr_exits, last.kind, last.vector,
	       (unsigned long)last.rip, (unsigned long)last.rax,
	       dom.nr_hypercalls != last.hypercalls ? ": a hypercall" : "");
	dump_guest_state();
	host_exit(EXIT_AUDIT);
}
