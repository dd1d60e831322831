//! Tesseract's words as lines of text, and the evidence that goes with them.
//!
//! Words of one line (same block, paragraph and line number) are joined by a space, lines by
//! a newline, in Tesseract's reading order: the detector then sees a page as a person reads
//! it, with labels before values and above them. A word that is a number with one or two
//! letters OCR often takes for digits (`13O97248022`, `2OO36914700`) is read with the digits;
//! the evidence remembers it, so only a checksum can make such a value a finding.

use super::engine::Word;
use super::{weigh, Judged};
use crate::detect::Candidate;

/// For each word of a page's text, its byte span, confidence and line; for each line, its box
/// in the source image's pixels (images only).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    words: Vec<Span>,
    boxes: Vec<[u32; 4]>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Span {
    start: usize,
    end: usize,
    conf: f32,
    corrected: bool,
    line: usize,
}

impl Evidence {
    /// The candidate's confidence after OCR's certainty, and its line's box; `None` when it
    /// is not a finding (see [`weigh`]).
    pub fn judge(&self, c: &Candidate) -> Option<Judged> {
        let first = self.words.partition_point(|w| w.end <= c.start);
        let spanned = self.words[first..]
            .iter()
            .take_while(|w| w.start < c.end.max(c.start + 1));
        let (mut conf, mut corrected, mut line) = (100.0f32, false, None);
        for w in spanned {
            conf = conf.min(w.conf);
            corrected |= w.corrected;
            line.get_or_insert(w.line);
        }
        let confidence = weigh(c, conf, corrected)?;
        Some(Judged {
            confidence,
            bbox: line.and_then(|l| self.boxes.get(l).copied()),
        })
    }
}

/// The page's text and its evidence. `scale` is source pixels per pixel given to Tesseract;
/// with `boxes`, each line's box is kept, in source pixels.
///
/// Tesseract's lines are kept whole (it has deskewed the page to find them), but lines of
/// different blocks at the same height are put on one row, left to right: a form's label and
/// its value, or a table's cells, which page segmentation often puts in separate blocks,
/// then stand side by side as a person reads them. Lines on one row are separated by two
/// spaces, so numbers in neighbouring cells do not run together.
pub(super) fn lines(words: &[Word], scale: u32, boxes: bool) -> (String, Evidence) {
    let mut text = String::new();
    let mut ev = Evidence::default();
    for (r, row) in rows(words).iter().enumerate() {
        if r > 0 {
            text.push('\n');
        }
        for (i, tl) in row.iter().enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            for (j, w) in words[tl.words.clone()].iter().enumerate() {
                if j > 0 {
                    text.push(' ');
                }
                let start = text.len();
                let fixed = digits_for_letters(&w.text);
                text.push_str(fixed.as_deref().unwrap_or(&w.text));
                ev.words.push(Span {
                    start,
                    end: text.len(),
                    conf: w.conf,
                    corrected: fixed.is_some(),
                    line: ev.boxes.len(),
                });
            }
            ev.boxes.push(scaled(tl.bbox, scale));
        }
    }
    if !boxes {
        ev.boxes.clear();
    }
    (text, ev)
}

/// One of Tesseract's lines: its words and box.
#[derive(Debug, Clone)]
struct Line {
    words: std::ops::Range<usize>,
    bbox: [u32; 4],
}

impl Line {
    fn centre(&self) -> u32 {
        self.bbox[1] + self.bbox[3] / 2
    }
}

/// Tesseract's lines, gathered into rows (top to bottom), each row left to right.
fn rows(words: &[Word]) -> Vec<Vec<Line>> {
    let mut lines: Vec<Line> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let b = [w.left, w.top, w.width, w.height];
        match lines.last_mut() {
            Some(l) if words[l.words.start].line == w.line => {
                l.words.end = i + 1;
                l.bbox = union(l.bbox, b);
            }
            _ => lines.push(Line {
                words: i..i + 1,
                bbox: b,
            }),
        }
    }
    lines.sort_by_key(|l| (l.centre(), l.bbox[0]));
    let mut rows: Vec<Vec<Line>> = Vec::new();
    for l in lines {
        // A line whose centre falls within the row's first line joins the row.
        match rows.last_mut() {
            Some(row)
                if {
                    let first = &row[0];
                    let c = l.centre();
                    c >= first.bbox[1] && c <= first.bbox[1] + first.bbox[3]
                } =>
            {
                row.push(l)
            }
            _ => rows.push(vec![l]),
        }
    }
    for row in &mut rows {
        row.sort_by_key(|l| l.bbox[0]);
    }
    rows
}

fn union(a: [u32; 4], b: [u32; 4]) -> [u32; 4] {
    let x = a[0].min(b[0]);
    let y = a[1].min(b[1]);
    let r = (a[0] + a[2]).max(b[0] + b[2]);
    let bottom = (a[1] + a[3]).max(b[1] + b[3]);
    [x, y, r - x, bottom - y]
}

fn scaled(b: [u32; 4], scale: u32) -> [u32; 4] {
    b.map(|v| v.saturating_mul(scale))
}

/// A letter OCR mistakes for a digit, and the digit.
fn as_digit(c: char) -> Option<char> {
    Some(match c {
        'O' | 'o' | 'Q' => '0',
        'I' | 'l' | '|' => '1',
        'Z' | 'z' => '2',
        'S' | 's' => '5',
        'B' => '8',
        _ => return None,
    })
}

/// A number with one or two such letters in it, read with digits: at least six digits, and
/// nothing else but the separators numbers are written with. Punctuation around the word
/// stays as it is.
fn digits_for_letters(word: &str) -> Option<String> {
    let core = word.trim_matches(|c: char| matches!(c, ',' | ';' | ':' | '(' | ')' | '"'));
    let core = core.strip_suffix('.').unwrap_or(core);
    let digits = core.chars().filter(char::is_ascii_digit).count();
    let letters = core.chars().filter(|&c| as_digit(c).is_some()).count();
    let clean = core
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == '-' || as_digit(c).is_some());
    if !clean || digits < 6 || !(1..=2).contains(&letters) {
        return None;
    }
    let fixed: String = core.chars().map(|c| as_digit(c).unwrap_or(c)).collect();
    Some(word.replacen(core, &fixed, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(line: u32, left: u32, conf: f32, text: &str) -> Word {
        Word {
            line: (1, 1, line),
            left,
            top: line * 40,
            width: 10 * text.len() as u32,
            height: 30,
            conf,
            text: text.into(),
        }
    }

    #[test]
    fn words_become_lines_with_boxes_in_source_pixels() {
        let words = [
            word(1, 10, 95.0, "Fnr:"),
            word(1, 60, 90.0, "13097248022"),
            word(2, 10, 80.0, "kari@example.no"),
        ];
        let (text, ev) = lines(&words, 2, true);
        assert_eq!(text, "Fnr: 13097248022\nkari@example.no");
        assert_eq!(ev.boxes, vec![[20, 80, 320, 60], [20, 160, 300, 60]]);
        assert_eq!((ev.words[1].start, ev.words[1].end), (5, 16));
        assert_eq!(ev.words[2].line, 1);
        let (_, ev) = lines(&words, 2, false);
        assert!(ev.boxes.is_empty());
    }

    #[test]
    fn lines_of_other_blocks_at_one_height_share_a_row() {
        // Labels in one block, values in another (as page segmentation often splits forms).
        let mut words = vec![word(1, 10, 95.0, "Fnr:"), word(2, 10, 95.0, "Mobil:")];
        for (line, left, text) in [(1, 400, "13097248022"), (2, 400, "403"), (2, 440, "00")] {
            let mut w = word(line, left, 90.0, text);
            w.line.0 = 2;
            words.push(w);
        }
        let (text, ev) = lines(&words, 1, true);
        assert_eq!(text, "Fnr:  13097248022\nMobil:  403 00");
        assert_eq!(ev.boxes.len(), 4, "a box per Tesseract line");
        assert_eq!(ev.boxes[1][0], 400);
    }

    #[test]
    fn letters_in_numbers_are_read_as_digits_only_in_numbers() {
        assert_eq!(
            digits_for_letters("13O97248022").as_deref(),
            Some("13097248022")
        );
        assert_eq!(
            digits_for_letters("(2OO369l4700),").as_deref(),
            None,
            "three letters"
        );
        assert_eq!(
            digits_for_letters("2OO36914700,").as_deref(),
            Some("20036914700,")
        );
        assert_eq!(digits_for_letters("Oslo"), None);
        assert_eq!(digits_for_letters("SO5"), None, "too few digits");
        assert_eq!(digits_for_letters("13097248022"), None, "nothing to change");
        assert_eq!(digits_for_letters("AB1234567"), None, "other letters");
    }
}
