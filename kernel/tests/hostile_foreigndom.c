/*
 * foreigndom beyond XSA-109's no-op: DOMID_IO as page owner maps none of
 * our RAM and edits only L1s; mmuext_op takes only DOMID_SELF from a domU;
 * the refusals that come before the loop leave pdone alone, those inside
 * it write it; and Xen's own continuation form (count exactly
 * MMU_UPDATE_PREEMPTED, no list) hands foreigndom back. Each asserts Xen
 * 4.17's answer.
 */
#include <xen/errno.h>

#include "arch/x86/hypercall.h"
#include "kernel/ktest.h"
#include "kernel/tests/ptframe.h"
#include "mm/mmu.h"
#include "mm/vmap.h"
#include "xen/start_info.h"

static long update(uint64_t ptr, uint64_t val, unsigned int *done, uint32_t foreigndom)
{
	mmu_update_t req = { ptr, val };

	return _hypercall4(__HYPERVISOR_mmu_update, &req, 1, done, foreigndom);
}

#define EMPTY_L4_SLOT	300	/* between Xen's slots and the kernel's: never used */

KTEST(hostile, foreigndom_io_and_pdone)
{
	bool dom0 = is_initial_domain();
	unsigned long va = vmap_alloc(1), data = frame_alloc();
	uint64_t *slot = vmap_slot(va);
	uint64_t l1e, l4e = virt_to_maddr(&kernel_l4[EMPTY_L4_SLOT]);
	unsigned int d_map = 9, d_l4 = 9, d_m2p = 9, d_pfd = 7, d_pg = 7, d_ext = 7, d_zero = 9;
	long map_ram, l4_io, l4_self, m2p_io, pfd, pg, ext, zero, cont_u, cont_e, ext_pin;
	struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };

	KT_ASSERT(va && slot && *slot == 0 && data != FRAME_NONE &&
		  kernel_l4[EMPTY_L4_SLOT] == 0, "setup");
	l1e = virt_to_maddr(slot);
	/* DOMID_IO owns none of our RAM, and may only fill L1s. */
	map_ram = update(l1e, frame_pte(data, PTE_KERNEL_RO), &d_map, DOMID_IO);
	l4_io = update(l4e, 0, &d_l4, DOMID_IO);
	l4_self = update(l4e, 0, NULL, DOMID_SELF);
	m2p_io = update(((uint64_t)pfn_to_mfn(data) << PAGE_SHIFT) | MMU_MACHPHYS_UPDATE,
			data, &d_m2p, DOMID_IO);
	/* Page tables of no domain: refused before the loop, pdone untouched. */
	pfd = update(l1e, 0, &d_pfd, (0x7001u << 16) | DOMID_SELF);
	/* A page owner that does not exist: refused before the loop, pdone written. */
	pg = update(l1e, 0, &d_pg, 0x7000);
	/* mmuext_op with DOMID_IO: XSM refuses a domU before the loop; the
	 * control domain gets there, and a flush is not DOMID_IO's to ask. */
	ext = _hypercall4(__HYPERVISOR_mmuext_op, &op, 1, &d_ext, DOMID_IO);
	op.cmd = MMUEXT_PIN_L1_TABLE;
	op.arg1.mfn = pfn_to_mfn(data);
	ext_pin = _hypercall4(__HYPERVISOR_mmuext_op, &op, 1, NULL, DOMID_IO);
	/* Nothing to do: domain 0 as page owner is checked per request only. */
	zero = _hypercall4(__HYPERVISOR_mmu_update, NULL, 0, &d_zero, 0);
	/* Xen's continuation of a preempted table release: foreigndom comes back. */
	cont_u = _hypercall4(__HYPERVISOR_mmu_update, NULL, 0x80000000u, NULL, 5);
	cont_e = _hypercall4(__HYPERVISOR_mmuext_op, NULL, 0x80000000u, NULL, 6);
	if (*slot)
		update(l1e, 0, NULL, DOMID_SELF);
	frame_free(data);
	vmap_free(va, 1);
	KT_ASSERT(map_ram == -XEN_EBUSY && d_map == 0,
		  "mapping our frame as DOMID_IO's: %ld (done %u)", map_ram, d_map);
	KT_ASSERT(l4_io == -XEN_EINVAL && d_l4 == 0, "an L4 entry as DOMID_IO: %ld (done %u)",
		  l4_io, d_l4);
	KT_ASSERT_EQ(l4_self, 0, "the same L4 entry as DOMID_SELF");
	KT_ASSERT(m2p_io == -XEN_EINVAL && d_m2p == 0, "MACHPHYS of our frame as DOMID_IO's: "
		  "%ld (done %u)", m2p_io, d_m2p);
	KT_ASSERT(pfd == -XEN_ESRCH && d_pfd == 7, "page tables of no domain: %ld (pdone %u)",
		  pfd, d_pfd);
	KT_ASSERT(pg == -XEN_ESRCH && d_pg == 0, "page owner that does not exist: %ld (pdone %u)",
		  pg, d_pg);
	KT_ASSERT(ext == -XEN_EPERM && d_ext == (dom0 ? 0u : 7u),
		  "mmuext_op with DOMID_IO: %ld (pdone %u)", ext, d_ext);
	KT_ASSERT_EQ(ext_pin, dom0 ? -XEN_EINVAL : -XEN_EPERM, "pinning as DOMID_IO");
	KT_ASSERT(zero == (dom0 ? -XEN_ESRCH : 0) && d_zero == 0,
		  "no requests, domain 0 as page owner: %ld (pdone %u)", zero, d_zero);
	KT_ASSERT_EQ(cont_u, 5, "mmu_update's final-result continuation");
	KT_ASSERT_EQ(cont_e, 6, "mmuext_op's final-result continuation");
}
