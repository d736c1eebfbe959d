#!/usr/bin/env bash
# run_fuzz.sh — build and run every libFuzzer target in hv/tests/fuzz/ for a
# bounded time.
#
#   tools/tests/run_fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 10 (0: only replay the corpus); TARGET names
# (e.g. leaves, fuzz_msr) restrict the run to those targets. For each hv/tests/fuzz/fuzz_<t>.c:
#   1. build build/fuzz/fuzz_<t> with clang -fsanitize=fuzzer,address,undefined
#      (UBSan aborts on the first report). The sources under test are named in
#      the target's header comment: "fuzz-sources: a.c b.c"; extra compiler
#      flags, if any: "fuzz-cflags: ...".
#   2. copy the checked-in corpus hv/tests/fuzz/corpus/<t>/ to
#      build/fuzz/work/<t>/corpus (the checked-in corpus is never written to),
#      replay it, then fuzz for SECONDS_PER_TARGET.
#   3. print "PASS fuzz-<t> (<runs> runs)" or "FAIL fuzz-<t>: <why>" with the
#      crash reproducer (build/fuzz/artifacts/<t>/crash-*) and the log
#      (build/fuzz/logs/<t>.log).
# The last line is "N passed, M failed"; the exit status is 1 if M > 0.
#
# Reproduce a failure:   build/fuzz/fuzz_<t> build/fuzz/artifacts/<t>/crash-...
# Grow the corpus:       build/fuzz/fuzz_<t> -max_total_time=300 build/fuzz/work/<t>/corpus
# then minimize it into the checked-in one (see hv/tests/fuzz/README.md).
#
# Needs clang and libFuzzer: Debian packages clang and libclang-rt-14-dev
# (or the libclang-rt-dev matching the installed clang). Without them every
# target fails and the message names the packages; nothing passes silently.
#
# Environment: BUILD (default build), CLANG (default clang).
set -uo pipefail
exec </dev/null

here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo" || exit 2

SECONDS_PER_TARGET=${1:-10}
shift $(( $# > 0 ? 1 : 0 ))
case $SECONDS_PER_TARGET in
    ''|*[!0-9]*) echo "run_fuzz: SECONDS_PER_TARGET must be a whole number, got '$SECONDS_PER_TARGET'" >&2; exit 2 ;;
esac
BUILD=${BUILD:-build}
CLANG=${CLANG:-clang}
SRC_DIR=hv/tests/fuzz
OUT=$BUILD/fuzz
PACKAGES="clang libclang-rt-14-dev"

mkdir -p "$OUT/logs" "$OUT/work" "$OUT/artifacts" || exit 2

targets=()
for src in "$SRC_DIR"/fuzz_*.c; do
    [ -e "$src" ] || continue
    t=$(basename "$src" .c)
    t=${t#fuzz_}
    if [ $# -gt 0 ]; then
        want=0
        for a in "$@"; do [ "$a" = "$t" ] || [ "$a" = "fuzz_$t" ] || [ "$a" = "fuzz-$t" ] && want=1; done
        [ "$want" -eq 1 ] || continue
    fi
    targets+=("$t")
done
if [ ${#targets[@]} -eq 0 ]; then
    echo "FAIL fuzz: no targets matched in $SRC_DIR/fuzz_*.c"
    echo "0 passed, 1 failed"
    exit 1
fi

passed=0
failed=0
fail() { echo "FAIL fuzz-$1: $2"; failed=$((failed + 1)); }

# The toolchain: clang, and libFuzzer's runtime (a trivial target must link).
toolchain_error=
if ! command -v "$CLANG" >/dev/null 2>&1; then
    toolchain_error="$CLANG not found: install the Debian packages $PACKAGES (sudo apt-get install -y $PACKAGES)"
else
    probe=$OUT/.probe
    printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' > "$probe.c"
    if ! "$CLANG" -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" > "$probe.log" 2>&1; then
        toolchain_error="$CLANG cannot link a libFuzzer target (libFuzzer or the sanitizer runtimes missing): install the Debian packages $PACKAGES (sudo apt-get install -y $PACKAGES); $(head -c 300 "$probe.log" | tr '\n' ' ')"
    fi
    rm -f "$probe" "$probe.c" "$probe.log"
fi
if [ -n "$toolchain_error" ]; then
    for t in "${targets[@]}"; do fail "$t" "$toolchain_error"; done
    echo "$passed passed, $failed failed"
    exit 1
fi

# shellcheck disable=SC2054  # the commas are clang's list, not array separators
CFLAGS=(-std=gnu11 -g -O1 -Wall -Wextra -I. -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
        -fno-omit-frame-pointer)

# header_field FILE KEY: the words after "KEY:" in FILE's header comment.
header_field() { sed -n "s/^ \* $2: *//p" "$1" | head -n 1; }

for t in "${targets[@]}"; do
    src=$SRC_DIR/fuzz_$t.c
    bin=$OUT/fuzz_$t
    log=$OUT/logs/$t.log
    work=$OUT/work/$t
    artifacts=$OUT/artifacts/$t/
    # fuzz-sources may use globs (hv/exits/*.c), expanded from the repo root.
    # shellcheck disable=SC2207
    sources=($(header_field "$src" fuzz-sources))
    read -r -a extra <<<"$(header_field "$src" fuzz-cflags)"
    max_len=$(header_field "$src" fuzz-max-len)

    # 1. build
    if ! "$CLANG" "${CFLAGS[@]}" "${extra[@]}" "$src" "${sources[@]}" -o "$bin" > "$log" 2>&1; then
        fail "$t" "build failed; $log:"
        sed 's/^/    /' "$log" | head -n 40
        continue
    fi

    # 2. a private copy of the corpus; old reproducers are cleared
    rm -rf -- "$work" "$artifacts"
    mkdir -p -- "$work/corpus" "$artifacts"
    if [ -d "$SRC_DIR/corpus/$t" ]; then
        cp -- "$SRC_DIR/corpus/$t"/* "$work/corpus/" 2>/dev/null
    fi
    # 0 s: replay the corpus only (libFuzzer's -max_total_time=0 means "no limit").
    if [ "$SECONDS_PER_TARGET" -eq 0 ]; then limit=(-runs=0); else limit=(-max_total_time="$SECONDS_PER_TARGET"); fi
    opts=("${limit[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
          -artifact_prefix="$artifacts" -max_len="${max_len:-4096}")
    "$bin" "${opts[@]}" "$work/corpus" >> "$log" 2>&1
    rc=$?

    # 3. verdict
    crash=$(find "$artifacts" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) 2>/dev/null | head -n 1)
    runs=$(grep -a -E '^stat::number_of_executed_units:' "$log" | tail -n 1 | awk '{print $2}')
    if [ "$rc" -eq 0 ] && [ -z "$crash" ] && [ -n "$runs" ]; then
        echo "PASS fuzz-$t (${runs} runs)"
        passed=$((passed + 1))
    else
        why="exit $rc"
        [ -n "$crash" ] && why="$why, reproducer $crash (run: $bin $crash)"
        [ -z "$runs" ] && why="$why, no final stats"
        fail "$t" "$why; log $log:"
        # The first report (violated invariant, sanitizer, libFuzzer) and the
        # lines after it, without libFuzzer's progress and noise; else the
        # end of the log (e.g. a build or start-up problem).
        report=$(grep -a -v -E '^#[0-9]+\s|^INFO: |^MS: |^base unit: |^stat::|^Done |NEW_FUNC|^0x|^NOTE: |Combine libFuzzer|^\s*$' "$log")
        first=$(echo "$report" | grep -a -n -m 1 -E 'FUZZ INVARIANT VIOLATED|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' | cut -d: -f1)
        if [ -n "$first" ]; then
            echo "$report" | sed -n "${first},\$p" | grep -a -v -E '^\s+#([4-9]|[1-9][0-9]+) 0x|^Shadow|^  (0x|Addressable|Partially|Heap|Freed|Stack|Global|Poisoned|Container|Array|Intra|ASan|Left|Right)' \
                | head -n 20 | sed 's/^/    /'
        else
            echo "$report" | tail -n 20 | sed 's/^/    /'
        fi
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
