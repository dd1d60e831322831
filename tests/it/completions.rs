//! The command line, finished: completion scripts that the shells load and complete with, and
//! manual pages that `man -l` renders without a warning.

use std::process::Command;

use crate::harness::kartlegg;

fn script(shell: &str) -> String {
    let o = kartlegg().args(["completions", shell]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// Runs `shell ARGS...` (the shells are installed by .ci/run); its stdout.
fn run(shell: &str, args: &[&str]) -> String {
    let o = Command::new(shell)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{shell}: {e} (apt-get install {shell}; .ci/run does)"));
    assert!(
        o.status.success(),
        "{shell} {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn bash_completes_subcommands_and_options() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("kartlegg.bash");
    std::fs::write(&f, script("bash")).unwrap();
    let f = f.to_str().unwrap();
    run("bash", &["-n", f]);
    let words = |line: &str| {
        run(
            "bash",
            &["-c", &format!(
                "source {f}; COMP_WORDS=({line}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); _kartlegg kartlegg \"${{COMP_WORDS[-1]}}\" \"${{COMP_WORDS[-2]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\""
            )],
        )
    };
    let subs = words("kartlegg re");
    assert!(subs.lines().any(|l| l == "report"), "{subs}");
    let opts = words("kartlegg report --l");
    assert!(opts.lines().any(|l| l == "--lang"), "{opts}");
    let langs = words("kartlegg report --lang ''");
    assert!(langs.contains("nb") && langs.contains("en"), "{langs}");
}

#[test]
fn zsh_loads_the_completion() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("_kartlegg");
    std::fs::write(&f, script("zsh")).unwrap();
    let f = f.to_str().unwrap();
    run("zsh", &["-n", f]);
    let out = run(
        "zsh",
        &["-f", "-c", &format!("autoload -U compinit && compinit -u -D && source {f} && print -r -- $_comps[kartlegg]")],
    );
    assert_eq!(out.trim(), "_kartlegg");
}

#[test]
fn fish_completes_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("kartlegg.fish");
    std::fs::write(&f, script("fish")).unwrap();
    let f = f.to_str().unwrap();
    run("fish", &["--no-execute", f]);
    let out = run(
        "fish",
        &[
            "--no-config",
            "-c",
            &format!("source {f}; complete -C 'kartlegg lo'"),
        ],
    );
    assert!(out.lines().any(|l| l.starts_with("locate")), "{out}");
    let out = run(
        "fish",
        &[
            "--no-config",
            "-c",
            &format!("source {f}; complete -C 'kartlegg locate --p'"),
        ],
    );
    assert!(out.lines().any(|l| l.starts_with("--phone")), "{out}");
}

#[test]
fn powershell_registers_a_completer_for_every_subcommand() {
    // No PowerShell on Debian: the script is checked for what PowerShell needs.
    let s = script("powershell");
    assert!(s.contains("Register-ArgumentCompleter -Native -CommandName 'kartlegg'"));
    for sub in ["scan", "report", "diff", "locate", "completions", "man"] {
        assert!(s.contains(&format!("'kartlegg;{sub}'")), "{sub}");
    }
}

#[test]
fn man_pages_render_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let o = kartlegg()
        .args(["man", "-o"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success());
    let mut pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "kartlegg-baseline-add.1",
            "kartlegg-baseline-update.1",
            "kartlegg-baseline.1",
            "kartlegg-completions.1",
            "kartlegg-diff.1",
            "kartlegg-install-hook.1",
            "kartlegg-locate.1",
            "kartlegg-man.1",
            "kartlegg-merge.1",
            "kartlegg-report.1",
            "kartlegg-rules.1",
            "kartlegg-scan.1",
            "kartlegg.1",
        ]
    );
    for p in &pages {
        let o = Command::new("man")
            .args(["--warnings", "-l"])
            .arg(dir.path().join(p))
            .env("MANWIDTH", "100")
            .env("MAN_KEEP_FORMATTING", "0")
            .output()
            .expect("man (apt-get install man-db; .ci/run does)");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success() && err.trim().is_empty(), "{p}: {err}");
        let text = plain(&String::from_utf8_lossy(&o.stdout));
        let name = p.trim_end_matches(".1");
        assert!(text.contains("NAME") && text.contains(name), "{p}:\n{text}");
    }
    let scan = std::fs::read_to_string(dir.path().join("kartlegg-scan.1")).unwrap();
    assert!(scan.contains("decisions") && scan.contains("find"));
    // Without -o: one page on standard output.
    let o = kartlegg().args(["man", "locate"]).output().unwrap();
    let page = String::from_utf8(o.stdout).unwrap();
    assert!(
        page.starts_with(".ie") || page.contains(".TH kartlegg-locate"),
        "{page}"
    );
    assert!(!kartlegg()
        .args(["man", "__worker"])
        .output()
        .unwrap()
        .status
        .success());
}

/// Text without the overstrike (`X\x08X` bold, `_\x08X` underline) that man prints to a pipe.
fn plain(s: &str) -> String {
    let mut out: Vec<char> = Vec::new();
    for c in s.chars() {
        if c == '\u{8}' {
            out.pop();
            continue;
        }
        out.push(c);
    }
    out.into_iter().collect()
}
