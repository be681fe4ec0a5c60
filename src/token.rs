//! The presenter token the server prints (for follow mode, and for non-loopback binds): the
//! presenter opens the deck with `?token=…`; the page keeps it for this tab (sessionStorage, which
//! the speaker window inherits) and takes it out of the address bar, where a projector would show
//! it. Follow mode leads with it; the panels' control calls (recycle, uploads) send it.
use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::dom;

const TOKEN_KEY: &str = "serverless-deck.token";

fn session() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

/// Moves `?token=` from the address bar into this tab's storage; run once at start. If storage
/// is blocked the token stays in the URL rather than being lost.
pub fn keep_token_from_url() {
    let Some((_, token)) = dom::query_pairs().into_iter().find(|(key, _)| key == "token") else { return };
    let Some(storage) = session() else { return };
    if storage.set_item(TOKEN_KEY, &token).is_err() {
        return;
    }
    let Ok(href) = window().location().href() else { return };
    let Ok(url) = web_sys::Url::new(&href) else { return };
    url.search_params().delete("token");
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url.href()));
    }
}

/// The presenter token the server printed, if this tab was given it.
pub fn presenter_token() -> Option<String> {
    let stored = session().and_then(|storage| storage.get_item(TOKEN_KEY).ok().flatten());
    stored.or_else(|| dom::query_pairs().into_iter().find(|(key, _)| key == "token").map(|(_, token)| token))
}

pub fn forget_token() {
    if let Some(storage) = session() {
        let _ = storage.remove_item(TOKEN_KEY);
    }
}
