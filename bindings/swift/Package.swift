// swift-tools-version:5.5
// The Swift binding of mobilenmt. Untested: no Swift toolchain was available where it was written
// (see docs/mobile.md); the Java binding, which it mirrors, is the tested one.
import Foundation
import PackageDescription

// Where the C library comes from:
// - default: CMobileNMT.xcframework, built by ./build-xcframework.sh (iOS devices, iOS
//   simulators, macOS), with the header and its module map inside;
// - MOBILENMT_SYSTEM_LIBRARY=1: a library installed by `make install` and found with
//   pkg-config (macOS or Linux development builds).
let useSystemLibrary = ProcessInfo.processInfo.environment["MOBILENMT_SYSTEM_LIBRARY"] != nil

let cLibrary: Target = useSystemLibrary
    ? .systemLibrary(name: "CMobileNMT", path: "Sources/CMobileNMT", pkgConfig: "mobilenmt")
    : .binaryTarget(name: "CMobileNMT", path: "CMobileNMT.xcframework")

let package = Package(
    name: "MobileNMT",
    platforms: [.iOS(.v13), .macOS(.v11)],
    products: [
        .library(name: "MobileNMT", targets: ["MobileNMT"]),
    ],
    targets: [
        cLibrary,
        .target(name: "MobileNMT", dependencies: ["CMobileNMT"]),
        .testTarget(name: "MobileNMTTests", dependencies: ["MobileNMT"]),
    ]
)
