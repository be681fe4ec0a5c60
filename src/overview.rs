//! The overview (`o`): every slide as a picture in a grid. Arrow keys move between them, Enter
//! or a click jumps there; Esc or `o` closes. The grid is made once, right after the first slide
//! is painted (or on opening, if that comes first), as one piece of HTML (one parse for hundreds
//! of slides) with one click handler for all. Opening it only marks the current slide and moves
//! the focus there; off-screen thumbnails are skipped by `content-visibility`, and the frame that
//! opens it draws only the pictures on screen.
use std::fmt::Write;
use std::time::Duration;

use deck_core::nav::GridMove;
use deck_core::Deck;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::context::{DeckContext, Dialog};
use crate::lazy::ViewOf;
use crate::modal::Modal;
use crate::thumbnail::picture_html;
use deck_core::page::escape;

type Grid = NodeRef<leptos::html::Ol>;

crate::split_point!(
    dialogs,
    pub fn chunk() -> ViewOf<DeckContext> {
        |ctx| view! { <Overview ctx/> }.into_any()
    }
);

#[component]
pub fn Overview(ctx: DeckContext) -> impl IntoView {
    let state = ctx.dialog;
    let grid: Grid = NodeRef::new();
    let build = {
        let (deck, built) = (ctx.deck.clone(), StoredValue::new(false));
        move || {
            let Some(list) = grid.get_untracked() else { return };
            if !built.get_value() {
                built.set_value(true);
                list.set_inner_html(&grid_html(&deck));
            }
        }
    };
    // Parsing the grid takes tens of ms: done before anyone asks for it, yet after the first
    // slide is on screen (a timer set in a frame callback runs once that frame is painted).
    // In the closed dialog the grid costs no style, layout or paint, only its parse.
    request_animation_frame({
        let build = build.clone();
        move || set_timeout(build, Duration::ZERO)
    });
    Effect::new(move |_| {
        if state.get() == Some(Dialog::Overview) {
            build();
            let current = ctx.pos.get_untracked().slide;
            // Once the dialog is shown.
            request_animation_frame(move || {
                focus_current(grid, current);
                draw_only_on_screen(grid);
            });
        }
    });
    let on_click = {
        let ctx = ctx.clone();
        move |e: leptos::ev::MouseEvent| {
            let index = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|t| t.closest("button.thumb").ok().flatten())
                .and_then(|thumb| thumb.get_attribute("data-index"))
                .and_then(|index| index.parse().ok());
            if let Some(index) = index {
                ctx.go_to_slide(index);
                ctx.dialog.set(None);
            }
        }
    };
    let on_keydown = move |e: leptos::ev::KeyboardEvent| {
        if e.key() == "o" || e.key() == "O" {
            e.prevent_default();
            state.set(None);
        } else if let Some(moved) = GridMove::from_key(&e.key()) {
            e.prevent_default();
            move_focus(grid, moved);
        }
    };

    view! {
        <Modal state kind=Dialog::Overview label="All slides" class="overview">
            <h2 class="modal-title">"All slides"</h2>
            <p class="modal-hint">"Arrow keys move, Enter opens, Esc closes."</p>
            <ol class="overview-grid" node_ref=grid on:click=on_click on:keydown=on_keydown></ol>
        </Modal>
    }
}

/// One button per slide: its picture and its number and title.
fn grid_html(deck: &Deck) -> String {
    let mut html = String::new();
    for (index, slide) in deck.slides.iter().enumerate() {
        let _ = write!(
            html,
            r#"<li><button type="button" class="thumb" data-index="{index}">{}<span class="thumb-caption"><span class="thumb-number">{}</span> {}</span></button></li>"#,
            picture_html(slide, u16::MAX),
            index + 1,
            escape(&slide.title),
        );
    }
    html
}

fn thumbs(grid: Grid) -> Vec<web_sys::HtmlElement> {
    let Some(grid) = grid.get_untracked() else { return Vec::new() };
    let Ok(list) = grid.query_selector_all("button.thumb") else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.item(i)?.dyn_into().ok()).collect()
}

/// Marks the current slide (`aria-current`) and focuses it. Done on opening rather than by a
/// binding per thumbnail, so moving through the deck never touches the hidden grid.
fn focus_current(grid: Grid, current: usize) {
    let Some(list) = grid.get_untracked() else { return };
    if let Ok(Some(previous)) = list.query_selector("[aria-current]") {
        let _ = previous.remove_attribute("aria-current");
    }
    let selector = format!("button.thumb[data-index=\"{current}\"]");
    let Ok(Some(thumb)) = list.query_selector(&selector) else { return };
    let _ = thumb.set_attribute("aria-current", "true");
    let options = web_sys::ScrollIntoViewOptions::new();
    options.set_block(web_sys::ScrollLogicalPosition::Center);
    thumb.scroll_into_view_with_scroll_into_view_options(&options);
    if let Ok(thumb) = thumb.dyn_into::<web_sys::HtmlElement>() {
        let _ = thumb.focus();
    }
}

/// Lets the frame that opens the grid draw only the pictures in the window. On its own,
/// `content-visibility: auto` also draws those up to one and a half windows further on (for
/// smooth scrolling): twice as many as are seen, all in the opening frame. Here the others are
/// hidden (presenter.css) until that frame is painted, then left to `content-visibility: auto`.
/// Positions are final before any thumbnail is drawn (their height is fixed in presenter.css);
/// run after [`focus_current`], which brings layout up to date, reading them costs little.
fn draw_only_on_screen(grid: Grid) {
    let Some(list) = grid.get_untracked() else { return };
    let Ok(items) = list.query_selector_all(":scope > li") else { return };
    let item = |i: u32| items.item(i).and_then(|n| n.dyn_into::<web_sys::Element>().ok());
    let height = window().inner_height().ok().and_then(|h| h.as_f64()).unwrap_or(0.0);
    // The grid fills row after row, so tops and bottoms grow with the index: binary searches.
    let indices: Vec<u32> = (0..items.length()).collect();
    let rect = |i: &u32| item(*i).map(|li| li.get_bounding_client_rect());
    let first = indices.partition_point(|i| rect(i).is_some_and(|r| r.bottom() <= 0.0));
    let end = indices.partition_point(|i| rect(i).is_some_and(|r| r.top() < height));
    let Some(on_screen) = indices.get(first..end) else { return };
    let on_screen: Vec<web_sys::Element> = on_screen.iter().filter_map(|i| item(*i)).collect();
    for li in &on_screen {
        let _ = li.set_attribute("data-on-screen", "");
    }
    let _ = list.set_attribute("data-first-frame", "");
    // A task set now runs once this frame is painted.
    set_timeout(
        move || {
            let _ = list.remove_attribute("data-first-frame");
            for li in on_screen {
                let _ = li.remove_attribute("data-on-screen");
            }
        },
        Duration::ZERO,
    );
}

fn move_focus(grid: Grid, moved: GridMove) {
    let thumbs = thumbs(grid);
    let active = document().active_element();
    let from = thumbs
        .iter()
        .position(|t| active.as_ref().is_some_and(|a| a == t.unchecked_ref::<web_sys::Element>()));
    let Some(from) = from else {
        if let Some(first) = thumbs.first() {
            let _ = first.focus();
        }
        return;
    };
    if let Some(to) = thumbs.get(moved.apply(from, columns(grid), thumbs.len())) {
        let _ = to.focus();
    }
}

/// Columns as laid out now: the tracks of the grid's computed template ("212px 212px …").
fn columns(grid: Grid) -> usize {
    grid.get_untracked()
        .and_then(|list| window().get_computed_style(&list).ok().flatten())
        .and_then(|style| style.get_property_value("grid-template-columns").ok())
        .map_or(1, |tracks| tracks.split_whitespace().count())
}
