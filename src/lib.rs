//! serverless-deck in the browser: the deck view, the live panels and the embed pages.
//!
//! The talk arrives compiled (see `build.rs`); components live here so wasm-bindgen tests can
//! mount them, and `main.rs` only calls [`start`].
use deck_core::{Deck, PanelKind};
use leptos::prelude::*;

pub mod deck;
pub mod dom;
pub mod embed;
pub mod follow;
pub mod goto;
pub mod help;
pub mod modal;
pub mod overview;
pub mod panels;
pub mod prefs;
pub mod presenter;
pub mod print;
pub mod read_mode;
pub mod search;
pub mod swipe;
pub mod sync;
pub mod theme;
pub mod thumbnail;

/// The compiled talk, written by `build.rs`.
const DECK_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/deck.json"));

pub fn load_deck() -> Result<Deck, String> {
    serde_json::from_str(DECK_JSON).map_err(|e| format!("the compiled deck is unreadable: {e}"))
}

/// What the page at this URL shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Deck,
    /// `/follow`: the deck tracking the presenter's (follow mode).
    Follow,
    Embed(PanelKind),
    UnknownEmbed,
}

impl Route {
    /// `path` is the location relative to the deck's base URL, e.g. `embed/cost`.
    pub fn from_path(path: &str) -> Route {
        let path = path.trim_matches('/');
        match path.strip_prefix("embed/") {
            Some(kind) => kind.parse().map_or(Route::UnknownEmbed, Route::Embed),
            None if path == "follow" => Route::Follow,
            None => Route::Deck,
        }
    }
}

/// Mounts the app on `<body>`. A panic shows a message in the page instead of a dead deck.
pub fn start() {
    std::panic::set_hook(Box::new(|info| dom::show_fatal_error(&info.to_string())));
    dom::apply_system_theme();
    follow::keep_token_from_url();
    leptos::mount::mount_to_body(App);
}

#[component]
pub fn App() -> impl IntoView {
    let deck = match load_deck() {
        Ok(deck) => deck,
        Err(message) => return view! { <p class="fatal" role="alert">{message}</p> }.into_any(),
    };
    dom::install_code_theme(&deck.code_theme);
    match Route::from_path(&dom::path_below_base()) {
        Route::Deck if dom::query_pairs().iter().any(|(key, _)| key == "presenter") => {
            view! { <presenter::PresenterView deck/> }.into_any()
        }
        Route::Deck => view! { <deck::DeckView deck/> }.into_any(),
        Route::Follow => view! { <deck::DeckView deck follower=true/> }.into_any(),
        Route::Embed(kind) => view! { <embed::EmbedView kind title=deck.meta.title/> }.into_any(),
        Route::UnknownEmbed => view! { <embed::UnknownEmbed/> }.into_any(),
    }
}
