//! `kartlegg locate INVENTORY --hash-key-file KEY --fnr V --email V --phone V`: every file and
//! location whose finding fingerprint matches the given values (a data-subject request),
//! without the inventory holding raw values and without printing them. Exit 1 when something
//! was found, 0 when not, 2 when the search cannot be made (a random key, another key).

use std::io::Write;

use anyhow::{bail, Result};

use super::scan::hash_key;
use super::{detector, FOUND, NOTHING_FOUND};
use crate::cli::{LocateArgs, ReviewFormat};
use crate::report::lang::Lang;
use crate::report::rows;
use crate::report::{FileRecord, Summary};
use crate::review::inventory::{self, Header, KeyKind, Visitor};
use crate::review::locate::{Family, Found, Query, Targets};

struct Search<'a> {
    targets: &'a Targets,
    key_id: String,
    found: Found,
}

impl Visitor for Search<'_> {
    fn header(&mut self, h: &Header) -> Result<()> {
        match h.key() {
            KeyKind::Random => bail!(
                "the inventory was made with a random per-scan key: its fingerprints match nothing outside that scan. \
                 Scan again with --hash-key-file, or search the files directly: kartlegg scan PATH --find VALUE"
            ),
            KeyKind::Provided { id: Some(id) } if id != self.key_id => bail!(
                "the key given is not the one the inventory was made with (its key_id is {id}, this key's is {})",
                self.key_id
            ),
            KeyKind::Provided { id: None } => eprintln!(
                "kartlegg: the inventory does not record which key made it; if it was another key, nothing will match"
            ),
            KeyKind::Provided { .. } => {}
        }
        Ok(())
    }

    fn file(&mut self, rec: FileRecord) -> Result<()> {
        self.found.add(&rec, self.targets);
        Ok(())
    }

    fn summary(&mut self, _: Summary, _: Option<String>) -> Result<()> {
        Ok(())
    }
}

pub(super) fn run(args: LocateArgs) -> Result<u8> {
    let mut queries = Vec::new();
    for (family, values) in [
        (Family::Fnr, &args.fnr),
        (Family::Email, &args.email),
        (Family::Phone, &args.phone),
        (Family::Any, &args.value),
    ] {
        queries.extend(values.iter().map(|v| Query {
            family,
            text: v.clone(),
        }));
    }
    if queries.is_empty() {
        bail!("give the values to look for: --fnr, --email, --phone or --value (each repeatable)");
    }
    let key = hash_key(args.hash_key_file.as_deref())?;
    if !key.provided {
        bail!(
            "give the key the inventory was made with: --hash-key-file FILE (or KARTLEGG_HASH_KEY)"
        );
    }
    let det = detector(args.rules.as_deref())?;
    let targets = Targets::new(&det, &key, &queries)?;
    let mut search = Search {
        targets: &targets,
        key_id: key.id(),
        found: Found::default(),
    };
    inventory::read(&args.inventory, &mut search)?;
    let found = search.found;
    let mut out = std::io::stdout().lock();
    match args.format {
        ReviewFormat::Json => {
            let doc = serde_json::json!({"sought": targets.sought, "found": found});
            serde_json::to_writer_pretty(&mut out, &doc)?;
            out.write_all(b"\n")?;
        }
        ReviewFormat::Text => {
            for s in &targets.sought {
                let kinds: Vec<String> = s.kinds.iter().map(|(k, m)| format!("{k} {m}")).collect();
                writeln!(
                    out,
                    "value {} ({}): {}",
                    s.value,
                    s.family.flag(),
                    kinds.join(", ")
                )?;
            }
            writeln!(out)?;
            for h in &found.hits {
                writeln!(
                    out,
                    "{}\t{}\tvalue {}\t{} {} ({})",
                    h.path,
                    rows::location(&h.location, Lang::En),
                    h.value,
                    h.kind,
                    h.masked,
                    h.confidence.as_str()
                )?;
            }
            writeln!(
                out,
                "\n{} locations in {} files.",
                found.hits.len(),
                found.files
            )?;
            if found.unread_files > 0 {
                writeln!(
                    out,
                    "{} files were not read completely and may hold the values unseen (see the inventory's unscanned files).",
                    found.unread_files
                )?;
            }
            if found.truncated_files > 0 {
                writeln!(
                    out,
                    "{} files listed fewer findings than they had (--max-findings-per-file): a match may be among those not listed.",
                    found.truncated_files
                )?;
            }
        }
    }
    out.flush()?;
    Ok(if found.hits.is_empty() {
        NOTHING_FOUND
    } else {
        FOUND
    })
}
