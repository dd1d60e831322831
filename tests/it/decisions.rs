//! Decisions that survive the next scan: the decisions file, `scan --decisions`, and the
//! summary's counts, over two scans of a changing tree.

use serde_json::Value;

use crate::harness;

/// Checks a decisions file against `schema/decisions.schema.json`.
pub fn assert_valid_decisions(doc: &Value) {
    let text = std::fs::read_to_string(harness::repo_path("schema/decisions.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let s = jsonschema::JSONSchema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .compile(&schema)
        .expect("the decisions schema compiles");
    if let Err(errors) = s.validate(doc) {
        let msgs: Vec<String> = errors
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        panic!("decisions schema violations:\n{}", msgs.join("\n"));
    };
}
