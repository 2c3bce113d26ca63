/*
 * Writable page tables (Xen: pv/ro-page-fault.c, ptwr_emulate_ops): a
 * kernel write that faults on one of its own L1 tables, mapped read-only,
 * is emulated as a validated PTE update. Xen runs the instruction through
 * its x86 emulator, so any single-destination write is accepted; Linux
 * uses MOV (set_pte), XCHG (ptep_get_and_clear), LOCK CMPXCHG (pte
 * updates), LOCK BTR/BTS and LOCK AND/OR (test_and_clear_young,
 * set_wrprotect). These forms are decoded here, with the flags the CPU
 * would leave; the memory operand is CR2, naturally aligned, as Xen's
 * ptwr_emulated_update insists. Anything else keeps its #PF, as does a
 * write the page-type system refuses.
 */
#include "host/pv/pv.h"

#define FL_CF	(1UL << 0)
#define FL_PF	(1UL << 2)
#define FL_AF	(1UL << 4)
#define FL_ZF	(1UL << 6)
#define FL_SF	(1UL << 7)
#define FL_OF	(1UL << 11)
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

enum op { OP_MOV, OP_XCHG, OP_CMPXCHG, OP_CMPXCHG8B, OP_ALU, OP_BT };
enum alu { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR };
enum bt { BT_BTS = 5, BT_BTR = 6, BT_BTC = 7 };

struct ptwr_insn {
	enum op op;
	unsigned int size, len, reg;	/* reg: the register operand (XCHG, CMPXCHG) */
	unsigned int sub;		/* enum alu, enum bt */
	uint64_t src;			/* the source value (register or immediate) */
	bool byte_hi;			/* reg is AH..BH */
};

static uint64_t mask(unsigned int size)
{
	return size == 8 ? ~0UL : (1UL << (8 * size)) - 1;
}

static uint64_t reg_read(unsigned int reg, unsigned int size, bool hi)
{
	return hi ? (dom.st->gpr[reg - 4] >> 8) & 0xff : dom.st->gpr[reg] & mask(size);
}

/* As the CPU writes a register: 4 bytes zero-extend, 1 and 2 merge. */
static void reg_write(unsigned int reg, unsigned int size, bool hi, uint64_t v)
{
	uint64_t *r = &dom.st->gpr[hi ? reg - 4 : reg];

	if (hi)
		*r = (*r & ~0xff00UL) | ((v & 0xff) << 8);
	else if (size == 4)
		*r = (uint32_t)v;
	else
		*r = (*r & ~mask(size)) | (v & mask(size));
}

static uint64_t imm(const uint8_t *b, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = n; i--; )
		v = (v << 8) | b[i];
	return n == 1 ? (uint64_t)(int8_t)v : n == 2 ? (uint64_t)(int16_t)v :
	       (uint64_t)(int32_t)v;
}

/* The instruction at RIP, if it is one of the forms above. */
static bool decode(struct ptwr_insn *in)
{
	uint8_t b[15];
	unsigned int n = (unsigned int)fetch_insn(dom.st->rip, b, sizeof(b)), i = 0;
	bool opsize16 = false;
	uint8_t rex = 0, op, modrm, mod, rm;
	unsigned int isz = 0, wsize;

	memset(in, 0, sizeof(*in));
	for (; i < n; i++) {
		if (b[i] == 0x66)
			opsize16 = true;
		else if (b[i] == 0x2e || b[i] == 0x36 || b[i] == 0x3e || b[i] == 0x26 ||
			 b[i] == 0x64 || b[i] == 0x65 || b[i] == 0x67 || b[i] == 0xf0)
			;		/* LOCK: one vcpu, the update is atomic anyway */
		else
			break;
	}
	if (i < n && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (i + 2 > n)
		return false;
	op = b[i++];
	wsize = (rex & 8) ? 8 : opsize16 ? 2 : 4;
	if (op == 0x0f) {
		uint8_t op2 = b[i++];

		if (i >= n)
			return false;
		switch (op2) {
		case 0xb0: case 0xb1:
			in->op = OP_CMPXCHG;
			in->size = op2 == 0xb0 ? 1 : wsize;
			break;
		case 0xab: case 0xb3: case 0xbb:	/* BTS, BTR, BTC r, m */
			in->op = OP_BT;
			in->size = wsize;
			in->sub = op2 == 0xab ? BT_BTS : op2 == 0xb3 ? BT_BTR : BT_BTC;
			break;
		case 0xba:				/* BTS/BTR/BTC m, imm8 */
			in->op = OP_BT;
			in->size = wsize;
			in->sub = (b[i] >> 3) & 7;
			if (in->sub < BT_BTS)
				return false;
			isz = 1;
			break;
		case 0xc7:				/* CMPXCHG8B; 16B is not Xen's */
			if (((b[i] >> 3) & 7) != 1 || (rex & 8))
				return false;
			in->op = OP_CMPXCHG8B;
			in->size = 8;
			break;
		default:
			return false;
		}
		op = 0;
	} else {
		switch (op) {
		case 0x88: case 0x89:
			in->op = OP_MOV;
			in->size = op == 0x88 ? 1 : wsize;
			break;
		case 0xc6: case 0xc7:
			in->op = OP_MOV;
			in->size = op == 0xc6 ? 1 : wsize;
			isz = op == 0xc6 ? 1 : opsize16 ? 2 : 4;
			if ((b[i] >> 3) & 7)
				return false;
			break;
		case 0x86: case 0x87:
			in->op = OP_XCHG;
			in->size = op == 0x86 ? 1 : wsize;
			break;
		case 0x80: case 0x81: case 0x83:	/* group 1: ALU m, imm */
			in->op = OP_ALU;
			in->size = op == 0x80 ? 1 : wsize;
			in->sub = (b[i] >> 3) & 7;
			if (in->sub == 7)
				return false;		/* CMP writes nothing */
			isz = op == 0x81 ? (opsize16 ? 2 : 4) : 1;
			break;
		default:
			/* ADD, OR, ADC, SBB, AND, SUB, XOR r, m: 00/01, 08/09, ... 30/31. */
			if (op >= 0x32 || (op & 7) > 1)
				return false;
			in->op = OP_ALU;
			in->size = (op & 1) ? wsize : 1;
			in->sub = op >> 3;
			break;
		}
	}
	modrm = b[i++];
	mod = modrm >> 6;
	rm = modrm & 7;
	in->reg = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
	if (mod == 3)
		return false;
	if (rm == 4) {
		if (i >= n)
			return false;
		if (mod == 0 && (b[i] & 7) == 5)
			i += 4;			/* SIB with no base: disp32 */
		i++;
	}
	if (mod == 0 && rm == 5)
		i += 4;				/* RIP-relative disp32 */
	else if (mod == 1)
		i += 1;
	else if (mod == 2)
		i += 4;
	if (i + isz > n)
		return false;
	in->byte_hi = in->size == 1 && !rex && in->reg >= 4 && in->reg < 8;
	if (isz)
		in->src = imm(b + i, isz);
	else if (in->op != OP_CMPXCHG8B)
		in->src = reg_read(in->reg, in->size, in->byte_hi);
	i += isz;
	in->len = i;
	return true;
}

static uint64_t logic_flags(uint64_t res, unsigned int size)
{
	uint64_t f = 0;

	res &= mask(size);
	if (!res)
		f |= FL_ZF;
	if (res >> (8 * size - 1))
		f |= FL_SF;
	if (!(__builtin_popcount((unsigned int)(res & 0xff)) & 1))
		f |= FL_PF;
	return f;
}

/* dst op src as the CPU computes it; *fl gets the arithmetic flags. */
static uint64_t alu(unsigned int sub, uint64_t a, uint64_t b, unsigned int size, uint64_t *fl)
{
	uint64_t m = mask(size), carry = (*fl & FL_CF) ? 1 : 0, r, f;
	unsigned int top = 8 * size - 1;

	a &= m;
	b &= m;
	switch (sub) {
	case ALU_OR:  r = a | b; *fl = logic_flags(r, size); return r;
	case ALU_AND: r = a & b; *fl = logic_flags(r, size); return r;
	case ALU_XOR: r = a ^ b; *fl = logic_flags(r, size); return r;
	case ALU_ADD: carry = 0; /* fall through */
	case ALU_ADC:
		r = (a + b + carry) & m;
		f = logic_flags(r, size);
		if (r < a || (carry && r == a))
			f |= FL_CF;
		if ((((a ^ r) & (b ^ r)) >> top) & 1)
			f |= FL_OF;
		break;
	default:	/* SUB, SBB (and CMP for CMPXCHG's flags) */
		if (sub != ALU_SBB)
			carry = 0;
		r = (a - b - carry) & m;
		f = logic_flags(r, size);
		if (a < b + carry || (carry && b == m))
			f |= FL_CF;
		if ((((a ^ b) & (a ^ r)) >> top) & 1)
			f |= FL_OF;
		break;
	}
	if ((a ^ b ^ r) & 0x10)
		f |= FL_AF;
	*fl = f;
	return r;
}

bool ptwr_emulate(uint64_t va)
{
	struct ptwr_insn in;
	uint64_t old = 0, new = 0, fl = dom.st->rflags & FL_ARITH;
	bool write = true;

	if (!decode(&in) || (va & (in.size - 1)) || mm_ptwr_target(&dom.mm, &dom.mmv, va))
		return false;
	if (in.op != OP_MOV && copy_from_guest(&old, va, in.size))
		return false;
	switch (in.op) {
	case OP_MOV:
		new = in.src;
		break;
	case OP_XCHG:
		new = in.src;
		break;
	case OP_CMPXCHG: {
		uint64_t acc = dom.st->gpr[GPR_RAX] & mask(in.size);

		alu(ALU_SUB, acc, old, in.size, &fl);
		new = in.src;
		write = acc == old;
		break;
	}
	case OP_CMPXCHG8B: {
		uint64_t cmp = (dom.st->gpr[GPR_RDX] << 32) | (uint32_t)dom.st->gpr[GPR_RAX];

		new = (dom.st->gpr[GPR_RCX] << 32) | (uint32_t)dom.st->gpr[GPR_RBX];
		write = cmp == old;
		fl = (fl & ~FL_ZF) | (write ? FL_ZF : 0);
		break;
	}
	case OP_ALU:
		new = alu(in.sub, old, in.src, in.size, &fl);
		break;
	case OP_BT: {
		unsigned int bit = (unsigned int)(in.src & (8 * in.size - 1));

		fl = (fl & ~FL_CF) | (((old >> bit) & 1) ? FL_CF : 0);
		new = in.sub == BT_BTS ? old | (1UL << bit) :
		      in.sub == BT_BTR ? old & ~(1UL << bit) : old ^ (1UL << bit);
		break;
	}
	}
	if (write) {
		if (mm_ptwr_write(&dom.mm, &dom.mmv, va, new & mask(in.size), in.size))
			return false;
		vcpu_hw->flush_tlb(dom.v);
	}
	/* The write went in (or a compare failed): now the registers and flags. */
	switch (in.op) {
	case OP_XCHG:
		reg_write(in.reg, in.size, in.byte_hi, old);
		break;
	case OP_CMPXCHG:
		if (!write)
			reg_write(GPR_RAX, in.size, false, old);
		break;
	case OP_CMPXCHG8B:
		if (!write) {
			dom.st->gpr[GPR_RAX] = (uint32_t)old;
			dom.st->gpr[GPR_RDX] = old >> 32;
		}
		break;
	default:
		break;
	}
	if (in.op != OP_MOV && in.op != OP_XCHG)
		dom.st->rflags = (dom.st->rflags & ~FL_ARITH) | fl;
	pv_retire_insn(in.len);
	return true;
}
