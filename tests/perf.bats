#!/usr/bin/env bats
# What ocirt does to start fast (issue 10), each checked for staying correct: the cache of compiled
# seccomp filters, and the re-exec from a sealed memfd staying the one defence against CVE-2019-5736.

load helpers

CACHE() { echo "$ROOT/.seccomp@cache"; }

# A profile that allows everything but the named syscalls (EPERM)
deny() {
  local names
  names=$(printf '"%s",' "$@")
  set_config --argjson n "[${names%,}]" \
    '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: $n, action: "SCMP_ACT_ERRNO"}]}'
}

# run the bundle's program; it reports what mkdir and chmod did
probe() {
  rm -f "$BUNDLE/rootfs/report"
  run_fg "$ID-$1"
  expect_status 0
  cat "$BUNDLE/rootfs/report"
}

cache_files() { find "$(CACHE)" -type f | sort; }

@test "seccomp: a compiled filter is cached in the state root, reused, and a changed profile compiled anew" {
  make_bundle 'r=; mkdir /d 2>/dev/null && r=mkdir-ok || r=mkdir-denied; chmod 700 /tmp 2>/dev/null && r="$r chmod-ok" || r="$r chmod-denied"; echo $r >/report'
  deny mkdir mkdirat
  [ "$(probe 1)" = "mkdir-denied chmod-ok" ] || fail "first run: $(cat "$BUNDLE/rootfs/report")"
  [ "$(cache_files | wc -l)" -eq 1 ] || fail "cache: $(ls -la "$(CACHE)")"
  local first
  first=$(cache_files)
  [ "$(stat -c %a "$(CACHE)")" = 700 ] && [ "$(stat -c %a "$first")" = 600 ] || fail "cache modes: $(ls -la "$(CACHE)")"
  # ocirt list does not take the cache folder for a container
  run --separate-stderr ocirt list -q
  expect_status 0
  [ -z "$output" ] || fail "list: $output"

  # the same profile: read back (no new file), and the filter is the same
  rmdir "$BUNDLE/rootfs/d" 2>/dev/null || true
  local mtime
  mtime=$(stat -c %Y.%i "$first")
  [ "$(probe 2)" = "mkdir-denied chmod-ok" ] || fail "second run: $(cat "$BUNDLE/rootfs/report")"
  [ "$(cache_files)" = "$first" ] && [ "$(stat -c %Y.%i "$first")" = "$mtime" ] || fail "the cache was not reused"

  # another profile: its own entry, its own filter
  deny chmod fchmod fchmodat
  [ "$(probe 3)" = "mkdir-ok chmod-denied" ] || fail "changed profile: $(cat "$BUNDLE/rootfs/report")"
  [ "$(cache_files | wc -l)" -eq 2 ] || fail "cache: $(ls -la "$(CACHE)")"
}

@test "seccomp: a cache entry that is not exactly this profile's, or that others could write, is not used" {
  make_bundle 'r=; mkdir /d 2>/dev/null && r=mkdir-ok || r=mkdir-denied; rmdir /d 2>/dev/null; chmod 700 /tmp 2>/dev/null && r="$r chmod-ok" || r="$r chmod-denied"; echo $r >/report'
  deny chmod fchmod fchmodat
  probe 1 >/dev/null
  local other mine
  other=$(cache_files)
  deny mkdir mkdirat
  probe 2 >/dev/null
  mine=$(cache_files | grep -vx "$other")
  [ -f "$mine" ] || fail "no cache entry for the second profile"

  # the other profile's filter under this profile's name: the key inside differs, so it is compiled
  # again (without the key check this container could mkdir and not chmod)
  cp "$other" "$mine"
  [ "$(probe 3)" = "mkdir-denied chmod-ok" ] || fail "a wrong cache entry was used: $(cat "$BUNDLE/rootfs/report")"
  cmp -s "$other" "$mine" && fail "the wrong entry was not replaced"

  # this profile's key with the other profile's program: used when only root may write it (which
  # shows the forgery works), not when group or others may
  python3 - "$mine" "$other" "$BATS_TEST_TMPDIR/forged" <<'PY'
import struct, sys
def split(path):
    b = open(path, "rb").read()
    klen = struct.unpack_from("<I", b, 16)[0]
    return b[:16 + 4 + klen + 9], b[16 + 4 + klen + 9:]
head, _ = split(sys.argv[1])
_, prog = split(sys.argv[2])
open(sys.argv[3], "wb").write(head + prog)
PY
  cp "$mine" "$BATS_TEST_TMPDIR/good"
  install -m 600 "$BATS_TEST_TMPDIR/forged" "$mine"
  [ "$(probe 4)" = "mkdir-ok chmod-denied" ] || fail "the forged entry was not read: $(cat "$BUNDLE/rootfs/report")"
  install -m 666 "$BATS_TEST_TMPDIR/forged" "$mine"
  [ "$(probe 5)" = "mkdir-denied chmod-ok" ] || fail "a writable cache entry was used: $(cat "$BUNDLE/rootfs/report")"
  [ "$(stat -c %a "$mine")" = 600 ] && cmp -s "$BATS_TEST_TMPDIR/good" "$mine" || fail "the entry was not rewritten"

  # garbage and a truncated entry: compiled again
  head -c 100 "$BATS_TEST_TMPDIR/good" >"$mine"
  [ "$(probe 6)" = "mkdir-denied chmod-ok" ] || fail "a truncated cache entry: $(cat "$BUNDLE/rootfs/report")"
  cmp -s "$BATS_TEST_TMPDIR/good" "$mine" || fail "the truncated entry was not rewritten"
}

@test "seccomp: a profile error is reported even when a cache folder exists, and nothing is cached for it" {
  make_bundle true
  deny mkdir
  run_fg "$ID-1"
  expect_status 0
  set_config '.linux.seccomp.syscalls[0].action = "SCMP_ACT_BOGUS"'
  run_fg "$ID-2"
  [ "$status" -ne 0 ] || fail "a bad action was accepted"
  [[ $stderr == *'.linux.seccomp.syscalls[0].action'* ]] || fail "the error does not name the field: $stderr"
  [ "$(cache_files | wc -l)" -eq 1 ] || fail "cache: $(ls -la "$(CACHE)")"
}
