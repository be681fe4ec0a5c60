//! Harness for end-to-end tests: starts the real `serverless-deck` server on a free loopback
//! port and a headless Chromium session through chromedriver, and keeps screenshots.
//!
//! `cargo xtask test` builds everything and sets: DECK_SERVER (server binary), DECK_DIST (built
//! deck), DECK_FUNCTIONS (functions.toml), CHROMEDRIVER, DECK_TEST_OUTPUT (screenshot folder).
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use fantoccini::actions::{InputSource, KeyAction, KeyActions, PointerAction, TouchActions};
pub use fantoccini::wd::WindowHandle;
use fantoccini::{Client, ClientBuilder, Locator};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

fn env_path(name: &str) -> Result<PathBuf> {
    std::env::var_os(name)
        .map(PathBuf::from)
        .with_context(|| format!("{name} is not set: run these tests with `cargo xtask test`"))
}

/// The deck server, killed when dropped.
pub struct Server {
    pub url: String,
    /// What it printed before listening (functions, presenter token, follow addresses).
    pub startup_log: Vec<String>,
    /// Its S3 buckets' objects (`--data`), gone with it.
    pub data: tempfile::TempDir,
    _child: Child,
}

impl Server {
    /// Serves the built deck with the local Lambda platform.
    pub async fn start() -> Result<Server> {
        Server::start_with(&[]).await
    }

    pub async fn start_with(extra_args: &[&str]) -> Result<Server> {
        let data = tempfile::tempdir().context("a data folder")?;
        let mut command = Command::new(env_path("DECK_SERVER")?);
        command
            .args(["--addr", "127.0.0.1:0", "--dist"])
            .arg(env_path("DECK_DIST")?)
            .arg("--functions")
            .arg(env_path("DECK_FUNCTIONS")?)
            .arg("--data")
            .arg(data.path())
            .args(extra_args);
        Server::spawn(command, data).await
    }

    /// Starts `command` (a `serverless-deck` with its arguments) and waits for its address;
    /// `data` is kept as long as the server.
    pub async fn spawn(mut command: Command, data: tempfile::TempDir) -> Result<Server> {
        command.stdout(Stdio::piped()).stderr(Stdio::inherit()).kill_on_drop(true);
        let mut child = command.spawn().context("starting serverless-deck")?;
        let mut lines = BufReader::new(child.stdout.take().context("no stdout")?).lines();
        let mut startup_log = Vec::new();
        let url = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix("listening on ") {
                    return Ok::<_, anyhow::Error>(url.trim().trim_end_matches('/').to_string());
                }
                startup_log.push(line);
            }
            bail!("serverless-deck exited before printing its address")
        })
        .await
        .context("serverless-deck did not print its address within 20 s")??;
        // Keep draining the log so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Server { url, startup_log, data, _child: child })
    }

    /// The presenter token it printed (with follow mode, or off loopback).
    pub fn presenter_token(&self) -> Result<String> {
        let line = self.startup_log.iter().find_map(|line| line.strip_prefix("presenter token: "));
        let token = line.and_then(|rest| rest.split_whitespace().next());
        token.map(str::to_owned).context("serverless-deck printed no presenter token")
    }
}

/// A headless Chromium session with its own chromedriver, closed when dropped.
pub struct Browser {
    pub client: Client,
    _driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> Result<Browser> {
        Browser::start_sized(1280, 720).await
    }

    pub async fn start_sized(width: u32, height: u32) -> Result<Browser> {
        Browser::start_with(width, height, &[]).await
    }

    /// With more Chromium flags (e.g. `--host-resolver-rules=…`).
    pub async fn start_with(width: u32, height: u32, flags: &[&str]) -> Result<Browser> {
        let port = free_port()?;
        let driver = Command::new(env_path("CHROMEDRIVER")?)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting chromedriver")?;
        let profile = tempfile::tempdir()?;
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            &format!("--window-size={width},{height}"),
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let args: Vec<&str> = args.iter().copied().chain(flags.iter().copied()).collect();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "args": args, "binary": "/usr/bin/chromium" }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let webdriver = format!("http://127.0.0.1:{port}");
        let mut last_error = None;
        for _ in 0..50 {
            match ClientBuilder::new(connector.clone()).capabilities(caps.clone()).connect(&webdriver).await {
                Ok(client) => {
                    let browser = Browser { client, _driver: driver, _profile: profile };
                    browser.set_viewport(width, height).await?;
                    return Ok(browser);
                }
                Err(e) => last_error = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("cannot start a Chromium session: {last_error:?}")
    }

    /// Resizes the window so the page itself (not the window) is `width`×`height`.
    pub async fn set_viewport(&self, width: u32, height: u32) -> Result<()> {
        let frame = self.js("return [outerWidth - innerWidth, outerHeight - innerHeight]").await?;
        let extra = |i: usize| frame[i].as_u64().unwrap_or(0) as u32;
        self.client.set_window_size(width + extra(0), height + extra(1)).await?;
        Ok(())
    }

    /// Opens `url` and waits until the app has taken over the page (`<html data-app>`): before
    /// that the page shows its own HTML, which looks alike but does not answer keys.
    pub async fn open(&self, url: &str) -> Result<()> {
        self.client.goto(url).await?;
        self.wait_for("document.documentElement.dataset.app", Duration::from_secs(15)).await
    }

    /// A Chrome DevTools Protocol command (e.g. `Network.setBlockedURLs`), through chromedriver.
    pub async fn cdp(&self, command: &str, params: serde_json::Value) -> Result<serde_json::Value> {
        let command = DevTools { body: serde_json::json!({ "cmd": command, "params": params }) };
        Ok(self.client.issue_cmd(command).await?)
    }

    /// Makes requests to URLs matching any of `patterns` (`*` wildcards) fail, as when offline;
    /// an empty list lets everything through again.
    pub async fn block_urls(&self, patterns: &[&str]) -> Result<()> {
        self.cdp("Network.enable", serde_json::json!({})).await?;
        self.cdp("Network.setBlockedURLs", serde_json::json!({ "urls": patterns })).await?;
        Ok(())
    }

    /// Evaluates JavaScript that ends by calling `done(value)`, and returns that value.
    pub async fn js_async(&self, script: &str) -> Result<serde_json::Value> {
        let script = format!("const done = arguments[arguments.length - 1];\n{script}");
        Ok(self.client.execute_async(&script, vec![]).await?)
    }

    /// Waits until an element matching `css` exists, and returns its text.
    pub async fn text(&self, css: &str) -> Result<String> {
        let element =
            self.client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(css)).await?;
        Ok(element.text().await?)
    }

    /// Evaluates JavaScript in the page and returns its result.
    pub async fn js(&self, script: &str) -> Result<serde_json::Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    /// Sends real key presses to the focused page.
    pub async fn press(&self, keys: &str) -> Result<()> {
        let body = self.client.find(Locator::Css("body")).await?;
        body.send_keys(keys).await?;
        Ok(())
    }

    /// Saves a PNG of the viewport under DECK_TEST_OUTPUT/screenshots/`name`.png.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let path = env_path("DECK_TEST_OUTPUT")?.join("screenshots").join(format!("{name}.png"));
        std::fs::create_dir_all(path.parent().context("screenshot path has a folder")?)?;
        std::fs::write(&path, self.client.screenshot().await?)?;
        Ok(path)
    }

    /// `g`, the number, Enter: the deck's own "go to", waiting for the hash to show `slide`.
    pub async fn go_to(&self, slide: u64) -> Result<()> {
        self.press("g").await?;
        self.wait_for("document.activeElement?.id === 'goto-number'", Duration::from_secs(5)).await?;
        self.type_keys(&format!("{slide}{}", keys::ENTER)).await?;
        self.wait_for(&format!("location.hash === '#/{slide}'"), Duration::from_secs(5)).await
    }

    /// The 1-based number of the first slide holding an element matching `css` (e.g. a panel).
    pub async fn first_slide_with(&self, css: &str) -> Result<u64> {
        let script = format!(
            "const s = [...document.querySelectorAll('section.slide')].find(s => s.querySelector('{css}'));
             return s ? Number(s.dataset.slide) : null;"
        );
        self.js(&script).await?.as_u64().with_context(|| format!("no slide contains `{css}`"))
    }

    /// Polls `condition` (a JS expression) until it is true, for up to `timeout`.
    pub async fn wait_for(&self, condition: &str, timeout: Duration) -> Result<()> {
        let script = format!("return !!({condition});");
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.js(&script).await?.as_bool() == Some(true) {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                bail!("timed out waiting for `{condition}`");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types `keys` into whatever has the focus, as real key presses. Unlike [`Browser::press`],
    /// which sends keys to `<body>`, this leaves the focus where it is (e.g. in a dialog).
    pub async fn type_keys(&self, keys: &str) -> Result<()> {
        let mut actions = KeyActions::new("keyboard".into());
        for key in keys.chars() {
            actions = actions.then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
        }
        self.client.perform_actions(actions).await?;
        Ok(())
    }

    /// One finger moving from `from` to `to` (viewport pixels) on a touch screen.
    pub async fn swipe(&self, from: (f64, f64), to: (f64, f64)) -> Result<()> {
        let finger = TouchActions::new("finger".into())
            .then(PointerAction::MoveTo { duration: None, x: from.0, y: from.1 })
            .then(PointerAction::Down { button: 0 })
            .then(PointerAction::MoveTo { duration: Some(Duration::from_millis(200)), x: to.0, y: to.1 })
            .then(PointerAction::Up { button: 0 });
        self.client.perform_actions(finger).await?;
        Ok(())
    }

    /// Opens `url` in a new window of the same browser (same profile, so the windows share
    /// BroadcastChannels and storage), sized `width`×`height`, and switches to it.
    pub async fn open_window(&self, url: &str, width: u32, height: u32) -> Result<WindowHandle> {
        let window = self.client.new_window(false).await?.handle;
        self.client.switch_to_window(window.clone()).await?;
        self.client.set_window_size(width, height).await.ok();
        self.open(url).await?;
        Ok(window)
    }

    /// Makes `window` the one later commands talk to.
    pub async fn switch_to(&self, window: &WindowHandle) -> Result<()> {
        self.client.switch_to_window(window.clone()).await?;
        Ok(())
    }

    pub async fn close(self) -> Result<()> {
        self.client.close().await?;
        Ok(())
    }
}

/// chromedriver's `goog/cdp/execute`: one DevTools command in the session's page.
#[derive(Debug)]
struct DevTools {
    body: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for DevTools {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// Serves `page` to every request on a free loopback port: a page of another origin than the
/// deck's (a blog, or any site the presenter opens). Returns its URL.
pub async fn serve_page(page: String) -> Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let page = page.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                    page.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    Ok(url)
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// WebDriver key codes for `Browser::press`.
pub mod keys {
    pub const RIGHT: &str = "\u{E014}";
    pub const LEFT: &str = "\u{E012}";
    pub const HOME: &str = "\u{E011}";
    pub const END: &str = "\u{E010}";
    pub const SPACE: &str = " ";
    pub const ENTER: &str = "\u{E007}";
    pub const ESCAPE: &str = "\u{E00C}";
    pub const DOWN: &str = "\u{E015}";
}
