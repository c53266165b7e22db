#!/usr/bin/env bats
# A container whose record (state.json) is missing or damaged: `state` says so in one line and
# names the way out, `list` still shows it, and `delete --force` removes all of it.

load helpers

# damage HOW: truncate or remove state.json of the running container $ID, then check the reports
# and the recovery.
damaged_record_recovers() {
  make_bundle 'exec sleep 1000'
  create_ok "$ID"
  ocirt start "$ID"
  local pid
  pid=$(state_field "$ID" pid)
  alive "$pid"
  "$@"
  run --separate-stderr ocirt state "$ID"
  expect_error "state $ID" "state.json" "delete --force $ID"
  run --separate-stderr ocirt list -f json
  expect_status 0
  [ "$(jq -r --arg id "$ID" '.[] | select(.id == $id) | .status' <<<"$output")" = stopped ] || fail "list: $output"
  run --separate-stderr ocirt delete --force "$ID"
  expect_status 0
  # the init is killed through the cgroup, the record of its pid being gone
  assert_no_leaks "$ID" "$pid"
}

@test "recovery: a truncated state.json is reported and delete --force cleans up" {
  damaged_record_recovers truncate -s 20 "$ROOT/$ID/state.json"
}

@test "recovery: an empty state.json is reported and delete --force cleans up" {
  damaged_record_recovers truncate -s 0 "$ROOT/$ID/state.json"
}

@test "recovery: a missing state.json (nobody creating) is reported and delete --force cleans up" {
  damaged_record_recovers rm "$ROOT/$ID/state.json"
}

@test "recovery: a state folder without state.json held by a running create reads as creating" {
  mkdir -p "$ROOT/$ID"
  # a create in progress holds the folder's lock
  flock "$ROOT/$ID" sleep 3 &
  local holder=$!
  sleep 0.5
  run --separate-stderr ocirt state "$ID"
  expect_status 0
  [ "$(jq -r .status <<<"$output")" = creating ]
  wait "$holder"
  run --separate-stderr ocirt state "$ID"
  expect_error "missing or damaged"
  run --separate-stderr ocirt delete "$ID"
  expect_status 0
  assert_no_leaks "$ID"
}

@test "recovery: kill with a signal number out of range is refused in one line" {
  make_bundle 'exec sleep 1000'
  create_ok "$ID"
  local s
  for s in RTMIN+9223372036854775800 RTMAX-9223372036854775800 99999999999999999999 RTMIN+31; do
    run --separate-stderr ocirt kill "$ID" "$s"
    expect_error "$s"
  done
  [ "$(state_field "$ID" status)" = created ]
}
