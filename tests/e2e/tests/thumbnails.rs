//! The talk's event-driven demo in the browser: a photo uploaded from the thumbnails panel into
//! the local S3 API triggers the real thumbnail function, and the panel shows its three
//! thumbnails (decoded by the browser), cold then warm; a follower sees them without uploading;
//! bad files say what is wrong in place.
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use deck_e2e::{Browser, Server};
use fantoccini::Locator;

const LOAD: Duration = Duration::from_secs(15);
const SYNC: Duration = Duration::from_secs(5);
/// An upload through to its thumbnails, including a cold start of the function's process.
const UPLOAD: Duration = Duration::from_secs(30);

/// How many requests this page made that upload (a ticket, or a `PUT` under `uploads/`).
const UPLOAD_REQUESTS: &str = "return performance.getEntriesByType('resource')
    .filter(e => { const p = new URL(e.name).pathname;
                   return p.startsWith('/api/uploads/') || p.startsWith('/deck-photos/uploads/'); }).length";

/// The panel's thumbnails, once all three are decoded: their natural widths.
fn decoded_widths(panel: &str) -> String {
    format!(
        "(() => {{ const imgs = [...document.querySelectorAll(\"{panel} [data-testid=thumbnails] img\")];
                   return imgs.length === 3 && imgs.every(i => i.complete && i.naturalWidth > 0)
                       ? imgs.map(i => i.naturalWidth + 'x' + i.naturalHeight).join(' ') : null; }})()"
    )
}

fn at(slide: u64) -> String {
    format!("location.hash === '#/{slide}' && document.querySelector(\"section.slide[data-slide='{slide}']:not([hidden])\")")
}

async fn step_states(browser: &Browser, panel: &str) -> Result<serde_json::Value> {
    browser
        .js(&format!(
            "return [...document.querySelectorAll(\"{panel} [data-testid=steps] li\")].map(li => li.dataset.state)"
        ))
        .await
}

#[tokio::test]
async fn a_sample_photo_becomes_three_thumbnails_cold_then_warm_and_followers_see_them() -> Result<()> {
    let server = Server::start_with(&["--follow", "on"]).await?;
    let token = server.presenter_token()?;
    let presenter = Browser::start().await?;
    presenter.open(&format!("{}/?token={token}#/1", server.url)).await?;
    let slide = presenter.first_slide_with("[data-panel=thumbnails]").await?;
    presenter.go_to(slide).await?;
    let follower = Browser::start().await?;
    follower.open(&format!("{}/follow", server.url)).await?;
    follower.wait_for(&at(slide), LOAD).await?;

    let panel = format!("section.slide[data-slide='{slide}'] [data-panel=thumbnails]");
    presenter.wait_for(&format!("document.querySelector(\"{panel} [data-action=sample-0]\")"), LOAD).await?;
    ensure!(presenter.text(&format!("{panel} [data-testid=endpoint]")).await? == "S3: local");
    presenter.js(&format!("document.querySelector(\"{panel} [data-action=sample-0]\").click()")).await?;
    presenter.wait_for(&decoded_widths(&panel), UPLOAD).await?;
    let widths = presenter.js(&format!("return {}", decoded_widths(&panel))).await?;
    ensure!(widths == "160x90 480x270 1080x608", "thumbnails of {widths}");
    ensure!(
        step_states(&presenter, &panel).await? == serde_json::json!(["done", "done", "done", "done"]),
        "every step done"
    );
    let summary = presenter.text(&format!("{panel} [data-testid=summary]")).await?;
    ensure!(
        summary.starts_with("1920 × 1080 px") && summary.contains("→ 3 thumbnails in"),
        "summary: {summary}"
    );
    ensure!(
        presenter.text(&format!("{panel} [data-testid=steps] [data-testid=start]")).await? == "cold start"
    );
    let event = presenter
        .js(&format!("return document.querySelector(\"{panel} [data-testid=s3-event]\").textContent"))
        .await?;
    let event = event.as_str().context("the S3 event as text")?;
    ensure!(event.contains("ObjectCreated:Put") && event.contains("deck-photos"), "event: {event}");
    presenter.screenshot("thumbnails-cold").await?;

    // The follower shows the same pictures, decoded, and uploaded nothing itself.
    follower.wait_for(&format!("{} === {widths}", decoded_widths(&panel)), SYNC).await?;
    ensure!(follower.js(UPLOAD_REQUESTS).await? == 0, "the follower uploaded");
    follower.screenshot("thumbnails-follower").await?;

    // A second upload finds the function's instance warm.
    presenter.js(&format!("document.querySelector(\"{panel} [data-action=sample-1]\").click()")).await?;
    let warm = format!(
        "document.querySelector(\"{panel} [data-testid=steps] [data-testid=start]\")?.textContent === 'warm' && {}",
        decoded_widths(&panel)
    );
    presenter.wait_for(&warm, UPLOAD).await?;
    ensure!(presenter.js(UPLOAD_REQUESTS).await? == 4, "two tickets and two PUTs");
    follower.wait_for(&warm, SYNC).await?;
    presenter.screenshot("thumbnails-warm").await?;
    follower.close().await?;
    presenter.close().await
}

#[tokio::test]
async fn bad_files_say_what_is_wrong_in_place_and_the_embed_uploads_alone() -> Result<()> {
    let server = Server::start().await?;
    let files = tempfile::tempdir()?;
    let text = files.path().join("notes.txt");
    std::fs::write(&text, "not a photo")?;
    // Half a JPEG: the browser types it by its name, the function finds it cut short.
    let sample = std::fs::read("assets/samples/lake-at-sunset.jpg")
        .or_else(|_| std::fs::read("../../assets/samples/lake-at-sunset.jpg"))?;
    let broken = files.path().join("broken.jpg");
    std::fs::write(&broken, &sample[..sample.len() / 2])?;

    let browser = Browser::start().await?;
    browser.open(&format!("{}/embed/thumbnails/", server.url)).await?;
    let panel = "[data-panel=thumbnails]";
    let input = browser.client.wait().at_most(LOAD).for_element(Locator::Css("[data-testid=file]")).await?;
    input.send_keys(&text.display().to_string()).await?;
    let failure = format!("document.querySelector(\"{panel} .call-failure\")?.textContent ?? ''");
    browser.wait_for(&format!("({failure}).includes('is not an image')"), LOAD).await?;
    ensure!(step_states(&browser, panel).await?[0] == "failed", "the ticket step failed");

    let input = browser.client.find(Locator::Css("[data-testid=file]")).await?;
    input.send_keys(&broken.display().to_string()).await?;
    // The upload is accepted; the function fails, says why, and Lambda will retry it.
    let errors =
        format!("document.querySelector(\"{panel} [data-testid=attempt-errors]\")?.textContent ?? ''");
    browser.wait_for(&format!("({errors}).includes('cut short')"), UPLOAD).await?;
    let states = step_states(&browser, panel).await?;
    ensure!(states == serde_json::json!(["done", "done", "active", "pending"]), "steps {states}");
    let function = browser.text(&format!("{panel} [data-testid=steps] li:nth-child(3)")).await?;
    ensure!(function.contains("attempt 1 of 3 failed"), "function step: {function}");
    browser.screenshot("thumbnails-retrying").await?;

    // The embed page reaches its sample photos and the local bucket on its own.
    browser.open(&format!("{}/embed/thumbnails/", server.url)).await?;
    browser.wait_for(&format!("document.querySelector(\"{panel} [data-action=sample-1]\")"), LOAD).await?;
    browser.js(&format!("document.querySelector(\"{panel} [data-action=sample-1]\").click()")).await?;
    browser.wait_for(&decoded_widths(panel), UPLOAD).await?;
    browser.screenshot("thumbnails-embed").await?;
    browser.close().await
}
