#!/usr/bin/env bash
# Builds bindings/swift/CMobileNMT.xcframework: the static library for iOS devices, iOS
# simulators (arm64 + x86_64) and macOS (arm64 + x86_64), each with the C header and a module
# map, so that Package.swift's binary target can `import CMobileNMT`.
#
# Needs macOS with Xcode (xcodebuild, lipo) and rustup. Untested: written without a Mac (see
# docs/mobile.md).
#
# Usage: bindings/swift/build-xcframework.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=build/xcframework
xcf=bindings/swift/CMobileNMT.xcframework

ios=aarch64-apple-ios
sims=(aarch64-apple-ios-sim x86_64-apple-ios)
macs=(aarch64-apple-darwin x86_64-apple-darwin)

rustup target add "$ios" "${sims[@]}" "${macs[@]}"
# The deployment targets of Package.swift; rustc reads them from the environment.
export IPHONEOS_DEPLOYMENT_TARGET=13.0 MACOSX_DEPLOYMENT_TARGET=11.0
for t in "$ios" "${sims[@]}" "${macs[@]}"; do
    cargo build --release --lib --target "$t"
done

rm -rf "$out" "$xcf"
mkdir -p "$out/headers" "$out/ios" "$out/ios-sim" "$out/macos"
cp include/mobilenmt.h "$out/headers/"
printf 'module CMobileNMT {\n    header "mobilenmt.h"\n    export *\n}\n' \
    > "$out/headers/module.modulemap"

# One library per platform: the simulator and macOS slices are fat (arm64 + x86_64).
libs() { for t in "$@"; do echo "target/$t/release/libmobilenmt.a"; done; }
cp "$(libs "$ios")" "$out/ios/"
mapfile -t sim_libs < <(libs "${sims[@]}")
mapfile -t mac_libs < <(libs "${macs[@]}")
lipo -create "${sim_libs[@]}" -output "$out/ios-sim/libmobilenmt.a"
lipo -create "${mac_libs[@]}" -output "$out/macos/libmobilenmt.a"

xcodebuild -create-xcframework \
    -library "$out/ios/libmobilenmt.a" -headers "$out/headers" \
    -library "$out/ios-sim/libmobilenmt.a" -headers "$out/headers" \
    -library "$out/macos/libmobilenmt.a" -headers "$out/headers" \
    -output "$xcf"
echo "built $xcf"
