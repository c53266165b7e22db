#!/usr/bin/env bats
# linux.resources on this host's cgroup v1 (hybrid: v1 controllers beside cgroup2 at unified/), each
# proved by its effect: limits the container hits, values it reads in its own /sys/fs/cgroup, errors
# that name the field and leave nothing behind.  cgroup v2 runs for real in the VM: cgroup2-vm.bats.

load helpers

# cg CONTROLLER FILE: the container's cgroup file, as the host sees it.
cg() { cat "/sys/fs/cgroup/$1/ocirt/$ID/$2"; }

@test "cgroups: a memory hog over memory.limit is OOM-killed (128+9)" {
  make_bundle 'exec dd if=/dev/zero of=/dev/null bs=64M count=1'
  set_config '.linux.resources.memory.limit = 16777216'
  run_fg "$ID"
  [ "$status" -eq 137 ] || fail "status $status, expected 137 (OOM-killed)" "$output" "$stderr"
  [[ $stderr != *"records in"* ]]
  assert_no_leaks "$ID"
  # the same program without the limit completes
  set_config 'del(.linux.resources.memory)'
  run_fg "$ID"
  expect_status 0
  [[ $stderr == *"1+0 records in"* ]] || fail "$stderr"
}

@test "cgroups: a container runs with a 512 KiB memory limit" {
  make_bundle 'echo hello; cat /sys/fs/cgroup/memory/memory.limit_in_bytes'
  set_config '.linux.resources.memory.limit = 524288'
  run_fg "$ID"
  expect_status 0
  [ "${lines[0]}" = hello ]
  [ "${lines[1]}" = 524288 ]
}

@test "cgroups: memory reservation, swap, swappiness as the container reads them" {
  make_bundle 'cd /sys/fs/cgroup/memory; cat memory.soft_limit_in_bytes memory.memsw.limit_in_bytes memory.swappiness memory.limit_in_bytes'
  set_config '.linux.resources.memory = {limit: 33554432, reservation: 16777216, swap: 67108864, swappiness: 7}'
  run_fg "$ID"
  expect_status 0
  [ "$(echo $output)" = "16777216 67108864 7 33554432" ] || fail "$output"
}

@test "cgroups: raising memory over the current memory+swap limit (update) writes swap first" {
  make_bundle 'sleep 1000'
  set_config '.linux.resources.memory = {limit: 33554432, swap: 33554432}'
  run_detached "$ID"
  expect_status 0
  [ "$(cg memory memory.memsw.limit_in_bytes)" = 33554432 ]
  run --separate-stderr ocirt update --memory 64m --memory-swap 128m "$ID"
  expect_status 0
  [ "$(cg memory memory.limit_in_bytes)" = 67108864 ]
  [ "$(cg memory memory.memsw.limit_in_bytes)" = 134217728 ]
}

@test "cgroups: disableOOMKiller: the hog is stopped under OOM, not killed" {
  make_bundle 'dd if=/dev/zero of=/dev/null bs=64M count=1 & echo $! > /ddpid; wait'
  set_config '.linux.resources.memory = {limit: 16777216, disableOOMKiller: true}'
  run_detached "$ID"
  expect_status 0
  local deadline=$((SECONDS + 10))
  until grep -qx 'under_oom 1' "/sys/fs/cgroup/memory/ocirt/$ID/memory.oom_control"; do
    [ $SECONDS -lt $deadline ] || fail "never under OOM: $(cg memory memory.oom_control)"
    sleep 0.1
  done
  grep -qx 'oom_kill_disable 1' "/sys/fs/cgroup/memory/ocirt/$ID/memory.oom_control"
  grep -qx 'oom_kill 0' "/sys/fs/cgroup/memory/ocirt/$ID/memory.oom_control"
  [ "$(state_field "$ID" status)" = running ]
  # delete --force still gets rid of a container stuck under OOM
  run --separate-stderr ocirt delete --force "$ID"
  expect_status 0
  assert_no_leaks "$ID"
}

@test "cgroups: kernel memory limit is ignored with a warning (the kernel has none)" {
  make_bundle 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes'
  set_config '.linux.resources.memory = {limit: 33554432, kernel: 16777216}'
  run_fg "$ID"
  expect_status 0
  [ "$output" = 33554432 ]
  [[ $stderr == *"warning: .linux.resources.memory.kernel: ignored"* ]] || fail "$stderr"
}

@test "cgroups: cpu quota/period hold a busy loop to 10% of a CPU" {
  make_bundle 'while :; do :; done'
  set_config '.linux.resources.cpu = {quota: 10000, period: 100000, shares: 512}'
  run_detached "$ID"
  expect_status 0
  [ "$(cg cpu cpu.cfs_quota_us)" = 10000 ]
  [ "$(cg cpu cpu.cfs_period_us)" = 100000 ]
  [ "$(cg cpu cpu.shares)" = 512 ]
  local before after
  before=$(cg cpuacct cpuacct.usage)
  sleep 2
  after=$(cg cpuacct cpuacct.usage)
  # 2 s of wall time at 10%: 0.2 s of CPU (an unlimited loop takes ~2 s)
  [ $((after - before)) -lt 500000000 ] || fail "used $(((after - before) / 1000000)) ms of CPU in 2 s"
  [ "$(cg cpu cpu.stat | awk '/^nr_throttled/ {print $2}')" -gt 0 ]
}

@test "cgroups: cpu.cpus and cpu.mems pin the container" {
  make_bundle 'grep -E "^(Cpus|Mems)_allowed_list" /proc/self/status'
  set_config '.linux.resources.cpu = {cpus: "1", mems: "0"}'
  run_fg "$ID"
  expect_status 0
  [[ $output == *"Cpus_allowed_list:"*[[:space:]]1$'\n'* ]] || fail "$output"
  [[ $output == *"Mems_allowed_list:"*[[:space:]]0 ]] || fail "$output"
}

@test "cgroups: cpu realtime period and idle on v1" {
  make_bundle 'cat /sys/fs/cgroup/cpu/cpu.rt_period_us /sys/fs/cgroup/cpu/cpu.idle'
  set_config '.linux.resources.cpu = {realtimePeriod: 500000, idle: 1}'
  run_fg "$ID"
  expect_status 0
  [ "$(echo $output)" = "500000 1" ] || fail "$output"
}

@test "cgroups: a realtime runtime above the parent's fails naming the field, nothing left" {
  make_bundle true
  set_config '.linux.resources.cpu = {realtimeRuntime: 5000000}'
  run_fg "$ID"
  expect_error "create $ID" ".linux.resources.cpu.realtimeRuntime" "cpu.rt_runtime_us" "Invalid argument"
  assert_no_leaks "$ID"
}

@test "cgroups: pids.limit stops a fork bomb" {
  make_bundle 'sleep 1000'
  set_config '.linux.resources.pids.limit = 10'
  run_detached "$ID"
  expect_status 0
  [ "$(cg pids pids.max)" = 10 ]
  run --separate-stderr ocirt exec "$ID" sh -c 'while :; do sleep 100 & done' </dev/null 3>&-
  [ "$status" -ne 0 ]
  [[ $stderr == *"can't fork"* ]] || fail "$stderr"
  [ "$(cg pids pids.current)" -le 10 ]
  [ "$(cg pids pids.events | awk '{print $2}')" -gt 0 ]
  [ "$(state_field "$ID" status)" = running ]
}

@test "cgroups: devices: deny all, a bound host device cannot be opened; an allow rule opens it" {
  make_bundle 'exec 3</dev/loop-control && echo opened'
  set_config '.mounts += [{destination: "/dev/loop-control", type: "bind", source: "/dev/loop-control", options: ["bind"]}]'
  set_config '.linux.resources.devices = [{allow: false, access: "rwm"}]'
  run_fg "$ID"
  [ "$status" -ne 0 ]
  [[ $output$stderr == *"Operation not permitted"* ]] || fail "$output" "$stderr"
  [[ $output != *opened* ]]
  # the default devices stay usable
  set_config '.process.args = ["sh", "-c", "echo x >/dev/null && head -c 3 /dev/zero | wc -c && head -c 1 /dev/urandom >/dev/null && echo defaults-ok"]'
  run_fg "$ID"
  expect_status 0
  [[ $output == *defaults-ok* ]] || fail "$output"
  # a later rule allows it (10:237, read)
  set_config '.process.args = ["sh", "-c", "exec 3</dev/loop-control && echo opened"]'
  set_config '.linux.resources.devices += [{allow: true, type: "c", major: 10, minor: 237, access: "r"}]'
  run_fg "$ID"
  expect_status 0
  [ "$output" = opened ]
}

@test "cgroups: devices: v1 devices.list shows the rules in force" {
  make_bundle 'cat /sys/fs/cgroup/devices/devices.list'
  set_config '.linux.resources.devices = [{allow: false, access: "rwm"}, {allow: true, type: "c", major: 10, minor: 237, access: "rw"}]'
  run_fg "$ID"
  expect_status 0
  grep -qx 'c 10:237 rw' <<<"$output" || fail "$output"
  grep -qx 'c 1:3 rwm' <<<"$output" || fail "$output"
  ! grep -q '^a ' <<<"$output" || fail "$output"
}

@test "cgroups: unified keys go to the cgroup2 hierarchy of a hybrid host and are enforced" {
  make_bundle 'sleep 1000'
  set_config '.linux.resources.unified = {"cgroup.max.descendants": "0"}'
  run_detached "$ID"
  expect_status 0
  [ "$(cat "/sys/fs/cgroup/unified/ocirt/$ID/cgroup.max.descendants")" = 0 ]
  # no cgroup can be made below it
  ! mkdir "/sys/fs/cgroup/unified/ocirt/$ID/child" 2>/dev/null || {
    rmdir "/sys/fs/cgroup/unified/ocirt/$ID/child"
    fail "mkdir below a cgroup with cgroup.max.descendants 0 worked"
  }
}

@test "cgroups: unified keys are checked: no path, no dot file, the file must exist" {
  make_bundle true
  local key
  for key in "../cgroup.procs" "sub/cgroup.procs" ".." "memory.nonexistent"; do
    set_config --arg k "$key" '.linux.resources.unified = {($k): "1"}'
    run_fg "$ID"
    expect_error "create $ID" ".linux.resources.unified[\"$key\"]"
    assert_no_leaks "$ID"
  done
}

@test "cgroups: bad values fail naming the field, and leave nothing behind" {
  make_bundle true
  local case expr field
  while IFS='|' read -r expr field; do
    set_config "del(.linux.resources.cpu, .linux.resources.memory, .linux.resources.blockIO, .linux.resources.hugepageLimits) | $expr"
    run_fg "$ID"
    expect_error "create $ID" "$field"
    assert_no_leaks "$ID"
  done <<'CASES'
.linux.resources.memory = {limit: 33554432, swap: 16777216}|.linux.resources.memory.
.linux.resources.memory.swappiness = 101|.linux.resources.memory.swappiness: 101 is out of range
.linux.resources.cpu.cpus = "99"|.linux.resources.cpu.cpus
.linux.resources.cpu.mems = "7"|.linux.resources.cpu.mems
.linux.resources.blockIO.weight = 5|.linux.resources.blockIO.weight: 5 is out of range
.linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 0}]|.linux.resources.hugepageLimits
CASES
}

@test "cgroups: network classID and priorities are ignored with a warning where net_cls/net_prio are not mounted" {
  make_bundle true
  set_config '.linux.resources.network = {classID: 1048577, priorities: [{name: "lo", priority: 3}]}'
  run_fg "$ID"
  expect_status 0
  [[ $stderr == *"warning: .linux.resources.network.classID: ignored: the net_cls controller is not mounted"* ]] || fail "$stderr"
  [[ $stderr == *"warning: .linux.resources.network.priorities: ignored"* ]] || fail "$stderr"
}

@test "cgroups: blockIO throttleReadBpsDevice slows direct reads of a loop device" {
  truncate -s 4M "$BATS_TEST_TMPDIR/disk"
  LOOPDEV=$(losetup -f --show "$BATS_TEST_TMPDIR/disk")
  echo "$LOOPDEV" >"$BATS_TEST_TMPDIR/loopdev"
  local maj min
  maj=$((0x$(stat -c %t "$LOOPDEV")))
  min=$((0x$(stat -c %T "$LOOPDEV")))
  make_bundle 'dd if=/dev/disk of=/dev/null bs=256k count=8 iflag=direct 2>&1'
  set_config --argjson maj $maj --argjson min $min '.linux.devices = [{path: "/dev/disk", type: "b", major: $maj, minor: $min}]
    | .linux.resources.blockIO.throttleReadBpsDevice = [{major: $maj, minor: $min, rate: 1048576}]
    | .linux.resources.blockIO.throttleWriteIOPSDevice = [{major: $maj, minor: $min, rate: 100}]'
  local t0=$SECONDS
  run_fg "$ID"
  local took=$((SECONDS - t0))
  losetup -d "$LOOPDEV"
  expect_status 0
  [[ $output == *"8+0 records in"* ]] || fail "$output"
  # 2 MiB at 1 MiB/s: about 2 s (unthrottled: a few ms)
  [ "$took" -ge 1 ] || fail "2 MiB read in ${took}s at 1 MiB/s" "$output"
}

@test "cgroups: blockIO weight 0 is no weight, as for runc (docker's config.json without --blkio-weight)" {
  make_bundle 'echo ran'
  # what dockerd 20.10 writes for every container: zero cpu shares and blockIO weight, meaning unset
  set_config '.linux.resources.cpu = {shares: 0} | .linux.resources.blockIO = {weight: 0}'
  run_fg "$ID"
  expect_status 0
  [ "$output" = ran ] || fail "$output"
}

@test "cgroups: blockIO weight goes to BFQ's blkio.bfq.weight (no CFQ since 5.0)" {
  make_bundle 'cat /sys/fs/cgroup/blkio/blkio.bfq.weight'
  set_config '.linux.resources.blockIO.weight = 500'
  run_fg "$ID"
  expect_status 0
  [ "$output" = 500 ] || fail "$output"
}
