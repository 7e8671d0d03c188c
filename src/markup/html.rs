//! HTML and XML input: which text of a page the model translates, and where its tags go.
//!
//! [`scan`] reads a page once, left to right, without recursion and without failing, and cuts
//! it into blocks: the runs of inline content between block boundaries. A boundary is a block
//! element's tag (`<p>`, `<li>`, `<td>`, `<h1>`, …), a line break (`<br>`: it separates lines
//! the way a line break does in a plain document, where it always ends a sentence), a
//! horizontal rule, or an untranslated block element (`<pre>`, a block with `translate="no"`).
//! A block becomes a [`Marked`] text: what the model sees (entities decoded, runs of whitespace
//! collapsed to one space, as a browser renders them) and its inline markup as anchors:
//!
//! - an inline element's start and end tags (`<b>`, `<a href=…>`, `<span …>`) are an
//!   [`AnchorKind::Open`] / [`AnchorKind::Close`] pair;
//! - a void or self-closing tag (`<img …>`, `<wbr>`, `<x/>`), a comment, CDATA, a doctype or
//!   processing instruction, an entity the scanner does not know (`&foo;`, `&#xD800;`), and a
//!   whole untranslated inline element (`<code>…</code>`, `<script>…</script>`,
//!   `<span translate="no">…</span>`) are [`AnchorKind::Verbatim`] points;
//! - a tag whose partner is missing or lies in another block (`<b>` never closed, a stray
//!   `</i>`, misnested tags) is an Open or Close without a pair;
//! - a tag that never ends (no `>`, an attribute quote never closed) runs to the end of the
//!   page, kept verbatim, as a browser swallows it.
//!
//! Every anchor's `src` is its bytes in the page: tags and attributes come back byte for byte.
//!
//! [`plan`] then cuts each block into sentences (document mode's rules) and decides, for each
//! sentence, which bytes of the page it replaces and which anchors go with it: pairs inside one
//! sentence are re-inserted by the alignment; pairs that cross sentences or blocks and unpaired
//! tags that fall inside a sentence are moved, in page order, to the sentence's start (or its
//! end when they only close); everything else is copied from the page unchanged. [`render`]
//! writes the page with each sentence replaced by its translation. For a well-nested page the
//! result is well-nested too (see [`plan`] for why), and every tag appears exactly once;
//! [`check`] verifies both.

use std::ops::Range;

use super::{push_text, Anchor, AnchorKind, Marked};
use crate::text::{Lang, Segments};

/// One block of a page: its bytes in the page and what the model sees of them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Block {
    /// The block's bytes in the page (tags and text, no boundary tag).
    pub(crate) input: Range<usize>,
    /// The model text and the inline markup, anchors in page order.
    pub(crate) marked: Marked,
    /// Where the model text's bytes come from, in model order (whitespace the collapsing
    /// dropped has no run).
    runs: Vec<Run>,
}

/// A stretch of model text and the page bytes it stands for: the same bytes (`exact`), or one
/// character decoded from an entity or collapsed from a run of whitespace.
#[derive(Clone, Copy, Debug)]
struct Run {
    model: usize,
    model_len: usize,
    input: usize,
    input_len: usize,
    exact: bool,
}

impl Block {
    /// The page offset of model byte `m` (a character start inside the model text).
    fn input_start(&self, m: usize) -> usize {
        let i = self.runs.partition_point(|r| r.model + r.model_len <= m);
        match self.runs.get(i) {
            Some(r) if r.exact => r.input + (m - r.model),
            Some(r) => r.input,
            None => self.input.end,
        }
    }

    /// The page offset just after the model character that ends at model byte `m`.
    fn input_end(&self, m: usize) -> usize {
        let i = self.runs.partition_point(|r| r.model + r.model_len < m);
        match self.runs.get(i) {
            Some(r) if r.exact => r.input + (m - r.model),
            Some(r) => r.input + r.input_len,
            None => self.input.end,
        }
    }
}

/// Elements whose tags end a block.
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "button",
    "caption",
    "center",
    "col",
    "colgroup",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hgroup",
    "hr",
    "html",
    "legend",
    "li",
    "link",
    "main",
    "menu",
    "meta",
    "nav",
    "noscript",
    "ol",
    "optgroup",
    "option",
    "p",
    "pre",
    "section",
    "select",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "ul",
];

/// Elements without content: their start tag is a point, an end tag of theirs is stray.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// Elements whose content is raw text (no tags inside until their end tag), never translated.
const RAW: &[&str] = &["script", "style", "textarea"];

/// Elements whose content (tags included) is code, never translated.
const CODE: &[&str] = &["code", "pre", "kbd", "samp"];

/// How far down the open-element stack an end tag looks for its start tag: misnested pages
/// rarely need more, and the bound keeps a page of thousands of stray end tags linear.
const MATCH_DEPTH: usize = 64;

fn is_in(list: &[&str], name: &str) -> bool {
    list.iter().any(|n| n.eq_ignore_ascii_case(name))
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0C')
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.')
}

/// A piece of markup at some `<`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Markup {
    /// A start tag: name bytes, self-closing (`/>`), `translate="no"`.
    Start {
        name: (usize, usize),
        self_closing: bool,
        no_translate: bool,
    },
    End {
        name: (usize, usize),
    },
    /// Comment, CDATA, doctype, processing instruction.
    Other,
}

/// Reads the markup starting at `s[at] == b'<'`: its kind and end, or `None` when the `<` is
/// text (not followed by a name, `/name`, `!` or `?`). Markup that never ends (no `>`, an
/// attribute quote never closed, a comment never closed) runs to the end of the page, as a
/// browser swallows it, and is `Other`: kept verbatim. That also keeps the scan linear: a page
/// of unterminated tags is one piece, not one search to its end per `<`.
fn markup_at(s: &[u8], at: usize) -> Option<(Markup, usize)> {
    let rest = &s[at..];
    let find = |from: usize, pat: &[u8]| -> Option<usize> {
        rest.get(from..)?
            .windows(pat.len())
            .position(|w| w == pat)
            .map(|p| at + from + p + pat.len())
    };
    let until_eof = s.len();
    match rest.get(1)? {
        b'!' => {
            if rest.starts_with(b"<!--") {
                // An unterminated comment runs to the end of the page, as in a browser.
                Some((Markup::Other, find(4, b"-->").unwrap_or(until_eof)))
            } else if rest.starts_with(b"<![CDATA[") {
                Some((Markup::Other, find(9, b"]]>").unwrap_or(until_eof)))
            } else {
                Some((Markup::Other, find(2, b">").unwrap_or(until_eof)))
            }
        }
        b'?' => Some((Markup::Other, find(2, b">").unwrap_or(until_eof))),
        b'/' => {
            let n0 = at + 2;
            if !s.get(n0)?.is_ascii_alphabetic() {
                return None;
            }
            let n1 = n0 + s[n0..].iter().take_while(|&&b| is_name_byte(b)).count();
            Some(match find(n1 - at, b">") {
                Some(end) => (Markup::End { name: (n0, n1) }, end),
                None => (Markup::Other, until_eof),
            })
        }
        b if b.is_ascii_alphabetic() => {
            let n0 = at + 1;
            let n1 = n0 + s[n0..].iter().take_while(|&&b| is_name_byte(b)).count();
            Some(match attributes(s, n1) {
                Some((end, self_closing, no_translate)) => (
                    Markup::Start {
                        name: (n0, n1),
                        self_closing,
                        no_translate,
                    },
                    end,
                ),
                None => (Markup::Other, until_eof),
            })
        }
        _ => None,
    }
}

/// Reads a start tag's attributes from `i` (after the name): the tag's end, whether it
/// closes itself, and whether it says `translate="no"`. `None` when it never ends.
fn attributes(s: &[u8], mut i: usize) -> Option<(usize, bool, bool)> {
    let mut no_translate = false;
    loop {
        while s.get(i).is_some_and(|&b| is_ws(b)) {
            i += 1;
        }
        match *s.get(i)? {
            b'>' => return Some((i + 1, false, no_translate)),
            b'/' if s.get(i + 1) == Some(&b'>') => return Some((i + 2, true, no_translate)),
            b'/' => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let a0 = i;
        while s
            .get(i)
            .is_some_and(|&b| !is_ws(b) && !matches!(b, b'=' | b'>' | b'/'))
        {
            i += 1;
        }
        if i == a0 {
            i += 1; // a lone '=' or similar: skip it
            continue;
        }
        let name = &s[a0..i];
        let mut j = i;
        while s.get(j).is_some_and(|&b| is_ws(b)) {
            j += 1;
        }
        if s.get(j) != Some(&b'=') {
            continue;
        }
        j += 1;
        while s.get(j).is_some_and(|&b| is_ws(b)) {
            j += 1;
        }
        let (v0, v1) = match *s.get(j)? {
            q @ (b'"' | b'\'') => {
                let len = s[j + 1..].iter().position(|&b| b == q)?;
                i = j + 1 + len + 1;
                (j + 1, j + 1 + len)
            }
            _ => {
                let len = s[j..]
                    .iter()
                    .take_while(|&&b| !is_ws(b) && b != b'>')
                    .count();
                i = j + len;
                (j, j + len)
            }
        };
        if name.eq_ignore_ascii_case(b"translate") && s[v0..v1].eq_ignore_ascii_case(b"no") {
            no_translate = true;
        }
    }
}

/// Named entities decoded for the model: XML's five, the spaces and the punctuation, symbols
/// and letters that pages write as entities most. Others are kept verbatim.
const ENTITIES: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", '\u{A0}'),
    ("ensp", '\u{2002}'),
    ("emsp", '\u{2003}'),
    ("thinsp", '\u{2009}'),
    ("zwnj", '\u{200C}'),
    ("zwj", '\u{200D}'),
    ("shy", '\u{AD}'),
    ("ndash", '–'),
    ("mdash", '—'),
    ("hellip", '…'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("sbquo", '‚'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("bdquo", '„'),
    ("laquo", '«'),
    ("raquo", '»'),
    ("lsaquo", '‹'),
    ("rsaquo", '›'),
    ("bull", '•'),
    ("middot", '·'),
    ("copy", '©'),
    ("reg", '®'),
    ("trade", '™'),
    ("deg", '°'),
    ("plusmn", '±'),
    ("times", '×'),
    ("divide", '÷'),
    ("sect", '§'),
    ("para", '¶'),
    ("euro", '€'),
    ("pound", '£'),
    ("yen", '¥'),
    ("cent", '¢'),
    ("iexcl", '¡'),
    ("iquest", '¿'),
    ("frac12", '½'),
    ("frac14", '¼'),
    ("frac34", '¾'),
    ("auml", 'ä'),
    ("ouml", 'ö'),
    ("uuml", 'ü'),
    ("Auml", 'Ä'),
    ("Ouml", 'Ö'),
    ("Uuml", 'Ü'),
    ("szlig", 'ß'),
    ("aacute", 'á'),
    ("eacute", 'é'),
    ("iacute", 'í'),
    ("oacute", 'ó'),
    ("uacute", 'ú'),
    ("agrave", 'à'),
    ("egrave", 'è'),
    ("ecirc", 'ê'),
    ("ccedil", 'ç'),
    ("ntilde", 'ñ'),
    ("Eacute", 'É'),
];

/// An entity at `s[at] == b'&'`: `Some((end, Some(c)))` decoded, `Some((end, None))` one to keep
/// verbatim (an unknown name, a number that is no character), `None` when the `&` is text.
fn entity_at(s: &str, at: usize) -> Option<(usize, Option<char>)> {
    let b = s.as_bytes();
    let semi = at + 1 + b[at + 1..].iter().take(34).position(|&x| x == b';')?;
    let body = &s[at + 1..semi];
    let end = semi + 1;
    if let Some(num) = body.strip_prefix('#') {
        let (digits, radix) = match num.strip_prefix(['x', 'X']) {
            Some(h) => (h, 16),
            None => (num, 10),
        };
        if digits.is_empty() || !digits.bytes().all(|x| (x as char).is_digit(radix)) {
            return None;
        }
        let c = u32::from_str_radix(digits, radix)
            .ok()
            .filter(|&v| v != 0)
            .and_then(char::from_u32);
        return Some((end, c));
    }
    if body.is_empty() || !body.bytes().all(|x| x.is_ascii_alphanumeric()) {
        return None;
    }
    let c = ENTITIES.iter().find(|(n, _)| *n == body).map(|&(_, c)| c);
    Some((end, c))
}

/// The scanner's state while it fills one block.
#[derive(Default)]
struct Builder {
    block: Block,
    open: bool,
    /// Open inline elements: anchor index and tag name.
    stack: Vec<(usize, (usize, usize))>,
    /// The model text ends with a collapsed space (or is empty): further whitespace is dropped.
    space: bool,
}

impl Builder {
    fn begin(&mut self, at: usize) {
        if !self.open {
            self.open = true;
            self.block.input = at..at;
            self.space = true;
        }
    }

    fn push_run(&mut self, text: &str, input: Range<usize>, exact: bool) {
        let b = &mut self.block;
        let model = b.marked.text.len();
        b.marked.text.push_str(text);
        if let Some(r) = b.runs.last_mut() {
            if exact
                && r.exact
                && r.input + r.input_len == input.start
                && r.model + r.model_len == model
            {
                r.model_len += text.len();
                r.input_len += input.len();
                return;
            }
        }
        b.runs.push(Run {
            model,
            model_len: text.len(),
            input: input.start,
            input_len: input.len(),
            exact,
        });
    }

    fn text(&mut self, page: &str, range: Range<usize>) {
        let s = page.as_bytes();
        let mut i = range.start;
        while i < range.end {
            if is_ws(s[i]) {
                let j = i + s[i..range.end].iter().take_while(|&&b| is_ws(b)).count();
                if !self.space {
                    self.push_run(" ", i..j, j == i + 1 && s[i] == b' ');
                    self.space = true;
                }
                i = j;
            } else {
                let j = i + s[i..range.end].iter().take_while(|&&b| !is_ws(b)).count();
                self.push_run(&page[i..j], i..j, true);
                self.space = false;
                i = j;
            }
        }
    }

    fn decoded(&mut self, c: char, input: Range<usize>) {
        let mut buf = [0u8; 4];
        self.push_run(c.encode_utf8(&mut buf), input, false);
        self.space = c == ' ';
    }

    fn anchor(&mut self, kind: AnchorKind, src: Range<usize>) -> usize {
        if kind == AnchorKind::Verbatim {
            // A point separates words the way its surroundings say: "x <img> y" keeps both
            // spaces (the tokenizer collapses them for the model), "a<wbr>b" none.
            self.space = false;
        }
        let a = &mut self.block.marked.anchors;
        a.push(Anchor {
            kind,
            at: self.block.marked.text.len(),
            src,
            pair: None,
        });
        a.len() - 1
    }

    fn close(&mut self, page: &[u8], name: (usize, usize), src: Range<usize>) {
        let k = self.anchor(AnchorKind::Close, src);
        let want = &page[name.0..name.1];
        let found = self
            .stack
            .iter()
            .rev()
            .take(MATCH_DEPTH)
            .position(|&(_, n)| page[n.0..n.1].eq_ignore_ascii_case(want));
        if let Some(depth) = found {
            // Elements opened after the one this closes stay without a pair (misnested).
            let keep = self.stack.len() - 1 - depth;
            let (open, _) = self.stack[keep];
            self.stack.truncate(keep);
            let a = &mut self.block.marked.anchors;
            a[open].pair = Some(k);
            a[k].pair = Some(open);
        }
    }

    /// Ends the block (if one is open) at page offset `at`.
    fn finish(&mut self, at: usize, blocks: &mut Vec<Block>) {
        if self.open {
            self.open = false;
            self.stack.clear();
            let mut b = std::mem::take(&mut self.block);
            b.input.end = at;
            blocks.push(b);
        }
    }
}

/// Finds where an untranslated element that starts with the tag `tag` ends: after the end tag
/// of the same name at the same depth (raw-text elements: the first one), or the end of the
/// page when it is never closed.
fn skip_end(page: &str, tag: Range<usize>, name: (usize, usize), raw: bool) -> usize {
    let s = page.as_bytes();
    let want = &s[name.0..name.1];
    let mut depth = 1usize;
    let mut i = tag.end;
    while let Some(p) = s[i..].iter().position(|&b| b == b'<') {
        let at = i + p;
        if raw {
            let n0 = at + 2;
            let n1 = n0 + want.len();
            if s.get(at + 1) == Some(&b'/')
                && s.get(n0..n1).is_some_and(|n| n.eq_ignore_ascii_case(want))
                && !s.get(n1).is_some_and(|&b| is_name_byte(b))
            {
                return s[n1..]
                    .iter()
                    .position(|&b| b == b'>')
                    .map_or(s.len(), |q| n1 + q + 1);
            }
            i = at + 1;
            continue;
        }
        match markup_at(s, at) {
            Some((
                Markup::Start {
                    name: n,
                    self_closing,
                    ..
                },
                end,
            )) => {
                if !self_closing && s[n.0..n.1].eq_ignore_ascii_case(want) {
                    depth += 1;
                }
                i = end;
            }
            Some((Markup::End { name: n }, end)) => {
                if s[n.0..n.1].eq_ignore_ascii_case(want) {
                    depth -= 1;
                    if depth == 0 {
                        return end;
                    }
                }
                i = end;
            }
            Some((Markup::Other, end)) => i = end,
            None => i = at + 1,
        }
    }
    s.len()
}

/// Cuts `page` into blocks (see the module documentation). Linear in the page's length;
/// never fails.
pub(crate) fn scan(page: &str) -> Vec<Block> {
    let s = page.as_bytes();
    let mut blocks = Vec::new();
    let mut b = Builder::default();
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'<' => {
                let Some((markup, end)) = markup_at(s, i) else {
                    b.begin(i);
                    b.text(page, i..i + 1);
                    i += 1;
                    continue;
                };
                let name_of = |n: (usize, usize)| &page[n.0..n.1];
                match markup {
                    Markup::Start {
                        name,
                        self_closing,
                        no_translate,
                    } => {
                        let nm = name_of(name);
                        let block = is_in(BLOCK, nm);
                        let raw = is_in(RAW, nm);
                        if !self_closing && (raw || no_translate || is_in(CODE, nm)) {
                            let to = skip_end(page, i..end, name, raw);
                            if block {
                                b.finish(i, &mut blocks);
                            } else {
                                b.begin(i);
                                b.anchor(AnchorKind::Verbatim, i..to);
                            }
                            i = to;
                            continue;
                        }
                        if block {
                            b.finish(i, &mut blocks);
                        } else {
                            b.begin(i);
                            if self_closing || is_in(VOID, nm) {
                                b.anchor(AnchorKind::Verbatim, i..end);
                            } else {
                                let k = b.anchor(AnchorKind::Open, i..end);
                                b.stack.push((k, name));
                            }
                        }
                    }
                    Markup::End { name } => {
                        let nm = name_of(name);
                        if is_in(BLOCK, nm) {
                            b.finish(i, &mut blocks);
                        } else {
                            b.begin(i);
                            if is_in(VOID, nm) {
                                b.anchor(AnchorKind::Verbatim, i..end);
                            } else {
                                b.close(s, name, i..end);
                            }
                        }
                    }
                    Markup::Other => {
                        b.begin(i);
                        b.anchor(AnchorKind::Verbatim, i..end);
                    }
                }
                i = end;
            }
            b'&' => {
                b.begin(i);
                match entity_at(page, i) {
                    Some((end, Some(c))) => {
                        b.decoded(c, i..end);
                        i = end;
                    }
                    Some((end, None)) => {
                        b.anchor(AnchorKind::Verbatim, i..end);
                        i = end;
                    }
                    None => {
                        b.text(page, i..i + 1);
                        i += 1;
                    }
                }
            }
            _ => {
                b.begin(i);
                let j = i + s[i..]
                    .iter()
                    .take_while(|&&x| x != b'<' && x != b'&')
                    .count();
                b.text(page, i..j);
                i = j;
            }
        }
    }
    b.finish(s.len(), &mut blocks);
    blocks
}

/// One sentence of a page to translate.
#[derive(Clone, Debug)]
pub(crate) struct Sentence {
    /// The page bytes its rendering replaces.
    pub(crate) input: Range<usize>,
    /// What the model translates and the anchors to re-insert into the translation by the
    /// alignment: pairs inside the sentence and points, offsets relative to the sentence, pairs
    /// indexing this list, `src` in the page.
    pub(crate) marked: Marked,
    /// Tags inside the sentence's bytes that cannot go with its words (their partner is in
    /// another sentence or block, or missing), in page order.
    pub(crate) edges: Vec<Range<usize>>,
    /// Whether the edges go after the translation (they only close elements) or before it.
    pub(crate) edges_after: bool,
}

/// A page cut into the sentences to translate; everything else is copied.
#[derive(Clone, Debug, Default)]
pub(crate) struct Plan {
    pub(crate) sentences: Vec<Sentence>,
}

/// Cuts `page` into blocks ([`scan`]) and each block into sentences (document mode's
/// [`Segments`] with the rules of `lang`: list markers and text without letters stay as they
/// are), and assigns every tag to exactly one sentence or to the copied rest.
///
/// For sentence `[s, e)` of a block: a pair belongs to it when both its tags lie in `[s, e]`,
/// unless it is empty and at `s` or `e`; a point strictly inside it goes with it too. A tag at the sentence's edge that does not belong to it
/// is copied in place. Any other tag inside its bytes (its partner elsewhere, or missing) is an
/// edge, moved out of the words in page order. Why that keeps a well-nested page well-nested:
/// inside one sentence of such a page, no edge lies between the tags of a pair that belongs to
/// the sentence (the edge's element would overlap the pair's), and the edges that close
/// elements all come before those that open them; so the pairs are balanced groups between
/// edges, and the edges can move together, in order, to either end of the sentence.
///
/// With `protect`, the protected spans of each sentence's text (URLs, e-mail addresses,
/// placeholders, emoji: [`super::spans::find`]) that contain no tag become points too, their
/// page bytes (entities and all) kept verbatim.
pub(crate) fn plan(page: &str, lang: Lang, protect: bool) -> (Vec<Block>, Plan) {
    let blocks = scan(page);
    let mut plan = Plan::default();
    let mut cursor = 0;
    let mut found = Vec::new();
    for block in &blocks {
        let text = &block.marked.text;
        let anchors = &block.marked.anchors;
        for span in Segments::new(text, lang) {
            let (s, e) = (span.start, span.end);
            let first = anchors.partition_point(|a| a.at < s);
            let last = anchors.partition_point(|a| a.at <= e);
            // A pair goes with the sentence when both its tags lie in `[s, e]` and it does not
            // merely touch the sentence's edge from outside (an empty pair at `s` or `e`).
            let inside = |k: usize| {
                let a = &anchors[k];
                let (o, c) = match (a.kind, a.pair) {
                    (AnchorKind::Verbatim, _) => return s < a.at && a.at < e,
                    (AnchorKind::Open, Some(p)) => (a.at, anchors[p].at),
                    (AnchorKind::Close, Some(p)) => (anchors[p].at, a.at),
                    _ => return false,
                };
                s <= o && c <= e && o < e && c > s
            };
            let mut from = block.input_start(s);
            let mut to = block.input_end(e);
            for (k, a) in anchors.iter().enumerate().take(last).skip(first) {
                if inside(k) {
                    from = from.min(a.src.start);
                    to = to.max(a.src.end);
                }
            }
            let from = from.max(cursor);
            let to = to.max(from);
            cursor = to;
            let mut sentence = Sentence {
                input: from..to,
                marked: Marked {
                    text: text[s..e].to_owned(),
                    anchors: Vec::new(),
                },
                edges: Vec::new(),
                edges_after: true,
            };
            // Local index of each block anchor that goes with the sentence.
            let mut local = vec![usize::MAX; last - first];
            let owned = |k: usize| {
                let r = &anchors[k].src;
                r.start >= from && r.end <= to
            };
            for k in first..last {
                if !owned(k) {
                    continue;
                }
                let pair_owned = anchors[k]
                    .pair
                    .is_some_and(|p| (first..last).contains(&p) && owned(p) && inside(p));
                let a = &anchors[k];
                if inside(k) && (a.kind == AnchorKind::Verbatim || pair_owned) {
                    local[k - first] = sentence.marked.anchors.len();
                    sentence.marked.anchors.push(Anchor {
                        kind: a.kind,
                        at: a.at.clamp(s, e) - s,
                        src: a.src.clone(),
                        pair: a.pair,
                    });
                } else if a.kind == AnchorKind::Verbatim {
                    // A point at the very edge of the sentence's bytes stays at that edge.
                    sentence.edges.push(a.src.clone());
                } else {
                    if a.kind == AnchorKind::Open {
                        sentence.edges_after = false;
                    }
                    sentence.edges.push(a.src.clone());
                }
            }
            for a in &mut sentence.marked.anchors {
                a.pair = a.pair.map(|p| local[p - first]);
            }
            if protect {
                found.clear();
                super::spans::find(&sentence.marked.text, &mut found);
                // A span with a tag inside it stays text: its bytes are not one piece of the page.
                found.retain(|r| {
                    let (a, b) = (s + r.start, s + r.end);
                    let i = anchors.partition_point(|x| x.at <= a);
                    anchors.get(i).map_or(true, |x| x.at >= b)
                });
                if !found.is_empty() {
                    let page_of = |r: &Range<usize>| {
                        block.input_start(s + r.start)..block.input_end(s + r.end)
                    };
                    protect_spans(&mut sentence.marked, &found, page_of);
                }
            }
            plan.sentences.push(sentence);
        }
    }
    (blocks, plan)
}

/// Takes `spans` (sorted, disjoint, no anchor strictly inside) out of `marked.text`, each a
/// `Verbatim` anchor standing for the page bytes `page_of(span)`; anchors stay in page order.
fn protect_spans(
    marked: &mut Marked,
    spans: &[Range<usize>],
    page_of: impl Fn(&Range<usize>) -> Range<usize>,
) {
    let old = std::mem::take(&mut marked.text);
    let mut anchors = std::mem::take(&mut marked.anchors);
    let mut from = 0;
    for r in spans {
        marked.text.push_str(&old[from..r.start]);
        from = r.end;
    }
    marked.text.push_str(&old[from..]);
    // Anchors are in `at` order and none lies strictly inside a span: one pass moves each back
    // by the bytes of the spans that end at or before it.
    let (mut k, mut removed) = (0, 0);
    for a in &mut anchors {
        while k < spans.len() && spans[k].end <= a.at {
            removed += spans[k].len();
            k += 1;
        }
        a.at -= removed;
    }
    let mut removed = 0;
    for r in spans {
        anchors.push(Anchor {
            kind: AnchorKind::Verbatim,
            at: r.start - removed,
            src: page_of(r),
            pair: None,
        });
        removed += r.len();
    }
    // Page order; pairs follow their anchors to their new places.
    let mut order: Vec<usize> = (0..anchors.len()).collect();
    order.sort_by_key(|&i| anchors[i].src.start);
    let mut new_index = vec![0; anchors.len()];
    for (n, &i) in order.iter().enumerate() {
        new_index[i] = n;
    }
    marked.anchors = order
        .iter()
        .map(|&i| {
            let mut a = anchors[i].clone();
            a.pair = a.pair.map(|p| new_index[p]);
            a
        })
        .collect();
}

/// Writes `page` to `out` with each sentence of `plan` replaced by its rendering:
/// `translation(i)` is sentence `i`'s translation with its anchors already inserted and its
/// text escaped; its edges go before or after it. Everything else is copied.
pub(crate) fn render<'a>(
    page: &str,
    plan: &Plan,
    mut translation: impl FnMut(usize) -> &'a str,
    out: &mut String,
) {
    let mut cursor = 0;
    for (i, s) in plan.sentences.iter().enumerate() {
        out.push_str(&page[cursor..s.input.start]);
        if !s.edges_after {
            for e in &s.edges {
                out.push_str(&page[e.clone()]);
            }
        }
        out.push_str(translation(i));
        if s.edges_after {
            for e in &s.edges {
                out.push_str(&page[e.clone()]);
            }
        }
        cursor = s.input.end;
    }
    out.push_str(&page[cursor..]);
}

/// Renders a sentence without an alignment: its text (escaped), with every anchor where it was
/// (`at` offsets into `text`, which is the sentence's own text), as an identity translation
/// would. For tests and the fuzz target; a translation puts anchors by the alignment instead.
pub(crate) fn render_in_place(page: &str, text: &str, anchors: &[Anchor], out: &mut String) {
    let mut at = 0;
    for a in anchors {
        let p = a.at.min(text.len());
        if p > at {
            push_text(out, &text[at..p], true);
            at = p;
        }
        out.push_str(&page[a.src.clone()]);
    }
    push_text(out, &text[at..], true);
}

/// Renders a sentence's anchors around a translation made without them (too long for an
/// aligned call): every pair wraps the whole translation (opened in page order, closed in the
/// reverse order, so they nest), points follow it in page order.
pub(crate) fn render_around(page: &str, translation: &str, anchors: &[Anchor], out: &mut String) {
    let opens = || anchors.iter().filter(|a| a.kind == AnchorKind::Open);
    for a in opens() {
        out.push_str(&page[a.src.clone()]);
    }
    push_text(out, translation, true);
    let opens: Vec<&Anchor> = opens().collect();
    for a in opens.iter().rev() {
        if let Some(p) = a.pair {
            out.push_str(&page[anchors[p].src.clone()]);
        }
    }
    for a in anchors {
        if a.kind == AnchorKind::Verbatim || (a.kind == AnchorKind::Close && a.pair.is_none()) {
            out.push_str(&page[a.src.clone()]);
        }
    }
}

/// Renders `page` through the scanner and the sentence plan with an identity translation that
/// keeps every anchor where it was: what [`check`] must accept for any page. For the fuzz
/// target and tests of the markup without a model.
#[doc(hidden)]
pub fn identity(page: &str, lang: Lang) -> String {
    let (_, plan) = plan(page, lang, true);
    let mut rendered = Vec::with_capacity(plan.sentences.len());
    for s in &plan.sentences {
        let mut o = String::new();
        render_in_place(page, &s.marked.text, &s.marked.anchors, &mut o);
        rendered.push(o);
    }
    let mut out = String::new();
    render(page, &plan, |i| rendered[i].as_str(), &mut out);
    out
}

/// A tag or other markup of a page, as [`check`] compares them.
fn markup_list(page: &str) -> (Vec<&str>, bool) {
    let s = page.as_bytes();
    let mut out = Vec::new();
    let mut stack: Vec<&[u8]> = Vec::new();
    let mut nested = true;
    let mut i = 0;
    while let Some(p) = s[i..].iter().position(|&b| b == b'<') {
        let at = i + p;
        let Some((m, end)) = markup_at(s, at) else {
            i = at + 1;
            continue;
        };
        out.push(&page[at..end]);
        i = end;
        match m {
            Markup::Start {
                name, self_closing, ..
            } => {
                let n = &s[name.0..name.1];
                let nm = &page[name.0..name.1];
                if is_in(RAW, nm) && !self_closing {
                    // Raw text is not markup: jump to the end tag, which is recorded as one.
                    let to = skip_end(page, at..end, name, true);
                    let close = page[end..to].rfind("</").map(|q| end + q);
                    if let Some(c) = close {
                        out.push(&page[c..to]);
                    }
                    i = to;
                    continue;
                }
                if !self_closing && !is_in(VOID, nm) {
                    stack.push(n);
                }
            }
            Markup::End { name } => {
                let n = &s[name.0..name.1];
                if is_in(VOID, &page[name.0..name.1]) {
                    nested = false;
                } else if stack.last().is_some_and(|t| t.eq_ignore_ascii_case(n)) {
                    stack.pop();
                } else {
                    nested = false;
                }
            }
            Markup::Other => {}
        }
    }
    (out, nested && stack.is_empty())
}

/// Whether `page`'s tags are well nested: every element closed, in order (void and
/// self-closing elements aside; raw text is not markup).
pub fn is_well_nested(page: &str) -> bool {
    markup_list(page).1
}

/// Checks a translated page against its source: every piece of markup of `source` (tags,
/// comments, CDATA, declarations) appears in `output` exactly as many times as in `source`, and
/// none is added; when `source` is well nested, so is `output`. The error names the first
/// difference.
pub fn check(source: &str, output: &str) -> Result<(), String> {
    let (mut a, nested_a) = markup_list(source);
    let (mut b, nested_b) = markup_list(output);
    a.sort_unstable();
    b.sort_unstable();
    if a != b {
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        }
        return Err(format!(
            "markup differs: source has {} pieces, output {}; first difference: source {:?}, \
             output {:?}",
            a.len(),
            b.len(),
            a.get(i),
            b.get(j)
        ));
    }
    if nested_a && !nested_b {
        return Err("the source is well nested, the output is not".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders `page` with each sentence "translated" by `f` and its anchors kept in place.
    fn identity(page: &str, f: impl Fn(&str) -> String) -> String {
        let (_, plan) = plan(page, Lang::English, true);
        let rendered: Vec<String> = plan
            .sentences
            .iter()
            .map(|s| {
                let mut o = String::new();
                render_in_place(page, &f(&s.marked.text), &s.marked.anchors, &mut o);
                o
            })
            .collect();
        let mut out = String::new();
        render(page, &plan, |i| rendered[i].as_str(), &mut out);
        out
    }

    fn model_texts(page: &str) -> Vec<String> {
        scan(page).into_iter().map(|b| b.marked.text).collect()
    }

    #[test]
    fn identity_gives_the_page_back() {
        for page in [
            "",
            "plain text. Two sentences.",
            "<p>Hello <b>world</b>.</p>\n<p>Second <i class=\"x\">one</i>!</p>",
            "<ul>\n  <li>One</li>\n  <li>Two <a href='/x?a=1&amp;b=2'>link</a></li>\n</ul>",
            "<!DOCTYPE html><html><head><title>T</title></head><body><p>Hi.</p></body></html>",
            "A<br>B<br/>C<hr>D",
            "x <img src=a.png alt=\"a > b\"> y",
        ] {
            let out = identity(page, str::to_owned);
            assert_eq!(out, page);
            check(page, &out).unwrap();
        }
    }

    #[test]
    fn model_text_decodes_entities_and_collapses_space() {
        assert_eq!(
            model_texts("<p>Tom &amp; Jerry&nbsp;&#233;&#xE9; \n\t x&lt;y</p>"),
            ["Tom & Jerry\u{a0}éé x<y"]
        );
        assert_eq!(model_texts("a <b> b </b> c"), ["a b c"]);
        // Unknown and impossible entities are kept as points; a bare & is text.
        let b = &scan("a &foo; b &#xD800; c & d &#0; e")[0];
        assert_eq!(b.marked.text, "a  b  c & d  e");
        assert_eq!(b.marked.anchors.len(), 3);
        assert!(b
            .marked
            .anchors
            .iter()
            .all(|a| a.kind == AnchorKind::Verbatim));
        let out = identity("a &foo; b &#xD800; c & d", str::to_owned);
        assert_eq!(out, "a &foo; b &#xD800; c &amp; d");
    }

    #[test]
    fn blocks_and_inline_elements() {
        let page = "<div><p>One <b>two</b></p><p>three<br>four</p>five</div>";
        assert_eq!(model_texts(page), ["One two", "three", "four", "five"]);
        let b = &scan(page)[0];
        let kinds: Vec<_> = b
            .marked
            .anchors
            .iter()
            .map(|a| (a.kind, a.at, a.pair))
            .collect();
        assert_eq!(
            kinds,
            [
                (AnchorKind::Open, 4, Some(1)),
                (AnchorKind::Close, 7, Some(0))
            ]
        );
        assert_eq!(&page[b.marked.anchors[0].src.clone()], "<b>");
    }

    #[test]
    fn untranslated_elements_are_points_or_glue() {
        let page = "<p>Run <code>ls -l</code> now.</p><pre>keep <b>this</b></pre>\
                    <script>if (a<b) x();</script><div translate=\"no\">Name <i>x</i></div>\
                    <p>A <span translate=no>B <span>C</span></span> D</p><style>p{}</style>";
        assert_eq!(model_texts(page), ["Run  now.", "", "A  D", ""]);
        let out = identity(page, |s| s.to_uppercase());
        assert_eq!(out, page.replace("Run", "RUN").replace("now", "NOW"));
        check(page, &out).unwrap();
    }

    #[test]
    fn cross_sentence_pairs_move_to_the_edges() {
        let page = "<p>One <b>two. Three</b> four.</p>";
        let (_, plan) = plan(page, Lang::English, true);
        assert_eq!(plan.sentences.len(), 2);
        assert_eq!(plan.sentences[0].edges, vec![7..10]);
        assert!(!plan.sentences[0].edges_after);
        assert_eq!(plan.sentences[1].edges, vec![20..24]);
        assert!(plan.sentences[1].edges_after);
        let out = identity(page, |s| s.to_uppercase());
        assert_eq!(out, "<p><b>ONE TWO. THREE FOUR.</b></p>");
        check(page, &out).unwrap();
        // A pair around whole sentences is copied in place.
        let page = "<p><b>One. Two.</b> Three.</p>";
        let out = identity(page, |s| s.to_uppercase());
        assert_eq!(out, "<p><b>ONE. TWO.</b> THREE.</p>");
    }

    #[test]
    fn malformed_pages_never_fail_and_keep_every_tag() {
        for page in [
            "<b>unclosed",
            "stray </i> close",
            "<b>mis <i>nested</b> tags</i>.",
            "a < b and c > d",
            "<a href=\"never closed>x",
            "<!-- unterminated comment",
            "<![CDATA[ x < y ]]> text",
            "<?xml version=\"1.0\"?><doc>Hi <x/> there.</doc>",
            "x\0y <b>\0</b>",
            "&#99999999999; &#x; &; &unknown_entity_name_that_is_long;",
            "</p></p><p><p>",
            "<img></img> <br></br>",
            "<script>never closed",
            "<code>never <b>closed",
            "<",
            "&",
            "<b",
        ] {
            let out = identity(page, |s| s.to_uppercase());
            check(page, &out).unwrap_or_else(|e| panic!("{page:?} -> {out:?}: {e}"));
        }
    }

    #[test]
    fn protected_spans_keep_their_page_bytes() {
        let page =
            "<p>Hi {name}, see <b>https://x.org/?a=1&amp;b=2</b> or <i>www.a.de/x</i>s now.</p>";
        let (_, p) = plan(page, Lang::English, true);
        let s = &p.sentences[0];
        assert_eq!(s.marked.text, "Hi , see  or www.a.de/xs now.");
        let srcs: Vec<&str> = s
            .marked
            .anchors
            .iter()
            .map(|a| &page[a.src.clone()])
            .collect();
        assert_eq!(
            srcs,
            [
                "{name}",
                "<b>",
                "https://x.org/?a=1&amp;b=2",
                "</b>",
                "<i>",
                "</i>"
            ]
        );
        assert_eq!(s.marked.anchors[1].pair, Some(3));
        assert_eq!(s.marked.anchors[4].pair, Some(5));
        assert_eq!(super::identity(page, Lang::English), page);
        let (_, p) = plan(page, Lang::English, false);
        assert_eq!(p.sentences[0].marked.anchors.len(), 4);
    }

    #[test]
    fn misnested_tags_are_unpaired() {
        let b = &scan("<b>mis <i>nested</b> tags</i>.")[0];
        let pairs: Vec<_> = b.marked.anchors.iter().map(|a| a.pair).collect();
        assert_eq!(pairs, [Some(2), None, Some(0), None]);
    }

    #[test]
    fn deep_nesting_and_many_tags_are_linear() {
        let depth = 200_000;
        let page = format!("{}x{}", "<span>".repeat(depth), "</span>".repeat(depth));
        let out = identity(&page, str::to_owned);
        assert_eq!(out, page);
        assert!(is_well_nested(&page));
        let stray = "</i>".repeat(100_000) + &"<b>".repeat(100_000);
        let out = identity(&stray, str::to_owned);
        check(&stray, &out).unwrap();
    }

    /// Pages that would make a naive scanner quadratic: unterminated tags and declarations by
    /// the hundred thousand, and one sentence of thousands of tags and protected spans. A
    /// quadratic step would not finish here.
    #[test]
    fn pathological_pages_stay_linear() {
        for unit in ["<a ", "<a x=\"", "</x", "<!", "<?", "<!--", "&amp"] {
            let page = unit.repeat((1 << 20) / unit.len());
            let out = super::identity(&page, Lang::English);
            check(&page, &out).unwrap();
        }
        let page = "a{x}<b>b</b> ".repeat(100_000);
        let (_, p) = plan(&page, Lang::English, true);
        assert_eq!(p.sentences.len(), 1);
        assert_eq!(p.sentences[0].marked.anchors.len(), 300_000);
        assert_eq!(super::identity(&page, Lang::English), page);
    }

    #[test]
    fn checker_finds_lost_added_and_misnested_tags() {
        assert!(check("<b>x</b>", "<b>x</b>").is_ok());
        assert!(check("<b>x</b>", "<b>x").is_err());
        assert!(check("<b>x</b>", "<b>x</b><i>").is_err());
        assert!(check("<b>x</b><i>y</i>", "<b>x<i></b>y</i>").is_err());
        assert!(check("<b>x<i></b>y</i>", "<b>x<i></b>y</i>").is_ok());
        assert!(check("<b class=\"a\">x</b>", "<b class='a'>x</b>").is_err());
    }
}
