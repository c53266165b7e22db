#!/usr/bin/env bats
# Stress: many lifecycles at once with readers on the side, and containers that resist delete.
# Bounded in time everywhere: a hang fails the test, it does not stall the suite.

load helpers

# One lifecycle, run by a worker: create, state, start, exec, then one of four endings.  Each step
# that fails appends a line to $FAILS.  Exported for `xargs -P`.
lifecycle() {
  local i=$1 id=$ID-$1 s out
  step() { "$@" >/dev/null 2>>"$ERRS" </dev/null || echo "$id: $* failed ($?)" >>"$FAILS"; }
  expect_state() {
    out=$(timeout -k 5 20 "$OCIRT" --root "$ROOT" state "$id" 2>>"$ERRS") || { echo "$id: state failed" >>"$FAILS"; return; }
    s=$(jq -r .status <<<"$out")
    [ "$s" = "$1" ] || echo "$id: status $s, expected $1" >>"$FAILS"
  }
  step timeout -k 5 30 "$OCIRT" --root "$ROOT" create --bundle "$BUNDLE" "$id"
  expect_state created
  if [ $((i % 4)) -eq 3 ]; then
    # never started: a plain delete of a created container kills its init
    step timeout -k 5 30 "$OCIRT" --root "$ROOT" delete "$id"
    return
  fi
  step timeout -k 5 30 "$OCIRT" --root "$ROOT" start "$id"
  expect_state running
  out=$(timeout -k 5 30 "$OCIRT" --root "$ROOT" exec "$id" sh -c 'echo exec-$0' "$i" 2>>"$ERRS" </dev/null)
  [ "$out" = "exec-$i" ] || echo "$id: exec said '$out'" >>"$FAILS"
  case $((i % 4)) in
    0) # kill, wait until stopped, delete
      step timeout -k 5 30 "$OCIRT" --root "$ROOT" kill "$id" KILL
      local deadline=$((SECONDS + 20))
      while s=$(timeout 20 "$OCIRT" --root "$ROOT" state "$id" 2>/dev/null | jq -r .status) && [ "$s" != stopped ]; do
        [ "$SECONDS" -lt "$deadline" ] || break
        sleep 0.1
      done
      [ "$s" = stopped ] || echo "$id: not stopped after kill ($s)" >>"$FAILS"
      step timeout -k 5 30 "$OCIRT" --root "$ROOT" delete "$id"
      ;;
    1) # delete --force of a running container, with a detached exec still inside
      step timeout -k 5 30 "$OCIRT" --root "$ROOT" exec --detach "$id" sleep 999
      step timeout -k 5 30 "$OCIRT" --root "$ROOT" delete --force "$id"
      ;;
    2) # kill --all, then delete --force
      step timeout -k 5 30 "$OCIRT" --root "$ROOT" kill --all "$id" KILL
      step timeout -k 5 30 "$OCIRT" --root "$ROOT" delete --force "$id"
      ;;
  esac
}

# Readers: list and state in a loop until $STOP exists; every answer must be whole JSON.
reader() {
  local n=0 out id
  while [ ! -e "$STOP" ]; do
    out=$(timeout -k 5 20 "$OCIRT" --root "$ROOT" list -f json 2>>"$ERRS") || { echo "reader: list failed" >>"$FAILS"; continue; }
    jq -e 'type == "array" and all(.[]; .status | IN("creating","created","running","stopped"))' <<<"$out" >/dev/null ||
      echo "reader: bad list output: $out" >>"$FAILS"
    id=$(jq -r '.[0].id // empty' <<<"$out")
    if [ -n "$id" ] && out=$(timeout -k 5 20 "$OCIRT" --root "$ROOT" state "$id" 2>/dev/null); then
      jq -e '.status | IN("creating","created","running","stopped")' <<<"$out" >/dev/null ||
        echo "reader: bad state of $id: $out" >>"$FAILS"
    fi
    n=$((n + 1))
  done
  echo "$n" >>"$READS"
}

@test "stress: 100 lifecycles, 8 at a time, with list and state readers: all end clean" {
  make_bundle 'exec sleep 1000'
  set_config 'del(.linux.seccomp)'
  FAILS=$BATS_TEST_TMPDIR/fails ERRS=$BATS_TEST_TMPDIR/errs READS=$BATS_TEST_TMPDIR/reads STOP=$BATS_TEST_TMPDIR/stop
  : >"$FAILS"
  export OCIRT ROOT BUNDLE ID FAILS ERRS READS STOP
  export -f lifecycle reader
  local r readers=()
  for r in 1 2; do
    timeout -k 5 400 bash -c reader &
    readers+=($!)
  done
  local rc=0
  seq 1 100 | timeout -k 10 400 xargs -P 8 -n 1 bash -c 'lifecycle "$0"' || rc=$?
  touch "$STOP"
  wait "${readers[@]}"
  [ "$rc" -eq 0 ] || fail "the lifecycles did not finish (xargs exit $rc)" "$(head -n 20 "$FAILS")"
  [ ! -s "$FAILS" ] || fail "$(wc -l <"$FAILS") failures:" "$(head -n 30 "$FAILS")" "stderr:" "$(head -n 10 "$ERRS")"
  [ "$(awk "{n += \$1} END {print n}" "$READS")" -gt 0 ] || fail "the readers read nothing"
  # nothing left: no container, no state folder, no cgroup, no process of the sleep 999 execs
  run --separate-stderr ocirt list -q
  [ "$status" -eq 0 ] && [ -z "$output" ] || fail "list after the run: $output"
  local i
  for i in $(seq 1 100); do
    assert_no_leaks "$ID-$i"
  done
  echo "# $(awk "{n += \$1} END {print n}" "$READS") list+state reads alongside" >&3
}

# The processes of the container's cgroup (pids cgroup v1: every process of it).
cgroup_procs() { cat "/sys/fs/cgroup/pids/ocirt/$1/cgroup.procs" 2>/dev/null; }

# delete --force must finish within $1 seconds and leave nothing of the processes in $2...
timed_force_delete() {
  local limit=$1 start=$SECONDS p
  shift
  run --separate-stderr ocirt delete --force "$ID"
  expect_status 0
  [ $((SECONDS - start)) -le "$limit" ] || fail "delete --force took $((SECONDS - start))s (limit ${limit}s)"
  assert_no_leaks "$ID"
  for p in "$@"; do
    ! alive "$p" || fail "process $p survived delete --force"
  done
}

@test "stress: delete --force removes a container that ignores SIGTERM and forks children" {
  make_bundle 'trap "" TERM; for i in 1 2 3; do (trap "" TERM; sleep 1000) & done; (sh -c "sleep 1000 &" ) ; touch /ready; while :; do sleep 1; done'
  create_ok "$ID"
  ocirt start "$ID"
  wait_for_file "$BUNDLE/rootfs/ready"
  local pids
  pids=$(cgroup_procs "$ID")
  [ "$(wc -l <<<"$pids")" -ge 5 ] || fail "expected the init and its children, got: $pids"
  ocirt kill "$ID" TERM
  sleep 0.5
  [ "$(state_field "$ID" status)" = running ] || fail "the init did not ignore SIGTERM"
  # shellcheck disable=SC2086
  timed_force_delete 15 $pids
}

@test "stress: delete --force removes a container frozen by the v1 freezer" {
  [ -d /sys/fs/cgroup/freezer ] || fail "no v1 freezer hierarchy on this machine"
  make_bundle 'sleep 1000 & sleep 1000 & touch /ready; wait'
  create_ok "$ID"
  ocirt start "$ID"
  wait_for_file "$BUNDLE/rootfs/ready"
  local f=/sys/fs/cgroup/freezer/ocirt/$ID/freezer.state pids deadline=$((SECONDS + 10))
  [ -f "$f" ] || fail "no freezer cgroup $f"
  pids=$(cgroup_procs "$ID")
  echo FROZEN >"$f"
  until [ "$(cat "$f")" = FROZEN ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail "the cgroup did not freeze: $(cat "$f")"
    sleep 0.1
  done
  # frozen: its processes do not run (state D/ frozen), but state still answers
  [ "$(state_field "$ID" status)" != "" ]
  # shellcheck disable=SC2086
  timed_force_delete 15 $pids
}
