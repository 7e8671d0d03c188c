//! The one place where C pointers become Rust values, and where Rust failures become statuses.
//!
//! Every `extern "C"` function body runs inside `ffi_guard`: the body returns a
//! [`crate::Result`], a panic is caught instead of unwinding into C, and the detailed message
//! of a failure lands in the calling thread's last-error slot ([`mnmt_last_error`]).
//! Keeping the boundary a plain function around the body (not a macro around the whole
//! `extern "C" fn`) lets cbindgen see each real signature.

use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::mem::size_of;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::status::mnmt_status;
use crate::{Error, ErrorKind, Result};

thread_local! {
    // One message per thread, so that concurrent callers never see each other's errors.
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Replaces the calling thread's last-error message.
pub(crate) fn set_last_error(message: &str) {
    // An interior NUL would cut the message short in C; replace it rather than lose the text.
    let text = CString::new(message.replace('\0', "\u{FFFD}")).unwrap_or_default();
    LAST_ERROR.with(|slot| *slot.borrow_mut() = text);
}

/// Clears the calling thread's last-error message (a call that succeeds leaves "").
fn clear_last_error() {
    LAST_ERROR.with(|slot| {
        let mut slot = slot.borrow_mut();
        if !slot.as_bytes().is_empty() {
            *slot = CString::default();
        }
    });
}

/// Extracts the text of a panic payload (`panic!` with a literal or a formatted message).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "unknown panic payload"
    }
}

/// Runs the body of the C function `name`: maps its error to a status and records the message;
/// a panic becomes [`mnmt_status::MNMT_INTERNAL`]. Success clears the last error.
pub(crate) fn ffi_guard(name: &str, body: impl FnOnce() -> Result<()>) -> mnmt_status {
    let outcome = catch_unwind(AssertUnwindSafe(body));
    match outcome {
        Ok(Ok(())) => {
            clear_last_error();
            mnmt_status::MNMT_OK
        }
        Ok(Err(e)) => {
            set_last_error(&format!("{name}: {}", e.message()));
            mnmt_status::from_kind(e.kind())
        }
        Err(payload) => {
            set_last_error(&format!(
                "{name}: internal error (panic: {}); please report this bug",
                panic_message(payload.as_ref())
            ));
            mnmt_status::MNMT_INTERNAL
        }
    }
}

/// Runs an infallible body that returns a value (getters): a panic yields `fallback`.
pub(crate) fn ffi_guard_value<T>(name: &str, fallback: T, body: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(v) => v,
        Err(payload) => {
            set_last_error(&format!(
                "{name}: internal error (panic: {}); please report this bug",
                panic_message(payload.as_ref())
            ));
            fallback
        }
    }
}

/// Borrows `*ptr`, or fails with an invalid-argument error naming `what`.
///
/// # Safety
/// `ptr` is NULL or points to a live, properly aligned `T` that nobody mutates during `'a`.
pub(crate) unsafe fn try_ref<'a, T>(ptr: *const T, what: &str) -> Result<&'a T> {
    // SAFETY: the caller guarantees that a non-NULL `ptr` is valid for reads for `'a`.
    unsafe { ptr.as_ref() }.ok_or_else(|| Error::invalid_argument(format!("{what} is NULL")))
}

/// Borrows `len` elements at `ptr`; NULL is accepted only when `len` is 0 (an empty slice).
///
/// # Safety
/// A non-NULL `ptr` points to `len` initialised, aligned `T`s that stay unchanged during `'a`.
pub(crate) unsafe fn try_slice<'a, T>(ptr: *const T, len: usize, what: &str) -> Result<&'a [T]> {
    if ptr.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(Error::invalid_argument(format!(
            "{what} is NULL but its length is {len}"
        )));
    }
    // `Layout::array` fails exactly when the byte size overflows `isize`.
    if std::alloc::Layout::array::<T>(len).is_err() {
        return Err(Error::invalid_argument(format!(
            "{what}: length {len} is impossibly large"
        )));
    }
    // SAFETY: `ptr` is non-NULL, the caller guarantees `len` readable elements, and the byte size
    // was checked to fit in `isize` as `from_raw_parts` requires.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows UTF-8 text given as pointer and byte length (NULL with length 0 is the empty string).
///
/// # Safety
/// As for [`try_slice`] with `T = u8`.
pub(crate) unsafe fn try_text<'a>(ptr: *const c_char, len: usize, what: &str) -> Result<&'a str> {
    // SAFETY: forwarded from the caller's contract.
    let bytes = unsafe { try_slice(ptr.cast::<u8>(), len, what) }?;
    std::str::from_utf8(bytes).map_err(|e| Error::from(e).context(what))
}

/// Borrows a NUL-terminated C string.
///
/// # Safety
/// A non-NULL `ptr` points to a NUL-terminated string that stays unchanged during `'a`.
pub(crate) unsafe fn try_cstr<'a>(ptr: *const c_char, what: &str) -> Result<&'a CStr> {
    if ptr.is_null() {
        return Err(Error::invalid_argument(format!("{what} is NULL")));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    Ok(unsafe { CStr::from_ptr(ptr) })
}

/// Reads a caller's extensible struct (`struct_size` first, every field 4 bytes): NULL means
/// `defaults`; a `struct_size` below `min` is an error naming `what`; fields beyond a smaller
/// `struct_size` keep their defaults, and bytes beyond `size_of::<T>()` (a newer header's
/// fields) are ignored.
///
/// # Safety
/// `T` is `repr(C)` and made only of `u32`/`f32` fields (any bit pattern is valid); `ptr` is
/// NULL or points to `struct_size` readable bytes, aligned for `T`.
pub(crate) unsafe fn read_extensible<T: Copy>(
    ptr: *const T,
    defaults: T,
    min: usize,
    what: &str,
) -> Result<T> {
    let mut merged = defaults;
    if ptr.is_null() {
        return Ok(merged);
    }
    // SAFETY: non-NULL and aligned; the first field is always present.
    let size = unsafe { ptr.cast::<u32>().read() } as usize;
    if size < min {
        return Err(Error::invalid_argument(format!(
            "{what}->struct_size is {size}; set it to sizeof({what}) ({what}_default() does)"
        )));
    }
    // Only whole fields the caller has: every field is 4 bytes.
    let n = size.min(size_of::<T>()) / 4 * 4;
    // SAFETY: the caller guarantees `size >= n` readable bytes at `ptr`; `merged` is a local of
    // `size_of::<T>() >= n` bytes made only of u32/f32 fields, for which any bit pattern is
    // valid; the regions cannot overlap.
    unsafe {
        std::ptr::copy_nonoverlapping(
            ptr.cast::<u8>(),
            std::ptr::addr_of_mut!(merged).cast::<u8>(),
            n,
        );
    }
    Ok(merged)
}

/// Fails with invalid-argument when an out-pointer is NULL, so that bodies check all pointers
/// before doing any work and write outputs only on success.
pub(crate) fn check_out<T>(ptr: *mut T, what: &str) -> Result<()> {
    if ptr.is_null() {
        Err(Error::invalid_argument(format!("{what} is NULL")))
    } else {
        Ok(())
    }
}

/// Writes `text` and a NUL into `out` when it fits in `cap` bytes; reports the length either way.
///
/// # Safety
/// `out` is NULL or valid for `cap` byte writes; `out_len` is non-NULL and valid for a write.
pub(crate) unsafe fn copy_text(
    text: &str,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> Result<()> {
    let needed = text.len();
    // SAFETY: `out_len` is valid for a write per the contract; it is the one out-parameter
    // written on MNMT_BUFFER_TOO_SMALL too.
    unsafe { out_len.write(needed) };
    if needed >= cap {
        return Err(Error::new(
            ErrorKind::BufferTooSmall,
            format!(
                "the output needs {} bytes (text and NUL), the buffer has {cap}",
                needed + 1
            ),
        ));
    }
    // `cap > needed >= 0`, so `out` is not NULL (`check_buffer` rejected NULL with a capacity).
    // SAFETY: `out` is valid for `cap > needed` byte writes per the contract, and the library
    // owns `text`, so the regions cannot overlap.
    let dst = unsafe { std::slice::from_raw_parts_mut(out.cast::<u8>(), needed + 1) };
    dst[..needed].copy_from_slice(text.as_bytes());
    dst[needed] = 0;
    Ok(())
}

/// Rejects a NULL output buffer that claims a capacity.
pub(crate) fn check_buffer(out: *mut c_char, cap: usize) -> Result<()> {
    if out.is_null() && cap > 0 {
        return Err(Error::invalid_argument(format!(
            "out is NULL but cap is {cap}"
        )));
    }
    Ok(())
}

/// Returns the calling thread's most recent error message, as UTF-8 text.
///
/// Every fallible `mnmt_*` function (one that returns `mnmt_status`) replaces this message:
/// with a detailed explanation when it fails (which argument, key, tensor or offset was wrong),
/// with the empty string when it succeeds.
///
/// Returns: never NULL; "" when the last fallible call on this thread succeeded or none was made.
///
/// Ownership and lifetime: the text belongs to the library; do not free it. It stays valid until
/// the next `mnmt_*` call on the same thread; copy it if you need it longer.
///
/// Thread safety: each thread has its own message; calls on other threads never change it.
#[no_mangle]
pub extern "C" fn mnmt_last_error() -> *const c_char {
    ffi_guard_value("mnmt_last_error", b"\0".as_ptr().cast(), || {
        LAST_ERROR.with(|slot| slot.borrow().as_ptr())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_error() -> String {
        // SAFETY: mnmt_last_error never returns NULL and the text stays valid until the next call.
        unsafe { CStr::from_ptr(mnmt_last_error()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn error_sets_status_and_message_success_clears_it() {
        let s = ffi_guard("mnmt_demo", || {
            Err(Error::new(ErrorKind::BadModel, "tensor x: bad shape"))
        });
        assert_eq!(s, mnmt_status::MNMT_BAD_MODEL);
        assert_eq!(last_error(), "mnmt_demo: tensor x: bad shape");
        assert_eq!(ffi_guard("mnmt_demo", || Ok(())), mnmt_status::MNMT_OK);
        assert_eq!(last_error(), "");
    }

    #[test]
    fn panic_becomes_internal_status() {
        let s = ffi_guard("mnmt_boom", || panic!("kaboom {}", 42));
        assert_eq!(s, mnmt_status::MNMT_INTERNAL);
        let msg = last_error();
        assert!(
            msg.contains("mnmt_boom") && msg.contains("kaboom 42"),
            "{msg}"
        );
        assert_eq!(ffi_guard_value("mnmt_boom", 7, || panic!("x")), 7);
    }

    #[test]
    fn interior_nul_does_not_truncate() {
        ffi_guard("f", || Err(Error::invalid_argument("a\0b")));
        assert_eq!(last_error(), "f: a\u{FFFD}b");
    }

    #[test]
    fn last_error_is_per_thread() {
        ffi_guard("main", || Err(Error::invalid_argument("here")));
        std::thread::spawn(|| assert_eq!(last_error(), ""))
            .join()
            .unwrap();
        assert_eq!(last_error(), "main: here");
    }

    #[test]
    fn pointer_helpers_reject_null_and_bad_utf8() {
        fn text(ptr: *const u8, len: usize) -> Result<&'static str> {
            // SAFETY: the callers below pass NULL or a static buffer of `len` bytes.
            unsafe { try_text(ptr.cast(), len, "t") }
        }
        assert_eq!(text(std::ptr::null(), 0).unwrap(), "");
        let null_with_len = text(std::ptr::null(), 3).unwrap_err();
        assert_eq!(null_with_len.kind(), ErrorKind::InvalidArgument);
        static BAD: [u8; 2] = [b'a', 0xff];
        assert_eq!(
            text(BAD.as_ptr(), 2).unwrap_err().kind(),
            ErrorKind::InvalidUtf8
        );
        // SAFETY: NULL is allowed by the helper's contract.
        assert!(unsafe { try_ref::<u32>(std::ptr::null(), "x") }.is_err());
        // SAFETY: NULL is allowed by the helper's contract.
        assert!(unsafe { try_cstr(std::ptr::null(), "path") }.is_err());
        // SAFETY: the length is rejected before any pointer is formed, so dangling is fine.
        assert!(unsafe { try_slice(8usize as *const u64, usize::MAX / 4, "big") }.is_err());
        assert!(check_out::<u32>(std::ptr::null_mut(), "out").is_err());
    }

    #[test]
    fn copy_text_reports_needed_size() {
        let mut buf = [0x55 as c_char; 6];
        let mut len = 0usize;
        // SAFETY: `buf` has 6 writable bytes and `len` is a live local.
        let e = unsafe { copy_text("hello", buf.as_mut_ptr(), 5, &mut len) }.unwrap_err();
        assert_eq!(
            (e.kind(), len, buf[0]),
            (ErrorKind::BufferTooSmall, 5, 0x55)
        );
        // SAFETY: as above.
        unsafe { copy_text("hello", buf.as_mut_ptr(), 6, &mut len) }.unwrap();
        assert_eq!(&buf[..6], b"hello\0".map(|b| b as c_char));
    }
}
