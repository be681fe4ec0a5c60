//! A live deck (`serverless-deck --slides DIR`): the server compiles the slides again on every
//! save and tells the open pages, which reload at the same slide, or show what is wrong while
//! the last good deck stays up.
use serde::{Deserialize, Serialize};

/// What the server announces on [`crate::routes::DECK_EVENTS_ROUTE`], at once on connecting and
/// after every compile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeckStatus {
    /// The version of the deck being served; a page of an older one reloads.
    pub version: u64,
    /// The last compile's errors as `file:line: message`; empty when it succeeded.
    pub errors: Vec<String>,
}

/// What an open page at `page_version` does about a status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaction<'a> {
    /// A newer deck compiled: load it.
    Reload,
    /// The slides do not compile: show why over the deck this page holds.
    ShowErrors(&'a [String]),
    /// Nothing to show: the page is current and the slides compile.
    Clear,
}

impl DeckStatus {
    pub fn reaction(&self, page_version: u64) -> Reaction<'_> {
        if self.version != page_version {
            Reaction::Reload
        } else if !self.errors.is_empty() {
            Reaction::ShowErrors(&self.errors)
        } else {
            Reaction::Clear
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_reloads_for_a_new_deck_and_shows_errors_over_the_last_good_one() {
        let ok = |version| DeckStatus { version, errors: Vec::new() };
        assert_eq!(ok(3).reaction(3), Reaction::Clear);
        assert_eq!(ok(4).reaction(3), Reaction::Reload);
        let broken = DeckStatus { version: 3, errors: vec!["slides/01.md:4: unknown panel `nope`".into()] };
        assert_eq!(broken.reaction(3), Reaction::ShowErrors(&broken.errors));
        // A page older than the last good deck loads it first, then shows the errors over it.
        assert_eq!(broken.reaction(2), Reaction::Reload);
        let json = serde_json::to_string(&broken).unwrap();
        assert_eq!(serde_json::from_str::<DeckStatus>(&json).unwrap(), broken);
    }
}
