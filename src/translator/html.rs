//! HTML and XML input ([`TranslateOptions::html`]): the page is cut into blocks and sentences by
//! [`crate::markup::html`]; sentences without inline markup are translated in length-sorted
//! batches (document mode), those with markup one at a time with an alignment, which puts their
//! tags back around the translated words; everything else of the page is copied.

use std::ops::Range;

use super::{TranslateOptions, Translator};
use crate::error::{Error, ErrorKind, Result};
use crate::markup::html::{self, render_around};
use crate::markup::project::{project, ProjectScratch};
use crate::markup::push_text;

impl Translator {
    /// Translates `page` as HTML/XML into `out` (appended). Never fails on malformed markup
    /// (see [`crate::markup::html`]); errors are the translator's (options, limits). Protected
    /// spans (`opts.protect_spans`) are found in each sentence's text; spans the caller marks
    /// are an [`ErrorKind::InvalidArgument`] here: a page marks what it keeps with
    /// `translate="no"`.
    pub(crate) fn translate_html(
        &self,
        page: &str,
        caller_spans: &[Range<usize>],
        opts: &TranslateOptions,
        out: &mut String,
    ) -> Result<()> {
        if !caller_spans.is_empty() {
            return Err(Error::invalid_argument(
                "caller spans are not supported with html input: mark the elements to keep \
                 with translate=\"no\"",
            ));
        }
        let (_, plan) = html::plan(page, self.lang, opts.protect_spans);
        let sentences = &plan.sentences;
        let mut rendered = vec![String::new(); sentences.len()];
        let plain: Vec<usize> = (0..sentences.len())
            .filter(|&i| sentences[i].marked.anchors.is_empty())
            .collect();
        let texts: Vec<&str> = plain
            .iter()
            .map(|&i| sentences[i].marked.text.as_str())
            .collect();
        // The plan took the protected spans out already: what is left is text.
        let doc = TranslateOptions {
            split_sentences: true,
            html: false,
            protect_spans: false,
            ..*opts
        };
        self.translate_batch_with(&texts, &doc, |k, t| {
            push_text(&mut rendered[plain[k]], t, true)
        })?;
        let one = TranslateOptions {
            split_sentences: false,
            ..doc
        };
        let mut scratch = ProjectScratch::default();
        for (i, s) in sentences.iter().enumerate() {
            if s.marked.anchors.is_empty() {
                continue;
            }
            let r = &mut rendered[i];
            let aligned = self.translate_aligned_with(&s.marked.text, &one, |a| {
                project(page, &s.marked, a, true, &mut scratch, r)
            });
            match aligned {
                Ok(()) => {}
                // Too long for one aligned call: document mode cuts it, and the sentence's pairs
                // wrap its whole translation.
                Err(e) if e.kind() == ErrorKind::InputTooLong => {
                    let t = self.translate(&s.marked.text, &doc)?;
                    render_around(page, &t, &s.marked.anchors, r);
                }
                Err(e) => return Err(e),
            }
        }
        html::render(page, &plan, |i| rendered[i].as_str(), out);
        Ok(())
    }
}
