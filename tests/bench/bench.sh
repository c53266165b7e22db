#!/bin/bash
# bench.sh: ocirt against crun, runc and the kernel's floor, side by side in one run (`make bench`).
#
# Every runtime runs the same bundle: `ocirt spec` (its seccomp profile included) with a busybox
# rootfs (contrib/make-bundle.sh), the program /bin/true, ociVersion 1.0.2 (crun 1.8 refuses 1.2.0).
# The runtimes take turns, and the order turns round every iteration, so machine drift cancels out.
# Everything runs in a private mount namespace with a throwaway tmpfs over /sys/fs/cgroup/unified:
# crun refuses hybrid cgroup hosts otherwise, and the others get the same setting for fairness.
#
# Prints one table (markdown) of medians and the ratios ocirt/crun, ocirt/runc, ocirt/floor.
# Times come from tests/bench/measure (wall clock; CPU = user + system of every process started;
# peak RSS = the largest process, getrusage RUSAGE_CHILDREN).  floor (tests/bench/floor.c) is what
# the kernel alone costs for the same namespaces, pivot_root, /proc and exec.
#
# Environment:
#   OCIRT                 the ocirt binary (default ../../ocirt beside this script)
#   OCIRT_BENCH_BINDIR    where measure and floor were built (default: the folder of this script,
#                         else tests/bench beside $OCIRT)
#   OCIRT_BENCH_N         iterations per measurement (default 50)
#   OCIRT_BENCH_PAR       containers started at once in the throughput test (default 4)
#   OCIRT_BENCH_RUNTIMES  which columns to measure (default "ocirt crun runc floor")
#   OCIRT_BENCH_ID        prefix of the container ids (default ocirt-bench-PID): cgroups are machine-wide
#   OCIRT_BENCH_CRUN, OCIRT_BENCH_RUNC  the peers' binaries (default: crun and runc on PATH)
#   OCIRT_BENCH_INSTALL   1 (default): apt-get install a missing crun/runc; 0: only say it is missing
#   OCIRT_BENCH_EXTRA     more row producers (default: tests/bench/extra-*.sh): each is run with
#                         BENCH_DIR, BENCH_BUNDLE and OCIRT set and prints table rows
#                         "metric|unit|ocirt|crun|runc|floor" (e.g. device-mapper snapshot create times
#                         from the VM harness); "-" where a column has no number; "none": no hooks
set -euo pipefail

prog=bench.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() {
  echo "$prog: $*" >&2
  exit 1
}
note() { echo "$prog: $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "must run as root (containers need namespaces, mounts and cgroups)"

# --- a private mount namespace with a tmpfs over the v2 hierarchy of a hybrid host ---------------
if [ -z "${OCIRT_BENCH_INNER:-}" ]; then
  command -v unshare >/dev/null || die "unshare not found: install util-linux"
  OCIRT_BENCH_INNER=1 exec unshare --mount --propagation private "$BASH" "${BASH_SOURCE[0]}" "$@"
fi
if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
  mount -t tmpfs -o size=1m ocirt-bench /sys/fs/cgroup/unified
fi

N=${OCIRT_BENCH_N:-50}
P=${OCIRT_BENCH_ID:-ocirt-bench-$$}
PAR=${OCIRT_BENCH_PAR:-4}
[[ $N =~ ^[1-9][0-9]*$ ]] || die "OCIRT_BENCH_N=$N: expected a positive integer"
[[ $PAR =~ ^[1-9][0-9]*$ ]] || die "OCIRT_BENCH_PAR=$PAR: expected a positive integer"
OCIRT=${OCIRT:-$(cd "$here/../.." && pwd)/ocirt}
[ -x "$OCIRT" ] || die "OCIRT=$OCIRT is not an executable: build ocirt first (make), or set OCIRT"
OCIRT=$(realpath "$OCIRT")
bindir=${OCIRT_BENCH_BINDIR:-}
if [ -z "$bindir" ]; then
  bindir=$here
  [ -x "$bindir/measure" ] || bindir=$(dirname "$OCIRT")/tests/bench
fi
MEASURE=$bindir/measure
FLOOR=$bindir/floor
[ -x "$MEASURE" ] && [ -x "$FLOOR" ] || die "$bindir has no measure/floor: build them (make, or make bench)"
command -v jq >/dev/null || die "jq not found: install jq (or run contrib/install-deps.sh)"

# --- the peers ------------------------------------------------------------------------------------
ALL=(${OCIRT_BENCH_RUNTIMES:-ocirt crun runc floor})
declare -A BIN MISSING
peer() { # peer NAME: find it, install it if allowed, else mark it missing
  local name=$1 p var
  var=OCIRT_BENCH_${name^^}
  if [ -n "${!var:-}" ]; then # given: used as it is, never installed
    p=${!var}
    [ -x "$p" ] || p=
  else
    p=$(command -v "$name" || true)
  fi
  if [ -z "$p" ] && [ -z "${!var:-}" ] && [ "${OCIRT_BENCH_INSTALL:-1}" = 1 ] && command -v apt-get >/dev/null; then
    note "$name not found: installing the Debian package $name"
    DEBIAN_FRONTEND=noninteractive apt-get -qq -y -o DPkg::Lock::Timeout=600 install --no-install-recommends "$name" \
      </dev/null >/dev/null 2>&1 || note "apt-get install $name failed"
    p=$(command -v "$name" || true)
  fi
  if [ -z "$p" ]; then
    note "$name is MISSING${!var:+ (OCIRT_BENCH_${name^^}=${!var} is not an executable)}: its column shows 'missing' (apt-get install $name, or contrib/install-deps.sh)"
    MISSING[$name]=1
  else
    BIN[$name]=$p
  fi
}
RT=()
for r in "${ALL[@]}"; do
  case $r in
    ocirt) BIN[ocirt]=$OCIRT ;;
    floor) BIN[floor]=$FLOOR ;;
    crun | runc) peer "$r" ;;
    *) die "OCIRT_BENCH_RUNTIMES: unknown runtime \`$r\` (ocirt, crun, runc, floor)" ;;
  esac
  [ -n "${MISSING[$r]:-}" ] || RT+=("$r")
done

# --- the bundle -----------------------------------------------------------------------------------
W=$(mktemp -d /tmp/ocirt-bench.XXXXXX)
# State roots on a tmpfs, as /run/ocirt, /run/crun and /run/runc are (a disk file system's inode
# allocation would weigh on every runtime's state files).  Private: gone with the namespace.
mkdir "$W/roots"
mount -t tmpfs -o mode=0700,size=64m ocirt-bench-roots "$W/roots"
LOG=$W/log
SLEEPERS=()
cleanup() {
  local r id
  for id in "${SLEEPERS[@]}"; do
    r=${id%%:*}
    "${BIN[$r]}" --root "$W/roots/$r" delete --force "${id#*:}" >/dev/null 2>&1 || true
  done
  umount "$W/roots" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
OCIRT=$OCIRT "$here/../../contrib/make-bundle.sh" "$W/bundle" >/dev/null || die "make-bundle.sh failed"
B=$W/bundle
jq '.ociVersion = "1.0.2" | .process.args = ["/bin/true"]' "$B/config.json" >"$B/c" && mv "$B/c" "$B/config.json"
mkdir -p "$W/sleeper"
jq --arg r "$B/rootfs" '.root.path = $r | .process.args = ["sleep", "1000000"]' "$B/config.json" >"$W/sleeper/config.json"

# rt_cmd RUNTIME: the command line prefix (a state root of its own for each runtime)
rt() {
  local r=$1
  shift
  "${BIN[$r]}" --root "$W/roots/$r" "$@"
}
# measure_into FILE -- STEP...: append "wall cpu rss" of the steps to FILE
measure_into() {
  local f=$1
  shift
  "$MEASURE" "$@" >>"$f" 2>>"$LOG" || die "a measurement failed: $(tail -3 "$LOG")"
}
# The runtimes in a new order each iteration: rotated by the iteration number.
order() {
  local i=$1 n=${#RT[@]} k
  for ((k = 0; k < n; k++)); do echo "${RT[(i + k) % n]}"; done
}
step_run() { # step_run RUNTIME ID: the measured command for one `run`
  if [ "$1" = floor ]; then echo "$FLOOR run $B/rootfs"; else echo "${BIN[$1]} --root $W/roots/$1 run --bundle $B $2"; fi
}

# --- measurements ---------------------------------------------------------------------------------
note "N=$N, parallel=$PAR, runtimes: ${RT[*]}; work folder $W"
for r in "${RT[@]}"; do
  [ "$r" = floor ] || mkdir -p "$W/roots/$r"
  # shellcheck disable=SC2046 # the step is word-split on purpose (no spaces in any path here)
  measure_into /dev/null $(step_run "$r" "$P-warm-$r") # page cache, first-run effects
done

note "sequential run of /bin/true"
for ((i = 0; i < N; i++)); do
  for r in $(order "$i"); do
    # shellcheck disable=SC2046
    measure_into "$W/run.$r" $(step_run "$r" "$P-r$i-$r")
  done
done

note "create + start + wait + delete"
for ((i = 0; i < N; i++)); do
  for r in $(order "$i"); do
    [ "$r" != floor ] || continue
    set -- "${BIN[$r]}" --root "$W/roots/$r"
    measure_into "$W/life.$r" "$@" create --bundle "$B" "$P-l$i-$r" -- "$@" start "$P-l$i-$r" -- @wait -- "$@" delete "$P-l$i-$r"
  done
done

note "exec of /bin/true into a running container"
floor_target=
for r in "${RT[@]}"; do
  [ "$r" != floor ] || continue
  id=$P-sleeper-$r
  set -- "${BIN[$r]}" --root "$W/roots/$r"
  # create and start through measure, so the detached init never holds a pipe of ours
  "$MEASURE" "$@" create --bundle "$W/sleeper" "$id" -- "$@" start "$id" >/dev/null 2>>"$LOG" ||
    die "$r could not start the exec target: $(tail -3 "$LOG")"
  SLEEPERS+=("$r:$id")
  [ -n "$floor_target" ] || floor_target=$(rt "$r" state "$id" | jq -r .pid)
done
for ((i = 0; i < N; i++)); do
  for r in $(order "$i"); do
    if [ "$r" = floor ]; then # joins the first runtime's container (none: no floor number)
      [ -z "$floor_target" ] || measure_into "$W/exec.$r" "$FLOOR" exec "$floor_target"
    else
      measure_into "$W/exec.$r" "${BIN[$r]}" --root "$W/roots/$r" exec "$P-sleeper-$r" /bin/true
    fi
  done
done

note "throughput: $PAR containers at once"
M=$(((N + PAR - 1) / PAR)) # containers per worker and round
[ "$M" -ge 2 ] || M=2
ROUNDS=3
for ((i = 0; i < ROUNDS; i++)); do
  for r in $(order "$i"); do
    t0=$EPOCHREALTIME
    for ((w = 0; w < PAR; w++)); do
      (
        for ((k = 0; k < M; k++)); do
          # shellcheck disable=SC2046
          "$MEASURE" $(step_run "$r" "$P-p$i-$w-$k-$r") >/dev/null 2>>"$LOG" || exit 1
        done
      ) &
    done
    wait_ok=1
    for ((w = 0; w < PAR; w++)); do wait -n || wait_ok=0; done
    [ "$wait_ok" = 1 ] || die "parallel run with $r failed: $(tail -3 "$LOG")"
    t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" -v n=$((PAR * M)) 'BEGIN { printf "%.2f\n", n / (b - a) }' >>"$W/par.$r"
  done
done

# --- the table ------------------------------------------------------------------------------------
# median FILE COLUMN [SCALE]: the median of one column, divided by SCALE
median() {
  [ -s "$1" ] || {
    echo -
    return
  }
  awk -v c="$2" '{ print $c }' "$1" | sort -g | awk -v s="${3:-1}" '{ v[NR] = $1 }
    END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf (m / s >= 100 ? "%.0f" : "%.1f"), m / s }'
}
cell() { # cell RUNTIME VALUE
  if [ -n "${MISSING[$1]:-}" ]; then echo missing; elif [[ " ${ALL[*]} " != *" $1 "* ]]; then echo -; else echo "$2"; fi
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'; }
row() { # row METRIC UNIT FILE-PREFIX COLUMN SCALE
  local v=() r
  for r in ocirt crun runc floor; do v+=("$(cell "$r" "$(median "$W/$3.$r" "$4" "$5")")"); done
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "${v[@]}" \
    "$(ratio "${v[0]}" "${v[1]}")" "$(ratio "${v[0]}" "${v[2]}")" "$(ratio "${v[0]}" "${v[3]}")"
}
# stripped, as distributions ship them (a build tree's ocirt carries its debug information)
size_kib() {
  [ -n "${BIN[$1]:-}" ] || {
    echo -
    return
  }
  local f=${BIN[$1]}
  if command -v strip >/dev/null && strip -o "$W/stripped" "$f" 2>/dev/null; then f=$W/stripped; fi
  echo $(($(stat -L -c %s "$f") / 1024))
}

version() { "$1" --version 2>/dev/null | head -1 | tr -d '\n' || true; }
echo
echo "ocirt benchmark: $(uname -r), $(nproc) CPUs, N=$N, $PAR at once; $(date -u +%Y-%m-%dT%H:%MZ)"
echo "ocirt: $(version "$OCIRT"); crun: ${BIN[crun]:+$(version "${BIN[crun]}")}${MISSING[crun]:+MISSING}; runc: ${BIN[runc]:+$(version "${BIN[runc]}")}${MISSING[runc]:+MISSING}"
echo
echo "| metric | unit | ocirt | crun | runc | floor | ocirt/crun | ocirt/runc | ocirt/floor |"
echo "|---|---|---|---|---|---|---|---|---|"
row "run /bin/true, wall" ms run 1 1000
row "run /bin/true, CPU" ms run 2 1000
row "create+start+wait+delete, wall" ms life 1 1000
row "create+start+wait+delete, CPU" ms life 2 1000
row "exec /bin/true, wall" ms exec 1 1000
row "exec /bin/true, CPU" ms exec 2 1000
row "peak RSS (run)" MiB run 3 1024
row "throughput, $PAR at once (higher is better)" containers/s par 1 1
v=()
for r in ocirt crun runc floor; do v+=("$(cell "$r" "$(size_kib "$r")")"); done
printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "binary size (stripped)" KiB "${v[@]}" \
  "$(ratio "${v[0]}" "${v[1]}")" "$(ratio "${v[0]}" "${v[2]}")" "$(ratio "${v[0]}" "${v[3]}")"
# More rows (device-mapper rootfs create times, from the VM harness) come from hook scripts.
extra=${OCIRT_BENCH_EXTRA:-$(ls "$here"/extra-*.sh 2>/dev/null || true)}
[ "$extra" != none ] || extra=
extra_rows=0
for x in $extra; do
  rows=$(BENCH_DIR=$W BENCH_BUNDLE=$B OCIRT=$OCIRT "$x" 2>>"$LOG") || {
    note "$x failed: $(tail -3 "$LOG")"
    continue
  }
  while IFS='|' read -r m u a b c d; do
    [ -n "$m" ] || continue
    extra_rows=$((extra_rows + 1))
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$m" "$u" "$a" "$b" "$c" "$d" \
      "$(ratio "$a" "$b")" "$(ratio "$a" "$c")" "$(ratio "$a" "$d")"
  done <<<"$rows"
done
# No hook gave rows: the device-mapper row stays, without numbers (tests/vm measures them).
[ "$extra_rows" -gt 0 ] || echo "| dm snapshot rootfs create (10 MiB, 1 GiB) | ms | - | - | - | - | - | - | - |"
