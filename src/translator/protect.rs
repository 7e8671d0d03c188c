//! Protected spans in translation: a sentence with URLs, e-mail addresses, placeholders, emoji
//! or caller-marked spans is translated without them (one sentence, with an alignment), and
//! they are put back verbatim where the alignment says ([`crate::markup`]). A sentence without
//! any takes the ordinary batched path, untouched.

use std::ops::Range;

use super::document::max_piece_bytes;
use super::{TranslateOptions, Translator, Workspace};
use crate::error::Result;
use crate::markup::project::{project, ProjectScratch};
use crate::markup::{spans, Marked};

/// A workspace's protected-span (and markup) buffers, reused from call to call.
#[derive(Debug, Default)]
pub(crate) struct ProtectScratch {
    /// The spans of the sentence at hand: byte ranges of its input text, sorted, disjoint.
    pub(crate) spans: Vec<Range<usize>>,
    /// The sentence as the model sees it and its anchors.
    pub(crate) marked: Marked,
    pub(crate) project: ProjectScratch,
}

impl Translator {
    /// Finds the protected spans of `input[sentence]` (detected ones when `opts.protect_spans`,
    /// and the parts of the caller's `caller` inside it) into the workspace; returns whether
    /// there is any. Detection looks at no more of the sentence than the model could take
    /// (`max_source_tokens` times 16 bytes, what document mode's pieces never exceed), so a
    /// huge one-sentence input costs what the tokenizer's limit allows, not its length; spans
    /// beyond that are in text the translation cuts off or refuses anyway.
    pub(crate) fn find_protected(
        &self,
        ws: &mut Workspace,
        input: &str,
        sentence: Range<usize>,
        caller: &[Range<usize>],
        opts: &TranslateOptions,
    ) -> bool {
        let found = &mut ws.protect.spans;
        found.clear();
        if opts.protect_spans {
            let mut end = sentence
                .end
                .min(sentence.start.saturating_add(max_piece_bytes(self.limits.max_source_tokens)));
            while !input.is_char_boundary(end) {
                end -= 1;
            }
            spans::find(&input[sentence.start..end], found);
            for r in found.iter_mut() {
                *r = r.start + sentence.start..r.end + sentence.start;
            }
        }
        spans::add_caller_spans(caller, sentence, found);
        !found.is_empty()
    }

    /// Translates `input[sentence]` without the spans [`Translator::find_protected`] found and
    /// appends the translation, with the spans put back, to `out`. A sentence left without
    /// letters once they are out is copied as it is.
    pub(crate) fn translate_protected(
        &self,
        ws: &mut Workspace,
        input: &str,
        sentence: Range<usize>,
        opts: &TranslateOptions,
        out: &mut String,
    ) -> Result<()> {
        let mut p = std::mem::take(&mut ws.protect);
        spans::mark(input, sentence.clone(), &p.spans, &mut p.marked);
        let r = if p.marked.text.chars().any(char::is_alphabetic) {
            self.translate_marked(ws, input, &p.marked, &mut p.project, false, opts, out)
        } else {
            out.push_str(&input[sentence]);
            Ok(())
        };
        ws.protect = p;
        r
    }

    /// Translates `marked.text` (one sentence) with an alignment and appends to `out` the
    /// translation with `marked`'s anchors put back ([`project`]): their bytes are taken from
    /// `input`; `escape` writes the translated text with `&`, `<`, `>` as entities (HTML). The
    /// workspace's network, search and alignment buffers are used; `marked` and `project` may
    /// be the workspace's `protect` buffers, taken out of it for the call.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn translate_marked(
        &self,
        ws: &mut Workspace,
        input: &str,
        marked: &Marked,
        project_scratch: &mut ProjectScratch,
        escape: bool,
        opts: &TranslateOptions,
        out: &mut String,
    ) -> Result<()> {
        self.aligned_in(ws, &marked.text, opts, |aligned| {
            project(input, marked, aligned, escape, project_scratch, out)
        })
    }
}
