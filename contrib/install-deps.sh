#!/bin/sh
# install-deps.sh: install (Debian/Ubuntu, as root) everything needed to build and test ocirt.
# Idempotent: when every package is already installed it does nothing, not even `apt-get update`.
# Waits for a dpkg lock held by another apt-get instead of failing.
set -eu

prog=install-deps.sh
PACKAGES="
  build-essential autoconf automake libtool pkg-config
  libyajl-dev libseccomp-dev libcap-dev libdevmapper-dev
  busybox-static bats jq iproute2 procps util-linux
  bsdutils python3 runc crun
  clang libclang-rt-14-dev valgrind
"
# clang and libclang-rt-14-dev: the libFuzzer targets (fuzz/); valgrind: tests/valgrind.bats.
# runc and crun: the tests only call their `spec` subcommand (bundle compatibility); bsdutils'
# `script` and python3's pty module give the terminal tests a pty of their own.
# The VM test harness (tests/vm/): qemu under software emulation booting Debian's kernel (fetched by
# tests/vm/prepare.sh with apt-get download, not installed), qboot.rom (qemu-system-data), and what
# builds and fills its initramfs: cpio, kmod (depmod, modprobe), xz (the kernel's payload), and the
# programs the guest gets (dmsetup, e2fsprogs, diffutils, tar, mount).
PACKAGES="$PACKAGES
  qemu-system-x86 qemu-system-data cpio kmod xz-utils dmsetup e2fsprogs diffutils tar mount
"
# The engine suites (tests/engines/): podman with conmon, containerd with ctr and its runc shim, and
# docker.io (dockerd 20.10 and its client, /usr/bin/docker), each pointed at ocirt; man-db and
# groff-base render the man pages (tests/man.bats).  docker.io is installed with no service started
# (see policy-rc.d below): the suite runs a private dockerd of its own.
PACKAGES="$PACKAGES
  podman conmon containerd docker.io man-db groff-base
"

command -v apt-get >/dev/null 2>&1 || {
  echo "$prog: apt-get not found: this script is for Debian and its derivatives" >&2
  exit 1
}

if [ "$(id -u)" -eq 0 ]; then
  as_root=
elif command -v sudo >/dev/null 2>&1; then
  as_root=sudo
else
  echo "$prog: must run as root (or with sudo installed)" >&2
  exit 1
fi

missing=
for p in $PACKAGES; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "$prog: all build and test dependencies are installed"
  exit 0
fi

echo "$prog: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# No service may start: without systemd, docker.io's maintainer scripts run `invoke-rc.d docker
# start`, which would start a machine-wide dockerd (a docker0 bridge, iptables NAT rules).  A
# policy-rc.d that answers 101 (action forbidden) stops that; ours is put only where there is none,
# and removed however apt-get ends.
policy=/usr/sbin/policy-rc.d
made_policy=
remove_policy() {
  if [ -n "$made_policy" ]; then
    $as_root rm -f "$policy"
    made_policy=
  fi
}
trap remove_policy EXIT
trap 'remove_policy; exit 1' HUP INT TERM
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# made by ocirt contrib/install-deps.sh while it installs: start no service\nexit 101\n' |
    $as_root tee "$policy" >/dev/null
  $as_root chmod 755 "$policy"
  made_policy=1
fi
# -qq keeps the log short; errors still go to stderr.  No stdin: never ask anything.
$as_root apt-get -qq -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=600 update </dev/null
# shellcheck disable=SC2086 # word splitting of the package list is meant
$as_root apt-get -qq -y -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  install --no-install-recommends $missing </dev/null >/dev/null
echo "$prog: done"
