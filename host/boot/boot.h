/* What the boot loader told us, and the physical frame allocator. */
#ifndef HOST_BOOT_BOOT_H
#define HOST_BOOT_BOOT_H

#include <stdint.h>
#include <stddef.h>

#define MAX_MODULES	8
#define MAX_RANGES	64

struct boot_module {
	uint64_t start, end;	/* physical, end exclusive */
	const char *string;	/* GRUB's module command line */
};

struct mem_range {
	uint64_t start, end;	/* physical, end exclusive */
};

struct boot_info {
	const char *cmdline;
	unsigned int nr_modules;
	struct boot_module modules[MAX_MODULES];
	unsigned int nr_ram;
	struct mem_range ram[MAX_RANGES];	/* usable RAM per the memory map */
	uint64_t info_start, info_end;		/* the multiboot2 info itself */
	uint64_t rsdp;				/* GRUB's copy of the ACPI RSDP, 0 if none */
};

/* Parses the multiboot2 info; failing exit with one line if unusable. */
void mb2_parse(uint32_t magic, uint64_t info, struct boot_info *bi);

/*
 * Physical frames: free RAM below 4 GiB (what the boot page tables map),
 * minus parahost, the modules and the boot info. Frames come back zeroed;
 * 0 means out of memory (frame 0 is never handed out).
 */
void frame_init(const struct boot_info *bi);
uint64_t frame_alloc(void);
uint64_t frames_alloc(unsigned long n);	/* physically contiguous */
uint64_t frames_free(void);		/* how many are left */

static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)pa;	/* identity map */
}

static inline uint64_t virt_to_phys(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

extern char _host_start[], _host_end[];

/* W^X for parahost's image, page 0 unmapped (paging.c); before any vcpu exists. */
void host_paging_init(void);
void host_selftest(const char *name) __attribute__((noreturn));

/* ACPI soft-off, the last way out (acpi.c). */
void acpi_init(uint64_t rsdp_hint);
void acpi_poweroff(void);

#endif
