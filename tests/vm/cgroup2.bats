#!/usr/bin/env bats
# Runs INSIDE the test VM booted with cgroup v2 alone (tests/cgroup2-vm.bats boots it:
# run-in-vm.sh --cgroup2 --disk 64M -- bats tests/vm/cgroup2.bats): linux.resources, pause/resume,
# update and events on the unified hierarchy, each proved by its effect.

top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
OCIRT=${OCIRT:-$top/ocirt}
load ../helpers
MAKE_BUNDLE=$top/contrib/make-bundle.sh

eval "helpers_$(declare -f setup)"
setup() {
  [ "${OCIRT_VM:-}" = 1 ] || fail "cgroup2.bats runs inside the test VM: tests/vm/run-in-vm.sh --cgroup2 --disk 64M -- bats tests/vm/cgroup2.bats"
  [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || fail "/sys/fs/cgroup is not cgroup2: boot with --cgroup2"
  helpers_setup
}

# helpers.bash's leak check looks at /sys/fs/cgroup/*/ocirt/ID (v1 layout): v2 keeps it at ocirt/ID.
eval "helpers_$(declare -f teardown)"
teardown() {
  local rc=0
  helpers_teardown || rc=$?
  local d
  for d in /sys/fs/cgroup/ocirt/"$ID" /sys/fs/cgroup/ocirt/"$ID"-*; do
    [ -d "$d" ] || continue
    rc=1
    echo "leaked cgroup $d" >&2
    cat "$d/cgroup.procs" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
    sleep 0.2
    rmdir "$d" 2>/dev/null || true
  done
  return $rc
}

cg() { cat "/sys/fs/cgroup/ocirt/$ID/$1"; }

@test "v2: the container's cgroup has the controllers, and is gone after delete" {
  make_bundle 'sleep 1000'
  run_detached "$ID"
  expect_status 0
  local pid c
  pid=$(state_field "$ID" pid)
  grep -qx "$pid" "/sys/fs/cgroup/ocirt/$ID/cgroup.procs"
  for c in cpu memory pids io cpuset hugetlb; do
    grep -qw "$c" "/sys/fs/cgroup/ocirt/$ID/cgroup.controllers" || fail "no $c: $(cg cgroup.controllers)"
  done
  run --separate-stderr ocirt delete --force "$ID"
  expect_status 0
  [ ! -e "/sys/fs/cgroup/ocirt/$ID" ]
}

@test "v2: memory.max OOM-kills a hog, and events reports the oom" {
  make_bundle 'sleep 1000'
  set_config '.linux.resources.memory.limit = 33554432'
  run_detached "$ID"
  expect_status 0
  [ "$(cg memory.max)" = 33554432 ]
  local out=$BATS_TEST_TMPDIR/events
  ocirt events --interval 300ms "$ID" >"$out" 2>"$out.err" </dev/null 3>&- &
  local ev=$!
  sleep 1
  run --separate-stderr ocirt exec "$ID" dd if=/dev/zero of=/dev/null bs=96M count=1 </dev/null 3>&-
  [ "$status" -eq 137 ] || { kill $ev; fail "dd: status $status, expected 137" "$stderr"; }
  [ "$(awk '/^oom_kill / {print $2}' "/sys/fs/cgroup/ocirt/$ID/memory.events")" -ge 1 ]
  local deadline=$((SECONDS + 20))
  until grep -q '"type":"oom"' "$out"; do
    [ $SECONDS -lt $deadline ] || { kill $ev; fail "no oom event:" "$(cat "$out" "$out.err")"; }
    sleep 0.2
  done
  kill $ev
  wait $ev || true
  [ "$(grep -m1 '"type":"oom"' "$out")" = "{\"type\":\"oom\",\"id\":\"$ID\"}" ]
  run --separate-stderr ocirt events --stats "$ID"
  expect_status 0
  [ "$(jq -r .data.memory.usage.limit <<<"$output")" = 33554432 ]
  [ "$(jq -r .data.memory.usage.failcnt <<<"$output")" -ge 1 ]
}

@test "v2: a container runs with a 512 KiB memory limit" {
  make_bundle 'echo hello'
  set_config '.linux.resources.memory.limit = 524288'
  run_fg "$ID"
  expect_status 0
  [ "$output" = hello ]
}

@test "v2: init is cloned straight into its cgroup (clone3 CLONE_INTO_CGROUP)" {
  # ocirt runs alone in a cgroup whose pids.max is 1: a plain clone charges the new init to that
  # cgroup first and fails (EAGAIN, "Resource temporarily unavailable"); clone3 with
  # CLONE_INTO_CGROUP charges it to the container's cgroup from the start.
  make_bundle 'sleep 1000'
  local runner=/sys/fs/cgroup/ocirt-runner-$$ pid
  grep -qw pids /sys/fs/cgroup/cgroup.subtree_control || echo +pids >/sys/fs/cgroup/cgroup.subtree_control
  mkdir "$runner"
  echo 1 >"$runner/pids.max"
  # output to files: the waiting init keeps ocirt's stdout and stderr open
  local rc=0 events err=$BATS_TEST_TMPDIR/create.err
  timeout 60 sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --root "$3" create --bundle "$4" "$5"' \
    sh "$runner" "$OCIRT" "$ROOT" "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$err" 3>&- || rc=$?
  events=$(cat "$runner/pids.events")
  rmdir "$runner"
  [ "$rc" -eq 0 ] || fail "create in a cgroup at its pids limit: status $rc: $(cat "$err")"
  [ "$(awk '$1 == "max" { print $2 }' <<<"$events")" -eq 0 ] || fail "the runner's pids limit was hit: $events"
  pid=$(state_field "$ID" pid)
  [ "$(cat "/proc/$pid/cgroup")" = "0::/ocirt/$ID" ] || fail "init's cgroup: $(cat "/proc/$pid/cgroup")"
  run --separate-stderr ocirt delete --force "$ID"
  expect_status 0
}

@test "v2: pids.max stops a fork bomb" {
  make_bundle 'sleep 1000'
  set_config '.linux.resources.pids.limit = 10'
  run_detached "$ID"
  expect_status 0
  [ "$(cg pids.max)" = 10 ]
  run --separate-stderr ocirt exec "$ID" sh -c 'while :; do sleep 100 & done' </dev/null 3>&-
  [ "$status" -ne 0 ]
  [[ $stderr == *"can't fork"* ]] || fail "$stderr"
  [ "$(cg pids.current)" -le 10 ]
  [ "$(awk '/^max / {print $2}' "/sys/fs/cgroup/ocirt/$ID/pids.events")" -gt 0 ]
}

@test "v2: cgroup.freeze freezes the container, resume continues it" {
  make_bundle 'i=0; while :; do i=$((i+1)); echo $i >/count.new; mv /count.new /count; sleep 0.05; done'
  run_detached "$ID"
  expect_status 0
  wait_for_file "$BUNDLE/rootfs/count"
  run --separate-stderr ocirt pause "$ID"
  expect_status 0
  [ "$(cg cgroup.freeze)" = 1 ]
  grep -qx 'frozen 1' "/sys/fs/cgroup/ocirt/$ID/cgroup.events"
  [ "$(state_field "$ID" status)" = paused ]
  local a b
  a=$(cat "$BUNDLE/rootfs/count")
  sleep 1
  b=$(cat "$BUNDLE/rootfs/count")
  [ "$a" = "$b" ] || fail "moved from $a to $b while frozen"
  run --separate-stderr ocirt resume "$ID"
  expect_status 0
  [ "$(state_field "$ID" status)" = running ]
  sleep 1
  b=$(cat "$BUNDLE/rootfs/count")
  [ "$b" -gt "$a" ] || fail "did not continue after resume ($a, $b)"
  # and a paused container is deleted cleanly
  run --separate-stderr ocirt pause "$ID"
  expect_status 0
  run --separate-stderr ocirt delete --force "$ID"
  expect_status 0
  [ ! -e "/sys/fs/cgroup/ocirt/$ID" ]
}

@test "v2: a denied device cannot be opened (eBPF device program); an allow rule opens it" {
  make_bundle 'exec 3</dev/loop-control && echo opened'
  [ -c /dev/loop-control ] || modprobe loop
  set_config '.mounts += [{destination: "/dev/loop-control", type: "bind", source: "/dev/loop-control", options: ["bind"]}]'
  set_config '.linux.resources.devices = [{allow: false, access: "rwm"}]'
  run_fg "$ID"
  [ "$status" -ne 0 ]
  [[ $output$stderr == *"Operation not permitted"* ]] || fail "$output" "$stderr"
  # the default devices stay usable
  set_config '.process.args = ["sh", "-c", "echo x >/dev/null && head -c 3 /dev/zero | wc -c && head -c 1 /dev/urandom >/dev/null && echo defaults-ok"]'
  run_fg "$ID"
  expect_status 0
  [[ $output == *defaults-ok* ]] || fail "$output" "$stderr"
  # read allowed, write still denied
  set_config '.process.args = ["sh", "-c", "exec 3</dev/loop-control && echo opened; exec 4>/dev/loop-control && echo wrote"]'
  set_config '.linux.resources.devices += [{allow: true, type: "c", major: 10, minor: 237, access: "r"}]'
  run_fg "$ID"
  [[ $output == opened ]] || fail "$output" "$stderr"
  [[ $stderr == *"Operation not permitted"* ]] || fail "$stderr"
}

@test "v2: update changes a running container's memory and pids limits" {
  make_bundle 'sleep 1000'
  set_config '.linux.resources.memory.limit = 268435456'
  run_detached "$ID"
  expect_status 0
  run --separate-stderr ocirt exec "$ID" dd if=/dev/zero of=/dev/null bs=64M count=1 </dev/null 3>&-
  expect_status 0
  run --separate-stderr ocirt update --memory 16m --pids-limit 5 --cpu-quota 50000 --cpu-shares 1024 "$ID"
  expect_status 0
  [ "$(cg memory.max)" = 16777216 ]
  [ "$(cg pids.max)" = 5 ]
  [ "$(cg cpu.max)" = "50000 100000" ]
  [ "$(cg cpu.weight)" = 39 ]
  run --separate-stderr ocirt exec "$ID" dd if=/dev/zero of=/dev/null bs=64M count=1 </dev/null 3>&-
  [ "$status" -eq 137 ] || fail "status $status: not OOM-killed after update" "$stderr"
  run --separate-stderr ocirt update --resources - "$ID" <<<'{"memory": {"limit": -1}, "unified": {"memory.high": "50000000"}}'
  expect_status 0
  [ "$(cg memory.max)" = max ]
  [ "$(cg memory.high)" = 49999872 ]
}

@test "v2: cpu.max holds a busy loop to 10% of a CPU" {
  make_bundle 'while :; do :; done'
  set_config '.linux.resources.cpu = {quota: 10000, period: 100000}'
  run_detached "$ID"
  expect_status 0
  [ "$(cg cpu.max)" = "10000 100000" ]
  local before after
  before=$(awk '/^usage_usec/ {print $2}' "/sys/fs/cgroup/ocirt/$ID/cpu.stat")
  sleep 3
  after=$(awk '/^usage_usec/ {print $2}' "/sys/fs/cgroup/ocirt/$ID/cpu.stat")
  [ $((after - before)) -lt 900000 ] || fail "used $(((after - before) / 1000)) ms in 3 s"
  [ "$(awk '/^nr_throttled/ {print $2}' "/sys/fs/cgroup/ocirt/$ID/cpu.stat")" -gt 0 ]
}

@test "v2: conversions: swap, reservation, shares to weight, cpus, idle, hugetlb, unified" {
  make_bundle 'sleep 1000'
  set_config '.linux.resources = {memory: {limit: 33554432, swap: 67108864, reservation: 8388608},
    cpu: {shares: 2048, cpus: "0", mems: "0"}, hugepageLimits: [{pageSize: "2MB", limit: 4194304}],
    unified: {"pids.max": "42"}}'
  run_detached "$ID"
  expect_status 0
  [ "$(cg memory.swap.max)" = 33554432 ]
  [ "$(cg memory.low)" = 8388608 ]
  [ "$(cg cpu.weight)" = 79 ]
  [ "$(cg cpuset.cpus)" = 0 ]
  [ "$(cg cpuset.mems)" = 0 ]
  [ "$(cg hugetlb.2MB.max)" = 4194304 ]
  [ "$(cg pids.max)" = 42 ]
  run --separate-stderr ocirt exec "$ID" grep Cpus_allowed_list /proc/self/status </dev/null 3>&-
  [[ $output == *[[:space:]]0 ]] || fail "$output"
  # an idle cgroup (SCHED_IDLE for the whole group)
  run --separate-stderr ocirt update --resources - "$ID" <<<'{"cpu": {"idle": 1}}'
  expect_status 0
  [ "$(cg cpu.idle)" = 1 ]
}

@test "v2: io.max throttles reads of a block device" {
  [ -b /dev/vda ] || fail "no /dev/vda: run-in-vm.sh --disk"
  local maj min
  maj=$((0x$(stat -c %t /dev/vda)))
  min=$((0x$(stat -c %T /dev/vda)))
  make_bundle 'dd if=/dev/vda of=/dev/null bs=256k count=8 iflag=direct 2>&1'
  set_config --argjson maj $maj --argjson min $min '.linux.devices = [{path: "/dev/vda", type: "b", major: $maj, minor: $min}]
    | .linux.resources.blockIO.throttleReadBpsDevice = [{major: $maj, minor: $min, rate: 1048576}]'
  local t0=$SECONDS
  run_fg "$ID"
  expect_status 0
  # 2 MiB at 1 MiB/s: about 2 s (the first second's budget goes at once)
  [ $((SECONDS - t0)) -ge 1 ] || fail "2 MiB read in $((SECONDS - t0)) s at 1 MiB/s" "$output"
  [[ $output == *"8+0 records in"* ]] || fail "$output"
}

@test "v2: what v2 lacks: kernel memory and network are ignored with a warning, realtime is refused" {
  make_bundle true
  set_config '.linux.resources = {memory: {kernel: 16777216, swappiness: 10}, network: {classID: 5}}'
  run_fg "$ID"
  expect_status 0
  [[ $stderr == *"warning: .linux.resources.memory.kernel: ignored"* ]] || fail "$stderr"
  [[ $stderr == *"warning: .linux.resources.memory.swappiness: ignored"* ]] || fail "$stderr"
  [[ $stderr == *"warning: .linux.resources.network: ignored"* ]] || fail "$stderr"
  set_config '.linux.resources = {cpu: {realtimeRuntime: 1000}}'
  run_fg "$ID"
  expect_error "create $ID" ".linux.resources.cpu.realtimeRuntime: cgroup v2 has no realtime"
  set_config '.linux.resources = {unified: {"memory.bogus": "1"}}'
  run_fg "$ID"
  expect_error "create $ID" '.linux.resources.unified["memory.bogus"]'
  [ ! -e "/sys/fs/cgroup/ocirt/$ID" ]
}
