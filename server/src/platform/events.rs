//! Lifecycle events for the deck's panels: `GET /api/events` streams them as server-sent events,
//! one JSON object per event, its `type` also the SSE event name.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use serde::Serialize;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::instance::StopReason;

#[derive(Debug, Clone, Serialize)]
pub struct PlatformEvent {
    pub function: Arc<str>,
    pub instance: Arc<str>,
    /// The invocation the event belongs to; for init, the one that caused the cold start.
    pub request_id: Option<Arc<str>>,
    pub timestamp_ms: u64,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    InitStart {
        pid: u32,
    },
    InitEnd {
        duration_ms: f64,
        #[serde(skip_serializing_if = "Option::is_none")]
        error_type: Option<String>,
    },
    InvokeStart,
    InvokeEnd {
        /// `success`, `error` or `timeout`.
        status: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        error_type: Option<String>,
    },
    Report {
        duration_ms: f64,
        billed_ms: u64,
        memory_mb: u32,
        max_memory_used_mb: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        init_ms: Option<f64>,
    },
    Shutdown {
        reason: StopReason,
        /// How the process ended, e.g. `exit status 3` or `signal: killed`.
        exit: String,
    },
    /// An asynchronous event (an S3 notification) is queued for the function.
    AsyncQueued {
        /// What sent it: `s3 ObjectCreated:Put deck-photos/uploads/cat.jpg`.
        source: String,
        /// The event the function receives, as JSON text.
        payload: String,
    },
    /// How one attempt at an asynchronous event ended: `success`, `retrying` or `failed`; or
    /// `stopped` (attempt 0) for an event of a recursive loop, which is not delivered.
    AsyncResult {
        status: &'static str,
        attempt: usize,
        attempts: usize,
        #[serde(skip_serializing_if = "Option::is_none")]
        error_type: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error_message: Option<String>,
    },
}

impl EventKind {
    fn name(&self) -> &'static str {
        match self {
            EventKind::InitStart { .. } => "init_start",
            EventKind::InitEnd { .. } => "init_end",
            EventKind::InvokeStart => "invoke_start",
            EventKind::InvokeEnd { .. } => "invoke_end",
            EventKind::Report { .. } => "report",
            EventKind::Shutdown { .. } => "shutdown",
            EventKind::AsyncQueued { .. } => "async_queued",
            EventKind::AsyncResult { .. } => "async_result",
        }
    }
}

/// Fan-out to every connected panel. A slow subscriber skips what it missed instead of holding
/// anyone back.
pub struct EventBus {
    sender: broadcast::Sender<Arc<PlatformEvent>>,
    closed: CancellationToken,
}

impl EventBus {
    pub fn new(closed: CancellationToken) -> EventBus {
        EventBus { sender: broadcast::channel(1024).0, closed }
    }

    /// Builds the event only when someone listens: the hot path pays nothing otherwise.
    pub fn publish(&self, event: impl FnOnce() -> PlatformEvent) {
        if self.sender.receiver_count() > 0 {
            let _ = self.sender.send(Arc::new(event()));
        }
    }

    /// The SSE response; it subscribes at once, so events published after this returns reach it.
    /// It ends when the server shuts down.
    pub fn sse(&self) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
        let receiver = self.sender.subscribe();
        let closed = self.closed.clone();
        let greeting = stream::once(async { Ok(Event::default().comment("connected")) });
        let events = stream::unfold((receiver, closed), |(mut receiver, closed)| async move {
            let event = tokio::select! {
                _ = closed.cancelled() => return None,
                received = receiver.recv() => match received {
                    Ok(event) => to_sse(&event),
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        Event::default().comment(format!("missed {missed} events"))
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            };
            Some((Ok(event), (receiver, closed)))
        });
        Sse::new(stream::StreamExt::chain(greeting, events))
            .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
    }
}

fn to_sse(event: &PlatformEvent) -> Event {
    let data = serde_json::to_string(event).unwrap_or_default();
    Event::default().event(event.kind.name()).data(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_serialize_flat_with_their_type() {
        let event = PlatformEvent {
            function: "hello".into(),
            instance: "0a1b2c3d".into(),
            request_id: Some("req-1".into()),
            timestamp_ms: 1_700_000_000_000,
            kind: EventKind::Report {
                duration_ms: 0.25,
                billed_ms: 1,
                memory_mb: 128,
                max_memory_used_mb: 4,
                init_ms: None,
            },
        };
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            json!({
                "function": "hello", "instance": "0a1b2c3d", "request_id": "req-1",
                "timestamp_ms": 1_700_000_000_000u64, "type": "report", "duration_ms": 0.25,
                "billed_ms": 1, "memory_mb": 128, "max_memory_used_mb": 4,
            })
        );
        assert_eq!(event.kind.name(), "report");
    }

    #[test]
    fn shutdown_events_name_their_reason() {
        let kind = EventKind::Shutdown { reason: StopReason::IdleTimeout, exit: "signal: killed".into() };
        let value = serde_json::to_value(&kind).unwrap();
        assert_eq!(value, json!({"type": "shutdown", "reason": "idle_timeout", "exit": "signal: killed"}));
    }

    #[test]
    fn nothing_is_built_without_a_subscriber() {
        let bus = EventBus::new(CancellationToken::new());
        bus.publish(|| unreachable!("no one listens"));
    }
}
