//! Writing small PDF files byte by byte, for tests and benchmarks: objects are given as
//! their bodies, and the cross-reference table is computed. Being raw, it writes broken
//! files as easily as good ones (a wrong `/Length`, a reference loop), which is what the
//! robustness tests need.

use std::io::Write;

/// Objects of a PDF being written.
#[derive(Default)]
pub struct Builder {
    objs: Vec<(u32, Vec<u8>)>,
}

/// A Helvetica font dictionary (WinAnsi), the usual `/F1` of [`text_pdf`].
pub const HELVETICA: &[u8] =
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";

impl Builder {
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Object `n` with the body `body` (what goes between `n 0 obj` and `endobj`).
    pub fn obj(&mut self, n: u32, body: impl AsRef<[u8]>) -> &mut Builder {
        self.objs.push((n, body.as_ref().to_vec()));
        self
    }

    /// A stream object with `/Length` set right and `extra` entries in its dictionary.
    pub fn stream(&mut self, n: u32, extra: &str, data: &[u8]) -> &mut Builder {
        let mut body = format!("<< /Length {} {extra} >>\nstream\n", data.len()).into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        self.obj(n, body)
    }

    /// A Flate-compressed stream object.
    pub fn flate(&mut self, n: u32, extra: &str, data: &[u8]) -> &mut Builder {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(data).expect("in memory");
        let packed = z.finish().expect("in memory");
        self.stream(n, &format!("/Filter /FlateDecode {extra}"), &packed)
    }

    /// An object stream `n` holding `members` (number, body); `extra` goes into its
    /// dictionary, and `length` replaces its `/Length` when given (`"11 0 R"`).
    pub fn objstm(
        &mut self,
        n: u32,
        members: &[(u32, &[u8])],
        extra: &str,
        length: Option<&str>,
    ) -> &mut Builder {
        let mut index = String::new();
        let mut data = Vec::new();
        for (m, body) in members {
            index.push_str(&format!("{m} {} ", data.len()));
            data.extend_from_slice(body);
            data.push(b' ');
        }
        let mut plain = index.clone().into_bytes();
        plain.extend_from_slice(&data);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&plain).expect("in memory");
        let packed = z.finish().expect("in memory");
        let len = length.map_or(packed.len().to_string(), str::to_string);
        let mut body = format!(
            "<< /Type /ObjStm /N {} /First {} /Filter /FlateDecode /Length {len} {extra} >>\nstream\n",
            members.len(),
            index.len()
        )
        .into_bytes();
        body.extend_from_slice(&packed);
        body.extend_from_slice(b"\nendstream");
        self.obj(n, body)
    }

    /// Header and objects; returns the file so far and each object's offset.
    fn body(&self) -> (Vec<u8>, Vec<Option<usize>>) {
        let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
        let size = self.objs.iter().map(|o| o.0).max().unwrap_or(0) + 1;
        let mut offsets = vec![None; size as usize];
        for (n, body) in &self.objs {
            offsets[*n as usize] = Some(out.len());
            out.extend_from_slice(format!("{n} 0 obj\n").as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        (out, offsets)
    }

    /// The file with a cross-reference stream (object `xref_num`) instead of a table: the
    /// objects given, plus `packed` (number, object stream, index) as members of object
    /// streams; `trailer` goes into the stream's dictionary.
    pub fn finish_with_xref_stream(
        &self,
        xref_num: u32,
        packed: &[(u32, u32, u32)],
        trailer: &str,
    ) -> Vec<u8> {
        let (mut out, offsets) = self.body();
        let xref = out.len();
        let size = (offsets.len() as u32)
            .max(xref_num + 1)
            .max(packed.iter().map(|p| p.0 + 1).max().unwrap_or(0));
        let mut rows = Vec::new();
        for n in 0..size {
            let row: [u8; 6] = if n == xref_num {
                let o = (xref as u32).to_be_bytes();
                [1, o[0], o[1], o[2], o[3], 0]
            } else if let Some(Some(o)) = offsets.get(n as usize) {
                let o = (*o as u32).to_be_bytes();
                [1, o[0], o[1], o[2], o[3], 0]
            } else if let Some(&(_, stm, idx)) = packed.iter().find(|p| p.0 == n) {
                let s = stm.to_be_bytes();
                [2, s[0], s[1], s[2], s[3], idx as u8]
            } else {
                [0, 0, 0, 0, 0, 0xFF]
            };
            rows.extend_from_slice(&row);
        }
        out.extend_from_slice(
            format!(
                "{xref_num} 0 obj\n<< /Type /XRef /Size {size} /W [1 4 1] /Root 1 0 R /Length {} {trailer} >>\nstream\n",
                rows.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(&rows);
        out.extend_from_slice(
            format!("\nendstream\nendobj\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
        );
        out
    }

    /// The file: header, objects in the order given, cross-reference table, and a trailer
    /// with `/Root 1 0 R`, `/Size` and `trailer` added.
    pub fn finish(&self, trailer: &str) -> Vec<u8> {
        let (mut out, offsets) = self.body();
        let size = offsets.len();
        let xref = out.len();
        out.extend_from_slice(format!("xref\n0 {size}\n").as_bytes());
        for off in &offsets {
            match off {
                Some(o) => out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes()),
                None => out.extend_from_slice(b"0000000000 65535 f \n"),
            }
        }
        // `{xref}` in the trailer is the table's own offset (for `/Prev` loops).
        let trailer = trailer.replace("{xref}", &xref.to_string());
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {size} /Root 1 0 R {trailer} >>\nstartxref\n{xref}\n%%EOF\n"
            )
            .as_bytes(),
        );
        out
    }
}

/// A PDF with one page per content stream, Helvetica as `/F1` (object 3), pages from
/// object 10 on and their contents from object 1000 on.
pub fn text_pdf(contents: &[&[u8]]) -> Vec<u8> {
    let mut b = Builder::new();
    let kids: Vec<String> = (0..contents.len())
        .map(|i| format!("{} 0 R", 10 + i))
        .collect();
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>");
    b.obj(
        2,
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} /Resources << /Font << /F1 3 0 R >> >> /MediaBox [0 0 595 842] >>",
            kids.join(" "),
            contents.len()
        ),
    );
    b.obj(3, HELVETICA);
    for (i, c) in contents.iter().enumerate() {
        let n = 10 + i as u32;
        b.obj(
            n,
            format!("<< /Type /Page /Parent 2 0 R /Contents {} 0 R >>", 1000 + n),
        );
        b.flate(1000 + n, "", c);
    }
    b.finish("")
}
