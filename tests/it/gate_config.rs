//! `.kartlegg.toml` and `--config`: per-kind `fail_on`, excludes, extra rules, and what a
//! repository declares synthetic — in git modes and in an inventory. Identity numbers are the
//! public vectors or generated at test time from a seeded generator.

use kartlegg::synth::{identity_number, IdSpec, Rng};

use super::gate::{code, stderr, stdout, Repo, REAL, REAL2};
use crate::harness;

/// A valid H-number (month + 40), the shape NAV's Dolly test identities have.
fn h_number(seed: u64) -> String {
    identity_number(
        &mut Rng::new(seed),
        IdSpec {
            h_number: true,
            ..Default::default()
        },
    )
}

#[test]
fn identity_numbers_fail_at_medium_and_phones_at_high_by_default() {
    let r = Repo::new();
    // No key word and no quotes: a bare number is medium (quoted on its own it would be high, a
    // string literal in code); a phone with weak context is low.
    r.stage("Test.kt", format!("val ids = listOf({REAL})\n"));
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("Test.kt:1:18: fodselsnummer (medium) 130"),
        "{}",
        stdout(&o)
    );
    assert!(
        stderr(&o).contains(
            "fail on: medium for d_nummer, fh_nummer, fodselsnummer, h_nummer; high otherwise"
        ),
        "{}",
        stderr(&o)
    );
    // --fail-on sets one level for every kind, over the default and the file.
    let o = r.kartlegg(&["scan", "--staged", "--fail-on", "high"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stderr(&o).contains("1 below the level"), "{}", stderr(&o));
    r.stage(".kartlegg.toml", "fail_on = \"high\"\n");
    assert_eq!(code(&r.kartlegg(&["scan", "--staged"])), 0);
    assert_eq!(
        code(&r.kartlegg(&["scan", "--staged", "--fail-on", "medium"])),
        1
    );
    // A table changes the kinds it names and keeps the built-in levels of the others.
    r.stage("p.txt", "tall 92345678\n");
    r.stage(".kartlegg.toml", "[fail_on]\nphone = \"low\"\n");
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 1);
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("p.txt:1:6: phone (low)"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn dolly_numbers_are_synthetic_when_the_repository_says_so() {
    let h = h_number(7);
    let r = Repo::new();
    r.stage("src/test/FnrTest.java", format!("String fnr = \"{h}\";\n"));
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 1, "an H-number is personal data: {}", stderr(&o));
    assert!(stdout(&o).contains("h_nummer (high)"), "{}", stdout(&o));
    r.stage(".kartlegg.toml", "[synthetic]\ndolly = true\n");
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stderr(&o).contains("1 synthetic"), "{}", stderr(&o));
    // Synthetic is a verdict in SARIF too, as a note.
    let o = r.kartlegg(&["scan", "--staged", "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let res = &log["runs"][0]["results"][0];
    assert_eq!(
        (
            &res["level"],
            &res["properties"]["verdict"],
            &res["properties"]["synthetic"]
        ),
        (&"note".into(), &"synthetic".into(), &true.into())
    );
    // A real fødselsnummer beside it still fails.
    r.stage("src/test/Other.java", format!("String fnr = \"{REAL}\";\n"));
    assert_eq!(code(&r.kartlegg(&["scan", "--staged"])), 1);
}

#[test]
fn ranges_values_and_fingerprints_declare_known_test_data() {
    let r = Repo::new();
    r.stage(
        "fixtures/a.txt",
        format!("fnr {REAL}\nfnr {REAL2}\ntelefon 92345678\n"),
    );
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(stdout(&o).lines().count(), 3, "{}", stdout(&o));
    // REAL by a range around it, REAL2 by value (in a written form), the phone by value.
    r.stage(
        ".kartlegg.toml",
        "[synthetic]\nranges = [[\"13097200000\", \"13097299999\"]]\nvalues = [\"200369 14700\", \"+47 923 45 678\"]\n",
    );
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    // The three, and the two values as the config file itself writes them.
    assert!(stderr(&o).contains("5 synthetic"), "{}", stderr(&o));

    // By fingerprint: under the baseline's key, which `baseline add` creates.
    r.stage(".kartlegg.toml", "");
    r.stage("fixtures/a.txt", format!("fnr {REAL}\n"));
    let o = r.kartlegg(&[
        "baseline",
        "add",
        "--staged",
        "--reviewer",
        "K",
        "--reason",
        "vector",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let b: serde_json::Value =
        serde_json::from_slice(&std::fs::read(r.path().join(".kartlegg-baseline.json")).unwrap())
            .unwrap();
    let fp = b["entries"][0]["fingerprint"].as_str().unwrap().to_string();
    // An empty baseline keeps the key; the fingerprint now declares the value synthetic in
    // every path.
    let mut empty = b.clone();
    empty["entries"] = serde_json::json!([]);
    r.write(".kartlegg-baseline.json", empty.to_string());
    r.stage(
        ".kartlegg.toml",
        format!("[synthetic]\nfingerprints = [\"{fp}\"]\n"),
    );
    r.stage("elsewhere.txt", format!("fnr {REAL}\n"));
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stderr(&o).contains("2 synthetic"), "{}", stderr(&o));
}

#[test]
fn unknown_keys_and_kinds_are_errors_with_file_line_and_key() {
    let r = Repo::new();
    r.stage("a.txt", "nothing\n");
    r.stage(".kartlegg.toml", "[synthetic]\ndoly = true\n");
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains(".kartlegg.toml:2:1: unknown field `doly`, expected one of"),
        "{}",
        stderr(&o)
    );
    r.stage(".kartlegg.toml", "[fail_on]\nfoedselsnummer = \"medium\"\n");
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains(".kartlegg.toml:2:1: unknown kind `foedselsnummer` in fail_on"),
        "{}",
        stderr(&o)
    );
    // baseline commands read the same file.
    let o = r.kartlegg(&[
        "baseline",
        "add",
        "--staged",
        "--reviewer",
        "K",
        "--reason",
        "r",
    ]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    // --config FILE replaces the file at the root.
    let alt = r.path().join("alt.toml");
    std::fs::write(&alt, "fail_on = \"high\"\n").unwrap();
    let o = r.kartlegg(&["scan", "--staged", "--config", alt.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = r.kartlegg(&["scan", "--staged", "--config", "missing.toml"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("missing.toml"), "{}", stderr(&o));
}

#[test]
fn excludes_and_rules_come_from_the_file() {
    let r = Repo::new();
    r.stage(
        "rules/ansatt.toml",
        r#"[[rule]]
id = "ansattnummer"
kind = "ansattnummer"
description = "Employee number"
pattern = '\bA(?<value>\d{11})\b'
validator = "luhn"
base = 3
[[rule.examples]]
text = "ansattnr: A79927398713"
kind = "ansattnummer"
"#,
    );
    r.stage("data/emp.txt", "ansattnr: A79927398713\n");
    r.stage("vendor/x.txt", format!("fnr {REAL}\n"));
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));
    r.stage(
        ".kartlegg.toml",
        "exclude = [\"vendor/\", \"rules/\"]\nrules = \"rules\"\n\n[fail_on]\nansattnummer = \"high\"\n",
    );
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        stdout(&o).lines().collect::<Vec<_>>(),
        ["data/emp.txt:1:12: ansattnummer (high) 799******** — remove it, or record a reviewed exception in .kartlegg-baseline.json"],
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("2 ignored"), "{}", stderr(&o));
}

#[test]
fn an_inventory_reads_a_config_only_when_given() {
    let t = harness::Tree::new();
    t.file("a.txt", format!("fnr {}\n", h_number(3)));
    t.file("skip/b.txt", format!("fnr {REAL}\n"));
    let cfg = t.file(
        ".kartlegg.toml",
        "exclude = [\"skip\"]\n[synthetic]\ndolly = true\n",
    );
    // In the scanned tree, the file is data: it changes nothing.
    let s = harness::scan(&[t.path()], &[]);
    assert_eq!(s.code, 1);
    assert_eq!(s.inv["summary"]["synthetic"], 0);
    assert_eq!(harness::status(s.file("skip/b.txt")).0, "scanned");
    let s = harness::scan(&[t.path()], &["--config", cfg.to_str().unwrap()]);
    assert_eq!(s.code, 0, "{}", s.stderr);
    let f = &s.file("/a.txt")["findings"][0];
    assert_eq!(
        (&f["kind"], &f["synthetic"]),
        (&"h_nummer".into(), &true.into())
    );
    assert_eq!(s.inv["summary"]["synthetic"], 1);
    assert_eq!(s.inv["summary"]["files_excluded"], 1);
    assert_eq!(s.inv["scan"]["options"]["synthetic"]["dolly"], true);
}
