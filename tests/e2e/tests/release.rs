//! The presenter's one file (`cargo xtask release`): run from an empty folder with a fresh HOME
//! and no repository around, it unpacks the deck and its functions into its cache, serves the
//! talk, and runs the demo function as a real process; a second start uses the cache, a tampered
//! cache file is written again, and a second copy on the same port says the port is taken.
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use deck_e2e::{Browser, Server};
use tokio::process::Command;

const LOAD: Duration = Duration::from_secs(15);
const CALL: Duration = Duration::from_secs(20);

fn release_binary() -> Result<PathBuf> {
    std::env::var_os("DECK_RELEASE_BINARY")
        .map(PathBuf::from)
        .context("DECK_RELEASE_BINARY is not set: run these tests with `cargo xtask test`")
}

/// The release binary with nothing but a HOME, run in `folder`, on `addr`.
fn command(binary: &Path, home: &Path, folder: &Path, addr: &str) -> Command {
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/bin:/bin")
        .current_dir(folder)
        .args(["--addr", addr]);
    command
}

/// The line the server printed about its bundle: `(N of M files written, …)`.
fn unpack_line(server: &Server) -> Result<&str> {
    let line = server.startup_log.iter().find(|line| line.starts_with("deck and functions: "));
    line.map(String::as_str).with_context(|| format!("no bundle line in {:?}", server.startup_log))
}

#[tokio::test]
async fn the_release_binary_serves_the_talk_and_its_functions_from_an_empty_folder() -> Result<()> {
    let binary = release_binary()?;
    let home = tempfile::tempdir()?;
    let folder = tempfile::tempdir()?;
    let cache = home.path().join(".cache/serverless-deck");

    let server =
        Server::spawn(command(&binary, home.path(), folder.path(), "127.0.0.1:0"), tempfile::tempdir()?)
            .await?;
    let first = unpack_line(&server)?.to_owned();
    ensure!(first.contains(&cache.display().to_string()), "unpacked elsewhere: {first}");
    let (written, files) = counts(&first)?;
    ensure!(written == files && files > 10, "a first run writes every file: {first}");

    let browser = Browser::start().await?;
    browser.open(&format!("{}/#/1", server.url)).await?;
    let title = browser.text("section.slide[data-slide='1'] :is(h1, h2)").await?;
    ensure!(title.contains("Going Serverless"), "first slide: {title}");
    let slide = browser.first_slide_with("[data-panel=invoke]").await?;
    browser.go_to(slide).await?;
    let panel = format!("section.slide[data-slide='{slide}'] [data-panel=invoke]");
    let start = format!("document.querySelector(\"{panel} [data-testid=start]\")?.textContent");
    for expected in ["cold start", "warm"] {
        browser
            .wait_for(
                &format!("document.querySelector(\"{panel} [data-testid=invoke]:not([disabled])\")"),
                LOAD,
            )
            .await?;
        browser.js(&format!("document.querySelector(\"{panel} [data-testid=invoke]\").click()")).await?;
        browser.wait_for(&format!("{start} === '{expected}'"), CALL).await?;
    }
    browser.screenshot("release-binary").await?;
    browser.close().await?;
    // The S3 objects go to the folder it was started in; nothing else is written there.
    let left: Vec<String> = std::fs::read_dir(folder.path())?
        .map(|entry| Ok(entry?.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_>>()?;
    ensure!(left.iter().all(|name| name == "deck-data"), "the folder holds {left:?}");

    // A second copy on the same port says so, and stops.
    let port = server.url.rsplit(':').next().context("a port")?;
    let taken = command(&binary, home.path(), folder.path(), &format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .await?;
    let said = String::from_utf8_lossy(&taken.stdout).into_owned() + &String::from_utf8_lossy(&taken.stderr);
    ensure!(!taken.status.success(), "a second copy on the same port started");
    ensure!(said.contains(&format!("port {port} is taken")), "it said: {said}");
    drop(server);

    // Started again: the cache is used as it is. A tampered file is found and written again.
    let again =
        Server::spawn(command(&binary, home.path(), folder.path(), "127.0.0.1:0"), tempfile::tempdir()?)
            .await?;
    ensure!(counts(unpack_line(&again)?)? == (0, files), "{}", unpack_line(&again)?);
    drop(again);
    let cached = std::fs::read_dir(&cache)?.next().context("a cache folder")??.path();
    std::fs::write(cached.join("functions/bootstrap"), b"#!/bin/sh\necho tampered\n")?;
    let repaired =
        Server::spawn(command(&binary, home.path(), folder.path(), "127.0.0.1:0"), tempfile::tempdir()?)
            .await?;
    ensure!(counts(unpack_line(&repaired)?)? == (1, files), "{}", unpack_line(&repaired)?);
    let answer = call(&repaired.url).await?;
    ensure!(answer.contains("\"cold_start\":true"), "the rewritten function answers: {answer}");
    Ok(())
}

const DOT: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2"><circle cx="1" cy="1" r="1" fill="teal"/></svg>"#;

fn talk(second: &str) -> String {
    format!("---\ntitle: My live talk\n---\n\n# Hello from a folder\n\n---\n\n## {second}\n\n![A teal dot](assets/dot.svg)\n\n```panel invoke\n```\n")
}

/// Polls `condition` through page reloads (a script may find the page between two documents).
async fn wait_across_reload(browser: &Browser, condition: &str) -> Result<()> {
    let deadline = tokio::time::Instant::now() + LOAD;
    loop {
        if browser.js(&format!("return !!({condition});")).await.ok().and_then(|v| v.as_bool()) == Some(true)
        {
            return Ok(());
        }
        ensure!(tokio::time::Instant::now() < deadline, "timed out waiting for `{condition}`");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_release_binary_presents_a_folder_of_slides_and_follows_every_save() -> Result<()> {
    let binary = release_binary()?;
    let home = tempfile::tempdir()?;
    let folder = tempfile::tempdir()?;
    let slides = folder.path().join("my-talk");
    std::fs::create_dir_all(slides.join("assets"))?;
    std::fs::write(slides.join("assets/dot.svg"), DOT)?;
    std::fs::write(slides.join("talk.md"), talk("Second slide"))?;
    let mut serve = command(&binary, home.path(), folder.path(), "127.0.0.1:0");
    serve.args(["--slides", "my-talk"]);
    let server = Server::spawn(serve, tempfile::tempdir()?).await?;
    let compiled = server.startup_log.iter().any(|line| line.contains("2 slides of “My live talk”"));
    ensure!(compiled, "{:?}", server.startup_log);

    let browser = Browser::start().await?;
    browser.open(&format!("{}/#/2", server.url)).await?;
    let second = "section.slide[data-slide='2']";
    browser
        .wait_for(&format!("document.querySelector(\"{second} h2\")?.textContent === 'Second slide'"), LOAD)
        .await?;
    // The folder's image, and a live panel that calls the built-in function.
    browser.wait_for(&format!("document.querySelector(\"{second} img\")?.naturalWidth > 0"), LOAD).await?;
    browser
        .wait_for(
            &format!("document.querySelector(\"{second} [data-testid=endpoint]\")?.textContent === 'local'"),
            LOAD,
        )
        .await?;

    // A save reloads the page at the same slide.
    browser.js("window.beforeTheSave = true").await?;
    std::fs::write(slides.join("talk.md"), talk("Edited on stage"))?;
    wait_across_reload(
        &browser,
        &format!("!window.beforeTheSave && document.querySelector(\"{second}:not([hidden]) h2\")?.textContent === 'Edited on stage'"),
    )
    .await?;
    ensure!(browser.js("return location.hash").await?.as_str() == Some("#/2"), "the slide was kept");

    // A broken save: its file:line over the last good deck, which stays.
    browser.js("window.beforeTheBreak = true").await?;
    std::fs::write(slides.join("talk.md"), talk("Broken").replace("panel invoke", "panel nope"))?;
    browser
        .wait_for("document.querySelector('.compile-errors')?.textContent.includes('talk.md:13: ')", LOAD)
        .await?;
    let shown = browser.text(".compile-errors").await?;
    ensure!(shown.contains("nope"), "the overlay says: {shown}");
    let kept = browser
        .js(&format!("return window.beforeTheBreak && document.querySelector(\"{second} h2\").textContent"))
        .await?;
    ensure!(kept.as_str() == Some("Edited on stage"), "the last good deck stays, not reloaded: {kept}");
    browser.screenshot("live-slides-error").await?;

    // Fixed: the errors go, the new deck comes.
    std::fs::write(slides.join("talk.md"), talk("Fixed"))?;
    wait_across_reload(
        &browser,
        &format!("!document.querySelector('.compile-errors') && document.querySelector(\"{second} h2\")?.textContent === 'Fixed'"),
    )
    .await?;
    browser.close().await?;
    Ok(())
}

/// `(written, files)` of a bundle line.
fn counts(line: &str) -> Result<(u64, u64)> {
    let inside = line.rsplit_once('(').context("a count")?.1;
    let mut words = inside.split_whitespace();
    let written = words.next().context("written")?.parse()?;
    ensure!(words.next() == Some("of"), "{line}");
    let files = words.next().context("files")?.parse()?;
    Ok((written, files))
}

/// The demo function through its local Function URL, as plain HTTP.
async fn call(base: &str) -> Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = base.strip_prefix("http://").context("an http address")?;
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    let request =
        format!("GET /fn/hello/?name=release HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut answer = String::new();
    tokio::time::timeout(CALL, stream.read_to_string(&mut answer)).await??;
    Ok(answer)
}
