/*
 * What Xen does with a privileged instruction from a PV guest (Xen:
 * pv/emul-priv-op.c, pv/emul-inv-op.c): a #GP(0) is looked at; port I/O
 * and CLI/STI are allowed by the virtual IOPL (the kernel has a virtual CPL
 * of 1, or 0 with VMASST_TYPE_architectural_iopl, user mode 3); control
 * and debug register moves, RDMSR/WRMSR, CLTS and WBINVD are emulated for
 * the kernel; anything else gets its #GP back. CPUID is Xen's policy,
 * with Xen's leaves behind the forced-emulation prefix (ud2; .ascii "xen").
 *
 * host_opts.strict logs every attempt and counts it.
 */
#include "host/pv/pv.h"

#include <xen/arch-x86/cpuid.h>

/* The guest-visible CR4 (pv_fixup_guest_cr4): Xen's visible bits + the guest's. */
#define CR4_TSD		(1UL << 2)
#define CR4_DE		(1UL << 3)
#define CR4_MCE		(1UL << 6)
#define PV_CR4_VISIBLE	(CR4_PAE | CR4_MCE | CR4_OSFXSR | CR4_OSXMMEXCPT)

/*
 * The CR4 bits the guest controls (Xen's PV_CR4_GUEST_MASK, minus what its
 * CPUID policy lacks): TSD, DE, OSXSAVE as Xen's own, and FSGSBASE when
 * the policy offers it (Xen keeps it off behind a 64-bit kernel's back).
 */
static uint64_t pv_cr4_guest_mask(void)
{
	uint32_t r[4];

	pv_cpuid(7, 0, r, true);
	return CR4_TSD | CR4_DE | (read_cr4() & CR4_OSXSAVE) | ((r[1] & 1) ? CR4_FSGSBASE : 0);
}

/* Of those, the bits that reach the CPU's CR4 while the guest runs. */
#define CR4_GUEST_REAL	(CR4_TSD | CR4_FSGSBASE)

void strict_log(const char *what)
{
	dom.nr_priv_ops++;
	if (host_opts.strict)
		printk("d%u strict: %s at %#lx (%s mode)", dom.domid, what,
		       (unsigned long)dom.st->rip, dom.kernel_mode ? "kernel" : "user");
}

static bool iopl_ok(void)
{
	unsigned int cpl = dom.kernel_mode ?
		((dom.vm_assist & (1UL << VMASST_TYPE_architectural_iopl)) ? 0 : 1) : 3;

	return (cpl << 12) <= dom.iopl;
}

static uint64_t *gpr(unsigned int n)
{
	return &dom.st->gpr[n & 15];
}

struct insn {
	uint8_t b[16];
	unsigned int n, len;
	bool opsize16, rep;
	uint8_t rex;
};

static bool decode_prefixes(struct insn *in)
{
	in->n = (unsigned int)fetch_insn(dom.st->rip, in->b, sizeof(in->b));
	for (in->len = 0; in->len < in->n; in->len++) {
		uint8_t c = in->b[in->len];

		if (c == 0x66)
			in->opsize16 = true;
		else if (c == 0xf3 || c == 0xf2)
			in->rep = true;
		else if (c == 0x67 || c == 0x2e || c == 0x36 || c == 0x3e || c == 0x26 ||
			 c == 0x64 || c == 0x65 || c == 0xf0)
			;
		else
			break;
	}
	if (in->len < in->n && (in->b[in->len] & 0xf0) == 0x40)
		in->rex = in->b[in->len++];
	return in->len < in->n;
}

static void io_read(unsigned int port, unsigned int size, uint64_t *rax)
{
	(void)port;
	/* A domU owns no ports: reads float high (admin_io_okay fails). */
	switch (size) {
	case 1: *rax = (*rax & ~0xffUL) | 0xff; break;
	case 2: *rax = (*rax & ~0xffffUL) | 0xffff; break;
	default: *rax = 0xffffffffUL; break;
	}
}

#define REP_IO_PER_EXIT	4096

static bool emulate_io(struct insn *in, uint8_t op)
{
	unsigned int size = (op & 1) ? (in->opsize16 ? 2 : 4) : 1;
	unsigned int port = (uint16_t)*gpr(GPR_RDX);
	unsigned int len = in->len + 1;

	if (op == 0xe4 || op == 0xe5 || op == 0xe6 || op == 0xe7) {
		if (in->len + 1 >= in->n)
			return false;
		port = in->b[in->len + 1];
		len++;
	}
	strict_log("port I/O");
	if (!iopl_ok())
		return false;
	switch (op) {
	case 0xe4: case 0xe5: case 0xec: case 0xed:
		io_read(port, size, gpr(GPR_RAX));
		break;
	case 0xe6: case 0xe7: case 0xee: case 0xef:
		break;			/* writes to ports we do not own vanish */
	case 0x6c: case 0x6d: case 0x6e: case 0x6f: {
		uint64_t count = in->rep ? *gpr(GPR_RCX) : 1;
		int64_t step = (dom.st->rflags & X86_EFLAGS_DF) ? -(int64_t)size : (int64_t)size;

		/*
		 * Xen's rep_ins/rep_outs: the data goes through guest memory, a
		 * fault ends the instruction with the repetitions done counted,
		 * and a bounded number of repetitions per exit (Xen stops for
		 * preemption): with RCX left over, RIP stays on the instruction,
		 * which the guest simply executes again.
		 */
		if (count > REP_IO_PER_EXIT)
			count = REP_IO_PER_EXIT;
		for (; count; count--) {
			uint64_t va = *gpr(op <= 0x6d ? GPR_RDI : GPR_RSI);
			uint32_t data = 0xffffffff;	/* a port we do not own */

			for (unsigned int i = 0; i < size; i++) {
				uint8_t *b = (uint8_t *)&data + i;

				/* Xen's error codes: a write, or 0 for a read, whatever the cause. */
				if (op <= 0x6d ? copy_to_guest(va + i, b, 1) : copy_from_guest(b, va + i, 1)) {
					pv_inject_page_fault(va + i, op <= 0x6d ? PFEC_WRITE : 0);
					return true;
				}
			}
			*gpr(op <= 0x6d ? GPR_RDI : GPR_RSI) += (uint64_t)step;
			if (in->rep)
				(*gpr(GPR_RCX))--;
		}
		if (in->rep && *gpr(GPR_RCX))
			return true;
		break;
	}
	}
	pv_retire_insn(len);
	return true;
}

static uint64_t guest_cr0(void)
{
	return (dom.st->cr0 & ~CR0_TS) | (dom.fpu_ts ? CR0_TS : 0);
}

/* The CR4 the guest sees (Xen's pv_fixup_guest_cr4): Xen's visible bits and its own. */
static uint64_t guest_cr4(void)
{
	return PV_CR4_VISIBLE | dom.guest_cr4;
}

/* XCR0 components (Intel SDM vol. 1, 13.1). */
#define XCR0_X87	(1UL << 0)
#define XCR0_SSE	(1UL << 1)
#define XCR0_YMM	(1UL << 2)
#define XCR0_BNDREGS	(1UL << 3)
#define XCR0_BNDCSR	(1UL << 4)
#define XCR0_OPMASK	(1UL << 5)
#define XCR0_ZMM	(1UL << 6)
#define XCR0_HI_ZMM	(1UL << 7)
#define XCR0_TILECFG	(1UL << 17)
#define XCR0_TILEDATA	(1UL << 18)
#define XCR0_AVX512	(XCR0_OPMASK | XCR0_ZMM | XCR0_HI_ZMM)

/*
 * Xen's valid_xcr0(): the architectural rules between components. A value
 * the CPU supports bit by bit can still #GP in XSETBV; it must never reach
 * the host's XSETBV.
 */
static bool valid_xcr0(uint64_t v)
{
	if (!(v & XCR0_X87))
		return false;
	if ((v & XCR0_YMM) && !(v & XCR0_SSE))
		return false;
	if ((v & XCR0_AVX512) && (!(v & XCR0_YMM) || (v & XCR0_AVX512) != XCR0_AVX512))
		return false;
	if (!(v & XCR0_BNDREGS) != !(v & XCR0_BNDCSR))
		return false;
	if (!(v & XCR0_TILECFG) != !(v & XCR0_TILEDATA))
		return false;
	return true;
}

/*
 * XSETBV from the guest kernel (Xen's emulator, then handle_xsetbv): #UD
 * unless the guest's CR4 view has OSXSAVE; #GP(0) for any XCR but XCR0 or
 * a value outside the supported mask or against the rules.
 */
static bool emulate_xsetbv(bool *raised)
{
	uint64_t v = ((uint64_t)(uint32_t)*gpr(GPR_RDX) << 32) | (uint32_t)*gpr(GPR_RAX);
	uint32_t r[4];

	if (!(guest_cr4() & CR4_OSXSAVE)) {
		*raised = true;
		pv_inject_ud();
		return true;
	}
	if ((uint32_t)*gpr(GPR_RCX) != 0)
		return false;
	/* The domain's policy, not the CPU's: a component Xen hides stays hidden (handle_xsetbv). */
	pv_cpuid(0xd, 0, r, true);
	if ((v & ~(((uint64_t)r[3] << 32) | r[0])) || !valid_xcr0(v))
		return false;
	asm volatile("xsetbv" :: "a"((uint32_t)v), "d"((uint32_t)(v >> 32)), "c"(0));
	return true;
}

/* Kernel-only privileged instructions (0f xx). */
static bool emulate_0f(struct insn *in)
{
	uint8_t op = in->b[in->len + 1];
	unsigned int len = in->len + 2;
	bool raised = false;		/* an exception instead: the instruction did not retire */
	uint8_t modrm;
	unsigned int reg, rm;

	if (!dom.kernel_mode)
		return false;
	switch (op) {
	case 0x06:
		strict_log("clts");
		do_fpu_taskswitch(0);
		break;
	case 0x09:
		strict_log("wbinvd");
		break;			/* ignored for an unprivileged domain */
	case 0x20: case 0x22: case 0x21: case 0x23:
		if (in->len + 2 >= in->n)
			return false;
		modrm = in->b[in->len + 2];
		len++;
		reg = ((modrm >> 3) & 7) | ((in->rex & 4) ? 8 : 0);
		rm = (modrm & 7) | ((in->rex & 1) ? 8 : 0);
		if (op == 0x20) {
			strict_log("mov from cr");
			switch (reg) {
			case 0: *gpr(rm) = guest_cr0(); break;
			case 2: *gpr(rm) = dom.st->cr2; break;
			case 3: *gpr(rm) = dom.mmv.guest_table << PAGE_SHIFT; break;
			case 4: *gpr(rm) = guest_cr4(); break;
			default: return false;
			}
		} else if (op == 0x22) {
			uint64_t v = *gpr(rm);

			strict_log("mov to cr");
			switch (reg) {
			case 0:
				if ((v ^ guest_cr0()) & ~CR0_TS)
					return false;	/* only TS may change */
				do_fpu_taskswitch(!!(v & CR0_TS));
				break;
			case 2:
				dom.st->cr2 = v;
				vcpu_info0()->arch.cr2 = v;
				break;
			case 3:
				if (pv_new_guest_table(v >> PAGE_SHIFT))
					return false;
				break;
			case 4:
				/* Only the guest's bits stick; TSD and FSGSBASE reach the real CR4. */
				dom.guest_cr4 = v & pv_cr4_guest_mask();
				dom.st->cr4 = (dom.st->cr4 & ~CR4_GUEST_REAL) |
					      (dom.guest_cr4 & CR4_GUEST_REAL);
				break;
			default:
				return false;
			}
		} else if (op == 0x21) {
			/*
			 * Xen's x86emul_read_dr: DR8-15, and DR4/5 while the guest
			 * has CR4.DE, do not exist: #UD.
			 */
			strict_log("mov from dr");
			if (reg > 7 || ((reg == 4 || reg == 5) && (dom.guest_cr4 & CR4_DE))) {
				pv_inject_ud();
				raised = true;
				break;
			}
			*gpr(rm) = (uint64_t)do_get_debugreg((int)reg);
		} else {
			/* Xen's x86emul_write_dr: -ENODEV is #UD, any other error #GP(0). */
			long rc;

			strict_log("mov to dr");
			rc = reg > 7 ? -ENODEV : do_set_debugreg((int)reg, *gpr(rm));
			if (rc == -ENODEV) {
				pv_inject_ud();
				raised = true;
				break;
			}
			if (rc)
				return false;
		}
		break;
	case 0x31:
		/* RDTSC with the guest's CR4.TSD set: the kernel gets it emulated. */
		strict_log("rdtsc");
		{
			uint64_t t = rdtsc();

			*gpr(GPR_RAX) = (uint32_t)t;
			*gpr(GPR_RDX) = t >> 32;
		}
		break;
	case 0x01:
		if (in->len + 2 >= in->n)
			return false;
		if (in->b[in->len + 2] == 0xd1) {		/* XSETBV */
			strict_log("xsetbv");
			if (!emulate_xsetbv(&raised))
				return false;
			len++;
			break;
		}
		if (in->b[in->len + 2] == 0xf9) {		/* RDTSCP under TSD */
			uint64_t t = rdtsc();

			strict_log("rdtscp");
			*gpr(GPR_RAX) = (uint32_t)t;
			*gpr(GPR_RDX) = t >> 32;
			*gpr(GPR_RCX) = pv_tsc_aux();
			len++;
			break;
		}
		return false;
	case 0x30: {
		uint32_t msr = (uint32_t)*gpr(GPR_RCX);

		strict_log("wrmsr");
		if (!pv_wrmsr(msr, (*gpr(GPR_RDX) << 32) | (uint32_t)*gpr(GPR_RAX))) {
			printk("d%u: WRMSR %#x unimplemented", dom.domid, msr);
			return false;
		}
		break;
	}
	case 0x32: {
		uint32_t msr = (uint32_t)*gpr(GPR_RCX);
		uint64_t v;

		strict_log("rdmsr");
		if (!pv_rdmsr(msr, &v)) {
			printk("d%u: RDMSR %#x unimplemented", dom.domid, msr);
			return false;
		}
		*gpr(GPR_RAX) = (uint32_t)v;
		*gpr(GPR_RDX) = v >> 32;
		break;
	}
	default:
		return false;
	}
	if (!raised)
		pv_retire_insn(len);
	return true;
}

/*
 * Xen's emulator reads an instruction before it looks at it: a byte it
 * needs that cannot be read is the guest's #PF there, error code 0 (Xen's
 * fetch says neither "instruction fetch" nor "present"; the user bit is
 * set as for every PV #PF); an address the guest may not name is the
 * #GP(0) instead. need: the bytes the decoder needs so far.
 */
static bool fetch_faulted(const struct insn *in, unsigned int need, uint64_t *va)
{
	*va = dom.st->rip + in->n;
	if (need <= in->n || in->n == sizeof(in->b))
		return false;
	/* Xen's __addr_ok: its own range and non-canonical addresses are the #GP(0). */
	return (uint64_t)((int64_t)(*va << 16) >> 16) == *va &&
	       !(*va >= HYPERVISOR_VIRT_START && *va < HYPERVISOR_VIRT_END);
}

enum insn_read { INSN_READ, INSN_UNDECODABLE, INSN_FAULTED };

/* The prefixes and opcode bytes at RIP; INSN_FAULTED: reading them faults at *va. */
static enum insn_read read_insn(struct insn *in, uint64_t *va)
{
	memset(in, 0, sizeof(*in));
	if (!decode_prefixes(in))
		return fetch_faulted(in, in->len + 1, va) ? INSN_FAULTED : INSN_UNDECODABLE;
	if (in->b[in->len] == 0x0f && in->len + 1 >= in->n)
		return fetch_faulted(in, in->len + 2, va) ? INSN_FAULTED : INSN_UNDECODABLE;
	return INSN_READ;
}

bool emulate_fetch_faults(uint64_t *va)
{
	struct insn in;

	return read_insn(&in, va) == INSN_FAULTED;
}

bool emulate_privileged_op(void)
{
	struct insn in;
	uint64_t va;
	uint8_t op;

	switch (read_insn(&in, &va)) {
	case INSN_FAULTED:
		pv_inject_page_fault(va, 0);
		return true;
	case INSN_UNDECODABLE:
		return false;
	case INSN_READ:
		break;
	}
	op = in.b[in.len];
	switch (op) {
	case 0xfa:
	case 0xfb:
		strict_log(op == 0xfa ? "cli" : "sti");
		/* Xen: allowed by the virtual IOPL, then a no-op ("fast & loose"). */
		if (!iopl_ok())
			return false;
		pv_retire_insn(in.len + 1);
		return true;
	case 0xe4: case 0xe5: case 0xe6: case 0xe7:
	case 0xec: case 0xed: case 0xee: case 0xef:
	case 0x6c: case 0x6d: case 0x6e: case 0x6f:
		return emulate_io(&in, op);
	case 0x0f:
		if (in.len + 1 >= in.n)
			return false;
		return emulate_0f(&in);
	case 0xf4:
		strict_log("hlt");
		return false;
	default:
		strict_log("privileged instruction");
		return false;
	}
}

void emulate_cpuid_exit(uint64_t len)
{
	uint32_t r[4];

	pv_cpuid((uint32_t)GREG(RAX), (uint32_t)GREG(RCX), r, false);
	GREG(RAX) = r[0];
	GREG(RBX) = r[1];
	GREG(RCX) = r[2];
	GREG(RDX) = r[3];
	pv_retire_insn((unsigned int)len);
}

bool emulate_forced_cpuid(void)
{
	static const uint8_t sig[] = { 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2 };
	uint8_t b[sizeof(sig)];
	uint32_t r[4];

	if (fetch_insn(dom.st->rip, b, sizeof(b)) != sizeof(b) || memcmp(b, sig, sizeof(sig)))
		return false;
	pv_cpuid((uint32_t)GREG(RAX), (uint32_t)GREG(RCX), r, true);
	GREG(RAX) = r[0];
	GREG(RBX) = r[1];
	GREG(RCX) = r[2];
	GREG(RDX) = r[3];
	pv_retire_insn(sizeof(sig));
	return true;
}
