use std::time::Duration;
use anyhow::Result;
use deck_e2e::{Browser, Server};

#[tokio::test]
async fn scratch() -> Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;
    browser.client.goto(&format!("{}/embed/invoke", server.url)).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    browser.js("window.__errors = []; window.addEventListener('error', e => window.__errors.push(String(e.message)));").await?;
    let r = browser.js("document.querySelector('[data-testid=invoke]').click(); return document.body.innerHTML.length").await?;
    println!("clicked {r}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!("errors {}", browser.js("return window.__errors").await?);
    println!("html {}", browser.js("return document.querySelector('.panel').outerHTML").await?);
    println!("fatal {}", browser.js("return document.querySelector('.fatal')?.textContent ?? null").await?);
    browser.screenshot("scratch").await?;
    browser.close().await
}
