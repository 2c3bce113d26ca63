/*
 * libFuzzer target for host/pv/mm*.c: each input is a random sequence of
 * PV MMU operations (mmu_update batches, pins, unpins, base pointers,
 * update_va_mapping, page ops, frame release/reassign, preemption, grant
 * mappings made and removed as the grant table does) on the
 * small domain of mm_env.h, booted from a valid start-of-day layout. After
 * every operation mm_audit recounts everything from scratch and checks:
 * no writable mapping of a page-table frame, no entry referencing a frame
 * outside the domain (except the foreign frames the host allows, with the
 * rights it allows), counts and linear counts equal to the recount. mm must
 * never touch memory of a frame the domain does not own (env_frame aborts),
 * every return value must be one of Xen's, and teardown must bring every
 * frame back to its allocation reference. Any violation aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <xen/errno.h>
#include <xen/grant_table.h>

#include "tests/fuzz/mm_env.h"

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t u64(struct in *in)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | u8(in);
	return v;
}

static void fail(const char *what, int rc)
{
	fprintf(stderr, "fuzz_mm: %s (rc %d)\n", what, rc);
	abort();
}

/* Mostly the domain's frames, sometimes someone else's. */
static xen_pfn_t pick_mfn(struct in *in)
{
	uint8_t b = u8(in);

	if (b < 0xc0)
		return mfn_of(b % ENV_FRAMES);
	switch (b & 7) {
	case 0: return MFN_IO + (b & 8);
	case 1: return MFN_RO + (b & 8);
	case 2: return MFN_IO_OK;
	case 3: return MFN_RAM;
	case 4: return MM_INVALID_MFN;
	case 5: return 0x10000000ull + b;
	case 6: return 0;
	default: return mfn_of(F_L4);
	}
}

static unsigned int pick_slot(struct in *in)
{
	static const unsigned int special[] = {
		255, 256, 257, 258, 270, 271, 272, 511,
	};
	uint8_t b = u8(in);

	if (b < 0xc0)
		return b % 16;
	if (b < 0xe0)
		return special[b & 7];
	return (unsigned int)((b << 1) ^ u8(in)) & 511;
}

static uint64_t pick_val(struct in *in)
{
	static const uint64_t bits[16] = {
		MM_PTE_P, MM_PTE_RW, MM_PTE_US, MM_PTE_A, MM_PTE_D,
		MM_PTE_PSE, MM_PTE_G, MM_PTE_PWT, MM_PTE_PCD, MM_PTE_NX,
		MM_PTE_GNTTAB, MM_PTE_GUEST_KERNEL, 1ull << 9, 1ull << 55,
		MM_PTE_P, MM_PTE_P,
	};
	uint8_t sel = u8(in), f1 = u8(in), f2 = u8(in);
	uint64_t v;

	if (sel >= 0xf8)
		return u64(in);			/* anything at all */
	if (sel >= 0xe0)
		return 0;
	v = pick_mfn(in) << 12;
	/* Usual shapes first, then extra bits. */
	switch (f1 & 3) {
	case 0: v |= PTE_KERN; break;
	case 1: v |= PTE_RO; break;
	case 2: v |= PTE_KERN | MM_PTE_US; break;
	default: break;
	}
	if (f1 & 4)
		v |= bits[(f1 >> 4) & 15];
	if (f1 & 8)
		v |= bits[f2 & 15];
	return v;
}

static uint64_t pick_va(struct in *in)
{
	static const unsigned int l4s[8] = { 0, 0, 0, 1, 2, 255, 256, 511 };
	uint8_t a = u8(in), b = u8(in);
	uint64_t va = ((uint64_t)l4s[a & 7] << 39) |
		      ((uint64_t)((a >> 3) & 3) << 30) |
		      ((uint64_t)((a >> 5) & 3) << 21) |
		      ((uint64_t)(b & 31) << 12);

	if (va & (1ull << 47))
		va |= 0xffff000000000000ull;
	if (b & 0x80)
		va ^= (uint64_t)u8(in) << 40;	/* sometimes non-canonical */
	return va;
}

static void check_rc(int rc)
{
	switch (-rc) {
	case 0: case XEN_EPERM: case XEN_ESRCH: case XEN_EACCES:
	case XEN_EFAULT: case XEN_EBUSY: case XEN_EINVAL: case XEN_ENOSYS:
	case MM_ERESTART: case XEN_EOPNOTSUPP:
		return;
	default:
		fail("unexpected return value", rc);
	}
}

static void batch_update(struct env *e, struct in *in)
{
	static const unsigned int cmds[8] = {
		MMU_NORMAL_PT_UPDATE, MMU_NORMAL_PT_UPDATE, MMU_NORMAL_PT_UPDATE,
		MMU_NORMAL_PT_UPDATE, MMU_PT_UPDATE_PRESERVE_AD,
		MMU_PT_UPDATE_NO_TRANSLATE, MMU_MACHPHYS_UPDATE, 5,
	};
	mmu_update_t r[6];
	unsigned int n = 1 + u8(in) % 6, done = ~0u, total = 0;
	int rc;

	for (unsigned int i = 0; i < n; i++) {
		uint8_t c = u8(in);

		r[i].ptr = (pick_mfn(in) << 12) | (pick_slot(in) * 8ull) |
			   cmds[c & 7];
		r[i].val = (c & 7) == MMU_MACHPHYS_UPDATE ? u8(in) : pick_val(in);
	}
	if (u8(in) & 1)
		e->preempt_after = u8(in) & 3;
	/* Run as a guest would see it: continuations until done. */
	do {
		rc = mm_mmu_update(&e->d, &e->v[0], r + total,
				   (n - total) | (total ? 0x80000000u : 0), &done,
				   DOMID_SELF);
		check_rc(rc);
		if (done > n - total)
			fail("done beyond count", rc);
		if (rc == -MM_ERESTART && done == 0)
			fail("restart without progress", rc);
		total += done;
		e->preempt_calls = 0;
	} while (rc == -MM_ERESTART);
	e->preempt_after = -1;
	if (!rc && total != n)
		fail("success with done != count", rc);
}

static void ext_op(struct env *e, struct in *in, uint8_t kind)
{
	struct mmuext_op op = { 0 };
	struct mm_vcpu *v = &e->v[u8(in) & 1];
	unsigned int done;
	int rc;

	switch (kind) {
	case 0:
		op.cmd = MMUEXT_PIN_L1_TABLE + (u8(in) & 3);
		op.arg1.mfn = pick_mfn(in);
		break;
	case 1:
		op.cmd = MMUEXT_UNPIN_TABLE;
		op.arg1.mfn = pick_mfn(in);
		break;
	case 2:
		op.cmd = MMUEXT_NEW_BASEPTR;
		op.arg1.mfn = pick_mfn(in);
		break;
	case 3:
		op.cmd = MMUEXT_NEW_USER_BASEPTR;
		op.arg1.mfn = (u8(in) & 3) ? pick_mfn(in) : 0;
		break;
	case 4:
		op.cmd = MMUEXT_CLEAR_PAGE;
		op.arg1.mfn = pick_mfn(in);
		break;
	case 5:
		op.cmd = MMUEXT_COPY_PAGE;
		op.arg1.mfn = pick_mfn(in);
		op.arg2.src_mfn = pick_mfn(in);
		break;
	default:
		op.cmd = u8(in) % 22;		/* flushes, LDT, unknown... */
		op.arg1.linear_addr = pick_va(in);
		op.arg2.nr_ents = u8(in) * 40u;
		e->mask_fault = u8(in) & 1;
		break;
	}
	rc = mm_mmuext_op(&e->d, v, &op, 1, &done, DOMID_SELF);
	check_rc(rc);
	if (done != (rc ? 0u : 1u))
		fail("mmuext_op done", rc);
	e->mask_fault = false;
}

/*
 * A grant mapping of one of the domain's frames, as the grant table makes
 * it (mm_grant.c): the references first, then the entry, which then holds
 * them; an unmap that succeeds hands back what the removed entry held.
 */
static uint32_t pick_gflags(struct in *in)
{
	uint8_t b = u8(in);

	return GNTMAP_host_map | ((b & 1) ? GNTMAP_readonly : 0) |
	       ((b & 2) ? GNTMAP_contains_pte : 0) | ((b & 4) ? GNTMAP_application_map : 0) |
	       ((uint32_t)(b >> 5) << _GNTMAP_guest_avail0);
}

static uint64_t pick_grant_addr(struct in *in, uint32_t gflags)
{
	if (!(gflags & GNTMAP_contains_pte))
		return pick_va(in);
	return (pick_mfn(in) << 12) | (pick_slot(in) * 8ull) | (u8(in) & 0x10 ? 4 : 0);
}

static void grant_op(struct env *e, struct in *in, bool map)
{
	uint32_t gflags = pick_gflags(in);
	bool ro = gflags & GNTMAP_readonly;
	xen_pfn_t mfn = pick_mfn(in);
	uint64_t addr = pick_grant_addr(in, gflags);
	struct mm_vcpu *v = &e->v[u8(in) & 1];
	int rc;

	if (map) {
		if (mm_get_page(&e->d, mfn))
			return;		/* the grant table's bad_page */
		if (!ro && mm_get_type(&e->d, mfn, MM_T_WRITABLE)) {
			mm_put_page(&e->d, mfn);
			return;		/* could not pin */
		}
		rc = mm_grant_map(&e->d, v, addr, mfn, gflags);
		if (rc == GNTST_okay)
			return;
		if (rc != GNTST_general_error)
			fail("grant map status", rc);
	} else {
		uint64_t new_addr = (u8(in) & 3) ? 0 : pick_va(in);

		rc = mm_grant_unmap(&e->d, v, addr, mfn, new_addr, gflags);
		if (rc == GNTST_general_error)
			return;
		if (rc != GNTST_okay)
			fail("grant unmap status", rc);
		if (!mm_owns(&e->d, mfn))
			return;		/* an entry of a foreign frame holds nothing */
	}
	if (!ro)
		mm_put_type(&e->d, mfn);
	mm_put_page(&e->d, mfn);
}

static void one_op(struct env *e, struct in *in)
{
	uint8_t op = u8(in);
	int rc;

	if (op % 18 >= 16) {
		grant_op(e, in, op % 18 == 16);
		if (env_audit(e))
			fail("audit after a grant operation", 0);
		return;
	}
	switch (op % 16) {
	case 0: case 1: case 2: case 3: case 4:
		batch_update(e, in);
		break;
	case 5: case 6:
		ext_op(e, in, 0);
		break;
	case 7:
		ext_op(e, in, 1);
		break;
	case 8:
		ext_op(e, in, 2 + (op >> 7));
		break;
	case 9:
		ext_op(e, in, 4 + (op >> 7));
		break;
	case 10:
		ext_op(e, in, 6);
		break;
	case 11: case 12: {
		uint64_t va = pick_va(in), val = pick_val(in);
		uint64_t flags = u8(in) & 7;

		if (flags == 7)
			flags = UVMF_TLB_FLUSH | 0x1000;
		e->mask_fault = op & 0x80;
		rc = mm_update_va_mapping(&e->d, &e->v[u8(in) & 1], va, val, flags);
		e->mask_fault = false;
		check_rc(rc);
		break;
	}
	case 13: {
		/* The guest gives a frame back, or gets one (re)assigned. */
		xen_pfn_t mfn = pick_mfn(in);

		rc = (op & 0x80) ? mm_release(&e->d, mfn) : mm_assign(&e->d, mfn);
		check_rc(rc);
		break;
	}
	case 14: {
		/* A GDT frame: a segment-descriptor use, dropped at once. */
		xen_pfn_t mfn = pick_mfn(in);

		if (op & 0x80) {
			/* Or a trapped write to a read-only page (ptwr). */
			uint64_t va = pick_va(in) + (u8(in) & 0xff8);
			unsigned int bytes = 1u << (u8(in) & 3);

			rc = mm_ptwr_write(&e->d, &e->v[u8(in) & 1],
					   va + (op & 7),
					   pick_val(in), bytes);
			if (rc != 0 && rc != -1)
				fail("ptwr result", rc);
			break;
		}

		rc = mm_get_page_and_type(&e->d, mfn, MM_T_SEGDESC);
		check_rc(rc);
		if (!rc)
			mm_put_page_and_type(&e->d, mfn);
		break;
	}
	default: {
		/* A few updates into the current tables, the common case. */
		xen_pfn_t t = mfn_of((unsigned int[]){ F_L1, F_L2, F_L3, F_L4 }[op >> 6]);

		rc = env_update(e, t, pick_slot(in), pick_val(in));
		check_rc(rc);
		break;
	}
	}
	if (env_audit(e))
		fail("audit after an operation", 0);
}

static uint64_t (*mem)[MM_ENTRIES];
static struct env E;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	unsigned int ops = 0;
	int rc;

	if (!mem && !(mem = aligned_alloc(4096, (size_t)ENV_FRAMES * 4096)))
		abort();
	env_init(&E, mem);
	E.d.io_caps = u8(&in) & 1;
	E.d.cache_flush = E.d.io_caps;
	rc = env_boot(&E);
	if (rc)
		fail("boot", rc);
	if (env_audit(&E))
		fail("audit after boot", 0);
	while (in.n && ops++ < 96)
		one_op(&E, &in);

	mm_teardown(&E.d, E.v, 2);
	if (env_audit(&E))
		fail("audit after teardown", 0);
	for (unsigned int i = 0; i < ENV_FRAMES; i++) {
		const struct mm_page *p = mm_page(&E.d, mfn_of(i));

		if (!(p->flags & MM_PG_OWNED))
			continue;
		if (p->count != !!(p->flags & MM_PG_ALLOC) ||
		    p->type_count != !!(p->flags & MM_PG_SPECIAL) ||
		    (p->flags & MM_PG_PINNED) || p->linear)
			fail("references left after teardown", (int)i);
	}
	return 0;
}
