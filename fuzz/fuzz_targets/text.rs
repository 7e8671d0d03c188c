//! The text layer on arbitrary input: the first byte picks the language and a clause budget,
//! the rest is the text (UTF-8 or not). Checks what the callers rely on: sentences are ordered,
//! disjoint, trimmed and cover every non-space character; reassembling the untranslated spans
//! gives the text back, whole or window by window; clause pieces fit the budget.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mobilenmt::text::{assemble, assemble_from, segment, split_long, Lang, Segments, Sentences};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let text = text.as_ref();
    let lang = [Lang::English, Lang::German, Lang::Other][usize::from(sel % 3)];
    let budget = 1 + usize::from(sel >> 4);

    let mut prev = 0;
    let mut covered = 0;
    for r in Sentences::new(text, lang) {
        assert!(prev <= r.start && r.start < r.end && r.end <= text.len());
        let s = &text[r.clone()];
        assert_eq!(s, s.trim());
        covered += s.chars().filter(|c| !c.is_whitespace()).count();
        prev = r.end;
    }
    assert!(covered >= text.chars().filter(|c| !c.is_whitespace()).count());

    let mut spans = Vec::new();
    segment(text, lang, &mut spans);
    let back: String = assemble(text, &spans, |i| &text[spans[i].clone()]).collect();
    assert_eq!(back, text);

    let mut back = String::new();
    let (mut from, mut segments) = (0, Segments::new(text, lang).peekable());
    loop {
        let window: Vec<_> = segments.by_ref().take(2).collect();
        let last = segments.peek().is_none();
        let upto = if last { text.len() } else { window[1].end };
        back.extend(assemble_from(&text[..upto], from, &window, |i| &text[window[i].clone()]));
        from = upto;
        if last {
            break;
        }
    }
    assert_eq!(back, text);

    let mut pieces = Vec::new();
    for r in &spans {
        split_long(text, r.clone(), lang, |s| s.chars().count() <= budget, &mut pieces);
    }
    for p in &pieces {
        assert!(text[p.clone()].chars().count() <= budget || text[p.clone()].chars().count() == 1);
    }
});
