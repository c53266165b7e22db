#!/usr/bin/env bats
# linux.sysctl: only keys of the container's own namespaces (ipc, uts, network); each is read back
# inside, and the host's value stays what it was.

load helpers

# sysctl_set KEY VALUE...: .linux.sysctl = {KEY: VALUE, ...}
sysctl_set() {
  local json='{}'
  while [ $# -ge 2 ]; do
    json=$(jq -c --arg k "$1" --arg v "$2" '. + {($k): $v}' <<<"$json")
    shift 2
  done
  set_config --argjson s "$json" '.linux.sysctl = $s'
}

@test "sysctl: ipc keys (kernel.shm*, msg*, sem, fs.mqueue.*) apply inside, the host keeps its values" {
  local keys="kernel/shmmni kernel/shmmax kernel/shmall kernel/shm_rmid_forced kernel/msgmax kernel/msgmnb kernel/msgmni kernel/sem fs/mqueue/msg_max"
  local before k
  before=$(for k in $keys; do cat /proc/sys/$k; done)
  make_bundle "for k in $keys; do cat /proc/sys/\$k; done"
  sysctl_set kernel.shmmni 1234 kernel.shmmax 123456789 kernel.shmall 7654321 kernel.shm_rmid_forced 1 \
    kernel.msgmax 4321 kernel.msgmnb 5432 kernel.msgmni 99 kernel.sem "200 30000 50 100" fs.mqueue.msg_max 17
  run_fg "$ID"
  expect_status 0
  [ "$(tr -s '\t ' '  ' <<<"$output")" = "1234
123456789
7654321
1
4321
5432
99
200 30000 50 100
17" ] || fail "inside:" "$output"
  [ "$(for k in $keys; do cat /proc/sys/$k; done)" = "$before" ] || fail "the host's values changed"
}

@test "sysctl: net.* keys apply in the container's network namespace (dotted and slash forms)" {
  local fwd syn
  fwd=$(cat /proc/sys/net/ipv4/ip_forward)
  syn=$(cat /proc/sys/net/ipv4/tcp_syncookies)
  make_bundle 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/tcp_syncookies'
  sysctl_set net.ipv4.ip_forward $((1 - fwd)) net/ipv4/tcp_syncookies $(((syn + 1) % 3))
  run_fg "$ID"
  expect_status 0
  [ "$output" = "$((1 - fwd))
$(((syn + 1) % 3))" ] || fail "inside: $output"
  [ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$fwd" ]
  [ "$(cat /proc/sys/net/ipv4/tcp_syncookies)" = "$syn" ]
}

@test "sysctl: kernel.domainname and kernel.hostname in the uts namespace" {
  local host_domain host_name
  host_domain=$(cat /proc/sys/kernel/domainname)
  host_name=$(hostname)
  make_bundle 'cat /proc/sys/kernel/domainname; hostname'
  set_config 'del(.hostname)'
  sysctl_set kernel.domainname ocirt.test kernel.hostname from-sysctl
  run_fg "$ID"
  expect_status 0
  [ "$output" = "ocirt.test
from-sysctl" ] || fail "inside: $output"
  [ "$(cat /proc/sys/kernel/domainname)" = "$host_domain" ]
  [ "$(hostname)" = "$host_name" ]
}

@test "sysctl: a key of no namespace of the container is refused, naming it" {
  make_bundle 'true'
  local k
  for k in kernel.pid_max vm.swappiness kernel.shmmnix fs.file-max net; do
    sysctl_set "$k" 1
    create_container "$ID"
    expect_error ".linux.sysctl[\"$k\"]" 'not allowed'
    assert_no_leaks "$ID"
  done
}

@test "sysctl: a malformed key is refused" {
  make_bundle 'true'
  local k
  for k in net/../kernel/pid_max /net/ipv4/ip_forward net//ipv4 net/ipv4/ fs.mqueue. kernel..shmmni; do
    sysctl_set "$k" 1
    create_container "$ID"
    expect_error ".linux.sysctl[\"$k\"]"
    assert_no_leaks "$ID"
  done
}

@test "sysctl: a key whose namespace is not requested, or is the host's, is refused" {
  make_bundle 'true'
  set_config 'del(.linux.namespaces[] | select(.type == "network"))'
  sysctl_set net.ipv4.ip_forward 1
  create_container "$ID"
  expect_error '.linux.sysctl["net.ipv4.ip_forward"]' '"network" namespace'
  assert_no_leaks "$ID"

  set_config 'del(.linux.namespaces[] | select(.type == "ipc"))'
  sysctl_set kernel.shmmni 1
  create_container "$ID"
  expect_error '.linux.sysctl["kernel.shmmni"]' '"ipc" namespace'
  assert_no_leaks "$ID"

  set_config --arg p "/proc/$$/ns/net" '.linux.namespaces += [{"type": "network", "path": $p}]'
  sysctl_set net.ipv4.ip_forward 1
  create_container "$ID"
  expect_error '.linux.sysctl["net.ipv4.ip_forward"]' "host's"
  assert_no_leaks "$ID"
}

@test "sysctl: kernel.hostname conflicts with .hostname" {
  make_bundle 'true'
  set_config '.hostname = "h"'
  sysctl_set kernel.hostname other
  create_container "$ID"
  expect_error '.linux.sysctl["kernel.hostname"]' .hostname
  assert_no_leaks "$ID"
}

@test "sysctl: a key the kernel does not have fails create, naming it" {
  make_bundle 'true'
  sysctl_set net.ipv4.no_such_key 1
  create_container "$ID"
  expect_error '.linux.sysctl["net.ipv4.no_such_key"]' 'No such file'
  assert_no_leaks "$ID"
}
