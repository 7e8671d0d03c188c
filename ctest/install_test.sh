#!/usr/bin/env bash
# What a C user of an installed mobilenmt meets (README, section C):
# 1. the installed shared library: one versioned file, two symlinks, the SONAME inside;
# 2. the README's example is examples/c/hello.c, byte for byte, and compiles without warnings;
# 3. the README's build commands, run as written, each give a program that translates:
#    shared with an rpath, shared with LD_LIBRARY_PATH, static; and each links as it claims.
# Usage: ctest/install_test.sh PREFIX OUTDIR   (PREFIX from `make install PREFIX=...`)
set -euo pipefail
prefix=$(cd "$1" && pwd)
out=$2
repo=$(pwd)
lib=$prefix/lib
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
major=${version%%.*}
fail() { echo "FAILED: $*" >&2; exit 1; }
dynamic() { readelf -d "$1" | sed -n "s/.*($2).*\[\(.*\)\]/\1/p"; }

echo "== installed library"
[ -f "$lib/libmobilenmt.so.$version" ] && [ ! -L "$lib/libmobilenmt.so.$version" ] ||
    fail "$lib/libmobilenmt.so.$version is not a regular file"
[ "$(readlink "$lib/libmobilenmt.so.$major")" = "libmobilenmt.so.$version" ] ||
    fail "libmobilenmt.so.$major does not link to libmobilenmt.so.$version"
[ "$(readlink "$lib/libmobilenmt.so")" = "libmobilenmt.so.$major" ] ||
    fail "libmobilenmt.so does not link to libmobilenmt.so.$major"
soname=$(dynamic "$lib/libmobilenmt.so.$version" SONAME)
[ "$soname" = "libmobilenmt.so.$major" ] || fail "SONAME is '$soname', expected libmobilenmt.so.$major"

# A fenced block of README.md: the one right after the line `<!-- $1 -->`.
readme_block() {
    awk -v mark="<!-- $1 -->" '$0 == mark {m = 1; next} m && /^```/ {if (f) exit; f = 1; next} f' README.md
}

echo "== README example = examples/c/hello.c"
diff -u examples/c/hello.c <(readme_block "examples/c/hello.c") ||
    fail "README.md's C example differs from examples/c/hello.c: copy the file into the README"

rm -rf "$out"
mkdir -p "$out"
export PKG_CONFIG_PATH="$lib/pkgconfig"
cc -std=c99 -Wall -Wextra -Werror -pedantic $(pkg-config --cflags mobilenmt) examples/c/hello.c \
    $(pkg-config --libs mobilenmt) -Wl,-rpath,"$lib" -o "$out/hello-strict"

echo "== README build commands"
readme_block "build commands" > "$out/commands.sh"
[ -s "$out/commands.sh" ] || fail "README.md has no block after <!-- build commands -->"
ln -s "$repo/examples" "$out/examples"
ln -s "$repo/models" "$out/models"
(cd "$out" && bash -euo pipefail commands.sh) > "$out/commands.out"
cat "$out/commands.out"
[ "$(wc -l < "$out/commands.out")" = 3 ] || fail "expected 3 translations from the README commands"
[ "$(sort -u "$out/commands.out" | wc -l)" = 1 ] || fail "the three builds translate differently"
grep -q '[a-z]' "$out/commands.out" || fail "empty translation"

for exe in hello hello-shared; do
    [ "$(dynamic "$out/$exe" NEEDED | grep mobilenmt)" = "libmobilenmt.so.$major" ] ||
        fail "$exe does not need libmobilenmt.so.$major"
done
[ "$(dynamic "$out/hello" RUNPATH)$(dynamic "$out/hello" RPATH)" = "$lib" ] || fail "hello has no rpath to $lib"
[ -z "$(dynamic "$out/hello-shared" RUNPATH)$(dynamic "$out/hello-shared" RPATH)" ] || fail "hello-shared has an rpath"
# Without the rpath the loader must be told: this is why the README shows LD_LIBRARY_PATH.
if env -u LD_LIBRARY_PATH "$out/hello-shared" models/mobilenmt-en-de/model-int8.gguf >/dev/null 2>&1; then
    fail "hello-shared started without LD_LIBRARY_PATH: is libmobilenmt.so.$major installed system-wide?"
fi
[ -z "$(dynamic "$out/hello-static" NEEDED | grep mobilenmt)" ] || fail "hello-static needs the shared library"

echo "== hello under valgrind"
if command -v valgrind >/dev/null; then
    valgrind -q --error-exitcode=1 --leak-check=full "$out/hello-strict" models/mobilenmt-en-de/model-int8.gguf
elif [ "${MNMT_REQUIRE_TOOLS:-}" = 1 ]; then
    fail "valgrind is not installed"
else
    echo "warning: SKIPPED: valgrind is not installed" >&2
fi
echo "install test: ok"
