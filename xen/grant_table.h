/*
 * Grant tables, the granting side: what a frontend needs to share a page
 * with a backend (docs/pv-drivers.md, "Grants"). One API over both
 * layouts of the shared table (v1, and v2 with its status frames).
 *
 *     ref = gnttab_grant_access(backend, mfn, readonly);   <0: -XEN_ENOSPC...
 *     ... the backend maps or copies the page through ref ...
 *     gnttab_end_access(ref, pfn);	frees ref (and the frame pfn) now, or
 *					once the backend has let go of it
 *
 * Reference numbers 0-7 are the toolstack's (console, xenstore); the pool
 * starts at GNTTAB_FIRST_REF. Every call may be made from any thread.
 */
#ifndef XEN_GRANT_TABLE_H
#define XEN_GRANT_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/grant_table.h>

/*
 * Refs 8-31 are left to the raw-ABI tests (kernel/tests/hostile_grant.c,
 * xsa_gnttab.c), which write entries of the first frame directly.
 */
#define GNTTAB_FIRST_REF	32

/* Query the table's size, map its frames, fill the pool (boot). 0 or Xen's error. */
long gnttab_init(void);

/*
 * Let domid map or copy machine frame mfn (read-only, or not). The ref, or
 * -XEN_ENOSPC when every reference is in use and the table is at Xen's
 * maximum (one console line says so), -XEN_ERANGE for a frame v1 cannot
 * name (above 2^32).
 */
long gnttab_grant_access(domid_t domid, xen_pfn_t mfn, bool readonly);

/*
 * Take the grant back if no backend has it mapped (or is copying through
 * it) right now: 0, and ref is free again; -XEN_EBUSY: still in use, the
 * grant stands and the caller must not reuse the page.
 */
long gnttab_try_end_access(grant_ref_t ref);

/*
 * Take the grant back, whatever the backend is doing. True: done now, ref
 * is free and so is frame pfn (FRAME_NONE: no frame to free). False: the
 * backend still maps it; ref and pfn are deferred, and freed by a later
 * gnttab_reap() once the backend lets go (never before: a frame reused
 * while mapped would be read or written by the backend).
 */
bool gnttab_end_access(grant_ref_t ref, unsigned long pfn);

/* Retry the deferred ones (every grant and end does too). How many remain. */
unsigned int gnttab_reap(void);

/*
 * Copies in one hypercall (Xen preempts and continues long batches
 * itself). Each op's status is in ops[i].status. Returns the number of
 * ops that failed, or the hypercall's error (<0; statuses then unknown).
 */
long gnttab_copy(struct gnttab_copy *ops, unsigned int n);

/*
 * Use layout v (1 or 2). Refused by us with -XEN_EBUSY while any grant is
 * out or deferred (Xen clears every entry past the toolstack's eight on a
 * switch: it refuses only those mapped); otherwise Xen's answer: -XEN_EBUSY
 * while something is mapped, -XEN_ENOSYS if Xen offers only v1, -XEN_EINVAL.
 */
long gnttab_set_version(unsigned int v);
unsigned int gnttab_version(void);

/* The entry's flags as Xen sees them (v2: with the status frame's reading/writing). */
uint16_t gnttab_flags(grant_ref_t ref);
/* Whether ref is out (granted or deferred). */
bool gnttab_granted(grant_ref_t ref);

struct gnttab_stats {
	unsigned int frames, max_frames;	/* mapped now, Xen's maximum */
	unsigned int capacity;			/* refs the mapped frames hold */
	unsigned int free, granted, deferred;	/* granted counts deferred too */
};
void gnttab_stats(struct gnttab_stats *s);

/* Xen's name for a GNTST_* status ("bad grant reference", ...). */
const char *gnttab_status_name(int16_t status);

#endif
