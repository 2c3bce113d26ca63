# Build settings shared by the guest, parahost and the host-side tools.

CC      ?= gcc
LD      ?= ld
# Debian's Python (tools/deps.sh installs it): the harness needs lzma and the
# standard library only, and one known interpreter behaves the same in CI.
PYTHON  ?= /usr/bin/python3
BUILD   := build

# The Xen ABI comes only from Debian's libxen-dev. We expose just its xen/
# directory to freestanding code, so nothing from libc can sneak in.
XEN_INC := /usr/include/xen
SYSINC  := $(BUILD)/sysinc

# "xen/foo.h" is ours (guest side of an interface); <xen/foo.h> is libxen-dev:
# -iquote keeps the two apart.
#
# Freestanding C in the spirit of XTF: no libc, no SSE, no red zone (the
# hypervisor pushes exception frames on our stack), no stack protector.
# As Xen and Linux build: no type-based alias analysis (page tables, rings and
# descriptors are read through more than one type) and no deleting of NULL
# checks (address 0 is just an address in a kernel).
FREESTANDING_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-ffreestanding -fno-builtin -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	-isystem $(SYSINC) -fno-pic -fno-pie -fno-stack-protector -mno-red-zone \
	-mno-sse -mno-mmx -mno-sse2 -mno-avx -mno-80387 -fno-asynchronous-unwind-tables \
	-fno-common -fno-strict-aliasing -fno-delete-null-pointer-checks -fcf-protection=none \
	-D__XEN_INTERFACE_VERSION__=0x00040e00 -iquote .

# Host-compiled unit tests link the very same lib/ sources against CUnit.
HOSTCC     ?= gcc
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -fno-strict-aliasing -iquote . -isystem $(SYSINC) \
	-D__XEN_INTERFACE_VERSION__=0x00040e00

# libxen-dev's headers use uint64_t & co. without including <stdint.h>
# (Xen's own build provides them); C files get it first. Not for .S files.
XEN_C_PRELUDE := -include stdint.h
