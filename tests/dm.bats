#!/usr/bin/env bats
# Device-mapper thin pools, images and snapshot root filesystems (src/lib/dm.c).  This host's kernel
# has no device-mapper: one VM boot (tests/vm/, Debian's kernel under qemu) runs tests/vm/dm.bats,
# and each test here checks that its test of the same name passed there.  It never skips.

load helpers

VM=$(repo)/tests/vm/run-in-vm.sh

# The VM runs once, in setup_file (a boot and ~15 tests under emulation take minutes: longer than
# BATS_TEST_TIMEOUT allows one test); the tests read its saved result.
setup_file() {
  local d=$BATS_FILE_TMPDIR/vm-dm rc=0
  mkdir -p "$d/tmp"
  if [ -x "$(repo)/tests/ocirt-dm-faults" ]; then
    TMPDIR=$d/tmp "$VM" --timeout 2400 --disk 3G -- bats --tap "$(repo)/tests/vm/dm.bats" >"$d/out" 2>"$d/err" </dev/null || rc=$?
  else
    echo "tests/ocirt-dm-faults is not built: make" >"$d/err"
    rc=125
  fi
  echo "$rc" >"$d/status"
  grep '^# ocirt create on a snapshot' "$d/out" >&3 || true
}

vm_dm() {
  local d=$BATS_FILE_TMPDIR/vm-dm
  status=$(cat "$d/status")
  output=$(cat "$d/out" 2>/dev/null)
  stderr=$(cat "$d/err" 2>/dev/null)
}

# guest_ok NAME: tests/vm/dm.bats passed its test NAME
guest_ok() {
  vm_dm
  grep -qxE "ok [0-9]+ dm: $(sed 's/[][\.*^$()+?{}|]/\\&/g' <<<"$1")" <<<"$output" ||
    fail "tests/vm/dm.bats: no passing test 'dm: $1' (VM status $status)" "--- guest output:" "$output" "--- harness:" "$stderr"
}

@test "dm: pool create makes a thin-pool on two loop devices over sparse files" {
  guest_ok "pool create makes a thin-pool on two loop devices over sparse files"
}

@test "dm: pool create with bad input fails naming it and leaves nothing" {
  guest_ok "pool create with bad input fails naming it and leaves nothing"
}

@test "dm: image import puts a busybox rootfs on a new thin device, left inactive" {
  guest_ok "image import puts a busybox rootfs on a new thin device, left inactive"
}

@test "dm: a container runs on an ext4 snapshot of base and writes a file; commit makes layer1" {
  guest_ok "a container runs on an ext4 snapshot of base and writes a file; commit makes layer1"
}

@test "dm: a container from layer1 sees the committed file, one from base does not" {
  guest_ok "a container from layer1 sees the committed file, one from base does not"
}

@test "dm: two containers from one image write different files and neither sees the other's" {
  guest_ok "two containers from one image write different files and neither sees the other's"
}

@test "dm: pool status reflects usage: a container's writes raise it, its delete gives them back" {
  guest_ok "pool status reflects usage: a container's writes raise it, its delete gives them back"
}

@test "dm: delete --keep-rootfs keeps the snapshot; it can be committed, then removed with image rm" {
  guest_ok "delete --keep-rootfs keeps the snapshot; it can be committed, then removed with image rm"
}

@test "dm: a created container's failure undoes its snapshot; a missing image is a clear error" {
  guest_ok "a created container's failure undoes its snapshot; a missing image is a clear error"
}

@test "dm: SIGKILL at each step of a snapshot create, then delete --force: a consistent pool, no reused id" {
  guest_ok "SIGKILL at each step of a snapshot create, then delete --force: a consistent pool, no reused id"
}

@test "dm: SIGKILL in image import, commit, rm and delete: the next command finds a consistent pool" {
  guest_ok "SIGKILL in image import, commit, rm and delete: the next command finds a consistent pool"
}

@test "dm: the pool survives a reboot: pool activate re-attaches the loop devices and reloads the table" {
  guest_ok "the pool survives a reboot: pool activate re-attaches the loop devices and reloads the table"
}

@test "dm: layers as in the README: base, an ops layer, a site layer; servers run on snapshots of the last" {
  guest_ok "layers as in the README: base, an ops layer, a site layer; servers run on snapshots of the last"
}

@test "dm: snapshot creation time does not grow with image size (10 MiB vs 1 GiB image)" {
  guest_ok "snapshot creation time does not grow with image size (10 MiB vs 1 GiB image)"
}

@test "dm: a nearly full pool refuses new snapshots with a clear error and stays writable" {
  guest_ok "a nearly full pool refuses new snapshots with a clear error and stays writable"
}

@test "dm: after image rm and pool destroy, no dm device, mount or loop device is left" {
  guest_ok "after image rm and pool destroy, no dm device, mount or loop device is left"
}

@test "dm: the whole of tests/vm/dm.bats passed in the VM" {
  vm_dm
  [ "$status" -eq 0 ] || fail "VM status $status" "$output" "$stderr"
}

@test "dm: pool and image commands check their arguments without touching device-mapper" {
  run --separate-stderr ocirt pool
  expect_error "missing subcommand"
  run --separate-stderr ocirt pool frobnicate p
  expect_error "unknown subcommand \`frobnicate\`"
  run --separate-stderr ocirt pool create p
  expect_error "pool create: --data and --metadata are required"
  run --separate-stderr ocirt image import onlyname
  expect_error "image import: expected NAME SOURCE"
  run --separate-stderr ocirt image import --size 12Q x /tmp
  expect_error "--size: expected a size like 512M or 2G, got \`12Q\`"
  OCIRT_POOL_DIR=$BATS_TEST_TMPDIR/pools run --separate-stderr ocirt pool status nope
  expect_error "pool nope does not exist"
  OCIRT_POOL_DIR=$BATS_TEST_TMPDIR/pools run --separate-stderr ocirt image import x /tmp
  expect_error "image import x: there is no pool: give --pool"
  [ ! -e "$BATS_TEST_TMPDIR/pools" ] || [ -z "$(ls -A "$BATS_TEST_TMPDIR/pools")" ]
  # the source is checked before the pool is opened
  mkdir -p "$BATS_TEST_TMPDIR/pools/p"
  OCIRT_POOL_DIR=$BATS_TEST_TMPDIR/pools run --separate-stderr ocirt image import x /dev/null
  expect_error "image import x: \`/dev/null\`: neither a folder nor a tarball"
  OCIRT_POOL_DIR=$BATS_TEST_TMPDIR/pools run --separate-stderr ocirt image import x "$BATS_TEST_TMPDIR/nonexistent"
  expect_error "image import x: \`$BATS_TEST_TMPDIR/nonexistent\`: No such file or directory"
}
