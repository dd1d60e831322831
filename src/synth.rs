//! Synthetic identifiers for tests, benchmarks and fixtures.
//!
//! Nothing here is a real person's number by intent: callers choose the synthetic month offset
//! (+80) for anything that is committed, and use the real-format generators only at test or
//! benchmark time, from a seeded generator.

use crate::detect::validate;

pub mod code;

/// A tiny deterministic generator (SplitMix64): reproducible across platforms and versions,
/// which `rand`'s algorithms do not promise.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn push2(s: &mut Vec<u8>, v: u32) {
    s.push(b'0' + (v / 10) as u8);
    s.push(b'0' + (v % 10) as u8);
}

/// Appends both check digits to 9 digits; `None` when a check digit would be 10.
fn with_check_digits(mut d: Vec<u8>, rule_2032: bool) -> Option<String> {
    const W1: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
    const W2: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let s1: u32 = W1
        .iter()
        .zip(&d)
        .map(|(w, b)| w * u32::from(b - b'0'))
        .sum();
    // Classic: r1 == 0; 2032: r1 == 1 (one of the values only the new rule allows).
    let target = u32::from(rule_2032);
    let k1 = (22 + target - s1 % 11) % 11;
    if k1 == 10 {
        return None;
    }
    d.push(b'0' + k1 as u8);
    let s2: u32 = W2
        .iter()
        .zip(&d)
        .map(|(w, b)| w * u32::from(b - b'0'))
        .sum();
    let k2 = (11 - s2 % 11) % 11;
    if k2 == 10 {
        return None;
    }
    d.push(b'0' + k2 as u8);
    String::from_utf8(d).ok()
}

/// Options for [`identity_number`].
#[derive(Debug, Clone, Copy, Default)]
pub struct IdSpec {
    /// D-number: day + 40.
    pub d_number: bool,
    /// H-number: month + 40.
    pub h_number: bool,
    /// Synthetic: month + 80.
    pub synthetic: bool,
    /// Valid only under the 2032 rule.
    pub rule_2032: bool,
}

/// A valid identity number drawn from `rng`.
pub fn identity_number(rng: &mut Rng, spec: IdSpec) -> String {
    loop {
        let month = 1 + rng.below(12) as u32;
        let yy = rng.below(100) as u32;
        let day = 1 + rng.below(28) as u32;
        let mut d = Vec::with_capacity(11);
        push2(&mut d, day + if spec.d_number { 40 } else { 0 });
        let m_off = if spec.synthetic {
            80
        } else if spec.h_number {
            40
        } else {
            0
        };
        push2(&mut d, month + m_off);
        push2(&mut d, yy);
        let ind = rng.below(1000) as u32;
        d.push(b'0' + (ind / 100) as u8);
        push2(&mut d, ind % 100);
        if let Some(s) = with_check_digits(d, spec.rule_2032) {
            debug_assert!(validate::identity_number(s.as_bytes()).is_some(), "{s}");
            return s;
        }
    }
}

/// A valid FH-number drawn from `rng`.
pub fn fh_number(rng: &mut Rng) -> String {
    loop {
        let mut d = vec![b'8' + rng.below(2) as u8];
        for _ in 0..8 {
            d.push(b'0' + rng.below(10) as u8);
        }
        if let Some(s) = with_check_digits(d, false) {
            return s;
        }
    }
}

/// A valid kontonummer drawn from `rng`.
pub fn kontonummer(rng: &mut Rng) -> String {
    loop {
        let mut d: Vec<u8> = (0..10).map(|_| b'0' + rng.below(10) as u8).collect();
        const W: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
        let s: u32 = W.iter().zip(&d).map(|(w, b)| w * u32::from(b - b'0')).sum();
        let k = (11 - s % 11) % 11;
        if k == 10 {
            continue;
        }
        d.push(b'0' + k as u8);
        return String::from_utf8(d).expect("digits");
    }
}

/// A Norwegian mobile number (8 digits, starting 4 or 9).
pub fn mobile(rng: &mut Rng) -> String {
    let first = if rng.below(2) == 0 { '4' } else { '9' };
    format!("{first}{:07}", rng.below(10_000_000))
}

/// Eleven digits that fail the identity checksum.
pub fn invalid_identity_number(rng: &mut Rng) -> String {
    loop {
        let s: String = (0..11)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect();
        if validate::id_checksum(s.as_bytes()).is_none() {
            return s;
        }
    }
}

/// The kinds of document [`Text`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Application logs: timestamps, levels, order numbers, amounts, user e-mails.
    Log,
    /// Letters and case notes: Norwegian prose with labelled values.
    Letter,
    /// A semicolon-separated export with a header row.
    Csv,
}

const WORDS: &[&str] = &[
    "og",
    "i",
    "det",
    "som",
    "på",
    "er",
    "en",
    "til",
    "av",
    "for",
    "med",
    "har",
    "ikke",
    "vi",
    "om",
    "saken",
    "kunden",
    "søknaden",
    "vedtak",
    "gjelder",
    "behandlet",
    "mottatt",
    "beløpet",
    "fakturaen",
    "avtalen",
    "vennligst",
    "kontakt",
    "oss",
    "dersom",
    "spørsmål",
    "henvendelse",
    "oppfølging",
    "måned",
    "år",
    "uke",
    "frist",
    "endring",
    "bekreftelse",
    "tjenesten",
    "området",
    "kommune",
    "fylke",
    "skolen",
    "helse",
    "barnehage",
    "søknadsfrist",
    "på grunn av",
    "etter",
    "før",
    "når",
    "også",
    "bare",
    "mellom",
    "under",
    "over",
    "innen",
    "hver",
    "alle",
];
const FIRST: &[&str] = &[
    "Kari", "Ola", "Ingrid", "Per", "Åse", "Bjørn", "Sigrid", "Håkon", "Nora", "Emil", "Sofie",
    "Jonas",
];
const LAST: &[&str] = &[
    "Nordmann", "Hansen", "Johansen", "Olsen", "Larsen", "Berg", "Haugen", "Bakke", "Sæther",
    "Løkken",
];
const STREETS: &[&str] = &[
    "Storgata",
    "Kirkeveien",
    "Fjordveien",
    "Bjørkelia",
    "Skolegata",
    "Sjøgata",
    "Ringveien",
];
const PLACES: &[&str] = &[
    "0182 Oslo",
    "5003 Bergen",
    "7010 Trondheim",
    "4006 Stavanger",
    "9008 Tromsø",
    "3015 Drammen",
];
const LEVELS: &[&str] = &["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];
const EVENTS: &[&str] = &[
    "ordre behandlet",
    "betaling mottatt",
    "innlogging ok",
    "økt avsluttet",
    "faktura sendt",
    "varsel lagt i kø",
    "oppslag i register",
    "tidsavbrudd mot tjeneste",
    "bruker oppdatert",
];

/// Text of realistic Norwegian shape for benchmarks: words, punctuation, dates, times,
/// amounts with decimal commas, order numbers, postcodes and CSV rows, with identity numbers,
/// phones, e-mail addresses and account numbers planted at a chosen density, most of them
/// beside a label that gives them context. Deterministic for a seed.
#[derive(Debug, Clone)]
pub struct Text {
    rng: Rng,
    style: Style,
    /// One value is planted for this many bytes of text, on average.
    bytes_per_value: u64,
    header_written: bool,
}

impl Text {
    /// `per_10kb` values planted per 10,000 bytes on average (0 for none).
    pub fn new(seed: u64, style: Style, per_10kb: u32) -> Text {
        Text {
            rng: Rng::new(seed),
            style,
            bytes_per_value: if per_10kb == 0 {
                u64::MAX
            } else {
                10_000 / u64::from(per_10kb)
            },
            header_written: false,
        }
    }

    /// Appends whole lines to `out` until it has grown by at least `bytes`.
    pub fn fill(&mut self, out: &mut String, bytes: usize) {
        let target = out.len() + bytes;
        while out.len() < target {
            self.line(out);
        }
    }

    /// Appends one line (with its newline).
    pub fn line(&mut self, out: &mut String) {
        use std::fmt::Write;
        let start = out.len();
        match self.style {
            Style::Log => {
                let _ = write!(
                    out,
                    "2024-{:02}-{:02} {:02}:{:02}:{:02}.{:03} {} [worker-{}] {}: ordre {} beløp {},{:02} kr",
                    1 + self.rng.below(12),
                    1 + self.rng.below(28),
                    self.rng.below(24),
                    self.rng.below(60),
                    self.rng.below(60),
                    self.rng.below(1000),
                    self.rng.pick(LEVELS),
                    self.rng.below(16),
                    self.rng.pick(EVENTS),
                    1_000_000 + self.rng.below(9_000_000),
                    self.rng.below(20_000),
                    self.rng.below(100),
                );
                if self.rng.below(4) == 0 {
                    let _ = write!(out, " latency_ms={} status=200", self.rng.below(900));
                }
            }
            Style::Letter => {
                let words = 6 + self.rng.below(14);
                for w in 0..words {
                    let word = *self.rng.pick(WORDS);
                    if w == 0 {
                        let mut c = word.chars();
                        if let Some(f) = c.next() {
                            out.extend(f.to_uppercase());
                            out.push_str(c.as_str());
                        }
                    } else {
                        out.push(' ');
                        out.push_str(word);
                    }
                    match self.rng.below(40) {
                        0 => {
                            let _ = write!(
                                out,
                                " {}.{:02}.20{:02}",
                                1 + self.rng.below(28),
                                1 + self.rng.below(12),
                                self.rng.below(30)
                            );
                        }
                        1 => {
                            let _ = write!(
                                out,
                                " kr {} {:03},{:02}",
                                1 + self.rng.below(99),
                                self.rng.below(1000),
                                self.rng.below(100)
                            );
                        }
                        2 => {
                            let _ = write!(
                                out,
                                " kl. {:02}.{:02}",
                                8 + self.rng.below(9),
                                self.rng.below(60)
                            );
                        }
                        3 => out.push(','),
                        _ => {}
                    }
                }
                out.push('.');
            }
            Style::Csv => {
                if !self.header_written {
                    self.header_written = true;
                    out.push_str("Dato;Ordrenr;Navn;Adresse;Poststed;Beløp;Kommentar\n");
                }
                let _ = write!(
                    out,
                    "{:02}.{:02}.2024;{};{} {};{} {};{};{},{:02};{}",
                    1 + self.rng.below(28),
                    1 + self.rng.below(12),
                    10_000 + self.rng.below(90_000),
                    self.rng.pick(FIRST),
                    self.rng.pick(LAST),
                    self.rng.pick(STREETS),
                    1 + self.rng.below(120),
                    self.rng.pick(PLACES),
                    self.rng.below(10_000),
                    self.rng.below(100),
                    self.rng.pick(EVENTS),
                );
            }
        }
        // Plant so that, on average, one value lands per `bytes_per_value` bytes.
        let len = (out.len() - start) as u64;
        if self.bytes_per_value != u64::MAX && self.rng.below(self.bytes_per_value) < len {
            self.plant(out);
        }
        out.push('\n');
    }

    /// A value, usually with a label; about one in five without one.
    fn plant(&mut self, out: &mut String) {
        let labelled = self.rng.below(5) != 0;
        let sep = if self.style == Style::Csv { ';' } else { ' ' };
        out.push(sep);
        let (label, value) = match self.rng.below(8) {
            0 | 1 => (
                "fødselsnummer",
                identity_number(&mut self.rng, IdSpec::default()),
            ),
            2 => (
                "d-nummer",
                identity_number(
                    &mut self.rng,
                    IdSpec {
                        d_number: true,
                        ..IdSpec::default()
                    },
                ),
            ),
            3 | 4 => ("mobil", mobile(&mut self.rng)),
            5 => {
                let k = kontonummer(&mut self.rng);
                ("kontonr", format!("{}.{}.{}", &k[..4], &k[4..6], &k[6..]))
            }
            6 => (
                "e-post",
                format!(
                    "{}.{}@{}",
                    self.rng.pick(FIRST).to_lowercase(),
                    self.rng.pick(LAST).to_lowercase(),
                    self.rng
                        .pick(&["firma.no", "kommune.no", "online.no", "gmail.com"]),
                ),
            ),
            _ => ("referanse", invalid_identity_number(&mut self.rng)),
        };
        if labelled {
            out.push_str(label);
            out.push_str(": ");
        }
        out.push_str(&value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_text_is_deterministic_and_holds_planted_values() {
        let gen = |seed| {
            let mut s = String::new();
            Text::new(seed, Style::Letter, 5).fill(&mut s, 50_000);
            s
        };
        let a = gen(3);
        assert_eq!(a, gen(3));
        assert_ne!(a, gen(4));
        assert!(a.contains("fødselsnummer: ") && a.contains('@'));
        let mut csv = String::new();
        Text::new(1, Style::Csv, 0).fill(&mut csv, 1000);
        assert!(csv.starts_with("Dato;Ordrenr;"));
        assert!(
            !csv.contains("fødselsnummer"),
            "nothing planted at density 0"
        );
    }

    #[test]
    fn generated_numbers_validate_as_asked() {
        let mut rng = Rng::new(7);
        for _ in 0..500 {
            let spec = IdSpec {
                d_number: rng.below(2) == 0,
                synthetic: rng.below(2) == 0,
                rule_2032: rng.below(2) == 0,
                h_number: false,
            };
            let s = identity_number(&mut rng, spec);
            let id = validate::identity_number(s.as_bytes()).unwrap();
            assert_eq!(id.synthetic.is_some(), spec.synthetic, "{s}");
            assert_eq!(
                id.variant == validate::IdVariant::DNummer,
                spec.d_number,
                "{s}"
            );
            assert_eq!(
                id.rule == validate::ChecksumRule::Rule2032,
                spec.rule_2032,
                "{s}"
            );
            assert!(validate::kontonummer(kontonummer(&mut rng).as_bytes()));
            assert!(validate::identity_number(fh_number(&mut rng).as_bytes()).is_some());
            assert!(
                validate::identity_number(invalid_identity_number(&mut rng).as_bytes()).is_none()
            );
        }
    }
}
