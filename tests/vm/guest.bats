#!/usr/bin/env bats
# Runs INSIDE the test VM (tests/vm.bats boots it: run-in-vm.sh --apparmor --disk 256M -- bats tests/vm/guest.bats):
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
  [ "${OCIRT_VM:-}" = 1 ] || fail "guest.bats runs inside the test VM: tests/vm/run-in-vm.sh --apparmor --disk 256M -- bats tests/vm/guest.bats"
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

# ---- AppArmor: tests/vm.bats boots this guest with run-in-vm.sh --apparmor ------------------------
# Two profiles, loaded once per boot: ocirt-test denies reading /etc/secret, ocirt-other does not.
# Anything else is allowed, so that a busybox container runs under either.
aa_load() {
  [ -d /sys/kernel/security/apparmor ] || fail "no AppArmor in the guest: boot it with run-in-vm.sh --apparmor"
  grep -q '^ocirt-other ' /sys/kernel/security/apparmor/profiles && return 0
  local name deny profiles=
  for name in ocirt-test ocirt-other; do
    deny=
    [ "$name" != ocirt-test ] || deny='deny /etc/secret r,'
    profiles+=$(printf 'profile %s flags=(attach_disconnected,mediate_deleted) {\n  %s\n  %s\n}\n' "$name" \
      'file, capability, network, signal, ptrace, unix, mount, umount, pivot_root,' "$deny")$'\n'
  done
  # one run of the parser for both: each costs seconds under TCG
  apparmor_parser --skip-cache -r <<<"$profiles" || fail "apparmor_parser could not load:" "$profiles"
}

# a bundle whose /etc holds a public file and a secret one
aa_bundle() {
  make_bundle "$1"
  mkdir -p "$BUNDLE/rootfs/etc"
  echo public-text >"$BUNDLE/rootfs/etc/public"
  echo secret-text >"$BUNDLE/rootfs/etc/secret"
}

@test "guest: AppArmor is on, and ocirt features says so" {
  [ "$(cat /sys/module/apparmor/parameters/enabled)" = Y ]
  run --separate-stderr "$OCIRT" features
  expect_status 0
  [ "$(jq .linux.apparmor.enabled <<<"$output")" = true ] || fail "features: $(jq -c .linux.apparmor <<<"$output")"
}

@test "guest: process.apparmorProfile confines the container: attr/current names it, its deny rule holds" {
  aa_load
  local cmd='echo "label: $(cat /proc/self/attr/current)"; cat /etc/public; cat /etc/secret; echo "cat: $?"'
  # without the profile: unconfined, the secret reads (the test's own control)
  aa_bundle "$cmd"
  run_fg "$ID-control"
  expect_status 0
  [[ $output == *"label: unconfined"* && $output == *secret-text* ]] || fail "control: $output" "$stderr"
  set_config '.process.apparmorProfile = "ocirt-test"'
  run_fg "$ID"
  expect_status 0
  [[ $output == *"label: ocirt-test (enforce)"* ]] || fail "not in the profile: $output" "$stderr"
  [[ $output == *public-text* ]] || fail "an allowed file did not read: $output" "$stderr"
  [[ $output != *secret-text* && $output == *"cat: 1"* ]] || fail "the denied file read: $output"
  [[ $stderr == *"/etc/secret"*"Permission denied"* ]] || fail "stderr: $stderr"
  assert_no_leaks "$ID"
}

@test "guest: exec gets the container's AppArmor profile, or the one --apparmor names" {
  aa_load
  aa_bundle 'sleep 1000'
  set_config '.process.apparmorProfile = "ocirt-test"'
  run_detached "$ID"
  expect_status 0
  run --separate-stderr ocirt exec "$ID" cat /proc/self/attr/current
  expect_status 0
  [ "$output" = "ocirt-test (enforce)" ] || fail "exec: $output" "$stderr"
  run --separate-stderr ocirt exec "$ID" cat /etc/secret
  [ "$status" -ne 0 ] && [[ $stderr == *"Permission denied"* ]] || fail "exec read the secret: $status $output" "$stderr"
  run --separate-stderr ocirt exec --apparmor ocirt-other "$ID" cat /proc/self/attr/current /etc/secret
  expect_status 0
  [ "$output" = $'ocirt-other (enforce)\nsecret-text' ] || fail "exec --apparmor ocirt-other: $output" "$stderr"
  run --separate-stderr ocirt exec --apparmor ocirt-no-such-profile "$ID" true
  [ "$status" -ne 0 ] && [[ $stderr == *apparmorProfile*ocirt-no-such-profile* ]] || fail "exec with an unknown profile: $status" "$stderr"
  ocirt delete --force "$ID"
  assert_no_leaks "$ID"
}

@test "guest: an AppArmor profile that is not loaded fails create, naming it, and leaves nothing" {
  aa_load
  aa_bundle 'touch /started'
  set_config '.process.apparmorProfile = "ocirt-no-such-profile"'
  create_container "$ID"
  expect_error .process.apparmorProfile '"ocirt-no-such-profile"' 'is loaded'
  [ ! -e "$BUNDLE/rootfs/started" ]
  assert_no_leaks "$ID"
}
