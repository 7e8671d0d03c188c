//! `mnmt_translator`: the opaque handle, its loading and freeing.

use std::ffi::{c_char, CStr};
use std::path::Path;

use static_assertions::assert_impl_all;

use super::boundary::{check_out, ffi_guard, ffi_guard_value, try_cstr, try_slice};
use super::info::InfoText;
use super::status::mnmt_status;
use crate::model::Model;
use crate::tokenizer::Tokenizer;
use crate::Result;
use crate::{Limits, Translator};

/// A loaded model, ready to translate. Opaque: create it with `mnmt_load()` or
/// `mnmt_load_from_memory()` and release it with `mnmt_free()`.
///
/// Thread safety: one handle may be used by any number of threads at once.
#[allow(non_camel_case_types)]
#[derive(Debug)]
pub struct mnmt_translator {
    translator: Translator,
    info: InfoText,
}

// Concurrent use from C threads is part of the contract; fail the build if it stops holding.
assert_impl_all!(mnmt_translator: Send, Sync);

impl mnmt_translator {
    fn new(model: Model) -> Result<Self> {
        let info = InfoText::new(&model)?;
        let translator = Translator::new(model, Limits::default())?;
        Ok(mnmt_translator { translator, info })
    }

    pub(crate) fn translator(&self) -> &Translator {
        &self.translator
    }

    pub(crate) fn model(&self) -> &Model {
        self.translator.model()
    }

    pub(crate) fn tokenizer(&self) -> &Tokenizer {
        self.translator.tokenizer()
    }

    pub(crate) fn info_text(&self) -> &InfoText {
        &self.info
    }

    /// Hands the handle to C: only `mnmt_free()` may release it.
    fn into_raw(self) -> *mut mnmt_translator {
        Box::into_raw(Box::new(self))
    }
}

#[cfg(unix)]
fn path_of(path: &CStr) -> Result<&Path> {
    use std::os::unix::ffi::OsStrExt;
    Ok(Path::new(std::ffi::OsStr::from_bytes(path.to_bytes())))
}

#[cfg(not(unix))]
fn path_of(path: &CStr) -> Result<&Path> {
    path.to_str()
        .map(Path::new)
        .map_err(|_| crate::Error::new(crate::ErrorKind::InvalidUtf8, "path is not valid UTF-8"))
}

/// Loads a model file (`.gguf`, as written by `tools/convert.py`) and creates a translator.
///
/// The file is memory-mapped, not read: loading is fast and the weights are shared with the
/// page cache. The file must not be modified or truncated while the translator lives.
///
/// Parameters:
/// - `path`: NUL-terminated file name (bytes as the OS takes them; UTF-8 on Windows); not NULL.
/// - `out`: receives the new translator on success (untouched on failure); not NULL.
///
/// Ownership: the caller owns `*out` and releases it with `mnmt_free()`.
///
/// Errors: `MNMT_INVALID_ARGUMENT` (NULL pointer), `MNMT_IO_ERROR` (cannot open or map),
/// `MNMT_BAD_MODEL` (corrupt, truncated or inconsistent file), `MNMT_UNSUPPORTED_MODEL` (a valid
/// file needing a feature this build lacks). `mnmt_last_error()` says which key or tensor.
///
/// Thread safety: safe from any thread.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `out` is NULL or valid for one pointer write.
#[no_mangle]
pub unsafe extern "C" fn mnmt_load(
    path: *const c_char,
    out: *mut *mut mnmt_translator,
) -> mnmt_status {
    ffi_guard("mnmt_load", || {
        check_out(out, "out")?;
        // SAFETY: per this function's contract.
        let path = path_of(unsafe { try_cstr(path, "path") }?)?;
        let model = Model::load(path)?;
        let handle = mnmt_translator::new(model)?.into_raw();
        // SAFETY: `out` is non-NULL (checked above) and valid for a write per the contract.
        unsafe { out.write(handle) };
        Ok(())
    })
}

/// Creates a translator from a model file held in memory (for example an app asset).
///
/// The bytes are copied: the caller may free or reuse `data` as soon as this returns.
///
/// Parameters:
/// - `data`, `len`: the whole model file; `data` not NULL unless `len` is 0 (which fails as
///   `MNMT_BAD_MODEL`).
/// - `out`: receives the new translator on success (untouched on failure); not NULL.
///
/// Ownership: the caller owns `*out` and releases it with `mnmt_free()`.
///
/// Errors: as `mnmt_load()`, without `MNMT_IO_ERROR`; `MNMT_OUT_OF_MEMORY` if the copy fails.
///
/// Thread safety: safe from any thread.
///
/// # Safety
/// `data` is NULL or points to `len` readable bytes; `out` is NULL or valid for one pointer write.
#[no_mangle]
pub unsafe extern "C" fn mnmt_load_from_memory(
    data: *const u8,
    len: usize,
    out: *mut *mut mnmt_translator,
) -> mnmt_status {
    ffi_guard("mnmt_load_from_memory", || {
        check_out(out, "out")?;
        // SAFETY: per this function's contract.
        let bytes = unsafe { try_slice(data, len, "data") }?;
        let model = Model::from_bytes(bytes)?;
        let handle = mnmt_translator::new(model)?.into_raw();
        // SAFETY: `out` is non-NULL (checked above) and valid for a write per the contract.
        unsafe { out.write(handle) };
        Ok(())
    })
}

/// Releases a translator and everything it owns (the mapping, workspaces, info strings).
///
/// `t`: a translator from `mnmt_load()`/`mnmt_load_from_memory()`, or NULL (does nothing).
///
/// Thread safety: no other call may be using `t`, and `t` must not be used afterwards.
///
/// # Safety
/// `t` is NULL or a translator from this library that has not been freed yet.
#[no_mangle]
pub unsafe extern "C" fn mnmt_free(t: *mut mnmt_translator) {
    ffi_guard_value("mnmt_free", (), || {
        if !t.is_null() {
            // SAFETY: `t` came from `Box::into_raw` in `into_raw` and is freed only once, per the
            // contract.
            drop(unsafe { Box::from_raw(t) });
        }
    })
}
