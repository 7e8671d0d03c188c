//! After warm-up, translating allocates nothing: a counting global allocator (counting only on
//! the test's own thread, so the harness's threads do not interfere) sees zero allocations across
//! repeated greedy, beam-4, aligned, n-best and batch translations of sentences of different lengths, and
//! of a whole document (paragraphs, blank lines, indentation, an over-long sentence; collected
//! and streamed), one sentence per call and in document mode, on the f32 and the INT8 fixture
//! models, with the output copied into a caller buffer.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{golden_sources, translator, FIXTURES};
use mobilenmt::{TranslateOptions, Translator};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn note() {
    if COUNTING.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: forwards every call unchanged to the system allocator; the counter only observes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, passed through as is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: `ptr` and `layout` come from this allocator, which is `System` underneath.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (see `alloc`).
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Copies `text` into `buf` (as a C caller's buffer would receive it); returns the length.
fn copy_out(text: &str, buf: &mut [u8]) -> usize {
    let n = text.len().min(buf.len());
    buf[..n].copy_from_slice(&text.as_bytes()[..n]);
    n
}

/// Every kind of call, over every sentence and `doc`; returns a checksum so nothing is optimised
/// away.
fn run_all(tr: &Translator, sources: &[&str], doc: &str, buf: &mut [u8]) -> usize {
    let greedy = TranslateOptions::default();
    let one = TranslateOptions {
        split_sentences: false,
        ..greedy
    };
    let beam = TranslateOptions {
        beam_size: 4,
        ..TranslateOptions::default()
    };
    let nbest = TranslateOptions {
        num_hypotheses: 4,
        ..beam
    };
    let mut sum = 0;
    for s in sources {
        sum += tr.translate_with(s, &one, |t| copy_out(t, buf)).unwrap();
        sum += tr.translate_with(s, &greedy, |t| copy_out(t, buf)).unwrap();
        sum += tr.translate_with(s, &beam, |t| copy_out(t, buf)).unwrap();
        for opts in [&greedy, &beam] {
            sum += tr
                .translate_aligned_with(s, opts, |a| {
                    copy_out(a.text, buf)
                        + a.links
                            .iter()
                            .map(|l| l.source_token as usize)
                            .sum::<usize>()
                })
                .unwrap();
        }
        sum += tr
            .translate_nbest_with(s, &nbest, |h| {
                h.iter().map(|h| copy_out(h.text, buf)).sum::<usize>()
            })
            .unwrap();
    }
    for opts in [&greedy, &beam, &one] {
        tr.translate_batch_with(sources, opts, |_, t| sum += copy_out(t, buf))
            .unwrap();
    }
    for opts in [&greedy, &beam] {
        sum += tr.translate_with(doc, opts, |t| copy_out(t, buf)).unwrap();
        let mut at = 0;
        tr.translate_document_with(doc, opts, |t| {
            let end = (at + t.len()).min(buf.len());
            at += copy_out(t, &mut buf[at..end]);
        })
        .unwrap();
        sum += at;
    }
    sum
}

/// A document of every source: paragraphs of two or three sentences, blank lines, indentation,
/// a line of digits and a sentence too long for the model, cut at its commas.
fn document(sources: &[&str]) -> String {
    let mut doc = String::from("\n  ");
    for (i, s) in sources.iter().enumerate() {
        doc.push_str(s);
        doc.push_str(match i % 3 {
            0 => " ",
            1 => "\n\n\t",
            _ => "\n",
        });
    }
    doc.push_str("12 345\n");
    for i in 0..80 {
        doc.push_str(sources[i % sources.len()].trim_end_matches(['.', '!', '?']));
        doc.push_str(", ");
    }
    doc.push_str("end.\n");
    doc
}

#[test]
fn translating_allocates_nothing_after_warm_up() {
    // The counter itself must see allocations, or a zero below would prove nothing.
    ALLOCATIONS.store(0, Ordering::Relaxed);
    COUNTING.with(|c| c.set(true));
    let probe = std::hint::black_box(vec![1u8; 3]);
    COUNTING.with(|c| c.set(false));
    drop(probe);
    assert_eq!(
        ALLOCATIONS.load(Ordering::Relaxed),
        1,
        "the counting allocator is not counting"
    );

    let mut buf = vec![0u8; 1 << 16];
    for name in FIXTURES {
        for file in ["model-f32.gguf", "model-int8.gguf"] {
            let tr = translator(name, file);
            let owned = golden_sources(name);
            let mut sources: Vec<&str> = owned.iter().map(String::as_str).collect();
            sources.sort_by_key(|s| s.len());
            assert!(sources.first().map(|s| s.len()) < sources.last().map(|s| s.len()));
            let doc = document(&sources);
            let warm = run_all(&tr, &sources, &doc, &mut buf);

            ALLOCATIONS.store(0, Ordering::Relaxed);
            COUNTING.with(|c| c.set(true));
            let mut again = 0;
            for _ in 0..3 {
                again = run_all(&tr, &sources, &doc, &mut buf);
            }
            COUNTING.with(|c| c.set(false));
            let n = ALLOCATIONS.load(Ordering::Relaxed);
            assert_eq!(
                warm, again,
                "{name}/{file}: translations changed between runs"
            );
            assert_eq!(n, 0, "{name}/{file}: {n} allocations after warm-up");
            println!(
                "{name}/{file}: 0 allocations over 3 rounds of {} sentences and a {}-byte document",
                sources.len(),
                doc.len()
            );
        }
    }
}
