#!/bin/sh
# Boot a parahost ISO in Bochs with VT-x (cpu model corei7_skylake_x: VMX
# with EPT), serial on stdout. Debian's Bochs has its debugger built in
# (we answer its prompt with "c") and no headless display, so it runs
# under script(1) with the term display, its screen thrown away; the
# serial port is a pseudo-terminal that serial-bridge.py holds: it copies
# it to our stdout and our stdin to it (console input). Bounded by
# PARAHOST_TIMEOUT.
# PARAHOST_DISK=IMG: a raw image as ata0-slave (the boot CD is ata0-master).
# With the debugger built in, the term display does not draw on script's
# terminal but on a second pseudo-terminal it opens itself, for a user to
# attach to ("Bochs connected to screen "/dev/pts/N"", said on the first).
# Nobody reads it, so after about 20 KB of screen updates (the blinking
# cursor's alone, ~50 s into a run of Bochs's time) Bochs blocks writing
# there, for good:
# the guest freezes mid-run. We drain it, as tests/xen/bochs.py does.
# Exit status: 0 if parahost reported a guest poweroff, 1 otherwise.
iso=${1:?usage: run-bochs.sh ISO}
timeout_s=${PARAHOST_TIMEOUT:-1200}
dir=$(mktemp -d "${TMPDIR:-/tmp}/parahost-bochs.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
iso=$(readlink -f "$iso")
bios=/usr/share/bochs/BIOS-bochs-latest
vgabios=/usr/share/vgabios/vgabios.bin
[ -f "$vgabios" ] || vgabios=/usr/share/bochs/VGABIOS-lgpl-latest

# The bridge's terminal first: Bochs opens it as it starts.
: > "$dir/serial.out"
# An asynchronous command's stdin is /dev/null before its own redirections
# apply, so ours goes to it through another descriptor.
exec 3<&0
python3 "$(dirname "$0")/serial-bridge.py" "$dir/tty" "$dir/serial.out" <&3 &
exec 3<&-
bridgepid=$!
for i in $(seq 100); do [ -s "$dir/tty" ] && break; sleep 0.05; done
serial_tty=$(cat "$dir/tty" 2>/dev/null)
[ -n "$serial_tty" ] || { echo "run-bochs: the serial bridge did not start" >&2; exit 1; }

disk=
if [ -n "$PARAHOST_DISK" ]; then
	img=$(readlink -f "$PARAHOST_DISK")
	[ -f "$img" ] || { echo "run-bochs: no disk image $PARAHOST_DISK" >&2; exit 1; }
	# No geometry: Bochs 2.7 derives one and reports the image's whole size
	# as the LBA capacity (a geometry given must fit inside the image, and
	# 64 MiB is no whole number of 16 x 63 cylinders).
	disk="ata0-slave: type=disk, mode=flat, path=$img"
fi
cat > "$dir/bochsrc" <<EOF2
megs: ${PARAHOST_BOCHS_MEGS:-256}
cpu: model=corei7_skylake_x, count=1, ips=200000000, reset_on_triple_fault=0
romimage: file=$bios
vgaromimage: file=$vgabios
ata0-master: type=cdrom, path=$iso, status=inserted
$disk
boot: cdrom
com1: enabled=1, mode=term, dev=$serial_tty
display_library: term
clock: sync=none, time0=utc
log: $dir/bochs.log
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
EOF2
echo c > "$dir/dbg.rc"

# The screen terminal, once Bochs names it (on script's terminal, copied to
# screen.out): raw, so no line fills up and nothing echoes back to Bochs as
# keystrokes; read until Bochs closes it.
: > "$dir/screen.out"
(
	for i in $(seq 600); do
		pts=$(sed -n 's|.*Bochs connected to screen "\(/dev/[^"]*\)".*|\1|p' "$dir/screen.out" | head -n 1)
		[ -n "$pts" ] && break
		sleep 0.1
	done
	[ -n "$pts" ] || exit 0
	stty -F "$pts" raw -echo 2>/dev/null
	exec cat "$pts" >/dev/null 2>&1
) &
drainpid=$!

TERM=xterm timeout -k 5 "$timeout_s" script -qfec "bochs -q -f $dir/bochsrc -rc $dir/dbg.rc" /dev/null >"$dir/screen.out" 2>&1 </dev/null
rc=$?
# Bochs is gone: give the bridge a moment for the last bytes, then end it.
sleep 0.5
kill $bridgepid $drainpid 2>/dev/null
wait $bridgepid $drainpid 2>/dev/null
if [ $rc -eq 124 ]; then
	echo "run-bochs: timed out after ${timeout_s}s" >&2
	grep -iE "panic|error" "$dir/bochs.log" | tail -5 >&2
fi
grep -q "exit 0 (poweroff)" "$dir/serial.out" && exit 0
[ -n "$PARAHOST_BOCHS_LOG" ] && cp "$dir/bochs.log" "$PARAHOST_BOCHS_LOG"
exit 1
