//! Per-language data for the sentence and clause splitters: which words before a full stop do
//! not end a sentence, and which words a long sentence may be cut before.
//!
//! The lists are data, not rules: a new language is a new set of arrays and a [`Lang`] variant.
//! Every list is sorted (byte order) so that lookups are binary searches; a test checks it.

/// The language of the source text. Languages without their own data get the
/// language-independent rules and the `COMMON_PREFIXES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    English,
    /// German.
    German,
    /// Any other language: only the rules that hold across languages.
    Other,
}

impl Lang {
    /// The language of a BCP 47 / POSIX tag: only the primary subtag counts, case-insensitively
    /// ("en", "en-US", "EN_gb" are English). Unknown tags, and "", are [`Lang::Other`].
    pub fn from_tag(tag: &str) -> Lang {
        let primary = tag.split(['-', '_', '.', '@']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("en") || primary.eq_ignore_ascii_case("eng") {
            Lang::English
        } else if primary.eq_ignore_ascii_case("de")
            || primary.eq_ignore_ascii_case("deu")
            || primary.eq_ignore_ascii_case("ger")
        {
            Lang::German
        } else {
            Lang::Other
        }
    }

    /// Words that, followed by ".", never end a sentence in this language (besides
    /// `COMMON_PREFIXES`).
    pub(crate) fn prefixes(self) -> &'static [&'static str] {
        match self {
            Lang::English => EN_PREFIXES,
            Lang::German => DE_PREFIXES,
            Lang::Other => &[],
        }
    }

    /// Words that, followed by "." and a number, do not end a sentence ("No. 5", "Abb. 3").
    pub(crate) fn numeric_prefixes(self) -> &'static [&'static str] {
        match self {
            Lang::English => EN_NUMERIC_PREFIXES,
            Lang::German => DE_NUMERIC_PREFIXES,
            Lang::Other => &[],
        }
    }

    /// Capitalised words that start a sentence and rarely continue one after a number or a
    /// dotted abbreviation.
    pub(crate) fn sentence_starts(self) -> &'static [&'static str] {
        match self {
            Lang::English => EN_SENTENCE_STARTS,
            Lang::German => DE_SENTENCE_STARTS,
            Lang::Other => &[],
        }
    }

    /// Conjunctions before which an over-long sentence may be cut.
    pub(crate) fn conjunctions(self) -> &'static [&'static str] {
        match self {
            Lang::English => EN_CONJUNCTIONS,
            Lang::German => DE_CONJUNCTIONS,
            Lang::Other => &[],
        }
    }

    /// Whether "3." (a short number and a full stop) is usually an ordinal ("am 3. Oktober").
    pub(crate) fn has_dot_ordinals(self) -> bool {
        self == Lang::German
    }
}

/// Whether `word` is in the sorted list `list`.
pub(crate) fn contains(list: &[&str], word: &str) -> bool {
    list.binary_search(&word).is_ok()
}

/// Titles and abbreviations shared by English, German and most Latin-script languages. They are
/// always followed by more of the sentence, so a full stop after them is never a boundary.
pub const COMMON_PREFIXES: &[&str] = &[
    "Dr", "Dres", "Mr", "Mrs", "Ms", "Mt", "Prof", "St", "ca", "cf", "vs",
];

/// English abbreviations that are followed by more of the sentence (after Moses'
/// `nonbreaking_prefix.en`, without words that often end a sentence: "Inc", "Ltd", "Co",
/// "Jr", "etc", and without "May", which is a whole word).
pub const EN_PREFIXES: &[&str] = &[
    "Adj", "Adm", "Adv", "Apr", "Asst", "Aug", "Bldg", "Brig", "Bros", "Capt", "Cmdr", "Col",
    "Comdr", "Con", "Corp", "Cpl", "Dec", "Dept", "Ens", "Feb", "Gen", "Gov", "Hon", "Hosp",
    "Insp", "Jan", "Jul", "Jun", "Lt", "MM", "Maj", "Mar", "Messrs", "Mlle", "Mme", "Msgr", "Nov",
    "Oct", "Pfc", "Ph", "Pvt", "Rep", "Reps", "Rev", "Rt", "Sen", "Sens", "Sep", "Sept", "Sfc",
    "Sgt", "Supt", "Surg", "Univ", "al", "approx", "dept", "e.g", "esp", "est", "i.e", "incl",
    "viz",
];

/// English abbreviations that do not end a sentence when a number follows.
pub const EN_NUMERIC_PREFIXES: &[&str] = &[
    "Art", "Ch", "Eq", "Fig", "No", "Nos", "Nr", "Sec", "Tab", "Vol", "ch", "fig", "no", "nos",
    "p", "para", "pp", "sec", "vol",
];

/// German abbreviations that are followed by more of the sentence (after Moses'
/// `nonbreaking_prefix.de`, plus months, "bzw", "evtl", "ggf", "Mio", "Mrd", "sog", "vgl"; without
/// "usw" and "etc", which usually end a sentence).
pub const DE_PREFIXES: &[&str] = &[
    "Abb", "Abs", "Abt", "Adr", "Akad", "Anh", "Anm", "Apr", "Aug", "Bd", "Bde", "Bearb", "Bem",
    "Bsp", "Bzw", "Chr", "Dez", "Dipl", "Dir", "Dt", "Evtl", "Fa", "Feb", "Fr", "Frl", "Gebr",
    "Ggf", "Hbf", "Hr", "Hrn", "Hrsg", "Ing", "Inh", "Inkl", "Insb", "Jan", "Jh", "Jhd", "Jul",
    "Jun", "Kap", "Kfm", "Mio", "Mrd", "Mär", "Nov", "Nr", "Okt", "Pfd", "Pkt", "Reg", "Rel",
    "Sep", "Sept", "Sog", "Std", "Str", "Tel", "Tsd", "Univ", "Verf", "Vgl", "Vors", "Ziff",
    "bspw", "bzgl", "bzw", "d.h", "ebd", "einschl", "evtl", "geb", "gegr", "gest", "ggf", "inkl",
    "insb", "jr", "max", "mind", "o.ä", "od", "rd", "s.o", "s.u", "sog", "tägl", "u.U", "u.a",
    "urspr", "v.a", "vgl", "z.B", "z.T", "zzgl", "zzt",
];

/// German abbreviations that do not end a sentence when a number follows.
pub const DE_NUMERIC_PREFIXES: &[&str] = &["Art", "Kap", "Nr", "Nrn", "S", "Tab", "Tz", "no"];

/// Capitalised German words that start sentences but never follow an ordinal: after "25." they
/// mark a number at the end of a sentence ("stieg auf 25. Die Polizei ..."), not an ordinal
/// ("am 25. Mai").
#[rustfmt::skip]
pub const DE_SENTENCE_STARTS: &[&str] = &[
    "Aber", "Allerdings", "Als", "Am", "Auch", "Auf", "Aus", "Außerdem", "Bei", "Bis", "Da",
    "Dabei", "Dadurch", "Daher", "Damit", "Danach", "Dann", "Darauf", "Das", "Dass", "Dazu", "Dem",
    "Den", "Denn", "Der", "Deshalb", "Die", "Dies", "Diese", "Diesem", "Diesen", "Dieser",
    "Dieses", "Doch", "Dort", "Du", "Durch", "Ein", "Eine", "Einem", "Einen", "Einer", "Er", "Es",
    "Für", "Heute", "Hier", "Ich", "Ihr", "Ihre", "Im", "In", "Insgesamt", "Jetzt", "Laut", "Man",
    "Mit", "Nach", "Noch", "Nun", "Nur", "Ob", "Obwohl", "Seit", "Sie", "So", "Somit", "Trotzdem",
    "Um", "Und", "Von", "Vor", "Was", "Weil", "Wenn", "Wer", "Wie", "Wir", "Wo", "Zudem", "Zum",
    "Zur",
];

/// Capitalised English words that start sentences but rarely follow "U.S." or "a.m." inside
/// one: after a dotted abbreviation they mark the end of a sentence ("at 10 a.m. The doors
/// open"), unlike names ("the U.S. Army", "at 10 a.m. Monday").
pub const EN_SENTENCE_STARTS: &[&str] = &[
    "A",
    "After",
    "All",
    "Also",
    "An",
    "And",
    "As",
    "At",
    "But",
    "During",
    "For",
    "He",
    "Her",
    "His",
    "However",
    "I",
    "If",
    "In",
    "It",
    "Its",
    "Meanwhile",
    "On",
    "Our",
    "She",
    "So",
    "Some",
    "That",
    "The",
    "Their",
    "There",
    "These",
    "They",
    "This",
    "Those",
    "Thus",
    "To",
    "We",
    "What",
    "When",
    "Where",
    "While",
    "Who",
    "With",
    "You",
];

/// English conjunctions that start a clause.
pub const EN_CONJUNCTIONS: &[&str] = &[
    "although", "and", "because", "but", "or", "since", "so", "though", "unless", "whereas",
    "which", "while", "who", "yet",
];

/// German conjunctions that start a clause.
pub const DE_CONJUNCTIONS: &[&str] = &[
    "aber", "als", "bevor", "da", "damit", "dass", "denn", "nachdem", "ob", "obwohl", "oder",
    "sodass", "sondern", "und", "weil", "wenn", "wobei", "während",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_sorted_and_unique_so_binary_search_works() {
        for list in [
            COMMON_PREFIXES,
            EN_PREFIXES,
            EN_NUMERIC_PREFIXES,
            DE_PREFIXES,
            DE_NUMERIC_PREFIXES,
            DE_SENTENCE_STARTS,
            EN_SENTENCE_STARTS,
            EN_CONJUNCTIONS,
            DE_CONJUNCTIONS,
        ] {
            for pair in list.windows(2) {
                assert!(pair[0] < pair[1], "{:?} before {:?}", pair[0], pair[1]);
            }
        }
    }

    #[test]
    fn tags_use_the_primary_subtag() {
        assert_eq!(Lang::from_tag("en"), Lang::English);
        assert_eq!(Lang::from_tag("EN-us"), Lang::English);
        assert_eq!(Lang::from_tag("de_DE.UTF-8"), Lang::German);
        assert_eq!(Lang::from_tag("deu"), Lang::German);
        assert_eq!(Lang::from_tag("fr"), Lang::Other);
        assert_eq!(Lang::from_tag(""), Lang::Other);
        assert_eq!(Lang::from_tag("english"), Lang::Other);
    }

    #[test]
    fn lookups() {
        assert!(contains(Lang::German.prefixes(), "bzw"));
        assert!(!contains(Lang::English.prefixes(), "bzw"));
        assert!(contains(COMMON_PREFIXES, "Dr"));
        assert!(contains(Lang::English.numeric_prefixes(), "No"));
    }
}
