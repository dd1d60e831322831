//! The blocked developer's way out: the advice printed with the exact command, `baseline add`
//! with a single finding (`PATH:LINE`), a file, a member or a directory, the reviewer from git,
//! and a baseline file that is not committed pointed out.

use std::io::Write;

use super::gate::{assert_no_raw, code, kartlegg_in, stderr, stdout, Repo, REAL, REAL2, SYNTHETIC};

/// The kartlegg binary with no global or system git configuration (no user.email).
fn isolated(r: &Repo, args: &[&str]) -> std::process::Output {
    kartlegg_in(
        r.path(),
        args,
        &[
            ("GIT_CONFIG_GLOBAL", "/dev/null"),
            ("GIT_CONFIG_NOSYSTEM", "1"),
        ],
    )
}

/// `kartlegg baseline add --staged --baseline FILE TARGET --reason WHY`, reviewer `K`.
fn add_to_baseline(r: &Repo, file: &str, target: &str, why: &str) -> std::process::Output {
    r.kartlegg(&[
        "baseline",
        "add",
        "--staged",
        "--baseline",
        file,
        target,
        "--reviewer",
        "K",
        "--reason",
        why,
    ])
}

fn baseline(r: &Repo) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(r.path().join(".kartlegg-baseline.json")).unwrap())
        .unwrap()
}

#[test]
fn the_advice_names_three_ways_out_and_the_exact_command() {
    let r = Repo::new();
    r.stage("k.csv", format!("navn,fnr\nOla,{REAL}\nKari,{REAL2}\n"));
    r.stage("my data.txt", format!("fnr {REAL}\n"));
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 1);
    let err = stderr(&o);
    assert!(err.contains("3 finding(s) fail. Three ways out"), "{err}");
    assert!(err.contains("1. remove the value"), "{err}");
    assert!(err.contains("2. or allow it where it is, in a comment on its line or the line above: kartlegg:allow <why>"), "{err}");
    assert!(
        err.contains("kartlegg baseline add --staged k.csv:2 k.csv:3 'my data.txt:1' --reason \"<why it is acceptable>\"\n     and commit .kartlegg-baseline.json with your change."),
        "{err}"
    );
    assert_no_raw(&o, &[REAL, REAL2]);
    // A range scan says its range, so the command records what CI saw.
    let base = r.commit("numbers");
    r.stage("more.txt", format!("fnr {REAL2}\n"));
    let head = r.commit("more");
    let o = r.kartlegg(&["scan", "--diff", &format!("{base}..{head}")]);
    assert!(
        stderr(&o).contains(&format!(
            "kartlegg baseline add --diff {base}..{head} more.txt:1 --reason"
        )),
        "{}",
        stderr(&o)
    );
    // Nothing fails: no advice.
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 0);
    assert!(!stderr(&o).contains("ways out"), "{}", stderr(&o));
}

/// Two entries for one value (baselines put together by hand): an expired one does not hide
/// one that has not expired, and neither is stale.
#[test]
fn of_two_entries_for_a_value_the_one_not_expired_counts() {
    let r = Repo::new();
    r.stage("a.txt", format!("fnr {REAL}\n"));
    let o = r.kartlegg(&[
        "baseline",
        "add",
        "--staged",
        "a.txt:1",
        "--reviewer",
        "K",
        "--reason",
        "r",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut b = baseline(&r);
    let mut expired = b["entries"][0].clone();
    expired["expires"] = "2020-01-01".into();
    b["entries"] = serde_json::json!([expired, b["entries"][0].clone()]);
    std::fs::write(
        r.path().join(".kartlegg-baseline.json"),
        serde_json::to_vec_pretty(&b).unwrap(),
    )
    .unwrap();
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("passed: 1 baseline"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("stale"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("expired"), "{}", stderr(&o));
}

/// A file name with a newline cannot start a line of output of its own: under GitHub
/// Actions a line that starts with `::` is a workflow command (a warning, a mask...).
#[test]
fn a_file_name_cannot_write_workflow_commands() {
    let r = Repo::new();
    let name = "x\n::warning file=README.md::injected\n.txt";
    r.stage(name, format!("fnr {REAL}\n"));
    let o = kartlegg_in(
        r.path(),
        &["scan", "--staged"],
        &[("GITHUB_ACTIONS", "true")],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    for line in stdout(&o).lines().chain(stderr(&o).lines()) {
        assert!(
            !line.trim_start().starts_with("::") || line.starts_with("::error "),
            "{line:?}"
        );
    }
    assert!(!stderr(&o).contains("\n::warning"), "{}", stderr(&o));
}

/// The command printed carries the options that decide what fails and which baseline: pasted
/// as it is, it records the exception the run needs (without them it was refused, "nothing
/// fails", or wrote another baseline).
#[test]
fn the_printed_command_carries_the_runs_options_and_works_pasted() {
    let r = Repo::new();
    // The team's baseline, elsewhere than the default, with an exception already.
    r.stage("a.txt", format!("fnr {REAL}\n"));
    let o = add_to_baseline(&r, "ci/unntak.json", "a.txt:1", "r");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    r.stage("test/data.txt", format!("fnr {SYNTHETIC}\n"));
    let run = [
        "scan",
        "--staged",
        "--fail-on-synthetic",
        "--baseline",
        "ci/unntak.json",
    ];
    let o = r.kartlegg(&run);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let err = stderr(&o);
    let line = err
        .lines()
        .find(|l| l.trim_start().starts_with("kartlegg baseline add"))
        .unwrap_or_else(|| panic!("{err}"))
        .trim();
    assert!(
        line.starts_with("kartlegg baseline add --staged --fail-on-synthetic --baseline ci/unntak.json test/data.txt:1"),
        "{line}"
    );
    let bin = assert_cmd::cargo::cargo_bin("kartlegg");
    let pasted = line
        .replacen("kartlegg", &bin.display().to_string(), 1)
        .replace("<why it is acceptable>", "a synthetic number on purpose");
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{pasted} --reviewer K"))
        .current_dir(r.path())
        .env_remove("KARTLEGG_HASH_KEY")
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    r.git(&["add", "ci/unntak.json"]);
    assert_eq!(code(&r.kartlegg(&run)), 0);
}

#[test]
fn baseline_add_takes_one_finding_by_path_and_line() {
    let r = Repo::new();
    r.git(&["config", "user.email", "dev@example.invalid"]);
    r.stage("k.csv", format!("navn,fnr\nOla,{REAL}\nKari,{REAL2}\n"));
    r.stage("other.txt", format!("fnr {REAL}\n"));
    let o = isolated(
        &r,
        &[
            "baseline",
            "add",
            "--staged",
            "k.csv:3",
            "--reason",
            "public test vector",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("1 exception(s) recorded"),
        "{}",
        stderr(&o)
    );
    let b = baseline(&r);
    assert_eq!(b["entries"].as_array().unwrap().len(), 1);
    assert_eq!(b["entries"][0]["path"], "k.csv");
    // The reviewer is git's user.email.
    assert_eq!(b["entries"][0]["reviewer"], "dev@example.invalid");
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(
        out.contains("k.csv:2:") && out.contains("other.txt:1:") && !out.contains("k.csv:3:"),
        "{out}"
    );
    // The untracked baseline is pointed out, when it lets something pass.
    assert!(
        stderr(&o).contains(".kartlegg-baseline.json is not committed: commit it (git add .kartlegg-baseline.json), or CI will fail"),
        "{}",
        stderr(&o)
    );

    // A line where nothing fails is refused, with what fails in that file.
    let o = r.kartlegg(&[
        "baseline",
        "add",
        "--staged",
        "k.csv:9",
        "--reason",
        "r",
        "--reviewer",
        "K",
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("nothing fails at k.csv:9 in what --staged scans")
            && stderr(&o).contains("failing there: k.csv:2"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        baseline(&r)["entries"].as_array().unwrap().len(),
        1,
        "nothing recorded"
    );
}

#[test]
fn baseline_add_takes_files_members_and_directories() {
    let r = Repo::new();
    let mut zip = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut zip);
        z.start_file("liste.csv", zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(format!("navn,fnr\nOla,{REAL}\nKari,{REAL2}\n").as_bytes())
            .unwrap();
        z.finish().unwrap();
    }
    r.stage("export/arkiv.zip", zip.into_inner());
    r.stage("tests/a.txt", format!("fnr {REAL}\n"));
    r.stage("tests/deep/b.txt", format!("fnr {REAL2}\n"));
    r.stage("src/c.txt", format!("fnr {REAL}\n"));
    let add = |targets: &[&str]| {
        let mut a = vec![
            "baseline",
            "add",
            "--staged",
            "--reviewer",
            "K",
            "--reason",
            "r",
        ];
        a.extend(targets);
        let o = r.kartlegg(&a);
        assert_eq!(code(&o), 0, "{targets:?}: {}", stderr(&o));
    };
    add(&["export/arkiv.zip!/liste.csv:3", "tests/"]);
    let o = r.kartlegg(&["scan", "--staged"]);
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(
        out.contains("export/arkiv.zip!/liste.csv:2:") && out.contains("src/c.txt:1:"),
        "{out}"
    );
    // A whole archive, by its path.
    add(&["export/arkiv.zip"]);
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));

    // The repository itself, named from elsewhere, as before: everything that fails.
    let elsewhere = tempfile::tempdir().unwrap();
    let o = kartlegg_in(
        elsewhere.path(),
        &[
            "baseline",
            "add",
            r.path().to_str().unwrap(),
            "--staged",
            "--reviewer",
            "K",
            "--reason",
            "r",
        ],
        &[],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(code(&r.kartlegg(&["scan", "--staged"])), 0);
}

#[test]
fn reviewer_is_needed_when_git_has_no_user_email() {
    let r = Repo::new();
    r.stage("a.txt", format!("fnr {REAL}\n"));
    let o = isolated(&r, &["baseline", "add", "--staged", "--reason", "r"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("give --reviewer NAME"),
        "{}",
        stderr(&o)
    );
}

/// `baseline add --baseline FILE` starts FILE when it does not exist yet, as it starts the
/// default one; the scan with the same `--baseline` then passes, and one without it fails.
#[test]
fn baseline_add_starts_the_baseline_it_is_given() {
    let r = Repo::new();
    r.stage("a.txt", format!("fnr {REAL}\n"));
    let o = add_to_baseline(&r, "ci/unntak.json", "a.txt:1", "r");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(r.path().join("ci/unntak.json").exists());
    assert!(!r.path().join(".kartlegg-baseline.json").exists());
    let o = r.kartlegg(&["scan", "--staged", "--baseline", "ci/unntak.json"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(code(&r.kartlegg(&["scan", "--staged"])), 1);
    // A reason with a value in it would put the value in the committed baseline.
    let o = add_to_baseline(
        &r,
        "ci/unntak.json",
        "a.txt:1",
        &format!("testperson {REAL}"),
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the baseline holds no raw values"),
        "{}",
        stderr(&o)
    );
    assert_no_raw(&o, &[REAL]);
    assert!(!std::fs::read_to_string(r.path().join("ci/unntak.json"))
        .unwrap()
        .contains(REAL));
    // A scan given a baseline that does not exist is still an error.
    let o = r.kartlegg(&["scan", "--staged", "--baseline", "ci/ingen.json"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}

#[test]
fn a_baseline_that_ci_will_not_see_is_pointed_out() {
    let r = Repo::new();
    r.stage("a.txt", format!("fnr {REAL}\n"));
    r.commit("number");
    let o = r.kartlegg(&["baseline", "add", "--reviewer", "K", "--reason", "r"]);
    assert!(
        stderr(&o).contains(
            "is not committed: commit it (git add .kartlegg-baseline.json), or CI will fail"
        ),
        "{}",
        stderr(&o)
    );
    r.git(&["add", ".kartlegg-baseline.json"]);
    // Staged is what the next commit holds: fine for --staged, not yet for CI.
    let o = r.kartlegg(&["scan", "--staged"]);
    assert!(!stderr(&o).contains("CI will fail"), "{}", stderr(&o));
    let o = r.kartlegg(&["scan", "--tracked"]);
    assert_eq!(code(&o), 0);
    assert!(
        stderr(&o).contains(".kartlegg-baseline.json is staged but not committed"),
        "{}",
        stderr(&o)
    );
    r.commit("baseline");
    // Changed again and not staged: the commit would not carry it.
    r.stage("b.txt", format!("fnr {REAL2}\n"));
    let o = r.kartlegg(&[
        "baseline",
        "add",
        "--staged",
        "b.txt:1",
        "--reviewer",
        "K",
        "--reason",
        "r",
    ]);
    assert!(
        stderr(&o).contains("has changes that are not staged: stage and commit them"),
        "{}",
        stderr(&o)
    );
    let o = r.kartlegg(&["scan", "--staged"]);
    assert_eq!(code(&o), 0);
    assert!(stderr(&o).contains("not staged"), "{}", stderr(&o));
    r.git(&["add", ".kartlegg-baseline.json"]);
    let o = r.kartlegg(&["scan", "--staged"]);
    assert!(!stderr(&o).contains("CI will fail"), "{}", stderr(&o));
}
