//! The fixtures' tokenizers on arbitrary input: the first byte picks the fixture and the
//! operation (encode source text, encode target text, decode ids); the rest is the text (UTF-8
//! or not) or little-endian u32 ids (in range or not).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mobilenmt::{Limits, Translator};
use mobilenmt::model::Model;
use mobilenmt::tokenizer::EncodeScratch;

fn translators() -> &'static [Translator; 2] {
    static T: OnceLock<[Translator; 2]> = OnceLock::new();
    T.get_or_init(|| {
        let load = |name: &str| {
            let path = format!(
                "{}/../tests/data/{name}/model-int8.gguf",
                env!("CARGO_MANIFEST_DIR")
            );
            let model = Model::load(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"));
            Translator::new(model, Limits::default()).expect("fixture translator")
        };
        [load("tiny-swish"), load("tiny-relu-untied")]
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let tok = translators()[usize::from(sel & 1)].tokenizer();
    let mut scratch = EncodeScratch::new();
    let mut ids = Vec::new();
    match (sel >> 1) % 3 {
        0 | 1 => {
            let text = match std::str::from_utf8(rest) {
                Ok(s) => std::borrow::Cow::Borrowed(s),
                Err(_) => String::from_utf8_lossy(rest),
            };
            let r = if sel >> 1 & 1 == 0 {
                tok.encode(&text, &mut scratch, &mut ids)
            } else {
                tok.encode_target(&text, &mut scratch, &mut ids)
            };
            if r.is_ok() {
                assert!(!ids.is_empty(), "an encoding always ends with </s>");
            }
        }
        _ => {
            let raw: Vec<u32> = rest
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let mut out = String::new();
            let _ = tok.decode(&raw, &mut out);
            // Mostly in-range ids as well, so decoding reaches past the range check.
            let n = tok.target_vocab_size() as u32;
            let in_range: Vec<u32> = raw.iter().map(|&id| id % n).collect();
            out.clear();
            tok.decode(&in_range, &mut out)
                .expect("in-range ids decode");
        }
    }
});
