/*
 * HYPERVISOR_grant_table_op for a domU (Xen: common/grant_table.c), as
 * measured against Xen 4.17: the shared grant table (v1 or v2, up to 64
 * frames, xl's default), its frames handed to the guest as Xen shares them
 * (owned, writable, never a page table), the queries, version switches,
 * swap_grant_ref, cache_flush, and copies between the domain's own frames
 * and grants, which take the references and pins Xen's take (the
 * destination a writable type reference). Mapping the domain's own grants is grant_map.c. Long batches
 * continue as Xen's do.
 */
#include "host/pv/grant.h"

#define MAX_STATUS_FRAMES	8	/* 64 v2 frames * 256 entries * 2 bytes / 4 KiB */
#define V1_PER_PAGE		(PAGE_SIZE / sizeof(grant_entry_v1_t))
#define V2_PER_PAGE		(PAGE_SIZE / sizeof(grant_entry_v2_t))
#define STATUS_PER_PAGE		(PAGE_SIZE / sizeof(grant_status_t))

/* The command's low 12 bits; the rest is cache_flush's continuation (Xen's). */
#define GNTTABOP_CMD_MASK	0xfffu

static unsigned int version = 1;
static unsigned int nr_frames;
static uint64_t frames[MAX_GRANT_FRAMES];
static void *frame_va[MAX_GRANT_FRAMES];
/*
 * Status frames stay parahost's while v1 is in use (nr_status 0), and go
 * back to the guest, cleared, on the next switch to v2; Xen frees them and
 * allocates new ones.
 */
static unsigned int nr_status, nr_status_alloc;
static uint64_t status_frames[MAX_STATUS_FRAMES];
static void *status_va[MAX_STATUS_FRAMES];

static bool self(domid_t d)
{
	return d == DOMID_SELF || d == dom.domid;
}

/* A page Xen shares read-write with the domain (share_xen_page_with_guest). */
static void share(uint64_t mfn)
{
	if (mm_assign_special(&dom.mm, mfn))
		panic("grant frame %#lx: mm_assign_special", (unsigned long)mfn);
}

static unsigned int status_frames_for(unsigned int n)
{
	/* v2: 256 entries (16 bytes) per grant frame, a 2-byte status each. */
	return (n * V2_PER_PAGE * sizeof(grant_status_t) + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* Xen's gnttab_populate_status_frames: up to the v2 need of the table. */
static void populate_status(void)
{
	while (nr_status < status_frames_for(nr_frames)) {
		if (nr_status == nr_status_alloc) {
			status_frames[nr_status] = xen_frame_alloc(true, &status_va[nr_status]);
			nr_status_alloc++;
		}
		memset(status_va[nr_status], 0, PAGE_SIZE);
		share(status_frames[nr_status++]);
	}
}

/*
 * Xen's gnttab_unpopulate_status_frames: each frame loses its allocation
 * reference; one still mapped anywhere (a reference beyond that) makes the
 * switch fail with -EBUSY and every frame stays the guest's (XSA-255).
 */
static long unpopulate_status(void)
{
	/* A frame the guest already gave back (decrease_reservation) is simply gone. */
	for (unsigned int i = 0; i < nr_status; i++)
		if (mm_owns(&dom.mm, status_frames[i]) &&
		    mm_page(&dom.mm, status_frames[i])->count != 1)
			return -EBUSY;
	for (unsigned int i = 0; i < nr_status; i++)
		if (mm_owns(&dom.mm, status_frames[i]) && mm_release(&dom.mm, status_frames[i]))
			panic("status frame %#lx: mm_release", (unsigned long)status_frames[i]);
	nr_status = 0;
	return 0;
}

static bool grow(unsigned int n)
{
	if (n > MAX_GRANT_FRAMES)
		return false;
	while (nr_frames < n) {
		frames[nr_frames] = xen_frame_alloc(true, &frame_va[nr_frames]);
		share(frames[nr_frames++]);
	}
	if (version == 2)
		populate_status();
	return true;
}

unsigned int gnttab_version(void)
{
	return version;
}

unsigned int gnttab_nr_entries(void)
{
	return nr_frames * (version == 1 ? V1_PER_PAGE : V2_PER_PAGE);
}

static grant_entry_v1_t *entry_v1(grant_ref_t ref)
{
	return (grant_entry_v1_t *)frame_va[ref / V1_PER_PAGE] + ref % V1_PER_PAGE;
}

static grant_entry_v2_t *entry_v2(grant_ref_t ref)
{
	return (grant_entry_v2_t *)frame_va[ref / V2_PER_PAGE] + ref % V2_PER_PAGE;
}

static grant_status_t *status_v2(grant_ref_t ref)
{
	return (grant_status_t *)status_va[ref / STATUS_PER_PAGE] + ref % STATUS_PER_PAGE;
}

grant_entry_header_t *gnttab_header(grant_ref_t ref)
{
	return version == 1 ? (grant_entry_header_t *)entry_v1(ref) : &entry_v2(ref)->hdr;
}

uint16_t *gnttab_status(grant_ref_t ref)
{
	return version == 1 ? &entry_v1(ref)->flags : status_v2(ref);
}

uint64_t gnttab_frame(grant_ref_t ref)
{
	return version == 1 ? entry_v1(ref)->frame : entry_v2(ref)->full_page.frame;
}

/*
 * Xen's gnttab_set_version: refused (-EBUSY) while any entry past the
 * toolstack's eight is mapped; v2 -> v1 refused (-ERANGE) if one of those
 * eight cannot be written as a v1 entry, and (-EBUSY) while a status frame
 * is still mapped. A switch clears every entry but those eight, which are
 * carried over in the new layout.
 */
static long set_version(unsigned int v)
{
	grant_entry_v1_t keep[GNTTAB_NR_RESERVED_ENTRIES];
	unsigned int i;
	long rc;

	if (v != 1 && v != 2)
		return -EINVAL;
	if (v == version)
		return 0;
	for (i = GNTTAB_NR_RESERVED_ENTRIES; i < gnttab_nr_entries(); i++)
		if (gnttab_pinned(i))
			return -EBUSY;
	if (version == 2)
		for (i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++) {
			uint16_t type = entry_v2(i)->hdr.flags & GTF_type_mask;

			if (type == GTF_transitive ||
			    (type == GTF_permit_access && (entry_v2(i)->full_page.frame >> 32)))
				return -ERANGE;
		}
	for (i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++) {
		if (version == 1) {
			keep[i] = *entry_v1(i);
		} else if ((entry_v2(i)->hdr.flags & GTF_type_mask) == GTF_permit_access) {
			keep[i].flags = entry_v2(i)->hdr.flags | *status_v2(i);
			keep[i].domid = entry_v2(i)->hdr.domid;
			keep[i].frame = (uint32_t)entry_v2(i)->full_page.frame;
		} else {
			keep[i] = (grant_entry_v1_t){ 0 };
		}
	}
	if (version == 1) {
		version = 2;
		populate_status();
	} else {
		rc = unpopulate_status();
		if (rc)
			return rc;
		version = 1;
	}
	for (i = 0; i < nr_frames; i++)
		memset(frame_va[i], 0, PAGE_SIZE);
	for (i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++) {
		if (version == 1) {
			*entry_v1(i) = keep[i];
			continue;
		}
		*status_v2(i) = keep[i].flags & (GTF_reading | GTF_writing);
		entry_v2(i)->hdr.flags = keep[i].flags & ~(GTF_reading | GTF_writing);
		entry_v2(i)->hdr.domid = keep[i].domid;
		entry_v2(i)->full_page.frame = keep[i].frame;
	}
	return 0;
}

/* Xen's swap_grant_ref: two idle entries (and their v2 status) trade places. */
static int16_t swap_grant_ref(grant_ref_t a, grant_ref_t b)
{
	if (a >= gnttab_nr_entries() || b >= gnttab_nr_entries())
		return GNTST_bad_gntref;
	if (a == b)
		return GNTST_okay;
	if (gnttab_pinned(a) || gnttab_pinned(b))
		return GNTST_eagain;
	if (version == 1) {
		grant_entry_v1_t t = *entry_v1(a);

		*entry_v1(a) = *entry_v1(b);
		*entry_v1(b) = t;
	} else {
		grant_entry_v2_t t = *entry_v2(a);
		grant_status_t st = *status_v2(a);

		*entry_v2(a) = *entry_v2(b);
		*status_v2(a) = *status_v2(b);
		*entry_v2(b) = t;
		*status_v2(b) = st;
	}
	return GNTST_okay;
}

/*
 * Xen's cache_flush on x86, for one element: the range must lie in one
 * page and op be CLEAN and/or INVAL (else -EINVAL); nothing to do is 0, or
 * -EILSEQ for a continuation that should not be one; the frame must exist
 * (-EINVAL) and belong to a domain with a grant table (-EPERM: DOMID_IO's
 * first megabyte, Xen's frames, free RAM: no frame of another domain is
 * ours to name here; XSA-232). Our frames are written back and
 * invalidated, holding a reference meanwhile (x86 cannot invalidate
 * without writing back: INVAL alone is -EOPNOTSUPP).
 */
static long cache_flush(const struct gnttab_cache_flush *f, unsigned int cur)
{
	uint64_t mfn = f->a.dev_bus_addr >> PAGE_SHIFT;
	long rc = -EOPNOTSUPP;
	volatile uint8_t *p;

	if (f->offset >= PAGE_SIZE || f->length > PAGE_SIZE ||
	    (uint32_t)f->offset + f->length > PAGE_SIZE ||
	    (f->op & ~(GNTTAB_CACHE_INVAL | GNTTAB_CACHE_CLEAN)))
		return -EINVAL;
	if (!f->length || !f->op)
		return cur ? -EILSEQ : 0;
	if (mfn >= dom.max_mfn)
		return -EINVAL;		/* !mfn_valid */
	p = gframe_get(&dom, mfn, GF_READ);
	if (!p)
		return -EPERM;
	if (f->op & GNTTAB_CACHE_CLEAN) {
		/* Xen flushes the range's power-of-two block; the page covers it. */
		for (unsigned int i = 0; i < PAGE_SIZE; i += 64)
			asm volatile("clflush %0" :: "m"(p[i]) : "memory");
		asm volatile("mfence" ::: "memory");
		rc = 0;
	}
	gframe_put(&dom, mfn, GF_READ);
	return rc;
}

/*
 * Xen's gnttab_cache_flush and its continuation: opaque (the command's
 * bits above 12) is the grant ref a scan of another domain's table had
 * reached. Any error leaves it as it came, and Xen then continues the
 * hypercall with it all the same.
 */
static long gnttab_cache_flush(unsigned int cmd, uint64_t uop, unsigned int count,
			       unsigned int *opaque)
{
	for (unsigned int i = 0; i < count; i++, uop += sizeof(struct gnttab_cache_flush)) {
		struct gnttab_cache_flush f;
		long rc;

		if (i && hypercall_preempt_check())
			return hypercall_create_continuation(__HYPERVISOR_grant_table_op, 3,
							     (uint64_t)cmd, uop,
							     (uint64_t)(count - i));
		if (copy_from_guest(&f, uop, sizeof(f)))
			return -EFAULT;
		rc = cache_flush(&f, *opaque);
		if (rc < 0)
			return rc;
		*opaque = 0;
	}
	*opaque = 0;
	return 0;
}

/*
 * Which domains a copy may name (Xen's gnttab_copy_lock_domain): by frame,
 * only DOMID_SELF; by grant reference, any domain there is (us, and domain
 * 0, which parahost plays and which grants nothing).
 */
static int16_t copy_domain(domid_t d, bool by_gref)
{
	if (d != DOMID_SELF && !by_gref)
		return GNTST_permission_denied;
	if (d != DOMID_SELF && d != dom.domid && d != 0)
		return GNTST_bad_domain;
	return GNTST_okay;
}

/* One side of a copy, claimed: the frame, the part of it we may touch, what we hold. */
struct copy_buf {
	uint8_t *p;
	uint64_t mfn;
	uint16_t start, length;
	bool have_grant, have_type;
	grant_ref_t ref;
};

static void release(struct copy_buf *b, bool dest)
{
	if (b->p)
		gframe_put(&dom, b->mfn, b->have_type ? GF_WRITABLE : GF_READ);
	if (b->have_grant)
		gnttab_copy_release(b->ref, !dest);
	*b = (struct copy_buf){ 0 };
}

/*
 * One side of a copy (Xen's gnttab_copy_claim_buf): by frame, a frame the
 * domain owns (get_paged_frame); by grant reference, one of our own grants
 * made out to us (acquire_grant_for_copy; domain 0, which parahost plays,
 * grants nothing). The destination then needs a writable type reference,
 * which a page table, a descriptor page or a pinned frame cannot give.
 */
static int16_t claim(const struct gnttab_copy_ptr *ptr, bool by_gref, bool dest,
		     struct copy_buf *b)
{
	int16_t rc;

	*b = (struct copy_buf){ .mfn = ptr->u.gmfn, .length = PAGE_SIZE };
	if (by_gref) {
		bool pinned;

		if (!self(ptr->domid))
			return GNTST_general_error;
		pinned = ptr->u.ref < gnttab_nr_entries() && gnttab_pinned(ptr->u.ref);
		rc = gnttab_copy_acquire(ptr->u.ref, !dest, &b->mfn, &b->start, &b->length);
		if (rc != GNTST_okay)
			return rc;
		b->have_grant = true;
		b->ref = ptr->u.ref;
		b->p = gframe_get(&dom, b->mfn, GF_READ);
		if (!b->p) {
			release(b, dest);
			/* A pinned grant's frame not ours any more: Xen's owner check. */
			return pinned ? GNTST_bad_domain : GNTST_bad_page;
		}
	} else {
		b->p = gframe_get(&dom, b->mfn, GF_READ);
		if (!b->p)
			return GNTST_bad_page;
	}
	if (dest) {
		gframe_put(&dom, b->mfn, GF_READ);
		b->p = gframe_get(&dom, b->mfn, GF_WRITABLE);
		if (!b->p) {
			release(b, dest);
			return GNTST_general_error;	/* "Could not get writable frame" */
		}
		b->have_type = true;
	}
	return GNTST_okay;
}

/*
 * Xen's gnttab_copy_one, in Xen's order: domains, source, destination,
 * the page's bounds, then the grant's (a v2 sub-page grant's part).
 */
static int16_t do_copy(const struct gnttab_copy *c)
{
	bool src_gref = c->flags & GNTCOPY_source_gref, dst_gref = c->flags & GNTCOPY_dest_gref;
	struct copy_buf src = { 0 }, dst = { 0 };
	int16_t rc;

	rc = copy_domain(c->source.domid, src_gref);
	if (rc == GNTST_okay)
		rc = copy_domain(c->dest.domid, dst_gref);
	if (rc == GNTST_okay)
		rc = claim(&c->source, src_gref, false, &src);
	if (rc == GNTST_okay)
		rc = claim(&c->dest, dst_gref, true, &dst);
	if (rc == GNTST_okay && ((uint32_t)c->source.offset + c->len > PAGE_SIZE ||
				 (uint32_t)c->dest.offset + c->len > PAGE_SIZE))
		rc = GNTST_bad_copy_arg;
	if (rc == GNTST_okay &&
	    (c->source.offset < src.start ||
	     (uint32_t)c->source.offset + c->len > (uint32_t)src.start + src.length ||
	     c->dest.offset < dst.start ||
	     (uint32_t)c->dest.offset + c->len > (uint32_t)dst.start + dst.length))
		rc = GNTST_general_error;	/* "copy source/dest out of bounds" */
	if (rc == GNTST_okay)
		memmove(dst.p + c->dest.offset, src.p + c->source.offset, c->len);
	release(&dst, true);
	release(&src, false);
	return rc;
}

long do_grant_table_op(unsigned int cmd, uint64_t uop, unsigned int count)
{
	unsigned int opaque = cmd & ~GNTTABOP_CMD_MASK;

	if ((int)count < 0)
		return -EINVAL;
	cmd &= GNTTABOP_CMD_MASK;
	if (cmd != GNTTABOP_cache_flush && opaque)
		return -EINVAL;

	switch (cmd) {
	case GNTTABOP_query_size: {
		struct gnttab_query_size q;

		if (count != 1)
			return -EINVAL;
		if (copy_from_guest(&q, uop, sizeof(q)))
			return -EFAULT;
		if (!self(q.dom)) {
			q.status = GNTST_bad_domain;
		} else {
			grow(1);
			q.nr_frames = nr_frames;
			q.max_nr_frames = MAX_GRANT_FRAMES;
			q.status = GNTST_okay;
		}
		return copy_to_guest(uop, &q, sizeof(q)) ? -EFAULT : 0;
	}
	case GNTTABOP_setup_table: {
		struct gnttab_setup_table st;

		if (count != 1)
			return -EINVAL;
		if (copy_from_guest(&st, uop, sizeof(st)))
			return -EFAULT;
		if (!self(st.dom)) {
			st.status = GNTST_bad_domain;
		} else if (!grow(st.nr_frames)) {
			st.status = GNTST_general_error;
		} else {
			for (unsigned int i = 0; i < st.nr_frames; i++) {
				xen_pfn_t f = frames[i];

				if (copy_to_guest((uint64_t)(uintptr_t)st.frame_list.p + i * sizeof(f),
						  &f, sizeof(f)))
					return -EFAULT;
			}
			st.status = GNTST_okay;
		}
		return copy_to_guest(uop, &st, sizeof(st)) ? -EFAULT : 0;
	}
	case GNTTABOP_get_status_frames: {
		struct gnttab_get_status_frames gs;

		if (count != 1)
			return -EINVAL;
		if (copy_from_guest(&gs, uop, sizeof(gs)))
			return -EFAULT;
		if (!self(gs.dom)) {
			gs.status = GNTST_bad_domain;
		} else if (version != 2 || gs.nr_frames > nr_status) {
			gs.status = GNTST_general_error;
		} else {
			for (unsigned int i = 0; i < gs.nr_frames; i++) {
				uint64_t f = status_frames[i];

				if (copy_to_guest((uint64_t)(uintptr_t)gs.frame_list.p + i * sizeof(f),
						  &f, sizeof(f)))
					return -EFAULT;
			}
			gs.status = GNTST_okay;
		}
		return copy_to_guest(uop, &gs, sizeof(gs)) ? -EFAULT : 0;
	}
	case GNTTABOP_get_version: {
		struct gnttab_get_version gv;

		if (count != 1)
			return -EINVAL;
		if (copy_from_guest(&gv, uop, sizeof(gv)))
			return -EFAULT;
		if (!self(gv.dom))
			return -ESRCH;
		gv.version = version;
		return copy_to_guest(uop, &gv, sizeof(gv)) ? -EFAULT : 0;
	}
	case GNTTABOP_set_version: {
		struct gnttab_set_version sv;
		long rc = 0;

		if (count != 1)
			return -EINVAL;
		if (copy_from_guest(&sv, uop, sizeof(sv)))
			return -EFAULT;
		grow(nr_frames ? nr_frames : 1);
		rc = set_version(sv.version);
		sv.version = version;
		if (copy_to_guest(uop, &sv, sizeof(sv)))
			return -EFAULT;
		return rc;
	}
	case GNTTABOP_map_grant_ref:
		return gnttab_map_grant_ref(cmd, uop, count);
	case GNTTABOP_unmap_grant_ref:
		return gnttab_unmap_grant_ref(cmd, uop, count);
	case GNTTABOP_unmap_and_replace:
		return gnttab_unmap_and_replace(cmd, uop, count);
	case GNTTABOP_swap_grant_ref:
		if (!guest_va_ok(uop, (size_t)count * sizeof(struct gnttab_swap_grant_ref)))
			return -EFAULT;
		for (unsigned int i = 0; i < count; i++, uop += sizeof(struct gnttab_swap_grant_ref)) {
			struct gnttab_swap_grant_ref sw;

			if (i && hypercall_preempt_check())
				return hypercall_create_continuation(__HYPERVISOR_grant_table_op, 3,
								     (uint64_t)cmd, uop,
								     (uint64_t)(count - i));
			if (copy_from_guest(&sw, uop, sizeof(sw)))
				return -EFAULT;
			sw.status = swap_grant_ref(sw.ref_a, sw.ref_b);
			if (copy_to_guest(uop + offsetof(struct gnttab_swap_grant_ref, status),
					  &sw.status, sizeof(sw.status)))
				return -EFAULT;
		}
		return 0;
	case GNTTABOP_cache_flush: {
		long rc;

		if (!guest_va_ok(uop, (size_t)count * sizeof(struct gnttab_cache_flush)))
			return -EFAULT;
		rc = gnttab_cache_flush(cmd, uop, count, &opaque);
		if (opaque)
			/* Xen: continue at the same element, the error counted as done. */
			return hypercall_create_continuation(__HYPERVISOR_grant_table_op, 3,
							     (uint64_t)(cmd | opaque), uop,
							     (uint64_t)(count - (unsigned int)rc));
		return rc;
	}
	case GNTTABOP_copy:
		if (!guest_va_ok(uop, (size_t)count * sizeof(struct gnttab_copy)))
			return -EFAULT;
		for (unsigned int i = 0; i < count; i++) {
			struct gnttab_copy c;
			uint64_t va = uop + i * sizeof(c);

			if (i && hypercall_preempt_check())
				return hypercall_create_continuation(__HYPERVISOR_grant_table_op, 3,
								     (uint64_t)cmd, va,
								     (uint64_t)(count - i));
			if (copy_from_guest(&c, va, sizeof(c)))
				return -EFAULT;
			c.status = do_copy(&c);
			if (copy_to_guest(va + offsetof(struct gnttab_copy, status), &c.status,
					  sizeof(c.status)))
				return -EFAULT;
		}
		return 0;
	default:
		/* dump_table is not in a release build either; transfer needs a peer. */
		return -ENOSYS;
	}
}
