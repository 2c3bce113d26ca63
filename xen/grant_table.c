/*
 * Grant tables, the granting side (Xen: common/grant_table.c; host side:
 * host/pv/grant_table.c, grant_map.c). The shared table is frames Xen
 * owns and shares with us: setup_table names them, we map them writable
 * and write entries; Xen reads an entry when a backend maps or copies
 * through it, and sets GTF_reading/GTF_writing in it (v2: in the status
 * frames, which we only read) while it does.
 *
 * Ending a grant is the delicate part (XSA-396: Linux and Mini-OS
 * frontends reused pages a backend still had mapped). Xen only looks at
 * an entry's flags when a mapping starts, so clearing them stops new
 * mappings but not one that exists: the flags must be cleared with a
 * compare-and-swap that fails if Xen set reading/writing meanwhile, and
 * if they are set the reference and its page must wait (deferred) until
 * the backend unmaps. Linux retries its deferred list from a timer; we
 * retry it whenever a reference is asked for or given back, and on
 * gnttab_reap().
 */
#include <xen/errno.h>

#include "arch/x86/hypercall.h"
#include "kernel/kernel.h"
#include "lib/barrier.h"
#include "mm/frames.h"
#include "mm/kmalloc.h"
#include "mm/pagetable.h"
#include "mm/vmap.h"
#include "xen/evtchn.h"
#include "xen/grant_table.h"

#define MAX_FRAMES	64	/* xl's and Xen's default maximum */
#define V1_PER_FRAME	(PAGE_SIZE / sizeof(grant_entry_v1_t))
#define V2_PER_FRAME	(PAGE_SIZE / sizeof(grant_entry_v2_t))
#define MAX_REFS	(MAX_FRAMES * V1_PER_FRAME)
#define MAX_STATUS	(MAX_FRAMES * V2_PER_FRAME * sizeof(grant_status_t) / PAGE_SIZE)
#define NO_REF		0xffffu	/* end of the free list: MAX_REFS fits in 15 bits */

static unsigned int version = 1;
static unsigned int nr_frames, max_frames, nr_status;
static unsigned long shared_va, status_va;	/* MAX_FRAMES, MAX_STATUS pages reserved */

/* The pool: a LIFO list of free refs, so a ref just given back is the next one out. */
static uint16_t next_free[MAX_REFS];
static unsigned int free_head = NO_REF, nr_free, nr_granted, capacity;
static uint64_t out[MAX_REFS / 64];		/* granted or deferred */

/* Ended while still in use: the ref, and the frame to free with it. */
struct deferred {
	struct deferred *next;
	grant_ref_t ref;
	unsigned long pfn;
};
static struct deferred *deferred;
static unsigned int nr_deferred;

static volatile grant_entry_v1_t *v1(grant_ref_t ref)
{
	return (volatile grant_entry_v1_t *)shared_va + ref;
}

static volatile grant_entry_v2_t *v2(grant_ref_t ref)
{
	return (volatile grant_entry_v2_t *)shared_va + ref;
}

static volatile grant_status_t *status(grant_ref_t ref)
{
	return (volatile grant_status_t *)status_va + ref;
}

static unsigned int per_frame(void)
{
	return version == 1 ? V1_PER_FRAME : V2_PER_FRAME;
}

static bool is_out(grant_ref_t ref)
{
	return ref < MAX_REFS && (out[ref / 64] >> (ref % 64)) & 1;
}

static void push_free(grant_ref_t ref)
{
	next_free[ref] = (uint16_t)free_head;
	free_head = ref;
	nr_free++;
}

/* Refs [from, to) into the pool, lowest on top. */
static void add_refs(unsigned int from, unsigned int to)
{
	for (unsigned int r = to; r-- > from && r >= GNTTAB_FIRST_REF;)
		push_free(r);
}

/*
 * Map frames [nr_frames, n) of the shared table. setup_table names all n
 * (and grows Xen's table to n); the ones we have are mapped already.
 */
static long map_frames(unsigned int n)
{
	static xen_pfn_t list[MAX_FRAMES];
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = n };
	struct pt_batch b = { 0 };
	long rc;

	set_xen_guest_handle(st.frame_list, list);
	rc = hypercall_grant_table_op(GNTTABOP_setup_table, &st, 1);
	if (rc || st.status)
		return rc ? rc : -XEN_ENOMEM;
	for (unsigned int i = nr_frames; i < n; i++)
		if (pt_set(&b, shared_va + i * PAGE_SIZE, (list[i] << PAGE_SHIFT) | PTE_KERNEL_RW))
			panic("gnttab: no page table for grant frame %u", i);
	pt_commit(&b);
	nr_frames = n;
	return 0;
}

/* v2: the status frames the mapped shared frames need, read-only (Xen writes them). */
static long map_status(void)
{
	static uint64_t list[MAX_STATUS];
	unsigned int n = (nr_frames * V2_PER_FRAME * sizeof(grant_status_t) + PAGE_SIZE - 1) /
			 PAGE_SIZE;
	struct gnttab_get_status_frames gs = { .dom = DOMID_SELF, .nr_frames = n };
	struct pt_batch b = { 0 };
	long rc;

	if (n <= nr_status)
		return 0;
	set_xen_guest_handle(gs.frame_list, list);
	rc = hypercall_grant_table_op(GNTTABOP_get_status_frames, &gs, 1);
	if (rc || gs.status)
		return rc ? rc : -XEN_EINVAL;
	for (unsigned int i = nr_status; i < n; i++)
		if (pt_set(&b, status_va + i * PAGE_SIZE, (list[i] << PAGE_SHIFT) | PTE_KERNEL_RO))
			panic("gnttab: no page table for status frame %u", i);
	pt_commit(&b);
	nr_status = n;
	return 0;
}

/*
 * The status frames go before a switch back to v1: Xen refuses the
 * switch while any is mapped anywhere (XSA-255).
 */
static void unmap_status(void)
{
	unmap_range(status_va, nr_status);
	nr_status = 0;
}

/* One more frame's refs into the pool, if Xen lets the table grow. */
static bool grow(void)
{
	unsigned int old = capacity;

	if (nr_frames >= max_frames || map_frames(nr_frames + 1))
		return false;
	if (version == 2 && map_status()) {
		/* Xen grew the status frames with the table; not finding them is a bug. */
		panic("gnttab: no status frames for %u grant frames", nr_frames);
	}
	capacity = nr_frames * per_frame();
	add_refs(old, capacity);
	return true;
}

long gnttab_init(void)
{
	struct gnttab_query_size q = { .dom = DOMID_SELF };
	struct gnttab_get_version gv = { .dom = DOMID_SELF };
	long rc;

	rc = hypercall_grant_table_op(GNTTABOP_query_size, &q, 1);
	if (rc || q.status)
		return rc ? rc : -XEN_EINVAL;
	if (!hypercall_grant_table_op(GNTTABOP_get_version, &gv, 1))
		version = gv.version;
	max_frames = q.max_nr_frames < MAX_FRAMES ? q.max_nr_frames : MAX_FRAMES;
	shared_va = vmap_alloc(MAX_FRAMES);
	status_va = vmap_alloc(MAX_STATUS);
	if (!shared_va || !status_va)
		panic("gnttab: no virtual range for the grant table");
	rc = map_frames(q.nr_frames ? q.nr_frames : 1);
	if (rc)
		return rc;
	if (version == 2 && (rc = map_status()))
		return rc;
	capacity = nr_frames * per_frame();
	add_refs(0, capacity);
	return 0;
}

/*
 * The rule (Linux's gnttab_end_foreign_access_ref after XSA-396): true if
 * the entry no longer grants anything and nothing maps it.
 */
static bool end_ref(grant_ref_t ref)
{
	if (version == 1) {
		uint16_t flags = READ_ONCE(v1(ref)->flags);

		/* Xen sets reading/writing with its own cmpxchg on the same word. */
		do {
			if (flags & (GTF_reading | GTF_writing))
				return false;
		} while (!__atomic_compare_exchange_n(&v1(ref)->flags, &flags, 0, false,
						      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
		return true;
	}
	/*
	 * v2: the flags are ours alone; clear them, then look at Xen's status.
	 * The fence orders our store before that load (x86 may reorder them).
	 */
	WRITE_ONCE(v2(ref)->hdr.flags, 0);
	mb();
	return !(READ_ONCE(*status(ref)) & (GTF_reading | GTF_writing));
}

static void put_ref(grant_ref_t ref)
{
	out[ref / 64] &= ~(1ull << (ref % 64));
	nr_granted--;
	push_free(ref);
}

static unsigned int reap_locked(void)
{
	for (struct deferred **p = &deferred; *p;) {
		struct deferred *d = *p;

		if (!end_ref(d->ref)) {
			p = &d->next;
			continue;
		}
		*p = d->next;
		put_ref(d->ref);
		if (d->pfn != FRAME_NONE)
			frame_free(d->pfn);
		kfree(d);
		nr_deferred--;
	}
	return nr_deferred;
}

unsigned int gnttab_reap(void)
{
	unsigned int f = upcalls_off(), n = reap_locked();

	upcalls_restore(f);
	return n;
}

long gnttab_grant_access(domid_t domid, xen_pfn_t mfn, bool readonly)
{
	uint16_t flags = GTF_permit_access | (readonly ? GTF_readonly : 0);
	unsigned int f;
	grant_ref_t ref;

	if (version == 1 && (mfn >> 32))
		return -XEN_ERANGE;
	f = upcalls_off();
	if (deferred)
		reap_locked();
	if (free_head == NO_REF && !grow()) {
		upcalls_restore(f);
		kprintf("gnttab: out of grant references: %u granted (%u of them deferred), "
			"the table at Xen's maximum of %u frames\n",
			nr_granted, nr_deferred, max_frames);
		return -XEN_ENOSPC;
	}
	ref = free_head;
	free_head = next_free[ref];
	nr_free--;
	out[ref / 64] |= 1ull << (ref % 64);
	nr_granted++;
	/* Xen may read the entry as soon as flags say so: everything else first. */
	if (version == 1) {
		v1(ref)->domid = domid;
		v1(ref)->frame = (uint32_t)mfn;
		wmb();
		WRITE_ONCE(v1(ref)->flags, flags);
	} else {
		v2(ref)->hdr.domid = domid;
		v2(ref)->full_page.frame = mfn;
		wmb();
		WRITE_ONCE(v2(ref)->hdr.flags, flags);
	}
	upcalls_restore(f);
	return ref;
}

/* Ending a grant twice would free it twice: a driver's bug, said at once. */
static void check_out(grant_ref_t ref)
{
	if (!is_out(ref))
		panic("gnttab: ending grant %u, which is not granted", ref);
	for (const struct deferred *d = deferred; d; d = d->next)
		if (d->ref == ref)
			panic("gnttab: ending grant %u, which is already ended (deferred)", ref);
}

long gnttab_try_end_access(grant_ref_t ref)
{
	unsigned int f = upcalls_off();
	long rc = -XEN_EBUSY;

	check_out(ref);
	if (end_ref(ref)) {
		put_ref(ref);
		rc = 0;
	}
	if (deferred)
		reap_locked();
	upcalls_restore(f);
	return rc;
}

bool gnttab_end_access(grant_ref_t ref, unsigned long pfn)
{
	struct deferred *d;
	unsigned int f;

	if (!gnttab_try_end_access(ref)) {
		if (pfn != FRAME_NONE)
			frame_free(pfn);
		return true;
	}
	d = kmalloc(sizeof(*d));
	if (!d)
		panic("gnttab: no memory to defer grant %u (the page would be reused while mapped)",
		      ref);
	f = upcalls_off();
	*d = (struct deferred){ deferred, ref, pfn };
	deferred = d;
	nr_deferred++;
	upcalls_restore(f);
	return false;
}

long gnttab_copy(struct gnttab_copy *ops, unsigned int n)
{
	long rc = n ? hypercall_grant_table_op(GNTTABOP_copy, ops, n) : 0;
	long failed = 0;

	if (rc)
		return rc;
	for (unsigned int i = 0; i < n; i++)
		failed += ops[i].status != GNTST_okay;
	return failed;
}

long gnttab_set_version(unsigned int v)
{
	struct gnttab_set_version sv = { .version = v };
	unsigned int f = upcalls_off();
	long rc = 0;

	if (v == version)
		goto out;
	if (nr_granted) {
		rc = -XEN_EBUSY;
		goto out;
	}
	if (version == 2)
		unmap_status();
	rc = hypercall_grant_table_op(GNTTABOP_set_version, &sv, 1);
	if (!rc)
		version = sv.version;
	if (version == 2 && map_status())
		panic("gnttab: v2 without status frames");
	if (!rc) {
		/* Nothing is out: the pool again, for the new layout. */
		free_head = NO_REF;
		nr_free = 0;
		capacity = nr_frames * per_frame();
		add_refs(0, capacity);
	}
out:
	upcalls_restore(f);
	if (rc && rc != -XEN_EBUSY)
		kprintf("gnttab: Xen refused grant table version %u: %ld\n", v, rc);
	return rc;
}

unsigned int gnttab_version(void)
{
	return version;
}

uint16_t gnttab_flags(grant_ref_t ref)
{
	if (ref >= capacity)
		return 0;
	if (version == 1)
		return READ_ONCE(v1(ref)->flags);
	return READ_ONCE(v2(ref)->hdr.flags) | READ_ONCE(*status(ref));
}

bool gnttab_granted(grant_ref_t ref)
{
	return is_out(ref);
}

void gnttab_stats(struct gnttab_stats *s)
{
	unsigned int f = upcalls_off();

	*s = (struct gnttab_stats){ nr_frames, max_frames, capacity, nr_free, nr_granted,
				    nr_deferred };
	upcalls_restore(f);
}

const char *gnttab_status_name(int16_t st)
{
	static const char *const names[] = GNTTABOP_error_msgs;

	if (st > 0 || -st >= (int)(sizeof(names) / sizeof(names[0])))
		return "unknown status";
	return names[-st];
}
