//! Which Lambda the panels call. By default the local platform of the server that serves the
//! deck (`/fn/{function}/`, same origin); instead a deployed Function URL, chosen (strongest
//! first) in the settings form, by the page's `?lambda=`, by the choice last made in this browser
//! (localStorage), else by the panel's own `lambda` parameter, else by the site's default (its
//! pages' `<meta name="deck-lambda">`: `lambda:` in the front matter, `cargo xtask dist
//! --lambda`). Every panel names the one it calls: "local", or "AWS <region>".
use deck_core::endpoint::{Endpoint, DEFAULT_FUNCTION};
use deck_core::panels::ParamError;
use deck_core::{PanelKind, PanelSpec};
use leptos::prelude::*;

use super::ui::{bind_attr, bind_flag, bind_text, bind_value, el, El, UserEvent};
use crate::dom;

const STORAGE_KEY: &str = "serverless-deck.lambda";

/// A choice made for the whole page, overriding the panels' own `lambda` parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    Local,
    Url(String),
}

/// A Function URL the panels would not call, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("The URL {}", .0.message)]
pub struct BadUrl(ParamError);

/// Checks a Function URL by the same rule as the panels' `lambda` parameter.
pub fn check_url(url: &str) -> Result<String, BadUrl> {
    let url = url.trim();
    match PanelSpec::new(PanelKind::Invoke, [("lambda", url)]) {
        Ok(_) => Ok(url.to_owned()),
        Err(errors) => {
            Err(BadUrl(errors.into_iter().next().unwrap_or_else(|| ParamError::new("lambda", "is refused"))))
        }
    }
}

thread_local! {
    // An `Arc` signal: it belongs to no component, so unmounting a panel cannot dispose it.
    static CHOICE: ArcRwSignal<Option<Choice>> = ArcRwSignal::new(initial_choice());
}

/// A link naming a Lambda (`?lambda=`) is the most explicit choice at load; then this browser's.
fn initial_choice() -> Option<Choice> {
    let linked = dom::query_pairs().into_iter().find(|(key, _)| key == "lambda");
    linked.and_then(|(_, url)| check_url(&url).ok()).map(Choice::Url).or_else(stored_choice)
}

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

fn stored_choice() -> Option<Choice> {
    match storage()?.get_item(STORAGE_KEY).ok().flatten()?.as_str() {
        "local" => Some(Choice::Local),
        url => check_url(url).ok().map(Choice::Url),
    }
}

/// Makes `choice` the page's setting (every panel follows) and remembers it in this browser;
/// `None` returns each panel to its own default.
pub fn set_choice(choice: Option<Choice>) {
    if let Some(storage) = storage() {
        let _ = match &choice {
            Some(Choice::Local) => storage.set_item(STORAGE_KEY, "local"),
            Some(Choice::Url(url)) => storage.set_item(STORAGE_KEY, url),
            None => storage.remove_item(STORAGE_KEY),
        };
    }
    CHOICE.with(|signal| signal.set(choice));
}

/// The Function URL the page's site was built to call, if any (checked again: it is page data).
fn site_default() -> Option<String> {
    let selector = format!("meta[name=\"{}\"]", deck_core::page::LAMBDA_META);
    let meta = window().document()?.query_selector(&selector).ok()??;
    check_url(&meta.get_attribute("content")?).ok()
}

/// The endpoint one panel calls: its own default, unless the page's choice overrides it.
#[derive(Debug, Clone)]
pub struct PanelEndpoint {
    function: String,
    default: Option<Choice>,
    choice: ArcRwSignal<Option<Choice>>,
}

impl PanelEndpoint {
    pub fn of(spec: &PanelSpec) -> PanelEndpoint {
        PanelEndpoint {
            function: spec.get("function").unwrap_or(DEFAULT_FUNCTION).to_owned(),
            default: spec.get("lambda").map(str::to_owned).or_else(site_default).map(Choice::Url),
            choice: CHOICE.with(ArcRwSignal::clone),
        }
    }

    /// The endpoint now; a reactive read, so what uses it follows the page's choice.
    pub fn get(&self) -> Endpoint {
        self.resolve(self.choice.get())
    }

    pub fn get_untracked(&self) -> Endpoint {
        self.resolve(self.choice.get_untracked())
    }

    fn resolve(&self, choice: Option<Choice>) -> Endpoint {
        match choice.or_else(|| self.default.clone()) {
            Some(Choice::Url(url)) => Endpoint::Remote { url },
            Some(Choice::Local) | None => Endpoint::Local { function: self.function.clone() },
        }
    }
}

/// "Lambda: local", and a small form to call a deployed Function URL instead.
pub struct EndpointSettings {
    endpoint: PanelEndpoint,
    open: RwSignal<bool>,
    draft: RwSignal<String>,
    problem: RwSignal<Option<String>>,
}

impl EndpointSettings {
    pub fn new(endpoint: &PanelEndpoint) -> (EndpointSettings, El) {
        let settings = EndpointSettings {
            endpoint: endpoint.clone(),
            open: RwSignal::new(false),
            draft: RwSignal::new(String::new()),
            problem: RwSignal::new(None),
        };
        let label = el("strong").attr("data-testid", "endpoint");
        let endpoint = endpoint.clone();
        bind_text(&label, move || endpoint.get().label());
        let toggle = el("button")
            .attr("type", "button")
            .class("endpoint-toggle")
            .attr("data-action", "endpoint-toggle")
            .attr("title", "Which Lambda this panel calls")
            .text("Lambda: ")
            .child(label)
            .text(" ⚙");
        let open = settings.open;
        bind_attr(&toggle, "aria-expanded", move || Some(open.get().to_string()));

        let url = el("input")
            .attr("type", "url")
            .attr("name", "endpoint-url")
            .attr("placeholder", "https://….lambda-url.eu-west-1.on.aws/");
        let (draft, problem) = (settings.draft, settings.problem);
        bind_value(&url, move || draft.get());
        bind_attr(&url, "aria-invalid", move || problem.with(Option::is_some).then(|| "true".to_owned()));
        let error = el("p").class("field-error").attr("role", "alert");
        bind_text(&error, move || problem.get().unwrap_or_default());
        // `novalidate`: the panel's own check explains what is wrong, in place.
        let form = el("form")
            .class("endpoint-form")
            .attr("novalidate", "")
            .attr("data-action", "endpoint-use-url")
            .child(el("label").text("Function URL").child(url))
            .child(error)
            .child(el("p").class("hint").text("A deployed function must allow this page's origin (CORS)."))
            .child(
                el("div")
                    .class("buttons")
                    .child(el("button").attr("type", "submit").text("Use this URL"))
                    .child(
                        el("button")
                            .attr("type", "button")
                            .attr("data-action", "endpoint-local")
                            .text("Use local"),
                    ),
            );
        bind_flag(&form, "hidden", move || !open.get());
        (settings, el("div").class("endpoint").child(toggle).child(form))
    }

    /// Handles the user events of the form; false for any other event.
    pub fn handle(&self, event: &UserEvent) -> bool {
        match event {
            UserEvent::Action(action) if action == "endpoint-toggle" => {
                if !self.open.get_untracked() {
                    self.draft.set(match self.endpoint.get_untracked() {
                        Endpoint::Remote { url } => url,
                        Endpoint::Local { .. } => String::new(),
                    });
                    self.problem.set(None);
                }
                self.open.update(|open| *open = !*open);
            }
            UserEvent::Action(action) if action == "endpoint-use-url" => {
                match check_url(&self.draft.get_untracked()) {
                    Ok(url) => self.choose(Choice::Url(url)),
                    Err(problem) => self.problem.set(Some(problem.to_string())),
                }
            }
            UserEvent::Action(action) if action == "endpoint-local" => self.choose(Choice::Local),
            UserEvent::Edit { name, value } if name == "endpoint-url" => self.draft.set(value.clone()),
            _ => return false,
        }
        true
    }

    fn choose(&self, choice: Choice) {
        set_choice(Some(choice));
        self.problem.set(None);
        self.open.set(false);
    }
}
