/*
 * The grant table between its two halves: grant_table.c (the shared and
 * status frames, versions, the queries, swap, copy, cache_flush and the
 * dispatcher) and grant_map.c (active entries, handles, map and unmap).
 * Xen: common/grant_table.c.
 */
#ifndef HOST_PV_GRANT_H
#define HOST_PV_GRANT_H

#include "host/pv/pv.h"

#include <xen/grant_table.h>

#define MAX_GRANT_FRAMES	64	/* xl's max_grant_frames default */
#define MAX_GRANT_ENTRIES	(MAX_GRANT_FRAMES * (PAGE_SIZE / sizeof(grant_entry_v1_t)))

/* Shared entries (grant_table.c), as the guest wrote them; refs in range only. */
unsigned int gnttab_version(void);
unsigned int gnttab_nr_entries(void);	/* Xen's nr_grant_entries */
grant_entry_header_t *gnttab_header(grant_ref_t ref);
uint16_t *gnttab_status(grant_ref_t ref);	/* v1: the header's flags */
uint64_t gnttab_frame(grant_ref_t ref);	/* v1 frame, v2 full_page.frame */

/* grant_map.c */
bool gnttab_pinned(grant_ref_t ref);	/* any mapping of it (Xen: act->pin) */
long gnttab_map_grant_ref(unsigned int cmd, uint64_t uop, unsigned int count);
long gnttab_unmap_grant_ref(unsigned int cmd, uint64_t uop, unsigned int count);
long gnttab_unmap_and_replace(unsigned int cmd, uint64_t uop, unsigned int count);
int16_t gnttab_copy_acquire(grant_ref_t ref, bool ro, xen_pfn_t *mfn, uint16_t *off,
			    uint16_t *len);
void gnttab_copy_release(grant_ref_t ref, bool ro);
/* The backends (domain 0): a grant made out to domain 0; released with gnttab_copy_release. */
int16_t gnttab_backend_acquire(grant_ref_t ref, bool ro, xen_pfn_t *mfn);
unsigned int gnttab_device_refs(struct mm_held *out, unsigned int max);	/* audit.c */

#endif
