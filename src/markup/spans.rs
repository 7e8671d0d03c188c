//! Protected spans of plain text: what a translation must give back byte for byte. URLs
//! (`http://`, `https://`, `www.`), e-mail addresses, i18n placeholders (`{name}`, `{0}`,
//! `{{var}}`, `${var}`, printf's `%s`, `%d`, `%1$s`, `%.2f`, `%lu`, `%@`; `%%` is text), emoji
//! sequences (ZWJ sequences, flags, skin tones, keycaps, tag sequences), and byte ranges the
//! caller marks.
//!
//! [`find`] detects them; [`mark`] takes them out of a sentence into a [`Marked`]: the model
//! sees the sentence without them, with the whitespace around each one joined (one space between
//! words, none before punctuation or at either end), and each span becomes a `Verbatim` anchor
//! where it was. Both run in time linear in the text and allocate nothing once their buffers
//! have grown.

use std::ops::Range;

use super::{AnchorKind, Marked};
use crate::error::{Error, Result};

/// Longest `{...}` placeholder body: longer braces are prose, code or JSON, not a placeholder.
const MAX_BRACE_BODY: usize = 64;

/// Appends the protected spans of `text` to `out` (not cleared), in text order and disjoint.
pub(crate) fn find(text: &str, out: &mut Vec<Range<usize>>) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let len = match b[i] {
            b'h' | b'H' | b'w' | b'W' if word_start(text, i) => url_len(text, i),
            b'@' => {
                if let Some(r) = email_at(text, i, out.last().map_or(0, |r| r.end)) {
                    // The local part was scanned over as plain text: the span starts before `i`.
                    i = r.end;
                    out.push(r);
                    continue;
                }
                0
            }
            b'{' => brace_len(b, i),
            b'$' if b.get(i + 1) == Some(&b'{') => match brace_len(b, i + 1) {
                0 => 0,
                n => n + 1,
            },
            b'%' if b.get(i + 1) == Some(&b'%') => {
                i += 2; // a literal percent sign: text
                continue;
            }
            b'%' => printf_len(b, i),
            c if c >= 0xc2 => emoji_len(text, i),
            b'#' | b'*' | b'0'..=b'9' => keycap_len(text, i),
            _ => 0,
        };
        if len > 0 {
            out.push(i..i + len);
            i += len;
        } else {
            i += utf8_len(b[i]);
        }
    }
}

/// Adds the parts of the caller's spans that lie in `within` to `spans`, then sorts `spans` and
/// merges overlapping ones. The caller's spans must have passed [`check_caller_spans`]; empty
/// ones are ignored.
pub(crate) fn add_caller_spans(
    caller: &[Range<usize>],
    within: Range<usize>,
    spans: &mut Vec<Range<usize>>,
) {
    let before = spans.len();
    for r in caller {
        let (s, e) = (r.start.max(within.start), r.end.min(within.end));
        if s < e {
            spans.push(s..e);
        }
    }
    if spans.len() == before {
        return;
    }
    spans.sort_unstable_by_key(|r| (r.start, r.end));
    let mut w = 0;
    for k in 0..spans.len() {
        if w > 0 && spans[k].start < spans[w - 1].end {
            spans[w - 1].end = spans[w - 1].end.max(spans[k].end);
        } else {
            spans[w] = spans[k].clone();
            w += 1;
        }
    }
    spans.truncate(w);
}

/// Checks the caller's spans of `text`: a span out of bounds, reversed or not on character
/// boundaries is an `InvalidArgument`.
pub(crate) fn check_caller_spans(text: &str, caller: &[Range<usize>]) -> Result<()> {
    for (k, r) in caller.iter().enumerate() {
        if r.start > r.end
            || r.end > text.len()
            || !text.is_char_boundary(r.start)
            || !text.is_char_boundary(r.end)
        {
            return Err(Error::invalid_argument(format!(
                "protected span {k} ({}..{}) is not a range of whole characters of the {}-byte \
                 text",
                r.start,
                r.end,
                text.len()
            )));
        }
    }
    Ok(())
}

/// Replaces `marked` with `input[sentence]` minus `spans` (sorted, disjoint, each inside
/// `sentence` or ignored), each span a `Verbatim` anchor. Whitespace is joined where a span
/// was: one space between words, none at either end or before punctuation.
pub(crate) fn mark(
    input: &str,
    sentence: Range<usize>,
    spans: &[Range<usize>],
    marked: &mut Marked,
) {
    marked.clear();
    let mut pos = sentence.start;
    let mut after_span = false;
    for r in spans {
        if r.start < pos || r.end > sentence.end {
            continue;
        }
        push_joined(marked, &input[pos..r.start], after_span);
        marked.push_anchor(AnchorKind::Verbatim, r.clone(), None);
        pos = r.end;
        after_span = true;
    }
    push_joined(marked, &input[pos..sentence.end], after_span);
    let at_end = marked.text.trim_end().len();
    if after_span && at_end < marked.text.len() {
        trim_to(marked, at_end);
    }
}

/// Appends the text between spans; after a span, the whitespace on either side is joined.
fn push_joined(marked: &mut Marked, piece: &str, after_span: bool) {
    if !after_span {
        marked.text.push_str(piece);
        return;
    }
    let ends_in_space = marked.text.is_empty() || marked.text.ends_with(char::is_whitespace);
    let rest = piece.trim_start();
    let next = rest.chars().next();
    if ends_in_space && rest.len() < piece.len() {
        // "a {x} b": the space before the span stays, the one after goes.
    } else if ends_in_space && next.is_some_and(closes) {
        // "Go to {url}." / "Hi {name}, ...": no space before punctuation.
        let keep = marked.text.trim_end().len();
        trim_to(marked, keep);
    } else {
        marked.text.push_str(&piece[..piece.len() - rest.len()]);
    }
    marked.text.push_str(rest);
}

/// Cuts `marked.text` to `len` bytes, moving the anchors that sat beyond it to its end.
fn trim_to(marked: &mut Marked, len: usize) {
    marked.text.truncate(len);
    for a in marked.anchors.iter_mut().rev() {
        if a.at <= len {
            break;
        }
        a.at = len;
    }
}

/// Punctuation that follows a word without a space: a space before it goes with the span.
pub(crate) fn closes(c: char) -> bool {
    matches!(
        c,
        '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '}' | '»' | '”' | '’' | '…' | '。' | '、'
    )
}

fn utf8_len(lead: u8) -> usize {
    match lead {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

/// Whether byte `i` starts a word (the character before it is not a letter, digit or `_`).
fn word_start(text: &str, i: usize) -> bool {
    text[..i]
        .chars()
        .next_back()
        .map_or(true, |c| !c.is_alphanumeric() && c != '_')
}

fn starts_with_ci(b: &[u8], i: usize, prefix: &[u8]) -> bool {
    b.len() >= i + prefix.len() && b[i..i + prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Bytes of a URL at `i` (`http://`, `https://` or `www.` and a host), 0 if none. A URL runs
/// to the next space or quote; trailing punctuation and unbalanced closing brackets are left as
/// text.
fn url_len(text: &str, i: usize) -> usize {
    let b = text.as_bytes();
    let body = if starts_with_ci(b, i, b"https://") {
        i + 8
    } else if starts_with_ci(b, i, b"http://") {
        i + 7
    } else if starts_with_ci(b, i, b"www.") {
        i + 4
    } else {
        return 0;
    };
    if !b.get(body).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return 0;
    }
    let mut end = body;
    for (k, c) in text[body..].char_indices() {
        if c.is_whitespace() || matches!(c, '"' | '<' | '>' | '`' | '{' | '}' | '|' | '\\') {
            end = body + k;
            break;
        }
        end = body + k + c.len_utf8();
    }
    // Trailing punctuation belongs to the sentence; a closing bracket only when the URL did
    // not open it.
    while let Some(c) = text[..end].chars().next_back() {
        let drop = match c {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '…' | '»' | '“' | '”' => true,
            ')' => count(b, i, end, b'(') < count(b, i, end, b')'),
            ']' => count(b, i, end, b'[') < count(b, i, end, b']'),
            _ => false,
        };
        if !drop || end <= body {
            break;
        }
        end -= c.len_utf8();
    }
    if end <= body {
        return 0;
    }
    end - i
}

fn count(b: &[u8], from: usize, to: usize, c: u8) -> usize {
    b[from..to].iter().filter(|&&x| x == c).count()
}

fn is_local_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
}

/// The e-mail address around the `@` at `at`, not reaching before `floor`: a local part of
/// `[A-Za-z0-9._%+-]`, a domain of at least two labels of `[A-Za-z0-9-]`, the last one at
/// least two letters.
fn email_at(text: &str, at: usize, floor: usize) -> Option<Range<usize>> {
    let b = text.as_bytes();
    let mut start = at;
    while start > floor && is_local_char(b[start - 1]) {
        start -= 1;
    }
    while start < at && b[start] == b'.' {
        start += 1;
    }
    if start == at || (start > 0 && b[start - 1] >= 0x80) {
        return None;
    }
    let mut end = at + 1;
    let mut last_dot = None;
    while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'-' || b[end] == b'.') {
        if b[end] == b'.' {
            if b[end - 1] == b'.' || end == at + 1 {
                break;
            }
            last_dot = Some(end);
        }
        end += 1;
    }
    // A full stop after the address ends the sentence.
    while end > at + 1 && b[end - 1] == b'.' {
        end -= 1;
        if last_dot == Some(end) {
            last_dot = b[at + 1..end]
                .iter()
                .rposition(|&c| c == b'.')
                .map(|p| at + 1 + p);
        }
    }
    let dot = last_dot?;
    let tld = &b[dot + 1..end];
    (tld.len() >= 2 && tld.iter().all(u8::is_ascii_alphabetic) && dot > at + 1)
        .then_some(start..end)
}

/// Bytes of a `{...}` or `{{...}}` placeholder at `i`, 0 if none: a body of 1 to
/// [`MAX_BRACE_BODY`] bytes without braces or line breaks that starts with a letter, a digit or
/// `_` (so "{ }" and JSON-like braces stay text).
fn brace_len(b: &[u8], i: usize) -> usize {
    let double = b.get(i + 1) == Some(&b'{');
    let open = if double { 2 } else { 1 };
    let body = i + open;
    let first = match b.get(body) {
        Some(&c) => c,
        None => return 0,
    };
    let first_ok = first.is_ascii_alphanumeric() || first == b'_' || (double && first == b' ');
    if !first_ok {
        return 0;
    }
    let mut k = body;
    while k < b.len() && k - body <= MAX_BRACE_BODY {
        match b[k] {
            b'}' => {
                if double {
                    return if b.get(k + 1) == Some(&b'}') {
                        k + 2 - i
                    } else {
                        0
                    };
                }
                return k + 1 - i;
            }
            b'{' | b'\n' | b'\r' => return 0,
            _ => k += 1,
        }
    }
    0
}

/// Bytes of a printf conversion at `i` (`%s`, `%d`, `%1$s`, `%-5.2f`, `%lu`, `%@`, ...), 0 if
/// none. The conversion must not run on into a word ("%dx" is text), and flags exclude the
/// space ("100% sure" is text).
fn printf_len(b: &[u8], i: usize) -> usize {
    let mut k = i + 1;
    // Argument index: digits then `$`.
    let digits = b[k..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 && b.get(k + digits) == Some(&b'$') {
        k += digits + 1;
    }
    while k < b.len() && matches!(b[k], b'-' | b'+' | b'#' | b'0') {
        k += 1;
    }
    k += b[k..].iter().take_while(|c| c.is_ascii_digit()).count();
    if b.get(k) == Some(&b'.') {
        k += 1;
        k += b[k..].iter().take_while(|c| c.is_ascii_digit()).count();
    }
    for m in [&b"ll"[..], b"hh", b"l", b"h", b"z", b"j", b"t", b"L", b"q"] {
        if b.len() >= k + m.len() && &b[k..k + m.len()] == m {
            k += m.len();
            break;
        }
    }
    let Some(&conv) = b.get(k) else {
        return 0;
    };
    if !b"diouxXeEfFgGaAcspn@".contains(&conv) {
        return 0;
    }
    k += 1;
    if b.get(k).is_some_and(|c| c.is_ascii_alphanumeric()) {
        return 0;
    }
    k - i
}

/// A character that starts an emoji (pictographs, dingbats, regional indicators...).
fn is_emoji_base(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF // mahjong .. symbols and pictographs extended-A (flags, skin tones)
        | 0x2600..=0x27BF // miscellaneous symbols, dingbats
        | 0x2300..=0x23FF // technical: ⌚ ⌛ ⏰ ⏩ ...
        | 0x2B05..=0x2B07 | 0x2B1B | 0x2B1C | 0x2B50 | 0x2B55
        | 0x2934 | 0x2935 | 0x3030 | 0x303D | 0x3297 | 0x3299)
}

/// Characters that are emoji only with the emoji presentation selector after them.
fn is_text_default_emoji(c: char) -> bool {
    matches!(c as u32,
        0xA9 | 0xAE | 0x203C | 0x2049 | 0x2122 | 0x2139 | 0x2194..=0x2199 | 0x21A9 | 0x21AA
        | 0x24C2 | 0x25AA | 0x25AB | 0x25B6 | 0x25C0 | 0x25FB..=0x25FE)
}

/// What may follow inside one emoji: selectors, skin tones, the keycap mark, tags.
fn is_emoji_modifier(c: char) -> bool {
    matches!(c as u32, 0xFE0E | 0xFE0F | 0x1F3FB..=0x1F3FF | 0x20E3 | 0xE0020..=0xE007F)
}

/// Whether `s` starts with an emoji character.
fn starts_emoji(s: &str) -> bool {
    let mut it = s.chars();
    match it.next() {
        Some(c) => is_emoji_base(c) || (is_text_default_emoji(c) && it.next() == Some('\u{FE0F}')),
        None => false,
    }
}

/// Bytes of a run of emoji at `i`, 0 if none: each emoji with its modifiers, joined to the
/// next by a ZWJ or simply adjacent (flags are pairs of adjacent regional indicators).
fn emoji_len(text: &str, i: usize) -> usize {
    let s = &text[i..];
    let mut end = 0;
    while starts_emoji(&s[end..]) {
        let mut chars = s[end..].chars();
        end += chars.next().map_or(0, char::len_utf8);
        end += chars
            .take_while(|&c| is_emoji_modifier(c))
            .map(char::len_utf8)
            .sum::<usize>();
        // A ZWJ only counts when an emoji follows it.
        if let Some(rest) = s[end..].strip_prefix('\u{200D}') {
            if starts_emoji(rest) {
                end += '\u{200D}'.len_utf8();
            }
        }
    }
    end
}

/// Bytes of a keycap emoji at `i` (`1️⃣`, `#⃣`: the key, an optional selector, U+20E3), 0 if
/// none.
fn keycap_len(text: &str, i: usize) -> usize {
    let rest = &text[i + 1..];
    let rest = rest.strip_prefix('\u{FE0F}').unwrap_or(rest);
    if rest.starts_with('\u{20E3}') {
        text.len() - rest.len() + '\u{20E3}'.len_utf8() - i
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        find(text, &mut out);
        for w in out.windows(2) {
            assert!(w[0].end <= w[1].start, "{text:?}: {out:?}");
        }
        out.into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn urls() {
        assert_eq!(
            spans("Visit https://example.com/a?b=1&c=2#x now"),
            ["https://example.com/a?b=1&c=2#x"]
        );
        assert_eq!(spans("See www.example.de."), ["www.example.de"]);
        assert_eq!(
            spans("(see http://x.org/wiki/A_(b))."),
            ["http://x.org/wiki/A_(b)"]
        );
        assert_eq!(spans("(see http://x.org/a)."), ["http://x.org/a"]);
        assert_eq!(spans("HTTPS://EXAMPLE.COM, then"), ["HTTPS://EXAMPLE.COM"]);
        assert_eq!(
            spans("Öffne „https://bücher.de/straße“ jetzt"),
            ["https://bücher.de/straße"]
        );
        assert!(spans("http:// and https://. and www. and awww.x and https").is_empty());
        assert_eq!(spans("<https://a.io>"), ["https://a.io"]);
    }

    #[test]
    fn emails() {
        assert_eq!(
            spans("Mail jane.doe+ui@mail.example.com."),
            ["jane.doe+ui@mail.example.com"]
        );
        assert_eq!(spans("an info@beispiel.de schreiben"), ["info@beispiel.de"]);
        assert_eq!(
            spans("Grüße an info@example.de, danke"),
            ["info@example.de"]
        );
        // ASCII addresses only: a local part glued to other letters is not one.
        assert!(spans("über-info@x.de info@bücher.de").is_empty());
        assert!(spans("@home foo@ a@b a@b.c x@y.z1 @@ .@a.bc").is_empty());
        assert_eq!(spans("a@b.cd,e@f.gh"), ["a@b.cd", "e@f.gh"]);
    }

    #[test]
    fn placeholders() {
        assert_eq!(
            spans("Hello {name}, you have {0} new {count, plural} items"),
            ["{name}", "{0}", "{count, plural}"]
        );
        assert_eq!(
            spans("Hi {{user.name}} and ${var}!"),
            ["{{user.name}}", "${var}"]
        );
        assert_eq!(
            spans("%s sent %d photos, %1$s owes %2$d, %.2f%% done, %lu, %@, %-5s."),
            ["%s", "%d", "%1$s", "%2$d", "%.2f", "%lu", "%@", "%-5s"]
        );
        // `%%` is a percent sign; prose percentages and braces are text.
        assert!(spans("100%% sure, 50% off, 100% sure, 20%dx, { }, {}, {\"a\": 1}, %").is_empty());
        assert_eq!(spans("%%d"), Vec::<&str>::new());
        assert_eq!(spans("{a}{b}%s%d"), ["{a}", "{b}", "%s", "%d"]);
        assert_eq!(spans("Größe: {größe}"), ["{größe}"]);
        assert_eq!(spans("Größe: {size}"), ["{size}"]);
    }

    #[test]
    fn emoji() {
        // A ZWJ family, a flag, a skin tone, a keycap, a subdivision flag, a text-default
        // character with the emoji selector.
        let family = "👨\u{200D}👩\u{200D}👧";
        let text = format!(
            "Wir {family} in 🇩🇪! 👍🏽 Taste 1️⃣, #⃣ 🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F} ©\u{FE0F} ©"
        );
        assert_eq!(
            spans(&text),
            [
                family,
                "🇩🇪",
                "👍🏽",
                "1️⃣",
                "#⃣",
                "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}",
                "©\u{FE0F}"
            ]
        );
        // Adjacent emoji form one span; a dangling ZWJ is not part of it.
        assert_eq!(spans("ok😀😂!"), ["😀😂"]);
        assert_eq!(spans("x😀\u{200D} y"), ["😀"]);
        assert_eq!(spans("❤️ ✨"), ["❤️", "✨"]);
    }

    #[test]
    fn adjacent_spans_of_different_kinds() {
        assert_eq!(
            spans("{name}😀https://a.de/x %s@ a@b.de{0}"),
            ["{name}", "😀", "https://a.de/x", "%s", "a@b.de", "{0}"]
        );
    }

    #[test]
    fn caller_spans_merge_and_are_checked() {
        let text = "Press Ctrl+S to save ü";
        let caller = [6..12, 0..0, 8..10, 13..15, 20..23];
        check_caller_spans(text, &caller).unwrap();
        let mut s = Vec::new();
        find(text, &mut s);
        add_caller_spans(&caller, 0..text.len(), &mut s);
        assert_eq!(s, [6..12, 13..15, 20..23]);
        // Only the parts inside the sentence.
        s.clear();
        add_caller_spans(&caller, 9..14, &mut s);
        assert_eq!(s, [9..12, 13..14]);
        #[allow(clippy::reversed_empty_ranges)]
        let bad = [5..4, 0..99, 21..22];
        for bad in bad {
            let e = check_caller_spans(text, std::slice::from_ref(&bad)).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
        }
    }

    fn marked(text: &str) -> (String, Vec<(usize, &str)>) {
        let mut s = Vec::new();
        find(text, &mut s);
        let mut m = Marked::default();
        mark(text, 0..text.len(), &s, &mut m);
        for a in &m.anchors {
            assert!(a.at <= m.text.len() && m.text.is_char_boundary(a.at));
        }
        let anchors = m
            .anchors
            .iter()
            .map(|a| (a.at, &text[a.src.clone()]))
            .collect();
        (m.text, anchors)
    }

    #[test]
    fn the_model_sees_the_sentence_without_spans() {
        assert_eq!(
            marked("Hello {name}, you have %d new messages."),
            (
                "Hello, you have new messages.".into(),
                vec![(5, "{name}"), (16, "%d")]
            )
        );
        assert_eq!(
            marked("Go to https://x.io."),
            ("Go to.".into(), vec![(5, "https://x.io")])
        );
        assert_eq!(
            marked("{count} files 👍"),
            ("files".into(), vec![(0, "{count}"), (5, "👍")])
        );
        assert_eq!(
            marked("Grüße {a} {b} (an dich) {c}"),
            (
                "Grüße (an dich)".into(),
                vec![(8, "{a}"), (8, "{b}"), (17, "{c}")]
            )
        );
        assert_eq!(marked("Plain text."), ("Plain text.".into(), vec![]));
        // Only closing punctuation takes the space before it.
        assert_eq!(
            marked("Loading %s… %d%% done"),
            ("Loading… %% done".into(), vec![(7, "%s"), (11, "%d")])
        );
        assert_eq!(
            marked("{a}{b}"),
            (String::new(), vec![(0, "{a}"), (0, "{b}")])
        );
    }

    #[test]
    fn only_spans_inside_the_sentence_are_taken() {
        let text = "A {x}. B {y} c.";
        let mut s = Vec::new();
        find(text, &mut s);
        let mut m = Marked::default();
        mark(text, 7..text.len(), &s, &mut m);
        assert_eq!(m.text, "B c.");
        assert_eq!(m.anchors.len(), 1);
        assert_eq!(&text[m.anchors[0].src.clone()], "{y}");
    }

    #[test]
    fn arbitrary_text_never_panics_and_spans_are_sound() {
        let pieces = [
            "a",
            " ",
            "{",
            "}",
            "{{",
            "}}",
            "$",
            "%",
            "%%",
            "1$",
            "s",
            "d",
            ".",
            "@",
            "http",
            "://",
            "www.",
            "é",
            "ß",
            "😀",
            "\u{200D}",
            "\u{FE0F}",
            "🇩",
            "🇪",
            "🏽",
            "\u{20E3}",
            "#",
            "1",
            "(",
            ")",
            "\n",
            "\u{E0067}",
            "\u{E007F}",
            ",",
            "-",
            "©",
            "中",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut s = Vec::new();
        let mut m = Marked::default();
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..rnd(16) {
                text.push_str(pieces[rnd(pieces.len())]);
            }
            s.clear();
            find(&text, &mut s);
            let mut prev = 0;
            for r in &s {
                assert!(
                    prev <= r.start && r.start < r.end && r.end <= text.len(),
                    "{text:?}"
                );
                assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
                prev = r.end;
            }
            mark(&text, 0..text.len(), &s, &mut m);
            assert_eq!(m.anchors.len(), s.len());
            let mut at = 0;
            for a in &m.anchors {
                assert!(at <= a.at && a.at <= m.text.len() && m.text.is_char_boundary(a.at));
                at = a.at;
            }
        }
    }
}
