#!/usr/bin/env bats
# CVE-2019-16884 and CVE-2025-52881: ocirt's writes to procfs (oom_score_adj, LSM labels, sysctl)
# go through a procfs handle of its own, checked to be procfs, never through a /proc path that a
# mount could redirect.  The attack is simulated by a createContainer hook, which runs in the
# container's mount namespace before those writes: it bind-mounts a decoy file over the /proc file
# ocirt is about to write.  Without the defence the value lands in the decoy and the container runs
# unconfined / unadjusted; with it, the real file is written.

load helpers

# decoy_hook TARGET: a createContainer hook binding $BATS_TEST_TMPDIR/decoy over /proc/TARGET, where
# TARGET may use $pid (the container's pid, from the state on stdin).
decoy_hook() {
  printf 'decoy\n' >"$BATS_TEST_TMPDIR/decoy"
  {
    echo '#!/bin/sh'
    echo 'pid=$(jq -r .pid)'
    echo "exec mount --bind '$BATS_TEST_TMPDIR/decoy' \"/proc/$1\""
  } >"$BATS_TEST_TMPDIR/hook.sh"
  chmod +x "$BATS_TEST_TMPDIR/hook.sh"
  set_config --arg p "$BATS_TEST_TMPDIR/hook.sh" '.hooks.createContainer = [{path: $p}]'
}

@test "oomScoreAdj is written to the real procfs file, not a decoy mounted over /proc/PID/oom_score_adj" {
  make_bundle 'cat /proc/self/oom_score_adj'
  set_config '.process.oomScoreAdj = 456'
  decoy_hook '$pid/oom_score_adj'
  run_fg "$ID"
  expect_status 0
  [ "$output" = 456 ] || fail "the container's oom_score_adj is $output"
  [ "$(cat "$BATS_TEST_TMPDIR/decoy")" = decoy ] || fail "the decoy was written: $(cat "$BATS_TEST_TMPDIR/decoy")"
}

@test "a sysctl is written to the real procfs file, not a decoy mounted over /proc/sys" {
  make_bundle 'cat /proc/sys/kernel/shmmni'
  set_config '.linux.sysctl = {"kernel.shmmni": "2345"}'
  # sysctls are written before the createContainer hooks: a createRuntime hook (host namespaces)
  # enters the container's mount and ipc namespaces (ipc sysctls are files of each ipc namespace) to
  # place the decoy first
  printf 'decoy\n' >"$BATS_TEST_TMPDIR/decoy"
  {
    echo '#!/bin/sh'
    echo 'pid=$(jq -r .pid)'
    echo "exec nsenter -t \"\$pid\" -m -i mount --bind '$BATS_TEST_TMPDIR/decoy' /proc/sys/kernel/shmmni"
  } >"$BATS_TEST_TMPDIR/hook.sh"
  chmod +x "$BATS_TEST_TMPDIR/hook.sh"
  set_config --arg p "$BATS_TEST_TMPDIR/hook.sh" '.hooks.createRuntime = [{path: $p}]'
  run_fg "$ID"
  expect_status 0
  [ "$output" = 2345 ] || fail "the container's kernel.shmmni is $output"
  [ "$(cat "$BATS_TEST_TMPDIR/decoy")" = decoy ] || fail "the decoy was written: $(cat "$BATS_TEST_TMPDIR/decoy")"
}
