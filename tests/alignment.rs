//! Alignments from the decoder's cross-attention: recording them leaves the translation
//! unchanged, every generated token gets one link with in-bounds spans, beam search carries them
//! along its backpointers, and on the captions model content words link to their translations.

#[path = "common/captions.rs"]
mod captions;
mod common;

use common::{golden_sources, translator, FIXTURES};
use mobilenmt::{AlignmentLink, TranslateOptions, Translator};

fn check_links(src: &str, text: &str, src_len: usize, tgt: &[u32], links: &[AlignmentLink]) {
    // One link per generated token but the final `</s>`.
    assert_eq!(links.len(), tgt.len().saturating_sub(1), "{src:?}");
    for (i, l) in links.iter().enumerate() {
        assert_eq!(l.target_token as usize, i);
        // `</s>` (the last source token) is never chosen unless it is the only one.
        assert!((l.source_token as usize) < src_len.saturating_sub(1).max(1));
        let (ss, se) = (l.source_start as usize, l.source_end as usize);
        let (ts, te) = (l.target_start as usize, l.target_end as usize);
        assert!(
            ss <= se && se <= src.len() && src.is_char_boundary(ss) && src.is_char_boundary(se)
        );
        assert!(
            ts <= te && te <= text.len() && text.is_char_boundary(ts) && text.is_char_boundary(te)
        );
    }
    // Target spans are in order and never overlap.
    for w in links.windows(2) {
        assert!(w[0].target_end <= w[1].target_start);
    }
}

#[test]
fn alignment_leaves_translations_unchanged_and_covers_every_token() {
    for name in FIXTURES {
        for file in ["model-f32.gguf", "model-int8.gguf"] {
            let tr = translator(name, file);
            for beam in [1, 4] {
                let opts = TranslateOptions {
                    beam_size: beam,
                    // The aligned call translates its text as one sentence.
                    split_sentences: false,
                    ..Default::default()
                };
                for src in golden_sources(name) {
                    let plain = tr.translate(&src, &opts).unwrap();
                    let (text, n) = tr
                        .translate_aligned_with(&src, &opts, |a| {
                            check_links(&src, a.text, a.source_ids.len(), a.target_ids, a.links);
                            (a.text.to_owned(), a.links.len())
                        })
                        .unwrap();
                    assert_eq!(text, plain, "{name}/{file} beam {beam}: {src:?}");
                    assert!(n > 0 || plain.is_empty());
                }
            }
        }
    }
}

/// The source word each target word is linked to (by the link of its first token).
fn word_links(tr: &Translator, src: &str, beam: usize) -> Vec<(String, String)> {
    let opts = TranslateOptions {
        beam_size: beam,
        ..Default::default()
    };
    tr.translate_aligned_with(src, &opts, |a| {
        a.links
            .iter()
            .filter(|l| l.target_end > l.target_start)
            .map(|l| {
                let t = &a.text[l.target_start as usize..l.target_end as usize];
                let s = &src[l.source_start as usize..l.source_end as usize];
                (t.to_owned(), s.to_owned())
            })
            .collect()
    })
    .unwrap()
}

#[test]
fn captions_model_links_nouns_to_their_translations() {
    let tr = captions::translator();
    // Hand-checked pairs: the greedy and beam-4 translations of these sentences contain these
    // German nouns, and their first piece must link to the English noun.
    let cases = [
        (
            "Two dogs are playing in the snow.",
            [("Hunde", "dogs"), ("Schnee", "snow")],
        ),
        (
            "A woman is reading a book in the park.",
            [("Frau", "woman"), ("Buch", "book")],
        ),
    ];
    for beam in [1, 4] {
        for (src, pairs) in cases {
            let links = word_links(&tr, src, beam);
            for (de, en) in pairs {
                let (_, s) = links
                    .iter()
                    .find(|(t, _)| de.starts_with(t.as_str()) && !t.is_empty())
                    .unwrap_or_else(|| panic!("{de} not in {links:?}"));
                assert!(
                    en.starts_with(s.as_str()) && !s.is_empty(),
                    "{de} -> {s} in {links:?}"
                );
            }
        }
    }
}
