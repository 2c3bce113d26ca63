/*
 * The fuzz run (kernel/fuzz.h, docs/fuzz.md): "fuzz=N seed=S" on the
 * command line makes N hypercalls, each number 0..63 drawn with more
 * weight on the ones Xen implements for a PV domU, then checks that the
 * guest itself survived intact and prints one result line per check in
 * the test suite's format, so the harness counts them like tests.
 * "fuzz_skip=23,26" leaves numbers out (for chasing one bug past another),
 * "fuzz_only=23" all but these (comparing one call's outcomes with Xen's
 * from the same state), "fuzz_log_iret=1" one line per iret frame and how
 * it ended.
 */
#include <xen/xen.h>
#include <xen/nmi.h>

#include "arch/x86/extable.h"
#include "arch/x86/hypercall.h"
#include "arch/x86/page.h"
#include "arch/x86/regs.h"
#include "kernel/fuzz.h"
#include "kernel/kernel.h"
#include "lib/printf.h"
#include "xen/start_info.h"

#define FILL_EVERY	16
#define RESET_EVERY	2000

extern char fz_event_entry[], fz_failsafe_entry[], fz_syscall_entry[], fz_nmi_entry[];
extern const struct trap_info fz_trap_table[];
extern const char _image_start[], __stop_ktests[];

static const char *const names[64] = {
	"set_trap_table", "mmu_update", "set_gdt", "stack_switch", "set_callbacks",
	"fpu_taskswitch", "sched_op_compat", "platform_op", "set_debugreg",
	"get_debugreg", "update_descriptor", "hc11", "memory_op", "multicall",
	"update_va_mapping", "set_timer_op", "event_channel_op_compat",
	"xen_version", "console_io", "physdev_op_compat", "grant_table_op",
	"vm_assist", "update_va_mapping_otherdomain", "iret", "vcpu_op",
	"set_segment_base", "mmuext_op", "xsm_op", "nmi_op", "sched_op",
	"callback_op", "xenoprof_op", "event_channel_op", "physdev_op", "hvm_op",
	"sysctl", "domctl", "kexec_op", "tmem_op", "argo_op", "xenpmu_op", "dm_op",
	"hypfs_op",
};

fz_gen *const fz_generators[64] = {
	[__HYPERVISOR_set_trap_table] = fz_gen_set_trap_table,
	[__HYPERVISOR_mmu_update] = fz_gen_mmu_update,
	[__HYPERVISOR_set_gdt] = fz_gen_set_gdt,
	[__HYPERVISOR_stack_switch] = fz_gen_stack_switch,
	[__HYPERVISOR_set_callbacks] = fz_gen_set_callbacks,
	[__HYPERVISOR_fpu_taskswitch] = fz_gen_fpu_taskswitch,
	[__HYPERVISOR_sched_op_compat] = fz_gen_sched_op_compat,
	[__HYPERVISOR_platform_op] = fz_gen_privileged,
	[__HYPERVISOR_set_debugreg] = fz_gen_set_debugreg,
	[__HYPERVISOR_get_debugreg] = fz_gen_get_debugreg,
	[__HYPERVISOR_update_descriptor] = fz_gen_update_descriptor,
	[__HYPERVISOR_memory_op] = fz_gen_memory_op,
	[__HYPERVISOR_multicall] = fz_gen_multicall,
	[__HYPERVISOR_update_va_mapping] = fz_gen_update_va_mapping,
	[__HYPERVISOR_set_timer_op] = fz_gen_set_timer_op,
	[__HYPERVISOR_event_channel_op_compat] = fz_gen_event_channel_op_compat,
	[__HYPERVISOR_xen_version] = fz_gen_xen_version,
	[__HYPERVISOR_console_io] = fz_gen_console_io,
	[__HYPERVISOR_physdev_op_compat] = fz_gen_physdev_op_compat,
	[__HYPERVISOR_grant_table_op] = fz_gen_grant_table_op,
	[__HYPERVISOR_vm_assist] = fz_gen_vm_assist,
	[__HYPERVISOR_update_va_mapping_otherdomain] = fz_gen_update_va_mapping_otherdomain,
	[__HYPERVISOR_iret] = fz_gen_iret,
	[__HYPERVISOR_vcpu_op] = fz_gen_vcpu_op,
	[__HYPERVISOR_set_segment_base] = fz_gen_set_segment_base,
	[__HYPERVISOR_mmuext_op] = fz_gen_mmuext_op,
	[__HYPERVISOR_xsm_op] = fz_gen_privileged,
	[__HYPERVISOR_nmi_op] = fz_gen_nmi_op,
	[__HYPERVISOR_sched_op] = fz_gen_sched_op,
	[__HYPERVISOR_callback_op] = fz_gen_callback_op,
	[__HYPERVISOR_xenoprof_op] = fz_gen_privileged,
	[__HYPERVISOR_event_channel_op] = fz_gen_event_channel_op,
	[__HYPERVISOR_physdev_op] = fz_gen_physdev_op,
	[__HYPERVISOR_hvm_op] = fz_gen_privileged,
	[__HYPERVISOR_sysctl] = fz_gen_privileged,
	[__HYPERVISOR_domctl] = fz_gen_privileged,
	[__HYPERVISOR_kexec_op] = fz_gen_privileged,
	[__HYPERVISOR_tmem_op] = fz_gen_privileged,
	[__HYPERVISOR_argo_op] = fz_gen_privileged,
	[__HYPERVISOR_xenpmu_op] = fz_gen_privileged,
	[__HYPERVISOR_dm_op] = fz_gen_privileged,
	[__HYPERVISOR_hypfs_op] = fz_gen_privileged,
	[__HYPERVISOR_arch_0] = fz_gen_privileged,
	[__HYPERVISOR_arch_1] = fz_gen_privileged,
};

static struct { unsigned long calls, zero; } counts[64];
static uint64_t skipped;		/* bit per hypercall number */
static unsigned int cumulative[64], total_weight;

/* The page-table and grant hypercalls weigh most, then whatever Xen implements. */
static unsigned int weight(unsigned long op)
{
	switch (op) {
	case __HYPERVISOR_mmu_update: case __HYPERVISOR_mmuext_op:
	case __HYPERVISOR_update_va_mapping: case __HYPERVISOR_multicall:
	case __HYPERVISOR_grant_table_op:
		return 8;
	default:
		return fz_generators[op] && fz_generators[op] != fz_gen_privileged ? 4 : 1;
	}
}

unsigned long fz_pick_op(void)
{
	unsigned int r = (unsigned int)fz_below(total_weight);
	unsigned long op = 0;

	while (cumulative[op] <= r)
		op++;
	return op;
}

/* ---- the command line --------------------------------------------------------- */

static const char *cmdline_value(const char *key)
{
	const char *cmd = (const char *)start_info.cmd_line;
	size_t len = strnlen(cmd, sizeof(start_info.cmd_line)), k = strlen(key);

	for (size_t i = 0; i + k < len; i++)
		if ((i == 0 || cmd[i - 1] == ' ') && !strncmp(cmd + i, key, k) && cmd[i + k] == '=')
			return cmd + i + k + 1;
	return NULL;
}

static unsigned long parse_number(const char **s)
{
	unsigned long v = 0, base = 10;
	const char *p = *s;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (;; p++) {
		unsigned int d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned int)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned int)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned int)(*p - 'A' + 10);
		else
			break;
		v = v * base + d;
	}
	*s = p;
	return v;
}

static unsigned long option(const char *key, unsigned long dflt)
{
	const char *v = cmdline_value(key);

	return v ? parse_number(&v) : dflt;
}

bool fuzz_requested(void)
{
	return cmdline_value("fuzz") != NULL;
}

static uint64_t number_list(const char *key)
{
	const char *v = cmdline_value(key);
	uint64_t set = 0;

	while (v && *v >= '0' && *v <= '9') {
		unsigned long n = parse_number(&v);

		if (n < 64)
			set |= 1ull << n;
		if (*v != ',')
			break;
		v++;
	}
	return set;
}

static void parse_skip(void)
{
	uint64_t only = number_list("fuzz_only");

	skipped = number_list("fuzz_skip") | (only ? ~only : 0);
}

/* ---- making the call and undoing it -------------------------------------------------- */

long fz_hypercall(const struct fz_call *c, bool direct)
{
	register uint64_t r10 asm("r10") = c->a[3];
	register uint64_t r8 asm("r8") = c->a[4];
	register uint64_t r9 asm("r9") = c->a[5];
	uint64_t rdi = c->a[0], rsi = c->a[1], rdx = c->a[2];
	long rax = (long)c->op;

	if (direct || c->op >= 64) {
		/* SYSCALL from the kernel is a hypercall on Xen too, stub or not. */
		asm volatile ("syscall"
			      : "+a" (rax), "+D" (rdi), "+S" (rsi), "+d" (rdx),
				"+r" (r10), "+r" (r8), "+r" (r9)
			      : : "rcx", "r11", "memory", "cc");
	} else {
		void *stub = hypercall_page + c->op * 32;

		asm volatile ("call *%[stub]"
			      : "+a" (rax), "+D" (rdi), "+S" (rsi), "+d" (rdx),
				"+r" (r10), "+r" (r8), "+r" (r9)
			      : [stub] "r" (stub) : "rcx", "r11", "memory", "cc");
	}
	return rax;
}

/*
 * Put back what a call may have changed, in one multicall (every exit is
 * audited when parahost runs with "audit": fewer is faster); the
 * breakpoints first, nothing of ours runs in between.
 */
void fz_restore(unsigned int what)
{
	static struct xennmi_callback nmi;
	static struct mmuext_op base;
	multicall_entry_t mc[8];
	unsigned int n = 0;

	nmi.handler_address = (unsigned long)fz_nmi_entry;
	base = (struct mmuext_op){ .cmd = MMUEXT_NEW_BASEPTR, .arg1.mfn = fz.own_pt[0] };
	if (what & FZR_DR7)
		mc[n++] = (multicall_entry_t){ .op = __HYPERVISOR_set_debugreg, .args = { 7, 0x400 } };
	if (what & FZR_TRAPS) {
		/* A table only fills the vectors it names: clear the rest first. */
		mc[n++] = (multicall_entry_t){ .op = __HYPERVISOR_set_trap_table, .args = { 0 } };
		mc[n++] = (multicall_entry_t){ .op = __HYPERVISOR_set_trap_table,
					       .args = { (unsigned long)fz_trap_table } };
		what |= FZR_NMI;
	}
	if (what & FZR_CALLBACKS)
		mc[n++] = (multicall_entry_t){ .op = __HYPERVISOR_set_callbacks,
			.args = { (unsigned long)fz_event_entry, (unsigned long)fz_failsafe_entry,
				  (unsigned long)fz_syscall_entry } };
	if (what & FZR_NMI)
		mc[n++] = (multicall_entry_t){ .op = __HYPERVISOR_nmi_op,
			.args = { XENNMI_register_callback, (unsigned long)&nmi } };
	if (what & FZR_STACK)
		mc[n++] = (multicall_entry_t){ .op = __HYPERVISOR_stack_switch,
			.args = { FLAT_KERNEL_SS, fz.kstack_top } };
	if (what & FZR_BASE)
		mc[n++] = (multicall_entry_t){ .op = __HYPERVISOR_mmuext_op,
			.args = { (unsigned long)&base, 1, 0, DOMID_SELF } };
	if (what & FZR_MASK)
		WRITE_ONCE(shared_info->vcpu_info[0].evtchn_upcall_mask, 1);
	if (what & FZR_USER_BASE)
		fz.user_base_ok = false;
	if (!n)
		return;
	fz_stats.setup_calls++;
	if (hypercall_multicall(mc, n))
		panic("fuzz: putting our entry points back failed (%#x)", what);
	for (unsigned int i = 0; i < n; i++)
		if (mc[i].result)
			panic("fuzz: putting our entry points back: op %lu gave %ld",
			      (unsigned long)mc[i].op, (long)mc[i].result);
}

/* ---- checks ------------------------------------------------------------------------ */

static uint64_t checksum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* Our code, read-only data, P2M and the read-only page of zeros. */
static uint64_t our_image(void)
{
	uint64_t h = checksum(_image_start, (size_t)(__stop_ktests - _image_start));

	h ^= checksum((const void *)start_info.mfn_list, start_info.nr_pages * sizeof(xen_pfn_t));
	return h ^ checksum((const void *)fz.ro, PAGE_SIZE);
}

struct result {
	const char *name;
	bool ok, skip;
	char why[120];
};

static unsigned int report(const struct result *r, unsigned int n)
{
	unsigned int failed = 0, passed = 0, skips = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (r[i].skip) {
			kprintf("ok %u fuzz/%s # SKIP %s\n", i + 1, r[i].name, r[i].why);
			skips++;
		} else if (r[i].ok) {
			kprintf("ok %u fuzz/%s\n", i + 1, r[i].name);
			passed++;
		} else {
			kprintf("not ok %u fuzz/%s - %s\n", i + 1, r[i].name, r[i].why);
			failed++;
		}
	}
	if (skips)
		kprintf("paraos: %u passed, %u failed, %u skipped\n", passed, failed, skips);
	else
		kprintf("paraos: %u passed, %u failed\n", passed, failed);
	return failed;
}

static void print_counts(void)
{
	for (unsigned int op = 0; op < 64; op += 8) {
		kprintf("fuzz: calls");
		for (unsigned int k = op; k < op + 8; k++) {
			if (names[k])
				kprintf(" %s=%lu/%lu", names[k], counts[k].calls, counts[k].zero);
			else
				kprintf(" hc%u=%lu/%lu", k, counts[k].calls, counts[k].zero);
		}
		kprintf("\n");
	}
}

void fuzz_run(void)
{
	unsigned long n = option("fuzz", 100000), seed = option("seed", 1), missing = 0;
	struct result r[3] = { { .name = "all_numbers" }, { .name = "kernel_intact" },
			       { .name = "traps_still_ours" } };
	uint64_t image, t0, exinfo = 0, value;
	unsigned int bad;

	parse_skip();
	for (unsigned int op = 0; op < 64; op++) {
		total_weight += skipped & (1ull << op) ? 0 : weight(op);
		cumulative[op] = total_weight;
	}
	kprintf("fuzz: %lu hypercalls, seed %lu%s\n", n, seed, skipped ? ", some numbers skipped" : "");
	if (!total_weight)
		panic("fuzz: every hypercall number skipped");
	WRITE_ONCE(shared_info->vcpu_info[0].evtchn_upcall_mask, 1);
	fz.log_iret = option("fuzz_log_iret", 0) != 0;
	fz_seed(seed);
	fz_box_init();
	image = our_image();
	t0 = fz_now();

	for (unsigned long i = 0; i < n; i++) {
		struct fz_call c = { 0 };
		long rc = 0;

		if (i && i % FILL_EVERY == 0)
			fz_box_fill();
		if (i && i % RESET_EVERY == 0)
			fz_box_reset(false);
		if (i && i % (n / 10 ? n / 10 : 1) == 0)
			kprintf("\nfuzz: %lu of %lu, %lu ms\n", i, n, (unsigned long)((fz_now() - t0) / 1000000));
		fz_buf_reset();
		c.op = fz_pick_op();
		(fz_generators[c.op] ? fz_generators[c.op] : fz_gen_random)(&c, 0);
		if (c.experiment)
			fz_iret_run(&c);
		else
			rc = fz_hypercall(&c, fz_chance(10));
		counts[c.op].calls++;
		if (rc == 0 && !c.experiment)
			counts[c.op].zero++;
		if (c.post)
			c.post(&c, rc);
		fz_restore(c.restore);
	}

	/*
	 * How many sandbox frames are still typed after the reset: a figure,
	 * not a verdict. Xen keeps type references after some failed
	 * validations (its mm.c prefers leaking one to guessing); parahost's
	 * audit checks its own counts exactly.
	 */
	bad = fz_box_reset(true);
	kprintf("\nfuzz: %lu hypercalls, seed %lu, %lu ms; %lu setup calls, %lu sandbox resets, "
		"%u frames still typed; iret: %lu frames, %lu landed, %lu failsafe, %lu returned; "
		"outside them: %lu failsafe, %lu #DB, %lu NMI\n",
		n, seed, (unsigned long)((fz_now() - t0) / 1000000), fz_stats.setup_calls,
		fz_stats.resets, bad, fz_stats.iret_runs, fz_stats.iret_landed,
		fz_stats.iret_failsafe, fz_stats.iret_returned, fz_stats.failsafes,
		fz_stats.debug_traps, fz_stats.nmis);
	print_counts();
	kprintf("fuzz: iret frames ended in");
	for (unsigned int v = 0; v < 32; v++)
		if (fz_stats.iret_vectors[v])
			kprintf(" %s=%lu", exception_name(v), fz_stats.iret_vectors[v]);
	kprintf("\n");

	for (unsigned int op = 0; op < 64; op++)
		if (!(skipped & (1ull << op)) && !counts[op].calls)
			missing++;
	if (n < 64 * 64) {
		r[0].skip = true;
		snprintf(r[0].why, sizeof(r[0].why), "%lu calls are too few to reach every number", n);
	} else {
		r[0].ok = !missing;
		snprintf(r[0].why, sizeof(r[0].why), "%lu hypercall numbers never called", missing);
	}
	r[1].ok = our_image() == image;
	snprintf(r[1].why, sizeof(r[1].why), "our code, P2M or read-only page changed");
	/* A fault still reaches our handler, with the right vector and CR2. */
	asm volatile ("1: mov (%[va]), %[v]; 2:\n" _ASM_EXTABLE(1b, 2b)
		      : "+a" (exinfo), [v] "=r" (value) : [va] "r" (fz.buf_end) : "memory");
	r[2].ok = EXINFO_VEC(exinfo) == X86_EXC_PF && extable_last_cr2 == fz.buf_end;
	snprintf(r[2].why, sizeof(r[2].why), "a read of %#lx gave exinfo %#lx, CR2 %#lx",
		 fz.buf_end, (unsigned long)exinfo, (unsigned long)extable_last_cr2);
	if (report(r, ARRAY_SIZE(r)) == 0)
		poweroff();
	crash();
}
