#!/usr/bin/env bats
# The command lines engines use, call for call, without the engines (tests/engines/ runs the engines):
# podman 4 with conmon, and containerd's runc shim (docker the same).  Also the words of the errors
# that engines turn into exit statuses 127 and 126.

load helpers

# A program that reports the signals it gets in the rootfs, and runs until TERM.
SIGNALLER='trap "echo USR1 >>/sigs" USR1; trap "echo TERM >>/sigs; exit 143" TERM; while :; do sleep 0.05; done'

# shim ARGS...: ocirt as the runc shim calls it: --root, --log B/log.json, --log-format json every time.
shim() {
  timeout --kill-after=5 "$OCIRT_TEST_TIMEOUT" "$OCIRT" --root "$ROOT" --log "$BUNDLE/log.json" --log-format json "$@"
}

@test "containerd's runc shim: create, start, exec --process --detach, kill ID N, kill --all, delete, delete --force of a gone id" {
  make_bundle "$SIGNALLER"
  status=0
  (cd "$BUNDLE" && shim create --bundle "$BUNDLE" --pid-file "$BUNDLE/init.pid" "$ID") \
    >"$BATS_TEST_TMPDIR/out" 2>&1 </dev/null 3>&- || status=$?
  expect_status 0
  [ "$(cat "$BUNDLE/init.pid")" = "$(state_field "$ID" pid)" ]
  shim start "$ID"
  jq '.process | .args = ["sleep", "300"] | .terminal = false' "$BUNDLE/config.json" >"$BUNDLE/process.json"
  shim exec --process "$BUNDLE/process.json" --detach --pid-file "$BUNDLE/exec.pid" "$ID" \
    >"$BATS_TEST_TMPDIR/exec.out" 2>&1 </dev/null 3>&-
  local epid
  epid=$(cat "$BUNDLE/exec.pid")
  alive "$epid" || fail "the exec'd process $epid does not run"
  [ "$(cat "/proc/$epid/comm")" = sleep ]
  # the signal number after the id
  shim kill "$ID" 10
  wait_for_file "$BUNDLE/rootfs/sigs"
  grep -qx USR1 "$BUNDLE/rootfs/sigs"
  shim kill --all "$ID" 9
  wait_for_status "$ID" stopped
  ! alive "$epid" || fail "kill --all left the exec'd process $epid"
  shim delete "$ID"
  assert_no_leaks "$ID"
  # containerd deletes again, with --force, an id already gone: that must succeed
  run --separate-stderr shim delete --force "$ID"
  expect_status 0
  # no error was logged on the way
  ! grep -q '"level":"error"' "$BUNDLE/log.json" || fail "$(cat "$BUNDLE/log.json")"
}

@test "containerd's runc shim: warnings go to log.json, not to the stderr it gives (the container's)" {
  make_bundle 'echo out; echo err >&2'
  set_config '.process.capabilities.bounding = ["CAP_KILL", "CAP_NOT_A_THING"]'
  status=0
  (cd "$BUNDLE" && shim run --bundle "$BUNDLE" "$ID") >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" </dev/null 3>&- ||
    status=$?
  expect_status 0
  [ "$(cat "$BATS_TEST_TMPDIR/out")" = out ] || fail "$(cat "$BATS_TEST_TMPDIR/out")"
  [ "$(cat "$BATS_TEST_TMPDIR/err")" = err ] || fail "the program's stderr: $(cat "$BATS_TEST_TMPDIR/err")"
  [[ $(jq -r 'select(.level == "warning") | .msg' "$BUNDLE/log.json") == *".process.capabilities.bounding[1]"*"CAP_NOT_A_THING"* ]] ||
    fail "$(cat "$BUNDLE/log.json")"
  assert_no_leaks "$ID"
}

@test "containerd's runc shim: a failed create ends log.json with a \"level\":\"error\" line saying why" {
  make_bundle
  set_config '.process.args = ["no-such-program"]'
  status=0
  (cd "$BUNDLE" && shim create --bundle "$BUNDLE" --pid-file "$BUNDLE/init.pid" "$ID") \
    >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" </dev/null 3>&- || status=$?
  [ "$status" -ne 0 ]
  local last
  last=$(tail -n 1 "$BUNDLE/log.json")
  [ "$(jq -r .level <<<"$last")" = error ] || fail "$last"
  [[ $(jq -r .msg <<<"$last") == *'exec: "no-such-program": executable file not found in $PATH'* ]] || fail "$last"
  [ ! -e "$BUNDLE/init.pid" ]
  assert_no_leaks "$ID"
}

@test "podman with conmon: --log-format=json --log F, create --pid-file, start, exec --pid-file --process --detach, kill ID 15, delete --force" {
  make_bundle "$SIGNALLER"
  # podman gives the global options in the --opt=value form too
  pm() {
    timeout --kill-after=5 "$OCIRT_TEST_TIMEOUT" "$OCIRT" --root "$ROOT" --log-format=json --log "$BUNDLE/oci-log" "$@"
  }
  status=0
  pm create --bundle "$BUNDLE" --pid-file "$BUNDLE/pidfile" "$ID" >"$BATS_TEST_TMPDIR/out" 2>&1 </dev/null 3>&- || status=$?
  expect_status 0
  pm start "$ID"
  jq '.process | .args = ["sh", "-c", "echo exec >/exec-ran"]' "$BUNDLE/config.json" >"$BUNDLE/exec.json"
  pm exec --pid-file "$BUNDLE/exec.pid" --process "$BUNDLE/exec.json" --detach "$ID" \
    >"$BATS_TEST_TMPDIR/exec.out" 2>&1 </dev/null 3>&-
  [ -s "$BUNDLE/exec.pid" ]
  wait_for_file "$BUNDLE/rootfs/exec-ran"
  pm kill "$ID" 15
  wait_for_status "$ID" stopped
  grep -qx TERM "$BUNDLE/rootfs/sigs"
  pm delete --force "$ID"
  assert_no_leaks "$ID"
  ! grep -q '"level":"error"' "$BUNDLE/oci-log" || fail "$(cat "$BUNDLE/oci-log")"
}

@test "a program not found or not executable: the words docker and podman map to 127 and 126" {
  make_bundle
  set_config '.process.args = ["no-such-program"]'
  run_fg "$ID"
  expect_error 'exec: "no-such-program": executable file not found in $PATH'
  set_config '.process.args = ["/no/such/program"]'
  run_fg "$ID"
  expect_error 'exec: "/no/such/program": stat /no/such/program: no such file or directory'
  printf '#!/bin/sh\n' >"$BUNDLE/rootfs/noexec"
  chmod 644 "$BUNDLE/rootfs/noexec"
  set_config '.process.args = ["/noexec"]'
  run_fg "$ID"
  expect_error 'exec: "/noexec": permission denied'
  assert_no_leaks "$ID"
}

@test "contrib/engines: docker's daemon.json and the RuntimeClass name ocirt" {
  local dir
  dir=$(repo)/contrib/engines
  [ "$(jq -r '.runtimes.ocirt.path' "$dir/docker-daemon.json")" = /usr/local/sbin/ocirt ]
  grep -qx 'handler: ocirt' "$dir/kubernetes-runtimeclass.yaml"
  grep -qx 'runtime_path = "/usr/local/sbin/ocirt"' "$dir/crio-ocirt.conf"
  grep -qx 'ocirt = \["/usr/local/sbin/ocirt", "/usr/sbin/ocirt"\]' "$dir/containers.conf"
}
