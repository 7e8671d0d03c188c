//! The Multi30k captions model (`models/mobilenmt-en-de-captions`), for the tests whose expected
//! translations or alignments were checked by hand on it: unlike the default model, it is never
//! replaced.

use mobilenmt::model::Model;
use mobilenmt::{Limits, Translator};

pub const MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/models/mobilenmt-en-de-captions/model-int8.gguf"
);

/// A translator on the captions model with the default limits.
pub fn translator() -> Translator {
    Translator::new(Model::load(MODEL).unwrap(), Limits::default()).unwrap()
}
