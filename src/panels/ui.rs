//! The panels' DOM, built with web-sys through a small builder rather than `view!`: every
//! reactive `view!` child or attribute instantiates Leptos's rendering machinery again (about
//! 2 KB of wasm each), and the deck's whole shell must stay under 150 KB gzipped. Here reactivity
//! costs one shared `Effect` type, and user events reach a panel through one delegated listener.
//!
//! Text always goes into the page as text nodes ([`El::text`]), never as markup, so whatever a
//! response or a URL contains is shown, not interpreted.
use leptos::prelude::{document, on_cleanup, Effect};
use send_wrapper::SendWrapper;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, HtmlInputElement, HtmlSelectElement};

const SVG_NAMESPACE: &str = "http://www.w3.org/2000/svg";

/// An element under construction.
pub struct El(Element);

/// An HTML element.
pub fn el(tag: &str) -> El {
    El::create(None, tag)
}

/// An SVG element.
pub fn svg(tag: &str) -> El {
    El::create(Some(SVG_NAMESPACE), tag)
}

impl El {
    /// `namespace` `None` makes an HTML element (a null namespace would make a plain `Element`
    /// that is no button, input or form).
    fn create(namespace: Option<&str>, tag: &str) -> El {
        let document = document();
        let element = match namespace {
            Some(namespace) => document.create_element_ns(Some(namespace), tag),
            None => document.create_element(tag),
        };
        // Tag names are literals of this crate; the browser refuses only malformed names.
        El(element.expect("a well-formed tag name"))
    }

    pub fn class(self, class: &str) -> El {
        self.attr("class", class)
    }

    pub fn attr(self, name: &str, value: &str) -> El {
        let _ = self.0.set_attribute(name, value);
        self
    }

    /// A numeric attribute (SVG geometry), to 0.1.
    pub fn num(self, name: &str, value: f64) -> El {
        self.attr(name, &format!("{value:.1}"))
    }

    /// Appends `text` as a text node.
    pub fn text(self, text: &str) -> El {
        let _ = self.0.append_with_str_1(text);
        self
    }

    pub fn child(self, child: El) -> El {
        let _ = self.0.append_child(&child.0);
        self
    }

    pub fn maybe(self, child: Option<El>) -> El {
        match child {
            Some(child) => self.child(child),
            None => self,
        }
    }

    pub fn children(self, children: impl IntoIterator<Item = El>) -> El {
        children.into_iter().fold(self, El::child)
    }

    pub fn element(&self) -> &Element {
        &self.0
    }
}

/// Runs `update` (on the next tick) and again whenever a signal it read changes, for as long as
/// the component being built lives. One boxed closure type, so all panels share one `Effect`.
pub fn watch(update: impl Fn() + 'static) {
    watch_boxed(Box::new(update));
}

// Not inlined: every `watch` shares this one instantiation of `Effect::new`.
#[inline(never)]
fn watch_boxed(update: Box<dyn Fn()>) {
    Effect::new(move |_| update());
}

/// Keeps `host`'s content equal to what `render` builds from the signals it reads.
pub fn render_into(host: &El, render: impl Fn() -> Vec<El> + 'static) {
    let host = host.0.clone();
    watch(move || {
        let nodes: js_sys::Array = render().iter().map(|el| el.0.clone()).collect();
        host.replace_children_with_node(&nodes);
    });
}

/// Keeps a form control showing `value` — also when another window changes it — without
/// touching it while it already shows that (so typing keeps its caret).
pub fn bind_value(control: &El, value: impl Fn() -> String + 'static) {
    let control = control.0.clone();
    watch(move || {
        let value = value();
        if let Some(input) = control.dyn_ref::<HtmlInputElement>() {
            if input.value() != value {
                input.set_value(&value);
            }
        } else if let Some(select) = control.dyn_ref::<HtmlSelectElement>() {
            select.set_value(&value);
        }
    });
}

pub fn bind_checked(control: &El, checked: impl Fn() -> bool + 'static) {
    let control = control.0.clone();
    watch(move || {
        if let Some(input) = control.dyn_ref::<HtmlInputElement>() {
            input.set_checked(checked());
        }
    });
}

/// Sets or removes a boolean attribute (`disabled`, `hidden`) as `on` changes.
pub fn bind_flag(target: &El, name: &'static str, on: impl Fn() -> bool + 'static) {
    let target = target.0.clone();
    watch(move || {
        let _ = target.toggle_attribute_with_force(name, on());
    });
}

/// Sets an attribute from a signal; `None` removes it.
pub fn bind_attr(target: &El, name: &'static str, value: impl Fn() -> Option<String> + 'static) {
    let target = target.0.clone();
    watch(move || {
        let _ = match value() {
            Some(value) => target.set_attribute(name, &value),
            None => target.remove_attribute(name),
        };
    });
}

/// What a user did inside a panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserEvent {
    /// A button, or a form submitted, with this `data-action`.
    Action(String),
    /// The control named `name` now holds `value` (`"true"`/`"false"` for a checkbox).
    Edit { name: String, value: String },
}

impl UserEvent {
    fn of(event: &Event) -> Option<UserEvent> {
        let target: Element = event.target()?.dyn_into().ok()?;
        match event.type_().as_str() {
            "click" => {
                let button = target.closest("button[data-action]").ok().flatten()?;
                let enabled = !button.has_attribute("disabled");
                enabled.then(|| button.get_attribute("data-action")).flatten().map(UserEvent::Action)
            }
            "submit" => {
                event.prevent_default();
                target.get_attribute("data-action").map(UserEvent::Action)
            }
            _ => {
                let name = target.get_attribute("name")?;
                let value = if let Some(input) = target.dyn_ref::<HtmlInputElement>() {
                    if input.type_() == "checkbox" {
                        input.checked().to_string()
                    } else {
                        input.value()
                    }
                } else {
                    target.dyn_ref::<HtmlSelectElement>()?.value()
                };
                Some(UserEvent::Edit { name, value })
            }
        }
    }
}

const DELEGATED: [&str; 4] = ["click", "submit", "input", "change"];

/// Hands the user events that bubble up to `root` to `handler`, until the component being built
/// is unmounted.
pub fn delegate(root: &Element, handler: Box<dyn Fn(UserEvent)>) {
    let listener = Closure::<dyn Fn(Event)>::new(move |event: Event| {
        if let Some(user_event) = UserEvent::of(&event) {
            handler(user_event);
        }
    });
    for kind in DELEGATED {
        let _ = root.add_event_listener_with_callback(kind, listener.as_ref().unchecked_ref());
    }
    let registered = SendWrapper::new((root.clone(), listener));
    on_cleanup(move || {
        let (root, listener) = registered.take();
        for kind in DELEGATED {
            let _ = root.remove_event_listener_with_callback(kind, listener.as_ref().unchecked_ref());
        }
    });
}

/// Calls `handler` with each `kind` event on `target` (events the delegated listener does not
/// cover: a file chosen, dropped or pasted), until the component being built is unmounted.
pub fn listen(target: &El, kind: &'static str, handler: impl Fn(Event) + 'static) {
    let listener = Closure::<dyn Fn(Event)>::new(handler);
    let target = target.0.clone();
    let _ = target.add_event_listener_with_callback(kind, listener.as_ref().unchecked_ref());
    let registered = SendWrapper::new((target, listener));
    on_cleanup(move || {
        let (target, listener) = registered.take();
        let _ = target.remove_event_listener_with_callback(kind, listener.as_ref().unchecked_ref());
    });
}

/// Keeps `target`'s text equal to `text()`.
pub fn bind_text(target: &El, text: impl Fn() -> String + 'static) {
    let target = target.0.clone();
    watch(move || target.set_text_content(Some(&text())));
}
