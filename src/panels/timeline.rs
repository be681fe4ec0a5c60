//! The live instance timeline of the local platform: `/api/events` (server-sent events) drawn as
//! one lane per instance — starting (init), busy (invocations), idle, stopped.
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use deck_core::platform_events::{PlatformEvent, EVENTS_ROUTE};
use deck_core::timeline::Timeline;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use super::chart::{line, text_at};
use super::ui::{bind_text, el, render_into, svg, El};
use crate::dom::{EventStream, StreamEvent};

/// The events the timeline draws (server-sent events are listened to by name).
const EVENT_TYPES: [&str; 6] = ["init_start", "init_end", "invoke_start", "invoke_end", "report", "shutdown"];
/// How far back the drawing reaches from the latest event.
const WINDOW_MS: f64 = 30_000.0;
/// Events are applied in batches, so a burst of calls redraws a few times, not once per event.
const BATCH: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Connection {
    Paused,
    Connecting,
    Live,
    Lost,
}

/// The timeline of `function`'s instances, following the platform's events while it is on
/// screen, for as long as the component (or the region) that builds it lives.
///
/// Only while on screen: a deck keeps every slide mounted, and each open stream holds one of the
/// six connections a browser allows per server over HTTP/1.1 — a few tabs of the deck would
/// otherwise leave no connection for the panels' calls.
pub fn instance_timeline(function: String) -> El {
    let timeline = RwSignal::new(Timeline::default());
    let connection = RwSignal::new(Connection::Paused);
    let status = el("span").class("muted");
    bind_text(&status, move || {
        match connection.get() {
            Connection::Paused => " · paused off screen",
            Connection::Connecting => " · connecting…",
            Connection::Live => " · live",
            Connection::Lost => " · reconnecting…",
        }
        .to_owned()
    });
    let drawing = el("div").class("region");
    render_into(&drawing, move || {
        timeline.with(|timeline| {
            vec![if timeline.lanes.is_empty() {
                el("p").class("hint").text("No instance yet: call the function.")
            } else {
                lanes(timeline)
            }]
        })
    });
    let figure = el("figure")
        .class("timeline")
        .attr("data-testid", "timeline")
        .child(el("figcaption").text("Instances, live from the local platform").child(status))
        .child(drawing);

    let source: Rc<RefCell<Option<EventStream>>> = Rc::default();
    let on_visibility = {
        let source = source.clone();
        Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            let Some(entry) = entries.iter().last() else { return };
            let visible = entry.unchecked_into::<web_sys::IntersectionObserverEntry>().is_intersecting();
            let mut source = source.borrow_mut();
            // A print snapshot stays still: an open stream would keep the page from ever settling.
            if visible && source.is_none() && !crate::print::is_snapshot() {
                connection.set(Connection::Connecting);
                *source = follow_events(function.clone(), timeline, connection);
                if source.is_none() {
                    connection.set(Connection::Lost);
                }
            } else if !visible && source.take().is_some() {
                connection.set(Connection::Paused);
            }
        })
    };
    if let Ok(observer) = web_sys::IntersectionObserver::new(on_visibility.as_ref().unchecked_ref()) {
        observer.observe(figure.element());
        let watching = SendWrapper::new((observer, on_visibility, source));
        on_cleanup(move || {
            let (observer, _, source) = watching.take();
            observer.disconnect();
            source.take();
        });
    }
    figure
}

/// The platform's events for `function`, applied to `timeline` in batches.
fn follow_events(
    function: String,
    timeline: RwSignal<Timeline>,
    connection: RwSignal<Connection>,
) -> Option<EventStream> {
    let pending: Rc<RefCell<Vec<PlatformEvent>>> = Rc::default();
    let on_event = move |event: StreamEvent| match event {
        StreamEvent::Open => connection.set(Connection::Live),
        // The browser reconnects by itself after an error.
        StreamEvent::Error { .. } => connection.set(Connection::Lost),
        StreamEvent::Data(data) => {
            let Ok(event) = serde_json::from_str::<PlatformEvent>(&data) else { return };
            if event.function != function {
                return;
            }
            let first = pending.borrow().is_empty();
            pending.borrow_mut().push(event);
            if first {
                let pending = pending.clone();
                let apply = move || {
                    let events = pending.take();
                    timeline.update(|t| events.iter().for_each(|event| t.apply(event)));
                };
                set_timeout(apply, BATCH);
            }
        }
    };
    EventStream::open(EVENTS_ROUTE, &EVENT_TYPES, on_event).ok()
}

const WIDTH: f64 = 320.0;
const LABEL: f64 = 58.0;
const LANE: f64 = 11.0;

/// One row per instance: a thin line while it lives, a block while it starts (init) and one per
/// invocation, its stop reason at the end.
fn lanes(timeline: &Timeline) -> El {
    let end = timeline.latest_ms;
    let earliest = timeline.lanes.iter().map(|lane| lane.started_ms).fold(end, f64::min);
    let start = earliest.max(end - WINDOW_MS);
    let span = (end - start).max(1000.0);
    let x = |at: f64| LABEL + ((at - start) / span).clamp(0.0, 1.0) * (WIDTH - LABEL - 4.0);
    let height = timeline.lanes.len() as f64 * LANE + 14.0;
    let mut drawing = svg("svg")
        .class("chart lanes")
        .attr("viewBox", &format!("0 0 {WIDTH} {height}"))
        .attr("role", "img")
        .attr("aria-label", "Instances of the function over time: starting, busy, idle, stopped");
    for (row, lane) in timeline.lanes.iter().enumerate() {
        let y = row as f64 * LANE;
        let stop = lane.stopped.as_ref().map_or(end, |(at, _)| *at);
        let block = |class: &str, from: f64, to: f64| {
            let left = x(from);
            svg("rect")
                .class(class)
                .num("x", left)
                .num("y", y + 2.0)
                .num("width", (x(to) - left).max(1.5))
                .num("height", LANE - 4.0)
        };
        let label: String = lane.instance.chars().take(8).collect();
        let mut group = svg("g")
            .class(if lane.stopped.is_some() { "lane stopped" } else { "lane" })
            .child(svg("text").num("x", 0.0).num("y", y + LANE - 3.0).text(&label))
            .child(line("alive", x(lane.started_ms), x(stop), y + LANE / 2.0, y + LANE / 2.0))
            .child(block("init", lane.started_ms, lane.ready_ms.unwrap_or(end).min(stop)));
        for &(from, to) in &lane.busy {
            group = group.child(block("busy", from, to));
        }
        if let Some(from) = lane.busy_since_ms {
            group = group.child(block("busy", from, stop));
        }
        if let Some((_, reason)) = &lane.stopped {
            group = group.child(
                svg("text")
                    .class("stop")
                    .num("x", x(stop) + 2.0)
                    .num("y", y + LANE - 3.0)
                    .text(&format!("✕ {reason}")),
            );
        }
        drawing = drawing.child(group);
    }
    let legend = svg("text")
        .class("axis-note")
        .num("x", LABEL)
        .num("y", height - 2.0)
        .child(svg("tspan").class("init").text("■"))
        .text(" init  ")
        .child(svg("tspan").class("busy").text("■"))
        .text(" busy");
    drawing.child(legend).child(
        text_at(WIDTH - 4.0, height - 2.0, "end", &format!("last {:.1} s →", span / 1000.0))
            .class("axis-note"),
    )
}
