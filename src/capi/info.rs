//! `mnmt_model_info`: the loaded model's facts, in an extensible struct.

use std::ffi::{c_char, CString};
use std::mem::size_of;

use super::boundary::{ffi_guard, try_ref};
use super::status::mnmt_status;
use super::translator::mnmt_translator;
use crate::model::{DType, Model};
use crate::{Error, Result};

/// Facts about a loaded model, filled by `mnmt_get_model_info()`.
///
/// Extensible: set `struct_size = sizeof(mnmt_model_info)` before the call. A library built with
/// a shorter struct fills only the fields it knows and sets `struct_size` to the bytes it
/// filled; fields after that keep whatever the caller put there. New fields are only ever added
/// at the end.
///
/// The text fields point into the translator: never NULL (the empty string when the model file
/// does not say), UTF-8, valid until `mnmt_free()` of the translator, not to be freed.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy)]
pub struct mnmt_model_info {
    /// In: `sizeof(mnmt_model_info)` as the caller compiled it. Out: the bytes filled.
    pub struct_size: u32,
    /// Source (encoder) vocabulary size.
    pub vocab_size: u32,
    /// Target (decoder) vocabulary size: the number of logits per step.
    pub decoder_vocab_size: u32,
    /// Model width.
    pub d_model: u32,
    /// Encoder layers.
    pub encoder_layers: u32,
    /// Decoder layers.
    pub decoder_layers: u32,
    /// Encoder attention heads.
    pub encoder_heads: u32,
    /// Decoder attention heads.
    pub decoder_heads: u32,
    /// Encoder feed-forward inner size.
    pub encoder_ffn_dim: u32,
    /// Decoder feed-forward inner size.
    pub decoder_ffn_dim: u32,
    /// 1 when the source and target embeddings are one matrix, else 0.
    pub shared_embeddings: u32,
    /// 1 when the output projection is the decoder's embedding matrix, else 0.
    pub tied_output: u32,
    // Twelve u32 fields above (48 bytes) keep the u64s aligned without padding on every ABI,
    // so ctypes, C# and Java see the same offsets as C.
    /// Size of the model file (or of the bytes given to `mnmt_load_from_memory()`), in bytes.
    pub file_size: u64,
    /// Number of model parameters (weights, biases, norms; padding not counted).
    pub parameter_count: u64,
    /// How the weights are stored: "int8" or "f32".
    pub dtype: *const c_char,
    /// The feed-forward activation: "relu", "swish", "gelu" or "gelu_tanh".
    pub activation: *const c_char,
    /// The model's display name (`general.name`), or "".
    pub name: *const c_char,
    /// Source language code such as "en", or "" when the model file does not say.
    pub source_lang: *const c_char,
    /// Target language code such as "de", or "" when the model file does not say.
    pub target_lang: *const c_char,
}

/// The text fields, NUL-terminated and owned by the translator so that pointers stay valid.
#[derive(Debug)]
pub(crate) struct InfoText {
    name: CString,
    source_lang: CString,
    target_lang: CString,
    activation: CString,
}

fn c_text(field: &str, value: Option<&str>) -> Result<CString> {
    CString::new(value.unwrap_or(""))
        .map_err(|_| Error::bad_model(format!("model metadata `{field}` contains a NUL character")))
}

impl InfoText {
    pub(crate) fn new(model: &Model) -> Result<Self> {
        let c = model.config();
        Ok(InfoText {
            name: c_text("general.name", c.name.as_deref())?,
            source_lang: c_text("marian.source_lang", c.source_lang.as_deref())?,
            target_lang: c_text("marian.target_lang", c.target_lang.as_deref())?,
            activation: c_text("marian.activation_function", Some(c.activation.name()))?,
        })
    }
}

fn u32_of(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// Builds the full struct for `model`.
fn describe(model: &Model, text: &InfoText) -> mnmt_model_info {
    let c = model.config();
    let dtype: &'static [u8] = match c.dtype {
        DType::Int8 => b"int8\0",
        DType::F32 => b"f32\0",
    };
    mnmt_model_info {
        struct_size: u32_of(size_of::<mnmt_model_info>()),
        vocab_size: u32_of(c.vocab_size),
        decoder_vocab_size: u32_of(c.decoder_vocab_size),
        d_model: u32_of(c.d_model),
        encoder_layers: u32_of(c.encoder_layers),
        decoder_layers: u32_of(c.decoder_layers),
        encoder_heads: u32_of(c.encoder_heads),
        decoder_heads: u32_of(c.decoder_heads),
        encoder_ffn_dim: u32_of(c.encoder_ffn_dim),
        decoder_ffn_dim: u32_of(c.decoder_ffn_dim),
        shared_embeddings: u32::from(c.shared_embeddings),
        tied_output: u32::from(c.tied_output),
        file_size: model.file_size(),
        parameter_count: model.parameter_count(),
        dtype: dtype.as_ptr().cast(),
        activation: text.activation.as_ptr(),
        name: text.name.as_ptr(),
        source_lang: text.source_lang.as_ptr(),
        target_lang: text.target_lang.as_ptr(),
    }
}

/// Fills `*info` with the facts of the translator's model.
///
/// Parameters:
/// - `t`: a translator from `mnmt_load()`; not NULL.
/// - `info`: not NULL; `info->struct_size` must be set to `sizeof(mnmt_model_info)` (at least 8).
///
/// Errors: `MNMT_INVALID_ARGUMENT` for NULL pointers or a `struct_size` below 8.
///
/// Thread safety: safe to call concurrently with any other call on `t`.
///
/// # Safety
/// `t` is NULL or a live translator; `info` is NULL or points to `info->struct_size` writable
/// bytes, aligned for `mnmt_model_info`.
#[no_mangle]
pub unsafe extern "C" fn mnmt_get_model_info(
    t: *const mnmt_translator,
    info: *mut mnmt_model_info,
) -> mnmt_status {
    ffi_guard("mnmt_get_model_info", || {
        // SAFETY: per this function's contract.
        let t = unsafe { try_ref(t, "translator") }?;
        if info.is_null() {
            return Err(Error::invalid_argument("info is NULL"));
        }
        // SAFETY: `info` is non-NULL and aligned; its first field is always present.
        let caller_size = unsafe { info.cast::<u32>().read() } as usize;
        if caller_size < 8 {
            return Err(Error::invalid_argument(format!(
                "info->struct_size is {caller_size}; set it to sizeof(mnmt_model_info)"
            )));
        }
        let full = describe(t.model(), t.info_text());
        let n = caller_size.min(size_of::<mnmt_model_info>());
        // SAFETY: `full` is a live local of at least `n` bytes and the caller guarantees
        // `caller_size >= n` writable bytes at `info`; the copy is untyped, so tail padding is
        // copied as is, and the regions cannot overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(
                std::ptr::addr_of!(full).cast::<u8>(),
                info.cast::<u8>(),
                n,
            );
        }
        // SAFETY: as above; the first field is always within the caller's struct.
        unsafe { info.cast::<u32>().write(u32_of(n)) };
        Ok(())
    })
}
