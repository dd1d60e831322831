//! Text inputs that carry structure: SQL dumps, CSV/TSV, JSON and NDJSON, HTML and XML,
//! Markdown and YAML.
//!
//! [`detect`] decides from the extension and the decoded head (cheap: called for every text
//! input); the readers work on a plain `Read` stream from the input's first byte, so the same
//! code reads a file on disk and a member decompressed on the fly (`dump.sql.gz`), without
//! seeking. Every encoding is transcoded to UTF-8 first (UTF-8 is checked and passed on; a
//! delimited file's UTF-8 is passed on unchecked, its cells are checked one by one).

use std::io::Read;

use encoding_rs::Encoding;

use super::delimited::Feed;
use super::{
    delimited, json, markdown, markup, sql, yaml, Env, ExtractError, Extracted, Input, Sink, Status,
};
use crate::read::sniff::{self, Format};

/// The structured format of a text input, if any, from its head decoded (`text`; `whole`: the
/// head is all of the input). `ext` is the lower-cased extension.
pub fn detect(ext: &str, text: &str, whole: bool) -> Option<Format> {
    match ext {
        "md" | "markdown" => return Some(Format::Markdown),
        "yaml" | "yml" => return Some(Format::Yaml),
        _ => {}
    }
    if sql::detect(ext, text) {
        return Some(Format::Sql);
    }
    if let Some(kind) = json::detect(ext, text) {
        return Some(kind);
    }
    if let Some(kind) = markup::detect(ext, text) {
        return Some(kind);
    }
    delimited::detect(ext, text, whole)
        .map(|(delimiter, header)| Format::Delimited { delimiter, header })
}

/// Reads a structured file (top level or seekable member).
pub fn extract_file(
    input: &mut Input<'_>,
    kind: Format,
    encoding: &'static Encoding,
    sink: &mut dyn Sink,
) -> Result<Extracted, ExtractError> {
    let env = Env {
        det: input.det,
        clock: input.clock,
        limits: input.limits,
    };
    let head = input.head;
    let whole = input.head_is_all();
    extract_stream(kind, input.reader()?, head, whole, encoding, &env, sink)
}

/// Reads `reader` (from the input's first byte) as `kind`; `whole`: `head` is all of it.
pub fn extract_stream(
    kind: Format,
    reader: &mut dyn Read,
    head: &[u8],
    whole: bool,
    encoding: &'static Encoding,
    env: &Env<'_>,
    sink: &mut dyn Sink,
) -> Result<Extracted, ExtractError> {
    // A delimited file in UTF-8 is read as it is (its byte order mark dropped): its cells are
    // tested as bytes and made text one by one, invalid sequences replaced then, so a
    // decoder's copy and check of every byte would be work for nothing. (A sequence that
    // quotes split, `"a\xc3"\xa5`, comes out whole, where the decoder replaced both halves.)
    // Without a set encoding the builder looks for a byte order mark itself; a UTF-16 one
    // would pick a UTF-16 decoder, but such a head is never sniffed as UTF-8.
    // One that is all in its head is read there, not through the decoder's buffer.
    let raw = encoding == encoding_rs::UTF_8 && matches!(kind, Format::Delimited { .. });
    let direct = raw && whole;
    let utf8 = || {
        encoding_rs_io::DecodeReaderBytesBuilder::new()
            .encoding((!raw).then_some(encoding))
            .utf8_passthru(true)
            .strip_bom(true)
            .build(reader)
    };
    let label = sniff::encoding_name(encoding, false);
    let mut out = match kind {
        Format::Sql => {
            let (text, _, _) = encoding.decode(head);
            let stats = sql::extract(&mut utf8(), &text, env, sink)?;
            let mut e = Extracted::new("sql", stats.bytes);
            if stats.truncated > 0 {
                e = e.with_note(
                    Status::Partial,
                    "value_too_long",
                    format!(
                        "{} values over {} MiB were scanned in their first {} MiB only",
                        stats.truncated,
                        sql::MAX_VALUE >> 20,
                        sql::MAX_VALUE >> 20
                    ),
                );
            }
            e
        }
        Format::Delimited { delimiter, header } => {
            let mut decoded;
            let input = if direct {
                Feed::Bytes(head.strip_prefix(sniff::UTF8_BOM).unwrap_or(head))
            } else {
                decoded = utf8();
                Feed::Read(&mut decoded)
            };
            let bytes = delimited::extract(input, delimiter, header, env, sink)?;
            Extracted::new(if delimiter == b'\t' { "tsv" } else { "csv" }, bytes)
        }
        f @ (Format::Html | Format::Xml) => {
            let bytes = markup::extract(&mut utf8(), f == Format::Xml, env, sink)?;
            Extracted::new(f.name(), bytes)
        }
        Format::Markdown => Extracted::new("markdown", markdown::extract(&mut utf8(), env, sink)?),
        Format::Yaml => Extracted::new("yaml", yaml::extract(&mut utf8(), env, sink)?),
        f @ (Format::Json | Format::Ndjson) => {
            let bytes = json::extract(&mut utf8(), f == Format::Ndjson, env, sink)?;
            Extracted::new(f.name(), bytes)
        }
        other => unreachable!("not a structured text format: {other:?}"),
    };
    out.encoding = Some(label);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{ChunkContext, Detector};
    use crate::extract::text;

    /// A delimited file in UTF-8 is read as it is; its cells, and the header cells' columns,
    /// come out as they did when the whole file was decoded first (byte order mark dropped,
    /// invalid bytes replaced).
    #[test]
    fn a_utf8_table_read_as_bytes_gives_the_decoded_files_cells() {
        // A stray continuation byte in the header: no character of its own in the bytes, one
        // U+FFFD once decoded.
        let data = b"\xEF\xBB\xBFna\x80vn;fnr\nKari \xff;13097248022\n\xc3;x\xe2\x82\n";
        let decoded = encoding_rs::UTF_8.decode_with_bom_removal(data).0;
        let kind = Format::Delimited {
            delimiter: b';',
            header: true,
        };
        /// Each chunk's text, position and location.
        #[derive(Default)]
        struct Cells(Vec<String>);
        impl Sink for Cells {
            fn chunk(&mut self, c: &crate::extract::Chunk<'_>) {
                let text = &c.text[c.report.clone()];
                self.0
                    .push(format!("{text:?} {:?} {:?}", c.position, c.base));
            }
        }
        let cells = |bytes: &[u8]| {
            let det = crate::extract::testing::all_text();
            let limits = crate::extract::Limits::default();
            let env = crate::extract::testing::env(&det, &limits);
            let mut sink = Cells::default();
            extract_stream(
                kind,
                &mut &bytes[..],
                bytes,
                false,
                encoding_rs::UTF_8,
                &env,
                &mut sink,
            )
            .unwrap();
            // Read where it is, as a file all in its head is, it gives the same cells.
            let mut again = Cells::default();
            extract_stream(
                kind,
                &mut &[][..],
                bytes,
                true,
                encoding_rs::UTF_8,
                &env,
                &mut again,
            )
            .unwrap();
            assert_eq!(again.0, sink.0);
            sink.0
        };
        let raw = cells(data);
        assert_eq!(raw, cells(decoded.as_bytes()));
        let all = raw.join("\n");
        assert!(
            all.contains("\"na\u{fffd}vn\" Lines(LinePos { line: 1, column: 1 })"),
            "{all}"
        );
        assert!(
            all.contains("\"fnr\" Lines(LinePos { line: 1, column: 7 })"),
            "{all}"
        );
        assert!(all.contains("\"Kari \u{fffd}\""), "{all}");
    }

    #[test]
    fn formats_are_told_apart_by_content_and_extension() {
        let d = |ext: &str, s: &str| detect(ext, s, true);
        assert_eq!(
            d("txt", "-- MySQL dump 10.13\n\nCREATE TABLE `t` (\n"),
            Some(Format::Sql)
        );
        assert_eq!(
            d(
                "",
                "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE t(a);\n"
            ),
            Some(Format::Sql)
        );
        assert_eq!(d("txt", "Vi skal INSERT INTO noe i teksten.\n"), None);
        assert_eq!(
            d("txt", "navn;fnr;mobil\nKari;1;2\nOla;3;4\n"),
            Some(Format::Delimited {
                delimiter: b';',
                header: true
            })
        );
        assert_eq!(d("json", "{\"a\": 1}"), Some(Format::Json));
        assert_eq!(d("log", "{\"a\": 1}\n{\"a\": 2}\n"), Some(Format::Ndjson));
        assert_eq!(d("txt", "Hei, du. Dette, er tekst\nmed komma\n"), None);
    }

    /// Gives its bytes up to `at` at once, then waits `wait` (once) before giving the rest: a
    /// file that outlives its time budget midway.
    struct Stall<'a> {
        data: &'a [u8],
        given: usize,
        at: usize,
        wait: Option<std::time::Duration>,
    }

    impl Read for Stall<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.given >= self.at {
                if let Some(w) = self.wait.take() {
                    std::thread::sleep(w);
                }
            }
            let mut n = buf.len().min(self.data.len());
            if self.given < self.at {
                n = n.min(self.at - self.given);
            }
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            self.given += n;
            Ok(n)
        }
    }

    /// Takes chunks and drops them.
    struct Discard;
    impl Sink for Discard {
        fn chunk(&mut self, _: &crate::extract::Chunk<'_>) {}
    }

    /// `unit` repeated to about 8 MiB.
    fn repeat(head: &str, unit: &str, tail: &str) -> Vec<u8> {
        let mut s = String::from(head);
        while s.len() < 8 << 20 {
            s.push_str(unit);
        }
        s.push_str(tail);
        s.into_bytes()
    }

    #[test]
    fn every_reader_stops_at_the_time_budget_midway() {
        let inputs: Vec<(Format, Vec<u8>)> = vec![
            (
                Format::Text,
                repeat("", "Kari 13097248022 ringer 41234567.\n", ""),
            ),
            (
                Format::Delimited {
                    delimiter: b';',
                    header: true,
                },
                repeat("navn;fnr\n", "Kari;13097248022\n", ""),
            ),
            (
                Format::Sql,
                repeat("INSERT INTO t VALUES ", "(1,'13097248022'),", "(2,'x');\n"),
            ),
            (
                Format::Json,
                repeat("[", "{\"fnr\": \"13097248022\"},\n", "{}]"),
            ),
            (
                Format::Ndjson,
                repeat("", "{\"fnr\": \"13097248022\"}\n", ""),
            ),
            (
                Format::Html,
                repeat(
                    "<html><body>",
                    "<p>Fnr <b>13097248022</b></p>\n",
                    "</body></html>",
                ),
            ),
            (
                Format::Xml,
                repeat("<a>", "<fnr>13097248022</fnr>\n", "</a>"),
            ),
            (Format::Markdown, repeat("", "Kari 13097248022\n", "")),
            (Format::Yaml, repeat("", "fnr: 13097248022\n", "")),
        ];
        let det = Detector::builtin();
        // A budget that reading the first part takes well within, even in a debug build on a
        // busy machine; the stall then outlasts it.
        let limits = crate::extract::Limits {
            seconds: 3,
            ..Default::default()
        };
        std::thread::scope(|scope| {
            for (format, data) in &inputs {
                let (det, limits) = (&det, &limits);
                scope.spawn(move || {
                    let env = Env {
                        det,
                        clock: crate::extract::Clock::start(limits),
                        limits,
                    };
                    let mut stall = Stall {
                        data,
                        given: 0,
                        at: 256 << 10,
                        wait: Some(std::time::Duration::from_millis(3500)),
                    };
                    let mut sink = Discard;
                    let total = data.len();
                    let r = match format {
                        Format::Text => text::extract(
                            &mut stall,
                            encoding_rs::UTF_8,
                            &crate::extract::Location::default(),
                            ChunkContext::default(),
                            &env.clock,
                            &mut sink,
                        )
                        .map(|_| ()),
                        f => extract_stream(
                            *f,
                            &mut stall,
                            &data[..8192],
                            false,
                            encoding_rs::UTF_8,
                            &env,
                            &mut sink,
                        )
                        .map(|_| ()),
                    };
                    let err = r.expect_err("stopped");
                    assert_eq!(
                        err.as_limit(),
                        Some(crate::extract::Limit::Time),
                        "{format:?}: {err:?}"
                    );
                    // Stopped midway: after the part before the stall, before the end.
                    assert!(
                        stall.given >= 256 << 10 && stall.given < total,
                        "{format:?}: {} of {total} bytes",
                        stall.given
                    );
                });
            }
        });
    }

    #[test]
    fn damaged_inputs_never_panic() {
        let samples: Vec<(Format, &str)> = vec![
            (
                Format::Delimited {
                    delimiter: b';',
                    header: true,
                },
                "navn;fnr;mobil\n\"Kari\";13097248022;\"41 23\n45 67\"\nOla;\"x\"\"y\";2\n",
            ),
            (
                Format::Sql,
                "-- MySQL dump\nCREATE TABLE `p_1` (`a` int, `b` text);\nINSERT INTO `p_1` VALUES (1,'a\\'b 13097248022'),(2,0x3132);\nCOPY t (a) FROM stdin;\nx\\N\t1\n\\.\n/* 41234567 */ UPDATE t SET a='20036914700';\n",
            ),
            (
                Format::Json,
                "{\"a\": [1, \"x\\u00f8\\ud83d\\ude00 13097248022\", {\"20036914700\": null}], \"b\\n\": tru}",
            ),
            (Format::Ndjson, "{\"fnr\": \"13097248022\"}\n[1,\n{\"a\": \"b\\\"\"}\n"),
            (
                Format::Html,
                "<!doctype html><p>a&#64;b.no &amp; <b>130972</b> 48022<table><tr><th>Fnr</th></tr><tr><td>3851598730</td></tr></table><script>x</script><!-- 41234567 --><a href='tel:+4741234567'>",
            ),
            (
                Format::Xml,
                "<?xml version=\"1.0\"?><a x=\"1&amp;2\"><fnr>13097248022</fnr><![CDATA[ 41234567 ]]></a>",
            ),
            (Format::Markdown, "| a | b |\n|---|---|\n| 3851598730 | x\\|y |\ntekst 41234567\n"),
            (Format::Yaml, "a:\n  - fnr: '13097248022'\n  b: |\n    41234567\n"),
        ];
        let det = Detector::builtin();
        let limits = crate::extract::Limits::default();
        let env = crate::extract::testing::env(&det, &limits);
        for (format, sample) in samples {
            let data = sample.as_bytes();
            let mut rng = crate::synth::Rng::new(11);
            for round in 0..400u64 {
                let mut bad = crate::extract::testing::damaged(data, round, 1 + round as usize % 4);
                if round % 3 == 0 {
                    bad.truncate(rng.below(bad.len() as u64 + 1) as usize);
                }
                if round % 5 == 0 {
                    // Bytes that matter to these parsers, at random places.
                    let at = rng.below(bad.len() as u64 + 1) as usize;
                    let special = b"<>&\"'\\\n|:;{}[]-#`";
                    let b = special[rng.below(special.len() as u64) as usize];
                    bad.insert(at, b);
                }
                let head = &bad[..bad.len().min(sniff::HEAD)];
                // Errors are fine (damage); a panic is not, and neither is a bad location.
                let mut sink = Locate;
                let _ = extract_stream(
                    format,
                    &mut &bad[..],
                    head,
                    head.len() == bad.len(),
                    encoding_rs::UTF_8,
                    &env,
                    &mut sink,
                );
            }
        }
    }

    /// Locates every byte of every chunk's report range, as the scan does for candidates.
    struct Locate;
    impl Sink for Locate {
        fn chunk(&mut self, c: &crate::extract::Chunk<'_>) {
            let mut l = crate::extract::Locator::new(c);
            for i in c.report.clone() {
                if c.text.is_char_boundary(i) {
                    let loc = l.locate(i);
                    if let Some(line) = loc.line {
                        assert!(line >= 1);
                    }
                }
            }
        }
    }
}
