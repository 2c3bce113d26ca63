/*
 * Values for hypercall arguments: a seeded generator, boundaries, and
 * numbers that mean something to Xen (frames, addresses, ports, domain
 * ids, descriptors), each chosen so that what the hypervisor does with it
 * can only hurt the sandbox (kernel/fuzz.h).
 */
#include <xen/xen.h>

#include "arch/x86/page.h"
#include "kernel/fuzz.h"
#include "kernel/kernel.h"

static uint64_t state;

/* splitmix64: every seed, even 0, gives a good sequence. */
void fz_seed(uint64_t seed)
{
	state = seed;
}

uint64_t fz_rnd(void)
{
	uint64_t z = (state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t fz_below(uint64_t n)
{
	return n ? fz_rnd() % n : 0;
}

bool fz_chance(unsigned int percent)
{
	return fz_below(100) < percent;
}

uint64_t fz_pick(const uint64_t *v, size_t n)
{
	return v[fz_below(n)];
}

static const uint64_t boundaries[] = {
	0, 1, 2, 3, 4, 7, 8, 0xf, 0x10, 0x3f, 0x40, 0x7f, 0x80, 0xff, 0x100,
	0xfff, 0x1000, 0x1001, 0x7fff, 0x8000, 0xffff, 0x10000,
	0x7fffffff, 0x80000000, 0x80000001, 0xffffffff, 0x100000000,
	0xfffffffff, 0xffffffffff, 0xfffffffffffff,
	0x00007fffffffffff, 0x0000800000000000,		/* the canonical hole */
	0xffff7fffffffffff, 0xffff800000000000,
	0xffff87ffffffffff, 0xffff880000000000,		/* Xen's range and just past it */
	0x7fffffffffffffff, 0x8000000000000000,
	0xfffffffffffff000, 0xfffffffffffffff8, 0xfffffffffffffffe,
	0xffffffffffffffff,
};

uint64_t fz_u64(void)
{
	switch (fz_below(10)) {
	case 0: case 1: case 2: case 3:
		return fz_rnd();
	case 4:
		return fz_below(256);
	case 5:
		return fz_pick(boundaries, ARRAY_SIZE(boundaries)) + fz_below(3) - 1;
	default:
		return fz_pick(boundaries, ARRAY_SIZE(boundaries));
	}
}

uint32_t fz_u32(void)
{
	if (fz_chance(30))
		return (uint32_t)fz_rnd();
	return (uint32_t)FZ_PICK(0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000,
				 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff,
				 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff);
}

uint16_t fz_u16(void)
{
	if (fz_chance(50))
		return (uint16_t)fz_rnd();
	return (uint16_t)FZ_PICK(0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fef, 0x7ff0,
				 0x7fff, 0x8000, 0xfffe, 0xffff);
}

/* Mostly 0..small; sometimes just past it, or counts no buffer can hold. */
uint32_t fz_count(unsigned int small)
{
	unsigned int r = (unsigned int)fz_below(10);

	if (r < 6)
		return (uint32_t)fz_below(small + 1);
	if (r < 7)
		return small + 1 + (uint32_t)fz_below(small + 1);
	return (uint32_t)FZ_PICK(0x7fffffff, 0x80000000, 0x80000001, 0x80000010,
				 0xffffffff, 0x10000, 0x100000, 512, 513);
}

/* ---- frames ---------------------------------------------------------------- */

xen_pfn_t fz_junk_mfn(void)
{
	for (;;) {
		xen_pfn_t m;

		switch (fz_below(6)) {
		case 0: m = FZ_PICK(0, 1, 2, 0xfffff, 0x100000, 0xffffffffff,
				    0xfffffffffff, 0xfffffffffffff, ~0ull); break;
		case 1: m = fz.m2p_max + fz_below(3) - 1; break;
		case 2: m = fz.scratch[0] + fz_below(64) - 32; break;	/* near ours */
		case 3: m = fz_rnd() & 0xffffffffffull; break;
		case 4: m = fz_rnd() & 0xfffffffffffffull; break;
		default: m = fz_rnd(); break;
		}
		if (!fz_mfn_is_ours(m))
			return m;
	}
}

xen_pfn_t fz_mfn(unsigned int kinds)
{
	static const struct { unsigned int kind, weight; } w[] = {
		{ FZM_SCRATCH, 50 }, { FZM_CLONE, 5 }, { FZM_OWN_PT, 5 },
		{ FZM_OWN, 5 }, { FZM_SPECIAL, 5 }, { FZM_JUNK, 30 },
	};
	unsigned int total = 0, r;

	for (unsigned int i = 0; i < ARRAY_SIZE(w); i++)
		if (kinds & w[i].kind)
			total += w[i].weight;
	r = (unsigned int)fz_below(total);
	for (unsigned int i = 0; i < ARRAY_SIZE(w); i++) {
		if (!(kinds & w[i].kind))
			continue;
		if (r >= w[i].weight) {
			r -= w[i].weight;
			continue;
		}
		switch (w[i].kind) {
		case FZM_SCRATCH: return fz.scratch[fz_below(fz.nr_scratch)];
		case FZM_CLONE: return fz.clone[fz_below(FZ_NR_CLONE)];
		case FZM_OWN_PT: return fz.own_pt[fz_below(4)];
		case FZM_OWN: return fz.own;
		case FZM_SPECIAL: return fz.special[fz_below(fz.nr_special)];
		default: break;
		}
	}
	return fz_junk_mfn();
}

/* An entry for a table of that level: mostly the shapes Xen accepts. */
uint64_t fz_pte(unsigned int level)
{
	uint64_t e, mfn;

	if (fz_chance(8))
		return FZ_PICK(0, 1, 3, 0x67, 0xfff, ~0ull, 0x8000000000000000ull,
			       0x7fffffffffffffffull, 0x000ffffffffff000ull);
	/*
	 * Never our own tables: a scratch frame may become a table of any
	 * level, and one that pointed at ours would let sandbox addresses
	 * reach our own L1 entries.
	 */
	if (fz_chance(level == 1 ? 50 : 80))
		mfn = fz_mfn(FZM_SCRATCH | FZM_CLONE);
	else
		mfn = fz_mfn(FZM_ANY & ~FZM_OWN_PT);
	e = (mfn << PAGE_SHIFT) & PTE_ADDR_MASK;
	if (fz_chance(70)) {
		e |= _PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_USER;
		if (fz_chance(50))
			e |= _PAGE_RW;
		if (level == 1 && fz_chance(30))
			e |= _PAGE_DIRTY;
	} else {
		e |= fz_rnd() & 0x1ff;
	}
	if (fz_chance(10))
		e |= _PAGE_PSE;
	if (fz_chance(10))
		e |= _PAGE_GLOBAL | (fz_rnd() & 0xe00);
	if (fz_chance(10))
		e |= _PAGE_NX;
	if (fz_chance(5))
		e |= fz_rnd() & 0x7ff0000000000000ull;		/* reserved/software/PKEY bits */
	if (fz_chance(3))
		e |= fz_rnd() & 0x000ff00000000000ull;		/* frame bits past 40 */
	return e;
}

/* ---- addresses ----------------------------------------------------------------- */

uint64_t fz_va(bool kernel_ok)
{
	for (;;) {
		uint64_t va;

		switch (fz_below(10)) {
		case 0: case 1: case 2: case 3: case 4:
			va = FZ_SB_BASE +
				((fz_chance(80) ? fz_below(4) : fz_below(512)) << 30) +
				((fz_chance(80) ? FZ_PICK(0, 1, 2, 3, 511) : fz_below(512)) << 21) +
				((fz_chance(80) ? FZ_PICK(0, 1, 2, 3, 255, 256, 511) : fz_below(512)) << 12);
			if (fz_chance(5))
				va += fz_below(PAGE_SIZE);
			break;
		case 5: case 6: case 7:
			va = FZ_PICK(0, 0x1000, 0x400000, 0x7ffffffff000, 0x7fffffffffff,
				     0x800000000000, 0xffff7ffffffff000, 0xffff800000000000,
				     0xffff820000000000, 0xffff82d080000000, 0xffff87fffffff000,
				     0xffff87ffffffffff, 0xfffffffffffff000, ~0ull,
				     0x8000000000000000) + (fz_chance(20) ? fz_below(0x10000) : 0);
			break;
		case 8:
			va = 0xffff800000000000ull + (fz_rnd() & ((1ull << 43) - 1));
			break;
		default:
			va = fz_rnd();
			break;
		}
		if (kernel_ok || !fz_va_is_ours(va))
			return va;
	}
}

extern char fz_trap_3[], fz_nmi_entry[], fz_failsafe_entry[], fz_syscall_entry[];
extern char fz_event_entry[], start_kernel[];

/*
 * An entry point for a callback or trap vector. Inside a multicall an
 * event or NMI may be delivered before the fuzzer puts its own entry
 * points back, so there only the ones that catch, or addresses Xen
 * refuses, for what can be delivered there.
 */
uint64_t fz_handler(unsigned int flags, unsigned int role)
{
	static const uint64_t refused[] = { 0x0000800000000000, 0x8000000000000000,
					    0xfffe000000000000 };

	if ((flags & (FZ_NESTED | FZ_BENIGN)) && fz_chance(70)) {
		switch (role) {
		case FZH_EVENT: return (uint64_t)fz_event_entry;
		case FZH_FAILSAFE: return (uint64_t)fz_failsafe_entry;
		case FZH_NMI: return fz_chance(50) ? (uint64_t)fz_nmi_entry : 0;
		default: break;
		}
	}
	if ((flags & (FZ_NESTED | FZ_BENIGN)) && role != FZH_OTHER)
		return fz_pick(refused, ARRAY_SIZE(refused));
	switch (fz_below(5)) {
	case 0: return FZ_PICK((uint64_t)fz_trap_3, (uint64_t)fz_nmi_entry,
			       (uint64_t)fz_failsafe_entry, (uint64_t)fz_syscall_entry,
			       (uint64_t)fz_event_entry);
	case 1: return (uint64_t)start_kernel + fz_below(0x4000);
	case 2: return fz_va(true);
	default: return fz_u64();
	}
}

static bool in_sandbox(uint64_t v)
{
	return (v >> 39) == (FZ_SB_BASE >> 39);
}

/* Any value, but never an address of ours or of the sandbox. */
uint64_t fz_word(void)
{
	for (;;) {
		uint64_t v = fz_u64();

		if (!fz_va_is_ours(v) && !in_sandbox(v))
			return v;
	}
}

domid_t fz_domid(void)
{
	switch (fz_below(10)) {
	case 0: case 1: case 2: return DOMID_SELF;
	case 3: return 0;
	case 4: return fz.domid;
	case 5: return (domid_t)(fz.domid + 1);
	case 6: return (domid_t)FZ_PICK(DOMID_IO, DOMID_XEN, DOMID_COW, DOMID_INVALID,
					DOMID_IDLE, DOMID_FIRST_RESERVED - 1, 0xffff);
	default: return fz_u16();
	}
}

/* A port number; never the console's for something that could close it. */
evtchn_port_t fz_port(bool destructive)
{
	for (;;) {
		evtchn_port_t p;

		switch (fz_below(10)) {
		case 0: case 1: case 2: case 3: case 4:
			p = (evtchn_port_t)fz_below(64);
			break;
		case 5:
			p = fz.ipi_port;
			break;
		case 6:
			p = fz.console_port;
			break;
		default:
			p = (evtchn_port_t)FZ_PICK(0, 1, 63, 64, 127, 128, 1023, 1024, 4095,
						   4096, 0x7fffffff, 0x80000000, 0xffffffff);
			break;
		}
		if (!destructive || !fz.console_port || p != fz.console_port)
			return p;
	}
}

/*
 * A segment descriptor. Code segments that are not 64-bit run only below
 * 4 GiB, which nothing of ours maps: iret frames may use any of them.
 */
uint64_t fz_desc(void)
{
	uint64_t base = fz_u64() & 0xffffffff, limit = fz_u64() & 0xfffff;
	uint64_t type = fz_below(16), dpl = fz_below(4), s = fz_chance(75);
	uint64_t d = (limit & 0xffff) | ((base & 0xffffff) << 16) | (type << 40) |
		     (s << 44) | (dpl << 45) | ((uint64_t)fz_chance(90) << 47) |
		     ((limit >> 16) << 48) | ((fz_rnd() & 0xf) << 52) | ((base >> 24) << 56);

	switch (fz_below(8)) {
	case 0: return 0;
	case 1: return fz_rnd();
	case 2: return 0x00affb000000ffffull;	/* 64-bit ring-3 code, as Xen's */
	case 3: return 0x00cff3000000ffffull;	/* flat ring-3 data */
	case 4: return 0x00af9b000000ffffull;	/* ring-0 code: Xen raises the DPL */
	default: return d;
	}
}

uint16_t fz_selector(void)
{
	if (fz_chance(25))
		return fz_u16();
	return (uint16_t)(FZ_PICK(0, 3, 4, 7, 8, 0xb, 0x10, 0x13, 0x1b, 0x23, 0xfff8,
				  0xfffc, 0xffff, FLAT_KERNEL_CS, FLAT_KERNEL_SS,
				  FLAT_USER_CS32, FLAT_USER_DS32, 0xe008, 0xe010, 0xe038,
				  0xe040, 0xe048, 0xe060, 0xe0f8, 0xe003) ^
			  (fz_chance(20) ? fz_below(4) : 0));
}

/* ---- argument memory ------------------------------------------------------------ */

#define BUF_SIZE	(2 * PAGE_SIZE)

static size_t buf_next;		/* first free byte of the scratch buffer */

void fz_buf_reset(void)
{
	buf_next = 0;
}

/* n bytes at offset off of the buffer, zeroed; the buffer is used up to there. */
static uint64_t reserve(size_t off, size_t n)
{
	size_t end = off + n < BUF_SIZE ? off + n : BUF_SIZE;

	memset((char *)fz.buf + buf_next, 0, end - buf_next);
	buf_next = end;
	return fz.buf + off;
}

static uint64_t faulting(void)
{
	switch (fz_below(10)) {
	case 0: case 1: return fz.buf_end + fz_below(PAGE_SIZE);	/* the guard page */
	case 2: return FZ_PICK(0, 8, 0xff8, 0x400000);
	case 3: return 0x0000800000000000ull + fz_below(PAGE_SIZE);
	case 4: return 0xffff800000000000ull + (fz_rnd() & ((1ull << 43) - 8));
	case 5: return FZ_PICK(0xffff87fffffffff8ull, 0xffff7ffffffffff8ull);
	case 6: return FZ_PICK(~0ull, ~0ull - 7, 0x8000000000000000ull);
	case 7: return fz.ro + PAGE_SIZE + fz_below(PAGE_SIZE);	/* past the RO page */
	default: return fz_word();
	}
}

uint64_t fz_ptr(size_t n, unsigned int kinds)
{
	size_t left = BUF_SIZE - buf_next;
	unsigned int r = (unsigned int)fz_below(100);

	if (n == 0)
		n = 1;
	if (!(kinds & FZP_BUF) || (r >= 75 && (kinds & (FZP_FAULT | FZP_RO)))) {
		if ((kinds & FZP_RO) && (r % 3 == 0 || !(kinds & FZP_FAULT)))
			return fz.ro + (n < PAGE_SIZE && fz_chance(80) ?
					fz_below(PAGE_SIZE - n + 1) : PAGE_SIZE - fz_below(8) - 1);
		return faulting();
	}
	/* In the buffer: whole, or across its page boundary, or into the guard. */
	if (n <= left && fz_chance(85)) {
		size_t off = (buf_next + 15) & ~(size_t)15;

		if (fz_chance(10))
			off += 1 + fz_below(7);			/* misaligned */
		else if (fz_chance(10) && buf_next < PAGE_SIZE && n > 1 &&
			 PAGE_SIZE - buf_next > 1)
			off = PAGE_SIZE - 1 - fz_below(n - 1 < PAGE_SIZE - buf_next - 1 ?
						       n - 1 : PAGE_SIZE - buf_next - 1);
		if (off + n <= BUF_SIZE)
			return reserve(off, n);
	}
	/* The rest of the buffer, ending in the guard: what is read past it faults. */
	if (left && fz_chance(80)) {
		size_t keep = n < left ? fz_below(n) + 1 : fz_below(left) + 1;

		return reserve(BUF_SIZE - keep, keep);
	}
	return faulting();
}

void fz_put(uint64_t va, const void *src, size_t n)
{
	uint64_t end = va + n;

	if (va >= fz.buf_end || end <= va || end <= fz.buf)
		return;
	if (va < fz.buf) {
		src = (const char *)src + (fz.buf - va);
		va = fz.buf;
	}
	if (end > fz.buf_end)
		end = fz.buf_end;
	memcpy((void *)va, src, end - va);
}

/*
 * How far count elements of size reach: never less than the hypervisor
 * may touch (a huge count is simply more than any buffer), so that what it
 * reads past what we wrote is zeros or a fault, never last step's bytes.
 */
size_t fz_span(uint64_t count, size_t size)
{
	return count > (1ull << 20) ? (size_t)1 << 40 : (size_t)count * size;
}

uint64_t fz_in(const void *obj, size_t n, unsigned int kinds)
{
	uint64_t va = fz_ptr(n, kinds);

	fz_put(va, obj, n);
	return va;
}

/* Only for elements whose size divides a page, so every copy is whole. */
uint64_t fz_alias(const void *elem, size_t size, size_t *len)
{
	char *p = (char *)fz.alias;

	for (size_t off = 0; off + size <= PAGE_SIZE; off += size)
		memcpy(p + off, elem, size);
	*len = fz.alias_end - fz.alias;
	return fz.alias;
}
