//! Library and ABI versions.

use std::ffi::c_char;

use static_assertions::const_assert_eq;

use super::boundary::ffi_guard_value;

/// The ABI version of this header: `major * 65536 + minor` of the crate version in Cargo.toml.
/// Compare it with `mnmt_abi_version()` at start-up to catch a header/library mismatch.
/// Before 1.0 a minor release may change the ABI; from 1.0 on only a major release does.
pub const MNMT_ABI_VERSION: u32 = 1;

/// Parses a decimal version component at compile time.
const fn parse_component(s: &str) -> u32 {
    let bytes = s.as_bytes();
    let mut value = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        assert!(
            bytes[i].is_ascii_digit(),
            "version component is not a number"
        );
        value = value * 10 + (bytes[i] - b'0') as u32;
        i += 1;
    }
    value
}

// cbindgen can only emit a literal, so the constant is written out above; this makes the build
// fail the moment Cargo.toml's version moves without it.
const_assert_eq!(
    MNMT_ABI_VERSION,
    parse_component(env!("CARGO_PKG_VERSION_MAJOR")) * 65536
        + parse_component(env!("CARGO_PKG_VERSION_MINOR"))
);

/// Returns the library version as text, e.g. "0.1.0" (the crate version).
///
/// Returns: never NULL; static text, do not free.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub extern "C" fn mnmt_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Returns the ABI version the library was built with: compare it with `MNMT_ABI_VERSION` from
/// the header your program was compiled against; different values mean the program must be
/// rebuilt against this library's header.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub extern "C" fn mnmt_abi_version() -> u32 {
    ffi_guard_value("mnmt_abi_version", MNMT_ABI_VERSION, || MNMT_ABI_VERSION)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn version_strings_match_cargo() {
        // SAFETY: mnmt_version returns static NUL-terminated text.
        let v = unsafe { CStr::from_ptr(mnmt_version()) }.to_str().unwrap();
        assert_eq!(v, env!("CARGO_PKG_VERSION"));
        let major: u32 = env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap();
        let minor: u32 = env!("CARGO_PKG_VERSION_MINOR").parse().unwrap();
        assert_eq!(mnmt_abi_version(), major * 65536 + minor);
    }

    #[test]
    fn header_defines_the_same_abi_version() {
        let header = include_str!("../../include/mobilenmt.h");
        let line = format!("#define MNMT_ABI_VERSION {MNMT_ABI_VERSION}");
        assert!(header.contains(&line), "include/mobilenmt.h lacks `{line}`");
    }
}
