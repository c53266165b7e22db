#!/usr/bin/env bats
# Runs INSIDE the test VM (tests/dm.bats boots it: run-in-vm.sh --disk 3G -- bats tests/vm/dm.bats):
# device-mapper thin pools, images and snapshot root filesystems.  The tests build on each other in
# order: pool p1 is made by the first, `base` imported by the second, and so on.

top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
OCIRT=${OCIRT:-$top/ocirt}
FAULTS=$top/tests/ocirt-dm-faults
load ../helpers
MAKE_BUNDLE=$top/contrib/make-bundle.sh
OCIRT_TEST_TIMEOUT=90
DISK=/mnt/dm-disk

setup_file() {
  [ "${OCIRT_VM:-}" = 1 ] || {
    echo "tests/vm/dm.bats runs inside the test VM: tests/vm/run-in-vm.sh --disk 3G -- bats tests/vm/dm.bats" >&2
    return 1
  }
  modprobe dm-thin-pool && modprobe loop && modprobe ext4
  if ! mountpoint -q "$DISK"; then
    mkfs.ext4 -q -F "$OCIRT_VM_DISK"
    mkdir -p "$DISK"
    mount "$OCIRT_VM_DISK" "$DISK"
  fi
  export OCIRT_POOL_DIR=$BATS_FILE_TMPDIR/pools
  # the busybox rootfs every image here is made from
  "$MAKE_BUNDLE" "$BATS_FILE_TMPDIR/src" >/dev/null
}

eval "helpers_$(declare -f setup)"
setup() {
  helpers_setup
  export OCIRT_POOL_DIR=$BATS_FILE_TMPDIR/pools
  SRC=$BATS_FILE_TMPDIR/src/rootfs
}

# What a test left must be only what the pools hold: no thin device active that no container uses,
# no mount under the pool folder but those of live containers.
eval "helpers_$(declare -f teardown)"
teardown() {
  helpers_teardown
  local m
  m=$(grep -F "$OCIRT_POOL_DIR" /proc/self/mountinfo || true)
  [ -z "$m" ] || fail "teardown: mounts left under $OCIRT_POOL_DIR:" "$m"
  m=$(dmsetup ls 2>/dev/null | grep -v -e '-pool\b' -e '^No devices' || true)
  [ -z "$m" ] || fail "teardown: thin devices left active:" "$m"
}

# snap_bundle IMAGE [SHELL-COMMAND]: a bundle whose root filesystem is a snapshot of IMAGE
snap_bundle() {
  local image=$1
  shift
  make_bundle "$@"
  set_config --arg i "$image" '.annotations["org.ocirt.rootfs.image"] = $i'
}

# pool_json POOL JQ-EXPR: a query of the pool's metadata
pool_json() { jq -r "$2" "$OCIRT_POOL_DIR/$1/pool.json"; }

pool_field() { ocirt pool status "$1" | sed -n "s/^$2: //p"; }
data_used() { pool_field "$1" 'data used' | cut -d' ' -f1; }

@test "dm: pool create makes a thin-pool on two loop devices over sparse files" {
  run --separate-stderr ocirt pool create p1 --data "$DISK/p1.data" --size 2G --metadata "$DISK/p1.meta"
  expect_status 0
  [ "$(stat -c %s "$DISK/p1.data")" -eq $((2 << 30)) ]
  [ "$(stat -c %b "$DISK/p1.data")" -lt 100 ] || fail "the data file is not sparse"
  run dmsetup table ocirt-p1-pool
  [[ $output == "0 4194304 thin-pool "*" 128 0 1 error_if_no_space"* ]] || fail "$output"
  losetup -a | grep -q "($DISK/p1.data)" || fail "no loop device for the data file: $(losetup -a)"
  losetup -a | grep -q "($DISK/p1.meta)" || fail "no loop device for the metadata file: $(losetup -a)"
  run ocirt pool status p1
  [[ $output == *"mode: rw"* && $output == *"data used: 0 / 2147483648 (0%)"* && $output == *"devices: 0"* ]] ||
    fail "$output"
  run ocirt pool list
  grep -qE '^p1 +rw +0% +0$' <<<"$output" || fail "$output"
  # a second pool of the same name is refused, and the first stays
  run --separate-stderr ocirt pool create p1 --data "$DISK/x.data" --size 1G --metadata "$DISK/x.meta"
  expect_error "pool create p1: pool p1 exists"
  [ ! -e "$DISK/x.data" ]
  dmsetup info ocirt-p1-pool >/dev/null
}

@test "dm: pool create with bad input fails naming it and leaves nothing" {
  run --separate-stderr ocirt pool create p9 --data "$DISK/p9.data" --metadata "$DISK/p9.meta"
  expect_error "pool create p9: \`$DISK/p9.data\` does not exist: give --size to make it"
  run --separate-stderr ocirt pool create p9 --data "$DISK/p9.data" --size 1G --metadata "$DISK/p9.meta" --block-size 100K
  expect_error "--block-size 102400: a multiple of 64 KiB"
  run --separate-stderr ocirt pool create 'bad/name' --data "$DISK/p9.data" --size 1G --metadata "$DISK/p9.meta"
  expect_error 'invalid pool name "bad/name"'
  run --separate-stderr ocirt pool create p9 --data "$DISK/p9.data" --size lots --metadata "$DISK/p9.meta"
  expect_error "--size: expected a size like 512M or 2G, got \`lots\`"
  [ ! -e "$DISK/p9.data" ] && [ ! -e "$DISK/p9.meta" ] && [ ! -e "$OCIRT_POOL_DIR/p9" ]
  ! dmsetup info ocirt-p9-pool >/dev/null 2>&1
}

@test "dm: image import puts a busybox rootfs on a new thin device, left inactive" {
  local before
  before=$(data_used p1)
  run --separate-stderr ocirt image import base "$SRC"
  expect_status 0
  run ocirt image list
  grep -qE '^base +p1 +0 +- +image +1073741824 +[0-9]+$' <<<"$output" || fail "$output"
  [ "$(pool_json p1 '.devices[0].state')" = ready ]
  # not active, not mounted
  [ "$(dmsetup ls | grep -c ocirt-p1-)" -eq 1 ]
  ! grep -q "$OCIRT_POOL_DIR" /proc/self/mountinfo
  # the pool's usage grew by the image's blocks
  [ "$(data_used p1)" -gt $((before + 1000000)) ] || fail "data used $before -> $(data_used p1)"
  # the same name again, or a source that is not there: refused, nothing recorded
  run --separate-stderr ocirt image import base "$SRC"
  expect_error "image import base: pool p1 has an image of that name"
  run --separate-stderr ocirt image import other /nonexistent
  expect_error "image import other: \`/nonexistent\`"
  [ "$(pool_json p1 '.devices | length')" -eq 1 ]
}

@test "dm: a container runs on an ext4 snapshot of base and writes a file; commit makes layer1" {
  snap_bundle base 'echo from-c1 >/marker; grep " / " /proc/self/mountinfo'
  run_fg --keep "$ID"
  expect_status 0
  [[ $output == *" / / rw,"*" - ext4 /dev/mapper/ocirt-p1-"* ]] || fail "the root is not a thin device:" "$output" "$stderr"
  # the state's rootfs is where the snapshot is mounted, on the host
  local rootfs
  rootfs=$(state_field "$ID" rootfs)
  [[ $rootfs == "$OCIRT_POOL_DIR/p1/mnt/"* ]] || fail "rootfs $rootfs"
  [ "$(cat "$rootfs/marker")" = from-c1 ]
  [ ! -e "$BUNDLE/rootfs/marker" ] || fail "the write went to the bundle's rootfs folder"
  run --separate-stderr ocirt image commit "$ID" layer1
  expect_status 0
  run ocirt image list
  grep -qE '^layer1 +p1 +[0-9]+ +base +image ' <<<"$output" || fail "$output"
  run --separate-stderr ocirt delete "$ID"
  expect_status 0
  [ -z "$(pool_json p1 ".devices[] | select(.name == \"$ID\") | .id")" ]
}

@test "dm: a container from layer1 sees the committed file, one from base does not" {
  snap_bundle layer1 'cat /marker'
  run_fg "$ID"
  expect_status 0
  [ "$output" = from-c1 ] || fail "$output" "$stderr"
  snap_bundle base 'test ! -e /marker && echo clean'
  run_fg "$ID-2"
  expect_status 0
  [ "$output" = clean ] || fail "$output" "$stderr"
}

@test "dm: two containers from one image write different files and neither sees the other's" {
  snap_bundle base 'echo a >/a; sleep 1000'
  run_detached "$ID-a"
  expect_status 0
  snap_bundle base 'echo b >/b; sleep 1000'
  run_detached "$ID-b"
  expect_status 0
  local ra rb
  ra=$(state_field "$ID-a" rootfs)
  rb=$(state_field "$ID-b" rootfs)
  [ "$ra" != "$rb" ]
  wait_for_file "$ra/a" && wait_for_file "$rb/b"
  [ ! -e "$ra/b" ] && [ ! -e "$rb/a" ]
  # and from inside
  run --separate-stderr ocirt exec "$ID-a" sh -c 'cat /a && ! test -e /b && echo ok'
  [ "$output" = $'a\nok' ] || fail "$output" "$stderr"
  run --separate-stderr ocirt exec "$ID-b" sh -c 'cat /b && ! test -e /a && echo ok'
  [ "$output" = $'b\nok' ] || fail "$output" "$stderr"
  ocirt delete --force "$ID-a"
  ocirt delete --force "$ID-b"
  [ ! -e "$ra" ] && [ ! -e "$rb" ]
}

@test "dm: pool status reflects usage: a container's writes raise it, its delete gives them back" {
  snap_bundle base 'dd if=/dev/zero of=/big bs=1M count=64 conv=fsync 2>/dev/null; sync'
  local before during after
  before=$(data_used p1)
  run_fg --keep "$ID"
  expect_status 0
  during=$(data_used p1)
  [ "$during" -ge $((before + 60 * 1048576)) ] || fail "data used $before -> $during"
  run ocirt pool status p1
  [[ $output == *"container $ID ready parent=base"* ]] || fail "$output"
  ocirt delete "$ID"
  after=$(data_used p1)
  [ "$after" -le $((before + 1048576)) ] || fail "data used $before -> $during -> $after"
}

@test "dm: delete --keep-rootfs keeps the snapshot; it can be committed, then removed with image rm" {
  snap_bundle base 'echo kept >/kept'
  run_fg --keep "$ID"
  expect_status 0
  run --separate-stderr ocirt delete --keep-rootfs "$ID"
  expect_status 0
  [ ! -e "$ROOT/$ID" ]
  [ "$(pool_json p1 ".devices[] | select(.name == \"$ID\") | .state")" = kept ]
  # kept, but inactive and unmounted
  [ "$(dmsetup ls | grep -c ocirt-p1-)" -eq 1 ]
  run --separate-stderr ocirt image commit "$ID" kept-img
  expect_status 0
  # an image with children cannot go; the kept rootfs can
  run --separate-stderr ocirt image rm base
  expect_error "image rm base: in use by image layer1, container $ID, image kept-img"
  run --separate-stderr ocirt image rm "$ID"
  expect_status 0
  snap_bundle kept-img 'cat /kept'
  run_fg "$ID-2"
  [ "$output" = kept ] || fail "$output" "$stderr"
  ocirt image rm kept-img
  [ -z "$(pool_json p1 '.devices[] | select(.name == "kept-img")')" ]
}

@test "dm: a created container's failure undoes its snapshot; a missing image is a clear error" {
  snap_bundle nosuch true
  create_container "$ID"
  expect_error "create $ID: annotation org.ocirt.rootfs.image: no image \`nosuch\` in any pool"
  # a failure after the snapshot (no such program) deletes it again
  local next
  next=$(pool_json p1 .nextId)
  snap_bundle base
  set_config '.process.args = ["/no/such/program"]'
  create_container "$ID"
  [ "$status" -ne 0 ]
  [ "$(pool_json p1 .nextId)" -eq $((next + 1)) ]
  [ -z "$(pool_json p1 ".devices[] | select(.name == \"$ID\")")" ]
  ! dmsetup message ocirt-p1-pool 0 "delete $next" 2>/dev/null || fail "device $next is still in the pool"
}

# kill_at STEP ARGS...: the fault build of ocirt, killed by SIGKILL at STEP
kill_at() {
  local step=$1
  shift
  run env OCIRT_DM_FAULT="$step" timeout 60 "$FAULTS" --root "$ROOT" "$@"
  [ "$status" -eq 137 ] || fail "ocirt was not killed at $step (status $status):" "$output"
}

# pool_consistent POOL ID-IN-PROGRESS: the pool holds no device ID, none is active or mounted but
# recorded ones, and every record is settled
pool_consistent() {
  local pool=$1 id=$2
  [ -z "$(pool_json "$pool" ".devices[] | select(.id == $id)")" ] || fail "device $id is still recorded: $(cat "$OCIRT_POOL_DIR/$pool/pool.json")"
  [ -z "$(pool_json "$pool" '.devices[] | select(.state != "ready" and .state != "kept")')" ] || fail "unsettled records"
  ! dmsetup info "ocirt-$pool-$id" >/dev/null 2>&1 || fail "device ocirt-$pool-$id is still active"
  ! dmsetup message "ocirt-$pool-pool" 0 "delete $id" 2>/dev/null || fail "thin device $id leaked in the pool"
  ! grep -q "$OCIRT_POOL_DIR/$pool/mnt/$id " /proc/self/mountinfo || fail "mount of $id leaked"
}

@test "dm: SIGKILL at each step of a snapshot create, then delete --force: a consistent pool, no reused id" {
  local step id n=0
  snap_bundle base true
  for step in snap-recorded snap-created snap-activated snap-mounted; do
    n=$((n + 1))
    id=$(pool_json p1 .nextId)
    kill_at "$step" create --bundle "$BUNDLE" "$ID-$n"
    [ "$(pool_json p1 ".devices[] | select(.id == $id) | .state")" = creating ] || fail "$step: not recorded first"
    run --separate-stderr ocirt delete --force "$ID-$n"
    expect_status 0
    pool_consistent p1 "$id"
  done
  # the ids were used once each: the next snapshot gets a fresh one
  id=$(pool_json p1 .nextId)
  run_fg "$ID"
  expect_status 0
  [ "$(pool_json p1 .nextId)" -eq $((id + 1)) ]
}

@test "dm: SIGKILL in image import, commit, rm and delete: the next command finds a consistent pool" {
  local step id
  for step in import-recorded import-created import-unpacked; do
    id=$(pool_json p1 .nextId)
    kill_at "$step" image import crashed "$SRC"
    # any command that opens the pool finishes the job
    run ocirt pool status p1
    expect_status 0
    pool_consistent p1 "$id"
    [ -z "$(pool_json p1 '.devices[] | select(.name == "crashed")')" ]
  done
  ocirt image import crashed "$SRC"

  snap_bundle crashed 'echo x >/x'
  run_fg --keep "$ID"
  for step in commit-recorded commit-created; do
    id=$(pool_json p1 .nextId)
    kill_at "$step" image commit "$ID" crashed2
    run ocirt image list
    expect_status 0
    pool_consistent p1 "$id"
  done
  # a delete killed after recording "deleting": the rerun of delete finishes it
  id=$(pool_json p1 ".devices[] | select(.name == \"$ID\") | .id")
  kill_at release-recorded delete "$ID"
  run --separate-stderr ocirt delete --force "$ID"
  expect_status 0
  pool_consistent p1 "$id"
  id=$(pool_json p1 '.devices[] | select(.name == "crashed") | .id')
  kill_at rm-recorded image rm crashed
  run ocirt image list
  [[ $output != *crashed* ]] || fail "$output"
  pool_consistent p1 "$id"
}

@test "dm: the pool survives a reboot: pool activate re-attaches the loop devices and reloads the table" {
  # what a reboot does: the pool's device goes, its loop devices with it (autoclear)
  dmsetup remove ocirt-p1-pool
  ! losetup -a | grep -q "$DISK/p1" || fail "loop devices stayed: $(losetup -a)"
  run --separate-stderr ocirt pool activate p1
  expect_status 0
  dmsetup info ocirt-p1-pool >/dev/null
  [ "$(losetup -a | grep -c "$DISK/p1")" -eq 2 ]
  snap_bundle layer1 'cat /marker'
  run_fg "$ID"
  [ "$output" = from-c1 ] || fail "$output" "$stderr"
}

# The README's layering example (base OS -> patched nginx -> site config), with busybox httpd for nginx.
@test "dm: layers as in the README: base, an ops layer, a site layer; servers run on snapshots of the last" {
  snap_bundle base 'mkdir -p /etc/httpd /www && echo "H:/www" >/etc/httpd/httpd.conf && echo patched >/etc/httpd/PATCHED'
  run_fg --keep "$ID-ops"
  expect_status 0
  ocirt image commit "$ID-ops" ops-httpd
  ocirt delete "$ID-ops"
  mkdir -p "$BATS_TEST_TMPDIR/site"
  echo '<h1>website</h1>' >"$BATS_TEST_TMPDIR/site/index.html"
  snap_bundle ops-httpd 'cp /site/index.html /www/index.html'
  set_config --arg s "$BATS_TEST_TMPDIR/site" '.mounts += [{"destination": "/site", "type": "bind", "source": $s, "options": ["rbind", "ro"]}]'
  run_fg --keep "$ID-site"
  expect_status 0
  ocirt image commit "$ID-site" website-httpd
  ocirt delete "$ID-site"
  run ocirt image list
  grep -qE '^ops-httpd +p1 +[0-9]+ +base ' <<<"$output" || fail "$output"
  grep -qE '^website-httpd +p1 +[0-9]+ +ops-httpd ' <<<"$output" || fail "$output"
  snap_bundle website-httpd 'exec httpd -f -p 8080 -c /etc/httpd/httpd.conf'
  run_detached "$ID-www1"
  expect_status 0
  run_detached "$ID-www2"
  expect_status 0
  local i pid
  for i in 1 2; do
    # a new network namespace has its loopback down: bring it up from outside (no CAP_NET_ADMIN inside)
    pid=$(state_field "$ID-www$i" pid)
    nsenter --net="/proc/$pid/ns/net" ip link set lo up
    run ocirt exec "$ID-www$i" sh -c 'for n in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://127.0.0.1:8080/ && exit 0; sleep 0.5; done; exit 1'
    [ "$output" = '<h1>website</h1>' ] || fail "www$i: $output"
    run ocirt exec "$ID-www$i" cat /etc/httpd/PATCHED
    [ "$output" = patched ]
  done
  ocirt delete --force "$ID-www1"
  ocirt delete --force "$ID-www2"
  ocirt image rm website-httpd
  ocirt image rm ops-httpd
}

@test "dm: snapshot creation time does not grow with image size (10 MiB vs 1 GiB image)" {
  # the big one also holds 128 MiB of data
  local big=$DISK/bigsrc
  rm -rf "$big" && cp -a "$SRC" "$big"
  dd if=/dev/urandom of="$big/data" bs=1M count=128 status=none
  ocirt image import --size 10M small "$SRC"
  ocirt image import --size 1G big "$big"
  rm -rf "$big"
  local img i t0 t best_small=999999 best_big=999999
  for img in small big; do
    snap_bundle "$img" true
    for i in 1 2 3; do
      t0=$(date +%s%N)
      create_container "$ID-$img-$i"
      expect_status 0
      t=$((($(date +%s%N) - t0) / 1000000))
      ocirt delete "$ID-$img-$i"
      if [ "$img" = small ]; then
        [ "$t" -lt "$best_small" ] && best_small=$t
      else
        [ "$t" -lt "$best_big" ] && best_big=$t
      fi
    done
  done
  echo "# ocirt create on a snapshot: 10 MiB image ${best_small} ms, 1 GiB image (128 MiB used) ${best_big} ms" >&3
  [ "$best_big" -le $((best_small * 2 + 500)) ] || fail "10 MiB: $best_small ms, 1 GiB: $best_big ms"
  ocirt image rm small
  ocirt image rm big
}

@test "dm: a nearly full pool refuses new snapshots with a clear error and stays writable" {
  ocirt pool create p2 --data "$DISK/p2.data" --size 96M --metadata "$DISK/p2.meta"
  ocirt image import --pool p2 --size 256M small2 "$SRC"
  snap_bundle small2 'sleep 1000'
  set_config '.annotations["org.ocirt.rootfs.pool"] = "p2"'
  run_detached "$ID"
  expect_status 0
  # fill it from the host, through the container's mounted rootfs, past 90%
  local rootfs i pct
  rootfs=$(state_field "$ID" rootfs)
  for i in $(seq 1 40); do
    pct=$(pool_field p2 'data used' | sed 's/.*(\([0-9]*\)%)/\1/')
    [ "$pct" -ge 91 ] && break
    dd if=/dev/zero of="$rootfs/fill$i" bs=1M count=4 conv=fsync status=none
  done
  [ "$pct" -ge 91 ] && [ "$pct" -lt 100 ] || fail "pool p2 at $pct%"
  snap_bundle small2 true
  create_container "$ID-2"
  expect_error "create $ID-2: snapshot of image \`small2\`: pool p2 is nearly full (data " "the limit is 90%"
  run --separate-stderr ocirt image import --pool p2 other "$SRC"
  expect_error "image import other: pool p2 is nearly full"
  # the pool is still read-write: the running container writes on
  [ "$(pool_field p2 mode)" = rw ]
  run ocirt exec "$ID" sh -c 'echo still >/still && sync && cat /still'
  [ "$output" = still ] || fail "$output"
  ocirt delete --force "$ID"
  # space came back: snapshots work again
  run_fg "$ID-3"
  expect_status 0
  # a pool in use cannot be destroyed without --force
  run --separate-stderr ocirt pool destroy p2
  expect_error "pool destroy p2: it holds 1 devices (image \`small2\`): remove them, or use --force"
  run --separate-stderr ocirt pool destroy --force p2
  expect_status 0
  ! dmsetup info ocirt-p2-pool >/dev/null 2>&1
  ! losetup -a | grep -q "$DISK/p2" || fail "loop devices left: $(losetup -a)"
}

@test "dm: after image rm and pool destroy, no dm device, mount or loop device is left" {
  ocirt image rm layer1
  ocirt image rm base
  run ocirt pool status p1
  [[ $output == *"devices: 0"* ]] || fail "$output"
  run --separate-stderr ocirt pool destroy p1
  expect_status 0
  [ -z "$(dmsetup ls | grep ocirt- || true)" ] || fail "$(dmsetup ls)"
  [ -z "$(losetup -a)" ] || fail "$(losetup -a)"
  ! grep -q "$OCIRT_POOL_DIR" /proc/self/mountinfo
  [ ! -e "$OCIRT_POOL_DIR/p1" ]
  # the files stay, for the user to remove
  [ -e "$DISK/p1.data" ]
}
