//! The `invoke` panel: call the function once and see everything about the answer — HTTP status,
//! round trip, cold or warm, which instance — plus the last few calls.
use deck_core::demo::InstanceSigns;
use deck_core::json_text::json_tokens;
use deck_core::units::format_ms;
use deck_core::{PanelKind, PanelSpec};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::endpoint::{EndpointSettings, PanelEndpoint};
use super::http;
use super::ui::{bind_attr, bind_flag, bind_text, bind_value, el, render_into, El, UserEvent};
use super::{call_failure, header, state_key, text_field, Body};
use crate::sync::shared_signal;

const HISTORY_LEN: usize = 5;
/// Beyond this many pieces a response is cut short: the panel shows a demo answer, not a dump.
const MAX_JSON_TOKENS: usize = 400;

/// One answered call, as the panel and its mirrors show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invocation {
    /// 1 for the panel's first call.
    pub number: u32,
    /// Which Lambda answered ("local", "AWS eu-west-1").
    pub endpoint: String,
    pub status: u16,
    pub latency_ms: f64,
    pub body: Value,
}

impl Invocation {
    pub fn signs(&self) -> InstanceSigns {
        InstanceSigns::of(&self.body)
    }
}

/// What the panel shows of its calls (one shared value, so mirrors get it whole).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Calls {
    /// The last few answers, newest first.
    pub history: Vec<Invocation>,
    /// Why the last call failed.
    pub failure: Option<String>,
    pub busy: bool,
}

pub fn build(spec: &PanelSpec, id: &str) -> Body {
    let endpoint = PanelEndpoint::of(spec);
    let name = shared_signal(&state_key(id, "name"), spec.get("name").unwrap_or_default().to_owned());
    let sleep_ms =
        shared_signal(&state_key(id, "sleep_ms"), spec.get("sleep_ms").unwrap_or_default().to_owned());
    let calls = shared_signal(&state_key(id, "calls"), Calls::default());

    // The same rules as the panel's parameters, so the form accepts what a slide may set.
    let problem = move |key: &str| {
        let sleep = sleep_ms.get();
        let mut pairs = vec![("name", name.get())];
        if !sleep.trim().is_empty() {
            pairs.push(("sleep_ms", sleep.trim().to_owned()));
        }
        let problems = PanelSpec::new(PanelKind::Invoke, pairs).err()?;
        problems.into_iter().find(|p| p.key == key).map(|p| p.message)
    };

    let (settings, settings_view) = EndpointSettings::new(&endpoint);
    let call = move || {
        if calls.with_untracked(|c| c.busy)
            || untrack(|| problem("name").or_else(|| problem("sleep_ms"))).is_some()
        {
            return;
        }
        let endpoint = endpoint.get_untracked();
        let query: Vec<(&str, String)> =
            [("name", name.get_untracked()), ("sleep_ms", sleep_ms.get_untracked())]
                .into_iter()
                .map(|(key, value)| (key, value.trim().to_owned()))
                .filter(|(_, value)| !value.is_empty())
                .collect();
        calls.update(|c| {
            c.busy = true;
            c.failure = None;
        });
        spawn_local(async move {
            let query: Vec<(&str, &str)> = query.iter().map(|(key, value)| (*key, value.as_str())).collect();
            let reply = http::get_json(&endpoint.invoke_url(), &query).await;
            calls.update(|c| {
                c.busy = false;
                match reply {
                    Ok(reply) => {
                        let number = c.history.first().map_or(1, |last| last.number + 1);
                        let call = Invocation {
                            number,
                            endpoint: endpoint.label(),
                            status: reply.status,
                            latency_ms: reply.latency_ms,
                            body: reply.body,
                        };
                        c.history.insert(0, call);
                        c.history.truncate(HISTORY_LEN);
                    }
                    Err(error) => c.failure = Some(error.to_string()),
                }
            });
        });
    };

    let field = |key: &'static str, input: El| {
        bind_attr(&input, "aria-invalid", move || problem(key).map(|_| "true".to_owned()));
        let error = el("span").class("field-error");
        bind_text(&error, move || problem(key).unwrap_or_default());
        text_field(key, input, error)
    };
    let name_input = el("input").attr("name", "name").attr("maxlength", "200");
    bind_value(&name_input, move || name.get());
    let sleep_input = el("input")
        .attr("name", "sleep_ms")
        .attr("inputmode", "numeric")
        .attr("placeholder", "0")
        .attr("size", "6");
    bind_value(&sleep_input, move || sleep_ms.get());
    let button = el("button").attr("type", "submit").class("primary").attr("data-testid", "invoke");
    bind_flag(&button, "disabled", move || {
        calls.with(|c| c.busy) || problem("name").or_else(|| problem("sleep_ms")).is_some()
    });
    bind_text(&button, move || if calls.with(|c| c.busy) { "Calling…" } else { "Invoke" }.to_owned());
    let form = el("form")
        .class("panel-form")
        .attr("data-action", "invoke")
        .child(field("name", name_input))
        .child(field("sleep_ms", sleep_input))
        .child(button);

    let failed = el("div").class("region");
    render_into(&failed, move || {
        calls.with(|c| c.failure.iter().map(|message| call_failure(message)).collect())
    });
    let result = el("div").class("invoke-result");
    render_into(&result, move || {
        calls.with(|c| match c.history.first() {
            Some(call) => call_details(call),
            None => vec![el("p").class("hint").text("Press Invoke to call the function.")],
        })
    });
    let past = el("div").class("region");
    render_into(&past, move || {
        calls.with(|c| if c.history.len() > 1 { vec![history_table(&c.history)] } else { Vec::new() })
    });

    let on_event = move |event: UserEvent| {
        if settings.handle(&event) {
            return;
        }
        match event {
            UserEvent::Action(action) if action == "invoke" || action == "retry" => call(),
            UserEvent::Edit { name: field, value } if field == "name" => name.set(value),
            UserEvent::Edit { name: field, value } if field == "sleep_ms" => sleep_ms.set(value),
            _ => {}
        }
    };
    Body {
        content: vec![header(PanelKind::Invoke.title(), settings_view), form, failed, result, past],
        on_event: Box::new(on_event),
    }
}

/// The latest answer in full.
fn call_details(call: &Invocation) -> Vec<El> {
    let signs = call.signs();
    // A status: assistive technology reads the outcome of each call.
    let summary = el("p")
        .class("call-summary")
        .attr("role", "status")
        .child(el("span").attr("data-testid", "status").text(&format!("HTTP {}", call.status)))
        .child(el("span").attr("data-testid", "latency").text(&format_ms(call.latency_ms)))
        .maybe(start_badge(signs.cold_start))
        .maybe(signs.instance_id.map(|id| {
            el("span").text("instance ").child(el("code").attr("data-testid", "instance").text(&id))
        }))
        .child(el("span").class("muted").text(&call.endpoint));
    vec![summary, json_view(&call.body).attr("data-testid", "response")]
}

/// A response, pretty-printed and highlighted; every piece is a text node in a `<span>`.
pub fn json_view(value: &Value) -> El {
    json_tokens(value, MAX_JSON_TOKENS)
        .into_iter()
        .fold(el("pre").class("json"), |pre, (class, text)| pre.child(el("span").class(class).text(&text)))
}

/// "cold start" or "warm", when the answer says.
pub fn start_badge(cold: Option<bool>) -> Option<El> {
    cold.map(|cold| {
        let (class, text) = if cold { ("badge cold", "cold start") } else { ("badge warm", "warm") };
        el("span").class(class).attr("data-testid", "start").text(text)
    })
}

fn history_table(calls: &[Invocation]) -> El {
    let head = ["#", "HTTP", "time", "start", "instance", "Lambda"]
        .into_iter()
        .fold(el("tr"), |row, title| row.child(el("th").text(title)));
    let rows = calls.iter().map(|call| {
        let signs = call.signs();
        el("tr")
            .child(el("td").text(&call.number.to_string()))
            .child(el("td").text(&call.status.to_string()))
            .child(el("td").class("num").text(&format_ms(call.latency_ms)))
            .child(el("td").maybe(start_badge(signs.cold_start)))
            .child(el("td").child(el("code").text(signs.instance_id.as_deref().unwrap_or("—"))))
            .child(el("td").class("muted").text(&call.endpoint))
    });
    el("table")
        .class("history")
        .attr("data-testid", "history")
        .child(el("caption").text("Last calls"))
        .child(el("thead").child(head))
        .child(el("tbody").children(rows))
}
