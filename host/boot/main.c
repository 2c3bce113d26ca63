/*
 * parahost: boot, find the guest image among the multiboot2 modules, pick
 * the virtualization backend, build the PV domain and run it.
 */
#include "host/boot/boot.h"
#include "host/host.h"
#include "host/pv/pv.h"
#include "host/vcpu.h"
#include "host/x86.h"

struct host_options host_opts;
static struct boot_info boot_info;

void host_main(uint32_t magic, uint64_t info);
void host_traps_init(void);

/* "k=v" words from the host command line. Sizes take K, M and G suffixes. */
static uint64_t parse_size(const char *s)
{
	uint64_t v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	switch (*s) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10; break;
	}
	return v;
}

static const char *find_char(const char *s, char c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == c)
			return s + i;
	return NULL;
}

static bool word_is(const char *w, size_t n, const char *key)
{
	return strlen(key) == n && !memcmp(w, key, n);
}

static void parse_cmdline(const char *c)
{
	while (*c) {
		const char *w, *eq;
		size_t n;

		while (*c == ' ')
			c++;
		w = c;
		while (*c && *c != ' ')
			c++;
		n = (size_t)(c - w);
		if (!n)
			break;
		eq = find_char(w, '=', n);
		if (eq && word_is(w, (size_t)(eq - w), "guest_mem"))
			host_opts.guest_mem = parse_size(eq + 1);
		else if (word_is(w, n, "strict"))
			host_opts.strict = true;
		else if (word_is(w, n, "dom0"))
			host_opts.dom0 = true;
		else if (word_is(w, n, "verbose"))
			host_opts.verbose = true;
		else if (eq && word_is(w, (size_t)(eq - w), "selftest")) {
			size_t len = n - (size_t)(eq + 1 - w);

			if (len >= sizeof(host_opts.selftest))
				len = sizeof(host_opts.selftest) - 1;
			memcpy(host_opts.selftest, eq + 1, len);
			host_opts.selftest[len] = 0;
		}
		else if (word_is(w, n, "audit"))
			host_opts.audit = true;
		else if (eq && word_is(w, (size_t)(eq - w), "stats"))
			host_opts.stats_s = parse_size(eq + 1);
	}
}

void host_main(uint32_t magic, uint64_t info)
{
	uint32_t a, b, c, d;

	serial_init();
	host_traps_init();
	mb2_parse(magic, info, &boot_info);
	printk("parahost: a minimal host for the Xen 64-bit PV ABI; cmdline \"%s\"",
	       boot_info.cmdline);
	parse_cmdline(boot_info.cmdline);
	frame_init(&boot_info);
	acpi_init(boot_info.rsdp);
	printk("%lu MiB of free RAM", (unsigned long)(frames_free() >> 8));

	/* NX for the nested page tables, when the CPU has it. */
	cpuid(0x80000001, &a, &b, &c, &d);
	if (d & (1U << 20))
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	host_paging_init();
	if (host_opts.selftest[0])
		host_selftest(host_opts.selftest);
	/*
	 * XSAVE on, XCR0 = x87 | SSE, as Xen runs: the guest shares XCR0 with
	 * us (neither VT-x nor AMD-V switches it) and sees Xen's OSXSAVE.
	 */
	cpuid(1, &a, &b, &c, &d);
	if (c & (1U << 26)) {
		write_cr4(read_cr4() | CR4_OSXSAVE);
		asm volatile("xsetbv" :: "a"(3U), "d"(0U), "c"(0U));
	}

	if (boot_info.nr_modules == 0)
		fatal(EXIT_BAD_INPUT, "no guest image: give the PV kernel as a multiboot2 module");

	vcpu_select();
	pv_run(&boot_info.modules[0], boot_info.nr_modules > 1 ? &boot_info.modules[1] : NULL);
}
