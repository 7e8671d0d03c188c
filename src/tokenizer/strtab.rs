//! Compact string tables: every string of a vocabulary in one buffer, and sorted id lists that
//! replace hash maps and piece tries.
//!
//! A vocabulary of 8,000 pieces as `Vec<String>` costs about 450 KB of heap (a 24-byte header and
//! a separately allocated, rounded-up block per piece), a `HashMap<String, u32>` about 770 KB and
//! a byte trie about 850 KB. On a phone that is a large share of the memory budget, so pieces
//! live in one exactly-sized byte buffer with end offsets (~5 bytes of overhead per piece), and
//! lookups go through an id list sorted by piece bytes (4 bytes per piece): exact lookup and
//! prefix enumeration are both binary searches.

use crate::{Error, Result};

/// Strings in id order, stored back to back.
#[derive(Debug, Clone, Default)]
pub struct StrTable {
    bytes: String,
    /// `ends[i]`: one past the last byte of string `i`; string `i` starts at `ends[i - 1]`.
    ends: Vec<u32>,
}

impl StrTable {
    /// Copies `n` strings, `get(i)` for `i` in `0..n`, with exactly sized buffers.
    pub fn build<'a>(n: usize, get: impl Fn(usize) -> &'a str) -> Result<Self> {
        let total: usize = (0..n).map(|i| get(i).len()).sum();
        if u32::try_from(total).is_err() || u32::try_from(n).is_err() {
            return Err(Error::bad_model("vocabulary too large"));
        }
        let mut bytes = String::with_capacity(total);
        let mut ends = Vec::with_capacity(n);
        for i in 0..n {
            bytes.push_str(get(i));
            // Cannot truncate: the total was checked to fit in u32 above.
            ends.push(bytes.len() as u32);
        }
        Ok(StrTable { bytes, ends })
    }

    /// Number of strings.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// String `i`; empty if `i` is out of range.
    #[inline]
    pub fn get(&self, i: u32) -> &str {
        let i = i as usize;
        let Some(&end) = self.ends.get(i) else {
            return "";
        };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.bytes.get(start as usize..end as usize).unwrap_or("")
    }

    /// String `i` as bytes.
    #[inline]
    fn bytes_of(&self, i: u32) -> &[u8] {
        self.get(i).as_bytes()
    }
}

/// Ids of some strings of a [`StrTable`], sorted by their bytes; the table is passed to each
/// lookup rather than borrowed, so that both can live in the same struct.
#[derive(Debug, Clone, Default)]
pub struct SortedIds {
    ids: Vec<u32>,
    /// `heads[k]`: the first [`HEAD`] bytes of string `ids[k]`, big-endian, zero-padded, and
    /// `lens[k]` its length capped at 255. Prefix search reads these contiguous arrays instead of
    /// chasing each id into the table, which keeps the segmenter's inner loop in cache (9 bytes
    /// per piece).
    heads: Vec<u64>,
    lens: Vec<u8>,
    /// `first[b]..first[b + 1]`: the positions of the strings whose first byte is `b`, so prefix
    /// search starts at depth 1 (1 KB).
    first: Vec<u32>,
    max_len: usize,
}

/// Bytes of each string kept inline in [`SortedIds`].
const HEAD: usize = 8;

impl SortedIds {
    /// Sorts the ids in `keep` (ascending id order) by string. If two strings are equal, returns
    /// `Err` with that string's lowest id.
    pub fn build(
        table: &StrTable,
        keep: impl Iterator<Item = u32>,
    ) -> std::result::Result<Self, u32> {
        let mut ids: Vec<u32> = keep.collect();
        ids.shrink_to_fit();
        // Stable: equal strings stay in id order, so the reported duplicate is the first one.
        ids.sort_by(|&a, &b| table.bytes_of(a).cmp(table.bytes_of(b)));
        if let Some(w) = ids
            .windows(2)
            .find(|w| table.bytes_of(w[0]) == table.bytes_of(w[1]))
        {
            return Err(w[0]);
        }
        let max_len = ids.iter().map(|&i| table.get(i).len()).max().unwrap_or(0);
        let heads = ids
            .iter()
            .map(|&i| {
                let mut head = [0u8; HEAD];
                let b = table.bytes_of(i);
                let n = b.len().min(HEAD);
                head[..n].copy_from_slice(&b[..n]);
                u64::from_be_bytes(head)
            })
            .collect();
        let lens: Vec<u8> = ids
            .iter()
            .map(|&i| table.get(i).len().min(255) as u8)
            .collect();
        // Empty strings sort first and belong to no first byte; the rest are grouped by their
        // first byte in sorted order, so counting per byte gives each group's bounds. Positions
        // fit in u32: the table's size was checked when it was built.
        let mut first = vec![0u32; 257];
        for &i in &ids {
            match table.bytes_of(i).first() {
                Some(&b) => first[b as usize + 1] += 1,
                None => first[0] += 1,
            }
        }
        for b in 0..256 {
            first[b + 1] += first[b];
        }
        Ok(SortedIds {
            ids,
            heads,
            lens,
            first,
            max_len,
        })
    }

    /// Length in bytes of the longest string.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// The id of exactly `key`.
    pub fn find(&self, table: &StrTable, key: &[u8]) -> Option<u32> {
        self.ids
            .binary_search_by(|&id| table.bytes_of(id).cmp(key))
            .ok()
            .map(|i| self.ids[i])
    }

    /// Calls `f(length, id)` for every string that is a non-empty prefix of `text`, shortest
    /// first. Each further byte narrows the range of strings sharing the prefix read so far by
    /// two binary searches; strings equal to that prefix sort first in the range.
    #[inline]
    pub fn for_each_prefix(&self, table: &StrTable, text: &[u8], mut f: impl FnMut(usize, u32)) {
        let (mut lo, mut hi) = (0usize, self.ids.len());
        for (depth, &b) in text.iter().enumerate() {
            if depth == 0 && self.first.len() == 257 {
                lo = self.first[b as usize] as usize;
                hi = self.first[b as usize + 1] as usize;
                if lo == hi {
                    return;
                }
                if self.lens[lo] == 1 {
                    f(1, self.ids[lo]);
                }
                if hi - lo == 1 {
                    return self.finish_single(table, text, depth, lo, f);
                }
                continue;
            }
            // Strings in lo..hi all start with text[..depth]; those no longer than `depth` sort
            // before the rest and cannot match a longer prefix.
            let byte_at = |k: usize| -> Option<u8> {
                if depth < HEAD {
                    (self.lens[k] as usize > depth)
                        .then(|| (self.heads[k] >> (8 * (HEAD - 1 - depth))) as u8)
                } else {
                    table.bytes_of(self.ids[k]).get(depth).copied()
                }
            };
            lo += partition(hi - lo, |k| byte_at(lo + k).map_or(true, |c| c < b));
            hi = lo + partition(hi - lo, |k| byte_at(lo + k) == Some(b));
            if lo == hi {
                return;
            }
            let len = match self.lens[lo] {
                255 => table.bytes_of(self.ids[lo]).len(),
                n => n as usize,
            };
            if len == depth + 1 {
                f(depth + 1, self.ids[lo]);
            }
            if hi - lo == 1 {
                return self.finish_single(table, text, depth, lo, f);
            }
        }
    }

    /// One string left (position `k`), matching `text[..=depth]`: a plain comparison of the rest
    /// replaces a binary search per byte.
    #[inline]
    fn finish_single(
        &self,
        table: &StrTable,
        text: &[u8],
        depth: usize,
        k: usize,
        mut f: impl FnMut(usize, u32),
    ) {
        let s = table.bytes_of(self.ids[k]);
        if s.len() > depth + 1 && text.get(depth + 1..s.len()) == s.get(depth + 1..) {
            f(s.len(), self.ids[k]);
        }
    }
}

/// The first index in `0..n` where `pred` is false (`pred` true then false, like
/// `slice::partition_point`), over indices rather than a slice.
#[inline]
fn partition(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(words: &[&str]) -> StrTable {
        StrTable::build(words.len(), |i| words[i]).unwrap()
    }

    #[test]
    fn get_and_find() {
        let t = table(&["b", "", "ab", "a", "abc"]);
        assert_eq!(t.len(), 5);
        assert_eq!(t.get(2), "ab");
        assert_eq!(t.get(1), "");
        assert_eq!(t.get(9), "");
        let s = SortedIds::build(&t, [0, 2, 3, 4].into_iter()).unwrap();
        assert_eq!(s.find(&t, b"ab"), Some(2));
        assert_eq!(s.find(&t, b"abc"), Some(4));
        assert_eq!(s.find(&t, b"abd"), None);
        assert_eq!(s.find(&t, b""), None);
        assert_eq!(s.max_len(), 3);
    }

    #[test]
    fn duplicates_report_the_first_id() {
        let t = table(&["x", "y", "x", "y"]);
        assert_eq!(SortedIds::build(&t, 0..4).unwrap_err(), 0);
        assert!(SortedIds::build(&t, 0..2).is_ok());
    }

    #[test]
    fn prefixes_match_a_naive_scan() {
        let words: Vec<String> = ["a", "ab", "abc", "b", "abd", "bcd", "ä", "äb", "c"]
            .iter()
            .map(|s| s.to_string())
            .chain((0..300).map(|i| format!("k{i}")))
            .collect();
        let t = StrTable::build(words.len(), |i| &words[i]).unwrap();
        let s = SortedIds::build(&t, 0..words.len() as u32).unwrap();
        for text in ["abcd", "abd", "b", "bcd!", "äbc", "k12345", "zz", "", "ab"] {
            let mut got = Vec::new();
            s.for_each_prefix(&t, text.as_bytes(), |len, id| got.push((len, id)));
            let mut want: Vec<(usize, u32)> = words
                .iter()
                .enumerate()
                .filter(|(_, w)| text.as_bytes().starts_with(w.as_bytes()))
                .map(|(i, w)| (w.len(), i as u32))
                .collect();
            want.sort_unstable();
            assert_eq!(got, want, "{text}");
        }
    }
}
