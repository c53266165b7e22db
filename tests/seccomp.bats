#!/usr/bin/env bats
# linux.seccomp: every action and operator, seen from inside the container by the result of the
# filtered syscall, and the listener (SCMP_ACT_NOTIFY) answered by contrib/ocirt-seccomp-agent.

load helpers

AGENT=$(repo)/contrib/ocirt-seccomp-agent

# seccomp JSON: set .linux.seccomp to the given jq expression.
set_seccomp() { set_config ".linux.seccomp = $1"; }

# rule NAMES ACTION [EXTRA-JSON]: one syscalls[] entry.
rule() {
  local names extra=${3:-\{\}}
  names=$(jq -cn --arg n "$1" '$n | split(",")')
  jq -cn --argjson n "$names" --arg a "$2" --argjson x "$extra" '{names: $n, action: $a} + $x'
}

# allow_all_but RULE...: defaultAction ALLOW with the given rules.
allow_all_but() {
  local rules
  rules=$(printf '%s\n' "$@" | jq -cs .)
  set_seccomp "{defaultAction: \"SCMP_ACT_ALLOW\", syscalls: $rules}"
}

@test "SCMP_ACT_ERRNO returns EPERM by default, errnoRet when given" {
  make_bundle 'mkdir /tmp/a; echo "rc=$?"; rmdir /; touch /tmp/file && echo touched'
  allow_all_but "$(rule mkdir,mkdirat SCMP_ACT_ERRNO)" "$(rule rmdir SCMP_ACT_ERRNO '{"errnoRet": 28}')"
  run_fg "$ID"
  expect_status 0
  [[ $output == *"rc=1"* ]] || fail "mkdir was not refused: $output"
  [[ $stderr == *"Operation not permitted"* ]] || fail "mkdir: expected EPERM: $stderr"
  [[ $stderr == *"No space left on device"* ]] || fail "rmdir: expected errnoRet 28 (ENOSPC): $stderr"
  [[ $output == *touched* ]] || fail "an unfiltered syscall failed: $output"
  [ ! -e "$BUNDLE/rootfs/tmp/a" ]
}

@test "the filter is in place: /proc/self/status shows seccomp mode 2" {
  make_bundle 'grep -E "^Seccomp:" /proc/self/status'
  allow_all_but "$(rule mkdir SCMP_ACT_ERRNO)"
  run_fg "$ID"
  expect_status 0
  [[ $output == *"Seccomp:"*2* ]] || fail "$output"
}

@test "SCMP_ACT_KILL, KILL_THREAD, KILL_PROCESS and TRAP end the caller with SIGSYS" {
  local action
  for action in SCMP_ACT_KILL SCMP_ACT_KILL_THREAD SCMP_ACT_KILL_PROCESS SCMP_ACT_TRAP; do
    make_bundle '(sync); echo "rc=$?"'
    allow_all_but "$(rule sync "$action")"
    run_fg "$ID-$BUNDLE_N"
    expect_status 0
    # 159 = 128 + SIGSYS (31): the shell reports how its child died.
    [[ $output == *"rc=159"* ]] || fail "$action: sync was not killed by SIGSYS: $output $stderr"
  done
}

@test "SCMP_ACT_TRACE without a tracer fails the syscall with ENOSYS" {
  make_bundle 'mkdir /tmp/t; echo "rc=$?"'
  allow_all_but "$(rule mkdir,mkdirat SCMP_ACT_TRACE)"
  run_fg "$ID"
  expect_status 0
  [[ $stderr == *"Function not implemented"* ]] || fail "$stderr"
}

@test "SCMP_ACT_LOG and SCMP_ACT_ALLOW let the syscall through" {
  make_bundle 'mkdir /tmp/logged && rmdir /tmp/logged && echo fine'
  allow_all_but "$(rule mkdir,mkdirat SCMP_ACT_LOG)" "$(rule rmdir SCMP_ACT_ALLOW)"
  run_fg "$ID"
  expect_status 0
  [ "$output" = fine ]
}

@test "defaultAction ERRNO with defaultErrnoRet: only the allowed syscalls work" {
  # Allow every syscall this architecture has but mkdir/mkdirat: the default action (ENOSPC) hits them.
  local all
  all=$(grep -ho '__NR_[a-z0-9_]*' /usr/include/x86_64-linux-gnu/asm/unistd_64.h | sed 's/^__NR_//' |
    grep -v -x -e mkdir -e mkdirat | sort -u | jq -R . | jq -cs .)
  make_bundle 'mkdir /tmp/d; echo "rc=$?"'
  set_seccomp "{defaultAction: \"SCMP_ACT_ERRNO\", defaultErrnoRet: 28,
                syscalls: [{names: $all, action: \"SCMP_ACT_ALLOW\"}]}"
  run_fg "$ID"
  expect_status 0
  [[ $output == *"rc=1"* ]] || fail "$output"
  [[ $stderr == *"No space left on device"* ]] || fail "$stderr"
}

# kill_probe OP VALUE [VALUE2]: a rule on kill(2)'s signal argument (index 1); sets $probe to which
# of the harmless signals 0, 17, 18, 23, 28 (sent by the shell to itself) the filter refused.
kill_probe() {
  local op=$1 value=$2 value2=${3:-0}
  make_bundle 'for s in 0 17 18 23 28; do kill -$s $$ 2>/dev/null || printf "%s " $s; done; echo end'
  allow_all_but "$(rule kill SCMP_ACT_ERRNO "{\"args\": [{\"index\": 1, \"value\": $value, \"valueTwo\": $value2, \"op\": \"$op\"}]}")"
  run_fg "$ID-$BUNDLE_N"
  expect_status 0
  probe=$output
}

@test "argument conditions: all seven operators" {
  kill_probe SCMP_CMP_EQ 18 && [ "$probe" = "18 end" ] || fail "SCMP_CMP_EQ 18: $probe"
  kill_probe SCMP_CMP_NE 18 && [ "$probe" = "0 17 23 28 end" ] || fail "SCMP_CMP_NE 18: $probe"
  kill_probe SCMP_CMP_LT 18 && [ "$probe" = "0 17 end" ] || fail "SCMP_CMP_LT 18: $probe"
  kill_probe SCMP_CMP_LE 18 && [ "$probe" = "0 17 18 end" ] || fail "SCMP_CMP_LE 18: $probe"
  kill_probe SCMP_CMP_GE 18 && [ "$probe" = "18 23 28 end" ] || fail "SCMP_CMP_GE 18: $probe"
  kill_probe SCMP_CMP_GT 18 && [ "$probe" = "23 28 end" ] || fail "SCMP_CMP_GT 18: $probe"
  # (signal & 0x18) == 0x10: 17 (10001), 18 (10010), 23 (10111); not 0, not 28 (11100).
  kill_probe SCMP_CMP_MASKED_EQ 24 16 && [ "$probe" = "17 18 23 end" ] || fail "SCMP_CMP_MASKED_EQ 24 16: $probe"
}

@test "conditions on two arguments must all match; on one argument any may match" {
  make_bundle 'for s in 0 17 18 23 28; do kill -$s $$ 2>/dev/null || printf "%s " $s; done; echo end'
  # pid == 1 (the shell is pid 1) and signal == 23
  allow_all_but "$(rule kill SCMP_ACT_ERRNO '{"args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
                                                       {"index": 1, "value": 23, "op": "SCMP_CMP_EQ"}]}')"
  run_fg "$ID"
  expect_status 0
  [ "$output" = "23 end" ] || fail "AND: $output"
  make_bundle 'for s in 0 17 18 23 28; do kill -$s $$ 2>/dev/null || printf "%s " $s; done; echo end'
  allow_all_but "$(rule kill SCMP_ACT_ERRNO '{"args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"},
                                                       {"index": 1, "value": 28, "op": "SCMP_CMP_EQ"}]}')"
  run_fg "$ID-2"
  expect_status 0
  [ "$output" = "0 28 end" ] || fail "OR: $output"
}

@test "architectures and flags are accepted; unknown syscall names are skipped" {
  make_bundle 'mkdir /tmp/x; grep -E "^Seccomp_filters:" /proc/self/status'
  set_seccomp '{defaultAction: "SCMP_ACT_ALLOW",
                architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                flags: ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"],
                syscalls: [{names: ["no_such_syscall", "mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}'
  run_fg "$ID"
  expect_status 0
  [[ $stderr == *"Operation not permitted"* ]] || fail "$stderr"
  [[ $output == *"Seccomp_filters:"*1* ]] || fail "$output"
}

@test "the filter applies to a non-root user without noNewPrivileges, and with it" {
  make_bundle 'id -u; mkdir /tmp/u; grep NoNewPrivs /proc/self/status'
  allow_all_but "$(rule mkdir,mkdirat SCMP_ACT_ERRNO '{"errnoRet": 28}')"
  set_config '.process.user = {uid: 1000, gid: 1000} | .process.noNewPrivileges = false'
  run_fg "$ID"
  expect_status 0
  [[ $output == *1000* && $output == *"NoNewPrivs:"*0* ]] || fail "$output"
  [[ $stderr == *"No space left on device"* ]] || fail "$stderr"
  set_config '.process.noNewPrivileges = true'
  run_fg "$ID-2"
  expect_status 0
  [[ $output == *"NoNewPrivs:"*1* ]] || fail "$output"
  [[ $stderr == *"No space left on device"* ]] || fail "$stderr"
}

@test "SCMP_ACT_NOTIFY: the agent gets the fd and the state, and its answer is the syscall's result" {
  make_bundle 'mkdir /tmp/n; echo "rc=$?"; touch /tmp/ok && echo touched'
  local sock=$BATS_TEST_TMPDIR/agent.sock
  allow_all_but "$(rule mkdir,mkdirat SCMP_ACT_NOTIFY)"
  set_config --arg s "$sock" '.linux.seccomp.listenerPath = $s | .linux.seccomp.listenerMetadata = "hello-agent"'
  timeout 30 "$AGENT" -e 28 -s "$BATS_TEST_TMPDIR/agent.state" "$sock" >"$BATS_TEST_TMPDIR/agent.out" 2>&1 &
  local agent=$!
  wait_for_file "$sock"
  run_fg "$ID"
  expect_status 0
  [[ $output == *"rc=1"* && $output == *touched* ]] || fail "$output"
  [[ $stderr == *"No space left on device"* ]] || fail "the agent's answer (ENOSPC) did not arrive: $stderr"
  wait "$agent" || fail "agent failed: $(cat "$BATS_TEST_TMPDIR/agent.out")"
  grep -q '^syscall ' "$BATS_TEST_TMPDIR/agent.out"
  local st=$BATS_TEST_TMPDIR/agent.state
  [ "$(jq -r .metadata "$st")" = hello-agent ]
  [ "$(jq -r '.fds[0]' "$st")" = seccompFd ]
  [ "$(jq -r .state.id "$st")" = "$ID" ]
  [ "$(jq -r '.pid > 0' "$st")" = true ]
}

@test "seccomp errors name the field and leave nothing behind" {
  make_bundle true
  local cases=(
    '{defaultAction: "SCMP_ACT_FOO"}|.linux.seccomp.defaultAction: unknown action `SCMP_ACT_FOO`'
    '{defaultAction: "SCMP_ACT_NOTIFY", listenerPath: "/x"}|.linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default'
    '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOPE"}]}|.linux.seccomp.syscalls[0].action: unknown action'
    '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}]}|.linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY needs .linux.seccomp.listenerPath'
    '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["kill"], action: "SCMP_ACT_ERRNO", args: [{index: 6, value: 1, op: "SCMP_CMP_EQ"}]}]}|.linux.seccomp.syscalls[0].args[0].index: 6 is not 0..5'
    '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["kill"], action: "SCMP_ACT_ERRNO", args: [{index: 1, value: 1, op: "SCMP_CMP_ABOUT"}]}]}|.linux.seccomp.syscalls[0].args[0].op: unknown operator `SCMP_CMP_ABOUT`'
    '{defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_Z80"]}|.linux.seccomp.architectures[0]: unknown architecture `SCMP_ARCH_Z80`'
    '{defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_FAST"]}|.linux.seccomp.flags[0]: unknown flag `SECCOMP_FILTER_FLAG_FAST`'
    '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_NOTIFY"}], listenerPath: "/nonexistent/agent.sock"}|.linux.seccomp.listenerPath: connect to `/nonexistent/agent.sock`'
  )
  local c
  for c in "${cases[@]}"; do
    set_seccomp "${c%%|*}"
    create_container "$ID"
    expect_error "${c#*|}"
    assert_no_leaks "$ID"
  done
}

@test "the default profile of ocirt spec refuses namespaces, mounts and the keyring, and allows the rest" {
  make_bundle 'unshare -U true; echo "unshare=$?"; mount -t tmpfs tmpfs /mnt; echo "mount=$?"
               grep ^Seccomp: /proc/self/status; ls / >/dev/null && echo fine'
  [ "$(jq -r .linux.seccomp.defaultAction "$BUNDLE/config.json")" = SCMP_ACT_ALLOW ] ||
    fail "ocirt spec wrote no seccomp profile"
  run_fg "$ID"
  expect_status 0
  [[ $output == *"unshare=1"* ]] || fail "$output"
  [[ $output == *"mount=255"* || $output == *"mount=1"* ]] || fail "$output"
  [[ $stderr == *"unshare"*"Operation not permitted"* ]] || fail "$stderr"
  [[ $output == *"Seccomp:"*2* && $output == *fine* ]] || fail "$output"
  # without the profile a container's root may make a user namespace: the profile is what refuses it
  make_bundle 'unshare -U true && echo made-userns'
  set_config 'del(.linux.seccomp)'
  run_fg "$ID-2"
  expect_status 0
  [ "$output" = made-userns ] || fail "$output $stderr"
}
