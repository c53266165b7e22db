# Common code of the engine suites (tests/engines/*.bats): ocirt driven by a real engine (podman with
# conmon, containerd with its runc shim, dockerd on that shim) on a private state, storage and cgroup
# parent, and a busybox image made offline from Debian's busybox-static.
#
# Each suite keeps everything it makes under $ENG_DIR (a short path in /tmp: conmon and the shims put
# unix sockets there) and one cgroup parent $ENG_CGROUP; its teardown_file removes both, and its last
# test checks that no process, mount, cgroup, netns or ocirt state of its containers is left.

bats_require_minimum_version 1.5.0

eng_repo() { cd "$BATS_TEST_DIRNAME/../.." && pwd; }

OCIRT=${OCIRT:-$(eng_repo)/ocirt}
# ocirt's default state folder: podman never passes --root to its runtime.
OCIRT_DEFAULT_ROOT=/run/ocirt

fail() {
  printf '%s\n' "$@" >&2
  return 1
}

# eng_need PROGRAM...: the engine suites run in CI (install-deps.sh installs the engines): a missing
# program is a failure, never a skip.
eng_need() {
  local p
  for p in "$@"; do
    command -v "$p" >/dev/null 2>&1 || fail "$p not found: run contrib/install-deps.sh" || return 1
  done
}

# eng_busybox_rootfs DIR: the rootfs of contrib/make-bundle.sh (busybox-static, one link an applet).
eng_busybox_rootfs() {
  OCIRT=$OCIRT "$(eng_repo)/contrib/make-bundle.sh" "$ENG_DIR/bundle" >/dev/null || return 1
  mv "$ENG_DIR/bundle/rootfs" "$1" && rm -rf "$ENG_DIR/bundle"
}

# eng_has_command CMD: `ocirt --help` lists CMD.  Tests of commands another branch adds (ps, pause,
# resume, update, events) run once it lists them; until then they are reported as skipped, by name.
eng_has_command() {
  "$OCIRT" --help | grep -qE "^  $1 "
}

# eng_gate CMD...: load the suite's gated tests (FILE-gated.bash) when ocirt lists every CMD, else
# skip this test saying which command is missing.
eng_gate() {
  local c
  for c in "$@"; do
    eng_has_command "$c" || skip "ocirt --help does not list \`$c\` yet (issue 2): gated engine test"
  done
}

# eng_cgroups: every directory of $ENG_CGROUP, in every hierarchy.
eng_cgroups() {
  local h
  for h in /sys/fs/cgroup/*/"$ENG_CGROUP" /sys/fs/cgroup/unified/"$ENG_CGROUP"; do
    [ -d "$h" ] && find "$h" -mindepth 1 -type d
  done | sort -u
}

# eng_remove_cgroups: kill what is left in $ENG_CGROUP (only the suite's containers and monitors
# live there) and remove its directories, deepest first.
eng_remove_cgroups() {
  local h pid
  for h in /sys/fs/cgroup/*/"$ENG_CGROUP"; do
    [ -d "$h" ] || continue
    find "$h" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u | while read -r pid; do
      kill -KILL "$pid" 2>/dev/null || true
    done
  done
  sleep 0.2
  for h in /sys/fs/cgroup/*/"$ENG_CGROUP"; do
    [ -d "$h" ] && find "$h" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  return 0
}

# eng_mounts: mount points under $ENG_DIR.
eng_mounts() {
  awk -v d="$ENG_DIR" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo
}

# eng_umount_all: unmount everything under $ENG_DIR, deepest first.
eng_umount_all() {
  local m
  eng_mounts | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2- | while IFS= read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
}

# eng_alive PID: the process exists and is not a zombie.
eng_alive() {
  local st
  st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# eng_procs: pids of processes whose command line names $ENG_DIR (monitors, shims, the daemon).
eng_procs() {
  local p
  for p in /proc/[0-9]*; do
    tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF -- "$ENG_DIR" && eng_alive "${p#/proc/}" && echo "${p#/proc/}"
  done
  return 0
}

# eng_snapshot NAME: the network namespaces that exist before the suite, to diff at the end.
eng_snapshot() {
  ip netns list 2>/dev/null | awk '{ print $1 }' | sort >"$ENG_DIR/$1"
}

# eng_new_netns NAME: network namespaces made since eng_snapshot NAME as the engines name them
# (podman's netns-UUID, CNI's cni-UUID) or as the suites do (ocirt-pm.*, ocirt-ct.*).
eng_new_netns() {
  eng_snapshot now
  comm -13 "$ENG_DIR/$1" "$ENG_DIR/now" | grep -E '^(netns-|cni-|ocirt-(pm|ct)\.)' || true
}

# eng_wait COMMAND...: retry COMMAND for up to 10 s.
eng_wait() {
  local deadline=$((SECONDS + 10))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# eng_start_containerd ROOT STATE: a private containerd (no CRI plugin, no tracing) with ROOT and
# STATE, on $ENG_DIR/c.sock, its pid in $ENG_DIR/containerd.pid, its log in $ENG_DIR/containerd.log;
# it and its shims get TMPDIR (the shims' process.json files) in $ENG_DIR/tmp.
eng_start_containerd() {
  cat >"$ENG_DIR/config.toml" <<EOF
version = 2
root = "$1"
state = "$2"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$ENG_DIR/c.sock"
[ttrpc]
  address = "$ENG_DIR/c.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$ENG_DIR/opt"
EOF
  mkdir -p "$ENG_DIR/tmp"
  TMPDIR=$ENG_DIR/tmp containerd --config "$ENG_DIR/config.toml" >"$ENG_DIR/containerd.log" 2>&1 </dev/null 3>&- &
  echo $! >"$ENG_DIR/containerd.pid"
  eng_wait test -S "$ENG_DIR/c.sock" || fail "containerd did not start: $(tail -5 "$ENG_DIR/containerd.log")"
}

# eng_stop_pid NAME [GRACE]: TERM the process of $ENG_DIR/NAME.pid, KILL it after GRACE seconds
# (default 5), and wait (bounded) until it is gone.
eng_stop_pid() {
  local pid deadline
  pid=$(cat "$ENG_DIR/$1.pid" 2>/dev/null) || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  # (not our child once setup_file has returned: a zombie nobody reaps counts as gone)
  deadline=$((SECONDS + ${2:-5}))
  while eng_alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  deadline=$((SECONDS + 5))
  while eng_alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
  return 0
}
