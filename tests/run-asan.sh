#!/bin/bash
# run-asan.sh [FILE.bats...]: the whole bats suite (or the files given) against a second build of
# ocirt with AddressSanitizer, UBSan and the test-only fault points (--enable-asan
# --enable-fault-injection, built by tests/build-variant.sh from a copy of the sources), plus the
# crash-recovery tests that need those fault points (tests/faults/*.bats).  TAP on stdout, as
# run-bats.sh, plus one last test: no sanitizer report was written by any ocirt process, including
# those whose exit status no test looks at (a container's init before exec, a detached exec).
#
# `make check` runs it.  By hand: sudo tests/run-asan.sh [tests/lifecycle.bats ...]
# Environment: OCIRT_ASAN_TREE (where the copy is built; default tests/variant-asan of the build
# tree), and what run-bats.sh takes.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${OCIRT_SRCDIR:-$(cd "$here/.." && pwd)}
builddir=${OCIRT_BUILDDIR:-$src}
tree=${OCIRT_ASAN_TREE:-$builddir/tests/variant-asan}

bail() {
  echo "Bail out! run-asan.sh: $*"
  echo "run-asan.sh: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || bail "the integration tests must run as root"
bin=$("$src/tests/build-variant.sh" "$tree" --enable-asan --enable-fault-injection) ||
  bail "building the ASan tree in $tree failed (see $tree.build.log)"

reports=$tree.reports
rm -rf "$reports"
mkdir -p "$reports"
# halt_on_error: the first error stops that process; exitcode 86 so that a test which expects a
# failure (status 1) does not mistake a sanitizer's exit for it.  Reports go to files as well as
# being counted at the end, since many processes' stderr is not looked at.
common="halt_on_error=1:exitcode=86:log_path=$reports/report:log_exe_name=1"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:$common"
export UBSAN_OPTIONS="print_stacktrace=1:$common"
export LSAN_OPTIONS="exitcode=86"

# Not under ASan: the files that boot the qemu VM (their ocirt runs in the guest, minutes each), the
# benchmark, the ones that build other trees (readme, features, dist), and valgrind's (valgrind
# cannot run an ASan binary).  The plain suite runs them; CI time (90 minutes) cannot hold them twice.
not_under_asan=" vm.bats cgroup2-vm.bats dm.bats bench.bats readme.bats features.bats valgrind.bats dist.bats "
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  shopt -s nullglob
  for f in "$src"/tests/*.bats "$src"/tests/faults/*.bats; do
    [[ $not_under_asan == *" ${f##*/} "* ]] || files+=("$f")
  done
  shopt -u nullglob
fi

# run-bats.sh prints "1..N" and N results; we add one: renumber into one plan.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
OCIRT=$bin OCIRT_SRCDIR=$src "$src/tests/run-bats.sh" "${files[@]}" >"$out"
rc=$?
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out" | head -n 1)
[ -n "$plan" ] || { cat "$out"; bail "run-bats.sh printed no plan (exit $rc)"; }
echo "1..$((plan + 1))"
grep -v '^1\.\.[0-9]*$' "$out"
n=$((plan + 1))
shopt -s nullglob
found=("$reports"/report*)
shopt -u nullglob
if [ ${#found[@]} -eq 0 ]; then
  echo "ok $n - asan: no AddressSanitizer, LeakSanitizer or UBSan report from any ocirt process"
else
  echo "not ok $n - asan: ${#found[@]} sanitizer reports (in $reports)"
  for f in "${found[@]}"; do
    echo "# --- $f"
    head -n 40 "$f" | sed 's/^/# /'
  done
  rc=1
fi
exit "$rc"
