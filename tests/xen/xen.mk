# Real Xen 4.17 (Debian packages, unpacked under build/xen/) in QEMU, and in
# Bochs (the oracle where QEMU's TCG misleads Xen). See docs/xen-harness.md.  Included by the top-level Makefile, which defines
# BUILD, PYTHON and the $(BUILD)/paraos target.
#
#   make xen-images      fetch the .debs, build xen.elf, vmlinux, dom0.cpio
#   make xen-domu-test   the guest as a domU under a Linux dom0 (xl create)
#   make xen-dom0-test   the guest booted by Xen as dom0 itself
#   make xen-bochs-test  the xen-domu run, booted by GRUB in Bochs (VT-x CPU)
#   make run-xen         the guest as a domU, whole serial output here
#   make run-xen-dom0    the guest as dom0, whole serial output here
#   make run-xen-bochs   the Bochs run, whole serial output here
#   make xen-shell       dom0 with a shell on this terminal (Ctrl-a x quits);
#                        xl create -c /guest/paraos.cfg runs the guest
#
# The test targets leave build/results/xen-domu.txt (xen-dom0, xen-bochs) and
# the full serial log in build/logs/, after removing the previous ones.  XEN_ACCEL=tcg|kvm|auto picks QEMU's
# accelerator (auto: KVM only where a cached probe shows Xen boots under it).

XEN_PY := BUILD=$(BUILD) $(PYTHON) tests/xen/xen.py
XEN_DOMU_TIMEOUT ?= 300
XEN_DOM0_TIMEOUT ?= 120
XEN_BOCHS_TIMEOUT ?= 900

.PHONY: xen-images xen-domu-test xen-domu-2l-test xen-dom0-test xen-bochs-test run-xen run-xen-dom0
.PHONY: run-xen-bochs xen-shell

xen-images:
	@$(XEN_PY) images

# The domU platforms have a disk, build/disk/NAME.img, and are judged on it
# (--durable: docs/xen-harness.md, "The domU's disk").
xen-domu-test: $(BUILD)/paraos
	@$(XEN_PY) test domu --guest $(BUILD)/paraos --timeout $(XEN_DOMU_TIMEOUT) --durable

# The whole suite again with the 2-level event ABI (the guest would pick FIFO).
xen-domu-2l-test: $(BUILD)/paraos
	@$(XEN_PY) test domu --guest $(BUILD)/paraos --timeout $(XEN_DOMU_TIMEOUT) \
		--guest-args evtchn=2l --name xen-domu-2l --durable

# The harness's own check of its disk: Debian's Linux with its xen-blkfront
# writes the durability pattern through the same blkback (tests/xen/linux_guest.py),
# so the check is shown to pass on a frontend that is not ours.
LINUX_GUEST := $(BUILD)/xen/linux-guest.cpio.gz
LINUX_BENCH_GUEST := $(BUILD)/xen/linux-guest-fio.cpio.gz
$(LINUX_GUEST): tests/xen/linux_guest.py tests/xen/linux-guest.sh tests/xen/build_images.py
	@BUILD=$(BUILD) $(PYTHON) tests/xen/linux_guest.py $@ >/dev/null
# make bench only: fio is a Debian package installed on this machine (make
# test does not need it).
$(LINUX_BENCH_GUEST): tests/xen/linux_guest.py tests/xen/linux-guest.sh tests/xen/build_images.py
	@tools/deps.sh bench
	@BUILD=$(BUILD) $(PYTHON) tests/xen/linux_guest.py $@ --fio >/dev/null
.PHONY: xen-linux-disk-test
xen-linux-disk-test: $(LINUX_GUEST)
	@$(XEN_PY) test domu --name xen-linux-disk --suite linux --guest $(BUILD)/xen/kernel/vmlinux \
		--ramdisk $(LINUX_GUEST) --memory 256 --guest-args console=hvc0 --durable \
		--timeout $(XEN_DOMU_TIMEOUT)

xen-dom0-test: $(BUILD)/paraos
	@$(XEN_PY) test dom0 --guest $(BUILD)/paraos --timeout $(XEN_DOM0_TIMEOUT)

xen-bochs-test: $(BUILD)/paraos
	@$(XEN_PY) test bochs --guest $(BUILD)/paraos --timeout $(XEN_BOCHS_TIMEOUT) --durable

run-xen: $(BUILD)/paraos
	@$(XEN_PY) run domu --guest $(BUILD)/paraos --disk

run-xen-dom0: $(BUILD)/paraos
	@$(XEN_PY) run dom0 --guest $(BUILD)/paraos

run-xen-bochs: $(BUILD)/paraos
	@$(XEN_PY) run bochs --guest $(BUILD)/paraos --timeout $(XEN_BOCHS_TIMEOUT) --disk

xen-shell: $(BUILD)/paraos
	@$(XEN_PY) shell --guest $(BUILD)/paraos

# make bench: the guest booted with "bench" (figures only, no suite) at
# 32 MiB, and again at 1 GiB for the boot figure alone.
.PHONY: xen-domu-bench xen-dom0-bench xen-domu-1g-bench xen-dom0-1g-bench
# Then Debian's Linux, fio on the same blkback and image in the same run:
# tests/bench.py sets its blk.* figures beside ParaOS's.
xen-domu-bench: $(BUILD)/paraos $(LINUX_BENCH_GUEST)
	@$(XEN_PY) test domu --guest $(BUILD)/paraos --timeout $(XEN_DOMU_TIMEOUT) \
		--memory 32 --guest-args "bench ktest=-" --name xen-domu-bench \
		--then-linux $(LINUX_BENCH_GUEST)

xen-domu-1g-bench: $(BUILD)/paraos
	@$(XEN_PY) test domu --guest $(BUILD)/paraos --timeout $(XEN_DOMU_TIMEOUT) \
		--memory 1024 --guest-args "bench=boot ktest=-" --name xen-domu-1g-bench

xen-dom0-bench: $(BUILD)/paraos
	@$(XEN_PY) test dom0 --guest $(BUILD)/paraos --timeout $(XEN_DOM0_TIMEOUT) \
		--memory 32 --guest-args "bench ktest=-" --name xen-dom0-bench

xen-dom0-1g-bench: $(BUILD)/paraos
	@$(XEN_PY) test dom0 --guest $(BUILD)/paraos --timeout $(XEN_DOM0_TIMEOUT) \
		--memory 1024 --guest-args "bench=boot ktest=-" --name xen-dom0-1g-bench

# The oracle of cpuid/leaves_match_xen and msr/values_match_xen: boot the
# guest with "cpuid-dump" on xen-domu and xen-bochs and write what real Xen
# showed into kernel/tests/cpuid_xen_table.h (checked in; docs/cpuid.md).
.PHONY: cpuid-table
cpuid-table: $(BUILD)/paraos
	@$(PYTHON) tools/gen-cpuid-table.py --run
