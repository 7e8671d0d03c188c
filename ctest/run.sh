#!/usr/bin/env bash
# Builds every ctest/*.c against an installed mobilenmt (header + pkg-config file), once linked
# statically and once dynamically, runs each under valgrind, compiles the C++ include test, and
# checks the example CLI's command line (ctest/cli_test.sh).
# Usage: ctest/run.sh PREFIX OUTDIR [MODEL.gguf...]   (default models: the committed fixtures)
set -euo pipefail
prefix=$1
out=$2
shift 2
mkdir -p "$out"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cflags="-std=c99 -Wall -Wextra -Werror -pedantic -g $(pkg-config --cflags mobilenmt)"
static_libs="$prefix/lib/libmobilenmt.a $(pkg-config --libs-only-other --libs-only-l --static mobilenmt | sed 's/-lmobilenmt//')"
shared_libs="$(pkg-config --libs mobilenmt) -Wl,-rpath,$prefix/lib"

# The C++ test only has to compile and link: it proves the header is valid C++11.
g++ -std=c++11 -Wall -Wextra -Werror -pedantic $(pkg-config --cflags mobilenmt) \
    ctest/include_test.cpp $shared_libs -o "$out/include_test_cpp"
"$out/include_test_cpp"

models=("$@")
if [ ${#models[@]} -eq 0 ]; then
    for m in tests/data/tiny-*/model-*.gguf; do
        [ -f "$m" ] && models+=("$m")
    done
fi

# valgrind where installed; without it the tests run bare, with a warning (CI requires it).
memcheck=(valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible)
if ! command -v valgrind >/dev/null; then
    [ "${MNMT_REQUIRE_TOOLS:-}" = 1 ] && { echo "error: valgrind is not installed" >&2; exit 1; }
    echo "warning: SKIPPED: valgrind is not installed; the C tests run without it" >&2
    memcheck=()
fi

status=0
for src in ctest/*.c; do
    name=$(basename "$src" .c)
    # shellcheck disable=SC2086
    cc $cflags "$src" $static_libs -o "$out/$name-static"
    # shellcheck disable=SC2086
    cc $cflags "$src" $shared_libs -o "$out/$name-shared"
    for variant in static shared; do
        echo "== $name ($variant)"
        if ! "${memcheck[@]}" "$out/$name-$variant" "${models[@]}"; then
            echo "FAILED: $name ($variant)" >&2
            status=1
        fi
    done
done
# The example CLI, built against the installed library, on the first model.
if [ ${#models[@]} -gt 0 ]; then
    # shellcheck disable=SC2086
    cc $cflags examples/c/mnmt_translate.c $static_libs -o "$out/mnmt-translate"
    echo "== cli"
    ctest/cli_test.sh "$out/mnmt-translate" "${models[0]}" || { echo "FAILED: cli" >&2; status=1; }
fi
exit $status
