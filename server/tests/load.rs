//! 10,000 Function URL calls, 50 at a time: none lost, none answered with another call's result.

mod support;

use std::collections::HashSet;
use std::time::Instant;

use support::{binaries, client, function, function_state, header, json, Server};

const CALLS: usize = 10_000;
const CONCURRENCY: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_calls_at_fifty_concurrent_lose_and_mix_up_nothing() {
    let server =
        Server::start(&function("hello", &binaries().hello, &format!("max_concurrency = {CONCURRENCY}")));
    let started = Instant::now();
    let workers = (0..CONCURRENCY).map(|worker| {
        let base = server.url("/fn/hello/");
        tokio::spawn(async move {
            let client = client();
            let mut request_ids = Vec::with_capacity(CALLS / CONCURRENCY);
            for call in 0..CALLS / CONCURRENCY {
                let name = format!("w{worker}c{call}");
                let response = client.get(&base).query(&[("name", &name)]).send().await.unwrap();
                let (status, headers, body) = json(response).await;
                assert_eq!(status, 200, "{name}: {body}");
                assert_eq!(
                    body["greeting"],
                    format!("Hello, {name}!"),
                    "call {name} got another call's answer"
                );
                assert_eq!(header(&headers, "x-amzn-requestid"), body["request_id"], "{name}");
                request_ids.push(body["request_id"].as_str().unwrap().to_owned());
            }
            request_ids
        })
    });
    let mut request_ids = HashSet::new();
    for worker in futures_util::future::join_all(workers).await {
        request_ids.extend(worker.unwrap());
    }
    let elapsed = started.elapsed();
    assert_eq!(request_ids.len(), CALLS, "every call has its own request id");

    // The platform's own count agrees: each call was one invocation on one instance.
    let instances = function_state(&server, "hello").await["instances"].as_array().unwrap().clone();
    let invocations: u64 = instances.iter().map(|instance| instance["invocations"].as_u64().unwrap()).sum();
    assert_eq!(invocations, CALLS as u64);
    assert!(instances.len() <= CONCURRENCY);
    println!("{CALLS} calls in {elapsed:.2?} on {} instances", instances.len());
}
