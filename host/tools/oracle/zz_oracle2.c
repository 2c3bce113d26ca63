/* Oracle probes, batch 2: timers, user mode, GDT (see zz_oracle.c). */
#include "arch/x86/extable.h"
#include "arch/x86/hypercall.h"
#include "arch/x86/regs.h"
#include "kernel/ktest.h"
#include "xen/start_info.h"
#include "xen/evtchn.h"
#include "mm/frames.h"
#include "mm/p2m.h"
#include "mm/pagetable.h"
#include "mm/mmu.h"
#include "kernel/tests/oracle.h"
#include <xen/callback.h>

#define P(...) kprintf("oracle2: " __VA_ARGS__)

extern char hypervisor_callback[], failsafe_callback[];
extern char exception_6[], exception_13[], exception_14[];

KTEST(zz, oracle_timers)
{
	struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
	long rc = hypercall_event_channel_op(EVTCHNOP_bind_virq, &bv);
	uint64_t t0, t1, up0;

	P("bind timer rc %ld\n", rc);
	P("stop_periodic %ld\n", hypercall_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL));
	shared_info->evtchn_mask[0] &= ~(1UL << bv.port);
	/* set_timer_op + block */
	up0 = evtchn_upcalls;
	t0 = now_ns();
	rc = _hypercall1(__HYPERVISOR_set_timer_op, t0 + 5000000);
	rc = hypercall_sched_op(SCHEDOP_block, NULL);
	t1 = now_ns();
	P("block rc %ld elapsed>=5ms %d <200ms %d upcalls +%lu mask %u\n", rc, t1 - t0 >= 5000000, t1 - t0 < 200000000,
	  evtchn_upcalls - up0, shared_info->vcpu_info[0].evtchn_upcall_mask);
	shared_info->vcpu_info[0].evtchn_upcall_mask = 1;
	/* singleshot in the past fires at once */
	up0 = evtchn_upcalls;
	struct vcpu_set_singleshot_timer st = { .timeout_abs_ns = 1, .flags = 0 };
	rc = hypercall_vcpu_op(VCPUOP_set_singleshot_timer, 0, &st);
	shared_info->vcpu_info[0].evtchn_upcall_mask = 0;
	for (volatile int i = 0; i < 1000000 && evtchn_upcalls == up0; i++)
		asm volatile("pause");
	shared_info->vcpu_info[0].evtchn_upcall_mask = 1;
	P("singleshot(past) rc %ld upcalls +%lu\n", rc, evtchn_upcalls - up0);
	/* periodic 10 ms, spin 60 ms with events on */
	struct vcpu_set_periodic_timer pt = { .period_ns = 10000000 };
	P("set_periodic(10ms) %ld\n", hypercall_vcpu_op(VCPUOP_set_periodic_timer, 0, &pt));
	up0 = evtchn_upcalls;
	shared_info->vcpu_info[0].evtchn_upcall_mask = 0;
	t0 = now_ns();
	while (now_ns() - t0 < 60000000)
		asm volatile("pause");
	shared_info->vcpu_info[0].evtchn_upcall_mask = 1;
	P("periodic upcalls in 60ms: 3..8? %d\n", evtchn_upcalls - up0 >= 3 && evtchn_upcalls - up0 <= 8);
	P("stop_periodic %ld\n", hypercall_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL));
	/* poll */
	{
		evtchn_port_t ports[1] = { bv.port };
		struct sched_poll sp = { .nr_ports = 1, .timeout = now_ns() + 3000000 };
		set_xen_guest_handle(sp.ports, ports);
		t0 = now_ns();
		rc = hypercall_sched_op(SCHEDOP_poll, &sp);
		t1 = now_ns();
		P("poll(timeout 3ms) rc %ld elapsed>=3ms %d\n", rc, t1 - t0 >= 3000000);
		sp.nr_ports = 200;
		P("poll(200 ports) %ld\n", hypercall_sched_op(SCHEDOP_poll, &sp));
	}
	struct evtchn_close c = { .port = bv.port };
	hypercall_event_channel_op(EVTCHNOP_close, &c);
	shared_info->evtchn_pending[0] = 0;
	shared_info->vcpu_info[0].evtchn_pending_sel = 0;
	shared_info->vcpu_info[0].evtchn_upcall_pending = 0;
}

/* ---- user mode ---------------------------------------------------------- */
uint64_t u_frame[12], u_rcx, u_r11, u_rsp, u_rax, k_resume, k_rsp;
static char kstack[8192] __attribute__((aligned(16)));
static char ustack[8192] __attribute__((aligned(16)));
void user_cap_stub(void);
void user_cap_stub_ec(void);
void user_fn_syscall(void);
void user_fn_ud(void);
void user_fn_pf(void);
void user_fn_int80(void);
void user_fn_cli(void);
void enter_user(uint64_t rip, uint64_t rsp);
asm(
	".text\n"
	".globl user_fn_syscall\n"
	"user_fn_syscall: mov $0x1234, %rax; mov $0x77, %rcx; mov $0x88, %r11; syscall; ud2\n"
	".globl user_fn_ud\n"
	"user_fn_ud: ud2\n"
	".globl user_fn_pf\n"
	"user_fn_pf: mov $0x2000, %rbx; mov (%rbx), %rax; ud2\n"
	".globl user_fn_int80\n"
	"user_fn_int80: int $0x80; ud2\n"
	".globl user_fn_cli\n"
	"user_fn_cli: cli; ud2\n"
	/* enter_user(rip, rsp): save kernel rsp, iret to user. */
	".globl enter_user\n"
	"enter_user:\n"
	"  push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
	"  mov %rsp, k_rsp(%rip)\n"
	"  lea 1f(%rip), %rax; mov %rax, k_resume(%rip)\n"
	"  push $0xe02b\n"   /* ss */
	"  push %rsi\n"      /* rsp */
	"  push $0x202\n"    /* rflags */
	"  push $0xe033\n"   /* cs: user */
	"  push %rdi\n"      /* rip */
	"  push $0\n"        /* flags */
	"  mov $0x5555, %rax\n"
	"  jmp hypercall_page + 23*32\n"
	"1: pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
	"  ret\n"
	/* Capture the bounce frame at kernel_sp, then iret back to the kernel at k_resume. */
	".globl user_cap_stub\n"
	"user_cap_stub:\n"
	"  mov %rcx, u_rcx(%rip); mov %r11, u_r11(%rip); mov %rsp, u_rsp(%rip); mov %rax, u_rax(%rip)\n"
	"  lea u_frame(%rip), %rbx\n"
	"  .irp off, 0,8,16,24,32,40,48,56\n"
	"  mov \\off(%rsp), %rax; mov %rax, \\off(%rbx)\n"
	"  .endr\n"
	"  jmp 2f\n"
	".globl user_cap_stub_ec\n"
	"user_cap_stub_ec:\n"
	"  mov %rcx, u_rcx(%rip); mov %r11, u_r11(%rip); mov %rsp, u_rsp(%rip); mov %rax, u_rax(%rip)\n"
	"  lea u_frame(%rip), %rbx\n"
	"  .irp off, 0,8,16,24,32,40,48,56,64\n"
	"  mov \\off(%rsp), %rax; mov %rax, \\off(%rbx)\n"
	"  .endr\n"
	"2:\n"
	/* Build an iret frame back to the kernel continuation on the kernel stack. */
	"  mov k_rsp(%rip), %rax\n"
	"  push $0xe02b\n"
	"  push %rax\n"
	"  push $0x202\n"
	"  push $0xe030\n"
	"  push k_resume(%rip)\n"
	"  push $0\n"
	"  jmp hypercall_page + 23*32\n"
);

static void set_trap(unsigned int vec, void *addr, unsigned int flags)
{
	struct trap_info t[2] = { { .vector = (uint8_t)vec, .flags = (uint8_t)flags, .cs = FLAT_KERNEL_CS,
				    .address = (unsigned long)addr }, { 0, 0, 0, 0 } };
	hypercall_set_trap_table(t);
}

static void dump_u(const char *what, int n)
{
	P("%s: entry rcx %#lx r11 %#lx rax %#lx rsp-off %#lx\n", what, u_rcx, u_r11, u_rax,
	  (uint64_t)(kstack + sizeof(kstack)) - u_rsp);
	for (int i = 0; i < n; i++)
		P("%s: frame[%d] = %#lx\n", what, i, u_frame[i]);
}

KTEST(zz, oracle_user)
{
	long rc;
	uint64_t cr3 = 0, ex = 0, v;

	asm volatile("1: mov %%cr3, %1; 2:\n" _ASM_EXTABLE(1b, 2b) : "+a"(ex), "=r"(cr3));
	rc = mmuext(MMUEXT_NEW_USER_BASEPTR, cr3 >> 12);
	P("new_user_baseptr(kernel L4) %ld\n", rc);
	rc = hypercall_raw(__HYPERVISOR_stack_switch, FLAT_KERNEL_SS, (unsigned long)(kstack + sizeof(kstack)));
	P("stack_switch %ld\n", rc);
	_hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_GS_USER, 0x1111);
	_hypercall2(__HYPERVISOR_set_segment_base, SEGBASE_GS_KERNEL, 0x2222);

	/* syscall from user */
	rc = hypercall_set_callbacks((unsigned long)hypervisor_callback, (unsigned long)failsafe_callback,
				     (unsigned long)user_cap_stub);
	enter_user((uint64_t)user_fn_syscall, (uint64_t)(ustack + sizeof(ustack)));
	dump_u("syscall", 7);
	{
		uint32_t lo, hi;
		ex = 0; asm volatile("1: rdmsr; 2:\n" _ASM_EXTABLE(1b, 2b) : "+a"(ex), "=d"(hi) : "c"(0xc0000101));
		lo = (uint32_t)ex;
		P("after syscall: gs_base %#x\n", lo);
		ex = 0; asm volatile("1: rdmsr; 2:\n" _ASM_EXTABLE(1b, 2b) : "+a"(ex), "=d"(hi) : "c"(0xc0000102));
		lo = (uint32_t)ex;
		P("after syscall: shadow gs %#x\n", lo);
	}
	/* syscall with no callback: #UD at the syscall */
	hypercall_set_callbacks((unsigned long)hypervisor_callback, (unsigned long)failsafe_callback, 0);
	set_trap(6, user_cap_stub, 0);
	enter_user((uint64_t)user_fn_syscall, (uint64_t)(ustack + sizeof(ustack)));
	dump_u("syscall-nocb", 7);
	P("syscall-nocb rip-is-syscall %d\n", u_frame[2] == (uint64_t)user_fn_syscall + 15);
	/* #UD from user */
	enter_user((uint64_t)user_fn_ud, (uint64_t)(ustack + sizeof(ustack)));
	dump_u("ud-user", 7);
	P("ud-user rip ok %d\n", u_frame[2] == (uint64_t)user_fn_ud);
	set_trap(6, exception_6, 0);
	/* #PF from user */
	set_trap(14, user_cap_stub_ec, 0);
	enter_user((uint64_t)user_fn_pf, (uint64_t)(ustack + sizeof(ustack)));
	dump_u("pf-user", 8);
	set_trap(14, exception_14, 0);
	/* int $0x80 from user: no DPL3 entry -> #GP(0x402) */
	set_trap(13, user_cap_stub_ec, 0);
	enter_user((uint64_t)user_fn_int80, (uint64_t)(ustack + sizeof(ustack)));
	dump_u("int80-nohandler", 8);
	/* cli from user */
	enter_user((uint64_t)user_fn_cli, (uint64_t)(ustack + sizeof(ustack)));
	dump_u("cli-user", 8);
	set_trap(13, exception_13, 0);
	/* int $0x80 with a DPL3 entry */
	set_trap(0x80, user_cap_stub, 3);
	enter_user((uint64_t)user_fn_int80, (uint64_t)(ustack + sizeof(ustack)));
	dump_u("int80-dpl3", 7);
	P("int80 rip after %d\n", u_frame[2] == (uint64_t)user_fn_int80 + 2);
	{
		struct trap_info t[2] = { { .vector = 0x80, .flags = 0, .cs = FLAT_KERNEL_CS, .address = 0 }, { 0, 0, 0, 0 } };
		(void)t;
	}
	/* kernel int $0x80 with a DPL0 entry: kernel vCPL 1 > 0 -> #GP */
	set_trap(0x80, user_cap_stub, 0);
	set_trap(13, user_cap_stub_ec, 0);
	{
		/* From kernel mode: use enter-less path: capture via stub resuming at k_resume. */
		asm volatile("push %%rbx; push %%rbp; push %%r12; push %%r13; push %%r14; push %%r15;"
			     "mov %%rsp, k_rsp(%%rip); lea 1f(%%rip), %%rax; mov %%rax, k_resume(%%rip);"
			     "int $0x80; 1: pop %%r15; pop %%r14; pop %%r13; pop %%r12; pop %%rbp; pop %%rbx"
			     ::: "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
	}
	dump_u("int80-kernel-dpl0", 8);
	set_trap(0x80, user_cap_stub, 1);
	asm volatile("push %%rbx; push %%rbp; push %%r12; push %%r13; push %%r14; push %%r15;"
		     "mov %%rsp, k_rsp(%%rip); lea 1f(%%rip), %%rax; mov %%rax, k_resume(%%rip);"
		     "int $0x80; 1: pop %%r15; pop %%r14; pop %%r13; pop %%r12; pop %%rbp; pop %%rbx"
		     ::: "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
	dump_u("int80-kernel-dpl1", 7);
	set_trap(13, exception_13, 0);
	{
		struct trap_info t[2] = { { .vector = 0x80, .flags = 0, .cs = 0, .address = 0 }, { 0, 0, 0, 0 } };
		(void)t;
	}
	v = 0;
	(void)v;
	P("new_user_baseptr(0) %ld\n", mmuext(MMUEXT_NEW_USER_BASEPTR, 0));
}

KTEST(zz, oracle_gdt)
{
	unsigned long pfn = frame_alloc();
	uint64_t *g = pfn_to_virt(pfn);
	unsigned long mfn = pfn_to_mfn(pfn);
	long rc;
	uint64_t ex = 0, lim = 0; uint8_t zl;

	memset(g, 0, 4096);
	g[1] = 0x00cff3001000ffffUL;	/* data, DPL3, base 0x1000 */
	g[2] = 0x00affa000000ffffUL;	/* 64-bit code DPL3, not accessed */
	rc = hypercall_raw(__HYPERVISOR_set_gdt, (unsigned long)&mfn, 512);
	P("set_gdt(writable frame) %ld\n", rc);
	rc = (long)protect_range((unsigned long)g, 1, 0, _PAGE_RW);
	P("protect %ld\n", rc);
	rc = hypercall_raw(__HYPERVISOR_set_gdt, (unsigned long)&mfn, 512);
	P("set_gdt %ld\n", rc);
	asm volatile("lsl %2, %0; setz %1" : "=r"(lim), "=q"(zl) : "r"(0x0bUL));
	P("lsl 0x0b: %d %#lx\n", zl, lim);
	asm volatile("1: mov $0x0b, %%dx; mov %%dx, %%fs; 2:\n" _ASM_EXTABLE(1b, 2b) : "+a"(ex) :: "rdx", "memory");
	P("mov fs,0x0b ex %#lx\n", ex);
	{
		uint32_t lo, hi;
		ex = 0; asm volatile("1: rdmsr; 2:\n" _ASM_EXTABLE(1b, 2b) : "+a"(ex), "=d"(hi) : "c"(0xc0000100));
		lo = (uint32_t)ex;
		P("fs base after load %#x\n", lo);
	}
	asm volatile("mov %0, %%fs" :: "r"(0));
	ex = 0; asm volatile("1: mov $0x13, %%dx; mov %%dx, %%ds; 2:\n" _ASM_EXTABLE(1b, 2b) : "+a"(ex) :: "rdx", "memory");
	P("mov ds,0x13 (code) ex %#lx\n", ex);
	asm volatile("mov %0, %%ds" :: "r"(0));
	/* update_descriptor */
	rc = hypercall_raw(__HYPERVISOR_update_descriptor, (mfn << 12) + 24, 0x00cff3002000ffffUL);
	P("update_descriptor(gdt slot 3) %ld\n", rc);
	rc = _hypercall2(__HYPERVISOR_update_descriptor, (mfn << 12) + 24, 0x00cf93002000ffffUL);
	P("update_descriptor(dpl0) %ld\n", rc);
	rc = _hypercall2(__HYPERVISOR_update_descriptor, (mfn << 12) + 25, 0);
	P("update_descriptor(misaligned) %ld\n", rc);
	P("g[3] %#lx g[2] %#lx\n", g[3], g[2]);
	/* bad GDT: DPL0 code */
	{
		unsigned long pfn2 = frame_alloc();
		uint64_t *g2 = pfn_to_virt(pfn2);
		unsigned long mfn2 = pfn_to_mfn(pfn2);
		memset(g2, 0, 4096);
		g2[1] = 0x00af9a000000ffffUL;
		protect_range((unsigned long)g2, 1, 0, _PAGE_RW);
		P("set_gdt(dpl0 code) %ld\n", hypercall_raw(__HYPERVISOR_set_gdt, (unsigned long)&mfn2, 512));

	}
	P("set_gdt(15 pages) %ld\n", hypercall_raw(__HYPERVISOR_set_gdt, (unsigned long)&mfn, 15 * 512));
	rc = hypercall_raw(__HYPERVISOR_set_gdt, (unsigned long)&mfn, 0);
	P("set_gdt(0) %ld\n", rc);
	asm volatile("lsl %2, %0; setz %1" : "=r"(lim), "=q"(zl) : "r"(0x0bUL));
	P("lsl 0x0b after clearing: %d\n", zl);
	rc = (long)protect_range((unsigned long)g, 1, _PAGE_RW, 0);
	P("unprotect %ld\n", rc);
}
