//! Database dumps, SQLite files and structured text through the CLI: findings located by
//! table, column and row (or JSON path), and the per-column summary. Fixtures and how they
//! were made: tests/fixtures/dumps/README.md.

use serde_json::Value;

use crate::harness::fixture;

/// Scans one fixture of `tests/fixtures/dumps` at the given minimum confidence; returns its
/// record.
fn scan(name: &str, min: &str) -> Value {
    let s = crate::harness::scan(
        &[&fixture(&format!("dumps/{name}"))],
        &["--min-confidence", min],
    );
    assert_eq!(s.code, 1, "personal data found: {}", s.stderr);
    assert_eq!(s.files().len(), 1);
    s.files()[0].clone()
}

/// The findings of a record whose location has these fields.
fn at<'a>(rec: &'a Value, loc: &Value) -> Vec<&'a Value> {
    rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            loc.as_object()
                .unwrap()
                .iter()
                .all(|(k, v)| f["location"][k] == *v)
        })
        .collect()
}

fn column<'a>(rec: &'a Value, name: &str) -> &'a Value {
    rec["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"] == name)
        .unwrap_or_else(|| panic!("no summary for column {name}: {}", rec["columns"]))
}

/// Every dialect of the same table gives the same findings at the same places.
fn check_deltakere(file: &str, table: &str) {
    let rec = scan(file, "low");
    assert_eq!(rec["status"], "scanned", "{file}: {rec}");
    let loc = |col: &str, row: u64| serde_json::json!({"table": table, "column": col, "row": row});

    let f = at(&rec, &loc("fnr", 1));
    assert_eq!(
        (f.len(), &f[0]["kind"], &f[0]["confidence"]),
        (1, &"fodselsnummer".into(), &"high".into()),
        "{file}"
    );
    assert_eq!(at(&rec, &loc("fnr", 7))[0]["kind"], "d_nummer", "{file}");
    assert_eq!(at(&rec, &loc("fnr", 30))[0]["kind"], "fh_nummer", "{file}");

    // A 10-digit integer in an identity column gets its leading zero back.
    let p = at(&rec, &loc("personnummer", 1));
    assert_eq!(p[0]["recovered_leading_zero"], true, "{file}");
    assert_eq!(p[0]["masked"], "038********", "{file}");

    assert_eq!(at(&rec, &loc("mobil", 2))[0]["kind"], "phone", "{file}");
    assert_eq!(at(&rec, &loc("epost", 3))[0]["kind"], "email", "{file}");
    // O'Brien's note: a phone inside free text, after a doubled quote.
    assert_eq!(at(&rec, &loc("notat", 1))[0]["kind"], "phone", "{file}");

    // Row 18's id validates by chance among 29 ids that do not: never high, not even medium.
    let chance = at(&rec, &loc("nummer", 18));
    assert!(
        !chance.is_empty() && chance.iter().all(|f| f["confidence"] == "low"),
        "{file}: {chance:?}"
    );

    let fnr = column(&rec, "fnr");
    assert_eq!(
        (
            fnr["values"].as_u64(),
            fnr["matched"].as_u64(),
            fnr["share"].as_f64()
        ),
        (Some(30), Some(30), Some(1.0))
    );
    assert_eq!(fnr["distinct"]["fodselsnummer"], 6, "{file}");
    assert_eq!(fnr["counts"]["d_nummer"], 6, "{file}");
    assert_eq!(fnr["table"], table, "{file}");
    assert_eq!(
        column(&rec, "epost")["values"],
        3,
        "NULLs are not values ({file})"
    );
}

#[test]
fn pg_dump_plain_copy_blocks() {
    check_deltakere("pg_plain.sql", "public.deltakere");
}

#[test]
fn pg_dump_inserts() {
    check_deltakere("pg_inserts.sql", "public.deltakere");
}

#[test]
fn pg_dump_column_inserts() {
    check_deltakere("pg_column_inserts.sql", "public.deltakere");
}

#[test]
fn sqlite3_dump() {
    check_deltakere("sqlite_dump.sql", "deltakere");
}

#[test]
fn sqlite_database_file() {
    check_deltakere("personer.sqlite", "deltakere");
    assert_eq!(scan("personer.sqlite", "medium")["type"], "sqlite");
}

#[test]
fn mysqldump_extended_inserts() {
    check_deltakere("mysql.sql", "deltakere");
}

#[test]
fn mysqldump_hex_and_binary_literals() {
    for file in ["mysql_hex.sql", "mysql_binary.sql"] {
        let rec = scan(file, "medium");
        let loc = |col: &str| serde_json::json!({"table": "vedlegg", "column": col, "row": 1});
        assert_eq!(at(&rec, &loc("innhold"))[0]["kind"], "phone", "{file}");
        assert_eq!(at(&rec, &loc("kode"))[0]["kind"], "fodselsnummer", "{file}");
    }
}

#[test]
fn csv_with_quotes_and_newlines_in_fields() {
    let rec = scan("deltakere.csv", "medium");
    assert_eq!(rec["type"], "csv");
    let loc = |col: &str, row: u64| serde_json::json!({"column": col, "row": row});
    assert_eq!(at(&rec, &loc("Mobil", 1))[0]["kind"], "phone");
    assert_eq!(
        at(&rec, &loc("Fødselsnummer", 1))[0]["kind"],
        "fodselsnummer"
    );
    // The note spans two lines inside quotes and is still row 1 of column Notat.
    assert_eq!(at(&rec, &loc("Notat", 1))[0]["kind"], "phone");
    // Row 2's name has doubled quotes; its phone is still in column Mobil.
    assert_eq!(at(&rec, &loc("Mobil", 2))[0]["kind"], "phone");
    // Each record also says the line it starts on (row 2 starts on line 4, after the header
    // and row 1's two lines), for the CI gate's added-lines check.
    assert_eq!(at(&rec, &loc("Mobil", 2))[0]["location"]["line"], 4);
    assert_eq!(at(&rec, &loc("Notat", 1))[0]["location"]["line"], 2);
    assert_eq!(column(&rec, "Mobil")["values"], 2);
}

#[test]
fn tsv_recovers_leading_zero_under_an_identity_header() {
    // Low: the address is at a reserved name (`.invalid`).
    let rec = scan("deltakere.tsv", "low");
    assert_eq!(rec["type"], "tsv");
    let f = at(&rec, &serde_json::json!({"column": "fnr", "row": 1}));
    assert_eq!(f[0]["recovered_leading_zero"], true);
    assert_eq!(
        at(&rec, &serde_json::json!({"column": "epost", "row": 1}))[0]["kind"],
        "email"
    );
}

#[test]
fn json_paths() {
    // Low: the address is at a reserved name (`.invalid`).
    let rec = scan("deltakere.json", "low");
    assert_eq!(rec["type"], "json");
    let path = |p: &str| serde_json::json!({"json_path": p});
    assert_eq!(
        at(&rec, &path("$.deltakere[1].telefon"))[0]["kind"],
        "phone"
    );
    assert_eq!(
        at(&rec, &path("$.deltakere[3]['e-post']"))[0]["kind"],
        "email"
    );
    let f = at(&rec, &path("$.deltakere[2].fodselsnummer"));
    assert_eq!(
        (&f[0]["kind"], &f[0]["recovered_leading_zero"]),
        (&"fodselsnummer".into(), &true.into())
    );
}

#[test]
fn ndjson_rows_and_paths() {
    let rec = scan("hendelser.ndjson", "medium");
    assert_eq!(rec["type"], "ndjson");
    assert_eq!(
        at(&rec, &serde_json::json!({"row": 2, "json_path": "$.fnr"}))[0]["kind"],
        "fodselsnummer"
    );
    assert_eq!(
        at(
            &rec,
            &serde_json::json!({"row": 1, "json_path": "$.kontakt.mobil"})
        )[0]["kind"],
        "phone"
    );
    // A line that is not JSON is scanned as text, located by its row.
    let bad = at(&rec, &serde_json::json!({"row": 3}));
    assert_eq!((bad.len(), &bad[0]["kind"]), (1, &"phone".into()));
}

#[test]
fn reports_never_carry_raw_values() {
    for file in [
        "pg_plain.sql",
        "personer.sqlite",
        "deltakere.csv",
        "deltakere.json",
    ] {
        let rec = scan(file, "low").to_string();
        for raw in [
            "13097248022",
            "3851598730",
            "40300040",
            "testperson1@epost.invalid",
        ] {
            assert!(!rec.contains(raw), "{file} leaks {raw}");
        }
    }
}

#[test]
fn gzipped_dump_is_parsed_from_the_stream() {
    let s = crate::harness::scan(&[&fixture("dumps/mysql.sql.gz")], &[]);
    let member = s.file("mysql.sql.gz!/mysql.sql");
    assert_eq!(member["type"], "sql");
    let f = at(
        member,
        &serde_json::json!({"table": "deltakere", "column": "fnr", "row": 1}),
    );
    assert_eq!(f[0]["kind"], "fodselsnummer");
    assert_eq!(column(member, "fnr")["values"], 30);
}
