//! A page of another site, opened in the presenter's own browser while the deck's server runs on
//! loopback, tries every way to drive it: fetches with and without CORS, an EventSource, an HTML
//! form's S3 upload signed with the secret the README once published, and DNS rebinding. Nothing
//! may change, on disk or in the platform; the deck's own page and an origin the presenter names
//! keep working; and what the bucket serves never runs as a page of the deck's origin.
use std::time::Duration;

use anyhow::{ensure, Result};
use deck_e2e::{serve_page, Browser, Server};
use serde_json::Value;

const LOAD: Duration = Duration::from_secs(20);
/// What the foreign page tries (tests/fixtures/foreign-page.html).
const ATTEMPTS: [&str; 14] = [
    "recycle",
    "recycle_no_cors",
    "invoke_api",
    "invoke_api_no_cors",
    "function_url_closed",
    "ticket",
    "ticket_no_cors",
    "functions",
    "s3_list",
    "s3_delete_no_cors",
    "s3_put_no_cors",
    "follow",
    "events",
    "form",
];

/// Every file under the server's data folder.
fn data_files(server: &Server) -> Vec<String> {
    fn walk(dir: &std::path::Path, into: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                walk(&entry.path(), into);
            } else {
                into.push(entry.path().display().to_string());
            }
        }
    }
    let mut files = Vec::new();
    walk(server.data.path(), &mut files);
    files.sort();
    files
}

/// `hello`'s one instance, as the deck's own page reads it: (pid, invocations).
async fn hello_instance(browser: &Browser) -> Result<Value> {
    browser
        .js_async(
            "fetch('/api/functions').then(r => r.json()).then(list => {
               const [instance] = list.functions.find(f => f.name === 'hello').instances;
               done([instance.pid, instance.invocations]);
             }).catch(e => done(String(e)))",
        )
        .await
}

#[tokio::test]
async fn a_page_of_another_site_cannot_drive_the_presenters_server() -> Result<()> {
    let server = Server::start().await?;
    let port = server.url.rsplit(':').next().unwrap_or_default().to_owned();
    let browser = Browser::start_with(1280, 720, &["--host-resolver-rules=MAP evil.test 127.0.0.1"]).await?;

    // The presenter's deck: a warm function and an upload, from the deck's own page.
    browser.open(&format!("{}/", server.url)).await?;
    let own = browser
        .js_async(
            r#"(async () => {
                 const hello = await fetch('/fn/hello/?name=deck');
                 const ticket = await (await fetch('/api/uploads/deck-photos', { method: 'POST',
                   headers: { 'content-type': 'application/json' },
                   body: JSON.stringify({ file_name: 'page.jpg', content_type: 'image/jpeg', size: 48 }) })).json();
                 const page = '<script>document.title = "pwned"</script>';
                 const asHtml = await fetch(ticket.url, { method: 'PUT', headers: { 'content-type': 'text/html' }, body: page });
                 const asJpeg = await fetch(ticket.url, { method: 'PUT', headers: { 'content-type': 'image/jpeg' }, body: page });
                 done({ hello: hello.status, asHtml: asHtml.status, asJpeg: asJpeg.status, key: ticket.key,
                        upload: ticket.results.upload });
               })().catch(e => done({ error: String(e) }))"#,
        )
        .await?;
    ensure!(own["hello"] == 200 && own["asJpeg"] == 200, "the deck's own page works: {own}");
    ensure!(own["asHtml"] == 403, "a ticket for an image takes no page: {own}");
    let before = (data_files(&server), hello_instance(&browser).await?);

    let page = include_str!("../../fixtures/foreign-page.html")
        .replace("DECK_URL", &server.url)
        .replace("DELETE_KEY", own["key"].as_str().unwrap_or_default());
    let foreign = serve_page(page).await?;
    browser.client.goto(&foreign).await?;
    // The page sets its results once every attempt has run.
    browser.wait_for("typeof window.results === 'object'", LOAD).await?;
    let results = browser.js("return window.results").await?;
    let attempts: Vec<&str> =
        results.as_object().into_iter().flatten().map(|(name, _)| name.as_str()).collect();
    ensure!(attempts.len() == ATTEMPTS.len(), "every attempt ran: {results}");
    for attempt in ATTEMPTS {
        // Refused by the server (the browser then blocks the answer), or sent blind with nothing
        // to read; whichever, the state below tells whether anything happened.
        let got = results[attempt].as_str().unwrap_or_default();
        let expected = match attempt {
            "events" => "refused",
            "form" => "submitted",
            // A browser sends no PUT or DELETE without asking first: it refuses no-cors for them.
            "s3_delete_no_cors" | "s3_put_no_cors" => "blocked",
            _ if attempt.ends_with("no_cors") || attempt == "function_url_closed" => "opaque",
            _ => "blocked",
        };
        ensure!(got == expected, "{attempt}: {got}, not {expected} ({results})");
    }
    browser.screenshot("security-foreign-page").await?;

    browser.open(&format!("{}/", server.url)).await?;
    let after = (data_files(&server), hello_instance(&browser).await?);
    ensure!(before == after, "nothing changed: before {before:?}, after {after:?}");

    // DNS rebinding: a name of the attacker's that resolves to loopback.
    browser.client.goto(&format!("http://evil.test:{port}/api/functions")).await?;
    let refused = browser.js("return document.body.innerText").await?;
    let refused = refused.as_str().unwrap_or_default();
    ensure!(refused.contains("start it with --allow-host evil.test"), "{refused}");
    ensure!(!refused.contains("\"functions\""), "{refused}");

    // The upload (a page's bytes, as an image) opened as a page of the deck's origin runs nothing.
    browser.client.goto(own["upload"].as_str().unwrap_or_default()).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let title = browser.js("return document.title").await?;
    ensure!(title != "pwned", "the upload ran as a page");
    browser.close().await
}

#[tokio::test]
async fn an_origin_the_presenter_names_may_use_the_platform() -> Result<()> {
    // A dev server's page that calls the platform named in its address (`?deck=`).
    let page = "<!DOCTYPE html><title>dev server</title><script>
        const deck = new URLSearchParams(location.search).get('deck');
        fetch(deck + '/api/functions').then(r => r.json())
          .then(list => window.results = list.functions.map(f => f.name).join(','))
          .catch(e => window.results = 'blocked: ' + e);
      </script>";
    let named = serve_page(page.to_owned()).await?;
    let other = serve_page(page.to_owned()).await?;
    let server = Server::start_with(&["--cors-origin", named.trim_end_matches('/')]).await?;
    let browser = Browser::start().await?;
    let mut seen = Vec::new();
    for origin in [&named, &other] {
        browser.client.goto(&format!("{origin}?deck={}", server.url)).await?;
        browser.wait_for("typeof window.results === 'string'", LOAD).await?;
        seen.push(browser.js("return window.results").await?);
    }
    ensure!(seen[0] == "hello,thumbnail", "the named origin reads the platform: {seen:?}");
    ensure!(seen[1].as_str().unwrap_or_default().starts_with("blocked"), "any other is refused: {seen:?}");
    browser.close().await
}
