//! `/embed/invoke/`: the invoke panel alone, in a wasm that holds nothing else.
fn main() {
    deck_app::start_embed(deck_core::PanelKind::Invoke, deck_app::panels::invoke::build);
}
