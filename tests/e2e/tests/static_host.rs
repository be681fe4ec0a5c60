//! The deck as a static site under a sub-path (`cargo xtask dist --public-url /talk/`), served by
//! a plain static file server that knows nothing about it, as S3 or GitHub Pages would.
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result};
use deck_e2e::{keys, Browser};
use tokio::process::Command;

const LOAD: Duration = Duration::from_secs(15);

#[tokio::test]
async fn deck_works_under_a_sub_path_on_a_plain_static_server() -> Result<()> {
    let dist = std::env::var_os("DECK_DIST_SUBPATH")
        .context("DECK_DIST_SUBPATH is not set: run `cargo xtask test`")?;
    let root = tempfile::tempdir()?;
    std::os::unix::fs::symlink(&dist, root.path().join("talk"))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let _server = Command::new("python3")
        .args(["-m", "http.server", "--bind", "127.0.0.1", &port.to_string(), "--directory"])
        .arg(root.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let base = format!("http://127.0.0.1:{port}/talk/");

    let browser = Browser::start().await?;
    let mut loaded = false;
    for _ in 0..50 {
        if browser.open(&format!("{base}#/2")).await.is_ok()
            && browser
                .wait_for("document.querySelector('section.slide[data-slide=\"2\"]:not([hidden])')", LOAD)
                .await
                .is_ok()
        {
            loaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(loaded, "the deck did not load from {base}");
    browser.press(keys::RIGHT).await?;
    browser.wait_for("location.hash === '#/3'", LOAD).await?;
    // Images resolve against the sub-path too.
    browser.js("location.hash = '#/1'").await?;
    let broken = browser
        .js("return [...document.querySelectorAll('img')].filter(i => i.getAttribute('src') && !i.src.includes('/talk/')).length")
        .await?;
    assert_eq!(broken, 0, "every image URL is under /talk/");

    // An embed page is a real file there, so no rewrite rules are needed.
    browser
        .open(&format!("{base}embed/cost/?requests=3000000&duration_ms=1000&memory_mb=512&pricing=2016"))
        .await?;
    browser.wait_for("document.querySelector('[data-panel=\"cost\"]')", LOAD).await?;
    browser.screenshot("static-host-embed-cost").await?;
    browser.close().await
}
