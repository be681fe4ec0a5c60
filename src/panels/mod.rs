//! Live panels. Each kind is its own module; `Panel` picks one from a validated spec.
use deck_core::PanelSpec;
use leptos::prelude::*;

/// A live panel. `id` is unique in the page (`<slide>-<block>`, or `embed`) and keys the state
/// shared with the deck's other windows.
#[component]
pub fn Panel(spec: PanelSpec, id: String) -> impl IntoView {
    let kind = spec.kind;
    view! {
        <div class="panel" data-panel=kind.name() data-panel-id=id>
            <p class="panel-title">{format!("{kind} panel")}</p>
        </div>
    }
}
