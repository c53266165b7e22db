#!/bin/bash
# build-variant.sh DIR [CONFIGURE-OPTIONS...]: build a second ocirt from a copy of this source tree
# in DIR (say with --enable-asan --enable-fault-injection), and print the path of its ocirt.
#
# A copy, because automake refuses a second (VPATH) build of a tree that is configured in place.
# Calling it again refreshes the copy (files keep their times, so make rebuilds only what changed);
# the copy is configured again only when the options differ.  Output of the build goes to
# DIR.build.log; on failure its tail goes to stderr.
set -euo pipefail

dest=${1:?usage: build-variant.sh DIR [CONFIGURE-OPTIONS...]}
shift
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
log=$dest.build.log
: >"$log"

fail() {
  echo "build-variant.sh: $*" >&2
  tail -n 40 "$log" >&2
  exit 1
}

# The sources: what git knows of (committed or not, ignored files left out), else every file that
# is not a build product.
copy_list() {
  if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$src" ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
      [ -e "$src/$f" ] && printf '%s\0' "$f"
    done
  else
    (cd "$src" && find . -path ./.git -prune -o -path ./tests/.cache -prune -o -path ./tests/tmp -prune -o -path './tests/variant-*' -prune -o -path ./fuzz/build -prune -o \
      -type f ! -name '*.o' ! -name '*.a' ! -name '*.log' ! -name '*.trs' ! -name 'config.*' \
      ! -name Makefile ! -name ocirt -print0)
  fi
}
copy_list | (cd "$src" && tar --null -T - -cf -) | tar -C "$dest" -xpf -

want="$*"
if [ ! -f "$dest/Makefile" ] || [ "$(cat "$dest/.variant-options" 2>/dev/null)" != "$want" ]; then
  (cd "$dest" && ./autogen.sh && ./configure "$@") >>"$log" 2>&1 || fail "configure $want failed in $dest"
  printf '%s' "$want" >"$dest/.variant-options"
fi
make -C "$dest" -j2 ocirt contrib/ocirt-seccomp-agent ocirt-recvtty >>"$log" 2>&1 || fail "make failed in $dest"
echo "$dest/ocirt"
