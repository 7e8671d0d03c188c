#!/bin/sh
# Rewrites a Rust static library in place so that it defines no global symbol but the mnmt_*
# API. A Rust staticlib carries its whole standard library (allocator shims, panic runtime,
# formatting, ...) as global symbols; two of them in one program under --whole-archive collide.
#
# One relocatable link merges every member into one object, whose internal references are then
# resolved by symbols made local (`objcopy --keep-global-symbols`); undefined symbols (libc) stay.
# Usage: tools/localize-static.sh LIB.a      (idempotent)
# Tools: LD, OBJCOPY, NM, AR from the environment (and readelf); the NDK's ld.lld, llvm-objcopy, llvm-nm and
# llvm-ar do the same for Android. Apple's ld64 has no --whole-archive/objcopy pair: use
#   ld -r -all_load -exported_symbols_list keep.txt LIB.a -o mobilenmt.o   (keep.txt: _mnmt_*)
#   libtool -static -o LIB.a mobilenmt.o
set -eu
lib=$1
LD=${LD:-ld}
OBJCOPY=${OBJCOPY:-objcopy}
NM=${NM:-nm}
AR=${AR:-ar}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Release builds embed LLVM bitcode (.llvmbc) next to the machine code; a system linker's LTO
# plugin of another LLVM version then fails on it. Nothing downstream needs it.
"$OBJCOPY" --remove-section=.llvmbc --remove-section=.llvmcmd "$lib" "$tmp/in.a"
"$LD" -r --whole-archive "$tmp/in.a" -o "$tmp/mobilenmt.o"
"$NM" -g --defined-only "$tmp/mobilenmt.o" | awk '$3 ~ /^mnmt_/ { print $3 }' > "$tmp/keep"
if [ ! -s "$tmp/keep" ]; then
    echo "localize-static: no mnmt_* symbol in $lib" >&2
    exit 1
fi
"$OBJCOPY" --keep-global-symbols="$tmp/keep" "$tmp/mobilenmt.o"
# A COMDAT group (e.g. DW.ref.rust_eh_personality) is deduplicated by its signature across the
# whole link: another Rust library's copy would be dropped in favour of ours, whose symbol is now
# local, and its references would break. Renamed signatures make our groups our own.
readelf -gW "$tmp/mobilenmt.o" |
    sed -n "s/^COMDAT group section \[[ 0-9]*\] \`[^']*' \[\(.*\)\] contains .*/\1/p" |
    sort -u | awk '{ print $1, "mnmt_private." $1 }' > "$tmp/groups"
if [ -s "$tmp/groups" ]; then
    "$OBJCOPY" --redefine-syms="$tmp/groups" "$tmp/mobilenmt.o"
fi
"$AR" rcs "$tmp/libmobilenmt.a" "$tmp/mobilenmt.o"
mv "$tmp/libmobilenmt.a" "$lib"
