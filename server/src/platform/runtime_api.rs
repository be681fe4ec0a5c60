//! The Lambda Runtime API (`/2018-06-01/runtime/…`) as one instance sees it.
//!
//! Every instance gets its own listener on 127.0.0.1 (its `AWS_LAMBDA_RUNTIME_API`), so a request
//! needs no lookup to know which instance sent it, and stopping an instance closes its API with
//! it. Invocations reach the waiting `/next` long-poll through a channel; the answer goes back to
//! the invoker through the invocation's own oneshot.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use deck_core::aws_rules::PAYLOAD_LIMIT;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use super::errors::FunctionError;
use crate::clock::epoch_millis;

/// What the runtime answers: the response payload, or the error it reported.
pub type Answer = Result<Bytes, FunctionError>;

/// How init ended: at the first `/next` (after this long), or with a report to `/init/error`.
pub type InitOutcome = Result<Duration, FunctionError>;

/// One event on its way to a runtime.
pub struct Invocation {
    pub request_id: Arc<str>,
    pub payload: Bytes,
    /// JSON, passed as `Lambda-Runtime-Client-Context`.
    pub client_context: Option<String>,
    /// See `InvokeRequest::loops`.
    pub loops: u32,
    pub reply: oneshot::Sender<Answer>,
}

struct InFlight {
    request_id: Arc<str>,
    reply: oneshot::Sender<Answer>,
}

pub struct RuntimeEndpoint {
    function_arn: HeaderValue,
    timeout: Duration,
    spawned_at: Instant,
    queue: tokio::sync::Mutex<mpsc::Receiver<Invocation>>,
    in_flight: Mutex<Option<InFlight>>,
    init: Mutex<Option<oneshot::Sender<InitOutcome>>>,
}

type Reply = Response<Full<Bytes>>;

impl RuntimeEndpoint {
    /// `spawned_at` is when the process was started: init lasts from then to the first `/next`.
    pub fn new(
        function_arn: &str,
        timeout: Duration,
        spawned_at: Instant,
        queue: mpsc::Receiver<Invocation>,
        init: oneshot::Sender<InitOutcome>,
    ) -> RuntimeEndpoint {
        RuntimeEndpoint {
            function_arn: HeaderValue::from_str(function_arn).unwrap_or(HeaderValue::from_static("")),
            timeout,
            spawned_at,
            queue: tokio::sync::Mutex::new(queue),
            in_flight: Mutex::new(None),
            init: Mutex::new(Some(init)),
        }
    }

    /// Serves the API until the task is aborted; aborting it also closes every connection.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) {
        let mut connections = JoinSet::new();
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                // Out of file descriptors, most likely: let some close before trying again.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let endpoint = self.clone();
            connections.spawn(async move {
                let service = service_fn(move |request| {
                    let endpoint = endpoint.clone();
                    async move { Ok::<_, Infallible>(endpoint.handle(request).await) }
                });
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
            while connections.try_join_next().is_some() {}
        }
    }

    async fn handle(&self, request: Request<Incoming>) -> Reply {
        match Route::of(request.method(), request.uri().path()) {
            Route::Next => self.next().await,
            Route::InitError => self.init_error(request).await,
            Route::Response(request_id) => self.response(&request_id, request).await,
            Route::Error(request_id) => self.error(&request_id, request).await,
            Route::WrongMethod => {
                error_reply(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "wrong method for this path")
            }
            Route::Unknown => error_reply(StatusCode::NOT_FOUND, "UnknownRoute", "not a Runtime API path"),
        }
    }

    /// The long-poll: the first call ends init; each call waits for the instance's next event.
    async fn next(&self) -> Reply {
        if let Some(init) = lock(&self.init).take() {
            let _ = init.send(Ok(self.spawned_at.elapsed()));
        }
        let invocation = self.queue.lock().await.recv().await;
        let Some(invocation) = invocation else {
            return error_reply(StatusCode::GONE, "InstanceStopped", "this instance is being stopped");
        };
        let deadline = epoch_millis(SystemTime::now() + self.timeout);
        let mut response = Response::new(Full::new(invocation.payload));
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert("lambda-runtime-aws-request-id", header_value(&invocation.request_id));
        headers.insert("lambda-runtime-deadline-ms", HeaderValue::from(deadline));
        headers.insert("lambda-runtime-invoked-function-arn", self.function_arn.clone());
        headers.insert("lambda-runtime-trace-id", header_value(&trace_id(invocation.loops)));
        if let Some(context) = &invocation.client_context {
            headers.insert("lambda-runtime-client-context", header_value(context));
        }
        *lock(&self.in_flight) =
            Some(InFlight { request_id: invocation.request_id, reply: invocation.reply });
        response
    }

    async fn response(&self, request_id: &str, request: Request<Incoming>) -> Reply {
        let body = read_payload(request).await;
        self.answer(request_id, body.map(Ok))
    }

    async fn error(&self, request_id: &str, request: Request<Incoming>) -> Reply {
        let error_type = error_type_header(&request);
        let body = read_payload(request).await;
        self.answer(
            request_id,
            body.map(|body| Err(FunctionError::from_runtime(error_type.as_deref(), body))),
        )
    }

    fn answer(&self, request_id: &str, answer: Result<Answer, PayloadProblem>) -> Reply {
        let in_flight = {
            let mut in_flight = lock(&self.in_flight);
            match &*in_flight {
                Some(current) if &*current.request_id == request_id => in_flight.take(),
                _ => None,
            }
        };
        let Some(in_flight) = in_flight else {
            return error_reply(StatusCode::BAD_REQUEST, "InvalidRequestID", "Invalid request ID");
        };
        match answer {
            Ok(answer) => {
                let _ = in_flight.reply.send(answer);
                accepted()
            }
            Err(PayloadProblem::TooLarge) => {
                let message = format!(
                    "Response payload size exceeded maximum allowed payload size ({PAYLOAD_LIMIT} bytes)."
                );
                let _ =
                    in_flight.reply.send(Err(FunctionError::new("Function.ResponseSizeTooLarge", &message)));
                error_reply(StatusCode::PAYLOAD_TOO_LARGE, "RequestEntityTooLarge", &message)
            }
            Err(PayloadProblem::Broken) => {
                let message = "the runtime's connection broke while it sent the response";
                let _ = in_flight.reply.send(Err(FunctionError::new("Runtime.InvalidResponse", message)));
                error_reply(StatusCode::BAD_REQUEST, "InvalidResponse", message)
            }
        }
    }

    async fn init_error(&self, request: Request<Incoming>) -> Reply {
        let error_type = error_type_header(&request);
        let body = read_payload(request).await.unwrap_or_default();
        match lock(&self.init).take() {
            Some(init) => {
                let _ = init.send(Err(FunctionError::from_runtime(error_type.as_deref(), body)));
                accepted()
            }
            None => error_reply(StatusCode::FORBIDDEN, "InvalidStateTransition", "init has already ended"),
        }
    }
}

#[derive(Debug, PartialEq)]
enum Route {
    Next,
    InitError,
    Response(String),
    Error(String),
    WrongMethod,
    Unknown,
}

impl Route {
    fn of(method: &Method, path: &str) -> Route {
        let Some(route) = path.strip_prefix("/2018-06-01/runtime/") else {
            return Route::Unknown;
        };
        let (expected, route) = match route {
            "invocation/next" => (Method::GET, Route::Next),
            "init/error" => (Method::POST, Route::InitError),
            _ => match route.strip_prefix("invocation/").and_then(|rest| rest.split_once('/')) {
                Some((request_id, "response")) => (Method::POST, Route::Response(request_id.to_owned())),
                Some((request_id, "error")) => (Method::POST, Route::Error(request_id.to_owned())),
                _ => return Route::Unknown,
            },
        };
        if *method == expected {
            route
        } else {
            Route::WrongMethod
        }
    }
}

enum PayloadProblem {
    TooLarge,
    Broken,
}

async fn read_payload(request: Request<Incoming>) -> Result<Bytes, PayloadProblem> {
    match Limited::new(request.into_body(), PAYLOAD_LIMIT).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => Err(PayloadProblem::TooLarge),
        Err(_) => Err(PayloadProblem::Broken),
    }
}

fn error_type_header(request: &Request<Incoming>) -> Option<String> {
    let value = request.headers().get("lambda-runtime-function-error-type")?;
    value.to_str().ok().filter(|value| !value.is_empty()).map(str::to_owned)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static(""))
}

/// An X-Ray trace header: `Root=1-<epoch seconds, hex>-<96 random bits>;Parent=<64 bits>;Sampled=0`,
/// and for an event caused by the function's own writes `;Lineage=<id>:<loops>`, as Lambda's
/// recursive loop detection writes it.
fn trace_id(loops: u32) -> String {
    let seconds = epoch_millis(SystemTime::now()) / 1000;
    let random = uuid::Uuid::new_v4().simple().to_string();
    let lineage = if loops > 0 { format!(";Lineage={}:{loops}", &random[..8]) } else { String::new() };
    format!("Root=1-{seconds:08x}-{};Parent={};Sampled=0{lineage}", &random[..24], &random[16..32])
}

/// The loop count in a trace header's `Lineage=<id>:<loops>`, or 0.
pub fn loops_in_trace(header: &str) -> u32 {
    header
        .split(';')
        .find_map(|part| part.trim().strip_prefix("Lineage="))
        .and_then(|lineage| lineage.rsplit(':').next()?.parse().ok())
        .unwrap_or(0)
}

fn accepted() -> Reply {
    json_reply(StatusCode::ACCEPTED, Bytes::from_static(br#"{"status":"OK"}"#))
}

fn error_reply(status: StatusCode, error_type: &str, message: &str) -> Reply {
    json_reply(status, FunctionError::new(error_type, message).body)
}

fn json_reply(status: StatusCode, body: Bytes) -> Reply {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_follow_the_runtime_api() {
        let base = "/2018-06-01/runtime";
        assert_eq!(Route::of(&Method::GET, &format!("{base}/invocation/next")), Route::Next);
        assert_eq!(Route::of(&Method::POST, &format!("{base}/init/error")), Route::InitError);
        assert_eq!(
            Route::of(&Method::POST, &format!("{base}/invocation/r-1/response")),
            Route::Response("r-1".into())
        );
        assert_eq!(
            Route::of(&Method::POST, &format!("{base}/invocation/r-1/error")),
            Route::Error("r-1".into())
        );
        assert_eq!(Route::of(&Method::POST, &format!("{base}/invocation/next")), Route::WrongMethod);
        assert_eq!(Route::of(&Method::GET, &format!("{base}/invocation/r-1/response")), Route::WrongMethod);
        assert_eq!(Route::of(&Method::POST, &format!("{base}/invocation/r-1/other")), Route::Unknown);
        assert_eq!(Route::of(&Method::GET, "/2015-03-31/functions"), Route::Unknown);
    }

    #[test]
    fn trace_ids_have_the_x_ray_shape() {
        let id = trace_id(0);
        let parts: Vec<&str> = id.split(';').collect();
        assert_eq!(parts.len(), 3, "{id}");
        let root: Vec<&str> = parts[0].strip_prefix("Root=").unwrap().split('-').collect();
        assert_eq!((root[0], root[1].len(), root[2].len()), ("1", 8, 24), "{id}");
        assert_eq!(parts[1].strip_prefix("Parent=").unwrap().len(), 16, "{id}");
        assert_eq!(parts[2], "Sampled=0");
        assert_ne!(trace_id(0), id);
        assert!(!id.contains("Lineage"));
        let looped = trace_id(3);
        assert!(looped.ends_with(":3") && looped.contains(";Lineage="), "{looped}");
        assert_eq!(loops_in_trace(&looped), 3);
        assert_eq!(loops_in_trace("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"), 0);
        assert_eq!(loops_in_trace("Root=1-1;Lineage=a87bd80c:16"), 16);
    }
}
