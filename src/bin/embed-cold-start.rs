//! `/embed/cold-start/`: the cold-start panel alone, in a wasm that holds nothing else.
fn main() {
    deck_app::start_embed(deck_core::PanelKind::ColdStart, deck_app::panels::cold_start::build);
}
