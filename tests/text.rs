//! The text layer on generated input: invariants of the sentence splitter, the document
//! segmentation and the clause splitter on many pseudo-random texts made of the characters the
//! rules care about, and zero allocations once the caller's vectors have grown (a counting
//! global allocator, counting only on the test's own thread).

#[path = "common/counting.rs"]
mod counting;

use std::ops::Range;

use counting::{count_this_thread, Counting};
use mobilenmt::text::{
    assemble, assemble_from, segment, split_long, split_sentences, Lang, Segments, Sentences,
};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Pieces the rules react to, glued at random: words, abbreviations, numbers, punctuation,
/// quotes, brackets, line breaks, list markers, CJK and emoji.
const PIECES: &[&str] = &[
    "word",
    "Word",
    "Dr",
    "e.g",
    "z.B",
    "U.S",
    "3",
    "25",
    "1990",
    "3.5",
    "J",
    "x",
    "Nr",
    "No",
    "Die",
    "The",
    ".",
    ".",
    ".",
    "!",
    "?",
    "…",
    "...",
    ",",
    ";",
    ":",
    "\"",
    "“",
    "„",
    "”",
    "'",
    "(",
    ")",
    "[",
    "]",
    "-",
    "•",
    "1.",
    "iv)",
    " ",
    " ",
    " ",
    " ",
    "\n",
    "\r\n",
    "\t",
    "。",
    "你好",
    "！",
    "👍",
    "é",
    "ß",
    "www.a.com",
    "a@b.de",
    "\u{2028}",
    "\u{3000}",
];

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

fn random_text(rng: &mut Lcg) -> String {
    let n = rng.next() % 40;
    (0..n).map(|_| PIECES[rng.next() % PIECES.len()]).collect()
}

fn check_spans(text: &str, spans: &[Range<usize>]) {
    let mut prev_end = 0;
    for r in spans {
        assert!(
            r.start >= prev_end && r.start < r.end && r.end <= text.len(),
            "{text:?} {r:?}"
        );
        let s = &text[r.clone()]; // panics if not on char boundaries
        assert_eq!(s, s.trim(), "{text:?}: span {s:?} not trimmed");
        prev_end = r.end;
    }
}

#[test]
fn invariants_on_generated_text() {
    let mut rng = Lcg(0x5eed);
    let mut spans = Vec::new();
    let mut pieces = Vec::new();
    for _ in 0..20_000 {
        let text = random_text(&mut rng);
        for lang in [Lang::English, Lang::German, Lang::Other] {
            // Sentences: ordered, disjoint, trimmed; every non-space byte in one of them; none
            // crosses a line break.
            split_sentences(&text, lang, &mut spans);
            check_spans(&text, &spans);
            for (i, c) in text.char_indices() {
                if !c.is_whitespace() {
                    assert!(
                        spans.iter().any(|r| r.contains(&i)),
                        "{text:?}: byte {i} lost"
                    );
                }
            }
            for r in &spans {
                assert!(
                    !text[r.clone()].contains(['\n', '\r', '\u{2028}']),
                    "{text:?}"
                );
            }
            // Documents: reassembling the untranslated spans gives the text back exactly.
            segment(&text, lang, &mut spans);
            check_spans(&text, &spans);
            let back: String = assemble(&text, &spans, |i| &text[spans[i].clone()]).collect();
            assert_eq!(back, text);
            // The same, window by window (three spans at a time).
            let mut back = String::new();
            let (mut from, mut segments) = (0, Segments::new(&text, lang).peekable());
            loop {
                let window: Vec<Range<usize>> = segments.by_ref().take(3).collect();
                let last = segments.peek().is_none();
                let upto = if last { text.len() } else { window[2].end };
                back.extend(assemble_from(&text[..upto], from, &window, |i| {
                    &text[window[i].clone()]
                }));
                from = upto;
                if last {
                    break;
                }
            }
            assert_eq!(back, text);
            // Clauses: every piece fits a 3-word budget (or is one character), nothing is lost.
            pieces.clear();
            for r in &spans {
                split_long(
                    &text,
                    r.clone(),
                    lang,
                    |s| s.split_whitespace().count() <= 3,
                    &mut pieces,
                );
            }
            check_spans(&text, &pieces);
            for r in &pieces {
                let p = &text[r.clone()];
                assert!(
                    p.split_whitespace().count() <= 3 || p.chars().count() == 1,
                    "{p:?}"
                );
            }
            let words = |rs: &[Range<usize>]| -> String {
                rs.iter()
                    .map(|r| text[r.clone()].split_whitespace().collect::<String>())
                    .collect()
            };
            assert_eq!(words(&pieces), words(&spans), "{text:?}");
        }
    }
}

#[test]
fn no_allocation_once_the_vectors_have_grown() {
    let doc = "  Dr. Smith met J. R. R. Tolkien on Jan. 5. \"Why?\" he asked!\n\n\
               1. Am 3. Oktober kam z. B. Hr. Müller. Die Zahl stieg auf 25.\n👍\n\
               A long sentence, with clauses; and more words than the budget allows: here.\n";
    let mut spans = Vec::with_capacity(64);
    let mut pieces = Vec::with_capacity(64);
    let mut out = String::with_capacity(4 * doc.len());
    let run = |spans: &mut Vec<Range<usize>>, pieces: &mut Vec<Range<usize>>, out: &mut String| {
        let n = Sentences::new(doc, Lang::German).count();
        split_sentences(doc, Lang::English, spans);
        assert!(n >= 4 && spans.len() >= 4);
        segment(doc, Lang::German, spans);
        pieces.clear();
        for r in spans.iter() {
            split_long(
                doc,
                r.clone(),
                Lang::English,
                |s| s.split_whitespace().count() <= 4,
                pieces,
            );
        }
        out.clear();
        for piece in assemble(doc, pieces, |i| &doc[pieces[i].clone()]) {
            out.push_str(piece);
        }
        assert_eq!(out, doc);
    };
    run(&mut spans, &mut pieces, &mut out);
    let ((), n) = count_this_thread(|| {
        for _ in 0..10 {
            run(&mut spans, &mut pieces, &mut out);
        }
    });
    assert_eq!(n, 0);
    // The counter does see allocations: a vector that must grow is one.
    let ((), n) = count_this_thread(|| split_sentences(doc, Lang::English, &mut Vec::new()));
    assert!(n > 0);
}
