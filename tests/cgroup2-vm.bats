#!/usr/bin/env bats
# cgroup v2 for real: this host mounts v1 (hybrid), so tests/vm/cgroup2.bats runs inside a qemu VM
# booted with cgroup v2 alone (run-in-vm.sh --cgroup2), once for the whole file, in setup_file (a
# boot and the guest's tests take minutes under TCG: longer than one test may run).  Each test here
# checks that its guest test passed.

load helpers

VM=$(repo)/tests/vm/run-in-vm.sh

setup_file() {
  local d=$BATS_FILE_TMPDIR/vm
  mkdir -p "$d/tmp"
  local rc=0
  cd "$(repo)" || return 1
  TMPDIR=$d/tmp "$VM" -v --cgroup2 --disk 64M --timeout 840 -- bats --tap tests/vm/cgroup2.bats \
    >"$d/out" 2>"$d/err" </dev/null || rc=$?
  echo "$rc" >"$d/status"
}

# guest_ok NAME: the guest's test "v2: NAME" passed.
guest_ok() {
  local d=$BATS_FILE_TMPDIR/vm
  grep -qxE "ok [0-9]+ v2: $1" "$d/out" ||
    fail "tests/vm/cgroup2.bats: no passing test 'v2: $1' (VM status $(cat "$d/status"))" \
      "--- guest output:" "$(cat "$d/out")" "--- harness:" "$(tail -20 "$d/err")"
}

@test "cgroup2 (VM): every guest test passed" {
  local d=$BATS_FILE_TMPDIR/vm
  [ "$(cat "$d/status")" -eq 0 ] || fail "VM status $(cat "$d/status")" "$(cat "$d/out")" "$(tail -20 "$d/err")"
  ! grep -q '^not ok' "$d/out"
}

@test "cgroup2 (VM): the container's cgroup has the controllers and is removed on delete" {
  guest_ok "the container's cgroup has the controllers, and is gone after delete"
}

@test "cgroup2 (VM): memory.max OOM-kills a hog and events reports the oom" {
  guest_ok "memory.max OOM-kills a hog, and events reports the oom"
}

@test "cgroup2 (VM): a container runs with a 512 KiB memory limit" {
  guest_ok "a container runs with a 512 KiB memory limit"
}

@test "cgroup2 (VM): pids.max stops a fork bomb" {
  guest_ok "pids.max stops a fork bomb"
}

@test "cgroup2 (VM): cgroup.freeze freezes and resume continues" {
  guest_ok "cgroup.freeze freezes the container, resume continues it"
}

@test "cgroup2 (VM): the eBPF device program denies a device" {
  guest_ok "a denied device cannot be opened \\(eBPF device program\\); an allow rule opens it"
}

@test "cgroup2 (VM): update changes a running container's limits" {
  guest_ok "update changes a running container's memory and pids limits"
}

@test "cgroup2 (VM): cpu.max holds a busy loop" {
  guest_ok "cpu.max holds a busy loop to 10% of a CPU"
}

@test "cgroup2 (VM): v1 values converted (swap, shares, cpus, hugetlb, unified, idle)" {
  guest_ok "conversions: swap, reservation, shares to weight, cpus, idle, hugetlb, unified"
}

@test "cgroup2 (VM): init is cloned straight into its cgroup (clone3 CLONE_INTO_CGROUP)" {
  guest_ok "init is cloned straight into its cgroup \\(clone3 CLONE_INTO_CGROUP\\)"
}

@test "cgroup2 (VM): io.max throttles a block device" {
  guest_ok "io.max throttles reads of a block device"
}

@test "cgroup2 (VM): kernel memory and network warn, realtime is refused" {
  guest_ok "what v2 lacks: kernel memory and network are ignored with a warning, realtime is refused"
}
