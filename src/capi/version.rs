//! Library and ABI versions.

use std::ffi::{c_char, CString};
use std::sync::OnceLock;

use static_assertions::const_assert_eq;

use super::boundary::{ffi_guard_value, set_last_error};

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

/// Returns the name of the INT8 kernel set this process uses, e.g. "x86_64-avx2",
/// "aarch64-dotprod" or "scalar": the best one the CPU supports, or the one the environment
/// variable `MNMT_FORCE_ISA` (read once, at first use) asks for.
///
/// Returns: never NULL; static text, do not free. "unavailable" when the selection failed (for
/// example `MNMT_FORCE_ISA` names an ISA this CPU lacks); `mnmt_last_error()` then says why, and
/// loading an INT8 model fails the same way.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub extern "C" fn mnmt_kernel_name() -> *const c_char {
    static NAME: OnceLock<Option<CString>> = OnceLock::new();
    let unavailable = b"unavailable\0".as_ptr().cast();
    ffi_guard_value(
        "mnmt_kernel_name",
        unavailable,
        || match crate::kernels::active() {
            Ok(k) => NAME
                .get_or_init(|| CString::new(k.name).ok())
                .as_ref()
                .map_or(unavailable, |n| n.as_ptr()),
            Err(e) => {
                set_last_error(&format!("mnmt_kernel_name: {}", e.message()));
                unavailable
            }
        },
    )
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
    fn kernel_name_is_the_active_kernel() {
        // SAFETY: mnmt_kernel_name returns static NUL-terminated text.
        let name = unsafe { CStr::from_ptr(mnmt_kernel_name()) }
            .to_str()
            .unwrap();
        assert_eq!(name, crate::kernels::active().unwrap().name);
    }

    #[test]
    fn header_defines_the_same_abi_version() {
        let header = include_str!("../../include/mobilenmt.h");
        let line = format!("#define MNMT_ABI_VERSION {MNMT_ABI_VERSION}");
        assert!(header.contains(&line), "include/mobilenmt.h lacks `{line}`");
    }
}
