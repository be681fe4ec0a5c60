//! State shared between the windows of one deck (audience and speaker view): the position and
//! every panel's inputs and results live in shared signals, so what the presenter does appears
//! in every window, and a result fetched in one window is shown in the others without a second
//! request.
//!
//! A [`Hub`] holds the page's shared signals by key and talks to other windows through
//! [`Transport`]s that carry JSON text. In a window:
//! - a local change to a shared signal is sent to every transport;
//! - a value arriving from a transport is set on the signal (or kept until a view asks for that
//!   key) and passed on to the other transports, but never echoed back: the hub remembers the
//!   last value it saw per key and only sends values that differ;
//! - a window that connects says [`Message::Hello`] and the others answer with all they hold,
//!   so a window opened late catches up at once.
//!
//! Transports: a `BroadcastChannel` joins the windows of one browser ([`connect_windows`]); follow
//! mode (`crate::follow`) joins devices in the room through the local server. Each implements
//! [`Transport::send`] and hands what it receives to its [`Inbox`]; the hub does the rest.
//!
//! Panels must start requests from user events only, never from an effect on shared state, so
//! that a window applying a remote result does not fetch it again.
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use deck_core::sync::SharedState;
pub use deck_core::sync::{Message, POSITION_KEY};
use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::dom::BrowserError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("ignored a sync message that is not one: {source}")]
    BadMessage { source: serde_json::Error },
    #[error("ignored shared state `{key}` of an unexpected shape: {source}")]
    BadValue { key: String, source: serde_json::Error },
    #[error("shared state `{key}` is used with two different types; this copy is not shared")]
    TypeClash { key: String },
    #[error("cannot open the channel `{name}`: {reason}")]
    Channel { name: String, reason: BrowserError },
}

/// A way to reach the deck's other windows.
pub trait Transport {
    /// Sends one message to the windows at the other end.
    fn send(&self, message: &Message);
}

/// Where a transport hands the messages it receives.
#[derive(Clone)]
pub struct Inbox {
    hub: Weak<Hub>,
    transport: usize,
}

impl Inbox {
    /// A message as JSON text; one that is not a message is reported and dropped.
    pub fn deliver(&self, text: &str) {
        match Message::from_text(text) {
            Ok(message) => self.receive(message),
            Err(source) => report(&SyncError::BadMessage { source }),
        }
    }

    pub fn receive(&self, message: Message) {
        if let Some(hub) = self.hub.upgrade() {
            hub.receive(self.transport, message);
        }
    }

    /// All the hub holds, for a transport whose other end cannot ask (a server has no window
    /// to answer its `Hello`).
    pub fn known(&self) -> Vec<(String, Value)> {
        self.hub.upgrade().map(|hub| hub.known()).unwrap_or_default()
    }
}

/// One page's shared signals and its connections to other windows.
pub struct Hub {
    /// Owns the signals and their watchers, outside any view, so a shared signal outlives the
    /// view that first asked for it (the speaker view re-renders its previews).
    owner: Owner,
    /// The last value seen for each key, set here or received; what `Hello` is answered with.
    known: RefCell<SharedState>,
    signals: RefCell<HashMap<String, Shared>>,
    transports: RefCell<Vec<Rc<dyn Transport>>>,
}

/// Sets a value that came from another window on the signal it belongs to.
type Apply = Rc<dyn Fn(&Value) -> Result<(), serde_json::Error>>;

struct Shared {
    /// The `RwSignal<T>`, typed again when a second view asks for the same key.
    signal: Box<dyn Any>,
    apply: Apply,
}

impl Hub {
    pub fn new() -> Rc<Hub> {
        Rc::new(Hub {
            owner: detached_owner(),
            known: RefCell::default(),
            signals: RefCell::default(),
            transports: RefCell::default(),
        })
    }

    /// The signal for `key`: the same signal for every caller in this page, starting from the
    /// value other windows reported if there is one, else from `initial`.
    pub fn signal<T>(self: &Rc<Self>, key: &str, initial: T) -> RwSignal<T>
    where
        T: Serialize + DeserializeOwned + Clone + PartialEq + Send + Sync + 'static,
    {
        if let Some(shared) = self.signals.borrow().get(key) {
            if let Some(signal) = shared.signal.downcast_ref::<RwSignal<T>>() {
                return *signal;
            }
            report(&SyncError::TypeClash { key: key.to_string() });
            return RwSignal::new(initial);
        }
        let remote = self.known.borrow().get(key).cloned();
        let start = match remote.map(|value| T::deserialize(value)) {
            Some(Ok(value)) => value,
            Some(Err(source)) => {
                report(&SyncError::BadValue { key: key.to_string(), source });
                initial
            }
            None => initial,
        };
        self.known.borrow_mut().set(key.to_string(), to_value(&start));

        let signal = self.owner.with(|| RwSignal::new(start));
        let hub = Rc::downgrade(self);
        let watched_key = key.to_string();
        // Runs once at first (the start value is already known, so nothing is sent) and after
        // every change, including one made before that first run.
        self.owner.with(|| {
            Effect::new(move |_| {
                let value = signal.with(to_value);
                if let Some(hub) = hub.upgrade() {
                    hub.changed_here(&watched_key, value);
                }
            })
        });
        let apply = move |value: &Value| T::deserialize(value).map(|v| signal.set(v));
        self.signals
            .borrow_mut()
            .insert(key.to_string(), Shared { signal: Box::new(signal), apply: Rc::new(apply) });
        signal
    }

    /// Adds a transport and asks the windows behind it for their state. `open` gets the inbox
    /// the transport must deliver incoming messages to.
    pub fn connect<T: Transport + 'static>(
        self: &Rc<Self>,
        open: impl FnOnce(Inbox) -> Result<T, SyncError>,
    ) -> Result<(), SyncError> {
        let transport = self.transports.borrow().len();
        let opened: Rc<dyn Transport> = Rc::new(open(Inbox { hub: Rc::downgrade(self), transport })?);
        self.transports.borrow_mut().push(opened.clone());
        opened.send(&Message::Hello);
        Ok(())
    }

    /// A message from transport `from`.
    fn receive(&self, from: usize, message: Message) {
        match message {
            Message::Hello => {
                if let Some(transport) = self.transport(from) {
                    transport.send(&Message::State { values: self.known() });
                }
            }
            Message::State { values } => {
                let news: Vec<_> =
                    values.into_iter().filter(|(key, value)| self.accept(key, value)).collect();
                if !news.is_empty() {
                    self.send_except(Some(from), &Message::State { values: news });
                }
            }
        }
    }

    fn known(&self) -> Vec<(String, Value)> {
        self.known.borrow().snapshot()
    }

    /// Takes a value from another window: sets it on the key's signal, if a view has asked for
    /// the key, and records it. False if it is not news or does not fit the signal's type.
    fn accept(&self, key: &str, value: &Value) -> bool {
        // Recorded before the signal is set, so its watcher sees nothing new to send back.
        let Some(previous) = self.record(key, value) else { return false };
        let apply = self.signals.borrow().get(key).map(|s| s.apply.clone());
        if let Some(Err(source)) = apply.map(|apply| apply(value)) {
            report(&SyncError::BadValue { key: key.to_string(), source });
            let mut known = self.known.borrow_mut();
            match previous {
                Some(previous) => known.set(key.to_string(), previous),
                None => known.remove(key),
            };
            return false;
        }
        true
    }

    /// A shared signal changed in this page (or was set from a message, which `accept` has
    /// already recorded, so it is not sent back).
    fn changed_here(&self, key: &str, value: Value) {
        if self.record(key, &value).is_some() {
            self.send_except(None, &Message::State { values: vec![(key.to_string(), value)] });
        }
    }

    /// Records `value` for `key`. None if the hub had that value already, else what it had.
    fn record(&self, key: &str, value: &Value) -> Option<Option<Value>> {
        let mut known = self.known.borrow_mut();
        if known.get(key) == Some(value) {
            return None;
        }
        Some(known.set(key.to_string(), value.clone()))
    }

    fn transport(&self, index: usize) -> Option<Rc<dyn Transport>> {
        self.transports.borrow().get(index).cloned()
    }

    fn send_except(&self, skip: Option<usize>, message: &Message) {
        // Clone the list first: a transport may deliver synchronously and re-enter the hub.
        let transports = self.transports.borrow().clone();
        for (index, transport) in transports.iter().enumerate() {
            if Some(index) != skip {
                transport.send(message);
            }
        }
    }
}

fn to_value<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A reactive owner that is nobody's child: owners made with `Owner::new` adopt the current one
/// as parent and would be cleaned up with it.
fn detached_owner() -> Owner {
    let current = Owner::current();
    if let Some(owner) = current.clone() {
        owner.unset();
    }
    let detached = Owner::new();
    if let Some(owner) = current {
        owner.set();
    }
    detached
}

pub(crate) fn report(error: &SyncError) {
    leptos::logging::warn!("{error}");
}

thread_local! {
    static PAGE_HUB: Rc<Hub> = Hub::new();
    static WINDOWS_CONNECTED: Cell<bool> = const { Cell::new(false) };
}

/// The hub of this page.
pub fn page_hub() -> Rc<Hub> {
    PAGE_HUB.with(Rc::clone)
}

/// A signal for the state called `key`, shared with the deck's other windows once
/// [`connect_windows`] has run. Keys are unique in the deck, e.g. `panel:3-1:history`.
pub fn shared_signal<T>(key: &str, initial: T) -> RwSignal<T>
where
    T: Serialize + DeserializeOwned + Clone + PartialEq + Send + Sync + 'static,
{
    page_hub().signal(key, initial)
}

/// Joins the deck's other windows in this browser (once per page; later calls do nothing).
/// Embed pages never call it, so two embedded panels on a blog do not mirror each other.
pub fn connect_windows() {
    if WINDOWS_CONNECTED.replace(true) {
        return;
    }
    let name = channel_name();
    if let Err(error) = page_hub().connect(|inbox| BroadcastTransport::open(&name, inbox)) {
        report(&error);
    }
}

/// One channel per deck: decks served from different paths of one origin stay apart.
fn channel_name() -> String {
    let base = document().base_uri().ok().flatten().unwrap_or_default();
    format!("serverless-deck {base}")
}

/// Windows of the same browser and origin, through a `BroadcastChannel`.
pub struct BroadcastTransport {
    channel: web_sys::BroadcastChannel,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
}

impl BroadcastTransport {
    pub fn open(name: &str, inbox: Inbox) -> Result<BroadcastTransport, SyncError> {
        let channel = web_sys::BroadcastChannel::new(name)
            .map_err(|e| SyncError::Channel { name: name.to_string(), reason: e.into() })?;
        let on_message = Closure::<dyn FnMut(_)>::new(move |event: web_sys::MessageEvent| {
            if let Some(text) = event.data().as_string() {
                inbox.deliver(&text);
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Ok(BroadcastTransport { channel, _on_message: on_message })
    }
}

impl Transport for BroadcastTransport {
    fn send(&self, message: &Message) {
        if let Err(error) = self.channel.post_message(&JsValue::from_str(&message.to_text())) {
            leptos::logging::warn!("BroadcastChannel refused a message: {error:?}");
        }
    }
}
