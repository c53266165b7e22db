#!/usr/bin/env bats
# Runs INSIDE the test VM (tests/vm.bats boots it: run-in-vm.sh --disk 256M -- bats tests/vm/guest.bats):
# what the kernel and userspace of the guest give the tests that need them.  Not a tests/*.bats file:
# make check does not run it on the host, whose kernel lacks device-mapper.

# helpers.bash finds the tree from the test file's folder: this one is a level deeper
top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
OCIRT=${OCIRT:-$top/ocirt}
load ../helpers
MAKE_BUNDLE=$top/contrib/make-bundle.sh

# helpers.bash's setup, after checking where we are
eval "helpers_$(declare -f setup)"
setup() {
  [ "${OCIRT_VM:-}" = 1 ] || fail "guest.bats runs inside the test VM: tests/vm/run-in-vm.sh --disk 256M -- bats tests/vm/guest.bats"
  helpers_setup
}

@test "guest: /proc/misc lists device-mapper after modprobe dm-mod" {
  ! grep -qw device-mapper /proc/misc || fail "device-mapper before modprobe: the test proves nothing"
  modprobe dm-mod
  grep -qw device-mapper /proc/misc
  [ -c /dev/mapper/control ]
}

@test "guest: dmsetup targets lists thin-pool and thin after modprobe dm-thin-pool" {
  modprobe dm-thin-pool
  run dmsetup targets
  [ "$status" -eq 0 ]
  grep -q '^thin-pool ' <<<"$output" || fail "no thin-pool target:" "$output"
  grep -q '^thin ' <<<"$output" || fail "no thin target:" "$output"
}

# A thin pool on the sparse virtio-blk disk: metadata and data are two linear slices of it.
@test "guest: a thin volume of a pool on the virtio-blk disk holds an ext4 filesystem" {
  [ "${OCIRT_VM_DISK:-}" = /dev/vda ] && [ -b /dev/vda ] || fail "no disk: run-in-vm.sh --disk SIZE"
  modprobe dm-thin-pool
  # without udev, dmsetup makes its /dev/mapper nodes itself only when told
  export DM_DISABLE_UDEV=1
  local p=ocirtvm$$ sectors meta=16384 # 8 MiB of metadata
  sectors=$(blockdev --getsz /dev/vda)
  dmsetup create "$p-meta" --table "0 $meta linear /dev/vda 0"
  dmsetup create "$p-data" --table "0 $((sectors - meta)) linear /dev/vda $meta"
  dd if=/dev/zero of="/dev/mapper/$p-meta" bs=4096 count=1 status=none
  # 64 KiB blocks (128 sectors), low-water mark 0
  dmsetup create "$p-pool" --table "0 $((sectors - meta)) thin-pool /dev/mapper/$p-meta /dev/mapper/$p-data 128 0"
  dmsetup message "$p-pool" 0 "create_thin 0"
  dmsetup create "$p-thin" --table "0 204800 thin /dev/mapper/$p-pool 0"
  mkfs.ext4 -q "/dev/mapper/$p-thin"
  mkdir -p "$BATS_TEST_TMPDIR/mnt"
  mount "/dev/mapper/$p-thin" "$BATS_TEST_TMPDIR/mnt"
  echo written >"$BATS_TEST_TMPDIR/mnt/file"
  umount "$BATS_TEST_TMPDIR/mnt"
  # the pool reports the blocks the filesystem took
  local used
  used=$(dmsetup status "$p-pool" | awk '{ split($6, a, "/"); print a[1] }')
  [ "$used" -gt 0 ] || fail "the pool reports no data block used: $(dmsetup status "$p-pool")"
  mount -o ro "/dev/mapper/$p-thin" "$BATS_TEST_TMPDIR/mnt"
  [ "$(cat "$BATS_TEST_TMPDIR/mnt/file")" = written ]
  umount "$BATS_TEST_TMPDIR/mnt"
  dmsetup remove "$p-thin"
  dmsetup message "$p-pool" 0 "delete 0"
  dmsetup remove "$p-pool" "$p-data" "$p-meta"
  [ -z "$(dmsetup ls | grep "$p" || true)" ]
}

@test "guest: cgroups are mounted like this host's: v1 hierarchies, cgroup2 at unified/" {
  [ "$(stat -f -c %T /sys/fs/cgroup/memory)" = cgroupfs ]
  [ "$(stat -f -c %T /sys/fs/cgroup/pids)" = cgroupfs ]
  [ "$(stat -f -c %T /sys/fs/cgroup/unified)" = cgroup2fs ]
}

@test "guest: the built ocirt runs a busybox container" {
  make_bundle 'echo hello from the container; echo pid=$$; cat /etc/hostname 2>/dev/null; ls /bin/busybox'
  run_fg "$ID"
  expect_status 0
  [[ $output == *"hello from the container"* ]] || fail "output: $output" "stderr: $stderr"
  [[ $output == *"pid=1"* ]] || fail "not pid 1 in its pid namespace: $output"
  assert_no_leaks "$ID"
}
