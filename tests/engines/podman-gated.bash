# podman tests of what another branch adds to ocirt (issue 2: cgroup resources, pause, resume, update).
# podman.bats loads this file from a test only when `ocirt --help` lists the command the test needs
# (eng_gate); until then that test is reported as skipped, with the reason.

# cg_file CONTROLLER FILE ID: a file of container ID's cgroup (under the suite's parent), v1 or v2.
cg_file() {
  local v1=/sys/fs/cgroup/$1/$ENG_CGROUP/libpod-$3/$2 v2=/sys/fs/cgroup/$ENG_CGROUP/libpod-$3/$2
  if [ -e "$v1" ]; then echo "$v1"; else echo "$v2"; fi
}

gated_limits() {
  # conmon leaves an `oom` marker in its working folder when the OOM killer struck: keep it in ours
  cd "$ENG_DIR"
  # memory: a program that grows without bound is killed by the OOM killer
  run prun --rm --memory 32m --memory-swap 32m "$IMG" sh -c 'tail /dev/zero'
  [ "$status" -eq 137 ] || fail "memory: status $status: $output"
  # pids: the 11th process cannot be forked
  run prun --rm --pids-limit 10 "$IMG" sh -c 'for i in $(seq 20); do sleep 5 & done; echo forked all'
  [[ $output == *"fork"* ]] || fail "pids: $output"
  [[ $output != *"forked all"* ]] || fail "pids: $output"
  # cpu: 5% of a cpu (little enough to be reached on a loaded machine): a busy loop is throttled
  prun -d --name cpu --cpus 0.05 "$IMG" sh -c 'while :; do :; done' >/dev/null
  local id stat
  id=$(cid cpu)
  sleep 1
  stat=$(cat "$(cg_file cpu cpu.stat "$id")")
  pm rm -f -t 0 cpu >/dev/null
  [ "$(awk '$1 == "nr_throttled" { print $2 }' <<<"$stat")" -gt 0 ] || fail "cpu: not throttled: $stat"
}

gated_pause() {
  prun -d --name pause "$IMG" sh -c 'i=0; while :; do i=$((i+1)); echo $i >/n.new; mv /n.new /n; sleep 0.05; done' >/dev/null
  local id a b
  id=$(cid pause)
  sleep 0.3
  pm pause pause >/dev/null
  [ "$(pm inspect -f '{{.State.Status}}' pause)" = paused ]
  [ "$("$OCIRT" state "$id" | jq -r .status)" = paused ]
  a=$(cat "$(pm mount pause)/n")
  sleep 0.5
  b=$(cat "$(pm mount pause)/n")
  [ "$a" = "$b" ] || fail "the container ran while paused: $a -> $b"
  pm unpause pause >/dev/null
  sleep 0.5
  b=$(cat "$(pm mount pause)/n")
  [ "$b" -gt "$a" ] || fail "the container did not resume: $a -> $b"
  pm unmount pause >/dev/null
  pm rm -f -t 0 pause >/dev/null
}

gated_update() {
  prun -d --name upd --memory 64m "$IMG" sleep 1000 >/dev/null
  local id
  id=$(cid upd)
  pm update --memory 96m --memory-swap 96m upd >/dev/null
  local f
  f=$(cg_file memory memory.limit_in_bytes "$id")
  [ -e "$f" ] || f=$(cg_file memory memory.max "$id")
  [ "$(cat "$f")" = $((96 * 1024 * 1024)) ] || fail "memory limit after update: $(cat "$f")"
  pm rm -f -t 0 upd >/dev/null
}
