#!/usr/bin/env bats
# Known runtime escapes (runc's and crun's CVEs), each reproduced against a hostile container; the
# comment of each test names the attack and the defence it checks.

load helpers

ALL_CAPS='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_DAC_READ_SEARCH","CAP_FOWNER","CAP_FSETID","CAP_KILL",
  "CAP_SETGID","CAP_SETUID","CAP_SETPCAP","CAP_LINUX_IMMUTABLE","CAP_NET_BIND_SERVICE","CAP_NET_BROADCAST",
  "CAP_NET_ADMIN","CAP_NET_RAW","CAP_IPC_LOCK","CAP_IPC_OWNER","CAP_SYS_MODULE","CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT","CAP_SYS_PTRACE","CAP_SYS_PACCT","CAP_SYS_ADMIN","CAP_SYS_BOOT","CAP_SYS_NICE",
  "CAP_SYS_TIME","CAP_SYS_TTY_CONFIG","CAP_MKNOD","CAP_LEASE","CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL","CAP_SETFCAP","CAP_MAC_OVERRIDE","CAP_MAC_ADMIN","CAP_SYSLOG","CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND","CAP_AUDIT_READ","CAP_PERFMON","CAP_BPF","CAP_CHECKPOINT_RESTORE"]'

# CVE-2019-5736: a container process opens /proc/PID/exe of an ocirt process in its pid namespace
# (here: the container's init, waiting for `start`, is a clone of ocirt), keeps the fd, and once
# the binary is no longer running writes through /proc/self/fd/N: the host's ocirt is replaced.
# Defence: create/run/exec re-execute ocirt from a sealed memfd, so /proc/PID/exe is that memfd,
# which cannot be written and is not the host file.  (Without it this test sees "wrote" and a
# truncated binary.)  The attack runs against a copy of ocirt, never the build's own binary.
@test "a container cannot overwrite the ocirt binary through /proc/PID/exe (CVE-2019-5736)" {
  cp "$OCIRT" "$BATS_TEST_TMPDIR/ocirt-copy"
  local before real=$OCIRT
  before=$(sha256sum <"$BATS_TEST_TMPDIR/ocirt-copy")
  OCIRT=$BATS_TEST_TMPDIR/ocirt-copy
  make_bundle 'sleep 1000'
  # a privileged container: its processes may open /proc/1/exe of a process with every capability
  set_config --argjson c "$ALL_CAPS" '.process.capabilities = {bounding: $c, effective: $c, permitted: $c}'
  create_ok "$ID"
  cat >"$BUNDLE/rootfs/attack" <<'EOF'
#!/bin/sh
exec 3</proc/1/exe || { echo cannot-open >/tmp/log; exit 0; }
echo opened >/tmp/log
i=0
while [ $i -lt 50 ]; do
  if echo pwned 2>/dev/null >/proc/self/fd/3; then echo wrote >>/tmp/log; exit 0; fi
  i=$((i + 1))
  sleep 0.1
done
echo refused >>/tmp/log
EOF
  chmod +x "$BUNDLE/rootfs/attack"
  ocirt exec --detach "$ID" /attack >/dev/null 2>&1 </dev/null 3>&-
  wait_for_file "$BUNDLE/rootfs/tmp/log"
  [ "$(head -1 "$BUNDLE/rootfs/tmp/log")" = opened ] || fail "the attack could not even open /proc/1/exe"
  ocirt start "$ID"
  OCIRT=$real # the copy may be broken by now: teardown needs a working ocirt
  local deadline=$((SECONDS + 15))
  until [ "$(wc -l <"$BUNDLE/rootfs/tmp/log")" -ge 2 ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail "the attack did not finish"
    sleep 0.2
  done
  [ "$(sed -n 2p "$BUNDLE/rootfs/tmp/log")" = refused ] || fail "attack: $(cat "$BUNDLE/rootfs/tmp/log")"
  [ "$(sha256sum <"$BATS_TEST_TMPDIR/ocirt-copy")" = "$before" ] || fail "the ocirt binary was changed"
}

@test "the waiting container init runs from the memfd copy, not the host's ocirt binary" {
  make_bundle 'sleep 1000'
  create_ok "$ID"
  local pid exe
  pid=$(state_field "$ID" pid)
  exe=$(readlink "/proc/$pid/exe")
  [[ $exe == "/memfd:ocirt"* ]] || fail "the init's exe is $exe"
}

# no_dev_tmpfs: the bundle's /dev is the image's own folder (no tmpfs on /dev), so what the image put
# there is what ocirt meets.
no_dev_tmpfs() {
  set_config 'del(.mounts[] | select(.destination == "/dev"))'
}

# CVE-2025-52565: the image makes /dev/console a symlink to a procfs file; binding the terminal
# "on /dev/console" through it would put the pty over that file (or, with the source swapped, a
# writable procfs file on /dev/console).  Defence: /dev/console is opened with no symlink followed
# and must be a plain file or a device node.
@test "/dev/console that is a symlink in the image is refused as the terminal's mount point (CVE-2025-52565)" {
  make_bundle 'tty'
  no_dev_tmpfs
  set_config '.process.terminal = true'
  mkdir -p "$BUNDLE/rootfs/dev"
  ln -sf /proc/sysrq-trigger "$BUNDLE/rootfs/dev/console"
  run_fg "$ID"
  expect_error "/dev/console" "symlink"
  assert_no_leaks "$ID"
}

# CVE-2025-31133: the image replaces /dev/null with a symlink to a procfs file; masking paths by
# binding "/dev/null" would bind that file instead (writable /proc/sys/kernel/core_pattern, say).
# Defence: the host's /dev/null, opened once and checked to be char 1:3, is what gets bound.
@test "masked paths are the real null device even when the image's /dev/null is a symlink (CVE-2025-31133)" {
  make_bundle 'stat -c "%F %t:%T" /etc/secret; wc -c </etc/secret'
  no_dev_tmpfs
  mkdir -p "$BUNDLE/rootfs/dev"
  ln -sf /proc/sys/kernel/core_pattern "$BUNDLE/rootfs/dev/null"
  echo s3cret >"$BUNDLE/rootfs/etc/secret"
  set_config '.linux.maskedPaths += ["/etc/secret"]'
  run_fg "$ID"
  expect_status 0
  [ "${lines[0]}" = "character special file 1:3" ] || fail "masked /etc/secret: $output"
  [ "${lines[1]}" = 0 ] || fail "$output"
}

# A rootfs with fifos, sockets and device nodes where ocirt creates or mounts things: opening them
# with O_PATH never blocks, and they are refused or replaced, never written through.
@test "fifos, sockets and device nodes at paths ocirt uses cannot block it or be written through" {
  make_bundle 'echo ran'
  no_dev_tmpfs
  set_config '.process.terminal = true'
  mkdir -p "$BUNDLE/rootfs/dev"
  rm -f "$BUNDLE/rootfs/dev/console"
  mkfifo "$BUNDLE/rootfs/dev/console"
  local start=$SECONDS
  run_fg "$ID"
  expect_error "/dev/console" "not a file or a device"
  assert_no_leaks "$ID"
  # a fifo as the cwd, and as the destination of a file bind mount
  make_bundle 'echo ran'
  mkfifo "$BUNDLE/rootfs/work"
  set_config '.process.cwd = "/work"'
  run_fg "$ID-2"
  [ "$status" -ne 0 ] && [[ $stderr == *cwd* ]] || fail "cwd on a fifo: $status $stderr"
  assert_no_leaks "$ID-2"
  make_bundle 'cat /etc/marker'
  echo from-host >"$BATS_TEST_TMPDIR/marker"
  mkfifo "$BUNDLE/rootfs/etc/marker"
  set_config --arg s "$BATS_TEST_TMPDIR/marker" '.mounts += [{destination: "/etc/marker", type: "bind", source: $s, options: ["bind", "ro"]}]'
  run_fg "$ID-3"
  expect_status 0
  [ "$output" = from-host ] || fail "$output"
  # a device node where a default device goes is replaced by the real one
  make_bundle 'stat -c "%t:%T" /dev/zero; head -c 4 /dev/zero | wc -c'
  no_dev_tmpfs
  mkdir -p "$BUNDLE/rootfs/dev"
  rm -f "$BUNDLE/rootfs/dev/zero"
  mknod "$BUNDLE/rootfs/dev/zero" c 1 3
  run_fg "$ID-4"
  expect_status 0
  [ "$output" = "$(printf '1:5\n4')" ] || fail "$output"
  [ $((SECONDS - start)) -lt 60 ] || fail "took $((SECONDS - start))s"
}

# CVE-2024-21626 for the container's own process: no fd of the host reaches it.  The test walks
# /proc/self/fd inside against an allow list (stdio, and the fd ls opens itself).
@test "the container's process holds no fd of the host (CVE-2024-21626)" {
  make_bundle 'ls /proc/self/fd | sort -n | tr "\n" " "'
  run --separate-stderr ocirt run --bundle "$BUNDLE" "$ID" 5<"$BATS_TEST_TMPDIR" 6</ 7</etc </dev/null
  expect_status 0
  [ "$output" = "0 1 2 3 " ] || fail "fds in the container: $output"
}

# CVE-2021-30465: a mount destination swapped between a folder and a symlink (to a host path) while
# the runtime mounts, by an attacker who shares the volume from another container.  Defence: every
# destination is resolved with openat2(RESOLVE_IN_ROOT) and mounted through the fd it opened, so
# whatever the path is at any instant, it leads inside the rootfs.  The test flips the path in a
# tight loop while containers are created with rootfsPropagation rshared: a mount that landed on
# the host target (in a shared tmpfs of the host) would propagate back and show on the host.
@test "a mount destination flipped between a folder and a symlink during create stays inside (CVE-2021-30465)" {
  local shared=$BATS_TEST_TMPDIR/shared target
  mkdir -p "$shared"
  mount -t tmpfs -o size=1m ocirt-test "$shared"
  mount --make-shared "$shared"
  target=$shared/target
  mkdir "$target"
  touch "$target/untouched"
  make_bundle 'true'
  set_config '.mounts += [{destination: "/vol", type: "tmpfs", source: "vol-race", options: ["size=64k"]}]
              | .linux.rootfsPropagation = "rshared"'
  local rootfs=$BUNDLE/rootfs
  (
    set +e
    while :; do
      rm -rf "$rootfs/vol.new"
      mkdir "$rootfs/vol.new" && mv -T "$rootfs/vol.new" "$rootfs/vol"
      ln -sfn "$target" "$rootfs/vol.link" && mv -T "$rootfs/vol.link" "$rootfs/vol"
    done
  ) 2>/dev/null 3>&- &
  local flipper=$! i ok=0 leaked=
  for i in $(seq 1 12); do
    run --separate-stderr ocirt run --bundle "$BUNDLE" "$ID-$i" </dev/null 3>&-
    [ "$status" -ne 0 ] || ok=$((ok + 1))
    grep -qF " $target " /proc/self/mountinfo && leaked="run $i"
  done
  kill -0 "$flipper" || fail "the flipper stopped early"
  kill "$flipper"
  wait "$flipper" 2>/dev/null || true
  while grep -qF " $target " /proc/self/mountinfo; do umount -l "$target"; done
  umount -l "$shared"
  [ -z "$leaked" ] || fail "$leaked: a mount landed on the host target"
  [ "$ok" -gt 0 ] || fail "no container ran"
}
