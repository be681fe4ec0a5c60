//! `/embed/cost/`: the cost panel alone, in a wasm that holds nothing else.
fn main() {
    deck_app::start_embed(deck_core::PanelKind::Cost, deck_app::panels::cost::build);
}
