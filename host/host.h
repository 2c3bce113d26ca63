/* parahost-wide services: console, exit, panic. */
#ifndef HOST_HOST_H
#define HOST_HOST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/printf.h"
#include "lib/string.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __noreturn	__attribute__((noreturn))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define likely(x)	__builtin_expect(!!(x), 1)

/*
 * How a run ends. The value goes to QEMU's isa-debug-exit (QEMU then exits
 * with status value * 2 + 1) and is printed on the last serial line, so a
 * harness sees the reason on Bochs too.
 */
enum host_exit_code {
	EXIT_POWEROFF = 0,	/* SHUTDOWN_poweroff: QEMU status 1 */
	EXIT_REBOOT = 1,	/* SHUTDOWN_reboot: 3 */
	EXIT_SUSPEND = 2,	/* SHUTDOWN_suspend: 5 */
	EXIT_CRASH = 3,		/* SHUTDOWN_crash or a guest crash: 7 */
	EXIT_WATCHDOG = 4,	/* SHUTDOWN_watchdog: 9 */
	EXIT_SOFT_RESET = 5,	/* SHUTDOWN_soft_reset: 11 */
	EXIT_BAD_INPUT = 16,	/* no module, bad image, too little RAM: 33 */
	EXIT_NO_VIRT = 17,	/* neither VT-x nor AMD-V usable: 35 */
	EXIT_HOST_BUG = 18,	/* parahost itself failed: 37 */
	EXIT_AUDIT = 19,	/* option audit found parahost's state broken: 39 */
};

/* Serial console (COM1, polled). */
void serial_init(void);
void serial_putc(char c);
void serial_write(const char *s, size_t n);

/* Host messages, each starting on a line of its own. */
void printk(const char *fmt, ...) __printf(1, 2);
void vprintk(const char *fmt, va_list ap);
/* Raw guest console bytes, passed through untouched. */
void console_guest_write(const char *s, size_t n);

void host_exit(enum host_exit_code code) __noreturn;

/*
 * The host's one-shot timer (host/drivers/timer.c): one interrupt at a TSC
 * value (0: none), which makes a running guest exit and wakes host_halt().
 * No periodic tick: an idle guest costs nothing between its deadlines.
 */
#define HOST_TIMER_VECTOR	0xf0
#define HOST_SPURIOUS_VECTOR	0xff
const char *host_timer_init(void);	/* after the TSC is calibrated; says which timer */
void host_timer_arm(uint64_t tsc);
void host_timer_interrupted(void);
void host_halt(void);			/* until the next interrupt, taken */
extern uint64_t host_timer_irqs;
uint64_t time_tsc_hz(void);		/* host/pv/time.c's PIT calibration */
/* Take whatever interrupt made us leave the guest (host/boot/traps.c). */
void host_ack_interrupts(void);
/* COM1's receive interrupt on; bytes typed so far, at most n (host/boot/console.c). */
void serial_input_start(void);
size_t serial_read(char *buf, size_t n);
extern uint64_t host_nmis;		/* NMIs taken in host context (vectors.S) */
void panic(const char *fmt, ...) __printf(1, 2) __noreturn;
/* One clear line and a failing exit: for bad input, not for host bugs. */
void fatal(enum host_exit_code code, const char *fmt, ...) __printf(2, 3) __noreturn;

/* Host command line options (host/boot/cmdline.c). */
struct host_options {
	uint64_t guest_mem;	/* bytes; 0: default */
	bool strict;		/* log every privileged-instruction attempt */
	bool dom0;		/* build the guest as the initial domain */
	bool verbose;		/* log every hypercall */
	bool audit;		/* check page types and invariants before every entry */
	unsigned long stats_s;	/* stats=N: exit statistics every N s (host/pv/stats.c) */
	const char *guest_cmdline;
	char selftest[16];	/* selftest=NAME: host/boot/selftest.c */
};
extern struct host_options host_opts;

#define BUG_ON(c)							\
	do {								\
		if (unlikely(c))					\
			panic("BUG at %s:%d: %s", __FILE__, __LINE__, #c); \
	} while (0)

#endif
