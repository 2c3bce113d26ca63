/*
 * stats=N on parahost's command line: every N seconds of system time, one
 * line of what the guest made parahost do since the last one (exits by
 * kind, exceptions by vector, the busiest hypercalls) and the longest run
 * of identical exits (same kind, vector, RIP and CR2). It tells a guest
 * that is slow (many exits, RIPs moving) from one stuck in a loop
 * through parahost (one exit repeating forever), which the exit total at
 * shutdown cannot: a stuck guest never shuts down.
 */
#include "host/host.h"
#include "host/pv/pv.h"

#define NR_HC	64

static struct {
	uint64_t next_ns;
	unsigned long kind[VEXIT_OTHER + 1];
	unsigned long vec[32];
	unsigned long hc[NR_HC + 1];	/* the last slot: numbers past NR_HC */
	unsigned long exits, hypercalls, bounces, priv_ops;
	/* The current run of identical exits, and the longest this interval. */
	struct vexit last;
	uint64_t last_rip, max_rip, max_cr2;
	unsigned long run, max_run;
	unsigned int max_kind, max_vec;
} st;

static bool same_exit(const struct vexit *e, uint64_t rip)
{
	return e->kind == st.last.kind && e->vector == st.last.vector &&
	       e->cr2 == st.last.cr2 && rip == st.last_rip;
}

void stats_note_exit(const struct vexit *e, uint64_t rip)
{
	if (likely(!host_opts.stats_s))
		return;
	if (e->kind <= VEXIT_OTHER)
		st.kind[e->kind]++;
	if (e->kind == VEXIT_EXCEPTION && e->vector < 32)
		st.vec[e->vector]++;
	st.run = same_exit(e, rip) ? st.run + 1 : 1;
	st.last = *e;
	st.last_rip = rip;
	if (st.run > st.max_run) {
		st.max_run = st.run;
		st.max_rip = rip;
		st.max_cr2 = e->cr2;
		st.max_kind = e->kind;
		st.max_vec = e->vector;
	}
}

void stats_note_hypercall(uint64_t nr)
{
	if (likely(!host_opts.stats_s))
		return;
	st.hc[nr < NR_HC ? nr : NR_HC]++;
}

/* The three busiest hypercall numbers, as "nr:count". */
static void print_top_hypercalls(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (int k = 0; k < 3; k++) {
		unsigned int best = 0;

		for (unsigned int i = 1; i <= NR_HC; i++)
			if (st.hc[i] > st.hc[best])
				best = i;
		if (!st.hc[best])
			break;
		used += (size_t)snprintf(buf + used, len - used, " %u:%lu", best, st.hc[best]);
		if (used >= len)
			break;
		st.hc[best] = 0;
	}
}

void stats_tick(void)
{
	uint64_t now;
	char hcs[64], vecs[96];
	size_t used = 0;

	if (likely(!host_opts.stats_s))
		return;
	now = system_time_ns();
	if (!st.next_ns)
		st.next_ns = now + host_opts.stats_s * 1000000000UL;
	if (now < st.next_ns)
		return;
	st.next_ns = now + host_opts.stats_s * 1000000000UL;
	vecs[0] = 0;
	for (unsigned int i = 0; i < 32 && used < sizeof(vecs); i++)
		if (st.vec[i])
			used += (size_t)snprintf(vecs + used, sizeof(vecs) - used, " v%u:%lu", i, st.vec[i]);
	print_top_hypercalls(hcs, sizeof(hcs));
	printk("stats %lus: %lu exits (exc %lu cpuid %lu intr %lu gp0 %lu ud %lu),%s; "
	       "hypercalls %lu:%s; bounces %lu, privops %lu; longest same-exit run %lu "
	       "(kind %u vec %u rip %#lx cr2 %#lx); %s mode rip %#lx",
	       (unsigned long)(now / 1000000000UL), dom.nr_exits - st.exits,
	       st.kind[VEXIT_EXCEPTION], st.kind[VEXIT_CPUID], st.kind[VEXIT_INTR],
	       st.kind[VEXIT_GP0], st.kind[VEXIT_UD], vecs, dom.nr_hypercalls - st.hypercalls, hcs,
	       dom.nr_bounces - st.bounces, dom.nr_priv_ops - st.priv_ops, st.max_run, st.max_kind,
	       st.max_vec, (unsigned long)st.max_rip, (unsigned long)st.max_cr2,
	       dom.kernel_mode ? "kernel" : "user", (unsigned long)dom.st->rip);
	memset(st.kind, 0, sizeof(st.kind));
	memset(st.vec, 0, sizeof(st.vec));
	memset(st.hc, 0, sizeof(st.hc));
	st.exits = dom.nr_exits;
	st.hypercalls = dom.nr_hypercalls;
	st.bounces = dom.nr_bounces;
	st.priv_ops = dom.nr_priv_ops;
	st.max_run = 0;
	st.run = 0;
}
