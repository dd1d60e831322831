//! The PDF standard security handler, for files that open without a password.
//!
//! Many PDFs are encrypted with an empty user password (only an owner password, to forbid
//! printing or copying): every reader opens them, and so must a scanner. The file key is
//! computed for the empty password (revisions 2–4: MD5 and RC4; 5 and 6: SHA-2 and AES-256),
//! or recovered from an empty owner password; a file that needs a real password is
//! `encrypted`. Strings and streams are then decrypted per object (RC4 or AES-CBC), streams as
//! they are read. The algorithms are those of the PDF specification (ISO 32000-2, 7.6).

use std::io::{self, Read};

use aes::cipher::{generic_array::GenericArray, BlockDecrypt, BlockEncrypt, KeyInit};
use md5::{Digest, Md5};
use sha2::{Sha256, Sha384, Sha512};

use super::object::{Dict, Id, Object};

/// The padding string of the specification (Algorithm 2): the empty password, padded.
const PAD: [u8; 32] = [
    0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
    0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    None,
    Rc4,
    Aes128,
    Aes256,
}

/// Why a file cannot be decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Locked {
    /// It needs a password (or a certificate).
    Password(String),
    /// An encryption kartlegg does not implement.
    Unsupported(String),
}

#[derive(Debug, Clone)]
pub(super) struct Crypt {
    key: Vec<u8>,
    stm: Method,
    strs: Method,
    encrypt_metadata: bool,
}

fn bytes<'a>(d: &'a Dict, key: &[u8]) -> &'a [u8] {
    d.get(key).and_then(Object::as_str).unwrap_or(&[])
}

impl Crypt {
    /// The handler for an `/Encrypt` dictionary (all its values direct) and the first
    /// element of the trailer's `/ID`.
    pub(super) fn open(enc: &Dict, id0: &[u8]) -> Result<Crypt, Locked> {
        match enc.name(b"Filter") {
            Some(b"Standard") | None => {}
            Some(other) => {
                return Err(Locked::Password(format!(
                    "PDF encrypted with the {} security handler (a certificate or plug-in)",
                    String::from_utf8_lossy(other)
                )))
            }
        }
        let v = enc.int(b"V").unwrap_or(0);
        let r = enc.int(b"R").unwrap_or(2);
        let encrypt_metadata = !matches!(enc.get(b"EncryptMetadata"), Some(Object::Bool(false)));
        let (stm, strs) = match v {
            1 | 2 => (Method::Rc4, Method::Rc4),
            4 | 5 => (
                crypt_filter(enc, v, b"StmF")?,
                crypt_filter(enc, v, b"StrF")?,
            ),
            _ => {
                return Err(Locked::Unsupported(format!(
                    "PDF encryption version {v} is not supported"
                )))
            }
        };
        let (o, u) = (bytes(enc, b"O"), bytes(enc, b"U"));
        let key = if r >= 5 {
            key_r6(enc, r, o, u)
        } else {
            let len = if v == 1 {
                5
            } else {
                (enc.int(b"Length").unwrap_or(40) / 8).clamp(5, 16) as usize
            };
            let p = enc.int(b"P").unwrap_or(0) as i32;
            let ctx = Legacy {
                r,
                len,
                o,
                u,
                p,
                id0,
                encrypt_metadata,
            };
            ctx.key_for(&PAD)
                .or_else(|| ctx.key_for(&ctx.user_from_owner()))
        };
        let key = match key {
            Some(k) => k,
            // Only embedded files are encrypted (`/EFF`): the document itself is plain.
            None if stm == Method::None && strs == Method::None => Vec::new(),
            None => return Err(Locked::Password("PDF needs a password to open".into())),
        };
        Ok(Crypt {
            key,
            stm,
            strs,
            encrypt_metadata,
        })
    }

    fn object_key(&self, id: Id, m: Method) -> Vec<u8> {
        if m == Method::Aes256 {
            return self.key.clone();
        }
        let mut h = Md5::new();
        h.update(&self.key);
        h.update(&id.0.to_le_bytes()[..3]);
        h.update(id.1.to_le_bytes());
        if m == Method::Aes128 {
            h.update(b"sAlT");
        }
        let full = h.finalize();
        full[..(self.key.len() + 5).min(16)].to_vec()
    }

    /// A string of object `id`, decrypted.
    pub(super) fn string(&self, id: Id, data: &[u8]) -> Vec<u8> {
        let key = self.object_key(id, self.strs);
        match self.strs {
            Method::None => data.to_vec(),
            Method::Rc4 => {
                let mut out = data.to_vec();
                Rc4::new(&key).apply(&mut out);
                out
            }
            Method::Aes128 | Method::Aes256 => {
                let mut out = Vec::new();
                let _ = AesReader::new(data, &key).read_to_end(&mut out);
                out
            }
        }
    }

    /// Whether a stream with this dictionary is encrypted at all: not cross-reference
    /// streams, not metadata when the file says so, not streams with their own identity
    /// crypt filter.
    pub(super) fn applies_to(&self, dict: &Dict) -> bool {
        if dict.is_type(b"XRef") || (!self.encrypt_metadata && dict.is_type(b"Metadata")) {
            return false;
        }
        let first_filter = match dict.get(b"Filter") {
            Some(Object::Name(n)) => Some(n.as_slice()),
            Some(Object::Array(a)) => a.first().and_then(Object::as_name),
            _ => None,
        };
        first_filter != Some(b"Crypt")
    }

    /// The data of stream object `id` as it is read, decrypted.
    pub(super) fn stream<'a>(&self, id: Id, r: Box<dyn Read + 'a>) -> Box<dyn Read + 'a> {
        let key = self.object_key(id, self.stm);
        match self.stm {
            Method::None => r,
            Method::Rc4 => Box::new(Rc4Reader {
                r,
                rc4: Rc4::new(&key),
            }),
            Method::Aes128 | Method::Aes256 => Box::new(AesReader::new(r, &key)),
        }
    }
}

/// The method of the crypt filter named by `which`; when the filter's dictionary is
/// missing or damaged, the method its version implies (AES-256 for 5, AES-128 for 4).
fn crypt_filter(enc: &Dict, v: i64, which: &[u8]) -> Result<Method, Locked> {
    let name = enc.name(which).unwrap_or(b"Identity");
    if name == b"Identity" {
        return Ok(Method::None);
    }
    let cfm = enc
        .get(b"CF")
        .and_then(Object::as_dict)
        .and_then(|cf| cf.get(name))
        .and_then(Object::as_dict)
        .and_then(|f| f.name(b"CFM"));
    match cfm {
        Some(b"V2") => Ok(Method::Rc4),
        Some(b"AESV2") => Ok(Method::Aes128),
        Some(b"AESV3") => Ok(Method::Aes256),
        Some(b"None") => Ok(Method::None),
        None if v == 5 => Ok(Method::Aes256),
        None => Ok(Method::Aes128),
        Some(other) => Err(Locked::Unsupported(format!(
            "PDF crypt filter {} is not supported",
            String::from_utf8_lossy(other)
        ))),
    }
}

/// Revisions 2–4.
struct Legacy<'a> {
    r: i64,
    len: usize,
    o: &'a [u8],
    u: &'a [u8],
    p: i32,
    id0: &'a [u8],
    encrypt_metadata: bool,
}

impl Legacy<'_> {
    /// Algorithm 2 for a padded password, checked against `/U` (Algorithms 4 and 5).
    fn key_for(&self, padded: &[u8]) -> Option<Vec<u8>> {
        let mut h = Md5::new();
        h.update(padded);
        h.update(&self.o[..self.o.len().min(32)]);
        h.update(self.p.to_le_bytes());
        h.update(self.id0);
        if self.r >= 4 && !self.encrypt_metadata {
            h.update([0xFF; 4]);
        }
        let mut key = h.finalize().to_vec();
        if self.r >= 3 {
            for _ in 0..50 {
                key = Md5::digest(&key[..self.len]).to_vec();
            }
        }
        key.truncate(self.len);
        let ok = if self.r == 2 {
            let mut x = PAD;
            Rc4::new(&key).apply(&mut x);
            self.u.len() >= 32 && x[..] == self.u[..32]
        } else {
            let mut h = Md5::new();
            h.update(PAD);
            h.update(self.id0);
            let mut x = h.finalize().to_vec();
            rc4_rounds(&key, &mut x, 0..=19);
            self.u.len() >= 16 && x[..16] == self.u[..16]
        };
        ok.then_some(key)
    }

    /// The user password, padded, when the owner password is empty (Algorithm 7).
    fn user_from_owner(&self) -> Vec<u8> {
        let mut key = Md5::digest(PAD).to_vec();
        if self.r >= 3 {
            for _ in 0..50 {
                key = Md5::digest(&key).to_vec();
            }
        }
        key.truncate(self.len);
        let mut x = self.o[..self.o.len().min(32)].to_vec();
        if self.r == 2 {
            Rc4::new(&key).apply(&mut x);
        } else {
            rc4_rounds(&key, &mut x, (0..=19).rev());
        }
        x
    }
}

/// RC4 with the key XORed with each round number in turn.
fn rc4_rounds(key: &[u8], data: &mut [u8], rounds: impl Iterator<Item = u8>) {
    for i in rounds {
        let k: Vec<u8> = key.iter().map(|b| b ^ i).collect();
        Rc4::new(&k).apply(data);
    }
}

/// Revisions 5 and 6 (AES-256): the user password, then the owner password, both empty.
fn key_r6(enc: &Dict, r: i64, o: &[u8], u: &[u8]) -> Option<Vec<u8>> {
    if u.len() < 48 || o.len() < 48 {
        return None;
    }
    let hash = |salt: &[u8], udata: &[u8]| -> Vec<u8> {
        if r == 5 {
            let mut h = Sha256::new();
            h.update(salt);
            h.update(udata);
            h.finalize().to_vec()
        } else {
            hash_2b(salt, udata)
        }
    };
    let (ue, oe) = (bytes(enc, b"UE"), bytes(enc, b"OE"));
    let wrapped = if hash(&u[32..40], &[])[..32] == u[..32] {
        (hash(&u[40..48], &[]), ue)
    } else if hash(&o[32..40], &u[..48])[..32] == o[..32] {
        (hash(&o[40..48], &u[..48]), oe)
    } else {
        return None;
    };
    let (k, e) = wrapped;
    if e.len() < 32 {
        return None;
    }
    // The file key is wrapped with AES-256 in CBC mode with a zero IV and no padding.
    let cipher = aes::Aes256::new_from_slice(&k[..32]).ok()?;
    let mut prev = [0u8; 16];
    let mut out = Vec::with_capacity(32);
    for block in e[..32].chunks(16) {
        let mut b = GenericArray::clone_from_slice(block);
        cipher.decrypt_block(&mut b);
        out.extend(b.iter().zip(prev).map(|(x, p)| x ^ p));
        prev.copy_from_slice(block);
    }
    Some(out)
}

/// Algorithm 2.B (revision 6) for the empty password.
fn hash_2b(salt: &[u8], udata: &[u8]) -> Vec<u8> {
    let mut k = {
        let mut h = Sha256::new();
        h.update(salt);
        h.update(udata);
        h.finalize().to_vec()
    };
    let mut round = 0u32;
    loop {
        let mut k1 = Vec::with_capacity(64 * (k.len() + udata.len()));
        for _ in 0..64 {
            k1.extend_from_slice(&k);
            k1.extend_from_slice(udata);
        }
        let Ok(cipher) = aes::Aes128::new_from_slice(&k[..16]) else {
            return k;
        };
        let mut prev: [u8; 16] = k[16..32].try_into().unwrap_or([0; 16]);
        for block in k1.chunks_mut(16) {
            for (b, p) in block.iter_mut().zip(prev) {
                *b ^= p;
            }
            let mut g = GenericArray::clone_from_slice(block);
            cipher.encrypt_block(&mut g);
            block.copy_from_slice(&g);
            prev.copy_from_slice(block);
        }
        let e = k1;
        let sum: u32 = e[..16].iter().map(|&b| u32::from(b)).sum();
        k = match sum % 3 {
            0 => Sha256::digest(&e).to_vec(),
            1 => Sha384::digest(&e).to_vec(),
            _ => Sha512::digest(&e).to_vec(),
        };
        round += 1;
        let last = u32::from(*e.last().unwrap_or(&0));
        if round >= 64 && last + 32 <= round {
            break;
        }
    }
    k.truncate(32);
    k
}

struct Rc4 {
    s: [u8; 256],
    i: u8,
    j: u8,
}

impl Rc4 {
    fn new(key: &[u8]) -> Rc4 {
        let mut s = [0u8; 256];
        for (i, v) in s.iter_mut().enumerate() {
            *v = i as u8;
        }
        if !key.is_empty() {
            let mut j = 0u8;
            for i in 0..256 {
                j = j.wrapping_add(s[i]).wrapping_add(key[i % key.len()]);
                s.swap(i, j as usize);
            }
        }
        Rc4 { s, i: 0, j: 0 }
    }

    fn apply(&mut self, data: &mut [u8]) {
        for b in data {
            self.i = self.i.wrapping_add(1);
            self.j = self.j.wrapping_add(self.s[self.i as usize]);
            self.s.swap(self.i as usize, self.j as usize);
            let k = self.s[self.s[self.i as usize].wrapping_add(self.s[self.j as usize]) as usize];
            *b ^= k;
        }
    }
}

struct Rc4Reader<R> {
    r: R,
    rc4: Rc4,
}

impl<R: Read> Read for Rc4Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.r.read(buf)?;
        self.rc4.apply(&mut buf[..n]);
        Ok(n)
    }
}

enum Aes {
    A128(Box<aes::Aes128>),
    A256(Box<aes::Aes256>),
}

/// AES-CBC decryption as the data is read: the first 16 bytes are the IV, the padding of the
/// last block is removed (tolerantly: a bad pad is kept as data).
struct AesReader<R> {
    r: R,
    cipher: Option<Aes>,
    prev: Option<[u8; 16]>,
    /// A decrypted block held back until it is known not to be the last.
    held: Option<[u8; 16]>,
    out: Vec<u8>,
    at: usize,
    done: bool,
}

impl<R: Read> AesReader<R> {
    fn new(r: R, key: &[u8]) -> AesReader<R> {
        let cipher = match key.len() {
            16 => aes::Aes128::new_from_slice(key)
                .ok()
                .map(|c| Aes::A128(Box::new(c))),
            32 => aes::Aes256::new_from_slice(key)
                .ok()
                .map(|c| Aes::A256(Box::new(c))),
            _ => None,
        };
        AesReader {
            r,
            cipher,
            prev: None,
            held: None,
            out: Vec::new(),
            at: 0,
            done: false,
        }
    }

    /// Up to 16 bytes; fewer only at the end.
    fn block(&mut self) -> io::Result<([u8; 16], usize)> {
        let mut b = [0u8; 16];
        let mut n = 0;
        while n < 16 {
            match self.r.read(&mut b[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok((b, n))
    }

    fn decrypt(&self, block: &[u8; 16]) -> [u8; 16] {
        let mut g = GenericArray::clone_from_slice(block);
        match &self.cipher {
            Some(Aes::A128(c)) => c.decrypt_block(&mut g),
            Some(Aes::A256(c)) => c.decrypt_block(&mut g),
            None => {}
        }
        let mut out: [u8; 16] = g.into();
        for (o, p) in out.iter_mut().zip(self.prev.unwrap_or([0; 16])) {
            *o ^= p;
        }
        out
    }

    /// Decrypts the next blocks into `out`; false at the end.
    fn fill(&mut self) -> io::Result<bool> {
        self.out.clear();
        self.at = 0;
        if self.prev.is_none() {
            let (iv, n) = self.block()?;
            if n < 16 {
                return Ok(false);
            }
            self.prev = Some(iv);
        }
        while self.out.len() < 16 * 1024 {
            let (b, n) = self.block()?;
            if n < 16 {
                // The end: the held block is the last; strip its padding.
                if let Some(last) = self.held.take() {
                    let pad = usize::from(last[15]);
                    let keep = if (1..=16).contains(&pad)
                        && last[16 - pad..].iter().all(|&x| usize::from(x) == pad)
                    {
                        16 - pad
                    } else {
                        16
                    };
                    self.out.extend_from_slice(&last[..keep]);
                }
                return Ok(!self.out.is_empty());
            }
            let plain = self.decrypt(&b);
            self.prev = Some(b);
            if let Some(h) = self.held.replace(plain) {
                self.out.extend_from_slice(&h);
            }
        }
        Ok(true)
    }
}

impl<R: Read> Read for AesReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.out.len() {
            if self.done {
                return Ok(0);
            }
            if !self.fill()? {
                self.done = true;
            }
            if self.out.is_empty() && self.done {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rc4_known_answer() {
        // The classic test vector: key "Key", plaintext "Plaintext".
        let mut d = *b"Plaintext";
        Rc4::new(b"Key").apply(&mut d);
        assert_eq!(hex::encode(d), "bbf316e8d940af0ad3");
    }

    #[test]
    fn aes_cbc_round_trip_with_padding() {
        let key = [7u8; 16];
        let iv = [3u8; 16];
        let plain = b"Fodselsnummer 13097248022 og mer tekst".to_vec();
        let mut padded = plain.clone();
        let pad = 16 - plain.len() % 16;
        padded.extend(std::iter::repeat_n(pad as u8, pad));
        let c = aes::Aes128::new_from_slice(&key).unwrap();
        let mut prev = iv;
        let mut enc = iv.to_vec();
        for block in padded.chunks(16) {
            let mut b = [0u8; 16];
            for i in 0..16 {
                b[i] = block[i] ^ prev[i];
            }
            let mut g = GenericArray::clone_from_slice(&b);
            c.encrypt_block(&mut g);
            prev.copy_from_slice(&g);
            enc.extend_from_slice(&g);
        }
        let mut out = Vec::new();
        AesReader::new(&enc[..], &key)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, plain);
    }
}
