#!/usr/bin/env bash
# Installs the Debian packages the build and the test platforms need, if any
# are missing. As root it installs them (one progress line, details in
# build/logs/apt.log); otherwise it prints the exact command and fails.
#
#   tools/deps.sh         what make, make run, make test and make bench need
#   tools/deps.sh fuzz    plus clang's libFuzzer, for make fuzz
#   tools/deps.sh bench   plus fio, for make bench's Linux domU (tests/xen/linux_guest.py)
set -euo pipefail

PACKAGES=(
	gcc make binutils python3 libxen-dev libcunit1-dev	# build, unit tests
	qemu-system-x86 cpio					# Xen runs, parahost/AMD-V
	e2fsprogs						# Linux's ext4 root disk (tests/linux/)
	grub-pc-bin grub-common xorriso mtools			# parahost ISO
	bochs bochsbios vgabios bochs-term			# parahost/VT-x
)
case "${1:-}" in
	"") ;;
	fuzz) PACKAGES+=(clang libclang-rt-14-dev) ;;
	bench) PACKAGES+=(fio) ;;
	*) echo "usage: tools/deps.sh [fuzz|bench]"; exit 2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "[deps] missing Debian packages; run:"
	echo "  sudo apt-get install -y ${missing[*]}"
	exit 1
fi

mkdir -p build/logs
echo "[deps] installing ${missing[*]} (log: build/logs/apt.log)"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; } \
	> build/logs/apt.log 2>&1; then
	echo "[deps] apt-get failed; last lines of build/logs/apt.log:"
	tail -n 15 build/logs/apt.log
	exit 1
fi
