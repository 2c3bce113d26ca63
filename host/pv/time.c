/*
 * Time as Xen gives it to a PV guest: system time in ns since boot, the
 * per-vcpu vcpu_time_info (TSC scale and a snapshot, versioned), the wall
 * clock in shared_info, and the guest's timers (set_timer_op, VCPUOP
 * timers) firing VIRQ_TIMER. The TSC is calibrated against the PIT.
 */
#include "host/pv/pv.h"

static uint64_t tsc_hz, tsc_at_boot;
static uint32_t mul_frac;
static int8_t tsc_shift;

static uint64_t calibrate_tsc(void)
{
	const unsigned int hz = 50;		/* 20 ms */
	const uint16_t latch = (uint16_t)(1193182 / hz);
	uint64_t t0, t1;
	unsigned long spins = 0;

	/* PIT channel 2, gate on, speaker off; mode 0, count down once. */
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
	outb(0x43, 0xb0);
	outb(0x42, latch & 0xff);
	outb(0x42, latch >> 8);
	t0 = rdtsc();
	while (!(inb(0x61) & 0x20) && ++spins < 100000000UL)
		;
	t1 = rdtsc();
	if (t1 <= t0 || spins >= 100000000UL)
		return 1000000000UL;		/* no PIT: assume 1 GHz */
	return (t1 - t0) * hz;
}

/* Xen's set_time_scale(): ns = ((tsc << shift) * mul_frac) >> 32. */
static void set_time_scale(uint64_t ticks_per_sec)
{
	uint64_t tps64 = ticks_per_sec;
	uint32_t tps32;
	int shift = 0;

	while (tps64 > 2000000000UL) {
		tps64 >>= 1;
		shift--;
	}
	tps32 = (uint32_t)tps64;
	while (tps32 <= 1000000000U) {
		tps32 <<= 1;
		shift++;
	}
	mul_frac = (uint32_t)((1000000000UL << 32) / tps32);
	tsc_shift = (int8_t)shift;
}

static uint64_t scale_delta(uint64_t delta)
{
	if (tsc_shift < 0)
		delta >>= -tsc_shift;
	else
		delta <<= tsc_shift;
	return (uint64_t)(((unsigned __int128)delta * mul_frac) >> 32);
}

uint64_t time_tsc_hz(void) { return tsc_hz; }
uint32_t time_mul_frac(void) { return mul_frac; }
int time_shift(void) { return tsc_shift; }

uint64_t system_time_ns(void)
{
	return scale_delta(rdtsc() - tsc_at_boot);
}

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static unsigned int bcd(uint8_t v, bool is_bcd)
{
	return is_bcd ? (v & 0xf) + (v >> 4) * 10 : v;
}

/* Seconds since the epoch from the RTC (UTC assumed, as QEMU and Bochs give). */
static uint64_t rtc_seconds(void)
{
	static const unsigned int mdays[] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
	unsigned int sec, min, hour, day, mon, year, i;
	bool is_bcd;
	uint64_t days;

	for (i = 0; i < 1000000 && (cmos(0x0a) & 0x80); i++)
		;
	is_bcd = !(cmos(0x0b) & 0x04);
	sec = bcd(cmos(0x00), is_bcd);
	min = bcd(cmos(0x02), is_bcd);
	hour = bcd(cmos(0x04) & 0x7f, is_bcd);
	day = bcd(cmos(0x07), is_bcd);
	mon = bcd(cmos(0x08), is_bcd);
	year = bcd(cmos(0x09), is_bcd) + 2000;
	if (mon < 1 || mon > 12 || day < 1 || day > 31)
		return 0;
	days = (uint64_t)(year - 1970) * 365 + (year - 1969) / 4 + mdays[mon - 1] + day - 1;
	if (mon > 2 && (year % 4) == 0)
		days++;
	return days * 86400 + hour * 3600 + min * 60 + sec;
}

void time_init(void)
{
	struct shared_info *s = dom.shared_info;
	uint64_t wall;

	tsc_hz = calibrate_tsc();
	set_time_scale(tsc_hz);
	tsc_at_boot = rdtsc();
	wall = rtc_seconds();
	s->wc_version = 1;
	s->wc_sec = (uint32_t)wall;
	s->wc_sec_hi = (uint32_t)(wall >> 32);
	s->wc_nsec = 0;
	s->wc_version = 2;
	printk("TSC %lu.%03lu MHz", (unsigned long)(tsc_hz / 1000000),
	       (unsigned long)(tsc_hz / 1000 % 1000));
	update_vcpu_time();
}

void update_vcpu_time(void)
{
	struct vcpu_time_info *t = &vcpu_info0()->time;
	uint64_t tsc = rdtsc();

	t->version++;		/* odd: update in progress */
	asm volatile("" ::: "memory");
	t->tsc_timestamp = tsc;
	t->system_time = scale_delta(tsc - tsc_at_boot);
	t->tsc_to_system_mul = mul_frac;
	t->tsc_shift = tsc_shift;
	/* No TSC_STABLE: Xen only promises it on hosts it trusts (not emulators). */
	t->flags = 0;
	asm volatile("" ::: "memory");
	t->version++;
}

void time_check_timers(void)
{
	uint64_t now = system_time_ns();

	for (unsigned int id = 0; id < 2; id++)
		if ((dom.watchdog_inuse & (1U << id)) && now >= dom.watchdog_deadline[id]) {
			printk("d%u: watchdog timer %u fired", dom.domid, id + 1);
			domain_shutdown(SHUTDOWN_watchdog);
		}

	if (dom.timer_deadline && now >= dom.timer_deadline) {
		dom.timer_deadline = 0;
		send_guest_virq(VIRQ_TIMER);
	}
	if (dom.periodic_period && now >= dom.periodic_next) {
		dom.periodic_next = now + dom.periodic_period;
		send_guest_virq(VIRQ_TIMER);
	}
}

uint64_t time_next_event(void)
{
	uint64_t next = ~0UL;

	for (unsigned int id = 0; id < 2; id++)
		if ((dom.watchdog_inuse & (1U << id)) && dom.watchdog_deadline[id] < next)
			next = dom.watchdog_deadline[id];
	if (dom.timer_deadline && dom.timer_deadline < next)
		next = dom.timer_deadline;
	if (dom.periodic_period && dom.periodic_next < next)
		next = dom.periodic_next;
	return next;
}

/*
 * Blocked: wait (really) until a timer fires and makes an event pending,
 * or until the extra deadline (system time ns, 0 for none) passes.
 */
void time_wait_for_event(uint64_t deadline)
{
	for (;;) {
		uint64_t now;

		if (evtchn_upcall_pending())
			return;
		if (deadline && system_time_ns() >= deadline)
			return;
		if (!dom.timer_deadline && !dom.periodic_period && !deadline)
			/* Nothing can ever wake us: on Xen the domain would hang. Say so. */
			domain_crash("vcpu blocked with no pending event and no timer set");
		now = system_time_ns();
		if (dom.virq_to_port[VIRQ_TIMER] <= 0) {
			/* Nobody listens to VIRQ_TIMER: a one-shot deadline just wakes us. */
			if (dom.timer_deadline && now >= dom.timer_deadline) {
				dom.timer_deadline = 0;
				return;
			}
			if (!dom.timer_deadline && !deadline)
				domain_crash("vcpu blocked with no pending event and VIRQ_TIMER unbound");
		}
		time_check_timers();
		cpu_relax();
	}
}
