//! Follow mode through a real server: the presenter drives with the token, followers get
//! everything at once and then each change, and nobody else can drive.

mod support;

use std::time::Duration;

use serde_json::{json, Map, Value};
use support::{client, collect_events, json, RawFollower, Server};

fn start(follow: &str) -> Server {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dist = dir.path().join("dist");
    Server::launch(
        dir,
        &[
            "--no-functions".as_ref(),
            "--dist".as_ref(),
            dist.as_os_str(),
            "--follow".as_ref(),
            follow.as_ref(),
            // The name a tunnel or proxy gives the room (see the join test).
            "--allow-host".as_ref(),
            "deck.example.test".as_ref(),
        ],
    )
}

fn token(server: &Server) -> String {
    let line =
        server.log().into_iter().find(|line| line.starts_with("presenter token: ")).expect("a token line");
    line["presenter token: ".len()..].split_whitespace().next().unwrap().to_owned()
}

async fn present(server: &Server, token: Option<&str>, body: &str) -> (reqwest::StatusCode, Value) {
    let mut request = client().post(server.url("/api/follow")).body(body.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let (status, _, body) = json(request.send().await.unwrap()).await;
    (status, body)
}

fn position(slide: u64) -> String {
    json!({"type": "state", "values": [["deck:position", {"slide": slide, "step": 0}]]}).to_string()
}

#[tokio::test]
async fn the_presenter_drives_and_followers_follow() {
    let server = start("on");
    let token = token(&server);
    assert!(server
        .log()
        .iter()
        .any(|line| line.starts_with("follow mode: the room opens ") && line.ends_with("/follow")));

    let (status, reply) = present(&server, Some(&token), &position(4)).await;
    assert_eq!((status.as_u16(), reply), (200, json!({"followers": 0})));

    // A follower joining late gets the state at once, then each change in order.
    let stream = client().get(server.url("/api/follow/events")).send().await.unwrap();
    assert_eq!(support::header(stream.headers(), "content-type"), "text/event-stream");
    let (_, reply) = present(&server, Some(&token), &position(5)).await;
    assert_eq!(reply, json!({"followers": 1}));
    present(&server, Some(&token), &position(6)).await;
    let events = collect_events(stream, |events| events.len() == 3).await;
    let slides: Vec<&Value> = events.iter().map(|event| &event["values"][0][1]["slide"]).collect();
    assert_eq!(slides, [&json!(4), &json!(5), &json!(6)]);
    assert!(events.iter().all(|event| event["type"] == "state"));

    // A reloaded presenter page says hello and catches up.
    let (status, reply) = present(&server, Some(&token), r#"{"type":"hello"}"#).await;
    assert_eq!(status, 200);
    assert_eq!(reply["values"], json!([["deck:position", {"slide": 6, "step": 0}]]));
}

#[tokio::test]
async fn only_the_token_drives() {
    let server = start("on");
    let token = token(&server);
    for wrong in [None, Some("wrong"), Some(&token[1..])] {
        let (status, body) = present(&server, wrong, &position(9)).await;
        assert_eq!(status, 401, "{wrong:?}");
        assert!(body["message"].as_str().unwrap().contains("presenter token"), "{body}");
    }
    let (_, reply) = present(&server, Some(&token), r#"{"type":"hello"}"#).await;
    assert_eq!(reply, json!({"followers": 0}), "nothing was recorded");
    // Also as `?token=`, the way the deck's own recycle calls send it.
    let response = client().post(server.url(&format!("/api/follow?token={token}"))).body(position(1)).send();
    assert_eq!(response.await.unwrap().status(), 200);
}

#[tokio::test]
async fn bad_messages_are_refused_with_a_reason() {
    let server = start("on");
    let token = token(&server);
    for (body, expected) in [
        ("not json", "not a follow message"),
        (r#"{"type":"drive"}"#, "unknown variant"),
        (r#"{"type":"state","values":{"a":1}}"#, "not a follow message"),
    ] {
        let (status, reply) = present(&server, Some(&token), body).await;
        assert_eq!(status, 400, "{body}");
        assert!(reply["message"].as_str().unwrap().contains(expected), "{body}: {reply}");
    }
    let huge = json!({"type": "state", "values": [["k", "x".repeat(2 << 20)]]}).to_string();
    let response =
        client().post(server.url("/api/follow")).bearer_auth(&token).body(huge).send().await.unwrap();
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn follow_mode_is_off_on_loopback_unless_asked_for() {
    let server = start("auto");
    assert!(!server.log().iter().any(|line| line.contains("token") || line.starts_with("follow mode")));
    for path in ["/api/follow/events", "/api/follow/join", "/api/follow/join.svg"] {
        assert_eq!(client().get(server.url(path)).send().await.unwrap().status(), 404, "{path}");
    }
    let status = client().post(server.url("/api/follow")).body(position(1)).send().await.unwrap().status();
    assert!(status == 404 || status == 405, "{status}");
}

#[tokio::test]
async fn the_join_address_is_served_as_text_and_as_a_qr_code() {
    let server = start("on");
    let (status, _, join) = json(client().get(server.url("/api/follow/join")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(join, json!({"url": server.url("/follow"), "followers": 0}));
    // Reached by a name the room can use (a tunnel's, allowed with --allow-host), that name is
    // the one to show.
    let via_tunnel =
        client().get(server.url("/api/follow/join")).header("host", "deck.example.test:8080").send();
    let (_, _, join) = json(via_tunnel.await.unwrap()).await;
    assert_eq!(join["url"], "http://deck.example.test:8080/follow");

    let qr = client().get(server.url("/api/follow/join.svg")).send().await.unwrap();
    assert_eq!(support::header(qr.headers(), "content-type"), "image/svg+xml");
    let svg = qr.text().await.unwrap();
    assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
    let other =
        client().get(server.url("/api/follow/join.svg")).header("host", "deck.example.test:8080").send();
    assert_ne!(other.await.unwrap().text().await.unwrap(), svg, "the code follows the address");
}

/// The open files a test server gets, its hard limit too, and the followers that leaves room
/// for (the server keeps a quarter of a limit this small for everything else).
const OPEN_FILES: u64 = 256;
const ROOM: usize = 192;

/// Out of open files, the server says so in its log, and answers again once some are freed.
#[test]
fn running_out_of_open_files_is_said_and_the_server_recovers() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    let server = Server::launch_with_open_files(
        dir,
        &["--no-functions".as_ref(), "--dist".as_ref(), dist.as_os_str()],
        64,
    );
    let address = server.base.trim_start_matches("http://").to_owned();
    // Idle connections, more than the server has files for.
    let held: Vec<_> = (0..100).map(|_| std::net::TcpStream::connect(&address).unwrap()).collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !server.log().iter().any(|line| line.starts_with("cannot accept a connection (")) {
        assert!(std::time::Instant::now() < deadline, "nothing said: {:#?}", server.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    let said = server.log().into_iter().find(|line| line.starts_with("cannot accept")).unwrap();
    assert!(said.contains("raise the open-file limit"), "{said}");
    drop(held);
    let mut answer = String::new();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(b"GET /api/functions HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"), "{answer}");
    let mentions = server.log().iter().filter(|line| line.starts_with("cannot accept")).count();
    assert_eq!(mentions, 1, "said once, not at every retry");
}

#[tokio::test]
async fn a_full_room_turns_followers_away_and_the_presenter_keeps_control() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dist = dir.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<!doctype html><title>deck</title>").unwrap();
    let args =
        ["--no-functions".as_ref(), "--dist".as_ref(), dist.as_os_str(), "--follow".as_ref(), "on".as_ref()];
    let server = Server::launch_with_open_files(dir, &args, OPEN_FILES);
    assert!(server.log().contains(&format!("open files: {OPEN_FILES}")), "{:#?}", server.log());
    let token = token(&server);

    let mut followers = Vec::new();
    for _ in 0..ROOM {
        let mut follower = RawFollower::connect(&server, None).await;
        assert_eq!(follower.head().await.0, 200);
        follower.next_event().await;
        followers.push(follower);
    }
    // The next ones are turned away with a reason to show, while the presenter and the deck are
    // answered as ever.
    for slide in 0..40 {
        let refused = client().get(server.url("/api/follow/events")).send().await.unwrap();
        assert_eq!(support::header(refused.headers(), "retry-after"), "30");
        let (status, _, body) = json(refused).await;
        assert_eq!(status, 503);
        assert!(
            body["message"].as_str().unwrap().starts_with("The room is full: 192 devices follow"),
            "{body}"
        );

        let (status, reply) = present(&server, Some(&token), &position(slide)).await;
        assert_eq!((status.as_u16(), reply), (200, json!({"followers": ROOM})));
        assert_eq!(client().get(server.url("/")).send().await.unwrap().status(), 200);
        assert_eq!(client().get(server.url("/api/follow/join")).send().await.unwrap().status(), 200);
    }
    let full = |line: &str| line.starts_with("follow mode: the room is full (192 devices follow");
    server.wait_for_log("saying the room is full", full).await;
    assert_eq!(server.log().iter().filter(|line| full(line)).count(), 1, "said once");
    for follower in &mut followers {
        let mut last = json!(null);
        while last != json!(39) {
            last = follower.next_event().await["values"][0][1]["slide"].clone();
        }
    }

    // One leaves (noticed at the next change it is sent), and its seat goes to the next comer.
    drop(followers.pop());
    present(&server, Some(&token), &position(40)).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut follower = RawFollower::connect(&server, None).await;
        if follower.head().await.0 == 200 {
            let caught_up = follower.next_event().await;
            assert_eq!(caught_up["values"][0][1]["slide"], 40);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the seat of the follower who left stayed taken");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_follower_that_stops_reading_ends_with_the_latest_value_of_every_key() {
    const CHANGES: usize = 800;
    let server = start("on");
    let token = token(&server);
    // A small receive buffer: the server soon has nowhere to put what it sends.
    let mut stalled = RawFollower::connect(&server, Some(4096)).await;
    assert_eq!(stalled.head().await.0, 200);
    stalled.next_event().await;

    // While it reads nothing, the presenter moves on with panels' results of some size, and sets
    // one key once, midway.
    let result = "r".repeat(32 * 1024);
    for change in 0..CHANGES {
        let mut values = vec![
            json!(["deck:position", {"slide": change, "step": 0}]),
            json!([format!("panel:{}-1:result", change % 7), {"call": change, "body": result}]),
        ];
        if change == CHANGES / 2 {
            values.push(json!(["panel:9-1:name", "set once, meanwhile"]));
        }
        let message = json!({"type": "state", "values": values}).to_string();
        let (status, _) = present(&server, Some(&token), &message).await;
        assert_eq!(status, 200);
    }
    let (_, everything) = present(&server, Some(&token), r#"{"type":"hello"}"#).await;
    let expected: Map<String, Value> =
        serde_json::from_value::<Vec<(String, Value)>>(everything["values"].clone())
            .unwrap()
            .into_iter()
            .collect();

    // Reading again, it catches up with every key's latest value.
    let (mut seen, mut messages, mut changes) = (Map::new(), 0, 0);
    while seen != expected {
        let event = stalled.next_event().await;
        let values: Vec<(String, Value)> = serde_json::from_value(event["values"].clone()).unwrap();
        messages += 1;
        changes += values.iter().filter(|(key, _)| key == "deck:position").count();
        seen.extend(values);
    }
    println!(
        "the stalled follower caught up in {messages} messages, carrying {changes} of {CHANGES} positions"
    );
    assert!(changes < CHANGES, "it did fall behind, so the catching up was tested");
}
