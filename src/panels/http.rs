//! Calls to a Lambda over HTTP (gloo-net): a timeout through an `AbortController`, the round trip
//! measured with `performance.now()`, and every failure turned into a message a viewer can act on.
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use deck_core::error_body;
use gloo_net::http::{Request, RequestBuilder};
use leptos::prelude::{set_timeout_with_handle, window};
use serde_json::Value;

/// Longer than any `sleep_ms` the demo accepts (10 s) plus a cold start.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// Why a call gave no usable answer; `url` is the address called, without its query.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    #[error("No answer from {url} within {seconds} s.")]
    Timeout { url: String, seconds: u64 },
    #[error(
        "Could not reach {url}: the server is down, the network is off, or the server refused \
         this page (CORS). Browser said: {detail}"
    )]
    Unreachable { url: String, detail: String },
    #[error("{url} answered HTTP {status}: {message}")]
    Status { url: String, status: u16, message: String },
    #[error("{url} answered HTTP {status}, but not with JSON: {excerpt}")]
    NotJson { url: String, status: u16, excerpt: String },
    #[error("{url} answered, but not as the demo function does ({problem}): this panel measures demos/hello-lambda.")]
    NotTheDemo { url: String, problem: String },
}

/// A successful (2xx) answer with a JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    /// Request sent to body received.
    pub latency_ms: f64,
    pub body: Value,
}

pub async fn get_json(url: &str, query: &[(&str, &str)]) -> Result<Reply, CallError> {
    send(url, Request::get(url).query(query.iter().copied()), None).await
}

/// A POST to a control endpoint; `bearer` is a token for `Authorization`, `json` the body.
pub async fn post(url: &str, bearer: Option<&str>, json: Option<String>) -> Result<Reply, CallError> {
    let mut request = Request::post(url);
    if let Some(token) = bearer {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    if json.is_some() {
        request = request.header("Content-Type", "application/json");
    }
    send(url, request, json).await
}

async fn send(url: &str, request: RequestBuilder, body: Option<String>) -> Result<Reply, CallError> {
    let controller = web_sys::AbortController::new().ok();
    let timed_out = Rc::new(Cell::new(false));
    let timer = controller.clone().and_then(|controller| {
        let timed_out = timed_out.clone();
        // A plain `abort()`: gloo-net expects the rejection to be an `Error` (a DOMException is).
        let abort = move || {
            timed_out.set(true);
            controller.abort();
        };
        set_timeout_with_handle(abort, TIMEOUT).ok()
    });
    let signal = controller.as_ref().map(web_sys::AbortController::signal);
    let request = request.abort_signal(signal.as_ref()).cache(web_sys::RequestCache::NoStore);

    let started = now_ms();
    let exchanged = exchange(request, body).await;
    let latency_ms = now_ms() - started;
    if let Some(timer) = timer {
        timer.clear();
    }

    let (status, text) = exchanged.map_err(|detail| {
        if timed_out.get() {
            CallError::Timeout { url: url.to_owned(), seconds: TIMEOUT.as_secs() }
        } else {
            CallError::Unreachable { url: url.to_owned(), detail: detail.to_string() }
        }
    })?;
    if !(200..300).contains(&status) {
        return Err(CallError::Status { url: url.to_owned(), status, message: error_body::message(&text) });
    }
    match serde_json::from_str(&text) {
        Ok(body) => Ok(Reply { status, latency_ms, body }),
        Err(_) => {
            Err(CallError::NotJson { url: url.to_owned(), status, excerpt: error_body::excerpt(&text) })
        }
    }
}

/// Status and body text, or the browser's reason for failing.
async fn exchange(request: RequestBuilder, body: Option<String>) -> Result<(u16, String), gloo_net::Error> {
    let response = match body {
        Some(body) => request.body(body)?.send().await?,
        None => request.send().await?,
    };
    let text = response.text().await?;
    Ok((response.status(), text))
}

/// Milliseconds on the page's monotonic clock.
pub fn now_ms() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}
