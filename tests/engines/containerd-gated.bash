# containerd tests of what another branch adds to ocirt (issue 2: cgroup resources, ps, pause,
# resume).  containerd.bats loads this file from a test only when `ocirt --help` lists the command the
# test needs (eng_gate); until then that test is reported as skipped, with the reason.

# cg_file CONTROLLER FILE ID: a file of container ID's cgroup (/NAMESPACE/ID), v1 or v2.
cg_file() {
  local v1=/sys/fs/cgroup/$1/$ENG_NS/$3/$2 v2=/sys/fs/cgroup/$ENG_NS/$3/$2
  if [ -e "$v1" ]; then echo "$v1"; else echo "$v2"; fi
}

gated_limits() {
  # memory: a program that grows without bound is killed by the OOM killer
  run ctrun --rm --memory-limit $((32 * 1024 * 1024)) "$IMG" lim1 sh -c 'tail /dev/zero'
  [ "$status" -eq 137 ] || fail "memory: status $status: $output"
  # cpu: 5% of a cpu (little enough to be reached on a loaded machine): a busy loop is throttled
  ctrun -d --cpus 0.05 "$IMG" lim2 sh -c 'while :; do :; done' >/dev/null
  sleep 1
  local stat
  stat=$(cat "$(cg_file cpu cpu.stat lim2)")
  ct_rm lim2
  [ "$(awk '$1 == "nr_throttled" { print $2 }' <<<"$stat")" -gt 0 ] || fail "cpu: not throttled: $stat"
}

gated_pause() {
  ctrun -d "$IMG" pau sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/n.new; mv /tmp/n.new /tmp/n; sleep 0.05; done' >/dev/null
  # the container's rootfs, as the shim mounted it in the bundle
  local n=$ENG_DIR/state/io.containerd.runtime.v2.task/$ENG_NS/pau/rootfs/tmp/n a b
  eng_wait test -s "$n"
  ct t pause pau
  ct t ls | grep -q '^pau .*PAUSED' || fail "$(ct t ls)"
  [ "$("$OCIRT" --root "$ENG_DIR/runc/$ENG_NS" state pau | jq -r .status)" = paused ]
  a=$(cat "$n")
  sleep 0.5
  b=$(cat "$n")
  [ "$a" = "$b" ] || fail "the container ran while paused: $a -> $b"
  ct t resume pau
  sleep 0.5
  b=$(cat "$n")
  [ "$b" -gt "$a" ] || fail "the container did not resume: $a -> $b"
  ct_rm pau
}

gated_ps() {
  ctrun -d "$IMG" ps1 sh -c 'sleep 1000 & sleep 1001 & wait' >/dev/null
  run ct t ps ps1
  [ "$status" -eq 0 ] || fail "$output"
  # the init and its two sleeps: three pids, all in the container's cgroup
  [ "$(tail -n +2 <<<"$output" | wc -l)" -eq 3 ] || fail "$output"
  local pid
  for pid in $(tail -n +2 <<<"$output" | awk '{ print $1 }'); do
    grep -q "$ENG_NS/ps1" "/proc/$pid/cgroup" || fail "pid $pid is not the container's"
  done
  ct_rm ps1
}
