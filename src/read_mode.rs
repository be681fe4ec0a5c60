//! Read mode: every slide on one scrolling page with its notes beneath, for reading at one's own
//! pace. On by itself in narrow windows (phones), toggled with `r`. The slides are the deck's own
//! elements, restyled (see `.deck.read` in deck.css), so panels keep working.
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::context::DeckContext;

/// Below this width slides are too small to read as slides.
const NARROW: &str = "(max-width: 599px)";

/// Turns read mode on or off. Leaving it, the slide at the top of the page becomes the current
/// one, so the deck goes on where the reader was.
pub fn set(ctx: &DeckContext, on: bool) {
    if ctx.read.get_untracked() == on {
        return;
    }
    if !on {
        if let Some(index) = slide_at_top() {
            if index != ctx.pos.get_untracked().slide {
                ctx.go_to_slide(index);
            }
        }
    }
    ctx.read.set(on);
}

/// Starts in read mode in a narrow window and switches whenever the width crosses the limit.
pub fn follow_the_width(ctx: &DeckContext) {
    let Ok(Some(query)) = window().match_media(NARROW) else { return };
    if query.matches() {
        ctx.read.set(true);
    }
    let ctx = ctx.clone();
    let on_change =
        Closure::<dyn Fn(web_sys::MediaQueryListEvent)>::new(move |e: web_sys::MediaQueryListEvent| {
            set(&ctx, e.matches());
        });
    let _ = query.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
    // The deck view lives as long as the page, and so does this listener.
    on_change.forget();
}

/// In read mode the current slide is scrolled to: on entering, and after a jump (overview, go
/// to, search, or the speaker moving on in another window).
pub fn keep_the_slide_in_view(ctx: &DeckContext) {
    let (read, pos) = (ctx.read, ctx.pos);
    Effect::new(move |_| {
        let slide = pos.get().slide;
        if read.get() {
            // After this render has laid the page out.
            request_animation_frame(move || scroll_to(slide));
        }
    });
}

fn scroll_to(slide: usize) {
    let selector = format!("main.deck section.slide[data-slide=\"{}\"]", slide + 1);
    if let Ok(Some(element)) = document().query_selector(&selector) {
        let options = web_sys::ScrollIntoViewOptions::new();
        options.set_block(web_sys::ScrollLogicalPosition::Start);
        element.scroll_into_view_with_scroll_into_view_options(&options);
    }
}

/// The first slide whose lower edge is below the top of the window (0-based).
fn slide_at_top() -> Option<usize> {
    let slides = document().query_selector_all("main.deck section.slide").ok()?;
    (0..slides.length()).find_map(|i| {
        let element: web_sys::Element = slides.item(i)?.dyn_into().ok()?;
        (element.get_bounding_client_rect().bottom() > 1.0).then_some(i as usize)
    })
}
