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
