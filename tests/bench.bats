#!/usr/bin/env bats
# `make bench` (tests/bench/bench.sh): a short run proves the benchmark works and prints its table.
# Never a timed test: no number is compared with any other, only the table's shape is checked.

load helpers

bench_bin() { dirname "$OCIRT"; }

# bench.sh with N=3 and this test's container ids; its output in $output, its notes in $stderr
bench() {
  run --separate-stderr env OCIRT="$OCIRT" OCIRT_BENCH_BINDIR="$(bench_bin)/tests/bench" OCIRT_BENCH_N=3 \
    OCIRT_BENCH_PAR=2 OCIRT_BENCH_INSTALL=0 OCIRT_BENCH_ID="$ID" OCIRT_BENCH_EXTRA=none \
    timeout -k 5 600 bash "$(repo)/tests/bench/bench.sh" </dev/null 3>&-
}

# table_rows: the table's data rows, one a line, cells separated by '|' without the outer bars
table_rows() { grep '^| ' <<<"$output" | sed -n '2,$p' | sed 's/^| //; s/ |$//; s/ | /|/g'; }

# nothing of the bench's containers is left: state, cgroups of every runtime, mounts, work folders
assert_bench_clean() {
  local left
  left=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "*$ID*" 2>/dev/null | head -5)
  [ -z "$left" ] || fail "cgroups left: $left"
  ! grep -q "ocirt-bench\." /proc/self/mountinfo || fail "a mount of the bench is left"
  ! pgrep -f "$ID" >/dev/null || fail "a process of the bench is left: $(pgrep -af "$ID")"
}

@test "make bench: one run prints a table of medians and ratios for ocirt, crun, runc and the floor" {
  bench
  [ "$status" -eq 0 ] || fail "bench.sh exited $status: $stderr"
  grep -qx '| metric | unit | ocirt | crun | runc | floor | ocirt/crun | ocirt/runc | ocirt/floor |' <<<"$output" ||
    fail "no table header in: $output"
  local rows metric cells n=0
  rows=$(table_rows)
  for metric in "run /bin/true, wall" "run /bin/true, CPU" "create+start+wait+delete, wall" \
    "create+start+wait+delete, CPU" "exec /bin/true, wall" "exec /bin/true, CPU" "peak RSS (run)" \
    "throughput, 2 at once (higher is better)" "binary size (stripped)"; do
    grep -q "^$metric|" <<<"$rows" || fail "no row \"$metric\" in: $output"
  done
  while IFS='|' read -r -a cells; do
    n=$((n + 1))
    [ ${#cells[@]} -eq 9 ] || fail "row $n has ${#cells[@]} cells: ${cells[*]}"
    # ocirt has a number in every row but the hook rows (device-mapper: measured in the VM)
    [[ ${cells[2]} =~ ^[0-9]+(\.[0-9]+)?$ || ${cells[0]} == dm* ]] || fail "row $n (${cells[0]}): ocirt's cell is \"${cells[2]}\""
    # every ratio is a number or "-" (no number for that column, e.g. the floor has no create/delete)
    for c in "${cells[@]:6:3}"; do
      [[ $c =~ ^([0-9]+\.[0-9]{2}|-)$ ]] || fail "row $n (${cells[0]}): ratio \"$c\""
    done
  done <<<"$rows"
  [ "$n" -ge 9 ] || fail "only $n rows"
  # the peers, where installed (contrib/install-deps.sh installs them), measured like ocirt
  local col=3 r
  for r in crun runc; do
    if command -v "$r" >/dev/null; then
      grep '^run /bin/true, wall|' <<<"$rows" | cut -d'|' -f"$col" | grep -Eq '^[0-9.]+$' ||
        fail "$r is installed but has no run time: $(grep '^run' <<<"$rows")"
    fi
    col=$((col + 1))
  done
  # the floor ran: a run time, and no create/delete (it has none)
  grep '^run /bin/true, wall|' <<<"$rows" | cut -d'|' -f6 | grep -Eq '^[0-9.]+$' || fail "no floor run time"
  grep '^create+start+wait+delete, wall|' <<<"$rows" | cut -d'|' -f6 | grep -qx -- - || fail "floor create time?"
  # the device-mapper hook: a row that says there is no number yet
  grep -q '^dm snapshot rootfs create' <<<"$rows" || fail "no device-mapper row"
  assert_bench_clean
}

@test "make bench: a missing peer is named, and its column says missing" {
  OCIRT_BENCH_CRUN=/nonexistent/crun OCIRT_BENCH_RUNTIMES="ocirt crun" bench
  [ "$status" -eq 0 ] || fail "bench.sh exited $status: $stderr"
  [[ $stderr == *"crun is MISSING (OCIRT_BENCH_CRUN=/nonexistent/crun is not an executable)"* ]] ||
    fail "stderr does not name the missing crun: $stderr"
  local row
  row=$(table_rows | grep '^run /bin/true, wall|')
  [ "$(cut -d'|' -f4 <<<"$row")" = missing ] || fail "crun's cell: $row"
  [ "$(cut -d'|' -f7 <<<"$row")" = - ] || fail "ocirt/crun without crun: $row"
  # runc and the floor were not asked for: no number, no ratio
  [ "$(cut -d'|' -f5,6 <<<"$row")" = "-|-" ] || fail "runc/floor cells: $row"
  assert_bench_clean
}

# The bench's setting: crun refuses hybrid hosts, so every runtime runs in a private mount namespace
# with a tmpfs over /sys/fs/cgroup/unified.  ocirt must then use the v1 hierarchies only, not make
# directories in the tmpfs (without the fix: "enter cgroup: open .../unified/ocirt/ID/cgroup.procs").
@test "a cgroup hierarchy hidden by a later mount is not used" {
  mountpoint -q /sys/fs/cgroup/unified || fail "needs a hybrid cgroup host (cgroup2 at /sys/fs/cgroup/unified), as CI's"
  make_bundle 'sleep 1000'
  run --separate-stderr unshare --mount --propagation private bash -c '
    set -e
    mount -t tmpfs ocirt-test /sys/fs/cgroup/unified
    timeout -k 5 20 "$0" --root "$1" run --detach --bundle "$2" "$3" </dev/null >/dev/null 2>"$4/err" 3>&- ||
      { cat "$4/err" >&2; exit 1; }
    pid=$("$0" --root "$1" state "$3" | jq -r .pid)
    echo "tmpfs: $(ls -A /sys/fs/cgroup/unified | tr "\n" " ")"
    echo "pids: $(cat /sys/fs/cgroup/pids/ocirt/$3/cgroup.procs)"
    echo "init: $pid"
    "$0" --root "$1" delete --force "$3"' "$OCIRT" "$ROOT" "$BUNDLE" "$ID" "$BATS_TEST_TMPDIR"
  [ "$status" -eq 0 ] || fail "ocirt failed under a hidden v2 hierarchy: $stderr"
  grep -qx 'tmpfs: ' <<<"$output" || fail "ocirt wrote into the tmpfs: $output"
  local init
  init=$(sed -n 's/^init: //p' <<<"$output")
  grep -qx "pids: $init" <<<"$output" || fail "the init is not in its v1 pids cgroup: $output"
}
