//! Text around the model: sentence splitting, document structure, over-long sentences.
//!
//! The model translates one sentence at a time; callers hand in messages, paragraphs and
//! files. This module turns a document into the spans the model should see and puts the
//! translations back with everything else unchanged. All of it is pure, allocation-conscious
//! code over byte ranges of the caller's text:
//!
//! - `sentences`: rule-based sentence boundaries ([`Sentences`], [`split_sentences`]).
//! - `lang`: per-language data (non-breaking prefixes, conjunctions), chosen by [`Lang`].
//! - `document`: [`segment`] a document into translatable spans (the rest is glue: line
//!   breaks, indentation, list markers, lines without letters, lone URLs) and [`assemble`] the
//!   output; [`Segments`] and [`assemble_from`] do the same window by window.
//! - `clauses`: [`split_long`] cuts a sentence over the token budget at clause boundaries.
//!
//! A translator uses them in three steps: segment, translate the spans in length-sorted
//! batches, reassemble in order.
//!
//! ```
//! use mobilenmt::text::{assemble_into, length_order, segment, split_long, Lang};
//!
//! let doc = "  Title\n\n1. It rains. Dogs bark!\n👍\n";
//! let mut spans = Vec::new();
//! segment(doc, Lang::English, &mut spans);
//!
//! // Cut what is too long for the model (here: more than 8 words).
//! let fits = |s: &str| s.split_whitespace().count() <= 8;
//! let mut pieces = Vec::new();
//! for span in &spans {
//!     split_long(doc, span.clone(), Lang::English, fits, &mut pieces);
//! }
//!
//! // Batch by length (longest first), translate, and store each result at its span's index.
//! let mut order = Vec::new();
//! length_order(pieces.len(), |i| pieces[i].len(), &mut order);
//! let mut translated = vec![String::new(); pieces.len()];
//! for batch in order.chunks(2) {
//!     for &i in batch {
//!         translated[i] = doc[pieces[i].clone()].to_uppercase(); // the model goes here
//!     }
//! }
//!
//! let mut out = String::new();
//! assemble_into(doc, &pieces, |i| translated[i].as_str(), &mut out);
//! assert_eq!(out, "  TITLE\n\n1. IT RAINS. DOGS BARK!\n👍\n");
//! ```

mod clauses;
mod document;
mod lang;
mod sentences;

pub use clauses::split_long;
pub use document::{
    assemble, assemble_from, assemble_into, is_translatable, length_order, segment, Assemble,
    Segments,
};
pub use lang::Lang;
pub use sentences::{split_sentences, Sentences};
