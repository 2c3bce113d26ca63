/*
 * Self-tests of parahost's protection of itself (host command line
 * `selftest=NAME`, run by host/tools/badinput-test.sh): each one does what
 * the protection forbids, so the expected outcome is parahost's report of
 * its own exception (a PANIC line, status 18). Getting past the forbidden
 * access means the protection is missing, and is said as such.
 */
#include "host/boot/boot.h"
#include "host/host.h"

static uint8_t data_code[16] __attribute__((aligned(16))) = { 0xc3 };	/* ret */

void host_selftest(const char *name)
{
	if (!strcmp(name, "page0")) {
		printk("selftest page0: reading address 0");
		(void)*(volatile uint64_t *)0;
	} else if (!strcmp(name, "text")) {
		printk("selftest text: writing parahost's own code");
		*(volatile uint8_t *)(uintptr_t)host_selftest = 0xc3;
	} else if (!strcmp(name, "data")) {
		printk("selftest data: executing parahost's data");
		((void (*)(void))(uintptr_t)data_code)();
	} else {
		fatal(EXIT_BAD_INPUT, "selftest=%s: no such self-test (page0, text, data)", name);
	}
	panic("selftest %s: the forbidden access went through", name);
}
