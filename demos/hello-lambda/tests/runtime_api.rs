//! The real `bootstrap` process against a minimal Lambda Runtime API on 127.0.0.1: what the
//! function does between `/next` and `/response` or `/error`, over real HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

const RUNTIME: &str = "/2018-06-01/runtime/invocation";

/// What the function posted back for one invocation.
#[derive(Debug)]
struct Outcome {
    request_id: String,
    /// `response` or `error`.
    kind: String,
    body: Value,
}

/// Serves queued events on `/next` and reports every `/response` and `/error`.
struct FakeRuntimeApi {
    address: String,
    events: Sender<(String, Value)>,
    outcomes: Receiver<Outcome>,
}

impl FakeRuntimeApi {
    fn start() -> FakeRuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let (events, pending) = mpsc::channel();
        let pending = Arc::new(Mutex::new(pending));
        let (outcome_sender, outcomes) = mpsc::channel();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let (pending, outcomes) = (Arc::clone(&pending), outcome_sender.clone());
                thread::spawn(move || serve(stream.unwrap(), &pending, &outcomes));
            }
        });
        FakeRuntimeApi { address, events, outcomes }
    }

    fn invoke(&self, request_id: &str, event: Value) {
        self.events.send((request_id.to_owned(), event)).unwrap();
    }

    fn outcome(&self) -> Outcome {
        self.outcomes.recv_timeout(Duration::from_secs(20)).expect("the function answered")
    }
}

/// One keep-alive connection from the runtime client.
fn serve(stream: TcpStream, pending: &Mutex<Receiver<(String, Value)>>, outcomes: &Sender<Outcome>) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let path = request_line.split_whitespace().nth(1).unwrap().to_owned();
        let mut content_length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    content_length = value.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; content_length];
        reader.read_exact(&mut body).unwrap();

        let path = path.strip_prefix(RUNTIME).unwrap_or(&path);
        if path == "/next" {
            // Blocks like the real API does until there is work.
            let (request_id, event) = pending.lock().unwrap().recv().unwrap();
            let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + Duration::from_secs(10);
            let headers = format!(
                "Lambda-Runtime-Aws-Request-Id: {request_id}\r\n\
                 Lambda-Runtime-Deadline-Ms: {}\r\n\
                 Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:local:000000000000:function:hello\r\n\
                 Lambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000;Sampled=0\r\n",
                deadline.as_millis()
            );
            respond(&mut writer, "200 OK", &headers, &event.to_string());
        } else {
            let (request_id, kind) = path.trim_start_matches('/').split_once('/').unwrap();
            let body = serde_json::from_slice(&body).unwrap();
            outcomes.send(Outcome { request_id: request_id.into(), kind: kind.into(), body }).unwrap();
            respond(&mut writer, "202 Accepted", "", r#"{"status":"OK"}"#);
        }
    }
}

fn respond(writer: &mut TcpStream, status: &str, headers: &str, body: &str) {
    let length = body.len();
    write!(
        writer,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n{headers}\r\n{body}"
    )
    .unwrap();
}

/// The `bootstrap` process, killed when the test ends however it ends.
struct Function(Child);

impl Function {
    fn start(runtime_api: &str) -> Function {
        let child = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
            .env("AWS_LAMBDA_FUNCTION_NAME", "hello")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_REGION", "local-1")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        Function(child)
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A Function URL request (payload format 2.0) for `GET /?{query}`.
fn url_event(request_id: &str, query: &[(&str, &str)]) -> Value {
    let raw_query: Vec<String> = query.iter().map(|(key, value)| format!("{key}={value}")).collect();
    let parameters: serde_json::Map<String, Value> =
        query.iter().map(|(key, value)| (key.to_string(), json!(value))).collect();
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "rawQueryString": raw_query.join("&"),
        "queryStringParameters": parameters,
        "headers": { "host": "127.0.0.1" },
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "hello",
            "domainName": "127.0.0.1",
            "domainPrefix": "hello",
            "http": {
                "method": "GET", "path": "/", "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1", "userAgent": "test"
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": "05/Nov/2024:09:30:15 +0000",
            "timeEpoch": 1730799015250u64
        },
        "isBase64Encoded": false
    })
}

/// The HTTP answer inside a Function URL response.
fn http_answer(outcome: &Outcome) -> (u64, Value) {
    assert_eq!(outcome.kind, "response", "{outcome:?}");
    let response = &outcome.body;
    assert_eq!(response["headers"]["content-type"], "application/json", "{response}");
    let body = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    (response["statusCode"].as_u64().unwrap(), body)
}

#[test]
fn one_process_serves_cold_then_warm_then_refuses_fails_and_answers_direct_invokes() {
    let api = FakeRuntimeApi::start();
    let _function = Function::start(&api.address);

    api.invoke("req-1", url_event("req-1", &[("name", "Ada")]));
    let first = api.outcome();
    api.invoke("req-2", url_event("req-2", &[]));
    let second = api.outcome();

    assert_eq!((first.request_id.as_str(), second.request_id.as_str()), ("req-1", "req-2"));
    let (status, cold) = http_answer(&first);
    assert_eq!(status, 200);
    assert_eq!(cold["greeting"], "Hello, Ada!");
    assert_eq!(cold["request_id"], "req-1");
    assert_eq!(cold["cold_start"], true);
    assert_eq!(cold["invocations"], 1);
    assert_eq!(cold["memory_mb"], 128);
    assert_eq!(cold["function_name"], "hello");
    assert_eq!(cold["function_version"], "$LATEST");
    assert_eq!(cold["region"], "local-1");
    let init_ms = cold["init_ms"].as_f64().unwrap();
    assert!(init_ms > 0.0 && init_ms < 10_000.0, "{init_ms}");
    let (_, warm) = http_answer(&second);
    assert_eq!(warm["greeting"], "Hello, world!");
    assert_eq!(warm["cold_start"], false);
    assert_eq!(warm["invocations"], 2);
    assert_eq!(warm["instance_id"], cold["instance_id"]);
    assert_eq!(warm["init_ms"], cold["init_ms"]);

    api.invoke("req-3", url_event("req-3", &[("sleep_ms", "abc")]));
    let (status, refusal) = http_answer(&api.outcome());
    assert_eq!(status, 400);
    assert_eq!(refusal["parameter"], "sleep_ms");

    api.invoke("req-4", url_event("req-4", &[("fail", "1")]));
    let failure = api.outcome();
    assert_eq!((failure.request_id.as_str(), failure.kind.as_str()), ("req-4", "error"));
    assert_eq!(failure.body["errorType"], "RequestedFailure");

    // `aws lambda invoke` without an HTTP event gets the greeting itself.
    api.invoke("req-5", json!({}));
    let direct = api.outcome();
    assert_eq!(direct.kind, "response");
    assert_eq!(direct.body["greeting"], "Hello, world!");
    assert_eq!(direct.body["invocations"], 5);
    assert_eq!(direct.body["instance_id"], cold["instance_id"]);
}
