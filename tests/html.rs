//! HTML/XML input (`TranslateOptions::html`) on the shipped model and the tiny fixture: every
//! tag once and well nested, attributes byte for byte, untranslated elements untouched,
//! entities, malformed pages, NUL bytes, deep nesting and a megabyte of tags.

#[path = "common/captions.rs"]
mod captions;
#[path = "common/shipped.rs"]
#[allow(dead_code)] // only the model path
mod shipped;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use mobilenmt::html::{check, is_well_nested};
use mobilenmt::model::Model;
use mobilenmt::{Limits, TranslateOptions, Translator};

/// Counts the bytes the calling thread has allocated and not freed, and their peak: a page's
/// translation runs on one thread (`Translator::new` starts no worker), so the peak is its own.
struct PeakBytes;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn add_live(n: isize) {
    // `try_with`: a thread being torn down has no thread-locals left.
    let _ = LIVE.try_with(|l| {
        l.set(l.get() + n);
        let _ = PEAK.try_with(|p| p.set(p.get().max(l.get())));
    });
}

// SAFETY: forwards every call unchanged to the system allocator; the counters only observe, and
// touch only const-initialized thread-locals, which never allocate.
unsafe impl GlobalAlloc for PeakBytes {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add_live(layout.size() as isize);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, passed through as is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add_live(-(layout.size() as isize));
        // SAFETY: `ptr` was allocated by `System` with `layout` (see `alloc`).
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add_live(new_size as isize - layout.size() as isize);
        // SAFETY: `ptr` and `layout` come from this allocator, which is `System` underneath.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: PeakBytes = PeakBytes;

/// The most bytes live at once while `f` runs, above those live when it starts.
fn peak_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let r = f();
    (r, (PEAK.with(Cell::get) - start).max(0) as usize)
}

fn shipped() -> Translator {
    Translator::new(Model::load(shipped::MODEL).unwrap(), Limits::default()).unwrap()
}

fn tiny() -> Translator {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/tiny-swish/model-int8.gguf"
    );
    Translator::new(Model::load(path).unwrap(), Limits::default()).unwrap()
}

fn html() -> TranslateOptions {
    TranslateOptions {
        html: true,
        ..TranslateOptions::default()
    }
}

/// Translates `page` as HTML and checks the output against it.
fn translate(tr: &Translator, page: &str) -> String {
    let out = tr.translate(page, &html()).unwrap();
    if let Err(e) = check(page, &out) {
        panic!("{e}\npage:   {page:?}\noutput: {out:?}");
    }
    out
}

/// The text between the first `open` and the next `close` of `s`.
fn inside<'a>(s: &'a str, open: &str, close: &str) -> &'a str {
    let a = s.find(open).unwrap_or_else(|| panic!("{open} in {s:?}")) + open.len();
    let b = a + s[a..]
        .find(close)
        .unwrap_or_else(|| panic!("{close} in {s:?}"));
    &s[a..b]
}

const TAG_KINDS: &[&str] = &[
    "<p>Two dogs are playing in the <b>snow</b>.</p>",
    "<p>A <i>woman</i> is reading a <em>book</em> in the <strong>park</strong>.</p>",
    "<p>Children are playing <a href=\"https://example.com/a?x=1&amp;y=2\" class='c'>football</a> on the beach.</p>",
    "<div><span lang=\"en\" data-x=\"a > b\">A man</span> is riding a bicycle.</div>",
    "<ul>\n  <li>Two dogs are playing.</li>\n  <li>A woman is reading.</li>\n</ul>",
    "<table><tr><th>Dogs</th><td>Two dogs are playing in the snow.</td></tr></table>",
    "<h1>A man</h1><h2>is riding</h2><section><p>A bicycle.</p></section>",
    "A man is riding<br>a bicycle<br/>down the street.<hr>Two dogs.",
    "Two dogs <img src=\"dog.png\" alt=\"a dog\"> are playing <wbr>in the snow.",
    "<p>Two dogs<!-- a comment --> are playing.</p>",
    "<?xml version=\"1.0\"?><!DOCTYPE note><note><body>Two dogs are playing.</body></note>",
    "<p>Tom &amp; Jerry &lt;3 &quot;snow&quot;&nbsp;&copy; &#169; &#xA9; &unknown; dogs.</p>",
    "<p>Two <b>dogs <i>are playing</i></b> in the snow.</p>",
    "<p>Two dogs <input type=\"checkbox\" checked> are <x:tag a=\"1\"/>playing.</p>",
];

#[test]
fn every_tag_kind_comes_back_once_and_well_nested() {
    for tr in [shipped(), tiny()] {
        for page in TAG_KINDS {
            let out = translate(&tr, page);
            assert!(
                is_well_nested(page) == is_well_nested(&out),
                "{page:?} -> {out:?}"
            );
        }
    }
}

/// An inline pair wraps the target words aligned to the source words it wrapped: checked against
/// the alignment of the same sentence without tags (so whatever the model, the projection
/// follows the alignment), on the captions model, whose translations of these words were checked.
#[test]
fn a_pair_wraps_the_aligned_translation_of_its_words() {
    let tr = captions::translator();
    let one = TranslateOptions {
        split_sentences: false,
        ..TranslateOptions::default()
    };
    for (sentence, word) in [
        ("Two dogs are playing in the snow.", "snow"),
        ("A woman is reading a book in the park.", "book"),
        ("A man is riding a bicycle down the street.", "man"),
        ("Two dogs are playing in the snow.", "dogs"),
    ] {
        let page = sentence.replacen(word, &format!("<b>{word}</b>"), 1);
        let out = translate(&tr, &page);
        let w0 = sentence.find(word).unwrap() as u32;
        let w1 = w0 + word.len() as u32;
        let expected = tr
            .translate_aligned_with(sentence, &one, |a| {
                let (mut lo, mut hi) = (usize::MAX, 0);
                for l in a.links {
                    if l.source_start < w1 && l.source_end > w0 {
                        lo = lo.min(l.target_start as usize);
                        hi = hi.max(l.target_end as usize);
                    }
                }
                assert!(
                    lo < hi,
                    "no target token aligned to {word:?} in {:?}",
                    a.text
                );
                a.text[lo..hi].to_owned()
            })
            .unwrap();
        assert_eq!(inside(&out, "<b>", "</b>"), expected, "{page} -> {out}");
    }
}

#[test]
fn attributes_are_kept_byte_for_byte() {
    let tr = shipped();
    let page = "<p>Two <a href=\"/x?a=1&amp;b=2\" title='it&#39;s \"q\"' data-n=7 hidden>dogs</a> play.</p>";
    let out = translate(&tr, page);
    assert!(
        out.contains("<a href=\"/x?a=1&amp;b=2\" title='it&#39;s \"q\"' data-n=7 hidden>"),
        "{out}"
    );
}

#[test]
fn untranslated_elements_are_untouched() {
    let tr = shipped();
    let kept = [
        "<script>if (a < b && c) { x(\"Two dogs\"); }</script>",
        "<style>p > b { color: red }</style>",
        "<code>two_dogs()</code>",
        "<pre>Two dogs\n  are <b>playing</b>.</pre>",
        "<textarea>Two dogs are playing.</textarea>",
        "<span translate=\"no\">Two <i>dogs</i> are playing.</span>",
        "<div translate=no><p>A woman is reading.</p></div>",
    ];
    for k in kept {
        let page = format!("<p>A man is riding a bicycle.</p>{k}<p>Run {k} now.</p>");
        let out = translate(&tr, &page);
        assert_eq!(out.matches(k).count(), 2, "{page:?} -> {out:?}");
    }
}

#[test]
fn entities_are_decoded_for_the_model_and_text_is_escaped() {
    let tr = shipped();
    // The decoded sentence translates like its plain text.
    let plain = tr
        .translate(
            "Two dogs are playing in the snow.",
            &TranslateOptions::default(),
        )
        .unwrap();
    let out = translate(&tr, "Two dogs are playing in the snow&#46;");
    assert_eq!(
        out,
        plain
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    );
    // Unknown entities are kept; no bare '&' or '<' comes out of the text.
    let out = translate(&tr, "<p>Tom &amp; Jerry &foo; like snow &lt;3.</p>");
    assert!(out.contains("&foo;"), "{out}");
    let text_only = out.replace("<p>", "").replace("</p>", "");
    assert!(!text_only.contains('<'), "{out}");
    for (i, _) in text_only.match_indices('&') {
        let rest = &text_only[i..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&foo;"]
                .iter()
                .any(|e| rest.starts_with(e)),
            "{out}"
        );
    }
}

#[test]
fn malformed_pages_fall_back_without_failing() {
    for tr in [shipped(), tiny()] {
        for page in [
            "<p>Two dogs are <b>playing in the snow.",
            "Two dogs </i> are playing.</b>",
            "<p>Two <b>dogs <i>are</b> playing</i> in the snow.</p>",
            "Two dogs < three cats > one bird.",
            "<a href=\"never closed>Two dogs are playing.",
            "<!-- never closed. Two dogs are playing.",
            "<p>Two dogs &#xFFFFFFFF; &#; &#55296; are playing.</p>",
            "</p></p><li>Two dogs.<li>A man.</ul>",
            "<b>Two dogs. <i>A man.</b> A woman.</i>",
            "<script>Two dogs are playing.",
            "<",
            "&",
            "",
        ] {
            translate(&tr, page);
        }
    }
}

#[test]
fn nul_bytes_and_odd_positions() {
    let tr = tiny();
    for page in [
        "\0",
        "<b>\0</b>",
        "Two\0dogs <i>a\0b</i>.",
        "<p\0>x</p>",
        "<\0b>dogs",
        "\0<!--\0-->\0",
    ] {
        translate(&tr, page);
    }
}

#[test]
fn deep_nesting_does_not_recurse() {
    let tr = tiny();
    let depth = 100_000;
    let page = format!(
        "{}Two dogs are playing.{}",
        "<span>".repeat(depth),
        "</span>".repeat(depth)
    );
    let out = translate(&tr, &page);
    assert!(is_well_nested(&out));
    let page = format!("{}A man.", "<div>".repeat(depth));
    translate(&tr, &page);
}

/// A megabyte of tags: translated (a quadratic scan would not finish), and the memory of the
/// call stays a small multiple of the page (the anchors and the output).
#[test]
fn a_megabyte_of_tags() {
    let tr = tiny();
    let unit = "<span class=\"a\"><b></b><img src=x><!--c--></span><br>";
    let page = unit.repeat((1 << 20) / unit.len() + 1) + "Two dogs.";
    let (out, peak) = peak_during(|| tr.translate(&page, &html()).unwrap());
    check(&page, &out).unwrap();
    assert!(out.starts_with(&page[..page.len() - "Two dogs.".len()]));
    eprintln!(
        "a megabyte of tags: peak {peak} bytes for a page of {}",
        page.len()
    );
    assert!(
        peak < 48 * page.len(),
        "{peak} bytes for a page of {}",
        page.len()
    );
    let stray = "</i><b>".repeat((1 << 20) / 7) + "Two dogs.";
    let (out, peak) = peak_during(|| tr.translate(&stray, &html()).unwrap());
    check(&stray, &out).unwrap();
    eprintln!(
        "a megabyte of stray tags: peak {peak} bytes for a page of {}",
        stray.len()
    );
    assert!(
        peak < 48 * stray.len(),
        "{peak} bytes for a page of {}",
        stray.len()
    );
}

#[test]
fn document_batch_and_streaming_calls_agree() {
    let tr = shipped();
    let pages = [TAG_KINDS[0], TAG_KINDS[4], TAG_KINDS[11]];
    let mut batch = vec![String::new(); pages.len()];
    tr.translate_batch_with(&pages, &html(), |i, s| batch[i] = s.to_owned())
        .unwrap();
    for (i, page) in pages.iter().enumerate() {
        let one = translate(&tr, page);
        assert_eq!(batch[i], one);
        let mut streamed = String::new();
        tr.translate_document_with(page, &html(), |s| streamed.push_str(s))
            .unwrap();
        assert_eq!(streamed, one);
    }
}

#[test]
fn plain_text_option_leaves_markup_to_the_model() {
    // Without the option the text is plain: the default is unchanged.
    assert!(!TranslateOptions::default().html);
    let tr = tiny();
    let out = tr.translate("<p>x</p>", &html()).unwrap();
    assert!(out.starts_with("<p>") && out.ends_with("</p>"));
    let _ = inside(&out, "<p>", "</p>");
}
