//! Every observable moment of the lifecycle, in one place: each writes its CloudWatch-style line
//! into the instance's log (so it also lands in a requested log tail) and publishes its event.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::events::{EventBus, EventKind, InvokeStatus, PlatformEvent};
use super::instance::Instance;
use super::lifecycle::Exit;
use super::logs::LogSink;
use super::report::{Report, Status};
use crate::clock::{epoch_millis, UtcTime};

pub struct Telemetry {
    log: LogSink,
    events: EventBus,
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

impl Telemetry {
    pub fn new(log: LogSink, events: EventBus) -> Telemetry {
        Telemetry { log, events }
    }

    pub fn log(&self) -> &LogSink {
        &self.log
    }

    pub fn events(&self) -> &EventBus {
        &self.events
    }

    fn publish(
        &self,
        function: &Arc<str>,
        instance: &Instance,
        request_id: Option<&Arc<str>>,
        kind: EventKind,
    ) {
        self.events.publish(|| PlatformEvent {
            function: function.to_string(),
            instance: instance.id.to_string(),
            request_id: request_id.map(|id| id.to_string()),
            timestamp_ms: epoch_millis(SystemTime::now()),
            kind,
        });
    }

    pub fn init_start(&self, function: &Arc<str>, instance: &Instance, request_id: &Arc<str>) {
        instance.output.platform_line(&format!("INIT_START PID: {}", instance.pid));
        self.publish(function, instance, Some(request_id), EventKind::InitStart { pid: instance.pid });
    }

    pub fn init_end(
        &self,
        function: &Arc<str>,
        instance: &Instance,
        request_id: &Arc<str>,
        duration: Duration,
        error_type: Option<&str>,
    ) {
        if let Some(error_type) = error_type {
            instance.output.platform_line(&format!(
                "INIT_REPORT Init Duration: {:.2} ms\tPhase: init\tStatus: error\tError Type: {error_type}",
                millis(duration)
            ));
        }
        let kind =
            EventKind::InitEnd { duration_ms: millis(duration), error_type: error_type.map(str::to_owned) };
        self.publish(function, instance, Some(request_id), kind);
    }

    pub fn invoke_start(&self, function: &Arc<str>, instance: &Instance, request_id: &Arc<str>) {
        instance.output.platform_line(&format!("START RequestId: {request_id} Version: $LATEST"));
        self.publish(function, instance, Some(request_id), EventKind::InvokeStart);
    }

    pub fn invoke_end(&self, function: &Arc<str>, instance: &Instance, report: &Report, timeout: Duration) {
        let request_id = &report.request_id;
        if report.status == Status::Timeout {
            let now = UtcTime::now().rfc3339_millis();
            let seconds = timeout.as_secs_f64();
            instance
                .output
                .platform_line(&format!("{now} {request_id} Task timed out after {seconds:.2} seconds"));
        }
        instance.output.platform_line(&format!("END RequestId: {request_id}"));
        instance.output.platform_line(&report.to_string());

        let (status, error_type) = match &report.status {
            Status::Success => (InvokeStatus::Success, None),
            Status::Timeout => (InvokeStatus::Timeout, None),
            Status::Error(error_type) | Status::Failed(error_type) => {
                (InvokeStatus::Error, Some(error_type.clone()))
            }
        };
        self.publish(function, instance, Some(request_id), EventKind::InvokeEnd { status, error_type });
        let kind = EventKind::Report {
            duration_ms: millis(report.duration),
            billed_ms: report.billed_ms(),
            memory_mb: report.memory_size_mb,
            max_memory_used_mb: report.max_memory_used_mb,
            init_ms: report.init.map(millis),
        };
        self.publish(function, instance, Some(request_id), kind);
    }

    /// The instance's end; it belongs to no request (an invocation that caused it ended just before).
    pub fn shutdown(&self, function: &Arc<str>, instance: &Instance, exit: &Exit) {
        let reason = exit.reason.as_str();
        instance.output.platform_line(&format!("SHUTDOWN Reason: {reason}\tExit: {}", exit.status));
        let kind = EventKind::Shutdown { reason: exit.reason, exit: exit.status.clone() };
        self.publish(function, instance, None, kind);
    }
}
