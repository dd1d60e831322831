//! `kartlegg report`: the HTML page in a real browser, CSV through Python's csv module, the
//! workbook through calamine and its XML, and no raw value in any of them unless the inventory
//! held it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use crate::browser::Browser;
use crate::harness::{self, kartlegg, Tree};

/// Values planted in the fixture tree (public test vectors and synthetic phones/addresses).
pub const FNR: &str = "13097248022";
pub const FNR2: &str = "20036914700";
pub const PHONE: &str = "41234567";
pub const EMAIL: &str = "kari.nordmann@firma.no";

/// A small share: courses with identity numbers and phones, HR with e-mail, a picture (a GIF: not read, on purpose), a
/// damaged PDF and a file with nothing in it.
pub fn share() -> Tree {
    let t = Tree::new();
    t.file(
        "kurs/2019/deltakere.csv",
        format!("Navn;Fødselsnummer;Mobil\nKari;{FNR};{PHONE}\nOla;{FNR2};92345678\n"),
    );
    t.file("kurs/2019/notat.txt", "Fødselsnummer: 29020073150\n");
    t.file("kurs/2020/liste.txt", format!("Fnr: {FNR}\n"));
    t.file("hr/ansatte.csv", format!("navn,epost\nKari,{EMAIL}\n"));
    t.file("hr/bilde.gif", b"GIF89a0000000000000000");
    t.file("hr/ødelagt.pdf", "%PDF-1.4\n1 0 obj <<\ngarbage");
    t.file("tom.txt", "ingenting her\n");
    t
}

/// A key file for fingerprints that last across scans.
pub fn key(dir: &Path) -> PathBuf {
    let p = dir.join("nøkkel");
    std::fs::write(&p, "en hemmelig nøkkel\n").unwrap();
    p
}

/// A JSON Lines inventory of `tree` under a key file in `dir`, and a copy of it without its
/// summary line (as an interrupted scan leaves it): (full, cut).
pub fn jsonl_with_and_without_summary(tree: &Path, dir: &Path) -> (PathBuf, PathBuf) {
    let full = dir.join("full.jsonl");
    kartlegg()
        .args([
            "scan",
            "--no-progress",
            "--format",
            "jsonl",
            "--hash-key-file",
        ])
        .arg(key(dir))
        .arg("-o")
        .arg(&full)
        .arg(tree)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&full).unwrap();
    let cut = dir.join("cut.jsonl");
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains(r#""record":"summary""#))
        .collect();
    std::fs::write(&cut, lines.join("\n") + "\n").unwrap();
    (full, cut)
}

/// Scans `tree` into `out` (JSON); the inventory is checked against the schema.
pub fn inventory(tree: &Path, out: &Path, extra: &[&str]) -> Value {
    let s = harness::scan(&[tree], extra);
    std::fs::write(out, serde_json::to_vec(&s.inv).unwrap()).unwrap();
    s.inv
}

/// `kartlegg report IN -o OUT EXTRA...`, which must succeed.
pub fn report(inv: &Path, out: &Path, extra: &[&str]) {
    let o = kartlegg()
        .arg("report")
        .arg(inv)
        .arg("-o")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "report failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The inventory with a retention verdict on the course list, as a `--policy` scan writes it.
fn with_retention(mut inv: Value) -> Value {
    for f in inv["files"].as_array_mut().unwrap() {
        if f["path"].as_str().unwrap().ends_with("deltakere.csv") {
            f["retention"] = json!({"policy": "kursdokumentasjon", "from": "path",
                "date": "2019-12-31", "keep_until": "2024-12-31", "verdict": "overdue",
                "overdue_days": 640, "findings_overdue": 4, "findings_undated": 3,
                "fallback": "modified"});
        }
        if f["path"].as_str().unwrap().ends_with("liste.txt") {
            f["retention"] = json!({"policy": "kursdokumentasjon", "from": "path",
                "date": "2020-12-31", "keep_until": "2025-12-31", "verdict": "keep"});
        }
    }
    harness::assert_valid(&inv);
    inv
}

fn file_count(inv: &Value, pred: impl Fn(&Value) -> bool) -> usize {
    inv["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| pred(f))
        .count()
}

#[test]
fn the_page_works_in_a_real_browser_and_asks_for_nothing() {
    let tree = share();
    let work = tempfile::tempdir().unwrap();
    let key = key(work.path());
    let inv_path = work.path().join("inv.json");
    let inv = inventory(
        tree.path(),
        &inv_path,
        &["--hash-key-file", key.to_str().unwrap()],
    );
    let inv = with_retention(inv);
    std::fs::write(&inv_path, serde_json::to_vec(&inv).unwrap()).unwrap();
    let page = work.path().join("rapport.html");
    report(&inv_path, &page, &[]);

    let mut b = Browser::launch();
    let downloads = work.path().join("nedlastet");
    std::fs::create_dir(&downloads).unwrap();
    b.downloads_to(&downloads);
    b.open(&page);
    let s = &inv["summary"];
    let text = |b: &mut Browser, sel: &str| -> String {
        b.eval(&format!(
            "document.querySelector({sel:?})?.textContent ?? null"
        ))
        .as_str()
        .unwrap_or_else(|| panic!("no element {sel}"))
        .to_string()
    };
    let n = |s: String| -> u64 { s.replace(['\u{a0}', ' '], "").parse().unwrap() };

    // Overview: the summary's figures, in Norwegian.
    assert_eq!(b.eval("document.documentElement.lang"), "nb");
    assert_eq!(
        n(text(&mut b, "#ov-files_seen")),
        s["files_seen"].as_u64().unwrap()
    );
    assert_eq!(
        n(text(&mut b, "#ov-findings")),
        s["findings"].as_u64().unwrap()
    );
    assert_eq!(
        n(text(&mut b, "#ov-files_with_findings")),
        s["files_with_findings"].as_u64().unwrap()
    );
    assert_eq!(n(text(&mut b, "#ov-kind-fodselsnummer")), 4);
    assert_eq!(text(&mut b, "#tab-files"), "Filer");

    // The folder tree: opened down to where it branches; `kurs` rolls up both years.
    b.eval("document.getElementById('tab-folders').click()");
    let kurs_findings = |b: &mut Browser| {
        b.eval("[...document.querySelectorAll('#tree tr[data-path$=\"/kurs\"] td[data-k=findings]')].map(e => e.textContent)")
    };
    let k = kurs_findings(&mut b);
    assert_eq!(
        k,
        json!(["6"]),
        "kurs: 4 in deltakere.csv, 1 in notat.txt, 1 in liste.txt"
    );
    assert_eq!(
        b.eval("document.querySelectorAll('#tree tr[data-path$=\"/kurs/2019\"]').length"),
        0,
        "kurs is not open yet"
    );
    b.eval("document.querySelector('#tree tr[data-path$=\"/kurs\"] button.toggle').click()");
    let y2019 = b.eval("document.querySelector('#tree tr[data-path$=\"/kurs/2019\"] td[data-k=findings]').textContent");
    assert_eq!(y2019, "5");
    let overdue = b.eval(
        "document.querySelector('#tree tr[data-path$=\"/kurs\"] td[data-k=overdue]').textContent",
    );
    assert_eq!(overdue, "1", "one overdue file under kurs");

    // The file table: files with findings first, by findings.
    b.eval("document.getElementById('tab-files').click()");
    let with = s["files_with_findings"].as_u64().unwrap();
    assert_eq!(text(&mut b, "#files-count"), format!("{with} filer"));
    let first = b.eval("document.querySelector('#files tbody tr td.path').title");
    assert!(
        first.as_str().unwrap().ends_with("kurs/2019/deltakere.csv"),
        "{first}"
    );
    // Sort by size, both ways.
    let sizes = "[...document.querySelectorAll('#files tbody tr')].map(r => Number(r.children[3].title.replace(/[^0-9]/g, '')))";
    b.eval("document.querySelector('#files th[data-col=size]').click()");
    let desc: Vec<u64> = serde_json::from_value(b.eval(sizes)).unwrap();
    b.eval("document.querySelector('#files th[data-col=size]').click()");
    let asc: Vec<u64> = serde_json::from_value(b.eval(sizes)).unwrap();
    assert!(desc.windows(2).all(|w| w[0] >= w[1]), "{desc:?}");
    assert!(asc.windows(2).all(|w| w[0] <= w[1]), "{asc:?}");
    assert_eq!(asc.len() as u64, with);
    assert_ne!(asc, desc);
    // Filter by kind: files with a phone.
    let phones = file_count(&inv, |f| f["counts"]["phone"].as_u64().is_some());
    b.eval("(() => { const s = document.getElementById('f-kind'); s.value = [...s.options].find(o => o.textContent === 'Telefon').value; s.dispatchEvent(new Event('change')); })()");
    assert_eq!(text(&mut b, "#files-count"), format!("{phones} filer"));
    b.eval("(() => { const s = document.getElementById('f-kind'); s.value = '-1'; s.dispatchEvent(new Event('change')); })()");
    // Filter by path.
    b.eval("(() => { const i = document.getElementById('f-path'); i.value = '2020'; i.dispatchEvent(new Event('input')); })()");
    b.wait_for(
        "document.getElementById('files-count').textContent === '1 filer'",
        10,
    );
    // Filter by verdict.
    b.eval("(() => { const i = document.getElementById('f-path'); i.value = ''; i.dispatchEvent(new Event('input')); })()");
    b.wait_for(
        &format!("document.getElementById('files-count').textContent === '{with} filer'"),
        10,
    );
    b.eval("(() => { const s = document.getElementById('f-verdict'); s.value = [...s.options].find(o => o.textContent === 'over tiden').value; s.dispatchEvent(new Event('change')); })()");
    assert_eq!(text(&mut b, "#files-count"), "1 filer");

    // The detail: findings masked, in their own terms; the retention reasoning.
    b.eval("document.querySelector('#files tbody a.file').click()");
    let rows = b.eval("document.querySelectorAll('#findings tbody tr').length");
    assert_eq!(rows, 4);
    let cells = b.eval("[...document.querySelectorAll('#findings tbody tr')].map(r => r.children[2].textContent + ' ' + r.children[3].textContent)");
    let cells = cells.to_string();
    assert!(
        cells.contains("kolonne «Fødselsnummer», rad 1, linje 2 130********"),
        "{cells}"
    );
    let reasoning = text(&mut b, "#retention");
    assert!(
        reasoning.contains("kursdokumentasjon") && reasoning.contains("2024-12-31"),
        "{reasoning}"
    );
    assert!(reasoning.contains("640"), "{reasoning}");
    assert!(
        reasoning.contains("3 funn uten egen dato") && reasoning.contains("endringstiden er brukt"),
        "{reasoning}"
    );
    let body = b
        .eval("document.body.innerText")
        .as_str()
        .unwrap()
        .to_string();
    for raw in [FNR, FNR2, PHONE, EMAIL] {
        assert!(!body.contains(raw), "the page shows {raw}");
    }

    // A decision, set in the page and downloaded.
    b.eval("document.getElementById('d-decision').value = 'delete'");
    b.eval("document.getElementById('d-reviewer').value = 'Kari Revisor'");
    b.eval("document.getElementById('d-note').value = 'Kurset er avsluttet'");
    b.eval("document.getElementById('d-save').click()");
    assert!(text(&mut b, "#d-current").starts_with("slettes"));
    b.eval("document.getElementById('detail-close').click()");
    let decision_cell =
        b.eval("document.querySelector('#files tbody td[data-k=decision]').textContent");
    assert_eq!(decision_cell, "slettes");
    b.eval("document.getElementById('tab-decisions').click()");
    b.eval("document.getElementById('export').click()");
    let file = downloads.join("kartlegg-decisions.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    // The browser may show the file before it has written all of it.
    let read = || serde_json::from_slice::<Value>(&std::fs::read(&file).ok()?).ok();
    let mut exported = read();
    while exported.is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
        exported = read();
    }
    let exported = exported.expect("downloaded whole");
    let rec = harness::file(&inv, "deltakere.csv");
    assert_eq!(exported["schema_version"], "1.0");
    let d = &exported["decisions"][0];
    assert_eq!(d["path"], rec["path"]);
    assert_eq!(d["decision"], "delete");
    assert_eq!(d["reviewer"], "Kari Revisor");
    assert_eq!(d["note"], "Kurset er avsluttet");
    assert_eq!(d["size"], rec["size"]);
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(d["modified"].as_str().unwrap()).unwrap(),
        chrono::DateTime::parse_from_rfc3339(rec["modified"].as_str().unwrap()).unwrap()
    );
    crate::decisions::assert_valid_decisions(&exported);
    // The next scan reads the downloaded file.
    let next = harness::scan(
        &[tree.path()],
        &[
            "--hash-key-file",
            key.to_str().unwrap(),
            "--decisions",
            file.to_str().unwrap(),
        ],
    );
    let again = next.file("deltakere.csv");
    assert_eq!(again["decision"]["decision"], "delete");
    assert!(again.get("decision_stale").is_none(), "{again}");

    // Nothing was asked of any network: only the page itself (and the download's blob).
    let reqs = b.requests();
    let page_url = format!("file://{}", page.canonicalize().unwrap().display());
    for r in &reqs {
        assert!(
            r == &page_url || r.starts_with("blob:") || r.starts_with("data:"),
            "the page asked for {r}"
        );
    }
    assert_eq!(
        b.eval("performance.getEntriesByType('resource').length"),
        0,
        "no resource loaded"
    );

    // The screenshot for the README: the file table, most findings first.
    b.eval("document.getElementById('tab-files').click()");
    b.eval("(() => { const s = document.getElementById('f-verdict'); s.value = '-1'; s.dispatchEvent(new Event('change')); })()");
    b.eval("document.querySelector('#files th[data-col=findings]').click()");
    let png = b.screenshot();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let target = harness::repo_path("target/report.png");
    std::fs::write(&target, &png).unwrap();
    if std::env::var_os("KARTLEGG_UPDATE_SCREENSHOT").is_some() {
        std::fs::write(harness::repo_path("docs/report.png"), &png).unwrap();
    }
}

#[test]
fn english_with_lang_en() {
    let tree = share();
    let work = tempfile::tempdir().unwrap();
    let inv = work.path().join("inv.jsonl");
    let s = harness::scan(&[tree.path()], &[]);
    // As JSON Lines this time.
    let mut lines = vec![
        json!({"record": "scan", "schema_version": s.inv["schema_version"],
        "tool": s.inv["tool"], "scan": s.inv["scan"]}),
    ];
    for f in s.files() {
        let mut f = f.clone();
        f["record"] = "file".into();
        lines.push(f);
    }
    let mut sum = s.inv["summary"].clone();
    sum["record"] = "summary".into();
    lines.push(sum);
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&inv, text).unwrap();
    let page = work.path().join("report.html");
    report(&inv, &page, &["--lang", "en"]);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("<title>Personal data inventory</title>"));
    let mut b = Browser::launch();
    b.open(&page);
    assert_eq!(
        b.eval("document.getElementById('tab-unscanned').textContent"),
        "Not scanned"
    );
    b.eval("document.getElementById('tab-unscanned').click()");
    let unscanned = file_count(&s.inv, |f| f["status"] != "scanned");
    assert_eq!(
        b.eval("document.getElementById('unscanned-count').textContent"),
        format!("{unscanned} files")
    );
    let ledger = b
        .eval("document.getElementById('unscanned').innerText")
        .to_string();
    assert!(
        ledger.contains("media") && ledger.contains("ødelagt.pdf"),
        "{ledger}"
    );
}

/// `inv` as JSON Lines, with or without its summary line (as an interrupted scan leaves it).
fn jsonl(inv: &Value, summary: bool) -> String {
    let mut lines = vec![
        json!({"record": "scan", "schema_version": inv["schema_version"],
        "tool": inv["tool"], "scan": inv["scan"]}),
    ];
    for f in inv["files"].as_array().unwrap() {
        let mut f = f.clone();
        f["record"] = "file".into();
        lines.push(f);
    }
    if summary {
        let mut sum = inv["summary"].clone();
        sum["record"] = "summary".into();
        lines.push(sum);
    }
    lines.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn an_interrupted_inventory_is_reported_from_standard_input_with_computed_totals() {
    let tree = share();
    let work = tempfile::tempdir().unwrap();
    let s = harness::scan(&[tree.path()], &[]);
    let csv = work.path().join("r.xlsx");
    let o = kartlegg()
        .args(["report", "-", "-o"])
        .arg(&csv)
        .write_stdin(jsonl(&s.inv, false))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("has no summary"));
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let mut x: Xlsx<_> = open_workbook(&csv).unwrap();
    let over = x.worksheet_range("Oversikt").unwrap();
    let row = |name: &str| {
        over.rows()
            .find(|r| r[0] == Data::String(name.into()))
            .unwrap()[1]
            .clone()
    };
    assert_eq!(
        row("Filer sett"),
        Data::Float(s.inv["summary"]["files_seen"].as_f64().unwrap())
    );
    assert_eq!(
        row("Funn"),
        Data::Float(s.inv["summary"]["findings"].as_f64().unwrap())
    );
}

/// Python's csv module, the way a script would read the file.
fn python_csv(path: &Path) -> Vec<Vec<String>> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(
            "import csv, json, sys\n\
             raw = open(sys.argv[1], 'rb').read()\n\
             assert raw.startswith(b'\\xef\\xbb\\xbf'), 'no BOM'\n\
             with open(sys.argv[1], newline='', encoding='utf-8-sig') as f:\n\
             \x20   print(json.dumps(list(csv.reader(f, delimiter=';'))))\n",
        )
        .arg(path)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn csv_opens_in_pythons_csv_module() {
    let tree = share();
    let work = tempfile::tempdir().unwrap();
    let inv_path = work.path().join("inv.json");
    let inv = inventory(tree.path(), &inv_path, &[]);
    let files = work.path().join("filer.csv");
    report(&inv_path, &files, &[]);
    let rows = python_csv(&files);
    let head = &rows[0];
    assert_eq!(head[0], "Sti");
    assert_eq!(
        rows.len() - 1,
        inv["files"].as_array().unwrap().len(),
        "a row per file"
    );
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let kurs = rows
        .iter()
        .find(|r| r[0].ends_with("deltakere.csv"))
        .unwrap();
    assert_eq!(kurs[col("Fødselsnummer")], "2");
    assert_eq!(kurs[col("Telefon")], "2");
    assert_eq!(kurs[col("Funn")], "4");
    assert_eq!(kurs[col("Sikkerhet")], "high");
    let pdf = rows.iter().find(|r| r[0].ends_with("ødelagt.pdf")).unwrap();
    assert_eq!(pdf[col("Status")], "error");
    let findings = work.path().join("funn.csv");
    report(&inv_path, &findings, &["--findings", "--lang", "en"]);
    let rows = python_csv(&findings);
    assert_eq!(rows[0][..4], ["Path", "Kind", "Confidence", "Location"]);
    assert_eq!(
        rows.len() - 1,
        inv["summary"]["findings"].as_u64().unwrap() as usize
    );
    let phone = rows.iter().find(|r| r[1] == "phone").unwrap();
    assert_eq!(phone[4], "'+47********", "a masked phone is not a formula");
    assert!(
        !rows[0].contains(&"Value".to_string()),
        "no value column without --reveal"
    );
}

/// The workbook's parts, by name.
fn xlsx_part(path: &Path, name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

/// A path longer than a cell holds (32,767 characters: a tree thousands of levels deep) is
/// cut and marked in the workbook; it stopped the whole workbook before.
#[test]
fn a_path_longer_than_a_cell_is_cut_in_the_workbook() {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let tree = share();
    let work = tempfile::tempdir().unwrap();
    let inv_path = work.path().join("inv.json");
    let mut inv = inventory(tree.path(), &inv_path, &[]);
    let long = format!("/{}/", "å".repeat(40_000));
    let files = inv["files"].as_array_mut().unwrap();
    let last = files.last_mut().unwrap();
    let path = last["path"].as_str().unwrap().replacen('/', &long, 1);
    last["path"] = path.into();
    std::fs::write(&inv_path, serde_json::to_vec(&inv).unwrap()).unwrap();
    let book = work.path().join("rapport.xlsx");
    report(&inv_path, &book, &[]);
    let mut x: Xlsx<_> = open_workbook(&book).unwrap();
    let files = x.worksheet_range("Filer").unwrap();
    let cut = files
        .rows()
        .filter_map(|r| match &r[0] {
            Data::String(p) if p.starts_with("/åå") => Some(p.clone()),
            _ => None,
        })
        .next()
        .expect("the long path's row");
    assert_eq!(cut.chars().count(), 32_767);
    assert!(cut.ends_with(" …"));
}

#[test]
fn xlsx_has_five_sheets_with_typed_cells() {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let tree = share();
    let work = tempfile::tempdir().unwrap();
    let inv_path = work.path().join("inv.json");
    let inv = with_retention(inventory(tree.path(), &inv_path, &[]));
    std::fs::write(&inv_path, serde_json::to_vec(&inv).unwrap()).unwrap();
    let book = work.path().join("rapport.xlsx");
    report(&inv_path, &book, &[]);
    let mut x: Xlsx<_> = open_workbook(&book).unwrap();
    assert_eq!(
        x.sheet_names(),
        ["Oversikt", "Filer", "Funn", "Mapper", "Ikke skannet"]
    );
    let files = x.worksheet_range("Filer").unwrap();
    let head: Vec<String> = files
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    assert_eq!(files.height() - 1, inv["files"].as_array().unwrap().len());
    let kurs = files
        .rows()
        .find(|r| r[0].to_string().ends_with("deltakere.csv"))
        .unwrap();
    assert!(
        matches!(kurs[col("Størrelse")], Data::Float(f) if f > 0.0),
        "{:?}",
        kurs[col("Størrelse")]
    );
    assert!(
        matches!(kurs[col("Endret")], Data::DateTime(_)),
        "{:?}",
        kurs[col("Endret")]
    );
    assert_eq!(kurs[col("Fødselsnummer")], Data::Float(2.0));
    assert_eq!(kurs[col("Lagringstid")], Data::String("overdue".into()));
    assert_eq!(kurs[col("Dager over")], Data::Float(640.0));
    assert!(matches!(kurs[col("Beholdes til")], Data::DateTime(_)));
    let funn = x.worksheet_range("Funn").unwrap();
    assert_eq!(
        funn.height() - 1,
        inv["summary"]["findings"].as_u64().unwrap() as usize
    );
    let folders = x.worksheet_range("Mapper").unwrap();
    let kurs_dir = folders
        .rows()
        .find(|r| r[0].to_string().ends_with("/kurs"))
        .unwrap();
    assert_eq!(kurs_dir[3], Data::Float(6.0), "findings under kurs");
    let heads = folders.rows().next().unwrap();
    assert_eq!(
        heads[4],
        Data::String("Filer over tiden".into()),
        "a count of files"
    );
    let un = x.worksheet_range("Ikke skannet").unwrap();
    assert_eq!(
        un.height() - 1,
        file_count(&inv, |f| f["status"] != "scanned")
    );
    let over = x.worksheet_range("Oversikt").unwrap();
    let seen = over
        .rows()
        .find(|r| r[0] == Data::String("Filer sett".into()))
        .unwrap();
    assert_eq!(
        seen[1],
        Data::Float(inv["summary"]["files_seen"].as_f64().unwrap())
    );
    // Frozen header rows and autofilters, in the sheets' XML.
    for sheet in 1..=5 {
        let xml = xlsx_part(&book, &format!("xl/worksheets/sheet{sheet}.xml"));
        assert!(
            xml.contains("state=\"frozen\""),
            "sheet {sheet} has no frozen header"
        );
        assert!(
            xml.contains("<autoFilter"),
            "sheet {sheet} has no autofilter"
        );
    }
}

/// Every report of `inv`, as text (the workbook's XML parts joined).
fn all_reports(inv: &Path, dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, extra) in [
        ("r.html", vec![]),
        ("r.csv", vec![]),
        ("f.csv", vec!["--findings"]),
        ("r.xlsx", vec![]),
    ] {
        let p = dir.join(name);
        report(inv, &p, &extra);
        let text = if name.ends_with(".xlsx") {
            let mut z = zip::ZipArchive::new(std::fs::File::open(&p).unwrap()).unwrap();
            let mut all = String::new();
            for i in 0..z.len() {
                z.by_index(i).unwrap().read_to_string(&mut all).unwrap();
            }
            all
        } else {
            std::fs::read_to_string(&p).unwrap()
        };
        out.push((name.to_string(), text));
    }
    out
}

#[test]
fn values_appear_only_when_the_inventory_held_them() {
    let tree = share();
    let work = tempfile::tempdir().unwrap();
    let masked = work.path().join("masked.json");
    let revealed = work.path().join("revealed.json");
    inventory(tree.path(), &masked, &[]);
    inventory(tree.path(), &revealed, &["--reveal"]);
    let raw = [FNR, FNR2, "+4741234567", EMAIL];
    for (name, text) in all_reports(&masked, work.path()) {
        for v in raw {
            assert!(
                !text.contains(v),
                "{name} shows {v} from a masked inventory"
            );
        }
    }
    for (name, text) in all_reports(&revealed, work.path()) {
        if name == "r.csv" {
            continue; // one row per file: no values at all
        }
        for v in raw {
            assert!(text.contains(v), "{name} lacks {v} that the inventory held");
        }
    }
}

/// An inventory without its summary (an interrupted scan) is reported with totals made from
/// its records: the same as its summary's where the records list every finding.
#[test]
fn totals_of_an_inventory_without_a_summary_are_made_from_its_records() {
    use calamine::{open_workbook, Reader, Xlsx};
    let tree = share();
    let work = tempfile::tempdir().unwrap();
    let (full, cut) = jsonl_with_and_without_summary(tree.path(), work.path());
    let overview = |inv: &Path, name: &str| -> Vec<Vec<String>> {
        let book = work.path().join(name);
        report(inv, &book, &[]);
        let mut x: Xlsx<_> = open_workbook(&book).unwrap();
        let sheet = x.worksheet_range("Oversikt").unwrap();
        sheet
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    };
    let (a, b) = (overview(&full, "a.xlsx"), overview(&cut, "b.xlsx"));
    let rows = |v: &[Vec<String>], label: &str| -> Vec<Vec<String>> {
        v.iter().filter(|r| r[0] == label).cloned().collect()
    };
    // By kind with their distinct values, by confidence, synthetic.
    for label in [
        "E-post",
        "Fødselsnummer",
        "Telefon",
        "høy",
        "Syntetiske testnumre",
    ] {
        assert!(!rows(&a, label).is_empty(), "{label}: {a:?}");
        assert_eq!(rows(&a, label), rows(&b, label), "{label}: {a:?}\n{b:?}");
    }
}

/// A policy is named by its id, even one that is a verdict's name (`keep`); files under no
/// policy are named by their verdict, translated.
#[test]
fn policies_are_named_by_their_ids_and_no_policy_by_its_verdict() {
    use calamine::{open_workbook, Reader, Xlsx};
    let tree = share();
    let work = tempfile::tempdir().unwrap();
    let inv_path = work.path().join("inv.json");
    let mut inv = inventory(tree.path(), &inv_path, &[]);
    for f in inv["files"].as_array_mut().unwrap() {
        let path = f["path"].as_str().unwrap().to_string();
        if path.ends_with("deltakere.csv") {
            f["retention"] = json!({"policy": "keep", "from": "path", "date": "2019-12-31",
                "keep_until": "2024-12-31", "verdict": "overdue", "overdue_days": 640});
        } else if path.ends_with("liste.txt") {
            f["retention"] = json!({"verdict": "no_policy"});
        }
    }
    harness::assert_valid(&inv);
    std::fs::write(&inv_path, serde_json::to_vec(&inv).unwrap()).unwrap();
    let book = work.path().join("r.xlsx");
    report(&inv_path, &book, &[]);
    let mut x: Xlsx<_> = open_workbook(&book).unwrap();
    let over = x.worksheet_range("Oversikt").unwrap();
    let labels: Vec<String> = over.rows().map(|r| r[0].to_string()).collect();
    assert!(labels.iter().any(|l| l == "keep"), "{labels:?}");
    assert!(
        labels.iter().any(|l| l == "ingen retningslinje"),
        "{labels:?}"
    );
    assert!(!labels.iter().any(|l| l == "no_policy"), "{labels:?}");
    // And the page, in a browser.
    let page = work.path().join("r.html");
    report(&inv_path, &page, &[]);
    let mut b = Browser::launch();
    b.open(&page);
    let cells = b.eval(
        "[...document.querySelectorAll('table tr td:first-child')].map(td => td.textContent)",
    );
    let cells: Vec<String> = serde_json::from_value(cells).unwrap();
    assert!(cells.iter().any(|c| c == "keep"), "{cells:?}");
    assert!(
        cells.iter().any(|c| c == "ingen retningslinje"),
        "{cells:?}"
    );
}

/// A report named as its inventory would replace it: refused, the inventory kept.
#[test]
fn a_report_onto_its_inventory_is_refused() {
    let tree = share();
    let work = tempfile::tempdir().unwrap();
    let inv = work.path().join("inv.csv");
    inventory(tree.path(), &inv, &[]);
    let before = std::fs::read(&inv).unwrap();
    let o = kartlegg()
        .arg("report")
        .arg(&inv)
        .arg("-o")
        .arg(work.path().join(".").join("inv.csv"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("would be written onto its inventory"), "{err}");
    assert_eq!(std::fs::read(&inv).unwrap(), before);
}

/// A report that fails part way (an inventory cut inside its list of files) leaves nothing
/// at its name or beside it.
#[test]
fn a_report_that_fails_leaves_nothing_behind() {
    let tree = share();
    let work = tempfile::tempdir().unwrap();
    let whole = work.path().join("inv.json");
    kartlegg()
        .args(["scan", "--no-progress", "-o"])
        .arg(&whole)
        .arg(tree.path())
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&whole).unwrap();
    let cut = work.path().join("cut.json");
    std::fs::write(&cut, text.lines().take(2).collect::<Vec<_>>().join("\n")).unwrap();
    for name in ["r.csv", "r.html", "r.xlsx"] {
        let o = kartlegg()
            .arg("report")
            .arg(&cut)
            .arg("-o")
            .arg(work.path().join(name))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{name}");
        assert!(!work.path().join(name).exists(), "{name}");
        assert!(
            !work.path().join(format!("{name}.partial")).exists(),
            "{name}"
        );
    }
}

#[test]
fn bad_arguments_are_refused_clearly() {
    let work = tempfile::tempdir().unwrap();
    let inv = work.path().join("inv.json");
    std::fs::write(&inv, "not json").unwrap();
    let o = kartlegg()
        .args(["report"])
        .arg(&inv)
        .args(["-o"])
        .arg(work.path().join("r.pdf"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--format html, csv or xlsx"));
    let o = kartlegg()
        .args(["report"])
        .arg(&inv)
        .args(["-o"])
        .arg(work.path().join("r.html"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("cannot read the inventory"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!work.path().join("r.html").exists(), "no half report left");
}
