//! The SentencePiece model parser on arbitrary bytes; a model it accepts then segments the
//! input itself as text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mobilenmt::tokenizer::{EncodeScratch, SentencePiece};

fuzz_target!(|data: &[u8]| {
    let Ok(sp) = SentencePiece::from_bytes(data) else {
        return;
    };
    let text = String::from_utf8_lossy(&data[..data.len().min(256)]);
    let mut scratch = EncodeScratch::new();
    let _ = sp.encode_spans(&text, &mut scratch);
    for id in 0..sp.piece_size().min(64) as u32 + 2 {
        let _ = sp.id_to_piece(id);
        let _ = sp.piece_type(id);
    }
});
