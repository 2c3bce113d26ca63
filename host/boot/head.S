/*
 * parahost start of day: a multiboot2 header, then GRUB's 32-bit protected
 * mode entry (EAX = magic, EBX = multiboot2 info, paging off), to 64-bit
 * long mode on identity-mapped page tables covering the first 4 GiB with
 * 2 MiB pages, then C (host_main).
 */
#define MB2_MAGIC	0xe85250d6
#define MB2_ARCH_I386	0
#define MB2_BOOT_MAGIC	0x36d76289

#define COM1		0x3f8

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long	MB2_MAGIC
	.long	MB2_ARCH_I386
	.long	mb2_header_end - mb2_header
	.long	-(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	/* Module alignment tag: modules page-aligned (the guest image). */
	.balign 8
	.short	6, 0
	.long	8
	/* End tag. */
	.balign 8
	.short	0, 0
	.long	8
mb2_header_end:

	.section .text.boot, "ax"
	.code32
	.globl	_start
_start:
	cli
	cld
	mov	$boot_stack_top, %esp
	mov	%eax, %edi		/* multiboot magic, kept for C */
	mov	%ebx, %esi		/* multiboot info */

	cmp	$MB2_BOOT_MAGIC, %edi
	jne	.Lno_mb2

	/* CPUID: extended leaf 0x80000001 EDX bit 29 = long mode. */
	mov	$0x80000000, %eax
	cpuid
	cmp	$0x80000001, %eax
	jb	.Lno_lm
	mov	$0x80000001, %eax
	cpuid
	bt	$29, %edx
	jnc	.Lno_lm

	/*
	 * Page tables: PML4[0] -> PDPT; PDPT[0..3] -> PD0..PD3, each 512 2 MiB
	 * pages: identity map of 0..4 GiB, RW, supervisor.
	 */
	mov	$pdpt, %eax
	or	$0x3, %eax
	mov	%eax, pml4
	xor	%ecx, %ecx
1:	mov	%ecx, %eax
	shl	$12, %eax
	add	$pd, %eax
	or	$0x3, %eax
	mov	%eax, pdpt(,%ecx,8)
	inc	%ecx
	cmp	$4, %ecx
	jne	1b

	xor	%ecx, %ecx		/* 2048 entries over the 4 PDs */
1:	mov	%ecx, %eax
	shl	$21, %eax
	or	$0x83, %eax		/* present, RW, PS */
	mov	%eax, pd(,%ecx,8)
	mov	%ecx, %eax
	shr	$11, %eax		/* high half of the address: ecx >> 11 */
	mov	%eax, pd+4(,%ecx,8)
	inc	%ecx
	cmp	$2048, %ecx
	jne	1b

	mov	%cr4, %eax
	or	$0x20, %eax		/* CR4.PAE */
	mov	%eax, %cr4
	mov	$pml4, %eax
	mov	%eax, %cr3
	mov	$0xc0000080, %ecx	/* EFER */
	rdmsr
	or	$0x100, %eax		/* EFER.LME */
	wrmsr
	mov	%cr0, %eax
	or	$0x80010001, %eax	/* CR0.PG | CR0.WP | CR0.PE */
	mov	%eax, %cr0

	lgdt	gdt_desc
	ljmp	$0x08, $long_mode

/* Something went wrong before long mode: say so on COM1 and stop. */
.Lno_mb2:
	mov	$msg_no_mb2, %esi
	jmp	.Lfail32
.Lno_lm:
	mov	$msg_no_lm, %esi
.Lfail32:
	/* 115200 8N1, polled: no C yet. */
	mov	$COM1+1, %dx; xor %al, %al; out %al, %dx	/* no IRQs */
	mov	$COM1+3, %dx; mov $0x80, %al; out %al, %dx	/* DLAB */
	mov	$COM1+0, %dx; mov $1, %al; out %al, %dx		/* divisor 1 */
	mov	$COM1+1, %dx; xor %al, %al; out %al, %dx
	mov	$COM1+3, %dx; mov $0x03, %al; out %al, %dx	/* 8N1 */
2:	lodsb
	test	%al, %al
	jz	3f
	mov	%al, %bl
	mov	$COM1+5, %dx
1:	in	%dx, %al
	test	$0x20, %al
	jz	1b
	mov	$COM1, %dx
	mov	%bl, %al
	out	%al, %dx
	jmp	2b
3:	/* QEMU isa-debug-exit (status 0x21), then Bochs' shutdown port. */
	mov	$0xf4, %dx
	mov	$0x10, %eax
	out	%eax, %dx
	mov	$0x8900, %dx
	mov	$msg_shutdown, %esi
	mov	$8, %ecx
	rep outsb
4:	pause
	jmp	4b

	.code64
long_mode:
	xor	%eax, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	%eax, %fs
	mov	%eax, %gs
	mov	$boot_stack_top, %rsp
	/* edi = magic, esi = info: already the first two C arguments. */
	mov	%edi, %edi
	mov	%esi, %esi
	call	host_main
5:	pause
	jmp	5b

	.section .rodata
msg_no_mb2:
	.asciz	"parahost: not started by a multiboot2 loader\r\n"
msg_no_lm:
	.asciz	"parahost: this CPU has no 64-bit long mode\r\n"
msg_shutdown:
	.ascii	"Shutdown"

	.data
	.balign 16
	.globl	host_gdt
host_gdt:
	.quad	0
	.quad	0x00af9a000000ffff	/* 0x08: 64-bit code, DPL 0 */
	.quad	0x00cf92000000ffff	/* 0x10: data, DPL 0 */
	.quad	0, 0			/* 0x18: TSS, filled in by host_traps_init */
host_gdt_end:
gdt_desc:
	.short	host_gdt_end - host_gdt - 1
	.quad	host_gdt

	.section .bss.boot, "aw", @nobits
	.balign 4096
	.globl	pml4
pml4:	.skip	4096
pdpt:	.skip	4096
pd:	.skip	4 * 4096
	.balign 16
boot_stack:
	.skip	65536
	.globl	boot_stack_top
boot_stack_top:
