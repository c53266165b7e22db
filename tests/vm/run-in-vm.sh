#!/bin/bash
# run-in-vm.sh [OPTIONS] -- COMMAND [ARG...]
#
# Run COMMAND as root in a throwaway qemu VM that boots Debian's kernel (software emulation, no KVM
# needed) with the initramfs prepare.sh builds, and pass back its output (stdout and stderr merged,
# on stdout) and its exit status.  The source tree (and the folder of $OCIRT, when elsewhere) is
# shared with the guest over virtio-9p at the same path; COMMAND runs in the current folder when it
# is inside a share, else in the source tree.  For what needs a kernel this machine lacks:
# device-mapper, cgroup v2.  `tests/vm/run-in-vm.sh -- bats tests/dm.bats` runs a whole bats file in
# one VM.
#
# Options:
#   --cgroup2         boot with cgroup_no_v1=all and cgroup2 mounted at /sys/fs/cgroup, every
#                     controller enabled in its cgroup.subtree_control.  Without it the guest mounts
#                     cgroups like this host: v1 hierarchies and cgroup2 at /sys/fs/cgroup/unified.
#   --apparmor        boot with AppArmor on (apparmor=1; it is in Debian's default LSM list), no
#                     policy loaded: the guest has apparmor_parser and securityfs at
#                     /sys/kernel/security.  Without it AppArmor is off, as on this host.
#   --disk SIZE       attach a new sparse disk of SIZE (truncate(1) syntax: 2G) as /dev/vda
#                     ($OCIRT_VM_DISK in the guest)
#   --share DIR       share DIR too (repeatable)
#   --env NAME[=VAL]  set NAME in the guest (its host value when no =VAL); repeatable.  OCIRT,
#                     OCIRT_SRCDIR, OCIRT_TEST_TIMEOUT, OCIRT_BATS_FILTER, BATS_TEST_TIMEOUT and CI
#                     pass through when set.  The guest also has OCIRT_VM=1.
#   --timeout SECS    kill the VM when COMMAND has run SECS seconds (default $OCIRT_VM_TIMEOUT or 900)
#   --boot-timeout S  kill the VM when it has not started COMMAND after S seconds (default 180)
#   -v                report the boot and run times on stderr
#
# Exit status: COMMAND's; 124 when it was killed by --timeout (its output so far is on stdout);
# 125 when the harness failed (no qemu, no kernel, the VM did not boot or gave no result): never
# a silent skip.  Environment: OCIRT_VM_QEMU (qemu-system-x86_64), OCIRT_VM_BIOS (qboot.rom),
# OCIRT_VM_CACHE, OCIRT_VM_KVER (see prepare.sh).
set -uo pipefail

prog=run-in-vm.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$(cd "$here/../.." && pwd)

fail() {
  echo "$prog: $*" >&2
  exit 125
}
usage() {
  echo "usage: $prog [--cgroup2] [--apparmor] [--disk SIZE] [--share DIR] [--env NAME[=VALUE]] [--timeout SECS] [-v] -- COMMAND [ARG...]" >&2
  exit 125
}

cgroup=1 disk= verbose=0 apparmor=0
timeout=${OCIRT_VM_TIMEOUT:-900} boot_timeout=180
shares=("$srcdir")
envs=()
for name in OCIRT OCIRT_SRCDIR OCIRT_TEST_TIMEOUT OCIRT_BATS_FILTER BATS_TEST_TIMEOUT CI; do
  [ -n "${!name+set}" ] && envs+=("$name=${!name}")
done
while [ $# -gt 0 ]; do
  case $1 in
    --cgroup2) cgroup=2 ;;
    --apparmor) apparmor=1 ;;
    --disk) [ $# -ge 2 ] || usage; disk=$2; shift ;;
    --share) [ $# -ge 2 ] || usage; [ -d "$2" ] || fail "--share $2: not a folder"; shares+=("$(cd "$2" && pwd)"); shift ;;
    --env)
      [ $# -ge 2 ] || usage
      case $2 in
        *=*) envs+=("$2") ;;
        *) [ -n "${!2+set}" ] || fail "--env $2: not set on the host"; envs+=("$2=${!2}") ;;
      esac
      shift
      ;;
    --timeout) [ $# -ge 2 ] || usage; timeout=$2; shift ;;
    --boot-timeout) [ $# -ge 2 ] || usage; boot_timeout=$2; shift ;;
    -v) verbose=1 ;;
    --) shift; break ;;
    *) usage ;;
  esac
  shift
done
[ $# -gt 0 ] || usage
[[ $timeout =~ ^[0-9]+$ ]] && [ "$timeout" -gt 0 ] || fail "--timeout $timeout: expected a number of seconds"
[[ $boot_timeout =~ ^[0-9]+$ ]] && [ "$boot_timeout" -gt 0 ] || fail "--boot-timeout $boot_timeout: expected a number of seconds"
for e in "${envs[@]}"; do
  [[ ${e%%=*} =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || fail "--env $e: bad variable name"
done

# --- what it takes: loud failures, never a skip --------------------------------------------------
qemu=${OCIRT_VM_QEMU:-qemu-system-x86_64}
command -v "$qemu" >/dev/null 2>&1 || fail "$qemu not found: install qemu-system-x86 (contrib/install-deps.sh)"
bios=${OCIRT_VM_BIOS:-/usr/share/qemu/qboot.rom}
[ -f "$bios" ] || fail "$bios not found: install qemu-system-data (contrib/install-deps.sh)"
[ "$(id -u)" -eq 0 ] || fail "must run as root (the 9p shares are served with the files' real owners)"
vmdir=$("$here/prepare.sh") || fail "tests/vm/prepare.sh failed: no kernel or initramfs to boot"
[ -f "$vmdir/vmlinux" ] && [ -f "$vmdir/initramfs.cpio" ] || fail "$vmdir lacks vmlinux or initramfs.cpio"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ocirt-vm.XXXXXX") || fail "mktemp failed"
qpid=
cleanup() {
  if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
    kill -KILL "$qpid" 2>/dev/null
    wait "$qpid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 125' INT TERM HUP

# --- this run's part of the initramfs: /.ocirt-vm and the libraries of $OCIRT ------------------------
ocirt=${OCIRT:-$srcdir/ocirt}
in_shares() {
  local s
  for s in "${shares[@]}"; do
    [[ $1 == "$s" || $1 == "$s"/* ]] && return 0
  done
  return 1
}
if [ -e "$ocirt" ]; then
  ocirt=$(cd "$(dirname "$ocirt")" && pwd)/$(basename "$ocirt")
  in_shares "$ocirt" || shares+=("$(dirname "$ocirt")")
fi

x=$tmp/extra
mkdir -p "$x/.ocirt-vm"
install -m 0755 "$here/init.sh" "$x/init" || fail "cannot copy init.sh"
nonce=$(od -A n -t x1 -N 16 /dev/urandom | tr -d ' \n')
[ ${#nonce} -eq 32 ] || fail "could not read a nonce from /dev/urandom"
echo "$nonce" >"$x/.ocirt-vm/nonce"
echo "$cgroup" >"$x/.ocirt-vm/cgroup"
: >"$x/.ocirt-vm/shares"
for i in "${!shares[@]}"; do
  echo "share$i ${shares[$i]}" >>"$x/.ocirt-vm/shares"
done
cwd=$PWD
in_shares "$cwd" || cwd=$srcdir
{
  echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 OCIRT_VM=1"
  [ -z "$disk" ] || echo "export OCIRT_VM_DISK=/dev/vda"
  for e in "${envs[@]}"; do printf 'export %s=%q\n' "${e%%=*}" "${e#*=}"; done
  printf 'cd %q || exit 125\n' "$cwd"
  printf 'exec'
  printf ' %q' "$@"
  printf '\n'
} >"$x/.ocirt-vm/run.sh"
[ -z "$disk" ] || : >"$x/.ocirt-vm/disk"
[ -z "${OCIRT_VM_TRACE:-}" ] || : >"$x/.ocirt-vm/trace"

# ocirt is built on the host: its libraries, where the base initramfs lacks them (merged /usr there)
if [ -f "$ocirt" ] && ldd "$ocirt" >"$tmp/ldd" 2>/dev/null; then
  while read -r lib; do
    case $lib in /usr/*) dest=$lib ;; *) dest=/usr$lib ;; esac
    grep -qxF ".$dest" "$vmdir/initramfs.list" && continue
    mkdir -p "$x$(dirname "$dest")"
    cp -L "$lib" "$x$dest" || fail "cannot copy $lib"
  done < <(awk '/=> \// { print $3 } /^[[:space:]]*\/[^ ]+ \(0x/ { print $1 }' "$tmp/ldd")
fi
(cd "$x" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$tmp/extra.cpio" ||
  fail "cpio of the run's files failed"
# Linux unpacks concatenated cpio archives in order, the later one adding to the earlier.
cat "$vmdir/initramfs.cpio" "$tmp/extra.cpio" >"$tmp/initrd" || fail "cannot write $tmp/initrd"

# --- boot ----------------------------------------------------------------------------------------
args=(-bios "$bios" -accel tcg,thread=multi -cpu "${OCIRT_VM_CPU:-max}" -smp 2 -m 768M
  -nodefaults -nographic -serial stdio -no-reboot -nic none
  -kernel "$vmdir/vmlinux" -initrd "$tmp/initrd")
# quiet: only errors on the console.  The rest trims a boot under software emulation (3-8 s): no
# crypto self-tests (the KDF one runs even so: 1.5 s), no LSM (none on the host either) unless
# --apparmor, no speculation mitigations (page table switches cost much under TCG).
append="console=ttyS0 quiet loglevel=3 panic=-1 no_timer_check cryptomgr.notests initcall_blacklist=crypto_kdf108_init"
append="$append apparmor=$apparmor selinux=0 mitigations=off"
[ "$cgroup" = 1 ] || append="$append cgroup_no_v1=all"
# more kernel arguments, to debug a boot: OCIRT_VM_APPEND="loglevel=7 printk.time=1" (after quiet)
[ -z "${OCIRT_VM_APPEND:-}" ] || append="$append $OCIRT_VM_APPEND"
args+=(-append "$append")
for i in "${!shares[@]}"; do
  args+=(-fsdev "local,id=fs$i,path=${shares[$i]},security_model=passthrough,multidevs=remap"
    -device "virtio-9p-pci,fsdev=fs$i,mount_tag=share$i")
done
if [ -n "$disk" ]; then
  truncate -s "$disk" "$tmp/disk.img" || fail "--disk $disk: cannot make a sparse file of that size"
  args+=(-drive "file=$tmp/disk.img,format=raw,if=none,id=disk0,cache=unsafe"
    -device virtio-blk-pci,drive=disk0)
fi

now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
console=$tmp/console
t0=$(now_ms)
"$qemu" "${args[@]}" </dev/null >"$console" 2>"$tmp/qemu.err" &
qpid=$!

# Wait for the VM to end, bounded: boot_timeout to start the command, then timeout to run it.
started=0 t_start= timed_out=0
while kill -0 "$qpid" 2>/dev/null; do
  now=$(now_ms)
  if [ "$started" -eq 0 ]; then
    if grep -qaF "OCIRT-VM-START $nonce" "$console"; then
      started=1 t_start=$now
    elif [ $((now - t0)) -ge $((boot_timeout * 1000)) ]; then
      timed_out=boot
      break
    fi
  elif [ $((now - t_start)) -ge $((timeout * 1000)) ]; then
    timed_out=command
    break
  fi
  sleep 0.1
done
if [ "$timed_out" != 0 ]; then
  kill -TERM "$qpid" 2>/dev/null
  for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$qpid" 2>/dev/null || break; sleep 0.2; done
fi
cleanup_q() {
  kill -KILL "$qpid" 2>/dev/null
  wait "$qpid" 2>/dev/null
}
cleanup_q
qemu_rc_text=$(cat "$tmp/qemu.err")
t1=$(now_ms)
# a command quicker than one poll: its start is not seen, count it as boot
[ -n "$t_start" ] || t_start=$t1

# Byte offsets in the console log: just after the START line, and of the "\nOCIRT-VM-RESULT" line.
start_off=$(grep -boaF "OCIRT-VM-START $nonce" "$console" | head -n 1 | cut -d: -f1)
result=$(grep -boaE "OCIRT-VM-RESULT $nonce [0-9]+" "$console" | tail -n 1)

boot_log() {
  echo "--- console (${1:-last 60 lines}):" >&2
  if [ -n "$start_off" ]; then head -c "$start_off" "$console"; else cat "$console"; fi | tr -d '\r' | tail -n 60 >&2
  [ -z "$qemu_rc_text" ] || { echo "--- qemu stderr:" >&2; tail -n 20 <<<"$qemu_rc_text" >&2; }
}

# output FROM [TO]: the console bytes from offset FROM (to offset TO) on stdout
output() {
  if [ -n "${2:-}" ]; then
    tail -c +$(($1 + 1)) "$console" | head -c $(($2 - $1))
  else
    tail -c +$(($1 + 1)) "$console"
  fi
}

if [ "$timed_out" = boot ]; then
  boot_log
  fail "the VM did not start the command within ${boot_timeout}s (--boot-timeout)"
fi
if [ -z "$start_off" ]; then
  boot_log
  fail "the VM ended before starting the command (qemu or the guest's init failed)"
fi
# the command's output starts after the START line's newline
out_from=$((start_off + ${#nonce} + 16))
if [ "$timed_out" = command ]; then
  output "$out_from"
  [ "$verbose" -eq 0 ] || echo "$prog: boot $((t_start - t0)) ms, then the command ran over its time" >&2
  echo "$prog: the command ran over --timeout ${timeout}s: the VM was killed" >&2
  exit 124
fi
if [ -z "$result" ]; then
  output "$out_from"
  boot_log "before the command"
  fail "the VM ended without a result line (guest crash or panic?)"
fi
result_off=${result%%:*}
status=${result##* }
# init printed "\n" before the result line, so that it starts a line: not part of the output
output "$out_from" $((result_off - 1))
if [ "$verbose" -eq 1 ]; then
  boot_log "before the command"
  echo "$prog: boot $((t_start - t0)) ms, command $((t1 - t_start)) ms (to the VM's exit), status $status" >&2
fi
exit "$status"
