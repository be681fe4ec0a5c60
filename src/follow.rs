//! Follow mode: devices in the room open `/follow` and track the presenter's deck, panels
//! included, through the local server (`server/src/follow.rs`). The server turns it on when it
//! listens beyond loopback, and prints the presenter's token and both addresses.
//!
//! - The presenter opens the deck with `?token=…`, which the page keeps (see `token.rs`). The
//!   deck window then leads: a [`Leader`] transport sends
//!   every change of shared state to `POST /api/follow`, one request at a time, merging what piles
//!   up meanwhile (so slow wifi cannot reorder slides) and retrying what failed. The speaker
//!   view shows how many follow, through a windows-only key.
//! - A follower's page gets the state from `GET /api/follow/events`: everything at once, then
//!   each change, results of the presenter's Lambda calls included (never fetched again). It
//!   sends nothing. Its viewer may browse alone; the presenter's next move brings them back, or
//!   "Back to the presenter" does at once.
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use deck_core::sync::{FollowReply, Join, Message, Outbox, POSITION_KEY};
use deck_core::Position;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;

use crate::context::{DeckContext, Dialog};
use crate::dom::{EventStream, StreamEvent};
use crate::modal::Modal;
use crate::panels::http::{self, CallError};
use crate::sync::{page_hub, shared_signal, Inbox, Transport};
use crate::token::{forget_token, presenter_token};
use crate::{dom, print};

use deck_core::routes::{
    FOLLOW_EVENTS_ROUTE as EVENTS_URL, FOLLOW_JOIN_QR_ROUTE as JOIN_QR_URL, FOLLOW_JOIN_ROUTE as JOIN_URL,
    FOLLOW_ROUTE as PRESENT_URL,
};
const LEAD_STATUS_KEY: &str = "windows:follow-lead";
/// How often the speaker view's count of followers is refreshed between the presenter's moves.
const COUNT_EVERY: Duration = Duration::from_secs(10);
const RETRY_FIRST: Duration = Duration::from_millis(500);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// How leading the room goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadStatus {
    /// No token: this deck leads no one.
    Idle,
    Connecting,
    Live {
        followers: usize,
    },
    /// The server is unreachable; changes wait and are sent when it answers again.
    Retrying,
    /// The server refused the token (e.g. it was restarted and printed a new one).
    Refused,
    /// The server has no follow mode (it listens on loopback only).
    Off,
}

impl LeadStatus {
    /// For the speaker view; None when there is nothing to say.
    pub fn describe(self) -> Option<String> {
        match self {
            LeadStatus::Idle | LeadStatus::Off => None,
            LeadStatus::Connecting => Some("Follow mode: connecting…".into()),
            LeadStatus::Live { followers: 1 } => Some("Follow mode: 1 device follows".into()),
            LeadStatus::Live { followers } => Some(format!("Follow mode: {followers} devices follow")),
            LeadStatus::Retrying => Some("Follow mode: server unreachable, retrying".into()),
            LeadStatus::Refused => Some("Follow mode: the server refused the token".into()),
        }
    }
}

/// What the speaker view says of follow mode, shared by this browser's deck windows (the deck
/// window leads, the speaker view shows it).
pub fn lead_description() -> RwSignal<Option<String>> {
    shared_signal(LEAD_STATUS_KEY, None)
}

/// The leader's status, and its description for the speaker view.
#[derive(Clone)]
struct Status {
    now: Rc<Cell<LeadStatus>>,
    shown: RwSignal<Option<String>>,
}

impl Status {
    fn get(&self) -> LeadStatus {
        self.now.get()
    }

    fn set(&self, status: LeadStatus) {
        self.now.set(status);
        self.shown.set(status.describe());
    }
}

thread_local! {
    static LEADING: Cell<bool> = const { Cell::new(false) };
}

/// Leads the room when this tab holds the presenter token (once per page). A print snapshot
/// never does: it is a copy, not the talk.
pub fn lead(notice: RwSignal<Option<String>>) {
    let Some(token) = presenter_token() else { return };
    if print::is_snapshot() || LEADING.replace(true) {
        return;
    }
    let status = Status { now: Rc::new(Cell::new(LeadStatus::Idle)), shown: lead_description() };
    status.set(LeadStatus::Connecting);
    let connected = page_hub().connect(|inbox| {
        Ok(Leader(Rc::new(LeaderState {
            token,
            inbox,
            outbox: RefCell::default(),
            sending: Cell::new(false),
            stopped: Cell::new(false),
            status: status.clone(),
            notice,
        })))
    });
    if let Err(error) = connected {
        crate::sync::report(&error);
        return;
    }
    // Each reply carries the count as of that move; between moves it is asked for. The
    // interval lasts as long as the page, as leading does.
    let refresh = move || {
        let status = status.clone();
        spawn_local(async move {
            let live = |status: LeadStatus| matches!(status, LeadStatus::Live { .. });
            if !live(status.get()) {
                return;
            }
            if let Ok(join) = ask_how_to_join().await {
                if live(status.get()) {
                    status.set(LeadStatus::Live { followers: join.followers });
                }
            }
        })
    };
    if let Err(error) = set_interval_with_handle(refresh, COUNT_EVERY) {
        leptos::logging::warn!("follow mode: the count of followers will only update on moves: {error:?}");
    }
}

struct LeaderState {
    token: String,
    inbox: Inbox,
    outbox: RefCell<Outbox>,
    /// A send loop is running.
    sending: Cell<bool>,
    /// Refused or off: nothing more is sent.
    stopped: Cell<bool>,
    status: Status,
    notice: RwSignal<Option<String>>,
}

/// The presenter's side of follow mode.
struct Leader(Rc<LeaderState>);

impl Transport for Leader {
    fn send(&self, message: &Message) {
        let leader = &self.0;
        if leader.stopped.get() {
            return;
        }
        leader.outbox.borrow_mut().push(message);
        if !leader.sending.replace(true) {
            spawn_local(send_loop(leader.clone()));
        }
    }
}

/// Sends what waits, one request at a time, until nothing does.
async fn send_loop(leader: Rc<LeaderState>) {
    let mut retry = RETRY_FIRST;
    loop {
        let Some(message) = leader.outbox.borrow_mut().take() else { break };
        let sent = http::post(PRESENT_URL, Some(&leader.token), Some(message.to_text())).await;
        match sent.map(|reply| serde_json::from_value::<FollowReply>(reply.body)) {
            Ok(Ok(reply)) => {
                retry = RETRY_FIRST;
                leader.status.set(LeadStatus::Live { followers: reply.followers });
                if message == Message::Hello {
                    // The room's state wins (a reloaded presenter page catches up); then the
                    // room gets the rest of this page's, which nobody asked for.
                    leader.inbox.receive(Message::State { values: reply.values });
                    let known = Message::State { values: leader.inbox.known() };
                    leader.outbox.borrow_mut().push(&known);
                }
            }
            Ok(Err(error)) => {
                leptos::logging::warn!("follow mode: an answer of an unexpected shape: {error}")
            }
            Err(CallError::Status { status: 401, .. }) => {
                stop(&leader, LeadStatus::Refused);
                forget_token();
                leader.notice.set(Some(
                    "The server refused the presenter token, so the room no longer follows. Open the \
                     address with ?token= that the server printed when it started."
                        .into(),
                ));
                break;
            }
            Err(CallError::Status { status: 404 | 405, .. }) => {
                stop(&leader, LeadStatus::Off);
                break;
            }
            // Refused for its content (400, 413): sending it again would not help.
            Err(CallError::Status { status: 400..=499, message, .. }) => {
                leptos::logging::warn!("follow mode: the server refused a change: {message}");
            }
            Err(_) => {
                leader.outbox.borrow_mut().put_back(message);
                leader.status.set(LeadStatus::Retrying);
                dom::sleep(retry).await;
                retry = (retry * 2).min(RETRY_MAX);
            }
        }
    }
    leader.sending.set(false);
}

fn stop(leader: &LeaderState, status: LeadStatus) {
    leader.stopped.set(true);
    leader.outbox.borrow_mut().clear();
    leader.status.set(status);
}

/// A follower's connection, as its bar shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowStatus {
    Connecting,
    Live,
    /// The browser reconnects by itself; the first message then brings everything again.
    Reconnecting,
    /// The server answered without a stream: it has no follow mode.
    Off,
    /// The server answered without a stream but has follow mode: the room is full (`503`).
    Full,
}

/// The follower's side: an event stream whose messages go to the hub. The stream is closed
/// while the page sits in the back/forward cache (a page nobody sees does not follow, nor count
/// as following) and opened again when it comes back; its first message brings everything.
struct Follower {
    _stream: Rc<RefCell<Option<EventStream>>>,
}

impl Transport for Follower {
    /// Followers only follow: nothing of theirs goes anywhere.
    fn send(&self, _: &Message) {}
}

impl Follower {
    fn open(
        inbox: Inbox,
        presenter_at: RwSignal<Option<Position>>,
        status: RwSignal<FollowStatus>,
    ) -> Result<Follower, crate::sync::SyncError> {
        let start = move || follow_room(inbox.clone(), presenter_at, status);
        let stream = Rc::new(RefCell::new(Some(start()?)));
        let hidden = stream.clone();
        let on_hide = window_event_listener(leptos::ev::pagehide, move |_| drop(hidden.borrow_mut().take()));
        let shown = stream.clone();
        let on_show = window_event_listener(leptos::ev::pageshow, move |_| {
            if shown.borrow().is_none() {
                status.set(FollowStatus::Connecting);
                *shown.borrow_mut() = start().ok();
            }
        });
        // Both last as long as the page, as following does.
        std::mem::forget((on_hide, on_show));
        Ok(Follower { _stream: stream })
    }
}

/// The room's state, handed to the hub, with what the bar shows kept up to date.
fn follow_room(
    inbox: Inbox,
    presenter_at: RwSignal<Option<Position>>,
    status: RwSignal<FollowStatus>,
) -> Result<EventStream, crate::sync::SyncError> {
    let on_event = move |event: StreamEvent| match event {
        StreamEvent::Open => status.set(FollowStatus::Live),
        // The browser does not say why; the join route does: it is there when follow mode is.
        StreamEvent::Error { closed: true } => spawn_local(async move {
            let why = match ask_how_to_join().await {
                Err(JoinError::NoFollowMode) => FollowStatus::Off,
                _ => FollowStatus::Full,
            };
            if !status.is_disposed() {
                status.set(why);
            }
        }),
        StreamEvent::Error { closed: false } => status.set(FollowStatus::Reconnecting),
        StreamEvent::Data(text) => {
            let Ok(message) = Message::from_text(&text) else {
                return inbox.deliver(&text); // which reports it
            };
            if let Message::State { values } = &message {
                let position = values.iter().rev().find(|(key, _)| key == POSITION_KEY);
                if let Some(Ok(at)) = position.map(|(_, value)| Position::deserialize(value)) {
                    presenter_at.set(Some(at));
                }
            }
            status.set(FollowStatus::Live);
            inbox.receive(message);
        }
    };
    EventStream::open(EVENTS_URL, &[], on_event)
        .map_err(|reason| crate::sync::SyncError::Channel { name: EVENTS_URL.to_owned(), reason })
}

/// `/follow`: connects this page to the presenter's and says how following goes, with a way
/// back when the viewer has browsed away.
#[component]
pub fn FollowBar(ctx: DeckContext) -> impl IntoView {
    let status = RwSignal::new(FollowStatus::Connecting);
    let presenter_at = RwSignal::new(None::<Position>);
    if !print::is_snapshot() {
        if let Err(error) = page_hub().connect(|inbox| Follower::open(inbox, presenter_at, status)) {
            crate::sync::report(&error);
            status.set(FollowStatus::Off);
        }
    }
    let pos = ctx.pos;
    let away = move || presenter_at.get().filter(|at| *at != pos.get());
    let text = move || match (status.get(), away()) {
        (FollowStatus::Connecting, _) => "Connecting to the presenter…".to_owned(),
        (FollowStatus::Live, None) => "Following the presenter".to_owned(),
        (FollowStatus::Live, Some(at)) => format!("The presenter is on slide {}", at.slide + 1),
        (FollowStatus::Reconnecting, _) => "Connection lost, reconnecting…".to_owned(),
        (FollowStatus::Off, _) => "This server has no follow mode: browse the slides on your own.".to_owned(),
        (FollowStatus::Full, _) => "The room is full: the server follows as many devices as it can. Reload \
                                    the page in a while to try again, or browse the slides on your own."
            .to_owned(),
    };
    let state = move || match status.get() {
        FollowStatus::Connecting => "connecting",
        FollowStatus::Live => "live",
        FollowStatus::Reconnecting => "reconnecting",
        FollowStatus::Off => "off",
        FollowStatus::Full => "full",
    };
    let back = move |_| {
        if let Some(at) = presenter_at.get_untracked() {
            pos.set(at);
        }
    };
    view! {
        <div class="follow-bar" data-state=state>
            <p role="status" data-testid="follow-status">{text}</p>
            <Show when=move || status.get() == FollowStatus::Live && away().is_some()>
                <button type="button" data-action="follow-back" on:click=back>"Back to the presenter"</button>
            </Show>
        </div>
    }
}

/// Why the join dialog has no address to show.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
enum JoinError {
    #[error(
        "This server has no follow mode. To let the room follow on their devices, start it on the \
         room's network: cargo xtask serve --addr 0.0.0.0:8080"
    )]
    NoFollowMode,
    #[error("The server's answer is not understood: {0}")]
    NotUnderstood(String),
    #[error(transparent)]
    Call(CallError),
}

async fn ask_how_to_join() -> Result<Join, JoinError> {
    match http::get_json(JOIN_URL, &[]).await {
        Ok(reply) => serde_json::from_value(reply.body).map_err(|e| JoinError::NotUnderstood(e.to_string())),
        Err(CallError::Status { status: 404, .. }) => Err(JoinError::NoFollowMode),
        Err(error) => Err(JoinError::Call(error)),
    }
}

/// `j`: the follow address, large and as a QR code, for the room to scan off the projector.
#[component]
pub fn JoinDialog(ctx: DeckContext) -> impl IntoView {
    let state = ctx.dialog;
    let join = RwSignal::new(None::<Result<Join, JoinError>>);
    // Asked afresh at each opening: the number of followers changes.
    Effect::new(move |_| {
        if state.get() == Some(Dialog::Join) {
            join.set(None);
            spawn_local(async move {
                let answer = ask_how_to_join().await;
                if !join.is_disposed() {
                    join.set(Some(answer));
                }
            });
        }
    });
    let body = move || match join.get() {
        None => view! { <p class="join-note">"Asking the server…"</p> }.into_any(),
        Some(Ok(Join { url, followers })) => {
            let following = match followers {
                0 => "No one follows yet.".to_owned(),
                1 => "1 device follows.".to_owned(),
                n => format!("{n} devices follow."),
            };
            view! {
                <img class="join-qr" src=JOIN_QR_URL alt=format!("QR code for {url}") width="256" height="256"/>
                <p class="join-url" data-testid="join-url">{url}</p>
                <p class="join-note">"Slides and live demos follow the presenter. " {following}</p>
            }
            .into_any()
        }
        Some(Err(problem)) => {
            view! { <p class="join-note" role="alert">{problem.to_string()}</p> }.into_any()
        }
    };
    view! {
        <Modal state kind=Dialog::Join label="Follow along" class="join">
            <h2 class="modal-title">"Follow along on your device"</h2>
            {body}
        </Modal>
    }
}
