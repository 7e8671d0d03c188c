//! Protected spans in translation: a sentence with URLs, e-mail addresses, placeholders, emoji
//! or caller-marked spans is translated without them (one sentence, with an alignment), and
//! they are put back verbatim where the alignment says ([`crate::markup`]). A sentence without
//! any takes the ordinary batched path, untouched.

use std::ops::Range;

use super::{Source, TranslateOptions, Translator, Workspace};
use crate::error::Result;
use crate::markup::project::{project, ProjectScratch};
use crate::markup::{spans, Marked};

/// A workspace's protected-span buffers, reused from call to call.
#[derive(Debug, Default)]
pub(crate) struct ProtectScratch {
    /// The spans of the sentence at hand: byte ranges of its input text, sorted, disjoint.
    spans: Vec<Range<usize>>,
    marked: Marked,
    project: ProjectScratch,
}

impl Translator {
    /// Finds the protected spans of `input[sentence]` (detected ones when `opts.protect_spans`,
    /// and the parts of the caller's `caller` inside it) into the workspace; returns whether
    /// there is any.
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
            let from = found.len();
            spans::find(&input[sentence.clone()], found);
            for r in &mut found[from..] {
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
            self.run_protected(ws, input, &mut p, opts, out)
        } else {
            out.push_str(&input[sentence]);
            Ok(())
        };
        ws.protect = p;
        r
    }

    fn run_protected(
        &self,
        ws: &mut Workspace,
        input: &str,
        p: &mut ProtectScratch,
        opts: &TranslateOptions,
        out: &mut String,
    ) -> Result<()> {
        let text = p.marked.text.as_str();
        self.run_chunk(ws, Source::Texts(&[text]), opts, false, true)?;
        ws.finish_nbest(&self.tokenizer, 0, 1)?;
        let aligned = ws.aligned(&self.tokenizer, text, self.model.config().eos_id)?;
        project(input, &p.marked, &aligned, false, &mut p.project, out);
        Ok(())
    }
}
