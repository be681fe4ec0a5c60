//! The local Lambda platform's lifecycle events, as `GET /api/events` streams them: one JSON
//! object per server-sent event, its `type` also the event's name. The server writes these
//! types and the panels read the same ones, so a renamed field is a compile error on both sides.
use serde::{Deserialize, Serialize};

/// The server-sent event stream of [`PlatformEvent`]s.
pub const EVENTS_ROUTE: &str = "/api/events";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlatformEvent {
    pub function: String,
    /// The instance (process) it happened in; empty for an asynchronous event's queue.
    pub instance: String,
    /// The invocation the event belongs to; for init, the one that caused the cold start.
    #[serde(default)]
    pub request_id: Option<String>,
    pub timestamp_ms: u64,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    InitStart {
        pid: u32,
    },
    InitEnd {
        duration_ms: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_type: Option<String>,
    },
    InvokeStart,
    InvokeEnd {
        status: InvokeStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_type: Option<String>,
    },
    Report {
        duration_ms: f64,
        billed_ms: u64,
        memory_mb: u32,
        max_memory_used_mb: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
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
    /// How one attempt at an asynchronous event ended (attempt 0: a loop stopped before it).
    AsyncResult {
        status: AsyncStatus,
        attempt: u32,
        attempts: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_type: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_message: Option<String>,
    },
}

impl EventKind {
    /// The `type`, also the server-sent event's name.
    pub fn name(&self) -> &'static str {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvokeStatus {
    Success,
    Error,
    Timeout,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AsyncStatus {
    Success,
    /// Failed; it is tried again after the function's retry delay.
    Retrying,
    /// Failed on its last attempt: recorded, not delivered.
    Failed,
    /// A recursive loop's event, stopped before it ran.
    Stopped,
}

/// Why an instance ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The process ended by itself (a crash, or a runtime that gave up).
    Exited,
    IdleTimeout,
    Recycled,
    Timeout,
    OutOfMemory,
    InitError,
    ServerShutdown,
}

impl StopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Exited => "exited",
            StopReason::IdleTimeout => "idle_timeout",
            StopReason::Recycled => "recycled",
            StopReason::Timeout => "timeout",
            StopReason::OutOfMemory => "out_of_memory",
            StopReason::InitError => "init_error",
            StopReason::ServerShutdown => "server_shutdown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: EventKind) -> PlatformEvent {
        PlatformEvent {
            function: "hello".into(),
            instance: "0a1b2c3d".into(),
            request_id: Some("req-1".into()),
            timestamp_ms: 1_700_000_000_000,
            kind,
        }
    }

    #[test]
    fn events_are_flat_json_with_their_type() {
        let report = event(EventKind::Report {
            duration_ms: 0.25,
            billed_ms: 1,
            memory_mb: 128,
            max_memory_used_mb: 4,
            init_ms: None,
        });
        assert_eq!(
            serde_json::to_value(&report).unwrap(),
            json!({
                "function": "hello", "instance": "0a1b2c3d", "request_id": "req-1",
                "timestamp_ms": 1_700_000_000_000u64, "type": "report", "duration_ms": 0.25,
                "billed_ms": 1, "memory_mb": 128, "max_memory_used_mb": 4,
            })
        );
        assert_eq!(report.kind.name(), "report");
        let shutdown = EventKind::Shutdown { reason: StopReason::IdleTimeout, exit: "signal: killed".into() };
        assert_eq!(
            serde_json::to_value(&shutdown).unwrap(),
            json!({"type": "shutdown", "reason": "idle_timeout", "exit": "signal: killed"})
        );
    }

    #[test]
    fn every_kind_reads_back_as_it_was_written() {
        for kind in [
            EventKind::InitStart { pid: 42 },
            EventKind::InitEnd { duration_ms: 1.5, error_type: Some("Runtime.ExitError".into()) },
            EventKind::InvokeStart,
            EventKind::InvokeEnd { status: InvokeStatus::Timeout, error_type: None },
            EventKind::Report {
                duration_ms: 3.0,
                billed_ms: 3,
                memory_mb: 128,
                max_memory_used_mb: 9,
                init_ms: Some(0.1),
            },
            EventKind::Shutdown { reason: StopReason::OutOfMemory, exit: "signal: killed".into() },
            EventKind::AsyncQueued { source: "s3 ObjectCreated:Put b/k".into(), payload: "{}".into() },
            EventKind::AsyncResult {
                status: AsyncStatus::Retrying,
                attempt: 1,
                attempts: 3,
                error_type: Some("Fixture.Failure".into()),
                error_message: Some("failed on purpose".into()),
            },
        ] {
            let written = event(kind);
            let text = serde_json::to_string(&written).unwrap();
            assert_eq!(serde_json::from_str::<PlatformEvent>(&text).unwrap(), written, "{text}");
            assert!(text.contains(&format!("\"type\":\"{}\"", written.kind.name())), "{text}");
        }
        for reason in [StopReason::Exited, StopReason::InitError, StopReason::ServerShutdown] {
            assert_eq!(serde_json::to_value(reason).unwrap(), json!(reason.as_str()));
        }
    }

    #[test]
    fn an_event_of_another_type_is_an_error_not_a_wrong_event() {
        let unknown = json!({"function": "f", "instance": "i", "timestamp_ms": 1, "type": "snapshot"});
        assert!(serde_json::from_value::<PlatformEvent>(unknown).is_err());
    }
}
