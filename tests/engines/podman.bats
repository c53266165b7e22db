#!/usr/bin/env bats
# podman (with conmon) running containers on ocirt: `podman --runtime $OCIRT`, storage, state and
# configuration in a private folder, the cgroupfs manager under a cgroup parent of our own, a busybox
# image imported offline.  podman calls ocirt as it calls runc: --log-format=json --log FILE, create
# --bundle --pid-file, start, exec --process --detach --pid-file, kill ID SIGNAL, delete --force, and
# never --root (so ocirt's default state folder is used).
#
# Tests of commands another branch adds (pause/unpause, update, cgroup limits) are in
# podman-gated.bash: they run when `ocirt --help` lists the command, and are skipped, by name, until then.

load engines

IMG=localhost/ocirt-busybox:test

# pm ARGS...: podman on the suite's private storage and configuration, with ocirt as its runtime.
pm() {
  timeout --kill-after=5 120 podman --runtime "$OCIRT" "$@" </dev/null
}

# prun ARGS...: `podman run` under the suite's cgroup parent.
prun() {
  pm run --cgroup-parent "/$ENG_CGROUP" "$@"
}

setup_file() {
  eng_need podman conmon
  [ "$(id -u)" -eq 0 ] || fail "the engine suites run as root"
  ENG_DIR=$(mktemp -d /tmp/ocirt-pm.XXXXXX)
  ENG_CGROUP=ocirt-engines-podman-$$
  export ENG_DIR ENG_CGROUP
  # contrib/engines/containers.conf (the snippet users install) with ocirt's path and as the default
  # runtime, plus the suite's own settings: the default ulimits (1048576 files and processes) fail
  # with EPERM on this kind of host and are pinned; no network; events, tmp and volumes private.
  sed -e "s|^ocirt = .*|ocirt = [\"$OCIRT\"]|" -e 's|^# runtime = "ocirt"|runtime = "ocirt"|' \
    -e "/^\[engine\]\$/a cgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\nevents_logfile_path = \"$ENG_DIR/events.log\"\ntmp_dir = \"$ENG_DIR/tmp\"\nvolume_path = \"$ENG_DIR/volumes\"\nlock_type = \"file\"" \
    "$(eng_repo)/contrib/engines/containers.conf" >"$ENG_DIR/engine.conf"
  cat - "$ENG_DIR/engine.conf" >"$ENG_DIR/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
netns = "none"
[network]
network_config_dir = "$ENG_DIR/net"
EOF
  cat >"$ENG_DIR/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$ENG_DIR/storage"
runroot = "$ENG_DIR/run"
EOF
  export CONTAINERS_CONF=$ENG_DIR/containers.conf CONTAINERS_STORAGE_CONF=$ENG_DIR/storage.conf
  export CONTAINERS_REGISTRIES_CONF=$ENG_DIR/registries.conf
  : >"$ENG_DIR/registries.conf"
  eng_snapshot before
  # podman's machine-wide files: its image metadata cache (`podman import` writes it whatever the
  # storage root), removed at the end when the suite made it
  [ -e /var/lib/containers ] || touch "$ENG_DIR/made-var-lib-containers"
  eng_busybox_rootfs "$ENG_DIR/rootfs"
  tar -C "$ENG_DIR/rootfs" -cf "$ENG_DIR/busybox.tar" .
  pm import -q "$ENG_DIR/busybox.tar" "$IMG" >/dev/null
}

teardown_file() {
  [ -n "${ENG_DIR:-}" ] && [ -d "$ENG_DIR" ] || return 0
  pm rm -af -t 0 >/dev/null 2>&1
  pm rmi -af >/dev/null 2>&1
  local p
  for p in $(eng_procs); do kill -KILL "$p" 2>/dev/null; done
  eng_umount_all
  eng_remove_cgroups
  [ ! -e "/run/netns/${ENG_DIR##*/}" ] || ip netns del "${ENG_DIR##*/}"
  [ -e "$ENG_DIR/made-var-lib-containers" ] && rm -rf /var/lib/containers
  rm -rf "${ENG_DIR:?}"
}

# cid NAME: the full id of a container.
cid() { pm inspect -f '{{.Id}}' "$1"; }

@test "podman: ocirt is the OCI runtime (podman info), with contrib/engines/containers.conf" {
  grep -qx 'runtime = "ocirt"' "$ENG_DIR/containers.conf" || fail "$(cat "$ENG_DIR/containers.conf")"
  # the configured default runtime, without --runtime
  run timeout 60 podman info --format '{{.Host.OCIRuntime.Path}}'
  [ "$output" = "$OCIRT" ] || fail "$output"
  run pm info --format '{{.Host.OCIRuntime.Path}}|{{.Host.OCIRuntime.Version}}'
  [ "$status" -eq 0 ]
  [[ $output == "$OCIRT|ocirt version "* ]] || fail "podman info: $output"
}

@test "podman: run --rm prints the program's output and exits with its status" {
  run --separate-stderr prun --rm "$IMG" sh -c 'echo hello from $(hostname); exit 0'
  [ "$status" -eq 0 ] || fail "$stderr"
  [[ $output == "hello from "* ]]
  run prun --rm "$IMG" sh -c 'exit 7'
  [ "$status" -eq 7 ]
  # (a pid-namespace init cannot be killed from inside: the program is not pid 1 with --pid host)
  run prun --rm --pid host "$IMG" sh -c 'kill -9 $$'
  [ "$status" -eq 137 ]
}

@test "podman: a missing program exits 127, one that is not executable 126" {
  run -127 --separate-stderr prun --rm "$IMG" /no/such/program
  [[ $stderr == *"no such file or directory"* ]] || fail "$stderr"
  run -127 --separate-stderr prun --rm "$IMG" no-such-program
  [[ $stderr == *"executable file not found"* ]] || fail "$stderr"
  printf '#!/bin/sh\necho no\n' >"$ENG_DIR/noexec"
  chmod 644 "$ENG_DIR/noexec"
  run --separate-stderr prun --rm -v "$ENG_DIR/noexec:/noexec" "$IMG" /noexec
  [ "$status" -eq 126 ] || fail "status $status: $stderr"
  [[ $stderr == *"permission denied"* ]] || fail "$stderr"
}

@test "podman: detached run, exec (plain, with a tty, with a status), stop, rm" {
  prun -d --name det "$IMG" sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done' >/dev/null
  local id
  id=$(cid det)
  # ocirt's default state folder: podman never passes --root
  [ -d "$OCIRT_DEFAULT_ROOT/$id" ]
  [ "$(jq -r .status "$OCIRT_DEFAULT_ROOT/$id/state.json" 2>/dev/null || "$OCIRT" state "$id" | jq -r .status)" = running ]
  run pm exec det sh -c 'echo pid $$ of $(cat /proc/1/cmdline | tr "\0" " ")'
  [ "$status" -eq 0 ]
  [[ $output == "pid "*" of sh -c trap"* ]] || fail "$output"
  run pm exec -t det tty
  [ "$status" -eq 0 ]
  [[ $output == /dev/pts/* ]] || fail "exec -t: $output"
  run pm exec det sh -c 'exit 5'
  [ "$status" -eq 5 ]
  run pm exec --user 1000:1000 det id -u
  [ "$output" = 1000 ]
  run pm stop -t 5 det
  [ "$status" -eq 0 ]
  [ "$(pm inspect -f '{{.State.ExitCode}}' det)" = 42 ] # TERM reached the program's trap
  pm rm det >/dev/null
  [ ! -e "$OCIRT_DEFAULT_ROOT/$id" ]
  [ -z "$(eng_cgroups | grep -F "libpod-$id")" ]
}

@test "podman: kill delivers the signals asked for" {
  prun -d --name sig "$IMG" sh -c 'trap "echo USR1 >>/sigs" USR1; trap "echo HUP >>/sigs" HUP; while :; do sleep 0.1; done' >/dev/null
  pm kill -s USR1 sig >/dev/null
  eng_wait sh -c "timeout 20 podman --runtime '$OCIRT' exec sig cat /sigs 2>/dev/null | grep -q USR1"
  pm kill -s HUP sig >/dev/null
  eng_wait sh -c "timeout 20 podman --runtime '$OCIRT' exec sig cat /sigs 2>/dev/null | grep -q HUP"
  pm kill sig >/dev/null # KILL
  eng_wait sh -c "[ \"\$(timeout 20 podman inspect -f '{{.State.Status}}' sig)\" = exited ]"
  [ "$(pm inspect -f '{{.State.ExitCode}}' sig)" = 137 ]
  pm rm sig >/dev/null
}

@test "podman: --cap-drop and --cap-add change the capabilities" {
  run prun --rm --cap-drop all "$IMG" sh -c 'grep CapEff /proc/self/status'
  [[ $output == *"0000000000000000" ]] || fail "$output"
  run prun --rm --cap-add sys_admin "$IMG" sh -c 'grep CapEff /proc/self/status | cut -f2'
  (( (0x$output >> 21) & 1 )) || fail "no CAP_SYS_ADMIN in $output"
  run prun --rm "$IMG" sh -c 'touch /tmp/f && chown 1 /tmp/f && echo chowned'
  [ "$output" = chowned ]
  run prun --rm --cap-drop chown "$IMG" sh -c 'touch /tmp/f && chown 1 /tmp/f'
  [ "$status" -ne 0 ]
  [[ $output == *"Operation not permitted"* ]] || fail "$output"
}

@test "podman: --read-only makes the rootfs read-only (its /tmp stays writable)" {
  run prun --rm --read-only "$IMG" sh -c 'touch /x'
  [ "$status" -ne 0 ]
  [[ $output == *"Read-only file system"* ]] || fail "$output"
  run prun --rm --read-only "$IMG" sh -c 'touch /tmp/x && echo ok'
  [ "$output" = ok ]
}

@test "podman: --user and --group-add" {
  run prun --rm --user 1000:1001 --group-add 5 "$IMG" sh -c 'echo $(id -u) $(id -g) $(id -G)'
  [ "$status" -eq 0 ]
  [ "$output" = "1000 1001 1001 5" ] || fail "$output"
}

@test "podman: seccomp default profile, a custom one, and unconfined" {
  run prun --rm "$IMG" sh -c 'grep ^Seccomp: /proc/self/status'
  [[ $output == *"2" ]] || fail "default: $output"
  run prun --rm --security-opt seccomp=unconfined "$IMG" sh -c 'grep ^Seccomp: /proc/self/status'
  [[ $output == *"0" ]] || fail "unconfined: $output"
  cat >"$ENG_DIR/nomkdir.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
EOF
  run prun --rm --security-opt "seccomp=$ENG_DIR/nomkdir.json" "$IMG" sh -c 'mkdir /tmp/d'
  [ "$status" -ne 0 ]
  [[ $output == *"Operation not permitted"* ]] || fail "$output"
  run prun --rm "$IMG" sh -c 'mkdir /tmp/d && echo made'
  [ "$output" = made ]
}

@test "podman: masked and read-only paths" {
  [ -n "$(head -c 1 /proc/timer_list)" ] && [ -n "$(ls -A /sys/firmware)" ] || fail "the host has no /proc/timer_list or /sys/firmware"
  # (stdout and stderr apart: their order in one stream is not set)
  run --separate-stderr prun --rm "$IMG" sh -c 'wc -c </proc/timer_list; ls -A /sys/firmware | wc -l; echo 1 >/proc/sys/vm/overcommit_memory'
  [ "$status" -ne 0 ]
  [ "${lines[0]}" = 0 ] || fail "/proc/timer_list is not masked: $output"
  [ "${lines[1]}" = 0 ] || fail "/sys/firmware is not masked: $output"
  [[ $stderr == *"Read-only file system"* ]] || fail "/proc/sys is writable: $stderr"
}

@test "podman: tmpfs and bind volumes (read-write and read-only)" {
  mkdir -p "$ENG_DIR/vol"
  echo from-host >"$ENG_DIR/vol/in"
  run prun --rm --tmpfs /scratch:rw,size=1m -v "$ENG_DIR/vol:/data" "$IMG" sh -c \
    'grep " /scratch " /proc/self/mountinfo; cat /data/in; echo from-container >/data/out; dd if=/dev/zero of=/scratch/big bs=1k count=2048 2>&1'
  [[ ${lines[0]} == *" /scratch "*" - tmpfs "*"size=1024k"* ]] || fail "$output"
  [ "${lines[1]}" = from-host ]
  [[ $output == *"No space left on device"* ]] || fail "the tmpfs size is not enforced: $output"
  [ "$(cat "$ENG_DIR/vol/out")" = from-container ]
  run prun --rm -v "$ENG_DIR/vol:/ro:ro" "$IMG" sh -c 'echo x >/ro/x'
  [ "$status" -ne 0 ]
  [[ $output == *"Read-only file system"* ]] || fail "$output"
  [ ! -e "$ENG_DIR/vol/x" ]
}

@test "podman: ulimits (the configured default and --ulimit)" {
  run prun --rm "$IMG" sh -c 'ulimit -n; ulimit -Hn'
  [ "${lines[*]}" = "1024 1024" ] || fail "$output"
  # (with --ulimit podman drops the configured defaults: nproc is given again)
  run prun --rm --ulimit nofile=256:512 --ulimit nproc=4096:4096 "$IMG" sh -c 'ulimit -n; ulimit -Hn'
  [ "${lines[*]}" = "256 512" ] || fail "$output"
}

@test "podman: --sysctl sets the container's value, not the host's" {
  local host
  host=$(cat /proc/sys/kernel/shm_rmid_forced)
  run prun --rm --sysctl kernel.shm_rmid_forced=1 --sysctl net.ipv4.ip_forward=1 "$IMG" \
    sh -c 'cat /proc/sys/kernel/shm_rmid_forced /proc/sys/net/ipv4/ip_forward'
  [ "${lines[*]}" = "1 1" ] || fail "$output"
  [ "$(cat /proc/sys/kernel/shm_rmid_forced)" = "$host" ]
}

@test "podman: --pid and --net host and private/none" {
  local hostpid hostnet
  hostpid=$(readlink /proc/self/ns/pid)
  hostnet=$(readlink /proc/self/ns/net)
  run prun --rm --pid host --net host "$IMG" sh -c 'readlink /proc/self/ns/pid; readlink /proc/self/ns/net'
  [ "${lines[0]}" = "$hostpid" ] && [ "${lines[1]}" = "$hostnet" ] || fail "$output"
  run prun --rm --net none "$IMG" sh -c 'readlink /proc/self/ns/pid; readlink /proc/self/ns/net; echo $$; grep -c : /proc/net/dev'
  [ "${lines[0]}" != "$hostpid" ] && [ "${lines[1]}" != "$hostnet" ] || fail "$output"
  [ "${lines[2]}" = 1 ] || fail "the program is not pid 1: $output"
  [ "${lines[3]}" = 1 ] || fail "more than lo in the network namespace: $output"
}

@test "podman: a network namespace joined by path (/run/netns/NAME)" {
  local ns=${ENG_DIR##*/} # removed by teardown_file too
  ip netns add "$ns"
  ip -n "$ns" link set lo up # (a new namespace's lo is down)
  run prun --rm --network "ns:/run/netns/$ns" "$IMG" sh -c 'ip link show lo | grep -o "LOOPBACK,UP"; readlink /proc/self/ns/net'
  local inode
  inode="net:[$(stat -L -c %i "/run/netns/$ns")]"
  ip netns del "$ns"
  [ "$status" -eq 0 ] || fail "$output"
  [ "${lines[0]}" = LOOPBACK,UP ] && [ "${lines[1]}" = "$inode" ] || fail "$output"
}

@test "podman: parallel runs" {
  local i pids=()
  for i in 1 2 3 4 5 6; do
    prun --rm "$IMG" sh -c "echo run-$i; exit $i" >"$ENG_DIR/par.$i" 2>&1 &
    pids+=($!)
  done
  for i in 1 2 3 4 5 6; do
    local rc=0
    wait "${pids[$((i - 1))]}" || rc=$?
    [ "$rc" -eq "$i" ] || fail "run $i exited $rc: $(cat "$ENG_DIR/par.$i")"
    [ "$(cat "$ENG_DIR/par.$i")" = "run-$i" ] || fail "run $i: $(cat "$ENG_DIR/par.$i")"
  done
}

@test "podman: memory, pids and cpu limits are enforced" {
  eng_gate update
  load podman-gated
  gated_limits
}

@test "podman: pause and unpause" {
  eng_gate pause resume
  load podman-gated
  gated_pause
}

@test "podman: top lists the container's processes" {
  prun -d --name top "$IMG" sh -c 'sleep 1000 & sleep 1001' >/dev/null
  run pm top top pid comm args
  [ "$status" -eq 0 ]
  [[ $output == *"sleep 1000"* && $output == *"sleep 1001"* ]] || fail "$output"
  pm rm -f -t 0 top >/dev/null
}

@test "podman: update changes the limits of a running container" {
  eng_gate update
  load podman-gated
  gated_update
}

@test "README: two commands to a container under podman" {
  local block second
  block=$(awk '/^## Under podman/ {sec = 1} sec && /^```sh$/ {inside = 1; next} inside && /^```$/ {exit} inside' \
    "$(eng_repo)/README.md")
  [ "$(wc -l <<<"$block")" -eq 2 ] || fail "not two commands: $block"
  [[ $(head -n 1 <<<"$block") == *"make -j2 && make install" ]] || fail "$block"
  # The second, against the ocirt under test, this suite's storage, folder and cgroup parent.
  second=$(tail -n 1 <<<"$block")
  [[ $second == *"podman --runtime /usr/local/sbin/ocirt run --rm "* ]] || fail "$second"
  second=${second//\/tmp\/ocirt-pm/$ENG_DIR/readme}
  second=${second//\/usr\/local\/sbin\/ocirt/$OCIRT}
  second=${second//run --rm /run --cgroup-parent /$ENG_CGROUP --rm }
  cd "$(eng_repo)"
  run timeout 120 bash -c "$second" </dev/null
  [ "$status" -eq 0 ] || fail "$output"
  [[ ${lines[-1]} =~ ^hello\ from\ [0-9a-f]{12}$ ]] || fail "$output"
  pm rmi ocirt-busybox >/dev/null
}

@test "podman: nothing left behind" {
  pm rm -af -t 0 >/dev/null
  pm rmi -af >/dev/null
  [ -z "$(pm ps -aq)" ]
  local leaks=() c m p
  while IFS= read -r c; do [ -n "$c" ] && leaks+=("netns $c"); done < <(eng_new_netns before)
  # every container podman made (its event log): no ocirt state left in the default root
  local ids
  ids=$(jq -r 'select(.Type == "container" and .Status == "create") | .ID' "$ENG_DIR/events.log" | sort -u)
  [ "$(wc -l <<<"$ids")" -ge 20 ] || fail "only $(wc -l <<<"$ids") containers in podman's event log"
  for c in $ids; do [ ! -e "$OCIRT_DEFAULT_ROOT/$c" ] || leaks+=("ocirt state $OCIRT_DEFAULT_ROOT/$c"); done
  while IFS= read -r c; do [[ $c == */libpod-* ]] && leaks+=("cgroup $c"); done < <(eng_cgroups)
  while IFS= read -r m; do [[ $m == */merged || $m == */shm ]] && leaks+=("mount $m"); done < <(eng_mounts)
  for p in $(eng_procs); do leaks+=("process $p: $(tr '\0' ' ' <"/proc/$p/cmdline")"); done
  [ ${#leaks[@]} -eq 0 ] || fail "left behind:" "${leaks[@]}"
  # What is left is podman's own (its storage's mount, the conmon cgroup): remove it, and check.
  eng_umount_all
  eng_remove_cgroups
  [ -z "$(eng_mounts)" ] || fail "mounts: $(eng_mounts)"
  [ -z "$(eng_cgroups)" ] || fail "cgroups: $(eng_cgroups)"
  # locks in tmp_dir (lock_type "file"), not in /dev/shm
  [ -d "$ENG_DIR/tmp/locks" ] && [ ! -e /dev/shm/libpod_lock ] || fail "podman's locks: $(ls /dev/shm)"
  if [ -e "$ENG_DIR/made-var-lib-containers" ]; then
    rm -rf /var/lib/containers
  fi
  local h
  for h in /sys/fs/cgroup/*/"$ENG_CGROUP"; do [ ! -d "$h" ] || fail "cgroup $h"; done
}
