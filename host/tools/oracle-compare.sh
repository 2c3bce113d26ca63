#!/bin/sh
# Real Xen is the oracle: build the guest with extra probe tests (by default
# host/tools/oracle/zz_oracle*.c, which print "oracle...: " observation
# lines), run it as a Xen domU (tests/xen, QEMU TCG) and on parahost
# (QEMU AMD-V, and Bochs VT-x with --vmx), and diff what each observed.
# Lines that hold scratch register contents (frame[0], frame[1]) are left
# out. Run from the repository root; needs the Xen images (make xen-images).
#   host/tools/oracle-compare.sh [--vmx] [probe.c ...]
set -u
vmx=0
[ "${1:-}" = "--vmx" ] && { vmx=1; shift; }
probes=${*:-host/tools/oracle/zz_oracle.c host/tools/oracle/zz_oracle2.c host/tools/oracle/zz_oracle3.c host/tools/oracle/zz_oracle4.c}
root=$(pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/oracle.XXXXXX")
trap 'git -C "$root" worktree remove --force "$work/tree" >/dev/null 2>&1; rm -rf "$work"' EXIT INT TERM

git worktree add --detach "$work/tree" HEAD >/dev/null 2>&1 || { echo "oracle: cannot make a worktree"; exit 1; }
cp $probes host/tools/oracle/oracle.h "$work/tree/kernel/tests/"
make -C "$work/tree" build/paraos build/parahost >"$work/build.log" 2>&1 || { tail -20 "$work/build.log"; exit 1; }
mkdir -p "$work/iso/boot/grub"
cp "$work/tree/build/parahost" "$work/tree/build/paraos" "$work/iso/boot/"
cp boot/grub.cfg "$work/iso/boot/grub/"
grub-mkrescue -o "$work/oracle.iso" "$work/iso" >/dev/null 2>&1

extract() { grep -a '^\(\[domu\] \)\{0,1\}oracle' "$1" | sed 's/^\[domu\] //' | tr -d '\r' | grep -v 'frame\[[01]\]'; }

BUILD=build "${PYTHON:-/usr/bin/python3}" tests/xen/xen.py test domu --guest "$work/tree/build/paraos" \
	--timeout 300 --name oracle-xen >/dev/null 2>&1
extract build/logs/oracle-xen.log > "$work/xen.txt"
PARAHOST_NO_KVM=1 timeout 120 host/tools/run-qemu.sh "$work/oracle.iso" > "$work/svm.log" 2>&1
extract "$work/svm.log" > "$work/svm.txt"
echo "== Xen (<) vs parahost AMD-V (>): $(wc -l < "$work/xen.txt") vs $(wc -l < "$work/svm.txt") observations"
diff "$work/xen.txt" "$work/svm.txt"
rc=$?
if [ $vmx = 1 ]; then
	PARAHOST_TIMEOUT=600 host/tools/run-bochs.sh "$work/oracle.iso" > "$work/vmx.log" 2>&1
	extract "$work/vmx.log" > "$work/vmx.txt"
	echo "== parahost AMD-V (<) vs parahost VT-x (>)"
	diff "$work/svm.txt" "$work/vmx.txt" || rc=1
fi
exit $rc
