/* Architectural paging constants (x86-64), and where ParaOS lives. */
#ifndef ARCH_X86_PAGE_H
#define ARCH_X86_PAGE_H

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1ul << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

#define _PAGE_PRESENT	(1ull << 0)
#define _PAGE_RW	(1ull << 1)
#define _PAGE_USER	(1ull << 2)
#define _PAGE_PWT	(1ull << 3)
#define _PAGE_PCD	(1ull << 4)
#define _PAGE_ACCESSED	(1ull << 5)
#define _PAGE_DIRTY	(1ull << 6)
#define _PAGE_PSE	(1ull << 7)
#define _PAGE_GLOBAL	(1ull << 8)
#define _PAGE_NX	(1ull << 63)
#define PTE_ADDR_MASK	0x000ffffffffff000ull

/* Must match XEN_ELFNOTE_VIRT_BASE in notes.S and the linker script. */
#define VIRT_BASE	0xffffffff80000000ul

#define PAGE_ALIGNED(x)	(((unsigned long)(x) & (PAGE_SIZE - 1)) == 0)

#endif
