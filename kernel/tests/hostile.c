/* Helpers for the hostile-guest tests (hostile.h). */
#include <xen/version.h>

#include "arch/x86/extable.h"
#include "arch/x86/hypercall.h"
#include "kernel/kernel.h"
#include "kernel/tests/hostile.h"
#include "mm/frames.h"
#include "mm/p2m.h"
#include "mm/pagetable.h"
#include "xen/start_info.h"

/*
 * catch_trampoline(fn, arg): save what the C caller expects to survive,
 * remember where to come back to, call fn. A caught fault resumes at 1:
 * with the stack as it was before the call, exactly where fn would have
 * returned to.
 */
void catch_trampoline(void (*fn)(void *), void *arg);
uint64_t catch_rsp, catch_rip;
asm(".text\n"
    ".globl catch_trampoline\n"
    "catch_trampoline:\n"
    "  push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
    "  pushf\n"
    "  mov %rsp, catch_rsp(%rip)\n"
    "  lea 1f(%rip), %rax\n"
    "  mov %rax, catch_rip(%rip)\n"
    "  mov %rdi, %rax\n"
    "  mov %rsi, %rdi\n"
    "  call *%rax\n"
    "1: popf\n"
    "  pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
    "  ret\n");

static struct caught *catching;

static bool catch_hook(struct cpu_regs *r, uint64_t cr2)
{
	struct caught *c = catching;

	(void)cr2;
	if (!c || c->hit)
		return false;		/* a second fault: not ours to hide */
	*c = (struct caught){
		.hit = true, .vector = (unsigned int)r->vector, .ec = (uint32_t)r->error_code,
		.rip = r->rip, .cs = r->cs, .rflags = r->rflags, .rsp = r->rsp, .ss = r->ss,
	};
	/* Back to the trampoline, in the kernel's own flat segments. */
	r->rip = catch_rip;
	r->rsp = catch_rsp;
	r->cs = (FLAT_KERNEL_CS & ~3UL) | (r->cs & (0xffUL << 32));
	r->ss = FLAT_KERNEL_SS;
	r->rflags = X86_EFLAGS_MBS | X86_EFLAGS_IF;
	return true;
}

bool catch_fault(void (*fn)(void *), void *arg, struct caught *c)
{
	struct vcpu_info *vi = &shared_info->vcpu_info[0];
	uint8_t mask = vi->evtchn_upcall_mask;

	*c = (struct caught){ 0 };
	catching = c;
	trap_hook = catch_hook;
	catch_trampoline(fn, arg);
	trap_hook = NULL;
	catching = NULL;
	/* A hostile frame may have changed the upcall mask: put it back. */
	vi->evtchn_upcall_mask = mask;
	return c->hit;
}

/*
 * iret_with(frame): HYPERVISOR_iret with frame's values; native_iret_with:
 * the CPU's own IRETQ, at our CPL 3 (so CS and SS need RPL 3). A zero RIP
 * or RSP means "back here, on this stack", so a good frame simply returns.
 */
_Static_assert(VGCF_in_syscall == 0x100, "iret_syscall_with's flags");
asm(".macro PUSH_IRET_FRAME\n"		/* from struct iret_frame at %rdi */
    "  mov %rsp, %rax\n"
    "  lea 2f(%rip), %rcx\n"
    "  pushq 32(%rdi)\n"			/* ss */
    "  mov 24(%rdi), %r11\n"
    "  test %r11, %r11\n"
    "  cmovz %rax, %r11\n"
    "  push %r11\n"				/* rsp */
    "  pushq 16(%rdi)\n"			/* rflags */
    "  pushq 8(%rdi)\n"				/* cs */
    "  mov (%rdi), %r11\n"
    "  test %r11, %r11\n"
    "  cmovz %rcx, %r11\n"
    "  push %r11\n"				/* rip */
    ".endm\n"
    ".text\n"
    ".globl iret_with\n"
    "iret_with:\n"
    "  PUSH_IRET_FRAME\n"
    "  push $0\n"				/* flags: not from a syscall */
    "  jmp hypercall_page + 23 * 32\n"		/* __HYPERVISOR_iret */
    "2: ret\n"
    ".globl iret_syscall_with\n"
    "iret_syscall_with:\n"
    "  PUSH_IRET_FRAME\n"
    "  push $0x100\n"				/* flags: VGCF_in_syscall */
    "  jmp hypercall_page + 23 * 32\n"
    "2: ret\n"
    ".globl native_iret_with\n"
    "native_iret_with:\n"
    "  PUSH_IRET_FRAME\n"
    "  iretq\n"
    "2: ret\n");

struct iret_frame iret_good_frame(void)
{
	/* Kernel CS with RPL 0 (a kernel-to-kernel return), events masked. */
	return (struct iret_frame){
		.rip = 0, .cs = FLAT_KERNEL_CS & ~3UL, .rflags = X86_EFLAGS_MBS,
		.rsp = 0, .ss = FLAT_KERNEL_SS,
	};
}

static void cpuid_raw(uint32_t leaf, uint32_t r[4])
{
	asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
		     : "a"(leaf), "c"(0));
}

static bool vendor_is(const char *v)
{
	uint32_t r[4];
	char s[13];

	cpuid_raw(0, r);
	memcpy(s, &r[1], 4);
	memcpy(s + 4, &r[3], 4);
	memcpy(s + 8, &r[2], 4);
	s[12] = 0;
	return !strcmp(s, v);
}

bool cpu_is_intel(void)
{
	return vendor_is("GenuineIntel");
}

bool cpu_is_amd(void)
{
	return vendor_is("AuthenticAMD") || vendor_is("HygonGenuine");
}

long direct_map(unsigned long pfn, bool writable)
{
	uint64_t pte = ((uint64_t)pfn_to_mfn(pfn) << PAGE_SHIFT) |
		       (writable ? PTE_KERNEL_RW : PTE_KERNEL_RO);

	return hypercall_update_va_mapping((unsigned long)pfn_to_virt(pfn), pte,
					   UVMF_INVLPG | UVMF_LOCAL);
}

unsigned long ro_frame(void)
{
	unsigned long pfn = frame_alloc();

	if (pfn == FRAME_NONE)
		return pfn;
	memset(pfn_to_virt(pfn), 0, PAGE_SIZE);
	if (direct_map(pfn, false)) {
		frame_free(pfn);
		return FRAME_NONE;
	}
	return pfn;
}

void ro_frame_free(unsigned long pfn)
{
	if (pfn == FRAME_NONE)
		return;
	direct_map(pfn, true);
	frame_free(pfn);
}

xen_pfn_t foreign_mfn(void)
{
	xen_pfn_t lowest = ~(xen_pfn_t)0;

	for (unsigned long pfn = 0; pfn < start_info.nr_pages; pfn++)
		if (pfn_to_mfn(pfn) < lowest)
			lowest = pfn_to_mfn(pfn);
	return lowest ? lowest - 1 : 0;
}
