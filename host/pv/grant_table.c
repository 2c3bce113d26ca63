/*
 * HYPERVISOR_grant_table_op for a domU (Xen: common/grant_table.c), as
 * measured against Xen 4.17 with host/tools/oracle/zz_oracle3.c: the shared
 * grant table (v1 or v2, up to 64 frames, xl's default), its frames handed
 * to the guest as Xen shares them (owned, writable, never a page table),
 * the queries, and copies between the domain's own frames. Mapping grants
 * needs another domain; parahost plays domain 0, which grants nothing.
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

/* Copy between two frames of this domain (or by grant: none can be ours to use). */
static int16_t do_copy(const struct gnttab_copy *c)
{
	uint8_t *src, *dst;

	if (!self(c->source.domid) || !self(c->dest.domid))
		return c->source.domid == 0 || c->dest.domid == 0 ?
			GNTST_general_error : GNTST_bad_domain;
	if (c->flags & (GNTCOPY_source_gref | GNTCOPY_dest_gref))
		return GNTST_bad_gntref;
	if ((uint32_t)c->source.offset + c->len > PAGE_SIZE ||
	    (uint32_t)c->dest.offset + c->len > PAGE_SIZE)
		return GNTST_bad_copy_arg;
	if (!mfn_is_ram(c->source.u.gmfn) || !mfn_is_ram(c->dest.u.gmfn))
		return GNTST_bad_page;
	src = (uint8_t *)mfn_to_host(c->source.u.gmfn) + c->source.offset;
	dst = (uint8_t *)mfn_to_host(c->dest.u.gmfn) + c->dest.offset;
	memmove(dst, src, c->len);
	return GNTST_okay;
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
		for (unsigned int i = 0; i < count; i++) {
			struct gnttab_map_grant_ref m;
			uint64_t va = uop + i * sizeof(m);

			if (copy_from_guest(&m, va, sizeof(m)))
				return -EFAULT;
			/* Domain 0 (us) grants nothing; no other domain exists. */
			m.status = m.dom == 0 ? GNTST_general_error : GNTST_bad_domain;
			if (copy_to_guest(va, &m, sizeof(m)))
				return -EFAULT;
		}
		return 0;
	case GNTTABOP_unmap_grant_ref:
		for (unsigned int i = 0; i < count; i++) {
			struct gnttab_unmap_grant_ref u;
			uint64_t va = uop + i * sizeof(u);

			if (copy_from_guest(&u, va, sizeof(u)))
				return -EFAULT;
			u.status = GNTST_bad_handle;
			if (copy_to_guest(va, &u, sizeof(u)))
				return -EFAULT;
		}
		return 0;
	case GNTTABOP_copy:
		for (unsigned int i = 0; i < count; i++) {
			struct gnttab_copy c;
			uint64_t va = uop + i * sizeof(c);

			if (copy_from_guest(&c, va, sizeof(c)))
				return -EFAULT;
			c.status = do_copy(&c);
			if (copy_to_guest(va, &c, sizeof(c)))
				return -EFAULT;
		}
		return 0;
	default:
		/* dump_table is not in a release build either; the rest needs peers. */
		return -ENOSYS;
	}
}
