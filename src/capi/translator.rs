//! `mnmt_translator`: the opaque handle, its load options, loading and freeing.

use std::ffi::{c_char, CStr};
use std::mem::size_of;
use std::path::Path;

use static_assertions::{assert_impl_all, const_assert_eq};

use super::boundary::{
    check_out, ffi_guard, ffi_guard_value, read_extensible, try_cstr, try_slice,
};
use super::info::InfoText;
use super::status::mnmt_status;
use crate::model::Model;
use crate::tokenizer::Tokenizer;
use crate::Result;
use crate::{Limits, LoadOptions, Translator};

/// How a translator is built: its worker threads and the limits that size its buffers. Get the
/// defaults from `mnmt_load_options_default()`, change the fields you care about, and pass a
/// pointer to `mnmt_load_ex()` / `mnmt_load_from_memory_ex()` (or NULL for all defaults, which
/// is what `mnmt_load()` uses).
///
/// Extensible like `mnmt_options`: `struct_size` is `sizeof(mnmt_load_options)` as the caller
/// compiled it; a smaller value (at least 8 bytes) means the fields after it take their
/// defaults; a larger one is accepted and the fields this library does not know are ignored.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct mnmt_load_options {
    /// `sizeof(mnmt_load_options)`; values below 8 are `MNMT_INVALID_ARGUMENT`.
    pub struct_size: u32,
    /// Threads that work on one call, the calling thread included: 1 = no worker thread at
    /// all; 0 = the library picks (the cores available to the process, at most 4) (default 0);
    /// at most 256. Results are identical for every value.
    pub num_threads: u32,
    /// Most sentences one `mnmt_translate_batch()` call decodes together, 1..=1024 (default 32).
    pub max_batch: u32,
    /// Largest beam a call may ask for, 1..=64 (default 8).
    pub max_beam: u32,
    /// Longest source in tokens including `</s>`, at least 2 (default 256; lowered to the
    /// model's position table).
    pub max_source_tokens: u32,
    /// Most generated tokens including `</s>`, at least 1 (default 256; lowered to the model's
    /// position table).
    pub max_target_tokens: u32,
}

// Every field is 4 bytes, so the struct has no padding and reads the same in every language.
const_assert_eq!(size_of::<mnmt_load_options>(), 24);

fn u32_of(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

impl mnmt_load_options {
    fn defaults() -> Self {
        let d = LoadOptions::default();
        mnmt_load_options {
            struct_size: u32_of(size_of::<mnmt_load_options>()),
            num_threads: u32_of(d.num_threads),
            max_batch: u32_of(d.limits.max_batch),
            max_beam: u32_of(d.limits.max_beam),
            max_source_tokens: u32_of(d.limits.max_source_tokens),
            max_target_tokens: u32_of(d.limits.max_target_tokens),
        }
    }

    fn to_rust(self) -> LoadOptions {
        LoadOptions {
            limits: Limits {
                max_source_tokens: self.max_source_tokens as usize,
                max_target_tokens: self.max_target_tokens as usize,
                max_beam: self.max_beam as usize,
                max_batch: self.max_batch as usize,
            },
            num_threads: self.num_threads as usize,
        }
    }
}

/// Reads the caller's load options: NULL means defaults; fields beyond `struct_size` take
/// defaults.
///
/// # Safety
/// `opts` is NULL or points to `opts->struct_size` readable bytes, aligned for the struct.
unsafe fn read_load_options(opts: *const mnmt_load_options) -> Result<LoadOptions> {
    let d = mnmt_load_options::defaults();
    // SAFETY: mnmt_load_options is repr(C) of u32 fields only; `opts` per this function's
    // contract.
    let merged = unsafe { read_extensible(opts, d, 8, "mnmt_load_options") }?;
    Ok(merged.to_rust())
}

/// Returns the default load options, with `struct_size` set to `sizeof(mnmt_load_options)`.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub extern "C" fn mnmt_load_options_default() -> mnmt_load_options {
    mnmt_load_options::defaults()
}

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
    fn new(model: Model, opts: &LoadOptions) -> Result<Self> {
        let info = InfoText::new(&model)?;
        let translator = Translator::with_options(model, opts)?;
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

/// Loads a model file (`.gguf`, as written by `tools/convert.py`) and creates a translator
/// with the default load options (`mnmt_load_ex()` with NULL options).
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
    // SAFETY: per this function's contract; NULL options are the defaults.
    unsafe { mnmt_load_ex(path, std::ptr::null(), out) }
}

/// Loads a model file as `mnmt_load()` does, with load options: worker threads and limits.
///
/// Parameters: as `mnmt_load()`, and `opts`: the options, or NULL for
/// `mnmt_load_options_default()`.
///
/// Ownership: the caller owns `*out` and releases it with `mnmt_free()`; `opts` is only read
/// during the call.
///
/// Errors: as `mnmt_load()`; `MNMT_INVALID_ARGUMENT` also for invalid options (`struct_size`
/// below 8, a limit of 0 or above its maximum, `num_threads` above 256); `MNMT_OUT_OF_MEMORY`
/// when a worker thread cannot be started.
///
/// Thread safety: safe from any thread.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `opts` is NULL or points to `opts->struct_size`
/// readable bytes; `out` is NULL or valid for one pointer write.
#[no_mangle]
pub unsafe extern "C" fn mnmt_load_ex(
    path: *const c_char,
    opts: *const mnmt_load_options,
    out: *mut *mut mnmt_translator,
) -> mnmt_status {
    ffi_guard("mnmt_load_ex", || {
        check_out(out, "out")?;
        // SAFETY: per this function's contract.
        let opts = unsafe { read_load_options(opts) }?;
        // SAFETY: per this function's contract.
        let path = path_of(unsafe { try_cstr(path, "path") }?)?;
        let model = Model::load(path)?;
        let handle = mnmt_translator::new(model, &opts)?.into_raw();
        // SAFETY: `out` is non-NULL (checked above) and valid for a write per the contract.
        unsafe { out.write(handle) };
        Ok(())
    })
}

/// Creates a translator from a model file held in memory (for example an app asset), with the
/// default load options (`mnmt_load_from_memory_ex()` with NULL options).
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
    // SAFETY: per this function's contract; NULL options are the defaults.
    unsafe { mnmt_load_from_memory_ex(data, len, std::ptr::null(), out) }
}

/// Creates a translator from a model file held in memory as `mnmt_load_from_memory()` does,
/// with load options (see `mnmt_load_ex()`).
///
/// Errors: as `mnmt_load_from_memory()`, and those of invalid options (see `mnmt_load_ex()`).
///
/// Thread safety: safe from any thread.
///
/// # Safety
/// `data` is NULL or points to `len` readable bytes; `opts` is NULL or points to
/// `opts->struct_size` readable bytes; `out` is NULL or valid for one pointer write.
#[no_mangle]
pub unsafe extern "C" fn mnmt_load_from_memory_ex(
    data: *const u8,
    len: usize,
    opts: *const mnmt_load_options,
    out: *mut *mut mnmt_translator,
) -> mnmt_status {
    ffi_guard("mnmt_load_from_memory_ex", || {
        check_out(out, "out")?;
        // SAFETY: per this function's contract.
        let opts = unsafe { read_load_options(opts) }?;
        // SAFETY: per this function's contract.
        let bytes = unsafe { try_slice(data, len, "data") }?;
        let model = Model::from_bytes(bytes)?;
        let handle = mnmt_translator::new(model, &opts)?.into_raw();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_option_defaults_match_the_rust_defaults() {
        let d = mnmt_load_options_default();
        assert_eq!(d.struct_size, 24);
        assert_eq!(d.to_rust(), LoadOptions::default());
    }

    #[test]
    fn short_load_options_take_defaults_beyond_their_size() {
        let mut o = mnmt_load_options_default();
        o.num_threads = 3;
        o.max_batch = 5;
        o.struct_size = 8;
        // SAFETY: `o` is a live, aligned struct.
        let r = unsafe { read_load_options(&o) }.unwrap();
        assert_eq!((r.num_threads, r.limits), (3, Limits::default()));
        o.struct_size = 12;
        // SAFETY: as above.
        let r = unsafe { read_load_options(&o) }.unwrap();
        assert_eq!(r.limits.max_batch, 5);
        o.struct_size = 4;
        // SAFETY: as above.
        let e = unsafe { read_load_options(&o) }.unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
        // SAFETY: NULL means defaults.
        let null = unsafe { read_load_options(std::ptr::null()) }.unwrap();
        assert_eq!(null, LoadOptions::default());
    }
}
