//! The deck: a 16:9 stage showing one slide, driven by keys, clicks and the URL hash.
use std::sync::Arc;

use deck_core::{Content, Deck, Position, Slide};
use leptos::ev;
use leptos::prelude::*;

use crate::dom;
use crate::panels::Panel;

#[component]
pub fn DeckView(deck: Deck) -> impl IntoView {
    dom::set_title(&deck.meta.title);
    let steps: Arc<[u16]> = deck.slides.iter().map(|s| s.steps).collect();
    let total = deck.slides.len();
    let start = Position::from_hash(&dom::location_hash(), &steps).unwrap_or(Position::START);
    let pos = RwSignal::new(start);

    // The hash follows the position (one history entry per move), and the position follows the
    // hash (reload, links, back/forward).
    Effect::new(move |_| dom::push_hash(&pos.get().to_hash()));
    let on_hash = {
        let steps = steps.clone();
        move |_: ev::HashChangeEvent| {
            if let Some(to) = Position::from_hash(&dom::location_hash(), &steps) {
                if to != pos.get_untracked() {
                    pos.set(to);
                }
            }
        }
    };
    let hash_listener = window_event_listener(ev::hashchange, on_hash);
    let key_listener = window_event_listener(ev::keydown, {
        let steps = steps.clone();
        move |e: ev::KeyboardEvent| {
            if e.ctrl_key() || e.alt_key() || e.meta_key() || dom::is_typing_target(e.target()) {
                return;
            }
            let here = pos.get_untracked();
            let to = match (e.key().as_str(), e.shift_key()) {
                ("ArrowRight" | "ArrowDown" | "PageDown", _) | (" ", false) => here.next(&steps),
                ("ArrowLeft" | "ArrowUp" | "PageUp", _) | (" ", true) => here.prev(&steps),
                ("Home", _) => Position::slide(0, &steps),
                ("End", _) => Position::slide(usize::MAX, &steps),
                _ => return,
            };
            e.prevent_default();
            pos.set(to);
        }
    });
    on_cleanup(move || {
        hash_listener.remove();
        key_listener.remove();
    });

    // A click or tap on the left third goes back, on the right third forward.
    let on_click = {
        let steps = steps.clone();
        move |e: ev::MouseEvent| {
            if dom::is_interactive_target(e.target()) {
                return;
            }
            let width = window().inner_width().ok().and_then(|w| w.as_f64()).unwrap_or(0.0);
            let x = f64::from(e.client_x());
            let here = pos.get_untracked();
            if x < width / 3.0 {
                pos.set(here.prev(&steps));
            } else if x > width * 2.0 / 3.0 {
                pos.set(here.next(&steps));
            }
        }
    };

    let titles: Vec<String> = deck.slides.iter().map(|s| s.title.clone()).collect();
    let announcement = move || {
        let p = pos.get();
        format!("Slide {} of {total}: {}", p.slide + 1, titles.get(p.slide).map_or("", String::as_str))
    };
    let slides = deck
        .slides
        .into_iter()
        .enumerate()
        .map(|(index, slide)| view! { <SlideView slide index total pos/> })
        .collect_view();

    view! {
        <main class="deck" on:click=on_click>
            <div class="stage">{slides}</div>
            <div class="counter" aria-hidden="true">{move || format!("{} / {total}", pos.get().slide + 1)}</div>
            <div class="sr-only" aria-live="polite" aria-atomic="true">{announcement}</div>
        </main>
    }
}

/// One slide; hidden (and so absent for assistive tech) unless it is the current one.
#[component]
fn SlideView(slide: Slide, index: usize, total: usize, pos: RwSignal<Position>) -> impl IntoView {
    let current = Memo::new(move |_| pos.get().slide == index);
    let shown_step = move || if current.get() { pos.get().step } else { 0 };
    let class = format!("slide {}", slide.class.as_deref().unwrap_or(""));
    let blocks = slide
        .blocks
        .into_iter()
        .enumerate()
        .map(|(block_index, block)| {
            let step = block.step;
            let pending = move || step > shown_step();
            match block.content {
                Content::Html(html) => {
                    view! { <div class="block" class:pending=pending aria-hidden=move || pending().then_some("true") inner_html=html></div> }
                        .into_any()
                }
                Content::Panel(spec) => view! {
                    <div class="block" class:pending=pending aria-hidden=move || pending().then_some("true")>
                        <Panel spec id=format!("{}-{block_index}", index + 1)/>
                    </div>
                }
                .into_any(),
            }
        })
        .collect_view();
    view! {
        <section
            class=class
            role="group"
            aria-roledescription="slide"
            aria-label=format!("{} of {total}", index + 1)
            hidden=move || !current.get()
            data-slide=index + 1
        >
            {blocks}
        </section>
    }
}
