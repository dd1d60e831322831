//! `deploy/kubernetes/`: the manifests validate against the Kubernetes API schemas (offline,
//! with `kubernetes-validate` from PyPI, which `.ci/run` installs), and the jobs' own commands,
//! run here as N processes, give the inventory a single scan gives.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::harness::{assert_valid, repo_path, scan};
use crate::state::{comparable, settle};

/// Kubernetes versions the manifests must be valid for: the oldest with per-index retries of
/// Indexed Jobs on by default (1.30), and the newest the validator knows.
const VERSIONS: [&str; 2] = ["1.30.0", "1.37.0"];

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// `kubernetes-validate`: on PATH, or in the virtual environment `.ci/run` makes.
fn validator() -> PathBuf {
    on_path("kubernetes-validate")
        .or_else(|| Some(repo_path("target/ci-venv/bin/kubernetes-validate")).filter(|p| p.is_file()))
        .expect("kubernetes-validate (PyPI) is installed: run .ci/run, or pip install kubernetes-validate")
}

fn manifests() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo_path("deploy/kubernetes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

/// Runs the validator on `files`: (passed, what it said).
fn validate(files: &[PathBuf], version: &str) -> (bool, String) {
    let out = Command::new(validator())
        .args(["--strict", "-k", version])
        .args(files)
        .output()
        .unwrap();
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), said)
}

#[test]
fn the_manifests_validate_against_the_kubernetes_schemas() {
    let files = manifests();
    assert!(files.len() >= 5, "{files:?}");
    for v in VERSIONS {
        let (ok, said) = validate(&files, v);
        assert!(ok, "Kubernetes {v}:\n{said}");
        for f in &files {
            let name = f.file_name().unwrap().to_str().unwrap();
            assert!(
                said.contains(&format!("{name} passed")),
                "{name} was checked: {said}"
            );
        }
    }
    // The validator does reject a wrong manifest (a misspelt field of the Job).
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    let text = std::fs::read_to_string(repo_path("deploy/kubernetes/scan-job.yaml")).unwrap();
    std::fs::write(&bad, text.replace("completionMode:", "completionsMode:")).unwrap();
    let (ok, said) = validate(&[bad], VERSIONS[0]);
    assert!(!ok && said.contains("completionsMode"), "{said}");
}

/// The documents of a YAML file, through the validator's own Python (it has PyYAML).
fn yaml(path: &Path) -> Vec<Value> {
    let tool = std::fs::read_to_string(validator()).unwrap();
    let python = tool
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("#!"))
        .map(|p| p.trim().to_string())
        .filter(|p| Path::new(p).is_file())
        .unwrap_or_else(|| "python3".into());
    let out = Command::new(python)
        .args([
            "-c",
            "import json, sys, yaml; json.dump(list(yaml.safe_load_all(open(sys.argv[1]))), sys.stdout)",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn job(name: &str) -> Value {
    let docs = yaml(&repo_path("deploy/kubernetes").join(name));
    docs.into_iter()
        .find(|d| d["kind"] == "Job")
        .expect("a Job")
}

/// A job's container, its environment (secrets as `secret:NAME/KEY`) and its mounts.
struct Container {
    command: Vec<String>,
    env: BTreeMap<String, String>,
    mounts: BTreeMap<String, Value>,
}

fn container(job: &Value) -> Container {
    let c = &job["spec"]["template"]["spec"]["containers"][0];
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    let mut command = strings(&c["command"]);
    command.extend(strings(&c["args"]));
    let env = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let value = match e["value"].as_str() {
                Some(v) => v.to_string(),
                None => {
                    let s = &e["valueFrom"]["secretKeyRef"];
                    format!(
                        "secret:{}/{}",
                        s["name"].as_str().unwrap(),
                        s["key"].as_str().unwrap()
                    )
                }
            };
            (e["name"].as_str().unwrap().to_string(), value)
        })
        .collect();
    let mounts = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["name"].as_str().unwrap().to_string(), m.clone()))
        .collect();
    Container {
        command,
        env,
        mounts,
    }
}

/// Starts a job's command here: the share and the work volume are local directories, the
/// key secret is `key`, `kartlegg` is this build.
fn start(
    c: &Container,
    share: &Path,
    work: &Path,
    key: &str,
    index: Option<u64>,
) -> std::process::Child {
    let bin = assert_cmd::cargo::cargo_bin("kartlegg");
    let mut path = vec![bin.parent().unwrap().to_path_buf()];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let mut cmd = Command::new(&c.command[0]);
    cmd.args(&c.command[1..])
        .env("PATH", std::env::join_paths(path).unwrap())
        .env_remove("KARTLEGG_SHARD")
        .env_remove("KARTLEGG_HASH_KEY");
    for (k, v) in &c.env {
        let v = match k.as_str() {
            "SHARE" => share.to_str().unwrap().to_string(),
            "WORK" => work.to_str().unwrap().to_string(),
            _ if v == "secret:kartlegg-key/key" => key.to_string(),
            _ => v.clone(),
        };
        cmd.env(k, v);
    }
    if let Some(i) = index {
        // What the Indexed Job controller sets in each pod.
        cmd.env("JOB_COMPLETION_INDEX", i.to_string());
    }
    cmd.stderr(std::process::Stdio::piped()).spawn().unwrap()
}

fn succeeds(child: std::process::Child) {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_jobs_commands_run_as_n_processes_give_one_scans_inventory() {
    let scan_job = job("scan-job.yaml");
    let merge_job = job("merge-job.yaml");
    let spec = &scan_job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    let n = spec["completions"].as_u64().unwrap();
    assert_eq!(
        spec["parallelism"].as_u64(),
        Some(n),
        "one pod per shard, all at once"
    );
    let scanner = container(&scan_job);
    let merger = container(&merge_job);
    // The settings the two jobs and the volumes must agree on.
    assert_eq!(scanner.env["SHARDS"], n.to_string());
    assert_eq!(scanner.env["KARTLEGG_AS_OF"], merger.env["KARTLEGG_AS_OF"]);
    assert_eq!(scanner.env["KARTLEGG_HASH_KEY"], "secret:kartlegg-key/key");
    let share = &scanner.mounts["share"];
    assert_eq!(share["readOnly"], true, "the share is mounted read-only");
    assert_eq!(
        share["mountPath"].as_str(),
        Some(scanner.env["SHARE"].as_str())
    );
    let volumes = spec["template"]["spec"]["volumes"].as_array().unwrap();
    let claim = volumes.iter().find(|v| v["name"] == "share").unwrap();
    assert_eq!(claim["persistentVolumeClaim"]["readOnly"], true);
    for c in [&scanner, &merger] {
        assert_eq!(
            c.mounts["work"]["mountPath"].as_str(),
            Some(c.env["WORK"].as_str())
        );
    }

    let tree = crate::shards::tree(40);
    settle();
    let work = tempfile::tempdir().unwrap();
    let key = "a key from the kartlegg-key secret";
    let as_of = &scanner.env["KARTLEGG_AS_OF"];
    let merged = work.path().join(format!("out/{as_of}/inventory.json"));
    let key_file = work.path().join("key");
    std::fs::write(&key_file, key).unwrap();
    let single = scan(
        &[tree.path()],
        &[
            "--hash-key-file",
            key_file.to_str().unwrap(),
            "--as-of",
            as_of,
        ],
    );
    for round in 0..2 {
        let pods: Vec<_> = (0..n)
            .map(|i| start(&scanner, tree.path(), work.path(), key, Some(i)))
            .collect();
        pods.into_iter().for_each(succeeds);
        succeeds(start(&merger, tree.path(), work.path(), key, None));
        let inv: Value = serde_json::from_slice(&std::fs::read(&merged).unwrap()).unwrap();
        assert_valid(&inv);
        assert_eq!(comparable(&inv), comparable(&single.inv), "round {round}");
        // 40 text files and an archive on disk: read by the first run, reused by the next.
        let incremental = &inv["summary"]["incremental"];
        let expected = if round == 0 {
            ("read", 41)
        } else {
            ("reused", 41)
        };
        assert_eq!(
            incremental[expected.0], expected.1,
            "round {round}: {incremental}"
        );
    }
}
