//! `--slides DIR`: the presenter's markdown, compiled when the server starts and again on every
//! save, written into the built site's shells; open pages hear of each version on
//! `/api/deck/events`; a broken save keeps the last good deck served and says `file:line`; bad
//! folders stop the start with exit code 2.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use deck_core::live::DeckStatus;
use deck_core::page::{Shells, SHELLS_FILE};
use deck_core::routes::DECK_EVENTS_ROUTE;
use support::{client, header, Server};

const SHELL: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head><!--deck:head--><script type=\"module\" src=\"deck-app.js\"></script></head>\n<body><!--deck:body--></body></html>\n";
const DOT: &str =
    r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2"><circle cx="1" cy="1" r="1"/></svg>"#;

/// A built site with its shells and a stylesheet in `assets/`, under `dir`.
fn dist(dir: &Path) -> PathBuf {
    let dist = dir.join("dist");
    std::fs::create_dir_all(dist.join("assets")).unwrap();
    std::fs::write(dist.join(SHELLS_FILE), serde_json::to_string(&Shells::all(SHELL)).unwrap()).unwrap();
    std::fs::write(dist.join("index.html"), "<!doctype html><title>The built-in talk</title>").unwrap();
    std::fs::write(dist.join("assets/deck.css"), "body { margin: 0 }").unwrap();
    dist
}

fn talk(first: &str, second: &str) -> String {
    format!(
        "---\ntitle: Live talk\n---\n\n# {first}\n\n---\n\n## {second}\n\n![A dot](assets/dot.svg)\n\n```panel cost\nrequests = 5\n```\n"
    )
}

/// A folder of slides with an image, and the server presenting it.
fn live_server() -> (Server, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let dist = dist(dir.path());
    let slides = dir.path().join("talk");
    std::fs::create_dir_all(slides.join("assets")).unwrap();
    std::fs::write(slides.join("assets/dot.svg"), DOT).unwrap();
    std::fs::write(slides.join("01-talk.md"), talk("Hello live", "First words")).unwrap();
    let args = [
        "--no-functions".as_ref(),
        "--dist".as_ref(),
        dist.as_os_str(),
        "--slides".as_ref(),
        slides.as_os_str(),
    ];
    (Server::launch(dir, &args), slides)
}

/// The deck events as they come: one status per `data:` line.
struct Statuses(reqwest::Response, String);

impl Statuses {
    async fn open(server: &Server) -> Statuses {
        let response = client().get(server.url(DECK_EVENTS_ROUTE)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(header(response.headers(), "content-type"), "text/event-stream");
        Statuses(response, String::new())
    }

    async fn next(&mut self) -> DeckStatus {
        loop {
            if let Some(end) = self.1.find("\n\n") {
                let event: String = self.1.drain(..end + 2).collect();
                if let Some(data) = event.lines().find_map(|line| line.strip_prefix("data: ")) {
                    return serde_json::from_str(data).unwrap();
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.0.chunk()).await;
            let chunk = chunk.expect("a deck event within 10 s").unwrap().expect("the stream stays open");
            self.1.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}

async fn get(server: &Server, path: &str) -> (u16, String) {
    let response = client().get(server.url(path)).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_folder_is_presented_and_every_save_is_a_new_version_or_its_errors() {
    let (server, slides) = live_server();
    assert!(server.log().iter().any(|line| line.contains("2 slides of “Live talk”")), "{:#?}", server.log());
    let (status, index) = get(&server, "/").await;
    assert_eq!(status, 200);
    assert!(index.contains("<title>Live talk</title>") && index.contains("<h1>Hello live</h1>"), "{index}");
    assert!(index.contains(r#"<meta name="deck-live" content="1" />"#), "{index}");
    assert!(index.contains(r#"<script type="module" src="deck-app.js">"#), "the built app is kept");
    assert!(!index.contains("The built-in talk"));
    let (status, embed) = get(&server, "/embed/cost/").await;
    assert!(status == 200 && embed.contains("What a month costs — Live talk"), "{embed}");
    assert_eq!(get(&server, "/embed/nope").await.0, 404);
    // The folder's images, then the built site's assets.
    assert_eq!(get(&server, "/assets/dot.svg").await, (200, DOT.to_owned()));
    assert_eq!(get(&server, "/assets/deck.css").await, (200, "body { margin: 0 }".to_owned()));
    assert_eq!(get(&server, "/assets/../01-talk.md").await.0, 404);

    let mut statuses = Statuses::open(&server).await;
    assert_eq!(statuses.next().await, DeckStatus { version: 1, errors: vec![] });

    std::fs::write(slides.join("01-talk.md"), talk("Hello again", "First words")).unwrap();
    assert_eq!(statuses.next().await, DeckStatus { version: 2, errors: vec![] });
    let index = get(&server, "/").await.1;
    assert!(index.contains("<h1>Hello again</h1>") && index.contains(r#"content="2""#), "{index}");

    // A broken save: the same version, its errors, and the last good deck still served.
    let broken = talk("Hello again", "First words").replace("panel cost", "panel nope");
    std::fs::write(slides.join("01-talk.md"), broken).unwrap();
    let status = statuses.next().await;
    assert_eq!(status.version, 2);
    assert_eq!(status.errors.len(), 1, "{status:?}");
    let error = &status.errors[0];
    assert!(error.contains("01-talk.md:13: ") && error.contains("nope"), "{error}");
    assert!(get(&server, "/").await.1.contains("<h1>Hello again</h1>"));
    server.wait_for_log("naming the error", |line| line.contains("01-talk.md:13: ")).await;
    server
        .wait_for_log("saying the last good deck stays", |line| line.contains("the last good deck stays up"))
        .await;

    // A new file (still broken: the same version), then the fix: both in the next version.
    std::fs::write(slides.join("02-more.md"), "## One more\n").unwrap();
    std::fs::write(slides.join("01-talk.md"), talk("Fixed", "First words")).unwrap();
    let mut status = statuses.next().await;
    while status.version == 2 {
        status = statuses.next().await;
    }
    assert!(status.errors.is_empty(), "{status:?}");
    let index = get(&server, "/").await.1;
    assert!(index.contains("<h1>Fixed</h1>") && index.contains("<h2>One more</h2>"), "{index}");
}

/// Runs the server on `slides` until it exits; its exit code and what it printed.
fn run_on(slides: &Path) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let dist = dist(dir.path());
    let output = Command::new(env!("CARGO_BIN_EXE_serverless-deck"))
        .args(["--addr", "127.0.0.1:0", "--no-functions", "--dist"])
        .arg(&dist)
        .arg("--slides")
        .arg(slides)
        .output()
        .unwrap();
    let said =
        String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    (output.status.code(), said)
}

#[test]
fn a_missing_empty_or_broken_folder_stops_the_start_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere");
    let (code, said) = run_on(&missing);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains(&format!("--slides {}: no such folder", missing.display())), "{said}");

    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (code, said) = run_on(&empty);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("no slides: the folder has no .md files"), "{said}");

    let broken = dir.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(broken.join("01.md"), "# Hi\n\n```panel cost\nrequests = many\n```\n").unwrap();
    let (code, said) = run_on(&broken);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("01.md:4: panel parameter") && said.contains("1 error(s)"), "{said}");
    assert!(!said.contains("listening on"), "{said}");
}

#[tokio::test]
async fn new_writes_a_starter_talk_that_presents_and_refuses_a_folder_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let talk = dir.path().join("my-talk");
    let new = || Command::new(env!("CARGO_BIN_EXE_serverless-deck")).arg("new").arg(&talk).output().unwrap();
    let written = new();
    let said = String::from_utf8_lossy(&written.stdout).into_owned();
    assert!(written.status.success(), "{said}{}", String::from_utf8_lossy(&written.stderr));
    assert!(said.contains(&format!("serverless-deck --slides {}", talk.display())), "{said}");
    assert!(talk.join("talk.md").is_file() && talk.join("assets").is_dir());

    // A second time: the folder is in use, nothing is overwritten.
    std::fs::write(talk.join("talk.md"), "# Mine\n").unwrap();
    let again = new();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    assert_eq!(std::fs::read_to_string(talk.join("talk.md")).unwrap(), "# Mine\n");

    // The starter as written presents: one slide per panel kind, after the title.
    let fresh = dir.path().join("fresh");
    let status = Command::new(env!("CARGO_BIN_EXE_serverless-deck")).arg("new").arg(&fresh).status().unwrap();
    assert!(status.success());
    let dist = dist(dir.path());
    let args = [
        "--no-functions".as_ref(),
        "--dist".as_ref(),
        dist.as_os_str(),
        "--slides".as_ref(),
        fresh.as_os_str(),
    ];
    let server = Server::launch(tempfile::tempdir().unwrap(), &args);
    let index = get(&server, "/").await.1;
    assert_eq!(index.matches("<section").count(), 1 + deck_core::PanelKind::ALL.len(), "{index}");
    for kind in deck_core::PanelKind::ALL {
        assert!(index.contains(&format!("data-panel=\"{}\"", kind.name())), "{kind:?}");
    }
    let image = client().get(server.url("/assets/upload.svg")).send().await.unwrap();
    assert_eq!(image.status(), 200);
}
