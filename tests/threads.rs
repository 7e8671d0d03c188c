//! Worker threads change nothing but speed: logits, token ids, scores and texts are bit-identical
//! for 1, 2, 3 and 4 threads, on the fixture models (f32 and INT8, with every product split,
//! however small, so their tiny layers take the split paths too) and on the shipped model (with
//! the normal threshold, the configuration users get). Also: the load options are validated.

mod common;

use common::{fixture, golden_sources, FIXTURES};
use mobilenmt::model::Model;
use mobilenmt::nn::{Dims, Net, NnWorkspace, Parallel};
use mobilenmt::pool::Pool;
use mobilenmt::translator::auto_threads;
use mobilenmt::{ErrorKind, Limits, LoadOptions, TranslateOptions, Translator};

#[path = "common/shipped.rs"]
#[allow(dead_code)] // only the model path
mod shipped;
use shipped::MODEL as SHIPPED;

/// Sentences of 25 tokens and more (and a short one), where the encoder's GEMMs are large.
const LONG: [&str; 3] = [
    "A group of young men in colorful shirts is playing a game of football on a wide green \
     field next to an old stone church while their friends watch from the wooden benches.",
    "Two women wearing bright red jackets are walking their three small dogs along the beach \
     early in the morning, and a man on a bicycle rides past them.",
    "A dog runs.",
];

fn translator(path: &std::path::Path, threads: usize, split_all: bool) -> Translator {
    let model = Model::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let tr = Translator::with_options(
        model,
        &LoadOptions {
            limits: Limits::default(),
            num_threads: threads,
        },
    )
    .expect("translator");
    assert_eq!(tr.threads(), threads);
    if split_all {
        tr.split_all_products()
    } else {
        tr
    }
}

/// Every output of greedy, beam 4 with n-best and a batch, with scores as bits.
fn outputs(tr: &Translator, sources: &[&str]) -> Vec<(String, Vec<u32>, u32)> {
    let mut all = Vec::new();
    let greedy = TranslateOptions::default();
    let beam = TranslateOptions {
        beam_size: 4,
        num_hypotheses: 3,
        ..TranslateOptions::default()
    };
    for s in sources {
        for opts in [&greedy, &beam] {
            tr.translate_nbest_with(s, opts, |hs| {
                for h in hs {
                    all.push((h.text.to_owned(), h.ids.to_vec(), h.score.to_bits()));
                }
            })
            .unwrap();
        }
    }
    for opts in [&greedy, &beam] {
        let opts = TranslateOptions {
            num_hypotheses: 1,
            ..*opts
        };
        tr.translate_batch_with(sources, &opts, |_, t| {
            all.push((t.to_owned(), Vec::new(), 0))
        })
        .unwrap();
    }
    all
}

#[test]
fn fixture_translations_are_bit_identical_for_1_to_4_threads() {
    for name in FIXTURES {
        let owned = golden_sources(name);
        let sources: Vec<&str> = owned.iter().map(String::as_str).collect();
        for file in ["model-f32.gguf", "model-int8.gguf"] {
            let path = fixture(name, file);
            let want = outputs(&translator(&path, 1, false), &sources);
            for threads in 2..=4 {
                for split_all in [true, false] {
                    let got = outputs(&translator(&path, threads, split_all), &sources);
                    assert!(
                        got == want,
                        "{name}/{file}: {threads} threads (split all: {split_all}) differ"
                    );
                }
            }
        }
    }
}

#[test]
fn shipped_model_translations_are_bit_identical_for_1_to_4_threads() {
    let path = std::path::Path::new(SHIPPED);
    let want = outputs(&translator(path, 1, false), &LONG);
    assert!(want[0].1.len() >= 25, "the long sentences must be long");
    for threads in 2..=4 {
        let got = outputs(&translator(path, threads, false), &LONG);
        assert!(got == want, "{threads} threads differ");
    }
}

/// Teacher-forced logits of every step, with the products split across `threads` threads.
fn logits(model: &Model, src: &[u32], tgt: &[u32], threads: usize, min_macs: usize) -> Vec<u32> {
    let kern = mobilenmt::kernels::active().unwrap();
    let pool = Pool::new(threads).unwrap();
    let net = Net::new(
        model,
        kern,
        Parallel {
            pool: &pool,
            min_macs,
        },
    );
    let vocab = model.config().decoder_vocab_size;
    let dims = Dims {
        max_src: src.len(),
        max_tgt: tgt.len(),
        rows: 1,
        sents: 1,
    };
    let mut ws = NnWorkspace::new(model, dims);
    net.encode(&mut ws, src, 0);
    let mut out = Vec::new();
    for (t, &tok) in tgt.iter().enumerate() {
        net.decode_step(&mut ws, t, &[tok], &[0]);
        out.extend(ws.logits[..vocab].iter().map(|x| x.to_bits()));
    }
    out
}

#[test]
fn logits_are_bit_identical_for_1_to_4_threads() {
    let mut models: Vec<(String, Model)> = Vec::new();
    for name in FIXTURES {
        for file in ["model-f32.gguf", "model-int8.gguf"] {
            models.push((
                format!("{name}/{file}"),
                Model::load(fixture(name, file)).unwrap(),
            ));
        }
    }
    models.push(("shipped".into(), Model::load(SHIPPED).unwrap()));
    for (label, model) in &models {
        let c = model.config();
        let src: Vec<u32> = (0..30u32)
            .map(|i| 3 + (i * 7) % (c.vocab_size as u32 - 3))
            .chain([c.eos_id])
            .collect();
        let tgt: Vec<u32> = [c.decoder_start_id]
            .into_iter()
            .chain((0..8u32).map(|i| 3 + (i * 11) % (c.decoder_vocab_size as u32 - 3)))
            .collect();
        let want = logits(model, &src, &tgt, 1, 0);
        for threads in 2..=4 {
            for min_macs in [0, mobilenmt::nn::PAR_MIN_MACS] {
                let got = logits(model, &src, &tgt, threads, min_macs);
                assert!(
                    got == want,
                    "{label}: {threads} threads, min_macs {min_macs}"
                );
            }
        }
    }
}

#[test]
fn load_options_are_validated() {
    let load = |num_threads, limits| {
        Translator::with_options(
            Model::load(fixture("tiny-swish", "model-int8.gguf")).unwrap(),
            &LoadOptions {
                limits,
                num_threads,
            },
        )
    };
    let e = load(mobilenmt::pool::MAX_THREADS + 1, Limits::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("num_threads"), "{e}");
    let zero_beam = Limits {
        max_beam: 0,
        ..Limits::default()
    };
    assert_eq!(
        load(2, zero_beam).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    let auto = load(0, Limits::default()).unwrap();
    assert_eq!(auto.threads(), auto_threads());
    assert!((1..=4).contains(&auto.threads()));
    assert_eq!(LoadOptions::default().num_threads, 0);
    let one = Translator::new(
        Model::load(fixture("tiny-swish", "model-int8.gguf")).unwrap(),
        Limits::default(),
    )
    .unwrap();
    assert_eq!(one.threads(), 1);
}
