#!/usr/bin/env bats
# process.terminal (--console-socket, and a foreground run's own terminal), ocirt-recvtty,
# LISTEN_FDS and --preserve-fds, and bundles written by `runc spec` and `crun spec`.
#
# The interactive tests talk to a real shell on the container's pty: its input is a fifo held open
# on fd $TTY_IN (send writes a line there), its output collects in $TTY_OUT (wait_for_output polls
# it, bounded).  Two ways in:
#   - console socket: ocirt-recvtty listens on $SOCK with the fifo as its stdin and $TTY_OUT as its
#     stdout; `ocirt run --detach --console-socket $SOCK` sends it the container's master;
#   - foreground: `script` (bsdutils) gives ocirt a pty of its own as stdio, and ocirt proxies it.
# Every wait is bounded; recvtty and script run under `timeout`.

load helpers

RECVTTY=${OCIRT_RECVTTY:-$(dirname "$OCIRT")/ocirt-recvtty}

# The helpers' teardown, run after ours has stopped the background programs of this file.
eval "helpers_$(declare -f teardown)"
teardown() {
  if [ -n "${TTY_IN:-}" ]; then exec {TTY_IN}>&-; fi
  if [ -n "${BG_PID:-}" ]; then kill "$BG_PID" 2>/dev/null || true; fi
  helpers_teardown
}

# _open_fifo: the fifo of the input, open read-write on $TTY_IN (so opening it never blocks, and its
# reader never sees EOF while the test runs); $TTY_OUT for the output.
_open_fifo() {
  TTY_FIFO=$BATS_TEST_TMPDIR/tty.in
  TTY_OUT=$BATS_TEST_TMPDIR/tty.out
  mkfifo "$TTY_FIFO"
  exec {TTY_IN}<>"$TTY_FIFO"
}

# start_recvtty [OPTIONS...]: ocirt-recvtty on $SOCK in the background ($BG_PID); returns once the
# socket accepts connections (recvtty writes its pid file after listen).
start_recvtty() {
  SOCK=$BATS_TEST_TMPDIR/tty.sock
  RECVTTY_PIDFILE=$BATS_TEST_TMPDIR/recvtty.pid
  _open_fifo
  timeout --kill-after=5 60 "$RECVTTY" --pid-file "$RECVTTY_PIDFILE" "$@" "$SOCK" \
    <"$TTY_FIFO" >"$TTY_OUT" 2>"$BATS_TEST_TMPDIR/recvtty.err" 3>&- {TTY_IN}>&- &
  BG_PID=$!
  wait_for_file "$RECVTTY_PIDFILE" 10
}

# start_script COMMAND: COMMAND run by `script` on a pty of its own, in the background ($BG_PID).
start_script() {
  _open_fifo
  timeout --kill-after=5 60 script -qefc "$1" /dev/null <"$TTY_FIFO" >"$TTY_OUT" 2>&1 3>&- {TTY_IN}>&- &
  BG_PID=$!
}

# send LINE: type LINE and Enter on the terminal.
send() { printf '%s\n' "$1" >&"$TTY_IN"; }

# wait_for_output REGEX [SECONDS]: a line of the terminal's output matches (extended regex).
wait_for_output() {
  local deadline=$((SECONDS + ${2:-10}))
  until tr -d '\r' <"$TTY_OUT" | grep -qE -- "$1"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "no output matching '$1' within ${2:-10}s; the terminal showed:" \
      "$(cat -v "$TTY_OUT")" || return 1
    sleep 0.1
  done
}

# wait_bg [SECONDS]: the background program exits; its status in $status.
wait_bg() {
  local deadline=$((SECONDS + ${1:-10}))
  while kill -0 "$BG_PID" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || fail "the background program did not exit within ${1:-10}s:" \
      "$(cat -v "$TTY_OUT")" || return 1
    sleep 0.1
  done
  status=0
  wait "$BG_PID" || status=$?
  BG_PID=
}

# terminal_bundle [ARGS-JSON]: a bundle whose process runs on a terminal of 33 rows, 111 columns.
terminal_bundle() {
  make_bundle
  set_config --argjson args "${1:-[\"sh\"]}" \
    '.process.terminal = true | .process.args = $args | .process.consoleSize = {"height": 33, "width": 111}'
}

# ---- the console socket -------------------------------------------------------------------------

@test "terminal: an interactive shell through --console-socket and ocirt-recvtty" {
  terminal_bundle
  start_recvtty
  run_detached --console-socket "$SOCK" "$ID"
  expect_status 0
  # the shell answers what we type
  send 'echo $((6 * 7))'
  wait_for_output '^42$'
  # its stdio is the pty of the container's own devpts, of consoleSize
  send 'tty'
  wait_for_output '^/dev/pts/0$'
  send 'stty size'
  wait_for_output '^33 111$'
  # a session of its own (pid 1 leads it) with the pty as controlling terminal: tty_nr 136:0
  send 'awk "{ print \"session=\" \$6 \" tty_nr=\" \$7 }" /proc/1/stat; echo hi >/dev/tty && echo ctty-$((1 + 1))'
  wait_for_output '^session=1 tty_nr=34816$'
  wait_for_output '^ctty-2$'
  # /dev/console is the same pty
  send '[ "$(stat -c %d:%i /dev/console)" = "$(stat -c %d:%i /dev/pts/0)" ] && echo console-$((2 + 3))'
  wait_for_output '^console-5$'
  # from the host: the master recvtty holds is not of the host's devpts
  local pid f found=
  pid=$(cat "$RECVTTY_PIDFILE")
  for f in /proc/"$pid"/fd/*; do
    [[ $(readlink "$f") == *ptmx ]] && found=$f
  done
  [ -n "$found" ] || fail "ocirt-recvtty holds no pty master:" "$(ls -l /proc/"$pid"/fd)"
  [ "$(stat -L -c %d "$found")" != "$(stat -c %d /dev/pts/ptmx)" ] || fail "the pty is the host's"
  # exit: the container stops, recvtty sees the terminal close and exits 0
  send 'exit 7'
  wait_bg 10
  [ "$status" -eq 0 ] || fail "ocirt-recvtty exited $status: $(cat "$BATS_TEST_TMPDIR/recvtty.err")"
  wait_for_status "$ID" stopped
  run --separate-stderr ocirt delete "$ID"
  expect_status 0
  assert_no_leaks "$ID"
}

@test "terminal: create --console-socket sends the master during create; the program starts with start" {
  terminal_bundle '["sh", "-c", "echo started-$((3 * 3)); sleep 1000"]'
  start_recvtty
  create_ok --console-socket "$SOCK" "$ID"
  # recvtty already holds the master: its pid file's process has a ptmx open
  local pid f found=
  pid=$(cat "$RECVTTY_PIDFILE")
  for f in /proc/"$pid"/fd/*; do
    [[ $(readlink "$f") == *ptmx ]] && found=$f
  done
  [ -n "$found" ] || fail "no master received by the end of create"
  sleep 0.3
  ! tr -d '\r' <"$TTY_OUT" | grep -q started- || fail "the program ran before start"
  run --separate-stderr ocirt start "$ID"
  expect_status 0
  wait_for_output '^started-9$'
  run --separate-stderr ocirt delete --force "$ID"
  expect_status 0
  wait_bg 10
  assert_no_leaks "$ID"
}

@test "ocirt-recvtty --mode null drains the terminal; --help shows its usage" {
  run "$RECVTTY" --help
  [ "$status" -eq 0 ]
  [[ $output == *"Usage: ocirt-recvtty"* && $output == *"--mode"* && $output == *null* ]]

  # a program that writes more than a pty buffer holds would block unless someone reads it
  terminal_bundle '["sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i + 1)); done; touch /drained; sleep 1000"]'
  start_recvtty --mode null
  run_detached --console-socket "$SOCK" "$ID"
  expect_status 0
  wait_for_file "$BUNDLE/rootfs/drained" 15
  [ ! -s "$TTY_OUT" ] || fail "null mode printed:" "$(head -c 300 "$TTY_OUT")"
  run --separate-stderr ocirt delete --force "$ID"
  expect_status 0
  assert_no_leaks "$ID"
}

# ---- the foreground run's own terminal ------------------------------------------------------------

@test "terminal: run in the foreground proxies its stdio to the pty, raw while it runs, restored after" {
  terminal_bundle '["sh", "-c", "tty; stty size; read -r line; echo \"got:$line\"; exit 3"]'
  start_script "stty -g >$BATS_TEST_TMPDIR/before; $(printf '%q ' timeout --foreground 20 "$OCIRT" --root "$ROOT" run --bundle "$BUNDLE" "$ID"); echo \"rc=\$?\"; stty -g >$BATS_TEST_TMPDIR/after"
  wait_for_output '^/dev/pts/0$' 15
  wait_for_output '^33 111$'
  send hello
  wait_for_output '^got:hello$'
  wait_for_output '^rc=3$'
  wait_bg 10
  # ocirt's terminal was raw: only the container's pty echoed the line, once
  [ "$(tr -d '\r' <"$TTY_OUT" | grep -cx hello)" -eq 1 ] || fail "the input was echoed twice:" "$(cat -v "$TTY_OUT")"
  # and is as it was after
  [ -s "$BATS_TEST_TMPDIR/after" ]
  [ "$(cat "$BATS_TEST_TMPDIR/before")" = "$(cat "$BATS_TEST_TMPDIR/after")" ]
  assert_no_leaks "$ID"
}

@test "terminal: run in the foreground gives the pty the size of ocirt's terminal" {
  terminal_bundle '["sh", "-c", "stty size"]'
  start_script "stty rows 50 cols 100; $(printf '%q ' timeout --foreground 20 "$OCIRT" --root "$ROOT" run --bundle "$BUNDLE" "$ID"); echo \"rc=\$?\""
  wait_for_output '^rc=0$' 15
  wait_for_output '^50 100$'
  wait_bg 10
  assert_no_leaks "$ID"
}

@test "terminal: run in the foreground with stdin not a terminal still runs the program on a pty" {
  terminal_bundle '["sh", "-c", "tty; cat; echo eof-$((1 + 1))"]'
  # stdin is a pipe: its bytes reach the pty (no raw mode to set); ^D ends cat on the pty
  run --separate-stderr ocirt run --bundle "$BUNDLE" "$ID" 3>&- < <(printf 'piped\n\004')
  expect_status 0
  [[ $(tr -d '\r' <<<"$output") == *"/dev/pts/0"*"piped"*"eof-2"* ]] || fail "output:" "$output"
  assert_no_leaks "$ID"
}

@test "terminal: run in the foreground survives a reader of its stdout that goes away" {
  # shellcheck disable=SC2016 # expanded inside the container
  terminal_bundle '["sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i + 1)); done; exit 6"]'
  # shellcheck disable=SC2016 # expanded by the inner bash
  run bash -c 'timeout 20 "$0" --root "$1" run --bundle "$2" "$3" </dev/null 3>&- | head -c 5 >/dev/null
    echo "status ${PIPESTATUS[0]}"' "$OCIRT" "$ROOT" "$BUNDLE" "$ID"
  [ "$output" = "status 6" ] || fail "$output"
  assert_no_leaks "$ID"
}

# ---- errors leave nothing behind --------------------------------------------------------------------

@test "terminal: --console-socket that does not exist is refused, naming the path" {
  terminal_bundle
  create_container --console-socket "$BATS_TEST_TMPDIR/missing.sock" "$ID"
  expect_error "--console-socket" "$BATS_TEST_TMPDIR/missing.sock" "No such file"
  assert_no_leaks "$ID"
}

@test "terminal: --console-socket that is not a socket is refused" {
  terminal_bundle
  touch "$BATS_TEST_TMPDIR/plain"
  run_detached --console-socket "$BATS_TEST_TMPDIR/plain" "$ID"
  expect_error "--console-socket" "$BATS_TEST_TMPDIR/plain" "not a unix socket"
  assert_no_leaks "$ID"
}

@test "terminal: a terminal without --console-socket is refused by create and run --detach" {
  terminal_bundle
  create_container "$ID"
  expect_error ".process.terminal" "--console-socket"
  assert_no_leaks "$ID"
  run_detached "$ID"
  expect_error ".process.terminal" "--console-socket"
  assert_no_leaks "$ID"
}

@test "terminal: --console-socket without process.terminal is refused" {
  make_bundle 'true'
  start_recvtty
  create_container --console-socket "$SOCK" "$ID"
  expect_error "--console-socket" ".process.terminal is false"
  assert_no_leaks "$ID"
}

@test "terminal: a container without its own devpts gets no terminal: create fails and cleans up" {
  terminal_bundle
  set_config 'del(.mounts[] | select(.destination == "/dev/pts"))'
  start_recvtty
  create_container --console-socket "$SOCK" "$ID"
  expect_error "/dev/ptmx"
  assert_no_leaks "$ID"
  # the connection closed with no terminal in it: recvtty says so
  wait_bg 10
  [ "$status" -eq 1 ]
  grep -q "closed the socket" "$BATS_TEST_TMPDIR/recvtty.err" || fail "recvtty: $(cat "$BATS_TEST_TMPDIR/recvtty.err")"
}

# ---- LISTEN_FDS and --preserve-fds ------------------------------------------------------------------

# run_activated LISTEN_FDS LISTEN_PID-OR-"self" [RUN-OPTIONS...]: `ocirt run` with socket activation's
# variables; "self" makes LISTEN_PID ocirt's own pid (bash execs ocirt, keeping its pid).
run_activated() {
  local fds=$1 lpid=$2
  shift 2
  # shellcheck disable=SC2016 # expanded by the inner bash
  run --separate-stderr timeout --kill-after=5 20 bash -c '
    fds=$1 lpid=$2; shift 2
    [ "$lpid" = self ] && lpid=$$
    LISTEN_FDS=$fds LISTEN_PID=$lpid exec "$@"' _ "$fds" "$lpid" "$OCIRT" --root "$ROOT" run --bundle "$BUNDLE" "$@"
}

@test "LISTEN_FDS: fds 3.. reach the container with LISTEN_FDS=N and LISTEN_PID=1; --preserve-fds follow them" {
  # shellcheck disable=SC2016 # expanded inside the container
  make_bundle 'echo "fds: $(ls /proc/self/fd | sort -n | tr "\n" " ")"; echo "env: $LISTEN_FDS $LISTEN_PID"; cat <&3; cat <&4; cat <&5'
  echo three >"$BATS_TEST_TMPDIR/three"
  echo four >"$BATS_TEST_TMPDIR/four"
  echo five >"$BATS_TEST_TMPDIR/five"
  run_activated 2 self --preserve-fds 1 "$ID" </dev/null 3<"$BATS_TEST_TMPDIR/three" 4<"$BATS_TEST_TMPDIR/four" 5<"$BATS_TEST_TMPDIR/five"
  expect_status 0
  # ls's own fd to read the folder is 6
  [ "${lines[0]}" = "fds: 0 1 2 3 4 5 6 " ] || fail "$output"
  [ "${lines[1]}" = "env: 2 1" ] || fail "$output"
  [ "${lines[2]}" = three ] && [ "${lines[3]}" = four ] && [ "${lines[4]}" = five ] || fail "$output"
  assert_no_leaks "$ID"
}

@test "LISTEN_FDS: a config's own LISTEN_FDS / LISTEN_PID are replaced, not duplicated" {
  make_bundle 'env | grep ^LISTEN_ | sort'
  set_config '.process.env += ["LISTEN_FDS=9", "LISTEN_PID=42"]'
  run_activated 1 self "$ID" </dev/null 3</dev/null
  expect_status 0
  [ "$output" = $'LISTEN_FDS=1\nLISTEN_PID=1' ] || fail "$output"
}

@test "LISTEN_FDS: meant for another process (LISTEN_PID not ocirt's) they are not passed" {
  # shellcheck disable=SC2016 # expanded inside the container
  make_bundle 'echo "fds: $(ls /proc/self/fd | sort -n | tr "\n" " ")"; echo "env: ${LISTEN_FDS:-none}"'
  run_activated 2 1 "$ID" </dev/null 3</dev/null 4</dev/null
  expect_status 0
  [ "${lines[0]}" = "fds: 0 1 2 3 " ] || fail "$output"
  [ "${lines[1]}" = "env: none" ] || fail "$output"
}

@test "LISTEN_FDS and --preserve-fds: an fd that is not open is refused, nothing left behind" {
  make_bundle 'true'
  run_activated 2 self "$ID" </dev/null 3</dev/null 4>&-
  expect_error "LISTEN_FDS=2" "fd 4 is not open"
  assert_no_leaks "$ID"
  run --separate-stderr ocirt run --preserve-fds 1 --bundle "$BUNDLE" "$ID" </dev/null 3>&-
  expect_error "--preserve-fds 1" "fd 3 is not open"
  assert_no_leaks "$ID"
}

# ---- bundles of runc and crun ------------------------------------------------------------------------

# spec_bundle RUNTIME: a bundle whose config.json is `RUNTIME spec`'s, unchanged, with our rootfs.
spec_bundle() {
  command -v "$1" >/dev/null || fail "$1 is not installed (contrib/install-deps.sh installs it)"
  make_bundle
  rm "$BUNDLE/config.json"
  (cd "$BUNDLE" && "$1" spec) || fail "$1 spec failed"
  # the test drives the interactive `sh` the spec asks for: nothing in config.json is replaced
  [ "$(jq -c '[.process.terminal, .process.args, .root.readonly]' "$BUNDLE/config.json")" = '[true,["sh"],true]' ]
}

# check_spec_shell HOSTNAME: the shell of a runc/crun default config, asked what that config promises.
check_spec_shell() {
  send 'tty; hostname; id -u; touch /x 2>/dev/null || echo rootfs-ro-$((1 + 1))'
  wait_for_output '^/dev/pts/0$'
  wait_for_output "^$1\$"
  wait_for_output '^0$'
  wait_for_output '^rootfs-ro-2$'
  send 'grep -E "^(NoNewPrivs|CapEff)" /proc/self/status | tr -s "\t" " "; ulimit -n; exit 4'
  wait_for_output '^NoNewPrivs: 1$'
  # CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE: bits 29, 5, 10
  wait_for_output '^CapEff: 0000000020000420$'
  wait_for_output '^1024$'
}

@test "a bundle from \`runc spec\` runs unchanged (console socket)" {
  spec_bundle runc
  start_recvtty
  run_detached --console-socket "$SOCK" "$ID"
  expect_status 0
  check_spec_shell runc
  wait_bg 10
  wait_for_status "$ID" stopped
  run --separate-stderr ocirt delete "$ID"
  expect_status 0
  assert_no_leaks "$ID"
}

@test "a bundle from \`crun spec\` runs unchanged (foreground run on a terminal)" {
  spec_bundle crun
  start_script "$(printf '%q ' timeout --foreground 30 "$OCIRT" --root "$ROOT" run --bundle "$BUNDLE" "$ID"); echo \"rc=\$?\""
  wait_for_output '# ' 15
  check_spec_shell crun
  wait_for_output '^rc=4$'
  wait_bg 10
  assert_no_leaks "$ID"
}

# ---- exec with a terminal -------------------------------------------------------------------------

# sleeper: a running container without a terminal, to exec into.
sleeper() {
  make_bundle 'sleep 1000'
  run_detached "$ID"
  expect_status 0
  wait_for_status "$ID" running
}

@test "exec -t: an interactive shell through --console-socket" {
  sleeper
  start_recvtty
  status=0
  ocirt exec --detach --tty --console-socket "$SOCK" "$ID" sh >/dev/null 2>"$BATS_TEST_TMPDIR/exec.err" \
    </dev/null 3>&- {TTY_IN}>&- || status=$?
  [ "$status" -eq 0 ] || fail "exec: $(cat "$BATS_TEST_TMPDIR/exec.err")"
  send 'echo $((6 * 7))'
  wait_for_output '^42$'
  send 'tty'
  wait_for_output '^/dev/pts/0$'
  # its own session with the pty as controlling terminal
  send 'echo hi >/dev/tty && echo ctty-$((1 + 1))'
  wait_for_output '^ctty-2$'
  # the container's /dev/console is untouched by an exec (it has none: no terminal of its own)
  send '[ -c /dev/console ] && echo has-console || echo no-console'
  wait_for_output '^no-console$'
  send 'exit'
  wait_bg 10
  [ "$status" -eq 0 ] || fail "ocirt-recvtty exited $status: $(cat "$BATS_TEST_TMPDIR/recvtty.err")"
}

@test "exec -t in the foreground proxies its stdio to a pty; exit status passes" {
  sleeper
  start_script "$(printf '%q ' timeout --foreground 20 "$OCIRT" --root "$ROOT" exec -t "$ID" sh -c 'tty; read -r line; echo "got:$line"; exit 4'); echo \"rc=\$?\""
  wait_for_output '^/dev/pts/[0-9]+$' 15
  send hello
  wait_for_output '^got:hello$'
  wait_for_output '^rc=4$'
  wait_bg 10
}

@test "exec -t --detach without a console socket is refused" {
  sleeper
  run --separate-stderr ocirt exec --detach --tty "$ID" sh </dev/null 3>&-
  expect_error "console"
}
