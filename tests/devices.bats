#!/usr/bin/env bats
# /dev: the default nodes and links, linux.devices on top of them, and the errors.

load helpers

# In the container: "TYPE MAJOR:MINOR MODE UID:GID" of a node (busybox stat: %t/%T are hex).
STAT='st() { t=-; [ -c "$1" ] && t=character; [ -b "$1" ] && t=block; [ -p "$1" ] && t=fifo;
  set -- "$1" $t $(stat -c "%t %T %a %u %g" "$1"); echo "$1 $2 $((0x$3)):$((0x$4)) $5 $6:$7"; };'

@test "default devices: null, zero, full, random, urandom, tty are the right nodes, 0666 root" {
  make_bundle "$STAT"'for d in null zero full random urandom tty; do st /dev/$d; done'
  run_fg "$ID"
  expect_status 0
  [ "$output" = "/dev/null character 1:3 666 0:0
/dev/zero character 1:5 666 0:0
/dev/full character 1:7 666 0:0
/dev/random character 1:8 666 0:0
/dev/urandom character 1:9 666 0:0
/dev/tty character 5:0 666 0:0" ] || fail "$output"
}

@test "default devices work: write /dev/null, read /dev/zero and /dev/urandom, /dev/full is full" {
  make_bundle 'echo x >/dev/null && echo null-ok; head -c 4 /dev/zero | od -An -tx1 | tr -d " ";
    [ "$(head -c 16 /dev/urandom | wc -c)" = 16 ] && echo urandom-ok; echo x >/dev/full 2>/dev/null || echo full-refused'
  run_fg "$ID"
  expect_status 0
  [ "$output" = "null-ok
00000000
urandom-ok
full-refused" ] || fail "$output"
}

@test "default links: fd, stdin, stdout, stderr, ptmx -> pts/ptmx; shm and pts are mounts" {
  make_bundle 'for l in fd stdin stdout stderr ptmx; do echo "$l $(readlink /dev/$l)"; done;
    awk '\''$5 == "/dev/shm" || $5 == "/dev/pts" {print $5}'\'' /proc/self/mountinfo; echo hi >/dev/stdout'
  run_fg "$ID"
  expect_status 0
  [ "$output" = "fd /proc/self/fd
stdin /proc/self/fd/0
stdout /proc/self/fd/1
stderr /proc/self/fd/2
ptmx pts/ptmx
/dev/pts
/dev/shm
hi" ] || fail "$output"
}

@test "linux.devices: char, block, fifo with major, minor, fileMode, uid, gid; nested paths" {
  make_bundle "$STAT"'st /dev/mychar; st /dev/myblk; st /dev/sub/dir/myfifo; st /dev/plain; st /dev/owned; echo x >/dev/mychar && echo mychar-is-null'
  set_config '.linux.devices = [
    {"path": "/dev/mychar", "type": "c", "major": 1, "minor": 3, "fileMode": 416, "uid": 0, "gid": 100},
    {"path": "/dev/myblk", "type": "b", "major": 7, "minor": 200, "fileMode": 384, "uid": 0, "gid": 6},
    {"path": "/dev/sub/dir/myfifo", "type": "p", "fileMode": 432, "uid": 5, "gid": 7},
    {"path": "/dev/plain", "type": "u", "major": 1, "minor": 5},
    {"path": "/dev/owned", "type": "c", "major": 1, "minor": 7, "fileMode": 256, "uid": 1000, "gid": 1000}]'
  run_fg "$ID"
  expect_status 0
  [ "$output" = "/dev/mychar character 1:3 640 0:100
/dev/myblk block 7:200 600 0:6
/dev/sub/dir/myfifo fifo 0:0 660 5:7
/dev/plain character 1:5 666 0:0
/dev/owned character 1:7 400 1000:1000
mychar-is-null" ] || fail "$output"
}

@test "linux.devices: an entry for a default device replaces it (mode, owner)" {
  make_bundle "$STAT"'st /dev/null; echo x >/dev/null && echo still-null'
  set_config '.linux.devices = [{"path": "/dev/null", "type": "c", "major": 1, "minor": 3, "fileMode": 384, "uid": 0, "gid": 3}]'
  run_fg "$ID"
  expect_status 0
  [ "$output" = "/dev/null character 1:3 600 0:3
still-null" ] || fail "$output"
}

@test "linux.devices without a /dev tmpfs: made in the image's /dev" {
  make_bundle "$STAT"'st /dev/null; st /dev/mychar'
  set_config 'del(.mounts[] | select(.destination == "/dev"))'
  set_config '.linux.devices = [{"path": "/dev/mychar", "type": "c", "major": 1, "minor": 5}]'
  run_fg "$ID"
  expect_status 0
  [ "$output" = "/dev/null character 1:3 666 0:0
/dev/mychar character 1:5 666 0:0" ] || fail "$output"
  [ -c "$BUNDLE/rootfs/dev/mychar" ]
}

@test "linux.devices: bad type, bad path, missing major are refused naming the field" {
  make_bundle 'true'
  set_config '.linux.devices = [{"path": "/dev/x", "type": "q", "major": 1, "minor": 3}]'
  create_container "$ID"
  expect_error '.linux.devices[0].type' '"q"'
  assert_no_leaks "$ID"
  local p
  for p in /etc/x /dev/../etc/x /dev/a/.. /dev/ /dev//x; do
    set_config --arg p "$p" '.linux.devices = [{"path": $p, "type": "c", "major": 1, "minor": 3}]'
    create_container "$ID"
    expect_error '.linux.devices[0].path' "\"$p\""
    assert_no_leaks "$ID"
  done
  set_config '.linux.devices = [{"path": "/dev/x", "type": "c", "minor": 3}]'
  create_container "$ID"
  expect_error '.linux.devices[0]' major
  assert_no_leaks "$ID"
}
