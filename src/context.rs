//! What the parts of one view of the deck share (the deck's, the speaker view's): the talk,
//! where it is, which dialog is open. Its own module so that the dialogs, read mode and follow
//! mode depend on it and not on the deck view that uses them.
use std::sync::Arc;

use deck_core::nav::Direction;
use deck_core::shortcuts::Scope;
use deck_core::{Deck, Position};
use leptos::prelude::*;

use crate::dom;
use crate::sync::{shared_signal, POSITION_KEY};

/// The dialogs of a view; at most one is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialog {
    Overview,
    GoTo,
    Search,
    Help,
    /// How the room joins follow mode.
    Join,
}

/// What the parts of one view of the deck share: the talk, where it is, what is open.
#[derive(Clone)]
pub struct DeckContext {
    pub deck: Arc<Deck>,
    /// Reveal steps per slide, what navigation needs.
    pub steps: Arc<[u16]>,
    /// Shared with the deck's other windows.
    pub pos: RwSignal<Position>,
    pub dialog: RwSignal<Option<Dialog>>,
    /// Read mode: every slide on one scrolling page (the audience's deck only).
    pub read: RwSignal<bool>,
    /// A short message for the user, e.g. that a pop-up was blocked.
    pub notice: RwSignal<Option<String>>,
    /// Which shortcuts apply: the deck's or the speaker view's.
    pub view: Scope,
}

impl DeckContext {
    pub fn new(deck: Deck, view: Scope) -> DeckContext {
        let steps: Arc<[u16]> = deck.slides.iter().map(|s| s.steps).collect();
        let start = Position::from_hash(&dom::location_hash(), &steps).unwrap_or(Position::START);
        DeckContext {
            deck: Arc::new(deck),
            steps,
            pos: shared_signal(POSITION_KEY, start),
            dialog: RwSignal::new(None),
            read: RwSignal::new(false),
            notice: RwSignal::new(None),
            view,
        }
    }

    pub fn total(&self) -> usize {
        self.deck.slides.len()
    }

    /// Straight to slide `index` (0-based), e.g. from the overview or a search hit.
    pub fn go_to_slide(&self, index: usize) {
        self.pos.set(Position::slide(index, &self.steps));
    }

    pub fn step(&self, direction: Direction) {
        let here = self.pos.get_untracked();
        self.pos.set(match direction {
            Direction::Forward => here.next(&self.steps),
            Direction::Back => here.prev(&self.steps),
        });
    }
}
