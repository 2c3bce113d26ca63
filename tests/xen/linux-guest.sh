#!/bin/busybox sh
# PID 1 of the Linux domU that shares ParaOS's disk (tests/xen/linux_guest.py):
# Debian's kernel with its xen-blkfront, against dom0's blkback, on the same
# image.  Kernel command line words:
#   durable  write /pattern at sector $(cat /pattern.sector), flush it, print
#            the blk-durable line (tests/durable.py) and wait to be killed:
#            the harness's durability check, judged on a frontend that is
#            not ours (how the check itself was tested)
#   bench    fio, O_DIRECT, on /dev/xvda: "bench blk.NAME linux=VALUE" lines
#            for tests/bench.py to set beside ParaOS's figures
# It prints one check line per step and "linux: N passed, N failed"; with
# bench, the run is ParaOS's (its summary, its test lines), so the checks
# are "linux-bench: ok|FAILED ..." lines instead, and there is no summary.
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin

pass=0
fail=0
n=0
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
CMDLINE=$(cat /proc/cmdline)
BENCH=
echo " $CMDLINE " | grep -q ' bench ' && BENCH=1
ok() {
    n=$((n + 1)); pass=$((pass + 1))
    if [ -n "$BENCH" ]; then echo "linux-bench: ok $1"; else echo "ok $n linux/$1"; fi
}
notok() {
    n=$((n + 1)); fail=$((fail + 1))
    if [ -n "$BENCH" ]; then echo "linux-bench: FAILED $1 - $2"; else echo "not ok $n linux/$1 - $2"; fi
}
summary() { [ -n "$BENCH" ] || echo "linux: $pass passed, $fail failed"; }

insmod /lib/modules/xen-blkfront.ko
# blkfront connects asynchronously (xenbus states): wait for the disk.
i=0
until [ -b /dev/xvda ] || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
if [ -b /dev/xvda ]; then
    ok "xvda_present # $(cat /sys/class/block/xvda/size) sectors"
else
    notok xvda_present "no /dev/xvda after 10 s"
fi

if [ -b /dev/xvda ] && echo " $CMDLINE " | grep -q ' durable '; then
    sector=$(cat /pattern.sector)
    count=$(( $(wc -c </pattern) / 512 ))
    # O_DIRECT writes, then fsync: blkfront sends the cache flush.
    if dd if=/pattern of=/dev/xvda bs=512 seek="$sector" oflag=direct conv=notrunc,fsync \
        2>/tmp/dd.err; then
        ok durable_write
        summary
        echo "blk-durable: sector=$sector count=$count crc32=$(cat /pattern.crc)"
        while :; do sleep 60; done
    fi
    notok durable_write "$(tail -n 1 /tmp/dd.err)"
fi

# fio FIELD ARGS...: one terse (v3) figure of one job on the whole disk.
# Fields: 7 read KiB/s, 8 read IOPS, 40 read latency mean (us), 48 write KiB/s.
fio_field() {
    field=$1
    shift
    fio --name=blk --filename=/dev/xvda --direct=1 --ioengine=libaio \
        --output-format=terse --terse-version=3 "$@" 2>/tmp/fio.err |
        awk -F';' -v f="$field" 'NF > 48 { print $f }'
}
bench_line() {  # bench_line NAME VALUE: MB/s from KiB/s where NAME says MBps
    case "$2" in
        '') notok "bench_$1" "fio: $(tail -n 1 /tmp/fio.err)"; return ;;
    esac
    case "$1" in
        *_MBps) v=$(awk -v k="$2" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }') ;;
        *) v=$(awk -v x="$2" 'BEGIN { printf "%.1f", x }') ;;
    esac
    echo "bench blk.$1 linux=$v"
    ok "bench_$1"
}
if [ -b /dev/xvda ] && [ -n "$BENCH" ]; then
    # As ParaOS's bench (kernel/bench_blk.c): 16 MiB in 1 MiB requests one
    # at a time, 4 KiB random reads 32 deep and one at a time, anywhere on
    # the disk.
    bench_line seq_write_MBps "$(fio_field 48 --rw=write --bs=1M --iodepth=1 --size=16M)"
    bench_line seq_read_MBps "$(fio_field 7 --rw=read --bs=1M --iodepth=1 --size=16M)"
    bench_line rand4k_read_iops "$(fio_field 8 --rw=randread --bs=4k --iodepth=32 \
        --size=64M --runtime=10 --time_based)"
    bench_line read4k_qd1_us "$(fio_field 40 --rw=randread --bs=4k --iodepth=1 \
        --size=64M --runtime=5 --time_based)"
fi
summary
poweroff -f
