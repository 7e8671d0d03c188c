//! `mnmt_status`: the result of every fallible C function, one value per [`ErrorKind`].

use std::ffi::{c_char, c_int};

use super::boundary::ffi_guard_value;
use crate::ErrorKind;

/// The result of every fallible `mnmt_*` function. `MNMT_OK` (0) means success; any other value
/// is a failure whose detailed message `mnmt_last_error()` returns on the same thread.
///
/// Values are stable: a value, once released, keeps its meaning and is never reused. New values
/// may be added at the end, so treat an unknown value as a generic failure.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum mnmt_status {
    /// Success.
    MNMT_OK = 0,
    /// A NULL pointer, an out-of-range value or inconsistent options were passed.
    MNMT_INVALID_ARGUMENT = 1,
    /// The model file could not be opened, read or mapped.
    MNMT_IO_ERROR = 2,
    /// The data is not a valid mobilenmt model file (corrupt, truncated or inconsistent).
    MNMT_BAD_MODEL = 3,
    /// The model file is valid but uses a feature this build does not implement.
    MNMT_UNSUPPORTED_MODEL = 4,
    /// Input text is not valid UTF-8.
    MNMT_INVALID_UTF8 = 5,
    /// The input is longer than the translator's limits (see `mnmt_options.truncate`).
    MNMT_INPUT_TOO_LONG = 6,
    /// The output buffer is too small; the needed size was written to the length out-parameter.
    MNMT_BUFFER_TOO_SMALL = 7,
    /// Memory could not be allocated.
    MNMT_OUT_OF_MEMORY = 8,
    /// A bug in the library (a caught panic or a broken internal invariant); please report it.
    MNMT_INTERNAL = 9,
}

impl mnmt_status {
    /// The status for an error kind; the mapping is one to one.
    pub fn from_kind(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidArgument => mnmt_status::MNMT_INVALID_ARGUMENT,
            ErrorKind::Io => mnmt_status::MNMT_IO_ERROR,
            ErrorKind::BadModel => mnmt_status::MNMT_BAD_MODEL,
            ErrorKind::UnsupportedModel => mnmt_status::MNMT_UNSUPPORTED_MODEL,
            ErrorKind::InvalidUtf8 => mnmt_status::MNMT_INVALID_UTF8,
            ErrorKind::InputTooLong => mnmt_status::MNMT_INPUT_TOO_LONG,
            ErrorKind::BufferTooSmall => mnmt_status::MNMT_BUFFER_TOO_SMALL,
            ErrorKind::OutOfMemory => mnmt_status::MNMT_OUT_OF_MEMORY,
            ErrorKind::Internal => mnmt_status::MNMT_INTERNAL,
        }
    }

    /// The fixed English description, NUL-terminated.
    fn text(code: c_int) -> &'static [u8] {
        match code {
            0 => b"ok\0",
            1 => b"invalid argument\0",
            2 => b"I/O error\0",
            3 => b"bad model file\0",
            4 => b"unsupported model\0",
            5 => b"invalid UTF-8\0",
            6 => b"input too long\0",
            7 => b"buffer too small\0",
            8 => b"out of memory\0",
            9 => b"internal error\0",
            _ => b"unknown status\0",
        }
    }
}

/// Returns a short English description of a status ("ok", "invalid argument", ...).
///
/// `status`: a `mnmt_status` value. The parameter is a plain `int` so that any number is safe
/// to pass (a C enum may hold values this library does not define): unknown values give
/// "unknown status".
///
/// Returns: never NULL; static text that must not be freed and stays valid forever.
///
/// Thread safety: safe to call from any thread; does not change `mnmt_last_error()`.
#[no_mangle]
pub extern "C" fn mnmt_status_string(status: c_int) -> *const c_char {
    ffi_guard_value(
        "mnmt_status_string",
        b"internal error\0".as_ptr().cast(),
        || mnmt_status::text(status).as_ptr().cast(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    const ALL: [ErrorKind; 9] = [
        ErrorKind::InvalidArgument,
        ErrorKind::Io,
        ErrorKind::BadModel,
        ErrorKind::UnsupportedModel,
        ErrorKind::InvalidUtf8,
        ErrorKind::InputTooLong,
        ErrorKind::BufferTooSmall,
        ErrorKind::OutOfMemory,
        ErrorKind::Internal,
    ];

    #[test]
    fn kinds_map_one_to_one_to_nonzero_statuses() {
        let mut seen = std::collections::HashSet::new();
        for kind in ALL {
            let s = mnmt_status::from_kind(kind);
            assert_ne!(s, mnmt_status::MNMT_OK);
            assert!(seen.insert(s), "{kind:?} shares a status");
        }
    }

    #[test]
    fn every_status_has_its_own_text() {
        let text = |c: c_int| {
            // SAFETY: mnmt_status_string returns static NUL-terminated text.
            unsafe { CStr::from_ptr(mnmt_status_string(c)) }
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(text(mnmt_status::MNMT_OK as c_int), "ok");
        assert_eq!(text(mnmt_status::MNMT_BAD_MODEL as c_int), "bad model file");
        assert_eq!(text(-1), "unknown status");
        assert_eq!(text(10), "unknown status");
        let texts: std::collections::HashSet<_> = (0..=9).map(text).collect();
        assert_eq!(texts.len(), 10);
    }
}
