//! Putting anchors back into a translation: the projection of a [`Marked`] source through an
//! alignment onto the translated text.
//!
//! Positions (see `docs/markup.md`):
//! - a pair (`Open` .. `Close`) wraps the target tokens aligned to the source tokens it wrapped,
//!   from the first one's start to the last one's end; when none of them is aligned, its ends
//!   go where their relative positions in the source fall in the target (on a token
//!   boundary), so a pair around the whole sentence wraps the whole translation;
//! - a point (`Verbatim`) goes after the last target token aligned to the closest source token
//!   before it that has an alignment; at the start of the source (or with no such token), where
//!   its relative position falls (0 at the start);
//! - then every anchor is clamped inside its parent pair, and siblings that the alignment made
//!   overlap (crossing alignments) are pushed after each other in target order, so the output
//!   nests whenever the pairs did.
//!
//! A point is written with the spaces its input had: a space before it when the input had one
//! and the output does not end with one, a space after it when the input had one and the
//! translation does not continue with one. Pairs are written as they are. Everything is
//! deterministic: ties keep input order.

use super::spans::closes;
use super::{push_text, AnchorKind, Marked};
use crate::translator::Aligned;
use crate::AlignmentLink;

/// The parent index of a top-level anchor.
const ROOT: usize = usize::MAX;

/// What an anchor is once pairs are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Written at one position.
    Point,
    /// A valid `Open` whose `Close` is at this index.
    Pair(usize),
    /// The `Close` of a valid pair: written with its `Open`.
    Closing,
}

/// Reusable buffers of [`project`]: after the largest call, projecting allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct ProjectScratch {
    role: Vec<Role>,
    parent: Vec<usize>,
    /// Each anchor's target byte range (raw, then final); the root's is last.
    range: Vec<(usize, usize)>,
    /// Node indices grouped by parent; `kids_of[p]` is the group of node `p` (the root last).
    kids: Vec<usize>,
    kids_of: Vec<(usize, usize)>,
    stack: Vec<usize>,
    /// DFS state: (node, next kid position in `kids`).
    walk: Vec<(usize, usize)>,
    /// Sorted word starts and ends of the translation.
    starts: Vec<usize>,
    ends: Vec<usize>,
}

/// Appends to `out` the translation `aligned.text` of `marked.text` with the bytes of every
/// anchor of `marked` (taken from `input`) put back exactly once. `aligned` aligns the
/// translation to `marked.text` (its source spans index `marked.text`). With `escape`, the
/// translated text is written with `&`, `<` and `>` as entities (HTML output); anchors are
/// always written verbatim.
pub(crate) fn project(
    input: &str,
    marked: &Marked,
    aligned: &Aligned<'_>,
    escape: bool,
    sc: &mut ProjectScratch,
    out: &mut String,
) {
    let n = marked.anchors.len();
    let text = aligned.text;
    if n == 0 {
        push_text(out, text, escape);
        return;
    }
    check_pairs(marked, sc);
    find_parents(marked, sc);
    boundaries(aligned, sc);
    sc.range.clear();
    for (i, a) in marked.anchors.iter().enumerate() {
        let r = match sc.role[i] {
            Role::Point | Role::Closing => {
                let p = point_position(a.at, marked.text.len(), aligned, &sc.ends);
                (p, p)
            }
            Role::Pair(c) => pair_range(a.at, marked.anchors[c].at, marked, aligned, sc),
        };
        sc.range.push(r);
    }
    sc.range.push((0, text.len()));
    group_kids(sc, n);
    settle(sc, n);
    emit(input, marked, text, escape, sc, out);
}

/// Decides which pairs are valid: an `Open` and a `Close` that name each other and nest with
/// the other pairs. The others become points.
fn check_pairs(marked: &Marked, sc: &mut ProjectScratch) {
    let anchors = &marked.anchors;
    let n = anchors.len();
    sc.role.clear();
    sc.stack.clear();
    for (i, a) in anchors.iter().enumerate() {
        let role = match (a.kind, a.pair) {
            (AnchorKind::Open, Some(c))
                if c > i
                    && c < n
                    && anchors[c].kind == AnchorKind::Close
                    && anchors[c].pair == Some(i) =>
            {
                sc.stack.push(i);
                Role::Pair(c)
            }
            (AnchorKind::Close, Some(o)) if sc.stack.last() == Some(&o) => {
                sc.stack.pop();
                Role::Closing
            }
            (AnchorKind::Close, Some(o)) => {
                // It closes a pair that another one crosses: both become points.
                if let Some(k) = sc.stack.iter().rposition(|&s| s == o) {
                    sc.stack.remove(k);
                    sc.role[o] = Role::Point;
                }
                Role::Point
            }
            _ => Role::Point,
        };
        sc.role.push(role);
    }
}

fn find_parents(marked: &Marked, sc: &mut ProjectScratch) {
    sc.parent.clear();
    sc.stack.clear();
    for i in 0..marked.anchors.len() {
        sc.parent.push(sc.stack.last().copied().unwrap_or(ROOT));
        match sc.role[i] {
            Role::Pair(_) => sc.stack.push(i),
            Role::Closing => {
                sc.stack.pop();
            }
            Role::Point => {}
        }
    }
}

/// The translation's token boundaries, sorted: `starts` (where a word begins: a pair opens
/// there) and `ends` (where one ends: a pair closes and a point goes there), both with 0 and
/// the text's length.
fn boundaries(aligned: &Aligned<'_>, sc: &mut ProjectScratch) {
    let text = aligned.text;
    let len = text.len();
    for (v, start) in [(&mut sc.starts, true), (&mut sc.ends, false)] {
        v.clear();
        v.push(0);
        v.push(len);
        for l in aligned.links {
            let b = if start { l.target_start } else { l.target_end } as usize;
            if l.target_start < l.target_end && b <= len && text.is_char_boundary(b) {
                v.push(b);
            }
        }
        v.sort_unstable();
        v.dedup();
    }
}

/// Where `at` (a byte offset in a source of `src_len` bytes) falls in the translation by
/// relative position, on the nearest of `bounds` (the earlier one on a tie).
fn relative(at: usize, src_len: usize, bounds: &[usize]) -> usize {
    let tgt_len = *bounds.last().unwrap_or(&0);
    let want = if src_len == 0 {
        0
    } else {
        (at.min(src_len) as u128 * tgt_len as u128 / src_len as u128) as usize
    };
    let i = bounds.partition_point(|&b| b < want);
    match (i.checked_sub(1).map(|j| bounds[j]), bounds.get(i)) {
        (Some(lo), Some(&hi)) if want - lo <= hi - want => lo,
        (_, Some(&hi)) => hi,
        (Some(lo), None) => lo,
        (None, None) => 0,
    }
}

fn has_source(l: &AlignmentLink) -> bool {
    l.source_start < l.source_end
}

/// Whether link `l`'s target token is part of a word (not only punctuation or space): the
/// final full stop often attends to the last content word, and must not pull anchors after it.
fn wordy(text: &str, l: &AlignmentLink) -> bool {
    let (s, e) = (l.target_start as usize, l.target_end as usize);
    s < e
        && text
            .get(s..e)
            .is_some_and(|t| t.chars().any(char::is_alphanumeric))
}

/// Moves `pos` forward to the end of the word it is in (alignments link subword tokens).
fn word_end(text: &str, mut pos: usize) -> usize {
    let inside = |p: usize| {
        text[..p]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
            && text[p..].chars().next().is_some_and(char::is_alphanumeric)
    };
    while pos < text.len() && inside(pos) {
        pos += text[pos..].chars().next().map_or(1, char::len_utf8);
    }
    pos
}

/// Moves `pos` back to the start of the word it is in.
fn word_start(text: &str, mut pos: usize) -> usize {
    let inside = |p: usize| {
        text[..p]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
            && text[p..].chars().next().is_some_and(char::is_alphanumeric)
    };
    while pos > 0 && inside(pos) {
        pos -= text[..pos].chars().next_back().map_or(1, char::len_utf8);
    }
    pos
}

/// A target position that is a character boundary of `text`, at most its length.
fn on_text(text: &str, mut pos: usize) -> usize {
    pos = pos.min(text.len());
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    pos
}

fn point_position(at: usize, src_len: usize, aligned: &Aligned<'_>, bounds: &[usize]) -> usize {
    let text = aligned.text;
    let links = aligned.links;
    // The closest source token before the point that a word of the translation is aligned to.
    let usable = |l: &AlignmentLink| has_source(l) && l.source_end as usize <= at && wordy(text, l);
    let Some(end) = links
        .iter()
        .filter(|l| usable(l))
        .map(|l| l.source_end)
        .max()
    else {
        return relative(at, src_len, bounds);
    };
    // Several target words may be aligned to it (a word and stray links): of the runs of
    // consecutive target tokens aligned to it, the one whose start lies nearest to where the
    // point lies in the source, relatively (the earlier one on a tie).
    let want = at as f64 / src_len.max(1) as f64;
    let tgt_len = text.len().max(1) as f64;
    let mut best: Option<(f64, usize)> = None;
    let mut k = 0;
    while k < links.len() {
        if !(usable(&links[k]) && links[k].source_end == end) {
            k += 1;
            continue;
        }
        let start = links[k].target_start as usize;
        let mut pos = links[k].target_end as usize;
        k += 1;
        while k < links.len() && links[k].source_end == end {
            pos = pos.max(links[k].target_end as usize);
            k += 1;
        }
        let dist = (start as f64 / tgt_len - want).abs();
        if best.map_or(true, |(d, _)| dist < d) {
            best = Some((dist, pos));
        }
    }
    let pos = best.map_or(0, |(_, p)| p);
    word_end(text, on_text(text, pos))
}

fn pair_range(
    a: usize,
    b: usize,
    marked: &Marked,
    aligned: &Aligned<'_>,
    sc: &ProjectScratch,
) -> (usize, usize) {
    let src_len = marked.text.len();
    let b = b.max(a);
    if a == b {
        let p = point_position(a, src_len, aligned, &sc.ends);
        return (p, p);
    }
    let text = aligned.text;
    let len = text.len();
    let wrapped = |l: &AlignmentLink| {
        let (ss, se) = (l.source_start as usize, l.source_end as usize);
        let (ts, te) = (l.target_start as usize, l.target_end as usize);
        ss < se && ss < b && se > a && ts < te && te <= len
    };
    // Words first; punctuation only when the pair wrapped nothing else.
    for words_only in [true, false] {
        let mut lo = usize::MAX;
        let mut hi = 0;
        for l in aligned.links {
            if wrapped(l) && (!words_only || wordy(text, l)) {
                lo = lo.min(l.target_start as usize);
                hi = hi.max(l.target_end as usize);
            }
        }
        if lo < hi {
            let lo = word_start(text, on_text(text, lo));
            return (lo, word_end(text, on_text(text, hi)));
        }
    }
    let lo = relative(a, src_len, &sc.starts);
    (lo, relative(b, src_len, &sc.ends).max(lo))
}

/// Groups node indices by parent: `kids_of[p]` (the root's at index `n`) is a range of `kids`,
/// in anchor order.
fn group_kids(sc: &mut ProjectScratch, n: usize) {
    sc.kids.clear();
    for i in 0..n {
        if sc.role[i] != Role::Closing {
            sc.kids.push(i);
        }
    }
    let parent = &sc.parent;
    let key = |i: usize| match parent[i] {
        ROOT => 0,
        p => p + 1,
    };
    sc.kids.sort_unstable_by_key(|&i| (key(i), i));
    sc.kids_of.clear();
    sc.kids_of.resize(n + 1, (0, 0));
    let mut k = 0;
    while k < sc.kids.len() {
        let p = sc.parent[sc.kids[k]];
        let start = k;
        while k < sc.kids.len() && sc.parent[sc.kids[k]] == p {
            k += 1;
        }
        sc.kids_of[if p == ROOT { n } else { p }] = (start, k);
    }
}

/// Final ranges, parents first (a parent precedes its kids in anchor order): each kid clamped
/// inside its parent, the kids of one parent ordered by target position and made disjoint.
fn settle(sc: &mut ProjectScratch, n: usize) {
    for p in std::iter::once(n).chain(0..n) {
        if p < n && !matches!(sc.role[p], Role::Pair(_)) {
            continue;
        }
        let (ps, pe) = sc.range[p];
        let (lo, hi) = sc.kids_of[p];
        for &k in &sc.kids[lo..hi] {
            let (s, e) = sc.range[k];
            let s = s.clamp(ps, pe);
            sc.range[k] = (s, e.clamp(s, pe));
        }
        let range = &sc.range;
        sc.kids[lo..hi].sort_unstable_by_key(|&k| (range[k].0, range[k].1, k));
        let mut cursor = ps;
        for &k in &sc.kids[lo..hi] {
            let (s, e) = sc.range[k];
            let s = s.max(cursor);
            let e = e.max(s);
            sc.range[k] = (s, e);
            cursor = e;
        }
    }
}

/// Writes the tree depth first: the translation between anchors, each anchor's input bytes.
fn emit(
    input: &str,
    marked: &Marked,
    text: &str,
    escape: bool,
    sc: &mut ProjectScratch,
    out: &mut String,
) {
    let n = marked.anchors.len();
    let out_start = out.len();
    let mut pos = 0;
    sc.walk.clear();
    sc.walk.push((n, sc.kids_of[n].0));
    while let Some(&(node, next)) = sc.walk.last() {
        let (_, hi) = sc.kids_of[node];
        if next < hi {
            sc.walk.last_mut().expect("not empty").1 += 1;
            let k = sc.kids[next];
            let (s, _) = sc.range[k];
            push_text(out, slice(text, pos, s), escape);
            pos = pos.max(s);
            let a = &marked.anchors[k];
            match sc.role[k] {
                Role::Pair(_) => {
                    out.push_str(&input[a.src.clone()]);
                    sc.walk.push((k, sc.kids_of[k].0));
                }
                _ => write_point(input, a.src.clone(), &text[pos..], out_start, out),
            }
        } else {
            let (_, e) = sc.range[node];
            push_text(out, slice(text, pos, e), escape);
            pos = pos.max(e);
            if let Role::Pair(c) = sc.role.get(node).copied().unwrap_or(Role::Point) {
                out.push_str(&input[marked.anchors[c].src.clone()]);
            }
            sc.walk.pop();
        }
    }
}

/// `text[from..to]`, empty when `to` is not after `from`.
fn slice(text: &str, from: usize, to: usize) -> &str {
    if to > from {
        &text[from..to]
    } else {
        ""
    }
}

fn write_point(
    input: &str,
    src: std::ops::Range<usize>,
    rest: &str,
    out_start: usize,
    out: &mut String,
) {
    let space_before = input[..src.start]
        .chars()
        .next_back()
        .is_some_and(char::is_whitespace);
    let space_after = input[src.end..]
        .chars()
        .next()
        .is_some_and(char::is_whitespace);
    if space_before && out.len() > out_start && !out[out_start..].ends_with(char::is_whitespace) {
        out.push(' ');
    }
    out.push_str(&input[src]);
    let next = rest.chars().next();
    if space_after && next.is_some_and(|c| !c.is_whitespace() && !closes(c)) {
        out.push(' ');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-made alignment: `(source word, target word)` pairs by their text, found in
    /// `src` and `tgt` (first occurrence after the previous one of the same side).
    fn links(src: &str, tgt: &str, pairs: &[(&str, &str)]) -> Vec<AlignmentLink> {
        pairs
            .iter()
            .enumerate()
            .map(|(i, (s, t))| {
                let ss = find_word(src, s);
                let ts = find_word(tgt, t);
                AlignmentLink {
                    source_token: ss as u32,
                    target_token: i as u32,
                    source_start: ss as u32,
                    source_end: (ss + s.len()) as u32,
                    target_start: ts as u32,
                    target_end: (ts + t.len()) as u32,
                }
            })
            .collect()
    }

    /// The byte offset of `w` as a whole word in `text`.
    fn find_word(text: &str, w: &str) -> usize {
        text.match_indices(w)
            .map(|(i, _)| i)
            .find(|&i| {
                let before = text[..i].chars().next_back();
                let after = text[i + w.len()..].chars().next();
                !before.is_some_and(char::is_alphanumeric)
                    && !after.is_some_and(char::is_alphanumeric)
            })
            .unwrap_or_else(|| panic!("{w:?} not in {text:?}"))
    }

    /// Marks `input` like a tiny markup reader: `{...}` is a point, `[` opens and `]` closes a
    /// pair; the rest is model text.
    fn mark(input: &str) -> Marked {
        let mut m = Marked::default();
        let mut open = Vec::new();
        let mut i = 0;
        let b = input.as_bytes();
        while i < b.len() {
            match b[i] {
                b'{' => {
                    let end = i + input[i..].find('}').unwrap() + 1;
                    m.push_anchor(AnchorKind::Verbatim, i..end, None);
                    i = end;
                }
                b'[' => {
                    open.push(m.push_anchor(AnchorKind::Open, i..i + 1, None));
                    i += 1;
                }
                b']' => {
                    let o = open.pop().unwrap();
                    let c = m.push_anchor(AnchorKind::Close, i..i + 1, Some(o));
                    m.anchors[o].pair = Some(c);
                    i += 1;
                }
                _ => {
                    let ch = input[i..].chars().next().unwrap();
                    m.text.push(ch);
                    i += ch.len_utf8();
                }
            }
        }
        m
    }

    fn run(input: &str, m: &Marked, tgt: &str, pairs: &[(&str, &str)], escape: bool) -> String {
        let l = links(&m.text, tgt, pairs);
        let aligned = Aligned {
            text: tgt,
            source_ids: &[],
            target_ids: &[],
            links: &l,
        };
        let mut sc = ProjectScratch::default();
        let mut out = String::from("(before)");
        project(input, m, &aligned, escape, &mut sc, &mut out);
        let again = {
            let mut o = String::from("(before)");
            project(input, m, &aligned, escape, &mut sc, &mut o);
            o
        };
        assert_eq!(out, again, "deterministic with a reused scratch");
        out.strip_prefix("(before)").unwrap().to_owned()
    }

    fn proj(input: &str, tgt: &str, pairs: &[(&str, &str)]) -> String {
        let m = mark(input);
        run(input, &m, tgt, pairs, false)
    }

    #[test]
    fn no_anchors_is_the_translation() {
        assert_eq!(proj("Hello world", "Hallo Welt", &[]), "Hallo Welt");
        let m = mark("a < b");
        assert_eq!(run("a < b", &m, "a < b & c", &[], true), "a &lt; b &amp; c");
    }

    #[test]
    fn a_point_follows_the_translation_of_the_word_before_it() {
        let al = [("Hello", "Hallo"), ("you", "du")];
        assert_eq!(
            proj("Hello {name}, you", "Hallo, du", &al),
            "Hallo {name}, du"
        );
        // German moves the verb: the placeholder follows "haben" wherever it went.
        assert_eq!(
            proj(
                "Today you have {n} messages",
                "Heute haben Sie Nachrichten",
                &[
                    ("Today", "Heute"),
                    ("have", "haben"),
                    ("you", "Sie"),
                    ("messages", "Nachrichten")
                ]
            ),
            "Heute haben {n} Sie Nachrichten"
        );
    }

    #[test]
    fn no_space_is_added_before_closing_punctuation() {
        let al = [("Thanks", "Danke")];
        assert_eq!(proj("Thanks {x} they", "Danke.", &al), "Danke {x}.");
        assert_eq!(proj("Thanks {x} they", "Danke (ja)", &al), "Danke {x} (ja)");
    }

    #[test]
    fn of_several_aligned_words_the_one_at_the_points_relative_position() {
        // "with" has a stray link to "auf" early on and its real one, "mit", near the end,
        // where the point is.
        let al = [("go", "geh"), ("with", "auf"), ("with", "mit")];
        assert_eq!(
            proj("go with {x}", "geh auf X mit", &al),
            "geh auf X mit {x}"
        );
        assert_eq!(
            proj("{y} with go", "auf geh mit", &al[1..]),
            "{y} auf geh mit"
        );
    }

    #[test]
    fn points_at_the_start_and_the_end() {
        let al = [("files", "Dateien"), ("deleted", "gelöscht")];
        assert_eq!(
            proj("{n} files deleted {x}", "Dateien gelöscht", &al),
            "{n} Dateien gelöscht {x}"
        );
        // Nothing aligned before it: its relative position (here: the end).
        assert_eq!(proj("Thanks {👍}", "Danke", &[]), "Danke {👍}");
        assert_eq!(proj("{👍} Thanks", "Danke", &[]), "{👍} Danke");
    }

    #[test]
    fn adjacent_points_keep_their_order_and_spacing() {
        let al = [("Hi", "Hallo")];
        assert_eq!(proj("Hi {a}{b} {c}", "Hallo", &al), "Hallo {a}{b} {c}");
        assert_eq!(proj("Hi {a}{b}!", "Hallo!", &al), "Hallo {a}{b}!");
        assert_eq!(proj("Hi({a})", "Hallo()", &al), "Hallo{a}()");
    }

    #[test]
    fn a_pair_wraps_the_translation_of_what_it_wrapped() {
        let al = [("Hello", "Hallo"), ("big", "große"), ("world", "Welt")];
        assert_eq!(
            proj("Hello [big world]!", "Hallo große Welt!", &al),
            "Hallo [große Welt]!"
        );
        // Reordered target words: min..max of what they align to.
        let al = [("red", "rote"), ("car", "Wagen"), ("very", "sehr")];
        assert_eq!(
            proj("[very] red car", "sehr rote Wagen", &al),
            "[sehr] rote Wagen"
        );
        assert_eq!(
            proj("very [red car]", "Wagen sehr rote", &al),
            "[Wagen sehr rote]"
        );
    }

    #[test]
    fn an_unaligned_pair_falls_back_to_its_relative_position() {
        assert_eq!(proj("[Hello world]", "Hallo Welt", &[]), "[Hallo Welt]");
        // "world" aligned to nothing ("Welt" to "Hello"): where it falls.
        let al = [("Hello", "Hallo"), ("Hello", "Welt")];
        assert_eq!(proj("Hello [world]", "Hallo Welt", &al), "Hallo [Welt]");
        let al = [("Hello", "Hallo")];
        // An empty pair is a point.
        assert_eq!(proj("Hello [] world", "Hallo Welt", &al), "Hallo[] Welt");
    }

    /// (source span, target span) of each target token.
    type Spans = ((usize, usize), (usize, usize));

    fn raw_run(input: &str, tgt: &str, l: &[Spans]) -> String {
        let links: Vec<AlignmentLink> = l
            .iter()
            .enumerate()
            .map(|(i, &((ss, se), (ts, te)))| AlignmentLink {
                source_token: ss as u32,
                target_token: i as u32,
                source_start: ss as u32,
                source_end: se as u32,
                target_start: ts as u32,
                target_end: te as u32,
            })
            .collect();
        let aligned = Aligned {
            text: tgt,
            source_ids: &[],
            target_ids: &[],
            links: &links,
        };
        let mut out = String::new();
        let m = mark(input);
        project(
            input,
            &m,
            &aligned,
            false,
            &mut ProjectScratch::default(),
            &mut out,
        );
        out
    }

    #[test]
    fn subword_tokens_and_stray_punctuation() {
        // "dogs run" -> "Hund" "e" "laufen" "."; the full stop also attends to "dogs".
        let l = [
            ((0, 4), (0, 4)),
            ((0, 4), (4, 5)),
            ((5, 8), (6, 12)),
            ((0, 4), (12, 13)),
        ];
        assert_eq!(
            raw_run("dogs {x} run", "Hunde laufen.", &l),
            "Hunde {x} laufen."
        );
        assert_eq!(
            raw_run("[dogs] run", "Hunde laufen.", &l),
            "[Hunde] laufen."
        );
        // Only the first piece aligned: the point still waits for the end of the word, the
        // pair still wraps all of it.
        let l = [((0, 4), (0, 4)), ((5, 8), (4, 12))];
        assert_eq!(
            raw_run("dogs {x} run", "Hundelaufen", &l),
            "Hundelaufen {x}"
        );
        assert_eq!(
            raw_run(
                "dogs [run]",
                "Hunde laufen",
                &[((0, 4), (0, 4)), ((5, 8), (6, 9))]
            ),
            "Hunde [laufen]"
        );
        // A pair around punctuation only.
        assert_eq!(
            raw_run("Hi [!]", "Hallo!", &[((0, 2), (0, 5)), ((3, 4), (5, 6))]),
            "Hallo[!]"
        );
    }

    #[test]
    fn children_stay_inside_their_parent() {
        let al = [("a", "A"), ("b", "B"), ("c", "C")];
        assert_eq!(proj("[a [b] c]", "A B C", &al), "[A [B] C]");
        // The parent spans the translations of all its words, whatever comes between them.
        let al = [("a", "A"), ("b", "B"), ("c", "C"), ("d", "D")];
        assert_eq!(proj("[a [b]] c d", "B C A D", &al), "[[B] C A] D");
        // A child placed outside its parent (here by relative position) is clamped to its edge.
        let al = [("x", "X"), ("x", "B"), ("a", "A")];
        assert_eq!(proj("x [a [b]]", "B A X", &al), "B [A[]] X");
        // A point inside a pair stays inside it.
        assert_eq!(
            proj(
                "x [a {p}] c",
                "C A x",
                &[("a", "A"), ("c", "C"), ("x", "x")]
            ),
            "C [A {p}] x"
        );
    }

    #[test]
    fn crossing_alignments_still_nest() {
        // a -> A, C; b -> B: the siblings overlap in the target and are made disjoint.
        let src = "[a] [b]";
        let m = mark(src);
        let tgt = "A B C";
        let mut l = links(&m.text, tgt, &[("a", "A"), ("b", "B")]);
        let mut c = l[0];
        c.target_start = 4;
        c.target_end = 5;
        l.push(c);
        let aligned = Aligned {
            text: tgt,
            source_ids: &[],
            target_ids: &[],
            links: &l,
        };
        let mut out = String::new();
        project(
            src,
            &m,
            &aligned,
            false,
            &mut ProjectScratch::default(),
            &mut out,
        );
        assert_eq!(out, "[A B C][]");
        assert_well_formed(&out);
    }

    #[test]
    fn empty_translation_keeps_every_anchor() {
        let out = proj("{x} [a [b] {y}] c", "", &[]);
        assert_eq!(out, "{x}[[] {y}]");
    }

    #[test]
    fn broken_pairs_become_points() {
        // Crossing pairs in the source: a1 opens, a2 opens, a1 closes, a2 closes.
        let input = "<a>x<b>y</a>z</b>";
        let mut m = Marked::default();
        m.push_anchor(AnchorKind::Open, 0..3, Some(2));
        m.text.push_str("x ");
        m.push_anchor(AnchorKind::Open, 4..7, Some(3));
        m.text.push_str("y ");
        m.push_anchor(AnchorKind::Close, 8..12, Some(0));
        m.text.push('z');
        m.push_anchor(AnchorKind::Close, 13..17, Some(1));
        let out = run(
            input,
            &m,
            "X Y Z",
            &[("x", "X"), ("y", "Y"), ("z", "Z")],
            false,
        );
        assert_eq!(out, "<a>X <b>Y</a> Z</b>");
        // A Close without partner, an Open whose partner does not point back.
        let mut m = Marked::default();
        m.push_anchor(AnchorKind::Close, 0..4, None);
        m.text.push('x');
        m.push_anchor(AnchorKind::Open, 4..7, Some(0));
        let out = run("</a><b>x", &m, "X", &[("x", "X")], false);
        assert_eq!(out, "</a>X<b>");
    }

    #[test]
    fn escaping_touches_only_the_translation() {
        let input = "Tom [&] Jerry {<br>}";
        let m = mark(input);
        let al = [("Tom", "Tom"), ("&", "&"), ("Jerry", "Jerry")];
        let out = run(input, &m, "Tom & Jerry <3", &al, true);
        assert_eq!(out, "Tom [&amp;] Jerry {<br>} &lt;3");
    }

    #[test]
    fn non_ascii_text_around_anchors() {
        let al = [("Grüße", "Приветы"), ("an", "для"), ("Zoë", "Зоэ")];
        assert_eq!(
            proj("Grüße {🇩🇪} an [Zoë]", "Приветы для Зоэ", &al),
            "Приветы {🇩🇪} для [Зоэ]"
        );
    }

    /// Brackets balance in `out` (the test markup's tags).
    fn assert_well_formed(out: &str) {
        let mut depth = 0i32;
        for c in out.chars() {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                _ => {}
            }
            assert!(depth >= 0, "{out}");
        }
        assert_eq!(depth, 0, "{out}");
    }

    #[test]
    fn random_alignments_keep_every_anchor_once_and_nest() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rnd = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let words = ["a", "bb", "ccc", "dé", "e"];
        for _ in 0..500 {
            // A random nested input.
            let mut input = String::new();
            let mut depth = 0;
            let mut points = 0;
            for _ in 0..rnd(12) {
                match rnd(5) {
                    0 => {
                        input.push('[');
                        depth += 1;
                    }
                    1 if depth > 0 => {
                        input.push(']');
                        depth -= 1;
                    }
                    2 => {
                        input.push_str(&format!("{{p{points}}}"));
                        points += 1;
                    }
                    _ => {
                        input.push_str(words[rnd(words.len())]);
                        input.push(' ');
                    }
                }
            }
            input.extend(std::iter::repeat(']').take(depth));
            let m = mark(&input);
            // A random translation: the words shuffled, each aligned anywhere.
            let src_words: Vec<(usize, &str)> = m
                .text
                .split(' ')
                .scan(0, |at, w| {
                    let s = *at;
                    *at += w.len() + 1;
                    Some((s, w))
                })
                .filter(|(_, w)| !w.is_empty())
                .collect();
            let mut tgt = String::new();
            let mut l = Vec::new();
            for t in 0..rnd(6) {
                if !tgt.is_empty() {
                    tgt.push(' ');
                }
                let ts = tgt.len();
                tgt.push_str(words[rnd(words.len())]);
                if let Some(&(ss, w)) = src_words.get(rnd(src_words.len() + 1)) {
                    l.push(AlignmentLink {
                        source_token: ss as u32,
                        target_token: t as u32,
                        source_start: ss as u32,
                        source_end: (ss + w.len()) as u32,
                        target_start: ts as u32,
                        target_end: tgt.len() as u32,
                    });
                }
            }
            let aligned = Aligned {
                text: &tgt,
                source_ids: &[],
                target_ids: &[],
                links: &l,
            };
            let mut out = String::new();
            project(
                &input,
                &m,
                &aligned,
                false,
                &mut ProjectScratch::default(),
                &mut out,
            );
            assert_well_formed(&out);
            for p in 0..points {
                assert_eq!(
                    out.matches(&format!("{{p{p}}}")).count(),
                    1,
                    "{input} -> {out}"
                );
            }
            let words_out: String = out.chars().filter(|c| !"[]{} ".contains(*c)).collect();
            let words_tgt: String = tgt.chars().filter(|c| *c != ' ').collect();
            let no_points: String = {
                let mut s = words_out.clone();
                for p in (0..points).rev() {
                    s = s.replacen(&format!("p{p}"), "", 1);
                }
                s
            };
            assert_eq!(
                no_points.len(),
                words_tgt.len(),
                "{input} -> {tgt} -> {out}"
            );
        }
    }

    #[test]
    fn warm_scratch_does_not_grow() {
        let input = "[a {x} [b]] c {y}";
        let m = mark(input);
        let tgt = "A B C";
        let l = links(&m.text, tgt, &[("a", "A"), ("b", "B"), ("c", "C")]);
        let aligned = Aligned {
            text: tgt,
            source_ids: &[],
            target_ids: &[],
            links: &l,
        };
        let mut sc = ProjectScratch::default();
        let mut out = String::with_capacity(256);
        project(input, &m, &aligned, false, &mut sc, &mut out);
        let caps = (
            sc.kids.capacity(),
            sc.range.capacity(),
            sc.starts.capacity(),
        );
        out.clear();
        project(input, &m, &aligned, false, &mut sc, &mut out);
        assert_eq!(
            caps,
            (
                sc.kids.capacity(),
                sc.range.capacity(),
                sc.starts.capacity()
            )
        );
        assert_eq!(out, "[A {x} [B]] C {y}");
    }
}
