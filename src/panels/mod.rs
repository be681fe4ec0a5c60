//! Live panels. Each kind is its own module; `Panel` picks one from a validated spec.
//!
//! What a viewer sees (inputs and results) lives in shared signals keyed `panel:{id}:…`, so the
//! deck's other windows mirror it. Requests start from user events only, and their results are
//! stored in those signals: a mirroring window shows them without calling again.
//!
//! Panels build their DOM with the small builder in [`ui`] (see there why not `view!`).
use deck_core::{PanelKind, PanelSpec};
use leptos::html::Div;
use leptos::prelude::*;

pub mod chart;
pub mod cold_start;
pub mod cost;
pub mod endpoint;
pub mod http;
pub mod invoke;
pub mod thumbnails;
pub mod timeline;
pub mod ui;

use crate::lazy::{Lazy, Load};
use ui::{el, El, UserEvent};

/// What a panel kind builds: its content, and what it does with the user's events.
pub struct Body {
    pub content: Vec<El>,
    pub on_event: Box<dyn Fn(UserEvent)>,
}

/// What builds one kind of panel from its spec and id.
pub type Build = fn(&PanelSpec, &str) -> Body;

/// The builder of each kind. The deck names them all; an embed page's own wasm names only its
/// kind's, so it holds no other panel.
pub fn builder(kind: PanelKind) -> Build {
    match kind {
        PanelKind::Invoke => invoke::build,
        PanelKind::ColdStart => cold_start::build,
        PanelKind::Cost => cost::build,
        PanelKind::Thumbnails => thumbnails::build,
    }
}

crate::split_point!(
    panels,
    fn invoke_chunk() -> Build {
        invoke::build
    }
);
crate::split_point!(
    panels,
    fn cold_start_chunk() -> Build {
        cold_start::build
    }
);
crate::split_point!(
    panels,
    fn cost_chunk() -> Build {
        cost::build
    }
);
crate::split_point!(
    panels,
    fn thumbnails_chunk() -> Build {
        thumbnails::build
    }
);

/// What fetches the chunk with the builder of `kind`, for the deck (see [`crate::lazy`]).
pub fn loader(kind: PanelKind) -> Load<Build> {
    match kind {
        PanelKind::Invoke => || Box::pin(invoke_chunk()),
        PanelKind::ColdStart => || Box::pin(cold_start_chunk()),
        PanelKind::Cost => || Box::pin(cost_chunk()),
        PanelKind::Thumbnails => || Box::pin(thumbnails_chunk()),
    }
}

/// A live panel in a slide: its kind's chunk arrives on first use (or when the deck prefetches
/// it), and a chunk that cannot load says so in the panel's place, with a Retry.
#[component]
pub fn LazyPanel(spec: PanelSpec, id: String) -> impl IntoView {
    let kind = spec.kind;
    let frame = move |status: AnyView| {
        view! {
            <div class="panel" data-panel=kind.name()>
                <header class="panel-head"><h3 class="panel-title">{kind.title()}</h3></header>
                {status}
            </div>
        }
        .into_any()
    };
    view! {
        <Lazy
            what=format!("the “{}” panel", kind.title())
            load=loader(kind)
            show={move |make| view! { <Panel spec=spec.clone() id=id.clone() make/> }}
            frame=frame
        />
    }
}

/// A live panel, made by `make` (see [`builder`]). `id` is unique in the page
/// (`<slide>-<block>`, or `embed`) and keys the state shared with the deck's other windows.
#[component]
pub fn Panel(spec: PanelSpec, id: String, make: Build) -> impl IntoView {
    let kind = spec.kind;
    let Body { content, on_event } = make(&spec, &id);
    let root = NodeRef::<Div>::new();
    root.on_load(move |root| {
        for node in &content {
            let _ = root.append_child(node.element());
        }
        ui::delegate(&root, on_event);
    });
    view! { <div class="panel" data-panel=kind.name() data-panel-id=id node_ref=root></div> }
}

/// The key of one piece of a panel's shared state.
fn state_key(id: &str, name: &str) -> String {
    format!("panel:{id}:{name}")
}

/// The panel's title line: its name, and whatever sits at the right (settings, a link).
fn header(title: &str, right: El) -> El {
    el("header").class("panel-head").child(el("h3").class("panel-title").text(title)).child(right)
}

/// A failed call, what it means, and a way to try again (`data-action="retry"`). The deck around
/// it keeps working.
fn call_failure(message: &str) -> El {
    el("div")
        .class("call-failure")
        .attr("role", "alert")
        .child(el("p").text(message))
        .child(el("button").attr("type", "button").attr("data-action", "retry").text("Retry"))
}

/// A labelled text input with room for its error; `name` is also the label.
fn text_field(name: &str, input: El, error: El) -> El {
    el("label").class("field").child(el("span").text(name)).child(input).child(error)
}
