#!/usr/bin/env bats
# The man pages (man/): one a command, ocirt(8) for the global options; they render without warnings,
# and they document every command and option `--help` lists (the tests read the lists from --help, so
# a command or option added later needs its page entry then).

load helpers

MANDIR=$(repo)/man

# render PAGE: the page as text (plain ASCII, no line breaks inside options).
render() {
  LC_ALL=C MANWIDTH=200 man -l "$1" 2>/dev/null | col -bx
}

# commands: the commands `ocirt --help` lists.
commands() {
  "$OCIRT" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 && $1 != "Commands:" { print $1 }'
}

# options HELP-TEXT: every option of the text's option lines, as "-x, --long" or "--long".
options() {
  grep -E '^ +(-[a-zA-Z], )?--[a-z]' <<<"$1" | sed -E 's/^ +((-[a-zA-Z], )?--[a-z][a-z0-9-]*).*/\1/'
}

@test "man: every command of ocirt --help has a page, and ocirt(8) lists it" {
  command -v man >/dev/null || fail "man not found: install man-db (contrib/install-deps.sh)"
  local c n=0 text missing=()
  text=$(render "$MANDIR/ocirt.8")
  for c in $(commands); do
    n=$((n + 1))
    [ -f "$MANDIR/ocirt-$c.8" ] || missing+=("man/ocirt-$c.8 does not exist")
    grep -qE "^ {7}$c( |\$)" <<<"$text" || missing+=("ocirt(8) does not list $c in COMMANDS")
    grep -qF "ocirt-$c(8)" <<<"$text" || missing+=("ocirt(8) has no SEE ALSO ocirt-$c(8)")
  done
  [ "$n" -ge 10 ] || fail "only $n commands read from ocirt --help"
  [ ${#missing[@]} -eq 0 ] || fail "${missing[@]}"
}

@test "man: every page renders without a warning" {
  local p err problems=()
  for p in "$MANDIR"/*.8; do
    err=$(LC_ALL=C MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null)
    [ -z "$err" ] || problems+=("${p##*/}: $err")
    [ -n "$(render "$p")" ] || problems+=("${p##*/} renders as nothing")
    grep -q '^NAME' <(render "$p") || problems+=("${p##*/} has no NAME section")
  done
  [ ${#problems[@]} -eq 0 ] || fail "${problems[@]}"
}

@test "man: every global option of ocirt --help is in ocirt(8)" {
  local text o missing=()
  text=$(render "$MANDIR/ocirt.8")
  while IFS= read -r o; do
    [ -n "$o" ] || continue
    grep -qF -- "$o" <<<"$text" || missing+=("ocirt(8) does not document $o")
  done < <(options "$("$OCIRT" --help)")
  [ ${#missing[@]} -eq 0 ] || fail "${missing[@]}"
}

@test "man: every option of ocirt COMMAND --help is in ocirt-COMMAND(8)" {
  local c o text n=0 missing=()
  for c in $(commands); do
    [ -f "$MANDIR/ocirt-$c.8" ] || { missing+=("no man/ocirt-$c.8"); continue; }
    text=$(render "$MANDIR/ocirt-$c.8")
    while IFS= read -r o; do
      [ -n "$o" ] || continue
      n=$((n + 1))
      grep -qF -- "$o" <<<"$text" || missing+=("ocirt-$c(8) does not document $o")
    done < <(options "$("$OCIRT" "$c" --help)")
    grep -qF -- "--help" <<<"$text" || missing+=("ocirt-$c(8) does not document --help")
  done
  [ "$n" -ge 20 ] || fail "only $n options read from the commands' --help"
  [ ${#missing[@]} -eq 0 ] || fail "${missing[@]}"
}

@test "man: make install installs every page in man8" {
  local build dest p
  build=$(dirname "$OCIRT")
  [ -f "$build/Makefile" ] || fail "no Makefile next to $OCIRT"
  dest=$BATS_TEST_TMPDIR/dest
  run make -s -C "$build" install-man DESTDIR="$dest"
  [ "$status" -eq 0 ] || fail "make install-man: $output"
  for p in "$MANDIR"/*.8; do
    [ -n "$(find "$dest" -path "*/man8/${p##*/}")" ] || fail "${p##*/} is not installed: $(find "$dest" -type f)"
  done
}
