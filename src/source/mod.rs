//! Sources: where the content to scan comes from. The filesystem walk ([`crate::walk`]) is one
//! source; [`git`] is the other, yielding blobs from a repository's index, a commit range or its
//! history, so that a CI gate scans exactly what a change adds rather than the working tree.

pub(crate) mod git;
