//! The model shipped in `models/` loads and translates the golden sentences of common/shipped.rs
//! (the same text that Hugging Face `transformers` produces from the f32 weights, greedy and beam 4).

#[path = "common/shipped.rs"]
mod shipped;

use mobilenmt::model::{DType, Model};
use mobilenmt::{Limits, TranslateOptions, Translator};

use shipped::{CASES, MODEL};

#[test]
fn shipped_model_translates_the_golden_sentences() {
    let model = Model::load(MODEL).expect("the shipped model loads");
    let c = model.config();
    assert_eq!(c.dtype, DType::Int8);
    assert_eq!((c.encoder_layers, c.decoder_layers, c.d_model), (6, 2, 256));
    assert_eq!(c.source_lang.as_deref(), Some("en"));
    assert_eq!(c.target_lang.as_deref(), Some("de"));
    // The size budget of the shipped model: 10.5 MB (tools/ship_model.sh checks it too).
    assert!(
        model.file_size() <= 10_500_000,
        "model file is {} bytes",
        model.file_size()
    );
    let tr = Translator::new(model, Limits::default()).unwrap();
    for (src, greedy, beam4) in CASES {
        for (beam, want) in [(1, greedy), (4, beam4)] {
            let opts = TranslateOptions {
                beam_size: beam,
                ..TranslateOptions::default()
            };
            assert_eq!(
                tr.translate(src, &opts).unwrap(),
                want,
                "beam {beam}: {src}"
            );
        }
    }
}
