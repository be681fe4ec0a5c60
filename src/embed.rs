//! `/embed/<kind>?…`: one panel alone, for a blog post's iframe. The URL parameters are checked
//! by the same rules as a slide's panel block and bad ones are listed, as text.
use deck_core::{PanelKind, PanelSpec};
use leptos::prelude::*;

use crate::dom;
use crate::panels::{Build, Panel};

/// The panel of `kind`, made by `make`, with a link back to the talk.
#[component]
pub fn EmbedView(kind: PanelKind, title: String, make: Build) -> impl IntoView {
    dom::set_title(&format!("{kind} — {title}"));
    let panel = match PanelSpec::new(kind, dom::query_pairs()) {
        Ok(spec) => view! { <Panel spec id="embed".to_string() make/> }.into_any(),
        Err(errors) => view! {
            <div class="embed-errors" role="alert">
                <p>"This embed's URL has parameters the panel cannot use:"</p>
                <ul>{errors.into_iter().map(|e| view! { <li>{e.to_string()}</li> }).collect_view()}</ul>
            </div>
        }
        .into_any(),
    };
    view! {
        <main class="embed">
            {panel}
            <p class="embed-source"><a href="./" target="_top">{format!("From the talk “{title}”")}</a></p>
        </main>
    }
}

#[component]
pub fn UnknownEmbed() -> impl IntoView {
    let kinds = PanelKind::ALL.map(|k| k.name()).join(", ");
    view! {
        <main class="embed">
            <p class="embed-errors" role="alert">{format!("There is no such panel. Embeddable panels: {kinds}.")}</p>
        </main>
    }
}
