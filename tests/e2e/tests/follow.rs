//! Follow mode with two browsers, as two devices in a room: the presenter drives with the token
//! the server printed, the follower tracks slides and panel results (without calling the Lambda
//! itself), may browse away and come back, and can drive nothing.
use std::time::Duration;

use anyhow::{ensure, Result};
use deck_e2e::{keys, Browser, Server};

const LOAD: Duration = Duration::from_secs(15);
const SYNC: Duration = Duration::from_secs(5);

const STATUS: &str = "document.querySelector('[data-testid=follow-status]')?.textContent ?? ''";
const FN_CALLS: &str =
    "return performance.getEntriesByType('resource').filter(e => new URL(e.name).pathname.startsWith('/fn/')).length";

fn at(slide: u64) -> String {
    format!("location.hash === '#/{slide}' && document.querySelector(\"section.slide[data-slide='{slide}']:not([hidden])\")")
}

#[tokio::test]
async fn followers_track_the_presenter_and_only_the_presenter_drives() -> Result<()> {
    let server = Server::start_with(&["--follow", "on"]).await?;
    let token = server.presenter_token()?;
    ensure!(
        server.startup_log.iter().any(|line| line.contains(&format!("{}/follow", server.url))),
        "the follow address is printed: {:?}",
        server.startup_log
    );
    let presenter = Browser::start().await?;
    presenter.open(&format!("{}/?token={token}#/2", server.url)).await?;
    presenter.wait_for(&at(2), LOAD).await?;
    let audience = presenter.client.window().await?;
    // The token leaves the address bar (a projector shows it) but stays with the tab.
    presenter.wait_for("location.search === ''", SYNC).await?;

    let follower = Browser::start().await?;
    follower.open(&format!("{}/follow", server.url)).await?;
    follower.wait_for(&at(2), LOAD).await?;
    follower.wait_for(&format!("{STATUS} === 'Following the presenter'"), SYNC).await?;

    presenter.press(keys::RIGHT).await?;
    follower.wait_for(&at(3), SYNC).await?;

    // The follower may browse alone; nothing of it reaches the presenter.
    follower.press(keys::RIGHT).await?;
    follower.wait_for(&at(4), SYNC).await?;
    follower.wait_for(&format!("{STATUS} === 'The presenter is on slide 3'"), SYNC).await?;
    follower.screenshot("follow-away").await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    ensure!(presenter.js("return location.hash").await? == "#/3", "a follower moved the presenter");
    follower.js("document.querySelector('[data-action=follow-back]').click()").await?;
    follower.wait_for(&at(3), SYNC).await?;
    follower.wait_for(&format!("{STATUS} === 'Following the presenter'"), SYNC).await?;

    // Nor can a follower drive through the server: it has no token.
    let refused = follower
        .client
        .execute_async(
            "const done = arguments[0];
             fetch('/api/follow', {method: 'POST', body: JSON.stringify({type: 'state', values: [['deck:position', {slide: 0, step: 0}]]})})
               .then(r => done(r.status), e => done(String(e)));",
            vec![],
        )
        .await?;
    ensure!(refused == 401, "a follower's POST got {refused}");

    // A panel result reaches the follower, which does not call the Lambda itself.
    let invoke = presenter.first_slide_with("[data-panel=invoke]").await?;
    presenter.go_to(invoke).await?;
    follower.wait_for(&at(invoke), SYNC).await?;
    let panel = format!("section.slide[data-slide='{invoke}'] [data-panel=invoke]");
    presenter
        .js(&format!(
            "const n = document.querySelector(\"{panel} input[name=name]\"); n.focus(); n.select();"
        ))
        .await?;
    presenter.type_keys("Room 101").await?;
    presenter.js(&format!("document.querySelector(\"{panel} [data-testid=invoke]\").click()")).await?;
    let response = format!("document.querySelector(\"{panel} [data-testid=response]\")?.textContent ?? ''");
    presenter.wait_for(&format!("({response}).includes('Room 101')"), LOAD).await?;
    let shown = presenter.js(&format!("return {response}")).await?;
    follower.wait_for(&format!("({response}) === {shown}"), SYNC).await?;
    follower
        .wait_for(&format!("document.querySelector(\"{panel} input[name=name]\").value === 'Room 101'"), SYNC)
        .await?;
    ensure!(follower.js(FN_CALLS).await? == 0, "the follower called the Lambda itself");
    follower.screenshot("follow-panel").await?;

    // `j` shows the room where to go, as text and as a QR code.
    presenter.press("j").await?;
    presenter.wait_for("document.querySelector('[data-testid=join-url]')", SYNC).await?;
    let url = presenter.text("[data-testid=join-url]").await?;
    ensure!(url == format!("{}/follow", server.url), "join address {url}");
    presenter.wait_for("document.querySelector('.join-qr')?.naturalWidth > 200", SYNC).await?;
    ensure!(presenter.text("dialog[open] .join-note").await?.ends_with("1 device follows."));
    presenter.screenshot("follow-join").await?;
    presenter.press(keys::ESCAPE).await?;

    // A device that joins late (or reloads) is in step at once, panel included.
    follower.client.goto("about:blank").await?;
    follower.open(&format!("{}/follow", server.url)).await?;
    follower.wait_for(&at(invoke), LOAD).await?;
    follower.wait_for(&format!("({response}) === {shown}"), SYNC).await?;

    // The speaker view says how many follow.
    presenter.open_window(&format!("{}/?presenter", server.url), 1280, 800).await?;
    presenter.wait_for("document.querySelector('.presenter-count')", LOAD).await?;
    presenter
        .wait_for("document.querySelector('[data-testid=follow-lead]')?.textContent === 'Follow mode: 1 device follows'", SYNC)
        .await?;
    presenter.screenshot("follow-speaker-view").await?;
    // A device joining while the presenter stands still is counted within seconds; the page the
    // follower left above (kept in the back/forward cache) no longer counts.
    let second = Browser::start().await?;
    second.open(&format!("{}/follow", server.url)).await?;
    second.wait_for(&at(invoke), LOAD).await?;
    presenter
        .wait_for(
            "document.querySelector('[data-testid=follow-lead]')?.textContent === 'Follow mode: 2 devices follow'",
            Duration::from_secs(25),
        )
        .await?;
    second.close().await?;

    // Back from another page, out of the back/forward cache, the follower follows again.
    follower.js("window.keptInCache = true").await?;
    follower.client.goto("about:blank").await?;
    follower.client.back().await?;
    follower.wait_for("window.keptInCache === true", LOAD).await?;
    presenter.switch_to(&audience).await?;
    presenter.press(keys::RIGHT).await?;
    follower.wait_for(&at(invoke + 1), SYNC).await?;
    follower.wait_for(&format!("{STATUS} === 'Following the presenter'"), SYNC).await?;
    follower.close().await?;
    presenter.close().await
}

#[tokio::test]
async fn a_wrong_token_is_refused_and_said_so() -> Result<()> {
    let server = Server::start_with(&["--follow", "on"]).await?;
    let presenter = Browser::start().await?;
    presenter.open(&format!("{}/?token=not-the-token#/2", server.url)).await?;
    presenter.wait_for(&at(2), LOAD).await?;
    presenter
        .wait_for("(document.querySelector('.notice.shown')?.textContent ?? '').includes('refused the presenter token')", SYNC)
        .await?;
    // Forgotten, so a reload does not try it again.
    let stored = presenter.js("return sessionStorage.getItem('serverless-deck.token')").await?;
    ensure!(stored.is_null(), "the refused token is still stored: {stored}");
    presenter.close().await
}

#[tokio::test]
async fn follow_says_when_the_server_has_no_follow_mode() -> Result<()> {
    let server = Server::start().await?;
    let follower = Browser::start().await?;
    follower.open(&format!("{}/follow", server.url)).await?;
    follower.wait_for(&at(1), LOAD).await?;
    follower.wait_for(&format!("({STATUS}).includes('no follow mode')"), SYNC).await?;
    follower.press("j").await?;
    follower.wait_for("(document.querySelector('dialog[open] [role=alert]')?.textContent ?? '').includes('--addr 0.0.0.0:8080')", SYNC).await?;
    follower.press(keys::ESCAPE).await?;
    // Still a deck to browse.
    follower.press(keys::RIGHT).await?;
    follower.wait_for(&at(2), SYNC).await?;
    follower.close().await
}

#[tokio::test]
async fn a_phone_follows_in_read_mode_scrolled_to_the_presenters_slide() -> Result<()> {
    let server = Server::start_with(&["--follow", "on"]).await?;
    let token = server.presenter_token()?;
    let presenter = Browser::start().await?;
    presenter.open(&format!("{}/?token={token}#/1", server.url)).await?;
    presenter.wait_for(&at(1), LOAD).await?;
    let phone = Browser::start_sized(390, 844).await?;
    phone.open(&format!("{}/follow", server.url)).await?;
    phone.wait_for("document.querySelector('main.deck.read')", LOAD).await?;
    phone.wait_for(&format!("{STATUS} === 'Following the presenter'"), SYNC).await?;

    presenter.go_to(12).await?;
    // At the top of the screen, below the page's margin.
    let slide_on_top =
        "(t => t >= 0 && t < 40)(document.querySelector(\"section.slide[data-slide='12']\").getBoundingClientRect().top)";
    phone.wait_for(&format!("location.hash === '#/12' && {slide_on_top}"), SYNC).await?;
    phone.screenshot("follow-phone").await?;
    phone.close().await?;
    presenter.close().await
}
