/*
 * The VT-x backend: one VMCS, EPT, every exception intercepted. Field
 * encodings are from the Intel SDM vol. 3, appendix B; every control and
 * guest-state field we set says why, in the style of SimpleVisor.
 */
#include "host/boot/boot.h"
#include "host/host.h"
#include "host/nested_pt.h"
#include "host/vcpu.h"
#include "host/vmx/vmx.h"
#include "host/x86.h"

static uint64_t vmxon_pa;
static int invvpid_type;		/* 0: no usable VPID */
static uint32_t vmcs_revision;
static uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;

int vmx_enter(uint64_t *gprs, int launched);
extern char vmx_exit_entry[];

static inline void vmwrite(uint64_t field, uint64_t value)
{
	bool fail;

	asm volatile("vmwrite %[v], %[f]; setna %[fail]"
		     : [fail] "=qm"(fail) : [v] "rm"(value), [f] "r"(field) : "cc");
	if (fail)
		panic("vmwrite %#lx <- %#lx failed", (unsigned long)field, (unsigned long)value);
}

static inline uint64_t vmread(uint64_t field)
{
	uint64_t v = 0;

	asm volatile("vmread %[f], %[v]" : [v] "=rm"(v) : [f] "r"(field) : "cc");
	return v;
}

/* Desired control bits, adjusted to what the CPU allows; required bits checked. */
static uint32_t adjust(uint32_t msr, uint32_t want, uint32_t need, const char *what)
{
	uint64_t cap = rdmsr(msr);
	uint32_t v = (want | (uint32_t)cap) & (uint32_t)(cap >> 32);

	if ((v & need) != need)
		fatal(EXIT_NO_VIRT, "VT-x: %s controls lack %#x (allowed %#lx)", what,
		      need & ~v, (unsigned long)cap);
	return v;
}

static bool vmx_probe(const char **why)
{
	uint32_t a, b, c, d;
	uint64_t fc, basic, proc, proc2, ept;

	cpuid(1, &a, &b, &c, &d);
	if (!(c & (1U << 5))) {
		*why = "CPUID reports no VMX";
		return false;
	}
	fc = rdmsr(MSR_FEATURE_CONTROL);
	if ((fc & FEATURE_CONTROL_LOCK) && !(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX)) {
		*why = "VMX disabled by firmware (IA32_FEATURE_CONTROL locked)";
		return false;
	}
	basic = rdmsr(MSR_VMX_BASIC);
	if (((basic >> 50) & 0xf) != 6) {
		*why = "VMCS memory type is not write-back";
		return false;
	}
	proc = rdmsr(MSR_VMX_PROCBASED);
	if (!((proc >> 32) & PROC_SECONDARY)) {
		*why = "no secondary processor-based controls";
		return false;
	}
	proc2 = rdmsr(MSR_VMX_PROCBASED2);
	if (!((proc2 >> 32) & PROC2_EPT)) {
		*why = "no EPT";
		return false;
	}
	ept = rdmsr(MSR_VMX_EPT_VPID_CAP);
	if (!(ept & (1UL << 6)) || !(ept & (1UL << 14))) {
		*why = "EPT without 4-level walks or write-back tables";
		return false;
	}
	return true;
}

static bool vmx_enable(const char **why)
{
	uint64_t fc = rdmsr(MSR_FEATURE_CONTROL);
	uint32_t *region;
	bool fail;

	if (!(fc & FEATURE_CONTROL_LOCK))
		wrmsr(MSR_FEATURE_CONTROL, fc | FEATURE_CONTROL_LOCK |
		      FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
	vmcs_revision = (uint32_t)rdmsr(MSR_VMX_BASIC) & 0x7fffffff;
	/* VPID only with an INVVPID that can drop one VPID's (or all) translations. */
	if ((rdmsr(MSR_VMX_PROCBASED2) >> 32) & PROC2_VPID) {
		uint64_t cap = rdmsr(MSR_VMX_EPT_VPID_CAP);

		if ((cap & CAP_INVVPID) && (cap & CAP_INVVPID_SINGLE))
			invvpid_type = INVVPID_SINGLE_CONTEXT;
		else if ((cap & CAP_INVVPID) && (cap & CAP_INVVPID_ALL))
			invvpid_type = INVVPID_ALL_CONTEXT;
	}
	cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
	cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
	cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
	cr4_fixed1 = rdmsr(MSR_VMX_CR4_FIXED1);
	/* VMX operation wants CR0.NE (and the rest of the fixed bits). */
	write_cr0((read_cr0() | cr0_fixed0 | CR0_NE) & cr0_fixed1);
	write_cr4((read_cr4() | cr4_fixed0 | CR4_VMXE) & cr4_fixed1);

	vmxon_pa = frame_alloc();
	if (!vmxon_pa) {
		*why = "out of memory for the VMXON region";
		return false;
	}
	region = phys_to_virt(vmxon_pa);
	region[0] = vmcs_revision;
	asm volatile("vmxon %[pa]; setna %[fail]" : [fail] "=qm"(fail) : [pa] "m"(vmxon_pa) : "cc", "memory");
	if (fail) {
		*why = "VMXON failed";
		return false;
	}
	return true;
}

static void set_host_state(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr, idtr;
	uint16_t tr;

	asm volatile("sgdt %0" : "=m"(gdtr));
	asm volatile("sidt %0" : "=m"(idtr));
	asm volatile("str %0" : "=r"(tr));
	/* The host after a VM exit: parahost as it runs now. */
	vmwrite(HOST_CR0, read_cr0());
	vmwrite(HOST_CR3, read_cr3());
	vmwrite(HOST_CR4, read_cr4());
	vmwrite(HOST_CS_SELECTOR, 0x08);
	vmwrite(HOST_SS_SELECTOR, 0x10);
	vmwrite(HOST_DS_SELECTOR, 0x10);
	vmwrite(HOST_ES_SELECTOR, 0x10);
	vmwrite(HOST_FS_SELECTOR, 0);
	vmwrite(HOST_GS_SELECTOR, 0);
	vmwrite(HOST_TR_SELECTOR, tr);
	vmwrite(HOST_FS_BASE, 0);
	vmwrite(HOST_GS_BASE, 0);
	{
		/* TR base from its descriptor in our GDT. */
		const uint64_t *g = (const uint64_t *)gdtr.base;
		uint64_t lo = g[tr >> 3], hi = g[(tr >> 3) + 1];

		vmwrite(HOST_TR_BASE, ((lo >> 16) & 0xffffff) | ((lo >> 56) << 24) | (hi << 32));
	}
	vmwrite(HOST_GDTR_BASE, gdtr.base);
	vmwrite(HOST_IDTR_BASE, idtr.base);
	vmwrite(HOST_SYSENTER_CS, 0);
	vmwrite(HOST_SYSENTER_ESP, 0);
	vmwrite(HOST_SYSENTER_EIP, 0);
	vmwrite(HOST_IA32_EFER, rdmsr(MSR_EFER));
	vmwrite(HOST_IA32_PAT, rdmsr(MSR_PAT));
	vmwrite(HOST_RIP, (uint64_t)vmx_exit_entry);
}

static struct vcpu *vmx_create(void)
{
	static struct vcpu v0;		/* one vcpu: a PV guest with one VCPU */
	struct vcpu *v = &v0;
	bool true_ctls = rdmsr(MSR_VMX_BASIC) & (1UL << 55);
	uint32_t pin, proc, proc2, exit, entry;
	bool fail;

	v->vmcs_pa = frame_alloc();
	v->ept_root = frame_alloc();
	if (!v->vmcs_pa || !v->ept_root)
		return NULL;
	*(uint32_t *)phys_to_virt(v->vmcs_pa) = vmcs_revision;
	asm volatile("vmclear %[pa]; setna %[fail]" : [fail] "=qm"(fail) : [pa] "m"(v->vmcs_pa) : "cc", "memory");
	if (fail)
		panic("VMCLEAR failed");
	asm volatile("vmptrld %[pa]; setna %[fail]" : [fail] "=qm"(fail) : [pa] "m"(v->vmcs_pa) : "cc", "memory");
	if (fail)
		panic("VMPTRLD failed");

	pin = adjust(true_ctls ? MSR_VMX_TRUE_PINBASED : MSR_VMX_PINBASED,
		     PIN_EXTINT_EXITING |	/* host interrupts belong to the host */
		     PIN_NMI_EXITING,		/* and so do NMIs */
		     PIN_EXTINT_EXITING | PIN_NMI_EXITING, "pin-based");
	/*
	 * Pin-based, left off: virtual NMIs (we never inject an NMI), the
	 * preemption timer (the host's PIT tick forces exits), posted
	 * interrupts (no virtual APIC).
	 */
	proc = adjust(true_ctls ? MSR_VMX_TRUE_PROCBASED : MSR_VMX_PROCBASED,
		      PROC_UNCOND_IO_EXITING |	/* no port reaches hardware */
		      PROC_SECONDARY,		/* for EPT and VPID */
		      PROC_UNCOND_IO_EXITING | PROC_SECONDARY, "processor-based");
	/*
	 * Processor-based, left off. The guest runs at CPL 3, where HLT,
	 * INVLPG, RDPMC (CR4.PCE clear), MOV to/from CR3 and CR8 and MOV DR
	 * raise #GP before any VM exit is considered, and MONITOR/MWAIT #UD:
	 * Xen's answers, from the hardware itself (Bochs 2.7 checks some of
	 * these exit controls before the CPL, which real CPUs do not). Also
	 * off: interrupt- and NMI-window exiting (nothing is injected), TSC
	 * offsetting and RDTSC exiting (a Xen PV guest reads the real TSC), the
	 * TPR shadow (no virtual APIC), the monitor trap flag, I/O bitmaps
	 * (every port exits unconditionally), MSR bitmaps (so every RDMSR/WRMSR
	 * would exit; at CPL 3 they #GP first), PAUSE exiting (a hint).
	 */
	proc2 = adjust(MSR_VMX_PROCBASED2,
		       PROC2_EPT |		/* guest-physical = the guest's machine frames */
		       PROC2_RDTSCP |		/* RDTSCP/RDPID work for a Xen PV guest; #UD without this */
		       PROC2_INVPCID |		/* likewise INVPCID's fault is the CPU's, not #UD */
		       (invvpid_type ? PROC2_VPID : 0),	/* tag guest TLB entries: see vmx_flush_tlb */
		       PROC2_EPT, "secondary");
	/*
	 * Secondary, left off: APIC virtualization of every kind (the guest
	 * has no local APIC), descriptor-table exiting (SGDT/SIDT run natively
	 * under Xen and show our Xen-like tables; LGDT & co. #GP at CPL 3),
	 * WBINVD exiting (#GP at CPL 3 first), unrestricted guest (a paged
	 * 64-bit guest), PAUSE-loop exiting, RDRAND/RDSEED exiting (native
	 * under Xen), VM functions (VMFUNC is then #UD, as in VMX root on a Xen
	 * host), VMCS shadowing, ENCLS/ENCLV exiting (no SGX), PML, #VE,
	 * XSAVES/XRSTORS (then #UD; a Xen PV guest sees no XSAVES in CPUID),
	 * mode-based execute control, sub-page permissions, TSC scaling, user
	 * wait/pause (UMWAIT/TPAUSE #UD; this CPU model has no WAITPKG), and
	 * the Processor Trace controls.
	 */
	exit = adjust(true_ctls ? MSR_VMX_TRUE_EXIT : MSR_VMX_EXIT,
		      EXIT_SAVE_DEBUG |		/* the guest's DR7 (set_debugreg) back into the VMCS */
		      EXIT_HOST_64 |		/* parahost is 64-bit */
		      EXIT_SAVE_EFER | EXIT_LOAD_EFER |	/* the guest's EFER (SCE clear) is not ours */
		      EXIT_SAVE_PAT | EXIT_LOAD_PAT,	/* nor its PAT */
		      EXIT_HOST_64 | EXIT_LOAD_EFER, "VM-exit");
	/*
	 * VM-exit, left off: loading PERF_GLOBAL_CTRL (no counters in use),
	 * acknowledging interrupts on exit (we take them with STI after the
	 * exit), saving the preemption timer, clearing BNDCFGS (no MPX).
	 */
	entry = adjust(true_ctls ? MSR_VMX_TRUE_ENTRY : MSR_VMX_ENTRY,
		       ENTRY_LOAD_DEBUG |	/* the guest's breakpoints must be armed in the guest */
		       ENTRY_IA32E_GUEST |	/* the guest is a 64-bit kernel */
		       ENTRY_LOAD_EFER |	/* with its own EFER */
		       ENTRY_LOAD_PAT,		/* and PAT */
		       ENTRY_IA32E_GUEST | ENTRY_LOAD_EFER, "VM-entry");
	/*
	 * VM-entry, left off: entry to SMM and dual-monitor treatment,
	 * loading PERF_GLOBAL_CTRL and BNDCFGS.
	 */

	vmwrite(PIN_BASED_CONTROLS, pin);
	vmwrite(PROC_BASED_CONTROLS, proc);
	vmwrite(PROC_BASED_CONTROLS2, proc2);
	vmwrite(EXIT_CONTROLS, exit);
	vmwrite(ENTRY_CONTROLS, entry);
	/* Every exception: Xen bounces each to the guest's trap table (or emulates). */
	vmwrite(EXCEPTION_BITMAP, 0xffffffff);
	/* With mask = match = 0, every #PF exits (bit 14 of the bitmap decides). */
	vmwrite(PF_ERROR_CODE_MASK, 0);
	vmwrite(PF_ERROR_CODE_MATCH, 0);
	/* No CR3-target values: CR3 is never written by the guest at CPL 3 anyway. */
	vmwrite(CR3_TARGET_COUNT, 0);
	/* No MSR lists: EFER and PAT have their own fields, the rest we switch by hand. */
	vmwrite(EXIT_MSR_STORE_COUNT, 0);
	vmwrite(EXIT_MSR_LOAD_COUNT, 0);
	vmwrite(ENTRY_MSR_LOAD_COUNT, 0);
	/* Nothing injected: exceptions are bounced in software, Xen-style. */
	vmwrite(ENTRY_INTR_INFO, 0);
	/* The guest reads the real TSC, as a Xen PV guest does. */
	vmwrite(TSC_OFFSET, 0);
	/* CR0/CR4 owned by the host (mask all ones); reads see the shadows. */
	vmwrite(CR0_GUEST_HOST_MASK, ~0UL);
	vmwrite(CR4_GUEST_HOST_MASK, ~0UL);
	/* EPT: write-back tables, 4-level walk (3 = levels - 1), no A/D flags. */
	vmwrite(EPT_POINTER, v->ept_root | 6 | (3 << 3));
	/*
	 * VPID: the guest's linear translations are tagged and survive VM
	 * transitions, as a real TLB's do across Xen's guest entries, so a
	 * missing flush shows up as a stale translation (the mm tests) instead
	 * of being hidden by the flush every untagged transition does.
	 */
	if (invvpid_type)
		vmwrite(VIRTUAL_PROCESSOR_ID, GUEST_VPID);
	/* No shadow VMCS. */
	vmwrite(VMCS_LINK_POINTER, ~0UL);
	vmwrite(GUEST_IA32_DEBUGCTL, 0);
	vmwrite(GUEST_SYSENTER_CS, 0);
	vmwrite(GUEST_SYSENTER_ESP, 0);
	vmwrite(GUEST_SYSENTER_EIP, 0);
	/* Active (the guest never halts: HLT #GPs at CPL 3). */
	vmwrite(GUEST_ACTIVITY_STATE, 0);
	set_host_state();
	v->st.pat = 0x0000050100070406UL;	/* Xen's PAT, as its PV guests see */
	v->flush_ept = v->flush_vpid = true;
	return v;
}

/* Our access rights are the VMX layout already. */
static void load_state(struct vcpu *v)
{
	struct vcpu_state *s = &v->st;
	uint64_t cr4 = s->cr4;

	/* Segments as the PV layer keeps them: FLAT_KERNEL_CS/SS from Xen's GDT, TR our TSS. */
	for (int i = 0; i < NR_SEGS; i++) {
		vmwrite(GUEST_ES_SELECTOR + 2 * i, s->seg[i].sel);
		vmwrite(GUEST_ES_LIMIT + 2 * i, s->seg[i].limit);
		vmwrite(GUEST_ES_AR + 2 * i, s->seg[i].attr);
		vmwrite(GUEST_ES_BASE + 2 * i, s->seg[i].base);
	}
	/* Xen's per-domain GDT (guest pages + Xen's reserved page), limit 0xefff. */
	vmwrite(GUEST_GDTR_BASE, s->gdtr.base);
	vmwrite(GUEST_GDTR_LIMIT, s->gdtr.limit);
	/* A Xen-like IDT: only INT n consults it (exceptions exit first). */
	vmwrite(GUEST_IDTR_BASE, s->idtr.base);
	vmwrite(GUEST_IDTR_LIMIT, s->idtr.limit);
	/* The real CR0/CR4 obey VMX's fixed bits; the shadows show the guest's values. */
	vmwrite(GUEST_CR0, (s->cr0 | cr0_fixed0) & cr0_fixed1);
	vmwrite(CR0_READ_SHADOW, s->cr0);
	vmwrite(GUEST_CR4, (cr4 | cr4_fixed0) & cr4_fixed1);
	vmwrite(CR4_READ_SHADOW, cr4);
	/* The guest's kernel or user L4, as a guest-physical address under EPT. */
	vmwrite(GUEST_CR3, s->cr3);
	/* The guest's breakpoints (set_debugreg); DR0-3 are loaded directly. */
	vmwrite(GUEST_DR7, s->dr7 | 0x400);
	/* Where the guest continues (RSP lives in the VMCS, the rest in vmx_enter). */
	vmwrite(GUEST_RSP, s->gpr[GPR_RSP]);
	vmwrite(GUEST_RIP, s->rip);
	vmwrite(GUEST_RFLAGS, s->rflags);
	/* Long mode with NX, SCE clear: a SYSCALL #UDs into us as a hypercall. */
	vmwrite(GUEST_IA32_EFER, s->efer);
	/* Xen's PAT (PV domUs may not set cache attributes anyway). */
	vmwrite(GUEST_IA32_PAT, s->pat);
	/* KERNEL_GS_BASE has no VMCS field: the host never uses it, so it is the guest's. */
	wrmsr(MSR_KERNEL_GS_BASE, s->kernel_gs_base);
	/* Blocking by STI/MOV SS and pending debug exceptions of the instruction at RIP. */
	vmwrite(GUEST_INTERRUPTIBILITY, s->intr_shadow & (INTR_SHADOW_STI | INTR_SHADOW_MOV_SS));
	vmwrite(GUEST_PENDING_DBG, s->pending_dbg);
	if (v->flush_ept) {
		/* INVEPT single-context: drop guest-physical and combined mappings. */
		struct { uint64_t eptp, zero; } desc = { v->ept_root | 6 | (3 << 3), 0 };

		asm volatile("invept %0, %1" :: "m"(desc), "r"(1UL) : "cc", "memory");
		v->flush_ept = false;
	}
	if (v->flush_vpid) {
		/* INVVPID: drop the guest's linear (and combined) mappings. */
		struct { uint64_t vpid, addr; } desc = { GUEST_VPID, 0 };

		if (invvpid_type)
			asm volatile("invvpid %0, %1" :: "m"(desc), "r"((uint64_t)invvpid_type)
				     : "cc", "memory");
		v->flush_vpid = false;
	}
}

static void save_state(struct vcpu *v)
{
	struct vcpu_state *s = &v->st;

	for (int i = 0; i < NR_SEGS; i++) {
		s->seg[i].sel = (uint16_t)vmread(GUEST_ES_SELECTOR + 2 * i);
		s->seg[i].limit = (uint32_t)vmread(GUEST_ES_LIMIT + 2 * i);
		s->seg[i].attr = (uint32_t)vmread(GUEST_ES_AR + 2 * i);
		s->seg[i].base = vmread(GUEST_ES_BASE + 2 * i);
	}
	s->gdtr.base = vmread(GUEST_GDTR_BASE);
	s->gdtr.limit = (uint16_t)vmread(GUEST_GDTR_LIMIT);
	s->idtr.base = vmread(GUEST_IDTR_BASE);
	s->idtr.limit = (uint16_t)vmread(GUEST_IDTR_LIMIT);
	s->cr3 = vmread(GUEST_CR3);
	s->gpr[GPR_RSP] = vmread(GUEST_RSP);
	s->rip = vmread(GUEST_RIP);
	s->rflags = vmread(GUEST_RFLAGS);
	s->efer = vmread(GUEST_IA32_EFER);
	s->pat = vmread(GUEST_IA32_PAT);
	s->dr7 = vmread(GUEST_DR7);
	s->intr_shadow = (uint32_t)vmread(GUEST_INTERRUPTIBILITY) &
			 (INTR_SHADOW_STI | INTR_SHADOW_MOV_SS);
	s->pending_dbg = vmread(GUEST_PENDING_DBG);
}

static void vmx_run(struct vcpu *v, struct vexit *e)
{
	uint32_t reason, info;
	int rc;

	load_state(v);
	rc = vmx_enter(v->st.gpr, v->launched);
	memset(e, 0, sizeof(*e));
	if (rc) {
		e->kind = VEXIT_FAILED;
		e->raw = rc == 2 ? vmread(VM_INSTRUCTION_ERROR) : 0;
		e->raw_info1 = rc;
		return;
	}
	v->launched = true;
	save_state(v);

	reason = (uint32_t)vmread(EXIT_REASON);
	e->raw = reason;
	e->raw_info1 = vmread(EXIT_QUALIFICATION);
	e->raw_info2 = vmread(EXIT_INTR_INFO);
	if (reason & EXIT_FAILED_ENTRY) {
		e->kind = VEXIT_FAILED;
		return;
	}
	switch (reason & 0xffff) {
	case EXIT_EXCEPTION_NMI:
		info = (uint32_t)e->raw_info2;
		if (((info >> 8) & 7) == 2) {		/* NMI */
			e->kind = VEXIT_INTR;
			break;
		}
		e->kind = VEXIT_EXCEPTION;
		e->vector = info & 0xff;
		if (info & (1U << 11)) {
			e->has_error = true;
			e->error_code = (uint32_t)vmread(EXIT_INTR_ERROR_CODE);
		}
		if (e->vector == X86_EXC_PF)
			e->cr2 = e->raw_info1;
		if (e->vector == X86_EXC_DB)
			e->dr6 = e->raw_info1 & 0x600f;	/* qualification: B0-3, BD, BS */
		if (((info >> 8) & 7) == 6)		/* software exception: INT3/INTO */
			e->insn_len = (uint32_t)vmread(EXIT_INSTRUCTION_LEN);
		break;
	case EXIT_EXTINT:
	case EXIT_INIT:
	case EXIT_SIPI:
	case EXIT_IO_SMI:
	case EXIT_OTHER_SMI:
		e->kind = VEXIT_INTR;
		break;
	case EXIT_TRIPLE_FAULT:
		e->kind = VEXIT_SHUTDOWN;
		break;
	case EXIT_CPUID:
		e->kind = VEXIT_CPUID;
		e->insn_len = (uint32_t)vmread(EXIT_INSTRUCTION_LEN);
		break;
	case EXIT_VMCALL ... EXIT_VMXON:
	case EXIT_INVEPT:
	case EXIT_INVVPID:
		/*
		 * VMX instructions exit unconditionally in VMX non-root operation.
		 * A Xen host on this CPU is in VMX root operation, where at CPL 3
		 * each of them raises #GP(0).
		 */
	case EXIT_INVD:
	case EXIT_XSETBV:
		/* Also unconditional exits; privileged, so #GP(0) at CPL 3. */
	case EXIT_HLT:
	case EXIT_INVLPG:
	case EXIT_RDPMC:
	case EXIT_CR_ACCESS:
	case EXIT_DR_ACCESS:
	case EXIT_IO:
	case EXIT_RDMSR:
	case EXIT_WRMSR:
	case EXIT_WBINVD:
	case EXIT_INVPCID:
		/* Only with exiting controls we leave off, or after the CPL check. */
		e->kind = VEXIT_GP0;
		break;
	case EXIT_GETSEC:		/* #UD without CR4.SMXE, which Xen never sets */
	case EXIT_RSM:			/* #UD outside SMM */
	case EXIT_VMFUNC:		/* #UD in VMX root operation */
	case EXIT_ENCLS:		/* #UD without SGX */
	case EXIT_MONITOR:
	case EXIT_MWAIT:
		e->kind = VEXIT_UD;
		break;
	case EXIT_EPT_VIOLATION:
		e->kind = VEXIT_NPF;
		e->gpa = vmread(GUEST_PHYSICAL_ADDRESS);
		e->npf_write = e->raw_info1 & 2;
		e->npf_fetch = e->raw_info1 & 4;
		break;
	default:
		/* Task switches, EPT misconfigurations and anything new: the PV layer crashes the domain. */
		e->kind = VEXIT_OTHER;
		break;
	}
}

static bool vmx_map(struct vcpu *v, uint64_t gpa, uint64_t hpa, unsigned int prot)
{
	uint64_t leaf = hpa | EPT_MT_WB;

	if (prot & VMAP_R)
		leaf |= EPT_R;
	if (prot & VMAP_W)
		leaf |= EPT_W;
	if (prot & VMAP_X)
		leaf |= EPT_X;
	v->flush_ept = true;
	return nested_pt_set(v->ept_root, gpa, leaf, EPT_R | EPT_W | EPT_X);
}

static void vmx_flush_tlb(struct vcpu *v)
{
	/*
	 * With VPID the guest's translations survive VM transitions: drop
	 * them with INVVPID. Without VPID every transition already drops them,
	 * and INVEPT covers the rest.
	 */
	if (invvpid_type)
		v->flush_vpid = true;
	else
		v->flush_ept = true;
}

const struct vcpu_backend vmx_backend = {
	.name = "Intel VT-x (VMX, EPT)",
	.probe = vmx_probe,
	.enable = vmx_enable,
	.create = vmx_create,
	.map = vmx_map,
	.run = vmx_run,
	.flush_tlb = vmx_flush_tlb,
};
