#!/usr/bin/env bats
# ocirt features: the runtime-spec features document, true to this build and host.

load helpers

src() { echo "${OCIRT_SRCDIR:-$(repo)}"; }

# check_shape FILE: the features schema's shape (types of every field ocirt fills).
check_shape() {
  jq -e '
    (.ociVersionMin | type == "string") and (.ociVersionMax | type == "string") and
    (.hooks | type == "array" and all(type == "string")) and
    (.mountOptions | type == "array" and all(type == "string")) and
    (.linux.namespaces | type == "array") and (.linux.capabilities | type == "array") and
    (.linux.cgroup | (.v1 | type == "boolean") and (.v2 | type == "boolean") and (.systemd | type == "boolean")) and
    (.linux.seccomp.enabled | type == "boolean") and
    (.linux.apparmor.enabled | type == "boolean") and (.linux.selinux.enabled | type == "boolean") and
    (.linux.intelRdt.enabled | type == "boolean") and
    (.linux.mountExtensions.idmap.enabled | type == "boolean") and
    (.annotations | type == "object" and all(.[]; type == "string"))' "$1" >/dev/null
}

@test "features prints the runtime-spec features document" {
  run --separate-stderr ocirt features
  expect_status 0
  echo "$output" >"$BATS_TEST_TMPDIR/f.json"
  check_shape "$BATS_TEST_TMPDIR/f.json" || fail "bad shape: $output"
  [ "$(jq -r .ociVersionMax <<<"$output")" = 1.2.0 ]
  [ "$(jq -c .hooks <<<"$output")" = '["prestart","createRuntime","createContainer","startContainer","poststart","poststop"]' ]
  # host-true: every namespace this kernel has, every capability libcap names
  local ns
  for ns in user pid network ipc uts mount cgroup time; do
    jq -e --arg n "$ns" '.linux.namespaces | index($n)' <<<"$output" >/dev/null || fail "namespace $ns missing"
  done
  jq -e '.linux.capabilities | index("CAP_SYS_ADMIN") and index("CAP_NET_RAW")' <<<"$output" >/dev/null
  jq -e '.mountOptions | index("rbind") and index("rslave") and index("nosuid")' <<<"$output" >/dev/null
  # the runtime's own options, and idmapped mounts (mount_setattr: this kernel has them)
  jq -e '.mountOptions | index("tmpcopyup") and index("notmpcopyup") and index("idmap") and index("ridmap")' \
    <<<"$output" >/dev/null || fail "runtime mount options missing: $(jq -c .mountOptions <<<"$output")"
  [ "$(jq .linux.mountExtensions.idmap.enabled <<<"$output")" = true ]
  # this host has neither AppArmor nor SELinux
  # (AppArmor: what create accepts, the module on and securityfs showing it; tests/vm/guest.bats checks
  # true in a guest that runs it)
  [ "$(jq .linux.apparmor.enabled <<<"$output")" = "$([ -d /sys/kernel/security/apparmor ] && [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] && echo true || echo false)" ]
  [ "$(jq .linux.selinux.enabled <<<"$output")" = "$([ -e /sys/fs/selinux/enforce ] && echo true || echo false)" ]
}

@test "features lists every seccomp action, operator and flag ocirt accepts" {
  run --separate-stderr ocirt features
  expect_status 0
  [ "$(jq .linux.seccomp.enabled <<<"$output")" = true ]
  [ "$(jq '.linux.seccomp.actions | length' <<<"$output")" -eq 9 ]
  [ "$(jq -c '.linux.seccomp.operators' <<<"$output")" = \
    '["SCMP_CMP_NE","SCMP_CMP_LT","SCMP_CMP_LE","SCMP_CMP_EQ","SCMP_CMP_GE","SCMP_CMP_GT","SCMP_CMP_MASKED_EQ"]' ]
  jq -e '.linux.seccomp.archs | index("SCMP_ARCH_X86_64")' <<<"$output" >/dev/null
  jq -e '.linux.seccomp.supportedFlags | index("SECCOMP_FILTER_FLAG_LOG")' <<<"$output" >/dev/null
  jq -e '.annotations["io.github.seccomp.libseccomp.version"] | test("^[0-9]+\\.[0-9]+\\.[0-9]+$")' <<<"$output" >/dev/null
}

@test "a build with --disable-seccomp says so in features, and refuses linux.seccomp" {
  # A copy of the sources, configured without seccomp (the build outputs are left behind).
  local tree=$BATS_TEST_TMPDIR/nosec
  mkdir "$tree"
  tar -C "$(src)" --exclude='*.o' --exclude='*.a' --exclude=./ocirt --exclude=./tests/.cache \
    --exclude='./ocirt-*' --exclude=config.status --exclude=config.log --exclude=Makefile --exclude=config.h \
    -cf - . | tar -C "$tree" -xf -
  [ -x "$tree/configure" ] || (cd "$tree" && ./autogen.sh >/dev/null 2>&1)
  (cd "$tree" && ./configure -q --disable-seccomp >/dev/null && make -j2 ocirt >/dev/null 2>&1) ||
    fail "the --disable-seccomp build failed"
  run --separate-stderr "$tree/ocirt" features
  expect_status 0
  echo "$output" >"$BATS_TEST_TMPDIR/f.json"
  check_shape "$BATS_TEST_TMPDIR/f.json" || fail "bad shape: $output"
  [ "$(jq .linux.seccomp.enabled <<<"$output")" = false ]
  [ "$(jq '.annotations["io.github.seccomp.libseccomp.version"]' <<<"$output")" = null ]
  make_bundle true
  set_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW"}'
  OCIRT=$tree/ocirt create_container "$ID"
  expect_error ".linux.seccomp" "without seccomp"
  assert_no_leaks "$ID"
}
