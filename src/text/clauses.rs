//! Over-long sentences: cut into pieces that fit the model, at the best clause boundary.
//!
//! The budget is the caller's: `fits(piece)` says whether a piece is short enough (the
//! translator asks its tokenizer whether the piece has at most `max_source_tokens` tokens). It
//! must be monotone: if a piece fits, so does every prefix of it. Each cut is placed at the
//! best-ranked boundary in the last two thirds of the longest prefix that fits, so pieces stay
//! long (fewer, better translated pieces) and cuts land where a clause ends:
//! ";" > ":" > "," and dashes > before a conjunction ("and", "but", "und", "aber") > any space
//! > anywhere (a "sentence" without spaces, cut at the limit).

use std::ops::Range;

use super::lang::{contains, Lang};

/// Ranks of cut points; higher is better.
const RANK_SEMICOLON: u8 = 5;
const RANK_COLON: u8 = 4;
const RANK_COMMA: u8 = 3;
const RANK_CONJUNCTION: u8 = 2;
const RANK_SPACE: u8 = 1;

/// Appends to `out` the pieces of `text[span]`, in order, each one trimmed and (unless a single
/// character is already too long) satisfying `fits`. A span that fits is appended whole. The
/// pieces are sub-ranges of `text`, so [`super::document::assemble`] joins their translations
/// with the original spaces between them.
///
/// Calls `fits` O(log n) times per piece; allocates nothing but `out`'s growth.
pub fn split_long(
    text: &str,
    span: Range<usize>,
    lang: Lang,
    mut fits: impl FnMut(&str) -> bool,
    out: &mut Vec<Range<usize>>,
) {
    let mut start = span.start;
    let end = span.end;
    loop {
        let s = &text[start..end];
        let lead = s.len() - s.trim_start().len();
        start += lead;
        let s = s[lead..].trim_end();
        if s.is_empty() {
            return;
        }
        if fits(s) {
            out.push(start..start + s.len());
            return;
        }
        let limit = longest_fitting_prefix(s, &mut fits);
        let cut = best_cut(s, limit, lang);
        out.push(start..start + s[..cut].trim_end().len());
        start += cut;
    }
}

/// The byte length of the longest prefix of `s` that fits (at a character boundary), but at
/// least one character, so that every cut makes progress. `s` itself does not fit.
fn longest_fitting_prefix(s: &str, fits: &mut impl FnMut(&str) -> bool) -> usize {
    let (mut lo, mut hi) = (0usize, s.len()); // s[..lo] fits (or lo = 0), s[..hi] does not
    while hi - lo > 1 {
        let mut mid = lo + (hi - lo) / 2;
        while !s.is_char_boundary(mid) {
            mid += 1;
        }
        if mid >= hi {
            break;
        }
        if fits(&s[..mid]) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    if lo == 0 {
        s.chars().next().map_or(0, char::len_utf8)
    } else {
        lo
    }
}

/// The best place to cut `s` at or before byte `limit`: the end of the first piece, after which
/// the next piece starts (its leading spaces are skipped by the caller).
fn best_cut(s: &str, limit: usize, lang: Lang) -> usize {
    let window_start = limit / 3;
    let (mut best, mut best_rank) = (limit, 0u8);
    let mut consider = |pos: usize, rank: u8| {
        if pos > 0 && pos <= limit && pos >= window_start && rank >= best_rank {
            best = pos;
            best_rank = rank;
        }
    };
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if i >= limit {
            break;
        }
        let after = i + c.len_utf8();
        let next = chars.peek().map(|&(_, n)| n);
        let spaced = next.map_or(true, char::is_whitespace);
        match c {
            ';' if spaced => consider(after, RANK_SEMICOLON),
            '；' => consider(after, RANK_SEMICOLON),
            ':' if spaced => consider(after, RANK_COLON),
            '：' => consider(after, RANK_COLON),
            ',' if spaced => consider(after, RANK_COMMA),
            '，' | '、' => consider(after, RANK_COMMA),
            '–' | '—' if spaced && s[..i].ends_with(' ') => consider(i, RANK_COMMA),
            c if c.is_whitespace() => {
                consider(i, RANK_SPACE);
                let word_start = after;
                let rest = &s[word_start..];
                let word = &rest[..rest.find(char::is_whitespace).unwrap_or(rest.len())];
                if !word.is_empty()
                    && word.len() < rest.len()
                    && contains(lang.conjunctions(), word)
                {
                    consider(i, RANK_CONJUNCTION);
                }
            }
            _ => {}
        }
    }
    if best_rank == 0 {
        // No boundary in the window: cut at the limit, on a character boundary.
        return limit;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words_at_most(n: usize) -> impl FnMut(&str) -> bool {
        move |s: &str| s.split_whitespace().count() <= n
    }

    fn pieces(text: &str, lang: Lang, max_words: usize) -> Vec<&str> {
        let mut out = Vec::new();
        split_long(
            text,
            0..text.len(),
            lang,
            words_at_most(max_words),
            &mut out,
        );
        out.into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn a_sentence_that_fits_is_one_piece() {
        assert_eq!(
            pieces("  A short one.  ", Lang::English, 10),
            ["A short one."]
        );
        assert!(pieces("   ", Lang::English, 10).is_empty());
    }

    #[test]
    fn semicolon_beats_comma_and_colon() {
        assert_eq!(
            pieces(
                "We came, we saw; we left: it was late and dark",
                Lang::English,
                8
            ),
            ["We came, we saw;", "we left: it was late and dark"]
        );
    }

    #[test]
    fn colon_then_comma() {
        assert_eq!(
            pieces(
                "He said this: the dogs, the cats and birds sang",
                Lang::English,
                7
            ),
            ["He said this:", "the dogs, the cats and birds sang"]
        );
        assert_eq!(
            pieces(
                "Erstens kamen die Hunde, dann die Katzen und die Vögel",
                Lang::German,
                6
            ),
            ["Erstens kamen die Hunde,", "dann die Katzen und die Vögel"]
        );
    }

    #[test]
    fn conjunctions_when_there_is_no_punctuation() {
        assert_eq!(
            pieces(
                "The dog ran to the park and the cat slept on the warm sofa",
                Lang::English,
                8
            ),
            [
                "The dog ran to the park",
                "and the cat slept on the warm sofa"
            ]
        );
        assert_eq!(
            pieces(
                "Der Hund lief in den Park aber die Katze schlief auf dem Sofa",
                Lang::German,
                8
            ),
            [
                "Der Hund lief in den Park",
                "aber die Katze schlief auf dem Sofa"
            ]
        );
        // English conjunctions mean nothing in German text.
        assert_eq!(
            pieces(
                "Der Hund and die Katze schliefen lange im Haus",
                Lang::German,
                6
            ),
            ["Der Hund and die Katze schliefen", "lange im Haus"]
        );
    }

    #[test]
    fn boundaries_too_early_are_ignored_for_longer_pieces() {
        // The comma after "Yes" would leave a one-word piece: cut at the last space instead.
        assert_eq!(
            pieces(
                "Yes, one two three four five six seven eight",
                Lang::English,
                6
            ),
            ["Yes, one two three four five", "six seven eight"]
        );
    }

    #[test]
    fn numbers_and_times_are_not_clause_boundaries() {
        assert_eq!(
            pieces(
                "It cost 1,000 dollars at 10:30 in the morning today",
                Lang::English,
                6
            ),
            ["It cost 1,000 dollars at 10:30", "in the morning today"]
        );
    }

    #[test]
    fn every_piece_fits_and_nothing_is_lost() {
        let text = "Alpha beta, gamma delta; epsilon zeta eta: theta iota kappa lambda mu nu xi \
                    omicron pi rho, sigma tau upsilon phi chi psi omega and so on and so forth";
        for max in 1..12 {
            let mut out = Vec::new();
            split_long(
                text,
                0..text.len(),
                Lang::English,
                words_at_most(max),
                &mut out,
            );
            let mut words = Vec::new();
            for r in &out {
                assert!(
                    words_at_most(max)(&text[r.clone()]),
                    "{max}: {:?}",
                    &text[r.clone()]
                );
                words.extend(text[r.clone()].split_whitespace());
            }
            assert_eq!(words, text.split_whitespace().collect::<Vec<_>>());
            for w in out.windows(2) {
                assert!(w[0].end < w[1].start);
            }
        }
    }

    #[test]
    fn no_spaces_cuts_at_the_limit_on_char_boundaries() {
        let text = "日本語の文章はとても長いです";
        let mut out = Vec::new();
        split_long(
            text,
            0..text.len(),
            Lang::Other,
            |s| s.chars().count() <= 4,
            &mut out,
        );
        let got: Vec<&str> = out.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(got, ["日本語の", "文章はと", "ても長い", "です"]);
        // CJK commas are clause boundaries.
        let text = "今天很好，我们去公园吧";
        out.clear();
        split_long(
            text,
            0..text.len(),
            Lang::Other,
            |s| s.chars().count() <= 8,
            &mut out,
        );
        let got: Vec<&str> = out.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(got, ["今天很好，", "我们去公园吧"]);
    }

    #[test]
    fn a_single_character_too_long_still_makes_progress() {
        let text = "abc";
        let mut out = Vec::new();
        split_long(text, 0..3, Lang::English, |_| false, &mut out);
        assert_eq!(out, [0..1, 1..2, 2..3]);
    }

    #[test]
    fn works_on_a_span_inside_a_document() {
        let text = "Intro.\nOne two, three four five six.\nEnd.";
        let span = 7..text.len() - 5;
        let mut out = Vec::new();
        out.push(0..6);
        split_long(text, span, Lang::English, words_at_most(4), &mut out);
        let got: Vec<&str> = out.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(got, ["Intro.", "One two,", "three four five six."]);
    }
}
