//! Rule-based sentence boundaries, as byte spans, without allocating.
//!
//! A boundary is a run of sentence-final punctuation ("." "!" "?" "…" "?!" "..."), plus any
//! closing quotes or brackets, followed by whitespace and then something that can start a
//! sentence (not a lowercase letter, not "," ";" ":"). A full stop is then checked against the
//! word before it: abbreviations from the language's lists ("Dr.", "e.g.", "z. B.", "bzw."),
//! initials ("J. R. R."), list numbering at the start of a line ("1."), and in German ordinals
//! ("am 3. Oktober") do not end a sentence. CJK full stops ("。" "！" "？") need no space after
//! them. Line breaks always end a sentence. Numbers, URLs and e-mail addresses never break,
//! because their inner full stops are not followed by whitespace.

use std::ops::Range;

use super::lang::{contains, Lang, COMMON_PREFIXES};

/// Whether `c` ends a line: a line break is always a sentence boundary.
pub(crate) fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Question and exclamation marks, and the full stops of scripts that only use them at the
/// end of a sentence (Devanagari, Arabic, Armenian, Ethiopic, Myanmar): always a boundary when
/// whitespace and a possible sentence start follow.
fn is_strong_terminal(c: char) -> bool {
    matches!(
        c,
        '!' | '?'
            | '‼'
            | '⁇'
            | '⁈'
            | '⁉'
            | '؟'
            | '۔'
            | '।'
            | '॥'
            | '։'
            | '።'
            | '፧'
            | '။'
            | '﹒'
            | '﹗'
            | '﹖'
    )
}

/// Chinese and Japanese full stops: written without a space after them.
fn is_cjk_terminal(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '｡')
}

fn is_terminal(c: char) -> bool {
    c == '.' || c == '…' || is_strong_terminal(c) || is_cjk_terminal(c)
}

/// Quotes and brackets that may close a sentence after its final punctuation. After a full stop
/// every quote is closing, whichever way it curls ("…“" closes in German, "…”" in English).
fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | ')'
            | ']'
            | '}'
            | '”'
            | '“'
            | '’'
            | '‘'
            | '»'
            | '«'
            | '›'
            | '‹'
            | '」'
            | '』'
            | '）'
            | '】'
            | '〕'
            | '〉'
            | '》'
            | '〗'
            | '〙'
            | '〛'
            | '＂'
            | '＇'
            | '］'
            | '｝'
            | '｣'
    )
}

/// Quotes and brackets that may open a sentence (or a word) before its first letter.
pub(crate) fn is_opener(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '('
            | '['
            | '{'
            | '“'
            | '„'
            | '‘'
            | '‚'
            | '«'
            | '»'
            | '‹'
            | '›'
            | '¿'
            | '¡'
            | '「'
            | '『'
            | '（'
            | '【'
            | '《'
            | '〈'
            | '＂'
    )
}

fn char_at(text: &str, i: usize) -> Option<char> {
    text.get(i..).and_then(|s| s.chars().next())
}

/// "1", "12", "1.2", "iv", "IX": what numbers a list item or a section at the start of a line
/// ("1. Preheat ...", "1.2. Scope").
fn is_list_number(w: &str) -> bool {
    let digits = w
        .split('.')
        .all(|n| (1..=3).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()));
    let roman = !w.is_empty()
        && w.len() <= 4
        && (w.bytes().all(|b| b"ivx".contains(&b)) || w.bytes().all(|b| b"IVX".contains(&b)));
    digits || roman
}

/// "II", "XIV", "XXVIII": an uppercase Roman numeral, which German writes as an ordinal with a
/// full stop ("Ludwig XIV.", "der XXVIII. Bericht").
fn is_roman_numeral(w: &str) -> bool {
    (2..=8).contains(&w.len()) && w.bytes().all(|b| b"IVXLC".contains(&b))
}

/// "e.g", "U.S", "z.B", "Ph.D", "a.m": pieces of one or two letters joined by full stops.
/// Longer pieces ("example.com", "bbc.co.uk") are names, which may end a sentence.
fn is_dotted_abbreviation(w: &str) -> bool {
    w.contains('.')
        && w.split('.').all(|piece| {
            let n = piece.chars().count();
            (1..=2).contains(&n) && piece.chars().all(char::is_alphabetic)
        })
}

/// What follows a candidate boundary, for the decision.
#[derive(Clone, Copy)]
enum Next {
    /// End of the line or the text.
    End,
    /// A lowercase letter, or "," ";" ":": the sentence goes on.
    Continues,
    /// Something that can start a sentence, at this byte offset (after any opening quotes).
    Start(usize),
}

/// An iterator over the sentences of a text, as byte ranges without surrounding whitespace.
///
/// It never allocates. Every byte of the text is in at most one range; what lies between
/// ranges is whitespace (see `super::document` for what else a translator should skip).
#[derive(Debug, Clone)]
pub struct Sentences<'a> {
    text: &'a str,
    lang: Lang,
    pos: usize,
    /// Whether a sentence was already returned on the current line.
    line_has_sentence: bool,
}

impl<'a> Sentences<'a> {
    /// Starts splitting `text` with the rules and data of `lang`.
    pub fn new(text: &'a str, lang: Lang) -> Self {
        Sentences {
            text,
            lang,
            pos: 0,
            line_has_sentence: false,
        }
    }

    /// The next sentence and whether it is the first one of its line.
    pub(crate) fn next_with_line(&mut self) -> Option<(Range<usize>, bool)> {
        let text = self.text;
        let mut start = self.pos;
        while let Some(c) = char_at(text, start) {
            if !c.is_whitespace() {
                break;
            }
            if is_line_break(c) {
                self.line_has_sentence = false;
            }
            start += c.len_utf8();
        }
        if start >= text.len() {
            self.pos = text.len();
            return None;
        }
        let first_in_line = !self.line_has_sentence;
        let end = self.find_end(start, first_in_line);
        self.pos = end;
        self.line_has_sentence = true;
        Some((
            start..start + text[start..end].trim_end().len(),
            first_in_line,
        ))
    }

    /// The end of the sentence that starts at `start` (a non-space character): just after its
    /// final punctuation and closing quotes, or the end of the line.
    fn find_end(&self, start: usize, first_in_line: bool) -> usize {
        let text = self.text;
        let mut word_start = start;
        let mut i = start;
        while let Some(c) = char_at(text, i) {
            if is_line_break(c) {
                return i;
            }
            if c.is_whitespace() {
                i += c.len_utf8();
                word_start = i;
                continue;
            }
            if !is_terminal(c) {
                i += c.len_utf8();
                continue;
            }
            // The whole run of final punctuation ("?!", "...", "。」"), then its closers.
            let (mut dots, mut ellipsis, mut strong, mut cjk) = (0usize, false, false, false);
            let mut run_end = i;
            while let Some(t) = char_at(text, run_end).filter(|&t| is_terminal(t)) {
                dots += usize::from(t == '.');
                ellipsis |= t == '…';
                strong |= is_strong_terminal(t);
                cjk |= is_cjk_terminal(t);
                run_end += t.len_utf8();
            }
            let mut closed = false;
            while let Some(q) = char_at(text, run_end).filter(|&q| is_closer(q)) {
                closed = true;
                run_end += q.len_utf8();
            }
            let after = char_at(text, run_end);
            let followed_by_space = after.map_or(true, char::is_whitespace);
            if cjk {
                // A quotation inside a Chinese or Japanese sentence ends "。」" and the
                // sentence goes on without a space: only then is it no boundary.
                if !closed || followed_by_space {
                    return run_end;
                }
            } else if followed_by_space {
                let boundary = match self.next_after(run_end) {
                    Next::End => true,
                    Next::Continues => false,
                    Next::Start(next) => {
                        if strong {
                            true
                        } else if ellipsis || dots >= 2 {
                            // "[...]" and "(…)" mark an omission inside a sentence.
                            let bracketed = text[..i].ends_with(['(', '['])
                                && text[i..run_end].ends_with([')', ']']);
                            !bracketed
                        } else {
                            let word_first = first_in_line && word_start == start;
                            self.full_stop_ends_sentence(&text[word_start..i], word_first, next)
                        }
                    }
                };
                if boundary {
                    return run_end;
                }
            }
            i = run_end;
        }
        text.len()
    }

    /// Classifies what follows the whitespace after a candidate boundary at `from`.
    fn next_after(&self, from: usize) -> Next {
        let text = self.text;
        let mut k = from;
        while let Some(c) = char_at(text, k) {
            if is_line_break(c) {
                return Next::End;
            }
            if !c.is_whitespace() {
                break;
            }
            k += c.len_utf8();
        }
        let mut m = k;
        while let Some(c) = char_at(text, m).filter(|&c| is_opener(c)) {
            m += c.len_utf8();
        }
        match char_at(text, m) {
            // A quote mark alone is not a sentence: it belongs to the one before.
            None if m > k => Next::Continues,
            Some(c) if m > k && is_line_break(c) => Next::Continues,
            None => Next::End,
            Some(c) if c.is_lowercase() || matches!(c, ',' | ';' | ':') => Next::Continues,
            Some(_) => Next::Start(m),
        }
    }

    /// Whether a single full stop after `word` ends the sentence, given that the next sentence
    /// would start (after opening quotes) at byte `next`.
    fn full_stop_ends_sentence(&self, word: &str, word_first_in_line: bool, next: usize) -> bool {
        let w = word.trim_start_matches(is_opener);
        if w.is_empty() {
            return true;
        }
        if word_first_in_line && is_list_number(w) {
            return false;
        }
        let lang = self.lang;
        if contains(COMMON_PREFIXES, w) || contains(lang.prefixes(), w) {
            return false;
        }
        let next_char = char_at(self.text, next).unwrap_or(' ');
        if next_char.is_ascii_digit() && contains(lang.numeric_prefixes(), w) {
            return false;
        }
        let mut chars = w.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            if c.is_alphabetic() {
                return false; // an initial, or one letter of "z. B.", "d. h."
            }
        }
        // "U.S.", "a.m." and (in German) "3." are usually inside a sentence, but can end one:
        // only a word that typically starts a sentence says it ended.
        let ordinal = lang.has_dot_ordinals()
            && ((w.len() <= 3 && w.bytes().all(|b| b.is_ascii_digit())) || is_roman_numeral(w));
        // "non-U.S.": the abbreviation is what follows the hyphen.
        let last_part = w.rsplit('-').next().unwrap_or(w);
        if ordinal || is_dotted_abbreviation(last_part) {
            let rest = &self.text[next..];
            let next_word = &rest[..rest
                .find(|c: char| !c.is_alphabetic())
                .unwrap_or(rest.len())];
            return contains(lang.sentence_starts(), next_word);
        }
        true
    }
}

impl Iterator for Sentences<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        self.next_with_line().map(|(range, _)| range)
    }
}

/// Replaces the contents of `out` with the byte ranges of the sentences of `text`. Reusing one
/// `Vec` makes repeated calls allocation-free once it has grown to the largest text's count.
pub fn split_sentences(text: &str, lang: Lang, out: &mut Vec<Range<usize>>) {
    out.clear();
    out.extend(Sentences::new(text, lang));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str, lang: Lang) -> Vec<&str> {
        Sentences::new(text, lang).map(|r| &text[r]).collect()
    }

    fn en(text: &str) -> Vec<&str> {
        split(text, Lang::English)
    }

    fn de(text: &str) -> Vec<&str> {
        split(text, Lang::German)
    }

    #[test]
    fn plain_sentences() {
        assert_eq!(
            en("One dog barks. Two cats sleep! Do birds sing?"),
            ["One dog barks.", "Two cats sleep!", "Do birds sing?"]
        );
        assert_eq!(
            de("Der Hund bellt. Die Katze schläft! Singen Vögel?"),
            ["Der Hund bellt.", "Die Katze schläft!", "Singen Vögel?"]
        );
    }

    #[test]
    fn empty_and_blank_text_has_no_sentences() {
        assert!(en("").is_empty());
        assert!(en(" \n\t\r\n  ").is_empty());
        assert_eq!(en("  word  "), ["word"]);
    }

    #[test]
    fn newlines_are_hard_boundaries() {
        assert_eq!(
            en("A title\nIt has no full stop\r\n\nLast line"),
            ["A title", "It has no full stop", "Last line"]
        );
        assert_eq!(en("the end of\na sentence"), ["the end of", "a sentence"]);
        assert_eq!(en("one\u{2028}two"), ["one", "two"]);
    }

    #[test]
    fn lowercase_after_full_stop_continues() {
        assert_eq!(en("It costs 5 p. per page."), ["It costs 5 p. per page."]);
        assert_eq!(
            en("Yahoo! is a company. It is old."),
            ["Yahoo! is a company.", "It is old."]
        );
        assert_eq!(
            de("„Wer war das?“, fragte er. Niemand."),
            ["„Wer war das?“, fragte er.", "Niemand."]
        );
    }

    #[test]
    fn english_abbreviations() {
        assert_eq!(
            en("Mr. Smith met Dr. Jones. They talked."),
            ["Mr. Smith met Dr. Jones.", "They talked."]
        );
        assert_eq!(
            en("Fruit, e.g. Apples, is good. So is i.e. This."),
            ["Fruit, e.g. Apples, is good.", "So is i.e. This."]
        );
        assert_eq!(
            en("Gov. Brown and Sen. Smith spoke. Prof. Lee did not."),
            ["Gov. Brown and Sen. Smith spoke.", "Prof. Lee did not."]
        );
        assert_eq!(
            en("He lives in the U.S. Army base. Now."),
            ["He lives in the U.S. Army base.", "Now."]
        );
        assert_eq!(
            en("It opened at 10 a.m. Monday. Crowds came."),
            ["It opened at 10 a.m. Monday.", "Crowds came."]
        );
        // A dotted abbreviation ends a sentence when a typical sentence start follows.
        assert_eq!(
            en("It opens at 10 a.m. The doors close at 5 p.m. We left the U.S. It rained."),
            [
                "It opens at 10 a.m.",
                "The doors close at 5 p.m.",
                "We left the U.S.",
                "It rained."
            ]
        );
        assert_eq!(
            en("It is used by many non-U.S. Arctic peoples. Yes."),
            ["It is used by many non-U.S. Arctic peoples.", "Yes."]
        );
        // ... but "e.g." and "i.e." never do.
        assert_eq!(
            en("Birds, e.g. The Raven, fly."),
            ["Birds, e.g. The Raven, fly."]
        );
        assert_eq!(
            de("Vögel, z.B. Die Amsel, fliegen."),
            ["Vögel, z.B. Die Amsel, fliegen."]
        );
    }

    #[test]
    fn words_that_often_end_sentences_still_break() {
        assert_eq!(
            en("He works for Apple Inc. The firm is big."),
            ["He works for Apple Inc.", "The firm is big."]
        );
        assert_eq!(
            en("Bring pens, paper, etc. We start at noon."),
            ["Bring pens, paper, etc.", "We start at noon."]
        );
        assert_eq!(
            en("It was in May. Then June."),
            ["It was in May.", "Then June."]
        );
    }

    #[test]
    fn month_abbreviations() {
        assert_eq!(
            en("On Jan. 5 and Sept. 12 it rained. It stopped."),
            ["On Jan. 5 and Sept. 12 it rained.", "It stopped."]
        );
        assert_eq!(
            de("Am 3. Okt. 2010 und im Dez. 2011 war es kalt. Dann nicht."),
            [
                "Am 3. Okt. 2010 und im Dez. 2011 war es kalt.",
                "Dann nicht."
            ]
        );
    }

    #[test]
    fn numeric_prefixes_only_before_numbers() {
        assert_eq!(
            en("See No. 5 and Fig. 3 below. No. That is wrong."),
            ["See No. 5 and Fig. 3 below.", "No.", "That is wrong."]
        );
        assert_eq!(
            de("Siehe Art. 5 und S. 12. Danach Kap. 3 lesen."),
            ["Siehe Art. 5 und S. 12.", "Danach Kap. 3 lesen."]
        );
    }

    #[test]
    fn german_abbreviations() {
        assert_eq!(
            de("Obst, z.B. Äpfel, ist gut. Gemüse, z. B. Kohl, auch."),
            ["Obst, z.B. Äpfel, ist gut.", "Gemüse, z. B. Kohl, auch."]
        );
        assert_eq!(
            de("Er kommt bzw. Sie kommt. Nr. 5 gewinnt."),
            ["Er kommt bzw. Sie kommt.", "Nr. 5 gewinnt."]
        );
        assert_eq!(
            de("Das kostet 3 Mio. Euro, d. h. Viel. Vgl. Anhang."),
            ["Das kostet 3 Mio. Euro, d. h. Viel.", "Vgl. Anhang."]
        );
        assert_eq!(
            de("Hr. Müller und Prof. Dr. Schmidt kamen. Sie gingen."),
            ["Hr. Müller und Prof. Dr. Schmidt kamen.", "Sie gingen."]
        );
        // English abbreviations are not German ones: "Gen." ends a German sentence.
        assert_eq!(
            de("Er hatte ein Gen. Das war selten."),
            ["Er hatte ein Gen.", "Das war selten."]
        );
    }

    #[test]
    fn initials() {
        assert_eq!(
            en("J. R. R. Tolkien wrote it. C. S. Lewis did not."),
            ["J. R. R. Tolkien wrote it.", "C. S. Lewis did not."]
        );
        assert_eq!(
            de("Das Buch von J. K. Rowling ist bekannt. Es ist lang."),
            ["Das Buch von J. K. Rowling ist bekannt.", "Es ist lang."]
        );
    }

    #[test]
    fn german_ordinals() {
        assert_eq!(
            de("Am 3. Oktober feiern wir. Der 1. FC Köln spielt im 20. Jahrhundert."),
            [
                "Am 3. Oktober feiern wir.",
                "Der 1. FC Köln spielt im 20. Jahrhundert."
            ]
        );
        // A number at the end of a sentence, then a word that never follows an ordinal.
        assert_eq!(
            de("Die Zahl stieg auf 25. Die Polizei ermittelt."),
            ["Die Zahl stieg auf 25.", "Die Polizei ermittelt."]
        );
        // Years are not ordinals.
        assert_eq!(
            de("Er starb 1990. Seine Frau lebt."),
            ["Er starb 1990.", "Seine Frau lebt."]
        );
        // Roman numerals are ordinals too.
        assert_eq!(
            de("Der XXVIII. Bericht kam von Ludwig XIV. Die Leute lasen ihn."),
            [
                "Der XXVIII. Bericht kam von Ludwig XIV.",
                "Die Leute lasen ihn."
            ]
        );
        // English has no such ordinals.
        assert_eq!(
            en("The score rose to 25. Police are investigating."),
            ["The score rose to 25.", "Police are investigating."]
        );
    }

    #[test]
    fn numbers_do_not_break() {
        assert_eq!(
            en("Pi is 3.14 and it costs $1,000.00 today. Yes."),
            ["Pi is 3.14 and it costs $1,000.00 today.", "Yes."]
        );
        assert_eq!(
            de("Es kostet 1.000,50 Euro bzw. 3,5 %. Gut."),
            ["Es kostet 1.000,50 Euro bzw. 3,5 %.", "Gut."]
        );
        assert_eq!(
            en("Version 2.0.1 is out. Get it."),
            ["Version 2.0.1 is out.", "Get it."]
        );
    }

    #[test]
    fn ellipses() {
        assert_eq!(
            en("I was thinking... Maybe not. Wait… Yes."),
            ["I was thinking...", "Maybe not.", "Wait…", "Yes."]
        );
        assert_eq!(
            en("He said... well, nothing. Fine."),
            ["He said... well, nothing.", "Fine."]
        );
        assert_eq!(
            de("Er sagte […] Danach ging er. Gut (...) Ende."),
            ["Er sagte […] Danach ging er.", "Gut (...) Ende."]
        );
    }

    #[test]
    fn a_lone_quote_mark_stays_with_the_sentence_before() {
        assert_eq!(en("He said so. \"\nNext."), ["He said so. \"", "Next."]);
        assert_eq!(de("Er ging. „"), ["Er ging. „"]);
    }

    #[test]
    fn question_and_exclamation_runs() {
        assert_eq!(en("Really?! Yes!!! Why??"), ["Really?!", "Yes!!!", "Why??"]);
        assert_eq!(de("Wirklich?! Ja! Warum?"), ["Wirklich?!", "Ja!", "Warum?"]);
    }

    #[test]
    fn closing_quotes_and_brackets_stay_with_the_sentence() {
        assert_eq!(
            en("He said \"Go home.\" Then he left. (It was late.) We slept."),
            [
                "He said \"Go home.\"",
                "Then he left.",
                "(It was late.)",
                "We slept."
            ]
        );
        assert_eq!(
            en("She asked, “Why?” Nobody knew."),
            ["She asked, “Why?”", "Nobody knew."]
        );
        assert_eq!(
            de("Er rief: „Komm her!“ Sie kam. »Gut.« Dann ging sie."),
            [
                "Er rief: „Komm her!“",
                "Sie kam.",
                "»Gut.«",
                "Dann ging sie."
            ]
        );
        assert_eq!(
            en("It ended. \"Next,\" she said."),
            ["It ended.", "\"Next,\" she said."]
        );
    }

    #[test]
    fn urls_and_email_addresses() {
        assert_eq!(
            en("Visit https://www.example.com/a.html?x=1. Then mail info@example.org. Done."),
            [
                "Visit https://www.example.com/a.html?x=1.",
                "Then mail info@example.org.",
                "Done."
            ]
        );
        assert_eq!(
            de("Siehe www.bbc.co.uk. Dort steht es."),
            ["Siehe www.bbc.co.uk.", "Dort steht es."]
        );
    }

    #[test]
    fn list_numbering_at_line_start() {
        assert_eq!(
            en("1. Preheat the oven.\n2. Bake it. Serve it.\niv. Eat.\n1.2. Scope"),
            [
                "1. Preheat the oven.",
                "2. Bake it.",
                "Serve it.",
                "iv. Eat.",
                "1.2. Scope"
            ]
        );
        assert_eq!(
            de("1. Ofen vorheizen.\n- Teig kneten. Dann backen."),
            ["1. Ofen vorheizen.", "- Teig kneten.", "Dann backen."]
        );
        // Not at the start of a line, a number and a full stop end an English sentence.
        assert_eq!(
            en("We won 2. Then we lost."),
            ["We won 2.", "Then we lost."]
        );
    }

    #[test]
    fn cjk_and_other_full_stops() {
        assert_eq!(
            split("今天天气很好。我们去公园吧！你来吗？", Lang::Other),
            ["今天天气很好。", "我们去公园吧！", "你来吗？"]
        );
        assert_eq!(
            split("彼は「こんにちは。」と言った。次の日。", Lang::Other),
            ["彼は「こんにちは。」と言った。", "次の日。"]
        );
        assert_eq!(
            split("यह एक वाक्य है। यह दूसरा है।", Lang::Other),
            ["यह एक वाक्य है।", "यह दूसरा है।"]
        );
        assert_eq!(
            split("هل أنت بخير؟ نعم.", Lang::Other),
            ["هل أنت بخير؟", "نعم."]
        );
    }

    #[test]
    fn punctuation_that_continues_the_sentence() {
        assert_eq!(
            en("Use the Dr. Who version, etc.; then stop."),
            ["Use the Dr. Who version, etc.; then stop."]
        );
        assert_eq!(en("Wait! : nothing"), ["Wait! : nothing"]);
    }

    #[test]
    fn spans_are_trimmed_and_cover_all_non_space() {
        let text = "  Hi there.   How are you?\t\n\n  Fine.  ";
        let spans: Vec<_> = Sentences::new(text, Lang::English).collect();
        assert_eq!(spans, [2..11, 14..26, 31..36]);
        for (i, c) in text.char_indices() {
            if !c.is_whitespace() {
                assert!(
                    spans.iter().any(|r| r.contains(&i)),
                    "byte {i} not in a sentence"
                );
            }
        }
    }

    #[test]
    fn split_into_reuses_the_vec() {
        let mut out = Vec::with_capacity(8);
        split_sentences("Ab cd. Ef gh. Ij kl.", Lang::English, &mut out);
        assert_eq!(out.len(), 3);
        let cap = out.capacity();
        split_sentences("One.", Lang::English, &mut out);
        assert_eq!((out.len(), out.capacity()), (1, cap));
    }

    #[test]
    fn every_prefix_in_the_data_is_honoured() {
        for lang in [Lang::English, Lang::German] {
            for &p in lang.prefixes().iter().chain(COMMON_PREFIXES) {
                let text = format!("See {p}. Xavier here.");
                assert_eq!(split(&text, lang).len(), 1, "{lang:?} {text}");
            }
            for &p in lang.numeric_prefixes() {
                let text = format!("See {p}. 5 here.");
                assert_eq!(split(&text, lang).len(), 1, "{lang:?} {text}");
            }
        }
    }

    #[test]
    fn odd_input_never_panics() {
        for text in [
            ".",
            "...",
            "!?",
            " . . . ",
            "„",
            "\"A.\"",
            "A.\u{2029}",
            "。",
            "」。",
            "1.",
            "a. b. c.",
            "(.) X",
        ] {
            for lang in [Lang::English, Lang::German, Lang::Other] {
                for r in Sentences::new(text, lang) {
                    assert!(!text[r].is_empty());
                }
            }
        }
    }
}
