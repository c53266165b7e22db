#!/bin/bash
# gen.sh BASE-CONFIG OUTDIR [TARGET]: write hostile variants of a valid config.json to OUTDIR, one
# file a case (NNN.json) with what it tries in NNN.what.  TARGET is a host folder the path-traversal
# cases aim at (relative ../../.. climbs to it from the rootfs); it must stay untouched.
#
# Kinds: wrong types and out-of-range numbers in every leaf of the base config; negative and
# overflowing numbers in every numeric field; path traversal in every path field; long strings;
# huge arrays; deep nesting; invalid UTF-8; duplicate keys; NUL bytes.  Needs jq.
set -euo pipefail
shopt -s lastpipe # `... | emit` runs emit in this shell, so the case counter goes on

base=${1:?usage: gen.sh BASE-CONFIG OUTDIR [TARGET]}
out=${2:?usage: gen.sh BASE-CONFIG OUTDIR [TARGET]}
target=${3:-/tmp/ocirt-hostile-target}
mkdir -p "$out"
n=0

# emit WHAT: the config on stdin becomes the next case.
emit() {
  n=$((n + 1))
  local f
  f=$(printf '%s/%03d' "$out" "$n")
  cat >"$f.json"
  printf '%s\n' "$1" >"$f.what"
}
# jqcase WHAT JQ-ARGS...: the base config edited by jq.
jqcase() {
  local what=$1
  shift
  jq "$@" "$base" | emit "$what"
}
# textcase WHAT SED-EXPR: the base config edited as text (what jq cannot write: bad UTF-8,
# duplicate keys).
textcase() { jq -c . "$base" | LC_ALL=C sed "$2" | emit "$1"; }

# 1. every scalar leaf of the base config: a wrong type, then an absurd value of its own kind
bad_values=('{}' '[]' 'null' '-1' '1e400' '"\u0000"' 'true' '"x"')
i=0
while IFS= read -r path; do
  v=${bad_values[$((i % ${#bad_values[@]}))]}
  jqcase "leaf $path = $v" --argjson p "$path" --argjson v "$v" 'setpath($p; $v)'
  i=$((i + 1))
done < <(jq -c 'paths(scalars)' "$base")

# 2. every numeric field ocirt reads: negative, overflowing, fractional, huge exponent
numeric_fields=(
  '.process.user.uid' '.process.user.gid' '.process.user.umask' '.process.user.additionalGids[0]'
  '.process.rlimits[0].hard' '.process.rlimits[0].soft' '.process.oomScoreAdj' '.process.consoleSize.height'
  '.process.ioPriority.priority' '.process.scheduler.priority' '.process.scheduler.nice'
  '.linux.uidMappings[0].containerID' '.linux.uidMappings[0].hostID' '.linux.uidMappings[0].size'
  '.linux.devices[0].major' '.linux.devices[0].minor' '.linux.devices[0].fileMode' '.linux.devices[0].uid'
  '.linux.resources.memory.limit' '.linux.resources.pids.limit' '.linux.resources.cpu.shares'
  '.hooks.prestart[0].timeout' '.linux.timeOffsets.monotonic.secs' '.linux.timeOffsets.monotonic.nanosecs'
  '.linux.seccomp.syscalls[0].errnoRet' '.linux.seccomp.syscalls[0].args[0].value' '.linux.seccomp.syscalls[0].args[0].index'
)
for f in "${numeric_fields[@]}"; do
  for v in -1 -2147483649 4294967296 18446744073709551616 -9223372036854775809 1.5 1e400; do
    jqcase "number $f = $v" "$f = $v"
  done
done

# 3. path traversal in every path field, aimed at TARGET
rel="../../../../../../../../../..$target"
paths=(
  ".root.path = \"$rel\"" ".process.cwd = \"/$rel\"" ".process.args[0] = \"$rel/sh\""
  ".mounts += [{\"destination\": \"$rel\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}]"
  ".mounts += [{\"destination\": \"/$rel/x\", \"type\": \"bind\", \"source\": \"$rel\", \"options\": [\"rbind\"]}]"
  ".mounts += [{\"destination\": \"/mnt\", \"type\": \"bind\", \"source\": \"$rel\", \"options\": [\"rbind\"]}]"
  ".mounts[0].destination = \"/proc/../../$rel\""
  ".linux.maskedPaths += [\"/$rel\", \"../../../etc\"]" ".linux.readonlyPaths += [\"/$rel\"]"
  ".linux.devices = [{\"path\": \"/dev/../$rel/null\", \"type\": \"c\", \"major\": 1, \"minor\": 3}]"
  ".hooks.prestart = [{\"path\": \"$rel/hook\"}]" ".hooks.poststop = [{\"path\": \"../../bin/sh\"}]"
  ".linux.namespaces += [{\"type\": \"network\", \"path\": \"/proc/self/ns/../../../$rel\"}] | .linux.namespaces |= unique_by(.type)"
  ".linux.cgroupsPath = \"../../../..\"" ".linux.cgroupsPath = \"/../../$rel\"" ".linux.cgroupsPath = \"ocirt/../../x\""
  ".linux.sysctl = {\"../../../$rel\": \"1\"}" ".linux.sysctl = {\"kernel/../../../../etc/passwd\": \"x\"}"
  ".linux.seccomp.listenerPath = \"$rel/sock\" | .linux.seccomp.syscalls[0].action = \"SCMP_ACT_NOTIFY\""
  ".process.apparmorProfile = \"$rel\"" ".linux.mountLabel = \"$rel\"" ".linux.rootfsPropagation = \"$rel\""
  ".process.user.additionalGids = [] | .process.env += [\"PATH=$rel\"] | .process.args[0] = \"sh\""
)
for e in "${paths[@]}"; do
  jqcase "traversal: $e" "$e"
done

# 4. long strings (1 MiB, and just past the kernel's limits)
long=$(head -c 1048576 /dev/zero | tr '\0' a)
for f in .hostname .domainname '.process.args[0]' .process.cwd '.process.env[0]' '.annotations.x' \
  '.mounts[0].destination' '.mounts[0].options[0]' '.linux.maskedPaths[0]' '.linux.cgroupsPath' '.process.selinuxLabel'; do
  printf '%s' "$long" | jqcase "long string (1 MiB) in $f" --rawfile s /dev/stdin "$f = \$s"
done
jqcase "annotation key of 1 MiB" --arg s "${long:0:65536}" '.annotations[$s] = "v"'
jqcase "hostname of 65 characters" '.hostname = ("a" * 65)'
jqcase "path of 4097 characters" '.process.cwd = ("/" + ("a" * 4097))'
jqcase "file name of 256 characters" '.mounts += [{"destination": ("/" + ("a" * 256)), "type": "tmpfs", "source": "tmpfs"}]'

# 5. huge arrays
for size in 10000 100000; do
  jqcase "args of $size entries" --argjson k "$size" '.process.args = ["true"] + [range($k) | "x"]'
  jqcase "env of $size entries" --argjson k "$size" '.process.env = [range($k) | "V\(.)=1"]'
  jqcase "additionalGids of $size entries" --argjson k "$size" '.process.user.additionalGids = [range($k)]'
  jqcase "maskedPaths of $size entries" --argjson k "$size" '.linux.maskedPaths = [range($k) | "/m\(.)"]'
  jqcase "annotations of $size entries" --argjson k "$size" '.annotations = ([range($k) | {key: "k\(.)", value: "v"}] | from_entries)'
  jqcase "uidMappings of $size entries" --argjson k "$size" '.linux.uidMappings = [range($k) | {containerID: ., hostID: (100000 + .), size: 1}] | .linux.namespaces += [{"type": "user"}]'
  jqcase "mounts of $size entries" --argjson k "$size" '.mounts += [range($k) | {destination: "/tmp", type: "tmpfs", source: "tmpfs"}]'
  jqcase "seccomp syscalls of $size entries" --argjson k "$size" '.linux.seccomp.syscalls += [range($k) | {names: ["read"], action: "SCMP_ACT_ERRNO"}]'
  jqcase "rlimits of $size entries" --argjson k "$size" '.process.rlimits = [range($k) | {type: "RLIMIT_NOFILE", hard: 1024, soft: 1024}]'
  jqcase "devices of $size entries" --argjson k "$size" '.linux.devices = [range($k) | {path: "/dev/d\(.)", type: "c", major: 1, minor: 3}]'
done

# 6. deep nesting, in an unknown key, in annotations, and objects in .process
rest() { jq -c . "$base" | cut -c2-; } # the base config without its opening brace
rep() { head -c "$2" /dev/zero | tr '\0' "$1"; }
repstr() { local s; printf -v s '%*s' "$2" ''; printf '%s' "${s// /$1}"; }
for depth in 100 10000 100000; do
  { printf '{"x-unknown":'; rep '[' "$depth"; rep ']' "$depth"; printf ','; rest; } | emit "nesting depth $depth in an unknown key"
  { printf '{"annotations":{"deep":'; rep '[' "$depth"; rep ']' "$depth"; printf '},'; rest; } | emit "nesting depth $depth in annotations"
  { printf '{"process":'; repstr '{"a":' "$depth"; printf 1; rep '}' "$depth"; printf ','; rest; } |
    emit "nested objects in .process ($depth)"
done

# 7. invalid UTF-8, NUL and control characters in strings
for bytes in '\xff\xfe' '\xc3\x28' '\xed\xa0\x80' '\xf8\x88\x80\x80\x80' '\xc0\xaf'; do
  textcase "invalid UTF-8 ($bytes) in hostname" "s/\"hostname\":\"[^\"]*\"/\"hostname\":\"a${bytes}b\"/"
  textcase "invalid UTF-8 ($bytes) in args" "s/\"args\":\[\"/\"args\":[\"${bytes}/"
  textcase "invalid UTF-8 ($bytes) in a key" "s/^{/{\"k${bytes}\":1,/"
done
jqcase "NUL inside args[0]" '.process.args[0] = "sh\u0000-c"'
jqcase "NUL inside a mount destination" '.mounts[0].destination = "/proc\u0000/x"'
jqcase "NUL inside an env entry" '.process.env[0] = "A=1\u0000B=2"'
jqcase "newline and escape characters in hostname" '.hostname = "a\nb\u001b[31m"'
jqcase "lone surrogate escape in cwd" --arg x x '.process.cwd = "/x"' && sed -i 's|"/x"|"/\\ud800"|' "$(printf '%s/%03d.json' "$out" "$n")"

# 8. duplicate keys, and documents that are not config objects
textcase "duplicate ociVersion (second invalid)" 's/^{/{"ociVersion":"0.1",/'
textcase "duplicate process (second not an object)" 's/}$/,"process":7}/'
textcase "duplicate root" 's/}$/,"root":{"path":"\/"}}/'
textcase "trailing garbage" 's/}$/}}}/'
textcase "truncated document" 's/.\{40\}$//'
for doc in '' 'null' '[]' '"config"' '0' '{}' '{"ociVersion":"1.2.0"}' '{"ociVersion":"2.0.0","root":{"path":"rootfs"},"process":{"cwd":"/","args":["sh"]}}'; do
  printf '%s' "$doc" | emit "document: '$doc'"
done

echo "$n"
