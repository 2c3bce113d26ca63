#!/bin/busybox sh
# PID 1 of the Linux guest test (make parahost-linux-test): Debian's own
# kernel, unmodified, on parahost (or as a real Xen domU). One TAP line per
# check; the initramfs's checks, then it mounts the disk's ext4 root and
# switches to it, where this same script (the disk's /init, "stage2") does
# the root's checks; then "linux: N passed, N failed", then power off. With
# "shell" on the kernel command line (make run-linux) it gives a shell
# instead; with "durable" it is the durability boot (durable_boot).
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

# The kernel's own audit of its page tables at boot (CONFIG_DEBUG_WX):
# nothing both writable and executable. The start-of-day mappings the
# hypervisor built are what it would find (Linux removes the region past
# its page tables, so the p2m list must be where the kernel asked).
no_wx_mappings() {
	w=$(dmesg | grep 'Checked W+X mappings') ||
		{ echo "no W+X audit line in the kernel log"; return 1; }
	case "$w" in *"passed, no W+X pages found"*) ;; *) echo "${w#*] }"; return 1 ;; esac
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

# The disk (vbd 51712, a fresh copy of tests/linux/build_disk.py's 64 MiB
# image): Linux's own xen-blkfront against the backend (parahost's blkback,
# or Linux's on Xen). xvda1 is the ext4 root, xvda2 raw scratch.
DISK_SECTORS=131072
ROOT_SECTORS=81920
load_modules() {	# xen-blkfront, then ext4 and what it needs
	for m in $(cat /lib/modules/order); do
		insmod /lib/modules/$m.ko || return 1
	done
}
xvda() {
	load_modules || { echo "insmod failed"; return 1; }
	i=0
	while [ ! -b /dev/xvda2 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -b /dev/xvda ] || { echo "no /dev/xvda after 10 s"; return 1; }
	[ "$(cat /sys/block/xvda/size)" -eq $DISK_SECTORS ] ||
		{ echo "xvda has $(cat /sys/block/xvda/size) sectors, not $DISK_SECTORS"; return 1; }
	[ -b /dev/xvda2 ] && [ "$(cat /sys/block/xvda/xvda1/size)" -eq $ROOT_SECTORS ] ||
		{ echo "the partitions are not the image's (xvda1 $ROOT_SECTORS sectors, xvda2)"; return 1; }
}
raw_start() { cat /sys/block/xvda/xvda2/start; }
raw_sectors() { cat /sys/block/xvda/xvda2/size; }

# Busybox's dd prints no rate: the time from /proc/uptime, in centiseconds.
now_cs() { awk '{ split($1, a, "."); print a[1] * 100 + a[2] }' /proc/uptime; }
rate() { awk -v cs=$(( $2 - $1 )) 'BEGIN { printf "%.2f s, %.2f MB/s", cs / 100, cs ? 838.8608 / cs : 0 }'; }

disk_pattern() {	# 8 MiB of random data 1 MiB into xvda2, O_DIRECT out and back, flushed
	dd if=/dev/urandom of=/pat bs=1M count=8 2>/dev/null || return 1
	t0=$(now_cs)
	w=$(dd if=/pat of=/dev/xvda2 bs=1M seek=1 oflag=direct conv=fsync 2>&1) ||
		{ echo "write: $w"; return 1; }
	t1=$(now_cs)
	sync
	t2=$(now_cs)
	r=$(dd if=/dev/xvda2 of=/back bs=1M skip=1 count=8 iflag=direct 2>&1) ||
		{ echo "read: $r"; return 1; }
	t3=$(now_cs)
	cmp /pat /back || { echo "read back differs"; return 1; }
	echo "linux: xvda 8 MiB O_DIRECT in 1 MiB blocks: write $(rate $t0 $t1), read $(rate $t2 $t3)" > /dev/console
	# xvda2's first sector and the disk's last, and reads again after a flush.
	last=$(( $(raw_sectors) - 1 ))
	dd if=/pat of=/dev/xvda2 bs=512 count=1 oflag=direct 2>/dev/null &&
		dd if=/pat of=/dev/xvda2 bs=512 count=1 seek=$last oflag=direct conv=fsync 2>/dev/null ||
		{ echo "edge writes failed"; return 1; }
	sync
	for s in 0 $last; do
		dd if=/dev/xvda2 of=/one bs=512 count=1 skip=$s iflag=direct 2>/dev/null &&
			dd if=/pat of=/ref bs=512 count=1 2>/dev/null && cmp /one /ref ||
			{ echo "sector $s of xvda2 reads back wrong"; return 1; }
	done
	[ $(( $(raw_start) + last + 1 )) -eq $DISK_SECTORS ] || { echo "xvda2 does not end the disk"; return 1; }
	dd if=/dev/xvda2 of=/back2 bs=1M skip=1 count=8 iflag=direct 2>/dev/null && cmp /pat /back2 ||
		{ echo "the pattern changed after a flush"; return 1; }
	rm -f /pat /back /back2 /one /ref
}

# Stage 2 runs on the ext4 root (switch_root to xvda1). /data/written is
# the pattern 16 times over (4 MiB), which root_check.py reads back from the
# image after poweroff; /data/durable (4 times) is the durability boot's.
# /pattern is on both roots (build_initramfs.py, build_disk.py).
pattern_times() { i=0; while [ $i -lt $1 ]; do cat /pattern || return 1; i=$((i + 1)); done; }
root_is_xvda1() {
	set -- $(awk '$2 == "/" { print $1, $3, substr($4, 1, 2) }' /proc/mounts | tail -n 1)
	[ "$1 $2 $3" = "/dev/xvda1 ext4 rw" ] && [ "$(cat /sys/block/xvda/xvda1/size)" -eq $ROOT_SECTORS ] ||
		{ echo "/ is '$*', not /dev/xvda1 ext4 rw"; return 1; }
}
exec_from_root() {	# programs read from the disk again: caches dropped first
	sync && echo 3 > /proc/sys/vm/drop_caches || return 1
	i=0
	while [ $i -lt 100 ]; do
		/bin/memtest mmap 1 || { echo "exec $i of memtest from the root failed"; return 1; }
		i=$((i + 1))
	done
}
ext4_files() {	# files made, synced, read back from the disk, some removed
	mkdir -p /data/tree || return 1
	d=0
	while [ $d -lt 20 ]; do
		mkdir /data/tree/$d && f=0 || return 1
		while [ $f -lt 25 ]; do echo "file $d/$f" > /data/tree/$d/$f || return 1; f=$((f + 1)); done
		d=$((d + 1))
	done
	dd if=/dev/urandom of=/data/rand bs=1M count=16 2>/dev/null || { echo "dd to the root failed"; return 1; }
	pattern_times 16 > /data/written && [ "$(wc -c < /data/written)" -eq 4194304 ] ||
		{ echo "writing /data/written failed"; return 1; }
	want=$(md5sum < /data/rand)
	sync && echo 3 > /proc/sys/vm/drop_caches || return 1
	[ "$(md5sum < /data/rand)" = "$want" ] || { echo "/data/rand reads back differently"; return 1; }
	pattern_times 16 | cmp - /data/written || { echo "/data/written reads back differently"; return 1; }
	[ "$(cat /data/tree/19/24)" = "file 19/24" ] && [ "$(find /data/tree -type f | wc -l)" -eq 500 ] ||
		{ echo "the tree of 500 files is not all there"; return 1; }
	rm -r /data/tree/1? && rm /data/rand && sync || { echo "removing failed"; return 1; }
}
remount_ro() {
	mount -o remount,ro / && awk '$2 == "/" { print $4 }' /proc/mounts | tail -n 1 | grep -q '^ro' ||
		{ echo "/ is still rw"; return 1; }
}

# The durability boot ("durable"): a file on the ext4 root and a pattern on
# xvda2, both synced, then the blk-durable line (tests/durable.py) and a wait
# for the kill; root_check.py --after-kill judges the file.
durable_boot() {
	xvda && mount -t ext4 /dev/xvda1 /root && pattern_times 4 > /root/data/durable && sync ||
		{ echo "linux-durable: the root write failed"; return 1; }
	sector=$(( $(raw_start) + 32768 ))	# 16 MiB into xvda2
	dd if=/pattern of=/dev/xvda bs=512 seek=$sector oflag=direct conv=notrunc,fsync 2>/dev/null ||
		{ echo "linux-durable: the raw write failed"; return 1; }
	echo "blk-durable: sector=$sector count=$(( $(wc -c < /pattern) / 512 )) crc32=$(cat /pattern.crc)"
	while :; do sleep 60; done
}

if [ "$1" = stage2 ]; then	# on the ext4 root, from the initramfs below
	n=$2 pass=$3 fail=$4
	only=$(sed -n 's/.*linuxtest=\([a-z0-9_]*\).*/\1/p' /proc/cmdline)
	check root_ext4_xvda1 root_is_xvda1
	check exec_from_root_100 exec_from_root
	check ext4_files_sync_drop_caches ext4_files
	check root_remount_ro remount_ro
	echo "linux: $pass passed, $fail failed"
	poweroff -f
fi

check mounts mounts
only=$(sed -n 's/.*linuxtest=\([a-z0-9_]*\).*/\1/p' /proc/cmdline)
! grep -qw progress /proc/cmdline || show_progress=true
if grep -qw durable /proc/cmdline; then
	durable_boot
	poweroff -f
fi
if grep -qw shell /proc/cmdline; then
	load_modules 2>/dev/null	# /dev/xvda, make run-linux's build/disk.img
	echo "linux: a busybox shell on Debian's kernel, on parahost (exit powers off)"
	setsid cttyhack sh
	poweroff -f
fi
check uname uname_is_linux
check cpuinfo cpuinfo
check no_wx_mappings no_wx_mappings
check fork_exec_1000 fork_exec
check mmap_256m_munmap /bin/memtest mmap 256
check tmpfs_256m tmpfs_256m
check pipe_64m /bin/memtest pipe 64
check shell_pipeline pipeline
check xvda_64m_two_partitions xvda
check xvda2_pattern_direct_flush disk_pattern
check mount_ext4_xvda1 mount -t ext4 /dev/xvda1 /root
if [ -x /root/init ]; then
	# As an initramfs hands over to the real root: the mounts move along.
	mount --move /proc /root/proc && mount --move /sys /root/sys && mount --move /dev /root/dev &&
		exec switch_root /root /init stage2 $n $pass $fail
	echo "not ok $((n + 1)) linux/switch_root - could not move the mounts or switch"
	fail=$((fail + 1))
fi
echo "linux: $pass passed, $fail failed"
poweroff -f
