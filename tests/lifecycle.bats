#!/usr/bin/env bats
# The container lifecycle: create, start, run, state, kill, delete, and what the process sees inside.

load helpers

@test "lifecycle: create, start, kill, delete" {
  make_bundle 'touch /started; sleep 1000'
  create_ok "$ID"

  # created: init exists, the user's program has not started
  run --separate-stderr ocirt state "$ID"
  expect_status 0
  [ "$(jq -r .status <<<"$output")" = created ]
  local pid
  pid=$(jq -r .pid <<<"$output")
  [ "$pid" -gt 0 ]
  alive "$pid"
  sleep 0.5
  [ ! -e "$BUNDLE/rootfs/started" ] || fail "the program ran before start"
  [ -d "$ROOT/$ID" ]

  # start: running, the program runs, in the same process
  run --separate-stderr ocirt start "$ID"
  expect_status 0
  wait_for_file "$BUNDLE/rootfs/started"
  [ "$(state_field "$ID" status)" = running ]
  [ "$(state_field "$ID" pid)" = "$pid" ]
  alive "$pid"

  # kill: stopped, pid 0
  run --separate-stderr ocirt kill "$ID" KILL
  expect_status 0
  wait_for_status "$ID" stopped
  [ "$(state_field "$ID" pid)" = 0 ]

  # delete: nothing left
  run --separate-stderr ocirt delete "$ID"
  expect_status 0
  assert_no_leaks "$ID" "$pid"
  run --separate-stderr ocirt state "$ID"
  expect_error "$ID"
}

@test "create leaves the container in the cgroup ocirt/ID" {
  make_bundle 'sleep 1000'
  create_ok "$ID"
  local pid d found=0
  pid=$(state_field "$ID" pid)
  for d in /sys/fs/cgroup/unified/ocirt/"$ID" /sys/fs/cgroup/memory/ocirt/"$ID" /sys/fs/cgroup/pids/ocirt/"$ID"; do
    [ -d "$d" ] || fail "no cgroup $d"
    grep -qx "$pid" "$d/cgroup.procs" || fail "$pid not in $d/cgroup.procs"
    found=$((found + 1))
  done
  [ "$found" -eq 3 ]
  run --separate-stderr ocirt delete --force "$ID"
  expect_status 0
  assert_no_leaks "$ID" "$pid"
}

@test "delete of a created container (never started) kills it" {
  make_bundle 'touch /started; sleep 1000'
  create_ok "$ID"
  local pid
  pid=$(state_field "$ID" pid)
  run --separate-stderr ocirt delete "$ID"
  expect_status 0
  sleep 0.2
  assert_no_leaks "$ID" "$pid"
  [ ! -e "$BUNDLE/rootfs/started" ]
}

@test "run: the program is pid 1" {
  make_bundle 'echo $$'
  run_fg "$ID"
  expect_status 0
  [ "$output" = 1 ]
  assert_no_leaks "$ID"
}

@test "run: default hostname is ocirt" {
  make_bundle 'hostname'
  run_fg "$ID"
  expect_status 0
  [ "$output" = ocirt ]
}

@test "run: hostname from config" {
  make_bundle 'hostname; cat /proc/sys/kernel/hostname'
  set_config '.hostname = "web-1"'
  run_fg "$ID"
  expect_status 0
  [ "${lines[0]}" = web-1 ]
  [ "${lines[1]}" = web-1 ]
  [ "$(hostname)" != web-1 ]
}

@test "run: only lo in the network namespace" {
  make_bundle 'ip -o link'
  run_fg "$ID"
  expect_status 0
  [ "${#lines[@]}" -eq 1 ] || fail "ip -o link:" "$output"
  [[ ${lines[0]} == *": lo:"* ]] || fail "ip -o link:" "$output"
}

@test "run: exit status of the program (0)" {
  make_bundle 'true'
  run_fg "$ID"
  expect_status 0
  assert_no_leaks "$ID"
}

@test "run: exit status of the program (7)" {
  make_bundle 'exit 7'
  run_fg "$ID"
  expect_status 7
  [ -z "$stderr" ] || fail "unexpected stderr: $stderr"
  assert_no_leaks "$ID"
}

@test "run: a container killed by a signal exits 128+N" {
  # pid 1 of a pid namespace can't be killed from inside; kill it from outside while `run` waits.
  make_bundle 'touch /ready; sleep 1000'
  ocirt run --bundle "$BUNDLE" "$ID" >"$BATS_TEST_TMPDIR/run.out" 2>"$BATS_TEST_TMPDIR/run.err" </dev/null 3>&- &
  local runpid=$! rc=0 pid
  wait_for_file "$BUNDLE/rootfs/ready"
  wait_for_status "$ID" running
  pid=$(state_field "$ID" pid)
  run --separate-stderr ocirt kill "$ID" KILL
  expect_status 0
  wait "$runpid" || rc=$?
  [ "$rc" -eq 137 ] || fail "ocirt run exited $rc, expected 137" "stderr: $(cat "$BATS_TEST_TMPDIR/run.err")"
  assert_no_leaks "$ID" "$pid"
}

@test "run: without --keep the container is deleted when it exits" {
  make_bundle 'true'
  run_fg "$ID"
  expect_status 0
  [ ! -e "$ROOT/$ID" ]
  run --separate-stderr ocirt list -q
  expect_status 0
  [ -z "$output" ]
  assert_no_leaks "$ID"
}

@test "run --keep: a stopped container stays, state says stopped" {
  make_bundle 'exit 3'
  run_fg --keep "$ID"
  expect_status 3
  run --separate-stderr ocirt state "$ID"
  expect_status 0
  [ "$(jq -r .status <<<"$output")" = stopped ]
  [ "$(jq -r .pid <<<"$output")" = 0 ]
  run --separate-stderr ocirt delete "$ID"
  expect_status 0
  assert_no_leaks "$ID"
}

@test "run --detach: returns while the program runs" {
  make_bundle 'touch /started; sleep 1000'
  local t0=$SECONDS
  run_detached --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  expect_status 0
  [ $((SECONDS - t0)) -lt 20 ]
  wait_for_file "$BUNDLE/rootfs/started"
  [ "$(state_field "$ID" status)" = running ]
  local pid
  pid=$(cat "$BATS_TEST_TMPDIR/pid")
  [ "$pid" = "$(state_field "$ID" pid)" ]
  alive "$pid"
  run --separate-stderr ocirt kill "$ID" KILL
  expect_status 0
  wait_for_status "$ID" stopped
  run --separate-stderr ocirt delete "$ID"
  expect_status 0
  assert_no_leaks "$ID" "$pid"
}

@test "delete of a running container is refused without --force" {
  make_bundle 'sleep 1000'
  create_ok "$ID"
  run --separate-stderr ocirt start "$ID"
  expect_status 0
  wait_for_status "$ID" running
  local pid
  pid=$(state_field "$ID" pid)

  run --separate-stderr ocirt delete "$ID"
  expect_error "$ID"
  [ "$(state_field "$ID" status)" = running ]
  alive "$pid"

  run --separate-stderr ocirt delete --force "$ID"
  expect_status 0
  sleep 0.2
  assert_no_leaks "$ID" "$pid"
}

@test "delete -f (short option) of a running container" {
  make_bundle 'sleep 1000'
  run_detached "$ID"
  expect_status 0
  local pid
  pid=$(state_field "$ID" pid)
  run --separate-stderr ocirt delete -f "$ID"
  expect_status 0
  sleep 0.2
  assert_no_leaks "$ID" "$pid"
}

@test "delete --force of an unknown id succeeds" {
  run --separate-stderr ocirt delete --force "$ID"
  expect_status 0
}

@test "delete of an unknown id fails" {
  run --separate-stderr ocirt delete "$ID"
  expect_error "$ID"
}

@test "state of an unknown id fails" {
  run --separate-stderr ocirt state "$ID"
  expect_error "$ID"
}

@test "create --pid-file holds the container's pid" {
  make_bundle 'sleep 1000'
  create_ok --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  [ -s "$BATS_TEST_TMPDIR/pid" ]
  local pid
  pid=$(cat "$BATS_TEST_TMPDIR/pid")
  [[ $pid =~ ^[0-9]+$ ]] || fail "pid file holds '$pid'"
  [ "$pid" = "$(state_field "$ID" pid)" ]
  alive "$pid"
}

@test "run --no-pivot" {
  make_bundle 'echo pivot-less; ls /'
  run_fg --no-pivot "$ID"
  expect_status 0
  [ "${lines[0]}" = pivot-less ]
  [[ $output == *busybox* || $output == *bin* ]]
  assert_no_leaks "$ID"
}

# kill with a TERM signal written as $1; the program traps TERM (pid 1 would otherwise ignore it).
kill_term_with() {
  make_bundle 'trap "exit 0" TERM; touch /ready; while :; do sleep 0.1; done'
  run_detached "$ID"
  expect_status 0
  wait_for_file "$BUNDLE/rootfs/ready"
  run --separate-stderr ocirt kill "$ID" "$1"
  expect_status 0
  wait_for_status "$ID" stopped
}

@test "kill ID TERM" {
  kill_term_with TERM
}

@test "kill ID SIGTERM" {
  kill_term_with SIGTERM
}

@test "kill ID 15" {
  kill_term_with 15
}

@test "kill ID: default signal is TERM" {
  make_bundle 'trap "exit 0" TERM; touch /ready; while :; do sleep 0.1; done'
  run_detached "$ID"
  expect_status 0
  wait_for_file "$BUNDLE/rootfs/ready"
  run --separate-stderr ocirt kill "$ID"
  expect_status 0
  wait_for_status "$ID" stopped
}

@test "kill: a sleeping pid 1 ignores TERM, dies of KILL" {
  make_bundle 'sleep 1000'
  run_detached "$ID"
  expect_status 0
  run --separate-stderr ocirt kill "$ID" TERM
  expect_status 0
  sleep 0.5
  [ "$(state_field "$ID" status)" = running ]
  run --separate-stderr ocirt kill "$ID" 9
  expect_status 0
  wait_for_status "$ID" stopped
}

@test "kill with a bad signal name is refused" {
  make_bundle 'sleep 1000'
  run_detached "$ID"
  expect_status 0
  run --separate-stderr ocirt kill "$ID" NOSUCHSIG
  expect_error NOSUCHSIG
  [ "$(state_field "$ID" status)" = running ]
  run --separate-stderr ocirt kill "$ID" 12345
  [ "$status" -eq 1 ]
  [ "$(state_field "$ID" status)" = running ]
}

@test "kill of a stopped container fails" {
  make_bundle 'true'
  create_ok "$ID"
  run --separate-stderr ocirt start "$ID"
  expect_status 0
  wait_for_status "$ID" stopped
  run --separate-stderr ocirt kill "$ID" KILL
  expect_error "$ID"
  [ "$(state_field "$ID" status)" = stopped ]
}

@test "kill of an unknown container fails" {
  run --separate-stderr ocirt kill "$ID" KILL
  expect_error "$ID"
}

@test "kill --all kills every process of the container" {
  make_bundle 'sleep 1000 & sleep 1000 & touch /ready; wait'
  run_detached "$ID"
  expect_status 0
  wait_for_file "$BUNDLE/rootfs/ready"
  local procs
  procs=$(cat /sys/fs/cgroup/pids/ocirt/"$ID"/cgroup.procs)
  [ "$(wc -l <<<"$procs")" -ge 3 ] || fail "expected 3 processes in the cgroup:" "$procs"
  run --separate-stderr ocirt kill --all "$ID" KILL
  expect_status 0
  wait_for_status "$ID" stopped
  local p
  for p in $procs; do
    ! alive "$p" || fail "process $p survived kill --all"
  done
}

@test "start twice: the second start fails" {
  make_bundle 'sleep 1000'
  create_ok "$ID"
  run --separate-stderr ocirt start "$ID"
  expect_status 0
  wait_for_status "$ID" running
  run --separate-stderr ocirt start "$ID"
  expect_error "$ID"
  [ "$(state_field "$ID" status)" = running ]
}

@test "start of an unknown container fails" {
  run --separate-stderr ocirt start "$ID"
  expect_error "$ID"
}

@test "create with an existing id fails and leaves the first container intact" {
  make_bundle 'touch /started; sleep 1000'
  create_ok "$ID"
  local pid
  pid=$(state_field "$ID" pid)
  local first=$BUNDLE
  make_bundle 'touch /second; sleep 1000'
  create_container "$ID"
  expect_error "$ID"
  [ "$(state_field "$ID" status)" = created ]
  [ "$(state_field "$ID" pid)" = "$pid" ]
  [ "$(state_field "$ID" bundle)" = "$(realpath "$first")" ]
  alive "$pid"
  run --separate-stderr ocirt start "$ID"
  expect_status 0
  wait_for_file "$first/rootfs/started"
  [ ! -e "$BUNDLE/rootfs/second" ]
}

# create with an invalid id $1 must fail, leaving nothing behind.
invalid_id() {
  make_bundle 'touch /started; sleep 1000'
  local before after
  before=$(ls -A "$BATS_TEST_TMPDIR")
  create_container "$1"
  [ "$status" -eq 1 ] || fail "create '$1': expected exit status 1, got $status" "stderr: $stderr"
  [ -n "$stderr" ] && [ "$(wc -l <<<"$stderr")" -eq 1 ] && [[ $stderr == "ocirt: "* ]] ||
    fail "expected one 'ocirt: ' line on stderr:" "$stderr"
  [[ ${stderr,,} =~ id|name|long|invalid ]] || fail "the message does not say what is wrong with the id:" "$stderr"
  [ -z "$(ls -A "$ROOT")" ] || fail "state root not empty:" "$(ls -A "$ROOT")"
  after=$(ls -A "$BATS_TEST_TMPDIR" | grep -v '^spawn[0-9]*\.\(out\|err\)$' || true)
  before=$(grep -v '^spawn[0-9]*\.\(out\|err\)$' <<<"$before" || true)
  [ "$before" = "$after" ] || fail "files appeared in the test folder:" "$after"
  sleep 0.3
  [ ! -e "$BUNDLE/rootfs/started" ]
  [ -z "$(_test_mounts)" ] || fail "mounts left:" "$(_test_mounts)"
}

@test "invalid id: .." {
  invalid_id ..
}

@test "invalid id: a/b" {
  invalid_id "$ID/b"
}

@test "invalid id: empty" {
  invalid_id ""
}

@test "invalid id: 2000 characters" {
  invalid_id "$(printf 'a%.0s' {1..2000})"
}

@test "invalid id: ." {
  invalid_id .
}

@test "stdio: stdout and stderr pass through separately" {
  make_bundle 'echo to-stdout; echo to-stderr >&2'
  run_fg "$ID"
  expect_status 0
  [ "$output" = to-stdout ]
  [ "$stderr" = to-stderr ]
}

@test "stdio: stdin is read by the program" {
  make_bundle 'cat; echo done'
  run --separate-stderr bash -c 'printf "hello\nworld\n" | "$@"' _ \
    timeout 60 "$OCIRT" --root "$ROOT" run --bundle "$BUNDLE" "$ID" 3>&-
  expect_status 0
  [ "${lines[0]}" = hello ]
  [ "${lines[1]}" = world ]
  [ "${lines[2]}" = "done" ]
}

@test "stdio: stdin at end of file" {
  make_bundle 'cat; echo done'
  run_fg "$ID"
  expect_status 0
  [ "$output" = "done" ]
}

@test "file descriptors other than 0, 1, 2 are closed inside" {
  # `ls /proc/self/fd` lists ls's own descriptors: 0 1 2 and the one it opened to read the folder.
  make_bundle 'ls /proc/self/fd'
  run --separate-stderr ocirt run --bundle "$BUNDLE" "$ID" </dev/null 3>&- 5</dev/null 7>"$BATS_TEST_TMPDIR/seven" 9<"$BUNDLE/config.json"
  expect_status 0
  [ "$(sort -n <<<"$output" | tr '\n' ' ')" = "0 1 2 3 " ] || fail "descriptors inside:" "$output"
}

@test "create --preserve-fds passes descriptors 3.. through" {
  make_bundle 'cat <&3; cat <&4'
  echo three >"$BATS_TEST_TMPDIR/three"
  echo four >"$BATS_TEST_TMPDIR/four"
  run --separate-stderr ocirt run --preserve-fds 2 --bundle "$BUNDLE" "$ID" </dev/null 3<"$BATS_TEST_TMPDIR/three" 4<"$BATS_TEST_TMPDIR/four"
  expect_status 0
  [ "${lines[0]}" = three ]
  [ "${lines[1]}" = four ]
}

@test "process: args, env, cwd, uid and gid from config" {
  make_bundle
  # shellcheck disable=SC2016 # expanded inside the container
  set_config '.process.args = ["sh", "-c", "echo \"$1|$2\"; id -u; id -g; pwd; echo \"$FOO\"; env", "zero", "a b", "c"]
    | .process.env += ["FOO=bar baz"]
    | .process.cwd = "/tmp"
    | .process.user = {"uid": 65534, "gid": 65534}'
  run_fg "$ID"
  expect_status 0
  [ "${lines[0]}" = "a b|c" ]
  [ "${lines[1]}" = 65534 ]
  [ "${lines[2]}" = 65534 ]
  [ "${lines[3]}" = /tmp ]
  [ "${lines[4]}" = "bar baz" ]
  grep -qx 'FOO=bar baz' <<<"$output"
  grep -qx 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' <<<"$output"
}

@test "process: the environment is exactly the config's (plus HOME)" {
  make_bundle 'env'
  set_config '.process.env = ["PATH=/bin:/sbin:/usr/bin", "ONLY=this"]'
  run_fg "$ID"
  expect_status 0
  local rest
  rest=$(grep -v -e '^PATH=/bin:/sbin:/usr/bin$' -e '^ONLY=this$' -e '^HOME=' -e '^PWD=' -e '^SHLVL=' <<<"$output" || true)
  [ -z "$rest" ] || fail "unexpected variables:" "$rest"
  grep -qx 'ONLY=this' <<<"$output"
}

@test "process: additionalGids" {
  make_bundle 'id -G'
  set_config '.process.user = {"uid": 65534, "gid": 65534, "additionalGids": [10, 20]}'
  run_fg "$ID"
  expect_status 0
  [ "$(tr ' ' '\n' <<<"$output" | sort -n | tr '\n' ' ')" = "10 20 65534 " ] || fail "id -G: $output"
}

@test "process: a non-root user can not write to /root" {
  make_bundle 'touch /root/x'
  set_config '.process.user = {"uid": 65534, "gid": 65534}'
  run_fg "$ID"
  [ "$status" -ne 0 ]
  [ ! -e "$BUNDLE/rootfs/root/x" ]
}

@test "root.readonly: the rootfs is read-only" {
  make_bundle 'touch /x 2>/dev/null && echo writable; touch /tmp/y 2>/dev/null && echo tmp-writable; echo done'
  set_config '.root.readonly = true'
  run_fg "$ID"
  expect_status 0
  [ "$output" = "done" ] || fail "output: $output"
  [ ! -e "$BUNDLE/rootfs/x" ]
}
