//! The one harness: run the binary, read its JSON inventory (always validated against
//! `schema/inventory.schema.json`), and find records and findings in it.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use serde_json::Value;

/// The binary, with no key or CI variables inherited from the environment.
pub fn kartlegg() -> Command {
    let mut c = Command::cargo_bin("kartlegg").unwrap();
    c.env_remove("KARTLEGG_HASH_KEY")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("KARTLEGG_SHARD");
    c
}

/// A path in the repository (fixtures, schemas).
pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A fixture under `tests/fixtures`.
pub fn fixture(rel: &str) -> PathBuf {
    repo_path("tests/fixtures").join(rel)
}

/// A finished scan: exit code, the inventory, and what went to stderr.
pub struct Scan {
    pub code: i32,
    pub inv: Value,
    pub stderr: String,
}

impl Scan {
    /// The record whose path ends with `suffix`.
    pub fn file(&self, suffix: &str) -> &Value {
        file(&self.inv, suffix)
    }

    /// The records, in the inventory's order.
    pub fn files(&self) -> &Vec<Value> {
        self.inv["files"].as_array().unwrap()
    }
}

/// `kartlegg scan --format json --no-progress EXTRA... PATHS...`; the inventory is checked
/// against the schema. A scan that wrote no inventory panics with its stderr.
pub fn scan(paths: &[&Path], extra: &[&str]) -> Scan {
    let out = kartlegg()
        .args(["scan", "--format", "json", "--no-progress"])
        .args(extra)
        .args(paths)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().unwrap_or(-1);
    let inv: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON inventory (exit {code}, {e}): {stderr}\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert_valid(&inv);
    Scan { code, inv, stderr }
}

/// The inventory schema; for a JSONL line, the schema of `$defs/jsonl_line` in it.
fn compile(line: bool) -> jsonschema::JSONSchema {
    let text = fs::read_to_string(repo_path("schema/inventory.schema.json")).unwrap();
    let mut s: Value = serde_json::from_str(&text).unwrap();
    if line {
        s["$ref"] = Value::from("#/$defs/jsonl_line");
        let o = s.as_object_mut().unwrap();
        for k in ["required", "properties", "additionalProperties", "type"] {
            o.remove(k);
        }
    }
    jsonschema::JSONSchema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .compile(&s)
        .expect("the schema compiles")
}

/// Checks a JSON inventory against the published schema.
pub fn assert_valid(doc: &Value) {
    static SCHEMA: OnceLock<jsonschema::JSONSchema> = OnceLock::new();
    check(SCHEMA.get_or_init(|| compile(false)), doc);
}

/// Checks one line of a JSONL inventory against the published schema.
pub fn assert_valid_line(line: &Value) {
    static SCHEMA: OnceLock<jsonschema::JSONSchema> = OnceLock::new();
    check(SCHEMA.get_or_init(|| compile(true)), line);
}

fn check(schema: &jsonschema::JSONSchema, doc: &Value) {
    if let Err(errors) = schema.validate(doc) {
        let msgs: Vec<String> = errors
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        panic!("schema violations:\n{}", msgs.join("\n"));
    }
}

/// The record whose path ends with `suffix`.
pub fn file<'a>(inv: &'a Value, suffix: &str) -> &'a Value {
    let files = inv["files"].as_array().unwrap();
    files
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| {
            let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
            panic!("no record ending {suffix:?} in {paths:#?}")
        })
}

/// The kinds of a record's findings, in order.
pub fn kinds(rec: &Value) -> Vec<String> {
    rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect()
}

/// (status, reason) of a record; reason is empty when absent.
pub fn status(rec: &Value) -> (&str, &str) {
    (
        rec["status"].as_str().unwrap(),
        rec["reason"].as_str().unwrap_or(""),
    )
}

/// A temporary directory to build a fixture tree in (readable by other users, for the tests
/// that run as `nobody`).
pub struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Tree {
        let dir = tempfile::tempdir().unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        Tree { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `name` (parents created) and returns its path.
    pub fn file(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path().join(name);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&p, bytes).unwrap();
        p
    }
}

/// Writes a zip of `members` (deflated) to `path`.
pub fn write_zip(path: &Path, members: &[(&str, &[u8])]) {
    use std::io::Write;
    let mut z = zip::ZipWriter::new(fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        z.start_file(*name, opts).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap();
}

/// A zip of `members` (deflated), in memory.
pub fn zip_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("z.zip");
    write_zip(&p, members);
    fs::read(p).unwrap()
}

/// Rewrites a zip with `f` applied to each member's bytes.
pub fn rewrite_zip(src: &Path, dst: &Path, f: impl Fn(&str, Vec<u8>) -> Vec<u8>) {
    use std::io::{Read, Write};
    let mut zin = zip::ZipArchive::new(fs::File::open(src).unwrap()).unwrap();
    let mut zout = zip::ZipWriter::new(fs::File::create(dst).unwrap());
    for i in 0..zin.len() {
        let mut m = zin.by_index(i).unwrap();
        let name = m.name().to_string();
        let mut data = Vec::new();
        m.read_to_end(&mut data).unwrap();
        zout.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        zout.write_all(&f(&name, data)).unwrap();
    }
    zout.finish().unwrap();
}

/// The zip at `src` with `members` added, or put in place of those of the same name.
pub fn zip_with(src: &Path, members: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Read;
    let mut zin = zip::ZipArchive::new(fs::File::open(src).unwrap()).unwrap();
    let mut all: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..zin.len() {
        let mut m = zin.by_index(i).unwrap();
        let mut data = Vec::new();
        m.read_to_end(&mut data).unwrap();
        all.push((m.name().to_string(), data));
    }
    all.retain(|(n, _)| !members.iter().any(|(m, _)| m == n));
    all.extend(members.iter().map(|(n, d)| (n.to_string(), d.to_vec())));
    let refs: Vec<(&str, &[u8])> = all
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    zip_bytes(&refs)
}
