/* The handful of kernel-wide services every file may use. */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/barrier.h"
#include "lib/string.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Formatted output to the console (kernel/printk.c). */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vkprintf(const char *fmt, va_list ap);

/* Report and stop with SHUTDOWN_crash (kernel/panic.c). */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void crash(void) __attribute__((noreturn));
void poweroff(void) __attribute__((noreturn));

void traps_init(void);
void traps_reset(void);

/* The TSC when the kernel was ready to run its work (kernel/main.c). */
extern uint64_t boot_ready_tsc;
/* The vCPU's running time (Xen's runstate) at the start and at ready. */
extern uint64_t boot_running_ns[2];

#endif
