//! serverless-deck in the browser: the deck view, the live panels and the embed pages.
//!
//! The talk arrives compiled, as the page's own HTML (see [`page`]); components live here so
//! wasm-bindgen tests can mount them, and `main.rs` only calls [`start`].
use deck_core::{routes, PanelKind};
use leptos::prelude::*;

pub mod context;
pub mod deck;
pub mod dom;
pub mod embed;
pub mod follow;
pub mod goto;
pub mod help;
pub mod lazy;
pub mod live;
pub mod modal;
pub mod overview;
pub mod page;
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
pub mod token;

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
        match path.strip_prefix(routes::EMBED_FOLDER).and_then(|rest| rest.strip_prefix('/')) {
            Some(kind) => kind.parse().map_or(Route::UnknownEmbed, Route::Embed),
            None if path == routes::FOLLOW_PAGE => Route::Follow,
            None => Route::Deck,
        }
    }
}

/// Mounts the app on `<body>`, in place of what the page showed before it started. A panic
/// shows a message in the page instead of a dead deck.
pub fn start() {
    prepare_page();
    token::keep_token_from_url();
    let route = Route::from_path(&dom::path_below_base());
    if let Route::Embed(_) | Route::UnknownEmbed = route {
        let title = page::title();
        leptos::mount::mount_to_body(move || embed_view(route, title));
        page::took_over();
        return;
    }
    match page::read_deck() {
        Ok(deck) => {
            leptos::mount::mount_to_body(move || deck_view(route, deck));
            page::took_over();
            live::watch();
        }
        // The page's own slides stay readable beneath the message.
        Err(error) => {
            dom::show_fatal_error_text(&format!("The deck cannot start: {error}."));
            page::set_app_state("failed");
        }
    }
}

/// The page of one embed kind, `/embed/<kind>/`, in a wasm of its own that holds only `build`'s
/// panel (see `src/bin/`): a blog reader's browser loads no slides, no deck and no other panel.
pub fn start_embed(kind: PanelKind, build: panels::Build) {
    prepare_page();
    let title = page::title();
    leptos::mount::mount_to_body(move || view! { <embed::EmbedView kind title make=build/> });
    page::took_over();
}

/// What every page does first: a panic shows a message instead of a dead page, and the theme
/// follows the system's.
fn prepare_page() {
    std::panic::set_hook(Box::new(|info| dom::show_fatal_error(&info.to_string())));
    dom::apply_system_theme();
}

/// The deck, the speaker view (`?presenter`) or a follower's deck (`/follow`).
fn deck_view(route: Route, deck: deck_core::Deck) -> AnyView {
    match route {
        Route::Deck if dom::query_pairs().iter().any(|(key, _)| key == "presenter") => view! {
            <lazy::Lazy
                what="the speaker view".to_owned()
                load=|| Box::pin(presenter::chunk())
                show={move |speaker_view: lazy::ViewOf<deck_core::Deck>| speaker_view(deck.clone())}
            />
        }
        .into_any(),
        Route::Deck => view! { <deck::DeckView deck/> }.into_any(),
        _ => view! { <deck::DeckView deck follower=true/> }.into_any(),
    }
}

fn embed_view(route: Route, title: String) -> AnyView {
    match route {
        // In the deck's own wasm (`cargo xtask dev`) the panel comes in its chunk, as in a slide.
        Route::Embed(kind) => view! {
            <lazy::Lazy
                what=format!("the “{}” panel", kind.title())
                load=panels::loader(kind)
                show={move |make| view! { <embed::EmbedView kind title=title.clone() make/> }}
            />
        }
        .into_any(),
        _ => view! { <embed::UnknownEmbed/> }.into_any(),
    }
}
