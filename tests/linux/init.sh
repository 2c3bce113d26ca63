#!/bin/busybox sh
# PID 1 of the Linux guest test (make parahost-linux-test): Debian's own
# kernel, unmodified, on parahost (or as a real Xen domU). One TAP line per
# check, then "linux: N passed, N failed", then power off. With "shell" on
# the kernel command line (make run-linux) it mounts and gives a shell instead.
# Debugging knobs on the kernel command line (never in make test):
# linuxtest=NAME runs only that check after the mounts (the rest are
# skipped, loudly), and "progress" has the long checks print to the console
# as they go, so a stalled run shows where.
/bin/busybox --install -s /bin
export PATH=/bin

pass=0
fail=0
n=0
uptime_s() { cut -d. -f1 /proc/uptime; }
only=		# linuxtest= and progress: read once /proc is mounted
show_progress=false
progress() { ! $show_progress || echo "# $* at $(cut -d' ' -f1 /proc/uptime) s" > /dev/console; }
check() {	# check NAME COMMAND...: one line, ok or not ok (and its seconds)
	name=$1
	shift
	n=$((n + 1))
	if [ -n "$only" ] && [ "$name" != mounts ] && [ "$name" != "$only" ]; then
		echo "ok $n linux/$name # SKIP not selected (linuxtest=$only)"
		return
	fi
	t0=$(uptime_s 2>/dev/null || echo 0)
	if out=$("$@" 2>&1); then
		echo "ok $n linux/$name # $(( $(uptime_s) - t0 )) s"
		pass=$((pass + 1))
	else
		echo "not ok $n linux/$name - $(echo "$out" | tail -n 1)"
		fail=$((fail + 1))
	fi
}

mounts() {
	mount -t proc proc /proc && mount -t sysfs sysfs /sys &&
		mount -t devtmpfs devtmpfs /dev || return 1
	[ -e /proc/self/stat ] && [ -d /sys/kernel ] && [ -c /dev/null ] ||
		{ echo "a mount is empty"; return 1; }
}

uname_is_linux() {
	[ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ] &&
		case "$(uname -r)" in 6.1.*) true ;; *) false ;; esac ||
		{ echo "uname: $(uname -a)"; return 1; }
}

cpuinfo() {
	grep -q '^processor' /proc/cpuinfo && grep '^flags' /proc/cpuinfo | grep -qw hypervisor ||
		{ echo "no processor, or no hypervisor flag"; return 1; }
}

fork_exec() {	# 1,000 fork+exec of a separate program
	i=0
	while [ $i -lt 1000 ]; do
		/bin/true || { echo "exec $i failed"; return 1; }
		i=$((i + 1))
		[ $((i % 50)) -ne 0 ] || progress "fork_exec $i"
	done
}

memfree_kb() { awk '/^MemFree:/ { print $2 }' /proc/meminfo; }

tmpfs_256m() {	# 256 MiB of page cache: allocated, touched, freed
	mount -t tmpfs -o size=300m tmpfs /mnt || return 1
	before=$(memfree_kb)
	dd if=/dev/zero of=/mnt/big bs=1M count=256 2>/dev/null || { echo "dd failed"; return 1; }
	during=$(memfree_kb)
	[ "$(wc -c < /mnt/big)" -eq 268435456 ] || { echo "short file"; return 1; }
	rm /mnt/big && umount /mnt
	after=$(memfree_kb)
	[ $((before - during)) -ge 250000 ] && [ $((after - during)) -ge 250000 ] ||
		{ echo "MemFree kB: $before, $during, $after"; return 1; }
}

pipeline() {
	# 271 of 1..1000 have a 7; the largest is 997.
	lines=$(seq 1 1000 | grep 7 | wc -l)
	top=$(seq 1 1000 | grep 7 | sort -rn | head -n 1 | tr 7 x)
	[ "$lines" -eq 271 ] 2>/dev/null && [ "$top" = 99x ] ||
		{ echo "pipeline gave '$lines' lines with a 7 (271), the largest '$top' (99x)"; return 1; }
}

# The disk (vbd 51712, the harness's fresh 64 MiB image): Linux's own
# xen-blkfront against the backend (parahost's blkback, or Linux's on Xen).
DISK_SECTORS=131072
xvda() {
	insmod /lib/modules/xen-blkfront.ko || return 1
	i=0
	while [ ! -b /dev/xvda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -b /dev/xvda ] || { echo "no /dev/xvda after 10 s"; return 1; }
	[ "$(cat /sys/block/xvda/size)" -eq $DISK_SECTORS ] ||
		{ echo "xvda has $(cat /sys/block/xvda/size) sectors, not $DISK_SECTORS"; return 1; }
}

# Busybox's dd prints no rate: the time from /proc/uptime, in centiseconds.
now_cs() { awk '{ split($1, a, "."); print a[1] * 100 + a[2] }' /proc/uptime; }
rate() { awk -v cs=$(( $2 - $1 )) 'BEGIN { printf "%.2f s, %.2f MB/s", cs / 100, cs ? 838.8608 / cs : 0 }'; }

disk_pattern() {	# 8 MiB of random data at 1 MiB, O_DIRECT out and back, flushed
	dd if=/dev/urandom of=/pat bs=1M count=8 2>/dev/null || return 1
	t0=$(now_cs)
	w=$(dd if=/pat of=/dev/xvda bs=1M seek=1 oflag=direct conv=fsync 2>&1) ||
		{ echo "write: $w"; return 1; }
	t1=$(now_cs)
	sync
	t2=$(now_cs)
	r=$(dd if=/dev/xvda of=/back bs=1M skip=1 count=8 iflag=direct 2>&1) ||
		{ echo "read: $r"; return 1; }
	t3=$(now_cs)
	cmp /pat /back || { echo "read back differs"; return 1; }
	echo "linux: xvda 8 MiB O_DIRECT in 1 MiB blocks: write $(rate $t0 $t1), read $(rate $t2 $t3)" > /dev/console
	# The first and the last sector, and reads again after a flush (stable).
	dd if=/pat of=/dev/xvda bs=512 count=1 oflag=direct 2>/dev/null &&
		dd if=/pat of=/dev/xvda bs=512 count=1 seek=$((DISK_SECTORS - 1)) oflag=direct conv=fsync 2>/dev/null ||
		{ echo "edge writes failed"; return 1; }
	sync
	for s in 0 $((DISK_SECTORS - 1)); do
		dd if=/dev/xvda of=/one bs=512 count=1 skip=$s iflag=direct 2>/dev/null &&
			dd if=/pat of=/ref bs=512 count=1 2>/dev/null && cmp /one /ref ||
			{ echo "sector $s reads back wrong"; return 1; }
	done
	dd if=/dev/xvda of=/back2 bs=1M skip=1 count=8 iflag=direct 2>/dev/null && cmp /pat /back2 ||
		{ echo "the pattern changed after a flush"; return 1; }
	rm -f /pat /back /back2 /one /ref
}

check mounts mounts
only=$(sed -n 's/.*linuxtest=\([a-z0-9_]*\).*/\1/p' /proc/cmdline)
! grep -qw progress /proc/cmdline || show_progress=true
if grep -qw shell /proc/cmdline; then
	insmod /lib/modules/xen-blkfront.ko 2>/dev/null	# /dev/xvda, make run-linux's build/disk.img
	echo "linux: a busybox shell on Debian's kernel, on parahost (exit powers off)"
	setsid cttyhack sh
	poweroff -f
fi
check uname uname_is_linux
check cpuinfo cpuinfo
check fork_exec_1000 fork_exec
check mmap_256m_munmap /bin/memtest mmap 256
check tmpfs_256m tmpfs_256m
check pipe_64m /bin/memtest pipe 64
check shell_pipeline pipeline
check xvda_64m xvda
check xvda_pattern_direct_flush disk_pattern

echo "linux: $pass passed, $fail failed"
poweroff -f
