//! `PATH[:LINE]`: one finding (a path and the line of the file it is on), or every finding in a
//! file, an archive's members or a directory — what `kartlegg baseline add` is given, and
//! what the gate's advice prints for a blocked developer to paste.
//!
//! Paths are repository paths as the gate prints them, so they are compared in that form:
//! masked (a value in a file name is never printed raw, so a pasted path is the masked one,
//! and a raw one typed by hand is masked before it is compared).

use super::{file_line, Hit};

/// A finding by path and line, or everything under a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// Repository-relative, `/`-separated; empty for the whole repository.
    pub path: String,
    pub line: Option<u64>,
}

impl Target {
    /// `tests/a.json:14`, `tests/a.json`, `tests/`, `.` (a leading `./` is dropped).
    pub(crate) fn parse(s: &str) -> Target {
        let (path, line) = match s.rsplit_once(':') {
            Some((p, n))
                if !p.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) =>
            {
                (p, n.parse().ok())
            }
            _ => (s, None),
        };
        let mut path = path.trim_start_matches("./").trim_end_matches('/');
        if path == "." {
            path = "";
        }
        Target {
            path: path.to_string(),
            line,
        }
    }

    /// The target of one hit: its path and its line of the file, or the path alone when the
    /// finding is not on a line of the file (a cell, a page, a part of a document).
    pub(crate) fn of(hit: &Hit) -> Target {
        Target {
            path: hit.path.clone(),
            line: file_line(&hit.finding.location),
        }
    }

    /// Whether a file (or a member `file!/...`) at `path` is under this target.
    pub(crate) fn covers_path(&self, path: &str) -> bool {
        let rest = path.strip_prefix(self.path.as_str());
        self.path.is_empty()
            || rest.is_some_and(|r| r.is_empty() || r.starts_with('/') || r.starts_with("!/"))
    }

    /// Whether the file at `path` must be scanned to find this target: it is under it, or
    /// the target is one of its members (`a.zip!/b.csv:3`).
    pub(crate) fn needs_file(&self, path: &str) -> bool {
        self.covers_path(path)
            || self
                .path
                .strip_prefix(path)
                .is_some_and(|r| r.starts_with("!/"))
    }

    /// Whether a hit is this target.
    pub(crate) fn covers(&self, hit: &Hit) -> bool {
        match self.line {
            Some(line) => hit.path == self.path && file_line(&hit.finding.location) == Some(line),
            None => self.covers_path(&hit.path),
        }
    }

    /// The target as an argument for a shell.
    pub(crate) fn shell_arg(&self) -> String {
        let s = match self.line {
            Some(l) => format!("{}:{l}", self.path),
            None if self.path.is_empty() => ".".to_string(),
            None => self.path.clone(),
        };
        shell_quote(&s)
    }
}

/// `s` as one word for a POSIX shell: as it is when that is safe, else in single quotes; a
/// control character (a newline in a file name) as `$'\xHH'` (bash, zsh, dash), so that
/// the advice stays on its lines: under GitHub Actions a line of stderr that starts with
/// `::` is a workflow command.
pub(crate) fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-:+@=,".contains(&b));
    if safe {
        return s.to_string();
    }
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\'' => out.push_str(r"'\''"),
            c if c.is_control() => {
                let mut buf = [0; 4];
                out.push('\'');
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("$'\\x{b:02x}'"));
                }
                out.push('\'');
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_paths_and_lines() {
        let t = Target::parse("tests/a.json:14");
        assert_eq!((t.path.as_str(), t.line), ("tests/a.json", Some(14)));
        let t = Target::parse("./tests/dir/");
        assert_eq!((t.path.as_str(), t.line), ("tests/dir", None));
        assert_eq!(Target::parse(".").path, "");
        // A colon that is not followed by a line number is part of the name.
        assert_eq!(Target::parse("a:b.txt").path, "a:b.txt");
        assert_eq!(Target::parse("a.txt:").path, "a.txt:");
    }

    #[test]
    fn a_path_covers_its_files_and_members_only() {
        let dir = Target::parse("tests/data");
        assert!(dir.covers_path("tests/data/a.csv"));
        assert!(dir.covers_path("tests/data"));
        assert!(!dir.covers_path("tests/data2/a.csv"));
        let zip = Target::parse("a.zip");
        assert!(zip.covers_path("a.zip!/b.csv"));
        assert!(!zip.covers_path("a.zip.bak"));
        assert!(Target::parse(".").covers_path("anything"));
        let member = Target::parse("a.zip!/b.csv:3");
        assert!(member.needs_file("a.zip") && !member.covers_path("a.zip"));
        assert!(!member.needs_file("a.zi"));
    }

    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(shell_quote("tests/a.json:14"), "tests/a.json:14");
        assert_eq!(shell_quote("my file.csv:3"), "'my file.csv:3'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        // A newline stays out of the printed line, and bash reads the word back whole.
        let q = shell_quote("x\n::warning a.txt:1");
        assert_eq!(q, r"'x'$'\x0a''::warning a.txt:1'");
        let back = std::process::Command::new("bash")
            .args(["-c", &format!("printf %s {q}")])
            .output()
            .unwrap();
        assert_eq!(back.stdout, b"x\n::warning a.txt:1");
        assert_eq!(
            Target {
                path: String::new(),
                line: None
            }
            .shell_arg(),
            "."
        );
    }
}
