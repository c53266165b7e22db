#!/usr/bin/env bats
# One malformed or unsafe config.json per test.  Each one: `ocirt create` exits 1, prints exactly one
# line on stderr, starting with "ocirt: " and naming the field (its JSON path) or the file, and leaves
# nothing behind (state directory, cgroups, mounts).
#
# The messages look like
#   ocirt: create ID: config.json: .process.user.uid: expected an unsigned 32-bit integer, got "root"
# and the tests check the JSON path or file path and a key word, not the whole text.

load helpers

# expect_create_error WHERE KEYWORD
#   WHERE    a fixed string the message must contain; "A|B" means A or B
#   KEYWORD  an extended regular expression the message must match, in any case
expect_create_error() {
  create_container "$ID"
  [ "$status" -eq 1 ] || fail "expected exit status 1, got $status" "stderr: $stderr"
  [ -n "$stderr" ] || fail "nothing on stderr"
  local n
  n=$(wc -l <<<"$stderr")
  [ "$n" -eq 1 ] || fail "expected one line on stderr, got $n:" "$stderr"
  [[ $stderr == "ocirt: "* ]] || fail "stderr does not start with 'ocirt: ':" "$stderr"
  local alts alt found=0
  IFS='|' read -ra alts <<<"$1"
  for alt in "${alts[@]}"; do
    [[ $stderr == *"$alt"* ]] && found=1
  done
  [ "$found" -eq 1 ] || fail "the message does not name '$1':" "$stderr"
  grep -qiE -- "$2" <<<"$stderr" || fail "the message does not match /$2/:" "$stderr"
  [ ! -e "$BUNDLE/rootfs/started" ] || fail "the program ran"
  assert_no_leaks "$ID"
}

# the index of namespace type $1 in the config
ns_index() {
  jq --arg t "$1" '.linux.namespaces | map(.type) | index($t)' "$BUNDLE/config.json"
}

# ---- not JSON, or not a config -------------------------------------------------------------

@test "invalid JSON: truncated" {
  make_bundle 'touch /started'
  head -c 100 "$BUNDLE/config.json" >"$BUNDLE/c" && mv "$BUNDLE/c" "$BUNDLE/config.json"
  expect_create_error config.json 'invalid JSON'
}

@test "invalid JSON: trailing garbage" {
  make_bundle 'touch /started'
  echo '} garbage' >>"$BUNDLE/config.json"
  expect_create_error config.json 'invalid JSON|trailing|garbage'
}

@test "invalid JSON: empty file" {
  make_bundle 'touch /started'
  : >"$BUNDLE/config.json"
  expect_create_error config.json 'invalid JSON|empty'
}

@test "config.json is not an object" {
  make_bundle 'touch /started'
  echo '["ociVersion", "1.2.0"]' >"$BUNDLE/config.json"
  expect_create_error config.json 'object'
}

@test "config.json is missing" {
  make_bundle 'touch /started'
  rm "$BUNDLE/config.json"
  expect_create_error config.json 'No such file'
}

@test "config.json is a directory" {
  make_bundle 'touch /started'
  rm "$BUNDLE/config.json"
  mkdir "$BUNDLE/config.json"
  expect_create_error config.json 'directory'
}

@test "bundle not found" {
  BUNDLE=$BATS_TEST_TMPDIR/no-such-bundle
  expect_create_error no-such-bundle 'No such file|not found|not exist'
}

@test "deeply nested JSON is refused, not a crash" {
  make_bundle 'touch /started'
  local depth=100000
  {
    printf '{"nested": '
    head -c "$depth" /dev/zero | tr '\0' '['
    head -c "$depth" /dev/zero | tr '\0' ']'
    printf ', '
    tail -c +2 "$BUNDLE/config.json"
  } >"$BUNDLE/c" && mv "$BUNDLE/c" "$BUNDLE/config.json"
  expect_create_error config.json 'deep|depth|nest|invalid JSON'
}

# ---- wrong types ---------------------------------------------------------------------------

@test "wrong type: .process.user.uid a string" {
  make_bundle 'touch /started'
  set_config '.process.user.uid = "root"'
  expect_create_error .process.user.uid 'expected|integer'
}

@test "wrong type: .process.user.uid negative" {
  make_bundle 'touch /started'
  set_config '.process.user.uid = -1'
  expect_create_error .process.user.uid 'expected|unsigned|range'
}

@test "wrong type: .process.user.uid 4294967296 (over 32 bits)" {
  make_bundle 'touch /started'
  set_config '.process.user.uid = 4294967296'
  expect_create_error .process.user.uid 'unsigned 32-bit|range|4294967296'
}

@test "wrong type: .process.user.gid a float" {
  make_bundle 'touch /started'
  set_config '.process.user.gid = 1.5'
  expect_create_error .process.user.gid 'expected|integer'
}

@test "wrong type: .process.args a string" {
  make_bundle 'touch /started'
  set_config '.process.args = "sh -c true"'
  expect_create_error .process.args 'expected|array'
}

@test "wrong type: .process.args[1] a number" {
  make_bundle 'touch /started'
  set_config '.process.args = ["sh", 1]'
  expect_create_error '.process.args[1]' 'expected|string'
}

@test "wrong type: .process.terminal a string" {
  make_bundle 'touch /started'
  set_config '.process.terminal = "false"'
  expect_create_error .process.terminal 'expected|bool'
}

@test "wrong type: .process.env not an array of strings" {
  make_bundle 'touch /started'
  set_config '.process.env = ["PATH=/bin", 5]'
  expect_create_error '.process.env[1]' 'expected|string'
}

@test "wrong type: .mounts not an array" {
  make_bundle 'touch /started'
  set_config '.mounts = {"destination": "/proc"}'
  expect_create_error .mounts 'expected|array'
}

@test "wrong type: .linux.namespaces[0] not an object" {
  make_bundle 'touch /started'
  set_config '.linux.namespaces[0] = "pid"'
  expect_create_error '.linux.namespaces[0]' 'expected|object'
}

@test "wrong type: .linux.namespaces not an array" {
  make_bundle 'touch /started'
  set_config '.linux.namespaces = "pid"'
  expect_create_error .linux.namespaces 'expected|array'
}

@test "wrong type: .process.rlimits[0].hard negative" {
  make_bundle 'touch /started'
  set_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "hard": -1, "soft": 1024}]'
  expect_create_error '.process.rlimits[0].hard' 'expected|unsigned|range'
}

@test "wrong type: .process.oomScoreAdj a string" {
  make_bundle 'touch /started'
  set_config '.process.oomScoreAdj = "100"'
  expect_create_error .process.oomScoreAdj 'expected|integer'
}

@test "wrong type: .hostname a number" {
  make_bundle 'touch /started'
  set_config '.hostname = 42'
  expect_create_error .hostname 'expected|string'
}

@test "wrong type: .linux.resources.memory.limit a string" {
  make_bundle 'touch /started'
  set_config '.linux.resources.memory.limit = "1G"'
  expect_create_error .linux.resources.memory.limit 'expected|integer'
}

@test "wrong type: .annotations value not a string" {
  make_bundle 'touch /started'
  set_config '.annotations = {"org.example.n": 1}'
  expect_create_error .annotations 'expected|string'
}

# ---- required fields missing ---------------------------------------------------------------

@test "missing: .ociVersion" {
  make_bundle 'touch /started'
  set_config 'del(.ociVersion)'
  expect_create_error .ociVersion 'required|missing'
}

@test "missing: .process" {
  make_bundle 'touch /started'
  set_config 'del(.process)'
  expect_create_error .process 'required|missing'
}

@test "missing: .process.cwd" {
  make_bundle 'touch /started'
  set_config 'del(.process.cwd)'
  expect_create_error .process.cwd 'required|missing'
}

@test "missing: .process.user" {
  make_bundle 'touch /started'
  set_config 'del(.process.user)'
  expect_create_error .process.user 'required|missing'
}

@test "missing: .root" {
  make_bundle 'touch /started'
  set_config 'del(.root)'
  expect_create_error .root 'required|missing'
}

@test "missing: .root.path" {
  make_bundle 'touch /started'
  set_config 'del(.root.path)'
  expect_create_error .root.path 'required|missing'
}

@test "missing: .mounts[].destination" {
  make_bundle 'touch /started'
  set_config 'del(.mounts[0].destination)'
  expect_create_error '.mounts[0].destination' 'required|missing'
}

@test "missing: .linux.namespaces[].type" {
  make_bundle 'touch /started'
  set_config 'del(.linux.namespaces[0].type)'
  expect_create_error '.linux.namespaces[0].type' 'required|missing'
}

@test "missing: .hooks.createRuntime[].path" {
  make_bundle 'touch /started'
  set_config '.hooks = {"createRuntime": [{"args": ["hook"]}]}'
  expect_create_error '.hooks.createRuntime[0].path' 'required|missing'
}

@test "missing: .process.rlimits[].type" {
  make_bundle 'touch /started'
  set_config '.process.rlimits = [{"hard": 10, "soft": 10}]'
  expect_create_error '.process.rlimits[0].type' 'required|missing'
}

# ---- the root filesystem -------------------------------------------------------------------

@test "root.path does not exist" {
  make_bundle 'touch /started'
  set_config '.root.path = "no-such-rootfs"'
  expect_create_error 'no-such-rootfs|.root.path' 'No such file|not exist|not found'
}

@test "root.path is a regular file" {
  make_bundle 'touch /started'
  echo hi >"$BUNDLE/rootfs-file"
  set_config '.root.path = "rootfs-file"'
  expect_create_error 'rootfs-file|.root.path' 'not a directory'
}

# ---- namespaces ----------------------------------------------------------------------------

@test "unknown namespace type" {
  make_bundle 'touch /started'
  set_config '.linux.namespaces[1].type = "foo"'
  expect_create_error '.linux.namespaces[1].type' 'unknown namespace type'
}

@test "duplicate namespace type" {
  make_bundle 'touch /started'
  local n
  n=$(jq '.linux.namespaces | length' "$BUNDLE/config.json")
  set_config '.linux.namespaces += [{"type": "pid"}]'
  expect_create_error ".linux.namespaces[$n]" 'duplicate|twice|more than once|already'
}

@test "namespace path that does not exist" {
  make_bundle 'touch /started'
  local i
  i=$(ns_index network)
  [ "$i" != null ]
  set_config --arg p "$BATS_TEST_TMPDIR/no-such-netns" ".linux.namespaces[$i].path = \$p"
  expect_create_error "no-such-netns|.linux.namespaces[$i].path" 'No such file|not exist|not found'
}

@test "hostname without a uts namespace" {
  make_bundle 'touch /started'
  set_config '.hostname = "box" | .linux.namespaces |= map(select(.type != "uts"))'
  expect_create_error .hostname 'uts'
}

@test "hostname longer than 64 characters" {
  make_bundle 'touch /started'
  set_config --arg h "$(printf 'h%.0s' {1..65})" '.hostname = $h'
  expect_create_error .hostname '64|long'
}

@test "user namespace: id mapping of size 0" {
  make_bundle 'touch /started'
  set_config '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 0}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
  expect_create_error '.linux.uidMappings[0].size' 'zero|positive|at least|greater|must|invalid|empty|non-?zero|cannot|can.t'
}

# ---- process -------------------------------------------------------------------------------

@test "process.args empty" {
  make_bundle 'touch /started'
  set_config '.process.args = []'
  expect_create_error .process.args 'empty|at least|required|missing'
}

@test "process.cwd relative" {
  make_bundle 'touch /started'
  set_config '.process.cwd = "tmp"'
  expect_create_error .process.cwd 'absolute|relative'
}

@test "rlimit soft greater than hard" {
  make_bundle 'touch /started'
  set_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "hard": 100, "soft": 200}]'
  expect_create_error '.process.rlimits[0]' 'soft'
}

@test "unknown rlimit type" {
  make_bundle 'touch /started'
  set_config '.process.rlimits = [{"type": "RLIMIT_NOPE", "hard": 10, "soft": 10}]'
  expect_create_error '.process.rlimits[0].type' 'RLIMIT_NOPE'
}

@test "oomScoreAdj out of range (5000)" {
  make_bundle 'touch /started'
  set_config '.process.oomScoreAdj = 5000'
  expect_create_error .process.oomScoreAdj '5000|range|1000'
}

@test "unsupported ociVersion major (2.0.0)" {
  make_bundle 'touch /started'
  set_config '.ociVersion = "2.0.0"'
  expect_create_error .ociVersion '2\.0\.0|unsupported|not supported'
}

# ---- mounts --------------------------------------------------------------------------------

@test "mount destination relative" {
  make_bundle 'touch /started'
  local n
  n=$(jq '.mounts | length' "$BUNDLE/config.json")
  set_config '.mounts += [{"destination": "relative/dir", "type": "tmpfs", "source": "tmpfs"}]'
  expect_create_error ".mounts[$n].destination" 'absolute|relative'
}

@test "mount of an unknown filesystem type names the destination" {
  # The mount fails in the container's child process: its error must still reach the user, as one line.
  make_bundle 'touch /started'
  set_config '.mounts += [{"destination": "/nosuchfs-mnt", "type": "nosuchfs", "source": "none"}]'
  expect_create_error /nosuchfs-mnt 'nosuchfs|no such device|mount'
}

# ---- the executable ------------------------------------------------------------------------

@test "executable not found in the rootfs" {
  make_bundle 'touch /started'
  set_config '.process.args = ["no-such-program", "arg"]'
  expect_create_error no-such-program 'executable file not found'
}

@test "executable: absolute path that does not exist" {
  make_bundle 'touch /started'
  set_config '.process.args = ["/no/such/program"]'
  expect_create_error /no/such/program 'not found|no such file'
}

@test "executable: not executable" {
  make_bundle 'touch /started'
  set_config '.process.args = ["/etc/passwd"]'
  expect_create_error /etc/passwd 'permission denied|not executable|executable'
}

@test "a config with more mounts or seccomp syscall names than ocirt takes is refused at once" {
  make_bundle true
  set_config '.mounts = [range(5000) | {destination: "/m\(.)", type: "tmpfs", source: "t"}]'
  create_container "$ID"
  expect_error ".mounts: 5000 entries, more than the 4096"
  assert_no_leaks "$ID"
  make_bundle true
  set_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: [range(5000) | "mkdir"], action: "SCMP_ACT_ERRNO"}]}'
  create_container "$ID"
  expect_error ".linux.seccomp.syscalls: 5000 syscall names"
  assert_no_leaks "$ID"
}

@test "a relative root.path that climbs out of the bundle is refused" {
  make_bundle true
  set_config '.root.path = "../../elsewhere"'
  create_container "$ID"
  expect_error ".root.path: \`../../elsewhere\` leaves the bundle"
  assert_no_leaks "$ID"
}
