/*
 * The serial console: COM1 at 115200 8N1. Output is polled: every byte
 * waits for the transmit holding register to be empty (LSR bit 5), Bochs
 * drops bytes otherwise. Input raises IRQ4 (so that a halted host wakes
 * up for it) and is read by whoever the interrupt woke. Host messages
 * always start at the beginning of a line so that the guest's own lines
 * ("ok N ...") stay intact for whoever parses them.
 */
#include "host/boot/boot.h"
#include "host/host.h"
#include "host/x86.h"

#define COM1		0x3f8
#define UART_LSR_THRE	0x20

static bool at_line_start = true;

void serial_init(void)
{
	outb(COM1 + 1, 0x00);	/* no interrupts: we poll */
	outb(COM1 + 3, 0x80);	/* DLAB on */
	outb(COM1 + 0, 0x01);	/* divisor 1: 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);	/* 8N1, DLAB off */
	outb(COM1 + 2, 0x07);	/* FIFOs on and cleared, receive interrupt at 1 byte */
	outb(COM1 + 4, 0x03);	/* DTR, RTS */
}

void serial_input_start(void)
{
	outb(COM1 + 4, 0x0b);	/* DTR, RTS, OUT2 (which gates the UART's IRQ on a PC) */
	outb(COM1 + 1, 0x01);	/* interrupt: received data available */
	outb(0x21, inb(0x21) & ~(1U << 4));	/* IRQ4 unmasked at the PIC */
}

size_t serial_read(char *buf, size_t n)
{
	size_t i = 0;
	uint8_t lsr;

	/* All of it: the line drops only once the receive FIFO is empty. */
	while (i < n && (lsr = inb(COM1 + 5)) != 0xff && (lsr & 0x01))
		buf[i++] = (char)inb(COM1);
	return i;
}

void serial_putc(char c)
{
	/* Bounded: a missing UART must not hang us forever. */
	for (unsigned int i = 0; i < 1000000; i++)
		if (inb(COM1 + 5) & UART_LSR_THRE)
			break;
	outb(COM1, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
		at_line_start = s[i] == '\n';
	}
}

void console_guest_write(const char *s, size_t n)
{
	serial_write(s, n);
}

static void emit_serial(void *ctx, char c)
{
	(void)ctx;
	serial_write(&c, 1);
}

void vprintk(const char *fmt, va_list ap)
{
	if (!at_line_start)
		serial_write("\n", 1);
	serial_write("(parahost) ", 11);
	vformat(emit_serial, NULL, fmt, ap);
	if (!at_line_start)
		serial_write("\n", 1);
}

void printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
}

static const char *const exit_names[] = {
	[EXIT_POWEROFF] = "poweroff",
	[EXIT_REBOOT] = "reboot",
	[EXIT_SUSPEND] = "suspend",
	[EXIT_CRASH] = "crash",
	[EXIT_WATCHDOG] = "watchdog",
	[EXIT_SOFT_RESET] = "soft_reset",
	[EXIT_BAD_INPUT] = "bad input",
	[EXIT_NO_VIRT] = "no usable virtualization",
	[EXIT_HOST_BUG] = "parahost failure",
	[EXIT_AUDIT] = "audit violation",
};

void host_exit(enum host_exit_code code)
{
	static const char bochs_shutdown[] = "Shutdown";
	const char *name = (unsigned)code < ARRAY_SIZE(exit_names) &&
		exit_names[code] ? exit_names[code] : "?";

	printk("exit %d (%s)", code, name);
	/* Let the UART drain (LSR bit 6: transmitter empty) before we vanish. */
	for (unsigned int i = 0; i < 1000000; i++)
		if (inb(COM1 + 5) & 0x40)
			break;
	/* QEMU: isa-debug-exit at 0xf4 exits with status code * 2 + 1. */
	outl(0xf4, (uint32_t)code);
	/* Bochs: the string "Shutdown" on port 0x8900 ends the simulation. */
	for (const char *p = bochs_shutdown; *p; p++)
		outb(0x8900, (uint8_t)*p);
	/* Anywhere else (QEMU without isa-debug-exit, real hardware): ACPI S5. */
	acpi_poweroff();
	/* Elsewhere (real hardware): stop here, interrupts stay off. */
	for (;;)
		cpu_relax();
}

/* One line of its own, then the end of the run with that status. */
static void __attribute__((noreturn))
last_words(enum host_exit_code code, const char *prefix, const char *fmt, va_list ap)
{
	if (!at_line_start)
		serial_write("\n", 1);
	serial_write(prefix, strlen(prefix));
	vformat(emit_serial, NULL, fmt, ap);
	serial_write("\n", 1);
	host_exit(code);
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	last_words(EXIT_HOST_BUG, "(parahost) PANIC: ", fmt, ap);
}

void fatal(enum host_exit_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	last_words(code, "parahost: ", fmt, ap);
}
