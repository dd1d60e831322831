//! Code-shaped test files with planted values, for measuring the CI gate on what real
//! repositories hold: Kotlin, Java, TypeScript and C# test code, JSON and SQL fixtures.
//!
//! Every planted value is recorded with its file, line and what it is ([`Planted`]), so a
//! test or a measurement can tell which of the gate's failures are right and which real
//! numbers it let through. Identity numbers come from the seeded generator in
//! [`super`]: valid by construction, never copied from anywhere. The shapes (identifier
//! names, quoting, annotations) are the ones code uses; no code is taken from any project.

use super::{
    identity_number, invalid_identity_number, kontonummer, with_check_digits, IdSpec, Rng,
};

/// What a planted value is, and so what the gate should do with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    /// A valid identity number that is not synthetic: the gate should fail on it.
    Real,
    /// A synthetic test number (month + 80): it passes.
    Synthetic,
    /// Not an identity number (organisation or account number, a bad date or checksum,
    /// a placeholder): the gate must not fail on it.
    NotId,
}

/// How a line names what it holds, for telling apart which shapes are caught.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// A key word on its own (`fnr`, `fødselsnummer`, `ident`) names the value.
    Word,
    /// The key word is part of a code identifier (`personIdent`, `rolleFoedselsnr`).
    Identifier,
    /// Nothing names it: a quoted literal in a call or a list.
    Bare,
}

/// One value written into a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planted {
    pub path: String,
    /// 1-based line of the file.
    pub line: u64,
    pub value: String,
    pub truth: Truth,
    pub context: Context,
}

/// One generated file.
#[derive(Debug, Clone)]
pub struct File {
    pub path: String,
    pub text: String,
    pub planted: Vec<Planted>,
}

/// A line template: `{}` is where the value goes.
type Shape = (&'static str, Context);

const KOTLIN: &[Shape] = &[
    ("    val fnr = \"{}\"", Context::Word),
    ("    val personIdent = \"{}\"", Context::Identifier),
    (
        "    private val søkersFødselsnummer = \"{}\"",
        Context::Identifier,
    ),
    (
        "    every { pdl.hentPerson(\"{}\") } returns person",
        Context::Bare,
    ),
    (
        "    val barnasIdenter = listOf(\"{}\")",
        Context::Identifier,
    ),
];
const JAVA: &[Shape] = &[
    (
        "    private static final String FNR = \"{}\";",
        Context::Word,
    ),
    ("    String rolleFoedselsnr = \"{}\";", Context::Identifier),
    (
        "        Person p = new Person(\"Kari\", \"{}\");",
        Context::Bare,
    ),
    ("    @ValueSource(strings = {\"{}\"})", Context::Bare),
];
const TYPESCRIPT: &[Shape] = &[
    ("  const fnr = '{}';", Context::Word),
    ("  personIdent: '{}',", Context::Identifier),
    ("  cy.get('[data-test=input]').type('{}');", Context::Bare),
    ("  const fnr_barn = \"{}\";", Context::Identifier),
];
const CSHARP: &[Shape] = &[
    ("        var fodselsnummer = \"{}\";", Context::Word),
    ("        [InlineData(\"{}\")]", Context::Bare),
    (
        "            PersonIdentifier = \"{}\",",
        Context::Identifier,
    ),
];
const JSON: &[Shape] = &[
    ("    \"fnr\": \"{}\",", Context::Word),
    ("    \"personIdent\": \"{}\",", Context::Identifier),
    ("    \"ident\": \"{}\",", Context::Word),
    ("    \"verdi\": \"{}\",", Context::Bare),
];
const SQL: &[Shape] = &[
    (
        "INSERT INTO person (id, fnr, navn) VALUES (1, '{}', 'Ola');",
        Context::Word,
    ),
    ("INSERT INTO sak VALUES (2, '{}', 'AAP');", Context::Bare),
];

/// What each language's test files look like around the planted lines.
struct Lang {
    dir: &'static str,
    ext: &'static str,
    shapes: &'static [Shape],
    open: &'static str,
    filler: &'static str,
    close: &'static str,
}

const LANGS: &[Lang] = &[
    Lang {
        dir: "src/test/kotlin/no/nav/sak",
        ext: "kt",
        shapes: KOTLIN,
        open: "package no.nav.sak\n\nclass SakTest {\n",
        filler: "    // arrange",
        close: "}\n",
    },
    Lang {
        dir: "src/test/java/no/nav/vedtak",
        ext: "java",
        shapes: JAVA,
        open: "package no.nav.vedtak;\n\nclass VedtakTest {\n",
        filler: "    int antall = 3;",
        close: "}\n",
    },
    Lang {
        dir: "frontend/src/__tests__",
        ext: "test.ts",
        shapes: TYPESCRIPT,
        open: "describe('skjema', () => {\n",
        filler: "  it('viser feil', () => {});",
        close: "});\n",
    },
    Lang {
        dir: "Tests/Soknad",
        ext: "cs",
        shapes: CSHARP,
        open: "namespace Soknad.Tests;\n\npublic class SoknadTests\n{\n",
        filler: "        var antall = 3;",
        close: "}\n",
    },
    Lang {
        dir: "src/test/resources/json",
        ext: "json",
        shapes: JSON,
        open: "[\n  {\n",
        filler: "    \"aktiv\": true,",
        close: "    \"slutt\": 0\n  }\n]\n",
    },
    Lang {
        dir: "db/testdata",
        ext: "sql",
        shapes: SQL,
        open: "-- testdata\n",
        filler: "UPDATE sak SET status = 'OPPRETTET' WHERE id = 2;",
        close: "COMMIT;\n",
    },
];

/// A value of the given truth; `Real` numbers are ordinary, D- or H-numbers.
fn value(rng: &mut Rng, truth: Truth) -> String {
    match truth {
        Truth::Real => {
            let spec = match rng.below(10) {
                0 => IdSpec {
                    d_number: true,
                    ..IdSpec::default()
                },
                1 => IdSpec {
                    h_number: true,
                    ..IdSpec::default()
                },
                _ => IdSpec::default(),
            };
            identity_number(rng, spec)
        }
        Truth::Synthetic => identity_number(
            rng,
            IdSpec {
                synthetic: true,
                ..IdSpec::default()
            },
        ),
        Truth::NotId => not_an_id(rng),
    }
}

/// Eleven (or nine) digits that are not an identity number.
fn not_an_id(rng: &mut Rng) -> String {
    match rng.below(4) {
        // An organisation number's length.
        0 => format!("{}{:08}", 8 + rng.below(2), rng.below(100_000_000)),
        // An account number that is not also an identity number.
        1 => loop {
            let k = kontonummer(rng);
            if crate::detect::validate::identity_number(k.as_bytes()).is_none() {
                return k;
            }
        },
        // Both check digits right, the date impossible (day 32 to 39 is neither a day nor a
        // D-number's).
        2 => loop {
            let d = format!(
                "{}{:02}{:02}{:03}",
                32 + rng.below(8),
                1 + rng.below(12),
                rng.below(100),
                rng.below(1000)
            );
            if let Some(s) = with_check_digits(d.into_bytes(), false) {
                return s;
            }
        },
        _ => invalid_identity_number(rng),
    }
}

/// `files` files of the shapes above, with `per_file` planted values each: mostly real
/// numbers, a tenth synthetic, a fifth not identity numbers. Deterministic for a seed.
pub fn corpus(seed: u64, files: usize, per_file: usize) -> Vec<File> {
    let mut rng = Rng::new(seed);
    (0..files)
        .map(|i| {
            let lang = &LANGS[i % LANGS.len()];
            let path = format!("{}/Case{i}.{}", lang.dir, lang.ext);
            let mut text = lang.open.to_string();
            let mut planted = Vec::new();
            for _ in 0..per_file {
                text.push_str(lang.filler);
                text.push('\n');
                let truth = match rng.below(10) {
                    0 => Truth::Synthetic,
                    1 | 2 => Truth::NotId,
                    _ => Truth::Real,
                };
                let (shape, context) = *rng.pick(lang.shapes);
                let v = value(&mut rng, truth);
                planted.push(Planted {
                    path: path.clone(),
                    line: text.lines().count() as u64 + 1,
                    value: v.clone(),
                    truth,
                    context,
                });
                text.push_str(&shape.replacen("{}", &v, 1));
                text.push('\n');
            }
            text.push_str(lang.close);
            File {
                path,
                text,
                planted,
            }
        })
        .collect()
}

/// `bytes` of random binary data with text runs that look like addresses and phones (as
/// git packs, images and executables hold by chance): nothing in it is personal data.
pub fn binary_noise(seed: u64, bytes: usize) -> Vec<u8> {
    const RUNS: &[&str] = &[
        "post@kommune.no",
        "x7@q.no",
        "a.b@firma.no",
        "+4791234567",
        "Storgata 12",
    ];
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(bytes + 32);
    while out.len() < bytes {
        for _ in 0..200 + rng.below(400) {
            out.push(rng.next_u64() as u8);
        }
        out.extend_from_slice(rng.pick(RUNS).as_bytes());
    }
    out
}

/// How a gate run did on planted values: of the real numbers, how many failed (per
/// [`Context`]), and every failure that is not on a real number's line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Score {
    /// Real numbers planted, and of those failed, per context (Word, Identifier, Bare).
    pub real: [usize; 3],
    pub real_failed: [usize; 3],
    /// Failures on lines holding a synthetic value or no identity number, or on no planted
    /// line at all: `(path, line)`.
    pub wrong: Vec<(String, u64)>,
}

impl Score {
    /// Scores the `(path, line)` of each failing finding against what was planted.
    pub fn new(files: &[File], failed: &[(String, u64)]) -> Score {
        let mut s = Score::default();
        let planted: Vec<&Planted> = files.iter().flat_map(|f| &f.planted).collect();
        for p in &planted {
            if p.truth == Truth::Real {
                s.real[p.context as usize] += 1;
                if failed.iter().any(|(f, l)| *f == p.path && *l == p.line) {
                    s.real_failed[p.context as usize] += 1;
                }
            }
        }
        for (f, l) in failed {
            let real = planted
                .iter()
                .any(|p| p.path == *f && p.line == *l && p.truth == Truth::Real);
            if !real {
                s.wrong.push((f.clone(), *l));
            }
        }
        s
    }

    /// The share of real numbers that failed, over every context.
    pub fn share(&self) -> f64 {
        let n: usize = self.real.iter().sum();
        self.real_failed.iter().sum::<usize>() as f64 / n.max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planted_lines_hold_their_values_and_truths_hold() {
        let files = corpus(7, 12, 20);
        let mut truths = [0; 3];
        for f in &files {
            let lines: Vec<&str> = f.text.lines().collect();
            for p in &f.planted {
                assert!(lines[p.line as usize - 1].contains(&p.value), "{p:?}");
                let valid = crate::detect::validate::identity_number(p.value.as_bytes());
                assert_eq!(valid.is_some(), p.truth != Truth::NotId, "{p:?}");
                truths[p.truth as usize] += 1;
            }
        }
        assert!(truths.iter().all(|&n| n > 0), "{truths:?}");
        assert_eq!(corpus(7, 12, 20)[3].text, files[3].text, "seeded");
    }
}
