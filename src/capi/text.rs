//! Text utilities through the C ABI: `mnmt_split_sentences`, which needs no model.

use std::ffi::c_char;

use super::boundary::{check_out, ffi_guard, try_cstr, try_text};
use super::status::mnmt_status;
use crate::text::{Lang, Sentences};
use crate::{Error, ErrorKind};

/// A span of a text: `len` bytes starting `offset` bytes into the text (a sentence of
/// `mnmt_split_sentences()`, a protected span of `mnmt_translate_spans()`).
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct mnmt_span {
    /// Byte offset of the span's first byte in the text.
    pub offset: usize,
    /// Length of the span in bytes.
    pub len: usize,
}

/// Splits text into sentences, as byte spans of the input. Needs no model and no memory of its
/// own: the spans go into the caller's array.
///
/// The rules are for written English and German, and fall back to rules that hold across
/// languages for other tags: a sentence ends at "." "!" "?" "…" (and runs such as "?!" or
/// "..."), with any closing quotes and brackets, when whitespace and a possible sentence start
/// follow; at CJK full stops ("。" "！" "？"); and always at a line break. Abbreviations
/// ("Dr.", "e.g.", "z. B.", "bzw."), initials ("J. R. R."), numbers ("3.5", "1,000.00"),
/// URLs, e-mail addresses, list numbering at the start of a line ("1.") and German ordinals
/// ("am 3. Oktober") do not end a sentence. Spans exclude surrounding whitespace, are in text
/// order and do not overlap; blank text has no sentences.
///
/// Parameters:
/// - `text`, `text_len`: UTF-8 text of `text_len` bytes; NULL with 0 is the empty text.
/// - `lang`: NUL-terminated language tag of the text ("en", "de", "en-US", "de_DE"; only the
///   primary subtag counts); any other tag, "", or one that is not UTF-8 selects the
///   language-independent rules. Not NULL.
/// - `spans`, `cap`: the output array and its capacity in spans; `spans` may be NULL when
///   `cap` is 0, to ask for the count.
/// - `n_spans`: receives the number of sentences; not NULL.
///
/// Errors: `MNMT_BUFFER_TOO_SMALL` when `cap < *n_spans` (then `*n_spans` is set and `spans`
/// is untouched); `MNMT_INVALID_UTF8`; `MNMT_INVALID_ARGUMENT` (NULL pointers, `spans` NULL
/// with a capacity).
///
/// Thread safety: safe to call from any thread at any time.
///
/// # Safety
/// `text` is NULL or points to `text_len` readable bytes; `lang` is NULL or a NUL-terminated
/// string; `spans` is NULL or valid for `cap` writes of `mnmt_span`; `n_spans` is NULL or valid
/// for a write.
#[no_mangle]
pub unsafe extern "C" fn mnmt_split_sentences(
    text: *const c_char,
    text_len: usize,
    lang: *const c_char,
    spans: *mut mnmt_span,
    cap: usize,
    n_spans: *mut usize,
) -> mnmt_status {
    ffi_guard("mnmt_split_sentences", || {
        // SAFETY: per this function's contract.
        let text = unsafe { try_text(text, text_len, "text") }?;
        // SAFETY: per this function's contract.
        let lang = unsafe { try_cstr(lang, "lang") }?;
        let lang = Lang::from_tag(lang.to_str().unwrap_or(""));
        if spans.is_null() && cap > 0 {
            return Err(Error::invalid_argument(format!(
                "spans is NULL but cap is {cap}"
            )));
        }
        check_out(n_spans, "n_spans")?;
        // Count first, so that the array is written only when everything fits.
        let count = Sentences::new(text, lang).count();
        // SAFETY: `n_spans` is non-NULL and valid per the contract; it is written on
        // MNMT_BUFFER_TOO_SMALL too.
        unsafe { n_spans.write(count) };
        if count > cap {
            return Err(Error::new(
                ErrorKind::BufferTooSmall,
                format!("the text has {count} sentences, the array holds {cap}"),
            ));
        }
        if count == 0 {
            return Ok(());
        }
        // SAFETY: `spans` is non-NULL when `cap >= count >= 1` (checked above) and valid for
        // `cap` writes per the contract.
        let dst = unsafe { std::slice::from_raw_parts_mut(spans, count) };
        for (d, r) in dst.iter_mut().zip(Sentences::new(text, lang)) {
            *d = mnmt_span {
                offset: r.start,
                len: r.len(),
            };
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(text: &[u8], lang: &[u8], cap: usize) -> (mnmt_status, Vec<mnmt_span>, usize) {
        let mut spans = vec![
            mnmt_span {
                offset: 99,
                len: 99
            };
            cap
        ];
        let mut n = 12345usize;
        // SAFETY: every pointer refers to a live local of the stated size; `lang` ends in NUL.
        let s = unsafe {
            mnmt_split_sentences(
                text.as_ptr().cast(),
                text.len(),
                lang.as_ptr().cast(),
                if cap == 0 {
                    std::ptr::null_mut()
                } else {
                    spans.as_mut_ptr()
                },
                cap,
                &mut n,
            )
        };
        (s, spans, n)
    }

    #[test]
    fn spans_are_written_when_they_fit() {
        let text = "Dr. Who came. He left!  Bye.";
        let (s, spans, n) = call(text.as_bytes(), b"en\0", 4);
        assert_eq!((s, n), (mnmt_status::MNMT_OK, 3));
        let got: Vec<&str> = spans[..n]
            .iter()
            .map(|p| &text[p.offset..p.offset + p.len])
            .collect();
        assert_eq!(got, ["Dr. Who came.", "He left!", "Bye."]);
        assert_eq!(
            spans[3],
            mnmt_span {
                offset: 99,
                len: 99
            }
        );
    }

    #[test]
    fn too_small_reports_the_count_and_writes_nothing() {
        let (s, spans, n) = call(b"Ab. Cd. Ef. Gh.", b"de\0", 1);
        assert_eq!((s, n), (mnmt_status::MNMT_BUFFER_TOO_SMALL, 4));
        let (s, _, n) = call(b"Ab. Cd. Ef.", b"de\0", 0);
        assert_eq!((s, n), (mnmt_status::MNMT_BUFFER_TOO_SMALL, 3));
        let (s, spans2, n) = call(b"Ab. Cd. Ef.", b"de\0", 2);
        assert_eq!((s, n), (mnmt_status::MNMT_BUFFER_TOO_SMALL, 3));
        assert!(spans.iter().chain(&spans2).all(|p| p.offset == 99));
    }

    #[test]
    fn bad_input() {
        let (s, _, n) = call(b"ok \xff", b"en\0", 4);
        assert_eq!((s, n), (mnmt_status::MNMT_INVALID_UTF8, 12345));
        let (s, _, n) = call(b"  \n ", b"xx\0", 0);
        assert_eq!((s, n), (mnmt_status::MNMT_OK, 0));
        let raw = |text: *const c_char, lang: *const c_char, cap: usize, n: *mut usize| {
            // SAFETY: the pointers below are NULL or live locals, as the contract allows.
            unsafe { mnmt_split_sentences(text, 0, lang, std::ptr::null_mut(), cap, n) }
        };
        let en = b"en\0".as_ptr().cast::<c_char>();
        let mut n = 7usize;
        assert_eq!(
            raw(en, std::ptr::null(), 0, &mut n),
            mnmt_status::MNMT_INVALID_ARGUMENT
        );
        assert_eq!(
            raw(std::ptr::null(), en, 0, std::ptr::null_mut()),
            mnmt_status::MNMT_INVALID_ARGUMENT
        );
        assert_eq!(
            raw(std::ptr::null(), en, 3, &mut n),
            mnmt_status::MNMT_INVALID_ARGUMENT
        );
        assert_eq!(n, 7);
        assert_eq!(raw(std::ptr::null(), en, 0, &mut n), mnmt_status::MNMT_OK);
        assert_eq!(n, 0);
    }
}
