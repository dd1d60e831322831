//! Context classes: which kinds of words stand near a value.
//!
//! All class words go into one Aho-Corasick automaton. A candidate's neighbourhood (a window
//! before and after it, lower-cased into a small buffer) is searched once, and the answer is a
//! bit set of classes. Rules turn that set into a score with their own weights, so one search
//! serves every rule that looks at the same value.

use aho_corasick::{AhoCorasick, MatchKind};

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
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&words)
            .expect("class words build an automaton");
        Classes {
            names,
            ac,
            pattern_class,
            pattern_prefix,
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
        self.scan_lower(&lower_latin1(text))
    }

    fn scan_lower(&self, lower: &str) -> ClassSet {
        let mut set = ClassSet::default();
        for m in self.ac.find_overlapping_iter(lower) {
            let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
            let starts_word = boundary(lower[..m.start()].chars().next_back());
            let ends_word = self.pattern_prefix[m.pattern().as_usize()]
                || boundary(lower[m.end()..].chars().next());
            if starts_word && ends_word {
                set.insert(self.pattern_class[m.pattern().as_usize()]);
            }
        }
        set
    }

    /// Classes within `before` bytes before `start` and `after` bytes after `end` in `text`,
    /// with window edges moved to character boundaries.
    pub fn classes_near(
        &self,
        text: &str,
        start: usize,
        end: usize,
        before: usize,
        after: usize,
    ) -> ClassSet {
        let mut set = ClassSet::default();
        if before > 0 {
            let from = floor_boundary(text, start.saturating_sub(before));
            set = set.union(self.classes_in(&text[from..start]));
        }
        if after > 0 {
            let to = floor_boundary(text, (end + after).min(text.len()));
            set = set.union(self.classes_in(&text[end..to]));
        }
        set
    }
}

/// `text.to_lowercase()`, with a fast path for text in Latin-1 (Norwegian text): there the
/// lower case of a letter is one table-free step, whereas `to_lowercase` leaves its ASCII fast
/// path at every `ø` and looks each character up (a quarter of the detector's time on text
/// dense with values). Anything beyond Latin-1 takes the standard library's full mapping.
fn lower_latin1(text: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    if !text.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            'A'..='Z' => out.push(c.to_ascii_lowercase()),
            // À..Þ but ×: the Latin-1 capitals, each 0x20 below its small letter.
            'À'..='Þ' if c != '×' => {
                out.push(char::from_u32(c as u32 + 0x20).expect("Latin-1 letter"))
            }
            '\0'..='ÿ' => out.push(c),
            _ => return Cow::Owned(text.to_lowercase()),
        }
    }
    Cow::Owned(out)
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
        for t in ["FØDSELSNUMMER Æøå", "plain", "ΣΑΣ Σ", "İstanbul", ""] {
            assert_eq!(lower_latin1(t), t.to_lowercase(), "{t}");
        }
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
    fn windows_look_both_ways() {
        let c = classes();
        let text = "fnr 12345 og så videre tlf";
        let set = c.classes_near(text, 4, 9, 10, 100);
        assert!(set.contains(0) && set.contains(1));
        let only_before = c.classes_near(text, 4, 9, 10, 3);
        assert!(only_before.contains(0) && !only_before.contains(1));
    }
}
