/* The host IDT: any exception in parahost itself is a bug, reported loudly. */
#include "host/host.h"
#include "host/x86.h"

struct host_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));

static struct idt_gate host_idt[256] __attribute__((aligned(16)));
extern const uint64_t host_vectors[32];
extern char host_irq_stub[], host_apic_stub[], host_spurious_stub[];

void host_trap(struct host_frame *f);

/*
 * parahost runs with interrupts off, except in host_halt() and to take an
 * interrupt that made the guest exit. The firmware left the legacy PICs
 * unmasked with the timer ticking: remap them away from the exception
 * vectors (0x20-0x2f), mask every line, and let anything already pending
 * arrive once and be acknowledged. Otherwise a pending interrupt would make
 * every VM entry exit again at once (VT-x external-interrupt exiting).
 * COM1 (IRQ4) is unmasked later, for console input.
 */
static void pic_quiesce(void)
{
	outb(0x20, 0x11); outb(0xa0, 0x11);	/* ICW1: init, ICW4 follows */
	outb(0x21, 0x20); outb(0xa1, 0x28);	/* ICW2: vector bases */
	outb(0x21, 0x04); outb(0xa1, 0x02);	/* ICW3: cascade on IRQ2 */
	outb(0x21, 0x01); outb(0xa1, 0x01);	/* ICW4: 8086 mode */
	outb(0x21, 0xff); outb(0xa1, 0xff);	/* mask everything */
	for (int i = 0; i < 1000; i++)
		asm volatile("sti; nop; nop; cli" ::: "memory");
}

void host_trap(struct host_frame *f)
{
	printk("host exception %lu, error code %#lx, at rip %#lx, cr2 %#lx",
	       f->vector, f->error_code, f->rip, read_cr2());
	printk("rax %016lx rbx %016lx rcx %016lx rdx %016lx", f->rax, f->rbx, f->rcx, f->rdx);
	printk("rsi %016lx rdi %016lx rbp %016lx rsp %016lx", f->rsi, f->rdi, f->rbp, f->rsp);
	printk("r8  %016lx r9  %016lx r10 %016lx r11 %016lx", f->r8, f->r9, f->r10, f->r11);
	printk("r12 %016lx r13 %016lx r14 %016lx r15 %016lx", f->r12, f->r13, f->r14, f->r15);
	panic("parahost took an exception");
}

/* VT-x wants a host TR (its selector must not be 0): an empty 64-bit TSS. */
static uint8_t host_tss[104] __attribute__((aligned(16)));
extern uint64_t host_gdt[];

static void host_tss_init(void)
{
	uint64_t base = (uint64_t)host_tss;

	host_gdt[3] = (sizeof(host_tss) - 1) | ((base & 0xffffff) << 16) |
		      (0x89UL << 40) | (((base >> 24) & 0xff) << 56);
	host_gdt[4] = base >> 32;
	host_tss[0x66] = sizeof(host_tss);	/* no I/O bitmap */
	asm volatile("ltr %w0" :: "r"(0x18));
}

/* Take whatever interrupt made us leave the guest: host_irq_stub EOIs it. */
void host_ack_interrupts(void)
{
	asm volatile("sti; nop; nop; cli" ::: "memory");
}

void host_traps_init(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(host_idt) - 1, (uint64_t)host_idt };

	for (int i = 0; i < 256; i++) {
		/* Exceptions; the PICs' lines; the APIC timer; anything else EOIs the APIC. */
		uint64_t h = i < 32 ? host_vectors[i] : i < 48 ? (uint64_t)host_irq_stub :
			i == HOST_SPURIOUS_VECTOR ? (uint64_t)host_spurious_stub :
			(uint64_t)host_apic_stub;

		host_idt[i].off_lo = (uint16_t)h;
		host_idt[i].sel = 0x08;
		host_idt[i].ist = 0;
		host_idt[i].type = 0x8e;	/* present, DPL 0, interrupt gate */
		host_idt[i].off_mid = (uint16_t)(h >> 16);
		host_idt[i].off_hi = (uint32_t)(h >> 32);
		host_idt[i].zero = 0;
	}
	asm volatile("lidt %0" :: "m"(idtr));
	host_tss_init();
	pic_quiesce();
}
