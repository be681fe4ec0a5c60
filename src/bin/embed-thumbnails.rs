//! `/embed/thumbnails/`: the thumbnails panel alone, in a wasm that holds nothing else.
fn main() {
    deck_app::start_embed(deck_core::PanelKind::Thumbnails, deck_app::panels::thumbnails::build);
}
