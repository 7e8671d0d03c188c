//! The shipped model and its golden demo translations (the text Hugging Face `transformers`
//! produces from the f32 weights, greedy and beam 4; tools/make_shipped_golden.py prints them),
//! shared by tests/shipped_model.rs and tests/address_space.rs.

pub const MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/models/mobilenmt-en-de/model-int8.gguf"
);

/// (source, greedy, beam 4)
pub const CASES: [(&str, &str, &str); 4] = [
    (
        "A man is riding a bicycle down the street.",
        "Ein Mann fährt mit einem Fahrrad die Straße entlang.",
        "Ein Mann fährt auf einem Fahrrad die Straße entlang.",
    ),
    (
        "Two dogs are playing in the snow.",
        "Zwei Hunde spielen im Schnee.",
        "Zwei Hunde spielen im Schnee.",
    ),
    (
        "A woman is reading a book in the park.",
        "Eine Frau liest im Park ein Buch.",
        "Eine Frau liest im Park ein Buch.",
    ),
    (
        "Children are playing football on the beach.",
        "Kinder spielen Football am Strand.",
        "Kinder spielen Football am Strand.",
    ),
];
