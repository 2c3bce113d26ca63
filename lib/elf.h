/*
 * The ELF64 structures and constants we need to read a kernel image.
 * ELF is not part of the Xen ABI, and glibc's <elf.h> is not available to
 * freestanding code, so these are our own, written from the System V ABI
 * (gABI) and its x86-64 supplement. Only what the image parser uses.
 *
 * All multi-byte fields are little-endian (we only accept ELFDATA2LSB) and
 * may sit at any offset in an untrusted buffer: read them with memcpy into
 * these structs, never by casting a pointer into the image.
 */
#ifndef LIB_ELF_H
#define LIB_ELF_H

#include <stdint.h>

/* e_ident[] */
#define EI_NIDENT	16
#define EI_MAG0		0
#define EI_CLASS	4
#define EI_DATA		5
#define EI_VERSION	6
#define ELFMAG		"\177ELF"
#define SELFMAG		4
#define ELFCLASS32	1
#define ELFCLASS64	2
#define ELFDATA2LSB	1
#define EV_CURRENT	1

/* e_type, e_machine */
#define ET_EXEC		2
#define EM_386		3
#define EM_X86_64	62

/* p_type, p_flags */
#define PT_NULL		0
#define PT_LOAD		1
#define PT_NOTE		4
#define PF_X		0x1
#define PF_W		0x2
#define PF_R		0x4

/* sh_type */
#define SHT_NULL	0
#define SHT_NOTE	7

/* e_phnum escape value: the real count lives elsewhere. We refuse it. */
#define PN_XNUM		0xffff

struct elf64_ehdr {
	unsigned char e_ident[EI_NIDENT];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};

struct elf64_phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;
	uint64_t p_memsz;
	uint64_t p_align;
};

struct elf64_shdr {
	uint32_t sh_name;
	uint32_t sh_type;
	uint64_t sh_flags;
	uint64_t sh_addr;
	uint64_t sh_offset;
	uint64_t sh_size;
	uint32_t sh_link;
	uint32_t sh_info;
	uint64_t sh_addralign;
	uint64_t sh_entsize;
};

/* A note: this header, then the name and the descriptor, each padded to 4. */
struct elf64_nhdr {
	uint32_t n_namesz;
	uint32_t n_descsz;
	uint32_t n_type;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header size");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 phdr size");
_Static_assert(sizeof(struct elf64_shdr) == 64, "ELF64 shdr size");
_Static_assert(sizeof(struct elf64_nhdr) == 12, "ELF note header size");

#endif
