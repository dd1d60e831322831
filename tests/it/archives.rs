//! Archives under pressure: member counts, bombs, truncated and damaged archives, member
//! names. Every hostile archive is made at test time (docs/identifiers.md for the numbers).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::harness::{scan, status, Tree};

const FNR: &str = "13097248022";

fn zip_with(path: &Path, method: zip::CompressionMethod, members: &[(&str, &[u8])]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(method)
        .large_file(false);
    for (name, data) in members {
        z.start_file(*name, opts).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap();
}

fn findings_of(rec: &Value, kind: &str) -> usize {
    rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .count()
}

/// Runs a scan and returns its JSON inventory and the peak resident memory of the process, in
/// KiB: its `VmHWM`, read while it runs (the high-water mark of its own address space; the
/// `ru_maxrss` of a child also counts the parent's memory at fork time).
fn scan_measured(path: &Path, extra: &[&str], out: &Path) -> (Value, u64) {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("kartlegg"))
        .args(["scan", "--format", "json", "--no-progress", "-o"])
        .arg(out)
        .args(extra)
        .arg(path)
        .env_remove("KARTLEGG_HASH_KEY")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status) {
            if let Some(kib) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").parse::<u64>().ok())
            {
                peak = peak.max(kib);
            }
        }
        if let Some(st) = child.try_wait().unwrap() {
            assert!(st.code().is_some(), "the scan died: {st}");
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let inv: Value = serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
    (inv, peak)
}

/// 120,000 members (ZIP64 directory) are read in memory that does not grow with the count:
/// the directory is walked one entry at a time and member records go to the writer as they
/// are made. (The `zip` crate's index alone took about 1.4 KiB per entry.)
#[test]
fn a_zip_of_many_members_is_read_in_bounded_memory() {
    let t = Tree::new();
    let names: Vec<String> = (0..120_000)
        .map(|i| format!("d{}/{i}.txt", i % 100))
        .collect();
    let last = format!("fnr {FNR}\n");
    let members: Vec<(&str, &[u8])> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let data: &[u8] = if i == names.len() - 1 {
                last.as_bytes()
            } else {
                b"x"
            };
            (n.as_str(), data)
        })
        .collect();
    let zip = t.path().join("mange.zip");
    zip_with(&zip, zip::CompressionMethod::Stored, &members);
    drop(members);
    let (inv, kib) = scan_measured(
        &zip,
        &["--max-entries", "300000"],
        &t.path().join("inv.json"),
    );
    crate::harness::assert_valid(&inv);
    let files = inv["files"].as_array().unwrap();
    assert_eq!(files.len(), 120_001);
    let z = crate::harness::file(&inv, "mange.zip");
    assert_eq!(status(z), ("scanned", ""));
    let m = crate::harness::file(&inv, "mange.zip!/d99/119999.txt");
    assert_eq!(findings_of(m, "fodselsnummer"), 1);
    assert!(kib < 100 * 1024, "peak {kib} KiB for 120,000 members");
}

/// The entries limit stops a zip after that many members; those before it are recorded.
#[test]
fn the_entries_limit_keeps_the_members_read_before_it() {
    let t = Tree::new();
    let names: Vec<String> = (0..30).map(|i| format!("f{i:02}.txt")).collect();
    let members: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"hei\n"[..])).collect();
    zip_with(
        &t.path().join("many.zip"),
        zip::CompressionMethod::Deflated,
        &members,
    );
    let r = scan(&[t.path()], &["--max-entries", "10"]);
    assert_eq!(
        status(r.file("many.zip")),
        ("limit_exceeded", "entries_limit")
    );
    r.file("many.zip!/f09.txt");
    assert!(!r
        .files()
        .iter()
        .any(|f| f["path"].as_str().unwrap().ends_with("f10.txt")));
}

/// A 1000:1 member gets its own `limit_exceeded`/`ratio_limit` record and the archive reads on
/// past it; a gzip bomb's member too.
#[test]
fn a_bomb_member_is_recorded_and_the_archive_goes_on() {
    let t = Tree::new();
    let zeros = vec![0u8; 16 << 20];
    let fnr = format!("fnr {FNR}\n");
    zip_with(
        &t.path().join("bomb.zip"),
        zip::CompressionMethod::Deflated,
        &[
            ("a.txt", b"tlf 92345678\n"),
            ("zeros.bin", &zeros),
            ("b.txt", fnr.as_bytes()),
        ],
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&zeros).unwrap();
    t.file("zeros.txt.gz", gz.finish().unwrap());
    let r = scan(&[t.path()], &[]);
    let z = r.file("bomb.zip");
    assert_eq!(status(z), ("limit_exceeded", "ratio_limit"));
    assert!(z["detail"].as_str().unwrap().contains("(zeros.bin)"));
    assert_eq!(
        status(r.file("bomb.zip!/zeros.bin")),
        ("limit_exceeded", "ratio_limit")
    );
    assert_eq!(findings_of(r.file("bomb.zip!/b.txt"), "fodselsnummer"), 1);
    assert_eq!(findings_of(r.file("bomb.zip!/a.txt"), "phone"), 1);
    assert_eq!(
        status(r.file("zeros.txt.gz!/zeros.txt")),
        ("limit_exceeded", "ratio_limit")
    );
    assert_eq!(
        status(r.file("zeros.txt.gz")),
        ("limit_exceeded", "ratio_limit")
    );
}

/// Fifty zips in zips and fifty gzip layers: the depth limit lists the member where it stops.
#[test]
fn fifty_levels_of_nesting_stop_at_the_depth_limit() {
    let t = Tree::new();
    let dir = tempfile::tempdir().unwrap();
    let mut data = format!("fnr {FNR}\n").into_bytes();
    let mut name = "bunn.txt".to_string();
    for level in 0..50 {
        let p = dir.path().join("z.zip");
        zip_with(
            &p,
            zip::CompressionMethod::Deflated,
            &[(name.as_str(), &data)],
        );
        data = std::fs::read(&p).unwrap();
        name = format!("n{level}.zip");
    }
    t.file("nest.zip", &data);
    let mut gz = format!("fnr {FNR}\n").into_bytes();
    for _ in 0..50 {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&gz).unwrap();
        gz = e.finish().unwrap();
    }
    t.file("nest.txt.gz", &gz);
    let r = scan(&[t.path()], &[]);
    let stops: Vec<&Value> = r
        .files()
        .iter()
        .filter(|f| f["reason"] == "depth_limit")
        .collect();
    assert_eq!(stops.len(), 2, "{stops:#?}");
    assert_eq!(r.files().len(), 2 * (1 + 6));
}

/// A tar header that claims 8 GiB (octal, and base-256) over a few bytes of data: the member
/// and the tar are `partial`/`truncated`, and what the data holds is found.
#[test]
fn a_tar_member_cut_short_is_partial_truncated() {
    let t = Tree::new();
    let body = format!("Fodselsnummer: {FNR}\n");
    for (name, big) in [("oktal.tar", false), ("b256.tar", true)] {
        let mut h = tar::Header::new_gnu();
        h.set_path("stor.txt").unwrap();
        h.set_mode(0o644);
        h.set_size(8 << 30);
        if big {
            // GNU base-256: the top bit of the first byte marks a binary number.
            // 2^33 = 8 GiB, big-endian in bytes 1 to 11.
            let size = &mut h.as_old_mut().size;
            size.fill(0);
            size[0] = 0x80;
            size[7] = 0x02;
        }
        h.set_cksum();
        let mut bytes = h.as_bytes().to_vec();
        let mut data = body.clone().into_bytes();
        data.resize(512, 0);
        bytes.extend(data);
        t.file(name, &bytes);
    }
    let r = scan(&[t.path()], &[]);
    for name in ["oktal.tar", "b256.tar"] {
        let m = r.file(&format!("{name}!/stor.txt"));
        assert_eq!(status(m), ("partial", "truncated"), "{name}");
        assert_eq!(findings_of(m, "fodselsnummer"), 1, "{name}");
        assert_eq!(status(r.file(name)), ("partial", "truncated"), "{name}");
    }
}

/// One stored member for [`raw_zip`]: the name as bytes, general-purpose flags, extra field.
struct Raw<'a> {
    name: &'a [u8],
    flags: u16,
    extra: Vec<u8>,
    data: &'a [u8],
}

/// A zip written byte by byte (stored members), for names and headers no zip tool writes.
fn raw_zip(members: &[Raw<'_>]) -> Vec<u8> {
    let crc = |d: &[u8]| {
        let mut c = flate2::Crc::new();
        c.update(d);
        c.sum()
    };
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for m in members {
        let at = out.len() as u32;
        let common = |v: &mut Vec<u8>| {
            v.extend(m.flags.to_le_bytes());
            v.extend(0u16.to_le_bytes()); // stored
            v.extend([0u8; 4]); // time, date
            v.extend(crc(m.data).to_le_bytes());
            v.extend((m.data.len() as u32).to_le_bytes());
            v.extend((m.data.len() as u32).to_le_bytes());
            v.extend((m.name.len() as u16).to_le_bytes());
            v.extend((m.extra.len() as u16).to_le_bytes());
        };
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend(20u16.to_le_bytes());
        common(&mut out);
        out.extend(m.name);
        out.extend(&m.extra);
        out.extend(m.data);
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend(20u16.to_le_bytes()); // made by: DOS
        central.extend(20u16.to_le_bytes());
        common(&mut central);
        central.extend([0u8; 10]); // comment length, disk, internal and external attributes
        central.extend(at.to_le_bytes());
        central.extend(m.name);
        central.extend(&m.extra);
    }
    let cd_at = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_at.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// Zips that `unzip -t` passes and kartlegg once called damaged (libzip's regression archives,
/// see tests/fixtures/archive/README.md), and members whose local header disagrees with the
/// directory: the values that match the data are used, as `unzip` does.
#[test]
fn zips_that_unzip_reads_are_read() {
    let r = scan(
        &[
            &crate::harness::fixture("archive/test-cp437-comment-utf-8.zip"),
            &crate::harness::fixture("archive/incons-central-file-comment-utf8-ascii.zip"),
        ],
        &[],
    );
    for name in [
        "test-cp437-comment-utf-8.zip",
        "incons-central-file-comment-utf8-ascii.zip",
    ] {
        assert_eq!(status(r.file(name)), ("scanned", ""), "{name}");
    }
    let members = |prefix: &str| {
        r.files()
            .iter()
            .filter(|f| f["path"].as_str().unwrap().contains(prefix))
            .count()
    };
    assert_eq!(members("test-cp437-comment-utf-8.zip!/"), 16);
    assert_eq!(members("incons-central-file-comment-utf8-ascii.zip!/"), 1);
    // CP437 names: the box-drawing row of the code page.
    r.file("test-cp437-comment-utf-8.zip!/▒▓│┤╡╢╖╕╣║╗╝╜╛┐└");

    let t = Tree::new();
    let body = format!("fnr {FNR}\n");
    let good = raw_zip(&[Raw {
        name: b"a.txt",
        flags: 0,
        extra: Vec::new(),
        data: body.as_bytes(),
    }]);
    let cd = good.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap();
    // The directory's CRC is wrong, the local header's right.
    let mut bad_crc = good.clone();
    bad_crc[cd + 16] ^= 0xFF;
    t.file("central-crc.zip", &bad_crc);
    // Both wrong: the member is damaged, and what it holds is still reported.
    let mut both = bad_crc.clone();
    both[14] ^= 0xFF;
    t.file("both-crc.zip", &both);
    let r = scan(&[t.path()], &[]);
    assert_eq!(status(r.file("central-crc.zip")), ("scanned", ""));
    assert_eq!(
        findings_of(r.file("central-crc.zip!/a.txt"), "fodselsnummer"),
        1
    );
    assert_eq!(
        status(r.file("both-crc.zip")),
        ("partial", "damaged_entries")
    );
    let m = r.file("both-crc.zip!/a.txt");
    assert_eq!(status(m), ("partial", "corrupt"));
    assert_eq!(findings_of(m, "fodselsnummer"), 1);
}

/// Member names as the archive means them: UTF-8 under the flag, an Info-ZIP Unicode Path
/// field, else CP437; bytes that are not UTF-8 under the flag stay distinct (`\xHH`) from each
/// other and from a real U+FFFD.
#[test]
fn member_names_are_decoded_per_entry_and_stay_distinct() {
    let t = Tree::new();
    let body = format!("fnr {FNR}\n");
    let unicode = |raw: &[u8], name: &str| {
        let mut c = flate2::Crc::new();
        c.update(raw);
        let mut x = 0x7075u16.to_le_bytes().to_vec();
        x.extend(((5 + name.len()) as u16).to_le_bytes());
        x.push(1);
        x.extend(c.sum().to_le_bytes());
        x.extend(name.as_bytes());
        x
    };
    let member = |name: &'static [u8], flags: u16, extra: Vec<u8>| Raw {
        name,
        flags,
        extra,
        data: body.as_bytes(),
    };
    let z = raw_zip(&[
        member(b"a\xff.txt", 0x800, Vec::new()),
        member(b"a\xfe.txt", 0x800, Vec::new()),
        member("a\u{fffd}.txt".as_bytes(), 0x800, Vec::new()),
        member(b"r\x9bd.txt", 0, Vec::new()),
        member(b"dir\\sub\\x.txt", 0, Vec::new()),
        member(b"l\x9bnn.txt", 0, unicode(b"l\x9bnn.txt", "lønn.txt")),
    ]);
    t.file("navn.zip", &z);
    let r = scan(&[t.path()], &[]);
    assert_eq!(status(r.file("navn.zip")), ("scanned", ""));
    for name in [
        "navn.zip!/a\\xff.txt",
        "navn.zip!/a\\xfe.txt",
        "navn.zip!/a\u{fffd}.txt",
        "navn.zip!/r¢d.txt",
        "navn.zip!/dir/sub/x.txt",
        "navn.zip!/lønn.txt",
    ] {
        let m = r.file(name);
        assert_eq!(findings_of(m, "fodselsnummer"), 1, "{name}");
    }
    let paths: std::collections::HashSet<&str> = r
        .files()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), 7);
}

/// A compressed stream cut short: what came before the cut is read and reported; the member
/// and the file are `partial`/`truncated` (a tar inside too).
#[test]
fn a_compressed_stream_cut_short_is_partial_truncated() {
    let t = Tree::new();
    // Text that does not compress much, with a number at the start.
    let mut text = format!("fnr {FNR}\n");
    let mut x = 7u32;
    while text.len() < 200_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        text.push(char::from(b'a' + (x >> 16) as u8 % 26));
    }
    let gz = |data: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    };
    let whole = gz(text.as_bytes());
    t.file("kutt.txt.gz", &whole[..whole.len() * 2 / 3]);
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(text.len() as u64);
    h.set_mode(0o644);
    tar.append_data(&mut h, "notat.txt", text.as_bytes())
        .unwrap();
    let tgz = gz(&tar.into_inner().unwrap());
    t.file("kutt.tgz", &tgz[..tgz.len() * 2 / 3]);
    let r = scan(&[t.path()], &[]);
    for (file, member) in [
        ("kutt.txt.gz", "kutt.txt.gz!/kutt.txt"),
        ("kutt.tgz", "kutt.tgz!/notat.txt"),
    ] {
        assert_eq!(status(r.file(file)), ("partial", "truncated"), "{file}");
        let m = r.file(member);
        assert_eq!(status(m), ("partial", "truncated"), "{member}");
        assert_eq!(findings_of(m, "fodselsnummer"), 1, "{member}");
    }
}
