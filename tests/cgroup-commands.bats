#!/usr/bin/env bats
# The commands that act on a container's cgroup: ps, pause, resume, update, events; and where the
# cgroup is (linux.cgroupsPath, --systemd-cgroup, --cgroup-manager disabled), and that delete removes it.

load helpers

cg() { cat "/sys/fs/cgroup/$1/ocirt/$ID/$2"; }

# Cgroup parents a test makes for its own cgroupsPath (TEST_CGROUP_TOPS, paths under the hierarchies'
# roots, unique to the test): removed after the test, also when it failed half-way.  Never inside
# ocirt's shared "ocirt" parent: emptying that by hand would leave it behind (delete removes it
# when its last container goes).
eval "helpers_$(declare -f teardown)"
teardown() {
  local rc=0 top d
  helpers_teardown || rc=$?
  for top in ${TEST_CGROUP_TOPS:-}; do
    for d in /sys/fs/cgroup/*/"$top"; do
      [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
    done
  done
  return $rc
}

# A counter the container bumps every 50 ms in its rootfs.
counter_bundle() {
  make_bundle 'i=0; while :; do i=$((i+1)); echo $i >/count.new; mv /count.new /count; sleep 0.05; done'
}

@test "pause: a frozen container makes no progress, state and list say paused; resume continues" {
  counter_bundle
  run_detached "$ID"
  expect_status 0
  wait_for_file "$BUNDLE/rootfs/count"
  run --separate-stderr ocirt pause "$ID"
  expect_status 0
  [ "$(cg freezer freezer.state)" = FROZEN ]
  [ "$(state_field "$ID" status)" = paused ]
  run --separate-stderr ocirt list --format json
  [ "$(jq -r --arg id "$ID" '.[] | select(.id == $id) | .status' <<<"$output")" = paused ]
  local a b
  a=$(cat "$BUNDLE/rootfs/count")
  sleep 0.5
  b=$(cat "$BUNDLE/rootfs/count")
  [ "$a" = "$b" ] || fail "the counter moved from $a to $b while paused"
  # paused twice, or delete without --force: refused
  run --separate-stderr ocirt pause "$ID"
  expect_error "pause $ID: container is paused, not running"
  run --separate-stderr ocirt delete "$ID"
  expect_error "paused"
  run --separate-stderr ocirt exec "$ID" true </dev/null 3>&-
  expect_error "paused"
  # --ignore-paused: the exec goes ahead, and its process is frozen with the rest until resume
  ocirt exec --ignore-paused --detach "$ID" sh -c 'echo late >/exec-ran' >/dev/null 2>&1 </dev/null 3>&- &
  local exec_bg=$!
  sleep 1
  [ ! -e "$BUNDLE/rootfs/exec-ran" ] || fail "the exec ran in a frozen container"
  run --separate-stderr ocirt resume "$ID"
  expect_status 0
  [ "$(state_field "$ID" status)" = running ]
  wait "$exec_bg" || fail "exec --ignore-paused failed"
  wait_for_file "$BUNDLE/rootfs/exec-ran"
  sleep 0.5
  b=$(cat "$BUNDLE/rootfs/count")
  [ "$b" -gt "$a" ] || fail "the counter did not move after resume ($a, $b)"
  run --separate-stderr ocirt resume "$ID"
  expect_error "resume $ID: container is running, not paused"
}

@test "pause: delete --force of a paused container leaves nothing" {
  counter_bundle
  run_detached "$ID"
  expect_status 0
  local pid
  pid=$(state_field "$ID" pid)
  run --separate-stderr ocirt pause "$ID"
  expect_status 0
  run --separate-stderr ocirt delete --force "$ID"
  expect_status 0
  assert_no_leaks "$ID" "$pid"
}

@test "pause: a created (not started) container cannot be paused" {
  make_bundle 'sleep 100'
  create_ok "$ID"
  run --separate-stderr ocirt pause "$ID"
  expect_error "pause $ID: container is created, not running"
}

@test "ps: table of ps -ef rows of the container's processes, and --format json" {
  make_bundle 'sleep 1001 & sleep 1002 & wait'
  run_detached "$ID"
  expect_status 0
  local deadline=$((SECONDS + 10))
  until [ "$(wc -l <"/sys/fs/cgroup/pids/ocirt/$ID/cgroup.procs")" -eq 3 ]; do
    [ $SECONDS -lt $deadline ] || fail "not 3 processes: $(cat "/sys/fs/cgroup/pids/ocirt/$ID/cgroup.procs")"
    sleep 0.1
  done
  run --separate-stderr ocirt ps --format json "$ID"
  expect_status 0
  [ "$(jq -c 'sort' <<<"$output")" = "$(sort -n "/sys/fs/cgroup/pids/ocirt/$ID/cgroup.procs" | jq -sc .)" ]
  run --separate-stderr ocirt ps "$ID"
  expect_status 0
  [[ ${lines[0]} == UID*PID*PPID*CMD ]] || fail "$output"
  [ "${#lines[@]}" -eq 4 ] || fail "$output"
  [[ $output == *"sleep 1001"* && $output == *"sleep 1002"* ]]
  [[ $output != *"ps -ef"* ]]
  # ps options pass on
  run --separate-stderr ocirt ps "$ID" -o pid,comm
  expect_status 0
  [ "$(echo ${lines[0]})" = "PID COMMAND" ] || fail "$output"
  [ "${#lines[@]}" -eq 4 ] || fail "$output"
}

@test "update: a running container's memory limit changes what it may allocate" {
  make_bundle 'sleep 1000'
  set_config '.linux.resources.memory.limit = 268435456'
  run_detached "$ID"
  expect_status 0
  run --separate-stderr ocirt exec "$ID" dd if=/dev/zero of=/dev/null bs=64M count=1 </dev/null 3>&-
  expect_status 0
  run --separate-stderr ocirt update --memory 16m "$ID"
  expect_status 0
  [ "$(cg memory memory.limit_in_bytes)" = 16777216 ]
  run --separate-stderr ocirt exec "$ID" dd if=/dev/zero of=/dev/null bs=64M count=1 </dev/null 3>&-
  [ "$status" -eq 137 ] || fail "status $status: the 64 MiB dd was not OOM-killed" "$stderr"
}

@test "update: runc's flags, each leaving the rest as it is" {
  make_bundle 'sleep 1000'
  set_config '.linux.resources = {memory: {limit: 67108864, reservation: 33554432}, cpu: {shares: 256}, pids: {limit: 50}}'
  run_detached "$ID"
  expect_status 0
  run --separate-stderr ocirt update --cpu-quota 20000 --cpu-period 200000 --pids-limit 20 "$ID"
  expect_status 0
  [ "$(cg cpu cpu.cfs_quota_us) $(cg cpu cpu.cfs_period_us) $(cg cpu cpu.shares)" = "20000 200000 256" ]
  [ "$(cg pids pids.max)" = 20 ]
  [ "$(cg memory memory.limit_in_bytes) $(cg memory memory.soft_limit_in_bytes)" = "67108864 33554432" ]
  run --separate-stderr ocirt update --memory-reservation 8m --cpu-shares 2048 --cpuset-cpus 0 --cpuset-mems 0 "$ID"
  expect_status 0
  [ "$(cg memory memory.soft_limit_in_bytes) $(cg cpu cpu.shares) $(cg cpuset cpuset.cpus)" = "8388608 2048 0" ]
  [ "$(cg memory memory.limit_in_bytes)" = 67108864 ]
  run --separate-stderr ocirt exec "$ID" grep Cpus_allowed_list /proc/self/status </dev/null 3>&-
  [[ $output == *[[:space:]]0 ]] || fail "$output"
  run --separate-stderr ocirt update --pids-limit -1 "$ID"
  expect_status 0
  [ "$(cg pids pids.max)" = max ]
  run --separate-stderr ocirt update --memory lots "$ID"
  expect_error "invalid value \`lots\`"
  run --separate-stderr ocirt update --blkio-weight 5 "$ID"
  expect_error ".linux.resources.blockIO.weight: 5 is out of range"
}

@test "update --resources: a JSON file, or - for stdin; flags override it" {
  make_bundle 'sleep 1000'
  run_detached "$ID"
  expect_status 0
  echo '{"pids": {"limit": 7}, "memory": {"limit": 33554432}}' >"$BATS_TEST_TMPDIR/r.json"
  run --separate-stderr ocirt update --resources "$BATS_TEST_TMPDIR/r.json" "$ID"
  expect_status 0
  [ "$(cg pids pids.max) $(cg memory memory.limit_in_bytes)" = "7 33554432" ]
  run --separate-stderr ocirt update --resources - --pids-limit 9 "$ID" <<<'{"pids": {"limit": 8}, "cpu": {"shares": 300}}'
  expect_status 0
  [ "$(cg pids pids.max) $(cg cpu cpu.shares) $(cg memory memory.limit_in_bytes)" = "9 300 33554432" ]
  # docker update's resources (containerd's shim passes them as they are): a weight of 0 is no weight
  run --separate-stderr ocirt update --resources - "$ID" <<<'{"pids": {"limit": 10}, "blockIO": {"weight": 0}, "cpu": {"shares": 0}}'
  expect_status 0
  [ "$(cg pids pids.max) $(cg cpu cpu.shares)" = "10 300" ]
  run --separate-stderr ocirt update --resources - "$ID" <<<'{"pids": {"limit": "x"}}'
  expect_error "update" "resources: .pids.limit"
  run --separate-stderr ocirt update --resources "$BATS_TEST_TMPDIR/none.json" "$ID"
  expect_error "none.json"
}

@test "update of a stopped container fails" {
  make_bundle 'true'
  run_fg --keep "$ID"
  expect_status 0
  run --separate-stderr ocirt update --pids-limit 5 "$ID"
  expect_error "update $ID: container is stopped"
}

@test "events --stats: one JSON object as runc prints it" {
  make_bundle 'sleep 1000'
  set_config '.linux.resources = {memory: {limit: 67108864}, pids: {limit: 33}}'
  run_detached "$ID"
  expect_status 0
  run --separate-stderr ocirt events --stats "$ID"
  expect_status 0
  [ "${#lines[@]}" -eq 1 ]
  [ "$(jq -r .type <<<"$output")" = stats ]
  [ "$(jq -r .id <<<"$output")" = "$ID" ]
  [ "$(jq -r .data.memory.usage.limit <<<"$output")" = 67108864 ]
  [ "$(jq -r .data.memory.usage.usage <<<"$output")" -gt 0 ]
  [ "$(jq -r .data.pids.limit <<<"$output")" = 33 ]
  [ "$(jq -r .data.pids.current <<<"$output")" = 1 ]
  [ "$(jq -r '.data.cpu.usage.total' <<<"$output")" -gt 0 ]
  jq -e '.data.memory.raw.total_rss != null' <<<"$output" >/dev/null
}

@test "events: a stream of stats, and an oom event when a process is OOM-killed; ends when the container stops" {
  make_bundle 'sleep 1000'
  set_config '.linux.resources.memory.limit = 16777216'
  run_detached "$ID"
  expect_status 0
  local out=$BATS_TEST_TMPDIR/events
  ocirt events --interval 300ms "$ID" >"$out" 2>"$out.err" </dev/null 3>&- &
  local ev=$!
  sleep 1
  run --separate-stderr ocirt exec "$ID" dd if=/dev/zero of=/dev/null bs=64M count=1 </dev/null 3>&-
  [ "$status" -eq 137 ]
  local deadline=$((SECONDS + 10))
  until grep -q '"type":"oom"' "$out"; do
    [ $SECONDS -lt $deadline ] || { kill $ev; fail "no oom event:" "$(cat "$out" "$out.err")"; }
    sleep 0.1
  done
  [ "$(grep '"type":"oom"' "$out" | head -1)" = "{\"type\":\"oom\",\"id\":\"$ID\"}" ]
  [ "$(grep -c '"type":"stats"' "$out")" -ge 2 ]
  # the stream ends by itself when the container stops
  run --separate-stderr ocirt kill "$ID" KILL
  expect_status 0
  deadline=$((SECONDS + 10))
  while kill -0 $ev 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { kill $ev; fail "events did not end after the container stopped"; }
    sleep 0.1
  done
  wait $ev
}

@test "events of a container that does not exist fails" {
  run --separate-stderr ocirt events --stats "$ID"
  expect_error "events $ID" "does not exist"
}

@test "cgroupsPath: absolute and relative paths, nested; delete removes the leaf" {
  make_bundle 'sleep 1000'
  TEST_CGROUP_TOPS="$ID-cp"
  local p
  for p in "/$ID-cp/a/b" "$ID-cp/rel"; do
    set_config --arg p "$p" '.linux.cgroupsPath = $p'
    run_detached "$ID"
    expect_status 0
    local pid d
    pid=$(state_field "$ID" pid)
    for d in memory pids cpu freezer unified; do
      grep -qx "$pid" "/sys/fs/cgroup/$d/${p#/}/cgroup.procs" || fail "$pid not in $d/${p#/}"
    done
    [ "$(jq -r .cgroupPath "$ROOT/$ID/state.json")" = "${p#/}" ]
    run --separate-stderr ocirt delete --force "$ID"
    expect_status 0
    for d in memory pids cpu freezer unified systemd; do
      [ ! -e "/sys/fs/cgroup/$d/${p#/}" ] || fail "$d/${p#/} is still there"
    done
  done
  # delete removes the leaf only: the parents of a cgroupsPath are the caller's (teardown removes them)
  [ -d "/sys/fs/cgroup/memory/$ID-cp/a" ] || fail "the parent $ID-cp/a went with the leaf"
}

# ocirt_parent_empty_somewhere: a hierarchy holds an "ocirt" parent with no container cgroup in it.
ocirt_parent_empty_somewhere() {
  local d
  for d in /sys/fs/cgroup/*/ocirt; do
    [ -d "$d" ] && [ -z "$(find "$d" -mindepth 1 -maxdepth 1 -type d)" ] && return 0
  done
  return 1
}

@test "default cgroupsPath: delete of the last container removes the shared ocirt parent" {
  make_bundle 'sleep 1000'
  run_detached "$ID"
  expect_status 0
  run --separate-stderr ocirt delete --force "$ID"
  expect_status 0
  # Containers of other suites running beside this one may come and go: an "ocirt" parent that
  # holds none of them must be gone within a moment.
  local deadline=$((SECONDS + 5))
  while ocirt_parent_empty_somewhere; do
    [ $SECONDS -lt $deadline ] || fail "an empty ocirt parent is left:" "$(ls -d /sys/fs/cgroup/*/ocirt)"
    sleep 0.2
  done
}

@test "cgroupsPath: .. is refused" {
  make_bundle true
  set_config '.linux.cgroupsPath = "ocirt/../../x"'
  run_fg "$ID"
  expect_error ".linux.cgroupsPath" "must not contain \`..\`"
  assert_no_leaks "$ID"
}

@test "--systemd-cgroup: slice:prefix:name is the cgroupfs path systemd would use" {
  make_bundle 'sleep 1000'
  set_config --arg id "$ID" '.linux.cgroupsPath = "-.slice:ocirt:" + $id'
  status=0
  timeout 20 "$OCIRT" --root "$ROOT" --systemd-cgroup run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err" 3>&- || status=$?
  expect_status 0
  local pid
  pid=$(state_field "$ID" pid)
  grep -qx "$pid" "/sys/fs/cgroup/memory/ocirt-$ID.scope/cgroup.procs"
  [ "$(jq -r .cgroupPath "$ROOT/$ID/state.json")" = "ocirt-$ID.scope" ]
  # delete needs no --systemd-cgroup: the path is in the state
  run --separate-stderr ocirt delete --force "$ID"
  expect_status 0
  [ -z "$(ls -d /sys/fs/cgroup/*/"ocirt-$ID.scope" 2>/dev/null)" ]
  # a nested slice: each dash a level (the slices, unique to this test, are removed after)
  local s=ot$$r$RANDOM
  TEST_CGROUP_TOPS="$s.slice"
  set_config --arg s "$s" '.linux.cgroupsPath = $s + "-x.slice:pre:name"'
  status=0
  timeout 20 "$OCIRT" --root "$ROOT" --systemd-cgroup run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err" 3>&- || status=$?
  expect_status 0
  [ "$(jq -r .cgroupPath "$ROOT/$ID/state.json")" = "$s.slice/$s-x.slice/pre-name.scope" ]
  grep -qx "$(state_field "$ID" pid)" "/sys/fs/cgroup/pids/$s.slice/$s-x.slice/pre-name.scope/cgroup.procs"
  run --separate-stderr ocirt delete --force "$ID"
  expect_status 0
  [ -z "$(ls -d /sys/fs/cgroup/*/"$s.slice/$s-x.slice/pre-name.scope" 2>/dev/null)" ]
  # not of that form
  set_config '.linux.cgroupsPath = "just/a/path"'
  run --separate-stderr timeout 20 "$OCIRT" --root "$ROOT" --systemd-cgroup run --bundle "$BUNDLE" "$ID" </dev/null 3>&-
  expect_error ".linux.cgroupsPath" "expected slice:prefix:name"
  set_config '.linux.cgroupsPath = "bad-.slice:p:n"'
  run --separate-stderr timeout 20 "$OCIRT" --root "$ROOT" --systemd-cgroup run --bundle "$BUNDLE" "$ID" </dev/null 3>&-
  expect_error ".linux.cgroupsPath" "is not a slice name"
  assert_no_leaks "$ID"
}

@test "cgroupsPath: joining a cgroup that holds processes is refused (unless the annotation allows it), and the failed create leaves it alone" {
  make_bundle 'sleep 1000'
  run_detached "$ID"
  expect_status 0
  local pid
  pid=$(state_field "$ID" pid)
  set_config --arg p "ocirt/$ID" '.linux.cgroupsPath = $p'
  run_detached "$ID-2"
  expect_status 1
  [[ $stderr == *"create $ID-2: cgroup \`/sys/fs/cgroup/"*"/ocirt/$ID\` already holds processes"* ]] || fail "$stderr"
  grep -qx "$pid" "/sys/fs/cgroup/memory/ocirt/$ID/cgroup.procs"
  alive "$pid"
  [ ! -e "$ROOT/$ID-2" ]
  set_config '.annotations["org.ocirt.cgroup.join-existing"] = "true"'
  run_detached "$ID-2"
  expect_status 0
  grep -qx "$(state_field "$ID-2" pid)" "/sys/fs/cgroup/memory/ocirt/$ID/cgroup.procs"
}

@test "--cgroup-manager disabled: no cgroup is made, resources are ignored with a warning" {
  make_bundle 'cat /proc/self/cgroup; sleep 1000'
  set_config '.linux.resources.pids.limit = 5 | del(.linux.namespaces[] | select(.type == "cgroup"))'
  status=0
  timeout 20 "$OCIRT" --root "$ROOT" --cgroup-manager disabled run -d --bundle "$BUNDLE" "$ID-2" </dev/null >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- || status=$?
  expect_status 0
  grep -q "warning: --cgroup-manager disabled: .linux.resources ignored" "$BATS_TEST_TMPDIR/err"
  [ -z "$(ls -d /sys/fs/cgroup/*/ocirt/"$ID-2" 2>/dev/null)" ]
  local pid
  pid=$(state_field "$ID-2" pid)
  # in ocirt's own cgroups
  [ "$(grep memory: "/proc/$pid/cgroup")" = "$(grep memory: /proc/self/cgroup)" ]
  [ "$(jq -r '.cgroupPath // "none"' "$ROOT/$ID-2/state.json")" = none ]
  run --separate-stderr ocirt ps "$ID-2"
  expect_error "has no cgroup"
  run --separate-stderr ocirt delete --force "$ID-2"
  expect_status 0
  assert_no_leaks "$ID-2" "$pid"
  run --separate-stderr ocirt --cgroup-manager bogus list
  expect_error "--cgroup-manager: expected cgroupfs, systemd or disabled"
}

@test "delete --force of a container with many processes removes its cgroup in every hierarchy" {
  make_bundle 'i=0; while [ $i -lt 60 ]; do sleep 1000 & i=$((i+1)); done; wait'
  run_detached "$ID"
  expect_status 0
  local deadline=$((SECONDS + 10))
  until [ "$(wc -l <"/sys/fs/cgroup/pids/ocirt/$ID/cgroup.procs")" -ge 61 ]; do
    [ $SECONDS -lt $deadline ] || fail "not 61 processes"
    sleep 0.1
  done
  local pids
  pids=$(cat "/sys/fs/cgroup/pids/ocirt/$ID/cgroup.procs")
  run --separate-stderr ocirt delete --force "$ID"
  expect_status 0
  assert_no_leaks "$ID"
  local p
  for p in $pids; do
    ! alive "$p" || fail "process $p survived"
  done
}

@test "a failed create (bad resource) leaves no cgroup in any hierarchy" {
  make_bundle true
  set_config '.linux.resources.cpu.cpus = "64-127"'
  run_detached "$ID"
  expect_error "create $ID" ".linux.resources.cpu.cpus"
  assert_no_leaks "$ID"
  [ -z "$(ls -d /sys/fs/cgroup/*/ocirt/"$ID" 2>/dev/null)" ]
}
