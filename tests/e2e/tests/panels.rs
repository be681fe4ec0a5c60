//! The live panels against the served deck and its local Lambda platform: real calls, real cold
//! starts, the cost model through URL parameters, failures, and the embed pages inside iframes of
//! another origin.
use std::time::Duration;

use anyhow::{Context, Result};
use deck_e2e::{keys, Browser, Server};
use fantoccini::Locator;

const LOAD: Duration = Duration::from_secs(15);
/// A call, or a series of them, including cold starts of real processes.
const CALLS: Duration = Duration::from_secs(30);

/// Opens the deck (with `query`, e.g. `?lambda=…`) on the first slide with a `kind` panel and
/// returns a CSS selector for that slide.
async fn open_slide_with(browser: &Browser, server: &Server, kind: &str, query: &str) -> Result<String> {
    browser.open(&format!("{}/{query}", server.url)).await?;
    browser.wait_for("document.querySelector('section.slide')", LOAD).await?;
    let number = browser
        .js(&format!(
            "return [...document.querySelectorAll('section.slide')]
                .findIndex(s => s.querySelector('[data-panel=\"{kind}\"]')) + 1"
        ))
        .await?
        .as_u64()
        .context("slide number")?;
    assert!(number > 0, "no slide has a {kind} panel");
    browser.js(&format!("location.hash = '#/{number}'")).await?;
    let slide = format!("section.slide[data-slide=\"{number}\"]");
    browser
        .wait_for(&format!("document.querySelector('{slide}:not([hidden]) [data-panel=\"{kind}\"]')"), LOAD)
        .await?;
    Ok(slide)
}

async fn click(browser: &Browser, css: &str) -> Result<()> {
    let element = browser.client.wait().at_most(LOAD).for_element(Locator::Css(css)).await?;
    element.click().await?;
    Ok(())
}

/// Sets a form control's value as typing would (an `input` event that bubbles).
async fn fill(browser: &Browser, css: &str, value: &str) -> Result<()> {
    let script = format!(
        "const e = document.querySelector({css:?}); e.value = {value:?};
         e.dispatchEvent(new Event('input', {{bubbles: true}})); return true;"
    );
    anyhow::ensure!(browser.js(&script).await?.as_bool() == Some(true), "no {css}");
    Ok(())
}

async fn text_of(browser: &Browser, css: &str) -> Result<String> {
    let value = browser.js(&format!("return document.querySelector({css:?})?.textContent ?? null")).await?;
    value.as_str().map(str::to_owned).with_context(|| format!("no {css}"))
}

async fn count(browser: &Browser, css: &str) -> Result<u64> {
    browser
        .js(&format!("return document.querySelectorAll({css:?}).length"))
        .await?
        .as_u64()
        .context("a count")
}

async fn dark(browser: &Browser) -> Result<()> {
    browser.js("document.documentElement.dataset.theme = 'dark'").await?;
    Ok(())
}

#[tokio::test]
async fn invoke_shows_a_cold_call_then_a_warm_one_on_the_same_instance() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    let slide = open_slide_with(&browser, &server, "invoke", "").await?;
    let panel = format!("{slide} [data-panel=\"invoke\"]");
    assert_eq!(text_of(&browser, &format!("{panel} [data-testid=endpoint]")).await?, "local");

    click(&browser, &format!("{panel} [data-testid=invoke]")).await?;
    browser
        .wait_for(
            &format!("document.querySelector('{panel} [data-testid=start]')?.textContent === 'cold start'"),
            CALLS,
        )
        .await?;
    assert_eq!(text_of(&browser, &format!("{panel} [data-testid=status]")).await?, "HTTP 200");
    let first_instance = text_of(&browser, &format!("{panel} [data-testid=instance]")).await?;
    let response = text_of(&browser, &format!("{panel} [data-testid=response]")).await?;
    assert!(response.contains("\"greeting\": \"Hello, meetup!\""), "{response}");
    assert!(response.contains("\"cold_start\": true"), "{response}");
    // Highlighted as text pieces, keys apart from strings.
    assert!(count(&browser, &format!("{panel} [data-testid=response] .json-key")).await? >= 10);
    let latency = text_of(&browser, &format!("{panel} [data-testid=latency]")).await?;
    assert!(latency.ends_with(" ms") || latency.ends_with(" s"), "{latency}");
    browser.screenshot("panel-invoke-cold").await?;

    click(&browser, &format!("{panel} [data-testid=invoke]")).await?;
    browser
        .wait_for(
            &format!("document.querySelectorAll('{panel} [data-testid=history] tbody tr').length === 2"),
            CALLS,
        )
        .await?;
    assert_eq!(text_of(&browser, &format!("{panel} [data-testid=start]")).await?, "warm");
    assert_eq!(text_of(&browser, &format!("{panel} [data-testid=instance]")).await?, first_instance);
    browser.screenshot("panel-invoke-warm").await?;
    dark(&browser).await?;
    browser.screenshot("panel-invoke-warm-dark").await?;
    browser.close().await
}

#[tokio::test]
async fn cold_start_series_completes_draws_its_chart_and_bursts_scale_out() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    let slide = open_slide_with(&browser, &server, "cold-start", "").await?;
    let panel = format!("{slide} [data-panel=\"cold-start\"]");
    let idle = format!("!document.querySelector('{panel} [data-testid=run-series]').disabled");
    let timeline_status =
        format!("document.querySelector('{panel} [data-testid=timeline] figcaption').textContent");
    browser.wait_for(&format!("{timeline_status}.endsWith('· live')"), LOAD).await?;

    // The slide asks for ten calls: the first is cold, the others warm.
    click(&browser, &format!("{panel} [data-testid=run-series]")).await?;
    browser
        .wait_for(
            &format!(
                "document.querySelector('{panel} [data-testid=series]')?.dataset.done === '10' && {idle}"
            ),
            CALLS,
        )
        .await?;
    assert_eq!(count(&browser, &format!("{panel} svg.chart rect.cold")).await?, 1);
    assert_eq!(count(&browser, &format!("{panel} svg.chart rect.warm")).await?, 9);
    assert_eq!(count(&browser, &format!("{panel} svg.chart line.p50")).await?, 1);
    assert_eq!(count(&browser, &format!("{panel} svg.chart line.p95")).await?, 1);
    let stats = text_of(&browser, &format!("{panel} [data-testid=series-stats]")).await?;
    assert!(
        stats.contains("cold ") && stats.contains("warm ") && stats.contains("function's own init"),
        "{stats}"
    );
    // Ours sits among the published runtimes.
    assert_eq!(count(&browser, &format!("{panel} .runtimes li")).await?, 8);
    let ours = text_of(&browser, &format!("{panel} [data-testid=our-init]")).await?;
    assert!(ours.contains("ours (local)"), "{ours}");
    assert!(text_of(&browser, &format!("{panel} .runtimes .source")).await?.contains("maxday/lambda-perf"));
    // The platform's events drew the instance.
    browser
        .wait_for(&format!("document.querySelectorAll('{panel} svg.lanes g.lane').length >= 1"), LOAD)
        .await?;
    browser.screenshot("panel-cold-start-series").await?;

    // Forced cold: each call starts a new process.
    click(&browser, &format!("{panel} input[name=force_cold]")).await?;
    fill(&browser, &format!("{panel} input[name=calls]"), "3").await?;
    click(&browser, &format!("{panel} [data-testid=run-series]")).await?;
    browser
        .wait_for(
            &format!("document.querySelector('{panel} [data-testid=series]')?.dataset.planned === '3'"),
            LOAD,
        )
        .await?;
    browser
        .wait_for(
            &format!("document.querySelector('{panel} [data-testid=series]').dataset.done === '3' && {idle}"),
            CALLS,
        )
        .await?;
    assert_eq!(count(&browser, &format!("{panel} svg.chart rect.cold")).await?, 3);
    assert_eq!(count(&browser, &format!("{panel} svg.chart rect.warm")).await?, 0);
    browser
        .wait_for(&format!("document.querySelectorAll('{panel} svg.lanes g.lane').length >= 4"), LOAD)
        .await?;
    browser
        .wait_for(&format!("document.querySelectorAll('{panel} svg.lanes g.lane.stopped').length >= 3"), LOAD)
        .await?;

    // A burst of concurrent calls needs several instances.
    fill(&browser, &format!("{panel} input[name=burst]"), "5").await?;
    click(&browser, &format!("{panel} [data-testid=run-burst]")).await?;
    browser
        .wait_for(&format!("document.querySelector('{panel} [data-testid=burst]') && {idle}"), CALLS)
        .await?;
    let instances = browser
        .js(&format!("return +document.querySelector('{panel} [data-testid=burst]').dataset.instances"))
        .await?;
    assert!(instances.as_u64().is_some_and(|n| n >= 2), "a burst of 5 was served by {instances} instance(s)");
    browser.screenshot("panel-cold-start-burst").await?;
    dark(&browser).await?;
    browser.screenshot("panel-cold-start-burst-dark").await?;

    // Off screen, the event stream closes: it would hold one of the browser's few connections.
    browser.press(keys::RIGHT).await?;
    browser.wait_for(&format!("{timeline_status}.endsWith('paused off screen')"), LOAD).await?;
    browser.close().await
}

/// The two worked examples of AWS's 2016 pricing page, to the cent.
#[tokio::test]
async fn cost_reproduces_the_published_examples_from_url_parameters() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    let examples = [
        ("requests=3000000&duration_ms=1000&memory_mb=512&pricing=2016", ["$18.34", "$0.40", "$18.74"]),
        ("requests=30000000&duration_ms=200&memory_mb=128&pricing=2016", ["$5.83", "$5.80", "$11.63"]),
    ];
    for (query, [compute, requests, total]) in examples {
        browser.open(&format!("{}/embed/cost?{query}", server.url)).await?;
        browser
            .wait_for(
                &format!("document.querySelector('[data-testid=total-cost]')?.textContent === '{total}'"),
                LOAD,
            )
            .await?;
        assert_eq!(text_of(&browser, "[data-testid=compute-cost]").await?, compute, "{query}");
        assert_eq!(text_of(&browser, "[data-testid=request-cost]").await?, requests, "{query}");
    }
    for testid in ["ephemeral-cost", "provisioned-cost", "azure-cost", "server-cost", "break-even"] {
        assert!(!text_of(&browser, &format!("[data-testid={testid}]")).await?.is_empty(), "{testid}");
    }
    assert_eq!(count(&browser, "[data-testid=cost-by-requests] polyline").await?, 3);
    assert_eq!(
        count(&browser, "[data-testid=cost-by-memory] rect").await?,
        5,
        "2016 offered five of the sizes charted"
    );
    browser.screenshot("panel-cost-embed").await?;

    // Bad input is an error on its field, never NaN; the URL keeps the last valid inputs.
    fill(&browser, "input[name=requests]", "lots").await?;
    browser
        .wait_for("document.querySelector('[data-testid=error-requests]').textContent !== ''", LOAD)
        .await?;
    assert_eq!(text_of(&browser, "[data-testid=error-requests]").await?, "must be a number");
    assert_eq!(text_of(&browser, "[data-testid=total-cost]").await?, "—");
    assert!(!text_of(&browser, "[data-panel=cost]").await?.contains("NaN"));
    fill(&browser, "input[name=memory_mb]", "3008").await?;
    browser
        .wait_for(
            "document.querySelector('[data-testid=error-memory_mb]').textContent.includes('2016')",
            LOAD,
        )
        .await?;
    dark(&browser).await?;
    browser.screenshot("panel-cost-errors-dark").await?;

    // 6 M × 1 s × 1 GB: (6 M − 0.4 M free) GB-s × $0.00001667 + (6 M − 1 M free) × $0.20 / M.
    fill(&browser, "input[name=memory_mb]", "1024").await?;
    fill(&browser, "input[name=duration_ms]", "1000").await?;
    fill(&browser, "input[name=requests]", "6000000").await?;
    browser
        .wait_for("document.querySelector('[data-testid=total-cost]').textContent === '$94.35'", LOAD)
        .await?;
    let address = browser.js("return location.pathname + location.search").await?;
    let address = address.as_str().unwrap_or_default();
    assert!(address.starts_with("/embed/cost?"), "{address}");
    assert!(address.contains("requests=6000000") && address.contains("memory_mb=1024"), "{address}");
    browser.js("location.reload()").await?;
    browser
        .wait_for("document.querySelector('[data-testid=total-cost]')?.textContent === '$94.35'", LOAD)
        .await?;
    browser.close().await
}

#[tokio::test]
async fn copy_link_in_a_slide_gives_an_embed_address_with_every_input() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    let slide = open_slide_with(&browser, &server, "cost", "").await?;
    let panel = format!("{slide} [data-panel=\"cost\"]");
    let total = text_of(&browser, &format!("{panel} [data-testid=total-cost]")).await?;
    browser.screenshot("panel-cost-slide").await?;
    click(&browser, &format!("{panel} [data-testid=copy-link]")).await?;
    browser.wait_for(&format!("document.querySelector('{panel} [data-testid=link]')?.value"), LOAD).await?;
    let link =
        browser.js(&format!("return document.querySelector('{panel} [data-testid=link]').value")).await?;
    let link = link.as_str().unwrap_or_default().to_owned();
    assert!(link.starts_with(&format!("{}/embed/cost/?", server.url)), "{link}");
    for key in [
        "requests",
        "duration_ms",
        "memory_mb",
        "arch",
        "ephemeral_mb",
        "free_tier",
        "pricing",
        "server_monthly_usd",
    ] {
        assert!(link.contains(&format!("{key}=")), "{key} missing from {link}");
    }
    browser.open(&link).await?;
    browser
        .wait_for(
            &format!("document.querySelector('[data-testid=total-cost]')?.textContent === '{total}'"),
            LOAD,
        )
        .await?;
    browser.close().await
}

#[tokio::test]
async fn an_unreachable_lambda_shows_an_error_and_the_deck_still_navigates() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    // Port 9 on loopback refuses connections.
    let slide = open_slide_with(&browser, &server, "invoke", "?lambda=http://127.0.0.1:9/").await?;
    let panel = format!("{slide} [data-panel=\"invoke\"]");
    assert_eq!(text_of(&browser, &format!("{panel} [data-testid=endpoint]")).await?, "127.0.0.1");
    click(&browser, &format!("{panel} [data-testid=invoke]")).await?;
    browser.wait_for(&format!("document.querySelector('{panel} .call-failure')"), CALLS).await?;
    let message = text_of(&browser, &format!("{panel} .call-failure p")).await?;
    assert!(message.contains("Could not reach http://127.0.0.1:9/"), "{message}");
    assert_eq!(count(&browser, &format!("{panel} .call-failure button[data-action=retry]")).await?, 1);
    browser.screenshot("panel-invoke-unreachable").await?;

    // The settings switch back to the local platform; Retry then succeeds.
    click(&browser, &format!("{panel} [data-action=endpoint-toggle]")).await?;
    click(&browser, &format!("{panel} [data-action=endpoint-local]")).await?;
    browser
        .wait_for(
            &format!("document.querySelector('{panel} [data-testid=endpoint]').textContent === 'local'"),
            LOAD,
        )
        .await?;
    click(&browser, &format!("{panel} .call-failure [data-action=retry]")).await?;
    browser
        .wait_for(
            &format!("document.querySelector('{panel} [data-testid=status]')?.textContent === 'HTTP 200'"),
            CALLS,
        )
        .await?;
    assert_eq!(count(&browser, &format!("{panel} .call-failure")).await?, 0);

    // The deck keeps working around a panel.
    let hash = browser.js("return location.hash").await?;
    browser.client.find(Locator::Css("body")).await?.click().await.ok();
    browser.press(keys::RIGHT).await?;
    browser.wait_for(&format!("location.hash !== {hash}"), LOAD).await?;
    browser.close().await
}

#[tokio::test]
async fn a_refused_call_is_named_with_its_status() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    browser.open(&format!("{}/embed/invoke?function=nope", server.url)).await?;
    click(&browser, "[data-testid=invoke]").await?;
    browser.wait_for("document.querySelector('.call-failure')", CALLS).await?;
    let message = text_of(&browser, ".call-failure p").await?;
    assert!(message.contains("/fn/nope/ answered HTTP 404"), "{message}");
    // An out-of-range input is refused before any call.
    fill(&browser, "input[name=sleep_ms]", "99999").await?;
    browser
        .wait_for("[...document.querySelectorAll('.field-error')].some(e => e.textContent === 'must be between 0 and 10000')", LOAD)
        .await?;
    assert_eq!(browser.js("return document.querySelector('[data-testid=invoke]').disabled").await?, true);
    assert_eq!(
        browser
            .js("return document.querySelector('input[name=sleep_ms]').getAttribute('aria-invalid')")
            .await?,
        "true"
    );
    browser.close().await
}

/// A page of another origin (a blog) with each panel in an iframe, as the README shows.
#[tokio::test]
async fn embed_pages_work_inside_iframes_of_another_origin() -> Result<()> {
    let server = Server::start().await?;
    let fixture = include_str!("../../fixtures/embed-host.html").replace("DECK_URL", &server.url);
    let host = deck_e2e::serve_page(fixture).await?;
    let browser = Browser::start_sized(900, 1000).await?;
    browser.client.goto(&host).await?;
    browser.wait_for("document.querySelectorAll('iframe').length === 3", LOAD).await?;

    browser.client.enter_frame(0).await?;
    browser
        .wait_for("document.querySelector('[data-testid=total-cost]')?.textContent === '$18.74'", LOAD)
        .await?;
    let back = browser.js("return document.querySelector('.embed-source a')?.target ?? null").await?;
    assert_eq!(back.as_str(), Some("_top"), "the embed links back to the talk");
    browser.client.enter_parent_frame().await?;

    browser.client.enter_frame(1).await?;
    click(&browser, "[data-testid=invoke]").await?;
    browser
        .wait_for("document.querySelector('[data-testid=status]')?.textContent === 'HTTP 200'", CALLS)
        .await?;
    assert!(text_of(&browser, "[data-testid=response]").await?.contains("Hello, reader!"));
    browser.client.enter_parent_frame().await?;

    // 320 px wide: no sideways scrolling.
    browser.client.enter_frame(2).await?;
    browser.wait_for("document.querySelector('[data-panel=\"cold-start\"]')", LOAD).await?;
    let fits = browser.js("return [innerWidth, document.documentElement.scrollWidth]").await?;
    assert_eq!(fits[0], 320, "{fits}");
    assert!(fits[1].as_u64() <= Some(320), "the panel overflows a 320 px iframe: {fits}");
    click(&browser, "[data-testid=run-series]").await?;
    browser.wait_for("document.querySelector('[data-testid=series]')?.dataset.done === '3'", CALLS).await?;
    let fits = browser.js("return document.documentElement.scrollWidth").await?;
    assert!(fits.as_u64() <= Some(320), "the chart overflows a 320 px iframe: {fits}");
    browser.client.enter_parent_frame().await?;
    browser.screenshot("panel-embeds-in-iframes").await?;
    browser.js("document.getElementById('cold-start').scrollIntoView()").await?;
    browser.screenshot("panel-embed-cold-start-320").await?;
    browser.close().await
}
