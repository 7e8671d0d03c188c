//! Translation through the C ABI: `mnmt_options`, one text, a batch, n-best.

use std::ffi::{c_char, c_void, CStr};
use std::mem::size_of;

use static_assertions::const_assert_eq;

use super::boundary::{
    check_buffer, check_out, copy_text, ffi_guard, read_extensible, try_ref, try_slice, try_text,
};
use super::status::mnmt_status;
use super::text::mnmt_span;
use super::translator::mnmt_translator;
use crate::TranslateOptions;
use crate::{Error, ErrorKind, Result};

/// Options of a translation call. Get the defaults from `mnmt_options_default()`, change the
/// fields you care about, and pass a pointer (or pass NULL for all defaults).
///
/// Extensible: `struct_size` is `sizeof(mnmt_options)` as the caller compiled it (the default
/// sets it). A smaller value (an older, shorter struct, at least 8 bytes) means the fields after
/// it take their defaults; a larger one (a newer header) is accepted and the fields this library
/// does not know are ignored. New fields are only ever added at the end.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct mnmt_options {
    /// `sizeof(mnmt_options)`; values below 8 are `MNMT_INVALID_ARGUMENT`.
    pub struct_size: u32,
    /// Beam width; 1 = greedy search (default 1). At most the translator's beam limit (8).
    pub beam_size: u32,
    /// Hypotheses `mnmt_translate_nbest()` returns, 1..=`beam_size` (default 1). Every call
    /// checks it (`MNMT_INVALID_ARGUMENT` above `beam_size`); the other calls return only the
    /// best hypothesis.
    pub num_hypotheses: u32,
    /// Length penalty exponent: scores are `sum(log p) / length ^ length_penalty` (default 1.0,
    /// as in Hugging Face `transformers`). Larger values favour longer translations.
    pub length_penalty: f32,
    /// Hard cap on generated tokens including `</s>`; 0 = the translator's limit (256) (default 0).
    pub max_output_tokens: u32,
    /// Output length cap: at most `max_length_a * source_tokens + max_length_b` tokens
    /// (default 1.5).
    pub max_length_a: f32,
    /// See `max_length_a` (default 10).
    pub max_length_b: u32,
    /// Non-zero: an input longer than the translator's limit (256 tokens) is truncated instead
    /// of failing with `MNMT_INPUT_TOO_LONG` (default 0). Only when `split_sentences` is 0:
    /// document mode never finds an input too long.
    pub truncate: u32,
    /// Non-zero (default 1): document mode. The text is cut into sentences with the rules of
    /// the model's source language (as `mnmt_split_sentences()`), the sentences are translated
    /// in length-sorted batches and put back in place: line breaks, blank lines, indentation,
    /// list markers and lines without letters come back unchanged, blank text comes back as it
    /// is, and a sentence too long for the model is cut at clause boundaries, so any length is
    /// accepted. 0: the whole text is one sentence for the model (`MNMT_INPUT_TOO_LONG` or
    /// `truncate` apply). A caller whose `struct_size` ends before this field (a header
    /// without this field) gets 0. `mnmt_translate_nbest()` always translates one sentence.
    pub split_sentences: u32,
    /// Non-zero: use the model file's vocabulary shortlist when it has one, computing the
    /// logits of each sentence's candidate targets only (faster; quality measured when the file
    /// was made); 0: the whole vocabulary. Default 1; a caller whose `struct_size` ends before
    /// this field gets 0, the behaviour it was written for. A sentence in
    /// `mnmt_translate_batch()` (or in document mode) chooses among its own candidates only,
    /// so it translates exactly as alone.
    pub shortlist: u32,
    /// Non-zero (default 1): protected spans. URLs, e-mail addresses, i18n placeholders
    /// (`{name}`, `{0}`, `{{var}}`, `${var}`, `%s`, `%d`, `%1$s`, `%@`...) and emoji are taken
    /// out of each sentence before the model sees it and put back verbatim, each exactly once,
    /// where the alignment of the translation places them (docs/markup.md). 0: the model sees
    /// the text as it is; spans given to `mnmt_translate_spans()` are protected either way. A
    /// caller whose `struct_size` ends before this field gets 0. `mnmt_translate_nbest()` and
    /// `mnmt_translate_aligned()` always see the text as it is.
    pub protect_spans: u32,
    /// Non-zero: the text is an HTML or XML page or fragment (default 0: plain text). Block
    /// elements (`<p>`, `<li>`, `<td>`, `<h1>`...) and `<br>` separate sentences; inline tags
    /// (`<b>`, `<a href=...>`) are put back around the translation of the words they wrapped,
    /// by the alignment; every tag comes back exactly once with its attributes byte for byte,
    /// and the output is well nested whenever the input is; known entities are decoded for the
    /// model and the output's text is escaped (`&amp;`, `&lt;`, `&gt;`); `<script>`, `<style>`,
    /// `<code>`, `<pre>`, `<textarea>` and elements with `translate="no"` are copied
    /// untranslated. Malformed markup is never an error (docs/html.md). Pages are always cut
    /// into sentences (`split_sentences` does not apply). A caller whose `struct_size` ends
    /// before this field gets 0. `mnmt_translate_nbest()` and `mnmt_translate_aligned()`
    /// ignore it; `mnmt_translate_spans()` with spans refuses it (`MNMT_INVALID_ARGUMENT`: a
    /// page marks what it keeps with `translate="no"`). `protect_spans` applies to the page's
    /// text.
    pub html: u32,
}

// Every field is 4 bytes, so the struct has no padding and reads the same in every language.
const_assert_eq!(size_of::<mnmt_options>(), 48);

/// The `struct_size` of the options before `split_sentences` (its offset: eight 4-byte fields):
/// callers compiled against it keep one-text-one-sentence translation.
const SIZE_BEFORE_SPLIT: usize = 32;
/// The `struct_size` of the options before `shortlist` (after `split_sentences`): callers
/// compiled against it keep scoring the whole vocabulary.
const SIZE_BEFORE_SHORTLIST: usize = 36;
/// The `struct_size` of the options before `protect_spans` (after `shortlist`): callers
/// compiled against it get the text translated as it is.
const SIZE_BEFORE_PROTECT: usize = 40;

fn u32_of(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

impl mnmt_options {
    fn defaults() -> Self {
        let d = TranslateOptions::default();
        mnmt_options {
            struct_size: u32_of(size_of::<mnmt_options>()),
            beam_size: u32_of(d.beam_size),
            num_hypotheses: u32_of(d.num_hypotheses),
            length_penalty: d.length_penalty,
            max_output_tokens: u32_of(d.max_output_tokens),
            max_length_a: d.max_length_a,
            max_length_b: u32_of(d.max_length_b),
            truncate: u32::from(d.truncate),
            split_sentences: u32::from(d.split_sentences),
            shortlist: u32::from(d.shortlist),
            protect_spans: u32::from(d.protect_spans),
            html: u32::from(d.html),
        }
    }

    fn to_rust(self) -> TranslateOptions {
        TranslateOptions {
            beam_size: self.beam_size as usize,
            num_hypotheses: self.num_hypotheses as usize,
            length_penalty: self.length_penalty,
            max_output_tokens: self.max_output_tokens as usize,
            max_length_a: self.max_length_a,
            max_length_b: self.max_length_b as usize,
            truncate: self.truncate != 0,
            split_sentences: self.split_sentences != 0,
            shortlist: self.shortlist != 0,
            protect_spans: self.protect_spans != 0,
            html: self.html != 0,
        }
    }
}

/// Reads the caller's options: NULL means defaults; fields beyond `struct_size` take defaults.
///
/// # Safety
/// `opts` is NULL or points to `opts->struct_size` readable bytes, aligned for `mnmt_options`.
pub(super) unsafe fn read_options(opts: *const mnmt_options) -> Result<TranslateOptions> {
    // SAFETY: mnmt_options is repr(C) of u32/f32 fields only; `opts` per this function's contract.
    let mut merged = unsafe { read_extensible(opts, mnmt_options::defaults(), 8, "mnmt_options") }?;
    if !opts.is_null() {
        // SAFETY: non-NULL and aligned; the first field is always present (read_extensible
        // checked it).
        let size = unsafe { opts.cast::<u32>().read() } as usize;
        if size < SIZE_BEFORE_SPLIT + 4 {
            // Defaults follow users, old callers keep their behaviour.
            merged.split_sentences = 0;
        }
        if size < SIZE_BEFORE_SHORTLIST + 4 {
            // Written before the shortlist existed: keep the exact decoding it was tested with.
            merged.shortlist = 0;
        }
        if size < SIZE_BEFORE_PROTECT + 4 {
            // Written before protected spans: the model sees its text as it is.
            merged.protect_spans = 0;
        }
    }
    Ok(merged.to_rust())
}

/// Returns the default options, with `struct_size` set to `sizeof(mnmt_options)`.
///
/// Thread safety: safe from any thread.
#[no_mangle]
pub extern "C" fn mnmt_options_default() -> mnmt_options {
    mnmt_options::defaults()
}

/// Translates one text: by default a document (any number of sentences, lines and paragraphs,
/// of any length; see `mnmt_options.split_sentences`), whose structure comes back unchanged.
///
/// Parameters:
/// - `t`: the translator; not NULL.
/// - `text`, `text_len`: the source, UTF-8, `text_len` bytes (no NUL needed); NULL with
///   `text_len` 0 is the empty text (given back empty in document mode; with
///   `split_sentences` 0 translated like any other: the model sees only `</s>`).
/// - `opts`: options, or NULL for `mnmt_options_default()`.
/// - `out`, `cap`: the buffer for the translation (UTF-8, NUL-terminated); `out` may be NULL
///   when `cap` is 0, to ask for the size.
/// - `out_len`: receives the translation's length in bytes, without the NUL; not NULL.
///
/// Errors: `MNMT_BUFFER_TOO_SMALL` when `cap < *out_len + 1` (then `*out_len` is set; call again
/// with a larger buffer: the result is deterministic). With `split_sentences` 0 `out` is then
/// untouched; in document mode the translation is written into `out` as it is produced, so `out`
/// holds an unterminated prefix of it. `MNMT_INVALID_UTF8`; `MNMT_INPUT_TOO_LONG` (only with
/// `split_sentences` 0, unless `opts->truncate`); `MNMT_INVALID_ARGUMENT` (NULL pointers,
/// invalid options).
///
/// Memory: in document mode the library holds one window of sentences at a time (512 pieces
/// and their translations), whatever the length of the text; the output is the caller's buffer.
///
/// Thread safety: any number of threads may translate with one translator at once; each
/// concurrent call uses its own workspace (the pool grows to the number of concurrent callers).
///
/// # Safety
/// `t` is NULL or a live translator; `text` is NULL or points to `text_len` readable bytes;
/// `opts` is NULL or a valid `mnmt_options` of `opts->struct_size` bytes; `out` is NULL or
/// valid for `cap` byte writes; `out_len` is NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn mnmt_translate(
    t: *mut mnmt_translator,
    text: *const c_char,
    text_len: usize,
    opts: *const mnmt_options,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> mnmt_status {
    ffi_guard("mnmt_translate", || {
        // SAFETY: per this function's contract.
        unsafe { translate_into(t, text, text_len, &[], opts, out, cap, out_len) }
    })
}

/// Translates one text like `mnmt_translate()`, and gives back the caller's spans of it
/// verbatim, each exactly once, where the alignment of the translation places them (e.g.
/// product names, code, markup the caller handles itself; docs/markup.md). They are protected
/// whatever `opts->protect_spans` says; that option only switches the automatic detection of
/// URLs, e-mail addresses, placeholders and emoji.
///
/// Parameters: as for `mnmt_translate()`, plus
/// - `spans`, `n_spans`: byte ranges of `text` (`offset`, `len`), on UTF-8 character
///   boundaries, in any order; overlapping ones are merged; NULL with `n_spans` 0 is none. The
///   array is read during the call only.
///
/// Errors: as for `mnmt_translate()`; `MNMT_INVALID_ARGUMENT` also for a span that ends beyond
/// the text or starts or ends inside a character. In document mode a span that runs across a
/// sentence boundary is protected in each sentence's part.
///
/// Memory: the call copies the span array (one allocation when `n_spans` > 0).
///
/// Thread safety: as for `mnmt_translate()`.
///
/// # Safety
/// As for `mnmt_translate()`; `spans` is NULL or points to `n_spans` readable `mnmt_span`s.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn mnmt_translate_spans(
    t: *mut mnmt_translator,
    text: *const c_char,
    text_len: usize,
    spans: *const mnmt_span,
    n_spans: usize,
    opts: *const mnmt_options,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> mnmt_status {
    ffi_guard("mnmt_translate_spans", || {
        // SAFETY: per this function's contract.
        let spans = unsafe { try_slice(spans, n_spans, "spans") }?;
        let protect: Vec<std::ops::Range<usize>> = spans
            .iter()
            .map(|s| s.offset..s.offset.saturating_add(s.len))
            .collect();
        // SAFETY: per this function's contract.
        unsafe { translate_into(t, text, text_len, &protect, opts, out, cap, out_len) }
    })
}

/// The body of `mnmt_translate()` and `mnmt_translate_spans()`.
///
/// # Safety
/// As for `mnmt_translate()`.
#[allow(clippy::too_many_arguments)]
unsafe fn translate_into(
    t: *mut mnmt_translator,
    text: *const c_char,
    text_len: usize,
    protect: &[std::ops::Range<usize>],
    opts: *const mnmt_options,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> Result<()> {
    // SAFETY: per this function's contract.
    let t = unsafe { try_ref(t, "translator") }?;
    // SAFETY: per this function's contract.
    let text = unsafe { try_text(text, text_len, "text") }?;
    // SAFETY: per this function's contract.
    let opts = unsafe { read_options(opts) }?;
    check_buffer(out, cap)?;
    check_out(out_len, "out_len")?;
    if !opts.split_sentences {
        return t
            .translator()
            // SAFETY: `out`/`cap` and `out_len` were checked above and are valid per the
            // contract.
            .translate_spans_with(text, protect, &opts, |s| unsafe {
                copy_text(s, out, cap, out_len)
            })?;
    }
    // A document goes straight into the caller's buffer as it is translated, so the library
    // holds no copy of it however long it is.
    let buf: &mut [u8] = if cap == 0 {
        &mut []
    } else {
        // SAFETY: `out` is not NULL (`check_buffer` rejected NULL with a capacity) and is
        // valid for `cap` byte writes per the contract; the library holds no other reference
        // to the caller's buffer.
        unsafe { std::slice::from_raw_parts_mut(out.cast::<u8>(), cap) }
    };
    let mut sink = StreamOut { buf, len: 0 };
    t.translator()
        .translate_document_spans_with(text, protect, &opts, |s| sink.push(s))?;
    // SAFETY: `out_len` was checked above and is valid for a write per the contract.
    unsafe { out_len.write(sink.len) };
    sink.finish()
}

/// The caller's output buffer, filled piece by piece: bytes are written while they and the NUL
/// fit; past that only the length is counted, for `MNMT_BUFFER_TOO_SMALL`.
struct StreamOut<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl StreamOut<'_> {
    fn push(&mut self, s: &str) {
        let end = self.len.saturating_add(s.len());
        if end < self.buf.len() {
            self.buf[self.len..end].copy_from_slice(s.as_bytes());
        }
        self.len = end;
    }

    /// NUL-terminates a text that fitted, or reports the size needed.
    fn finish(self) -> Result<()> {
        match self.buf.get_mut(self.len) {
            Some(nul) => {
                *nul = 0;
                Ok(())
            }
            None => Err(Error::new(
                ErrorKind::BufferTooSmall,
                format!(
                    "the output needs {} bytes (text and NUL), the buffer has {}",
                    self.len.saturating_add(1),
                    self.buf.len()
                ),
            )),
        }
    }
}

/// Receives one translation of `mnmt_translate_batch()`.
///
/// - `user_data`: the pointer given to `mnmt_translate_batch()`.
/// - `index`: the input's position in `texts` (calls come in order 0, 1, 2, ...).
/// - `text`, `text_len`: the translation, UTF-8, NOT NUL-terminated, valid only during the call.
#[allow(non_camel_case_types)]
pub type mnmt_batch_callback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        index: usize,
        text: *const c_char,
        text_len: usize,
    ),
>;

/// Receives one hypothesis of `mnmt_translate_nbest()`.
///
/// - `user_data`: the pointer given to `mnmt_translate_nbest()`.
/// - `rank`: 0 for the best hypothesis, then 1, 2, ... (calls come best first).
/// - `text`, `text_len`: the hypothesis, UTF-8, NOT NUL-terminated, valid only during the call.
/// - `score`: `sum(log p) / length ^ length_penalty` (higher is better; at most 0).
#[allow(non_camel_case_types)]
pub type mnmt_nbest_callback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        rank: usize,
        text: *const c_char,
        text_len: usize,
        score: f32,
    ),
>;

/// Translates many texts, decoding up to 32 sentences together per encoder/decoder pass (fewer
/// with wide beams), which is faster than one call per text. Results are the same as
/// `mnmt_translate()` on each text: in document mode each input is a document, and the
/// sentences of all inputs share the batches.
///
/// Parameters:
/// - `t`: the translator; not NULL.
/// - `texts`: `n_texts` pointers to UTF-8 texts; not NULL unless `n_texts` is 0.
/// - `text_lens`: `n_texts` byte lengths, or NULL when every text is NUL-terminated. An entry
///   of `texts` may be NULL when its length is 0.
/// - `opts`: options, or NULL for the defaults (one result per input; `num_hypotheses` must
///   still be in 1..=`beam_size`).
/// - `callback`: called once per input, in input order, with its translation; not NULL.
/// - `user_data`: passed to `callback` unchanged; may be NULL.
///
/// Errors: as `mnmt_translate()` (no `MNMT_BUFFER_TOO_SMALL`). All inputs are checked (UTF-8,
/// pointers) before any translation starts; `MNMT_INPUT_TOO_LONG` for one input fails the call,
/// possibly after `callback` has received the translations of earlier inputs.
///
/// Callback rules: it runs on the calling thread while a workspace is held; it may call other
/// `mnmt_*` functions (even on `t`) but must not free `t`, and must return normally (no
/// `longjmp`, no C++ exception).
///
/// Thread safety: as `mnmt_translate()`.
///
/// # Safety
/// `t` is NULL or a live translator; `texts` is NULL or points to `n_texts` pointers, each NULL
/// or pointing to its text (`text_lens[i]` readable bytes, or NUL-terminated when `text_lens`
/// is NULL); `text_lens` is NULL or points to `n_texts` lengths; `opts` as for
/// `mnmt_translate()`; `callback` is a valid function honouring the rules above.
#[no_mangle]
pub unsafe extern "C" fn mnmt_translate_batch(
    t: *mut mnmt_translator,
    texts: *const *const c_char,
    text_lens: *const usize,
    n_texts: usize,
    opts: *const mnmt_options,
    callback: mnmt_batch_callback,
    user_data: *mut c_void,
) -> mnmt_status {
    ffi_guard("mnmt_translate_batch", || {
        // SAFETY: per this function's contract.
        let t = unsafe { try_ref(t, "translator") }?;
        // SAFETY: per this function's contract.
        let ptrs = unsafe { try_slice(texts, n_texts, "texts") }?;
        // SAFETY: per this function's contract.
        let opts = unsafe { read_options(opts) }?;
        let callback = callback.ok_or_else(|| Error::invalid_argument("callback is NULL"))?;
        let lens = if text_lens.is_null() {
            None
        } else {
            // SAFETY: per this function's contract.
            Some(unsafe { try_slice(text_lens, n_texts, "text_lens") }?)
        };
        let mut inputs: Vec<&str> = Vec::new();
        inputs
            .try_reserve_exact(n_texts)
            .map_err(|_| Error::new(ErrorKind::OutOfMemory, "cannot allocate the batch"))?;
        for (i, &p) in ptrs.iter().enumerate() {
            // The label is built only on error, so a valid batch costs one allocation (`inputs`).
            let which = || format!("texts[{i}]");
            let s = match lens {
                Some(lens) => {
                    // SAFETY: `p` and `lens[i]` describe a text per this function's contract.
                    unsafe { try_text(p, lens[i], "text") }.map_err(|e| e.context(which()))?
                }
                None if p.is_null() => "",
                // SAFETY: non-NULL and NUL-terminated per this function's contract.
                None => unsafe { CStr::from_ptr(p) }
                    .to_str()
                    .map_err(|e| Error::from(e).context(which()))?,
            };
            inputs.push(s);
        }
        t.translator().translate_batch_with(&inputs, &opts, |i, s| {
            // SAFETY: `callback` is a valid function per the contract; `s` outlives the call.
            unsafe { callback(user_data, i, s.as_ptr().cast(), s.len()) }
        })
    })
}

/// Translates one text and reports the `opts->num_hypotheses` best translations (the n-best
/// list of beam search) with their scores, best first. Use `beam_size >= num_hypotheses`.
/// The text is always one sentence for the model (`split_sentences` is ignored): an n-best list
/// belongs to a sentence.
///
/// Parameters: `t`, `text`, `text_len` and `opts` as for `mnmt_translate()`;
/// `callback` (not NULL) is called once per hypothesis, best first; `user_data` is passed to it
/// unchanged and may be NULL. Fewer than `num_hypotheses` calls happen when the search finished
/// fewer distinct hypotheses.
///
/// Errors: as `mnmt_translate()` (no `MNMT_BUFFER_TOO_SMALL`); `num_hypotheses` above
/// `beam_size` is `MNMT_INVALID_ARGUMENT`. Callback rules as for `mnmt_translate_batch()`.
///
/// Thread safety: as `mnmt_translate()`.
///
/// # Safety
/// As for `mnmt_translate()`; `callback` is a valid function honouring the callback rules.
#[no_mangle]
pub unsafe extern "C" fn mnmt_translate_nbest(
    t: *mut mnmt_translator,
    text: *const c_char,
    text_len: usize,
    opts: *const mnmt_options,
    callback: mnmt_nbest_callback,
    user_data: *mut c_void,
) -> mnmt_status {
    ffi_guard("mnmt_translate_nbest", || {
        // SAFETY: per this function's contract.
        let t = unsafe { try_ref(t, "translator") }?;
        // SAFETY: per this function's contract.
        let text = unsafe { try_text(text, text_len, "text") }?;
        // SAFETY: per this function's contract.
        let opts = unsafe { read_options(opts) }?;
        let callback = callback.ok_or_else(|| Error::invalid_argument("callback is NULL"))?;
        t.translator().translate_nbest_with(text, &opts, |hyps| {
            for (rank, h) in hyps.iter().enumerate() {
                // SAFETY: `callback` is valid per the contract; `h.text` outlives the call.
                unsafe {
                    callback(
                        user_data,
                        rank,
                        h.text.as_ptr().cast(),
                        h.text.len(),
                        h.score,
                    )
                }
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_rust_defaults() {
        let d = mnmt_options_default();
        assert_eq!(d.struct_size, 48);
        assert_eq!(d.html, 0);
        assert_eq!(d.protect_spans, 1);
        assert_eq!(d.split_sentences, 1);
        assert_eq!(d.to_rust(), TranslateOptions::default());
    }

    #[test]
    fn short_struct_takes_defaults_beyond_its_size() {
        let mut o = mnmt_options_default();
        o.beam_size = 4;
        o.num_hypotheses = 3;
        o.struct_size = 8;
        // SAFETY: `o` is a live, aligned options struct.
        let r = unsafe { read_options(&o) }.unwrap();
        assert_eq!(r.beam_size, 4);
        assert_eq!(r.num_hypotheses, 1);
        o.struct_size = 12;
        // SAFETY: as above.
        assert_eq!(unsafe { read_options(&o) }.unwrap().num_hypotheses, 3);
        o.struct_size = 7;
        // SAFETY: as above.
        let e = unsafe { read_options(&o) }.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        // SAFETY: NULL means defaults.
        let null = unsafe { read_options(std::ptr::null()) }.unwrap();
        assert_eq!(null, TranslateOptions::default());
        assert!(null.split_sentences);
    }

    #[test]
    fn callers_from_before_split_sentences_keep_one_sentence_mode() {
        let mut o = mnmt_options_default();
        for (size, split) in [(8, false), (32, false), (36, true), (40, true)] {
            o.struct_size = size;
            // SAFETY: `o` is live, aligned and 44 bytes long.
            let r = unsafe { read_options(&o) }.unwrap();
            assert_eq!(r.split_sentences, split, "struct_size {size}");
        }
        o.split_sentences = 0;
        // SAFETY: as above.
        assert!(!unsafe { read_options(&o) }.unwrap().split_sentences);
    }

    #[test]
    fn callers_from_before_the_shortlist_score_the_whole_vocabulary() {
        // SAFETY: NULL means defaults.
        assert!(unsafe { read_options(std::ptr::null()) }.unwrap().shortlist);
        let mut o = mnmt_options_default();
        for (size, shortlist) in [(8, false), (32, false), (36, false), (40, true)] {
            o.struct_size = size;
            // SAFETY: `o` is live, aligned and 44 bytes long.
            let r = unsafe { read_options(&o) }.unwrap();
            assert_eq!(r.shortlist, shortlist, "struct_size {size}");
        }
        o.shortlist = 0;
        // SAFETY: as above.
        assert!(!unsafe { read_options(&o) }.unwrap().shortlist);
    }

    #[test]
    fn callers_from_before_html_get_plain_text() {
        let mut o = mnmt_options_default();
        o.html = 1;
        let html_at = std::mem::offset_of!(mnmt_options, html);
        for (size, html) in [(8, false), (html_at, false), (html_at + 4, true)] {
            o.struct_size = size as u32;
            // SAFETY: `o` is live, aligned and `size_of::<mnmt_options>()` bytes long.
            let r = unsafe { read_options(&o) }.unwrap();
            assert_eq!(r.html, html, "struct_size {size}");
        }
    }

    #[test]
    fn callers_from_before_protected_spans_see_their_text_as_it_is() {
        // SAFETY: NULL means defaults.
        let null = unsafe { read_options(std::ptr::null()) }.unwrap();
        assert!(null.protect_spans);
        let mut o = mnmt_options_default();
        for (size, protect) in [(8, false), (36, false), (40, false), (44, true)] {
            o.struct_size = size;
            // SAFETY: `o` is live, aligned and 44 bytes long.
            let r = unsafe { read_options(&o) }.unwrap();
            assert_eq!(r.protect_spans, protect, "struct_size {size}");
        }
        o.protect_spans = 0;
        // SAFETY: as above.
        assert!(!unsafe { read_options(&o) }.unwrap().protect_spans);
    }

    /// Translates through `mnmt_translate_spans` with the captions model, whose translation of
    /// the test sentence around the span ("Hunde") is known and never changes with the default
    /// model.
    fn with_spans(text: &str, spans: &[mnmt_span], opts: &mnmt_options) -> (mnmt_status, String) {
        use super::super::translator::{mnmt_free, mnmt_load};
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/mobilenmt-en-de-captions/model-int8.gguf\0"
        );
        let mut t = std::ptr::null_mut();
        // SAFETY: a NUL-terminated path and a valid out-pointer.
        let s = unsafe { mnmt_load(path.as_ptr().cast(), &mut t) };
        assert_eq!(s, mnmt_status::MNMT_OK);
        let mut out = vec![0u8; 4096];
        let mut len = 0;
        // SAFETY: live translator, readable text and spans, a buffer of the size given.
        let s = unsafe {
            mnmt_translate_spans(
                t,
                text.as_ptr().cast(),
                text.len(),
                if spans.is_empty() {
                    std::ptr::null()
                } else {
                    spans.as_ptr()
                },
                spans.len(),
                opts,
                out.as_mut_ptr().cast(),
                out.len(),
                &mut len,
            )
        };
        // SAFETY: `t` came from mnmt_load and is freed once.
        unsafe { mnmt_free(t) };
        out.truncate(if s == mnmt_status::MNMT_OK { len } else { 0 });
        (s, String::from_utf8(out).unwrap())
    }

    #[test]
    fn caller_spans_come_back_once_and_bad_ones_are_refused() {
        let text = "Two dogs are playing with a FooBarWidget in the snow.";
        let at = text.find("FooBarWidget").unwrap();
        let span = mnmt_span {
            offset: at,
            len: "FooBarWidget".len(),
        };
        for split in [0, 1] {
            let opts = mnmt_options {
                split_sentences: split,
                protect_spans: 0,
                ..mnmt_options_default()
            };
            let (s, out) = with_spans(text, &[span], &opts);
            assert_eq!(s, mnmt_status::MNMT_OK);
            assert_eq!(out.matches("FooBarWidget").count(), 1, "{out}");
            assert!(out.contains("Hunde"), "{out}");
        }
        let opts = mnmt_options_default();
        for bad in [
            mnmt_span {
                offset: text.len(),
                len: 1,
            },
            mnmt_span {
                offset: 1,
                len: usize::MAX,
            },
        ] {
            assert_eq!(
                with_spans(text, &[bad], &opts).0,
                mnmt_status::MNMT_INVALID_ARGUMENT
            );
        }
        assert_eq!(
            with_spans("ü", &[mnmt_span { offset: 1, len: 1 }], &opts).0,
            mnmt_status::MNMT_INVALID_ARGUMENT
        );
        // No spans at all is `mnmt_translate`.
        assert_eq!(with_spans(text, &[], &opts).0, mnmt_status::MNMT_OK);
    }

    #[test]
    fn larger_struct_from_a_newer_header_is_accepted() {
        #[repr(C)]
        struct Newer {
            base: mnmt_options,
            extra: u32,
        }
        let mut n = Newer {
            base: mnmt_options_default(),
            extra: 99,
        };
        n.base.struct_size = size_of::<Newer>() as u32;
        n.base.truncate = 1;
        // SAFETY: `n` is live and starts with an aligned mnmt_options.
        let r = unsafe { read_options(std::ptr::addr_of!(n).cast()) }.unwrap();
        assert!(r.truncate);
        assert_eq!(n.extra, 99);
    }
}
