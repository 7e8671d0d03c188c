//! Token ids through the C ABI: `mnmt_tokenize` (source side) and `mnmt_detokenize` (target).

use std::ffi::c_char;

use super::boundary::{
    check_buffer, check_out, copy_text, ffi_guard, try_ref, try_slice, try_text,
};
use super::status::mnmt_status;
use super::translator::mnmt_translator;
use crate::tokenizer::EncodeScratch;
use crate::{Error, ErrorKind, Result};

/// Turns source text into the model's token ids, exactly as Hugging Face's `MarianTokenizer`
/// does: SentencePiece with the source model, Marian's vocabulary (unknown pieces become
/// `<unk>`), and a final `</s>`.
///
/// Parameters:
/// - `t`: the translator; not NULL.
/// - `text`, `text_len`: UTF-8 source text of `text_len` bytes; NULL with 0 is the empty text
///   (which gives just `</s>`).
/// - `ids`, `cap`: the output array and its capacity in ids; `ids` may be NULL when `cap` is 0,
///   to ask for the count.
/// - `n_ids`: receives the number of ids (including `</s>`); not NULL.
///
/// Errors: `MNMT_BUFFER_TOO_SMALL` when `cap < *n_ids` (then `*n_ids` is set and `ids` is
/// untouched); `MNMT_INVALID_UTF8`; `MNMT_INVALID_ARGUMENT` (NULL pointers).
///
/// Thread safety: safe to call concurrently on one translator.
///
/// # Safety
/// `t` is NULL or a live translator; `text` is NULL or points to `text_len` readable bytes;
/// `ids` is NULL or valid for `cap` writes of `int32_t`; `n_ids` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn mnmt_tokenize(
    t: *mut mnmt_translator,
    text: *const c_char,
    text_len: usize,
    ids: *mut i32,
    cap: usize,
    n_ids: *mut usize,
) -> mnmt_status {
    ffi_guard("mnmt_tokenize", || {
        // SAFETY: per this function's contract.
        let t = unsafe { try_ref(t, "translator") }?;
        // SAFETY: per this function's contract.
        let text = unsafe { try_text(text, text_len, "text") }?;
        if ids.is_null() && cap > 0 {
            return Err(Error::invalid_argument(format!(
                "ids is NULL but cap is {cap}"
            )));
        }
        check_out(n_ids, "n_ids")?;
        let mut scratch = EncodeScratch::new();
        let mut out = Vec::new();
        t.tokenizer().encode(text, &mut scratch, &mut out)?;
        // SAFETY: `n_ids` is non-NULL and valid per the contract; it is written on
        // MNMT_BUFFER_TOO_SMALL too.
        unsafe { n_ids.write(out.len()) };
        if out.len() > cap {
            return Err(Error::new(
                ErrorKind::BufferTooSmall,
                format!("the text has {} ids, the buffer holds {cap}", out.len()),
            ));
        }
        if out.is_empty() {
            return Ok(());
        }
        // SAFETY: `ids` is non-NULL when `cap >= out.len() >= 1` (checked above) and valid for
        // `cap` writes per the contract.
        let dst = unsafe { std::slice::from_raw_parts_mut(ids, out.len()) };
        for (d, &id) in dst.iter_mut().zip(&out) {
            *d = i32::try_from(id).map_err(|_| Error::internal("token id above i32::MAX"))?;
        }
        Ok(())
    })
}

/// Turns target-side token ids into text, as `MarianTokenizer.decode(ids,
/// skip_special_tokens=True)` does: `</s>`, `<pad>` and `<unk>` are dropped, pieces are joined
/// and `▁` becomes a space.
///
/// Parameters:
/// - `t`: the translator; not NULL.
/// - `ids`, `n_ids`: target vocabulary ids; `ids` may be NULL when `n_ids` is 0.
/// - `out`, `cap`: the buffer for the text (UTF-8, NUL-terminated); `out` may be NULL when
///   `cap` is 0, to ask for the size.
/// - `out_len`: receives the text's length in bytes, without the NUL; not NULL.
///
/// Errors: `MNMT_BUFFER_TOO_SMALL` when `cap < *out_len + 1` (then `*out_len` is set and `out`
/// is untouched); `MNMT_INVALID_ARGUMENT` for NULL pointers or an id outside the target
/// vocabulary (negative ids included).
///
/// Thread safety: safe to call concurrently on one translator.
///
/// # Safety
/// `t` is NULL or a live translator; `ids` is NULL or points to `n_ids` readable `int32_t`;
/// `out` is NULL or valid for `cap` byte writes; `out_len` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn mnmt_detokenize(
    t: *mut mnmt_translator,
    ids: *const i32,
    n_ids: usize,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> mnmt_status {
    ffi_guard("mnmt_detokenize", || {
        // SAFETY: per this function's contract.
        let t = unsafe { try_ref(t, "translator") }?;
        // SAFETY: per this function's contract.
        let ids = unsafe { try_slice(ids, n_ids, "ids") }?;
        check_buffer(out, cap)?;
        check_out(out_len, "out_len")?;
        let ids = ids
            .iter()
            .enumerate()
            .map(|(i, &id)| {
                u32::try_from(id).map_err(|_| {
                    Error::invalid_argument(format!("ids[{i}] is {id}: token ids are >= 0"))
                })
            })
            .collect::<Result<Vec<u32>>>()?;
        let mut text = String::new();
        t.tokenizer().decode(&ids, &mut text)?;
        // SAFETY: `out`/`cap` and `out_len` were checked above and are valid per the contract.
        unsafe { copy_text(&text, out, cap, out_len) }
    })
}
