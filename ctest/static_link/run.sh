#!/usr/bin/env bash
# The static library defines no global symbol but mnmt_*, and links together with a second Rust
# static library under --whole-archive (both with a Rust standard library inside).
# Usage: ctest/static_link/run.sh LIBMOBILENMT.a OUTDIR "STATIC_LIBS" [MODEL.gguf]
set -euo pipefail
lib=$1
out=$2
static_libs=$3
model=${4:-}
mkdir -p "$out"

# readelf, not nm: GNU nm hands members with embedded LLVM bitcode to an LTO plugin, which may
# fail and report no symbols at all.
globals=$(readelf -sW "$lib" | awk '($5 == "GLOBAL" || $5 == "WEAK") && $7 != "UND" { print $8 }' | sort -u)
others=$(echo "$globals" | grep -v '^mnmt_' || true)
if [ -n "$others" ]; then
    echo "FAILED: $lib defines $(echo "$others" | wc -l) global symbols besides mnmt_*, e.g.:" >&2
    echo "$others" | head -5 >&2
    exit 1
fi
echo "$lib: $(echo "$globals" | grep -c '^mnmt_') global symbols, all mnmt_*"

cargo build --quiet --release --manifest-path ctest/static_link/second/Cargo.toml \
    --target-dir "$out/second"
# shellcheck disable=SC2086
cc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude ctest/static_link/main.c \
    -Wl,--whole-archive "$lib" "$out/second/release/libsecond.a" -Wl,--no-whole-archive \
    $static_libs -o "$out/static_link"
"$out/static_link" $model
