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

static struct idt_gate host_idt[32] __attribute__((aligned(16)));
extern const uint64_t host_vectors[32];

void host_trap(struct host_frame *f);

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

void host_traps_init(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(host_idt) - 1, (uint64_t)host_idt };

	for (int i = 0; i < 32; i++) {
		uint64_t h = host_vectors[i];

		host_idt[i].off_lo = (uint16_t)h;
		host_idt[i].sel = 0x08;
		host_idt[i].ist = 0;
		host_idt[i].type = 0x8e;	/* present, DPL 0, interrupt gate */
		host_idt[i].off_mid = (uint16_t)(h >> 16);
		host_idt[i].off_hi = (uint32_t)(h >> 32);
		host_idt[i].zero = 0;
	}
	asm volatile("lidt %0" :: "m"(idtr));
}
