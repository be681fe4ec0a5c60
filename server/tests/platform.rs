//! The local Lambda platform with real processes and real HTTP: lifecycle, scaling, failures,
//! shutdown. What clients see of it (events, Function URLs, the Invoke API) is in `interfaces.rs`.

mod support;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde_json::json;
use support::{
    binaries, client, fixture, function, function_state, get, header, hello, invoke, json, process_alive,
    Server,
};

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

#[tokio::test]
async fn the_first_call_is_cold_and_the_second_warm_on_the_same_instance() {
    let server = hello("");
    let (status, cold_headers, cold) = get(&server, "/fn/hello/?name=Ada").await;
    assert_eq!(status, 200, "{cold}");
    let (_, warm_headers, warm) = get(&server, "/fn/hello/").await;

    assert_eq!(cold["greeting"], "Hello, Ada!");
    assert_eq!((&cold["cold_start"], &cold["invocations"]), (&json!(true), &json!(1)));
    assert_eq!((&warm["cold_start"], &warm["invocations"]), (&json!(false), &json!(2)));
    assert_eq!(cold["instance_id"], warm["instance_id"]);
    assert_eq!(header(&cold_headers, "x-amzn-requestid"), cold["request_id"]);
    assert_eq!(header(&warm_headers, "x-amzn-requestid"), warm["request_id"]);
    assert_ne!(cold["request_id"], warm["request_id"]);
    assert!(header(&cold_headers, "server-timing").starts_with("init;dur="));
    assert!(header(&warm_headers, "server-timing").starts_with("invoke;dur="));
    assert_eq!(
        (&cold["function_name"], &cold["memory_mb"], &cold["region"]),
        (&json!("hello"), &json!(128), &json!("us-east-1"))
    );

    let cold_id = cold["request_id"].as_str().unwrap().to_owned();
    let warm_id = warm["request_id"].as_str().unwrap().to_owned();
    server
        .wait_for_log("START of the cold call", |line| {
            line.ends_with(&format!("START RequestId: {cold_id} Version: $LATEST"))
        })
        .await;
    let cold_report = server
        .wait_for_log("REPORT of the cold call", |line| {
            line.contains(&format!("REPORT RequestId: {cold_id}"))
        })
        .await;
    let warm_report = server
        .wait_for_log("REPORT of the warm call", |line| {
            line.contains(&format!("REPORT RequestId: {warm_id}"))
        })
        .await;
    for field in ["\tDuration: ", " ms\tBilled Duration: ", "\tMemory Size: 128 MB\tMax Memory Used: "] {
        assert!(cold_report.contains(field) && warm_report.contains(field), "{cold_report}\n{warm_report}");
    }
    assert!(cold_report.contains("\tInit Duration: "), "{cold_report}");
    assert!(!warm_report.contains("Init Duration"), "{warm_report}");
    let log = server.log();
    assert_eq!(log.iter().filter(|line| line.contains("INIT_START")).count(), 1);
    assert!(log.iter().any(|line| line.contains(&format!("END RequestId: {warm_id}"))));

    let state = function_state(&server, "hello").await;
    let instances = state["instances"].as_array().unwrap();
    assert_eq!(instances.len(), 1);
    assert_eq!((&instances[0]["state"], &instances[0]["invocations"]), (&json!("idle"), &json!(2)));
    assert!(instances[0]["rss_mb"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
async fn concurrent_calls_scale_out_and_every_answer_belongs_to_its_request() {
    let server = hello("max_concurrency = 20");
    let calls = (0..20).map(|n| {
        let url = server.url(&format!("/fn/hello/?name=call-{n}&sleep_ms=300"));
        async move { (n, json(client().get(url).send().await.unwrap()).await) }
    });
    let answers = futures_util::future::join_all(calls).await;
    let mut instances = std::collections::HashSet::new();
    for (n, (status, headers, body)) in answers {
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["greeting"], format!("Hello, call-{n}!"));
        assert_eq!(header(&headers, "x-amzn-requestid"), body["request_id"]);
        instances.insert(body["instance_id"].as_str().unwrap().to_owned());
    }
    // Twenty overlapping 300 ms calls cannot share instances: one invocation per instance.
    assert_eq!(instances.len(), 20, "{instances:?}");
    assert_eq!(function_state(&server, "hello").await["instances"].as_array().unwrap().len(), 20);
}

#[tokio::test]
async fn calls_past_the_concurrency_cap_are_throttled_with_429() {
    let server = hello("max_concurrency = 2");
    let slow = |_| {
        let url = server.url("/fn/hello/?sleep_ms=1500");
        tokio::spawn(async move { client().get(url).send().await.unwrap().status() })
    };
    let running: Vec<_> = (0..2).map(slow).collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let state = function_state(&server, "hello").await;
        let busy = state["instances"].as_array().unwrap().iter().filter(|i| i["state"] == "busy").count();
        if busy == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "two busy instances expected: {state}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let (status, headers, body) = get(&server, "/fn/hello/").await;
    assert_eq!(status, 429);
    assert_eq!(header(&headers, "x-amzn-errortype"), "TooManyRequestsException");
    assert_eq!(body["Reason"], "ReservedFunctionConcurrentInvocationLimitExceeded");
    let (status, headers, _) = invoke(&server, "hello", json!({})).await;
    assert_eq!((status.as_u16(), header(&headers, "x-amzn-errortype")), (429, "TooManyRequestsException"));

    for call in running {
        assert_eq!(call.await.unwrap(), 200);
    }
    let (status, _, body) = get(&server, "/fn/hello/").await;
    assert_eq!((status.as_u16(), &body["cold_start"]), (200, &json!(false)), "{body}");
}

#[tokio::test]
async fn a_call_past_its_timeout_is_killed_and_the_next_call_gets_a_new_instance() {
    let server = hello("timeout_s = 1\nmax_concurrency = 1");
    let (_, _, first) = get(&server, "/fn/hello/").await;
    let old_pid = function_state(&server, "hello").await["instances"][0]["pid"].as_u64().unwrap();

    let started = Instant::now();
    let (status, headers, error) = get(&server, "/fn/hello/?sleep_ms=3000").await;
    assert!(started.elapsed() < Duration::from_millis(2500), "the call ends at its timeout");
    assert_eq!(status, 502);
    assert_eq!(header(&headers, "x-amz-function-error"), "Unhandled");
    assert_eq!(error["errorType"], "Sandbox.Timedout");
    let message = error["errorMessage"].as_str().unwrap();
    assert!(message.ends_with("Task timed out after 1.00 seconds"), "{message}");
    assert!(!process_alive(old_pid), "the timed-out process is killed");

    // Even at a cap of one, the slot is free at once and the next call starts cold.
    let (status, _, next) = get(&server, "/fn/hello/").await;
    assert_eq!(status, 200, "{next}");
    assert_eq!(next["cold_start"], true);
    assert_ne!(next["instance_id"], first["instance_id"]);

    let request_id = header(&headers, "x-amzn-requestid").to_owned();
    server
        .wait_for_log("the timeout line", |line| {
            line.ends_with(&format!("{request_id} Task timed out after 1.00 seconds"))
        })
        .await;
    server
        .wait_for_log("a timeout REPORT", |line| {
            line.contains(&request_id) && line.ends_with("Status: timeout")
        })
        .await;
    server
        .wait_for_log("the shutdown", |line| line.contains("SHUTDOWN Reason: timeout\tExit: signal: killed"))
        .await;
}

#[tokio::test]
async fn a_function_error_fails_the_call_but_keeps_the_instance() {
    let server = hello("");
    let (_, _, first) = get(&server, "/fn/hello/").await;
    let (status, headers, error) = get(&server, "/fn/hello/?fail=1").await;
    assert_eq!((status.as_u16(), header(&headers, "x-amz-function-error")), (502, "Unhandled"));
    assert_eq!(error["errorType"], "RequestedFailure");
    let (status, headers, error) = invoke(&server, "hello", json!({"queryStringParameters": {}})).await;
    assert_eq!(status, 200, "the Invoke API reports function errors in a 200");
    assert!(
        header(&headers, "x-amz-function-error").is_empty(),
        "a pass-through event is no failure: {error}"
    );

    let (_, _, after) = get(&server, "/fn/hello/").await;
    assert_eq!((&after["cold_start"], &after["instance_id"]), (&json!(false), &first["instance_id"]));
    assert_eq!(after["invocations"], 4);
}

#[tokio::test]
async fn a_crash_fails_the_call_with_its_exit_status_and_a_new_instance_takes_over() {
    let server = fixture("max_concurrency = 1");
    let (_, _, before) = invoke(&server, "fixture", json!({})).await;
    let (status, headers, error) = invoke(&server, "fixture", json!({"action": "exit", "code": 3})).await;
    assert_eq!((status.as_u16(), header(&headers, "x-amz-function-error")), (200, "Unhandled"));
    assert_eq!(error["errorType"], "Runtime.ExitError");
    let request_id = header(&headers, "x-amzn-requestid");
    assert_eq!(
        error["errorMessage"],
        format!("RequestId: {request_id} Error: Runtime exited with error: exit status 3")
    );
    server.wait_for_log("the crash's own output", |line| line.ends_with("fixture exiting with 3")).await;
    server
        .wait_for_log("the shutdown", |line| line.contains("SHUTDOWN Reason: exited\tExit: exit status 3"))
        .await;

    let (status, _, after) = invoke(&server, "fixture", json!({})).await;
    assert_eq!(status, 200);
    assert_ne!(after["pid"], before["pid"]);
    assert!(!process_alive(before["pid"].as_u64().unwrap()));
}

#[tokio::test]
async fn an_instance_over_its_memory_size_is_killed_with_an_out_of_memory_error() {
    let server = fixture("memory_mb = 128");
    let (_, _, before) = invoke(&server, "fixture", json!({"action": "allocate", "mb": 16})).await;
    assert_eq!(before["held_mb"], 16, "{before}");
    let (status, headers, error) = invoke(&server, "fixture", json!({"action": "allocate", "mb": 200})).await;
    assert_eq!((status.as_u16(), header(&headers, "x-amz-function-error")), (200, "Unhandled"));
    assert_eq!(error["errorType"], "Runtime.OutOfMemory", "{error}");
    assert!(error["errorMessage"].as_str().unwrap().contains("memory size: 128 MB"), "{error}");
    let request_id = header(&headers, "x-amzn-requestid").to_owned();
    let report = server
        .wait_for_log("an OOM REPORT", |line| line.contains(&format!("REPORT RequestId: {request_id}")))
        .await;
    let used: u64 =
        report.split("Max Memory Used: ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!(used > 128, "{report}");
    assert!(report.ends_with("Status: error\tError Type: Runtime.OutOfMemory"), "{report}");

    let (status, _, after) = invoke(&server, "fixture", json!({})).await;
    assert_eq!(status, 200);
    assert_ne!(after["pid"], before["pid"]);
}

#[tokio::test]
async fn init_failures_are_reported_and_the_instance_is_gone() {
    let settings = "[function.environment]\nFIXTURE_INIT = \"error\"";
    let server = fixture(settings);
    let (status, headers, error) = invoke(&server, "fixture", json!({})).await;
    assert_eq!((status.as_u16(), header(&headers, "x-amz-function-error")), (200, "Unhandled"));
    assert_eq!(error, json!({"errorType": "Fixture.InitError", "errorMessage": "init failed on purpose"}));
    server
        .wait_for_log("the init report", |line| {
            line.contains("INIT_REPORT") && line.ends_with("Error Type: Fixture.InitError")
        })
        .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while !function_state(&server, "fixture").await["instances"].as_array().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the failed instance is removed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let server = fixture("[function.environment]\nFIXTURE_INIT = \"exit\"");
    let (_, _, error) = invoke(&server, "fixture", json!({})).await;
    assert_eq!(error["errorType"], "Runtime.ExitError");
    assert!(
        error["errorMessage"].as_str().unwrap().ends_with("Runtime exited with error: exit status 2"),
        "{error}"
    );
}

#[tokio::test]
async fn a_missing_binary_is_an_invalid_entrypoint_and_frees_its_slot() {
    let server = Server::start(&function(
        "ghost",
        std::path::Path::new("/nonexistent/bootstrap"),
        "max_concurrency = 1",
    ));
    assert!(server.log().iter().any(|line| line.contains("binary missing")), "{:#?}", server.log());
    for _ in 0..2 {
        let (status, headers, error) = invoke(&server, "ghost", json!({})).await;
        assert_eq!((status.as_u16(), header(&headers, "x-amz-function-error")), (200, "Unhandled"));
        assert_eq!(error["errorType"], "Runtime.InvalidEntrypoint");
        assert!(error["errorMessage"].as_str().unwrap().contains("/nonexistent/bootstrap"), "{error}");
    }
}

#[tokio::test]
async fn the_runtime_gets_lambdas_environment_headers_and_nothing_else() {
    let server = fixture("memory_mb = 256\ntimeout_s = 7\n[function.environment]\nGREETING = \"hi\"");
    let context = BASE64.encode(r#"{"custom":{"panel":"invoke"}}"#);
    let url = server.url("/2015-03-31/functions/fixture/invocations");
    let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
    let response =
        client().post(url).header("X-Amz-Client-Context", context).body(r#"{"k":"v"}"#).send().await.unwrap();
    let (status, headers, echo) = json(response).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "x-amz-executed-version"), "$LATEST");
    assert_eq!(echo["event"], json!({"k": "v"}));

    let runtime = &echo["runtime_headers"];
    assert_eq!(runtime["lambda-runtime-aws-request-id"], header(&headers, "x-amzn-requestid"));
    assert_eq!(
        runtime["lambda-runtime-invoked-function-arn"],
        "arn:aws:lambda:us-east-1:000000000000:function:fixture"
    );
    assert!(runtime["lambda-runtime-trace-id"].as_str().unwrap().starts_with("Root=1-"), "{runtime}");
    assert_eq!(runtime["lambda-runtime-client-context"], r#"{"custom":{"panel":"invoke"}}"#);
    let deadline: u64 = runtime["lambda-runtime-deadline-ms"].as_str().unwrap().parse().unwrap();
    assert!(deadline >= before + 6_000 && deadline <= before + 8_000, "deadline {deadline} vs {before}");

    let environment = &echo["environment"];
    let expected = [
        ("AWS_LAMBDA_FUNCTION_NAME", "fixture"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/fixture"),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"),
        ("AWS_REGION", "us-east-1"),
        ("TZ", ":UTC"),
        ("GREETING", "hi"),
    ];
    for (key, value) in expected {
        assert_eq!(environment[key], value, "{key}");
    }
    assert!(environment["AWS_LAMBDA_RUNTIME_API"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert!(environment["AWS_LAMBDA_LOG_STREAM_NAME"].as_str().unwrap().contains("/[$LATEST]"));
    assert_eq!(environment.get("HOME"), None, "the server's environment does not leak: {environment}");
    assert_eq!(environment.get("CARGO"), None);
    let task_root = binaries().fixture.parent().unwrap().to_str().unwrap();
    assert_eq!((&environment["LAMBDA_TASK_ROOT"], &echo["cwd"]), (&json!(task_root), &json!(task_root)));
}

#[tokio::test]
async fn payloads_over_six_megabytes_are_refused_with_413_both_ways() {
    let server = fixture("");
    let oversize = format!("\"{}\"", "x".repeat(6 * 1024 * 1024));
    let url = server.url("/2015-03-31/functions/fixture/invocations");
    let (status, headers, error) =
        json(client().post(url).body(oversize.clone()).send().await.unwrap()).await;
    assert_eq!((status.as_u16(), header(&headers, "x-amzn-errortype")), (413, "RequestTooLargeException"));
    assert!(error["message"].as_str().unwrap().contains("6291456 bytes"), "{error}");
    let (status, _, _) =
        json(client().post(server.url("/fn/fixture/")).body(oversize).send().await.unwrap()).await;
    assert_eq!(status, 413);

    // An answer over the limit fails the invocation; the instance carries on.
    let (status, headers, error) =
        invoke(&server, "fixture", json!({"action": "big", "bytes": 7 * 1024 * 1024})).await;
    assert_eq!((status.as_u16(), header(&headers, "x-amz-function-error")), (200, "Unhandled"));
    assert_eq!(error["errorType"], "Function.ResponseSizeTooLarge");
    let (status, _, _) = invoke(&server, "fixture", json!({"action": "big", "bytes": 1024 * 1024})).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn idle_instances_stop_after_the_idle_timeout() {
    let server = hello("idle_timeout_s = 1");
    let (_, _, first) = get(&server, "/fn/hello/").await;
    let pid = function_state(&server, "hello").await["instances"][0]["pid"].as_u64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !function_state(&server, "hello").await["instances"].as_array().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the idle instance is reaped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!process_alive(pid));
    server.wait_for_log("the reap", |line| line.contains("SHUTDOWN Reason: idle_timeout")).await;
    let (_, _, next) = get(&server, "/fn/hello/").await;
    assert_eq!(next["cold_start"], true);
    assert_ne!(next["instance_id"], first["instance_id"]);
}

#[tokio::test]
async fn recycle_makes_the_next_call_cold() {
    let server = hello("max_concurrency = 1");
    let (_, _, first) = get(&server, "/fn/hello/").await;
    let (status, _, recycled) =
        json(client().post(server.url("/api/functions/hello/recycle")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(recycled, json!({"function": "hello", "stopped": 1, "retiring": 0}));
    let (_, _, next) = get(&server, "/fn/hello/").await;
    assert_eq!(next["cold_start"], true);
    assert_ne!(next["instance_id"], first["instance_id"]);

    let response = client().post(server.url("/api/functions/nope/recycle")).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn recycling_a_busy_instance_retires_it_after_its_call() {
    let server = hello("");
    let slow = tokio::spawn({
        let url = server.url("/fn/hello/?sleep_ms=500");
        async move { json(client().get(url).send().await.unwrap()).await }
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while function_state(&server, "hello").await["instances"][0]["state"] != "busy" {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (_, _, recycled) =
        json(client().post(server.url("/api/functions/hello/recycle")).send().await.unwrap()).await;
    assert_eq!((&recycled["stopped"], &recycled["retiring"]), (&json!(0), &json!(1)));
    let (_, _, slow) = slow.await.unwrap();
    let (_, _, next) = get(&server, "/fn/hello/").await;
    assert_eq!(next["cold_start"], true);
    assert_ne!(next["instance_id"], slow["instance_id"]);
    server.wait_for_log("the retirement", |line| line.contains("SHUTDOWN Reason: recycled")).await;
}

#[tokio::test]
async fn shutdown_stops_every_instance_and_exits_cleanly() {
    let mut server = hello("max_concurrency = 3");
    let calls = (0..3).map(|_| client().get(server.url("/fn/hello/?sleep_ms=100")).send());
    futures_util::future::join_all(calls).await;
    let state = function_state(&server, "hello").await;
    let pids: Vec<u64> =
        state["instances"].as_array().unwrap().iter().map(|i| i["pid"].as_u64().unwrap()).collect();
    assert_eq!(pids.len(), 3);
    assert!(pids.iter().all(|pid| process_alive(*pid)));

    let status = server.terminate();
    assert!(status.success(), "{status}");
    assert!(pids.iter().all(|pid| !process_alive(*pid)), "no instance outlives the server");
    let log = server.log();
    assert_eq!(
        log.iter().filter(|line| line.contains("SHUTDOWN Reason: server_shutdown")).count(),
        3,
        "{log:#?}"
    );
}

#[tokio::test]
async fn instances_die_with_the_server_even_when_it_is_killed() {
    let server = hello("");
    get(&server, "/fn/hello/").await;
    let pid = function_state(&server, "hello").await["instances"][0]["pid"].as_u64().unwrap();
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(server.pid() as i32, libc::SIGKILL) };
    let deadline = Instant::now() + Duration::from_secs(5);
    while process_alive(pid) {
        assert!(Instant::now() < deadline, "the instance follows its server");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn a_bad_functions_file_stops_the_server_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let functions = dir.path().join("functions.toml");
    std::fs::write(&functions, "[[function]]\nname = \"a\"\nbinary = \"b\"\ntimeout_s = 0\n").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_serverless-deck"))
        .args(["--addr", "127.0.0.1:0", "--functions"])
        .arg(&functions)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        printed.contains(&format!(
            "{}:4: function \"a\": timeout_s = 0 is outside 1..=900",
            functions.display()
        )),
        "{printed}"
    );
    assert!(!printed.contains("listening on"));
}
