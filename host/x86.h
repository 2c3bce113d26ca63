/* Tiny x86-64 helpers for parahost: port I/O, CPUID, MSRs, control registers. */
#ifndef HOST_X86_H
#define HOST_X86_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#define PAGE_SHIFT	12
#define PAGE_SIZE	4096UL
#define PAGE_MASK	(~(PAGE_SIZE - 1))

/* Page-table entry bits (the x86 format; NPT uses it too). */
#define PTE_P		(1UL << 0)
#define PTE_W		(1UL << 1)
#define PTE_U		(1UL << 2)
#define PTE_PWT		(1UL << 3)
#define PTE_PCD		(1UL << 4)
#define PTE_A		(1UL << 5)
#define PTE_D		(1UL << 6)
#define PTE_PS		(1UL << 7)
#define PTE_G		(1UL << 8)
#define PTE_NX		(1UL << 63)
#define PTE_ADDR	0x000ffffffffff000UL

#define MSR_EFER		0xc0000080
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SFMASK		0xc0000084
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_PAT			0x00000277
#define MSR_FEATURE_CONTROL	0x0000003a
#define FEATURE_CONTROL_LOCK		(1UL << 0)
#define FEATURE_CONTROL_VMXON_OUTSIDE_SMX (1UL << 2)

#define EFER_SCE	(1UL << 0)
#define EFER_LME	(1UL << 8)
#define EFER_LMA	(1UL << 10)
#define EFER_NXE	(1UL << 11)
#define EFER_SVME	(1UL << 12)

#define CR0_PE		(1UL << 0)
#define CR0_MP		(1UL << 1)
#define CR0_EM		(1UL << 2)
#define CR0_TS		(1UL << 3)
#define CR0_ET		(1UL << 4)
#define CR0_NE		(1UL << 5)
#define CR0_WP		(1UL << 16)
#define CR0_AM		(1UL << 18)
#define CR0_NW		(1UL << 29)
#define CR0_CD		(1UL << 30)
#define CR0_PG		(1UL << 31)

#define CR4_VME		(1UL << 0)
#define CR4_PSE		(1UL << 4)
#define CR4_PAE		(1UL << 5)
#define CR4_PGE		(1UL << 7)
#define CR4_OSFXSR	(1UL << 9)
#define CR4_OSXMMEXCPT	(1UL << 10)
#define CR4_UMIP	(1UL << 11)
#define CR4_VMXE	(1UL << 13)
#define CR4_FSGSBASE	(1UL << 16)
#define CR4_OSXSAVE	(1UL << 18)
#define CR4_SMEP	(1UL << 20)
#define CR4_SMAP	(1UL << 21)

#define X86_EFLAGS_CF	(1UL << 0)
#define X86_EFLAGS_MBS	(1UL << 1)	/* must be set */
#define X86_EFLAGS_PF	(1UL << 2)
#define X86_EFLAGS_AF	(1UL << 4)
#define X86_EFLAGS_ZF	(1UL << 6)
#define X86_EFLAGS_SF	(1UL << 7)
#define X86_EFLAGS_TF	(1UL << 8)
#define X86_EFLAGS_IF	(1UL << 9)
#define X86_EFLAGS_DF	(1UL << 10)
#define X86_EFLAGS_OF	(1UL << 11)
#define X86_EFLAGS_IOPL	(3UL << 12)
#define X86_EFLAGS_NT	(1UL << 14)
#define X86_EFLAGS_RF	(1UL << 16)
#define X86_EFLAGS_VM	(1UL << 17)
#define X86_EFLAGS_AC	(1UL << 18)
#define X86_EFLAGS_VIF	(1UL << 19)
#define X86_EFLAGS_VIP	(1UL << 20)
#define X86_EFLAGS_ID	(1UL << 21)
/* Every RFLAGS bit that exists (CF through ID); the rest are reserved zeros. */
#define X86_EFLAGS_ARCH	0x3f7fd7UL
/* What SYSRET takes from R11: RF, VM and the reserved bits it clears. */
#define SYSRET_RFLAGS_KEPT	0x3c7fd7UL

/* Exception vectors. */
enum {
	X86_EXC_DE = 0, X86_EXC_DB = 1, X86_EXC_NMI = 2, X86_EXC_BP = 3,
	X86_EXC_OF = 4, X86_EXC_BR = 5, X86_EXC_UD = 6, X86_EXC_NM = 7,
	X86_EXC_DF = 8, X86_EXC_TS = 10, X86_EXC_NP = 11, X86_EXC_SS = 12,
	X86_EXC_GP = 13, X86_EXC_PF = 14, X86_EXC_MF = 16, X86_EXC_AC = 17,
	X86_EXC_MC = 18, X86_EXC_XM = 19, X86_EXC_VE = 20, X86_EXC_CP = 21,
};

/* #PF error code bits. */
#define PFEC_PRESENT	(1U << 0)
#define PFEC_WRITE	(1U << 1)
#define PFEC_USER	(1U << 2)
#define PFEC_RSVD	(1U << 3)
#define PFEC_INSN	(1U << 4)

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" :: "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" :: "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" :: "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void cpuid_count(uint32_t leaf, uint32_t sub, uint32_t *a,
			       uint32_t *b, uint32_t *c, uint32_t *d)
{
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
		     : "a"(leaf), "c"(sub));
}

static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b,
			 uint32_t *c, uint32_t *d)
{
	cpuid_count(leaf, 0, a, b, c, d);
}

/* RDMSR of an MSR the CPU may lack (host/boot/vectors.S): 0, or -1 after its #GP. */
int host_rdmsr_safe(uint32_t msr, uint64_t *val);

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v),
		     "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#define DEFINE_CR(n)							\
static inline uint64_t read_cr##n(void)					\
{									\
	uint64_t v;							\
	asm volatile("mov %%cr" #n ", %0" : "=r"(v));			\
	return v;							\
}									\
static inline void write_cr##n(uint64_t v)				\
{									\
	asm volatile("mov %0, %%cr" #n :: "r"(v) : "memory");		\
}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

/* Fast page-sized and bulk clears (lib/string.c is byte-at-a-time on purpose). */
static inline void zero_bytes(void *p, size_t n)
{
	size_t q = n / 8, r = n % 8;
	unsigned char *b;

	asm volatile("rep stosq" : "+D"(p), "+c"(q) : "a"(0UL) : "memory");
	b = p;
	while (r--)
		*b++ = 0;
}

static inline void clear_page(void *p)
{
	zero_bytes(p, PAGE_SIZE);
}

static inline void cpu_relax(void)
{
	asm volatile("pause" ::: "memory");
}

#endif
