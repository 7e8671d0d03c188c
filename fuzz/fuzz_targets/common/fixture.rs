//! The INT8 fixture model's translator, loaded once per fuzzing process (shared by the targets
//! that translate).

use std::sync::OnceLock;

use mobilenmt::model::Model;
use mobilenmt::{Limits, Translator};

pub fn translator() -> &'static Translator {
    static T: OnceLock<Translator> = OnceLock::new();
    T.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/tiny-swish/model-int8.gguf"
        );
        let model = Model::load(path).unwrap_or_else(|e| panic!("fixture {path}: {e}"));
        Translator::new(model, Limits::default()).expect("fixture translator")
    })
}
