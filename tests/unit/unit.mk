# CUnit unit tests (included by the top Makefile; BUILD, HOSTCC,
# HOST_CFLAGS and FREESTANDING_CFLAGS come from config.mk).
#
#   make unit-test    build and run $(BUILD)/unit-tests
#
# The test binary links the very same lib/*.c and host/pv/ sources the
# guest and parahost use, compiled for the host with AddressSanitizer and
# UBSan, and every file force-includes tests/unit/rename.h so that lib's
# memcpy, snprintf... become lib_memcpy... instead of clashing with glibc.
# It prints CUnit's "Run Summary", then "[unit] N passed, N failed", and
# writes $(BUILD)/results/unit.txt: "unit PASSED FAILED SKIPPED STATUS",
# counted in CUnit tests (not asserts); see tests/unit/README.md.
#
# The parser and builder are also compiled freestanding (not linked), so a
# libc-ism in them fails here and not first in parahost's build.

UNIT_BIN      := $(BUILD)/unit-tests
UNIT_OBJDIR   := $(BUILD)/unit
UNIT_TESTS    := main elfgen oracle pvdom test_printf test_string test_ata \
		 test_bytering test_crc32 test_elfnote test_elfnote_bad test_pvbuild
# The PV MMU's suite (host/pv/mm*.c, written on the hypervisor side).
UNIT_TESTS    += test_mm test_mm_ops test_mm_owner test_mm_grant test_mm_remove
UNIT_MM_SRCS  := host/pv/mm_core.c host/pv/mm_hcall.c host/pv/mm_audit.c host/pv/mm_grant.c
# Other parts add their host-testable sources and test files here (from
# their own fragment, += ; a test file registers itself with UNIT_SUITE()).
UNIT_EXTRA_SRCS ?=
# parahost's xenstored handlers, fed hostile requests.
UNIT_TESTS    += test_xenstore
UNIT_EXTRA_SRCS += host/backends/xenstore.c host/backends/xenstore_tree.c \
		   host/backends/xenstore_watch.c
UNIT_SRCS      = $(sort $(wildcard lib/*.c)) host/pv/build.c host/pv/build_write.c \
		 $(patsubst %,tests/unit/%.c,$(UNIT_TESTS)) $(UNIT_MM_SRCS) \
		 $(UNIT_EXTRA_SRCS)
UNIT_OBJS      = $(patsubst %.c,$(UNIT_OBJDIR)/%.o,$(UNIT_SRCS))
# Recover mode: a report fails the test that caused it (see main.c), and
# the run goes on to report every other test.
UNIT_SANITIZE := -fsanitize=address,undefined -fsanitize-recover=all \
		 -fno-omit-frame-pointer
# config.mk's HOST_CFLAGS are these host-compiled tests' flags; if another
# fragment reused the name for freestanding code, rebuild them here.
ifneq ($(filter -ffreestanding,$(HOST_CFLAGS)),)
UNIT_HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -iquote . \
		 -isystem $(SYSINC) \
		 $(filter -D__XEN_INTERFACE_VERSION__=%,$(FREESTANDING_CFLAGS))
else
UNIT_HOST_CFLAGS := $(HOST_CFLAGS)
endif
UNIT_CFLAGS   := $(UNIT_HOST_CFLAGS) $(UNIT_SANITIZE) \
		 -include tests/unit/rename.h $(XEN_C_PRELUDE) -MMD -MP
UNIT_FS_OBJS  := $(patsubst %.c,$(BUILD)/unit-freestanding/%.o,\
		 lib/elfnote.c host/pv/build.c host/pv/build_write.c)

.PHONY: unit-test
unit-test: $(UNIT_BIN) $(UNIT_FS_OBJS)
	@mkdir -p $(BUILD)/results
	@rm -f $(BUILD)/results/unit.txt
	@# The real guest image is tested too when it builds (else: SKIP).
	@$(MAKE) --no-print-directory $(BUILD)/paraos >/dev/null 2>&1 || \
		echo "[unit] note: $(BUILD)/paraos does not build; its tests are skipped"
	@ASAN_OPTIONS=halt_on_error=0:detect_leaks=1 \
	 UBSAN_OPTIONS=halt_on_error=0:print_stacktrace=1 \
	 $(UNIT_BIN) --results $(BUILD)/results/unit.txt --paraos $(BUILD)/paraos

$(UNIT_BIN): $(UNIT_OBJS)
	$(HOSTCC) $(UNIT_SANITIZE) -o $@ $(UNIT_OBJS) -lcunit

$(UNIT_OBJDIR)/%.o: %.c tests/unit/rename.h tests/unit/unit.mk config.mk | $(SYSINC)/xen
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UNIT_CFLAGS) -c $< -o $@

$(BUILD)/unit-freestanding/%.o: %.c tests/unit/unit.mk config.mk | $(SYSINC)/xen
	@mkdir -p $(dir $@)
	$(CC) $(FREESTANDING_CFLAGS) $(XEN_C_PRELUDE) -MMD -MP -c $< -o $@

-include $(patsubst %.c,$(UNIT_OBJDIR)/%.d,$(sort $(wildcard lib/*.c)) \
	 host/pv/build.c host/pv/build_write.c $(patsubst %,tests/unit/%.c,$(UNIT_TESTS)) \
	 $(UNIT_MM_SRCS)) \
	 $(UNIT_FS_OBJS:.o=.d)
