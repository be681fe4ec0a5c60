//! The overview (`o`): every slide as a picture in a grid. Arrow keys move between them, Enter
//! or a click jumps there; Esc or `o` closes. The grid is made once, when the page is first idle
//! (or on opening, if that comes first), as one piece of HTML (one parse for hundreds of slides)
//! with one click handler for all. Opening it only marks the current slide and moves the focus
//! there; off-screen thumbnails are skipped by `content-visibility`.
use std::fmt::Write;

use deck_core::nav::GridMove;
use deck_core::Deck;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::deck::{DeckContext, Dialog};
use crate::modal::Modal;
use crate::thumbnail::{escape, picture_html};

type Grid = NodeRef<leptos::html::Ol>;

#[component]
pub fn Overview(ctx: DeckContext) -> impl IntoView {
    let state = ctx.dialog;
    let built = RwSignal::new(false);
    let grid: Grid = NodeRef::new();
    // In the closed dialog the grid costs no layout or paint, only its parse.
    request_idle_callback(move || built.set(true));
    Effect::new(move |_| {
        if state.get() == Some(Dialog::Overview) {
            built.set(true);
            let current = ctx.pos.get_untracked().slide;
            // Once the grid is in the page and the dialog shown.
            request_animation_frame(move || focus_current(grid, current));
        }
    });
    let deck = ctx.deck.clone();
    let thumbnails = move || if built.get() { grid_html(&deck) } else { String::new() };
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
            <ol class="overview-grid" node_ref=grid inner_html=thumbnails on:click=on_click on:keydown=on_keydown></ol>
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
