//! A bounds-checked GGUF v3 reader.
//!
//! The file is untrusted input: every count and length is checked against the bytes that remain
//! before anything is allocated, recursion into nested arrays is depth-limited, and every failure
//! is an [`Error`] that names what was being read and at which offset. Nothing here panics on any
//! input. Fixed-size arrays (including the large `u8` arrays that hold SentencePiece models) are
//! not copied: the reader records where they are and decodes them on demand.

use std::collections::HashSet;

use crate::error::{Error, Result};

/// The four bytes every GGUF file starts with.
pub const MAGIC: [u8; 4] = *b"GGUF";
/// The only container version this reader accepts.
pub const VERSION: u32 = 3;
/// ggml type id of `F32` tensors.
pub const GGML_TYPE_F32: u32 = 0;
/// ggml type id of `I8` tensors.
pub const GGML_TYPE_I8: u32 = 24;
/// GGML_MAX_DIMS: no ggml tensor has more dimensions.
pub const MAX_DIMS: u32 = 4;
/// Arrays of arrays deeper than this are rejected; no real file nests at all, and the limit keeps
/// a hostile file from exhausting the stack.
const MAX_NESTING: u32 = 8;

/// GGUF metadata value types, numbered as in the specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    F32,
    Bool,
    String,
    Array,
    U64,
    I64,
    F64,
}

impl ValueType {
    fn from_u32(v: u32) -> Option<Self> {
        Some(match v {
            0 => ValueType::U8,
            1 => ValueType::I8,
            2 => ValueType::U16,
            3 => ValueType::I16,
            4 => ValueType::U32,
            5 => ValueType::I32,
            6 => ValueType::F32,
            7 => ValueType::Bool,
            8 => ValueType::String,
            9 => ValueType::Array,
            10 => ValueType::U64,
            11 => ValueType::I64,
            12 => ValueType::F64,
            _ => return None,
        })
    }

    /// Bytes per element for fixed-size types, `None` for strings and arrays.
    fn fixed_size(self) -> Option<usize> {
        Some(match self {
            ValueType::U8 | ValueType::I8 | ValueType::Bool => 1,
            ValueType::U16 | ValueType::I16 => 2,
            ValueType::U32 | ValueType::I32 | ValueType::F32 => 4,
            ValueType::U64 | ValueType::I64 | ValueType::F64 => 8,
            ValueType::String | ValueType::Array => return None,
        })
    }

    /// The smallest encoding of one element, used to reject counts the file cannot hold.
    fn min_size(self) -> usize {
        match self {
            ValueType::String => 8,
            ValueType::Array => 12,
            t => t.fixed_size().unwrap_or(1),
        }
    }

    /// The name used in error messages and in `docs/model-format.md`.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::U8 => "u8",
            ValueType::I8 => "i8",
            ValueType::U16 => "u16",
            ValueType::I16 => "i16",
            ValueType::U32 => "u32",
            ValueType::I32 => "i32",
            ValueType::F32 => "f32",
            ValueType::Bool => "bool",
            ValueType::String => "string",
            ValueType::Array => "array",
            ValueType::U64 => "u64",
            ValueType::I64 => "i64",
            ValueType::F64 => "f64",
        }
    }
}

/// One metadata value. Scalars are decoded; fixed-size arrays stay in the file.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    String(String),
    U64(u64),
    I64(i64),
    F64(f64),
    /// An array of a fixed-size type: `len` elements of `elem` starting at byte `start`.
    RawArray {
        elem: ValueType,
        start: usize,
        len: usize,
    },
    /// An array of `len` strings, validated as UTF-8 and left in place: the first string's
    /// length field is at byte `start` (a vocabulary is read where it lies, not copied).
    StringArray {
        start: usize,
        len: usize,
    },
    /// An array of arrays.
    ArrayArray(Vec<Value>),
}

impl Value {
    /// A short description of the value's type, for "expected X, found Y" messages.
    pub fn type_name(&self) -> String {
        match self {
            Value::U8(_) => "u8".into(),
            Value::I8(_) => "i8".into(),
            Value::U16(_) => "u16".into(),
            Value::I16(_) => "i16".into(),
            Value::U32(_) => "u32".into(),
            Value::I32(_) => "i32".into(),
            Value::F32(_) => "f32".into(),
            Value::Bool(_) => "bool".into(),
            Value::String(_) => "string".into(),
            Value::U64(_) => "u64".into(),
            Value::I64(_) => "i64".into(),
            Value::F64(_) => "f64".into(),
            Value::RawArray { elem, .. } => format!("array[{}]", elem.name()),
            Value::StringArray { .. } => "array[string]".into(),
            Value::ArrayArray(_) => "array[array]".into(),
        }
    }
}

/// One entry of the tensor directory, as read (not yet validated against the model).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    /// Dimensions innermost first, as GGUF stores them.
    pub dims: Vec<u64>,
    /// The ggml type id.
    pub ggml_type: u32,
    /// Offset relative to the start of the data section.
    pub offset: u64,
}

/// A parsed GGUF header: metadata in file order, the tensor directory and where data starts.
#[derive(Debug)]
pub struct Gguf {
    pub metadata: Vec<(String, Value)>,
    pub tensors: Vec<TensorInfo>,
    pub alignment: usize,
    /// Absolute file offset of the data section (a multiple of `alignment`).
    pub data_start: usize,
}

/// A cursor over the file that turns every out-of-bounds read into an error.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize, what: &dyn Fn() -> String) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(Error::bad_model(format!(
                "file truncated: {} needs {} bytes at offset {}, only {} left (file size {})",
                what(),
                n,
                self.pos,
                self.remaining(),
                self.bytes.len()
            )));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &dyn Fn() -> String) -> Result<[u8; N]> {
        let s = self.take(N, what)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u32(&mut self, what: &dyn Fn() -> String) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &dyn Fn() -> String) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// A count that must be satisfiable by the bytes left, `min_each` bytes per item at least.
    fn count(&mut self, min_each: usize, what: &dyn Fn() -> String) -> Result<usize> {
        let at = self.pos;
        let n = self.u64(what)?;
        let fits = usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_mul(min_each.max(1)))
            .is_some_and(|bytes| bytes <= self.remaining());
        if !fits {
            return Err(Error::bad_model(format!(
                "{}: count {} at offset {} cannot fit in the {} bytes left in the file",
                what(),
                n,
                at,
                self.remaining()
            )));
        }
        Ok(n as usize)
    }

    fn string(&mut self, what: &dyn Fn() -> String) -> Result<String> {
        self.str(what).map(str::to_owned)
    }

    fn str(&mut self, what: &dyn Fn() -> String) -> Result<&'a str> {
        let len = self.count(1, what)?;
        let at = self.pos;
        let raw = self.take(len, what)?;
        match std::str::from_utf8(raw) {
            Ok(s) => Ok(s),
            Err(e) => Err(Error::bad_model(format!(
                "{}: string at offset {} is not valid UTF-8 (bad byte at {})",
                what(),
                at,
                at + e.valid_up_to()
            ))),
        }
    }

    fn value_type(&mut self, what: &dyn Fn() -> String) -> Result<ValueType> {
        let at = self.pos;
        let t = self.u32(what)?;
        ValueType::from_u32(t).ok_or_else(|| {
            Error::bad_model(format!(
                "{}: unknown value type {} at offset {} (expected 0..=12)",
                what(),
                t,
                at
            ))
        })
    }

    fn value(&mut self, ty: ValueType, depth: u32, what: &dyn Fn() -> String) -> Result<Value> {
        Ok(match ty {
            ValueType::U8 => Value::U8(self.array::<1>(what)?[0]),
            ValueType::I8 => Value::I8(i8::from_le_bytes(self.array(what)?)),
            ValueType::U16 => Value::U16(u16::from_le_bytes(self.array(what)?)),
            ValueType::I16 => Value::I16(i16::from_le_bytes(self.array(what)?)),
            ValueType::U32 => Value::U32(self.u32(what)?),
            ValueType::I32 => Value::I32(i32::from_le_bytes(self.array(what)?)),
            ValueType::F32 => Value::F32(f32::from_le_bytes(self.array(what)?)),
            ValueType::U64 => Value::U64(self.u64(what)?),
            ValueType::I64 => Value::I64(i64::from_le_bytes(self.array(what)?)),
            ValueType::F64 => Value::F64(f64::from_le_bytes(self.array(what)?)),
            ValueType::Bool => {
                let at = self.pos;
                match self.array::<1>(what)?[0] {
                    0 => Value::Bool(false),
                    1 => Value::Bool(true),
                    b => {
                        return Err(Error::bad_model(format!(
                            "{}: bool at offset {} must be 0 or 1, found {}",
                            what(),
                            at,
                            b
                        )))
                    }
                }
            }
            ValueType::String => Value::String(self.string(what)?),
            ValueType::Array => {
                if depth >= MAX_NESTING {
                    return Err(Error::bad_model(format!(
                        "{}: arrays nested deeper than {} levels",
                        what(),
                        MAX_NESTING
                    )));
                }
                let elem = self.value_type(what)?;
                let len = self.count(elem.min_size(), what)?;
                match elem.fixed_size() {
                    Some(size) => {
                        let start = self.pos;
                        // count() proved len * min_size <= remaining, and min_size == size here.
                        self.take(len * size, what)?;
                        if elem == ValueType::Bool {
                            let raw = &self.bytes[start..start + len];
                            if let Some(i) = raw.iter().position(|&b| b > 1) {
                                return Err(Error::bad_model(format!(
                                    "{}: bool element {} must be 0 or 1, found {}",
                                    what(),
                                    i,
                                    raw[i]
                                )));
                            }
                        }
                        Value::RawArray { elem, start, len }
                    }
                    None if elem == ValueType::String => {
                        let start = self.pos;
                        for _ in 0..len {
                            self.str(what)?;
                        }
                        Value::StringArray { start, len }
                    }
                    None => {
                        let mut v = Vec::with_capacity(len);
                        // Elements of an array of arrays carry no type tag of their own: each
                        // is an element type, a count and the items.
                        for _ in 0..len {
                            v.push(self.value(ValueType::Array, depth + 1, what)?);
                        }
                        Value::ArrayArray(v)
                    }
                }
            }
        })
    }
}

/// Parses the header, metadata and tensor directory of a GGUF v3 file. The alignment comes from
/// `general.alignment` (a power of two >= 8, required by our format); tensor data is not touched.
pub fn parse(bytes: &[u8]) -> Result<Gguf> {
    let mut r = Reader { bytes, pos: 0 };
    let magic = r.array::<4>(&|| "the magic".into())?;
    if magic != MAGIC {
        return Err(Error::bad_model(format!(
            "not a GGUF file: magic expected {:02x?} (\"GGUF\"), found {:02x?}",
            MAGIC, magic
        )));
    }
    let version = r.u32(&|| "the GGUF version".into())?;
    if version != VERSION {
        let msg = format!("GGUF version: expected {VERSION}, found {version}");
        // Versions 1 and 2 are real but obsolete; anything else is garbage.
        return Err(if version == 1 || version == 2 {
            Error::unsupported(msg)
        } else {
            Error::bad_model(msg)
        });
    }
    // Minimum encodings: a tensor entry is name length + n_dims + type + offset (24 bytes), a
    // metadata entry is key length + type + one byte of value (13 bytes).
    let n_tensors = r.count(24, &|| "tensor count".into())?;
    let n_kv = r.count(13, &|| "metadata key-value count".into())?;

    let mut metadata: Vec<(String, Value)> = Vec::with_capacity(n_kv);
    for i in 0..n_kv {
        let key = r.string(&|| format!("metadata entry {i} key"))?;
        let what = || format!("metadata key {key}");
        let ty = r.value_type(&what)?;
        let value = r.value(ty, 0, &what)?;
        metadata.push((key, value));
    }
    // A hash set keeps this linear: a file padded with many keys must not load in quadratic time.
    let mut seen = HashSet::with_capacity(metadata.len());
    if let Some((key, _)) = metadata.iter().find(|(k, _)| !seen.insert(k.as_str())) {
        return Err(Error::bad_model(format!("duplicate metadata key {key}")));
    }

    let alignment = match metadata.iter().find(|(k, _)| k == "general.alignment") {
        None => {
            return Err(Error::bad_model(
                "missing key general.alignment (expected u32, a power of two >= 8)",
            ))
        }
        Some((_, Value::U32(a))) if a.is_power_of_two() && *a >= 8 => *a as usize,
        Some((_, Value::U32(a))) => {
            return Err(Error::bad_model(format!(
                "key general.alignment: expected a power of two >= 8, found {a}"
            )))
        }
        Some((_, v)) => {
            return Err(Error::bad_model(format!(
                "key general.alignment: expected u32, found {}",
                v.type_name()
            )))
        }
    };

    let mut tensors: Vec<TensorInfo> = Vec::with_capacity(n_tensors);
    for i in 0..n_tensors {
        let name = r.string(&|| format!("tensor {i} name"))?;
        let what = || format!("tensor {name}");
        let at = r.pos;
        let n_dims = r.u32(&what)?;
        if n_dims == 0 || n_dims > MAX_DIMS {
            return Err(Error::bad_model(format!(
                "tensor {name}: n_dims at offset {at} must be 1..={MAX_DIMS}, found {n_dims}"
            )));
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            dims.push(r.u64(&what)?);
        }
        let ggml_type = r.u32(&what)?;
        let offset = r.u64(&what)?;
        tensors.push(TensorInfo {
            name,
            dims,
            ggml_type,
            offset,
        });
    }

    let data_start = r.pos.div_ceil(alignment) * alignment;
    if data_start > bytes.len() {
        return Err(Error::bad_model(format!(
            "file truncated: the data section starts at offset {data_start} but the file has {} bytes",
            bytes.len()
        )));
    }
    Ok(Gguf {
        metadata,
        tensors,
        alignment,
        data_start,
    })
}

/// Reads element `i` of a `u32` raw array. The caller has checked the type and the bounds.
pub fn raw_u32(bytes: &[u8], start: usize, i: usize) -> u32 {
    let o = start + 4 * i;
    u32::from_le_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn header(n_tensors: u64, n_kv: u64) -> Vec<u8> {
        let mut b = b"GGUF".to_vec();
        b.extend_from_slice(&3u32.to_le_bytes());
        b.extend_from_slice(&n_tensors.to_le_bytes());
        b.extend_from_slice(&n_kv.to_le_bytes());
        b
    }

    fn kv_u32(b: &mut Vec<u8>, key: &str, v: u32) {
        b.extend_from_slice(&(key.len() as u64).to_le_bytes());
        b.extend_from_slice(key.as_bytes());
        b.extend_from_slice(&4u32.to_le_bytes());
        b.extend_from_slice(&v.to_le_bytes());
    }

    #[test]
    fn parses_minimal_file_and_pads_data_start() {
        let mut b = header(0, 1);
        kv_u32(&mut b, "general.alignment", 64);
        let g = parse(&b).unwrap_err();
        // 24 + 8 + 17 + 4 + 4 = 57 bytes of header; data would start at 64, beyond the file.
        assert_eq!(g.kind(), ErrorKind::BadModel);
        b.resize(64, 0);
        let g = parse(&b).unwrap();
        assert_eq!(g.data_start, 64);
        assert_eq!(g.alignment, 64);
    }

    #[test]
    fn nested_arrays_are_depth_limited() {
        let mut b = header(0, 2);
        kv_u32(&mut b, "general.alignment", 8);
        let key = "deep";
        b.extend_from_slice(&(key.len() as u64).to_le_bytes());
        b.extend_from_slice(key.as_bytes());
        b.extend_from_slice(&9u32.to_le_bytes());
        for _ in 0..20 {
            b.extend_from_slice(&9u32.to_le_bytes());
            b.extend_from_slice(&1u64.to_le_bytes());
        }
        b.extend_from_slice(&[0u8; 64]);
        let e = parse(&b).unwrap_err();
        assert!(e.message().contains("nested deeper"), "{}", e.message());
    }

    #[test]
    fn nested_arrays_and_raw_arrays_parse() {
        let mut b = header(0, 2);
        kv_u32(&mut b, "general.alignment", 8);
        let key = "nest";
        b.extend_from_slice(&(key.len() as u64).to_le_bytes());
        b.extend_from_slice(key.as_bytes());
        b.extend_from_slice(&9u32.to_le_bytes()); // array
        b.extend_from_slice(&9u32.to_le_bytes()); // of arrays
        b.extend_from_slice(&1u64.to_le_bytes()); // one of them
        b.extend_from_slice(&4u32.to_le_bytes()); // the inner array: of u32
        b.extend_from_slice(&2u64.to_le_bytes());
        b.extend_from_slice(&7u32.to_le_bytes());
        b.extend_from_slice(&9u32.to_le_bytes());
        b.resize(b.len().div_ceil(8) * 8, 0);
        let g = parse(&b).unwrap();
        let Value::ArrayArray(outer) = &g.metadata[1].1 else {
            panic!("expected nested array, got {:?}", g.metadata[1].1)
        };
        let Value::RawArray { elem, start, len } = outer[0] else {
            panic!("expected a raw array")
        };
        assert_eq!((elem, len), (ValueType::U32, 2));
        assert_eq!((raw_u32(&b, start, 0), raw_u32(&b, start, 1)), (7, 9));
    }

    #[test]
    fn huge_counts_are_rejected_before_allocation() {
        let b = header(u64::MAX, 1);
        let e = parse(&b).unwrap_err();
        assert!(e.message().contains("tensor count"), "{}", e.message());
        let b = header(0, 1 << 40);
        let e = parse(&b).unwrap_err();
        assert!(e.message().contains("key-value count"), "{}", e.message());
    }
}
