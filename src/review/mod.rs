//! The reviewer's tools over finished inventories: reading an inventory back as a stream
//! ([`inventory`]), decisions that survive the next scan ([`decisions`]), what changed between
//! two scans ([`diff`]), and finding one person's values by fingerprint ([`locate`]).
//!
//! Nothing here reads a file that was scanned: only inventories, decisions files and the
//! values an operator gives. Output never carries a raw value unless the inventory held it.

pub(crate) mod decisions;
pub(crate) mod diff;
pub(crate) mod inventory;
pub(crate) mod locate;
pub(crate) mod merge;
