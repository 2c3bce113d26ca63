# The guest kernel, build/paraos: a 64-bit PV ELF for Xen (and parahost).

GUEST_DIRS := arch/x86 xen mm kernel kernel/tests drivers drivers/pv
GUEST_SRCS := $(foreach d,$(GUEST_DIRS),$(sort $(wildcard $(d)/*.c $(d)/*.S))) \
	lib/string.c lib/printf.c lib/bytering.c lib/crc32.c
GUEST_OBJS := $(patsubst %,$(BUILD)/guest/%.o,$(basename $(GUEST_SRCS)))

# Source order = test order: KTEST() records must stay in the order written.
# Frame pointers: panic() and fatal traps print a call trace.
GUEST_CFLAGS := $(FREESTANDING_CFLAGS) -mcmodel=kernel -fno-toplevel-reorder \
	-fno-omit-frame-pointer -MMD -MP
GUEST_LDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack \
	--no-warn-rwx-segments -T arch/x86/paraos.lds

$(BUILD)/guest/%.o: %.c guest.mk config.mk | $(SYSINC)/xen
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) $(XEN_C_PRELUDE) -c $< -o $@

$(BUILD)/guest/%.o: %.S guest.mk config.mk | $(SYSINC)/xen
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(BUILD)/paraos: $(GUEST_OBJS) arch/x86/paraos.lds
	$(LD) $(GUEST_LDFLAGS) -o $@ $(GUEST_OBJS)

-include $(GUEST_OBJS:.o=.d)
