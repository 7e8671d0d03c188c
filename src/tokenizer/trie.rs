//! A compact byte trie over user-defined pieces, built once at load and matched by the normalizer
//! at every position (the much larger set of all pieces uses `strtab`'s sorted ids instead).
//! Children of a node are stored contiguously and sorted, so a step is a short linear scan or a
//! binary search; the root has a direct 256-entry table because every walk starts there.

use crate::{Error, Result};

const NO_VALUE: u32 = u32::MAX;
/// Nodes with more children than this are searched by bisection instead of a scan.
const LINEAR_LIMIT: usize = 8;

#[derive(Debug, Clone, Copy)]
struct Node {
    value: u32,
    first_edge: u32,
    edge_count: u32,
}

/// An immutable trie mapping byte strings to `u32` values.
#[derive(Debug, Clone)]
pub struct Trie {
    nodes: Vec<Node>,
    labels: Vec<u8>,
    targets: Vec<u32>,
    root: Box<[u32; 256]>,
}

/// A mutable tree used only while building.
#[derive(Default)]
struct BuildNode {
    value: Option<u32>,
    children: Vec<(u8, usize)>,
}

impl Trie {
    /// Builds a trie from `(key, value)` pairs. Empty keys are ignored; a repeated key keeps its
    /// first value (callers reject duplicates earlier with a better message).
    pub fn build<'a>(keys: impl IntoIterator<Item = (&'a [u8], u32)>) -> Result<Self> {
        let mut tree: Vec<BuildNode> = vec![BuildNode::default()];
        for (key, value) in keys {
            if key.is_empty() {
                continue;
            }
            if value == NO_VALUE {
                return Err(Error::internal("trie value u32::MAX is reserved"));
            }
            let mut node = 0;
            for &b in key {
                node = match tree[node].children.iter().find(|(l, _)| *l == b) {
                    Some(&(_, child)) => child,
                    None => {
                        tree.push(BuildNode::default());
                        let child = tree.len() - 1;
                        tree[node].children.push((b, child));
                        child
                    }
                };
            }
            if tree[node].value.is_none() {
                tree[node].value = Some(value);
            }
        }
        let too_big = || Error::bad_model("SentencePiece vocabulary too large for the piece trie");
        if tree.len() >= u32::MAX as usize {
            return Err(too_big());
        }

        // Breadth-first renumbering so that each node's children are contiguous.
        let mut order = Vec::with_capacity(tree.len());
        let mut new_index = vec![0u32; tree.len()];
        order.push(0usize);
        let mut head = 0;
        while head < order.len() {
            let old = order[head];
            head += 1;
            tree[old].children.sort_unstable_by_key(|&(l, _)| l);
            for &(_, child) in &tree[old].children {
                new_index[child] = u32::try_from(order.len()).map_err(|_| too_big())?;
                order.push(child);
            }
        }
        let mut nodes = Vec::with_capacity(order.len());
        let mut labels = Vec::with_capacity(order.len());
        let mut targets = Vec::with_capacity(order.len());
        for &old in &order {
            let n = &tree[old];
            nodes.push(Node {
                value: n.value.unwrap_or(NO_VALUE),
                first_edge: u32::try_from(labels.len()).map_err(|_| too_big())?,
                edge_count: u32::try_from(n.children.len()).map_err(|_| too_big())?,
            });
            for &(l, child) in &n.children {
                labels.push(l);
                targets.push(new_index[child]);
            }
        }
        let mut root = Box::new([0u32; 256]);
        for &(l, child) in &tree[0].children {
            root[usize::from(l)] = new_index[child];
        }
        Ok(Trie {
            nodes,
            labels,
            targets,
            root,
        })
    }

    #[inline]
    fn child(&self, node: u32, byte: u8) -> Option<u32> {
        if node == 0 {
            let c = self.root[usize::from(byte)];
            return (c != 0).then_some(c);
        }
        let n = self.nodes.get(node as usize)?;
        let start = n.first_edge as usize;
        let end = start + n.edge_count as usize;
        let labels = self.labels.get(start..end)?;
        let pos = if labels.len() <= LINEAR_LIMIT {
            labels.iter().position(|&l| l == byte)?
        } else {
            labels.binary_search(&byte).ok()?
        };
        self.targets.get(start + pos).copied()
    }

    /// Calls `f(length, value)` for every key that is a prefix of `text`, shortest first.
    #[inline]
    pub fn for_each_prefix(&self, text: &[u8], mut f: impl FnMut(usize, u32)) {
        let mut node = 0u32;
        for (i, &b) in text.iter().enumerate() {
            match self.child(node, b) {
                Some(c) => node = c,
                None => return,
            }
            if let Some(n) = self.nodes.get(node as usize) {
                if n.value != NO_VALUE {
                    f(i + 1, n.value);
                }
            }
        }
    }

    /// Length of the longest key that is a prefix of `text`.
    pub fn longest_prefix(&self, text: &[u8]) -> Option<usize> {
        let mut best = None;
        self.for_each_prefix(text, |len, _| best = Some(len));
        best
    }

    /// The value stored for exactly `key`.
    #[cfg(test)]
    pub fn get(&self, key: &[u8]) -> Option<u32> {
        let mut node = 0u32;
        for &b in key {
            node = self.child(node, b)?;
        }
        let v = self.nodes.get(node as usize)?.value;
        (v != NO_VALUE && !key.is_empty()).then_some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_lookup() {
        let words: Vec<String> = (0..300).map(|i| format!("k{i}")).collect();
        let mut keys: Vec<(&[u8], u32)> = vec![(b"a", 1), (b"ab", 2), (b"abc", 3), (b"b", 4)];
        keys.extend(
            words
                .iter()
                .enumerate()
                .map(|(i, w)| (w.as_bytes(), 10 + i as u32)),
        );
        let t = Trie::build(keys).unwrap();
        let mut seen = Vec::new();
        t.for_each_prefix(b"abcd", |l, v| seen.push((l, v)));
        assert_eq!(seen, vec![(1, 1), (2, 2), (3, 3)]);
        assert_eq!(t.get(b"ab"), Some(2));
        assert_eq!(t.get(b"abcd"), None);
        assert_eq!(t.get(b""), None);
        assert_eq!(t.get(b"k299"), Some(309));
        assert_eq!(t.get(b"k2"), Some(12));
        assert_eq!(t.longest_prefix(b"k1999"), Some(4));
        assert_eq!(t.longest_prefix(b"zz"), None);
    }
}
