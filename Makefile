# ParaOS: a small x86-64 PV kernel for Xen, and parahost, a minimal hypervisor
# that runs the same binary without Xen. See README.md.
#
#   make            build build/paraos (the guest) and build/parahost
#   make run        boot the default platform with its console on this terminal
#   make test       unit tests + the guest suite on every platform available
#   make bench      the guest's benchmark figures on every platform available
#   make fuzz       the host's PV MMU validator under libFuzzer (not in make test)
#
# Each part keeps its rules in its own fragment, included below.

include config.mk

.PHONY: all run test bench deps fuzz-deps clean
all: $(BUILD)/paraos $(BUILD)/parahost

# Freestanding code sees only libxen-dev's xen/ directory, not /usr/include.
$(SYSINC)/xen: | $(SYSINC)/pv_featuremask.h
	@mkdir -p $(SYSINC)
	@test -d $(XEN_INC) || { echo "missing $(XEN_INC): run 'make deps' (libxen-dev)"; exit 1; }
	@ln -sfn $(XEN_INC) $@

# The CPUID features a PV guest sees by default, from libxen-dev's annotations.
$(SYSINC)/pv_featuremask.h: tools/gen-pv-featuremask.py $(XEN_INC)/arch-x86/cpufeatureset.h
	@mkdir -p $(SYSINC)
	@$(PYTHON) $^ $@

include guest.mk
-include host/host.mk
-include tests/unit/unit.mk
-include tests/xen/xen.mk
-include tests/fuzz/fuzz.mk

deps:
	@tools/deps.sh

# clang/libFuzzer only for make fuzz: CI's make test does not need them.
$(FUZZ_DIR)/fuzz_mm: | fuzz-deps
fuzz-deps:
	@tools/deps.sh fuzz

# The README's main job: ParaOS on parahost in QEMU (AMD-V), console on this
# terminal. `make run-xen` runs it as a real Xen domU instead.
run: deps
	@$(MAKE) --no-print-directory run-parahost

# TEST_PLATFORMS="unit xen-dom0" runs a subset (see tests/test-all.py).
test: deps
	@$(PYTHON) tests/test-all.py $(TEST_PLATFORMS)

# Figures, not verdicts: one "bench ..." line per platform and figure.
bench: deps
	@$(PYTHON) tests/bench.py $(BENCH_PLATFORMS)

clean:
	rm -rf $(BUILD)
