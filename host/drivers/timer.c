/*
 * The host's one-shot timer: one interrupt at a TSC value, or none. It
 * is how a blocked vcpu sleeps exactly until its next deadline, and how a
 * running guest is interrupted at one, with no periodic tick at all.
 * Best first: the local APIC in TSC-deadline mode (the deadline is a TSC
 * value, nothing to convert); else its one-shot mode, calibrated against
 * the TSC; else the PIT's channel 0 in mode 0 (at most ~55 ms at a time:
 * the wait loop simply arms it again).
 */
#include "host/host.h"
#include "host/x86.h"

#define MSR_APIC_BASE		0x1b
#define MSR_TSC_DEADLINE	0x6e0
#define APIC_BASE_ENABLE	(1UL << 11)

#define APIC_SVR		0x0f0
#define APIC_LVT_TIMER		0x320
#define APIC_LVT_LINT0		0x350
#define APIC_LVT_LINT1		0x360
#define APIC_TIMER_INIT		0x380
#define APIC_TIMER_CUR		0x390
#define APIC_TIMER_DIV		0x3e0
#define LVT_MASKED		(1U << 16)
#define LVT_TSC_DEADLINE	(2U << 17)

enum timer_kind { TIMER_NONE, TIMER_TSC_DEADLINE, TIMER_APIC_ONESHOT, TIMER_PIT };

static enum timer_kind kind;
static volatile uint32_t *apic;		/* xAPIC registers (MMIO) */
static uint64_t apic_per_tsc;		/* APIC timer ticks per TSC tick, 32.32 */
static uint64_t armed;			/* the TSC value armed; 0: none */
uint64_t host_timer_irqs;
/* host/boot/vectors.S writes here to acknowledge a local APIC interrupt. */
volatile uint32_t *host_apic_eoi;

static uint32_t apic_read(unsigned int reg)
{
	return apic[reg / 4];
}

static void apic_write(unsigned int reg, uint32_t v)
{
	apic[reg / 4] = v;
}

static void calibrate_apic(void)
{
	uint64_t t0, t1;
	uint32_t ticks;

	apic_write(APIC_TIMER_DIV, 0xb);		/* divide by 1 */
	apic_write(APIC_LVT_TIMER, LVT_MASKED | HOST_TIMER_VECTOR);
	apic_write(APIC_TIMER_INIT, 0xffffffffU);
	t0 = rdtsc();
	while (rdtsc() - t0 < time_tsc_hz() / 100)	/* 10 ms */
		cpu_relax();
	ticks = 0xffffffffU - apic_read(APIC_TIMER_CUR);
	t1 = rdtsc();
	apic_write(APIC_TIMER_INIT, 0);
	apic_per_tsc = ((uint64_t)ticks << 32) / (t1 - t0 ? t1 - t0 : 1);
}

const char *host_timer_init(void)
{
	uint32_t a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	if (d & (1U << 9)) {				/* a local APIC */
		uint64_t base = rdmsr(MSR_APIC_BASE);

		if (!(base & APIC_BASE_ENABLE))
			wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
		apic = (volatile uint32_t *)(uintptr_t)(base & ~0xfffUL);
		host_apic_eoi = apic + 0xb0 / 4;
		/*
		 * Software-enabled, spurious interrupts on their own vector, and
		 * virtual wire mode: the PICs' interrupts (COM1) come in on LINT0
		 * as ExtINT, NMI on LINT1. An APIC the firmware left disabled has
		 * them masked, and enabling it would cut the PICs off (Bochs).
		 */
		apic_write(APIC_LVT_LINT0, 0x700);
		apic_write(APIC_LVT_LINT1, 0x400);
		apic_write(APIC_SVR, 0x100 | HOST_SPURIOUS_VECTOR);
		if (c & (1U << 24)) {
			kind = TIMER_TSC_DEADLINE;
			apic_write(APIC_LVT_TIMER, LVT_TSC_DEADLINE | HOST_TIMER_VECTOR);
			wrmsr(MSR_TSC_DEADLINE, 0);
			return "local APIC, TSC-deadline mode";
		}
		calibrate_apic();
		if (apic_per_tsc) {
			kind = TIMER_APIC_ONESHOT;
			apic_write(APIC_LVT_TIMER, HOST_TIMER_VECTOR);	/* one-shot */
			return "local APIC, one-shot mode";
		}
	}
	kind = TIMER_PIT;
	return "PIT channel 0, one-shot";
}

void host_timer_arm(uint64_t tsc)
{
	uint64_t now, delta, count;

	if (tsc == armed)
		return;
	armed = tsc;
	switch (kind) {
	case TIMER_TSC_DEADLINE:
		wrmsr(MSR_TSC_DEADLINE, tsc);		/* 0 disarms; a past value fires at once */
		return;
	case TIMER_APIC_ONESHOT:
		if (!tsc) {
			apic_write(APIC_TIMER_INIT, 0);
			return;
		}
		now = rdtsc();
		delta = tsc > now ? tsc - now : 1;
		count = (uint64_t)(((unsigned __int128)delta * apic_per_tsc) >> 32) + 1;
		/* Too far for 32 bits: wake early, the caller arms again. */
		apic_write(APIC_TIMER_INIT, count > 0xffffffffU ? 0xffffffffU : (uint32_t)count);
		return;
	case TIMER_PIT:
		if (!tsc) {
			outb(0x21, inb(0x21) | 0x01);	/* IRQ0 masked */
			return;
		}
		now = rdtsc();
		delta = tsc > now ? tsc - now : 1;
		count = delta * 1193182 / time_tsc_hz() + 1;
		if (count > 0xffff)
			count = 0xffff;
		outb(0x43, 0x30);			/* channel 0, lo/hi, mode 0 */
		outb(0x40, (uint8_t)count);
		outb(0x40, (uint8_t)(count >> 8));
		outb(0x21, inb(0x21) & ~0x01);
		return;
	case TIMER_NONE:
		return;
	}
}

/* An interrupt came (any): the one-shot may be spent, so arm it again next time. */
void host_timer_interrupted(void)
{
	if (armed && rdtsc() >= armed)
		armed = 0;
}

void host_halt(void)
{
	/* STI's shadow covers HLT: an interrupt already pending still wakes it. */
	asm volatile("sti; hlt; cli" ::: "memory");
	host_timer_interrupted();
}
