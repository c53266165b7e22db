# Common setup for every tests/*.bats file: `load helpers`.
#
# Each test gets its own state root ($ROOT), its own bundle folder ($BUNDLE, made by make_bundle) and a
# container id ($ID) no other test or test run uses (cgroups are machine-wide: ocirt/ID).  Ids derived
# from it ("$ID-2") are checked for leaks too.  teardown force-deletes what is left in $ROOT and fails
# the test when anything leaked: a state directory, a cgroup, a mount, a live process.
#
# A detached container inherits the stdio of `ocirt create`/`ocirt run -d`: never run those through
# bats' `run` (its pipe would stay open until the container exits); use create_container / run_detached,
# which send the stdio to files.  Everything that could hang has a bounded timeout.

bats_require_minimum_version 1.5.0

repo() { cd "$BATS_TEST_DIRNAME/.." && pwd; }

OCIRT=${OCIRT:-$(repo)/ocirt}
MAKE_BUNDLE=$(repo)/contrib/make-bundle.sh
# Seconds any single ocirt command may take before it is killed.
OCIRT_TEST_TIMEOUT=${OCIRT_TEST_TIMEOUT:-20}

fail() {
  printf '%s\n' "$@" >&2
  return 1
}

# ocirt ARGS...: the runtime, on this test's state root, killed if it hangs.
ocirt() {
  timeout --kill-after=5 "$OCIRT_TEST_TIMEOUT" "$OCIRT" --root "$ROOT" "$@"
}

setup() {
  [ "$(id -u)" -eq 0 ] || fail "the integration tests must run as root (they create namespaces, cgroups, mounts)"
  [ -x "$OCIRT" ] || fail "OCIRT=$OCIRT is not an executable: build ocirt first (make), or set OCIRT"
  ROOT=$BATS_TEST_TMPDIR/state
  mkdir -p "$ROOT"
  BUNDLE=
  ID=ocirt-test-${BATS_SUITE_TEST_NUMBER:-$BATS_TEST_NUMBER}-$$-$RANDOM
  BUNDLE_N=0
  SPAWN_N=0
}

# make_bundle [SHELL-COMMAND]: a fresh bundle in this test's temporary folder, as $BUNDLE.  Calling it
# again makes another one (bundle2, bundle3...) and points $BUNDLE at it.  Its rootfs is writable
# (`ocirt spec` makes it read-only, like runc's): the tests' programs leave marks in it, and the
# rootfs being a host folder, the tests see them in $BUNDLE/rootfs.
make_bundle() {
  BUNDLE_N=$((BUNDLE_N + 1))
  local dir=$BATS_TEST_TMPDIR/bundle
  [ "$BUNDLE_N" -eq 1 ] || dir=$dir$BUNDLE_N
  OCIRT=$OCIRT "$MAKE_BUNDLE" "$dir" "$@" || fail "make-bundle.sh $dir failed" || return 1
  BUNDLE=$dir
  set_config '.root.readonly = false'
}

# set_config [JQ-OPTIONS...] JQ-EXPR: edit $BUNDLE/config.json in place.
set_config() {
  local cfg=$BUNDLE/config.json
  jq "$@" "$cfg" >"$cfg.tmp" || {
    rm -f "$cfg.tmp"
    fail "set_config: jq $* failed"
    return 1
  }
  mv "$cfg.tmp" "$cfg"
}

# Read the file's text into the named variable (keeps trailing newlines out, like $(...)).
_slurp() { printf -v "$1" '%s' "$(cat "$2" 2>/dev/null)"; }

# spawn COMMAND [OPTIONS...] ID: `ocirt COMMAND --bundle $BUNDLE OPTIONS... ID` with stdin /dev/null
# and stdout/stderr on files, for commands that leave a container behind (create, run --detach).
# Sets status, output (ocirt's stdout), stderr, and SPAWN_OUT / SPAWN_ERR (the files: a detached
# container keeps writing its own output there).
spawn() {
  local cmd=$1
  shift
  SPAWN_N=$((SPAWN_N + 1))
  SPAWN_OUT=$BATS_TEST_TMPDIR/spawn$SPAWN_N.out
  SPAWN_ERR=$BATS_TEST_TMPDIR/spawn$SPAWN_N.err
  status=0
  ocirt "$cmd" --bundle "$BUNDLE" "$@" >"$SPAWN_OUT" 2>"$SPAWN_ERR" </dev/null 3>&- || status=$?
  _slurp output "$SPAWN_OUT"
  _slurp stderr "$SPAWN_ERR"
}

# create_container [CREATE-OPTIONS...] ID (see spawn)
create_container() { spawn create "$@"; }
# run_detached [RUN-OPTIONS...] ID: `ocirt run --detach` (see spawn)
run_detached() { spawn run --detach "$@"; }

# Fail, showing what ocirt said, unless the last spawn/run exited with status $1.
expect_status() {
  [ "$status" -eq "$1" ] || fail "expected exit status $1, got $status" "stdout: ${output:-}" "stderr: ${stderr:-}"
}

# create_ok [CREATE-OPTIONS...] ID: create, which must succeed.
create_ok() {
  create_container "$@"
  expect_status 0
}

# run_fg [RUN-OPTIONS...] ID: `ocirt run` in the foreground through bats' run, stdout and stderr apart,
# stdin /dev/null.
run_fg() {
  run --separate-stderr ocirt run --bundle "$BUNDLE" "$@" </dev/null 3>&-
}

# expect_error [PATTERN...]: the last command failed with exit status 1 and exactly one line on stderr,
# starting with "ocirt: " and containing every PATTERN (a fixed string).
expect_error() {
  [ "$status" -eq 1 ] || fail "expected exit status 1, got $status" "stdout: ${output:-}" "stderr: ${stderr:-}"
  [ -n "${stderr:-}" ] || fail "expected one line on stderr, got nothing" "stdout: ${output:-}"
  local n
  n=$(wc -l <<<"$stderr")
  [ "$n" -eq 1 ] || fail "expected one line on stderr, got $n:" "$stderr"
  [[ $stderr == "ocirt: "* ]] || fail "stderr does not start with 'ocirt: ':" "$stderr"
  local p
  for p in "$@"; do
    [[ $stderr == *"$p"* ]] || fail "stderr does not contain '$p':" "$stderr"
  done
}

# state_field ID FIELD: one field of `ocirt state ID` ("" when state fails).
state_field() {
  local json
  json=$(OCIRT_TEST_TIMEOUT=10 ocirt state "$1" 2>/dev/null) || return 0
  jq -r ".$2 // empty" <<<"$json"
}

# wait_for_status ID STATUS [SECONDS]: poll `ocirt state`, bounded in time (not in tries: a hanging
# state command must not multiply the wait).
wait_for_status() {
  local deadline=$((SECONDS + ${3:-10})) s=
  while :; do
    s=$(state_field "$1" status)
    [ "$s" = "$2" ] && return 0
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 0.1
  done
  fail "container $1: status is '$s', expected '$2' within ${3:-10}s"
}

# wait_for_file PATH [SECONDS]
wait_for_file() {
  local deadline=$((SECONDS + ${2:-10}))
  while [ ! -e "$1" ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail "$1 did not appear within ${2:-10}s" || return 1
    sleep 0.1
  done
}

# alive PID: the process exists and is not a zombie.
alive() {
  local st
  st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Mount points (field 5 of mountinfo) under this test's temporary folder ($BUNDLE and $ROOT live there).
_test_mounts() {
  grep -F -- "$BATS_TEST_TMPDIR" /proc/self/mountinfo 2>/dev/null || true
}

# assert_no_leaks ID [PID]: nothing of container ID is left: no $ROOT/ID, no cgroup ocirt/ID in any
# hierarchy, no mount under $BUNDLE or $ROOT, and PID (when given) gone or a zombie.
assert_no_leaks() {
  local id=$1 pid=${2:-} leaks=() d m
  [ -n "$id" ] || fail "assert_no_leaks: no id"
  if [ -e "$ROOT/$id" ] || [ -L "$ROOT/$id" ]; then leaks+=("state directory $ROOT/$id"); fi
  # every hierarchy: the v1 controllers, the named systemd one, and cgroup2 at unified/
  for d in /sys/fs/cgroup/*/ocirt/"$id"; do
    [ -d "$d" ] && leaks+=("cgroup $d")
  done
  while IFS= read -r m; do
    [ -n "$m" ] && leaks+=("mount: $m")
  done < <(grep -F -e "${BUNDLE:-/nonexistent-bundle}" -e "$ROOT" /proc/self/mountinfo 2>/dev/null)
  if [ -n "$pid" ] && [ "$pid" -gt 0 ] 2>/dev/null && alive "$pid"; then
    leaks+=("process $pid is still running: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)")
  fi
  [ ${#leaks[@]} -eq 0 ] || fail "container $id leaked:" "${leaks[@]}"
}

# The ids this test may have used: $ID and "$ID-anything", plus whatever $ROOT holds.
_test_ids() {
  local p
  for p in "$ROOT"/* /sys/fs/cgroup/*/ocirt/"$ID" /sys/fs/cgroup/*/ocirt/"$ID"-*; do
    [ -e "$p" ] && basename "$p"
  done
  echo "$ID"
}

# Bounded: bats 1.8 loses the result of a test whose teardown it kills (BATS_TEST_TIMEOUT).
teardown() {
  [ -n "${ROOT:-}" ] && [ -d "$ROOT" ] || return 0
  local id pid pids=() problems=() d m ids rc
  ids=$(_test_ids | sort -u)

  # Force-delete whatever is still there.
  for id in $ids; do
    [ -e "$ROOT/$id" ] || continue
    pid=$(state_field "$id" pid)
    [ -n "$pid" ] && [ "$pid" != 0 ] && pids+=("$pid")
    rc=0
    OCIRT_TEST_TIMEOUT=10 ocirt delete --force "$id" >/dev/null 2>"$BATS_TEST_TMPDIR/teardown.err" </dev/null 3>&- || rc=$?
    [ "$rc" -eq 0 ] || problems+=("ocirt delete --force $id exited $rc$([ "$rc" -ne 124 ] || echo ' (timed out)'): $(cat "$BATS_TEST_TMPDIR/teardown.err")")
  done
  # A container made without --root (cli.bats tests the default root): only this test's own ids.
  for id in $ids; do
    [[ $id == "$ID" || $id == "$ID"-* ]] || continue
    [ -e "/run/ocirt/$id" ] || continue
    timeout -k 2 10 "$OCIRT" delete --force "$id" >/dev/null 2>&1 </dev/null 3>&- ||
      problems+=("ocirt delete --force $id (root /run/ocirt) failed")
    [ -e "/run/ocirt/$id" ] && problems+=("state directory /run/ocirt/$id")
  done

  # Then anything left is a leak: report it, then clean up what is ours so later tests start clean.
  for id in $ids; do
    assert_no_leaks "$id" 2>"$BATS_TEST_TMPDIR/leaks.err" || problems+=("$(cat "$BATS_TEST_TMPDIR/leaks.err")")
  done
  for pid in "${pids[@]}"; do
    if alive "$pid"; then
      problems+=("process $pid still running after delete --force")
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  while IFS= read -r m; do
    [ -n "$m" ] || continue
    problems+=("leaked mount: $m")
  done < <(_test_mounts)
  # Unmount what leaked (deepest first), and remove leaked cgroups, all of them this test's own.
  _test_mounts | awk '{print $5}' | awk '{print length, $0}' | sort -rn | cut -d' ' -f2- |
    while IFS= read -r m; do umount -l "$m" 2>/dev/null || true; done
  for id in $ids; do
    for d in /sys/fs/cgroup/*/ocirt/"$id"; do
      [ -d "$d" ] || continue
      # the processes of a leaked cgroup are this test's container's
      find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u | while read -r pid; do
        kill -KILL "$pid" 2>/dev/null || true
      done
      sleep 0.1
      find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
  done

  for id in $ids; do
    [[ $id == "$ID" || $id == "$ID"-* ]] && [ -d "/run/ocirt/$id" ] && rm -rf "/run/ocirt/${id:?}"
  done

  [ ${#problems[@]} -eq 0 ] || fail "teardown: leaks:" "${problems[@]}"
}
