//! Text the model must not see, taken out before translation and put back after it: protected
//! spans of plain text (URLs, e-mail addresses, placeholders, emoji; [`spans`]) and markup.
//!
//! Whatever finds them produces a [`Marked`]: the text the model translates, and one [`Anchor`]
//! per thing taken out, remembering where it sat in that text and which bytes of the caller's
//! input it stands for. After translating `Marked::text` with an alignment,
//! [`project::project`] writes the output: the translation with every anchor's bytes put back,
//! exactly once, where the alignment says (see `docs/markup.md`).

use std::ops::Range;

pub(crate) mod project;
pub(crate) mod spans;

/// What an anchor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AnchorKind {
    /// A protected span or a void tag: a point between two words, written back verbatim.
    Verbatim,
    /// The start of a wrapping pair (an opening tag); `Anchor::pair` is its `Close`. Only
    /// markup input makes pairs.
    #[cfg_attr(not(test), allow(dead_code))]
    Open,
    /// The end of a wrapping pair (a closing tag); `Anchor::pair` is its `Open`.
    Close,
}

/// One thing taken out of the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Anchor {
    pub(crate) kind: AnchorKind,
    /// Byte offset in [`Marked::text`] where it sat (a character boundary).
    pub(crate) at: usize,
    /// Its bytes in the caller's input, written back verbatim.
    pub(crate) src: Range<usize>,
    /// Index (in [`Marked::anchors`]) of the matching `Close` of an `Open` and the other way
    /// round; `None` for `Verbatim`. A pair that is missing its partner, or that crosses another
    /// pair, is put back as two points.
    pub(crate) pair: Option<usize>,
}

/// The text the model sees and what was taken out of it. Anchors are in input order (so `at`
/// never decreases), and pairs nest. Reused from call to call: [`Marked::clear`] keeps the
/// buffers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Marked {
    pub(crate) text: String,
    pub(crate) anchors: Vec<Anchor>,
}

impl Marked {
    /// Empties both buffers, keeping their capacity.
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.anchors.clear();
    }

    /// Appends an anchor at the current end of the text; returns its index.
    pub(crate) fn push_anchor(
        &mut self,
        kind: AnchorKind,
        src: Range<usize>,
        pair: Option<usize>,
    ) -> usize {
        self.anchors.push(Anchor {
            kind,
            at: self.text.len(),
            src,
            pair,
        });
        self.anchors.len() - 1
    }
}

/// Appends `s` to `out`, with `&`, `<` and `>` written as entities when `escape` (HTML output).
pub(crate) fn push_text(out: &mut String, s: &str, escape: bool) {
    if !escape {
        out.push_str(s);
        return;
    }
    let mut rest = s;
    while let Some(i) = rest.find(['&', '<', '>']) {
        out.push_str(&rest[..i]);
        out.push_str(match rest.as_bytes()[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            _ => "&gt;",
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_only_when_asked() {
        let mut out = String::new();
        push_text(&mut out, "a<b & c>d ü", true);
        assert_eq!(out, "a&lt;b &amp; c&gt;d ü");
        out.clear();
        push_text(&mut out, "a<b & c>d", false);
        assert_eq!(out, "a<b & c>d");
    }

    #[test]
    fn anchors_sit_at_the_end_of_the_text_so_far() {
        let mut m = Marked::default();
        m.text.push_str("Hi ");
        let open = m.push_anchor(AnchorKind::Open, 0..3, None);
        m.text.push_str("you");
        let close = m.push_anchor(AnchorKind::Close, 6..10, Some(open));
        m.anchors[open].pair = Some(close);
        assert_eq!((m.anchors[0].at, m.anchors[1].at), (3, 6));
        let cap = m.anchors.capacity();
        m.clear();
        assert!(m.text.is_empty() && m.anchors.is_empty());
        assert_eq!(m.anchors.capacity(), cap);
    }
}
