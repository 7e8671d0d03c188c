//! Gives the Linux shared library a SONAME (`libmobilenmt.so.<major>`), so that programs linked
//! against it record the ABI they need and `make install` can put versioned files side by side.
//! Here rather than in RUSTFLAGS so that a plain `cargo build` produces the same library.
//! Android is left out: its loader and `jniLibs/` expect the bare `libmobilenmt.so` name.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets the version");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmobilenmt.so.{major}");
    }
}
