//! The deck: a 16:9 stage showing one slide, driven by keys, clicks, swipes and the URL hash;
//! read mode; the dialogs (overview, go to, search, shortcuts). The speaker view reuses the
//! stage, the key handling and the dialogs through [`DeckContext`] (`context.rs`, which the
//! dialogs depend on instead of this module).
use deck_core::nav::Direction;
use deck_core::shortcuts::{command_for, Command, Scope};
use deck_core::{Content, Deck, Position};
use leptos::ev;
use leptos::prelude::*;

use crate::context::{DeckContext, Dialog};
use crate::lazy::{Lazy, ViewOf};
use crate::modal::Modal;
use crate::panels::LazyPanel;
use crate::{dom, follow, goto, help, overview, print, read_mode, search, swipe, theme};

/// Runs a shortcut's command. False when this view leaves the key to the browser.
pub fn run(ctx: &DeckContext, command: Command) -> bool {
    // In read mode the arrows, Space and Home/End scroll the page, as on any page.
    let moves = matches!(command, Command::Next | Command::Previous | Command::First | Command::Last);
    if moves && ctx.read.get_untracked() {
        return false;
    }
    match command {
        Command::Next => ctx.step(Direction::Forward),
        Command::Previous => ctx.step(Direction::Back),
        Command::First => ctx.go_to_slide(0),
        Command::Last => ctx.go_to_slide(usize::MAX),
        Command::Overview => ctx.dialog.set(Some(Dialog::Overview)),
        Command::GoTo => ctx.dialog.set(Some(Dialog::GoTo)),
        Command::Search => ctx.dialog.set(Some(Dialog::Search)),
        Command::Help => ctx.dialog.set(Some(Dialog::Help)),
        Command::ReadMode => read_mode::set(ctx, !ctx.read.get_untracked()),
        Command::SpeakerView => open_speaker_view(ctx.pos.get_untracked(), ctx.notice),
        Command::Join => ctx.dialog.set(Some(Dialog::Join)),
        Command::Fullscreen => toggle_fullscreen(),
        Command::Theme => theme::toggle(),
        Command::NotesLarger | Command::NotesSmaller | Command::TimerPause | Command::TimerReset => {
            return false
        }
    }
    true
}

/// Sends shortcut keys of `view` to `handle` (which says whether it used the key). Keys typed
/// into a field, pressed with Ctrl/Alt/Meta, or meant for an open dialog are left alone.
pub fn listen_for_shortcuts(view: Scope, handle: impl Fn(Command) -> bool + 'static) {
    let listener = window_event_listener(ev::keydown, move |e: ev::KeyboardEvent| {
        if e.ctrl_key() || e.alt_key() || e.meta_key() || e.default_prevented() {
            return;
        }
        // Space and Enter belong to a focused button or link.
        let activates = matches!(e.key().as_str(), " " | "Enter") && dom::is_interactive_target(e.target());
        if activates || dom::is_typing_target(e.target()) || a_dialog_is_open() {
            return;
        }
        if let Some(command) = command_for(&e.key(), e.shift_key(), view) {
            if handle(command) {
                e.prevent_default();
            }
        }
    });
    on_cleanup(move || listener.remove());
}

fn a_dialog_is_open() -> bool {
    document().query_selector("dialog[open]").ok().flatten().is_some()
}

/// The hash follows the position (one history entry per move), and the position follows the
/// hash (reload, links, back/forward).
pub fn follow_the_hash(ctx: &DeckContext) {
    let pos = ctx.pos;
    Effect::new(move |_| dom::push_hash(&pos.get().to_hash()));
    let steps = ctx.steps.clone();
    let listener = window_event_listener(ev::hashchange, move |_| {
        if let Some(to) = Position::from_hash(&dom::location_hash(), &steps) {
            if to != pos.get_untracked() {
                pos.set(to);
            }
        }
    });
    on_cleanup(move || listener.remove());
}

/// `p`: the speaker view in its own window, at the same position. Relative to `<base href>`,
/// so it works under any public URL.
fn open_speaker_view(here: Position, notice: RwSignal<Option<String>>) {
    let url = format!("?presenter{}", here.to_hash());
    let opened = window().open_with_url_and_target_and_features(
        &url,
        "serverless-deck-speaker",
        "popup,width=1280,height=800",
    );
    match opened {
        Ok(Some(speaker)) => {
            let _ = speaker.focus();
        }
        _ => notice.set(Some(format!(
            "The browser blocked the speaker window. Allow pop-ups for this site, or open {url} in a new window."
        ))),
    }
}

fn toggle_fullscreen() {
    let doc = document();
    if doc.fullscreen_element().is_some() {
        doc.exit_fullscreen();
    } else if let Some(root) = doc.document_element() {
        // Refused without a user gesture or inside an iframe without permission: nothing to do.
        let _ = root.request_fullscreen();
    }
}

/// The audience's deck; with `follower`, the deck of a device following the presenter's.
#[component]
pub fn DeckView(deck: Deck, #[prop(optional)] follower: bool) -> impl IntoView {
    dom::set_title(&deck.meta.title);
    theme::init();
    let ctx = DeckContext::new(deck, Scope::Deck);
    // A follower joins only the presenter: its moves must not reach other windows, nor the room.
    let follow_bar = follower.then(|| view! { <follow::FollowBar ctx=ctx.clone()/> });
    if !follower {
        crate::sync::connect_windows();
        follow::lead(ctx.notice);
    }
    follow_the_hash(&ctx);
    read_mode::follow_the_width(&ctx);
    read_mode::keep_the_slide_in_view(&ctx);
    listen_for_shortcuts(Scope::Deck, {
        let ctx = ctx.clone();
        move |command| run(&ctx, command)
    });
    let print_notes = print::snapshot() == Some(print::Snapshot::SlidesAndNotes);

    // A click or tap on the left third goes back, on the right third forward.
    let on_click = {
        let ctx = ctx.clone();
        move |e: ev::MouseEvent| {
            if ctx.read.get_untracked() || dom::is_interactive_target(e.target()) {
                return;
            }
            let width = window().inner_width().ok().and_then(|w| w.as_f64()).unwrap_or(0.0);
            let x = f64::from(e.client_x());
            if x < width / 3.0 {
                ctx.step(Direction::Back);
            } else if x > width * 2.0 / 3.0 {
                ctx.step(Direction::Forward);
            }
        }
    };
    let (on_touch_start, on_touch_end) = swipe::handlers({
        let ctx = ctx.clone();
        move |direction| {
            if !ctx.read.get_untracked() {
                ctx.step(direction);
            }
        }
    });

    let (pos, read, total) = (ctx.pos, ctx.read, ctx.total());
    let deck = ctx.deck.clone();
    let announcement = move || {
        let p = pos.get();
        let title = deck.slides.get(p.slide).map_or("", |s| s.title.as_str());
        format!("Slide {} of {total}: {title}", p.slide + 1)
    };

    view! {
        <main
            class="deck"
            class:read=read
            class:print-notes=print_notes
            on:click=on_click
            on:touchstart=on_touch_start
            on:touchend=on_touch_end
        >
            <Stage ctx=ctx.clone() print_notes/>
            <div class="counter" aria-hidden="true">{move || format!("{} / {total}", pos.get().slide + 1)}</div>
            <div class="sr-only" aria-live="polite" aria-atomic="true">{announcement}</div>
        </main>
        {follow_bar}
        <Notice notice=ctx.notice/>
        <Dialogs ctx/>
    }
}

/// Every slide, only the current one shown (all of them in read mode). Each slide decides with
/// its own memo whether it is current, so a move re-renders two slides, not the deck.
#[component]
pub fn Stage(ctx: DeckContext, #[prop(optional)] print_notes: bool) -> impl IntoView {
    let slides =
        (0..ctx.total()).map(|index| view! { <SlideView ctx=ctx.clone() index print_notes/> }).collect_view();
    view! { <div class="stage">{slides}</div> }
}

/// One slide; hidden (and so absent for assistive tech) unless it is the current one or read
/// mode shows them all. Its notes follow it in read mode and on notes pages.
#[component]
fn SlideView(ctx: DeckContext, index: usize, print_notes: bool) -> impl IntoView {
    let (pos, read, total) = (ctx.pos, ctx.read, ctx.total());
    let slide = &ctx.deck.slides[index];
    let current = Memo::new(move |_| pos.get().slide == index);
    let shown_step = move || {
        if read.get() {
            u16::MAX
        } else if current.get() {
            pos.get().step
        } else {
            0
        }
    };
    let class = format!("slide {}", slide.class.as_deref().unwrap_or(""));
    let blocks = slide
        .blocks
        .iter()
        .enumerate()
        .map(|(block_index, block)| {
            let step = block.step;
            let pending = move || step > shown_step();
            let hidden_for_now = move || pending().then_some("true");
            match &block.content {
                Content::Html(html) => {
                    view! { <div class="block" class:pending=pending aria-hidden=hidden_for_now inner_html=html.clone()></div> }
                        .into_any()
                }
                Content::Panel(spec) => view! {
                    <div class="block" class:pending=pending aria-hidden=hidden_for_now>
                        <LazyPanel spec=spec.clone() id=format!("{}-{block_index}", index + 1)/>
                    </div>
                }
                .into_any(),
            }
        })
        .collect_view();
    let (notes, title) = (slide.notes.clone(), slide.title.clone());
    let has_notes = !notes.is_empty();
    let show_notes = move || print_notes || (has_notes && read.get());
    view! {
        <section
            class=class
            role="group"
            aria-roledescription="slide"
            aria-label=format!("{} of {total}", index + 1)
            hidden=move || !current.get() && !read.get()
            data-slide=index + 1
        >
            {blocks}
        </section>
        <Show when=show_notes>
            <aside class="notes" aria-label=format!("Speaker notes, slide {}", index + 1)>
                <p class="notes-heading">{format!("Notes · slide {}: {}", index + 1, title)}</p>
                {if has_notes {
                    view! { <div class="notes-body" inner_html=notes.clone()></div> }.into_any()
                } else {
                    view! { <p class="notes-none">"No notes for this slide."</p> }.into_any()
                }}
            </aside>
        </Show>
    }
}

/// The dialogs of a view, each opened by its shortcut.
#[component]
pub fn Dialogs(ctx: DeckContext) -> impl IntoView {
    let state = ctx.dialog;
    // The overview and search arrive in chunks of their own; until then, or if they cannot,
    // their dialog says so.
    let overview_frame = move |status| {
        view! { <Modal state kind=Dialog::Overview label="All slides" class="overview">{status}</Modal> }
            .into_any()
    };
    let search_frame = move |status| {
        view! { <Modal state kind=Dialog::Search label="Search" class="search">{status}</Modal> }.into_any()
    };
    view! {
        <Lazy
            what="the overview".to_owned()
            load=|| Box::pin(overview::chunk())
            show={
                let ctx = ctx.clone();
                move |overview: ViewOf<DeckContext>| overview(ctx.clone())
            }
            frame=overview_frame
        />
        <goto::GoTo ctx=ctx.clone()/>
        <Lazy
            what="search".to_owned()
            load=|| Box::pin(search::chunk())
            show={
                let ctx = ctx.clone();
                move |search: ViewOf<DeckContext>| search(ctx.clone())
            }
            frame=search_frame
        />
        <follow::JoinDialog ctx=ctx.clone()/>
        <help::Help ctx/>
    }
}

/// A passing message (e.g. a blocked pop-up), read out politely and gone after a while.
#[component]
pub fn Notice(notice: RwSignal<Option<String>>) -> impl IntoView {
    Effect::new(move |_| {
        if notice.get().is_some() {
            set_timeout(move || notice.set(None), std::time::Duration::from_secs(8));
        }
    });
    view! {
        <p class="notice" role="status" class:shown=move || notice.with(Option::is_some)>
            {move || notice.get().unwrap_or_default()}
        </p>
    }
}
