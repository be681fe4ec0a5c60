//! The talk in its page: readable without scripts, painted before the app starts, taken over by
//! the app without a jump, still readable when the app's code cannot load, and embed pages that
//! carry no slides.
use std::time::Duration;

use anyhow::Result;
use deck_e2e::{keys, Browser, Server};
use serde_json::json;

const LOAD: Duration = Duration::from_secs(15);

/// Every slide section and notes box the reader can see, with the slide titles in order.
const VISIBLE: &str = "
    const shown = e => getComputedStyle(e).display !== 'none' && e.getBoundingClientRect().height > 0;
    const slides = [...document.querySelectorAll('section.slide')];
    return {
        slides: slides.length,
        shown: slides.filter(shown).length,
        titles: slides.map(s => s.dataset.title || s.querySelector('h1, h2')?.textContent || ''),
        notes: [...document.querySelectorAll('aside.notes')].filter(shown).length,
        pending: [...document.querySelectorAll('.block.pending')].filter(b => getComputedStyle(b).visibility === 'hidden').length,
    };";

#[tokio::test]
async fn without_scripts_the_page_is_the_whole_talk() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    browser.cdp("Emulation.setScriptExecutionDisabled", json!({ "value": true })).await?;
    browser.client.goto(&format!("{}/", server.url)).await?;
    let seen = browser.js(VISIBLE).await?;
    let slides = seen["slides"].as_u64().unwrap_or(0);
    assert!(slides >= 40, "{seen}");
    assert_eq!(seen["shown"], slides, "every slide is shown: {seen}");
    assert_eq!(seen["pending"], 0, "nothing waits for a step: {seen}");
    assert!(seen["notes"].as_u64() > Some(30), "the notes are shown: {seen}");
    let titles: Vec<&str> = seen["titles"].as_array().unwrap().iter().filter_map(|t| t.as_str()).collect();
    assert_eq!(titles.first(), Some(&"Going Serverless"));
    assert!(titles.iter().all(|t| !t.is_empty()), "{titles:?}");
    // The titles for link previews and search results.
    assert_eq!(browser.js("return document.title").await?, "Going Serverless");
    let description = browser.js("return document.querySelector('meta[name=description]')?.content").await?;
    assert!(description.as_str().is_some_and(|d| d.contains("Code Without Infrastructure")), "{description}");
    browser.screenshot("page-without-scripts").await?;
    browser.close().await
}

#[tokio::test]
async fn the_app_takes_over_the_painted_slide_without_moving_it() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    // Where the page's own slide sits when its HTML is parsed, before the app has run.
    let record = "document.addEventListener('DOMContentLoaded', () => {
        const rect = e => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; };
        const slide = document.querySelector('#talk section.slide:not([hidden])');
        window.__before = { app: document.documentElement.dataset.app || null,
            heading: rect(slide.querySelector('h1, h2')), slide: rect(slide),
            counter: document.querySelector('#talk .counter').textContent };
    });";
    browser.cdp("Page.addScriptToEvaluateOnNewDocument", json!({ "source": record })).await?;
    browser.open(&format!("{}/#/5", server.url)).await?;
    let before = browser.js("return window.__before").await?;
    assert_eq!(before["app"], json!(null), "recorded before the app started: {before}");
    let counter = before["counter"].as_str().unwrap_or_default();
    assert!(counter.starts_with("5 / "), "a deep link is shown before the app starts: {before}");
    let after = browser
        .js("const rect = e => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; };
             const slide = document.querySelector('section.slide:not([hidden])');
             return { heading: rect(slide.querySelector('h1, h2')), slide: rect(slide), number: slide.dataset.slide,
                      static: document.querySelectorAll('[data-static]').length };")
        .await?;
    assert_eq!(after["number"], "5");
    assert_eq!(after["static"], 0, "the page's own copy is gone");
    for part in ["heading", "slide"] {
        let (b, a) = (before[part].as_array().unwrap(), after[part].as_array().unwrap());
        for (b, a) in b.iter().zip(a) {
            let (b, a) = (b.as_f64().unwrap(), a.as_f64().unwrap());
            assert!((b - a).abs() < 0.5, "the {part} moved: before {before}, after {after}");
        }
    }
    browser.screenshot("page-taken-over").await?;
    browser.close().await
}

#[tokio::test]
async fn when_the_app_cannot_load_the_talk_stays_readable_and_a_reload_recovers() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    browser.block_urls(&["*_bg.wasm"]).await?;
    browser.client.goto(&format!("{}/#/3", server.url)).await?;
    browser.wait_for("document.documentElement.dataset.app === 'failed'", LOAD).await?;
    let notice = browser.text("p.fatal[role=alert]").await?;
    assert!(notice.contains("could not load") && notice.contains("Reload"), "{notice}");
    let seen = browser.js(VISIBLE).await?;
    assert_eq!(seen["shown"], seen["slides"], "the whole talk is readable: {seen}");
    // Scrolled to the slide the link named.
    let top = browser
        .js("return document.querySelector('#talk [data-slide=\"3\"]').getBoundingClientRect().top")
        .await?;
    assert!(top.as_f64().is_some_and(|top| top.abs() < 40.0), "slide 3 is at the top: {top}");
    browser.screenshot("page-app-blocked").await?;

    // An embed says so too, instead of starting forever.
    browser.client.goto(&format!("{}/embed/cost/", server.url)).await?;
    browser.wait_for("document.documentElement.dataset.app === 'failed'", LOAD).await?;
    assert!(browser.text("p.fatal").await?.contains("could not load"));

    // Back online: a reload brings the deck, at the same slide.
    browser.block_urls(&[]).await?;
    browser.open(&format!("{}/#/3", server.url)).await?;
    assert_eq!(browser.js("return document.documentElement.dataset.app").await?, "started");
    assert_eq!(browser.js("return document.querySelectorAll('p.fatal').length").await?, 0);
    browser.press(keys::RIGHT).await?;
    browser.wait_for("location.hash === '#/4'", LOAD).await?;
    browser.close().await
}

#[tokio::test]
async fn a_part_whose_chunk_cannot_load_says_so_in_its_place_and_retry_brings_it() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    // The deck's own code loads; the chunks of its panels, overview, search and speaker view do not.
    browser.block_urls(&["*/split_*.wasm", "*/chunk_*.wasm"]).await?;
    browser.open(&format!("{}/", server.url)).await?;
    let cost = browser.first_slide_with("[data-panel=cost]").await?;
    browser.go_to(cost).await?;
    let failed = "[data-slide='SLIDE'] .panel[data-panel=cost] .lazy-status[role=alert]"
        .replace("SLIDE", &cost.to_string());
    browser.wait_for(&format!("document.querySelector(\"{failed}\")"), LOAD).await?;
    let message = browser.text(&failed).await?;
    assert!(message.contains("could not load") && message.contains("Retry"), "{message}");
    assert!(message.contains("What a month costs"), "names the part: {message}");
    browser.screenshot("chunk-failed").await?;

    // The rest of the deck keeps working, and the overview says it cannot open.
    browser.press(keys::RIGHT).await?;
    browser.wait_for(&format!("location.hash === '#/{}'", cost + 1), LOAD).await?;
    browser.press("o").await?;
    browser
        .wait_for("document.querySelector('dialog.overview[open] .lazy-status[role=alert]')", LOAD)
        .await?;
    assert!(browser.text("dialog.overview[open]").await?.contains("The overview could not load"));
    browser.press(keys::ESCAPE).await?;
    browser.press(keys::LEFT).await?;
    browser.wait_for(&format!("location.hash === '#/{cost}'"), LOAD).await?;

    // Back online, Retry brings the panel, and it computes.
    browser.block_urls(&[]).await?;
    let retry = format!("{failed} button");
    browser.client.find(fantoccini::Locator::Css(&retry)).await?.click().await?;
    let total = format!("[data-slide='{cost}'] [data-testid=total-cost]");
    browser
        .wait_for(&format!("document.querySelector(\"{total}\")?.textContent.includes('$')"), LOAD)
        .await?;
    assert_eq!(browser.js(&format!("return document.querySelector(\"{failed}\")")).await?, json!(null));
    browser.screenshot("chunk-retried").await?;
    // And the overview's Retry brings the overview.
    browser.press("o").await?;
    browser
        .client
        .find(fantoccini::Locator::Css("dialog.overview[open] .lazy-status button"))
        .await?
        .click()
        .await?;
    browser
        .wait_for("document.querySelectorAll('dialog.overview[open] button.thumb').length > 40", LOAD)
        .await?;
    browser.close().await
}

#[tokio::test]
async fn an_embed_page_loads_no_slides() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    browser.open(&format!("{}/embed/cost/?requests=3000000&pricing=2016", server.url)).await?;
    browser.wait_for("document.querySelector('[data-testid=total-cost]')", LOAD).await?;
    let html = browser.js_async("fetch(location.href).then(r => r.text()).then(done)").await?;
    let html = html.as_str().unwrap_or_default();
    assert!(html.contains("What a month costs"), "{html}");
    assert!(!html.contains("<section"), "an embed page holds no slides");
    assert!(html.len() < 4096, "the embed page is {} bytes", html.len());
    let fetched = browser
        .js("return performance.getEntriesByType('resource').map(r => new URL(r.name).pathname)")
        .await?;
    let deck_page = fetched.as_array().unwrap().iter().any(|p| p == "/" || p == "/index.html");
    assert!(!deck_page, "the deck's page is not fetched: {fetched}");
    let code: Vec<&str> = fetched
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str())
        .filter(|p| p.ends_with(".wasm"))
        .collect();
    assert!(
        code.len() == 1 && code[0].starts_with("/embed-cost-"),
        "only the cost panel's own wasm: {code:?}"
    );

    // An unknown kind: the kinds there are, and no code at all.
    browser.client.goto(&format!("{}/embed/chart/", server.url)).await?;
    let listed = browser.text("main.embed [role=alert]").await?;
    assert!(listed.contains("Embeddable panels: invoke, cold-start, cost, thumbnails."), "{listed}");
    let loaded = browser.js("return performance.getEntriesByType('resource').length").await?;
    assert_eq!(loaded.as_u64(), Some(2), "only the two stylesheets: {loaded}");
    browser.close().await
}
