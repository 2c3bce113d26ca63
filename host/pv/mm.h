/*
 * The PV MMU of one 64-bit PV domain: Xen's page-type system, and the
 * mmu_update / mmuext_op / update_va_mapping hypercalls on top of it, with
 * Xen 4.17's checks, error codes and partial-completion rules. The facts come
 * from Xen's xen/arch/x86/mm.c and pv/ (see docs/pv-mmu.md); the code is ours.
 *
 * Pure C, no libc, no globals: every piece of state is in struct mm_domain
 * and struct mm_vcpu, and everything outside (guest memory, the Xen slots
 * of an L4, TLBs, the M2P) is reached through struct mm_host_ops, so the
 * same code runs in parahost, in the CUnit tests and in the fuzzer.
 *
 * Model, per machine frame of the domain (struct mm_page):
 *   count       general references. The domain's allocation holds one;
 *               each use holds one more: an L1 entry mapping it, an entry
 *               of a validated L2/L3/L4 pointing at it, a pin, a base
 *               pointer, a hypercall working on it.
 *   type        NONE, L1..L4, SEGDESC or WRITABLE, with type_count uses.
 *               The type changes only while type_count is 0; then the
 *               frame is (re)validated for its new type: a page table's
 *               entries are checked and take references on what they
 *               point at, recursively typing lower tables; when the count
 *               falls back to 0 the table is devalidated and they are
 *               released. A writable mapping needs type WRITABLE, so a
 *               frame in use as a page table is never writable anywhere.
 *   pinned      MMUEXT_PIN_Ln_TABLE keeps one type use (and one count)
 *               until MMUEXT_UNPIN_TABLE; not nested.
 *   linear      Xen's linear_pt_count: > 0 = this table holds that many
 *               read-only entries pointing at another table of its own
 *               level; < 0 = that many such entries point at this table.
 *
 * What an entry may point at: the domain's own frames, plus frames the
 * host classifies with ops->foreign() (mappable read-only, permitted I/O).
 * Everything else is refused with Xen's error. 64-bit PV adjustments are
 * applied as Xen does (_PAGE_USER forced at every level, GUEST_KERNEL and
 * GLOBAL bits in L1s, ACCESSED in L4s), the disallowed bits are refused,
 * L4 slots 256..271 (HYPERVISOR_VIRT_START..END) belong to the host.
 *
 * Not modelled (documented in docs/pv-mmu.md): other domains' frames
 * (foreigndom may name DOMID_IO or DOMID_XEN), page cache-attribute tracking, L1TF shadowing, preemption
 * inside one validation (a single operation always runs to completion;
 * preemption happens between batch elements, as Xen's continuations).
 *
 * Not thread-safe: the caller serialises all calls for one domain.
 */
#ifndef HOST_PV_MM_H
#define HOST_PV_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/xen.h>

/* ---- Architectural PTE bits (ours to define, not Xen ABI) -------------- */

#define MM_PTE_P		(1ull << 0)
#define MM_PTE_RW		(1ull << 1)
#define MM_PTE_US		(1ull << 2)
#define MM_PTE_PWT		(1ull << 3)
#define MM_PTE_PCD		(1ull << 4)
#define MM_PTE_A		(1ull << 5)
#define MM_PTE_D		(1ull << 6)
#define MM_PTE_PSE		(1ull << 7)	/* PAT in an L1 entry */
#define MM_PTE_PAT		MM_PTE_PSE
#define MM_PTE_G		(1ull << 8)
#define MM_PTE_AVAIL		(7ull << 9)
#define MM_PTE_ADDR		0x000ffffffffff000ull	/* bits 12..51 */
#define MM_PTE_AVAIL_HIGH	(0x7ffull << 52)	/* bits 52..62 */
#define MM_PTE_GUEST_KERNEL	(1ull << 52)	/* Xen: kernel page, 64-bit PV */
/*
 * Xen's grant-mapping marker exists in debug builds only: a release build
 * (Debian's Xen 4.17, the oracle) defines _PAGE_GNTTAB as 0, so grant
 * entries carry no marker and a guest may use bit 62 like the other
 * available bits. parahost does as the release build.
 */
#define MM_PTE_GNTTAB		(1ull << 62)
#define MM_PTE_NX		(1ull << 63)

/*
 * Xen's internal ERESTART (85; <xen/errno.h> hides it from guests): never
 * returned to the guest, it asks the dispatcher for a continuation.
 */
#define MM_ERESTART		85

#define MM_PTE_MFN(e)		(((e) & MM_PTE_ADDR) >> 12)
#define MM_ENTRIES		512
#define MM_INVALID_MFN		0xffffffffffull	/* Xen: PADDR_MASK >> 12 */

/* The L4 slots Xen keeps for itself: HYPERVISOR_VIRT_START..END. */
#define MM_XEN_SLOT_FIRST	((unsigned int)((HYPERVISOR_VIRT_START >> 39) & 511))
#define MM_XEN_SLOT_LAST	((unsigned int)(((HYPERVISOR_VIRT_END - 1) >> 39) & 511))

/* ---- Frames -------------------------------------------------------------- */

enum mm_type {
	MM_T_NONE = 0,
	MM_T_L1, MM_T_L2, MM_T_L3, MM_T_L4,	/* == level */
	MM_T_SEGDESC,
	MM_T_WRITABLE,
};

/* struct mm_page.flags */
#define MM_PG_OWNED	0x01	/* belongs to the domain */
#define MM_PG_ALLOC	0x02	/* the allocation reference is held */
#define MM_PG_VALIDATED	0x04	/* contents checked for the current type */
#define MM_PG_PINNED	0x08
#define MM_PG_SPECIAL	0x10	/* host page given to the domain (shared_info):
				 * keeps one WRITABLE type use for good */

struct mm_page {
	uint32_t count;
	uint32_t type_count;
	uint8_t type;			/* enum mm_type */
	uint8_t flags;			/* MM_PG_* */
	int16_t linear;
	uint32_t stamp;			/* TLB clock when type_count hit 0 */
};

/* ---- What the host provides ------------------------------------------------ */

/* How the host classifies an mfn that the domain does not own. */
enum mm_foreign {
	MM_FOREIGN_RAM = 0,	/* another domain's or free RAM: Xen -EBUSY */
	MM_FOREIGN_IO,		/* non-RAM the domain may not map: -EPERM */
	MM_FOREIGN_IO_OK,	/* I/O the domain may map, no refs; taken as
				 * MM_FOREIGN_IO unless d->io_caps */
	MM_FOREIGN_RO,		/* host frame mappable read-only (M2P...):
				 * read-only L1 entries only; RW is -EBUSY */
};

/*
 * Whose frames a new L1 entry may map (Xen's pg_owner, the low half of
 * foreigndom). Another real domain is never reached: only a privileged
 * domain may name one, and there is no other domain when it is.
 */
enum mm_owner {
	MM_OWNER_SELF = 0,	/* DOMID_SELF */
	MM_OWNER_IO,		/* DOMID_IO: I/O as the caller, no RAM */
	MM_OWNER_XEN,		/* DOMID_XEN: the host's frames (privileged only) */
};

/* TLB and CPU-state effects, for ops->tlb(). */
enum mm_tlb_op {
	MM_TLB_FLUSH_LOCAL,	/* this vCPU, all non-global entries */
	MM_TLB_FLUSH_ALL,	/* every vCPU of the domain; v may be NULL */
	MM_TLB_FLUSH_MULTI,	/* vCPUs in the bitmap at guest VA mask */
	MM_TLB_INVLPG_LOCAL,	/* one VA, this vCPU */
	MM_TLB_INVLPG_ALL,	/* one VA, every vCPU */
	MM_TLB_INVLPG_MULTI,	/* one VA, vCPUs in the bitmap at mask */
	MM_TLB_MASK_ONLY,	/* read the bitmap at mask, flush nothing */
	MM_TLB_NEW_BASE,	/* v->guest_table changed (or was re-set):
				 * load it into CR3, as Xen's write_ptbase */
	MM_TLB_NEW_LDT,		/* v->ldt_base/ldt_ents changed */
	MM_TLB_WBINVD,		/* MMUEXT_FLUSH_CACHE */
	MM_TLB_WBINVD_GLOBAL,	/* MMUEXT_FLUSH_CACHE_GLOBAL */
};

/* For ops->xen_l4(). */
enum mm_l4_event {
	MM_L4_VALIDATED,	/* a new L4 table: fill all of slots
				 * MM_XEN_SLOT_FIRST..LAST (Xen: init_xen_l4_slots) */
	MM_L4_KERNEL_BASE,	/* became a kernel base (Xen fills the RO M2P
				 * slot unless m2p_strict) */
	MM_L4_USER_BASE,	/* became a user base (Xen clears the RO M2P
				 * slot if m2p_strict) */
};

struct mm_vcpu;

struct mm_host_ops {
	/*
	 * Host pointer to the 4 KiB frame mfn. Called only for frames the
	 * domain owns; must not return NULL for them.
	 */
	void *(*frame)(void *ctx, xen_pfn_t mfn);
	/* Classify an mfn the domain does not own. NULL: all MM_FOREIGN_RAM. */
	enum mm_foreign (*foreign)(void *ctx, xen_pfn_t mfn);
	/* Write the host's L4 slots; entries there are never checked. May be NULL. */
	void (*xen_l4)(void *ctx, uint64_t *l4, xen_pfn_t l4_mfn,
		       enum mm_l4_event ev);
	/*
	 * Carry out a TLB/CPU effect. v is the calling vCPU (NULL for
	 * MM_TLB_FLUSH_ALL issued by a type change). For the *_MULTI and
	 * MASK_ONLY ops, mask is the guest VA of a vCPU bitmap (unsigned
	 * longs) to read; return nonzero if it cannot be read. Other ops
	 * return 0. May be NULL (nothing to do).
	 */
	int (*tlb)(void *ctx, struct mm_vcpu *v, enum mm_tlb_op op,
		   uint64_t va, uint64_t mask);
	/* MMU_MACHPHYS_UPDATE: M2P[mfn] = pfn. May be NULL. */
	void (*set_m2p)(void *ctx, xen_pfn_t mfn, uint64_t pfn);
	/* Between batch elements: true to stop with -ERESTART. May be NULL. */
	bool (*preempt)(void *ctx);
	/*
	 * Xen's check_descriptor for a SEGDESC frame; NULL accepts all. Like
	 * Xen's it may fix descriptors up in place (DPL, call gates).
	 */
	bool (*segdesc_ok)(void *ctx, uint64_t *descs);
	/*
	 * Whether a domain other than this one exists with that id (for
	 * foreigndom; DOMID_* values never reach it). NULL: none does.
	 */
	bool (*domain_exists)(void *ctx, domid_t domid);
};

/* ---- The domain and its vCPUs ---------------------------------------------- */

struct mm_domain {
	/* Set by the host, then mm_domain_init(). */
	struct mm_page *pages;		/* frame table: nr_frames entries ... */
	xen_pfn_t mfn_base;		/* ... for mfns [mfn_base, +nr_frames) */
	uint64_t nr_frames;
	const struct mm_host_ops *ops;
	void *ctx;
	uint16_t domid;
	bool io_caps;		/* has iomem/ioport caps or devices: L1 cache
				 * attributes allowed (Xen l1_disallow_mask) */
	bool cache_flush;	/* Xen cache_flush_permitted() */
	bool m2p_strict;	/* VMASST_TYPE_m2p_strict */
	bool privileged;	/* the control domain: XSM's dummy policy lets
				 * it name any page owner */

	/* Private. */
	uint32_t tlbclock;	/* bumped by each domain-wide flush */
	uint64_t nr_owned;
	uint64_t nr_special;
};

struct mm_vcpu {
	unsigned int id;
	xen_pfn_t guest_table;		/* kernel L4 mfn; 0 = none */
	xen_pfn_t guest_table_user;	/* user L4 mfn; 0 = none */
	uint64_t ldt_base;
	unsigned int ldt_ents;
};

/* Clear the frame table (pages[0..nr_frames)); nothing is owned yet. */
void mm_domain_init(struct mm_domain *d);

/*
 * Give frame mfn (inside the frame table) to the domain: count 1 (the
 * allocation), type NONE. -XEN_EINVAL if outside or already owned.
 */
int mm_assign(struct mm_domain *d, xen_pfn_t mfn);

/*
 * Give a host page to the domain as Xen's share_xen_page_with_guest(SHARE_rw)
 * does for shared_info: owned, count 1, type WRITABLE with one use for good:
 * the guest may map it read-write, never use it as a page table.
 */
int mm_assign_special(struct mm_domain *d, xen_pfn_t mfn);

/*
 * Drop the allocation reference (the guest gave the frame back). The frame
 * stays the domain's until its last reference goes. -XEN_EINVAL if not
 * owned or already released; -XEN_EBUSY if pinned (unpin it first).
 */
int mm_release(struct mm_domain *d, xen_pfn_t mfn);

/*
 * Xen's guest_remove_page for a PV domain (XENMEM_decrease_reservation):
 * -ENXIO unless the frame is the domain's; else its allocation reference
 * goes if still held, and 0. Pinned or mapped, it lives on until its last
 * reference goes (Xen no longer unpins it: XSA-252).
 */
int mm_remove_page(struct mm_domain *d, xen_pfn_t mfn);

/* Frames the domain owns, less the host's shared ones (Xen's tot_pages). */
uint64_t mm_tot_pages(const struct mm_domain *d);

/* The frame's bookkeeping, or NULL if mfn is outside the frame table. */
const struct mm_page *mm_page(const struct mm_domain *d, xen_pfn_t mfn);
bool mm_owns(const struct mm_domain *d, xen_pfn_t mfn);

/*
 * Start-of-day: what the toolstack does after the domain builder, as
 * libxc does (MMUEXT_PIN_L4_TABLE, then the vCPU's CR3 takes a type
 * reference): validate the builder's tables from l4_mfn down, pin the L4
 * and make it v's kernel base. 0 or Xen's error.
 */
int mm_boot(struct mm_domain *d, struct mm_vcpu *v, xen_pfn_t l4_mfn);

/*
 * Take down the page tables: drop every vCPU's base pointers, unpin every
 * pinned frame. Afterwards every owned frame has count 1 (allocation) and
 * type count 0 (special frames: 1), which mm_audit confirms. Idempotent.
 */
void mm_teardown(struct mm_domain *d, struct mm_vcpu *vcpus,
		 unsigned int nr_vcpus);

/* Take/drop a general reference on an owned frame (Xen's get_page): the
 * frame stays the domain's while it is held. 0 or -XEN_EINVAL. */
int mm_get_page(struct mm_domain *d, xen_pfn_t mfn);
void mm_put_page(struct mm_domain *d, xen_pfn_t mfn);

/* Take/drop a type use on an owned frame (e.g. MM_T_SEGDESC for a GDT frame):
 * with a general reference, as Xen's get_page_and_type. 0 or Xen's error. */
int mm_get_page_and_type(struct mm_domain *d, xen_pfn_t mfn, enum mm_type t);
void mm_put_page_and_type(struct mm_domain *d, xen_pfn_t mfn);
/* The type use alone, for a caller holding a general reference on the frame
 * (Xen's get_page_type / put_page_type). 0 or Xen's error. */
int mm_get_type(struct mm_domain *d, xen_pfn_t mfn, enum mm_type t);
void mm_put_type(struct mm_domain *d, xen_pfn_t mfn);

/* ---- Hypercalls ------------------------------------------------------------
 *
 * The dispatcher copies the arguments from the guest, calls one of these,
 * and copies results back. Return values are 0 or -XEN_E* as the guest
 * must see them.
 *
 * *done (mmu_update, mmuext_op): how many elements were fully processed in
 * this call (Xen's loop index i): on an error at element k, *done == k and
 * elements after k were not looked at. The dispatcher adds *done to the
 * guest's pdone, as Xen does (pdone += i on every call, including each
 * continuation, which first reads pdone back).
 *
 * -MM_ERESTART (only when ops->preempt said so, never for element 0):
 * elements [0, *done) are complete, [*done, count) untouched. The dispatcher
 * makes the continuation as Xen's hypercall_create_continuation: the guest
 * re-issues the hypercall with the array advanced by *done and
 * count = (count - *done) | MMU_UPDATE_PREEMPTED (the top bit), and on
 * re-entry strips that bit and keeps adding to pdone.
 *
 * Guest faults: Xen copies one element at a time, so an unreadable element k
 * gives -EFAULT with done == k. To reproduce: copy the readable prefix,
 * call with it, and if that returned 0, return -XEN_EFAULT with done added.
 * If the whole array range fails Xen's access_ok, Xen returns -EFAULT
 * before touching pdone.
 *
 * foreigndom, as Xen's get_pg_owner and its XSM dummy policy: the page
 * owner (low 16 bits) is DOMID_SELF, DOMID_IO, DOMID_XEN or another
 * domain; naming oneself by number or a domain that does not exist is
 * -ESRCH; one that is not ours to name (anything but DOMID_SELF and
 * DOMID_IO for mmu_update, anything but DOMID_SELF for mmuext_op, unless
 * d->privileged) is -EPERM. *done == MM_DONE_NONE: Xen returned before
 * touching pdone, and the dispatcher must leave it alone too.
 */
#define MM_DONE_NONE	0xffffffffu

/*
 * HYPERVISOR_mmu_update(reqs, count, pdone, foreigndom). With count 0 the
 * foreigndom checks still run (Xen makes them before the loop; the page
 * owner's permission is checked per request, so count 0 never sees it).
 * The PFD half ((domid + 1) << 16) may only name ourselves (-ESRCH for no
 * such domain, -EPERM in the loop for another one).
 */
int mm_mmu_update(struct mm_domain *d, struct mm_vcpu *v,
		  const mmu_update_t *reqs, unsigned int count,
		  unsigned int *done, unsigned int foreigndom);

/* HYPERVISOR_mmuext_op(ops, count, pdone, foreigndom); as above. */
int mm_mmuext_op(struct mm_domain *d, struct mm_vcpu *v,
		 const struct mmuext_op *ops, unsigned int count,
		 unsigned int *done, unsigned int foreigndom);

/*
 * HYPERVISOR_update_va_mapping(va, val, flags): walk v's kernel base to the
 * L1 mapping va, update that entry as mmu_update would, then flush as
 * flags say (UVMF_NONE/TLB_FLUSH/INVLPG with LOCAL/ALL or a vCPU bitmap
 * pointer; an unreadable bitmap gives -XEN_EFAULT after the update).
 */
int mm_update_va_mapping(struct mm_domain *d, struct mm_vcpu *v,
			 uint64_t va, uint64_t val, uint64_t flags);

/*
 * Xen's writable-page-table emulation (pv/ro-page-fault.c, always on for a
 * 64-bit PV guest): the guest's write of `bytes` (1, 2, 4 or 8, naturally
 * aligned) of val at va faulted because va is mapped read-only. If the L1
 * entry for va (through v's kernel tables) maps a validated L1 table of the
 * domain read-only, the write is checked and done as an L1 update
 * (sub-word writes merged into their entry) and 0 is returned: the guest
 * continues after the instruction. -1: not emulated (not a page table, or
 * the new entry is refused): deliver the #PF to the guest. The caller
 * decodes the instruction (host/pv/ptwr.c); mm_ptwr_target says first
 * whether va is such a table at all (a failed CMPXCHG writes nothing).
 */
int mm_ptwr_target(struct mm_domain *d, struct mm_vcpu *v, uint64_t va);
int mm_ptwr_write(struct mm_domain *d, struct mm_vcpu *v, uint64_t va,
		  uint64_t val, unsigned int bytes);

/* ---- Grant mappings (mm_grant.c) --------------------------------------------
 *
 * The page-table half of mapping a grant into the guest's own page tables
 * (Xen: pv/grant_table.c). The grant table takes the references first, as
 * Xen's map_grant_ref does: a general reference on the granted frame, and
 * a writable type reference too unless GNTMAP_readonly (mm_get_page,
 * mm_get_type). The entry written here then holds exactly those, like any
 * other L1 entry, and mm_audit counts them so. It is not marked (see
 * MM_PTE_GNTTAB): removed some other way (mmu_update...), it releases
 * them as any entry does, as in Xen, and the grant's unmap then finds no
 * entry to remove. Returns are grant status codes: GNTST_okay or
 * GNTST_general_error.
 */

/*
 * Xen's create_grant_pv_mapping: write the grant's entry for mfn with the
 * rights of gflags (GNTMAP_*) at addr, which is the machine address of the
 * L1 entry (GNTMAP_contains_pte; 8-byte aligned, in a validated L1 of the
 * domain) or a virtual address looked up through v's kernel tables. The
 * entry it replaces is released.
 */
int mm_grant_map(struct mm_domain *d, struct mm_vcpu *v, uint64_t addr,
		 xen_pfn_t mfn, uint32_t gflags);

/*
 * Xen's replace_grant_pv_mapping: the entry at addr (as above, by the
 * mapping's gflags) must map mfn, present, with the mapping's RW right;
 * it is replaced by nothing or, with new_addr (not for contains_pte), by
 * the entry stolen from virtual address new_addr (which is zapped). The
 * grant's references are not released here: the caller drops what its
 * map took once the TLBs are flushed. On failure a stolen entry is
 * released as an ordinary L1 entry would be.
 */
int mm_grant_unmap(struct mm_domain *d, struct mm_vcpu *v, uint64_t addr,
		   xen_pfn_t mfn, uint64_t new_addr, uint32_t gflags);

/* ---- Checking ---------------------------------------------------------------
 *
 * Recount every reference from scratch and check the invariants: counts
 * and type counts equal to the recount; every entry of a validated table
 * points only at the domain's frames (L1: or a foreign frame the host
 * allows, read-only where it must be); no read-write L1 entry maps a frame
 * whose type is not WRITABLE (so no page table is writable); no disallowed
 * bit, no PSE above L1, _PAGE_USER everywhere; linear counts consistent;
 * a typed page table is validated iff its type count is non-zero.
 *
 * scratch: 4 * nr_frames uint32_t. Returns 0, or -1 with a short static
 * reason in *why and the frame in *bad_mfn.
 */
int mm_audit(const struct mm_domain *d, const struct mm_vcpu *vcpus,
	     unsigned int nr_vcpus, uint32_t *scratch, const char **why,
	     xen_pfn_t *bad_mfn);

/*
 * The same, counting the references the host itself keeps between calls
 * (mm_get_page_and_type without a put yet: Xen's GDT frames, a registered
 * vcpu_info page, a device mapping of a grant): held[i] is one reference
 * and one use of held[i].type, or only the reference for MM_T_NONE.
 */
struct mm_held {
	xen_pfn_t mfn;
	enum mm_type type;
};
int mm_audit_held(const struct mm_domain *d, const struct mm_vcpu *vcpus,
		  unsigned int nr_vcpus, const struct mm_held *held,
		  unsigned int nr_held, uint32_t *scratch, const char **why,
		  xen_pfn_t *bad_mfn);

/* ---- Shared by host/pv/mm*.c only ------------------------------------------ */

struct mm_page *mm__page(const struct mm_domain *d, xen_pfn_t mfn);
uint64_t *mm__map(const struct mm_domain *d, xen_pfn_t mfn);
bool mm__addr_ok(uint64_t va);
uint64_t mm__disallow(const struct mm_domain *d, unsigned int level);
uint64_t mm__adjust(unsigned int level, uint64_t e);
struct mm_page *mm__get_page(struct mm_domain *d, xen_pfn_t mfn);
void mm__put_page(struct mm_domain *d, struct mm_page *p);
int mm__get_type(struct mm_domain *d, xen_pfn_t mfn, struct mm_page *p,
		 enum mm_type t);
void mm__put_type(struct mm_domain *d, xen_pfn_t mfn, struct mm_page *p);
int mm__mod_entry(struct mm_domain *d, xen_pfn_t table_mfn, struct mm_page *tp,
		  unsigned int slot, uint64_t val, bool preserve_ad,
		  enum mm_owner owner);
int mm__tlb(struct mm_domain *d, struct mm_vcpu *v, enum mm_tlb_op op,
	    uint64_t va, uint64_t mask);
void mm__put_l1e(struct mm_domain *d, uint64_t e);
xen_pfn_t mm__walk_to_l1(const struct mm_domain *d, const struct mm_vcpu *v,
			 uint64_t va);

#endif
