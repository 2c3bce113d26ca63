# parahost: the bare-metal host for the Xen 64-bit PV ABI (see docs/parahost.md).
#
#   make build/parahost        the multiboot2 ELF
#   make iso                   build/parahost.iso: GRUB + parahost + build/paraos
#   make run-parahost          boot the ISO in QEMU (AMD-V; TCG unless KVM has nested virt)
#   make run-bochs             boot the ISO in Bochs (VT-x), bounded by a timeout
#   make parahost-svm-test     the guest suite on parahost/AMD-V in QEMU
#   make parahost-vmx-test     the guest suite on parahost/VT-x in Bochs
#   make parahost-badinput-test  bad images and a crashing guest, in QEMU

HOST_DIRS := host host/boot host/svm host/vmx host/pv host/backends host/drivers
HOST_SRCS := $(foreach d,$(HOST_DIRS),$(wildcard $(d)/*.c $(d)/*.S)) \
	lib/string.c lib/printf.c lib/bytering.c lib/elfnote.c lib/ata.c
HOST_OBJS := $(patsubst %,$(BUILD)/host/%.o,$(basename $(HOST_SRCS)))

# Identity-mapped below 4 GiB: the small code model; parahost's own
# exceptions push frames on its stack, hence no red zone (in FREESTANDING_CFLAGS).
HOST_CFLAGS := $(FREESTANDING_CFLAGS) -mcmodel=small -MMD -MP
HOST_LDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack \
	-T host/boot/parahost.lds

$(BUILD)/host/%.o: %.c | $(SYSINC)/xen
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(HOST_CFLAGS) -c $< -o $@

$(BUILD)/host/%.o: %.S | $(SYSINC)/xen
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(HOST_CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(BUILD)/parahost: $(HOST_OBJS) host/boot/parahost.lds
	@echo "  LD      $@"
	@$(LD) $(HOST_LDFLAGS) -o $@ $(HOST_OBJS)

-include $(HOST_OBJS:.o=.d)

# --- the ISO ------------------------------------------------------------------

PARAHOST_ISO := $(BUILD)/parahost.iso

$(PARAHOST_ISO): $(BUILD)/parahost $(BUILD)/paraos boot/grub.cfg
	@rm -rf $(BUILD)/iso && mkdir -p $(BUILD)/iso/boot/grub
	cp $(BUILD)/parahost $(BUILD)/paraos $(BUILD)/iso/boot/
	cp boot/grub.cfg $(BUILD)/iso/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(BUILD)/iso 2>$(BUILD)/iso.log || { cat $(BUILD)/iso.log; exit 1; }

# The test platforms' ISO: the same with "blk_scratch" on the guest's
# command line, which lets the guest's tests write anywhere on the disk:
# only the harness's fresh images get it, never make run's build/disk.img.
PARAHOST_TEST_ISO := $(BUILD)/parahost-test.iso

$(PARAHOST_TEST_ISO): $(BUILD)/parahost $(BUILD)/paraos boot/grub.cfg
	@rm -rf $(BUILD)/iso-test && mkdir -p $(BUILD)/iso-test/boot/grub
	cp $(BUILD)/parahost $(BUILD)/paraos $(BUILD)/iso-test/boot/
	sed 's|^\(\s*module2 /boot/paraos\)\(.*\)$$|\1\2 blk_scratch|' boot/grub.cfg > $(BUILD)/iso-test/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(BUILD)/iso-test 2>$(BUILD)/iso.log || { cat $(BUILD)/iso.log; exit 1; }

# The durability boots (docs/xen-harness.md, "The domU's disk"): "durable"
# makes the guest write, flush and print its blk-durable line instead of
# running the suite; the runner kills the machine on that line and checks
# the image. One for each event ABI, as the suites.
PARAHOST_DURABLE_ISO := $(BUILD)/parahost-durable.iso
PARAHOST_DURABLE_2L_ISO := $(BUILD)/parahost-durable-2l.iso

# durable_iso DIR EXTRA-ARGS: the recipe of one of them.
define durable_iso
	@rm -rf $(BUILD)/$(1) && mkdir -p $(BUILD)/$(1)/boot/grub
	cp $(BUILD)/parahost $(BUILD)/paraos $(BUILD)/$(1)/boot/
	sed 's|^\(\s*module2 /boot/paraos\)\(.*\)$$|\1\2 durable blk_scratch$(2)|' \
		boot/grub.cfg > $(BUILD)/$(1)/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(BUILD)/$(1) 2>$(BUILD)/iso.log || { cat $(BUILD)/iso.log; exit 1; }
endef

$(PARAHOST_DURABLE_ISO): $(BUILD)/parahost $(BUILD)/paraos boot/grub.cfg
	$(call durable_iso,iso-durable,)

$(PARAHOST_DURABLE_2L_ISO): $(BUILD)/parahost $(BUILD)/paraos boot/grub.cfg
	$(call durable_iso,iso-durable-2l, evtchn=2l)

# durable_run NAME ISO RUNNER-ENV RUNNER: the durability boot of platform NAME.
durable_run = $(PYTHON) tests/runvm.py --name $(1) --timeout $(PARAHOST_TIMEOUT_DURABLE) \
	--log $(BUILD)/logs/$(1)-durable.log --disk $(BUILD)/disk/$(1).img \
	--durable --durable-only --durable-kill -- \
	env $(3) $(call disk_env,$(1)) $(4) $(2)
PARAHOST_TIMEOUT_DURABLE ?= 240

# make bench: "bench" on the guest's command line (figures only, no suite)
# at 32 MiB; and "bench=boot" at 1 GiB for the boot figure alone.
PARAHOST_BENCH_ISO := $(BUILD)/parahost-bench.iso
PARAHOST_BENCH_1G_ISO := $(BUILD)/parahost-bench-1g.iso

$(PARAHOST_BENCH_ISO): $(BUILD)/parahost $(BUILD)/paraos boot/grub.cfg
	@rm -rf $(BUILD)/iso-bench && mkdir -p $(BUILD)/iso-bench/boot/grub
	cp $(BUILD)/parahost $(BUILD)/paraos $(BUILD)/iso-bench/boot/
	sed 's|guest_mem=[^ ]*|guest_mem=32M|; s|^\(\s*module2 /boot/paraos\)\(.*\)$$|\1\2 bench ktest=- blk_scratch|' boot/grub.cfg > $(BUILD)/iso-bench/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(BUILD)/iso-bench 2>$(BUILD)/iso.log || { cat $(BUILD)/iso.log; exit 1; }

$(PARAHOST_BENCH_1G_ISO): $(BUILD)/parahost $(BUILD)/paraos boot/grub.cfg
	@rm -rf $(BUILD)/iso-bench-1g && mkdir -p $(BUILD)/iso-bench-1g/boot/grub
	cp $(BUILD)/parahost $(BUILD)/paraos $(BUILD)/iso-bench-1g/boot/
	sed 's|guest_mem=[^ ]*|guest_mem=1G|; s|^\(\s*module2 /boot/paraos\)\(.*\)$$|\1\2 bench=boot ktest=-|' boot/grub.cfg > $(BUILD)/iso-bench-1g/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(BUILD)/iso-bench-1g 2>$(BUILD)/iso.log || { cat $(BUILD)/iso.log; exit 1; }

# The same with "evtchn=2l": the suite on the 2-level event ABI.
PARAHOST_2L_ISO := $(BUILD)/parahost-2l.iso

$(PARAHOST_2L_ISO): $(BUILD)/parahost $(BUILD)/paraos boot/grub.cfg
	@rm -rf $(BUILD)/iso-2l && mkdir -p $(BUILD)/iso-2l/boot/grub
	cp $(BUILD)/parahost $(BUILD)/paraos $(BUILD)/iso-2l/boot/
	sed 's|^\(\s*module2 /boot/paraos\)\(.*\)$$|\1\2 evtchn=2l blk_scratch|' boot/grub.cfg > $(BUILD)/iso-2l/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(BUILD)/iso-2l 2>$(BUILD)/iso.log || { cat $(BUILD)/iso.log; exit 1; }

.PHONY: iso run-parahost run-bochs parahost-svm-test parahost-svm-2l-test parahost-vmx-test
.PHONY: parahost-svm-bench parahost-vmx-bench parahost-svm-1g-bench parahost-vmx-1g-bench
iso: $(PARAHOST_ISO)

# --- running it ---------------------------------------------------------------

PARAHOST_TIMEOUT_SVM ?= 300
PARAHOST_TIMEOUT_VMX ?= 1200
# The console input test's prompt: the runner types the quoted line.
TYPE_ON := --type-on 'console: please type "([^"]*)" and Enter'


# The disks parahost's blkback serves (docs/blkback.md). make run's is the
# user's: made on first use, never overwritten. Each test run gets a fresh,
# zeroed one of its own, build/disk/PLATFORM.img.
USER_DISK := $(BUILD)/disk.img
TEST_DISK_MB ?= 64
# A Bochs killed on the durability line leaves IMG.lock, and the next Bochs
# would refuse the image: a fresh image is fresh of that too.
fresh_disk = mkdir -p $(BUILD)/disk && rm -f $(BUILD)/disk/$(1).img $(BUILD)/disk/$(1).img.lock && \
	truncate -s $(TEST_DISK_MB)M $(BUILD)/disk/$(1).img
disk_env = PARAHOST_DISK=$(BUILD)/disk/$(1).img

$(USER_DISK):
	@mkdir -p $(dir $@)
	truncate -s 64M $@

run-parahost: $(PARAHOST_ISO) | $(USER_DISK)
	@PARAHOST_DISK=$(USER_DISK) host/tools/run-qemu.sh $(PARAHOST_ISO)

run-bochs: $(PARAHOST_ISO)
	@PARAHOST_TIMEOUT=$(PARAHOST_TIMEOUT_VMX) host/tools/run-bochs.sh $(PARAHOST_ISO)

parahost-svm-test: $(PARAHOST_TEST_ISO) $(PARAHOST_DURABLE_ISO)
	@mkdir -p $(BUILD)/logs $(BUILD)/results
	@if ! command -v qemu-system-x86_64 >/dev/null; then \
		echo "[parahost-svm] SKIP: qemu-system-x86_64 (Debian package qemu-system-x86) is not installed"; \
		echo "parahost-svm 0 0 0 skip qemu-system-x86_64 is not installed" > $(BUILD)/results/parahost-svm.txt; \
	else \
		$(call fresh_disk,parahost-svm) && \
		$(PYTHON) tests/runvm.py --name parahost-svm --timeout $(PARAHOST_TIMEOUT_SVM) $(TYPE_ON) \
			--log $(BUILD)/logs/parahost-svm.log -- \
			env $(call disk_env,parahost-svm) host/tools/run-qemu.sh $(PARAHOST_TEST_ISO); \
		$(call durable_run,parahost-svm,$(PARAHOST_DURABLE_ISO),,host/tools/run-qemu.sh); \
	fi

parahost-svm-2l-test: $(PARAHOST_2L_ISO) $(PARAHOST_DURABLE_2L_ISO)
	@mkdir -p $(BUILD)/logs $(BUILD)/results
	@if ! command -v qemu-system-x86_64 >/dev/null; then \
		echo "[parahost-svm-2l] SKIP: qemu-system-x86_64 (Debian package qemu-system-x86) is not installed"; \
		echo "parahost-svm-2l 0 0 0 skip qemu-system-x86_64 is not installed" > $(BUILD)/results/parahost-svm-2l.txt; \
	else \
		$(call fresh_disk,parahost-svm-2l) && \
		$(PYTHON) tests/runvm.py --name parahost-svm-2l --timeout $(PARAHOST_TIMEOUT_SVM) $(TYPE_ON) \
			--log $(BUILD)/logs/parahost-svm-2l.log -- \
			env $(call disk_env,parahost-svm-2l) host/tools/run-qemu.sh $(PARAHOST_2L_ISO); \
		$(call durable_run,parahost-svm-2l,$(PARAHOST_DURABLE_2L_ISO),,host/tools/run-qemu.sh); \
	fi

# Bochs can run here only with script(1) and its term display (run-bochs.sh);
# $(call bochs_skip,NAME) says loudly that it cannot, in NAME's results.
BOCHS_MISSING = ! command -v bochs >/dev/null || ! command -v script >/dev/null || \
	! ls /usr/lib/*/bochs/plugins/libbx_term_gui.so* /usr/lib/bochs/plugins/libbx_term_gui.so* 2>/dev/null | grep -q .
bochs_skip = echo "[$(1)] SKIP: bochs with its term display (Debian packages bochs, bochs-term, bochsbios, vgabios) is not installed"; \
	echo "$(1) 0 0 0 skip bochs (with bochs-term) is not installed" > $(BUILD)/results/$(1).txt

parahost-vmx-test: $(PARAHOST_TEST_ISO) $(PARAHOST_DURABLE_ISO)
	@mkdir -p $(BUILD)/logs $(BUILD)/results
	@if $(BOCHS_MISSING); then \
		$(call bochs_skip,parahost-vmx); \
	else \
		$(call fresh_disk,parahost-vmx) && \
		$(PYTHON) tests/runvm.py --name parahost-vmx --timeout $(PARAHOST_TIMEOUT_VMX) $(TYPE_ON) \
			--log $(BUILD)/logs/parahost-vmx.log -- \
			env PARAHOST_TIMEOUT=$(PARAHOST_TIMEOUT_VMX) $(call disk_env,parahost-vmx) \
			host/tools/run-bochs.sh $(PARAHOST_TEST_ISO); \
		$(call durable_run,parahost-vmx,$(PARAHOST_DURABLE_ISO),PARAHOST_TIMEOUT=$(PARAHOST_TIMEOUT_DURABLE),host/tools/run-bochs.sh); \
	fi

# Debian's own Linux PV kernel (the Xen harness's dom0 kernel, unmodified)
# with a busybox initramfs on parahost/AMD-V: tests/linux/init.sh's checks,
# "[parahost-linux] linux: N passed, N failed". make run-linux: its shell.
LINUX_DIR := $(BUILD)/linux
PARAHOST_LINUX_ISO := $(BUILD)/parahost-linux.iso
PARAHOST_LINUX_SHELL_ISO := $(BUILD)/parahost-linux-shell.iso
PARAHOST_TIMEOUT_LINUX ?= 900
# QEMU's RAM: the guest's 768 MiB, parahost and its tables.
LINUX_QEMU_MEM := -m 1280

$(LINUX_DIR)/memtest: tests/linux/memtest.c
	@mkdir -p $(dir $@)
	@$(HOSTCC) -O2 -static -Wall -Wextra -Werror -o $@ $<

$(LINUX_DIR)/initrd.cpio: tests/linux/build_initramfs.py tests/linux/init.sh $(LINUX_DIR)/memtest \
		tests/xen/build_images.py
	@BUILD=$(BUILD) $(PYTHON) tests/linux/build_initramfs.py $(LINUX_DIR)/memtest $@ $(LINUX_DIR)/vmlinux.path

$(PARAHOST_LINUX_ISO): $(BUILD)/parahost $(LINUX_DIR)/initrd.cpio boot/grub-linux.cfg
	@rm -rf $(LINUX_DIR)/iso && mkdir -p $(LINUX_DIR)/iso/boot/grub
	cp $(BUILD)/parahost $(LINUX_DIR)/initrd.cpio $(LINUX_DIR)/iso/boot/
	cp "$$(cat $(LINUX_DIR)/vmlinux.path)" $(LINUX_DIR)/iso/boot/vmlinux
	cp boot/grub-linux.cfg $(LINUX_DIR)/iso/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(LINUX_DIR)/iso 2>$(BUILD)/iso.log || { cat $(BUILD)/iso.log; exit 1; }

# The ISO's variants share its staging tree: linux_iso_variant SED-ARGS
# writes $@ with grub.cfg edited by SED-ARGS, then puts the plain one back
# (also when grub-mkrescue fails). linux_args/host_args WORDS: the SED-ARGS
# that append WORDS to the kernel's or to parahost's command line.
linux_args = -e 's|^\(\s*module2 /boot/vmlinux.*\)$$|\1 $(1)|'
host_args = -e 's|^\(\s*multiboot2 /boot/parahost.*\)$$|\1 $(1)|'
linux_iso_variant = rc=; sed $(1) boot/grub-linux.cfg > $(LINUX_DIR)/iso/boot/grub/grub.cfg; \
	grub-mkrescue -o $@ $(LINUX_DIR)/iso 2>$(BUILD)/iso.log || rc=$$?; \
	cp boot/grub-linux.cfg $(LINUX_DIR)/iso/boot/grub/grub.cfg; \
	[ -z "$$rc" ] || { cat $(BUILD)/iso.log; exit 1; }

$(PARAHOST_LINUX_SHELL_ISO): $(PARAHOST_LINUX_ISO)
	@$(call linux_iso_variant,$(call linux_args,shell))

# A debugging ISO (never in make test): parahost's and the guest's extra
# options, e.g. make build/parahost-linux-debug.iso LINUX_DEBUG_HOST="stats=10"
# LINUX_DEBUG_GUEST="progress linuxtest=fork_exec_1000".
LINUX_DEBUG_HOST ?= stats=10
LINUX_DEBUG_GUEST ?= progress
.PHONY: $(BUILD)/parahost-linux-debug.iso
$(BUILD)/parahost-linux-debug.iso: $(PARAHOST_LINUX_ISO)
	@$(call linux_iso_variant,$(call host_args,$(LINUX_DEBUG_HOST)) $(call linux_args,$(LINUX_DEBUG_GUEST)))

# The disk: a 64 MiB image with Linux's ext4 root (xvda1) and raw scratch
# (xvda2), tests/linux/build_disk.py; each boot gets a fresh copy of it.
LINUX_DISK := $(LINUX_DIR)/disk.img
$(LINUX_DISK): tests/linux/build_disk.py tests/linux/init.sh $(LINUX_DIR)/memtest tests/xen/build_images.py
	@BUILD=$(BUILD) $(PYTHON) tests/linux/build_disk.py $(LINUX_DIR)/memtest tests/linux/init.sh $@

# The durability boot: "durable" on the kernel's line (tests/linux/init.sh).
PARAHOST_LINUX_DURABLE_ISO := $(BUILD)/parahost-linux-durable.iso
$(PARAHOST_LINUX_DURABLE_ISO): $(PARAHOST_LINUX_ISO)
	@$(call linux_iso_variant,$(call linux_args,durable))

# linux_runs NAME TIMEOUT RUNNER-ENV RUNNER: Linux's suite on a fresh copy of
# the disk, its ext4 root judged after the poweroff; then the durability
# boot, killed on its blk-durable line, judged raw (tests/durable.py) and on
# the root (tests/linux/root_check.py). The suite's status is the target's.
linux_runs = img=$(BUILD)/disk/$(1).img; mkdir -p $(BUILD)/disk; \
	$(PYTHON) tests/runvm.py --name $(1) --suite linux --timeout $(2) \
		--log $(BUILD)/logs/$(1).log --disk $$img --disk-template $(LINUX_DISK) -- \
		env $(3) PARAHOST_DISK=$$img $(4) $(PARAHOST_LINUX_ISO) $(LINUX_QEMU_MEM); rc=$$?; \
	$(PYTHON) tests/linux/root_check.py $(1) $$img $(BUILD)/results || rc=1; \
	$(PYTHON) tests/runvm.py --name $(1) --timeout $(2) \
		--log $(BUILD)/logs/$(1)-durable.log --disk $$img --disk-template $(LINUX_DISK) \
		--durable --durable-only --durable-kill -- \
		env $(3) PARAHOST_DISK=$$img $(4) $(PARAHOST_LINUX_DURABLE_ISO) $(LINUX_QEMU_MEM) || rc=1; \
	$(PYTHON) tests/linux/root_check.py $(1) $$img $(BUILD)/results --after-kill || rc=1; \
	exit $$rc

.PHONY: parahost-linux-test run-linux
parahost-linux-test: $(PARAHOST_LINUX_ISO) $(PARAHOST_LINUX_DURABLE_ISO) $(LINUX_DISK)
	@mkdir -p $(BUILD)/logs $(BUILD)/results
	@$(call linux_runs,parahost-linux,$(PARAHOST_TIMEOUT_LINUX),,host/tools/run-qemu.sh)

# The same ISO on parahost/VT-x in Bochs (docs/parahost.md: ~20 min for
# both boots). Bochs's RAM: the guest's 768 MiB and parahost's tables, as
# LINUX_QEMU_MEM.
PARAHOST_TIMEOUT_LINUX_VMX ?= 3000
.PHONY: parahost-linux-vmx-test
parahost-linux-vmx-test: $(PARAHOST_LINUX_ISO) $(PARAHOST_LINUX_DURABLE_ISO) $(LINUX_DISK)
	@mkdir -p $(BUILD)/logs $(BUILD)/results
	@if $(BOCHS_MISSING); then \
		$(call bochs_skip,parahost-linux-vmx); \
	else \
		$(call linux_runs,parahost-linux-vmx,$(PARAHOST_TIMEOUT_LINUX_VMX),PARAHOST_TIMEOUT=$$(( $(PARAHOST_TIMEOUT_LINUX_VMX) - 50 )) PARAHOST_BOCHS_MEGS=1536,host/tools/run-bochs.sh); \
	fi

# The reference: the same kernel and initramfs as a domU of real Xen (the
# xen-domu harness, QEMU TCG). Not in make test (see docs/parahost.md).
.PHONY: xen-linux-test
xen-linux-test: $(LINUX_DIR)/initrd.cpio $(LINUX_DISK)
	@$(XEN_PY) test domu --name xen-linux --suite linux --guest "$$(cat $(LINUX_DIR)/vmlinux.path)" \
		--ramdisk $(LINUX_DIR)/initrd.cpio --memory 768 --guest-args "console=hvc0" --timeout 1500 \
		--disk --disk-template $(LINUX_DISK); rc=$$?; \
	$(PYTHON) tests/linux/root_check.py xen-linux $(BUILD)/disk/xen-linux.img $(BUILD)/results || rc=1; \
	exit $$rc

# The same domU on Xen in Bochs: the oracle where QEMU's TCG makes Xen
# misbehave (docs/xen-harness.md): parahost-linux's oracle in make test
# (12-15 minutes of Bochs). The disk is the same fresh copy of the ext4 root disk.
XEN_LINUX_BOCHS_TIMEOUT ?= 3600
.PHONY: xen-linux-bochs-test
xen-linux-bochs-test: $(LINUX_DIR)/initrd.cpio $(LINUX_DISK)
	@$(XEN_PY) test bochs --name xen-linux-bochs --suite linux --guest "$$(cat $(LINUX_DIR)/vmlinux.path)" \
		--ramdisk $(LINUX_DIR)/initrd.cpio --memory 768 --guest-args "console=hvc0" \
		--disk --disk-template $(LINUX_DISK) --timeout $(XEN_LINUX_BOCHS_TIMEOUT); rc=$$?; \
	$(PYTHON) tests/linux/root_check.py xen-linux-bochs $(BUILD)/disk/xen-linux-bochs.img \
		$(BUILD)/results || rc=1; \
	exit $$rc

run-linux: $(PARAHOST_LINUX_SHELL_ISO) | $(USER_DISK)
	@PARAHOST_DISK=$(USER_DISK) host/tools/run-qemu.sh $(PARAHOST_LINUX_SHELL_ISO) $(LINUX_QEMU_MEM)

# Bad input (no module, not ELF, no Xen notes, 32-bit, too little RAM) and
# a crashing guest: one clear line and the right exit status each, in QEMU.
.PHONY: parahost-badinput-test
parahost-badinput-test: $(BUILD)/parahost $(BUILD)/paraos
	@host/tools/badinput-test.sh $(BUILD)

# make bench: the guest booted with "bench" on each backend (figures only).
parahost-svm-bench: $(PARAHOST_BENCH_ISO)
	@mkdir -p $(BUILD)/logs $(BUILD)/results
	@$(call fresh_disk,parahost-svm-bench)
	@$(PYTHON) tests/runvm.py --name parahost-svm-bench --timeout $(PARAHOST_TIMEOUT_SVM) \
		--log $(BUILD)/logs/parahost-svm-bench.log -- \
		env $(call disk_env,parahost-svm-bench) host/tools/run-qemu.sh $(PARAHOST_BENCH_ISO)

parahost-vmx-bench: $(PARAHOST_BENCH_ISO)
	@mkdir -p $(BUILD)/logs $(BUILD)/results
	@$(call fresh_disk,parahost-vmx-bench)
	@$(PYTHON) tests/runvm.py --name parahost-vmx-bench --timeout $(PARAHOST_TIMEOUT_VMX) \
		--log $(BUILD)/logs/parahost-vmx-bench.log -- \
		env PARAHOST_TIMEOUT=$(PARAHOST_TIMEOUT_VMX) $(call disk_env,parahost-vmx-bench) \
		host/tools/run-bochs.sh $(PARAHOST_BENCH_ISO)

# 1 GiB for the guest: the machine needs more than its usual 512/256 MiB.
parahost-svm-1g-bench: $(PARAHOST_BENCH_1G_ISO)
	@mkdir -p $(BUILD)/logs $(BUILD)/results
	@$(PYTHON) tests/runvm.py --name parahost-svm-1g-bench --timeout $(PARAHOST_TIMEOUT_SVM) \
		--log $(BUILD)/logs/parahost-svm-1g-bench.log -- host/tools/run-qemu.sh $(PARAHOST_BENCH_1G_ISO) -m 1536

parahost-vmx-1g-bench: $(PARAHOST_BENCH_1G_ISO)
	@mkdir -p $(BUILD)/logs $(BUILD)/results
	@$(PYTHON) tests/runvm.py --name parahost-vmx-1g-bench --timeout $(PARAHOST_TIMEOUT_VMX) \
		--log $(BUILD)/logs/parahost-vmx-1g-bench.log -- \
		env PARAHOST_TIMEOUT=$(PARAHOST_TIMEOUT_VMX) PARAHOST_BOCHS_MEGS=1536 \
		host/tools/run-bochs.sh $(PARAHOST_BENCH_1G_ISO)

# --- the hostile fuzzer (docs/fuzz.md) ------------------------------------------
# The guest makes N random hypercalls ("fuzz=N seed=S" on its command line)
# while parahost checks its page types and its own invariants before every
# VM entry ("audit"). A run passes when the guest reaches N and its own
# checks pass: no host panic (exit 18), no audit violation (exit 19), no
# guest crash. The counts fit the time: QEMU TCG about a minute for 10^5,
# Bochs 2 minutes or more for 10^4, 10^6 about 9 minutes (docs/fuzz.md).
FUZZ_SEED ?= 1
PARAHOST_FUZZ_SVM_CALLS ?= 100000
PARAHOST_FUZZ_VMX_CALLS ?= 10000
FUZZ_HOSTILE_CALLS ?= 1000000
FUZZ_HOST_OPTS ?= guest_mem=4M audit
PARAHOST_FUZZ_TIMEOUT_SVM ?= 900
PARAHOST_FUZZ_TIMEOUT_VMX ?= 900
FUZZ_HOSTILE_TIMEOUT ?= 7200
FUZZ_RUNVM_ARGS := --crash-pattern '\(parahost\) (AUDIT|PANIC)' \
	--crash-pattern '\(parahost\) d[0-9]+ crashed' --crash-pattern 'FATAL TRAP|PANIC:'

# build/fuzz-CALLS-SEED.iso: the fuzzer's command lines on both sides.
$(BUILD)/fuzz-%.iso: $(BUILD)/parahost $(BUILD)/paraos boot/grub.cfg
	@rm -rf $(BUILD)/iso-fuzz-$* && mkdir -p $(BUILD)/iso-fuzz-$*/boot/grub
	@cp $(BUILD)/parahost $(BUILD)/paraos $(BUILD)/iso-fuzz-$*/boot/
	@sed -e 's|^\(\s*multiboot2 /boot/parahost\).*$$|\1 $(FUZZ_HOST_OPTS)|' \
	     -e 's|^\(\s*module2 /boot/paraos\).*$$|\1 fuzz=$(word 1,$(subst -, ,$*)) seed=$(word 2,$(subst -, ,$*))|' \
		boot/grub.cfg > $(BUILD)/iso-fuzz-$*/boot/grub/grub.cfg
	@grub-mkrescue -o $@ $(BUILD)/iso-fuzz-$* 2>$(BUILD)/iso.log || { cat $(BUILD)/iso.log; exit 1; }

.PHONY: parahost-svm-fuzz-test parahost-vmx-fuzz-test fuzz-hostile

parahost-svm-fuzz-test: $(BUILD)/fuzz-$(PARAHOST_FUZZ_SVM_CALLS)-$(FUZZ_SEED).iso
	@mkdir -p $(BUILD)/logs $(BUILD)/results
	@if ! command -v qemu-system-x86_64 >/dev/null; then \
		echo "[parahost-svm-fuzz] SKIP: qemu-system-x86_64 (Debian package qemu-system-x86) is not installed"; \
		echo "parahost-svm-fuzz 0 0 0 skip qemu-system-x86_64 is not installed" > $(BUILD)/results/parahost-svm-fuzz.txt; \
	else \
		$(PYTHON) tests/runvm.py --name parahost-svm-fuzz --timeout $(PARAHOST_FUZZ_TIMEOUT_SVM) \
			--log $(BUILD)/logs/parahost-svm-fuzz.log $(FUZZ_RUNVM_ARGS) -- \
			host/tools/run-qemu.sh $<; \
	fi

parahost-vmx-fuzz-test: $(BUILD)/fuzz-$(PARAHOST_FUZZ_VMX_CALLS)-$(FUZZ_SEED).iso
	@mkdir -p $(BUILD)/logs $(BUILD)/results
	@if $(BOCHS_MISSING); then \
		$(call bochs_skip,parahost-vmx-fuzz); \
	else \
		$(PYTHON) tests/runvm.py --name parahost-vmx-fuzz --timeout $(PARAHOST_FUZZ_TIMEOUT_VMX) \
			--log $(BUILD)/logs/parahost-vmx-fuzz.log $(FUZZ_RUNVM_ARGS) -- \
			env PARAHOST_TIMEOUT=$(PARAHOST_FUZZ_TIMEOUT_VMX) host/tools/run-bochs.sh $<; \
	fi

# Not in make test: 10^6 calls on parahost/AMD-V in QEMU (FUZZ_SEED=S for another run).
fuzz-hostile: $(BUILD)/fuzz-$(FUZZ_HOSTILE_CALLS)-$(FUZZ_SEED).iso
	@mkdir -p $(BUILD)/logs $(BUILD)/results
	@$(PYTHON) tests/runvm.py --name fuzz-hostile --timeout $(FUZZ_HOSTILE_TIMEOUT) \
		--log $(BUILD)/logs/fuzz-hostile.log $(FUZZ_RUNVM_ARGS) -- \
		host/tools/run-qemu.sh $<
