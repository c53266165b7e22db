#!/usr/bin/env bats
# The rootfs and the `mounts` list: flags, recursive flags, propagation, tmpfs, proc, sysfs, devpts,
# mqueue, cgroup, bind mounts of folders and files, root.readonly, rootfsPropagation, and the errors.
# Every test reads the effect from inside the container (/proc/self/mountinfo, writes that must
# fail) and, where it matters, from the host.

load helpers

# In the container's shell: the mountinfo line of mount point $1 (the last one: the top mount).
MI='mi() { awk -v d="$1" '\''$5 == d'\'' /proc/self/mountinfo | tail -n 1; };'
# ... and its per-mount options (field 6) with a comma on each side, for *",ro,"* matches.
OPTS='opts() { echo ",$(mi "$1" | cut -d" " -f6),"; };'

# add_mount JSON: append one entry to .mounts.
add_mount() { set_config --argjson m "$1" '.mounts += [$m]'; }

# The mount points of the host (field 5 of its mountinfo), sorted.
host_mounts() { awk '{print $5}' /proc/self/mountinfo | sort; }

# A host tmpfs at $1 made shared, as the source of propagation tests.
shared_tmpfs() {
  mkdir -p "$1"
  mount -t tmpfs -o size=1m ocirt-test "$1"
  mount --make-shared "$1"
}

# Mount points under this test's folder, deepest first, unmounted (a test's own clean-up).
umount_test_mounts() {
  awk -v t="$BATS_TEST_TMPDIR" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m"; done
}

@test "bind: ro, nosuid, nodev, noexec, noatime, nodiratime are the mount's options and hold" {
  mkdir -p "$BATS_TEST_TMPDIR/src"
  cp /bin/busybox "$BATS_TEST_TMPDIR/src/bb"
  make_bundle "$MI$OPTS"'opts /m; touch /m/new 2>/dev/null && echo writable; /m/bb true 2>/dev/null && echo exec; echo end'
  add_mount '{"destination": "/m", "type": "bind", "source": "'"$BATS_TEST_TMPDIR/src"'",
              "options": ["bind", "ro", "nosuid", "nodev", "noexec", "noatime", "nodiratime"]}'
  local before
  before=$(host_mounts)
  run_fg "$ID"
  expect_status 0
  local o
  for o in ro nosuid nodev noexec noatime nodiratime; do
    [[ ${lines[0]} == *",$o,"* ]] || fail "no $o in ${lines[0]}"
  done
  [ "${lines[1]}" = end ] || fail "the read-only, noexec bind let a write or an exec through:" "$output"
  [ ! -e "$BATS_TEST_TMPDIR/src/new" ]
  [ "$(host_mounts)" = "$before" ] || fail "the host's mount table changed"
}

@test "bind: rw, suid, dev, exec undo ro, nosuid, nodev, noexec given before them" {
  mkdir -p "$BATS_TEST_TMPDIR/src"
  make_bundle "$MI$OPTS"'opts /m; touch /m/new && echo wrote'
  add_mount '{"destination": "/m", "type": "bind", "source": "'"$BATS_TEST_TMPDIR/src"'",
              "options": ["rbind", "ro", "nosuid", "nodev", "noexec", "rw", "suid", "dev", "exec"]}'
  run_fg "$ID"
  expect_status 0
  local o
  for o in ro nosuid nodev noexec; do
    [[ ${lines[0]} != *",$o,"* ]] || fail "$o is still set: ${lines[0]}"
  done
  [[ ${lines[0]} == *",rw,"* ]]
  [ "${lines[1]}" = wrote ]
  [ -e "$BATS_TEST_TMPDIR/src/new" ]
}

@test "bind: relatime, noatime, strictatime choose the atime mode" {
  mkdir -p "$BATS_TEST_TMPDIR/src"
  make_bundle "$MI$OPTS"'opts /a; opts /b; opts /c'
  add_mount '{"destination": "/a", "type": "bind", "source": "'"$BATS_TEST_TMPDIR/src"'", "options": ["bind", "noatime", "relatime"]}'
  add_mount '{"destination": "/b", "type": "bind", "source": "'"$BATS_TEST_TMPDIR/src"'", "options": ["bind", "noatime"]}'
  add_mount '{"destination": "/c", "type": "bind", "source": "'"$BATS_TEST_TMPDIR/src"'", "options": ["bind", "strictatime"]}'
  run_fg "$ID"
  expect_status 0
  [[ ${lines[0]} == *",relatime,"* && ${lines[0]} != *noatime* ]] || fail "/a: ${lines[0]}"
  [[ ${lines[1]} == *",noatime,"* && ${lines[1]} != *relatime* ]] || fail "/b: ${lines[1]}"
  [[ ${lines[2]} != *relatime* && ${lines[2]} != *noatime* ]] || fail "/c (strictatime): ${lines[2]}"
}

@test "bind vs rbind: only rbind brings the submounts; ro is the top mount's, rro every mount's" {
  local src=$BATS_TEST_TMPDIR/src
  mkdir -p "$src/sub"
  mount -t tmpfs -o size=1m ocirt-test "$src/sub"
  touch "$src/sub/in-submount"
  make_bundle "$MI$OPTS"'ls /b/sub; echo -; ls /r/sub; opts /r; opts /r/sub; opts /rr; opts /rr/sub;
    touch /r/sub/x 2>/dev/null && echo r-sub-writable; touch /rr/sub/y 2>/dev/null && echo rr-sub-writable; echo end'
  add_mount '{"destination": "/b", "type": "bind", "source": "'"$src"'", "options": ["bind"]}'
  add_mount '{"destination": "/r", "type": "bind", "source": "'"$src"'", "options": ["rbind", "ro"]}'
  add_mount '{"destination": "/rr", "type": "bind", "source": "'"$src"'", "options": ["rbind", "rro", "rnosuid"]}'
  run_fg "$ID"
  umount "$src/sub"
  expect_status 0
  [ "${lines[0]}" = - ] || fail "bind (not recursive) showed the submount:" "$output"
  [ "${lines[1]}" = in-submount ]
  [[ ${lines[2]} == *",ro,"* ]] || fail "/r: ${lines[2]}"
  [[ ${lines[3]} == *",rw,"* ]] || fail "/r/sub should stay rw with plain ro: ${lines[3]}"
  [[ ${lines[4]} == *",ro,"*nosuid* ]] || fail "/rr: ${lines[4]}"
  [[ ${lines[5]} == *",ro,"*nosuid* ]] || fail "/rr/sub: rro/rnosuid must reach the submount: ${lines[5]}"
  [ "${lines[6]}" = r-sub-writable ]
  [ "${lines[7]}" = end ] || fail "rro let a write through:" "$output"
}

@test "bind: private, shared, slave, unbindable (and the r forms) set the propagation" {
  local src=$BATS_TEST_TMPDIR/src
  shared_tmpfs "$src"
  make_bundle "$MI"'for d in /def /priv /rpriv /sh /rsh /sl /rsl /unb /runb; do echo "$d $(mi $d | cut -d" " -f7- | sed "s/ - .*//")"; done'
  local d p
  add_mount '{"destination": "/def", "type": "bind", "source": "'"$src"'", "options": ["rbind"]}'
  for d in priv:private rpriv:rprivate sh:shared rsh:rshared sl:slave rsl:rslave unb:unbindable runb:runbindable; do
    add_mount '{"destination": "/'"${d%%:*}"'", "type": "bind", "source": "'"$src"'", "options": ["rbind", "'"${d#*:}"'"]}'
  done
  run_fg "$ID"
  umount_test_mounts
  expect_status 0
  declare -A got
  local line
  for line in "${lines[@]}"; do got[${line%% *}]=" ${line#* } "; done
  # The host's / was made rslave in the container's namespace: a bind of a shared host mount is a slave.
  [[ ${got[/def]} == *" master:"* && ${got[/def]} != *" shared:"* ]] || fail "default: ${got[/def]}"
  for d in /priv /rpriv; do
    [[ ${got[$d]} != *master:* && ${got[$d]} != *shared:* ]] || fail "$d: ${got[$d]}"
  done
  for d in /sh /rsh; do
    [[ ${got[$d]} == *" shared:"* ]] || fail "$d: ${got[$d]}"
  done
  for d in /sl /rsl; do
    [[ ${got[$d]} == *" master:"* && ${got[$d]} != *" shared:"* ]] || fail "$d: ${got[$d]}"
  done
  for d in /unb /runb; do
    [[ ${got[$d]} == *" unbindable "* ]] || fail "$d: ${got[$d]}"
  done
}

@test "bind propagation: a host mount reaches a slave bind, not a private one" {
  local src=$BATS_TEST_TMPDIR/src
  shared_tmpfs "$src"
  mkdir -p "$src/later"
  make_bundle 'while [ ! -e /slave/later/mark ] && [ ! -e /stop ]; do sleep 0.1; done; ls /slave/later /priv/later >/out; touch /done; sleep 1000'
  add_mount '{"destination": "/slave", "type": "bind", "source": "'"$src"'", "options": ["rbind", "rslave"]}'
  add_mount '{"destination": "/priv", "type": "bind", "source": "'"$src"'", "options": ["rbind", "rprivate"]}'
  run_detached "$ID"
  expect_status 0
  mkdir -p "$BATS_TEST_TMPDIR/later-src"
  touch "$BATS_TEST_TMPDIR/later-src/mark"
  mount --bind "$BATS_TEST_TMPDIR/later-src" "$src/later"
  wait_for_file "$BUNDLE/rootfs/done" 10 || touch "$BUNDLE/rootfs/stop"
  run --separate-stderr ocirt delete --force "$ID"
  umount_test_mounts
  [ -e "$BUNDLE/rootfs/done" ]
  # ls: "/priv/later:" (empty), then "/slave/later:" and the file the host mounted there
  [ "$(grep -v '^$' "$BUNDLE/rootfs/out" | tr '\n' ' ')" = "/priv/later: /slave/later: mark " ] ||
    fail "ls inside:" "$(cat "$BUNDLE/rootfs/out")"
}

@test "bind of a file: the destination file is created, folders on the way too" {
  echo "from the host" >"$BATS_TEST_TMPDIR/host-file"
  make_bundle "$MI$OPTS"'cat /new/dir/file; opts /new/dir/file; echo x >/new/dir/file 2>/dev/null || echo refused'
  add_mount '{"destination": "/new/dir/file", "type": "bind", "source": "'"$BATS_TEST_TMPDIR/host-file"'", "options": ["bind", "ro"]}'
  run_fg "$ID"
  expect_status 0
  [ "${lines[0]}" = "from the host" ]
  [[ ${lines[1]} == *",ro,"* ]]
  [ "${lines[2]}" = refused ]
  [ -f "$BUNDLE/rootfs/new/dir/file" ] && [ ! -s "$BUNDLE/rootfs/new/dir/file" ] || fail "no empty file made in the rootfs"
  [ "$(cat "$BATS_TEST_TMPDIR/host-file")" = "from the host" ]
}

@test "bind: a relative source is relative to the bundle" {
  make_bundle "cat /m/hello"
  mkdir -p "$BUNDLE/data"
  echo bundle-data >"$BUNDLE/data/hello"
  add_mount '{"destination": "/m", "type": "bind", "source": "data", "options": ["rbind"]}'
  cd "$BATS_TEST_TMPDIR"
  run_fg "$ID"
  expect_status 0
  [ "$output" = bundle-data ]
}

@test "tmpfs: size, mode, sync, dirsync, nosuid reach the kernel" {
  make_bundle "$MI"'mi /t | sed "s/.* - //"; mi /t | cut -d" " -f6; stat -c %a /t'
  add_mount '{"destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "size=2m", "mode=1750", "sync", "dirsync"]}'
  run_fg "$ID"
  expect_status 0
  [[ ${lines[0]} == "tmpfs tmpfs "*sync,dirsync*size=2048k*mode=1750* ]] || fail "super options: ${lines[0]}"
  [[ ${lines[1]} == *nosuid* ]]
  [ "${lines[2]}" = 1750 ]
}

@test "proc, sysfs (ro), devpts (newinstance, ptmxmode, mode, gid), mqueue, shm as the default config mounts them" {
  make_bundle "$MI"'for d in /proc /sys /dev/pts /dev/mqueue /dev/shm; do mi $d | awk -F" - " "{split(\$1, f, \" \"); print f[5], f[6], \$2}"; done;
    echo x >/sys/kernel/x 2>/dev/null || echo sys-ro; ls /dev/pts/ptmx; stat -c %a /dev/shm'
  run_fg "$ID"
  expect_status 0
  [[ ${lines[0]} == "/proc rw,"*" proc proc rw" ]] || fail "${lines[0]}"
  [[ ${lines[1]} == "/sys ro,nosuid,nodev,noexec"*" sysfs sysfs ro" ]] || fail "${lines[1]}"
  [[ ${lines[2]} == "/dev/pts rw,nosuid,noexec"*" devpts devpts "* ]] || fail "${lines[2]}"
  local o
  for o in gid=5 mode=620 ptmxmode=666; do
    [[ ${lines[2]} == *"$o"* ]] || fail "devpts without $o: ${lines[2]}"
  done
  [[ ${lines[3]} == "/dev/mqueue rw,nosuid,nodev,noexec"*" mqueue mqueue rw" ]] || fail "${lines[3]}"
  [[ ${lines[4]} == "/dev/shm rw,nosuid,nodev,noexec"*" tmpfs shm "*"size=65536k"* ]] || fail "${lines[4]}"
  [ "${lines[5]}" = sys-ro ]
  [ "${lines[6]}" = /dev/pts/ptmx ]
  [ "${lines[7]}" = 1777 ]
}

@test "devpts newinstance: the container's ptys are its own" {
  make_bundle 'ls /dev/pts | sort | tr "\n" " "'
  run_fg "$ID"
  expect_status 0
  [ "$output" = "ptmx " ] || fail "the container sees the host's ptys: $output"
}

@test "cgroup mount: read-only, the container's own cgroup in each v1 hierarchy" {
  make_bundle "$MI$OPTS"'opts /sys/fs/cgroup; opts /sys/fs/cgroup/memory; cat /sys/fs/cgroup/memory/cgroup.procs | head -n 1;
    cat /sys/fs/cgroup/pids/cgroup.procs | head -n 1; echo 1 >/sys/fs/cgroup/pids/pids.max 2>/dev/null || echo refused'
  run_fg "$ID"
  expect_status 0
  [[ ${lines[0]} == *",ro,"* ]] || fail "/sys/fs/cgroup: ${lines[0]}"
  [[ ${lines[1]} == *",ro,"*nosuid*nodev*noexec* ]] || fail "memory: ${lines[1]}"
  # pid 1 of the container: its cgroup's folder, not the host's root cgroup
  [ "${lines[2]}" = 1 ]
  [ "${lines[3]}" = 1 ]
  [ "${lines[4]}" = refused ]
}

@test "root.readonly: / is mounted ro, writes fail, the container's own mounts stay writable" {
  make_bundle "$MI$OPTS"'opts /; touch /x 2>/dev/null && echo root-writable; touch /dev/shm/y && echo shm-ok'
  set_config '.root.readonly = true'
  run_fg "$ID"
  expect_status 0
  [[ ${lines[0]} == *",ro,"* ]] || fail "/: ${lines[0]}"
  [ "${lines[1]}" = shm-ok ] || fail "$output"
  [ ! -e "$BUNDLE/rootfs/x" ]
}

@test "rootfsPropagation: the container's / gets it" {
  make_bundle "$MI"'mi / | cut -d" " -f7- | sed "s/ - .*//"'
  set_config '.linux.rootfsPropagation = "rshared"'
  run_fg "$ID"
  expect_status 0
  [[ " $output " == *" shared:"* ]] || fail "rshared: $output"
  make_bundle "$MI"'mi / | cut -d" " -f7- | sed "s/ - .*//"'
  set_config '.linux.rootfsPropagation = "unbindable"'
  run_fg "$ID-2"
  expect_status 0
  [[ " $output " == *" unbindable "* ]] || fail "unbindable: $output"
}

@test "rootfsPropagation rshared + an rshared bind: a mount made inside reaches the host; without it, not" {
  local src=$BATS_TEST_TMPDIR/src
  shared_tmpfs "$src"
  mkdir -p "$src/a" "$src/b"
  # a privileged container: CAP_SYS_ADMIN, and no seccomp profile (the default one refuses mount)
  local caps='del(.linux.seccomp) | .process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])'
  make_bundle 'mount -t tmpfs -o size=1m inside /vol/a && touch /vol/a/made-inside && echo mounted'
  add_mount '{"destination": "/vol", "type": "bind", "source": "'"$src"'", "options": ["rbind", "rshared"]}'
  set_config "$caps"
  set_config '.linux.rootfsPropagation = "rshared"'
  run_fg "$ID"
  local bidirectional=no
  [ -e "$src/a/made-inside" ] && bidirectional=yes
  umount "$src/a" 2>/dev/null || true
  expect_status 0
  [ "$output" = mounted ]
  [ "$bidirectional" = yes ] || fail "the mount made inside did not reach the host"

  # the default (rslave): the same mount stays in the container
  make_bundle 'mount -t tmpfs -o size=1m inside /vol/b && touch /vol/b/made-inside && echo mounted'
  add_mount '{"destination": "/vol", "type": "bind", "source": "'"$src"'", "options": ["rbind", "rshared"]}'
  set_config "$caps"
  run_fg "$ID-2"
  local leaked=no
  [ -e "$src/b/made-inside" ] && leaked=yes
  umount_test_mounts
  expect_status 0
  [ "$output" = mounted ]
  [ "$leaked" = no ] || fail "with rslave, a mount made inside reached the host"
}

@test "unknown option of a bind mount: error names .mounts[i].options[j], nothing left behind" {
  make_bundle 'true'
  local n
  n=$(jq '.mounts | length' "$BUNDLE/config.json")
  add_mount '{"destination": "/m", "type": "bind", "source": "/tmp", "options": ["rbind", "ro", "size=1m"]}'
  create_container "$ID"
  expect_error ".mounts[$n].options[2]" '"size=1m"' 'bind'
  assert_no_leaks "$ID"
}

@test "data the kernel refuses: error names .mounts[i].options and the data, nothing left behind" {
  make_bundle 'true'
  local n
  n=$(jq '.mounts | length' "$BUNDLE/config.json")
  add_mount '{"destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "size=bogus"]}'
  create_container "$ID"
  expect_error ".mounts[$n].options" 'size=bogus' '/t' 'Invalid argument'
  assert_no_leaks "$ID"
}

@test "unknown rootfsPropagation is refused" {
  make_bundle 'true'
  set_config '.linux.rootfsPropagation = "sideways"'
  create_container "$ID"
  expect_error .linux.rootfsPropagation sideways
  assert_no_leaks "$ID"
}

@test "mounts are made in the order of the list" {
  mkdir -p "$BATS_TEST_TMPDIR/src"
  echo below >"$BATS_TEST_TMPDIR/src/f"
  make_bundle 'cat /m/f 2>/dev/null || echo covered; ls /m/t'
  add_mount '{"destination": "/m", "type": "bind", "source": "'"$BATS_TEST_TMPDIR/src"'", "options": ["rbind"]}'
  add_mount '{"destination": "/m", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}'
  add_mount '{"destination": "/m/t", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}'
  run_fg "$ID"
  expect_status 0
  [ "${lines[0]}" = covered ]
  [ ! -e "$BATS_TEST_TMPDIR/src/t" ] || fail "/m/t was made in the bind source, below the tmpfs"
}

# ---- tmpcopyup -------------------------------------------------------------------------------------

# add_tmpfs DEST OPTION...: a tmpfs mount at DEST with these options (JSON strings).
add_tmpfs() {
  local dest=$1 o
  shift
  local opts='"size=4m"'
  for o in "$@"; do opts="$opts, \"$o\""; done
  add_mount '{"destination": "'"$dest"'", "type": "tmpfs", "source": "tmpfs", "options": ['"$opts"']}'
}

@test "tmpfs tmpcopyup: files, folders, symlinks, modes, owners and times of what it hides; writable; the rootfs untouched" {
  make_bundle "$MI"'stat -c "%n %a %u %g" /data /data/d /data/d/f /data/d/l /data/sub/deep/x; cat /data/d/f;
    readlink /data/d/l; stat -c %Y /data/d/f; cat /data/sub/deep/x; mi /data | sed "s/.* - //" | cut -d" " -f1;
    echo changed >/data/sub/deep/x && touch /data/sub/new && echo wrote'
  local r=$BUNDLE/rootfs/data
  mkdir -p "$r/d" "$r/sub/deep"
  echo hello >"$r/d/f"
  echo deep >"$r/sub/deep/x"
  ln -s f "$r/d/l"
  chown 42:43 "$r/d/f"
  chmod 604 "$r/d/f"
  touch -d @1000000000 "$r/d/f"
  chown 1234:5678 "$r/d"
  chmod 751 "$r/d"
  chown 7:8 "$r"
  chmod 711 "$r"
  add_tmpfs /data tmpcopyup
  run_fg "$ID"
  expect_status 0
  [ "${lines[0]}" = "/data 711 7 8" ] || fail "the tmpfs root: ${lines[0]}" "$output"
  [ "${lines[1]}" = "/data/d 751 1234 5678" ] || fail "$output"
  [ "${lines[2]}" = "/data/d/f 604 42 43" ] || fail "$output"
  [[ ${lines[3]} == "/data/d/l 777 0 0" ]] || fail "$output"
  [ "${lines[4]}" = "/data/sub/deep/x 644 0 0" ] || fail "$output"
  [ "${lines[5]}" = hello ]
  [ "${lines[6]}" = f ] || fail "the symlink: $output"
  [ "${lines[7]}" = 1000000000 ] || fail "mtime: $output"
  [ "${lines[8]}" = deep ]
  [ "${lines[9]}" = tmpfs ] || fail "/data is no tmpfs: $output"
  [ "${lines[10]}" = wrote ] || fail "the tmpfs is not writable: $output"
  # the image's folder, hidden under the tmpfs, is as it was
  [ "$(cat "$r/sub/deep/x")" = deep ] && [ ! -e "$r/sub/new" ] || fail "the rootfs's /data changed"
  [ "$(stat -c '%a %u %g' "$r/d/f")" = "604 42 43" ]
}

@test "tmpfs: notmpcopyup after tmpcopyup gives an empty tmpfs; tmpcopyup after notmpcopyup copies; mode= stays" {
  make_bundle 'ls -A /empty | wc -l; ls -A /full; stat -c %a /full /moded; ls -A /moded'
  mkdir -p "$BUNDLE/rootfs/empty" "$BUNDLE/rootfs/full" "$BUNDLE/rootfs/moded"
  touch "$BUNDLE/rootfs/empty/f" "$BUNDLE/rootfs/full/f" "$BUNDLE/rootfs/moded/g"
  chmod 705 "$BUNDLE/rootfs/full" "$BUNDLE/rootfs/moded"
  add_tmpfs /empty tmpcopyup notmpcopyup
  add_tmpfs /full notmpcopyup tmpcopyup
  add_tmpfs /moded tmpcopyup mode=1777
  run_fg "$ID"
  expect_status 0
  [ "${lines[0]}" = 0 ] || fail "notmpcopyup (last) still copied: $output"
  [ "${lines[1]}" = f ] || fail "tmpcopyup (last) did not copy: $output"
  [ "${lines[2]}" = 705 ] || fail "the hidden folder's mode was not taken: $output"
  [ "${lines[3]}" = 1777 ] || fail "an explicit mode= was overridden: $output"
  [ "${lines[4]}" = g ] || fail "$output"
}

@test "tmpfs tmpcopyup in a user namespace: owners kept, a device node (no mknod there) left out, the rest copied" {
  local h=100000
  make_bundle 'ls -A /data | tr "\n" " "; echo; stat -c "%u %g" /data/f'
  set_config --argjson h "$h" '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": $h, "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": $h, "size": 65536}]'
  mkdir -p "$BUNDLE/rootfs/data"
  touch "$BUNDLE/rootfs/data/f"
  mkfifo "$BUNDLE/rootfs/data/p"
  mknod "$BUNDLE/rootfs/data/null" c 1 3
  chown -R -h "$h:$h" "$BUNDLE/rootfs"
  chown $((h + 7)):$((h + 8)) "$BUNDLE/rootfs/data/f"
  local d=$BUNDLE
  while [ "$d" != / ] && [[ $d == "$BATS_RUN_TMPDIR"* ]]; do
    chmod o+x "$d"
    d=$(dirname "$d")
  done
  add_tmpfs /data tmpcopyup
  run_fg "$ID"
  expect_status 0
  [ "${lines[0]}" = "f p " ] || fail "$output"
  [ "${lines[1]}" = "7 8" ] || fail "$output"
}

@test "tmpfs tmpcopyup, hostile rootfs: symlinks to / and host paths copied as links, never followed; a fifo made, never opened" {
  echo host-secret >"$BATS_TEST_TMPDIR/secret"
  make_bundle 'cd /data; for l in root host up; do echo "$l -> $(readlink $l)"; done; [ -p fifo ] && echo fifo;
    [ -c null ] && echo null-dev; find /data | sort | tr "\n" " "'
  local r=$BUNDLE/rootfs/data
  mkdir -p "$r"
  ln -s / "$r/root"
  ln -s "$BATS_TEST_TMPDIR" "$r/host"
  ln -s ../../../../../.. "$r/up"
  mkfifo "$r/fifo"
  mknod "$r/null" c 1 3
  add_tmpfs /data tmpcopyup
  run_fg "$ID"
  expect_status 0
  [ "${lines[0]}" = "root -> /" ] || fail "$output"
  [ "${lines[1]}" = "host -> $BATS_TEST_TMPDIR" ] || fail "$output"
  [ "${lines[2]}" = "up -> ../../../../../.." ] || fail "$output"
  [ "${lines[3]}" = fifo ] || fail "$output"
  [ "${lines[4]}" = null-dev ] || fail "$output"
  # nothing else: no copy of what a link names (the host's files, the rootfs's /)
  [ "${lines[5]}" = "/data /data/fifo /data/host /data/null /data/root /data/up " ] || fail "$output"
}

@test "tmpfs tmpcopyup: a tree deeper than 256 folders stops with an error naming the destination, nothing leaks" {
  make_bundle 'true'
  local deep=$BUNDLE/rootfs/data
  deep=$deep$(printf '/d%.0s' $(seq 260))
  mkdir -p "$deep"
  add_tmpfs /data tmpcopyup
  create_container "$ID"
  expect_error 'tmpcopyup into `/data`' 'folders deep' 'Too many levels'
  assert_no_leaks "$ID"
}

# ---- idmap, ridmap ---------------------------------------------------------------------------------

# idmap_src DIR: a fresh tmpfs (it has idmapped mounts: kernel >= 6.3) at DIR, with a file f owned by
# 1000:1000 and a file root-f owned by 0:0.  umount_test_mounts takes it away.
idmap_src() {
  mkdir -p "$1"
  mount -t tmpfs -o size=1m,mode=755 ocirt-test "$1"
  touch "$1/f" "$1/root-f"
  chown 1000:1000 "$1/f"
}

# The mapping: ids 1000 of the filesystem are seen as 0 (the kernel's direction: a file's id is read
# as an id inside the mapping's namespace, shown as the id outside).
IDMAP_1000_TO_0='"uidMappings": [{"containerID": 1000, "hostID": 0, "size": 1}], "gidMappings": [{"containerID": 1000, "hostID": 0, "size": 1}]'

@test "idmap: the bind mount shows the files through the mount's mappings; a file made through it gets the mapped owner" {
  local src=$BATS_TEST_TMPDIR/src
  idmap_src "$src"
  chown 1000:1000 "$src" # the container's root, seen through the mapping, may write in it
  make_bundle "$OPTS$MI"'stat -c "%n %u %g" /m/f /m/root-f; touch /m/made && echo made; opts /m | grep -o idmapped'
  add_mount '{"destination": "/m", "type": "bind", "source": "'"$src"'", "options": ["bind", "idmap"], '"$IDMAP_1000_TO_0"'}'
  run_fg "$ID"
  local made
  made=$(stat -c '%u %g' "$src/made" 2>&1) || true
  umount_test_mounts
  expect_status 0
  [ "${lines[0]}" = "/m/f 0 0" ] || fail "the file of 1000 is not seen as 0:" "$output"
  [ "${lines[1]}" = "/m/root-f 65534 65534" ] || fail "an unmapped owner is not the overflow id:" "$output"
  [ "${lines[2]}" = made ]
  [ "${lines[3]}" = idmapped ] || fail "no idmapped in mountinfo:" "$output"
  [ "$made" = "1000 1000" ] || fail "root's file through the mount is not 1000:1000 on the host: $made"
}

@test "ridmap idmaps the submounts of an rbind; idmap only its top mount" {
  local src=$BATS_TEST_TMPDIR/src
  idmap_src "$src"
  mkdir "$src/sub"
  idmap_src "$src/sub"
  make_bundle 'stat -c "%n %u" /r/f /r/sub/f /i/f /i/sub/f'
  add_mount '{"destination": "/r", "type": "bind", "source": "'"$src"'", "options": ["rbind", "ridmap"], '"$IDMAP_1000_TO_0"'}'
  add_mount '{"destination": "/i", "type": "bind", "source": "'"$src"'", "options": ["rbind", "idmap"], '"$IDMAP_1000_TO_0"'}'
  run_fg "$ID"
  umount_test_mounts
  expect_status 0
  [ "${lines[0]}" = "/r/f 0" ] || fail "$output"
  [ "${lines[1]}" = "/r/sub/f 0" ] || fail "ridmap did not reach the submount:" "$output"
  [ "${lines[2]}" = "/i/f 0" ] || fail "$output"
  [ "${lines[3]}" = "/i/sub/f 1000" ] || fail "idmap reached the submount:" "$output"
}

@test "idmap in a container of its own user namespace: the container's mappings when the mount has none" {
  local src=$BATS_TEST_TMPDIR/src h=100000
  idmap_src "$src"
  make_bundle 'id -u; stat -c "%n %u %g" /m/root-f /m/f; touch /m/by-root && echo made'
  set_config --argjson h "$h" '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": $h, "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": $h, "size": 65536}]'
  chown -R -h "$h:$h" "$BUNDLE/rootfs"
  local d=$BUNDLE
  while [ "$d" != / ] && [[ $d == "$BATS_RUN_TMPDIR"* ]]; do
    chmod o+x "$d"
    d=$(dirname "$d")
  done
  add_mount '{"destination": "/m", "type": "bind", "source": "'"$src"'", "options": ["rbind", "idmap"]}'
  run_fg "$ID"
  local made
  made=$(stat -c '%u %g' "$src/by-root" 2>&1) || true
  umount_test_mounts
  expect_status 0
  [ "${lines[0]}" = 0 ]
  [ "${lines[1]}" = "/m/root-f 0 0" ] || fail "the host's root file is not the container's root's:" "$output"
  [ "${lines[2]}" = "/m/f 1000 1000" ] || fail "$output"
  [ "${lines[3]}" = made ] || fail "$output"
  [ "$made" = "0 0" ] || fail "the container's root made a file owned by $made on the host, not 0 0"
}

@test "idmap without mappings, on the mount or in .linux: refused, the error names the mount; nothing leaks" {
  make_bundle 'true'
  local n
  n=$(jq '.mounts | length' "$BUNDLE/config.json")
  add_mount '{"destination": "/m", "type": "bind", "source": "'"$BATS_TEST_TMPDIR"'", "options": ["rbind", "idmap"]}'
  create_container "$ID"
  expect_error ".mounts[$n]" "idmapped mount of \`$BATS_TEST_TMPDIR\` on \`/m\`" 'no uidMappings'
  assert_no_leaks "$ID"
}

@test "idmap of a filesystem without idmapped mounts (sysfs): the error names source and destination; nothing leaks" {
  make_bundle 'true'
  add_mount '{"destination": "/m", "type": "bind", "source": "/sys/kernel", "options": ["rbind", "ridmap"], '"$IDMAP_1000_TO_0"'}'
  create_container "$ID"
  expect_error 'idmapped mount of `/sys/kernel` on `/m`' 'does not support idmapped mounts'
  assert_no_leaks "$ID"
}

@test "idmap on a mount that is no bind mount is refused" {
  make_bundle 'true'
  add_mount '{"destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"], '"$IDMAP_1000_TO_0"'}'
  create_container "$ID"
  expect_error '`/t`' 'for bind mounts only'
  assert_no_leaks "$ID"
}
