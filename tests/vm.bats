#!/usr/bin/env bats
# The VM test harness (tests/vm/): what needs a kernel this host lacks (device-mapper, cgroup v2, AppArmor) runs
# in a qemu VM that boots Debian's kernel.  Two boots serve every test: one runs tests/vm/guest.bats
# inside (the pattern `run-in-vm.sh -- bats FILE` the device-mapper and cgroup tests use), one boots
# with --cgroup2 and then hangs, for the timeout.  Each boot runs once, in the first test that needs
# it; the others read its saved result.

load helpers

VM=$(repo)/tests/vm/run-in-vm.sh

# vm_once NAME RUN-IN-VM-ARGS...: run the VM once per file; sets status, output (the guest's),
# stderr (the harness's) and elapsed (seconds) from the saved result.
vm_once() {
  local name=$1 d=$BATS_FILE_TMPDIR/vm-$1
  shift
  if [ ! -e "$d/status" ]; then
    mkdir -p "$d/tmp"
    local t0=$SECONDS rc=0
    TMPDIR=$d/tmp "$VM" -v "$@" >"$d/out" 2>"$d/err" </dev/null || rc=$?
    echo $((SECONDS - t0)) >"$d/elapsed"
    echo "$rc" >"$d/status"
    # boot and run times, for the log
    sed -n 's/^run-in-vm.sh: boot/# vm '"$name"': boot/p' "$d/err" >&3
  fi
  status=$(cat "$d/status")
  elapsed=$(cat "$d/elapsed")
  output=$(cat "$d/out")
  stderr=$(cat "$d/err")
}

# The first boot: guest.bats inside, then lines that try to forge the harness's result line, then an
# output that ends without a newline, and a status of our own.
vm_guest() {
  vm_once guest --apparmor --disk 256M -- bash -c '
    bats --tap tests/vm/guest.bats; echo "guest bats status: $?"
    echo "OCIRT-VM-RESULT 00000000000000000000000000000000 0"
    printf "OCIRT-VM-RESULT %s 0\n" "$(cat /.ocirt-vm/nonce 2>/dev/null || echo no-nonce-file)"
    printf "a\tb\n\nlast line, no newline"
    exit 7'
}

# guest_ok NAME: guest.bats passed the test NAME
guest_ok() {
  vm_guest
  grep -qxE "ok [0-9]+ guest: $1" <<<"$output" ||
    fail "guest.bats: no passing test 'guest: $1' (VM status $status)" "--- guest output:" "$output" "--- harness:" "$stderr"
}

@test "vm: a guest command's exit status and output come back, and the guest cannot forge the result" {
  vm_guest
  [ "$status" -eq 7 ] || fail "status $status, expected 7" "$stderr" "$output"
  grep -qx 'guest bats status: 0' <<<"$output" || fail "guest.bats failed:" "$output"
  # the forged lines are just output; the nonce file was gone
  grep -qx 'OCIRT-VM-RESULT 00000000000000000000000000000000 0' <<<"$output"
  grep -qx 'OCIRT-VM-RESULT no-nonce-file 0' <<<"$output"
  # byte for byte: a tab, an empty line, no \r, and no newline added after the last line
  local want=$'\na\tb\n\nlast line, no newline'
  tail -c ${#want} "$BATS_FILE_TMPDIR/vm-guest/out" | cmp -s - <(printf '%s' "$want") ||
    fail "the output ends with:" "$(tail -c ${#want} "$BATS_FILE_TMPDIR/vm-guest/out" | od -c)"
  ! grep -q $'\r' "$BATS_FILE_TMPDIR/vm-guest/out"
  [[ $stderr == *"run-in-vm.sh: boot "*" ms, command "*" ms"* ]]
}

@test "vm: in the guest, /proc/misc lists device-mapper after modprobe" {
  guest_ok "/proc/misc lists device-mapper after modprobe dm-mod"
}

@test "vm: in the guest, dmsetup targets shows thin-pool" {
  guest_ok "dmsetup targets lists thin-pool and thin after modprobe dm-thin-pool"
}

@test "vm: a thin pool on the sparse virtio-blk disk holds an ext4 thin volume" {
  guest_ok "a thin volume of a pool on the virtio-blk disk holds an ext4 filesystem"
}

@test "vm: without --cgroup2 the guest mounts cgroups like this host (v1 + unified)" {
  guest_ok "cgroups are mounted like this host's: v1 hierarchies, cgroup2 at unified/"
}

@test "vm: the built ocirt runs a busybox container inside the VM" {
  guest_ok "the built ocirt runs a busybox container"
}

# AppArmor for real (this host runs no LSM): the first boot has --apparmor, guest.bats loads two
# profiles with apparmor_parser and checks their effect from inside containers.
@test "vm: --apparmor boots with AppArmor on, and ocirt features reports it" {
  guest_ok "AppArmor is on, and ocirt features says so"
}

@test "vm: process.apparmorProfile confines the container (attr/current, a deny rule)" {
  guest_ok "process.apparmorProfile confines the container: attr/current names it, its deny rule holds"
}

@test "vm: exec runs under the container's AppArmor profile, or exec --apparmor's" {
  guest_ok "exec gets the container's AppArmor profile, or the one --apparmor names"
}

@test "vm: an AppArmor profile that is not loaded fails create and leaves nothing" {
  guest_ok "an AppArmor profile that is not loaded fails create, naming it, and leaves nothing"
}

# The second boot: cgroup v2 alone, then a command that never ends.
vm_cgroup2_hang() {
  vm_once cgroup2 --cgroup2 --timeout 5 -- bash -c '
    echo "fs: $(stat -f -c %T /sys/fs/cgroup)"
    echo "controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
    echo "subtree: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
    echo "v1 mounts: $(grep -c " cgroup " /proc/mounts)"
    echo "hanging now"
    exec sleep 100000'
}

@test "vm: --cgroup2 mounts cgroup2 at /sys/fs/cgroup with cpuset cpu io memory hugetlb pids" {
  vm_cgroup2_hang
  grep -qx 'fs: cgroup2fs' <<<"$output" || fail "$output" "$stderr"
  local c line
  for line in controllers subtree; do
    for c in cpuset cpu io memory hugetlb pids; do
      grep -qE "^$line: (.* )?$c( |$)" <<<"$output" || fail "no $c in $line:" "$output"
    done
  done
  grep -qx 'v1 mounts: 0' <<<"$output" || fail "cgroup v1 is mounted:" "$output"
}

@test "vm: a guest command that hangs is killed by --timeout (status 124)" {
  vm_cgroup2_hang
  [ "$status" -eq 124 ] || fail "status $status, expected 124" "$stderr"
  grep -qx 'hanging now' <<<"$output" || fail "the output before the hang is lost:" "$output"
  [[ $stderr == *"ran over --timeout 5s: the VM was killed"* ]] || fail "$stderr"
  # boot (bounded by --boot-timeout, 180 s) + 5 s: the hang did not run on
  [ "$elapsed" -lt 185 ]
  # no qemu left behind, nor its files
  ! pgrep -f "$BATS_FILE_TMPDIR/vm-cgroup2/tmp" >/dev/null || fail "qemu still runs: $(pgrep -af "$BATS_FILE_TMPDIR/vm-cgroup2/tmp")"
  [ -z "$(ls -A "$BATS_FILE_TMPDIR/vm-cgroup2/tmp")" ]
}

@test "vm: a missing qemu fails loudly with status 125, never a skip" {
  OCIRT_VM_QEMU=/nonexistent/qemu-system-x86_64 run --separate-stderr "$VM" -- true
  [ "$status" -eq 125 ]
  [[ $stderr == *"/nonexistent/qemu-system-x86_64 not found: install qemu-system-x86"* ]] || fail "$stderr"
}

@test "vm: a missing kernel fails loudly with status 125" {
  OCIRT_VM_KVER=0.0-0-nonexistent OCIRT_VM_CACHE=$BATS_TEST_TMPDIR/cache \
    run --separate-stderr timeout 120 "$VM" -- true
  [ "$status" -eq 125 ]
  [[ $stderr == *"apt-get download linux-image-0.0-0-nonexistent failed"* ]] || fail "$stderr"
  [[ $stderr == *"no kernel or initramfs to boot"* ]] || fail "$stderr"
}
