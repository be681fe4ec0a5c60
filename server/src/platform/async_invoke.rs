//! Lambda's asynchronous invocation, as S3's notifications use it: a queue per function, whose
//! events get their first attempt one at a time; a function error (or timeout, or crash) is
//! retried after each of the function's `async_retry_delays_s` (Lambda: twice, after 1 and 2
//! minutes) beside the queue, not in its way, and an event that still fails is recorded as failed
//! with its error, in the log and on `/api/events`. Nothing is dropped silently. A function whose
//! own writes keep triggering it is stopped after [`MAX_LOOPS`] rounds, as Lambda's recursive
//! loop detection stops it.
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tokio::sync::mpsc;

use super::errors::ServiceError;
use super::events::{AsyncStatus, EventKind, PlatformEvent};
use super::function::{Function, InvokeRequest};
use crate::clock::epoch_millis;

/// How many rounds of a function triggering itself run before the loop is stopped (Lambda's: 16).
pub const MAX_LOOPS: u32 = 16;

/// How long a throttled event waits for a free instance before that attempt counts as failed.
const THROTTLE_WINDOW: Duration = Duration::from_secs(60);

/// One event for a function, e.g. an S3 notification.
pub struct AsyncEvent {
    pub payload: Bytes,
    /// What sent it, for people: `s3 ObjectCreated:Put deck-photos/uploads/cat.jpg`.
    pub source: String,
    /// Rounds of the function triggering itself so far, this one included (1 for an event a
    /// person caused); see `InvokeRequest::loops`.
    pub loops: u32,
}

/// Where a function's asynchronous events wait.
#[derive(Clone)]
pub struct AsyncQueue(mpsc::UnboundedSender<AsyncEvent>);

impl AsyncQueue {
    /// The queue of `function`, drained by a task of its own.
    pub fn start(function: Arc<Function>) -> AsyncQueue {
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(drain(function, receiver));
        AsyncQueue(sender)
    }

    pub fn push(&self, event: AsyncEvent) {
        // The receiver lives as long as the runtime; a send fails only while it shuts down.
        let _ = self.0.send(event);
    }
}

async fn drain(function: Arc<Function>, mut queue: mpsc::UnboundedReceiver<AsyncEvent>) {
    while let Some(event) = queue.recv().await {
        deliver(&function, event).await;
    }
}

/// One event on its way to the function.
struct Delivery {
    request_id: Arc<str>,
    event: AsyncEvent,
    attempts: u32,
}

/// Makes the first attempt; a failed one is retried after the function's delays by a task of its
/// own, so a failing event does not hold up the events queued behind it (as on Lambda).
async fn deliver(function: &Arc<Function>, event: AsyncEvent) {
    let delivery = Delivery {
        request_id: uuid::Uuid::new_v4().to_string().into(),
        attempts: function.config.async_retry_delays.len() as u32 + 1,
        event,
    };
    publish(
        function,
        &delivery.request_id,
        EventKind::AsyncQueued {
            source: delivery.event.source.clone(),
            payload: String::from_utf8_lossy(&delivery.event.payload).into_owned(),
        },
    );
    if delivery.event.loops > MAX_LOOPS {
        let message = format!(
            "{} invoked itself {MAX_LOOPS} times in a row through its own writes ({}); the loop is stopped and this event is not delivered",
            function.name, delivery.event.source
        );
        function
            .telemetry
            .log()
            .line(format!("[{}] async {}: {message}", function.name, delivery.request_id));
        let stopped = EventKind::AsyncResult {
            status: AsyncStatus::Stopped,
            attempt: 0,
            attempts: delivery.attempts,
            error_type: Some("RecursiveInvocationLoop".into()),
            error_message: Some(message),
        };
        publish(function, &delivery.request_id, stopped);
        return;
    }
    if !attempt(function, &delivery, 1).await {
        tokio::spawn(retry(function.clone(), delivery));
    }
}

async fn retry(function: Arc<Function>, delivery: Delivery) {
    for (number, delay) in (2..=delivery.attempts).zip(function.config.async_retry_delays.clone()) {
        tokio::time::sleep(delay).await;
        if attempt(&function, &delivery, number).await {
            return;
        }
    }
}

/// One attempt, said on `/api/events` (and in the log when it fails); true when it is the last.
async fn attempt(function: &Arc<Function>, delivery: &Delivery, attempt: u32) -> bool {
    let Delivery { request_id, event, attempts } = delivery;
    let attempts = *attempts;
    let failure = match invoke(function, request_id, &event.payload, event.loops).await {
        Ok(()) => {
            let success = EventKind::AsyncResult {
                status: AsyncStatus::Success,
                attempt,
                attempts,
                error_type: None,
                error_message: None,
            };
            publish(function, request_id, success);
            return true;
        }
        Err(failure) => failure,
    };
    let last = attempt == attempts;
    let line = format!(
        "[{}] async {request_id} ({}): attempt {attempt} of {attempts} failed: {}: {}{}",
        function.name,
        event.source,
        failure.error_type,
        failure.error_message,
        if last { " — recorded as failed" } else { " — retrying" }
    );
    function.telemetry.log().line(line);
    publish(
        function,
        request_id,
        EventKind::AsyncResult {
            status: if last { AsyncStatus::Failed } else { AsyncStatus::Retrying },
            attempt,
            attempts,
            error_type: Some(failure.error_type),
            error_message: Some(failure.error_message),
        },
    );
    last
}

struct Failure {
    error_type: String,
    error_message: String,
}

/// One attempt, waiting for a free instance while the function is throttled.
async fn invoke(
    function: &Arc<Function>,
    request_id: &Arc<str>,
    payload: &Bytes,
    loops: u32,
) -> Result<(), Failure> {
    let give_up = tokio::time::Instant::now() + THROTTLE_WINDOW;
    let mut pause = Duration::from_millis(10);
    loop {
        let request = InvokeRequest {
            request_id: request_id.clone(),
            payload: payload.clone(),
            client_context: None,
            want_log_tail: false,
            loops,
        };
        match function.invoke(request).await {
            Ok(invoked) => {
                return invoked.answer.map(|_| ()).map_err(|error| {
                    let document: serde_json::Value = serde_json::from_slice(&error.body).unwrap_or_default();
                    let message = document["errorMessage"].as_str().unwrap_or_default().to_owned();
                    Failure { error_type: error.error_type, error_message: message }
                });
            }
            Err(ServiceError::TooManyRequests) if tokio::time::Instant::now() + pause < give_up => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            Err(error) => {
                return Err(Failure { error_type: "ServiceError".into(), error_message: error.to_string() })
            }
        }
    }
}

fn publish(function: &Arc<Function>, request_id: &Arc<str>, kind: EventKind) {
    function.telemetry.events().publish(|| PlatformEvent {
        function: function.name.to_string(),
        instance: String::new(),
        request_id: Some(request_id.to_string()),
        timestamp_ms: epoch_millis(SystemTime::now()),
        kind,
    });
}
