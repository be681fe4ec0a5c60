//! What clients see of the local Lambda platform, with real processes and real HTTP: the event
//! stream the panels draw, Function URLs, the Invoke API the AWS SDKs speak, and log tails.

mod support;

use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};
use support::{client, collect_events, fixture, get, header, hello, json};

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

#[tokio::test]
async fn events_follow_the_lifecycle_of_a_cold_call() {
    let server = hello("");
    let stream = client().get(server.url("/api/events")).send().await.unwrap();
    assert_eq!(header(stream.headers(), "content-type"), "text/event-stream");
    let (_, headers, body) = get(&server, "/fn/hello/").await;
    let request_id = header(&headers, "x-amzn-requestid").to_owned();
    let events = collect_events(stream, |events| events.iter().any(|event| event["type"] == "report")).await;

    let kinds: Vec<&str> = events.iter().map(|event| event["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["init_start", "init_end", "invoke_start", "invoke_end", "report"]);
    let instance = events[0]["instance"].clone();
    for event in &events {
        assert_eq!((&event["function"], &event["instance"]), (&json!("hello"), &instance));
        assert_eq!(event["request_id"], request_id.as_str());
        assert!(event["timestamp_ms"].as_u64().unwrap() > 1_700_000_000_000);
    }
    assert_eq!(body["request_id"], request_id.as_str());
    assert!(events[0]["pid"].as_u64().unwrap() > 0);
    let init_ms = events[1]["duration_ms"].as_f64().unwrap();
    assert!(init_ms > 0.0);
    assert_eq!(events[3]["status"], "success");
    let report = &events[4];
    assert_eq!((&report["memory_mb"], &report["init_ms"]), (&json!(128), &json!(init_ms)));
    let duration_ms = report["duration_ms"].as_f64().unwrap();
    assert_eq!(report["billed_ms"], json!(((duration_ms + init_ms).ceil() as u64).max(1)));
    assert!(report["max_memory_used_mb"].as_u64().unwrap() > 0);

    let stream = client().get(server.url("/api/events")).send().await.unwrap();
    client().post(server.url("/api/functions/hello/recycle")).send().await.unwrap();
    let events = collect_events(stream, |events| !events.is_empty()).await;
    assert_eq!(
        (&events[0]["type"], &events[0]["reason"], &events[0]["exit"]),
        (&json!("shutdown"), &json!("recycled"), &json!("signal: killed"))
    );
}

#[tokio::test]
async fn function_urls_map_requests_and_responses_in_payload_format_2_0() {
    // The Function URL's CORS as on AWS: any origin may call it.
    let server = fixture("[function.cors]\nallow_origins = [\"*\"]\nallow_methods = [\"GET\", \"POST\"]\nallow_headers = [\"content-type\"]");
    let response = client()
        .post(server.url("/fn/fixture/some/path?status=201&x=1&x=2"))
        .header("origin", "https://blog.example")
        .header("cookie", "a=1; b=2")
        .header("X-Custom", "Value")
        .header("content-type", "text/plain")
        .body("hello body")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let headers = response.headers().clone();
    assert_eq!(header(&headers, "x-fixture"), "url");
    assert_eq!(header(&headers, "access-control-allow-origin"), "*");
    let cookies: Vec<&str> = headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect();
    let request_id = header(&headers, "x-amzn-requestid");
    assert_eq!(cookies, [format!("seen={request_id}; Path=/").as_str(), "second=2"]);
    let event: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(event["version"], "2.0");
    assert_eq!(event["rawPath"], "/some/path");
    assert_eq!(event["rawQueryString"], "status=201&x=1&x=2");
    assert_eq!(event["queryStringParameters"], json!({"status": "201", "x": "1,2"}));
    assert_eq!(event["cookies"], json!(["a=1", "b=2"]));
    assert_eq!(event["headers"]["x-custom"], "Value");
    assert_eq!(event["headers"].get("cookie"), None);
    assert_eq!((&event["body"], &event["isBase64Encoded"]), (&json!("hello body"), &json!(false)));
    assert_eq!(event["requestContext"]["http"]["method"], "POST");
    assert_eq!(event["requestContext"]["http"]["sourceIp"], "127.0.0.1");
    assert_eq!(event["requestContext"]["requestId"], request_id);

    let preflight = client()
        .request(reqwest::Method::OPTIONS, server.url("/fn/fixture/"))
        .header("origin", "https://blog.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert_eq!(header(preflight.headers(), "access-control-allow-origin"), "*");
    assert_eq!(header(preflight.headers(), "access-control-allow-methods"), "GET, POST");
    assert_eq!(header(preflight.headers(), "access-control-allow-headers"), "content-type");
    assert_eq!(header(preflight.headers(), "access-control-allow-private-network"), "");

    let (status, _, error) = get(&server, "/fn/nope/").await;
    assert_eq!((status.as_u16(), &error["__type"]), (404, &json!("ResourceNotFoundException")));
}

#[tokio::test]
async fn other_json_answers_are_the_body_and_a_non_json_answer_is_a_502() {
    let server = fixture("");
    for (shape, expected) in [("plain", r#"{"plain":true}"#), ("string", r#""just a string""#)] {
        let response = client().get(server.url(&format!("/fn/fixture/?shape={shape}"))).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(header(response.headers(), "content-type"), "application/json");
        assert_eq!(response.text().await.unwrap(), expected);
    }
    let (status, headers, error) = get(&server, "/fn/fixture/?shape=invalid").await;
    assert_eq!((status.as_u16(), header(&headers, "x-amz-function-error")), (502, "Unhandled"));
    assert_eq!(error["errorType"], "Runtime.InvalidResponse");
    assert!(error["errorMessage"].as_str().unwrap().contains("not JSON"), "{error}");
}

#[tokio::test]
async fn the_invoke_api_speaks_aws() {
    let server = fixture("max_concurrency = 1");
    let url = server.url("/2015-03-31/functions/fixture/invocations");

    let response =
        client().post(&url).header("X-Amz-Invocation-Type", "DryRun").body("{}").send().await.unwrap();
    assert_eq!(response.status(), 204);
    let response =
        client().post(&url).header("X-Amz-Invocation-Type", "Event").body("{}").send().await.unwrap();
    assert_eq!(response.status(), 202);
    let event_id = header(response.headers(), "x-amzn-requestid").to_owned();
    server
        .wait_for_log("the event's REPORT", |line| line.contains(&format!("REPORT RequestId: {event_id}")))
        .await;

    let tail = client()
        .post(&url)
        .header("X-Amz-Log-Type", "Tail")
        .json(&json!({"action": "print", "lines": 2}))
        .send()
        .await
        .unwrap();
    let request_id = header(tail.headers(), "x-amzn-requestid").to_owned();
    let log = String::from_utf8(BASE64.decode(header(tail.headers(), "x-amz-log-result")).unwrap()).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines[0], format!("START RequestId: {request_id} Version: $LATEST"));
    assert_eq!(&lines[1..3], ["fixture line 0", "fixture line 1"]);
    assert_eq!(lines[3], format!("END RequestId: {request_id}"));
    assert!(lines[4].starts_with(&format!("REPORT RequestId: {request_id}\tDuration: ")), "{log}");

    let arn = "arn:aws:lambda:us-east-1:000000000000:function:fixture";
    let qualified = server.url(&format!("/2015-03-31/functions/{arn}/invocations?Qualifier=%24LATEST"));
    assert_eq!(client().post(qualified).body("{}").send().await.unwrap().status(), 200);

    let refusals = [
        (
            server.url("/2015-03-31/functions/fixture:prod/invocations"),
            None,
            "{}",
            404,
            "ResourceNotFoundException",
        ),
        (server.url("/2015-03-31/functions/nope/invocations"), None, "{}", 404, "ResourceNotFoundException"),
        (url.clone(), Some(("X-Amz-Invocation-Type", "Later")), "{}", 400, "InvalidParameterValueException"),
        (url.clone(), Some(("X-Amz-Log-Type", "All")), "{}", 400, "InvalidParameterValueException"),
        (url.clone(), Some(("X-Amz-Client-Context", "%%%")), "{}", 400, "InvalidParameterValueException"),
        (url.clone(), None, "{not json", 400, "InvalidRequestContentException"),
    ];
    for (url, extra, body, status, error_type) in refusals {
        let mut request = client().post(&url).body(body);
        if let Some((name, value)) = extra {
            request = request.header(name, value);
        }
        let (got, headers, error) = json(request.send().await.unwrap()).await;
        assert_eq!(
            (got.as_u16(), header(&headers, "x-amzn-errortype")),
            (status, error_type),
            "{url} {extra:?}: {error}"
        );
        assert!(!header(&headers, "x-amzn-requestid").is_empty());
        assert!(error["message"].as_str().is_some_and(|message| !message.is_empty()), "{error}");
    }

    // An empty payload is `{}`, as for `aws lambda invoke` without --payload.
    let (_, _, echo) = json(client().post(&url).send().await.unwrap()).await;
    assert_eq!(echo["event"], json!({}));
}

#[tokio::test]
async fn each_log_tail_holds_its_own_invocation_only() {
    let server = fixture("max_concurrency = 2");
    let url = server.url("/2015-03-31/functions/fixture/invocations");
    let calls = (0..40).map(|n| {
        let request = client()
            .post(&url)
            .header("X-Amz-Log-Type", "Tail")
            .json(&json!({"action": "print", "lines": 3, "tag": format!("call-{n}")}));
        async move {
            let response = loop {
                let response = request.try_clone().unwrap().send().await.unwrap();
                if response.status() != 429 {
                    break response;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            };
            (n, response)
        }
    });
    for (n, response) in futures_util::future::join_all(calls).await {
        assert_eq!(response.status(), 200);
        let request_id = header(response.headers(), "x-amzn-requestid").to_owned();
        let tail = BASE64.decode(header(response.headers(), "x-amz-log-result")).unwrap();
        let tail = String::from_utf8(tail).unwrap();
        let expected = [
            format!("START RequestId: {request_id} Version: $LATEST"),
            format!("call-{n} line 0"),
            format!("call-{n} line 1"),
            format!("call-{n} line 2"),
            format!("END RequestId: {request_id}"),
        ];
        // A cold start's tail begins with its init.
        let start = tail.find("START RequestId").unwrap();
        if start > 0 {
            assert!(
                tail.starts_with("INIT_START PID: ") && tail[..start].ends_with("fixture ready\n"),
                "{tail}"
            );
        }
        let lines: Vec<&str> = tail[start..].lines().collect();
        assert_eq!(lines[..5], expected, "{tail}");
        assert!(lines[5].starts_with(&format!("REPORT RequestId: {request_id}\t")), "{tail}");
        assert_eq!(lines.len(), 6, "{tail}");
    }
}
