/*
 * The one interface between the PV layer and the hardware backends
 * (host/svm for AMD-V, host/vmx for VT-x). The PV layer sees a vcpu as a
 * bag of architectural state it may read and change between runs, a
 * guest-physical address space it fills with mappings, and a run call that
 * returns the next exit, already decoded into a vendor-neutral form.
 * Nothing vendor-specific crosses this line.
 */
#ifndef HOST_VCPU_H
#define HOST_VCPU_H

#include <stdbool.h>
#include <stdint.h>

/* General-purpose registers, in the hardware encoding order. */
enum {
	GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
	GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
	NR_GPRS
};
/* host/gprs_asm.h indexes the array by these numbers. */
_Static_assert(GPR_RCX == 1 && GPR_RSP == 4 && GPR_RDI == 7 && GPR_R15 == 15,
	       "gprs[] must follow the hardware register numbers");

enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR, NR_SEGS };

/*
 * A segment register. attr uses the VMX access-rights layout: type 3:0,
 * S 4, DPL 6:5, P 7, AVL 12, L 13, D/B 14, G 15, unusable 16.
 */
struct vseg {
	uint16_t sel;
	uint32_t attr;
	uint32_t limit;
	uint64_t base;
};

#define SEG_ATTR_UNUSABLE	(1U << 16)

struct vdtr {
	uint64_t base;
	uint16_t limit;
};

/* The architectural guest state the backends load before and save after a run. */
struct vcpu_state {
	uint64_t gpr[NR_GPRS];
	uint64_t rip, rflags;
	uint64_t cr0, cr2, cr3, cr4, efer;
	struct vseg seg[NR_SEGS];
	struct vdtr gdtr, idtr;
	uint64_t kernel_gs_base;
	uint64_t pat;
	uint64_t dr7;		/* DR0-3 are live CPU registers: the host never uses them */
	/*
	 * Event blocking after STI / MOV SS (bit 0 STI, bit 1 MOV SS) and the
	 * debug exceptions still pending for the current instruction
	 * (VT-x: B0-B3, BS; AMD-V has only the interrupt shadow). Both belong
	 * to the instruction at rip: the PV layer clears them whenever it
	 * moves rip (host/pv/entry_check.c).
	 */
	uint32_t intr_shadow;
	uint64_t pending_dbg;
};

#define INTR_SHADOW_STI		0x1
#define INTR_SHADOW_MOV_SS	0x2

enum vexit_kind {
	VEXIT_EXCEPTION,	/* vector, error_code (if has_error), cr2 for #PF */
	VEXIT_NPF,		/* guest-physical access outside the NPT/EPT map */
	VEXIT_CPUID,		/* CPUID executed (rip not advanced) */
	VEXIT_INTR,		/* a host interrupt or NMI: just run again */
	VEXIT_SHUTDOWN,		/* triple fault */
	VEXIT_SWINT,		/* INT3 / INT n about to be delivered; RIP at the insn */
	/*
	 * An instruction that, at CPL 3 on a Xen host with this CPU, raises
	 * #GP(0) (privileged: HLT, I/O, RDMSR/WRMSR, XSETBV, INVD, WBINVD,
	 * CR/DR moves, and the virtualization instructions of the vendor the
	 * Xen host has enabled). The hardware normally raises that #GP itself
	 * before its intercept; the backends report it this way where the
	 * architecture or an emulator exits first. Handled exactly as #GP(0).
	 */
	VEXIT_GP0,
	/* Likewise for an instruction that raises #UD there (VMMCALL, MONITOR, ...). */
	VEXIT_UD,
	VEXIT_FAILED,		/* the CPU refused the VM entry: the guest state is bad */
	VEXIT_OTHER,		/* anything else: raw code in .raw */
};

struct vexit {
	enum vexit_kind kind;
	uint32_t vector;
	bool has_error;
	uint32_t error_code;
	uint64_t cr2;		/* #PF: faulting linear address */
	uint64_t dr6;		/* #DB: B0-B3, BD, BS status bits (positive polarity) */
	uint64_t gpa;		/* NPF: guest-physical address */
	bool npf_write, npf_fetch;
	uint32_t insn_len;	/* length of the exiting instruction, 0 if unknown */
	uint64_t raw;		/* vendor exit code, for logs */
	uint64_t raw_info1, raw_info2;
};

/* Mapping permissions for the guest-physical (nested) page tables. */
#define VMAP_R		0x1
#define VMAP_W		0x2
#define VMAP_X		0x4
#define VMAP_RWX	(VMAP_R | VMAP_W | VMAP_X)

struct vcpu;

struct vcpu_backend {
	const char *name;
	/* Probe; on failure set *why and return false. */
	bool (*probe)(const char **why);
	/* Turn virtualization on for this CPU. */
	bool (*enable)(const char **why);
	struct vcpu *(*create)(void);
	/* Map one 4 KiB guest-physical frame to a host-physical frame. */
	bool (*map)(struct vcpu *v, uint64_t gpa, uint64_t hpa, unsigned int prot);
	/* Run until the next exit that the PV layer must see. */
	void (*run)(struct vcpu *v, struct vexit *exit);
	/* Next run: drop every cached guest translation. */
	void (*flush_tlb)(struct vcpu *v);
};

/* Set by vcpu_select(): AMD-V or VT-x, chosen from CPUID at run time. */
extern const struct vcpu_backend *vcpu_hw;

/* The state belongs to the PV layer between runs. */
struct vcpu_state *vcpu_state(struct vcpu *v);

/* Pick and enable a backend; one clear line and a failing exit if none. */
void vcpu_select(void);

extern const struct vcpu_backend svm_backend;
extern const struct vcpu_backend vmx_backend;

#endif
