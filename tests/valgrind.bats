#!/usr/bin/env bats
# valgrind (memcheck) over the commands it can follow: no invalid access, no use of uninitialised
# memory, no definite or indirect leak (--error-exitcode makes any of them exit 99).
#
# Valgrind 3.19 (Debian 12) has no openat2, pidfd_open or seccomp: the container's side of create
# (rootfs resolution), exec and kill cannot run under it.  Those paths run under ASan + LeakSanitizer
# instead, in the whole suite (tests/run-asan.sh).  create is followed here up to its config checks,
# through the re-exec from the sealed memfd (src/lib/cloned_binary.c: valgrind needs the
# execve("/proc/self/fd/N") fallback and --trace-children to follow it).

load helpers

# vg COMMAND ARGS...: ocirt under memcheck, through bats' run.
vg() {
  run --separate-stderr timeout -k 5 180 valgrind -q --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --trace-children=yes \
    "$OCIRT" --root "$ROOT" "$@"
}

# The status must be $1, with no valgrind report on stderr.
expect_clean() {
  [ "$status" -ne 99 ] || fail "valgrind found errors:" "$stderr"
  [ "$status" -eq "$1" ] || fail "expected status $1, got $status" "$stderr"
  ! grep -q '^==[0-9]*==' <<<"$stderr" || fail "valgrind reported:" "$stderr"
}

@test "valgrind: spec and features, no memory errors or leaks" {
  cd "$BATS_TEST_TMPDIR"
  vg spec
  expect_clean 0
  jq -e .ociVersion config.json >/dev/null
  vg features
  expect_clean 0
  jq -e .ociVersionMax <<<"$output" >/dev/null
}

@test "valgrind: create's re-exec and config errors, no memory errors or leaks" {
  make_bundle 'true'
  set_config '.process.rlimits = [{"type": "RLIMIT_BOGUS", "hard": 1, "soft": 1}]'
  vg create --bundle "$BUNDLE" "$ID"
  expect_clean 1
  [[ $stderr == *"RLIMIT_BOGUS"* ]] || fail "$stderr"
  set_config '.process.rlimits = [] | .mounts[0].destination = "relative"'
  vg create --bundle "$BUNDLE" "$ID"
  expect_clean 1
  [[ $stderr == *".mounts[0]"* ]] || fail "$stderr"
  assert_no_leaks "$ID"
}

@test "valgrind: state, list, start, delete --force of a container, no memory errors or leaks" {
  make_bundle 'touch /started; exec sleep 1000'
  create_ok "$ID"
  local pid
  pid=$(state_field "$ID" pid)
  vg state "$ID"
  expect_clean 0
  [ "$(jq -r .status <<<"$output")" = created ]
  vg list
  expect_clean 0
  grep -q "^$ID .* created " <<<"$output"
  vg start "$ID"
  expect_clean 0
  wait_for_file "$BUNDLE/rootfs/started"
  vg list -f json
  expect_clean 0
  [ "$(jq -r --arg id "$ID" '.[] | select(.id == $id) | .status' <<<"$output")" = running ]
  vg delete --force "$ID"
  expect_clean 0
  assert_no_leaks "$ID" "$pid"
  vg state "$ID"
  expect_clean 1
  vg delete --force "$ID"
  expect_clean 0
}
