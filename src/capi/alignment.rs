//! Alignments through the C ABI: `mnmt_translate_aligned`, a translation with the source token
//! and the byte spans each of its tokens is aligned to.

use std::ffi::c_char;

use super::boundary::{check_buffer, check_out, ffi_guard, try_ref, try_text};
use super::status::mnmt_status;
use super::translate::{mnmt_options, read_options};
use super::translator::mnmt_translator;
use crate::{AlignmentLink, Error, ErrorKind};

/// One alignment link: target token `target_token` of the translation (an index into its token
/// ids, `</s>` excluded) was produced attending most to source token `source_token` (an index
/// into the source's token ids). Both tokens are located as byte spans `[start, end)`: in the
/// source text and in the translation. A token without a surface of its own has an empty span.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct mnmt_alignment_link {
    pub source_token: u32,
    pub target_token: u32,
    pub source_start: u32,
    pub source_end: u32,
    pub target_start: u32,
    pub target_end: u32,
}

impl From<AlignmentLink> for mnmt_alignment_link {
    fn from(l: AlignmentLink) -> Self {
        mnmt_alignment_link {
            source_token: l.source_token,
            target_token: l.target_token,
            source_start: l.source_start,
            source_end: l.source_end,
            target_start: l.target_start,
            target_end: l.target_end,
        }
    }
}

/// Translates one text (best hypothesis) and returns its alignment to the source, one link per
/// generated token, in target order. The links come from the decoder's last cross-attention
/// layer averaged over heads (docs/alignment.md). The text is translated as one sentence
/// (`opts->split_sentences` is not used): the translation is the one `mnmt_translate()` gives
/// with the same options and `split_sentences` 0.
///
/// Parameters:
/// - `t`, `text`, `text_len`, `opts`, `out`, `cap`, `out_len`: as for `mnmt_translate()`.
/// - `links`, `links_cap`: the output array and its capacity in links; `links` may be NULL when
///   `links_cap` is 0, to ask for the count.
/// - `n_links`: receives the number of links; not NULL.
///
/// Errors: `MNMT_BUFFER_TOO_SMALL` when the text (`cap < *out_len + 1`) or the links
/// (`links_cap < *n_links`) do not fit: then both `*out_len` and `*n_links` are set and neither
/// buffer is written; call again with larger buffers (the result is deterministic). Otherwise
/// as `mnmt_translate()`.
///
/// Thread safety: as `mnmt_translate()`.
///
/// # Safety
/// As `mnmt_translate()`; `links` is NULL or valid for `links_cap` writes of
/// `mnmt_alignment_link`; `n_links` is NULL or valid for a write.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn mnmt_translate_aligned(
    t: *mut mnmt_translator,
    text: *const c_char,
    text_len: usize,
    opts: *const mnmt_options,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    links: *mut mnmt_alignment_link,
    links_cap: usize,
    n_links: *mut usize,
) -> mnmt_status {
    ffi_guard("mnmt_translate_aligned", || {
        // SAFETY: per this function's contract.
        let t = unsafe { try_ref(t, "translator") }?;
        // SAFETY: per this function's contract.
        let text = unsafe { try_text(text, text_len, "text") }?;
        // SAFETY: per this function's contract.
        let opts = unsafe { read_options(opts) }?;
        check_buffer(out, cap)?;
        check_out(out_len, "out_len")?;
        check_out(n_links, "n_links")?;
        if links.is_null() && links_cap > 0 {
            return Err(Error::invalid_argument(format!(
                "links is NULL but links_cap is {links_cap}"
            )));
        }
        t.translator().translate_aligned_with(text, &opts, |a| {
            let (len, count) = (a.text.len(), a.links.len());
            // SAFETY: non-NULL (checked above) and valid for a write per the contract; written on
            // MNMT_BUFFER_TOO_SMALL too.
            unsafe { out_len.write(len) };
            // SAFETY: as for `out_len`.
            unsafe { n_links.write(count) };
            if len >= cap || count > links_cap {
                return Err(Error::new(
                    ErrorKind::BufferTooSmall,
                    format!(
                        "the output needs {} bytes (text and NUL) and {count} links, the \
                         buffers hold {cap} bytes and {links_cap} links",
                        len + 1
                    ),
                ));
            }
            // SAFETY: `out` is non-NULL as `cap > len >= 0` and `check_buffer` passed; valid for
            // `cap` byte writes per the contract; the library owns `a.text`, no overlap.
            let dst = unsafe { std::slice::from_raw_parts_mut(out.cast::<u8>(), len + 1) };
            dst[..len].copy_from_slice(a.text.as_bytes());
            dst[len] = 0;
            if count > 0 {
                // SAFETY: `links` is non-NULL when `links_cap >= count >= 1` (checked above) and
                // valid for `links_cap` writes per the contract.
                let dst = unsafe { std::slice::from_raw_parts_mut(links, count) };
                for (d, l) in dst.iter_mut().zip(a.links) {
                    *d = (*l).into();
                }
            }
            Ok(())
        })?
    })
}

#[cfg(test)]
mod tests {
    use super::super::translator::{mnmt_free, mnmt_load};
    use super::*;

    /// Translates `text` through the C call, asking for sizes first, with the captions model:
    /// its translation of the test sentence is hand-checked, and unlike the default model it is
    /// never replaced.
    fn aligned(text: &str) -> (String, Vec<mnmt_alignment_link>) {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/mobilenmt-en-de-captions/model-int8.gguf\0"
        );
        let mut t = std::ptr::null_mut();
        // SAFETY: a NUL-terminated path and a valid out-pointer.
        let s = unsafe { mnmt_load(path.as_ptr().cast(), &mut t) };
        assert_eq!(s, mnmt_status::MNMT_OK);
        let (mut len, mut n) = (0usize, 0usize);
        let src = text.as_ptr().cast();
        let null = std::ptr::null_mut();
        // SAFETY: live translator, `text` readable, NULL buffers with zero capacities.
        let s = unsafe {
            mnmt_translate_aligned(
                t,
                src,
                text.len(),
                std::ptr::null(),
                null,
                0,
                &mut len,
                std::ptr::null_mut(),
                0,
                &mut n,
            )
        };
        assert_eq!(s, mnmt_status::MNMT_BUFFER_TOO_SMALL);
        assert!(len > 0 && n > 0);
        let mut out = vec![0u8; len + 1];
        let mut links = vec![mnmt_alignment_link::default(); n];
        // Room for the text but not the links: still too small, nothing written.
        // SAFETY: buffers valid for the capacities given.
        let s = unsafe {
            mnmt_translate_aligned(
                t,
                src,
                text.len(),
                std::ptr::null(),
                out.as_mut_ptr().cast(),
                len + 1,
                &mut len,
                links.as_mut_ptr(),
                n - 1,
                &mut n,
            )
        };
        assert_eq!(s, mnmt_status::MNMT_BUFFER_TOO_SMALL);
        assert!(out.iter().all(|&b| b == 0));
        // SAFETY: as above.
        let s = unsafe {
            mnmt_translate_aligned(
                t,
                src,
                text.len(),
                std::ptr::null(),
                out.as_mut_ptr().cast(),
                len + 1,
                &mut len,
                links.as_mut_ptr(),
                n,
                &mut n,
            )
        };
        assert_eq!(s, mnmt_status::MNMT_OK);
        // SAFETY: `t` came from mnmt_load.
        unsafe { mnmt_free(t) };
        out.truncate(len);
        (String::from_utf8(out).unwrap(), links)
    }

    #[test]
    fn c_alignment_links_words_with_byte_spans() {
        let src = "Two dogs are playing in the snow.";
        let (text, links) = aligned(src);
        assert_eq!(text, "Zwei Hunde spielen im Schnee.");
        let word = |l: &mnmt_alignment_link| {
            (
                &text[l.target_start as usize..l.target_end as usize],
                &src[l.source_start as usize..l.source_end as usize],
            )
        };
        let pairs: Vec<_> = links.iter().map(word).collect();
        assert!(pairs.contains(&("Hunde", "dogs")), "{pairs:?}");
        assert!(pairs.contains(&("Schnee", "snow")), "{pairs:?}");
    }

    #[test]
    fn null_links_with_a_capacity_is_an_invalid_argument() {
        let mut len = 0;
        let mut n = 0;
        // SAFETY: a NULL translator is rejected before anything is read.
        let s = unsafe {
            mnmt_translate_aligned(
                std::ptr::null_mut(),
                std::ptr::null(),
                0,
                std::ptr::null(),
                std::ptr::null_mut(),
                0,
                &mut len,
                std::ptr::null_mut(),
                4,
                &mut n,
            )
        };
        assert_eq!(s, mnmt_status::MNMT_INVALID_ARGUMENT);
    }
}
