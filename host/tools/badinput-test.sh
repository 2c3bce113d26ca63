#!/bin/sh
# parahost's bad-input cases, each a GRUB ISO booted in QEMU (AMD-V, TCG):
# parahost must print one "parahost: ..." line saying what is wrong and
# exit with status 16 (bad input), never hang. And a guest that crashes
# must get Xen's "Unhandled" line, a register dump and status 3; a CPU
# without VT-x or AMD-V one line and status 17.
#   usage: badinput-test.sh BUILD_DIR   (needs BUILD_DIR/parahost and paraos)
set -u
build=${1:-build}
dir=$(mktemp -d "${TMPDIR:-/tmp}/parahost-bad.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
here=$(dirname "$0")
fail=0
passed=0
failed=0

# A 32-bit image: the guest's own ELF, rewritten as ELF32 (notes and all).
objcopy -I elf64-x86-64 -O elf32-i386 "$build/paraos" "$dir/paraos32" 2>/dev/null
printf 'this is not an ELF file\n' > "$dir/notelf"

# A guest that crashes at once: its ENTRY note rewritten to point at its
# hypercall page, whose first stub returns to address 0 on the boot stack.
"${PYTHON:-/usr/bin/python3}" - "$build/paraos" "$dir/crasher" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
def notes():
    i = 0
    while True:
        i = data.find(b"Xen\0", i)
        if i < 0:
            return
        namesz, descsz, typ = struct.unpack_from("<III", data, i - 12)
        if namesz == 4 and descsz in (4, 8):
            yield typ, i + 4, descsz
        i += 4
vals = {t: (off, n) for t, off, n in notes()}
entry, hcall = vals[1], vals[2]       # XEN_ELFNOTE_ENTRY, _HYPERCALL_PAGE
data[entry[0]:entry[0] + 8] = data[hcall[0]:hcall[0] + 8]
open(sys.argv[2], "wb").write(data)
PY

# case NAME HOST_OPTIONS MODULE EXPECTED_TEXT [EXPECTED_STATUS [QEMU_ARGS]]
run_case() {
	name=$1 opts=$2 module=$3 expect=$4 want=${5:-16} qargs=${6:-}
	iso="$dir/$name.iso"
	rm -rf "$dir/iso" && mkdir -p "$dir/iso/boot/grub"
	cp "$build/parahost" "$dir/iso/boot/parahost"
	{
		echo "set timeout=0"
		echo "menuentry x {"
		echo "  multiboot2 /boot/parahost $opts"
		if [ -n "$module" ]; then
			cp "$module" "$dir/iso/boot/module"
			echo "  module2 /boot/module"
		fi
		echo "  boot"
		echo "}"
	} > "$dir/iso/boot/grub/grub.cfg"
	grub-mkrescue -o "$iso" "$dir/iso" >/dev/null 2>&1 || { echo "[badinput] FAIL $name: cannot make the ISO"; fail=1; failed=$((failed + 1)); return; }
	out=$(PARAHOST_NO_KVM=1 timeout 60 "$here/run-qemu.sh" "$iso" $qargs 2>&1)
	rc=$?
	line=$(printf '%s\n' "$out" | tr -d '\r' | grep -E '^parahost: |Unhandled|host exception' | head -1)
	if [ $rc -eq "$want" ] && printf '%s' "$line" | grep -q "$expect"; then
		echo "[badinput] ok   $name: $line"
		passed=$((passed + 1))
	else
		echo "[badinput] FAIL $name: status $rc (want $want), line '$line' (want '$expect')"
		printf '%s\n' "$out" | tail -5
		fail=1
		failed=$((failed + 1))
	fi
}

run_case no-module   ""               ""                  "no guest image"
run_case not-elf     ""               "$dir/notelf"       "guest image rejected"
run_case no-notes    ""               "$build/parahost"   "guest image rejected"
run_case elf32       ""               "$dir/paraos32"     "guest image rejected"
run_case little-ram  "guest_mem=2G"   "$build/paraos"     "too little RAM"
run_case tiny-guest  "guest_mem=1M"   "$build/paraos"     "too small"
run_case crash       ""               "$dir/crasher"      "Unhandled" 3
run_case no-virt     ""               "$build/paraos"     "no usable hardware virtualization" 17 "-cpu qemu64"
# parahost's protection of itself: each self-test does the forbidden thing
# and must die of its own #PF (page 0 unmapped, text read-only, data NX).
run_case page0       "selftest=page0" "$build/paraos"     "host exception 14, error code 0, at rip 0x[0-9a-f]*, cr2 0$" 18
run_case text        "selftest=text"  "$build/paraos"     "host exception 14, error code 0x3," 18
run_case data        "selftest=data"  "$build/paraos"     "host exception 14, error code 0x11," 18

# An NMI while the guest runs (QEMU's monitor injects it): counted, never fatal.
run_nmi() {
	iso="$dir/nmi.iso"
	rm -rf "$dir/iso" && mkdir -p "$dir/iso/boot/grub"
	cp "$build/parahost" "$build/paraos" "$dir/iso/boot/"
	# Only the time tests: a few seconds, long enough for the NMI to land, and
	# no console test, which would wait for a line nobody types here.
	printf 'set timeout=0\nmenuentry x {\n  multiboot2 /boot/parahost\n  module2 /boot/paraos ktest=time/\n  boot\n}\n' \
		> "$dir/iso/boot/grub/grub.cfg"
	grub-mkrescue -o "$iso" "$dir/iso" >/dev/null 2>&1 || { echo "[badinput] FAIL nmi: cannot make the ISO"; fail=1; failed=$((failed + 1)); return; }
	PARAHOST_NO_KVM=1 timeout 120 "$here/run-qemu.sh" "$iso" \
		-monitor "unix:$dir/mon,server,nowait" > "$dir/nmi.out" 2>&1 &
	qpid=$!
	# Only once the guest runs: an NMI in the firmware or GRUB is theirs.
	"${PYTHON:-/usr/bin/python3}" - "$dir/mon" "$dir/nmi.out" <<'PY'
import socket, sys, time
for _ in range(600):
    if b"ParaOS booting" in open(sys.argv[2], "rb").read():
        break
    time.sleep(0.05)
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"nmi\n")
time.sleep(0.5)
PY
	wait $qpid
	rc=$?
	# The guest ran to its own end (its verdict is the suite's business), the NMI was counted.
	line=$(grep -a 'shutdown:' "$dir/nmi.out" | head -1)
	if ! grep -aq PANIC "$dir/nmi.out" && [ -n "$line" ] &&
	   printf '%s' "$line" | grep -qE ' [1-9][0-9]* host NMIs'; then
		echo "[badinput] ok   nmi: $line"
		passed=$((passed + 1))
	else
		echo "[badinput] FAIL nmi: status $rc, line '$line'"
		grep -a "PANIC" "$dir/nmi.out" | head -3
		tail -5 "$dir/nmi.out"
		fail=1
		failed=$((failed + 1))
	fi
}
run_nmi
# One line for make test (tests/test-all.py): NAME PASSED FAILED SKIPPED STATUS.
mkdir -p "$build/results"
status=ok
[ $fail -eq 0 ] || status=fail
echo "parahost-badinput $passed $failed 0 $status" > "$build/results/parahost-badinput.txt"
echo "[parahost-badinput] $passed passed, $failed failed"
exit $fail
