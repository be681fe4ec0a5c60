//! Thin helpers over web-sys, so components read as what they do. Failures of the browser API
//! (no window in a worker, a blocked storage) degrade quietly instead of panicking.
use leptos::prelude::{document, window};
use wasm_bindgen::JsCast;

/// The page path below `document.baseURI` (trunk writes `<base href>` from `--public-url`).
pub fn path_below_base() -> String {
    let doc = document();
    let base = doc.base_uri().ok().flatten().unwrap_or_default();
    let base_path = web_sys::Url::new(&base).map(|u| u.pathname()).unwrap_or_else(|_| "/".into());
    let path = window().location().pathname().unwrap_or_default();
    path.strip_prefix(&base_path).unwrap_or(&path).to_string()
}

pub fn location_hash() -> String {
    window().location().hash().unwrap_or_default()
}

/// Sets the hash, adding a history entry so back and forward walk the slides.
pub fn push_hash(hash: &str) {
    if location_hash() != hash {
        let _ = window().location().set_hash(hash);
    }
}

/// Query parameters of the page URL, in order.
pub fn query_pairs() -> Vec<(String, String)> {
    parse_query(&window().location().search().unwrap_or_default())
}

/// The pairs of a URL query (`a=1&b=2`, with or without `?`), decoded, in order.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(query) else { return Vec::new() };
    let mut pairs = Vec::new();
    let entries = js_sys::try_iter(&params.entries()).ok().flatten();
    for entry in entries.into_iter().flatten().flatten() {
        let pair: js_sys::Array = entry.unchecked_into();
        pairs
            .push((pair.get(0).as_string().unwrap_or_default(), pair.get(1).as_string().unwrap_or_default()));
    }
    pairs
}

pub fn set_title(title: &str) {
    document().set_title(title);
}

/// Follows the system's light/dark preference; the code theme and CSS key off `data-theme`.
pub fn apply_system_theme() {
    let dark =
        window().match_media("(prefers-color-scheme: dark)").ok().flatten().is_some_and(|m| m.matches());
    set_theme(if dark { "dark" } else { "light" });
}

pub fn set_theme(theme: &str) {
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-theme", theme);
    }
}

/// Last resort after a panic: a readable message in place of the page.
pub fn show_fatal_error(message: &str) {
    show_fatal_error_text(&format!("The deck hit a bug and stopped ({message}). Reload the page to go on."));
}

/// A message at the top of the page, as text; what the page shows stays beneath it.
pub fn show_fatal_error_text(text: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let (Some(body), Ok(p)) = (doc.body(), doc.create_element("p")) else { return };
    p.set_class_name("fatal");
    let _ = p.set_attribute("role", "alert");
    p.set_text_content(Some(text));
    let _ = body.prepend_with_node_1(&p);
}

/// True when a key press belongs to a form field, so slide keys must leave it alone.
pub fn is_typing_target(target: Option<web_sys::EventTarget>) -> bool {
    let Some(element) = target.and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return false };
    matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
        || element.closest("[contenteditable]").ok().flatten().is_some()
}

/// True when a click landed on something that handles clicks itself.
pub fn is_interactive_target(target: Option<web_sys::EventTarget>) -> bool {
    target
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|e| e.closest("a, button, input, select, textarea, label, summary, .panel").ok().flatten())
        .is_some()
}

/// Waits `duration` without blocking the page.
pub async fn sleep(duration: std::time::Duration) {
    let ms = i32::try_from(duration.as_millis()).unwrap_or(i32::MAX);
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// What the browser said when it refused a call (a thrown `Error`'s message, else the value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BrowserError(String);

impl From<wasm_bindgen::JsValue> for BrowserError {
    fn from(value: wasm_bindgen::JsValue) -> Self {
        let text = match value.dyn_ref::<js_sys::Error>() {
            Some(error) => String::from(error.message()),
            None => value.as_string().unwrap_or_else(|| format!("{value:?}")),
        };
        BrowserError(text)
    }
}

/// What an [`EventStream`] reports.
pub enum StreamEvent {
    Open,
    /// One event's data.
    Data(String),
    /// The connection failed. `closed`: the browser gave up (e.g. the server answered 404);
    /// otherwise it reconnects by itself.
    Error {
        closed: bool,
    },
}

/// A server-sent event stream (`EventSource`) feeding one handler; dropping it closes the
/// connection.
pub struct EventStream {
    source: web_sys::EventSource,
    _on_data: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_open: wasm_bindgen::closure::Closure<dyn FnMut()>,
    _on_error: wasm_bindgen::closure::Closure<dyn FnMut()>,
}

impl EventStream {
    /// Listens to the event types `events` names, or to unnamed events when it names none.
    pub fn open(
        url: &str,
        events: &[&str],
        handle: impl Fn(StreamEvent) + 'static,
    ) -> Result<EventStream, BrowserError> {
        use wasm_bindgen::closure::Closure;
        let source = web_sys::EventSource::new(url)?;
        let handle = std::rc::Rc::new(handle);
        let on_data = Closure::<dyn FnMut(_)>::new({
            let handle = handle.clone();
            move |event: web_sys::MessageEvent| {
                if let Some(data) = event.data().as_string() {
                    handle(StreamEvent::Data(data));
                }
            }
        });
        if events.is_empty() {
            source.set_onmessage(Some(on_data.as_ref().unchecked_ref()));
        }
        for kind in events {
            let _ = source.add_event_listener_with_callback(kind, on_data.as_ref().unchecked_ref());
        }
        let on_open = Closure::<dyn FnMut()>::new({
            let handle = handle.clone();
            move || handle(StreamEvent::Open)
        });
        let watched = source.clone();
        let on_error = Closure::<dyn FnMut()>::new(move || {
            handle(StreamEvent::Error { closed: watched.ready_state() == web_sys::EventSource::CLOSED })
        });
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(EventStream { source, _on_data: on_data, _on_open: on_open, _on_error: on_error })
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        // Closed first: a closed source fires nothing, so no listener runs once it is gone.
        self.source.close();
        self.source.set_onmessage(None);
        self.source.set_onopen(None);
        self.source.set_onerror(None);
    }
}
