//! A minimal reader for the SentencePiece `ModelProto` protobuf (`sentencepiece_model.proto`).
//!
//! Only the fields the encoder and decoder need are kept; everything else is skipped by wire type,
//! so models written by newer trainers with extra fields still load. Every length is checked
//! against the remaining input before use, so a truncated or hostile file is an error, not a crash.

use crate::{Error, Result};

/// `ModelProto.SentencePiece.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PieceType {
    /// An ordinary piece the segmenter may choose.
    Normal,
    /// The `<unk>` piece.
    Unknown,
    /// `<s>`, `</s>` and friends: never produced by segmentation, decoded to nothing.
    Control,
    /// A piece always kept whole and never normalized.
    UserDefined,
    /// In the vocabulary but never chosen by the segmenter.
    Unused,
    /// A byte-fallback piece `<0xXX>`.
    Byte,
}

impl PieceType {
    fn from_wire(v: u64) -> Result<Self> {
        Ok(match v {
            1 => PieceType::Normal,
            2 => PieceType::Unknown,
            3 => PieceType::Control,
            4 => PieceType::UserDefined,
            5 => PieceType::Unused,
            6 => PieceType::Byte,
            _ => {
                return Err(Error::bad_model(format!(
                    "SentencePiece model: unknown piece type {v}"
                )))
            }
        })
    }
}

/// One vocabulary entry, borrowed from the model bytes (parsing copies nothing large).
#[derive(Debug, Clone)]
pub struct Piece<'a> {
    /// The piece text (`▁` stands for a space).
    pub piece: &'a str,
    /// Its unigram log probability.
    pub score: f32,
    /// Its kind.
    pub kind: PieceType,
}

/// `TrainerSpec.ModelType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelType {
    /// Unigram language model (supported).
    Unigram,
    /// Byte-pair encoding.
    Bpe,
    /// Whitespace-delimited words.
    Word,
    /// Characters.
    Char,
}

/// The subset of `TrainerSpec` that changes encoding or decoding.
#[derive(Debug, Clone)]
pub struct TrainerSpec {
    /// Segmentation algorithm.
    pub model_type: ModelType,
    /// Put `▁` after words instead of before them.
    pub treat_whitespace_as_suffix: bool,
    /// Unknown characters become UTF-8 byte pieces.
    pub byte_fallback: bool,
    /// What the decoder prints for `<unk>`.
    pub unk_surface: String,
}

impl Default for TrainerSpec {
    fn default() -> Self {
        TrainerSpec {
            model_type: ModelType::Unigram,
            treat_whitespace_as_suffix: false,
            byte_fallback: false,
            unk_surface: " \u{2047} ".to_string(),
        }
    }
}

/// `NormalizerSpec` (also used for the denormalizer).
#[derive(Debug, Clone)]
pub struct NormalizerSpec<'a> {
    /// Rule-set name, e.g. `nmt_nfkc` (informational).
    pub name: String,
    /// Double-array trie + replacement strings; empty means identity.
    pub precompiled_charsmap: &'a [u8],
    /// Prepend `▁` to the input.
    pub add_dummy_prefix: bool,
    /// Drop leading and trailing spaces and collapse runs of spaces.
    pub remove_extra_whitespaces: bool,
    /// Write spaces as `▁`.
    pub escape_whitespaces: bool,
}

impl Default for NormalizerSpec<'_> {
    fn default() -> Self {
        NormalizerSpec {
            name: String::new(),
            precompiled_charsmap: &[],
            add_dummy_prefix: true,
            remove_extra_whitespaces: true,
            escape_whitespaces: true,
        }
    }
}

/// A parsed `.model` file.
#[derive(Debug, Clone, Default)]
pub struct ModelProto<'a> {
    /// Pieces in id order.
    pub pieces: Vec<Piece<'a>>,
    /// Trainer settings that matter at run time.
    pub trainer_spec: TrainerSpec,
    /// How input text is normalized.
    pub normalizer_spec: NormalizerSpec<'a>,
    /// How decoded text is post-processed, when present.
    pub denormalizer_spec: Option<NormalizerSpec<'a>>,
}

/// A protobuf wire-format cursor.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// A field value as found on the wire.
enum Value<'a> {
    Varint(u64),
    Fixed64,
    Bytes(&'a [u8]),
    Fixed32(u32),
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn varint(&mut self) -> Result<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(truncated());
            };
            self.pos += 1;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(Error::bad_model(
            "SentencePiece model: varint longer than 10 bytes",
        ))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or_else(truncated)?;
        let bytes = self.buf.get(self.pos..end).ok_or_else(truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    /// Next `(field number, value)`.
    fn field(&mut self) -> Result<(u64, Value<'a>)> {
        let key = self.varint()?;
        let number = key >> 3;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Value::Fixed64
            }
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| truncated())?;
                Value::Bytes(self.take(len)?)
            }
            5 => {
                let b = self.take(4)?;
                Value::Fixed32(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            }
            w => {
                return Err(Error::bad_model(format!(
                    "SentencePiece model: unsupported protobuf wire type {w} (field {number})"
                )))
            }
        };
        Ok((number, value))
    }
}

fn truncated() -> Error {
    Error::bad_model("SentencePiece model: truncated protobuf")
}

fn wrong_type(what: &str) -> Error {
    Error::bad_model(format!(
        "SentencePiece model: field {what} has the wrong wire type"
    ))
}

fn as_bytes<'a>(v: &Value<'a>, what: &str) -> Result<&'a [u8]> {
    match v {
        Value::Bytes(b) => Ok(b),
        _ => Err(wrong_type(what)),
    }
}

fn as_str<'a>(v: &Value<'a>, what: &str) -> Result<&'a str> {
    let b = as_bytes(v, what)?;
    std::str::from_utf8(b)
        .map_err(|_| Error::bad_model(format!("SentencePiece model: {what} is not UTF-8")))
}

fn as_string(v: &Value<'_>, what: &str) -> Result<String> {
    as_str(v, what).map(str::to_owned)
}

fn as_varint(v: &Value<'_>, what: &str) -> Result<u64> {
    match v {
        Value::Varint(x) => Ok(*x),
        _ => Err(wrong_type(what)),
    }
}

fn parse_piece(buf: &[u8]) -> Result<Piece<'_>> {
    let mut r = Reader::new(buf);
    let mut piece = Piece {
        piece: "",
        score: 0.0,
        kind: PieceType::Normal,
    };
    while !r.at_end() {
        match r.field()? {
            (1, v) => piece.piece = as_str(&v, "SentencePiece.piece")?,
            (2, Value::Fixed32(bits)) => piece.score = f32::from_bits(bits),
            (2, _) => return Err(wrong_type("SentencePiece.score")),
            (3, v) => piece.kind = PieceType::from_wire(as_varint(&v, "SentencePiece.type")?)?,
            _ => {}
        }
    }
    Ok(piece)
}

fn parse_trainer_spec(buf: &[u8]) -> Result<TrainerSpec> {
    let mut r = Reader::new(buf);
    let mut spec = TrainerSpec::default();
    while !r.at_end() {
        match r.field()? {
            (3, v) => {
                spec.model_type = match as_varint(&v, "TrainerSpec.model_type")? {
                    1 => ModelType::Unigram,
                    2 => ModelType::Bpe,
                    3 => ModelType::Word,
                    4 => ModelType::Char,
                    t => {
                        return Err(Error::bad_model(format!(
                            "SentencePiece model: unknown model type {t}"
                        )))
                    }
                }
            }
            (24, v) => {
                spec.treat_whitespace_as_suffix =
                    as_varint(&v, "TrainerSpec.treat_whitespace_as_suffix")? != 0
            }
            (35, v) => spec.byte_fallback = as_varint(&v, "TrainerSpec.byte_fallback")? != 0,
            (44, v) => spec.unk_surface = as_string(&v, "TrainerSpec.unk_surface")?,
            _ => {}
        }
    }
    Ok(spec)
}

fn parse_normalizer_spec(buf: &[u8]) -> Result<NormalizerSpec<'_>> {
    let mut r = Reader::new(buf);
    let mut spec = NormalizerSpec::default();
    while !r.at_end() {
        match r.field()? {
            (1, v) => spec.name = as_string(&v, "NormalizerSpec.name")?,
            (2, v) => {
                spec.precompiled_charsmap = as_bytes(&v, "NormalizerSpec.precompiled_charsmap")?
            }
            (3, v) => {
                spec.add_dummy_prefix = as_varint(&v, "NormalizerSpec.add_dummy_prefix")? != 0
            }
            (4, v) => {
                spec.remove_extra_whitespaces =
                    as_varint(&v, "NormalizerSpec.remove_extra_whitespaces")? != 0
            }
            (5, v) => {
                spec.escape_whitespaces = as_varint(&v, "NormalizerSpec.escape_whitespaces")? != 0
            }
            _ => {}
        }
    }
    Ok(spec)
}

impl<'a> ModelProto<'a> {
    /// Parses a serialized `ModelProto` (the bytes of a `.model`/`.spm` file).
    pub fn parse(buf: &'a [u8]) -> Result<Self> {
        // Counting the pieces first sizes their list exactly instead of growing it by doubling.
        let mut r = Reader::new(buf);
        let mut n = 0usize;
        while !r.at_end() {
            if r.field()?.0 == 1 {
                n += 1;
            }
        }
        let mut r = Reader::new(buf);
        let mut model = ModelProto {
            pieces: Vec::with_capacity(n),
            ..ModelProto::default()
        };
        while !r.at_end() {
            match r.field()? {
                (1, v) => model
                    .pieces
                    .push(parse_piece(as_bytes(&v, "ModelProto.pieces")?)?),
                (2, v) => {
                    model.trainer_spec =
                        parse_trainer_spec(as_bytes(&v, "ModelProto.trainer_spec")?)?
                }
                (3, v) => {
                    model.normalizer_spec =
                        parse_normalizer_spec(as_bytes(&v, "ModelProto.normalizer_spec")?)?
                }
                (5, v) => {
                    model.denormalizer_spec = Some(parse_normalizer_spec(as_bytes(
                        &v,
                        "ModelProto.denormalizer_spec",
                    )?)?)
                }
                _ => {}
            }
        }
        if model.pieces.is_empty() {
            return Err(Error::bad_model("SentencePiece model has no pieces"));
        }
        Ok(model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_truncated_and_garbage() {
        assert!(ModelProto::parse(&[]).is_err());
        // Field 1, length 5, but only 2 bytes follow.
        assert!(ModelProto::parse(&[0x0a, 0x05, 0x0a, 0x00]).is_err());
        // Wire type 3 (start group) is not used by ModelProto.
        assert!(ModelProto::parse(&[0x0b]).is_err());
        // An unterminated varint.
        assert!(ModelProto::parse(&[0x08, 0xff, 0xff]).is_err());
    }

    #[test]
    fn parses_a_minimal_model() {
        // pieces { piece: "<unk>" score: 0 type: UNKNOWN } pieces { piece: "a" score: -1.5 }
        let mut buf = vec![0x0a, 0x0e, 0x0a, 0x05];
        buf.extend_from_slice(b"<unk>");
        buf.extend_from_slice(&[0x15, 0, 0, 0, 0, 0x18, 0x02]);
        buf.extend_from_slice(&[0x0a, 0x08, 0x0a, 0x01, b'a', 0x15]);
        buf.extend_from_slice(&(-1.5f32).to_le_bytes());
        let m = ModelProto::parse(&buf).unwrap();
        assert_eq!(m.pieces.len(), 2);
        assert_eq!(m.pieces[0].kind, PieceType::Unknown);
        assert_eq!(m.pieces[1].piece, "a");
        assert_eq!(m.pieces[1].score, -1.5);
        assert!(m.normalizer_spec.add_dummy_prefix);
        assert_eq!(m.trainer_spec.model_type, ModelType::Unigram);
    }
}
