//! Components mounted in a real browser (wasm-bindgen-test in headless Chromium).
#![cfg(target_arch = "wasm32")]

use deck_app::{load_deck, Route};
use deck_core::PanelKind;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn the_compiled_talk_loads() {
    let deck = load_deck().expect("the embedded deck parses");
    assert!(deck.slides.len() >= 30, "{} slides", deck.slides.len());
    assert_eq!(deck.meta.title, "Going Serverless");
}

#[wasm_bindgen_test]
fn routes_come_from_the_path() {
    assert_eq!(Route::from_path(""), Route::Deck);
    assert_eq!(Route::from_path("embed/cost"), Route::Embed(PanelKind::Cost));
    assert_eq!(Route::from_path("/embed/cold-start/"), Route::Embed(PanelKind::ColdStart));
    assert_eq!(Route::from_path("embed/nope"), Route::UnknownEmbed);
}
