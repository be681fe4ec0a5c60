//! The thumbnails panel's account of one upload, step by step: the ticket, the `PUT`, then what
//! the local platform says on `/api/events` about the asynchronous invocation that S3's event
//! caused (queued, cold or warm, each attempt), and last the function's report. Pure, so every
//! step is tested natively; the panel keeps one [`Upload`] in a shared signal, so the deck's
//! other windows and followers show the same progress without uploading anything.
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::platform_events::{AsyncStatus, EventKind, PlatformEvent};
use crate::uploads::{decode_s3_key, ThumbnailReport, UploadTicket};

/// How long the panel polls for the report of a function deployed on AWS, where it hears no
/// events: S3's event usually reaches Lambda within a second or two.
pub const POLL_FOR_S: u32 = 60;
/// Between two polls.
pub const POLL_EVERY_MS: u32 = 1000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Upload {
    /// 1 for the panel's first upload, so a mirror knows a new one from an update.
    pub number: u32,
    pub file_name: String,
    pub bytes: u64,
    pub stage: Stage,
    /// The panel hears no events (a function on AWS): it polls for the report instead.
    pub polling: bool,
    /// Granted by the local server or the deployed ticket function.
    pub ticket: Option<UploadTicket>,
    pub invocation: Invocation,
    pub report: Option<ThumbnailReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Asking for a ticket (a presigned `PUT`).
    Ticket,
    Uploading,
    /// Uploaded: S3's event is on its way to the function.
    Waiting,
    /// The function works on it.
    Running,
    /// An attempt failed; Lambda tries again after the function's retry delay.
    Retrying,
    /// The function is done; its report is being read.
    Reading,
    Done,
    Failed(Failure),
}

/// What went wrong, at which step, in words for the audience.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub step: Step,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Reading the chosen file or sample, or getting a ticket for it.
    Ticket,
    Upload,
    Function,
    Report,
}

/// The asynchronous invocation, as the local platform reports it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Invocation {
    pub request_id: Option<String>,
    /// What sent it: `s3 ObjectCreated:Put deck-photos/uploads/…`.
    pub source: Option<String>,
    /// The S3 event the function receives, pretty-printed JSON.
    pub event: Option<String>,
    /// The attempt under way or last made (1-based), of `attempts`.
    pub attempt: u32,
    pub attempts: u32,
    /// Whether the latest attempt started an instance.
    pub cold_start: Option<bool>,
    pub init_ms: Option<f64>,
    pub duration_ms: Option<f64>,
    pub billed_ms: Option<u64>,
    pub max_memory_used_mb: Option<u64>,
    /// Each failed attempt's error, `errorType: errorMessage`.
    pub errors: Vec<String>,
}

impl Upload {
    /// An upload of `file_name` (`bytes` long) that is about to ask for its ticket.
    pub fn new(number: u32, file_name: &str, bytes: u64) -> Upload {
        Upload {
            number,
            file_name: file_name.to_owned(),
            bytes,
            stage: Stage::Ticket,
            polling: false,
            ticket: None,
            invocation: Invocation::default(),
            report: None,
        }
    }

    /// Still going: neither done nor failed.
    pub fn is_busy(&self) -> bool {
        !matches!(self.stage, Stage::Done | Stage::Failed(_))
    }

    /// Keeps the ticket without its presigned `PUT` URL: this state goes to every window and
    /// follower, and only the window that chose the file uploads it.
    pub fn ticket_granted(&mut self, ticket: &UploadTicket) {
        self.ticket = Some(UploadTicket { url: String::new(), ..ticket.clone() });
        self.stage = Stage::Uploading;
    }

    /// The bytes are in the bucket. `polling`: no events will come, the panel polls the report.
    pub fn uploaded(&mut self, polling: bool) {
        self.polling = polling;
        self.stage = Stage::Waiting;
    }

    pub fn fail(&mut self, step: Step, message: impl Into<String>) {
        self.stage = Stage::Failed(Failure { step, message: message.into() });
    }

    /// The function's report is read: the thumbnails are there.
    pub fn report_read(&mut self, report: ThumbnailReport) {
        self.report = Some(report);
        self.stage = Stage::Done;
    }

    /// Takes in one event of the local platform; events about other uploads change nothing.
    /// Returns true when the function has succeeded and the report is to be read now.
    pub fn apply(&mut self, event: &PlatformEvent) -> bool {
        let Some(ticket) = &self.ticket else { return false };
        if !matches!(self.stage, Stage::Uploading | Stage::Waiting | Stage::Running | Stage::Retrying) {
            return false;
        }
        let call = &mut self.invocation;
        if call.request_id.is_none() {
            // The upload's own event names its bucket and key; it may arrive before the `PUT`'s
            // answer does.
            if let EventKind::AsyncQueued { source, payload } = &event.kind {
                if names_object(payload, &ticket.bucket, &ticket.key) {
                    call.request_id = event.request_id.clone();
                    call.source = Some(source.clone());
                    call.event = Some(pretty(payload));
                    self.stage = Stage::Waiting;
                }
            }
            return false;
        }
        if event.request_id != call.request_id {
            return false;
        }
        match &event.kind {
            EventKind::InitStart { .. } => {
                call.cold_start = Some(true);
                call.init_ms = None;
            }
            EventKind::InitEnd { duration_ms, .. } => call.init_ms = Some(*duration_ms),
            EventKind::InvokeStart => {
                call.attempt += 1;
                call.cold_start.get_or_insert(false);
                self.stage = Stage::Running;
            }
            EventKind::Report { duration_ms, billed_ms, max_memory_used_mb, .. } => {
                call.duration_ms = Some(*duration_ms);
                call.billed_ms = Some(*billed_ms);
                call.max_memory_used_mb = Some(*max_memory_used_mb);
            }
            EventKind::AsyncResult { status, attempt, attempts, error_type, error_message } => {
                call.attempt = *attempt;
                call.attempts = *attempts;
                let error = match (error_type, error_message) {
                    (Some(kind), Some(message)) if !message.is_empty() => format!("{kind}: {message}"),
                    (Some(kind), _) => kind.clone(),
                    (None, Some(message)) => message.clone(),
                    (None, None) => "no error message".to_owned(),
                };
                match status {
                    AsyncStatus::Success => {
                        self.stage = Stage::Reading;
                        return true;
                    }
                    AsyncStatus::Retrying => {
                        call.errors.push(error);
                        // The next attempt starts an instance or reuses one: not known yet.
                        call.cold_start = None;
                        self.stage = Stage::Retrying;
                    }
                    AsyncStatus::Failed => {
                        call.errors.push(error.clone());
                        let message = format!(
                            "The function failed on all {attempts} attempts; Lambda recorded the event as failed. Last error: {error}"
                        );
                        self.fail(Step::Function, message);
                    }
                    AsyncStatus::Stopped => {
                        call.errors.push(error.clone());
                        self.fail(Step::Function, format!("Lambda stopped a recursive loop: {error}"));
                    }
                }
            }
            EventKind::InvokeEnd { .. } | EventKind::Shutdown { .. } | EventKind::AsyncQueued { .. } => {}
        }
        false
    }
}

/// Whether an S3 notification's records name `bucket`/`key` (keys come URL-encoded).
fn names_object(payload: &str, bucket: &str, key: &str) -> bool {
    let Ok(event) = serde_json::from_str::<Value>(payload) else { return false };
    let records = event.get("Records").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    records.iter().any(|record| {
        let s3 = &record["s3"];
        s3["bucket"]["name"].as_str() == Some(bucket)
            && s3["object"]["key"].as_str().map(decode_s3_key).as_deref() == Some(key)
    })
}

fn pretty(json: &str) -> String {
    serde_json::from_str::<Value>(json)
        .ok()
        .and_then(|value| serde_json::to_string_pretty(&value).ok())
        .unwrap_or_else(|| json.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform_events::InvokeStatus;
    use crate::uploads::{Picture, ResultLinks};
    use serde_json::json;

    const KEY: &str = "uploads/0a1b2c3d4e5f/lake at sunset.jpg";

    fn ticket() -> UploadTicket {
        UploadTicket {
            bucket: "deck-photos".into(),
            key: KEY.into(),
            url: "http://127.0.0.1:8080/deck-photos/uploads/…".into(),
            expires_in_s: 300,
            max_bytes: 20 << 20,
            results: ResultLinks {
                upload: "http://u".into(),
                report: "http://r".into(),
                thumbnails: vec!["http://t".into(); 3],
            },
        }
    }

    fn uploading() -> Upload {
        let mut upload = Upload::new(1, "lake at sunset.jpg", 118_000);
        upload.ticket_granted(&ticket());
        upload
    }

    fn event(request_id: &str, kind: EventKind) -> PlatformEvent {
        PlatformEvent {
            function: "thumbnail".into(),
            instance: String::new(),
            request_id: Some(request_id.into()),
            timestamp_ms: 1,
            kind,
        }
    }

    fn queued(request_id: &str, bucket: &str, encoded_key: &str) -> PlatformEvent {
        let payload = json!({"Records": [{"eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": bucket}, "object": {"key": encoded_key, "size": 118000}}}]});
        event(
            request_id,
            EventKind::AsyncQueued {
                source: format!("s3 ObjectCreated:Put {bucket}/{encoded_key}"),
                payload: payload.to_string(),
            },
        )
    }

    fn result(request_id: &str, status: AsyncStatus, attempt: u32, error: Option<&str>) -> PlatformEvent {
        event(
            request_id,
            EventKind::AsyncResult {
                status,
                attempt,
                attempts: 3,
                error_type: error.map(|_| "Runtime.Error".to_owned()),
                error_message: error.map(str::to_owned),
            },
        )
    }

    fn report() -> ThumbnailReport {
        let picture = |width, height| Picture { key: "k".into(), width, height, bytes: 1000 };
        ThumbnailReport {
            bucket: "deck-photos".into(),
            key: KEY.into(),
            request_id: "r1".into(),
            cold_start: true,
            init_ms: 12.0,
            duration_ms: 80.0,
            source: picture(1920, 1080),
            thumbnails: vec![picture(160, 90), picture(480, 270), picture(1080, 608)],
            event: "{}".into(),
        }
    }

    #[test]
    fn a_cold_upload_walks_every_stage_to_its_report() {
        let mut upload = uploading();
        assert_eq!(upload.stage, Stage::Uploading);
        let kept = upload.ticket.as_ref().unwrap();
        assert_eq!((kept.url.as_str(), kept.key.as_str()), ("", KEY), "no PUT URL in shared state");
        // Another upload's event, and one for another bucket: not ours.
        assert!(!upload.apply(&queued("other", "deck-photos", "uploads/ffff/cat.jpg")));
        assert!(!upload.apply(&queued("other", "elsewhere", "uploads/0a1b2c3d4e5f/lake+at+sunset.jpg")));
        assert_eq!(upload.invocation.request_id, None);
        // Ours, URL-encoded as S3 sends keys, arriving before the PUT's answer.
        upload.apply(&queued("r1", "deck-photos", "uploads/0a1b2c3d4e5f/lake+at+sunset.jpg"));
        assert_eq!(upload.invocation.request_id.as_deref(), Some("r1"));
        assert!(upload.invocation.event.as_deref().unwrap().contains("\"eventName\": \"ObjectCreated:Put\""));
        upload.uploaded(false);
        assert_eq!(upload.stage, Stage::Waiting);
        // Events of other invocations are ignored.
        upload.apply(&event("other", EventKind::InitStart { pid: 9 }));
        assert_eq!(upload.invocation.cold_start, None);
        upload.apply(&event("r1", EventKind::InitStart { pid: 7 }));
        upload.apply(&event("r1", EventKind::InitEnd { duration_ms: 11.5, error_type: None }));
        upload.apply(&event("r1", EventKind::InvokeStart));
        assert_eq!(upload.stage, Stage::Running);
        assert_eq!((upload.invocation.cold_start, upload.invocation.init_ms), (Some(true), Some(11.5)));
        upload.apply(&event("r1", EventKind::InvokeEnd { status: InvokeStatus::Success, error_type: None }));
        upload.apply(&event(
            "r1",
            EventKind::Report {
                duration_ms: 84.2,
                billed_ms: 85,
                memory_mb: 512,
                max_memory_used_mb: 40,
                init_ms: Some(11.5),
            },
        ));
        assert!(upload.apply(&result("r1", AsyncStatus::Success, 1, None)), "time to read the report");
        assert_eq!(upload.stage, Stage::Reading);
        assert_eq!(upload.invocation.duration_ms, Some(84.2));
        assert_eq!((upload.invocation.attempt, upload.invocation.attempts), (1, 3));
        upload.report_read(report());
        assert_eq!(upload.stage, Stage::Done);
        assert!(!upload.is_busy());
        // Done is done: a late event changes nothing.
        assert!(!upload.apply(&result("r1", AsyncStatus::Success, 1, None)));
    }

    #[test]
    fn a_warm_invocation_is_said_to_be_warm() {
        let mut upload = uploading();
        upload.uploaded(false);
        upload.apply(&queued("r2", "deck-photos", "uploads/0a1b2c3d4e5f/lake%20at%20sunset.jpg"));
        upload.apply(&event("r2", EventKind::InvokeStart));
        assert_eq!(upload.invocation.cold_start, Some(false));
        assert_eq!(upload.invocation.init_ms, None);
    }

    #[test]
    fn failed_attempts_are_kept_and_the_last_one_fails_the_upload() {
        let mut upload = uploading();
        upload.uploaded(false);
        upload.apply(&queued("r3", "deck-photos", "uploads/0a1b2c3d4e5f/lake+at+sunset.jpg"));
        upload.apply(&event("r3", EventKind::InitStart { pid: 1 }));
        upload.apply(&event("r3", EventKind::InvokeStart));
        upload.apply(&result("r3", AsyncStatus::Retrying, 1, Some("not an image")));
        assert_eq!(upload.stage, Stage::Retrying);
        assert_eq!(upload.invocation.cold_start, None, "the retry's start is not known yet");
        upload.apply(&event("r3", EventKind::InvokeStart));
        assert_eq!((upload.invocation.attempt, upload.invocation.cold_start), (2, Some(false)));
        upload.apply(&result("r3", AsyncStatus::Retrying, 2, Some("not an image")));
        upload.apply(&event("r3", EventKind::InvokeStart));
        assert!(!upload.apply(&result("r3", AsyncStatus::Failed, 3, Some("not an image"))));
        assert_eq!(upload.invocation.errors, vec!["Runtime.Error: not an image"; 3]);
        let Stage::Failed(failure) = &upload.stage else { panic!("{:?}", upload.stage) };
        assert_eq!(failure.step, Step::Function);
        assert!(failure.message.contains("all 3 attempts"), "{}", failure.message);
        assert!(failure.message.ends_with("Runtime.Error: not an image"), "{}", failure.message);
    }

    #[test]
    fn a_stopped_loop_fails_with_lambdas_words() {
        let mut upload = uploading();
        upload.apply(&queued("r4", "deck-photos", "uploads/0a1b2c3d4e5f/lake+at+sunset.jpg"));
        let mut stopped = result("r4", AsyncStatus::Stopped, 0, Some("invoked itself 16 times"));
        if let EventKind::AsyncResult { error_type, .. } = &mut stopped.kind {
            *error_type = Some("RecursiveInvocationLoop".into());
        }
        upload.apply(&stopped);
        let Stage::Failed(failure) = &upload.stage else { panic!("{:?}", upload.stage) };
        assert!(failure.message.contains("RecursiveInvocationLoop: invoked itself 16 times"));
    }

    #[test]
    fn events_before_a_ticket_or_after_a_failure_change_nothing() {
        let mut upload = Upload::new(1, "a.png", 10);
        let before = upload.clone();
        upload.apply(&queued("r5", "deck-photos", KEY));
        assert_eq!(upload, before);
        let mut upload = uploading();
        upload.fail(Step::Upload, "the bucket is unreachable");
        upload.apply(&queued("r5", "deck-photos", "uploads/0a1b2c3d4e5f/lake+at+sunset.jpg"));
        assert_eq!(upload.invocation.request_id, None);
        // A payload that is no JSON is simply not ours.
        let mut upload = uploading();
        upload.apply(&event("r6", EventKind::AsyncQueued { source: "s3".into(), payload: "{".into() }));
        assert_eq!(upload.invocation.request_id, None);
    }

    #[test]
    fn the_shared_state_reads_back_as_it_was_written() {
        let mut upload = uploading();
        upload.apply(&queued("r1", "deck-photos", "uploads/0a1b2c3d4e5f/lake+at+sunset.jpg"));
        upload.uploaded(true);
        upload.report_read(report());
        let text = serde_json::to_string(&upload).unwrap();
        assert_eq!(serde_json::from_str::<Upload>(&text).unwrap(), upload);
        let mut failed = uploading();
        failed.fail(Step::Report, "no report after 60 s");
        let json = serde_json::to_value(&failed).unwrap();
        assert_eq!(json["stage"], json!({"failed": {"step": "report", "message": "no report after 60 s"}}));
        assert_eq!(serde_json::to_value(Stage::Reading).unwrap(), json!("reading"));
    }
}
