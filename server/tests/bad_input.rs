//! Bad input over real HTTP: malformed Invoke API bodies and headers, Function URL requests for
//! what does not exist, oversize declarations, and slow or stalled clients. Each gets a clear,
//! AWS-shaped answer (or a plain HTTP one), starts no function, and never stops the server from
//! serving everyone else. docs/bad-inputs.md lists these cases.
mod support;

use std::time::Duration;

use base64::Engine;
use support::{binaries, client, function, function_state, header, json, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn hello() -> Server {
    Server::start(&function("hello", &binaries().hello, ""))
}

fn host(server: &Server) -> String {
    server.base.trim_start_matches("http://").trim_end_matches('/').to_owned()
}

/// (what is wrong, path, headers, body, status, x-amzn-ErrorType, part of the message)
type BadInvoke =
    (&'static str, &'static str, Vec<(&'static str, String)>, Vec<u8>, u16, &'static str, &'static str);

fn bad_invokes() -> Vec<BadInvoke> {
    let base64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    let path = "/2015-03-31/functions/hello/invocations";
    vec![
        (
            "body is not JSON",
            path,
            vec![],
            b"{not json".to_vec(),
            400,
            "InvalidRequestContentException",
            "Could not parse request body into json",
        ),
        (
            "body is not UTF-8",
            path,
            vec![],
            vec![0xff, 0xfe, 0x00],
            400,
            "InvalidRequestContentException",
            "Could not parse request body into json",
        ),
        (
            "unknown invocation type",
            path,
            vec![("x-amz-invocation-type", "Sometimes".into())],
            b"{}".to_vec(),
            400,
            "InvalidParameterValueException",
            "invocationType",
        ),
        (
            "unknown log type",
            path,
            vec![("x-amz-log-type", "Head".into())],
            b"{}".to_vec(),
            400,
            "InvalidParameterValueException",
            "Log type",
        ),
        (
            "client context is not base64",
            path,
            vec![("x-amz-client-context", "!!!".into())],
            b"{}".to_vec(),
            400,
            "InvalidParameterValueException",
            "Base64-encoded JSON object",
        ),
        (
            "client context is a JSON array",
            path,
            vec![("x-amz-client-context", base64("[1, 2]"))],
            b"{}".to_vec(),
            400,
            "InvalidParameterValueException",
            "Base64-encoded JSON object",
        ),
        (
            "unknown function",
            "/2015-03-31/functions/nope/invocations",
            vec![],
            b"{}".to_vec(),
            404,
            "ResourceNotFoundException",
            "Function not found",
        ),
        (
            "unknown version in the name",
            "/2015-03-31/functions/hello:7/invocations",
            vec![],
            b"{}".to_vec(),
            404,
            "ResourceNotFoundException",
            "Function not found",
        ),
        (
            "unknown alias in ?Qualifier",
            "/2015-03-31/functions/hello/invocations?Qualifier=prod",
            vec![],
            b"{}".to_vec(),
            404,
            "ResourceNotFoundException",
            "Function not found",
        ),
        (
            "path traversal in the name",
            "/2015-03-31/functions/..%2F..%2Fbin%2Fsh/invocations",
            vec![],
            b"{}".to_vec(),
            404,
            "ResourceNotFoundException",
            "Function not found",
        ),
        (
            "declared body far over 6 MB",
            path,
            vec![("content-length", (100 * 1024 * 1024).to_string())],
            Vec::new(),
            413,
            "RequestTooLargeException",
            "6291456 bytes",
        ),
    ]
}

#[tokio::test]
async fn bad_invoke_requests_get_aws_shaped_errors_and_start_nothing() {
    let server = hello();
    for (what, path, headers, body, status, error_type, message) in bad_invokes() {
        let response = if headers.iter().any(|(name, _)| *name == "content-length") {
            raw_request(&server, "POST", path, &headers, b"").await
        } else {
            let mut request = client().post(server.url(path)).body(body);
            for (name, value) in &headers {
                request = request.header(*name, value);
            }
            let (status, headers, body) = json(request.send().await.unwrap()).await;
            (status.as_u16(), header(&headers, "x-amzn-errortype").to_owned(), body.to_string())
        };
        assert_eq!((response.0, response.1.as_str()), (status, error_type), "{what}: {}", response.2);
        assert!(response.2.contains(message), "{what}: `{}` lacks `{message}`", response.2);
    }
    let instances = function_state(&server, "hello").await["instances"].as_array().unwrap().len();
    assert_eq!(instances, 0, "a refused request must not start the function");
}

#[tokio::test]
async fn function_url_requests_for_nothing_get_404_and_query_text_comes_back_as_json_text() {
    let server = hello();
    for path in ["/fn/nope/", "/fn/", "/fn/..%2F..%2Fbin%2Fsh/"] {
        let response = client().get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    let script = "<script>alert(1)</script>";
    let response = client().get(server.url("/fn/hello/")).query(&[("name", script)]).send().await.unwrap();
    assert_eq!(header(response.headers(), "content-type"), "application/json");
    let (status, _, body) = json(response).await;
    assert_eq!(status, 200);
    assert!(
        body["greeting"].as_str().unwrap().contains(script),
        "the name is data, returned as JSON text: {body}"
    );
}

#[tokio::test]
async fn a_function_url_body_declared_over_the_limit_is_refused_before_it_is_sent() {
    let server = hello();
    let declared = [("content-length", (100 * 1024 * 1024).to_string())];
    let (status, error_type, body) = raw_request(&server, "POST", "/fn/hello/", &declared, b"").await;
    assert_eq!((status, error_type.as_str()), (413, "RequestTooLargeException"), "{body}");
}

#[tokio::test]
async fn an_oversize_header_block_is_refused_and_the_server_carries_on() {
    let server = hello();
    let huge = [("x-padding", "p".repeat(1024 * 1024))];
    let (status, _, _) = raw_request(&server, "GET", "/fn/hello/", &huge, b"").await;
    assert_eq!(status, 431, "Request Header Fields Too Large");
    assert_eq!(client().get(server.url("/fn/hello/")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn stalled_and_slow_clients_do_not_hold_up_anyone_else() {
    let server = hello();
    // Half-sent request heads, and a body that stops after 10 of 1000 bytes.
    let mut stalled = Vec::new();
    for _ in 0..64 {
        let mut stream = TcpStream::connect(host(&server)).await.unwrap();
        stream.write_all(b"GET /fn/hello/ HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        stalled.push(stream);
    }
    let mut slow_body = TcpStream::connect(host(&server)).await.unwrap();
    slow_body
        .write_all(b"POST /fn/hello/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789")
        .await
        .unwrap();

    let answered = tokio::time::timeout(Duration::from_secs(10), async {
        for _ in 0..5 {
            let response = client().get(server.url("/fn/hello/?name=patient")).send().await.unwrap();
            assert_eq!(response.status(), 200);
        }
    })
    .await;
    assert!(answered.is_ok(), "normal calls waited behind stalled clients");
    let instances = function_state(&server, "hello").await["instances"].as_array().unwrap().len();
    assert_eq!(instances, 1, "the unfinished body must not have taken an instance");
    drop((stalled, slow_body));
}

/// One request over a fresh connection, written by hand (for what a well-behaved client cannot
/// send): status, x-amzn-ErrorType and the body as text; status 0 if the server hung up.
async fn raw_request(
    server: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(host(server)).await.unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", host(server));
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    // The server may answer and close before taking everything; that is its right.
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "{method} {path}: no answer within 10 s");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let error_type = text
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("x-amzn-errortype").then(|| value.trim().to_owned())
        })
        .unwrap_or_default();
    (status, error_type, text)
}

#[tokio::test]
async fn invalid_utf_8_inside_a_json_string_is_refused_before_the_function_runs() {
    let server = hello();
    let url = server.url("/2015-03-31/functions/hello/invocations");
    for (body, problem) in [
        (&b"{\"name\":\"\xff\"}"[..], "Invalid UTF-8 start byte 0xff"),
        (b"{\"name\":\"Zo\xc3\"}", "Invalid UTF-8 middle byte 0x22"),
    ] {
        let (status, headers, answer) = json(client().post(&url).body(body).send().await.unwrap()).await;
        assert_eq!(
            (status.as_u16(), header(&headers, "x-amzn-errortype")),
            (400, "InvalidRequestContentException")
        );
        let message = answer["message"].as_str().unwrap();
        assert!(message.starts_with("Could not parse request body into json: "), "{message}");
        assert!(message.contains(problem), "{message} lacks {problem}");
    }
    let instances = function_state(&server, "hello").await["instances"].as_array().unwrap().len();
    assert_eq!(instances, 0, "a refused request must not start the function");
}

/// A JSON document of exactly `bytes` bytes.
fn payload_of(bytes: usize) -> Vec<u8> {
    let document = format!("{{\"pad\":\"{}\"}}", "p".repeat(bytes - 10));
    assert_eq!(document.len(), bytes);
    document.into_bytes()
}

#[tokio::test]
async fn an_event_over_one_megabyte_is_refused_as_aws_refuses_it() {
    let server = hello();
    let too_large = payload_of(1024 * 1024 + 1);
    let expected = "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)";
    match support::aws_cli() {
        Some(aws) => {
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("event.json");
            std::fs::write(&file, &too_large).unwrap();
            let output = std::process::Command::new(aws)
                .args(["lambda", "invoke", "--endpoint-url", &server.base, "--function-name", "hello"])
                .args(["--invocation-type", "Event", "--payload"])
                .arg(format!("fileb://{}", file.display()))
                .arg(dir.path().join("out.json"))
                .env("AWS_ACCESS_KEY_ID", "test")
                .env("AWS_SECRET_ACCESS_KEY", "test")
                .env("AWS_DEFAULT_REGION", "us-east-1")
                .env("AWS_CONFIG_FILE", dir.path().join("no-config"))
                .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("no-credentials"))
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .env("AWS_MAX_ATTEMPTS", "1")
                .env("AWS_PAGER", "")
                .output()
                .expect("the aws CLI runs");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(!output.status.success(), "{stderr}");
            assert!(
                stderr.contains("(RequestEntityTooLargeException)") && stderr.contains(expected),
                "{stderr}"
            );
        }
        None => {
            eprintln!("the aws CLI is not installed and `pip install awscli` did not work: raw HTTP only")
        }
    }
    let url = server.url("/2015-03-31/functions/hello/invocations");
    let event = client().post(&url).header("x-amz-invocation-type", "Event");
    let (status, headers, answer) = json(event.body(too_large.clone()).send().await.unwrap()).await;
    assert_eq!(
        (status.as_u16(), header(&headers, "x-amzn-errortype")),
        (413, "RequestEntityTooLargeException")
    );
    assert_eq!(answer["message"], expected);
    let instances = function_state(&server, "hello").await["instances"].as_array().unwrap().len();
    assert_eq!(instances, 0, "a refused event must not start the function");

    // 1 MB exactly is queued; a synchronous call may carry more, up to 6 MB.
    let event = client().post(&url).header("x-amz-invocation-type", "Event");
    assert_eq!(event.body(payload_of(1024 * 1024)).send().await.unwrap().status(), 202);
    let response = client().post(&url).body(payload_of(2 * 1024 * 1024)).send().await.unwrap();
    assert_eq!(response.status(), 200, "the asynchronous limit is the Event type's only");
}
