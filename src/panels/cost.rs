//! The `cost` panel: a month of Lambda for a workload, beside Azure Functions and an always-on
//! server, and the traffic where serverless stops being cheaper. It only displays
//! `deck_core::pricing`, all in the browser; every input is a URL parameter, so a link (or an
//! embed's address) reproduces the numbers.
use std::collections::BTreeMap;

use deck_core::panels::ParamType;
use deck_core::pricing::{
    self, cents, CostInputs, CostParam, CostPoint, CHART_MAX_REQUESTS, CHART_MIN_REQUESTS, PRICE_SOURCES,
};
use deck_core::units::{axis_usd, compact_count, memory_label};
use deck_core::{PanelKind, PanelSpec, ParamError};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;

use super::chart::{column_chart, Column, Line, LineChart, Scale};
use super::ui::{bind_attr, bind_checked, bind_flag, bind_text, bind_value, el, render_into, El, UserEvent};
use super::{header, state_key, Body};
use crate::sync::shared_signal;

const CHART_POINTS: usize = 49;

/// Everything the panel shows for one set of valid inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub inputs: CostInputs,
    pub comparison: pricing::Comparison,
    pub break_even: Option<f64>,
    pub by_requests: Vec<CostPoint>,
    pub by_memory: Vec<(u32, f64)>,
}

impl Estimate {
    pub fn of(inputs: CostInputs) -> Estimate {
        Estimate {
            comparison: pricing::comparison(&inputs),
            break_even: pricing::break_even_requests(&inputs),
            by_requests: pricing::cost_vs_requests(&inputs, CHART_POINTS),
            by_memory: pricing::cost_vs_memory(&inputs),
            inputs,
        }
    }

    /// The panel's sentence about where the server wins.
    pub fn break_even_text(&self) -> String {
        match self.break_even {
            Some(requests) => {
                format!("Serverless is cheaper below {} requests a month.", compact_count(requests))
            }
            None if pricing::estimate(&CostInputs { requests: 0.0, ..self.inputs.clone() }).total
                >= self.inputs.server_monthly_usd =>
            {
                "The server is cheaper at any traffic.".to_owned()
            }
            None => "Serverless stays cheaper at any traffic up to 10¹² requests a month.".to_owned(),
        }
    }
}

type Computed = Result<Estimate, Vec<ParamError>>;

/// One amount the panel shows, under a stable `data-testid`.
struct Output {
    testid: &'static str,
    label: &'static str,
    usd: fn(&Estimate) -> f64,
}

const OUTPUTS: [Output; 8] = [
    Output { testid: "compute-cost", label: "Lambda compute", usd: |e| e.comparison.lambda.compute },
    Output { testid: "request-cost", label: "Lambda requests", usd: |e| e.comparison.lambda.requests },
    Output {
        testid: "ephemeral-cost",
        label: "/tmp storage",
        usd: |e| e.comparison.lambda.ephemeral_storage,
    },
    Output {
        testid: "provisioned-cost",
        label: "Provisioned conc.",
        usd: |e| e.comparison.lambda.provisioned_concurrency,
    },
    Output {
        testid: "free-tier-savings",
        label: "Free tier saved",
        usd: |e| e.comparison.lambda.free_tier_savings,
    },
    Output { testid: "total-cost", label: "Lambda total", usd: |e| e.comparison.lambda.total },
    Output { testid: "azure-cost", label: "Azure Functions", usd: |e| e.comparison.azure.total },
    Output { testid: "server-cost", label: "Always-on server", usd: |e| e.comparison.server },
];

pub fn build(spec: &PanelSpec, id: &str) -> Body {
    let mut initial = CostInputs::default().to_params();
    initial.extend(spec.params.clone());
    let fields = shared_signal(&state_key(id, "inputs"), initial);
    let computed: Memo<Computed> = Memo::new(move |_| fields.with(CostInputs::from_params).map(Estimate::of));

    // The embed page's address follows the inputs, so it can be copied from the address bar.
    if id == "embed" {
        Effect::new(move |first_run_done: Option<()>| {
            computed.with(|computed| {
                if let (Ok(estimate), Some(())) = (computed, first_run_done) {
                    replace_query(&estimate.inputs.to_params());
                }
            });
        });
    }

    let form = CostParam::ALL
        .into_iter()
        .fold(el("form").class("cost-form"), |form, param| form.child(field(param, fields, computed)));
    let rows = OUTPUTS.iter().map(|&Output { testid, label, usd }| {
        let cell = el("td").attr("data-testid", testid);
        bind_text(&cell, move || {
            computed.with(|c| c.as_ref().map_or_else(|_| "—".to_owned(), |e| cents(usd(e))))
        });
        let row = el("tr").child(el("th").attr("scope", "row").text(label)).child(cell);
        match testid {
            "total-cost" => row.class("total"),
            "free-tier-savings" => row.class("muted"),
            _ => row,
        }
    });
    let table = el("table").class("cost-table").child(el("tbody").children(rows));
    let break_even = el("p").class("break-even").attr("data-testid", "break-even");
    bind_text(&break_even, move || {
        computed.with(|c| match c {
            Ok(estimate) => estimate.break_even_text(),
            Err(_) => "Fix the marked inputs to see the costs.".to_owned(),
        })
    });
    let charts = el("div").class("cost-charts");
    render_into(&charts, move || computed.with(|c| c.as_ref().map(draw_charts).unwrap_or_default()));

    // The link last made, and whether it reached the clipboard; shown either way.
    let copied = RwSignal::new(None::<(String, bool)>);
    let copy_button = el("button")
        .attr("type", "button")
        .attr("data-action", "copy-link")
        .attr("data-testid", "copy-link")
        .text("Copy link");
    bind_flag(&copy_button, "disabled", move || computed.with(Result::is_err));
    let copy_outcome = el("span").class("region");
    render_into(&copy_outcome, move || {
        copied.with(|copied| {
            let Some((link, on_clipboard)) = copied else { return Vec::new() };
            let input = el("input")
                .class("link")
                .attr("readonly", "")
                .attr("aria-label", "Link to these numbers")
                .attr("data-testid", "link");
            let link = link.clone();
            bind_value(&input, move || link.clone());
            let status = if *on_clipboard { "Copied" } else { "Copy it from here:" };
            vec![el("span").class("ok").attr("role", "status").text(status), input]
        })
    });
    let copy_link = el("div").class("copy-link").child(copy_button).child(copy_outcome);

    let on_event = move |event: UserEvent| match event {
        UserEvent::Edit { name, value } => fields.update(|f| drop(f.insert(name, value))),
        UserEvent::Action(action) if action == "copy-link" => {
            let Some(link) = computed.with_untracked(|c| c.as_ref().ok().map(|e| embed_link(&e.inputs)))
            else {
                return;
            };
            spawn_local(async move {
                let on_clipboard = write_clipboard(&link).await;
                copied.set(Some((link, on_clipboard)));
            });
        }
        UserEvent::Action(_) => {}
    };
    Body {
        content: vec![
            header(PanelKind::Cost.title(), copy_link),
            el("div")
                .class("cost-grid")
                .child(form)
                .child(
                    el("div")
                        .class("cost-results")
                        .child(table)
                        .child(break_even)
                        .child(el("p").class("source").text(PRICE_SOURCES)),
                )
                .child(charts),
        ],
        on_event: Box::new(on_event),
    }
}

/// One input, its control following the parameter's type, with its error under it.
fn field(param: CostParam, fields: RwSignal<BTreeMap<String, String>>, computed: Memo<Computed>) -> El {
    let key = param.name();
    let ty = param.rule().ty;
    let value = move || fields.with(|f| f.get(key).cloned().unwrap_or_default());
    let problem = move || {
        computed.with(|c| {
            let errors = c.as_ref().err()?;
            errors.iter().find(|e| e.key == key).map(|e| e.message.clone())
        })
    };
    let error_id = format!("cost-{key}-error");
    let control = match ty {
        ParamType::Bool => {
            let checkbox = el("input").attr("type", "checkbox").attr("name", key);
            bind_checked(&checkbox, move || value() == "true");
            checkbox
        }
        ParamType::Choice(options) => {
            let select = options.iter().fold(el("select").attr("name", key), |select, &option| {
                select.child(el("option").attr("value", option).text(option))
            });
            bind_value(&select, value);
            select
        }
        _ => {
            let input =
                el("input").attr("name", key).attr("inputmode", "decimal").attr("autocomplete", "off");
            bind_value(&input, value);
            input
        }
    };
    let control = control.attr("aria-describedby", &error_id);
    bind_attr(&control, "aria-invalid", move || problem().map(|_| "true".to_owned()));
    let error =
        el("span").class("field-error").attr("id", &error_id).attr("data-testid", &format!("error-{key}"));
    bind_text(&error, move || problem().unwrap_or_default());
    let label = el("label").class("field").child(el("span").text(param.label())).child(control).child(error);
    if ty == ParamType::Bool {
        label.class("field check")
    } else {
        label
    }
}

fn draw_charts(estimate: &Estimate) -> Vec<El> {
    let Estimate { inputs, comparison, break_even, by_requests, by_memory } = estimate;
    let highest = by_requests.iter().flat_map(|p| [p.lambda, p.azure, p.server]).fold(1.0, f64::max);
    let top = 10f64.powf(highest.log10().ceil());
    let bottom = 0.01;
    let series = |class: &'static str, pick: fn(&CostPoint) -> f64| Line {
        points: by_requests.iter().map(|p| (p.requests, pick(p))).collect(),
        class,
    };
    let lines =
        [series("server", |p| p.server), series("azure", |p| p.azure), series("lambda", |p| p.lambda)];
    let y_ticks: Vec<f64> =
        std::iter::successors(Some(bottom), |tick| Some(tick * 100.0)).take_while(|t| *t <= top).collect();
    let in_range = (CHART_MIN_REQUESTS..=CHART_MAX_REQUESTS).contains(&inputs.requests);
    let by_traffic = LineChart {
        lines: &lines,
        x: Scale::log(CHART_MIN_REQUESTS, CHART_MAX_REQUESTS),
        y: Scale::log(bottom, top),
        x_ticks: &[(1e4, "10k"), (1e6, "1M"), (1e8, "100M"), (1e10, "10B")],
        y_ticks: &y_ticks,
        format: axis_usd,
        marker: break_even.map(|requests| (requests, format!("break-even {}", compact_count(requests)))),
        dot: in_range.then_some((inputs.requests, comparison.lambda.total)),
        label: "Monthly cost of Lambda, Azure Functions and a server as traffic grows",
    };
    let legend = [("lambda", "Lambda "), ("azure", "Azure "), ("server", "server "), ("dot", "you")]
        .into_iter()
        .fold(el("p").class("legend"), |legend, (class, name)| {
            legend.child(el("span").class(&format!("swatch {class}"))).text(name)
        });
    let columns: Vec<Column> = by_memory
        .iter()
        .map(|&(memory_mb, total)| Column {
            value: total,
            class: if memory_mb == inputs.memory_mb { "lambda current" } else { "lambda" },
            label: memory_label(memory_mb),
        })
        .collect();
    vec![
        el("figure")
            .attr("data-testid", "cost-by-requests")
            .child(el("figcaption").text("Monthly cost by requests a month (log scales)"))
            .child(by_traffic.draw())
            .child(legend),
        el("figure")
            .attr("data-testid", "cost-by-memory")
            .child(el("figcaption").text("Lambda total by memory size (MB)"))
            .child(column_chart(
                &columns,
                &[],
                columns.len(),
                axis_usd,
                "Monthly Lambda cost at each memory size",
            )),
    ]
}

/// The absolute address of the embed page for `inputs`. `embed/cost/` with its slash: a plain
/// static host serves that folder's page without a redirect.
pub fn embed_link(inputs: &CostInputs) -> String {
    let base = document().base_uri().ok().flatten().unwrap_or_default();
    format!("{base}embed/cost/?{}", query_string(&inputs.to_params()))
}

fn query_string(params: &BTreeMap<String, String>) -> String {
    let Ok(query) = web_sys::UrlSearchParams::new() else { return String::new() };
    for (key, value) in params {
        query.append(key, value);
    }
    query.to_string().into()
}

/// Rewrites the page's query without a new history entry. The path is spelled out: a bare
/// `?…` would resolve against `<base href>`, i.e. the deck, not this embed page.
fn replace_query(params: &BTreeMap<String, String>) {
    let window = window();
    let (Ok(history), Ok(path)) = (window.history(), window.location().pathname()) else { return };
    let _ =
        history.replace_state_with_url(&JsValue::NULL, "", Some(&format!("{path}?{}", query_string(params))));
}

/// Whether the text reached the clipboard; the API is missing on insecure pages and may be
/// refused (e.g. in an iframe without `allow="clipboard-write"`).
async fn write_clipboard(text: &str) -> bool {
    let navigator = window().navigator();
    let available =
        js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard")).is_ok_and(|c| !c.is_undefined());
    if !available {
        return false;
    }
    wasm_bindgen_futures::JsFuture::from(navigator.clipboard().write_text(text)).await.is_ok()
}
