#!/usr/bin/env bash
# Builds libmobilenmt_jni.so for each Android ABI into src/main/jniLibs/<abi>/, as `cargo ndk`
# does: the Rust static library per target with the NDK's clang as linker, then the JNI shim
# (bindings/java/jni/mobilenmt_jni.c) linked with it into one shared library per ABI.
#
# Needs rustup and the Android NDK r25 or newer. Untested: no NDK could be used where this was
# written (see docs/mobile.md); the same shim and Java sources are built and tested on the host
# by `make test-java`, and the Rust library for 32-bit ARM by `make test-armv7`.
#
# Usage: ANDROID_NDK_HOME=/path/to/ndk bindings/android/build-native.sh [ABI...]
#   ABIs: arm64-v8a armeabi-v7a x86_64 x86 (default: all four); ANDROID_API (default 21);
#   ARMV7_TRIPLE=thumbv7neon-linux-androideabi builds armeabi-v7a with NEON (the scalar INT8
#   kernel is then auto-vectorised; devices without NEON would crash), default
#   armv7-linux-androideabi (no NEON).
set -euo pipefail
ndk=${ANDROID_NDK_HOME:?set ANDROID_NDK_HOME to the Android NDK (r25 or newer)}
api=${ANDROID_API:-21}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
jni=$root/bindings/java/jni

case "$(uname -s)" in
    Linux) host=linux-x86_64 ;;
    Darwin) host=darwin-x86_64 ;; # the NDK's macOS toolchain is universal despite its name
    *) echo "unsupported build host $(uname -s)" >&2; exit 1 ;;
esac
bin=$ndk/toolchains/llvm/prebuilt/$host/bin
[ -d "$bin" ] || { echo "no NDK toolchain at $bin" >&2; exit 1; }

abis=("$@")
[ ${#abis[@]} -gt 0 ] || abis=(arm64-v8a armeabi-v7a x86_64 x86)

for abi in "${abis[@]}"; do
    case $abi in
        arm64-v8a) triple=aarch64-linux-android; clang=aarch64-linux-android$api-clang ;;
        armeabi-v7a) triple=${ARMV7_TRIPLE:-armv7-linux-androideabi}; clang=armv7a-linux-androideabi$api-clang ;;
        x86_64) triple=x86_64-linux-android; clang=x86_64-linux-android$api-clang ;;
        x86) triple=i686-linux-android; clang=i686-linux-android$api-clang ;;
        *) echo "unknown ABI $abi" >&2; exit 1 ;;
    esac
    echo "== $abi ($triple)"
    rustup target add "$triple"
    upper=$(echo "$triple" | tr 'a-z-' 'A-Z_')
    (cd "$root" && env "CARGO_TARGET_${upper}_LINKER=$bin/$clang" "AR_${triple//-/_}=$bin/llvm-ar" \
        cargo build --release --lib --target "$triple")
    mkdir -p "$here/src/main/jniLibs/$abi"
    # jni.h comes from the NDK sysroot. 16 KB pages: required for Android 15+ on 64-bit devices.
    "$bin/$clang" -std=c99 -O2 -Wall -Wextra -Werror -pedantic -fPIC -shared \
        -I"$root/include" -I"$jni" "$jni/mobilenmt_jni.c" \
        "$root/target/$triple/release/libmobilenmt.a" \
        -Wl,--version-script="$jni/exports.map" -Wl,--gc-sections -Wl,-z,defs \
        -Wl,-z,max-page-size=16384 -ldl -lm -llog \
        -o "$here/src/main/jniLibs/$abi/libmobilenmt_jni.so"
    "$bin/llvm-strip" --strip-unneeded "$here/src/main/jniLibs/$abi/libmobilenmt_jni.so"
done
echo "built: $(cd "$here" && ls src/main/jniLibs/*/libmobilenmt_jni.so | tr '\n' ' ')"
