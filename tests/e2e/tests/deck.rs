//! The deck as a user meets it: served, loaded in Chromium, driven by real keys and the URL.
use std::time::Duration;

use anyhow::Result;
use deck_e2e::{keys, Browser, Server};

const LOAD: Duration = Duration::from_secs(15);

/// The visible slide's heading text.
const CURRENT_TITLE: &str = "document.querySelector('section.slide:not([hidden]) :is(h1,h2)')?.textContent";

#[tokio::test]
async fn deck_loads_and_keys_walk_the_slides() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    browser.open(&format!("{}/", server.url)).await?;
    browser.wait_for("document.querySelector('section.slide:not([hidden]) h1')", LOAD).await?;

    let title = browser.js(&format!("return {CURRENT_TITLE};")).await?;
    assert_eq!(title.as_str(), Some("Going Serverless"));
    let label = browser
        .js("return document.querySelector('section.slide:not([hidden])').getAttribute('aria-label')")
        .await?;
    let total =
        browser.js("return document.querySelectorAll('section.slide').length").await?.as_u64().unwrap();
    assert_eq!(label.as_str(), Some(format!("1 of {total}").as_str()));
    assert_eq!(
        browser.js("return document.querySelectorAll('section.slide:not([hidden])').length").await?,
        1
    );
    browser.screenshot("deck-first-slide").await?;

    browser.press(keys::RIGHT).await?;
    browser.wait_for("location.hash === '#/2'", LOAD).await?;
    let live = browser.js("return document.querySelector('[aria-live]').textContent").await?;
    assert!(live.as_str().unwrap_or("").starts_with("Slide 2 of"), "{live}");

    browser.press(keys::END).await?;
    browser.wait_for(&format!("location.hash === '#/{total}'"), LOAD).await?;
    browser.press(keys::HOME).await?;
    browser.wait_for("location.hash === '#/1'", LOAD).await?;
    browser.close().await
}

#[tokio::test]
async fn hash_opens_a_slide_and_back_returns() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    browser.open(&format!("{}/#/3", server.url)).await?;
    browser.wait_for("document.querySelector('section.slide[data-slide=\"3\"]:not([hidden])')", LOAD).await?;
    let third = browser.js(&format!("return {CURRENT_TITLE};")).await?;
    browser.screenshot("deck-slide-3").await?;

    browser.press(keys::RIGHT).await?;
    browser.wait_for("location.hash === '#/4'", LOAD).await?;
    browser.client.back().await?;
    browser.wait_for("location.hash === '#/3'", LOAD).await?;
    browser.wait_for("document.querySelector('section.slide[data-slide=\"3\"]:not([hidden])')", LOAD).await?;
    assert_eq!(browser.js(&format!("return {CURRENT_TITLE};")).await?, third);
    browser.close().await
}

#[tokio::test]
async fn clicks_on_the_thirds_navigate_and_the_stage_fits_the_window() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start_sized(1000, 900).await?;
    browser.open(&format!("{}/#/2", server.url)).await?;
    browser.wait_for("document.querySelector('section.slide[data-slide=\"2\"]:not([hidden])')", LOAD).await?;
    // 16:9 stage, no scrollbars, whatever the window's shape.
    let fits = browser
        .js("const r = document.querySelector('.stage').getBoundingClientRect();
             return [Math.round(r.width / r.height * 100), document.documentElement.scrollHeight <= innerHeight,
                     document.documentElement.scrollWidth <= innerWidth];")
        .await?;
    assert_eq!(fits, serde_json::json!([178, true, true]));

    browser.js("document.querySelector('main.deck').dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: innerWidth - 20, clientY: 300}))").await?;
    browser.wait_for("location.hash === '#/3'", LOAD).await?;
    browser.js("document.querySelector('main.deck').dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: 20, clientY: 300}))").await?;
    browser.wait_for("location.hash === '#/2'", LOAD).await?;
    browser.close().await
}
