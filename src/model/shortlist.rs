//! The vocabulary shortlist: per source token, the target tokens likely to appear in its
//! translation, plus targets that are always allowed. Decoding then needs logits only for the
//! union over a sentence's source tokens (its *candidate set*), a few hundred tokens instead of
//! the whole target vocabulary. Built by `tools/shortlist.py`; the layout, the method and the
//! validation rules are in `docs/model-format.md` ("Vocabulary shortlist").
//!
//! The section is optional: a file without it loads as before, and a file with it still loads in
//! a reader that does not know it (the keys are metadata, which unknown readers ignore). The lists
//! are never copied: they are validated at load where they lie (every id in range, every list
//! strictly increasing, the offsets consistent; metadata arrays are not aligned, so elements are
//! decoded from little-endian bytes), and [`Shortlist::candidates`] allocates nothing. For a
//! memory-mapped model it reads the lists of a sentence's source tokens with `pread` into a
//! small buffer on the stack instead of through the mapping: the lists of a few thousand
//! sentences are scattered over the whole section (681 kB of lists on the default model), and
//! the kernel maps 64 kB of the file around every page read through a mapping, so reading them
//! in place kept nearly all of it resident (640 kB of a beam-4 run's peak; BENCHMARKS.md,
//! "Memory"). A system call per source token costs about a microsecond.

use std::fmt;
use std::fs::File;

use super::gguf::{Gguf, Value, ValueType};
use super::{Config, Model};
use crate::error::{Error, Result};

/// `shortlist.version` this reader understands. A file with another version loads without its
/// shortlist (it is an optimisation; translating without it is always correct).
pub const SHORTLIST_VERSION: u32 = 1;

const KEY_VERSION: &str = "shortlist.version";
const KEY_OFFSETS: &str = "shortlist.offsets";
const KEY_TARGETS: &str = "shortlist.targets";
const KEY_FREQUENT: &str = "shortlist.frequent";

/// An array of target ids in the file: `u16` or `u32` little-endian elements.
#[derive(Clone, Copy)]
struct Ids<'a> {
    bytes: &'a [u8],
    wide: bool,
}

impl<'a> Ids<'a> {
    fn new(bytes: &'a [u8], wide: bool) -> Self {
        Ids { bytes, wide }
    }

    fn len(&self) -> usize {
        self.bytes.len() / if self.wide { 4 } else { 2 }
    }

    fn get(&self, i: usize) -> u32 {
        if self.wide {
            let b = &self.bytes[4 * i..4 * i + 4];
            u32::from_le_bytes([b[0], b[1], b[2], b[3]])
        } else {
            let b = &self.bytes[2 * i..2 * i + 2];
            u32::from(u16::from_le_bytes([b[0], b[1]]))
        }
    }

    fn slice(&self, range: std::ops::Range<usize>) -> Ids<'a> {
        let w = if self.wide { 4 } else { 2 };
        Ids::new(&self.bytes[range.start * w..range.end * w], self.wide)
    }

    fn iter(self) -> impl Iterator<Item = u32> + 'a {
        (0..self.len()).map(move |i| self.get(i))
    }
}

/// Byte ranges of the validated arrays, kept by the model.
#[derive(Debug, Clone, Copy)]
pub(super) struct ShortlistRef {
    offsets: (usize, usize),
    targets: (usize, usize),
    frequent: (usize, usize),
    wide: bool,
}

/// A validated shortlist, viewed in place. See the module documentation.
#[derive(Clone, Copy)]
pub struct Shortlist<'a> {
    /// `vocab_size + 1` u32 offsets into `targets`.
    offsets: &'a [u8],
    targets: Ids<'a>,
    frequent: Ids<'a>,
    /// The model file, for a mapped model: [`Shortlist::add_candidates`] reads the lists from
    /// it at `lists_at` (the file offsets of `targets` and `frequent`).
    file: Option<&'a File>,
    lists_at: (u64, u64),
    vocab_size: usize,
    decoder_vocab_size: usize,
    eos_id: u32,
    forbidden: &'a [u32],
}

impl fmt::Debug for Shortlist<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shortlist")
            .field("source_tokens", &self.vocab_size)
            .field("entries", &self.targets.len())
            .field("frequent", &self.frequent.len())
            .field("id_bytes", &if self.targets.wide { 4 } else { 2 })
            .finish()
    }
}

fn read_u32(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])
}

/// Checks that `ids` is strictly increasing and below `limit`; `what` names it in errors.
fn check_sorted(ids: Ids<'_>, limit: usize, what: &dyn Fn() -> String) -> Result<()> {
    let mut prev: Option<u32> = None;
    for (i, id) in ids.iter().enumerate() {
        if id as usize >= limit {
            return Err(Error::bad_model(format!(
                "{}: entry {i} is target id {id}, outside the target vocabulary ({limit} tokens)",
                what()
            )));
        }
        if prev.is_some_and(|p| id <= p) {
            return Err(Error::bad_model(format!(
                "{}: entry {i} ({id}) does not follow {} in increasing order (lists are sorted, without duplicates)",
                what(),
                prev.unwrap_or_default()
            )));
        }
        prev = Some(id);
    }
    Ok(())
}

impl<'a> Shortlist<'a> {
    /// Validates the three arrays (`offsets` as u32 little-endian bytes, `targets` and
    /// `frequent` as u16 or u32 little-endian bytes per `wide`) against the model's vocabulary
    /// sizes; see `docs/model-format.md` for the rules.
    pub fn new(
        offsets: &'a [u8],
        targets: &'a [u8],
        frequent: &'a [u8],
        wide: bool,
        config: &'a Config,
    ) -> Result<Shortlist<'a>> {
        let w = if wide { 4 } else { 2 };
        if offsets.len() % 4 != 0 || targets.len() % w != 0 || frequent.len() % w != 0 {
            return Err(Error::internal(
                "shortlist arrays are not whole elements long",
            ));
        }
        let n_off = offsets.len() / 4;
        if n_off != config.vocab_size + 1 {
            return Err(Error::bad_model(format!(
                "key {KEY_OFFSETS}: expected {} entries (marian.vocab_size + 1), found {n_off}",
                config.vocab_size + 1
            )));
        }
        let targets = Ids::new(targets, wide);
        let frequent = Ids::new(frequent, wide);
        if read_u32(offsets, 0) != 0 {
            return Err(Error::bad_model(format!(
                "key {KEY_OFFSETS}: the first offset must be 0, found {}",
                read_u32(offsets, 0)
            )));
        }
        let last = read_u32(offsets, n_off - 1) as usize;
        if last != targets.len() {
            return Err(Error::bad_model(format!(
                "key {KEY_OFFSETS}: the last offset must be the length of {KEY_TARGETS} ({}), found {last}",
                targets.len()
            )));
        }
        let v = config.decoder_vocab_size;
        for s in 0..config.vocab_size {
            let (a, b) = (
                read_u32(offsets, s) as usize,
                read_u32(offsets, s + 1) as usize,
            );
            if b < a {
                return Err(Error::bad_model(format!(
                    "key {KEY_OFFSETS}: offsets decrease at source token {s} ({a} then {b})"
                )));
            }
            // Strictly increasing ids below `v` also bound each list's length by `v`.
            check_sorted(targets.slice(a..b), v, &|| {
                format!("key {KEY_TARGETS}: the list of source token {s}")
            })?;
        }
        check_sorted(frequent, v, &|| format!("key {KEY_FREQUENT}"))?;
        Ok(Shortlist {
            offsets,
            targets,
            frequent,
            file: None,
            lists_at: (0, 0),
            vocab_size: config.vocab_size,
            decoder_vocab_size: v,
            eos_id: config.eos_id,
            forbidden: &config.forbidden_ids,
        })
    }

    /// Source tokens (= `marian.vocab_size`).
    pub fn source_tokens(&self) -> usize {
        self.vocab_size
    }

    /// Target vocabulary size the ids refer to (= `marian.decoder_vocab_size`).
    pub fn target_tokens(&self) -> usize {
        self.decoder_vocab_size
    }

    /// Entries over all per-token lists.
    pub fn entries(&self) -> usize {
        self.targets.len()
    }

    /// The candidates of source token `src`, in increasing order (empty past the vocabulary).
    pub fn list(&self, src: u32) -> impl Iterator<Item = u32> + 'a {
        let s = src as usize;
        let ids = if s < self.vocab_size {
            let (a, b) = (
                read_u32(self.offsets, s) as usize,
                read_u32(self.offsets, s + 1) as usize,
            );
            self.targets.slice(a..b)
        } else {
            self.targets.slice(0..0)
        };
        ids.iter()
    }

    /// The targets always in the candidate set, in increasing order.
    pub fn frequent(&self) -> impl Iterator<Item = u32> + 'a {
        self.frequent.iter()
    }

    /// Fills `set` with the candidate set of a sentence whose source ids are `src_ids`: the
    /// frequent targets, `</s>`, the forbidden ids (`<pad>`) and the list of every source id.
    /// The forbidden ids are kept so that a softmax over a set that covers the vocabulary is the
    /// softmax over the vocabulary (`transformers` normalises before masking them); the search
    /// masks them. The result is sorted ([`CandidateSet::ids`]). Allocates nothing. Errors
    /// (`InvalidArgument`): `set` made for another target vocabulary size, or a source id
    /// outside the source vocabulary.
    pub fn candidates(&self, src_ids: &[u32], set: &mut CandidateSet) -> Result<()> {
        set.clear();
        self.add_candidates(src_ids, set)
    }

    /// Adds the candidates of `src_ids` to `set` (which keeps what it holds), as
    /// [`Shortlist::candidates`] does: the union over the sentences decoded together.
    pub fn add_candidates(&self, src_ids: &[u32], set: &mut CandidateSet) -> Result<()> {
        if set.vocab != self.decoder_vocab_size {
            return Err(Error::invalid_argument(format!(
                "candidate set made for {} target tokens, the shortlist has {}",
                set.vocab, self.decoder_vocab_size
            )));
        }
        if let Some(&bad) = src_ids.iter().find(|&&s| s as usize >= self.vocab_size) {
            return Err(Error::invalid_argument(format!(
                "source id {bad} is outside the source vocabulary ({} tokens)",
                self.vocab_size
            )));
        }
        self.insert_ids(self.frequent, self.lists_at.1, set)?;
        set.insert(self.eos_id);
        for &f in self.forbidden {
            set.insert(f);
        }
        let w = if self.targets.wide { 4 } else { 2 };
        for &s in src_ids {
            let s = s as usize;
            let (a, b) = (
                read_u32(self.offsets, s) as usize,
                read_u32(self.offsets, s + 1) as usize,
            );
            let at = self.lists_at.0 + (a * w) as u64;
            self.insert_ids(self.targets.slice(a..b), at, set)?;
        }
        set.collect();
        Ok(())
    }

    /// Inserts the ids of `ids` into `set`: in place, or for a mapped model read from the file
    /// at `at` (where `ids` lies), a stack buffer at a time. The bytes read are those validated
    /// at load unless the file was changed under the model, which `Model::load` forbids; an id
    /// out of range is still an error rather than a panic.
    fn insert_ids(&self, ids: Ids<'_>, at: u64, set: &mut CandidateSet) -> Result<()> {
        let Some(file) = self.file else {
            for id in ids.iter() {
                set.insert(id);
            }
            return Ok(());
        };
        let mut buf = [0u8; 1024];
        let mut done = 0;
        while done < ids.bytes.len() {
            let n = (ids.bytes.len() - done).min(buf.len());
            read_at(file, &mut buf[..n], at + done as u64)?;
            for id in Ids::new(&buf[..n], ids.wide).iter() {
                if id as usize >= set.vocab {
                    return Err(Error::bad_model(format!(
                        "key {KEY_TARGETS}: target id {id} read from the file is outside the target \
                         vocabulary: the model file was changed after loading"
                    )));
                }
                set.insert(id);
            }
            done += n;
        }
        Ok(())
    }
}

/// Fills `buf` from `file` at `offset` (`pread`, which leaves the file position alone, so
/// concurrent calls on one model do not interfere).
#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> Result<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, offset)
        .map_err(|e| Error::from(e).context("reading the vocabulary shortlist from the model file"))
}

#[cfg(not(unix))]
fn read_at(_: &File, _: &mut [u8], _: u64) -> Result<()> {
    Err(Error::internal("no positioned reads on this system"))
}

/// A set of target ids, as a bitset and a sorted list, sized once for a target vocabulary so
/// that filling it per sentence allocates nothing. The sorted list is what a decoder uses to
/// gather the rows of the output projection and to map a logit back to its token.
#[derive(Clone)]
pub struct CandidateSet {
    vocab: usize,
    bits: Vec<u64>,
    ids: Vec<u32>,
}

impl fmt::Debug for CandidateSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CandidateSet")
            .field("vocab", &self.vocab)
            .field("len", &self.ids.len())
            .finish()
    }
}

impl CandidateSet {
    /// An empty set for a target vocabulary of `vocab` tokens. Reserves `vocab / 8` bytes of bits
    /// and room for every id (`4 * vocab` bytes), so no later fill can grow it.
    pub fn new(vocab: usize) -> CandidateSet {
        CandidateSet {
            vocab,
            bits: vec![0; vocab.div_ceil(64)],
            ids: Vec::with_capacity(vocab),
        }
    }

    /// The ids in increasing order (after [`Shortlist::candidates`]).
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when the set holds nothing.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Whether `id` is in the set.
    pub fn contains(&self, id: u32) -> bool {
        let i = id as usize;
        i < self.vocab && self.bits[i / 64] & (1 << (i % 64)) != 0
    }

    /// Empties the set in time proportional to its size, not the vocabulary's.
    pub fn clear(&mut self) {
        for &id in &self.ids {
            self.bits[id as usize / 64] = 0;
        }
        self.ids.clear();
    }

    // Ids come from a validated shortlist or the validated configuration, so they are in range;
    // the slice index would still catch a bug rather than write out of bounds.
    fn insert(&mut self, id: u32) {
        let i = id as usize;
        self.bits[i / 64] |= 1 << (i % 64);
    }

    /// Rebuilds the sorted id list from the bits (a scan of `vocab / 64` words).
    fn collect(&mut self) {
        self.ids.clear();
        for (w, &word) in self.bits.iter().enumerate() {
            let mut m = word;
            while m != 0 {
                let b = m.trailing_zeros();
                // vocab <= u32::MAX + 1 ids since ids are u32; capacity is vocab (no growth).
                self.ids.push((w * 64) as u32 + b);
                m &= m - 1;
            }
        }
    }
}

/// Finds the shortlist keys, checks their types and validates the arrays. `Ok(None)` when the
/// file has no shortlist or one of another `shortlist.version`.
pub(super) fn resolve(g: &Gguf, bytes: &[u8], config: &Config) -> Result<Option<ShortlistRef>> {
    let get = |key: &str| g.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    let present: Vec<&str> = [KEY_VERSION, KEY_OFFSETS, KEY_TARGETS, KEY_FREQUENT]
        .into_iter()
        .filter(|k| get(k).is_some())
        .collect();
    if present.is_empty() {
        return Ok(None);
    }
    let version = match get(KEY_VERSION) {
        Some(Value::U32(v)) => *v,
        Some(v) => {
            return Err(Error::bad_model(format!(
                "key {KEY_VERSION}: expected u32, found {}",
                v.type_name()
            )))
        }
        None => {
            return Err(Error::bad_model(format!(
                "key {KEY_VERSION} is missing but the file has {}",
                present.join(", ")
            )))
        }
    };
    if version != SHORTLIST_VERSION {
        return Ok(None);
    }
    let array = |key: &str, allowed: &[ValueType]| -> Result<(ValueType, usize, usize)> {
        match get(key) {
            Some(&Value::RawArray { elem, start, len }) if allowed.contains(&elem) => {
                let size = if elem == ValueType::U16 { 2 } else { 4 };
                Ok((elem, start, len * size))
            }
            Some(v) => Err(Error::bad_model(format!(
                "key {key}: expected {}, found {}",
                allowed
                    .iter()
                    .map(|t| format!("array[{}]", t.name()))
                    .collect::<Vec<_>>()
                    .join(" or "),
                v.type_name()
            ))),
            None => Err(Error::bad_model(format!(
                "missing key {key} (the file has {KEY_VERSION})"
            ))),
        }
    };
    let ids = [ValueType::U16, ValueType::U32];
    let (_, o_start, o_len) = array(KEY_OFFSETS, &[ValueType::U32])?;
    let (t_type, t_start, t_len) = array(KEY_TARGETS, &ids)?;
    let (f_type, f_start, f_len) = array(KEY_FREQUENT, &ids)?;
    if f_type != t_type {
        return Err(Error::bad_model(format!(
            "key {KEY_FREQUENT}: expected array[{}] like {KEY_TARGETS}, found array[{}]",
            t_type.name(),
            f_type.name()
        )));
    }
    let r = ShortlistRef {
        offsets: (o_start, o_len),
        targets: (t_start, t_len),
        frequent: (f_start, f_len),
        wide: t_type == ValueType::U32,
    };
    // The parser checked that every raw array lies inside the file.
    let sub = |(s, n): (usize, usize)| {
        bytes
            .get(s..s + n)
            .ok_or_else(|| Error::internal("shortlist array outside the file"))
    };
    Shortlist::new(
        sub(r.offsets)?,
        sub(r.targets)?,
        sub(r.frequent)?,
        r.wide,
        config,
    )?;
    Ok(Some(r))
}

impl Model {
    /// The file's vocabulary shortlist, if it has one (validated at load).
    pub fn shortlist(&self) -> Option<Shortlist<'_>> {
        let r = self.shortlist?;
        let b = self.storage.bytes();
        let sub = |(s, n): (usize, usize)| &b[s..s + n];
        // A mapping covers the file from offset 0, so array offsets in it are file offsets.
        let file = match &self.storage {
            super::Storage::Mapped { file, .. } if cfg!(unix) => Some(file),
            _ => None,
        };
        Some(Shortlist {
            offsets: sub(r.offsets),
            targets: Ids::new(sub(r.targets), r.wide),
            frequent: Ids::new(sub(r.frequent), r.wide),
            file,
            lists_at: (r.targets.0 as u64, r.frequent.0 as u64),
            vocab_size: self.config.vocab_size,
            decoder_vocab_size: self.config.decoder_vocab_size,
            eos_id: self.config.eos_id,
            forbidden: &self.config.forbidden_ids,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::Activation;
    use crate::model::DType;
    use crate::ErrorKind;

    fn config(vocab: usize, dec_vocab: usize) -> Config {
        Config {
            d_model: 8,
            encoder_layers: 1,
            decoder_layers: 1,
            encoder_heads: 1,
            decoder_heads: 1,
            encoder_ffn_dim: 8,
            decoder_ffn_dim: 8,
            activation: Activation::Relu,
            scale_embedding: true,
            layer_norm_eps: 1e-5,
            norm_position: crate::model::NormPosition::Post,
            max_position_embeddings: 16,
            vocab_size: vocab,
            decoder_vocab_size: dec_vocab,
            shared_embeddings: vocab == dec_vocab,
            tied_output: true,
            pad_id: 2,
            eos_id: 0,
            unk_id: 1,
            decoder_start_id: 2,
            forbidden_ids: vec![2],
            source_lang: None,
            target_lang: None,
            name: None,
            dtype: DType::F32,
            format_version: 1,
        }
    }

    fn u32s(v: &[u32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    fn u16s(v: &[u32]) -> Vec<u8> {
        v.iter()
            .flat_map(|&x| u16::try_from(x).unwrap().to_le_bytes())
            .collect()
    }

    /// Lists as (offsets, flat targets).
    fn flatten(lists: &[&[u32]]) -> (Vec<u32>, Vec<u32>) {
        let mut off = vec![0];
        let mut t = Vec::new();
        for l in lists {
            t.extend_from_slice(l);
            off.push(t.len() as u32);
        }
        (off, t)
    }

    const LISTS: [&[u32]; 6] = [&[], &[1], &[5, 9], &[2, 9, 130], &[], &[64, 127, 128]];

    #[test]
    fn candidates_are_the_sorted_union_with_eos_and_forbidden_ids() {
        let cfg = config(6, 200);
        let (off, t) = flatten(&LISTS);
        for wide in [false, true] {
            let enc = |v: &[u32]| if wide { u32s(v) } else { u16s(v) };
            let (o, tb, fb) = (u32s(&off), enc(&t), enc(&[3, 4, 199]));
            let sl = Shortlist::new(&o, &tb, &fb, wide, &cfg).unwrap();
            assert_eq!(sl.entries(), 9);
            assert_eq!(sl.list(3).collect::<Vec<_>>(), [2, 9, 130]);
            assert_eq!(sl.list(99).count(), 0);
            let mut set = CandidateSet::new(200);
            sl.candidates(&[3, 5, 3, 0], &mut set).unwrap();
            // eos 0 and pad 2 (forbidden: masked by the search, kept for the normaliser) always.
            assert_eq!(set.ids(), [0, 2, 3, 4, 9, 64, 127, 128, 130, 199]);
            assert!(set.contains(130) && set.contains(2) && !set.contains(500));
            // Refilling forgets the previous sentence.
            sl.candidates(&[2], &mut set).unwrap();
            assert_eq!(set.ids(), [0, 2, 3, 4, 5, 9, 199]);
            assert!(!set.contains(130));
            sl.candidates(&[], &mut set).unwrap();
            assert_eq!(set.ids(), [0, 2, 3, 4, 199]);
            // Adding keeps what the set holds: the union of two sentences.
            sl.add_candidates(&[5], &mut set).unwrap();
            assert_eq!(set.ids(), [0, 2, 3, 4, 64, 127, 128, 199]);
        }
    }

    #[test]
    fn candidates_check_their_inputs() {
        let cfg = config(6, 200);
        let (off, t) = flatten(&LISTS);
        let (o, tb, fb) = (u32s(&off), u16s(&t), u16s(&[]));
        let sl = Shortlist::new(&o, &tb, &fb, false, &cfg).unwrap();
        let mut set = CandidateSet::new(200);
        let e = sl.candidates(&[1, 6], &mut set).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("source id 6"), "{}", e.message());
        let e = sl
            .candidates(&[1], &mut CandidateSet::new(199))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    }

    fn bad(off: &[u32], t: &[u32], f: &[u32], vocab: usize, dec: usize) -> String {
        let cfg = config(vocab, dec);
        let (o, tb, fb) = (u32s(off), u32s(t), u32s(f));
        let e = Shortlist::new(&o, &tb, &fb, true, &cfg).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadModel, "{}", e.message());
        e.message().to_string()
    }

    #[test]
    fn validation_names_what_is_wrong() {
        // Offsets: wrong count, not starting at 0, decreasing, not ending at the length.
        assert!(bad(&[0, 1], &[1], &[], 2, 10).contains("expected 3 entries"));
        assert!(bad(&[1, 1, 1], &[1], &[], 2, 10).contains("first offset must be 0"));
        assert!(bad(&[0, 2, 1, 2], &[1, 2], &[], 3, 10).contains("offsets decrease"));
        assert!(bad(&[0, 1, 1], &[1, 2], &[], 2, 10).contains("last offset"));
        // Lists: out of range, unsorted, duplicated.
        assert!(bad(&[0, 1, 1], &[10], &[], 2, 10).contains("outside the target vocabulary"));
        let m = bad(&[0, 0, 2], &[5, 4], &[], 2, 10);
        assert!(
            m.contains("source token 1") && m.contains("increasing"),
            "{m}"
        );
        assert!(bad(&[0, 2, 2], &[4, 4], &[], 2, 10).contains("increasing"));
        // Frequent list: the same rules.
        assert!(bad(&[0, 0, 0], &[], &[3, 1], 2, 10).contains("shortlist.frequent"));
        assert!(bad(&[0, 0, 0], &[], &[10], 2, 10).contains("outside"));
    }
}
