//! A live deck's page (`serverless-deck --slides DIR`): the server compiles the slides on every
//! save and says so on `routes::DECK_EVENTS_ROUTE`. A newer deck reloads the page, which keeps
//! its URL and so its slide; a broken save shows its `file:line` errors over the deck this page
//! holds, the last good one. Pages of a built site carry no [`page::LIVE_META`] and open nothing.
use deck_core::live::{DeckStatus, Reaction};
use deck_core::page;
use deck_core::routes::DECK_EVENTS_ROUTE;
use leptos::prelude::*;

use crate::dom::{EventStream, StreamEvent};

/// Listens for new versions of the deck, if this page is a live deck's.
pub fn watch() {
    let Some(version) = page_version() else { return };
    let errors = RwSignal::new(Vec::<String>::new());
    let on_event = move |event| {
        let StreamEvent::Data(data) = event else { return };
        // A status this app cannot read is the server's bug, not the author's: stay as we are.
        let Ok(status) = serde_json::from_str::<DeckStatus>(&data) else { return };
        match status.reaction(version) {
            Reaction::Reload => {
                let _ = web_sys::window().map(|window| window.location().reload());
            }
            Reaction::ShowErrors(list) => errors.set(list.to_vec()),
            Reaction::Clear => errors.set(Vec::new()),
        }
    };
    if let Ok(stream) = EventStream::open(DECK_EVENTS_ROUTE, &[], on_event) {
        // Open for as long as the page is.
        std::mem::forget(stream);
        leptos::mount::mount_to_body(move || view! { <CompileErrors errors/> });
    }
}

/// The deck version this page was written at, from its `<meta name="deck-live">`.
fn page_version() -> Option<u64> {
    let selector = format!("meta[name=\"{}\"]", page::LIVE_META);
    let meta = web_sys::window()?.document()?.query_selector(&selector).ok()??;
    meta.get_attribute("content")?.parse().ok()
}

/// Why the last save does not compile, over the deck (which stays the last good one).
#[component]
pub fn CompileErrors(errors: RwSignal<Vec<String>>) -> impl IntoView {
    view! {
        <Show when=move || !errors.with(Vec::is_empty)>
            <aside class="compile-errors" role="alert">
                <button type="button" class="hide" on:click=move |_| errors.set(Vec::new())>"Hide"</button>
                <h2>"The slides do not compile"</h2>
                <p>"This is the last good version. Save a fix and the deck reloads at this slide."</p>
                <ul>
                    <For each=move || errors.get() key=|line| line.clone() let:line>
                        <li><code>{line}</code></li>
                    </For>
                </ul>
            </aside>
        </Show>
    }
}
