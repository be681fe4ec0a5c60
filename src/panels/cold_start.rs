//! The `cold-start` panel: a series of calls (optionally each one cold), a burst of concurrent
//! calls to watch the platform scale out, a chart of every call's latency with p50/p95, the
//! function's own init time, our measured cold start placed among AWS's published init
//! durations, and — locally — the instances live.
use deck_core::cold_start::{
    cold_penalty_ms, stats_line, Burst, Run, Runs, Sample, Series, PUBLISHED_INIT_MS, PUBLISHED_SOURCE,
};
use deck_core::demo::Greeting;
use deck_core::endpoint::{Endpoint, LOCAL};
use deck_core::units::{axis_ms, format_ms};
use deck_core::{PanelKind, PanelSpec};
use futures_util::future::join_all;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;

use super::chart::{column_chart, percentile, Column, Guide};
use super::endpoint::{EndpointSettings, PanelEndpoint};
use super::http::{self, CallError, Reply};
use super::timeline::instance_timeline;
use super::ui::{bind_attr, bind_checked, bind_flag, bind_text, bind_value, el, render_into, El, UserEvent};
use super::{call_failure, header, state_key, text_field, Body};
use crate::sync::shared_signal;

/// Each burst call sleeps this long in the function, so the calls overlap and need instances of
/// their own.
const BURST_SLEEP_MS: &str = "300";

/// The demo function's answer from `url`, measured; any other answer is an error, never a call
/// counted as warm.
fn sample_of(reply: Reply, url: &str) -> Result<Sample, CallError> {
    let greeting = Greeting::deserialize(reply.body)
        .map_err(|error| CallError::NotTheDemo { url: url.to_owned(), problem: error.to_string() })?;
    Ok(Sample::of(greeting, reply.latency_ms))
}

pub fn build(spec: &PanelSpec, id: &str) -> Body {
    let endpoint = PanelEndpoint::of(spec);
    let key = |name: &str| state_key(id, name);
    let calls = shared_signal(&key("calls"), spec.get("calls").unwrap_or("10").to_owned());
    let force_cold = shared_signal(&key("force_cold"), spec.get("force_cold") == Some("true"));
    let burst_size = shared_signal(&key("burst"), spec.get("burst").unwrap_or("10").to_owned());
    let runs = shared_signal(&key("runs"), Runs::default());

    let problem = move |key: &str| {
        let problems =
            PanelSpec::new(PanelKind::ColdStart, [("calls", calls.get()), ("burst", burst_size.get())])
                .err()?;
        problems.into_iter().find(|p| p.key == key).map(|p| p.message)
    };
    let ready =
        move || runs.with(|r| r.running.is_none()) && problem("calls").or_else(|| problem("burst")).is_none();

    let start = {
        let endpoint = endpoint.clone();
        move |run: Run| {
            let size = match run {
                Run::Series => calls.get_untracked(),
                Run::Burst => burst_size.get_untracked(),
            };
            let Ok(size) = size.trim().parse::<u32>() else { return };
            if !untrack(ready) {
                return;
            }
            let endpoint = endpoint.get_untracked();
            // Forcing needs a recycle endpoint, which only the local platform has.
            let forced_cold = force_cold.get_untracked() && endpoint.is_local();
            runs.update(|r| {
                r.running = Some(run);
                r.failure = None;
                if run == Run::Series {
                    r.series = Some(Series {
                        endpoint: endpoint.label(),
                        planned: size,
                        forced_cold,
                        samples: Vec::new(),
                    });
                }
            });
            spawn_local(async move {
                let failure = match run {
                    Run::Series => {
                        call_series(&endpoint, size, forced_cold, runs).await.err().map(|e| e.to_string())
                    }
                    Run::Burst => call_burst(&endpoint, size, runs).await,
                };
                runs.update(|r| {
                    r.running = None;
                    r.failure = failure.map(|message| (run, message));
                });
            });
        }
    };

    let (settings, settings_view) = EndpointSettings::new(&endpoint);
    let number_field = |key: &'static str, value: RwSignal<String>| {
        let input = el("input").attr("name", key).attr("inputmode", "numeric").attr("size", "4");
        bind_value(&input, move || value.get());
        bind_attr(&input, "aria-invalid", move || problem(key).map(|_| "true".to_owned()));
        let error = el("span").class("field-error");
        bind_text(&error, move || problem(key).unwrap_or_default());
        text_field(key, input, error)
    };
    let force_input = el("input").attr("type", "checkbox").attr("name", "force_cold");
    bind_checked(&force_input, move || force_cold.get());
    let action_button = |action: &str, text: &str| {
        let button = el("button")
            .attr("type", "button")
            .attr("data-action", action)
            .attr("data-testid", action)
            .text(text);
        bind_flag(&button, "disabled", move || !ready());
        button
    };
    let form = el("div")
        .class("panel-form")
        .child(number_field("calls", calls))
        .child(el("label").class("check").child(force_input).text("force cold before each"))
        .child(action_button("run-series", "Run series").class("primary"))
        .child(number_field("burst", burst_size))
        .child(action_button("run-burst", "Burst"));

    let aws_note = el("p").class("hint").attr("data-testid", "aws-cold-note").text(
        "AWS cannot be told to start cold: the checkbox only works locally. To get fresh instances on \
         AWS, change the function's configuration (e.g. update an environment variable) or leave it \
         idle for a while.",
    );
    let on_aws = {
        let endpoint = endpoint.clone();
        move || !endpoint.get().is_local()
    };
    bind_flag(&aws_note, "hidden", move || !(force_cold.get() && on_aws()));

    let failed = el("div").class("region");
    render_into(&failed, move || {
        runs.with(|r| r.failure.iter().map(|(_, message)| call_failure(message)).collect())
    });
    let series_view = el("div").class("region");
    render_into(&series_view, move || {
        runs.with(|r| {
            r.series.iter().map(|series| draw_series(series, r.running == Some(Run::Series))).collect()
        })
    });
    let burst_view = el("div").class("region");
    render_into(&burst_view, move || {
        runs.with(|r| match (r.running, &r.burst) {
            (Some(Run::Burst), _) => {
                vec![el("p")
                    .class("burst")
                    .attr("aria-busy", "true")
                    .text("Burst running… ")
                    .child(el("progress"))]
            }
            (_, Some(burst)) => vec![describe_burst(burst)],
            (_, None) => Vec::new(),
        })
    });
    let comparison = el("div").class("region");
    render_into(&comparison, move || {
        let ours = runs.with(|r| {
            let series = r.series.as_ref().map(|s| (&s.samples, &s.endpoint));
            let burst = r.burst.as_ref().map(|b| (&b.samples, &b.endpoint));
            series
                .into_iter()
                .chain(burst)
                .find_map(|(samples, endpoint)| cold_penalty_ms(samples).map(|ms| (ms, endpoint.clone())))
        });
        vec![runtime_comparison(ours)]
    });
    // Its own region, reading only the endpoint: a change of Lambda rebuilds it (and closes or
    // opens the event stream), a new measurement does not.
    let instances = el("div").class("region");
    render_into(&instances, move || {
        vec![match endpoint.get() {
            Endpoint::Local { function } => instance_timeline(function),
            Endpoint::Remote { .. } => el("p").class("hint").text(
                "The instance timeline follows the local platform; AWS does not stream instance \
                 lifecycles to a browser.",
            ),
        }]
    });

    let main = el("div")
        .class("cold-start-main")
        .child(form)
        .child(aws_note)
        .child(failed)
        .child(series_view)
        .child(burst_view);
    let side = el("div").class("cold-start-side").child(comparison).child(instances);
    let on_event = move |event: UserEvent| {
        if settings.handle(&event) {
            return;
        }
        match event {
            UserEvent::Action(action) => match action.as_str() {
                "run-series" => start(Run::Series),
                "run-burst" => start(Run::Burst),
                "retry" => {
                    if let Some(run) = runs.with_untracked(|r| r.failure.as_ref().map(|(run, _)| *run)) {
                        start(run);
                    }
                }
                _ => {}
            },
            UserEvent::Edit { name, value } => match name.as_str() {
                "calls" => calls.set(value),
                "burst" => burst_size.set(value),
                "force_cold" => force_cold.set(value == "true"),
                _ => {}
            },
        }
    };
    Body {
        content: vec![
            header(PanelKind::ColdStart.title(), settings_view),
            el("div").class("cold-start-grid").child(main).child(side),
        ],
        on_event: Box::new(on_event),
    }
}

/// Calls one after the other, recording each answer as it comes; stops at the first failure
/// (keeping what it measured) or when the panel is gone.
async fn call_series(
    endpoint: &Endpoint,
    planned: u32,
    forced_cold: bool,
    runs: RwSignal<Runs>,
) -> Result<(), CallError> {
    let url = endpoint.invoke_url();
    let token = crate::token::presenter_token();
    for _ in 0..planned {
        if runs.is_disposed() {
            return Ok(());
        }
        if let (true, Some(recycle)) = (forced_cold, endpoint.recycle_url()) {
            http::post(&recycle, token.as_deref(), None).await?;
        }
        let reply = http::get_json(&url, &[("name", "cold-start")]).await?;
        let sample = sample_of(reply, &url)?;
        runs.update(|r| {
            if let Some(series) = &mut r.series {
                series.samples.push(sample);
            }
        });
    }
    Ok(())
}

/// `size` calls at once. Returns why, when none was answered (the endpoint is down or refusing,
/// not busy); otherwise the burst is recorded with whatever failed.
async fn call_burst(endpoint: &Endpoint, size: u32, runs: RwSignal<Runs>) -> Option<String> {
    let url = endpoint.invoke_url();
    let query = [("name", "burst"), ("sleep_ms", BURST_SLEEP_MS)];
    let replies = join_all((0..size).map(|_| http::get_json(&url, &query))).await;
    let mut samples = Vec::new();
    let mut failures = Vec::new();
    for reply in replies {
        match reply {
            Ok(reply) => match sample_of(reply, &url) {
                Ok(sample) => samples.push(sample),
                Err(error) => failures.push(error.to_string()),
            },
            Err(error) => failures.push(error.to_string()),
        }
    }
    if samples.is_empty() {
        return failures.into_iter().next();
    }
    let burst = Burst { endpoint: endpoint.label(), calls: size, samples, failures };
    runs.update(|r| r.burst = Some(burst));
    None
}

fn draw_series(series: &Series, running: bool) -> El {
    let done = series.samples.len();
    let latencies: Vec<f64> = series.samples.iter().map(|s| s.latency_ms).collect();
    let guides: Vec<Guide> = [(95.0, "p95"), (50.0, "p50")]
        .into_iter()
        .filter_map(|(p, name)| {
            percentile(&latencies, p).map(|value| Guide {
                value,
                label: format!("{name} {}", format_ms(value)),
                class: name,
            })
        })
        .collect();
    let columns: Vec<Column> = series
        .samples
        .iter()
        .enumerate()
        .map(|(i, sample)| Column {
            value: sample.latency_ms,
            class: if sample.cold { "cold" } else { "warm" },
            label: (i + 1).to_string(),
        })
        .collect();
    let status = format!(
        "{} {done} of {}{}",
        if running { "Calling" } else { "Called" },
        series.planned,
        if series.forced_cold { ", each forced cold" } else { "" }
    );
    let chart = column_chart(
        &columns,
        &guides,
        series.planned as usize,
        axis_ms,
        "Latency of each call; cold starts in a different colour",
    );
    el("div")
        .class("series")
        .attr("data-testid", "series")
        .attr("data-done", &done.to_string())
        .attr("data-planned", &series.planned.to_string())
        .child(
            el("p")
                .class("series-status")
                .text(&status)
                .child(el("span").class("muted").text(&format!(" · {}", series.endpoint))),
        )
        .child(
            el("progress")
                .attr("max", &series.planned.to_string())
                .attr("value", &done.to_string())
                .attr("aria-label", "Calls done"),
        )
        .child(chart)
        .child(
            el("p")
                .class("legend")
                .child(el("span").class("swatch cold"))
                .text("cold ")
                .child(el("span").class("swatch warm"))
                .text("warm"),
        )
        .child(el("p").class("stats").attr("data-testid", "series-stats").text(&stats_line(&series.samples)))
}

fn describe_burst(burst: &Burst) -> El {
    let instances = burst.distinct_instances();
    // Over plain HTTP a browser opens at most six connections to one server.
    let capped = burst.endpoint == LOCAL && instances < burst.calls as usize;
    let browser_limit = capped.then(|| {
        el("p").class("hint").text("A browser sends at most 6 requests at once to a server over plain HTTP.")
    });
    let failed = burst.failures.first().map(|first| {
        let count = burst.failures.len();
        el("p").class("call-failure").attr("role", "alert").text(&format!("{count} failed, e.g.: {first}"))
    });
    el("div")
        .class("burst")
        .attr("data-testid", "burst")
        .attr("data-instances", &instances.to_string())
        .child(
            el("p")
                .text(&burst.summary())
                .child(el("span").class("muted").text(&format!(" · {}", burst.endpoint))),
        )
        .maybe(browser_limit)
        .maybe(failed)
}

/// AWS's published init durations per runtime, with ours (`(ms, endpoint)`) placed among them.
fn runtime_comparison(ours: Option<(f64, String)>) -> El {
    // The published list is in order; ours goes where it belongs.
    let mut rows: Vec<(String, f64, bool)> =
        PUBLISHED_INIT_MS.iter().map(|&(runtime, ms)| (runtime.to_owned(), ms, false)).collect();
    if let Some((ms, endpoint)) = ours {
        let at = rows.iter().position(|row| row.1 > ms).unwrap_or(rows.len());
        rows.insert(at, (format!("ours ({endpoint})"), ms, true));
    }
    let top = rows.iter().map(|row| row.1).fold(0.0, f64::max);
    let items = rows.into_iter().map(|(name, ms, ours)| {
        let item = if ours { el("li").class("ours").attr("data-testid", "our-init") } else { el("li") };
        item.child(el("span").class("runtime").text(&name))
            .child(
                el("span")
                    .class("bar")
                    .child(el("span").attr("style", &format!("width:{:.1}%", ms / top * 100.0))),
            )
            .child(el("span").class("num").text(&format_ms(ms)))
    });
    el("figure")
        .class("runtimes")
        .child(el("figcaption").text("Init duration by runtime"))
        .child(el("ol").children(items))
        .child(
            el("p")
                .class("source")
                .text("AWS figures: ")
                .child(
                    el("a")
                        .attr("href", PUBLISHED_SOURCE)
                        .attr("target", "_blank")
                        .attr("rel", "noopener")
                        .text("maxday/lambda-perf"),
                )
                .text(", zip, 128 MB, x86_64, data of 2026-08-22. Ours: median cold call minus median warm call."),
        )
}
