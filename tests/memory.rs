//! What keeps resident memory down changes no result: compacting the decoder's self-attention
//! cache (at every step, or never), cutting document-mode chunks into smaller batches (one
//! sentence each, or whole chunks), and reading a mapped model's shortlist lists from the file
//! rather than through the mapping. BENCHMARKS.md ("Memory") measures what they save.

mod common;

use common::{fixture, golden_sources, FIXTURES};
use mobilenmt::model::{CandidateSet, Model};
use mobilenmt::{Limits, TranslateOptions, Translator};

const SHIPPED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/models/mobilenmt-en-de/model-int8.gguf"
);

/// Held-out sentences of several lengths (the longest first lines of Tatoeba dev are short, so
/// a few are joined into long ones too).
fn sentences(n: usize) -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/eval/data/tatoeba-dev.en");
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut out: Vec<String> = lines.iter().take(n).map(|s| s.to_string()).collect();
    out.push(lines[n..n + 6].join(" "));
    out.push(lines[n + 6..n + 9].join(", and "));
    out
}

/// Every hypothesis (ids, score bits, text) of each source, greedy and beam 4 with 4
/// hypotheses, then a greedy and a beam-4 batch, then all sources as one document at beam 4.
fn outputs(t: &Translator, sources: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for (beam, n) in [(1, 1), (4, 4)] {
        let opts = TranslateOptions {
            beam_size: beam,
            num_hypotheses: n,
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
    let texts: Vec<&str> = sources.iter().map(String::as_str).collect();
    for beam in [1, 4] {
        let opts = TranslateOptions {
            beam_size: beam,
            split_sentences: false,
            ..Default::default()
        };
        t.translate_batch_with(&texts, &opts, |i, s| out.push(format!("batch {i}: {s}")))
            .unwrap();
    }
    let doc = texts.join(" ");
    let opts = TranslateOptions {
        beam_size: 4,
        ..Default::default()
    };
    out.push(t.translate(&doc, &opts).unwrap());
    out
}

fn load(path: impl AsRef<std::path::Path>) -> Translator {
    Translator::new(Model::load(path).unwrap(), Limits::default()).unwrap()
}

#[test]
fn compacting_the_self_attention_cache_changes_no_result() {
    let mut cases: Vec<(std::path::PathBuf, Vec<String>)> = Vec::new();
    for name in FIXTURES {
        for file in ["model-int8.gguf", "model-f32.gguf"] {
            cases.push((fixture(name, file), golden_sources(name)));
        }
    }
    cases.push((SHIPPED.into(), sentences(12)));
    for (path, sources) in &cases {
        let want = outputs(&load(path).memory_knobs(usize::MAX, 640), sources);
        let always = load(path).memory_knobs(1, 640);
        assert_eq!(outputs(&always, sources), want, "{}", path.display());
        // The default compacts now and then (long decodes on the shipped model).
        let default = load(path).memory_knobs(mobilenmt::nn::COMPACT_FLOATS, 640);
        assert_eq!(outputs(&default, sources), want, "{}", path.display());
    }
}

#[test]
fn document_batches_cut_by_memory_translate_like_whole_chunks() {
    // With the shortlist on (the default), a batch decodes over its sentences' candidates, so
    // this also checks that a cut chunk keeps the whole chunk's candidate set.
    let sources = sentences(40);
    let doc = sources.join(" ");
    let whole = load(SHIPPED).memory_knobs(1 << 16, usize::MAX);
    for beam in [1, 4] {
        let opts = TranslateOptions {
            beam_size: beam,
            ..Default::default()
        };
        let want = whole.translate(&doc, &opts).unwrap();
        for rows in [0, 300, 640] {
            let cut = load(SHIPPED).memory_knobs(1 << 16, rows);
            assert_eq!(
                cut.translate(&doc, &opts).unwrap(),
                want,
                "beam {beam}, {rows} rows"
            );
        }
    }
}

#[test]
fn a_mapped_shortlist_reads_the_candidates_it_validated() {
    let mapped = Model::load(SHIPPED).unwrap();
    let owned = Model::from_bytes(&std::fs::read(SHIPPED).unwrap()).unwrap();
    mapped.release_file_pages();
    let (a, b) = (mapped.shortlist().unwrap(), owned.shortlist().unwrap());
    let mut set_a = CandidateSet::new(a.target_tokens());
    let mut set_b = CandidateSet::new(b.target_tokens());
    let vocab = a.source_tokens() as u32;
    // Every source token, a few at a time, and all of them at once. The frequent list (1,000 ids)
    // takes more than one read.
    let all: Vec<u32> = (0..vocab).collect();
    for ids in all.chunks(7).chain([&all[..]]) {
        a.candidates(ids, &mut set_a).unwrap();
        b.candidates(ids, &mut set_b).unwrap();
        assert_eq!(set_a.ids(), set_b.ids(), "{:?}", &ids[..1]);
        let want: std::collections::BTreeSet<u32> = b
            .frequent()
            .chain(ids.iter().flat_map(|&s| b.list(s)))
            .collect();
        assert!(want.iter().all(|&id| set_a.contains(id)));
    }
}
