#!/usr/bin/env bats
# The command line: --version, --help, spec, state, list, logging, the default state root.

load helpers

RFC3339='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$'

# ---- version and help ----------------------------------------------------------------------

@test "--version" {
  run --separate-stderr "$OCIRT" --version
  expect_status 0
  [[ ${lines[0]} =~ ^ocirt\ version\ [0-9]+\.[0-9]+\.[0-9]+ ]] || fail "first line: ${lines[0]}"
  [[ ${lines[1]} == commit:* ]] || fail "second line: ${lines[1]}"
  [[ ${lines[2]} == spec:* ]] || fail "third line: ${lines[2]}"
  [[ ${lines[2]} =~ [0-9]+\.[0-9]+\.[0-9]+ ]] || fail "no spec version: ${lines[2]}"
}

@test "--help lists the global options and the commands" {
  run --separate-stderr "$OCIRT" --help
  expect_status 0
  local w
  for w in --root --log --log-format --debug --systemd-cgroup spec create start run state list kill delete; do
    [[ $output == *"$w"* ]] || fail "--help does not mention $w:" "$output"
  done
}

# help_mentions COMMAND WORD...: `ocirt COMMAND --help` exits 0 and mentions every WORD.
help_mentions() {
  local cmd=$1 w
  shift
  run --separate-stderr "$OCIRT" "$cmd" --help
  expect_status 0
  [[ $output == *"$cmd"* ]] || fail "$cmd --help does not name the command:" "$output"
  for w in "$@"; do
    [[ $output == *"$w"* ]] || fail "$cmd --help does not mention $w:" "$output"
  done
}

@test "spec --help" {
  help_mentions spec --bundle
}

@test "create --help" {
  help_mentions create --bundle --pid-file --console-socket --no-pivot --no-new-keyring --preserve-fds
}

@test "start --help" {
  help_mentions start
}

@test "run --help" {
  help_mentions run --bundle --pid-file --console-socket --no-pivot --no-new-keyring --preserve-fds --detach --keep
}

@test "state --help" {
  help_mentions state
}

@test "list --help" {
  help_mentions list --format --quiet
}

@test "kill --help" {
  help_mentions kill --all
}

@test "delete --help" {
  help_mentions delete --force
}

@test "unknown command fails with a message" {
  run --separate-stderr ocirt frobnicate
  expect_error frobnicate
}

@test "no command fails with a message" {
  run --separate-stderr "$OCIRT"
  [ "$status" -ne 0 ]
  [ -n "$output$stderr" ]
}

@test "unknown global option fails with a message" {
  run --separate-stderr ocirt --frobnicate list
  expect_error --frobnicate
}

@test "unknown command option fails with a message" {
  run --separate-stderr ocirt list --frobnicate
  expect_error --frobnicate
}

@test "missing container id fails with a message" {
  local c
  for c in start state delete kill; do
    run --separate-stderr ocirt "$c"
    [ "$status" -eq 1 ] || fail "ocirt $c without an id exited $status"
    [ -n "$stderr" ] && [[ $stderr == "ocirt: "* ]] || fail "ocirt $c: stderr: $stderr"
  done
}

# ---- spec ----------------------------------------------------------------------------------

@test "spec writes a runc-like default config.json" {
  local dir=$BATS_TEST_TMPDIR/specdir cfg
  mkdir "$dir"
  run --separate-stderr ocirt spec --bundle "$dir"
  expect_status 0
  cfg=$dir/config.json
  jq -e . "$cfg" >/dev/null || fail "config.json does not parse"
  [[ $(jq -r .ociVersion "$cfg") =~ ^1\.[0-9]+\.[0-9]+ ]]
  [ "$(jq -c .process.args "$cfg")" = '["sh"]' ]
  [ "$(jq -r .process.terminal "$cfg")" = true ]
  [ "$(jq -r .process.cwd "$cfg")" = / ]
  [ "$(jq -r .process.user.uid "$cfg")" = 0 ]
  [ "$(jq -r .root.path "$cfg")" = rootfs ]
  [ "$(jq -r .hostname "$cfg")" = ocirt ]
  local ns
  ns=$(jq -r '[.linux.namespaces[].type] | sort | join(" ")' "$cfg")
  [ "$ns" = "cgroup ipc mount network pid uts" ] || fail "namespaces: $ns"
  local m
  for m in /proc /dev /dev/pts /dev/shm /dev/mqueue /sys /sys/fs/cgroup; do
    jq -e --arg m "$m" 'any(.mounts[]; .destination == $m)' "$cfg" >/dev/null || fail "no mount on $m"
  done
  jq -e '.process.rlimits | any(.type == "RLIMIT_NOFILE" and .hard == 1024 and .soft == 1024)' "$cfg" >/dev/null
  jq -e '.process.capabilities.bounding | index("CAP_KILL")' "$cfg" >/dev/null
  jq -e '.linux.maskedPaths | length > 0' "$cfg" >/dev/null
  jq -e '.linux.readonlyPaths | length > 0' "$cfg" >/dev/null
}

@test "spec without --bundle writes to the current directory" {
  local dir=$BATS_TEST_TMPDIR/specdir
  mkdir "$dir"
  cd "$dir"
  run --separate-stderr ocirt spec
  expect_status 0
  jq -e .ociVersion "$dir/config.json" >/dev/null
}

@test "spec -b DIR" {
  local dir=$BATS_TEST_TMPDIR/specdir
  mkdir "$dir"
  run --separate-stderr ocirt spec -b "$dir"
  expect_status 0
  jq -e .ociVersion "$dir/config.json" >/dev/null
}

@test "spec refuses to overwrite an existing config.json" {
  local dir=$BATS_TEST_TMPDIR/specdir
  mkdir "$dir"
  echo '{"mine": true}' >"$dir/config.json"
  run --separate-stderr ocirt spec --bundle "$dir"
  expect_error config.json
  [ "$(cat "$dir/config.json")" = '{"mine": true}' ]
}

# ---- state ---------------------------------------------------------------------------------

@test "state: JSON with the runtime-spec fields" {
  make_bundle 'sleep 1000'
  create_ok "$ID"
  run --separate-stderr ocirt state "$ID"
  expect_status 0
  local s=$output k
  jq -e . <<<"$s" >/dev/null || fail "state does not parse:" "$s"
  for k in ociVersion id pid status bundle rootfs created owner; do
    jq -e --arg k "$k" 'has($k)' <<<"$s" >/dev/null || fail "state has no $k:" "$s"
  done
  [ "$(jq -r .id <<<"$s")" = "$ID" ]
  [ "$(jq -r .status <<<"$s")" = created ]
  [ "$(jq -r '.pid | type' <<<"$s")" = number ]
  [ "$(jq -r .pid <<<"$s")" -gt 0 ]
  [ "$(jq -r .bundle <<<"$s")" = "$(realpath "$BUNDLE")" ]
  [ "$(jq -r .rootfs <<<"$s")" = "$(realpath "$BUNDLE/rootfs")" ]
  [[ $(jq -r .created <<<"$s") =~ $RFC3339 ]] || fail "created is not RFC 3339: $(jq -r .created <<<"$s")"
  [ "$(jq -r '.owner | type' <<<"$s")" = string ]
}

@test "state: annotations from config" {
  make_bundle 'sleep 1000'
  set_config '.annotations = {"org.example.key": "value"}'
  create_ok "$ID"
  run --separate-stderr ocirt state "$ID"
  expect_status 0
  [ "$(jq -r '.annotations["org.example.key"]' <<<"$output")" = value ]
}

# ---- list ----------------------------------------------------------------------------------

@test "list: table" {
  make_bundle 'sleep 1000'
  create_ok "$ID"
  local pid
  pid=$(state_field "$ID" pid)
  run --separate-stderr ocirt list
  expect_status 0
  [ "$(tr -s ' \t' ' ' <<<"${lines[0]}" | sed 's/ *$//')" = "ID PID STATUS BUNDLE CREATED OWNER" ] ||
    fail "header: ${lines[0]}"
  [ "${#lines[@]}" -eq 2 ] || fail "expected a header and one row:" "$output"
  local -a row
  read -ra row <<<"${lines[1]}"
  [ "${row[0]}" = "$ID" ]
  [ "${row[1]}" = "$pid" ]
  [ "${row[2]}" = created ]
  [ "${row[3]}" = "$(realpath "$BUNDLE")" ]
  [[ ${row[4]} =~ $RFC3339 ]] || fail "created: ${row[4]}"
  [ "${row[5]}" = root ]
}

@test "list: table of an empty root has the header only" {
  run --separate-stderr ocirt list
  expect_status 0
  [ "${#lines[@]}" -eq 1 ]
  [ "$(tr -s ' \t' ' ' <<<"${lines[0]}" | sed 's/ *$//')" = "ID PID STATUS BUNDLE CREATED OWNER" ]
}

@test "list --format json: an array of objects with runc's keys" {
  make_bundle 'sleep 1000'
  create_ok "$ID"
  run --separate-stderr ocirt list --format json
  expect_status 0
  local j=$output
  [ "$(jq -r type <<<"$j")" = array ] || fail "not an array:" "$j"
  [ "$(jq length <<<"$j")" -eq 1 ]
  local keys
  keys=$(jq -r '.[0] | keys - ["annotations"] | join(" ")' <<<"$j")
  [ "$keys" = "bundle created id ociVersion owner pid rootfs status" ] || fail "keys: $keys"
  [ "$(jq -r '.[0].id' <<<"$j")" = "$ID" ]
  [ "$(jq -r '.[0].status' <<<"$j")" = created ]
  [ "$(jq -r '.[0].pid' <<<"$j")" = "$(state_field "$ID" pid)" ]
}

@test "list -f json of an empty root is an empty array" {
  run --separate-stderr ocirt list -f json
  expect_status 0
  [ "$(jq -c . <<<"$output")" = "[]" ] || fail "output: $output"
}

@test "list -q prints the ids only" {
  make_bundle 'sleep 1000'
  create_ok "$ID"
  create_ok "$ID-2"
  run --separate-stderr ocirt list -q
  expect_status 0
  [ "$(sort <<<"$output" | tr '\n' ' ')" = "$ID $ID-2 " ] || fail "output:" "$output"
  run --separate-stderr ocirt list --quiet
  expect_status 0
  [ "${#lines[@]}" -eq 2 ]
}

@test "list shows running and stopped containers" {
  make_bundle 'sleep 1000'
  run_detached "$ID"
  expect_status 0
  make_bundle 'true'
  run_fg --keep "$ID-2"
  expect_status 0
  run --separate-stderr ocirt list --format json
  expect_status 0
  [ "$(jq -r --arg id "$ID" '.[] | select(.id == $id) | .status' <<<"$output")" = running ]
  [ "$(jq -r --arg id "$ID-2" '.[] | select(.id == $id) | .status' <<<"$output")" = stopped ]
}

@test "list with a bad --format is refused" {
  run --separate-stderr ocirt list --format yaml
  expect_error yaml
}

# ---- logging -------------------------------------------------------------------------------

@test "--log FILE --log-format json: JSON lines, the error at level error" {
  local log=$BATS_TEST_TMPDIR/log.json
  run --separate-stderr "$OCIRT" --root "$ROOT" --log "$log" --log-format json state "$ID"
  expect_error "$ID"
  [ -s "$log" ] || fail "the log is empty"
  local line n=0
  while IFS= read -r line; do
    n=$((n + 1))
    jq -e 'type == "object" and has("level") and has("msg") and has("time")' <<<"$line" >/dev/null ||
      fail "log line $n is not a JSON object with level, msg, time:" "$line"
    [[ $(jq -r .time <<<"$line") =~ $RFC3339 ]] || fail "log line $n: time is not RFC 3339:" "$line"
  done <"$log"
  local err
  err=$(jq -r 'select(.level == "error") | .msg' "$log")
  [ -n "$err" ] || fail "no error in the log:" "$(cat "$log")"
  [[ $err == *"$ID"* ]] || fail "the logged error does not name $ID:" "$err"
  # the same message as on stderr, without the "ocirt: " prefix
  [[ $stderr == *"$err"* || "ocirt: $err" == "$stderr" ]] || fail "stderr: $stderr" "log: $err"
}

@test "--log FILE --log-format text" {
  local log=$BATS_TEST_TMPDIR/log.txt
  run --separate-stderr "$OCIRT" --root "$ROOT" --log "$log" --log-format text state "$ID"
  expect_error "$ID"
  [ -s "$log" ] || fail "the log is empty"
  grep -qF -- "$ID" "$log" || fail "the log does not name $ID:" "$(cat "$log")"
  ! jq -e . "$log" >/dev/null 2>&1 || fail "the text log is JSON:" "$(cat "$log")"
}

@test "--log FILE appends, and a good command works with it" {
  local log=$BATS_TEST_TMPDIR/log.json
  echo '{"level":"info","msg":"before","time":"2024-01-01T00:00:00Z"}' >"$log"
  run --separate-stderr "$OCIRT" --root "$ROOT" --log "$log" --log-format json list -q
  expect_status 0
  run --separate-stderr "$OCIRT" --root "$ROOT" --log "$log" --log-format json state "$ID"
  expect_status 1
  [ "$(head -n 1 "$log" | jq -r .msg)" = before ]
  jq -e 'select(.level == "error")' "$log" >/dev/null
}

@test "a bad --log-format is refused" {
  run --separate-stderr ocirt --log "$BATS_TEST_TMPDIR/log" --log-format xml list
  [ "$status" -eq 1 ]
  [[ $stderr == "ocirt: "* ]] || fail "stderr: $stderr"
  [[ $stderr == *xml* || $stderr == *log-format* ]] || fail "stderr: $stderr"
}

@test "--debug is accepted" {
  run --separate-stderr ocirt --debug list -q
  expect_status 0
}

# ---- the default root ----------------------------------------------------------------------

@test "the default root is /run/ocirt" {
  make_bundle 'sleep 1000'
  timeout 60 "$OCIRT" create --bundle "$BUNDLE" "$ID" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" </dev/null 3>&- ||
    fail "create failed: $(cat "$BATS_TEST_TMPDIR/err")"
  [ -d "/run/ocirt/$ID" ] || fail "no /run/ocirt/$ID"
  [ ! -e "$ROOT/$ID" ]
  local pid
  pid=$(timeout 60 "$OCIRT" state "$ID" | jq -r .pid)
  [ "$pid" -gt 0 ]
  run --separate-stderr timeout 60 "$OCIRT" delete --force "$ID"
  expect_status 0
  [ ! -e "/run/ocirt/$ID" ]
  assert_no_leaks "$ID" "$pid"
}
