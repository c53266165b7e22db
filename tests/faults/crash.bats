#!/usr/bin/env bats
# Crash recovery: ocirt killed with SIGKILL at every step of create, start, exec and delete (the
# FAULT_POINT("...") calls in src/lib), then `state`, `list` and `delete --force` must bring the
# machine back to clean: no state folder, cgroup, mount or process left.
#
# Needs an ocirt configured with --enable-fault-injection: tests/run-asan.sh runs this file against
# its ASan+UBSan build, which has the fault points (a release build has none).

load ../helpers
SRC=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
MAKE_BUNDLE=$SRC/contrib/make-bundle.sh

# The fault points of one phase (create, start, exec, delete), read from the sources, so a point
# added there is tested here without a change to this file.
points() {
  grep -ho 'FAULT_POINT("'"$1"'\.[a-z-]*")' "$SRC"/src/lib/*.c | sed 's/.*("\(.*\)")/\1/' | sort -u
}

# Every process ocirt started for container $1 is gone: the ocirt children (init before exec, they
# inherit OCIRT_TEST_MARK) and the container's programs (their command line has the token $2).
# The init of a killed create exits when it sees EOF on its sync socket: give it a moment.
no_processes_left() {
  local deadline=$((SECONDS + 5)) p left
  while :; do
    left=()
    for p in /proc/[0-9]*; do
      if grep -qzx "OCIRT_TEST_MARK=$1" "$p/environ" 2>/dev/null || grep -qF "$2" "$p/cmdline" 2>/dev/null; then
        alive "${p#/proc/}" && left+=("${p#/proc/}: $(tr '\0' ' ' <"$p/cmdline")")
      fi
    done
    [ ${#left[@]} -eq 0 ] && return 0
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 0.2
  done
  fail "processes of $1 left:" "${left[@]}"
}

# crash POINT COMMAND ARGS...: ocirt COMMAND with the fault at POINT: it must die of SIGKILL.
crash() {
  local point=$1 rc=0
  shift
  OCIRT_FAULT=$point OCIRT_TEST_MARK=$CID ocirt "$@" >"$BATS_TEST_TMPDIR/crash.out" 2>"$BATS_TEST_TMPDIR/crash.err" </dev/null 3>&- || rc=$?
  [ "$rc" -eq 137 ] || fail "$point: ocirt $1 exited $rc, expected 137 (SIGKILL at the fault point; is this a --enable-fault-injection build?)" "$(cat "$BATS_TEST_TMPDIR/crash.err")"
  echo "$point" >>"$BATS_TEST_TMPDIR/faults"
}

# recover TOKEN: after a crash, state and list answer (state: a status, or one clear error line),
# delete --force cleans up, and nothing is left.
recover() {
  run --separate-stderr ocirt list -q
  [ "$status" -eq 0 ] || fail "list after the crash exited $status: $stderr"
  run --separate-stderr ocirt state "$CID"
  if [ "$status" -eq 0 ]; then
    jq -e '.status | IN("creating","created","running","stopped")' <<<"$output" >/dev/null ||
      fail "state after the crash: $output"
  else
    expect_error "$CID"
  fi
  run --separate-stderr ocirt delete --force "$CID"
  [ "$status" -eq 0 ] || fail "delete --force after the crash exited $status: $stderr"
  assert_no_leaks "$CID"
  no_processes_left "$CID" "$1"
  run --separate-stderr ocirt list -q
  [ "$status" -eq 0 ] && ! grep -qx "$CID" <<<"$output" || fail "list still shows $CID"
}

@test "faults: every phase has fault points" {
  local phase
  for phase in create start exec delete; do
    [ "$(points "$phase" | wc -l)" -ge 2 ] || fail "fewer than 2 fault points in $phase"
  done
}

@test "faults: create killed at each step leaves nothing after delete --force" {
  local p n=0
  for p in $(points create); do
    n=$((n + 1))
    CID=$ID-$n
    make_bundle "exec sleep 7$n$$"
    crash "$p" create --bundle "$BUNDLE" "$CID"
    recover "sleep 7$n$$"
  done
  [ "$n" -ge 5 ]
}

@test "faults: start killed at each step leaves nothing after delete --force" {
  local p n=0
  for p in $(points start); do
    n=$((n + 1))
    CID=$ID-$n
    make_bundle "exec sleep 8$n$$"
    create_ok "$CID"
    crash "$p" start "$CID"
    recover "sleep 8$n$$"
  done
  [ "$n" -ge 2 ]
}

@test "faults: exec killed at each step leaves nothing after delete --force" {
  local p n=0
  make_bundle 'sleep 1000'
  for p in $(points exec); do
    n=$((n + 1))
    CID=$ID-$n
    create_ok "$CID"
    ocirt start "$CID"
    crash "$p" exec --detach "$CID" sleep "9$n$$"
    recover "sleep 9$n$$"
  done
  [ "$n" -ge 2 ]
}

@test "faults: delete killed at each step is finished by a second delete --force" {
  local p n=0
  for p in $(points delete); do
    n=$((n + 1))
    CID=$ID-$n
    make_bundle "exec sleep 6$n$$"
    create_ok "$CID"
    ocirt start "$CID"
    crash "$p" delete --force "$CID"
    recover "sleep 6$n$$"
  done
  [ "$n" -ge 3 ]
}
