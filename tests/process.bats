#!/usr/bin/env bats
# process.*: user, umask, capabilities, rlimits, noNewPrivileges, oomScoreAdj, cwd, args, ioPriority,
# scheduler; linux.personality; the security labels.  Each test looks from inside the container
# (/proc/self/status, /proc/self/limits, /proc/self/sched, id, umask, uname) and, for bad values,
# checks the error names the field and nothing is left behind.

load helpers

# run_setpriv_fg [SETPRIV-OPTIONS...]: `ocirt run` in the foreground under setpriv(1) (util-linux), for
# the tests that need ocirt to lack a capability whatever the machine gives root.
run_setpriv_fg() {
  run --separate-stderr timeout --kill-after=5 "$OCIRT_TEST_TIMEOUT" setpriv "$@" -- \
    "$OCIRT" --root "$ROOT" run --bundle "$BUNDLE" "$ID" </dev/null 3>&-
}

# expect_refused WHERE KEYWORD: `ocirt create` failed with one line naming WHERE and matching the
# extended regex KEYWORD, and left nothing behind.
expect_refused() {
  create_container "$ID"
  expect_error "$1"
  grep -qiE -- "$2" <<<"$stderr" || fail "the message does not match /$2/:" "$stderr"
  assert_no_leaks "$ID"
}

# The hex mask of capability bits given as numbers.
capmask() {
  local m=0 b
  for b in "$@"; do m=$((m | (1 << b))); done
  printf '%016x' "$m"
}

# ---- args and env ------------------------------------------------------------------------------

@test "process: no env at all runs the program with an empty environment" {
  # env is optional (config.md): the exec must not read through the absent array (UBSan in make check)
  make_bundle '/bin/env; echo "count=$(/bin/env | wc -l)"'
  set_config 'del(.process.env)'
  run_fg "$ID"
  expect_status 0
  [[ $output == *"count=0"* ]] || [[ $output == *"count=1"* && $output == *PWD=* ]] || fail "env: $output"
}

# ---- user ---------------------------------------------------------------------------------------

@test "user: uid, gid, additionalGids and umask, seen by id and umask" {
  make_bundle 'id; umask; grep -E "^(Uid|Gid|Groups):" /proc/self/status'
  set_config '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [5, 7], "umask": 23}'
  run_fg "$ID"
  expect_status 0
  [[ ${lines[0]} == "uid=1000 gid=1001 groups=5,7"* || ${lines[0]} == "uid=1000 gid=1001 groups=1001,5,7"* ]] ||
    fail "id: ${lines[0]}"
  [ "${lines[1]}" = 0027 ] || fail "umask: ${lines[1]}"
  grep -qE '^Uid:\s+1000\s+1000\s+1000\s+1000$' <<<"$output"
  grep -qE '^Gid:\s+1001\s+1001\s+1001\s+1001$' <<<"$output"
  grep -qE '^Groups:\s+5 7\s*$' <<<"$output" || fail "groups:" "$output"
}

@test "user: without umask the process gets 0022 and no supplementary groups" {
  make_bundle 'umask; grep ^Groups: /proc/self/status'
  run_fg "$ID"
  expect_status 0
  [ "${lines[0]}" = 0022 ]
  grep -qE '^Groups:\s*$' <<<"${lines[1]}" || fail "groups: ${lines[1]}"
}

@test "user: umask above 0777 is refused" {
  make_bundle 'touch /started'
  set_config '.process.user.umask = 4096'
  expect_refused .process.user.umask 'mask'
}

# ---- capabilities -------------------------------------------------------------------------------

@test "capabilities: the five sets of a non-root process" {
  make_bundle 'grep ^Cap /proc/self/status'
  # CAP_CHOWN 0, CAP_KILL 5, CAP_NET_RAW 13
  set_config '.process.user = {"uid": 1000, "gid": 1000}
    | .process.capabilities = {
        "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"],
        "effective": ["CAP_CHOWN", "CAP_KILL"],
        "permitted": ["CAP_CHOWN", "CAP_KILL"],
        "inheritable": ["CAP_CHOWN"],
        "ambient": ["CAP_CHOWN"]}'
  run_fg "$ID"
  expect_status 0
  # execve as non-root keeps the ambient set as permitted and effective
  grep -qx "CapInh:	$(capmask 0)" <<<"$output" || fail "$output"
  grep -qx "CapPrm:	$(capmask 0)" <<<"$output" || fail "$output"
  grep -qx "CapEff:	$(capmask 0)" <<<"$output" || fail "$output"
  grep -qx "CapBnd:	$(capmask 0 5 13)" <<<"$output" || fail "$output"
  grep -qx "CapAmb:	$(capmask 0)" <<<"$output" || fail "$output"
}

@test "capabilities: the bounding set limits root; a dropped capability really is gone" {
  make_bundle 'grep ^Cap /proc/self/status; chown 1:1 /tmp/f 2>/dev/null && echo chown-ok || echo chown-refused'
  touch "$BUNDLE/rootfs/tmp/f"
  # with noNewPrivileges, root's execve gains nothing beyond the permitted set given
  set_config '.process.noNewPrivileges = true | .process.capabilities = {"bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
    "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
  run_fg "$ID"
  expect_status 0
  grep -qx "CapBnd:	$(capmask 5 10)" <<<"$output" || fail "$output"
  grep -qx "CapPrm:	$(capmask 5)" <<<"$output" || fail "$output"
  grep -qx "CapEff:	$(capmask 5)" <<<"$output" || fail "$output"
  grep -qx chown-refused <<<"$output"
  [ "$(stat -c %u "$BUNDLE/rootfs/tmp/f")" = 0 ]
}

@test "capabilities: a name this kernel does not know is a warning, not an error" {
  make_bundle 'grep ^CapBnd /proc/self/status'
  set_config '.process.capabilities.bounding = ["CAP_KILL", "CAP_NOT_A_THING"]'
  run_fg "$ID"
  expect_status 0
  [ "$output" = "CapBnd:	$(capmask 5)" ] || fail "$output"
  [[ $stderr == *"warning"*".process.capabilities.bounding[1]"*"CAP_NOT_A_THING"* ]] || fail "stderr: $stderr"
}

@test "capabilities: one ocirt does not hold (CAP_SYS_RESOURCE) is a warning and not granted" {
  make_bundle 'grep -E "^Cap(Eff|Bnd)" /proc/self/status'
  set_config '.process.capabilities = {"bounding": ["CAP_KILL", "CAP_SYS_RESOURCE"],
    "effective": ["CAP_KILL", "CAP_SYS_RESOURCE"], "permitted": ["CAP_KILL", "CAP_SYS_RESOURCE"]}'
  run_setpriv_fg --bounding-set -sys_resource
  expect_status 0
  grep -qx "CapEff:	$(capmask 5)" <<<"$output" || fail "$output"
  grep -qx "CapBnd:	$(capmask 5)" <<<"$output" || fail "$output"
  [[ $stderr == *"warning"*".process.capabilities.effective[1]"*"CAP_SYS_RESOURCE"*"cannot be granted"* ]] ||
    fail "stderr: $stderr"
}

# ---- rlimits ------------------------------------------------------------------------------------

@test "rlimits: every RLIMIT_* is set, soft and hard, as /proc/self/limits shows" {
  make_bundle 'cat /proc/self/limits'
  # name, row of /proc/self/limits, soft, hard (capped below at the test's own hard limits)
  local table='RLIMIT_CPU|Max cpu time|1000|2000
RLIMIT_FSIZE|Max file size|1073741824|2147483648
RLIMIT_DATA|Max data size|1073741824|2147483648
RLIMIT_STACK|Max stack size|8388608|16777216
RLIMIT_CORE|Max core file size|0|1048576
RLIMIT_RSS|Max resident set|1073741824|2147483648
RLIMIT_NPROC|Max processes|500|1000
RLIMIT_NOFILE|Max open files|512|1024
RLIMIT_MEMLOCK|Max locked memory|65536|131072
RLIMIT_AS|Max address space|4294967296|8589934592
RLIMIT_LOCKS|Max file locks|100|200
RLIMIT_SIGPENDING|Max pending signals|100|200
RLIMIT_MSGQUEUE|Max msgqueue size|4096|8192
RLIMIT_NICE|Max nice priority|0|0
RLIMIT_RTPRIO|Max realtime priority|0|0
RLIMIT_RTTIME|Max realtime timeout|1000000|2000000'
  local name row soft hard cur rlimits='[]' expect=()
  while IFS='|' read -r name row soft hard; do
    # the hard column: "Max cpu time  unlimited  unlimited  seconds"
    cur=$(sed -n "s/^$row *[^ ]* *\([^ ]*\).*/\1/p" /proc/self/limits)
    if [ "$cur" != unlimited ] && [ "$cur" -lt "$hard" ]; then hard=$cur; fi
    [ "$soft" -le "$hard" ] || soft=$hard
    rlimits=$(jq -c --arg t "$name" --argjson s "$soft" --argjson h "$hard" '. + [{"type": $t, "soft": $s, "hard": $h}]' <<<"$rlimits")
    expect+=("$row|$soft|$hard")
  done <<<"$table"
  set_config --argjson r "$rlimits" '.process.rlimits = $r'
  run_fg "$ID"
  expect_status 0
  local e got
  for e in "${expect[@]}"; do
    IFS='|' read -r row soft hard <<<"$e"
    got=$(sed -n "s/^$row *\([^ ]*\) *\([^ ]*\).*/\1|\2/p" <<<"$output")
    [ "$got" = "$soft|$hard" ] || fail "$row: inside $got, expected $soft|$hard" "$output"
  done
}

@test "rlimits: a hard limit above ocirt's own is refused, naming the rlimit" {
  make_bundle 'touch /started'
  local hard
  hard=$(ulimit -Hn)
  set_config --argjson h "$((hard + 1000))" '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": $h}]'
  run_setpriv_fg --bounding-set -sys_resource
  expect_error '.process.rlimits[0]' RLIMIT_NOFILE "current hard limit $hard" CAP_SYS_RESOURCE
  [ ! -e "$BUNDLE/rootfs/started" ]
  assert_no_leaks "$ID"
}

# ---- noNewPrivileges, oomScoreAdj -----------------------------------------------------------------

@test "noNewPrivileges: true sets NoNewPrivs" {
  make_bundle 'grep ^NoNewPrivs /proc/self/status'
  set_config '.process.noNewPrivileges = true'
  run_fg "$ID"
  expect_status 0
  grep -qE '^NoNewPrivs:\s+1$' <<<"$output" || fail "$output"
}

@test "noNewPrivileges: false leaves NoNewPrivs off" {
  make_bundle 'grep ^NoNewPrivs /proc/self/status'
  set_config '.process.noNewPrivileges = false'
  run_fg "$ID"
  expect_status 0
  grep -qE '^NoNewPrivs:\s+0$' <<<"$output" || fail "$output"
}

@test "oomScoreAdj: the value is in /proc/self/oom_score_adj" {
  make_bundle 'cat /proc/self/oom_score_adj'
  set_config '.process.oomScoreAdj = 567'
  run_fg "$ID"
  expect_status 0
  [ "$output" = 567 ]
}

@test "oomScoreAdj: lowering it without CAP_SYS_RESOURCE is refused, naming the field" {
  make_bundle 'touch /started'
  set_config '.process.oomScoreAdj = -1000'
  run_setpriv_fg --bounding-set -sys_resource
  expect_error .process.oomScoreAdj -1000
  [ ! -e "$BUNDLE/rootfs/started" ]
  assert_no_leaks "$ID"
}

# ---- cwd, args --------------------------------------------------------------------------------

@test "cwd: a missing folder is created inside the rootfs" {
  make_bundle 'pwd'
  set_config '.process.cwd = "/new/deep/dir"'
  run_fg "$ID"
  expect_status 0
  [ "$output" = /new/deep/dir ]
  [ -d "$BUNDLE/rootfs/new/deep/dir" ]
}

@test "cwd: a symlink climbing out with .. stays in the container" {
  make_bundle 'cat group'
  ln -s ../../../../../../../etc "$BUNDLE/rootfs/up"
  set_config '.process.cwd = "/up"'
  run_fg "$ID"
  expect_status 0
  [ "$output" = "$(cat "$BUNDLE/rootfs/etc/group")" ] || fail "read the host's /etc/group?" "$output"
}

@test "cwd: a symlink to a host folder through /proc/self/fd is refused" {
  make_bundle 'touch /started'
  mkdir "$BATS_TEST_TMPDIR/host-dir"
  ln -s /proc/self/fd/3 "$BUNDLE/rootfs/escape"
  set_config '.process.cwd = "/escape"'
  run --separate-stderr ocirt run --preserve-fds 1 --bundle "$BUNDLE" "$ID" </dev/null 3<"$BATS_TEST_TMPDIR/host-dir"
  expect_error .process.cwd /escape
  [ ! -e "$BUNDLE/rootfs/started" ]
  assert_no_leaks "$ID"
}

@test "args: the program is found on the container's PATH, not the host's" {
  make_bundle
  mkdir -p "$BUNDLE/rootfs/opt/only-here"
  printf '#!/bin/sh\necho from-the-container\n' >"$BUNDLE/rootfs/opt/only-here/hello"
  chmod 755 "$BUNDLE/rootfs/opt/only-here/hello"
  set_config '.process.args = ["hello"] | .process.env = ["PATH=/opt/only-here:/bin"]'
  run_fg "$ID"
  expect_status 0
  [ "$output" = from-the-container ]
}

@test "args: a program only on the host's PATH is not found" {
  make_bundle
  command -v jq >/dev/null
  [ ! -e "$BUNDLE/rootfs/usr/bin/jq" ] && [ ! -e "$BUNDLE/rootfs/bin/jq" ]
  set_config '.process.args = ["jq", "--version"]'
  create_container "$ID"
  expect_error 'exec: "jq": executable file not found in $PATH'
  assert_no_leaks "$ID"
}

# ---- ioPriority, scheduler ------------------------------------------------------------------------

@test "ioPriority: IOPRIO_CLASS_RT 3, seen by ionice" {
  make_bundle 'ionice'
  set_config '.process.ioPriority = {"class": "IOPRIO_CLASS_RT", "priority": 3}'
  run_fg "$ID"
  expect_status 0
  [ "$output" = "realtime: prio 3" ] || fail "ionice: $output"
}

@test "ioPriority: IOPRIO_CLASS_IDLE, seen by ionice" {
  make_bundle 'ionice'
  set_config '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
  run_fg "$ID"
  expect_status 0
  [[ $output == idle* ]] || fail "ionice: $output"
}

@test "ioPriority: an unknown class is refused" {
  make_bundle 'touch /started'
  set_config '.process.ioPriority = {"class": "IOPRIO_CLASS_FAST", "priority": 3}'
  expect_refused .process.ioPriority.class IOPRIO_CLASS_FAST
}

@test "ioPriority: priority 8 is refused" {
  make_bundle 'touch /started'
  set_config '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 8}'
  expect_refused .process.ioPriority.priority '0\.\.7'
}

# field VALUE of /proc/self/sched
sched_field() { sed -n "s/^$1 *: *//p" <<<"$output"; }

@test "scheduler: SCHED_BATCH with nice 7, seen in /proc/self/sched and stat" {
  make_bundle 'cat /proc/self/sched; echo "nice $(cut -d" " -f19 /proc/self/stat)"'
  set_config '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 7}'
  run_fg "$ID"
  expect_status 0
  [ "$(sched_field policy)" = 3 ] || fail "$output"
  [ "$(sched_field prio)" = 127 ] || fail "$output"
  grep -qx 'nice 7' <<<"$output"
}

@test "scheduler: SCHED_IDLE" {
  make_bundle 'cat /proc/self/sched'
  set_config '.process.scheduler = {"policy": "SCHED_IDLE"}'
  run_fg "$ID"
  expect_status 0
  [ "$(sched_field policy)" = 5 ] || fail "$output"
}

@test "scheduler: SCHED_FIFO priority 10 with SCHED_FLAG_RESET_ON_FORK (or a refusal naming the field)" {
  # With cgroup v1 RT group scheduling, a cpu cgroup without RT time (cpu.rt_runtime_us 0, this
  # machine's case) makes the kernel refuse any real-time task: then the error must name the field.
  make_bundle 'cat /proc/self/sched'
  set_config '.process.scheduler = {"policy": "SCHED_FIFO", "priority": 10, "flags": ["SCHED_FLAG_RESET_ON_FORK"]}'
  run_fg "$ID"
  if [ "$status" -ne 0 ]; then
    expect_error .process.scheduler SCHED_FIFO 'Operation not permitted'
    [ -e /sys/fs/cgroup/cpu/cpu.rt_runtime_us ] || fail "refused without RT group scheduling: $stderr"
    assert_no_leaks "$ID"
    return 0
  fi
  [ "$(sched_field policy)" = 1 ] || fail "$output"
  [ "$(sched_field prio)" = 89 ] || fail "$output"
}

@test "scheduler: SCHED_DEADLINE with runtime, deadline, period (RESET_ON_FORK lets the shell fork)" {
  # a deadline task may not fork: its children, with the flag, start as SCHED_OTHER
  make_bundle 'grep -E "^policy" /proc/self/sched; grep -E "^policy" /proc/1/sched'
  set_config '.process.scheduler = {"policy": "SCHED_DEADLINE", "runtime": 1000000, "deadline": 10000000,
    "period": 20000000, "flags": ["SCHED_FLAG_RESET_ON_FORK"]}'
  run_fg "$ID"
  expect_status 0
  # a forked grep first, then pid 1 itself
  [ "$(sed -n 's/^policy *: *//p' <<<"${lines[0]}")" = 0 ] || fail "$output"
  [ "$(sed -n 's/^policy *: *//p' <<<"${lines[1]}")" = 6 ] || fail "$output"
}

@test "scheduler: unknown policy refused" {
  make_bundle 'touch /started'
  set_config '.process.scheduler = {"policy": "SCHED_FASTEST"}'
  expect_refused .process.scheduler.policy SCHED_FASTEST
}

@test "scheduler: nice 20 refused" {
  make_bundle 'touch /started'
  set_config '.process.scheduler = {"policy": "SCHED_OTHER", "nice": 20}'
  expect_refused .process.scheduler.nice '-20\.\.19'
}

@test "scheduler: a priority for SCHED_OTHER refused" {
  make_bundle 'touch /started'
  set_config '.process.scheduler = {"policy": "SCHED_OTHER", "priority": 5}'
  expect_refused .process.scheduler.priority 'SCHED_OTHER'
}

@test "scheduler: unknown flag refused" {
  make_bundle 'touch /started'
  set_config '.process.scheduler = {"policy": "SCHED_BATCH", "flags": ["SCHED_FLAG_TURBO"]}'
  expect_refused '.process.scheduler.flags[0]' SCHED_FLAG_TURBO
}

@test "scheduler: SCHED_DEADLINE with runtime above deadline refused" {
  make_bundle 'touch /started'
  set_config '.process.scheduler = {"policy": "SCHED_DEADLINE", "runtime": 2000000, "deadline": 1000000, "period": 3000000}'
  expect_refused .process.scheduler 'runtime <= deadline'
}

# ---- personality ----------------------------------------------------------------------------------

@test "personality: LINUX32 makes uname -m say i686" {
  make_bundle 'uname -m; cat /proc/self/personality'
  set_config '.linux.personality = {"domain": "LINUX32"}'
  run_fg "$ID"
  expect_status 0
  [ "${lines[0]}" = i686 ] || fail "$output"
  [ "${lines[1]}" = 00000008 ] || fail "$output"
}

@test "personality: LINUX with ADDR_NO_RANDOMIZE" {
  make_bundle 'uname -m; cat /proc/self/personality'
  set_config '.linux.personality = {"domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"]}'
  run_fg "$ID"
  expect_status 0
  [ "${lines[0]}" = "$(uname -m)" ] || fail "$output"
  [ "${lines[1]}" = 00040000 ] || fail "$output"
}

@test "personality: unknown domain refused" {
  make_bundle 'touch /started'
  set_config '.linux.personality = {"domain": "WINDOWS"}'
  expect_refused .linux.personality.domain WINDOWS
}

@test "personality: unknown flag refused" {
  make_bundle 'touch /started'
  set_config '.linux.personality = {"domain": "LINUX", "flags": ["GO_FAST"]}'
  expect_refused '.linux.personality.flags[0]' GO_FAST
}

# ---- security labels ------------------------------------------------------------------------------
# This machine runs neither AppArmor nor SELinux: asking for a label must be refused, not ignored.

@test "apparmorProfile on a host without AppArmor is refused" {
  [ ! -d /sys/kernel/security/apparmor ] || fail "this test expects a host without AppArmor"
  make_bundle 'touch /started'
  set_config '.process.apparmorProfile = "ocirt-test"'
  expect_refused .process.apparmorProfile 'AppArmor is not enabled'
}

@test "selinuxLabel on a host without SELinux is refused" {
  [ ! -e /sys/fs/selinux/enforce ] || fail "this test expects a host without SELinux"
  make_bundle 'touch /started'
  set_config '.process.selinuxLabel = "system_u:system_r:container_t:s0"'
  expect_refused .process.selinuxLabel 'SELinux is not enabled'
}

@test "mountLabel on a host without SELinux is refused" {
  [ ! -e /sys/fs/selinux/enforce ] || fail "this test expects a host without SELinux"
  make_bundle 'touch /started'
  set_config '.linux.mountLabel = "system_u:object_r:container_file_t:s0"'
  expect_refused .linux.mountLabel 'SELinux is not enabled'
}

@test "empty labels are no labels" {
  make_bundle 'echo ok'
  set_config '.process.apparmorProfile = "" | .process.selinuxLabel = "" | .linux.mountLabel = ""'
  run_fg "$ID"
  expect_status 0
  [ "$output" = ok ]
}
