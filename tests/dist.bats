#!/usr/bin/env bats
# `make distcheck` keeps working: a tarball made from the tree builds out of tree (VPATH) and passes
# libocispec's unit tests (the integration tests need root and minutes: the rest of this suite runs
# them).  Each file the Makefile distributes by a glob is checked to be in the tarball.

load helpers

# Two configures and a whole build, beside the rest of make check on two cores: minutes, not seconds.
BATS_TEST_TIMEOUT=900

@test "dist: make distcheck of the tree passes, and the tarball holds the tests, fault tests and fuzz targets" {
  local src=${OCIRT_SRCDIR:-$(repo)} work=$BATS_TEST_TMPDIR/tree
  command -v git >/dev/null || fail "git not found: this test copies the tree's files as git lists them"
  git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1 || fail "$src is not a git work tree"
  mkdir -p "$work"
  # The files of the tree (tracked, and new ones not ignored), not its build products.
  (cd "$src" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - --no-recursion) |
    tar -C "$work" -xf -
  cd "$work"
  # Its own make, not a part of make check's: without MAKEFLAGS it neither waits on the outer
  # jobserver's slots nor falls back to one job when that jobserver's fds are closed.
  run timeout 840 env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    bash -c './autogen.sh && ./configure && make -j2 distcheck TESTS=libocispec/tests/test-ocispec' </dev/null
  [ "$status" -eq 0 ] || fail "make distcheck failed (status $status):" "${output: -3000}"
  local tarball listing f
  tarball=$(ls ocirt-*.tar.gz)
  listing=$(tar -tzf "$tarball" | sed 's|^[^/]*/||')
  for f in tests/lifecycle.bats tests/faults/crash.bats tests/engines/docker.bats tests/engines/run-engines.sh \
    fuzz/fuzz-config.c fuzz/fuzz.h fuzz/run-fuzz.sh fuzz/json.dict libocispec/json-tree.c src/lib/idmap.c; do
    grep -qxF "$f" <<<"$listing" || fail "$f is not in $tarball"
  done
}
