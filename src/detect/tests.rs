//! Detector tests: every rule's examples, the hard cases from the issue, and properties over
//! generated numbers.

use super::*;
use crate::synth::{self, IdSpec, Rng};

/// Built once: compiling the rules for every case would dominate the property tests.
fn det() -> &'static Detector {
    static DET: std::sync::OnceLock<Detector> = std::sync::OnceLock::new();
    DET.get_or_init(Detector::builtin)
}

fn scan(d: &Detector, text: &str) -> Vec<Candidate> {
    let mut out = Vec::new();
    d.scan(text, &ChunkContext::default(), &mut out);
    out
}

fn reported(d: &Detector, text: &str) -> Vec<Candidate> {
    scan(d, text)
        .into_iter()
        .filter(|c| c.confidence >= Confidence::Medium)
        .collect()
}

#[test]
fn every_rule_example_holds() {
    let d = det();
    let failures = d.example_failures();
    assert!(
        failures.is_empty(),
        "rule examples failed:\n{}",
        failures.join("\n")
    );
}

#[test]
fn formats_of_identity_numbers() {
    let d = det();
    for text in [
        "fnr 20036914700",
        "fnr 200369 14700",
        "fnr 200369-14700",
        "fnr 20.03.69 14700",
        "fnr 20 03 69 147 00",
        "fnr 200369\u{a0}14700",
    ] {
        let c = reported(d, text);
        assert_eq!(c.len(), 1, "{text}: {c:?}");
        assert_eq!(
            (c[0].kind, c[0].value.as_str()),
            ("fodselsnummer", "20036914700"),
            "{text}"
        );
        assert_eq!(
            &text[c[0].start..c[0].end]
                .chars()
                .filter(char::is_ascii_digit)
                .count(),
            &11
        );
    }
}

#[test]
fn no_match_inside_longer_runs_decimals_dates_or_codes() {
    let d = det();
    for text in [
        "120036914700",
        "200369147001",
        "20036914700,25",
        "1,20036914700",
        "20036914700.5",
        "x20036914700",
        "20036914700b",
        "2003-69-14700",
        "ts 2023-03-20T14:30:00.123+01:00",
        "IBAN NO9420036914700",
        "a3f520036914700c9",
    ] {
        let ids: Vec<_> = scan(d, text)
            .into_iter()
            .filter(|c| c.rule == "fodselsnummer")
            .collect();
        assert!(ids.is_empty(), "{text}: {ids:?}");
    }
}

#[test]
fn account_or_identity_number_is_decided_by_context() {
    let d = det();
    // 20036914700 validates both ways.
    let plain = reported(d, "20036914700");
    assert_eq!(plain[0].kind, "fodselsnummer");
    assert_eq!(plain[0].confidence, Confidence::Medium);
    let person = reported(d, "Fødselsnr: 20036914700");
    assert_eq!(
        (person[0].kind, person[0].confidence),
        ("fodselsnummer", Confidence::High)
    );
    let bank = reported(d, "Kontonr: 20036914700");
    assert_eq!(
        (bank[0].kind, bank[0].confidence),
        ("kontonummer", Confidence::High)
    );
    let after = reported(d, "20036914700 (bankkonto)");
    assert_eq!(
        after[0].kind, "kontonummer",
        "keywords after the value count too"
    );
    let grouped = reported(d, "2003.69.14700");
    assert_eq!(
        (grouped[0].kind, grouped[0].confidence),
        ("kontonummer", Confidence::Medium),
        "only accounts are written RRRR.KK.NNNNC"
    );
    let company = scan(d, "Kontor 22 33 44 55");
    assert_eq!(
        company[0].confidence,
        Confidence::Medium,
        "`konto` is not `kontor`"
    );
}

#[test]
fn context_stays_on_the_line_or_the_label_above() {
    let d = det();
    let c = reported(d, "mitt fnr er 200369 14700\nKontonr: 8601.11.17947");
    assert_eq!(
        (c[0].kind, c[0].confidence),
        ("fodselsnummer", Confidence::High),
        "{c:?}"
    );
    assert_eq!(
        (c[1].kind, c[1].confidence),
        ("kontonummer", Confidence::High),
        "{c:?}"
    );
    let label_above = reported(d, "Fødselsnummer:\n  13097248022\n");
    assert_eq!(label_above[0].confidence, Confidence::High);
    let two_lines_up = reported(d, "Fødselsnummer:\n\n13097248022\n");
    assert_eq!(two_lines_up[0].confidence, Confidence::Medium);
}

#[test]
fn numbers_near_company_and_bookkeeping_words_are_not_persons() {
    let d = det();
    assert!(reported(d, "Org.nr: 988 077 917, faktura 20036914700").is_empty());
    let org = scan(d, "Org.nr. 988077917");
    assert_eq!(
        (org[0].kind, org[0].confidence),
        ("organisasjonsnummer", Confidence::Low)
    );
    assert!(reported(d, "KID: 92345678").is_empty(), "a KID is no phone");
    assert!(reported(d, "Kundenr 92345678").is_empty());
}

#[test]
fn phones_need_evidence() {
    let d = det();
    let cases = [
        ("+47 403 00 040", Some(("+4740300040", Confidence::High))),
        ("+47-40300040", Some(("+4740300040", Confidence::High))),
        ("tlf:40300040", Some(("+4740300040", Confidence::High))),
        ("22 33 44 55", Some(("+4722334455", Confidence::Medium))),
        ("4030 0040", None),
        ("40300040", None),
        ("20231231", None),
        ("tlf 80012345", None),
        ("+47 58 12 34 56", None),
        ("tlf 1881", None),
        (
            "+46 70 123 45 67",
            Some(("+46701234567", Confidence::Medium)),
        ),
        (
            "+1 415 555 0132",
            Some(("+14155550132", Confidence::Medium)),
        ),
    ];
    for (text, want) in cases {
        let got: Vec<_> = reported(d, text)
            .into_iter()
            .filter(|c| c.kind == "phone")
            .collect();
        match want {
            Some((v, conf)) => {
                assert_eq!(got.len(), 1, "{text}: {got:?}");
                assert_eq!(
                    (got[0].value.as_str(), got[0].confidence),
                    (v, conf),
                    "{text}"
                );
            }
            None => assert!(got.is_empty(), "{text}: {got:?}"),
        }
    }
}

#[test]
fn lists_of_numbers_yield_each() {
    let d = det();
    let c = reported(d, "Mobil: 40300040 92345678 41234567");
    assert_eq!(c.len(), 3, "{c:?}");
    let c = reported(d, "fnr: 20036914700 13097248022");
    assert_eq!(c.len(), 2, "{c:?}");
}

#[test]
fn emails() {
    let d = det();
    let c = reported(
        d,
        "kontakt: Ola.Nordmann@Blåbær.NO, kari+x@firma.no; logo@2x.png @types/node a@b",
    );
    let values: Vec<_> = c.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(values, ["ola.nordmann@blåbær.no", "kari+x@firma.no"]);
    let role = reported(d, "postmottak@kommune.no");
    assert!(role[0].role);
    assert!(!c[0].role);
}

#[test]
fn column_headers_give_context_and_recover_leading_zeros() {
    let d = det();
    let field = |header: &str, value: &str| {
        let ctx = ChunkContext {
            header: Some(d.header(header)),
            ..ChunkContext::default()
        };
        let mut out = Vec::new();
        d.scan(value, &ctx, &mut out);
        out
    };
    // 03851598730 lost its leading zero: 3851598730.
    let id = field("Fødselsnummer", "3851598730");
    assert!(id[0].recovered_leading_zero && id[0].synthetic, "{id:?}");
    assert_eq!(id[0].value, "03851598730");
    assert_eq!(id[0].confidence, Confidence::High);
    let phone = field("Mobil", "40300040");
    assert_eq!(
        (phone[0].kind, phone[0].confidence),
        ("phone", Confidence::High)
    );
    // Without the header the bare values say nothing.
    assert!(reported(d, "3851598730").is_empty());
    assert!(reported(d, "40300040").is_empty());
    // A 10-digit number only gets a zero back in an identity column.
    assert!(field("Kundenr", "3851598730").is_empty());
}

#[test]
fn may_match_is_a_necessary_condition() {
    let d = det();
    assert!(d.may_match(b"40300040") && d.may_match(b"kari@example.no"));
    assert!(!d.may_match(b"7985,25") && !d.may_match(b"0182 Oslo") && !d.may_match(b""));
    // Whatever the text, a value found means may_match said yes.
    let mut rng = Rng::new(8);
    for _ in 0..2000 {
        let len = rng.below(14) as usize;
        let t: String = (0..len)
            .map(|_| *rng.pick(&['4', '0', '3', ' ', '@', 'a', '.', 'n', 'o']))
            .collect();
        if !scan(d, &t).is_empty() {
            assert!(d.may_match(t.as_bytes()), "{t:?}");
        }
    }
}

proptest::proptest! {
    /// The tally of each 64 bytes decides as the needs say, counted byte by byte. Mostly
    /// letters and spaces, so that texts longer than a block often meet the needs only
    /// across blocks, or not at all.
    #[test]
    fn needs_are_met_as_counted_byte_by_byte(
        text in proptest::collection::vec(
            proptest::sample::select(&b"aaaaaaaaaaaaaaaaaaaa          0129/:;.@\xc0\xff"[..]), 0..300),
    ) {
        proptest::prop_assert_eq!(det().needs.met(&text), needs_met(&text));
    }

    /// Texts of up to 16 bytes, counted as words: every length, and the bytes next to the
    /// digits' range, NUL, and bytes whose low seven bits are a digit's or a named byte's.
    #[test]
    fn short_needs_are_met_as_counted_byte_by_byte(
        text in proptest::collection::vec(
            proptest::sample::select(&b"0123456789/:;.@a \0\xb0\xb9\xba\xc0\xae\xff"[..]), 0..=17),
    ) {
        proptest::prop_assert_eq!(det().needs.met(&text), needs_met(&text));
    }
}

/// The two ways of counting a short text agree on every text; the words' way is what other
/// processors run, and is tested here because the build's machine uses the register one.
#[cfg(target_arch = "x86_64")]
#[test]
fn short_tallies_agree_in_words_and_in_a_register() {
    let named = &det().needs.named;
    let mut rng = Rng::new(11);
    let alphabet = b"0123456789/:;.@a \0\xb0\xb9\xba\xc0\xae\xff";
    for _ in 0..20_000 {
        let len = rng.below(17) as usize;
        let text: Vec<u8> = (0..len).map(|_| *rng.pick(alphabet)).collect();
        let (lo, hi) = short_words(&text);
        assert_eq!(
            short_tally_sse2(lo, hi, named),
            short_tally_swar(lo, hi, named),
            "{text:?}"
        );
    }
}

/// Whether some built-in detector's needs are met in `text`, from their declarations.
fn needs_met(text: &[u8]) -> bool {
    let digits = text.iter().filter(|b| b.is_ascii_digit()).count();
    Builtin::ALL.iter().flat_map(|b| b.spec().needs).any(|n| {
        digits >= n.digits && (n.bytes.is_empty() || text.iter().any(|b| n.bytes.contains(b)))
    })
}

#[test]
fn needs_are_counted_across_blocks() {
    let pad = |n: usize| "x".repeat(n);
    let cases = [
        // Seven digits in the first block, the eighth in the second.
        (format!("1234567{}8", pad(57)), true),
        (format!("1234567{}", pad(200)), false),
        // A dot in the third block, with digits in the first.
        (format!("1234{}.", pad(140)), true),
        ("@".repeat(64), true),
        (pad(200), false),
    ];
    for (text, met) in &cases {
        assert_eq!(needs_met(text.as_bytes()), *met, "oracle: {text}");
        assert_eq!(det().needs.met(text.as_bytes()), *met, "{text}");
    }
}

#[test]
fn chance_hits_among_many_ids_are_downgraded() {
    let d = det();
    let mut rng = Rng::new(3);
    let mut text = String::from("ids: ");
    for _ in 0..8 {
        text.push_str(&synth::invalid_identity_number(&mut rng));
        text.push(' ');
    }
    let valid = synth::identity_number(&mut rng, IdSpec::default());
    text.push_str(&valid);
    let c: Vec<_> = scan(d, &text)
        .into_iter()
        .filter(|c| c.value == valid)
        .collect();
    assert_eq!(c[0].confidence, Confidence::Low, "{c:?}");
}

#[test]
fn user_rules_with_validators() {
    let extra = r#"
[[rule]]
id = "ansattnummer"
pattern = '\bA(?<value>\d{11})\b'
validator = "luhn"
base = 1
[rule.weights]
person = 2
[[rule.examples]]
text = "fnr A79927398713"
kind = "ansattnummer"
confidence = "high"
"#;
    let d = Detector::new(RuleSet::with_extra(&[("mine/a.toml", extra)]).unwrap());
    assert!(
        d.example_failures().is_empty(),
        "{:?}",
        d.example_failures()
    );
    let c = scan(&d, "A79927398713 A79927398710");
    let ours: Vec<_> = c.iter().filter(|c| c.kind == "ansattnummer").collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].value, "79927398713");
}

/// Filler with the shape of Norwegian prose: words, punctuation, dates and short numbers.
fn filler(rng: &mut Rng, words: usize) -> String {
    const W: &[&str] = &[
        "og", "i", "på", "kurset", "deltaker", "møte", "2023", "kl.", "14.30", "rom", "12", "Oslo",
        "påmeldt", "betalt", "—", "nr.", "5", "side", "3,5", "timer", "æøå", "\n",
    ];
    let mut s = String::new();
    for _ in 0..words {
        let w: &&str = rng.pick(W);
        s.push_str(w);
        s.push(' ');
    }
    s
}

#[test]
fn property_valid_numbers_planted_in_text_are_found_once_with_their_kind() {
    let d = det();
    let mut rng = Rng::new(2026);
    for round in 0..400 {
        let spec = IdSpec {
            d_number: round % 3 == 0,
            h_number: round % 7 == 0 && round % 3 != 0 && round % 5 != 0,
            synthetic: round % 5 == 0,
            rule_2032: round % 4 == 0,
        };
        let n = synth::identity_number(&mut rng, spec);
        let text = format!(
            "{} fødselsnummer {} {}",
            filler(&mut rng, 30),
            n,
            filler(&mut rng, 30)
        );
        let hits: Vec<_> = scan(d, &text)
            .into_iter()
            .filter(|c| c.value == n)
            .collect();
        assert_eq!(hits.len(), 1, "{n} in {text:?}: {hits:?}");
        let want = if spec.d_number {
            "d_nummer"
        } else if spec.h_number {
            "h_nummer"
        } else {
            "fodselsnummer"
        };
        assert_eq!(hits[0].kind, want, "{n}");
        assert_eq!(hits[0].synthetic, spec.synthetic, "{n}");
        assert_eq!(hits[0].confidence, Confidence::High, "{n}");
    }
}

#[test]
fn property_invalid_numbers_are_never_identity_numbers() {
    let d = det();
    let mut rng = Rng::new(99);
    for _ in 0..400 {
        let n = synth::invalid_identity_number(&mut rng);
        let text = format!(
            "{} fnr {} {}",
            filler(&mut rng, 20),
            n,
            filler(&mut rng, 20)
        );
        let hits: Vec<_> = scan(d, &text)
            .into_iter()
            .filter(|c| c.rule == "fodselsnummer" && c.value == n)
            .collect();
        assert!(hits.is_empty(), "{n}: {hits:?}");
    }
}

#[test]
fn property_phones_planted_with_keyword_are_found() {
    let d = det();
    let mut rng = Rng::new(5);
    for _ in 0..300 {
        let m = synth::mobile(&mut rng);
        let written = match rng.below(4) {
            0 => m.clone(),
            1 => format!("+47 {}", m),
            2 => format!("{} {} {} {}", &m[..2], &m[2..4], &m[4..6], &m[6..]),
            _ => format!("{} {} {}", &m[..3], &m[3..5], &m[5..]),
        };
        let text = format!(
            "{} tlf {}, {}",
            filler(&mut rng, 10),
            written,
            filler(&mut rng, 10)
        );
        let hits: Vec<_> = reported(d, &text)
            .into_iter()
            .filter(|c| c.kind == "phone")
            .collect();
        assert_eq!(hits.len(), 1, "{text:?}: {hits:?}");
        assert_eq!(hits[0].value, format!("+47{m}"));
    }
}

mod prop {
    use super::*;
    use crate::synth::Rng;
    use proptest::prelude::*;

    /// Text of arbitrary characters, digits and separators included.
    fn noise() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[a-zA-Zæøå0-9 .,;:/@+()\n-]{0,120}").unwrap()
    }

    /// Text made of the pieces that digit chains are parsed from: digit runs of every length,
    /// prefixes (`0047`, `+47`, `(+47)`, `NO`), valid values, and every separator and neighbour
    /// the chain parser looks at, multi-byte characters included.
    fn hostile() -> impl Strategy<Value = String> {
        const PIECES: &[&str] = &[
            " ",
            " ",
            "\u{a0}",
            ".",
            "-",
            "+",
            "(",
            ")",
            "@",
            "\n",
            ",",
            "ø",
            "€",
            "𝟙",
            "\u{301}",
            "0047",
            "+47",
            "(+47)",
            "NO",
            "13097248022",
            "20036914700",
            "8601.11.17947",
            "40300040",
            "988077917",
            "kari@firma.no",
            ":",
            "::",
            "fe80",
            "ab",
            "[",
            "]",
            "%",
            "10.0.0.1",
            "2001:db8::1",
        ];
        let piece = prop_oneof![
            4 => "[0-9]{1,20}",
            4 => proptest::sample::select(PIECES).prop_map(String::from),
            1 => "[a-zA-Z]{1,3}",
        ];
        proptest::collection::vec(piece, 0..60).prop_map(|v| v.concat())
    }

    /// Scans `text` and checks what must hold on any input; returns the candidates.
    fn check_spans(d: &Detector, text: &str) -> Result<Vec<Candidate>, TestCaseError> {
        let out = scan(d, text);
        for c in &out {
            prop_assert!(
                c.start < c.end && c.end <= text.len(),
                "{:?} in {:?}",
                c,
                text
            );
            prop_assert!(text.is_char_boundary(c.start) && text.is_char_boundary(c.end));
        }
        prop_assert!(
            out.windows(2)
                .all(|w| (w[0].start, w[0].end) <= (w[1].start, w[1].end)),
            "unsorted: {:?}",
            out
        );
        Ok(out)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// A valid number set off by ". " and " ." from arbitrary noise is found exactly once,
        /// as its own kind, whatever the noise holds.
        #[test]
        fn valid_numbers_in_noise_are_found_once(seed in any::<u64>(), before in noise(), after in noise()) {
            let d = det();
            let mut rng = Rng::new(seed);
            let spec = IdSpec { d_number: seed % 2 == 0, synthetic: seed % 3 == 0, ..Default::default() };
            let n = synth::identity_number(&mut rng, spec);
            let text = format!("{before}. fnr {n} .{after}");
            let hits: Vec<_> = scan(d, &text).into_iter().filter(|c| c.value == n && c.rule == "fodselsnummer").collect();
            prop_assert_eq!(hits.len(), 1, "{:?}", text);
            prop_assert_eq!(hits[0].kind, if spec.d_number { "d_nummer" } else { "fodselsnummer" });
            prop_assert_eq!(&text[hits[0].start..hits[0].end], n.as_str());
        }

        /// Eleven digits that fail the checksum are never an identity number, whatever the
        /// noise around them.
        #[test]
        fn invalid_numbers_in_noise_are_never_found(seed in any::<u64>(), before in noise(), after in noise()) {
            let d = det();
            let n = synth::invalid_identity_number(&mut Rng::new(seed));
            let text = format!("{before} fnr {n} {after}");
            prop_assert!(scan(d, &text).iter().all(|c| c.value != n || c.rule != "fodselsnummer"));
        }

        /// Hostile digit chains and separators: no panic, every span in bounds and on
        /// character boundaries, output sorted; and valid values planted between clean
        /// separators are still found, whatever surrounds them.
        #[test]
        fn hostile_chains_are_safe_and_hide_nothing(
            seed in any::<u64>(),
            before in hostile(),
            after in hostile(),
        ) {
            let d = det();
            check_spans(d, &before)?;
            let mut rng = Rng::new(seed);
            let n = synth::identity_number(&mut rng, IdSpec::default());
            let m = synth::mobile(&mut rng);
            let text = format!("{before}\nfnr {n} og tlf +47 {m} \n{after}");
            let out = check_spans(d, &text)?;
            let at = before.len() + "\nfnr ".len();
            prop_assert!(
                out.iter().any(|c| c.value == n && (c.start, c.end) == (at, at + 11)),
                "{} not found in {:?}: {:?}", n, text, out
            );
            let phone = format!("+47{m}");
            prop_assert!(out.iter().any(|c| c.value == phone), "{} not found in {:?}", phone, text);
        }

        /// Detection never panics and spans stay on character boundaries, on any input.
        #[test]
        fn any_text_is_safe(text in "\\PC{0,300}") {
            let d = det();
            for c in scan(d, &text) {
                prop_assert!(text.is_char_boundary(c.start) && text.is_char_boundary(c.end) && c.start < c.end);
            }
        }
    }
}

#[test]
fn next_interesting_finds_the_same_bytes_as_a_byte_loop() {
    let naive = |b: &[u8], i: usize| {
        (i..b.len())
            .find(|&j| b[j].is_ascii_digit() || b[j] == b'@')
            .unwrap_or(b.len())
    };
    let mut rng = Rng::new(5);
    // Bytes next to the digits and `@` in value (borrows), plus non-ASCII text.
    let alphabet: Vec<u8> = b"/0123456789:?@A \n,."
        .iter()
        .copied()
        .chain("æøå".bytes())
        .chain([0x0a, 0x3a, 0x2f, 0xff])
        .collect();
    for _ in 0..2000 {
        let len = rng.below(80) as usize;
        let sparse = rng.below(2) == 0;
        let b: Vec<u8> = (0..len)
            .map(|_| {
                if sparse && rng.below(20) != 0 {
                    b'x'
                } else {
                    *rng.pick(&alphabet)
                }
            })
            .collect();
        for i in 0..=len {
            assert_eq!(next_interesting(&b, i), naive(&b, i), "{b:?} from {i}");
        }
    }
}

/// Issue 8, defect 1: a `0047` chain longer than any shape made `digits_from`'s "too long"
/// sentinel a slice end, and the panic cost the file every finding.
#[test]
fn long_0047_chains_are_no_phone_and_do_not_panic() {
    let d = det();
    let text = "fnr 13097248022 og 20036914700. Ref 004712345678901234";
    let c = reported(d, text);
    let values: Vec<_> = c.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(values, ["13097248022", "20036914700"], "{c:?}");
    for text in [
        "0047123456789012345678",
        "0047 1234 5678 9012 3456",
        "0047 12 34 56 78 90 12 34 56 78",
        "0047 40 3 0 0 0 4 0 9",
        "+4712345678901234567",
        "NO12345678901234567890",
    ] {
        let phones: Vec<_> = scan(d, text)
            .into_iter()
            .filter(|c| c.kind == "phone")
            .collect();
        assert!(phones.is_empty(), "{text}: {phones:?}");
    }
}

/// The kind-`ip_address` candidates of `text`: (written text, value, scope).
fn ips(d: &Detector, text: &str) -> Vec<(String, String, Option<&'static str>)> {
    scan(d, text)
        .into_iter()
        .filter(|c| c.kind == "ip_address")
        .map(|c| (text[c.start..c.end].to_string(), c.value.into(), c.scope))
        .collect()
}

/// Public test vectors: the RFC 5952 §1 and §4 forms of one address and the text each must
/// become, and the RFC 4291 §2.2 examples.
#[test]
fn rfc_5952_and_4291_vectors_are_found_and_normalised() {
    let d = det();
    let same = "2001:db8::1:0:0:1";
    let cases = [
        ("2001:db8:0:0:1:0:0:1", same),
        ("2001:0db8:0:0:1:0:0:1", same),
        ("2001:db8::1:0:0:1", same),
        ("2001:db8::0:1:0:0:1", same),
        ("2001:0db8::1:0:0:1", same),
        ("2001:db8:0:0:1::1", "2001:db8::1:0:0:1"),
        ("2001:db8:0000:0:1::1", "2001:db8::1:0:0:1"),
        ("2001:DB8:0:0:1::1", "2001:db8::1:0:0:1"),
        (
            "2001:db8:aaaa:bbbb:cccc:dddd:eeee:0001",
            "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1",
        ),
        ("2001:db8::0001", "2001:db8::1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        (
            "ABCD:EF01:2345:6789:ABCD:EF01:2345:6789",
            "abcd:ef01:2345:6789:abcd:ef01:2345:6789",
        ),
        ("2001:DB8:0:0:8:800:200C:417A", "2001:db8::8:800:200c:417a"),
        ("FF01:0:0:0:0:0:0:101", "ff01::101"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("::1", "::1"),
        ("0:0:0:0:0:FFFF:129.144.52.38", "::ffff:129.144.52.38"),
        ("::FFFF:129.144.52.38", "::ffff:129.144.52.38"),
    ];
    // Alone, after a label, in brackets with a port, and ending a sentence.
    for (written, value) in cases {
        for text in [
            written.to_string(),
            format!("ip: {written} ok"),
            format!("[{written}]:443"),
            format!("Adressen var {written}."),
        ] {
            let got = ips(d, &text);
            assert_eq!(got.len(), 1, "{text}: {got:?}");
            assert_eq!(
                (got[0].0.as_str(), got[0].1.as_str()),
                (written, value),
                "{text}"
            );
        }
    }
}

#[test]
fn ip_addresses_in_logs_and_their_neighbours() {
    let d = det();
    let found = |t: &str| ips(d, t).into_iter().map(|x| x.1).collect::<Vec<_>>();
    assert_eq!(
        found("Ref 12 10.0.0.1"),
        ["10.0.0.1"],
        "after a space in a chain"
    );
    assert_eq!(found("listen fe80::1%eth0"), ["fe80::1"]);
    assert_eq!(found("http://[2001:db8::1]/kurs"), ["2001:db8::1"]);
    assert_eq!(
        found("addr:2001:4860:4860::8888,"),
        ["2001:4860:4860::8888"]
    );
    assert_eq!(
        found("2001:4860:4860::8888 og 8.8.8.8"),
        ["2001:4860:4860::8888", "8.8.8.8"]
    );
    assert_eq!(
        found("2024-03-20T14:30:00.123+01:00 sshd: Accepted from 185.15.59.224 port 22"),
        ["185.15.59.224"]
    );
    for text in [
        "1.2.3.4.5",
        "256.1.1.1",
        "01.02.03.04",
        "a1.2.3.4",
        "1.2.3.4b",
        "10.0.0.0/8",
        "kl. 14:30:00",
        "550e8400-e29b-41d4-a716-446655440000",
        "commit 3f5a9c2e1b7d4f60a8e9c1d2b3a4f5e6d7c8b9a0",
        "00:1a:2b:3c:4d:5e",
    ] {
        assert!(found(text).is_empty(), "{text}: {:?}", found(text));
    }
    // Numbers after an address are still read.
    let c = reported(d, "ip 185.15.59.224 13097248022");
    let kinds: Vec<_> = c.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, ["ip_address", "fodselsnummer"], "{c:?}");
}

#[test]
fn ip_address_confidence_and_scope() {
    let d = det();
    let one = |t: &str| {
        let c: Vec<_> = scan(d, t)
            .into_iter()
            .filter(|c| c.kind == "ip_address")
            .collect();
        assert_eq!(c.len(), 1, "{t}: {c:?}");
        (c[0].confidence, c[0].scope)
    };
    assert_eq!(one("client 185.15.59.224"), (Confidence::High, None));
    assert_eq!(one("svarte 185.15.59.224"), (Confidence::Medium, None));
    assert_eq!(one("versjon 185.15.59.224"), (Confidence::Low, None));
    assert_eq!(
        one("client 192.168.10.20"),
        (Confidence::Low, Some("private"))
    );
    assert_eq!(one("client 127.0.0.1"), (Confidence::Low, Some("loopback")));
    assert_eq!(one("client fd00::1"), (Confidence::Low, Some("private")));
    assert_eq!(one("2.5.4.3"), (Confidence::Low, None));
}

#[test]
fn email_precision() {
    let d = det();
    let emails = |t: &str| -> Vec<(String, Confidence, bool)> {
        scan(d, t)
            .into_iter()
            .filter(|c| c.kind == "email")
            .map(|c| (c.value.into(), c.confidence, c.role))
            .collect()
    };
    assert_eq!(
        emails("kari@firma.xn--mgbab2bd ola@firma.بازار per@blåbær.no"),
        [
            ("kari@firma.xn--mgbab2bd".into(), Confidence::High, false),
            ("ola@firma.بازار".into(), Confidence::High, false),
            ("per@blåbær.no".into(), Confidence::High, false),
        ]
    );
    for t in [
        "a@b.test",
        "a@x.example",
        "a@y.invalid",
        "a@z.localhost",
        "a@example.net",
    ] {
        assert_eq!(emails(t), [(t.into(), Confidence::Low, false)], "{t}");
    }
    for t in [
        "git@github.com:org/repo",
        "git@gitlab.example.no:team/x.git",
        "ssh://git@github.com/org/repo",
        "lodash@4.17.21",
        "@scope/pkg@^2",
        "pkg@1.2.3",
        "user@host",
        "kari@firma.intern",
        "x@y.notatld",
    ] {
        assert!(emails(t).is_empty(), "{t}: {:?}", emails(t));
    }
    // A colon after an address that ends a label is not an SSH remote.
    assert_eq!(emails("E-post: kari@firma.no: ring").len(), 1);
    for role in [
        "personvernombud",
        "personvern",
        "dpo",
        "privacy",
        "postmottak",
    ] {
        let t = format!("{role}@kommune.no");
        assert!(emails(&t)[0].2, "{t}");
    }
}

/// Numbers side by side (issue 14): every pairing of an identity number, an account number, a
/// phone and a prefixed phone, in both orders and in their written forms, joined by one space
/// as a table row extracted from a PDF has them: each is found, with its kind and value.
#[test]
fn numbers_side_by_side_are_each_found() {
    let d = det();
    let mut rng = Rng::new(14);
    let konto = loop {
        let k = synth::kontonummer(&mut rng);
        if validate::identity_number(k.as_bytes()).is_none() {
            break k;
        }
    };
    let dotted = format!("{}.{}.{}", &konto[..4], &konto[4..6], &konto[6..]);
    // (written, kind, value)
    let identity = [
        ("13097248022", "fodselsnummer", "13097248022"),
        ("130972 48022", "fodselsnummer", "13097248022"),
    ];
    let account = [
        (dotted.as_str(), "kontonummer", konto.as_str()),
        (konto.as_str(), "kontonummer", konto.as_str()),
    ];
    let phone = [
        ("92345678", "phone", "+4792345678"),
        ("923 45 678", "phone", "+4792345678"),
        ("92 34 56 78", "phone", "+4792345678"),
    ];
    let prefixed = [
        ("0047 40300040", "phone", "+4740300040"),
        ("+47 40300040", "phone", "+4740300040"),
        ("0047 403 00 040", "phone", "+4740300040"),
    ];
    let groups: [&[(&str, &str, &str)]; 4] = [&identity, &account, &phone, &prefixed];
    let mut pairs = 0;
    for (i, first) in groups.iter().enumerate() {
        for (j, second) in groups.iter().enumerate() {
            if i == j {
                continue;
            }
            for a in first.iter() {
                for b in second.iter() {
                    let text = format!("rad {} {} slutt", a.0, b.0);
                    let found = scan(d, &text);
                    for (written, kind, value) in [a, b] {
                        let at = text.find(written).unwrap();
                        let end = at + written.len();
                        assert!(
                            found.iter().any(|c| c.start == at
                                && c.end == end
                                && c.kind == *kind
                                && c.value == *value),
                            "{text}: {written} as {kind}; found {:?}",
                            found
                                .iter()
                                .map(|c| (&text[c.start..c.end], c.kind, c.confidence))
                                .collect::<Vec<_>>()
                        );
                    }
                    // A phone after its prefix is high wherever it stands.
                    if b.0.contains("47 ") || a.0.contains("47 ") {
                        assert!(
                            found.iter().any(|c| c.kind == "phone"
                                && c.value == "+4740300040"
                                && c.confidence == Confidence::High),
                            "{text}"
                        );
                    }
                    pairs += 1;
                }
            }
        }
    }
    assert_eq!(pairs, 2 * (2 * 2 + 2 * 3 + 2 * 3 + 2 * 3 + 2 * 3 + 3 * 3));
}

/// Chains that hold no anchor are not split: groups of four (a card number) are no phones.
#[test]
fn four_digit_groups_are_not_split_into_phones() {
    let d = det();
    for text in ["kort 4567 8901 2345 6789", "1998 2023 2024 2025"] {
        assert!(
            scan(d, text).iter().all(|c| c.kind != "phone"),
            "{text}: {:?}",
            scan(d, text)
        );
    }
}

/// Phones in the 3-2-3 grouping next to a name or an e-mail address in running text (issue 14).
#[test]
fn grouped_phones_next_to_names_and_addresses_are_at_least_medium() {
    let d = det();
    for text in [
        "Kari Nordmann 412 34 567",
        "Kari Nordmann, 412 34 567, kari@firma.no",
        "kari@firma.no 412 34 567",
        "Ola Hansen (412 34 567) kommer.",
    ] {
        let c = scan(d, text);
        assert!(
            c.iter().any(|c| c.kind == "phone"
                && c.value == "+4741234567"
                && c.confidence >= Confidence::Medium),
            "{text}: {c:?}"
        );
    }
}

/// A random timestamp in one of the forms [`timestamp::end`] knows or nearly knows: any
/// digits (not only real dates), a space, `T` or nothing before the time, fractions of up to
/// twelve digits, a `Z` or a zone offset.
fn timestamp_like(rng: &mut Rng) -> String {
    fn digits(rng: &mut Rng, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect()
    }
    let form = rng.below(3);
    let iso = form == 0;
    let mut s = match form {
        0 => {
            let (y, m, d) = (digits(rng, 4), digits(rng, 2), digits(rng, 2));
            format!("{y}-{m}-{d}")
        }
        1 => {
            let (d, m, y) = (digits(rng, 2), digits(rng, 2), digits(rng, 4));
            format!("{d}.{m}.{y}")
        }
        // A time alone.
        _ => String::new(),
    };
    let sep = match form {
        2 => "",
        _ => *rng.pick(&["", "T", " ", " "]),
    };
    if sep.is_empty() && form != 2 {
        return s;
    }
    let (h, m) = (digits(rng, 2), digits(rng, 2));
    s += &format!("{sep}{h}:{m}");
    if rng.below(4) != 0 {
        s += &format!(":{}", digits(rng, 2));
        if rng.below(2) == 0 {
            let mark = *rng.pick(&[",", ".", "."]);
            let n = 1 + rng.below(12) as usize;
            s += &format!("{mark}{}", digits(rng, n));
        }
    }
    match rng.below(4) {
        0 if iso || form == 2 => s.push('Z'),
        1 => {
            let (h, m) = (digits(rng, 2), digits(rng, 2));
            s += &format!("+{h}:{m}");
        }
        _ => {}
    }
    s
}

/// Passing timestamps by ([`timestamp`]) is only a shortcut: every candidate, at every
/// confidence, is the same with it and without it, for timestamps (real or not) among
/// numbers, addresses and the bytes that join chains or extend address regions.
#[test]
fn passing_timestamps_by_changes_no_candidate() {
    let with = det();
    let mut without = Detector::builtin();
    without.pass_timestamps = false;
    let mut rng = Rng::new(2032);
    let pieces = [
        "",
        "::",
        "fe::",
        "ff:",
        "a:",
        " ",
        "\n",
        "\t",
        "[",
        "]",
        "(",
        ")",
        "=",
        "ts=",
        "ordre ",
        "12 ",
        "12.",
        "12-",
        "3,",
        ",5",
        ".5",
        ".",
        ". Neste",
        " ERROR",
        "fe80::",
        "::1",
        ":ff",
        "abc",
        "ab",
        "Z",
        "T",
        "+",
        "-",
        "@",
        "x@",
        "@example.no",
        "ola@",
        "\u{a0}",
        "9\u{a0}",
        "\u{a0}48022",
        " 48022",
        " 14700",
        " 0047 ",
        " +47 ",
        "92345678",
        " 923 45 678",
        "1",
        "0",
        "192.168.",
        ".1.2.3",
        " 10.0.0.1",
        "kl. ",
        "fnr ",
        "tlf ",
        "konto ",
        "født ",
    ];
    let (mut passed, mut cells) = (0, 0);
    for _ in 0..20_000 {
        let mut text = String::new();
        for _ in 0..1 + rng.below(4) {
            match rng.below(5) {
                0 => text += &timestamp_like(&mut rng),
                1 => text += &synth::identity_number(&mut rng, IdSpec::default()),
                2 => text += &synth::mobile(&mut rng),
                _ => text += *rng.pick(&pieces),
            }
            if rng.below(2) == 0 {
                text += *rng.pick(&[" ", "\n", " INFO "]);
                text += &timestamp_like(&mut rng);
                text += *rng.pick(&[" ", "\n", " INFO ", ""]);
            }
        }
        let b = text.as_bytes();
        passed += (0..b.len())
            .filter(|&i| timestamp::end(b, i).is_some())
            .count();
        assert_eq!(scan(with, &text), scan(&without, &text), "{text:?}");
        // A cell that is a timestamp alone is not even handed to the scan.
        let cell = timestamp_like(&mut rng);
        if !with.may_match(cell.as_bytes()) {
            cells += 1;
            assert_eq!(scan(&without, &cell), [], "{cell:?}");
        }
    }
    assert!(cells > 5_000, "{cells} cells left out");
    // The generator reaches the shortcut often, not only its refusals.
    assert!(passed > 5_000, "{passed} timestamps passed by");
}

#[test]
fn log_timestamps_are_passed_by_and_numbers_beside_them_are_not() {
    for (text, end) in [
        ("2024-08-09 07:04:07.090 ERROR", Some(23)),
        ("2024-08-09T07:04:07Z x", Some(20)),
        ("2024-08-09T07:04:07+02:00", Some(19)),
        ("09.08.2024 07:04", Some(16)),
        ("09.08.2024.", Some(10)),
        ("[2024-08-09 07:04:07,123456]", None),
        ("2024-08-09 07:04:07 13097248022", None),
        ("2024-08-09-1", None),
        ("fe80::2024-08-09 x", None),
        ("07:04:07,090 INFO", Some(12)),
        ("[07:04:07] x", Some(9)),
        ("10:30 x", None),
        ("fe80::07:04:07 x", None),
        ("07:04:07:ab", None),
    ] {
        let at = text.find(|c: char| c.is_ascii_digit()).unwrap();
        assert_eq!(timestamp::end(text.as_bytes(), at), end, "{text}");
    }
    let c = reported(
        det(),
        "2024-08-09 07:04:07 13097248022 logget inn, fnr 13097248022",
    );
    assert_eq!(c.len(), 2, "{c:?}");
}
