#!/usr/bin/env bats
# The README's promises: its first command runs a real container, and its second is the test command.

load helpers

readme() { cat "${OCIRT_SRCDIR:-$BATS_TEST_DIRNAME/..}/README.md"; }

# The first ```sh block of the README, one line.
first_command() { readme | awk '/^```sh$/ {inside = 1; next} inside && /^```$/ {exit} inside'; }

@test "README: the first command builds, makes a busybox bundle and runs a container" {
  cmd=$(first_command)
  [[ $cmd == *"contrib/install-deps.sh"* ]]
  [[ $cmd == *"./configure"* ]]
  [[ $cmd == *"make"* ]]
  # The part after the build, run here against the ocirt under test and a bundle of this test.
  tail=${cmd#*make -j2 && }
  [[ $tail == contrib/make-bundle.sh* ]]
  tail=${tail//\/tmp\/demo/$BATS_TEST_TMPDIR/demo}
  tail=${tail//.\/ocirt run/$OCIRT --root $ROOT run}
  cd "${OCIRT_SRCDIR:-$BATS_TEST_DIRNAME/..}"
  run timeout 60 bash -c "$tail"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "pid 1" ]
  [ "${lines[1]}" = "ocirt" ]
  # Only the loopback device: `ip link` prints two lines per link.
  [[ ${lines[2]} == "1: lo: "* ]]
  [ "$(printf '%s\n' "$output" | grep -c '^[0-9]*: ')" -eq 1 ]
  [ "${lines[-1]}" = "exit status: 7" ]
  [ ! -e "$ROOT/demo" ]
}

@test "README: the second command is the test command CI runs" {
  second=$(readme | awk '/^```sh$/ {n++; inside = (n == 2); next} inside && /^```$/ {exit} inside')
  [ "$second" = "make -j2 check" ]
  grep -q 'make -j2 check' "${OCIRT_SRCDIR:-$BATS_TEST_DIRNAME/..}/.ci/run"
}
