//! Reading a git repository through the `git` command: the file changes of the index, of a
//! commit range or of every commit, and the blobs they name.
//!
//! The `git` command is used rather than a library because it is what every CI runner and
//! developer already has, it understands every repository layout (worktrees, shallow clones,
//! sha256 object format, alternates) and its plumbing output is stable. Changes are read with
//! `diff --raw -z` (no path quoting, rename detection on), blobs through one long-lived
//! `cat-file --batch` process, so a commit of ten files costs a handful of process starts.
//! A blob that is not in the clone is an answer ([`Blob::Missing`]), not an error: git's lazy
//! fetch is off (a failed one ends the process), and a partial clone's missing blobs are
//! fetched in one request by [`Repo::prefetch`]. A large blob is copied to a file with no name
//! on disk as it is read ([`Want::Spool`]), never held.
//!
//! What a change *adds* is decided on content, not on a line diff: a text line is added when
//! the new version has more copies of it than the old one (compared as a multiset, without
//! whitespace), so lines that only moved or were re-indented, or a file that was only
//! renamed, add nothing.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use anyhow::{bail, Context, Result};

/// A repository, by its top-level directory.
#[derive(Debug)]
pub(crate) struct Repo {
    pub root: PathBuf,
    /// The object id of the empty tree in this repository's hash format.
    empty_tree: String,
    /// The remote that promises missing objects, in a partial clone.
    promisor: Option<String>,
    /// Set once rename detection failed for want of objects (a partial clone offline): diffs
    /// are then read without it.
    no_renames: std::cell::Cell<bool>,
}

/// One file that a change adds or modifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    /// Path in the new version, relative to the repository root, `/`-separated.
    pub path: String,
    /// The blob before the change (the rename or copy source for renames), if there was one.
    pub old: Option<String>,
    /// The blob after the change.
    pub new: String,
}

/// How a work-tree file stands against the index and `HEAD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileState {
    /// Not known to git.
    Untracked,
    /// Changed in the work tree, and the change is not staged.
    Unstaged,
    /// Staged, not committed yet.
    Staged,
    /// As committed (or absent).
    Committed,
}

/// A commit and what it changes, for `--history`.
#[derive(Debug)]
pub(crate) struct CommitChanges {
    pub commit: String,
    pub changes: Vec<Change>,
}

impl Repo {
    /// Opens the repository containing `dir`, or says clearly why it is not one.
    pub(crate) fn open(dir: &Path) -> Result<Repo> {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["rev-parse", "--show-toplevel"])
            .output()
            .context("cannot run git (is it installed and on PATH?)")?;
        if !out.status.success() {
            bail!(
                "{} is not inside a git work tree: {}",
                dir.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let root =
            PathBuf::from(String::from_utf8_lossy(&out.stdout).trim_end_matches(['\n', '\r']));
        let mut repo = Repo {
            root,
            empty_tree: String::new(),
            promisor: None,
            no_renames: std::cell::Cell::new(false),
        };
        repo.empty_tree = repo.text(&["hash-object", "-t", "tree", "/dev/null"])?;
        repo.promisor = repo.promisor_remote();
        Ok(repo)
    }

    fn command(&self) -> Command {
        let mut c = Command::new("git");
        c.arg("-C").arg(&self.root);
        // Plumbing output only: no pager, no quoted paths, no index refresh writes.
        c.args(["--no-pager", "-c", "core.quotePath=false"]);
        c.env("GIT_OPTIONAL_LOCKS", "0");
        // A missing object is never fetched behind our back, one at a time: a failed lazy
        // fetch kills the git process (and with it every blob after it). Missing blobs of a
        // partial clone are fetched in bulk by [`Repo::prefetch`] instead.
        c.env("GIT_NO_LAZY_FETCH", "1");
        c
    }

    /// The promisor remote of a partial clone (`git clone --filter=...`), if this is one.
    fn promisor_remote(&self) -> Option<String> {
        let out = self
            .run(&["config", "--get-regexp", r"^remote\..*\.promisor$"])
            .ok()?;
        String::from_utf8_lossy(&out).lines().find_map(|l| {
            let (key, value) = l.split_once(' ')?;
            (value == "true")
                .then(|| key.strip_prefix("remote.")?.strip_suffix(".promisor"))
                .flatten()
                .map(str::to_string)
        })
    }

    /// In a partial clone, fetches those of `ids` that are not here, in one request (as git's
    /// own lazy fetch does, but for all of them at once). A fetch that fails leaves them
    /// missing: the blobs are then listed as unscanned, and the scan goes on.
    pub(crate) fn prefetch(&self, ids: &[&str]) -> Result<()> {
        let Some(remote) = &self.promisor else {
            return Ok(());
        };
        let missing = self.missing(ids)?;
        if missing.is_empty() {
            return Ok(());
        }
        let mut child = self
            .command()
            .args(["-c", "fetch.negotiationAlgorithm=noop", "fetch", remote])
            .args([
                "--no-tags",
                "--no-write-fetch-head",
                "--recurse-submodules=no",
            ])
            .args(["--filter=blob:none", "--stdin", "--quiet"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot run git fetch")?;
        let mut stdin = child.stdin.take().expect("piped");
        for id in &missing {
            let _ = writeln!(stdin, "{id}");
        }
        drop(stdin);
        if !child.wait()?.success() {
            eprintln!(
                "kartlegg: {} object(s) of this partial clone could not be fetched from {remote}: they are listed as unscanned",
                missing.len()
            );
        }
        Ok(())
    }

    /// Those of `ids` that are not in the object store.
    fn missing(&self, ids: &[&str]) -> Result<Vec<String>> {
        let mut child = self
            .command()
            .args(["cat-file", "--batch-check"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot run git cat-file")?;
        let mut stdin = child.stdin.take().expect("piped");
        let list: String = ids.iter().map(|id| format!("{id}\n")).collect();
        // Written from a thread: the answers fill the pipe while the questions are written.
        let writer = std::thread::spawn(move || stdin.write_all(list.as_bytes()));
        let mut out = String::new();
        child
            .stdout
            .take()
            .expect("piped")
            .read_to_string(&mut out)?;
        let _ = writer.join();
        child.wait()?;
        Ok(out
            .lines()
            .filter_map(|l| l.strip_suffix(" missing"))
            .map(str::to_string)
            .collect())
    }

    /// The local copy of a Git LFS object, if it is here (`.git/lfs/objects/ab/cd/abcd...`).
    pub(crate) fn lfs_object(&self, oid: &str) -> Option<PathBuf> {
        if oid.len() < 5 || !oid.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let common = PathBuf::from(self.text(&["rev-parse", "--git-common-dir"]).ok()?);
        let common = if common.is_absolute() {
            common
        } else {
            self.root.join(common)
        };
        let p = common
            .join("lfs/objects")
            .join(&oid[..2])
            .join(&oid[2..4])
            .join(oid);
        p.is_file().then_some(p)
    }

    fn run(&self, args: &[&str]) -> Result<Vec<u8>> {
        let out = self
            .command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("cannot run git {}", args.join(" ")))?;
        if !out.status.success() {
            bail!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(out.stdout)
    }

    fn text(&self, args: &[&str]) -> Result<String> {
        Ok(String::from_utf8_lossy(&self.run(args)?).trim().to_string())
    }

    /// The commit a revision names, with a helpful error for shallow clones.
    pub(crate) fn resolve(&self, rev: &str) -> Result<String> {
        let spec = format!("{rev}^{{commit}}");
        self.text(&["rev-parse", "--verify", "--quiet", "--end-of-options", &spec]).map_err(|_| {
            let shallow = self.text(&["rev-parse", "--is-shallow-repository"]).unwrap_or_default() == "true";
            if shallow {
                anyhow::anyhow!(
                    "unknown revision {rev:?}: this is a shallow clone, so older commits may be missing \
                     (fetch more history, e.g. `git fetch --unshallow` or `fetch-depth: 0` in GitHub Actions)"
                )
            } else {
                anyhow::anyhow!("unknown revision {rev:?}")
            }
        })
    }

    /// The changes staged in the index relative to `HEAD` (or to nothing before the first
    /// commit). Unmerged paths (a merge in progress) are an error: git will not commit them
    /// either, and their staged content is not decided yet.
    pub(crate) fn staged(&self) -> Result<Vec<Change>> {
        let base = match self.resolve("HEAD") {
            Ok(head) => head,
            Err(_) => self.empty_tree.clone(),
        };
        let raw = self.diff_raw(&["diff-index", "--cached", "-z", "--no-abbrev", &base])?;
        let (changes, unmerged) = parse_raw(&raw)?;
        if !unmerged.is_empty() {
            bail!(
                "the index has {} unmerged path(s) (a merge or rebase is in progress, e.g. {}); resolve the conflicts and stage the result first",
                unmerged.len(),
                unmerged[0]
            );
        }
        Ok(changes)
    }

    /// What `BASE..HEAD` (or `BASE...HEAD`, from their merge base; or `BASE`, up to `HEAD`)
    /// changes.
    pub(crate) fn diff(&self, range: &str) -> Result<Vec<Change>> {
        let (base, head) = if let Some((a, b)) = range.split_once("...") {
            let (a, b) = (self.resolve(or_head(a))?, self.resolve(or_head(b))?);
            let base = self
                .text(&["merge-base", &a, &b])
                .with_context(|| format!("{range:?} has no merge base"))?;
            (base, b)
        } else if let Some((a, b)) = range.split_once("..") {
            (self.resolve(or_head(a))?, self.resolve(or_head(b))?)
        } else {
            (self.resolve(range)?, self.resolve("HEAD")?)
        };
        self.tree_diff(&base, &head)
    }

    fn tree_diff(&self, base: &str, head: &str) -> Result<Vec<Change>> {
        let raw = self.diff_raw(&["diff-tree", "-r", "-z", "--no-abbrev", base, head])?;
        Ok(parse_raw(&raw)?.0)
    }

    /// A raw diff with rename detection, which reads the contents of added and deleted files
    /// — or, where some of them are missing (a partial clone offline), without it: an added
    /// file is then paired with a deleted one by name (see [`parse_raw`]).
    fn diff_raw(&self, args: &[&str]) -> Result<Vec<u8>> {
        // Options go after the subcommand (the first word that is not `-c` or its value).
        let at = 1 + 2 * args.iter().take_while(|&&a| a == "-c").count();
        if !self.no_renames.get() {
            let mut with = args.to_vec();
            with.insert(at, "-M");
            match self.run(&with) {
                Ok(raw) => return Ok(raw),
                Err(e) if self.promisor.is_none() => return Err(e),
                Err(_) => {
                    self.no_renames.set(true);
                    eprintln!("kartlegg: rename detection needs objects this partial clone does not have: renamed files are paired by name");
                }
            }
        }
        let mut without = args.to_vec();
        without.insert(at, "--no-renames");
        self.run(&without)
    }

    /// Every file tracked at `rev`, whole.
    pub(crate) fn tracked(&self, rev: &str) -> Result<Vec<Change>> {
        let commit = self.resolve(rev)?;
        let raw = self.run(&["ls-tree", "-r", "-z", "--full-tree", &commit])?;
        let mut out = Vec::new();
        for rec in raw.split(|&b| b == 0).filter(|r| !r.is_empty()) {
            // <mode> SP <type> SP <object> TAB <path>
            let rec = String::from_utf8_lossy(rec);
            let Some((meta, path)) = rec.split_once('\t') else {
                continue;
            };
            let mut f = meta.split(' ');
            let (mode, kind, id) = (
                f.next().unwrap_or(""),
                f.next().unwrap_or(""),
                f.next().unwrap_or(""),
            );
            if kind == "blob" && is_file_mode(mode) {
                out.push(Change {
                    path: path.to_string(),
                    old: None,
                    new: id.to_string(),
                });
            }
        }
        Ok(out)
    }

    /// The commits of `range` (a `git rev-list` range, such as `HEAD` or `main..topic`), parents
    /// before children, each with what it changes relative to its first parent. A root commit,
    /// or the boundary commit of a shallow clone, changes everything it holds.
    pub(crate) fn history(&self, range: &str) -> Result<Vec<CommitChanges>> {
        // One `git log` for every commit's changes (a process per commit cost most of a long
        // history): a merge against its first parent, a root (or a shallow clone's boundary)
        // against the empty tree.
        let mut args = vec![
            "-c",
            "log.showSignature=false",
            "log",
            "--reverse",
            "--topo-order",
            "--root",
            "--diff-merges=first-parent",
            "--no-color",
            "--raw",
            "-z",
            "--no-abbrev",
            "--format=%H",
        ];
        let parts: Vec<&str> = range.split_whitespace().collect();
        args.extend(&parts);
        args.push("--");
        let log = self.diff_raw(&args).map_err(|e| {
            let shallow = self
                .text(&["rev-parse", "--is-shallow-repository"])
                .unwrap_or_default()
                == "true";
            if shallow {
                e.context("this is a shallow clone: fetch more history (`git fetch --unshallow`)")
            } else {
                e
            }
        })?;
        parse_log(&log)
    }

    /// A reader of blobs.
    pub(crate) fn blobs(&self) -> Result<Blobs> {
        let mut child = self
            .command()
            .args(["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot run git cat-file")?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        Ok(Blobs {
            child,
            stdin,
            stdout,
        })
    }

    /// A git configuration value (`user.email`), if it is set.
    pub(crate) fn config(&self, key: &str) -> Option<String> {
        self.text(&["config", "--get", key])
            .ok()
            .filter(|v| !v.is_empty())
    }

    /// Whether a file of the work tree is committed as it is: untracked, changed and not
    /// staged, or neither.
    pub(crate) fn file_state(&self, rel: &str) -> Result<FileState> {
        let out = self.run(&["status", "--porcelain=v1", "-z", "--", rel])?;
        // XY SP path NUL: X the index against HEAD, Y the work tree against the index.
        Ok(match out.get(..2) {
            Some(b"??") => FileState::Untracked,
            Some([_, y]) if *y != b' ' => FileState::Unstaged,
            Some([x, _]) if *x != b' ' => FileState::Staged,
            _ => FileState::Committed,
        })
    }

    /// The path of a file inside `.git` (hooks, say), as git resolves it.
    pub(crate) fn git_path(&self, name: &str) -> Result<PathBuf> {
        let p = PathBuf::from(self.text(&["rev-parse", "--git-path", name])?);
        Ok(if p.is_absolute() {
            p
        } else {
            self.root.join(p)
        })
    }
}

fn or_head(rev: &str) -> &str {
    if rev.is_empty() {
        "HEAD"
    } else {
        rev
    }
}

/// Regular files and executables; not symlinks (120000) or submodules (160000).
fn is_file_mode(mode: &str) -> bool {
    mode == "100644" || mode == "100755"
}

/// Parses `git diff --raw -z` output into added/modified/renamed/copied files, and the paths
/// that are unmerged. An added file that git did not pair with a deleted one (moved and
/// reformatted in one change is too different for its rename detection) is given the deleted
/// file of the same name as its old version: what counts as added is then decided by lines
/// and values, which a wrong pairing cannot make pass anything new.
fn parse_raw(raw: &[u8]) -> Result<(Vec<Change>, Vec<String>)> {
    let mut fields = raw.split(|&b| b == 0).peekable();
    let parsed = parse_entries(&mut fields)?;
    if fields.any(|f| !f.is_empty()) {
        bail!("unexpected git diff output");
    }
    Ok(parsed)
}

/// `git log --raw -z --format=%H`: each commit's id, then its raw entries.
fn parse_log(log: &[u8]) -> Result<Vec<CommitChanges>> {
    let mut fields = log.split(|&b| b == 0).peekable();
    let mut out = Vec::new();
    while let Some(header) = fields.next() {
        let commit = String::from_utf8_lossy(header.trim_ascii()).into_owned();
        if commit.is_empty() {
            continue;
        }
        if !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!("unexpected git log output");
        }
        out.push(CommitChanges {
            commit,
            changes: parse_entries(&mut fields)?.0,
        });
    }
    Ok(out)
}

/// Raw entries (`:<modes> <ids> <status>` NUL path [NUL path]) from `fields`, up to the first
/// field that is not one (the next commit of a log); renames paired by name where git did not.
fn parse_entries<'a>(
    fields: &mut std::iter::Peekable<impl Iterator<Item = &'a [u8]>>,
) -> Result<(Vec<Change>, Vec<String>)> {
    let mut changes = Vec::new();
    let mut unmerged = Vec::new();
    let mut added = Vec::new();
    let mut deleted = Vec::new();
    while let Some(&field) = fields.peek() {
        // In a log, a commit's entries follow its id and a newline.
        let field = field.strip_prefix(b"\n").unwrap_or(field);
        if field.is_empty() {
            fields.next();
            continue;
        }
        let Some(meta) = field.strip_prefix(b":") else {
            break;
        };
        fields.next();
        // <old mode> <new mode> <old id> <new id> <status>[score]
        let meta = String::from_utf8_lossy(meta);
        let f: Vec<&str> = meta.split(' ').collect();
        if f.len() < 5 {
            bail!("unexpected git diff output");
        }
        let status = f[4].chars().next().unwrap_or('?');
        let path = |p: Option<&[u8]>| {
            p.map(|p| String::from_utf8_lossy(p).into_owned())
                .unwrap_or_default()
        };
        let first = path(fields.next());
        let path = if matches!(status, 'R' | 'C') {
            path(fields.next())
        } else {
            first
        };
        let (old_id, new_id) = (f[2], f[3]);
        let absent = |id: &str| id.bytes().all(|b| b == b'0');
        match status {
            'U' => unmerged.push(path),
            'D' if is_file_mode(f[0]) => deleted.push((path, old_id.to_string())),
            'D' => {}
            _ if !is_file_mode(f[1]) || absent(new_id) => {}
            _ => {
                if status == 'A' {
                    added.push(changes.len());
                }
                changes.push(Change {
                    path,
                    old: (is_file_mode(f[0]) && !absent(old_id)).then(|| old_id.to_string()),
                    new: new_id.to_string(),
                })
            }
        }
    }
    for i in added {
        let name = base_name(&changes[i].path);
        if let Some(d) = deleted.iter().position(|(p, _)| base_name(p) == name) {
            changes[i].old = Some(deleted.swap_remove(d).1);
        }
    }
    Ok((changes, unmerged))
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A `git cat-file --batch` process.
pub(crate) struct Blobs {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// What to do with a blob's content, once its size is known.
#[derive(Debug)]
pub(crate) enum Want {
    /// Read it into memory.
    Memory,
    /// Write it to a new temporary file with no name on disk (see [`Blob::Spooled`]).
    Spool,
    /// Read past it.
    Skip,
}

/// A blob, as [`Blobs::fetch`] delivered it.
#[derive(Debug)]
pub(crate) enum Blob {
    Memory(Vec<u8>),
    /// Written to a [`spool_file`].
    Spooled(std::fs::File),
    /// Not read (its size is known).
    Skipped,
    /// Not in this repository's object store (a partial or damaged clone).
    Missing,
}

impl Blobs {
    /// A blob and its size; `want` decides from the size where its content goes, so a large
    /// blob is never held in memory.
    pub(crate) fn fetch(
        &mut self,
        id: &str,
        want: impl FnOnce(u64) -> Want,
    ) -> Result<(u64, Blob)> {
        writeln!(self.stdin, "{id}").context("git cat-file went away")?;
        self.stdin.flush().context("git cat-file went away")?;
        let mut header = String::new();
        self.stdout.read_line(&mut header)?;
        if header.is_empty() {
            bail!("git cat-file stopped while reading object {id}");
        }
        // <id> SP <type> SP <size> LF, or <id> SP missing LF
        let f: Vec<&str> = header.split_whitespace().collect();
        if f.len() != 3 || f[1] != "blob" {
            return Ok((0, Blob::Missing));
        }
        let size: u64 = f[2].parse().context("bad git cat-file header")?;
        let mut content = (&mut self.stdout).take(size);
        let blob = match want(size) {
            Want::Memory => {
                let mut data = Vec::with_capacity(size as usize);
                content.read_to_end(&mut data)?;
                Blob::Memory(data)
            }
            Want::Spool => {
                let mut file = spool_file()?;
                std::io::copy(&mut content, &mut file)
                    .context("cannot copy a blob to its temporary file")?;
                Blob::Spooled(file)
            }
            Want::Skip => {
                std::io::copy(&mut content, &mut std::io::sink())?;
                Blob::Skipped
            }
        };
        let mut lf = [0u8; 1];
        self.stdout.read_exact(&mut lf)?;
        Ok((size, blob))
    }
}

/// A new temporary file for a blob too large to hold, with no name on disk
/// (`tempfile::tempfile`: `O_TMPFILE` where the file system has it, else created and unlinked
/// at once), so nothing of it outlives the scan however it ends (a SIGKILL included), and mode
/// 0600 (an `O_TMPFILE` file takes the umask's), so no other user may read it.
pub(crate) fn spool_file() -> Result<std::fs::File> {
    use std::os::unix::fs::PermissionsExt;
    let file = tempfile::tempfile().context("cannot create a temporary file for a blob")?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .context("cannot make a blob's temporary file private")?;
    Ok(file)
}

/// The object id and size a Git LFS pointer names, if `data` is one.
pub(crate) fn lfs_pointer(data: &[u8]) -> Option<(String, u64)> {
    const SPEC: &[u8] = b"version https://git-lfs.github.com/spec/v1\n";
    if data.len() > 1024 || !data.starts_with(SPEC) {
        return None;
    }
    let text = std::str::from_utf8(&data[SPEC.len()..]).ok()?;
    let mut oid = None;
    let mut size = None;
    // Only what the spec allows after the version: any other line makes it a file of text
    // that starts like a pointer, and it is read as text (a pointer is never read).
    for line in text.lines() {
        if let Some(o) = line.strip_prefix("oid sha256:") {
            let hex = o.len() == 64 && o.bytes().all(|b| b.is_ascii_hexdigit());
            oid = Some(hex.then(|| o.to_string())?);
        } else if let Some(n) = line.strip_prefix("size ") {
            size = Some(
                n.parse()
                    .ok()
                    .filter(|_| n.bytes().all(|b| b.is_ascii_digit()))?,
            );
        } else if !line
            .split_once(' ')
            .is_some_and(|(k, _)| k.starts_with("ext-") && !k.contains(':'))
        {
            return None;
        }
    }
    Some((oid?, size?))
}

impl Drop for Blobs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The 1-based numbers of the lines of `new` that `old` does not have as many copies of,
/// lines compared without their whitespace and a trailing `,` or `;`: re-indenting a file, or
/// moving an element to the end of a JSON array or an SQL `VALUES` list, adds nothing.
pub(crate) fn added_lines(old: &str, new: &str) -> Vec<u64> {
    let mut have: HashMap<String, usize> = HashMap::new();
    for l in old.lines() {
        *have.entry(line_key(l)).or_default() += 1;
    }
    let mut added = Vec::new();
    for (i, l) in new.lines().enumerate() {
        match have.get_mut(&line_key(l)) {
            Some(n) if *n > 0 => *n -= 1,
            _ => added.push(i as u64 + 1),
        }
    }
    added
}

/// A line as [`added_lines`] compares it.
fn line_key(line: &str) -> String {
    let mut k: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    while k.ends_with([',', ';']) {
        k.pop();
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_lines_are_a_multiset_difference() {
        assert_eq!(added_lines("a\nb\n", "b\na\nc\n"), vec![3]);
        assert_eq!(added_lines("a\n", "a\na\n"), vec![2]);
        assert_eq!(added_lines("", "x\ny"), vec![1, 2]);
        assert!(added_lines("x\ny\n", "y\nx\n").is_empty());
    }

    #[test]
    fn reindenting_and_trailing_separators_add_nothing() {
        let old = "{\n  \"a\": [\n    {\"fnr\": \"1\"},\n    {\"fnr\": \"2\"}\n  ]\n}\n";
        let new = "{\n\t\"a\": [\n\t\t{ \"fnr\": \"2\" },\n\t\t{ \"fnr\": \"1\" }\n\t]\n}\n";
        assert!(added_lines(old, new).is_empty());
        assert_eq!(
            added_lines(
                "(1, 'a'),\n(2, 'b');\n",
                "(2, 'b'),\n(1, 'a'),\n(3, 'c');\n"
            ),
            vec![3]
        );
        // Spacing inside a line is not content.
        assert_eq!(added_lines("fnr = 1\n", "fnr=1\nfnr = 2\n"), vec![2]);
    }

    #[test]
    fn a_log_gives_each_commit_its_changes() {
        let (z, a, b) = ("0".repeat(40), "a".repeat(40), "b".repeat(40));
        let (c1, c2, c3) = ("1".repeat(40), "2".repeat(40), "3".repeat(40));
        let log = format!(
            "{c1}\0\n:000000 100644 {z} {a} A\0x.txt\0{c2}\0{c3}\0\n:100644 100644 {a} {b} R090\0x.txt\0dir/y\ntxt\0"
        );
        let commits = parse_log(log.as_bytes()).unwrap();
        type Seen<'a> = Vec<(&'a str, Option<&'a str>)>;
        let got: Vec<(&str, Seen)> = commits
            .iter()
            .map(|c| {
                let ch = c
                    .changes
                    .iter()
                    .map(|ch| (ch.path.as_str(), ch.old.as_deref()));
                (c.commit.as_str(), ch.collect())
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (c1.as_str(), vec![("x.txt", None)]),
                (c2.as_str(), vec![]),
                (c3.as_str(), vec![("dir/y\ntxt", Some(a.as_str()))]),
            ]
        );
        assert!(parse_log(b"not a commit\0").is_err());
    }

    #[test]
    fn lfs_pointers_are_recognised() {
        let p = b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";
        assert_eq!(
            lfs_pointer(p),
            Some((
                "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393".into(),
                12345
            ))
        );
        assert_eq!(lfs_pointer(b"version 1\noid sha256:ab\nsize 1\n"), None);
        assert_eq!(lfs_pointer(&p[..60]), None, "no oid, no size");
        // Text that only starts like a pointer is not one: it is read.
        let more = [&p[..], b"kunde: Kari, fnr 13897210066\n"].concat();
        assert_eq!(lfs_pointer(&more), None);
        let bad_oid = String::from_utf8_lossy(p).replace("4d7a", "xyz4");
        assert_eq!(lfs_pointer(bad_oid.as_bytes()), None);
        let v = p.iter().position(|&b| b == b'\n').unwrap() + 1;
        let ext = [&p[..v], b"ext-0-foo sha256:00\n", &p[v..]].concat();
        assert!(lfs_pointer(&ext).is_some(), "extensions are the spec's");
    }

    #[test]
    fn raw_diff_parses_renames_and_skips_deletions() {
        let z = "0".repeat(40);
        let (a, b) = ("a".repeat(40), "b".repeat(40));
        let raw = format!(
            ":100644 100644 {a} {b} R090\0old.txt\0new.txt\0:100644 000000 {a} {z} D\0gone\0:000000 100644 {z} {b} A\0added\0:120000 120000 {a} {b} M\0link\0"
        );
        let (changes, unmerged) = parse_raw(raw.as_bytes()).unwrap();
        assert!(unmerged.is_empty());
        let (c, d) = ("c".repeat(40), "d".repeat(40));
        let moved = format!(
            ":100644 000000 {c} {z} D\0old/dir/data.json\0:000000 100644 {z} {d} A\0other.json\0:000000 100644 {z} {d} A\0new/data.json\0"
        );
        let (paired, _) = parse_raw(moved.as_bytes()).unwrap();
        assert_eq!(paired[0].old, None);
        assert_eq!(paired[1].old, Some(c.clone()), "paired by file name");
        assert_eq!(
            changes,
            vec![
                Change {
                    path: "new.txt".into(),
                    old: Some(a.clone()),
                    new: b.clone()
                },
                Change {
                    path: "added".into(),
                    old: None,
                    new: b.clone()
                },
            ]
        );
    }
}
