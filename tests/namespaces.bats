#!/usr/bin/env bats
# Namespaces: each type created fresh and joined by path, checked from inside the container against the
# host; the user namespace (id mappings, root inside, the host's view, /dev without mknod, limits) and the
# time namespace (offsets); and the configurations that are refused.

load helpers

# Container ids 0..65535 are host ids HOST_ID..HOST_ID+65535 in the user namespace tests.
HOST_ID=100000

# Keep the helpers' teardown, and undo this file's own host objects first: a netns, a mount namespace
# kept by a bind mount (both under this test's names), which the helpers' leak check would see.
eval "helpers_$(declare -f teardown)"
teardown() {
  [ -z "${NETNS:-}" ] || ip netns del "$NETNS" 2>/dev/null || true
  if [ -n "${MNTNS_DIR:-}" ]; then
    umount "$MNTNS_DIR/mnt" 2>/dev/null || true
    umount "$MNTNS_DIR" 2>/dev/null || true
  fi
  helpers_teardown
}

# The host's namespace of TYPE (as in /proc/PID/ns), e.g. "net:[4026531840]".
host_ns() { readlink "/proc/self/ns/$1"; }

# ns_of PID TYPE: the namespace of a process, seen from the host.
ns_of() { readlink "/proc/$1/ns/$2"; }

# userns_bundle [SHELL-COMMAND]: make_bundle, plus a new user namespace mapping container ids
# 0..65535 to host ids HOST_ID.., the rootfs owned by the container's root, and the folders above the
# bundle searchable by it (in a user namespace, root is not root on the host).
userns_bundle() {
  make_bundle "$@"
  set_config --argjson h "$HOST_ID" '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": $h, "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": $h, "size": 65536}]'
  chown -R -h "$HOST_ID:$HOST_ID" "$BUNDLE/rootfs"
  local d=$BUNDLE
  while [ "$d" != / ] && [[ $d == "$BATS_RUN_TMPDIR"* ]]; do
    chmod o+x "$d"
    d=$(dirname "$d")
  done
}

# ns_path TYPE PATH: join namespace TYPE by PATH in $BUNDLE's config.
ns_path() {
  set_config --arg t "$1" --arg p "$2" '.linux.namespaces |= (map(select(.type != $t)) + [{"type": $t, "path": $p}])'
}

# start_sleeper ID [CONFIG-EDIT]: a detached container that sleeps, from a bundle of its own; sets
# SLEEPER_PID.  The caller's $BUNDLE is kept.
start_sleeper() {
  local id=$1 keep=$BUNDLE
  make_bundle 'sleep 1000'
  [ -z "${2:-}" ] || set_config "$2"
  run_detached "$id"
  expect_status 0
  SLEEPER_PID=$(state_field "$id" pid)
  [ -n "$SLEEPER_PID" ] && alive "$SLEEPER_PID" || fail "sleeper $id is not running"
  BUNDLE=$keep
}

# ---- every type, created fresh: inside is not the host -----------------------------------------

# check_new_ns TYPE PROC-NAME: run a container with namespace TYPE and compare /proc/self/ns/PROC-NAME
# inside with the host's.  $BUNDLE is made by the caller.
check_new_ns() {
  set_config --arg t "$1" '.linux.namespaces |= (map(select(.type != $t)) + [{"type": $t}])'
  set_config --arg n "$2" '.process.args = ["readlink", "/proc/self/ns/\($n)"]'
  run_fg "$ID"
  expect_status 0
  [[ $output == "$2:["*"]" ]] || fail "inside: '$output'"
  [ "$output" != "$(host_ns "$2")" ] || fail "the container's $1 namespace is the host's: $output"
  assert_no_leaks "$ID"
}

@test "pid namespace: new, not the host's" {
  make_bundle
  check_new_ns pid pid
}

@test "network namespace: new, not the host's" {
  make_bundle
  check_new_ns network net
}

@test "mount namespace: new, not the host's" {
  make_bundle
  check_new_ns mount mnt
}

@test "ipc namespace: new, not the host's" {
  make_bundle
  check_new_ns ipc ipc
}

@test "uts namespace: new, not the host's" {
  make_bundle
  check_new_ns uts uts
}

@test "cgroup namespace: new, not the host's" {
  make_bundle
  check_new_ns cgroup cgroup
}

@test "time namespace: new, not the host's (exec enters time_for_children)" {
  make_bundle
  check_new_ns time time
}

@test "user namespace: new, not the host's" {
  userns_bundle
  check_new_ns user user
}

@test "namespaces not requested are the host's" {
  make_bundle 'for n in net ipc uts cgroup; do readlink /proc/self/ns/$n; done'
  set_config '.linux.namespaces |= map(select(.type == "mount" or .type == "pid")) | del(.hostname)'
  run_fg "$ID"
  expect_status 0
  [ "$output" = "$(host_ns net; host_ns ipc; host_ns uts; host_ns cgroup)" ] || fail "inside:" "$output"
  assert_no_leaks "$ID"
}

# ---- hostname and domainname ---------------------------------------------------------------

@test "uts: hostname and domainname are seen inside, the host's stay" {
  local host_name host_domain
  host_name=$(hostname)
  host_domain=$(cat /proc/sys/kernel/domainname)
  make_bundle 'hostname; cat /proc/sys/kernel/domainname'
  set_config '.hostname = "box1" | .domainname = "example.test"'
  run_fg "$ID"
  expect_status 0
  [ "$output" = "$(printf 'box1\nexample.test')" ] || fail "inside:" "$output"
  [ "$(hostname)" = "$host_name" ]
  [ "$(cat /proc/sys/kernel/domainname)" = "$host_domain" ]
  assert_no_leaks "$ID"
}

# ---- joining by path -------------------------------------------------------------------------

@test "network namespace joined by path (ip netns add): same namespace inside" {
  NETNS=$ID
  ip netns add "$NETNS"
  ip -n "$NETNS" link set lo up
  make_bundle 'readlink /proc/self/ns/net; cat /sys/class/net/lo/operstate'
  ns_path network "/run/netns/$NETNS"
  run_fg "$ID"
  expect_status 0
  local lines
  mapfile -t lines <<<"$output"
  [ "${lines[0]}" = "net:[$(stat -L -c %i "/run/netns/$NETNS")]" ] || fail "inside: ${lines[0]}"
  # lo was brought up in that netns only: a fresh one has it down
  [ "${lines[1]}" = unknown ] || [ "${lines[1]}" = up ] || fail "lo: ${lines[1]}"
  assert_no_leaks "$ID"
  [ -e "/run/netns/$NETNS" ] || fail "the netns was removed"
}

@test "network namespace joined by path in a new user namespace" {
  # The netns belongs to the host's user namespace: it must be joined before the user namespace is made.
  NETNS=$ID
  ip netns add "$NETNS"
  # sysfs can only be mounted by the owner of the netns, which this container's root is not: the
  # host's /sys is bound, read-only
  userns_bundle 'readlink /proc/self/ns/net; id -u; awk "\$5 == \"/sys\" {print \$4, \$6, \$(NF-2)}" /proc/self/mountinfo
    touch /sys/x 2>/dev/null || echo sys-ro'
  ns_path network "/run/netns/$NETNS"
  run_fg "$ID"
  expect_status 0
  [ "$output" = "$(printf 'net:[%s]\n0\n/ ro,nosuid,nodev,noexec,relatime sysfs\nsys-ro' "$(stat -L -c %i "/run/netns/$NETNS")")" ] ||
    fail "inside:" "$output"
  assert_no_leaks "$ID"
}

@test "ipc namespace joined by path: same as the other container's" {
  start_sleeper "$ID-a"
  make_bundle 'readlink /proc/self/ns/ipc'
  ns_path ipc "/proc/$SLEEPER_PID/ns/ipc"
  run_fg "$ID"
  expect_status 0
  [ "$output" = "$(ns_of "$SLEEPER_PID" ipc)" ] || fail "inside: $output"
  [ "$output" != "$(host_ns ipc)" ]
}

@test "uts namespace joined by path: the other container's hostname" {
  start_sleeper "$ID-a" '.hostname = "alpha"'
  make_bundle 'readlink /proc/self/ns/uts; hostname'
  set_config 'del(.hostname)'
  ns_path uts "/proc/$SLEEPER_PID/ns/uts"
  run_fg "$ID"
  expect_status 0
  [ "$output" = "$(printf '%s\nalpha' "$(ns_of "$SLEEPER_PID" uts)")" ] || fail "inside:" "$output"
}

@test "pid namespace joined by path: the other container's processes are seen, init is not pid 1" {
  start_sleeper "$ID-a"
  make_bundle 'readlink /proc/self/ns/pid; echo $$; cat /proc/1/cmdline | tr "\0" " "'
  ns_path pid "/proc/$SLEEPER_PID/ns/pid"
  run_fg "$ID"
  expect_status 0
  local lines
  mapfile -t lines <<<"$output"
  [ "${lines[0]}" = "$(ns_of "$SLEEPER_PID" pid)" ] || fail "inside:" "$output"
  [ "${lines[1]}" -gt 1 ] || fail "pid inside: ${lines[1]}"
  [ "${lines[2]}" = "sleep 1000 " ] || fail "pid 1 inside: ${lines[2]}"
}

@test "mount namespace joined by path: the container's mounts stay in it" {
  MNTNS_DIR=$BATS_TEST_TMPDIR/mntns
  mkdir "$MNTNS_DIR"
  mount --bind "$MNTNS_DIR" "$MNTNS_DIR"
  mount --make-private "$MNTNS_DIR"
  touch "$MNTNS_DIR/mnt"
  unshare --mount="$MNTNS_DIR/mnt" true
  make_bundle 'readlink /proc/self/ns/mnt'
  ns_path mount "$MNTNS_DIR/mnt"
  run_fg "$ID"
  expect_status 0
  [ "$output" = "mnt:[$(stat -L -c %i "$MNTNS_DIR/mnt")]" ] || fail "inside: $output"
  [ "$output" != "$(host_ns mnt)" ]
  # the rootfs was mounted in that namespace: none of it in the host's
  assert_no_leaks "$ID"
}

@test "cgroup namespace joined by path: same as the other container's" {
  start_sleeper "$ID-a"
  make_bundle 'readlink /proc/self/ns/cgroup'
  ns_path cgroup "/proc/$SLEEPER_PID/ns/cgroup"
  run_fg "$ID"
  expect_status 0
  [ "$output" = "$(ns_of "$SLEEPER_PID" cgroup)" ] || fail "inside: $output"
  [ "$output" != "$(host_ns cgroup)" ]
}

@test "time namespace joined by path: the other container's offsets" {
  start_sleeper "$ID-a" '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"boottime": {"secs": 864000, "nanosecs": 0}}'
  make_bundle 'readlink /proc/self/ns/time; cut -d. -f1 /proc/uptime'
  ns_path time "/proc/$SLEEPER_PID/ns/time"
  run_fg "$ID"
  expect_status 0
  local lines
  mapfile -t lines <<<"$output"
  [ "${lines[0]}" = "$(ns_of "$SLEEPER_PID" time)" ] || fail "inside:" "$output"
  [ "${lines[1]}" -ge 864000 ] || fail "uptime inside: ${lines[1]}"
}

@test "user namespace joined by path: same namespace and mappings, root inside, new namespaces owned by it" {
  userns_bundle 'sleep 1000'
  local a_bundle=$BUNDLE
  run_detached "$ID-a"
  expect_status 0
  local a_pid
  a_pid=$(state_field "$ID-a" pid)
  userns_bundle 'readlink /proc/self/ns/user; cat /proc/self/uid_map; id -u; touch /made-by-b; sleep 1000'
  [ "$BUNDLE" != "$a_bundle" ]
  set_config 'del(.linux.uidMappings, .linux.gidMappings)'
  ns_path user "/proc/$a_pid/ns/user"
  run_detached "$ID"
  expect_status 0
  local pid
  pid=$(state_field "$ID" pid)
  wait_for_file "$BUNDLE/rootfs/made-by-b"
  local lines
  mapfile -t lines <"$SPAWN_OUT"
  [ "${lines[0]}" = "$(ns_of "$a_pid" user)" ] || fail "inside:" "${lines[@]}"
  [ "$(echo ${lines[1]})" = "0 $HOST_ID 65536" ] || fail "uid_map inside: ${lines[1]}"
  [ "${lines[2]}" = 0 ] || fail "id -u: ${lines[2]}"
  [ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = "$HOST_ID" ]
  # its own mount namespace, and the kernel let its root mount proc: owned by the joined namespace
  [ "$(ns_of "$pid" mnt)" != "$(ns_of "$a_pid" mnt)" ]
  [ "$(stat -c %u "$BUNDLE/rootfs/made-by-b")" = "$HOST_ID" ]
}

# ---- the user namespace ----------------------------------------------------------------------

@test "user: uid_map and gid_map inside are the mappings, id is 0" {
  userns_bundle 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; id -G'
  set_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}, {"containerID": 1000, "hostID": 200000, "size": 64536}]'
  run_fg "$ID"
  expect_status 0
  local lines
  mapfile -t lines <<<"$output"
  [ "$(echo ${lines[0]})" = "0 100000 1000" ] || fail "uid_map:" "$output"
  [ "$(echo ${lines[1]})" = "1000 200000 64536" ] || fail "uid_map:" "$output"
  [ "$(echo ${lines[2]})" = "0 100000 65536" ] || fail "gid_map:" "$output"
  [ "${lines[3]}" = 0 ] && [ "${lines[4]}" = 0 ] && [ "${lines[5]}" = 0 ] || fail "id:" "$output"
  assert_no_leaks "$ID"
}

@test "user: init runs on the host as the mapped uid and gid" {
  userns_bundle 'sleep 1000'
  set_config '.process.user = {"uid": 1000, "gid": 1001}'
  run_detached "$ID"
  expect_status 0
  local pid
  pid=$(state_field "$ID" pid)
  wait_for_status "$ID" running
  # the process's own uid after exec: container 1000 = host 101000
  local deadline=$((SECONDS + 5))
  until [ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = 101000 ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail "Uid: $(grep ^Uid: "/proc/$pid/status")"
    sleep 0.1
  done
  [ "$(awk '/^Gid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")" = "101001 101001 101001 101001" ]
  [ "$(ps -o user= -p "$pid")" = 101000 ]
  [ "$(ns_of "$pid" user)" != "$(host_ns user)" ]
  [ "$(cat "/proc/$pid/uid_map" | tr -s ' ' | sed 's/^ //')" = "0 $HOST_ID 65536" ]
}

@test "user: a file the container creates is owned on the host by the mapped ids" {
  userns_bundle 'touch /by-root; su -s /bin/sh nobody -c "touch /tmp/by-nobody"'
  set_config '.process.capabilities |= with_entries(.value += ["CAP_SETUID", "CAP_SETGID"])'
  run_fg "$ID"
  expect_status 0
  [ "$(stat -c %u:%g "$BUNDLE/rootfs/by-root")" = "$HOST_ID:$HOST_ID" ]
  [ "$(stat -c %u:%g "$BUNDLE/rootfs/tmp/by-nobody")" = "$((HOST_ID + 65534)):$((HOST_ID + 65534))" ]
  assert_no_leaks "$ID"
}

@test "user: mknod is refused, /dev/null, zero, urandom... are the host's nodes bound in and work" {
  # CAP_MKNOD in every set: mknod is refused by the user namespace, not for want of the capability.
  userns_bundle 'mknod /tmp/null c 1 3 && echo mknod-worked
    echo data >/dev/null && echo null-ok
    [ "$(head -c 5 /dev/zero | wc -c)" = 5 ] && echo zero-ok
    [ "$(head -c 5 /dev/urandom | wc -c)" = 5 ] && echo urandom-ok
    head -c 1 /dev/full >/dev/null && echo full-ok
    stat -c "%F %t:%T" /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty
    awk "\$5 ~ /^\/dev\/(null|zero|full|random|urandom|tty)$/ {print \$5}" /proc/self/mountinfo | sort'
  set_config '.process.capabilities |= with_entries(.value += ["CAP_MKNOD"])'
  run_fg "$ID"
  expect_status 0
  local expected
  expected=$(printf '%s\n' null-ok zero-ok urandom-ok full-ok \
    "character special file 1:3" "character special file 1:5" "character special file 1:7" \
    "character special file 1:8" "character special file 1:9" "character special file 5:0" \
    /dev/full /dev/null /dev/random /dev/tty /dev/urandom /dev/zero)
  [ "$output" = "$expected" ] || fail "inside:" "$output" "stderr: $stderr"
  [[ $stderr == *mknod* ]] || fail "mknod did not complain: $stderr"
  assert_no_leaks "$ID"
}

@test "without a user namespace the default devices are made with mknod, not bound" {
  make_bundle 'stat -c "%F %t:%T" /dev/null; awk "\$5 == \"/dev/null\"" /proc/self/mountinfo'
  run_fg "$ID"
  expect_status 0
  [ "$output" = "character special file 1:3" ] || fail "inside:" "$output"
}

@test "user: every default mount, the hostname and cgroups work inside" {
  userns_bundle 'awk "{print \$5, \$(NF-2)}" /proc/self/mountinfo | grep -E "^/(proc|sys|dev|dev/pts|dev/shm|dev/mqueue|sys/fs/cgroup/memory) "
    hostname; ls /dev/pts/ptmx; ls /sys/fs/cgroup/memory/memory.limit_in_bytes; touch /dev/shm/x && echo shm-ok'
  set_config '.hostname = "inside-userns"'
  run_fg "$ID"
  expect_status 0
  local expected
  expected=$(printf '%s\n' "/proc proc" "/dev tmpfs" "/dev/pts devpts" "/dev/shm tmpfs" "/dev/mqueue mqueue" \
    "/sys sysfs" "/sys/fs/cgroup/memory cgroup" inside-userns /dev/pts/ptmx \
    /sys/fs/cgroup/memory/memory.limit_in_bytes shm-ok)
  [ "$output" = "$expected" ] || fail "inside:" "$output" "stderr: $stderr"
  assert_no_leaks "$ID"
}

@test "user: rlimits and oomScoreAdj are applied" {
  # After the switch to the namespace's root, /proc/self is the host root's unless init makes itself
  # dumpable again: oom_score_adj could not be written.
  userns_bundle 'ulimit -Hn; ulimit -Sn; cat /proc/self/oom_score_adj'
  set_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "hard": 512, "soft": 256}] | .process.oomScoreAdj = 300'
  run_fg "$ID"
  expect_status 0
  [ "$output" = "$(printf '512\n256\n300')" ] || fail "inside:" "$output" "stderr: $stderr"
  assert_no_leaks "$ID"
}

@test "user and time namespaces together: offsets written by the container's root" {
  userns_bundle 'cat /proc/self/timens_offsets; id -u'
  set_config '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"monotonic": {"secs": 7200, "nanosecs": 5}}'
  run_fg "$ID"
  expect_status 0
  [ "$(echo $output)" = "monotonic 7200 5 boottime 0 0 0" ] || fail "inside:" "$output"
}

# ---- the time namespace ----------------------------------------------------------------------

@test "time: offsets are seen inside (timens_offsets, uptime), the host's clock is untouched" {
  make_bundle 'cat /proc/self/timens_offsets; cut -d. -f1 /proc/uptime; readlink /proc/self/ns/time; sleep 1000'
  set_config '.linux.namespaces += [{"type": "time"}]
    | .linux.timeOffsets = {"boottime": {"secs": 864000, "nanosecs": 0}, "monotonic": {"secs": -60, "nanosecs": 500}}'
  run_detached "$ID"
  expect_status 0
  local pid lines
  pid=$(state_field "$ID" pid)
  local deadline=$((SECONDS + 10))
  until [ "$(wc -l <"$SPAWN_OUT")" -ge 4 ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail "output: $(cat "$SPAWN_OUT")"
    sleep 0.1
  done
  mapfile -t lines <"$SPAWN_OUT"
  [ "$(echo ${lines[0]})" = "monotonic -60 500" ] || fail "inside:" "${lines[@]}"
  [ "$(echo ${lines[1]})" = "boottime 864000 0" ] || fail "inside:" "${lines[@]}"
  local host_uptime
  host_uptime=$(cut -d. -f1 /proc/uptime)
  [ "${lines[2]}" -ge $((host_uptime + 864000 - 5)) ] || fail "uptime inside ${lines[2]}, host $host_uptime"
  [ "$host_uptime" -lt 864000 ] || [ "${lines[2]}" -gt "$host_uptime" ]
  # the process itself is in it (execve entered time_for_children), seen from the host too
  [ "${lines[3]}" = "$(ns_of "$pid" time)" ]
  [ "${lines[3]}" != "$(host_ns time)" ]
  [ "$(sed -n 2p "/proc/$pid/timens_offsets" | tr -s ' ')" = "boottime 864000 0" ]
}

# ---- refused configurations ------------------------------------------------------------------

# expect_refused WHERE [PATTERN...]: create fails with one error line naming WHERE, the program never
# ran, nothing is left.
expect_refused() {
  create_container "$ID"
  expect_error "$@"
  [ ! -e "$BUNDLE/rootfs/started" ] || fail "the program ran"
  assert_no_leaks "$ID"
}

@test "refused: uidMappings without a user namespace" {
  make_bundle 'touch /started'
  set_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
  expect_refused .linux.uidMappings '"user" namespace'
}

@test "refused: gidMappings without a user namespace" {
  make_bundle 'touch /started'
  set_config '.linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
  expect_refused .linux.gidMappings '"user" namespace'
}

@test "refused: a new user namespace without mappings" {
  userns_bundle 'touch /started'
  set_config 'del(.linux.gidMappings)'
  expect_refused .linux.gidMappings 'needs gid mappings'
}

@test "refused: overlapping container uid ranges" {
  userns_bundle 'touch /started'
  set_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}, {"containerID": 999, "hostID": 300000, "size": 10}]'
  expect_refused '.linux.uidMappings[1]' 'container uids 999-1008 overlap' '.linux.uidMappings[0]'
}

@test "refused: overlapping host gid ranges" {
  userns_bundle 'touch /started'
  set_config '.linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}, {"containerID": 5000, "hostID": 100500, "size": 10}]'
  expect_refused '.linux.gidMappings[1]' 'host gids 100500-100509 overlap'
}

@test "refused: mapping of size 0" {
  userns_bundle 'touch /started'
  set_config '.linux.gidMappings[0].size = 0'
  expect_refused '.linux.gidMappings[0].size' 'at least 1'
}

@test "refused: container uid 0 not mapped" {
  userns_bundle 'touch /started'
  set_config '.linux.uidMappings[0].containerID = 1'
  expect_refused .linux.uidMappings 'uid 0 is not mapped'
}

@test "refused: process.user.uid not mapped" {
  userns_bundle 'touch /started'
  set_config '.process.user.uid = 70000'
  expect_refused .process.user.uid '70000 is not mapped in .linux.uidMappings'
}

@test "refused: mappings with a user namespace joined by path" {
  make_bundle 'touch /started'
  set_config '.linux.namespaces += [{"type": "user", "path": "/proc/self/ns/user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
  expect_refused .linux.uidMappings 'joined by path'
}

@test "refused: timeOffsets without a time namespace" {
  make_bundle 'touch /started'
  set_config '.linux.timeOffsets = {"boottime": {"secs": 10, "nanosecs": 0}}'
  expect_refused .linux.timeOffsets '"time" namespace'
}

@test "refused: timeOffsets with a time namespace joined by path" {
  make_bundle 'touch /started'
  set_config '.linux.namespaces += [{"type": "time", "path": "/proc/self/ns/time"}] | .linux.timeOffsets = {"boottime": {"secs": 10, "nanosecs": 0}}'
  expect_refused .linux.timeOffsets 'joined by path'
}

@test "refused: timeOffsets of an unknown clock, nanosecs out of range" {
  make_bundle 'touch /started'
  set_config '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"realtime": {"secs": 10, "nanosecs": 0}}'
  expect_refused '.linux.timeOffsets["realtime"]' 'unknown clock'
  set_config '.linux.timeOffsets = {"boottime": {"secs": 10, "nanosecs": 1000000000}}'
  expect_refused '.linux.timeOffsets["boottime"].nanosecs' '1000000000'
}

@test "refused: domainname without a uts namespace" {
  make_bundle 'touch /started'
  set_config '.domainname = "example.test" | del(.hostname) | .linux.namespaces |= map(select(.type != "uts"))'
  expect_refused .domainname '"uts" namespace'
}

@test "refused: a namespace path that is a namespace of another type" {
  make_bundle 'touch /started'
  local i
  ns_path ipc /proc/self/ns/net
  i=$(jq '.linux.namespaces | map(.type) | index("ipc")' "$BUNDLE/config.json")
  expect_refused ".linux.namespaces[$i].path" '/proc/self/ns/net' 'is not a ipc namespace'
}

@test "refused: a namespace path that is not a namespace" {
  make_bundle 'touch /started'
  local i
  : >"$BATS_TEST_TMPDIR/plain-file"
  ns_path uts "$BATS_TEST_TMPDIR/plain-file"
  i=$(jq '.linux.namespaces | map(.type) | index("uts")' "$BUNDLE/config.json")
  expect_refused ".linux.namespaces[$i].path" plain-file 'is not a uts namespace'
}

@test "refused: the same namespace type twice, once by path" {
  make_bundle 'touch /started'
  local n
  n=$(jq '.linux.namespaces | length' "$BUNDLE/config.json")
  set_config '.linux.namespaces += [{"type": "network", "path": "/proc/self/ns/net"}]'
  expect_refused ".linux.namespaces[$n].type" twice
}

@test "a failing create after joining namespaces by path leaves nothing behind" {
  NETNS=$ID
  ip netns add "$NETNS"
  make_bundle 'touch /started'
  ns_path network "/run/netns/$NETNS"
  set_config '.mounts += [{"destination": "/nosuchfs-mnt", "type": "nosuchfs", "source": "none"}]'
  expect_refused /nosuchfs-mnt nosuchfs
  [ -e "/run/netns/$NETNS" ] || fail "the joined netns is gone"
  # no process of ours is left in it
  [ -z "$(ip netns pids "$NETNS")" ] || fail "processes left in the netns: $(ip netns pids "$NETNS")"
}

# ---- exec joins them all ----------------------------------------------------------------------

@test "exec joins the container's user and time namespaces (and every other)" {
  userns_bundle 'sleep 1000'
  set_config '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"boottime": {"secs": 864000, "nanosecs": 0}}'
  run_detached "$ID"
  expect_status 0
  local pid
  pid=$(state_field "$ID" pid)
  run --separate-stderr ocirt exec "$ID" sh -c 'for n in user time mnt pid net ipc uts cgroup; do readlink /proc/self/ns/$n; done
    cat /proc/self/uid_map; id -u; cut -d. -f1 /proc/uptime' </dev/null 3>&-
  expect_status 0
  local i=0 n
  for n in user time mnt pid net ipc uts cgroup; do
    [ "${lines[$i]}" = "$(ns_of "$pid" "$n")" ] || fail "$n: exec is in ${lines[$i]}, the container in $(ns_of "$pid" "$n")"
    [ "${lines[$i]}" != "$(host_ns "$n")" ] || fail "$n is the host's"
    i=$((i + 1))
  done
  [[ ${lines[8]} =~ ^\ *0\ +$HOST_ID\ +65536$ ]] || fail "uid_map: ${lines[8]}"
  [ "${lines[9]}" = 0 ] || fail "id -u: ${lines[9]}"
  [ "${lines[10]}" -ge 864000 ] || fail "uptime ${lines[10]}: the time offset is not seen"
}
