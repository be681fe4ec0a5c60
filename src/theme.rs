//! Light and dark themes: the system's preference until `d` picks one, which is remembered and
//! applied in every open window of the deck.
use std::cell::Cell;

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::{dom, prefs};

const CHOICE: &str = "theme";
const DARK_QUERY: &str = "(prefers-color-scheme: dark)";

thread_local! {
    static LISTENING: Cell<bool> = const { Cell::new(false) };
}

/// Applies the remembered choice, then keeps following the system (while nothing was chosen)
/// and other windows' choices. Once per page.
pub fn init() {
    apply_choice();
    if LISTENING.replace(true) {
        return;
    }
    let storage = window_event_listener(ev::storage, |e: web_sys::StorageEvent| {
        if prefs::is_about(&e, CHOICE) {
            apply_choice();
        }
    });
    // Both listeners live as long as the page.
    std::mem::forget(storage);
    if let Ok(Some(query)) = window().match_media(DARK_QUERY) {
        let on_change = Closure::<dyn Fn()>::new(apply_choice);
        let _ = query.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
        on_change.forget();
    }
}

/// `d`: the other theme, remembered.
pub fn toggle() {
    let next = if current() == "dark" { "light" } else { "dark" };
    dom::set_theme(next);
    prefs::set(CHOICE, next);
}

fn apply_choice() {
    match prefs::get(CHOICE).filter(|t| t == "light" || t == "dark") {
        Some(theme) => dom::set_theme(&theme),
        None => dom::apply_system_theme(),
    }
}

fn current() -> String {
    document().document_element().and_then(|root| root.get_attribute("data-theme")).unwrap_or_default()
}
