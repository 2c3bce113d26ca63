/*
 * kprintf: formats into a line buffer and hands whole lines to the
 * console, so the console backend is notified once per line, not once per
 * character.
 */
#include "kernel/kernel.h"
#include "lib/printf.h"
#include "xen/console.h"
#include "xen/evtchn.h"

static char line[256];
static size_t line_len;

static void flush_line(void)
{
	console_write(line, line_len);
	line_len = 0;
}

static void emit(void *ctx, char c)
{
	(void)ctx;
	line[line_len++] = c;
	if (c == '\n' || line_len == sizeof(line))
		flush_line();
}

int vkprintf(const char *fmt, va_list ap)
{
	/* One line buffer for every thread and handler: one at a time. */
	unsigned int f = upcalls_off();
	int n = vformat(emit, NULL, fmt, ap);

	/* Partial lines go out too: a crash right after must not lose them. */
	if (line_len)
		flush_line();
	upcalls_restore(f);
	return n;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vkprintf(fmt, ap);
	va_end(ap);
	return n;
}
