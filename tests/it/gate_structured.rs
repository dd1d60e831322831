//! Structured text files in git modes (CSV/TSV, JSON, NDJSON, SQL dumps, XML/HTML, YAML): only
//! what a change adds fails — moving, re-indenting, reformatting or re-dumping adds nothing —
//! and SARIF results carry the line. Numbers are the public vectors of docs/identifiers.md.

use super::gate::{code, stderr, stdout, Repo, REAL, REAL2};

/// The failing lines of a run.
fn failing(o: &std::process::Output) -> Vec<String> {
    stdout(o).lines().map(str::to_string).collect()
}

/// The SARIF results that fail, as (uri, startLine, startColumn).
fn sarif_fails(r: &Repo, args: &[&str]) -> Vec<(String, Option<u64>, Option<u64>)> {
    let mut all = vec!["scan", "--format", "sarif"];
    all.extend(args);
    let o = r.kartlegg(&all);
    let log: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
    let schema = jsonschema::JSONSchema::compile(&super::gate::sarif_schema()).unwrap();
    assert!(schema.is_valid(&log));
    log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["properties"]["verdict"] == "fail")
        .map(|r| {
            let p = &r["locations"][0]["physicalLocation"];
            (
                p["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                p["region"]["startLine"].as_u64(),
                p["region"]["startColumn"].as_u64(),
            )
        })
        .collect()
}

#[test]
fn reindented_and_reformatted_json_adds_nothing() {
    let r = Repo::new();
    let compact = format!(
        "{{\"personer\":[{{\"navn\":\"Ola\",\"fnr\":\"{REAL}\"}},{{\"navn\":\"Kari\",\"fnr\":\"{REAL2}\"}}]}}\n"
    );
    r.stage("test/fixtures/personer.json", &compact);
    r.commit("fixture");
    // Pretty-printed: every line is new, no value is.
    let pretty = format!(
        "{{\n  \"personer\": [\n    {{\n      \"navn\": \"Ola\",\n      \"fnr\": \"{REAL}\"\n    }},\n    {{\n      \"navn\": \"Kari\",\n      \"fnr\": \"{REAL2}\"\n    }}\n  ]\n}}\n"
    );
    r.stage("test/fixtures/personer.json", &pretty);
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    r.commit("pretty");
    // Re-indented with tabs, the two people swapped, the file moved: nothing new.
    let swapped = format!(
        "{{\n\t\"personer\": [\n\t\t{{\n\t\t\t\"navn\": \"Kari\",\n\t\t\t\"fnr\": \"{REAL2}\"\n\t\t}},\n\t\t{{\n\t\t\t\"navn\": \"Ola\",\n\t\t\t\"fnr\": \"{REAL}\"\n\t\t}}\n\t]\n}}\n"
    );
    std::fs::create_dir_all(r.path().join("test/data")).unwrap();
    r.git(&[
        "mv",
        "test/fixtures/personer.json",
        "test/data/personer.json",
    ]);
    r.stage("test/data/personer.json", &swapped);
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    // An unrelated edit on the line of an old value re-adds nothing either.
    r.stage(
        "test/data/personer.json",
        swapped.replace("\"navn\": \"Kari\"", "\"navn\": \"Kari Nordmann\""),
    );
    assert_eq!(code(&r.kartlegg(&["scan", "--staged"])), 0);
    r.commit("moved");
    // A third person is new, and only that one fails.
    let third = swapped.replace(
        "\n\t]",
        &format!(",\n\t\t{{\n\t\t\t\"navn\": \"Per\",\n\t\t\t\"fnr\": \"{REAL}\"\n\t\t}}\n\t]"),
    );
    r.stage("test/data/personer.json", &third);
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 1);
    let f = failing(&o);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].starts_with("test/data/personer.json") && f[0].contains("130********"),
        "{f:?}"
    );
}

/// A record over several lines (a quoted CSV field with a line break, an SQL tuple written
/// one value a line) is located at its first line: a number changed on a later line of it
/// is added all the same, and one left as it was is not.
#[test]
fn a_number_changed_inside_a_record_over_several_lines_fails() {
    let r = Repo::new();
    let csv = |fnr: &str| format!("id,notat,fnr\n1,\"kort\",{REAL}\n2,\"lang\nnotat\",{fnr}\n");
    let sql = |fnr: &str| {
        format!("INSERT INTO person (id, navn, fnr) VALUES (1,\n  'Kari',\n  '{fnr}');\n")
    };
    r.stage("data/kunder.csv", csv("15021951940"));
    r.stage("db/seed.sql", sql("15021951940"));
    r.commit("data");
    r.stage("data/kunder.csv", csv(REAL2));
    r.stage("db/seed.sql", sql(REAL2));
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let f = failing(&o);
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(f.iter().all(|l| l.contains("200********")), "{f:?}");
    // Only a line of text around them changed: nothing is added.
    r.commit("changed");
    r.stage(
        "data/kunder.csv",
        format!("id,notat,fnr\n1,\"kort\",{REAL}\n2,\"lengre\nnotat\",{REAL2}\n"),
    );
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

/// A member of an archive has lines of its own, not the archive's: GitHub and SARIF get no
/// line of the archive for it, and SARIF's location names the member and its line.
#[test]
fn a_members_line_is_not_given_as_the_archives() {
    use std::io::Write;
    let r = Repo::new();
    let mut zip = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut zip);
        z.start_file("data/kunder.csv", zip::write::SimpleFileOptions::default())
            .unwrap();
        write!(z, "id;fnr\n1;{REAL}\n").unwrap();
        z.finish().unwrap();
    }
    r.stage("eksport.zip", zip.into_inner());
    let o = r.kartlegg(&["scan", "--staged", "--format", "github"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("::error file=eksport.zip,title="), "{out}");
    let o = r.kartlegg(&["scan", "--staged", "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let loc = &log["runs"][0]["results"][0]["locations"][0];
    assert!(loc["physicalLocation"].get("region").is_none(), "{loc}");
    assert_eq!(
        loc["message"]["text"], "data/kunder.csv: row 1, column fnr, line 2",
        "{loc}"
    );
}

#[test]
fn a_dump_that_rewrites_its_insert_line_adds_only_the_new_row() {
    let r = Repo::new();
    let dump = |rows: &[(u32, &str)]| {
        let values: Vec<String> = rows
            .iter()
            .map(|(id, fnr)| format!("({id},'{fnr}')"))
            .collect();
        format!(
            "-- MySQL dump\nCREATE TABLE `person` (`id` int, `fnr` char(11));\nINSERT INTO `person` VALUES {};\n",
            values.join(",")
        )
    };
    r.stage("db/seed.sql", dump(&[(1, REAL)]));
    r.commit("seed");
    // mysqldump writes every row on one line: adding a row rewrites the line.
    r.stage("db/seed.sql", dump(&[(1, REAL), (2, REAL2)]));
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let f = failing(&o);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].contains("200********"), "{f:?}");
    // Re-dumped in another order, one row per statement: nothing new.
    r.commit("two rows");
    r.stage(
        "db/seed.sql",
        format!(
            "CREATE TABLE person (id int, fnr char(11));\nINSERT INTO person VALUES (2,'{REAL2}');\nINSERT INTO person VALUES (1,'{REAL}');\n"
        ),
    );
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    // The same in a history: each commit reports the row it adds.
    r.commit("re-dumped");
    let o = r.kartlegg(&["scan", "--history"]);
    assert_eq!(code(&o), 1);
    assert_eq!(failing(&o).len(), 2, "{}", stdout(&o));
}

#[test]
fn csv_requoted_and_yaml_reindented_add_nothing_and_new_rows_have_lines() {
    let r = Repo::new();
    r.stage("data/kunder.csv", format!("id;navn;fnr\n1;Ola;{REAL}\n"));
    r.stage(
        "config/testdata.yaml",
        format!("brukere:\n  - navn: Ola\n    fnr: \"{REAL}\"\n"),
    );
    r.commit("data");
    r.stage(
        "data/kunder.csv",
        format!("\"id\";\"navn\";\"fnr\"\n\"1\";\"Ola\";\"{REAL}\"\n"),
    );
    r.stage(
        "config/testdata.yaml",
        format!("brukere:\n    -   navn: Ola\n        fnr: \"{REAL}\"\n"),
    );
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    r.stage(
        "data/kunder.csv",
        format!("\"id\";\"navn\";\"fnr\"\n\"1\";\"Ola\";\"{REAL}\"\n\"2\";\"Kari\";\"{REAL2}\"\n"),
    );
    r.stage(
        "config/testdata.yaml",
        format!(
            "brukere:\n    -   navn: Ola\n        fnr: \"{REAL}\"\n    -   navn: Kari\n        fnr: \"{REAL2}\"\n"
        ),
    );
    r.stage(
        "data/events.ndjson",
        format!("{{\"type\":\"start\"}}\n{{\"fnr\":\"{REAL2}\"}}\n"),
    );
    r.stage(
        "web/person.xml",
        format!("<personer>\n  <person>\n    <fnr>{REAL2}</fnr>\n  </person>\n</personer>\n"),
    );
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 1);
    let mut fails = sarif_fails(&r, &["--staged"]);
    fails.sort();
    let lines: Vec<(&str, Option<u64>)> = fails.iter().map(|(u, l, _)| (u.as_str(), *l)).collect();
    assert_eq!(
        lines,
        [
            ("config/testdata.yaml", Some(5)),
            ("data/events.ndjson", Some(2)),
            ("data/kunder.csv", Some(3)),
            ("web/person.xml", Some(3)),
        ],
        "{fails:?}"
    );
    // Where the reader knows the character column, so does the region.
    let yaml = fails
        .iter()
        .find(|f| f.0 == "config/testdata.yaml")
        .unwrap();
    assert_eq!(yaml.2, Some(15));
}

#[test]
fn lines_inside_an_email_are_not_lines_of_the_file() {
    let r = Repo::new();
    let mail = |body: &str| {
        format!("From: a@example.invalid\nTo: b@example.invalid\nSubject: liste\n\n{body}\n")
    };
    r.stage("mail/melding.eml", mail(&format!("Fødselsnummer: {REAL}")));
    r.commit("mail");
    // The body's line 1 is the file's line 5: adding a line at the top of the file does
    // not make the old value new, and SARIF gives no file region for a line of a part.
    r.stage(
        "mail/melding.eml",
        format!(
            "Received: by x\n{}",
            mail(&format!("Fødselsnummer: {REAL}\nTelefon: 92345678"))
        ),
    );
    let o = r.kartlegg(&["scan", "--staged", "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty(), "{}", stderr(&o));
    for res in results {
        let loc = &res["locations"][0];
        assert!(loc["physicalLocation"]["region"].is_null(), "{res}");
        assert!(
            loc["message"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("part body, line")),
            "{res}"
        );
    }
}
