/*
 * Mapping grants (Xen: common/grant_table.c map_grant_ref, unmap_common,
 * unmap_common_complete and the maptrack). The only grants a domain can
 * map here are its own: Xen lets a domain map the entries it made out to
 * itself, which is the path a backend takes (parahost plays domain 0,
 * which grants nothing). Each mapping takes what Xen's takes on the
 * granted frame through the page-type system: a general reference, and a
 * writable type reference unless it is read-only, per host and per device
 * mapping; a host mapping's entry in the guest's L1 holds those
 * (mm_grant.c). Unmapping releases exactly what mapping took, after the
 * TLBs are flushed. The reading/writing flags of
 * the guest's entry follow Xen's pin counts.
 */
#include "host/boot/boot.h"
#include "host/pv/grant.h"

/* Xen's active_grant_entry pin counts: four 8-bit counters. */
#define PIN_HSTW	(1u << 0)	/* writable host mappings */
#define PIN_HSTR	(1u << 8)	/* read-only host mappings */
#define PIN_DEVW	(1u << 16)	/* writable device mappings */
#define PIN_DEVR	(1u << 24)	/* read-only device mappings */
#define PIN_WRITABLE	(0xffu * PIN_HSTW | 0xffu * PIN_DEVW)
/* The top bit of each counter a pin would increment: refuse before it wraps. */
#define PIN_OVERFLOW(incr)	((incr) << 7)

/*
 * One per grant ref: pinned by mappings of ours (the only domain that can
 * map our grants), and the frame the first mapping found.
 */
static struct active {
	uint32_t pin;
	domid_t domid;		/* while pinned: the domain using it (Xen's act->domid) */
	xen_pfn_t mfn;
	uint16_t start, length;	/* the part granted: all of it, or a v2 sub-page (copies only) */
} active[MAX_GRANT_ENTRIES];

bool gnttab_pinned(grant_ref_t ref)
{
	return active[ref].pin != 0;
}

/*
 * The maptrack: one entry per mapping, its index the handle. Xen's
 * layout and free-list order (a single vcpu's list; one entry always
 * stays on it as the tail), so handles come out as Xen hands them out.
 */
struct maptrack {
	uint32_t ref;		/* the grant ref, or the next free handle */
	uint16_t flags;		/* GNTMAP_* of the mapping; 0 = free */
	domid_t domid;		/* the granting domain */
	uint32_t pad[2];	/* 16 bytes, as Xen's: 256 a page */
};

#define MAPTRACK_PER_PAGE	(PAGE_SIZE / sizeof(struct maptrack))
#define MAX_MAPTRACK_FRAMES	1024	/* xl's max_maptrack_frames default */
#define MAPTRACK_TAIL		(~0u)
#define INVALID_HANDLE		(~0u)

static struct maptrack *maptrack[MAX_MAPTRACK_FRAMES];
static unsigned int maptrack_limit;
static unsigned int maptrack_head = MAPTRACK_TAIL, maptrack_tail = MAPTRACK_TAIL;

static struct maptrack *mt(grant_handle_t h)
{
	return &maptrack[h / MAPTRACK_PER_PAGE][h % MAPTRACK_PER_PAGE];
}

/* Xen's get_maptrack_handle: from the free list, else one more page of them. */
static grant_handle_t get_handle(void)
{
	unsigned int head = maptrack_head, nr = maptrack_limit / MAPTRACK_PER_PAGE, i;
	struct maptrack *page;
	uint64_t pa;

	if (head != MAPTRACK_TAIL && mt(head)->ref != MAPTRACK_TAIL) {
		maptrack_head = mt(head)->ref;
		return head;
	}
	if (nr >= MAX_MAPTRACK_FRAMES || !(pa = frame_alloc()))
		return INVALID_HANDLE;	/* no other vcpu to steal from */
	page = phys_to_virt(pa);
	memset(page, 0, PAGE_SIZE);
	head = maptrack_limit;
	for (i = 0; i < MAPTRACK_PER_PAGE; i++)
		page[i].ref = head + i + 1;
	if (maptrack_tail == MAPTRACK_TAIL)
		maptrack_tail = head + MAPTRACK_PER_PAGE - 1;
	maptrack[nr] = page;
	maptrack_limit += MAPTRACK_PER_PAGE;
	/* The rest of the page goes in front of the list. */
	page[MAPTRACK_PER_PAGE - 1].ref = maptrack_head;
	maptrack_head = head + 1;
	return head;
}

/* Xen's put_maptrack_handle: a freed handle goes to the tail. */
static void put_handle(grant_handle_t h)
{
	mt(h)->ref = MAPTRACK_TAIL;
	mt(maptrack_tail)->ref = h;
	maptrack_tail = h;
}

static void clear_flags(grant_ref_t ref, uint16_t mask)
{
	*gnttab_status(ref) &= (uint16_t)~mask;
}

/*
 * Xen's _set_status_v1/_v2: an unpinned entry must permit access to us
 * (v2: or be transitive), whole pages only for a map; a writable pin needs
 * a writable grant. Sets GTF_reading, and GTF_writing for a writable pin.
 */
static int16_t set_status_for(domid_t by, grant_ref_t ref, uint32_t pin, bool ro, bool map)
{
	grant_entry_header_t *h = gnttab_header(ref);
	uint16_t flags = h->flags, type = flags & (GTF_type_mask | (map ? GTF_sub_page : 0));

	if (!pin && ((type != GTF_permit_access &&
		      (gnttab_version() == 1 || type != GTF_transitive)) ||
		     h->domid != by))
		return GNTST_general_error;
	if (!pin)
		active[ref].domid = by;
	if (!ro && (flags & GTF_readonly))
		return GNTST_general_error;
	*gnttab_status(ref) |= GTF_reading | (ro ? 0 : GTF_writing);
	return GNTST_okay;
}

static int16_t set_status(grant_ref_t ref, uint32_t pin, bool ro, bool map)
{
	return set_status_for(dom.domid, ref, pin, ro, map);
}

/* The pins a mapping with these GNTMAP_* flags holds. */
static uint32_t pins(uint32_t flags)
{
	bool ro = flags & GNTMAP_readonly;

	return ((flags & GNTMAP_device_map) ? (ro ? PIN_DEVR : PIN_DEVW) : 0) +
	       ((flags & GNTMAP_host_map) ? (ro ? PIN_HSTR : PIN_HSTW) : 0);
}

/* After pins went: writing goes with the last writable pin, reading with the last. */
static void unpin_flags(grant_ref_t ref, bool ro)
{
	uint16_t mask = 0;

	if (!ro && !(active[ref].pin & PIN_WRITABLE))
		mask |= GTF_writing;
	if (!active[ref].pin)
		mask |= GTF_reading;
	if (mask)
		clear_flags(ref, mask);
}

/* Xen's map_grant_ref, for a grant of our own (op->dom is us). */
static int16_t map_own(struct gnttab_map_grant_ref *op, grant_handle_t h)
{
	bool ro = op->flags & GNTMAP_readonly;
	unsigned int refs = 0, types = 0;
	struct active *act;
	xen_pfn_t mfn;
	int16_t rc;

	if (op->ref >= gnttab_nr_entries())
		return GNTST_bad_gntref;
	act = &active[op->ref];
	/* Pinned by the other side (our backend): Xen's active-domid check. */
	if (act->pin && (act->domid != dom.domid || (act->pin & PIN_OVERFLOW(pins(op->flags)))))
		return GNTST_general_error;
	if (!act->pin || (!ro && !(act->pin & PIN_WRITABLE))) {
		rc = set_status(op->ref, act->pin, ro, true);
		if (rc)
			return rc;
		if (!act->pin) {
			/* get_paged_frame: a PV grant names a machine frame of ours. */
			mfn = gnttab_frame(op->ref);
			if (mm_get_page(&dom.mm, mfn)) {
				unpin_flags(op->ref, ro);
				return GNTST_bad_page;
			}
			refs = 1;
			act->mfn = mfn;
			act->start = 0;
			act->length = PAGE_SIZE;
		}
	}
	act->pin += pins(op->flags);
	mfn = act->mfn;
	rc = GNTST_general_error;	/* "Could not pin grant frame" */
	/* The frame must still be ours (it may have been given back since). */
	if (!refs && mm_get_page(&dom.mm, mfn))
		goto undo;
	refs = 1;
	if ((op->flags & GNTMAP_device_map) && !ro) {
		if (mm_get_type(&dom.mm, mfn, MM_T_WRITABLE))
			goto undo;
		types++;
	}
	if (op->flags & GNTMAP_host_map) {
		if (op->flags & GNTMAP_device_map) {
			if (mm_get_page(&dom.mm, mfn))
				goto undo;
			refs++;
		}
		if (!ro) {
			if (mm_get_type(&dom.mm, mfn, MM_T_WRITABLE))
				goto undo;
			types++;
		}
		rc = (int16_t)mm_grant_map(&dom.mm, &dom.mmv, op->host_addr, mfn, op->flags);
		if (rc)
			goto undo;
	}
	mt(h)->domid = op->dom;
	mt(h)->ref = op->ref;
	mt(h)->flags = (uint16_t)op->flags;
	op->dev_bus_addr = mfn << PAGE_SHIFT;
	op->handle = h;
	return GNTST_okay;

undo:
	while (types--)
		mm_put_type(&dom.mm, mfn);
	while (refs--)
		mm_put_page(&dom.mm, mfn);
	act->pin -= pins(op->flags);
	unpin_flags(op->ref, ro);
	return rc;
}

static int16_t map_one(struct gnttab_map_grant_ref *op)
{
	grant_handle_t h;
	int16_t rc;

	if (!(op->flags & (GNTMAP_device_map | GNTMAP_host_map)))
		return GNTST_bad_gntref;
	if (op->dom != dom.domid)
		/* Domain 0 (us, parahost) grants nothing; no other domain exists. */
		return !dom.is_dom0 && op->dom == 0 ? GNTST_general_error : GNTST_bad_domain;
	h = get_handle();
	if (h == INVALID_HANDLE)
		return GNTST_no_space;
	rc = map_own(op, h);
	if (rc)
		put_handle(h);
	return rc;
}

long gnttab_map_grant_ref(unsigned int cmd, uint64_t uop, unsigned int count)
{
	if (!guest_va_ok(uop, (size_t)count * sizeof(struct gnttab_map_grant_ref)))
		return -EFAULT;
	for (unsigned int i = 0; i < count; i++, uop += sizeof(struct gnttab_map_grant_ref)) {
		struct gnttab_map_grant_ref m;

		if (i && hypercall_preempt_check())
			return hypercall_create_continuation(__HYPERVISOR_grant_table_op, 3,
							     (uint64_t)cmd, uop,
							     (uint64_t)(count - i));
		if (copy_from_guest(&m, uop, sizeof(m)))
			return -EFAULT;
		m.status = map_one(&m);
		if (copy_to_guest(uop, &m, sizeof(m)))
			return -EFAULT;
	}
	return 0;
}

/*
 * Xen's acquire_grant_for_copy, for a grant of our own: the pin and flags
 * a copy holds while it runs, and the part of which frame it may touch.
 * The caller takes its references on that frame through gframe_get (a
 * frame given back since: not ours, GNTST_bad_page). Transitive grants
 * name another domain's grant: the only other is domain 0 (parahost),
 * which grants nothing, and one naming ourselves is refused by Xen too.
 */
int16_t gnttab_copy_acquire(grant_ref_t ref, bool ro, xen_pfn_t *mfn, uint16_t *off,
			    uint16_t *len)
{
	uint16_t type, start, length;
	struct active *act;
	xen_pfn_t frame;
	int16_t rc;

	if (ref >= gnttab_nr_entries())
		return GNTST_bad_gntref;
	act = &active[ref];
	if (act->pin && act->domid != dom.domid)
		return GNTST_general_error;	/* pinned by our backend (domain 0) */
	if (act->pin & PIN_OVERFLOW(PIN_HSTW | PIN_HSTR | PIN_DEVW | PIN_DEVR))
		return GNTST_general_error;	/* "risk of counter overflow" */
	type = gnttab_header(ref)->flags & GTF_type_mask;
	if (!act->pin || (!ro && !(act->pin & PIN_WRITABLE))) {
		rc = set_status(ref, act->pin, ro, false);
		if (rc)
			return rc;
		if (gnttab_version() == 2 && type == GTF_transitive) {
			unpin_flags(ref, ro);
			return GNTST_general_error;
		}
		frame = gnttab_frame(ref);
		start = 0;
		length = PAGE_SIZE;
		if (gnttab_version() == 2 && (gnttab_header(ref)->flags & GTF_sub_page)) {
			const grant_entry_v2_t *e = (const void *)gnttab_header(ref);

			frame = e->sub_page.frame;
			start = e->sub_page.page_off;
			length = e->sub_page.length;
		}
		if (!act->pin) {
			act->mfn = frame;
			act->start = start;
			act->length = length;
		} else if (frame != act->mfn) {
			/*
			 * A write pin on top of read-only mappings, the entry now
			 * naming another frame: measured on Xen 4.17, refused, and
			 * nothing written to either frame.
			 */
			unpin_flags(ref, ro);
			return GNTST_general_error;
		}
	}
	act->pin += ro ? PIN_HSTR : PIN_HSTW;
	*mfn = act->mfn;
	*off = act->start;
	*len = act->length;
	return GNTST_okay;
}

/*
 * Domain 0's side (the backends): a grant the guest made out to domain 0,
 * taken as Xen's map_grant_ref takes it for dom0's blkback (whole page,
 * permit_access only, v2 sub-page and transitive grants refused; a pin by
 * the guest itself refused as another domain's pin). The caller then
 * takes its references on *mfn with gframe_get, and releases with
 * gnttab_copy_release. Pins count as host mappings.
 */
int16_t gnttab_backend_acquire(grant_ref_t ref, bool ro, xen_pfn_t *mfn)
{
	struct active *act;
	int16_t rc;

	if (ref >= gnttab_nr_entries())
		return GNTST_bad_gntref;
	act = &active[ref];
	if (act->pin && (act->domid != 0 || (act->pin & PIN_OVERFLOW(PIN_HSTW | PIN_HSTR))))
		return GNTST_general_error;
	if (!act->pin || (!ro && !(act->pin & PIN_WRITABLE))) {
		rc = set_status_for(0, ref, act->pin, ro, true);
		if (rc)
			return rc;
		if (!act->pin) {
			act->mfn = gnttab_frame(ref);
			act->start = 0;
			act->length = PAGE_SIZE;
		}
	}
	act->pin += ro ? PIN_HSTR : PIN_HSTW;
	*mfn = act->mfn;
	return GNTST_okay;
}

/* Xen's release_grant_for_copy: the copy's pin goes, and the flags with the last. */
void gnttab_copy_release(grant_ref_t ref, bool ro)
{
	active[ref].pin -= ro ? PIN_HSTR : PIN_HSTW;
	unpin_flags(ref, ro);
}

/* Shared by unmap_grant_ref and unmap_and_replace (Xen: gnttab_unmap_common). */
struct unmap {
	uint64_t host_addr, dev_bus_addr, new_addr;
	grant_handle_t handle;
	uint16_t done;		/* GNTMAP_host_map / device_map undone, and readonly */
	grant_ref_t ref;
	xen_pfn_t mfn;
};

/* Xen's unmap_common: the mapping goes from the page tables and the maptrack. */
static int16_t unmap_common(struct unmap *op)
{
	struct maptrack *map;
	uint16_t flags;
	int16_t rc;

	op->done = 0;
	if (op->handle >= maptrack_limit || !(flags = mt(op->handle)->flags))
		return GNTST_bad_handle;
	map = mt(op->handle);
	op->ref = map->ref;
	if (op->ref >= gnttab_nr_entries())
		return GNTST_bad_handle;
	op->mfn = active[op->ref].mfn;
	/* Looked at only where there is a device mapping to undo. */
	if (op->dev_bus_addr && (flags & GNTMAP_device_map) &&
	    op->dev_bus_addr != op->mfn << PAGE_SHIFT)
		return GNTST_bad_dev_addr;
	if (op->host_addr && (flags & GNTMAP_host_map)) {
		rc = (int16_t)mm_grant_unmap(&dom.mm, &dom.mmv, op->host_addr, op->mfn,
					     op->new_addr, flags);
		if (rc)
			return rc;
		map->flags &= (uint16_t)~GNTMAP_host_map;
		op->done |= GNTMAP_host_map | (flags & GNTMAP_readonly);
	}
	if (op->dev_bus_addr && (flags & GNTMAP_device_map)) {
		map->flags &= (uint16_t)~GNTMAP_device_map;
		op->done |= GNTMAP_device_map | (flags & GNTMAP_readonly);
	}
	if (!(map->flags & (GNTMAP_device_map | GNTMAP_host_map))) {
		map->flags = 0;
		put_handle(op->handle);
	}
	return GNTST_okay;
}

/* Xen's unmap_common_complete, once the TLBs are flushed: the references and pins. */
static void unmap_complete(const struct unmap *op)
{
	bool ro = op->done & GNTMAP_readonly;
	struct active *act = &active[op->ref];

	if (!op->done)
		return;
	if (op->done & GNTMAP_device_map) {
		if (ro)
			mm_put_page(&dom.mm, op->mfn);
		else
			mm_put_page_and_type(&dom.mm, op->mfn);
		act->pin -= ro ? PIN_DEVR : PIN_DEVW;
	}
	if (op->done & GNTMAP_host_map) {
		if (!ro)
			mm_put_type(&dom.mm, op->mfn);
		mm_put_page(&dom.mm, op->mfn);
		act->pin -= ro ? PIN_HSTR : PIN_HSTW;
	}
	unpin_flags(op->ref, ro);
}

#define UNMAP_BATCH	32	/* Xen's GNTTAB_UNMAP_BATCH_SIZE: one TLB flush each */

/*
 * Xen's gnttab_unmap_grant_ref / gnttab_unmap_and_replace: batches of 32,
 * each element's status written back, one flush per batch before the
 * references go; preempted only between batches. A fault still completes
 * what the batch did.
 */
static long unmap_batches(unsigned int cmd, uint64_t uop, unsigned int count, bool replace)
{
	size_t size = replace ? sizeof(struct gnttab_unmap_and_replace) :
				sizeof(struct gnttab_unmap_grant_ref);
	struct unmap ops[UNMAP_BATCH];
	long rc = 0;

	if (!guest_va_ok(uop, (size_t)count * size))
		return -EFAULT;
	while (count) {
		unsigned int c = count < UNMAP_BATCH ? count : UNMAP_BATCH, n = 0;

		for (; n < c && !rc; n++, uop += size) {
			union {
				struct gnttab_unmap_grant_ref u;
				struct gnttab_unmap_and_replace r;
			} op;
			struct unmap *o = &ops[n];
			int16_t st;

			if (copy_from_guest(&op, uop, size)) {
				rc = -EFAULT;
				break;
			}
			*o = replace ? (struct unmap){ .host_addr = op.r.host_addr,
						      .new_addr = op.r.new_addr,
						      .handle = op.r.handle } :
				       (struct unmap){ .host_addr = op.u.host_addr,
						      .dev_bus_addr = op.u.dev_bus_addr,
						      .handle = op.u.handle };
			st = unmap_common(o);
			if (copy_to_guest(uop + (replace ?
				offsetof(struct gnttab_unmap_and_replace, status) :
				offsetof(struct gnttab_unmap_grant_ref, status)), &st, sizeof(st)))
				rc = -EFAULT;
		}
		vcpu_hw->flush_tlb(dom.v);
		for (unsigned int i = 0; i < n; i++)
			unmap_complete(&ops[i]);
		if (rc)
			return rc;
		count -= c;
		if (count && hypercall_preempt_check())
			return hypercall_create_continuation(__HYPERVISOR_grant_table_op, 3,
							     (uint64_t)cmd, uop, (uint64_t)count);
	}
	return 0;
}

long gnttab_unmap_grant_ref(unsigned int cmd, uint64_t uop, unsigned int count)
{
	return unmap_batches(cmd, uop, count, false);
}

long gnttab_unmap_and_replace(unsigned int cmd, uint64_t uop, unsigned int count)
{
	return unmap_batches(cmd, uop, count, true);
}

/*
 * For parahost's audit (audit.c): what device mappings hold, which no L1
 * entry does: per mapping a reference, and a writable type use unless it
 * is read-only. Returns how many were written (at most max).
 */
unsigned int gnttab_device_refs(struct mm_held *out, unsigned int max)
{
	unsigned int n = 0;

	for (grant_handle_t h = 0; h < maptrack_limit && n < max; h++) {
		const struct maptrack *m = mt(h);

		if (m->flags & GNTMAP_device_map)
			out[n++] = (struct mm_held){ active[m->ref].mfn,
				(m->flags & GNTMAP_readonly) ? MM_T_NONE : MM_T_WRITABLE };
	}
	return n;
}
