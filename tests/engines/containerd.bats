#!/usr/bin/env bats
# containerd (1.6, its runc shim io.containerd.runc.v2) running containers on ocirt.  The suite starts
# a private containerd (its own root, state, sockets, no CRI plugin), imports a busybox image it builds
# offline as an OCI layout archive, and drives it with `ctr run --runc-binary $OCIRT`.  The shim calls
# ocirt as it calls runc: --root R --log B/log.json --log-format json on every call, create --bundle
# --pid-file, start, exec --process --detach --pid-file, kill ID N, delete then delete --force.
#
# ctr has no flag for the user, rlimits or sysctls: those tests give it a whole config.json (--config).
# Tests of commands another branch adds (ps, pause/resume, cgroup limits; ctr 1.6 has no task update) are in
# containerd-gated.bash: they run when `ocirt --help` lists the command, and are skipped, by name,
# until then.

load engines

IMG=localhost/ocirt-busybox:test

# ct ARGS...: ctr on the suite's containerd and namespace.
ct() {
  timeout --kill-after=5 60 ctr --address "$ENG_DIR/c.sock" -n "$ENG_NS" "$@" </dev/null
}

# ctrun ARGS...: `ctr run` with ocirt as the shim's runtime binary.
ctrun() {
  ct run --runc-binary "$OCIRT" --runc-root "$ENG_DIR/runc" --fifo-dir "$ENG_DIR/fifo" "$@"
}

# ct_tty ARGS...: ctr under a pty of its own (ctr -t needs a console).
ct_tty() {
  local cmd
  printf -v cmd '%q ' ctr --address "$ENG_DIR/c.sock" -n "$ENG_NS" "$@"
  timeout --kill-after=5 60 script -qec "$cmd" /dev/null </dev/null
}

# oci_blob FILE MEDIA-TYPE: move FILE into the layout's blobs, print its descriptor.
oci_blob() {
  local d s
  d=$(sha256sum "$1" | cut -d' ' -f1)
  s=$(stat -c %s "$1")
  mv "$1" "$ENG_DIR/oci/blobs/sha256/$d"
  jq -cn --arg m "$2" --arg d "sha256:$d" --argjson s "$s" '{mediaType: $m, digest: $d, size: $s}'
}

# An OCI image layout (one uncompressed layer: the busybox rootfs) in a tar, as `ctr images import` reads.
make_image_archive() {
  mkdir -p "$ENG_DIR/oci/blobs/sha256"
  tar -C "$ENG_DIR/rootfs" -cf "$ENG_DIR/layer.tar" .
  local diff layer config manifest
  diff=sha256:$(sha256sum "$ENG_DIR/layer.tar" | cut -d' ' -f1)
  layer=$(oci_blob "$ENG_DIR/layer.tar" application/vnd.oci.image.layer.v1.tar)
  jq -cn --arg d "$diff" '{architecture: "amd64", os: "linux",
      config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"]},
      rootfs: {type: "layers", diff_ids: [$d]}}' >"$ENG_DIR/config.blob"
  config=$(oci_blob "$ENG_DIR/config.blob" application/vnd.oci.image.config.v1+json)
  jq -cn --argjson c "$config" --argjson l "$layer" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: $c, layers: [$l]}' \
    >"$ENG_DIR/manifest.blob"
  manifest=$(oci_blob "$ENG_DIR/manifest.blob" application/vnd.oci.image.manifest.v1+json)
  jq -cn --argjson m "$manifest" --arg n "$IMG" \
    '{schemaVersion: 2, manifests: [$m + {annotations: {"io.containerd.image.name": $n}}]}' >"$ENG_DIR/oci/index.json"
  echo '{"imageLayoutVersion": "1.0.0"}' >"$ENG_DIR/oci/oci-layout"
  tar -C "$ENG_DIR/oci" -cf "$ENG_DIR/image.tar" .
}

setup_file() {
  eng_need containerd ctr containerd-shim-runc-v2 script
  [ "$(id -u)" -eq 0 ] || fail "the engine suites run as root"
  ENG_DIR=$(mktemp -d /tmp/ocirt-ct.XXXXXX)
  # ctr puts a container's cgroup at /NAMESPACE/ID: the namespace is the suite's cgroup parent.
  ENG_NS=ocirt-engines-ctr-$$
  ENG_CGROUP=$ENG_NS
  export ENG_DIR ENG_NS ENG_CGROUP
  eng_snapshot before
  # the shim's socket folder (/run/containerd/s) and ctr's fifos (/run/containerd/fifo) are fixed
  # paths: removed at the end when the suite made them
  [ -e /run/containerd ] || touch "$ENG_DIR/made-run-containerd"
  eng_start_containerd "$ENG_DIR/root" "$ENG_DIR/state"
  eng_wait ct version >/dev/null 2>&1 || fail "containerd does not answer: $(tail -5 "$ENG_DIR/containerd.log")"
  eng_busybox_rootfs "$ENG_DIR/rootfs"
  make_image_archive
  ct images import "$ENG_DIR/image.tar" >/dev/null
}

teardown_file() {
  [ -n "${ENG_DIR:-}" ] && [ -d "$ENG_DIR" ] || return 0
  local c p
  for c in $(ct c ls -q 2>/dev/null); do
    ct t kill -a -s KILL "$c" >/dev/null 2>&1
    ct t rm -f "$c" >/dev/null 2>&1
    ct c rm "$c" >/dev/null 2>&1
  done
  eng_stop_pid containerd
  for p in $(eng_procs); do kill -KILL "$p" 2>/dev/null; done
  eng_umount_all
  eng_remove_cgroups
  [ ! -e "/run/netns/${ENG_DIR##*/}" ] || ip netns del "${ENG_DIR##*/}"
  [ -e "$ENG_DIR/made-run-containerd" ] && rm -rf /run/containerd
  rm -rf "${ENG_DIR:?}"
}

# ct_rm ID: kill the task, delete it and its container.
ct_rm() {
  ct t kill -a -s KILL "$1" >/dev/null 2>&1
  eng_wait sh -c "! ctr --address '$ENG_DIR/c.sock' -n '$ENG_NS' t ls -q | grep -qx '$1' || ctr --address '$ENG_DIR/c.sock' -n '$ENG_NS' t ls | grep -q '^$1 .*STOPPED'"
  ct t rm "$1" >/dev/null 2>&1
  ct c rm "$1"
}

# spec_for ID SHELL-COMMAND JQ-EDIT: a whole config.json for `ctr run --config` (rootfs: the image's
# rootfs folder, read-only; cgroup under the suite's parent).
spec_for() {
  "$OCIRT" spec --bundle "$ENG_DIR" 2>/dev/null || true
  jq --arg r "$ENG_DIR/rootfs" --arg cg "/$ENG_NS/$1" --arg cmd "$2" \
    ".process.terminal = false | .process.args = [\"sh\", \"-c\", \$cmd] | .root = {path: \$r, readonly: true}
     | .linux.cgroupsPath = \$cg | $3" "$ENG_DIR/config.json" >"$ENG_DIR/spec-$1.json"
  rm -f "$ENG_DIR/config.json"
}

@test "containerd: run --rm prints the program's output and exits with its status" {
  run --separate-stderr ctrun --rm "$IMG" rm1 sh -c 'echo hello from $(hostname)'
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$output" = "hello from " ] || [[ $output == "hello from "* ]] || fail "$output"
  run ctrun --rm "$IMG" rm2 sh -c 'exit 7'
  [ "$status" -eq 7 ]
  # (not pid 1, in the host's pid namespace: a pid-namespace init cannot be killed from inside)
  run ctrun --rm --with-ns "pid:/proc/$$/ns/pid" "$IMG" rm3 sh -c 'kill -9 $$'
  [ "$status" -eq 137 ]
}

@test "containerd: the shim reports ocirt's error (log.json) for a missing program" {
  run --separate-stderr ctrun --rm "$IMG" miss1 no-such-program
  [ "$status" -ne 0 ]
  [[ $stderr == *'exec: "no-such-program": executable file not found in $PATH'* ]] || fail "$stderr"
  run --separate-stderr ctrun --rm "$IMG" miss2 /no/such/program
  [ "$status" -ne 0 ]
  [[ $stderr == *"stat /no/such/program: no such file or directory"* ]] || fail "$stderr"
  [ -z "$(ct c ls -q)" ] || fail "containers left: $(ct c ls -q)"
}

@test "containerd: detached run, exec (plain, with a tty, with a status), stop, rm" {
  ctrun -d "$IMG" det sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done' >/dev/null
  # the shim's --root is ours: the state is there while the container lives
  [ -d "$ENG_DIR/runc/$ENG_NS/det" ]
  run ct t exec --exec-id e1 det sh -c 'echo pid $$ of $(cat /proc/1/cmdline | tr "\0" " ")'
  [ "$status" -eq 0 ]
  [[ $output == "pid "*" of sh -c trap"* ]] || fail "$output"
  run ct_tty t exec -t --exec-id e2 det tty
  [[ $output == /dev/pts/* ]] || fail "exec -t: $output"
  run ct t exec --exec-id e3 det sh -c 'exit 5'
  [ "$status" -eq 5 ]
  ct t kill -s TERM det
  eng_wait sh -c "ctr --address '$ENG_DIR/c.sock' -n '$ENG_NS' t ls | grep -q '^det .*STOPPED'"
  run ct t rm det
  [[ $output == *"det"*"42"* ]] || fail "exit status: $output" # TERM reached the program's trap
  ct c rm det
  [ ! -e "$ENG_DIR/runc/$ENG_NS/det" ]
  [ -z "$(eng_cgroups | grep -F "/det")" ]
}

@test "containerd: kill delivers the signals asked for, --all too" {
  ctrun -d "$IMG" sig sh -c 'trap "echo USR1 >>/tmp/sigs" USR1; trap "echo HUP >>/tmp/sigs" HUP; sleep 1000 & while :; do sleep 0.1; done' >/dev/null
  ct t kill -s SIGUSR1 sig
  eng_wait sh -c "timeout 10 ctr --address '$ENG_DIR/c.sock' -n '$ENG_NS' t exec --exec-id c1 sig cat /tmp/sigs </dev/null | grep -q USR1"
  ct t kill -s SIGHUP sig
  eng_wait sh -c "timeout 10 ctr --address '$ENG_DIR/c.sock' -n '$ENG_NS' t exec --exec-id c2 sig cat /tmp/sigs </dev/null | grep -q HUP"
  ct t kill -a -s SIGKILL sig
  eng_wait sh -c "ctr --address '$ENG_DIR/c.sock' -n '$ENG_NS' t ls | grep -q '^sig .*STOPPED'"
  run ct t rm sig
  [[ $output == *"137"* ]] || fail "$output"
  ct c rm sig
}

@test "containerd: --cap-drop and --cap-add change the capabilities" {
  run ctrun --rm --cap-add CAP_SYS_ADMIN "$IMG" cap1 sh -c 'grep CapEff /proc/self/status | cut -f2'
  (( (0x$output >> 21) & 1 )) || fail "no CAP_SYS_ADMIN in $output"
  run ctrun --rm "$IMG" cap2 sh -c 'touch /tmp/f && chown 1 /tmp/f && echo chowned'
  [ "$output" = chowned ]
  run ctrun --rm --cap-drop CAP_CHOWN "$IMG" cap3 sh -c 'touch /tmp/f && chown 1 /tmp/f'
  [ "$status" -ne 0 ]
  [[ $output == *"Operation not permitted"* ]] || fail "$output"
}

@test "containerd: --read-only makes the rootfs read-only" {
  run ctrun --rm --read-only "$IMG" ro1 sh -c 'touch /x'
  [ "$status" -ne 0 ]
  [[ $output == *"Read-only file system"* ]] || fail "$output"
}

@test "containerd: seccomp off by default, --seccomp, --seccomp-profile" {
  run ctrun --rm "$IMG" sc1 sh -c 'grep ^Seccomp: /proc/self/status'
  [[ $output == *"0" ]] || fail "default: $output"
  run ctrun --rm --seccomp "$IMG" sc2 sh -c 'grep ^Seccomp: /proc/self/status'
  [[ $output == *"2" ]] || fail "--seccomp: $output"
  cat >"$ENG_DIR/nomkdir.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
EOF
  run ctrun --rm --seccomp --seccomp-profile "$ENG_DIR/nomkdir.json" "$IMG" sc3 sh -c 'mkdir /tmp/d'
  [ "$status" -ne 0 ]
  [[ $output == *"Operation not permitted"* ]] || fail "$output"
}

@test "containerd: masked and read-only paths" {
  [ -n "$(head -c 1 /proc/timer_list)" ] || fail "the host has no /proc/timer_list"
  # (stdout and stderr apart: the shim copies them on their own, in no set order)
  run --separate-stderr ctrun --rm "$IMG" mp1 sh -c 'wc -c </proc/timer_list; echo 1 >/proc/sys/vm/overcommit_memory'
  [ "$status" -ne 0 ]
  [ "$output" = 0 ] || fail "/proc/timer_list is not masked: $output"
  [[ $stderr == *"Read-only file system"* ]] || fail "/proc/sys is writable: $stderr"
}

@test "containerd: tmpfs and bind mounts (read-write and read-only)" {
  mkdir -p "$ENG_DIR/vol"
  echo from-host >"$ENG_DIR/vol/in"
  run ctrun --rm --mount type=tmpfs,src=tmpfs,dst=/scratch,options=rw:size=1m \
    --mount "type=bind,src=$ENG_DIR/vol,dst=/data,options=rbind:rw" "$IMG" mnt1 sh -c \
    'grep " /scratch " /proc/self/mountinfo; cat /data/in; echo from-container >/data/out; dd if=/dev/zero of=/scratch/big bs=1k count=2048 2>&1'
  [[ ${lines[0]} == *" /scratch "*" - tmpfs "*"size=1024k"* ]] || fail "$output"
  [ "${lines[1]}" = from-host ]
  [[ $output == *"No space left on device"* ]] || fail "the tmpfs size is not enforced: $output"
  [ "$(cat "$ENG_DIR/vol/out")" = from-container ]
  run ctrun --rm --mount "type=bind,src=$ENG_DIR/vol,dst=/ro,options=rbind:ro" "$IMG" mnt2 sh -c 'echo x >/ro/x'
  [ "$status" -ne 0 ]
  [[ $output == *"Read-only file system"* ]] || fail "$output"
  [ ! -e "$ENG_DIR/vol/x" ]
}

@test "containerd: user, rlimits and sysctl (a whole config.json)" {
  local host
  host=$(cat /proc/sys/kernel/shm_rmid_forced)
  spec_for cfg1 'echo $(id -u) $(id -g) $(ulimit -n) $(ulimit -Hn) $(cat /proc/sys/kernel/shm_rmid_forced)' \
    '.process.user = {uid: 1000, gid: 1001} | .process.rlimits = [{type: "RLIMIT_NOFILE", soft: 300, hard: 400}]
     | .linux.sysctl = {"kernel.shm_rmid_forced": "1"}'
  run ctrun --rm --config "$ENG_DIR/spec-cfg1.json" cfg1
  [ "$status" -eq 0 ] || fail "$output"
  [ "$output" = "1000 1001 300 400 1" ] || fail "$output"
  [ "$(cat /proc/sys/kernel/shm_rmid_forced)" = "$host" ]
}

@test "containerd: pid and net namespaces: the host's and private" {
  local hostpid hostnet
  hostpid=$(readlink /proc/self/ns/pid)
  hostnet=$(readlink /proc/self/ns/net)
  # (the host's pid namespace joined by path: this test's; pid 1 of a CI sandbox may not be ptrace-able)
  run ctrun --rm --net-host --with-ns "pid:/proc/$$/ns/pid" "$IMG" ns1 sh -c 'readlink /proc/self/ns/pid; readlink /proc/self/ns/net'
  [ "${lines[0]}" = "$hostpid" ] && [ "${lines[1]}" = "$hostnet" ] || fail "$output"
  run ctrun --rm "$IMG" ns2 sh -c 'readlink /proc/self/ns/pid; readlink /proc/self/ns/net; echo $$; grep -c : /proc/net/dev'
  [ "${lines[0]}" != "$hostpid" ] && [ "${lines[1]}" != "$hostnet" ] || fail "$output"
  [ "${lines[2]}" = 1 ] || fail "the program is not pid 1: $output"
  [ "${lines[3]}" = 1 ] || fail "more than lo in the network namespace: $output"
}

@test "containerd: a network namespace joined by path (/run/netns/NAME)" {
  local ns=${ENG_DIR##*/} # removed by teardown_file too
  ip netns add "$ns"
  ip -n "$ns" link set lo up # (a new namespace's lo is down)
  run ctrun --rm --with-ns "network:/run/netns/$ns" "$IMG" netns1 sh -c 'ip link show lo | grep -o "LOOPBACK,UP"; readlink /proc/self/ns/net'
  local inode
  inode="net:[$(stat -L -c %i "/run/netns/$ns")]"
  ip netns del "$ns"
  [ "$status" -eq 0 ] || fail "$output"
  [ "${lines[0]}" = LOOPBACK,UP ] && [ "${lines[1]}" = "$inode" ] || fail "$output"
}

@test "containerd: parallel runs" {
  local i pids=()
  for i in 1 2 3 4 5 6; do
    ctrun --rm "$IMG" par$i sh -c "echo run-$i; exit $i" >"$ENG_DIR/par.$i" 2>&1 &
    pids+=($!)
  done
  for i in 1 2 3 4 5 6; do
    local rc=0
    wait "${pids[$((i - 1))]}" || rc=$?
    [ "$rc" -eq "$i" ] || fail "run $i exited $rc: $(cat "$ENG_DIR/par.$i")"
    [ "$(cat "$ENG_DIR/par.$i")" = "run-$i" ] || fail "run $i: $(cat "$ENG_DIR/par.$i")"
  done
}

@test "containerd: contrib/engines/containerd-config.toml is a config containerd reads, with ocirt as BinaryName" {
  run --separate-stderr containerd --config "$(eng_repo)/contrib/engines/containerd-config.toml" config dump
  [ "$status" -eq 0 ] || fail "$stderr"
  local section
  section=$(sed -n '/runtimes\.ocirt\.options\]/,/^ *\[/p' <<<"$output")
  grep -qE 'BinaryName = "/usr/local/sbin/ocirt"' <<<"$section" || fail "$output"
  grep -A3 'runtimes\.ocirt\]' <<<"$output" | grep -q "" || fail "no runtimes.ocirt"
  grep -qE 'runtime_type = "io.containerd.runc.v2"' <<<"$(sed -n '/runtimes\.ocirt\]/,/runtimes\.ocirt\.options/p' <<<"$output")" || fail "$output"
}

# (containerd's memory limit comes with ocirt's cgroup resources, which come with `update`)
@test "containerd: memory and cpu limits are enforced" {
  eng_gate update
  load containerd-gated
  gated_limits
}

@test "containerd: pause and resume" {
  eng_gate pause resume
  load containerd-gated
  gated_pause
}

@test "containerd: ctr task ps (ocirt ps --format json)" {
  eng_gate ps
  load containerd-gated
  gated_ps
}

@test "containerd: nothing left behind" {
  [ -z "$(ct c ls -q)" ] || fail "containers: $(ct c ls -q)"
  [ -z "$(ct t ls -q)" ] || fail "tasks: $(ct t ls -q)"
  local leaks=() c m p daemon
  daemon=$(cat "$ENG_DIR/containerd.pid")
  while IFS= read -r c; do [ -n "$c" ] && leaks+=("netns $c"); done < <(eng_new_netns before)
  while IFS= read -r c; do [ -n "$c" ] && leaks+=("cgroup $c"); done < <(eng_cgroups)
  while IFS= read -r m; do [ -n "$m" ] && leaks+=("mount $m"); done < <(eng_mounts)
  for p in $(eng_procs); do
    [ "$p" = "$daemon" ] || leaks+=("process $p: $(tr '\0' ' ' <"/proc/$p/cmdline")")
  done
  # (less ocirt's compiled-seccomp cache, .seccomp@cache, which is no container's state)
  local state
  state=$(ls -A "$ENG_DIR/runc/$ENG_NS" 2>/dev/null | grep -vx '\.seccomp@cache' || true)
  [ -z "$state" ] || leaks+=("ocirt state: $state")
  [ ${#leaks[@]} -eq 0 ] || fail "left behind:" "${leaks[@]}"
  eng_stop_pid containerd
  [ -z "$(eng_procs)" ] || fail "processes after containerd stopped: $(eng_procs)"
  if [ -e "$ENG_DIR/made-run-containerd" ]; then
    [ -z "$(find /run/containerd -type s -o -type p)" ] || fail "sockets or fifos: $(find /run/containerd)"
    rm -rf /run/containerd
  fi
  eng_remove_cgroups
  [ -z "$(eng_mounts)" ] || fail "mounts: $(eng_mounts)"
  local h
  for h in /sys/fs/cgroup/*/"$ENG_CGROUP"; do [ ! -d "$h" ] || fail "cgroup $h"; done
}
