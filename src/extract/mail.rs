//! E-mail: single messages (`.eml`, RFC 5322) and mailboxes (`.mbox`, one message after each
//! `From ` line), parsed with mail-parser, which decodes MIME transfer encodings
//! (quoted-printable, base64) and charsets.
//!
//! Each message is scanned in parts, located as `{"message": N, "part": P, "line": L}`:
//!
//! * `headers` — the address headers (From, To, Cc, Bcc, Reply-To, Sender) written out with
//!   their decoded display names, the decoded Subject, and every other header as stored
//!   (Received and Delivered-To lines carry addresses too) except the message identifiers
//!   (Message-ID, In-Reply-To, References), which look like addresses but are not;
//! * `body` (`body 2`, ...) — the text bodies; an HTML-only body is turned into text;
//! * attachments are handed to [`Sink::nested`] and read by their own format:
//!   `mail.eml!/liste.xlsx`, and in a mailbox `inbox.mbox!/3/liste.xlsx` (message 3).
//!
//! A message is a record for a retention review: its `Date:` header dates its findings
//! ([`Sink::record_date`]).
//!
//! E-mail is text to the sniffer, so [`is_mail`] decides, cheaply from the head and the
//! extension, whether a text input is e-mail.

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};

use chrono::NaiveDate;
use mail_parser::{Address, HeaderName, MessageParser, MimeHeaders};

use super::window::{Addressing, Windower};
use super::{extension, ExtractError, Extracted, Input, Limit, Location, Sink, Status};
use crate::detect::ChunkContext;
use crate::retain::{Rank, When};

/// Headers that mark the start of an RFC 5322 message.
const KNOWN: &[&str] = &[
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "received",
    "return-path",
    "mime-version",
    "delivered-to",
    "reply-to",
    "x-mailer",
    "content-type",
];

/// Whether a text input is e-mail: by extension (`eml`, `mbox`, `mbx`), by an mbox `From `
/// line followed by a header, or by a header block that starts the input and holds at least
/// three well-known message headers.
pub(crate) fn is_mail(name: &str, head: &[u8]) -> bool {
    if matches!(extension(name).as_str(), "eml" | "mbox" | "mbx") {
        return true;
    }
    // Header lines as bytes: a head that is not mail fails on its first line or two, so
    // nothing else of it is decoded or even looked at.
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let Some(first) = lines.next() else {
        return false;
    };
    let (first, rest): (Option<&[u8]>, _) = if first.starts_with(b"From ") {
        (None, lines)
    } else {
        (Some(first), lines)
    };
    let mut known = 0;
    for (i, line) in first.into_iter().chain(rest).enumerate() {
        if line.is_empty() {
            break;
        }
        if matches!(line[0], b' ' | b'\t') && i > 0 {
            continue;
        }
        let Some(colon) = memchr::memchr(b':', line) else {
            return false;
        };
        let name = &line[..colon];
        if name.is_empty() || !name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-') {
            return false;
        }
        known += usize::from(
            KNOWN
                .iter()
                .any(|k| k.as_bytes().eq_ignore_ascii_case(name)),
        );
        if known >= 3 {
            return true;
        }
    }
    false
}

/// A message file or a mailbox.
pub(crate) fn extract(
    input: &mut Input<'_>,
    sink: &mut dyn Sink,
) -> Result<Extracted, ExtractError> {
    let mbox =
        input.head.starts_with(b"From ") || matches!(input.extension().as_str(), "mbox" | "mbx");
    if !mbox {
        let data = input.read_all()?;
        message(&data, 1, None, sink)?;
        return Ok(Extracted::new("eml", data.len() as u64));
    }
    let (max, max_entries, clock) = (
        input.limits.max_parse_bytes,
        input.limits.max_entries,
        input.clock,
    );
    let mut reader = BufReader::new(input.reader()?);
    let mut msg = Vec::new();
    let mut line = Vec::new();
    let (mut n, mut bytes, mut started) = (0u32, 0u64, false);
    let mut damaged = Vec::new();
    loop {
        line.clear();
        let read = (&mut reader).take(max).read_until(b'\n', &mut line)?;
        bytes += read as u64;
        let from_line = read == 0 || line.starts_with(b"From ");
        if from_line {
            if started {
                clock.check()?;
                n += 1;
                match message(&msg, n, Some(n), sink) {
                    // One unreadable message does not hide the others.
                    Err(ExtractError::Corrupt(_)) => damaged.push(n.to_string()),
                    other => other?,
                }
                if n as u64 >= max_entries && read > 0 {
                    return Err(ExtractError::limit(
                        Limit::Entries,
                        format!("more than {} messages", max_entries),
                    ));
                }
            }
            if read == 0 {
                break;
            }
            msg.clear();
            started = true;
            continue;
        }
        // mboxrd quotes body lines that begin with `From ` as `>From `; unquote one level.
        let unquoted = match line.iter().position(|&b| b != b'>') {
            Some(i) if i > 0 && line[i..].starts_with(b"From ") => &line[1..],
            _ => &line[..],
        };
        msg.extend_from_slice(unquoted);
        if msg.len() as u64 > max {
            return Err(ExtractError::limit(
                Limit::ParseBytes,
                format!("message {} is over the {max}-byte parse limit", n + 1),
            ));
        }
    }
    let out = Extracted::new("mbox", bytes);
    Ok(if damaged.is_empty() {
        out
    } else {
        out.with_note(
            Status::Partial,
            "damaged_messages",
            format!(
                "{} of {n} messages could not be read: {}",
                damaged.len(),
                damaged.join(", ")
            ),
        )
    })
}

/// One message: headers, bodies, attachments. `folder` names the message in member paths
/// (in a mailbox, where attachment names alone would be ambiguous).
fn message(
    raw: &[u8],
    n: u32,
    folder: Option<u32>,
    sink: &mut dyn Sink,
) -> Result<(), ExtractError> {
    let Some(msg) = MessageParser::default().parse(raw) else {
        return Err(ExtractError::Corrupt(format!(
            "message {n} is not a readable e-mail"
        )));
    };
    // The message is one record for a retention review: its findings take its date.
    if let Some(d) = msg.date() {
        if let Some(day) = NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into()) {
            sink.record_date(When::Day(day), Rank::Named);
        }
    }
    let mut headers = String::new();
    let addresses = [
        (HeaderName::From, msg.from()),
        (HeaderName::To, msg.to()),
        (HeaderName::Cc, msg.cc()),
        (HeaderName::Bcc, msg.bcc()),
        (HeaderName::ReplyTo, msg.reply_to()),
        (HeaderName::Sender, msg.sender()),
    ];
    for (name, value) in &addresses {
        if let Some(value) = value {
            headers.push_str(&format!("{}: {}\n", name.as_str(), addresses_text(value)));
        }
    }
    if let Some(subject) = msg.subject() {
        headers.push_str(&format!("Subject: {subject}\n"));
    }
    // Written above, decoded; or message identifiers, which look like addresses but are not.
    let left_out = [
        "from",
        "to",
        "cc",
        "bcc",
        "reply-to",
        "sender",
        "subject",
        "message-id",
        "in-reply-to",
        "references",
    ];
    for (name, value) in msg.headers_raw() {
        if !left_out.contains(&name.to_ascii_lowercase().as_str()) {
            // Folded lines are one header.
            let value: String = value
                .split(['\r', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            headers.push_str(&format!("{name}: {value}\n"));
        }
    }
    emit(&headers, n, "headers", sink);
    for i in 0..msg.text_body_count() {
        if let Some(body) = msg.body_text(i) {
            let part = if i == 0 {
                Cow::Borrowed("body")
            } else {
                Cow::Owned(format!("body {}", i + 1))
            };
            emit(&body, n, &part, sink);
        }
    }
    for (i, att) in msg.attachments().enumerate() {
        let name = att
            .attachment_name()
            .map(super::archive::member_name)
            .unwrap_or_else(|| {
                format!(
                    "attachment {}{}",
                    i + 1,
                    if att.is_message() { ".eml" } else { "" }
                )
            });
        let name = match folder {
            Some(f) => format!("{f}/{name}"),
            None => name,
        };
        let contents = att.contents();
        sink.nested(&name, Some(contents.len() as u64), &mut &contents[..])?;
    }
    sink.record_end();
    Ok(())
}

fn addresses_text(value: &Address<'_>) -> String {
    value
        .iter()
        .map(|a| match (&a.name, &a.address) {
            (Some(name), Some(addr)) => format!("{name} <{addr}>"),
            (None, Some(addr)) => addr.to_string(),
            (Some(name), None) => name.to_string(),
            (None, None) => String::new(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn emit(text: &str, message: u32, part: &str, sink: &mut dyn Sink) {
    if text.trim().is_empty() {
        return;
    }
    let base = Location {
        message: Some(message),
        part: Some(part.to_string()),
        ..Location::default()
    };
    let mut w = Windower::new(Addressing::Lines, &base, ChunkContext::default());
    w.buffer().push_str(text);
    w.flush(sink, true);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_is_recognised_by_extension_mbox_line_or_headers() {
        assert!(is_mail("a.zip!/saved.EML", b"anything"));
        assert!(is_mail(
            "inbox",
            b"From kari@x Sat Jan  1 00:00:00 2024\nFrom: kari@x\nTo: ola@y\nSubject: hei\n\nbody"
        ));
        assert!(is_mail(
            "melding",
            b"Received: from x\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nSubject: =?utf-8?q?L=C3=B8nn?=\r\n\r\nbody"
        ));
        // Prose that starts like a header, or an mbox-looking first line followed by prose.
        assert!(!is_mail(
            "notes.txt",
            b"Subject: planning\nWe meet at noon.\n"
        ));
        assert!(!is_mail(
            "notes.txt",
            b"From here on we write prose.\nNo headers.\n"
        ));
        assert!(!is_mail("data.csv", b"from;to;subject\na;b;c\n"));
    }
}
