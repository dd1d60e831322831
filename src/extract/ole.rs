//! OLE2 compound files (`D0 CF 11 E0`): a container format shared by xls workbooks, Word .doc,
//! PowerPoint .ppt, Outlook .msg and password-protected OOXML files. What a file is, is decided
//! by the names of the streams in its root storage (read from the directory only), as
//! [`super::zipkind`] does for zips; only workbooks are read, the others get a status that
//! names the likely format.

use std::io::{self, Read, Seek, SeekFrom};

use super::{ExtractError, Extracted, Input, ReadSeek, Sink};
use crate::read::sniff::Format;

/// Classifies by the root storage's entry names.
///
/// Workbooks are `Workbook` (or `Book` for Excel 5); an OOXML file encrypted with a password
/// holds `EncryptionInfo` + `EncryptedPackage`; Word has `WordDocument`, PowerPoint
/// `PowerPoint Document`, Outlook messages `__substg1.0_*` property streams.
pub(crate) fn classify(input: &mut Input<'_>) -> Result<Format, ExtractError> {
    let cf = open(input.seekable()?)?;
    let names: Vec<String> = cf
        .read_root_storage()
        .map(|e| e.name().to_string())
        .collect();
    let has = |n: &str| names.iter().any(|x| x == n);
    Ok(if has("EncryptedPackage") {
        Format::EncryptedOoxml
    } else if has("Workbook") || has("Book") {
        Format::Xls
    } else if has("WordDocument") {
        Format::Doc
    } else if has("PowerPoint Document") {
        Format::Ppt
    } else if names.iter().any(|n| n.starts_with("__substg1.0_")) {
        Format::Msg
    } else {
        Format::Ole
    })
}

/// Opens a compound file.
///
/// Word and Excel write files whose last FAT sector describes sectors past the end of the
/// file and marks them end-of-chain instead of free (Word's `simple_normal_case.doc`,
/// encrypted packages); Word, LibreOffice and Apache POI read them, but the `cfb` crate refuses
/// a FAT longer than the file. Such a file is read as if zeros padded it to the length its
/// FAT describes (no sector of a stream lies there, so nothing is read from the padding).
pub(crate) fn open(
    reader: &mut dyn ReadSeek,
) -> Result<cfb::CompoundFile<Padded<&mut dyn ReadSeek>>, ExtractError> {
    let padded = Padded::new(reader)?;
    cfb::CompoundFile::open(padded).map_err(|_| {
        ExtractError::Corrupt("damaged OLE compound file (directory unreadable)".into())
    })
}

/// A compound file seen with zeros after its end, up to the length its FAT describes.
pub(crate) struct Padded<R> {
    inner: R,
    len: u64,
    padded: u64,
    pos: u64,
}

impl<R: Read + Seek> Padded<R> {
    fn new(mut inner: R) -> io::Result<Padded<R>> {
        let len = inner.seek(SeekFrom::End(0))?;
        let mut header = [0u8; 512];
        inner.rewind()?;
        let n = io::Read::read(&mut inner.by_ref().take(512), &mut header)?;
        let field = |at: usize, n: usize| {
            header[at..at + n]
                .iter()
                .rev()
                .fold(0u64, |v, &b| v << 8 | u64::from(b))
        };
        let shift = field(30, 2);
        let fat_sectors = field(44, 4);
        // Sectors the FAT describes, after the header sector.
        let described = match (n, shift) {
            (512, 9 | 12) => {
                let size = 1u64 << shift;
                fat_sectors
                    .saturating_mul(size / 4)
                    .saturating_add(1)
                    .saturating_mul(size)
            }
            _ => 0,
        };
        // Only a FAT that the file's own sectors could hold is believed.
        let plausible = fat_sectors.saturating_mul(512) <= len;
        inner.rewind()?;
        Ok(Padded {
            inner,
            len,
            padded: if plausible { len.max(described) } else { len },
            pos: 0,
        })
    }
}

impl<R: Read + Seek> Read for Padded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.padded {
            return Ok(0);
        }
        let n = if self.pos < self.len {
            let want = buf.len().min((self.len - self.pos) as usize);
            self.inner.read(&mut buf[..want])?
        } else {
            let n = buf.len().min((self.padded - self.pos) as usize);
            buf[..n].fill(0);
            n
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for Padded<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.padded.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek out of range"))?;
        self.inner.seek(SeekFrom::Start(pos.min(self.len)))?;
        self.pos = pos;
        Ok(pos)
    }
}

/// An OLE2 file that is not a workbook (workbooks go to [`super::sheet`]): its document
/// properties are read, and its status names the format.
pub(crate) fn unread(
    input: &mut Input<'_>,
    format: Format,
    sink: &mut dyn Sink,
) -> Result<Extracted, ExtractError> {
    let mut cf = open(input.seekable()?)?;
    super::office::props::ole(&mut cf, sink);
    Err(match format {
        Format::EncryptedOoxml => ExtractError::Encrypted(
            "password-protected Office document (encrypted xlsx/docx/pptx package)".into(),
        ),
        Format::Doc => {
            ExtractError::Unsupported("Word 97-2003 document (.doc, OLE2) is not read".into())
        }
        Format::Ppt => ExtractError::Unsupported(
            "PowerPoint 97-2003 presentation (.ppt, OLE2) is not read".into(),
        ),
        Format::Msg => ExtractError::Unsupported("Outlook message (.msg, OLE2) is not read".into()),
        _ => ExtractError::Unsupported(
            "OLE2 compound file that is not an xls workbook (no Workbook stream)".into(),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::testing::{fixture, run};

    fn kind(name: &str) -> Format {
        let mut k = None;
        let _ = run(name, &fixture(name), |input, _| {
            k = Some(classify(input).unwrap());
            Ok(Extracted::default())
        });
        k.unwrap()
    }

    #[test]
    fn compound_files_are_told_apart_by_their_streams() {
        assert_eq!(kind("ansatte.xls"), Format::Xls);
        assert_eq!(kind("encrypted.xlsx"), Format::EncryptedOoxml);
        assert_eq!(kind("brev.doc"), Format::Doc);
    }

    /// `data` (a compound file) with the FAT entries past the end of the file marked
    /// end-of-chain instead of free, as Word writes them.
    pub(crate) fn words_fat(data: &[u8]) -> Vec<u8> {
        let mut out = data.to_vec();
        let u32_at = |d: &[u8], at: usize| u32::from_le_bytes(d[at..at + 4].try_into().unwrap());
        let size = 1usize << u16::from_le_bytes([data[30], data[31]]);
        let sectors = (data.len() - size) / size;
        let mut changed = 0;
        for k in 0..u32_at(data, 44) as usize {
            let fat = (u32_at(data, 76 + 4 * k) as usize + 1) * size;
            for e in 0..size / 4 {
                let at = fat + 4 * e;
                if k * size / 4 + e >= sectors && u32_at(&out, at) == u32::MAX {
                    out[at..at + 4].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
                    changed += 1;
                }
            }
        }
        assert!(changed > 0, "the FAT describes sectors past the end");
        out
    }

    #[test]
    fn a_fat_longer_than_the_file_is_read_as_word_and_excel_read_it() {
        for (name, format) in [
            ("brev.doc", Format::Doc),
            ("encrypted.xlsx", Format::EncryptedOoxml),
        ] {
            let data = words_fat(&fixture(name));
            assert!(
                cfb::CompoundFile::open(std::io::Cursor::new(&data)).is_err(),
                "the cfb crate alone refuses {name}"
            );
            let mut k = None;
            let _ = run(name, &data, |input, _| {
                k = Some(classify(input).unwrap());
                Ok(Extracted::default())
            });
            assert_eq!(k, Some(format), "{name}");
        }
    }

    #[test]
    fn padding_is_zeros_up_to_what_the_fat_describes() {
        let data = words_fat(&fixture("brev.doc"));
        let mut p = Padded::new(std::io::Cursor::new(&data)).unwrap();
        let end = p.seek(SeekFrom::End(0)).unwrap();
        assert!(end > data.len() as u64);
        let mut tail = Vec::new();
        p.seek(SeekFrom::Start(data.len() as u64 - 4)).unwrap();
        p.read_to_end(&mut tail).unwrap();
        assert_eq!(tail.len() as u64, end - data.len() as u64 + 4);
        assert_eq!(&tail[..4], &data[data.len() - 4..]);
        assert!(tail[4..].iter().all(|&b| b == 0));
    }

    #[test]
    fn a_damaged_directory_is_corrupt() {
        let data = fixture("ansatte.xls");
        let (r, _) = run("x.xls", &data[..600], |i, _| {
            classify(i).map(|_| Extracted::default())
        });
        assert!(matches!(r, Err(ExtractError::Corrupt(_))), "{r:?}");
    }
}
