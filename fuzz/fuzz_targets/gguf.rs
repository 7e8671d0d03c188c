//! The GGUF reader and validator on arbitrary bytes: `Model::from_bytes` must return a model or
//! an error, never panic or read out of bounds; a model it accepts must build a translator (or
//! fail cleanly) and translate a short sentence.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mobilenmt::{Limits, TranslateOptions, Translator};
use mobilenmt::model::Model;

fuzz_target!(|data: &[u8]| {
    let Ok(model) = Model::from_bytes(data) else {
        return;
    };
    // Small limits keep each accepted input fast; the sizes come from the (validated) file.
    let limits = Limits {
        max_source_tokens: 16,
        max_target_tokens: 8,
        max_beam: 2,
        max_batch: 2,
    };
    let Ok(tr) = Translator::new(model, limits) else {
        return;
    };
    let opts = TranslateOptions {
        truncate: true,
        ..TranslateOptions::default()
    };
    let _ = tr.translate("A man rides a bike.", &opts);
});
