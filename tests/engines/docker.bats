#!/usr/bin/env bats
# docker (Debian's docker.io: dockerd 20.10 and its client /usr/bin/docker) running containers on
# ocirt.  The suite starts a private containerd (as containerd.bats does) and a private dockerd on it:
# its own data-root, exec-root, pidfile and API socket, ocirt registered by
# contrib/engines/docker-daemon.json and made the default runtime, the cgroupfs driver under a cgroup
# parent of its own, no bridge, no iptables, no userland proxy.  The image is a busybox rootfs made
# offline and `docker import`ed; containers run with --network none or host only.
#
# dockerd's runc shim calls ocirt as it calls runc: --root EXEC-ROOT/runtime-runc/moby (moby names the
# folder after runc whatever the runtime) --log B/log.json --log-format json on every call, create
# --bundle --pid-file, start, exec --process --detach --pid-file (--console-socket with -t), ps
# --format json (docker top), pause, resume, update --resources -, kill ID N, delete, delete --force.

load engines

IMG=localhost/ocirt-busybox:test
# docker.io's client, for the daemon's API version (a newer /usr/local/bin/docker may be first in PATH)
DOCKER=/usr/bin/docker

# dk ARGS...: the docker client on the suite's daemon.
dk() {
  timeout --kill-after=5 60 "$DOCKER" -H "unix://$ENG_DIR/d.sock" "$@" </dev/null
}

# drun ARGS...: `docker run` of local images only, with no network unless ARGS pick one.
drun() {
  local a net=(--network none)
  for a in "$@"; do
    [[ $a != --network* ]] || net=()
  done
  dk run --pull never "${net[@]}" "$@"
}

# dk_tty ARGS...: the docker client under a pty of its own (-t needs a console).
dk_tty() {
  local cmd
  printf -v cmd '%q ' "$DOCKER" -H "unix://$ENG_DIR/d.sock" "$@"
  timeout --kill-after=5 60 script -qec "$cmd" /dev/null </dev/null
}

# cid NAME: the full id of a container.
cid() { dk inspect -f '{{.Id}}' "$1"; }

# cg_file CONTROLLER FILE NAME: a file of container NAME's cgroup (under the suite's parent).
cg_file() {
  local id
  id=$(cid "$3") || return 1
  echo "/sys/fs/cgroup/$1/$ENG_CGROUP/$id/$2"
}

# runtime_state: the containers' state folders in ocirt's --root, less ocirt's compiled-seccomp
# cache (.seccomp@cache), which is no container's state.
runtime_state() {
  # shellcheck disable=SC2010 # names are container ids
  ls -A "$RT_ROOT" 2>/dev/null | grep -vx '\.seccomp@cache' || true
}

# The storage driver: overlay2 where the data-root's file system can be an overlay's upper layer,
# else vfs (slow, but works anywhere).
storage_driver() {
  grep -qw overlay /proc/filesystems || { echo vfs && return; }
  case $(stat -f -c %T "$ENG_DIR") in
    ext2/ext3 | xfs | btrfs | tmpfs) echo overlay2 ;;
    *) echo vfs ;;
  esac
}

# start_dockerd DRIVER: start the suite's dockerd on its containerd; wait for its API.
start_dockerd() {
  dockerd --config-file "$ENG_DIR/daemon.json" --data-root "$ENG_DIR/data" --exec-root "$ENG_DIR/x" \
    --pidfile "$ENG_DIR/d.pid" -H "unix://$ENG_DIR/d.sock" --containerd "$ENG_DIR/c.sock" \
    --bridge=none --iptables=false --ip6tables=false --ip-masq=false --userland-proxy=false \
    --default-runtime ocirt --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "/$ENG_CGROUP" \
    --default-ulimit nofile=1024:1024 --storage-driver "$1" \
    >"$ENG_DIR/dockerd.log" 2>&1 </dev/null 3>&- &
  echo $! >"$ENG_DIR/dockerd.pid"
  local deadline=$((SECONDS + 30))
  until dk version >/dev/null 2>&1; do
    eng_alive "$(cat "$ENG_DIR/dockerd.pid")" && [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

setup_file() {
  eng_need dockerd containerd containerd-shim-runc-v2 script "$DOCKER"
  [ "$(id -u)" -eq 0 ] || fail "the engine suites run as root"
  ENG_DIR=$(mktemp -d /tmp/ocirt-dk.XXXXXX)
  ENG_CGROUP=ocirt-engines-docker-$$
  RT_ROOT=$ENG_DIR/x/runtime-runc/moby
  # the client's configuration (~/.docker) is the suite's too
  DOCKER_CONFIG=$ENG_DIR/client
  export ENG_DIR ENG_CGROUP RT_ROOT DOCKER_CONFIG
  # machine-wide paths dockerd and the shims use whatever the flags (the shims' sockets in
  # /run/containerd/s, dockerd's plugin sockets in /run/docker/plugins, its identity key in
  # /etc/docker/key.json): removed at the end when the suite made them
  [ -e /run/containerd ] || touch "$ENG_DIR/made-run-containerd"
  [ -e /run/docker ] || touch "$ENG_DIR/made-run-docker"
  [ -e /etc/docker/key.json ] || touch "$ENG_DIR/made-docker-key"
  eng_snapshot before
  # containerd: as containerd.bats runs it
  eng_start_containerd "$ENG_DIR/croot" "$ENG_DIR/cstate"
  # dockerd: contrib/engines/docker-daemon.json (the snippet users install) with ocirt's path
  jq --arg o "$OCIRT" '.runtimes.ocirt.path = $o' "$(eng_repo)/contrib/engines/docker-daemon.json" \
    >"$ENG_DIR/daemon.json"
  local driver
  driver=$(storage_driver)
  if ! start_dockerd "$driver"; then
    [ "$driver" != vfs ] || fail "dockerd did not start: $(tail -5 "$ENG_DIR/dockerd.log")"
    # (a dockerd that failed leaves its pidfile and its data-root bound on itself)
    eng_stop_pid dockerd 15
    eng_umount_all
    rm -f "$ENG_DIR/d.pid"
    start_dockerd vfs || fail "dockerd did not start: $(tail -5 "$ENG_DIR/dockerd.log")"
  fi
  eng_busybox_rootfs "$ENG_DIR/rootfs"
  tar -C "$ENG_DIR/rootfs" -cf "$ENG_DIR/busybox.tar" .
  dk import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' -c 'CMD ["sh"]' \
    "$ENG_DIR/busybox.tar" "$IMG" >/dev/null
}

teardown_file() {
  [ -n "${ENG_DIR:-}" ] && [ -d "$ENG_DIR" ] || return 0
  local ids p
  mapfile -t ids < <(dk ps -aq 2>/dev/null)
  [ ${#ids[@]} -eq 0 ] || dk rm -f "${ids[@]}" >/dev/null 2>&1
  eng_stop_pid dockerd 15
  eng_stop_pid containerd 15
  for p in $(eng_procs); do kill -KILL "$p" 2>/dev/null; done
  eng_umount_all
  eng_remove_cgroups
  remove_machine_paths
  rm -rf "${ENG_DIR:?}"
}

# remove_machine_paths: the machine-wide folders the suite made, if empty (another engine's sockets
# there are not ours), and dockerd's key.
remove_machine_paths() {
  if [ -e "$ENG_DIR/made-run-containerd" ]; then
    rmdir /run/containerd/s /run/containerd/fifo /run/containerd 2>/dev/null || true
  fi
  if [ -e "$ENG_DIR/made-run-docker" ]; then
    rmdir /run/docker/plugins /run/docker 2>/dev/null || true
  fi
  if [ -e "$ENG_DIR/made-docker-key" ]; then
    rm -f /etc/docker/key.json
  fi
}

@test "docker: ocirt is the default runtime (docker info), with contrib/engines/docker-daemon.json" {
  run dk info --format '{{.DefaultRuntime}}|{{json .Runtimes.ocirt}}|{{.CgroupDriver}}'
  [ "$status" -eq 0 ] || fail "$output"
  [ "$output" = "ocirt|{\"path\":\"$OCIRT\"}|cgroupfs" ] || fail "$output"
  # dockerd asks the default runtime for its version (`ocirt --version`: its commit line)
  run dk info --format '{{.RuncCommit.ID}}'
  [ -n "$output" ] && [ "$output" != N/A ] || fail "runc commit: $output"
  # no bridge, no docker0
  run dk network ls --format '{{.Name}}'
  [[ $output != *bridge* ]] || fail "$output"
  ! ip link show docker0 >/dev/null 2>&1 || fail "a docker0 bridge exists"
}

@test "docker: run --rm prints the program's output, passes stdin and exits with its status" {
  run --separate-stderr drun --rm "$IMG" sh -c 'echo hello from $(hostname)'
  [ "$status" -eq 0 ] || fail "$stderr"
  [[ $output == "hello from "[0-9a-f]* ]] || fail "$output"
  run drun --rm "$IMG" sh -c 'exit 7'
  [ "$status" -eq 7 ]
  # (a pid-namespace init cannot be killed from inside: the program is not pid 1 with --pid host)
  run drun --rm --pid host "$IMG" sh -c 'kill -9 $$'
  [ "$status" -eq 137 ]
  run --separate-stderr bash -c "echo piped | timeout 60 $DOCKER -H unix://$ENG_DIR/d.sock run --rm -i --pull never --network none $IMG tr a-z A-Z"
  [ "$status" -eq 0 ] || fail "$stderr"
  [ "$output" = PIPED ] || fail "$output"
}

@test "docker: a missing program exits 127, one that is not executable 126 (ocirt's errors)" {
  run -127 --separate-stderr drun --rm "$IMG" no-such-program
  [[ $stderr == *'exec: "no-such-program": executable file not found in $PATH'* ]] || fail "$stderr"
  run -127 --separate-stderr drun --rm "$IMG" /no/such/program
  [[ $stderr == *"stat /no/such/program: no such file or directory"* ]] || fail "$stderr"
  printf '#!/bin/sh\necho no\n' >"$ENG_DIR/noexec"
  chmod 644 "$ENG_DIR/noexec"
  run -126 --separate-stderr drun --rm -v "$ENG_DIR/noexec:/noexec" "$IMG" /noexec
  [[ $stderr == *"permission denied"* ]] || fail "$stderr"
  [ -z "$(dk ps -aq)" ] || fail "containers left: $(dk ps -a)"
  [ -z "$(runtime_state)" ] || fail "ocirt state left: $(runtime_state)"
}

@test "docker: detached run, logs, exec (plain, with a tty, with a status, as a user), stop, rm" {
  drun -d --name det "$IMG" sh -c 'echo started; trap "exit 42" TERM; while :; do sleep 0.1; done' >/dev/null
  local id
  id=$(cid det)
  # the shim's --root: ocirt's state is there while the container lives
  [ -d "$RT_ROOT/$id" ] || fail "no $RT_ROOT/$id: $(ls -A "$ENG_DIR/x")"
  [ "$("$OCIRT" --root "$RT_ROOT" state "$id" | jq -r .status)" = running ]
  eng_wait sh -c "[ \"\$(timeout 10 $DOCKER -H unix://$ENG_DIR/d.sock logs det)\" = started ]"
  run dk exec det sh -c 'echo pid $$ of $(cat /proc/1/cmdline | tr "\0" " ")'
  [ "$status" -eq 0 ]
  [[ $output == "pid "*" of sh -c echo started; trap"* ]] || fail "$output"
  run dk_tty exec -t det sh -c 'tty; stty size'
  [ "$status" -eq 0 ] || fail "exec -t: $output"
  [[ ${lines[0]} == /dev/pts/* ]] || fail "exec -t: $output"
  run dk exec det sh -c 'exit 5'
  [ "$status" -eq 5 ]
  run dk exec -u 1000:1001 det id
  [ "$output" = "uid=1000 gid=1001 groups=1001" ] || fail "$output"
  # (docker 20.10 maps every failed exec to 126, runc's errors too)
  run -126 dk exec det no-such-program
  [[ $output == *'exec: "no-such-program": executable file not found in $PATH'* ]] || fail "$output"
  run dk stop -t 10 det
  [ "$status" -eq 0 ]
  [ "$(dk inspect -f '{{.State.ExitCode}}' det)" = 42 ] # TERM reached the program's trap
  dk rm det >/dev/null
  [ ! -e "$RT_ROOT/$id" ]
  [ -z "$(eng_cgroups | grep -F "/$id")" ]
}

@test "docker: run -t gives the program a terminal" {
  run dk_tty run --rm -t --pull never --network none "$IMG" sh -c 'tty; echo done'
  [ "$status" -eq 0 ] || fail "$output"
  [[ ${lines[0]} == /dev/pts/0* ]] || fail "$output"
  [[ ${lines[1]} == done* ]] || fail "$output"
}

@test "docker: kill delivers the signals asked for" {
  drun -d --name sig "$IMG" sh -c 'trap "echo USR1 >>/sigs" USR1; trap "echo HUP >>/sigs" HUP; while :; do sleep 0.1; done' >/dev/null
  dk kill -s USR1 sig >/dev/null
  eng_wait sh -c "timeout 10 $DOCKER -H unix://$ENG_DIR/d.sock exec sig cat /sigs 2>/dev/null | grep -q USR1"
  dk kill -s SIGHUP sig >/dev/null
  eng_wait sh -c "timeout 10 $DOCKER -H unix://$ENG_DIR/d.sock exec sig cat /sigs 2>/dev/null | grep -q HUP"
  dk kill sig >/dev/null # KILL
  run dk wait sig
  [ "$output" = 137 ] || fail "$output"
  dk rm sig >/dev/null
}

@test "docker: pause and unpause (ocirt state: paused), top" {
  # (the counter is written to a bind mount: read from here while the container is frozen)
  mkdir -p "$ENG_DIR/pau"
  drun -d --name pau -v "$ENG_DIR/pau:/out" "$IMG" sh -c 'i=0; while :; do i=$((i+1)); echo $i >/out/t; mv /out/t /out/n; sleep 0.05; done' >/dev/null
  local id a b n=$ENG_DIR/pau/n
  id=$(cid pau)
  eng_wait test -s "$n"
  run dk top pau
  [ "$status" -eq 0 ] || fail "$output"
  [[ ${lines[0]} == *PID*CMD* ]] && [[ $output == *"sh -c i=0"* ]] || fail "$output"
  dk pause pau >/dev/null
  [ "$(dk inspect -f '{{.State.Status}}' pau)" = paused ]
  [ "$("$OCIRT" --root "$RT_ROOT" state "$id" | jq -r .status)" = paused ]
  grep -qx FROZEN "$(cg_file freezer freezer.state pau)"
  a=$(cat "$n")
  sleep 0.5
  b=$(cat "$n")
  [ "$a" = "$b" ] || fail "the container ran while paused: $a -> $b"
  dk unpause pau >/dev/null
  [ "$("$OCIRT" --root "$RT_ROOT" state "$id" | jq -r .status)" = running ]
  sleep 0.5
  b=$(cat "$n")
  [ "$b" -gt "$a" ] || fail "the container did not resume: $a -> $b"
  dk rm -f pau >/dev/null
}

@test "docker: memory, pids and cpu limits are enforced" {
  # memory: a program that grows without bound is killed by the OOM killer, and docker knows it
  drun -d --name oom --memory 32m --memory-swap 32m "$IMG" sh -c 'tail /dev/zero' >/dev/null
  run dk wait oom
  [ "$output" = 137 ] || fail "memory: status $output"
  [ "$(dk inspect -f '{{.State.OOMKilled}}' oom)" = true ]
  dk rm oom >/dev/null
  # pids: a fork bomb (started by exec beside the init, which lives on) is capped at the limit
  drun -d --name bomb --pids-limit 16 --cpus 0.5 "$IMG" sleep 1000 >/dev/null
  local f
  f=$(cg_file pids pids.max bomb)
  [ "$(cat "$f")" = 16 ]
  dk exec -d bomb sh -c 'b() { b | b & }; b'
  f=${f%/*}
  eng_wait sh -c "awk '\$1 == \"max\" && \$2 > 0 { ok = 1 } END { exit !ok }' '$f/pids.events'" ||
    fail "pids: the limit was never hit: $(cat "$f/pids.events") $(cat "$f/pids.current")"
  [ "$(cat "$f/pids.current")" -le 16 ] || fail "pids: $(cat "$f/pids.current")"
  dk rm -f bomb >/dev/null
  # cpu: 5% of a cpu (little enough to be reached on a loaded machine): a busy loop is throttled
  drun -d --name cpu --cpus 0.05 "$IMG" sh -c 'while :; do :; done' >/dev/null
  f=$(cg_file cpu cpu.stat cpu)
  [ "$(cat "${f%/*}/cpu.cfs_quota_us") $(cat "${f%/*}/cpu.cfs_period_us")" = "5000 100000" ]
  sleep 1
  local stat
  stat=$(cat "$f")
  dk rm -f cpu >/dev/null
  [ "$(awk '$1 == "nr_throttled" { print $2 }' <<<"$stat")" -gt 0 ] || fail "cpu: not throttled: $stat"
}

@test "docker: update changes the limits of a running container (ocirt update)" {
  drun -d --name upd --memory 32m --memory-swap 32m --pids-limit 20 "$IMG" sleep 1000 >/dev/null
  [ "$(cat "$(cg_file memory memory.limit_in_bytes upd)")" = 33554432 ]
  [ "$(cat "$(cg_file pids pids.max upd)")" = 20 ]
  dk update --memory 64m --memory-swap 128m --pids-limit 50 --cpus 0.5 upd >/dev/null
  [ "$(cat "$(cg_file memory memory.limit_in_bytes upd)")" = 67108864 ]
  [ "$(cat "$(cg_file memory memory.memsw.limit_in_bytes upd)")" = 134217728 ]
  [ "$(cat "$(cg_file pids pids.max upd)")" = 50 ]
  [ "$(cat "$(cg_file cpu cpu.cfs_quota_us upd)")" = 50000 ]
  [ "$(dk inspect -f '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}' upd)" = "67108864 50" ]
  dk rm -f upd >/dev/null
}

@test "docker: --cap-drop and --cap-add change the capabilities" {
  run drun --rm --cap-drop all "$IMG" sh -c 'grep CapEff /proc/self/status'
  [[ $output == *"0000000000000000" ]] || fail "$output"
  run drun --rm "$IMG" sh -c 'grep CapEff /proc/self/status | cut -f2'
  ! (( (0x$output >> 21) & 1 )) || fail "CAP_SYS_ADMIN by default: $output"
  run drun --rm --cap-add SYS_ADMIN "$IMG" sh -c 'grep CapEff /proc/self/status | cut -f2'
  (( (0x$output >> 21) & 1 )) || fail "no CAP_SYS_ADMIN in $output"
  run drun --rm "$IMG" sh -c 'touch /f && chown 1 /f && echo chowned'
  [ "$output" = chowned ]
  run drun --rm --cap-drop CHOWN "$IMG" sh -c 'touch /f && chown 1 /f'
  [ "$status" -ne 0 ]
  [[ $output == *"Operation not permitted"* ]] || fail "$output"
}

@test "docker: --read-only rootfs (a --tmpfs stays writable)" {
  run --separate-stderr drun --rm --read-only --tmpfs /run "$IMG" sh -c 'echo ok >/run/x && cat /run/x; touch /x'
  [ "$status" -ne 0 ]
  [ "$output" = ok ] || fail "$output"
  [[ $stderr == *"Read-only file system"* ]] || fail "$stderr"
}

@test "docker: --user and --group-add" {
  run drun --rm --user 1000:1001 --group-add 1002 "$IMG" id
  [ "$output" = "uid=1000 gid=1001 groups=1001,1002" ] || fail "$output"
  run drun --rm --user 1000 "$IMG" sh -c 'touch /etc/x'
  [ "$status" -ne 0 ]
  [[ $output == *"Permission denied"* ]] || fail "$output"
}

@test "docker: seccomp: docker's default profile, a profile of our own, unconfined" {
  run --separate-stderr drun --rm "$IMG" sh -c 'grep ^Seccomp: /proc/self/status; unshare -U true'
  [[ $output == *2 ]] || fail "default: $output"
  # the default profile denies unshare without CAP_SYS_ADMIN (the kernel allows a user namespace)
  [ "$status" -ne 0 ] && [[ $stderr == *"Operation not permitted"* ]] || fail "default: $stderr"
  run drun --rm --security-opt seccomp=unconfined "$IMG" sh -c 'grep ^Seccomp: /proc/self/status; unshare -U true && echo unshared'
  [[ ${lines[0]} == *0 ]] || fail "unconfined: $output"
  [ "${lines[1]}" = unshared ] || fail "unconfined: $output"
  cat >"$ENG_DIR/nomkdir.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
EOF
  run drun --rm --security-opt "seccomp=$ENG_DIR/nomkdir.json" "$IMG" sh -c 'mkdir /tmp/d'
  [ "$status" -ne 0 ]
  [[ $output == *"Operation not permitted"* ]] || fail "$output"
}

@test "docker: masked and read-only paths" {
  local p masked=()
  for p in /proc/kcore /proc/keys /proc/timer_list; do
    [ ! -e "$p" ] || masked+=("$p")
  done
  [ ${#masked[@]} -gt 0 ] || fail "the host has none of /proc/kcore, /proc/keys, /proc/timer_list"
  run --separate-stderr drun --rm "$IMG" sh -c "for p in ${masked[*]}; do echo \$p \$(wc -c <\$p); done; ls /sys/firmware | wc -l; echo 1 >/proc/sys/vm/overcommit_memory"
  [ "$status" -ne 0 ]
  for p in "${masked[@]}"; do
    grep -qx "$p 0" <<<"$output" || fail "$p is not masked: $output"
  done
  [ "${lines[${#masked[@]}]}" = 0 ] || fail "/sys/firmware is not masked: $output"
  [[ $stderr == *"Read-only file system"* ]] || fail "/proc/sys is writable: $stderr"
  # --privileged: nothing masked, /proc/sys not read-only
  run drun --rm --privileged "$IMG" sh -c 'grep -E " /proc/(sys|keys|timer_list|kcore) " /proc/self/mountinfo; echo end'
  [ "$output" = end ] || fail "--privileged: $output"
}

@test "docker: --tmpfs and bind volumes (read-write and read-only)" {
  mkdir -p "$ENG_DIR/vol"
  echo from-host >"$ENG_DIR/vol/in"
  run drun --rm --tmpfs /scratch:size=1m -v "$ENG_DIR/vol:/data" "$IMG" sh -c \
    'grep " /scratch " /proc/self/mountinfo; cat /data/in; echo from-container >/data/out; dd if=/dev/zero of=/scratch/big bs=1k count=2048 2>&1'
  [[ ${lines[0]} == *" /scratch "*" - tmpfs "*"size=1024k"* ]] || fail "$output"
  [ "${lines[1]}" = from-host ] || fail "$output"
  [[ $output == *"No space left on device"* ]] || fail "the tmpfs size is not enforced: $output"
  [ "$(cat "$ENG_DIR/vol/out")" = from-container ]
  run --separate-stderr drun --rm -v "$ENG_DIR/vol:/ro:ro" "$IMG" sh -c 'cat /ro/in; echo x >/ro/x'
  [ "$status" -ne 0 ]
  [ "$output" = from-host ] || fail "$output"
  [[ $stderr == *"Read-only file system"* ]] || fail "$stderr"
  [ ! -e "$ENG_DIR/vol/x" ]
}

@test "docker: --ulimit (and the daemon's default), --sysctl" {
  run drun --rm "$IMG" sh -c 'ulimit -n; ulimit -Hn'
  [ "$(echo $output)" = "1024 1024" ] || fail "default: $output"
  run drun --rm --ulimit nofile=300:400 --ulimit nproc=500:600 "$IMG" sh -c 'ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu'
  [ "$(echo $output)" = "300 400 500 600" ] || fail "$output"
  local shm fwd
  shm=$(cat /proc/sys/kernel/shm_rmid_forced)
  fwd=$(cat /proc/sys/net/ipv4/ip_forward)
  run drun --rm --sysctl kernel.shm_rmid_forced=1 --sysctl net.ipv4.ip_forward=1 "$IMG" \
    cat /proc/sys/kernel/shm_rmid_forced /proc/sys/net/ipv4/ip_forward
  [ "$status" -eq 0 ] || fail "$output"
  [ "$(echo $output)" = "1 1" ] || fail "$output"
  # the container's ipc and network namespaces, not the host's
  [ "$(cat /proc/sys/kernel/shm_rmid_forced) $(cat /proc/sys/net/ipv4/ip_forward)" = "$shm $fwd" ]
}

@test "docker: --pid host, --network host and none" {
  local hostpid hostnet
  hostpid=$(readlink /proc/self/ns/pid)
  hostnet=$(readlink /proc/self/ns/net)
  run drun --rm --pid host --network host "$IMG" sh -c 'readlink /proc/self/ns/pid; readlink /proc/self/ns/net'
  [ "${lines[0]}" = "$hostpid" ] && [ "${lines[1]}" = "$hostnet" ] || fail "$output"
  run drun --rm --network none "$IMG" sh -c 'readlink /proc/self/ns/pid; readlink /proc/self/ns/net; echo $$; grep -c : /proc/net/dev; ip -o link | cut -d: -f2'
  [ "${lines[0]}" != "$hostpid" ] && [ "${lines[1]}" != "$hostnet" ] || fail "$output"
  [ "${lines[2]}" = 1 ] || fail "the program is not pid 1: $output"
  [ "${lines[3]}" = 1 ] && [ "${lines[4]}" = " lo" ] || fail "more than lo in the network namespace: $output"
}

@test "docker: 8 parallel runs" {
  local i pids=()
  for i in 1 2 3 4 5 6 7 8; do
    drun --rm "$IMG" sh -c "echo run-$i; exit $i" >"$ENG_DIR/par.$i" 2>&1 &
    pids+=($!)
  done
  for i in 1 2 3 4 5 6 7 8; do
    local rc=0
    wait "${pids[$((i - 1))]}" || rc=$?
    [ "$rc" -eq "$i" ] || fail "run $i exited $rc: $(cat "$ENG_DIR/par.$i")"
    [ "$(cat "$ENG_DIR/par.$i")" = "run-$i" ] || fail "run $i: $(cat "$ENG_DIR/par.$i")"
  done
}

@test "docker: nothing left behind" {
  [ -z "$(dk ps -aq)" ] || fail "containers: $(dk ps -a)"
  local leaks=() c m p daemons
  daemons=" $(cat "$ENG_DIR/dockerd.pid") $(cat "$ENG_DIR/containerd.pid") "
  while IFS= read -r c; do [ -n "$c" ] && leaks+=("netns $c"); done < <(eng_new_netns before)
  while IFS= read -r c; do [ -n "$c" ] && leaks+=("cgroup $c"); done < <(eng_cgroups)
  # (dockerd's own: its data-root made a shared mount while it runs, its host-netns handle, bound
  # while it runs and left when it stops)
  while IFS= read -r m; do
    [ -n "$m" ] && [ "$m" != "$ENG_DIR/x/netns/default" ] && [ "$m" != "$ENG_DIR/data" ] && leaks+=("mount $m")
  done < <(eng_mounts)
  for p in $(eng_procs); do
    [[ $daemons == *" $p "* ]] || leaks+=("process $p: $(tr '\0' ' ' <"/proc/$p/cmdline")")
  done
  [ -z "$(runtime_state)" ] || leaks+=("ocirt state in $RT_ROOT: $(runtime_state)")
  [ -z "$(ls -A "$ENG_DIR/tmp")" ] || leaks+=("shim files: $(ls -A "$ENG_DIR/tmp")")
  [ ${#leaks[@]} -eq 0 ] || fail "left behind:" "${leaks[@]}"
  eng_stop_pid dockerd 15
  eng_stop_pid containerd 15
  [ -z "$(eng_procs)" ] || fail "processes after dockerd and containerd stopped: $(eng_procs)"
  umount "$ENG_DIR/x/netns/default" 2>/dev/null || true
  [ -z "$(eng_mounts)" ] || fail "mounts: $(eng_mounts)"
  remove_machine_paths
  [ ! -e "$ENG_DIR/made-run-containerd" ] || [ ! -e /run/containerd ] || fail "left in /run/containerd: $(find /run/containerd)"
  [ ! -e "$ENG_DIR/made-run-docker" ] || [ ! -e /run/docker ] || fail "left in /run/docker: $(find /run/docker)"
  [ ! -e "$ENG_DIR/made-docker-key" ] || [ ! -e /etc/docker/key.json ] || fail "/etc/docker/key.json"
  ! ip link show docker0 >/dev/null 2>&1 || fail "a docker0 bridge exists"
  eng_remove_cgroups
  local h
  for h in /sys/fs/cgroup/*/"$ENG_CGROUP"; do [ ! -d "$h" ] || fail "cgroup $h"; done
}
