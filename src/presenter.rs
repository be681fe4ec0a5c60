//! The speaker view (`p`, or the deck's URL with `?presenter`): the current slide with live
//! panels, what comes next, the notes at an adjustable size, an elapsed timer with pause and
//! reset, the time of day and the slide count. It stays in step with the audience's window
//! through the shared position (see `sync`), so navigating in either moves both.
use std::time::Duration;

use deck_core::nav::Direction;
use deck_core::shortcuts::{Command, Scope};
use deck_core::stopwatch::{format_elapsed, Stopwatch};
use deck_core::Deck;
use leptos::prelude::*;

use crate::context::{DeckContext, Dialog};
use crate::deck::{self, follow_the_hash, listen_for_shortcuts, Dialogs, Notice, Stage};
use crate::lazy::ViewOf;
use crate::thumbnail::picture_html;
use crate::{dom, follow, prefs, sync, theme};

const NOTES_SIZE: &str = "notes-size";
const NOTES_PX: std::ops::RangeInclusive<u32> = 12..=48;
const NOTES_DEFAULT_PX: u32 = 20;
const NOTES_STEP_PX: u32 = 2;

crate::split_point!(
    speaker_view,
    pub fn chunk() -> ViewOf<Deck> {
        |deck| view! { <PresenterView deck/> }.into_any()
    }
);

#[component]
pub fn PresenterView(deck: Deck) -> impl IntoView {
    dom::set_title(&format!("Speaker view — {}", deck.meta.title));
    theme::init();
    let ctx = DeckContext::new(deck, Scope::Presenter);
    sync::connect_windows();
    // The deck window leads the room (see `follow`); this one shows how that goes.
    let lead = follow::lead_description();
    follow_the_hash(&ctx);

    let notes_px = RwSignal::new(
        prefs::get(NOTES_SIZE)
            .and_then(|s| s.parse().ok())
            .filter(|px| NOTES_PX.contains(px))
            .unwrap_or(NOTES_DEFAULT_PX),
    );
    let resize_notes = move |larger: bool| {
        notes_px.update(|px| {
            *px = if larger { *px + NOTES_STEP_PX } else { px.saturating_sub(NOTES_STEP_PX) }
                .clamp(*NOTES_PX.start(), *NOTES_PX.end());
        });
        prefs::set(NOTES_SIZE, &notes_px.get_untracked().to_string());
    };

    let stopwatch = RwSignal::new(Stopwatch::started(now_ms()));
    let now = RwSignal::new(now_ms());
    let clock = RwSignal::new(time_of_day());
    if let Ok(ticker) = set_interval_with_handle(
        move || {
            now.set(now_ms());
            clock.set(time_of_day());
        },
        Duration::from_millis(500),
    ) {
        on_cleanup(move || ticker.clear());
    }
    let pause = move || stopwatch.update(|w| w.toggle(now_ms()));
    let reset = move || {
        stopwatch.update(|w| w.reset(now_ms()));
        now.set(now_ms());
    };

    listen_for_shortcuts(Scope::Presenter, {
        let ctx = ctx.clone();
        move |command| {
            match command {
                Command::NotesLarger => resize_notes(true),
                Command::NotesSmaller => resize_notes(false),
                Command::TimerPause => pause(),
                Command::TimerReset => reset(),
                other => return deck::run(&ctx, other),
            }
            true
        }
    });

    let (pos, total, steps) = (ctx.pos, ctx.total(), ctx.steps.clone());
    let next = Memo::new(move |_| pos.get().next(&steps));
    let count = {
        let steps = ctx.steps.clone();
        move || {
            let here = pos.get();
            let of_steps = steps.get(here.slide).copied().unwrap_or(0);
            let step =
                if of_steps > 0 { format!(", step {} of {of_steps}", here.step) } else { String::new() };
            format!("Slide {} of {total}{step}", here.slide + 1)
        }
    };
    let next_label = move || {
        let (here, next) = (pos.get(), next.get());
        if next == here {
            "Next: nothing, this is the end".to_string()
        } else if next.slide == here.slide {
            format!("Next: step {} of this slide", next.step)
        } else {
            format!("Next: slide {}", next.slide + 1)
        }
    };
    let next_picture = {
        let deck = ctx.deck.clone();
        move || {
            let (here, next) = (pos.get(), next.get());
            (next != here)
                .then(|| view! { <div inner_html=picture_html(&deck.slides[next.slide], next.step)></div> })
        }
    };
    let notes = {
        let deck = ctx.deck.clone();
        let slide = Memo::new(move |_| pos.get().slide);
        move || {
            let notes = &deck.slides[slide.get()].notes;
            if notes.is_empty() {
                view! { <p class="notes-none">"No notes for this slide."</p> }.into_any()
            } else {
                view! { <div inner_html=notes.clone()></div> }.into_any()
            }
        }
    };
    let elapsed = move || format_elapsed(stopwatch.with(|w| w.elapsed_ms(now.get())));
    let running = move || stopwatch.with(Stopwatch::is_running);
    let go = {
        let ctx = ctx.clone();
        move |direction| ctx.step(direction)
    };
    let go_back = go.clone();

    view! {
        <div class="presenter">
            <header class="presenter-bar">
                <p class="presenter-count">{count}</p>
                <div class="presenter-nav">
                    <button type="button" on:click=move |_| go_back(Direction::Back)>"← Previous"</button>
                    <button type="button" on:click=move |_| go(Direction::Forward)>"Next →"</button>
                </div>
                <div class="timer" role="group" aria-label="Timer">
                    <span class="timer-elapsed" role="timer" aria-label="Elapsed time" class:paused=move || !running()>
                        {elapsed}
                    </span>
                    <button type="button" aria-pressed=move || (!running()).to_string() on:click=move |_| pause()>
                        "Pause"
                    </button>
                    <button type="button" on:click=move |_| reset()>"Reset"</button>
                </div>
                <p class="wall-clock"><span class="sr-only">"Time of day: "</span>{move || clock.get()}</p>
                {move || lead.get().map(|text| view! { <p class="follow-lead" data-testid="follow-lead">{text}</p> })}
                <button type="button" on:click=move |_| ctx.dialog.set(Some(Dialog::Help))>"Shortcuts (?)"</button>
            </header>
            <section class="presenter-current" aria-label="Current slide">
                <Stage ctx=ctx.clone()/>
            </section>
            <section class="presenter-next" aria-label="Next">
                <h2 class="presenter-heading">{next_label}</h2>
                <div class="presenter-picture">{next_picture}</div>
            </section>
            <section class="presenter-notes" aria-label="Speaker notes">
                <div class="notes-tools">
                    <h2 class="presenter-heading">"Notes"</h2>
                    <button type="button" aria-label="Smaller notes" on:click=move |_| resize_notes(false)>"A−"</button>
                    <button type="button" aria-label="Larger notes" on:click=move |_| resize_notes(true)>"A+"</button>
                </div>
                <div class="notes-text" style:font-size=move || format!("{}px", notes_px.get())>{notes}</div>
            </section>
        </div>
        <Notice notice=ctx.notice/>
        <Dialogs ctx/>
    }
}

fn now_ms() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}

/// `14:05`, in the speaker's time zone.
fn time_of_day() -> String {
    let date = js_sys::Date::new_0();
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}
