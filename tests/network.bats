#!/usr/bin/env bats
# network: contrib/hooks/ocirt-net-hook, `up` as a createRuntime hook and `down` as a poststop hook,
# puts containers on a bridge.  Every test owns its bridge ($BR, a name no other test uses), its
# subnet ($NET.0/24, from 10.213.0.0/16, one no route of the host uses yet) and its state dir
# ($NETSTATE): the hook makes the bridge and the veths, delete removes them, and teardown fails the
# test when any of them is left.  No NAT, no forwarding: traffic stays on the bridge.

load helpers

NET_HOOK=$(repo)/contrib/hooks/ocirt-net-hook

eval "helpers_$(declare -f setup)"
setup() {
  helpers_setup
  [ -x "$NET_HOOK" ] || fail "$NET_HOOK is not built: make"
  BR=otb${BATS_SUITE_TEST_NUMBER:-$BATS_TEST_NUMBER}x$RANDOM
  NETSTATE=$BATS_TEST_TMPDIR/net
  local try x
  for try in $(seq 1 50); do
    x=$((RANDOM % 230 + 20))
    ip -4 route show | grep -q "^10\.213\.$x\." || break
  done
  NET=10.213.$x
  ! ip link show "$BR" >/dev/null 2>&1 || fail "bridge $BR exists already"
}

eval "helpers_$(declare -f teardown)"
teardown() {
  local rc=0 problems=()
  helpers_teardown || rc=$?
  # delete ran the poststop hooks: nothing of the network may be left
  if [ -s "$NETSTATE/leases" ]; then
    problems+=("leases left: $(cat "$NETSTATE/leases")")
    awk '$1 == "lease" {print $3}' "$NETSTATE/leases" | while read -r v; do ip link del "$v" 2>/dev/null || true; done
  fi
  if ip link show "$BR" >/dev/null 2>&1; then
    problems+=("bridge $BR left, ports: $(ls "/sys/class/net/$BR/brif" 2>/dev/null | tr '\n' ' ')")
    for v in $(ls "/sys/class/net/$BR/brif" 2>/dev/null); do ip link del "$v" 2>/dev/null || true; done
    ip link del "$BR" 2>/dev/null || true
  fi
  [ ${#problems[@]} -eq 0 ] || fail "network teardown:" "${problems[@]}"
  return "$rc"
}

# net_hooks [--NAME=VALUE...]: wire the hook into $BUNDLE: `up` on this test's bridge, subnet and
# state dir (plus the given settings) as createRuntime, `down` as poststop.
net_hooks() {
  local extra
  extra=$(if [ $# -gt 0 ]; then printf '%s\n' "$@"; fi | jq -R . | jq -cs .)
  set_config --arg h "$NET_HOOK" --arg br "$BR" --arg sn "$NET.0/24" --arg sd "$NETSTATE" --argjson x "$extra" \
    '.hooks.createRuntime = [{"path": $h, "args": (["ocirt-net-hook", "up", "--bridge=" + $br, "--subnet=" + $sn,
       "--state-dir=" + $sd] + $x)}]
     | .hooks.poststop = [{"path": $h, "args": ["ocirt-net-hook", "down", "--state-dir=" + $sd]}]'
}

# annotate KEY VALUE: set an annotation (org.ocirt.net.KEY) in $BUNDLE's config
annotate() {
  set_config --arg k "org.ocirt.net.$1" --arg v "$2" '.annotations[$k] = $v'
}

# A reply server's script in $BUNDLE's rootfs: reads a line, keeps it in /got, answers "reply to LINE".
write_reply_script() {
  printf '#!/bin/sh\nread -r line\necho "$line" >/got\necho "reply to $line"\n' >"$BUNDLE/rootfs/reply.sh"
  chmod 755 "$BUNDLE/rootfs/reply.sh"
}

# wait_listen PID PORT: a TCP socket (busybox nc's is IPv6, dual stack) listens on PORT in the network namespace of PID.
wait_listen() {
  local hex deadline=$((SECONDS + 10))
  hex=$(printf '%04X' "$2")
  until awk -v p=":$hex" '$2 ~ p"$" && $4 == "0A" {f=1} END {exit !f}' "/proc/$1/net/tcp" "/proc/$1/net/tcp6" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || fail "nothing listens on port $2 in the netns of $1" || return 1
    sleep 0.1
  done
}

# lease_of ID: "VETH ADDRESS/PREFIX" of the container's lease ("" when it has none)
lease_of() {
  awk -v id="$1" '$1 == "lease" && $2 == id {print $3, $5}' "$NETSTATE/leases" 2>/dev/null
}

# ports: the links on this test's bridge, one line
ports() { ls "/sys/class/net/$BR/brif" 2>/dev/null | tr '\n' ' '; }

# in_netns PID COMMAND...: run a host command in the network namespace of PID
in_netns() { nsenter -t "$1" -n -- "${@:2}"; }

@test "network: two containers on one bridge exchange data with nc" {
  make_bundle 'exec nc -l -p 7000 -e /reply.sh'
  write_reply_script
  local server=$BUNDLE
  net_hooks
  annotate address "$NET.10"
  create_ok "$ID"
  run --separate-stderr ocirt start "$ID"
  expect_status 0
  local pid
  pid=$(state_field "$ID" pid)
  wait_listen "$pid" 7000
  # the server's side: eth0 with the static address, up, on the bridge
  in_netns "$pid" ip -4 -o addr show dev eth0 | grep -q "inet $NET.10/24 " || fail "$(in_netns "$pid" ip -o addr)"

  make_bundle "ip -4 -o addr show dev eth0; echo from-client | nc -w 5 $NET.10 7000"
  net_hooks
  run_fg "$ID-2"
  expect_status 0
  # the client got the first free address (.1 is the gateway, on the bridge)
  [[ ${lines[0]} == *"inet $NET.2/24 "* ]] || fail "client: $output"
  [ "${lines[1]}" = "reply to from-client" ] || fail "client: $output" "stderr: $stderr"
  [ "$(cat "$server/rootfs/got")" = from-client ]
  # run's delete released the client's address; the server's is still held
  [ -z "$(lease_of "$ID-2")" ]
  [ "$(lease_of "$ID" | cut -d' ' -f2)" = "$NET.10/24" ]
  [ "$(ip -br addr show dev "$BR" | awk '{print $3}')" = "$NET.1/24" ]
}

@test "network: the host reaches a container through the bridge; ifname, mtu and default route apply" {
  make_bundle 'ip -o link >/links; ip route >/routes; exec nc -l -p 7001 -e /reply.sh'
  write_reply_script
  net_hooks --default-route=true
  annotate ifname net0
  annotate mtu 1400
  create_ok "$ID"
  run --separate-stderr ocirt start "$ID"
  expect_status 0
  local pid veth addr
  pid=$(state_field "$ID" pid)
  wait_listen "$pid" 7001
  read -r veth addr < <(lease_of "$ID")
  [ "$addr" = "$NET.2/24" ] || fail "lease: $veth $addr"
  # inside: lo and net0 up, net0 at MTU 1400, the subnet and the default route via the gateway
  [ "$(grep -c ': ' "$BUNDLE/rootfs/links")" -eq 2 ] || fail "$(cat "$BUNDLE/rootfs/links")"
  grep -q '^1: lo: <LOOPBACK,UP' "$BUNDLE/rootfs/links" || fail "$(cat "$BUNDLE/rootfs/links")"
  grep -q '^2: net0@.*mtu 1400 ' "$BUNDLE/rootfs/links" || fail "$(cat "$BUNDLE/rootfs/links")"
  grep -qx "default via $NET.1 dev net0 *" "$BUNDLE/rootfs/routes" || fail "$(cat "$BUNDLE/rootfs/routes")"
  grep -q "^$NET.0/24 dev net0 .*src $NET.2" "$BUNDLE/rootfs/routes" || fail "$(cat "$BUNDLE/rootfs/routes")"
  # outside: the host end is a port of the bridge, MTU 1400
  [ "$(ports)" = "$veth " ] || fail "ports of $BR: $(ports)"
  ip -o link show dev "$veth" | grep -q "mtu 1400 .*master $BR " || fail "$(ip -o link show dev "$veth")"
  # the host, through the bridge's address
  ip -4 route get "$NET.2" | grep -q "dev $BR src $NET.1" || fail "$(ip -4 route get "$NET.2")"
  busybox ping -c 1 -W 3 "$NET.2"
  run --separate-stderr timeout 10 busybox nc -w 5 "$NET.2" 7001 <<<"from-host"
  expect_status 0
  [ "$output" = "reply to from-host" ] || fail "output: $output" "stderr: $stderr"
  [ "$(cat "$BUNDLE/rootfs/got")" = from-host ]
}

@test "network: a container without the hook has only lo" {
  make_bundle 'ip -o link'
  run_fg "$ID"
  expect_status 0
  [ "${#lines[@]}" -eq 1 ] && [[ ${lines[0]} == "1: lo: "* ]] || fail "output: $output"
  [ ! -e "$NETSTATE" ]
}

@test "network: delete removes the veth and the bridge and frees the address" {
  make_bundle 'sleep 1000'
  net_hooks --address="$NET.5"
  create_ok "$ID"
  local veth addr pid
  read -r veth addr < <(lease_of "$ID")
  [ "$addr" = "$NET.5/24" ] || fail "lease: $veth $addr"
  [ "$(ports)" = "$veth " ] || fail "ports of $BR: $(ports)"
  pid=$(state_field "$ID" pid)
  in_netns "$pid" ip -4 -o addr show dev eth0 | grep -q "inet $NET.5/24 "

  # while it lives, nobody else gets .5, and the other one leaves nothing
  create_container "$ID-2"
  expect_error "create $ID-2" 'createRuntime hook' "--address: address $NET.5 is in use by container $ID"
  assert_no_leaks "$ID-2"
  [ "$(ports)" = "$veth " ] && [ -z "$(lease_of "$ID-2")" ]

  run --separate-stderr ocirt delete --force "$ID"
  expect_status 0
  [ -z "$stderr" ] || fail "stderr: $stderr"
  ! ip link show dev "$veth" 2>/dev/null || fail "$veth still exists"
  ! ip link show dev "$BR" 2>/dev/null || fail "the bridge $BR still exists"
  [ -z "$(lease_of "$ID")" ] || fail "$(cat "$NETSTATE/leases")"

  create_ok "$ID-2"
  [ "$(lease_of "$ID-2" | cut -d' ' -f2)" = "$NET.5/24" ]
  pid=$(state_field "$ID-2" pid)
  in_netns "$pid" ip -4 -o addr show dev eth0 | grep -q "inet $NET.5/24 "
}

@test "network: ten containers created in parallel get ten different addresses" {
  make_bundle 'sleep 1000'
  net_hooks
  local i pids=() rc=0
  for i in $(seq 1 10); do
    ocirt create --bundle "$BUNDLE" "$ID-$i" </dev/null >"$BATS_TEST_TMPDIR/c$i.out" 2>&1 3>&- &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { rc=$?; echo "create $ID-$((i + 1)) exited $rc: $(cat "$BATS_TEST_TMPDIR/c$((i + 1)).out")" >&2; }
  done
  [ "$rc" -eq 0 ]
  local seen=() pid a
  for i in $(seq 1 10); do
    pid=$(state_field "$ID-$i" pid)
    a=$(in_netns "$pid" ip -4 -o addr show dev eth0 | awk '{print $4}')
    [ "$a" = "$(lease_of "$ID-$i" | cut -d' ' -f2)" ] || fail "$ID-$i has $a, lease: $(lease_of "$ID-$i")"
    seen+=("$a")
  done
  [ "$(printf '%s\n' "${seen[@]}" | sort -u | wc -l)" -eq 10 ] || fail "addresses: ${seen[*]}"
  [ "$(ports | wc -w)" -eq 10 ]
  # the host reaches every one through the bridge
  for a in "${seen[@]}"; do busybox ping -c 1 -W 3 "${a%/*}" >/dev/null || fail "no answer from $a"; done
  # (a bare `wait` would also wait for bats' own BATS_TEST_TIMEOUT timer)
  pids=()
  for i in $(seq 1 10); do
    ocirt delete --force "$ID-$i" </dev/null >/dev/null 2>&1 3>&- &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || fail "a delete --force failed"; done
  [ -z "$(ports)" ] && ! ip link show dev "$BR" 2>/dev/null
  [ ! -s "$NETSTATE/leases" ] || fail "$(cat "$NETSTATE/leases")"
}

# ---- bad input: create fails with the hook's message, nothing is left ---------------------------

# bad_create NAME VALUE MESSAGE: annotation org.ocirt.net.NAME=VALUE makes create fail with MESSAGE.
bad_create() {
  make_bundle 'true'
  net_hooks
  annotate "$1" "$2"
  create_container "$ID"
  expect_error "create $ID" 'createRuntime hook' "ocirt-net-hook up: container $ID: annotation org.ocirt.net.$1: $3"
  assert_no_leaks "$ID"
  ! ip link show dev "$BR" 2>/dev/null || fail "the bridge $BR was made"
  [ -z "$(lease_of "$ID")" ] || fail "$(cat "$NETSTATE/leases")"
}

@test "network: a bridge name with a bad character fails create" {
  bad_create bridge 'br/x' 'invalid bridge name "br/x"'
}

@test "network: a bridge name longer than 15 characters fails create" {
  bad_create bridge 'bridge-name-too-long' 'invalid bridge name "bridge-name-too-long"'
}

@test "network: an address outside the subnet fails create" {
  bad_create address 192.168.77.3 "address 192.168.77.3 is outside the subnet $NET.0/24"
}

@test "network: the subnet's broadcast address fails create" {
  bad_create address "$NET.255" "$NET.255 is the broadcast address of the subnet $NET.0/24"
}

@test "network: a subnet with host bits set fails create" {
  bad_create subnet "$NET.7/24" "subnet $NET.7/24 has host bits set (did you mean $NET.0/24?)"
}

@test "network: an mtu out of range fails create" {
  bad_create mtu 12 'invalid mtu "12"'
}

@test "network: an exhausted subnet fails create and leaves the others alone" {
  make_bundle 'sleep 1000'
  # a /30: .1 is the gateway, .2 the only address
  net_hooks --subnet="$NET.0/30"
  create_ok "$ID"
  [ "$(lease_of "$ID" | cut -d' ' -f2)" = "$NET.2/30" ]
  local before
  before=$(ports)
  create_container "$ID-2"
  expect_error "create $ID-2" 'createRuntime hook' "--subnet: subnet $NET.0/30 has no free address left on bridge $BR"
  assert_no_leaks "$ID-2"
  [ "$(ports)" = "$before" ] && [ -z "$(lease_of "$ID-2")" ]
  [ "$(grep -c '^lease ' "$NETSTATE/leases")" -eq 1 ]
}

@test "network: a container sharing the host's network namespace is refused, the host untouched" {
  make_bundle 'true'
  set_config '.linux.namespaces |= map(select(.type != "network"))'
  net_hooks
  create_container "$ID"
  expect_error "create $ID" "container $ID shares this host's network namespace"
  assert_no_leaks "$ID"
  ! ip link show dev "$BR" 2>/dev/null || fail "the bridge $BR was made"
  [ -z "$(lease_of "$ID")" ]
}

@test "network: a failure halfway (the interface name is taken) undoes the bridge, the veth and the lease" {
  make_bundle 'true'
  net_hooks --ifname=lo
  create_container "$ID"
  expect_error "create $ID" 'createRuntime hook' '`ip link add name ocn' 'File exists'
  assert_no_leaks "$ID"
  ! ip link show dev "$BR" 2>/dev/null || fail "the bridge $BR is left"
  [ -z "$(lease_of "$ID")" ] || fail "$(cat "$NETSTATE/leases")"
}

@test "network: the hook refuses a state without a pid, and bad arguments" {
  local state='{"ociVersion": "1.2.0", "id": "x1", "status": "creating", "bundle": "/"}'
  run --separate-stderr "$NET_HOOK" up --bridge="$BR" --state-dir="$NETSTATE" <<<"$state"
  [ "$status" -eq 1 ]
  [[ $stderr == "ocirt-net-hook up: container x1: the state on stdin has no pid"* ]] || fail "stderr: $stderr"
  run --separate-stderr "$NET_HOOK" up --colour=blue <<<"$state"
  [ "$status" -eq 1 ]
  [[ $stderr == *"unknown argument \`--colour=blue\`"* ]] || fail "stderr: $stderr"
  run --separate-stderr "$NET_HOOK" sideways <<<"$state"
  [ "$status" -eq 2 ]
  [[ $stderr == *"expected \`up\` or \`down\`"* ]] || fail "stderr: $stderr"
  ! ip link show dev "$BR" 2>/dev/null
  # down for a container it never set up succeeds and does nothing
  run --separate-stderr "$NET_HOOK" down --state-dir="$NETSTATE" <<<"$state"
  [ "$status" -eq 0 ] && [ -z "$stderr" ]
}

@test "network: a lease whose veth vanished (no poststop ran) is reclaimed" {
  make_bundle 'sleep 1000'
  net_hooks --address="$NET.9"
  create_ok "$ID"
  local veth addr
  read -r veth addr < <(lease_of "$ID")
  # its veth goes without a poststop (as when its netns died and ocirt never ran delete)
  ip link del "$veth"
  create_ok "$ID-2"
  [ "$(lease_of "$ID-2" | cut -d' ' -f2)" = "$NET.9/24" ] || fail "$(cat "$NETSTATE/leases")"
  [ -z "$(lease_of "$ID")" ]
  # delete of the first one runs its poststop: it must not take the address of the second
  run --separate-stderr ocirt delete --force "$ID"
  expect_status 0
  [ "$(lease_of "$ID-2" | cut -d' ' -f2)" = "$NET.9/24" ]
  in_netns "$(state_field "$ID-2" pid)" ip -4 -o addr show dev eth0 | grep -q "inet $NET.9/24 "
}

@test "network: a bridge the hook did not make is only attached to, and stays after delete" {
  ip link add name "$BR" type bridge
  make_bundle 'sleep 1000'
  net_hooks
  create_ok "$ID"
  local veth addr
  read -r veth addr < <(lease_of "$ID")
  [ "$(ports)" = "$veth " ]
  # no gateway address was added to it, and it was not brought up
  [ -z "$(ip -4 -o addr show dev "$BR")" ] || fail "$(ip -4 -o addr show dev "$BR")"
  ! grep -q '^bridge ' "$NETSTATE/leases"
  run --separate-stderr ocirt delete --force "$ID"
  expect_status 0
  ip link show dev "$BR" >/dev/null
  [ -z "$(ports)" ] && [ -z "$(lease_of "$ID")" ]
  ip link del "$BR"
}

@test "network: the config.json snippet of contrib/hooks/README.md works as documented" {
  local doc=${OCIRT_SRCDIR:-$BATS_TEST_DIRNAME/..}/contrib/hooks/README.md snippet
  snippet=$(awk '/^```json$/ {inside = 1; next} inside && /^```$/ {exit} inside' "$doc")
  jq -e '.hooks.createRuntime[0].args[1] == "up" and .hooks.poststop[0].args[1] == "down"' <<<"$snippet"
  # this test's hook, bridge, subnet and state dir in place of the installed ones
  snippet=$(sed -e "s|/usr/local/libexec/ocirt/ocirt-net-hook|$NET_HOOK|" -e "s|ocirt0|$BR|" \
    -e "s|10\.89\.0\.|$NET.|g" <<<"$snippet" |
    jq --arg sd "--state-dir=$NETSTATE" '.hooks[][].args += [$sd]')
  make_bundle 'ip -4 -o addr show dev eth0; ip route'
  set_config --argjson s "$snippet" '. * $s'
  run_fg "$ID"
  expect_status 0
  [[ ${lines[0]} == *"inet $NET.20/24 "* ]] || fail "output: $output" "stderr: $stderr"
  grep -qx "default via $NET.1 dev eth0 *" <<<"$output" || fail "output: $output"
  # run's delete ran the poststop hook
  [ -z "$(lease_of "$ID")" ] && ! ip link show dev "$BR" 2>/dev/null
}

@test "network: a second subnet on a bridge the hook made for another fails create" {
  make_bundle 'sleep 1000'
  net_hooks
  create_ok "$ID"
  annotate subnet 10.213.0.0/16
  create_container "$ID-2"
  expect_error "create $ID-2" "annotation org.ocirt.net.subnet: bridge $BR serves the subnet $NET.0/24, not 10.213.0.0/16"
  assert_no_leaks "$ID-2"
  [ "$(ports | wc -w)" -eq 1 ] && [ -z "$(lease_of "$ID-2")" ]
}

@test "network: with --annotations=false the container's annotations are ignored" {
  make_bundle 'ip -4 -o addr show dev eth0'
  net_hooks --annotations=false
  annotate address "$NET.30"
  annotate bridge 'not/a/bridge'
  run_fg "$ID"
  expect_status 0
  [[ ${lines[0]} == *"inet $NET.2/24 "* ]] || fail "output: $output" "stderr: $stderr"
}
