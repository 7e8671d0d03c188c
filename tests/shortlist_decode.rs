//! Decoding with a vocabulary shortlist: a shortlist that covers the whole target vocabulary
//! changes nothing (same ids, bit-identical scores, same text, greedy, beam, n-best and batch,
//! INT8 and f32, tied and untied models), a small one only ever produces its candidates, a batch
//! translates each sentence as alone, and the option turns it off.

mod common;
#[path = "common/gguf_builder.rs"]
mod gguf_builder;

use common::{fixture, golden_sources, FIXTURES};
use gguf_builder::{shortlist_metadata, with_metadata};
use mobilenmt::model::{CandidateSet, Model};
use mobilenmt::{Limits, TranslateOptions, Translator};

/// The fixture's file with a shortlist section: every source token lists `lists(src)`, and
/// `frequent` are always candidates.
fn with_shortlist(
    name: &str,
    file: &str,
    lists: impl Fn(u32) -> Vec<u32>,
    frequent: &[u32],
) -> Translator {
    let bytes = std::fs::read(fixture(name, file)).unwrap();
    let plain = Model::from_bytes(&bytes).unwrap();
    let extra = shortlist_metadata(plain.config().vocab_size, lists, frequent);
    let model = Model::from_bytes(&with_metadata(&bytes, &extra)).unwrap();
    assert!(
        model.shortlist().is_some(),
        "{name}/{file}: shortlist not read"
    );
    Translator::new(model, Limits::default()).unwrap()
}

fn plain(name: &str, file: &str) -> Translator {
    common::translator(name, file)
}

/// Every hypothesis (ids, score bits, text) of every golden source, greedy, beam 4 with 4
/// hypotheses, and a beam-2 batch.
fn outputs(t: &Translator, sources: &[String], shortlist: bool) -> Vec<String> {
    let mut out = Vec::new();
    for (beam, n) in [(1, 1), (4, 4)] {
        let opts = TranslateOptions {
            beam_size: beam,
            num_hypotheses: n,
            shortlist,
            ..Default::default()
        };
        for s in sources {
            t.translate_nbest_with(s, &opts, |hyps| {
                for h in hyps {
                    out.push(format!("{:?} {:08x} {}", h.ids, h.score.to_bits(), h.text));
                }
            })
            .unwrap();
        }
    }
    let opts = TranslateOptions {
        beam_size: 2,
        shortlist,
        ..Default::default()
    };
    let texts: Vec<&str> = sources.iter().map(String::as_str).collect();
    t.translate_batch_with(&texts, &opts, |i, s| out.push(format!("batch {i}: {s}")))
        .unwrap();
    out
}

#[test]
fn a_shortlist_of_the_whole_vocabulary_changes_nothing() {
    for name in FIXTURES {
        let sources = golden_sources(name);
        for file in ["model-int8.gguf", "model-f32.gguf"] {
            let want = outputs(&plain(name, file), &sources, true);
            let dec_vocab = plain(name, file).model().config().decoder_vocab_size as u32;
            // All targets as frequent ones, and again as every source token's list.
            let every: Vec<u32> = (0..dec_vocab).collect();
            let t = with_shortlist(name, file, |_| Vec::new(), &every);
            assert_eq!(outputs(&t, &sources, true), want, "{name}/{file}: frequent");
            let t = with_shortlist(name, file, |_| every.clone(), &[]);
            assert_eq!(outputs(&t, &sources, true), want, "{name}/{file}: lists");
        }
    }
}

/// The fixture with a small shortlist: each source token allows a few targets spread over the
/// vocabulary; ids 3..40 always.
fn small_shortlist(name: &str, file: &str, dec_vocab: u32) -> Translator {
    let lists = |s: u32| {
        let mut l: Vec<u32> = (0..4).map(|i| (s * 7 + i * 131) % dec_vocab).collect();
        l.sort_unstable();
        l.dedup();
        l
    };
    let frequent: Vec<u32> = (3..40).collect();
    with_shortlist(name, file, lists, &frequent)
}

/// A batch computes the logits of the union of its sentences' candidates, but each sentence
/// decides over its own: every sentence translates as alone (greedy and beam 4, INT8 and f32),
/// although the union is much larger than each sentence's set.
#[test]
fn a_batch_translates_each_sentence_as_alone() {
    for name in FIXTURES {
        let sources = golden_sources(name);
        let texts: Vec<&str> = sources.iter().map(String::as_str).collect();
        for file in ["model-int8.gguf", "model-f32.gguf"] {
            let dec_vocab = plain(name, file).model().config().decoder_vocab_size as u32;
            let t = small_shortlist(name, file, dec_vocab);
            for beam in [1, 4] {
                let opts = TranslateOptions {
                    beam_size: beam,
                    split_sentences: false,
                    ..Default::default()
                };
                let alone: Vec<String> = texts
                    .iter()
                    .map(|s| t.translate(s, &opts).unwrap())
                    .collect();
                let mut batch = vec![String::new(); texts.len()];
                t.translate_batch_with(&texts, &opts, |i, s| batch[i] = s.to_string())
                    .unwrap();
                assert_eq!(batch, alone, "{name}/{file} beam {beam}");
            }
        }
    }
}

#[test]
fn a_small_shortlist_only_produces_its_candidates_and_can_be_turned_off() {
    for name in FIXTURES {
        let sources = golden_sources(name);
        let file = "model-int8.gguf";
        let base = plain(name, file);
        let dec_vocab = base.model().config().decoder_vocab_size as u32;
        let t = small_shortlist(name, file, dec_vocab);
        let sl = t.model().shortlist().unwrap();
        let mut set = CandidateSet::new(dec_vocab as usize);
        let mut scratch = mobilenmt::tokenizer::EncodeScratch::new();
        let mut src = Vec::new();
        let mut differs = false;
        for s in &sources {
            t.tokenizer().encode(s, &mut scratch, &mut src).unwrap();
            sl.candidates(&src, &mut set).unwrap();
            assert!(set.len() < dec_vocab as usize / 2);
            for beam in [1, 4] {
                let opts = TranslateOptions {
                    beam_size: beam,
                    num_hypotheses: beam,
                    ..Default::default()
                };
                let on = t
                    .translate_nbest_with(s, &opts, |h| {
                        h.iter().map(|h| h.ids.to_vec()).collect::<Vec<_>>()
                    })
                    .unwrap();
                for ids in &on {
                    assert!(ids.iter().all(|&id| set.contains(id)), "{name}: {ids:?}");
                }
                let off = TranslateOptions {
                    shortlist: false,
                    ..opts
                };
                let full = |t: &Translator| {
                    t.translate_nbest_with(s, &off, |h| {
                        h.iter()
                            .map(|h| (h.ids.to_vec(), h.score.to_bits()))
                            .collect::<Vec<_>>()
                    })
                    .unwrap()
                };
                assert_eq!(full(&t), full(&base), "{name}: shortlist off");
                differs |= on != full(&base).into_iter().map(|h| h.0).collect::<Vec<_>>();
            }
        }
        assert!(
            differs,
            "{name}: the small shortlist never changed a translation"
        );
    }
}
