/*
 * Time as Xen gives it to a PV guest: system time (ns since the host
 * booted) from the vcpu_time_info Xen keeps in shared_info, extended
 * with the TSC between Xen's updates; the wall clock as shared_info's
 * base plus system time; and one single-shot timer per vCPU, whose
 * event is VIRQ_TIMER.
 */
#ifndef XEN_TIME_H
#define XEN_TIME_H

#include <stdint.h>

#define NSEC_PER_MSEC	1000000UL
#define NSEC_PER_SEC	1000000000UL

/* TSC ticks to ns as vcpu_time_info says: (delta << shift) * mul >> 32, in 128 bits. */
uint64_t pvclock_scale(uint64_t delta, uint32_t mul, int8_t shift);
/* Monotonic: never less than any value returned before. */
uint64_t xen_system_time(void);
/* System time at the TSC reading tsc (which may precede Xen's stamp). */
uint64_t xen_tsc_to_system_time(uint64_t tsc);
/* The TSC at our first instruction (arch/x86/head.S). */
extern uint64_t boot_entry_tsc;

/* Wall clock now: seconds and nanoseconds since the epoch (UTC). */
void xen_wallclock(uint64_t *sec, uint32_t *nsec);

/* VIRQ_TIMER ours, the periodic timer stopped: from here on we are tickless. */
void time_init(void);
/* The one hardware deadline (kernel/timer.c keeps the rest); 0 stops it. */
void time_program(uint64_t deadline);
/* Deadlines given to Xen so far (benchmarks count the wake-ups they cost). */
extern uint64_t time_deadlines_set;

/*
 * For tests of the raw timer hypercalls: VIRQ_TIMER unbound and our
 * deadline stopped until time_reclaim_virq() binds it again, stops the
 * periodic timer (tests restore Xen's default) and reprograms.
 */
void time_lend_virq(void);
void time_reclaim_virq(void);
/* VIRQ_TIMER's port while we hold it, else 0. */
unsigned int time_virq_port(void);

#endif
