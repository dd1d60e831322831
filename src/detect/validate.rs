//! Check-digit and date validators: pure functions over ASCII digits.
//!
//! Every validator takes the digits as a byte slice (`b'0'..=b'9'`, nothing else) and answers
//! without allocating. The facts behind them are in `docs/identifiers.md`; the unit tests at
//! the bottom run the public test vectors quoted there.

/// Weights of the first fødselsnummer check digit (digits 1-9).
const W1: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
/// Weights of the second check digit (digits 1-10); also the kontonummer weights.
const W2: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
/// Organisasjonsnummer weights (digits 1-8).
const WORG: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];

#[inline]
fn val(b: u8) -> u32 {
    u32::from(b - b'0')
}

/// Which checksum rule an identity number satisfied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumRule {
    /// r1 == 0: the rule in use 1964-2031.
    Classic,
    /// r1 ∈ {1,2,3}: valid only under the rule in force from 1 January 2032.
    Rule2032,
}

impl ChecksumRule {
    pub fn as_str(self) -> &'static str {
        match self {
            ChecksumRule::Classic => "classic",
            ChecksumRule::Rule2032 => "2032",
        }
    }
}

/// The register an identity number belongs to, from the offsets on day and month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdVariant {
    Fodselsnummer,
    DNummer,
    HNummer,
    FhNummer,
}

/// Synthetic test populations, recognised by the month offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Synthetic {
    /// Month + 80: Skatteetaten's Tenor / Test-Norge.
    Tenor,
    /// Month + 65: Norsk helsenett's synthetic population.
    Helsenett,
}

/// A validated 11-digit identity number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IdNumber {
    pub variant: IdVariant,
    pub rule: ChecksumRule,
    pub synthetic: Option<Synthetic>,
    /// Month + 20 (NAV's NPID/BOST series): accepted, but the scheme is unconfirmed.
    pub npid: bool,
}

/// The two fødselsnummer remainders `(r1, r2)` in remainder form.
pub(crate) fn id_remainders(d: &[u8]) -> (u32, u32) {
    debug_assert_eq!(d.len(), 11);
    // Both sums in one pass over the digits.
    let (mut s1, mut s2) = (val(d[9]), W2[9] * val(d[9]) + val(d[10]));
    for i in 0..9 {
        let v = val(d[i]);
        s1 += W1[i] * v;
        s2 += W2[i] * v;
    }
    (s1 % 11, s2 % 11)
}

/// Checksum rule satisfied by 11 digits, if any.
pub(crate) fn id_checksum(d: &[u8]) -> Option<ChecksumRule> {
    checksum_rule(id_remainders(d))
}

fn checksum_rule(remainders: (u32, u32)) -> Option<ChecksumRule> {
    match remainders {
        (0, 0) => Some(ChecksumRule::Classic),
        (1..=3, 0) => Some(ChecksumRule::Rule2032),
        _ => None,
    }
}

fn days_in_month(month: u32, yy: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        // The century is unknown, so 00 counts as a leap year (2000 was one).
        2 if yy % 4 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// True when day/month (offsets removed) form a real date in some century.
pub(crate) fn is_date(day: u32, month: u32, yy: u32) -> bool {
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(month, yy)
}

/// Validates a fødselsnummer or one of its variants: both check digits (classic or 2032 rule)
/// and, except for FH-numbers, the date after offsets.
pub(crate) fn identity_number(d: &[u8]) -> Option<IdNumber> {
    identity_and_account(d).0
}

/// 11 digits as an identity number and as an account number, from one pass over the digits:
/// the second check digit of an identity number is an account's check digit.
pub(crate) fn identity_and_account(d: &[u8]) -> (Option<IdNumber>, bool) {
    if d.len() != 11 || !d.iter().all(u8::is_ascii_digit) {
        return (None, false);
    }
    let remainders = id_remainders(d);
    let account = remainders.1 == 0;
    let id = checksum_rule(remainders).and_then(|rule| identity_after_checks(d, rule));
    (id, account)
}

/// The variant and date checks of an identity number whose check digits hold.
fn identity_after_checks(d: &[u8], rule: ChecksumRule) -> Option<IdNumber> {
    let d1 = val(d[0]);
    if d1 >= 8 {
        // FH-number: no date, random digits, the same check digits.
        return Some(IdNumber {
            variant: IdVariant::FhNummer,
            rule,
            synthetic: None,
            npid: false,
        });
    }
    let mut day = d1 * 10 + val(d[1]);
    let mut month = val(d[2]) * 10 + val(d[3]);
    let yy = val(d[4]) * 10 + val(d[5]);
    let mut variant = IdVariant::Fodselsnummer;
    if d1 >= 4 {
        day -= 40;
        variant = IdVariant::DNummer;
    }
    let mut synthetic = None;
    let mut npid = false;
    match month {
        80..=92 => {
            month -= 80;
            synthetic = Some(Synthetic::Tenor);
        }
        66..=77 => {
            month -= 65;
            synthetic = Some(Synthetic::Helsenett);
        }
        41..=52 if variant == IdVariant::Fodselsnummer => {
            month -= 40;
            variant = IdVariant::HNummer;
        }
        21..=32 if variant == IdVariant::Fodselsnummer => {
            month -= 20;
            npid = true;
        }
        _ => {}
    }
    is_date(day, month, yy).then_some(IdNumber {
        variant,
        rule,
        synthetic,
        npid,
    })
}

/// Kontonummer: mod 11 with weights 5 4 3 2 7 6 5 4 3 2 (a remainder giving 10 is invalid).
pub(crate) fn kontonummer(d: &[u8]) -> bool {
    d.len() == 11
        && d.iter().all(u8::is_ascii_digit)
        && (W2.iter().zip(d).map(|(w, &b)| w * val(b)).sum::<u32>() + val(d[10])) % 11 == 0
}

/// Organisasjonsnummer: 9 digits starting with 8 or 9, mod 11 with weights 3 2 7 6 5 4 3 2.
pub(crate) fn organisasjonsnummer(d: &[u8]) -> bool {
    d.len() == 9
        && d.iter().all(u8::is_ascii_digit)
        && matches!(d[0], b'8' | b'9')
        && (WORG.iter().zip(d).map(|(w, &b)| w * val(b)).sum::<u32>() + val(d[8])) % 11 == 0
}

/// Norwegian IBAN check: `NO` + 2 check digits + an 11-digit kontonummer, ISO 7064 mod 97 == 1.
/// `digits` holds the 13 digits after `NO`.
pub(crate) fn iban_no(digits: &[u8]) -> bool {
    if digits.len() != 13 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    // Rearranged: account, then "NO" as 23 24, then the check digits.
    let mut rem = 0u32;
    for &b in digits[2..].iter().chain(b"2324").chain(&digits[..2]) {
        rem = (rem * 10 + val(b)) % 97;
    }
    rem == 1 && kontonummer(&digits[2..])
}

/// Luhn (mod 10), for user rules.
pub(crate) fn luhn(d: &[u8]) -> bool {
    if d.len() < 2 || !d.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &b)| {
            let v = val(b);
            if i % 2 == 1 {
                let x = v * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                v
            }
        })
        .sum();
    sum % 10 == 0
}

/// Generic mod 11 with weights 2,3,4,5,6,7 repeating from the right (the Norwegian KID and
/// many account schemes), the last digit being the check digit; remainder 10 is invalid.
pub(crate) fn mod11(d: &[u8]) -> bool {
    if d.len() < 2 || !d.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let (body, check) = d.split_at(d.len() - 1);
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &b)| (2 + (i as u32 % 6)) * val(b))
        .sum();
    let c = (11 - sum % 11) % 11;
    c != 10 && c == val(check[0])
}

/// Phone: an 8-digit Norwegian subscriber number that belongs to a person's line — mobile (4, 9)
/// or fixed (2, 3, 5 with 50-57, 6, 7). 58/59 are machine-to-machine, 8xx service numbers, 0 and
/// 1 start short numbers.
pub(crate) fn norwegian_subscriber(d: &[u8]) -> bool {
    d.len() == 8
        && d.iter().all(u8::is_ascii_digit)
        && match d[0] {
            b'2' | b'3' | b'4' | b'6' | b'7' | b'9' => true,
            b'5' => d[1] <= b'7',
            _ => false,
        }
}

/// True for 8 digits that read as a date `YYYYMMDD` in 1900-2099: bare, they are more likely a
/// date than a phone.
pub(crate) fn looks_like_yyyymmdd(d: &[u8]) -> bool {
    if d.len() != 8 || !d.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let cc = val(d[0]) * 10 + val(d[1]);
    let yy = val(d[2]) * 10 + val(d[3]);
    let month = val(d[4]) * 10 + val(d[5]);
    let day = val(d[6]) * 10 + val(d[7]);
    (cc == 19 || cc == 20) && is_date(day, month, yy)
}

/// A placeholder a person types where a number goes (`12345678901`, `99999999`, `98765432`):
/// one digit repeated, or a run that climbs or falls by one at each step (`…8901…` wraps).
/// Such values are never reported above low, whatever their checksum says.
///
/// Asked of every number found, so the first two digits pick the one run it could be (the step
/// between them) and most values are turned down there.
pub(crate) fn placeholder(d: &[u8]) -> bool {
    if d.len() < 6 {
        return false;
    }
    // (d1 - d0) mod 10 for digits; any other byte is turned down by the digit test below.
    let by = d[1].wrapping_sub(d[0]).wrapping_add(10) % 10;
    matches!(by, 0 | 1 | 9)
        && d.iter().all(u8::is_ascii_digit)
        && d.windows(2).all(|w| w[1] == b'0' + (w[0] - b'0' + by) % 10)
}

/// A named validator that user rules may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    Mod11,
    Luhn,
    Fodselsnummer,
    Kontonummer,
    Organisasjonsnummer,
}

impl Named {
    pub const ALL: [(&'static str, Named); 5] = [
        ("mod11", Named::Mod11),
        ("luhn", Named::Luhn),
        ("fodselsnummer", Named::Fodselsnummer),
        ("kontonummer", Named::Kontonummer),
        ("organisasjonsnummer", Named::Organisasjonsnummer),
    ];

    pub fn parse(name: &str) -> Option<Named> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// Runs the validator on the digits of `value` (other characters are ignored).
    pub fn check(self, value: &str) -> bool {
        let digits: Vec<u8> = value.bytes().filter(u8::is_ascii_digit).collect();
        match self {
            Named::Mod11 => mod11(&digits),
            Named::Luhn => luhn(&digits),
            Named::Fodselsnummer => identity_number(&digits).is_some(),
            Named::Kontonummer => kontonummer(&digits),
            Named::Organisasjonsnummer => organisasjonsnummer(&digits),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        for p in [
            "12345678901",
            "01234567890",
            "99999999",
            "00000000000",
            "98765432",
            "54321098765",
            "23456789",
        ] {
            assert!(placeholder(p.as_bytes()), "{p}");
        }
        for n in [
            "13097248022",
            "40300040",
            "92345678",
            "12345",
            "12345678x",
            "11112222",
            "12121212",
            "1234567/",
            "09876543x",
        ] {
            assert!(!placeholder(n.as_bytes()), "{n}");
        }
    }

    fn id(s: &str) -> Option<IdNumber> {
        identity_number(s.as_bytes())
    }

    #[test]
    fn classic_vectors() {
        for s in ["20036914700", "29020073150", "13097248022", "15021951940"] {
            let n = id(s).unwrap_or_else(|| panic!("{s} should validate"));
            assert_eq!(n.rule, ChecksumRule::Classic, "{s}");
            assert_eq!(n.variant, IdVariant::Fodselsnummer, "{s}");
            assert_eq!(n.synthetic, None, "{s}");
        }
    }

    #[test]
    fn rule_2032_vectors() {
        for s in ["30108299939", "02013299903"] {
            assert_eq!(id(s).unwrap().rule, ChecksumRule::Rule2032, "{s}");
        }
        let d = id("55102499947").unwrap();
        assert_eq!(
            (d.variant, d.rule),
            (IdVariant::DNummer, ChecksumRule::Rule2032)
        );
    }

    #[test]
    fn synthetic_vectors() {
        for s in ["03851598730", "10915596784", "30908299902"] {
            assert_eq!(id(s).unwrap().synthetic, Some(Synthetic::Tenor), "{s}");
        }
        assert_eq!(id("30908299902").unwrap().rule, ChecksumRule::Rule2032);
        let dn = id("41819077302").unwrap();
        assert_eq!(dn.variant, IdVariant::DNummer);
        assert_eq!(dn.synthetic, Some(Synthetic::Tenor));
    }

    #[test]
    fn variant_vectors() {
        assert_eq!(id("53097248016").unwrap().variant, IdVariant::DNummer);
        assert_eq!(id("13527248013").unwrap().variant, IdVariant::HNummer);
        assert_eq!(id("81234567802").unwrap().variant, IdVariant::FhNummer);
        assert_eq!(id("91234567883").unwrap().variant, IdVariant::FhNummer);
    }

    #[test]
    fn invalid_vectors() {
        for s in [
            "20036914712", // k2
            "13097248032", // k1
            "02013299987", // k1 outside the 2032 set
            "29020105729", // 29 Feb 2001
            "12345678910", // placeholder
            "00000000000", // passes both checksums, no date
        ] {
            assert_eq!(id(s), None, "{s} must not validate");
        }
        assert_eq!(id_checksum(b"00000000000"), Some(ChecksumRule::Classic));
        assert_eq!(id("2003691470"), None, "10 digits");
        assert_eq!(id("2003691470a"), None, "non-digit");
    }

    #[test]
    fn one_pass_answers_as_the_two_validators() {
        let mut rng = crate::synth::Rng::new(21);
        for i in 0..20_000 {
            let d: Vec<u8> = if i % 2 == 0 {
                crate::synth::identity_number(&mut rng, Default::default()).into_bytes()
            } else {
                (0..11).map(|_| b'0' + rng.below(10) as u8).collect()
            };
            assert_eq!(
                identity_and_account(&d),
                (identity_number_by_itself(&d), kontonummer(&d)),
                "{}",
                String::from_utf8_lossy(&d)
            );
        }
    }

    /// `identity_number` as written before the one-pass validator: checksum, then dates.
    fn identity_number_by_itself(d: &[u8]) -> Option<IdNumber> {
        identity_after_checks(d, id_checksum(d)?)
    }

    #[test]
    fn every_valid_identity_number_is_a_valid_account_number() {
        for s in ["20036914700", "30108299939", "81234567802", "03851598730"] {
            assert!(kontonummer(s.as_bytes()), "{s}");
        }
    }

    #[test]
    fn account_and_org_numbers() {
        // The account inside the published IBAN example NO93 8601 1117 947.
        assert!(kontonummer(b"86011117947"));
        assert!(!kontonummer(b"86011117948"));
        assert!(organisasjonsnummer(b"988077917"));
        assert!(!organisasjonsnummer(b"988077918"));
        assert!(!organisasjonsnummer(b"188077917"), "must start with 8 or 9");
        assert!(
            iban_no(b"9386011117947"),
            "NO93 8601 1117 947 is the published example"
        );
        assert!(!iban_no(b"9486011117947"));
    }

    #[test]
    fn luhn_and_mod11() {
        assert!(luhn(b"79927398713"));
        assert!(!luhn(b"79927398710"));
        assert!(mod11(b"12345678903"), "KID-style mod 11");
        assert!(!mod11(b"12345678904"));
    }

    #[test]
    fn subscriber_ranges() {
        for ok in [
            "40300040", "92345678", "22334455", "57123456", "73123456", "33123456",
        ] {
            assert!(norwegian_subscriber(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "58123456", "59123456", "80012345", "11223344", "01234567", "4030004",
        ] {
            assert!(!norwegian_subscriber(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn dates() {
        assert!(is_date(29, 2, 0));
        assert!(!is_date(29, 2, 1));
        assert!(!is_date(31, 4, 20));
        assert!(looks_like_yyyymmdd(b"20231231"));
        assert!(!looks_like_yyyymmdd(b"40300040"));
    }

    #[test]
    fn named_validators_parse() {
        assert_eq!(Named::parse("luhn"), Some(Named::Luhn));
        assert_eq!(Named::parse("nope"), None);
        assert!(Named::Fodselsnummer.check("200369 14700"));
    }
}
