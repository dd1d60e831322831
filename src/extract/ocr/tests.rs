use super::engine::{parse_tsv, Word};
use super::*;
use crate::detect::{ChunkContext, Detector};

/// Candidates the built-in detector finds in `text`, weighed by the evidence of `words`
/// laid out as OCR lines: (kind, confidence) of each finding.
fn judged(words: &[Word]) -> Vec<(&'static str, Confidence)> {
    let (text, ev) = layout::lines(words, 1, true);
    let det = Detector::builtin();
    let mut cands = Vec::new();
    det.scan(&text, &ChunkContext::default(), &mut cands);
    cands
        .iter()
        .filter_map(|c| ev.judge(c).map(|j| (c.kind, j.confidence)))
        .collect()
}

fn line(n: u32, items: &[(&str, f32)]) -> Vec<Word> {
    items
        .iter()
        .enumerate()
        .map(|(i, &(text, conf))| Word {
            line: (1, 1, n),
            left: 10 + 200 * i as u32,
            top: 50 * n,
            width: 150,
            height: 30,
            conf,
            text: text.into(),
        })
        .collect()
}

#[test]
fn a_valid_number_keeps_its_confidence_unless_the_engine_was_very_unsure() {
    let sure = line(1, &[("Fødselsnummer:", 95.0), ("13097248022", 91.0)]);
    assert_eq!(judged(&sure), [(kind::FODSELSNUMMER, Confidence::High)]);
    let unsure = line(1, &[("Fødselsnummer:", 95.0), ("13097248022", 55.0)]);
    assert_eq!(judged(&unsure), [(kind::FODSELSNUMMER, Confidence::High)]);
    let guess = line(1, &[("Fødselsnummer:", 95.0), ("13097248022", 20.0)]);
    assert_eq!(judged(&guess), [(kind::FODSELSNUMMER, Confidence::Medium)]);
}

#[test]
fn phones_and_addresses_lose_confidence_with_the_engine_s_certainty() {
    let sure = line(1, &[("Mobil:", 96.0), ("40300040", 92.0)]);
    assert_eq!(judged(&sure), [(kind::PHONE, Confidence::High)]);
    let unsure = line(1, &[("Mobil:", 96.0), ("40300040", 60.0)]);
    assert_eq!(judged(&unsure), [(kind::PHONE, Confidence::Medium)]);
    let guess = line(1, &[("Mobil:", 96.0), ("40300040", 35.0)]);
    assert_eq!(judged(&guess), [(kind::PHONE, Confidence::Low)]);
}

#[test]
fn letters_read_as_digits_need_a_checksum() {
    // `O` for `0`: the check digits confirm the reading, one step lower.
    let fnr = line(1, &[("Fnr:", 95.0), ("13O97248022", 90.0)]);
    assert_eq!(judged(&fnr), [(kind::FODSELSNUMMER, Confidence::Medium)]);
    // A near miss stays a near miss: `13O97248023` fails its check digit after the fix.
    let miss = line(1, &[("Fnr:", 95.0), ("13O97248023", 90.0)]);
    assert_eq!(judged(&miss), []);
    // Nothing confirms a phone with a letter in it.
    let phone = line(1, &[("Mobil:", 95.0), ("4O300040", 90.0)]);
    assert_eq!(judged(&phone), []);
}

#[test]
fn a_number_over_two_words_takes_the_lower_confidence() {
    let split = line(1, &[("Fnr", 95.0), ("130972", 90.0), ("48022", 25.0)]);
    assert_eq!(judged(&split), [(kind::FODSELSNUMMER, Confidence::Medium)]);
}

#[test]
fn tesseract_tsv_gives_words_with_their_lines_boxes_and_confidences() {
    let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
               1\t1\t0\t0\t0\t0\t0\t0\t800\t600\t-1\t\n\
               4\t1\t1\t1\t1\t0\t10\t20\t300\t30\t-1\t\n\
               5\t1\t1\t1\t1\t1\t10\t20\t80\t30\t96.5\tFnr:\n\
               5\t1\t1\t1\t1\t2\t100\t20\t210\t30\t91.2\t13097248022\n\
               5\t1\t1\t1\t1\t3\t320\t20\t5\t30\t95\t \n\
               5\t1\t2\t1\t1\t1\t10\t80\t90\t30\t88\tbad\trow\n";
    let words = parse_tsv(tsv);
    assert_eq!(words.len(), 3, "{words:?}");
    assert_eq!(words[1].text, "13097248022");
    assert_eq!(words[1].line, (1, 1, 1));
    assert_eq!((words[1].left, words[1].width), (100, 210));
    assert!((words[1].conf - 91.2).abs() < 0.01);
    assert_eq!(words[2].line, (2, 1, 1));
}

#[test]
fn without_ocr_images_are_media() {
    let (r, t) = crate::extract::testing::run("bilde.png", b"\x89PNG\r\n\x1a\n", |i, s| {
        image(i, Media::Png, s)
    });
    let note = r.unwrap().note.unwrap();
    assert_eq!(
        (note.status, note.reason.as_str()),
        (Status::Skipped, "media")
    );
    assert!(t.chunks.is_empty());
}

#[test]
fn helpers_run_within_the_memory_limit_and_are_killed_when_time_is_spent() {
    use crate::extract::{Clock, Limit, Limits};
    use std::process::Command;
    let settings = Settings {
        max_child_memory: 64 << 20,
        ..Settings::default()
    };
    let clock = Clock::start(&Limits::default());
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "ulimit -v; cat"]);
    let out = match engine::run(
        &mut cmd,
        engine::Input::Stdin(b"side"),
        1024,
        &settings,
        clock,
    ) {
        Ok(out) => String::from_utf8(out).unwrap(),
        Err(_) => panic!("sh failed"),
    };
    assert_eq!(
        out, "65536\nside",
        "address space in KiB, then standard input"
    );

    let short = Limits {
        seconds: 1,
        ..Limits::default()
    };
    let mut cmd = Command::new("sleep");
    cmd.arg("60");
    match engine::run(
        &mut cmd,
        engine::Input::Stdin(b""),
        1024,
        &settings,
        Clock::start(&short),
    ) {
        Err(PageError::Stop(ExtractError::Limit(hit))) => assert_eq!(hit.limit, Limit::Time),
        Err(PageError::Failed(why)) => panic!("failed instead of timing out: {why}"),
        _ => panic!("a helper past the file's time must be stopped"),
    }
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "kill -SEGV $$"]);
    match engine::run(&mut cmd, engine::Input::Stdin(b""), 1024, &settings, clock) {
        Err(PageError::Failed(why)) => assert!(why.contains("signal 11"), "{why}"),
        _ => panic!("a crashed helper fails its page"),
    }
}
