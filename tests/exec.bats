#!/usr/bin/env bats
# ocirt exec: a new process in a running container, seen from inside (namespaces, cgroup, identity,
# capabilities, seccomp) and from the host (pid file, cgroup membership, exit status).

load helpers

# start_sleeper [JQ-EXPR]: a running container $ID (sleep), with config edits.
start_sleeper() {
  make_bundle 'sleep 1000'
  [ $# -eq 0 ] || set_config "$@"
  run_detached "$ID"
  expect_status 0
  wait_for_status "$ID" running
  INIT_PID=$(state_field "$ID" pid)
}

# ex ARGS...: `ocirt exec` through bats' run, stdout and stderr apart, stdin /dev/null.
ex() { run --separate-stderr ocirt exec "$@" </dev/null 3>&-; }

@test "exec runs in every namespace and the cgroup of the container" {
  start_sleeper
  ex "$ID" sh -c 'for n in ipc mnt net pid uts cgroup; do echo "$n $(readlink /proc/self/ns/$n)"; done'
  expect_status 0
  local n inside host
  for n in ipc mnt net pid uts cgroup; do
    inside=$(awk -v n="$n" '$1 == n {print $2}' <<<"$output")
    host=$(readlink "/proc/$INIT_PID/ns/$n")
    [ "$inside" = "$host" ] || fail "$n: exec sees $inside, the container's init is in $host"
    [ "$host" != "$(readlink "/proc/self/ns/$n")" ] || fail "$n: the container shares the host's namespace"
  done
  # the pid namespace: the exec'd shell is not pid 1, and sees the container's init as pid 1
  ex "$ID" sh -c 'echo $$; cat /proc/1/cmdline | tr "\0" " "'
  expect_status 0
  [[ ${lines[0]} -gt 1 && ${lines[1]} == "sleep 1000 " ]] || fail "$output"
}

@test "exec --detach --pid-file: the process runs in the container's cgroup, seen from the host" {
  start_sleeper
  # stdio on files: the detached process keeps them open (see spawn in helpers.bash)
  status=0
  ocirt exec --detach --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$ID" sleep 300 \
    >"$BATS_TEST_TMPDIR/out" 2>&1 </dev/null 3>&- || status=$?
  expect_status 0
  local pid
  pid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
  alive "$pid" || fail "pid $pid from the pid file does not run"
  grep -q ":pids:/ocirt/$ID\$" "/proc/$pid/cgroup" || fail "$(cat "/proc/$pid/cgroup")"
  [ "$(readlink "/proc/$pid/ns/mnt")" = "$(readlink "/proc/$INIT_PID/ns/mnt")" ]
  [ "$(readlink "/proc/$pid/root")" = / ]
}

@test "exec passes on the exit status, 128+N for a signal, and the process's output" {
  start_sleeper
  ex "$ID" sh -c 'echo out; echo err >&2; exit 7'
  [ "$status" -eq 7 ] && [ "$output" = out ] && [ "$stderr" = err ]
  ex "$ID" sh -c 'kill -TERM $$'
  [ "$status" -eq 143 ] || fail "status $status"
}

@test "exec --env --cwd --user --additional-gids" {
  start_sleeper '.process.env += ["KEEP=1", "OVER=old"]'
  ex --env OVER=new --env NEW=2 --cwd /tmp --user 1000:1001 --additional-gids 2000 --additional-gids 2001 \
    "$ID" sh -c 'echo "$KEEP $OVER $NEW"; pwd; id -u; id -g; grep ^Groups: /proc/self/status'
  expect_status 0
  [ "${lines[0]}" = "1 new 2" ] || fail "env: ${lines[0]}"
  [ "${lines[1]}" = /tmp ] && [ "${lines[2]}" = 1000 ] && [ "${lines[3]}" = 1001 ] || fail "$output"
  [[ ${lines[4]} == *2000*2001* ]] || fail "groups: ${lines[4]}"
}

@test "exec gets the container's capabilities, rlimits and no_new_privs; --cap and --no-new-privs add" {
  # A non-root user keeps exactly its ambient set across exec (root would get the bounding set).
  start_sleeper '.process.user = {uid: 1000, gid: 1000}
                 | .process.capabilities = {bounding: ["CAP_KILL", "CAP_CHOWN"], effective: ["CAP_KILL"],
                                            permitted: ["CAP_KILL"], inheritable: ["CAP_KILL"], ambient: ["CAP_KILL"]}
                 | .process.rlimits = [{type: "RLIMIT_NOFILE", soft: 123, hard: 456}]
                 | .process.noNewPrivileges = false'
  ex "$ID" sh -c 'grep -E "^(CapEff|CapBnd|CapAmb|NoNewPrivs)" /proc/self/status; ulimit -n'
  expect_status 0
  [[ $output == *"CapEff:"*"0000000000000020"* ]] || fail "CapEff: $output" # CAP_KILL = 5
  [[ $output == *"CapBnd:"*"0000000000000021"* ]] || fail "CapBnd: $output" # + CAP_CHOWN = 0
  [[ $output == *"CapAmb:"*"0000000000000020"* ]] || fail "CapAmb: $output"
  [[ $output == *"NoNewPrivs:"*0* ]] || fail "$output"
  [ "${lines[4]}" = 123 ] || fail "ulimit -n: ${lines[4]}"
  # --cap adds to the bounding set (root then has it in effective too), --no-new-privs sets the bit
  ex --cap CAP_NET_RAW --no-new-privs --user 0:0 "$ID" grep -E '^(CapBnd|CapEff|NoNewPrivs)' /proc/self/status
  expect_status 0
  [[ $output == *"CapBnd:"*"0000000000002021"* ]] || fail "--cap: $output" # CAP_NET_RAW = 13
  [[ $output == *"CapEff:"*"0000000000002021"* ]] || fail "--cap: $output"
  [[ $output == *"NoNewPrivs:"*1* ]] || fail "--no-new-privs: $output"
}

@test "exec --process FILE runs that process" {
  start_sleeper
  jq -n '{args: ["sh", "-c", "echo $WHO; pwd; id -u"], env: ["PATH=/bin:/sbin", "WHO=from-file"],
          cwd: "/etc", user: {uid: 1234, gid: 1234}}' >"$BATS_TEST_TMPDIR/process.json"
  ex --process "$BATS_TEST_TMPDIR/process.json" "$ID"
  expect_status 0
  [ "$output" = "$(printf 'from-file\n/etc\n1234')" ] || fail "$output"
  echo '{"args": 1, "cwd": "/", "user": {"uid": 0, "gid": 0}}' >"$BATS_TEST_TMPDIR/bad.json"
  ex --process "$BATS_TEST_TMPDIR/bad.json" "$ID"
  expect_error "bad.json" ".args"
}

@test "exec --preserve-fds passes fds; no other host fd reaches the process" {
  start_sleeper
  echo secret-fd-content >"$BATS_TEST_TMPDIR/passed"
  run --separate-stderr ocirt exec --preserve-fds 1 "$ID" sh -c 'cat <&3; ls /proc/self/fd' \
    3<"$BATS_TEST_TMPDIR/passed" 4<"$BATS_TEST_TMPDIR/passed" </dev/null
  expect_status 0
  [ "${lines[0]}" = secret-fd-content ] || fail "$output"
  # 0 1 2 3, and the fd ls itself opens on /proc/self/fd: nothing else (fd 4 stays outside)
  local fds
  fds=$(printf '%s\n' "${lines[@]:1}" | sort -n | tr '\n' ' ')
  [[ $fds == "0 1 2 3 "* ]] && [ "$(wc -w <<<"$fds")" -le 5 ] || fail "fds in the container: $fds"
}

# CVE-2024-21626: a host directory fd leaked into the new process and a cwd of /proc/self/fd/N
# would put the process in the host's filesystem.  Attack: ocirt is started holding host folders
# open (fds 5-9, not close-on-exec, as a careless engine might); defence: exec closes every fd
# but the preserved ones before chdir, and checks the cwd is inside the container.
@test "exec --cwd /proc/self/fd/N cannot reach the host (CVE-2024-21626)" {
  start_sleeper
  touch "$BATS_TEST_TMPDIR/host-secret"
  local n
  for n in 3 4 5 6 7 8 9; do
    run --separate-stderr "$OCIRT" --root "$ROOT" exec --cwd "/proc/self/fd/$n" "$ID" ls \
      5<"$BATS_TEST_TMPDIR" 6<"$BATS_TEST_TMPDIR" 7</ 8</etc 9<"$BATS_TEST_TMPDIR" </dev/null
    [ "$status" -ne 0 ] || fail "cwd /proc/self/fd/$n was accepted: $output"
    [[ $output != *host-secret* ]] || fail "fd $n reached the host: $output"
  done
}

@test "exec applies the container's seccomp filter" {
  start_sleeper '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
                                   syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 28}]}'
  ex "$ID" sh -c 'mkdir /tmp/x; grep ^Seccomp: /proc/self/status'
  [[ $stderr == *"No space left on device"* ]] || fail "$stderr"
  [[ $output == *"Seccomp:"*2* ]] || fail "$output"
  # a process JSON cannot leave the filter out: the container's is the exec's, whatever it says
  jq -n '{args: ["sh", "-c", "mkdir /tmp/y; grep ^Seccomp: /proc/self/status"], cwd: "/", user: {uid: 0, gid: 0},
          env: ["PATH=/bin:/sbin"]}' >"$BATS_TEST_TMPDIR/process.json"
  ex --process "$BATS_TEST_TMPDIR/process.json" "$ID"
  [[ $stderr == *"No space left on device"* ]] || fail "--process: $stderr"
  [[ $output == *"Seccomp:"*2* ]] || fail "--process: $output"
}

@test "exec errors: a stopped or missing container, no command, a program not found" {
  make_bundle true
  run_fg --keep "$ID"
  expect_status 0
  ex "$ID" true
  expect_error "exec $ID" "stopped"
  ex nosuch-container-id true
  expect_error "nosuch-container-id"
  ocirt delete "$ID"
  start_sleeper
  ex "$ID"
  expect_error "no command"
  ex "$ID" /no/such/program
  [ "$status" -ne 0 ] && [[ $stderr == *"/no/such/program"* ]] || fail "$status $stderr"
  ex --user nobody "$ID" true
  expect_error "--user"
  ex --env NOEQUALS "$ID" true
  expect_error "--env"
  # this host runs neither AppArmor nor SELinux: a label asked for is refused, never dropped
  ex --apparmor some-profile "$ID" true
  expect_error "apparmorProfile"
  ex --process-label system_u:system_r:container_t:s0 "$ID" true
  expect_error "selinuxLabel"
}

@test "exec forwards signals to the process" {
  start_sleeper
  # ocirt itself, not through timeout (which would take the signal); a watchdog bounds it instead
  "$OCIRT" --root "$ROOT" exec "$ID" sh -c 'trap "echo got-term; exit 5" TERM; echo ready; while :; do sleep 0.1; done' \
    >"$BATS_TEST_TMPDIR/out" 2>&1 </dev/null 3>&- &
  local execpid=$!
  (sleep 20 && kill -KILL "$execpid") 2>/dev/null 3>&- &
  local watchdog=$!
  local deadline=$((SECONDS + 10))
  until grep -q ready "$BATS_TEST_TMPDIR/out"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "exec did not start"
    sleep 0.1
  done
  kill -TERM "$execpid"
  local rc=0
  wait "$execpid" || rc=$?
  kill "$watchdog" 2>/dev/null || true
  [ "$rc" -eq 5 ] || fail "exit status $rc: $(cat "$BATS_TEST_TMPDIR/out")"
  grep -q got-term "$BATS_TEST_TMPDIR/out"
}
