//! Documents: which spans of a text a translator should see, and how to put the translations
//! back so that everything else (line breaks, blank lines, indentation, list markers, lines of
//! only numbers, punctuation or emoji, lone URLs and e-mail addresses) comes out exactly as it
//! went in.
//!
//! A document is described by its translatable spans alone, in text order and disjoint; the
//! "glue" is the text between them, which is copied unchanged. So the spans of [`segment`] can be
//! refined (an over-long sentence replaced by its clauses, see [`super::clauses`]) and still be
//! reassembled by the same [`assemble`].

use std::ops::Range;

use super::lang::Lang;
use super::sentences::Sentences;

/// Bullets that mark a list item or a quoted line ("- ", "• ", "> ").
fn is_bullet(c: char) -> bool {
    matches!(
        c,
        '-' | '*'
            | '+'
            | '•'
            | '‣'
            | '◦'
            | '▪'
            | '▫'
            | '■'
            | '□'
            | '●'
            | '○'
            | '–'
            | '—'
            | '·'
            | '>'
    )
}

/// The byte length of a list marker and the spaces after it at the start of `s`, or 0 when `s`
/// does not start with one or nothing follows it: "- ", "• ", "> ", "## ", "1. ", "2) ",
/// "1.2. ", "a) ", "(iv) ".
pub(crate) fn list_marker_len(s: &str) -> usize {
    let marker = marker_len(s);
    if marker == 0 {
        return 0;
    }
    let rest = &s[marker..];
    let body = rest.trim_start();
    if body.len() == rest.len() || body.is_empty() {
        return 0; // a marker needs a space after it and something to mark
    }
    s.len() - body.len()
}

fn marker_len(s: &str) -> usize {
    let b = s.as_bytes();
    match s.chars().next() {
        Some(c) if is_bullet(c) => {
            // One bullet, or a run of the same ASCII one ("##", ">>", "**" never mind).
            let n = c.len_utf8();
            if c.is_ascii() {
                b.iter().take_while(|&&x| x == b[0]).count()
            } else {
                n
            }
        }
        Some('#') => b.iter().take_while(|&&x| x == b'#').count(),
        Some('(') => {
            let inner = b[1..]
                .iter()
                .take_while(|x| x.is_ascii_alphanumeric())
                .count();
            if (1..=4).contains(&inner) && b.get(1 + inner) == Some(&b')') {
                inner + 2
            } else {
                0
            }
        }
        Some(c) if c.is_ascii_digit() => {
            // "1." "12)" "1.2." "1.2.3)"
            let mut i = 0;
            loop {
                let digits = b[i..].iter().take_while(|x| x.is_ascii_digit()).count();
                if digits == 0 || digits > 3 {
                    return 0;
                }
                i += digits;
                match b.get(i) {
                    Some(b')') => return i + 1,
                    Some(b'.') if b.get(i + 1).is_some_and(u8::is_ascii_digit) => i += 1,
                    Some(b'.') => return i + 1,
                    _ => return 0,
                }
            }
        }
        Some(c) if c.is_ascii_alphabetic() => {
            // "a)" "B." "iv)" "IV."
            let letters = b.iter().take_while(|x| x.is_ascii_alphabetic()).count();
            let word = &s[..letters];
            let roman = word.len() <= 4
                && (word.bytes().all(|x| b"ivx".contains(&x))
                    || word.bytes().all(|x| b"IVX".contains(&x)));
            if (letters == 1 || roman) && matches!(b.get(letters), Some(b')' | b'.')) {
                letters + 1
            } else {
                0
            }
        }
        _ => 0,
    }
}

/// Whether a span has anything to translate: a letter of any script, outside a lone URL or
/// e-mail address. Numbers, punctuation, symbols, emoji, "`https://example.com/a`" and
/// "info@example.org" alone are copied as they are.
pub fn is_translatable(span: &str) -> bool {
    span.chars().any(char::is_alphabetic) && !is_address(span)
}

/// A single URL or e-mail address, perhaps in brackets or followed by a full stop.
fn is_address(span: &str) -> bool {
    let s = span
        .trim_start_matches(['(', '<', '['])
        .trim_end_matches(['.', ')', '>', ']']);
    if s.is_empty() || s.contains(char::is_whitespace) {
        return false;
    }
    let url = s.contains("://") || s.starts_with("www.");
    let email = match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !domain.ends_with('.')
        }
        None => false,
    };
    url || email
}

/// An iterator over the spans of a document to translate, in order: its sentences
/// ([`Sentences`]) without a list marker at the start of a line, and without sentences that have
/// nothing to translate ([`is_translatable`]). Everything else is glue. It never allocates, so a
/// document of any size can be translated window by window with bounded memory (see
/// [`assemble_from`]).
#[derive(Debug, Clone)]
pub struct Segments<'a> {
    text: &'a str,
    sentences: Sentences<'a>,
}

impl<'a> Segments<'a> {
    /// Starts segmenting `text` with the rules and data of `lang`.
    pub fn new(text: &'a str, lang: Lang) -> Self {
        Segments {
            text,
            sentences: Sentences::new(text, lang),
        }
    }
}

impl Iterator for Segments<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        while let Some((mut span, first_in_line)) = self.sentences.next_with_line() {
            if first_in_line {
                span.start += list_marker_len(&self.text[span.clone()]);
            }
            if is_translatable(&self.text[span.clone()]) {
                return Some(span);
            }
        }
        None
    }
}

/// Replaces the contents of `out` with the spans of `text` to translate ([`Segments`]).
///
/// Allocation-free once `out` has grown to the largest document's sentence count.
pub fn segment(text: &str, lang: Lang, out: &mut Vec<Range<usize>>) {
    out.clear();
    out.extend(Segments::new(text, lang));
}

/// The pieces of the output document in order: the glue before span 0, `translation(0)`, the
/// glue before span 1, `translation(1)`, ..., the glue after the last span.
///
/// `spans` must be in text order, disjoint and on character boundaries of `text` (what
/// [`segment`] and [`super::clauses::split_long`] produce). `translation(i)` is called once per
/// span, in order; translations may have been computed in any order (length-sorted batches).
/// Empty pieces are skipped. With no spans the only piece is `text` itself, so blank input
/// comes back unchanged.
pub fn assemble<'a, F>(text: &'a str, spans: &'a [Range<usize>], translation: F) -> Assemble<'a, F>
where
    F: FnMut(usize) -> &'a str,
{
    assemble_from(text, 0, spans, translation)
}

/// [`assemble`] for one window of a long document: the glue starts at byte `from` (the end of
/// the previous window's last span) and the tail runs to the end of `text`. To stream a
/// document with bounded memory, take a window of spans from [`Segments`], translate them, and
/// call this with `text` cut at the window's last span end (so the glue after it goes with the
/// next window), and with the whole text for the last window.
///
/// # Panics
/// If `from` is after the first span's start or not on a character boundary.
pub fn assemble_from<'a, F>(
    text: &'a str,
    from: usize,
    spans: &'a [Range<usize>],
    translation: F,
) -> Assemble<'a, F>
where
    F: FnMut(usize) -> &'a str,
{
    assert!(text.is_char_boundary(from) && spans.first().map_or(true, |s| from <= s.start));
    Assemble {
        text,
        spans,
        translation,
        next: 0,
        pos: from,
        glue_done: false,
    }
}

/// The iterator of [`assemble`].
#[derive(Debug)]
pub struct Assemble<'a, F> {
    text: &'a str,
    spans: &'a [Range<usize>],
    translation: F,
    /// The span whose glue or translation comes next.
    next: usize,
    /// Where the glue before span `next` starts.
    pos: usize,
    /// Whether the glue before span `next` was already yielded.
    glue_done: bool,
}

impl<'a, F: FnMut(usize) -> &'a str> Iterator for Assemble<'a, F> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            let Some(span) = self.spans.get(self.next) else {
                let tail = &self.text[self.pos.min(self.text.len())..];
                self.pos = usize::MAX;
                return (!tail.is_empty()).then_some(tail);
            };
            if !self.glue_done {
                self.glue_done = true;
                let glue = &self.text[self.pos..span.start];
                if !glue.is_empty() {
                    return Some(glue);
                }
            }
            let piece = (self.translation)(self.next);
            self.pos = span.end;
            self.next += 1;
            self.glue_done = false;
            if !piece.is_empty() {
                return Some(piece);
            }
        }
    }
}

/// Appends the reassembled document to `out` (see [`assemble`]) and returns the number of bytes
/// appended.
pub fn assemble_into<'a, F>(
    text: &'a str,
    spans: &'a [Range<usize>],
    translation: F,
    out: &mut String,
) -> usize
where
    F: FnMut(usize) -> &'a str,
{
    let before = out.len();
    for piece in assemble(text, spans, translation) {
        out.push_str(piece);
    }
    out.len() - before
}

/// Fills `order` with the span indices sorted by decreasing length (stable), the order in
/// which to batch sentences so that a batch holds sentences of similar length and pads little.
/// `len(i)` is the length of span `i` in whatever unit the batcher counts (bytes, tokens).
pub fn length_order(n_spans: usize, mut len: impl FnMut(usize) -> usize, order: &mut Vec<usize>) {
    order.clear();
    order.extend(0..n_spans);
    // Unstable with the index as tie-break: the stable order without the stable sort's buffer,
    // so a warm translator allocates nothing here.
    order.sort_unstable_by_key(|&i| (std::cmp::Reverse(len(i)), i));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str, lang: Lang) -> Vec<&str> {
        let mut out = Vec::new();
        segment(text, lang, &mut out);
        out.into_iter().map(|r| &text[r]).collect()
    }

    /// Translates by upper-casing (owned strings, as a real translator's output would be).
    fn roundtrip(text: &str, lang: Lang) -> String {
        let mut s = Vec::new();
        segment(text, lang, &mut s);
        let translated: Vec<String> = s.iter().map(|r| text[r.clone()].to_uppercase()).collect();
        let mut out = String::new();
        let n = assemble_into(text, &s, |i| translated[i].as_str(), &mut out);
        assert_eq!(n, out.len());
        out
    }

    #[test]
    fn identity_translation_gives_back_the_text_exactly() {
        for text in [
            "",
            " ",
            "\n\n",
            "  Two sentences. On one line.  \n\n\tIndented line.\r\n- a bullet\n3.5\n👍\n",
            "Kein Zeilenende am Schluss",
            "1. Eins.\n2) Zwei. Drei!\n   • vier\n> Zitat.\n## Titel\n(iv) römisch",
        ] {
            for lang in [Lang::English, Lang::German, Lang::Other] {
                let mut s = Vec::new();
                segment(text, lang, &mut s);
                let mut out = String::new();
                assemble_into(text, &s, |i| &text[s[i].clone()], &mut out);
                assert_eq!(out, text);
            }
        }
    }

    #[test]
    fn structure_is_preserved() {
        assert_eq!(
            roundtrip("  Hello there. How are you?\n\n\tFine.  \n", Lang::English),
            "  HELLO THERE. HOW ARE YOU?\n\n\tFINE.  \n"
        );
        assert_eq!(
            roundtrip("\r\n\r\nline\r\n", Lang::English),
            "\r\n\r\nLINE\r\n"
        );
    }

    #[test]
    fn blank_input_comes_back_unchanged() {
        for text in ["", " ", "\n", "\n\n\n", " \t \n  "] {
            assert!(spans(text, Lang::English).is_empty());
            assert_eq!(roundtrip(text, Lang::English), text);
        }
    }

    #[test]
    fn untranslatable_lines_pass_through() {
        assert!(spans("123\n3.5 %\n---\n👍🎉\n(1)\n…", Lang::English).is_empty());
        assert_eq!(
            roundtrip("Score: 3:1\n2:0\n👍 nice!", Lang::English),
            "SCORE: 3:1\n2:0\n👍 NICE!"
        );
        // So are lone URLs and e-mail addresses, but not sentences that contain them.
        assert!(spans(
            "https://example.com/a?b=1\n<info@example.org>\nwww.example.de.",
            Lang::English
        )
        .is_empty());
        assert_eq!(
            spans("Mail info@example.org today.\nuser@host.org", Lang::English),
            ["Mail info@example.org today."]
        );
        assert_eq!(spans("@home\nfoo@", Lang::English), ["@home", "foo@"]);
        // A sentence of emoji after a real one is glue too.
        assert_eq!(spans("Great! 👍", Lang::English), ["Great!"]);
    }

    #[test]
    fn list_markers_are_glue() {
        assert_eq!(
            spans(
                "1. Preheat the oven.\n2) Bake it. Serve it.\n- Eat.\n• Enjoy.\n  * Wash up.",
                Lang::English
            ),
            [
                "Preheat the oven.",
                "Bake it.",
                "Serve it.",
                "Eat.",
                "Enjoy.",
                "Wash up."
            ]
        );
        assert_eq!(
            spans(
                "a) Erstens.\nIV. Viertens.\n1.2. Abschnitt\n> Zitat\n## Titel",
                Lang::German
            ),
            ["Erstens.", "Viertens.", "Abschnitt", "Zitat", "Titel"]
        );
        assert_eq!(
            roundtrip("  1. one.\n  2. two.", Lang::English),
            "  1. ONE.\n  2. TWO."
        );
        // Not markers: no space after them, or nothing after them, or not at a line start.
        assert_eq!(spans("-5 degrees.", Lang::English), ["-5 degrees."]);
        assert_eq!(spans("1.5 litres.", Lang::English), ["1.5 litres."]);
        assert_eq!(spans("A. Smith wrote.", Lang::English), ["Smith wrote."]);
        assert_eq!(spans("Use - not +.", Lang::English), ["Use - not +."]);
        assert_eq!(spans("Hello. - Bye.", Lang::English), ["Hello.", "- Bye."]);
    }

    #[test]
    fn marker_lengths() {
        assert_eq!(list_marker_len("- x"), 2);
        assert_eq!(list_marker_len("-- x"), 3);
        assert_eq!(list_marker_len("12.  x"), 5);
        assert_eq!(list_marker_len("1.2.3) x"), 7);
        assert_eq!(list_marker_len("1234. x"), 0);
        assert_eq!(list_marker_len("(a) x"), 4);
        assert_eq!(list_marker_len("• x"), "• ".len());
        assert_eq!(list_marker_len("-"), 0);
        assert_eq!(list_marker_len("- "), 0);
        assert_eq!(list_marker_len("ab) x"), 0);
        assert_eq!(list_marker_len("xiv. x"), 5);
    }

    #[test]
    fn translations_of_any_length_and_empty_ones() {
        let text = "A. B? C!";
        let s = [0..2, 3..5, 6..8];
        let tr = ["Ein langer Satz.", "", "Kurz!"];
        let out: String = assemble(text, &s, |i| tr[i]).collect();
        assert_eq!(out, "Ein langer Satz.  Kurz!");
        let pieces: Vec<&str> = assemble(text, &s, |i| tr[i]).collect();
        assert_eq!(pieces, ["Ein langer Satz.", " ", " ", "Kurz!"]);
    }

    #[test]
    fn translation_is_asked_once_per_span_in_order() {
        let text = "One. Two. Three.";
        let mut s = Vec::new();
        segment(text, Lang::English, &mut s);
        let mut asked = Vec::new();
        let out: String = assemble(text, &s, |i| {
            asked.push(i);
            "x"
        })
        .collect();
        assert_eq!((out.as_str(), asked), ("x x x", vec![0, 1, 2]));
    }

    #[test]
    fn windows_of_a_long_document_give_the_same_output() {
        let text = "  Intro line\n\n1. One. Two! 42\n- Three? Four.\n\n  Five.\n👍\nSix.  \n";
        let whole = roundtrip(text, Lang::English);
        for window in 1..5 {
            let mut out = String::new();
            let mut from = 0;
            let mut spans = Vec::new();
            let mut segments = Segments::new(text, Lang::English).peekable();
            loop {
                spans.clear();
                spans.extend(segments.by_ref().take(window));
                let last = segments.peek().is_none();
                let upto = if last {
                    text.len()
                } else {
                    spans.last().unwrap().end
                };
                let tr: Vec<String> = spans
                    .iter()
                    .map(|r| text[r.clone()].to_uppercase())
                    .collect();
                for piece in assemble_from(&text[..upto], from, &spans, |i| tr[i].as_str()) {
                    out.push_str(piece);
                }
                from = upto;
                if last {
                    break;
                }
            }
            assert_eq!(out, whole, "window {window}");
        }
    }

    #[test]
    fn length_order_is_longest_first_and_stable() {
        let lens = [3, 9, 3, 1, 9];
        let mut order = Vec::new();
        length_order(lens.len(), |i| lens[i], &mut order);
        assert_eq!(order, [1, 4, 0, 2, 3]);
    }

    #[test]
    fn segment_reuses_the_vec() {
        let mut out = Vec::with_capacity(4);
        segment("Ab cd. Ef gh.", Lang::English, &mut out);
        let cap = out.capacity();
        segment("Ab cd. Ef gh. Ij kl.", Lang::English, &mut out);
        assert_eq!((out.len(), out.capacity()), (3, cap));
    }
}
