#!/bin/sh
# Boot a parahost ISO in QEMU, serial on stdout. AMD-V under TCG (QEMU
# emulates SVM with NPT for -cpu max); KVM only when this machine's CPU
# exposes VT-x or AMD-V itself (nested virtualization), else TCG.
# The exit status is parahost's: 0 for a guest poweroff (isa-debug-exit
# value 0, which QEMU reports as 1), else the value parahost wrote.
# PARAHOST_DISK=IMG: a raw image as the primary IDE master (the boot CD is
# the secondary master), the disk parahost's blkback serves.
iso=${1:?usage: run-qemu.sh ISO [extra qemu args]}
shift
disk=
if [ -n "$PARAHOST_DISK" ]; then
	[ -f "$PARAHOST_DISK" ] || { echo "run-qemu: no disk image $PARAHOST_DISK" >&2; exit 1; }
	disk="-drive file=$PARAHOST_DISK,if=ide,index=0,format=raw"
fi
accel="-accel tcg -cpu max"
if [ -z "$PARAHOST_NO_KVM" ] && [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
	accel="-accel kvm -cpu host,-arch-capabilities"
fi
# -boot order=d: the CD, always. The disk is the guest's; one with a
# partition table ends in the boot signature, and SeaBIOS would run its
# empty boot code instead of GRUB (Linux's root disk, a user's disk).
qemu-system-x86_64 $accel -m 512 -smp 1 -boot order=d -cdrom "$iso" $disk \
	-device isa-debug-exit,iobase=0xf4,iosize=4 \
	-serial stdio -display none -monitor none -nic none -no-reboot "$@"
rc=$?
# QEMU: status = value * 2 + 1 for isa-debug-exit; plain 0 means QEMU itself stopped.
if [ $rc -eq 1 ]; then exit 0; fi
if [ $rc -eq 0 ]; then exit 125; fi
exit $(( (rc - 1) / 2 ))
