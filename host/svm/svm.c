/*
 * The AMD-V backend: one VMCB, nested paging (NPT), every exception
 * intercepted. Field offsets are from the AMD64 APM vol. 2, appendix B
 * ("Layout of VMCB"). Every field we set says why, in the style of
 * SimpleVisor.
 */
#include "host/boot/boot.h"
#include "host/host.h"
#include "host/nested_pt.h"
#include "host/vcpu.h"
#include "host/x86.h"

/* Control area. */
#define VMCB_CR_INTERCEPTS	0x000	/* u32: 15:0 reads, 31:16 writes */
#define VMCB_DR_INTERCEPTS	0x004
#define VMCB_EXC_INTERCEPTS	0x008
#define VMCB_INTERCEPTS1	0x00c
#define VMCB_INTERCEPTS2	0x010
#define VMCB_IOPM_BASE		0x040
#define VMCB_MSRPM_BASE		0x048
#define VMCB_TSC_OFFSET		0x050
#define VMCB_ASID		0x058	/* u32 */
#define VMCB_TLB_CONTROL	0x05c	/* u8 */
#define VMCB_VINTR		0x060
#define VMCB_INT_SHADOW		0x068
#define VMCB_EXITCODE		0x070
#define VMCB_EXITINFO1		0x078
#define VMCB_EXITINFO2		0x080
#define VMCB_EXITINTINFO	0x088
#define VMCB_NP_ENABLE		0x090
#define VMCB_EVENTINJ		0x0a8
#define VMCB_N_CR3		0x0b0
#define VMCB_CLEAN		0x0c0	/* u32 */
#define VMCB_NRIP		0x0c8

/* State save area. */
#define VMCB_ES			0x400	/* 16 bytes each: sel, attrib, limit, base */
#define VMCB_CS			0x410
#define VMCB_SS			0x420
#define VMCB_DS			0x430
#define VMCB_FS			0x440
#define VMCB_GS			0x450
#define VMCB_GDTR		0x460
#define VMCB_LDTR		0x470
#define VMCB_IDTR		0x480
#define VMCB_TR			0x490
#define VMCB_CPL		0x4cb	/* u8 */
#define VMCB_EFER		0x4d0
#define VMCB_CR4		0x548
#define VMCB_CR3		0x550
#define VMCB_CR0		0x558
#define VMCB_DR7		0x560
#define VMCB_DR6		0x568
#define VMCB_RFLAGS		0x570
#define VMCB_RIP		0x578
#define VMCB_RSP		0x5d8
#define VMCB_RAX		0x5f8
#define VMCB_STAR		0x600
#define VMCB_LSTAR		0x608
#define VMCB_CSTAR		0x610
#define VMCB_SFMASK		0x618
#define VMCB_KERNEL_GS_BASE	0x620
#define VMCB_SYSENTER_CS	0x628
#define VMCB_SYSENTER_ESP	0x630
#define VMCB_SYSENTER_EIP	0x638
#define VMCB_CR2		0x640
#define VMCB_G_PAT		0x668

/* Intercept vector 3 (offset 0x00c). */
#define I1_INTR		(1U << 0)
#define I1_NMI		(1U << 1)
#define I1_SMI		(1U << 2)
#define I1_INIT		(1U << 3)
#define I1_IDTR_WRITE	(1U << 10)
#define I1_GDTR_WRITE	(1U << 11)
#define I1_LDTR_WRITE	(1U << 12)
#define I1_TR_WRITE	(1U << 13)
#define I1_CPUID	(1U << 18)
#define I1_RSM		(1U << 19)
#define I1_INTN		(1U << 21)
#define I1_INVD		(1U << 22)
#define I1_HLT		(1U << 24)
#define I1_INVLPG	(1U << 25)
#define I1_INVLPGA	(1U << 26)
#define I1_IOIO		(1U << 27)
#define I1_MSR		(1U << 28)
#define I1_TASKSWITCH	(1U << 29)
#define I1_FERR_FREEZE	(1U << 30)
#define I1_SHUTDOWN	(1U << 31)
/* Intercept vector 4 (offset 0x010). */
#define I2_VMRUN	(1U << 0)
#define I2_VMMCALL	(1U << 1)
#define I2_VMLOAD	(1U << 2)
#define I2_VMSAVE	(1U << 3)
#define I2_STGI		(1U << 4)
#define I2_CLGI		(1U << 5)
#define I2_SKINIT	(1U << 6)
#define I2_WBINVD	(1U << 9)
#define I2_MONITOR	(1U << 10)
#define I2_MWAIT	(1U << 11)
#define I2_MWAIT_ARMED	(1U << 12)
#define I2_XSETBV	(1U << 13)

/* Exit codes. */
#define SVM_EXIT_CR_READ	0x00	/* 0x00-0x0f reads, 0x10-0x1f writes of CR0-15 */
#define SVM_EXIT_DR_READ	0x20	/* 0x20-0x2f reads, 0x30-0x3f writes of DR0-15 */
#define SVM_EXIT_EXCP_BASE	0x40
#define SVM_EXIT_INTR		0x60
#define SVM_EXIT_NMI		0x61
#define SVM_EXIT_SMI		0x62
#define SVM_EXIT_INIT		0x63
#define SVM_EXIT_IDTR_WRITE	0x6a	/* 0x6a-0x6d: LIDT, LGDT, LLDT, LTR */
#define SVM_EXIT_TR_WRITE	0x6d
#define SVM_EXIT_CPUID		0x72
#define SVM_EXIT_RSM		0x73
#define SVM_EXIT_SWINT		0x75
#define SVM_EXIT_INVD		0x76
#define SVM_EXIT_HLT		0x78
#define SVM_EXIT_INVLPG		0x79
#define SVM_EXIT_INVLPGA	0x7a
#define SVM_EXIT_IOIO		0x7b
#define SVM_EXIT_MSR		0x7c
#define SVM_EXIT_TASKSWITCH	0x7d
#define SVM_EXIT_FERR_FREEZE	0x7e
#define SVM_EXIT_SHUTDOWN	0x7f
#define SVM_EXIT_VMRUN		0x80	/* 0x80-0x86: VMRUN, VMMCALL, VMLOAD, VMSAVE, STGI, CLGI, SKINIT */
#define SVM_EXIT_VMMCALL	0x81
#define SVM_EXIT_SKINIT		0x86
#define SVM_EXIT_WBINVD		0x89
#define SVM_EXIT_MONITOR	0x8a	/* 0x8a-0x8c: MONITOR, MWAIT, MWAIT armed */
#define SVM_EXIT_MWAIT_ARMED	0x8c
#define SVM_EXIT_XSETBV		0x8d
#define SVM_EXIT_NPF		0x400
#define SVM_EXIT_INVALID	((uint64_t)-1)

#define MSR_VM_CR		0xc0010114
#define MSR_VM_HSAVE_PA		0xc0010117
#define VM_CR_SVMDIS		(1U << 4)

struct vcpu {
	struct vcpu_state st;		/* first: vcpu_state() casts */
	uint8_t *vmcb;
	uint64_t vmcb_pa;
	uint64_t npt_root;
	bool flush;
};

static uint64_t host_vmcb_pa;
static uint64_t iopm_pa, msrpm_pa;

void svm_enter(uint64_t vmcb_pa, uint64_t *gprs, uint64_t host_vmcb_pa);

#define F8(v, o)	(*(uint8_t *)((v)->vmcb + (o)))
#define F16(v, o)	(*(uint16_t *)((v)->vmcb + (o)))
#define F32(v, o)	(*(uint32_t *)((v)->vmcb + (o)))
#define F64(v, o)	(*(uint64_t *)((v)->vmcb + (o)))

static bool svm_probe(const char **why)
{
	uint32_t a, b, c, d;

	cpuid(0x80000000, &a, &b, &c, &d);
	if (a < 0x8000000a) {
		*why = "no CPUID leaf 0x8000000a";
		return false;
	}
	cpuid(0x80000001, &a, &b, &c, &d);
	if (!(c & (1U << 2))) {
		*why = "CPUID reports no SVM";
		return false;
	}
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		*why = "SVM disabled by firmware (VM_CR.SVMDIS)";
		return false;
	}
	cpuid(0x8000000a, &a, &b, &c, &d);
	if (!(d & 1)) {
		*why = "SVM without nested paging (NPT)";
		return false;
	}
	if (b < 2) {
		*why = "SVM with fewer than 2 ASIDs";
		return false;
	}
	return true;
}

static bool svm_enable(const char **why)
{
	uint64_t hsave = frame_alloc();
	uint64_t host_vmcb = frame_alloc();

	iopm_pa = frames_alloc(3);
	msrpm_pa = frames_alloc(2);
	if (!hsave || !host_vmcb || !iopm_pa || !msrpm_pa) {
		*why = "out of memory for SVM structures";
		return false;
	}
	/* Every port and every MSR access that passes the CPL checks exits. */
	memset(phys_to_virt(iopm_pa), 0xff, 3 * PAGE_SIZE);
	memset(phys_to_virt(msrpm_pa), 0xff, 2 * PAGE_SIZE);

	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, hsave);
	/* The host's VMLOAD/VMSAVE state, restored after every #VMEXIT. */
	host_vmcb_pa = host_vmcb;
	asm volatile("vmsave %%rax" :: "a"(host_vmcb_pa) : "memory");
	return true;
}

static struct vcpu *svm_create(void)
{
	static struct vcpu v0;		/* one vcpu: a PV guest with one VCPU */
	struct vcpu *v = &v0;

	v->vmcb_pa = frame_alloc();
	v->npt_root = frame_alloc();
	if (!v->vmcb_pa || !v->npt_root)
		return NULL;
	v->vmcb = phys_to_virt(v->vmcb_pa);

	/*
	 * The guest runs at CPL 3, where every CR write and every DR access
	 * #GPs before its intercept is checked (APM 15.7: "simple exceptions"
	 * first). Intercept them anyway: if the guest ever reached CPL 0, it
	 * would still never change a control register. CR reads stay off: SMSW
	 * reads CR0 legally at CPL 3 (and takes the CR0 read intercept), as it
	 * runs natively under Xen.
	 */
	F32(v, VMCB_CR_INTERCEPTS) = 0xffff0000;
	F32(v, VMCB_DR_INTERCEPTS) = 0xffffffff;
	/* Every exception: Xen bounces each to the guest's trap table (or emulates). */
	F32(v, VMCB_EXC_INTERCEPTS) = 0xffffffff;
	F32(v, VMCB_INTERCEPTS1) =
		I1_INTR |		/* a host interrupt must reach the host */
		I1_NMI |		/* likewise NMIs */
		I1_SMI |		/* and SMIs */
		I1_INIT |		/* an INIT must not reset our guest behind our back */
		I1_IDTR_WRITE | I1_GDTR_WRITE |	/* LIDT/LGDT/LLDT/LTR #GP at CPL 3 */
		I1_LDTR_WRITE | I1_TR_WRITE |	/* first; never natively */
		I1_CPUID |		/* the guest sees Xen's CPUID policy, not the raw CPU */
		I1_RSM |		/* #UD outside SMM; never natively */
		I1_INTN |		/* QEMU checks INT3/INT n against this, not the #BP intercept */
		I1_INVD |		/* never let a guest drop dirty cache lines */
		I1_HLT |		/* CPL 3 HLT #GPs first; belt and braces */
		I1_INVLPG | I1_INVLPGA |	/* TLB control is ours (CPL 3 #GPs first) */
		I1_IOIO |		/* no port reaches hardware (IOPM is all ones) */
		I1_MSR |		/* no MSR reaches hardware (MSRPM is all ones) */
		I1_TASKSWITCH |		/* no task switches in long mode, but never natively */
		I1_FERR_FREEZE |	/* legacy FERR handling is the host's */
		I1_SHUTDOWN;		/* a triple fault must not reset the machine */
	/*
	 * Left off in vector 3, each harmless for a CPL 3 PV kernel, as on Xen:
	 * VINTR (we inject nothing), CR0 selective write (all CR writes are
	 * intercepted), IDTR/GDTR/LDTR/TR reads (SIDT & co. run natively under
	 * Xen, and show our Xen-like tables), RDTSC and RDPMC (native under
	 * Xen; RDPMC #GPs at CPL 3 without CR4.PCE), PUSHF/POPF and IRET (the
	 * guest's own, at CPL 3), PAUSE (a hint).
	 */
	F32(v, VMCB_INTERCEPTS2) =
		I2_VMRUN |		/* required by the architecture (VMRUN fails without it) */
		I2_VMMCALL |		/* outside a VM (as a Xen PV guest is) VMMCALL is #UD */
		I2_VMLOAD | I2_VMSAVE |	/* would reach host-physical memory if CPL were 0: */
		I2_STGI | I2_CLGI |	/* CPL 3 #GPs first; these make sure nothing */
		I2_SKINIT |		/* else ever runs them for the guest */
		I2_WBINVD |		/* cache control stays with the host */
		I2_MONITOR | I2_MWAIT |	/* #UD at CPL 3; the host's idle, never the guest's */
		I2_MWAIT_ARMED |
		I2_XSETBV;		/* XCR0 is the host's (SVM does not switch it) */
	/*
	 * Left off in vector 4: RDTSCP (native for a Xen PV guest), ICEBP
	 * (INT1 arrives as a #DB exception, which is intercepted), RDPRU,
	 * the EFER and CR write traps (SEV-ES only).
	 */
	/* The permission maps for the IOIO and MSR intercepts: all ones. */
	F64(v, VMCB_IOPM_BASE) = iopm_pa;
	F64(v, VMCB_MSRPM_BASE) = msrpm_pa;
	/* The guest reads the real TSC, as a Xen PV guest does. */
	F64(v, VMCB_TSC_OFFSET) = 0;
	/* ASID 0 is the host's; the guest's translations are tagged 1. */
	F32(v, VMCB_ASID) = 1;
	/* Flush at the first VMRUN: nothing stale from firmware or a previous run. */
	F8(v, VMCB_TLB_CONTROL) = 1;
	/* V_INTR_MASKING: the guest's RFLAGS.IF never masks host interrupts. */
	F64(v, VMCB_VINTR) = 1UL << 24;
	/* Guest-physical addresses go through our NPT: the guest sees only its frames. */
	F64(v, VMCB_NP_ENABLE) = 1;
	F64(v, VMCB_N_CR3) = v->npt_root;
	/* No event injection: exceptions are bounced in software, Xen-style. */
	F64(v, VMCB_EVENTINJ) = 0;
	/* Clean bits 0: QEMU and real CPUs alike reload everything each VMRUN. */
	F32(v, VMCB_CLEAN) = 0;
	/* The guest's PAT: the architectural reset value, as Xen gives PV guests. */
	v->st.pat = 0x0000050100070406UL;	/* Xen's PAT, as its PV guests see */
	return v;
}

/* Our access-rights layout (VMX) to the VMCB's compressed attrib. */
static uint16_t attr_to_svm(uint32_t ar)
{
	if (ar & SEG_ATTR_UNUSABLE)
		return 0;
	return (uint16_t)((ar & 0xff) | ((ar >> 4) & 0xf00));
}

static uint32_t attr_from_svm(uint16_t a)
{
	uint32_t ar = (a & 0xff) | ((uint32_t)(a & 0xf00) << 4);

	if (!(a & 0x80))
		ar |= SEG_ATTR_UNUSABLE;	/* not present */
	return ar;
}

static const unsigned int seg_off[NR_SEGS] = {
	[SEG_ES] = VMCB_ES, [SEG_CS] = VMCB_CS, [SEG_SS] = VMCB_SS,
	[SEG_DS] = VMCB_DS, [SEG_FS] = VMCB_FS, [SEG_GS] = VMCB_GS,
	[SEG_LDTR] = VMCB_LDTR, [SEG_TR] = VMCB_TR,
};

static void load_state(struct vcpu *v)
{
	struct vcpu_state *s = &v->st;

	/* Segments as the PV layer keeps them: FLAT_KERNEL_CS/SS from Xen's GDT, TR our TSS. */
	for (int i = 0; i < NR_SEGS; i++) {
		unsigned int o = seg_off[i];

		F16(v, o) = s->seg[i].sel;
		F16(v, o + 2) = attr_to_svm(s->seg[i].attr);
		F32(v, o + 4) = s->seg[i].limit;
		F64(v, o + 8) = s->seg[i].base;
	}
	/* Xen's per-domain GDT (guest pages + Xen's reserved page), limit 0xefff. */
	F16(v, VMCB_GDTR + 2) = 0;
	F32(v, VMCB_GDTR + 4) = s->gdtr.limit;
	F64(v, VMCB_GDTR + 8) = s->gdtr.base;
	/* A Xen-like IDT: only INT n consults it (exceptions are intercepted first). */
	F32(v, VMCB_IDTR + 4) = s->idtr.limit;
	F64(v, VMCB_IDTR + 8) = s->idtr.base;
	/*
	 * SVM takes the CPL from here, not from CS or SS: always 3. A PV guest
	 * (kernel and user alike) never runs at any other privilege level, and
	 * deriving it from a segment would let a bad selector give it CPL 0.
	 */
	F8(v, VMCB_CPL) = 3;
	/* The interrupt shadow of the instruction at RIP (cleared if the PV layer moved RIP). */
	F64(v, VMCB_INT_SHADOW) = s->intr_shadow ? 1 : 0;
	/* SVME must be set in the guest's EFER or VMRUN fails its checks. */
	F64(v, VMCB_EFER) = s->efer | EFER_SVME;
	/* Xen's CR0 (AM, lazy TS), the guest's CR2, its kernel or user L4, Xen's CR4. */
	F64(v, VMCB_CR0) = s->cr0;
	F64(v, VMCB_CR2) = s->cr2;
	F64(v, VMCB_CR3) = s->cr3;
	F64(v, VMCB_CR4) = s->cr4;
	/* DR6 at its reset value so a #DB shows only new status bits; DR7 the guest's. */
	F64(v, VMCB_DR6) = 0xffff0ff0;
	F64(v, VMCB_DR7) = s->dr7 | 0x400;
	/* Where the guest continues (RAX and RSP live in the VMCB, not in svm_enter). */
	F64(v, VMCB_RFLAGS) = s->rflags;
	F64(v, VMCB_RIP) = s->rip;
	F64(v, VMCB_RSP) = s->gpr[GPR_RSP];
	F64(v, VMCB_RAX) = s->gpr[GPR_RAX];
	/* The inactive GS base: Xen swaps it with GS on kernel/user switches. */
	F64(v, VMCB_KERNEL_GS_BASE) = s->kernel_gs_base;
	/* SYSCALL/SYSENTER MSRs zero: EFER.SCE is clear, SYSCALL #UDs into us. */
	F64(v, VMCB_STAR) = 0;
	F64(v, VMCB_LSTAR) = 0;
	F64(v, VMCB_CSTAR) = 0;
	F64(v, VMCB_SFMASK) = 0;
	F64(v, VMCB_SYSENTER_CS) = 0;
	F64(v, VMCB_SYSENTER_ESP) = 0;
	F64(v, VMCB_SYSENTER_EIP) = 0;
	/* Xen's PAT (PV domUs may not set cache attributes anyway). */
	F64(v, VMCB_G_PAT) = s->pat;
	/* A pending flush (page tables or CR3 changed by a hypercall). */
	F8(v, VMCB_TLB_CONTROL) = v->flush ? 1 : 0;
	v->flush = false;
}

static void save_state(struct vcpu *v)
{
	struct vcpu_state *s = &v->st;

	for (int i = 0; i < NR_SEGS; i++) {
		unsigned int o = seg_off[i];

		s->seg[i].sel = F16(v, o);
		s->seg[i].attr = attr_from_svm(F16(v, o + 2));
		s->seg[i].limit = F32(v, o + 4);
		s->seg[i].base = F64(v, o + 8);
	}
	s->gdtr.limit = (uint16_t)F32(v, VMCB_GDTR + 4);
	s->gdtr.base = F64(v, VMCB_GDTR + 8);
	s->idtr.limit = (uint16_t)F32(v, VMCB_IDTR + 4);
	s->idtr.base = F64(v, VMCB_IDTR + 8);
	s->efer = F64(v, VMCB_EFER) & ~EFER_SVME;
	s->cr0 = F64(v, VMCB_CR0);
	s->cr2 = F64(v, VMCB_CR2);
	s->cr3 = F64(v, VMCB_CR3);
	s->cr4 = F64(v, VMCB_CR4);
	s->rflags = F64(v, VMCB_RFLAGS);
	s->rip = F64(v, VMCB_RIP);
	s->gpr[GPR_RSP] = F64(v, VMCB_RSP);
	s->gpr[GPR_RAX] = F64(v, VMCB_RAX);
	s->kernel_gs_base = F64(v, VMCB_KERNEL_GS_BASE);
	/* AMD-V has one shadow bit for STI and MOV SS alike: keep it as one. */
	s->intr_shadow = (F64(v, VMCB_INT_SHADOW) & 1) ? INTR_SHADOW_MOV_SS : 0;
	s->pending_dbg = 0;		/* AMD-V keeps no pending debug state */
}

static void svm_run(struct vcpu *v, struct vexit *e)
{
	uint64_t code;

	load_state(v);
	svm_enter(v->vmcb_pa, v->st.gpr, host_vmcb_pa);
	save_state(v);

	code = F64(v, VMCB_EXITCODE);
	memset(e, 0, sizeof(*e));
	e->raw = code;
	e->raw_info1 = F64(v, VMCB_EXITINFO1);
	e->raw_info2 = F64(v, VMCB_EXITINFO2);

	if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_EXCP_BASE + 32) {
		e->kind = VEXIT_EXCEPTION;
		e->vector = (uint32_t)(code - SVM_EXIT_EXCP_BASE);
		switch (e->vector) {
		case X86_EXC_DF: case X86_EXC_TS: case X86_EXC_NP:
		case X86_EXC_SS: case X86_EXC_GP: case X86_EXC_PF:
		case X86_EXC_AC: case X86_EXC_CP:
			e->has_error = true;
			e->error_code = (uint32_t)e->raw_info1;
			break;
		}
		if (e->vector == X86_EXC_PF)
			e->cr2 = e->raw_info2;
		if (e->vector == X86_EXC_DB)
			e->dr6 = F64(v, VMCB_DR6) & 0xe00f;
		return;
	}
	if (code < SVM_EXIT_EXCP_BASE) {
		/* CR0-15 / DR0-15 access: at CPL 3 a #GP(0) (see svm_create). */
		e->kind = VEXIT_GP0;
		return;
	}
	switch (code) {
	case SVM_EXIT_INTR: case SVM_EXIT_NMI: case SVM_EXIT_SMI: case SVM_EXIT_INIT:
		e->kind = VEXIT_INTR;
		break;
	case SVM_EXIT_CPUID:
		e->kind = VEXIT_CPUID;
		e->insn_len = 2;
		break;
	case SVM_EXIT_SWINT:
		e->kind = VEXIT_SWINT;
		break;
	case SVM_EXIT_IDTR_WRITE ... SVM_EXIT_TR_WRITE:
	case SVM_EXIT_INVD:
	case SVM_EXIT_HLT:
	case SVM_EXIT_INVLPG:
	case SVM_EXIT_INVLPGA:
	case SVM_EXIT_IOIO:
	case SVM_EXIT_MSR:
	case SVM_EXIT_WBINVD:
	case SVM_EXIT_XSETBV:
		/* Privileged: #GP(0) at CPL 3 on a Xen host (and hence for us). */
		e->kind = VEXIT_GP0;
		break;
	case SVM_EXIT_VMRUN ... SVM_EXIT_SKINIT:
		/*
		 * Xen runs with EFER.SVME set on AMD-V, so at CPL 3 these #GP(0);
		 * VMMCALL outside a VM is #UD.
		 */
		e->kind = code == SVM_EXIT_VMMCALL ? VEXIT_UD : VEXIT_GP0;
		break;
	case SVM_EXIT_RSM:
	case SVM_EXIT_MONITOR ... SVM_EXIT_MWAIT_ARMED:
		e->kind = VEXIT_UD;
		break;
	case SVM_EXIT_SHUTDOWN:
		e->kind = VEXIT_SHUTDOWN;
		break;
	case SVM_EXIT_NPF:
		e->kind = VEXIT_NPF;
		e->gpa = e->raw_info2;
		e->npf_write = e->raw_info1 & 2;
		e->npf_fetch = e->raw_info1 & 16;
		break;
	case SVM_EXIT_INVALID:
		e->kind = VEXIT_FAILED;
		break;
	default:
		/* TASKSWITCH, FERR_FREEZE and anything new: the PV layer crashes the domain. */
		e->kind = VEXIT_OTHER;
		break;
	}
}

static bool svm_map(struct vcpu *v, uint64_t gpa, uint64_t hpa, unsigned int prot)
{
	/* NPT treats every guest access as a user access: U on every level. */
	uint64_t leaf = hpa | PTE_P | PTE_U | PTE_A | PTE_D;

	if (prot & VMAP_W)
		leaf |= PTE_W;
	if (!(prot & VMAP_X) && (rdmsr(MSR_EFER) & EFER_NXE))
		leaf |= PTE_NX;
	v->flush = true;
	return nested_pt_set(v->npt_root, gpa, leaf, PTE_P | PTE_W | PTE_U | PTE_A);
}

static void svm_flush_tlb(struct vcpu *v)
{
	v->flush = true;
}

const struct vcpu_backend svm_backend = {
	.name = "AMD-V (SVM, NPT)",
	.probe = svm_probe,
	.enable = svm_enable,
	.create = svm_create,
	.map = svm_map,
	.run = svm_run,
	.flush_tlb = svm_flush_tlb,
};
