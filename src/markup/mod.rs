//! Markup around the model (provisional: the shared core types, replaced by the core module).

use std::ops::Range;

pub mod html;

/// What an anchor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnchorKind {
    Verbatim,
    Open,
    Close,
}

/// A piece of the input the model does not see, re-inserted into the translation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    pub kind: AnchorKind,
    pub at: usize,
    pub src: Range<usize>,
    pub pair: Option<usize>,
}

/// Model text and its anchors.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Marked {
    pub text: String,
    pub anchors: Vec<Anchor>,
}
