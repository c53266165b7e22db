#!/usr/bin/env bats
# A hostile rootfs: symlinks and `..` in it must never send a mount, a mask, a read-only bind or a
# device node onto the host.  Everything is resolved inside the rootfs (openat2 RESOLVE_IN_ROOT), so
# each lands where the container itself would find the path: inside the rootfs.

load helpers

# The host's mount points, sorted (checked before and after).
host_mounts() { awk '{print $5}' /proc/self/mountinfo | sort; }

@test "mount destinations through symlinks to /, /etc, .., ../.., a host path, a dangling path: all inside the rootfs" {
  local host=$BATS_TEST_TMPDIR/hostdir dangling=/tmp/ocirt-escape-$ID
  mkdir -p "$host"
  make_bundle "awk '{print \$5}' /proc/self/mountinfo"
  local r=$BUNDLE/rootfs
  ln -s / "$r/to-root"
  ln -s /etc "$r/to-etc"
  ln -s .. "$r/up"
  ln -s ../.. "$r/etc/upup"
  ln -s "$host" "$r/to-host"
  ln -s "$dangling/new" "$r/dangling"
  ln -s ../../../../../../../../etc "$r/etc/far-up"
  local t='"type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]'
  set_config ".mounts += [
    {\"destination\": \"/to-root/m1\", $t},
    {\"destination\": \"/to-etc/m2\", $t},
    {\"destination\": \"/up/m3\", $t},
    {\"destination\": \"/etc/upup/m4\", $t},
    {\"destination\": \"/to-host/m5\", $t},
    {\"destination\": \"/dangling/m6\", $t},
    {\"destination\": \"/etc/far-up/m7\", $t},
    {\"destination\": \"/to-etc\", $t},
    {\"destination\": \"/../../../m8\", $t}]"
  local before
  before=$(host_mounts)
  create_ok "$ID"
  # created: every mount made, none of them on the host
  [ "$(host_mounts)" = "$before" ] || fail "the host's mount table changed:" "$(diff <(echo "$before") <(host_mounts))"
  local p
  for p in /m1 /etc/m2 /m3 /m4 /m7 /m8 "$host/m5" "$dangling"; do
    [ ! -e "$p" ] || fail "$p was made on the host"
  done
  # ... and where the container sees them
  local pid
  pid=$(state_field "$ID" pid)
  local inside
  inside=$(awk '{print $5}' "/proc/$pid/mountinfo")
  for p in /m1 /etc/m2 /m3 /m4 "$host/m5" "$dangling/new/m6" /etc/m7 /etc /m8; do
    grep -qxF -- "$p" <<<"$inside" || fail "no mount on $p inside the container:" "$inside"
  done
  # the folders were made in the rootfs
  for p in m1 m3 m4 m8 "${host#/}/m5" "${dangling#/}/new/m6"; do
    [ -d "$r/$p" ] || fail "$r/$p was not made in the rootfs"
  done
  run --separate-stderr ocirt delete --force "$ID"
  expect_status 0
  [ "$(host_mounts)" = "$before" ]
}

@test "a bind mount of a file through a symlink to a host file lands in the rootfs" {
  echo secret-of-the-host >"$BATS_TEST_TMPDIR/host-file"
  echo bound >"$BATS_TEST_TMPDIR/src-file"
  make_bundle 'cat /link; cat '"$BATS_TEST_TMPDIR/host-file"
  ln -s "$BATS_TEST_TMPDIR/host-file" "$BUNDLE/rootfs/link"
  set_config --arg s "$BATS_TEST_TMPDIR/src-file" '.mounts += [{"destination": "/link", "type": "bind", "source": $s, "options": ["bind"]}]'
  run_fg "$ID"
  expect_status 0
  [ "${lines[0]}" = bound ]
  [ "${lines[1]}" = bound ]
  [ "$(cat "$BATS_TEST_TMPDIR/host-file")" = secret-of-the-host ]
  [ -f "$BUNDLE/rootfs$BATS_TEST_TMPDIR/host-file" ]
}

@test "proc and sysfs refuse a destination that is a symlink" {
  make_bundle 'true'
  rmdir "$BUNDLE/rootfs/proc"
  ln -s /tmp "$BUNDLE/rootfs/proc"
  create_container "$ID"
  expect_error /proc symlink
  assert_no_leaks "$ID"
}

@test "masked and read-only paths that are symlinks out of the rootfs act inside it" {
  local host=$BATS_TEST_TMPDIR/hostdir
  mkdir -p "$host/dir"
  echo host-secret >"$host/secret"
  make_bundle 'echo "[$(cat /data/secret)] [$(ls /data/dir)]"; touch /data/dir/x 2>/dev/null && echo dir-writable;
    touch /ro/y 2>/dev/null && echo ro-writable; touch '"$host"'/z 2>/dev/null && echo ro-host-writable; echo end'
  local r=$BUNDLE/rootfs
  mkdir -p "$r/data/dir" "$r/rodata" "$r$host"
  echo rootfs-secret >"$r/data/secret"
  touch "$r/data/dir/file"
  # relative links climbing far above the rootfs, an absolute link to a host folder
  ln -s ../../../../../../data/secret "$r/etc/mask-file"
  ln -s /data/dir "$r/mask-dir"
  ln -s "$host/secret" "$r/mask-host"
  ln -s ../../../../rodata "$r/ro"
  ln -s "$host" "$r/ro-host"
  set_config '.linux.maskedPaths += ["/etc/mask-file", "/mask-dir", "/mask-host"] |
              .linux.readonlyPaths += ["/ro", "/ro-host"]'
  local before
  before=$(host_mounts)
  run_fg "$ID"
  expect_status 0
  [ "$output" = "[] []
end" ] || fail "the masks or the read-only binds did not hold inside:" "$output"
  [ "$(host_mounts)" = "$before" ]
  [ "$(cat "$host/secret")" = host-secret ]
  touch "$host/dir/still-writable"
  [ "$(cat "$r/data/secret")" = rootfs-secret ]
}

@test "linux.devices under a /dev folder that is a symlink out of the rootfs: made inside it" {
  local host=$BATS_TEST_TMPDIR/hostdev
  mkdir -p "$host"
  make_bundle 'ls -l /dev/sub/mydev /dev/up/mydev2 | cut -c1'
  # /dev of the image itself (no tmpfs), with symlinks to a host folder and up out of the rootfs
  set_config 'del(.mounts[] | select(.destination == "/dev"))'
  local r=$BUNDLE/rootfs
  ln -s "$host" "$r/dev/sub"
  ln -s ../../../../.. "$r/dev/up"
  set_config '.linux.devices = [{"path": "/dev/sub/mydev", "type": "c", "major": 1, "minor": 3},
                                {"path": "/dev/up/mydev2", "type": "p"}]'
  run_fg "$ID"
  expect_status 0
  [ "$output" = "c
p" ] || fail "inside: $output"
  [ -z "$(ls -A "$host")" ] || fail "a device node was made on the host: $(ls -A "$host")"
  [ ! -e "$BATS_TEST_TMPDIR/../../../../mydev2" ] && [ ! -e /mydev2 ]
  [ -c "$r$host/mydev" ] && [ -p "$r/mydev2" ] || fail "the nodes are not where the container sees them"
}
