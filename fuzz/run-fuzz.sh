#!/bin/bash
# run-fuzz.sh [TARGET...]: build ocirt's libFuzzer targets (clang, AddressSanitizer and UBSan) and
# run each: first every input of its seed corpus (fuzz/corpus/TARGET) and of its regressions
# (fuzz/regressions/TARGET: inputs that once crashed it), then FUZZ_SECONDS of fuzzing.  TAP on
# stdout, two tests a target; the fuzzing test names the executions run.
#
# `make check` runs it with FUZZ_SECONDS=3, `make fuzz` with 60.  A crash fails the test and leaves
# the input in fuzz/build/crashes/: copy it to fuzz/regressions/TARGET/ once fixed.
#
# Environment: FUZZ_SECONDS (default 60), OCIRT_BUILDDIR (the configured tree, for config.h; default
# the source tree), CC (default clang), FUZZ_JOBS (compilers at once, default 2).
set -u

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${OCIRT_BUILDDIR:-$src}
out=$builddir/fuzz/build
seconds=${FUZZ_SECONDS:-60}
CC=${CC:-clang}
[ "$CC" = cc ] || [ "$CC" = gcc ] && CC=clang # automake's CC is gcc: libFuzzer needs clang

bail() {
  echo "Bail out! run-fuzz.sh: $*"
  echo "run-fuzz.sh: $*" >&2
  exit 1
}

command -v "$CC" >/dev/null 2>&1 || bail "$CC not found: install the Debian packages clang and libclang-rt-14-dev (contrib/install-deps.sh)"
[ -f "$builddir/config.h" ] || bail "no config.h in $builddir: run ./configure first"

all_targets=()
for f in "$src"/fuzz/fuzz-*.c; do
  t=${f##*/fuzz-}
  all_targets+=("${t%.c}")
done
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

mkdir -p "$out/obj" "$out/crashes"
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
cppflags="-include $builddir/config.h -I$builddir -I$src/libocispec -I$src/src/lib -I$src/fuzz -D_GNU_SOURCE"
cflags="$san -fsanitize=fuzzer-no-link -Wall -Wextra -Wno-unused-parameter $(pkg-config --cflags yajl libcap libseccomp devmapper 2>/dev/null)"
libs="$(pkg-config --libs yajl libcap libseccomp devmapper 2>/dev/null)"
[ -n "$libs" ] || libs="-lyajl -lcap -lseccomp -ldevmapper"

# The runtime library and libocispec, instrumented; an object is rebuilt when its source or any
# header is newer.
newest_header=$(ls -t "$src"/src/lib/*.h "$src"/libocispec/*.h "$builddir/config.h" | head -n 1)
sources=("$src"/libocispec/*.c "$src"/src/lib/*.c)
objs=()
for c in "${sources[@]}"; do objs+=("$out/obj/$(basename "$(dirname "$c")")-$(basename "${c%.c}").o"); done
for c in "${sources[@]}"; do
  o=$out/obj/$(basename "$(dirname "$c")")-$(basename "${c%.c}").o
  if [ ! -f "$o" ] || [ "$c" -nt "$o" ] || [ "$newest_header" -nt "$o" ]; then
    echo "$c $o"
  fi
done | xargs -r -P "${FUZZ_JOBS:-2}" -n 2 sh -c "$CC $cppflags $cflags -c \"\$0\" -o \"\$1\" 2>>\"$out/build.log\" || { echo \"compile \$0 failed\" >>\"$out/build.log\"; exit 255; }" ||
  bail "compiling the library with $CC failed: $(tail -n 20 "$out/build.log")"

n=0
for t in "${targets[@]}"; do
  bin=$out/fuzz-$t
  if [ ! -x "$bin" ] || [ "$src/fuzz/fuzz-$t.c" -nt "$bin" ] || [ "$src/fuzz/fuzz.h" -nt "$bin" ] || [ "$newest_header" -nt "$bin" ] ||
    [ -n "$(find "$out/obj" -newer "$bin" -name '*.o' | head -n 1)" ]; then
    # shellcheck disable=SC2086 # flag lists
    $CC $cppflags $cflags -fsanitize=fuzzer "$src/fuzz/fuzz-$t.c" "${objs[@]}" $libs -o "$bin" 2>>"$out/build.log" ||
      bail "building fuzz-$t failed: $(tail -n 20 "$out/build.log")"
  fi
done

echo "1..$((2 * ${#targets[@]}))"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
total=0
for t in "${targets[@]}"; do
  bin=$out/fuzz-$t
  dict=()
  [ -f "$src/fuzz/$t.dict" ] && dict=(-dict="$src/fuzz/$t.dict")
  [ ${#dict[@]} -gt 0 ] || { [ -f "$src/fuzz/json.dict" ] && [[ $t != signal && $t != mount-options ]] && dict=(-dict="$src/fuzz/json.dict"); }
  log=$out/$t.log

  # 1. the seeds and the regressions, one run each
  inputs=()
  for d in "$src/fuzz/corpus/$t" "$src/fuzz/regressions/$t"; do
    [ -d "$d" ] && while IFS= read -r -d '' f; do inputs+=("$f"); done < <(find "$d" -type f -print0)
  done
  n=$((n + 1))
  if [ ${#inputs[@]} -eq 0 ]; then
    echo "not ok $n - fuzz-$t: no seed inputs in fuzz/corpus/$t"
    failed=$((failed + 1))
  elif timeout -k 5 300 "$bin" -runs=1 "${inputs[@]}" >"$log" 2>&1; then
    echo "ok $n - fuzz-$t: ${#inputs[@]} seed and regression inputs run clean"
  else
    echo "not ok $n - fuzz-$t: a seed or regression input fails"
    sed 's/^/# /' "$log" | tail -n 40
    failed=$((failed + 1))
  fi

  # 2. fuzzing, from a copy of the seeds (new inputs go to fuzz/build, never into the repo)
  work=$out/corpus/$t
  mkdir -p "$work"
  n=$((n + 1))
  if timeout -k 10 $((seconds + 120)) "$bin" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$out/crashes/$t-" "$work" "$src/fuzz/corpus/$t" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    echo "ok $n - fuzz-$t: ${execs:-?} executions in ${seconds}s, no crash"
    total=$((total + ${execs:-0}))
  else
    echo "not ok $n - fuzz-$t: crashed (input in $out/crashes/$t-*)"
    grep -E 'ERROR|runtime error|SUMMARY|^    #[0-9]' "$log" | head -n 30 | sed 's/^/# /'
    failed=$((failed + 1))
  fi
done
echo "# $total fuzz executions in all"
[ "$failed" -eq 0 ]
