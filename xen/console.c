/*
 * The PV console frontend, in protocol order: find the ring page and port
 * that the builder put in start_info, then for every write: copy into the
 * out ring, publish the producer index, kick the port. Input comes the
 * other way: the backend fills the in ring and kicks us; the handler
 * moves the bytes into a line buffer that a reader blocks on. The
 * initial domain has no ring: Xen's serial input arrives as VIRQ_CONSOLE
 * and is read with CONSOLEIO_read.
 */
#include <xen/io/console.h>

#include "arch/x86/hypercall.h"
#include "kernel/kernel.h"
#include "kernel/sched.h"
#include "lib/bytering.h"
#include "mm/p2m.h"
#include "xen/console.h"
#include "xen/evtchn.h"
#include "xen/sched.h"
#include "xen/start_info.h"

/* How long we wait for a backend that does not drain the ring. */
#define CONSOLE_MAX_YIELDS	200000

static struct xencons_interface *ring;
static evtchn_port_t port;
static bool ready;
static uint32_t dropped;

void console_init(void)
{
	/* Without a ring, console_io is all we have (a debug Xen prints it). */
	if (!is_initial_domain() && start_info.console.domU.mfn) {
		/* The builder mapped the ring page inside our bootstrap region. */
		ring = mfn_to_virt(start_info.console.domU.mfn);
		port = start_info.console.domU.evtchn;
	}
	ready = true;
}

bool console_uses_ring(void)
{
	return ring != NULL;
}

evtchn_port_t console_port(void)
{
	return port;
}

/* ---- input ---------------------------------------------------------------- */

/* Typed bytes not yet read: a ring of our own, indexes free-running. */
static char in_buf[1024];
static uint32_t in_head, in_tail;	/* bytes [in_tail, in_head) are unread */
static struct waitq readers;
static uint64_t in_bytes, in_dropped;

static void in_put(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (in_head - in_tail == sizeof(in_buf)) {
			in_dropped++;	/* nobody reads: keep the oldest line whole */
			continue;
		}
		in_buf[in_head++ % sizeof(in_buf)] = p[i];
		in_bytes++;
	}
}

/* The backend's bytes from the ring's in side (it produces, we consume). */
static void ring_read(void)
{
	char chunk[64];
	size_t n, total = 0;

	do {
		uint32_t cons = ring->in_cons;	/* only we write in_cons */
		uint32_t prod = READ_ONCE(ring->in_prod);

		rmb();
		n = bytering_get(ring->in, sizeof(ring->in), &cons, prod, chunk, sizeof(chunk));
		/* Done with the bytes before the backend may reuse their slots. */
		mb();
		WRITE_ONCE(ring->in_cons, cons);
		in_put(chunk, n);
		total += n;
	} while (n);
	/* Room again in the in ring: xenconsoled waits for this kick. */
	if (total)
		evtchn_notify(port);
}

static void console_event(evtchn_port_t p, void *arg)
{
	(void)p;
	(void)arg;
	if (ring) {
		ring_read();
	} else {
		char chunk[64];
		long n;

		while ((n = hypercall_console_io(CONSOLEIO_read, sizeof(chunk), chunk)) > 0)
			in_put(chunk, (size_t)n);
	}
	wake_up(&readers);
}

static long line_end(void)
{
	for (uint32_t i = in_tail; i != in_head; i++) {
		char c = in_buf[i % sizeof(in_buf)];

		if (c == '\n' || c == '\r')
			return (long)(i - in_tail);
	}
	return -1;
}

long console_read_line(char *buf, size_t size, uint64_t deadline)
{
	unsigned int f;
	long len = -1;

	if (!size)
		return -1;
	f = upcalls_off();
	if (wait_event_until(&readers, line_end() >= 0, deadline)) {
		len = line_end();
		for (long i = 0; i < len; i++) {
			char c = in_buf[in_tail++ % sizeof(in_buf)];

			if ((size_t)i < size - 1)
				buf[i] = c;
		}
		in_tail++;		/* the terminator */
		/* "\r\n" from a terminal is one line end, not two. */
		if (in_tail != in_head && in_buf[(in_tail - 1) % sizeof(in_buf)] == '\r' &&
		    in_buf[in_tail % sizeof(in_buf)] == '\n')
			in_tail++;
		if ((size_t)len >= size)
			len = (long)size - 1;
		buf[len] = 0;
	}
	upcalls_restore(f);
	return len;
}

uint64_t console_input_bytes(void)
{
	return in_bytes;
}

void console_start(void)
{
	long p;

	if (ring) {
		unsigned int f;

		evtchn_set_handler(port, console_event, NULL);
		/* Anything typed before we listened. */
		f = upcalls_off();
		console_event(port, NULL);
		upcalls_restore(f);
		return;
	}
	p = evtchn_bind_virq(VIRQ_CONSOLE, console_event, NULL);
	if (p < 0)
		kprintf("console: bind_virq(VIRQ_CONSOLE) = %ld: no console input\n", p);
}

void console_set_port(evtchn_port_t p)
{
	port = p;
	if (ring)
		evtchn_set_handler(port, console_event, NULL);
}

static void ring_write(const char *s, size_t len)
{
	unsigned int yields = 0;

	while (len) {
		uint32_t prod = ring->out_prod;	/* only we write out_prod */
		uint32_t cons = READ_ONCE(ring->out_cons);
		size_t n;

		/* Read cons before overwriting the bytes it frees. */
		mb();
		n = bytering_put(ring->out, sizeof(ring->out), &prod, cons, s, len);
		/* The bytes must be visible before the index that covers them. */
		wmb();
		WRITE_ONCE(ring->out_prod, prod);
		evtchn_notify(port);
		s += n;
		len -= n;
		if (n == 0) {
			if (++yields > CONSOLE_MAX_YIELDS) {
				dropped += len;	/* a dead backend must not hang us */
				return;
			}
			xen_yield();
		}
	}
}

void console_write(const char *s, size_t len)
{
	if (!ready)
		return;
	if (ring)
		ring_write(s, len);
	else
		hypercall_console_io(CONSOLEIO_write, len, s);
}

bool console_flush(void)
{
	if (!ring)
		return true;
	for (unsigned int i = 0; i < CONSOLE_MAX_YIELDS; i++) {
		if (READ_ONCE(ring->out_cons) == ring->out_prod)
			return true;
		evtchn_notify(port);
		xen_yield();
	}
	return false;
}

uint32_t console_produced(void)
{
	return ring ? ring->out_prod : 0;
}

uint32_t console_consumed(void)
{
	return ring ? READ_ONCE(ring->out_cons) : 0;
}
