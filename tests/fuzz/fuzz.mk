# The PV MMU's host-side checks (host/pv/mm*.c), outside `make test`:
#
#   make fuzz        libFuzzer target tests/fuzz/fuzz_mm.c, FUZZ_RUNS inputs
#                    (default 1,000,000), ASan + UBSan, invariants checked
#                    after every operation; fails on the first violation.
# The MMU's CUnit suites (tests/unit/test_mm*.c) run in make unit-test.
#
# Needs clang with libFuzzer (Debian: clang, libclang-rt-14-dev) and CUnit
# (libcunit1-dev). Included from the top Makefile; uses config.mk's settings.

FUZZ_CC    ?= clang
FUZZ_RUNS  ?= 1000000
FUZZ_SEED  ?= 1
FUZZ_DIR   := $(BUILD)/fuzz
MM_SRCS    := host/pv/mm_core.c host/pv/mm_hcall.c host/pv/mm_audit.c host/pv/mm_grant.c
MM_DEPS    := $(MM_SRCS) host/pv/mm.h tests/fuzz/mm_env.h

FUZZ_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -iquote . \
	-isystem $(SYSINC) -D__XEN_INTERFACE_VERSION__=0x00040e00 $(XEN_C_PRELUDE) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

.PHONY: fuzz

$(FUZZ_DIR)/fuzz_mm: tests/fuzz/fuzz_mm.c $(MM_DEPS) | $(SYSINC)/xen
	@mkdir -p $(@D)
	@command -v $(FUZZ_CC) >/dev/null || { echo "fuzz: no $(FUZZ_CC) (apt-get install clang libclang-rt-14-dev)"; exit 1; }
	$(FUZZ_CC) $(FUZZ_CFLAGS) tests/fuzz/fuzz_mm.c $(MM_SRCS) -o $@

# A fresh corpus each time, so that the count and the time mean the same
# from run to run; -seed makes a run reproducible.
fuzz: $(FUZZ_DIR)/fuzz_mm
	@rm -rf $(FUZZ_DIR)/corpus && mkdir -p $(FUZZ_DIR)/corpus
	@echo "fuzz: fuzz_mm, $(FUZZ_RUNS) inputs"
	@start=$$(date +%s); \
	$(FUZZ_DIR)/fuzz_mm -runs=$(FUZZ_RUNS) -seed=$(FUZZ_SEED) -max_len=512 \
		-print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/ \
		$(FUZZ_DIR)/corpus 2>$(FUZZ_DIR)/fuzz_mm.log; rc=$$?; \
	end=$$(date +%s); \
	grep -E "stat::number_of_executed_units|Done [0-9]+ runs" $(FUZZ_DIR)/fuzz_mm.log; \
	if [ $$rc -ne 0 ]; then tail -40 $(FUZZ_DIR)/fuzz_mm.log; echo "fuzz: FAILED (log: $(FUZZ_DIR)/fuzz_mm.log)"; exit 1; fi; \
	echo "fuzz: $(FUZZ_RUNS) inputs, no invariant violation, $$((end - start)) s"
