//! SentencePiece text normalization, bit-for-bit as `normalizer.cc` does it.
//!
//! The precompiled charsmap is `u32 trie_size | darts-clone double array (trie_size bytes) |
//! NUL-terminated replacement strings`. The double array maps byte strings (one or more characters)
//! to offsets into the replacement blob; at each position the longest matching rule wins, and
//! input with no rule is copied one character at a time. Around that sit the whitespace rules
//! (`add_dummy_prefix`, `remove_extra_whitespaces`, `escape_whitespaces`) and the user-defined
//! symbols, which are copied verbatim.

use super::proto::NormalizerSpec;
use super::trie::Trie;
use crate::{Error, Result};

/// U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's visible space.
pub const SPACE_SYMBOL: &[u8] = "\u{2581}".as_bytes();
const REPLACEMENT_CHAR: &[u8] = "\u{FFFD}".as_bytes();

/// Longest replacement a normalization rule may have, in bytes. NFKC's longest expansion
/// (U+FDFA, 18 characters, 33 bytes) fits with room to spare; the bound keeps normalized text
/// within a constant factor of the input whatever the model file says.
pub const MAX_REPLACEMENT_BYTES: usize = 64;

/// Longest key a normalization rule is matched on, in bytes. A double array is a graph in a
/// hostile file (a unit can lead back to itself), so the walk needs its own bound; real tables
/// map at most a few characters (the NFKC table's longest key is 12 bytes, see the test below).
const MAX_RULE_KEY_BYTES: usize = 64;

/// Length of the UTF-8 sequence at the start of `s` if it is one valid character (the same test as
/// sentencepiece's `IsValidDecodeUTF8`: shortest form, no surrogates, at most U+10FFFF).
pub fn valid_char_len(s: &[u8]) -> Option<usize> {
    let lead = *s.first()?;
    let n = match lead {
        0x00..=0x7f => return Some(1),
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => return None,
    };
    let bytes = s.get(..n)?;
    std::str::from_utf8(bytes).ok().map(|_| n)
}

/// sentencepiece's `OneCharLen`: the character length implied by a lead byte, without validation.
#[inline]
pub fn one_char_len(lead: u8) -> usize {
    const TABLE: [u8; 16] = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4];
    usize::from(TABLE[usize::from(lead >> 4)])
}

/// A darts-clone double array, read in place from the charsmap.
#[derive(Debug, Clone)]
struct DoubleArray {
    units: Vec<u32>,
}

impl DoubleArray {
    #[inline]
    fn has_leaf(unit: u32) -> bool {
        (unit >> 8) & 1 == 1
    }
    #[inline]
    fn value(unit: u32) -> u32 {
        unit & 0x7fff_ffff
    }
    #[inline]
    fn label(unit: u32) -> u32 {
        unit & (0x8000_0000 | 0xff)
    }
    #[inline]
    fn offset(unit: u32) -> u32 {
        (unit >> 10) << ((unit & (1 << 9)) >> 6)
    }

    /// The longest key that prefixes `key`, as `(length, value)`. Out-of-range indices (only in a
    /// corrupt array) end the search instead of reading past the array.
    fn longest_prefix(&self, key: &[u8]) -> Option<(usize, u32)> {
        let mut best = None;
        let mut pos = Self::offset(*self.units.first()?) as usize;
        let key = &key[..key.len().min(MAX_RULE_KEY_BYTES)];
        for (i, &b) in key.iter().enumerate() {
            pos ^= usize::from(b);
            let unit = *self.units.get(pos)?;
            if Self::label(unit) != u32::from(b) {
                break;
            }
            pos ^= Self::offset(unit) as usize;
            if Self::has_leaf(unit) {
                let leaf = *self.units.get(pos)?;
                best = Some((i + 1, Self::value(leaf)));
            }
        }
        best
    }

    /// Every leaf value a lookup can return, whether or not its unit is reachable from the root:
    /// a lookup follows a unit to its leaf only if the unit's label equals an input byte (bit 31
    /// clear) and it has a leaf, so checking all such units covers every lookup. Linear in the
    /// array. `Err` names a leaf outside the array.
    fn leaf_values(&self) -> impl Iterator<Item = Result<u32>> + '_ {
        self.units
            .iter()
            .enumerate()
            .filter(|(_, &u)| u & 0x8000_0000 == 0 && Self::has_leaf(u))
            .map(|(i, &u)| {
                let leaf = i ^ Self::offset(u) as usize;
                self.units
                    .get(leaf)
                    .map(|&l| Self::value(l))
                    .ok_or_else(|| {
                        Error::bad_model(format!(
                            "SentencePiece precompiled charsmap: unit {i} has its leaf at {leaf}, \
                         outside the double array of {} units",
                            self.units.len()
                        ))
                    })
            })
    }
}

/// Checks the replacement a rule's leaf points to: inside the blob, NUL-terminated within
/// [`MAX_REPLACEMENT_BYTES`], UTF-8.
fn check_replacement(replacements: &[u8], value: u32) -> Result<()> {
    let bad = |what: String| {
        Error::bad_model(format!(
            "SentencePiece precompiled charsmap: replacement at offset {value} {what}"
        ))
    };
    let rest = replacements.get(value as usize..).ok_or_else(|| {
        bad(format!(
            "is outside the replacements ({} bytes)",
            replacements.len()
        ))
    })?;
    let window = &rest[..rest.len().min(MAX_REPLACEMENT_BYTES + 1)];
    let end = match window.iter().position(|&b| b == 0) {
        Some(end) => end,
        None if window.len() > MAX_REPLACEMENT_BYTES => {
            return Err(bad(format!(
                "is longer than the {MAX_REPLACEMENT_BYTES} bytes allowed"
            )))
        }
        None => return Err(bad("is unterminated (no NUL before the end)".into())),
    };
    std::str::from_utf8(&rest[..end]).map_err(|_| bad("is not UTF-8".into()))?;
    Ok(())
}

/// A compiled `NormalizerSpec`.
#[derive(Debug, Clone)]
pub struct Normalizer {
    trie: Option<DoubleArray>,
    replacements: Vec<u8>,
    add_dummy_prefix: bool,
    remove_extra_whitespaces: bool,
    escape_whitespaces: bool,
    treat_whitespace_as_suffix: bool,
}

impl Normalizer {
    /// Compiles `spec`; `treat_whitespace_as_suffix` comes from the trainer spec.
    pub fn new(spec: &NormalizerSpec<'_>, treat_whitespace_as_suffix: bool) -> Result<Self> {
        let blob = spec.precompiled_charsmap;
        let (trie, replacements) = if blob.is_empty() {
            (None, Vec::new())
        } else {
            let bad = |what: &str| {
                Error::bad_model(format!("SentencePiece precompiled charsmap: {what}"))
            };
            if blob.len() <= 4 {
                return Err(bad("blob too short"));
            }
            let size = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
            if size >= blob.len() || size % 4 != 0 {
                return Err(bad("trie size exceeds the blob or is not a multiple of 4"));
            }
            let trie_bytes = &blob[4..4 + size];
            let units = trie_bytes
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect::<Vec<_>>();
            if units.is_empty() {
                return Err(bad("empty double array"));
            }
            let trie = DoubleArray { units };
            let replacements = &blob[4 + size..];
            for value in trie.leaf_values() {
                check_replacement(replacements, value?)?;
            }
            (Some(trie), replacements.to_vec())
        };
        Ok(Normalizer {
            trie,
            replacements,
            add_dummy_prefix: spec.add_dummy_prefix,
            remove_extra_whitespaces: spec.remove_extra_whitespaces,
            escape_whitespaces: spec.escape_whitespaces,
            treat_whitespace_as_suffix,
        })
    }

    /// Whether decoding should drop the `▁` that starts the text (sentencepiece's rule).
    pub fn strips_leading_space(&self) -> bool {
        self.add_dummy_prefix || self.remove_extra_whitespaces
    }

    /// Whether runs of spaces are collapsed and the ends trimmed.
    pub fn remove_extra_whitespaces(&self) -> bool {
        self.remove_extra_whitespaces
    }

    /// Normalizes the first rule or character of `input`: `(replacement, bytes consumed)`.
    fn prefix<'a>(&'a self, input: &'a [u8], user: Option<&Trie>) -> Result<(&'a [u8], usize)> {
        if let Some(user) = user {
            if let Some(len) = user.longest_prefix(input) {
                return Ok((&input[..len], len));
            }
        }
        if let Some(trie) = &self.trie {
            if let Some((len, value)) = trie.longest_prefix(input) {
                // Every leaf was checked at load (`check_replacement`).
                let unchecked = || Error::internal("charsmap replacement not validated at load");
                let rest = self
                    .replacements
                    .get(value as usize..)
                    .ok_or_else(unchecked)?;
                let window = &rest[..rest.len().min(MAX_REPLACEMENT_BYTES + 1)];
                let end = window.iter().position(|&b| b == 0).ok_or_else(unchecked)?;
                return Ok((&rest[..end], len));
            }
        }
        Ok(match valid_char_len(input) {
            Some(n) => (&input[..n], n),
            None => (REPLACEMENT_CHAR, 1),
        })
    }

    /// Normalizes `input` into `out` (cleared first). `user` holds the user-defined symbols,
    /// which pass through untouched. Allocates only if `out` lacks capacity.
    pub fn normalize(&self, input: &[u8], user: Option<&Trie>, out: &mut Vec<u8>) -> Result<()> {
        out.clear();
        let mut input = input;
        if self.remove_extra_whitespaces {
            while !input.is_empty() {
                let (rep, n) = self.prefix(input, user)?;
                if rep != b" " {
                    break;
                }
                input = &input[n..];
            }
        }
        if input.is_empty() {
            return Ok(());
        }
        let space: &[u8] = if self.escape_whitespaces {
            SPACE_SYMBOL
        } else {
            b" "
        };
        if !self.treat_whitespace_as_suffix && self.add_dummy_prefix {
            out.extend_from_slice(space);
        }
        let mut is_prev_space = self.remove_extra_whitespaces;
        while !input.is_empty() {
            let (mut sp, n) = self.prefix(input, user)?;
            if is_prev_space {
                while let [b' ', rest @ ..] = sp {
                    sp = rest;
                }
            }
            if !sp.is_empty() {
                if self.escape_whitespaces {
                    for &b in sp {
                        if b == b' ' {
                            out.extend_from_slice(SPACE_SYMBOL);
                        } else {
                            out.push(b);
                        }
                    }
                } else {
                    out.extend_from_slice(sp);
                }
                is_prev_space = sp.last() == Some(&b' ');
            }
            input = &input[n..];
            if !self.remove_extra_whitespaces {
                is_prev_space = false;
            }
        }
        if self.remove_extra_whitespaces {
            while out.ends_with(space) {
                out.truncate(out.len() - space.len());
            }
        }
        if self.treat_whitespace_as_suffix && self.add_dummy_prefix {
            out.extend_from_slice(space);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Normalizer {
        Normalizer::new(&NormalizerSpec::default(), false).unwrap()
    }

    fn norm(n: &Normalizer, s: &str) -> String {
        let mut out = Vec::new();
        n.normalize(s.as_bytes(), None, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn whitespace_rules_without_charsmap() {
        let n = identity();
        assert_eq!(norm(&n, ""), "");
        assert_eq!(norm(&n, "   "), "");
        assert_eq!(norm(&n, "  a  b "), "▁a▁b");
        // Without a charsmap a tab is an ordinary character.
        assert_eq!(norm(&n, "a\tb"), "▁a\tb");
    }

    #[test]
    fn corrupt_charsmap_is_an_error_not_a_crash() {
        let spec = NormalizerSpec {
            precompiled_charsmap: &[8, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, b'x'],
            ..NormalizerSpec::default()
        };
        // Either construction fails or normalization returns; neither may panic.
        if let Ok(n) = Normalizer::new(&spec, false) {
            let mut out = Vec::new();
            let _ = n.normalize("abc\u{ff}".as_bytes(), None, &mut out);
        }
        let spec = NormalizerSpec {
            precompiled_charsmap: &[0xff, 0xff, 0xff, 0x7f, 1],
            ..NormalizerSpec::default()
        };
        assert!(Normalizer::new(&spec, false).is_err());
    }

    /// Depth of the deepest key of a well-formed (tree-shaped) double array.
    fn deepest_key(units: &[u32], pos: usize, depth: usize) -> usize {
        let mut deepest = 0;
        for b in 0..=255usize {
            let child = pos ^ b;
            let Some(&unit) = units.get(child) else {
                continue;
            };
            if DoubleArray::label(unit) != b as u32 {
                continue;
            }
            if DoubleArray::has_leaf(unit) {
                deepest = deepest.max(depth + 1);
            }
            let next = child ^ DoubleArray::offset(unit) as usize;
            deepest = deepest.max(deepest_key(units, next, depth + 1));
        }
        deepest
    }

    #[test]
    fn real_tables_fit_the_bounds() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/tiny-swish/source.spm"
        );
        let bytes = std::fs::read(path).unwrap();
        let proto = crate::tokenizer::proto::ModelProto::parse(&bytes).unwrap();
        let n = Normalizer::new(&proto.normalizer_spec, false).unwrap();
        let trie = n.trie.as_ref().unwrap();
        let root = DoubleArray::offset(trie.units[0]) as usize;
        let deepest = deepest_key(&trie.units, root, 0);
        assert!(deepest > 4 && deepest <= MAX_RULE_KEY_BYTES, "{deepest}");
        let longest = trie
            .leaf_values()
            .map(|v| {
                let rest = &n.replacements[v.unwrap() as usize..];
                rest.iter().position(|&b| b == 0).unwrap()
            })
            .max()
            .unwrap();
        assert!(
            longest > 16 && longest <= MAX_REPLACEMENT_BYTES,
            "{longest}"
        );
        eprintln!("deepest key {deepest} bytes, longest replacement {longest} bytes");
    }

    #[test]
    fn utf8_helpers() {
        assert_eq!(valid_char_len("é".as_bytes()), Some(2));
        assert_eq!(valid_char_len(&[0xe2, 0x82]), None);
        assert_eq!(valid_char_len(&[0xed, 0xa0, 0x80]), None); // surrogate
        assert_eq!(one_char_len(0xf0), 4);
        assert_eq!(one_char_len(0x80), 1);
    }
}
