//! Search (`/`): find text in the slides and their notes, then jump to a hit. Enter jumps to the
//! first hit; ↓ moves into the list. The query and the snippets are shown as text, never as HTML.
use std::sync::{Arc, OnceLock};

use deck_core::search::{Hit, Place};
use deck_core::SearchIndex;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::context::{DeckContext, Dialog};
use crate::lazy::ViewOf;
use crate::modal::Modal;

const MAX_HITS: usize = 50;

crate::split_point!(
    dialogs,
    pub fn chunk() -> ViewOf<DeckContext> {
        |ctx| view! { <Search ctx/> }.into_any()
    }
);

#[component]
pub fn Search(ctx: DeckContext) -> impl IntoView {
    let state = ctx.dialog;
    let query = RwSignal::new(String::new());
    // Built on the first search, not at start-up.
    let index: Arc<OnceLock<SearchIndex>> = Arc::default();
    let hits = Memo::new({
        let deck = ctx.deck.clone();
        move |_| {
            let query = query.get();
            if query.trim().is_empty() {
                return Vec::new();
            }
            index.get_or_init(|| SearchIndex::new(&deck.slides)).search(&query, MAX_HITS)
        }
    });
    // Reopened, the last query is selected: typing replaces it, Enter repeats it.
    Effect::new(move |_| {
        if state.get() == Some(Dialog::Search) {
            request_animation_frame(|| {
                if let Some(input) = document().get_element_by_id("search-query") {
                    if let Ok(input) = input.dyn_into::<web_sys::HtmlInputElement>() {
                        input.select();
                    }
                }
            });
        }
    });
    let go = {
        let ctx = ctx.clone();
        move |slide: usize| {
            ctx.go_to_slide(slide);
            ctx.dialog.set(None);
        }
    };
    let on_input_key = {
        let go = go.clone();
        move |e: leptos::ev::KeyboardEvent| match e.key().as_str() {
            "Enter" => {
                e.prevent_default();
                if let Some(first) = hits.with_untracked(|h| h.first().map(|hit| hit.slide)) {
                    go(first);
                }
            }
            "ArrowDown" => {
                e.prevent_default();
                focus_result(0);
            }
            _ => {}
        }
    };
    let summary = move || {
        let n = hits.with(Vec::len);
        match (query.with(|q| q.trim().is_empty()), n) {
            (true, _) => String::new(),
            (false, 0) => "No slide or note contains this.".to_string(),
            (false, 1) => "1 hit".to_string(),
            (false, n) if n == MAX_HITS => format!("The first {n} hits"),
            (false, n) => format!("{n} hits"),
        }
    };
    let titles: Arc<Vec<String>> = Arc::new(ctx.deck.slides.iter().map(|s| s.title.clone()).collect());
    let results = move || {
        let titles = titles.clone();
        hits.get()
            .into_iter()
            .enumerate()
            .map(|(position, hit)| {
                let go = go.clone();
                let title = titles.get(hit.slide).cloned().unwrap_or_default();
                view! { <li><HitButton hit title position go/></li> }
            })
            .collect_view()
    };
    view! {
        <Modal state kind=Dialog::Search label="Search" class="search">
            <label for="search-query" class="modal-title">"Search slides and notes"</label>
            <input
                id="search-query"
                type="search"
                autocomplete="off"
                autofocus
                aria-describedby="search-summary"
                prop:value=query
                on:input=move |e| query.set(event_target_value(&e))
                on:keydown=on_input_key
            />
            <p id="search-summary" class="search-summary" role="status">{summary}</p>
            <ol class="search-results" on:keydown=move_between_results>{results}</ol>
        </Modal>
    }
}

#[component]
fn HitButton(hit: Hit, title: String, position: usize, go: impl Fn(usize) + 'static) -> impl IntoView {
    let slide = hit.slide;
    let place = match hit.place {
        Place::Slide => format!("Slide {}", slide + 1),
        Place::Notes => format!("Notes of slide {}", slide + 1),
    };
    view! {
        <button type="button" class="search-hit" data-result=position on:click=move |_| go(slide)>
            <span class="search-where">{place}" · "{title}</span>
            <span class="search-snippet">{hit.before}<mark>{hit.matched}</mark>{hit.after}</span>
        </button>
    }
}

/// ↑/↓ walk the results; ↑ from the first goes back to the query.
fn move_between_results(e: leptos::ev::KeyboardEvent) {
    let step: isize = match e.key().as_str() {
        "ArrowDown" => 1,
        "ArrowUp" => -1,
        _ => return,
    };
    let Some(current) = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|el| el.get_attribute("data-result"))
        .and_then(|n| n.parse::<isize>().ok())
    else {
        return;
    };
    e.prevent_default();
    let to = current + step;
    if to < 0 {
        if let Some(input) = document().get_element_by_id("search-query") {
            let _ = input.unchecked_into::<web_sys::HtmlElement>().focus();
        }
    } else {
        focus_result(to as usize);
    }
}

fn focus_result(position: usize) {
    let selector = format!(".search-results [data-result=\"{position}\"]");
    if let Ok(Some(button)) = document().query_selector(&selector) {
        let _ = button.unchecked_into::<web_sys::HtmlElement>().focus();
    }
}
