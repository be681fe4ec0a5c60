//! The deck as a printed document. Ctrl+P prints any deck window through the print stylesheet
//! (one 16:9 slide per page, panels as they are at that moment). These URLs load a print
//! *snapshot*, which is what `cargo xtask pdf` prints:
//! - `?print`: the slides;
//! - `?print-notes`: each slide followed by a page of its speaker notes.
//!
//! A snapshot must settle so headless Chromium can print it: panels show their state but open
//! no live connection (an open stream stops Chromium's virtual clock, and paper cannot update).
use crate::dom;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Snapshot {
    Slides,
    SlidesAndNotes,
}

/// The snapshot this page's URL asks for, if any.
pub fn snapshot() -> Option<Snapshot> {
    let pairs = dom::query_pairs();
    let has = |flag: &str| pairs.iter().any(|(key, _)| key == flag);
    if has("print-notes") {
        Some(Snapshot::SlidesAndNotes)
    } else if has("print") {
        Some(Snapshot::Slides)
    } else {
        None
    }
}

/// True on a print snapshot: live connections (event streams, polling) must stay closed.
pub fn is_snapshot() -> bool {
    snapshot().is_some()
}
