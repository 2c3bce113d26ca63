/*
 * HYPERVISOR_grant_table_op for a domU (Xen: common/grant_table.c), as
 * measured against Xen 4.17: the shared grant table (v1 or v2, up to 64
 * frames, xl's default), its frames handed to the guest as Xen shares them
 * (owned, writable, never a page table), the queries, and copies between
 * the domain's own frames, which take the references Xen's take (the
 * destination a writable type reference). Long batches continue as Xen's
 * do. Mapping grants needs another domain; parahost plays domain 0, which
 * grants nothing.
 */
#include "host/pv/pv.h"

#include <xen/grant_table.h>

#define MAX_GRANT_FRAMES	64
#define MAX_STATUS_FRAMES	8	/* 64 v2 frames * 256 entries * 2 bytes / 4 KiB */

static unsigned int version = 1;
static unsigned int nr_frames;
static uint64_t frames[MAX_GRANT_FRAMES];
static unsigned int nr_status;
static uint64_t status_frames[MAX_STATUS_FRAMES];

static bool self(domid_t d)
{
	return d == DOMID_SELF || d == dom.domid;
}

/* A page Xen shares read-write with the domain (share_xen_page_with_guest). */
static uint64_t shared_frame(void)
{
	uint64_t mfn = xen_frame_alloc(true, NULL);

	if (mm_assign_special(&dom.mm, mfn))
		panic("grant frame %#lx: mm_assign_special", (unsigned long)mfn);
	return mfn;
}

static unsigned int status_frames_for(unsigned int n)
{
	/* v2: 256 entries (16 bytes) per grant frame, a 2-byte status each. */
	return (n * (PAGE_SIZE / sizeof(grant_entry_v2_t)) * sizeof(grant_status_t) +
		PAGE_SIZE - 1) / PAGE_SIZE;
}

static bool grow(unsigned int n)
{
	if (n > MAX_GRANT_FRAMES)
		return false;
	while (nr_frames < n)
		frames[nr_frames++] = shared_frame();
	if (version == 2)
		while (nr_status < status_frames_for(nr_frames))
			status_frames[nr_status++] = shared_frame();
	return true;
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

/*
 * One side of a copy, by frame (Xen's gnttab_copy_claim_buf with
 * get_paged_frame): a frame the domain owns, and for the destination a
 * writable type reference, which a page table, a descriptor page or a
 * pinned frame cannot give.
 */
static int16_t claim(const struct gnttab_copy_ptr *ptr, bool by_gref, bool dest, uint8_t **p)
{
	if (by_gref)
		return ptr->domid == 0 ? GNTST_general_error : GNTST_bad_gntref;
	*p = gframe_get(&dom, ptr->u.gmfn, GF_READ);
	if (!*p)
		return GNTST_bad_page;
	if (dest) {
		gframe_put(&dom, ptr->u.gmfn, GF_READ);
		*p = gframe_get(&dom, ptr->u.gmfn, GF_WRITABLE);
		if (!*p)
			return GNTST_general_error;	/* "Could not get writable frame" */
	}
	return GNTST_okay;
}

/* Xen's gnttab_copy_one, in Xen's order: domains, source, destination, bounds. */
static int16_t do_copy(const struct gnttab_copy *c)
{
	bool src_gref = c->flags & GNTCOPY_source_gref, dst_gref = c->flags & GNTCOPY_dest_gref;
	uint8_t *src = NULL, *dst = NULL;
	int16_t rc;

	rc = copy_domain(c->source.domid, src_gref);
	if (rc == GNTST_okay)
		rc = copy_domain(c->dest.domid, dst_gref);
	if (rc == GNTST_okay)
		rc = claim(&c->source, src_gref, false, &src);
	if (rc == GNTST_okay) {
		rc = claim(&c->dest, dst_gref, true, &dst);
		if (rc != GNTST_okay)
			dst = NULL;
	}
	if (rc == GNTST_okay && ((uint32_t)c->source.offset + c->len > PAGE_SIZE ||
				 (uint32_t)c->dest.offset + c->len > PAGE_SIZE))
		rc = GNTST_bad_copy_arg;
	if (rc == GNTST_okay)
		memmove(dst + c->dest.offset, src + c->source.offset, c->len);
	if (dst)
		gframe_put(&dom, c->dest.u.gmfn, GF_WRITABLE);
	if (src)
		gframe_put(&dom, c->source.u.gmfn, GF_READ);
	return rc;
}

long do_grant_table_op(unsigned int cmd, uint64_t uop, unsigned int count)
{
	if ((int)count < 0)
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
		if (sv.version != 1 && sv.version != 2) {
			rc = -EINVAL;
		} else if (sv.version != version) {
			/* Nothing is granted to anyone here, so switching is always safe. */
			version = sv.version;
			grow(nr_frames ? nr_frames : 1);
		}
		sv.version = version;
		if (copy_to_guest(uop, &sv, sizeof(sv)))
			return -EFAULT;
		return rc;
	}
	case GNTTABOP_map_grant_ref:
		if (!guest_va_ok(uop, (size_t)count * sizeof(struct gnttab_map_grant_ref)))
			return -EFAULT;
		for (unsigned int i = 0; i < count; i++) {
			struct gnttab_map_grant_ref m;
			uint64_t va = uop + i * sizeof(m);

			if (i && hypercall_preempt_check())
				return hypercall_create_continuation(__HYPERVISOR_grant_table_op, 3,
								     (uint64_t)cmd, va,
								     (uint64_t)(count - i));
			if (copy_from_guest(&m, va, sizeof(m)))
				return -EFAULT;
			/* Domain 0 (us) grants nothing; no other domain exists. */
			m.status = m.dom == 0 ? GNTST_general_error : GNTST_bad_domain;
			if (copy_to_guest(va, &m, sizeof(m)))
				return -EFAULT;
		}
		return 0;
	case GNTTABOP_unmap_grant_ref:
		if (!guest_va_ok(uop, (size_t)count * sizeof(struct gnttab_unmap_grant_ref)))
			return -EFAULT;
		for (unsigned int i = 0; i < count; i++) {
			struct gnttab_unmap_grant_ref u;
			uint64_t va = uop + i * sizeof(u);

			if (i && hypercall_preempt_check())
				return hypercall_create_continuation(__HYPERVISOR_grant_table_op, 3,
								     (uint64_t)cmd, va,
								     (uint64_t)(count - i));
			if (copy_from_guest(&u, va, sizeof(u)))
				return -EFAULT;
			u.status = GNTST_bad_handle;
			if (copy_to_guest(va, &u, sizeof(u)))
				return -EFAULT;
		}
		return 0;
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
		/* dump_table is not in a release build either; the rest needs peers. */
		return -ENOSYS;
	}
}
