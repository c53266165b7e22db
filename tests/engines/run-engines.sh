#!/bin/bash
# run-engines.sh [SUITE.bats...]: the engine suites (tests/engines/*.bats: podman, containerd and
# docker, each driving ocirt through the real engine) as one TAP stream for `make check`.
#
# Each suite runs in a `bats` of its own (each starts and stops a private daemon in setup_file and
# teardown_file), one after the other, with a time limit.  The results are renumbered into one plan;
# a test that never reported (a crash, the time limit) counts as failed.  After each suite a line
#   # tests/engines/NAME.bats: N passed, N failed, N skipped
# gives its own counts (.ci/run repeats them).  Exits non-zero when anything failed.
#
# By hand, as root: OCIRT=$PWD/ocirt tests/engines/run-engines.sh [tests/engines/docker.bats]
# Environment: OCIRT, OCIRT_SRCDIR (as run-bats.sh), OCIRT_ENGINE_TIMEOUT (seconds per suite, 900).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${OCIRT_SRCDIR:-$(cd "$here/../.." && pwd)}

bail() {
  echo "Bail out! run-engines.sh: $*"
  echo "run-engines.sh: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || bail "the engine suites must run as root (they start dockerd, containerd and podman)"
command -v bats >/dev/null 2>&1 || bail "bats not found: run contrib/install-deps.sh"
OCIRT=${OCIRT:-$(cd "$here/../.." && pwd)/ocirt}
[ -x "$OCIRT" ] || bail "OCIRT=$OCIRT is not an executable: build ocirt first"
export OCIRT

suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then
  shopt -s nullglob
  suites=("$src"/tests/engines/*.bats)
  shopt -u nullglob
fi
[ ${#suites[@]} -gt 0 ] || bail "no engine suites in $src/tests/engines"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
exec </dev/null

# Every suite runs before anything is printed: the plan comes first and counts them all.
n=0 rc=0 body=$work/body
: >"$body"
for suite in "${suites[@]}"; do
  name=tests/engines/${suite##*/}
  log=$work/suite.tap
  timeout --kill-after=30 "${OCIRT_ENGINE_TIMEOUT:-900}" bats --tap "$suite" >"$log" 2>&1
  suite_rc=$?
  plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$log" | head -n 1)
  pass=0 fail=0 skip=0 seen=0
  while IFS= read -r line; do
    if [[ $line =~ ^(not )?ok\ [0-9]+\ ?(.*)$ ]]; then
      n=$((n + 1)) seen=$((seen + 1))
      rest=${BASH_REMATCH[2]}
      if [ -n "${BASH_REMATCH[1]}" ]; then
        fail=$((fail + 1))
        echo "not ok $n $rest" >>"$body"
      else
        if [[ $rest == *"# skip"* ]]; then skip=$((skip + 1)); else pass=$((pass + 1)); fi
        echo "ok $n $rest" >>"$body"
      fi
    elif [[ $line =~ ^1\.\.[0-9]+$ ]]; then
      :
    else
      echo "# $line" >>"$body" # diagnostics stay comments in the one stream
    fi
  done <"$log"
  # tests of the plan that never reported, or a suite that failed without a failing test
  missing=$((${plan:-1} - seen))
  for ((i = 0; i < missing; i++)); do
    n=$((n + 1)) fail=$((fail + 1))
    echo "not ok $n $name: a test that never reported (bats exited $suite_rc: a crash or the time limit)" >>"$body"
  done
  if [ "$suite_rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
    n=$((n + 1)) fail=$((fail + 1))
    echo "not ok $n $name: bats exited $suite_rc" >>"$body"
  fi
  echo "# $name: $pass passed, $fail failed, $skip skipped" >>"$body"
  [ "$fail" -eq 0 ] || rc=1
done

echo "1..$n"
cat "$body"
exit "$rc"
