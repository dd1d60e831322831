//! The CI gate end to end: temporary git repositories, the real binary, its outputs and exit
//! codes. Numbers are the public test vectors of docs/identifiers.md.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

pub(crate) const REAL: &str = "13097248022";
pub(crate) const REAL2: &str = "20036914700";
pub(crate) const SYNTHETIC: &str = "03851598730";
pub(crate) const ADVICE: &str =
    "remove it, or record a reviewed exception in .kartlegg-baseline.json";

pub(crate) struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    pub(crate) fn new() -> Repo {
        let r = Repo {
            dir: tempfile::tempdir().unwrap(),
        };
        r.git(&["init", "-q", "-b", "main"]);
        r
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn git(&self, args: &[&str]) -> String {
        let out = git_in(self.path(), args);
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub(crate) fn write(&self, name: &str, content: impl AsRef<[u8]>) {
        let p = self.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    pub(crate) fn stage(&self, name: &str, content: impl AsRef<[u8]>) {
        self.write(name, content);
        self.git(&["add", "--", name]);
    }

    pub(crate) fn commit(&self, msg: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", msg]);
        self.git(&["rev-parse", "HEAD"])
    }

    pub(crate) fn kartlegg(&self, args: &[&str]) -> Output {
        kartlegg_in(self.path(), args, &[])
    }
}

pub(crate) fn git_in(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap()
}

pub(crate) fn kartlegg_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = crate::harness::kartlegg();
    c.current_dir(dir).args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every output stream of a run, checked for raw values.
pub(crate) fn assert_no_raw(o: &Output, values: &[&str]) {
    for v in values {
        assert!(
            !stdout(o).contains(v) && !stderr(o).contains(v),
            "raw value {v} printed"
        );
    }
}

pub(crate) fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

#[test]
fn staged_number_fails_with_one_masked_line() {
    let r = Repo::new();
    r.stage("tests/data/kunder.csv", "id,navn,fnr\n1,Ola,\n");
    r.commit("fixture");
    r.stage(
        "tests/data/kunder.csv",
        format!("id,navn,fnr\n1,Ola,\n2,Kari,{REAL}\n"),
    );
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!("tests/data/kunder.csv:3: fodselsnummer (high) 130******** in row 2, column fnr — {ADVICE}\n")
    );
    assert_no_raw(&o, &[REAL]);
}

#[test]
fn staged_reads_the_index_not_the_work_tree() {
    let r = Repo::new();
    r.stage("a.txt", format!("fnr {REAL}\n"));
    // The work tree no longer has it, the index does: the commit would add it.
    r.write("a.txt", "nothing\n");
    assert_eq!(
        code(&r.kartlegg(&["scan", "--staged"])),
        1,
        "before the first commit too"
    );
    r.stage("a.txt", "nothing\n");
    r.commit("clean");
    r.write("b.txt", format!("fnr {REAL}\n"));
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(
        code(&o),
        0,
        "unstaged content is not the commit's: {}",
        stdout(&o)
    );
}

#[test]
fn only_added_lines_count_and_moves_add_nothing() {
    let r = Repo::new();
    r.stage("a.txt", format!("fnr {REAL}\nb\nc\n"));
    r.commit("old number");
    r.stage("a.txt", format!("b\nfnr {REAL}\nc\nnew line\n"));
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 0, "moved line: {}", stdout(&o));
    r.stage(
        "a.txt",
        format!("b\nfnr {REAL}\nc\nnew line\nfnr {REAL2}\n"),
    );
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 1);
    assert_eq!(stdout(&o).lines().count(), 1);
    assert!(
        stdout(&o).starts_with("a.txt:5:5: fodselsnummer (high) 200***"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn synthetic_numbers_pass_unless_asked() {
    let r = Repo::new();
    r.stage("t.txt", format!("fnr {SYNTHETIC}\n"));
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stderr(&o).contains("1 synthetic"), "{}", stderr(&o));
    let o = r.kartlegg(&["scan", "--staged", "--fail-on-synthetic"]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("038********"));
}

#[test]
fn inline_allow_on_the_line_or_the_line_above() {
    let r = Repo::new();
    r.stage(
        "same.py",
        format!("FNR = \"{REAL}\"  # kartlegg:allow public test vector\n"),
    );
    r.stage(
        "above.py",
        format!("# kartlegg:allow public test vector\nFNR = \"{REAL}\"\n"),
    );
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stderr(&o).contains("2 kartlegg:allow"), "{}", stderr(&o));
    r.stage("far.py", format!("# kartlegg:allow\n\nFNR = \"{REAL}\"\n"));
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).starts_with("far.py:3:"), "{}", stdout(&o));
    r.git(&["rm", "-q", "--cached", "far.py"]);
    // A file too large to hold in memory (over 8 MiB: read from a file of its own) too.
    let filler = "lorem ipsum dolor sit amet\n".repeat(360_000);
    r.stage(
        "large.py",
        format!("{filler}# kartlegg:allow public test vector\nFNR = \"{REAL}\"\n"),
    );
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stderr(&o).contains("3 kartlegg:allow"), "{}", stderr(&o));
}

#[test]
fn kartleggignore_skips_paths() {
    let r = Repo::new();
    r.stage(".kartleggignore", "fixtures/\n*.snap\n");
    r.stage("fixtures/x.txt", format!("fnr {REAL}\n"));
    r.stage("y.snap", format!("fnr {REAL}\n"));
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stderr(&o).contains("2 ignored"), "{}", stderr(&o));
    r.stage("z.txt", format!("fnr {REAL}\n"));
    assert_eq!(code(&r.kartlegg(&["scan", "--staged"])), 1);
    // --exclude takes the same syntax.
    let o = r.kartlegg(&["scan", "--staged", "--exclude", "z.*"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stderr(&o).contains("3 ignored"), "{}", stderr(&o));
}

#[test]
fn baseline_suppresses_the_value_not_the_line() {
    let r = Repo::new();
    r.stage("k.csv", format!("navn,fnr\nOla,{REAL}\n"));
    let o = r.kartlegg(&[
        "baseline",
        "add",
        "--staged",
        "--reviewer",
        "Kari",
        "--reason",
        "public test vector",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = std::fs::read_to_string(r.path().join(".kartlegg-baseline.json")).unwrap();
    assert!(
        !text.contains(REAL) && !text.contains("130*"),
        "no raw values or masks: {text}"
    );
    let b: serde_json::Value = serde_json::from_str(&text).unwrap();
    let e = &b["entries"][0];
    assert_eq!(
        (
            e["path"].as_str(),
            e["kind"].as_str(),
            e["reviewer"].as_str()
        ),
        (Some("k.csv"), Some("fodselsnummer"), Some("Kari"))
    );
    assert_eq!(e["reason"], "public test vector");
    assert!(e["fingerprint"]
        .as_str()
        .unwrap()
        .starts_with("hmac-sha256:"));
    assert!(e["date"].as_str().unwrap().len() == 10);

    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stderr(&o).contains("1 baseline"));

    // A new number on the excepted line still fails; the excepted one does not.
    r.stage("k.csv", format!("navn,fnr\nOla,{REAL} {REAL2}\n"));
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 1);
    assert_eq!(
        stdout(&o),
        format!("k.csv:2: fodselsnummer (high) 200******** in row 1, column fnr — {ADVICE}\n")
    );

    // The same value in another path is not excepted.
    r.stage("k.csv", format!("navn,fnr\nOla,{REAL}\n"));
    r.stage("other.csv", format!("navn,fnr\nOla,{REAL}\n"));
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).starts_with("other.csv:2:"), "{}", stdout(&o));
}

#[test]
fn expired_entries_stop_suppressing() {
    let r = Repo::new();
    r.stage("k.txt", format!("fnr {REAL}\n"));
    let o = r.kartlegg(&[
        "baseline",
        "add",
        "--staged",
        "--reviewer",
        "K",
        "--reason",
        "r",
        "--expires",
        "2000-01-01",
    ]);
    assert_eq!(code(&o), 0);
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(
        stderr(&o).contains("baseline entry expired 2000-01-01: k.txt fodselsnummer"),
        "{}",
        stderr(&o)
    );
    // Recording it again renews the entry instead of adding a second one.
    let o = r.kartlegg(&[
        "baseline",
        "add",
        "--staged",
        "--reviewer",
        "K",
        "--reason",
        "r",
        "--expires",
        "2999-01-01",
    ]);
    assert_eq!(code(&o), 0);
    assert_eq!(code(&r.kartlegg(&["scan", "--staged"])), 0);
    let b: serde_json::Value =
        serde_json::from_slice(&std::fs::read(r.path().join(".kartlegg-baseline.json")).unwrap())
            .unwrap();
    assert_eq!(b["entries"].as_array().unwrap().len(), 1);
    assert_eq!(b["entries"][0]["expires"], "2999-01-01");
}

#[test]
fn stale_entries_are_reported_and_updated_away() {
    let r = Repo::new();
    r.stage("k.txt", format!("fnr {REAL}\nfnr {REAL2}\n"));
    r.commit("two numbers");
    let o = r.kartlegg(&["baseline", "add", "--reviewer", "K", "--reason", "vectors"]);
    assert_eq!(code(&o), 0);
    assert!(stderr(&o).contains("2 exception(s)"), "{}", stderr(&o));
    r.stage("k.txt", format!("fnr {REAL}\n"));
    r.commit("one removed");
    let o = r.kartlegg(&["scan", "--tracked"]);
    assert_eq!(code(&o), 0, "stale entries do not fail: {}", stdout(&o));
    assert_eq!(
        stderr(&o).matches("stale baseline entry").count(),
        1,
        "{}",
        stderr(&o)
    );
    assert_no_raw(&o, &[REAL, REAL2]);
    let o = r.kartlegg(&["baseline", "update"]);
    assert_eq!(code(&o), 0);
    assert!(stderr(&o).contains("1 stale"), "{}", stderr(&o));
    let o = r.kartlegg(&["scan", "--tracked"]);
    assert!(!stderr(&o).contains("stale"), "{}", stderr(&o));
    assert_eq!(code(&o), 0);
}

#[test]
fn an_entry_whose_value_fell_below_the_level_is_stale_for_neither() {
    // The gate and `baseline update` agree on what is stale: an entry whose value is still
    // found, at a confidence below what the gate reports, matches something.
    let r = Repo::new();
    r.stage("p.txt", "telefon: 41234567\n");
    r.commit("a phone with its word");
    let o = r.kartlegg(&["baseline", "add", "--reviewer", "K", "--reason", "example"]);
    assert!(stderr(&o).contains("1 exception(s)"), "{}", stderr(&o));
    // Without its word the phone is found at low confidence, which the gate does not report.
    r.stage("p.txt", "kode 41234567 ok\n");
    r.commit("the word went away");
    let o = r.kartlegg(&["scan", "--tracked"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(stdout(&o), "", "below --min-confidence nothing is printed");
    assert!(!stderr(&o).contains("stale"), "{}", stderr(&o));
    let o = r.kartlegg(&["baseline", "update"]);
    assert!(stderr(&o).contains("0 stale"), "{}", stderr(&o));
    // Gone altogether, both call it stale.
    r.stage("p.txt", "kode ok\n");
    r.commit("no phone");
    let o = r.kartlegg(&["scan", "--tracked"]);
    assert_eq!(
        stderr(&o).matches("stale baseline entry").count(),
        1,
        "{}",
        stderr(&o)
    );
    let o = r.kartlegg(&["baseline", "update"]);
    assert!(stderr(&o).contains("1 stale"), "{}", stderr(&o));
}

#[test]
fn diff_range_reports_only_what_it_adds() {
    let r = Repo::new();
    r.stage("old.txt", format!("fnr {REAL}\n"));
    let base = r.commit("base with a number");
    r.stage("new.txt", format!("fnr {REAL2}\n"));
    r.stage("old.txt", format!("fnr {REAL}\nmore text\n"));
    let head = r.commit("adds one");
    for range in [
        format!("{base}..{head}"),
        base.clone(),
        format!("{base}...{head}"),
        format!("{base}.."),
    ] {
        let o = r.kartlegg(&["scan", "--diff", &range]);
        assert_eq!(code(&o), 1, "{range}");
        assert_eq!(
            stdout(&o),
            format!("new.txt:1:5: fodselsnummer (high) 200******** — {ADVICE}\n"),
            "{range}"
        );
    }
    let o = r.kartlegg(&["scan", "--diff", &format!("{head}..{head}")]);
    assert_eq!(code(&o), 0);
}

#[test]
fn renames_add_nothing_but_added_lines_in_them_do() {
    let r = Repo::new();
    r.stage(
        "a.txt",
        format!("fnr {REAL}\nline two\nline three\nline four\n"),
    );
    r.commit("a");
    r.git(&["mv", "a.txt", "b.txt"]);
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    r.stage(
        "b.txt",
        format!("fnr {REAL}\nline two\nline three\nline four\nfnr {REAL2}\n"),
    );
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).starts_with("b.txt:5:5: fodselsnummer (high) 200"),
        "{}",
        stdout(&o)
    );
    let before = r.git(&["rev-parse", "HEAD"]);
    let after = r.commit("rename");
    let o = r.kartlegg(&["scan", "--diff", &format!("{before}..{after}")]);
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));
}

#[test]
fn history_reports_the_introducing_commit_once() {
    let r = Repo::new();
    r.stage("readme.txt", "hello\n");
    r.commit("start");
    r.stage("a.txt", format!("fnr {REAL}\n"));
    let intro = r.commit("adds the number");
    r.stage("a.txt", format!("header\nfnr {REAL}\n"));
    r.commit("moves it");
    r.stage("a.txt", "header\n");
    r.commit("removes it");
    let o = r.kartlegg(&["scan", "--history"]);
    assert_eq!(code(&o), 1);
    assert_eq!(
        stdout(&o),
        format!(
            "a.txt:1:5: fodselsnummer (high) 130******** added in {} — {ADVICE}\n",
            &intro[..12]
        )
    );
    // A range that starts after the introduction does not see it.
    let o = r.kartlegg(&["scan", &format!("--history={intro}..HEAD")]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn merge_commits_do_not_repeat_branch_findings() {
    let r = Repo::new();
    r.stage("base.txt", "base\n");
    let base = r.commit("base");
    r.git(&["checkout", "-q", "-b", "topic"]);
    r.stage("topic.txt", format!("fnr {REAL}\n"));
    r.commit("topic adds a number");
    r.git(&["checkout", "-q", "main"]);
    r.stage("main.txt", format!("fnr {REAL2}\n"));
    r.commit("main adds another");
    r.git(&["merge", "-q", "--no-edit", "--no-ff", "topic"]);
    let o = r.kartlegg(&["scan", "--history"]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(
        out.contains("topic.txt:1:5:") && out.contains("main.txt:1:5:"),
        "{out}"
    );
    // The merge brings the topic's number into main: a diff from the base sees both.
    let o = r.kartlegg(&["scan", "--diff", &format!("{base}..HEAD")]);
    assert_eq!(stdout(&o).lines().count(), 2);
    // Against main's first parent, the merge adds only the topic's number.
    let o = r.kartlegg(&["scan", "--diff", "HEAD^1..HEAD"]);
    assert_eq!(stdout(&o).lines().count(), 1);
    assert!(stdout(&o).starts_with("topic.txt:"));
}

/// A minimal, valid xlsx (stored, not deflated) with one inline-string cell.
fn xlsx(cell: &str) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let parts = [
            ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string()),
            ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string()),
            ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Kunder" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string()),
            ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string()),
            ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Fødselsnummer</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>{cell}</t></is></c></row></sheetData></worksheet>"#)),
        ];
        for (name, body) in parts {
            z.start_file(name, o).unwrap();
            z.write_all(body.as_bytes()).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

#[test]
fn office_and_binary_files_are_scanned_whole() {
    let r = Repo::new();
    r.stage("export.xlsx", xlsx(REAL));
    let mut bin = vec![0u8, 1, 2, 0, 0xff];
    bin.extend_from_slice(format!("fnr {REAL2}").as_bytes());
    bin.extend_from_slice(&[0, 0, 3, 0]);
    r.stage("blob.bin", &bin);
    let o = r.kartlegg(&["scan", "--staged", "--fail-on", "low"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.lines().any(|l| l.starts_with("export.xlsx")
            && l.contains("fodselsnummer")
            && l.contains("130")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("blob.bin") && l.contains("200")),
        "{out}"
    );
    assert_no_raw(&o, &[REAL, REAL2]);
    r.commit("binaries");
    // A changed office file is scanned whole: the number it already had fails again.
    r.stage("export.xlsx", xlsx(&format!("{REAL} oppdatert")));
    let o = r.kartlegg(&["scan", "--staged", "--fail-on", "low"]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).starts_with("export.xlsx"), "{}", stdout(&o));
    // A real Word document (the office fixture): lines inside its parts.
    let docx = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/office/report.docx"),
    )
    .unwrap();
    r.stage("docs/report.docx", &docx);
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains(&format!(
            "docs/report.docx:2:16: fodselsnummer (high) 130******** in part body — {ADVICE}\n"
        )),
        "{}",
        stdout(&o)
    );
    r.git(&["rm", "-q", "--cached", "docs/report.docx"]);
    // A rename changes no content.
    r.git(&["checkout", "-q", "--", "."]);
    r.git(&["reset", "-q"]);
    r.git(&["mv", "export.xlsx", "renamed.xlsx"]);
    let o = r.kartlegg(&["scan", "--staged", "--fail-on", "low"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    // Files over --max-file-size are listed, not read.
    r.stage("big.bin", &bin);
    let o = r.kartlegg(&[
        "scan",
        "--staged",
        "--max-file-size",
        "4",
        "--fail-on-unscanned",
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("not read completely: big.bin (skipped/too_large"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn fail_on_levels_and_unscanned_files() {
    let r = Repo::new();
    // A phone number with weak context is low confidence.
    r.stage("p.txt", "tall 92345678\n");
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let o = r.kartlegg(&["scan", "--staged", "--fail-on", "low"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stdout(&o).contains("phone ("), "{}", stdout(&o));
    r.commit("phone");
    r.stage(
        "broken.zip",
        b"PK\x03\x04 this is not really a zip archive".as_slice(),
    );
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not read completely: broken.zip"),
        "{}",
        stderr(&o)
    );
    let o = r.kartlegg(&["scan", "--staged", "--fail-on-unscanned"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn scan_errors_exit_2_with_a_clear_message() {
    let r = Repo::new();
    r.stage("a.txt", "a\n");
    r.commit("a");
    let o = r.kartlegg(&["scan", "--diff", "no-such-branch..HEAD"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown revision \"no-such-branch\""),
        "{}",
        stderr(&o)
    );
    let not_repo = tempfile::tempdir().unwrap();
    let o = kartlegg_in(not_repo.path(), &["scan", "--staged"], &[]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("is not inside a git work tree"),
        "{}",
        stderr(&o)
    );
    let o = r.kartlegg(&["scan", "--staged", "--format", "json"]);
    assert_eq!(code(&o), 2);
    let o = r.kartlegg(&["scan"]);
    assert_eq!(code(&o), 2);
    let o = r.kartlegg(&["scan", "--staged", "--reveal"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("never show raw values"));
}

#[test]
fn detached_shallow_and_mid_merge_repositories() {
    let r = Repo::new();
    r.stage("a.txt", "one\n");
    r.commit("one");
    r.stage("a.txt", format!("one\nfnr {REAL}\n"));
    r.commit("two");
    r.stage("a.txt", format!("one\nfnr {REAL}\nthree\n"));
    r.commit("three");
    // Detached HEAD.
    r.git(&["checkout", "-q", "--detach", "HEAD~1"]);
    let o = r.kartlegg(&["scan", "--diff", "HEAD~1"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(code(&r.kartlegg(&["scan", "--staged"])), 0);
    r.git(&["checkout", "-q", "main"]);

    // Shallow clone: what is there works, what is missing gets a clear error.
    let parent = tempfile::tempdir().unwrap();
    let url = format!("file://{}", r.path().display());
    let out = git_in(
        parent.path(),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shallow: PathBuf = parent.path().join("shallow");
    let o = kartlegg_in(&shallow, &["scan", "--diff", "HEAD~1"], &[]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("shallow clone"), "{}", stderr(&o));
    let o = kartlegg_in(&shallow, &["scan", "--history"], &[]);
    assert_eq!(
        code(&o),
        1,
        "the boundary commit holds everything: {}",
        stderr(&o)
    );

    // A conflicted merge in progress.
    r.git(&["checkout", "-q", "-b", "other", "HEAD~1"]);
    r.stage("a.txt", "conflicting\n");
    r.commit("other");
    r.git(&["checkout", "-q", "main"]);
    let merge = git_in(r.path(), &["merge", "-q", "other"]);
    assert!(!merge.status.success(), "the merge conflicts");
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("unmerged path"), "{}", stderr(&o));
    // Range scans do not depend on the index.
    assert_eq!(code(&r.kartlegg(&["scan", "--diff", "HEAD~1"])), 0);
}

#[test]
fn github_annotations_under_actions() {
    let r = Repo::new();
    r.stage("dir/k,1.csv", format!("navn,fnr\nOla,{REAL}\n"));
    let o = kartlegg_in(
        r.path(),
        &["scan", "--staged"],
        &[("GITHUB_ACTIONS", "true")],
    );
    assert_eq!(code(&o), 1);
    assert_eq!(
        stdout(&o),
        format!("::error file=dir/k%2C1.csv,line=2,title=kartlegg%3A fodselsnummer::dir/k,1.csv:2: fodselsnummer (high) 130******** in row 1, column fnr — {ADVICE}\n")
    );
    let o = kartlegg_in(
        r.path(),
        &["scan", "--staged", "--format", "text-lines"],
        &[("GITHUB_ACTIONS", "true")],
    );
    assert!(stdout(&o).starts_with("dir/k,1.csv:2:"));
}

pub(crate) fn sarif_schema() -> serde_json::Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sarif/sarif-schema-2.1.0.json");
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn sarif_is_valid_and_fingerprints_are_stable() {
    let r = Repo::new();
    r.stage("k.csv", format!("navn,fnr\nOla,{REAL}\n"));
    r.stage("s.txt", format!("fnr {SYNTHETIC}\n"));
    r.commit("numbers");
    let o = r.kartlegg(&["baseline", "add", "--reviewer", "K", "--reason", "vector"]);
    assert_eq!(code(&o), 0);
    r.stage("k.csv", format!("navn,fnr\nOla,{REAL}\nKari,{REAL2}\n"));
    r.stage("allow.txt", format!("fnr {REAL2} kartlegg:allow\n"));
    let o = r.kartlegg(&["scan", "--tracked=HEAD", "--format", "sarif"]);
    assert_eq!(
        code(&o),
        0,
        "HEAD has only baselined and synthetic numbers: {}",
        stderr(&o)
    );
    let o = r.kartlegg(&["scan", "--staged", "--format", "sarif"]);
    assert_eq!(code(&o), 1);
    assert_no_raw(&o, &[REAL, REAL2, SYNTHETIC]);
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let schema = jsonschema::JSONSchema::compile(&sarif_schema()).unwrap();
    if let Err(errors) = schema.validate(&log) {
        let msgs: Vec<String> = errors
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        panic!("invalid SARIF: {msgs:#?}");
    }
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "fodselsnummer"
        && r["shortDescription"]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty())));
    let results = run["results"].as_array().unwrap();
    let fail: Vec<_> = results
        .iter()
        .filter(|r| r["properties"]["verdict"] == "fail")
        .collect();
    assert_eq!(fail.len(), 1);
    let f = fail[0];
    assert_eq!(f["level"], "error");
    assert_eq!(
        f["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "k.csv"
    );
    assert_eq!(
        f["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
    let allowed = results
        .iter()
        .find(|r| r["properties"]["verdict"] == "inline_allow")
        .unwrap();
    assert_eq!(allowed["suppressions"][0]["kind"], "inSource");

    // The fingerprint does not depend on the line, nor on the run.
    let fp = f["partialFingerprints"]["kartleggValue/v1"].clone();
    r.stage("k.csv", format!("navn,fnr\n\n\nOla,{REAL}\nKari,{REAL2}\n"));
    let o = r.kartlegg(&["scan", "--staged", "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["properties"]["verdict"] == "fail")
        .unwrap()
        .clone();
    assert_eq!(
        f["locations"][0]["physicalLocation"]["region"]["startLine"],
        5
    );
    assert_eq!(f["partialFingerprints"]["kartleggValue/v1"], fp);
}

#[test]
fn sarif_without_findings_is_valid_too() {
    let r = Repo::new();
    r.stage("a.txt", "nothing here\n");
    let o = r.kartlegg(&["scan", "--staged", "--format", "sarif"]);
    assert_eq!(code(&o), 0);
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let schema = jsonschema::JSONSchema::compile(&sarif_schema()).unwrap();
    assert!(schema.is_valid(&log));
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 0);
    // The schema is really applied: a wrong version or a result without a message is refused.
    let mut bad = log.clone();
    bad["version"] = "3.0".into();
    assert!(!schema.is_valid(&bad));
    let mut bad = log.clone();
    bad["runs"][0]["results"] = serde_json::json!([{ "ruleId": "x" }]);
    assert!(!schema.is_valid(&bad));
}

#[test]
fn install_hook_blocks_the_commit() {
    let r = Repo::new();
    let o = r.kartlegg(&["install-hook"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let hook = r.path().join(".git/hooks/pre-commit");
    assert!(std::fs::read_to_string(&hook)
        .unwrap()
        .contains("scan --staged"));
    assert_eq!(
        code(&r.kartlegg(&["install-hook"])),
        2,
        "an existing hook is kept"
    );
    assert_eq!(code(&r.kartlegg(&["install-hook", "--force"])), 0);

    let bin = assert_cmd::cargo::cargo_bin("kartlegg");
    let commit = |msg: &str| {
        std::process::Command::new("git")
            .current_dir(r.path())
            .args([
                "-c",
                "user.name=T",
                "-c",
                "user.email=t@example.invalid",
                "commit",
                "-q",
                "-m",
                msg,
            ])
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("KARTLEGG", &bin)
            .output()
            .unwrap()
    };
    r.stage("k.txt", format!("fnr {REAL}\n"));
    let o = commit("with a number");
    assert!(!o.status.success(), "the hook stops it");
    // git hands a hook's stdout to stderr.
    assert!(
        stderr(&o).contains("k.txt:1:5: fodselsnummer (high) 130********"),
        "{}",
        stderr(&o)
    );
    r.stage("k.txt", "no number\n");
    assert!(commit("clean").status.success());
    // `commit -a` stages through a temporary index, which the hook reads too.
    r.write("k.txt", format!("no number\nfnr {REAL}\n"));
    let o = std::process::Command::new("git")
        .current_dir(r.path())
        .args([
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.invalid",
            "commit",
            "-q",
            "-a",
            "-m",
            "all",
        ])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("KARTLEGG", &bin)
        .output()
        .unwrap();
    assert!(!o.status.success(), "commit -a is stopped too");
    assert!(
        stderr(&o).contains("k.txt:2:5: fodselsnummer (high)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn pre_commit_hooks_file_runs_staged_scan() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    assert!(text.contains("id: kartlegg"));
    assert!(text.contains("entry: kartlegg scan --staged"));
    assert!(text.contains("pass_filenames: false"));
}
