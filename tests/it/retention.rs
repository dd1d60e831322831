//! Retention review (`--policy`, `--as-of`): verdicts from modification times (set with
//! `filetime`), from dates in paths, and from the dates of records inside files (log lines in
//! every supported form, CSV/SQL/xlsx rows with date columns, e-mail Date headers); the
//! period boundary; bad policy files; the summary; the shipped example policy.

use std::path::Path;

use filetime::FileTime;
use serde_json::{json, Value};

use crate::harness::{kartlegg, repo_path, scan, Scan, Tree};

/// Sets a file's modification time to midday UTC of `day` (YYYY-MM-DD).
fn set_mtime(path: &Path, day: &str) {
    let d: chrono::NaiveDate = day.parse().unwrap();
    let t = d.and_hms_opt(12, 0, 0).unwrap().and_utc().timestamp();
    filetime::set_file_mtime(path, FileTime::from_unix_time(t, 0)).unwrap();
}

/// Scans `tree` with `policy` (written into the tree's parent-free `policy.toml`, outside
/// the scanned folder) as of `as_of`.
fn review(tree: &Tree, policy: &str, as_of: &str) -> Scan {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("policy.toml");
    std::fs::write(&p, policy).unwrap();
    let s = scan(
        &[tree.path()],
        &["--policy", p.to_str().unwrap(), "--as-of", as_of],
    );
    assert_eq!(s.code, 1, "personal data found: {}", s.stderr);
    s
}

fn retention(s: &Scan, suffix: &str) -> Value {
    s.file(suffix)["retention"].clone()
}

/// (kind, date) of each finding of a record.
fn dated(s: &Scan, suffix: &str) -> Vec<(String, Option<String>)> {
    s.file(suffix)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["date"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn owned(v: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
    v.iter()
        .map(|(k, d)| (k.to_string(), d.map(str::to_string)))
        .collect()
}

#[test]
fn modification_times_give_overdue_due_keep_and_no_policy() {
    let t = Tree::new();
    for (name, day) in [
        ("kurs/gammel.txt", "2025-06-01"),
        ("kurs/snart.txt", "2025-12-15"),
        ("kurs/ny.txt", "2026-11-01"),
        ("annet/liste.txt", "2020-01-01"),
    ] {
        let p = t.file(name, "Deltaker 13097248022\n");
        set_mtime(&p, day);
    }
    let clean = t.file("kurs/tom.txt", "ingen personopplysninger her\n");
    set_mtime(&clean, "2020-01-01");
    let plain = t.file("annet/tom.txt", "ingenting\n");
    set_mtime(&plain, "2020-01-01");
    let s = review(
        &t,
        "due_within = \"30d\"\n[[policy]]\nid = \"kurs\"\nkeep = \"1y\"\npaths = [\"kurs/**\"]\n",
        "2026-12-01",
    );
    assert_eq!(
        retention(&s, "kurs/gammel.txt"),
        json!({"policy": "kurs", "from": "modified", "date": "2025-06-01",
               "keep_until": "2026-06-01", "verdict": "overdue", "overdue_days": 183,
               "findings_overdue": 1})
    );
    assert_eq!(
        retention(&s, "kurs/snart.txt"),
        json!({"policy": "kurs", "from": "modified", "date": "2025-12-15",
               "keep_until": "2026-12-15", "verdict": "due", "findings_overdue": 0})
    );
    assert_eq!(retention(&s, "kurs/ny.txt")["verdict"], "keep");
    // A file the policy covers is judged with or without findings.
    assert_eq!(retention(&s, "kurs/tom.txt")["verdict"], "overdue");
    assert_eq!(retention(&s, "kurs/tom.txt")["findings_overdue"], 0);
    assert_eq!(
        retention(&s, "annet/liste.txt"),
        json!({"verdict": "no_policy"})
    );
    assert_eq!(s.file("annet/tom.txt").get("retention"), None);
    let sum = &s.inv["summary"]["retention"];
    assert_eq!(
        (
            &sum["overdue"],
            &sum["due"],
            &sum["keep"],
            &sum["no_policy"]
        ),
        (&json!(2), &json!(1), &json!(1), &json!(1))
    );
    assert_eq!(sum["findings_overdue"], 1);
    assert_eq!(sum["by_policy"]["kurs"]["files"], 4);
    assert_eq!(sum["by_policy"]["kurs"]["findings"], 3);
    assert_eq!(s.inv["scan"]["as_of"], "2026-12-01");
    let header = &s.inv["scan"]["retention"];
    assert_eq!(header["as_of"], "2026-12-01");
    assert!(header["sha256"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(header["policies"][0]["keep"], "1y");
}

#[test]
fn dates_in_paths_and_the_fallback_to_modified() {
    let t = Tree::new();
    for name in [
        "kurs/2019/liste.txt",
        "kurs/2021-03-15_referat.txt",
        "kurs/kursbevis_2023.txt",
        "kurs/liste.txt",
    ] {
        let p = t.file(name, "Deltaker 13097248022\n");
        set_mtime(&p, "2020-01-01");
    }
    let s = review(
        &t,
        "[[policy]]\nid = \"kurs\"\nkeep = \"5y\"\nfrom = \"path\"\n",
        "2026-12-01",
    );
    let r = retention(&s, "kurs/2019/liste.txt");
    assert_eq!(
        (
            &r["date"],
            &r["keep_until"],
            &r["verdict"],
            &r["overdue_days"]
        ),
        (
            &json!("2019-12-31"),
            &json!("2024-12-31"),
            &json!("overdue"),
            &json!(700)
        ),
        "a bare year means its last day"
    );
    let r = retention(&s, "2021-03-15_referat.txt");
    assert_eq!(
        (&r["date"], &r["verdict"], &r["overdue_days"]),
        (&json!("2021-03-15"), &json!("overdue"), &json!(261))
    );
    let r = retention(&s, "kursbevis_2023.txt");
    assert_eq!(
        (&r["date"], &r["verdict"]),
        (&json!("2023-12-31"), &json!("keep"))
    );
    assert_eq!(r.get("fallback"), None);
    let r = retention(&s, "kurs/liste.txt");
    assert_eq!(
        (&r["date"], &r["fallback"], &r["verdict"]),
        (&json!("2020-01-01"), &json!("modified"), &json!("overdue"))
    );
}

const CONTENT_360: &str = "[[policy]]\nid = \"logg\"\nkeep = \"360d\"\nfrom = \"content\"\n";

#[test]
fn log_lines_date_their_findings_in_every_form() {
    let t = Tree::new();
    let log = t.file(
        "logg/app.log",
        "2024-03-05T10:00:00+01:00 login ola.nordmann@kursfirma.no\n\
         198.51.100.7 - - [20/Nov/2026:10:00:00 +0100] \"GET /?epost=kari.nordmann@kursfirma.no HTTP/1.1\" 200 512\n\
         Mar  5 10:00:00 web sshd[1]: bruker per.hansen@kursfirma.no\n\
         Dec 31 23:59:59 web cron: varsel til lise.berg@kursfirma.no\n\
         05.03.2024: ringte om 13097248022\n\
         uten dato: anne.lie@kursfirma.no\n",
    );
    // Syslog lines carry no year: it comes from the modification time (and a line dated after
    // it is from the year before).
    set_mtime(&log, "2026-06-01");
    let s = review(&t, CONTENT_360, "2026-12-01");
    assert_eq!(
        dated(&s, "app.log"),
        owned(&[
            ("email", Some("2024-03-05")),
            ("email", Some("2026-11-20")),
            ("email", Some("2026-03-05")),
            ("email", Some("2025-12-31")),
            ("fodselsnummer", Some("2024-03-05")),
            ("email", None),
        ])
    );
    assert_eq!(
        retention(&s, "app.log"),
        json!({"policy": "logg", "from": "content", "date": "2024-03-05",
               "keep_until": "2025-02-28", "verdict": "overdue", "overdue_days": 641,
               "findings_overdue": 2, "findings_undated": 1,
               "oldest": "2024-03-05", "newest": "2026-11-20"})
    );
    // Without a policy that dates by content, findings carry no dates.
    let s = review(
        &t,
        "[[policy]]\nid = \"m\"\nkeep = \"360d\"\n",
        "2026-12-01",
    );
    assert!(dated(&s, "app.log").iter().all(|(_, d)| d.is_none()));
    assert_eq!(retention(&s, "app.log")["date"], "2026-06-01");
}

#[test]
fn ndjson_records_are_dated_by_their_timestamp_key() {
    let t = Tree::new();
    let log = t.file(
        "app.ndjson",
        "{\"@timestamp\":\"2024-03-05T10:00:00Z\",\"user\":{\"email\":\"ola.nordmann@kursfirma.no\"}}\n\
         {\"user\":\"per.hansen@kursfirma.no\",\"created_at\":1762336800}\n\
         {\"user\":\"kari.nordmann@kursfirma.no\",\"meta\":{\"ts\":\"2019-01-01\"}}\n",
    );
    set_mtime(&log, "2026-11-30");
    let s = review(&t, CONTENT_360, "2026-12-01");
    // The key may come after the finding; a nested key does not date the record.
    assert_eq!(
        dated(&s, "app.ndjson"),
        owned(&[
            ("email", Some("2024-03-05")),
            ("email", Some("2025-11-05")),
            ("email", None),
        ])
    );
    assert_eq!(
        retention(&s, "app.ndjson"),
        json!({"policy": "logg", "from": "content", "date": "2024-03-05",
               "keep_until": "2025-02-28", "verdict": "overdue", "overdue_days": 641,
               "findings_overdue": 2, "findings_undated": 1,
               "oldest": "2024-03-05", "newest": "2025-11-05"})
    );
}

#[test]
fn a_log_without_dated_findings_falls_back_to_modified() {
    let t = Tree::new();
    let log = t.file("x.log", "kontakt: anne.lie@kursfirma.no\n");
    set_mtime(&log, "2024-01-01");
    let s = review(&t, CONTENT_360, "2026-12-01");
    assert_eq!(
        retention(&s, "x.log"),
        json!({"policy": "logg", "from": "content", "date": "2024-01-01",
               "keep_until": "2024-12-26", "verdict": "overdue", "overdue_days": 705,
               "findings_overdue": 1, "findings_undated": 1, "fallback": "modified"})
    );
}

const CONTENT_20Y: &str = "[[policy]]\nid = \"prover\"\nkeep = \"20y\"\nfrom = \"content\"\n";

#[test]
fn csv_and_sql_rows_are_dated_by_their_date_column() {
    let t = Tree::new();
    t.file(
        "deltakere.csv",
        "navn;fodselsdato;epost;registrert\n\
         Ola;13.09.1972;ola.nordmann@kursfirma.no;2005-06-01\n\
         Kari;20.03.1969;kari.nordmann@kursfirma.no;2020-06-01\n",
    );
    t.file(
        "prover.sql",
        "-- MySQL dump\n\
         CREATE TABLE `prove` (`id` int NOT NULL, `fnr` varchar(11), `fodt` DATE, `gjennomfort` DATE);\n\
         INSERT INTO `prove` VALUES (1,'13097248022','1972-09-13','2005-06-01'),(2,'20036914700','1969-03-20','2020-06-01');\n",
    );
    let s = review(&t, CONTENT_20Y, "2026-12-01");
    for (file, kind) in [("deltakere.csv", "email"), ("prover.sql", "fodselsnummer")] {
        assert_eq!(
            dated(&s, file),
            owned(&[(kind, Some("2005-06-01")), (kind, Some("2020-06-01"))]),
            "{file}: the row's date column, never its birth date"
        );
        assert_eq!(
            retention(&s, file),
            json!({"policy": "prover", "from": "content", "date": "2005-06-01",
                   "keep_until": "2025-06-01", "verdict": "overdue", "overdue_days": 548,
                   "findings_overdue": 1, "oldest": "2005-06-01", "newest": "2020-06-01"}),
            "{file}"
        );
    }
}

#[test]
fn xlsx_rows_are_dated_by_their_date_cells() {
    // A date-formatted cell dates its row under a header that dates rows and under one that
    // says nothing about dates (its cell style says it is a date); a birth date never does.
    for header in ["Prøvedato", "Gjennomført"] {
        xlsx_dated_rows(header);
    }
}

fn xlsx_dated_rows(header: &str) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let t = Tree::new();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date = Format::new().set_num_format("d. mmm yyyy");
    for (c, h) in ["Navn", "Fødselsnummer", "Fødselsdato", header]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (name, fnr, born, test)) in [
        ("Ola", "13097248022", (1972, 9, 13), (2005, 6, 1)),
        ("Kari", "20036914700", (1969, 3, 20), (2020, 6, 1)),
    ]
    .into_iter()
    .enumerate()
    {
        let r = r as u32 + 1;
        ws.write_string(r, 0, name).unwrap();
        ws.write_string(r, 1, fnr).unwrap();
        for (c, (y, m, d)) in [(2u16, born), (3, test)] {
            let dt = ExcelDateTime::from_ymd(y, m, d).unwrap();
            ws.write_datetime_with_format(r, c, &dt, &date).unwrap();
        }
    }
    wb.save(t.path().join("resultater.xlsx")).unwrap();
    let s = review(&t, CONTENT_20Y, "2026-12-01");
    assert_eq!(
        dated(&s, "resultater.xlsx"),
        owned(&[
            ("fodselsnummer", Some("2005-06-01")),
            ("fodselsnummer", Some("2020-06-01"))
        ]),
        "under {header}"
    );
    let r = retention(&s, "resultater.xlsx");
    assert_eq!(
        (
            &r["verdict"],
            &r["findings_overdue"],
            &r["oldest"],
            &r["newest"]
        ),
        (
            &json!("overdue"),
            &json!(1),
            &json!("2005-06-01"),
            &json!("2020-06-01")
        )
    );
}

#[test]
fn ods_date_cells_date_their_rows_and_birth_dates_do_not() {
    use std::io::Write;
    let cell = |t: &str| {
        format!("<table:table-cell office:value-type=\"string\"><text:p>{t}</text:p></table:table-cell>")
    };
    let date = |d: &str| {
        format!("<table:table-cell office:value-type=\"date\" office:date-value=\"{d}\"><text:p>{d}</text:p></table:table-cell>")
    };
    let row = |cells: &[String]| format!("<table:table-row>{}</table:table-row>", cells.concat());
    // "Gjennomført" says nothing about dates: its date cells date the rows; the birth date
    // column never does.
    let table = [
        row(&[cell("Fnr"), cell("Fødselsdato"), cell("Gjennomført")]),
        row(&[cell("13097248022"), date("1972-09-13"), date("2005-06-01")]),
        row(&[
            cell("20036914700"),
            date("1969-03-20"),
            date("2020-06-01T10:00:00"),
        ]),
    ]
    .concat();
    let content = format!(
        r#"<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="Prøver">{table}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let t = Tree::new();
    let mut z = zip::ZipWriter::new(std::fs::File::create(t.path().join("prover.ods")).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    z.start_file(
        "mimetype",
        opts.compression_method(zip::CompressionMethod::Stored),
    )
    .unwrap();
    z.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    z.start_file("content.xml", opts).unwrap();
    z.write_all(content.as_bytes()).unwrap();
    z.finish().unwrap();
    let s = review(&t, CONTENT_20Y, "2026-12-01");
    assert_eq!(
        dated(&s, "prover.ods"),
        owned(&[
            ("fodselsnummer", Some("2005-06-01")),
            ("fodselsnummer", Some("2020-06-01"))
        ])
    );
    assert_eq!(retention(&s, "prover.ods")["findings_overdue"], 1);
}

#[test]
fn messages_are_dated_by_their_date_header() {
    let t = Tree::new();
    let mbox = t.file(
        "veiledning.mbox",
        "From ola@kursfirma.no Mon Mar  4 10:00:00 2024\n\
         From: Ola Nordmann <ola.nordmann@kursfirma.no>\n\
         To: veileder@kursfirma.no\n\
         Subject: Samtale\n\
         Date: Mon, 04 Mar 2024 10:00:00 +0100\n\
         \n\
         Fødselsnummeret mitt er 13097248022.\n\
         \n\
         From kari@kursfirma.no Fri Nov 20 10:00:00 2026\n\
         From: Kari Nordmann <kari.nordmann@kursfirma.no>\n\
         To: veileder@kursfirma.no\n\
         Subject: Ny time\n\
         Date: Fri, 20 Nov 2026 10:00:00 +0100\n\
         \n\
         Ring meg.\n",
    );
    set_mtime(&mbox, "2026-11-21");
    let s = review(&t, CONTENT_360, "2026-12-01");
    // Message 1: From, To and the body's number; message 2: From and To.
    assert_eq!(
        dated(&s, "veiledning.mbox"),
        owned(&[
            ("email", Some("2024-03-04")),
            ("email", Some("2024-03-04")),
            ("fodselsnummer", Some("2024-03-04")),
            ("email", Some("2026-11-20")),
            ("email", Some("2026-11-20")),
        ])
    );
    assert_eq!(
        retention(&s, "veiledning.mbox"),
        json!({"policy": "logg", "from": "content", "date": "2024-03-04",
               "keep_until": "2025-02-27", "verdict": "overdue", "overdue_days": 642,
               "findings_overdue": 3, "oldest": "2024-03-04", "newest": "2026-11-20"})
    );
}

#[test]
fn members_of_an_archive_are_matched_by_their_whole_path_and_dated_by_their_container() {
    use std::io::Write;
    let t = Tree::new();
    let zip = t.path().join("arkiv.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zip).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    for (name, data) in [
        ("2019/liste.txt", "Ola 13097248022\n"),
        ("app.log", "2024-03-05 login ola.nordmann@kursfirma.no\n"),
        ("notat.txt", "Kari 20036914700\n"),
    ] {
        z.start_file(name, opts).unwrap();
        z.write_all(data.as_bytes()).unwrap();
    }
    z.finish().unwrap();
    set_mtime(&zip, "2026-01-01");
    let s = review(
        &t,
        "[[policy]]\nid = \"logg\"\nkeep = \"360d\"\nfrom = \"content\"\npaths = [\"*.log\"]\n\
         [[policy]]\nid = \"kurs\"\nkeep = \"5y\"\nfrom = \"path\"\n",
        "2026-12-01",
    );
    let r = retention(&s, "arkiv.zip!/2019/liste.txt");
    assert_eq!(
        (&r["policy"], &r["date"], &r["verdict"]),
        (&json!("kurs"), &json!("2019-12-31"), &json!("overdue"))
    );
    let r = retention(&s, "arkiv.zip!/app.log");
    assert_eq!(
        (&r["policy"], &r["date"], &r["findings_overdue"]),
        (&json!("logg"), &json!("2024-03-05"), &json!(1))
    );
    assert_eq!(
        dated(&s, "arkiv.zip!/app.log"),
        owned(&[("email", Some("2024-03-05"))])
    );
    // No date in the member's path: its container's modification time.
    let r = retention(&s, "arkiv.zip!/notat.txt");
    assert_eq!(
        (&r["date"], &r["fallback"], &r["verdict"]),
        (&json!("2026-01-01"), &json!("modified"), &json!("keep"))
    );
}

#[test]
fn the_period_boundary_day_before_of_and_after_keep_until() {
    let t = Tree::new();
    let p = t.file("a.txt", "Deltaker 13097248022\n");
    set_mtime(&p, "2025-06-01");
    let policy = "as_of = \"2000-01-01\"\n[[policy]]\nid = \"a\"\nkeep = \"1y\"\n";
    for (as_of, verdict, overdue) in [
        ("2026-05-31", "keep", 0),
        ("2026-06-01", "keep", 0),
        ("2026-06-02", "overdue", 1),
    ] {
        // --as-of overrides the policy file's as_of.
        let s = review(&t, policy, as_of);
        let r = retention(&s, "a.txt");
        assert_eq!(r["keep_until"], "2026-06-01");
        assert_eq!(r["verdict"], verdict, "as of {as_of}");
        assert_eq!(r["findings_overdue"], overdue, "as of {as_of}");
        assert_eq!(
            r.get("overdue_days").cloned(),
            (overdue == 1).then(|| json!(1))
        );
        assert_eq!(s.inv["summary"]["retention"]["as_of"], as_of);
    }
}

#[test]
fn a_bad_policy_file_names_file_line_and_column_and_the_scan_does_not_start() {
    let t = Tree::new();
    t.file("a.txt", "Deltaker 13097248022\n");
    let dir = tempfile::tempdir().unwrap();
    let one = "[[policy]]\nid = \"a\"\nkeep = \"5y\"\n";
    for (text, want) in [
        (
            format!("{one}kepe = \"1y\"\n"),
            ":4:1: unknown field `kepe`",
        ),
        (
            "[[policy]]\nid = \"a\"\nkeep = \"5 years\"\n".to_string(),
            ":3:8: bad duration \"5 years\"",
        ),
        (
            format!("{one}paths = [\"kurs/[a\"]\n"),
            ":4:10: bad glob \"kurs/[a\"",
        ),
        (
            format!("{one}\n[[policy]]\nid = \"a\"\nkeep = \"1y\"\n"),
            ":6:6: duplicate policy id \"a\" (first on line 2)",
        ),
        (
            format!("{one}from = \"created\"\n"),
            ":4:8: from must be modified, content or path",
        ),
    ] {
        let p = dir.path().join("bad.toml");
        std::fs::write(&p, &text).unwrap();
        let out_file = dir.path().join("inventory.json");
        let out = kartlegg()
            .args(["scan", "--no-progress", "--policy"])
            .arg(&p)
            .arg("-o")
            .arg(&out_file)
            .arg(t.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!("{}{want}", p.display())),
            "{want}: {stderr}"
        );
        assert!(!out_file.exists(), "no inventory for a bad policy");
    }
}

#[test]
fn a_kind_no_rule_reports_is_warned_about() {
    let t = Tree::new();
    t.file("a.txt", "Deltaker 13097248022\n");
    let s = review(
        &t,
        "[[policy]]\nid = \"a\"\nkeep = \"1y\"\nkinds = [\"epost\", \"email\"]\n",
        "2026-12-01",
    );
    assert!(
        s.stderr
            .contains("warning: policy \"a\" names kind \"epost\", which no rule in use reports"),
        "{}",
        s.stderr
    );
    assert!(!s.stderr.contains("\"email\""), "{}", s.stderr);
    // The file holds neither kind: the policy does not apply.
    assert_eq!(retention(&s, "a.txt"), json!({"verdict": "no_policy"}));
}

#[test]
fn shards_merge_into_the_whole_scans_retention_summary_and_state_is_refused() {
    let t = course_share();
    let example = repo_path("rules/retention/kursleverandor.toml");
    let policy = [
        "--policy",
        example.to_str().unwrap(),
        "--as-of",
        "2026-12-01",
    ];
    let whole = scan(&[t.path()], &policy);
    let dir = tempfile::tempdir().unwrap();
    let mut parts = Vec::new();
    for i in 0..3 {
        let p = dir.path().join(format!("{i}.json"));
        let out = kartlegg()
            .env("KARTLEGG_HASH_KEY", "retention-shards")
            .args(["scan", "--no-progress", "--shard", &format!("{i}/3"), "-o"])
            .arg(&p)
            .args(policy)
            .arg(t.path())
            .output()
            .unwrap();
        assert!(matches!(out.status.code(), Some(0 | 1)));
        parts.push(p);
    }
    let merged = dir.path().join("merged.json");
    let out = kartlegg()
        .arg("merge")
        .args(&parts)
        .arg("-o")
        .arg(&merged)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m: Value = serde_json::from_slice(&std::fs::read(&merged).unwrap()).unwrap();
    crate::harness::assert_valid(&m);
    assert_eq!(m["summary"]["retention"], whole.inv["summary"]["retention"]);
    // A state would hand back verdicts given on another day: refused.
    let out = kartlegg()
        .args(["scan", "--no-progress", "--state"])
        .arg(dir.path().join("state.db"))
        .args(policy)
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--policy cannot be combined with --state")
    );
}

/// A course provider's share, reviewed with the example policy in rules/retention/.
fn course_share() -> Tree {
    let t = Tree::new();
    let set = |name: &str, text: &str, day: &str| set_mtime(&t.file(name, text), day);
    set("kurs/2019/deltakere.txt", "Ola 13097248022\n", "2020-02-01");
    set(
        "kurs/2024/deltakere.txt",
        "Kari 20036914700\n",
        "2024-10-01",
    );
    set(
        "veiledning/chat.log",
        "2025-01-10T09:00:00Z ola.nordmann@kursfirma.no: hei\n\
         2026-11-02T09:00:00Z kari.nordmann@kursfirma.no: hei\n",
        "2026-11-02",
    );
    set(
        "prover/resultater.csv",
        "fnr;provedato;resultat\n13097248022;2005-06-01;B1\n20036914700;2015-06-01;B2\n",
        "2026-01-01",
    );
    set(
        "rekruttering/soknad_lise.txt",
        "Lise Berg, lise.berg@kursfirma.no\n",
        "2026-07-01",
    );
    set(
        "diverse/notat.txt",
        "Notat om Ola 13097248022\n",
        "2026-01-01",
    );
    t
}

#[test]
fn the_example_policy_reviews_a_course_share() {
    let t = course_share();
    let example = repo_path("rules/retention/kursleverandor.toml");
    let s = scan(
        &[t.path()],
        &[
            "--policy",
            example.to_str().unwrap(),
            "--as-of",
            "2026-12-01",
        ],
    );
    assert_eq!(s.code, 1, "{}", s.stderr);
    let v = |suffix: &str| {
        let r = retention(&s, suffix);
        (
            r["policy"].as_str().unwrap_or("").to_string(),
            r["verdict"].as_str().unwrap().to_string(),
            r["findings_overdue"].clone(),
        )
    };
    let want =
        |p: &str, verdict: &str, n: Option<u64>| (p.to_string(), verdict.to_string(), json!(n));
    assert_eq!(
        v("kurs/2019/deltakere.txt"),
        want("kursdokumentasjon", "overdue", Some(1))
    );
    assert_eq!(
        v("kurs/2024/deltakere.txt"),
        want("kursdokumentasjon", "keep", Some(0))
    );
    assert_eq!(v("chat.log"), want("veiledning", "overdue", Some(1)));
    assert_eq!(
        v("resultater.csv"),
        want("proveresultater", "overdue", Some(1))
    );
    // Six months from 2026-07-01 ends 2027-01-01: within the example's 90 days.
    assert_eq!(v("soknad_lise.txt"), want("rekruttering", "due", Some(0)));
    assert_eq!(v("notat.txt"), want("", "no_policy", None));
    let sum = &s.inv["summary"]["retention"];
    assert_eq!(
        (
            &sum["overdue"],
            &sum["due"],
            &sum["keep"],
            &sum["no_policy"]
        ),
        (&json!(3), &json!(1), &json!(1), &json!(1))
    );
    assert_eq!(sum["findings_overdue"], 3);
}

#[test]
fn the_readable_summary_has_a_retention_section() {
    let t = course_share();
    let example = repo_path("rules/retention/kursleverandor.toml");
    let out = kartlegg()
        .args(["scan", "--no-progress", "--as-of", "2026-12-01", "--policy"])
        .arg(&example)
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "Retention as of 2026-12-01: 3 files overdue, 1 due, 1 to keep, 1 with findings and no policy; 3 findings overdue"
        ),
        "{text}"
    );
    let line = |id: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(id))
            .unwrap_or_else(|| panic!("no line for {id}: {text}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(
        line("kursdokumentasjon").starts_with("kursdokumentasjon 1 of 2 files overdue"),
        "{text}"
    );
    assert!(
        line("veiledning").contains("1 of 2 findings overdue"),
        "{text}"
    );
    let folders: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.contains("Folders with the most overdue findings"))
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .collect();
    assert_eq!(folders.len(), 3, "{text}");
    assert!(folders.iter().any(|l| l.ends_with("/kurs/2019")), "{text}");
    // No personal value in the summary.
    assert!(!text.contains("13097248022") && !text.contains("ola.nordmann"));
}

#[test]
fn reports_show_the_verdicts_and_finding_dates() {
    let t = course_share();
    let example = repo_path("rules/retention/kursleverandor.toml");
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.json");
    let out = kartlegg()
        .args(["scan", "--no-progress", "--as-of", "2026-12-01", "--policy"])
        .arg(&example)
        .arg("-o")
        .arg(&inv)
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let csv = dir.path().join("funn.csv");
    let out = kartlegg()
        .args(["report", "--lang", "en", "--findings", "-o"])
        .arg(&csv)
        .arg(&inv)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let row = text
        .lines()
        .find(|l| l.contains("resultater.csv") && l.contains("2005-06-01"))
        .unwrap_or_else(|| panic!("no dated finding row: {text}"));
    assert!(
        row.contains("fodselsnummer") || row.contains("dselsnummer"),
        "{row}"
    );
}
