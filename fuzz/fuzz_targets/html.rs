//! HTML/XML input on arbitrary pages: the first byte picks the check, the rest is the page
//! (invalid UTF-8 made valid). Even selector: the scanner and sentence plan alone, with an
//! identity translation; odd: a real translation with the INT8 fixture model (greedy or beam 2,
//! with or without the shortlist, at most 24 tokens a sentence). Either way nothing panics,
//! every piece of markup of the page comes back exactly once, and a well-nested page gives a
//! well-nested output (`mobilenmt::html::check`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mobilenmt::html::{check, identity};
use mobilenmt::text::Lang;
use mobilenmt::TranslateOptions;

#[path = "common/fixture.rs"]
mod fixture;
use fixture::translator;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let page = String::from_utf8_lossy(rest);
    let page = page.as_ref();
    let out = if sel & 1 == 0 {
        identity(page, [Lang::English, Lang::German, Lang::Other][usize::from(sel >> 1) % 3])
    } else {
        let opts = TranslateOptions {
            html: true,
            beam_size: 1 + usize::from(sel >> 1 & 1),
            shortlist: sel & 4 != 0,
            // The markup is under test, not long decodes: a short cap keeps every input fast
            // under the sanitizer.
            max_output_tokens: 24,
            ..TranslateOptions::default()
        };
        translator()
            .translate(page, &opts)
            .unwrap_or_else(|e| panic!("html translation failed: {e}"))
    };
    if let Err(e) = check(page, &out) {
        panic!("{e}\npage:   {page:?}\noutput: {out:?}");
    }
});
