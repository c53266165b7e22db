#!/usr/bin/env bats
# Hostile bundles at scale: hundreds of bad config.json files made by tests/hostile/gen.sh (wrong
# types, absurd numbers, path traversal in every path field, long strings, huge arrays, deep
# nesting, invalid UTF-8, duplicate keys) and rootfs symlink farms.  Each must give a clear error
# (exit 1, one line "ocirt: ...") or run safely, within its time limit, and leave nothing behind;
# the host folder the traversals aim at stays untouched.

load helpers

# try_one CASE-FILE: create (then delete --force when it was created) one hostile config in its own
# bundle; problems are appended to $PROBLEMS.  Runs in parallel workers (exported).
try_one() {
  local cfg=$1 k what b id rc=0 err lines
  k=$(basename "$cfg" .json)
  what=$(cat "${cfg%.json}.what")
  b=$WORK/b$k
  id=$ID-h$k
  mkdir -p "$b"
  ln -s "$RFS" "$b/rootfs"
  cp "$cfg" "$b/config.json"
  timeout -k 5 60 "$OCIRT" --root "$ROOT" create --bundle "$b" "$id" </dev/null >"$b/out" 2>"$b/err" || rc=$?
  err=$(cat "$b/err")
  lines=$(grep -c '' "$b/err" || true)
  case $rc in
    0)
      # accepted: it must be a real, deletable container
      timeout -k 5 30 "$OCIRT" --root "$ROOT" delete --force "$id" >/dev/null 2>>"$b/err" </dev/null ||
        echo "$k ($what): created, but delete --force failed: $(tail -n 1 "$b/err")" >>"$PROBLEMS"
      echo "$k" >>"$ACCEPTED"
      ;;
    1)
      [ "$lines" -eq 1 ] && [[ $err == "ocirt: create $id: "* ]] ||
        echo "$k ($what): error is not one 'ocirt: create ID: ...' line: ${err:0:300}" >>"$PROBLEMS"
      ;;
    *) echo "$k ($what): exit status $rc (crash or hang): ${err:0:300}" >>"$PROBLEMS" ;;
  esac
  # nothing left: state folder, cgroups, mounts under the bundle
  [ ! -e "$ROOT/$id" ] || echo "$k ($what): state folder left" >>"$PROBLEMS"
  compgen -G "/sys/fs/cgroup/*/ocirt/$id" >/dev/null && echo "$k ($what): cgroup left" >>"$PROBLEMS"
  grep -qF " $b" /proc/self/mountinfo && echo "$k ($what): mount left" >>"$PROBLEMS"
  rm -rf "$b"
}

@test "hostile: hundreds of generated bad configs each fail clearly or run safely, and leave nothing" {
  make_bundle 'true'
  local target=$BATS_TEST_TMPDIR/target
  mkdir -p "$target"
  echo untouched >"$target/sentinel"
  WORK=$BATS_TEST_TMPDIR/work PROBLEMS=$BATS_TEST_TMPDIR/problems ACCEPTED=$BATS_TEST_TMPDIR/accepted RFS=$BUNDLE/rootfs
  mkdir -p "$WORK"
  : >"$PROBLEMS"
  : >"$ACCEPTED"
  local n
  n=$(timeout 600 "$(repo)/tests/hostile/gen.sh" "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/cases" "$target")
  [ "$n" -ge 300 ] || fail "the generator made only $n cases"
  export OCIRT ROOT ID WORK PROBLEMS ACCEPTED RFS
  export -f try_one
  find "$BATS_TEST_TMPDIR/cases" -name '*.json' -print0 | sort -z |
    timeout -k 10 900 xargs -0 -P 4 -n 1 bash -c 'try_one "$0"' || fail "the workers did not finish"
  [ ! -s "$PROBLEMS" ] || fail "$(wc -l <"$PROBLEMS") of $n hostile configs misbehaved:" "$(head -n 40 "$PROBLEMS")"
  # the traversals' target: unchanged, nothing mounted on or in it
  [ "$(cat "$target/sentinel")" = untouched ] && [ "$(ls "$target")" = sentinel ] || fail "the target was touched: $(ls -la "$target")"
  ! grep -qF " $target" /proc/self/mountinfo || fail "a mount landed on the target"
  run --separate-stderr ocirt list -q
  [ -z "$output" ] || fail "containers left: $output"
  echo "# $n hostile configs: $(wc -l <"$ACCEPTED") ran safely, the rest refused in one line" >&3
}

# farm_case LINK-SETUP MOUNT-DESTINATION: a rootfs whose LINK-SETUP (run in the rootfs) plants
# symlinks, and a tmpfs mount through them: the mount must land inside the rootfs or be refused.
farm_case() {
  make_bundle 'true'
  (cd "$BUNDLE/rootfs" && eval "$1")
  set_config --arg d "$2" '.mounts += [{"destination": $d, "type": "tmpfs", "source": "tmpfs"}]'
  create_container "$ID"
  if [ "$status" -eq 0 ]; then
    ocirt delete --force "$ID"
  else
    expect_error "create $ID"
  fi
  assert_no_leaks "$ID"
  [ "$(cat "$BATS_TEST_TMPDIR/target/sentinel")" = untouched ] && [ "$(ls "$BATS_TEST_TMPDIR/target")" = sentinel ] ||
    fail "the host target was touched"
  ! grep -qF " $BATS_TEST_TMPDIR/target" /proc/self/mountinfo || fail "a mount landed on the host target"
}

@test "hostile: symlink farms in the rootfs cannot send a mount outside it" {
  mkdir -p "$BATS_TEST_TMPDIR/target"
  echo untouched >"$BATS_TEST_TMPDIR/target/sentinel"
  local t=$BATS_TEST_TMPDIR/target up=../../../../../../../../../../..
  farm_case "ln -s $t escape-abs" /escape-abs
  farm_case "ln -s $up$t escape-rel" /escape-rel/x
  farm_case "ln -s loop-b loop-a; ln -s loop-a loop-b" /loop-a/x
  farm_case 'mkdir -p chain; for i in $(seq 1 60); do ln -s "c$((i + 1))" "chain/c$i"; done; ln -s '"$up$t"' chain/c61' /chain/c1/x
  farm_case "mkdir -p deep; ln -s $up deep/up; ln -s deep/up/$t farm" /farm
  farm_case "rm -rf tmp; ln -s $up$t tmp" /tmp
  farm_case 'for i in $(seq 1 500); do ln -s "../f$((i % 50))" "l$i"; done' /l7/x
  farm_case "ln -s /proc/self/root procroot" /procroot$t
}
