#!/bin/sh
# PID 1 of the test dom0 (busybox sh).  Brings up the Xen toolstack, runs the
# guest from /guest/paraos.cfg as a domU, streams its console (xenconsoled's
# log) to our console (hvc0 -> Xen -> QEMU serial), reports how the domain
# ended and powers off.  Kernel command line knobs (read from /proc/cmdline):
#   xenharness.timeout=SECONDS  how long the domU may run (default 240)
#   xenharness.mode=shell       start a shell on the console instead
#   xenharness.disk=/dev/vda    dom0's disk that the guest's config serves as
#                               its xvda (blkback): wait for it, show the
#                               backend's nodes once, and destroy the guest
#                               as soon as it prints its "blk-durable:" line
# Every line of ours starts with "xen-harness:"; guest lines with "[domu] ".

export PATH=/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/xen-4.17/bin
export HOME=/root
umask 022

say() { echo "xen-harness: $*"; }

finish() {
    say "done"
    sync
    # QEMU's isa-debug-exit device (if present) ends QEMU at once; otherwise
    # dom0 powers off and Xen halts the machine ("Hardware Dom0 shutdown").
    printf '\000' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
    poweroff -f
    sleep 5
    exit 0
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /run/lock /run/xen /run/xenstored \
    /var/log/xen/console /var/lib/xen/dump
mount -t devpts devpts /dev/pts
# Hotplug scripts use /dev/fd/N for their lock; without these links their
# locking loops forever.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
hostname dom0

CMDLINE=$(cat /proc/cmdline)
TIMEOUT=240
MODE=domu
for w in $CMDLINE; do
    case "$w" in
        xenharness.timeout=*) TIMEOUT=${w#*=} ;;
        xenharness.mode=*) MODE=${w#*=} ;;
        xenharness.disk=*) DISK=${w#*=} ;;
    esac
done

T0=$(cut -d' ' -f1 /proc/uptime)
say "dom0 up (uptime ${T0}s)"

for m in $(cat /lib/modules/order); do
    insmod /lib/modules/$m.ko || say "insmod $m failed"
done
mount -t xenfs xenfs /proc/xen || { say "cannot mount xenfs"; finish; }

xenstored --pid-file /run/xenstored.pid || { say "xenstored failed"; finish; }
i=0
until xenstore-read -s / >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -gt 100 ] && { say "xenstored does not answer"; finish; }
    sleep 0.1
done
xen-init-dom0 >/tmp/init-dom0.out 2>&1 || { cat /tmp/init-dom0.out; say "xen-init-dom0 failed"; finish; }
xenconsoled --log=guest --log-dir=/var/log/xen/console --timestamp=none \
    || { say "xenconsoled failed"; finish; }
say "toolstack up (uptime $(cut -d' ' -f1 /proc/uptime)s)"

# The disk's driver (virtio-blk, ata_piix + sd_mod) probes asynchronously:
# the block device may appear a little after insmod returned.
if [ -n "$DISK" ]; then
    i=0
    until [ -b "$DISK" ]; do
        i=$((i + 1))
        [ $i -gt 100 ] && break
        sleep 0.1
    done
    if [ -b "$DISK" ]; then
        say "disk $DISK: $(cat /sys/class/block/${DISK#/dev/}/size) sectors"
    else
        say "disk $DISK does not exist (no disk driver bound?)"
    fi
fi

if [ "$MODE" = shell ]; then
    say "shell (xl create -p /guest/paraos.cfg; exit to power off)"
    setsid cttyhack sh
    finish
fi

# Each guest in turn: /guest/paraos.cfg, then those /guest/then names, on the
# same disk, blkback and image: ParaOS's durability boot (`durable`), or
# Linux with fio for make bench.  One deadline for them all: the runner's
# own is a little later.
DEADLINE=$(( $(cut -d. -f1 /proc/uptime) + TIMEOUT ))

run_guest() {   # run_guest CFG PREFIX
    CFG=$1
    PREFIX=$2
    NAME=$(sed -n 's/^[[:space:]]*name[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' $CFG | head -n 1)
    NAME=${NAME:-paraos}
    LOG=/var/log/xen/console/guest-$NAME.log

    if ! xl create -p "$CFG" >/tmp/xl-create.out 2>&1; then
        sed 's/^/xen-harness: xl: /' /tmp/xl-create.out
        say "xl create failed"
        return
    fi
    DOMID=$(xl domid "$NAME" 2>/dev/null)
    say "domain $NAME created as domid $DOMID (uptime $(cut -d' ' -f1 /proc/uptime)s)"

    # blkback's nodes for the guest's xvda (51712), once the hotplug script
    # has handed it the device and it waits for a frontend (InitWait, 2):
    # what a blkfront negotiates with.  Shown once, for whoever reads the log.
    VBD=/local/domain/0/backend/vbd/$DOMID/51712
    if [ -n "$DISK" ]; then
        i=0
        until [ "$(vbd_state)" = 2 ]; do
            i=$((i + 1))
            [ $i -gt 100 ] && break
            sleep 0.1
        done
        say "vbd backend state $(vbd_state) before the guest runs (2: InitWait)"
        xenstore-ls "$VBD" 2>&1 | sed 's/^/xen-harness: vbd: /'
    fi

    # Stream the guest console (complete lines only) while polling the domain.
    : >>"$LOG"
    shown=0
    DURABLE=
    xl unpause "$NAME"
    END="exited"
    stuck=0
    gone=0
    while :; do
        show_new
        [ -n "$DURABLE" ] && { END="destroyed after blk-durable"; break; }
        state=$(xl list "$NAME" 2>/dev/null | awk 'NR==2 {print $5}')
        # Gone only if xl says so three times running: under TCG a dom0
        # program now and then segfaults (seen: sed, and here xl list in
        # make bench), which must not end a guest's run early.
        if [ -z "$state" ]; then
            gone=$((gone + 1))
            [ $gone -ge 3 ] && break
            sleep 0.2
            continue
        fi
        gone=0
        case "$state" in
            *s*|*c*)
                # shut down or crashed, but xl's monitor did not destroy it
                stuck=$((stuck + 1))
                if [ $stuck -ge 15 ]; then
                    case "$state" in *c*) END="crash" ;; *) END="shutdown" ;; esac
                    xl destroy "$NAME"
                    break
                fi ;;
        esac
        if [ "$(cut -d. -f1 /proc/uptime)" -ge "$DEADLINE" ]; then
            END="timeout"
            say "domain $NAME still running after ${TIMEOUT}s: destroying it"
            xl destroy "$NAME"
            break
        fi
        sleep 0.2
    done
    sleep 0.3
    show_new
    # a last line without its newline
    sed -n "$((shown + 1)),\$s/^/$PREFIX /p" "$LOG"

    # How did it end?  xl's monitor logs "Domain N has shut down, reason code R".
    XLLOG=/var/log/xen/xl-$NAME.log
    if [ -f "$XLLOG" ]; then
        sed 's/^/xen-harness: xl: /' "$XLLOG"
        code=$(sed -n 's/.*has shut down, reason code \([0-9]*\).*/\1/p' "$XLLOG" | tail -n 1)
        case "$code" in
            0) END="poweroff" ;; 1) END="reboot" ;; 2) END="suspend" ;;
            3) END="crash" ;; 4) END="watchdog" ;; 5) END="soft_reset" ;;
        esac
    fi
    say "domain $NAME ended: $END (uptime $(cut -d' ' -f1 /proc/uptime)s)"
}

vbd_state() { xenstore-read "$VBD/state" 2>/dev/null; }
# The guest's console test asks for a line: type it, as a person at
# `xl console` would, into the pty xenconsoled holds for the domain.
type_line() {
    tty=$(xenstore-read "/local/domain/$DOMID/console/tty" 2>/dev/null)
    if [ -n "$tty" ] && printf '%s\r' "$1" >"$tty"; then
        say "typed \"$1\" on $tty"
    else
        say "cannot type \"$1\": no console tty"
    fi
}
# One sed, and the count moves on only if it worked: a sed that died (seen
# once: a segfault under TCG) must not silently drop the lines it skipped.
show_new() {
    total=$(wc -l <"$LOG") || return
    if [ "$total" -gt "$shown" ] && \
        sed -n "$((shown + 1)),${total}p" "$LOG" >/tmp/new-lines; then
        sed "s/^/$PREFIX /" /tmp/new-lines
        # The guest flushed its pattern and said so: kill it at once, as a
        # power cut would; the build machine then reads the image.
        if [ -n "$DISK" ] && [ -z "$DURABLE" ] && grep -q 'blk-durable:' /tmp/new-lines; then
            DURABLE="vbd state $(vbd_state), frontend $(xenstore-read \
                "/local/domain/$DOMID/device/vbd/51712/state" 2>/dev/null)"
            xl destroy "$NAME"
            say "domain $NAME destroyed on its blk-durable line ($DURABLE)"
        fi
        sed -n 's/.*console: please type "\([^"]*\)" and Enter.*/\1/p' /tmp/new-lines |
            while read -r text; do type_line "$text"; done
        shown=$total
    fi
}

if [ ! -f /guest/paraos.cfg ]; then
    say "no guest config /guest/paraos.cfg in the initramfs"
    finish
fi
run_guest /guest/paraos.cfg "[domu]"
for g in $(cat /guest/then 2>/dev/null); do
    run_guest "/guest/$g.cfg" "[$g]"
done
finish
