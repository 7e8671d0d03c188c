//! Translation of arbitrary text with the INT8 fixture model: the first byte picks the options
//! (greedy or beam, truncation, output cap), the rest is the text; invalid UTF-8 is made valid
//! so that every input reaches the model.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mobilenmt::TranslateOptions;
use mobilenmt::ErrorKind;

#[path = "common/fixture.rs"]
mod fixture;
use fixture::translator;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let opts = TranslateOptions {
        beam_size: 1 + usize::from(sel & 3),
        num_hypotheses: 1,
        truncate: sel & 4 != 0,
        max_output_tokens: usize::from(sel >> 3 & 7) * 4,
        ..TranslateOptions::default()
    };
    match translator().translate(&text, &opts) {
        Ok(_) => {}
        Err(e) => assert!(
            e.kind() == ErrorKind::InputTooLong && !opts.truncate,
            "unexpected error {:?}: {}",
            e.kind(),
            e.message()
        ),
    }
});
