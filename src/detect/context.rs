//! Context classes: which kinds of words stand near a value.
//!
//! All class words go into one Aho-Corasick automaton. A candidate's neighbourhood (a window
//! before and after it, lower-cased into a small buffer) is searched once, and the answer is a
//! bit set of classes. Rules turn that set into a score with their own weights, so one search
//! serves every rule that looks at the same value.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

/// A set of context classes, one bit per class (at most 32 classes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClassSet(pub u32);

impl ClassSet {
    pub fn contains(self, class: usize) -> bool {
        self.0 & (1 << class) != 0
    }
    pub fn insert(&mut self, class: usize) {
        self.0 |= 1 << class;
    }
    pub fn union(self, other: ClassSet) -> ClassSet {
        ClassSet(self.0 | other.0)
    }
}

/// The compiled context classes.
#[derive(Debug)]
pub struct Classes {
    names: Vec<String>,
    ac: AhoCorasick,
    /// Class of each automaton pattern.
    pattern_class: Vec<usize>,
    /// Whether each pattern may run on into a longer word (written with a trailing `*`).
    pattern_prefix: Vec<bool>,
    /// Every word holds a letter: text without letters holds no word.
    words_have_letters: bool,
}

pub const MAX_CLASSES: usize = 32;

impl Classes {
    /// Builds the automaton from `(class name, words)`; words are lower-cased here.
    pub fn new(classes: &[(String, Vec<String>)]) -> Classes {
        let mut names = Vec::new();
        let mut words = Vec::new();
        let mut pattern_class = Vec::new();
        let mut pattern_prefix = Vec::new();
        for (i, (name, ws)) in classes.iter().enumerate() {
            names.push(name.clone());
            for w in ws {
                let prefix = w.ends_with('*');
                words.push(w.trim_end_matches('*').to_lowercase());
                pattern_class.push(i);
                pattern_prefix.push(prefix);
            }
        }
        // A DFA whatever the number of words: past about a hundred the builder would pick an
        // NFA, and every window search took three times as long (the IP rule's words crossed
        // that line). The DFA of a few hundred short words is well under a megabyte.
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&words)
            .expect("class words build an automaton");
        let words_have_letters = words.iter().all(|w| w.chars().any(char::is_alphabetic));
        Classes {
            names,
            ac,
            pattern_class,
            pattern_prefix,
            words_have_letters,
        }
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Classes whose words stand as whole words in `text` (or start one, for `word*`).
    pub fn classes_in(&self, text: &str) -> ClassSet {
        match lower_in_place(text) {
            Some(lower) => self.scan_lower(&lower, Some(text)),
            None => self.scan_lower(&text.to_lowercase(), None),
        }
    }

    /// `orig`: the text before lower-casing, when its byte offsets are those of `lower` (for
    /// the word boundaries inside code identifiers).
    fn scan_lower(&self, lower: &str, orig: Option<&str>) -> ClassSet {
        let mut set = ClassSet::default();
        for w in self.words(lower, orig) {
            if w.starts_word && w.ends_word {
                set.insert(w.class);
            }
        }
        set
    }

    /// Every occurrence of a class word in lower-cased text, with whether it stands at the
    /// start of a word and ends one (or may run on). Words are also the parts of code
    /// identifiers: `_` and `-` separate words already (`fnr_barn`, `fnr-barn`), and with the
    /// original text `orig` (same offsets) a capital after a small letter starts a part
    /// (`personIdent`, `TelephoneNumber`, `rolleFoedselsnr`).
    fn words<'a>(
        &'a self,
        lower: &'a str,
        orig: Option<&'a str>,
    ) -> impl Iterator<Item = Word> + 'a {
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        let camel = move |at: usize| orig.is_some_and(|o| camel_boundary(o, at));
        self.ac.find_overlapping_iter(lower).map(move |m| {
            let p = m.pattern().as_usize();
            Word {
                start: m.start(),
                end: m.end(),
                class: self.pattern_class[p],
                starts_word: boundary(lower[..m.start()].chars().next_back()) || camel(m.start()),
                ends_word: self.pattern_prefix[p]
                    || boundary(lower[m.end()..].chars().next())
                    || camel(m.end()),
            }
        })
    }

    /// The class words of a whole chunk, found once: for a chunk dense with values, whose
    /// windows would otherwise be lower-cased and searched one by one (a register export has
    /// a value every dozen bytes). `None` when lower-casing the chunk would move byte offsets
    /// (letters beyond Latin-1 whose lower case is longer); the windows are searched then.
    pub fn word_index(&self, text: &str) -> Option<WordIndex> {
        if self.words_have_letters && !has_letters(text.as_bytes()) {
            return Some(WordIndex { words: Vec::new() });
        }
        let lower = lower_in_place(text)?;
        let mut words: Vec<Word> = self.words(&lower, Some(text)).collect();
        words.sort_by_key(|w| w.start);
        Some(WordIndex { words })
    }

    /// Classes within `before` bytes before `start` and `after` bytes after `end` in `text`,
    /// with window edges moved to character boundaries. With the chunk's [`WordIndex`] the
    /// windows are looked up in it, with the same answer.
    pub fn classes_near(
        &self,
        text: &str,
        index: Option<&WordIndex>,
        start: usize,
        end: usize,
        before: usize,
        after: usize,
    ) -> ClassSet {
        let in_window = |from: usize, to: usize| match index {
            Some(index) => index.classes_in(from, to),
            None => self.classes_in(&text[from..to]),
        };
        let mut set = ClassSet::default();
        if before > 0 {
            let from = floor_boundary(text, start.saturating_sub(before));
            set = set.union(in_window(from, start));
        }
        if after > 0 {
            let to = floor_boundary(text, (end + after).min(text.len()));
            set = set.union(in_window(end, to));
        }
        set
    }
}

/// One occurrence of a class word.
#[derive(Debug, Clone, Copy)]
struct Word {
    start: usize,
    end: usize,
    class: usize,
    starts_word: bool,
    ends_word: bool,
}

/// The class words of a chunk by position ([`Classes::word_index`]).
#[derive(Debug)]
pub struct WordIndex {
    /// Sorted by start.
    words: Vec<Word>,
}

impl WordIndex {
    /// Whether some class word starts in `from..to`.
    pub fn any_within(&self, from: usize, to: usize) -> bool {
        let first = self.words.partition_point(|w| w.start < from);
        self.words.get(first).is_some_and(|w| w.start < to)
    }

    /// Classes of the words inside `text[from..to]`, as [`Classes::classes_in`] would find
    /// them in that slice: its edges count as word boundaries.
    fn classes_in(&self, from: usize, to: usize) -> ClassSet {
        let mut set = ClassSet::default();
        let first = self.words.partition_point(|w| w.start < from);
        for w in self.words[first..].iter().take_while(|w| w.start < to) {
            if w.end <= to && (w.starts_word || w.start == from) && (w.ends_word || w.end == to) {
                set.insert(w.class);
            }
        }
        set
    }
}

/// Whether `b` may hold a letter: an ASCII letter or any non-ASCII byte. Whole 32-byte blocks
/// are tested branch-free, which the compiler turns into SIMD.
fn has_letters(b: &[u8]) -> bool {
    let letter = |x: u8| ((x | 0x20).wrapping_sub(b'a') < 26) | (x >= 0x80);
    let mut blocks = b.chunks_exact(32);
    for block in &mut blocks {
        if block.iter().fold(false, |hit, &x| hit | letter(x)) {
            return true;
        }
    }
    blocks.remainder().iter().any(|&x| letter(x))
}

/// Whether a part of a camelCase or PascalCase identifier starts at byte `at` of `text`: a
/// capital right after a small letter. (It looks at the two characters around `at` only, so a
/// window of the text answers as the whole text does.)
fn camel_boundary(text: &str, at: usize) -> bool {
    let (Some(before), Some(here)) = (
        text.get(..at).and_then(|t| t.chars().next_back()),
        text.get(at..).and_then(|t| t.chars().next()),
    ) else {
        return false;
    };
    before.is_lowercase() && here.is_uppercase()
}

/// `text.to_lowercase()`, with a fast path for text in Latin-1 (Norwegian text): there the
/// lower case of a letter is one table-free step, whereas `to_lowercase` leaves its ASCII fast
/// path at every `ø` and looks each character up (a quarter of the detector's time on text
/// dense with values). Anything else takes the standard library's full mapping.
#[cfg(test)]
fn lower_latin1(text: &str) -> std::borrow::Cow<'_, str> {
    lower_in_place(text).unwrap_or_else(|| std::borrow::Cow::Owned(text.to_lowercase()))
}

/// The lower case of `text` when every character keeps its byte offset: its lower case is one
/// character of the same length (Latin-1 letters on a fast path; digits, punctuation, most
/// scripts). `None` otherwise (`İ` lower-cases to two characters).
fn lower_in_place(text: &str) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    if !text.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80) {
        return Some(Cow::Borrowed(text));
    }
    // Byte by byte where the text is ASCII: a dense chunk is lower-cased whole.
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let ascii = rest.bytes().position(|b| b >= 0x80).unwrap_or(rest.len());
        out.extend(
            rest[..ascii]
                .bytes()
                .map(|b| char::from(b.to_ascii_lowercase())),
        );
        rest = &rest[ascii..];
        let Some(c) = rest.chars().next() else { break };
        rest = &rest[c.len_utf8()..];
        match c {
            // À..Þ but ×: the Latin-1 capitals, each 0x20 below its small letter.
            'À'..='Þ' if c != '×' => {
                out.push(char::from_u32(c as u32 + 0x20).expect("Latin-1 letter"))
            }
            '\0'..='ÿ' => out.push(c),
            // Final sigma depends on the letters around it: leave it to `to_lowercase`.
            'Σ' => return None,
            _ => {
                let mut lower = c.to_lowercase();
                match (lower.next(), lower.next()) {
                    (Some(l), None) if l.len_utf8() == c.len_utf8() => out.push(l),
                    _ => return None,
                }
            }
        }
    }
    Some(Cow::Owned(out))
}

/// The largest char boundary at or below `i`.
pub fn floor_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_lower_case_is_the_standard_one() {
        let all: String = ('\0'..='ÿ').collect();
        assert_eq!(lower_latin1(&all), all.to_lowercase());
        for t in [
            "FØDSELSNUMMER Æøå",
            "plain",
            "ΣΑΣ Σ",
            "İstanbul",
            "",
            "€ — 🙂 Ǆ",
        ] {
            assert_eq!(lower_latin1(t), t.to_lowercase(), "{t}");
        }
        assert!(lower_in_place("Fnr — 13097248022 €").is_some());
        assert!(lower_in_place("İstanbul").is_none());
    }

    fn classes() -> Classes {
        Classes::new(&[
            ("person".into(), vec!["fnr".into(), "Fødselsnummer*".into()]),
            ("phone".into(), vec!["mob*".into(), "tlf".into()]),
        ])
    }

    #[test]
    fn words_match_at_word_starts_only() {
        let c = classes();
        assert!(c.classes_in("FØDSELSNUMMER:").contains(0));
        assert!(c.classes_in("Mobil").contains(1));
        assert!(!c.classes_in("xfnr").contains(0));
        assert!(
            !c.classes_in("fnrx").contains(0),
            "whole words unless written word*"
        );
        assert!(c.classes_in("fødselsnummeret").contains(0));
        assert!(c.classes_in("tlf.").contains(1));
        assert_eq!(c.classes_in("ingenting her"), ClassSet::default());
    }

    #[test]
    fn words_inside_code_identifiers() {
        let c = classes();
        for t in [
            "fnr_barn",
            "fnr-barn",
            "barnFnr",
            "FnrBarn",
            "rolleFødselsnummer",
            "søkersFnr",
            "get_fnr()",
            "mobilNummer",
        ] {
            assert!(c.classes_in(t).0 != 0, "{t}");
        }
        // Inside a lower-case or all-capital run there is no part boundary.
        for t in ["xfnrx", "XFNR", "kafnr", "AFnrx", "enfnrb"] {
            assert_eq!(c.classes_in(t), ClassSet::default(), "{t}");
        }
        // The index of a whole chunk finds the same parts.
        let text = "val barnFnr = x; TlfNr";
        let index = c.word_index(text).unwrap();
        assert!(index.classes_in(4, 11).contains(0));
        assert!(camel_boundary(text, 8));
    }

    #[test]
    fn letters_are_found_anywhere() {
        assert!(!has_letters(b""));
        let digits = [b'7'; 100];
        assert!(!has_letters(&digits));
        for at in 0..100 {
            for x in [b'a', b'Z', b'q', 0xC3, 0x80] {
                let mut t = digits;
                t[at] = x;
                assert!(has_letters(&t), "{x} at {at}");
            }
        }
        assert!(!has_letters(b"0123456789 .,-+()@[]{}:;/\\\n\t"));
    }

    /// The index answers as searching the window does, wherever the window's edges fall
    /// (inside words, on multi-byte letters).
    #[test]
    fn the_index_answers_as_the_window_search() {
        let c = Classes::new(&[
            ("person".into(), vec!["fnr".into(), "Fødselsnummer*".into()]),
            (
                "phone".into(),
                vec!["mob*".into(), "tlf".into(), "mobil".into()],
            ),
            ("bank".into(), vec!["konto".into(), "kto".into()]),
        ]);
        let mut rng = crate::synth::Rng::new(4);
        let pieces = [
            "fnr",
            "xfnr",
            "Fødselsnummer",
            "FØDSELSNUMMERET",
            "Fnr",
            "xFnr",
            "Tlf",
            "barn",
            "mobil",
            "MOB",
            "tlf.",
            "konto",
            "kontor",
            "kto",
            " ",
            " ",
            "-",
            "ø",
            "€",
            "1",
            "Ǆ",
            "\n",
        ];
        for _ in 0..500 {
            let text: String = (0..rng.below(30)).map(|_| *rng.pick(&pieces)).collect();
            let index = c.word_index(&text).unwrap();
            for _ in 0..20 {
                let n = text.len() as u64 + 1;
                let (a, b) = (rng.below(n) as usize, rng.below(n) as usize);
                let (start, end) = (
                    floor_boundary(&text, a.min(b)),
                    floor_boundary(&text, a.max(b)),
                );
                let (before, after) = (rng.below(40) as usize, rng.below(40) as usize);
                assert_eq!(
                    c.classes_near(&text, Some(&index), start, end, before, after),
                    c.classes_near(&text, None, start, end, before, after),
                    "{text:?} {start}..{end} -{before} +{after}"
                );
            }
        }
    }

    #[test]
    fn windows_look_both_ways() {
        let c = classes();
        let text = "fnr 12345 og så videre tlf";
        let index = c.word_index(text).unwrap();
        for index in [None, Some(&index)] {
            let set = c.classes_near(text, index, 4, 9, 10, 100);
            assert!(set.contains(0) && set.contains(1));
            let only_before = c.classes_near(text, index, 4, 9, 10, 3);
            assert!(only_before.contains(0) && !only_before.contains(1));
        }
    }
}
