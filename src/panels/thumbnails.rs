//! The `thumbnails` panel: the talk's event-driven demo, live. Pick, drop or paste a photo (or
//! take a bundled sample); the panel asks for an upload ticket, `PUT`s the file straight into
//! the bucket with its presigned URL, and then follows what S3's event sets off: locally, the
//! platform's `/api/events` (queued, cold or warm, each attempt); on AWS, where it hears no
//! events, it polls for the function's report. Then it shows the three thumbnails.
//!
//! Its state is one [`Upload`] (`deck_core::thumbnails`) in a shared signal: the speaker view,
//! the audience window and followers show the same progress and pictures without uploading.
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use deck_core::endpoint::{aws_region, host};
use deck_core::error_body;
use deck_core::platform_events::{PlatformEvent, EVENTS_ROUTE};
use deck_core::thumbnails::{Stage, Step, Upload, POLL_EVERY_MS, POLL_FOR_S};
use deck_core::units::format_ms;
use deck_core::uploads::{
    image_type_of, s3_error, upload_route, ThumbnailReport, UploadRequest, UploadTicket,
};
use deck_core::{PanelKind, PanelSpec};
use gloo_net::http::Request;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use web_sys::{Blob, ClipboardEvent, DragEvent, Event, File, HtmlInputElement};

use super::http;
use super::invoke::{json_view, start_badge};
use super::ui::{bind_flag, el, listen, render_into, El, UserEvent};
use super::{call_failure, header, state_key, Body};
use crate::dom::{self, BrowserError, EventStream, StreamEvent};
use crate::sync::shared_signal;

/// The bucket of `demos/functions.toml`, when a panel names none.
pub const DEFAULT_BUCKET: &str = "deck-photos";
/// The bundled photos, for a presenter with no file at hand: file under `assets/samples/`, label.
const SAMPLES: [(&str, &str); 2] =
    [("lake-at-sunset.jpg", "Lake at sunset"), ("city-at-night.jpg", "City at night")];
/// The platform's events the panel follows.
const EVENT_TYPES: [&str; 6] =
    ["async_queued", "async_result", "init_start", "init_end", "invoke_start", "report"];
/// How long the event stream may take to open before the panel polls instead.
const STREAM_WAIT: Duration = Duration::from_secs(3);
/// How long an upload may wait locally for its S3 event before the panel polls instead (a
/// stream that dropped the event while reconnecting).
const EVENT_WAIT: Duration = Duration::from_secs(10);

/// Where tickets come from: the local server's bucket, or the ticket function deployed on AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Local { bucket: String },
    Remote { url: String },
}

impl Target {
    /// The panel's `uploads` parameter, unless the page's own `?uploads=` names another.
    fn of(spec: &PanelSpec) -> Target {
        let linked = dom::query_pairs().into_iter().find(|(key, _)| key == "uploads").map(|(_, url)| url);
        let linked =
            linked.filter(|url| PanelSpec::new(PanelKind::Thumbnails, [("uploads", url.as_str())]).is_ok());
        match linked.or_else(|| spec.get("uploads").map(str::to_owned)) {
            Some(url) => Target::Remote { url },
            None => Target::Local { bucket: spec.get("bucket").unwrap_or(DEFAULT_BUCKET).to_owned() },
        }
    }

    fn ticket_url(&self) -> String {
        match self {
            Target::Local { bucket } => upload_route(bucket),
            Target::Remote { url } => url.clone(),
        }
    }

    /// "S3: local", or "S3: AWS eu-west-1".
    fn label(&self) -> String {
        match self {
            Target::Local { .. } => "S3: local".to_owned(),
            Target::Remote { url } => match aws_region(url) {
                Some(region) => format!("S3: AWS {region}"),
                None => format!("S3: {}", host(url).unwrap_or(url)),
            },
        }
    }
}

/// A file to upload; kept by the window that chose it, for Retry.
#[derive(Clone)]
struct Chosen {
    blob: Blob,
    name: String,
    content_type: String,
}

impl Chosen {
    fn of_file(file: File) -> Chosen {
        let name = file.name();
        let content_type = match file.type_() {
            known if !known.is_empty() => known,
            _ => image_type_of(&name).unwrap_or_default().to_owned(),
        };
        Chosen { blob: file.into(), name, content_type }
    }

    fn bytes(&self) -> u64 {
        self.blob.size() as u64
    }
}

pub fn build(spec: &PanelSpec, id: &str) -> Body {
    let target = Target::of(spec);
    let upload = shared_signal(&state_key(id, "upload"), None::<Upload>);
    let chosen: Rc<RefCell<Option<Chosen>>> = Rc::default();

    let start = {
        let (target, chosen) = (target.clone(), chosen.clone());
        Rc::new(move |file: Chosen| {
            if upload.with_untracked(|u| u.as_ref().is_some_and(Upload::is_busy)) {
                return;
            }
            let number = upload.with_untracked(|u| u.as_ref().map_or(1, |u| u.number + 1));
            upload.set(Some(Upload::new(number, &file.name, file.bytes())));
            chosen.replace(Some(file.clone()));
            spawn_local(run(file, target.clone(), upload));
        })
    };

    let file_input = el("input")
        .attr("type", "file")
        .attr("accept", "image/jpeg,image/png,image/gif,image/webp")
        .attr("data-testid", "file")
        .class("visually-hidden");
    let on_file = start.clone();
    listen(&file_input, "change", move |event: Event| {
        let Some(input) = event.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) else { return };
        if let Some(file) = input.files().and_then(|files| files.get(0)) {
            on_file(Chosen::of_file(file));
        }
        // The same file can be chosen again.
        input.set_value("");
    });
    let samples = SAMPLES.iter().enumerate().map(|(index, (_, label))| {
        el("button").attr("type", "button").attr("data-action", &format!("sample-{index}")).text(label)
    });
    let drop_zone = el("div")
        .class("drop-zone")
        .attr("tabindex", "0")
        .attr("data-testid", "drop-zone")
        .attr("aria-label", "Drop or paste a photo here")
        .child(
            el("p")
                .text("Drop a photo here, paste one, or ")
                .child(el("label").class("file-button").text("choose a file").child(file_input)),
        )
        .child(el("p").class("samples").text("…or a sample: ").children(samples))
        .child(el("p").class("hint").text("JPEG, PNG, GIF or WebP; the bucket says how large."));
    bind_flag(&drop_zone, "aria-busy", move || upload.with(|u| u.as_ref().is_some_and(Upload::is_busy)));
    listen(&drop_zone, "dragover", |event: Event| {
        event.prevent_default();
        toggle_class(&event, "dragging", true);
    });
    listen(&drop_zone, "dragleave", |event: Event| toggle_class(&event, "dragging", false));
    let on_drop = start.clone();
    listen(&drop_zone, "drop", move |event: Event| {
        event.prevent_default();
        toggle_class(&event, "dragging", false);
        let files = event.dyn_ref::<DragEvent>().and_then(DragEvent::data_transfer).and_then(|d| d.files());
        if let Some(file) = files.and_then(|files| files.get(0)) {
            on_drop(Chosen::of_file(file));
        }
    });
    let on_paste = start.clone();
    listen(&drop_zone, "paste", move |event: Event| {
        let data = event.dyn_ref::<ClipboardEvent>().and_then(ClipboardEvent::clipboard_data);
        if let Some(file) = data.and_then(|d| d.files()).and_then(|files| files.get(0)) {
            event.prevent_default();
            on_paste(Chosen::of_file(file));
        }
    });

    let progress = el("div").class("region");
    render_into(&progress, move || upload.with(|u| u.as_ref().map(steps).into_iter().collect()));
    let failure = el("div").class("region");
    render_into(&failure, move || {
        upload.with(|u| match u.as_ref().map(|u| &u.stage) {
            Some(Stage::Failed(failure)) => vec![call_failure(&failure.message)],
            _ => Vec::new(),
        })
    });
    let results = el("div").class("region");
    render_into(&results, move || {
        upload.with(|u| match u {
            Some(upload) => results_view(upload),
            None => vec![el("p")
                .class("hint")
                .text("Upload a photo: S3 calls the function, which writes three thumbnails.")],
        })
    });

    let on_event = move |event: UserEvent| match event {
        UserEvent::Action(action) if action == "retry" => {
            let file = chosen.borrow().clone();
            if let Some(file) = file {
                start(file);
            }
        }
        UserEvent::Action(action) => {
            let sample = action.strip_prefix("sample-").and_then(|i| i.parse::<usize>().ok());
            if let Some((file, _)) = sample.and_then(|index| SAMPLES.get(index)) {
                let start = start.clone();
                spawn_local(async move {
                    match fetch_sample(file).await {
                        Ok(sample) => start(sample),
                        Err(error) => {
                            let mut failed = Upload::new(0, file, 0);
                            failed.fail(Step::Ticket, error.to_string());
                            upload.set(Some(failed));
                        }
                    }
                });
            }
        }
        UserEvent::Edit { .. } => {}
    };
    let label = el("strong").attr("data-testid", "endpoint").text(&target.label());
    Body {
        content: vec![
            header(PanelKind::Thumbnails.title(), el("span").class("endpoint").child(label)),
            drop_zone,
            progress,
            failure,
            results,
        ],
        on_event: Box::new(on_event),
    }
}

fn toggle_class(event: &Event, class: &str, on: bool) {
    if let Some(target) = event.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
        let _ = target.class_list().toggle_with_force(class, on);
    }
}

/// One upload from start to thumbnails; every failure ends in the panel, in words.
async fn run(file: Chosen, target: Target, upload: RwSignal<Option<Upload>>) {
    let update = move |change: &dyn Fn(&mut Upload)| {
        upload.try_update(|u| u.as_mut().map(change));
    };
    let number = upload.with_untracked(|u| u.as_ref().map_or(0, |u| u.number));
    // Listen first, so the upload's own event cannot pass before the panel hears.
    let events = match target {
        Target::Local { .. } => listen_to_platform(upload, number).await,
        Target::Remote { .. } => None,
    };
    let ticket = match request_ticket(&target, &file).await {
        Ok(ticket) => ticket,
        Err(error) => return update(&|u| u.fail(Step::Ticket, error.to_string())),
    };
    update(&|u| u.ticket_granted(&ticket));
    if let Err(error) = put(&ticket, &file).await {
        return update(&|u| u.fail(Step::Upload, error.to_string()));
    }
    update(&|u| u.uploaded(events.is_none()));
    if events.is_some() {
        let waited = http::now_ms();
        loop {
            dom::sleep(Duration::from_millis(200)).await;
            let current = upload.try_with_untracked(|u| {
                u.as_ref().map(|u| (u.number, u.is_busy(), u.invocation.request_id.is_some()))
            });
            match current.flatten() {
                Some((n, true, heard)) if n == number => {
                    if !heard && http::now_ms() - waited > EVENT_WAIT.as_millis() as f64 {
                        break; // No event for this upload: poll for the report instead.
                    }
                }
                // Finished, or replaced by another upload, or the panel is gone.
                _ => return drop(events),
            }
        }
        drop(events);
        update(&|u| u.polling = true);
    }
    poll_report(&ticket, upload, number).await;
}

/// The platform's events applied to this upload; `None` when the stream does not open soon.
async fn listen_to_platform(upload: RwSignal<Option<Upload>>, number: u32) -> Option<EventStream> {
    let open = Rc::new(std::cell::Cell::new(false));
    let on_event = {
        let open = open.clone();
        move |event: StreamEvent| match event {
            StreamEvent::Open => open.set(true),
            StreamEvent::Error { .. } => {}
            StreamEvent::Data(data) => {
                let Ok(event) = serde_json::from_str::<PlatformEvent>(&data) else { return };
                let read_now = upload.try_update(|u| match u {
                    Some(u) if u.number == number => u.apply(&event),
                    _ => false,
                });
                if read_now == Some(true) {
                    spawn_local(read_report(upload, number));
                }
            }
        }
    };
    let stream = EventStream::open(EVENTS_ROUTE, &EVENT_TYPES, on_event).ok()?;
    let started = http::now_ms();
    while !open.get() {
        if http::now_ms() - started > STREAM_WAIT.as_millis() as f64 {
            return None;
        }
        dom::sleep(Duration::from_millis(20)).await;
    }
    Some(stream)
}

/// Why an upload stopped, in the words the panel shows.
#[derive(Debug, thiserror::Error)]
enum UploadError {
    #[error("Could not load the sample photo {file}: {detail}")]
    Sample { file: String, detail: String },
    #[error("The upload request could not be written: {0}")]
    Request(serde_json::Error),
    #[error(transparent)]
    Call(#[from] http::CallError),
    #[error("The upload ticket is not one: {0}")]
    NotATicket(serde_json::Error),
    #[error(
        "Could not upload to {place}: the network is off, or the bucket refuses this page (its CORS \
         rules must allow PUT from here). Browser said: {source}"
    )]
    Unreachable { place: String, source: gloo_net::Error },
    #[error("S3 refused the upload to {place} (HTTP {status}): {why}")]
    Refused { place: String, status: u16, why: String },
    #[error("Could not read the function's report from S3: {0}")]
    ReportUnreachable(gloo_net::Error),
    #[error("The function's report is not one this panel reads: {0}")]
    NotAReport(gloo_net::Error),
    #[error("S3 answered HTTP {status} for the function's report: {why}")]
    ReportRefused { status: u16, why: String },
    #[error("The function succeeded, but its report is not in the bucket.")]
    ReportMissing,
    #[error(
        "No thumbnails after {POLL_FOR_S} s. The function may have failed (see its logs in \
         CloudWatch), or the upload did not trigger it."
    )]
    NoReport,
}

async fn request_ticket(target: &Target, file: &Chosen) -> Result<UploadTicket, UploadError> {
    let request = UploadRequest {
        file_name: file.name.clone(),
        content_type: file.content_type.clone(),
        size: file.bytes(),
    };
    let json = serde_json::to_string(&request).map_err(UploadError::Request)?;
    let token = match target {
        Target::Local { .. } => crate::token::presenter_token(),
        Target::Remote { .. } => None,
    };
    let reply = http::post(&target.ticket_url(), token.as_deref(), Some(json)).await?;
    serde_json::from_value(reply.body).map_err(UploadError::NotATicket)
}

/// The file's bytes straight into the bucket, through the ticket's presigned URL.
async fn put(ticket: &UploadTicket, file: &Chosen) -> Result<(), UploadError> {
    let place = format!("s3://{}/{}", ticket.bucket, ticket.key);
    let unreachable = |source| UploadError::Unreachable { place: place.clone(), source };
    let request = Request::put(&ticket.url)
        .header("Content-Type", &file.content_type)
        .body(file.blob.clone())
        .map_err(unreachable)?;
    let response = request.send().await.map_err(unreachable)?;
    if response.ok() {
        return Ok(());
    }
    let body = response.text().await.unwrap_or_default();
    let why = s3_error(&body).unwrap_or_else(|| error_body::message(&body));
    Err(UploadError::Refused { place, status: response.status(), why })
}

/// The function's report, or `None` while it is not written yet (S3 answers 403 for a missing
/// key without list rights, else 404).
async fn fetch_report(ticket: &UploadTicket) -> Result<Option<ThumbnailReport>, UploadError> {
    let response = Request::get(&ticket.results.report)
        .cache(web_sys::RequestCache::NoStore)
        .send()
        .await
        .map_err(UploadError::ReportUnreachable)?;
    match response.status() {
        200 => response.json().await.map(Some).map_err(UploadError::NotAReport),
        403 | 404 => Ok(None),
        status => {
            let body = response.text().await.unwrap_or_default();
            let why = s3_error(&body).unwrap_or_else(|| error_body::message(&body));
            Err(UploadError::ReportRefused { status, why })
        }
    }
}

/// Reads the report once the platform said the function succeeded.
async fn read_report(upload: RwSignal<Option<Upload>>, number: u32) {
    let Some(ticket) = current_ticket(upload, number) else { return };
    let outcome = fetch_report(&ticket).await.and_then(|report| report.ok_or(UploadError::ReportMissing));
    settle(upload, number, outcome);
}

/// Polls for the report, for a function that sends the panel no events (on AWS).
async fn poll_report(ticket: &UploadTicket, upload: RwSignal<Option<Upload>>, number: u32) {
    for _ in 0..POLL_FOR_S * 1000 / POLL_EVERY_MS {
        if current_ticket(upload, number).is_none() {
            return; // Another upload, or the panel is gone.
        }
        match fetch_report(ticket).await {
            Ok(None) => dom::sleep(Duration::from_millis(POLL_EVERY_MS.into())).await,
            Ok(Some(report)) => return settle(upload, number, Ok(report)),
            Err(error) => return settle(upload, number, Err(error)),
        }
    }
    settle(upload, number, Err(UploadError::NoReport));
}

/// The ticket of upload `number`, while it is the panel's and still going.
fn current_ticket(upload: RwSignal<Option<Upload>>, number: u32) -> Option<UploadTicket> {
    upload
        .try_with_untracked(|u| {
            u.as_ref().filter(|u| u.number == number && u.is_busy()).and_then(|u| u.ticket.clone())
        })
        .flatten()
}

fn settle(upload: RwSignal<Option<Upload>>, number: u32, outcome: Result<ThumbnailReport, UploadError>) {
    upload.try_update(|u| {
        let Some(u) = u.as_mut().filter(|u| u.number == number && u.is_busy()) else { return };
        match outcome {
            Ok(report) => u.report_read(report),
            Err(error) => u.fail(Step::Report, error.to_string()),
        }
    });
}

/// A bundled sample photo, as a file to upload.
async fn fetch_sample(file: &str) -> Result<Chosen, UploadError> {
    let base = leptos::prelude::document().base_uri().ok().flatten().unwrap_or_default();
    let url = format!("{base}assets/samples/{file}");
    let failed = |detail: String| UploadError::Sample { file: file.to_owned(), detail };
    let response = Request::get(&url).send().await.map_err(|e| failed(e.to_string()))?;
    if !response.ok() {
        return Err(failed(format!("HTTP {}", response.status())));
    }
    let blob =
        web_sys::Response::from(response).blob().map_err(|e| failed(BrowserError::from(e).to_string()))?;
    let blob = wasm_bindgen_futures::JsFuture::from(blob)
        .await
        .map_err(|e| failed(BrowserError::from(e).to_string()))?;
    Ok(Chosen { blob: blob.unchecked_into(), name: file.to_owned(), content_type: "image/jpeg".to_owned() })
}

/// The steps so far: ticket, upload, S3's event, the function, the thumbnails.
fn steps(upload: &Upload) -> El {
    use StepState::*;
    let failed_at = match &upload.stage {
        Stage::Failed(failure) => Some(failure.step),
        _ => None,
    };
    let reached = |stage_done: bool, step: Step| match failed_at {
        Some(failed) if failed == step => Failed,
        _ if stage_done => Done,
        _ => Pending,
    };
    let stage = &upload.stage;
    let uploaded =
        upload.ticket.is_some() && !matches!(stage, Stage::Uploading) && failed_at != Some(Step::Upload);
    let ticket_state = match stage {
        Stage::Ticket => Active,
        _ => reached(upload.ticket.is_some(), Step::Ticket),
    };
    let upload_state = match stage {
        Stage::Uploading => Active,
        _ if upload.ticket.is_none() => Pending,
        _ => reached(uploaded, Step::Upload),
    };
    let function_state = match stage {
        Stage::Waiting | Stage::Running | Stage::Retrying => Active,
        Stage::Reading | Stage::Done => Done,
        Stage::Failed(f) if f.step == Step::Function => Failed,
        Stage::Failed(f) if f.step == Step::Report && upload.polling => Failed,
        Stage::Failed(f) if f.step == Step::Report => Done,
        _ => Pending,
    };
    let result_state = match stage {
        Stage::Reading => Active,
        Stage::Done => Done,
        Stage::Failed(f) if f.step == Step::Report && !upload.polling => Failed,
        _ => Pending,
    };
    let file = format!("{} ({})", upload.file_name, compact_bytes(upload.bytes));
    let (function_text, cold_start) = function_step(upload);
    let item = |state: StepState, title: &str, detail: El| {
        el("li")
            .class(state.class())
            .attr("data-state", state.class())
            .child(el("strong").text(title))
            .child(detail)
    };
    let ticket_detail = match &upload.ticket {
        Some(ticket) => el("span")
            .text(&format!("presigned PUT for s3://{}/", ticket.bucket))
            .child(el("code").text(&ticket.key)),
        None => el("span").text("asking for a presigned PUT"),
    };
    el("ol")
        .class("upload-steps")
        .attr("data-testid", "steps")
        .attr("aria-live", "polite")
        .child(item(ticket_state, "Ticket", ticket_detail))
        .child(item(upload_state, "Upload", el("span").text(&file)))
        .child(item(
            function_state,
            "S3 → function",
            el("span").text(&function_text).maybe(start_badge(cold_start)),
        ))
        .child(item(
            result_state,
            "Thumbnails",
            el("span").text(match stage {
                Stage::Reading => "reading the function's report",
                Stage::Done => "written",
                _ => "three widths, under thumbnails/",
            }),
        ))
}

#[derive(Clone, Copy)]
enum StepState {
    Pending,
    Active,
    Done,
    Failed,
}

impl StepState {
    fn class(self) -> &'static str {
        match self {
            StepState::Pending => "pending",
            StepState::Active => "active",
            StepState::Done => "done",
            StepState::Failed => "failed",
        }
    }
}

/// The function's side, and whether it started cold: as the platform's events tell it, or on
/// AWS as the function's report does.
fn function_step(upload: &Upload) -> (String, Option<bool>) {
    let call = &upload.invocation;
    if upload.polling {
        return match (&upload.stage, &upload.report) {
            (Stage::Waiting, _) => (
                format!("S3 calls the function; checking for its report every second (up to {POLL_FOR_S} s)"),
                None,
            ),
            (_, Some(report)) => {
                let init = if report.cold_start {
                    format!(" · init {}", format_ms(report.init_ms))
                } else {
                    String::new()
                };
                (format!("done{init} · {}", format_ms(report.duration_ms)), Some(report.cold_start))
            }
            _ => ("no report from the function".to_owned(), None),
        };
    }
    let attempt = if call.attempts > 1 && call.attempt > 1 {
        format!(" (attempt {} of {})", call.attempt, call.attempts)
    } else {
        String::new()
    };
    let mut line = match &upload.stage {
        Stage::Waiting if call.request_id.is_none() => "waiting for S3's event".to_owned(),
        Stage::Waiting => "queued: an asynchronous invocation".to_owned(),
        Stage::Running => format!("running{attempt}"),
        Stage::Retrying => {
            format!("attempt {} of {} failed; Lambda retries after its delay", call.attempt, call.attempts)
        }
        Stage::Failed(_) if !call.errors.is_empty() => format!("failed{attempt}"),
        _ => format!("done{attempt}"),
    };
    if let Some(init) = call.init_ms {
        line.push_str(&format!(" · init {}", format_ms(init)));
    }
    if let Some(duration) = call.duration_ms {
        line.push_str(&format!(" · {}", format_ms(duration)));
    }
    (line, call.cold_start)
}

/// The thumbnails, their sizes, and the event the function received.
fn results_view(upload: &Upload) -> Vec<El> {
    let mut view = Vec::new();
    if let Stage::Retrying = upload.stage {
        let errors = upload.invocation.errors.iter().map(|error| el("li").text(error));
        view.push(el("ul").class("attempt-errors").attr("data-testid", "attempt-errors").children(errors));
    }
    if let (Some(report), Some(ticket)) = (&upload.report, &upload.ticket) {
        let source = &report.source;
        // The function's own timing of its work (the step above has the platform's view).
        let summary =
            el("p").class("call-summary").attr("role", "status").attr("data-testid", "summary").text(
                &format!(
                    "{} × {} px, {} → {} thumbnails in {}",
                    source.width,
                    source.height,
                    compact_bytes(source.bytes),
                    report.thumbnails.len(),
                    format_ms(report.duration_ms)
                ),
            );
        let pictures = report.thumbnails.iter().zip(&ticket.results.thumbnails).map(|(picture, url)| {
            let caption =
                format!("{} × {} px · {}", picture.width, picture.height, compact_bytes(picture.bytes));
            let image = el("img")
                .attr("alt", &format!("Thumbnail {} px wide", picture.width))
                .attr("width", &picture.width.to_string())
                .attr("height", &picture.height.to_string())
                .attr("decoding", "async");
            // Only a web address becomes a source; anything else is left out.
            let image = if url.starts_with("http://") || url.starts_with("https://") || url.starts_with('/') {
                image.attr("src", url)
            } else {
                image
            };
            el("figure").child(image).child(el("figcaption").text(&caption))
        });
        view.push(summary);
        view.push(el("div").class("thumbnail-grid").attr("data-testid", "thumbnails").children(pictures));
    }
    let event = upload.report.as_ref().map(|r| r.event.clone()).or_else(|| upload.invocation.event.clone());
    if let Some(event) = event {
        let shown = match serde_json::from_str::<serde_json::Value>(&event) {
            Ok(value) => json_view(&value),
            Err(_) => el("pre").class("json").text(&event),
        };
        view.push(
            el("details")
                .class("s3-event")
                .child(el("summary").text("The S3 event the function received"))
                .child(shown.attr("data-testid", "s3-event")),
        );
    }
    view
}

/// `116 KB`, `2.1 MB`.
fn compact_bytes(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.0} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}
