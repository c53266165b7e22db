#!/bin/bash
# run-bats.sh [FILE.bats...]: run ocirt's integration tests (every tests/*.bats, or the files given)
# in one `bats --tap` run, TAP on stdout; exits non-zero when any test failed.
#
# `make check` runs it through automake's TAP driver, with OCIRT (the ocirt binary) and OCIRT_SRCDIR
# (the source tree) set.  By hand: sudo OCIRT=$PWD/ocirt tests/run-bats.sh
#
# Environment:
#   OCIRT              the runtime under test (default: ../ocirt beside this folder)
#   OCIRT_SRCDIR       the source tree; the .bats files are in $OCIRT_SRCDIR/tests
#   OCIRT_BATS_FILTER  only the tests whose name matches this regex (bats --filter)
#   OCIRT_TEST_TIMEOUT seconds before one ocirt command is killed (default 20, see helpers.bash)
#   BATS_TEST_TIMEOUT  seconds before bats kills a whole test (default 300): a last resort, as bats
#                      1.8 then loses that test's result line; the per-command timeouts come first
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -n "${OCIRT_SRCDIR:-}" ]; then
  testdir=$OCIRT_SRCDIR/tests
else
  testdir=$here
fi

# A failure before any test runs: say why, as TAP ("Bail out!") for the TAP driver and on stderr.
bail() {
  echo "Bail out! run-bats.sh: $*"
  echo "run-bats.sh: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || bail "the integration tests must run as root (they create namespaces, cgroups and mounts)"
command -v bats >/dev/null 2>&1 || bail "bats not found: install the Debian package bats (or run contrib/install-deps.sh)"
command -v jq >/dev/null 2>&1 || bail "jq not found: install the Debian package jq (or run contrib/install-deps.sh)"

OCIRT=${OCIRT:-$(cd "$here/.." && pwd)/ocirt}
[ -e "$OCIRT" ] || bail "OCIRT=$OCIRT does not exist: build ocirt first (./autogen.sh && ./configure && make) or set OCIRT"
[ -f "$OCIRT" ] && [ -x "$OCIRT" ] || bail "OCIRT=$OCIRT is not an executable file"
export OCIRT
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300}

if [ $# -gt 0 ]; then
  files=("$@")
else
  shopt -s nullglob
  files=("$testdir"/*.bats)
  shopt -u nullglob
fi
[ ${#files[@]} -gt 0 ] || bail "no .bats files in $testdir"

args=(--tap)
[ -n "${OCIRT_BATS_FILTER:-}" ] && args+=(--filter "$OCIRT_BATS_FILTER")

# No stdin (CI has none): a test that reads it must say so.
exec </dev/null
bats "${args[@]}" "${files[@]}"
rc=$?
# bats exits 1 on failures; keep a crash's or a signal's status, but never report success wrongly.
exit "$rc"
