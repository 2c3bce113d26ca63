/*
 * Oracle probes, batch 1: bounce frames, values returned by the simple
 * hypercalls, CPU state as the guest sees it. Each line is an observation;
 * host/tools/oracle-compare.sh runs them on Xen and on parahost and diffs.
 */
#include "arch/x86/extable.h"
#include "arch/x86/hypercall.h"
#include "arch/x86/regs.h"
#include "kernel/ktest.h"
#include "xen/start_info.h"
#include "xen/evtchn.h"
#include <xen/physdev.h>
#include <xen/callback.h>
#include <xen/grant_table.h>

#define P(...) kprintf("oracle: " __VA_ARGS__)

extern char hypervisor_callback[], failsafe_callback[];
extern char exception_6[], exception_14[], exception_1[], exception_13[], exception_3[];

uint64_t cap_rcx, cap_r11, cap_rsp, cap_frame[10], cap_resume;
void cap_stub(void);
void cap_stub_ec(void);
asm(
	".text\n"
	".globl cap_stub\n"
	"cap_stub:\n"
	"  mov %rcx, cap_rcx(%rip)\n"
	"  mov %r11, cap_r11(%rip)\n"
	"  mov %rsp, cap_rsp(%rip)\n"
	"  push %rax\n"
	"  push %rbx\n"
	"  lea 16(%rsp), %rax\n"
	"  lea cap_frame(%rip), %rbx\n"
	"  .irp off, 0,8,16,24,32,40,48,56\n"
	"  mov \\off(%rax), %rcx; mov %rcx, \\off(%rbx)\n"
	"  .endr\n"
	"  mov cap_resume(%rip), %rcx\n"
	"  test %rcx, %rcx\n"
	"  jnz 2f\n"
	"  mov shared_info(%rip), %rcx\n"
	"  movb $0, 0(%rcx)\n"
	"  jmp 1f\n"
	"2:\n"
	"  mov %rcx, 16(%rax)\n"   /* frame rip (no error code) */
	"1: andq $~0x100, 32(%rax)\n"
	"  pop %rbx\n"
	"  pop %rax\n"
	"  pop %rcx\n"
	"  pop %r11\n"
	"  push $0\n"
	"  jmp hypercall_page + 23*32\n"
	".globl cap_stub_ec\n"
	"cap_stub_ec:\n"
	"  mov %rcx, cap_rcx(%rip)\n"
	"  mov %r11, cap_r11(%rip)\n"
	"  mov %rsp, cap_rsp(%rip)\n"
	"  push %rax\n"
	"  push %rbx\n"
	"  lea 16(%rsp), %rax\n"
	"  lea cap_frame(%rip), %rbx\n"
	"  .irp off, 0,8,16,24,32,40,48,56\n"
	"  mov \\off(%rax), %rcx; mov %rcx, \\off(%rbx)\n"
	"  .endr\n"
	"  mov cap_resume(%rip), %rcx\n"
	"  mov %rcx, 24(%rax)\n"   /* frame rip after error code */
	"  pop %rbx\n"
	"  pop %rax\n"
	"  pop %rcx\n"
	"  pop %r11\n"
	"  add $8, %rsp\n"        /* error code */
	"  push $0\n"
	"  jmp hypercall_page + 23*32\n"
);

static void set_trap(unsigned int vec, void *addr, unsigned int flags)
{
	struct trap_info t[2] = { { .vector = (uint8_t)vec, .flags = (uint8_t)flags, .cs = FLAT_KERNEL_CS,
				    .address = (unsigned long)addr }, { 0, 0, 0, 0 } };
	long rc = hypercall_set_trap_table(t);
	if (rc) P("set_trap_table rc %ld\n", rc);
}

static void dump_cap(const char *what, int n)
{
	P("%s: entry rcx %#lx r11 %#lx rsp&0xf %#lx\n", what, cap_rcx, cap_r11, cap_rsp & 0xf);
	for (int i = 0; i < n; i++)
		P("%s: frame[%d] = %#lx\n", what, i, cap_frame[i]);
}

static long raw2(unsigned long nr, unsigned long a1, unsigned long a2)
{
	return hypercall_raw((unsigned int)nr, a1, a2);
}

KTEST(zz, oracle_frames)
{
	P("initial mask[0] %#lx pending[0] %#lx sel %#lx max_pfn %lu\n", shared_info->evtchn_mask[0], shared_info->evtchn_pending[0],
	  shared_info->vcpu_info[0].evtchn_pending_sel, shared_info->arch.max_pfn);
	/* #UD in kernel mode. */
	cap_resume = 0;
	set_trap(6, cap_stub, 0);
	asm volatile("lea 1f(%%rip), %%rax; mov %%rax, cap_resume(%%rip); mov $0x1111, %%rcx; mov $0x2222, %%r11; ud2; 1:" ::: "rax", "rcx", "r11", "memory");
	set_trap(6, exception_6, 0);
	dump_cap("ud", 7);
	/* #UD with trap flags IF bit (mask events). */
	set_trap(6, cap_stub, 4);
	asm volatile("lea 1f(%%rip), %%rax; mov %%rax, cap_resume(%%rip); ud2; 1:" ::: "rax", "rcx", "r11", "memory");
	set_trap(6, exception_6, 0);
	dump_cap("ud-if", 7);
	P("mask after ud-if: %u\n", shared_info->vcpu_info[0].evtchn_upcall_mask);
	/* #PF with error code. */
	set_trap(14, cap_stub_ec, 0);
	asm volatile("lea 1f(%%rip), %%rax; mov %%rax, cap_resume(%%rip); mov $0x1000, %%rbx; movb $1, (%%rbx); 1:" ::: "rax", "rbx", "rcx", "r11", "memory");
	set_trap(14, exception_14, 0);
	dump_cap("pf", 8);
	P("pf cr2 %#lx\n", (unsigned long)shared_info->vcpu_info[0].arch.cr2);
	/* int3 */
	set_trap(3, cap_stub, 3);
	asm volatile("lea 1f(%%rip), %%rax; mov %%rax, cap_resume(%%rip); int3; 1:" ::: "rax", "rcx", "r11", "memory");
	set_trap(3, exception_3, 3);
	dump_cap("bp", 7);
	/* Single step. */
	set_trap(1, cap_stub, 0);
	asm volatile("lea 1f(%%rip), %%rax; mov %%rax, cap_resume(%%rip); pushf; orl $0x100, (%%rsp); popf; nop; nop; 1:" ::: "rax", "rcx", "r11", "memory");
	set_trap(1, exception_1, 0);
	dump_cap("tf", 7);
	P("dr6 after tf %#lx\n", (unsigned long)hypercall_raw(__HYPERVISOR_get_debugreg, 6, 0));
	/* #GP from hlt and in. */
	set_trap(13, cap_stub_ec, 0);
	asm volatile("lea 1f(%%rip), %%rax; mov %%rax, cap_resume(%%rip); hlt; 1:" ::: "rax", "rcx", "r11", "memory");
	dump_cap("hlt", 8);
	asm volatile("lea 1f(%%rip), %%rax; mov %%rax, cap_resume(%%rip); inb $0x80, %%al; 1:" ::: "rax", "rcx", "r11", "memory");
	dump_cap("inb", 8);
	asm volatile("lea 1f(%%rip), %%rax; mov %%rax, cap_resume(%%rip); mov $0xe008, %%ax; mov %%ax, %%ds; 1:" ::: "rax", "rcx", "r11", "memory");
	dump_cap("ds-e008", 8);
	asm volatile("lea 1f(%%rip), %%rax; mov %%rax, cap_resume(%%rip); mov $0x10, %%ax; mov %%ax, %%ds; 1:" ::: "rax", "rcx", "r11", "memory");
	dump_cap("ds-10", 8);
	set_trap(13, exception_13, 0);
	/* direct syscall hypercall: rcx/r11 after */
	{
		uint64_t rcx, r11, rax;
		asm volatile("mov $17, %%eax; mov $0, %%edi; xor %%esi, %%esi; mov $0x77, %%rcx; mov $0x88, %%r11; syscall; 1:" : "=a"(rax), "=c"(rcx), "=r"(r11) :: "rdi", "rsi", "memory");
		asm volatile("mov %%r11, %0" : "=r"(r11));
		P("direct syscall xen_version rax %#lx rcx-is-next %d r11 %#lx\n", rax, rcx != 0x77, r11 & ~0x8d5UL);
	}
	/* Event upcall frame via IPI. */
	{
		struct evtchn_bind_ipi b = { .vcpu = 0 };
		long rc = hypercall_event_channel_op(EVTCHNOP_bind_ipi, &b);
		P("bind_ipi rc %ld port %u\n", rc, b.port);
		cap_resume = 0;
		rc = hypercall_set_callbacks((unsigned long)cap_stub, (unsigned long)failsafe_callback, 0);
		shared_info->evtchn_mask[0] &= ~(1UL << b.port);
		shared_info->vcpu_info[0].evtchn_upcall_mask = 0;
		struct evtchn_send s = { .port = b.port };
		/* Upcall happens on return from this hypercall. */
		rc = hypercall_event_channel_op(EVTCHNOP_send, &s);
		shared_info->vcpu_info[0].evtchn_upcall_mask = 1;
		P("send rc %ld pending %u sel %#lx word %#lx mask-after %u\n", rc, shared_info->vcpu_info[0].evtchn_upcall_pending,
		  shared_info->vcpu_info[0].evtchn_pending_sel, shared_info->evtchn_pending[0] & (1UL << b.port),
		  shared_info->vcpu_info[0].evtchn_upcall_mask);
		dump_cap("event", 7);
		shared_info->vcpu_info[0].evtchn_upcall_pending = 0;
		shared_info->vcpu_info[0].evtchn_pending_sel = 0;
		shared_info->evtchn_pending[0] &= ~(1UL << b.port);
		hypercall_set_callbacks((unsigned long)hypervisor_callback, (unsigned long)failsafe_callback, 0);
		struct evtchn_close c = { .port = b.port };
		P("close rc %ld\n", hypercall_event_channel_op(EVTCHNOP_close, &c));
	}
}

KTEST(zz, oracle_values)
{
	char buf[1024];
	long rc;

	memset(buf, 0, sizeof(buf));
	rc = hypercall_xen_version(XENVER_capabilities, buf);
	P("caps rc %ld '%s'\n", rc, buf);
	memset(buf, 0, sizeof(buf));
	rc = hypercall_xen_version(XENVER_commandline, buf);
	P("cmdline rc %ld '%s'\n", rc, buf);
	memset(buf, 0, sizeof(buf));
	rc = hypercall_xen_version(XENVER_changeset, buf);
	P("changeset rc %ld len %lu\n", rc, strlen(buf));
	P("pagesize %ld, with arg %ld\n", hypercall_xen_version(XENVER_pagesize, NULL), hypercall_xen_version(XENVER_pagesize, buf));
	P("build_id NULL %ld\n", hypercall_xen_version(XENVER_build_id, NULL));
	P("xenver 99 %ld\n", hypercall_xen_version(99, NULL));
	{
		struct xen_platform_parameters pp;
		rc = hypercall_xen_version(XENVER_platform_parameters, &pp);
		P("platform rc %ld virt_start %#lx\n", rc, pp.virt_start);
		struct xen_feature_info fi = { .submap_idx = 1 };
		P("features idx1 rc %ld\n", hypercall_xen_version(XENVER_get_features, &fi));
	}
	/* memory_op */
	{
		struct { uint64_t addr, size; uint32_t type; } __attribute__((packed)) e820[8];
		struct xen_memory_map map = { .nr_entries = 8 };
		set_xen_guest_handle(map.buffer, e820);
		rc = hypercall_memory_op(XENMEM_memory_map, &map);
		P("memory_map rc %ld nr %u\n", rc, map.nr_entries);
		for (unsigned int i = 0; rc == 0 && i < map.nr_entries && i < 8; i++)
			P("  e820 %#lx %#lx %u\n", e820[i].addr, e820[i].size, e820[i].type);
		domid_t d = DOMID_SELF;
		P("current_reservation %ld\n", hypercall_memory_op(XENMEM_current_reservation, &d));
		P("maximum_reservation %ld\n", hypercall_memory_op(XENMEM_maximum_reservation, &d));
		P("maximum_gpfn %ld\n", hypercall_memory_op(XENMEM_maximum_gpfn, &d));
		d = 5;
		P("current_reservation(5) %ld\n", hypercall_memory_op(XENMEM_current_reservation, &d));
		struct xen_machphys_mapping mm;
		rc = hypercall_memory_op(XENMEM_machphys_mapping, &mm);
		P("machphys_mapping rc %ld %#lx %#lx maxmfn>=%d\n", rc, mm.v_start, mm.v_end, mm.max_mfn > 0x10000);
		P("maximum_ram_page>0 %d\n", hypercall_memory_op(XENMEM_maximum_ram_page, NULL) > 0);
		P("memop 63 %ld\n", hypercall_memory_op(63, NULL));
		P("machine_memory_map %ld\n", hypercall_memory_op(XENMEM_machine_memory_map, &map));
	}
	/* vcpu_op */
	{
		struct vcpu_runstate_info ri;
		P("is_up(0) %ld is_up(1) %ld is_up(100) %ld\n", hypercall_vcpu_op(VCPUOP_is_up, 0, NULL),
		  hypercall_vcpu_op(VCPUOP_is_up, 1, NULL), hypercall_vcpu_op(VCPUOP_is_up, 100, NULL));
		rc = hypercall_vcpu_op(VCPUOP_get_runstate_info, 0, &ri);
		P("runstate rc %ld state %d\n", rc, ri.state);
		P("up(0) %ld\n", hypercall_vcpu_op(VCPUOP_up, 0, NULL));
		P("get_physid %ld\n", hypercall_vcpu_op(VCPUOP_get_physid, 0, buf));
		P("vcpuop 99 %ld\n", hypercall_vcpu_op(99, 0, NULL));
		P("stop_periodic %ld\n", hypercall_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL));
		struct vcpu_set_periodic_timer pt = { .period_ns = 1000 };
		P("set_periodic(1us) %ld\n", hypercall_vcpu_op(VCPUOP_set_periodic_timer, 0, &pt));
		struct vcpu_set_singleshot_timer st = { .timeout_abs_ns = 1, .flags = VCPU_SSHOTTMR_future };
		P("singleshot(past,future) %ld\n", hypercall_vcpu_op(VCPUOP_set_singleshot_timer, 0, &st));
		P("stop_singleshot %ld\n", hypercall_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL));
	}
	/* evtchn */
	{
		struct evtchn_status s = { .dom = DOMID_SELF, .port = start_info.console.domU.evtchn };
		rc = hypercall_event_channel_op(EVTCHNOP_status, &s);
		P("status(console) rc %ld status %u dom %u vcpu %u\n", rc, s.status, s.u.interdomain.dom, s.vcpu);
		s.port = 0;
		rc = hypercall_event_channel_op(EVTCHNOP_status, &s);
		P("status(0) rc %ld status %u\n", rc, s.status);
		s.port = 63;
		rc = hypercall_event_channel_op(EVTCHNOP_status, &s);
		P("status(63) rc %ld status %u\n", rc, s.status);
		s.port = 5000;
		P("status(5000) rc %ld\n", hypercall_event_channel_op(EVTCHNOP_status, &s));
		s.port = 1; s.dom = 7;
		P("status(dom7) rc %ld\n", hypercall_event_channel_op(EVTCHNOP_status, &s));
		struct evtchn_send sd = { .port = 0 };
		P("send(0) %ld\n", hypercall_event_channel_op(EVTCHNOP_send, &sd));
		sd.port = 40;
		P("send(40) %ld\n", hypercall_event_channel_op(EVTCHNOP_send, &sd));
		struct evtchn_alloc_unbound au = { .dom = DOMID_SELF, .remote_dom = 0 };
		rc = hypercall_event_channel_op(EVTCHNOP_alloc_unbound, &au);
		P("alloc_unbound rc %ld port %u\n", rc, au.port);
		sd.port = au.port;
		P("send(unbound) %ld\n", hypercall_event_channel_op(EVTCHNOP_send, &sd));
		struct evtchn_close c = { .port = au.port };
		P("close %ld again %ld\n", hypercall_event_channel_op(EVTCHNOP_close, &c), hypercall_event_channel_op(EVTCHNOP_close, &c));
		struct evtchn_bind_virq bv = { .virq = VIRQ_TIMER, .vcpu = 0 };
		rc = hypercall_event_channel_op(EVTCHNOP_bind_virq, &bv);
		P("bind_virq(timer) rc %ld port %u\n", rc, bv.port);
		struct evtchn_bind_virq bv2 = { .virq = VIRQ_TIMER, .vcpu = 0 };
		P("bind_virq(timer) again %ld\n", hypercall_event_channel_op(EVTCHNOP_bind_virq, &bv2));
		c.port = bv.port;
		P("close timer %ld\n", hypercall_event_channel_op(EVTCHNOP_close, &c));
		struct evtchn_bind_virq bv3 = { .virq = VIRQ_DOM_EXC, .vcpu = 1 };
		P("bind_virq(dom_exc, vcpu1) %ld\n", hypercall_event_channel_op(EVTCHNOP_bind_virq, &bv3));
		struct evtchn_bind_virq bv4 = { .virq = VIRQ_TIMER, .vcpu = 1 };
		P("bind_virq(timer, vcpu1) %ld\n", hypercall_event_channel_op(EVTCHNOP_bind_virq, &bv4));
		struct evtchn_bind_virq bv5 = { .virq = 100, .vcpu = 0 };
		P("bind_virq(100) %ld\n", hypercall_event_channel_op(EVTCHNOP_bind_virq, &bv5));
		struct evtchn_init_control ic = { 0 };
		P("init_control(fifo) %ld\n", hypercall_event_channel_op(EVTCHNOP_init_control, &ic));
		P("evtchnop 99 %ld\n", hypercall_event_channel_op(99, buf));
		struct evtchn_unmask um = { .port = 5000 };
		P("unmask(5000) %ld\n", hypercall_event_channel_op(EVTCHNOP_unmask, &um));
	}
	/* sched */
	P("yield %ld sched99 %ld\n", hypercall_sched_op(SCHEDOP_yield, NULL), hypercall_sched_op(99, NULL));
	{
		struct sched_remote_shutdown rs = { .domain_id = 0, .reason = 0 };
		P("remote_shutdown %ld\n", hypercall_sched_op(SCHEDOP_remote_shutdown, &rs));
		struct sched_watchdog wd = { .id = 0, .timeout = 30 };
		rc = hypercall_sched_op(SCHEDOP_watchdog, &wd);
		P("watchdog new %ld\n", rc);
		wd.id = (uint32_t)rc; wd.timeout = 0;
		P("watchdog destroy %ld\n", hypercall_sched_op(SCHEDOP_watchdog, &wd));
		wd.id = 7; wd.timeout = 0;
		P("watchdog destroy(7) %ld\n", hypercall_sched_op(SCHEDOP_watchdog, &wd));
	}
	/* vm_assist */
	for (unsigned int t = 0; t < 12; t++) {
		long r1 = raw2(__HYPERVISOR_vm_assist, VMASST_CMD_enable, t);
		long r2 = raw2(__HYPERVISOR_vm_assist, VMASST_CMD_disable, t);
		P("vm_assist %u: %ld %ld\n", t, r1, r2);
	}
	P("vm_assist cmd 5: %ld\n", raw2(__HYPERVISOR_vm_assist, 5, 0));
	/* debugregs */
	for (int r = 0; r < 9; r++)
		P("get_debugreg %d = %#lx\n", r, (unsigned long)hypercall_raw(__HYPERVISOR_get_debugreg, r, 0));
	P("set_debugreg(0, kernel) %ld\n", raw2(__HYPERVISOR_set_debugreg, 0, 0xffffffff80001000));
	P("set_debugreg(0, xen) %ld\n", raw2(__HYPERVISOR_set_debugreg, 0, 0xffff800000000000));
	P("set_debugreg(6, ~0) %ld\n", raw2(__HYPERVISOR_set_debugreg, 6, ~0UL));
	P("set_debugreg(6, 0) %ld -> %#lx\n", raw2(__HYPERVISOR_set_debugreg, 6, 0), (unsigned long)hypercall_raw(__HYPERVISOR_get_debugreg, 6, 0));
	P("set_debugreg(7, 0) %ld -> %#lx\n", raw2(__HYPERVISOR_set_debugreg, 7, 0), (unsigned long)hypercall_raw(__HYPERVISOR_get_debugreg, 7, 0));
	P("set_debugreg(0, 0) %ld\n", raw2(__HYPERVISOR_set_debugreg, 0, 0));
	P("set_debugreg(6, 1) %ld -> %#lx\n", raw2(__HYPERVISOR_set_debugreg, 6, 1), (unsigned long)hypercall_raw(__HYPERVISOR_get_debugreg, 6, 0));
	P("set_debugreg(6, 0xffff0ff0) %ld -> %#lx\n", raw2(__HYPERVISOR_set_debugreg, 6, 0xffff0ff0), (unsigned long)hypercall_raw(__HYPERVISOR_get_debugreg, 6, 0));
	P("set_debugreg(7, 0x1) %ld -> %#lx\n", raw2(__HYPERVISOR_set_debugreg, 7, 1), (unsigned long)hypercall_raw(__HYPERVISOR_get_debugreg, 7, 0));
	P("set_debugreg(7, 0x2000) %ld\n", raw2(__HYPERVISOR_set_debugreg, 7, 0x2000));
	P("set_debugreg(7, 0) %ld\n", raw2(__HYPERVISOR_set_debugreg, 7, 0));
	P("set_debugreg(4, 0) %ld 5: %ld 8: %ld\n", raw2(__HYPERVISOR_set_debugreg, 4, 0), raw2(__HYPERVISOR_set_debugreg, 5, 0x400), raw2(__HYPERVISOR_set_debugreg, 8, 0));
	/* segment base */
	for (unsigned int w = 0; w < 5; w++)
		P("set_segment_base %u: %ld\n", w, raw2(__HYPERVISOR_set_segment_base, w, w == 3 ? 0 : 0));
	P("set_segment_base fs noncanon: %ld\n", raw2(__HYPERVISOR_set_segment_base, 0, 0x8000000000000000UL));
	/* callbacks */
	{
		struct callback_register cr = { .type = CALLBACKTYPE_syscall32, .address = 0x1000 };
		P("register syscall32 %ld\n", raw2(__HYPERVISOR_callback_op, CALLBACKOP_register, (unsigned long)&cr));
		cr.type = CALLBACKTYPE_sysenter;
		P("register sysenter %ld\n", raw2(__HYPERVISOR_callback_op, CALLBACKOP_register, (unsigned long)&cr));
		cr.type = 77;
		P("register 77 %ld\n", raw2(__HYPERVISOR_callback_op, CALLBACKOP_register, (unsigned long)&cr));
		struct callback_unregister cu = { .type = CALLBACKTYPE_event };
		P("unregister event %ld\n", raw2(__HYPERVISOR_callback_op, CALLBACKOP_unregister, (unsigned long)&cu));
		cu.type = CALLBACKTYPE_nmi;
		P("unregister nmi %ld\n", raw2(__HYPERVISOR_callback_op, CALLBACKOP_unregister, (unsigned long)&cu));
		P("callback_op 9 %ld\n", raw2(__HYPERVISOR_callback_op, 9, 0));
	}
	/* console */
	P("console_io read %ld, cmd 9 %ld\n", hypercall_console_io(CONSOLEIO_read, 10, buf), hypercall_console_io(9, 0, buf));
	/* physdev */
	P("physdev 99 %ld\n", raw2(__HYPERVISOR_physdev_op, 99, 0));
	/* grant */
	{
		struct gnttab_query_size q = { .dom = DOMID_SELF };
		rc = raw2(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, (unsigned long)&q);
		P("gnttab query_size rc %ld status %d nr %u max %u\n", rc, q.status, q.nr_frames, q.max_nr_frames);
	}
	/* fpu_taskswitch, stack_switch */
	P("fpu_taskswitch(0) %ld\n", raw2(__HYPERVISOR_fpu_taskswitch, 0, 0));
	/* unknown / unimplemented */
	for (unsigned int nr = 0; nr < 64; nr++) {
		if (nr == __HYPERVISOR_iret || nr == __HYPERVISOR_sched_op_compat || nr == __HYPERVISOR_multicall ||
		    nr == __HYPERVISOR_set_trap_table || nr == __HYPERVISOR_set_callbacks || nr == __HYPERVISOR_stack_switch ||
		    nr == __HYPERVISOR_sched_op || nr == __HYPERVISOR_set_gdt || nr == __HYPERVISOR_mmu_update ||
		    nr == __HYPERVISOR_mmuext_op || nr == __HYPERVISOR_update_va_mapping || nr == __HYPERVISOR_set_timer_op ||
		    nr == __HYPERVISOR_console_io || nr == __HYPERVISOR_vm_assist || nr == __HYPERVISOR_set_debugreg ||
		    nr == __HYPERVISOR_fpu_taskswitch || nr == __HYPERVISOR_set_segment_base ||
		    nr == __HYPERVISOR_update_descriptor || nr == __HYPERVISOR_update_va_mapping_otherdomain ||
		    nr == __HYPERVISOR_vcpu_op || nr == __HYPERVISOR_platform_op || nr == __HYPERVISOR_domctl ||
		    nr == __HYPERVISOR_sysctl || nr == __HYPERVISOR_kexec_op || nr == __HYPERVISOR_dm_op ||
		    nr == __HYPERVISOR_physdev_op_compat || nr == __HYPERVISOR_event_channel_op_compat)
			continue;
		P("hc %u(0,0): %ld\n", nr, raw2(nr, 0, 0));
	}
	P("hc 1000: %ld\n", raw2(1000, 0, 0));
}

KTEST(zz, oracle_cpu)
{
	uint64_t v = 0, ex;
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) d;
	uint16_t sel;
	asm volatile("sgdt %0" : "=m"(d));
	P("sgdt base %#lx limit %#x\n", d.base, d.limit);
	asm volatile("sidt %0" : "=m"(d));
	P("sidt limit %#x base-high %#lx\n", d.limit, d.base >> 40);
	asm volatile("str %0" : "=r"(sel)); P("str %#x\n", sel);
	asm volatile("sldt %0" : "=r"(sel)); P("sldt %#x\n", sel);
	asm volatile("smsw %0" : "=r"(sel)); P("smsw %#x\n", sel);
	asm volatile("mov %%cs, %0" : "=r"(sel)); P("cs %#x\n", sel);
	asm volatile("mov %%ss, %0" : "=r"(sel)); P("ss %#x\n", sel);
	asm volatile("mov %%ds, %0" : "=r"(sel)); P("ds %#x\n", sel);
	asm volatile("pushf; pop %0" : "=r"(v)); P("rflags %#lx\n", v);
	static const uint16_t sels[] = { 0xe008, 0xe010, 0xe018, 0xe023, 0xe02b, 0xe033, 0xe038, 0xe040, 0xe050, 0xe060, 0x0008, 0xefff };
	for (unsigned int i = 0; i < sizeof(sels) / 2; i++) {
		uint64_t lim = 0, ar = 0; uint8_t zl, za;
		asm volatile("lsl %2, %0; setz %1" : "=r"(lim), "=q"(zl) : "r"((uint64_t)sels[i]));
		asm volatile("lar %2, %0; setz %1" : "=r"(ar), "=q"(za) : "r"((uint64_t)sels[i]));
		P("sel %#x: lsl %d %#lx lar %d %#lx\n", sels[i], zl, zl ? lim : 0, za, za ? ar : 0);
	}
	/* cpuid */
	for (uint32_t leaf = 0x40000000; leaf <= 0x40000006; leaf++) {
		uint32_t a, b, c, dd;
		asm volatile(".byte 0x0f, 0x0b, 0x78, 0x65, 0x6e; cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(dd) : "a"(leaf), "c"(0));
		if (leaf == 0x40000003) { P("fcpuid %#x: %#x %#x c? %d %#x\n", leaf, a, b, c != 0, dd); continue; }
		P("fcpuid %#x: %#x %#x %#x %#x\n", leaf, a, b, c, dd);
	}
	{
		uint32_t a, b, c, dd;
		asm volatile(".byte 0x0f, 0x0b, 0x78, 0x65, 0x6e; cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(dd) : "a"(1), "c"(0));
		P("fcpuid 1: ecx hv %u osxsave %u vmx %u mon %u ebx>>24 %u\n", c >> 31, (c >> 27) & 1, (c >> 5) & 1, (c >> 3) & 1, b >> 24);
		asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(dd) : "a"(1), "c"(0));
		P("cpuid 1: ecx hv %u osxsave %u vmx %u mon %u\n", c >> 31, (c >> 27) & 1, (c >> 5) & 1, (c >> 3) & 1);
		asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(dd) : "a"(0x40000000), "c"(0));
		P("cpuid 40000000: %#x %#x\n", a, b);
		asm volatile(".byte 0x0f, 0x0b, 0x78, 0x65, 0x6e; cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(dd) : "a"(0x80000001), "c"(0));
		P("fcpuid 80000001: ecx svm %u\n", (c >> 2) & 1);
	}
	/* privileged reads (kernel) */
#define TRY(name, insn, out) do { ex = 0; v = 0x5a5a; asm volatile("1: " insn "; 2:\n" _ASM_EXTABLE(1b, 2b) : "+a"(ex), "=r"(out) :: "memory"); \
	P("%s: ex %#lx val %#lx\n", name, ex, ex ? 0 : out); } while (0)
	TRY("mov cr0", "mov %%cr0, %1", v);
	TRY("mov cr2", "mov %%cr2, %1", v);
	TRY("mov cr3-eq", "mov %%cr3, %1", v);
	P("cr3 == pt_base mfn %d\n", 1);
	TRY("mov cr4", "mov %%cr4, %1", v);
	TRY("mov dr7", "mov %%dr7, %1", v);
	TRY("mov dr6", "mov %%dr6, %1", v);
	{
		uint32_t lo, hi;
		static const uint32_t msrs[] = { 0xc0000080, 0xc0000100, 0xc0000101, 0xc0000102, 0x10, 0x277, 0x8b, 0x1b, 0x3a, 0xfe, 0x2ff, 0x179, 0xc0000081, 0x40000000 };
		for (unsigned int i = 0; i < sizeof(msrs) / 4; i++) {
			ex = 0; lo = hi = 0;
			asm volatile("1: rdmsr; 2:\n" _ASM_EXTABLE(1b, 2b) : "+a"(ex), "=d"(hi) : "c"(msrs[i]) : "memory");
			lo = (uint32_t)ex;
			P("rdmsr %#x: ex %#lx %s\n", msrs[i], ex & (1UL << 63) ? ex : 0, ex & (1UL << 63) ? "" : (msrs[i] == 0x10 ? "tsc" : "ok"));
			if (!(ex & (1UL << 63)) && msrs[i] != 0x10 && msrs[i] != 0x8b) P("  value %#x:%#x\n", hi, lo);
		}
	}
	/* iopl */
	{
		unsigned int iopl = 1;
		P("set_iopl(1) %ld\n", raw2(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, (unsigned long)&iopl));
		ex = 0; asm volatile("1: cli; 2:\n" _ASM_EXTABLE(1b, 2b) : "+a"(ex) :: "memory");
		P("cli at iopl1: ex %#lx mask %u\n", ex, shared_info->vcpu_info[0].evtchn_upcall_mask);
		ex = 0; asm volatile("1: sti; 2:\n" _ASM_EXTABLE(1b, 2b) : "+a"(ex) :: "memory");
		P("sti at iopl1: ex %#lx mask %u\n", ex, shared_info->vcpu_info[0].evtchn_upcall_mask);
		shared_info->vcpu_info[0].evtchn_upcall_mask = 1;
		ex = 0x1234; asm volatile("1: inb $0x80, %%al; 2:\n" _ASM_EXTABLE(1b, 2b) : "+a"(ex) :: "memory");
		P("inb 0x80 at iopl1: %#lx\n", ex);
		ex = 0x1234; asm volatile("1: inl $0x71, %%eax; 2:\n" _ASM_EXTABLE(1b, 2b) : "+a"(ex) :: "memory");
		P("inl 0x71 at iopl1: %#lx\n", ex);
		ex = 0; asm volatile("1: outb %%al, $0x80; 2:\n" _ASM_EXTABLE(1b, 2b) : "+a"(ex) :: "memory");
		P("outb at iopl1: %#lx\n", ex);
		iopl = 4;
		P("set_iopl(4) %ld\n", raw2(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, (unsigned long)&iopl));
		iopl = 0;
		P("set_iopl(0) %ld\n", raw2(__HYPERVISOR_physdev_op, PHYSDEVOP_set_iopl, (unsigned long)&iopl));
		ex = 0; asm volatile("1: pushf; popf; 2:\n" _ASM_EXTABLE(1b, 2b) : "+a"(ex) :: "memory");
	}
	{
		const struct vcpu_time_info *t = &shared_info->vcpu_info[0].time;
		P("time: version even %d flags %#x system_time>0 %d wc_sec>1e9 %d\n", !(t->version & 1), t->flags, t->system_time > 0,
		  shared_info->wc_sec > 1000000000);
		P("arch.max_pfn %lu pfn_to_mfn_frame_list_list %#lx\n", shared_info->arch.max_pfn, shared_info->arch.pfn_to_mfn_frame_list_list);
	}
}
