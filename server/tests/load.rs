//! 10,000 Function URL calls, 50 at a time: none lost, none answered with another call's result.
//! 500 and 2,000 followers: every change reaches each of them, and once they leave the server
//! holds no more files than before.

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::json;
use support::{binaries, client, function, function_state, header, json, RawFollower, Server};

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

/// Changes the presenter makes while the room follows, a realistic 50 a second.
const CHANGES: u64 = 100;
const PACE: Duration = Duration::from_millis(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_and_thousands_of_followers_get_every_change_and_leave_nothing_behind() {
    let own_limit = support::raise_open_files();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dist = dir.path().join("dist");
    let args =
        ["--no-functions".as_ref(), "--dist".as_ref(), dist.as_os_str(), "--follow".as_ref(), "on".as_ref()];
    let server = Server::launch(dir, &args);
    let log = server.log();
    let token = log.iter().find_map(|line| line.strip_prefix("presenter token: ")).expect("a token line");
    let presenter = Presenter { server: &server, token: token.split_whitespace().next().unwrap().to_owned() };
    presenter.moves_to(0).await;
    let (files_before, memory_before) = (server.open_files(), server.resident_kb());
    // The same room again and again: what a round left behind would pile up.
    let mut memory_after = Vec::new();
    for (round, room) in [500, 2_000, 2_000, 2_000].into_iter().enumerate() {
        if own_limit < room as u64 + 256 {
            println!("SKIPPED {room} followers: this test process may open only {own_limit} files");
            continue;
        }
        follow(&presenter, room, round as u64 * 1_000).await;
        let files = server.open_files();
        assert!(
            files <= files_before + 2,
            "files left open: {files_before} before {room} followers, {files} after"
        );
        memory_after.push(server.resident_kb());
    }
    println!("resident memory: {memory_before} kB at start, {memory_after:?} kB after each round");
    // The allocator keeps some of what a round freed, a few MB more or less each round
    // (measured after the third and fourth rounds: +3 to +13 MB); a follower's connection kept
    // whole (its task, buffers and stream, over 16 kB) would add more than 32 MB each round.
    if let [.., before, last] = memory_after[..] {
        assert!(last < before + 2_000 * 8, "memory grows round after round: {memory_after:?} kB");
    }
}

struct Presenter<'a> {
    server: &'a Server,
    token: String,
}

impl Presenter<'_> {
    /// Moves to `slide`; the number of followers.
    async fn moves_to(&self, slide: u64) -> u64 {
        let body = json!({"type": "state", "values": [["deck:position", {"slide": slide, "step": 0}]]});
        let request =
            client().post(self.server.url("/api/follow")).bearer_auth(&self.token).body(body.to_string());
        let (status, _, reply) = json(request.send().await.unwrap()).await;
        assert_eq!(status, 200, "{reply}");
        reply["followers"].as_u64().unwrap()
    }
}

/// `room` followers join, the presenter makes [`CHANGES`] moves from `first`, each follower gets
/// every one of them in order, and they leave.
async fn follow(presenter: &Presenter<'_>, room: usize, first: u64) {
    let server = presenter.server;
    presenter.moves_to(first).await;
    let started = Instant::now();
    let mut followers = Vec::with_capacity(room);
    for _ in 0..room {
        let mut follower = RawFollower::connect(server, None).await;
        assert_eq!(follower.head().await.0, 200);
        followers.push(follower);
    }
    let joined = started.elapsed();
    let last = first + CHANGES;
    let readers: Vec<_> = followers
        .into_iter()
        .map(|mut follower| {
            tokio::spawn(async move {
                let mut slides = Vec::new();
                while slides.last() != Some(&last) {
                    let event = follower.next_event().await;
                    let values = event["values"].as_array().unwrap().iter();
                    slides.extend(values.filter_map(|pair| pair[1]["slide"].as_u64()));
                }
                (slides, follower)
            })
        })
        .collect();
    assert_eq!(presenter.moves_to(first + 1).await, room as u64);
    let (files, memory) = (server.open_files(), server.resident_kb());
    for slide in first + 2..=last {
        tokio::time::sleep(PACE).await;
        presenter.moves_to(slide).await;
    }
    let mut followers = Vec::with_capacity(room);
    for reader in readers {
        let (slides, follower) = reader.await.unwrap();
        assert_eq!(slides, (first..=last).collect::<Vec<_>>(), "a follower missed a change");
        followers.push(follower);
    }
    let delivered = started.elapsed();

    // They leave; each is noticed at the next write to its stream.
    drop(followers);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut slide = last;
    while presenter.moves_to(slide + 1).await > 0 {
        slide += 1;
        assert!(Instant::now() < deadline, "followers who left are still counted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "{room} followers: joined in {joined:.2?}, all {CHANGES} changes to each by {delivered:.2?}; with \
         them the server had {files} files open and {memory} kB resident"
    );
}
