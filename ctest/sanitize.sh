#!/usr/bin/env bash
# Builds every ctest/*.c with AddressSanitizer (leak checking on) and UndefinedBehaviorSanitizer,
# links the static library, and runs each on the models; any report fails the run.
# Usage: ctest/sanitize.sh LIBMOBILENMT.a OUTDIR [MODEL.gguf...]   (default: the fixtures)
set -euo pipefail
lib=$1
out=$2
shift 2
mkdir -p "$out"
cc=${CC:-cc}
flags="-std=c99 -Wall -Wextra -Werror -pedantic -g -O1 -fno-omit-frame-pointer
       -fsanitize=address,undefined -fno-sanitize-recover=all -Iinclude"
libs="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
    for m in tests/data/tiny-*/model-*.gguf; do
        [ -f "$m" ] && models+=("$m")
    done
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for src in ctest/*.c; do
    name=$(basename "$src" .c)
    # shellcheck disable=SC2086
    $cc $flags "$src" "$lib" $libs -o "$out/$name"
    echo "== $name (ASan+UBSan)"
    if ! "$out/$name" "${models[@]}"; then
        echo "FAILED: $name under ASan+UBSan" >&2
        status=1
    fi
done
exit $status
