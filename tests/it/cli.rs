//! End-to-end tests of `kartlegg scan` over fixture trees built per test in a temporary
//! directory. Every value is a public test vector or synthetic (see docs/identifiers.md).

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;

use serde_json::Value;

use crate::harness::{assert_valid, assert_valid_line, file, kartlegg, kinds, scan, status, Tree};

/// A public test vector (classic checksum), and its written forms.
const FNR: &str = "13097248022";
const SYNTHETIC: &str = "03851598730";

/// Runs a scan with `--format json` and returns (exit code, inventory).
fn scan_json(root: &Path, extra: &[&str]) -> (i32, Value) {
    let s = scan(&[root], extra);
    (s.code, s.inv)
}

fn utf16(s: &str, le: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(if le { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
    }
    for u in s.encode_utf16() {
        out.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    out
}

#[test]
fn every_encoding_is_decoded_and_keywords_with_non_ascii_letters_work() {
    let t = Tree::new();
    // Without the decoded "ø" in the keyword the number would be medium, not high.
    let text = format!("Fødselsnummer: {FNR}\n");
    t.file("utf8.txt", &text);
    t.file(
        "utf8bom.txt",
        [&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat(),
    );
    t.file("utf16le_bom.txt", utf16(&text, true, true));
    t.file("utf16be_bom.txt", utf16(&text, false, true));
    t.file("utf16le.txt", utf16(&text, true, false));
    t.file("utf16be.txt", utf16(&text, false, false));
    let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    t.file("latin1.txt", &latin1);
    let (code, inv) = scan_json(t.path(), &[]);
    assert_eq!(code, 1);
    for (name, enc) in [
        ("utf8.txt", "utf-8"),
        ("utf8bom.txt", "utf-8-bom"),
        ("utf16le_bom.txt", "utf-16le-bom"),
        ("utf16be_bom.txt", "utf-16be-bom"),
        ("utf16le.txt", "utf-16le"),
        ("utf16be.txt", "utf-16be"),
        ("latin1.txt", "windows-1252"),
    ] {
        let rec = file(&inv, name);
        assert_eq!(rec["encoding"], enc, "{name}");
        assert_eq!(rec["status"], "scanned", "{name}");
        let f = &rec["findings"][0];
        assert_eq!(f["kind"], "fodselsnummer", "{name}");
        assert_eq!(f["confidence"], "high", "{name}: the keyword was decoded");
        assert_eq!(f["location"]["line"], 1, "{name}");
        assert_eq!(
            f["location"]["column"], 16,
            "{name}: columns count characters"
        );
    }
}

#[test]
fn statuses_for_what_is_not_read() {
    let t = Tree::new();
    t.file("a.txt", format!("fnr {FNR}"));
    t.file("bilde.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    symlink("a.txt", t.path().join("lenke.txt")).unwrap();
    let fifo = t.path().join("kø");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    t.file("stor.log", vec![b'x'; 5000]);
    // Without OCR, images are media.
    let (code, inv) = scan_json(t.path(), &["--max-file-size", "4K", "--ocr", "never"]);
    assert_eq!(code, 1);
    let expect = [
        ("bilde.png", "skipped", "media"),
        ("lenke.txt", "skipped", "symlink"),
        ("kø", "skipped", "special_file"),
        ("stor.log", "skipped", "too_large"),
    ];
    for (name, status, reason) in expect {
        let rec = file(&inv, name);
        assert_eq!(
            (rec["status"].as_str(), rec["reason"].as_str()),
            (Some(status), Some(reason)),
            "{name}"
        );
    }
    let s = &inv["summary"];
    assert_eq!(s["files_seen"], 5);
    assert_eq!(s["files_scanned"], 1);
    assert_eq!(s["files_skipped"], 4);
    assert_eq!(s["unscanned_by_reason"]["skipped/too_large"], 1);
    // Too large is content left unread: --fail-on-unscanned turns it into exit 2.
    let (code, _) = scan_json(t.path(), &["--max-file-size", "4K", "--fail-on-unscanned"]);
    assert_eq!(code, 2);
    // Named as a root, the link is taken as named: its file is read, however the root is
    // spelled.
    for root in [t.path().join("lenke.txt"), t.path().join(".//lenke.txt")] {
        let (code, inv) = scan_json(&root, &[]);
        assert_eq!(code, 1);
        let rec = file(&inv, "lenke.txt");
        assert_eq!(rec["status"], "scanned", "{rec}");
        assert_eq!(rec["findings"].as_array().unwrap().len(), 1);
    }
}

#[test]
fn a_file_deeper_than_path_max_is_read() {
    use rustix::fs::{mkdirat, openat, Mode, OFlags};
    // 18 directories of 250-byte names, made relative to one another: the file's path is
    // 4.5 KB, more than the kernel takes whole (PATH_MAX), yet the file is readable.
    let t = Tree::new();
    let mut dir = rustix::fs::open(t.path(), OFlags::DIRECTORY, Mode::empty()).unwrap();
    for i in 0..18 {
        let name = format!("mappe_{i:02}_{}", "a".repeat(240));
        mkdirat(&dir, name.as_str(), Mode::from_raw_mode(0o755)).unwrap();
        dir = openat(&dir, name.as_str(), OFlags::DIRECTORY, Mode::empty()).unwrap();
    }
    let flags = OFlags::WRONLY | OFlags::CREATE;
    let f = openat(&dir, "a.txt", flags, Mode::from_raw_mode(0o644)).unwrap();
    rustix::io::write(&f, format!("fnr {FNR}\n").as_bytes()).unwrap();
    let (code, inv) = scan_json(t.path(), &[]);
    let rec = file(&inv, "/a.txt");
    assert!(rec["path"].as_str().unwrap().len() > 4096);
    assert_eq!(status(rec), ("scanned", ""), "{}", rec["detail"]);
    assert_eq!(kinds(rec), ["fodselsnummer"]);
    assert_eq!(code, 1, "personal data found");
}

#[test]
fn following_symlinks_detects_loops() {
    let t = Tree::new();
    t.file("d/a.txt", format!("fnr {FNR}"));
    symlink("..", t.path().join("d/opp")).unwrap();
    symlink("a.txt", t.path().join("d/b.txt")).unwrap();
    let (_, inv) = scan_json(t.path(), &["--follow"]);
    let rec = file(&inv, "opp");
    assert_eq!(
        (rec["status"].as_str(), rec["reason"].as_str()),
        (Some("error"), Some("symlink_loop"))
    );
    assert_eq!(
        kinds(file(&inv, "b.txt")),
        ["fodselsnummer"],
        "a followed link is read"
    );
}

/// Runs the binary as `nobody`, so that permissions apply (tests run as root in CI).
fn run_as_nobody(root: &Path) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("kartlegg");
    std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&bin)
        .arg("scan")
        .arg(root)
        .args(["--format", "json", "--no-progress"])
        .output()
        .expect("setpriv (util-linux) runs")
}

fn scan_as_nobody(root: &Path) -> Value {
    let out = run_as_nobody(root);
    assert!(out.status.code().is_some(), "{out:?}");
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn permission_errors_are_statuses_and_atime_is_reported() {
    let t = Tree::new();
    let secret = t.file("hemmelig.txt", format!("fnr {FNR}"));
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o600)).unwrap();
    t.file("lukket/inni.txt", format!("fnr {FNR}"));
    fs::set_permissions(t.path().join("lukket"), fs::Permissions::from_mode(0o700)).unwrap();
    t.file("åpen.txt", format!("fnr {FNR}"));
    // The bench's binary and the tree must be reachable for nobody.
    let inv = scan_as_nobody(t.path());
    let rec = file(&inv, "hemmelig.txt");
    assert_eq!(
        (rec["status"].as_str(), rec["reason"].as_str()),
        (Some("error"), Some("permission_denied"))
    );
    let dir = file(&inv, "lukket");
    assert_eq!(
        (dir["status"].as_str(), dir["reason"].as_str()),
        (Some("error"), Some("permission_denied"))
    );
    assert_eq!(kinds(file(&inv, "åpen.txt")), ["fodselsnummer"]);
    // nobody does not own åpen.txt, so O_NOATIME is refused and the summary must say so.
    let atime = &inv["summary"]["atime"];
    assert_eq!(atime["preserved"], false);
    assert_eq!(atime["plain_opens"], 1);
    // Nor may nobody list the root (owned by root) with O_NOATIME; `lukket` is not listed.
    assert_eq!(
        (atime["dirs_noatime"].as_u64(), atime["dirs_plain"].as_u64()),
        (Some(0), Some(1))
    );

    // An unreadable root is a failed scan, not a status.
    let out = run_as_nobody(&t.path().join("lukket"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Permission denied"));
    let out = run_as_nobody(&secret);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn exit_codes() {
    let t = Tree::new();
    t.file("tom.txt", "ingenting her, bare tekst og 12 kroner.");
    assert_eq!(scan_json(t.path(), &[]).0, 0, "nothing found");
    t.file("syntetisk.txt", format!("fnr {SYNTHETIC}"));
    let (code, inv) = scan_json(t.path(), &[]);
    assert_eq!(code, 0, "synthetic numbers are not personal data");
    assert_eq!(inv["summary"]["synthetic"], 1);
    t.file("ekte.txt", format!("fnr {FNR}"));
    assert_eq!(scan_json(t.path(), &[]).0, 1, "personal data found");
    let out = kartlegg()
        .args(["scan", "/nonexistent/kartlegg-test"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // The cause once, though the message ends with it and the chain holds it too.
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "kartlegg: cannot scan /nonexistent/kartlegg-test: No such file or directory (os error 2)\n"
    );
    kartlegg()
        .args(["scan", "--min-confidence", "sure", "."])
        .assert()
        .code(2);
    kartlegg().arg("scan").assert().code(2);
}

#[test]
fn values_are_masked_unless_revealed_and_never_leak() {
    let t = Tree::new();
    t.file("brev.txt", format!("Hei!\nMitt fødselsnummer er {FNR}, ring 403 00 040 eller skriv til kari.nordmann@firma.no\n"));
    let out = kartlegg()
        .arg("scan")
        .arg(t.path())
        .args(["--format", "json", "--no-progress"])
        .output()
        .unwrap();
    let all = [out.stdout.clone(), out.stderr.clone()].concat();
    let all = String::from_utf8_lossy(&all);
    for raw in [FNR, "40300040", "403 00 040", "kari.nordmann"] {
        assert!(!all.contains(raw), "{raw} leaked: {all}");
    }
    let inv: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = file(&inv, "brev.txt")["findings"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(findings.len(), 3);
    // The values' lengths: 11 digits, +47 and 8 digits, 22 characters of address.
    for (f, len) in findings.iter().zip([11, 11, 22]) {
        let masked = f["masked"].as_str().unwrap();
        let shown = masked.chars().filter(|&c| c != '*').count();
        assert!(f.get("value").is_none() && f.get("context").is_none());
        assert!(shown * 3 <= len, "{masked} shows more than a third");
    }
    // The text summary does not leak either.
    let summary = kartlegg()
        .arg("scan")
        .arg(t.path())
        .arg("--no-progress")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&summary.stdout).contains(FNR));

    let (_, inv) = scan_json(t.path(), &["--reveal"]);
    let f = &file(&inv, "brev.txt")["findings"];
    assert_eq!(f[0]["value"], FNR);
    assert_eq!(f[1]["value"], "+4740300040");
    assert_eq!(f[2]["value"], "kari.nordmann@firma.no");
    assert!(f[0]["context"]
        .as_str()
        .unwrap()
        .contains("fødselsnummer er"));
}

#[test]
fn fingerprints_correlate_under_a_given_key_only() {
    let t = Tree::new();
    t.file("a.txt", format!("fnr {FNR}"));
    t.file("b.txt", format!("personnummer: {FNR}"));
    let key = t.path().join("nøkkel");
    fs::write(&key, "hemmelig-nøkkel\n").unwrap();
    let fp = |inv: &Value, name: &str| {
        file(inv, name)["findings"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let scan_dir = t.path().to_path_buf();
    let (_, one) = scan_json(
        &scan_dir,
        &[
            "--hash-key-file",
            key.to_str().unwrap(),
            "--exclude",
            "nøkkel",
        ],
    );
    let (_, two) = scan_json(
        &scan_dir,
        &[
            "--hash-key-file",
            key.to_str().unwrap(),
            "--exclude",
            "nøkkel",
        ],
    );
    assert_eq!(
        fp(&one, "a.txt"),
        fp(&two, "a.txt"),
        "same key, same fingerprint"
    );
    assert_eq!(
        fp(&one, "a.txt"),
        fp(&one, "b.txt"),
        "same value, same fingerprint"
    );
    assert_eq!(one["scan"]["fingerprints"]["key"], "provided");
    assert_eq!(one["summary"]["distinct_by_kind"]["fodselsnummer"], 1);
    let (_, r1) = scan_json(&scan_dir, &["--exclude", "nøkkel"]);
    let (_, r2) = scan_json(&scan_dir, &["--exclude", "nøkkel"]);
    assert_ne!(fp(&r1, "a.txt"), fp(&r2, "a.txt"), "random per-scan keys");
    assert_eq!(r1["scan"]["fingerprints"]["key"], "random per scan");
    let from_env = |key: &str| -> Value {
        let out = kartlegg()
            .env("KARTLEGG_HASH_KEY", key)
            .arg("scan")
            .arg(&scan_dir)
            .args(["--format", "json", "--no-progress", "--exclude", "nøkkel"])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert_eq!(
        fp(&from_env("hemmelig-nøkkel"), "a.txt"),
        fp(&one, "a.txt"),
        "the key from the environment is the same key"
    );
    // A variable filled from a key file (a Kubernetes secret made --from-file) keeps the
    // file's line ending: it is still the same key.
    assert_eq!(
        fp(&from_env("hemmelig-nøkkel\n"), "a.txt"),
        fp(&one, "a.txt"),
        "a line ending after the key in the environment is not part of it"
    );
}

/// Values planted densely in a file far larger than one window, on short lines and on one
/// giant line: each must be found exactly once, at the right place.
#[test]
fn values_across_window_borders_are_found_exactly_once() {
    let t = Tree::new();
    let mut rng = kartlegg::synth::Rng::new(11);
    let mut lines = String::new();
    let mut planted = Vec::new();
    let mut line_no = 1;
    while lines.len() < 1200 << 10 {
        let n = kartlegg::synth::identity_number(&mut rng, Default::default());
        // Filler of varying length so values land on every offset modulo the window size.
        let pad = "tekst ".repeat(1 + rng.below(40) as usize);
        lines.push_str(&format!("{pad}fnr {n}\n"));
        planted.push((line_no, pad.chars().count() + 5, n));
        line_no += 1;
    }
    t.file("mange_linjer.txt", &lines);
    let one_line: String = planted
        .iter()
        .map(|(_, _, n)| format!("ord fnr {n}; "))
        .collect();
    t.file("en_linje.txt", &one_line);
    let (_, inv) = scan_json(
        t.path(),
        &["--reveal", "--max-findings-per-file", "1000000"],
    );
    let rec = file(&inv, "mange_linjer.txt");
    let found = rec["findings"].as_array().unwrap();
    assert_eq!(found.len(), planted.len());
    for (f, (line, col, n)) in found.iter().zip(&planted) {
        assert_eq!(f["value"], n.as_str());
        assert_eq!(
            (&f["location"]["line"], &f["location"]["column"]),
            (&Value::from(*line), &Value::from(*col))
        );
    }
    let rec = file(&inv, "en_linje.txt");
    let found = rec["findings"].as_array().unwrap();
    assert_eq!(found.len(), planted.len());
    assert!(found.iter().all(|f| f["location"]["line"] == 1));
    let last = found.last().unwrap();
    let expect_col = one_line.chars().count() - 12;
    assert_eq!(
        last["location"]["column"], expect_col,
        "column counts over window borders"
    );
}

#[test]
fn binary_files_have_their_text_runs_scanned() {
    let t = Tree::new();
    let mut bin = vec![0u8, 1, 2, 3, 0xff, 0];
    bin.extend_from_slice(format!("fnr {FNR}").as_bytes());
    bin.extend_from_slice(&[0, 0, 0xfe]);
    let wide_at = bin.len() + (bin.len() % 2);
    bin.resize(wide_at, 0);
    bin.extend(utf16("mobil 92345678", true, false));
    bin.extend_from_slice(&[0, 0, 7, 7]);
    t.file("data.bin", &bin);
    let (_, inv) = scan_json(t.path(), &[]);
    let rec = file(&inv, "data.bin");
    assert_eq!(
        (rec["type"].as_str(), rec["status"].as_str()),
        (Some("binary"), Some("scanned"))
    );
    assert_eq!(kinds(rec), ["fodselsnummer", "phone"]);
    assert_eq!(rec["findings"][0]["location"]["offset"], 10);
    assert_eq!(rec["findings"][1]["location"]["offset"], wide_at + 12);
}

/// IP addresses in an access log (issue 11): a public one is high, a private one low with its
/// scope, and the inventory (validated against the schema) carries both.
#[test]
fn ip_addresses_in_an_access_log_carry_their_scope() {
    let t = Tree::new();
    t.file(
        "access.log",
        "185.15.59.224 - - [10/Oct/2024:13:55:36 +0200] \"GET /kurs HTTP/1.1\" 200 512\n\
         192.168.1.20 - - [10/Oct/2024:13:55:37 +0200] \"GET / HTTP/1.1\" 200 90\n\
         client [2001:4860:4860::8888]:443 closed\n\
         oppgradert til versjon 1.2.3.4\n",
    );
    let (_, inv) = scan_json(t.path(), &["--min-confidence", "low"]);
    let rec = file(&inv, "access.log");
    let got: Vec<(&str, &str, Option<&str>)> = rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap(),
                f["confidence"].as_str().unwrap(),
                f["scope"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("ip_address", "high", None),
            ("ip_address", "low", Some("private")),
            ("ip_address", "high", None),
            // A version after its word: at most low.
            ("ip_address", "low", None),
        ]
    );
}

/// Text runs of a binary file (issue 10): an address or a phone there is noise until context
/// words say otherwise, so alone it is medium (reported, but not failing the gate), and high
/// with an e-mail or phone word before it.
#[test]
fn addresses_and_phones_in_binary_noise_are_not_high_on_their_own() {
    let t = Tree::new();
    let mut bin = vec![0u8, 1, 2, 0x9c, 0];
    bin.extend_from_slice(b"xq7@pack.no");
    bin.extend_from_slice(&[0, 0x81, 0]);
    bin.extend_from_slice(b"+4740300040");
    bin.extend_from_slice(&[0, 3, 0]);
    bin.extend_from_slice(b"E-post: kari@firma.no");
    bin.extend_from_slice(&[0, 0xfe, 7]);
    t.file("pack.bin", &bin);
    let (_, inv) = scan_json(t.path(), &["--min-confidence", "low"]);
    let rec = file(&inv, "pack.bin");
    let got: Vec<(&str, &str)> = rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap(),
                f["confidence"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [("email", "medium"), ("phone", "medium"), ("email", "high")]
    );
}

#[test]
fn options_exclude_threads_confidence_and_limits() {
    let t = Tree::new();
    t.file(
        "a/kunder.csv",
        format!("navn;fnr;mobil\nKari;{FNR};40300040\n"),
    );
    t.file(
        "b/logg.log",
        format!("Org.nr. 988 077 917 MVA, fnr {FNR}\n"),
    );
    t.file("node_modules/x.txt", format!("fnr {FNR}"));
    let (_, inv) = scan_json(
        t.path(),
        &["--exclude", "node_modules", "--exclude", "*.log"],
    );
    assert_eq!(inv["files"].as_array().unwrap().len(), 1);
    assert_eq!(inv["summary"]["files_excluded"], 2);
    let rec = file(&inv, "kunder.csv");
    assert_eq!(rec["type"], "csv");
    assert_eq!(
        kinds(rec),
        ["fodselsnummer", "phone"],
        "the column header makes 40300040 a phone"
    );
    assert_eq!(rec["findings"][1]["location"]["column"], "mobil");
    assert_eq!(rec["findings"][1]["location"]["row"], 1);

    // A comma delimiter is not a decimal comma: `1,13097248022` is two fields.
    t.file("c/liste.csv", format!("id,fnr\n1,{FNR}\n"));
    let (_, inv) = scan_json(&t.path().join("c"), &[]);
    let rec = file(&inv, "liste.csv");
    assert_eq!(kinds(rec), ["fodselsnummer"]);
    assert_eq!(rec["findings"][0]["confidence"], "high");

    let (_, one) = scan_json(t.path(), &["--threads", "1"]);
    let (_, many) = scan_json(t.path(), &["--threads", "8"]);
    assert_eq!(one["summary"]["findings"], many["summary"]["findings"]);

    let (_, low) = scan_json(
        t.path(),
        &["--min-confidence", "low", "--exclude", "node_modules"],
    );
    assert!(kinds(file(&low, "logg.log")).contains(&"organisasjonsnummer".to_string()));
    let (_, high) = scan_json(t.path(), &["--exclude", "node_modules"]);
    assert!(!kinds(file(&high, "logg.log")).contains(&"organisasjonsnummer".to_string()));

    t.file("c/mange.txt", format!("fnr {FNR}\n").repeat(30));
    let (_, capped) = scan_json(t.path(), &["--max-findings-per-file", "5"]);
    let rec = file(&capped, "mange.txt");
    assert_eq!(rec["findings"].as_array().unwrap().len(), 5);
    assert_eq!(rec["counts"]["fodselsnummer"], 30);
    assert_eq!(rec["findings_truncated"], true);
}

#[test]
fn user_rules_and_bad_rule_files() {
    let t = Tree::new();
    t.file("data/ansatte.txt", "ansattnr A79927398713\n");
    let rules = t.path().join("regler");
    fs::create_dir(&rules).unwrap();
    fs::write(
        rules.join("ansatt.toml"),
        "[[rule]]\nid = \"ansattnummer\"\npattern = '\\bA(?<value>\\d{11})\\b'\nvalidator = \"luhn\"\nbase = 2\n\n[[rule.examples]]\ntext = \"A79927398713\"\nkind = \"ansattnummer\"\n",
    )
    .unwrap();
    let (code, inv) = scan_json(
        &t.path().join("data"),
        &["--rules", rules.to_str().unwrap()],
    );
    assert_eq!(code, 1);
    assert_eq!(kinds(file(&inv, "ansatte.txt")), ["ansattnummer"]);
    fs::write(
        rules.join("zz_feil.toml"),
        "[[rule]]\nid = \"x\"\npattern = \"a\"\nvalidator = \"mod12\"\n",
    )
    .unwrap();
    kartlegg()
        .arg("scan")
        .arg(t.path().join("data"))
        .arg("--rules")
        .arg(&rules)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "zz_feil.toml:4:13: unknown validator \"mod12\"",
        ));
    kartlegg()
        .arg("rules")
        .assert()
        .code(0)
        .stdout(predicates::str::contains("fodselsnummer"));
}

#[test]
fn output_file_is_written_atomically_and_never_scanned() {
    let t = Tree::new();
    t.file("a.txt", format!("fnr {FNR}"));
    let out = t.path().join("inventar.json");
    for _ in 0..2 {
        kartlegg()
            .arg("scan")
            .arg(t.path())
            .arg("-o")
            .arg(&out)
            .arg("--no-progress")
            .assert()
            .code(1)
            .stdout("");
    }
    let inv: Value = serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        inv["files"].as_array().unwrap().len(),
        1,
        "the report itself is not scanned"
    );
    assert!(!t.path().join("inventar.json.partial").exists());
}

/// A root whose name is not UTF-8 (a Latin-1 share) is scanned in worker processes as any
/// other: the workers' settings carry paths as bytes (they failed to start on such a root).
#[test]
fn a_root_whose_name_is_not_utf8_is_scanned() {
    use std::os::unix::ffi::OsStrExt;
    let t = Tree::new();
    let root = t.path().join(std::ffi::OsStr::from_bytes(b"l\xf8nn"));
    fs::create_dir(&root).unwrap();
    fs::write(root.join("a.txt"), format!("fnr {FNR}")).unwrap();
    let (code, inv) = scan_json(&root, &[]);
    assert_eq!(code, 1, "{inv}");
    assert_eq!(kinds(&inv["files"][0]), ["fodselsnummer"], "{inv}");
    assert_eq!(inv["scan"]["options"]["isolation"]["mode"], "processes");
}

/// The readable summary written to a file lands under its name, as an inventory does (it
/// was left as `NAME.partial`), and holds no raw value.
#[test]
fn a_summary_written_to_a_file_lands_under_its_name() {
    let t = Tree::new();
    t.file("a.txt", format!("fnr {FNR}"));
    let out = t.path().join("oppsummering.txt");
    kartlegg()
        .arg("scan")
        .arg(t.path())
        .args(["--format", "summary", "--no-progress", "-o"])
        .arg(&out)
        .assert()
        .code(1)
        .stdout("");
    let text = fs::read_to_string(&out).expect("the summary is in place");
    assert!(text.starts_with("Scanned 1 of 1 files"), "{text}");
    assert!(text.contains("fodselsnummer"), "{text}");
    assert!(!text.contains(FNR), "{text}");
    assert!(!t.path().join("oppsummering.txt.partial").exists());
}

/// Defect 4 of issue 8: with a relative `-o`, the report was listed as `./inv.json.partial`,
/// and as `./inv.json` on the next run. Excluded by identity, it never is, however named.
#[test]
fn the_report_never_scans_itself_however_it_is_named() {
    let tree = || {
        let t = Tree::new();
        t.file("a.txt", format!("fnr {FNR}"));
        fs::create_dir(t.path().join("ut")).unwrap();
        symlink("ut", t.path().join("lenke")).unwrap();
        t
    };
    for out in [
        "inv.json",
        "./inv.json",
        "lenke/inv.json",
        "./ut/../ut/inv.json",
    ] {
        let t = tree();
        for _ in 0..2 {
            kartlegg()
                .current_dir(t.path())
                .args(["scan", ".", "-o", out, "--no-progress", "--format", "json"])
                .assert()
                .code(1);
        }
        let inv: Value =
            serde_json::from_str(&fs::read_to_string(t.path().join(out)).unwrap()).unwrap();
        let mut paths: Vec<&str> = inv["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        paths.sort();
        assert_eq!(paths, ["./a.txt", "./lenke"], "-o {out}");
        let link = fs::symlink_metadata(t.path().join("lenke")).unwrap();
        assert!(
            link.file_type().is_symlink(),
            "-o {out}: the link stays a link"
        );
    }
    // Standard output redirected into the tree is left out too, under both of its names.
    let t = tree();
    let jsonl = t.path().join("ut/inv.jsonl");
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("kartlegg"))
        .current_dir(t.path())
        .args([
            "scan",
            ".",
            "--format",
            "jsonl",
            "--no-progress",
            "--follow",
        ])
        .stdout(fs::File::create(&jsonl).unwrap())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let lines = fs::read_to_string(&jsonl).unwrap();
    assert_eq!(lines.matches("\"record\":\"file\"").count(), 1, "{lines}");
    assert!(!lines.contains("inv.jsonl"), "{lines}");
}

/// `-o` onto a character device writes through it: as root, `-o /dev/null` once replaced the
/// system's /dev/null with a regular file. A device made in the scratch directory stands in.
#[test]
fn writing_to_a_device_leaves_it_a_device() {
    let t = Tree::new();
    t.file("data/a.txt", format!("fnr {FNR}"));
    let null = t.path().join("null");
    let status = std::process::Command::new("mknod")
        .arg(&null)
        .args(["c", "1", "3"])
        .status()
        .unwrap();
    assert!(status.success(), "mknod (the tests run as root)");
    kartlegg()
        .arg("scan")
        .arg(t.path().join("data"))
        .arg("-o")
        .arg(&null)
        .arg("--no-progress")
        .assert()
        .code(1);
    use std::os::unix::fs::FileTypeExt;
    assert!(fs::symlink_metadata(&null)
        .unwrap()
        .file_type()
        .is_char_device());
    assert!(!t.path().join("null.partial").exists());
    kartlegg()
        .arg("scan")
        .arg(t.path().join("data"))
        .arg("-o")
        .arg(t.path().join("data"))
        .arg("--no-progress")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is a directory"));
}

/// Defect 9 of issue 8: names that are not UTF-8 were written lossily, so different files
/// shared one path. Four names that a lossy conversion confuses or that break lines.
#[test]
fn every_path_is_written_distinctly_and_losslessly() {
    use std::os::unix::ffi::OsStrExt;
    let t = Tree::new();
    let names: [&[u8]; 4] = [
        b"a\xff.txt",
        b"a\xfe.txt",
        "a\u{FFFD}.txt".as_bytes(),
        b"a\nb.txt",
    ];
    for n in names {
        fs::write(
            t.path().join(std::ffi::OsStr::from_bytes(n)),
            format!("fnr {FNR}"),
        )
        .unwrap();
    }
    let (_, inv) = scan_json(t.path(), &[]);
    assert_valid(&inv);
    let mut paths: Vec<String> = inv["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    paths.sort();
    let root = kartlegg::walk::display(t.path());
    let mut want: Vec<String> = ["a\\x0ab.txt", "a\\xfe.txt", "a\\xff.txt", "a\u{FFFD}.txt"]
        .iter()
        .map(|n| format!("{root}/{n}"))
        .collect();
    want.sort();
    assert_eq!(paths, want);
    assert_eq!(
        inv["summary"]["files_with_findings"], 4,
        "each file was read"
    );
    for p in &paths {
        let back = kartlegg::walk::unescape(p).unwrap();
        assert!(names.contains(&back.file_name().unwrap().as_bytes()), "{p}");
    }
}

#[test]
fn output_matches_the_published_schema() {
    let t = Tree::new();
    t.file("a.csv", format!("navn;fnr;mobil;epost\nKari;{FNR};40300040;kari@firma.no\nOla;{SYNTHETIC};;post@firma.no\n"));
    t.file("b.bin", b"\0\0\0fnr 13097248022\0");
    t.file("c.png", b"\x89PNG\r\n\x1a\n");
    symlink("a.csv", t.path().join("d.csv")).unwrap();
    let (_, inv) = scan_json(t.path(), &["--reveal", "--min-confidence", "low"]);
    assert_valid(&inv);
    assert!(inv["files"].as_array().unwrap().len() == 4);

    let out = kartlegg()
        .arg("scan")
        .arg(t.path())
        .args(["--format", "jsonl", "--no-progress"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6, "scan, 4 files, summary");
    assert_eq!(lines[0]["record"], "scan");
    assert_eq!(lines[5]["record"], "summary");
    for l in &lines {
        assert_valid_line(l);
    }
}

/// The content hash says whether a file changed between scans made with the same key, and
/// covers every byte also of formats that are read by seeking (a workbook).
#[test]
fn content_hashes_follow_the_content_under_one_key() {
    let t = Tree::new();
    let key = t.file("key", "hemmelig nøkkel");
    let data = t.path().join("data");
    fs::create_dir(&data).unwrap();
    fs::write(data.join("a.txt"), format!("fnr {FNR}\n")).unwrap();
    fs::copy(
        crate::harness::fixture("docs/ansatte.xlsx"),
        data.join("b.xlsx"),
    )
    .unwrap();
    let keyed = ["--hash-key-file", key.to_str().unwrap()];
    let hash = |inv: &Value, name: &str| file(inv, name)["content_hash"].clone();
    let first = scan(&[&data], &keyed).inv;
    let again = scan(&[&data], &keyed).inv;
    for name in ["a.txt", "b.xlsx"] {
        assert!(hash(&first, name).is_string(), "{name}");
        assert_eq!(hash(&first, name), hash(&again, name), "{name}");
    }
    // The workbook's hash is that of all its bytes, though the reader seeks around in it.
    let secret = kartlegg::read::content_secret(b"hemmelig n\xc3\xb8kkel");
    let mut h = xxhash_rust::xxh3::Xxh3::with_secret(secret);
    h.update(&fs::read(data.join("b.xlsx")).unwrap());
    assert_eq!(hash(&first, "b.xlsx"), format!("{:032x}", h.digest128()));
    // Another key, another hash; an edit, another hash.
    let other = scan(&[&data], &[]).inv;
    assert_ne!(hash(&first, "a.txt"), hash(&other, "a.txt"));
    fs::write(data.join("a.txt"), format!("fnr {FNR}\nny linje\n")).unwrap();
    let edited = scan(&[&data], &keyed).inv;
    assert_ne!(hash(&first, "a.txt"), hash(&edited, "a.txt"));
    assert_eq!(hash(&first, "b.xlsx"), hash(&edited, "b.xlsx"));
}

/// Each summary counter counts what its name says (issue 9): errors are errors only, and
/// encrypted, unsupported and limited files have counters of their own.
#[test]
fn each_status_has_its_own_counter() {
    let t = Tree::new();
    let docs = crate::harness::fixture("docs");
    for name in ["encrypted.pdf", "brev.doc", "truncated.pdf", "ansatte.xlsx"] {
        fs::copy(docs.join(name), t.path().join(name)).unwrap();
    }
    // A member expanding 1000 times its size, over a 2 MiB floor.
    let mut z = zip::ZipWriter::new(fs::File::create(t.path().join("bombe.zip")).unwrap());
    z.start_file("nuller.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut z, &vec![b'0'; 8 << 20]).unwrap();
    z.finish().unwrap();
    let (_, inv) = scan_json(t.path(), &[]);
    let s = &inv["summary"];
    let count = |status: &str| {
        inv["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["status"] == status)
            .count() as u64
    };
    let counters = [
        ("scanned", "files_scanned"),
        ("partial", "files_partial"),
        ("skipped", "files_skipped"),
        ("error", "files_errored"),
        ("encrypted", "files_encrypted"),
        ("unsupported", "files_unsupported"),
        ("limit_exceeded", "files_limit_exceeded"),
    ];
    let mut total = 0;
    for (status, counter) in counters {
        assert_eq!(s[counter].as_u64(), Some(count(status)), "{counter}");
        total += count(status);
    }
    assert_eq!(s["files_seen"].as_u64(), Some(total));
    // One file of each kind in the tree (the bomb's member has a record of its own too).
    for (counter, n) in [
        ("files_errored", 1),
        ("files_encrypted", 1),
        ("files_unsupported", 1),
        ("files_limit_exceeded", 2),
    ] {
        assert_eq!(s[counter], n, "{counter}");
    }
}
