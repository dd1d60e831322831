//! SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning, GitLab, Azure DevOps).
//!
//! One rule per detector rule, with its description; one result per finding. Failing findings
//! are `error`, findings that do not fail the policy are `note`, and findings suppressed by an
//! inline comment or the baseline carry a `suppressions` entry, so dashboards close them
//! instead of losing track. `partialFingerprints` come from the path and the value's keyed
//! fingerprint, never the line, so a result keeps its identity when lines move; they are
//! stable across runs when the key is (the baseline's key). Messages show masks only.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::lines;
use super::{Hit, Verdict};
use crate::detect::Detector;

pub(crate) const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The whole SARIF log for one gate run.
pub(crate) fn log(det: &Detector, hits: &[Hit]) -> Value {
    let mut rule_index: BTreeMap<&str, usize> = BTreeMap::new();
    let rules: Vec<Value> = det
        .rules()
        .enumerate()
        .map(|(i, r)| {
            rule_index.insert(r.id.as_str(), i);
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": { "text": r.description },
                "fullDescription": { "text": format!("{}: personal data that should not be committed.", r.description) },
                "help": { "text": format!("Remove the value from the file, or, if it is reviewed and acceptable (a public test vector, say), record an exception with `kartlegg baseline add`. {}", lines::advice()) },
                "defaultConfiguration": { "level": "error" },
                "properties": { "tags": ["privacy", "personal-data"] },
            })
        })
        .collect();
    let results: Vec<Value> = hits.iter().map(|h| result(h, &rule_index)).collect();
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "kartlegg",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

fn result(h: &Hit, rule_index: &BTreeMap<&str, usize>) -> Value {
    let f = &h.finding;
    let level = match h.verdict {
        Verdict::Fail | Verdict::InlineAllow | Verdict::Baseline => "error",
        Verdict::BelowThreshold | Verdict::Synthetic => "note",
    };
    let mut text = format!("{}: {}", lines::place(h), lines::what(h));
    text.push_str(match h.verdict {
        Verdict::Fail => " — ",
        Verdict::BelowThreshold => " (below the --fail-on level) — ",
        Verdict::Synthetic => " (a synthetic test number) — ",
        Verdict::InlineAllow | Verdict::Baseline => " (suppressed) — ",
    });
    text.push_str(&lines::advice());
    let mut physical =
        json!({ "artifactLocation": { "uri": uri(&h.file), "uriBaseId": "%SRCROOT%" } });
    // A region is a place in the file itself; lines inside a document part or an e-mail
    // are said in the location's message.
    if let Some(line) = h.file_line() {
        let mut region = json!({ "startLine": line });
        if let Some(c) = super::char_column(&f.location) {
            region["startColumn"] = json!(c);
        }
        physical["region"] = region;
    }
    let mut r = json!({
        "ruleId": f.rule,
        "level": level,
        "message": { "text": text },
        "locations": [{ "physicalLocation": physical }],
        "partialFingerprints": { "kartleggValue/v1": partial_fingerprint(h) },
        "properties": {
            "kind": f.kind,
            "confidence": f.confidence.as_str(),
            "masked": f.masked,
            "synthetic": f.synthetic,
            "verdict": h.verdict.as_str(),
            "path": h.path,
        },
    });
    if let Some(&i) = rule_index.get(f.rule) {
        r["ruleIndex"] = json!(i);
    }
    let mut inner = lines::inner_place(&f.location);
    if let (None, Some(n)) = (h.file_line(), f.location.line) {
        inner = Some(match inner {
            Some(i) => format!("{i}, line {n}"),
            None => format!("line {n}"),
        });
    }
    if let Some(m) = h.member() {
        inner = Some(match inner {
            Some(i) => format!("{m}: {i}"),
            None => m.to_string(),
        });
    }
    if let Some(inner) = inner {
        r["locations"][0]["message"] = json!({ "text": inner });
    }
    if let Some(c) = &h.commit {
        r["properties"]["commit"] = json!(c);
    }
    match h.verdict {
        Verdict::InlineAllow => {
            r["suppressions"] =
                json!([{ "kind": "inSource", "justification": "kartlegg:allow comment" }])
        }
        Verdict::Baseline => {
            r["suppressions"] = json!([{ "kind": "external", "justification": "reviewed exception in .kartlegg-baseline.json" }])
        }
        _ => {}
    }
    r
}

/// SHA-256 of the path and the value's keyed fingerprint: no line, no raw value.
fn partial_fingerprint(h: &Hit) -> String {
    let mut d = Sha256::new();
    d.update(h.path.as_bytes());
    d.update([0]);
    d.update(h.finding.fingerprint.as_bytes());
    hex::encode(&d.finalize()[..16])
}

/// A relative URI reference for a repository path (percent-encoding what URIs do not allow).
fn uri(path: &str) -> String {
    let mut s = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

pub(crate) fn write(out: &mut dyn Write, det: &Detector, hits: &[Hit]) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(det, hits))?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(
            uri("tests/data/kunder liste.csv"),
            "tests/data/kunder%20liste.csv"
        );
        assert_eq!(uri("blåbær.txt"), "bl%C3%A5b%C3%A6r.txt");
    }
}
