#!/usr/bin/env bats
# hooks: prestart, createRuntime, createContainer, startContainer, poststart, poststop.  Each runs at
# its moment, in its namespaces (runtime-spec config.md "POSIX-platform Hooks"), with the state on
# stdin; failures fail create or start (and clean up), poststop failures are warnings.

load helpers

# A hook, the same script on the host and inside the rootfs (/hook.sh, for startContainer, whose path
# resolves in the container):  hook.sh KIND LOG [fail|hang]
# appends "KIND STATUS PID MNT-NS PID-NS" to LOG, then, with `fail`, says why on stderr and exits 3;
# with `hang`, starts a child and waits forever (both pids go to LOG.pids).
write_hook() {
  cat >"$BUNDLE/rootfs/hook.sh" <<'EOF'
#!/bin/sh
state=$(cat)
status=$(echo "$state" | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p')
pid=$(echo "$state" | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
echo "$1 $status ${pid:-none} $(readlink /proc/self/ns/mnt) $(readlink /proc/self/ns/pid)" >>"$2"
case ${3:-} in
  fail)
    echo "$1 hook broke: something went wrong" >&2
    exit 3
    ;;
  hang)
    sleep 1000 &
    echo "$$ $!" >"$2.pids"
    wait
    ;;
esac
exit 0
EOF
  chmod 755 "$BUNDLE/rootfs/hook.sh"
  HOOK=$BUNDLE/rootfs/hook.sh
  LOG=$BUNDLE/rootfs/hooklog
}

# add_hook KIND [fail|hang] [TIMEOUT]: append a hook.sh hook to .hooks.KIND.  startContainer runs
# in the container, after pivot_root: there it is /hook.sh writing /hooklog, the same file.
add_hook() {
  local kind=$1 mode=${2:-} timeout=${3:-} path=$HOOK log=$LOG
  if [ "$kind" = startContainer ]; then
    path=/hook.sh
    log=/hooklog
  fi
  local args
  args=$(jq -cn --arg k "$kind" --arg l "$log" --arg m "$mode" '["hook.sh", $k, $l] + (if $m == "" then [] else [$m] end)')
  set_config --arg k "$kind" --arg p "$path" --argjson a "$args" --arg t "$timeout" \
    '.hooks[$k] += [{"path": $p, "args": $a} + (if $t == "" then {} else {"timeout": ($t | tonumber)} end)]'
}

add_all_hooks() {
  local k
  for k in prestart createRuntime createContainer startContainer poststart poststop; do
    add_hook "$k"
  done
}

# The first column of the log, one line.
logged_kinds() { cut -d' ' -f1 "$LOG" 2>/dev/null | tr '\n' ' '; }

@test "hooks: order, status, pid and namespaces of all six kinds across create, start, kill and delete" {
  make_bundle 'echo program >>/hooklog; sleep 1000'
  write_hook
  add_all_hooks
  local host_mnt host_pid pid ctr_mnt ctr_pidns
  host_mnt=$(readlink /proc/self/ns/mnt)
  host_pid=$(readlink /proc/self/ns/pid)

  create_ok "$ID"
  pid=$(state_field "$ID" pid)
  ctr_mnt=$(readlink "/proc/$pid/ns/mnt")
  ctr_pidns=$(readlink "/proc/$pid/ns/pid")
  [ "$ctr_mnt" != "$host_mnt" ] && [ "$ctr_pidns" != "$host_pid" ]
  [ "$(logged_kinds)" = "prestart createRuntime createContainer " ] || fail "after create: $(cat "$LOG")"

  run --separate-stderr ocirt start "$ID"
  expect_status 0
  wait_for_file "$BUNDLE/rootfs/hooklog"
  local deadline=$((SECONDS + 10))
  until grep -q '^program$' "$LOG"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "the program did not start: $(cat "$LOG")"
    sleep 0.1
  done
  # the program starts after startContainer; poststart may race with the program's own line
  [ "$(grep -v '^program$' "$LOG" | cut -d' ' -f1 | tr '\n' ' ')" = \
    "prestart createRuntime createContainer startContainer poststart " ] || fail "after start: $(cat "$LOG")"
  [ "$(grep -n . "$LOG" | grep ':program$' | cut -d: -f1)" -gt "$(grep -n '^startContainer ' "$LOG" | cut -d: -f1)" ]

  run --separate-stderr ocirt kill "$ID" KILL
  expect_status 0
  wait_for_status "$ID" stopped
  [ "$(grep -vc '^program$' "$LOG")" -eq 5 ] || fail "kill ran hooks: $(cat "$LOG")"

  run --separate-stderr ocirt delete "$ID"
  expect_status 0
  assert_no_leaks "$ID" "$pid"

  # KIND STATUS PID MNT-NS PID-NS
  local expected="prestart creating $pid $host_mnt $host_pid
createRuntime creating $pid $host_mnt $host_pid
createContainer creating $pid $ctr_mnt $ctr_pidns
startContainer created $pid $ctr_mnt $ctr_pidns
poststart running $pid $host_mnt $host_pid
poststop stopped 0 $host_mnt $host_pid"
  [ "$(grep -v '^program$' "$LOG")" = "$expected" ] || fail "log:" "$(cat "$LOG")" "expected:" "$expected"
}

@test "hooks: run goes through all six kinds, poststop last" {
  make_bundle 'echo program >>/hooklog'
  write_hook
  add_all_hooks
  run_fg "$ID"
  expect_status 0
  [ "$(grep -v '^program$' "$LOG" | cut -d' ' -f1 | tr '\n' ' ')" = \
    "prestart createRuntime createContainer startContainer poststart poststop " ] || fail "$(cat "$LOG")"
  [ "$(tail -n1 "$LOG" | cut -d' ' -f1-2)" = "poststop stopped" ]
  assert_no_leaks "$ID"
}

@test "hooks: args and env are the hook's own, the state JSON is on stdin" {
  make_bundle 'true'
  cat >"$BATS_TEST_TMPDIR/env-hook" <<EOF
#!/bin/sh
{ echo "args=\$*"; env | sort; echo "stdin=\$(cat)"; } >"$BATS_TEST_TMPDIR/env-hook.out"
EOF
  chmod 755 "$BATS_TEST_TMPDIR/env-hook"
  set_config --arg p "$BATS_TEST_TMPDIR/env-hook" \
    '.hooks.createRuntime = [{"path": $p, "args": ["env-hook", "one", "two three"], "env": ["HOOK_A=1", "HOOK_B=x y"]}]
     | .annotations = {"org.example.key": "value"}'
  create_ok "$ID"
  local out=$BATS_TEST_TMPDIR/env-hook.out pid
  pid=$(state_field "$ID" pid)
  grep -qx 'args=one two three' "$out" || fail "$(cat "$out")"
  grep -qx 'HOOK_A=1' "$out"
  grep -qx 'HOOK_B=x y' "$out"
  ! grep -q '^PATH=' "$out" || fail "the hook got ocirt's environment: $(cat "$out")"
  local state
  state=$(sed -n 's/^stdin=//p' "$out")
  [ "$(jq -r .id <<<"$state")" = "$ID" ]
  [ "$(jq -r .status <<<"$state")" = creating ]
  [ "$(jq -r .pid <<<"$state")" = "$pid" ]
  [ "$(jq -r .bundle <<<"$state")" = "$BUNDLE" ]
  [ "$(jq -r '.annotations["org.example.key"]' <<<"$state")" = value ]
  [ -n "$(jq -r .ociVersion <<<"$state")" ]
}

# ---- failures -----------------------------------------------------------------------------------

# create_fails_on KIND: a failing KIND hook fails create with its stderr in the one-line error, the
# program never runs, nothing is left, and the poststop hooks still run (spec: lifecycle step 12).
create_fails_on() {
  make_bundle 'echo program >>/hooklog'
  write_hook
  add_hook "$1" fail
  add_hook poststop
  create_container "$ID"
  expect_error "$1 hook" 'exited with status 3' "$1 hook broke: something went wrong"
  assert_no_leaks "$ID"
  ! grep -q '^program$' "$LOG" || fail "the program ran"
  [ "$(logged_kinds)" = "$1 poststop " ] || fail "$(cat "$LOG")"
  [ "$(tail -n1 "$LOG" | cut -d' ' -f1-2)" = "poststop stopped" ]
}

@test "hooks: a failing prestart hook fails create and cleans up" {
  create_fails_on prestart
}

@test "hooks: a failing createRuntime hook fails create and cleans up" {
  create_fails_on createRuntime
}

@test "hooks: a failing createContainer hook fails create and cleans up" {
  create_fails_on createContainer
}

@test "hooks: a failing startContainer hook fails start, with its message, and stops the container" {
  make_bundle 'echo program >>/hooklog; sleep 1000'
  write_hook
  add_hook startContainer fail
  add_hook poststart
  add_hook poststop
  create_ok "$ID"
  local pid
  pid=$(state_field "$ID" pid)
  run --separate-stderr ocirt start "$ID"
  expect_error "start $ID" 'startContainer hook' 'exited with status 3' 'startContainer hook broke'
  wait_for_status "$ID" stopped
  ! grep -q '^program$' "$LOG" || fail "the program ran"
  run --separate-stderr ocirt delete "$ID"
  expect_status 0
  assert_no_leaks "$ID" "$pid"
  [ "$(logged_kinds)" = "startContainer poststop " ] || fail "$(cat "$LOG")"
}

@test "hooks: a failing poststart hook fails start and stops the container" {
  make_bundle 'sleep 1000'
  write_hook
  add_hook poststart fail
  create_ok "$ID"
  local pid
  pid=$(state_field "$ID" pid)
  run --separate-stderr ocirt start "$ID"
  expect_error "start $ID" 'poststart hook' 'poststart hook broke'
  wait_for_status "$ID" stopped
  alive "$pid" && fail "the container still runs"
  run --separate-stderr ocirt delete "$ID"
  expect_status 0
  assert_no_leaks "$ID" "$pid"
}

@test "hooks: a failing poststart hook fails run, which leaves nothing behind" {
  make_bundle 'echo program >>/hooklog; sleep 1000'
  write_hook
  add_hook poststart fail
  add_hook poststop
  run_fg "$ID"
  expect_error "run $ID" 'poststart hook broke'
  assert_no_leaks "$ID"
  [ "$(logged_kinds | sed 's/program //')" = "poststart poststop " ] || fail "$(cat "$LOG")"
}

@test "hooks: a failing poststop hook is a warning; the next poststop hook runs and delete succeeds" {
  make_bundle 'true'
  write_hook
  add_hook poststop fail
  add_hook poststop
  create_ok "$ID"
  run --separate-stderr ocirt delete "$ID"
  expect_status 0
  [[ $stderr == "ocirt: warning: "*"poststop hook"*"poststop hook broke"* ]] || fail "stderr: $stderr"
  assert_no_leaks "$ID"
  [ "$(logged_kinds)" = "poststop poststop " ] || fail "$(cat "$LOG")"
}

@test "hooks: a hook that outlives its timeout is killed, with its children, and fails create" {
  make_bundle 'touch /started'
  write_hook
  add_hook createRuntime hang 1
  local t0=$SECONDS
  create_container "$ID"
  expect_error 'createRuntime hook' 'timed out after 1 s'
  [ $((SECONDS - t0)) -lt 10 ] || fail "took $((SECONDS - t0)) s"
  assert_no_leaks "$ID"
  [ ! -e "$BUNDLE/rootfs/started" ]
  local hook_pid child_pid
  read -r hook_pid child_pid <"$LOG.pids"
  sleep 0.2
  ! alive "$hook_pid" || fail "the hook ($hook_pid) still runs"
  ! alive "$child_pid" || fail "the hook's child ($child_pid) still runs"
}

@test "hooks: a createContainer hook that outlives its timeout fails create" {
  make_bundle 'touch /started'
  write_hook
  add_hook createContainer hang 1
  create_container "$ID"
  expect_error 'createContainer hook' 'timed out after 1 s'
  assert_no_leaks "$ID"
  [ ! -e "$BUNDLE/rootfs/started" ]
}

@test "hooks: a hook path that does not exist fails create, naming it" {
  make_bundle 'touch /started'
  set_config --arg p "$BATS_TEST_TMPDIR/no-such-hook" '.hooks.prestart = [{"path": $p}]'
  create_container "$ID"
  expect_error 'prestart hook' "$BATS_TEST_TMPDIR/no-such-hook" 'No such file'
  assert_no_leaks "$ID"
}

@test "hooks: a startContainer path resolves in the container, not on the host" {
  make_bundle 'echo program >>/hooklog'
  write_hook
  # /inside/hook.sh exists only in the rootfs
  [ ! -e /inside/hook.sh ]
  mkdir -p "$BUNDLE/rootfs/inside"
  cp "$HOOK" "$BUNDLE/rootfs/inside/hook.sh"
  set_config '.hooks.startContainer = [{"path": "/inside/hook.sh", "args": ["hook.sh", "startContainer", "/hooklog"]}]'
  run_fg "$ID"
  expect_status 0
  grep -q '^startContainer created ' "$LOG" || fail "$(cat "$LOG")"
}
