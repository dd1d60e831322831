//! The walk over real trees built in temporary directories (the tests run as root in CI, so
//! devices can be made; a permission error needs another user and is tested end to end).

use std::ffi::{CStr, CString, OsStr};
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, MetadataExt};
use std::path::{Path, PathBuf};

use rustix::fd::BorrowedFd;
use rustix::fs::{AtFlags, Mode, OFlags, CWD};
use rustix::io::Errno;

use super::*;

/// What one entry says, shortly: `path` relative to the root, then `file`, `skipped/REASON`
/// or `error/REASON`.
fn summary(root: &Path, e: &Entry) -> (String, String) {
    let (path, what) = match e {
        Entry::File { path, .. } => (path, "file".to_string()),
        Entry::Skipped { path, reason, .. } => (path, format!("skipped/{reason}")),
        Entry::Error { path, reason, .. } => (path, format!("error/{reason}")),
    };
    let rel = path.strip_prefix(root).unwrap_or(path);
    (display(rel), what)
}

fn run(walk: &Walk, root: &Path) -> (Vec<(String, String)>, Counts) {
    let mut out = Vec::new();
    let counts = walk.run(root, &mut |e| out.push(summary(root, &e)));
    (out, counts)
}

fn plain() -> Walk {
    Walk::new(false, Exclude::new(&[], vec![]).unwrap())
}

fn write(root: &Path, rel: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, rel).unwrap();
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn mknod(path: &Path, kind: libc::mode_t, dev: libc::dev_t) {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mknod reads nothing else.
    let rc = unsafe { libc::mknod(c.as_ptr(), kind | 0o600, dev) };
    assert_eq!(
        rc,
        0,
        "mknod {}: {}",
        path.display(),
        io::Error::last_os_error()
    );
}

#[test]
fn names_in_byte_order_depth_first() {
    let t = tempfile::tempdir().unwrap();
    for rel in [
        "b/2.txt", "b/1.txt", "a.txt", "B.txt", "a/x", "a-b/y", "æ.txt", "z.txt",
    ] {
        write(t.path(), rel);
    }
    fs::write(t.path().join(OsStr::from_bytes(b"\xff.bin")), "").unwrap();
    let (got, _) = run(&plain(), t.path());
    let names: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
    // Byte order within each directory, each directory's contents where its name falls.
    assert_eq!(
        names,
        [
            "B.txt",
            "a/x",
            "a-b/y",
            "a.txt",
            "b/1.txt",
            "b/2.txt",
            "z.txt",
            "æ.txt",
            "\\xff.bin"
        ]
    );
    // The same order without d_type: a stat decides instead.
    let mut blind = plain();
    blind.trust_d_type = false;
    assert_eq!(run(&blind, t.path()).0, got);
}

#[test]
fn every_path_yields_one_entry_and_specials_are_never_opened() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    write(r, "d/a.txt");
    symlink("d/a.txt", r.join("til-fil")).unwrap();
    symlink("d", r.join("til-mappe")).unwrap();
    symlink("finnes-ikke", r.join("brutt")).unwrap();
    mknod(&r.join("fifo"), libc::S_IFIFO, 0);
    mknod(&r.join("null"), libc::S_IFCHR, libc::makedev(1, 3));
    mknod(&r.join("disk"), libc::S_IFBLK, libc::makedev(7, 0));
    let _sock = std::os::unix::net::UnixListener::bind(r.join("sock")).unwrap();
    let expected = pairs(&[
        ("brutt", "skipped/symlink"),
        ("d/a.txt", "file"),
        ("disk", "skipped/special_file"),
        ("fifo", "skipped/special_file"),
        ("null", "skipped/special_file"),
        ("sock", "skipped/special_file"),
        ("til-fil", "skipped/symlink"),
        ("til-mappe", "skipped/symlink"),
    ]);
    assert_eq!(run(&plain(), r).0, expected);
    let mut blind = plain();
    blind.trust_d_type = false;
    assert_eq!(run(&blind, r).0, expected);

    // Followed: a link to a file is that file (with the target's evidence), a link to a
    // directory is walked, a dangling link is skipped with the reason.
    let follow = Walk::new(true, Exclude::new(&[], vec![]).unwrap());
    let mut metas = Vec::new();
    let mut got = Vec::new();
    follow.run(r, &mut |e| {
        if let Entry::File { meta, .. } = &e {
            metas.push(meta.size());
        }
        got.push(summary(r, &e));
    });
    assert_eq!(got[0], pairs(&[("brutt", "skipped/symlink")])[0]);
    assert!(got.contains(&("til-fil".into(), "file".into())));
    assert!(got.contains(&("til-mappe/a.txt".into(), "file".into())));
    assert_eq!(got.len(), 8);
    assert_eq!(metas, [7, 7, 7], "d/a.txt through all three paths");
}

#[test]
fn a_root_that_is_a_file_or_a_link_works() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "d/a.txt");
    symlink("d", t.path().join("lenke")).unwrap();
    let file = t.path().join("d/a.txt");
    let mut got = Vec::new();
    plain().run(&file, &mut |e| got.push(e));
    assert!(matches!(&got[..], [Entry::File { path, meta }] if *path == file && meta.size() == 7));
    // A root named through a symlink is walked: the user named it.
    let (got, _) = run(&plain(), &t.path().join("lenke"));
    assert_eq!(got, pairs(&[("a.txt", "file")]));
    let (got, _) = run(&plain(), &t.path().join("mangler"));
    assert_eq!(got, pairs(&[("", "error/vanished")]));
}

#[test]
fn following_a_link_to_an_ancestor_is_a_loop_not_a_hang() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "d/a.txt");
    symlink("..", t.path().join("d/opp")).unwrap();
    symlink(".", t.path().join("d/her")).unwrap();
    let follow = Walk::new(true, Exclude::new(&[], vec![]).unwrap());
    let mut details = Vec::new();
    follow.run(t.path(), &mut |e| {
        if let Entry::Error { detail, .. } = &e {
            details.push(detail.clone());
        }
    });
    let (got, _) = run(&follow, t.path());
    assert_eq!(
        got,
        pairs(&[
            ("d/a.txt", "file"),
            ("d/her", "error/symlink_loop"),
            ("d/opp", "error/symlink_loop"),
        ])
    );
    assert!(
        details[0].starts_with("symbolic link loop back to "),
        "{details:?}"
    );
}

/// Sets a path's access time to 2001 (so any update shows, on relatime mounts too).
fn age(p: &Path) {
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
    let old = libc::timespec {
        tv_sec: 1_000_000_000,
        tv_nsec: 0,
    };
    let keep = libc::timespec {
        tv_sec: 0,
        tv_nsec: libc::UTIME_OMIT,
    };
    // SAFETY: a valid path and two timespecs, as utimensat requires.
    let rc = unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), [old, keep].as_ptr(), 0) };
    assert_eq!(rc, 0);
}

#[test]
fn directories_keep_their_access_times() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "a/b/c.txt");
    write(t.path(), "a/d.txt");
    let dirs = [
        t.path().to_path_buf(),
        t.path().join("a"),
        t.path().join("a/b"),
    ];
    dirs.iter().for_each(|d| age(d));
    let (got, counts) = run(&plain(), t.path());
    assert_eq!(got.len(), 2);
    assert_eq!((counts.dirs_noatime, counts.dirs_plain), (3, 0));
    for d in &dirs {
        assert_eq!(
            fs::metadata(d).unwrap().atime(),
            1_000_000_000,
            "{}",
            d.display()
        );
    }
    // The control: listing without O_NOATIME does change it here, so the test can fail.
    fs::read_dir(&dirs[2]).unwrap().for_each(drop);
    assert_ne!(fs::metadata(&dirs[2]).unwrap().atime(), 1_000_000_000);
}

#[test]
fn deep_trees_stay_within_the_open_directory_limit() {
    let t = tempfile::tempdir().unwrap();
    // Each level: a subdirectory `a`, then a file `z.txt` visited after coming back up, when
    // the level's directory has been closed and must be opened again.
    let mut rel = String::new();
    let mut expected = Vec::new();
    for _ in 0..20 {
        rel.push_str("a/");
        write(t.path(), &format!("{rel}z.txt"));
        expected.push((format!("{rel}z.txt"), "file".to_string()));
    }
    expected.sort_by(|a, b| Path::new(&a.0).cmp(Path::new(&b.0)));
    for max_open in [1, 2, 3] {
        let mut walk = plain();
        walk.max_open = max_open;
        let (got, counts) = run(&walk, t.path());
        assert_eq!(got, expected, "at most {max_open} open");
        assert_eq!((counts.dirs_noatime, counts.dirs_plain), (21, 0));
    }
}

/// Makes `depth` nested directories named `name` under `root`, relative to one another (the
/// path may be longer than the kernel takes whole), with `file` at the bottom (and in every
/// level if `every`); returns the path of the deepest `file`.
fn chain(root: &Path, depth: usize, name: &str, file: &str, every: bool) -> PathBuf {
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::CLOEXEC;
    let mut dir =
        rustix::fs::open(root, OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()).unwrap();
    let mut path = root.to_path_buf();
    for _ in 0..depth {
        if every {
            rustix::fs::openat(&dir, file, flags, Mode::from_raw_mode(0o644)).unwrap();
        }
        rustix::fs::mkdirat(&dir, name, Mode::from_raw_mode(0o755)).unwrap();
        dir = rustix::fs::openat(
            &dir,
            name,
            OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .unwrap();
        path.push(name);
    }
    rustix::fs::openat(&dir, file, flags, Mode::from_raw_mode(0o644)).unwrap();
    path.join(file)
}

#[test]
fn a_level_holds_its_own_name_not_its_path() {
    let t = tempfile::tempdir().unwrap();
    // 300 levels of 40-byte names: a path of 12 KB, found (the walk works relative to its
    // directories), while each level holds a few hundred bytes (its listing of one name, its
    // own name) however deep it is; holding its path, it would hold 6 KB on average.
    let name = "n".repeat(40);
    let file = chain(t.path(), 300, &name, "a.txt", false);
    let walk = plain();
    let mut found = Vec::new();
    let mut emit = |e: Entry| found.push(e);
    let mut w = Walker::new(&walk, 0, None, &mut emit);
    w.root(t.path());
    w.descend();
    let peak = w.peak;
    assert!(
        matches!(&found[..], [Entry::File { path, .. }] if *path == file),
        "{found:?}"
    );
    let path_len = file.as_os_str().len();
    assert!(path_len > 12_000);
    let per_level = (peak - path_len) / 300;
    assert!(
        per_level < 400,
        "{per_level} bytes a level, for a path of {path_len}"
    );
}

#[test]
fn paths_longer_than_path_max_are_taken_in_pieces() {
    let t = tempfile::tempdir().unwrap();
    // 18 levels of 250-byte names: 4.5 KB, more than the kernel takes whole.
    let name = "m".repeat(250);
    let file = chain(t.path(), 18, &name, "z.txt", true);
    let c = CString::new(file.as_os_str().as_bytes()).unwrap();
    let stat = |at: BorrowedFd<'_>, p: &CStr| rustix::fs::statat(at, p, AtFlags::empty());
    assert_eq!(stat(CWD, &c).unwrap_err(), Errno::NAMETOOLONG);
    let st = at_any_length(CWD, &c, stat).unwrap();
    assert_eq!(FileType::from_raw_mode(st.st_mode), FileType::RegularFile);
    // With two directories open, each level is opened again on the way back up by the names
    // from the root, over 4 KB of them deep down.
    let mut walk = plain();
    walk.max_open = 2;
    let (got, _) = run(&walk, t.path());
    let what: Vec<&str> = got.iter().map(|(_, what)| what.as_str()).collect();
    assert_eq!(what, ["file"; 19]);
}

#[test]
fn a_closed_directory_replaced_during_the_walk_is_reported() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "a/b/c/d/e.txt");
    write(t.path(), "a/b/z.txt");
    let mut walk = plain();
    walk.max_open = 2;
    let root = t.path().to_path_buf();
    let mut got = Vec::new();
    walk.run(t.path(), &mut |e| {
        let s = summary(&root, &e);
        if s.0 == "a/b/c/d/e.txt" {
            // While deep inside, move c out of a/b (so that its `..` is another directory)
            // and swap a/b (closed by now) for another directory.
            fs::create_dir(root.join("x")).unwrap();
            fs::rename(root.join("a/b/c"), root.join("x/c")).unwrap();
            fs::rename(root.join("a/b"), root.join("gammel")).unwrap();
            write(&root, "a/b/z.txt");
        }
        got.push(s);
    });
    assert_eq!(
        got,
        pairs(&[
            ("a/b/c/d/e.txt", "file"),
            ("a/b", "error/changed_during_scan")
        ])
    );
}

#[test]
fn closed_ancestors_are_opened_again_through_their_child() {
    let t = tempfile::tempdir().unwrap();
    // 200 levels, a file at each visited after coming back up, two directories open: every
    // level is closed on the way down and opened again on the way up. Through `..` of the
    // child being left that costs no name; by the names from the root it cost 20,000.
    chain(t.path(), 200, "a", "z.txt", true);
    let mut walk = plain();
    walk.max_open = 2;
    let mut files = 0;
    let mut emit = |e: Entry| files += usize::from(matches!(e, Entry::File { .. }));
    let mut w = Walker::new(&walk, 0, None, &mut emit);
    w.root(t.path());
    w.descend();
    let (by_names, counts) = (w.reopened_by_names, w.counts);
    assert_eq!(files, 201);
    assert_eq!(by_names, 0);
    assert_eq!((counts.dirs_noatime, counts.dirs_plain), (201, 0));
}

#[test]
fn huge_directories_are_read_in_passes_in_order() {
    let t = tempfile::tempdir().unwrap();
    let mut expected = Vec::new();
    for i in 0..600u32 {
        let name = format!("f{:08x}", i.wrapping_mul(2_654_435_761));
        fs::write(t.path().join(&name), "").unwrap();
        expected.push((name, "file".to_string()));
    }
    write(t.path(), "m/inni.txt");
    expected.push(("m/inni.txt".into(), "file".into()));
    expected.sort();
    let mut walk = plain();
    walk.listing_budget = 2048;
    assert_eq!(run(&walk, t.path()).0, expected);
}

#[test]
fn exclusion_by_glob_and_by_identity() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    for rel in [
        "a.txt",
        "app.log",
        "node_modules/x/y.js",
        "sub/inv.json",
        "sub/b.txt",
    ] {
        write(r, rel);
    }
    fs::hard_link(r.join("sub/inv.json"), r.join("kopi.json")).unwrap();
    let m = fs::metadata(r.join("sub/inv.json")).unwrap();
    let ex = Exclude::new(
        &["*.log".into(), "node_modules".into()],
        vec![(m.dev(), m.ino())],
    );
    let walk = Walk::new(false, ex.unwrap());
    let (got, counts) = run(&walk, r);
    assert_eq!(got, pairs(&[("a.txt", "file"), ("sub/b.txt", "file")]));
    // app.log, node_modules (not entered), and the report under both of its names.
    assert_eq!(counts.excluded, 4);
}

#[test]
fn shards_partition_the_entries_of_a_walk() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    for i in 0..300 {
        write(r, &format!("d{}/e{}/f{i}.txt", i % 5, i % 3));
    }
    write(r, "skip.log");
    symlink("x", r.join("lenke")).unwrap();
    mknod(&r.join("fifo"), libc::S_IFIFO, 0);
    let ex = || Exclude::new(&["*.log".into()], vec![]).unwrap();
    let (all, all_counts) = run(&Walk::new(false, ex()), r);
    assert_eq!(all.len(), 302);
    let mut union = Vec::new();
    let mut excluded = 0;
    for i in 0..3 {
        let walk = Walk::new(false, ex()).with_shard(Some(Shard::new(i, 3).unwrap()));
        let (got, counts) = run(&walk, r);
        assert!((70..=130).contains(&got.len()), "shard {i}: {}", got.len());
        // Every shard walks (and counts) every directory.
        assert_eq!(counts.dirs_noatime, all_counts.dirs_noatime);
        excluded += counts.excluded;
        union.extend(got);
    }
    union.sort();
    let mut all_sorted = all.clone();
    all_sorted.sort();
    assert_eq!(union, all_sorted, "disjoint and complete");
    assert_eq!(excluded, all_counts.excluded);
}

#[test]
fn a_watched_walk_says_where_it_is_and_stops_once_given_up() {
    let t = tempfile::tempdir().unwrap();
    for d in ["a", "b", "c"] {
        for f in ["1.txt", "2.txt"] {
            write(t.path(), &format!("{d}/{f}"));
        }
    }
    let walk = Walk::new(false, Exclude::new(&["c/2.txt".into()], vec![]).unwrap());
    // Watched to the end: the same entries and counts as unwatched, the counts kept in the
    // watch too, and the last call's path, ended.
    let watch = Watch::default();
    let mut out = Vec::new();
    let counts = walk.run_watched(t.path(), 0, &watch, &mut |e| {
        out.push(summary(t.path(), &e))
    });
    assert_eq!((out.clone(), counts), run(&walk, t.path()));
    assert_eq!(watch.counts(), counts);
    assert_eq!(counts.excluded, 1);
    assert_eq!(watch.call() % 2, 0, "no call under way");
    assert!(
        watch.call() >= 2 * 13,
        "each stat, open, listing and close counted"
    );
    // Given up after its first entry: nothing is walked after it. The entry came from the
    // stat of its path, the call last made.
    let watch = Watch::default();
    let mut out = Vec::new();
    walk.run_watched(t.path(), 0, &watch, &mut |e| {
        out.push(summary(t.path(), &e));
        assert_eq!(watch.path(), (t.path().join("a/1.txt"), true));
        watch.give_up();
    });
    assert_eq!(out, pairs(&[("a/1.txt", "file")]));
}

/// Network and cluster file systems are told by their `statfs` magic; local ones are not, and
/// the directories the tests run in are local.
#[test]
fn network_file_systems_are_told_by_their_magic() {
    // NFS, CIFS, SMB2/3, FUSE (sshfs, rclone), Ceph.
    for magic in [0x6969, 0xFF53_4D42, 0xFE53_4D42, 0x6573_5546, 0x00C3_6400] {
        assert!(network_magic(magic), "{magic:#x}");
    }
    // ext4, XFS, Btrfs, tmpfs, overlayfs, ZFS, procfs.
    for magic in [
        0xEF53,
        0x5846_5342,
        0x9123_683E,
        0x0102_1994,
        0x794C_7630,
        0x2FC1_2FC1,
        0x9FA0,
    ] {
        assert!(!network_magic(magic), "{magic:#x}");
    }
    let dir = tempfile::tempdir().unwrap();
    assert!(!on_network_fs(dir.path()));
    assert!(!on_network_fs(&dir.path().join("no such directory")));
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    assert_eq!(
        crate::scan::default_threads(&[dir.path().to_path_buf()]),
        cores.clamp(2, 32),
        "one reader per core on a local disk"
    );
}
