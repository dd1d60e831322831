//! Paths relative to the scan root, and the gitignore-style globs policies match them with.
//!
//! A pattern is read as in `.gitignore`: one without a `/` (but a trailing one) matches a
//! name at any depth (`*.log`, `kurs`); one with a `/` is anchored at the root (`kurs/**`,
//! `/arkiv`); a pattern that matches a folder matches everything under it; `!` before a
//! pattern takes back what earlier patterns matched (the last pattern that matches decides).
//! `*` and `?` stay within a name, `**` crosses folders. A member of a container is matched by
//! its whole path, `kurs/arkiv.zip!/2019/liste.xlsx`.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// The globs a pattern becomes: the pattern itself, and everything under what it matches.
fn globs(pattern: &str) -> Vec<String> {
    let p = pattern.strip_suffix('/').unwrap_or(pattern);
    let p = match p.strip_prefix('/') {
        Some(anchored) => anchored.to_string(),
        None if p.contains('/') => p.to_string(),
        None => format!("**/{p}"),
    };
    vec![p.clone(), format!("{p}/**")]
}

fn build(glob: &str) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(glob)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
}

/// Checks a pattern as a policy file gives it.
pub(crate) fn check(pattern: &str) -> Result<(), String> {
    let body = pattern.strip_prefix('!').unwrap_or(pattern);
    if body.is_empty() || body == "/" {
        return Err(format!("bad glob {pattern:?}: empty pattern"));
    }
    for g in globs(body) {
        build(&g).map_err(|e| format!("bad glob {pattern:?}: {}", e.kind()))?;
    }
    Ok(())
}

/// A policy's `paths`, compiled.
#[derive(Debug, Clone)]
pub(crate) struct Paths {
    set: GlobSet,
    /// Per pattern: whether it takes back (`!`).
    negated: Vec<bool>,
}

impl Paths {
    /// Compiles patterns that [`check`] accepted.
    pub(crate) fn new(patterns: &[String]) -> Paths {
        let mut b = GlobSetBuilder::new();
        let mut negated = Vec::new();
        for p in patterns {
            let (neg, body) = match p.strip_prefix('!') {
                Some(b) => (true, b),
                None => (false, p.as_str()),
            };
            for g in globs(body) {
                // Checked when the policy file was read; a pattern that no longer builds
                // matches nothing rather than everything.
                if let Ok(g) = build(&g) {
                    b.add(g);
                    negated.push(neg);
                }
            }
        }
        Paths {
            set: b.build().unwrap_or_else(|_| GlobSet::empty()),
            negated,
        }
    }

    /// Whether `rel` (relative to the scan root) is matched. No patterns: every path is;
    /// only `!` patterns: every path they do not take back.
    pub(crate) fn matches(&self, rel: &str) -> bool {
        if self.negated.is_empty() {
            return true;
        }
        match self.set.matches(rel).last() {
            Some(&i) => !self.negated[i],
            None => self.negated.iter().all(|&n| n),
        }
    }
}

/// `path` (as records write it) relative to the root it was found under: the longest root
/// that is a whole-component prefix of it. A root that is the file itself gives its name.
pub(crate) fn relative<'p>(roots: &[String], path: &'p str) -> &'p str {
    let mut best: Option<&'p str> = None;
    for root in roots {
        let Some(rest) = path.strip_prefix(root.as_str()) else {
            continue;
        };
        let rel = if root.ends_with('/') {
            rest
        } else if let Some(r) = rest.strip_prefix('/') {
            r
        } else if rest.is_empty() || rest.starts_with("!/") {
            // The root is this file (or the container this member is in).
            let name_at = root.rfind('/').map_or(0, |i| i + 1);
            &path[name_at..]
        } else {
            continue;
        };
        if best.is_none_or(|b| rel.len() < b.len()) {
            best = Some(rel);
        }
    }
    best.unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(patterns: &[&str], rel: &str) -> bool {
        Paths::new(&patterns.iter().map(|s| s.to_string()).collect::<Vec<_>>()).matches(rel)
    }

    #[test]
    fn gitignore_style() {
        assert!(m(&["kurs/**"], "kurs/2019/a.pdf"));
        assert!(!m(&["kurs/**"], "arkiv/kurs/a.pdf"), "anchored");
        assert!(m(&["kurs"], "arkiv/kurs/a.pdf"), "a bare name at any depth");
        assert!(m(&["kurs/"], "arkiv/kurs/a.pdf"));
        assert!(m(&["/kurs"], "kurs/a.pdf"));
        assert!(!m(&["/kurs"], "x/kurs/a.pdf"));
        assert!(m(&["**/*deltaker*"], "a/b/deltakerliste.xlsx"));
        assert!(m(&["*deltaker*"], "a/b/deltakerliste.xlsx"));
        assert!(
            m(&["*deltaker*"], "deltakere/liste.xlsx"),
            "a matching folder"
        );
        assert!(!m(&["*.log"], "a/b.log.gz"));
        assert!(m(&["*.log"], "var/x.log"));
        assert!(!m(&["kurs/*.pdf"], "kurs/2019/a.pdf"), "* stays in a name");
        assert!(m(&["kurs/**/*.pdf"], "kurs/2019/a.pdf"));
        assert!(
            m(&["*.txt"], "kurs/a.zip!/b/c.txt"),
            "members by their whole path"
        );
        assert!(m(&["kurs/**"], "kurs/a.zip!/b/c.txt"));
        assert!(m(&[], "anything"));
        assert!(!m(&["kurs/**", "!kurs/maler/**"], "kurs/maler/a.docx"));
        assert!(m(&["kurs/**", "!kurs/maler/**"], "kurs/b.docx"));
        assert!(m(&["!*.tmp"], "a.txt"));
        assert!(!m(&["!*.tmp"], "a.tmp"));
    }

    #[test]
    fn bad_globs_are_refused() {
        assert!(check("kurs/[a").is_err());
        assert!(check("").is_err());
        assert!(check("!").is_err());
        assert!(check("kurs/{a,b}/**").is_ok());
    }

    #[test]
    fn relative_to_the_root_found_under() {
        let roots: Vec<String> = ["/srv/share", "data/", ".", "/srv/share/kurs/one.pdf"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(relative(&roots, "/srv/share/kurs/a.pdf"), "kurs/a.pdf");
        assert_eq!(relative(&roots, "data/x/y.csv"), "x/y.csv");
        assert_eq!(relative(&roots, "./z.txt"), "z.txt");
        assert_eq!(relative(&roots, "/srv/shared/a.txt"), "/srv/shared/a.txt");
        assert_eq!(
            relative(&roots, "/srv/share/kurs/one.pdf"),
            "one.pdf",
            "the longest root"
        );
        assert_eq!(
            relative(&roots[3..], "/srv/share/kurs/one.pdf!/b.txt"),
            "one.pdf!/b.txt"
        );
        assert_eq!(relative(&roots, "/srv/share/a.zip!/b.txt"), "a.zip!/b.txt");
    }
}
