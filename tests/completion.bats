#!/usr/bin/env bats
# contrib/completion/ocirt.bash: commands, options, option values, container ids and signals.

load helpers

# complete WORD...: complete the last WORD of `ocirt WORD...` (the binary as typed: $OCIRT); COMPREPLY
# sorted, one a line, in $output.
complete_line() {
  source "$(repo)/contrib/completion/ocirt.bash"
  COMP_WORDS=("$OCIRT" "$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  set +e # as in an interactive shell: compgen without a match returns 1
  _ocirt
  set -e
  output=$(printf '%s\n' "${COMPREPLY[@]}" | sort)
}

@test "completion: every command of ocirt --help, and a prefix" {
  complete_line ""
  local c
  for c in $("$OCIRT" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 && $1 != "Commands:" { print $1 }'); do
    grep -qx "$c" <<<"$output" || fail "no $c in:" "$output"
  done
  complete_line cr
  [ "$output" = create ]
  complete_line --root /tmp de
  [ "$output" = delete ]
}

@test "completion: global options and their values" {
  complete_line --lo
  [ "$output" = "$(printf -- '--log\n--log-format')" ] || fail "$output"
  complete_line --log-format ""
  [ "$output" = "$(printf 'json\ntext')" ] || fail "$output"
}

@test "completion: a command's options and their values" {
  complete_line create --b
  [ "$output" = --bundle ]
  complete_line exec --pi
  [ "$output" = --pid-file ]
  complete_line exec --
  local o
  for o in --process --tty --detach --pid-file --console-socket --env --cwd --user; do
    grep -qx -- "$o" <<<"$output" || fail "no $o in:" "$output"
  done
  complete_line list --format ""
  [ "$output" = "$(printf 'json\ntable')" ] || fail "$output"
  mkdir -p "$BATS_TEST_TMPDIR/bundles/b1"
  complete_line run --bundle "$BATS_TEST_TMPDIR/bundles/"
  [ "$output" = "$BATS_TEST_TMPDIR/bundles/b1" ] || fail "$output"
}

@test "completion: container ids from list -q on the --root given, and signals for kill" {
  make_bundle 'sleep 300'
  create_ok "$ID"
  create_container "$ID-2"
  expect_status 0
  complete_line --root "$ROOT" kill ""
  [ "$output" = "$(printf '%s\n' "$ID" "$ID-2" | sort)" ] || fail "$output"
  complete_line --root "$ROOT" delete --force "${ID}-"
  [ "$output" = "$ID-2" ] || fail "$output"
  complete_line --root "$ROOT" kill "$ID" ""
  grep -qx TERM <<<"$output" && grep -qx KILL <<<"$output" || fail "$output"
  complete_line --root "$ROOT" exec "$ID" ""
  [ -z "$output" ] || fail "completes inside the container: $output"
  # another root: none of these
  complete_line --root "$BATS_TEST_TMPDIR/empty" state ""
  [ -z "$output" ] || fail "$output"
}

@test "completion: make install puts it where bash-completion finds it" {
  local build dest
  build=$(dirname "$OCIRT")
  [ -f "$build/Makefile" ] || fail "no Makefile next to $OCIRT"
  dest=$BATS_TEST_TMPDIR/dest
  run make -s -C "$build" install-data DESTDIR="$dest"
  [ "$status" -eq 0 ] || fail "make install-data: $output"
  local f
  f=$(find "$dest" -path '*/share/bash-completion/completions/ocirt')
  [ -n "$f" ] || fail "not installed: $(find "$dest" -type f)"
  cmp "$f" "$(repo)/contrib/completion/ocirt.bash"
}
