/*
 * Time as Xen gives it to a PV guest: system time in ns since boot, the
 * per-vcpu vcpu_time_info (TSC scale and a snapshot, versioned), the wall
 * clock in shared_info, and the guest's timers (set_timer_op, VCPUOP
 * timers) firing VIRQ_TIMER. The TSC is calibrated against the PIT.
 */
#include "host/pv/pv.h"

static uint64_t tsc_hz;
static uint32_t mul_frac;
static int8_t tsc_shift;

/*
 * Xen's per-CPU time stamp: a TSC value and the system time it stands
 * for. Both the host's clock and the guest's vcpu_time_info extend the
 * same stamp with the same scale, so a timer never fires, by our clock,
 * before the guest's clock says its deadline came. Re-stamped once a
 * second, as Xen's time calibration does; from the old stamp, so time
 * never steps back.
 */
static struct {
	uint64_t tsc, stime;
} stamp;

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
	uint64_t tsc = rdtsc();

	return stamp.stime + scale_delta(tsc > stamp.tsc ? tsc - stamp.tsc : 0);
}

/*
 * The first TSC value at which system_time_ns() >= ns: the inverse of
 * scale_delta, rounded up, so the host timer is never early by our clock
 * (scale_delta of a sum is at least the sum of the parts). At most 2^31
 * ns (2 s) from now, so the arithmetic fits 64 bits: a later deadline
 * wakes us early, and we arm again. From now, not from the stamp: a vcpu
 * blocked for long has an old stamp.
 */
#define MAX_ARM_NS	(1UL << 31)

static uint64_t tsc_at(uint64_t ns)
{
	uint64_t now_tsc = rdtsc();
	uint64_t now = stamp.stime + scale_delta(now_tsc > stamp.tsc ? now_tsc - stamp.tsc : 0);
	uint64_t d;

	if (ns <= now)
		return now_tsc;
	d = ns - now;
	if (d > MAX_ARM_NS)
		d = MAX_ARM_NS;
	d = ((d << 32) + mul_frac - 1) / mul_frac;
	if (tsc_shift < 0)
		d <<= -tsc_shift;
	else
		d = (d + (1UL << tsc_shift) - 1) >> tsc_shift;
	return now_tsc + d + 1;
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
	stamp.tsc = rdtsc();
	stamp.stime = 0;
	wall = rtc_seconds();
	s->wc_version = 1;
	s->wc_sec = (uint32_t)wall;
	s->wc_sec_hi = (uint32_t)(wall >> 32);
	s->wc_nsec = 0;
	s->wc_version = 2;
	printk("TSC %lu.%03lu MHz", (unsigned long)(tsc_hz / 1000000),
	       (unsigned long)(tsc_hz / 1000 % 1000));
	update_vcpu_time(true);
}

/*
 * Xen's __update_vcpu_system_time: the record only changes when the stamp
 * (or the place of vcpu_info) does, and then under the version protocol:
 * odd while the fields change, even again after. No TSC_STABLE flag:
 * Xen sets it only with clocksource=tsc.
 */
void update_vcpu_time(bool force)
{
	struct vcpu_time_info *t = &vcpu_info0()->time, u = { 0 };
	uint64_t now = rdtsc();

	if (now - stamp.tsc >= tsc_hz) {		/* Xen's calibration: once a second */
		stamp.stime = system_time_ns();
		stamp.tsc = now;
	}
	u.tsc_timestamp = stamp.tsc;
	u.system_time = stamp.stime;
	u.tsc_to_system_mul = mul_frac;
	u.tsc_shift = tsc_shift;
	u.flags = 0;
	u.version = t->version;
	if (!force && !memcmp(t, &u, sizeof(u)))
		return;
	t->version = u.version = (t->version + 1) | 1;	/* version_update_begin */
	asm volatile("" ::: "memory");
	*t = u;
	asm volatile("" ::: "memory");
	t->version = u.version + 1;			/* version_update_end */
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

/* The host timer for the next guest timer (and extra, a deadline of our own; 0: none). */
void time_arm_host_timer(uint64_t extra)
{
	uint64_t next = time_next_event();

	if (extra && extra < next)
		next = extra;
	host_timer_arm(next == ~0UL ? 0 : tsc_at(next));
}
